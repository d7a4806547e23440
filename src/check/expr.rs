//! Expressions: name resolution, types and units, lowering to IR.

use rust_decimal::Decimal;

use super::suggest;
use super::vocab::{unit_of, VocabScope};
use crate::date::Date;
use crate::diag::{Diagnostic, FileId, Span};
use crate::ir::{self, Access, ArithOp, ExprKind as K, NamedRef, Ty, Unit, Value};
use crate::syntax::ast;

const KEYWORDS_IN_NAMES: [&str; 8] = ["且", "或", "为", "属于", "其中", "的", "计数", "合计"];
const FUNCTIONS: [&str; 4] = ["向下取整", "最小", "最大", "月数差"];

/// Words for a type, as an analyst would say them.
pub fn describe_ty(scope: &VocabScope, ty: Ty) -> String {
    match ty {
        Ty::Bool => "真假判断".to_string(),
        Ty::Num(u) if u.is_none() => "纯数".to_string(),
        Ty::Num(u) => format!("以「{u}」为单位的数"),
        Ty::Date => "日期".to_string(),
        Ty::Text => "文字".to_string(),
        Ty::Enum(id) => format!("取值（{}）", scope.enum_values(id).join("、")),
    }
}

pub struct Lower<'a> {
    scope: &'a VocabScope,
    file: FileId,
    src: &'a str,
    locals: &'a [(String, Ty)],
    /// Definitions that failed to check: their uses are not reported again.
    failed: &'a [String],
    diags: &'a mut Vec<Diagnostic>,
    /// The list whose members are in scope (inside 计数/合计).
    item: Option<u32>,
    refs: Vec<NamedRef>,
    /// For each definition in scope, what it reads: a true/false
    /// definition's reads are cited after it (`补助对象 = 否，年龄 = 15岁`).
    let_reads: &'a [Vec<NamedRef>],
}

/// A tier's arm before it is put in place: its label, its lowered value
/// (`None` where that failed) and where it is.
type Arm<'x, 's> = (&'x ast::TierKey<'s>, Option<ir::Expr>, Span);

fn ex(kind: K, ty: Ty) -> ir::Expr {
    ir::Expr { kind, ty }
}

