#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The interpreter's semantics, each on a minimal policy with amounts
//! computed by hand.

use policyc::case::{self, Format};
use policyc::diag::SourceMap;
use policyc::eval::{self, Evaluation, Outcome};
use policyc::ir::{Case, Program};
use policyc::workspace;
use rust_decimal::Decimal;

const VOCAB: &str = "词汇 {
  类型：枚举 { 个人、单位 }
  人数：数 人
  天数：数 天
  月数：数 月
  等级：枚举 { 甲、乙、丙 }
  户籍：枚举 { 本地、外地 }
  登记日期：日期
  老区：布尔
  成员：列表 人 { 合格：布尔  月数：数 月  等级：枚举 { 甲、乙、丙 } }
  享受记录：列表 次 { 项目：文本  日期：日期  金额：数 元  文件：文本 }
}
";

const SOURCE: &str = "1.按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元。
2.每人每天不超过50元，具体标准另定；按规定给予其他补助。
3.甲档300元/人/月、乙档200元/人/月，最长不超过3年。
4.每天50元，老区上浮20%。
5.登记满6个月的给予1万元，政策执行至2021年底。
6.每年享受1次500元；一次性奖励800元；2021年不能同时享受甲补助和乙补助。
7.每人每月200元，最长不超过6个月。
8.每次给予800元，每人每年最高不超过2000元。
9.每人补助不低于500元，不超过1500元；按每天30元计发的，不低于300元。
10.稳岗人数40人以上的给予10万元；20—39人的给予7万元；10—19人的给予4万元。
本办法自2021年1月1日起施行，至2025年12月31日止。
";

fn policy(body: &str) -> String {
    format!("文件「测试」{{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}}\n{body}")
}

/// The program of `body` (with the shared vocabulary and document text)
/// and the case of `case_yaml` for the document 测试.
fn load(body: &str, case_yaml: &str) -> (Program, Case) {
    let text = policy(body);
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &text)], &[("source.txt", SOURCE)]);
    assert!(
        !ws.has_errors(),
        "{}",
        policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain)
    );
    let program = ws.program.expect("program");
    let mut sources = SourceMap::default();
    // Every case says what its subject is; these are all persons.
    let full = format!("文件: 测试\n{case_yaml}").replacen("主体: {", "主体: {类型: 个人, ", 1).replacen(
        "主体:\n",
        "主体:\n  类型: 个人\n",
        1,
    );
    let file = sources.add("case.yaml", full);
    let (case, _) = case::load(&program, &sources, file, Format::Yaml).expect("valid case");
    (program, case)
}

fn eval_case(body: &str, case_yaml: &str) -> Evaluation {
    let (program, case) = load(body, case_yaml);
    eval::evaluate(&program, &case, eval::Options::default()).expect("evaluates")
}

fn ruling<'a>(e: &'a Evaluation, benefit: &str) -> &'a eval::Ruling {
    e.rulings.iter().find(|r| &*r.benefit == benefit).unwrap_or_else(|| panic!("no ruling for {benefit}: {e:#?}"))
}

fn dec(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

const STEP: &str = "条款 1「补贴」{
  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元」
  给予 补贴 { 条件 人数 >= 1人  金额 1000元/人 × 人数 }
  给予 奖补 { 条件 人数 >= 10人  金额 1万元 × 向下取整(人数 ÷ 10人) 最高 20万元 }
}
";

#[test]
fn thresholds_include_the_number() {
    let at = eval_case(STEP, "日期: 2023-05-10\n主体: {人数: 10}\n");
    assert_eq!(ruling(&at, "奖补").amount, dec("10000"));
    let below = eval_case(STEP, "日期: 2023-05-10\n主体: {人数: 9}\n");
    assert_eq!(ruling(&below, "奖补").outcome, Outcome::Refused);
    assert_eq!(ruling(&below, "补贴").amount, dec("9000"));
    assert_eq!(below.total, Decimal::from(9000));
}

#[test]
fn a_capped_total_is_granted_at_the_cap_and_says_so() {
    // 每10人1万元 × 21 = 21万元 > 20万元.
    let e = eval_case(STEP, "日期: 2023-05-10\n主体: {人数: 219}\n");
    let r = ruling(&e, "奖补");
    assert_eq!(r.outcome, Outcome::Granted);
    assert_eq!(r.amount, dec("200000"));
    assert!(r.reasons.iter().any(|x| x.contains("最高限额 20万元")), "{:?}", r.reasons);
    assert_eq!(e.total, Decimal::from(219_000 + 200_000));
}

#[test]
fn ceilings_and_deferred_amounts_are_pending() {
    let body = "条款 2「另定」{
  原文「每人每天不超过50元，具体标准另定；按规定给予其他补助」
  给予 生活费 { 条件 天数 > 0天  不超过 50元/天 × 天数 }
  给予 其他补助 { 按规定 }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 7}\n");
    let r = ruling(&e, "生活费");
    assert_eq!((r.outcome, r.amount, r.ceiling), (Outcome::Pending, None, dec("350")));
    let d = ruling(&e, "其他补助");
    assert_eq!((d.outcome, d.amount, d.ceiling), (Outcome::Pending, None, None));
    assert_eq!(e.total, Decimal::ZERO, "待定 amounts are not in 合计");
}

#[test]
fn tiers_and_duration_caps() {
    let body = "条款 3「分档」{
  原文「甲档300元/人/月、乙档200元/人/月，最长不超过3年」
  给予 补助 { 金额 分档 等级 { 甲：300元/人/月；乙：200元/人/月 } × 1人 × 最小(月数, 3年) }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {等级: 甲, 月数: 40}\n");
    assert_eq!(ruling(&e, "补助").amount, dec("10800"), "300 × 36");
    let e = eval_case(body, "日期: 2023-05-10\n主体: {等级: 乙, 月数: 5}\n");
    assert_eq!(ruling(&e, "补助").amount, dec("1000"));
    let e = eval_case(body, "日期: 2023-05-10\n主体: {等级: 丙, 月数: 5}\n");
    let r = ruling(&e, "补助");
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(r.reasons.iter().any(|x| x.contains("等级为「丙」")), "{:?}", r.reasons);
    let e = eval_case(body, "日期: 2023-05-10\n主体: {月数: 5}\n");
    assert!(ruling(&e, "补助").reasons.iter().any(|x| x.contains("缺少事实「主体.等级」")));
}

