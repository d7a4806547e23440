#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! `policyc fmt`: canonical, idempotent, comment-preserving, and it never
//! changes meaning: the program lowered from fmt(x) equals that of x.

use std::fs;
use std::path::PathBuf;

use common::fmt;
use policyc::workspace;

mod common;

fn shipped() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = workspace::policy_files(&[PathBuf::from("policies")]).unwrap();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), fs::read_to_string(&p).unwrap())).collect()
}

/// The document texts, by the name their rule files give them (the other
/// regions' texts sit in their own sources/ folder, under the same name).
fn sources() -> Vec<(String, String)> {
    ["policies/sources", "policies/其他地区/sources"]
        .iter()
        .flat_map(|dir| fs::read_dir(dir).unwrap())
        .map(|e| {
            let p = e.unwrap().path();
            (format!("sources/{}", p.file_name().unwrap().to_string_lossy()), fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The meaning of the program the policies lower to.
fn meaning(policies: &[(String, String)]) -> serde_json::Value {
    let srcs = sources();
    let p: Vec<(&str, &str)> = policies.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let s: Vec<(&str, &str)> = srcs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let ws = workspace::load_texts(&p, &s);
    assert!(
        !ws.has_errors(),
        "{}",
        policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain)
    );
    common::meaning(&ws.program.unwrap())
}

#[test]
fn shipped_policies_are_formatted() {
    for (name, text) in shipped() {
        assert_eq!(fmt(&text), text, "{name} is not formatted: run `policyc fmt policies`");
    }
}

/// Squashes a file's layout: no indentation, half-width punctuation,
/// extra spaces around operators. Comments stay.
fn unformat(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.trim().replace("：布尔", ":布尔").replace(" × ", "*").replace(" >= ", ">=").replace(" 且 ", "  且   ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fmt_never_changes_meaning_and_is_idempotent() {
    let files = shipped();
    let original = meaning(&files);
    for i in 0..files.len() {
        let mut variant = files.clone();
        let squashed = unformat(&files[i].1);
        let formatted = fmt(&squashed);
        assert_eq!(fmt(&formatted), formatted, "{}: fmt is not idempotent", files[i].0);
        assert_eq!(formatted.matches("//").count(), files[i].1.matches("//").count(), "{}: comments lost", files[i].0);
        variant[i].1 = formatted;
        if let Some(diff) = common::first_difference(&meaning(&variant), &original, "") {
            panic!("{}: fmt changed the meaning at {diff}", files[i].0);
        }
    }
}

#[test]
fn parentheses_are_kept_where_precedence_needs_them() {
    let src = "条款 1「x」{\n  给予 y {\n    条件 (甲 或 乙) 且 非 丙\n    金额 50元/天 × (1 + 20%) × 天数\n    金额上限 10元 - (2元 - 1元)\n  }\n}\n";
    let out = fmt(src);
    assert!(out.contains("条件 (甲 或 乙) 且 非 丙"), "{out}");
    assert!(out.contains("金额 50元/天 × (1 + 20%) × 天数"), "{out}");
    assert!(out.contains("不超过 10元 - (2元 - 1元)"), "{out}");
}

#[test]
fn comments_stay_where_they_were() {
    let src = "// 文件头注释\n条款 1「x」{ // 行尾注释\n  // 语句前注释\n  原文「甲」\n}\n";
    let out = fmt(src);
    assert_eq!(out, "// 文件头注释\n条款 1「x」{  // 行尾注释\n  // 语句前注释\n  原文「甲」\n}\n");
    assert_eq!(fmt(&out), out);
}

/// A 设 outside any clause is printed where it stands, as a clause's is.
#[test]
fn a_document_definition_is_kept() {
    let text = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n\n设   合格人数=计数 成员 其中 合格\n\n指导 1「补贴」\n";
    let once = common::fmt(text);
    assert!(once.contains("\n设 合格人数 = 计数 成员 其中 合格\n"), "{once}");
    assert_eq!(common::fmt(&once), once);
}

/// Bands are printed as the document writes them.
#[test]
fn bands_are_kept_as_written() {
    let text = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n\n条款 1「补贴」{\n  给予 奖补 { 金额 分档 人数 {40人以上:10万元;20—39人：7万元；10～19人：4万元} }\n}\n";
    let once = common::fmt(text);
    assert!(once.contains("金额 分档 人数 { 40人以上：10万元；20—39人：7万元；10～19人：4万元 }"), "{once}");
    assert_eq!(common::fmt(&once), once);
}

/// A table's columns are aligned by display width: a Han character is two
/// columns, so the bars line up in a monospaced font.
#[test]
fn a_table_is_aligned_by_display_width() {
    let text = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n\n条款 1「补贴」{\n  给予 奖补 {\n    金额 表 等次 × 人数 {\n  | | 40人以上 | 20—39人 |\n| 优秀 | 10万元 | 7万元 |\n | 合格 |6万元| — |\n}\n  }\n}\n";
    let once = common::fmt(text);
    let want = "    金额 表 等次 × 人数 {
      |      | 40人以上 | 20—39人 |
      | 优秀 | 10万元   | 7万元   |
      | 合格 | 6万元    | —       |
    }
";
    assert!(once.contains(want), "{once}");
    assert_eq!(common::fmt(&once), once);
}
