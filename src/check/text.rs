//! Matching quotes against document texts, tolerant of line breaks, spaces
//! and full/half-width differences.

use std::borrow::Cow;

/// A text normalized for matching, with the original it came from, to
/// find where a match is in the original when that is asked for.
pub struct Normalized<'a> {
    pub text: String,
    /// The original text that was normalized.
    original: &'a str,
    /// Where `original` starts in its file.
    start: usize,
}

/// Folds one character: drops white space, maps full-width ASCII forms to
/// half-width and unifies the interchangeable punctuation.
pub fn fold_char(c: char) -> Option<char> {
    // Most of a document is Han characters, which fold to themselves.
    if ('\u{4e00}'..='\u{9fff}').contains(&c) {
        return Some(c);
    }
    if c.is_whitespace() || c == '\u{3000}' || c == '\u{feff}' {
        return None;
    }
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '〔' => '[',
        '〕' => ']',
        '“' | '”' | '「' | '」' => '"',
        '‘' | '’' => '\'',
        '—' => '-',
        _ => c,
    };
    Some(c)
}

/// Normalizes a name for matching (享受记录.项目 against a benefit name);
/// borrowed when nothing changes.
pub fn fold(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // Runs of characters that fold to themselves are copied whole.
    let mut run = 0;
    for (i, c) in text.char_indices() {
        let folded = fold_char(c);
        if folded != Some(c) {
            if out.capacity() == 0 {
                out.reserve(text.len());
            }
            out.push_str(text.get(run..i).unwrap_or(""));
            out.extend(folded);
            run = i + c.len_utf8();
        }
    }
    if run == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(text.get(run..).unwrap_or(""));
    Cow::Owned(out)
}

impl<'a> Normalized<'a> {
    pub fn new(original: &'a str) -> Normalized<'a> {
        Normalized::of_range(original, 0, original.len())
    }

    /// Normalizes `original[start..end]`, keeping offsets into `original`.
    pub fn of_range(original: &'a str, start: usize, end: usize) -> Normalized<'a> {
        let slice = original.get(start..end).unwrap_or("");
        Normalized { text: fold(slice).into_owned(), original: slice, start }
    }

    /// Original byte range of the normalized byte range `start..end`: from
    /// the start of the character that normalized byte `start` comes from
    /// to the end of the one byte `end - 1` comes from.
    fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let mut folded = 0;
        let mut from = None;
        for (i, c) in self.original.char_indices() {
            let Some(f) = fold_char(c) else { continue };
            folded += f.len_utf8();
            let at = self.start + i;
            if from.is_none() && start < folded {
                from = Some(at);
            }
            if end > 0 && end <= folded {
                let s = from.unwrap_or(at);
                return (s, at + c.len_utf8());
            }
        }
        let s = from.unwrap_or(0);
        (s, s)
    }

    /// Finds `needle` (already normalized); returns the original byte range.
    #[cfg(test)]
    pub fn find(&self, needle: &str) -> Option<(usize, usize)> {
        let at = self.text.find(needle)?;
        Some(self.original_range(at, at + needle.len()))
    }

    /// The passage of the original most like `needle`: where its longest
    /// matching prefix or suffix occurs, extended to the needle's length.
    pub fn nearest(&self, needle: &str) -> Option<(usize, usize)> {
        let chars: Vec<(usize, char)> = needle.char_indices().collect();
        let n = chars.len();
        if n == 0 {
            return None;
        }
        let byte_at = |k: usize| chars.get(k).map_or(needle.len(), |(b, _)| *b);
        // Longest prefix that occurs (occurrence is monotone in length).
        let longest = |test: &dyn Fn(usize) -> bool| {
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if test(mid) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            lo
        };
        let prefix = longest(&|k| needle.get(..byte_at(k)).is_some_and(|p| self.text.contains(p)));
        let suffix = longest(&|k| needle.get(byte_at(n - k)..).is_some_and(|p| self.text.contains(p)));
        if prefix == 0 && suffix == 0 {
            return None;
        }
        let (start, end) = if prefix >= suffix {
            let p = needle.get(..byte_at(prefix))?;
            let at = self.text.find(p)?;
            (at, advance_chars(&self.text, at, n))
        } else {
            let p = needle.get(byte_at(n - suffix)..)?;
            let at = self.text.find(p)? + p.len();
            (retreat_chars(&self.text, at, n), at)
        };
        Some(self.original_range(start, end))
    }
}

fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text.get(from..).map_or(from, |rest| from + rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i))
}

