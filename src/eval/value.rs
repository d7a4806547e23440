//! Evaluating expressions over one case.

use std::borrow::Cow;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::date::Date;
use crate::ir::{ArithOp, CmpOp, Expr, ExprKind as K, Program, Record, Ty, Unit, Value};

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Fail {
    /// A fact the case did not give and that has no default (a slot path).
    Missing(String),
    /// A tier key whose value has no tier (研究生 where only 本科/大专/中专 are set).
    NoTier(String),
    /// Decimal overflow or an impossible date, naming the expression.
    Overflow(String),
    /// Division by zero, naming the expression.
    DivideByZero(String),
}

pub struct Env<'a> {
    pub program: &'a Program,
    pub date: Date,
    pub subject: &'a Record,
    pub locals: &'a [Result<Value, Fail>],
    /// The list member in scope inside 计数/合计: (member, list slot, index).
    pub item: Option<(&'a Record, u32, usize)>,
}

fn num(v: &Value) -> Decimal {
    match v {
        Value::Num(n) => *n,
        _ => Decimal::ZERO,
    }
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
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

impl Env<'_> {
    fn slot_path(&self, slot: u32) -> String {
        self.program.vocabulary.slot_paths.get(slot as usize).cloned().unwrap_or_default()
    }

    fn item_path(&self, slot: u32) -> String {
        let Some((_, list_slot, index)) = self.item else { return String::new() };
        let list = self.program.vocabulary.subject.fields.iter().find_map(|f| match f.kind {
            crate::ir::FieldKind::List { slot, list } if slot == list_slot => Some(list),
            _ => None,
        });
        let field = list
            .and_then(|l| self.program.vocabulary.lists.get(l as usize))
            .and_then(|l| l.slot_paths.get(slot as usize))
            .cloned()
            .unwrap_or_default();
        // `主体.吸纳人员[].劳动合同月数` → `主体.吸纳人员[3].劳动合同月数`
        field.replacen("[]", &format!("[{index}]"), 1)
    }

    pub fn eval(&self, e: &Expr) -> Result<Value, Fail> {
        Ok(match &e.kind {
            K::Const(v, _) => v.clone(),
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read(e)?.clone(),
            K::CaseDate => Value::Date(self.date),
            K::Not(x) => Value::Bool(!self.truth(x)?),
            K::And(xs) => Value::Bool(self.junction(xs, false)?),
            K::Or(xs) => Value::Bool(self.junction(xs, true)?),
            K::Arith(op, a, b) => {
                let (x, y) = (self.number(a)?, self.number(b)?);
                let r = match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div => {
                        if y.is_zero() {
                            return Err(Fail::DivideByZero(self.describe(e)));
                        }
                        x.checked_div(y)
                    }
                };
                Value::Num(r.ok_or_else(|| Fail::Overflow(self.describe(e)))?)
            }
            K::Compare(..) | K::EnumIn { .. } => Value::Bool(self.truth(e)?),
            K::Floor(x) => Value::Num(num(&self.eval(x)?).floor()),
            K::Min(xs) | K::Max(xs) => {
                let mut best: Option<Decimal> = None;
                for x in xs {
                    let v = num(&self.eval(x)?);
                    best = Some(match (best, matches!(e.kind, K::Min(_))) {
                        (None, _) => v,
                        (Some(b), true) => b.min(v),
                        (Some(b), false) => b.max(v),
                    });
                }
                Value::Num(best.unwrap_or_default())
            }
            K::MonthsBetween(a, b) => {
                let (x, y) = (date(&self.eval(a)?), date(&self.eval(b)?));
                match (x, y) {
                    (Some(x), Some(y)) => Value::Num(Decimal::from(x.whole_months_until(y))),
                    _ => return Err(Fail::Missing(self.describe(e))),
                }
            }
            K::AddMonths(a, n) | K::AddDays(a, n) => {
                let d = date(&self.eval(a)?).ok_or_else(|| Fail::Missing(self.describe(e)))?;
                let n = num(&self.eval(n)?);
                let whole = i64::try_from(n.trunc().mantissa() / 10i128.pow(n.trunc().scale())).ok();
                let r = match (whole, matches!(e.kind, K::AddMonths(..))) {
                    (Some(n), true) => d.add_months(n),
                    (Some(n), false) => d.add_days(n),
                    (None, _) => None,
                };
                Value::Date(r.ok_or_else(|| Fail::Overflow(self.describe(e)))?)
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
                Value::Num(Decimal::from(n))
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
                    total = total.checked_add(num(&env.eval(body)?)).ok_or_else(|| Fail::Overflow(self.describe(e)))?;
                }
                Value::Num(total)
            }
            K::Tier { key, arms } => {
                let k = self.eval(key)?;
                let Value::Enum(i) = k else { return Err(Fail::Missing(self.describe(key))) };
                match arms.iter().find(|(v, _)| *v == i) {
                    Some((_, x)) => self.eval(x)?,
                    None => {
                        let name = match key.ty {
                            Ty::Enum(id) => self
                                .program
                                .vocabulary
                                .enums
                                .get(id as usize)
                                .and_then(|en| en.values.get(i as usize))
                                .cloned()
                                .unwrap_or_default(),
                            _ => String::new(),
                        };
                        return Err(Fail::NoTier(format!("{}为「{name}」", self.describe(key))));
                    }
                }
            }
        })
    }

    /// A short description of an expression for messages: the field's
    /// name, or the literal text.
    pub fn describe(&self, e: &Expr) -> String {
        let slot_name =
            |path: Option<&String>| path.map(|p| p.strip_prefix("主体.").unwrap_or(p).to_string()).unwrap_or_default();
        match &e.kind {
            K::Const(_, t) => t.clone(),
            K::Slot(s) => slot_name(self.program.vocabulary.slot_paths.get(*s as usize)),
            K::ItemSlot(s) => self.item_path(*s),
            K::Arith(..) | K::Floor(_) | K::Min(_) | K::Max(_) => self.render_names(e),
            K::Count { .. } => "计数".to_string(),
            K::Sum { .. } => "合计".to_string(),
            _ => "表达式".to_string(),
        }
    }

    fn render_names(&self, e: &Expr) -> String {
        match &e.kind {
            K::Arith(op, a, b) => format!("{} {} {}", self.render_names(a), op_symbol(*op), self.render_names(b)),
            _ => self.describe(e),
        }
    }

    /// 且 (`decisive` false) or 或 (`decisive` true): a part with the
    /// decisive value settles it even when another part's fact is missing.
    fn junction(&self, parts: &[Expr], decisive: bool) -> Result<bool, Fail> {
        let mut missing = None;
        for x in parts {
            match self.truth(x) {
                Ok(v) if v == decisive => return Ok(decisive),
                Ok(_) => {}
                Err(f) => missing = missing.or(Some(f)),
            }
        }
        match missing {
            Some(f) => Err(f),
            None => Ok(!decisive),
        }
    }

    /// A condition's value. The common shapes are read straight from the
    /// case, without building a [`Value`].
    pub fn truth(&self, e: &Expr) -> Result<bool, Fail> {
        match &e.kind {
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => Ok(matches!(self.read(e)?, Value::Bool(true))),
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
                let hit = matches!(v.as_ref(), Value::Enum(i) if values.contains(i));
                Ok(hit != *negated)
            }
            _ => Ok(matches!(self.eval(e)?, Value::Bool(true))),
        }
    }

    /// A number's value, read straight from the case where it can be.
    pub fn number(&self, e: &Expr) -> Result<Decimal, Fail> {
        match &e.kind {
            K::Const(Value::Num(n), _) => Ok(*n),
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => Ok(num(self.read(e)?)),
            _ => Ok(num(&self.eval(e)?)),
        }
    }

    /// The value in a slot or definition, borrowed; a missing fact is an error.
    fn read(&self, e: &Expr) -> Result<&Value, Fail> {
        let v = match &e.kind {
            K::Slot(s) => self.subject.get(*s),
            K::ItemSlot(s) => self.item.map_or(&Value::Missing, |(r, _, _)| r.get(*s)),
            K::Local(i) => match self.locals.get(*i as usize) {
                Some(Ok(v)) => v,
                Some(Err(f)) => return Err(f.clone()),
                None => &Value::Missing,
            },
            _ => &Value::Missing,
        };
        if matches!(v, Value::Missing) {
            return Err(match &e.kind {
                K::Slot(s) => Fail::Missing(self.slot_path(*s)),
                K::ItemSlot(s) => Fail::Missing(self.item_path(*s)),
                _ => Fail::Missing(self.describe(e)),
            });
        }
        Ok(v)
    }

    fn read_or_eval(&self, e: &Expr) -> Result<Cow<'_, Value>, Fail> {
        match &e.kind {
            K::Slot(_) | K::ItemSlot(_) | K::Local(_) => self.read(e).map(Cow::Borrowed),
            _ => self.eval(e).map(Cow::Owned),
        }
    }

    /// How two comparable values order: numbers, dates or booleans.
    fn ordering(&self, a: &Expr, b: &Expr) -> Result<std::cmp::Ordering, Fail> {
        if matches!(a.ty, Ty::Num(_)) {
            return Ok(self.number(a)?.cmp(&self.number(b)?));
        }
        let (x, y) = (self.read_or_eval(a)?, self.read_or_eval(b)?);
        Ok(match (x.as_ref(), y.as_ref()) {
            (Value::Num(p), Value::Num(q)) => p.cmp(q),
            (Value::Date(p), Value::Date(q)) => p.cmp(q),
            (Value::Bool(p), Value::Bool(q)) => p.cmp(q),
            _ => std::cmp::Ordering::Equal,
        })
    }

    fn members(&self, list_slot: u32) -> &[Record] {
        match self.subject.get(list_slot) {
            Value::List(items) => items,
            _ => &[],
        }
    }

    fn with_item<'b>(&'b self, item: &'b Record, list_slot: u32, index: usize) -> Env<'b> {
        Env {
            program: self.program,
            date: self.date,
            subject: self.subject,
            locals: self.locals,
            item: Some((item, list_slot, index)),
        }
    }

    /// The expression written out with the case's values in place of names:
    /// `1000元/人 × 合格人数` becomes `1000元/人 × 25人`.
    pub fn render(&self, e: &Expr) -> String {
        match &e.kind {
            K::Const(_, text) => text.clone(),
            K::Arith(op, a, b) => {
                let sym = op_symbol(*op);
                let side = |x: &Expr| {
                    let s = self.render(x);
                    let low = matches!(x.kind, K::Arith(ArithOp::Add | ArithOp::Sub, ..));
                    if low && matches!(op, ArithOp::Mul | ArithOp::Div) {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                format!("{} {sym} {}", side(a), side(b))
            }
            K::Floor(x) => format!("向下取整({})", self.render(x)),
            K::Min(xs) | K::Max(xs) => {
                let name = if matches!(e.kind, K::Min(_)) { "最小" } else { "最大" };
                format!("{name}({})", xs.iter().map(|x| self.render(x)).collect::<Vec<_>>().join(", "))
            }
            _ => match self.eval(e) {
                Ok(v) => show_value(self.program, &v, e.ty),
                Err(_) => "？".to_string(),
            },
        }
    }
}

/// A value as an analyst reads it: `25人`, `12个月`, `是`, `2023-05-10`, `企业`.
pub fn show_value(program: &Program, v: &Value, ty: Ty) -> String {
    match (v, ty) {
        (Value::Num(n), Ty::Num(u)) => show_number(*n, u),
        (Value::Num(n), _) => n.normalize().to_string(),
        (Value::Bool(b), _) => if *b { "是" } else { "否" }.to_string(),
        (Value::Date(d), _) => d.to_string(),
        (Value::Enum(i), Ty::Enum(id)) => program
            .vocabulary
            .enums
            .get(id as usize)
            .and_then(|e| e.values.get(*i as usize))
            .cloned()
            .unwrap_or_default(),
        (Value::Text(t), _) => t.clone(),
        (Value::Missing, _) => "未提供".to_string(),
        (Value::List(items), _) => format!("{}项", items.len()),
        (Value::Enum(i), _) => i.to_string(),
    }
}

pub fn show_number(n: Decimal, u: Unit) -> String {
    let n = if u == Unit::YUAN { round_money(n) } else { n.round_dp(4).normalize() };
    if u.is_none() {
        n.to_string()
    } else {
        format!("{n}{u}")
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
