//! Any batch line: the fast reader never panics, and a line it accepts is
//! the same case the ordinary reader makes of it; its ruling line is the
//! text serde_json writes.
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
    let Ok(line) = std::str::from_utf8(data) else { return };
    let program = program();
    let Some(fast) = policyc::case::Reader::new(program).read(line) else { return };
    let node = policyc::case::parse_json_line(line).expect("the fast reader took a line JSON refuses");
    let ordinary = policyc::case::validate(program, &node, (policyc::diag::FileId(0), "line"), line)
        .expect("the fast reader took a line the ordinary reader refuses");
    assert_eq!(fast, ordinary, "the two readers differ");
    if let Ok(e) = policyc::eval::evaluate(program, &fast, policyc::eval::Options { trace: true }) {
        assert_eq!(policyc::report::json_line(&e), serde_json::to_string(&e).expect("serializes"));
    }
});
