//! Evaluation: IR + case → rulings, each with its reasons.
//!
//! **Architecture invariant:** no I/O and nothing but [`crate::ir`] types
//! in; every evaluation terminates in time linear in the size of the case.

mod value;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::date::Date;
use crate::ir::{self, Amount, Benefit, Clause, Cond, Document, Frequency, Program, Record, Text, Value};
pub use value::{round_money, show_number, show_value, Env, Fail};

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

/// One ruling, in the shape of CASES.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ruling {
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

/// An evaluation that cannot produce rulings at all.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    /// A computation overflowed: the document, clause and expression.
    Overflow { document: String, clause: String, expr: String },
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Overflow { document, clause, expr } => {
                write!(f, "计算溢出：{document} 条款 {clause} 的「{expr}」超出可表示的范围")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record every condition, definition and cap in each ruling's 追踪.
    pub trace: bool,
    /// Decide outcomes and amounts only, with empty 理由: for totals over a
    /// population, where no ruling is read.
    pub without_reasons: bool,
}

/// Evaluates a case against the documents it names.
pub fn evaluate(program: &Program, case: &ir::Case, options: Options) -> Result<Evaluation, EvalError> {
    let history = History::of(program, &case.subject);
    let mut out = Evaluation {
        id: case.id.clone(),
        date: case.date,
        rulings: Vec::with_capacity(
            case.documents.iter().filter_map(|id| program.document(id)).map(|d| d.groups.len()).sum(),
        ),
        statuses: Vec::new(),
        notices: Vec::new(),
        total: Decimal::ZERO,
    };
    // A clause adopted by a lower-level document in force replaces its
    // parent's clause when both documents are asked for.
    let superseded: Vec<(&str, &str)> = case
        .documents
        .iter()
        .filter_map(|id| program.document(id))
        .filter(|d| d.window.contains(case.date))
        .flat_map(|d| d.clauses.iter().filter_map(|c| c.adopts.as_ref()))
        .map(|(d, c)| (&**d, &**c))
        .collect();
    for doc_id in &case.documents {
        let Some(doc) = program.document(doc_id) else { continue };
        DocEval { program, doc, case, history: &history, options, superseded: &superseded, out: &mut out }.run()?;
    }
    out.total = out
        .rulings
        .iter()
        .filter(|r| r.outcome == Outcome::Granted)
        .filter_map(|r| r.amount)
        .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a))
        .ok_or_else(|| EvalError::Overflow { document: String::new(), clause: String::new(), expr: "合计".into() })?;
    Ok(out)
}

/// 享受记录, folded for matching: (benefit key, date).
struct History(Vec<(String, Date)>);

impl History {
    fn of(program: &Program, subject: &Record) -> History {
        let Some(h) = program.vocabulary.history else { return History(Vec::new()) };
        let Value::List(items) = subject.get(h.list_slot) else { return History(Vec::new()) };
        History(
            items
                .iter()
                .filter_map(|r| match (r.get(h.name_slot), r.get(h.date_slot)) {
                    (Value::Text(name), Value::Date(d)) => Some((name.clone(), *d)),
                    _ => None,
                })
                .collect(),
        )
    }
    fn dates<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Date> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, d)| *d)
    }
}

struct DocEval<'a> {
    program: &'a Program,
    doc: &'a Document,
    case: &'a ir::Case,
    history: &'a History,
    options: Options,
    superseded: &'a [(&'a str, &'a str)],
    out: &'a mut Evaluation,
}

/// What became of checking one condition.
enum Check {
    Pass(String),
    Fail(String),
    /// A fact the condition needs is missing.
    Unknown(String),
}

