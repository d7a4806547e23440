//! Syntax: source text → [`ast::Module`] with byte spans.
//!
//! **Architecture invariant:** this stage knows nothing of names, types,
//! units or documents. It only reports what it cannot parse.
//!
//! # Parsing on every core
//!
//! **Parsing on every core** (`syntax::parse_files`): the files, and large
//! files in pieces of about 16 KB, are parsed on every core. A piece starts
//! only at a line that starts an item (条款, 指导, 文件, 词汇) outside braces, quotes
//! and comments; an item ends at its own closing brace or quote, so the
//! pieces give the items of the whole file, with spans offset by where the
//! piece starts (`Builder::base`). A file with a failed piece is parsed again
//! whole, so its errors are exactly those of `syntax::parse`. Tests in
//! `syntax/mod.rs` compare both, spans included.

pub mod ast;
mod keywords;

use pest::iterators::Pair;
use pest::Parser as _;
use rust_decimal::Decimal;

use crate::diag::{Diagnostic, FileId, Span};
use ast::*;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
struct PolicyParser;

/// Brackets nested deeper than this are refused before parsing, so that no
/// input can exhaust the parser's stack.
pub const MAX_NESTING: usize = 48;

/// Parses one policy file. Returns the module, or the syntax errors.
pub fn parse(file: FileId, text: &str) -> Result<Module<'_>, Vec<Diagnostic>> {
    if let Some(d) = check_nesting(file, text) {
        return Err(vec![d]);
    }
    parse_piece(file, text, 0)
}

/// Parses several files at once, on every core, large files in pieces
/// ([`pieces`]); each result is what [`parse`] gives for that file.
pub fn parse_files<'s>(files: &[(FileId, &'s str)]) -> Vec<Result<Module<'s>, Vec<Diagnostic>>> {
    let mut nesting = Vec::with_capacity(files.len());
    // (index of the file, the file, a piece of its text, where the piece starts)
    let mut jobs = Vec::new();
    for (index, &(file, text)) in files.iter().enumerate() {
        let refused = check_nesting(file, text);
        if refused.is_none() {
            jobs.extend(pieces(text).into_iter().map(|r| (index, file, text.get(r.clone()).unwrap_or(""), r.start)));
        }
        nesting.push(refused);
    }
    let parsed = crate::parallel::map(&jobs, |&(_, file, piece, base)| parse_piece(file, piece, base));
    let mut parsed = parsed.into_iter().zip(&jobs).peekable();
    let mut results = Vec::with_capacity(files.len());
    for (index, (&(file, text), refused)) in files.iter().zip(nesting).enumerate() {
        if let Some(d) = refused {
            results.push(Err(vec![d]));
            continue;
        }
        let mut module = Module::default();
        let mut errors = None;
        let mut count = 0;
        while let Some((piece, _)) = parsed.next_if(|(_, job)| job.0 == index) {
            count += 1;
            match piece {
                Ok(m) => module.items.extend(m.items),
                Err(e) => errors = errors.or(Some(e)),
            }
        }
        results.push(match errors {
            None => Ok(module),
            Some(e) if count == 1 => Err(e),
            // Parsed again whole, so that the errors are worded and placed
            // exactly as `parse` does.
            Some(_) => parse_piece(file, text, 0),
        });
    }
    results
}

/// Texts shorter than this are parsed in one piece.
const PIECE_BYTES: usize = 16 * 1024;

/// Byte ranges that together cover `text`, each about [`PIECE_BYTES`]
/// long, split only before a line that starts an item (条款, 指导, 文件 or
/// 词汇) outside any braces, quotes and comments. An item ends with its
/// closing brace or quote, so parsing the pieces one by one gives the same
/// items as parsing the whole; where the scan is wrong, a piece fails to
/// parse and the whole file is parsed again.
fn pieces(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    if text.len() >= 2 * PIECE_BYTES {
        for at in item_starts(text) {
            if at - start >= PIECE_BYTES && text.len() - at >= PIECE_BYTES {
                ranges.push(start..at);
                start = at;
            }
        }
    }
    ranges.push(start..text.len());
    ranges
}

/// Offsets of the lines that start an item at the top level.
fn item_starts(text: &str) -> Vec<usize> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Comment,
        Corner(usize),
        Curly,
        Plain,
    }
    let mut starts = Vec::new();
    let mut state = In::Code;
    let mut depth = 0usize;
    let mut line_start = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at_line_start = std::mem::replace(&mut line_start, c == '\n');
        state = match (state, c) {
            (In::Comment, '\n') => In::Code,
            (In::Corner(n), '「') => In::Corner(n + 1),
            (In::Corner(1), '」') | (In::Curly, '”') | (In::Plain, '"') => In::Code,
            (In::Corner(n), '」') => In::Corner(n - 1),
            (In::Code, '「') => In::Corner(1),
            (In::Code, '“') => In::Curly,
            (In::Code, '"') => In::Plain,
            (In::Code, '/') if chars.peek().is_some_and(|&(_, next)| next == '/') => In::Comment,
            (In::Code, '{' | '｛') => {
                depth += 1;
                In::Code
            }
            (In::Code, '}' | '｝') => {
                depth = depth.saturating_sub(1);
                In::Code
            }
            (In::Code, _) => {
                if at_line_start
                    && depth == 0
                    && ["条款", "指导", "文件", "词汇"].iter().any(|k| text[i..].starts_with(k))
                {
                    starts.push(i);
                }
                In::Code
            }
            (other, _) => other,
        };
    }
    starts
}

