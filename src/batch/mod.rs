//! Population runs: JSON Lines of cases in, one ruling JSON per line out,
//! in input order, and totals per document, clause, benefit and funding
//! source.
//!
//! Input is cut into chunks of whole lines, about [`CHUNK_BYTES`] at most
//! (`input.rs`). Each worker takes the next chunk as soon as it is free
//! and reads its lines one after another, each read finding where the line
//! ends, while the calling thread reads ahead and adds up the chunks done;
//! the workers number the lines in the input and write the rulings in
//! input order, in turn ([`Turns`]). With at most
//! [`IN_FLIGHT`] chunks per worker out at a time, memory does not grow
//! with the input.
//!
//! # How a run is made fast
//!
//! **Population runs** (`batch::run`, `batch::run_file`): the input is cut
//! into chunks of whole lines (`batch/input.rs`). A file is mapped into
//! memory 4 MB at a time (`batch::Mapped`, `memmap2`, pages populated by the
//! calling thread; a window is unmapped when the last chunk in it is done, so
//! memory stays bounded): a chunk is a part of a window, and nothing is
//! copied. The file must not be cut short while it is read (its pages gone
//! would stop the process with `SIGBUS`, which the binary catches only to
//! say so and remove unfinished output; `Mapped::map` says so), so input
//! still being written goes through
//! standard input, which is read straight into one buffer per chunk
//! (`batch::Input`, reads of 64 KB, the start of a line read past a chunk's
//! end beginning the next, a chunk's room kept from chunk to chunk). The
//! calling thread only finds where a chunk ends: at the first line end past
//! its size. That size is set for 512 lines as long as those done so far
//! (`batch::Sizer`, 128 KB to 1 MB: a chunk of persons holds some 150 KB, one
//! of large enterprises 1 MB), so that a chunk's rulings stay in a core's
//! cache and handing out chunks costs little. The worker that takes a chunk
//! reads its lines one after another: the fast reader finds where a line ends
//! as it reads it (`case::Reader::read_first_line`; to it a line end is not
//! white space), and only a line it does not take is looked for with
//! `memchr`. So the text is first touched by the read that uses it, not by a
//! pass of its own (the calling thread's copy and line search had been a
//! third of the CPU time, a worker's own pass a fifth). The worker counts the
//! lines (blank ones too) and numbers errors within the chunk; the worker
//! whose turn it is (below) numbers them in the input, as it knows how many
//! lines the chunks before had, and writes each error line where the worker
//! left its place (`batch::Out::inserts`). A chunk is empty only at the end
//! of the input. The calling thread reads chunks and puts them on a queue (at
//! most 2 per worker out at a time, which bounds memory); each worker thread,
//! started once for the run, takes the next chunk as soon as it is free, and
//! the chunks are taken in input order by the workers in turn
//! (`batch::Turns`): chunks done early wait in a map by sequence number, and
//! the worker that brings the chunk next in turn takes the turn, numbering
//! and writing (if rulings are written) it and every chunk after it that is
//! done, and gives the turn up, under the same lock as chunks are added, only
//! when the next one has not come; a worker that finds the turn taken leaves
//! its chunk to whoever has it. Each chunk taken goes back to the calling
//! thread, which adds up its summary and reuses its buffers. So the calling
//! thread reads ahead while rulings are written (to a file, the writes are
//! 0.18 s of system time for 515 MB of rulings). No worker waits for another,
//! and a chunk's rulings (some 5 KB a line) stay in its core's cache while
//! they are made. A worker that fails on a chunk (`catch_unwind`) gives an
//! error line for each of its lines and is made anew; if every worker were
//! gone, sending would fail rather than block. With one worker everything
//! runs on the calling thread. A line goes to the fast reader (below)
//! unchecked for UTF-8: a line it takes is UTF-8, as each of its bytes past
//! ASCII is in a string it checks (`Parser::text`: an id, a text, a date,
//! anything skipped) or in text it compares byte for byte with a name or enum
//! value of the vocabulary or with a member shape learnt from such text, all
//! joined at ASCII bytes
//! (`tests/batch.rs::the_fast_reader_takes_no_line_that_is_not_utf8`, and the
//! `line` fuzz target on bytes that are not UTF-8). Any other line is checked
//! with `simdutf8` (lines of Chinese keys are mostly multi-byte characters,
//! which the standard check takes one at a time) before the ordinary reader
//! sees it. Each worker appends its lines to one buffer that lives from chunk
//! to chunk (no allocation per line, no memory handed back to the system and
//! faulted in again each chunk): chunks and buffers given back are reused.

mod input;
mod remember;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::sync::{mpsc, Arc, Mutex};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::{self, Node};
use crate::diag::FileId;
use crate::eval::{self, Decision, Evaluator, Outcome, RuleId, Verdicts};
use crate::ir::{self, Program, Text};
use crate::report;

use input::{Chunk, Sizer, Source};
pub use input::{Input, Mapped, CHUNK_BYTES};
use remember::Look;

