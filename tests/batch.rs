#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! `policyc batch`: the same rulings as `eval`, line for line, in input order.

use std::path::PathBuf;

use policyc::diag::SourceMap;
use policyc::eval::{self, Options};
use policyc::{batch, case, testing, workspace};

#[test]
fn batch_output_equals_eval_output_case_by_case() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let files = testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
    let mut sources = SourceMap::default();
    let mut input = String::new();
    let mut expected = Vec::new();
    for f in &files {
        let (c, node) = case::load_file(&program, &mut sources, f).unwrap();
        let e = eval::evaluate(&program, &c, Options::default()).unwrap();
        expected.push(serde_json::to_string(&e).unwrap());
        // The same case as one JSON line (the YAML's 期望 goes along; it is ignored).
        input.push_str(&node_json(&node));
        input.push('\n');
    }
    for workers in [1, 2, 3] {
        let mut out = Vec::new();
        let summary =
            batch::run(&program, input.as_bytes(), Some(&mut out), workers, Options::default(), &|_| {}).unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(lines.len(), expected.len());
        for (got, want) in lines.iter().zip(&expected) {
            assert_eq!(got, want);
        }
        assert_eq!(summary.cases as usize, files.len());
        assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    }
}

/// Every shipped case three times over, in turn: the second and third
/// time its rule groups' verdicts (and its whole line, without a trace)
/// are remembered, yet every line is what `eval` gives for the case —
/// with and without traces (which show the case's own values, not the
/// remembered ones), on one worker and on two — and the totals are those
/// of `--summary-only`.
#[test]
fn remembered_rulings_are_written_as_the_first_time() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let files = testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
    let mut sources = SourceMap::default();
    let cases: Vec<_> = files.iter().map(|f| case::load_file(&program, &mut sources, f).unwrap()).collect();
    let input: String = (0..3).flat_map(|_| cases.iter().map(|(_, node)| format!("{}\n", node_json(node)))).collect();
    for trace in [false, true] {
        let options = Options { trace };
        let expected: Vec<String> = (0..3)
            .flat_map(|_| &cases)
            .map(|(c, _)| serde_json::to_string(&eval::evaluate(&program, c, options).unwrap()).unwrap())
            .collect();
        let quick = batch::run(&program, input.as_bytes(), None, 2, options, &|_| {}).unwrap();
        for workers in [1, 2] {
            let mut out = Vec::new();
            let summary = batch::run(&program, input.as_bytes(), Some(&mut out), workers, options, &|_| {}).unwrap();
            let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
            assert_eq!(lines, expected, "trace {trace}, {workers} workers");
            assert_eq!(summary, quick, "the totals of lines remembered, trace {trace}, {workers} workers");
        }
    }
}

/// One `Verdicts` reused from case to case holds exactly what a fresh one
/// would: nothing of the case before is left, reasons included.
#[test]
fn verdicts_reused_from_case_to_case_hold_only_the_case() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let files = testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
    let mut sources = SourceMap::default();
    let cases: Vec<_> = files.iter().map(|f| case::load_file(&program, &mut sources, f).unwrap().0).collect();
    let mut evaluator = eval::Evaluator::new(&program);
    for trace in [false, true] {
        let options = Options { trace };
        let mut reused = eval::Verdicts::empty(cases[0].date);
        for c in cases.iter().chain(cases.iter().rev()) {
            evaluator.verdicts_into(c, options, &mut reused).unwrap();
            assert_eq!(reused, evaluator.verdicts(c, options).unwrap(), "{:?}", c.id);
        }
    }
}

/// The program of a vocabulary and a policy whose 原文件 is `source.txt`,
/// which must check without errors.
fn program_of(vocabulary: &str, policy: &str, source: &str) -> policyc::ir::Program {
    let ws = workspace::load_texts(&[("v.policy", vocabulary), ("p.policy", policy)], &[("source.txt", source)]);
    assert!(
        !ws.has_errors(),
        "{}",
        policyc::diag::render_human(&ws.diagnostics, &ws.sources, policyc::diag::Style::Plain)
    );
    ws.program.unwrap()
}

