//! Lowering the case vocabulary to slots, and the name lookups that
//! expressions use.

use crate::hash::FxMap;

use rust_decimal::Decimal;

use crate::diag::{Diagnostic, FileId};
use crate::ir::{self, FieldKind, RecordSchema, Ty, Unit, Value};
use crate::syntax::ast;

/// The vocabulary with the lookups name resolution needs.
pub struct VocabScope {
    pub ir: ir::Vocabulary,
    /// Subject scalars by dotted path without `主体.` (`用人单位.民营`).
    pub scalars: FxMap<String, (u32, Ty)>,
    /// Subject lists by name: (slot, list id).
    pub lists: FxMap<String, (u32, u32)>,
    /// Member fields of each list.
    pub items: Vec<FxMap<String, (u32, Ty)>>,
}

impl VocabScope {
    pub fn knows(&self, name: &str) -> bool {
        self.scalars.contains_key(name) || self.lists.contains_key(name)
    }
    pub fn enum_values(&self, id: u32) -> &[String] {
        self.ir.enums.get(id as usize).map_or(&[], |e| e.values.as_slice())
    }
}

/// Converts a written unit to a [`Unit`] and the factor its numbers scale by.
pub fn unit_of(u: &ast::UnitLit) -> Option<(Unit, Decimal)> {
    if u.is_percent() {
        return Some((Unit::NONE, Decimal::new(1, 2)));
    }
    let mut unit = Unit::NONE;
    let mut factor = Decimal::ONE;
    for (i, atom) in u.atoms().enumerate() {
        let (au, af) = Unit::atom(atom)?;
        if i == 0 {
            unit = unit.times(au)?;
            factor = factor.checked_mul(af)?;
        } else {
            unit = unit.per(au)?;
            factor = factor.checked_div(af)?;
        }
    }
    Some((unit, factor))
}

struct Builder<'a> {
    file: FileId,
    diags: &'a mut Vec<Diagnostic>,
    enums: Vec<ir::EnumDecl>,
    lists: Vec<ir::ListDecl>,
    items: Vec<FxMap<String, (u32, Ty)>>,
    subject_lists: FxMap<String, (u32, u32)>,
}

/// Slots being assigned within one record (the subject or a list member).
#[derive(Default)]
struct Slots {
    paths: Vec<String>,
    scalars: FxMap<String, (u32, Ty)>,
}

impl Slots {
    fn next(&mut self, path: String) -> u32 {
        self.paths.push(path);
        (self.paths.len() - 1) as u32
    }
}

pub fn lower(file: FileId, v: &ast::Vocabulary, diags: &mut Vec<Diagnostic>) -> VocabScope {
    let mut b = Builder {
        file,
        diags,
        enums: Vec::new(),
        lists: Vec::new(),
        items: Vec::new(),
        subject_lists: FxMap::default(),
    };
    let mut slots = Slots::default();
    let subject = b.record(&v.fields, "", "主体", &mut slots, true);
    let history = history_slots(&subject, &b.lists);
    VocabScope {
        ir: ir::Vocabulary {
            subject,
            slot_count: slots.paths.len(),
            slot_paths: slots.paths,
            enums: b.enums,
            lists: b.lists,
            history,
        },
        scalars: slots.scalars,
        lists: b.subject_lists,
        items: b.items,
    }
}

fn history_slots(subject: &RecordSchema, lists: &[ir::ListDecl]) -> Option<ir::HistorySlots> {
    let f = subject.field("享受记录")?;
    let FieldKind::List { slot, list } = f.kind else { return None };
    let item = &lists.get(list as usize)?.item;
    let scalar_slot = |name: &str| match item.field(name)?.kind {
        FieldKind::Scalar { slot, .. } => Some(slot),
        _ => None,
    };
    Some(ir::HistorySlots {
        list_slot: slot,
        name_slot: scalar_slot("项目")?,
        date_slot: scalar_slot("日期")?,
        amount_slot: scalar_slot("金额"),
        document_slot: scalar_slot("文件"),
    })
}

