#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The `policyc` binary: outputs and exit codes.

use std::process::{Command, Output};

fn policyc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policyc")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn check_and_coverage_pass_on_the_shipped_policies() {
    let o = policyc(&["check", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = policyc(&["coverage", "policies", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let cov: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The four seed documents, the example county, and four other regions'.
    assert_eq!(cov.as_array().unwrap().len(), 9);
}

#[test]
fn eval_prints_the_contract_json() {
    let o = policyc(&["eval", "tests/cases/攀枝花/攀-01-企业吸纳25人.yaml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["编号"], "攀-01-企业吸纳25人");
    assert_eq!(v["日期"], "2023-05-10");
    assert_eq!(v["合计"], "95000");
    let r =
        v["裁定"].as_array().unwrap().iter().find(|r| r["条款"] == "5" && r["项目"] == "一次性吸纳就业补贴").unwrap();
    assert_eq!(r["文件"], "攀人社发〔2022〕143号");
    assert_eq!(r["结果"], "给予");
    assert_eq!(r["金额"], "25000");
    assert_eq!(r["资金来源"], "就业创业补助资金");
    assert!(r["理由"].as_array().unwrap().iter().any(|x| x.as_str().unwrap().contains("1000元/人 × 25人")));
}

#[test]
fn exit_codes_tell_what_went_wrong() {
    let dir = std::env::temp_dir().join(format!("policyc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_case = dir.join("bad.yaml");
    std::fs::write(&bad_case, "日期: 2023-02-30\n文件: 县实施办法\n主体: {}\n").unwrap();
    assert_eq!(policyc(&["eval", bad_case.to_str().unwrap()]).status.code(), Some(3));
    assert_eq!(policyc(&["eval", dir.join("missing.yaml").to_str().unwrap()]).status.code(), Some(5));
    let failing = dir.join("failing.yaml");
    std::fs::write(&failing, "日期: 2023-05-10\n文件: 县实施办法\n主体: {类型: 个人}\n期望: {合计: \"1\"}\n").unwrap();
    let o = policyc(&["test", failing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stdout(&o).trim_end().ends_with("0 passed, 1 failed"), "{}", stdout(&o));
    assert_eq!(policyc(&["explain", "P9999"]).status.code(), Some(2));
    assert_eq!(policyc(&["fmt", "--check", "policies"]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_diagnostics_for_a_bad_case() {
    let dir = std::env::temp_dir().join(format!("policyc-cli-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("case.yaml");
    std::fs::write(&case, "日期: 2023-05-10\n文件: 县实施办法\n主体: {类型: 个人, 脱贫人口: 也许}\n").unwrap();
    let o = policyc(&["eval", case.to_str().unwrap(), "--error-format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&String::from_utf8(o.stderr).unwrap()).unwrap();
    assert_eq!(v[0]["代码"], "P0502");
    assert!(v[0]["位置"]["行"].as_u64().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Usage errors are told in Chinese, with the usage line, and exit with 2.
#[test]
fn usage_errors_are_told_in_chinese() {
    let cases: [(&[&str], &str); 7] = [
        (&["batch"], "缺少必需的参数：<输入>"),
        (&["eval", "a.yaml", "--format", "xml"], "参数 --format <格式> 的值「xml」无效；可选值：table、json"),
        (&["chek"], "无法识别的命令「chek」（是否想用 check？）"),
        (&["eval", "a.yaml", "--bogus"], "无法识别的参数「--bogus」"),
        (&["batch", "a.jsonl", "--jobs", "many"], "参数 --jobs <线程数> 的值「many」无效"),
        (&["batch", "a.jsonl", "--summary-only", "-o", "b"], "不能与 --output <输出> 同时使用"),
        (&[], "缺少命令"),
    ];
    for (args, words) in cases {
        let o = policyc(args);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("错误："), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
        for english in ["error:", "Usage:", "For more information", "[OPTIONS]"] {
            assert!(!err.contains(english), "{args:?}: {err}");
        }
    }
    let err = String::from_utf8(policyc(&["batch"]).stderr).unwrap();
    assert!(err.contains("用法：policyc batch [选项] <输入>"), "{err}");
}

/// Help lists possible values and defaults in Chinese; none of clap's
/// English words are left.
#[test]
fn help_is_in_chinese() {
    for command in ["check", "eval", "test", "fmt", "batch", "explain", "coverage"] {
        let o = policyc(&[command, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let help = stdout(&o);
        assert!(help.contains(&format!("用法：policyc {command}")), "{help}");
        for english in ["Possible values", "[default:", "Usage", "[OPTIONS]", "<PATHS>", "<FORMAT>"] {
            assert!(!help.contains(english), "{command}: {help}");
        }
    }
    let help = stdout(&policyc(&["batch", "--help"]));
    assert!(
        help.contains("可选值：\n          - table：中文表格\n          - json：docs/cases.md 约定的 JSON"),
        "{help}"
    );
    assert!(help.contains("默认：policies"), "{help}");
}

/// The binary parses and checks on a thread of known stack, whatever the
/// platform gives its main thread: brackets nested exactly to the limit
/// pass, one level more is refused (P0003), neither crashes.
#[test]
fn check_takes_nesting_to_the_limit_and_refuses_more() {
    let dir = std::env::temp_dir().join(format!("policyc-nesting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("词汇.policy"), "词汇 {\n  类型：枚举 { 个人、单位 }\n  人数：数 人\n}\n").unwrap();
    std::fs::write(dir.join("source.txt"), "1.企业吸纳就业的，给予补贴1000元。\n").unwrap();
    // The condition sits inside two braces (条款 and 给予), which count.
    let brackets = policyc::syntax::MAX_NESTING - 2;
    for (depth, code) in [(brackets, 0), (brackets + 1, 1)] {
        let condition = format!("{}人数{} >= 1人", "(".repeat(depth), ")".repeat(depth));
        let rules = format!(
            "文件「测试」{{\n  原文件「source.txt」\n  施行 自2022年1月1日 至2025年12月31日\n}}\n\
             条款 1「吸纳」{{\n  原文「企业吸纳就业的，给予补贴1000元」\n  对象 单位\n  给予 补贴 {{\n    条件 {condition}\n    金额 1000元\n  }}\n}}\n"
        );
        std::fs::write(dir.join("rules.policy"), rules).unwrap();
        let o = policyc(&["check", dir.to_str().unwrap()]);
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.status.code(), Some(code), "{depth}: {said}");
        assert_eq!(said.contains("P0003"), code != 0, "{depth}: {said}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `coverage` fails on a document in which no clause was found, and lists
/// the sentences with amounts that no rule quotes.
#[test]
fn coverage_fails_where_no_clause_is_found_and_lists_unquoted_amounts() {
    let dir = std::env::temp_dir().join(format!("policyc-coverage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("词汇.policy"), "词汇 {\n  类型：枚举 { 个人、单位 }\n}\n").unwrap();
    std::fs::write(dir.join("t.txt"), "各地要加强宣传。对外出务工的脱贫人口给予500元补助。\n").unwrap();
    std::fs::write(dir.join("p.policy"), "文件「测试」{\n  原文件「t.txt」\n  施行 至2025年12月31日\n}\n").unwrap();
    let o = policyc(&["coverage", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("原文中没有找到条款编号"), "{out}");
    assert!(out.contains("· 对外出务工的脱贫人口给予500元补助"), "{out}");
    let o = policyc(&["coverage", dir.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["未引用的金额句"][0], "对外出务工的脱贫人口给予500元补助");
    std::fs::remove_dir_all(&dir).unwrap();
}
