//! The ruling JSON of one case on one line, written directly: the same
//! text `serde_json::to_string` makes of the case's [`Evaluation`] (the
//! test below holds the two together on every shipped case). Each rule's
//! fixed words — its document, clause, benefit, funding, payer and lead
//! department, with their keys — are escaped once per program, so a line
//! is mostly copies of ready text and the reasons.
//!
//! [`Evaluation`]: crate::eval::Evaluation

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::date::Date;
use crate::eval::{needs_escape, write_decimal, Finding, Outcome, Reasons, RuleId, Verdict, Verdicts};
use crate::ir::{Benefit, Clause, Document, Program};

/// The fixed text of every rule, status and constraint of a program.
pub struct Lines {
    /// By document, clause and benefit.
    rules: Vec<Vec<Vec<Fixed>>>,
    /// By document and clause: each status's and each constraint's
    /// `{"文件":"…","条款":"…","认定":"…","理由":` (or `"提示":"…"`).
    findings: Vec<Vec<Findings>>,
}

#[derive(Default)]
struct Findings {
    statuses: Vec<String>,
    notices: Vec<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Status,
    Notice,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Status => "认定",
            Kind::Notice => "提示",
        }
    }
}

/// A finding's text up to its reasons.
fn finding_head(document: &str, clause: &str, (name, value): (&str, &str)) -> String {
    let mut head = String::from("{");
    field(&mut head, "文件", document);
    field(&mut head, "条款", clause);
    field(&mut head, name, value);
    key(&mut head, "理由");
    head
}

/// A rule's fixed text around its outcome and amounts.
struct Fixed {
    /// `{"文件":"…","条款":"…","项目":"…","结果":"`
    head: String,
    /// `"资金来源":"…","支付方":"…","牵头单位":"…","理由":`, the keys of the
    /// rule's missing fields left out.
    tail: String,
    /// For each outcome ([`OUTCOMES`]), the whole text before the reasons
    /// of a ruling without amounts: `head`, the outcome, `tail`.
    whole: [String; 3],
}

const OUTCOMES: [Outcome; 3] = [Outcome::Granted, Outcome::Refused, Outcome::Pending];

impl Fixed {
    fn new(d: &Document, c: &Clause, b: &Benefit) -> Fixed {
        let mut head = String::from("{");
        field(&mut head, "文件", &d.id);
        field(&mut head, "条款", &c.id);
        field(&mut head, "项目", &b.name);
        head.push_str("\"结果\":\"");
        let mut tail = String::new();
        let optional =
            [("资金来源", b.funding.as_ref()), ("支付方", b.payer.as_ref()), ("牵头单位", b.departments.first())];
        for (name, value) in optional {
            if let Some(v) = value {
                field(&mut tail, name, v);
            }
        }
        tail.push_str("\"理由\":");
        let whole = OUTCOMES.map(|o| [head.as_str(), o.label(), "\",", tail.as_str()].concat());
        Fixed { head, tail, whole }
    }

    /// The text before the reasons of a ruling with `outcome` and no
    /// amounts.
    fn whole(&self, outcome: Outcome) -> &str {
        let [granted, refused, pending] = &self.whole;
        match outcome {
            Outcome::Granted => granted,
            Outcome::Refused => refused,
            Outcome::Pending => pending,
        }
    }
}

impl Lines {
    pub fn new(program: &Program) -> Lines {
        let rules = program
            .documents
            .iter()
            .map(|d| d.clauses.iter().map(|c| c.benefits.iter().map(|b| Fixed::new(d, c, b)).collect()).collect())
            .collect();
        let findings = program
            .documents
            .iter()
            .map(|d| {
                let clause = |c: &Clause| Findings {
                    statuses: c
                        .statuses
                        .iter()
                        .map(|s| finding_head(&d.id, &c.id, (Kind::Status.key(), &s.name)))
                        .collect(),
                    notices: c
                        .constraints
                        .iter()
                        .map(|n| finding_head(&d.id, &c.id, (Kind::Notice.key(), &n.message)))
                        .collect(),
                };
                d.clauses.iter().map(clause).collect()
            })
            .collect();
        Lines { rules, findings }
    }

