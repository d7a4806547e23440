//! `policyc fmt`: one canonical layout for rule files.
//!
//! The layout is rebuilt from the AST: one statement a line, two spaces of
//! indentation, canonical operators and punctuation (：、；), parentheses
//! only where precedence needs them. Literals (numbers, dates, names,
//! quotes) are copied from the source as written, so that the document's
//! own wording stays. Comments are kept: a comment on the line of a
//! statement stays after it, any other before the statement that follows
//! it. Single blank lines between statements are kept.

use crate::diag::Span;
use crate::syntax::ast::*;

/// Formats a parsed module. `src` is the text it was parsed from.
pub fn format(src: &str, module: &Module) -> String {
    let mut p = Printer { src, comments: comments(src), next: 0, out: String::new(), indent: 0, last_end: 0 };
    for item in &module.items {
        match item {
            Item::Document(d) => p.document(d),
            Item::Vocabulary(v) => p.vocabulary(v),
            Item::Clause(c) => p.clause(c),
            Item::Guidance(g) => p.guidance(g),
            Item::Let(n, e) => {
                let text = format!("设 {} = {}", n.node, p.expr(e, 0));
                p.line(n.span.join(e.span), &text);
            }
        }
    }
    p.flush_comments(src.len());
    let out = p.out.trim_start_matches('\n').to_string();
    if out.is_empty() {
        out
    } else {
        format!("{}\n", out.trim_end())
    }
}