#[test]
fn exceptions_win_by_priority_not_source_order() {
    // The exception is written first; the base rule second.
    let body = "条款 4「老区」{
  原文「每天50元，老区上浮20%」
  给予 生活费 优先级 2 { 条件 老区  金额 50元/天 × (1 + 20%) × 天数 }
  给予 生活费 { 金额 50元/天 × 天数 }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 3, 老区: 是}\n");
    assert_eq!(ruling(&e, "生活费").amount, dec("180"));
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 3}\n");
    assert_eq!(ruling(&e, "生活费").amount, dec("150"));
    assert_eq!(e.rulings.len(), 1, "one ruling per benefit");
}

#[test]
fn a_field_may_be_named_from_the_subject() {
    // `主体.老区` is `老区`, written with its record; the reason names it
    // as the condition is written.
    let body = "条款 4「老区」{
  原文「每天50元，老区上浮20%」
  给予 生活费 优先级 2 { 条件 主体.老区  金额 50元/天 × (1 + 20%) × 天数 }
  给予 生活费 { 金额 50元/天 × 天数 }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 3, 老区: 是}\n");
    assert_eq!(ruling(&e, "生活费").amount, dec("180"));
    assert!(ruling(&e, "生活费").reasons.iter().any(|r| r.contains("主体.老区")), "{:?}", ruling(&e, "生活费").reasons);
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 3}\n");
    assert_eq!(ruling(&e, "生活费").amount, dec("150"));
}

const DATED: &str = "条款 5「登记」{
  原文「登记满6个月的给予1万元，政策执行至2021年底」
  有效 至2021年底
  给予 创业补贴 { 条件 登记日期 + 6个月 <= 裁定日期  金额 1万元 }
}
";

#[test]
fn whole_months_and_inclusive_windows() {
    let e = eval_case(DATED, "日期: 2021-07-15\n主体: {登记日期: 2021-01-15}\n");
    assert_eq!(ruling(&e, "创业补贴").amount, dec("10000"));
    let e = eval_case(DATED, "日期: 2021-07-14\n主体: {登记日期: 2021-01-15}\n");
    assert_eq!(ruling(&e, "创业补贴").outcome, Outcome::Refused);
    let e = eval_case(DATED, "日期: 2021-12-31\n主体: {登记日期: 2021-01-15}\n");
    assert_eq!(ruling(&e, "创业补贴").outcome, Outcome::Granted, "至2021年底 includes 12-31");
    let e = eval_case(DATED, "日期: 2022-01-01\n主体: {登记日期: 2021-01-15}\n");
    let r = ruling(&e, "创业补贴");
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(r.reasons.iter().any(|x| x.contains("2021-12-31")), "{:?}", r.reasons);
}

const HISTORY: &str = "条款 6「记录」{
  原文「每年享受1次500元；一次性奖励800元；2021年不能同时享受甲补助和乙补助」
  给予 年度补助 { 频次 每年 1次  金额 500元 }
  给予 奖励 { 频次 一次性  金额 800元 }
  给予 甲补助 { 互斥 乙补助 于 2021年  按规定 }
}
";

#[test]
fn history_frequency_once_and_exclusion() {
    let e = eval_case(HISTORY, "日期: 2023-05-10\n主体:\n  享受记录:\n    - {项目: 年度补助, 日期: 2023-01-02}\n    - {项目: 奖 励, 日期: 2019-01-01}\n");
    assert_eq!(ruling(&e, "年度补助").outcome, Outcome::Refused);
    assert_eq!(ruling(&e, "奖励").outcome, Outcome::Refused, "名称匹配忽略空格");
    let e = eval_case(HISTORY, "日期: 2023-05-10\n主体:\n  享受记录: [{项目: 年度补助, 日期: 2022-12-31}]\n");
    assert_eq!(ruling(&e, "年度补助").amount, dec("500"), "a new calendar year");
    let e = eval_case(HISTORY, "日期: 2021-09-01\n主体:\n  享受记录: [{项目: 乙补助, 日期: 2021-03-01}]\n");
    assert_eq!(ruling(&e, "甲补助").outcome, Outcome::Refused);
    let e = eval_case(HISTORY, "日期: 2022-09-01\n主体:\n  享受记录: [{项目: 乙补助, 日期: 2021-03-01}]\n");
    assert_eq!(ruling(&e, "甲补助").outcome, Outcome::Pending, "the exclusion is for 2021 only");
}

#[test]
fn sums_over_members_with_a_per_member_cap() {
    let body = "条款 7「以工代训」{
  原文「每人每月200元，最长不超过6个月」
  设 人月 = 合计 成员 的 (最小(月数, 6个月)) 其中 合格
  给予 以工代训补贴 { 金额 200元/人/月 × 人月 }
}
";
    let e = eval_case(
        body,
        "日期: 2023-05-10\n主体:\n  成员: [{合格: 是, 月数: 4}, {合格: 是, 月数: 9}, {合格: 否, 月数: 6}]\n",
    );
    assert_eq!(ruling(&e, "以工代训补贴").amount, dec("2000"), "200 × (4 + 6)");
    // Order of members does not matter.
    let e2 = eval_case(
        body,
        "日期: 2023-05-10\n主体:\n  成员: [{合格: 否, 月数: 6}, {合格: 是, 月数: 9}, {合格: 是, 月数: 4}]\n",
    );
    assert_eq!(e.rulings, e2.rulings);
}

#[test]
fn money_is_exact_and_rounded_to_the_fen() {
    // 1万元 ÷ 3人 × 1人 = 3333.333…; rounded half away from zero to 3333.33.
    let body = "条款 1「补贴」{
  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元」
  给予 补贴 { 金额 1万元 ÷ 人数 × 1人 }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {人数: 3}\n");
    assert_eq!(ruling(&e, "补贴").amount, dec("3333.33"));
    // Dividing by a case's 0 stops the evaluation, as an overflow does.
    let (program, case) = load(body, "日期: 2023-05-10\n主体: {人数: 0}\n");
    let err = eval::evaluate(&program, &case, eval::Options::default()).expect_err("division by zero");
    assert_eq!(err.code(), "P0603");
    assert_eq!(err.to_string(), "除数为零：测试 条款 1 的「1万元 ÷ 人数」除以 0");
}

