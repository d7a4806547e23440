//! Evaluation: IR + case → rulings, each with its reasons.
//!
//! **Architecture invariant:** no I/O and nothing but [`crate::ir`] types
//! in; every evaluation terminates in time linear in the size of the case.
//!
//! # The evaluator, compiled once for many cases
//!
//! **Evaluator** (`eval::Evaluator`): the program compiled once for many
//! cases. Per document a `DocPlan`: each rule group as a `GroupPlan` — its
//! rules (`RulePlan`, clause and benefit at hand), the applicant check all
//! its rules share, if they do, so that a group for another kind of applicant
//! is passed over before it is entered, and what its verdict reads (for
//! remembering); each rule's conditions as `CondPlan`s (the clause's 适用, then
//! the benefit's 条件), each with its compiled form and whether it may be
//! skipped. Compiled (`eval/compiled.rs`, each form checked against the tree
//! walk by its tests): a condition that is 或 of conjunctions of plain tests
//! on the subject's fields (`AnyOf`, a lone conjunction its one-part case),
//! one that compares a definition with a constant (`OnDefinition`, `合格人数 >=
//! 10人`), 且, 或 and 非 nested otherwise over such tests (`Nested`, `(脱贫人口 或
//! 农村低收入人口) 且 灵活就业`, `非 领取失业保险金`), and `设 N = 计数 … 其中 …` whose filter is a
//! conjunction on a member's fields (`Count`). The tree walk and every
//! compiled form decide 且 and 或 by one function (`value::junction`): a part
//! with the deciding value wins over a missing fact, else the first missing
//! fact is named. The distinct applicant checks (`类型 为 个人/单位`, at most 64)
//! are decided once per case and kept as a mask of those it fails
//! (`DocEval::refused`). Each rule's place in the definition tables and, only
//! when narrower than the document's, its benefit's period; each document's
//! adopted parent clauses. Per case and document only what depends on the
//! case is worked out (`DocEval::in_force`, the refused audiences); clauses
//! without statuses or constraints are passed over. `DocEval` takes `WORDS`
//! as a const parameter, so `decide` runs a build of the group code with no
//! reason writing in it (a test and the `eval` fuzz target check it gives the
//! decisions of the rulings with words). A clause's `设` are computed on first
//! read (`OnceCell` in a table reused between cases). Once a rule is refused,
//! its remaining conditions that cannot overflow
//! (`compiled::cannot_overflow`) are skipped, so a count only they read is
//! never made; one that can overflow is still evaluated, so that `decide` and
//! `evaluate` report the same overflow (with words, every condition is
//! evaluated once and its value kept for the words). Numbers, dates and units
//! in words and lines are written without `core::fmt` (`eval::write_decimal`,
//! `Date::iso`, `Unit::write`, tested against their `Display`). Words are
//! written in as few pieces as the program allows: a condition's start when
//! it holds or fails (`符合：`, its text, its first reference's label) is made
//! by the checker (`ir::Cond::leads`); a ruling line's text before the
//! reasons of a ruling without amounts is ready per rule and outcome
//! (`report::line::Fixed::whole`). `evaluate` gives rulings with words
//! (`Options::trace` adds 追踪); `decide` gives `Decision`s — rule index,
//! outcome, amount, ceiling — through the same decision code with words
//! turned off, for `batch --summary-only`.

mod compiled;
mod memo;
mod plain;
mod reasons;
mod value;

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::ops::Range;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::Date;
use crate::ir::{self, Amount, Benefit, Clause, Cond, Document, Frequency, Lead, Program, Record, Text, Value, Window};
use compiled::{AnyOf, Conj, Count, Nested, On, OnDefinition};
pub use plain::needs_escape;
pub use reasons::Reasons;
use value::write_value;
pub use value::{round_money, show_number, show_value, write_decimal, Env, Fail, FailKind, Local};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    #[serde(rename = "给予")]
    Granted,
    #[serde(rename = "不予")]
    Refused,
    #[serde(rename = "待定")]
    Pending,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Granted => "给予",
            Outcome::Refused => "不予",
            Outcome::Pending => "待定",
        }
    }
}

/// Which rule a ruling comes from: indices into [`Program::documents`],
/// [`Document::clauses`] and [`Clause::benefits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RuleId {
    pub document: u32,
    pub clause: u32,
    pub benefit: u32,
}

impl RuleId {
    /// The document, clause and benefit the indices point at in
    /// `program`, if it has them.
    pub fn find(self, program: &Program) -> Option<(&Document, &Clause, &Benefit)> {
        let doc = program.documents.get(self.document as usize)?;
        let clause = doc.clauses.get(self.clause as usize)?;
        Some((doc, clause, clause.benefits.get(self.benefit as usize)?))
    }
}

/// A ruling without words: what [`Evaluator::decide`] gives, for totals
/// over a population. Its money is kept in two numbers, as a ruling has an
/// amount only when granted and bounds only when pending: population runs
/// move many decisions, so it is kept small.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub rule: RuleId,
    pub outcome: Outcome,
    /// Which of the money values are given ([`Decision::AMOUNT`] …).
    given: u8,
    /// The amount when granted, else the ceiling.
    first: Decimal,
    /// The floor.
    second: Decimal,
}

impl Decision {
    const AMOUNT: u8 = 1;
    const CEILING: u8 = 2;
    const FLOOR: u8 = 4;

    /// A decision with its money: an amount is kept only when granted,
    /// bounds only when pending.
    pub fn new(rule: RuleId, outcome: Outcome, (amount, ceiling, floor): Money) -> Decision {
        let mut d = Decision { rule, outcome, given: 0, first: Decimal::ZERO, second: Decimal::ZERO };
        match outcome {
            Outcome::Granted => {
                if let Some(a) = amount {
                    (d.given, d.first) = (Decision::AMOUNT, a);
                }
            }
            Outcome::Pending => {
                if let Some(c) = ceiling {
                    (d.given, d.first) = (Decision::CEILING, c);
                }
                if let Some(f) = floor {
                    (d.given, d.second) = (d.given | Decision::FLOOR, f);
                }
            }
            Outcome::Refused => {}
        }
        d
    }

    pub fn amount(&self) -> Option<Decimal> {
        (self.given & Decision::AMOUNT != 0).then_some(self.first)
    }

    pub fn ceiling(&self) -> Option<Decimal> {
        (self.given & Decision::CEILING != 0).then_some(self.first)
    }

    pub fn floor(&self) -> Option<Decimal> {
        (self.given & Decision::FLOOR != 0).then_some(self.second)
    }

    /// Whether it names no money at all.
    pub fn without_money(&self) -> bool {
        self.given == 0
    }
}

/// A ruling's money: (amount, ceiling, floor).
pub type Money = (Option<Decimal>, Option<Decimal>, Option<Decimal>);

/// One ruling, in the shape of docs/cases.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ruling {
    /// The rule, for totals; not part of the ruling JSON.
    #[serde(skip)]
    pub rule: RuleId,
    #[serde(rename = "文件")]
    pub document: Text,
    #[serde(rename = "条款")]
    pub clause: Text,
    #[serde(rename = "项目")]
    pub benefit: Text,
    #[serde(rename = "结果")]
    pub outcome: Outcome,
    #[serde(rename = "金额", skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(rename = "金额上限", skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub ceiling: Option<Decimal>,
    /// The least amount, where the document gives one (不低于) and the
    /// ruling is 待定.
    #[serde(rename = "金额下限", skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub floor: Option<Decimal>,
    #[serde(rename = "资金来源", skip_serializing_if = "Option::is_none")]
    pub funding: Option<Text>,
    /// Who pays, where the document says (对口帮扶: 被帮扶地 or 帮扶地).
    #[serde(rename = "支付方", skip_serializing_if = "Option::is_none")]
    pub payer: Option<Text>,
    /// The lead department (the first listed).
    #[serde(rename = "牵头单位", skip_serializing_if = "Option::is_none")]
    pub lead: Option<Text>,
    #[serde(rename = "理由")]
    pub reasons: Vec<String>,
    /// The evaluation trace, with `--trace` only.
    #[serde(rename = "追踪", skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<String>,
}

/// A derived status ("可以认定为就业帮扶基地") that holds for the case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusRuling {
    #[serde(rename = "文件")]
    pub document: Text,
    #[serde(rename = "条款")]
    pub clause: Text,
    #[serde(rename = "认定")]
    pub status: String,
    #[serde(rename = "理由")]
    pub reasons: Vec<String>,
}