/// Counts and money for one document, clause, benefit or funding source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    #[serde(rename = "给予")]
    pub granted: u64,
    #[serde(rename = "不予")]
    pub refused: u64,
    #[serde(rename = "待定")]
    pub pending: u64,
    #[serde(rename = "金额", with = "crate::eval::decimal")]
    pub amount: Decimal,
    /// Sum of the ceilings of pending rulings that have one.
    #[serde(rename = "待定上限合计", with = "crate::eval::decimal")]
    pub pending_ceiling: Decimal,
    /// Whether `amount` went past what a decimal holds (it stays at the
    /// largest one): such a total is no true figure, and is named in
    /// [`Summary::overflows`].
    #[serde(skip)]
    pub amount_overflowed: bool,
    /// The same for `pending_ceiling`.
    #[serde(skip)]
    pub ceiling_overflowed: bool,
}

/// Adds `n` (`None`: past what a decimal holds) to a sum, marking the sum
/// overflowed, at the largest decimal, when it does not fit.
#[inline]
fn add_to(sum: &mut Decimal, overflowed: &mut bool, n: Option<Decimal>) {
    match n.and_then(|n| sum.checked_add(n)) {
        Some(v) => *sum = v,
        None => {
            *sum = Decimal::MAX;
            *overflowed = true;
        }
    }
}

impl Tally {
    fn add(&mut self, outcome: Outcome, amount: Option<Decimal>, ceiling: Option<Decimal>) {
        match outcome {
            Outcome::Granted => {
                self.granted += 1;
                add_to(&mut self.amount, &mut self.amount_overflowed, Some(amount.unwrap_or_default()));
            }
            Outcome::Refused => self.refused += 1,
            Outcome::Pending => {
                self.pending += 1;
                add_to(&mut self.pending_ceiling, &mut self.ceiling_overflowed, Some(ceiling.unwrap_or_default()));
            }
        }
    }

    /// [`Tally::add`] `times` times over.
    fn add_times(&mut self, d: &Decision, times: u64) {
        let times_over = |n: Option<Decimal>| n.unwrap_or_default().checked_mul(Decimal::from(times));
        match d.outcome {
            Outcome::Granted => {
                self.granted += times;
                add_to(&mut self.amount, &mut self.amount_overflowed, times_over(d.amount()));
            }
            Outcome::Refused => self.refused += times,
            Outcome::Pending => {
                self.pending += times;
                add_to(&mut self.pending_ceiling, &mut self.ceiling_overflowed, times_over(d.ceiling()));
            }
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.granted += other.granted;
        self.refused += other.refused;
        self.pending += other.pending;
        self.amount_overflowed |= other.amount_overflowed;
        self.ceiling_overflowed |= other.ceiling_overflowed;
        add_to(&mut self.amount, &mut self.amount_overflowed, Some(other.amount));
        add_to(&mut self.pending_ceiling, &mut self.ceiling_overflowed, Some(other.pending_ceiling));
    }
}

/// What a total is for: a document or funding source; with a clause; with
/// a clause and a benefit. Names are shared with the program, so counting
/// a ruling copies no strings.
pub type Key = (Text, Option<Text>, Option<Text>);

/// A key as the summary shows it: `文件`, `文件 条款 5`, `文件 条款 5「项目」`.
pub fn label(k: &Key) -> String {
    match k {
        (name, None, _) => name.to_string(),
        (doc, Some(clause), None) => format!("{doc} 条款 {clause}"),
        (doc, Some(clause), Some(benefit)) => format!("{doc} 条款 {clause}「{benefit}」"),
    }
}

fn labelled<S: serde::Serializer>(map: &BTreeMap<Key, Tally>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (label(k), v)))
}

/// One line that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    #[serde(rename = "行")]
    pub line: u64,
    #[serde(rename = "错误")]
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    #[serde(rename = "案例数")]
    pub cases: u64,
    #[serde(rename = "合计", with = "crate::eval::decimal")]
    pub total: Decimal,
    #[serde(rename = "结果")]
    pub outcomes: Tally,
    #[serde(rename = "按文件", serialize_with = "labelled")]
    pub by_document: BTreeMap<Key, Tally>,
    #[serde(rename = "按条款", serialize_with = "labelled")]
    pub by_clause: BTreeMap<Key, Tally>,
    #[serde(rename = "按项目", serialize_with = "labelled")]
    pub by_benefit: BTreeMap<Key, Tally>,
    #[serde(rename = "按资金来源", serialize_with = "labelled")]
    pub by_funding: BTreeMap<Key, Tally>,
    #[serde(rename = "错误")]
    pub errors: Vec<LineError>,
    /// Whether `total` went past what a decimal holds.
    #[serde(skip)]
    pub total_overflowed: bool,
    /// The totals that went past what a decimal holds, by name: their
    /// figures are not true ([`Summary::name_overflows`]).
    #[serde(rename = "溢出", skip_serializing_if = "Vec::is_empty")]
    pub overflows: Vec<String>,
}

