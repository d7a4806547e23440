//! The abstract syntax tree: what the analyst wrote, with byte spans, and
//! nothing resolved. Spans are left out of equality so that two trees that
//! differ only in layout compare equal.

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

pub type Name = Spanned<String>;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Document(Document),
    Vocabulary(Vocabulary),
    Clause(Clause),
    Guidance(Guidance),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: Name,
    pub name: Option<Name>,
    pub level: Option<Name>,
    pub region: Option<Name>,
    pub parent: Option<Name>,
    pub source: Option<Name>,
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
pub struct Vocabulary {
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: Spanned<TypeExpr>,
    pub default: Option<Expr>,
    pub doc: Option<Name>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Bool,
    Num(Option<UnitLit>),
    Date,
    Text,
    Enum(Vec<Name>),
    Record(Vec<FieldDecl>),
    /// A list whose members are counted in `unit` (人 for people).
    List(UnitLit, Vec<FieldDecl>),
}

/// A unit as written: `元/人/月` is numerator [元], denominators [人, 月].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLit {
    pub text: String,
    pub numerator: Vec<String>,
    pub denominator: Vec<String>,
    pub percent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub id: Name,
    pub title: Name,
    /// `采纳 5`: the parent document's clause this one takes over.
    pub adopts: Option<Name>,
    pub stmts: Vec<ClauseStmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Guidance {
    pub id: Name,
    pub title: Name,
    pub quotes: Vec<Name>,
    pub notes: Vec<Name>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClauseStmt {
    Audience(Name),
    Quote(Name),
    Note(Name),
    Applies(Expr),
    Let(Name, Expr),
    Benefit(Benefit),
    Status { name: Name, condition: Expr },
    Constraint { condition: Expr, message: Name },
    Funding(Vec<Name>),
    Departments(Vec<Name>),
    Validity(ValidityRange),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Benefit {
    pub name: Name,
    pub priority: Option<Spanned<u32>>,
    pub stmts: Vec<BenefitStmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BenefitStmt {
    Audience(Name),
    Condition(Expr),
    Exclusion(Expr),
    Amount { amount: Expr, cap: Option<Expr> },
    Ceiling(Expr),
    Deferred(Span),
    PerYear(Spanned<Quantity>),
    Once(Span),
    Exclusive { other: Name, year: Option<Spanned<u32>> },
    Funding(Vec<Name>),
    Payer(Vec<Name>),
    Departments(Vec<Name>),
    Validity(ValidityRange),
    Note(Name),
}

/// A number as the document writes it: `20万元` has value 200000, unit 元.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: Decimal,
    /// The literal as written (`20万元`), used to find it in the 原文.
    pub text: String,
    /// The number and its first unit (`20万元` of `20万元/人`): what must
    /// occur in the quote.
    pub cited: String,
    pub unit: Option<UnitLit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
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
pub enum ExprKind {
    Quantity(Box<Quantity>),
    Date(DateLit),
    Bool(bool),
    CaseDate,
    Path(Vec<Name>),
    Call(Name, Vec<Expr>),
    Count {
        list: Name,
        filter: Option<Box<Expr>>,
    },
    Sum {
        list: Name,
        body: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Tier {
        key: Box<Expr>,
        arms: Vec<(Name, Expr)>,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `x 为 企业`
    Is(Box<Expr>, Name),
    /// `x 属于 {企业、就业帮扶车间}`, or `不属于` when negated.
    In {
        expr: Box<Expr>,
        values: Vec<Name>,
        negated: bool,
    },
}