fn retreat_chars(text: &str, to: usize, n: usize) -> usize {
    text.get(..to).map_or(0, |head| head.char_indices().rev().nth(n.saturating_sub(1)).map_or(0, |(i, _)| i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_match_across_line_breaks_and_widths() {
        let source = "按1000元/人的标准\n给予（一次性）补贴，最高不超过 20 万元";
        let n = Normalized::new(source);
        assert!(n.find(&fold("1000元/人的标准给予(一次性)补贴")).is_some());
        assert!(n.find(&fold("最高不超过20万元")).is_some());
        let (s, e) = n.find(&fold("给予")).unwrap();
        assert_eq!(&source[s..e], "给予");
    }

    #[test]
    fn folding_drops_spaces_and_unifies_widths() {
        assert_eq!(fold(" 按（一次性）\n补贴“甲”，ＡＢ〔2022〕"), "按(一次性)补贴\"甲\",AB[2022]");
        assert_eq!(fold(""), "");
        // Only the last character changes; only the first is dropped.
        assert_eq!(fold("按1000元/人（"), "按1000元/人(");
        assert_eq!(fold(" 按"), "按");
        // A text that folds to itself is not copied.
        assert!(matches!(fold("按1000元/人的标准给予补贴"), Cow::Borrowed(_)));
        assert!(matches!(fold("按 1000元"), Cow::Owned(_)));
    }

    #[test]
    fn matches_are_placed_in_the_original_of_a_section() {
        let source = "一、总则\n二、按1000元/人的标准\n给予（一次性）补贴";
        let start = source.find("二").unwrap();
        let n = Normalized::of_range(source, start, source.len());
        let (s, e) = n.find(&fold("标准给予(一次性)")).unwrap();
        assert_eq!(&source[s..e], "标准\n给予（一次性）");
        assert!(n.find(&fold("总则")).is_none());
    }

    #[test]
    fn nearest_passage_points_at_the_drifted_text() {
        let source = "前文。企业吸纳脱贫人口就业，按1000元/人的标准给予补贴。后文。";
        let n = Normalized::new(source);
        let (s, e) = n.nearest(&fold("企业吸纳脱贫人口就业，按2000元/人的标准给予补贴")).unwrap();
        assert!(source[s..e].starts_with("企业吸纳"), "{}", &source[s..e]);
    }
}

/// The ways a document may write a cited number (`3个月`, folded): as it
/// is; with a whole number under 100 in Chinese numerals (`三个月`,
/// `两人`); 人 as 名 (`10名`); 岁 as 周岁.
pub fn cited_forms(cited: &str) -> Vec<String> {
    let mut forms = vec![cited.to_string()];
    let digits: String = cited.chars().take_while(char::is_ascii_digit).collect();
    let rest = cited.get(digits.len()..).unwrap_or("");
    if let Ok(n) = digits.parse::<u32>() {
        if (1..100).contains(&n) && !rest.starts_with(['.', '万']) {
            let mut numerals = vec![chinese_numeral(n)];
            if n == 2 {
                numerals.push("两".to_string());
            }
            for numeral in numerals {
                forms.push(format!("{numeral}{rest}"));
            }
        }
    }
    let more: Vec<String> = forms
        .iter()
        .flat_map(|f| {
            let mut alt = Vec::new();
            if f.contains('人') {
                alt.push(f.replacen('人', "名", 1));
            }
            if f.contains('岁') && !f.contains("周岁") {
                alt.push(f.replacen('岁', "周岁", 1));
            }
            alt
        })
        .collect();
    forms.extend(more);
    forms
}

/// Whether the folded `quoted` holds the folded `cited` number in any of
/// its forms ([`cited_forms`]), or as the low end of a range whose unit is
/// written once after it (`16-60岁` holds `16岁`, as `10-19人` holds `10人`).
pub fn quote_holds(quoted: &str, cited: &str) -> bool {
    // Most numbers are quoted as they are written.
    if quoted.contains(cited) || cited_forms(cited).iter().skip(1).any(|form| quoted.contains(form.as_str())) {
        return true;
    }
    let digits: &str = cited.get(..cited.chars().take_while(char::is_ascii_digit).count()).unwrap_or("");
    let unit = cited.get(digits.len()..).unwrap_or("");
    if digits.is_empty() || unit.is_empty() {
        return false;
    }
    quoted.match_indices(digits).any(|(at, _)| {
        let before = quoted.get(..at).and_then(|b| b.chars().next_back());
        let after = quoted.get(at + digits.len()..).unwrap_or("");
        let Some(range) = after.strip_prefix(['-', '~', '至']) else { return false };
        let high = range.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        !before.is_some_and(|c| c.is_ascii_digit()) && high.len() < range.len() && high.starts_with(unit)
    })
}

/// The sentences of `text` (cut at 。；; and line ends) that hold an
/// amount — a number followed by 元, %, 人, 名, 个月, 月, 年, 天, 岁 or 次,
/// dates aside — none of whose amounts is in any of the folded `quotes`
/// with the words just before it. Quotes are found by their amounts, so
/// the work stays linear in the document.
pub fn unquoted_amounts(text: &str, quotes: &[String]) -> Vec<String> {
    let mut by_amount: crate::hash::FxMap<&str, Vec<&str>> = crate::hash::FxMap::default();
    for q in quotes {
        for (_, amount) in amounts(q) {
            by_amount.entry(amount).or_default().push(q);
        }
    }
    let mut out = Vec::new();
    for sentence in text.split(['。', '；', ';', '\n']) {
        // Most sentences hold no number: they are not folded.
        if !sentence.bytes().any(|b| b.is_ascii_digit()) && !sentence.contains(|c: char| ('０'..='９').contains(&c)) {
            continue;
        }
        let folded = fold(sentence);
        let found = amounts(&folded);
        let quoted = found.iter().any(|(with_lead, amount)| {
            by_amount.get(amount).is_some_and(|qs| qs.iter().any(|q| q.contains(with_lead)))
        });
        if !found.is_empty() && !quoted {
            out.push(sentence.trim().to_string());
        }
    }
    out
}

/// The amounts of a folded text: each with up to six characters of what
/// leads to it (`每人给予500元`), and alone (`500元`).
fn amounts(folded: &str) -> Vec<(&str, &str)> {
    const UNITS: [&str; 11] = ["万元", "元", "%", "人", "名", "个月", "月", "年", "天", "岁", "次"];
    let bytes = folded.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
            i += 1;
        }
        let (before_text, after) = (folded.get(..start).unwrap_or(""), folded.get(i..).unwrap_or(""));
        // A date's year, month and day are not amounts (2025年12月31日).
        let before = before_text.chars().next_back();
        let is_date =
            |unit: &str| (unit == "年" && i - start == 4) || (matches!(unit, "月" | "个月") && before == Some('年'));
        if let Some(unit) = UNITS.iter().find(|u| after.starts_with(**u) && !is_date(u)) {
            let from = before_text.char_indices().rev().nth(5).map_or(0, |(at, _)| at);
            let end = i + unit.len();
            out.push((folded.get(from..end).unwrap_or(""), folded.get(start..end).unwrap_or("")));
        }
    }
    out
}