/// Parses `text`, which starts at byte `base` of its file.
fn parse_piece(file: FileId, text: &str, base: usize) -> Result<Module<'_>, Vec<Diagnostic>> {
    let mut pairs = match PolicyParser::parse(Rule::file, text) {
        Ok(p) => p,
        Err(e) => return Err(vec![syntax_error(file, text, base, &e)]),
    };
    let mut builder = Builder { file, base, errors: Vec::new() };
    let mut module = Module::default();
    for item in pairs.next().into_iter().flat_map(|file| file.into_inner()).filter(is_content) {
        match item.as_rule() {
            Rule::document => module.items.push(Item::Document(builder.document(item))),
            Rule::vocabulary => module.items.push(Item::Vocabulary(builder.vocabulary(item))),
            Rule::clause => module.items.push(Item::Clause(builder.clause(item))),
            Rule::guidance => module.items.push(Item::Guidance(builder.guidance(item))),
            Rule::let_stmt => {
                if let Some(ClauseStmt::Let(name, e)) = builder.clause_stmt(item) {
                    module.items.push(Item::Let(name, e));
                }
            }
            _ => {}
        }
    }
    if builder.errors.is_empty() {
        Ok(module)
    } else {
        Err(builder.errors)
    }
}

/// Refuses input whose expressions would nest deeper than [`MAX_NESTING`]
/// before the (recursive) parser sees it: brackets and 「」 quotes, and
/// chains of the prefix keywords 非 and 其中 within one block.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut quotes = 0usize;
    let mut prefixes = 0usize;
    for (i, c) in text.char_indices() {
        let outside = quotes == 0;
        let deeper = match c {
            '「' => {
                quotes += 1;
                quotes > MAX_NESTING
            }
            '」' => {
                quotes = quotes.saturating_sub(1);
                false
            }
            '(' | '（' if outside => {
                depth += 1;
                depth > MAX_NESTING
            }
            ')' | '）' if outside => {
                depth = depth.saturating_sub(1);
                false
            }
            '{' | '｛' | '}' | '｝' if outside => {
                depth = if matches!(c, '{' | '｛') { depth + 1 } else { depth.saturating_sub(1) };
                prefixes = 0;
                depth > MAX_NESTING
            }
            '非' | '其' if outside && standalone_prefix(text, i) => {
                prefixes += 1;
                prefixes > MAX_NESTING
            }
            _ => false,
        };
        if deeper {
            return Some(
                Diagnostic::error("P0003", format!("表达式嵌套超过 {MAX_NESTING} 层"))
                    .at(file, Span::new(i, i + c.len_utf8()), "嵌套过深")
                    .help("把深层的表达式拆成几个「设」定义，每个只做一步"),
            );
        }
    }
    None
}

/// Whether the 非 or 其 at byte `at` starts the keyword 非 or 其中 on its
/// own (not inside a name such as 非遗就业帮扶工坊).
fn standalone_prefix(text: &str, at: usize) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_';
    let before = text.get(..at).and_then(|t| t.chars().next_back());
    if before.is_some_and(is_name_char) {
        return false;
    }
    let rest = text.get(at..).unwrap_or("");
    let word = if rest.starts_with("其中") {
        "其中"
    } else if rest.starts_with('非') {
        "非"
    } else {
        return false;
    };
    !rest.get(word.len()..).and_then(|r| r.chars().next()).is_some_and(is_name_char)
}

fn expected_words(rule: Rule) -> Option<String> {
    Some(
        match rule {
            Rule::EOI => "文件结束",
            Rule::item | Rule::document | Rule::vocabulary | Rule::clause | Rule::guidance => {
                "「文件」「词汇」「条款」或「指导」"
            }
            Rule::string | Rule::str_corner | Rule::str_curly | Rule::str_plain => "用「」括起的文字",
            Rule::ident | Rule::path | Rule::name_list | Rule::field_name => "名称",
            Rule::clause_id => "条款编号，例如 5、四 或 二（八）",
            rule if precedence_level(rule)
                || matches!(
                    rule,
                    Rule::neg | Rule::bool_lit | Rule::call | Rule::count | Rule::sum | Rule::tier | Rule::case_date
                ) =>
            {
                "表达式，例如 合格人数 >= 10人"
            }
            Rule::quantity | Rule::number | Rule::half_year => "数值，例如 1000元 或 6个月",
            Rule::date | Rule::date_full | Rule::date_end | Rule::date_iso => "日期，例如 2021年12月31日",
            Rule::unit | Rule::unit_atom | Rule::percent => "单位，例如 元、元/人、个月",
            Rule::cmp_op | Rule::is_op | Rule::in_op => "比较（>=、<=、为、属于…）",
            Rule::add_op | Rule::mul_op => "运算符（+、-、×、÷）",
            Rule::quote
            | Rule::note
            | Rule::applies
            | Rule::audience
            | Rule::let_stmt
            | Rule::benefit
            | Rule::status
            | Rule::constraint
            | Rule::funding
            | Rule::departments
            | Rule::validity => "条款中的语句（原文、适用、设、给予、资金来源、责任单位…）或「}」",
            Rule::condition
            | Rule::exclusion
            | Rule::amount
            | Rule::ceiling
            | Rule::deferred
            | Rule::frequency
            | Rule::exclusive
            | Rule::payer => "给予块中的语句（条件、金额、不超过、按规定、频次…）或「}」",
            Rule::amount_cap => "「最高」",
            Rule::priority => "「优先级」",
            Rule::per_year | Rule::once => "「每年 1次」或「一次性」",
            Rule::field_decl => "字段声明，例如 脱贫人口：布尔",
            Rule::type_expr
            | Rule::ty_bool
            | Rule::ty_num
            | Rule::ty_date
            | Rule::ty_text
            | Rule::ty_enum
            | Rule::ty_record
            | Rule::ty_list => "类型（布尔、数、日期、文本、枚举、记录、列表）",
            Rule::default_value => "「默认」",
            Rule::doc_name
            | Rule::doc_level
            | Rule::doc_region
            | Rule::doc_parent
            | Rule::doc_source
            | Rule::doc_validity
            | Rule::doc_no_lower => "文件信息（名称、级别、地区、上级、原文件、施行）或「}」",
            Rule::validity_range => "有效期，例如 自2022年1月1日 至2025年12月31日，或 自印发之日 至2025年12月31日",
            Rule::tier_arm => "分档项，例如 本科：500元/人/月",
            other => return keywords::keyword_text(other).map(|k| format!("「{k}」")),
        }
        .to_string(),
    )
}

