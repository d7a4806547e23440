//! Any batch line: the fast reader never panics, and a line it accepts is
//! the same case the ordinary reader makes of it (and none that is not
//! UTF-8, as it reads lines unchecked), also when read into the records
//! the lines fuzzed before left behind (one `Spare` for the whole run);
//! the first line of a text read in place (as a batch worker reads its
//! chunk) is that line read alone; its ruling line is the text serde_json
//! writes; and an evaluator that remembers verdicts from line to line (one
//! for the whole run, as a batch worker has) gives the verdicts worked out
//! afresh.
#![no_main]
use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::program;

fuzz_target!(|data: &[u8]| {
    let program = program();
    thread_local! {
        static SPARE: RefCell<policyc::case::Spare> = RefCell::new(policyc::case::Spare::default());
        static REMEMBERING: RefCell<policyc::eval::Evaluator<'static>> =
            RefCell::new(policyc::eval::Evaluator::new(common::program()));
    }
    let reader = policyc::case::Reader::new(program);
    // The first line of a text, read as a batch's worker reads a chunk,
    // finding the line's end as it goes: it ends at a line end (or the
    // end), and is the case of that line read alone.
    if let Some((case, end)) = reader.read_first_line(data, &mut policyc::case::Spare::default()) {
        assert!(matches!(data.get(end), None | Some(b'\n')), "the first line ended before a line end");
        let alone = data.get(..end).and_then(|l| std::str::from_utf8(l).ok()).and_then(|l| reader.read(l));
        assert_eq!(Some(case), alone, "the first line of a text differs from the line read alone");
    }
    let reused = SPARE.with(|spare| reader.read_reusing(data, &mut spare.borrow_mut()));
    let Ok(line) = std::str::from_utf8(data) else {
        // Lines reach the fast reader unchecked: it takes none that is not UTF-8.
        assert!(reused.is_none(), "the fast reader took a line that is not UTF-8");
        return;
    };
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
    let options = policyc::eval::Options::default();
    let remembered = REMEMBERING.with(|e| e.borrow_mut().verdicts(&fast, options));
    let worked_out = policyc::eval::Evaluator::new(program).remembering(false).verdicts(&fast, options);
    match (remembered, worked_out) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "a remembered verdict differs from the one worked out"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("remembered {a:?}, worked out {b:?}"),
    }
    let mut evaluator = policyc::eval::Evaluator::new(program);
    if let Ok(v) = evaluator.verdicts(&fast, policyc::eval::Options { trace: true }) {
        let mut line = String::new();
        policyc::report::Lines::new(program).write(&mut line, &v);
        assert_eq!(line, serde_json::to_string(&v.named(program)).expect("serializes"));
    }
});
