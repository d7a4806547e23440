//! Rendering rulings and coverage: a Chinese table for people, JSON for
//! systems (the shape of docs/cases.md).

mod line;

pub use line::Lines;

use std::fmt::Write as _;

use crate::check::{CoverageStatus, DocumentCoverage};
use crate::eval::{Evaluation, Outcome};

/// The ruling JSON of docs/cases.md.
pub fn json(e: &Evaluation) -> String {
    serde_json::to_string_pretty(e).unwrap_or_else(|_| "{}".to_string())
}

fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

/// A table of rulings for a person.
pub fn table(e: &Evaluation) -> String {
    let mut out = String::new();
    let id = e.id.as_deref().map(|i| format!("案例 {i}，")).unwrap_or_default();
    let _ = writeln!(out, "{id}裁定日期 {}", e.date);
    let headers = ["文件", "条款", "项目", "结果", "金额（元）", "资金来源"];
    let rows: Vec<[String; 6]> = e
        .rulings
        .iter()
        .map(|r| {
            let amount = match (r.outcome, r.amount, r.ceiling, r.floor) {
                (_, Some(a), _, _) => a.normalize().to_string(),
                (Outcome::Pending, None, Some(c), Some(f)) => format!("{}–{}", f.normalize(), c.normalize()),
                (Outcome::Pending, None, Some(c), None) => format!("上限 {}", c.normalize()),
                (Outcome::Pending, None, None, Some(f)) => format!("下限 {}", f.normalize()),
                _ => "—".to_string(),
            };
            [
                r.document.to_string(),
                r.clause.to_string(),
                r.benefit.to_string(),
                r.outcome.label().to_string(),
                amount,
                r.funding.as_deref().unwrap_or("—").to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[String]| {
        cells.iter().zip(widths.iter()).map(|(c, w)| pad(c, *w)).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&headers.map(String::from)));
    let _ = writeln!(out, "{}", widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
    for (row, r) in rows.iter().zip(e.rulings.iter()) {
        let _ = writeln!(out, "{}", line(row));
        for reason in &r.reasons {
            let _ = writeln!(out, "    · {reason}");
        }
        for t in &r.trace {
            let _ = writeln!(out, "    ↳ {t}");
        }
    }
    for s in &e.statuses {
        let _ = writeln!(out, "认定：{} 条款 {}：{}（{}）", s.document, s.clause, s.status, s.reasons.join("；"));
    }
    for n in &e.notices {
        let _ = writeln!(out, "提示：{} 条款 {}：{}（{}）", n.document, n.clause, n.message, n.reasons.join("；"));
    }
    let _ = writeln!(out, "合计：{}元", e.total.normalize());
    out
}

/// Coverage per document, for a person.
pub fn coverage_table(cov: &[DocumentCoverage]) -> String {
    let mut out = String::new();
    for d in cov {
        let count = |s: CoverageStatus| d.clauses.iter().filter(|c| c.status == s).count();
        let _ = writeln!(
            out,
            "{}：共 {} 条，已编码 {}，指导性 {}，未处理 {}",
            d.document,
            d.clauses.len(),
            count(CoverageStatus::Encoded),
            count(CoverageStatus::Guidance),
            count(CoverageStatus::Missing)
        );
        for c in &d.clauses {
            let mark = match c.status {
                CoverageStatus::Encoded => "已编码",
                CoverageStatus::Guidance => "指导性",
                CoverageStatus::Missing => "未处理",
            };
            let _ = writeln!(out, "  {} {}  {}", pad(mark, 6), pad(&c.id, 10), c.title);
        }
        if d.found_no_clause() {
            let _ = writeln!(out, "  原文中没有找到条款编号（一、（一）、1. 或「——标题」）：无从核对覆盖");
        }
        if !d.unquoted.is_empty() {
            let _ = writeln!(out, "  含金额而没有规则引用的句子：");
            for s in &d.unquoted {
                let _ = writeln!(out, "    · {s}");
            }
        }
    }
    out
}

pub fn coverage_json(cov: &[DocumentCoverage]) -> String {
    serde_json::to_string_pretty(cov).unwrap_or_else(|_| "[]".to_string())
}
