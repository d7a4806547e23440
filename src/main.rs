//! `policyc`: the command line. Thin glue over the library; the only place
//! that prints.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use policyc::diag::{self, Diagnostic, SourceMap};
use policyc::{case, eval, files, report, testing, workspace};

/// Writes a line to standard output ([`out::stdout`]).
macro_rules! say {
    ($($t:tt)*) => { $crate::out::stdout(&format!("{}\n", format_args!($($t)*))) };
}
/// Writes to standard output as it is, without a line end.
macro_rules! put {
    ($($t:tt)*) => { $crate::out::stdout(&format!($($t)*)) };
}
/// Writes a line to standard error ([`out::stderr`]).
macro_rules! tell {
    ($($t:tt)*) => { $crate::out::stderr(&format!("{}\n", format_args!($($t)*))) };
}

/// The one place the commands write through.
mod out {
    use std::io::Write;

    /// Writes to standard output. When the reader has gone (a closed pipe:
    /// `policyc eval … | head -1`) the process ends quietly with status 0,
    /// as there is no one left to tell; any other failure (a full disk)
    /// ends it with status 5 and a message.
    pub fn stdout(text: &str) {
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            stopped_writing(&e);
        }
    }

    /// Ends the process after rulings or messages could not be written
    /// to standard output.
    pub fn stopped_writing(e: &std::io::Error) -> ! {
        policyc::files::remove_unfinished();
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(super::exit::OK));
        }
        stderr(&format!("无法写出结果：{}\n", policyc::files::io_message(e)));
        std::process::exit(i32::from(super::exit::IO));
    }

    /// Writes to standard error. A failure is passed over: the exit
    /// status still says what happened.
    pub fn stderr(text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
    }
}

/// Exit statuses (also listed in README.md).
mod exit {
    pub const OK: u8 = 0;
    /// A policy file has errors, or coverage is incomplete.
    pub const POLICY: u8 = 1;
    /// The command line itself is wrong (clap uses it too).
    pub const USAGE: u8 = 2;
    /// A case file is invalid.
    pub const CASE: u8 = 3;
    /// A test case's rulings differ from its expectations.
    pub const TEST: u8 = 4;
    /// A file could not be read.
    pub const IO: u8 = 5;
}

/// Help laid out with Chinese headings.
const HELP: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";
/// The same for commands, which all take paths or a code.
const COMMAND_HELP: &str =
    "{about-with-newline}\n用法：{usage}\n\n参数：\n{positionals}\n\n选项：\n{options}{after-help}";

