//! Any text through the parser: an AST or diagnostics, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = policyc::syntax::parse(policyc::diag::FileId(0), text);
    }
});