/// An amount, cap or ceiling that comes out negative is an error naming
/// the expression, never a negative ruling; check warns of it.
#[test]
fn negative_amounts_caps_and_ceilings_are_errors() {
    for (rule, expr, value) in [
        ("金额 1000元/人 × 人数 最高 (人数 - 10人) × 1000元/人", "(人数 - 10人) × 1000元/人", "-7000"),
        ("金额 (人数 - 10人) × 1000元/人", "(人数 - 10人) × 1000元/人", "-7000"),
        ("不超过 (人数 - 10人) × 1000元/人", "(人数 - 10人) × 1000元/人", "-7000"),
    ] {
        let body = format!(
            "条款 1「补贴」{{\n  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元」\n  给予 补贴 {{ {rule} }}\n}}\n"
        );
        let text = policy(&body);
        let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &text)], &[("source.txt", SOURCE)]);
        let warnings: Vec<_> = ws.diagnostics.iter().filter(|d| d.code == "P0206").collect();
        assert_eq!(warnings.len(), 1, "{rule}: {:?}", ws.diagnostics);
        let (program, case) = load(&body, "日期: 2023-05-10\n主体: {人数: 3}\n");
        let err = eval::evaluate(&program, &case, eval::Options::default()).expect_err(rule);
        assert_eq!(err.code(), "P0604", "{rule}");
        assert_eq!(
            err.to_string(),
            format!("金额为负：测试 条款 1 的「{expr}」得出 {value}元；金额、最高限额与上限不能为负")
        );
        // Decisions without words stop as evaluations with words do.
        let mut evaluator = eval::Evaluator::new(&program);
        assert_eq!(evaluator.decide(&case, &mut Vec::new()).expect_err(rule), err);
        // With 12 persons it is granted, as a positive amount.
        let (program, case) = load(&body, "日期: 2023-05-10\n主体: {人数: 12}\n");
        assert!(eval::evaluate(&program, &case, eval::Options::default()).is_ok(), "{rule}");
    }
    // A subtraction kept from below 0 is not warned of.
    let body = "条款 1「补贴」{\n  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补」\n  给予 补贴 { 金额 最大(人数 - 10人, 0人) × 1000元/人 }\n}\n";
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &policy(body))], &[("source.txt", SOURCE)]);
    assert!(ws.diagnostics.is_empty(), "{:?}", ws.diagnostics);
}

#[test]
fn a_literal_division_by_zero_does_not_check() {
    let body =
        "条款 1「补贴」{\n  原文「按每人1000元给予补贴」\n  给予 补贴 { 金额 1000元/人 × 人数 ÷ 0人 × 1人 }\n}\n";
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &policy(body))], &[("source.txt", SOURCE)]);
    let shown = policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain);
    assert!(ws.program.is_none());
    assert!(ws.diagnostics.iter().any(|d| d.code == "P0205" && d.message == "除数为零"), "{shown}");
}

#[test]
fn overflow_is_an_error_naming_the_expression() {
    let body = "条款 1「补贴」{
  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元」
  给予 补贴 { 金额 1000元/人 × 人数 × 人数 × 人数 ÷ 1人 ÷ 1人 }
}
";
    let (program, case) = load(body, "日期: 2023-05-10\n主体: {人数: 10000000000000000000}\n");
    let err = eval::evaluate(&program, &case, eval::Options::default()).expect_err("overflow");
    assert!(err.to_string().contains("溢出") && err.to_string().contains("人数"), "{err}");
}

/// A rule already refused by one condition still reports an overflow in a
/// later one, when deciding as when writing reasons: conditions are skipped
/// after a refusal only when they cannot overflow.
#[test]
fn an_overflow_after_a_refusal_is_still_an_error() {
    let body = "条款 1「补贴」{
  原文「按每人1000元给予补贴，10人以上的再按每10人1万元给予奖补，最高不超过20万元」
  给予 补贴 {
    条件 人数 < 10人
    条件 人数 × 人数 ÷ 1人 >= 10人
    金额 1000元
  }
}
";
    let (program, case) = load(body, "日期: 2023-05-10\n主体: {人数: 10000000000000000000}\n");
    let mut evaluator = eval::Evaluator::new(&program);
    let decided = evaluator.decide(&case, &mut Vec::new()).expect_err("overflow when deciding");
    let evaluated = evaluator.evaluate(&case, eval::Options::default()).expect_err("overflow with reasons");
    assert_eq!(decided.to_string(), evaluated.to_string());
    assert!(decided.to_string().contains("溢出"), "{decided}");
}

/// `--trace` lists, for every ruling, its definitions, each condition with
/// its value, and the amount with its cap; without it there is no 追踪.
#[test]
fn the_trace_shows_definitions_conditions_and_caps() {
    let program = workspace::load(&[std::path::PathBuf::from("policies")]).program.unwrap();
    let mut sources = SourceMap::default();
    let path = std::path::Path::new("tests/cases/攀枝花/攀-01-企业吸纳25人.yaml");
    let (c, _) = case::load_file(&program, &mut sources, path).unwrap();
    let traced = eval::evaluate(&program, &c, eval::Options { trace: true }).unwrap();
    let find = |clause: &str, benefit: &str| {
        traced.rulings.iter().find(|r| &*r.clause == clause && &*r.benefit == benefit).unwrap().trace.clone()
    };
    // 25 qualified people: 1万元 per 10 people, under the 20万元 cap.
    let bonus = find("5", "一次性奖补");
    for line in [
        "设 合格人数 = 25人",
        "单位性质 为 企业 → 成立",
        "合格人数 >= 10人 → 成立",
        "金额 1万元 × 向下取整(25人 ÷ 10人) = 20000元",
        "最高限额 20万元 = 200000元",
    ] {
        assert!(bonus.iter().any(|l| l == line), "missing「{line}」in {bonus:#?}");
    }
    // A refusal is traced too: the failed condition shows why.
    let refused = find("2", "就业创业服务补助");
    assert!(refused.iter().any(|l| l == "输出合格人数 >= 1人 → 不成立"), "{refused:#?}");
    // The trace changes nothing else.
    let plain = eval::evaluate(&program, &c, eval::Options::default()).unwrap();
    assert!(plain.rulings.iter().all(|r| r.trace.is_empty()));
    let mut stripped = traced.clone();
    stripped.rulings.iter_mut().for_each(|r| r.trace.clear());
    assert_eq!(stripped, plain);
    assert!(!policyc::report::json(&plain).contains("追踪"));
}

