//! Conditions compiled to flat lists of tests. A condition that is a
//! conjunction of plain tests on fields (`类型 为 单位`, `脱贫人口 且
//! 劳动合同月数 >= 1年`), or 或 of such conjunctions, runs without walking
//! the expression tree; so does a `设 N = 计数 列表 其中 …` whose filter is
//! such a conjunction on the member's fields, a condition comparing a
//! definition with a constant (`合格人数 >= 10人`), and 且, 或 and 非 nested
//! otherwise over plain tests (`(脱贫人口 或 农村低收入人口) 且 灵活就业`).
//! Population runs spend most of their time here: every rule's applicant
//! check and conditions, and an enterprise's hired people.
//!
//! The result, including which missing fact is reported, is the same as
//! [`super::Env`] gives for the expression (且 and 或 go through the same
//! [`super::value::junction`]); the tests below check it on every compiled
//! condition and count of the shipped policies.
//!
//! # Counts
//!
//! A compiled count (`compiled::Count`) reads a member's true/false tests
//! from its facts — one given and false refuses the member, all holding
//! leaves only its other tests to run on the record — and tests a member in
//! full only when one of those facts is missing. A filter of such tests and
//! one number compared with a constant (`劳动合同月数 >= 1年`) has a loop of its own
//! (`Count::with_number`). Every compiled number test compares through one
//! `compiled::Constant`: a number of the constant's scale and sign by its
//! 96-bit magnitude, any other by `value::order`.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::value::{junction, order, Env, Fail, FailKind};
use crate::ir::{CmpOp, Expr, ExprKind as K, Facts, Let, Record, Ty, Value};

/// `t₁ 且 t₂ 且 …` on the fields of one record. Equal when they test the
/// same fields the same way.
#[derive(Debug, PartialEq)]
pub struct Conj<'p> {
    tests: Vec<Test<'p>>,
}

/// Whose fields a compiled condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The case's subject (`K::Slot`).
    Subject,
    /// The list member in scope (`K::ItemSlot`).
    Member,
}

/// `计数 list 其中 t₁ 且 t₂ 且 …`.
#[derive(Debug)]
pub struct Count<'p> {
    list: u32,
    filter: Conj<'p>,
    /// The slots the filter tests for `true`, as a mask of a member's
    /// [`crate::ir::Facts`].
    flags: u64,
    /// The filter's other tests, in order.
    rest: Conj<'p>,
}

#[derive(Debug, PartialEq, Clone)]
pub struct Test<'p> {
    slot: u32,
    kind: TestKind,
    /// The field as written, for the missing-fact message.
    expr: &'p Expr,
}

// A tag of its own: a niche in `Constant` would make telling the kinds
// apart arithmetic, in the hottest match there is.
#[derive(Debug, PartialEq, Clone)]
#[repr(u8)]
enum TestKind {
    IsTrue,
    /// The orderings accepted ([`accepts`]) and the constant.
    Compare(u8, Constant),
    /// The enum values as bits (values 0–63).
    In {
        values: u64,
        negated: bool,
    },
}

/// A number a test compares with, prepared once: a number with its scale
/// and sign (a decimal's first word) is ordered by its 96-bit magnitude,
/// the other three words; any other, or any with a negative constant (a
/// zero written negative included), by [`order`].
#[derive(Debug, PartialEq, Clone)]
struct Constant {
    value: Decimal,
    /// The first word, when the constant is not negative.
    word: Option<u32>,
    magnitude: u128,
}

impl Constant {
    fn new(value: Decimal) -> Constant {
        let raw = u128::from_le_bytes(value.serialize());
        let word = (!value.is_sign_negative()).then_some(raw as u32);
        Constant { value, word, magnitude: raw >> 32 }
    }

    /// How `n` orders against the constant.
    #[inline(always)]
    fn order(&self, n: &Decimal) -> Ordering {
        self.order_by_magnitude(n).unwrap_or_else(|| self.order_other(*n))
    }

    /// How `n` orders against the constant when it has the constant's
    /// scale and sign (and the constant is not negative): by magnitude.
    #[inline(always)]
    fn order_by_magnitude(&self, n: &Decimal) -> Option<Ordering> {
        let raw = u128::from_le_bytes(n.serialize());
        (Some(raw as u32) == self.word).then(|| (raw >> 32).cmp(&self.magnitude))
    }

    /// [`Constant::order`] of a number of another scale or sign.
    #[inline(never)]
    fn order_other(&self, n: Decimal) -> Ordering {
        order(n, self.value)
    }
}