/// A constraint with no money that the case breaks (公益性岗位 期限).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    #[serde(rename = "文件")]
    pub document: Text,
    #[serde(rename = "条款")]
    pub clause: Text,
    #[serde(rename = "提示")]
    pub message: String,
    #[serde(rename = "理由")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    #[serde(rename = "编号", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "日期")]
    pub date: Date,
    #[serde(rename = "裁定")]
    pub rulings: Vec<Ruling>,
    #[serde(rename = "认定", skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<StatusRuling>,
    #[serde(rename = "提示", skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    #[serde(rename = "合计", with = "decimal")]
    pub total: Decimal,
}

/// Money as a decimal string (`"25000"`), never a float.
pub(crate) mod decimal {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.normalize())
    }
}

mod opt_decimal {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::decimal::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

/// An evaluation that cannot produce rulings at all: a computation of a
/// rule gave no usable number for this case. Boxed: errors are rare, and
/// a small error keeps every evaluation step's result small.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(Box<Failure>);

/// What went wrong, and where: the document, clause and expression (empty
/// for the case's 合计, which belongs to no clause).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub document: String,
    pub clause: String,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FailureKind {
    /// A number past what a decimal holds (28 digits).
    Overflow,
    /// A date shifted out of the years 1 to 9999.
    DateOutOfRange,
    /// Division by a value of 0.
    DivideByZero,
    /// An amount, cap or ceiling below 0 (its value).
    Negative(Decimal),
    /// The case's 合计 past what a decimal holds.
    TotalOverflow,
}

impl EvalError {
    pub fn new(kind: FailureKind, document: &str, clause: &str, expr: String) -> EvalError {
        EvalError(Box::new(Failure { kind, document: document.to_string(), clause: clause.to_string(), expr }))
    }

    pub fn failure(&self) -> &Failure {
        &self.0
    }

    /// The diagnostic code `policyc explain` explains.
    pub fn code(&self) -> &'static str {
        match self.0.kind {
            FailureKind::Overflow | FailureKind::TotalOverflow => "P0601",
            FailureKind::DateOutOfRange => "P0602",
            FailureKind::DivideByZero => "P0603",
            FailureKind::Negative(_) => "P0604",
        }
    }

    /// What the case's author can do about it.
    pub fn help(&self) -> &'static str {
        match self.0.kind {
            FailureKind::Overflow | FailureKind::TotalOverflow => "检查案例中的数值是否过大",
            FailureKind::DateOutOfRange => "检查案例中的日期与月数、天数是否过大",
            FailureKind::DivideByZero => "案例中作除数的值为 0；规则应以「条件」排除这种案例",
            FailureKind::Negative(_) => {
                "规则的算式对这个案例得出负数；规则应以「条件」排除这种案例，或写成 最大(…, 0元)"
            }
        }
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Failure { kind, document, clause, expr } = &*self.0;
        match kind {
            FailureKind::Overflow => write!(f, "计算溢出：{document} 条款 {clause} 的「{expr}」超出可表示的范围"),
            FailureKind::DateOutOfRange => {
                write!(f, "日期超出范围：{document} 条款 {clause} 的「{expr}」得出的日期不在 1 年至 9999 年之间")
            }
            FailureKind::DivideByZero => write!(f, "除数为零：{document} 条款 {clause} 的「{expr}」除以 0"),
            FailureKind::Negative(v) => {
                write!(f, "金额为负：{document} 条款 {clause} 的「{expr}」得出 {v}元；金额、最高限额与上限不能为负")
            }
            FailureKind::TotalOverflow => f.write_str("计算溢出：案例的合计（给予金额之和）超出可表示的范围"),
        }
    }
}

impl std::error::Error for EvalError {}

/// A verdict without money.
const NO_MONEY: Money = (None, None, None);

/// Adds a granted amount to the case's 合计.
#[inline]
fn add_granted(total: &mut Decimal, d: &Decision) -> Result<(), EvalError> {
    match (d.outcome, d.amount()) {
        (Outcome::Granted, Some(amount)) => add_amount(total, amount),
        _ => Ok(()),
    }
}

fn add_amount(total: &mut Decimal, amount: Decimal) -> Result<(), EvalError> {
    *total = total.checked_add(amount).ok_or_else(total_overflow)?;
    Ok(())
}

#[cold]
fn total_overflow() -> EvalError {
    EvalError::new(FailureKind::TotalOverflow, "", "", "合计".into())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record every condition, definition and cap in each ruling's 追踪.
    pub trace: bool,
}

/// Evaluates a case against the documents it names, with reasons. One
/// case alone: nothing is remembered for a next one.
pub fn evaluate(program: &Program, case: &ir::Case, options: Options) -> Result<Evaluation, EvalError> {
    Evaluator::new(program).remembering(false).evaluate(case, options)
}

/// A program made ready for many cases. Create it once, then call
/// [`Evaluator::decide`] or [`Evaluator::evaluate`] per case: conditions
/// are compiled where they can be, and the table that holds each clause's
/// definitions is reused, so deciding a case allocates nothing but what it
/// appends (and an index of its 享受记录, when it has any).
pub struct Evaluator<'p> {
    program: &'p Program,
    plans: Vec<DocPlan<'p>>,
    locals: Vec<Local<'p>>,
    /// Where [`Evaluator::decide`] would write reasons; stays empty.
    no_reasons: Reasons,
    /// Which cases' reasons can be vouched for as needing no JSON escapes;
    /// found when first needed (`evaluate` never needs it).
    plain: OnceCell<plain::Plain>,
    /// The rule groups' verdicts given so far, when remembering.
    memo: memo::Memo,
    remembering: bool,
}

/// A rule group's outcome, and the indices of its reasons when they are
/// wanted.
struct Decided {
    decision: Decision,
    reasons: Range<usize>,
}

/// A [`Ruling`] that names its rule by index only.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    /// Indices into [`Verdicts::reasons`].
    pub reasons: Range<usize>,
    /// With [`Options::trace`] only.
    pub trace: Vec<String>,
}

/// A status that holds or a constraint the case breaks, before its names
/// are attached: the document, the clause, and the status's index in
/// [`Clause::statuses`] or the constraint's in [`Clause::constraints`].
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub document: u32,
    pub clause: u32,
    pub index: u32,
    /// Indices into [`Verdicts::reasons`].
    pub reasons: Range<usize>,
}

impl Finding {
    /// The document and clause the indices point at in `program`.
    pub fn find<'p>(&self, program: &'p Program) -> Option<(&'p Document, &'p Clause)> {
        let doc = program.documents.get(self.document as usize)?;
        Some((doc, doc.clauses.get(self.clause as usize)?))
    }
}

/// The rulings of a case before the names of their rules are attached:
/// what [`Evaluator::verdicts`] gives to writers that hold the program
/// (the ruling lines of `policyc batch`). [`Verdicts::named`] makes the
/// [`Evaluation`] of docs/cases.md from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    pub id: Option<String>,
    pub date: Date,
    pub rulings: Vec<Verdict>,
    /// The reasons of the rulings, statuses and notices, one after another.
    pub reasons: Reasons,
    /// Statuses that hold (index into [`Clause::statuses`]).
    pub statuses: Vec<Finding>,
    /// Constraints broken (index into [`Clause::constraints`]).
    pub notices: Vec<Finding>,
    pub total: Decimal,
}

impl Verdicts {
    /// No rulings yet, for [`Evaluator::verdicts_into`] to fill.
    pub fn empty(date: Date) -> Verdicts {
        Verdicts {
            id: None,
            date,
            rulings: Vec::new(),
            reasons: Reasons::default(),
            statuses: Vec::new(),
            notices: Vec::new(),
            total: Decimal::ZERO,
        }
    }