/// Reasons cite each failed condition, however many a rule has (34
/// conditions, the last one different), and only those.
#[test]
fn every_failed_condition_is_cited_however_many_there_are() {
    let conditions = "  条件 人数 >= 1人\n".repeat(33) + "  条件 人数 >= 10人\n";
    let body = format!(
        "条款 1「补贴」{{\n  原文「按每人1000元给予补贴，10人以上的」\n  给予 补贴 {{\n{conditions}  金额 1000元/人 × 人数\n  }}\n}}\n"
    );
    let e = eval_case(&body, "日期: 2023-05-10\n主体: {人数: 7}\n");
    let r = ruling(&e, "补贴");
    assert_eq!(r.outcome, Outcome::Refused);
    assert_eq!(r.reasons, ["不符合：人数 >= 10人（人数 = 7人）"]);
    let none = eval_case(&body, "日期: 2023-05-10\n主体: {人数: 0}\n");
    let r = ruling(&none, "补贴");
    assert_eq!(r.reasons.len(), 34, "{:?}", r.reasons);
    assert_eq!(r.reasons[0], "不符合：人数 >= 1人（人数 = 0人）");
    let granted = eval_case(&body, "日期: 2023-05-10\n主体: {人数: 12}\n");
    let r = ruling(&granted, "补贴");
    assert_eq!(r.amount, dec("12000"));
    assert_eq!(r.reasons.len(), 35, "34 conditions and the amount: {:?}", r.reasons);
    assert_eq!(r.reasons[33], "符合：人数 >= 10人（人数 = 12人）");
}

/// A rule group's verdict is remembered from case to case, and given again
/// only to a case with the same facts for the group: here an amount that
/// reads a fact directly, and rules of one name for different applicants.
#[test]
fn remembered_verdicts_follow_every_fact_a_group_reads() {
    let body = "条款 4「老区」{
  原文「每天50元，老区上浮20%」
  给予 生活费 优先级 2 { 对象 单位  条件 老区  金额 50元/天 × (1 + 20%) × 天数 }
  给予 生活费 { 对象 个人  金额 50元/天 × 天数 }
}
";
    let (program, _) = load(body, "日期: 2023-05-10\n主体: {}\n");
    let mut sources = SourceMap::default();
    let mut remembering = eval::Evaluator::new(&program);
    let subjects = [
        ("{类型: 个人, 天数: 3, 老区: 是}", Some("150")),
        ("{类型: 个人, 天数: 4, 老区: 是}", Some("200")),
        ("{类型: 单位, 天数: 3, 老区: 是}", Some("180")),
        ("{类型: 单位, 天数: 4, 老区: 是}", Some("240")),
        ("{类型: 个人, 天数: 3, 老区: 是}", Some("150")),
        ("{类型: 单位, 天数: 3, 老区: 否}", None),
    ];
    for (round, (subject, amount)) in subjects.iter().enumerate() {
        let file = sources.add(format!("{round}.yaml"), format!("文件: 测试\n日期: 2023-05-10\n主体: {subject}\n"));
        let (case, _) = case::load(&program, &sources, file, Format::Yaml).expect("valid case");
        let remembered = remembering.evaluate(&case, eval::Options::default()).unwrap();
        let worked_out =
            eval::Evaluator::new(&program).remembering(false).evaluate(&case, eval::Options::default()).unwrap();
        assert_eq!(remembered, worked_out, "{subject}");
        assert_eq!(ruling(&remembered, "生活费").amount, amount.and_then(dec), "{subject}");
    }
}

/// In 且 a false part decides and in 或 a true one, even past a missing
/// fact before it; otherwise the first missing fact, in the order written,
/// is the one named. 甲 and 乙 compile to plain tests, 丙 to nested ones.
#[test]
fn a_deciding_part_wins_over_a_missing_fact_and_the_first_missing_is_named() {
    let body = "条款 1「补贴」{
  原文「按每人1000元给予补贴」
  给予 甲 { 条件 等级 为 甲 且 户籍 为 本地  金额 1000元 }
  给予 乙 { 条件 等级 为 甲 或 户籍 为 本地  金额 1000元 }
  给予 丙 { 条件 (等级 为 甲 或 老区) 且 非 (户籍 为 外地)  金额 1000元 }
}
";
    // Per benefit: granted, refused by a part, or the fact named missing.
    let cases = [
        ("{}", ["等级", "等级", "等级"]),
        ("{户籍: 外地}", ["不予", "等级", "不予"]),
        ("{户籍: 本地}", ["等级", "给予", "等级"]),
        ("{等级: 乙}", ["不予", "户籍", "不予"]),
        ("{等级: 甲}", ["户籍", "给予", "户籍"]),
    ];
    for (subject, wants) in cases {
        let e = eval_case(body, &format!("日期: 2023-05-10\n主体: {subject}\n"));
        for (benefit, want) in ["甲", "乙", "丙"].into_iter().zip(wants) {
            let r = ruling(&e, benefit);
            let got = match (r.outcome, r.reasons.first()) {
                (Outcome::Granted, _) => "给予".to_string(),
                (Outcome::Refused, Some(why)) if why.starts_with("不符合：") => "不予".to_string(),
                (Outcome::Refused, Some(why)) => {
                    let missing = why.split("缺少事实「主体.").nth(1).and_then(|rest| rest.split('」').next());
                    missing.unwrap_or_else(|| panic!("{subject} {benefit}: {why}")).to_string()
                }
                _ => panic!("{subject} {benefit}: {r:?}"),
            };
            assert_eq!(got, want, "{subject} {benefit}: {:?}", r.reasons);
        }
    }
}

