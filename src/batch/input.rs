//! Where a batch's lines come from: the input cut into chunks of whole
//! lines. The thread that reads ahead only finds where a chunk ends; the
//! worker that takes the chunk reads its lines one after another, each
//! read finding where its line ends. So the text is first touched by the
//! core that reads the cases in it, as it reads them, and not in a pass
//! of its own over the chunk (which took a fifth of the time).
//!
//! A file is mapped into memory a window at a time ([`Mapped`]): its
//! lines are read where the page cache has them, not copied first (the
//! copy took a quarter of the time of a run). Other input (standard input,
//! a pipe) is read into each chunk's own buffer ([`Input`]).

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use memmap2::{Mmap, MmapOptions};

/// Bytes of input in a chunk, at most, about (a chunk ends at the first
/// line end past its bytes, or at the end of the input). With the chunks
/// out with the workers, and the rulings written for them, this bounds
/// memory whatever the number of lines.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Lines a chunk is sized for: few enough that its rulings (some 3 to 5 KB
/// a line) stay in a core's cache while they are made, many enough that
/// handing chunks to the workers costs little. A chunk of persons of 300
/// bytes a line holds 150 KB; one of enterprises of 3.6 KB, [`CHUNK_BYTES`].
const CHUNK_LINES: u64 = 512;

/// Bytes of input in a chunk, at least, about; also the first chunks'
/// size, before any is done. With 64 KB, the first chunks of short lines
/// were smaller than the later ones, and runs after the first in one
/// process faulted their buffers in anew (20 000 persons 15 % slower).
const LEAST_BYTES: usize = 128 << 10;

/// The size of the next chunk, from the lines of those done so far: room
/// for [`CHUNK_LINES`] lines as long as theirs, between [`LEAST_BYTES`]
/// and `most`.
pub struct Sizer {
    most: usize,
    bytes: u64,
    lines: u64,
}

impl Sizer {
    pub fn new(most: usize) -> Sizer {
        Sizer { most, bytes: 0, lines: 0 }
    }

    /// Counts a chunk done (its lines counted).
    pub fn add(&mut self, chunk: &Chunk) {
        self.bytes += chunk.text().len() as u64;
        self.lines += chunk.count;
    }

    pub fn next(&self) -> usize {
        let least = LEAST_BYTES.min(self.most);
        match (self.bytes * CHUNK_LINES).checked_div(self.lines) {
            Some(bytes) => usize::try_from(bytes).unwrap_or(usize::MAX).clamp(least, self.most),
            None => least,
        }
    }
}

/// Whole lines of input, counted by the worker that reads them.
#[derive(Default)]
pub struct Chunk {
    /// The input read, in `bytes[..filled]`; the rest of `bytes` is room,
    /// kept from chunk to chunk so that reading into it zeroes nothing.
    bytes: Vec<u8>,
    filled: usize,
    /// With a mapped file, instead: the window, and the chunk's part of it.
    mapped: Option<(Arc<Mmap>, Range<usize>)>,
    /// The lines of the chunk, blank ones too, once read.
    pub count: u64,
    /// Those of them that are not blank.
    pub taken: u64,
}

impl Chunk {
    /// The chunk's text: whole lines, the last perhaps without a line end.
    pub fn text(&self) -> &[u8] {
        match &self.mapped {
            Some((map, part)) => map.get(part.clone()).unwrap_or_default(),
            None => self.bytes.get(..self.filled).unwrap_or_default(),
        }
    }

    /// Only at the end of the input.
    pub fn is_empty(&self) -> bool {
        self.text().is_empty()
    }

    fn clear(&mut self) {
        self.filled = 0;
        self.mapped = None;
        self.count = 0;
        self.taken = 0;
    }

    /// The numbers (from 1) of the chunk's lines that are not blank, and
    /// how many lines it has: for the lines of a worker that failed on it.
    pub fn lines_not_blank(&self) -> (Vec<u64>, u64) {
        let text = self.text();
        if text.is_empty() {
            return (Vec::new(), 0);
        }
        let mut numbers = Vec::new();
        let mut number = 0;
        for line in text.strip_suffix(b"\n").unwrap_or(text).split(|&b| b == b'\n') {
            number += 1;
            if !line.iter().all(u8::is_ascii_whitespace) {
                numbers.push(number);
            }
        }
        (numbers, number)
    }

    /// Room for `n` more bytes past those filled.
    fn room(&mut self, n: usize) {
        if self.bytes.len() < self.filled + n {
            self.bytes.resize(self.filled + n, 0);
        }
    }
}

