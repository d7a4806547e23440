//! Any batch line: the fast reader never panics, and a line it accepts is
//! the same case the ordinary reader makes of it; its ruling line is the
//! text serde_json writes.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::program;

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