impl<'a> Lower<'a> {
    pub fn new(
        scope: &'a VocabScope,
        file: FileId,
        src: &'a str,
        (locals, failed): (&'a [(String, Ty)], &'a [String]),
        diags: &'a mut Vec<Diagnostic>,
    ) -> Lower<'a> {
        Lower { scope, file, src, locals, failed, diags, item: None, refs: Vec::new(), let_reads: &[] }
    }

    /// The same, citing after a true/false definition what it reads.
    pub fn with_let_reads(self, let_reads: &'a [Vec<NamedRef>]) -> Lower<'a> {
        Lower { let_reads, ..self }
    }

    /// The references noted since the last call, unlabelled: what a
    /// definition reads, cited by the conditions that read it.
    pub fn take_reads(&mut self) -> Vec<NamedRef> {
        std::mem::take(&mut self.refs)
    }

    /// The references noted since the last call, labelled in order.
    pub fn take_refs(&mut self) -> Vec<NamedRef> {
        let mut refs = std::mem::take(&mut self.refs);
        for (i, r) in refs.iter_mut().enumerate() {
            let separator = if i == 0 { "（" } else { "，" };
            r.label = [separator, &r.name, " = "].concat();
        }
        refs
    }

    fn error(&mut self, code: &'static str, span: Span, message: String, label: String, help: &str) {
        self.diags.push(Diagnostic::error(code, message).at(self.file, span, label).help(help));
    }

    fn text(&self, span: Span) -> String {
        self.src.get(span.start..span.end).unwrap_or("").to_string()
    }

    pub fn expr(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        use ast::ExprKind as A;
        match &e.kind {
            A::Quantity(q) => self.quantity(q, e.span),
            A::Date(d) => {
                let date = i32::try_from(d.year).ok().and_then(|y| Date::new(y, d.month, d.day));
                match date {
                    Some(date) => Some(ex(K::Const(Value::Date(date), self.text(e.span)), Ty::Date)),
                    None => {
                        self.error("P0204", e.span, "日期不存在".into(), "无效日期".into(), "检查月份与该月天数");
                        None
                    }
                }
            }
            A::Bool(b) => Some(ex(K::Const(Value::Bool(*b), self.text(e.span)), Ty::Bool)),
            A::CaseDate => Some(ex(K::CaseDate, Ty::Date)),
            A::Path(name) => self.path(name.node, e.span),
            A::Call(f, args) => self.call(f, args, e.span),
            A::Count { list, filter } => {
                let (slot, list_id) = self.list(list)?;
                let filter = match filter {
                    Some(f) => Some(Box::new(self.in_item(list_id, f)?)),
                    None => None,
                };
                let unit = self.scope.ir.lists.get(list_id as usize).map_or(Unit::NONE, |l| l.unit);
                Some(ex(K::Count { list: slot, filter }, Ty::Num(unit)))
            }
            A::Sum { list, body, filter } => {
                let (slot, list_id) = self.list(list)?;
                let body_ir = self.in_item(list_id, body)?;
                let Ty::Num(u) = body_ir.ty else {
                    let label = format!("这是{}", describe_ty(self.scope, body_ir.ty));
                    self.error(
                        "P0202",
                        body.span,
                        "「合计」的对象应为数".into(),
                        label,
                        "例如 合计 吸纳人员 的 (以工代训月数)",
                    );
                    return None;
                };
                let filter = match filter {
                    Some(f) => Some(Box::new(self.in_item(list_id, f)?)),
                    None => None,
                };
                let list_unit = self.scope.ir.lists.get(list_id as usize).map_or(Unit::NONE, |l| l.unit);
                let unit = u.times(list_unit).unwrap_or(u);
                Some(ex(K::Sum { list: slot, body: Box::new(body_ir), filter }, Ty::Num(unit)))
            }
            A::Tier { key, arms } => self.tier(key, arms),
            A::Table { rows, columns, heads, lines } => self.table((rows, columns), heads, lines),
            A::Not(x) => {
                let x = self.boolean(x)?;
                Some(ex(K::Not(Box::new(x)), Ty::Bool))
            }
            A::And(xs) | A::Or(xs) => {
                let parts: Vec<ir::Expr> = xs.iter().filter_map(|x| self.boolean(x)).collect();
                if parts.len() != xs.len() {
                    return None;
                }
                let kind = if matches!(e.kind, A::And(_)) { K::And(parts) } else { K::Or(parts) };
                Some(ex(kind, Ty::Bool))
            }
            A::Binary(op, a, b) => self.binary(*op, a, b),
            A::Compare(op, a, b) => self.compare(*op, a, b),
            A::Is(x, value) => {
                let lowered = self.expr(x)?;
                let v = self.enum_value(&lowered, x.span, value)?;
                Some(ex(K::EnumIn { expr: Box::new(lowered), values: vec![v], negated: false }, Ty::Bool))
            }
            A::In { expr, values, negated } => {
                let lowered = self.expr(expr)?;
                let ids: Vec<u32> = values.iter().filter_map(|v| self.enum_value(&lowered, expr.span, v)).collect();
                if ids.len() != values.len() {
                    return None;
                }
                Some(ex(K::EnumIn { expr: Box::new(lowered), values: ids, negated: *negated }, Ty::Bool))
            }
        }
    }

    fn in_item(&mut self, list_id: u32, e: &ast::Expr) -> Option<ir::Expr> {
        let outer = self.item.replace(list_id);
        let r = self.expr(e);
        self.item = outer;
        r
    }

    fn boolean(&mut self, e: &ast::Expr) -> Option<ir::Expr> {
        let x = self.expr(e)?;
        if x.ty != Ty::Bool {
            let label = format!("这是{}", describe_ty(self.scope, x.ty));
            self.error(
                "P0202",
                e.span,
                "这里应为真假判断".into(),
                label,
                "「且」「或」「非」连接的是条件，例如 脱贫人口 且 参加社会保险",
            );
            return None;
        }
        Some(x)
    }

    fn quantity(&mut self, q: &ast::Quantity, span: Span) -> Option<ir::Expr> {
        let (unit, factor) = match &q.unit {
            None => (Unit::NONE, Decimal::ONE),
            Some(u) => match unit_of(u) {
                Some(x) => x,
                None => {
                    self.error(
                        "P0201",
                        span,
                        format!("不认识的单位「{}」", u.text),
                        "未知单位".into(),
                        "可用的单位：元、人（生、名）、个月、月、年、天、次、岁（周岁）、%",
                    );
                    return None;
                }
            },
        };
        let Some(value) = q.value.checked_mul(factor) else {
            self.error(
                "P0601",
                span,
                format!("数值「{}」超出可表示的范围", q.text),
                "数值过大".into(),
                "金额与数量须在 28 位有效数字以内",
            );
            return None;
        };
        Some(ex(K::Const(Value::Num(value), q.text.to_string()), Ty::Num(unit)))
    }

    fn list(&mut self, name: &ast::Name) -> Option<(u32, u32)> {
        if let Some(found) = self.scope.lists.get(name.node) {
            return Some(*found);
        }
        let candidates: Vec<&str> = self.scope.lists.keys().map(String::as_str).collect();
        let help = match suggest::closest(name.node, candidates.iter().copied()) {
            Some(s) => format!("是否应为「{s}」？"),
            None => format!("可计数的列表有：{}", sorted(candidates).join("、")),
        };
        self.error("P0101", name.span, format!("未知的列表「{}」", name.node), "不是词汇中的列表".into(), &help);
        None
    }

    fn path(&mut self, written: &str, span: Span) -> Option<ir::Expr> {
        let dotted = written.strip_prefix("主体.").unwrap_or(written);
        if let Some(i) = self.locals.iter().rposition(|(n, _)| *n == dotted) {
            let ty = self.locals.get(i).map_or(Ty::Bool, |(_, t)| *t);
            self.note_ref(dotted, Access::Local(i as u32), ty);
            return Some(ex(K::Local(i as u32), ty));
        }
        if let Some(list_id) = self.item {
            if let Some((slot, ty)) = self.scope.items.get(list_id as usize).and_then(|m| m.get(dotted)) {
                return Some(ex(K::ItemSlot(*slot), *ty));
            }
        }
        if let Some((slot, ty)) = self.scope.scalars.get(dotted) {
            self.note_ref(dotted, Access::Slot(*slot), *ty);
            return Some(ex(K::Slot(*slot), *ty));
        }
        if self.scope.lists.contains_key(dotted) {
            self.error(
                "P0202",
                span,
                format!("「{dotted}」是列表"),
                "列表不能直接使用".into(),
                "用「计数 列表 其中 条件」或「合计 列表 的 (数)」",
            );
            return None;
        }
        self.unknown(dotted, span);
        None
    }

    fn note_ref(&mut self, name: &str, access: Access, ty: Ty) {
        if self.item.is_none() && !self.refs.iter().any(|r| r.access == access) {
            self.refs.push(NamedRef { name: name.to_string(), access, ty, label: String::new() });
            if let (Access::Local(i), Ty::Bool) = (access, ty) {
                for r in self.let_reads.get(i as usize).into_iter().flatten() {
                    if !self.refs.iter().any(|x| x.access == r.access) {
                        self.refs.push(r.clone());
                    }
                }
            }
        }
    }

    fn unknown(&mut self, name: &str, span: Span) {
        if self.failed.iter().any(|f| f == name) {
            return;
        }
        let mut candidates: Vec<&str> = self.locals.iter().map(|(n, _)| n.as_str()).collect();
        candidates.extend(self.scope.scalars.keys().map(String::as_str));
        if let Some(m) = self.item.and_then(|i| self.scope.items.get(i as usize)) {
            candidates.extend(m.keys().map(String::as_str));
        }
        let help = if let Some(k) =
            KEYWORDS_IN_NAMES.iter().find(|k| name.contains(**k) && name.chars().count() > k.chars().count())
        {
            format!("名称里含有关键字「{k}」：关键字前后要留空格，例如 脱贫人口 且 参加社会保险")
        } else {
            match suggest::closest(name, candidates.iter().copied()) {
                Some(s) => format!("是否应为「{s}」？"),
                None => "名称须是词汇中的字段或本条款中「设」定义的名称".to_string(),
            }
        };
        self.error("P0101", span, format!("未知的名称「{name}」"), "未定义".into(), &help);
    }

    fn enum_value(&mut self, lowered: &ir::Expr, span: Span, value: &ast::Name) -> Option<u32> {
        let Ty::Enum(id) = lowered.ty else {
            let label = format!("这是{}", describe_ty(self.scope, lowered.ty));
            let help = if lowered.ty == Ty::Text {
                "文本字段不能比较：规则按枚举取值、数值、日期和是否判断；需要按它判断时，在词汇中把它声明为枚举"
            } else {
                "例如 单位性质 为 企业；数值请用 >=、<= 比较"
            };
            self.error("P0202", span, "「为」「属于」只能用于取值字段".into(), label, help);
            return None;
        };
        let values = self.scope.enum_values(id);
        if let Some(i) = values.iter().position(|v| *v == value.node) {
            return Some(i as u32);
        }
        let listing = format!("可选：{}", values.join("、"));
        let help = suggest::help_with(value.node, values.iter().map(String::as_str), &listing);
        self.error("P0103", value.span, format!("「{}」不是可选的取值", value.node), "未知取值".into(), &help);
        None
    }

    fn num_unit(&mut self, x: &ir::Expr, span: Span, what: &str) -> Option<Unit> {
        match x.ty {
            Ty::Num(u) => Some(u),
            other => {
                let label = format!("这是{}", describe_ty(self.scope, other));
                self.error("P0202", span, format!("{what}需要数值"), label, "运算只用于金额、人数、月数等数值");
                None
            }
        }
    }

    fn binary(&mut self, op: ast::BinOp, a: &ast::Expr, b: &ast::Expr) -> Option<ir::Expr> {
        let (x, y) = (self.expr(a), self.expr(b));
        let (x, y) = (x?, y?);
        // Date arithmetic: date ± N个月 / N天.
        if x.ty == Ty::Date && matches!(op, ast::BinOp::Add | ast::BinOp::Sub) {
            let unit = self.num_unit(&y, b.span, "日期加减")?;
            let y = if op == ast::BinOp::Sub {
                ex(
                    K::Arith(
                        ArithOp::Sub,
                        Box::new(ex(K::Const(Value::Num(Decimal::ZERO), "0".into()), y.ty)),
                        Box::new(y),
                    ),
                    Ty::Num(unit),
                )
            } else {
                y
            };
            let kind = if unit == Unit::MONTH {
                K::AddMonths(Box::new(x), Box::new(y))
            } else if unit == Unit::DAY {
                K::AddDays(Box::new(x), Box::new(y))
            } else {
                self.error(
                    "P0201",
                    b.span,
                    format!("日期只能加减月或天，这里是「{unit}」"),
                    "单位不符".into(),
                    "例如 工商登记日期 + 6个月",
                );
                return None;
            };
            return Some(ex(kind, Ty::Date));
        }
        let ua = self.num_unit(&x, a.span, "运算")?;
        let ub = self.num_unit(&y, b.span, "运算")?;
        let (op, unit) = match op {
            ast::BinOp::Add | ast::BinOp::Sub => {
                if ua != ub {
                    self.diags.push(
                        Diagnostic::error(
                            "P0201",
                            format!("单位不同的数不能相加减：「{}」与「{}」", show(ua), show(ub)),
                        )
                        .at(self.file, b.span, format!("单位是「{}」", show(ub)))
                        .also(self.file, a.span, format!("单位是「{}」", show(ua)))
                        .help("只有同单位的数才能相加减；元/人 要先乘以人数才是元"),
                    );
                    return None;
                }
                (if op == ast::BinOp::Add { ArithOp::Add } else { ArithOp::Sub }, ua)
            }
            ast::BinOp::Mul => (ArithOp::Mul, ua.times(ub)?),
            ast::BinOp::Div => {
                if matches!(y.kind, K::Const(Value::Num(n), _) if n.is_zero()) {
                    self.error(
                        "P0205",
                        b.span,
                        "除数为零".into(),
                        "除以 0 没有意义".into(),
                        "核对原文中的数：除数应是不为 0 的人数、月数等",
                    );
                    return None;
                }
                (ArithOp::Div, ua.per(ub)?)
            }
        };
        Some(ex(K::Arith(op, Box::new(x), Box::new(y)), Ty::Num(unit)))
    }

    fn compare(&mut self, op: ast::CmpOp, a: &ast::Expr, b: &ast::Expr) -> Option<ir::Expr> {
        let (x, y) = (self.expr(a), self.expr(b));
        let (x, y) = (x?, y?);
        let ok = match (x.ty, y.ty) {
            (Ty::Num(u), Ty::Num(v)) => u == v,
            (Ty::Date, Ty::Date) => true,
            (Ty::Bool, Ty::Bool) => matches!(op, ast::CmpOp::Eq | ast::CmpOp::Ne),
            _ => false,
        };
        if !ok {
            let (lx, ly) = (describe_ty(self.scope, x.ty), describe_ty(self.scope, y.ty));
            let unit_clash = matches!((x.ty, y.ty), (Ty::Num(_), Ty::Num(_)));
            let (code, help) = if unit_clash {
                ("P0201", "比较两边的单位要相同，例如 稳定就业月数 >= 3个月、合格人数 >= 10人")
            } else {
                ("P0202", "只能比较同类的值：数与数、日期与日期")
            };
            self.diags.push(
                Diagnostic::error(code, format!("不能比较{lx}与{ly}"))
                    .at(self.file, b.span, format!("这是{ly}"))
                    .also(self.file, a.span, format!("这是{lx}"))
                    .help(help),
            );
            return None;
        }
        let op = match op {
            ast::CmpOp::Ge => ir::CmpOp::Ge,
            ast::CmpOp::Le => ir::CmpOp::Le,
            ast::CmpOp::Gt => ir::CmpOp::Gt,
            ast::CmpOp::Lt => ir::CmpOp::Lt,
            ast::CmpOp::Eq => ir::CmpOp::Eq,
            ast::CmpOp::Ne => ir::CmpOp::Ne,
        };
        Some(ex(K::Compare(op, Box::new(x), Box::new(y)), Ty::Bool))
    }

    fn call(&mut self, f: &ast::Name, args: &[ast::Expr], span: Span) -> Option<ir::Expr> {
        let lowered: Vec<Option<ir::Expr>> = args.iter().map(|a| self.expr(a)).collect();
        let lowered: Vec<ir::Expr> = lowered.into_iter().collect::<Option<_>>()?;
        let arity = |this: &mut Self, n: usize| {
            if lowered.len() != n {
                this.error(
                    "P0202",
                    span,
                    format!("「{}」需要 {n} 个参数，这里有 {} 个", f.node, lowered.len()),
                    "参数个数不符".into(),
                    "例如 向下取整(合格人数 ÷ 10人)、月数差(工商登记日期, 裁定日期)",
                );
                return false;
            }
            true
        };
        match f.node {
            "向下取整" => {
                if !arity(self, 1) {
                    return None;
                }
                let x = lowered.into_iter().next()?;
                let arg_span = args.first().map_or(span, |a| a.span);
                self.num_unit(&x, arg_span, "向下取整")?;
                let ty = x.ty;
                Some(ex(K::Floor(Box::new(x)), ty))
            }
            "最小" | "最大" => {
                if lowered.len() < 2 {
                    arity(self, 2);
                    return None;
                }
                let first = lowered.first()?.ty;
                for (x, a) in lowered.iter().zip(args) {
                    if x.ty != first || !matches!(x.ty, Ty::Num(_)) {
                        let label = format!("这是{}", describe_ty(self.scope, x.ty));
                        self.error(
                            "P0201",
                            a.span,
                            format!("「{}」的参数要是同单位的数", f.node),
                            label,
                            "例如 最小(申请补助月数, 3年)",
                        );
                        return None;
                    }
                }
                let kind = if f.node == "最小" { K::Min(lowered) } else { K::Max(lowered) };
                Some(ex(kind, first))
            }
            "月数差" => {
                if !arity(self, 2) {
                    return None;
                }
                if lowered.iter().any(|x| x.ty != Ty::Date) {
                    self.error(
                        "P0202",
                        span,
                        "「月数差」的两个参数都要是日期".into(),
                        "参数不是日期".into(),
                        "例如 月数差(工商登记日期, 裁定日期)",
                    );
                    return None;
                }
                let mut it = lowered.into_iter();
                let (a, b) = (it.next()?, it.next()?);
                Some(ex(K::MonthsBetween(Box::new(a), Box::new(b)), Ty::Num(Unit::MONTH)))
            }
            other => {
                let listing = format!("可用的函数：{}", FUNCTIONS.join("、"));
                let help = suggest::help_with(other, FUNCTIONS, &listing);
                self.error("P0101", f.span, format!("未知的函数「{other}」"), "未知函数".into(), &help);
                None
            }
        }
    }

    fn tier(&mut self, key: &ast::Expr, arms: &[(ast::TierKey, ast::Expr)]) -> Option<ir::Expr> {
        let k = self.expr(key)?;
        let lowered: Vec<Arm> = arms.iter().map(|(label, e)| (label, self.expr(e), e.span)).collect();
        self.select(key, k, lowered)
    }

    /// `表 行 × 列 { … }`: for each row, a tier over the columns; a tier
    /// over the rows of those. A cell `—` has no standard.
    fn table(
        &mut self,
        (rows, columns): (&ast::Expr, &ast::Expr),
        heads: &[ast::TierKey],
        lines: &[(ast::TierKey, Vec<ast::Spanned<Option<ast::Expr>>>)],
    ) -> Option<ir::Expr> {
        let (row_key, column_key) = (self.expr(rows), self.expr(columns));
        let (row_key, column_key) = (row_key?, column_key?);
        let mut row_arms = Vec::with_capacity(lines.len());
        for (label, cells) in lines {
            if cells.len() != heads.len() {
                self.error(
                    "P0202",
                    label.span(),
                    format!("表的这一行有 {} 格，表头有 {} 列", cells.len(), heads.len()),
                    "格数与表头不符".into(),
                    "每一行的格数与表头的列数相同；没有标准的格写「—」",
                );
                return None;
            }
            let cell_arms: Vec<Arm> = heads
                .iter()
                .zip(cells)
                .map(|(head, cell)| {
                    let lowered = match &cell.node {
                        Some(x) => self.expr(x),
                        None => Some(ex(K::NoStandard, Ty::Bool)),
                    };
                    (head, lowered, cell.span)
                })
                .collect();
            let span = cells.iter().fold(label.span(), |s, c| s.join(c.span));
            let row = self.select(columns, column_key.clone(), cell_arms);
            row_arms.push((label, row, span));
        }
        self.select(rows, row_key, row_arms)
    }

    /// A tier of `k` (the key written as `key`) over `arms`, each a label,
    /// its lowered value (`None` where that failed) and where it is: by
    /// enum values, or by bands of a number. The values are of one type;
    /// a cell of no standard (`—`) takes the others' type.
    fn select(&mut self, key: &ast::Expr, k: ir::Expr, arms: Vec<Arm>) -> Option<ir::Expr> {
        let numeric = match k.ty {
            Ty::Num(unit) => Some(unit),
            Ty::Enum(_) => None,
            other => {
                let what = describe_ty(self.scope, other);
                self.error(
                    "P0202",
                    key.span,
                    format!("「分档」只能按枚举字段或数值分档，这里是{what}"),
                    format!("这是{what}"),
                    "例如 分档 毕业学历 { 本科：500元；大专：300元 }，或 分档 稳岗人数 { 40人以上：10万元；20—39人：7万元 }",
                );
                return None;
            }
        };
        let mut ok = true;
        let mut ty = None;
        let mut values: Vec<(u32, ir::Expr)> = Vec::new();
        let mut bands: Vec<(ir::Band, ir::Expr)> = Vec::new();
        let mut band_spans: Vec<Span> = Vec::new();
        for (label, x, span) in arms {
            let Some(x) = x else {
                ok = false;
                continue;
            };
            if !matches!(x.kind, K::NoStandard) {
                match ty {
                    None => ty = Some(x.ty),
                    Some(t) if t != x.ty => {
                        let (l1, l2) = (describe_ty(self.scope, t), describe_ty(self.scope, x.ty));
                        self.error(
                            "P0201",
                            span,
                            "各档的单位要相同".into(),
                            format!("这是{l2}，前面的档是{l1}"),
                            "例如 本科：500元/人/月；大专：300元/人/月",
                        );
                        return None;
                    }
                    _ => {}
                }
            }
            match (numeric, label) {
                (None, ast::TierKey::Value(name)) => match self.enum_value(&k, key.span, name) {
                    Some(v) => values.push((v, x)),
                    None => ok = false,
                },
                (None, ast::TierKey::Band(b)) => {
                    self.error(
                        "P0202",
                        b.span,
                        "按枚举分档，各档应写取值".into(),
                        "这是数值范围".into(),
                        "数值范围只用于按数值分档，例如 分档 稳岗人数 { 40人以上：10万元 }",
                    );
                    return None;
                }
                (Some(_), ast::TierKey::Value(name)) => {
                    let what = describe_ty(self.scope, k.ty);
                    self.error(
                        "P0202",
                        name.span,
                        format!("按数值分档（{what}），各档应写数值范围"),
                        "这是一个名称".into(),
                        "例如 40人以上、20—39人、10人以下",
                    );
                    ok = false;
                }
                (Some(unit), ast::TierKey::Band(b)) => match self.band(key, unit, b) {
                    Some(band) => {
                        let overlap = bands.iter().zip(&band_spans).find(|((other, _), _)| other.overlaps(&band));
                        if let Some(((other, _), there)) = overlap {
                            self.diags.push(
                                Diagnostic::error("P0207", format!("档「{}」与档「{}」重叠", band.text, other.text))
                                    .at(self.file, b.span, "这一档")
                                    .also(self.file, *there, "与它重叠的档")
                                    .help("各档不能有共同的数：以上、以下都含本数，20—39人 含 20人 和 39人"),
                            );
                            ok = false;
                        } else {
                            band_spans.push(b.span);
                            bands.push((band, x));
                        }
                    }
                    None => ok = false,
                },
            }
        }
        if !ok {
            return None;
        }
        // A table all of whose cells are — has no type: call it a number of 元.
        let ty = ty.unwrap_or(Ty::Num(Unit::YUAN));
        let typed = |mut x: ir::Expr| {
            if matches!(x.kind, K::NoStandard) {
                x.ty = ty;
            }
            x
        };
        let key = Box::new(k);
        Some(match numeric {
            None => ex(K::Tier { key, arms: values.into_iter().map(|(v, x)| (v, typed(x))).collect() }, ty),
            Some(_) => ex(K::Bands { key, bands: bands.into_iter().map(|(b, x)| (b, typed(x))).collect() }, ty),
        })
    }

    /// A band's ends in the key's `unit`.
    fn band(&mut self, key: &ast::Expr, unit: Unit, b: &ast::Band) -> Option<ir::Band> {
        let mut end = |q: &Option<ast::Quantity>| -> Option<Option<Decimal>> {
            let Some(q) = q else { return Some(None) };
            let c = self.quantity(q, b.span)?;
            let (K::Const(Value::Num(n), _), Ty::Num(u)) = (&c.kind, c.ty) else { return None };
            if u != unit && !(q.unit.is_none() && unit.is_none()) {
                self.error(
                    "P0201",
                    b.span,
                    format!("档的单位「{}」与「{}」的单位「{}」不同", show(u), self.text(key.span), show(unit)),
                    "单位不符".into(),
                    "例如 按人数分档写 40人以上、20—39人",
                );
                return None;
            }
            Some(Some(*n))
        };
        let (low, high) = (end(&b.low)?, end(&b.high)?);
        Some(ir::Band { low, high, text: b.text.to_string() })
    }
}

