//! Reading case files (YAML or JSON) and validating them against the
//! vocabulary. Every problem names the file and the field path
//! (`主体.吸纳人员[3].劳动合同月数`); several are reported at once.

mod fast;
mod node;

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::check::text::fold;
use crate::date::Date;
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use crate::ir::{self, FieldKind, Program, Record, RecordSchema, Ty, Value};
pub use fast::{Reader, Spare};
pub use node::Node;

/// The fields of a 享受记录 entry that name something (the benefit, the
/// document), folded as they are read so that they match the program's
/// names written with other spaces or full-width forms.
pub(crate) const HISTORY_NAMES: [&str; 2] = ["项目", "文件"];

/// The largest case, in bytes of its text: a larger one is refused
/// unread, as reading it would take some ten times its size.
pub const MAX_CASE_BYTES: usize = 16 << 20;

/// The most members one list of a case may have.
pub const MAX_MEMBERS: usize = 100_000;

/// What to do about a case refused for its size or its list's length.
const TOO_LARGE_HELP: &str = "一个案例是一个申请人；名单过长时请分成几个案例";

/// Why a case's text is refused unread, if it is: its size.
pub fn too_large(len: usize) -> Option<String> {
    (len > MAX_CASE_BYTES).then(|| {
        format!("案例过大：{len} 字节，超过单个案例的上限 {MAX_CASE_BYTES} 字节（{} MB）", MAX_CASE_BYTES >> 20)
    })
}

/// The syntax of a case file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// By extension; anything but `.json` is read as YAML (a superset of JSON).
    pub fn of_path(path: &str) -> Format {
        if path.to_lowercase().ends_with(".json") || path.to_lowercase().ends_with(".jsonl") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Decodes bytes as UTF-8 (a BOM is accepted and dropped).
pub fn decode(name: &str, bytes: &[u8]) -> Result<String, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let likely_gbk = bytes.get(at).is_some_and(|b| (0x81..=0xFE).contains(b))
                && bytes.get(at + 1).is_some_and(|b| (0x40..=0xFE).contains(b));
            let guess = if likely_gbk { "，看起来是 GBK 编码" } else { "" };
            Err(Diagnostic::error("P0505", format!("{name} 不是 UTF-8 编码{guess}（第 {at} 字节起无法解码）"))
                .help("请将文件另存为 UTF-8 编码（例如 iconv -f GBK -t UTF-8 原文件 > 新文件）"))
        }
    }
}

/// Why a case file could not be loaded.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    /// The file could not be read at all (as opposed to being invalid).
    pub unreadable: bool,
}

/// Reads, parses and validates a case file; its text is added to
/// `sources` so that diagnostics can show it. Returns the case and the
/// parsed tree (which also holds any `期望`).
pub fn load_file(
    program: &Program,
    sources: &mut SourceMap,
    path: &std::path::Path,
) -> Result<(ir::Case, Node<'static>), LoadError> {
    let name = path.display().to_string();
    let bytes = crate::files::read(path).map_err(|r| LoadError {
        diagnostics: vec![Diagnostic::error("P0005", r.0).help("检查案例文件的路径；案例须是普通文件")],
        unreadable: true,
    })?;
    if let Some(why) = too_large(bytes.len()) {
        let d = Diagnostic::error("P0509", format!("{name}：{why}")).help(TOO_LARGE_HELP);
        return Err(LoadError { diagnostics: vec![d], unreadable: false });
    }
    let text = decode(&name, &bytes).map_err(|d| LoadError { diagnostics: vec![d], unreadable: false })?;
    let file = sources.add(name.clone(), text);
    load(program, sources, file, Format::of_path(&name))
        .map(|(case, node)| (case, node.into_owned()))
        .map_err(|diagnostics| LoadError { diagnostics, unreadable: false })
}

