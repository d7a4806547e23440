//! Whole ruling lines remembered from case to case. Everything a case's
//! line says after its 编号 and date is a function of its key
//! ([`Evaluator::case_key`]): across a population most cases share a key
//! with an earlier one (the same facts, the same counts of hired people),
//! and such a case is given that case's decisions and text again, without
//! being evaluated or written.
//!
//! Where few cases are found, keys stop being made for a while, twice as
//! long after each such stretch in a row: a population of all-different
//! cases costs a key per case only in the stretches that look. What is
//! kept takes at most [`ROOM`] bytes, so memory stays bounded whatever the
//! population.
//!
//! # In detail
//!
//! **Remembered lines** (`batch/remember.rs`): everything a case's ruling
//! line says after its 编号 and date follows from its key
//! (`Evaluator::case_key`): the date, the documents it names, and for each
//! what its statuses, constraints and rules read (`memo::Reads::union` of the
//! groups' and clauses' reads below), a count outside a definition keyed by
//! its value (`memo::Counted`, through `memo::Values::expr`, compiled where
//! it can be). Each batch worker keeps the lines of the keys it meets
//! (`Remembered`, 8 MB at most: decisions, total, and the text after the head
//! as an `Arc<str>`) and gives a case of a key it has kept that line's
//! decisions and text without evaluating or writing it.
//! `Evaluator::verdicts_keyed` keys a case and works it out only when the
//! caller does not know the key; for a case of one document the definitions
//! worked out for the key are those the verdicts read. The chunk's text holds
//! the line's head; the kept text is written from where it is kept
//! (`Out::held`, once per chunk and line, and `Out::inserts`, with
//! `write_vectored`), and its decisions go into the totals once per chunk,
//! times the cases given it (`Remembered::given`). Where few cases of a
//! stretch of 256 are found, keys are not made for the next 4 096 (twice as
//! many after each such stretch, and only a few lines kept then:
//! `stretch::Stretch`, which the fast reader's `fast::Seen` uses too). With a
//! trace, nothing is keyed. Tests:
//! `memo::tests::cases_of_one_key_get_the_same_verdicts` and
//! `keyed_verdicts_are_those_worked_out` (generated cases, each key's first
//! case against later ones; fail when a fact, its defaulted mark or a count
//! is left out of the key), `tests/batch.rs`
//! (`a_list_counted_outside_a_definition_keys_the_lines`, and every shipped
//! case three times over against `eval` and `--summary-only`).

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::eval::{Decision, EvalError, Evaluator, Keyed, Options, Verdicts};
use crate::hash::FxMap;
use crate::ir;
use crate::stretch::{Stretch, PROBE};

/// Bytes of keys, decisions and text kept, at most, for one worker.
pub const ROOM: usize = 8 << 20;

/// Cases found, at least, of a stretch of [`PROBE`] looked for, for the
/// next to be looked for too; and, after a stretch of fewer, the most
/// lines kept in a stretch.
const FOUND_LEAST: u32 = PROBE / 8;

/// Cases not looked for after a stretch in which too few were found; after
/// each such stretch in a row, twice as many, up to 64 times.
const REST: u32 = 4096;

/// What a key was given: the decisions (for the totals), the total, and
/// the line's text after its head.
pub struct Line {
    pub decisions: Box<[Decision]>,
    pub total: Decimal,
    pub text: Arc<str>,
}

/// The lines kept, by key, and how well looking for them has gone.
pub struct Remembered {
    /// Each key's place in `lines`.
    kept: FxMap<Box<[u8]>, usize>,
    lines: Vec<Given>,
    /// The lines given since [`Remembered::given`] last told.
    given: Vec<usize>,
    room: usize,
    /// The key of the case last looked for.
    key: Vec<u8>,
    stretch: Stretch,
    /// Lines kept in the current stretch.
    kept_now: u32,
}

/// A line kept, and how it has been given in the chunk being worked on.
struct Given {
    line: Line,
    /// How many times since [`Remembered::given`] last told.
    times: u64,
    /// Where its text is among those the chunk holds, once given in it.
    held: usize,
}

/// What became of a case.
pub enum Look<'a> {
    /// Its key's line, and where its text is among those the chunk holds.
    Found(&'a Line, usize),
    /// Worked out; [`Remembered::keep`] may keep its line.
    Missing,
    /// Worked out, without a key or without being looked for.
    Unkeyed,
}

impl Default for Remembered {
    fn default() -> Self {
        Remembered {
            kept: FxMap::default(),
            lines: Vec::new(),
            given: Vec::new(),
            room: ROOM,
            key: Vec::new(),
            stretch: Stretch::new(FOUND_LEAST, (REST, 64 * REST)),
            kept_now: 0,
        }
    }
}