fn node_json(n: &case::Node) -> String {
    use case::Node::*;
    match n {
        Null => "null".into(),
        Bool(b) => b.to_string(),
        Num(s) => s.to_string(),
        Str(s) => serde_json::to_string(s).unwrap(),
        Seq(items) => format!("[{}]", items.iter().map(node_json).collect::<Vec<_>>().join(",")),
        Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), node_json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[test]
fn a_bad_line_is_reported_with_its_number_and_skipped() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let good = r#"{"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人","脱贫人口":true,"参加培训天数":2}}"#;
    let input = format!("{good}\n{{\"日期\": \"2023-02-30\"\n\n{good}\nnot json\n");
    let mut out = Vec::new();
    let summary = batch::run(&program, input.as_bytes(), Some(&mut out), 2, Options::default(), &|_| {}).unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(lines.len(), 4, "one output line per non-blank input line");
    assert!(lines[1].contains("\"行\":2"), "{}", lines[1]);
    assert!(lines[3].contains("\"行\":5"), "{}", lines[3]);
    assert_eq!(summary.cases, 2);
    assert_eq!(summary.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 5]);
    // Two people, 2 days × 50元 each.
    assert_eq!(summary.total, rust_decimal::Decimal::from(200));
    assert_eq!(summary.by_funding.len(), 1);
}

#[test]
fn summary_only_gives_the_same_totals() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let good = r#"{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{"类型":"单位","单位性质":"企业","吸纳人员":[{"脱贫人口":true,"劳动合同月数":12,"参加社会保险":true}]}}"#;
    let person = r#"{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{"类型":"个人","脱贫人口":true,"参加培训天数":3}}"#;
    let input = format!("{good}\n{person}\n{good}\n");
    let mut out = Vec::new();
    let full = batch::run(&program, input.as_bytes(), Some(&mut out), 1, Options::default(), &|_| {}).unwrap();
    let quick = batch::run(&program, input.as_bytes(), None, 2, Options::default(), &|_| {}).unwrap();
    assert_eq!(full, quick);
    assert_eq!(full.total, rust_decimal::Decimal::from(2000));
}

/// The ordinary reading of one JSON line.
fn ordinary(program: &policyc::ir::Program, line: &str) -> Option<policyc::ir::Case> {
    let node = case::parse_json_line(line).ok()?;
    case::validate(program, &node, (policyc::diag::FileId(0), "输入"), line).ok()
}

