#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Documents in a hierarchy (a county file adopting a city clause) and
//! versions of one rule over time.

use std::fs;

use policyc::diag::{render_human, Style};
use policyc::workspace::{self, Workspace};

fn read(p: &str) -> String {
    fs::read_to_string(p).unwrap()
}

/// The shipped vocabulary and 攀枝花 file, plus a county file and its text.
fn with_county(county: &str, county_text: &str) -> Workspace {
    let vocab = read("policies/词汇.policy");
    let city = read("policies/攀人社发2022-143.policy");
    let city_text = read("policies/sources/004_4a4c2d037d1495bd.txt");
    workspace::load_texts(
        &[
            ("policies/词汇.policy", &vocab),
            ("policies/攀人社发2022-143.policy", &city),
            ("policies/县.policy", county),
        ],
        &[("sources/004_4a4c2d037d1495bd.txt", &city_text), ("sources/county.txt", county_text)],
    )
}

fn county(standard: &str) -> (String, String) {
    let text = format!(
        "一、提高企业吸纳就业补贴标准。企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按{standard}的标准给予一次性吸纳就业补贴。\n二、其他。其余按市文件执行。\n本细则自2023年1月1日起施行，至2025年12月31日止。\n"
    );
    let policy = format!(
        "文件「某县」{{\n  上级「攀人社发〔2022〕143号」\n  原文件「sources/county.txt」\n  施行 自2023年1月1日 至2025年12月31日\n}}\n\
条款 一「提高企业吸纳就业补贴标准」采纳 5 {{\n  原文「企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按{standard}的标准给予一次性吸纳就业补贴」\n  \
给予 一次性吸纳就业补贴 {{\n    条件 合格人数 >= 1人\n    金额 {standard} × 合格人数\n  }}\n}}\n指导 二「其他」\n"
    );
    (policy, text)
}

#[test]
fn a_county_may_raise_a_city_standard() {
    let (policy, text) = county("1500元/人");
    let ws = with_county(&policy, &text);
    assert!(ws.diagnostics.is_empty(), "{}", render_human(&ws.diagnostics, &ws.sources, Style::Plain));
}

#[test]
fn a_county_may_not_lower_a_city_standard() {
    let (policy, text) = county("800元/人");
    let ws = with_county(&policy, &text);
    let out = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
    assert_eq!(ws.diagnostics.len(), 1, "{out}");
    let d = &ws.diagnostics[0];
    assert_eq!(d.code, "P0403");
    // One diagnostic pointing into both files.
    let files: Vec<&str> = d.primary.iter().chain(&d.secondary).map(|l| ws.sources.name(l.at.file)).collect();
    assert_eq!(files, ["policies/县.policy", "policies/攀人社发2022-143.policy"], "{out}");
    let there = &d.secondary[0];
    assert_eq!(&ws.sources.text(there.at.file)[there.at.span.start..there.at.span.end], "1000元/人 × 合格人数");
    insta::assert_snapshot!(out);
}

#[test]
fn adopting_needs_a_parent() {
    let (policy, text) = county("1500元/人");
    let orphan = policy.replace("  上级「攀人社发〔2022〕143号」\n", "");
    let ws = with_county(&orphan, &text);
    assert_eq!(ws.diagnostics.first().map(|d| d.code), Some("P0306"));
    let wrong = policy.replace("采纳 5", "采纳 50");
    let ws = with_county(&wrong, &text);
    assert_eq!(ws.diagnostics.first().map(|d| d.code), Some("P0306"));
}

// ------------------------------------------------------------ versions

const VOCAB: &str = "词汇 { 人数：数 人 }\n";
const SOURCE: &str = "1.按每人100元给予补贴，政策执行至2021年底；自2022年起按每人200元给予补贴。\n本办法自2021年1月1日起施行，至2025年12月31日止。\n";