impl Summary {
    /// Names every total that overflowed in [`Summary::overflows`].
    pub fn name_overflows(&mut self) {
        let mut names = Vec::new();
        if self.total_overflowed {
            names.push("合计".to_string());
        }
        let all = std::iter::once(("结果", None, &self.outcomes)).chain(
            [
                ("按文件", &self.by_document),
                ("按资金来源", &self.by_funding),
                ("按条款", &self.by_clause),
                ("按项目", &self.by_benefit),
            ]
            .into_iter()
            .flat_map(|(title, map)| map.iter().map(move |(k, t)| (title, Some(k), t))),
        );
        for (title, key, t) in all {
            let name = key.map_or(title.to_string(), |k| format!("{title} {}", label(k)));
            if t.amount_overflowed {
                names.push(format!("{name} 的给予金额"));
            }
            if t.ceiling_overflowed {
                names.push(format!("{name} 的待定上限合计"));
            }
        }
        self.overflows = names;
    }

    fn merge(&mut self, other: Summary) {
        self.cases += other.cases;
        self.total_overflowed |= other.total_overflowed;
        add_to(&mut self.total, &mut self.total_overflowed, Some(other.total));
        self.outcomes.merge(&other.outcomes);
        for (mine, theirs) in [
            (&mut self.by_document, other.by_document),
            (&mut self.by_clause, other.by_clause),
            (&mut self.by_benefit, other.by_benefit),
            (&mut self.by_funding, other.by_funding),
        ] {
            for (k, v) in theirs {
                mine.entry(k).or_default().merge(&v);
            }
        }
        self.errors.extend(other.errors);
    }
}

/// Totals while cases are being counted: one tally per rule of the
/// program, found by index ([document][clause][benefit]), so counting a
/// ruling neither hashes nor compares names. Turned into a [`Summary`] by
/// name at the end of a chunk.
struct Totals<'p> {
    program: &'p Program,
    rules: Vec<Vec<Vec<Tally>>>,
    cases: u64,
    total: Decimal,
    total_overflowed: bool,
    errors: Vec<LineError>,
}

impl<'p> Totals<'p> {
    fn new(program: &'p Program) -> Self {
        let rules = program
            .documents
            .iter()
            .map(|d| d.clauses.iter().map(|c| vec![Tally::default(); c.benefits.len()]).collect())
            .collect();
        Totals { program, rules, cases: 0, total: Decimal::ZERO, total_overflowed: false, errors: Vec::new() }
    }

    fn add(&mut self, d: &Decision) {
        if let Some(t) = self.tally(d.rule) {
            t.add(d.outcome, d.amount(), d.ceiling());
        }
    }

    /// [`Totals::add`] of a decision `times` times over.
    fn add_times(&mut self, d: &Decision, times: u64) {
        if let Some(t) = self.tally(d.rule) {
            t.add_times(d, times);
        }
    }

    fn tally(&mut self, rule: RuleId) -> Option<&mut Tally> {
        self.rules
            .get_mut(rule.document as usize)
            .and_then(|d| d.get_mut(rule.clause as usize))
            .and_then(|c| c.get_mut(rule.benefit as usize))
    }

    /// The totals by name.
    fn summary(self) -> Summary {
        let mut s = Summary {
            cases: self.cases,
            total: self.total,
            total_overflowed: self.total_overflowed,
            errors: self.errors,
            ..Summary::default()
        };
        for (doc, tallies) in self.program.documents.iter().zip(&self.rules) {
            for (clause, tallies) in doc.clauses.iter().zip(tallies) {
                for (b, t) in clause.benefits.iter().zip(tallies) {
                    if *t == Tally::default() {
                        continue;
                    }
                    let (d, c, n) = (&doc.id, Some(clause.id.clone()), Some(b.name.clone()));
                    s.outcomes.merge(t);
                    s.by_document.entry((d.clone(), None, None)).or_default().merge(t);
                    s.by_clause.entry((d.clone(), c.clone(), None)).or_default().merge(t);
                    s.by_benefit.entry((d.clone(), c, n)).or_default().merge(t);
                    if let Some(f) = &b.funding {
                        s.by_funding.entry((f.clone(), None, None)).or_default().merge(t);
                    }
                }
            }
        }
        s
    }
}

/// A line read: its case (and whether the fast reader made it), or the
/// problems with it; `None` for a line of white space.
type LineRead = Option<Result<(ir::Case, bool), Vec<String>>>;