#[test]
fn the_fast_reader_gives_the_ordinary_case_or_none() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let reader = case::Reader::new(&program);
    let files = testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
    let mut sources = SourceMap::default();
    let mut plain = 0;
    for f in &files {
        let (c, node) = case::load_file(&program, &mut sources, f).unwrap();
        let line = node_json(&node);
        if let Some(fast) = reader.read(&line) {
            assert_eq!(fast, c, "{}", f.display());
            plain += 1;
        }
    }
    // Every shipped case is plain JSON once written as a line.
    assert_eq!(plain, files.len());

    let person = r#""类型":"个人","脱贫人口":true,"就业地":"省外","参加培训天数":10"#;
    let line = |subject: &str| {
        format!(r#"{{"编号":"P1","日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":{{{subject}}}}}"#)
    };
    // Lines the fast reader must take, giving the ordinary case.
    for subject in [
        person.to_string(),
        format!("{person},\"首次创业\":\"是\""),
        r#""类型":"单位","单位性质":"企业","吸纳人员":null"#.to_string(),
        r#""类型":"单位","单位性质":"企业","吸纳人员":[{"脱贫人口":true,"劳动合同月数":12},{}]"#.to_string(),
        // Members of one shape but for a key of the same length, or for a
        // null, which is part of the text between values.
        r#""类型":"单位","吸纳人员":[{"劳动合同月数":12,"参加社会保险":true},{"稳定就业月数":12,"参加社会保险":true}]"#
            .to_string(),
        r#""类型":"单位","吸纳人员":[{"脱贫人口":null,"劳动合同月数":6},{"脱贫人口":null,"劳动合同月数":7},{"脱贫人口":true,"劳动合同月数":8}]"#
            .to_string(),
        // White space after a member's `}` that the one before had not.
        r#""类型":"单位","吸纳人员":[{"脱贫人口":true},{"脱贫人口":false} ,{"脱贫人口":true}  ]"#.to_string(),
        r#""类型":"个人","享受记录":[{"项目":"一次性 求职创业补贴","日期":"2023-01-02"}]"#.to_string(),
        // Past claims of one shape: each 项目 folded, each date read.
        r#""类型":"个人","享受记录":[{"项目":"交通补助","日期":"2023-01-02"},{"项目":"一次性 求职创业补贴","日期":"2022-03-04"},{"项目":"交通 补助","日期":"2021-12-31"}]"#.to_string(),
    ] {
        let text = line(&subject);
        let fast = reader.read(&text).unwrap_or_else(|| panic!("not taken: {text}"));
        assert_eq!(Some(fast), ordinary(&program, &text), "{text}");
    }
    // White space wherever JSON allows it within a line, and inside
    // strings, where it is the string's own.
    let spaced = " \t{ \"编号\" : \" P 1 \" ,\r\"日期\":\"2023-05-10\" , \"文件\" : [ \"攀人社发〔2022〕143号\" ] ,\r \"主体\" : { \"类型\" : \"单位\" , \"吸纳人员\" : [ { \"脱贫人口\" : true , \"劳动合同月数\" : 12 } , { } ] , \"民营\" : false } , \"期望\" : { \"a\" : [ 1 , null ] } }\r ";
    let fast = reader.read(spaced).unwrap_or_else(|| panic!("not taken: {spaced}"));
    assert_eq!(fast.id.as_deref(), Some(" P 1 "));
    assert_eq!(Some(fast), ordinary(&program, spaced));
    // A line end is where a line ends, not white space: a case over two
    // lines is not taken, and the first line of a text is read alone.
    let two = spaced.replacen(",\r", ",\n", 1);
    assert_eq!(reader.read(&two), None, "{two}");
    let first = format!("{spaced}\n{}", line(person));
    let (case, end) = reader.read_first_line(first.as_bytes(), &mut case::Spare::default()).unwrap();
    assert_eq!((Some(case), end), (ordinary(&program, spaced), spaced.len()));
    // Lines it must leave to the ordinary reader: escapes, fractions,
    // negative numbers, duplicate keys, unknown fields, folded ids, trailing text.
    for text in [
        line(r#""类型":"个人","享受记录":[{"项目":"\u4e00次性求职创业补贴","日期":"2023-01-02"}]"#),
        line(r#""类型":"个人","参加培训天数":10.0"#),
        line(r#""类型":"个人","参加培训天数":-1"#),
        line(r#""类型":"个人","类型":"个人""#),
        line(r#""类型":"个人","不存在":1"#),
        r#"{"日期":"2023-05-10","文件":"攀人社发[2022]143号","主体":{"类型":"个人"}}"#.to_string(),
        r#"{"日期":"2023-05-10","文件":[],"主体":{"类型":"个人"}}"#.to_string(),
        r#"{"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人"},"期望":{"a":1,"a":2}}"#.to_string(),
        format!("{} x", line(person)),
        // Nesting past what the ordinary reader allows, counted the same way.
        format!(
            r#"{{"日期":"2023-05-10","文件":"县实施办法","主体":{{"类型":"个人"}},"期望":{}1{}}}"#,
            "[".repeat(32),
            "]".repeat(32)
        ),
        r#"{"编号":"A[1]","日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人"}}"#.to_string(),
    ] {
        assert_eq!(reader.read(&text), None, "{text}");
    }
    // Just within the nesting limit, both readers take it.
    let deep = format!(
        r#"{{"日期":"2023-05-10","文件":"县实施办法","主体":{{"类型":"个人"}},"期望":{}1{}}}"#,
        "[".repeat(31),
        "]".repeat(31)
    );
    assert!(ordinary(&program, &deep).is_some());
    assert_eq!(reader.read(&deep), ordinary(&program, &deep));
}

/// A subject record and member records handed back to the fast reader and
/// reused for the next line keep nothing of their line: every shipped
/// case, members with other fields given, and lines that fail part way
/// through their subject or a member, read through one `Spare` in turn,
/// give what a fresh reading gives.
#[test]
fn a_reused_record_keeps_nothing_of_the_line_before() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let reader = case::Reader::new(&program);
    let files = testing::case_files(&[PathBuf::from("tests/cases")]).unwrap();
    let mut sources = SourceMap::default();
    let mut lines: Vec<String> =
        files.iter().map(|f| node_json(&case::load_file(&program, &mut sources, f).unwrap().1)).collect();
    let head = r#"{"日期":"2023-05-10","文件":["攀人社发〔2022〕143号"],"主体":"#;
    for subject in [
        r#"{"类型":"单位","单位性质":"企业","吸纳人员":[{"脱贫人口":true}],"不存在":1}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true,"劳动合同月数":24,"参加社会保险":true},{}]}"#,
        r#"{"类型":"单位","吸纳人员":[{},{"参加社会保险":false},{"脱贫人口":false}]}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true},{"脱贫人口":true,"不存在":1}]}"#,
        r#"{"类型":"单位","吸纳人员":null}"#,
        // A record whose list the line before gave as null, without one.
        r#"{"类型":"单位","单位性质":"企业"}"#,
        // Members read by the shape of the one before them, or not: the
        // next line's members reuse these records, and only the shape that
        // wrote one may write it again without putting it back first.
        r#"{"类型":"单位","吸纳人员":[{"劳动合同月数":7},{"脱贫人口":true},{"脱贫人口":false}]}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true},{"脱贫人口":false},{"脱贫人口":true}]}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true},{"劳动合同月数":7,"参加社会保险":true},{"脱贫人口":null}]}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true },{"脱贫人口":true},{ "脱贫人口":true},{"脱贫人口":"是"}]}"#,
        // A list shorter than the records kept (the rest stay as spares),
        // then one longer than all of them.
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":false}]}"#,
        r#"{"类型":"单位","吸纳人员":[{"脱贫人口":true},{"脱贫人口":true},{"脱贫人口":true},{"脱贫人口":false},{"脱贫人口":true},{"脱贫人口":true}]}"#,
        r#"{"类型":"个人","脱贫人口":true,"就业地":"省外","参加培训天数":-1}"#,
        r#"{"类型":"个人","首次创业":true,"首次创业":true}"#,
    ] {
        lines.push(format!("{head}{subject}}}"));
    }
    let mut spare = case::Spare::default();
    for line in lines.iter().chain(lines.iter().rev()).chain(lines.iter()) {
        let reused = reader.read_reusing(line.as_bytes(), &mut spare);
        assert_eq!(reused, reader.read(line), "{line}");
        if let Some(c) = reused {
            reader.recycle(c, &mut spare);
        }
    }
    // Two cases out at once, the second handed back first: the record kept
    // for the next line is then not the one last filled.
    for pair in lines.windows(2) {
        let cases: Vec<_> = pair.iter().filter_map(|line| reader.read_reusing(line.as_bytes(), &mut spare)).collect();
        for c in cases.into_iter().rev() {
            reader.recycle(c, &mut spare);
        }
        // The other line next, into the record the first one filled.
        for line in pair.iter().rev() {
            let reused = reader.read_reusing(line.as_bytes(), &mut spare);
            assert_eq!(reused, reader.read(line), "{line}");
            if let Some(c) = reused {
                reader.recycle(c, &mut spare);
            }
        }
    }
}

#[test]
fn line_endings_blank_lines_and_bad_bytes() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let good = r#"{"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人","脱贫人口":true,"参加培训天数":2}}"#;
    let mut input = format!("{good}\r\n").into_bytes();
    input.extend_from_slice(b"{\"\xff\xfe\"}\n   \n\t\n");
    input.extend_from_slice(good.as_bytes());
    let mut out = Vec::new();
    let summary = batch::run(&program, input.as_slice(), Some(&mut out), 1, Options::default(), &|_| {}).unwrap();
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].contains("\"行\":2") && lines[1].contains("UTF-8"), "{}", lines[1]);
    assert!(lines[2].contains("\"合计\":\"100\""), "the last line, without a line ending, is read: {}", lines[2]);
    assert_eq!(summary.cases, 2);
    assert_eq!(summary.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2]);
}

