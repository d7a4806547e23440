//! Diagnostics as data: a code, a Chinese message, a help line and labelled
//! byte spans. Rendering (human with or without colour, or JSON) is a
//! separate step, so every stage can produce diagnostics without knowing
//! how they will be shown.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one file. Offsets are bytes, never characters: a Han
/// character is three bytes in UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn in_file(self, file: FileId) -> FileSpan {
        FileSpan { file, span: self }
    }
}

/// A span together with the file it points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileSpan {
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
}

/// Every file a run has read, so that any diagnostic can show its snippet.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile { name: name.into(), text: text.into() });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<未知文件>", |f| f.name.as_str())
    }
    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map_or("", |f| &f.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Severity {
    #[serde(rename = "错误")]
    Error,
    #[serde(rename = "警告")]
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub at: FileSpan,
    pub text: String,
}

/// One problem found in a policy or case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// The offending text; `None` for problems with no location (an
    /// unreadable directory, say), where the message names the file.
    pub primary: Option<Label>,
    /// Further places, possibly in other files (the document text a rule
    /// cites, the parent file a standard lowers).
    pub secondary: Vec<Label>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            primary: None,
            secondary: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }
    pub fn at(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label { at: span.in_file(file), text: label.into() });
        self
    }
    pub fn also(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { at: span.in_file(file), text: label.into() });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    fn sort_key(&self) -> (Option<FileSpan>, &'static str) {
        (self.primary.as_ref().map(|l| l.at), self.code)
    }
}

/// Sorts diagnostics by file and position, as a reader goes through them.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where each line of a text starts: converts byte offsets (what spans
/// hold) to and from the positions editors count, 0-based lines and
/// columns in UTF-16 code units (a Han character is one unit, a character
/// outside the BMP two), as the Language Server Protocol does.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1)).collect();
        LineIndex { starts }
    }

    /// The 0-based line and UTF-16 column of a byte offset of `text` (an
    /// offset inside a character counts as that character's start).
    pub fn utf16(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = text
            .get(start..)
            .unwrap_or("")
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX))
    }

    /// The byte offset of a 0-based line and UTF-16 column: clamped to the
    /// line's end (before its line break), and to a character's start.
    pub fn offset(&self, text: &str, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts.get(line as usize) else { return text.len() };
        let end = self.starts.get(line as usize + 1).map_or(text.len(), |&n| n.saturating_sub(1));
        let mut units = 0u32;
        for (i, c) in text.get(start..end).unwrap_or("").char_indices() {
            if units >= column {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }
}

// ------------------------------------------------------------- rendering

/// How diagnostics are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// miette's graphical renderer with colour.
    Colour,
    /// The same layout without colour or Unicode box art: stable for snapshots.
    Plain,
}

/// Renders diagnostics for a person.
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = match style {
        Style::Colour => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for d in diags {
        if d.primary.iter().chain(&d.secondary).any(|l| too_wide(sources.text(l.at.file), l.at.span)) {
            out.push_str(&render_without_snippet(d, sources));
            continue;
        }
        let report = MietteView::new(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("[{}] {}\n", d.code, d.message));
        }
        out.push('\n');
    }
    out
}

/// Lines longer than this (in characters) are not drawn as snippets: the
/// renderer cannot pad to such widths, and nobody can read them anyway.
const MAX_SNIPPET_LINE: usize = 2000;

fn too_wide(text: &str, span: Span) -> bool {
    let start = text.get(..span.start.min(text.len())).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let end = text.get(span.start.min(text.len())..).and_then(|t| t.find('\n')).map_or(text.len(), |i| span.start + i);
    text.get(start..end).is_none_or(|line| line.chars().count() > MAX_SNIPPET_LINE)
}