/// Parses and validates one case held in `sources` under `file`.
pub fn load<'s>(
    program: &Program,
    sources: &'s SourceMap,
    file: FileId,
    format: Format,
) -> Result<(ir::Case, Node<'s>), Vec<Diagnostic>> {
    let text = sources.text(file);
    let node = match node::parse(text, format) {
        Ok(n) => n,
        Err((message, offset)) => {
            let mut d = Diagnostic::error("P0507", format!("{} 无法解析：{message}", sources.name(file)))
                .help("案例文件须是 YAML 或 JSON，格式见 docs/cases.md");
            if let Some(at) = offset {
                let width = text.get(at..).and_then(|r| r.chars().next()).map_or(0, char::len_utf8);
                d = d.at(file, Span::new(at, at + width), "此处有误");
            }
            return Err(vec![d]);
        }
    };
    let case = validate(program, &node, (file, sources.name(file)), text)?;
    Ok((case, node))
}

/// Validates a parsed case.
/// Validates a parsed case; `file` is where `text` is held and its name.
pub fn validate(program: &Program, node: &Node, file: (FileId, &str), text: &str) -> Result<ir::Case, Vec<Diagnostic>> {
    let mut v = Validator { program, file: file.0, name: file.1, text, diags: Vec::new() };
    let case = v.case(node);
    match case {
        Some(c) if v.diags.is_empty() => Ok(c),
        _ => Err(v.diags),
    }
}

struct Validator<'a> {
    program: &'a Program,
    file: FileId,
    name: &'a str,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

/// Where a value sits in a case (`主体.吸纳人员[3].劳动合同月数`), written
/// out only when a message needs it.
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    key: &'a str,
    index: Option<usize>,
}

impl Loc<'_> {
    fn show(&self) -> String {
        let mut out = self.parent.map(|p| p.show() + ".").unwrap_or_default();
        out.push_str(self.key);
        if let Some(i) = self.index {
            out.push_str(&format!("[{i}]"));
        }
        out
    }
}

const TOP_FIELDS: [&str; 5] = ["编号", "日期", "文件", "主体", "期望"];

