//! A list's members, each with its [`Facts`]: two bit masks over its first
//! 64 slots, of those given and of those holding `true`. A count such as
//! `计数 吸纳人员 其中 脱贫人口 且 来自对口帮扶地区` decides most members from
//! these two words, without reading their records.
//!
//! The fast case reader keeps a member's facts as it fills the record.
//! Only it changes members in place ([`Members::record_mut`]), writing
//! the facts with the record; elsewhere members are only added, so the
//! facts always agree with the records. When it reads a list over a
//! longer one, the records past the new list's end stay where they are,
//! as spares, for the next list to be read over ([`Members::set_len`]):
//! nothing else sees them, and nothing moves.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::{Record, Value};

/// The members of a list, in order (read as a slice of records), with
/// their facts. As small as a pointer, so that a [`Value`] stays as
/// small as a text; an empty list allocates nothing.
#[derive(Default, Serialize, Deserialize)]
#[serde(from = "Vec<Record>", into = "Vec<Record>")]
pub struct Members(Option<Box<Inner>>);

#[derive(Default)]
struct Inner {
    /// The members, then the spares.
    records: Vec<Record>,
    /// Each record's facts, in the same order.
    facts: Vec<Facts>,
    /// How many of the records are members.
    len: usize,
}

/// The slots [`Facts`] tell of: a record's first 64.
pub const SLOTS: u32 = 64;

/// Which of a record's first 64 slots hold `true`, and which are given
/// (not missing): bit `s` is slot `s`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub truth: u64,
    pub given: u64,
}

impl Facts {
    /// The facts of `record`.
    pub fn of(record: &Record) -> Facts {
        let mut facts = Facts::default();
        for (slot, value) in record.values.iter().take(SLOTS as usize).enumerate() {
            facts.set(slot as u32, value);
        }
        facts
    }

    /// Records that `slot` now holds `value`; slots past 64 are not kept.
    #[inline]
    pub fn set(&mut self, slot: u32, value: &Value) {
        self.set_bit(Facts::bit(slot), value);
    }

    /// The bit of `slot`: 0 for a slot past 64.
    #[inline]
    pub fn bit(slot: u32) -> u64 {
        1u64.checked_shl(slot).unwrap_or(0)
    }

    /// [`Facts::set`] with the slot's [`Facts::bit`].
    #[inline]
    pub fn set_bit(&mut self, bit: u64, value: &Value) {
        match value {
            Value::Missing => self.given &= !bit,
            _ => self.given |= bit,
        }
        match value {
            Value::Bool(true) => self.truth |= bit,
            _ => self.truth &= !bit,
        }
    }
}

impl Members {
    /// Adds a member.
    pub fn push(&mut self, record: Record) {
        let facts = Facts::of(&record);
        self.push_with_facts(record, facts);
    }

    /// Adds a member whose facts the caller has kept while filling it:
    /// they must be [`Facts::of`] the record. Spares are dropped.
    pub fn push_with_facts(&mut self, record: Record, facts: Facts) {
        debug_assert_eq!(facts, Facts::of(&record));
        let inner = self.0.get_or_insert_with(Box::default);
        inner.records.truncate(inner.len);
        inner.facts.truncate(inner.len);
        inner.records.push(record);
        inner.facts.push(facts);
        inner.len += 1;
    }

    /// Each member's facts, in order.
    pub fn facts(&self) -> &[Facts] {
        self.0.as_ref().map_or(&[], |inner| inner.facts.get(..inner.len).unwrap_or_default())
    }

    /// Record `i` (a member, or a spare past them) and its facts, to be
    /// written over in place by a reader filling a list kept from an
    /// earlier case, which then says how many are members
    /// ([`Members::set_len`]). The caller leaves the facts [`Facts::of`]
    /// the record, or drops the list.
    pub fn record_mut(&mut self, i: usize) -> Option<(&mut Record, &mut Facts)> {
        let inner = self.0.as_mut()?;
        Some((inner.records.get_mut(i)?, inner.facts.get_mut(i)?))
    }

    /// How many records [`Members::record_mut`] reaches: members and spares.
    pub fn record_count(&self) -> usize {
        self.0.as_ref().map_or(0, |inner| inner.records.len())
    }

    /// Makes the first `n` records (at most all) the members, those past
    /// them spares.
    pub fn set_len(&mut self, n: usize) {
        if let Some(inner) = &mut self.0 {
            inner.len = n.min(inner.records.len());
        }
    }

    /// Keeps the first `n` records; of those past them, spares included,
    /// moves as many to the end of `out` as it has room for below `most`
    /// records, dropping the rest. Returns how many were moved.
    pub fn truncate_into(&mut self, n: usize, out: &mut Vec<Record>, most: usize) -> usize {
        let Some(inner) = &mut self.0 else { return 0 };
        if n >= inner.records.len() {
            return 0;
        }
        let moved = (inner.records.len() - n).min(most.saturating_sub(out.len()));
        out.extend(inner.records.drain(n..).take(moved));
        inner.records.truncate(n);
        inner.facts.truncate(n);
        inner.len = inner.len.min(n);
        moved
    }

    /// Removes every member and spare, keeping the room.
    pub fn clear(&mut self) {
        if let Some(inner) = &mut self.0 {
            inner.facts.clear();
            inner.records.clear();
            inner.len = 0;
        }
    }

    /// Room for records without allocating.
    pub fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |inner| inner.records.capacity())
    }
}

impl Deref for Members {
    type Target = [Record];
    fn deref(&self) -> &[Record] {
        self.0.as_ref().map_or(&[], |inner| inner.records.get(..inner.len).unwrap_or_default())
    }
}