    /// The evaluation with each ruling's document, clause, benefit,
    /// funding, payer and lead department taken from `program`.
    pub fn named(self, program: &Program) -> Evaluation {
        let Verdicts { id, date, rulings, reasons, statuses, notices, total } = self;
        let words = |f: &Finding| reasons.get(f.reasons.clone()).map(String::from).collect();
        // A finding the program does not have gets empty names.
        let names = |f: &Finding, what: &dyn Fn(&Clause) -> Option<&String>| match f
            .find(program)
            .and_then(|(d, c)| Some((d, c, what(c)?)))
        {
            Some((d, c, w)) => (d.id.clone(), c.id.clone(), w.clone()),
            None => (Text::from(""), Text::from(""), String::new()),
        };
        let statuses = statuses.iter().map(|f| {
            let (document, clause, status) = names(f, &|c| Some(&c.statuses.get(f.index as usize)?.name));
            StatusRuling { document, clause, status, reasons: words(f) }
        });
        let notices = notices.iter().map(|f| {
            let (document, clause, message) = names(f, &|c| Some(&c.constraints.get(f.index as usize)?.message));
            Notice { document, clause, message, reasons: words(f) }
        });
        Evaluation {
            id,
            date,
            statuses: statuses.collect(),
            notices: notices.collect(),
            rulings: rulings.into_iter().map(|v| Ruling::named(program, v, &reasons)).collect(),
            total,
        }
    }
}

impl Ruling {
    /// A rule the program does not have gets empty names.
    fn named(program: &Program, v: Verdict, reasons: &Reasons) -> Ruling {
        let rule = v.decision.rule;
        let found = rule.find(program);
        let b = found.map(|(_, _, b)| b);
        let text = |t: Option<&Text>| t.cloned().unwrap_or_else(|| Text::from(""));
        Ruling {
            rule,
            document: text(found.map(|(d, _, _)| &d.id)),
            clause: text(found.map(|(_, c, _)| &c.id)),
            benefit: text(b.map(|b| &b.name)),
            outcome: v.decision.outcome,
            amount: v.decision.amount(),
            ceiling: v.decision.ceiling(),
            floor: v.decision.floor(),
            funding: b.and_then(|b| b.funding.clone()),
            payer: b.and_then(|b| b.payer.clone()),
            lead: b.and_then(|b| b.departments.first().cloned()),
            reasons: reasons.get(v.reasons).map(String::from).collect(),
            trace: v.trace,
        }
    }
}

/// How many distinct compiled applicant checks a document keeps: one bit
/// each in [`DocEval::refused`].
const AUDIENCES: usize = 64;

/// One document, compiled.
struct DocPlan<'p> {
    /// The document's index in [`Program::documents`].
    document: u32,
    /// Where each clause's definitions start in the definition tables.
    first_local: Vec<u32>,
    /// Every definition's compiled form, where it has one.
    counts: Vec<Option<Count<'p>>>,
    /// [`Document::groups`], each rule with what it needs at hand.
    groups: Vec<GroupPlan<'p>>,
    /// The parent clauses this document's clauses adopt (document, clause).
    adopts: Vec<(&'p str, &'p str)>,

    /// For each clause, what its statuses and constraints depend on, where
    /// that is known.
    finding_reads: Vec<Option<memo::Reads<'p>>>,
    /// What all its statuses, constraints and verdicts depend on, where
    /// that is known for each: [`Evaluator::case_key`].
    reads: Option<memo::Reads<'p>>,
    /// The counts in `reads` outside a definition, compiled where they can
    /// be.
    counted: Vec<(&'p ir::Expr, Count<'p>)>,
    /// The distinct compiled applicant checks (most rules share one of
    /// two: `类型 为 个人`, `类型 为 单位`), decided once per case.
    audiences: Vec<Conj<'p>>,
}

/// One group of rules of one name, compiled.
struct GroupPlan<'p> {
    rules: Vec<RulePlan<'p>>,
    /// The compiled applicant check all its rules share, if they do: a case
    /// it refuses skips the group at once.
    audience: Option<usize>,
    /// What its verdict depends on, where that is known.
    reads: Option<memo::Reads<'p>>,
}

/// One rule, compiled: its applicant check and its conditions.
struct RulePlan<'p> {
    id: RuleId,
    clause: &'p Clause,
    benefit: &'p Benefit,
    /// Where the clause's definitions are in the definition tables.
    lets: Range<usize>,
    /// The benefit's own period, when it can refuse a case the document's
    /// period lets through.
    window: Option<Window>,
    /// Index into [`DocPlan::audiences`].
    audience: Option<usize>,
    /// The clause's 适用, then the benefit's 条件.
    conditions: Vec<CondPlan<'p>>,
}

/// One of a rule's conditions, compiled where it can be.
struct CondPlan<'p> {
    cond: &'p Cond,
    compiled: Compiled<'p>,
    /// Whether it may be skipped once the rule is refused
    /// ([`compiled::cannot_overflow`]).
    skippable: bool,
}

/// What a condition compiled to.
enum Compiled<'p> {
    /// Plain tests on the subject's fields.
    Fields(AnyOf<'p>),
    /// A definition against a constant.
    Definition(OnDefinition<'p>),
    /// Nothing: the expression is walked.
    Walked,
    /// 且, 或 and 非 nested over tests on the subject's fields.
    Nested(Box<Nested<'p>>),
}

impl<'p> CondPlan<'p> {
    fn new(cond: &'p Cond, safe_lets: &[bool]) -> Self {
        let e = &cond.expr;
        let compiled = if let Some(any) = AnyOf::compile(e, On::Subject) {
            Compiled::Fields(any)
        } else if let Some(d) = OnDefinition::compile(e) {
            Compiled::Definition(d)
        } else if let Some(nested) = Nested::compile(e, On::Subject) {
            Compiled::Nested(Box::new(nested))
        } else {
            Compiled::Walked
        };
        CondPlan { cond, compiled, skippable: compiled::cannot_overflow(e, safe_lets) }
    }

    /// The condition's value: compiled where it could be, else by walking
    /// the expression.
    #[inline(always)]
    fn truth<'e>(&self, subject: &Record, env: &Env<'e, 'p>) -> Result<bool, Fail<'p>> {
        match &self.compiled {
            Compiled::Fields(any) => any.eval(subject),
            Compiled::Definition(d) => d.eval(env),
            Compiled::Walked => env.truth(&self.cond.expr),
            Compiled::Nested(nested) => nested.eval(subject),
        }
    }
}

/// Where each clause's definitions start in a flat table of them.
fn first_locals(clauses: &[Clause]) -> Vec<u32> {
    let mut next = 0u32;
    clauses
        .iter()
        .map(|c| {
            let first = next;
            next = next.saturating_add(c.lets.len() as u32);
            first
        })
        .collect()
}

impl<'p> DocPlan<'p> {
    fn new(document: u32, doc: &'p Document) -> Self {
        let mut audiences: Vec<Conj<'p>> = Vec::new();
        // At most `AUDIENCES`, each case's results kept as bits; a rule
        // past them has its applicant check walked.
        let mut audience = |e: &'p ir::Expr| {
            let conj = Conj::compile(e, On::Subject)?;
            match audiences.iter().position(|a| *a == conj) {
                Some(i) => Some(i),
                None if audiences.len() < AUDIENCES => {
                    audiences.push(conj);
                    Some(audiences.len() - 1)
                }
                None => None,
            }
        };
        let first_local = first_locals(&doc.clauses);
        let mut rule = |&(c, b): &(u32, u32)| {
            let clause = doc.clauses.get(c as usize)?;
            let benefit = clause.benefits.get(b as usize)?;
            let first = *first_local.get(c as usize)? as usize;
            let narrower = benefit.window != Window::default() && benefit.window != doc.window;
            Some(RulePlan {
                id: RuleId { document, clause: c, benefit: b },
                clause,
                benefit,
                lets: first..first + clause.lets.len(),
                window: narrower.then_some(benefit.window),
                audience: benefit.audience.as_ref().and_then(&mut audience),
                conditions: {
                    let safe_lets = compiled::safe_lets(&clause.lets);
                    let conds = clause.applies.iter().chain(&benefit.conditions);
                    conds.map(|cond| CondPlan::new(cond, &safe_lets)).collect()
                },
            })
        };
        let group = |rules: Vec<RulePlan<'p>>| {
            let first = rules.first().and_then(|r| r.audience);
            GroupPlan {
                audience: first.filter(|_| rules.iter().all(|r| r.audience == first)),
                reads: memo::Reads::of(rules.iter().map(|r| (r.id.clause, r.clause, r.benefit))),
                rules,
            }
        };
        let groups: Vec<GroupPlan> =
            doc.groups.iter().map(|g| group(g.iter().filter_map(&mut rule).collect())).collect();
        let finding_reads: Vec<_> =
            doc.clauses.iter().zip(0..).map(|(c, i)| memo::Reads::of_findings((i, c))).collect();
        let reads = memo::Reads::union(groups.iter().map(|g| &g.reads).chain(&finding_reads));
        let counts: Vec<_> = doc.clauses.iter().flat_map(|c| &c.lets).map(|l| Count::compile(&l.expr)).collect();
        DocPlan {
            counts,
            counted: reads.iter().flat_map(|r| r.counted()).filter_map(|e| Some((e, Count::compile(e)?))).collect(),
            reads,
            document,
            first_local,
            adopts: doc.clauses.iter().filter_map(|c| c.adopts.as_ref()).map(|(d, c)| (&**d, &**c)).collect(),

            finding_reads,
            groups,
            audiences,
        }
    }
}

