//! policyc: a compiler and interpreter for Chinese employment-assistance
//! policy documents. See ARCHITECTURE.md for the stages.

pub mod date;
pub mod diag;
pub mod syntax;
pub mod ir;
pub mod check;
pub mod eval;
pub mod case;
pub mod report;
pub mod workspace;
pub mod testing;