impl Validator<'_> {
    /// Best-effort location of a field in the file: each path segment's key
    /// (followed by a colon) after its parent's, stepping over list members
    /// for an index. `None` where it cannot be found, never a wrong place
    /// on purpose.
    fn locate(&self, path: &str) -> Option<Span> {
        let mut from = 0;
        let mut found = None;
        for seg in path.split('.') {
            let (key, index) = match seg.split_once('[') {
                Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (seg, None),
            };
            let at = find_key(self.text, from, key)?;
            found = Some(Span::new(at, at + key.len()));
            from = at + key.len();
            if let Some(i) = index {
                from = nth_member(self.text, from, i)?;
            }
        }
        found
    }

    /// A problem at a field path; where the field cannot be located in
    /// the text, the message names the file.
    fn error(&mut self, code: &'static str, path: &str, message: String, help: String) {
        let d = match self.locate(path) {
            Some(span) => Diagnostic::error(code, format!("{path}：{message}")).at(self.file, span, message),
            None => Diagnostic::error(code, format!("{}：{path}：{message}", self.name)),
        };
        self.diags.push(d.help(help));
    }

    fn case(&mut self, node: &Node) -> Option<ir::Case> {
        let Node::Map(entries) = node else {
            self.error(
                "P0502",
                "案例",
                "应为键值对（编号、日期、文件、主体）".into(),
                "案例文件的格式见 docs/cases.md".into(),
            );
            return None;
        };
        let mut id = None;
        let mut date = None;
        let mut documents = Vec::new();
        let mut subject = None;
        for (key, value) in entries {
            match &**key {
                "编号" => id = self.text_value(key, value),
                "日期" => date = self.date_value(key, value),
                "文件" => documents = self.documents(value),
                // Expected rulings, read by `policyc test`; not part of the facts.
                "期望" => {}
                "主体" => {
                    let root = Loc { parent: None, key: "主体", index: None };
                    let schema = &self.program.vocabulary.subject;
                    subject = Some(self.record(schema, self.program.vocabulary.slot_count, &root, value, None));
                }
                other => {
                    let help = closest_help(other, TOP_FIELDS.iter().copied());
                    self.error("P0501", other, format!("未知字段「{other}」"), help);
                }
            }
        }
        if let (Some(subject), Some(slot)) = (&subject, self.program.vocabulary.kind_slot()) {
            if matches!(subject.values.get(slot as usize), Some(Value::Missing))
                && !self.diags.iter().any(|d| d.message.starts_with("主体.类型"))
            {
                let kinds = match self.program.vocabulary.subject.field(ir::KIND_FIELD).map(|f| &f.kind) {
                    Some(FieldKind::Scalar { ty: Ty::Enum(e), .. }) => {
                        self.program.vocabulary.enums.get(*e as usize).map(|e| e.values.join(" 或 "))
                    }
                    _ => None,
                };
                self.error(
                    "P0508",
                    "主体",
                    format!("缺少必填字段「{}」", ir::KIND_FIELD),
                    format!("主体须写明类型（{}）：规则按类型决定对谁作出裁定", kinds.unwrap_or_default()),
                );
            }
        }
        for (name, missing) in [("日期", date.is_none()), ("文件", documents.is_empty()), ("主体", subject.is_none())]
        {
            if missing && !self.diags.iter().any(|d| d.message.starts_with(name)) {
                self.diags.push(
                    Diagnostic::error("P0508", format!("{}：缺少必填字段「{name}」", self.name))
                        .help("案例须有 日期（YYYY-MM-DD）、文件（文号或文号列表）和 主体"),
                );
            }
        }
        Some(ir::Case { id, date: date?, documents, subject: subject? })
    }

    fn text_value(&mut self, path: &str, node: &Node) -> Option<String> {
        match node {
            Node::Str(s) | Node::Num(s) => Some(s.to_string()),
            _ => {
                self.error("P0502", path, "应为文字".into(), "例如 编号: 攀-企业-01".into());
                None
            }
        }
    }

    fn date_value(&mut self, path: &str, node: &Node) -> Option<Date> {
        let text = match node {
            Node::Str(s) => &**s,
            _ => {
                self.error("P0504", path, "应为日期".into(), "日期写作 YYYY-MM-DD，例如 2023-05-10".into());
                return None;
            }
        };
        let d = Date::parse_iso(text);
        if d.is_none() {
            self.error(
                "P0504",
                path,
                format!("「{text}」不是有效日期"),
                "日期写作 YYYY-MM-DD，且须是真实存在的日期（没有 2023-02-30）".into(),
            );
        }
        d
    }

    fn documents(&mut self, node: &Node) -> Vec<u32> {
        let items: Vec<(String, &Node)> = match node {
            Node::Seq(items) => items.iter().enumerate().map(|(i, n)| (format!("文件[{i}]"), n)).collect(),
            other => vec![("文件".to_string(), other)],
        };
        let known: Vec<&str> = self.program.documents.iter().map(|d| &*d.id).collect();
        let mut out = Vec::new();
        for (path, n) in items {
            let Node::Str(id) = n else {
                self.error("P0502", &path, "应为文号".into(), format!("可用的文件：{}", known.join("、")));
                continue;
            };
            let folded = fold(id);
            match self.program.documents.iter().position(|d| fold(&d.id) == folded) {
                Some(i) => out.push(i as u32),
                None => {
                    let listing = format!("可用的文件：{}", known.join("、"));
                    let help = crate::check::help_with(id, known.iter().copied(), &listing);
                    self.error("P0506", &path, format!("未知的文件「{id}」"), help);
                }
            }
        }
        out
    }

    fn record(
        &mut self,
        schema: &RecordSchema,
        slot_count: usize,
        loc: &Loc,
        node: &Node,
        list: Option<&ir::ListDecl>,
    ) -> Record {
        let mut rec = Record { values: vec![Value::Missing; slot_count], defaulted: vec![false; slot_count] };
        let Node::Map(entries) = node else {
            self.error("P0502", &loc.show(), "应为键值对".into(), "例如 {脱贫人口: 是, 劳动合同月数: 12}".into());
            return rec;
        };
        self.fill(schema, loc, entries, &mut rec, list);
        fill_defaults(schema, &mut rec);
        rec
    }

    fn fill(
        &mut self,
        schema: &RecordSchema,
        loc: &Loc,
        entries: &[(Cow<'_, str>, Node)],
        rec: &mut Record,
        list: Option<&ir::ListDecl>,
    ) {
        for (key, value) in entries {
            let field_loc = Loc { parent: Some(loc), key, index: None };
            let Some(field) = schema.field(key) else {
                let help = closest_help(key, schema.fields.iter().map(|f| f.name.as_str()));
                self.error("P0501", &field_loc.show(), format!("未知字段「{key}」"), help);
                continue;
            };
            match &field.kind {
                FieldKind::Scalar { slot, ty, .. } => {
                    if matches!(value, Node::Null) {
                        continue;
                    }
                    let is_history_name = list.is_some_and(|l| l.name == "享受记录") && HISTORY_NAMES.contains(&&**key);
                    if let Some(v) = self.scalar(&field_loc, *ty, value) {
                        let v = match v {
                            Value::Text(t) if is_history_name => Value::Text(fold(&t).into_owned()),
                            other => other,
                        };
                        if let Some(s) = rec.values.get_mut(*slot as usize) {
                            *s = v;
                        }
                    }
                }
                FieldKind::Record(inner) => match value {
                    Node::Map(sub) => self.fill(inner, &field_loc, sub, rec, list),
                    Node::Null => {}
                    _ => self.error(
                        "P0502",
                        &field_loc.show(),
                        "应为键值对".into(),
                        "例如 用人单位: {单位性质: 企业, 民营: 是}".into(),
                    ),
                },
                FieldKind::List { slot, list: list_id } => {
                    let Some(decl) = self.program.vocabulary.lists.get(*list_id as usize) else { continue };
                    let items = match value {
                        Node::Seq(items) => items.as_slice(),
                        Node::Null => &[],
                        _ => {
                            self.error(
                                "P0502",
                                &field_loc.show(),
                                "应为列表".into(),
                                format!("例如 {key}:\n  - {{…}}"),
                            );
                            continue;
                        }
                    };
                    if items.len() > MAX_MEMBERS {
                        self.error(
                            "P0509",
                            &field_loc.show(),
                            format!("有 {} 项，超过一个列表的上限 {MAX_MEMBERS} 项", items.len()),
                            TOO_LARGE_HELP.into(),
                        );
                        continue;
                    }
                    let members: ir::Members = items
                        .iter()
                        .enumerate()
                        .map(|(i, n)| {
                            let member = Loc { parent: Some(loc), key, index: Some(i) };
                            self.record(&decl.item, decl.slot_count, &member, n, Some(decl))
                        })
                        .collect();
                    if let Some(s) = rec.values.get_mut(*slot as usize) {
                        *s = Value::List(members);
                    }
                }
            }
        }
    }

    fn scalar(&mut self, loc: &Loc, ty: Ty, node: &Node) -> Option<Value> {
        match ty {
            Ty::Bool => match node {
                Node::Bool(b) => Some(Value::Bool(*b)),
                Node::Str(s) if s == "是" => Some(Value::Bool(true)),
                Node::Str(s) if s == "否" => Some(Value::Bool(false)),
                _ => {
                    self.error(
                        "P0502",
                        &loc.show(),
                        format!("「{}」不是是否值", node.show()),
                        "应为 是 或 否（也接受 true/false）".into(),
                    );
                    None
                }
            },
            Ty::Num(unit) => {
                let text = match node {
                    Node::Num(s) => &**s,
                    _ => {
                        let u = if unit.is_none() { String::new() } else { format!("（单位：{unit}）") };
                        self.error(
                            "P0502",
                            &loc.show(),
                            format!("「{}」不是数值", node.show()),
                            format!("应为不带单位的数字{u}，例如 12"),
                        );
                        return None;
                    }
                };
                match text.parse::<Decimal>().or_else(|_| Decimal::from_scientific(text)) {
                    Ok(n) if n.is_sign_negative() && !n.is_zero() => {
                        self.error("P0502", &loc.show(), format!("{text} 是负数"), "人数、月数、天数都不能为负".into());
                        None
                    }
                    Ok(n) => Some(Value::Num(n)),
                    Err(_) => {
                        self.error(
                            "P0502",
                            &loc.show(),
                            format!("数值 {text} 超出可表示的范围"),
                            "数值须在 28 位有效数字以内".into(),
                        );
                        None
                    }
                }
            }
            Ty::Date => self.date_value(&loc.show(), node).map(Value::Date),
            Ty::Text => match node {
                Node::Str(s) | Node::Num(s) => Some(Value::Text(s.to_string())),
                _ => {
                    self.error("P0502", &loc.show(), "应为文字".into(), "例如 项目: 一次性外出务工交通补助".into());
                    None
                }
            },
            Ty::Enum(id) => {
                let values = self.program.vocabulary.enums.get(id as usize).map_or(&[][..], |e| e.values.as_slice());
                let hit = match node {
                    Node::Str(s) => values.iter().position(|v| v == s),
                    _ => None,
                };
                match hit {
                    Some(i) => Some(Value::Enum(i as u32)),
                    None => {
                        let shown = node.show();
                        let listing = format!("可选：{}", values.join("、"));
                        let help = crate::check::help_with(&shown, values.iter().map(String::as_str), &listing);
                        self.error("P0503", &loc.show(), format!("「{shown}」不是可选的取值"), help);
                        None
                    }
                }
            }
        }
    }
}

fn fill_defaults(schema: &RecordSchema, rec: &mut Record) {
    for f in &schema.fields {
        match &f.kind {
            FieldKind::Scalar { slot, default, .. } => {
                let i = *slot as usize;
                if matches!(rec.values.get(i), Some(Value::Missing)) {
                    if let (Some(d), Some(v), Some(flag)) = (default, rec.values.get_mut(i), rec.defaulted.get_mut(i)) {
                        *v = d.clone();
                        *flag = true;
                    }
                }
            }
            FieldKind::Record(inner) => fill_defaults(inner, rec),
            FieldKind::List { slot, .. } => {
                let i = *slot as usize;
                if matches!(rec.values.get(i), Some(Value::Missing)) {
                    if let Some(v) = rec.values.get_mut(i) {
                        *v = Value::List(ir::Members::default());
                    }
                    if let Some(flag) = rec.defaulted.get_mut(i) {
                        *flag = true;
                    }
                }
            }
        }
    }
}

fn closest_help<'a>(name: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> String {
    let all: Vec<&str> = candidates.clone().collect();
    match crate::check::closest(name, candidates) {
        Some(s) => format!("是否应为「{s}」？"),
        None => format!("可用的字段：{}", all.join("、")),
    }
}

/// Where `key` is written as a key (followed by an optional quote and a
/// colon) at or after `from`.
fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let mut at = from;
    loop {
        let pos = text.get(at..)?.find(key)? + at;
        let after = text.get(pos + key.len()..)?.trim_start_matches(['"', '\'']).trim_start();
        if after.starts_with(':') || after.starts_with('：') {
            return Some(pos);
        }
        at = pos + key.len();
    }
}

/// The start of the `index`-th member of the list that begins at `from`:
/// YAML block items (`- `) or, failing those, flow/JSON maps (`{`).
fn nth_member(text: &str, from: usize, index: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let mut offset = 0;
    let mut dashes = Vec::new();
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("- ") || trimmed == "-\n" {
            dashes.push(from + offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    if let Some(p) = dashes.get(index) {
        return Some(*p);
    }
    rest.match_indices('{').nth(index).map(|(i, _)| from + i)
}

/// Parses one JSON Lines record (batch input).
pub fn parse_json_line(text: &str) -> Result<Node<'_>, String> {
    node::parse(text, Format::Json).map_err(|(message, _)| message)
}
