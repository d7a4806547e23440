//! Civil dates without time zones: all the policy language needs.
//!
//! Dates are stored as (year, month, day) and converted to a day number for
//! arithmetic (Howard Hinnant's `days_from_civil`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// A valid calendar date, or `None` (2023-02-30, month 13, year out of 1..=9999).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        let month = month as u8;
        if day == 0 || day > u32::from(days_in_month(year, month)) {
            return None;
        }
        Some(Date { year, month, day: day as u8 })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// The date as bytes that tell dates apart, for keys.
    pub fn to_bytes(self) -> [u8; 6] {
        let [a, b, c, d] = self.year.to_le_bytes();
        [a, b, c, d, self.month, self.day]
    }

    /// The date as `YYYY-MM-DD`.
    pub fn iso(self) -> Iso {
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let (y, m, d) = (self.year.unsigned_abs(), u32::from(self.month), u32::from(self.day));
        Iso([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }

    /// `YYYY-MM-DD`, the only form case files use.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| bytes.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        if bytes.len() != 10
            || bytes.get(4) != Some(&b'-')
            || bytes.get(7) != Some(&b'-')
            || !(digits(0..4) && digits(5..7) && digits(8..10))
        {
            return None;
        }
        let y = text.get(0..4)?.parse().ok()?;
        let m = text.get(5..7)?.parse().ok()?;
        let d = text.get(8..10)?.parse().ok()?;
        Date::new(y, m, d)
    }

    /// Adds whole months, clamping the day to the target month's length
    /// (2023-01-31 + 1个月 = 2023-02-28). `None` when the year leaves 1..=9999.
    pub fn add_months(self, months: i64) -> Option<Date> {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = (total.rem_euclid(12) + 1) as u8;
        if !(1..=9999).contains(&year) {
            return None;
        }
        let day = self.day.min(days_in_month(year, month));
        Some(Date { year, month, day })
    }

    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_day_number(self.day_number().checked_add(days)?)
    }

    /// Whole months from `self` to `later`: 2023-01-15 → 2023-07-15 is 6,
    /// → 2023-07-14 is 5. Negative when `later` is earlier.
    pub fn whole_months_until(self, later: Date) -> i64 {
        if later < self {
            return -later.whole_months_until(self);
        }
        let mut months =
            (i64::from(later.year) - i64::from(self.year)) * 12 + i64::from(later.month) - i64::from(self.month);
        if self.add_months(months).is_none_or(|d| d > later) {
            months -= 1;
        }
        months
    }

    fn day_number(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_day_number(z: i64) -> Option<Date> {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date::new(i32::try_from(y).ok()?, m as u32, d as u32)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iso().as_str())
    }
}

/// A date written `YYYY-MM-DD`, without the formatter: always ten ASCII
/// bytes, as years run from 1 to 9999.
pub struct Iso([u8; 10]);

impl Iso {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse_iso(&text).ok_or_else(|| serde::de::Error::custom(format!("日期「{text}」无效")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap_or_else(|| unreachable!("bad test date {s}"))
    }

    /// The formatter-free text is the zero-padded ISO date, for every
    /// month and day and for years of one to four digits.
    #[test]
    fn iso_text_is_zero_padded() {
        for year in [1, 9, 10, 99, 100, 999, 1000, 2023, 9999] {
            for month in 1..=12 {
                for day in 1..=31 {
                    if let Some(date) = Date::new(year, month, day) {
                        assert_eq!(date.iso().as_str(), format!("{year:04}-{month:02}-{day:02}"));
                        assert_eq!(date.to_string(), date.iso().as_str());
                    }
                }
            }
        }
    }

    #[test]
    fn whole_months_follow_the_day_of_month() {
        assert_eq!(d("2023-01-15").whole_months_until(d("2023-07-15")), 6);
        assert_eq!(d("2023-01-15").whole_months_until(d("2023-07-14")), 5);
        assert_eq!(d("2023-01-31").whole_months_until(d("2023-02-28")), 1);
        assert_eq!(d("2023-07-15").whole_months_until(d("2023-01-15")), -6);
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(Date::parse_iso("2023-02-30").is_none());
        assert!(Date::parse_iso("2024-02-29").is_some());
        assert!(Date::parse_iso("2023-13-01").is_none());
        assert!(Date::parse_iso("2023-1-01").is_none());
        // Signs are not digits, though Rust's integer parsing takes them.
        for signed in ["2023-+1-+5", "+123-01-01", "2023-01-+1", "2023-+1-05"] {
            assert!(Date::parse_iso(signed).is_none(), "{signed}");
        }
    }

    #[test]
    fn month_and_day_arithmetic() {
        assert_eq!(d("2023-01-31").add_months(1), Some(d("2023-02-28")));
        assert_eq!(d("2021-12-31").add_days(1), Some(d("2022-01-01")));
        assert_eq!(d("2024-02-28").add_days(1), Some(d("2024-02-29")));
    }
}