impl DocEval<'_> {
    fn run(&mut self) -> Result<(), EvalError> {
        let locals: Vec<Vec<Result<Value, Fail>>> = self.doc.clauses.iter().map(|c| self.lets(c)).collect();
        for (ci, clause) in self.doc.clauses.iter().enumerate() {
            let env = self.env(locals.get(ci).map_or(&[], Vec::as_slice));
            let (statuses, notices) = self.statuses_and_notices(clause, &env)?;
            self.out.statuses.extend(statuses);
            self.out.notices.extend(notices);
        }
        for group in &self.doc.groups {
            let replaced = group
                .first()
                .and_then(|(c, _)| self.doc.clauses.get(*c as usize))
                .is_some_and(|c| self.superseded.contains(&(&*self.doc.id, &*c.id)));
            if replaced {
                continue;
            }
            let ruling = self.group(group, &locals)?;
            if let Some(r) = ruling {
                self.out.rulings.push(r);
            }
        }
        Ok(())
    }

    fn env<'e>(&'e self, locals: &'e [Result<Value, Fail>]) -> Env<'e> {
        Env { program: self.program, date: self.case.date, subject: &self.case.subject, locals, item: None }
    }

    fn lets(&self, clause: &Clause) -> Vec<Result<Value, Fail>> {
        let mut values: Vec<Result<Value, Fail>> = Vec::with_capacity(clause.lets.len());
        for l in &clause.lets {
            let v = self.env(&values).eval(&l.expr);
            values.push(v);
        }
        values
    }

    fn overflow(&self, clause: &Clause, f: &Fail) -> Option<EvalError> {
        match f {
            Fail::Overflow(expr) => Some(EvalError::Overflow {
                document: self.doc.id.to_string(),
                clause: clause.id.to_string(),
                expr: expr.clone(),
            }),
            _ => None,
        }
    }

    /// The values a condition reads, as `合格人数 = 25人`; a value the case
    /// did not give is marked as a default.
    fn refs(&self, cond: &Cond, env: &Env) -> String {
        let parts: Vec<String> = cond
            .refs
            .iter()
            .map(|r| {
                let (value, defaulted) = match r.access {
                    ir::Access::Slot(s) => (self.case.subject.get(s).clone(), self.case.subject.is_defaulted(s)),
                    ir::Access::Local(i) => {
                        (env.locals.get(i as usize).and_then(|v| v.clone().ok()).unwrap_or(Value::Missing), false)
                    }
                };
                let shown = show_value(self.program, &value, r.ty);
                if defaulted {
                    format!("{} = {shown}（案例未提供，按默认值）", r.name)
                } else {
                    format!("{} = {shown}", r.name)
                }
            })
            .collect();
        parts.join("，")
    }

    fn check(&self, clause: &Clause, cond: &Cond, env: &Env, expect: bool) -> Result<Check, EvalError> {
        let truth = env.truth(&cond.expr);
        self.describe(clause, cond, env, truth, expect)
    }

    /// Words for a condition whose value is known: 符合/不符合 with the values
    /// it read, or what fact is missing.
    fn describe(
        &self,
        clause: &Clause,
        cond: &Cond,
        env: &Env,
        truth: Result<bool, Fail>,
        expect: bool,
    ) -> Result<Check, EvalError> {
        let with_refs = |prefix: &str| {
            self.say(|| {
                let refs = self.refs(cond, env);
                if refs.is_empty() {
                    format!("{prefix}{}", cond.text)
                } else {
                    format!("{prefix}{}（{refs}）", cond.text)
                }
            })
        };
        match truth {
            Ok(v) if v == expect => {
                Ok(Check::Pass(with_refs(if expect { "符合：" } else { "不属于除外情形：" })))
            }
            Ok(_) => Ok(Check::Fail(with_refs(if expect { "不符合：" } else { "属于除外情形：" }))),
            Err(f) => {
                if let Some(e) = self.overflow(clause, &f) {
                    return Err(e);
                }
                Ok(Check::Unknown(self.say(|| format!("无法判定：{}，{}", cond.text, fail_words(&f)))))
            }
        }
    }

    fn statuses_and_notices(&self, clause: &Clause, env: &Env) -> Result<(Vec<StatusRuling>, Vec<Notice>), EvalError> {
        let mut statuses = Vec::new();
        let mut notices = Vec::new();
        if !clause.window.contains(self.case.date) || !self.doc.window.contains(self.case.date) {
            return Ok((statuses, notices));
        }
        for s in &clause.statuses {
            if let Check::Pass(reason) = self.check(clause, &s.cond, env, true)? {
                statuses.push(StatusRuling {
                    document: self.doc.id.clone(),
                    clause: clause.id.clone(),
                    status: s.name.clone(),
                    reasons: vec![reason],
                });
            }
        }
        for c in &clause.constraints {
            // A constraint is only reported when the facts show it broken.
            if matches!(env.truth(&c.cond.expr), Ok(false)) {
                if let Check::Fail(reason) | Check::Unknown(reason) = self.check(clause, &c.cond, env, true)? {
                    notices.push(Notice {
                        document: self.doc.id.clone(),
                        clause: clause.id.clone(),
                        message: c.message.clone(),
                        reasons: vec![reason],
                    });
                }
            }
        }
        Ok((statuses, notices))
    }

    /// Eligibility of one rule: its window, the clause's 适用 and its 条件.
    /// Returns the reasons, and whether everything held.
    fn eligible(&self, clause: &Clause, b: &Benefit, env: &Env) -> Result<(bool, Vec<String>), EvalError> {
        let date = self.case.date;
        if !self.doc.window.contains(date) {
            return Ok((
                false,
                vec![self.say(|| format!("文件有效期为 {}，裁定日期 {date} 不在有效期内", self.doc.window.describe()))],
            ));
        }
        if !b.window.contains(date) {
            return Ok((
                false,
                vec![self.say(|| format!("本项政策执行期限为 {}，裁定日期 {date} 不在期限内", b.window.describe()))],
            ));
        }
        let conds = || clause.applies.iter().chain(b.conditions.iter());
        if self.options.without_reasons {
            let mut eligible = true;
            for c in conds() {
                match env.truth(&c.expr) {
                    Ok(v) => eligible &= v,
                    Err(f) => match self.overflow(clause, &f) {
                        Some(e) => return Err(e),
                        None => eligible = false,
                    },
                }
            }
            return Ok((eligible, Vec::new()));
        }
        // Values first, then words only for the conditions the ruling will
        // cite: a refusal lists what failed, and a missing fact matters only
        // when nothing else already decides.
        let values: Vec<(&Cond, Result<bool, Fail>)> = conds().map(|c| (c, env.truth(&c.expr))).collect();
        if let Some(e) = values.iter().find_map(|(_, t)| t.as_ref().err().and_then(|f| self.overflow(clause, f))) {
            return Err(e);
        }
        let failed = values.iter().any(|(_, t)| matches!(t, Ok(false)));
        let unknown = values.iter().any(|(_, t)| t.is_err());
        let cited = |t: &Result<bool, Fail>| match (failed, unknown) {
            (true, _) => matches!(t, Ok(false)),
            (false, true) => t.is_err(),
            (false, false) => true,
        };
        let mut reasons = Vec::new();
        for (cond, truth) in values.into_iter().filter(|(_, t)| cited(t)) {
            let (Check::Pass(r) | Check::Fail(r) | Check::Unknown(r)) =
                self.describe(clause, cond, env, truth, true)?;
            reasons.push(r);
        }
        Ok((!failed && !unknown, reasons))
    }

    fn group(&self, group: &[(u32, u32)], locals: &[Vec<Result<Value, Fail>>]) -> Result<Option<Ruling>, EvalError> {
        let lookup = |&(c, b): &(u32, u32)| {
            let clause = self.doc.clauses.get(c as usize)?;
            Some((clause, clause.benefits.get(b as usize)?, locals.get(c as usize).map_or(&[][..], Vec::as_slice)))
        };
        // A benefit for another kind of applicant gets no ruling at all.
        let for_someone_else = group
            .iter()
            .filter_map(lookup)
            .all(|(_, b, loc)| b.audience.as_ref().is_some_and(|a| matches!(self.env(loc).truth(a), Ok(false))));
        if for_someone_else {
            return Ok(None);
        }
        let mut fallback = None;
        for member in group {
            let Some((clause, b, loc)) = lookup(member) else { continue };
            let env = self.env(loc);
            let (ok, reasons) = self.eligible(clause, b, &env)?;
            if ok {
                return self.decide(clause, b, &env, reasons).map(Some);
            }
            // The base rule (lowest priority, last) explains a refusal.
            fallback = Some((clause, b, reasons));
        }
        Ok(fallback.map(|(clause, b, reasons)| self.ruling(clause, b, Outcome::Refused, None, None, reasons)))
    }

    fn ruling(
        &self,
        clause: &Clause,
        b: &Benefit,
        outcome: Outcome,
        amount: Option<Decimal>,
        ceiling: Option<Decimal>,
        mut reasons: Vec<String>,
    ) -> Ruling {
        if self.options.without_reasons {
            reasons.clear();
        } else if let Some((doc, id)) = &clause.adopts {
            reasons.push(format!("本条采纳上级文件 {doc} 条款 {id}，同时适用时取代之"));
        }
        Ruling {
            document: self.doc.id.clone(),
            clause: clause.id.clone(),
            benefit: b.name.clone(),
            outcome,
            amount,
            ceiling,
            funding: b.funding.clone(),
            payer: b.payer.clone(),
            lead: b.departments.first().cloned(),
            reasons,
            trace: Vec::new(),
        }
    }

    /// An eligible rule: exclusions, history, then the amount.
    fn decide(&self, clause: &Clause, b: &Benefit, env: &Env, mut reasons: Vec<String>) -> Result<Ruling, EvalError> {
        let refuse = |mut reasons: Vec<String>, why: String| {
            reasons.push(why);
            Ok(self.with_trace(self.ruling(clause, b, Outcome::Refused, None, None, reasons), clause, b, env))
        };
        for cond in &b.exclusions {
            match self.check(clause, cond, env, false)? {
                Check::Pass(r) => reasons.push(r),
                Check::Fail(r) | Check::Unknown(r) => return refuse(reasons, r),
            }
        }
        let date = self.case.date;
        match b.frequency {
            Frequency::Unlimited => {}
            Frequency::PerYear(n) => {
                let taken: Vec<Date> = self.history.dates(&b.key).filter(|d| d.year() == date.year()).collect();
                if taken.len() >= n as usize {
                    let when: Vec<String> = taken.iter().map(Date::to_string).collect();
                    return refuse(
                        reasons,
                        format!("{}年已享受{}次（{}），每年限{n}次", date.year(), taken.len(), when.join("、")),
                    );
                }
            }
            Frequency::Once => {
                if let Some(d) = self.history.dates(&b.key).next() {
                    return refuse(reasons, format!("已于 {d} 享受过，一次性待遇不重复给予"));
                }
            }
        }
        for x in &b.exclusive {
            let in_period = |d: Date| x.year.is_none_or(|y| d.year() == y);
            if !in_period(date) {
                continue;
            }
            if let Some(d) = self.history.dates(&x.key).find(|d| in_period(*d)) {
                let period = x.year.map_or(String::new(), |y| format!("{y}年内"));
                return refuse(reasons, format!("已于 {d} 享受「{}」，{period}两者不能同时享受", x.other));
            }
        }
        let fail = |f: Fail, this: &Self, mut r: Vec<String>| -> Result<Ruling, EvalError> {
            if let Some(e) = this.overflow(clause, &f) {
                return Err(e);
            }
            r.push(format!("无法计算金额：{}", fail_words(&f)));
            Ok(this.with_trace(this.ruling(clause, b, Outcome::Refused, None, None, r), clause, b, env))
        };
        let ruling = match &b.amount {
            Amount::Deferred => {
                self.note(&mut reasons, || "符合条件；金额按有关规定确定，本文件未规定标准".to_string());
                self.notes(&mut reasons, b);
                self.ruling(clause, b, Outcome::Pending, None, None, reasons)
            }
            Amount::Ceiling { expr, text } => {
                let ceiling = match env.number(expr) {
                    Ok(v) => round_money(v),
                    Err(f) => return fail(f, self, reasons),
                };
                self.note(&mut reasons, || {
                    format!(
                        "符合条件；本文件只规定上限：{text} = {} = {ceiling}元，具体标准由有关部门确定",
                        env.render(expr)
                    )
                });
                self.notes(&mut reasons, b);
                self.ruling(clause, b, Outcome::Pending, None, Some(ceiling), reasons)
            }
            Amount::Fixed { expr, text, cap } => {
                let raw = match env.number(expr) {
                    Ok(v) => v,
                    Err(f) => return fail(f, self, reasons),
                };
                let mut amount = round_money(raw.max(Decimal::ZERO));
                self.note(&mut reasons, || format!("金额：{text} = {} = {amount}元", env.render(expr)));
                if let Some((cap_expr, cap_text)) = cap {
                    let cap_value = match env.number(cap_expr) {
                        Ok(v) => round_money(v),
                        Err(f) => return fail(f, self, reasons),
                    };
                    if amount > cap_value {
                        self.note(&mut reasons, || format!("超过最高限额 {cap_text}，按 {cap_value}元 给予"));
                        amount = cap_value;
                    }
                }
                self.notes(&mut reasons, b);
                if amount.is_zero() {
                    self.note(&mut reasons, || "按标准计算金额为 0元".to_string());
                    self.ruling(clause, b, Outcome::Refused, None, None, reasons)
                } else {
                    self.ruling(clause, b, Outcome::Granted, Some(amount), None, reasons)
                }
            }
        };
        Ok(self.with_trace(ruling, clause, b, env))
    }

    /// Adds a reason, unless reasons are not wanted.
    fn note(&self, reasons: &mut Vec<String>, words: impl FnOnce() -> String) {
        if !self.options.without_reasons {
            reasons.push(words());
        }
    }

    /// Adds the rule's 说明.
    fn notes(&self, reasons: &mut Vec<String>, b: &Benefit) {
        if !self.options.without_reasons {
            reasons.extend(b.notes.iter().cloned());
        }
    }

    /// Words for a reason, unless reasons are not wanted.
    fn say(&self, words: impl FnOnce() -> String) -> String {
        if self.options.without_reasons {
            String::new()
        } else {
            words()
        }
    }

    fn with_trace(&self, mut r: Ruling, clause: &Clause, b: &Benefit, env: &Env) -> Ruling {
        if !self.options.trace {
            return r;
        }
        let mut t = Vec::new();
        t.push(format!("条款 {}「{}」，规则「{}」（优先级 {}）", clause.id, clause.title, b.name, b.priority));
        if b.priority > 0 {
            t.push(format!("适用例外规则（优先级 {}），优先于同名的基本规则", b.priority));
        }
        for (l, v) in clause.lets.iter().zip(env.locals.iter()) {
            let shown = match v {
                Ok(v) => show_value(self.program, v, l.expr.ty),
                Err(f) => fail_words(f),
            };
            t.push(format!("设 {} = {shown}", l.name));
        }
        for cond in clause.applies.iter().chain(b.conditions.iter()).chain(b.exclusions.iter()) {
            let v = match env.truth(&cond.expr) {
                Ok(true) => "成立".to_string(),
                Ok(false) => "不成立".to_string(),
                Err(f) => fail_words(&f),
            };
            t.push(format!("{} → {v}", cond.text));
        }
        match &b.amount {
            Amount::Fixed { expr, cap, .. } => {
                t.push(format!(
                    "金额 {} = {}",
                    env.render(expr),
                    env.number(expr).map(|v| show_number(v, ir::Unit::YUAN)).unwrap_or_else(|f| fail_words(&f))
                ));
                if let Some((c, text)) = cap {
                    t.push(format!(
                        "最高限额 {text} = {}",
                        env.number(c).map(|v| show_number(v, ir::Unit::YUAN)).unwrap_or_else(|f| fail_words(&f))
                    ));
                }
            }
            Amount::Ceiling { expr, .. } => t.push(format!("金额上限 {}", env.render(expr))),
            Amount::Deferred => t.push("金额按规定".to_string()),
        }
        r.trace = t;
        r
    }
}

fn fail_words(f: &Fail) -> String {
    match f {
        Fail::Missing(path) => format!("缺少事实「{path}」"),
        Fail::NoTier(what) => format!("{what}，本条未规定该档标准"),
        Fail::Overflow(e) => format!("「{e}」计算溢出"),
        Fail::DivideByZero(e) => format!("「{e}」除数为零"),
    }
}