/// A reason shows an amount's expression as written, brackets whole, and
/// messages bracket a sum inside a product.
#[test]
fn a_bracketed_operand_keeps_its_brackets_in_reasons_and_messages() {
    let body = "条款 1「补贴」{\n  原文「按每人1000元给予补贴」\n  给予 补贴 { 条件 人数 >= 1人  金额 (人数 - 1人) × 1000元/人 }\n}\n";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {人数: 3}\n");
    let r = ruling(&e, "补贴");
    // (3 - 1) × 1000 = 2000, by hand.
    assert_eq!(r.amount, dec("2000"));
    assert!(
        r.reasons.iter().any(|x| x == "金额：(人数 - 1人) × 1000元/人 = (3人 - 1人) × 1000元/人 = 2000元"),
        "{:?}",
        r.reasons
    );
    let unguarded = body.replace("条件 人数 >= 1人  ", "");
    let (program, case) = load(&unguarded, "日期: 2023-05-10\n主体: {人数: 0}\n");
    let err = eval::evaluate(&program, &case, eval::Options::default()).expect_err("negative");
    assert!(err.to_string().contains("「(人数 - 1人) × 1000元/人」得出 -1000元"), "{err}");
}

/// A date shifted out of the calendar is told as a date, not as a number
/// overflow, with the document and clause named.
#[test]
fn a_date_out_of_range_is_told_as_a_date() {
    let body = "条款 5「补贴」{\n  原文「登记满6个月的给予1万元，政策执行至2021年底」\n  给予 补贴 { 条件 登记日期 + 月数 <= 裁定日期  金额 1万元 }\n}\n";
    let (program, case) = load(body, "日期: 2021-05-10\n主体: {登记日期: 2021-01-01, 月数: 200000}\n");
    let err = eval::evaluate(&program, &case, eval::Options::default()).expect_err("date out of range");
    assert_eq!(err.code(), "P0602");
    assert_eq!(err.to_string(), "日期超出范围：测试 条款 5 的「登记日期 + 月数」得出的日期不在 1 年至 9999 年之间");
    // 6 months fit: granted 1万元.
    let e = eval_case(body, "日期: 2021-08-10\n主体: {登记日期: 2021-01-01, 月数: 6}\n");
    assert_eq!(ruling(&e, "补贴").amount, dec("10000"));
}

const YEARLY: &str = "条款 8「补贴」{
  原文「每次给予800元，每人每年最高不超过2000元」
  给予 补贴 { 金额 800元  每年最高 2000元 }
}
";

/// `每年最高`: this year's claims come off the yearly limit (a claim
/// without an amount as the whole limit); claims of other years, of other
/// documents and dated after the case do not count.
#[test]
fn a_yearly_limit_takes_off_this_years_claims() {
    let amount = |claims: &str| {
        let e = eval_case(YEARLY, &format!("日期: 2024-06-01\n主体:\n  享受记录: [{claims}]\n"));
        let r = ruling(&e, "补贴").clone();
        (r.outcome, r.amount, r.reasons)
    };
    // None yet: 800元.
    assert_eq!(amount("").1, dec("800"));
    // 800 + 800 taken: 2000 - 1600 = 400 left.
    let (outcome, a, reasons) =
        amount("{项目: 补贴, 日期: 2024-01-10, 金额: 800}, {项目: 补贴, 日期: 2024-03-10, 金额: 800}");
    assert_eq!((outcome, a), (Outcome::Granted, dec("400")));
    assert!(
        reasons
            .contains(&"2024年已享受「补贴」1600元（2024-01-10 800元、2024-03-10 800元），本年尚余 400元".to_string()),
        "{reasons:?}"
    );
    // 800 + 800 + 400: nothing left.
    let (outcome, _, reasons) = amount(
        "{项目: 补贴, 日期: 2024-01-10, 金额: 800}, {项目: 补贴, 日期: 2024-03-10, 金额: 800}, {项目: 补贴, 日期: 2024-05-10, 金额: 400}",
    );
    assert_eq!(outcome, Outcome::Refused);
    assert!(reasons.iter().any(|r| r.contains("每年最高 2000元，已无余额")), "{reasons:?}");
    // A claim without an amount counts as the whole limit.
    let (outcome, _, reasons) = amount("{项目: 补贴, 日期: 2024-02-01}");
    assert_eq!(outcome, Outcome::Refused);
    assert!(reasons.iter().any(|r| r.contains("2024-02-01 未记金额，按 2000元 计")), "{reasons:?}");
    // Last year's claims, another document's, and a claim after the case's date do not count.
    assert_eq!(amount("{项目: 补贴, 日期: 2023-12-31, 金额: 2000}").1, dec("800"));
    assert_eq!(amount("{项目: 补贴, 日期: 2024-01-10, 金额: 2000, 文件: 别的文件}").1, dec("800"));
    assert_eq!(amount("{项目: 补贴, 日期: 2024-01-10, 金额: 2000, 文件: 测试}").0, Outcome::Refused);
    let (outcome, a, reasons) = amount("{项目: 补贴, 日期: 2024-07-01, 金额: 2000}");
    assert_eq!((outcome, a), (Outcome::Granted, dec("800")));
    assert!(
        reasons.contains(&"享受记录中 2024-07-01 的「补贴」晚于裁定日期 2024-06-01，不计入".to_string()),
        "{reasons:?}"
    );
    // Decisions without words agree.
    let (program, case) =
        load(YEARLY, "日期: 2024-06-01\n主体:\n  享受记录: [{项目: 补贴, 日期: 2024-01-10, 金额: 1500}]\n");
    let mut decisions = Vec::new();
    let total = eval::Evaluator::new(&program).decide(&case, &mut decisions).unwrap();
    assert_eq!(total, Decimal::new(500, 0));
}

/// A claim dated after the case's date does not block a one-time benefit
/// (it used to), and the reason says it was left out.
#[test]
fn a_claim_after_the_case_does_not_count() {
    let e = eval_case(HISTORY, "日期: 2023-05-10\n主体:\n  享受记录:\n    - {项目: 奖励, 日期: 2023-06-01}\n");
    let r = ruling(&e, "奖励");
    assert_eq!(r.outcome, Outcome::Granted, "{:?}", r.reasons);
    assert_eq!(r.amount, dec("800"));
    assert!(
        r.reasons.iter().any(|x| x == "享受记录中 2023-06-01 的「奖励」晚于裁定日期 2023-05-10，不计入"),
        "{:?}",
        r.reasons
    );
    let e = eval_case(HISTORY, "日期: 2023-05-10\n主体:\n  享受记录:\n    - {项目: 奖励, 日期: 2023-05-10}\n");
    assert_eq!(ruling(&e, "奖励").outcome, Outcome::Refused, "a claim on the case's date counts");
}

