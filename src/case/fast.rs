//! A JSON case read straight into slots, for population runs: no tree, no
//! copied keys, field names found through tables built once per program,
//! and a list's members most often read by the shape of the one before.
//!
//! It takes only the plain shape of a valid case — strings without escapes,
//! whole non-negative numbers, exact enum values and document ids — and
//! gives up on anything else, unknown fields and duplicate keys included.
//! The caller then reads the line the ordinary way, which either accepts
//! it or says what is wrong with it. Whenever this reader accepts a line it
//! gives the same case as the ordinary reader; `tests/batch.rs` checks that
//! on every shipped case and on lines it must take or leave.
//!
//! Lines come to it unchecked for UTF-8, and it takes none that is not
//! (see [`Reader::read_reusing`]): the bytes it compares with known text
//! need no check, only the strings it keeps or skips.
//!
//! # How it reads
//!
//! `case::Reader` takes plain lines (no escapes, whole numbers, exact names)
//! straight into slots and leaves anything else to the ordinary reader, which
//! accepts it or reports it. Nothing is allocated per case once a worker has
//! warmed up: the fast reader's case goes back to it (`Reader::recycle` into
//! a `case::Spare`), which puts the subject record back to its defaults by
//! resetting only the slots the line wrote: the reader marks each slot it
//! writes in a mask kept in the `Spare` with the record's address, and a
//! record of more than 64 slots, or not the last one read, is scanned instead
//! (this reader writes no missing value, so a written slot is one no longer
//! marked as defaulted, or no longer missing). It also keeps each kind of
//! list handed back (`Pool::list`, at most 4096 members' room): the next list
//! of that kind is read over it, member records written in place (nothing
//! moved in or out of a pool per member): the kept list's records past the
//! new list's end stay in it as spares (`Pool::end_list`), and members past
//! all its records are taken from the kept records (those of a list too large
//! to keep, at most 4096) or made anew; a case the ordinary reader made is
//! never handed back. Each worker's evaluator, reader and reused records
//! (`batch::Worker`) live for the whole run, not one chunk. The reader also
//! keeps, per field table, the order of the keys of the last object it read
//! (`Spare`): lines and a list's members give their keys in the same order,
//! so each key is first compared byte for byte with the one expected there,
//! and scanned and looked up in the table only when it differs. A list's
//! members go further (`fast::Shape`): the text between the values of the
//! last member read key by key (`{"脱贫人口": `, `, "劳动合同月数": `, …, `}`) is kept,
//! and the next member is read by comparing that text (a piece of at most 32
//! bytes with the 32 bytes of the line where it should start, as two masked
//! 16-byte words, `fast::Piece`, not by `memcmp`) and reading each value by
//! its field's type; a member of another shape is read key by key and its
//! shape learnt. A shape also remembers the members it has read by their text
//! (`fast::Seen`: 256 places by hash, each the last member kept there, with
//! the values and facts it gave): a member whose text, from its `{` to its
//! first `}`, is one of them is given those again without being read (hired
//! people are a few yes/no facts and a month count, so a population gives few
//! distinct ones). Where most members of a stretch of 256 are not found, none
//! are looked for during the next 4096. Each shape has a generation, and each
//! kept member record the generation of the shape that wrote it (0 when read
//! key by key): a record is put back to the defaults when taken for a member
//! only if another shape wrote it, as one shape writes the same slots each
//! time. The writers are kept with the list they were read for (matched by
//! its records' address and number), so the members of a list handed back out
//! of turn are each put back. Each worker evaluates into one `eval::Verdicts`
//! (`Evaluator::verdicts_into` clears and refills it), whose reasons are one
//! `eval::Reasons` buffer: every reason of the case one after another in one
//! string, each ruling holding the range of its reasons. Tests:
//! `tests/batch.rs` runs nine chunks of unequal cost with 1, 2 and 3 workers
//! (same lines, same order, same summary), a read error part way and a write
//! error part way, reads every shipped case and lines that fail part way
//! through a subject or a member, or whose members change shape, through one
//! `Spare` (also two cases out at once, handed back out of turn), and
//! evaluates every shipped case into one `Verdicts`, against fresh ones; the
//! `line` fuzz target keeps one `Spare` and one remembering evaluator for a
//! whole run, checking each line's verdicts against ones worked out afresh
//! (it finds a memo key that leaves a counted definition's value out within
//! two minutes).

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::check::text::fold;
use crate::date::Date;
use crate::hash::FxBuild;
use crate::ir::{self, Facts, FieldKind, Members, Program, Record, RecordSchema, Ty, Value};
use crate::stretch::{Stretch, PROBE};

/// Lines nesting deeper are left to the ordinary reader, which refuses them.
const MAX_DEPTH: usize = super::node::MAX_DEPTH;

/// The vocabulary as lookup tables: compile once, read many lines.
pub struct Reader<'p> {
    program: &'p Program,
    subject: Target,
    /// For each list of the vocabulary, what its members start from.
    members: Vec<Target>,
    /// Field tables: the subject's first, then every nested record's and
    /// list member's.
    tables: Vec<Table<'p>>,
    /// For each list of the vocabulary, its members' table.
    lists: Vec<usize>,
    /// The subject's slots that hold lists, with the list of each.
    list_slots: Vec<(u32, u32)>,
    /// The slot of the subject's kind, which a case must give.
    kind: Option<usize>,
}

/// Member records kept for reuse per list, at most, and the most room a
/// kept member list may have: enough for a large enterprise's hired
/// people, little memory.
const KEEP: usize = 4096;