fn show(u: Unit) -> String {
    if u.is_none() {
        "纯数".to_string()
    } else {
        u.to_string()
    }
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

/// Whether `e` may have a negative value: it subtracts, counts months back
/// (`月数差`), or reads a definition that may (`signed_lets`, by index).
/// Facts of a case are never negative.
pub fn may_be_negative(e: &ir::Expr, signed_lets: &[bool]) -> bool {
    let any = |xs: &[ir::Expr]| xs.iter().any(|x| may_be_negative(x, signed_lets));
    match &e.kind {
        K::Const(Value::Num(n), _) => n.is_sign_negative() && !n.is_zero(),
        K::Local(i) => signed_lets.get(*i as usize).copied().unwrap_or(false),
        K::Arith(ArithOp::Sub, _, b) => !matches!(b.kind, K::Const(Value::Num(n), _) if n.is_zero()),
        K::Arith(_, a, b) => may_be_negative(a, signed_lets) || may_be_negative(b, signed_lets),
        K::MonthsBetween(..) => true,
        K::Floor(x) => may_be_negative(x, signed_lets),
        K::Min(xs) => any(xs),
        K::Max(xs) => xs.iter().all(|x| may_be_negative(x, signed_lets)),
        K::Sum { body, .. } => may_be_negative(body, signed_lets),
        K::Tier { arms, .. } => arms.iter().any(|(_, x)| may_be_negative(x, signed_lets)),
        K::Bands { bands, .. } => bands.iter().any(|(_, x)| may_be_negative(x, signed_lets)),
        _ => false,
    }
}