/// Where a chunk of `text` ends: past the first line end from its
/// `bytes`th byte on; `None` when `text` has none there.
fn cut_after(text: &[u8], bytes: usize) -> Option<usize> {
    let i = memchr::memchr(b'\n', text.get(bytes..)?)?;
    Some(bytes + i + 1)
}

/// Where the lines come from: an [`Input`] or a [`Mapped`] file (the
/// trait is not exported, so there are no others).
pub trait Source {
    /// Fills `chunk` with the next whole lines of input: to the first line
    /// end from its `bytes`th byte on, or to the end of the input (a line
    /// is never split); the chunk is empty only at the end of the input.
    fn fill(&mut self, chunk: &mut Chunk, bytes: usize) -> io::Result<()>;

    /// The bytes of a chunk, at most, about.
    fn most(&self) -> usize;
}

/// Bytes asked of the input at a time.
const READ_BYTES: usize = 1 << 16;

/// Input read straight into the chunk being filled: no buffer in between.
pub struct Input<R> {
    reader: R,
    /// The start of a line read past the last chunk's end, for the next.
    rest: Vec<u8>,
    ended: bool,
    /// About how many bytes a chunk holds.
    chunk_bytes: usize,
}

impl<R: Read> Input<R> {
    pub fn new(reader: R) -> Self {
        Input { reader, rest: Vec::new(), ended: false, chunk_bytes: CHUNK_BYTES }
    }

    /// Chunks of about `bytes` (at least 1) instead of [`CHUNK_BYTES`].
    pub fn chunk_bytes(self, bytes: usize) -> Self {
        Input { chunk_bytes: bytes.max(1), ..self }
    }

    /// Appends what one read gives to `chunk`; notes the end of the input.
    fn read_into(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        chunk.room(READ_BYTES);
        let to = chunk.bytes.get_mut(chunk.filled..chunk.filled + READ_BYTES).unwrap_or_default();
        let n = loop {
            match self.reader.read(to) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        chunk.filled += n;
        self.ended = n == 0;
        Ok(())
    }
}

impl<R: Read> Source for Input<R> {
    fn most(&self) -> usize {
        self.chunk_bytes
    }

    fn fill(&mut self, chunk: &mut Chunk, bytes: usize) -> io::Result<()> {
        chunk.clear();
        chunk.room(self.rest.len());
        if let Some(to) = chunk.bytes.get_mut(..self.rest.len()) {
            to.copy_from_slice(&self.rest);
            chunk.filled = self.rest.len();
        }
        self.rest.clear();
        // No line end before this byte ends the chunk.
        let mut from = bytes;
        let cut = loop {
            let filled = chunk.bytes.get(..chunk.filled).unwrap_or_default();
            if let Some(cut) = cut_after(filled, from) {
                break cut;
            }
            from = from.max(chunk.filled);
            if self.ended {
                break chunk.filled;
            }
            self.read_into(chunk)?;
        };
        self.rest.extend_from_slice(chunk.bytes.get(cut..chunk.filled).unwrap_or_default());
        chunk.filled = cut;
        Ok(())
    }
}

/// A file read by mapping it into memory, a window at a time. Only the
/// windows of chunks out with the workers (and the one read from) stay
/// mapped, so memory stays bounded.
pub struct Mapped<'f> {
    file: &'f File,
    /// The file's length when it was opened: what is read.
    len: u64,
    /// The window read from, and where it starts in the file.
    window: Option<(Arc<Mmap>, u64)>,
    /// Where the next chunk starts in the file.
    at: u64,
    /// About how many bytes a chunk holds.
    chunk_bytes: usize,
    /// [`WINDOW`], but in tests.
    window_bytes: u64,
}

/// Bytes mapped at a time, at least: a few chunks' worth.
const WINDOW: u64 = 4 << 20;

