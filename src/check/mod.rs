//! Checking: names, types and units, citations against the document texts,
//! clause numbering, validity windows and priorities; lowering to [`ir`].
//!
//! All problems are collected and returned sorted by location; the program
//! is produced only when there is no error.

mod expr;
pub mod numbering;
mod suggest;
pub mod text;
mod vocab;

use serde::Serialize;

use crate::date::Date;
use crate::diag::{self, Diagnostic, FileId, SourceMap, Span};
use crate::hash::FxMap;
use crate::ir;
use crate::syntax::ast;
use expr::Lower;
pub use suggest::{closest, help_with};
use text::Normalized;
pub use vocab::VocabScope;

/// One parsed policy file, with the document text its 原文件 names (if any
/// and if it could be read).
pub struct PolicyFile<'s> {
    pub file: FileId,
    pub module: ast::Module<'s>,
    pub source: Option<FileId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CoverageStatus {
    #[serde(rename = "已编码")]
    Encoded,
    #[serde(rename = "指导性")]
    Guidance,
    #[serde(rename = "未处理")]
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClauseCoverage {
    #[serde(rename = "条款")]
    pub id: String,
    #[serde(rename = "标题")]
    pub title: String,
    #[serde(rename = "状态")]
    pub status: CoverageStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentCoverage {
    #[serde(rename = "文件")]
    pub document: String,
    #[serde(rename = "条款")]
    pub clauses: Vec<ClauseCoverage>,
    /// Sentences of the source text that hold amounts (元, %, 人, 月…)
    /// and that no rule quotes: what may have been missed.
    #[serde(rename = "未引用的金额句")]
    pub unquoted: Vec<String>,
}

impl DocumentCoverage {
    /// Whether the document's text showed no clause at all: its numbering
    /// was not recognized, so nothing can be said to be covered.
    pub fn found_no_clause(&self) -> bool {
        self.clauses.is_empty()
    }
}

pub struct Checked {
    pub program: Option<ir::Program>,
    pub diagnostics: Vec<Diagnostic>,
    pub coverage: Vec<DocumentCoverage>,
}

/// Checks a set of policy files (one vocabulary, documents) and lowers them.
pub fn check(files: &[PolicyFile], sources: &SourceMap) -> Checked {
    let mut diags = Vec::new();
    let vocabularies: Vec<(FileId, &ast::Vocabulary)> = files
        .iter()
        .flat_map(|f| {
            f.module.items.iter().filter_map(move |i| match i {
                ast::Item::Vocabulary(v) => Some((f.file, v)),
                _ => None,
            })
        })
        .collect();
    let scope = match vocabularies.as_slice() {
        [] => {
            diags.push(
                Diagnostic::error("P0105", "没有找到案例词汇（「词汇 { … }」）")
                    .help("在规则目录中放一个词汇文件，声明案例的字段、类型和默认值"),
            );
            None
        }
        [(file, v), rest @ ..] => {
            for (other_file, other) in rest {
                diags.push(
                    Diagnostic::error("P0102", "案例词汇重复声明")
                        .at(*other_file, Span::new(other.span.start, other.span.start + "词汇".len()), "第二个词汇")
                        .also(*file, Span::new(v.span.start, v.span.start + "词汇".len()), "第一个词汇")
                        .help("所有文件共用一个词汇文件"),
                );
            }
            Some(vocab::lower(*file, v, &mut diags))
        }
    };

    let mut seen_ids: FxMap<&str, (FileId, Span)> = FxMap::default();
    let mut pending: Vec<(&PolicyFile, &ast::Document)> = Vec::new();
    for f in files {
        let docs: Vec<&ast::Document> = f
            .module
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Document(d) => Some(d),
                _ => None,
            })
            .collect();
        let has_clauses = f.module.items.iter().any(|i| matches!(i, ast::Item::Clause(_) | ast::Item::Guidance(_)));
        let doc = match docs.as_slice() {
            [] if has_clauses => {
                diags.push(
                    Diagnostic::error("P0106", format!("{} 有条款但没有「文件」声明", sources.name(f.file)))
                        .help("在文件开头写 文件「文号」{ 名称「…」 原文件「sources/…」 施行 自… 至… }"),
                );
                continue;
            }
            [] => continue,
            [d, rest @ ..] => {
                for other in rest {
                    diags.push(
                        Diagnostic::error("P0102", "一个规则文件只能编码一份文件")
                            .at(f.file, other.id.span, "第二份文件")
                            .help("每份政策文件单独一个规则文件"),
                    );
                }
                *d
            }
        };
        if let Some((pf, ps)) = seen_ids.get(doc.id.node) {
            diags.push(
                Diagnostic::error("P0102", format!("文件「{}」重复编码", doc.id.node))
                    .at(f.file, doc.id.span, "再次编码")
                    .also(*pf, *ps, "首次编码")
                    .help("每份文件只能有一个规则文件"),
            );
            continue;
        }
        seen_ids.insert(doc.id.node, (f.file, doc.id.span));
        pending.push((f, doc));
    }
    // Parents are checked before the documents that adopt their clauses.
    let depths = parent_depths(&pending, &mut diags);
    let mut ordered: Vec<(usize, &PolicyFile, &ast::Document)> =
        pending.iter().zip(&depths).map(|((f, d), depth)| (*depth, *f, *d)).collect();
    ordered.sort_by_key(|(d, _, _)| *d);
    let mut lowered: Vec<Lowered> = Vec::new();
    let mut coverage = Vec::new();
    if let Some(scope) = scope.as_ref() {
        let mut lowered_at: FxMap<&str, usize> = FxMap::default();
        for (_, f, doc) in ordered {
            let parent = doc.parent.as_ref().and_then(|p| lowered.get(*lowered_at.get(p.node)?));
            let normalized = f.source.map(|id| Normalized::new(sources.text(id)));
            let mut lowerer = DocLowerer::new(f, doc, sources, scope, parent, normalized.as_ref(), &mut diags);
            let (document, cov) = lowerer.run();
            let spans = std::mem::take(&mut lowerer.spans);
            lowered_at.insert(doc.id.node, lowered.len());
            lowered.push(Lowered { doc: document, file: f.file, spans });
            coverage.push(cov);
        }
    }
    // Report documents in the order their files were given.
    let given: FxMap<&str, usize> = pending.iter().enumerate().map(|(i, (_, d))| (d.id.node, i)).collect();
    let position = |id: &str| given.get(id).copied().unwrap_or(usize::MAX);
    lowered.sort_by_key(|l| position(&l.doc.id));
    coverage.sort_by_key(|c| position(&c.document));
    let documents: Vec<ir::Document> = lowered.into_iter().map(|l| l.doc).collect();
    diag::sort(&mut diags);
    let program = match scope {
        Some(scope) if !diags.iter().any(Diagnostic::is_error) => Some(ir::Program { vocabulary: scope.ir, documents }),
        _ => None,
    };
    Checked { program, diagnostics: diags, coverage }
}