/// `//` comments outside quotes: (start byte, text from `//`).
fn comments(src: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut quote_depth = 0usize;
    let mut closing: Option<char> = None;
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (closing, c) {
            (None, '「') | (Some('」'), '「') => {
                closing = Some('」');
                quote_depth += 1;
            }
            (Some('」'), '」') => {
                quote_depth -= 1;
                if quote_depth == 0 {
                    closing = None;
                }
            }
            (None, '“') => closing = Some('”'),
            (None, '"') => closing = Some('"'),
            (Some(close), c) if c == close && close != '」' => closing = None,
            (None, '/') if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                let end = src.get(i..).and_then(|r| r.find('\n')).map_or(src.len(), |n| i + n);
                out.push((i, src.get(i..end).unwrap_or("").trim_end()));
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}

/// Binding strength, loosest first.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const ATOM: u8 = 7;

struct Printer<'a> {
    src: &'a str,
    comments: Vec<(usize, &'a str)>,
    next: usize,
    out: String,
    indent: usize,
    /// End of the last statement written, in the source.
    last_end: usize,
}

impl Printer<'_> {
    fn slice(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// A quoted text with the quote marks it was written with.
    fn quoted(&self, s: &Name) -> String {
        let open = self.src.get(..s.span.start).and_then(|t| t.chars().last()).unwrap_or('「');
        let close = match open {
            '“' => '”',
            '"' => '"',
            _ => '」',
        };
        let open = if close == '」' { '「' } else { open };
        format!("{open}{}{close}", s.node)
    }

    /// A name that may have been written as a quoted text (给予「生活(交通)费补贴」).
    fn name_or_quoted(&self, s: &Name) -> String {
        match self.src.get(..s.span.start).and_then(|t| t.chars().last()) {
            Some('「' | '“' | '"') => self.quoted(s),
            _ => s.node.to_string(),
        }
    }

    /// Whether the source has an empty line between `from` and `to`.
    fn had_blank_line(&self, from: usize, to: usize) -> bool {
        let gap = self.src.get(from.min(to)..to).unwrap_or("");
        let lines: Vec<&str> = gap.split('\n').collect();
        lines.len() >= 3 && lines.iter().skip(1).take(lines.len() - 2).any(|l| l.trim().is_empty())
    }

    fn push_line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// Writes the comments that come before `pos`.
    fn flush_comments(&mut self, pos: usize) {
        while let Some(&(start, text)) = self.comments.get(self.next) {
            if start >= pos {
                break;
            }
            self.next += 1;
            let same_line = self.last_end > 0 && !self.src.get(self.last_end..start).unwrap_or("\n").contains('\n');
            if same_line && self.out.ends_with('\n') {
                self.out.pop();
                self.out.push_str("  ");
                self.out.push_str(text);
                self.out.push('\n');
            } else {
                if self.had_blank_line(self.last_end, start) {
                    self.blank_line();
                }
                self.push_line(text);
            }
            self.last_end = start + text.len();
        }
    }

    /// Writes one statement that spans `span` in the source.
    fn line(&mut self, span: Span, text: &str) {
        self.flush_comments(span.start);
        if self.last_end > 0 && self.had_blank_line(self.last_end, span.start) {
            self.blank_line();
        }
        self.push_line(text);
        self.last_end = span.end;
    }

    /// A block: its header line, the statements `body` writes, `}`.
    fn block(&mut self, header_span: Span, header: &str, end: usize, body: impl FnOnce(&mut Self)) {
        let sep = if header.ends_with(['」', '”', '"']) { "" } else { " " };
        self.line(header_span, &format!("{header}{sep}{{"));
        self.indent += 1;
        body(self);
        self.flush_comments(end.saturating_sub(1));
        self.indent -= 1;
        self.push_line("}");
        self.last_end = end;
    }

    /// Separates top-level items by one blank line; comments right above
    /// an item stay with it.
    fn item_gap(&mut self, span: Span) {
        while let Some(&(start, _)) = self.comments.get(self.next) {
            let same_line = self.last_end > 0 && !self.src.get(self.last_end..start).unwrap_or("\n").contains('\n');
            if start >= span.start || !same_line {
                break;
            }
            self.flush_comments(start + 1);
        }
        self.blank_line();
        self.flush_comments(span.start);
    }

    // ------------------------------------------------------------ items

    fn document(&mut self, d: &Document) {
        self.item_gap(d.span);
        let header = format!("文件{}", self.quoted(&d.id));
        let head = Span::new(d.span.start, d.id.span.end);
        self.block(head, &header, d.span.end, |p| {
            if let Some(n) = &d.name {
                p.line(n.span, &format!("名称{}", p.quoted(n)));
            }
            if let Some(n) = &d.level {
                p.line(n.span, &format!("级别 {}", n.node));
            }
            if let Some(n) = &d.region {
                p.line(n.span, &format!("地区{}", p.quoted(n)));
            }
            if let Some(n) = &d.parent {
                p.line(n.span, &format!("上级{}", p.quoted(n)));
            }
            if let Some(n) = &d.source {
                p.line(n.span, &format!("原文件{}", p.quoted(n)));
            }
            if let Some(v) = &d.validity {
                let text = format!("施行 {}", p.range(v));
                p.line(v.span, &text);
            }
            if let Some(span) = d.no_lowering {
                p.line(span, "不得降低标准");
            }
        });
    }

    fn range(&self, v: &ValidityRange) -> String {
        let from = match &v.from {
            Some(Spanned { node: ValidityStart::Issue, .. }) => "自印发之日 ".to_string(),
            Some(Spanned { span, .. }) => format!("自{} ", self.slice(*span)),
            None => String::new(),
        };
        format!("{from}至{}", self.slice(v.to.span))
    }

    fn vocabulary(&mut self, v: &Vocabulary) {
        self.item_gap(v.span);
        let head = Span::new(v.span.start, v.span.start + "词汇".len());
        self.block(head, "词汇", v.span.end, |p| p.fields(&v.fields));
    }

    fn fields(&mut self, fields: &[FieldDecl]) {
        for f in fields {
            let mut text = format!("{}：", f.name.node);
            let nested = match &f.ty.node {
                TypeExpr::Bool => Some("布尔".to_string()),
                TypeExpr::Date => Some("日期".to_string()),
                TypeExpr::Text => Some("文本".to_string()),
                TypeExpr::Num(None) => Some("数".to_string()),
                TypeExpr::Num(Some(u)) => Some(format!("数 {}", u.text)),
                TypeExpr::Enum(values) => {
                    Some(format!("枚举 {{ {} }}", values.iter().map(|v| v.node).collect::<Vec<_>>().join("、")))
                }
                TypeExpr::Record(_) | TypeExpr::List(..) => None,
            };
            let tail = |p: &Self| {
                let mut t = String::new();
                if let Some(d) = &f.default {
                    t.push_str(&format!(" 默认 {}", p.slice(d.span)));
                }
                if let Some(doc) = &f.doc {
                    t.push_str(&format!(" {}", p.quoted(doc)));
                }
                t
            };
            match (nested, &f.ty.node) {
                (Some(ty), _) => {
                    text.push_str(&ty);
                    text.push_str(&tail(self));
                    let end = f.doc.as_ref().map_or(f.ty.span.end, |d| d.span.end + "」".len());
                    self.line(Span::new(f.name.span.start, end), &text);
                }
                (None, TypeExpr::Record(inner)) => {
                    text.push_str("记录");
                    self.block(Span::new(f.name.span.start, f.ty.span.start), &text, f.ty.span.end, |p| {
                        p.fields(inner)
                    });
                }
                (None, TypeExpr::List(unit, inner)) => {
                    text.push_str(&format!("列表 {}", unit.text));
                    self.block(Span::new(f.name.span.start, f.ty.span.start), &text, f.ty.span.end, |p| {
                        p.fields(inner)
                    });
                }
                (None, _) => {}
            }
        }
    }

    fn guidance(&mut self, g: &Guidance) {
        // Consecutive one-line guidance entries stay together.
        let one_liner = g.quotes.is_empty() && g.notes.is_empty();
        let after_one_liner = self.out.lines().last().is_some_and(|l| l.starts_with("指导 ") && !l.ends_with('{'));
        if one_liner && after_one_liner && !self.had_blank_line(self.last_end, g.span.start) {
            self.flush_comments(g.span.start);
        } else {
            self.item_gap(g.span);
        }
        let header = format!("指导 {}{}", numbered(&g.id, &g.title), self.quoted(&g.title));
        let head = Span::new(g.span.start, g.title.span.end);
        if one_liner {
            self.line(head, &header);
            self.last_end = g.span.end;
            return;
        }
        self.block(head, &header, g.span.end, |p| {
            let mut parts: Vec<(Span, String)> =
                g.quotes.iter().map(|q| (q.span, format!("原文{}", p.quoted(q)))).collect();
            parts.extend(g.notes.iter().map(|n| (n.span, format!("说明{}", p.quoted(n)))));
            parts.sort_by_key(|(s, _)| s.start);
            for (span, text) in parts {
                p.line(span, &text);
            }
        });
    }

    fn clause(&mut self, c: &Clause) {
        self.item_gap(c.span);
        let mut header = format!("条款 {}{}", numbered(&c.id, &c.title), self.quoted(&c.title));
        if let Some(a) = &c.adopts {
            header.push_str(&format!(" 采纳 {}", a.node));
        }
        let head_end = c.adopts.as_ref().map_or(c.title.span.end, |a| a.span.end);
        self.block(Span::new(c.span.start, head_end), &header, c.span.end, |p| {
            for s in &c.stmts {
                p.clause_stmt(s);
            }
        });
    }

    fn names(names: &[Name]) -> String {
        names.iter().map(|n| n.node).collect::<Vec<_>>().join("、")
    }

    fn names_span(names: &[Name]) -> Span {
        let start = names.first().map_or(0, |n| n.span.start);
        let end = names.last().map_or(start, |n| n.span.end);
        Span::new(start, end)
    }

    fn clause_stmt(&mut self, s: &ClauseStmt) {
        match s {
            ClauseStmt::Quote(q) => self.line(q.span, &format!("原文{}", self.quoted(q))),
            ClauseStmt::Note(n) => self.line(n.span, &format!("说明{}", self.quoted(n))),
            ClauseStmt::Audience(n) => self.line(n.span, &format!("对象 {}", n.node)),
            ClauseStmt::Applies(e) => self.line(e.span, &format!("适用 {}", self.expr(e, 0))),
            ClauseStmt::Let(n, e) => self.line(n.span.join(e.span), &format!("设 {} = {}", n.node, self.expr(e, 0))),
            ClauseStmt::Benefit(b) => self.benefit(b),
            ClauseStmt::Status { name, condition } => {
                self.line(name.span.join(condition.span), &format!("认定 {} 当 {}", name.node, self.expr(condition, 0)))
            }
            ClauseStmt::Constraint { condition, message } => {
                let text = format!("约束 {} 否则{}", self.expr(condition, 0), self.quoted(message));
                self.line(condition.span.join(message.span), &text);
            }
            ClauseStmt::Funding(n) => self.line(Self::names_span(n), &format!("资金来源 {}", Self::names(n))),
            ClauseStmt::Departments(n) => self.line(Self::names_span(n), &format!("责任单位 {}", Self::names(n))),
            ClauseStmt::Validity(v) => self.line(v.span, &format!("有效 {}", self.range(v))),
        }
    }

    fn benefit(&mut self, b: &Benefit) {
        let name = self.name_or_quoted(&b.name);
        let sep = if name.starts_with(['「', '“', '"']) { "" } else { " " };
        let mut header = format!("给予{sep}{name}");
        if let Some(p) = &b.priority {
            header.push_str(&format!(" 优先级 {}", p.node));
        }
        let head_end = b.priority.as_ref().map_or(b.name.span.end, |p| p.span.end);
        self.block(Span::new(b.span.start, head_end), &header, b.span.end, |p| {
            for s in &b.stmts {
                p.benefit_stmt(s);
            }
        });
    }

    fn benefit_stmt(&mut self, s: &BenefitStmt) {
        match s {
            BenefitStmt::Audience(n) => self.line(n.span, &format!("对象 {}", n.node)),
            BenefitStmt::Condition(e) => self.line(e.span, &format!("条件 {}", self.expr(e, 0))),
            BenefitStmt::Exclusion(e) => self.line(e.span, &format!("除外 {}", self.expr(e, 0))),
            BenefitStmt::Amount { amount, cap } => {
                let mut text = format!("金额 {}", self.expr(amount, 0));
                let mut span = amount.span;
                if let Some(c) = cap {
                    text.push_str(&format!(" 最高 {}", self.expr(c, 0)));
                    span = span.join(c.span);
                }
                self.line(span, &text);
            }
            BenefitStmt::Ceiling(e) => self.line(e.span, &format!("不超过 {}", self.expr(e, 0))),
            BenefitStmt::Deferred(span) => self.line(*span, "按规定"),
            BenefitStmt::Floor(e) => self.line(e.span, &format!("不低于 {}", self.expr(e, 0))),
            BenefitStmt::PerYear(q) => self.line(q.span, &format!("频次 每年 {}", self.slice(q.span))),
            BenefitStmt::Once(span) => self.line(*span, "频次 一次性"),
            BenefitStmt::YearlyCap(e) => self.line(e.span, &format!("每年最高 {}", self.expr(e, 0))),
            BenefitStmt::Exclusive { other, year } => {
                let mut text = format!("互斥 {}", other.node);
                let mut span = other.span;
                if let Some(y) = year {
                    text.push_str(&format!(" 于 {}年", y.node));
                    span = span.join(y.span);
                }
                self.line(span, &text);
            }
            BenefitStmt::Funding(n) => self.line(Self::names_span(n), &format!("资金来源 {}", Self::names(n))),
            BenefitStmt::Payer(n) => self.line(Self::names_span(n), &format!("支付方 {}", Self::names(n))),
            BenefitStmt::Departments(n) => self.line(Self::names_span(n), &format!("责任单位 {}", Self::names(n))),
            BenefitStmt::Validity(v) => self.line(v.span, &format!("有效 {}", self.range(v))),
            BenefitStmt::Note(n) => self.line(n.span, &format!("说明{}", self.quoted(n))),
        }
    }

    // ------------------------------------------------------------ expressions

    /// An expression in a context that binds at least as tight as `ctx`.
    /// A table, its columns aligned by display width (a Han character is
    /// two columns wide), its rows one indent deeper than the line it
    /// starts on.
    fn table(
        &self,
        (rows, columns): (&Expr, &Expr),
        heads: &[TierKey],
        lines: &[(TierKey, Vec<Spanned<Option<Expr>>>)],
    ) -> String {
        let label = |k: &TierKey| match k {
            TierKey::Value(n) => n.node.to_string(),
            TierKey::Band(b) => b.text.to_string(),
        };
        let mut grid: Vec<Vec<String>> = vec![std::iter::once(String::new()).chain(heads.iter().map(label)).collect()];
        for (k, cells) in lines {
            let cells = cells.iter().map(|c| c.node.as_ref().map_or_else(|| "—".to_string(), |x| self.expr(x, 0)));
            grid.push(std::iter::once(label(k)).chain(cells).collect());
        }
        let columns_n = grid.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns_n)
            .map(|i| grid.iter().filter_map(|r| r.get(i)).map(|c| display_width(c)).max().unwrap_or(0))
            .collect();
        let pad = "  ".repeat(self.indent);
        let mut out = format!("表 {} × {} {{\n", self.expr(rows, ATOM), self.expr(columns, ATOM));
        for row in &grid {
            out.push_str(&pad);
            out.push_str("  |");
            for (cell, width) in row.iter().zip(&widths) {
                out.push(' ');
                out.push_str(cell);
                out.push_str(&" ".repeat(width - display_width(cell) + 1));
                out.push('|');
            }
            out.push('\n');
        }
        out.push_str(&pad);
        out.push('}');
        out
    }

    fn expr(&self, e: &Expr, ctx: u8) -> String {
        let (text, prec) = match &e.kind {
            ExprKind::Quantity(_) | ExprKind::Date(_) | ExprKind::Bool(_) | ExprKind::CaseDate | ExprKind::Path(_) => {
                (self.slice(e.span).to_string(), ATOM)
            }
            ExprKind::Call(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, 0)).collect();
                (format!("{}({})", f.node, args.join(", ")), ATOM)
            }
            ExprKind::Count { list, filter } => match filter {
                Some(f) => (format!("计数 {} 其中 {}", list.node, self.expr(f, 0)), 0),
                None => (format!("计数 {}", list.node), ATOM),
            },
            ExprKind::Sum { list, body, filter } => {
                let head = format!("合计 {} 的 ({})", list.node, self.expr(body, 0));
                match filter {
                    Some(f) => (format!("{head} 其中 {}", self.expr(f, 0)), 0),
                    None => (head, ATOM),
                }
            }
            ExprKind::Table { rows, columns, heads, lines } => (self.table((rows, columns), heads, lines), ATOM),
            ExprKind::Tier { key, arms } => {
                let arms: Vec<String> = arms
                    .iter()
                    .map(|(k, a)| {
                        let key = match k {
                            TierKey::Value(n) => n.node,
                            TierKey::Band(b) => b.text,
                        };
                        format!("{key}：{}", self.expr(a, 0))
                    })
                    .collect();
                (format!("分档 {} {{ {} }}", self.expr(key, ATOM), arms.join("；")), ATOM)
            }
            ExprKind::Not(x) => (format!("非 {}", self.expr(x, NOT)), NOT),
            ExprKind::And(xs) => (xs.iter().map(|x| self.expr(x, NOT)).collect::<Vec<_>>().join(" 且 "), AND),
            ExprKind::Or(xs) => (xs.iter().map(|x| self.expr(x, AND)).collect::<Vec<_>>().join(" 或 "), OR),
            ExprKind::Binary(op, a, b) => {
                let (sym, p) = match op {
                    BinOp::Add => ("+", ADD),
                    BinOp::Sub => ("-", ADD),
                    BinOp::Mul => ("×", MUL),
                    BinOp::Div => ("÷", MUL),
                };
                // Operators associate to the left: a right operand of the
                // same strength was written in parentheses.
                (format!("{} {sym} {}", self.expr(a, p), self.expr(b, p + 1)), p)
            }
            ExprKind::Compare(op, a, b) => {
                let sym = match op {
                    CmpOp::Ge => ">=",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Lt => "<",
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "!=",
                };
                (format!("{} {sym} {}", self.expr(a, ADD), self.expr(b, ADD)), CMP)
            }
            ExprKind::Is(x, v) => (format!("{} 为 {}", self.expr(x, ADD), v.node), CMP),
            ExprKind::In { expr, values, negated } => {
                let values: Vec<&str> = values.iter().map(|v| v.node).collect();
                let op = if *negated { "不属于" } else { "属于" };
                (format!("{} {op} {{ {} }}", self.expr(expr, ADD), values.join("、")), CMP)
            }
        };
        if prec < ctx {
            format!("({text})")
        } else {
            text
        }
    }
}

/// Columns a text takes in a monospaced font: two for Han characters and
/// full-width forms, one for the rest.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115f}'
            | '\u{2e80}'..='\u{303e}'
            | '\u{3040}'..='\u{a4cf}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{f900}'..='\u{faff}'
            | '\u{fe30}'..='\u{fe4f}'
            | '\u{ff00}'..='\u{ff60}'
            | '\u{ffe0}'..='\u{ffe6}' => 2,
            _ => 1,
        })
        .sum()
}

/// A clause's number as written, or nothing for a clause known by its
/// title (whose id is its title, at the title's place).
fn numbered<'s>(id: &Name<'s>, title: &Name<'s>) -> &'s str {
    if id.span == title.span {
        ""
    } else {
        id.node
    }
}