impl<'p> Evaluator<'p> {
    pub fn new(program: &'p Program) -> Self {
        let most = program.documents.iter().map(|d| d.clauses.iter().map(|c| c.lets.len()).sum::<usize>()).max();
        let locals = std::iter::repeat_with(Local::new).take(most.unwrap_or(0)).collect();
        let plans = program.documents.iter().enumerate().map(|(i, d)| DocPlan::new(i as u32, d)).collect();
        Evaluator {
            program,
            plans,
            locals,
            no_reasons: Reasons::default(),
            plain: OnceCell::new(),
            memo: memo::Memo::new(program),
            remembering: true,
        }
    }

    /// Whether a rule group's verdict with its reasons is remembered and
    /// given again to a later case that gives the group the same facts
    /// (see `eval/memo.rs`); on unless turned off. Off gives the same
    /// rulings, working each one out.
    pub fn remembering(mut self, on: bool) -> Self {
        self.remembering = on;
        self
    }

    /// Outcomes and amounts only, appended to `out`; returns the total
    /// granted. The same decisions [`Evaluator::evaluate`] makes, without
    /// reasons, statuses or notices.
    pub fn decide(&mut self, case: &ir::Case, out: &mut Vec<Decision>) -> Result<Decimal, EvalError> {
        let mut total = Decimal::ZERO;
        let mut reasons = std::mem::take(&mut self.no_reasons);
        let decided = self.each_document::<false>(case, |doc| {
            doc.verdicts(&mut reasons, None, |v| {
                add_granted(&mut total, &v.decision)?;
                out.push(v.decision);
                Ok(())
            })
        });
        self.no_reasons = reasons;
        decided?;
        Ok(total)
    }

    /// Rulings with their reasons, statuses and notices.
    pub fn evaluate(&mut self, case: &ir::Case, options: Options) -> Result<Evaluation, EvalError> {
        let mut out = Verdicts::empty(case.date);
        self.rulings_into(case, options, &mut out)?;
        Ok(out.named(self.program))
    }

    /// [`Evaluator::evaluate`] with each rule named by its index only.
    pub fn verdicts(&mut self, case: &ir::Case, options: Options) -> Result<Verdicts, EvalError> {
        let mut out = Verdicts::empty(case.date);
        self.verdicts_into(case, options, &mut out)?;
        Ok(out)
    }

    /// [`Evaluator::verdicts`] written over `out`, whose lists are reused:
    /// evaluating many cases into one `Verdicts` allocates nothing once
    /// they have grown. After an error `out` holds part of the case.
    pub fn verdicts_into(&mut self, case: &ir::Case, options: Options, out: &mut Verdicts) -> Result<(), EvalError> {
        self.rulings_into(case, options, out)?;
        self.vouch(case, out);
        Ok(())
    }

    /// Vouches for the reasons of `case` in `out` needing no JSON escapes,
    /// where they do not.
    fn vouch(&self, case: &ir::Case, out: &mut Verdicts) {
        let plain = self.plain.get_or_init(|| plain::Plain::new(self.program));
        if plain.case(&case.subject) {
            out.reasons.vouch_plain();
        }
    }

    /// A key for what [`Evaluator::verdicts_into`] gives `case` besides
    /// its 编号, written over `key`: its date, the documents it names, and
    /// for each what its statuses, constraints and rules read (the facts,
    /// and the values of definitions that count or sum a list; see
    /// `eval/memo.rs`). Cases of one key get the same rulings, reasons,
    /// statuses, notices and total, without a trace. `false` when there is
    /// none: a document reads a member's facts outside a count or sum, or
    /// looks at past claims the case has, or a value it is keyed by has
    /// none (a count one of whose members lacks a fact it tests).
    pub fn case_key(&mut self, case: &ir::Case, key: &mut Vec<u8>) -> bool {
        key_head(case, key);
        let mut keyed = true;
        let done = self.each_document::<false>(case, |doc| {
            keyed = keyed && doc.append_key(key);
            Ok(())
        });
        keyed && done.is_ok()
    }

    /// [`Evaluator::verdicts_into`], unless `known` knows the case by its
    /// key ([`Evaluator::case_key`], written to `key`): then what `known`
    /// gives, and `out` is left empty. Making the key works out what the
    /// rules read; for a case of one document, the verdicts then use it.
    /// A case wanted with a trace is not keyed.
    pub fn verdicts_keyed<T>(
        &mut self,
        case: &ir::Case,
        options: Options,
        key: &mut Vec<u8>,
        known: impl FnOnce(&[u8]) -> Option<T>,
        out: &mut Verdicts,
    ) -> Result<Keyed<T>, EvalError> {
        if options.trace {
            self.verdicts_into(case, options, out)?;
            return Ok(Keyed::Unkeyed);
        }
        if case.documents.len() != 1 {
            let keyed = self.case_key(case, key);
            if let Some(t) = if keyed { known(key) } else { None } {
                return Ok(Keyed::Known(t));
            }
            self.verdicts_into(case, options, out)?;
            return Ok(if keyed { Keyed::Evaluated } else { Keyed::Unkeyed });
        }
        let (mut known, mut found, mut keyed) = (Some(known), None, false);
        self.rulings_with(case, options, out, |doc| {
            key_head(case, key);
            keyed = doc.append_key(key);
            found = known.take().filter(|_| keyed).and_then(|known| known(key));
            found.is_none()
        })?;
        if let Some(t) = found {
            return Ok(Keyed::Known(t));
        }
        self.vouch(case, out);
        Ok(if keyed { Keyed::Evaluated } else { Keyed::Unkeyed })
    }

    /// [`Evaluator::verdicts_into`] without vouching for the reasons.
    fn rulings_into(&mut self, case: &ir::Case, options: Options, out: &mut Verdicts) -> Result<(), EvalError> {
        self.rulings_with(case, options, out, |_| true)
    }

    /// [`Evaluator::rulings_into`], asking `first` at each document
    /// whether to go on with it.
    fn rulings_with(
        &mut self,
        case: &ir::Case,
        options: Options,
        out: &mut Verdicts,
        mut first: impl FnMut(&DocEval<'_, 'p, true>) -> bool,
    ) -> Result<(), EvalError> {
        let program = self.program;
        out.id.clone_from(&case.id);
        out.date = case.date;
        out.rulings.clear();
        out.reasons.clear();
        out.statuses.clear();
        out.notices.clear();
        out.total = Decimal::ZERO;
        out.rulings.reserve(
            case.documents.iter().filter_map(|&i| program.documents.get(i as usize)).map(|d| d.groups.len()).sum(),
        );
        let Verdicts { rulings, reasons, statuses, notices, total, .. } = out;
        let mut kept = std::mem::take(&mut self.memo);
        let mut memo = self.remembering.then_some(&mut kept);
        let done = self.each_document::<true>(case, |doc| {
            if !first(doc) {
                return Ok(());
            }
            for (ci, clause) in doc.doc.clauses.iter().enumerate() {
                doc.statuses_and_notices(ci, clause, reasons, (statuses, notices), memo.as_deref_mut())?;
            }
            doc.verdicts(reasons, memo.as_deref_mut(), |d| {
                add_granted(total, &d.decision)?;
                let trace = if options.trace { doc.trace_of(d.decision.rule) } else { Vec::new() };
                rulings.push(Verdict { decision: d.decision, reasons: d.reasons, trace });
                Ok(())
            })
        });
        self.memo = kept;
        done
    }

