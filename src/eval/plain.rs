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
            Value::Text(t) => !t.bytes().any(escaped),
            _ => true,
        });
        texts
            && self.lists.iter().all(|(slot, members)| match record.get(*slot) {
                Value::List(list) => list.iter().all(|m| members.plain(m)),
                _ => true,
            })
    }
}

/// Whether JSON writes this byte escaped.
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
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