#[derive(Parser)]
#[command(
    name = "policyc",
    version,
    help_template = HELP,
    subcommand_help_heading = "命令",
    disable_help_subcommand = true,
    disable_help_flag = true,
    disable_version_flag = true,
    next_help_heading = "选项",
    about = "政策规则语言的检查器与解释器：核对规则与文件原文，按案例作出裁定",
    after_help = "退出码：0 成功；1 规则有错误或覆盖不全；2 命令行用法错误；3 案例文件有错误；4 测试未通过；5 文件无法读取。\n\n\
示例：\n  policyc check policies\n  policyc eval tests/cases/攀枝花/攀-01-企业吸纳25人.yaml --format json\n  policyc coverage policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// 显示帮助
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,
    /// 显示版本
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ErrorFormat {
    /// 带源码片段的可读格式
    Human,
    /// JSON 数组：代码、信息、帮助、文件、字节位置、行列
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// 中文表格
    Table,
    /// docs/cases.md 约定的 JSON
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum TestFormat {
    /// 中文报告
    Human,
    /// JUnit XML，供 CI 使用
    Junit,
}

#[derive(Subcommand)]
enum Command {
    /// 检查规则文件：语法、名称、类型与单位、原文引用、条款编号、有效期
    #[command(help_template = COMMAND_HELP)]
    Check {
        /// 规则文件或目录（默认 policies）
        #[arg(value_name = "路径")]
        paths: Vec<PathBuf>,
        /// 诊断信息的格式
        #[arg(long, value_enum, default_value = "human", value_name = "格式")]
        error_format: ErrorFormat,
    },
    /// 按案例文件作出裁定
    #[command(help_template = COMMAND_HELP)]
    Eval {
        /// 案例文件（.yaml/.yml 或 .json）
        #[arg(value_name = "案例")]
        case: PathBuf,
        /// 规则目录
        #[arg(long, default_value = "policies", value_name = "目录")]
        policies: PathBuf,
        /// 输出格式
        #[arg(long, value_enum, default_value = "table", value_name = "格式")]
        format: OutputFormat,
        /// 在每项裁定中列出求值过程：每个条件及其取值、每个定义、适用的限额
        #[arg(long)]
        trace: bool,
        /// 诊断信息的格式
        #[arg(long, value_enum, default_value = "human", value_name = "格式")]
        error_format: ErrorFormat,
    },
    /// 运行带「期望」的案例文件，比较裁定；最后一行为「N passed, M failed」
    #[command(help_template = COMMAND_HELP)]
    Test {
        /// 案例文件或目录（默认 tests/cases）
        #[arg(value_name = "路径")]
        paths: Vec<PathBuf>,
        /// 规则目录
        #[arg(long, default_value = "policies", value_name = "目录")]
        policies: PathBuf,
        /// 报告格式
        #[arg(long, value_enum, default_value = "human", value_name = "格式")]
        format: TestFormat,
        /// 诊断信息的格式
        #[arg(long, value_enum, default_value = "human", value_name = "格式")]
        error_format: ErrorFormat,
    },
    /// 把规则文件整理为统一的格式（保留注释，不改变含义）
    #[command(help_template = COMMAND_HELP)]
    Fmt {
        /// 规则文件或目录（默认 policies）
        #[arg(value_name = "路径")]
        paths: Vec<PathBuf>,
        /// 只检查：有文件需要整理时列出它们，退出码为 1，不改写文件
        #[arg(long)]
        check: bool,
    },
    /// 批量裁定 JSON Lines 中的案例，并按文件、条款、项目和资金来源合计
    ///
    /// 输入每行一个案例（- 表示标准输入），每行输出一个裁定 JSON，顺序与输入一致；
    /// 无法裁定的行输出 {"行":…,"错误":[…]} 并计入错误。合计写到标准错误（有 --output 时写到标准输出）。
    #[command(help_template = COMMAND_HELP)]
    Batch {
        /// 输入文件（JSON Lines），或 - 表示标准输入。文件按内存映射读取，运行期间不要截断或改写它；仍在写入的输入请经标准输入传入
        #[arg(value_name = "输入")]
        input: PathBuf,
        /// 输出文件（默认标准输出）：先写到同目录的临时文件，完成后才改名为该文件，中断时删除；不能是输入文件本身
        #[arg(long, short, value_name = "输出")]
        output: Option<PathBuf>,
        /// 规则目录
        #[arg(long, default_value = "policies", value_name = "目录")]
        policies: PathBuf,
        /// 合计的格式（写到标准错误；--output 时写到标准输出）
        #[arg(long, value_enum, default_value = "table", value_name = "格式")]
        summary_format: OutputFormat,
        /// 并行的线程数（默认为全部核心，最多为核心数的 4 倍）
        #[arg(long, value_name = "线程数")]
        jobs: Option<usize>,
        /// 只给出合计，不输出逐案裁定（不生成理由，最快）
        #[arg(long, conflicts_with = "output")]
        summary_only: bool,
    },
    /// 解释诊断代码：含义、错误与正确的写法（不带参数时列出全部代码）
    #[command(help_template = COMMAND_HELP)]
    Explain {
        /// 诊断代码，例如 P0301
        #[arg(value_name = "代码")]
        code: Option<String>,
    },
    /// 各文件条款的覆盖情况：已编码、指导性、未处理；有未处理条款时退出码为 1
    #[command(help_template = COMMAND_HELP)]
    Coverage {
        /// 规则文件或目录（默认 policies）
        #[arg(value_name = "路径")]
        paths: Vec<PathBuf>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "table", value_name = "格式")]
        format: OutputFormat,
    },
}

fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap, format: ErrorFormat) {
    if diags.is_empty() {
        return;
    }
    let text = match format {
        ErrorFormat::Json => diag::render_json(diags, sources),
        ErrorFormat::Human => {
            let style = if std::io::stderr().is_terminal() { diag::Style::Colour } else { diag::Style::Plain };
            diag::render_human(diags, sources, style)
        }
    };
    tell!("{text}");
}

/// The checked program of a policies directory, or the exit after printing
/// why there is none.
fn load_program(policies: PathBuf, format: ErrorFormat) -> Result<(policyc::ir::Program, SourceMap), ExitCode> {
    let mut ws = workspace::load(&[policies]);
    match ws.program.take() {
        Some(program) => Ok((program, ws.sources)),
        None => {
            print_diagnostics(&ws.diagnostics, &ws.sources, format);
            tell!("规则有错误，无法裁定");
            Err(ExitCode::from(failed_status(&ws.diagnostics)))
        }
    }
}

/// `batch --jobs` is bounded to this many threads per core.
const MAX_JOBS_PER_CORE: usize = 4;

/// A batch's input file: mapped when it is a regular file, else read as
/// a stream (a pipe such as `<(…)`, a device).
enum Input {
    Mapped(std::fs::File),
    Stream(std::fs::File),
}

/// Opens a batch's input, refusing a directory, and refusing to run when
/// the output would overwrite it.
fn open_input(input: &std::path::Path, output: Option<&std::path::Path>) -> Result<Input, (String, u8)> {
    let unreadable = |e: std::io::Error| (format!("无法读取 {}：{}", input.display(), files::io_message(&e)), exit::IO);
    let meta = std::fs::metadata(input).map_err(unreadable)?;
    if meta.is_dir() {
        return Err((format!("{} 是目录；输入应为 JSON Lines 文件，或 - 表示标准输入", input.display()), exit::IO));
    }
    if let Some(out) = output.filter(|out| meta.is_file() && files::same_file(input, out)) {
        let message =
            format!("输出 {} 与输入 {} 是同一个文件：写出会毁掉输入；请换一个输出文件", out.display(), input.display());
        return Err((message, exit::USAGE));
    }
    let file = std::fs::File::open(input).map_err(unreadable)?;
    Ok(if meta.is_file() { Input::Mapped(file) } else { Input::Stream(file) })
}

/// Marks a failure to write the rulings, so that it is told apart from a
/// failure to read the input.
#[derive(Debug)]
struct WriteFailed;

impl std::fmt::Display for WriteFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("无法写出裁定")
    }
}

impl std::error::Error for WriteFailed {}

/// A writer whose errors are marked [`WriteFailed`].
struct Written<W>(W);

impl<W: std::io::Write> std::io::Write for Written<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(write_failed)
    }
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        self.0.write_vectored(bufs).map_err(write_failed)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(write_failed)
    }
}

fn write_failed(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), WriteFailed)
}

/// The exit status of rules that did not check: 5 when a file could not
/// be read, else 1.
fn failed_status(diagnostics: &[Diagnostic]) -> u8 {
    if diagnostics.iter().any(|d| d.code == "P0005") {
        exit::IO
    } else {
        exit::POLICY
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        paths
    }
}

/// The commands run on a thread of [`policyc::THREAD_STACK`], as policyc's
/// helper threads do, so that the stack does not depend on what the
/// platform gives the main thread (1 MiB on Windows).
fn main() -> ExitCode {
    signals::install();
    match std::thread::Builder::new().name("policyc".into()).stack_size(policyc::THREAD_STACK).spawn(run) {
        Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        Err(_) => run(),
    }
}