/// Reads the first line of `text` into a case, or the problems with it
/// (`None` for a line of white space), and gives where the line ends (its
/// `\n`, or the end of `text`). Straight into slots where the line is
/// plain (then `true` comes with the case, which may go back to `spare`),
/// which finds the line's end as it reads; else through the ordinary
/// reader. The fast reader takes only UTF-8 (see
/// [`case::Reader::read_reusing`]); any other line is checked first.
fn read_line(program: &Program, reader: &case::Reader, spare: &mut case::Spare, text: &[u8]) -> (LineRead, usize) {
    if let Some((case, end)) = reader.read_first_line(text, spare) {
        if end <= case::MAX_CASE_BYTES {
            return (Some(Ok((case, true))), end);
        }
        // Too large, as the ordinary reader says below.
        reader.recycle(case, spare);
    }
    let end = memchr::memchr(b'\n', text).unwrap_or(text.len());
    let line = text.get(..end).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Checked with vector instructions: lines of Chinese keys are mostly
    // multi-byte characters, which the standard check takes byte by byte.
    if let Some(why) = case::too_large(line.len()) {
        return (Some(Err(vec![format!("[P0509] {why}")])), end);
    }
    let read = match simdutf8::basic::from_utf8(line) {
        Ok(text) if text.trim().is_empty() => None,
        Ok(text) => Some(read_ordinary(program, text)),
        Err(_) => Some(Err(vec!["不是 UTF-8 编码".to_string()])),
    };
    (read, end)
}

/// [`read_line`] the ordinary way.
fn read_ordinary(program: &Program, text: &str) -> Result<(ir::Case, bool), Vec<String>> {
    let node: Node = case::parse_json_line(text).map_err(|e| vec![e])?;
    case::validate(program, &node, (FileId(0), "输入"), text)
        .map(|case| (case, false))
        .map_err(|diags| diags.into_iter().map(|d| format!("[{}] {}", d.code, d.message)).collect())
}

/// What a worker keeps from chunk to chunk: the program compiled for
/// evaluating and for reading lines, and what both reuse from case to case.
struct Worker<'p> {
    evaluator: Evaluator<'p>,
    reader: case::Reader<'p>,
    decisions: Vec<Decision>,
    // Its lists and reasons stop growing.
    verdicts: Option<Verdicts>,
    spare: case::Spare,
    lines: remember::Remembered,
}

impl<'p> Worker<'p> {
    fn new(program: &'p Program) -> Self {
        Worker {
            evaluator: Evaluator::new(program),
            reader: case::Reader::new(program),
            decisions: Vec::new(),
            verdicts: None,
            spare: case::Spare::default(),
            lines: remember::Remembered::default(),
        }
    }

    /// Evaluates a chunk's lines: with a writer, every ruling with its
    /// reasons, one JSON line per case appended to `out`; without, outcomes
    /// and amounts only. Errors are numbered in the chunk. Gives the
    /// summary, the number of lines, and of those not blank.
    fn work(
        &mut self,
        program: &'p Program,
        chunk: &Chunk,
        options: eval::Options,
        writer: Option<&report::Lines>,
        out: &mut Out,
    ) -> (Summary, u64, u64) {
        let Worker { evaluator, reader, decisions, verdicts, spare, lines } = self;
        let mut totals = Totals::new(program);
        let text = chunk.text();
        let (mut at, mut number, mut taken) = (0, 0, 0);
        while let Some(rest) = text.get(at..).filter(|rest| !rest.is_empty()) {
            number += 1;
            let (read, end) = read_line(program, reader, spare, rest);
            at += end + 1;
            let Some(read) = read else { continue };
            taken += 1;
            let result = read.and_then(|(case, fast)| {
                let total = if let Some(writer) = writer {
                    let verdicts = verdicts.get_or_insert_with(|| Verdicts::empty(case.date));
                    let look = lines
                        .verdicts(evaluator, &case, options, (verdicts, &mut out.held))
                        .map_err(|e| vec![format!("[{}] {e}", e.code())])?;
                    report::Lines::head(&mut out.text, case.id.as_deref(), case.date);
                    let total = match look {
                        // Its decisions are counted with the chunk's others.
                        Look::Found(line, held) => {
                            out.inserts.push((out.text.len(), Insert::Kept(held)));
                            line.total
                        }
                        look => {
                            for r in &verdicts.rulings {
                                totals.add(&r.decision);
                            }
                            let body = out.text.len();
                            writer.body(&mut out.text, verdicts);
                            if let Look::Missing = look {
                                let text = out.text.get(body..).unwrap_or_default();
                                lines.keep(verdicts.rulings.iter().map(|r| r.decision), verdicts.total, text);
                            }
                            verdicts.total
                        }
                    };
                    out.text.push('\n');
                    total
                } else {
                    decisions.clear();
                    let total = evaluator.decide(&case, decisions).map_err(|e| vec![format!("[{}] {e}", e.code())])?;
                    for d in decisions.iter() {
                        totals.add(d);
                    }
                    total
                };
                // Only what the fast reader made goes back to it: it knows
                // which slots of that record the line wrote.
                if fast {
                    reader.recycle(case, spare);
                }
                Ok(total)
            });
            match result {
                Ok(total) => {
                    totals.cases += 1;
                    add_to(&mut totals.total, &mut totals.total_overflowed, Some(total));
                }
                Err(messages) => {
                    if writer.is_some() {
                        out.inserts.push((out.text.len(), Insert::Error));
                    }
                    totals.errors.push(LineError { line: number, messages });
                }
            }
        }
        lines.given(|line, times| {
            for d in &line.decisions {
                totals.add_times(d, times);
            }
        });
        (totals.summary(), number, taken)
    }
}