impl<'f> Mapped<'f> {
    /// `file` read by mapping it; `None` when it is not a file that can
    /// be mapped (a pipe, a terminal), which is then read as it comes.
    ///
    /// The file must not be cut short while it is read: the pages gone
    /// would stop the process (`SIGBUS`). Input that is still being
    /// written is read from standard input instead.
    pub fn new(file: &'f File) -> Option<Mapped<'f>> {
        let meta = file.metadata().ok()?;
        meta.is_file().then_some(Mapped {
            file,
            len: meta.len(),
            window: None,
            at: 0,
            chunk_bytes: CHUNK_BYTES,
            window_bytes: WINDOW,
        })
    }

    /// Chunks of about `bytes` (at least 1) instead of [`CHUNK_BYTES`].
    pub fn chunk_bytes(self, bytes: usize) -> Self {
        Mapped { chunk_bytes: bytes.max(1), ..self }
    }

    /// The next chunk (of about `bytes`) in the window: its start and end
    /// in it; `None` when the window does not hold it whole.
    fn next_in_window(&self, bytes: usize) -> Option<(Arc<Mmap>, Range<usize>)> {
        let (map, start) = self.window.as_ref()?;
        let first = usize::try_from(self.at.checked_sub(*start)?).ok()?;
        let rest = map.get(first..)?;
        let cut = match cut_after(rest, bytes) {
            Some(cut) => cut,
            None if start + map.len() as u64 == self.len => rest.len(),
            None => return None,
        };
        Some((Arc::clone(map), first..first + cut))
    }

    /// Maps a window from the next chunk's start: twice the last one if
    /// that started there too (a chunk longer than it), else
    /// [`WINDOW`] bytes; never past the end of the file.
    fn map(&mut self) -> io::Result<()> {
        let size = match &self.window {
            Some((map, start)) if *start == self.at => (map.len() as u64).saturating_mul(2),
            _ => self.window_bytes,
        };
        let len = size.min(self.len - self.at);
        let len = usize::try_from(len).map_err(|_| io::Error::other("输入文件过大，无法映射"))?;
        self.window = None;
        // SAFETY: the map is only read, as bytes, any value of which is
        // valid. A change to the file while it is mapped gives other bytes,
        // as a read at that moment would; a file cut short is the caller's
        // to avoid (see `Mapped::new`).
        let map = unsafe { MmapOptions::new().offset(self.at).len(len).populate().map(self.file)? };
        self.window = Some((Arc::new(map), self.at));
        Ok(())
    }
}

impl Source for Mapped<'_> {
    fn most(&self) -> usize {
        self.chunk_bytes
    }

