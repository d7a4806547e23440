#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Citations against the real document: a number changed in the 攀枝花 text
//! (or in its rule file) makes `check` fail with one located diagnostic.

use std::fs;

use policyc::diag::{render_human, Style};
use policyc::workspace::{self, Workspace};

fn check(rules: &str, source: &str) -> Workspace {
    let vocab = fs::read_to_string("policies/词汇.policy").unwrap();
    workspace::load_texts(
        &[("policies/词汇.policy", &vocab), ("policies/攀人社发2022-143.policy", rules)],
        &[("sources/004_4a4c2d037d1495bd.txt", source)],
    )
}

fn shipped() -> (String, String) {
    (
        fs::read_to_string("policies/攀人社发2022-143.policy").unwrap(),
        fs::read_to_string("policies/sources/004_4a4c2d037d1495bd.txt").unwrap(),
    )
}

#[test]
fn the_shipped_file_checks() {
    let (rules, source) = shipped();
    assert!(check(&rules, &source).diagnostics.is_empty());
}

#[test]
fn changing_the_standard_in_the_document_fails_check_once() {
    let (rules, source) = shipped();
    let changed = source.replacen(
        "按1000元/人的标准给予一次性吸纳就业补贴，吸纳10人以上的，再按",
        "按1200元/人的标准给予一次性吸纳就业补贴，吸纳10人以上的，再按",
        1,
    );
    assert_ne!(changed, source);
    let ws = check(&rules, &changed);
    let out = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
    assert_eq!(ws.diagnostics.len(), 1, "{out}");
    let d = &ws.diagnostics[0];
    assert_eq!(d.code, "P0301");
    // The rule's quote, the rule's number and the document's nearest passage.
    let texts: Vec<&str> = d
        .primary
        .iter()
        .chain(&d.secondary)
        .map(|l| &ws.sources.text(l.at.file)[l.at.span.start..l.at.span.end])
        .collect();
    assert!(texts[0].starts_with("企业吸纳脱贫人口就业"), "{texts:?}");
    assert!(texts.contains(&"1000元/人"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("按1200元/人的标准")), "{texts:#?}");
}

#[test]
fn changing_the_standard_in_the_rule_fails_check() {
    let (rules, source) = shipped();
    let changed = rules.replacen("金额 1000元/人 × 合格人数", "金额 1100元/人 × 合格人数", 1);
    let ws = check(&changed, &source);
    assert_eq!(ws.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), ["P0302"]);
}
