//! "Did you mean" hints: edit distance over characters, not bytes.

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate, if it is close enough to be a likely typo; of
/// equally close ones, the first in code-point order, so that the hint
/// does not depend on the order the candidates come in (a hash table's).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d <= (len.max(c.chars().count()) / 2).max(1) || c.contains(name) || name.contains(*c))
        .min()
        .map(|(_, c)| c)
}

/// A help line: the closest candidate, if any, then `listing` (what is
/// allowed): `是否应为「企业」？可选：企业、…`.
pub fn help_with<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, listing: &str) -> String {
    match closest(name, candidates) {
        Some(s) => format!("是否应为「{s}」？{listing}"),
        None => listing.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_by_characters() {
        assert_eq!(super::closest("劳动合同月", ["劳动合同月数", "参加社会保险"]), Some("劳动合同月数"));
        assert_eq!(super::closest("完全无关", ["劳动合同月数"]), None);
        // Equally close: the same answer whatever the order.
        assert_eq!(super::closest("甲乙", ["甲丙", "甲丁"]), Some("甲丁"));
        assert_eq!(super::closest("甲乙", ["甲丁", "甲丙"]), Some("甲丁"));
    }
}