/// What one line's case leaves to the next when it is handed back with
/// [`Reader::recycle`]: its subject record, put back to the defaults by
/// resetting only the slots the line wrote, and its lists, whose members
/// the next line's lists are read over in place, each put back when it
/// is used unless the shape that wrote it writes it again; so that a
/// population run neither allocates nor frees nor moves a record for
/// each case or member.
#[derive(Default)]
pub struct Spare {
    subject: Option<Record>,
    /// The slots the last line read wrote into its subject record.
    written: Written,
    pool: Pool,
}

/// The subject slots a line wrote, as a mask of [`Facts::bit`]s, and the
/// record (the address of its values): when that record is handed back,
/// only those slots are put back to the defaults. A record of more than
/// 64 slots, or another record, is put back slot by slot.
#[derive(Default)]
struct Written {
    record_at: usize,
    slots: u64,
}

#[derive(Default)]
struct Pool {
    /// For each list of the vocabulary, the last such list handed back by
    /// [`Reader::recycle`], members and all: the next is read over it.
    lists: Vec<Option<Members>>,
    /// For each list of the vocabulary, what wrote each member of the list
    /// last read: taken with it by [`Pool::list`] if it is that list.
    writers: Vec<Writers>,
    /// For each list of the vocabulary, member records for reuse past the
    /// length of the list read over.
    members: Vec<Kept>,
    /// The generation of the last shape learnt (counting never wraps).
    generation: u64,
    /// A case's 编号 and 文件, with their room.
    id: String,
    documents: Vec<u32>,
    /// For each field table, the positions of the keys of the last object
    /// read with it, in their order: lines, and a list's members, give
    /// their keys in the same order, so the next key is most often the one
    /// found there.
    orders: Vec<Vec<u32>>,
    /// For each list of the vocabulary, how its last member read the
    /// ordinary way was written.
    shapes: Vec<Shape>,
    /// Where the values of the member being learnt lie.
    learning: Learning,
    /// The room of the last member's [`Learning::values`], for the next.
    learnt: Vec<(ShapeValue, std::ops::Range<usize>)>,
}

/// What wrote each record of a list, members and spares, and the list
/// (the address of its records).
#[derive(Default)]
struct Writers {
    list_at: usize,
    writers: Vec<u64>,
}

/// Member records kept for reuse, each with what wrote it: the generation
/// of a [`Shape`], else 0.
#[derive(Default)]
struct Kept {
    records: Vec<Record>,
    writers: Vec<u64>,
}

/// A list being read over one kept: its members so far, each with what
/// wrote it, then the records of the kept list not yet read over.
struct ListRead {
    members: Members,
    writers: Vec<u64>,
    read: usize,
}

impl Pool {
    /// The kept list of kind `list` to read over, with what wrote each of
    /// its members (nothing known if they are not those of the list last
    /// read: each is then put back to the defaults when used).
    fn list(&mut self, list: u32) -> Option<ListRead> {
        let members = grown(&mut self.lists, list as usize)?.take().unwrap_or_default();
        let last = grown(&mut self.writers, list as usize)?;
        let mut writers = std::mem::take(&mut last.writers);
        if last.list_at != members.as_ptr().addr() || writers.len() != members.record_count() {
            writers.clear();
            // No more room kept than a kept list has.
            writers.shrink_to(KEEP);
            writers.resize(members.record_count(), 0);
        }
        Some(ListRead { members, writers, read: 0 })
    }

    /// Ends the list of kind `list` read: the records of the kept list not
    /// read over stay in it as spares, and what wrote each record is
    /// remembered with the list.
    fn end_list(&mut self, list: u32, mut read: ListRead) -> Option<Members> {
        read.members.set_len(read.read);
        let at = read.members.as_ptr().addr();
        *self.writers.get_mut(list as usize)? = Writers { list_at: at, writers: read.writers };
        Some(read.members)
    }

    /// A member record for list `list`, with what wrote it: one kept, or
    /// `blank` anew.
    fn member(&mut self, list: u32, blank: &Record) -> (Record, u64) {
        let kept = self.members.get_mut(list as usize).map(|k| (k.records.pop(), k.writers.pop()));
        match kept {
            Some((Some(record), Some(writer))) if same_slots(&record, blank) => (record, writer),
            _ => (blank.clone(), 0),
        }
    }
}

/// Element `i` of `v`, which grows to hold it: the pool's tables, one per
/// list or field table, fill in as they are first used.
fn grown<T: Default>(v: &mut Vec<T>, i: usize) -> Option<&mut T> {
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    v.get_mut(i)
}

/// How a list's members were written, byte for byte apart from their
/// values: a population's members give the same keys in the same order,
/// with the same spaces, so that the next member is most often read by
/// comparing the text between its values and reading each value by its
/// field's type (a null is part of the text between values, as it leaves
/// its slot as it was). Learnt from a member read the ordinary way whose
/// fields are all scalars.
#[derive(Default)]
struct Shape {
    /// Told apart from every other shape learnt by the same pool, and from
    /// 0, which no shape has: a member record it wrote has its other slots
    /// at their defaults.
    generation: u64,
    /// The text before each value and after the last, one after another:
    /// `{"脱贫人口": `, `, "劳动合同月数": `, …, `}`, each with the white
    /// space after it.
    text: Vec<u8>,
    /// The fields in order, each with its text before.
    values: Vec<ShapeValue>,
    /// The text after the last value.
    last: Piece,
    /// Members read by this shape, by their text.
    seen: Seen,
}

/// The members a shape has read, by their text, each with the values and
/// facts it gave: a member whose text is one of them is given those again
/// without being read. A list's members are a few yes/no facts and a
/// month count (a hired person), so a population gives few distinct ones.
/// One place per hash, the last member kept there: memory is bounded, and
/// a member not found is read as it would have been. Where members differ
/// too much (most not found in a stretch of [`PROBE`]), they are not looked
/// for during the next [`REST`].
struct Seen {
    /// [`SEEN`] places once a member is kept.
    places: Vec<Known>,
    stretch: Stretch,
}

