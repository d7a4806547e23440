//! Evaluating expressions over one case.

use std::borrow::Cow;
use std::cell::OnceCell;

use rust_decimal::{Decimal, RoundingStrategy};

use super::compiled::Count;
use crate::date::Date;
use crate::ir::{self, ArithOp, CmpOp, Expr, ExprKind as K, Let, Program, Record, Ty, Unit, Value};

/// Why an expression has no value: what went wrong, at which expression of
/// the program, and for which list member. Kept as data (no strings) so that
/// a failing condition costs nothing until a message is wanted; see
/// [`Env::fail_words`].
#[derive(Debug, Clone, Copy)]
pub struct Fail<'p> {
    pub kind: FailKind,
    pub expr: &'p Expr,
    /// The list member in scope: (list slot, index).
    pub item: Option<(u32, u32)>,
}

impl FailKind {
    /// A value no tier or band has: a list's member so failing is left out
    /// of a sum, not the whole rule.
    pub fn is_no_tier(self) -> bool {
        matches!(self, FailKind::NoTier(_) | FailKind::NoBand(_) | FailKind::NoStandard)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// A fact the case did not give and that has no default.
    Missing,
    /// A tier key whose value (the enum index) has no tier (研究生 where
    /// only 本科/大专/中专 are set).
    NoTier(u32),
    /// A number (given) in no band of a tier by bands (the failure's
    /// expression is the tier).
    NoBand(Decimal),
    /// A table's cell of no standard (`—`).
    NoStandard,
    /// Decimal overflow.
    Overflow,
    /// A date shifted out of the years 1 to 9999.
    DateOutOfRange,
    /// Division by zero.
    DivideByZero,
}

/// A clause's `设`, computed the first time a rule reads it.
pub type Local<'p> = OnceCell<Result<Value, Fail<'p>>>;

/// What an expression is evaluated against. `'p` is the program, `'e` the
/// case and the clause's computed definitions.
#[derive(Clone, Copy)]
pub struct Env<'e, 'p> {
    pub program: &'p Program,
    pub date: Date,
    pub subject: &'e Record,
    /// The clause's definitions and, index for index, their values and
    /// compiled forms.
    pub lets: &'p [Let],
    pub locals: &'e [Local<'p>],
    pub compiled: &'e [Option<Count<'p>>],
    /// The list member in scope inside 计数/合计: (member, list slot, index).
    pub item: Option<(&'e Record, u32, u32)>,
}

fn num(v: &Value) -> Decimal {
    match v {
        Value::Num(n) => *n,
        _ => Decimal::ZERO,
    }
}

/// `x.cmp(&y)`, comparing the integers when the scales agree (whole
/// numbers of people, months, yuan).
#[inline]
pub(super) fn order(x: Decimal, y: Decimal) -> std::cmp::Ordering {
    if x.scale() == y.scale() {
        x.mantissa().cmp(&y.mantissa())
    } else {
        x.cmp(&y)
    }
}

/// 且 (`decisive` false) or 或 (`decisive` true) over the parts' values,
/// worked out in order until one decides: a part with the decisive value
/// settles it even when an earlier part's fact is missing; otherwise the
/// first missing fact is the error. Compiled conditions keep the same rule.
#[inline]
pub(super) fn junction<E>(parts: impl IntoIterator<Item = Result<bool, E>>, decisive: bool) -> Result<bool, E> {
    let mut missing = None;
    for part in parts {
        match part {
            Ok(v) if v == decisive => return Ok(decisive),
            Ok(_) => {}
            Err(e) => missing = missing.or(Some(e)),
        }
    }
    missing.map_or(Ok(!decisive), Err)
}

/// `⌊a ÷ b⌋` for whole non-negative `a` and positive `b` (`向下取整(合格人数 ÷
/// 10人)`), by integer division; `None` for any other pair.
fn whole_quotient(a: Decimal, b: Decimal) -> Option<Decimal> {
    if a.scale() != 0 || b.scale() != 0 || a.is_sign_negative() || b.is_sign_negative() {
        return None;
    }
    let (a, b) = (u64::try_from(a.mantissa()).ok()?, u64::try_from(b.mantissa()).ok()?);
    Some(Decimal::from(a.checked_div(b)?))
}

fn date(v: &Value) -> Option<Date> {
    match v {
        Value::Date(d) => Some(*d),
        _ => None,
    }
}

