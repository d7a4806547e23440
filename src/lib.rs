//! policyc: a compiler and interpreter for Chinese employment-assistance
//! policy documents. See ARCHITECTURE.md for the stages.

// Diagnostics are returned by value on the cold error path; boxing them
// everywhere would buy nothing measurable.
#![allow(clippy::result_large_err)]

/// Stack of every thread policyc parses, checks or evaluates on — its
/// helpers, its batch workers and the binary's command thread: input nested
/// to [`syntax::MAX_NESTING`] takes at most 512 KiB of it in a release build
/// and 2 MiB in a debug one, on every platform.
pub const THREAD_STACK: usize = 8 << 20;

pub mod batch;
pub mod case;
pub mod check;
pub mod date;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod files;
pub mod format;
mod hash;
pub mod ir;
mod parallel;
pub mod report;
mod stretch;
pub mod syntax;
pub mod testing;
pub mod workspace;
