#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Properties over generated cases and rule texts (proptest).

use std::path::PathBuf;
use std::sync::OnceLock;

use common::fmt;
use policyc::diag::SourceMap;
use policyc::eval::{self, Evaluation, Options, Outcome};
use policyc::ir::Program;
use policyc::{batch, case, workspace};
use proptest::prelude::*;
use rust_decimal::Decimal;

mod common;

fn program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| workspace::load(&[PathBuf::from("policies")]).program.unwrap())
}

#[derive(Debug, Clone)]
struct Member {
    poor: bool,
    months: u32,
    insured: bool,
    stable: u32,
}

fn member() -> impl Strategy<Value = Member> {
    (any::<bool>(), 0u32..40, any::<bool>(), 0u32..20).prop_map(|(poor, months, insured, stable)| Member {
        poor,
        months,
        insured,
        stable,
    })
}

#[derive(Debug, Clone)]
struct Unit {
    kind: &'static str,
    members: Vec<Member>,
    date: (i32, u32, u32),
}

fn unit() -> impl Strategy<Value = Unit> {
    let kinds = prop::sample::select(vec!["企业", "农民专业合作社", "家庭农场", "人力资源服务机构", "技工院校"]);
    (kinds, prop::collection::vec(member(), 0..400), (2021i32..2027, 1u32..13, 1u32..29))
        .prop_map(|(kind, members, date)| Unit { kind, members, date })
}

fn json(u: &Unit, members: &[Member]) -> String {
    let ms: Vec<String> = members
        .iter()
        .map(|m| {
            format!(
                r#"{{"脱贫人口":{},"劳动合同月数":{},"参加社会保险":{},"稳定就业月数":{}}}"#,
                m.poor, m.months, m.insured, m.stable
            )
        })
        .collect();
    let (y, mo, d) = u.date;
    format!(
        r#"{{"日期":"{y:04}-{mo:02}-{d:02}","文件":["攀人社发〔2022〕143号","示例县细则"],"主体":{{"类型":"单位","单位性质":"{}","吸纳人员":[{}]}}}}"#,
        u.kind,
        ms.join(",")
    )
}

fn evaluate(text: &str) -> Evaluation {
    let mut sources = SourceMap::default();
    let file = sources.add("case.json", text);
    let (c, _) = case::load(program(), &sources, file, case::Format::Json).unwrap();
    eval::evaluate(program(), &c, Options::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Caps hold, amounts are never negative, and 合计 is the sum of grants.
    #[test]
    fn caps_hold_and_amounts_are_never_negative(u in unit()) {
        let e = evaluate(&json(&u, &u.members));
        let mut sum = Decimal::ZERO;
        for r in &e.rulings {
            if let Some(a) = r.amount {
                prop_assert!(a > Decimal::ZERO, "{r:?}");
                prop_assert_eq!(r.outcome, Outcome::Granted);
                sum += a;
            }
            if &*r.benefit == "一次性奖补" && (&*r.clause == "5" || &*r.clause == "一") {
                prop_assert!(r.amount.unwrap_or_default() <= Decimal::from(200_000), "{r:?}");
            }
            if r.outcome == Outcome::Pending {
                prop_assert!(r.amount.is_none());
            }
        }
        prop_assert_eq!(sum, e.total);
    }

    /// The same case gives the same rulings, whatever the order of its members.
    #[test]
    fn evaluation_is_deterministic_and_order_independent(u in unit(), seed in any::<u64>()) {
        let first = evaluate(&json(&u, &u.members));
        prop_assert_eq!(&first, &evaluate(&json(&u, &u.members)));
        let mut shuffled = u.members.clone();
        let n = shuffled.len();
        if n > 1 {
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
        }
        prop_assert_eq!(&first, &evaluate(&json(&u, &shuffled)));
    }

    /// `batch` gives each case exactly what `eval` gives.
    #[test]
    fn batch_equals_eval(units in prop::collection::vec(unit(), 1..6)) {
        let lines: Vec<String> = units.iter().map(|u| json(u, &u.members)).collect();
        let input = lines.join("\n");
        let mut out = Vec::new();
        batch::run(program(), input.as_bytes(), Some(&mut out), 2, Options::default(), &|_| {}).unwrap();
        let got: Vec<String> = String::from_utf8(out).unwrap().lines().map(String::from).collect();
        let want: Vec<String> = lines.iter().map(|l| serde_json::to_string(&evaluate(l)).unwrap()).collect();
        prop_assert_eq!(got, want);
    }
}

// ------------------------------------------------------------ fmt round trip

fn condition() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "脱贫人口".to_string(),
        "参加社会保险".to_string(),
        "人数 >= 10人".to_string(),
        "人数 < 1人".to_string(),
        "等级 为 甲".to_string(),
        "等级 属于 { 甲、乙 }".to_string(),
        "(计数 成员 其中 合格) >= 1人".to_string(),
    ]);
    atom.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} 且 {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} 或 {b})")),
            inner.prop_map(|a| format!("非 ({a})")),
        ]
    })
}