    /// Appends the line of `v` (no line ending) to `out`.
    pub fn write(&self, out: &mut String, v: &Verdicts) {
        Lines::head(out, v.id.as_deref(), v.date);
        self.body(out, v);
    }

    /// The start of a case's line: `{"编号":"…","日期":"…",`.
    pub fn head(out: &mut String, id: Option<&str>, date: Date) {
        out.push('{');
        if let Some(id) = id {
            field(out, "编号", id);
        }
        key(out, "日期");
        out.push('"');
        out.push_str(date.iso().as_str());
        out.push('"');
        out.push(',');
    }

    /// The rest of the line of `v` after [`Lines::head`]: its rulings,
    /// statuses, notices and total.
    pub fn body(&self, out: &mut String, v: &Verdicts) {
        key(out, "裁定");
        let reasons = Written {
            reasons: &v.reasons,
            plain: v.reasons.known_plain() || !v.reasons.all().any(|r| needs_escape(r.as_bytes())),
        };
        list(out, &v.rulings, |out, r| self.ruling(out, r, &reasons));
        if !v.statuses.is_empty() {
            out.push(',');
            key(out, "认定");
            list(out, &v.statuses, |out, f| self.finding(out, f, Kind::Status, &reasons));
        }
        if !v.notices.is_empty() {
            out.push(',');
            key(out, "提示");
            list(out, &v.notices, |out, f| self.finding(out, f, Kind::Notice, &reasons));
        }
        out.push(',');
        key(out, "合计");
        decimal(out, v.total);
        out.push('}');
    }

    /// A status or notice: where it comes from, what it says, and why. One
    /// the program does not have gets empty names, as in `Verdicts::named`.
    fn finding(&self, out: &mut String, f: &Finding, kind: Kind, reasons: &Written) {
        let clause = self.findings.get(f.document as usize).and_then(|d| d.get(f.clause as usize));
        let heads = clause.map(|c| match kind {
            Kind::Status => &c.statuses,
            Kind::Notice => &c.notices,
        });
        match heads.and_then(|h| h.get(f.index as usize)) {
            Some(head) => out.push_str(head),
            None => out.push_str(&finding_head("", "", (kind.key(), ""))),
        }
        reasons.list(out, f.reasons.clone());
        out.push('}');
    }

    fn fixed(&self, rule: RuleId) -> Option<&Fixed> {
        self.rules.get(rule.document as usize)?.get(rule.clause as usize)?.get(rule.benefit as usize)
    }

    fn ruling(&self, out: &mut String, r: &Verdict, reasons: &Written) {
        let d = &r.decision;
        let fixed = self.fixed(d.rule);
        match fixed {
            Some(f) if d.without_money() => out.push_str(f.whole(d.outcome)),
            _ => {
                // A rule the program does not have gets empty names, as in
                // `Verdicts::named`.
                out.push_str(fixed.map_or("{\"文件\":\"\",\"条款\":\"\",\"项目\":\"\",\"结果\":\"", |f| &f.head));
                out.push_str(d.outcome.label());
                out.push_str("\",");
                for (name, value) in [("金额", d.amount()), ("金额上限", d.ceiling()), ("金额下限", d.floor())]
                {
                    if let Some(v) = value {
                        key(out, name);
                        decimal(out, v);
                        out.push(',');
                    }
                }
                out.push_str(fixed.map_or("\"理由\":", |f| &f.tail));
            }
        }
        reasons.list(out, r.reasons.clone());
        if !r.trace.is_empty() {
            out.push(',');
            key(out, "追踪");
            list(out, &r.trace, |out, s| string(out, s));
        }
        out.push('}');
    }
}

/// A case's reasons, and whether none of them has a character to escape.
struct Written<'v> {
    reasons: &'v Reasons,
    plain: bool,
}

