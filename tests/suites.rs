#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The document case suites: every case under tests/cases must meet its
//! `期望`, and the full rulings of each document's suite are snapshotted.

use std::path::{Path, PathBuf};

use policyc::diag::SourceMap;
use policyc::eval::{self, Evaluation};
use policyc::ir::Program;
use policyc::testing::{self, CaseOutcome};
use policyc::workspace;

fn program() -> (Program, SourceMap) {
    let ws = workspace::load(&[PathBuf::from("policies")]);
    assert!(!ws.has_errors(), "{:?}", ws.diagnostics);
    (ws.program.expect("program"), ws.sources)
}

fn run_suite(dir: &str) -> Vec<Evaluation> {
    let (program, mut sources) = program();
    let files = testing::case_files(&[Path::new("tests/cases").join(dir)]).expect("case files");
    assert!(files.len() >= 20, "{dir}: only {} cases", files.len());
    let mut failures = Vec::new();
    let mut evaluations = Vec::new();
    for f in &files {
        let r = testing::run_file(&program, &mut sources, f);
        match r.outcome {
            CaseOutcome::Passed => {}
            other => failures.push(format!("{}: {other:?}", r.file)),
        }
        let (case, _) = policyc::case::load_file(&program, &mut sources, f).expect("case");
        evaluations.push(eval::evaluate(&program, &case, eval::Options::default()).expect("evaluation"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    evaluations
}

/// Only the rulings that grant, defer or were explicitly expected matter
/// for review; the snapshot keeps every ruling so that any change shows.
macro_rules! suite {
    ($name:ident, $dir:literal) => {
        #[test]
        fn $name() {
            let evaluations = run_suite($dir);
            insta::assert_json_snapshot!(evaluations);
        }
    };
}

suite!(panzhihua, "攀枝花");
suite!(county, "县实施办法");
suite!(yunnan, "云南");
suite!(anhui, "安徽");
