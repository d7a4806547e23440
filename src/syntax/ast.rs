//! The abstract syntax tree: what the analyst wrote, with byte spans, and
//! nothing resolved. Spans are left out of equality so that two trees that
//! differ only in layout compare equal. Names, strings and literals are
//! borrowed from the source text (`'s`): building a tree copies no words.

use rust_decimal::Decimal;

use crate::diag::Span;

/// A value with the span of the text it came from.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

pub type Name<'s> = Spanned<&'s str>;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module<'s> {
    pub items: Vec<Item<'s>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item<'s> {
    Document(Document<'s>),
    Vocabulary(Vocabulary<'s>),
    Clause(Clause<'s>),
    Guidance(Guidance<'s>),
    /// A 设 outside any clause: a definition every clause of the document sees.
    Let(Name<'s>, Expr<'s>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document<'s> {
    pub id: Name<'s>,
    pub name: Option<Name<'s>>,
    pub level: Option<Name<'s>>,
    pub region: Option<Name<'s>>,
    pub parent: Option<Name<'s>>,
    pub source: Option<Name<'s>>,
    pub validity: Option<ValidityRange>,
    /// `不得降低标准`, where written.
    pub no_lowering: Option<Span>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValidityStart {
    /// "自印发之日起": the document gives no date.
    Issue,
    Date(DateLit),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidityRange {
    pub from: Option<Spanned<ValidityStart>>,
    pub to: Spanned<DateLit>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLit {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vocabulary<'s> {
    pub fields: Vec<FieldDecl<'s>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl<'s> {
    pub name: Name<'s>,
    pub ty: Spanned<TypeExpr<'s>>,
    pub default: Option<Expr<'s>>,
    pub doc: Option<Name<'s>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr<'s> {
    Bool,
    Num(Option<UnitLit<'s>>),
    Date,
    Text,
    Enum(Vec<Name<'s>>),
    Record(Vec<FieldDecl<'s>>),
    /// A list whose members are counted in `unit` (人 for people).
    List(UnitLit<'s>, Vec<FieldDecl<'s>>),
}

/// A unit as written: `元/人/月` has the numerator 元 and the
/// denominators 人 and 月 (`/` and `·` both divide), or a percent sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLit<'s> {
    pub text: &'s str,
}

impl<'s> UnitLit<'s> {
    pub fn is_percent(&self) -> bool {
        matches!(self.text, "%" | "％")
    }

    /// The numerator, then the denominators (none for a percent sign).
    pub fn atoms(&self) -> impl Iterator<Item = &'s str> {
        let atoms = if self.is_percent() { "" } else { self.text };
        atoms.split(['/', '／', '·']).filter(|a| !a.is_empty())
    }

    pub fn numerator(&self) -> Option<&'s str> {
        self.atoms().next()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause<'s> {
    pub id: Name<'s>,
    pub title: Name<'s>,
    /// `采纳 5`: the parent document's clause this one takes over.
    pub adopts: Option<Name<'s>>,
    pub stmts: Vec<ClauseStmt<'s>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Guidance<'s> {
    pub id: Name<'s>,
    pub title: Name<'s>,
    pub quotes: Vec<Name<'s>>,
    pub notes: Vec<Name<'s>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClauseStmt<'s> {
    Audience(Name<'s>),
    Quote(Name<'s>),
    Note(Name<'s>),
    Applies(Expr<'s>),
    Let(Name<'s>, Expr<'s>),
    Benefit(Benefit<'s>),
    Status { name: Name<'s>, condition: Expr<'s> },
    Constraint { condition: Expr<'s>, message: Name<'s> },
    Funding(Vec<Name<'s>>),
    Departments(Vec<Name<'s>>),
    Validity(ValidityRange),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Benefit<'s> {
    pub name: Name<'s>,
    pub priority: Option<Spanned<u32>>,
    pub stmts: Vec<BenefitStmt<'s>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BenefitStmt<'s> {
    Audience(Name<'s>),
    Condition(Expr<'s>),
    Exclusion(Expr<'s>),
    Amount {
        amount: Expr<'s>,
        cap: Option<Expr<'s>>,
    },
    Ceiling(Expr<'s>),
    /// `不低于 X`.
    Floor(Expr<'s>),
    Deferred(Span),
    PerYear(Spanned<Quantity<'s>>),
    Once(Span),
    /// `每年最高 X`: at most X a calendar year, this year's claims off.
    YearlyCap(Expr<'s>),
    Exclusive {
        other: Name<'s>,
        year: Option<Spanned<u32>>,
    },
    Funding(Vec<Name<'s>>),
    Payer(Vec<Name<'s>>),
    Departments(Vec<Name<'s>>),
    Validity(ValidityRange),
    Note(Name<'s>),
}

/// What selects a tier: an enum value, or a band of numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum TierKey<'s> {
    Value(Name<'s>),
    Band(Band<'s>),
}

/// `40人以上`, `10人以下`, `20—39人`: the ends included; `None` is open.
/// A range's unit written once, after it, is both ends' unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Band<'s> {
    pub low: Option<Quantity<'s>>,
    pub high: Option<Quantity<'s>>,
    /// The band as written, which the 原文 must hold.
    pub text: &'s str,
    pub span: Span,
}

impl TierKey<'_> {
    pub fn span(&self) -> Span {
        match self {
            TierKey::Value(n) => n.span,
            TierKey::Band(b) => b.span,
        }
    }
}

/// A number as the document writes it: `20万元` has value 200000, unit 元.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity<'s> {
    pub value: Decimal,
    /// The literal as written (`20万元`), used to find it in the 原文.
    pub text: &'s str,
    /// The number and its first unit (`20万元` of `20万元/人`): what must
    /// occur in the quote.
    pub cited: String,
    pub unit: Option<UnitLit<'s>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr<'s> {
    pub kind: ExprKind<'s>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind<'s> {
    Quantity(Box<Quantity<'s>>),
    Date(DateLit),
    Bool(bool),
    CaseDate,
    /// A name as written, dotted or not (`合格人数`, `用人单位.民营`).
    Path(Name<'s>),
    Call(Name<'s>, Vec<Expr<'s>>),
    Count {
        list: Name<'s>,
        filter: Option<Box<Expr<'s>>>,
    },
    Sum {
        list: Name<'s>,
        body: Box<Expr<'s>>,
        filter: Option<Box<Expr<'s>>>,
    },
    Tier {
        key: Box<Expr<'s>>,
        arms: Vec<(TierKey<'s>, Expr<'s>)>,
    },
    /// `表 行 × 列 { | | 列… | | 行 | 格… | … }`: a cell `None` is `—`,
    /// no standard.
    Table {
        rows: Box<Expr<'s>>,
        columns: Box<Expr<'s>>,
        heads: Vec<TierKey<'s>>,
        lines: Vec<(TierKey<'s>, Vec<Spanned<Option<Expr<'s>>>>)>,
    },
    Not(Box<Expr<'s>>),
    And(Vec<Expr<'s>>),
    Or(Vec<Expr<'s>>),
    Binary(BinOp, Box<Expr<'s>>, Box<Expr<'s>>),
    Compare(CmpOp, Box<Expr<'s>>, Box<Expr<'s>>),
    /// `x 为 企业`
    Is(Box<Expr<'s>>, Name<'s>),
    /// `x 属于 {企业、就业帮扶车间}`, or `不属于` when negated.
    In {
        expr: Box<Expr<'s>>,
        values: Vec<Name<'s>>,
        negated: bool,
    },
}
