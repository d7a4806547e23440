//! Matching quotes against document texts, tolerant of line breaks, spaces
//! and full/half-width differences.

/// A text normalized for matching, with, for each byte of the normalized
/// text, where the character it belongs to starts and ends in the original.
pub struct Normalized {
    pub text: String,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

/// Folds one character: drops white space, maps full-width ASCII forms to
/// half-width and unifies the interchangeable punctuation.
pub fn fold_char(c: char) -> Option<char> {
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

/// Normalizes a name for matching (享受记录.项目 against a benefit name).
pub fn fold(text: &str) -> String {
    text.chars().filter_map(fold_char).collect()
}

impl Normalized {
    pub fn new(original: &str) -> Normalized {
        Normalized::of_range(original, 0, original.len())
    }

    /// Normalizes `original[start..end]`, keeping offsets into `original`.
    pub fn of_range(original: &str, start: usize, end: usize) -> Normalized {
        let slice = original.get(start..end).unwrap_or("");
        let mut text = String::with_capacity(slice.len());
        let mut starts = Vec::with_capacity(slice.len());
        let mut ends = Vec::with_capacity(slice.len());
        for (i, c) in slice.char_indices() {
            if let Some(f) = fold_char(c) {
                text.push(f);
                for _ in 0..f.len_utf8() {
                    starts.push(start + i);
                    ends.push(start + i + c.len_utf8());
                }
            }
        }
        Normalized { text, starts, ends }
    }

    /// Original byte range of the normalized byte range `start..end`.
    fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.starts.get(start).copied().unwrap_or(0);
        let e = end.checked_sub(1).and_then(|i| self.ends.get(i)).copied().unwrap_or(s);
        (s, e.max(s))
    }

    /// Finds `needle` (already normalized); returns the original byte range.
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
    fn nearest_passage_points_at_the_drifted_text() {
        let source = "前文。企业吸纳脱贫人口就业，按1000元/人的标准给予补贴。后文。";
        let n = Normalized::new(source);
        let (s, e) = n.nearest(&fold("企业吸纳脱贫人口就业，按2000元/人的标准给予补贴")).unwrap();
        assert!(source[s..e].starts_with("企业吸纳"), "{}", &source[s..e]);
    }
}
