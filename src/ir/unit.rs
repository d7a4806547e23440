//! Units of measure: exponents over the base dimensions 元, 人, 月, 天, 次
//! and 岁 (age). 年 is 12 个月, 生 and 名 are 人, 周岁 is 岁; a percentage
//! is dimensionless.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const BASES: [&str; 6] = ["元", "人", "月", "天", "次", "岁"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Unit(pub [i8; 6]);

impl Unit {
    pub const NONE: Unit = Unit([0; 6]);
    pub const YUAN: Unit = Unit([1, 0, 0, 0, 0, 0]);
    pub const PERSON: Unit = Unit([0, 1, 0, 0, 0, 0]);
    pub const MONTH: Unit = Unit([0, 0, 1, 0, 0, 0]);
    pub const DAY: Unit = Unit([0, 0, 0, 1, 0, 0]);
    pub const TIMES: Unit = Unit([0, 0, 0, 0, 1, 0]);
    pub const AGE: Unit = Unit([0, 0, 0, 0, 0, 1]);

    /// The unit of one written atom and the factor its value is scaled by
    /// (年 → 12 个月).
    pub fn atom(name: &str) -> Option<(Unit, Decimal)> {
        Some(match name {
            "元" => (Unit::YUAN, Decimal::ONE),
            "人" | "生" | "名" => (Unit::PERSON, Decimal::ONE),
            "月" | "个月" => (Unit::MONTH, Decimal::ONE),
            "年" => (Unit::MONTH, Decimal::from(12)),
            "天" => (Unit::DAY, Decimal::ONE),
            "次" => (Unit::TIMES, Decimal::ONE),
            "岁" | "周岁" => (Unit::AGE, Decimal::ONE),
            _ => return None,
        })
    }

    pub fn times(self, other: Unit) -> Option<Unit> {
        self.combine(other, 1)
    }
    pub fn per(self, other: Unit) -> Option<Unit> {
        self.combine(other, -1)
    }
    fn combine(self, other: Unit, sign: i8) -> Option<Unit> {
        let mut out = [0i8; 6];
        for (i, slot) in out.iter_mut().enumerate() {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = other.0.get(i).copied().unwrap_or(0);
            *slot = a.checked_add(b.checked_mul(sign)?)?;
        }
        Some(Unit(out))
    }
    pub fn is_none(self) -> bool {
        self == Unit::NONE
    }

    /// `元/人/月`, `人·月`, or `` for a pure number, written to `f` (a
    /// `String` takes it without going through the formatter).
    pub fn write(&self, f: &mut impl fmt::Write) -> fmt::Result {
        let name = |i: usize| if i == 2 { "个月" } else { BASES.get(i).copied().unwrap_or("?") };
        let mut numerator = false;
        for (i, e) in self.0.iter().enumerate() {
            for _ in 0..(*e).max(0) {
                if numerator {
                    f.write_str("·")?;
                }
                f.write_str(name(i))?;
                numerator = true;
            }
        }
        if !numerator && self.0.iter().any(|e| *e < 0) {
            f.write_str("1")?;
        }
        for (i, e) in self.0.iter().enumerate() {
            for _ in 0..(*e).min(0).unsigned_abs() {
                f.write_str("/")?;
                f.write_str(if i == 2 { "月" } else { name(i) })?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn units_are_written_as_analysts_write_them() {
        let per = |a: Unit, b: Unit| a.per(b).unwrap_or_default();
        let shown = [
            (Unit::NONE, ""),
            (Unit::YUAN, "元"),
            (Unit::MONTH, "个月"),
            (per(per(Unit::YUAN, Unit::PERSON), Unit::MONTH), "元/人/月"),
            (Unit::PERSON.times(Unit::MONTH).unwrap_or_default(), "人·个月"),
            (per(Unit::NONE, Unit::DAY), "1/天"),
            (Unit([2, 0, 0, -1, 0, 0]), "元·元/天"),
        ];
        for (unit, text) in shown {
            assert_eq!(unit.to_string(), text);
        }
    }
}
