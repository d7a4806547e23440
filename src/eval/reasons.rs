//! The reasons of a case's rulings, kept one after another in one buffer.

use std::ops::Range;

/// Every reason of one case's rulings, in one string: once the buffer
/// has grown to the size of a case's words, writing a reason allocates
/// nothing. A ruling holds the range of indices of its reasons
/// ([`super::Verdict::reasons`]).
#[derive(Debug, Clone, Default)]
pub struct Reasons {
    text: String,
    /// Where each reason ends in `text`.
    ends: Vec<usize>,
    /// The evaluator has vouched that no reason holds a character a JSON
    /// string escapes ([`Reasons::known_plain`]).
    plain: bool,
}

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

    /// Every reason, one after another, as one string.
    pub fn all(&self) -> &str {
        &self.text
    }

    /// The reasons whose indices are in `range` (those that exist).
    pub fn get(&self, range: Range<usize>) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        let range = range.start.min(self.len())..range.end.min(self.len());
        range.map(|i| {
            let start = match i.checked_sub(1) {
                Some(before) => self.ends.get(before).copied().unwrap_or(0),
                None => 0,
            };
            let end = self.ends.get(i).copied().unwrap_or(start);
            self.text.get(start..end).unwrap_or_default()
        })
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
        self.plain = false;
        self.text.push_str(words);
        self.ends.push(self.text.len());
    }

    /// Adds the reason `write` writes.
    pub(super) fn write<T>(&mut self, write: impl FnOnce(&mut String) -> T) -> T {
        self.plain = false;
        let result = write(&mut self.text);
        self.ends.push(self.text.len());
        result
    }

    /// The reasons from index `start` on: their words one after another,
    /// and where each ends, counted from the first (as [`Reasons::extend`]
    /// takes them).
    pub(super) fn since(&self, start: usize) -> (&str, impl ExactSizeIterator<Item = usize> + '_) {
        let from = start.checked_sub(1).and_then(|i| self.ends.get(i)).copied().unwrap_or(0);
        let ends = self.ends.get(start..).unwrap_or_default().iter().map(move |e| e - from);
        (self.text.get(from..).unwrap_or_default(), ends)
    }

    /// Adds the reasons [`Reasons::since`] gave.
    pub(super) fn extend(&mut self, text: &str, ends: &[usize]) {
        self.plain = false;
        let from = self.text.len();
        self.text.push_str(text);
        self.ends.extend(ends.iter().map(|e| e + from));
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
        assert_eq!(r.get(0..4).collect::<Vec<_>>(), ["符合：甲", "不符合：乙", "", "丙"]);
        assert_eq!(r.all(), "符合：甲不符合：乙丙");
        assert_eq!(r.get(1..2).collect::<Vec<_>>(), ["不符合：乙"]);
        assert_eq!(r.get(3..9).collect::<Vec<_>>(), ["丙"], "a range past the end stops at the end");
        r.truncate(1);
        assert_eq!(r.len(), 1);
        r.push("丁");
        assert_eq!(r.get(0..r.len()).collect::<Vec<_>>(), ["符合：甲", "丁"]);
        r.clear();
        assert!(r.is_empty() && r.get(0..1).next().is_none());
    }
}