/// `不低于`: alone or with `不超过` the ruling is 待定 with 金额下限 (and
/// 金额上限); with a fixed amount it raises the amount to the floor.
#[test]
fn floors_are_pending_bounds_or_raise_a_fixed_amount() {
    let body = "条款 9「补助」{
  原文「每人补助不低于500元，不超过1500元；按每天30元计发的，不低于300元」
  给予 补助 { 不低于 500元  不超过 1500元 }
  给予 保底补助 { 不低于 500元 }
  给予 日补助 { 金额 30元/天 × 天数  不低于 300元 }
}
";
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 4}\n");
    let r = ruling(&e, "补助");
    assert_eq!((r.outcome, r.amount, r.ceiling, r.floor), (Outcome::Pending, None, dec("1500"), dec("500")));
    assert!(r.reasons.iter().any(|x| x == "不低于 500元"), "{:?}", r.reasons);
    let r = ruling(&e, "保底补助");
    assert_eq!((r.outcome, r.ceiling, r.floor), (Outcome::Pending, None, dec("500")));
    // 30 × 4 = 120 < 300: raised to 300.
    let r = ruling(&e, "日补助");
    assert_eq!((r.outcome, r.amount, r.floor), (Outcome::Granted, dec("300"), None));
    assert!(r.reasons.iter().any(|x| x == "低于 300元，按 300元 给予"), "{:?}", r.reasons);
    // 30 × 20 = 600 > 300: as computed.
    let e = eval_case(body, "日期: 2023-05-10\n主体: {天数: 20}\n");
    assert_eq!(ruling(&e, "日补助").amount, dec("600"));
    // The ruling's JSON carries 金额下限, after 金额上限.
    let json = serde_json::to_string(ruling(&e, "补助")).unwrap();
    assert!(json.contains(r#""金额上限":"1500","金额下限":"500""#), "{json}");
    // The batch line writer says the same as serde_json.
    let (program, _) = load(body, "日期: 2023-05-10\n主体: {天数: 20}\n");
    let line = r#"{"日期":"2023-05-10","文件":"测试","主体":{"类型":"个人","天数":20}}"#;
    let mut out = Vec::new();
    policyc::batch::run(&program, line.as_bytes(), Some(&mut out), 1, eval::Options::default(), &|_| {}).unwrap();
    assert_eq!(String::from_utf8(out).unwrap().trim_end(), serde_json::to_string(&e).unwrap());
}

/// A 设 outside any clause is seen by every clause of the document; its
/// numbers must be in the document's text; a clause's own 设 of that name
/// shadows it, with a warning.
#[test]
fn document_definitions_are_seen_by_every_clause() {
    let text = policy(
        "设 合格人数 = 计数 成员 其中 合格 且 月数 >= 6个月
条款 1「补贴」{
  原文「按每人1000元给予补贴」
  给予 补贴 { 条件 合格人数 >= 1人  金额 1000元/人 × 合格人数 }
}
条款 7「以工代训」{
  原文「每人每月200元，最长不超过6个月」
  给予 以工代训补贴 { 金额 200元/人/月 × 合格人数 × 6个月 }
}
",
    );
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &text)], &[("source.txt", SOURCE)]);
    assert!(ws.diagnostics.is_empty(), "{:?}", ws.diagnostics);
    let program = ws.program.unwrap();
    let mut sources = SourceMap::default();
    let file = sources.add(
        "case.yaml",
        "文件: 测试\n日期: 2023-05-10\n主体: {类型: 个人, 成员: [{合格: 是, 月数: 6}, {合格: 是, 月数: 2}, {合格: 是, 月数: 9}]}\n",
    );
    let (case, _) = case::load(&program, &sources, file, Format::Yaml).unwrap();
    let e = eval::evaluate(&program, &case, eval::Options::default()).unwrap();
    // Two members of 6 months or more: 2 × 1000 = 2000; 200 × 2 × 6 = 2400.
    assert_eq!(ruling(&e, "补贴").amount, dec("2000"));
    assert_eq!(ruling(&e, "以工代训补贴").amount, dec("2400"));

    // A number the document does not have; a clause shadowing the name.
    let text = policy(
        "设 门槛 = 7个月
设 合格人数 = 计数 成员 其中 合格
条款 1「补贴」{
  原文「按每人1000元给予补贴」
  设 合格人数 = 计数 成员
  给予 补贴 { 金额 1000元/人 × 合格人数 }
}
",
    );
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &text)], &[("source.txt", SOURCE)]);
    let shown = policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain);
    assert!(
        ws.diagnostics.iter().any(|d| d.code == "P0302" && d.message == "数值「7个月」没有出现在本文件原文中"),
        "{shown}"
    );
    let shadow = ws.diagnostics.iter().find(|d| d.code == "P0109").expect(&shown);
    assert_eq!(shadow.message, "本条的「合格人数」遮蔽了文件级的定义");
    assert_eq!(shadow.secondary.len(), 1);
}

const BANDS: &str = "条款 10「稳岗奖补」{
  原文「稳岗人数40人以上的给予10万元；20—39人的给予7万元；10—19人的给予4万元」
  给予 稳岗奖补 { 金额 分档 人数 { 40人以上：10万元；20—39人：7万元；10—19人：4万元 } }
}
";

