//! Any case file (YAML or JSON) against the shipped 攀枝花 rules: rulings or
//! case diagnostics, never a panic.
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
        }
    }
});