impl<'p> Conj<'p> {
    /// The compiled form of `e`, if it is a conjunction of plain tests on
    /// the fields of `on`.
    pub fn compile(e: &'p Expr, on: On) -> Option<Conj<'p>> {
        let mut tests = Vec::new();
        flatten(e, on, &mut tests)?;
        Some(Conj { tests })
    }

    /// Whether one of the tests fails on `record`, whatever facts the
    /// others lack: the condition is false.
    pub fn refuses(&self, record: &Record) -> bool {
        matches!(self.check(record), Ok(false))
    }

    /// Like `且`: a failed test decides even when another fact is missing;
    /// otherwise the first missing fact (its field as written) is the error.
    fn check(&self, record: &Record) -> Result<bool, &'p Expr> {
        junction(self.tests.iter().map(|t| t.holds(record).ok_or(t.expr)), false)
    }
}

/// `c₁ 或 c₂ 或 …` of conjunctions on the fields of one record; a lone
/// conjunction is its one-part case. A rule's 适用 and 条件 compile to it.
#[derive(Debug)]
pub struct AnyOf<'p> {
    parts: Vec<Conj<'p>>,
}

impl<'p> AnyOf<'p> {
    /// The compiled form of `e`, if it is a disjunction of conjunctions of
    /// plain tests on the fields of `on`, or one such conjunction.
    pub fn compile(e: &'p Expr, on: On) -> Option<AnyOf<'p>> {
        let parts = match &e.kind {
            K::Or(parts) => parts.iter().map(|p| Conj::compile(p, on)).collect::<Option<_>>()?,
            _ => vec![Conj::compile(e, on)?],
        };
        Some(AnyOf { parts })
    }

    /// Like `或`: a part that holds decides even when another's fact is
    /// missing; otherwise the first missing fact is the error.
    #[inline(always)]
    pub fn eval(&self, record: &Record) -> Result<bool, Fail<'p>> {
        junction(self.parts.iter().map(|part| part.check(record)), true).map_err(missing)
    }
}