    /// Runs `each` over the documents the case names, in its order; with
    /// `WORDS`, reasons are written, else only outcomes and amounts made
    /// (a lean build of the same code for [`Evaluator::decide`]).
    fn each_document<const WORDS: bool>(
        &mut self,
        case: &ir::Case,
        mut each: impl FnMut(&DocEval<'_, 'p, WORDS>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let program = self.program;
        let history = History::of(program, &case.subject);
        // A clause adopted by a lower-level document in force replaces its
        // parent's clause when both documents are asked for.
        let superseded: Vec<(&str, &str)> = case
            .documents
            .iter()
            .filter_map(|&i| Some((program.documents.get(i as usize)?, self.plans.get(i as usize)?)))
            .filter(|(d, plan)| !plan.adopts.is_empty() && d.window.contains(case.date))
            .flat_map(|(_, plan)| plan.adopts.iter().copied())
            .collect();
        for &index in &case.documents {
            let (Some(doc), Some(plan)) = (program.documents.get(index as usize), self.plans.get(index as usize))
            else {
                continue;
            };
            for cell in &mut self.locals {
                cell.take();
            }
            let refused = plan.audiences.iter().enumerate().filter(|(_, a)| a.refuses(&case.subject));
            let doc_eval = DocEval {
                program,
                doc,
                case,
                history: &history,
                in_force: doc.window.contains(case.date),
                superseded: &superseded,
                plan,
                locals: &self.locals,
                refused: refused.fold(0, |mask, (i, _)| mask | 1 << i),
            };
            each(&doc_eval)?;
        }
        Ok(())
    }
}

/// What [`Evaluator::verdicts_keyed`] did with a case.
pub enum Keyed<T> {
    /// What `known` gave for the case's key; nothing was worked out.
    Known(T),
    /// Worked out; `known` did not know its key.
    Evaluated,
    /// Worked out; it has no key.
    Unkeyed,
}

/// The start of a case's key, written over `key`: its date and the
/// documents it names.
fn key_head(case: &ir::Case, key: &mut Vec<u8>) {
    key.clear();
    key.extend_from_slice(&case.date.to_bytes());
    key.extend_from_slice(&(case.documents.len() as u32).to_le_bytes());
    for d in &case.documents {
        key.extend_from_slice(&d.to_le_bytes());
    }
}

/// One claim of the case's 享受记录: the benefit's name, when it was
/// made, what it paid (元, when given) and under which document (when
/// given); names folded by the case readers, for matching.
struct Claim<'e> {
    key: &'e str,
    date: Date,
    amount: Option<Decimal>,
    document: Option<&'e str>,
}

/// The case's 享受记录.
struct History<'e>(Vec<Claim<'e>>);

impl<'e> History<'e> {
    fn of(program: &Program, subject: &'e Record) -> History<'e> {
        let Some(h) = program.vocabulary.history else { return History(Vec::new()) };
        let Value::List(items) = subject.get(h.list_slot) else { return History(Vec::new()) };
        let claim = |r: &'e Record| {
            let (Value::Text(key), Value::Date(date)) = (r.get(h.name_slot), r.get(h.date_slot)) else { return None };
            // A claim without its 金额 has the number's default, 0: it is
            // told apart by its defaulted mark.
            let amount = match h.amount_slot.filter(|&s| !r.is_defaulted(s)).map(|s| r.get(s)) {
                Some(Value::Num(n)) => Some(*n),
                _ => None,
            };
            let document = match h.document_slot.map(|s| r.get(s)) {
                Some(Value::Text(d)) => Some(d.as_str()),
                _ => None,
            };
            Some(Claim { key, date: *date, amount, document })
        };
        History(items.iter().filter_map(claim).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const WORDS: bool> DocEval<'_, '_, WORDS> {
    /// What the document's statuses, constraints and rules read, appended
    /// to a case's key ([`Evaluator::case_key`]); `false` when there is
    /// none.
    fn append_key(&self, key: &mut Vec<u8>) -> bool {
        let claims = !self.history.is_empty();
        self.plan.reads.as_ref().is_some_and(|reads| reads.append_key((self.case, claims), self, key))
    }
}

impl<'p, const WORDS: bool> memo::Values<'p> for DocEval<'_, 'p, WORDS> {
    fn definition(&self, clause: u32, i: u32) -> Option<Value> {
        self.env(clause).local(i)?.as_ref().ok().cloned()
    }

    fn expr(&self, clause: u32, expr: &'p ir::Expr) -> Option<Value> {
        match self.plan.counted.iter().find(|(e, _)| std::ptr::eq(*e, expr)) {
            Some((_, count)) => count.run(&self.case.subject).ok().map(Value::Num),
            None => self.env(clause).eval(expr).ok(),
        }
    }
}

/// One document over one case.
struct DocEval<'e, 'p, const WORDS: bool> {
    program: &'p Program,
    doc: &'p Document,
    case: &'e ir::Case,
    history: &'e History<'e>,
    /// Whether the case's date is in the document's period.
    in_force: bool,
    superseded: &'e [(&'p str, &'p str)],
    plan: &'e DocPlan<'p>,
    locals: &'e [Local<'p>],
    /// The plan's applicant checks this case fails, as bits.
    refused: u64,
}

/// An amount worked out in words, between `before` and `after`: the
/// document's `text`, the expression with the case's values, the result
/// (`金额：1000元/人 × 合格人数 = 1000元/人 × 25人 = 25000元`).
fn worked_out<'p>(
    out: &mut String,
    (before, after): (&str, &str),
    text: &str,
    env: &Env<'_, 'p>,
    expr: &'p ir::Expr,
    result: Decimal,
) -> std::fmt::Result {
    out.push_str(before);
    // Each step is shown once: `1000元`, not `1000元 = 1000元 = 1000元`.
    let mut last = out.len();
    out.push_str(text);
    let at = out.len();
    out.push_str(" = ");
    env.render_into(out, expr);
    if out.get(at + 3..) == Some(text) {
        out.truncate(at);
    } else {
        last = at + 3;
    }
    let at = out.len();
    out.push_str(" = ");
    write_decimal(out, result);
    // `after` goes on from the unit 元 the result is in.
    let unit = if after.starts_with('元') { "元" } else { "" };
    if out.get(last..at).zip(out.get(at + 3..)).is_some_and(|(shown, r)| shown.strip_suffix(unit) == Some(r)) {
        out.truncate(at);
        return out.write_str(after.get(unit.len()..).unwrap_or_default());
    }
    out.write_str(after)
}

/// What became of checking one condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Pass,
    Fail,
    /// A fact the condition needs is missing.
    Unknown,
}

impl<'e, 'p, const WORDS: bool> DocEval<'e, 'p, WORDS> {
    /// The rule groups' verdicts, in the document's order, their reasons
    /// added to `reasons`; a group for another kind of applicant, or
    /// replaced by an adopting clause, gives none. With `memo`, verdicts
    /// are recalled where they can be, and kept.
    fn verdicts(
        &self,
        reasons: &mut Reasons,
        mut memo: Option<&mut memo::Memo>,
        mut emit: impl FnMut(Decided) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        for (g, group) in self.plan.groups.iter().enumerate() {
            if group.audience.is_some_and(|i| self.refused(i)) {
                continue;
            }
            let first = group.rules.first();
            let replaced = first.is_some_and(|r| self.superseded.contains(&(&*self.doc.id, &*r.clause.id)));
            if replaced {
                continue;
            }
            let verdict = match (memo.as_deref_mut(), &group.reads) {
                (Some(memo), Some(reads)) => {
                    let at = (self.plan.document, g);
                    let claims = !self.history.is_empty();
                    let work = |reasons: &mut Reasons| self.group(group, reasons);
                    memo.verdict(at, reads, (self.case, claims), self, reasons, work)?
                }
                _ => self.group(group, reasons)?,
            };
            if let Some(v) = verdict {
                emit(v)?;
            }
        }
        Ok(())
    }

    /// The environment of a clause: its definitions, computed when first read.
    fn env(&self, clause: u32) -> Env<'e, 'p> {
        let lets = self.doc.clauses.get(clause as usize).map_or(&[][..], |c| c.lets.as_slice());
        let first = self.plan.first_local.get(clause as usize).map_or(0, |f| *f as usize);
        self.env_of(lets, first..first + lets.len())
    }

    /// [`DocEval::env`] of a rule's clause, whose place is in its plan.
    fn rule_env(&self, rule: &RulePlan<'p>) -> Env<'e, 'p> {
        self.env_of(&rule.clause.lets, rule.lets.clone())
    }