fn amount() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "10元/人 × 人数".to_string(),
        "20元".to_string(),
        "10元 × 向下取整(人数 ÷ 10人)".to_string(),
    ]);
    atom.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            inner.prop_map(|a| format!("({a}) × (1 + 20%)")),
        ]
    })
}

const VOCAB: &str = "词汇 { 脱贫人口：布尔  参加社会保险：布尔  人数：数 人  等级：枚举 { 甲、乙、丙 }  成员：列表 人 { 合格：布尔 } }\n";
const SOURCE: &str = "1.按10元/人、20元给予补贴，10人以上的，上浮20%。\n";

fn lowered(text: &str) -> serde_json::Value {
    let ws = workspace::load_texts(&[("v.policy", VOCAB), ("p.policy", text)], &[("s.txt", SOURCE)]);
    assert!(
        !ws.has_errors(),
        "{}\n{}",
        text,
        policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain)
    );
    common::meaning(&ws.program.unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// fmt is idempotent and the formatted rules mean the same.
    #[test]
    fn fmt_round_trip(cond in condition(), amount in amount(), spaces in 1usize..4) {
        let pad = " ".repeat(spaces);
        let text = format!(
            "文件「测试」{{ 原文件「s.txt」 施行 自2021年1月1日 至2025年12月31日 }}\n条款 1「补贴」{{{pad}原文「按10元/人、20元给予补贴，10人以上的，上浮20%」\n给予 补贴 {{ 条件{pad}{cond}\n金额 {amount} }} }}\n"
        );
        let once = fmt(&text);
        prop_assert_eq!(&fmt(&once), &once);
        prop_assert_eq!(lowered(&once), lowered(&text));
    }
}

