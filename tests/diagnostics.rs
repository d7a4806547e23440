#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Diagnostics of every class, rendered without colour and snapshotted with
//! the source they point into. Spans are byte offsets: each test also
//! checks the exact text under the primary label.

use policyc::diag::{render_human, render_json, Diagnostic, SourceMap, Span, Style};
use policyc::workspace::{self, Workspace};

const VOCAB: &str = "词汇 {
  类型：枚举 { 个人、单位 }
  脱贫人口：布尔
  参加培训天数：数 天
  单位性质：枚举 { 企业、农民专业合作社 }
  吸纳人员：列表 人 { 脱贫人口：布尔  劳动合同月数：数 月  参加社会保险：布尔 }
}
";

const SOURCE: &str = "5.鼓励用工企业吸纳就业。企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按1000元/人的标准给予一次性吸纳就业补贴，吸纳10人以上的，再按每10人1万元的标准给予一次性奖补，最高不超过20万元。\n6.培训。培训期间政府给予参训人员每人每天50元生活补助。\n本办法自2022年1月1日起施行，至2025年12月31日止。\n";

fn header(body: &str) -> String {
    format!("文件「测试文件」{{\n  原文件「source.txt」\n  施行 自2022年1月1日 至2025年12月31日\n}}\n{body}")
}

fn check(body: &str) -> (Workspace, String) {
    let policy = header(body);
    let ws = workspace::load_texts(&[("vocab.policy", VOCAB), ("rules.policy", &policy)], &[("source.txt", SOURCE)]);
    (ws, policy)
}

/// The rendered diagnostics, after the source they came from.
fn render(body: &str) -> String {
    let (ws, policy) = check(body);
    assert!(ws.has_errors(), "expected errors for:\n{policy}");
    format!("----- SOURCE\n{policy}\n----- ERROR\n{}", render_human(&ws.diagnostics, &ws.sources, Style::Plain))
}

/// The text under the first diagnostic's primary label.
fn labelled(body: &str) -> String {
    let (ws, _) = check(body);
    let d = ws.diagnostics.first().expect("a diagnostic");
    let l = d.primary.as_ref().expect("a label");
    ws.sources.text(l.at.file)[l.at.span.start..l.at.span.end].to_string()
}

const GOOD: &str = "条款 5「鼓励用工企业吸纳就业」{
  原文「企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按1000元/人的标准给予一次性吸纳就业补贴」
  对象 单位
  设 合格人数 = 计数 吸纳人员 其中 脱贫人口 且 劳动合同月数 >= 1年 且 参加社会保险
  给予 一次性吸纳就业补贴 {
    条件 合格人数 >= 1人
    金额 1000元/人 × 合格人数
  }
}
指导 6「培训」
";

#[test]
fn a_correct_file_has_no_diagnostics() {
    let (ws, _) = check(GOOD);
    assert!(ws.diagnostics.is_empty(), "{:?}", ws.diagnostics);
    assert!(ws.program.is_some());
}

#[test]
fn syntax_error_says_what_was_expected() {
    let body = GOOD.replace("金额 1000元/人 × 合格人数", "金额 ×");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "×");
}

#[test]
fn unknown_name_suggests_the_closest() {
    let body = GOOD.replace("条件 合格人数 >= 1人", "条件 合格人 >= 1人");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "合格人");
}

