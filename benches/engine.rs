//! Benchmarks, one stage each (divan): `cargo bench`.
//!
//! - `check_*`: parse + check policy source, reported as bytes/s; the
//!   generated sizes show that checking grows linearly.
//! - `eval_*`: one case through the evaluator, rulings with reasons, with
//!   and without trace; `decide_*`: outcomes and amounts only.
//! - `batch`: JSON Lines in, ruling lines out, end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use policyc::diag::SourceMap;
use policyc::eval::{Evaluator, Options};
use policyc::ir::Program;
use policyc::{batch, case, workspace};

fn main() {
    divan::main();
}

fn program() -> Program {
    workspace::load(&[PathBuf::from("policies")]).program.expect("shipped policies check")
}

/// (name, text) of each file.
type Files = Vec<(String, String)>;

fn shipped_texts() -> (Files, Files) {
    let policies = workspace::policy_files(&[PathBuf::from("policies")])
        .unwrap()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    // The other regions' texts sit in their own sources/ folder, under the
    // name their rule files give them.
    let sources = ["policies/sources", "policies/其他地区/sources"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| {
            let p = e.unwrap().path();
            (format!("sources/{}", p.file_name().unwrap().to_string_lossy()), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    (policies, sources)
}

fn check_texts(policies: &[(String, String)], sources: &[(String, String)]) -> bool {
    let p: Vec<(&str, &str)> = policies.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let s: Vec<(&str, &str)> = sources.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    workspace::load_texts(&p, &s).program.is_some()
}

#[divan::bench]
fn check_shipped(b: Bencher) {
    let (policies, sources) = shipped_texts();
    let bytes: usize = policies.iter().map(|(_, t)| t.len()).sum();
    b.counter(BytesCount::new(bytes)).bench(|| assert!(check_texts(&policies, &sources)));
}

/// A document of `n` numbered items and a rule file encoding each.
fn generated(n: usize) -> (Files, Files) {
    let vocab = "词汇 {\n  类型：枚举 { 个人、单位 }\n  人数：数 人\n  吸纳人员：列表 人 { 脱贫人口：布尔  劳动合同月数：数 月 }\n}\n".to_string();
    let mut source = String::from("生成的文件\n");
    let mut policy =
        String::from("文件「生成」{\n  原文件「sources/g.txt」\n  施行 自2022年1月1日 至2025年12月31日\n}\n");
    for i in 1..=n {
        source.push_str(&format!("{i}.第{i}项。企业吸纳脱贫人口就业，签订1年以上劳动合同的，按{}元/人的标准给予补贴，吸纳10人以上的再给予1万元。\n", 1000 + i));
        policy.push_str(&format!(
            "条款 {i}「第{i}项」{{\n  原文「企业吸纳脱贫人口就业，签订1年以上劳动合同的，按{}元/人的标准给予补贴，吸纳10人以上的再给予1万元」\n  对象 单位\n  设 合格人数 = 计数 吸纳人员 其中 脱贫人口 且 劳动合同月数 >= 1年\n  给予 补贴 {{\n    条件 合格人数 >= 1人\n    金额 {}元/人 × 合格人数\n  }}\n  给予 奖补 {{\n    条件 合格人数 >= 10人\n    金额 1万元\n  }}\n}}\n",
            1000 + i,
            1000 + i
        ));
    }
    (vec![("v.policy".into(), vocab), ("g.policy".into(), policy)], vec![("sources/g.txt".into(), source)])
}

#[divan::bench(args = [100, 1_000, 10_000])]
fn check_generated(b: Bencher, clauses: usize) {
    let (policies, sources) = generated(clauses);
    let bytes: usize = policies.iter().map(|(_, t)| t.len()).sum();
    b.counter(BytesCount::new(bytes)).bench(|| assert!(check_texts(&policies, &sources)));
}

fn load_case(program: &Program, yaml: &str) -> policyc::ir::Case {
    let mut sources = SourceMap::default();
    let file = sources.add("case.yaml", yaml);
    case::load(program, &sources, file, case::Format::Yaml).expect("valid case").0
}

const ENTERPRISE: &str =
    "日期: 2023-05-10\n文件: [攀人社发〔2022〕143号]\n主体:\n  类型: 单位\n  单位性质: 企业\n  吸纳人员:\n";
const PERSON: &str = "日期: 2023-05-10\n文件: [攀人社发〔2022〕143号]\n主体: {类型: 个人, 脱贫人口: 是, 有组织劳务输出: 是, 就业地: 省外, 参加培训天数: 10}\n";

fn enterprise(n: usize) -> String {
    let mut s = ENTERPRISE.to_string();
    for _ in 0..n {
        s.push_str("    - {脱贫人口: 是, 劳动合同月数: 12, 参加社会保险: 是}\n");
    }
    s
}

/// Rulings with their reasons (and the trace), as `eval` and `batch` write
/// them, each worked out: the same case again and again would otherwise
/// only be looked up.
fn bench_evaluate(b: Bencher, yaml: &str, trace: bool) {
    bench_evaluate_remembering(b, yaml, trace, false);
}

/// `remembering` off, every ruling is worked out; on, the same case again
/// and again has every rule group's verdict recalled (`eval/memo.rs`).
fn bench_evaluate_remembering(b: Bencher, yaml: &str, trace: bool, remembering: bool) {
    let program = program();
    let case = load_case(&program, yaml);
    let mut evaluator = Evaluator::new(&program).remembering(remembering);
    b.counter(ItemsCount::new(1usize)).bench_local(|| evaluator.evaluate(&case, Options { trace }).unwrap());
}

/// Outcomes and amounts only, as `batch --summary-only` evaluates.
fn bench_decide(b: Bencher, yaml: &str) {
    let program = program();
    let case = load_case(&program, yaml);
    let mut evaluator = Evaluator::new(&program);
    let mut out = Vec::new();
    b.counter(ItemsCount::new(1usize)).bench_local(|| {
        out.clear();
        evaluator.decide(&case, &mut out).unwrap()
    });
}

#[divan::bench(args = [false, true], sample_size = 100)]
fn eval_enterprise_25(b: Bencher, trace: bool) {
    bench_evaluate(b, &enterprise(25), trace);
}

#[divan::bench(sample_size = 100)]
fn decide_enterprise_25(b: Bencher) {
    bench_decide(b, &enterprise(25));
}

#[divan::bench(args = [false, true], sample_size = 100)]
fn eval_person(b: Bencher, trace: bool) {
    bench_evaluate(b, PERSON, trace);
}

/// A person whose every rule group's verdict is remembered from a case
/// with the same facts: what most of a population costs.
#[divan::bench(sample_size = 100)]
fn eval_person_recalled(b: Bencher) {
    bench_evaluate_remembering(b, PERSON, false, true);
}

#[divan::bench(sample_size = 100)]
fn decide_person(b: Bencher) {
    bench_decide(b, PERSON);
}

/// JSON Lines like benches/population.py writes, without Python: half
/// enterprises, half persons; or, with `persons`, only persons.
fn population(n: usize, persons: bool) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i % 2 == 0 && !persons {
            let people = [0, 1, 9, 10, 25, 219][i / 2 % 6];
            let member = r#"{"脱贫人口":true,"劳动合同月数":12,"参加社会保险":true}"#;
            let members = vec![member; people].join(",");
            out.push_str(&format!(
                r#"{{"编号":"P{i}","日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{{"类型":"单位","单位性质":"企业","吸纳人员":[{members}]}}}}"#
            ));
        } else {
            out.push_str(&format!(
                r#"{{"编号":"P{i}","日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{{"类型":"个人","脱贫人口":true,"就业地":"省外","参加培训天数":10}}}}"#
            ));
        }
        out.push('\n');
    }
    out
}

/// `batch::run` over `n` generated lines (all persons, or half
/// enterprises): with `write`, every ruling line, to nowhere; without,
/// totals only.
fn bench_batch(b: Bencher, n: usize, persons: bool, workers: usize, write: bool) {
    let program = program();
    let input = population(n, persons);
    b.counter(ItemsCount::new(n)).bench(|| {
        let mut sink = std::io::sink();
        let output: Option<&mut (dyn std::io::Write + Send)> = if write { Some(&mut sink) } else { None };
        batch::run(&program, input.as_bytes(), output, workers, Options::default(), &|_| {}).unwrap()
    });
}

/// Every ruling with its reasons, one line per case.
#[divan::bench(args = [1, 2])]
fn batch_end_to_end(b: Bencher, workers: usize) {
    bench_batch(b, 2_000, false, workers, true);
}

/// Every ruling, from a file mapped into memory as `policyc batch FILE`
/// reads it (the others read from memory, as from standard input).
#[divan::bench(args = [1, 2])]
fn batch_end_to_end_file(b: Bencher, workers: usize) {
    let program = program();
    let path = std::env::temp_dir().join(format!("policyc-bench-{}.jsonl", std::process::id()));
    std::fs::write(&path, population(2_000, false)).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    b.counter(ItemsCount::new(2_000usize)).bench(|| {
        let mut sink = std::io::sink();
        batch::run_file(&program, &file, Some(&mut sink), workers, Options::default(), &|_| {}).unwrap()
    });
    std::fs::remove_file(&path).unwrap();
}

/// The same over persons (about 5 KB of JSON each).
#[divan::bench(args = [1, 2])]
fn batch_end_to_end_persons(b: Bencher, workers: usize) {
    bench_batch(b, 20_000, true, workers, true);
}

/// Totals only (`policyc batch --summary-only`): no reasons, no ruling lines.
#[divan::bench(args = [1, 2])]
fn batch_summary_only(b: Bencher, workers: usize) {
    bench_batch(b, 2_000, false, workers, false);
}

/// Totals only over a population of persons (the monitored population a
/// budget analyst runs).
#[divan::bench(args = [1, 2])]
fn batch_summary_only_persons(b: Bencher, workers: usize) {
    bench_batch(b, 20_000, true, workers, false);
}