impl Default for Seen {
    fn default() -> Self {
        // Looking pays when half the members are found: one found saves
        // some 300 instructions, one not found costs some 150.
        Seen { places: Vec::new(), stretch: Stretch::new(PROBE / 2, (REST, REST)) }
    }
}

/// Places in a [`Seen`].
const SEEN: usize = 256;

/// Members not looked for after a stretch where looking did not pay.
const REST: u32 = 4096;

#[derive(Default)]
struct Known {
    /// The generation of the shape that read it.
    generation: u64,
    /// From the member's `{` to its first `}`, which closes it.
    text: Vec<u8>,
    /// In the order of the shape's values.
    values: Vec<Value>,
    facts: Facts,
}

impl Seen {
    /// The member at `start` of `line`, to its first `}`, and its hash;
    /// `None` where the line has no `}`.
    fn measure(line: &[u8], start: usize) -> Option<(&[u8], u64)> {
        let rest = line.get(start..)?;
        let member = rest.get(..=memchr::memchr(b'}', rest)?)?;
        let mut hash = crate::hash::Fx::default();
        std::hash::Hasher::write(&mut hash, member);
        Some((member, std::hash::Hasher::finish(&hash)))
    }

    /// Whether to look for the next member: not while resting.
    fn looking(&mut self) -> bool {
        self.stretch.looks()
    }

    /// The member `text`, of hash `hash`, read by the shape of `generation`.
    fn get(&mut self, (text, hash): (&[u8], u64), generation: u64) -> Option<&Known> {
        let known = self.places.get(hash as usize % SEEN).filter(|k| k.generation == generation && k.text == text);
        self.stretch.counts(known.is_some());
        known
    }

    /// Keeps the member `text` (of hash `hash`), whose values the shape of
    /// `generation` (its `values`) wrote into `rec`.
    fn keep(&mut self, (text, hash): (&[u8], u64), generation: u64, values: &[ShapeValue], rec: &Record, facts: Facts) {
        if self.places.is_empty() {
            self.places.resize_with(SEEN, Known::default);
        }
        let Some(known) = self.places.get_mut(hash as usize % SEEN) else { return };
        known.generation = generation;
        known.text.clear();
        known.text.extend_from_slice(text);
        known.values.clear();
        known.values.extend(values.iter().map(|v| rec.get(v.slot).clone()));
        known.facts = facts;
    }
}

/// A piece of a [`Shape`]'s text, from where the one before ends to `end`;
/// one of at most 32 bytes (most are: `, "劳动合同月数": ` has 24) is
/// compared with the 32 bytes of the line where it should start as two
/// 16-byte words, those past its end masked out, without a call to
/// `memcmp`.
#[derive(Clone, Copy, Default)]
struct Piece {
    end: usize,
    /// Its length.
    len: usize,
    words: [u128; 2],
    masks: [u128; 2],
}

impl Piece {
    /// The piece of `text` from `start` to `end`.
    fn new(text: &[u8], start: usize, end: usize) -> Piece {
        let piece = text.get(start..end).unwrap_or_default();
        let mut bytes = [0; 32];
        let n = piece.len().min(32);
        bytes.get_mut(..n).unwrap_or_default().copy_from_slice(piece.get(..n).unwrap_or_default());
        let mask = |from: usize| {
            let kept = n.saturating_sub(from).min(16) as u32;
            u128::MAX.checked_shr(8 * (16 - kept)).unwrap_or(0)
        };
        let [head, tail] = [0, 16].map(|from| {
            let mut word = [0; 16];
            word.copy_from_slice(bytes.get(from..from + 16).unwrap_or(&[0; 16]));
            u128::from_le_bytes(word)
        });
        Piece { end, len: piece.len(), words: [head, tail], masks: [mask(0), mask(16)] }
    }

    /// Steps `p` over this piece, which starts at `from` in `text`, the
    /// shape's text; `None` where the line differs.
    #[inline(always)]
    fn step_over(&self, p: &mut Parser, text: &[u8], from: usize) -> Option<()> {
        match p.text.get(p.at..).and_then(<[u8]>::first_chunk::<32>) {
            Some(line) if self.len <= 32 => {
                let (head, tail) = line.split_at(16);
                let word = |half: &[u8]| half.first_chunk::<16>().map_or(0, |w| u128::from_le_bytes(*w));
                let [h, t] = self.words;
                let [hm, tm] = self.masks;
                let differ = ((word(head) ^ h) & hm) | ((word(tail) ^ t) & tm);
                (differ == 0).then(|| p.at += self.len)
            }
            // Near the end of the line, or a longer piece.
            _ => p.exactly(text.get(from..self.end)?),
        }
    }
}

#[derive(Clone, Copy)]
struct ShapeValue {
    before: Piece,
    slot: u32,
    /// The slot's bit in [`Facts`].
    bit: u64,
    ty: Ty,
    /// A 享受记录's 项目 or 文件, folded for matching.
    history_name: bool,
}

/// A member being read the ordinary way: where each of its values lies, and
/// whether all of them are scalars (else it has no shape to learn).
#[derive(Default)]
struct Learning {
    /// Set for the next object read, the member's own: taken by it, so
    /// that a record nested in it does not count.
    next: bool,
    values: Vec<(ShapeValue, std::ops::Range<usize>)>,
    scalars: bool,
}

