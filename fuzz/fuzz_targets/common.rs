//! The shipped 攀枝花 rules, checked once per fuzzing process.
use std::sync::OnceLock;

use policyc::ir::Program;

const VOCAB: &str = include_str!("../../policies/词汇.policy");
const RULES: &str = include_str!("../../policies/攀人社发2022-143.policy");
const SOURCE: &str = include_str!("../../policies/sources/004_4a4c2d037d1495bd.txt");

pub fn program() -> &'static Program {
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