/// Many more chunks than the workers hold at a time, some far slower than
/// others (so that they finish out of order): order and line numbers hold,
/// each bad line is told in its place, and progress reaches every line.
#[test]
fn lines_across_chunks_keep_their_order_and_numbers() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    // Stretches of slow lines and of quick ones.
    const STRETCH: usize = 512;
    let n = 9 * STRETCH + 5;
    let bad = |i: usize| i % (2 * STRETCH + 1) == 7;
    let members = vec![r#"{"脱贫人口":true,"劳动合同月数":12,"参加社会保险":true}"#; 40].join(",");
    let mut input = String::new();
    for i in 1..=n {
        if bad(i) {
            input.push_str("not json\n");
        } else if (i / STRETCH) % 3 == 1 {
            input.push_str(&format!(
                r#"{{"编号":"L{i}","日期":"2023-05-10","文件":"攀人社发〔2022〕143号","主体":{{"类型":"单位","单位性质":"企业","吸纳人员":[{members}]}}}}"#
            ));
            input.push('\n');
        } else {
            input.push_str(&format!(
                r#"{{"编号":"L{i}","日期":"2023-05-10","文件":"县实施办法","主体":{{"类型":"个人","脱贫人口":true,"参加培训天数":1}}}}"#
            ));
            input.push('\n');
        }
    }
    let path = std::env::temp_dir().join(format!("policyc-order-{}.jsonl", std::process::id()));
    std::fs::write(&path, &input).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut first = None;
    // Read or mapped, in chunks of many lines or few (some 7 slow lines).
    let runs = [1, 2, 3].into_iter().flat_map(|w| [(w, false, 16 << 10), (w, true, 16 << 10)]);
    for (workers, mapped, chunk_bytes) in runs.chain([(2, false, batch::CHUNK_BYTES), (2, true, batch::CHUNK_BYTES)]) {
        let mut out = Vec::new();
        let seen = std::cell::Cell::new(0);
        let progress = |lines: u64| {
            assert!(lines > seen.get());
            seen.set(lines);
        };
        let options = Options::default();
        let summary = if mapped {
            let input = batch::Mapped::new(&file).unwrap().chunk_bytes(chunk_bytes);
            batch::run_chunked(&program, input, Some(&mut out), workers, options, &progress).unwrap()
        } else {
            let input = batch::Input::new(input.as_bytes()).chunk_bytes(chunk_bytes);
            batch::run_chunked(&program, input, Some(&mut out), workers, options, &progress).unwrap()
        };
        let workers = format!("{workers} workers, mapped {mapped}, chunks of {chunk_bytes} bytes");
        assert_eq!(seen.get() as usize, n);
        let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(lines.len(), n);
        for (i, l) in lines.iter().enumerate() {
            let number = i + 1;
            if bad(number) {
                assert!(l.contains(&format!("\"行\":{number}")), "{l}");
            } else {
                assert!(l.starts_with(&format!("{{\"编号\":\"L{number}\"")), "line {number}: {l}");
            }
        }
        let bad_lines: Vec<usize> = (1..=n).filter(|&i| bad(i)).collect();
        assert_eq!(summary.cases as usize, n - bad_lines.len());
        assert_eq!(summary.errors.iter().map(|e| e.line as usize).collect::<Vec<_>>(), bad_lines);
        // The same rulings and summary whatever the number of workers.
        let first = first.get_or_insert_with(|| (out.clone(), summary.clone()));
        assert!(first.0 == out && first.1 == summary, "{workers}");
    }
    std::fs::remove_file(&path).unwrap();
}