impl Shape {
    /// Reads a member of this shape into `rec`; `None` when none was learnt
    /// or the text is not of this shape, the parser having moved and `rec`
    /// and `facts` perhaps partly written.
    fn read(&mut self, reader: &Reader, p: &mut Parser, rec: &mut Record, facts: &mut Facts) -> Option<()> {
        // A member opens a bracket, and a learnt shape has at least `{}`.
        if self.text.is_empty() || p.depth >= MAX_DEPTH {
            return None;
        }
        // The member's text, if it is one: a shape's values have no
        // brackets, so it ends at the first `}`.
        let start = p.at;
        let member = if self.seen.looking() { Seen::measure(p.text, start) } else { None };
        if let Some(known) = member.and_then(|m| self.seen.get(m, self.generation)) {
            for (v, value) in self.values.iter().zip(&known.values) {
                *rec.values.get_mut(v.slot as usize)? = value.clone();
                *rec.defaulted.get_mut(v.slot as usize)? = false;
            }
            *facts = known.facts;
            p.at = start + known.text.len();
            p.ws();
            return Some(());
        }
        let mut from = 0;
        for v in &self.values {
            v.before.step_over(p, &self.text, from)?;
            from = v.before.end;
            let value = reader.scalar(p, v.ty, v.history_name)?;
            facts.set_bit(v.bit, &value);
            *rec.values.get_mut(v.slot as usize)? = value;
            *rec.defaulted.get_mut(v.slot as usize)? = false;
        }
        self.last.step_over(p, &self.text, from)?;
        // Read to the first `}`: kept for the members after it.
        if let Some(m) = member.filter(|(m, _)| start + m.len() == p.at) {
            self.seen.keep(m, self.generation, &self.values, rec, *facts);
        }
        // With white space after the `}` where the member learnt from had none.
        p.ws();
        Some(())
    }

    /// Learns the shape of the member read the ordinary way from `start`
    /// to `end` of `text`, if it has one.
    fn learn(&mut self, text: &[u8], start: usize, end: usize, learning: &Learning, generation: u64) {
        self.text.clear();
        self.values.clear();
        self.generation = generation;
        if !learning.scalars {
            return;
        }
        let mut from = start;
        for (value, at) in &learning.values {
            let piece_start = self.text.len();
            self.text.extend_from_slice(text.get(from..at.start).unwrap_or_default());
            let before = Piece::new(&self.text, piece_start, self.text.len());
            self.values.push(ShapeValue { before, ..*value });
            from = at.end;
        }
        let piece_start = self.text.len();
        self.text.extend_from_slice(text.get(from..end).unwrap_or_default());
        self.last = Piece::new(&self.text, piece_start, self.text.len());
    }
}

/// One record's fields: by name, each with its position (for spotting
/// duplicate keys), and by position.
#[derive(Default)]
struct Table<'p> {
    by_name: HashMap<&'p [u8], (u32, Field), FxBuild>,
    /// By position: each field's name, where a key can be compared with it
    /// byte for byte (it has no byte that ends a plain string), and the field.
    by_position: Vec<(Option<&'p str>, Field)>,
}

#[derive(Clone, Copy)]
enum Field {
    Scalar {
        slot: u32,
        ty: Ty,
    },
    /// A nested record, filling the same slots: its table.
    Record(usize),
    List {
        slot: u32,
        list: u32,
    },
}

/// Adds the table of `schema` (and of its nested records) to `tables`;
/// returns its index.
fn table<'p>(schema: &'p RecordSchema, tables: &mut Vec<Table<'p>>) -> usize {
    let index = tables.len();
    tables.push(Table::default());
    let mut fields = Table::default();
    for (i, f) in schema.fields.iter().enumerate() {
        let field = match &f.kind {
            FieldKind::Scalar { slot, ty, .. } => Field::Scalar { slot: *slot, ty: *ty },
            FieldKind::Record(inner) => Field::Record(table(inner, tables)),
            FieldKind::List { slot, list } => Field::List { slot: *slot, list: *list },
        };
        fields.by_name.insert(f.name.as_bytes(), (i as u32, field));
        let plain = !f.name.bytes().any(ends_string);
        fields.by_position.push((plain.then_some(f.name.as_str()), field));
    }
    if let Some(t) = tables.get_mut(index) {
        *t = fields;
    }
    index
}

/// The slots of `schema` (and of its nested records) that hold lists, with
/// the list of each.
fn lists_of(schema: &RecordSchema, out: &mut Vec<(u32, u32)>) {
    for f in &schema.fields {
        match &f.kind {
            FieldKind::Scalar { .. } => {}
            FieldKind::Record(inner) => lists_of(inner, out),
            FieldKind::List { slot, list } => out.push((*slot, *list)),
        }
    }
}

/// Puts `record`, filled by this reader from `blank`, back to `blank`;
/// `false` when it does not have `blank`'s slots. A slot the line wrote
/// is no longer marked as defaulted, or (a slot without a default) no
/// longer missing, as this reader writes no missing value: only those
/// slots are reset.
fn reset(record: &mut Record, blank: &Record) -> bool {
    if !same_slots(record, blank) {
        return false;
    }
    let slots = record.values.iter_mut().zip(&mut record.defaulted).zip(blank.values.iter().zip(&blank.defaulted));
    for ((value, defaulted), (blank_value, &blank_defaulted)) in slots {
        if *defaulted != blank_defaulted || (!blank_defaulted && !matches!(value, Value::Missing)) {
            put_back(value, blank_value);
            *defaulted = blank_defaulted;
        }
    }
    true
}

/// [`reset`] of only the slots in `mask` (bits of [`Facts::bit`]), which
/// must hold every slot written since `record` was last at `blank`.
fn reset_slots(record: &mut Record, blank: &Record, mut mask: u64) -> bool {
    if !same_slots(record, blank) {
        return false;
    }
    while mask != 0 {
        let slot = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        let (Some(value), Some(defaulted)) = (record.values.get_mut(slot), record.defaulted.get_mut(slot)) else {
            return false;
        };
        put_back(value, blank.get(slot as u32));
        *defaulted = blank.is_defaulted(slot as u32);
    }
    true
}