/// The ruling lines of a chunk, without its error lines: where each goes
/// is kept instead, as the lines are numbered in the input only when the
/// chunks before are counted. The text of a remembered line is not copied
/// in either: it is written from where it is kept.
#[derive(Default)]
struct Out {
    text: String,
    /// What goes between the pieces of `text`, in order, each with where
    /// in `text` it goes.
    inserts: Vec<(usize, Insert)>,
    /// The remembered texts the chunk's lines use, each once.
    held: Vec<Arc<str>>,
}

enum Insert {
    /// The line of the chunk summary's next error.
    Error,
    /// A remembered line's text after its head: its place in `held`.
    Kept(usize),
}

impl Out {
    fn clear(&mut self) {
        self.text.clear();
        self.inserts.clear();
        self.held.clear();
    }

    /// Writes the lines to `to`, each error line, numbered as in
    /// `errors`, and each remembered text in its place.
    fn write(&self, to: &mut dyn Write, errors: &[LineError]) -> io::Result<()> {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                let mut line = serde_json::to_string(e).unwrap_or_default();
                line.push('\n');
                line
            })
            .collect();
        let mut lines = lines.iter();
        let mut pieces = Vec::with_capacity(2 * self.inserts.len() + 1);
        let mut from = 0;
        for (at, insert) in &self.inserts {
            pieces.push(self.text.get(from..*at).unwrap_or_default());
            match insert {
                Insert::Error => pieces.extend(lines.next().map(String::as_str)),
                Insert::Kept(i) => pieces.extend(self.held.get(*i).map(|t| &**t)),
            }
            from = *at;
        }
        pieces.push(self.text.get(from..).unwrap_or_default());
        let mut slices: Vec<IoSlice> =
            pieces.iter().filter(|p| !p.is_empty()).map(|p| IoSlice::new(p.as_bytes())).collect();
        write_all_vectored(to, &mut slices)
    }
}

/// Writes every byte of `slices` to `to`, as few calls as it takes.
fn write_all_vectored(to: &mut dyn Write, mut slices: &mut [IoSlice]) -> io::Result<()> {
    while !slices.is_empty() {
        match to.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Numbers the errors of a chunk of `count` lines in the input (they
/// come numbered in the chunk, from 1), after the `before` lines of the
/// chunks before it, which it then counts in.
fn number_errors(part: &mut Summary, before: &mut u64, count: u64) {
    for e in &mut part.errors {
        e.line += *before;
    }
    *before += count;
}

/// Runs every case of `input` and writes one line per input line to
/// `output` (a ruling, or `{"行":…,"错误":[…]}` for a line that could not be
/// evaluated); with no output, only the summary is made, from outcomes and
/// amounts without reasons. Blank lines are skipped. `progress` is told the
/// number of lines done after each chunk.
///
/// With more than one worker, each takes the next chunk as soon as it is
/// free, while this thread reads the input and adds up the chunks done;
/// the rulings are written in input order by whichever worker finishes
/// the chunk next in turn ([`Turns`]): no worker waits for another, and
/// reading ahead does not wait on the writes. At most [`IN_FLIGHT`]
/// chunks per worker are out at a time, so memory stays bounded.
pub fn run(
    program: &Program,
    input: impl Read,
    output: Option<&mut (dyn Write + Send)>,
    workers: usize,
    options: eval::Options,
    progress: &dyn Fn(u64),
) -> io::Result<Summary> {
    run_chunked(program, Input::new(input), output, workers, options, progress)
}

/// [`run`] over the file `file`, mapped into memory where it can be (see
/// [`Mapped::new`]: it must not be cut short meanwhile), else read.
pub fn run_file(
    program: &Program,
    file: &File,
    output: Option<&mut (dyn Write + Send)>,
    workers: usize,
    options: eval::Options,
    progress: &dyn Fn(u64),
) -> io::Result<Summary> {
    match Mapped::new(file) {
        Some(mapped) => run_chunked(program, mapped, output, workers, options, progress),
        None => run(program, file, output, workers, options, progress),
    }
}

/// [`run`] over an [`Input`] or a [`Mapped`] file, in chunks of the size
/// it was given.
pub fn run_chunked(
    program: &Program,
    mut input: impl Source,
    output: Option<&mut (dyn Write + Send)>,
    workers: usize,
    options: eval::Options,
    progress: &dyn Fn(u64),
) -> io::Result<Summary> {
    let input = &mut input;
    let writer = output.is_some().then(|| report::Lines::new(program));
    let writer = writer.as_ref();
    let mut done = Done { output, summary: Summary::default(), lines: 0, progress };
    if workers <= 1 {
        let (mut chunk, mut out, mut state) = (Chunk::default(), Out::default(), None);
        let mut sizer = Sizer::new(input.most());
        // Lines of the chunks done.
        let mut lines = 0;
        loop {
            input.fill(&mut chunk, sizer.next())?;
            if chunk.is_empty() {
                break;
            }
            out.clear();
            let mut part = work_guarded(&mut state, program, &mut chunk, options, writer, &mut out);
            number_errors(&mut part, &mut lines, chunk.count);
            sizer.add(&chunk);
            done.chunk(&chunk, part, &out)?;
        }
    } else {
        let (jobs, waiting) = mpsc::sync_channel::<Job>(workers * IN_FLIGHT);
        // Held by the workers only: were they all gone, sending would fail
        // rather than wait for ever.
        let waiting = Arc::new(Mutex::new(waiting));
        let (finished, results) = mpsc::channel::<Job>();
        let turns = Turns::new(done.output.take());
        std::thread::scope(|s| -> io::Result<()> {
            let turns = &turns;
            // Dropped on any return, which ends the workers started so far.
            let jobs = jobs;
            let mut started = 0;
            for _ in 0..workers {
                let (waiting, finished) = (Arc::clone(&waiting), finished.clone());
                // Deeply nested rules recurse: workers get a known stack.
                let spawned = std::thread::Builder::new().stack_size(crate::THREAD_STACK).spawn_scoped(s, move || {
                    let mut state = None;
                    loop {
                        // The lock is let go as soon as a job comes. None when
                        // the jobs have ended (or the lock is poisoned).
                        let next = waiting.lock().ok().and_then(|w| w.recv().ok());
                        let Some(mut job) = next else { break };
                        job.out.clear();
                        job.part = work_guarded(&mut state, program, &mut job.chunk, options, writer, &mut job.out);
                        if !turns.write(job, &finished) {
                            break;
                        }
                    }
                });
                // The system gives no more threads: the run goes on with
                // those it gave, if any.
                match spawned {
                    Ok(_) => started += 1,
                    Err(e) if started == 0 => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("无法启动工作线程：{}", crate::files::io_message(&e)),
                        ))
                    }
                    Err(_) => break,
                }
            }
            drop((waiting, finished));
            let read = pipeline(input, (&jobs, &results), workers * IN_FLIGHT, &mut done, turns);
            // Ends the workers, also after an error.
            drop(jobs);
            read
        })?;
        done.output = turns.into_output();
    }
    if let Some(out) = done.output.as_mut() {
        out.flush()?;
    }
    let mut summary = done.summary;
    summary.errors.sort_by_key(|e| e.line);
    summary.name_overflows();
    Ok(summary)
}

