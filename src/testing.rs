//! Case files that carry expected rulings (`期望`), as `policyc test` and
//! the test suites run them.
//!
//! ```yaml
//! 期望:
//!   合计: "25000"
//!   裁定:
//!     - {文件: 攀人社发〔2022〕143号, 条款: "5", 项目: 一次性吸纳就业补贴, 结果: 给予, 金额: "25000"}
//!     - {条款: "5", 项目: 一次性奖补, 结果: 不予, 理由包含: 合格人数}
//!   无裁定: [{条款: "7"}]
//! ```
//!
//! Only what is listed is compared; `文件` may be left out when the case
//! names one document.

use rust_decimal::Decimal;

use crate::case::Node;
use crate::eval::{Evaluation, Ruling};

/// One expected ruling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub document: Option<String>,
    pub clause: Option<String>,
    pub benefit: Option<String>,
    pub outcome: Option<String>,
    pub amount: Option<Decimal>,
    pub ceiling: Option<Decimal>,
    pub floor: Option<Decimal>,
    pub funding: Option<String>,
    pub payer: Option<String>,
    pub reason_contains: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    pub total: Option<Decimal>,
    pub rulings: Vec<Expected>,
    /// Rulings that must not appear (a benefit for another kind of applicant).
    pub absent: Vec<Expected>,
    pub statuses: Vec<String>,
    pub notices: Vec<String>,
}