fn run() -> ExitCode {
    let cli = match usage::words(Cli::command()).try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return usage::report(&e),
    };
    ExitCode::from(match cli.command {
        Command::Check { paths, error_format } => {
            let ws = workspace::load(&default_paths(paths));
            print_diagnostics(&ws.diagnostics, &ws.sources, error_format);
            if ws.has_errors() {
                let n = ws.diagnostics.iter().filter(|d| d.is_error()).count();
                tell!("检查未通过：{n} 个错误");
                failed_status(&ws.diagnostics)
            } else {
                let docs = ws.program.as_ref().map_or(0, |p| p.documents.len());
                say!("检查通过：{docs} 份文件");
                exit::OK
            }
        }
        Command::Test { paths, policies, format, error_format } => {
            let (program, mut sources) = match load_program(policies, error_format) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let paths = if paths.is_empty() { vec![PathBuf::from("tests/cases")] } else { paths };
            let files = match testing::case_files(&paths) {
                Ok(f) => f,
                Err(e) => {
                    tell!("无法读取案例：{e}");
                    return ExitCode::from(exit::IO);
                }
            };
            let results: Vec<testing::CaseResult> =
                files.iter().map(|f| testing::run_file(&program, &mut sources, f)).collect();
            let failed = results
                .iter()
                .filter(|r| matches!(r.outcome, testing::CaseOutcome::Failed(_) | testing::CaseOutcome::Error(_)))
                .count();
            match format {
                TestFormat::Junit => put!("{}", testing::junit(&results)),
                TestFormat::Human => {
                    for r in &results {
                        let name = r.id.as_ref().map_or(r.file.clone(), |id| format!("{id}（{}）", r.file));
                        match &r.outcome {
                            testing::CaseOutcome::Passed => say!("通过  {name}"),
                            testing::CaseOutcome::NoExpectations => say!("通过  {name}（无期望，仅求值）"),
                            testing::CaseOutcome::Failed(diffs) => {
                                say!("失败  {name}");
                                for d in diffs {
                                    say!("      - {d}");
                                }
                            }
                            testing::CaseOutcome::Error(e) => {
                                say!("错误  {name}");
                                for line in e.lines() {
                                    say!("      {line}");
                                }
                            }
                        }
                    }
                    say!("{} passed, {failed} failed", results.len() - failed);
                }
            }
            if failed > 0 {
                exit::TEST
            } else {
                exit::OK
            }
        }
        Command::Fmt { paths, check } => {
            let files = match workspace::policy_files(&default_paths(paths)) {
                Ok(f) => f,
                Err(d) => {
                    print_diagnostics(&[d], &SourceMap::default(), ErrorFormat::Human);
                    return ExitCode::from(exit::IO);
                }
            };
            let mut sources = SourceMap::default();
            let mut unformatted = 0;
            for path in files {
                let text = match workspace::read_text(&path) {
                    Ok(t) => t,
                    Err(d) => {
                        print_diagnostics(&[d], &sources, ErrorFormat::Human);
                        return ExitCode::from(exit::IO);
                    }
                };
                let id = sources.add(path.display().to_string(), text);
                let module = match policyc::syntax::parse(id, sources.text(id)) {
                    Ok(m) => m,
                    Err(diags) => {
                        print_diagnostics(&diags, &sources, ErrorFormat::Human);
                        return ExitCode::from(exit::POLICY);
                    }
                };
                let formatted = policyc::format::format(sources.text(id), &module);
                if formatted == sources.text(id) {
                    continue;
                }
                unformatted += 1;
                if check {
                    say!("需要整理：{}", path.display());
                } else if let Err(e) = files::write_whole(&path, formatted.as_bytes()) {
                    tell!("无法写入 {}：{}", path.display(), files::io_message(&e));
                    return ExitCode::from(exit::IO);
                } else {
                    say!("已整理：{}", path.display());
                }
            }
            if check && unformatted > 0 {
                exit::POLICY
            } else {
                exit::OK
            }
        }
        Command::Batch { input, output, policies, summary_format, jobs, summary_only } => {
            let (program, _) = match load_program(policies, ErrorFormat::Human) {
                Ok(x) => x,
                Err(code) => return code,
            };
            // A regular file is mapped into memory; standard input, a pipe
            // or a device is read straight into the batch's chunks.
            let file = if input.as_os_str() == "-" {
                None
            } else {
                match open_input(&input, output.as_deref()) {
                    Ok(f) => Some(f),
                    Err((message, code)) => {
                        tell!("{message}");
                        return ExitCode::from(code);
                    }
                }
            };
            let to_file = output.is_some() || summary_only;
            // Written whole or not at all: renamed into place once complete.
            let mut pending = match output.as_deref().map(files::Pending::create).transpose() {
                Ok(p) => p,
                Err(e) => {
                    let path = output.as_deref().unwrap_or(std::path::Path::new("-"));
                    tell!("无法写入 {}：{}", path.display(), files::io_message(&e));
                    return ExitCode::from(exit::IO);
                }
            };
            // Written by the batch's workers, in turn.
            let mut writer: Box<dyn std::io::Write + Send + '_> = match pending.as_mut() {
                Some(p) => Box::new(Written(std::io::BufWriter::with_capacity(1 << 20, p.file()))),
                None => Box::new(Written(std::io::BufWriter::with_capacity(1 << 20, std::io::stdout()))),
            };
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let most = MAX_JOBS_PER_CORE * cores;
            let workers = match jobs {
                Some(n) if n > most => {
                    tell!("--jobs {n} 超过上限（核心数 {cores} 的 {MAX_JOBS_PER_CORE} 倍），按 {most} 个线程运行");
                    most
                }
                Some(n) => n,
                None => cores,
            };
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_message("已裁定");
                bar
            });
            let progress = |n: u64| {
                if let Some(b) = &bar {
                    b.set_position(n);
                    b.set_message(format!("已裁定 {n} 个案例"));
                }
            };
            let options = eval::Options::default();
            let rulings: Option<&mut (dyn std::io::Write + Send)> = if summary_only { None } else { Some(&mut writer) };
            let ran = match &file {
                Some(Input::Mapped(f)) => policyc::batch::run_file(&program, f, rulings, workers, options, &progress),
                Some(Input::Stream(f)) => policyc::batch::run(&program, f, rulings, workers, options, &progress),
                None => policyc::batch::run(&program, std::io::stdin().lock(), rulings, workers, options, &progress),
            };
            drop(writer);
            let summary = match ran {
                Ok(s) => s,
                Err(e) => {
                    drop(pending);
                    if e.get_ref().is_some_and(|inner| inner.is::<WriteFailed>()) {
                        match &output {
                            None => out::stopped_writing(&e),
                            Some(path) => tell!("无法写入 {}：{}", path.display(), files::io_message(&e)),
                        }
                    } else {
                        tell!("批量裁定中止：{}", files::io_message(&e));
                    }
                    return ExitCode::from(exit::IO);
                }
            };
            if let Some(Err(e)) = pending.map(files::Pending::commit) {
                let path = output.as_deref().unwrap_or(std::path::Path::new("-"));
                tell!("无法写入 {}：{}", path.display(), files::io_message(&e));
                return ExitCode::from(exit::IO);
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let text = match summary_format {
                OutputFormat::Table => policyc::batch::summary_table(&summary),
                OutputFormat::Json => serde_json::to_string_pretty(&summary).unwrap_or_default(),
            };
            if to_file {
                say!("{text}");
            } else {
                tell!("{text}");
            }
            if !summary.overflows.is_empty() {
                tell!("合计溢出（超出可表示的范围，不是真实数字）：{}", summary.overflows.join("、"));
            }
            if summary.errors.is_empty() && summary.overflows.is_empty() {
                exit::OK
            } else {
                exit::CASE
            }
        }
        Command::Explain { code: None } => {
            for e in policyc::explain::ALL {
                say!("{}  {}", e.code, e.title);
            }
            exit::OK
        }
        Command::Explain { code: Some(code) } => match policyc::explain::find(&code) {
            Some(e) => {
                put!("{}", policyc::explain::render(e));
                exit::OK
            }
            None => {
                tell!("没有诊断代码「{code}」；policyc explain 列出全部代码");
                exit::USAGE
            }
        },
        Command::Coverage { paths, format } => {
            let ws = workspace::load(&default_paths(paths));
            print_diagnostics(&ws.diagnostics, &ws.sources, ErrorFormat::Human);
            match format {
                OutputFormat::Table => put!("{}", report::coverage_table(&ws.coverage)),
                OutputFormat::Json => say!("{}", report::coverage_json(&ws.coverage)),
            }
            let missing = ws.coverage.iter().any(policyc::check::DocumentCoverage::found_no_clause)
                || ws
                    .coverage
                    .iter()
                    .flat_map(|d| &d.clauses)
                    .any(|c| c.status == policyc::check::CoverageStatus::Missing);
            if ws.has_errors() || missing {
                exit::POLICY
            } else {
                exit::OK
            }
        }
        Command::Eval { case: case_path, policies, format, trace, error_format } => {
            let (program, mut sources) = match load_program(policies, error_format) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let case = match case::load_file(&program, &mut sources, &case_path) {
                Ok((c, _)) => c,
                Err(e) => {
                    print_diagnostics(&e.diagnostics, &sources, error_format);
                    return ExitCode::from(if e.unreadable { exit::IO } else { exit::CASE });
                }
            };
            match eval::evaluate(&program, &case, eval::Options { trace }) {
                Ok(e) => {
                    match format {
                        OutputFormat::Table => put!("{}", report::table(&e)),
                        OutputFormat::Json => say!("{}", report::json(&e)),
                    }
                    exit::OK
                }
                Err(err) => {
                    let d = Diagnostic::error(err.code(), err.to_string()).help(err.help());
                    print_diagnostics(&[d], &sources, error_format);
                    exit::CASE
                }
            }
        }
    })
}