/// Input that fails part way (a read error) stops the run with that error,
/// whatever the number of workers, and no worker is left behind.
#[test]
fn a_read_error_stops_the_run() {
    struct Failing<'a>(&'a [u8]);
    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("磁盘坏了"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let line = r#"{"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人"}}"#;
    let input = format!("{line}\n").repeat(2000);
    for workers in [1, 2, 3] {
        let reader = batch::Input::new(std::io::BufReader::new(Failing(input.as_bytes()))).chunk_bytes(4096);
        let mut out = Vec::new();
        let err =
            batch::run_chunked(&program, reader, Some(&mut out), workers, Options::default(), &|_| {}).unwrap_err();
        assert_eq!(err.to_string(), "磁盘坏了");
    }
}

/// Output that fails part way (a write error) stops the run with that
/// error, whatever the number of workers (who write the rulings in turn
/// when there are several), and no worker is left behind.
#[test]
fn a_write_error_stops_the_run() {
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("磁盘满了"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let line = r#"{"日期":"2023-05-10","文件":"县实施办法","主体":{"类型":"个人"}}"#;
    let input = format!("{line}\n").repeat(4000);
    for (workers, room) in [(1, 0), (2, 0), (2, 100_000), (3, 1_000_000)] {
        let mut out = Full(room);
        let reader = batch::Input::new(input.as_bytes()).chunk_bytes(4096);
        let err = batch::run_chunked(&program, reader, Some(&mut out), workers, Options::default(), &|_| {});
        assert_eq!(err.unwrap_err().to_string(), "磁盘满了", "{workers} workers, {room} bytes of room");
    }
}

/// JSON syntax errors are told in Chinese, at a character (not byte) position.
#[test]
fn json_syntax_errors_are_told_in_chinese() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    for (line, words) in [
        (r#"{"主体":"攀" x}"#, "键值对之间应为逗号，末尾应为「}」（本行第 11 个字符处）"),
        (r#"{"日期":"2023-05-10",}"#, "最后一项之后多了逗号"),
        ("not json", "此处应为一个值"),
        (r#"{"a":1} {"b":2}"#, "一个案例之后还有多余的内容"),
    ] {
        let mut out = Vec::new();
        let summary = batch::run(&program, line.as_bytes(), Some(&mut out), 1, Options::default(), &|_| {}).unwrap();
        let message = summary.errors[0].messages.join("");
        assert!(message.starts_with("JSON 语法错误：") && message.contains(words), "{line}: {message}");
        assert!(!message.is_ascii() && !message.contains("expected"), "{message}");
    }
}

/// A subject of more than 64 slots, past what the mask of slots written
/// tells: a reused record is scanned whole, so a slot past the 64th that
/// one line wrote is back at its default for the next.
#[test]
fn a_reused_record_of_many_slots_keeps_nothing_of_the_line_before() {
    let fields: String = (0..70).map(|i| format!("  字段{i}：布尔\n")).collect();
    let vocabulary = format!("词汇 {{\n  类型：枚举 {{ 个人、单位 }}\n  天数：数 天\n{fields}}}\n");
    let policy = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n条款 1「补贴」{\n  原文「每人每天50元」\n  给予 补贴 { 条件 字段69  金额 50元/天 × 天数 }\n}\n";
    let program = program_of(&vocabulary, policy, "1.每人每天50元。\n");
    assert!(program.vocabulary.slot_count > 64);
    let reader = case::Reader::new(&program);
    let line = |subject: &str| format!(r#"{{"日期":"2023-05-10","文件":"测试","主体":{subject}}}"#);
    let lines = [
        line(r#"{"类型":"个人","字段69":true,"天数":3,"字段1":true}"#),
        line(r#"{"类型":"个人","天数":2}"#),
        line(r#"{"类型":"个人","字段69":false}"#),
    ];
    let mut spare = case::Spare::default();
    for l in lines.iter().chain(lines.iter().rev()) {
        let reused = reader.read_reusing(l.as_bytes(), &mut spare);
        assert!(reused.is_some(), "{l}");
        assert_eq!(reused, reader.read(l), "{l}");
        reader.recycle(reused.unwrap(), &mut spare);
    }
}

/// The fast reader is given lines unchecked for UTF-8: it takes none that
/// is not, wherever the bad bytes sit (a text it keeps, a date, what it
/// skips, a member's text read by the shape of the one before), while it
/// takes the same line made good; a batch says which lines are not UTF-8.
#[test]
fn the_fast_reader_takes_no_line_that_is_not_utf8() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let reader = case::Reader::new(&program);
    let subject = |second: &str| {
        format!(
            r#""主体":{{"类型":"个人","享受记录":[{{"项目":"一次性创业补贴","日期":"2022-01-01"}},{{"项目":"{second}","日期":"2022-02-01"}}]}}"#
        )
    };
    let plain = subject("一次性创业补贴");
    // Each with one `BAD`, and what stands there in the good line.
    let lines = [
        (format!(r#"{{"编号":"P1BAD","日期":"2023-05-10","文件":"县实施办法",{plain}}}"#), "甲"),
        (format!(r#"{{"日期":"2023-05-1BAD","文件":"县实施办法",{plain}}}"#), "0"),
        (format!(r#"{{"日期":"2023-05-10","文件":"县实施办法",{plain},"期望":{{"结果":"BAD"}}}}"#), "甲"),
        (format!(r#"{{"日期":"2023-05-10","文件":"县实施办法",{plain},"期望":{{"BAD":1}}}}"#), "甲"),
        (format!(r#"{{"日期":"2023-05-10","文件":"县实施办法",{}}}"#, subject("一次性创业补贴BAD")), "甲"),
    ];
    let mut spare = case::Spare::default();
    let mut input = Vec::new();
    for (line, good) in &lines {
        let good = line.replace("BAD", good);
        assert!(reader.read_reusing(good.as_bytes(), &mut spare).is_some(), "{good}");
        // Half a character: the first two of 甲's three bytes.
        let (before, after) = line.split_once("BAD").unwrap();
        let bad = [before.as_bytes(), &"甲".as_bytes()[..2], after.as_bytes()].concat();
        assert!(reader.read_reusing(&bad, &mut spare).is_none(), "{}", String::from_utf8_lossy(&bad));
        input.extend_from_slice(&bad);
        input.push(b'\n');
    }
    let mut out = Vec::new();
    let summary = batch::run(&program, input.as_slice(), Some(&mut out), 1, Options::default(), &|_| {}).unwrap();
    assert_eq!(summary.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert!(summary.errors.iter().all(|e| e.messages == ["不是 UTF-8 编码"]), "{:?}", summary.errors);
}

/// A condition and a status that count a list outside a definition: a
/// line is remembered by the count, so enterprises of one 人数 whose
/// members count differently get lines of their own, each what `eval`
/// gives, however often they come round.
#[test]
fn a_list_counted_outside_a_definition_keys_the_lines() {
    let vocabulary = "词汇 {\n  人数：数 人\n  成员：列表 人 { 合格：布尔 }\n}\n";
    let policy = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n\
条款 1「补贴」{\n  原文「吸纳2人以上的按每人1000元给予补贴，3人以上的认定为多人」\n  认定 多人 当 (计数 成员 其中 合格) >= 3人\n  \
给予 补贴 { 条件 (计数 成员 其中 合格) >= 2人  金额 1000元/人 × 人数 }\n}\n";
    let program = program_of(vocabulary, policy, "1.吸纳2人以上的按每人1000元给予补贴，3人以上的认定为多人。\n");
    let members = |flags: &[bool]| flags.iter().map(|f| format!(r#"{{"合格":{f}}}"#)).collect::<Vec<_>>().join(",");
    let line = |id: usize, flags: &[bool]| {
        let list = members(flags);
        format!(r#"{{"编号":"E{id}","日期":"2023-05-10","文件":"测试","主体":{{"人数":4,"成员":[{list}]}}}}"#)
    };
    let lists: [&[bool]; 4] = [&[true, false, false], &[true, true, false], &[false, true, true], &[true, true, true]];
    let lines: Vec<String> = (0..12).map(|i| line(i, lists[i % 4])).collect();
    let reader = case::Reader::new(&program);
    let expected: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::to_string(&eval::evaluate(&program, &reader.read(l).unwrap(), Options::default()).unwrap())
                .unwrap()
        })
        .collect();
    // 1 qualifying: refused; 2: granted 4 000元; 3: granted, and 多人.
    assert!(expected[0].contains(r#""结果":"不予""#), "{}", expected[0]);
    assert!(expected[1].contains(r#""金额":"4000""#) && !expected[1].contains("多人"), "{}", expected[1]);
    assert!(expected[3].contains("多人"), "{}", expected[3]);
    let input = lines.join("\n");
    for workers in [1, 2] {
        let mut out = Vec::new();
        batch::run(&program, input.as_bytes(), Some(&mut out), workers, Options::default(), &|_| {}).unwrap();
        let got: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(got, expected, "{workers} workers");
    }
}

/// Totals that go past what a decimal holds are named as overflowed, and
/// the table says so, instead of printing the largest decimal as a sum;
/// one worker or two, rulings written or not.
#[test]
fn a_total_that_overflows_is_named_not_printed_as_true() {
    let vocabulary = "词汇 {\n  类型：枚举 { 个人、单位 }\n  人数：数 人\n}\n";
    let policy = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n条款 1「补贴」{\n  原文「按每人1000元给予补贴」\n  给予 补贴 { 金额 1000元/人 × 人数 }\n}\n";
    let program = program_of(vocabulary, policy, "1.按每人1000元给予补贴。\n");
    // 4×10^25 persons give 4×10^28 元 each, which fits; three do not.
    let line = r#"{"日期":"2023-05-10","文件":"测试","主体":{"类型":"个人","人数":40000000000000000000000000}}"#;
    let lines = format!("{line}\n{line}\n{line}\n");
    for workers in [1, 2] {
        for write in [false, true] {
            let mut out = Vec::new();
            let output: Option<&mut (dyn std::io::Write + Send)> = if write { Some(&mut out) } else { None };
            let summary = batch::run(&program, lines.as_bytes(), output, workers, Options::default(), &|_| {}).unwrap();
            assert_eq!(summary.cases, 3);
            assert!(summary.errors.is_empty());
            assert_eq!(summary.overflows[0], "合计");
            assert!(
                summary.overflows.contains(&"按项目 测试 条款 1「补贴」 的给予金额".to_string()),
                "{:?}",
                summary.overflows
            );
            let table = batch::summary_table(&summary);
            assert!(table.starts_with("案例 3 个，合计给予 溢出；"), "{table}");
            assert!(!table.contains("79228162514264337593543950335"), "{table}");
            let json = serde_json::to_value(&summary).unwrap();
            assert_eq!(json["溢出"][0], "合计");
        }
    }
    // One alone fits.
    let summary = batch::run(&program, format!("{line}\n").as_bytes(), None, 1, Options::default(), &|_| {}).unwrap();
    assert!(summary.overflows.is_empty());
    assert_eq!(summary.total.to_string(), "40000000000000000000000000000");
}

/// Numbers in JSON are read as written, never through a double: the
/// largest decimal is echoed unchanged, and 0.1 stays 0.1.
#[test]
fn json_numbers_are_read_exactly() {
    let vocabulary = "词汇 {\n  类型：枚举 { 个人、单位 }\n  人数：数 人\n  月数：数 月\n}\n";
    let policy = "文件「测试」{\n  原文件「source.txt」\n  施行 自2021年1月1日 至2025年12月31日\n}\n条款 1「补贴」{\n  原文「按每人每月1000元给予补贴」\n  给予 补贴 { 条件 人数 >= 1人  金额 1000元/人/月 × 1人 × 月数 }\n}\n";
    let program = program_of(vocabulary, policy, "1.按每人每月1000元给予补贴。\n");
    let max = "79228162514264337593543950335";
    let lines = format!(
        "{{\"编号\":{max},\"日期\":\"2023-05-10\",\"文件\":\"测试\",\"主体\":{{\"类型\":\"个人\",\"人数\":{max},\"月数\":0.1}}}}\n"
    );
    let mut out = Vec::new();
    let summary = batch::run(&program, lines.as_bytes(), Some(&mut out), 1, Options::default(), &|_| {}).unwrap();
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    let ruling: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(ruling["编号"], max);
    // 1000 × 0.1 = 100, exactly.
    assert_eq!(ruling["合计"], "100");
    let reasons = ruling["裁定"][0]["理由"].to_string();
    assert!(reasons.contains(&format!("人数 = {max}人")), "{reasons}");

    // A case file of several lines says on which line JSON goes wrong.
    let mut sources = policyc::diag::SourceMap::default();
    let file = sources.add("案例.json", "{\n  \"日期\": \"2023-05-10\",\n  \"文件\": \"测试\" x\n}\n");
    let diags = case::load(&program, &sources, file, case::Format::Json).unwrap_err();
    assert!(diags[0].message.contains("（第 3 行第 14 个字符处）"), "{}", diags[0].message);
}

/// A case too large is refused with a message, not read into ten times its
/// size: a line over the size limit unread, a list over the member limit
/// by either reader; the lines around it are answered.
#[test]
fn a_case_too_large_is_refused_and_the_others_answered() {
    let program = workspace::load(&[PathBuf::from("policies")]).program.unwrap();
    let person = r#"{"日期":"2023-05-10","文件":"攀人社发〔2022〕143号","主体":{"类型":"个人"}}"#;
    let member = r#"{"脱贫人口":true,"劳动合同月数":12,"参加社会保险":true},"#;
    let members = |n: usize| member.repeat(n).trim_end_matches(',').to_string();
    let enterprise = |n: usize| {
        format!(
            r#"{{"日期":"2023-05-10","文件":"攀人社发〔2022〕143号","主体":{{"类型":"单位","单位性质":"企业","吸纳人员":[{}]}}}}"#,
            members(n)
        )
    };
    let padding = " ".repeat(case::MAX_CASE_BYTES);
    let huge = format!(r#"{{"日期":"2023-05-10",{padding}"文件":"攀人社发〔2022〕143号","主体":{{"类型":"个人"}}}}"#);
    let lines = [
        person.to_string(),
        enterprise(case::MAX_MEMBERS + 1),
        huge,
        enterprise(case::MAX_MEMBERS),
        person.to_string(),
    ];
    let input = lines.join("\n");
    for workers in [1, 2] {
        let mut out = Vec::new();
        let summary =
            batch::run(&program, input.as_bytes(), Some(&mut out), workers, Options::default(), &|_| {}).unwrap();
        assert_eq!(summary.cases, 3, "{:?}", summary.errors);
        let errors: Vec<(u64, String)> = summary.errors.iter().map(|e| (e.line, e.messages.join(""))).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, 2);
        assert!(
            errors[0].1.contains("[P0509] 主体.吸纳人员：有 100001 项，超过一个列表的上限 100000 项"),
            "{errors:?}"
        );
        assert_eq!(errors[1].0, 3);
        assert!(errors[1].1.starts_with("[P0509] 案例过大："), "{errors:?}");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 5);
    }
}
