//! Files as policyc reads and writes them: only regular files are read,
//! and only up to a size; a file is written whole or not at all; system
//! errors are told in Chinese.
//!
//! A file is written to a temporary file beside it and renamed into place
//! once complete ([`Pending`]). While it is being written its temporary
//! path is listed where a signal handler can find it without taking a lock
//! ([`remove_unfinished`]), so that an interrupted run leaves no cut file.

use std::ffi::CString;
use std::fs::{File, Metadata};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// The largest rule file, document text or case file read: a larger one is
/// refused before it is read (reading and checking are linear, so this
/// also bounds their time and memory).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A system error in Chinese, without the system's English words.
pub fn io_message(e: &io::Error) -> String {
    let what = match e.kind() {
        ErrorKind::NotFound => "文件或目录不存在",
        ErrorKind::PermissionDenied => "没有权限",
        ErrorKind::AlreadyExists => "文件已存在",
        ErrorKind::IsADirectory => "这是一个目录，不是文件",
        ErrorKind::NotADirectory => "路径中有一段不是目录",
        ErrorKind::DirectoryNotEmpty => "目录不是空的",
        ErrorKind::ReadOnlyFilesystem => "文件系统只读",
        ErrorKind::StorageFull => "磁盘已满",
        ErrorKind::QuotaExceeded => "超出磁盘配额",
        ErrorKind::FileTooLarge => "文件过大",
        ErrorKind::BrokenPipe => "管道的另一端已关闭",
        ErrorKind::InvalidData => "数据无效",
        ErrorKind::UnexpectedEof => "文件意外结束",
        ErrorKind::Interrupted => "操作被中断",
        ErrorKind::OutOfMemory => "内存不足",
        ErrorKind::CrossesDevices => "不能跨文件系统改名",
        ErrorKind::TooManyLinks => "链接过多",
        ErrorKind::ResourceBusy => "资源正忙",
        ErrorKind::TimedOut => "操作超时",
        ErrorKind::WouldBlock => "操作会阻塞",
        _ => "",
    };
    match (what, e.raw_os_error()) {
        ("", Some(code)) => format!("系统错误（错误码 {code}）"),
        ("", None) if e.get_ref().is_some() => format!("读写失败：{e}"),
        ("", None) => "读写失败".to_string(),
        (what, _) => what.to_string(),
    }
}

/// Why a path cannot be read as an input file, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The metadata of `path` when it is a regular file (links followed) of
/// at most [`MAX_FILE_BYTES`]. Asked without opening it, so a FIFO named
/// like a rule file does not block.
pub fn regular(path: &Path) -> Result<Metadata, Refusal> {
    let meta =
        std::fs::metadata(path).map_err(|e| Refusal(format!("无法读取 {}：{}", path.display(), io_message(&e))))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() { "目录" } else { "特殊文件（管道、设备等）" };
        return Err(Refusal(format!("{} 是{kind}，不是普通文件", path.display())));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Refusal(format!(
            "{} 有 {} 字节，超过单个文件的上限 {} 字节（{} MB）",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES,
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(meta)
}

/// The bytes of a regular file of at most [`MAX_FILE_BYTES`] (see [`regular`]).
pub fn read(path: &Path) -> Result<Vec<u8>, Refusal> {
    regular(path)?;
    let mut bytes = Vec::new();
    let file = File::open(path).map_err(|e| Refusal(format!("无法读取 {}：{}", path.display(), io_message(&e))))?;
    // The file may have grown since it was measured.
    io::Read::read_to_end(&mut io::Read::take(file, MAX_FILE_BYTES + 1), &mut bytes)
        .map_err(|e| Refusal(format!("无法读取 {}：{}", path.display(), io_message(&e))))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Refusal(format!("{} 超过单个文件的上限 {} MB", path.display(), MAX_FILE_BYTES >> 20)));
    }
    Ok(bytes)
}

/// The files under `paths` that `wanted` picks, sorted: each path a file
/// (taken as it is) or a directory searched through its subdirectories.
/// A directory reached twice (through a link back up, or two links to
/// one place) is searched once, so loops of links end.
pub fn walk(paths: &[PathBuf], wanted: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, Refusal> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
            ErrorKind::NotFound => Refusal(format!("找不到 {}", p.display())),
            _ => Refusal(format!("无法读取 {}：{}", p.display(), io_message(&e))),
        })?;
        if meta.is_dir() {
            walk_dir(p, &meta, &wanted, &mut seen, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// A directory's identity, by which it is searched once.
fn identity(path: &Path, meta: &Metadata) -> (u64, u64, PathBuf) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        (meta.dev(), meta.ino(), PathBuf::new())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0, std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

fn walk_dir(
    dir: &Path,
    meta: &Metadata,
    wanted: &impl Fn(&Path) -> bool,
    seen: &mut std::collections::HashSet<(u64, u64, PathBuf)>,
    out: &mut Vec<PathBuf>,
) -> Result<(), Refusal> {
    if !seen.insert(identity(dir, meta)) {
        return Ok(());
    }
    let refuse = |e: io::Error| Refusal(format!("无法读取 {}：{}", dir.display(), io_message(&e)));
    for entry in std::fs::read_dir(dir).map_err(refuse)? {
        let path = entry.map_err(refuse)?.path();
        // A link to nowhere is not a directory; left to `wanted`.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_dir(&path, &m, wanted, seen, out)?,
            _ if wanted(&path) => out.push(path),
            _ => {}
        }
    }
    Ok(())
}

/// Whether two paths name one file (through links, hard or symbolic).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Writes `bytes` to `path` whole or not at all: to a file beside it,
/// flushed to disk, then renamed over it, keeping the permissions the old
/// file had.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut pending = Pending::create(path)?;
    io::Write::write_all(pending.file(), bytes)?;
    pending.file().sync_all()?;
    pending.commit()
}