/// The members, without the spares.
impl Clone for Members {
    fn clone(&self) -> Self {
        let Some(_) = &self.0 else { return Members(None) };
        Members(Some(Box::new(Inner { records: self.to_vec(), facts: self.facts().to_vec(), len: self.len() })))
    }
}

/// The members, as a list of records.
impl fmt::Debug for Members {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal when they have the same members with the same facts.
impl PartialEq for Members {
    fn eq(&self, other: &Self) -> bool {
        **self == **other && self.facts() == other.facts()
    }
}

impl FromIterator<Record> for Members {
    fn from_iter<I: IntoIterator<Item = Record>>(records: I) -> Self {
        let mut members = Members::default();
        for r in records {
            members.push(r);
        }
        members
    }
}

impl From<Vec<Record>> for Members {
    fn from(records: Vec<Record>) -> Self {
        records.into_iter().collect()
    }
}

impl From<Members> for Vec<Record> {
    fn from(members: Members) -> Self {
        members.0.map_or_else(Vec::new, |inner| {
            let mut records = inner.records;
            records.truncate(inner.len);
            records
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::{Facts, Members, Record, Value};

    fn member(values: Vec<Value>) -> Record {
        Record { defaulted: vec![false; values.len()], values }
    }

    /// A record's masks tell its true and its given slots, slots past 64
    /// left out, a slot set again taking its new value; a list keeps each
    /// member's.
    #[test]
    fn facts_follow_the_values() {
        let mut values = vec![Value::Missing; 70];
        values[0] = Value::Bool(true);
        values[1] = Value::Bool(false);
        values[2] = Value::Num(3.into());
        values[63] = Value::Bool(true);
        values[64] = Value::Bool(true);
        let facts = Facts::of(&member(values));
        assert_eq!(facts, Facts { truth: 1 | 1 << 63, given: 0b111 | 1 << 63 });
        let mut again = facts;
        again.set(0, &Value::Bool(false));
        again.set(2, &Value::Missing);
        again.set(64, &Value::Bool(true));
        assert_eq!(again, Facts { truth: 1 << 63, given: 0b011 | 1 << 63 });

        let list: Members = (0..3).map(|i| member(vec![Value::Bool(i == 1)])).collect();
        assert_eq!(list.facts().iter().map(|f| (f.truth, f.given)).collect::<Vec<_>>(), [(0, 1), (1, 1), (0, 1)]);
        let (mut shortened, mut out) = (list.clone(), vec![member(vec![])]);
        assert_eq!(shortened.truncate_into(3, &mut out, 9), 0);
        assert_eq!((shortened.len(), out.len()), (3, 1));
        assert_eq!(shortened.truncate_into(1, &mut out, 2), 1);
        assert_eq!(out[1..], list[1..2], "moved while `out` has room, the rest dropped");
        assert_eq!((&shortened[..], shortened.facts()), (&list[..1], &list.facts()[..1]));
        let (record, facts) = shortened.record_mut(0).unwrap();
        *record = member(vec![Value::Bool(true)]);
        *facts = Facts::of(record);
        assert_eq!(shortened.facts(), [Facts { truth: 1, given: 1 }]);
        assert!(shortened.record_mut(1).is_none() && Members::default().record_mut(0).is_none());
        assert_eq!(shortened.truncate_into(0, &mut out, 9), 1);
        assert!(shortened.is_empty() && shortened.facts().is_empty());
        assert_ne!(list, shortened);
        assert!(Members::default().facts().is_empty());
        assert_eq!(std::mem::size_of::<Value>(), 32, "a tag and a text");
    }

    /// Records past the members are spares: written over in place, never
    /// seen as members (nor cloned, compared, shown or serialized) until
    /// made members again; a member added drops them; moved on with the
    /// records past a truncation.
    #[test]
    fn spares_stay_out_of_sight() {
        let list: Members = (0..4).map(|i| member(vec![Value::Bool(i % 2 == 1)])).collect();
        let mut short = list.clone();
        short.set_len(2);
        assert_eq!((short.len(), short.record_count()), (2, 4));
        assert_eq!((&short[..], short.facts()), (&list[..2], &list.facts()[..2]));
        let two: Members = list[..2].iter().cloned().collect();
        assert_eq!(short, two);
        assert_eq!(format!("{short:?}"), format!("{two:?}"));
        assert_eq!(serde_json::to_string(&short).unwrap(), serde_json::to_string(&two).unwrap());
        let copy = short.clone();
        assert_eq!((copy.len(), copy.record_count()), (2, 2), "a clone leaves the spares behind");

        // Written over in place, then made members again.
        let (record, facts) = short.record_mut(3).unwrap();
        *record = member(vec![Value::Bool(true)]);
        *facts = Facts::of(record);
        assert_eq!(short.len(), 2, "a spare written is not yet a member");
        short.set_len(9);
        assert_eq!(short.len(), 4, "at most every record");
        assert_eq!(short.facts()[3], Facts { truth: 1, given: 1 });
        assert_eq!(short[..3], list[..3]);

        // A member added goes after the members, the spares dropped.
        short.set_len(1);
        short.push(member(vec![Value::Num(7.into())]));
        assert_eq!((short.len(), short.record_count()), (2, 2));
        assert_eq!(short[1], member(vec![Value::Num(7.into())]));

        // Truncating moves spares on with the members past the cut.
        let mut short = list.clone();
        short.set_len(1);
        let mut out = Vec::new();
        assert_eq!(short.truncate_into(0, &mut out, 9), 4);
        assert_eq!(out, list.to_vec());
        assert_eq!((short.len(), short.record_count()), (0, 0));
        short.clear();
        assert!(short.is_empty());
    }
}
