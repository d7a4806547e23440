#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Case validation: every problem names the file, the field path and what
//! is allowed; hostile inputs are clear errors, never a crash.

use std::path::PathBuf;
use std::sync::OnceLock;

use policyc::case::{self, Format};
use policyc::diag::{render_human, SourceMap, Style};
use policyc::ir::Program;
use policyc::workspace;

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| workspace::load(&[PathBuf::from("policies")]).program.expect("shipped policies check"))
}

/// Loads a case from text; returns the rendered diagnostics (empty if valid).
fn errors(name: &str, text: &str) -> String {
    let mut sources = SourceMap::default();
    let file = sources.add(name, text);
    match case::load(program(), &sources, file, Format::of_path(name)) {
        Ok(_) => String::new(),
        Err(diags) => render_human(&diags, &sources, Style::Plain),
    }
}

const GOOD: &str = "编号: 攀-企业-01
日期: 2023-05-10
文件: [攀人社发〔2022〕143号]
主体:
  类型: 单位
  单位性质: 企业
  吸纳人员:
    - {脱贫人口: 是, 劳动合同月数: 12, 参加社会保险: 是}
    - {脱贫人口: 是, 劳动合同月数: 12, 参加社会保险: 是}
";

#[test]
fn the_good_case_loads() {
    assert_eq!(errors("good.yaml", GOOD), "");
}

