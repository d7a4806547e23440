//! Whether a case's reasons can hold a character a JSON string escapes (a
//! quote, a backslash, a control character). Reasons are made of the
//! program's words, numbers, dates and the case's texts: when neither the
//! program nor the case's texts hold such a character, no reason does, and
//! a ruling line is written without looking through its reasons
//! ([`super::Reasons::known_plain`]).

use std::io;

use crate::ir::{FieldKind, Program, Record, RecordSchema, Ty, Value, Vocabulary};

/// What to look at, found once per program.
pub struct Plain {
    /// Whether every string of the program is plain.
    program: bool,
    /// Where the subject's texts are.
    texts: Texts,
}

/// The text slots of a record, and of the members of its lists that have
/// any.
#[derive(Default)]
struct Texts {
    slots: Vec<u32>,
    lists: Vec<(u32, Texts)>,
}

impl Plain {
    pub fn new(program: &Program) -> Plain {
        let mut seen = Backslash(false);
        // Serializing cannot fail but for the writer, which never does;
        // should it, nothing is vouched for.
        let program_plain = serde_json::to_writer(&mut seen, program).is_ok() && !seen.0;
        Plain { program: program_plain, texts: Texts::of(&program.vocabulary.subject, &program.vocabulary) }
    }

    /// Whether the reasons of a case with this subject are plain.
    pub fn case(&self, subject: &Record) -> bool {
        self.program && self.texts.plain(subject)
    }
}

impl Texts {
    fn of(schema: &RecordSchema, vocabulary: &Vocabulary) -> Texts {
        let mut texts = Texts::default();
        texts.add(schema, vocabulary);
        texts
    }

    fn add(&mut self, schema: &RecordSchema, vocabulary: &Vocabulary) {
        for f in &schema.fields {
            match &f.kind {
                FieldKind::Scalar { slot, ty: Ty::Text, .. } => self.slots.push(*slot),
                FieldKind::Scalar { .. } => {}
                FieldKind::Record(inner) => self.add(inner, vocabulary),
                FieldKind::List { slot, list } => {
                    let Some(decl) = vocabulary.lists.get(*list as usize) else { continue };
                    let members = Texts::of(&decl.item, vocabulary);
                    if !members.slots.is_empty() || !members.lists.is_empty() {
                        self.lists.push((*slot, members));
                    }
                }
            }
        }
    }

    fn plain(&self, record: &Record) -> bool {
        let texts = self.slots.iter().all(|&s| match record.get(s) {
            Value::Text(t) => !needs_escape(t.as_bytes()),
            _ => true,
        });
        texts
            && self.lists.iter().all(|(slot, members)| match record.get(*slot) {
                Value::List(list) => list.iter().all(|m| members.plain(m)),
                _ => true,
            })
    }
}

/// Whether JSON writes any of these bytes escaped (a quote, a backslash,
/// a control character), looked for 64 bytes at a time, then 16 at a
/// time, without an early exit inside a block, which the compiler turns
/// into vector instructions; the last bytes as the last 16 (overlapping)
/// rather than one by one.
pub fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
    let block = |chunk: &[u8]| chunk.iter().fold(0u8, |any, &b| any | special(b)) != 0;
    let mut wide = bytes.chunks_exact(64);
    let rest = wide.remainder();
    if wide.any(block) {
        return true;
    }
    if let Some(tail) = rest.len().checked_sub(16).and_then(|start| rest.get(start..)) {
        return rest.chunks_exact(16).any(block) || block(tail);
    }
    // Fewer than 16 bytes left: the last 16 of the whole, or each byte of a
    // short string.
    match bytes.len().checked_sub(16).and_then(|start| bytes.get(start..)) {
        Some(last) => block(last),
        None => bytes.iter().any(|&b| special(b) != 0),
    }
}

/// Whether JSON written to it escaped anything: an escape is the only place
/// a backslash appears in JSON text.
struct Backslash(bool);

impl io::Write for Backslash {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 |= buf.contains(&b'\\');
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]

    /// A byte to escape is found wherever it sits: in a block of 64 or of
    /// 16, in the tail, in a string shorter than a block.
    #[test]
    fn a_byte_to_escape_is_found_anywhere() {
        for len in 0..200 {
            let plain = "字".repeat(len / 3) + &"a".repeat(len % 3);
            assert!(!super::needs_escape(plain.as_bytes()), "{len}");
            for at in 0..len {
                for special in [b'"', b'\\', b'\n', 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(super::needs_escape(&bytes), "{len} {at} {special}");
                }
            }
        }
    }
}
