//! A format-neutral tree of what a case file says, built directly by serde
//! from YAML or JSON so that duplicate keys are caught and numbers keep
//! their digits.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::Format;

/// Text is borrowed from the input where the parser allows it (JSON
/// without escapes), so that reading a case copies few strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// A number, as its decimal digits.
    Num(Cow<'a, str>),
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl Node<'_> {
    /// The same tree owning its text.
    pub fn into_owned(self) -> Node<'static> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Num(s) => Node::Num(Cow::Owned(s.into_owned())),
            Node::Str(s) => Node::Str(Cow::Owned(s.into_owned())),
            Node::Seq(items) => Node::Seq(items.into_iter().map(Node::into_owned).collect()),
            Node::Map(entries) => {
                Node::Map(entries.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect())
            }
        }
    }

    /// The value as it would be written, for messages.
    pub fn show(&self) -> String {
        match self {
            Node::Null => "空".to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Num(s) | Node::Str(s) => s.chars().take(40).collect(),
            Node::Seq(_) => "列表".to_string(),
            Node::Map(_) => "键值对".to_string(),
        }
    }
}

/// Maps and lists nested deeper than this are refused, so that no case can
/// exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// Parses text; on failure, a message and the byte offset where known.
pub fn parse(text: &str, format: Format) -> Result<Node<'_>, (String, Option<usize>)> {
    if too_deep(text, format) {
        return Err((format!("嵌套超过 {MAX_DEPTH} 层"), None));
    }
    match format {
        Format::Json => serde_json::from_str::<Node<'_>>(text).map_err(|e| {
            let offset = offset_of(text, e.line(), e.column());
            (json_message(&e, text), offset)
        }),
        Format::Yaml => {
            if text.trim().is_empty() {
                return Err(("文件为空".to_string(), None));
            }
            serde_yaml_ng::from_str::<Node<'_>>(text).map_err(|e| {
                let offset = e.location().map(|l| l.index());
                (translate(&e.to_string()), offset)
            })
        }
    }
}

/// Whether the text nests deeper than [`MAX_DEPTH`] (counting brackets,
/// and indentation in YAML).
pub(super) fn too_deep(text: &str, format: Format) -> bool {
    nesting(text, format) > MAX_DEPTH
}

fn nesting(text: &str, format: Format) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if format == Format::Json {
        return max;
    }
    // Indentation nesting in YAML: count leading spaces / 2 as a bound.
    let indent = text.lines().map(|l| l.len() - l.trim_start_matches(' ').len()).max().unwrap_or(0) / 2;
    max.max(indent)
}

fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start: usize = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
    let line_text = text.get(start..)?.lines().next().unwrap_or("");
    // serde_json's column counts bytes, 1-based.
    Some(start + column.saturating_sub(1).min(line_text.len()))
}

fn json_message(e: &serde_json::Error, text: &str) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "文件意外结束（可能被截断）".to_string(),
        Category::Syntax => {
            // serde_json counts columns in bytes; people count characters.
            let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
            let before = line.get(..e.column().saturating_sub(1)).map_or(0, |b| b.chars().count());
            // A batch's line is one line: its number in the input is
            // given beside the message, so only the character is told.
            let place = if text.contains('\n') { format!("第 {} 行", e.line()) } else { "本行".to_string() };
            format!("JSON 语法错误：{}（{place}第 {} 个字符处）", syntax_words(e), before + 1)
        }
        Category::Data => translate(&e.to_string()),
        Category::Io => "读取失败".to_string(),
    }
}

