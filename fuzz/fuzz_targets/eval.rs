//! Any case file (YAML or JSON) against the shipped 攀枝花 rules: rulings or
//! case diagnostics, never a panic.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use policyc::ir::Program;

const VOCAB: &str = include_str!("../../policies/词汇.policy");
const RULES: &str = include_str!("../../policies/攀人社发2022-143.policy");
const SOURCE: &str = include_str!("../../policies/sources/004_4a4c2d037d1495bd.txt");

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        policyc::workspace::load_texts(
            &[("v.policy", VOCAB), ("p.policy", RULES)],
            &[("sources/004_4a4c2d037d1495bd.txt", SOURCE)],
        )
        .program
        .expect("shipped rules check")
    })
}

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
        }
    }
});
