//! Any rule file, checked with the shipped vocabulary and a document text:
//! a program or diagnostics (and their rendering), never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const VOCAB: &str = include_str!("../../policies/词汇.policy");
const SOURCE: &str = include_str!("../../policies/sources/004_4a4c2d037d1495bd.txt");

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let ws = policyc::workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", text)], &[("s.txt", SOURCE)]);
        let _ = policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain);
        let _ = policyc::diag::render_json(&ws.diagnostics, &ws.sources);
    }
});