/// Money is kept exact during evaluation and rounded once, at the end, to
/// the fen (0.01 元), half away from zero.
pub fn round_money(d: Decimal) -> Decimal {
    if is_plain_whole(d) {
        return d;
    }
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// A number written without a fraction, which rounding and normalizing
/// leave as it is, bit for bit: most amounts, counts and months.
fn is_plain_whole(d: Decimal) -> bool {
    d.scale() == 0
}

impl<'e, 'p> Env<'e, 'p> {
    fn fail(&self, kind: FailKind, expr: &'p Expr) -> Fail<'p> {
        Fail { kind, expr, item: self.item.map(|(_, list, index)| (list, index)) }
    }

    fn slot_path(&self, slot: u32) -> String {
        self.program.vocabulary.slot_paths.get(slot as usize).cloned().unwrap_or_default()
    }

    /// `主体.吸纳人员[3].劳动合同月数` for a member's slot.
    fn item_path(&self, slot: u32, item: Option<(u32, u32)>) -> String {
        let Some((list_slot, index)) = item else { return String::new() };
        let list = self.program.vocabulary.subject.fields.iter().find_map(|f| match f.kind {
            crate::ir::FieldKind::List { slot, list } if slot == list_slot => Some(list),
            _ => None,
        });
        let field = list
            .and_then(|l| self.program.vocabulary.lists.get(l as usize))
            .and_then(|l| l.slot_paths.get(slot as usize))
            .cloned()
            .unwrap_or_default();
        field.replacen("[]", &format!("[{index}]"), 1)
    }

    /// Words for a failure: `缺少事实「主体.年龄」`.
    pub fn fail_words(&self, f: &Fail) -> String {
        match f.kind {
            FailKind::Missing => {
                let what = match f.expr.kind {
                    K::Slot(s) => self.slot_path(s),
                    K::ItemSlot(s) => self.item_path(s, f.item),
                    _ => self.describe(f.expr, f.item),
                };
                format!("缺少事实「{what}」")
            }
            FailKind::NoTier(value) => {
                let name = match f.expr.ty {
                    Ty::Enum(id) => self
                        .program
                        .vocabulary
                        .enums
                        .get(id as usize)
                        .and_then(|en| en.values.get(value as usize))
                        .cloned()
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                format!("{}为「{name}」，本条未规定该档标准", self.describe(f.expr, f.item))
            }
            FailKind::NoBand(n) => {
                let K::Bands { key, bands } = &f.expr.kind else { return String::new() };
                let shown = match key.ty {
                    Ty::Num(u) => show_number(n, u),
                    _ => n.to_string(),
                };
                let texts: Vec<&str> = bands.iter().map(|(b, _)| b.text.as_str()).collect();
                format!("{}为 {shown}，不在本条规定的档次中（{}）", self.describe(key, f.item), texts.join("、"))
            }
            FailKind::NoStandard => "本条的表对这一档未规定标准（表中为「—」）".to_string(),
            FailKind::Overflow => format!("「{}」计算溢出", self.describe(f.expr, f.item)),
            FailKind::DateOutOfRange => format!("「{}」得出的日期超出范围", self.describe(f.expr, f.item)),
            FailKind::DivideByZero => format!("「{}」除数为零", self.describe(f.expr, f.item)),
        }
    }

    pub fn eval(&self, e: &'p Expr) -> Result<Value, Fail<'p>> {
        Ok(match &e.kind {
            K::Const(v, _) => v.clone(),
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read(e)?.clone(),
            K::CaseDate => Value::Date(self.date),
            K::Not(x) => Value::Bool(!self.truth(x)?),
            K::And(xs) => Value::Bool(self.junction(xs, false)?),
            K::Or(xs) => Value::Bool(self.junction(xs, true)?),
            K::Arith(..) | K::Floor(_) | K::Min(_) | K::Max(_) | K::Count { .. } | K::Sum { .. } => {
                Value::Num(self.number(e)?)
            }
            K::Compare(..) | K::EnumIn { .. } => Value::Bool(self.truth(e)?),
            K::MonthsBetween(a, b) => {
                let (x, y) = (date(&self.eval(a)?), date(&self.eval(b)?));
                match (x, y) {
                    (Some(x), Some(y)) => Value::Num(Decimal::from(x.whole_months_until(y))),
                    _ => return Err(self.fail(FailKind::Missing, e)),
                }
            }
            K::AddMonths(a, n) | K::AddDays(a, n) => {
                let d = date(&self.eval(a)?).ok_or_else(|| self.fail(FailKind::Missing, e))?;
                let n = self.number(n)?;
                let whole = i64::try_from(n.trunc().mantissa() / 10i128.pow(n.trunc().scale())).ok();
                let r = match (whole, matches!(e.kind, K::AddMonths(..))) {
                    (Some(n), true) => d.add_months(n),
                    (Some(n), false) => d.add_days(n),
                    (None, _) => None,
                };
                Value::Date(r.ok_or_else(|| self.fail(FailKind::DateOutOfRange, e))?)
            }
            K::Tier { key, arms } => self.eval(self.tier(key, arms)?)?,
            K::Bands { key, bands } => self.eval(self.band(e, key, bands)?)?,
            K::NoStandard => return Err(self.fail(FailKind::NoStandard, e)),
        })
    }

    /// The arm of a tier by bands that the key's value falls in.
    fn band(&self, tier: &'p Expr, key: &'p Expr, bands: &'p [(ir::Band, Expr)]) -> Result<&'p Expr, Fail<'p>> {
        let n = self.number(key)?;
        match bands.iter().find(|(b, _)| b.contains(n)) {
            Some((_, x)) => Ok(x),
            None => Err(self.fail(FailKind::NoBand(n), tier)),
        }
    }

    /// The arm of a tier that the key's value selects.
    fn tier(&self, key: &'p Expr, arms: &'p [(u32, Expr)]) -> Result<&'p Expr, Fail<'p>> {
        let Value::Enum(i) = *self.read_or_eval(key)? else { return Err(self.fail(FailKind::Missing, key)) };
        match arms.iter().find(|(v, _)| *v == i) {
            Some((_, x)) => Ok(x),
            None => Err(self.fail(FailKind::NoTier(i), key)),
        }
    }

    /// The members that sums in `e` (or in the definitions it reads) left
    /// out for being in no tier, each with why: for reasons.
    pub fn left_out(&self, e: &'p Expr, out: &mut Vec<String>) {
        match &e.kind {
            K::Sum { list, body, filter } => {
                for (i, member) in self.members(*list).iter().enumerate() {
                    let env = self.with_item(member, *list, i);
                    if filter.as_ref().is_some_and(|f| !matches!(env.truth(f), Ok(true))) {
                        continue;
                    }
                    if let Err(f) = env.number(body) {
                        if f.kind.is_no_tier() {
                            let path = format!("{}[{i}]", self.slot_path(*list));
                            out.push(format!("{path}（{}）", env.fail_words(&f)));
                        }
                    }
                }
            }
            K::Local(i) => {
                if let Some(l) = self.lets.get(*i as usize) {
                    self.left_out(&l.expr, out);
                }
            }
            K::Arith(_, a, b)
            | K::Compare(_, a, b)
            | K::MonthsBetween(a, b)
            | K::AddMonths(a, b)
            | K::AddDays(a, b) => {
                self.left_out(a, out);
                self.left_out(b, out);
            }
            K::Not(x) | K::Floor(x) => self.left_out(x, out),
            K::And(xs) | K::Or(xs) | K::Min(xs) | K::Max(xs) => xs.iter().for_each(|x| self.left_out(x, out)),
            K::Tier { arms, .. } => arms.iter().for_each(|(_, x)| self.left_out(x, out)),
            K::Bands { bands, .. } => bands.iter().for_each(|(_, x)| self.left_out(x, out)),
            _ => {}
        }
    }

    /// A short description of an expression for messages: the field's
    /// name, or the literal text; `item` is the list member in scope.
    pub fn describe(&self, e: &Expr, item: Option<(u32, u32)>) -> String {
        let slot_name =
            |path: Option<&String>| path.map(|p| p.strip_prefix("主体.").unwrap_or(p).to_string()).unwrap_or_default();
        match &e.kind {
            K::Const(_, t) => t.clone(),
            K::Slot(s) => slot_name(self.program.vocabulary.slot_paths.get(*s as usize)),
            K::ItemSlot(s) => self.item_path(*s, item),
            K::Arith(op, a, b) => {
                let side = |x: &Expr, right| {
                    let shown = self.describe(x, item);
                    if bracketed(*op, x, right) {
                        format!("({shown})")
                    } else {
                        shown
                    }
                };
                format!("{} {} {}", side(a, false), op_symbol(*op), side(b, true))
            }
            K::Floor(x) => format!("向下取整({})", self.describe(x, item)),
            K::Min(xs) | K::Max(xs) => {
                let name = if matches!(e.kind, K::Min(_)) { "最小" } else { "最大" };
                let parts: Vec<String> = xs.iter().map(|x| self.describe(x, item)).collect();
                format!("{name}({})", parts.join(", "))
            }
            K::Count { .. } => "计数".to_string(),
            K::Tier { .. } | K::Bands { .. } => "分档".to_string(),
            K::Sum { .. } => "合计".to_string(),
            K::Local(i) => self.lets.get(*i as usize).map_or_else(|| "定义".to_string(), |l| l.name.clone()),
            K::CaseDate => "裁定日期".to_string(),
            K::MonthsBetween(a, b) => format!("月数差({}, {})", self.describe(a, item), self.describe(b, item)),
            // `日期 - n` is kept as `日期 + (0 - n)`.
            K::AddMonths(date, n) | K::AddDays(date, n) => match &n.kind {
                K::Arith(ArithOp::Sub, zero, m) if matches!(zero.kind, K::Const(Value::Num(z), _) if z.is_zero()) => {
                    format!("{} - {}", self.describe(date, item), self.describe(m, item))
                }
                _ => format!("{} + {}", self.describe(date, item), self.describe(n, item)),
            },
            _ => "表达式".to_string(),
        }
    }

    fn junction(&self, parts: &'p [Expr], decisive: bool) -> Result<bool, Fail<'p>> {
        junction(parts.iter().map(|x| self.truth(x)), decisive)
    }

    /// A condition's value, read straight from the case without building a
    /// [`Value`].
    pub fn truth(&self, e: &'p Expr) -> Result<bool, Fail<'p>> {
        match &e.kind {
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => Ok(matches!(self.read(e)?, Value::Bool(true))),
            K::Const(v, _) => Ok(matches!(v, Value::Bool(true))),
            K::Not(x) => Ok(!self.truth(x)?),
            K::And(xs) => self.junction(xs, false),
            K::Or(xs) => self.junction(xs, true),
            K::Compare(op, a, b) => {
                use std::cmp::Ordering::*;
                let ord = self.ordering(a, b)?;
                Ok(match op {
                    CmpOp::Ge => ord != Less,
                    CmpOp::Le => ord != Greater,
                    CmpOp::Gt => ord == Greater,
                    CmpOp::Lt => ord == Less,
                    CmpOp::Eq => ord == Equal,
                    CmpOp::Ne => ord != Equal,
                })
            }
            K::EnumIn { expr, values, negated } => {
                let v = self.read_or_eval(expr)?;
                let hit = matches!(*v, Value::Enum(i) if values.contains(&i));
                Ok(hit != *negated)
            }
            K::Tier { key, arms } => self.truth(self.tier(key, arms)?),
            K::Bands { key, bands } => self.truth(self.band(e, key, bands)?),
            _ => Ok(matches!(self.eval(e)?, Value::Bool(true))),
        }
    }

    /// A number's value, computed without building a [`Value`]. Constants
    /// and values read are taken here; the rest in [`Env::compute`].
    #[inline]
    pub fn number(&self, e: &'p Expr) -> Result<Decimal, Fail<'p>> {
        match &e.kind {
            K::Const(v, _) => Ok(num(v)),
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read_number(e),
            _ => self.compute(e),
        }
    }

    /// [`Env::number`] of an expression that computes.
    fn compute(&self, e: &'p Expr) -> Result<Decimal, Fail<'p>> {
        let overflow = || self.fail(FailKind::Overflow, e);
        Ok(match &e.kind {
            K::Const(v, _) => num(v),
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read_number(e)?,
            K::Arith(op, a, b) => {
                let (x, y) = (self.number(a)?, self.number(b)?);
                let r = match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div => return self.quotient(e, x, y),
                };
                r.ok_or_else(overflow)?
            }
            K::Floor(x) => match &x.kind {
                K::Arith(ArithOp::Div, a, b) => {
                    let (a, b) = (self.number(a)?, self.number(b)?);
                    match whole_quotient(a, b) {
                        Some(q) => q,
                        None => self.quotient(x, a, b)?.floor(),
                    }
                }
                _ => self.number(x)?.floor(),
            },
            K::Min(xs) | K::Max(xs) => {
                let min = matches!(e.kind, K::Min(_));
                let mut best: Option<Decimal> = None;
                for x in xs {
                    let v = self.number(x)?;
                    best = Some(match best {
                        None => v,
                        Some(b) if min => b.min(v),
                        Some(b) => b.max(v),
                    });
                }
                best.unwrap_or_default()
            }
            K::Count { list, filter } => {
                let mut n = 0u64;
                for (i, member) in self.members(*list).iter().enumerate() {
                    let keep = match filter {
                        None => true,
                        Some(f) => self.with_item(member, *list, i).truth(f)?,
                    };
                    n += u64::from(keep);
                }
                Decimal::from(n)
            }
            K::Sum { list, body, filter } => {
                let mut total = Decimal::ZERO;
                for (i, member) in self.members(*list).iter().enumerate() {
                    let env = self.with_item(member, *list, i);
                    if let Some(f) = filter {
                        if !env.truth(f)? {
                            continue;
                        }
                    }
                    // A member in no tier adds nothing ([`Env::left_out`] says which).
                    let value = match env.number(body) {
                        Err(f) if f.kind.is_no_tier() => continue,
                        value => value?,
                    };
                    total = total.checked_add(value).ok_or_else(overflow)?;
                }
                total
            }
            K::Tier { key, arms } => self.number(self.tier(key, arms)?)?,
            K::Bands { key, bands } => self.number(self.band(e, key, bands)?)?,
            _ => num(&self.eval(e)?),
        })
    }

    /// A definition's value, computed on first use. A definition reads only
    /// the ones before it, so computing it cannot come back to itself.
    pub fn local(&self, i: u32) -> Option<&'e Result<Value, Fail<'p>>> {
        let i = i as usize;
        let cell = self.locals.get(i)?;
        let expr = &self.lets.get(i)?.expr;
        Some(cell.get_or_init(|| {
            if let Some(Some(count)) = self.compiled.get(i) {
                return count.run(self.subject).map(Value::Num);
            }
            let before = Env {
                lets: self.lets.get(..i).unwrap_or_default(),
                locals: self.locals.get(..i).unwrap_or_default(),
                compiled: self.compiled.get(..i).unwrap_or_default(),
                item: None,
                ..*self
            };
            before.eval(expr)
        }))
    }

    /// The value in a slot or definition, borrowed; a missing fact is an error.
    #[inline]
    fn read(&self, e: &'p Expr) -> Result<&'e Value, Fail<'p>> {
        let v = match &e.kind {
            K::Slot(s) => self.subject.get(*s),
            K::ItemSlot(s) => self.item.map_or(&Value::Missing, |(r, _, _)| r.get(*s)),
            K::Local(i) => match self.local(*i) {
                Some(Ok(v)) => v,
                Some(Err(f)) => return Err(*f),
                None => &Value::Missing,
            },
            _ => &Value::Missing,
        };
        if matches!(v, Value::Missing) {
            return Err(self.fail(FailKind::Missing, e));
        }
        Ok(v)
    }

    /// `x ÷ y`, the value of `e`: dividing by zero and overflowing are its
    /// failures.
    fn quotient(&self, e: &'p Expr, x: Decimal, y: Decimal) -> Result<Decimal, Fail<'p>> {
        if y.is_zero() {
            return Err(self.fail(FailKind::DivideByZero, e));
        }
        x.checked_div(y).ok_or_else(|| self.fail(FailKind::Overflow, e))
    }

    /// The number in a slot or definition; a missing fact is an error.
    #[inline]
    pub fn read_number(&self, e: &'p Expr) -> Result<Decimal, Fail<'p>> {
        self.read(e).map(num)
    }

    fn read_or_eval(&self, e: &'p Expr) -> Result<Cow<'e, Value>, Fail<'p>> {
        match &e.kind {
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read(e).map(Cow::Borrowed),
            _ => self.eval(e).map(Cow::Owned),
        }
    }

    /// How two comparable values order: numbers, dates or booleans.
    fn ordering(&self, a: &'p Expr, b: &'p Expr) -> Result<std::cmp::Ordering, Fail<'p>> {
        if matches!(a.ty, Ty::Num(_)) {
            return Ok(order(self.number(a)?, self.number(b)?));
        }
        let (x, y) = (self.read_or_eval(a)?, self.read_or_eval(b)?);
        Ok(match (&*x, &*y) {
            (Value::Num(p), Value::Num(q)) => p.cmp(q),
            (Value::Date(p), Value::Date(q)) => p.cmp(q),
            (Value::Bool(p), Value::Bool(q)) => p.cmp(q),
            _ => std::cmp::Ordering::Equal,
        })
    }

    fn members(&self, list_slot: u32) -> &'e [Record] {
        match self.subject.get(list_slot) {
            Value::List(items) => items,
            _ => &[],
        }
    }

    fn with_item(&self, item: &'e Record, list_slot: u32, index: usize) -> Env<'e, 'p> {
        Env { item: Some((item, list_slot, index as u32)), ..*self }
    }

    /// The expression written out with the case's values in place of names:
    /// `1000元/人 × 合格人数` becomes `1000元/人 × 25人`.
    pub fn render(&self, e: &'p Expr) -> String {
        let mut out = String::with_capacity(64);
        self.render_into(&mut out, e);
        out
    }

    /// [`Env::render`], appended to `out`.
    pub fn render_into(&self, out: &mut String, e: &'p Expr) {
        match &e.kind {
            K::Const(_, text) => out.push_str(text),
            K::Arith(op, a, b) => {
                for (i, x) in [a, b].into_iter().enumerate() {
                    if i == 1 {
                        out.push(' ');
                        out.push_str(op_symbol(*op));
                        out.push(' ');
                    }
                    let bracket = bracketed(*op, x, i == 1);
                    if bracket {
                        out.push('(');
                    }
                    self.render_into(out, x);
                    if bracket {
                        out.push(')');
                    }
                }
            }
            K::Floor(x) => {
                out.push_str("向下取整(");
                self.render_into(out, x);
                out.push(')');
            }
            K::Min(xs) | K::Max(xs) => {
                out.push_str(if matches!(e.kind, K::Min(_)) { "最小(" } else { "最大(" });
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.render_into(out, x);
                }
                out.push(')');
            }
            _ => match self.eval(e) {
                Ok(v) => write_value(out, self.program, &v, e.ty),
                Err(_) => out.push('？'),
            },
        }
    }
}

/// Whether the operand `x` of `op` is written in brackets: a sum or
/// difference in a product or quotient, and, on the right, anything of the
/// same rank but a product after a product or a sum after a sum
/// (`a - (b - c)`, `a ÷ (b × c)`).
fn bracketed(op: ArithOp, x: &Expr, right: bool) -> bool {
    let rank = |op: ArithOp| u8::from(matches!(op, ArithOp::Mul | ArithOp::Div));
    let K::Arith(inner, ..) = x.kind else { return false };
    match rank(inner).cmp(&rank(op)) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Equal => right && !(matches!(op, ArithOp::Add | ArithOp::Mul) && inner == op),
        std::cmp::Ordering::Greater => false,
    }
}

/// A value as an analyst reads it: `25人`, `12个月`, `是`, `2023-05-10`, `企业`.
pub fn show_value(program: &Program, v: &Value, ty: Ty) -> String {
    let mut out = String::new();
    write_value(&mut out, program, v, ty);
    out
}

/// [`show_value`], appended to `out`.
pub fn write_value(out: &mut String, program: &Program, v: &Value, ty: Ty) {
    use std::fmt::Write as _;
    match (v, ty) {
        (Value::Num(n), Ty::Num(u)) => write_number(out, *n, u),
        (Value::Num(n), _) => write_decimal(out, n.normalize()),
        (Value::Bool(b), _) => out.push_str(if *b { "是" } else { "否" }),
        (Value::Date(d), _) => out.push_str(d.iso().as_str()),
        (Value::Enum(i), Ty::Enum(id)) => {
            let name = program.vocabulary.enums.get(id as usize).and_then(|e| e.values.get(*i as usize));
            out.push_str(name.map_or("", String::as_str));
        }
        (Value::Text(t), _) => out.push_str(t),
        (Value::Missing, _) => out.push_str("未提供"),
        (Value::List(items), _) => {
            let _ = write!(out, "{}项", items.len());
        }
        (Value::Enum(i), _) => {
            let _ = write!(out, "{i}");
        }
    }
}

pub fn show_number(n: Decimal, u: Unit) -> String {
    let mut out = String::new();
    write_number(&mut out, n, u);
    out
}

fn write_number(out: &mut String, n: Decimal, u: Unit) {
    let n = match u {
        _ if is_plain_whole(n) => n,
        Unit::YUAN => round_money(n),
        _ => n.round_dp(4).normalize(),
    };
    write_decimal(out, n);
    let _ = u.write(out);
}

/// `n` as its `Display` writes it; whole numbers (most amounts and counts)
/// without going through the formatter.
pub fn write_decimal(out: &mut String, n: Decimal) {
    match u64::try_from(n.mantissa().unsigned_abs()) {
        Ok(mut m) if n.scale() == 0 => {
            if n.is_sign_negative() {
                out.push('-');
            }
            let mut digits = [0u8; 20];
            let mut start = digits.len();
            loop {
                start -= 1;
                if let Some(d) = digits.get_mut(start) {
                    *d = b'0' + (m % 10) as u8;
                }
                m /= 10;
                if m == 0 || start == 0 {
                    break;
                }
            }
            out.push_str(std::str::from_utf8(digits.get(start..).unwrap_or_default()).unwrap_or_default());
        }
        _ => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
    }
}

fn op_symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "×",
        ArithOp::Div => "÷",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal::Decimal;

    /// The same text as `Display`, for whole numbers, fractions, signs,
    /// negative zero and mantissas past 64 bits.
    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut values: Vec<Decimal> =
            ["0", "-0", "7", "-7", "10", "25000", "-200000", "0.5", "-12.25", "1.0", "18446744073709551615"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
        values.extend([Decimal::MAX, Decimal::MIN, Decimal::new(0, 3), Decimal::new(-0, 2), -Decimal::ZERO]);
        values.push(Decimal::from_i128_with_scale(18_446_744_073_709_551_616, 0));
        for n in values {
            let mut out = String::from("x");
            super::write_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"), "{n:?}");
        }
    }

    /// Numbers without a fraction skip rounding and normalizing: the
    /// result is the same, bit for bit, and written the same.
    #[test]
    fn whole_numbers_round_to_themselves() {
        use rust_decimal::RoundingStrategy;
        let values = ["0", "-0", "7", "-7", "1.0", "0.5", "1.005", "-2.675", "12.50", "3.14159", "100.000", "20000"];
        for s in values {
            let n: Decimal = s.parse().unwrap();
            let slow = n.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize();
            assert_eq!(super::round_money(n).serialize(), slow.serialize(), "{s}");
            for unit in [crate::ir::Unit::YUAN, crate::ir::Unit::PERSON] {
                let rounded = if unit == crate::ir::Unit::YUAN { slow } else { n.round_dp(4).normalize() };
                assert_eq!(super::show_number(n, unit), format!("{rounded}{}", unit_text(unit)), "{s}");
            }
        }
    }

    /// `⌊a ÷ b⌋` by integer division is `checked_div` then `floor`, bit
    /// for bit, where it applies; it declines fractions, signs, zero
    /// divisors and mantissas past 64 bits. `order` is `cmp`.
    #[test]
    fn whole_quotients_and_orderings_are_decimals_own() {
        let values =
            ["0", "-0", "1", "7", "9", "10", "25", "219", "200000", "18446744073709551615", "-7", "2.5", "10.0"];
        let mut applied = 0;
        for a in values {
            for b in values {
                let (x, y): (Decimal, Decimal) = (a.parse().unwrap(), b.parse().unwrap());
                assert_eq!(super::order(x, y), x.cmp(&y), "{a} against {b}");
                match super::whole_quotient(x, y) {
                    Some(q) => {
                        applied += 1;
                        let slow = x.checked_div(y).unwrap().floor();
                        assert_eq!(q.serialize(), slow.serialize(), "{a} ÷ {b}");
                    }
                    None => {
                        let whole =
                            |d: Decimal| d.scale() == 0 && !d.is_sign_negative() && d.mantissa() <= u64::MAX.into();
                        assert!(!whole(x) || !whole(y) || y.is_zero(), "{a} ÷ {b} declined");
                    }
                }
            }
        }
        assert!(applied >= 40, "{applied}");
    }

    fn unit_text(unit: crate::ir::Unit) -> String {
        let mut out = String::new();
        unit.write(&mut out).unwrap();
        out
    }
}
