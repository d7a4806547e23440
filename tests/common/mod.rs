//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

/// A program's meaning as JSON: display texts, which follow the source's
/// spacing, are left out (`text` and `leads` fields, the text of constants
/// and caps).
pub fn meaning(program: &policyc::ir::Program) -> serde_json::Value {
    let mut v = serde_json::to_value(program).unwrap();
    strip_texts(&mut v);
    v
}

fn strip_texts(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            // A condition's leads are its text with a prefix and a label.
            for key in ["text", "leads"] {
                map.remove(key);
            }
            for key in ["Const", "cap"] {
                if let Some(serde_json::Value::Array(a)) = map.get_mut(key) {
                    a.truncate(1);
                }
            }
            map.values_mut().for_each(strip_texts);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_texts),
        _ => {}
    }
}

/// The path of the first place two JSON values differ, with both values.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{path}.{k}")),
                _ => Some(format!("{path}.{k}: present on one side only")),
            })
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} ≠ {b}")),
    }
}

/// Formats a rule file's text.
pub fn fmt(text: &str) -> String {
    let mut map = policyc::diag::SourceMap::default();
    let id = map.add("p.policy", text);
    let module = policyc::syntax::parse(id, text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    policyc::format::format(text, &module)
}