/// How many parents above each document are among `docs` (in their
/// order), each chain followed once: linear in the number of documents.
/// A chain that comes back to a document it passed is an error showing
/// the chain; the documents on it count as having no parent.
fn parent_depths(docs: &[(&PolicyFile, &ast::Document)], diags: &mut Vec<Diagnostic>) -> Vec<usize> {
    let index: FxMap<&str, usize> = docs.iter().enumerate().map(|(i, (_, d))| (d.id.node, i)).collect();
    let parent_of = |i: usize| -> Option<usize> { index.get(docs.get(i)?.1.parent.as_ref()?.node).copied() };
    // None: not reached yet; Some(None): on the chain being followed.
    let mut depth: Vec<Option<Option<usize>>> = vec![None; docs.len()];
    for start in 0..docs.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        // Up the chain until a document whose depth is known, or none.
        let mut above = loop {
            match at {
                None => break 0,
                Some(i) => match depth.get(i).copied().flatten() {
                    Some(Some(d)) => break d + 1,
                    Some(None) => {
                        // Back to a document on this chain: a cycle.
                        let from = chain.iter().position(|&c| c == i).unwrap_or(0);
                        report_cycle(docs, chain.get(from..).unwrap_or_default(), diags);
                        for &c in chain.get(from..).unwrap_or_default() {
                            if let Some(d) = depth.get_mut(c) {
                                *d = Some(Some(0));
                            }
                        }
                        chain.truncate(from);
                        break 1;
                    }
                    None => {
                        if let Some(d) = depth.get_mut(i) {
                            *d = Some(None);
                        }
                        chain.push(i);
                        at = parent_of(i);
                    }
                },
            }
        };
        // The chain's last document has no parent among `docs`, or sits
        // on a known one.
        for &c in chain.iter().rev() {
            let d = if parent_of(c).is_none() { 0 } else { above };
            if let Some(slot) = depth.get_mut(c) {
                *slot = Some(Some(d));
            }
            above = d + 1;
        }
    }
    depth.into_iter().map(|d| d.flatten().unwrap_or(0)).collect()
}

/// A cycle of 上级: every document on it names the next.
fn report_cycle(docs: &[(&PolicyFile, &ast::Document)], cycle: &[usize], diags: &mut Vec<Diagnostic>) {
    let on: Vec<(&PolicyFile, &ast::Document)> = cycle.iter().filter_map(|&i| docs.get(i).copied()).collect();
    let Some(((first_file, first), rest)) = on.split_first() else { return };
    let Some(parent) = first.parent.as_ref() else { return };
    let names: Vec<&str> = on.iter().map(|(_, d)| d.id.node).chain([first.id.node]).collect();
    let mut d = Diagnostic::error("P0307", format!("上级文件形成循环：{}", names.join(" → "))).at(
        first_file.file,
        parent.span,
        "此处的上级文件",
    );
    for (f, doc) in rest {
        if let Some(p) = &doc.parent {
            d = d.also(f.file, p.span, "循环中的上级文件");
        }
    }
    let help = if rest.is_empty() {
        "文件不能是自己的上级：删去「上级」或改为真正的上级文件"
    } else {
        "上级文件的关系须自上而下：检查循环中各文件的「上级」，去掉其中错误的一个"
    };
    diags.push(d.help(help));
}

fn date_of(file: FileId, lit: &ast::Spanned<ast::DateLit>, diags: &mut Vec<Diagnostic>) -> Option<Date> {
    let d = lit.node;
    let date = i32::try_from(d.year).ok().and_then(|y| Date::new(y, d.month, d.day));
    if date.is_none() {
        diags.push(
            Diagnostic::error("P0204", format!("日期 {}年{}月{}日 不存在", d.year, d.month, d.day))
                .at(file, lit.span, "无效日期")
                .help("检查月份与该月天数"),
        );
    }
    date
}

fn window_of(file: FileId, range: &ast::ValidityRange, diags: &mut Vec<Diagnostic>) -> ir::Window {
    let from = match &range.from {
        Some(ast::Spanned { node: ast::ValidityStart::Date(d), span }) => {
            date_of(file, &ast::Spanned { node: *d, span: *span }, diags)
        }
        _ => None,
    };
    let to = date_of(file, &range.to, diags);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            diags.push(
                Diagnostic::error("P0402", format!("有效期的终止日 {t} 早于起始日 {f}"))
                    .at(file, range.span, "终止早于起始")
                    .help("检查原文中的执行期限"),
            );
        }
    }
    ir::Window { from, to }
}

/// A checked document, with what the documents that adopt its clauses need.
struct Lowered {
    doc: ir::Document,
    file: FileId,
    /// Where each benefit was written, by clause and benefit index.
    spans: Vec<Vec<BenefitSpans>>,
}

/// Where a lowered benefit was written: its name, and its amount when this
/// document writes one (an adopted rule left as it was has none here).
#[derive(Clone, Copy)]
struct BenefitSpans {
    name: Span,
    amount: Option<Span>,
}

/// Clauses lowered by one job: enough to outweigh starting a thread.
const CLAUSES_PER_JOB: usize = 32;

struct DocLowerer<'a> {
    file: FileId,
    parent: Option<&'a Lowered>,
    doc: &'a ast::Document<'a>,
    items: &'a [ast::Item<'a>],
    source: Option<(FileId, &'a str)>,
    /// The whole document text, normalized for finding quotes.
    normalized: Option<&'a Normalized<'a>>,
    scope: &'a VocabScope,
    diags: &'a mut Vec<Diagnostic>,
    src: &'a str,
    /// Where each lowered benefit was written, by clause and benefit index.
    spans: Vec<Vec<BenefitSpans>>,
    /// Definitions of the current clause that failed to check.
    failed_lets: Vec<String>,
    /// For each definition of the current clause, whether its value may
    /// be negative ([`expr::may_be_negative`]).
    signed_lets: Vec<bool>,
    /// The document's own definitions (设 outside any clause) that
    /// checked, in order: every clause sees them.
    doc_lets: Vec<(&'a ast::Name<'a>, &'a ast::Expr<'a>)>,
    /// For each definition of the current clause, what it reads.
    let_reads: Vec<Vec<ir::NamedRef>>,
    /// The folded 原文 quotes lowered so far, for the sentences with
    /// amounts that no quote covers.
    quotes: Vec<String>,
}