/// A file being written: to a temporary file in the target's folder,
/// renamed over the target by [`Pending::commit`]. Dropped uncommitted
/// (an error, a panic), the temporary file is removed; on a signal,
/// [`remove_unfinished`] removes it. A target that exists and is not a
/// regular file (`/dev/null`, a FIFO) is written directly.
pub struct Pending {
    file: File,
    /// The temporary file, and its place in the list signal handlers read;
    /// `None` when writing the target directly.
    temporary: Option<(PathBuf, usize)>,
    target: PathBuf,
}

impl Pending {
    pub fn create(target: &Path) -> io::Result<Pending> {
        let existing = std::fs::metadata(target).ok();
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            let file = std::fs::OpenOptions::new().write(true).open(target)?;
            return Ok(Pending { file, temporary: None, target: target.to_path_buf() });
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let temporary = folder.join(format!(".{name}.{}.{n}.未完成", std::process::id()));
            // Listed before it exists, so that a signal in between still
            // finds it (removing a file not yet made does no harm).
            let slot = list_unfinished(&temporary);
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary) {
                Ok(file) => {
                    let pending = Pending { file, temporary: Some((temporary, slot)), target: target.to_path_buf() };
                    if let Some(meta) = &existing {
                        pending.file.set_permissions(meta.permissions())?;
                    }
                    return Ok(pending);
                }
                Err(e) => {
                    unlist(slot);
                    if e.kind() != ErrorKind::AlreadyExists {
                        return Err(e);
                    }
                }
            }
        }
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Puts the complete file in place.
    pub fn commit(mut self) -> io::Result<()> {
        match self.temporary.take() {
            Some((temporary, slot)) => {
                let renamed = std::fs::rename(&temporary, &self.target);
                if renamed.is_err() {
                    let _ = std::fs::remove_file(&temporary);
                }
                unlist(slot);
                renamed
            }
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some((temporary, slot)) = self.temporary.take() {
            let _ = std::fs::remove_file(&temporary);
            unlist(slot);
        }
    }
}

/// Temporary files being written, as C strings a signal handler can pass
/// to `unlink` (null where free). More at once than this are written
/// without being listed.
static UNFINISHED: [AtomicPtr<std::ffi::c_char>; 16] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 16];

/// Lists `path`; its place, or `usize::MAX` when none is free.
fn list_unfinished(path: &Path) -> usize {
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else { return usize::MAX };
    let raw = c.into_raw();
    for (i, slot) in UNFINISHED.iter().enumerate() {
        if slot.compare_exchange(std::ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return i;
        }
    }
    // SAFETY: `raw` came from `CString::into_raw` above and was not stored.
    drop(unsafe { CString::from_raw(raw) });
    usize::MAX
}

fn unlist(slot: usize) {
    let Some(slot) = UNFINISHED.get(slot) else { return };
    let raw = slot.swap(std::ptr::null_mut(), Ordering::AcqRel);
    if !raw.is_null() {
        // SAFETY: only `list_unfinished` stores pointers, from
        // `CString::into_raw`, and the swap took this one out.
        drop(unsafe { CString::from_raw(raw) });
    }
}

/// Removes every temporary file still being written. Safe to call from a
/// signal handler: it takes no lock and allocates nothing (the process
/// is about to end, so what it lists is not freed).
pub fn remove_unfinished() {
    #[cfg(unix)]
    for slot in &UNFINISHED {
        let raw = slot.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: a non-null slot holds a C string from `into_raw`,
            // taken out by the swap, so no one frees it meanwhile.
            unsafe { libc::unlink(raw) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_file_dropped_uncommitted_leaves_nothing_and_the_old_file_whole() {
        let dir = std::env::temp_dir().join(format!("policyc-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("结果.jsonl");
        std::fs::write(&target, "旧内容\n").unwrap();
        {
            let mut p = Pending::create(&target).unwrap();
            io::Write::write_all(p.file(), b"half").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "旧内容\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
        let mut p = Pending::create(&target).unwrap();
        io::Write::write_all(p.file(), b"new\n").unwrap();
        p.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn system_errors_are_told_in_chinese() {
        let e = std::fs::read("/nonexistent/policyc").unwrap_err();
        assert_eq!(io_message(&e), "文件或目录不存在");
        assert!(io_message(&io::Error::from_raw_os_error(28)).contains("磁盘已满"));
        assert!(!io_message(&io::Error::from_raw_os_error(1000)).is_ascii());
    }
}
