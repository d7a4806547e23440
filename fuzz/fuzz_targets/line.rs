//! Any batch line: the fast reader never panics, and a line it accepts is
//! the same case the ordinary reader makes of it, also when read into the
//! records the lines fuzzed before left behind (one `Spare` for the whole
//! run); its ruling line is the text serde_json writes.
#![no_main]
use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::program;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let program = program();
    thread_local! {
        static SPARE: RefCell<policyc::case::Spare> = RefCell::new(policyc::case::Spare::default());
    }
    let reader = policyc::case::Reader::new(program);
    let reused = SPARE.with(|spare| reader.read_reusing(line, &mut spare.borrow_mut()));
    let fresh = reader.read(line);
    assert_eq!(reused, fresh, "a reused record kept something of an earlier line");
    if let Some(case) = reused {
        SPARE.with(|spare| reader.recycle(case, &mut spare.borrow_mut()));
    }
    let Some(fast) = fresh else { return };
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
