//! The ruling JSON of one case on one line, written directly: the same
//! text `serde_json::to_string` makes of an [`Evaluation`] (the test below
//! holds the two together on every shipped case), at a fraction of the
//! cost for Chinese text, which serde_json escapes byte by byte.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::eval::{Evaluation, Notice, Ruling, StatusRuling};

/// Appends `e` as one line of JSON (no line ending) to `out`.
pub fn write(out: &mut String, e: &Evaluation) {
    out.push('{');
    if let Some(id) = &e.id {
        key(out, "编号");
        string(out, id);
        out.push(',');
    }
    key(out, "日期");
    display(out, &e.date);
    out.push(',');
    key(out, "裁定");
    list(out, &e.rulings, ruling);
    if !e.statuses.is_empty() {
        out.push(',');
        key(out, "认定");
        list(out, &e.statuses, status);
    }
    if !e.notices.is_empty() {
        out.push(',');
        key(out, "提示");
        list(out, &e.notices, notice);
    }
    out.push(',');
    key(out, "合计");
    decimal(out, e.total);
    out.push('}');
}

fn ruling(out: &mut String, r: &Ruling) {
    out.push('{');
    field(out, "文件", &r.document);
    field(out, "条款", &r.clause);
    field(out, "项目", &r.benefit);
    field(out, "结果", r.outcome.label());
    for (name, value) in [("金额", r.amount), ("金额上限", r.ceiling)] {
        if let Some(v) = value {
            key(out, name);
            decimal(out, v);
            out.push(',');
        }
    }
    for (name, value) in [("资金来源", &r.funding), ("支付方", &r.payer), ("牵头单位", &r.lead)] {
        if let Some(v) = value {
            field(out, name, v);
        }
    }
    key(out, "理由");
    list(out, &r.reasons, |out, s| string(out, s));
    if !r.trace.is_empty() {
        out.push(',');
        key(out, "追踪");
        list(out, &r.trace, |out, s| string(out, s));
    }
    out.push('}');
}

fn status(out: &mut String, s: &StatusRuling) {
    finding(out, (&s.document, &s.clause), ("认定", &s.status), &s.reasons);
}

fn notice(out: &mut String, n: &Notice) {
    finding(out, (&n.document, &n.clause), ("提示", &n.message), &n.reasons);
}

/// A status or notice: where it comes from, what it says, and why.
fn finding(out: &mut String, (document, clause): (&str, &str), (name, value): (&str, &str), reasons: &[String]) {
    out.push('{');
    field(out, "文件", document);
    field(out, "条款", clause);
    field(out, name, value);
    key(out, "理由");
    list(out, reasons, |out, s| string(out, s));
    out.push('}');
}

/// `"name":"value",`
fn field(out: &mut String, name: &str, value: &str) {
    key(out, name);
    string(out, value);
    out.push(',');
}

fn key(out: &mut String, name: &str) {
    string(out, name);
    out.push(':');
}

fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

/// Money as a JSON string, as [`crate::eval::decimal`] serializes it.
fn decimal(out: &mut String, d: Decimal) {
    display(out, &d.normalize());
}

fn display(out: &mut String, v: &impl std::fmt::Display) {
    out.push('"');
    let _ = write!(out, "{v}");
    out.push('"');
}

/// A JSON string escaped as serde_json escapes it: `"` and `\`, and control
/// characters (`\n`, `\t`, … or `\u00XX`); everything else as it is.
fn string(out: &mut String, s: &str) {
    out.push('"');
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{08}' => out.push_str("\\b"),
                '\u{0c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// Whether any byte needs escaping; 16 bytes at a time without an early
/// exit inside, which the compiler turns into vector instructions.
fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | special(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| special(b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use crate::diag::SourceMap;
    use crate::eval::{self, Options};

    fn line(e: &eval::Evaluation) -> String {
        let mut out = String::new();
        super::write(&mut out, e);
        out
    }

    /// Every shipped case, with and without trace, written both ways.
    #[test]
    fn the_same_text_as_serde_json() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
        let mut sources = SourceMap::default();
        let mut statuses = 0;
        for f in &files {
            let (c, _) = crate::case::load_file(&program, &mut sources, f).unwrap();
            for trace in [false, true] {
                let e = eval::evaluate(&program, &c, Options { trace }).unwrap();
                statuses += e.statuses.len() + e.notices.len();
                assert_eq!(line(&e), serde_json::to_string(&e).unwrap(), "{}", f.display());
            }
        }
        assert!(statuses > 0, "the cases include statuses or notices");
    }

    /// Quotes, backslashes and control characters are escaped alike.
    #[test]
    fn escapes_like_serde_json() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases/攀枝花")]).unwrap();
        let mut sources = SourceMap::default();
        let (c, _) = crate::case::load_file(&program, &mut sources, &files[0]).unwrap();
        let mut e = eval::evaluate(&program, &c, Options::default()).unwrap();
        e.id = Some("a\"b\\c\nd\te\u{1}f\u{7f}g\u{8}\u{c}\r「」".to_string());
        e.rulings[0].reasons.push("\u{1f}\u{0}x".to_string());
        assert_eq!(line(&e), serde_json::to_string(&e).unwrap());
    }
}