impl Builder<'_> {
    fn record(
        &mut self,
        fields: &[ast::FieldDecl],
        prefix: &str,
        display: &str,
        slots: &mut Slots,
        top: bool,
    ) -> RecordSchema {
        let mut out: Vec<ir::FieldSchema> = Vec::new();
        for f in fields {
            if out.iter().any(|o| o.name == f.name.node) {
                self.diags.push(
                    Diagnostic::error("P0102", format!("字段「{}」重复声明", f.name.node))
                        .at(self.file, f.name.span, "重复的字段")
                        .help("每个字段只声明一次"),
                );
                continue;
            }
            let path = if prefix.is_empty() { f.name.node.to_string() } else { format!("{prefix}.{}", f.name.node) };
            let full = format!("{display}.{}", f.name.node);
            let kind = match &f.ty.node {
                ast::TypeExpr::Record(inner) => FieldKind::Record(self.record(inner, &path, &full, slots, false)),
                ast::TypeExpr::List(unit, inner) => {
                    let unit = match unit_of(unit) {
                        Some((u, _)) => u,
                        None => {
                            self.unknown_unit(f, unit.text);
                            Unit::NONE
                        }
                    };
                    let mut item_slots = Slots::default();
                    let list_id = self.lists.len() as u32;
                    // Reserve the id before lowering members (lists do not nest
                    // in practice, but ids stay stable if they do).
                    self.lists.push(ir::ListDecl {
                        name: f.name.node.to_string(),
                        unit,
                        item: RecordSchema { fields: Vec::new() },
                        slot_count: 0,
                        slot_paths: Vec::new(),
                    });
                    self.items.push(FxMap::default());
                    let item = self.record(inner, "", &format!("{full}[]"), &mut item_slots, false);
                    if let Some(decl) = self.lists.get_mut(list_id as usize) {
                        decl.item = item;
                        decl.slot_count = item_slots.paths.len();
                        decl.slot_paths = item_slots.paths;
                    }
                    if let Some(map) = self.items.get_mut(list_id as usize) {
                        *map = item_slots.scalars;
                    }
                    let slot = slots.next(full.clone());
                    if top {
                        self.subject_lists.insert(path.clone(), (slot, list_id));
                    } else {
                        self.diags.push(
                            Diagnostic::error("P0108", "列表只能是主体的字段")
                                .at(self.file, f.name.span, "嵌套的列表")
                                .help("把列表移到词汇的最外层"),
                        );
                    }
                    FieldKind::List { slot, list: list_id }
                }
                scalar => {
                    let ty = self.scalar_ty(f, scalar);
                    let default = self.default(f, ty);
                    let slot = slots.next(full.clone());
                    slots.scalars.insert(path.clone(), (slot, ty));
                    FieldKind::Scalar { slot, ty, default }
                }
            };
            out.push(ir::FieldSchema {
                name: f.name.node.to_string(),
                kind,
                doc: f.doc.as_ref().map(|d| d.node.to_string()),
            });
        }
        RecordSchema { fields: out }
    }

    fn unknown_unit(&mut self, f: &ast::FieldDecl, text: &str) {
        self.diags.push(
            Diagnostic::error("P0201", format!("不认识的单位「{text}」"))
                .at(self.file, f.ty.span, "未知单位")
                .help("可用的单位：元、人（生、名）、个月、月、年、天、次、岁（周岁）、%，以及它们的组合如 元/人/月"),
        );
    }

    fn scalar_ty(&mut self, f: &ast::FieldDecl, t: &ast::TypeExpr) -> Ty {
        match t {
            ast::TypeExpr::Bool => Ty::Bool,
            ast::TypeExpr::Date => Ty::Date,
            ast::TypeExpr::Text => Ty::Text,
            ast::TypeExpr::Num(None) => Ty::Num(Unit::NONE),
            ast::TypeExpr::Num(Some(u)) => match unit_of(u) {
                Some((unit, _)) => Ty::Num(unit),
                None => {
                    self.unknown_unit(f, u.text);
                    Ty::Num(Unit::NONE)
                }
            },
            ast::TypeExpr::Enum(values) => {
                let mut seen: Vec<String> = Vec::new();
                for v in values {
                    if seen.iter().any(|s| s == v.node) {
                        self.diags.push(
                            Diagnostic::error("P0102", format!("取值「{}」重复", v.node))
                                .at(self.file, v.span, "重复的取值")
                                .help("每个取值只列一次"),
                        );
                    } else {
                        seen.push(v.node.to_string());
                    }
                }
                self.enums.push(ir::EnumDecl { values: seen });
                Ty::Enum((self.enums.len() - 1) as u32)
            }
            ast::TypeExpr::Record(_) | ast::TypeExpr::List(..) => Ty::Text,
        }
    }

    /// The declared default, or the contract's: 否 for booleans, 0 for
    /// numbers; enums, dates and text have none (a rule that needs them says
    /// the fact is missing).
    fn default(&mut self, f: &ast::FieldDecl, ty: Ty) -> Option<Value> {
        let Some(d) = &f.default else {
            return match ty {
                Ty::Bool => Some(Value::Bool(false)),
                Ty::Num(_) => Some(Value::Num(Decimal::ZERO)),
                _ => None,
            };
        };
        let value = match (&d.kind, ty) {
            (ast::ExprKind::Bool(b), Ty::Bool) => Some(Value::Bool(*b)),
            (ast::ExprKind::Quantity(q), Ty::Num(unit)) => {
                let (u, factor) = q.unit.as_ref().and_then(unit_of).unwrap_or((Unit::NONE, Decimal::ONE));
                (u == unit).then(|| q.value.checked_mul(factor).map(Value::Num)).flatten()
            }
            (ast::ExprKind::Path(name), Ty::Enum(id)) => self
                .enums
                .get(id as usize)
                .and_then(|e| e.values.iter().position(|v| *v == name.node))
                .map(|i| Value::Enum(i as u32)),
            _ => None,
        };
        if value.is_none() {
            self.diags.push(
                Diagnostic::error("P0202", format!("字段「{}」的默认值与类型不符", f.name.node))
                    .at(self.file, d.span, "默认值有误")
                    .help("布尔默认 是/否；数值默认要带同样的单位；枚举默认要是列出的取值之一"),
            );
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::unit_of;
    use crate::ir::Unit;
    use crate::syntax::ast::UnitLit;

    /// The first atom is the numerator; every other atom, after `/` or `·`,
    /// divides it; a percent sign scales by a hundredth.
    #[test]
    fn units_as_written() {
        let of = |text| unit_of(&UnitLit { text });
        let per = |a: Unit, b: Unit| a.per(b).unwrap();
        assert_eq!(of("元/天·人"), Some((per(per(Unit::YUAN, Unit::DAY), Unit::PERSON), Decimal::ONE)));
        assert_eq!(of("元／人/个月"), Some((per(per(Unit::YUAN, Unit::PERSON), Unit::MONTH), Decimal::ONE)));
        assert_eq!(of("%"), Some((Unit::NONE, Decimal::new(1, 2))));
        assert_eq!(of("％"), of("%"));
        assert_eq!(of(""), Some((Unit::NONE, Decimal::ONE)));
        assert_eq!(UnitLit { text: "元/天·人" }.atoms().collect::<Vec<_>>(), ["元", "天", "人"]);
        assert_eq!(UnitLit { text: "%" }.numerator(), None);
    }
}