/// serde_json's syntax messages in Chinese; one it does not know is kept
/// as it is.
fn syntax_words(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    let words = match message {
        "expected value" | "expected ident" => {
            "此处应为一个值（文字须加双引号；是否写作 true、false 或 \"是\"、\"否\"）"
        }
        "expected `:`" => "键之后应为冒号「:」",
        "expected `,` or `]`" => "列表中的项之间应为逗号，末尾应为「]」",
        "expected `,` or `}`" => "键值对之间应为逗号，末尾应为「}」",
        "key must be a string" => "键须是双引号括起的文字",
        "trailing comma" => "最后一项之后多了逗号",
        "trailing characters" => "一个案例之后还有多余的内容（每行只能有一个案例）",
        "invalid escape" => "无效的转义（\\ 之后的字符）",
        "invalid number" => "无效的数字",
        "number out of range" => "数字超出范围",
        "control character (\\u0000-\\u001F) found while parsing a string" => "文字中有控制字符（如换行），须写作转义",
        "invalid unicode code point" | "lone leading surrogate in hex escape" | "unexpected end of hex escape" => {
            "无效的 \\u 转义"
        }
        "recursion limit exceeded" => "嵌套过深",
        _ => "JSON 格式有误",
    };
    words.to_string()
}

/// A YAML parser's message in Chinese: the phrases it is known to use;
/// any other becomes a plain 格式错误 (the place is shown beside it), so
/// that no English reaches the user.
fn translate(e: &str) -> String {
    if let Some(rest) = e.split("重复的键").nth(1) {
        return format!("重复的键{}", rest.split(" at ").next().unwrap_or(rest));
    }
    let message = e.split(" at line ").next().unwrap_or(e).split(", while ").next().unwrap_or(e);
    let words = match message.trim() {
        "did not find expected key" => "缩进不一致或缺少键（此处应为「键: 值」）",
        "mapping values are not allowed in this context" => "此处不能有「:」（值中的冒号须加引号，或检查缩进）",
        "found unexpected end of stream" => "文件意外结束（引号或括号可能未闭合）",
        "found character that cannot start any token" => "此处的字符不能开始一个值（缩进请用空格，不用制表符）",
        "did not find expected node content" => "此处应为一个值",
        "could not find expected ':'" => "键之后应为冒号「:」",
        "found unknown escape character" => "无效的转义（\\ 之后的字符）",
        "did not find expected ',' or ']'" => "列表中的项之间应为逗号，末尾应为「]」",
        "did not find expected ',' or '}'" => "键值对之间应为逗号，末尾应为「}」",
        "found a tab character that violates indentation" => "缩进中有制表符，请改用空格",
        "did not find expected '-' indicator" => "列表项应以「- 」开头，且缩进一致",
        "block sequence entries are not allowed in this context" => "此处不能开始列表（检查缩进）",
        "found undefined alias" | "unknown anchor" => "引用了未定义的锚点（*名称）",
        "recursion limit exceeded" => "嵌套过深",
        "control characters are not allowed" => "文字中有控制字符",
        _ => "格式错误（不是有效的 YAML）",
    };
    words.to_string()
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// The key under which serde_json hands over a number's text.
const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a case value")
    }
    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Num(Cow::Owned(n.to_string())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Num(Cow::Owned(n.to_string())))
    }
    fn visit_i128<E>(self, n: i128) -> Result<Node<'de>, E> {
        Ok(Node::Num(Cow::Owned(n.to_string())))
    }
    fn visit_u128<E>(self, n: u128) -> Result<Node<'de>, E> {
        Ok(Node::Num(Cow::Owned(n.to_string())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // The shortest text that reads back as the same double: what was written.
        Ok(Node::Num(Cow::Owned(format!("{n}"))))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node<'de>>()? {
            items.push(n);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        while let Some(key) = map.next_key::<Node<'de>>()? {
            // serde_json gives a number as its text, exactly as written,
            // in a map of this one key (its `arbitrary_precision`): never
            // through a double, which would change 79228162514264337593543950335.
            if entries.is_empty() && matches!(&key, Node::Str(k) if k == JSON_NUMBER_TOKEN) {
                return match map.next_value::<Node<'de>>()? {
                    Node::Str(text) => Ok(Node::Num(text)),
                    other => Ok(other),
                };
            }
            let key = match key {
                Node::Str(s) | Node::Num(s) => s,
                Node::Bool(b) => Cow::Owned(b.to_string()),
                other => return Err(de::Error::custom(format!("键「{}」不是文字", other.show()))),
            };
            let value = map.next_value::<Node<'de>>()?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("重复的键「{key}」")));
            }
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}