impl Remembered {
    /// The line kept for the key of `case`, if there is one (counted as
    /// given, for [`Remembered::given`]; its text added to those `held` by
    /// the chunk the first time); else its verdicts, worked out into
    /// `out` ([`Evaluator::verdicts_keyed`]).
    pub fn verdicts(
        &mut self,
        evaluator: &mut Evaluator,
        case: &ir::Case,
        options: Options,
        (out, held): (&mut Verdicts, &mut Vec<Arc<str>>),
    ) -> Result<Look<'_>, EvalError> {
        let Remembered { kept, lines, given, key, stretch, kept_now, .. } = self;
        if !stretch.looks() {
            evaluator.verdicts_into(case, options, out)?;
            return Ok(Look::Unkeyed);
        }
        let known = |key: &[u8]| kept.get(key).copied();
        let keyed = evaluator.verdicts_keyed(case, options, key, known, out)?;
        let found = match keyed {
            Keyed::Known(_) => true,
            Keyed::Evaluated => false,
            Keyed::Unkeyed => return Ok(Look::Unkeyed),
        };
        if stretch.counts(found) {
            *kept_now = 0;
        }
        let Keyed::Known(i) = keyed else { return Ok(Look::Missing) };
        let Some(g) = lines.get_mut(i) else {
            // Not so: `kept` holds only places in `lines`.
            evaluator.verdicts_into(case, options, out)?;
            return Ok(Look::Unkeyed);
        };
        if g.times == 0 {
            given.push(i);
            g.held = held.len();
            held.push(Arc::clone(&g.line.text));
        }
        g.times += 1;
        Ok(Look::Found(&g.line, g.held))
    }

    /// Keeps a line under the key of the case last looked for, which was
    /// [`Look::Missing`], while there is room (and, after a stretch of few
    /// found, only a few a stretch): its decisions, total, and text after
    /// the head.
    pub fn keep(&mut self, decisions: impl ExactSizeIterator<Item = Decision>, total: Decimal, text: &str) {
        // After a stretch of few found, only a few, to tell whether cases
        // repeat now, without filling memory with lines no case is given
        // again.
        if self.stretch.after_few() && self.kept_now >= FOUND_LEAST {
            return;
        }
        self.kept_now += 1;
        let size = self.key.len() + decisions.len() * std::mem::size_of::<Decision>() + text.len() + ENTRY;
        if let Some(left) = self.room.checked_sub(size) {
            self.room = left;
            self.kept.insert(self.key.as_slice().into(), self.lines.len());
            let line = Line { decisions: decisions.collect(), total, text: text.into() };
            self.lines.push(Given { line, times: 0, held: 0 });
        }
    }

    /// Each line given since the last call, with how many times it was
    /// given (its decisions count that many times in the totals); then
    /// counts from naught again.
    pub fn given(&mut self, mut each: impl FnMut(&Line, u64)) {
        let Remembered { lines, given, .. } = self;
        for i in given.drain(..) {
            if let Some(g) = lines.get_mut(i) {
                each(&g.line, std::mem::take(&mut g.times));
            }
        }
    }
}

/// What a line kept costs beyond its key, decisions and text, about.
const ENTRY: usize = 64;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;

    use rust_decimal::Decimal;

    use super::{Look, Remembered, FOUND_LEAST, PROBE, REST};
    use crate::case::Reader;
    use crate::eval::{Evaluator, Options, Verdicts};

    /// Persons of `days` days of training: cases of keys of their own.
    fn person(reader: &Reader, days: u32) -> crate::ir::Case {
        let line = format!(
            r#"{{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{{"类型":"个人","参加培训天数":{days}}}}}"#
        );
        reader.read(&line).unwrap()
    }

    /// What became of a case: found (with its total), missing, unkeyed.
    fn look(lines: &mut Remembered, evaluator: &mut Evaluator, case: &crate::ir::Case) -> Result<Decimal, bool> {
        let mut out = Verdicts::empty(case.date);
        match lines.verdicts(evaluator, case, Options::default(), (&mut out, &mut Vec::new())).unwrap() {
            Look::Found(line, _) => Ok(line.total),
            Look::Missing => Err(true),
            Look::Unkeyed => Err(false),
        }
    }

    /// A stretch of cases none of which is found: the next are not looked
    /// for, until the rest is over; then a case kept before is found. The
    /// rest after a second such stretch is twice as long, and of its lines
    /// only a few are kept.
    #[test]
    fn looking_rests_after_a_stretch_of_few_found() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let (mut evaluator, reader) = (Evaluator::new(&program), Reader::new(&program));
        let mut lines = Remembered::default();
        for days in 0..PROBE {
            assert_eq!(look(&mut lines, &mut evaluator, &person(&reader, days)), Err(true), "{days}");
            lines.keep(std::iter::empty(), Decimal::from(days), "");
        }
        let kept = person(&reader, 3);
        for _ in 0..REST {
            assert_eq!(look(&mut lines, &mut evaluator, &kept), Err(false));
        }
        assert_eq!(look(&mut lines, &mut evaluator, &kept), Ok(Decimal::from(3)), "found after the rest");
        // Another stretch of none found (but that one): twice the rest,
        // and only a few of its lines kept.
        for days in PROBE..2 * PROBE - 1 {
            assert_eq!(look(&mut lines, &mut evaluator, &person(&reader, days)), Err(true), "{days}");
            lines.keep(std::iter::empty(), Decimal::from(days), "");
        }
        assert_eq!(lines.lines.len(), (PROBE + FOUND_LEAST) as usize);
        for _ in 0..2 * REST {
            assert_eq!(look(&mut lines, &mut evaluator, &kept), Err(false));
        }
        assert_eq!(look(&mut lines, &mut evaluator, &kept), Ok(Decimal::from(3)), "found after the longer rest");
    }

    /// Lines are kept while there is room, and no more.
    #[test]
    fn lines_are_kept_while_there_is_room() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let (mut evaluator, reader) = (Evaluator::new(&program), Reader::new(&program));
        let mut lines = Remembered { room: 1000, ..Remembered::default() };
        for days in 0..20 {
            assert_eq!(look(&mut lines, &mut evaluator, &person(&reader, days)), Err(true));
            lines.keep(std::iter::empty(), Decimal::ZERO, &"理由".repeat(50));
        }
        assert!((1..5).contains(&lines.kept.len()), "{} kept", lines.kept.len());
        assert!(lines.room < 1000);
    }
}