    /// The environment of definitions `lets`, at `at` in the definition
    /// tables.
    fn env_of(&self, lets: &'p [ir::Let], at: Range<usize>) -> Env<'e, 'p> {
        let locals = self.locals.get(at.clone()).unwrap_or_default();
        let compiled = self.plan.counts.get(at).unwrap_or_default();
        Env {
            program: self.program,
            date: self.case.date,
            subject: &self.case.subject,
            lets,
            locals,
            compiled,
            item: None,
        }
    }

    /// The error a failure is, when it is one: a number or date out of
    /// range, or a division by zero, stops the evaluation; a missing fact
    /// or tier refuses the rule.
    #[inline]
    fn overflow(&self, clause: &Clause, env: &Env, f: &Fail) -> Option<EvalError> {
        match f.kind {
            FailKind::Missing | FailKind::NoTier(_) | FailKind::NoBand(_) | FailKind::NoStandard => None,
            _ => Some(self.failure(clause, env, f)),
        }
    }

    /// [`DocEval::overflow`] when it is an error: out of the hot path.
    #[cold]
    #[inline(never)]
    fn failure(&self, clause: &Clause, env: &Env, f: &Fail) -> EvalError {
        let kind = match f.kind {
            FailKind::DateOutOfRange => FailureKind::DateOutOfRange,
            FailKind::DivideByZero => FailureKind::DivideByZero,
            _ => FailureKind::Overflow,
        };
        EvalError::new(kind, &self.doc.id, &clause.id, env.describe(f.expr, f.item))
    }

