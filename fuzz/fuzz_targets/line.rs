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
    let mut evaluator = policyc::eval::Evaluator::new(program);
    if let Ok(v) = evaluator.verdicts(&fast, policyc::eval::Options { trace: true }) {
        let mut line = String::new();
        policyc::report::Lines::new(program).write(&mut line, &v);
        assert_eq!(line, serde_json::to_string(&v.named(program)).expect("serializes"));
    }
});
