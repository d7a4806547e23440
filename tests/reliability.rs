#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The binary under hostile use: nothing lost, no panic on closed or full
//! outputs, no hang on link loops or pipes, nothing invalid accepted.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn policyc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_policyc"))
}

fn run(args: &[&str]) -> Output {
    policyc().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("policyc-reliability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Waits for a child at most `limit`, killing it after: a hang fails the
/// test instead of stalling the suite.
fn finish(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("policyc did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

const PERSON: &str = r#"{"日期":"2023-05-10","文件":"攀人社发〔2022〕143号","主体":{"类型":"个人","脱贫人口":true,"外出务工":true,"就业地":"省外","稳定就业月数":4}}"#;

/// A population of `n` persons, one per line.
fn population(path: &Path, n: usize) {
    let mut s = String::with_capacity(n * (PERSON.len() + 1));
    for _ in 0..n {
        s.push_str(PERSON);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

fn no_panic(o: &Output) {
    let err = text(&o.stderr);
    assert!(!err.contains("panicked") && o.status.code() != Some(101), "{err}");
}

#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = folder("same");
    let input = dir.join("人群.jsonl");
    population(&input, 3);
    let before = std::fs::read(&input).unwrap();
    std::os::unix::fs::symlink(&input, dir.join("链接.jsonl")).unwrap();
    std::fs::hard_link(&input, dir.join("硬链接.jsonl")).unwrap();
    for output in ["人群.jsonl", "链接.jsonl", "硬链接.jsonl", "./人群.jsonl"] {
        let o = policyc()
            .current_dir(&dir)
            .args(["batch", "人群.jsonl", "--output", output, "--policies"])
            .arg(std::env::current_dir().unwrap().join("policies"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{output}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("是同一个文件"), "{}", text(&o.stderr));
        assert_eq!(std::fs::read(&input).unwrap(), before, "{output}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A batch of `input` into `output` (in `dir`) on one worker, started and
/// under way: its unfinished output is there.
fn batch_under_way(dir: &Path, input: &Path, output: &Path) -> Child {
    let child = policyc()
        .args(["batch", input.to_str().unwrap(), "--output", output.to_str().unwrap(), "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !names(dir).iter().any(|n| n.ends_with(".未完成")) {
        assert!(start.elapsed() < Duration::from_secs(60), "no unfinished output appeared: {:?}", names(dir));
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn a_terminated_batch_leaves_no_cut_output() {
    let dir = folder("term");
    let input = dir.join("人群.jsonl");
    population(&input, 300_000);
    let output = dir.join("裁定.jsonl");
    std::fs::write(&output, "上一次的结果\n").unwrap();
    let child = batch_under_way(&dir, &input, &output);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let o = finish(child, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(128 + libc::SIGTERM), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("未写完的输出文件已删除"), "{}", text(&o.stderr));
    assert_eq!(names(&dir), ["人群.jsonl", "裁定.jsonl"]);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "上一次的结果\n", "the old output is untouched");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_complete_batch_output_replaces_the_old_one_whole() {
    let dir = folder("whole");
    let input = dir.join("人群.jsonl");
    population(&input, 1000);
    let output = dir.join("裁定.jsonl");
    std::fs::write(&output, "上一次的结果\n").unwrap();
    let o = run(&["batch", input.to_str().unwrap(), "--output", output.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap().lines().count(), 1000);
    assert_eq!(names(&dir), ["人群.jsonl", "裁定.jsonl"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_mapped_input_cut_short_stops_with_a_message_not_a_bus_error() {
    let dir = folder("cut");
    let input = dir.join("人群.jsonl");
    population(&input, 400_000);
    let output = dir.join("裁定.jsonl");
    let child = batch_under_way(&dir, &input, &output);
    std::fs::OpenOptions::new().write(true).open(&input).unwrap().set_len(100).unwrap();
    let o = finish(child, Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("输入文件在读取期间被截断或改写"), "{}", text(&o.stderr));
    assert_eq!(names(&dir), ["人群.jsonl"], "no output, whole or cut");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A pipe whose reading end is already closed: writing to it fails with
/// a broken pipe.
fn closed_pipe() -> std::fs::File {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    unsafe { std::fs::File::from_raw_fd(fds[1]) }
}

#[test]
fn a_closed_output_ends_quietly_and_a_full_one_says_so() {
    let case = "tests/cases/攀枝花/攀-01-企业吸纳25人.yaml";
    let commands: [&[&str]; 6] = [
        &["eval", case],
        &["eval", case, "--format", "json", "--trace"],
        &["check", "policies"],
        &["explain", "P0301"],
        &["coverage", "policies"],
        &["batch", "tests/cases/攀枝花/攀-01-企业吸纳25人.yaml"],
    ];
    for args in commands {
        let o = policyc().args(args).stdout(closed_pipe()).output().unwrap();
        no_panic(&o);
        // The batch's one line is not JSON: its error line goes to the closed pipe.
        if args[0] != "batch" {
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
            // Quietly: warnings of the rules may be there, no word of the pipe.
            assert!(!text(&o.stderr).contains("无法写出"), "{args:?}: {}", text(&o.stderr));
        }
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = policyc().args(args).stdout(full).output().unwrap();
        no_panic(&o);
        assert_eq!(o.status.code(), Some(5), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("无法写出结果：磁盘已满"), "{args:?}: {}", text(&o.stderr));
    }
    // Messages to a closed or full standard error are given up; the status stays.
    let o = policyc().args(["eval", "没有这个文件.yaml"]).stderr(closed_pipe()).output().unwrap();
    assert_eq!(o.status.code(), Some(5));
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = policyc().args(["check", "没有这个目录"]).stderr(full).output().unwrap();
    assert_eq!(o.status.code(), Some(5));
}

#[test]
fn a_batch_writing_to_a_full_device_says_so() {
    let dir = folder("full");
    let input = dir.join("人群.jsonl");
    population(&input, 100);
    let o = run(&["batch", input.to_str().unwrap(), "--output", "/dev/full"]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("无法写入 /dev/full：磁盘已满"), "{}", text(&o.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn too_many_jobs_are_bounded_with_a_message() {
    let dir = folder("jobs");
    let input = dir.join("人群.jsonl");
    population(&input, 500);
    let o = run(&["batch", input.to_str().unwrap(), "--jobs", "30000", "--summary-only", "--summary-format", "json"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--jobs 30000 超过上限"), "{}", text(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["案例数"], 500);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loops_of_links_in_a_rule_folder_are_walked_once() {
    let dir = folder("loops");
    for f in ["词汇.policy", "县实施办法.policy"] {
        std::fs::copy(Path::new("policies").join(f), dir.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    std::fs::copy("policies/sources/000_1fe5ec9057ca8be6.txt", dir.join("sources/000_1fe5ec9057ca8be6.txt")).unwrap();
    std::fs::create_dir_all(dir.join("甲")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("甲/上一层")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("回到这里")).unwrap();
    std::os::unix::fs::symlink("不存在", dir.join("断链.policy")).unwrap();
    let child = policyc().arg("check").arg(&dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let o = finish(child, Duration::from_secs(60));
    // The broken link is named, and nothing else is wrong.
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("断链.policy：文件或目录不存在"), "{}", text(&o.stderr));
    std::fs::remove_file(dir.join("断链.policy")).unwrap();
    let child = policyc().arg("check").arg(&dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let o = finish(child, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "检查通过：1 份文件");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn fifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn pipes_named_as_rule_or_case_files_are_refused_without_blocking() {
    let dir = folder("fifo");
    fifo(&dir.join("规则.policy"));
    fifo(&dir.join("案例.yaml"));
    let (rules, case) = (dir.join("规则.policy"), dir.join("案例.yaml"));
    let cases: [(&[&str], i32); 4] = [
        (&["check", rules.to_str().unwrap()], 5),
        (&["check", dir.to_str().unwrap()], 5),
        (&["eval", case.to_str().unwrap()], 5),
        (&["test", dir.to_str().unwrap()], 4),
    ];
    for (args, status) in cases {
        let child = policyc().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let o = finish(child, Duration::from_secs(30));
        assert_eq!(o.status.code(), Some(status), "{args:?}: {}{}", text(&o.stdout), text(&o.stderr));
        let said = text(&o.stdout) + &text(&o.stderr);
        assert!(said.contains("是特殊文件（管道、设备等），不是普通文件"), "{args:?}: {said}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pipe_as_batch_input_is_read_as_a_stream() {
    let dir = folder("fifo-batch");
    let pipe = dir.join("人群");
    fifo(&pipe);
    let child = policyc()
        .args(["batch", pipe.to_str().unwrap(), "--summary-only", "--summary-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: String = (0..50).map(|_| format!("{PERSON}\n")).collect();
    std::fs::write(&pipe, lines).unwrap();
    let o = finish(child, Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["案例数"], 50);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dates_with_signs_and_subjects_without_a_kind_are_refused() {
    let dir = folder("invalid");
    let lines = [
        r#"{"日期":"2023-+1-+5","文件":"攀人社发〔2022〕143号","主体":{"类型":"个人"}}"#,
        r#"{"日期":"+123-01-01","文件":"攀人社发〔2022〕143号","主体":{"类型":"个人"}}"#,
        r#"{"日期":"2023-05-05","文件":"攀人社发〔2022〕143号","主体":{"脱贫人口":true}}"#,
        r#"{"日期":"2023-05-05","文件":"攀人社发〔2022〕143号","主体":{"类型":null,"脱贫人口":true}}"#,
    ];
    let input = dir.join("人群.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let o = run(&["batch", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let out = text(&o.stdout);
    let errors: Vec<&str> = out.lines().collect();
    assert_eq!(errors.len(), 4, "{out}");
    assert!(errors[0].contains("「2023-+1-+5」不是有效日期"), "{out}");
    assert!(errors[1].contains("「+123-01-01」不是有效日期"), "{out}");
    assert!(errors[2].contains("主体：缺少必填字段「类型」"), "{out}");
    assert!(errors[3].contains("主体：缺少必填字段「类型」"), "{out}");
    let case = dir.join("案例.yaml");
    std::fs::write(&case, "日期: 2023-05-10\n文件: 攀人社发〔2022〕143号\n主体: {脱贫人口: 是}\n").unwrap();
    let o = run(&["eval", case.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stderr).contains("缺少必填字段「类型」"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("个人 或 单位"), "{}", text(&o.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fmt_rewrites_a_rule_file_whole_keeping_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder("fmt");
    let file = dir.join("词汇.policy");
    std::fs::write(&file, "词汇 {\n类型：枚举 { 个人、单位 }\n      脱贫人口：布尔\n}\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = run(&["fmt", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "词汇 {\n  类型：枚举 { 个人、单位 }\n  脱贫人口：布尔\n}\n");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(names(&dir), ["词汇.policy"], "no temporary file is left");
    std::fs::remove_dir_all(&dir).unwrap();
}
