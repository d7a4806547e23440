//! Rule groups' verdicts remembered from case to case. A group's verdict,
//! reasons included, is a function of what its rules read: some of the
//! subject's facts, the case's date and, for rules that look at past
//! claims, the case's 享受记录. Across a population most people give the
//! same few facts to a group (`脱贫人口 = 是`, a default `否`), so the
//! verdict is looked up by those facts instead of being worked out again.
//!
//! A clause's statuses and broken constraints are remembered the same way.
//!
//! What a group reads is found when the program is compiled. A definition
//! that counts or sums a list (`合格人数 = 计数 吸纳人员 其中 …`) is keyed by
//! its value for the case, which is all a group sees of the list: an
//! enterprise is remembered by how many of its hired people count, not by
//! who they are. A list counted or summed outside a definition is keyed by
//! being empty: a case whose list has members is not remembered for it
//! (nor for a group that reads a member's facts outside a count). A case
//! with past claims is not remembered for a group that looks at them.
//! Errors are never remembered. What is kept takes at most [`ROOM`]
//! bytes, so memory stays bounded whatever the population.

use std::collections::HashMap;

use std::ops::Range;

use super::{Decided, Decision, EvalError, Finding, Reasons};
use crate::hash::FxBuild;
use crate::ir::{self, Access, Amount, Benefit, Clause, Cond, Expr, ExprKind as K, Program, Value};

/// Bytes of keys and reasons kept, at most, for one evaluator.
pub const ROOM: usize = 16 << 20;

/// What a verdict kept costs beyond its key and words, about.
const ENTRY: usize = 64;

/// What a rule group's verdict (or a clause's findings) depends on,
/// found once per program.
#[derive(Debug, Default)]
pub struct Reads<'p> {
    /// Subject slots, sorted.
    slots: Vec<u32>,
    /// Lists counted or summed outside a definition: a group or clause is
    /// remembered only while they are empty, a whole case by their values.
    counted: Vec<Counted<'p>>,
    /// Definitions that count or sum a list, keyed by their value.
    values: Vec<Valued>,
    /// Whether a rule looks at past claims (享受记录).
    history: bool,
}

/// A count or sum outside a definition: its clause's index, the
/// expression, and the subject slot of the list.
#[derive(Debug, Clone, Copy)]
struct Counted<'p> {
    clause: u32,
    expr: &'p Expr,
    list: u32,
}

impl Counted<'_> {
    /// What it is sorted and told apart by: the expression's place.
    fn place(&self) -> (u32, *const Expr) {
        (self.clause, self.expr)
    }
}

/// The values a key needs beyond the case's facts, worked out for its
/// document.
pub trait Values<'p> {
    /// Definition `i` of clause `clause`, if it has a value.
    fn definition(&self, clause: u32, i: u32) -> Option<Value>;
    /// `expr`, in clause `clause`, if it has a value.
    fn expr(&self, clause: u32, expr: &'p Expr) -> Option<Value>;
}

/// A definition keyed by its value: its clause's index, its own, and the
/// subject slots of the lists it counts or sums. Where these are all empty
/// its value follows from the slots keyed, and it is not worked out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Valued {
    clause: u32,
    definition: u32,
    lists: Vec<u32>,
}

/// A rule of a group: its clause (with the clause's index) and benefit.
type Rule<'p> = (u32, &'p Clause, &'p Benefit);