/// Chunks out with the workers, at most, per worker.
const IN_FLIGHT: usize = 2;

/// A chunk given to a worker, and given back with its lines counted, its
/// rulings in `out` and its summary in `part`.
struct Job {
    sequence: u64,
    chunk: Chunk,
    out: Out,
    part: Summary,
}

/// Reads chunks and sends them to the workers, at most `room` at a time,
/// and adds up those done (written, if rulings are, by `turns`).
fn pipeline(
    input: &mut impl Source,
    (jobs, results): (&mpsc::SyncSender<Job>, &mpsc::Receiver<Job>),
    room: usize,
    done: &mut Done,
    turns: &Turns,
) -> io::Result<()> {
    let gone = || io::Error::other("批量裁定的工作线程已全部退出");
    let (mut sent, mut written) = (0u64, 0u64);
    let mut ended = false;
    // Chunks and buffers given back, for reuse.
    let mut spare: Vec<(Chunk, Out)> = Vec::new();
    let mut sizer = Sizer::new(input.most());
    loop {
        while !ended && sent - written < room as u64 {
            let (mut chunk, out) = spare.pop().unwrap_or_default();
            input.fill(&mut chunk, sizer.next())?;
            if chunk.is_empty() {
                ended = true;
                break;
            }
            let job = Job { sequence: sent, chunk, out, part: Summary::default() };
            jobs.send(job).map_err(|_| gone())?;
            sent += 1;
        }
        if written == sent {
            return Ok(());
        }
        let mut job = results.recv().map_err(|_| gone())?;
        turns.failed()?;
        done.chunk(&job.chunk, std::mem::take(&mut job.part), &job.out)?;
        sizer.add(&job.chunk);
        written += 1;
        spare.push((job.chunk, job.out));
    }
}

/// Whose turn it is: the chunks done, by sequence, until the one next in
/// input order comes. The worker that brings it takes the turn: it numbers
/// that chunk's errors in the input, writes its rulings (if they are
/// written), hands it to the calling thread, and does the same with every
/// chunk after it that is done; it gives the turn up, under the same lock
/// as chunks are added, only when the next one has not come. A worker that
/// finds the turn taken leaves its chunk to whoever has it.
struct Turns<'o> {
    state: Mutex<Pending>,
    /// Where the rulings go (none with `--summary-only`); only the worker
    /// with the turn takes the lock.
    output: Option<Mutex<&'o mut (dyn Write + Send)>>,
    /// The first write that failed: the run stops with it.
    error: Mutex<Option<io::Error>>,
}