impl<'a> DocLowerer<'a> {
    fn new(
        f: &'a PolicyFile,
        doc: &'a ast::Document,
        sources: &'a SourceMap,
        scope: &'a VocabScope,
        parent: Option<&'a Lowered>,
        normalized: Option<&'a Normalized<'a>>,
        diags: &'a mut Vec<Diagnostic>,
    ) -> DocLowerer<'a> {
        let source = f.source.map(|id| (id, sources.text(id)));
        DocLowerer {
            file: f.file,
            parent,
            doc,
            items: &f.module.items,
            normalized,
            source,
            scope,
            diags,
            src: sources.text(f.file),
            spans: Vec::new(),
            failed_lets: Vec::new(),
            signed_lets: Vec::new(),
            doc_lets: Vec::new(),
            let_reads: Vec::new(),
            quotes: Vec::new(),
        }
    }

    /// A lowerer for some of this document's clauses, on another thread,
    /// with its own diagnostics.
    fn helper<'h>(&'h self, diags: &'h mut Vec<Diagnostic>) -> DocLowerer<'h> {
        DocLowerer {
            file: self.file,
            parent: self.parent,
            doc: self.doc,
            items: self.items,
            source: self.source,
            normalized: self.normalized,
            scope: self.scope,
            diags,
            src: self.src,
            spans: Vec::new(),
            failed_lets: Vec::new(),
            signed_lets: Vec::new(),
            doc_lets: self.doc_lets.clone(),
            let_reads: Vec::new(),
            quotes: Vec::new(),
        }
    }

    fn run(&mut self) -> (ir::Document, DocumentCoverage) {
        let doc = self.doc;
        if doc.source.is_none() {
            self.diags.push(
                Diagnostic::error("P0304", format!("文件「{}」没有指明原文件", doc.id.node))
                    .at(self.file, doc.id.span, "缺少「原文件」")
                    .help("写明文件原文的位置，例如 原文件「sources/004_4a4c2d037d1495bd.txt」；引用要据此核对"),
            );
        }
        let window = doc.validity.as_ref().map(|r| window_of(self.file, r, self.diags)).unwrap_or_default();
        if let Some(range) = &doc.validity {
            self.dates_in_source(range);
        }
        self.doc_lets = self.document_lets();
        let source_clauses = self.source.map(|(_, t)| numbering::clauses(t)).unwrap_or_default();
        let known_ids: FxMap<&str, usize> =
            source_clauses.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let mut accounted: FxMap<&str, (CoverageStatus, Span)> = FxMap::default();
        // The clauses and guidance to lower, each once.
        let mut work = Vec::with_capacity(self.items.len());
        for item in self.items {
            let (id, status) = match item {
                ast::Item::Clause(c) => (&c.id, CoverageStatus::Encoded),
                ast::Item::Guidance(g) => (&g.id, CoverageStatus::Guidance),
                _ => continue,
            };
            if let Some((_, first)) = accounted.get(id.node) {
                self.diags.push(
                    Diagnostic::error("P0102", format!("条款 {} 重复出现", id.node))
                        .at(self.file, id.span, "再次出现")
                        .also(self.file, *first, "首次出现")
                        .help("一个条款只写一次；同一条款的多项待遇都写在它的块里"),
                );
                continue;
            }
            accounted.insert(id.node, (status, id.span));
            if self.source.is_some() && !known_ids.contains_key(id.node) {
                let open: Vec<&str> = source_clauses
                    .iter()
                    .map(|c| c.id.as_str())
                    .filter(|c| !self.items.iter().any(|i| item_id(i) == Some(*c)))
                    .collect();
                let help = if open.is_empty() {
                    "条款编号按文件自己的写法，例如 5、四、二（八）".to_string()
                } else {
                    format!("条款编号按文件自己的写法；尚未处理的条款有：{}", open.join("、"))
                };
                self.diags.push(
                    Diagnostic::error("P0303", format!("原文件中没有条款「{}」", id.node))
                        .at(self.file, id.span, "未知条款编号")
                        .help(help),
                );
            }
            work.push(item);
        }
        // Clauses are lowered on every core, a run of them per helper
        // lowerer with its own diagnostics, then put together in order.
        let runs: Vec<&[&ast::Item]> = work.chunks(CLAUSES_PER_JOB).collect();
        let lowered = crate::parallel::map(&runs, |run| {
            let mut diags = Vec::new();
            let mut helper = self.helper(&mut diags);
            let mut clauses = Vec::new();
            for item in *run {
                match item {
                    ast::Item::Clause(c) => {
                        let section = helper.section(&source_clauses, &known_ids, c.id.node);
                        clauses.push(helper.clause(c, window, section.as_ref()));
                    }
                    ast::Item::Guidance(g) => {
                        let section = helper.section(&source_clauses, &known_ids, g.id.node);
                        for q in &g.quotes {
                            let folded = text::fold(q.node).into_owned();
                            let _ = helper.check_quote(q, &folded, section.as_ref());
                            helper.quotes.push(folded);
                        }
                    }
                    _ => {}
                }
            }
            let quotes = std::mem::take(&mut helper.quotes);
            (clauses, diags, quotes)
        });
        let mut clauses = Vec::with_capacity(work.len());
        let mut quotes = Vec::new();
        for (run, diags, run_quotes) in lowered {
            self.diags.extend(diags);
            quotes.extend(run_quotes);
            for (clause, spans) in run {
                self.spans.push(spans);
                clauses.push(clause);
            }
        }
        let unquoted = self.source.map(|(_, t)| text::unquoted_amounts(t, &quotes)).unwrap_or_default();
        let coverage = DocumentCoverage {
            unquoted,
            document: doc.id.node.to_string(),
            clauses: source_clauses
                .iter()
                .map(|c| ClauseCoverage {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    status: accounted.get(c.id.as_str()).map_or(CoverageStatus::Missing, |(s, _)| *s),
                })
                .collect(),
        };
        let groups = self.groups(&clauses);
        let adopts = clauses.iter().any(|c| c.adopts.is_some());
        let claims_from = std::iter::once(doc.id.node)
            .chain(doc.parent.as_ref().filter(|_| adopts).map(|p| p.node))
            .map(|id| text::fold(id).into_owned())
            .collect();
        let document = ir::Document {
            id: doc.id.node.into(),
            claims_from,
            name: doc.name.as_ref().map(|n| n.node.to_string()).unwrap_or_default(),
            level: doc.level.as_ref().map(|n| n.node.to_string()).unwrap_or_default(),
            region: doc.region.as_ref().map(|n| n.node.to_string()).unwrap_or_default(),
            parent: doc.parent.as_ref().map(|n| n.node.to_string()),
            window,
            no_lowering: doc.no_lowering.is_some(),
            clauses,
            groups,
        };
        (document, coverage)
    }

    /// Benefits grouped by clause and name, ordered by priority; equal priorities in
    /// one group are an error (no source-order tie-breaking).
    fn groups(&mut self, clauses: &[ir::Clause]) -> Vec<Vec<(u32, u32)>> {
        // Groups in the order their first rules come.
        let mut groups: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut by_name: FxMap<(&str, &str), usize> = FxMap::default();
        for (ci, c) in clauses.iter().enumerate() {
            for (bi, b) in c.benefits.iter().enumerate() {
                let next = groups.len();
                let group = *by_name.entry((&c.id, &b.key)).or_insert(next);
                if group == next {
                    groups.push(Vec::new());
                }
                if let Some(members) = groups.get_mut(group) {
                    members.push((ci as u32, bi as u32));
                }
            }
        }
        let benefit = |&(c, b): &(u32, u32)| clauses.get(c as usize).and_then(|c| c.benefits.get(b as usize));
        for members in &mut groups {
            members.sort_by_key(|m| benefit(m).map(|b| (std::cmp::Reverse(b.priority), b.window.from)));
            for pair in members.windows(2) {
                let [a, b] = pair else { continue };
                let (Some(ba), Some(bb)) = (benefit(a), benefit(b)) else { continue };
                if ba.priority != bb.priority {
                    continue;
                }
                let name_span = |&(c, b): &(u32, u32)| {
                    self.spans.get(c as usize).and_then(|c| c.get(b as usize)).map(|s| s.name).unwrap_or_default()
                };
                let (sa, sb) = (name_span(a), name_span(b));
                let (first, second) = if sa <= sb { (sa, sb) } else { (sb, sa) };
                // Two versions of one rule, one after the other, are fine;
                // overlapping versions are two rules that can both fire.
                let (early, late) = if ba.window.from <= bb.window.from { (ba, bb) } else { (bb, ba) };
                let disjoint = matches!((early.window.to, late.window.from), (Some(t), Some(f)) if t < f);
                if !disjoint {
                    self.diags.push(
                        Diagnostic::error("P0401", format!("「{}」有两条规则，却没有例外关系", ba.name))
                            .at(self.file, second, "这条规则")
                            .also(self.file, first, "与这条规则可能同时适用")
                            .help("给例外规则写「优先级 N」（数字大者优先）；同一规则的新旧版本用「有效」写明不重叠的期限"),
                    );
                } else if early.window.to.and_then(|t| t.add_days(1)) != late.window.from {
                    let (t, f) = (early.window.to.map(|d| d.to_string()), late.window.from.map(|d| d.to_string()));
                    self.diags.push(
                        Diagnostic::warning(
                            "P0404",
                            format!(
                                "「{}」的两个版本之间有空档：{} 之后到 {} 之前无规则",
                                ba.name,
                                t.unwrap_or_default(),
                                f.unwrap_or_default()
                            ),
                        )
                        .at(self.file, second, "后一版本")
                        .also(self.file, first, "前一版本")
                        .help("若文件确实中断了政策，可以忽略；否则让后一版本从前一版本结束的次日开始"),
                    );
                }
            }
        }
        groups
    }

    /// Checks that a quote, `needle` once folded, occurs in the document. On
    /// failure pushes one diagnostic (the quote and the nearest passage)
    /// and returns its index with the nearest passage, folded.
    fn check_quote(
        &mut self,
        quote: &ast::Name,
        needle: &str,
        section: Option<&Normalized>,
    ) -> Option<(usize, String)> {
        let (Some((src_file, src_text)), Some(norm)) = (self.source, self.normalized) else {
            return None;
        };
        // A quote is looked for in its own clause first, so that checking
        // stays linear in the size of the document.
        if needle.is_empty() || section.is_some_and(|s| s.text.contains(needle)) {
            return None;
        }
        let in_document = norm.text.contains(needle);
        if section.is_none() && in_document {
            return None;
        }
        // In the document, but in another clause's part of it.
        if in_document {
            let mut d =
                Diagnostic::error("P0308", "原文引用不在本条的原文中").at(self.file, quote.span, "这段原文属于另一条");
            if let Some((s, e)) = norm.nearest(needle) {
                d = d.also(src_file, Span::new(s, e), "它在文件中的位置");
            }
            self.diags.push(d.help(
                "每条只引用自己的原文（从本条的编号到下一条的编号之间）；引用的内容若属于另一条，编码在那一条中",
            ));
            return None;
        }
        let mut d =
            Diagnostic::error("P0301", "原文引用与文件原文不符").at(self.file, quote.span, "这段原文在文件中找不到");
        let mut nearest = String::new();
        if let Some((s, e)) = norm.nearest(needle) {
            d = d.also(src_file, Span::new(s, e), "文件中最接近的段落");
            nearest = text::fold(src_text.get(s..e).unwrap_or("")).into_owned();
        }
        self.diags.push(d.help("原文须逐字摘自文件（换行、空格和全半角不计）；若文件已修订，请同时修改规则"));
        Some((self.diags.len() - 1, nearest))
    }

    /// Points a failed quote's diagnostic at the rule's numbers that the
    /// document no longer says.
    fn blame_numbers(&mut self, c: &ast::Clause, failed: &[(usize, String, String)]) {
        if failed.is_empty() {
            return;
        }
        let mut lits = Vec::new();
        for s in &c.stmts {
            clause_exprs(s, &mut |e| each_quantity(e, &mut |q, span| lits.push((q, span))));
        }
        for (index, quote, nearest) in failed {
            for (q, span) in &lits {
                let cited = text::fold(&q.cited);
                if quote.contains(&*cited) && !nearest.contains(&*cited) {
                    if let Some(d) = self.diags.get_mut(*index) {
                        d.secondary
                            .push(diag::Label {
                                at: span.in_file(self.file), text: "规则中的这个数与文件不符".into()
                            });
                    }
                }
            }
        }
    }

    /// The normalized text of a clause in the document: from its heading to
    /// the next heading.
    fn section(
        &self,
        clauses: &[numbering::SourceClause],
        index: &FxMap<&str, usize>,
        id: &str,
    ) -> Option<Normalized<'a>> {
        let (_, text) = self.source?;
        let i = *index.get(id)?;
        let start = clauses.get(i)?.start;
        let end = clauses.get(i + 1).map_or(text.len(), |n| n.start);
        Some(Normalized::of_range(text, start, end))
    }

    fn clause(
        &mut self,
        c: &ast::Clause,
        doc_window: ir::Window,
        section: Option<&Normalized>,
    ) -> (ir::Clause, Vec<BenefitSpans>) {
        let mut quotes = Vec::new();
        let mut window = ir::Window::default();
        let mut funding = Vec::new();
        let mut departments = Vec::new();
        let mut audience = None;
        let mut failed_quotes = Vec::new();
        for s in &c.stmts {
            match s {
                ast::ClauseStmt::Audience(n) => audience = self.audience(n),
                ast::ClauseStmt::Quote(q) => {
                    // A quote that drifted from the document still stands for
                    // the rule's numbers: one diagnostic, not one per number.
                    let folded = text::fold(q.node);
                    if let Some((index, nearest)) = self.check_quote(q, &folded, section) {
                        failed_quotes.push((index, folded.to_string(), nearest));
                    }
                    quotes.push(folded);
                }
                ast::ClauseStmt::Validity(r) => {
                    window = window_of(self.file, r, self.diags);
                    self.check_inside(window, doc_window, r.span);
                }
                ast::ClauseStmt::Funding(names) => funding = names.iter().map(|n| n.node).collect(),
                ast::ClauseStmt::Departments(names) => departments = names.iter().map(|n| n.node.into()).collect(),
                _ => {}
            }
        }
        if !c.stmts.iter().any(|s| matches!(s, ast::ClauseStmt::Quote(_))) {
            self.diags.push(
                Diagnostic::error("P0305", format!("条款 {} 没有引用原文", c.id.node))
                    .at(self.file, c.id.span, "缺少「原文」")
                    .help("每个可计算的条款都要引用它依据的原文：原文「…」"),
            );
        }
        self.blame_numbers(c, &failed_quotes);
        let quoted = quotes.join("\n");
        self.quotes.extend(quotes.into_iter().map(std::borrow::Cow::into_owned));
        self.failed_lets.clear();
        // An adopted clause starts as the parent's; this clause's own rules
        // replace the parent's rules of the same name and priority.
        let adopted = c.adopts.as_ref().and_then(|pid| self.adopted(pid));
        let parent_spans = adopted.as_ref().and_then(|(i, _)| self.parent?.spans.get(*i));
        let inherited = adopted.map(|(_, clause)| clause).unwrap_or_default();
        let mut locals: Vec<(String, ir::Ty)> = inherited.lets.iter().map(|l| (l.name.clone(), l.expr.ty)).collect();
        let mut lets = inherited.lets;
        self.signed_lets.clear();
        // What the parent's definitions read is not known here: not cited.
        self.let_reads = vec![Vec::new(); lets.len()];
        for l in &lets {
            let signed = expr::may_be_negative(&l.expr, &self.signed_lets);
            self.signed_lets.push(signed);
        }
        // The document's definitions, but those the clause has from its
        // parent or defines itself (which shadows them, with a warning).
        for (name, e) in self.doc_lets.clone() {
            let own = c.stmts.iter().find_map(|s| match s {
                ast::ClauseStmt::Let(n, _) if n.node == name.node => Some(n),
                _ => None,
            });
            if let Some(own) = own {
                self.diags.push(
                    Diagnostic::warning("P0109", format!("本条的「{}」遮蔽了文件级的定义", name.node))
                        .at(self.file, own.span, "本条的定义")
                        .also(self.file, name.span, "文件级的定义")
                        .help("本条用自己的定义；若两者相同，删去本条的一个，否则换一个名称"),
                );
                continue;
            }
            if locals.iter().any(|(n, _)| *n == name.node) {
                continue;
            }
            // Checked once already: its diagnostics are not repeated.
            let saved = std::mem::take(self.diags);
            let lowered = self.lower_let(&locals, e);
            *self.diags = saved;
            if let Some(expr) = lowered {
                locals.push((name.node.to_string(), expr.ty));
                self.signed_lets.push(expr::may_be_negative(&expr, &self.signed_lets));
                lets.push(ir::Let { name: name.node.to_string(), expr });
            }
        }
        let mut applies = inherited.applies;
        let adopted_span = c.adopts.as_ref().map_or(c.id.span, |a| a.span);
        let mut spans: Vec<BenefitSpans> =
            inherited.benefits.iter().map(|_| BenefitSpans { name: adopted_span, amount: None }).collect();
        let mut benefits = inherited.benefits;
        let mut statuses = inherited.statuses;
        let mut constraints = inherited.constraints;
        if departments.is_empty() {
            departments = inherited.departments;
        }
        let clause_window = window.within(doc_window);
        for b in &mut benefits {
            b.window = b.window.within(clause_window);
        }
        for s in &c.stmts {
            match s {
                ast::ClauseStmt::Let(name, e) => {
                    self.cite(e, &quoted);
                    if locals.iter().any(|(n, _)| *n == name.node) || self.scope.knows(name.node) {
                        self.diags.push(
                            Diagnostic::error("P0102", format!("名称「{}」已有定义", name.node))
                                .at(self.file, name.span, "重复定义")
                                .help("换一个名称，不要与案例字段或前面的「设」同名"),
                        );
                    }
                    match self.lower_let(&locals, e) {
                        Some(expr) => {
                            locals.push((name.node.to_string(), expr.ty));
                            self.signed_lets.push(expr::may_be_negative(&expr, &self.signed_lets));
                            lets.push(ir::Let { name: name.node.to_string(), expr });
                        }
                        None => self.failed_lets.push(name.node.to_string()),
                    }
                }
                ast::ClauseStmt::Applies(e) => {
                    self.cite(e, &quoted);
                    if let Some(cond) = self.cond(&locals, e) {
                        applies.push(cond);
                    }
                }
                ast::ClauseStmt::Benefit(b) => {
                    let context = (&funding[..], &departments[..], audience.as_ref());
                    let Some((mut benefit, amount)) = self.benefit(b, &locals, &quoted, context, clause_window) else {
                        continue;
                    };
                    let here = BenefitSpans { name: b.name.span, amount: Some(amount) };
                    let replaced = c.adopts.as_ref().and_then(|_| {
                        benefits.iter().position(|x| x.key == benefit.key && x.priority == benefit.priority)
                    });
                    match replaced {
                        Some(i) => {
                            if let Some(old) = benefits.get(i) {
                                let there = parent_spans.and_then(|s| s.get(i)).and_then(|s| s.amount);
                                self.no_lowering((old, there), (&benefit, amount));
                                // Who the rule is for stays the parent's unless restated.
                                if benefit.audience.is_none() {
                                    benefit.audience = old.audience.clone();
                                }
                            }
                            if let (Some(slot), Some(spans)) = (benefits.get_mut(i), spans.get_mut(i)) {
                                *slot = benefit;
                                *spans = here;
                            }
                        }
                        None => {
                            benefits.push(benefit);
                            spans.push(here);
                        }
                    }
                }
                ast::ClauseStmt::Status { name, condition } => {
                    self.cite(condition, &quoted);
                    if let Some(cond) = self.cond(&locals, condition) {
                        statuses.push(ir::Status { name: name.node.to_string(), cond });
                    }
                }
                ast::ClauseStmt::Constraint { condition, message } => {
                    self.cite(condition, &quoted);
                    if let Some(cond) = self.cond(&locals, condition) {
                        constraints.push(ir::Constraint { cond, message: message.node.to_string() });
                    }
                }
                _ => {}
            }
        }
        let adopts = c.adopts.as_ref().and_then(|a| Some((self.parent?.doc.id.clone(), a.node.into())));
        let clause = ir::Clause {
            adopts,
            id: c.id.node.into(),
            title: c.title.node.to_string(),
            window: clause_window,
            applies,
            lets,
            benefits,
            statuses,
            constraints,
            departments,
        };
        (clause, spans)
    }

    /// The parent's clause that `采纳 id` names, lowered, and its index.
    fn adopted(&mut self, pid: &ast::Name) -> Option<(usize, ir::Clause)> {
        let Some(parent) = self.parent else {
            let why = match &self.doc.parent {
                Some(p) => format!("上级文件「{}」不在检查的规则文件中", p.node),
                None => "本文件没有声明上级文件".to_string(),
            };
            self.diags.push(
                Diagnostic::error("P0306", format!("无法采纳条款 {}：{why}", pid.node))
                    .at(self.file, pid.span, "采纳的条款")
                    .help("在文件声明中写 上级「文号」，并把上级文件的规则文件一同检查"),
            );
            return None;
        };
        let found = parent.doc.clauses.iter().enumerate().find(|(_, c)| *c.id == *pid.node);
        if found.is_none() {
            let ids: Vec<&str> = parent.doc.clauses.iter().map(|c| &*c.id).collect();
            self.diags.push(
                Diagnostic::error("P0306", format!("上级文件「{}」没有可采纳的条款「{}」", parent.doc.id, pid.node))
                    .at(self.file, pid.span, "未知条款")
                    .help(format!("可采纳的条款：{}", ids.join("、"))),
            );
        }
        found.map(|(i, c)| (i, c.clone()))
    }

    /// Where the parent forbids lowering its standards (“标准不能降”), a
    /// replacing rule's amounts must not be below the parent's. `there` is
    /// where the parent wrote its amount, `here` where this rule does.
    fn no_lowering(&mut self, (old, there): (&ir::Benefit, Option<Span>), (new, here): (&ir::Benefit, Span)) {
        let Some(parent) = self.parent.filter(|p| p.doc.no_lowering) else { return };
        let (before, after) = (money_constants(&old.amount), money_constants(&new.amount));
        let there = there.unwrap_or_default();
        let lowered = before.len() != after.len() || before.iter().zip(&after).any(|(p, c)| c < p);
        if lowered {
            let show = |v: &[rust_decimal::Decimal]| {
                v.iter().map(|d| format!("{}元", d.normalize())).collect::<Vec<_>>().join("、")
            };
            self.diags.push(
                Diagnostic::error(
                    "P0403",
                    format!(
                        "「{}」的标准低于上级文件「{}」：{} 低于 {}",
                        new.name,
                        parent.doc.id,
                        show(&after),
                        show(&before)
                    ),
                )
                .at(self.file, here, "本文件的标准")
                .also(parent.file, there, "上级文件的标准")
                .help("上级文件规定“标准不能降、力度不能减、范围不能变”：只能提高标准，且保持同样的计算方式"),
            );
        }
    }

    /// `对象 单位` is `类型 为 单位`.
    fn audience(&mut self, value: &ast::Name) -> Option<ir::Expr> {
        let field = ast::Expr {
            kind: ast::ExprKind::Path(ast::Spanned { node: ir::KIND_FIELD, span: value.span }),
            span: value.span,
        };
        let is = ast::Expr { kind: ast::ExprKind::Is(Box::new(field), value.clone()), span: value.span };
        self.lower(&[], &is)
    }

    fn check_inside(&mut self, inner: ir::Window, outer: ir::Window, span: Span) {
        let early = matches!((inner.from, outer.from), (Some(a), Some(b)) if a < b);
        let late = matches!((inner.to, outer.to), (Some(a), Some(b)) if a > b);
        if early || late {
            self.diags.push(
                Diagnostic::error(
                    "P0402",
                    format!("有效期 {} 超出文件的有效期 {}", inner.describe(), outer.describe()),
                )
                .at(self.file, span, "超出文件有效期")
                .help("条款的执行期限只能比文件短；核对原文"),
            );
        }
    }

    fn lower(&mut self, locals: &[(String, ir::Ty)], e: &ast::Expr) -> Option<ir::Expr> {
        let mut l = Lower::new(self.scope, self.file, self.src, (locals, &self.failed_lets), self.diags);
        l.expr(e)
    }

    /// A definition of the clause, its reads kept for the conditions that
    /// read it ([`DocLowerer::let_reads`]).
    fn lower_let(&mut self, locals: &[(String, ir::Ty)], e: &ast::Expr) -> Option<ir::Expr> {
        let mut l = Lower::new(self.scope, self.file, self.src, (locals, &self.failed_lets), self.diags)
            .with_let_reads(&self.let_reads);
        let expr = l.expr(e);
        let reads = l.take_reads();
        if expr.is_some() {
            self.let_reads.push(reads);
        }
        expr
    }

    fn cond(&mut self, locals: &[(String, ir::Ty)], e: &ast::Expr) -> Option<ir::Cond> {
        let mut l = Lower::new(self.scope, self.file, self.src, (locals, &self.failed_lets), self.diags)
            .with_let_reads(&self.let_reads);
        let expr = l.expr(e)?;
        let refs = l.take_refs();
        if expr.ty != ir::Ty::Bool {
            self.diags.push(
                Diagnostic::error("P0202", "条件应为真假判断")
                    .at(self.file, e.span, format!("这是{}", expr::describe_ty(self.scope, expr.ty)))
                    .help("条件写成比较或判断，例如 合格人数 >= 10人、脱贫人口、单位性质 为 企业"),
            );
            return None;
        }
        Some(ir::Cond::new(expr, self.snippet(e.span), refs))
    }

    /// The text of a condition as written, comments dropped and white
    /// space folded.
    fn snippet(&self, span: Span) -> String {
        let text = self.src.get(span.start..span.end).unwrap_or("");
        let mut code = String::with_capacity(text.len());
        // A line's code ends where its comment (`//`) begins.
        let code_of = |line: &'a str| {
            let slashes =
                memchr::memchr_iter(b'/', line.as_bytes()).find(|&i| line.as_bytes().get(i + 1) == Some(&b'/'));
            slashes.and_then(|i| line.get(..i)).unwrap_or(line)
        };
        for word in text.lines().flat_map(|l| code_of(l).split_whitespace()) {
            if !code.is_empty() {
                code.push(' ');
            }
            code.push_str(word);
        }
        code
    }

    fn money(&mut self, locals: &[(String, ir::Ty)], e: &ast::Expr, what: &str) -> Option<(ir::Expr, String)> {
        let expr = self.lower(locals, e)?;
        if expr.ty != ir::Ty::Num(ir::Unit::YUAN) {
            self.diags.push(
                Diagnostic::error("P0203", format!("{what}的单位应为元"))
                    .at(self.file, e.span, format!("这里得到的是{}", expr::describe_ty(self.scope, expr.ty)))
                    .help("按标准乘以人数、月数或天数，例如 500元/人/月 × 人数 × 月数"),
            );
            return None;
        }
        if expr::may_be_negative(&expr, &self.signed_lets) {
            self.diags.push(
                Diagnostic::warning("P0206", format!("{what}可能为负"))
                    .at(self.file, e.span, "有减法（或月数差），结果可能小于 0")
                    .help("求值时金额、上限为负是错误（退出码 3）：用「条件」保证被减数更大，或写成 最大(…, 0元)"),
            );
        }
        Some((expr, self.snippet(e.span)))
    }

    /// Warns of a 施行 date the document's text does not hold, in any of
    /// the ways documents write dates (2025年12月31日, 2025-12-31, 2025年底).
    fn dates_in_source(&mut self, range: &ast::ValidityRange) {
        let Some(norm) = self.normalized else { return };
        let from = match &range.from {
            Some(ast::Spanned { node: ast::ValidityStart::Date(d), span }) => Some((*d, *span)),
            _ => None,
        };
        // A notice for one year (2025年就业帮扶…) covers that whole year.
        let whole_year = from.is_some_and(|(f, _)| {
            let t = range.to.node;
            (f.year, f.month, f.day, t.month, t.day) == (t.year, 1, 1, 12, 31)
        });
        for (d, span) in from.into_iter().chain([(range.to.node, range.to.span)]) {
            let mut forms = vec![
                format!("{}年{}月{}日", d.year, d.month, d.day),
                format!("{}-{:02}-{:02}", d.year, d.month, d.day),
                format!("{}.{}.{}", d.year, d.month, d.day),
            ];
            if whole_year {
                forms.push(format!("{}年", d.year));
            }
            if d.month == 12 && d.day == 31 {
                forms.push(format!("{}年底", d.year));
                forms.push(format!("到{}年", d.year));
                forms.push(format!("至{}年", d.year));
            }
            if !forms.iter().any(|f| norm.text.contains(text::fold(f).as_ref())) {
                self.diags.push(
                    Diagnostic::warning(
                        "P0405",
                        format!("施行日期 {}年{}月{}日 没有出现在原文中", d.year, d.month, d.day),
                    )
                    .at(self.file, span, "原文中找不到这个日期")
                    .help("施行期应出自原文（印发日期、执行期限）；原文未写明时，在注释中说明依据"),
                );
            }
        }
    }

    /// The document's own definitions (设 outside any clause), checked
    /// once: names new, numbers in the document's text; those that check.
    fn document_lets(&mut self) -> Vec<(&'a ast::Name<'a>, &'a ast::Expr<'a>)> {
        let mut locals: Vec<(String, ir::Ty)> = Vec::new();
        let mut checked = Vec::new();
        let whole = self.normalized.map(|n| n.text.clone());
        for item in self.items {
            let ast::Item::Let(name, e) = item else { continue };
            if let Some(whole) = &whole {
                self.cite_in(e, whole, "本文件");
            }
            if locals.iter().any(|(n, _)| n == name.node) || self.scope.knows(name.node) {
                self.diags.push(
                    Diagnostic::error("P0102", format!("名称「{}」已有定义", name.node))
                        .at(self.file, name.span, "重复定义")
                        .help("换一个名称，不要与案例字段或前面的「设」同名"),
                );
                continue;
            }
            if let Some(expr) = self.lower(&locals, e) {
                locals.push((name.node.to_string(), expr.ty));
                checked.push((name, e));
            }
        }
        checked
    }

    /// Every number a rule uses must occur in its clause's 原文.
    fn cite(&mut self, e: &ast::Expr, quoted: &str) {
        self.cite_in(e, quoted, "本条");
    }

    /// [`DocLowerer::cite`], where `quoted` is the text of `scope`.
    fn cite_in(&mut self, e: &ast::Expr, quoted: &str, scope: &str) {
        let file = self.file;
        let (mut numbers, mut bands) = (Vec::new(), Vec::new());
        each_cited(
            e,
            &mut |q, span| {
                let cited = text::fold(&q.cited);
                // 0 and 1 of anything but money are structure, not standards
                // (`参加培训天数 > 0天`, `× 1人`, `1 + 20%`).
                let money = q.unit.as_ref().is_some_and(|u| u.numerator() == Some("元"));
                if !money && (q.value.is_zero() || q.value == rust_decimal::Decimal::ONE) {
                    return;
                }
                if !text::quote_holds(quoted, &cited) {
                    numbers.push(
                        Diagnostic::error("P0302", format!("数值「{}」没有出现在{scope}原文中", q.text))
                            .at(file, span, "原文中找不到这个数")
                            .help(format!("规则中的每个数都要有原文依据；原文中应有「{}」", q.cited)),
                    );
                }
            },
            // A band is cited as written: `20—39人` is in the 原文 as a range.
            &mut |b| {
                if !quoted.contains(&*text::fold(b.text)) {
                    bands.push(
                        Diagnostic::error("P0302", format!("档「{}」没有出现在{scope}原文中", b.text))
                            .at(file, b.span, "原文中找不到这一档")
                            .help(format!("每一档都要有原文依据；原文中应有「{}」", b.text)),
                    );
                }
            },
        );
        self.diags.extend(numbers.into_iter().chain(bands));
    }

    fn benefit(
        &mut self,
        b: &ast::Benefit,
        locals: &[(String, ir::Ty)],
        quoted: &str,
        (clause_funding, clause_departments, clause_audience): (&[&str], &[ir::Text], Option<&ir::Expr>),
        clause_window: ir::Window,
    ) -> Option<(ir::Benefit, Span)> {
        let mut conditions = Vec::new();
        let mut exclusions = Vec::new();
        let mut amount: Option<ir::Amount> = None;
        let mut frequency = ir::Frequency::Unlimited;
        let mut exclusive = Vec::new();
        let mut funding = clause_funding.to_vec();
        let mut payer = Vec::new();
        let mut departments = clause_departments.to_vec();
        let mut audience = clause_audience.cloned();
        let mut window = clause_window;
        let mut notes = Vec::new();
        let mut amount_span = None;
        let mut yearly_cap = None;
        let mut floor = None;
        for s in &b.stmts {
            let mut set_amount = |this: &mut Self, a: Option<ir::Amount>, span: Span| {
                if let Some(prev) = amount_span {
                    this.diags.push(
                        Diagnostic::error("P0102", format!("「{}」的金额写了两次", b.name.node))
                            .at(this.file, span, "第二个金额")
                            .also(this.file, prev, "第一个金额")
                            .help("一条规则只有一个金额；不同情形写成带「优先级」的例外规则"),
                    );
                }
                amount_span = Some(span);
                if a.is_some() {
                    amount = a;
                }
            };
            match s {
                ast::BenefitStmt::Audience(n) => audience = self.audience(n),
                ast::BenefitStmt::Condition(e) => {
                    self.cite(e, quoted);
                    conditions.extend(self.cond(locals, e));
                }
                ast::BenefitStmt::Exclusion(e) => {
                    self.cite(e, quoted);
                    exclusions.extend(self.cond(locals, e));
                }
                ast::BenefitStmt::Amount { amount: a, cap } => {
                    self.cite(a, quoted);
                    let fixed = self.money(locals, a, "金额");
                    let cap = cap.as_ref().and_then(|c| {
                        self.cite(c, quoted);
                        self.money(locals, c, "最高限额")
                    });
                    let lowered = fixed.map(|(expr, text)| ir::Amount::Fixed { expr, text, cap });
                    set_amount(self, lowered, a.span);
                }
                ast::BenefitStmt::Ceiling(e) => {
                    self.cite(e, quoted);
                    let lowered =
                        self.money(locals, e, "金额上限").map(|(expr, text)| ir::Amount::Ceiling { expr, text });
                    set_amount(self, lowered, e.span);
                }
                ast::BenefitStmt::Deferred(span) => set_amount(self, Some(ir::Amount::Deferred), *span),
                ast::BenefitStmt::PerYear(q) => {
                    let n = q.node.value;
                    let ok = q.node.unit.as_ref().is_some_and(|u| u.text == "次")
                        && n.fract().is_zero()
                        && n > rust_decimal::Decimal::ZERO;
                    match u32::try_from(n.trunc().mantissa()).ok().filter(|_| ok) {
                        Some(times) => frequency = ir::Frequency::PerYear(times),
                        None => self.diags.push(
                            Diagnostic::error("P0202", "频次应为正整数次")
                                .at(self.file, q.span, "频次有误")
                                .help("例如 频次 每年 1次"),
                        ),
                    }
                }
                ast::BenefitStmt::Once(_) => frequency = ir::Frequency::Once,
                ast::BenefitStmt::Floor(e) => {
                    self.cite(e, quoted);
                    floor = self.money(locals, e, "金额下限");
                }
                ast::BenefitStmt::YearlyCap(e) => {
                    self.cite(e, quoted);
                    yearly_cap = self.money(locals, e, "每年最高限额");
                }
                ast::BenefitStmt::Exclusive { other, year } => exclusive.push(ir::Exclusive {
                    other: other.node.to_string(),
                    key: text::fold(other.node).into_owned(),
                    year: year.as_ref().and_then(|y| i32::try_from(y.node).ok()),
                }),
                ast::BenefitStmt::Funding(n) => funding = n.iter().map(|x| x.node).collect(),
                ast::BenefitStmt::Payer(n) => payer = n.iter().map(|x| x.node).collect(),
                ast::BenefitStmt::Departments(n) => departments = n.iter().map(|x| x.node.into()).collect(),
                ast::BenefitStmt::Validity(r) => {
                    let w = window_of(self.file, r, self.diags);
                    self.check_inside(w, clause_window, r.span);
                    window = w.within(clause_window);
                }
                ast::BenefitStmt::Note(n) => notes.push(n.node.to_string()),
            }
        }
        // A floor alone leaves the amount to others, above it: 待定.
        if amount_span.is_none() && floor.is_some() {
            amount = Some(ir::Amount::Deferred);
            amount_span = Some(b.name.span);
        }
        let (Some(amount), Some(amount_span)) = (amount, amount_span) else {
            if amount_span.is_none() {
                self.diags.push(
                    Diagnostic::error("P0107", format!("「{}」没有写金额", b.name.node))
                        .at(self.file, b.name.span, "缺少金额")
                        .help("写「金额 …」（固定标准）、「不超过 …」（只有上限）或「按规定」（金额由其他规定确定）"),
                );
            }
            return None;
        };
        let benefit = ir::Benefit {
            name: b.name.node.into(),
            key: text::fold(b.name.node).into_owned(),
            priority: b.priority.as_ref().map_or(0, |p| p.node),
            audience,
            window,
            conditions,
            exclusions,
            amount,
            frequency,
            yearly_cap,
            floor,
            exclusive,
            funding: joined(&funding),
            payer: joined(&payer),
            departments,
            notes,
        };
        Some((benefit, amount_span))
    }
}