/// `36` as `三十六`, for whole numbers from 1 to 99.
fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: u32| DIGITS.get(d as usize).copied().unwrap_or("");
    match (n / 10, n % 10) {
        (0, u) => digit(u).to_string(),
        (1, u) => format!("十{}", digit(u)),
        (t, u) => format!("{}十{}", digit(t), digit(u)),
    }
}

#[cfg(test)]
mod cited_tests {
    use super::cited_forms;

    #[test]
    fn numbers_are_found_as_documents_write_them() {
        assert!(cited_forms("3个月").contains(&"三个月".to_string()));
        assert!(cited_forms("36个月").contains(&"三十六个月".to_string()));
        assert!(cited_forms("12个月").contains(&"十二个月".to_string()));
        assert!(cited_forms("2人").contains(&"两人".to_string()));
        assert!(cited_forms("10人").contains(&"十名".to_string()));
        assert!(cited_forms("16岁").contains(&"16周岁".to_string()));
        assert_eq!(cited_forms("1.5万元"), ["1.5万元"]);
        assert_eq!(cited_forms("200万元"), ["200万元"]);
    }

    #[test]
    fn sentences_with_amounts_no_quote_holds_are_listed() {
        use super::{fold, unquoted_amounts};
        let text = "1.补贴。每人给予500元补贴。\n2.奖励。吸纳10人以上的奖励1万元；本文件自2023年1月1日起执行，至2025年12月31日。\n";
        let quotes = [fold("每人给予500元补贴").into_owned()];
        assert_eq!(unquoted_amounts(text, &quotes), ["吸纳10人以上的奖励1万元"]);
        let quotes = [fold("每人给予500元补贴").into_owned(), fold("吸纳10人以上的奖励1万元").into_owned()];
        assert!(unquoted_amounts(text, &quotes).is_empty());
    }

    #[test]
    fn full_width_digits_and_broken_lines_inside_numbers_are_found() {
        use super::{fold, quote_holds};
        let quoted = fold("稳定就业６个月以 上的，给予5\n00元补贴");
        assert!(quote_holds(&quoted, &fold("6个月")));
        assert!(quote_holds(&quoted, &fold("500元")));
    }

    #[test]
    fn the_low_end_of_a_range_is_found() {
        use super::{fold, quote_holds};
        let quoted = fold("前往广西区外务工的16-60岁脱贫劳动力；10—19人的给予4万元");
        assert!(quote_holds(&quoted, "16岁"));
        assert!(quote_holds(&quoted, "60岁"));
        assert!(quote_holds(&quoted, "10人"));
        assert!(quote_holds(&quoted, "19人"));
        assert!(!quote_holds(&quoted, "6岁"), "not inside another number");
        assert!(!quote_holds(&quoted, "16人"), "not with another unit");
    }
}
