//! Population runs: JSON Lines of cases in, one ruling JSON per line out,
//! in input order, and totals per document, clause, benefit and funding
//! source.
//!
//! Input is read in chunks of [`CHUNK`] lines; each chunk is evaluated on
//! all workers and written before the next is read, so memory does not grow
//! with the input.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::{self, Node};
use crate::diag::FileId;
use crate::eval::{self, Evaluation, Outcome};
use crate::ir::{Program, Text};
use crate::report;

/// Lines read and evaluated at a time.
pub const CHUNK: usize = 16_384;

/// Stack of each worker thread.
const WORKER_STACK: usize = 8 << 20;

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
}

impl Tally {
    fn add(&mut self, r: &eval::Ruling) {
        match r.outcome {
            Outcome::Granted => {
                self.granted += 1;
                self.amount = self.amount.saturating_add(r.amount.unwrap_or_default());
            }
            Outcome::Refused => self.refused += 1,
            Outcome::Pending => {
                self.pending += 1;
                self.pending_ceiling = self.pending_ceiling.saturating_add(r.ceiling.unwrap_or_default());
            }
        }
    }
    fn merge(&mut self, other: &Tally) {
        self.granted += other.granted;
        self.refused += other.refused;
        self.pending += other.pending;
        self.amount = self.amount.saturating_add(other.amount);
        self.pending_ceiling = self.pending_ceiling.saturating_add(other.pending_ceiling);
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
}

impl Summary {
    fn add(&mut self, e: &Evaluation) {
        self.cases += 1;
        self.total = self.total.saturating_add(e.total);
        for r in &e.rulings {
            self.outcomes.add(r);
            let (doc, clause, benefit) = (&r.document, Some(r.clause.clone()), Some(r.benefit.clone()));
            self.by_document.entry((doc.clone(), None, None)).or_default().add(r);
            self.by_clause.entry((doc.clone(), clause.clone(), None)).or_default().add(r);
            self.by_benefit.entry((doc.clone(), clause, benefit)).or_default().add(r);
            if let Some(f) = &r.funding {
                self.by_funding.entry((f.clone(), None, None)).or_default().add(r);
            }
        }
    }

    fn merge(&mut self, other: Summary) {
        self.cases += other.cases;
        self.total = self.total.saturating_add(other.total);
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

/// Evaluates one JSON line: the ruling JSON, or the problems with it.
pub fn eval_line(program: &Program, text: &str, options: eval::Options) -> Result<Evaluation, Vec<String>> {
    let node: Node = case::parse_json_line(text).map_err(|e| vec![e])?;
    let case = case::validate(program, &node, (FileId(0), "输入"), text)
        .map_err(|diags| diags.into_iter().map(|d| format!("[{}] {}", d.code, d.message)).collect::<Vec<_>>())?;
    eval::evaluate(program, &case, options).map_err(|e| vec![e.to_string()])
}

/// What one worker made of its share of a chunk.
struct Part {
    lines: Vec<String>,
    summary: Summary,
}

fn work(program: &Program, lines: &[(u64, String)], options: eval::Options, write: bool) -> Part {
    let mut out = Vec::with_capacity(lines.len());
    let mut summary = Summary::default();
    for (n, text) in lines {
        match eval_line(program, text, options) {
            Ok(e) => {
                summary.add(&e);
                if write {
                    out.push(report::json_line(&e));
                }
            }
            Err(messages) => {
                let err = LineError { line: *n, messages };
                if write {
                    out.push(serde_json::to_string(&err).unwrap_or_default());
                }
                summary.errors.push(err);
            }
        }
    }
    Part { lines: out, summary }
}

/// Runs every case of `input` and writes one line per input line to
/// `output` (a ruling, or `{"行":…,"错误":[…]}` for a line that could not be
/// evaluated); with no output, only the summary is made. Blank lines are
/// skipped. `progress` is told the number of
/// lines done after each chunk.
pub fn run(
    program: &Program,
    input: impl BufRead,
    mut output: Option<&mut dyn Write>,
    workers: usize,
    options: eval::Options,
    progress: &dyn Fn(u64),
) -> io::Result<Summary> {
    let workers = workers.max(1);
    let mut summary = Summary::default();
    let mut chunk: Vec<(u64, String)> = Vec::with_capacity(CHUNK);
    let mut done = 0u64;
    let mut lines = input.lines();
    let mut number = 0u64;
    loop {
        chunk.clear();
        for line in lines.by_ref() {
            number += 1;
            let line = match line {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    summary.errors.push(LineError { line: number, messages: vec!["不是 UTF-8 编码".into()] });
                    continue;
                }
                Err(e) => return Err(e),
            };
            if line.trim().is_empty() {
                continue;
            }
            chunk.push((number, line));
            if chunk.len() == CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let per = chunk.len().div_ceil(workers);
        let parts: Vec<Part> = if workers == 1 || chunk.len() < 64 {
            vec![work(program, &chunk, options, output.is_some())]
        } else {
            std::thread::scope(|s| -> io::Result<Vec<Part>> {
                let mut handles = Vec::new();
                let write = output.is_some();
                for slice in chunk.chunks(per) {
                    // Deeply nested rules recurse: workers get a main thread's stack.
                    let worker = std::thread::Builder::new().stack_size(WORKER_STACK);
                    handles.push(worker.spawn_scoped(s, move || work(program, slice, options, write))?);
                }
                Ok(handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Part { lines: Vec::new(), summary: Summary::default() }))
                    .collect())
            })?
        };
        for part in parts {
            if let Some(out) = output.as_mut() {
                for l in &part.lines {
                    out.write_all(l.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            summary.merge(part.summary);
        }
        done += chunk.len() as u64;
        progress(done);
    }
    if let Some(out) = output.as_mut() {
        out.flush()?;
    }
    summary.errors.sort_by_key(|e| e.line);
    Ok(summary)
}

/// The summary as a Chinese table.
pub fn summary_table(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "案例 {} 个，合计给予 {}元；裁定：给予 {}，不予 {}，待定 {}；错误 {} 行",
        s.cases,
        s.total.normalize(),
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
                "  {k}：给予 {} 项 {}元，待定 {} 项（上限合计 {}元），不予 {} 项",
                t.granted,
                t.amount.normalize(),
                t.pending,
                t.pending_ceiling.normalize(),
                t.refused
            );
        }
    }
    for e in s.errors.iter().take(20) {
        let _ = writeln!(out, "第 {} 行：{}", e.line, e.messages.join("；"));
    }
    if s.errors.len() > 20 {
        let _ = writeln!(out, "……另有 {} 行错误", s.errors.len() - 20);
    }
    out
}
