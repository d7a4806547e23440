#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Inputs kept from fuzzing and hand-made hostile inputs: each must give a
//! result or diagnostics, never a panic. Add a file to
//! `fuzz/regressions/<target>/` for every input a fuzz run finds.

use std::fs;
use std::path::PathBuf;

use policyc::diag::{render_human, SourceMap, Style};
use policyc::{case, eval, syntax, workspace};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from("fuzz/regressions").join(target);
    let mut out: Vec<_> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).map(|p| (p.clone(), fs::read(&p).unwrap())).collect();
    out.sort();
    assert!(!out.is_empty(), "no inputs in {}", dir.display());
    out
}

/// Every kept parse input is invalid: it must give diagnostics, and
/// rendering them must not panic either (a label past column 65535 once did).
#[test]
fn parse_regressions() {
    for (path, bytes) in inputs("parse") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut sources = SourceMap::default();
        let id = sources.add(path.display().to_string(), text.clone());
        let diags = syntax::parse(id, &text).expect_err(&path.display().to_string());
        let rendered = render_human(&diags, &sources, Style::Plain);
        assert!(rendered.contains("P000"), "{}: {rendered}", path.display());
    }
}

#[test]
fn eval_regressions() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    for (path, bytes) in inputs("eval") {
        let Ok(text) = case::decode("case", &bytes) else { continue };
        let mut sources = SourceMap::default();
        let file = sources.add(path.display().to_string(), text);
        for format in [case::Format::Json, case::Format::Yaml] {
            if let Ok((c, _)) = case::load(&program, &sources, file, format) {
                let _ = eval::evaluate(&program, &c, eval::Options { trace: true });
            }
        }
    }
}
