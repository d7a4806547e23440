//! Loading a set of policy files from disk: the I/O in front of `check`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::{self, DocumentCoverage, PolicyFile};
use crate::diag::{self, Diagnostic, FileId, SourceMap};
use crate::files;
use crate::ir::Program;
use crate::syntax::{self, ast};

/// The extension of rule files.
pub const EXTENSION: &str = "policy";

pub struct Workspace {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub program: Option<Program>,
    pub coverage: Vec<DocumentCoverage>,
}

impl Workspace {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Rule files under the given paths (files, or directories searched
/// recursively, each directory once), in a stable order.
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out = files::walk(paths, |p| p.extension().is_some_and(|e| e == EXTENSION))
        .map_err(|r| Diagnostic::error("P0005", r.0).help("检查路径；规则文件的扩展名是 .policy"))?;
    // Single files are checked with the vocabulary beside them.
    let vocabulary: Vec<PathBuf> =
        out.iter().filter_map(|f| f.parent().map(|d| d.join(VOCABULARY_FILE))).filter(|v| v.exists()).collect();
    out.extend(vocabulary);
    out.sort();
    // The same file named two ways is read once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

/// The file that declares the case vocabulary, by convention.
pub const VOCABULARY_FILE: &str = "词汇.policy";

/// Reads a text file as UTF-8 (a BOM is dropped): a regular file of at
/// most [`files::MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = files::read(path)
        .map_err(|r| Diagnostic::error("P0005", r.0).help("检查文件是否存在、是否是有读取权限的普通文件"))?;
    crate::case::decode(&path.display().to_string(), &bytes)
}

/// Loads, parses and checks the policies under `paths`. A document's
/// 原文件 is read relative to its rule file.
pub fn load(paths: &[PathBuf]) -> Workspace {
    let mut diagnostics = Vec::new();
    let files = match policy_files(paths) {
        Ok(f) => f,
        Err(d) => return finish(SourceMap::default(), vec![d], Vec::new()),
    };
    if files.is_empty() {
        diagnostics.push(
            Diagnostic::error("P0005", "没有找到规则文件（*.policy）")
                .help("指定规则目录，例如 policyc check policies"),
        );
    }
    let mut texts = Vec::new();
    for path in files {
        match read_text(&path) {
            Ok(t) => texts.push((path, t)),
            Err(d) => diagnostics.push(d),
        }
    }
    build(texts, diagnostics, |rule_file, source| {
        let full = rule_file.parent().unwrap_or(Path::new(".")).join(source);
        read_text(&full).map(|text| (full, text))
    })
}

/// Checks policies given as text, with their document texts by the name
/// their 原文件 uses: for tests and tools that hold files in memory.
pub fn load_texts(policies: &[(&str, &str)], sources: &[(&str, &str)]) -> Workspace {
    let texts = policies.iter().map(|(n, t)| (PathBuf::from(n), t.to_string())).collect();
    build(texts, Vec::new(), |_, name| match sources.iter().find(|(n, _)| *n == name) {
        Some((n, t)) => Ok((PathBuf::from(n), t.to_string())),
        None => Err(Diagnostic::error("P0005", format!("找不到 {name}"))),
    })
}

fn build(
    texts: Vec<(PathBuf, String)>,
    mut diagnostics: Vec<Diagnostic>,
    read_source: impl Fn(&Path, &str) -> Result<(PathBuf, String), Diagnostic>,
) -> Workspace {
    let mut sources = SourceMap::default();
    let mut policy_files = Vec::new();
    // The trees borrow their words from the rule files' texts, shared with
    // `sources`, which grows by the document texts as they are read.
    let texts: Vec<(PathBuf, FileId, Arc<str>)> = texts
        .into_iter()
        .map(|(path, text)| {
            let text: Arc<str> = text.into();
            let id = sources.add(path.display().to_string(), Arc::clone(&text));
            (path, id, text)
        })
        .collect();
    let parsed = {
        let files: Vec<(FileId, &str)> = texts.iter().map(|(_, id, text)| (*id, &**text)).collect();
        syntax::parse_files(&files)
    };
    // A vocabulary that does not parse is reported as such, not also as missing.
    let mut vocabulary_unparsed = false;
    for ((path, id, text), module) in texts.iter().zip(parsed) {
        let id = *id;
        let module = match module {
            Ok(m) => m,
            Err(errs) => {
                vocabulary_unparsed |= text.contains("词汇");
                diagnostics.extend(errs);
                continue;
            }
        };
        let declared = module.items.iter().find_map(|i| match i {
            ast::Item::Document(d) => d.source.clone(),
            _ => None,
        });
        let source = declared.and_then(|s| match read_source(path, s.node) {
            Ok((full, text)) => Some(sources.add(full.display().to_string(), text)),
            Err(d) => {
                diagnostics.push(
                    Diagnostic::error("P0304", format!("无法读取原文件「{}」", s.node))
                        .at(id, s.span, d.message)
                        .help("原文件的路径相对于规则文件所在目录"),
                );
                None
            }
        });
        policy_files.push(PolicyFile { file: id, module, source });
    }
    let checked = check::check(&policy_files, &sources);
    let missing_vocabulary = |d: &Diagnostic| vocabulary_unparsed && d.code == "P0105";
    diagnostics.extend(checked.diagnostics.into_iter().filter(|d| !missing_vocabulary(d)));
    finish(sources, diagnostics, checked.coverage).with_program(checked.program)
}

fn finish(sources: SourceMap, mut diagnostics: Vec<Diagnostic>, coverage: Vec<DocumentCoverage>) -> Workspace {
    diag::sort(&mut diagnostics);
    Workspace { sources, diagnostics, program: None, coverage }
}

impl Workspace {
    fn with_program(mut self, program: Option<Program>) -> Workspace {
        if !self.has_errors() {
            self.program = program;
        }
        self
    }
}
