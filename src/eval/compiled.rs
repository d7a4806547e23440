//! Counting list members, compiled: a `设 N = 计数 列表 其中 …` whose filter
//! is a conjunction of plain tests on the member's own fields becomes a flat
//! list of tests, run without walking the expression tree. Population runs
//! spend most of their time here (an enterprise's hired people).
//!
//! The result, including which missing fact is reported, is the same as
//! [`super::Env::eval`] gives for the expression; the test below checks
//! it on every count of the shipped policies.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::value::{Fail, FailKind};
use crate::ir::{CmpOp, Expr, ExprKind as K, Record, Ty, Value};

/// `计数 list 其中 t₁ 且 t₂ 且 …`.
#[derive(Debug)]
pub struct Count<'p> {
    list: u32,
    tests: Vec<Test<'p>>,
}

#[derive(Debug)]
struct Test<'p> {
    slot: u32,
    kind: TestKind,
    /// The field as written, for the missing-fact message.
    expr: &'p Expr,
}

#[derive(Debug)]
enum TestKind {
    IsTrue,
    Compare(CmpOp, Decimal),
    In { values: Vec<u32>, negated: bool },
}

impl<'p> Count<'p> {
    /// The compiled form of `e`, if it is a count of this shape.
    pub fn compile(e: &'p Expr) -> Option<Count<'p>> {
        let K::Count { list, filter } = &e.kind else { return None };
        let mut tests = Vec::new();
        if let Some(f) = filter {
            flatten(f, &mut tests)?;
        }
        Some(Count { list: *list, tests })
    }

    /// How many members pass every test. Like `且`, a failed test decides
    /// for a member even when another of its facts is missing; otherwise
    /// the first missing fact is the error.
    pub fn run(&self, subject: &Record) -> Result<Decimal, Fail<'p>> {
        let Value::List(members) = subject.get(self.list) else { return Ok(Decimal::ZERO) };
        let mut n = 0u64;
        for (i, member) in members.iter().enumerate() {
            let mut missing = None;
            let mut keep = true;
            for t in &self.tests {
                match t.holds(member) {
                    Some(true) => {}
                    Some(false) => {
                        keep = false;
                        break;
                    }
                    None => missing = missing.or(Some(t.expr)),
                }
            }
            if !keep {
                continue;
            }
            if let Some(expr) = missing {
                return Err(Fail { kind: FailKind::Missing, expr, item: Some((self.list, i as u32)) });
            }
            n += 1;
        }
        Ok(Decimal::from(n))
    }
}

impl Test<'_> {
    /// Whether the member passes; `None` when the fact is missing.
    fn holds(&self, member: &Record) -> Option<bool> {
        let v = member.get(self.slot);
        if matches!(v, Value::Missing) {
            return None;
        }
        Some(match &self.kind {
            TestKind::IsTrue => matches!(v, Value::Bool(true)),
            TestKind::Compare(op, c) => {
                let n = match v {
                    Value::Num(n) => *n,
                    _ => Decimal::ZERO,
                };
                let ord = n.cmp(c);
                match op {
                    CmpOp::Ge => ord != Ordering::Less,
                    CmpOp::Le => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Ne => ord != Ordering::Equal,
                }
            }
            TestKind::In { values, negated } => matches!(v, Value::Enum(i) if values.contains(i)) != *negated,
        })
    }
}

/// Appends the tests of a conjunction; `None` if any part is not a plain
/// test on a member's field.
fn flatten<'p>(e: &'p Expr, tests: &mut Vec<Test<'p>>) -> Option<()> {
    match &e.kind {
        K::And(parts) => parts.iter().try_for_each(|p| flatten(p, tests)),
        K::ItemSlot(slot) if e.ty == Ty::Bool => {
            tests.push(Test { slot: *slot, kind: TestKind::IsTrue, expr: e });
            Some(())
        }
        K::Compare(op, a, b) => match (&a.kind, &b.kind) {
            (K::ItemSlot(slot), K::Const(Value::Num(c), _)) if matches!(a.ty, Ty::Num(_)) => {
                tests.push(Test { slot: *slot, kind: TestKind::Compare(*op, *c), expr: a });
                Some(())
            }
            _ => None,
        },
        K::EnumIn { expr, values, negated } => match expr.kind {
            K::ItemSlot(slot) => {
                tests.push(Test { slot, kind: TestKind::In { values: values.clone(), negated: *negated }, expr });
                Some(())
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::path::PathBuf;

    use rust_decimal::Decimal;

    use super::Count;
    use crate::eval::value::Env;
    use crate::ir::{ExprKind, Record, Value};

    /// Every compiled count of the shipped policies gives what the tree
    /// walk gives (value, or the same missing fact of the same member) on
    /// members whose facts are true, false, numbers around the constants
    /// and missing, in every mix.
    #[test]
    fn compiled_counts_agree_with_the_tree_walk() {
        let program = crate::workspace::load(&[PathBuf::from("policies")]).program.unwrap();
        let mut compiled = 0;
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for doc in &program.documents {
            for clause in &doc.clauses {
                for l in &clause.lets {
                    let Some(count) = Count::compile(&l.expr) else { continue };
                    compiled += 1;
                    let ExprKind::Count { list, .. } = l.expr.kind else { unreachable!() };
                    let list_decl = program
                        .vocabulary
                        .subject
                        .fields
                        .iter()
                        .find_map(|f| match f.kind {
                            crate::ir::FieldKind::List { slot, list: l } if slot == list => {
                                program.vocabulary.lists.get(l as usize)
                            }
                            _ => None,
                        })
                        .unwrap();
                    for _ in 0..300 {
                        let members: Vec<Record> = (0..next() % 6)
                            .map(|_| Record {
                                values: (0..list_decl.slot_count)
                                    .map(|_| match next() % 6 {
                                        0 => Value::Missing,
                                        1 => Value::Bool(true),
                                        2 => Value::Bool(false),
                                        3 => Value::Enum((next() % 4) as u32),
                                        _ => Value::Num(Decimal::from(next() % 14)),
                                    })
                                    .collect(),
                                defaulted: Vec::new(),
                            })
                            .collect();
                        let mut subject = Record {
                            values: vec![Value::Missing; program.vocabulary.slot_count],
                            defaulted: Vec::new(),
                        };
                        subject.values[list as usize] = Value::List(members);
                        let env = Env {
                            program: &program,
                            date: crate::date::Date::new(2023, 5, 10).unwrap(),
                            subject: &subject,
                            lets: &[],
                            locals: &[],
                            compiled: &[],
                            item: None,
                        };
                        let walked = env.eval(&l.expr).map(|v| match v {
                            Value::Num(n) => n,
                            _ => panic!("a count is a number"),
                        });
                        let fast = count.run(&subject);
                        match (walked, fast) {
                            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", l.name),
                            (Err(a), Err(b)) => {
                                assert!(std::ptr::eq(a.expr, b.expr), "{}", l.name);
                                assert_eq!((a.kind, a.item), (b.kind, b.item), "{}", l.name);
                            }
                            (a, b) => panic!("{}: {a:?} vs {b:?}", l.name),
                        }
                    }
                }
            }
        }
        assert!(compiled >= 4, "the 攀枝花 counts compile");
    }
}