/// Calls `quantity` on every quantity `e` holds, with its span, and
/// `band` on every band of its tiers and tables, in source order: what a
/// rule cites of its 原文.
fn each_cited<'e, 's>(
    e: &'e ast::Expr<'s>,
    quantity: &mut impl FnMut(&'e ast::Quantity<'s>, Span),
    band: &mut impl FnMut(&'e ast::Band<'s>),
) {
    use ast::ExprKind as K;
    let mut keys = |keys: &mut dyn Iterator<Item = &'e ast::TierKey<'s>>| {
        for k in keys {
            if let ast::TierKey::Band(b) = k {
                band(b);
            }
        }
    };
    match &e.kind {
        K::Quantity(q) => quantity(q, e.span),
        K::Date(_) | K::Bool(_) | K::CaseDate | K::Path(_) => {}
        K::Call(_, args) | K::And(args) | K::Or(args) => args.iter().for_each(|a| each_cited(a, quantity, band)),
        K::Count { filter, .. } => filter.iter().for_each(|x| each_cited(x, quantity, band)),
        K::Sum { body, filter, .. } => {
            each_cited(body, quantity, band);
            filter.iter().for_each(|x| each_cited(x, quantity, band));
        }
        K::Tier { key, arms } => {
            keys(&mut arms.iter().map(|(k, _)| k));
            each_cited(key, quantity, band);
            arms.iter().for_each(|(_, a)| each_cited(a, quantity, band));
        }
        K::Table { heads, lines, .. } => {
            keys(&mut heads.iter().chain(lines.iter().map(|(k, _)| k)));
            let cells = lines.iter().flat_map(|(_, cells)| cells).filter_map(|c| c.node.as_ref());
            cells.for_each(|x| each_cited(x, quantity, band));
        }
        K::Not(x) | K::Is(x, _) | K::In { expr: x, .. } => each_cited(x, quantity, band),
        K::Binary(_, a, b) | K::Compare(_, a, b) => {
            each_cited(a, quantity, band);
            each_cited(b, quantity, band);
        }
    }
}