#[test]
fn keyword_glued_to_a_name_is_explained() {
    let body = GOOD.replace("脱贫人口 且 劳动合同月数", "脱贫人口且劳动合同月数");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn unit_mismatch_in_addition() {
    let body = GOOD.replace("金额 1000元/人 × 合格人数", "金额 1000元/人 × 合格人数 + 1年");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn amount_must_be_money() {
    let body = GOOD.replace("金额 1000元/人 × 合格人数", "金额 1000元/人");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "1000元/人");
}

#[test]
fn type_mismatch_number_as_condition() {
    let body = GOOD.replace("条件 合格人数 >= 1人", "条件 合格人数");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn unknown_enum_value() {
    let body = GOOD.replace("对象 单位", "适用 单位性质 为 企亚");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "企亚");
}

/// The underline must sit exactly under the offending characters on a line
/// that is all Chinese (three bytes a character).
#[test]
fn span_on_a_line_full_of_chinese() {
    let body = GOOD.replace("条件 合格人数 >= 1人", "条件 脱贫人口 且 参加社会保险人员");
    let out = render(&body);
    insta::assert_snapshot!(out);
    assert_eq!(labelled(&body), "参加社会保险人员");
    let rendered = out.split("----- ERROR").nth(1).expect("rendered part");
    let line = rendered.lines().find(|l| l.contains("条件 脱贫人口 且 参加社会保险人员")).expect("source line");
    let under = rendered.lines().skip_while(|l| *l != line).nth(1).expect("underline");
    // Display columns: a Han character is two wide, box drawing one.
    let width = |s: &str| s.chars().map(|c| if ('\u{4e00}'..='\u{9fff}').contains(&c) { 2 } else { 1 }).sum::<usize>();
    let start = width(&line[..line.find("参加社会保险人员").expect("name")]);
    let first = under.find('─').expect("underline");
    let last = under.rfind('─').expect("underline");
    assert_eq!(width(&under[..first]), start, "underline starts under the name:\n{line}\n{under}");
    assert_eq!(
        width(&under[first..last + "─".len()]),
        width("参加社会保险人员"),
        "underline spans the name:\n{line}\n{under}"
    );
}

#[test]
fn quote_that_drifted_from_the_document() {
    let body = GOOD.replace("按1000元/人的标准", "按2000元/人的标准").replace("金额 1000元/人", "金额 2000元/人");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn number_not_in_the_quote() {
    let body = GOOD.replace("金额 1000元/人 × 合格人数", "金额 1200元/人 × 合格人数");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "1200元/人");
}

#[test]
fn two_rules_without_exception_relation() {
    let body = GOOD.replace(
        "  }\n}\n指导",
        "  }\n  给予 一次性吸纳就业补贴 {\n    条件 合格人数 >= 1人\n    金额 1000元/人 × 合格人数\n  }\n}\n指导",
    );
    insta::assert_snapshot!(render(&body));
}

#[test]
fn clause_window_outside_the_document() {
    let body = GOOD.replace("  对象 单位\n", "  对象 单位\n  有效 至2026年底\n");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn unknown_clause_number() {
    let body = GOOD.replace("指导 6「培训」", "指导 7「培训」");
    insta::assert_snapshot!(render(&body));
}

#[test]
fn several_problems_are_reported_at_once() {
    let body = GOOD
        .replace("条件 合格人数 >= 1人", "条件 合格人 >= 1人")
        .replace("金额 1000元/人 × 合格人数", "金额 1000元/人 × 合格人数 + 1年")
        .replace("指导 6「培训」", "指导 7「培训」");
    let (ws, _) = check(&body);
    assert_eq!(ws.diagnostics.len(), 3, "{:?}", ws.diagnostics);
    let codes: Vec<&str> = ws.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["P0101", "P0201", "P0303"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1人{}", "(".repeat(5000), ")".repeat(5000));
    let body = GOOD.replace("条件 合格人数 >= 1人", &format!("条件 合格人数 >= {deep}"));
    let (ws, _) = check(&body);
    assert_eq!(ws.diagnostics.first().map(|d| d.code), Some("P0003"));
}

/// pest's own stack probe is replaced by one that reports no bound
/// (vendor/pest_stack_guard): the nesting limit alone must keep the
/// parser, the builder and the checker within a thread's stack. Input
/// nested exactly to the limit — brackets, then a chain of 非 — is parsed
/// and checked whole on a thread of 2 MiB, a quarter of what policyc's
/// threads have; in a debug build, whose frames are the largest, 1 MiB
/// is too little.
#[test]
fn nesting_at_the_limit_fits_a_small_stack() {
    use policyc::syntax::{self, MAX_NESTING};
    // The condition sits inside two braces (条款 and 给予), which count.
    let brackets = MAX_NESTING - 2;
    let deep = format!("{}合格人数{} >= 1人", "(".repeat(brackets), ")".repeat(brackets));
    let nots = format!("{}合格人数 >= 1人", "非 ".repeat(MAX_NESTING));
    for (condition, too_deep) in [(deep.clone(), format!("({deep})")), (nots.clone(), format!("非 {nots}"))] {
        let body = GOOD.replace("条件 合格人数 >= 1人", &format!("条件 {condition}"));
        let over = GOOD.replace("条件 合格人数 >= 1人", &format!("条件 {too_deep}"));
        let (parsed, checked) = std::thread::Builder::new()
            .stack_size(policyc::THREAD_STACK / 4)
            .spawn(move || {
                let parsed = syntax::parse(policyc::diag::FileId(1), &header(&body)).map(|m| m.items.len());
                (parsed, check(&body).0.diagnostics)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(parsed.map_err(|e| e.len()), Ok(3), "{condition}");
        assert!(checked.is_empty(), "{condition}: {checked:?}");
        let (refused, _) = check(&over);
        assert_eq!(refused.diagnostics.first().map(|d| d.code), Some("P0003"), "{too_deep}");
    }
}

#[test]
fn json_diagnostics_carry_byte_span_line_and_column() {
    let body = GOOD.replace("条件 合格人数 >= 1人", "条件 合格人 >= 1人");
    let (ws, policy) = check(&body);
    let json: serde_json::Value =
        serde_json::from_str(&policyc::diag::render_json(&ws.diagnostics, &ws.sources)).unwrap();
    let at = &json[0]["位置"];
    let start = at["起"].as_u64().unwrap() as usize;
    let end = at["止"].as_u64().unwrap() as usize;
    assert_eq!(&policy[start..end], "合格人");
    assert_eq!(json[0]["代码"], "P0101");
    let line = policy[..start].matches('\n').count() + 1;
    assert_eq!(at["行"].as_u64(), Some(line as u64));
    assert_eq!(at["列"].as_u64(), Some(8));
}

/// A document of `n` clauses, item i granting `1000 + i` 元 a person; with
/// `edit` applied to each clause's text.
fn long_document(n: usize, edit: impl Fn(usize, String) -> String) -> (String, String) {
    let mut source = String::from("生成的文件，自2022年1月1日起施行，至2025年12月31日止\n");
    let mut policy = String::from("文件「生成」{\n  原文件「source.txt」\n  施行 自2022年1月1日 至2025年12月31日\n}\n");
    for i in 1..=n {
        let standard = 1000 + i;
        source.push_str(&format!("{i}.第{i}项。企业吸纳脱贫人口就业的，按{standard}元/人的标准给予补贴。\n"));
        let clause = format!(
            "条款 {i}「第{i}项」{{\n  原文「企业吸纳脱贫人口就业的，按{standard}元/人的标准给予补贴」\n  对象 单位\n  设 合格人数 = 计数 吸纳人员 其中 脱贫人口\n  给予 补贴 {{\n    条件 合格人数 >= 1人\n    金额 {standard}元/人 × 合格人数\n  }}\n}}\n"
        );
        policy.push_str(&edit(i, clause));
    }
    (policy, source)
}

/// The number of the clause a diagnostic's primary label is in.
fn clause_of(ws: &Workspace, d: &policyc::diag::Diagnostic) -> usize {
    let at = d.primary.as_ref().unwrap().at;
    let before = &ws.sources.text(at.file)[..at.span.start];
    let header = &before[before.rfind("条款 ").unwrap() + "条款 ".len()..];
    header[..header.find('「').unwrap()].parse().unwrap()
}

/// Clauses are lowered in runs on several threads: a long document gets
/// the diagnostics a short one would, each in its own clause, with the
/// labels that need more than one clause's state (the other rule of a
/// pair, the number a drifted quote no longer says).
#[test]
fn a_long_document_is_checked_clause_by_clause() {
    let (good, source) = long_document(100, |_, c| c);
    let ws = workspace::load_texts(&[("vocab.policy", VOCAB), ("rules.policy", &good)], &[("source.txt", &source)]);
    assert!(ws.diagnostics.is_empty(), "{:?}", ws.diagnostics);
    let program = ws.program.unwrap();
    let doc = &program.documents[0];
    assert_eq!(doc.clauses.len(), 100);
    for (i, (clause, group)) in doc.clauses.iter().zip(&doc.groups).enumerate() {
        assert_eq!(&*clause.id, (i + 1).to_string());
        assert_eq!(group, &[(i as u32, 0)]);
    }

    let (bad, source) = long_document(100, |i, c| match i {
        7 => c.replace("1007元/人的标准给予补贴」", "2007元/人的标准给予补贴」").replace("金额 1007元", "金额 2007元"),
        45 => c.replace("  给予 补贴 {", "  给予 补贴 {\n    金额 1045元\n  }\n  给予 补贴 {"),
        90 => c.replace("条件 合格人数", "条件 合格人"),
        _ => c,
    });
    let ws = workspace::load_texts(&[("vocab.policy", VOCAB), ("rules.policy", &bad)], &[("source.txt", &source)]);
    let found: Vec<(&str, usize)> = ws.diagnostics.iter().map(|d| (d.code, clause_of(&ws, d))).collect();
    assert_eq!(found, [("P0301", 7), ("P0401", 45), ("P0101", 90)]);
    let text = |l: &policyc::diag::Label| &ws.sources.text(l.at.file)[l.at.span.start..l.at.span.end];
    let drifted = &ws.diagnostics[0];
    assert!(drifted.secondary.iter().any(|l| text(l) == "2007元/人"), "{:?}", drifted.secondary);
    let pair = &ws.diagnostics[1];
    assert_eq!(text(pair.primary.as_ref().unwrap()), "补贴");
    assert_eq!(text(&pair.secondary[0]), "补贴");
    assert!(pair.secondary[0].at.span.start < pair.primary.as_ref().unwrap().at.span.start);
    assert!(pair.secondary[0].at.span.start > bad.find("条款 45「").unwrap());
}

#[test]
fn a_dotted_name_is_looked_up_as_written() {
    // Written from the subject or not: the same unknown field, named
    // without `主体.`, spanned whole.
    for (written, named) in [("主体.用人单位.规模", "用人单位.规模"), ("用人单位.规模", "用人单位.规模")]
    {
        let body = GOOD.replace("条件 合格人数 >= 1人", &format!("条件 {written}"));
        let (ws, policy) = check(&body);
        let d = ws.diagnostics.first().unwrap();
        assert_eq!((d.code, d.message.as_str()), ("P0101", format!("未知的名称「{named}」").as_str()));
        let at = d.primary.as_ref().unwrap().at.span;
        assert_eq!(&policy[at.start..at.end], written);
    }
}

/// Human diagnostics count columns in characters, as the JSON form does:
/// the 4th character of `文件「测试」{` is in column 4, not 10.
#[test]
fn human_columns_count_characters() {
    let text = "文件「测试」{\n";
    let mut sources = SourceMap::default();
    let file = sources.add("规则.policy", text);
    let at = "文件「".len();
    let d = Diagnostic::error("P0001", "示例").at(file, Span::new(at, at + "测".len()), "这里");
    let human = render_human(std::slice::from_ref(&d), &sources, Style::Plain);
    assert!(human.contains("[规则.policy:1:4]"), "{human}");
    let json: serde_json::Value = serde_json::from_str(&render_json(&[d], &sources)).unwrap();
    assert_eq!(json[0]["位置"]["列"], 4);
}

#[test]
fn a_keyword_used_as_a_name_says_so() {
    let body = GOOD.replace("设 合格人数 = ", "设 金额 = ").replace("合格人数 >= 1人", "金额 >= 1人");
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "金额");
}

#[test]
fn bands_that_overlap() {
    let body = "条款 5「鼓励用工企业吸纳就业」{
  原文「吸纳10人以上的，再按每10人1万元的标准给予一次性奖补，最高不超过20万元」
  对象 单位
  设 合格人数 = 计数 吸纳人员 其中 脱贫人口
  给予 一次性奖补 { 金额 分档 合格人数 { 10人以上：1万元；1—10人：20万元 } }
}
指导 6「培训」
";
    insta::assert_snapshot!(render(body));
}

#[test]
fn a_clause_shadowing_a_document_definition_is_warned_of() {
    let body = format!("设 合格人数 = 计数 吸纳人员 其中 脱贫人口\n{GOOD}");
    let (ws, policy) = check(&body);
    assert!(!ws.has_errors());
    insta::assert_snapshot!(format!(
        "----- SOURCE\n{policy}\n----- WARNING\n{}",
        render_human(&ws.diagnostics, &ws.sources, Style::Plain)
    ));
}

/// A vocabulary that does not parse is reported once: its syntax error,
/// not also "没有找到案例词汇".
#[test]
fn a_broken_vocabulary_is_not_also_missing() {
    let broken = VOCAB.replace("脱贫人口：布尔", "脱贫人口：布尔布尔");
    let ws =
        workspace::load_texts(&[("vocab.policy", &broken), ("rules.policy", &header(GOOD))], &[("source.txt", SOURCE)]);
    let codes: Vec<&str> = ws.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["P0001"], "{:?}", ws.diagnostics);
}

/// A quoted text compared in a rule, and a text field tested with 为, say
/// that texts are not compared.
#[test]
fn texts_are_not_compared() {
    let body = GOOD.replace("条件 合格人数 >= 1人", "条件 单位性质 为 「企业」");
    let (ws, _) = check(&body);
    let d = &ws.diagnostics[0];
    assert_eq!((d.code, d.message.as_str()), ("P0001", "规则中不能比较「」括起的文字"));
    assert!(d.help.as_deref().unwrap().contains("文本字段不能比较"), "{d:?}");
    assert_eq!(labelled(&body), "「");
}

/// A quote from another clause's part of the text is an error showing
/// both places.
#[test]
fn a_quote_from_another_clause() {
    let body = GOOD.replace(
        "原文「企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按1000元/人的标准给予一次性吸纳就业补贴」",
        "原文「企业吸纳脱贫人口就业，签订1年以上劳动合同并参加社会保险的，按1000元/人的标准给予一次性吸纳就业补贴」\n  原文「培训期间政府给予参训人员每人每天50元生活补助」",
    );
    insta::assert_snapshot!(render(&body));
    assert_eq!(labelled(&body), "培训期间政府给予参训人员每人每天50元生活补助");
}

/// A 施行 date the document's text does not hold is warned of, over the
/// date; the dates it holds are not.
#[test]
fn a_date_not_in_the_text_is_warned_of() {
    let policy = header(GOOD).replace("至2025年12月31日", "至2026年12月31日");
    let ws = workspace::load_texts(&[("vocab.policy", VOCAB), ("rules.policy", &policy)], &[("source.txt", SOURCE)]);
    let found: Vec<(&str, &str)> = ws.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(found, [("P0405", "施行日期 2026年12月31日 没有出现在原文中")]);
    let l = ws.diagnostics[0].primary.as_ref().unwrap();
    assert_eq!(&ws.sources.text(l.at.file)[l.at.span.start..l.at.span.end], "2026年12月31日");
    assert!(!ws.has_errors());
}

/// Editors count UTF-16 units: on lines mixing Han characters, full-width
/// punctuation, ASCII and characters outside the BMP, byte offsets and
/// editor positions convert exactly, both ways.
#[test]
fn editor_positions_are_utf16_on_chinese_lines() {
    use policyc::diag::LineIndex;
    let text = "文件「测试」{\n  原文「𠀀补贴500元」 // 注\r\nab\n";
    let index = LineIndex::new(text);
    let at = |s: &str| text.find(s).unwrap();
    assert_eq!(index.utf16(text, at("测")), (0, 3));
    assert_eq!(index.utf16(text, at("{")), (0, 6));
    // 𠀀 is two units: 补 starts at column 2 + 2 (原文) + 1 (「) + 2.
    assert_eq!(index.utf16(text, at("𠀀")), (1, 5));
    assert_eq!(index.utf16(text, at("补")), (1, 7));
    assert_eq!(index.utf16(text, at("ab")), (2, 0));
    for (offset, _) in text.char_indices() {
        let (line, column) = index.utf16(text, offset);
        assert_eq!(index.offset(text, line, column), offset, "offset {offset}");
    }
    // Past a line's end: its end, before the line break.
    assert_eq!(index.offset(text, 0, 99), at("{") + 1);
    assert_eq!(index.offset(text, 9, 0), text.len());
}