impl Written<'_> {
    /// The reasons with indices in `range`, as a JSON list. Plain reasons
    /// are copied in one piece, the quotes and commas between them
    /// included ([`Reasons::run`]).
    fn list(&self, out: &mut String, range: std::ops::Range<usize>) {
        if !self.plain {
            list(out, self.reasons.get(range), string);
            return;
        }
        match self.reasons.run(range) {
            Some(run) => {
                out.push_str("[\"");
                out.push_str(run);
                out.push_str("\"]");
            }
            None => out.push_str("[]"),
        }
    }
}

/// `"name":"value",`
fn field(out: &mut String, name: &str, value: &str) {
    key(out, name);
    string(out, value);
    out.push(',');
}

/// `"name":` for one of the contract's own field names, which need no
/// escaping.
fn key(out: &mut String, name: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn list<T>(out: &mut String, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut String, T)) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

/// Money as a JSON string, as [`crate::eval::decimal`] serializes it.
fn decimal(out: &mut String, d: Decimal) {
    out.push('"');
    write_decimal(out, d.normalize());
    out.push('"');
}

/// A JSON string escaped as serde_json escapes it: `"` and `\`, and control
/// characters (`\n`, `\t`, … or `\u00XX`); everything else as it is.
fn string(out: &mut String, s: &str) {
    quoted(out, s, needs_escape(s.as_bytes()));
}

/// [`string`], told whether `s` has a character to escape.
fn quoted(out: &mut String, s: &str, escape: bool) {
    out.push('"');
    if escape {
        escaped(out, s);
    } else {
        out.push_str(s);
    }
    out.push('"');
}

