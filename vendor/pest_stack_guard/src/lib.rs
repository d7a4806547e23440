//! policyc's stand-in for pest's `pest_stack_guard`.
//!
//! From 2.9.4 on, pest asks `remaining_stack` at every rule, sequence and
//! lookahead, and fails the parse when less than 64 KiB of stack is left.
//! That probe (through `stacker` and `psm`) took 16 % of the instructions of
//! `policyc check` (BENCHMARKS.md). policyc does not need it: before pest
//! sees a file, `syntax::check_nesting` refuses brackets, quotes and prefix
//! chains nested deeper than `syntax::MAX_NESTING`, so the parser's depth is
//! bounded by the grammar. Input at that limit takes 256–512 KiB of stack
//! to parse and check in a release build and 1–2 MiB in a debug build
//! (measured on 2026-12-02). The `policyc` binary runs its commands on a
//! thread of 8 MiB and parses on helper threads of 8 MiB, whatever the
//! platform gives its main thread; a program using the library parses on
//! its own threads, which need that much. `tests/diagnostics.rs` parses and
//! checks input at the limit on a 2 MiB thread in whatever build the tests
//! run in; `tests/cli.rs` runs the binary on it.
//!
//! Answering `None` ("bound unknown") is what the real crate answers on
//! targets without stack probing; pest then only applies its call limit,
//! which policyc does not set.

/// The native stack space left, in bytes: never known here.
#[inline(always)]
pub fn remaining_stack() -> Option<usize> {
    None
}