/// `且`, `或` and `非` over plain tests on the fields of one record, nested
/// as written: a condition [`AnyOf`] does not take, such as `(脱贫人口 或
/// 农村低收入人口) 且 灵活就业` or `非 领取失业保险金`.
#[derive(Debug)]
pub enum Nested<'p> {
    Test(Test<'p>),
    Not(Box<Nested<'p>>),
    /// `且`: false decides.
    All(Vec<Nested<'p>>),
    /// `或`: true decides.
    Any(Vec<Nested<'p>>),
}

impl<'p> Nested<'p> {
    /// The compiled form of `e`, if it is built with 且, 或 and 非 from plain
    /// tests on the fields of `on`.
    pub fn compile(e: &'p Expr, on: On) -> Option<Nested<'p>> {
        let all = |xs: &'p [Expr]| xs.iter().map(|x| Nested::compile(x, on)).collect::<Option<Vec<_>>>();
        Some(match &e.kind {
            K::And(xs) => Nested::All(all(xs)?),
            K::Or(xs) => Nested::Any(all(xs)?),
            K::Not(x) => Nested::Not(Box::new(Nested::compile(x, on)?)),
            _ => {
                let mut tests = Vec::with_capacity(1);
                flatten(e, on, &mut tests)?;
                Nested::Test(tests.pop().filter(|_| tests.is_empty())?)
            }
        })
    }

    /// The condition's value on `record`, as the tree walk gives it: in a
    /// 且 or 或, a part that decides wins over a missing fact before it;
    /// otherwise the first missing fact is the error.
    #[inline(never)]
    pub fn eval(&self, record: &Record) -> Result<bool, Fail<'p>> {
        self.check(record).map_err(missing)
    }

    fn check(&self, record: &Record) -> Result<bool, &'p Expr> {
        let parts = |parts: &[Nested<'p>], decisive| junction(parts.iter().map(|p| p.check(record)), decisive);
        match self {
            Nested::Test(t) => t.holds(record).ok_or(t.expr),
            Nested::Not(x) => x.check(record).map(|v| !v),
            Nested::All(all) => parts(all, false),
            Nested::Any(any) => parts(any, true),
        }
    }
}

/// `定义 op 常数` (`合格人数 >= 10人`): a rule's condition on one of its
/// clause's definitions.
#[derive(Debug)]
pub struct OnDefinition<'p> {
    /// The definition as written (`K::Local`).
    local: &'p Expr,
    /// The orderings accepted ([`accepts`]).
    accept: u8,
    constant: Decimal,
}

impl<'p> OnDefinition<'p> {
    /// The compiled form of `e`, if it compares a numeric definition with a
    /// constant.
    pub fn compile(e: &'p Expr) -> Option<OnDefinition<'p>> {
        let K::Compare(op, local, b) = &e.kind else { return None };
        match (&local.kind, local.ty, &b.kind) {
            (K::Local(_), Ty::Num(_), K::Const(Value::Num(c), _)) => {
                Some(OnDefinition { local, accept: accepts(*op), constant: *c })
            }
            _ => None,
        }
    }

    /// The condition's value in `env`, the definition computed if it was
    /// not yet.
    #[inline]
    pub fn eval(&self, env: &Env<'_, 'p>) -> Result<bool, Fail<'p>> {
        let ord = order(env.read_number(self.local)?, self.constant);
        Ok(self.accept & bit(ord) != 0)
    }
}

/// The subject's fact `expr` is missing.
fn missing(expr: &Expr) -> Fail<'_> {
    Fail { kind: FailKind::Missing, expr, item: None }
}

/// An ordering as the bit [`accepts`] gives it.
fn bit(ord: Ordering) -> u8 {
    match ord {
        Ordering::Less => 1,
        Ordering::Equal => 2,
        Ordering::Greater => 4,
    }
}

impl<'p> Count<'p> {
    /// The compiled form of `e`, if it is a count of this shape.
    pub fn compile(e: &'p Expr) -> Option<Count<'p>> {
        let K::Count { list, filter } = &e.kind else { return None };
        let filter = match filter {
            Some(f) => Conj::compile(f, On::Member)?,
            None => Conj { tests: Vec::new() },
        };
        let (mut flags, mut rest) = (0u64, Vec::new());
        for t in &filter.tests {
            if t.kind == TestKind::IsTrue && t.slot < crate::ir::FACT_SLOTS {
                flags |= 1 << t.slot;
            } else {
                rest.push(t.clone());
            }
        }
        Some(Count { list: *list, filter, flags, rest: Conj { tests: rest } })
    }

    /// How many members pass the filter; the first member whose facts
    /// cannot decide it is the error.
    ///
    /// A member's true/false tests are read from its facts first: one of
    /// them given and false refuses it whatever its other facts; when all
    /// hold, only the other tests are left to run on its record; only a
    /// member missing one of them is tested in full. A filter of true/false
    /// tests only is counted from the facts alone, in one pass without
    /// branches, unless a member lacks a fact and none of its others
    /// refuses it: then the loop finds which.
    pub fn run(&self, subject: &Record) -> Result<Decimal, Fail<'p>> {
        let Value::List(members) = subject.get(self.list) else { return Ok(Decimal::ZERO) };
        let flags = self.flags;
        if self.rest.tests.is_empty() {
            // A true slot is a given one, so `truth` alone tells who passes;
            // which facts some member lacks is gathered on the way.
            let (n, lacked) = members
                .facts()
                .iter()
                .fold((0u64, 0u64), |(n, lacked), f| (n + u64::from(f.truth & flags == flags), lacked | !f.given));
            // A member lacking a fact is still decided by one given false.
            let undecided = || {
                let refused = |f: &Facts| f.given & !f.truth & flags != 0;
                members.facts().iter().any(|f| f.given & flags != flags && !refused(f))
            };
            if lacked & flags == 0 || !undecided() {
                return Ok(Decimal::from(n));
            }
        }
        if let [Test { slot, kind: TestKind::Compare(accept, c), .. }] = self.rest.tests.as_slice() {
            return self.with_number(members, *slot, *accept, c);
        }
        let mut n = 0u64;
        for (i, (member, facts)) in members.iter().zip(members.facts()).enumerate() {
            let given = facts.given & flags;
            if given & !facts.truth != 0 {
                continue;
            }
            let passes = if given == flags {
                self.passes(&self.rest, member, i)?
            } else {
                self.passes(&self.filter, member, i)?
            };
            n += u64::from(passes);
        }
        Ok(Decimal::from(n))
    }

    /// [`Count::run`] for a filter of true/false tests and one number
    /// compared with a constant (`脱贫人口 且 劳动合同月数 >= 1年 且
    /// 参加社会保险`), the most common: a member whose true/false facts hold
    /// is decided by its number in the loop; one lacking a fact or the
    /// number by the whole filter.
    fn with_number(
        &self,
        members: &crate::ir::Members,
        slot: u32,
        accept: u8,
        constant: &Constant,
    ) -> Result<Decimal, Fail<'p>> {
        let (mut n, mut from) = (0u64, 0);
        let facts = members.facts();
        while let (Some(records), Some(rest)) = (members.get(from..), facts.get(from..)) {
            let part = (records, rest);
            // One loop for each comparison, its test folded in.
            let (counted, stop) = match accept {
                0b110 => numbers::<0b110>(part, self.flags, slot, constant),
                0b011 => numbers::<0b011>(part, self.flags, slot, constant),
                0b100 => numbers::<0b100>(part, self.flags, slot, constant),
                0b001 => numbers::<0b001>(part, self.flags, slot, constant),
                0b010 => numbers::<0b010>(part, self.flags, slot, constant),
                0b101 => numbers::<0b101>(part, self.flags, slot, constant),
                // None other is made (`accepts`); the filter would decide.
                _ => (0, 0),
            };
            n += counted;
            // A member the loop does not decide, by the whole filter.
            let i = from + stop;
            let Some(member) = members.get(i) else { break };
            n += u64::from(self.passes(&self.filter, member, i)?);
            from = i + 1;
        }
        Ok(Decimal::from(n))
    }

    /// Whether member `index` passes `tests`, the filter or the part of it
    /// its facts leave; when a fact is missing, the whole filter decides.
    #[inline]
    fn passes(&self, tests: &Conj<'p>, member: &Record, index: usize) -> Result<bool, Fail<'p>> {
        for t in &tests.tests {
            match t.holds(member) {
                Some(true) => {}
                Some(false) => return Ok(false),
                None => return self.whole_filter(member, index),
            }
        }
        Ok(true)
    }

    /// Whether member `index` passes the whole filter, which also decides
    /// which missing fact is reported (a later test may still refuse it).
    #[cold]
    fn whole_filter(&self, member: &Record, index: usize) -> Result<bool, Fail<'p>> {
        self.filter.check(member).map_err(|expr| Fail {
            kind: FailKind::Missing,
            expr,
            item: Some((self.list, index as u32)),
        })
    }
}

