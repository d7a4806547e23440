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

fn run_suite(dir: &str, min_cases: usize) -> Vec<Evaluation> {
    let (program, mut sources) = program();
    let files = testing::case_files(&[Path::new("tests/cases").join(dir)]).expect("case files");
    assert!(files.len() >= min_cases, "{dir}: only {} cases", files.len());
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

/// The snapshot keeps every ruling, reasons included, so that any change
/// to an encoding or to the interpreter shows in review.
macro_rules! suite {
    ($name:ident, $dir:literal, $min:literal) => {
        #[test]
        fn $name() {
            let evaluations = run_suite($dir, $min);
            insta::assert_json_snapshot!(evaluations);
        }
    };
}

suite!(panzhihua, "攀枝花", 20);
suite!(county, "县实施办法", 20);
suite!(yunnan, "云南", 20);
suite!(anhui, "安徽", 20);
// The example county file that adopts and raises a 攀枝花 standard.
suite!(example_county, "示例县", 5);
// Other regions' documents (policies/其他地区/).
suite!(chongqing, "其他地区/重庆", 6);
suite!(xinfeng, "其他地区/信丰", 6);
suite!(longxian, "其他地区/陇县", 6);
suite!(rongshui, "其他地区/融水", 6);