fn text(n: &Node) -> Option<String> {
    match n {
        Node::Str(s) | Node::Num(s) => Some(s.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn decimal(n: &Node) -> Result<Decimal, String> {
    let t = text(n).ok_or("金额应为数字或数字字符串")?;
    t.parse::<Decimal>().map_err(|_| format!("「{t}」不是金额"))
}

fn expected(n: &Node) -> Result<Expected, String> {
    let Node::Map(entries) = n else { return Err("每项期望裁定应为键值对".into()) };
    let mut e = Expected::default();
    for (k, v) in entries {
        match &**k {
            "文件" => e.document = text(v),
            "条款" => e.clause = text(v),
            "项目" => e.benefit = text(v),
            "结果" => e.outcome = text(v),
            "金额" => e.amount = Some(decimal(v)?),
            "金额上限" => e.ceiling = Some(decimal(v)?),
            "金额下限" => e.floor = Some(decimal(v)?),
            "资金来源" => e.funding = text(v),
            "支付方" => e.payer = text(v),
            "理由包含" => match v {
                Node::Seq(items) => e.reason_contains = items.iter().filter_map(text).collect(),
                other => e.reason_contains = text(other).into_iter().collect(),
            },
            other => return Err(format!("期望裁定中未知的键「{other}」（可用：文件、条款、项目、结果、金额、金额上限、金额下限、资金来源、支付方、理由包含）")),
        }
    }
    Ok(e)
}

fn list<T>(n: &Node, f: impl Fn(&Node) -> Result<T, String>) -> Result<Vec<T>, String> {
    match n {
        Node::Seq(items) => items.iter().map(f).collect(),
        _ => Err("应为列表".into()),
    }
}

/// The `期望` of a case file, if it has one.
pub fn expectations(case: &Node) -> Result<Option<Expectations>, String> {
    let Node::Map(entries) = case else { return Ok(None) };
    let Some((_, node)) = entries.iter().find(|(k, _)| k == "期望") else { return Ok(None) };
    let Node::Map(fields) = node else { return Err("期望应为键值对".into()) };
    let mut out = Expectations::default();
    for (k, v) in fields {
        match &**k {
            "合计" => out.total = Some(decimal(v)?),
            "裁定" => out.rulings = list(v, expected)?,
            "无裁定" => out.absent = list(v, expected)?,
            "认定" => out.statuses = list(v, |n| text(n).ok_or_else(|| "认定应为文字".to_string()))?,
            "提示" => out.notices = list(v, |n| text(n).ok_or_else(|| "提示应为文字".to_string()))?,
            other => return Err(format!("期望中未知的键「{other}」（可用：合计、裁定、无裁定、认定、提示）")),
        }
    }
    Ok(Some(out))
}

fn matches(e: &Expected, r: &Ruling) -> bool {
    e.document.as_ref().is_none_or(|d| **d == *r.document)
        && e.clause.as_ref().is_none_or(|c| **c == *r.clause)
        && e.benefit.as_ref().is_none_or(|b| **b == *r.benefit)
}

fn describe(e: &Expected) -> String {
    let mut s = String::new();
    if let Some(d) = &e.document {
        s.push_str(d);
        s.push(' ');
    }
    if let Some(c) = &e.clause {
        s.push_str(&format!("条款 {c} "));
    }
    if let Some(b) = &e.benefit {
        s.push_str(&format!("「{b}」"));
    }
    s.trim_end().to_string()
}

fn show(d: Option<Decimal>) -> String {
    d.map_or("无".to_string(), |d| d.normalize().to_string())
}

/// Compares an evaluation with its expectations; returns the differences,
/// one line each, in Chinese.
pub fn compare(exp: &Expectations, got: &Evaluation) -> Vec<String> {
    let mut diffs = Vec::new();
    if let Some(t) = exp.total {
        if t != got.total {
            diffs.push(format!("合计：期望 {}，实际 {}", t.normalize(), got.total.normalize()));
        }
    }
    for e in &exp.rulings {
        let found: Vec<&Ruling> = got.rulings.iter().filter(|r| matches(e, r)).collect();
        let r = match found.as_slice() {
            [r] => *r,
            [] => {
                diffs.push(format!("{}：期望有裁定，实际没有", describe(e)));
                continue;
            }
            _ => {
                diffs.push(format!("{}：匹配到 {} 项裁定，请写明文件、条款与项目", describe(e), found.len()));
                continue;
            }
        };
        if let Some(o) = &e.outcome {
            if o != r.outcome.label() {
                diffs.push(format!(
                    "{}：结果期望「{o}」，实际「{}」（理由：{}）",
                    describe(e),
                    r.outcome.label(),
                    r.reasons.join("；")
                ));
            }
        }
        if e.amount.is_some() && e.amount != r.amount {
            diffs.push(format!("{}：金额期望 {}，实际 {}", describe(e), show(e.amount), show(r.amount)));
        }
        if e.ceiling.is_some() && e.ceiling != r.ceiling {
            diffs.push(format!("{}：金额上限期望 {}，实际 {}", describe(e), show(e.ceiling), show(r.ceiling)));
        }
        if e.floor.is_some() && e.floor != r.floor {
            diffs.push(format!("{}：金额下限期望 {}，实际 {}", describe(e), show(e.floor), show(r.floor)));
        }
        if let Some(f) = &e.funding {
            if Some(f.as_str()) != r.funding.as_deref() {
                diffs.push(format!(
                    "{}：资金来源期望「{f}」，实际「{}」",
                    describe(e),
                    r.funding.clone().unwrap_or_default()
                ));
            }
        }
        if let Some(p) = &e.payer {
            if Some(p.as_str()) != r.payer.as_deref() {
                diffs.push(format!(
                    "{}：支付方期望「{p}」，实际「{}」",
                    describe(e),
                    r.payer.clone().unwrap_or_default()
                ));
            }
        }
        for needle in &e.reason_contains {
            if !r.reasons.iter().any(|x| x.contains(needle.as_str())) {
                diffs.push(format!("{}：理由中应有「{needle}」，实际：{}", describe(e), r.reasons.join("；")));
            }
        }
    }
    for e in &exp.absent {
        if got.rulings.iter().any(|r| matches(e, r)) {
            diffs.push(format!("{}：期望没有裁定，实际有", describe(e)));
        }
    }
    for s in &exp.statuses {
        if !got.statuses.iter().any(|x| x.status == *s) {
            diffs.push(format!("认定「{s}」：期望成立，实际没有"));
        }
    }
    for n in &exp.notices {
        if !got.notices.iter().any(|x| x.message.contains(n.as_str())) {
            diffs.push(format!("提示「{n}」：期望出现，实际没有"));
        }
    }
    diffs
}

/// The result of running one case file.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: String,
    pub id: Option<String>,
    pub outcome: CaseOutcome,
}

#[derive(Debug, Clone)]
pub enum CaseOutcome {
    Passed,
    /// The rulings differ from the expectations: one line per difference.
    Failed(Vec<String>),
    /// The case has no `期望`; it evaluated without error.
    NoExpectations,
    /// The case could not be loaded or evaluated: the rendered diagnostics.
    Error(String),
}

/// Case files (`.yaml`, `.yml`, `.json`) under the given paths, sorted
/// (see [`crate::files::walk`]).
pub fn case_files(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, crate::files::Refusal> {
    crate::files::walk(paths, |p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
}

/// Loads, evaluates and compares one case file.
pub fn run_file(
    program: &crate::ir::Program,
    sources: &mut crate::diag::SourceMap,
    path: &std::path::Path,
) -> CaseResult {
    let file = path.display().to_string();
    let (case, node) = match crate::case::load_file(program, sources, path) {
        Ok(x) => x,
        Err(e) => {
            let text = crate::diag::render_human(&e.diagnostics, sources, crate::diag::Style::Plain);
            return CaseResult { file, id: None, outcome: CaseOutcome::Error(text) };
        }
    };
    let id = case.id.clone();
    let evaluation = match crate::eval::evaluate(program, &case, crate::eval::Options::default()) {
        Ok(e) => e,
        Err(err) => return CaseResult { file, id, outcome: CaseOutcome::Error(err.to_string()) },
    };
    let outcome = match expectations(&node) {
        Err(msg) => CaseOutcome::Error(format!("期望写法有误：{msg}")),
        Ok(None) => CaseOutcome::NoExpectations,
        Ok(Some(exp)) => {
            let diffs = compare(&exp, &evaluation);
            if diffs.is_empty() {
                CaseOutcome::Passed
            } else {
                CaseOutcome::Failed(diffs)
            }
        }
    };
    CaseResult { file, id, outcome }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A JUnit XML report, for CI systems.
pub fn junit(results: &[CaseResult]) -> String {
    let failures =
        results.iter().filter(|r| matches!(r.outcome, CaseOutcome::Failed(_) | CaseOutcome::Error(_))).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"policyc\" tests=\"{}\" failures=\"{failures}\">\n",
        results.len()
    );
    for r in results {
        let name = xml_escape(r.id.as_deref().unwrap_or(&r.file));
        out.push_str(&format!("  <testcase classname=\"{}\" name=\"{name}\"", xml_escape(&r.file)));
        match &r.outcome {
            CaseOutcome::Passed | CaseOutcome::NoExpectations => out.push_str("/>\n"),
            CaseOutcome::Failed(d) => out.push_str(&format!(
                ">\n    <failure message=\"裁定与期望不符\">{}</failure>\n  </testcase>\n",
                xml_escape(&d.join("\n"))
            )),
            CaseOutcome::Error(e) => out.push_str(&format!(
                ">\n    <error message=\"案例无法运行\">{}</error>\n  </testcase>\n",
                xml_escape(e)
            )),
        }
    }
    out.push_str("</testsuite>\n");
    out
}