/// Counts the members whose true/false facts (`flags`) hold and whose
/// number at `slot` compares with the constant as `ACCEPT` says, up to
/// the first member these do not decide (a fact or the number missing, a
/// number of another scale or sign than the constant's, any number when
/// the constant is negative): the count, and where it stopped (the
/// members' length when nothing stopped it). Kept apart from
/// [`Count::with_number`], so that its loop keeps the constant in
/// registers.
#[inline(never)]
fn numbers<const ACCEPT: u8>(
    (members, facts): (&[Record], &[Facts]),
    flags: u64,
    slot: u32,
    constant: &Constant,
) -> (u64, usize) {
    let mut n = 0u64;
    for (i, (member, facts)) in members.iter().zip(facts).enumerate() {
        let given = facts.given & flags;
        if given & !facts.truth != 0 {
            continue;
        }
        match member.values.get(slot as usize) {
            Some(Value::Num(v)) if given == flags => {
                let Some(ord) = constant.order_by_magnitude(v) else { return (n, i) };
                n += u64::from(ACCEPT & bit(ord) != 0);
            }
            _ => return (n, i),
        }
    }
    (n, members.len())
}

impl Test<'_> {
    /// Whether the member passes; `None` when the fact is missing.
    // Inlined into the members' loop of a count, the hottest loop there is.
    #[inline(always)]
    fn holds(&self, member: &Record) -> Option<bool> {
        let v = member.get(self.slot);
        // The test's kind first, then one look at the value, missing or not.
        Some(match &self.kind {
            TestKind::IsTrue => match v {
                Value::Bool(b) => *b,
                Value::Missing => return None,
                _ => false,
            },
            TestKind::Compare(accept, c) => {
                let ord = match v {
                    Value::Num(n) => c.order(n),
                    Value::Missing => return None,
                    _ => Decimal::ZERO.cmp(&c.value),
                };
                accept & bit(ord) != 0
            }
            TestKind::In { values, negated } => {
                let hit = match v {
                    Value::Enum(i) => *i < 64 && values & (1 << i) != 0,
                    Value::Missing => return None,
                    _ => false,
                };
                hit != *negated
            }
        })
    }
}