/// `value` made `blank`'s: one that holds neither a text nor a list is
/// copied in place rather than by a call to `Value::clone`.
#[inline]
fn put_back(value: &mut Value, blank: &Value) {
    *value = match blank {
        Value::Missing => Value::Missing,
        Value::Bool(b) => Value::Bool(*b),
        Value::Num(n) => Value::Num(*n),
        Value::Date(d) => Value::Date(*d),
        Value::Enum(i) => Value::Enum(*i),
        Value::Text(_) | Value::List(_) => blank.clone(),
    };
}

/// Whether `record` has the slots of `blank`.
fn same_slots(record: &Record, blank: &Record) -> bool {
    record.values.len() == blank.values.len() && record.defaulted.len() == blank.defaulted.len()
}

/// A kind of record being read: the record of defaults it starts from
/// (every default filled in and marked as such), and whether it is a
/// 享受记录 (whose 项目 is folded for matching).
struct Target {
    blank: Record,
    /// The facts of `blank`.
    facts: Facts,
    history: bool,
}

impl Target {
    fn new(schema: &RecordSchema, slot_count: usize, history: bool) -> Self {
        let mut blank = Record { values: vec![Value::Missing; slot_count], defaulted: vec![false; slot_count] };
        super::fill_defaults(schema, &mut blank);
        Target { facts: Facts::of(&blank), blank, history }
    }
}

impl<'p> Reader<'p> {
    pub fn new(program: &'p Program) -> Self {
        let v = &program.vocabulary;
        let mut tables = Vec::new();
        table(&v.subject, &mut tables);
        let lists = v.lists.iter().map(|l| table(&l.item, &mut tables)).collect();
        let subject = Target::new(&v.subject, v.slot_count, false);
        let members = v.lists.iter().map(|l| Target::new(&l.item, l.slot_count, l.name == "享受记录")).collect();
        let mut list_slots = Vec::new();
        lists_of(&v.subject, &mut list_slots);
        let kind = v.kind_slot().map(|s| s as usize);
        Reader { program, subject, members, tables, lists, list_slots, kind }
    }

    /// The case on this line, or `None` when the line is not of the plain
    /// shape this reader takes (read it the ordinary way then).
    pub fn read(&self, line: &str) -> Option<ir::Case> {
        self.read_reusing(line.as_bytes(), &mut Spare::default())
    }

    /// [`Reader::read`] of a line not yet checked for UTF-8, starting from
    /// the subject record `spare` holds, if any. A line it takes is UTF-8:
    /// each of its bytes past ASCII is in a string it checked, or in text
    /// it compared byte for byte with a name of the vocabulary or with a
    /// shape learnt from a checked line, all joined at ASCII bytes. A line
    /// not taken leaves the record in `spare`, as it was.
    pub fn read_reusing(&self, line: &[u8], spare: &mut Spare) -> Option<ir::Case> {
        match self.read_first_line(line, spare)? {
            (case, end) if end == line.len() => Some(case),
            // A line end in the line.
            (case, _) => {
                self.recycle(case, spare);
                None
            }
        }
    }

    /// [`Reader::read_reusing`] of the first line of `text` (lines of
    /// input, as a batch's chunk holds them): the case, and where its line
    /// ends (its `\n`, or the end of `text`). So the line need not be found
    /// before it is read: reading it finds its end.
    pub fn read_first_line(&self, text: &[u8], spare: &mut Spare) -> Option<(ir::Case, usize)> {
        let mut p = Parser::new(text);
        let mut subject = spare.subject.take().unwrap_or_else(|| self.subject.blank.clone());
        // Every slot written is marked given: this reader writes no missing value.
        let mut written = Facts::default();
        let case = self.case(&mut p, &mut subject, &mut written, &mut spare.pool);
        // A line end is not white space to this reader: the case ends
        // there, or the line is not taken.
        let case = case.filter(|_| matches!(p.peek(), None | Some(b'\n')));
        spare.written = Written { record_at: subject.values.as_ptr().addr(), slots: written.given };
        match case {
            Some((id, date, documents)) => Some((ir::Case { id, date, documents, subject }, p.at)),
            None => {
                self.recycle_record(subject, spare);
                None
            }
        }
    }

    /// Takes back a case [`Reader::read_reusing`] gave, for the next line.
    pub fn recycle(&self, case: ir::Case, spare: &mut Spare) {
        if let Some(id) = case.id {
            spare.pool.id = id;
        }
        spare.pool.documents = case.documents;
        self.recycle_record(case.subject, spare);
    }

    /// Puts `subject`, a record this reader filled, back to the defaults
    /// into `spare`, and its lists into the pool.
    fn recycle_record(&self, mut subject: Record, spare: &mut Spare) {
        let pool = &mut spare.pool;
        for &(slot, list) in &self.list_slots {
            let Some(Value::List(members)) = subject.values.get_mut(slot as usize) else {
                continue;
            };
            if members.capacity() == 0 {
                continue;
            }
            let mut members = std::mem::take(members);
            if members.capacity() > KEEP {
                // Too much room to keep: its first members go to the kept
                // records, to be put back to the defaults when used.
                if let Some(kept) = grown(&mut pool.members, list as usize) {
                    let moved = members.truncate_into(0, &mut kept.records, KEEP);
                    kept.writers.resize(kept.writers.len() + moved, 0);
                }
            } else if let Some(kept) = pool.lists.get_mut(list as usize) {
                *kept = Some(members);
            }
        }
        let written = std::mem::take(&mut spare.written);
        let put_back =
            if written.record_at == subject.values.as_ptr().addr() && subject.values.len() <= ir::FACT_SLOTS as usize {
                reset_slots(&mut subject, &self.subject.blank, written.slots)
            } else {
                reset(&mut subject, &self.subject.blank)
            };
        if put_back {
            spare.subject = Some(subject);
        }
    }