/// A diagnostic as text with file, line and column but no snippet.
fn render_without_snippet(d: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = format!("{}\n  × {}\n", d.code, d.message);
    for l in d.primary.iter().chain(&d.secondary) {
        let (line, col) = line_col(sources.text(l.at.file), l.at.span.start);
        out.push_str(&format!("  ╰─ {}:{line}:{col}：{}\n", sources.name(l.at.file), l.text));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("  帮助：{h}\n"));
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    文件: &'a str,
    起: usize,
    止: usize,
    行: usize,
    列: usize,
    说明: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    代码: &'static str,
    级别: Severity,
    信息: &'a str,
    帮助: Option<&'a str>,
    位置: Option<JsonLabel<'a>>,
    相关位置: Vec<JsonLabel<'a>>,
}

fn json_label<'a>(l: &'a Label, sources: &'a SourceMap) -> JsonLabel<'a> {
    let (line, col) = line_col(sources.text(l.at.file), l.at.span.start);
    JsonLabel {
        文件: sources.name(l.at.file),
        起: l.at.span.start,
        止: l.at.span.end,
        行: line,
        列: col,
        说明: &l.text,
    }
}

/// Renders diagnostics as one JSON document (an array), for editors and CI.
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| JsonDiagnostic {
            代码: d.code,
            级别: d.severity,
            信息: &d.message,
            帮助: d.help.as_deref(),
            位置: d.primary.as_ref().map(|l| json_label(l, sources)),
            相关位置: d.secondary.iter().map(|l| json_label(l, sources)).collect(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

/// Adapter that lets miette render one [`Diagnostic`]. Labels in the primary
/// file are drawn together; labels in other files become related reports,
/// each with its own snippet.
struct MietteView<'a> {
    diag: &'a Diagnostic,
    file: Option<FileId>,
    source: Option<CharColumns>,
    related: Vec<MietteView<'a>>,
    label_override: Option<&'a Label>,
}

impl<'a> MietteView<'a> {
    fn new(diag: &'a Diagnostic, sources: &SourceMap) -> MietteView<'a> {
        let file = diag.primary.as_ref().map(|l| l.at.file);
        let related = diag
            .secondary
            .iter()
            .filter(|l| Some(l.at.file) != file)
            .map(|l| {
                let mut view = MietteView::for_file(diag, l.at.file, sources);
                view.label_override = Some(l);
                view
            })
            .collect();
        let mut view = match file {
            Some(f) => MietteView::for_file(diag, f, sources),
            None => MietteView { diag, file: None, source: None, related: Vec::new(), label_override: None },
        };
        view.related = related;
        view
    }

    fn for_file(diag: &'a Diagnostic, file: FileId, sources: &SourceMap) -> MietteView<'a> {
        let source = sources.get(file).map(|f| CharColumns { name: f.name.clone(), text: f.text.clone() });
        MietteView { diag, file: Some(file), source, related: Vec::new(), label_override: None }
    }
}

/// A file's text for miette, whose columns count characters (as
/// [`line_col`] and the JSON form do), not bytes: `文件「测试」{` puts its
/// `测` in column 4, not 10.
struct CharColumns {
    name: String,
    text: Arc<str>,
}

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self.text.read_span(span, context_lines_before, context_lines_after)?;
        // miette gives a column only without lines before; so does this.
        let column = if context_lines_before == 0 { line_col(&self.text, span.offset()).1 - 1 } else { 0 };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.label_override {
            Some(l) => write!(f, "{}", l.text),
            None => write!(f, "{}", self.diag.message),
        }
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.label_override.is_some() {
            return None;
        }
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        if self.label_override.is_some() {
            return Some(miette::Severity::Advice);
        }
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.label_override.is_some() {
            return None;
        }
        self.diag.help.as_ref().map(|h| Box::new(format!("帮助：{h}")) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let file = self.file?;
        let to_miette = |l: &Label| {
            miette::LabeledSpan::new(
                Some(l.text.clone()),
                l.at.span.start,
                l.at.span.end.saturating_sub(l.at.span.start),
            )
        };
        let labels: Vec<miette::LabeledSpan> = match self.label_override {
            Some(l) => vec![to_miette(l)],
            None => self
                .diag
                .primary
                .iter()
                .chain(self.diag.secondary.iter())
                .filter(|l| l.at.file == file)
                .map(to_miette)
                .collect(),
        };
        Some(Box::new(labels.into_iter()))
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
    }
}