    fn fill(&mut self, chunk: &mut Chunk, bytes: usize) -> io::Result<()> {
        chunk.clear();
        if self.at >= self.len {
            return Ok(());
        }
        loop {
            if let Some((map, part)) = self.next_in_window(bytes) {
                self.at += part.len() as u64;
                chunk.mapped = Some((map, part));
                return Ok(());
            }
            self.map()?;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::io::Write as _;

    use super::{Chunk, Input, Mapped, Sizer, Source, CHUNK_LINES, LEAST_BYTES};

    /// A reader giving at most `most` bytes a read.
    struct Trickle<'a> {
        text: &'a [u8],
        most: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.most).min(self.text.len());
            buf[..n].copy_from_slice(&self.text[..n]);
            self.text = &self.text[n..];
            Ok(n)
        }
    }

    /// Every chunk of `source`: each line that is not blank with its
    /// number in the input, and the number of lines.
    fn chunks(source: &mut impl Source) -> (Vec<Vec<(u64, String)>>, u64) {
        let (mut chunk, mut all, mut before) = (Chunk::default(), Vec::new(), 0);
        loop {
            source.fill(&mut chunk, source.most()).unwrap();
            if chunk.is_empty() {
                return (all, before);
            }
            let text = chunk.text();
            let (numbers, count) = chunk.lines_not_blank();
            let lines: Vec<&[u8]> = text.strip_suffix(b"\n").unwrap_or(text).split(|&b| b == b'\n').collect();
            assert_eq!(lines.len() as u64, count);
            let line = |n: &u64| {
                let l = lines[*n as usize - 1];
                (before + n, String::from_utf8(l.strip_suffix(b"\r").unwrap_or(l).to_vec()).unwrap())
            };
            all.push(numbers.iter().map(line).collect());
            before += count;
        }
    }

    /// `text` read in chunks of about `chunk_bytes`, `most` bytes a read.
    fn read(text: &str, most: usize, chunk_bytes: usize) -> (Vec<Vec<(u64, String)>>, u64) {
        chunks(&mut Input::new(Trickle { text: text.as_bytes(), most }).chunk_bytes(chunk_bytes))
    }

    /// `text` as a file, mapped in windows of `window_bytes` at first, in
    /// chunks of about `chunk_bytes`.
    fn mapped(text: &str, window_bytes: u64, chunk_bytes: usize) -> (Vec<Vec<(u64, String)>>, u64) {
        let path =
            std::env::temp_dir().join(format!("policyc-mapped-{}-{window_bytes}-{chunk_bytes}", std::process::id()));
        std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut input = Mapped::new(&file).unwrap().chunk_bytes(chunk_bytes);
        input.window_bytes = window_bytes;
        let read = chunks(&mut input);
        std::fs::remove_file(&path).unwrap();
        read
    }

    /// Lines are cut at their line ends, whether a line spans many reads,
    /// chunks' bytes or windows, or the last has none; blank lines are
    /// counted and left out, and a stretch of them longer than a chunk
    /// does not end the input.
    #[test]
    fn lines_are_read_whole_and_numbered_in_the_input() {
        let text = "{\"编号\": \"一\"}\r\n\n  \n第二行很长很长很长很长\n\n末行无换行";
        let expected = [(1, "{\"编号\": \"一\"}"), (4, "第二行很长很长很长很长"), (6, "末行无换行")];
        let expected = expected.map(|(n, l)| (n, l.to_string()));
        for chunk_bytes in [1, 2, 7, 40, 1 << 20] {
            for most in [1, 2, 3, 5, 8, 64, 1 << 20] {
                let (chunks, number) = read(text, most, chunk_bytes);
                assert_eq!(chunks.concat(), expected, "{most} bytes a read, chunks of {chunk_bytes}");
                assert_eq!(number, 6);
            }
            // Windows smaller than a line, and than the page.
            for window_bytes in [1, 5, 16, 4096] {
                let (chunks, number) = mapped(text, window_bytes, chunk_bytes);
                assert_eq!(chunks.concat(), expected, "windows of {window_bytes}, chunks of {chunk_bytes}");
                assert_eq!(number, 6);
            }
        }
        assert_eq!(read("\n \r\n", 2, 1), (vec![vec![]], 2));
        assert_eq!(read("", 2, 1), (vec![], 0));
        assert_eq!(mapped("", 16, 1), (vec![], 0));
        let blanks = format!("第一行\n{}第二行\n", " \n".repeat(100));
        for (chunks, number) in [read(&blanks, 64, 16), mapped(&blanks, 64, 16)] {
            assert_eq!(chunks.concat(), [(1, "第一行".to_string()), (102, "第二行".to_string())]);
            assert_eq!(number, 102);
        }
    }

    /// A chunk ends at the first line end past its bytes; many lines make
    /// many chunks, in order, mapped or read.
    #[test]
    fn chunks_end_at_the_first_line_end_past_their_bytes() {
        let text: String = (1..=500).map(|i| format!("行{i}\n")).collect();
        for (chunks, number) in [read(&text, 7, 100), read(&text, 4096, 100), mapped(&text, 4096, 100)] {
            assert!(chunks.len() > 20, "{} chunks", chunks.len());
            for c in &chunks[..chunks.len() - 1] {
                let bytes: usize = c.iter().map(|(_, l)| l.len() + 1).sum();
                let last = c.last().unwrap().1.len() + 1;
                assert!(bytes > 100 && bytes - last <= 100, "{bytes} bytes, the last line {last}");
            }
            let lines = chunks.concat();
            assert!(lines.iter().enumerate().all(|(i, (n, l))| *n == i as u64 + 1 && *l == format!("行{n}")));
            assert_eq!(number, 500);
        }
    }

    /// Chunks are sized for [`CHUNK_LINES`] lines as long as those done,
    /// within bounds; the first is the least.
    #[test]
    fn chunks_are_sized_by_the_lines_done() {
        let mut sizer = Sizer::new(1 << 20);
        assert_eq!(sizer.next(), LEAST_BYTES);
        let mut chunk = Chunk::default();
        let persons = "个".repeat(99) + "ab\n";
        Input::new(persons.repeat(1000).as_bytes()).fill(&mut chunk, 1 << 30).unwrap();
        chunk.count = chunk.lines_not_blank().1;
        sizer.add(&chunk);
        assert_eq!(sizer.next(), 300 * CHUNK_LINES as usize);
        let enterprises = "业".repeat(2000) + "\n";
        Input::new(enterprises.repeat(1000).as_bytes()).fill(&mut chunk, 1 << 30).unwrap();
        chunk.count = chunk.lines_not_blank().1;
        sizer.add(&chunk);
        assert_eq!(sizer.next(), 1 << 20, "at most");
        let mut blank = Sizer::new(1 << 20);
        Input::new("\n".repeat(1000).as_bytes()).fill(&mut chunk, 1 << 30).unwrap();
        chunk.count = chunk.lines_not_blank().1;
        blank.add(&chunk);
        assert_eq!(blank.next(), LEAST_BYTES, "at least");
        assert_eq!(Sizer::new(100).next(), 100, "never more than the most");
    }
}