    /// `value` of the amount expression `e`, unless it is negative.
    #[inline]
    fn not_negative(&self, clause: &Clause, env: &Env, e: &ir::Expr, value: Decimal) -> Result<Decimal, EvalError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(self.negative(clause, env, e, value));
        }
        Ok(value)
    }

    #[cold]
    #[inline(never)]
    fn negative(&self, clause: &Clause, env: &Env, e: &ir::Expr, value: Decimal) -> EvalError {
        EvalError::new(FailureKind::Negative(value), &self.doc.id, &clause.id, env.describe(e, None))
    }

    /// A condition in words: how it is cited (`lead`: 符合：, 不符合：, …),
    /// the text, and the values it reads (`合格人数 = 25人`), a value the
    /// case did not give marked as a default.
    fn condition_words(&self, out: &mut String, lead: Lead, cond: &Cond, env: &Env) {
        let labelled = match cond.lead(lead) {
            Some(start) => {
                out.push_str(start);
                1
            }
            None => {
                out.push_str(lead.prefix());
                out.push_str(&cond.text);
                0
            }
        };
        for (i, r) in cond.refs.iter().enumerate() {
            let (value, defaulted) = match r.access {
                ir::Access::Slot(s) => (self.case.subject.get(s), self.case.subject.is_defaulted(s)),
                ir::Access::Local(i) => (
                    match env.local(i) {
                        Some(Ok(v)) => v,
                        _ => &Value::Missing,
                    },
                    false,
                ),
            };
            if i >= labelled {
                out.push_str(&r.label);
            }
            match (value, defaulted) {
                // The most common pair, written in one piece.
                (Value::Bool(false), true) => out.push_str("否（案例未提供，按默认值）"),
                _ => {
                    write_value(out, self.program, value, r.ty);
                    if defaulted {
                        out.push_str("（案例未提供，按默认值）");
                    }
                }
            }
        }
        if !cond.refs.is_empty() {
            out.push('）');
        }
    }

    fn check(
        &self,
        clause: &Clause,
        cond: &'p Cond,
        env: &Env<'e, 'p>,
        expect: bool,
        out: &mut String,
    ) -> Result<Check, EvalError> {
        let truth = env.truth(&cond.expr);
        self.describe(clause, cond, env, truth, expect, out)
    }

    /// Whether a condition whose value is known came out as `expect`; when
    /// reasons are wanted, its words are written to `out`: 符合/不符合 with
    /// the values it read, or what fact is missing.
    fn describe(
        &self,
        clause: &Clause,
        cond: &Cond,
        env: &Env,
        truth: Result<bool, Fail>,
        expect: bool,
        out: &mut String,
    ) -> Result<Check, EvalError> {
        let (check, lead) = match truth {
            Ok(v) if v == expect => (Check::Pass, if expect { Lead::Holds } else { Lead::NotExcluded }),
            Ok(_) => (Check::Fail, if expect { Lead::Fails } else { Lead::Excluded }),
            Err(f) => {
                if let Some(e) = self.overflow(clause, env, &f) {
                    return Err(e);
                }
                if WORDS {
                    let _ = write!(out, "无法判定：{}，{}", cond.text, env.fail_words(&f));
                }
                return Ok(Check::Unknown);
            }
        };
        if WORDS {
            self.condition_words(out, lead, cond, env);
        }
        Ok(check)
    }

    /// The statuses of a clause that hold and its constraints broken,
    /// appended to `found` (statuses, notices); with `memo`, recalled where
    /// they can be.
    #[inline(always)]
    fn statuses_and_notices(
        &self,
        ci: usize,
        clause: &'p Clause,
        reasons: &mut Reasons,
        found: (&mut Vec<Finding>, &mut Vec<Finding>),
        memo: Option<&mut memo::Memo>,
    ) -> Result<(), EvalError> {
        let nothing = clause.statuses.is_empty() && clause.constraints.is_empty();
        if nothing || !clause.window.contains(self.case.date) || !self.in_force {
            return Ok(());
        }
        match (memo, self.plan.finding_reads.get(ci)) {
            (Some(memo), Some(Some(reads))) => {
                let at = (self.plan.document, ci as u32);
                let work = |reasons: &mut Reasons, statuses: &mut Vec<Finding>, notices: &mut Vec<Finding>| {
                    self.find(ci, clause, reasons, statuses, notices)
                };
                memo.findings(at, reads, (self.case, self), reasons, found, work)
            }
            _ => self.find(ci, clause, reasons, found.0, found.1),
        }
    }

    /// [`DocEval::statuses_and_notices`] worked out.
    fn find(
        &self,
        ci: usize,
        clause: &'p Clause,
        reasons: &mut Reasons,
        statuses: &mut Vec<Finding>,
        notices: &mut Vec<Finding>,
    ) -> Result<(), EvalError> {
        let env = self.env(ci as u32);
        let finding = |index: usize, reasons: &mut Reasons, cond: &Cond, lead: Lead| {
            let start = reasons.len();
            reasons.write(|out| self.condition_words(out, lead, cond, &env));
            Finding {
                document: self.plan.document,
                clause: ci as u32,
                index: index as u32,
                reasons: start..reasons.len(),
            }
        };
        // Words are written only for what is reported: a status that holds,
        // a constraint the facts show broken.
        for (i, s) in clause.statuses.iter().enumerate() {
            match env.truth(&s.cond.expr) {
                Ok(true) => statuses.push(finding(i, reasons, &s.cond, Lead::Holds)),
                Ok(false) => {}
                Err(f) => {
                    if let Some(e) = self.overflow(clause, &env, &f) {
                        return Err(e);
                    }
                }
            }
        }
        for (i, c) in clause.constraints.iter().enumerate() {
            if matches!(env.truth(&c.cond.expr), Ok(false)) {
                notices.push(finding(i, reasons, &c.cond, Lead::Fails));
            }
        }
        Ok(())
    }

    /// Eligibility of one rule: its window, the clause's 适用 and its 条件.
    /// Returns whether everything held; the reasons are added to `reasons`.
    fn eligible(&self, rule: &RulePlan<'p>, env: &Env<'e, 'p>, reasons: &mut Reasons) -> Result<bool, EvalError> {
        let (clause, b) = (rule.clause, rule.benefit);
        let date = self.case.date;
        if !self.in_force {
            self.note(reasons, |out| {
                write!(out, "文件有效期为 {}，裁定日期 {date} 不在有效期内", self.doc.window.describe())
            });
            return Ok(false);
        }
        if rule.window.is_some_and(|w| !w.contains(date)) {
            self.note(reasons, |out| {
                write!(out, "本项政策执行期限为 {}，裁定日期 {date} 不在期限内", b.window.describe())
            });
            return Ok(false);
        }
        let subject = &self.case.subject;
        let (mut failed, mut unknown) = (false, false);
        if !WORDS {
            for c in &rule.conditions {
                if failed && c.skippable {
                    continue;
                }
                self.weigh(clause, env, c.truth(subject, env), &mut failed, &mut unknown)?;
            }
            return Ok(!failed && !unknown);
        }
        // With words every condition is weighed for citing, so none is
        // skipped, and the first `KEPT` values are kept for the words
        // rather than computed again (a missing fact is looked for again).
        const KEPT: usize = 16;
        let mut kept = [None; KEPT];
        for (i, c) in rule.conditions.iter().enumerate() {
            let truth = c.truth(subject, env);
            self.weigh(clause, env, truth, &mut failed, &mut unknown)?;
            if let Some(k) = kept.get_mut(i) {
                *k = truth.ok();
            }
        }
        // A refusal lists what failed; a missing fact matters only when
        // nothing else already decides.
        for (i, c) in rule.conditions.iter().enumerate() {
            let truth = match kept.get(i) {
                Some(Some(v)) => Ok(*v),
                _ => c.truth(subject, env),
            };
            let cited = match (failed, unknown) {
                (true, _) => matches!(truth, Ok(false)),
                (false, true) => truth.is_err(),
                (false, false) => true,
            };
            if cited {
                reasons.write(|out| self.describe(clause, c.cond, env, truth, true, out))?;
            }
        }
        Ok(!failed && !unknown)
    }

    /// Adds a condition's value to what is known of a rule: whether a
    /// condition failed, whether one could not be decided. An overflow is
    /// an error.
    fn weigh(
        &self,
        clause: &Clause,
        env: &Env,
        truth: Result<bool, Fail>,
        failed: &mut bool,
        unknown: &mut bool,
    ) -> Result<(), EvalError> {
        match truth {
            Ok(v) => *failed |= !v,
            Err(f) => match self.overflow(clause, env, &f) {
                Some(e) => return Err(e),
                None => *unknown = true,
            },
        }
        Ok(())
    }

    /// The verdict of a group of rules of one name: the first (highest
    /// priority) whose conditions hold decides. When its rules share one
    /// compiled applicant check, the case has passed it or left it
    /// undecided (`verdicts` skips the group otherwise), so none is for
    /// someone else.
    fn group(&self, group: &GroupPlan<'p>, reasons: &mut Reasons) -> Result<Option<Decided>, EvalError> {
        // A rule for another kind of applicant is not tried; a benefit all
        // of whose rules are gets no ruling at all (no fallback).
        let start = reasons.len();
        let mut fallback = None;
        let shared_audience = group.audience.is_some();
        for rule in group.rules.iter().filter(|r| shared_audience || !self.for_someone_else(r)) {
            // Only the reasons of the last rule tried are kept: the base
            // rule (lowest priority, last) explains a refusal.
            reasons.truncate(start);
            let env = self.rule_env(rule);
            if self.eligible(rule, &env, reasons)? {
                return self.decide(rule.id, rule.clause, rule.benefit, &env, reasons, start).map(Some);
            }
            fallback = Some(rule.id);
        }
        Ok(fallback.map(|rule| self.verdict(rule, Outcome::Refused, NO_MONEY, reasons, start)))
    }

    /// Whether the case fails the plan's applicant check `i`.
    fn refused(&self, i: usize) -> bool {
        self.refused & 1 << i != 0
    }

    /// Whether the case is of another kind of applicant than the rule's
    /// (`对象 单位` for a person).
    fn for_someone_else(&self, r: &RulePlan<'p>) -> bool {
        r.benefit.audience.as_ref().is_some_and(|a| match r.audience {
            Some(i) => self.refused(i),
            None => matches!(self.env(r.id.clause).truth(a), Ok(false)),
        })
    }

    /// The verdict of `rule`, with the reasons from `start` on.
    fn verdict(&self, rule: RuleId, outcome: Outcome, money: Money, reasons: &mut Reasons, start: usize) -> Decided {
        if let Some((doc, id)) = self.doc.clauses.get(rule.clause as usize).and_then(|c| c.adopts.as_ref()) {
            self.note(reasons, |out| write!(out, "本条采纳上级文件 {doc} 条款 {id}，同时适用时取代之"));
        }
        Decided { decision: Decision::new(rule, outcome, money), reasons: start..reasons.len() }
    }

    /// The trace of a rule of this document.
    fn trace_of(&self, rule: RuleId) -> Vec<String> {
        let clause = self.doc.clauses.get(rule.clause as usize);
        match clause.and_then(|c| Some((c, c.benefits.get(rule.benefit as usize)?))) {
            Some((clause, b)) => self.trace(clause, b, &self.env(rule.clause)),
            None => Vec::new(),
        }
    }

    /// An eligible rule: exclusions, history, then the amount. Its
    /// reasons so far start at `start`.
    fn decide(
        &self,
        rule: RuleId,
        clause: &'p Clause,
        b: &'p Benefit,
        env: &Env<'e, 'p>,
        reasons: &mut Reasons,
        start: usize,
    ) -> Result<Decided, EvalError> {
        let refuse = |reasons: &mut Reasons| Ok(self.verdict(rule, Outcome::Refused, NO_MONEY, reasons, start));
        for cond in &b.exclusions {
            let check = if WORDS {
                reasons.write(|out| self.check(clause, cond, env, false, out))?
            } else {
                self.check(clause, cond, env, false, &mut String::new())?
            };
            if check != Check::Pass {
                return refuse(reasons);
            }
        }
        let date = self.case.date;
        if b.looks_at_claims() {
            self.note_later_claims(reasons, b);
        }
        match b.frequency {
            Frequency::Unlimited => {}
            Frequency::PerYear(n) => {
                let this_year = || self.claims(&b.key).filter(|c| c.date.year() == date.year());
                let taken = this_year().count();
                if taken >= n as usize {
                    self.note(reasons, |out| {
                        let when: Vec<String> = this_year().map(|c| c.date.to_string()).collect();
                        write!(out, "{}年已享受{taken}次（{}），每年限{n}次", date.year(), when.join("、"))
                    });
                    return refuse(reasons);
                }
            }
            Frequency::Once => {
                if let Some(c) = self.claims(&b.key).next() {
                    self.note(reasons, |out| write!(out, "已于 {} 享受过，一次性待遇不重复给予", c.date));
                    return refuse(reasons);
                }
            }
        }
        for x in &b.exclusive {
            let in_period = |d: Date| x.year.is_none_or(|y| d.year() == y);
            if !in_period(date) {
                continue;
            }
            if let Some(c) = self.claims(&x.key).find(|c| in_period(c.date)) {
                self.note(reasons, |out| {
                    let period = x.year.map_or(String::new(), |y| format!("{y}年内"));
                    write!(out, "已于 {} 享受「{}」，{period}两者不能同时享受", c.date, x.other)
                });
                return refuse(reasons);
            }
        }
        let cannot = |f: Fail, reasons: &mut Reasons| -> Result<Decided, EvalError> {
            if let Some(e) = self.overflow(clause, env, &f) {
                return Err(e);
            }
            self.note(reasons, |out| write!(out, "无法计算金额：{}", env.fail_words(&f)));
            refuse(reasons)
        };
        // What this year's claims leave of a yearly limit.
        let left = match &b.yearly_cap {
            None => None,
            Some((cap_expr, cap_text)) => {
                let cap = match env.number(cap_expr) {
                    Ok(v) => round_money(self.not_negative(clause, env, cap_expr, v)?),
                    Err(f) => return cannot(f, reasons),
                };
                match self.yearly_left(b, cap) {
                    Some(left) if left > Decimal::ZERO => Some((left, cap)),
                    _ => {
                        self.note(reasons, |out| {
                            write!(out, "{}年已享受", date.year())?;
                            self.write_claims_this_year(out, b, cap)?;
                            write!(out, "，每年最高 {cap_text}，已无余额")
                        });
                        return refuse(reasons);
                    }
                }
            }
        };
        // A limit, and the yearly limit's rest where it is lower.
        let within = |limit: Decimal, reasons: &mut Reasons| match left {
            Some((l, cap)) if l < limit => {
                self.note(reasons, |out| {
                    write!(out, "{}年已享受", date.year())?;
                    self.write_claims_this_year(out, b, cap)?;
                    write!(out, "，本年尚余 {l}元")
                });
                l
            }
            _ => limit,
        };
        let floor = match &b.floor {
            None => None,
            Some((floor_expr, floor_text)) => match env.number(floor_expr) {
                Ok(v) => {
                    let floor = round_money(self.not_negative(clause, env, floor_expr, v)?);
                    // A fixed amount says so only where the floor raises it.
                    if !matches!(b.amount, Amount::Fixed { .. }) {
                        self.note(reasons, |out| {
                            worked_out(out, ("不低于 ", "元"), floor_text, env, floor_expr, floor)
                        });
                    }
                    Some(floor)
                }
                Err(f) => return cannot(f, reasons),
            },
        };
        Ok(match &b.amount {
            Amount::Deferred => {
                self.note(reasons, |out| out.write_str("符合条件；金额按有关规定确定，本文件未规定标准"));
                // What the yearly limit leaves is the ceiling.
                let ceiling = left.map(|(_, cap)| within(cap, reasons));
                self.notes(reasons, b);
                self.verdict(rule, Outcome::Pending, (None, ceiling, floor), reasons, start)
            }
            Amount::Ceiling { expr, text } => {
                let ceiling = match env.number(expr) {
                    Ok(v) => round_money(self.not_negative(clause, env, expr, v)?),
                    Err(f) => return cannot(f, reasons),
                };
                self.note(reasons, |out| {
                    let worked = ("符合条件；本文件只规定上限：", "元，具体标准由有关部门确定");
                    worked_out(out, worked, text, env, expr, ceiling)
                });
                self.note_left_out(reasons, env, expr);
                let ceiling = within(ceiling, reasons);
                self.notes(reasons, b);
                self.verdict(rule, Outcome::Pending, (None, Some(ceiling), floor), reasons, start)
            }
            Amount::Fixed { expr, text, cap } => {
                let raw = match env.number(expr) {
                    Ok(v) => self.not_negative(clause, env, expr, v)?,
                    Err(f) => return cannot(f, reasons),
                };
                let mut amount = round_money(raw);
                self.note(reasons, |out| worked_out(out, ("金额：", "元"), text, env, expr, amount));
                self.note_left_out(reasons, env, expr);
                if let Some((cap_expr, cap_text)) = cap {
                    let cap_value = match env.number(cap_expr) {
                        Ok(v) => round_money(self.not_negative(clause, env, cap_expr, v)?),
                        Err(f) => return cannot(f, reasons),
                    };
                    if amount > cap_value {
                        self.note(reasons, |out| write!(out, "超过最高限额 {cap_text}，按 {cap_value}元 给予"));
                        amount = cap_value;
                    }
                }
                if let (Some(least), Some((_, floor_text))) = (floor, &b.floor) {
                    if amount < least {
                        self.note(reasons, |out| write!(out, "低于 {floor_text}，按 {least}元 给予"));
                        amount = least;
                    }
                }
                amount = within(amount, reasons);
                self.notes(reasons, b);
                if amount.is_zero() {
                    self.note(reasons, |out| out.write_str("按标准计算金额为 0元"));
                    self.verdict(rule, Outcome::Refused, NO_MONEY, reasons, start)
                } else {
                    self.verdict(rule, Outcome::Granted, (Some(amount), None, None), reasons, start)
                }
            }
        })
    }

    /// The case's claims of the benefit (or other benefit) `key` that
    /// count for this document: made on or before the case's date, and
    /// under this document or one it adopts clauses of, or under none.
    fn claims<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Claim<'e>> + use<'a, 'e, 'p, WORDS> {
        let date = self.case.date;
        self.history.0.iter().filter(move |c| {
            c.key == key
                && c.date <= date
                && c.document.is_none_or(|d| self.doc.claims_from.iter().any(|from| from == d))
        })
    }

    /// Says which claims of the benefit were left out for being dated
    /// after the case.
    fn note_later_claims(&self, reasons: &mut Reasons, b: &Benefit) {
        let date = self.case.date;
        for c in self.history.0.iter().filter(|c| c.key == b.key && c.date > date) {
            self.note(reasons, |out| write!(out, "享受记录中 {} 的「{}」晚于裁定日期 {date}，不计入", c.date, b.name));
        }
    }

    /// What is left this year of the yearly limit `cap` of `b` after its
    /// claims (one without an amount takes the whole limit); `None` when
    /// they sum past what a decimal holds.
    fn yearly_left(&self, b: &Benefit, cap: Decimal) -> Option<Decimal> {
        let year = self.case.date.year();
        let mut used = Decimal::ZERO;
        for c in self.claims(&b.key).filter(|c| c.date.year() == year) {
            used = used.checked_add(c.amount.unwrap_or(cap))?;
        }
        Some((cap - used).max(Decimal::ZERO))
    }

    /// This year's claims of `b`: `2000元（2024-01-15 1000元、2024-03-01 1000元）`,
    /// a claim without an amount counted as the whole limit `cap`.
    fn write_claims_this_year(&self, out: &mut String, b: &Benefit, cap: Decimal) -> std::fmt::Result {
        let year = self.case.date.year();
        let claims: Vec<&Claim> = self.claims(&b.key).filter(|c| c.date.year() == year).collect();
        let used = claims.iter().try_fold(Decimal::ZERO, |sum, c| sum.checked_add(c.amount.unwrap_or(cap)));
        match used {
            Some(used) => write!(out, "「{}」{}元（", b.name, used.normalize())?,
            None => write!(out, "「{}」（", b.name)?,
        }
        for (i, c) in claims.iter().enumerate() {
            let sep = if i > 0 { "、" } else { "" };
            match c.amount {
                Some(a) => write!(out, "{sep}{} {}元", c.date, a.normalize())?,
                None => write!(out, "{sep}{} 未记金额，按 {}元 计", c.date, cap.normalize())?,
            }
        }
        out.write_str("）")
    }

    /// Says which members a sum in `expr` left out for being in no tier.
    fn note_left_out(&self, reasons: &mut Reasons, env: &Env<'e, 'p>, expr: &'p ir::Expr) {
        if WORDS {
            let mut left = Vec::new();
            env.left_out(expr, &mut left);
            if !left.is_empty() {
                self.note(reasons, |out| write!(out, "未计入：{}", left.join("；")));
            }
        }
    }

    /// Adds the reason `words` writes, unless reasons are not wanted.
    fn note(&self, reasons: &mut Reasons, words: impl FnOnce(&mut String) -> std::fmt::Result) {
        if WORDS {
            // Writing to a `String` cannot fail.
            let _ = reasons.write(words);
        }
    }

    /// Adds the rule's 说明.
    fn notes(&self, reasons: &mut Reasons, b: &Benefit) {
        if WORDS {
            for note in &b.notes {
                reasons.push(note);
            }
        }
    }

    /// Every definition, condition and amount of a rule with its value.
    fn trace(&self, clause: &'p Clause, b: &'p Benefit, env: &Env<'e, 'p>) -> Vec<String> {
        let mut t = Vec::new();
        t.push(format!("条款 {}「{}」，规则「{}」（优先级 {}）", clause.id, clause.title, b.name, b.priority));
        if b.priority > 0 {
            t.push(format!("适用例外规则（优先级 {}），优先于同名的基本规则", b.priority));
        }
        for (i, l) in clause.lets.iter().enumerate() {
            let shown = match env.local(i as u32) {
                Some(Ok(v)) => show_value(self.program, v, l.expr.ty),
                Some(Err(f)) => env.fail_words(f),
                None => String::new(),
            };
            t.push(format!("设 {} = {shown}", l.name));
        }
        for cond in clause.applies.iter().chain(b.conditions.iter()).chain(b.exclusions.iter()) {
            let v = match env.truth(&cond.expr) {
                Ok(true) => "成立".to_string(),
                Ok(false) => "不成立".to_string(),
                Err(f) => env.fail_words(&f),
            };
            t.push(format!("{} → {v}", cond.text));
        }
        let yuan = |e: &'p ir::Expr| {
            env.number(e).map(|v| show_number(v, ir::Unit::YUAN)).unwrap_or_else(|f| env.fail_words(&f))
        };
        match &b.amount {
            Amount::Fixed { expr, cap, .. } => {
                t.push(format!("金额 {} = {}", env.render(expr), yuan(expr)));
                if let Some((c, text)) = cap {
                    t.push(format!("最高限额 {text} = {}", yuan(c)));
                }
            }
            Amount::Ceiling { expr, .. } => t.push(format!("金额上限 {}", env.render(expr))),
            Amount::Deferred => t.push("金额按规定".to_string()),
        }
        if let Some((f, text)) = &b.floor {
            t.push(format!("金额下限 {text} = {}", yuan(f)));
        }
        if let Some((c, text)) = &b.yearly_cap {
            t.push(format!("每年最高 {text} = {}", yuan(c)));
        }
        t
    }
}