/// Lines a little off the plain shape: a valid line with pieces put in
/// after its `{ [ , :` (where JSON may go on: extra members, duplicate
/// keys, other kinds of values) and a few bytes replaced anywhere.
fn edited_line() -> impl Strategy<Value = String> {
    const LINES: [&str; 3] = [
        r#"{"编号":"E1","日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{"类型":"单位","单位性质":"企业","吸纳人员":[{"脱贫人口":true,"劳动合同月数":12,"参加社会保险":true},{"脱贫人口":false}]}}"#,
        r#"{"编号":7,"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人","脱贫人口":"是","参加培训天数":2,"享受记录":[{"项目":"培训补贴","日期":"2023-01-02"}]},"期望":{"x":[1,{"y":null}]}}"#,
        r#"{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{"类型":"个人","就业地":"省外","参加培训天数":10}}"#,
    ];
    let inserted = prop::sample::select(vec![
        r#""类型":"个人","#,
        r#""脱贫人口":true,"#,
        r#""劳动合同月数":3,"#,
        r#""x":1,"#,
        r#""日期":"2023-05-11","#,
        "null,",
        "1,",
        "1.5,",
        "-1,",
        "\"a\\\"b\",",
        "{},",
        "[],",
        " ",
        "",
    ]);
    let replaced = prop::sample::select(vec!["", "\"", "\\", "{", "}", "[", "]", ",", ":", "\u{0}", "0", "e", "."]);
    (
        prop::sample::select(LINES.to_vec()),
        prop::collection::vec((any::<prop::sample::Index>(), inserted), 0..3),
        prop::collection::vec((any::<prop::sample::Index>(), replaced), 0..2),
    )
        .prop_map(|(line, inserts, replaces)| {
            let mut text = line.to_string();
            for (at, piece) in inserts {
                let points: Vec<usize> = text
                    .char_indices()
                    .filter(|(_, c)| matches!(c, '{' | '[' | ',' | ':'))
                    .map(|(i, _)| i + 1)
                    .collect();
                let point = points[at.index(points.len())];
                text.insert_str(point, piece);
            }
            for (at, piece) in replaces {
                let mut start = at.index(text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
                text.replace_range(start..end, piece);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The fast reader never panics, and whatever it accepts, the ordinary
    /// reader accepts as the same case.
    #[test]
    fn the_fast_reader_is_a_subset_of_the_ordinary_one(line in edited_line()) {
        let program = program();
        let reader = case::Reader::new(program);
        if let Some(fast) = reader.read(&line) {
            let node = case::parse_json_line(&line);
            prop_assert!(node.is_ok(), "fast accepted what JSON refuses: {line}");
            let ordinary = case::validate(program, &node.unwrap(), (policyc::diag::FileId(0), "输入"), &line);
            prop_assert_eq!(Some(fast), ordinary.ok(), "{}", line);
        }
    }
}

/// The shipped 攀枝花 rule file three times over: about 50 KB, parsed in
/// several pieces.
fn large_policy() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| std::fs::read_to_string("policies/攀人社发2022-143.policy").unwrap().repeat(3))
}

/// Text that opens or closes what a piece must not be split inside of, or
/// starts an item.
fn splice() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n条款 99「插入」{\n}\n".to_string()),
        Just("\n指导 98「插入」\n".to_string()),
        Just("「".to_string()),
        Just("」".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("//".to_string()),
        Just("“".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Parsing a file in pieces on every core gives what parsing it whole
    /// gives — the same items with the same spans, or the same errors — also
    /// when the text is edited where pieces begin and end.
    #[test]
    fn pieces_parse_like_the_whole_file(at in 0.0f64..1.0, cut in 0usize..12, insert in splice()) {
        let original = large_policy();
        let mut start = (original.len() as f64 * at) as usize;
        while !original.is_char_boundary(start) {
            start -= 1;
        }
        let end = original[start..].char_indices().nth(cut).map_or(original.len(), |(i, _)| start + i);
        let text = format!("{}{insert}{}", &original[..start], &original[end..]);
        let mut sources = SourceMap::default();
        let id = sources.add("large.policy", text.clone());
        let whole = format!("{:?}", policyc::syntax::parse(id, &text));
        let pieces = format!("{:?}", policyc::syntax::parse_files(&[(id, &text)]).pop().unwrap());
        prop_assert!(whole == pieces, "differs after editing at byte {start}");
    }
}

// ------------------------------------------------- claims (享受记录) by path

/// The evaluation of a JSON case `line`, after checking that `decide` (no
/// words) gives the same total.
fn evaluated_alike(program: &Program, line: &str) -> Evaluation {
    let mut sources = SourceMap::default();
    let file = sources.add("case.json", line);
    let (c, _) = case::load(program, &sources, file, case::Format::Json).unwrap();
    let e = eval::evaluate(program, &c, Options::default()).unwrap();
    let mut decisions = Vec::new();
    assert_eq!(eval::Evaluator::new(program).decide(&c, &mut decisions).unwrap(), e.total, "{line}");
    e
}

/// A program whose rules read claims every way: a yearly limit, a yearly
/// count, once only, an exclusion within a year; one document adopting
/// another's clause.
fn claims_program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        let vocabulary = "词汇 {\n  类型：枚举 { 个人、单位 }\n  天数：数 天\n  享受记录：列表 次 { 项目：文本  日期：日期  金额：数 元  文件：文本 }\n}\n";
        let parent = "文件「甲」{\n  原文件「甲.txt」\n  施行 自2023年1月1日 至2025年12月31日\n}\n\
条款 1「补贴」{\n  原文「每次给予800元，每人每年最高不超过2000元」\n  给予 补贴 { 金额 800元  每年最高 2000元 }\n}\n\
条款 2「其他」{\n  原文「每人每天50元，每年1次；一次性奖励300元，2024年不能同时享受补贴」\n\
  给予 生活费 { 频次 每年 1次  金额 50元/天 × 天数 }\n  给予 奖励 { 频次 一次性  互斥 补贴 于 2024年  金额 300元 }\n}\n\
条款 3「补助」{\n  原文「每人补助不低于500元，不超过1500元；按每天30元计发的，不低于300元，每年最高不超过2000元」\n\
  给予 补助 { 不低于 500元  不超过 1500元 }\n  给予 日补助 { 金额 30元/天 × 天数  不低于 300元  每年最高 2000元 }\n}\n\
条款 4「分档」{\n  原文「培训10天以上的600元；5—9天的300元」\n  给予 档补助 { 金额 分档 天数 { 10天以上：600元；5—9天：300元 } }\n}\n";
        let child = "文件「乙」{\n  上级「甲」\n  原文件「乙.txt」\n  施行 自2023年1月1日 至2025年12月31日\n}\n\
条款 一「补贴」采纳 1 {\n  原文「每次给予900元，每人每年最高不超过2000元」\n  给予 补贴 { 金额 900元  每年最高 2000元 }\n}\n";
        let ws = workspace::load_texts(
            &[("词汇.policy", vocabulary), ("甲.policy", parent), ("乙.policy", child)],
            &[
                ("甲.txt", "1.补贴。每次给予800元，每人每年最高不超过2000元。\n2.其他。每人每天50元，每年1次；一次性奖励300元，2024年不能同时享受补贴。\n3.补助。每人补助不低于500元，不超过1500元；按每天30元计发的，不低于300元，每年最高不超过2000元。\n4.分档。培训10天以上的600元；5—9天的300元。\n"),
                ("乙.txt", "一、补贴。每次给予900元，每人每年最高不超过2000元。\n"),
            ],
        );
        assert!(!ws.has_errors(), "{:?}", ws.diagnostics);
        ws.program.unwrap()
    })
}