#[test]
fn unknown_field_in_a_list_member_names_its_path() {
    let text = GOOD.replacen(
        "{脱贫人口: 是, 劳动合同月数: 12, 参加社会保险: 是}\n",
        "{脱贫人口: 是, 劳动合同月: 12, 参加社会保险: 是}\n",
        2,
    );
    let text = text.replacen("劳动合同月: 12", "劳动合同月数: 12", 1);
    let out = errors("case.yaml", &text);
    assert!(out.contains("主体.吸纳人员[1].劳动合同月"), "{out}");
    assert!(out.contains("是否应为「劳动合同月数」"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn wrong_enum_value_lists_what_is_allowed() {
    let out = errors("case.yaml", &GOOD.replace("单位性质: 企业", "单位性质: 公司"));
    assert!(out.contains("主体.单位性质") && out.contains("可选：企业、就业帮扶车间"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn wrong_type_says_what_is_expected() {
    let out = errors("case.yaml", &GOOD.replacen("脱贫人口: 是", "脱贫人口: 可能", 1));
    assert!(out.contains("主体.吸纳人员[0].脱贫人口") && out.contains("应为 是 或 否"), "{out}");
    let out = errors("case.yaml", &GOOD.replacen("劳动合同月数: 12", "劳动合同月数: 十二", 1));
    assert!(out.contains("不是数值"), "{out}");
}

#[test]
fn impossible_date() {
    let out = errors("case.yaml", &GOOD.replace("2023-05-10", "2023-02-30"));
    assert!(out.contains("「2023-02-30」不是有效日期"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn unknown_document_identifier() {
    let out = errors("case.yaml", &GOOD.replace("攀人社发〔2022〕143号", "攀人社发〔2022〕134号"));
    assert!(out.contains("P0506") && out.contains("是否应为「攀人社发〔2022〕143号」"), "{out}");
}

#[test]
fn missing_required_fields() {
    let out = errors("case.yaml", "编号: x\n主体: {类型: 个人}\n");
    assert!(out.contains("缺少必填字段「日期」") && out.contains("缺少必填字段「文件」"), "{out}");
}

#[test]
fn several_problems_at_once() {
    let text = GOOD.replace("单位性质: 企业", "单位性质: 公司").replace("2023-05-10", "2023-13-01");
    let out = errors("case.yaml", &text);
    assert!(out.contains("P0503") && out.contains("P0504"), "{out}");
}

#[test]
fn json_cases_are_read_too() {
    let json = r#"{"日期": "2023-05-10", "文件": "攀人社发〔2022〕143号", "主体": {"类型": "个人", "脱贫人口": true}}"#;
    assert_eq!(errors("case.json", json), "");
}

// ------------------------------------------------------------ hostile input

#[test]
fn gbk_bytes_are_reported_as_not_utf8() {
    // "日期" in GBK.
    let bytes = [0xC8, 0xD5, 0xC6, 0xDA, b':', b' ', b'1'];
    let d = case::decode("gbk.yaml", &bytes).expect_err("not UTF-8");
    assert_eq!(d.code, "P0505");
    assert!(d.message.contains("GBK"), "{}", d.message);
}

#[test]
fn a_bom_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOD.as_bytes());
    let text = case::decode("bom.yaml", &bytes).expect("BOM is fine");
    assert_eq!(errors("bom.yaml", &text), "");
}

#[test]
fn empty_truncated_and_garbage_files() {
    assert!(errors("empty.yaml", "").contains("文件为空"));
    assert!(errors("cut.json", r#"{"日期": "2023-05-10", "文件": ["#).contains("意外结束"));
    let garbage: String = (0u8..200).map(|b| char::from(b % 94 + 33)).collect();
    assert!(errors("garbage.yaml", &garbage).contains("P050"), "garbage must be an error");
}

#[test]
fn duplicate_keys_are_an_error() {
    let out = errors("dup.yaml", &GOOD.replace("  类型: 单位\n", "  类型: 单位\n  类型: 个人\n"));
    assert!(out.contains("重复的键"), "{out}");
    let out = errors("dup.json", r#"{"日期": "2023-05-10", "日期": "2023-05-11", "文件": "县实施办法", "主体": {}}"#);
    assert!(out.contains("重复的键"), "{out}");
}

#[test]
fn huge_and_negative_numbers() {
    let out =
        errors("big.yaml", &GOOD.replacen("劳动合同月数: 12", "劳动合同月数: 1000000000000000000000000000000", 1));
    assert!(out.contains("超出可表示的范围"), "{out}");
    let out = errors("neg.yaml", &GOOD.replacen("劳动合同月数: 12", "劳动合同月数: -3", 1));
    assert!(out.contains("负数"), "{out}");
}

#[test]
fn deep_nesting_and_long_strings() {
    let deep = format!("日期: 2023-05-10\n文件: 县实施办法\n主体: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(errors("deep.yaml", &deep).contains("嵌套"));
    let long = GOOD.replace("编号: 攀-企业-01", &format!("编号: {}", "长".repeat(3_000_000)));
    assert_eq!(errors("long.yaml", &long), "");
}

/// Found by fuzzing: an empty key made locating the field loop forever.
#[test]
fn an_empty_key_is_an_unknown_field() {
    let out = errors("empty-key.yaml", "日期: 2023-05-10\n文件: 攀人社发〔2022〕143号\n主体: {\"\": 1}\n");
    assert!(out.contains("未知字段「」"), "{out}");
}

/// What a YAML or JSON parser says goes wrong is told in Chinese: no
/// English words reach the user, whatever the mistake.
#[test]
fn parse_errors_have_no_english_words() {
    let program = policyc::workspace::load(&[std::path::PathBuf::from("policies")]).program.unwrap();
    let yaml = [
        "日期: 2023-05-10\n文件: [县实施办法\n",
        "日期: 2023-05-10\n 文件: 县实施办法\n主体: {}\n",
        "日期: 2023-05-10\n文件: 县实施办法\n主体:\n\t类型: 个人\n",
        "日期: \"2023-05-10\n",
        "日期: 2023-05-10\n主体: {类型: 个人, 脱贫人口: 是: 否}\n",
        "- a\nb: c\n",
        "日期: *锚点\n",
        "日期: @\n",
    ];
    let json = ["{\"日期\": }", "{\"日期\": \"2023-05-10\" \"文件\": 1}", "[1, 2", "{\"a\": tru}", "{\"a\": \"\\q\"}"];
    let cases = yaml
        .iter()
        .map(|t| (t, policyc::case::Format::Yaml))
        .chain(json.iter().map(|t| (t, policyc::case::Format::Json)));
    for (text, format) in cases {
        let mut sources = policyc::diag::SourceMap::default();
        let file = sources.add("案例", text.to_string());
        let Err(diags) = policyc::case::load(&program, &sources, file, format) else { panic!("{text:?} was taken") };
        for d in diags {
            // Format names and JSON literals are names, not English.
            let english = d
                .message
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w.len() >= 3 && !["JSON", "YAML", "UTF", "true", "false"].contains(&w));
            assert!(!english, "{text:?}: {}", d.message);
        }
    }
}