/// What a signal that ends policyc does first: removes the files still
/// being written ([`files::remove_unfinished`]) and says why it stopped.
#[cfg(unix)]
mod signals {
    use signal_hook::consts::{SIGBUS, SIGHUP, SIGINT, SIGTERM};

    const INTERRUPTED: &str = "\npolicyc 被中断：未写完的输出文件已删除\n";
    /// A mapped input cut short while it was read.
    const INPUT_CUT: &str = "policyc：输入文件在读取期间被截断或改写，裁定已中止，未写完的输出文件已删除；\
                             仍在写入的输入请经标准输入（-）传入\n";

    pub fn install() {
        for (signal, message, status) in [
            (SIGINT, INTERRUPTED, 128 + SIGINT),
            (SIGTERM, INTERRUPTED, 128 + SIGTERM),
            (SIGHUP, INTERRUPTED, 128 + SIGHUP),
            (SIGBUS, INPUT_CUT, i32::from(super::exit::IO)),
        ] {
            let stop = move || {
                policyc::files::remove_unfinished();
                // SAFETY: write(2) on a static buffer is async-signal-safe.
                unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
                signal_hook::low_level::exit(status);
            };
            // SAFETY: `stop` makes only async-signal-safe calls (unlink,
            // write, _exit) and takes no lock; it never returns, so a
            // SIGBUS does not run the faulting access again.
            let _ = unsafe { signal_hook::low_level::register(signal, stop) };
        }
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn install() {}
}

/// The command line in Chinese: clap's own words (possible values, defaults,
/// usage errors) replaced.
mod usage {
    use std::process::ExitCode;

    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::{Arg, Command};