/// `s` with quotes, backslashes and control characters escaped.
#[cold]
fn escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use crate::diag::SourceMap;
    use crate::eval::{Evaluator, Options, Verdicts};
    use crate::ir::{Program, Text};

    fn line(program: &Program, v: &Verdicts) -> String {
        let mut out = String::new();
        super::Lines::new(program).write(&mut out, v);
        out
    }

    fn json(program: &Program, v: &Verdicts) -> String {
        serde_json::to_string(&v.clone().named(program)).unwrap()
    }

    /// Every shipped case, with and without trace, written both ways; the
    /// evaluator vouches for the reasons of each, rightly.
    #[test]
    fn the_same_text_as_serde_json() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
        let mut sources = SourceMap::default();
        let mut evaluator = Evaluator::new(&program);
        let (mut statuses, mut optional) = (0, 0);
        for f in &files {
            let (c, _) = crate::case::load_file(&program, &mut sources, f).unwrap();
            for trace in [false, true] {
                let v = evaluator.verdicts(&c, Options { trace }).unwrap();
                statuses += v.statuses.len() + v.notices.len();
                let json = json(&program, &v);
                optional += json.matches("\"支付方\"").count() + json.matches("\"金额上限\"").count();
                assert_eq!(line(&program, &v), json, "{}", f.display());
                assert!(v.reasons.known_plain(), "{}", f.display());
                assert!(!v.reasons.all().any(|r| crate::eval::needs_escape(r.as_bytes())), "{}", f.display());
            }
        }
        assert!(statuses > 0, "the cases include statuses or notices");
        assert!(optional > 0, "the cases include payers and ceilings");
    }

    /// Quotes, backslashes and control characters are escaped alike, in the
    /// case's words and in the program's.
    #[test]
    fn escapes_like_serde_json() {
        let mut program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases/攀枝花")]).unwrap();
        let mut sources = SourceMap::default();
        let (c, _) = crate::case::load_file(&program, &mut sources, &files[0]).unwrap();
        let mut v = Evaluator::new(&program).verdicts(&c, Options::default()).unwrap();
        let odd = "a\"b\\c\nd\te\u{1}f\u{7f}g\u{8}\u{c}\r「」";
        v.id = Some(odd.to_string());
        // A reason added to the last ruling, whose reasons come last.
        let last = v.rulings.last_mut().unwrap();
        assert_eq!(last.reasons.end, v.reasons.len());
        v.reasons.push("\u{1f}\u{0}x");
        last.reasons.end = v.reasons.len();
        let rule = last.decision.rule;
        let doc = &mut program.documents[rule.document as usize];
        doc.id = Text::from(odd);
        doc.clauses[rule.clause as usize].benefits[rule.benefit as usize].funding = Some(Text::from("\"资金\""));
        assert!(line(&program, &v).contains(r#""文件":"a\"b\\c\nd"#));
        assert_eq!(line(&program, &v), json(&program, &v));
    }

    /// The evaluator does not vouch for reasons when a text of the case or
    /// a word of the program has a character to escape; the line is then
    /// written escaped.
    #[test]
    fn reasons_are_not_vouched_for_when_something_needs_escaping() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
        let mut sources = SourceMap::default();
        let mut evaluator = Evaluator::new(&program);

        // A text of the case with a quote in it: a condition reading the
        // field would quote it, so nothing is vouched for.
        let file = files.iter().find(|f| f.ends_with("皖-15-创业补贴已享受.yaml")).unwrap();
        let (mut c, _) = crate::case::load_file(&program, &mut sources, file).unwrap();
        let claims = c.subject.values.iter_mut().find_map(|v| match v {
            crate::ir::Value::List(members) if !members.is_empty() => Some(members),
            _ => None,
        });
        let claims = claims.unwrap();
        let mut records: Vec<crate::ir::Record> = std::mem::take(claims).into();
        let project = records[0].values.iter_mut().find_map(|v| match v {
            crate::ir::Value::Text(t) => Some(t),
            _ => None,
        });
        project.unwrap().push_str("\"\\");
        *claims = records.into();
        let v = evaluator.verdicts(&c, Options::default()).unwrap();
        assert!(!v.reasons.known_plain());
        assert_eq!(line(&program, &v), json(&program, &v));

        // A condition's words with a quote in them.
        let mut quoted = program.clone();
        for cond in quoted
            .documents
            .iter_mut()
            .flat_map(|d| &mut d.clauses)
            .flat_map(|c| &mut c.benefits)
            .flat_map(|b| &mut b.conditions)
        {
            *cond = crate::ir::Cond::new(cond.expr.clone(), format!("{}\"", cond.text), cond.refs.clone());
        }
        let (c, _) = crate::case::load_file(&program, &mut sources, &files[0]).unwrap();
        let v = Evaluator::new(&quoted).verdicts(&c, Options::default()).unwrap();
        assert!(!v.reasons.known_plain());
        assert!(v.reasons.all().any(|r| r.contains('"')));
        assert_eq!(line(&quoted, &v), json(&quoted, &v));
    }

    /// A rule, status or constraint the program does not have is written
    /// with empty names, as [`Verdicts::named`] names it.
    #[test]
    fn a_rule_out_of_range_gets_empty_names() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let files = crate::testing::case_files(&[PathBuf::from("tests/cases/攀枝花")]).unwrap();
        let mut sources = SourceMap::default();
        let (c, _) = crate::case::load_file(&program, &mut sources, &files[0]).unwrap();
        let mut v = Evaluator::new(&program).verdicts(&c, Options::default()).unwrap();
        v.rulings[0].decision.rule.benefit = 999;
        let (status, notice) = (v.statuses.len(), v.notices.len());
        v.statuses.push(crate::eval::Finding { document: 0, clause: 0, index: 999, reasons: 0..1 });
        v.notices.push(crate::eval::Finding { document: 999, clause: 0, index: 0, reasons: 0..0 });
        assert_eq!((v.statuses.len(), v.notices.len()), (status + 1, notice + 1));
        assert!(line(&program, &v).contains(r#"{"文件":"","条款":"","项目":"","#));
        assert!(line(&program, &v).contains(r#"{"文件":"","条款":"","认定":"","理由":["#));
        assert!(line(&program, &v).contains(r#"{"文件":"","条款":"","提示":"","理由":[]}"#));
        assert_eq!(line(&program, &v), json(&program, &v));
    }
}