fn claim() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["补贴", "生活费", "奖励", "补 贴", "日补助"]);
    let document = prop::sample::select(vec![None, Some("甲"), Some("乙"), Some("丙")]);
    (name, (2023i32..2026, 1u32..13, 1u32..29), prop::option::of(0u32..2500), document).prop_map(
        |(name, (y, m, d), amount, document)| {
            let mut s = format!(r#"{{"项目":"{name}","日期":"{y:04}-{m:02}-{d:02}""#);
            if let Some(a) = amount {
                s.push_str(&format!(r#","金额":{a}"#));
            }
            if let Some(doc) = document {
                s.push_str(&format!(r#","文件":"{doc}""#));
            }
            s.push('}');
            s
        },
    )
}

fn claims_case() -> impl Strategy<Value = String> {
    let documents = prop::sample::select(vec![r#""甲""#, r#""乙""#, r#"["甲","乙"]"#]);
    ((2023i32..2026, 1u32..13, 1u32..29), documents, 0u32..20, prop::collection::vec(claim(), 0..6)).prop_map(
        |((y, m, d), documents, days, claims)| {
            format!(
                r#"{{"日期":"{y:04}-{m:02}-{d:02}","文件":{documents},"主体":{{"类型":"个人","天数":{days},"享受记录":[{}]}}}}"#,
                claims.join(",")
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Cases with claims are decided alike by `eval`, by `batch` (both
    /// readers, one worker and two, with and without the memo of lines) and
    /// by `decide`; no amount is negative, and a yearly limit is never
    /// passed by what this year's claims leave.
    #[test]
    fn claims_are_read_alike_by_every_path(cases in prop::collection::vec(claims_case(), 1..8)) {
        let program = claims_program();
        let input = cases.join("\n");
        let want: Vec<String> = cases
            .iter()
            .map(|l| {
                let e = evaluated_alike(program, l);
                for r in &e.rulings {
                    assert!(r.amount.is_none_or(|a| a > Decimal::ZERO && a <= Decimal::new(2000, 0)), "{l}: {r:?}");
                }
                serde_json::to_string(&e).unwrap()
            })
            .collect();
        for workers in [1, 2] {
            let mut out = Vec::new();
            let summary = batch::run(program, input.as_bytes(), Some(&mut out), workers, Options::default(), &|_| {}).unwrap();
            prop_assert!(summary.errors.is_empty(), "{:?}", summary.errors);
            let got: Vec<String> = String::from_utf8(out).unwrap().lines().map(String::from).collect();
            prop_assert_eq!(&got, &want);
            let totals = batch::run(program, input.as_bytes(), None, workers, Options::default(), &|_| {}).unwrap();
            prop_assert_eq!(totals.total, summary.total);
        }
    }
}

/// A claim made under a parent counts for the document that adopts the
/// parent's clause; one under another document does not.
#[test]
fn a_claim_under_the_parent_counts_for_the_adopting_document() {
    let program = claims_program();
    let rule = |claims: &str| {
        let line = format!(r#"{{"日期":"2024-06-01","文件":"乙","主体":{{"类型":"个人","享受记录":[{claims}]}}}}"#);
        let mut sources = SourceMap::default();
        let file = sources.add("case.json", line);
        let (c, _) = case::load(program, &sources, file, case::Format::Json).unwrap();
        let e = eval::evaluate(program, &c, Options::default()).unwrap();
        let r = e.rulings.iter().find(|r| &*r.benefit == "补贴").unwrap().clone();
        (r.outcome, r.amount)
    };
    // 乙 raises 800元 to 900元 a time; 2000元 a year at most.
    assert_eq!(rule(""), (Outcome::Granted, Some(Decimal::new(900, 0))));
    assert_eq!(
        rule(r#"{"项目":"补贴","日期":"2024-01-02","金额":1500,"文件":"甲"}"#),
        (Outcome::Granted, Some(Decimal::new(500, 0)))
    );
    assert_eq!(
        rule(r#"{"项目":"补贴","日期":"2024-01-02","金额":1500,"文件":"乙"}"#),
        (Outcome::Granted, Some(Decimal::new(500, 0)))
    );
    assert_eq!(
        rule(r#"{"项目":"补贴","日期":"2024-01-02","金额":1500,"文件":"丙"}"#),
        (Outcome::Granted, Some(Decimal::new(900, 0)))
    );
    assert_eq!(rule(r#"{"项目":"补贴","日期":"2024-01-02","金额":2000}"#).0, Outcome::Refused);
}

/// A program summing tiers over a list's members, by enum value and by
/// band: members in no tier are left out, alike on every path.
fn tiers_program() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        let vocabulary = "词汇 {\n  类型：枚举 { 个人、单位 }\n  等次：枚举 { 优秀、良好 }\n  稳岗人数：数 人\n  人员：列表 人 { 学历：枚举 { 本科、大专、中专、无 }  月数：数 月  年龄：数 }\n}\n";
        let policy = "文件「甲」{\n  原文件「甲.txt」\n  施行 自2023年1月1日 至2025年12月31日\n}\n\
条款 1「引进」{\n  原文「本科每人每月500元、大专每人每月300元；16—24的每人200元，25以上的每人100元」\n\
  给予 引进补助 { 金额 合计 人员 的 (分档 学历 { 本科：500元/人/月；大专：300元/人/月 } × 月数) }\n\
  给予 年龄补助 { 金额 合计 人员 的 (分档 年龄 { 16—24：200元/人；25以上：100元/人 }) }\n}\n\
条款 2「稳岗」{\n  原文「优秀的10人以上3万元；良好的10人以上2万元、1—9人1万元」\n\
  给予 稳岗奖补 {\n    金额 表 等次 × 稳岗人数 {\n      | | 10人以上 | 1—9人 |\n      | 优秀 | 3万元 | — |\n      | 良好 | 2万元 | 1万元 |\n    }\n  }\n}\n";
        let ws = workspace::load_texts(
            &[("词汇.policy", vocabulary), ("甲.policy", policy)],
            &[("甲.txt", "1.引进。本科每人每月500元、大专每人每月300元；16—24的每人200元，25以上的每人100元。\n2.稳岗。优秀的10人以上3万元；良好的10人以上2万元、1—9人1万元。\n")],
        );
        assert!(!ws.has_errors(), "{:?}", ws.diagnostics);
        ws.program.unwrap()
    })
}

fn tiers_case() -> impl Strategy<Value = String> {
    let member = (prop::sample::select(vec!["本科", "大专", "中专", "无"]), 0u32..40, 10u32..40);
    let grade = prop::sample::select(vec!["", r#""等次":"优秀","#, r#""等次":"良好","#]);
    (prop::collection::vec(member, 0..12), grade, 0u32..20).prop_map(|(members, grade, kept)| {
        let ms: Vec<String> =
            members.iter().map(|(d, m, a)| format!(r#"{{"学历":"{d}","月数":{m},"年龄":{a}}}"#)).collect();
        format!(
            r#"{{"日期":"2024-05-10","文件":"甲","主体":{{"类型":"单位",{grade}"稳岗人数":{kept},"人员":[{}]}}}}"#,
            ms.join(",")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sums_of_tiers_are_alike_on_every_path(cases in prop::collection::vec(tiers_case(), 1..8)) {
        let program = tiers_program();
        let input = cases.join("\n");
        let want: Vec<String> =
            cases.iter().map(|l| serde_json::to_string(&evaluated_alike(program, l)).unwrap()).collect();
        for workers in [1, 2] {
            let mut out = Vec::new();
            batch::run(program, input.as_bytes(), Some(&mut out), workers, Options::default(), &|_| {}).unwrap();
            let got: Vec<String> = String::from_utf8(out).unwrap().lines().map(String::from).collect();
            prop_assert_eq!(&got, &want);
        }
    }
}
