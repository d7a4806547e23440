//! The reasons of a case's rulings, kept one after another in one buffer.

use std::ops::Range;

/// Every reason of one case's rulings, in one string, each separated from
/// the next by `","`: once the buffer has grown to the size of a
/// case's words, writing a reason allocates nothing, and the reasons of a
/// ruling are one run of text that a writer of JSON copies whole between
/// `["` and `"]` ([`Reasons::run`]). A ruling holds the range of indices
/// of its reasons ([`super::Verdict::reasons`]).
#[derive(Debug, Clone, Default)]
pub struct Reasons {
    text: String,
    /// Where each reason ends in `text`; the next starts a separator later.
    ends: Vec<usize>,
    /// The evaluator has vouched that no reason holds a character a JSON
    /// string escapes ([`Reasons::known_plain`]).
    plain: bool,
}

/// What stands between one reason and the next in [`Reasons::run`]: the
/// end of a JSON string, a comma, the start of the next.
const SEPARATOR: &str = "\",\"";

/// Equal when they hold the same reasons, vouched for or not.
impl PartialEq for Reasons {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.ends == other.ends
    }
}

impl Reasons {
    /// How many reasons there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where reason `i` starts in `text` (the end of the text past the last).
    fn start(&self, i: usize) -> usize {
        match i.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(self.text.len(), |e| e + SEPARATOR.len()),
            None => 0,
        }
    }

    /// Every reason, in order.
    pub fn all(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.get(0..self.len())
    }

    /// The reasons whose indices are in `range` (those that exist).
    pub fn get(&self, range: Range<usize>) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        let range = range.start.min(self.len())..range.end.min(self.len());
        range.map(|i| {
            let (start, end) = (self.start(i), self.ends.get(i).copied().unwrap_or(0));
            self.text.get(start..end).unwrap_or_default()
        })
    }

    /// The reasons whose indices are in `range` (those that exist) as one
    /// text, `","` between each and the next; `None` when there are none.
    pub fn run(&self, range: Range<usize>) -> Option<&str> {
        let last = range.end.min(self.len()).checked_sub(1).filter(|&last| range.start <= last)?;
        let end = self.ends.get(last).copied().unwrap_or(0);
        self.text.get(self.start(range.start)..end)
    }

    /// Whether the evaluator has vouched that no reason holds a quote, a
    /// backslash or a control character, so a writer of JSON need not look
    /// for one. `false` says nothing: look.
    pub fn known_plain(&self) -> bool {
        self.plain
    }

    /// Vouches for the reasons written so far (see [`Reasons::known_plain`]).
    pub(super) fn vouch_plain(&mut self) {
        self.plain = true;
    }

    /// Adds a reason; the words are not vouched for.
    pub fn push(&mut self, words: &str) {
        self.write(|text| text.push_str(words));
    }

    /// Adds the reason `write` writes.
    pub(super) fn write<T>(&mut self, write: impl FnOnce(&mut String) -> T) -> T {
        self.plain = false;
        self.separate();
        let result = write(&mut self.text);
        self.ends.push(self.text.len());
        result
    }

    /// The reasons from index `start` on: their text, as [`Reasons::run`]
    /// gives it, and where each ends, counted from the first (as
    /// [`Reasons::extend`] takes them).
    pub(super) fn since(&self, start: usize) -> (&str, impl ExactSizeIterator<Item = usize> + '_) {
        let from = self.start(start);
        let ends = self.ends.get(start..).unwrap_or_default().iter().map(move |e| e - from);
        (self.text.get(from..).unwrap_or_default(), ends)
    }

    /// Adds the reasons [`Reasons::since`] gave.
    pub(super) fn extend(&mut self, text: &str, ends: &[usize]) {
        if ends.is_empty() {
            return;
        }
        self.plain = false;
        self.separate();
        let from = self.text.len();
        self.text.push_str(text);
        self.ends.extend(ends.iter().map(|e| e + from));
    }

    /// Puts the separator after the last reason, if any, before a new one.
    fn separate(&mut self) {
        if !self.ends.is_empty() {
            self.text.push_str(SEPARATOR);
        }
    }

    /// Keeps only the first `n` reasons.
    pub(super) fn truncate(&mut self, n: usize) {
        if n >= self.ends.len() {
            return;
        }
        self.ends.truncate(n);
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    pub(super) fn clear(&mut self) {
        self.plain = false;
        self.text.clear();
        self.ends.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Reasons;

    #[test]
    fn reasons_are_kept_apart_and_cut_back() {
        let mut r = Reasons::default();
        r.push("符合：甲");
        r.write(|out| out.push_str("不符合：乙"));
        r.push("");
        r.push("丙");
        assert_eq!(r.all().collect::<Vec<_>>(), ["符合：甲", "不符合：乙", "", "丙"]);
        assert_eq!(r.run(0..4), Some(r#"符合：甲","不符合：乙","","丙"#));
        assert_eq!(r.run(1..2), Some("不符合：乙"));
        assert_eq!(r.run(2..3), Some(""));
        assert_eq!(r.run(3..9), Some("丙"), "a range past the end stops at the end");
        assert_eq!((r.run(2..2), r.run(4..6)), (None, None));
        assert_eq!(r.get(1..2).collect::<Vec<_>>(), ["不符合：乙"]);
        assert_eq!(r.get(3..9).collect::<Vec<_>>(), ["丙"], "a range past the end stops at the end");
        r.truncate(1);
        assert_eq!(r.len(), 1);
        r.push("丁");
        assert_eq!(r.get(0..r.len()).collect::<Vec<_>>(), ["符合：甲", "丁"]);
        assert_eq!(r.run(0..2), Some(r#"符合：甲","丁"#));
        r.clear();
        assert!(r.is_empty() && r.get(0..1).next().is_none() && r.run(0..1).is_none());
    }

    /// What `since` gives, `extend` adds back as it was, after reasons
    /// already there or none.
    #[test]
    fn reasons_are_carried_over_whole() {
        let mut r = Reasons::default();
        for words in ["甲", "", "乙丙"] {
            r.push(words);
        }
        let (text, ends) = r.since(1);
        let (text, ends) = (text.to_string(), ends.collect::<Vec<_>>());
        for before in [&[][..], &["丁"][..]] {
            let mut other = Reasons::default();
            before.iter().for_each(|w| other.push(w));
            other.extend(&text, &ends);
            other.extend("", &[]);
            let expected: Vec<&str> = before.iter().copied().chain(["", "乙丙"]).collect();
            assert_eq!(other.all().collect::<Vec<_>>(), expected);
            other.push("戊");
            assert_eq!(other.all().last(), Some("戊"));
        }
    }
}