/// Calls `f` on every quantity `e` holds, with its span, in source order.
fn each_quantity<'e, 's>(e: &'e ast::Expr<'s>, f: &mut impl FnMut(&'e ast::Quantity<'s>, Span)) {
    each_cited(e, f, &mut |_| {});
}

/// Calls `f` on every expression a clause statement holds.
fn clause_exprs<'e>(s: &'e ast::ClauseStmt, f: &mut impl FnMut(&'e ast::Expr)) {
    match s {
        ast::ClauseStmt::Applies(e) | ast::ClauseStmt::Let(_, e) => f(e),
        ast::ClauseStmt::Status { condition, .. } | ast::ClauseStmt::Constraint { condition, .. } => f(condition),
        ast::ClauseStmt::Benefit(b) => {
            for bs in &b.stmts {
                match bs {
                    ast::BenefitStmt::Condition(e) | ast::BenefitStmt::Exclusion(e) | ast::BenefitStmt::Ceiling(e) => {
                        f(e)
                    }
                    ast::BenefitStmt::Amount { amount, cap } => {
                        f(amount);
                        if let Some(c) = cap {
                            f(c);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn item_id<'s>(item: &ast::Item<'s>) -> Option<&'s str> {
    match item {
        ast::Item::Clause(c) => Some(c.id.node),
        ast::Item::Guidance(g) => Some(g.id.node),
        _ => None,
    }
}

/// The money amounts a rule's standard is made of, in order (`1000元/人`,
/// `20万元`): what “标准不能降” compares.
fn money_constants(a: &ir::Amount) -> Vec<rust_decimal::Decimal> {
    fn walk(e: &ir::Expr, out: &mut Vec<rust_decimal::Decimal>) {
        use ir::ExprKind as K;
        match &e.kind {
            K::Const(ir::Value::Num(n), _) if matches!(e.ty, ir::Ty::Num(u) if u.0.first() == Some(&1)) => out.push(*n),
            K::Not(x) | K::Floor(x) => walk(x, out),
            K::And(xs) | K::Or(xs) | K::Min(xs) | K::Max(xs) => xs.iter().for_each(|x| walk(x, out)),
            K::Arith(_, a, b)
            | K::Compare(_, a, b)
            | K::MonthsBetween(a, b)
            | K::AddMonths(a, b)
            | K::AddDays(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            K::Tier { arms, .. } => arms.iter().for_each(|(_, x)| walk(x, out)),
            K::Bands { bands, .. } => bands.iter().for_each(|(_, x)| walk(x, out)),
            K::Sum { body, .. } => walk(body, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match a {
        ir::Amount::Fixed { expr, cap, .. } => {
            walk(expr, &mut out);
            if let Some((c, _)) = cap {
                walk(c, &mut out);
            }
        }
        ir::Amount::Ceiling { expr, .. } => walk(expr, &mut out),
        ir::Amount::Deferred => {}
    }
    out
}

/// Names as a ruling shows them: joined with 、, or none.
fn joined(names: &[&str]) -> Option<ir::Text> {
    if names.is_empty() {
        None
    } else {
        Some(names.join("、").into())
    }
}