impl<'p> Reads<'p> {
    /// What the rules of a group read; `None` when one reads a member's
    /// facts outside a count or sum.
    pub fn of(rules: impl IntoIterator<Item = Rule<'p>>) -> Option<Reads<'p>> {
        let mut reads = Reads::default();
        for (index, clause, b) in rules {
            let mut walk = Walk::new((index, clause), &mut reads);
            let conds = clause.applies.iter().chain(&b.conditions).chain(&b.exclusions);
            for cond in conds {
                walk.cond(cond)?;
            }
            if let Some(a) = &b.audience {
                walk.expr(a)?;
            }
            match &b.amount {
                Amount::Fixed { expr, cap, .. } => {
                    walk.expr(expr)?;
                    if let Some((cap, _)) = cap {
                        walk.expr(cap)?;
                    }
                }
                Amount::Ceiling { expr, .. } => walk.expr(expr)?,
                Amount::Deferred => {}
            }
            for (bound, _) in b.yearly_cap.iter().chain(&b.floor) {
                walk.expr(bound)?;
            }
            reads.history |= b.looks_at_claims();
        }
        Some(reads.sorted())
    }

    /// What a clause's statuses and constraints read (the clause with its
    /// index).
    pub fn of_findings((index, clause): (u32, &'p Clause)) -> Option<Reads<'p>> {
        let mut reads = Reads::default();
        let mut walk = Walk::new((index, clause), &mut reads);
        let conds = clause.statuses.iter().map(|s| &s.cond).chain(clause.constraints.iter().map(|c| &c.cond));
        for cond in conds {
            walk.cond(cond)?;
        }
        Some(reads.sorted())
    }

    fn sorted(mut self) -> Reads<'p> {
        self.slots.sort_unstable();
        self.slots.dedup();
        self.counted.sort_unstable_by_key(Counted::place);
        self.counted.dedup_by_key(|c| c.place());
        self.values.sort_unstable();
        self.values.dedup();
        self
    }

    /// This case's key for the group, written over `key`: its date, the
    /// facts read, each with whether it was defaulted, and the values of
    /// the definitions keyed by value, which `values` gives. `false` when
    /// its verdict is not to be remembered: it has past claims the group
    /// looks at, members in a list counted outside a definition, a fact of
    /// a kind not keyed, or a definition without a value.
    pub fn key(&self, case: (&ir::Case, bool), values: &dyn Values<'p>, key: &mut Vec<u8>) -> bool {
        key.clear();
        key.extend_from_slice(&case.0.date.to_bytes());
        let subject = &case.0.subject;
        self.counted.iter().all(|c| empty(subject, c.list)) && self.append_key(case, values, key)
    }

    /// The counts and sums outside a definition, which [`Values::expr`]
    /// is asked for.
    pub fn counted(&self) -> impl Iterator<Item = &'p Expr> + '_ {
        self.counted.iter().map(|c| c.expr)
    }

    /// What all of `reads` read, when each is known.
    pub fn union<'r>(reads: impl IntoIterator<Item = &'r Option<Reads<'p>>>) -> Option<Reads<'p>>
    where
        'p: 'r,
    {
        let mut all = Reads::default();
        for r in reads {
            let r = r.as_ref()?;
            all.slots.extend_from_slice(&r.slots);
            all.counted.extend_from_slice(&r.counted);
            all.values.extend(r.values.iter().cloned());
            all.history |= r.history;
        }
        Some(all.sorted())
    }

    /// [`Reads::key`] without the date, appended to `key`; a count or sum
    /// outside a definition is keyed by its value, which `values` gives.
    #[inline(always)]
    pub fn append_key(
        &self,
        (case, has_claims): (&ir::Case, bool),
        values: &dyn Values<'p>,
        key: &mut Vec<u8>,
    ) -> bool {
        if self.history && has_claims {
            return false;
        }
        let subject = &case.subject;
        // Loops, not `all`: the hottest lines of a key, kept inline.
        for &slot in &self.slots {
            if !fact(subject.get(slot), subject.is_defaulted(slot), key) {
                return false;
            }
        }
        for v in &self.values {
            let none = v.lists.iter().all(|&slot| empty(subject, slot));
            if !valued(none, || values.definition(v.clause, v.definition), key) {
                return false;
            }
        }
        for c in &self.counted {
            if !valued(empty(subject, c.list), || values.expr(c.clause, c.expr), key) {
                return false;
            }
        }
        true
    }
}

/// Appends a value worked out from lists to a key: [`EMPTY`] when they
/// are, else the value `value` gives; `false` when it gives none.
#[inline(always)]
/// Whether `e` selects a tier (by an enum value or a band).
fn has_tier(e: &Expr) -> bool {
    match &e.kind {
        K::Tier { .. } | K::Bands { .. } => true,
        K::Not(x) | K::Floor(x) | K::EnumIn { expr: x, .. } => has_tier(x),
        K::And(xs) | K::Or(xs) | K::Min(xs) | K::Max(xs) => xs.iter().any(has_tier),
        K::Arith(_, a, b) | K::Compare(_, a, b) | K::MonthsBetween(a, b) | K::AddMonths(a, b) | K::AddDays(a, b) => {
            has_tier(a) || has_tier(b)
        }
        K::Count { filter, .. } => filter.as_deref().is_some_and(has_tier),
        K::Sum { body, filter, .. } => has_tier(body) || filter.as_deref().is_some_and(has_tier),
        K::Const(..) | K::CaseDate | K::Slot(_) | K::ItemSlot(_) | K::Local(_) | K::NoStandard => false,
    }
}

#[inline(always)]
fn valued(empty: bool, value: impl FnOnce() -> Option<Value>, key: &mut Vec<u8>) -> bool {
    if empty {
        key.push(EMPTY);
        return true;
    }
    value().is_some_and(|value| fact(&value, false, key))
}

/// Whether the list in `slot` has no members.
fn empty(subject: &ir::Record, slot: u32) -> bool {
    match subject.get(slot) {
        Value::List(members) => members.is_empty(),
        _ => true,
    }
}

/// A definition's (or count's) place in a key when the lists it counts or
/// sums are empty: a tag no fact has.
const EMPTY: u8 = 0x7f;

/// Appends a fact to a key: a tag byte, its top bit whether the fact was
/// defaulted, then the value (a boolean's is in the tag). Inlined into
/// the loop over a group's slots, where most facts are keyed.
#[inline(always)]
fn fact(value: &Value, defaulted: bool, key: &mut Vec<u8>) -> bool {
    let tag = |kind: u8| kind | u8::from(defaulted) << 7;
    match value {
        Value::Missing => key.push(tag(0)),
        Value::Bool(b) => key.push(tag(1 | u8::from(*b) << 3)),
        Value::Num(n) => {
            let mut bytes = [tag(2); 17];
            if let Some(rest) = bytes.get_mut(1..) {
                rest.copy_from_slice(&n.serialize());
            }
            key.extend_from_slice(&bytes);
        }
        Value::Date(d) => {
            let [a, b, c, e, f, g] = d.to_bytes();
            key.extend_from_slice(&[tag(3), a, b, c, e, f, g]);
        }
        Value::Enum(i) => {
            let [a, b, c, d] = i.to_le_bytes();
            key.extend_from_slice(&[tag(4), a, b, c, d]);
        }
        Value::Text(t) => {
            key.push(tag(5));
            key.extend_from_slice(&(t.len() as u64).to_le_bytes());
            key.extend_from_slice(t.as_bytes());
        }
        Value::List(_) => return false,
    }
    true
}

/// Collects the slots expressions read, following definitions.
struct Walk<'a, 'p> {
    /// The clause's index, and the clause.
    index: u32,
    clause: &'p Clause,
    reads: &'a mut Reads<'p>,
    /// Definitions already followed.
    seen: Vec<bool>,
    /// The lists counted or summed inside the definitions being followed.
    lists: Vec<u32>,
    /// How many definitions deep the walk is.
    depth: u32,
}

impl<'a, 'p> Walk<'a, 'p> {
    fn new((index, clause): (u32, &'p Clause), reads: &'a mut Reads<'p>) -> Self {
        Walk { index, clause, reads, seen: vec![false; clause.lets.len()], lists: Vec::new(), depth: 0 }
    }

    fn cond(&mut self, cond: &'p Cond) -> Option<()> {
        for r in &cond.refs {
            match r.access {
                Access::Slot(s) => self.reads.slots.push(s),
                Access::Local(i) => self.local(i)?,
            }
        }
        self.expr(&cond.expr)
    }

    fn local(&mut self, i: u32) -> Option<()> {
        let (Some(seen), Some(l)) = (self.seen.get_mut(i as usize), self.clause.lets.get(i as usize)) else {
            return None;
        };
        if std::mem::replace(seen, true) {
            return Some(());
        }
        let lists = self.lists.len();
        self.depth += 1;
        self.expr(&l.expr)?;
        self.depth -= 1;
        if self.lists.len() > lists {
            // Counts or sums a list: keyed by its value instead. The slots
            // it reads stay keyed, as other expressions may read them.
            let mut lists = self.lists.split_off(lists);
            lists.sort_unstable();
            lists.dedup();
            self.reads.values.push(Valued { clause: self.index, definition: i, lists });
        }
        Some(())
    }

    fn expr(&mut self, e: &'p Expr) -> Option<()> {
        match &e.kind {
            K::Const(..) | K::CaseDate | K::NoStandard => Some(()),
            K::Slot(s) => {
                self.reads.slots.push(*s);
                Some(())
            }
            K::Local(i) => self.local(*i),
            // A sum of tiers leaves out, and names, the members in no tier:
            // its words depend on who they are, not on its value alone.
            K::Sum { body, .. } if has_tier(body) => None,
            // Over an empty list, the filter and body are never evaluated.
            K::Count { list, .. } | K::Sum { list, .. } => {
                match self.depth {
                    0 => self.reads.counted.push(Counted { clause: self.index, expr: e, list: *list }),
                    _ => self.lists.push(*list),
                }
                Some(())
            }
            K::ItemSlot(_) => None,
            K::Not(x) | K::Floor(x) | K::EnumIn { expr: x, .. } => self.expr(x),
            K::And(xs) | K::Or(xs) | K::Min(xs) | K::Max(xs) => xs.iter().try_for_each(|x| self.expr(x)),
            K::Arith(_, a, b)
            | K::Compare(_, a, b)
            | K::MonthsBetween(a, b)
            | K::AddMonths(a, b)
            | K::AddDays(a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            K::Tier { key, arms } => {
                self.expr(key)?;
                arms.iter().try_for_each(|(_, x)| self.expr(x))
            }
            K::Bands { key, bands } => {
                self.expr(key)?;
                bands.iter().try_for_each(|(_, x)| self.expr(x))
            }
        }
    }
}

/// The verdicts given so far, for each document and rule group, and the
/// findings for each document and clause. (The default remembers nothing:
/// it has no groups and no room.)
#[derive(Default)]
pub struct Memo {
    groups: Vec<Vec<Remembered<Option<Decision>>>>,
    clauses: Vec<Vec<Remembered<Found>>>,
    /// Bytes left to keep verdicts in.
    room: usize,
    /// A key being made.
    key: Vec<u8>,
}

/// A clause's findings: the indices of the statuses that hold, then of the
/// constraints broken, each with one reason, in that order.
#[derive(Clone, Default)]
struct Found {
    statuses: Box<[u32]>,
    notices: Box<[u32]>,
}

/// What one group or clause has given, by key.
struct Remembered<T> {
    kept: HashMap<Box<[u8]>, Kept<T>, FxBuild>,
}

impl<T> Default for Remembered<T> {
    fn default() -> Self {
        Remembered { kept: HashMap::default() }
    }
}

/// A remembered result and its reasons.
struct Kept<T> {
    result: T,
    /// The reasons one after another, and where each ends.
    text: Box<str>,
    ends: Box<[usize]>,
}

impl Memo {
    pub fn new(program: &Program) -> Memo {
        fn tables<T>(n: usize) -> Vec<Remembered<T>> {
            std::iter::repeat_with(Remembered::default).take(n).collect()
        }
        let groups = program.documents.iter().map(|d| tables(d.groups.len())).collect();
        let clauses = program.documents.iter().map(|d| tables(d.clauses.len())).collect();
        Memo { groups, clauses, room: ROOM, key: Vec::new() }
    }

    /// The verdict of group `group` of document `document` (which reads
    /// `reads`) for `case`, its reasons added to `reasons`: the one given
    /// to an earlier case with the same facts for the group, else what
    /// `work` gives, kept for later cases while there is room.
    pub fn verdict<'p>(
        &mut self,
        (document, group): (u32, usize),
        reads: &Reads<'p>,
        case: (&ir::Case, bool),
        values: &dyn Values<'p>,
        reasons: &mut Reasons,
        work: impl FnOnce(&mut Reasons) -> Result<Option<Decided>, EvalError>,
    ) -> Result<Option<Decided>, EvalError> {
        let Memo { groups, room, key, .. } = self;
        let table = groups.get_mut(document as usize).and_then(|d| d.get_mut(group));
        let Some(table) = table.filter(|_| reads.key(case, values, key)) else { return work(reasons) };
        if let Some((decision, range)) = table.recall(key, reasons) {
            return Ok(decision.map(|decision| Decided { decision, reasons: range }));
        }
        let start = reasons.len();
        let decided = work(reasons)?;
        table.keep(key, room, reasons, start, || decided.as_ref().map(|d| d.decision));
        Ok(decided)
    }

    /// The statuses that hold and the constraints broken of clause
    /// `clause` of document `document` (whose statuses and constraints
    /// read `reads`), appended to `statuses` and `notices` with their
    /// reasons: those of an earlier case with the same facts, else what
    /// `work` appends, kept while there is room.
    #[inline(always)]
    pub fn findings<'p>(
        &mut self,
        (document, clause): (u32, u32),
        reads: &Reads<'p>,
        (case, values): (&ir::Case, &dyn Values<'p>),
        reasons: &mut Reasons,
        (statuses, notices): (&mut Vec<Finding>, &mut Vec<Finding>),
        work: impl FnOnce(&mut Reasons, &mut Vec<Finding>, &mut Vec<Finding>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let Memo { clauses, room, key, .. } = self;
        let table = clauses.get_mut(document as usize).and_then(|d| d.get_mut(clause as usize));
        let Some(table) = table.filter(|_| reads.key((case, false), values, key)) else {
            return work(reasons, statuses, notices);
        };
        if let Some((found, range)) = table.recall(key, reasons) {
            // Each finding with the next reason.
            let mut reason = range.start;
            for (indices, out) in [(&found.statuses, &mut *statuses), (&found.notices, &mut *notices)] {
                for &index in indices.iter() {
                    out.push(Finding { document, clause, index, reasons: reason..reason + 1 });
                    reason += 1;
                }
            }
            return Ok(());
        }
        let (start, before_s, before_n) = (reasons.len(), statuses.len(), notices.len());
        work(reasons, statuses, notices)?;
        table.keep(key, room, reasons, start, || {
            let indices = |found: &[Finding]| found.iter().map(|f| f.index).collect();
            let s = indices(statuses.get(before_s..).unwrap_or_default());
            Found { statuses: s, notices: indices(notices.get(before_n..).unwrap_or_default()) }
        });
        Ok(())
    }
}

impl<T: Clone> Remembered<T> {
    /// The result kept under `key`, its reasons added to `reasons` (the
    /// range of their indices returned with it).
    #[inline(always)]
    fn recall(&self, key: &[u8], reasons: &mut Reasons) -> Option<(T, Range<usize>)> {
        let k = self.kept.get(key)?;
        let start = reasons.len();
        reasons.extend(&k.text, &k.ends);
        Some((k.result.clone(), start..reasons.len()))
    }

    /// Keeps `result` (made only if there is `room` for it) under `key`,
    /// with the reasons of `reasons` from `start` on.
    fn keep(&mut self, key: &[u8], room: &mut usize, reasons: &Reasons, start: usize, result: impl FnOnce() -> T) {
        let (text, ends) = reasons.since(start);
        let size = key.len() + text.len() + ends.len() * std::mem::size_of::<usize>() + ENTRY;
        if let Some(left) = room.checked_sub(size) {
            *room = left;
            let kept = Kept { result: result(), text: text.into(), ends: ends.collect() };
            self.kept.insert(key.into(), kept);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use rust_decimal::Decimal;

    use crate::date::Date;
    use crate::eval::{Evaluator, Keyed, Options, Verdicts};
    use crate::ir::{self, FieldKind, Program, Record, RecordSchema, Ty, Value};

    /// Cases of few distinct facts, so that many give a group the same
    /// ones, and the facts a group does not read differ beside them.
    struct Cases<'p> {
        program: &'p Program,
        state: u64,
    }

    impl Cases<'_> {
        fn next(&mut self, n: usize) -> usize {
            self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.state >> 33) as usize % n
        }

        fn date(&mut self) -> Date {
            [Date::new(2021, 6, 30), Date::new(2023, 5, 10), Date::new(2025, 1, 1)][self.next(3)].unwrap()
        }

        fn value(&mut self, ty: Ty) -> Value {
            if self.next(5) == 0 {
                return Value::Missing;
            }
            match ty {
                Ty::Bool => Value::Bool(self.next(2) == 0),
                Ty::Num(_) => Value::Num(Decimal::from([0, 1, 6, 12, 25, 40][self.next(6)])),
                Ty::Enum(id) => {
                    let values = self.program.vocabulary.enums[id as usize].values.len();
                    Value::Enum(self.next(values.min(3)) as u32)
                }
                Ty::Date => Value::Date(self.date()),
                Ty::Text => Value::Text(["一次性创业补贴", "甲"][self.next(2)].to_string()),
            }
        }

        /// Fills `record`'s fields of `schema`; a list gets members now
        /// and then.
        fn fill(&mut self, schema: &RecordSchema, record: &mut Record) {
            for f in &schema.fields {
                match &f.kind {
                    FieldKind::Scalar { slot, ty, .. } => {
                        record.values[*slot as usize] = self.value(*ty);
                        record.defaulted[*slot as usize] = self.next(4) == 0;
                    }
                    FieldKind::Record(inner) => self.fill(inner, record),
                    FieldKind::List { slot, list } => record.values[*slot as usize] = self.members(*list),
                }
            }
        }

        /// A list of list `list`, often empty.
        fn members(&mut self, list: u32) -> Value {
            let decl = &self.program.vocabulary.lists[list as usize];
            let n = [0, 0, 0, 1, 3][self.next(5)];
            let members = (0..n)
                .map(|_| {
                    let mut m = Record {
                        values: vec![Value::Missing; decl.slot_count],
                        defaulted: vec![false; decl.slot_count],
                    };
                    self.fill(&decl.item, &mut m);
                    m
                })
                .collect();
            Value::List(members)
        }

        /// The members of `record`'s lists drawn again, and one of its
        /// other fields in `scalars` (slot and type).
        fn redraw(&mut self, schema: &RecordSchema, record: &mut Record, scalars: &[(u32, Ty)]) {
            for f in &schema.fields {
                match &f.kind {
                    FieldKind::List { slot, list } => record.values[*slot as usize] = self.members(*list),
                    FieldKind::Record(inner) => self.redraw(inner, record, &[]),
                    FieldKind::Scalar { .. } => {}
                }
            }
            if let Some(&(slot, ty)) = scalars.get(self.next(scalars.len().max(1))) {
                record.values[slot as usize] = self.value(ty);
                record.defaulted[slot as usize] = self.next(4) == 0;
            }
        }

        fn case(&mut self) -> ir::Case {
            let v = &self.program.vocabulary;
            let mut subject =
                Record { values: vec![Value::Missing; v.slot_count], defaulted: vec![false; v.slot_count] };
            self.fill(&v.subject, &mut subject);
            let documents = (0..self.program.documents.len() as u32).filter(|_| self.next(3) != 0).collect();
            ir::Case { id: None, date: self.date(), documents, subject }
        }
    }

    /// Cases of a few subjects, each with its lists' members and one other
    /// fact drawn anew: many share what a document reads.
    struct Variants<'p> {
        cases: Cases<'p>,
        few: Vec<ir::Case>,
        /// The subject's scalar fields: slot and type.
        fields: Vec<(u32, Ty)>,
    }

    impl<'p> Variants<'p> {
        fn new(program: &'p Program, seed: u64) -> Self {
            fn scalars(schema: &RecordSchema, out: &mut Vec<(u32, Ty)>) {
                for f in &schema.fields {
                    match &f.kind {
                        FieldKind::Scalar { slot, ty, .. } => out.push((*slot, *ty)),
                        FieldKind::Record(inner) => scalars(inner, out),
                        FieldKind::List { .. } => {}
                    }
                }
            }
            let mut cases = Cases { program, state: seed };
            let few = (0..12).map(|_| cases.case()).collect();
            let mut fields = Vec::new();
            scalars(&program.vocabulary.subject, &mut fields);
            Variants { cases, few, fields }
        }

        fn next(&mut self) -> ir::Case {
            let mut case = self.few[self.cases.next(self.few.len())].clone();
            self.cases.redraw(&self.cases.program.vocabulary.subject, &mut case.subject, &self.fields);
            case
        }
    }

    /// Remembering gives what working every ruling out gives, case after
    /// case, on cases that share a group's facts and differ in others; and
    /// it does remember.
    #[test]
    fn remembered_verdicts_are_those_worked_out() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let mut cases = Cases { program: &program, state: 3 };
        let mut remembering = Evaluator::new(&program);
        let mut working_out = Evaluator::new(&program).remembering(false);
        // Room for a few verdicts only: once it is full, they are worked out.
        let mut cramped = Evaluator::new(&program);
        cramped.memo.room = 2000;
        let n = 4000;
        for i in 0..n {
            let case = cases.case();
            let b = working_out.verdicts(&case, Options::default());
            for a in [remembering.verdicts(&case, Options::default()), cramped.verdicts(&case, Options::default())] {
                match (a, &b) {
                    (Ok(a), Ok(b)) => assert_eq!(&a, b, "case {i}: {case:?}"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "case {i}"),
                    (a, b) => panic!("case {i}: {a:?} vs {b:?}"),
                }
            }
        }
        let few: usize = cramped.memo.groups.iter().flatten().map(|m| m.kept.len()).sum();
        assert!((1..20).contains(&few), "{few} kept in 2 000 bytes");
        let kept: usize = remembering.memo.groups.iter().flatten().map(|m| m.kept.len()).sum();
        let found: usize = remembering.memo.clauses.iter().flatten().map(|m| m.kept.len()).sum();
        assert!(found > 0, "findings are kept");
        let groups: usize = program.documents.iter().map(|d| d.groups.len()).sum();
        assert!(kept > groups, "verdicts are kept: {kept}");
        assert!(kept < n * groups / 4, "most verdicts are recalled, not kept: {kept}");
        assert!(working_out.memo.groups.iter().flatten().all(|m| m.kept.is_empty()));
        assert!(remembering.memo.room < super::ROOM);
    }

    /// A definition counting a list is keyed by its value: an enterprise
    /// whose hired people differ but count the same for every definition
    /// is given the verdicts of the one before, one whose count differs
    /// has them worked out; both as working out gives them.
    #[test]
    fn a_counted_list_is_remembered_by_its_counts() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let reader = crate::case::Reader::new(&program);
        let hired = |insured: bool, months: u32| {
            format!(r#"{{"脱贫人口":true,"劳动合同月数":{months},"参加社会保险":{insured}}}"#)
        };
        let lists = [
            [hired(true, 12), hired(false, 12), hired(true, 24)].join(","),
            // Other people, the same counts.
            [hired(true, 36), hired(true, 13), hired(false, 24)].join(","),
            [hired(true, 12), hired(true, 12), hired(true, 24)].join(","),
        ];
        let mut remembering = Evaluator::new(&program);
        let (mut kept, mut totals) = (Vec::new(), Vec::new());
        for list in &lists {
            let line = format!(
                r#"{{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{{"类型":"单位","单位性质":"企业","吸纳人员":[{list}]}}}}"#
            );
            let case = reader.read(&line).unwrap();
            let worked_out = Evaluator::new(&program).remembering(false).verdicts(&case, Options::default());
            let remembered = remembering.verdicts(&case, Options::default()).unwrap();
            assert_eq!(remembered, worked_out.unwrap(), "{list}");
            totals.push(remembered.total);
            kept.push(remembering.memo.groups.iter().flatten().map(|m| m.kept.len()).sum::<usize>());
        }
        // Item 5: 1000元/人 for each hired 脱贫人口 with a contract of 1年以上
        // and social insurance; 2, 2 and 3 of them.
        assert_eq!(totals, [2000, 2000, 3000].map(Decimal::from));
        assert!(kept[0] > 0, "an enterprise with hired people is remembered");
        assert_eq!(kept[1], kept[0], "the same counts: recalled");
        assert!(kept[2] > kept[1], "another count: worked out and kept");
    }

    /// Cases of one key ([`Evaluator::case_key`]) get the same verdicts:
    /// among cases of a few subjects whose lists' members and one other
    /// fact are drawn anew each time, many share a key, and each is given
    /// what the first of its key was given.
    #[test]
    fn cases_of_one_key_get_the_same_verdicts() {
        // The seed documents (not the other regions' in policies/其他地区/):
        // each case names each document at random, so the share of cases
        // of one key depends on how many documents there are.
        let seeds: Vec<PathBuf> = std::fs::read_dir("policies")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "policy"))
            .collect();
        let program = crate::workspace::load(&seeds).program.unwrap();
        let mut variants = Variants::new(&program, 11);
        let mut evaluator = Evaluator::new(&program).remembering(false);
        let mut first = std::collections::HashMap::new();
        let (mut key, mut keyed, mut shared) = (Vec::new(), 0, 0);
        for i in 0..6000 {
            let case = variants.next();
            let Ok(verdicts) = evaluator.verdicts(&case, Options::default()) else { continue };
            if !evaluator.case_key(&case, &mut key) {
                continue;
            }
            keyed += 1;
            match first.get(&key) {
                Some(earlier) => {
                    shared += 1;
                    assert_eq!(earlier, &verdicts, "case {i}: {case:?}");
                }
                None => {
                    first.insert(key.clone(), verdicts);
                }
            }
        }
        assert!(keyed > 1500, "{keyed} cases keyed");
        assert!(shared > 1000, "{shared} cases share a key with an earlier one");
    }

    /// `verdicts_keyed` gives what the first case of a key was given, or
    /// works the case out as `verdicts` does, under the key `case_key`
    /// makes: for cases of one document, whose definitions worked out for
    /// the key are kept for the verdicts, and of several.
    #[test]
    fn keyed_verdicts_are_those_worked_out() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let mut variants = Variants::new(&program, 13);
        let mut keying = Evaluator::new(&program);
        let mut working_out = Evaluator::new(&program).remembering(false);
        let mut first = std::collections::HashMap::new();
        let (mut key, mut case_key, mut tally) = (Vec::new(), Vec::new(), [0; 3]);
        for i in 0..6000 {
            let mut case = variants.next();
            if i % 2 == 0 {
                case.documents.truncate(1);
            }
            let worked_out = working_out.verdicts(&case, Options::default());
            let mut out = Verdicts::empty(case.date);
            let keyed = keying.verdicts_keyed(&case, Options::default(), &mut key, |k| first.get(k).cloned(), &mut out);
            let (Ok(worked_out), Ok(keyed)) = (worked_out, keyed) else { continue };
            match keyed {
                Keyed::Known(earlier) => {
                    tally[0] += 1;
                    assert_eq!(earlier, worked_out, "case {i}: {case:?}");
                }
                Keyed::Evaluated => {
                    tally[1] += 1;
                    assert_eq!(out, worked_out, "case {i}: {case:?}");
                    assert!(working_out.case_key(&case, &mut case_key) && case_key == key, "case {i}");
                    first.insert(key.clone(), out);
                }
                Keyed::Unkeyed => {
                    tally[2] += 1;
                    assert_eq!(out, worked_out, "case {i}: {case:?}");
                    assert!(!working_out.case_key(&case, &mut case_key), "case {i}");
                }
            }
        }
        assert!(tally.iter().all(|&n| n > 300), "known, worked out, unkeyed: {tally:?}");
    }

    /// `decide`, the build without words, gives the decisions and the total
    /// of the rulings with words, case after case.
    #[test]
    fn decisions_are_those_of_the_rulings() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let mut cases = Cases { program: &program, state: 5 };
        let (mut deciding, mut ruling) = (Evaluator::new(&program), Evaluator::new(&program));
        let (mut decisions, mut granted) = (Vec::new(), 0);
        for i in 0..4000 {
            let case = cases.case();
            decisions.clear();
            match (deciding.decide(&case, &mut decisions), ruling.verdicts(&case, Options::default())) {
                (Ok(total), Ok(v)) => {
                    let worded: Vec<_> = v.rulings.iter().map(|r| r.decision).collect();
                    assert_eq!(decisions, worded, "case {i}: {case:?}");
                    assert_eq!(total, v.total, "case {i}");
                    granted += usize::from(!total.is_zero());
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "case {i}"),
                (a, b) => panic!("case {i}: {a:?} vs {b:?}"),
            }
        }
        assert!(granted > 100, "cases granted something: {granted}");
    }
}