fn syntax_error(file: FileId, text: &str, base: usize, e: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let width = text.get(pos..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
    let span = Span::new(base + pos, base + pos + width);
    let mut words: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.iter().filter_map(|r| expected_words(*r)).collect(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut seen = Vec::new();
    words.retain(|w| {
        let fresh = !seen.contains(w);
        seen.push(w.clone());
        fresh
    });
    // A keyword where a name was wanted: say so, over the whole keyword.
    let wanted_name = words.iter().any(|w| w == "名称");
    let keyword = text
        .get(pos..)
        .filter(|_| wanted_name)
        .and_then(|rest| PolicyParser::parse(Rule::keyword, rest).ok().and_then(|mut p| p.next()).map(|p| p.as_str()));
    if let Some(word) = keyword {
        return Diagnostic::error("P0001", format!("「{word}」是关键字，不能用作名称"))
            .at(file, Span::new(base + pos, base + pos + word.len()), "此处应为名称")
            .help(format!("换一个名称，例如「{word}标准」；关键字列表见 docs/language.md"));
    }
    let found = text.get(pos..).and_then(|rest| rest.chars().next());
    // A quoted text where a name or an expression was wanted
    // (`单位性质 为 「企业」`, `备注 = 「企业」`): rules compare no texts.
    let wanted_value = wanted_name || words.iter().any(|w| w.starts_with("表达式"));
    if wanted_value && matches!(found, Some('「' | '“' | '"')) {
        return Diagnostic::error("P0001", "规则中不能比较「」括起的文字")
            .at(file, span, "此处应为名称、取值或表达式")
            .help("文本字段不能比较；枚举的取值直接写，不加「」：单位性质 为 企业。「」只用于原文、说明等文字");
    }
    let message = match found {
        None => "文件意外结束".to_string(),
        Some(c) => format!("无法识别「{c}」"),
    };
    let label = if words.is_empty() {
        "此处有无法识别的内容".to_string()
    } else {
        format!("此处应为{}", words.join("、或"))
    };
    Diagnostic::error("P0001", format!("语法错误：{message}"))
        .at(file, span, label)
        .help("关键字与名称之间要有空格；文字用「」括起；金额写作 1000元、1万元、500元/人/月")
}

struct Builder {
    file: FileId,
    /// Byte offset of the parsed text in its file.
    base: usize,
    errors: Vec<Diagnostic>,
}

impl Builder {
    /// Where `pair` is in the whole file: pest's byte offsets, plus the
    /// offset of the piece that was parsed.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn name<'i>(&self, pair: Pair<'i, Rule>) -> Name<'i> {
        Spanned { node: pair.as_str(), span: self.span(&pair) }
    }

    fn error(&mut self, span: Span, message: String, label: &str, help: &str) {
        self.errors.push(Diagnostic::error("P0002", message).at(self.file, span, label).help(help));
    }

    /// The content of a quoted string, with the span of the content.
    fn string<'i>(&mut self, pair: Pair<'i, Rule>) -> Name<'i> {
        match pair.into_inner().find(is_content) {
            Some(inner) => self.name(inner),
            None => Spanned { node: "", span: Span::default() },
        }
    }

    fn document<'i>(&mut self, pair: Pair<'i, Rule>) -> Document<'i> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(is_content);
        let id = match inner.next() {
            Some(p) => self.string(p),
            None => Spanned { node: "", span: Span::default() },
        };
        let mut doc = Document {
            id,
            name: None,
            level: None,
            region: None,
            parent: None,
            source: None,
            validity: None,
            no_lowering: None,
            span,
        };
        for entry in inner {
            let rule = entry.as_rule();
            let first = entry.clone().into_inner().find(is_content);
            match (rule, first) {
                (Rule::doc_name, Some(p)) => doc.name = Some(self.string(p)),
                (Rule::doc_level, Some(p)) => doc.level = Some(self.name(p)),
                (Rule::doc_region, Some(p)) => doc.region = Some(self.string(p)),
                (Rule::doc_parent, Some(p)) => doc.parent = Some(self.string(p)),
                (Rule::doc_source, Some(p)) => doc.source = Some(self.string(p)),
                (Rule::doc_validity, Some(p)) => doc.validity = self.validity_range(p),
                (Rule::doc_no_lower, _) => doc.no_lowering = Some(self.span(&entry)),
                _ => {}
            }
        }
        doc
    }

    fn validity_range(&mut self, pair: Pair<Rule>) -> Option<ValidityRange> {
        let span = self.span(&pair);
        let mut issue = None;
        let mut dates = Vec::new();
        for p in pair.into_inner().filter(is_content) {
            let s = self.span(&p);
            match p.as_rule() {
                Rule::issue_date => issue = Some(Spanned { node: ValidityStart::Issue, span: s }),
                Rule::date => dates.push(Spanned { node: self.date(p)?, span: s }),
                _ => {}
            }
        }
        let to = dates.pop()?;
        let from = dates.pop().map(|d| Spanned { node: ValidityStart::Date(d.node), span: d.span }).or(issue);
        Some(ValidityRange { from, to, span })
    }

    fn date(&mut self, pair: Pair<Rule>) -> Option<DateLit> {
        let span = self.span(&pair);
        let inner = pair.into_inner().find(is_content)?;
        let rule = inner.as_rule();
        let text = inner.as_str().to_string();
        let nums: Vec<u32> = match rule {
            Rule::date_iso => text.split('-').filter_map(|n| n.parse().ok()).collect(),
            _ => inner.into_inner().filter(is_content).filter_map(|n| n.as_str().parse().ok()).collect(),
        };
        let lit = match (rule, nums.as_slice()) {
            (Rule::date_end, [y]) => Some(DateLit { year: *y, month: 12, day: 31 }),
            (Rule::date_full | Rule::date_iso, [y, m, d]) => Some(DateLit { year: *y, month: *m, day: *d }),
            _ => None,
        };
        if lit.is_none() {
            self.error(span, format!("日期「{text}」无法识别"), "日期有误", "日期写作 2021年12月31日 或 2021年底");
        }
        lit
    }

    fn vocabulary<'i>(&mut self, pair: Pair<'i, Rule>) -> Vocabulary<'i> {
        let span = self.span(&pair);
        let fields = pair.into_inner().filter(is_content).map(|p| self.field_decl(p)).collect();
        Vocabulary { fields, span }
    }

    fn field_decl<'i>(&mut self, pair: Pair<'i, Rule>) -> FieldDecl<'i> {
        let mut inner = pair.into_inner().filter(is_content);
        let field_name =
            inner.next().map(|p| self.name(p)).unwrap_or_else(|| Spanned { node: "", span: Span::default() });
        let mut ty = Spanned { node: TypeExpr::Text, span: Span::default() };
        let mut default = None;
        let mut doc = None;
        for p in inner {
            match p.as_rule() {
                Rule::type_expr => ty = self.type_expr(p),
                Rule::default_value => {
                    if let Some(lit) = p.into_inner().find(is_content) {
                        default = Some(self.expr_primary(lit));
                    }
                }
                Rule::string => doc = Some(self.string(p)),
                _ => {}
            }
        }
        FieldDecl { name: field_name, ty, default, doc }
    }

    fn type_expr<'i>(&mut self, pair: Pair<'i, Rule>) -> Spanned<TypeExpr<'i>> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().find(is_content) else {
            return Spanned { node: TypeExpr::Text, span };
        };
        let node = match inner.as_rule() {
            Rule::ty_bool => TypeExpr::Bool,
            Rule::ty_date => TypeExpr::Date,
            Rule::ty_text => TypeExpr::Text,
            Rule::ty_num => TypeExpr::Num(inner.into_inner().find(is_content).map(|u| UnitLit { text: u.as_str() })),
            Rule::ty_enum => TypeExpr::Enum(inner.into_inner().filter(is_content).map(|p| self.name(p)).collect()),
            Rule::ty_record => {
                TypeExpr::Record(inner.into_inner().filter(is_content).map(|p| self.field_decl(p)).collect())
            }
            Rule::ty_list => {
                let mut parts = inner.into_inner().filter(is_content);
                let unit = UnitLit { text: parts.next().map_or("", |u| u.as_str()) };
                TypeExpr::List(unit, parts.map(|p| self.field_decl(p)).collect())
            }
            _ => TypeExpr::Text,
        };
        Spanned { node, span }
    }

    /// The clause number and quoted title that start a clause or guidance.
    fn clause_head<'i>(
        &mut self,
        inner: &mut impl Iterator<Item = Pair<'i, Rule>>,
        span: Span,
    ) -> (Name<'i>, Name<'i>) {
        let mut id = None;
        let title = loop {
            match inner.next() {
                Some(p) if p.as_rule() == Rule::clause_id => id = Some(self.name(p)),
                Some(p) => break self.string(p),
                None => break Spanned { node: "", span },
            }
        };
        // Without a number, a clause is known by its title.
        (id.unwrap_or_else(|| title.clone()), title)
    }

    fn clause<'i>(&mut self, pair: Pair<'i, Rule>) -> Clause<'i> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(is_content);
        let (id, title) = self.clause_head(&mut inner, span);
        let mut adopts = None;
        let mut stmts = Vec::new();
        for p in inner {
            if p.as_rule() == Rule::adopt {
                adopts = p.into_inner().find(is_content).map(|p| self.name(p));
            } else if let Some(s) = self.clause_stmt(p) {
                stmts.push(s);
            }
        }
        Clause { id, title, adopts, stmts, span }
    }

    fn guidance<'i>(&mut self, pair: Pair<'i, Rule>) -> Guidance<'i> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(is_content);
        let (id, title) = self.clause_head(&mut inner, span);
        let mut quotes = Vec::new();
        let mut notes = Vec::new();
        for p in inner {
            let rule = p.as_rule();
            if let Some(s) = p.into_inner().find(is_content) {
                let text = self.string(s);
                if rule == Rule::quote {
                    quotes.push(text);
                } else {
                    notes.push(text);
                }
            }
        }
        Guidance { id, title, quotes, notes, span }
    }

    fn names<'i>(&mut self, pair: Pair<'i, Rule>) -> Vec<Name<'i>> {
        pair.into_inner()
            .filter(is_content)
            .flat_map(|p| p.into_inner().filter(is_content))
            .map(|p| self.name(p))
            .collect()
    }

    fn clause_stmt<'i>(&mut self, pair: Pair<'i, Rule>) -> Option<ClauseStmt<'i>> {
        let rule = pair.as_rule();
        Some(match rule {
            Rule::quote => ClauseStmt::Quote(self.string(pair.into_inner().find(is_content)?)),
            Rule::audience => ClauseStmt::Audience(self.name(pair.into_inner().find(is_content)?)),
            Rule::note => ClauseStmt::Note(self.string(pair.into_inner().find(is_content)?)),
            Rule::applies => ClauseStmt::Applies(self.expr(pair.into_inner().find(is_content)?)),
            Rule::let_stmt => {
                let mut inner = pair.into_inner().filter(is_content);
                let n = self.name(inner.next()?);
                ClauseStmt::Let(n, self.expr(inner.next()?))
            }
            Rule::benefit => ClauseStmt::Benefit(self.benefit(pair)),
            Rule::status => {
                let mut inner = pair.into_inner().filter(is_content);
                let n = self.name(inner.next()?);
                ClauseStmt::Status { name: n, condition: self.expr(inner.next()?) }
            }
            Rule::constraint => {
                let mut inner = pair.into_inner().filter(is_content);
                let condition = self.expr(inner.next()?);
                ClauseStmt::Constraint { condition, message: self.string(inner.next()?) }
            }
            Rule::funding => ClauseStmt::Funding(self.names(pair)),
            Rule::departments => ClauseStmt::Departments(self.names(pair)),
            Rule::validity => ClauseStmt::Validity(self.validity_range(pair.into_inner().find(is_content)?)?),
            _ => return None,
        })
    }

    fn benefit<'i>(&mut self, pair: Pair<'i, Rule>) -> Benefit<'i> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(is_content);
        let benefit_name = match inner.next() {
            Some(p) if p.as_rule() == Rule::string => self.string(p),
            Some(p) => self.name(p),
            None => Spanned { node: "", span },
        };
        let mut priority = None;
        let mut stmts = Vec::new();
        for p in inner {
            if p.as_rule() == Rule::priority {
                if let Some(n) = p.into_inner().find(is_content) {
                    let s = self.span(&n);
                    match n.as_str().parse::<u32>() {
                        Ok(v) => priority = Some(Spanned { node: v, span: s }),
                        Err(_) => self.error(s, "优先级应为不大的整数".into(), "优先级有误", "例如 优先级 2"),
                    }
                }
            } else if let Some(stmt) = self.benefit_stmt(p) {
                stmts.push(stmt);
            }
        }
        Benefit { name: benefit_name, priority, stmts, span }
    }

    fn benefit_stmt<'i>(&mut self, pair: Pair<'i, Rule>) -> Option<BenefitStmt<'i>> {
        let span = self.span(&pair);
        Some(match pair.as_rule() {
            Rule::audience => BenefitStmt::Audience(self.name(pair.into_inner().find(is_content)?)),
            Rule::condition => BenefitStmt::Condition(self.expr(pair.into_inner().find(is_content)?)),
            Rule::exclusion => BenefitStmt::Exclusion(self.expr(pair.into_inner().find(is_content)?)),
            Rule::amount => {
                let mut inner = pair.into_inner().filter(is_content);
                let amount = self.expr(inner.next()?);
                let cap = match inner.next() {
                    Some(c) => Some(self.expr(c.into_inner().find(is_content)?)),
                    None => None,
                };
                BenefitStmt::Amount { amount, cap }
            }
            Rule::ceiling => BenefitStmt::Ceiling(self.expr(pair.into_inner().find(is_content)?)),
            Rule::deferred => BenefitStmt::Deferred(span),
            Rule::floor => BenefitStmt::Floor(self.expr(pair.into_inner().find(is_content)?)),
            Rule::yearly_cap => BenefitStmt::YearlyCap(self.expr(pair.into_inner().find(is_content)?)),
            Rule::frequency => {
                let f = pair.into_inner().find(is_content)?;
                match f.as_rule() {
                    Rule::once => BenefitStmt::Once(self.span(&f)),
                    _ => {
                        let q = f.into_inner().find(is_content)?;
                        let s = self.span(&q);
                        BenefitStmt::PerYear(Spanned { node: self.quantity(q)?, span: s })
                    }
                }
            }
            Rule::exclusive => {
                let mut inner = pair.into_inner().filter(is_content);
                let other = self.name(inner.next()?);
                let year = inner.next().and_then(|y| {
                    let s = self.span(&y);
                    y.as_str().parse().ok().map(|v| Spanned { node: v, span: s })
                });
                BenefitStmt::Exclusive { other, year }
            }
            Rule::funding => BenefitStmt::Funding(self.names(pair)),
            Rule::payer => BenefitStmt::Payer(self.names(pair)),
            Rule::departments => BenefitStmt::Departments(self.names(pair)),
            Rule::validity => BenefitStmt::Validity(self.validity_range(pair.into_inner().find(is_content)?)?),
            Rule::note => BenefitStmt::Note(self.string(pair.into_inner().find(is_content)?)),
            _ => return None,
        })
    }

    /// A band of a tier: its ends, the unit of a range's last end given to
    /// its first when that has none (`20—39人`).
    fn band<'i>(&mut self, pair: Pair<'i, Rule>) -> Option<Band<'i>> {
        let (span, text) = (self.span(&pair), pair.as_str());
        let mut ends = Vec::new();
        let mut side = None;
        for p in pair.into_inner().filter(is_content) {
            match p.as_rule() {
                Rule::quantity => ends.push(self.quantity(p)?),
                rule => side = Some(rule),
            }
        }
        let mut ends = ends.into_iter();
        let first = ends.next()?;
        Some(match side? {
            Rule::band_above => Band { low: Some(first), high: None, text, span },
            Rule::band_below => Band { low: None, high: Some(first), text, span },
            _ => {
                let high = ends.next()?;
                let low = match (&first.unit, &high.unit) {
                    (None, Some(u)) => Quantity { unit: Some(u.clone()), ..first },
                    _ => first,
                };
                Band { low: Some(low), high: Some(high), text, span }
            }
        })
    }

    fn quantity<'i>(&mut self, pair: Pair<'i, Rule>) -> Option<Quantity<'i>> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let mut value = None;
        let mut wan = false;
        let mut unit = None;
        for p in pair.into_inner().filter(is_content) {
            match p.as_rule() {
                Rule::number => value = p.as_str().parse::<Decimal>().ok(),
                Rule::wan => wan = true,
                Rule::unit => unit = Some(UnitLit { text: p.as_str() }),
                _ => {}
            }
        }
        let value = match value.and_then(|v| if wan { v.checked_mul(Decimal::from(10_000)) } else { Some(v) }) {
            Some(v) => v,
            None => {
                self.error(
                    span,
                    format!("数值「{text}」超出可表示的范围"),
                    "数值过大",
                    "金额与数量须在 28 位有效数字以内",
                );
                return None;
            }
        };
        let first_unit = unit.as_ref().and_then(|u| if u.is_percent() { Some("%") } else { u.numerator() });
        let number_text = text.split(|c: char| !(c.is_ascii_digit() || c == '.')).next().unwrap_or("");
        let mut cited = String::with_capacity(text.len());
        cited.push_str(number_text);
        cited.push_str(if wan { "万" } else { "" });
        cited.push_str(first_unit.unwrap_or_default());
        Some(Quantity { value, text, cited, unit })
    }

    fn expr<'i>(&mut self, pair: Pair<'i, Rule>) -> Expr<'i> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        // Most levels of the precedence chain hold one operand: step down
        // without collecting the children.
        let mut children = pair.clone().into_inner().filter(is_content);
        if let (Some(only), None) = (children.next(), children.next()) {
            if precedence_level(rule) {
                return match rule {
                    Rule::add_expr | Rule::mul_expr => self.expr_primary(only),
                    _ => self.expr(only),
                };
            }
        }
        let mut inner: Vec<Pair<Rule>> = pair.clone().into_inner().filter(is_content).collect();
        match rule {
            Rule::expr => match inner.pop() {
                Some(p) => self.expr(p),
                None => self.bad(span),
            },
            Rule::or_expr | Rule::and_expr => {
                let parts = inner.into_iter().map(|p| self.expr(p)).collect();
                let kind = if rule == Rule::or_expr { ExprKind::Or(parts) } else { ExprKind::And(parts) };
                Expr { kind, span }
            }
            Rule::not_expr => {
                if inner.len() == 2 {
                    let operand = match inner.pop() {
                        Some(p) => self.expr(p),
                        None => self.bad(span),
                    };
                    Expr { kind: ExprKind::Not(Box::new(operand)), span }
                } else {
                    match inner.pop() {
                        Some(p) => self.expr(p),
                        None => self.bad(span),
                    }
                }
            }
            Rule::cmp_expr => self.comparison(span, inner),
            Rule::add_expr | Rule::mul_expr => {
                let mut iter = inner.into_iter();
                let mut acc = match iter.next() {
                    Some(p) => self.expr_primary(p),
                    None => return self.bad(span),
                };
                let mut length = 0;
                while let (Some(op), Some(rhs)) = (iter.next(), iter.next()) {
                    length += 1;
                    if length > MAX_NESTING {
                        self.errors.push(
                            Diagnostic::error("P0003", format!("一个算式中的运算超过 {MAX_NESTING} 个"))
                                .at(self.file, self.span(&op), "算式过长")
                                .help("把长算式拆成几个「设」定义，每个只做一步"),
                        );
                        return self.bad(span);
                    }
                    let op = match op.as_str() {
                        "+" | "＋" => BinOp::Add,
                        "-" | "－" => BinOp::Sub,
                        "÷" => BinOp::Div,
                        _ => BinOp::Mul,
                    };
                    let rhs = self.expr_primary(rhs);
                    // From the chain's start, so that an operand in
                    // brackets keeps its opening bracket: `(人数 - 1人) × …`.
                    let s = Span::new(span.start, rhs.span.end.max(acc.span.end));
                    acc = Expr { kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), span: s };
                }
                // The whole chain, closing bracket of a last operand included.
                if matches!(acc.kind, ExprKind::Binary(..)) {
                    acc.span = span;
                }
                acc
            }
            _ => self.expr_primary(pair),
        }
    }

    fn comparison<'i>(&mut self, span: Span, inner: Vec<Pair<'i, Rule>>) -> Expr<'i> {
        let mut iter = inner.into_iter();
        let lhs = match iter.next() {
            Some(p) => self.expr(p),
            None => return self.bad(span),
        };
        let Some(op) = iter.next() else { return lhs };
        let kind = match op.as_rule() {
            Rule::is_op => match iter.next() {
                Some(rhs) => {
                    let rhs = self.expr(rhs);
                    match rhs.kind {
                        ExprKind::Path(n) if !n.node.contains('.') => ExprKind::Is(Box::new(lhs), n),
                        _ => {
                            self.error(
                                rhs.span,
                                "「为」之后应为一个取值名称".into(),
                                "此处应为取值",
                                "例如 单位性质 为 企业",
                            );
                            return self.bad(span);
                        }
                    }
                }
                None => return self.bad(span),
            },
            Rule::in_op => {
                let negated = op.clone().into_inner().find(is_content).is_some_and(|p| p.as_rule() == Rule::not_in);
                ExprKind::In { expr: Box::new(lhs), values: iter.map(|p| self.name(p)).collect(), negated }
            }
            _ => {
                let cmp = match op.as_str() {
                    ">=" | "≥" => CmpOp::Ge,
                    "<=" | "≤" => CmpOp::Le,
                    ">" | "＞" => CmpOp::Gt,
                    "<" | "＜" => CmpOp::Lt,
                    "!=" | "≠" => CmpOp::Ne,
                    _ => CmpOp::Eq,
                };
                let rhs = match iter.next() {
                    Some(p) => self.expr(p),
                    None => return self.bad(span),
                };
                ExprKind::Compare(cmp, Box::new(lhs), Box::new(rhs))
            }
        };
        Expr { kind, span }
    }

    fn bad<'i>(&mut self, span: Span) -> Expr<'i> {
        Expr { kind: ExprKind::Bool(false), span }
    }

    fn expr_primary<'i>(&mut self, pair: Pair<'i, Rule>) -> Expr<'i> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::quantity => match self.quantity(pair) {
                Some(q) => ExprKind::Quantity(Box::new(q)),
                None => return self.bad(span),
            },
            Rule::half_year => ExprKind::Quantity(Box::new(Quantity {
                value: Decimal::from(6),
                text: "半年",
                cited: "半年".into(),
                unit: Some(UnitLit { text: "个月" }),
            })),
            Rule::date => match self.date(pair) {
                Some(d) => ExprKind::Date(d),
                None => return self.bad(span),
            },
            Rule::bool_lit => ExprKind::Bool(pair.as_str().starts_with('是')),
            Rule::case_date => ExprKind::CaseDate,
            Rule::path | Rule::ident => ExprKind::Path(self.name(pair)),
            Rule::call => {
                let mut inner = pair.into_inner().filter(is_content);
                let Some(func) = inner.next().map(|p| self.name(p)) else { return self.bad(span) };
                ExprKind::Call(func, inner.map(|p| self.expr(p)).collect())
            }
            Rule::count => {
                let mut inner = pair.into_inner().filter(is_content);
                let Some(list) = inner.next().map(|p| self.name(p)) else { return self.bad(span) };
                let filter = inner.next().map(|p| Box::new(self.expr(p)));
                ExprKind::Count { list, filter }
            }
            Rule::sum => {
                let mut inner = pair.into_inner().filter(is_content);
                let Some(list) = inner.next().map(|p| self.name(p)) else { return self.bad(span) };
                let Some(body) = inner.next().map(|p| Box::new(self.expr(p))) else { return self.bad(span) };
                let filter = inner.next().map(|p| Box::new(self.expr(p)));
                ExprKind::Sum { list, body, filter }
            }
            Rule::table => {
                let mut inner = pair.into_inner().filter(is_content);
                let (Some(rows), Some(columns)) = (inner.next(), inner.next()) else { return self.bad(span) };
                let (rows, columns) = (Box::new(self.expr_primary(rows)), Box::new(self.expr_primary(columns)));
                let label = |this: &mut Self, p: Pair<'i, Rule>| -> Option<TierKey<'i>> {
                    let k = p.into_inner().find(is_content)?;
                    Some(match k.as_rule() {
                        Rule::band => TierKey::Band(this.band(k)?),
                        _ => TierKey::Value(this.name(k)),
                    })
                };
                let mut heads = Vec::new();
                let mut lines = Vec::new();
                for part in inner {
                    match part.as_rule() {
                        Rule::table_head => {
                            for l in part.into_inner().filter(is_content) {
                                let Some(k) = label(self, l) else { return self.bad(span) };
                                heads.push(k);
                            }
                        }
                        _ => {
                            let mut cells = part.into_inner().filter(is_content);
                            let Some(k) = cells.next().and_then(|l| label(self, l)) else { return self.bad(span) };
                            let mut row = Vec::new();
                            for c in cells {
                                let cell_span = self.span(&c);
                                let Some(x) = c.into_inner().find(is_content) else { return self.bad(span) };
                                let node = match x.as_rule() {
                                    Rule::no_standard => None,
                                    _ => Some(self.expr(x)),
                                };
                                row.push(Spanned { node, span: cell_span });
                            }
                            lines.push((k, row));
                        }
                    }
                }
                ExprKind::Table { rows, columns, heads, lines }
            }
            Rule::tier => {
                let mut inner = pair.into_inner().filter(is_content);
                let Some(key) = inner.next().map(|p| self.expr_primary(p)) else { return self.bad(span) };
                let mut arms = Vec::new();
                for arm in inner {
                    let mut parts = arm.into_inner().filter(is_content);
                    if let (Some(k), Some(e)) = (parts.next(), parts.next()) {
                        let key = match k.as_rule() {
                            Rule::band => match self.band(k) {
                                Some(b) => TierKey::Band(b),
                                None => return self.bad(span),
                            },
                            _ => TierKey::Value(self.name(k)),
                        };
                        arms.push((key, self.expr(e)));
                    }
                }
                ExprKind::Tier { key: Box::new(key), arms }
            }
            rule if precedence_level(rule) => return self.expr(pair),
            other => {
                self.error(span, format!("内部错误：未处理的语法成分 {other:?}"), "无法解析", "请报告此问题");
                return self.bad(span);
            }
        };
        Expr { kind, span }
    }
}