    /// The case's id, date and documents; its subject is read into
    /// `subject`, each slot written marked in `written`.
    fn case(
        &self,
        p: &mut Parser,
        subject: &mut Record,
        written: &mut Facts,
        pool: &mut Pool,
    ) -> Option<(Option<String>, Date, Vec<u32>)> {
        let (mut id, mut date, mut documents, mut given) = (None, None, None, false);
        let mut expected = false;
        p.object(|p, key| {
            let is = |name: &str| key == name.as_bytes();
            if is("编号") && id.is_none() {
                let mut text = std::mem::take(&mut pool.id);
                text.clear();
                match p.peek()? {
                    b'"' => text.push_str(p.text()?),
                    _ => text.push_str(&p.integer()?.to_string()),
                }
                id = Some(text);
            } else if is("日期") && date.is_none() {
                date = Some(Date::parse_iso(p.text()?)?);
            } else if is("文件") && documents.is_none() {
                documents = Some(self.documents(p, std::mem::take(&mut pool.documents))?);
            } else if is("主体") && !given {
                given = true;
                self.fill(p, &self.subject, 0, subject, written, pool)?;
            } else if is("期望") && !expected {
                expected = true;
                p.skip()?;
            } else {
                return None;
            }
            Some(())
        })?;
        let documents = documents.filter(|d: &Vec<u32>| !d.is_empty())?;
        // A case without its kind is the ordinary reader's to report.
        let kind_given = self.kind.is_none_or(|slot| !matches!(subject.values.get(slot), Some(Value::Missing)));
        (given && kind_given).then_some((id, date?, documents))
    }

    /// The documents named, as indices, written over `out`.
    fn documents(&self, p: &mut Parser, mut out: Vec<u32>) -> Option<Vec<u32>> {
        let known = |id: &[u8]| self.program.documents.iter().position(|d| d.id.as_bytes() == id).map(|i| i as u32);
        out.clear();
        if p.peek()? == b'"' {
            out.push(known(p.string()?)?);
            return Some(out);
        }
        p.array(|p| {
            out.push(known(p.string()?)?);
            Some(())
        })?;
        Some(out)
    }

    /// Reads an object's fields into `rec`, keeping its `facts`; lists take
    /// their members from `pool` while it has some.
    fn fill(
        &self,
        p: &mut Parser,
        target: &Target,
        table: usize,
        rec: &mut Record,
        facts: &mut Facts,
        pool: &mut Pool,
    ) -> Option<()> {
        let learning = std::mem::take(&mut pool.learning.next);
        let fields = self.tables.get(table)?;
        let mut order = std::mem::take(grown(&mut pool.orders, table)?);
        let mut k = 0;
        // Keys seen, to give up on duplicates as the ordinary reader refuses them.
        let mut seen = 0u128;
        let filled = p.items(b'{', b'}', |p| {
            // The key where the last object had its `k`-th, compared as it
            // is; else read and looked up.
            let expected = order.get(k).and_then(|&pos| Some((pos, fields.by_position.get(pos as usize)?)));
            let (key, position, field) = match expected {
                Some((pos, &(Some(name), field))) if p.key_is(name) => (name.as_bytes(), pos, field),
                _ => {
                    let key = p.string()?;
                    let &(position, field) = fields.by_name.get(key)?;
                    (key, position, field)
                }
            };
            p.eat(b':')?;
            match order.get_mut(k) {
                Some(o) => *o = position,
                None => order.push(position),
            }
            k += 1;
            let bit = 1u128.checked_shl(position)?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            if learning {
                // A scalar given as null is part of the text between values.
                pool.learning.scalars &= matches!(field, Field::Scalar { .. });
            }
            if p.peek()? == b'n' {
                p.literal(b"null")?;
                // A list given as null is an empty list the case gave.
                if let Field::List { slot, .. } = field {
                    facts.set(slot, &Value::List(Members::default()));
                    *rec.defaulted.get_mut(slot as usize)? = false;
                }
                return Some(());
            }
            match field {
                Field::Scalar { slot, ty } => {
                    let history_name = target.history && super::HISTORY_NAMES.iter().any(|n| key == n.as_bytes());
                    let start = p.at;
                    let v = self.scalar(p, ty, history_name)?;
                    if learning {
                        let value =
                            ShapeValue { before: Piece::default(), slot, bit: Facts::bit(slot), ty, history_name };
                        pool.learning.values.push((value, start..p.at));
                    }
                    facts.set(slot, &v);
                    *rec.values.get_mut(slot as usize)? = v;
                    *rec.defaulted.get_mut(slot as usize)? = false;
                }
                Field::Record(inner) => self.fill(p, target, inner, rec, facts, pool)?,
                Field::List { slot, list } => {
                    let mut read = pool.list(list)?;
                    p.array(|p| self.member(p, list, pool, &mut read))?;
                    let members = pool.end_list(list, read)?;
                    // Given, and not `true`: what a list counts as in facts.
                    facts.set(slot, &Value::List(Members::default()));
                    *rec.values.get_mut(slot as usize)? = Value::List(members);
                    *rec.defaulted.get_mut(slot as usize)? = false;
                }
            }
            Some(())
        });
        if let Some(kept) = pool.orders.get_mut(table) {
            *kept = order;
        }
        filled
    }

    /// The next member of `read`, a list of kind `list`: read over the
    /// member of the kept list in its place if there is one.
    fn member(&self, p: &mut Parser, list: u32, pool: &mut Pool, read: &mut ListRead) -> Option<()> {
        let i = read.read;
        // A list too long is the ordinary reader's to report.
        if i >= super::MAX_MEMBERS {
            return None;
        }
        if let (Some((rec, facts)), Some(writer)) = (read.members.record_mut(i), read.writers.get_mut(i)) {
            (*facts, *writer) = self.read_member(p, list, pool, rec, *writer)?;
        } else {
            let (mut rec, writer) = pool.member(list, &self.members.get(list as usize)?.blank);
            let (facts, writer) = self.read_member(p, list, pool, &mut rec, writer)?;
            // Past every record: those read over are all members.
            read.members.set_len(i);
            read.members.push_with_facts(rec, facts);
            read.writers.push(writer);
        }
        read.read += 1;
        Some(())
    }

