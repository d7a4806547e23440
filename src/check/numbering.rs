//! The clause numbering of a document text: which numbered provisions it has.
//!
//! Headings are found at line starts: `一、` (chapter), `（一）` (section),
//! `1.` (item). A heading with no deeper heading under it is a clause that
//! must be encoded or marked guidance. Where a level restarts its numbering
//! (皖: （一） under both 二 and 三), its clauses are named with the chapter
//! in front: `二（八）`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceClause {
    pub id: String,
    pub title: String,
    /// Byte range of the heading line in the document text.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
struct Heading {
    level: u8,
    number: String,
    title: String,
    start: usize,
    end: usize,
}

const NUMERALS: &str = "一二三四五六七八九十";

fn heading(line: &str) -> Option<(u8, String, &str)> {
    // A bullet `——稳岗补助。…`: a clause known by its title.
    if let Some(rest) = line.strip_prefix("——") {
        let rest = rest.trim_start();
        let end = rest.find(['。', '：', ':', '，', ',']).unwrap_or(rest.len());
        let title = rest.get(..end)?.trim();
        return (!title.is_empty()).then(|| (4, title.to_string(), rest));
    }
    let numeral_len = line.chars().take_while(|c| NUMERALS.contains(*c)).map(char::len_utf8).sum::<usize>();
    if numeral_len > 0 {
        let rest = line.get(numeral_len..)?;
        if let Some(title) = rest.strip_prefix('、') {
            return Some((1, line.get(..numeral_len)?.to_string(), title));
        }
        return None;
    }
    for open in ['（', '('] {
        if let Some(rest) = line.strip_prefix(open) {
            let rest = rest.trim_start();
            let n = rest.chars().take_while(|c| NUMERALS.contains(*c)).map(char::len_utf8).sum::<usize>();
            if n == 0 {
                return None;
            }
            let after = rest.get(n..)?.trim_start();
            let title = after.strip_prefix('）').or_else(|| after.strip_prefix(')'))?;
            return Some((2, format!("（{}）", rest.get(..n)?), title));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = line.get(digits..)?;
        let title = rest.strip_prefix('.').or_else(|| rest.strip_prefix('．'))?;
        if title.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return Some((3, line.get(..digits)?.to_string(), title));
    }
    None
}

fn short_title(title: &str) -> String {
    let t = title.trim();
    let end = t.find(['。', '，', '；']).unwrap_or(t.len());
    t.get(..end).unwrap_or(t).chars().take(24).collect()
}

/// Where a heading may start in a line: at its start, after an answer's
/// `答：` (question-and-answer documents put the clause there), and after a
/// sentence's end (`一、工作目标。1.提供…`), where a heading may follow.
fn anchors(line: &str) -> Vec<usize> {
    let mut out = vec![0];
    for (at, c) in line.char_indices() {
        let next = at + c.len_utf8();
        let after_answer = matches!(c, ':' | '：') && line.get(..at).is_some_and(|b| b.ends_with('答'));
        if after_answer || matches!(c, '。' | '；') {
            out.push(next);
        }
    }
    out
}

/// The clauses of a document text, in order.
pub fn clauses(text: &str) -> Vec<SourceClause> {
    let mut headings = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        for start in anchors(line) {
            let Some(rest) = line.get(start..) else { continue };
            let trimmed = rest.trim_start_matches([' ', '\t', '\u{3000}']);
            let lead = start + rest.len() - trimmed.len();
            if let Some((level, number, title)) = heading(trimmed.trim_end()) {
                headings.push(Heading {
                    level,
                    number,
                    title: short_title(title),
                    start: offset + lead,
                    end: offset + line.trim_end().len(),
                });
            }
        }
        offset += line.len();
    }
    // A level restarts its numbering if a number repeats within it.
    let restarts = |level: u8| {
        let mut seen = crate::hash::FxSet::default();
        headings.iter().filter(|h| h.level == level).any(|h| !seen.insert(h.number.clone()))
    };
    let restart = [false, restarts(1), restarts(2), restarts(3), false];
    let mut out = Vec::new();
    let mut parents: [Option<String>; 5] = [None, None, None, None, None];
    for (i, h) in headings.iter().enumerate() {
        let level = usize::from(h.level);
        if let Some(p) = parents.get_mut(level) {
            *p = Some(h.number.clone());
        }
        for deeper in parents.iter_mut().skip(level + 1) {
            *deeper = None;
        }
        let is_leaf = headings.get(i + 1).is_none_or(|next| next.level <= h.level);
        if !is_leaf {
            continue;
        }
        let mut id = h.number.clone();
        if restart.get(level).copied().unwrap_or(false) {
            if let Some(Some(parent)) = parents.get(level.saturating_sub(1)).filter(|_| level > 1) {
                id = format!("{parent}{id}");
            }
        }
        out.push(SourceClause { id, title: h.title.clone(), start: h.start, end: h.end });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_clauses_and_restarting_levels_get_a_prefix() {
        let text = "一、总体要求\n正文\n二、工作措施\n（一）甲。\n（二）乙。\n三、保障\n(一) 丙\n";
        let ids: Vec<String> = clauses(text).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["一", "二（一）", "二（二）", "三（一）"]);
    }

    #[test]
    fn clauses_are_found_after_an_answer_and_after_a_heading() {
        let text = "问：有哪些补贴？答：（一）交通补贴。按规定。\n问：还有？答:(二)培训补贴。\n三、创业。1.场租补贴。2.贷款贴息，1.5万元以内。\n";
        let ids: Vec<String> = clauses(text).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["（一）", "（二）", "1", "2"]);
    }

    #[test]
    fn bullets_are_clauses_known_by_their_title() {
        let text = "一、稳岗\n——稳岗补助。企业稳岗的给予补助。\n—— 培训补贴：按规定给予。\n二、其他\n";
        let ids: Vec<String> = clauses(text).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["稳岗补助", "培训补贴", "二"]);
    }

    #[test]
    fn numbered_items_under_sections() {
        let text = "一、稳定\n（一）推进\n1.提供服务。\n2.加大力度。\n（二）促进\n5.鼓励。\n（十三）明确责任分工。\n";
        let ids: Vec<String> = clauses(text).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["1", "2", "5", "（十三）"]);
    }
}
