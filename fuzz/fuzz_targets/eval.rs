//! Any case file (YAML or JSON) against the shipped 攀枝花 rules: rulings or
//! case diagnostics, never a panic; `decide` gives the rulings' decisions.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::program;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = policyc::case::decode("case", data) else { return };
    let mut sources = policyc::diag::SourceMap::default();
    let file = sources.add("case", text);
    for format in [policyc::case::Format::Json, policyc::case::Format::Yaml] {
        if let Ok((case, _)) = policyc::case::load(program(), &sources, file, format) {
            if let Ok(e) = policyc::eval::evaluate(program(), &case, policyc::eval::Options { trace: true }) {
                let _ = policyc::report::json(&e);
                let _ = policyc::report::table(&e);
            }
            // `decide` (no words) and the rulings with words agree.
            let mut evaluator = policyc::eval::Evaluator::new(program());
            let mut decisions = Vec::new();
            let decided = evaluator.decide(&case, &mut decisions);
            match (decided, evaluator.verdicts(&case, policyc::eval::Options::default())) {
                (Ok(total), Ok(v)) => {
                    let worded: Vec<_> = v.rulings.iter().map(|r| r.decision).collect();
                    assert_eq!(decisions, worded);
                    assert_eq!(total, v.total);
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("decide {a:?}, rulings {b:?}"),
            }
        }
    }
});