/// Bands of a number: `N以上` is ≥ N, `A—B` is A ≤ x ≤ B; a number in no
/// band is refused, the reason naming the number and the bands.
#[test]
fn bands_select_by_number_with_both_ends_included() {
    let amount = |n: u32| {
        let e = eval_case(BANDS, &format!("日期: 2023-05-10\n主体: {{人数: {n}}}\n"));
        ruling(&e, "稳岗奖补").clone()
    };
    // From the document: 40 and more 10万元, 20 to 39 7万元, 10 to 19 4万元.
    for (n, want) in [(45, "100000"), (40, "100000"), (39, "70000"), (20, "70000"), (19, "40000"), (10, "40000")] {
        assert_eq!(amount(n).amount, dec(want), "{n}");
    }
    let r = amount(9);
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(
        r.reasons.iter().any(|x| x.contains("人数为 9人，不在本条规定的档次中（40人以上、20—39人、10—19人）")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn bands_that_overlap_or_do_not_fit_the_field_are_errors() {
    let check = |rule: &str, source_line: &str| {
        let body = format!("条款 10「稳岗奖补」{{\n  原文「{source_line}」\n  给予 稳岗奖补 {{ 金额 {rule} }}\n}}\n");
        let ws = workspace::load_texts(
            &[("v.policy", VOCAB), ("p.policy", &policy(&body))],
            &[(
                "source.txt",
                &format!("10.稳岗奖补。{source_line}。\n本办法自2021年1月1日起施行，至2025年12月31日止。\n"),
            )],
        );
        ws.diagnostics.iter().map(|d| (d.code, d.message.clone(), d.secondary.len())).collect::<Vec<_>>()
    };
    let d = check("分档 人数 { 20人以上：7万元；10—20人：4万元 }", "20人以上的给予7万元；10—20人的给予4万元");
    assert_eq!(d, [("P0207", "档「10—20人」与档「20人以上」重叠".to_string(), 1)]);
    let d = check("分档 登记日期 { 20人以上：7万元 }", "20人以上的给予7万元");
    assert_eq!(d[0].0, "P0202");
    assert!(d[0].1.contains("「分档」只能按枚举字段或数值分档，这里是日期"), "{d:?}");
    let d = check("分档 等级 { 20人以上：7万元 }", "20人以上的给予7万元");
    assert_eq!((d[0].0, d[0].1.as_str()), ("P0202", "按枚举分档，各档应写取值"));
    let d = check("分档 人数 { 20天以上：7万元 }", "20天以上的给予7万元");
    assert_eq!(d[0].0, "P0201", "{d:?}");
    // A band not in the text is not cited.
    let d = check("分档 人数 { 30人以上：7万元 }", "20人以上的给予7万元");
    assert!(d.iter().any(|(c, m, _)| *c == "P0302" && m == "档「30人以上」没有出现在本条原文中"), "{d:?}");
}

/// In a sum over a list, a member whose value is in no tier adds nothing,
/// and the reason names it; the other members still count.
#[test]
fn a_member_in_no_tier_is_left_out_of_a_sum() {
    let body = "条款 3「引进」{
  原文「甲档300元/人/月、乙档200元/人/月，最长不超过3年」
  设 补助 = 合计 成员 的 (分档 等级 { 甲：300元/人/月；乙：200元/人/月 } × 月数)
  给予 引进补助 { 金额 补助 }
}
";
    let e = eval_case(
        body,
        "日期: 2023-05-10\n主体:\n  成员: [{等级: 甲, 月数: 2}, {等级: 乙, 月数: 3}, {等级: 丙, 月数: 1}]\n",
    );
    let r = ruling(&e, "引进补助");
    // 300 × 2 + 200 × 3 = 1200; 丙 has no tier.
    assert_eq!((r.outcome, r.amount), (Outcome::Granted, dec("1200")));
    assert!(
        r.reasons.iter().any(|x| x.starts_with("未计入：主体.成员[2]（") && x.contains("「丙」")),
        "{:?}",
        r.reasons
    );
    let (program, case) = load(body, "日期: 2023-05-10\n主体:\n  成员: [{等级: 丙, 月数: 1}, {等级: 甲, 月数: 1}]\n");
    let mut decisions = Vec::new();
    assert_eq!(eval::Evaluator::new(&program).decide(&case, &mut decisions).unwrap(), Decimal::new(300, 0));
}

const TABLE_VOCAB: &str = "词汇 {
  类型：枚举 { 个人、单位 }
  车间评估等次：枚举 { 优秀、良好、合格 }
  稳岗人数：数 人
}
";

const TABLE_SOURCE: &str = "1.稳岗奖补。按评估等次和稳岗人数给予奖补：优秀的，40人以上10万元、20—39人7万元、10—19人4万元；良好的，40人以上8万元、20—39人5万元、10—19人3万元；合格的，40人以上6万元、20—39人3万元、10—19人2万元。\n本办法自2021年1月1日起施行，至2025年12月31日止。\n";

fn table_policy(last_cell: &str) -> String {
    format!(
        "文件「测试」{{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}}\n条款 1「稳岗奖补」{{\n  原文「优秀的，40人以上10万元、20—39人7万元、10—19人4万元；良好的，40人以上8万元、20—39人5万元、10—19人3万元；合格的，40人以上6万元、20—39人3万元、10—19人2万元」\n  给予 稳岗奖补 {{\n    金额 表 车间评估等次 × 稳岗人数 {{\n      |      | 40人以上 | 20—39人 | 10—19人 |\n      | 优秀 | 10万元   | 7万元   | 4万元   |\n      | 良好 | 8万元    | 5万元   | 3万元   |\n      | 合格 | 6万元    | 3万元   | {last_cell}   |\n    }}\n  }}\n}}\n"
    )
}

/// A two-way table as documents print it: rows by an enum, columns by
/// bands of a number; a cell of — has no standard; a value in no column
/// or row is refused with a reason.
#[test]
fn a_two_way_table_selects_by_row_and_column() {
    let program = |last: &str| {
        let text = table_policy(last);
        let ws =
            workspace::load_texts(&[("v.policy", TABLE_VOCAB), ("p.policy", &text)], &[("source.txt", TABLE_SOURCE)]);
        assert!(
            ws.diagnostics.is_empty(),
            "{}",
            policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain)
        );
        ws.program.unwrap()
    };
    let rule = |program: &Program, subject: &str| {
        let mut sources = SourceMap::default();
        let file = sources.add("case.yaml", format!("文件: 测试\n日期: 2023-05-10\n主体: {{类型: 单位, {subject}}}\n"));
        let (case, _) = case::load(program, &sources, file, Format::Yaml).unwrap();
        let e = eval::evaluate(program, &case, eval::Options::default()).unwrap();
        ruling(&e, "稳岗奖补").clone()
    };
    let p = program("2万元");
    // From the document's table.
    for (grade, n, want) in [
        ("优秀", 45, "100000"),
        ("优秀", 40, "100000"),
        ("良好", 39, "50000"),
        ("良好", 20, "50000"),
        ("合格", 19, "20000"),
        ("合格", 10, "20000"),
        ("合格", 40, "60000"),
    ] {
        let r = rule(&p, &format!("车间评估等次: {grade}, 稳岗人数: {n}"));
        assert_eq!(r.amount, dec(want), "{grade} {n}: {:?}", r.reasons);
    }
    let r = rule(&p, "车间评估等次: 优秀, 稳岗人数: 9");
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(
        r.reasons.iter().any(|x| x.contains("稳岗人数为 9人，不在本条规定的档次中（40人以上、20—39人、10—19人）")),
        "{:?}",
        r.reasons
    );
    let r = rule(&p, "稳岗人数: 45");
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(r.reasons.iter().any(|x| x.contains("缺少事实「主体.车间评估等次」")), "{:?}", r.reasons);
    let p = program("—");
    let r = rule(&p, "车间评估等次: 合格, 稳岗人数: 12");
    assert_eq!(r.outcome, Outcome::Refused);
    assert!(r.reasons.iter().any(|x| x.contains("未规定标准")), "{:?}", r.reasons);
    assert_eq!(rule(&p, "车间评估等次: 合格, 稳岗人数: 22").amount, dec("30000"));
}