    /// Lists each option's possible values and default in its help, in
    /// Chinese, instead of clap's `Possible values:` and `[default: …]`.
    pub fn words(command: Command) -> Command {
        let mut command = command.mut_args(arg_words).subcommand_value_name("命令");
        let usage = command.render_usage().to_string();
        let command = command.override_usage(chinese_usage(&usage));
        let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
        let bin = command.get_name().to_string();
        names.iter().fold(command, |command, name| {
            command.mut_subcommand(name, |sub| words(sub.bin_name(format!("{bin} {name}"))))
        })
    }

    /// A usage line without clap's English: `Usage:` dropped, `[OPTIONS]`
    /// as `[选项]`.
    fn chinese_usage(usage: &str) -> String {
        usage.trim().trim_start_matches("Usage:").trim().replace("[OPTIONS]", "[选项]")
    }

    fn arg_words(arg: Arg) -> Arg {
        if !arg.get_action().takes_values() {
            return arg;
        }
        let mut help = arg.get_long_help().or(arg.get_help()).map(ToString::to_string).unwrap_or_default();
        let values = arg.get_possible_values();
        if !values.is_empty() {
            help.push_str("\n\n可选值：");
            for v in &values {
                help.push_str("\n- ");
                help.push_str(v.get_name());
                if let Some(h) = v.get_help() {
                    help.push('：');
                    help.push_str(&h.to_string());
                }
            }
        }
        let defaults: Vec<String> = arg.get_default_values().iter().map(|d| d.to_string_lossy().into_owned()).collect();
        if !defaults.is_empty() {
            help.push_str("\n\n默认：");
            help.push_str(&defaults.join("、"));
        }
        arg.hide_possible_values(true).hide_default_value(true).long_help(help)
    }