/// The orderings `op` accepts, as bits: 1 for less, 2 for equal, 4 for
/// greater.
fn accepts(op: CmpOp) -> u8 {
    match op {
        CmpOp::Ge => 0b110,
        CmpOp::Le => 0b011,
        CmpOp::Gt => 0b100,
        CmpOp::Lt => 0b001,
        CmpOp::Eq => 0b010,
        CmpOp::Ne => 0b101,
    }
}

/// Whether evaluating `e` can never overflow: no arithmetic, sums or date
/// shifts in it, nor in the definitions it reads (`safe_lets`, from
/// [`safe_lets`]). Such a condition can be skipped once another has refused
/// the rule, since only an overflow could still change the result.
pub fn cannot_overflow(e: &Expr, safe_lets: &[bool]) -> bool {
    let all = |xs: &mut dyn Iterator<Item = &Expr>| {
        for x in xs {
            if !cannot_overflow(x, safe_lets) {
                return false;
            }
        }
        true
    };
    match &e.kind {
        K::Const(..) | K::Slot(_) | K::ItemSlot(_) | K::CaseDate | K::NoStandard => true,
        K::Local(i) => safe_lets.get(*i as usize).is_some_and(|s| *s),
        K::Arith(..) | K::Sum { .. } | K::AddMonths(..) | K::AddDays(..) => false,
        K::Not(x) | K::Floor(x) | K::EnumIn { expr: x, .. } => cannot_overflow(x, safe_lets),
        K::And(xs) | K::Or(xs) | K::Min(xs) | K::Max(xs) => all(&mut xs.iter()),
        K::Compare(_, a, b) | K::MonthsBetween(a, b) => cannot_overflow(a, safe_lets) && cannot_overflow(b, safe_lets),
        K::Count { filter, .. } => all(&mut filter.iter().map(|f| &**f)),
        K::Tier { key, arms } => cannot_overflow(key, safe_lets) && all(&mut arms.iter().map(|(_, x)| x)),
        K::Bands { key, bands } => cannot_overflow(key, safe_lets) && all(&mut bands.iter().map(|(_, x)| x)),
    }
}

/// [`cannot_overflow`] for each of a clause's definitions, in order: a
/// definition reads only earlier ones.
pub fn safe_lets(lets: &[Let]) -> Vec<bool> {
    let mut safe = Vec::with_capacity(lets.len());
    for l in lets {
        let s = cannot_overflow(&l.expr, &safe);
        safe.push(s);
    }
    safe
}

/// The slot a field of `on` is read from.
fn field(e: &Expr, on: On) -> Option<u32> {
    match (&e.kind, on) {
        (K::Slot(slot), On::Subject) | (K::ItemSlot(slot), On::Member) => Some(*slot),
        _ => None,
    }
}

