//! The lowered program: names resolved, types and units checked, case fields
//! turned into slots. Serde-serializable and free of pest and AST types.
//!
//! **Architecture invariant:** `eval` reads only this module's types.

mod members;
pub mod unit;

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A name shared between the program and every ruling that cites it.
pub type Text = Arc<str>;

use crate::date::Date;
pub use members::{Facts, Members, SLOTS as FACT_SLOTS};
pub use unit::Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub vocabulary: Vocabulary,
    pub documents: Vec<Document>,
}

// ------------------------------------------------------------ vocabulary

/// The case vocabulary as a tree (for reading cases) whose leaves are slots
/// (for evaluation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub subject: RecordSchema,
    /// Number of top-level slots of a subject.
    pub slot_count: usize,
    /// Full path of each top-level slot (`主体.用人单位.民营`), for messages.
    pub slot_paths: Vec<String>,
    pub enums: Vec<EnumDecl>,
    pub lists: Vec<ListDecl>,
    /// Where 享受记录 lives, if the vocabulary declares it.
    pub history: Option<HistorySlots>,
}

/// The subject's field that says whether it is a person or an
/// organization (`对象 单位` tests it); every case must give it.
pub const KIND_FIELD: &str = "类型";

impl Vocabulary {
    /// The slot of [`KIND_FIELD`], when the vocabulary declares it.
    pub fn kind_slot(&self) -> Option<u32> {
        match self.subject.field(KIND_FIELD)?.kind {
            FieldKind::Scalar { slot, .. } => Some(slot),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSchema {
    pub fields: Vec<FieldSchema>,
}

impl RecordSchema {
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSchema {
    pub name: String,
    pub kind: FieldKind,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    Scalar { slot: u32, ty: Ty, default: Option<Value> },
    Record(RecordSchema),
    List { slot: u32, list: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDecl {
    pub name: String,
    /// What one member counts as (人 for people, 次 for records).
    pub unit: Unit,
    pub item: RecordSchema,
    pub slot_count: usize,
    pub slot_paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDecl {
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySlots {
    pub list_slot: u32,
    pub name_slot: u32,
    pub date_slot: u32,
    /// A claim's 金额 (元), where the vocabulary declares it.
    pub amount_slot: Option<u32>,
    /// The document a claim was made under (文件), where declared.
    pub document_slot: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ty {
    Bool,
    Num(Unit),
    Date,
    Enum(u32),
    Text,
}

/// A runtime value. Text only appears in case data (享受记录.项目), already
/// normalized for matching.
///
/// With a tag byte of its own (`repr(u8)`): telling the kind of a value
/// from a tag costs less than from a niche in a text's length, and the
/// evaluator asks it for every fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Value {
    Missing,
    Bool(bool),
    Num(Decimal),
    Date(Date),
    Enum(u32),
    Text(String),
    List(Members),
}

/// The slots of one subject or list member, with which were filled in from
/// defaults because the case did not give them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Record {
    pub values: Vec<Value>,
    pub defaulted: Vec<bool>,
}

impl Record {
    pub fn get(&self, slot: u32) -> &Value {
        self.values.get(slot as usize).unwrap_or(&Value::Missing)
    }
    pub fn is_defaulted(&self, slot: u32) -> bool {
        self.defaulted.get(slot as usize).copied().unwrap_or(false)
    }
}

// ------------------------------------------------------------ documents

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: Text,
    /// The documents whose 享受记录 claims count for this one, normalized
    /// for matching a claim's 文件: itself, and its parent when it adopts
    /// the parent's clauses.
    pub claims_from: Vec<String>,
    pub name: String,
    pub level: String,
    pub region: String,
    pub parent: Option<String>,
    pub window: Window,
    pub no_lowering: bool,
    pub clauses: Vec<Clause>,
    /// Benefits of the same name within one clause, each list ordered by
    /// descending priority:
    /// the first whose conditions hold decides. Indices are (clause, benefit).
    pub groups: Vec<Vec<(u32, u32)>>,
}

/// A validity window; both ends inclusive, `None` for open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Window {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Window {
    pub fn contains(&self, d: Date) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d <= t)
    }
    /// The narrower of two windows (a clause inside its document).
    pub fn within(self, outer: Window) -> Window {
        Window {
            from: match (self.from, outer.from) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            to: match (self.to, outer.to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("{f} 至 {t}"),
            (None, Some(t)) => format!("至 {t}"),
            (Some(f), None) => format!("自 {f} 起"),
            (None, None) => "长期".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub id: Text,
    pub title: String,
    /// The parent document's clause this one takes over: (document, clause).
    pub adopts: Option<(Text, Text)>,
    pub window: Window,
    pub applies: Vec<Cond>,
    pub lets: Vec<Let>,
    pub benefits: Vec<Benefit>,
    pub statuses: Vec<Status>,
    pub constraints: Vec<Constraint>,
    pub departments: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Let {
    pub name: String,
    pub expr: Expr,
}

/// A condition with the words the analyst wrote, for the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    pub expr: Expr,
    pub text: String,
    /// The named values it reads, shown beside it in 理由.
    pub refs: Vec<NamedRef>,
    /// How its words start in 理由 when it holds and when it fails
    /// (`符合：` or `不符合：`, the text, the first reference's label), each
    /// written in one piece.
    pub leads: [String; 2],
}

impl Cond {
    pub fn new(expr: Expr, text: String, refs: Vec<NamedRef>) -> Cond {
        let lead = |prefix: &str| [prefix, &text, refs.first().map_or("", |r| &r.label)].concat();
        let leads = [lead(Lead::Holds.prefix()), lead(Lead::Fails.prefix())];
        Cond { expr, text, refs, leads }
    }

    /// The start of its words cited as `lead`, if written in one piece:
    /// followed by the values of its references but the first.
    pub fn lead(&self, lead: Lead) -> Option<&str> {
        let [holds, fails] = &self.leads;
        match lead {
            Lead::Holds => Some(holds),
            Lead::Fails => Some(fails),
            Lead::NotExcluded | Lead::Excluded => None,
        }
    }
}

/// How a condition is cited in 理由.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    Holds,
    Fails,
    /// An exclusion that does not apply.
    NotExcluded,
    /// An exclusion that applies.
    Excluded,
}

impl Lead {
    pub fn prefix(self) -> &'static str {
        match self {
            Lead::Holds => "符合：",
            Lead::Fails => "不符合：",
            Lead::NotExcluded => "不属于除外情形：",
            Lead::Excluded => "属于除外情形：",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedRef {
    pub name: String,
    pub access: Access,
    pub ty: Ty,
    /// How it starts in 理由, before its value: `（名称 = ` for a
    /// condition's first reference, `，名称 = ` for the others.
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Slot(u32),
    Local(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    pub name: Text,
    /// `name` normalized for matching 享受记录 (no spaces, half-width).
    pub key: String,
    pub priority: u32,
    /// Who the benefit is for (`类型 为 单位`); a case of another kind gets
    /// no ruling for it.
    pub audience: Option<Expr>,
    pub window: Window,
    pub conditions: Vec<Cond>,
    pub exclusions: Vec<Cond>,
    pub amount: Amount,
    pub frequency: Frequency,
    /// `每年最高 X`: at most X (元) a calendar year; the 金额 of this
    /// year's claims of the benefit comes off (a claim without one counts
    /// as X).
    pub yearly_cap: Option<(Expr, String)>,
    /// `不低于 X` (元): with a fixed amount, the least given; otherwise
    /// the ruling is 待定 with 金额下限.
    pub floor: Option<(Expr, String)>,
    pub exclusive: Vec<Exclusive>,
    /// Funding sources, joined with 、 as rulings show them.
    pub funding: Option<Text>,
    /// Who pays, joined with 、.
    pub payer: Option<Text>,
    /// Responsible departments, the lead first (the clause's unless the
    /// rule names its own).
    pub departments: Vec<Text>,
    pub notes: Vec<String>,
}

impl Benefit {
    /// Whether its ruling depends on the case's 享受记录.
    pub fn looks_at_claims(&self) -> bool {
        self.frequency != Frequency::Unlimited || !self.exclusive.is_empty() || self.yearly_cap.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Amount {
    /// A fixed standard, optionally with a cap on the total ("最高不超过20万元").
    Fixed { expr: Expr, text: String, cap: Option<(Expr, String)> },
    /// Only a ceiling is given ("不超过1000元"): 待定 with 金额上限.
    Ceiling { expr: Expr, text: String },
    /// "按规定给予": eligible, amount set elsewhere.
    Deferred,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Unlimited,
    PerYear(u32),
    Once,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusive {
    pub other: String,
    pub key: String,
    /// The exclusion holds within this calendar year only.
    pub year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub name: String,
    pub cond: Cond,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub cond: Cond,
    pub message: String,
}

// ------------------------------------------------------------ expressions

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    /// A literal, with the text the analyst wrote (`20万元`).
    Const(Value, String),
    Slot(u32),
    /// A slot of the list member being counted or summed.
    ItemSlot(u32),
    Local(u32),
    CaseDate,
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    EnumIn {
        expr: Box<Expr>,
        values: Vec<u32>,
        negated: bool,
    },
    Floor(Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    MonthsBetween(Box<Expr>, Box<Expr>),
    AddMonths(Box<Expr>, Box<Expr>),
    AddDays(Box<Expr>, Box<Expr>),
    Count {
        list: u32,
        filter: Option<Box<Expr>>,
    },
    Sum {
        list: u32,
        body: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    /// Tiers by an enum value; a value with no tier makes the rule inapplicable.
    Tier {
        key: Box<Expr>,
        arms: Vec<(u32, Expr)>,
    },
    /// Tiers by bands of a number (`40人以上：10万元；20—39人：7万元`),
    /// which do not overlap; a value in no band makes the rule
    /// inapplicable.
    Bands {
        key: Box<Expr>,
        bands: Vec<(Band, Expr)>,
    },
    /// A table's cell of no standard (`—`): the rule is inapplicable.
    NoStandard,
}

/// A band of numbers, both ends included; `None` is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
    /// As the document writes it (`20—39人`), for reasons.
    pub text: String,
}

impl Band {
    pub fn contains(&self, n: Decimal) -> bool {
        self.low.is_none_or(|l| n >= l) && self.high.is_none_or(|h| n <= h)
    }

    /// Whether two bands share a number.
    pub fn overlaps(&self, other: &Band) -> bool {
        let low = match (self.low, other.low) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let high = match (self.high, other.high) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        matches!((low, high), (Some(l), Some(h)) if l <= h) || low.is_none() || high.is_none()
    }
}

// ------------------------------------------------------------ cases

/// A validated case, in slots: what `case` produces and `eval` consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: Option<String>,
    pub date: Date,
    /// The documents to rule under, as indices into [`Program::documents`],
    /// in the order the case lists them.
    pub documents: Vec<u32>,
    pub subject: Record,
}