    /// A member of list `list` read into `rec`, which `writer` wrote: its
    /// facts, and what wrote it. It is read by the shape of the members
    /// before it, else the ordinary way, learning its shape for those
    /// after it.
    fn read_member(
        &self,
        p: &mut Parser,
        list: u32,
        pool: &mut Pool,
        rec: &mut Record,
        writer: u64,
    ) -> Option<(Facts, u64)> {
        let (target, table) = (self.members.get(list as usize)?, *self.lists.get(list as usize)?);
        let mut facts = target.facts;
        let start = p.at;
        if let Some(shape) = pool.shapes.get_mut(list as usize).filter(|s| !s.text.is_empty()) {
            // The slots this shape does not write are at their defaults.
            if writer != shape.generation {
                reset(rec, &target.blank);
            }
            if shape.read(self, p, rec, &mut facts).is_some() {
                return Some((facts, shape.generation));
            }
            p.at = start;
            facts = target.facts;
        }
        reset(rec, &target.blank);
        // Lists do not nest (P0108); were one read inside a member, it would
        // be learnt for itself, and the member have no shape.
        let mut values = std::mem::take(&mut pool.learnt);
        values.clear();
        let enclosing = std::mem::replace(&mut pool.learning, Learning { next: true, scalars: true, values });
        self.fill(p, target, table, rec, &mut facts, pool)?;
        pool.generation += 1;
        grown(&mut pool.shapes, list as usize)?.learn(p.text, start, p.at, &pool.learning, pool.generation);
        pool.learnt = std::mem::replace(&mut pool.learning, enclosing).values;
        Some((facts, 0))
    }

    // Inlined into the members' loop, where most values are read.
    #[inline(always)]
    fn scalar(&self, p: &mut Parser, ty: Ty, history_name: bool) -> Option<Value> {
        Some(match ty {
            Ty::Bool => match p.peek()? {
                b't' => p.literal(b"true").map(|_| Value::Bool(true))?,
                b'f' => p.literal(b"false").map(|_| Value::Bool(false))?,
                _ => match p.string()? {
                    s if s == "是".as_bytes() => Value::Bool(true),
                    s if s == "否".as_bytes() => Value::Bool(false),
                    _ => return None,
                },
            },
            Ty::Num(_) => Value::Num(Decimal::from(p.integer()?)),
            Ty::Date => Value::Date(Date::parse_iso(p.text()?)?),
            Ty::Text => {
                let text = match p.peek()? {
                    b'"' => p.text()?.to_string(),
                    _ => p.integer()?.to_string(),
                };
                Value::Text(if history_name { fold(&text).into_owned() } else { text })
            }
            Ty::Enum(id) => {
                let s = p.string()?;
                let values = &self.program.vocabulary.enums.get(id as usize)?.values;
                Value::Enum(values.iter().position(|v| v.as_bytes() == s)? as u32)
            }
        })
    }
}

/// Whether a byte ends a plain string: its closing quote, or what this
/// reader leaves to the ordinary one (escapes, control characters, brackets).
fn ends_string(b: u8) -> bool {
    ENDS_STRING.get(usize::from(b)).copied().unwrap_or(true)
}

/// [`ends_string`] as a table: one load per byte of every string read.
// Indexing in a constant is checked when compiling: it cannot panic.
#[allow(clippy::indexing_slicing)]
const ENDS_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, 0..=0x1f | b'"' | b'\\' | b'[' | b']' | b'{' | b'}');
        b += 1;
    }
    table
};