fn versions(first_end: &str, second_start: &str) -> Workspace {
    let policy = format!(
        "文件「测试」{{\n  原文件「s.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}}\n条款 1「补贴」{{\n  原文「按每人100元给予补贴，政策执行至2021年底；自2022年起按每人200元给予补贴」\n  \
给予 补贴 {{ 有效 至{first_end}  金额 100元/人 × 人数 }}\n  给予 补贴 {{ 有效 自{second_start} 至2025年底  金额 200元/人 × 人数 }}\n}}\n"
    );
    workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &policy)], &[("s.txt", SOURCE)])
}

#[test]
fn consecutive_versions_of_a_rule_are_fine() {
    let ws = versions("2021年底", "2022年1月1日");
    assert!(ws.diagnostics.is_empty(), "{}", render_human(&ws.diagnostics, &ws.sources, Style::Plain));
}

#[test]
fn overlapping_versions_are_two_rules_that_can_both_fire() {
    let ws = versions("2021年底", "2021年6月1日");
    assert_eq!(ws.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), ["P0401"]);
}

#[test]
fn a_gap_between_versions_is_a_warning() {
    let ws = versions("2021年底", "2022年3月1日");
    let codes: Vec<_> = ws.diagnostics.iter().map(|d| (d.code, d.is_error())).collect();
    assert_eq!(codes, [("P0404", false)]);
    assert!(ws.program.is_some(), "a warning does not stop the program");
}

/// Rule files of documents 文0 … 文{n-1}, each naming the one given by
/// `parent` as its 上级, each with one guidance clause.
fn documents(n: usize, parent: impl Fn(usize) -> Option<usize>) -> Workspace {
    let vocab = read("policies/词汇.policy");
    let files: Vec<(String, String)> = (0..n)
        .map(|i| {
            let up = parent(i).map(|p| format!("  上级「文{p}」\n")).unwrap_or_default();
            let text = format!(
                "文件「文{i}」{{\n{up}  原文件「t.txt」\n  施行 自2023年1月1日 至2025年12月31日\n}}\n指导 一「宣传」\n"
            );
            (format!("p{i}.policy"), text)
        })
        .collect();
    let mut all: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    all.push(("词汇.policy", &vocab));
    workspace::load_texts(&all, &[("t.txt", "一、宣传。做好宣传。自2023年1月1日起施行，至2025年12月31日止。\n")])
}

#[test]
fn a_document_that_is_its_own_parent_or_in_a_cycle_is_an_error_showing_the_chain() {
    let ws = documents(1, |_| Some(0));
    let shown = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
    assert!(ws.has_errors(), "{shown}");
    assert!(shown.contains("[P0307]") || shown.contains("P0307"), "{shown}");
    assert!(shown.contains("上级文件形成循环：文0 → 文0"), "{shown}");
    assert!(shown.contains("文件不能是自己的上级"), "{shown}");

    // 文0 ← 文1 ← 文2 ← 文3 ← 文1: the cycle is 文1 → 文3 → 文2 → 文1.
    let ws = documents(4, |i| match i {
        0 => None,
        1 => Some(3),
        n => Some(n - 1),
    });
    let shown = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
    let cycles: Vec<_> = ws.diagnostics.iter().filter(|d| d.code == "P0307").collect();
    assert_eq!(cycles.len(), 1, "{shown}");
    assert_eq!(cycles[0].message, "上级文件形成循环：文1 → 文3 → 文2 → 文1", "{shown}");
    assert_eq!(cycles[0].secondary.len(), 2, "{shown}");
    assert!(ws.program.is_none());
}

/// A chain of 5000 documents, each the parent of the next, checks in one
/// pass up each chain (it took minutes when each document's depth was
/// searched afresh): bounded here by a watchdog, not timed.
#[test]
fn a_long_chain_of_parents_checks_without_searching_it_again_for_each_document() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let ws = documents(5000, |i| i.checked_sub(1));
        let _ = done.send((ws.has_errors(), ws.program.map(|p| p.documents.len())));
    });
    let (errors, count) = finished.recv_timeout(std::time::Duration::from_secs(120)).expect("checked in time");
    assert!(!errors);
    assert_eq!(count, Some(5000));
}