#[derive(Default)]
struct Pending {
    /// The sequence of the chunk whose turn is next.
    next: u64,
    /// The lines of the chunks before it.
    lines: u64,
    done: BTreeMap<u64, Job>,
    /// A worker has the turn.
    taken: bool,
}

impl<'o> Turns<'o> {
    fn new(output: Option<&'o mut (dyn Write + Send)>) -> Self {
        Turns { state: Mutex::default(), output: output.map(Mutex::new), error: Mutex::default() }
    }

    /// Takes `job`, done, and hands it (and any chunk after it that this
    /// worker takes the turn for) to `finished`; `false` when the calling
    /// thread has stopped.
    fn write(&self, job: Job, finished: &mpsc::Sender<Job>) -> bool {
        let mut state = lock(&self.state);
        state.done.insert(job.sequence, job);
        if state.taken {
            return true;
        }
        state.taken = true;
        loop {
            let next = state.next;
            let Some(mut job) = state.done.remove(&next) else {
                state.taken = false;
                return true;
            };
            state.next += 1;
            number_errors(&mut job.part, &mut state.lines, job.chunk.count);
            drop(state);
            if let Some(output) = &self.output {
                if lock(&self.error).is_none() {
                    if let Err(e) = job.out.write(&mut **lock(output), &job.part.errors) {
                        *lock(&self.error) = Some(e);
                    }
                }
            }
            if finished.send(job).is_err() {
                return false;
            }
            state = lock(&self.state);
        }
    }

    /// The error a write gave, if one failed.
    fn failed(&self) -> io::Result<()> {
        lock(&self.error).take().map_or(Ok(()), Err)
    }

    /// The output, once the workers are done with it.
    fn into_output(self) -> Option<&'o mut (dyn Write + Send)> {
        self.output.map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// A lock that a panic elsewhere does not take away: what it guards is
/// only added to and taken from.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the chunks done add up to, and where their rulings go (with one
/// worker; with more, the workers write them).
struct Done<'o, 'f> {
    output: Option<&'o mut (dyn Write + Send)>,
    summary: Summary,
    lines: u64,
    progress: &'f dyn Fn(u64),
}

impl Done<'_, '_> {
    /// Takes a chunk done, its errors numbered in the input: its rulings
    /// `out` are written (if `output` is here), its summary `part` added.
    fn chunk(&mut self, chunk: &Chunk, part: Summary, out: &Out) -> io::Result<()> {
        if let Some(o) = self.output.as_mut() {
            out.write(o, &part.errors)?;
        }
        self.summary.merge(part);
        self.lines += chunk.taken;
        (self.progress)(self.lines);
        Ok(())
    }
}

/// [`Worker::work`] on a whole chunk with the worker `state` (made if
/// there is none), which counts the chunk's lines. If it fails half-way,
/// each line of the chunk is an error instead ([`lost`]), and the worker
/// is dropped, to be made anew for the next chunk.
fn work_guarded<'p>(
    state: &mut Option<Worker<'p>>,
    program: &'p Program,
    chunk: &mut Chunk,
    options: eval::Options,
    writer: Option<&report::Lines>,
    out: &mut Out,
) -> Summary {
    let mut worker = state.take().unwrap_or_else(|| Worker::new(program));
    let read = &*chunk;
    let work = || worker.work(program, read, options, writer, &mut *out);
    let Ok((summary, count, taken)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) else {
        let (numbers, count) = chunk.lines_not_blank();
        (chunk.count, chunk.taken) = (count, numbers.len() as u64);
        return lost(&numbers, writer.is_some(), out);
    };
    (chunk.count, chunk.taken) = (count, taken);
    *state = Some(worker);
    summary
}

/// What stands for the lines of a worker that failed: an error for each,
/// so that nothing goes missing without a word; they replace whatever the
/// worker wrote to `out`.
fn lost(lines: &[u64], write: bool, out: &mut Out) -> Summary {
    let errors: Vec<LineError> =
        lines.iter().map(|&line| LineError { line, messages: vec!["内部错误：本行未能裁定".into()] }).collect();
    out.clear();
    if write {
        out.inserts.extend(errors.iter().map(|_| (0, Insert::Error)));
    }
    Summary { errors, ..Summary::default() }
}

/// The summary as a Chinese table.
/// A sum in 元 as the table shows it, `溢出` where it is not a true figure.
fn money(sum: Decimal, overflowed: bool) -> String {
    if overflowed {
        "溢出".to_string()
    } else {
        format!("{}元", sum.normalize())
    }
}