/// Per cell, units are checked; a row of the wrong length says so.
#[test]
fn a_tables_cells_are_checked() {
    let check = |text: String| {
        let ws =
            workspace::load_texts(&[("v.policy", TABLE_VOCAB), ("p.policy", &text)], &[("source.txt", TABLE_SOURCE)]);
        ws.diagnostics.iter().map(|d| (d.code, d.message.clone())).collect::<Vec<_>>()
    };
    let d = check(table_policy("2人"));
    assert!(d.iter().any(|(c, m)| *c == "P0201" && m == "各档的单位要相同"), "{d:?}");
    let d = check(table_policy("2万元").replace("| 3万元   | 2万元   |", "| 3万元   |"));
    assert!(d.iter().any(|(c, m)| *c == "P0202" && m == "表的这一行有 2 格，表头有 3 列"), "{d:?}");
}

/// A clause without a number is known by its title, which the document
/// holds after a —— bullet; coverage counts the bullets as clauses.
#[test]
fn a_clause_without_a_number_is_anchored_by_its_title() {
    let source = "一、稳岗措施\n——稳岗补助。吸纳脱贫人口的，每人给予1000元稳岗补助。\n——宣传引导。做好宣传。本办法自2021年1月1日起施行，至2025年12月31日止。\n";
    let rules = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n\
条款 「稳岗补助」{\n  原文「吸纳脱贫人口的，每人给予1000元稳岗补助」\n  设 合格人数 = 计数 成员 其中 合格\n  给予 稳岗补助 { 条件 合格人数 >= 1人  金额 1000元/人 × 合格人数 }\n}\n指导 「宣传引导」\n";
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", rules)], &[("source.txt", source)]);
    assert!(ws.diagnostics.is_empty(), "{:?}", ws.diagnostics);
    let ids: Vec<(&str, policyc::check::CoverageStatus)> =
        ws.coverage[0].clauses.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        ids,
        [("稳岗补助", policyc::check::CoverageStatus::Encoded), ("宣传引导", policyc::check::CoverageStatus::Guidance)]
    );
    let program = ws.program.unwrap();
    let mut sources = SourceMap::default();
    let file =
        sources.add("case.yaml", "文件: 测试\n日期: 2023-05-10\n主体: {类型: 单位, 成员: [{合格: 是}, {合格: 是}]}\n");
    let (case, _) = case::load(&program, &sources, file, Format::Yaml).unwrap();
    let e = eval::evaluate(&program, &case, eval::Options::default()).unwrap();
    let r = ruling(&e, "稳岗补助");
    // 1000 × 2 = 2000; the ruling's 条款 is the title.
    assert_eq!((&*r.clause, r.amount), ("稳岗补助", dec("2000")));
    // A title the document does not have.
    let wrong = rules.replace("条款 「稳岗补助」", "条款 「稳岗奖补」");
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", &wrong)], &[("source.txt", source)]);
    assert!(
        ws.diagnostics.iter().any(|d| d.code == "P0303" && d.message == "原文件中没有条款「稳岗奖补」"),
        "{:?}",
        ws.diagnostics
    );
    // fmt keeps the clause without a number.
    assert!(common_fmt(rules).contains("条款 「稳岗补助」{"));
}

fn common_fmt(text: &str) -> String {
    let mut map = SourceMap::default();
    let id = map.add("p.policy", text);
    let module = policyc::syntax::parse(id, text).unwrap();
    policyc::format::format(text, &module)
}

/// A yearly limit on a benefit whose amount is left to others makes the
/// ruling pending with what is left as its ceiling; claims without an
/// amount count as the whole limit in the reason.
#[test]
fn a_yearly_limit_without_an_amount_is_the_ceiling() {
    let body = "条款 8「补贴」{\n  原文「每次给予800元，每人每年最高不超过2000元」\n  给予 补贴 { 按规定  每年最高 2000元 }\n}\n";
    let r = |claims: &str| {
        let e = eval_case(body, &format!("日期: 2024-06-01\n主体:\n  享受记录: [{claims}]\n"));
        ruling(&e, "补贴").clone()
    };
    let none = r("");
    assert_eq!((none.outcome, none.ceiling), (Outcome::Pending, dec("2000")));
    let some = r("{项目: 补贴, 日期: 2024-01-10, 金额: 500}");
    assert_eq!((some.outcome, some.ceiling), (Outcome::Pending, dec("1500")));
    assert!(
        some.reasons.iter().any(|x| x == "2024年已享受「补贴」500元（2024-01-10 500元），本年尚余 1500元"),
        "{:?}",
        some.reasons
    );
    // A fixed amount with a claim without its 金额 beside one with it.
    let fixed = "条款 8「补贴」{\n  原文「每次给予800元，每人每年最高不超过2000元」\n  给予 补贴 { 金额 800元  每年最高 2000元 }\n}\n";
    let e = eval_case(fixed, "日期: 2024-06-01\n主体:\n  享受记录: [{项目: 补贴, 日期: 2024-01-10, 金额: 1500}]\n");
    let r = ruling(&e, "补贴");
    assert_eq!(r.amount, dec("500"));
    assert!(
        r.reasons.iter().any(|x| x == "2024年已享受「补贴」1500元（2024-01-10 1500元），本年尚余 500元"),
        "{:?}",
        r.reasons
    );
}