/// The rules of the precedence chain, `expr` down to `mul_expr`.
fn precedence_level(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr | Rule::add_expr | Rule::mul_expr
    )
}

/// Keyword tokens carry no content: the builder skips them.
fn is_content(p: &Pair<Rule>) -> bool {
    keywords::keyword_text(p.as_rule()).is_none()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::{item_starts, parse, parse_files, pieces, PolicyParser, Rule, PIECE_BYTES};
    use crate::diag::SourceMap;

    /// The 攀枝花 rule file many times over, with item keywords at the
    /// start of lines inside strings and comments, where no piece may start.
    fn large() -> String {
        let shipped = std::fs::read_to_string("policies/攀人社发2022-143.policy").unwrap();
        let tricky = "指导 90「引文」{\n  说明「第一行\n条款 91「不是条款」{\n」\n  说明“第一行\n指导 92「也不是」\n”\n}\n// 条款 93 {\n条款 94「真的」{\n  说明\"x\n词汇 {\n\"\n}\n";
        let mut text = String::new();
        while text.len() < 8 * PIECE_BYTES {
            text.push_str(&shipped);
            text.push_str(tricky);
        }
        text
    }

    #[test]
    fn pieces_parse_like_the_whole_file() {
        let text = large();
        let pieces = pieces(&text);
        assert!(pieces.len() >= 4, "{} pieces", pieces.len());
        for p in pieces.iter().skip(1) {
            assert!(["条款", "指导", "文件", "词汇"].iter().any(|k| text[p.clone()].starts_with(k)));
            assert!(!text[p.clone()].starts_with("条款 91") && !text[p.clone()].starts_with("指导 92"));
        }
        let mut sources = SourceMap::default();
        let id = sources.add("large.policy", text.clone());
        let whole = parse(id, &text);
        assert!(whole.is_ok());
        // Debug shows the spans, which equality leaves out.
        assert_eq!(format!("{:?}", parse_files(&[(id, &text)])[0]), format!("{whole:?}"));
    }

    /// A statement broken in the middle, and a clause left open at the end
    /// of the first piece.
    #[test]
    fn a_piece_with_an_error_gives_the_errors_of_the_whole_file() {
        // (text replaced, replacement, where)
        type Edit = (&'static str, &'static str, fn(&str) -> usize);
        let edits: [Edit; 2] = [
            ("金额", "金额 金额", |t| t.len() / 2 + t[t.len() / 2..].find("金额").unwrap()),
            // The first piece then ends inside a clause: alone it ends too
            // soon, whole the next item is where the clause should close.
            ("}", "", |t| t[..pieces(t)[1].start].rfind('}').unwrap()),
        ];
        for (from, to, place) in edits {
            let mut text = large();
            let at = place(&text);
            text.replace_range(at..at + from.len(), to);
            let mut sources = SourceMap::default();
            let id = sources.add("large.policy", text.clone());
            let whole = parse(id, &text);
            assert!(whole.is_err());
            assert_eq!(format!("{:?}", parse_files(&[(id, &text)])[0]), format!("{whole:?}"), "{to}");
        }
    }

    /// Every keyword is refused as a name, also one that starts with a
    /// shorter keyword (原文件, 自印发之日); a longer name is not. 日期 is
    /// a keyword only where a type is expected: it is also a field's name.
    #[test]
    fn no_keyword_is_a_name() {
        use pest::Parser as _;
        let words: Vec<&str> = Rule::all_rules()
            .iter()
            .filter(|r| **r != Rule::kw_riqi)
            .filter_map(|r| super::keywords::keyword_text(*r))
            .collect();
        assert!(words.len() > 60, "{} keywords", words.len());
        for word in words {
            let whole = |text: &str| PolicyParser::parse(Rule::ident, text).is_ok_and(|p| p.as_str() == text);
            assert!(!whole(word), "{word} is taken for a name");
            assert!(whole(&format!("{word}甲")), "{word}甲 is not a name");
        }
    }

    #[test]
    fn nesting_is_counted_in_every_bracket_and_prefix() {
        use super::{check_nesting, MAX_NESTING};
        let id = crate::diag::FileId(0);
        let pairs = [("(", ")"), ("（", "）"), ("{", "}"), ("｛", "｝"), ("「", "」"), ("非 ", ""), ("其中 ", "")];
        for (open, close) in pairs {
            let text = |n: usize| format!("甲 {}乙{}", open.repeat(n), close.repeat(n));
            assert!(check_nesting(id, &text(MAX_NESTING)).is_none(), "{open}");
            let deep = text(MAX_NESTING + 1);
            let refused = check_nesting(id, &deep).unwrap_or_else(|| panic!("{open} is not refused"));
            let at = refused.primary.unwrap().at.span;
            // The span covers the first character past the limit, in bytes.
            let past = "甲 ".len() + open.len() * MAX_NESTING;
            let first = &open[..open.chars().next().unwrap().len_utf8()];
            assert_eq!((at.start, &deep[at.start..at.end]), (past, first), "{open}");
        }
        // Inside a quote, brackets are words; 非 in a name is no keyword.
        let quoted = format!("「{}」", "(".repeat(MAX_NESTING + 1));
        assert!(check_nesting(id, &quoted).is_none());
        assert!(check_nesting(id, &"非遗工坊 ".repeat(MAX_NESTING + 1)).is_none());
    }

    #[test]
    fn items_start_only_outside_braces_quotes_and_comments() {
        let text = "条款 1「a」{\n条款 x\n}\n指导 2「b\n条款」\n// {\n文件「c」{\n  名称“d\n词汇”\n}\n词汇 {\n}\n\
                    条款 5「e」｛\n条款 y\n｝\n\"\n条款\"\n";
        let starts: Vec<&str> = item_starts(text).into_iter().map(|i| &text[i..i + 6]).collect();
        assert_eq!(starts, ["条款", "指导", "文件", "词汇", "条款"]);
        assert_eq!(item_starts(text).len(), 5);
        assert_eq!(item_starts(text)[2], text.find("文件").unwrap());
    }
}