    /// Prints help or version as they are, and a usage error in Chinese
    /// with the usage line; returns the exit status clap gives.
    pub fn report(e: &clap::Error) -> ExitCode {
        let status = u8::try_from(e.exit_code()).unwrap_or(super::exit::USAGE);
        if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) || status == 0 {
            let _ = e.print();
            return ExitCode::from(status);
        }
        tell!("错误：{}", message(e));
        if let Some(usage) = e.get(ContextKind::Usage) {
            tell!("\n用法：{}", chinese_usage(&usage.to_string()));
        }
        tell!("\n运行 policyc --help 或 policyc <命令> --help 查看帮助。");
        ExitCode::from(status)
    }

    fn message(e: &clap::Error) -> String {
        let text = |kind| e.get(kind).map(ContextValue::to_string).unwrap_or_default();
        let list = |kind| match e.get(kind) {
            Some(ContextValue::Strings(v)) => v.join("、"),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let suggestion = |kind| {
            let s = list(kind);
            if s.is_empty() {
                String::new()
            } else {
                format!("（是否想用 {s}？）")
            }
        };
        let arg = text(ContextKind::InvalidArg);
        match e.kind() {
            ErrorKind::InvalidValue if text(ContextKind::InvalidValue).is_empty() => format!("参数 {arg} 需要一个值"),
            ErrorKind::InvalidValue => format!(
                "参数 {arg} 的值「{}」无效；可选值：{}",
                text(ContextKind::InvalidValue),
                list(ContextKind::ValidValue)
            ),
            ErrorKind::ValueValidation => format!("参数 {arg} 的值「{}」无效", text(ContextKind::InvalidValue)),
            ErrorKind::UnknownArgument => format!("无法识别的参数「{arg}」{}", suggestion(ContextKind::SuggestedArg)),
            ErrorKind::InvalidSubcommand => format!(
                "无法识别的命令「{}」{}",
                text(ContextKind::InvalidSubcommand),
                suggestion(ContextKind::SuggestedSubcommand)
            ),
            ErrorKind::ArgumentConflict => {
                format!("参数 {arg} 不能与 {} 同时使用", list(ContextKind::PriorArg))
            }
            ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{}", list(ContextKind::InvalidArg)),
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                "缺少命令".to_string()
            }
            ErrorKind::NoEquals
            | ErrorKind::TooManyValues
            | ErrorKind::TooFewValues
            | ErrorKind::WrongNumberOfValues => {
                format!("参数 {arg} 的取值个数不对")
            }
            _ => "命令行用法有误".to_string(),
        }
    }
}