/// A cursor over one line of JSON, kept past white space: each step over
/// a token steps over the white space after it, so that looking at the
/// next byte is one load.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    /// Brackets open at `at`, counted as the ordinary reader counts them.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(line: &'a [u8]) -> Self {
        let mut p = Parser { text: line, at: 0, depth: 0 };
        p.ws();
        p
    }

    /// Steps over white space within a line: a line end ends the line,
    /// which this reader reads alone.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Steps over `n` bytes and the white space after them.
    fn step(&mut self, n: usize) {
        self.at += n;
        self.ws();
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.step(1))
    }

    /// Steps over `word` and the white space after it. Inlined, so that
    /// `true`, `false` and `null` are compared as the constants they are,
    /// without a call to `memcmp`.
    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then_some(())?;
        self.step(word.len());
        Some(())
    }

    /// Steps over `text` alone: for a [`Shape`]'s texts before values,
    /// which end with the white space after them.
    fn exactly(&mut self, text: &[u8]) -> Option<()> {
        let end = self.at + text.len();
        (self.text.get(self.at..end)? == text).then(|| self.at = end)
    }

    /// A string without escapes, control characters or brackets (which
    /// the ordinary reader counts as nesting), borrowed from the line as
    /// bytes: to be compared with a known text, or checked for UTF-8
    /// ([`Parser::text`]).
    fn string(&mut self) -> Option<&'a [u8]> {
        // Not `eat`: white space after the opening quote is the string's.
        (self.peek()? == b'"').then_some(())?;
        let (text, start) = (self.text, self.at + 1);
        let mut end = start;
        // Chinese text is all bytes past ASCII, none of which ends a
        // string: stepped over 8 at a time.
        while let Some(word) = text.get(end..end + 8).and_then(|w| w.try_into().ok()) {
            if u64::from_ne_bytes(word) & 0x8080_8080_8080_8080 != 0x8080_8080_8080_8080 {
                break;
            }
            end += 8;
        }
        while !ends_string(*text.get(end)?) {
            end += 1;
        }
        if text.get(end) != Some(&b'"') {
            return None;
        }
        let s = text.get(start..end);
        // The quotes and what is between them.
        self.step(end + 1 - self.at);
        s
    }

    /// [`Parser::string`] as text; `None` if it is not UTF-8.
    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string()?).ok()
    }

    /// Whether the next string is `"name"` (a name with no byte that ends a
    /// plain string), stepping over it if so: what [`Parser::string`]
    /// would read, without looking for its end.
    fn key_is(&mut self, name: &str) -> bool {
        let (at, n) = (self.at, name.len());
        let same = self.text.get(at) == Some(&b'"')
            && self.text.get(at + 1..at + 1 + n) == Some(name.as_bytes())
            && self.text.get(at + 1 + n) == Some(&b'"');
        if same {
            self.step(n + 2);
        }
        same
    }

    /// Enters a `{` or `[`; `None` past the depth the ordinary reader allows.
    fn open(&mut self, bracket: u8) -> Option<()> {
        self.eat(bracket)?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn close(&mut self) {
        self.step(1);
        self.depth -= 1;
    }

    /// A whole non-negative number of at most 18 digits, without a leading zero.
    fn integer(&mut self) -> Option<u64> {
        let (start, mut end, mut n) = (self.at, self.at, 0u64);
        while let Some(digit) = self.text.get(end).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            // Past 18 digits the number is refused below: wrapping is harmless.
            n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
            end += 1;
        }
        let len = end - start;
        if len == 0 || len > 18 || (len > 1 && self.text.get(start) == Some(&b'0')) {
            return None;
        }
        if matches!(self.text.get(end), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.step(len);
        Some(n)
    }

    /// `{ "key": value, … }`, calling `each` with the parser at each value.
    fn object(&mut self, mut each: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.items(b'{', b'}', |p| {
            let key = p.string()?;
            p.eat(b':')?;
            each(p, key)
        })
    }

    /// `[ value, … ]`, calling `each` with the parser at each value.
    fn array(&mut self, each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.items(b'[', b']', each)
    }

    /// Items separated by commas between `open` and `close`.
    fn items(&mut self, open: u8, close: u8, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.open(open)?;
        if self.peek()? == close {
            self.close();
            return Some(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.step(1),
                b if b == close => {
                    self.close();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Steps over any value of the plain shape.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => {
                let mut seen: Vec<&[u8]> = Vec::new();
                self.object(|p, key| {
                    if seen.contains(&key) || std::str::from_utf8(key).is_err() {
                        return None;
                    }
                    seen.push(key);
                    p.skip()
                })
            }
            b'[' => self.array(Self::skip),
            b'"' => self.text().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.integer().map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::{Parser, Piece, Seen, PROBE, REST};
    use crate::ir::{Facts, Record};

    /// A piece of any length is stepped over where the line has it, its
    /// last byte and the bytes past its end included, and nowhere else;
    /// with fewer than 32 bytes of line left, the same.
    #[test]
    fn a_piece_is_stepped_over_where_the_line_has_it() {
        let shape: Vec<u8> = (0..48u8).map(|b| b'a' + b % 26).collect();
        for len in [0, 1, 5, 15, 16, 17, 24, 31, 32, 33, 40, 48] {
            let piece = Piece::new(&shape, 0, len);
            for after in [0, 3, 40] {
                let mut line = shape[..len].to_vec();
                line.extend(std::iter::repeat_n(b'#', after));
                let mut p = Parser { text: &line, at: 0, depth: 0 };
                assert_eq!(piece.step_over(&mut p, &shape, 0), Some(()), "{len} then {after}");
                assert_eq!(p.at, len);
                for wrong in 0..len {
                    let mut bad = line.clone();
                    bad[wrong] = b'#';
                    let mut p = Parser { text: &bad, at: 0, depth: 0 };
                    assert_eq!(piece.step_over(&mut p, &shape, 0), None, "{len}: byte {wrong} differs");
                }
                // Cut short.
                if len > 0 {
                    let mut p = Parser { text: &line[..len - 1], at: 0, depth: 0 };
                    assert_eq!(piece.step_over(&mut p, &shape, 0), None, "{len} cut");
                }
            }
        }
        // A piece in the middle of the shape's text, and of the line.
        let piece = Piece::new(&shape, 10, 30);
        let line = [b"xyz".as_slice(), &shape[10..30], b"123"].concat();
        let mut p = Parser { text: &line, at: 3, depth: 0 };
        assert_eq!(piece.step_over(&mut p, &shape, 10), Some(()));
        assert_eq!(p.at, 23);
    }

    /// Members are looked for while most are found; after a stretch where
    /// most are not, they are not looked for during a rest, then again.
    #[test]
    fn members_are_looked_for_while_most_are_found() {
        let mut seen = Seen::default();
        let member = b"{\"a\": 1}".as_slice();
        seen.keep((member, 7), 1, &[], &Record::default(), Facts::default());
        assert!(seen.get((member, 7), 2).is_none(), "read by another shape");
        assert!(seen.get((b"{\"a\": 2}", 7), 1).is_none(), "another text");
        // Three stretches, the first with those two not found.
        for _ in 2..3 * PROBE {
            assert!(seen.looking());
            assert!(seen.get((member, 7), 1).is_some());
        }
        for i in 0..PROBE {
            assert!(seen.looking(), "{i}");
            seen.get((member, 8), 1);
        }
        for i in 0..REST {
            assert!(!seen.looking(), "{i}");
        }
        assert!(seen.looking());
        assert!(seen.get((member, 7), 1).is_some(), "kept through the rest");
    }
}