/// Appends the tests of a conjunction; `None` if any part is not a plain
/// test on a field of `on`.
fn flatten<'p>(e: &'p Expr, on: On, tests: &mut Vec<Test<'p>>) -> Option<()> {
    match &e.kind {
        K::And(parts) => parts.iter().try_for_each(|p| flatten(p, on, tests)),
        K::Slot(_) | K::ItemSlot(_) if e.ty == Ty::Bool => {
            tests.push(Test { slot: field(e, on)?, kind: TestKind::IsTrue, expr: e });
            Some(())
        }
        K::Compare(op, a, b) => match &b.kind {
            K::Const(Value::Num(c), _) if matches!(a.ty, Ty::Num(_)) => {
                let kind = TestKind::Compare(accepts(*op), Constant::new(*c));
                tests.push(Test { slot: field(a, on)?, kind, expr: a });
                Some(())
            }
            _ => None,
        },
        K::EnumIn { expr, values, negated } => {
            let slot = field(expr, on)?;
            let bits = values.iter().try_fold(0u64, |bits, v| Some(bits | 1u64.checked_shl(*v)?))?;
            tests.push(Test { slot, kind: TestKind::In { values: bits, negated: *negated }, expr });
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use std::path::PathBuf;

    use rust_decimal::Decimal;

    use super::{AnyOf, Conj, Count, Nested, On, OnDefinition};
    use crate::eval::value::{Env, Fail, Local};
    use crate::ir::{CmpOp, Expr, ExprKind, FieldKind, ListDecl, Program, Record, Ty, Unit, Value};

    fn program() -> Program {
        crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap()
    }

    /// Records of `slots` values, each true, false, an enum value, a number
    /// around the policies' constants, or missing, in every mix.
    struct Records(u64);

    impl Records {
        fn next(&mut self) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) as usize
        }
        /// A record in which about one value in `missing_in` is missing.
        fn record(&mut self, slots: usize, missing_in: usize) -> Record {
            let values = (0..slots)
                .map(|_| match self.next() % 5 {
                    _ if self.next() % missing_in == 0 => Value::Missing,
                    1 => Value::Bool(true),
                    2 => Value::Bool(false),
                    0 => Value::Enum((self.next() % 4) as u32),
                    _ => Value::Num(Decimal::from(self.next() % 14)),
                })
                .collect();
            Record { values, defaulted: Vec::new() }
        }

        /// A member of `list` whose values mostly pass the policies'
        /// tests: each of its type, true, a number of 11–13 (one in eight
        /// written with two decimals, or negative).
        fn lenient(&mut self, list: &ListDecl, missing_in: usize) -> Record {
            let mut values = vec![Value::Missing; list.slot_count];
            for f in &list.item.fields {
                let FieldKind::Scalar { slot, ty, .. } = &f.kind else { continue };
                let v = match ty {
                    _ if self.next() % missing_in == 0 => Value::Missing,
                    Ty::Bool => Value::Bool(self.next() % 200 != 0),
                    Ty::Num(_) => Value::Num(self.number()),
                    Ty::Enum(_) => Value::Enum((self.next() % 4) as u32),
                    Ty::Date | Ty::Text => Value::Missing,
                };
                values[*slot as usize] = v;
            }
            Record { values, defaulted: Vec::new() }
        }

        /// 11–13, or in one case of eight 11.99–12.01, −12, or −0.
        fn number(&mut self) -> Decimal {
            if self.next() % 8 != 0 {
                return Decimal::from(11 + self.next() % 3);
            }
            match self.next() % 4 {
                0 => Decimal::new(-12, 0),
                1 => {
                    let mut zero = Decimal::ZERO;
                    zero.set_sign_negative(true);
                    zero
                }
                _ => Decimal::new(1199 + (self.next() % 3) as i64, 2),
            }
        }
    }

    fn env<'e, 'p>(program: &'p Program, subject: &'e Record) -> Env<'e, 'p> {
        Env {
            program,
            date: crate::date::Date::new(2023, 5, 10).unwrap(),
            subject,
            lets: &[],
            locals: &[],
            compiled: &[],
            item: None,
        }
    }

    fn same<T: PartialEq + std::fmt::Debug>(what: &str, walked: Result<T, Fail>, fast: Result<T, Fail>) {
        match (walked, fast) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
            (Err(a), Err(b)) => {
                assert!(std::ptr::eq(a.expr, b.expr), "{what}: a different missing fact");
                assert_eq!((a.kind, a.item), (b.kind, b.item), "{what}");
            }
            (a, b) => panic!("{what}: {a:?} vs {b:?}"),
        }
    }

    /// Every count of the shipped policies that compiles gives what the
    /// tree walk gives: the number, or the same missing fact of the same
    /// member.
    #[test]
    fn compiled_counts_agree_with_the_tree_walk() {
        let program = program();
        let mut records = Records(7);
        let mut compiled = 0;
        let (mut counted_past_64, mut missing_past_64) = (false, false);
        for l in program.documents.iter().flat_map(|d| &d.clauses).flat_map(|c| &c.lets) {
            let Some(count) = Count::compile(&l.expr) else { continue };
            compiled += 1;
            let ExprKind::Count { list, .. } = l.expr.kind else { unreachable!() };
            let members = program.vocabulary.subject.fields.iter().find_map(|f| match f.kind {
                FieldKind::List { slot, list: l } if slot == list => program.vocabulary.lists.get(l as usize),
                _ => None,
            });
            let members = members.unwrap();
            for round in 0..300 {
                let list_of =
                    |n: usize, each: &mut dyn FnMut() -> Record| Value::List((0..n).map(|_| each()).collect());
                let n = 60 + records.next() % 140;
                let items = match round % 3 {
                    0 => list_of(records.next() % 6, &mut || records.record(members.slot_count, 6)),
                    // Past the first block of 64, members mostly counted:
                    // a missing fact now and then, or none.
                    1 => list_of(n, &mut || records.lenient(members, 300)),
                    _ => list_of(n, &mut || records.lenient(members, usize::MAX)),
                };
                let mut subject =
                    Record { values: vec![Value::Missing; program.vocabulary.slot_count], ..Default::default() };
                subject.values[list as usize] = items;
                let walked = env(&program, &subject).number(&l.expr);
                match &walked {
                    Ok(n) => counted_past_64 |= *n > Decimal::from(64),
                    Err(f) => missing_past_64 |= f.item.is_some_and(|(_, i)| i >= 64),
                }
                same(&l.name, walked, count.run(&subject));
            }
        }
        assert!(compiled >= 4, "the 攀枝花 counts compile");
        assert!(counted_past_64 && missing_past_64, "lists longer than one block are tried");
    }

    /// `计数 列表 其中 真 且 数 op 常数`, the shape counted by its own loop,
    /// against constants of either sign and scale, over numbers of other
    /// scales, negative ones and −0: the same as the tree walk.
    #[test]
    fn a_count_with_a_number_agrees_with_the_tree_walk() {
        let program = program();
        let mut records = Records(17);
        let num = |n: i64, scale: u32| Decimal::new(n, scale);
        let constants = [num(12, 0), num(1200, 2), num(-12, 0), num(-5, 1), num(0, 0), num(0, 3)];
        let field = |slot, ty| Box::new(Expr { kind: ExprKind::ItemSlot(slot), ty });
        let mut tried = 0;
        for c in constants {
            for op in [CmpOp::Ge, CmpOp::Le, CmpOp::Gt, CmpOp::Lt, CmpOp::Eq, CmpOp::Ne] {
                let compare = ExprKind::Compare(
                    op,
                    field(0, Ty::Num(Unit::MONTH)),
                    Box::new(Expr { kind: ExprKind::Const(Value::Num(c), String::new()), ty: Ty::Num(Unit::MONTH) }),
                );
                let filter = Expr {
                    kind: ExprKind::And(vec![*field(1, Ty::Bool), Expr { kind: compare, ty: Ty::Bool }]),
                    ty: Ty::Bool,
                };
                let e = Expr {
                    kind: ExprKind::Count { list: 0, filter: Some(Box::new(filter)) },
                    ty: Ty::Num(Unit::PERSON),
                };
                let count = Count::compile(&e).unwrap();
                assert!(count.flags == 0b10 && count.rest.tests.len() == 1, "one flag and one number");
                for _ in 0..50 {
                    let n = records.next() % 40;
                    let member = |records: &mut Records| {
                        let missing = records.next() % 30 == 0;
                        let number =
                            if missing { Value::Missing } else { Value::Num(records.number() - Decimal::from(12)) };
                        let flag = Value::Bool(records.next() % 5 != 0);
                        Record { values: vec![number, flag], defaulted: Vec::new() }
                    };
                    let mut subject = Record { values: vec![Value::Missing], defaulted: Vec::new() };
                    subject.values[0] = Value::List((0..n).map(|_| member(&mut records)).collect());
                    same("count with a number", env(&program, &subject).number(&e), count.run(&subject));
                    tried += 1;
                }
            }
        }
        assert_eq!(tried, 6 * 6 * 50);
    }

    /// Conditions that read counts and plain fields cannot overflow; one
    /// that shifts a date or multiplies can.
    #[test]
    fn overflow_free_conditions_are_told_apart() {
        let program = program();
        let doc = program.documents.iter().find(|d| &*d.id == "攀人社发〔2022〕143号").unwrap();
        let clause = |id: &str| doc.clauses.iter().find(|c| &*c.id == id).unwrap();
        let safe = |id: &str, text: &str| {
            let c = clause(id);
            let cond = c.benefits.iter().flat_map(|b| &b.conditions).find(|x| x.text == text).unwrap();
            super::cannot_overflow(&cond.expr, &super::safe_lets(&c.lets))
        };
        assert!(safe("6", "合格人数 >= 1人"));
        assert!(safe("16", "脱贫人口 且 首次创业"));
        assert!(!safe("16", "工商登记日期 + 6个月 <= 裁定日期"));
        let arithmetic = Expr {
            kind: ExprKind::Arith(crate::ir::ArithOp::Mul, Box::new(count_of(0)), Box::new(count_of(0))),
            ty: crate::ir::Ty::Num(crate::ir::Unit::YUAN),
        };
        let lets = [crate::ir::Let { name: "甲".into(), expr: arithmetic }];
        assert_eq!(super::safe_lets(&lets), [false]);
        assert!(!super::cannot_overflow(&local(0), &super::safe_lets(&lets)));
    }

    /// Every 条件 of the shipped policies that compares a definition with a
    /// constant gives what the tree walk gives, over hired people of every
    /// mix, some with facts missing.
    #[test]
    fn conditions_on_definitions_agree_with_the_tree_walk() {
        let program = program();
        let mut records = Records(13);
        let (mut compiled, mut missing, mut held) = (0, 0, 0);
        for clause in program.documents.iter().flat_map(|d| &d.clauses) {
            let counts: Vec<Option<Count>> = clause.lets.iter().map(|l| Count::compile(&l.expr)).collect();
            let conditions = clause.applies.iter().chain(clause.benefits.iter().flat_map(|b| &b.conditions));
            for e in conditions.map(|c| &c.expr) {
                let Some(fast) = OnDefinition::compile(e) else { continue };
                compiled += 1;
                for round in 0..100 {
                    let mut subject = records.record(program.vocabulary.slot_count, 6);
                    for f in &program.vocabulary.subject.fields {
                        let FieldKind::List { slot, list } = f.kind else { continue };
                        let members = &program.vocabulary.lists[list as usize];
                        let n = records.next() % 30;
                        let missing_in = if round % 2 == 0 { 40 } else { usize::MAX };
                        subject.values[slot as usize] =
                            Value::List((0..n).map(|_| records.lenient(members, missing_in)).collect());
                    }
                    // Each side with its own definitions, computed afresh.
                    let locals = |_| (0..clause.lets.len()).map(|_| Local::new()).collect::<Vec<_>>();
                    let (walked_locals, fast_locals) = (locals(0), locals(1));
                    let within =
                        |locals| Env { lets: &clause.lets, locals, compiled: &counts, ..env(&program, &subject) };
                    let walked = within(&walked_locals).truth(e);
                    missing += usize::from(walked.is_err());
                    held += usize::from(matches!(walked, Ok(true)));
                    same("condition on a definition", walked, fast.eval(&within(&fast_locals)));
                }
            }
        }
        assert!(compiled >= 8, "conditions on counts compile: {compiled}");
        assert!(missing > 0 && held > 0, "missing facts and conditions that hold are tried: {missing}, {held}");
    }

    fn count_of(list: u32) -> Expr {
        Expr { kind: ExprKind::Count { list, filter: None }, ty: crate::ir::Ty::Num(crate::ir::Unit::PERSON) }
    }

    fn local(i: u32) -> Expr {
        Expr { kind: ExprKind::Local(i), ty: crate::ir::Ty::Num(crate::ir::Unit::YUAN) }
    }

    /// Every applicant check, 适用 and 条件 of the shipped policies that
    /// compiles gives what the tree walk gives.
    #[test]
    fn compiled_conditions_agree_with_the_tree_walk() {
        let program = program();
        let mut records = Records(11);
        let conditions: Vec<&Expr> = program
            .documents
            .iter()
            .flat_map(|d| &d.clauses)
            .flat_map(|c| {
                let rules =
                    c.benefits.iter().flat_map(|b| b.audience.iter().chain(b.conditions.iter().map(|c| &c.expr)));
                c.applies.iter().map(|a| &a.expr).chain(rules)
            })
            .collect();
        let (mut compiled, mut disjunctions, mut nested_only) = (0, 0, 0);
        for &e in &conditions {
            // Every condition AnyOf takes is also nested 且/或; some more are.
            let Some(nested) = Nested::compile(e, On::Subject) else { continue };
            nested_only += usize::from(AnyOf::compile(e, On::Subject).is_none());
            for _ in 0..100 {
                let subject = records.record(program.vocabulary.slot_count, 6);
                same("nested condition", env(&program, &subject).truth(e), nested.eval(&subject));
            }
        }
        assert!(nested_only >= 6, "非 and 或 inside 且 compile: {nested_only}");
        for e in conditions {
            let Some(any) = AnyOf::compile(e, On::Subject) else { continue };
            let conj = Conj::compile(e, On::Subject);
            compiled += 1;
            disjunctions += usize::from(any.parts.len() > 1);
            for _ in 0..100 {
                let subject = records.record(program.vocabulary.slot_count, 6);
                let walked = env(&program, &subject).truth(e);
                if let Some(conj) = &conj {
                    assert_eq!(conj.refuses(&subject), matches!(walked, Ok(false)), "an applicant check");
                }
                same("condition", walked, any.eval(&subject));
            }
        }
        assert!(compiled >= 50, "most conditions compile: {compiled}");
        assert!(disjunctions >= 2, "disjunctions compile: {disjunctions}");
    }
}