pub fn summary_table(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "案例 {} 个，合计给予 {}；裁定：给予 {}，不予 {}，待定 {}；错误 {} 行",
        s.cases,
        money(s.total, s.total_overflowed),
        s.outcomes.granted,
        s.outcomes.refused,
        s.outcomes.pending,
        s.errors.len()
    );
    for (title, map) in
        [("按文件", &s.by_document), ("按资金来源", &s.by_funding), ("按条款", &s.by_clause), ("按项目", &s.by_benefit)]
    {
        let _ = writeln!(out, "\n{title}：");
        for (k, t) in map {
            let k = label(k);
            let _ = writeln!(
                out,
                "  {k}：给予 {} 项 {}，待定 {} 项（上限合计 {}），不予 {} 项",
                t.granted,
                money(t.amount, t.amount_overflowed),
                t.pending,
                money(t.pending_ceiling, t.ceiling_overflowed),
                t.refused
            );
        }
    }
    if !s.overflows.is_empty() {
        let _ = writeln!(out, "\n溢出（超出可表示的范围，不是真实数字）：{}", s.overflows.join("、"));
    }
    for e in s.errors.iter().take(20) {
        let _ = writeln!(out, "第 {} 行：{}", e.line, e.messages.join("；"));
    }
    if s.errors.len() > 20 {
        let _ = writeln!(out, "……另有 {} 行错误", s.errors.len() - 20);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::{lost, number_errors, Insert, Out};

    /// The lines of a worker that failed become error lines in place of
    /// whatever it had written, and errors in the summary, numbered in the
    /// input once the chunk's first line is known.
    #[test]
    fn a_failed_workers_lines_are_reported_not_dropped() {
        let lines = [7, 9];
        let mut out =
            Out { text: "{\"编号\":\"half a line".into(), inserts: vec![(0, Insert::Error)], held: Vec::new() };
        let mut summary = lost(&lines, true, &mut out);
        let mut before = 10;
        number_errors(&mut summary, &mut before, 2);
        assert_eq!(before, 12);
        let mut written = Vec::new();
        out.write(&mut written, &summary.errors).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "{\"行\":17,\"错误\":[\"内部错误：本行未能裁定\"]}\n{\"行\":19,\"错误\":[\"内部错误：本行未能裁定\"]}\n"
        );
        assert_eq!(summary.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [17, 19]);
        let mut out = Out { text: "partial".into(), inserts: vec![(1, Insert::Kept(0))], held: vec!["kept".into()] };
        assert_eq!(lost(&lines, false, &mut out).errors.len(), 2);
        assert!(out.text.is_empty() && out.inserts.is_empty() && out.held.is_empty());
    }

    /// A decision counted many times over at once is counted as often one
    /// by one; an amount past the largest saturates.
    #[test]
    fn a_decision_times_over_is_counted_as_often() {
        use super::{Decimal, Decision, Outcome, RuleId, Tally};
        let rule = RuleId { document: 0, clause: 0, benefit: 0 };
        let d = |outcome, amount: i64| {
            Decision::new(rule, outcome, (Some(Decimal::from(amount)), Some(Decimal::new(amount, 1)), None))
        };
        for decision in [d(Outcome::Granted, 1000), d(Outcome::Refused, 5), d(Outcome::Pending, 37)] {
            let (mut once, mut over) = (Tally::default(), Tally::default());
            for _ in 0..7 {
                once.add(decision.outcome, decision.amount(), decision.ceiling());
            }
            over.add_times(&decision, 7);
            assert_eq!(once, over, "{decision:?}");
        }
        let mut big = Tally::default();
        big.add_times(&Decision::new(rule, Outcome::Granted, (Some(Decimal::MAX), None, None)), 3);
        assert_eq!((big.granted, big.amount), (3, Decimal::MAX));
    }

    /// Error lines and remembered texts go between the rulings where the
    /// worker left them.
    #[test]
    fn error_lines_and_kept_texts_go_where_they_were_left() {
        let (first, second) = ("甲：".len(), "甲：\n乙".len());
        let inserts = vec![
            (0, Insert::Error),
            (first, Insert::Kept(1)),
            (first, Insert::Error),
            (second, Insert::Kept(0)),
            (second, Insert::Error),
        ];
        let out = Out { text: "甲：\n乙".into(), inserts, held: vec!["二\n".into(), "一".into()] };
        let error = |line| super::LineError { line, messages: vec!["坏".into()] };
        let mut written = Vec::new();
        out.write(&mut written, &[error(1), error(3), error(5)]).unwrap();
        let e = |n| format!("{{\"行\":{n},\"错误\":[\"坏\"]}}\n");
        assert_eq!(String::from_utf8(written).unwrap(), format!("{}甲：一{}\n乙二\n{}", e(1), e(3), e(5)));
    }

    /// A writer that takes a few bytes at a time is given them all, in
    /// order.
    #[test]
    fn pieces_are_written_whole_however_few_bytes_a_write_takes() {
        struct Sparing(Vec<u8>);
        impl std::io::Write for Sparing {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let head = "{\"编号\":1,";
        let held = vec!["\"裁定\":[]}".into()];
        let out = Out { text: format!("{head}\n"), inserts: vec![(head.len(), Insert::Kept(0))], held };
        let mut to = Sparing(Vec::new());
        out.write(&mut to, &[]).unwrap();
        assert_eq!(String::from_utf8(to.0).unwrap(), "{\"编号\":1,\"裁定\":[]}\n");
    }
}
