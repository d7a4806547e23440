#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The project's documents say what is: every `policy` block in docs/
//! checks, and every command in a `sh` block of README.md and docs/ runs
//! as shown.
//!
//! Conventions in the Markdown:
//! - ```` ```原文 名称.txt ```` gives a document text that the `policy`
//!   blocks of the same page cite as `原文件「名称.txt」`; shipped texts
//!   (`policies/sources/…`) are there too, as `sources/…`.
//! - A `policy` block that declares a 文件 is checked with the shipped
//!   vocabulary; one that declares a 词汇 is checked alone. A block whose
//!   info string names a file (```` ```policy docs/tutorial/a.policy ````)
//!   shows that file: it must be the file's text, and the file's folder
//!   must check.
//! - In a `sh` block each line is a command (`&&` joins several); `policyc …`
//!   and `cargo run --release -- …` run the binary under test. A comment
//!   `# 退出码 N` says the status it gives (else 0); `# 测试中不运行：…`
//!   marks a command that cannot run inside a test, and says why.
//! - An ```` ```输出 ```` block right after a `sh` block of one command is
//!   what that command prints (standard output and error).

use std::path::{Path, PathBuf};
use std::process::Command;

use policyc::diag::{render_human, Style};
use policyc::workspace;

struct Block {
    /// The info string: language, then anything after it.
    info: String,
    text: String,
    /// The line of the opening fence, from 1.
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_string(), i + 1, String::new()));
                }
            }
            Some((info, start, text)) => {
                if line.trim_end() == "```" {
                    out.push(Block { info: std::mem::take(info), text: std::mem::take(text), line: *start });
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a code block is not closed");
    out
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir("docs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn language(b: &Block) -> &str {
    b.info.split_whitespace().next().unwrap_or("")
}

/// The shipped document texts, by the name a rule file beside them uses.
fn shipped_sources() -> Vec<(String, String)> {
    std::fs::read_dir("policies/sources")
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = format!("sources/{}", p.file_name().unwrap().to_string_lossy());
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn every_policy_block_in_docs_checks() {
    let vocabulary = std::fs::read_to_string("policies/词汇.policy").unwrap();
    let mut checked = 0;
    for page in pages().into_iter().filter(|p| p.starts_with("docs")) {
        let markdown = std::fs::read_to_string(&page).unwrap();
        let all = blocks(&markdown);
        let mut sources = shipped_sources();
        for b in all.iter().filter(|b| language(b) == "原文") {
            let name = b.info.split_whitespace().nth(1).expect("a 原文 block names its file");
            sources.push((name.to_string(), b.text.clone()));
        }
        let sources: Vec<(&str, &str)> = sources.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        for b in all.iter().filter(|b| language(b) == "policy") {
            let place = format!("{}:{}", page.display(), b.line);
            // A block that shows a file of the repository is that file,
            // checked in its folder.
            if let Some(file) = b.info.split_whitespace().nth(1) {
                let on_disk = std::fs::read_to_string(file).unwrap_or_else(|_| panic!("{place}: no file {file}"));
                assert_eq!(b.text, on_disk, "{place}: the block differs from {file}");
                let ws = workspace::load(&[Path::new(file).parent().unwrap().to_path_buf()]);
                let shown = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
                assert!(ws.diagnostics.is_empty() && ws.program.is_some(), "{place}:\n{shown}");
                checked += 1;
                continue;
            }
            let ws = if b.text.contains("文件「") {
                workspace::load_texts(&[("词汇.policy", &vocabulary), ("示例.policy", &b.text)], &sources)
            } else {
                workspace::load_texts(&[("词汇.policy", &b.text)], &sources)
            };
            let shown = render_human(&ws.diagnostics, &ws.sources, Style::Plain);
            assert!(
                ws.diagnostics.is_empty(),
                "{}:{}: the block does not check cleanly:\n{shown}",
                page.display(),
                b.line
            );
            assert!(ws.program.is_some(), "{}:{}", page.display(), b.line);
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} policy blocks found in docs/");
}

/// A command of a `sh` block: its words, the status it gives, or why it
/// is not run.
struct Shown {
    words: Vec<String>,
    status: i32,
    not_run: Option<String>,
}

fn commands(line: &str) -> Vec<Shown> {
    let (command, comment) = match line.split_once(" #") {
        Some((c, rest)) => (c, rest.trim()),
        None => (line, ""),
    };
    let not_run = comment.strip_prefix("测试中不运行：").map(str::to_string);
    let status = comment.strip_prefix("退出码 ").map_or(0, |n| n.trim().parse().unwrap());
    command
        .split("&&")
        .map(|c| Shown { words: c.split_whitespace().map(str::to_string).collect(), status, not_run: not_run.clone() })
        .filter(|c| !c.words.is_empty())
        .collect()
}

/// The arguments to give the binary for a command, or `None` when the
/// command is not one of policyc's.
fn policyc_arguments(words: &[String]) -> Option<&[String]> {
    match words {
        [first, rest @ ..] if first == "policyc" => Some(rest),
        [cargo, run, rest @ ..] if cargo == "cargo" && run == "run" => {
            let at = rest.iter().position(|w| w == "--")?;
            Some(&rest[at + 1..])
        }
        _ => None,
    }
}

#[test]
fn every_command_in_readme_and_docs_runs_as_shown() {
    let (mut ran, mut outputs) = (0, 0);
    for page in pages() {
        let markdown = std::fs::read_to_string(&page).unwrap();
        let all = blocks(&markdown);
        for (i, b) in all.iter().enumerate().filter(|(_, b)| language(b) == "sh") {
            let lines: Vec<&str> =
                b.text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
            let expected_output = all.get(i + 1).filter(|n| language(n) == "输出");
            assert!(
                expected_output.is_none() || lines.len() == 1,
                "{}:{}: an output follows one command",
                page.display(),
                b.line
            );
            let mut compared = 0;
            for line in &lines {
                for c in commands(line) {
                    let place = format!("{}:{}: {}", page.display(), b.line, c.words.join(" "));
                    if let Some(why) = &c.not_run {
                        assert!(!why.trim().is_empty(), "{place}: say why it is not run");
                        continue;
                    }
                    let args = policyc_arguments(&c.words)
                        .unwrap_or_else(|| panic!("{place}: not a policyc command; mark it `# 测试中不运行：原因`"));
                    let o = Command::new(env!("CARGO_BIN_EXE_policyc")).args(args).output().unwrap();
                    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
                    assert_eq!(o.status.code(), Some(c.status), "{place}\n{said}");
                    if let Some(expected) = expected_output {
                        assert_eq!(said.trim_end(), expected.text.trim_end(), "{place}: the output shown differs");
                        compared += 1;
                    }
                    ran += 1;
                }
            }
            assert_eq!(compared, usize::from(expected_output.is_some()), "{}:{}", page.display(), b.line);
            outputs += compared;
        }
    }
    assert!(ran >= 5, "only {ran} commands ran");
    assert!(outputs >= 4, "only {outputs} outputs compared");
}

/// Nothing in the project's documents points outside the repository.
#[test]
fn documents_point_only_inside_the_repository() {
    for page in pages().iter().chain([PathBuf::from("ARCHITECTURE.md"), PathBuf::from("BENCHMARKS.md")].iter()) {
        let text = std::fs::read_to_string(page).unwrap();
        assert!(!text.contains("../shared"), "{} points at ../shared", page.display());
        // Relative links lead to files that exist.
        for (at, _) in text.match_indices("](") {
            let target = text[at + 2..].split(')').next().unwrap();
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap();
            let base = page.parent().unwrap_or(Path::new(""));
            assert!(base.join(file).exists(), "{}: link to {target} leads nowhere", page.display());
        }
    }
}

/// The reference lists every keyword.
#[test]
fn the_reference_lists_every_keyword() {
    let reference = std::fs::read_to_string("docs/language.md").unwrap();
    let keywords = std::fs::read_to_string("src/syntax/keywords.rs").unwrap();
    for word in keywords.split("=> \"").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(reference.contains(&format!("`{word}`")), "docs/language.md does not list the keyword {word}");
    }
}
