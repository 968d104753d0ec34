//! Page front matter: splitting it from the body, reading TOML (`+++`) or
//! YAML (`---`), and checking it against the schema, kind by kind.
//!
//! Pure: takes the page text, returns the checked [`FrontMatter`] or every
//! problem as a [`Diagnostic`] located in the page. Unknown keys are errors,
//! never silently ignored.
//!
//! Why this file is long: one reader per front-matter key, each with its own file:line:col error and the text to write instead; they share the reader state and read best side by side.

use casework::Diagnostic;
use casework::diagnostic::{Severity, SourceFile};
use chrono::NaiveDate;
use serde::Serialize;
use std::path::Path;

/// What a page is about; decides where it is listed and what it must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Page,
    Policy,
    Channel,
    Hotline,
    Notice,
}

impl Kind {
    pub const NAMES: &'static str = "\"page\", \"policy\", \"channel\", \"hotline\" or \"notice\"";

    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "page" => Kind::Page,
            "policy" => Kind::Policy,
            "channel" => Kind::Channel,
            "hotline" => Kind::Hotline,
            "notice" => Kind::Notice,
            _ => return None,
        })
    }
}

/// A page whose body is an introduction to content generated from the rulebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    TimeLimits,
    ComplaintForm,
    Status,
    Thanks,
}

impl Layout {
    pub const NAMES: &'static str = "\"time-limits\", \"complaint-form\", \"status\" or \"thanks\"";

    pub fn from_name(name: &str) -> Option<Layout> {
        Some(match name {
            "time-limits" => Layout::TimeLimits,
            "complaint-form" => Layout::ComplaintForm,
            "status" => Layout::Status,
            "thanks" => Layout::Thanks,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::TimeLimits => "time-limits",
            Layout::ComplaintForm => "complaint-form",
            Layout::Status => "status",
            Layout::Thanks => "thanks",
        }
    }
}

/// A channel page's `type`: the channels a case can come in by, by the
/// names the case store and the statistics use too.
pub use casework::channel::Channel as ChannelType;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    #[serde(rename = "type")]
    pub kind: ChannelType,
    pub hours: Option<String>,
    pub address: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotline {
    pub number: String,
    pub hours: Option<String>,
    pub after_hours: Option<String>,
}

/// The checked front matter of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub kind: Kind,
    pub weight: i64,
    pub date: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub layout: Option<Layout>,
    pub valid_until: Option<NaiveDate>,
    pub channel: Option<Channel>,
    pub hotline: Option<Hotline>,
}

const PAGE_KEYS: &[&str] = &[
    "title",
    "description",
    "kind",
    "weight",
    "date",
    "updated",
    "draft",
    "layout",
    "valid_until",
    "channel",
    "hotline",
];
const CHANNEL_KEYS: &[&str] = &["type", "hours", "address", "contact"];
const HOTLINE_KEYS: &[&str] = &["number", "hours", "after_hours"];

/// A page split into its front matter and body.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    pub format: Format,
    /// The text between the delimiter lines.
    pub front: &'a str,
    /// Lines before `front` (the opening delimiter).
    pub front_line_offset: usize,
    pub body: &'a str,
    /// Byte offset of `body` in the page.
    pub body_offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// Splits a page at its front matter delimiters (`+++` for TOML, `---` for YAML).
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let file = SourceFile::new(path, text);
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - text_no_bom.len();
    let first_line = text_no_bom.lines().next().unwrap_or("").trim_end();
    let (format, delim) = match first_line {
        "+++" => (Format::Toml, "+++"),
        "---" => (Format::Yaml, "---"),
        _ => {
            return Err(file.diagnostic(
                Severity::Error,
                0,
                "the page does not start with front matter",
                Some(
                    "begin the file with a line `+++`, then `title = \"…\"`, then a line `+++`"
                        .into(),
                ),
            ));
        }
    };
    let front_start = bom
        + text_no_bom
            .find('\n')
            .map(|i| i + 1)
            .unwrap_or(text_no_bom.len());
    let mut offset = front_start;
    for line in text[front_start..].split_inclusive('\n') {
        if line.trim_end() == delim {
            let body_offset = offset + line.len();
            return Ok(Split {
                format,
                front: &text[front_start..offset],
                front_line_offset: 1,
                body: &text[body_offset..],
                body_offset,
            });
        }
        offset += line.len();
    }
    Err(file.diagnostic(
        Severity::Error,
        0,
        format!("the front matter is not closed by a line `{delim}`"),
        None,
    ))
}

/// A front matter value, the same for TOML and YAML, with byte offsets into the front matter.
#[derive(Debug, Clone)]
enum Raw {
    Str(String),
    Int(i64),
    Bool(bool),
    Date(String),
    Table(Vec<Field>),
    Other(&'static str),
}

#[derive(Debug, Clone)]
struct Field {
    key: String,
    key_at: usize,
    value: Raw,
    value_at: usize,
}

fn toml_fields(table: &toml::de::DeTable<'_>) -> Vec<Field> {
    table
        .iter()
        .map(|(key, value)| Field {
            key: key.get_ref().to_string(),
            key_at: key.span().start,
            value_at: value.span().start,
            value: toml_raw(value.get_ref()),
        })
        .collect()
}

fn toml_raw(value: &toml::de::DeValue<'_>) -> Raw {
    use toml::de::DeValue;
    match value {
        DeValue::String(s) => Raw::Str(s.to_string()),
        DeValue::Integer(i) => i
            .as_str()
            .replace('_', "")
            .parse()
            .map(Raw::Int)
            .unwrap_or(Raw::Other("a number")),
        DeValue::Float(_) => Raw::Other("a decimal number"),
        DeValue::Boolean(b) => Raw::Bool(*b),
        DeValue::Datetime(d) => Raw::Date(d.to_string()),
        DeValue::Array(_) => Raw::Other("a list"),
        DeValue::Table(t) => Raw::Table(toml_fields(t)),
    }
}

/// Byte offset of `key:` on a line of its own, searched from `from`; YAML
/// values carry no positions, so keys are found in the text.
fn yaml_key_at(text: &str, key: &str, from: usize, nested: bool) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset >= from {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if (indent > 0) == nested
                && let Some(rest) = trimmed.strip_prefix(key)
                && rest.trim_start().starts_with(':')
            {
                return offset + indent;
            }
        }
        offset += line.len();
    }
    from
}

fn yaml_fields(text: &str, map: &serde_norway::Mapping, from: usize, nested: bool) -> Vec<Field> {
    map.iter()
        .map(|(key, value)| {
            let key = match key {
                serde_norway::Value::String(s) => s.clone(),
                other => serde_norway::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            let key_at = yaml_key_at(text, &key, from, nested);
            let value_at = text[key_at..]
                .find(':')
                .map(|i| {
                    let after = key_at + i + 1;
                    after + (text[after..].len() - text[after..].trim_start_matches(' ').len())
                })
                .unwrap_or(key_at);
            let value = match value {
                serde_norway::Value::String(s) => {
                    if looks_like_date(s) {
                        Raw::Date(s.clone())
                    } else {
                        Raw::Str(s.clone())
                    }
                }
                serde_norway::Value::Number(n) => n
                    .as_i64()
                    .map(Raw::Int)
                    .unwrap_or(Raw::Other("a decimal number")),
                serde_norway::Value::Bool(b) => Raw::Bool(*b),
                serde_norway::Value::Mapping(m) => Raw::Table(yaml_fields(text, m, key_at, true)),
                serde_norway::Value::Sequence(_) => Raw::Other("a list"),
                serde_norway::Value::Null => Raw::Other("empty"),
                serde_norway::Value::Tagged(_) => Raw::Other("a tagged value"),
            };
            Field {
                key,
                key_at,
                value,
                value_at,
            }
        })
        .collect()
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        // `get`: the tenth byte may fall inside a character.
        && s.get(..10)
            .is_some_and(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
}

/// Collects problems while checking fields.
struct Checker<'a> {
    file: SourceFile<'a>,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, at: usize, message: impl Into<String>, hint: Option<String>) {
        self.errors
            .push(self.file.diagnostic(Severity::Error, at, message, hint));
    }

    fn unknown_keys(&mut self, fields: &[Field], allowed: &[&str], what: &str) {
        for f in fields {
            if !allowed.contains(&f.key.as_str()) {
                let suggestion = allowed
                    .iter()
                    .find(|k| close(k, &f.key))
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                self.error(
                    f.key_at,
                    format!("unknown key `{}` in {what}", f.key),
                    Some(format!("{suggestion}allowed keys: {}", allowed.join(", "))),
                );
            }
        }
    }

    fn string(&mut self, f: &Field) -> Option<String> {
        match &f.value {
            Raw::Str(s) | Raw::Date(s) => Some(s.clone()),
            other => {
                self.error(
                    f.value_at,
                    format!("`{}` must be text, not {}", f.key, describe(other)),
                    Some(format!("write {} = \"…\"", f.key)),
                );
                None
            }
        }
    }

    fn date(&mut self, f: &Field) -> Option<NaiveDate> {
        let text = match &f.value {
            Raw::Date(s) | Raw::Str(s) => s.as_str(),
            other => {
                self.error(
                    f.value_at,
                    format!("`{}` must be a date, not {}", f.key, describe(other)),
                    Some("write a date as 2026-01-31".into()),
                );
                return None;
            }
        };
        let parsed = text
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if parsed.is_none() {
            self.error(
                f.value_at,
                format!("`{}` is not a date: `{text}`", f.key),
                Some("write a date as 2026-01-31".into()),
            );
        }
        parsed
    }

    fn choice<T>(
        &mut self,
        f: &Field,
        parse: impl Fn(&str) -> Option<T>,
        names: &str,
    ) -> Option<T> {
        let s = self.string(f)?;
        let found = parse(&s);
        if found.is_none() {
            self.error(
                f.value_at,
                format!("`{}` cannot be \"{s}\"", f.key),
                Some(format!("`{}` is one of {names}", f.key)),
            );
        }
        found
    }

    fn table<'f>(&mut self, f: &'f Field) -> Option<&'f [Field]> {
        match &f.value {
            Raw::Table(fields) => Some(fields),
            other => {
                self.error(
                    f.value_at,
                    format!("`{}` must be a table, not {}", f.key, describe(other)),
                    Some(format!("write {} = {{ … }}", f.key)),
                );
                None
            }
        }
    }
}

fn describe(raw: &Raw) -> &'static str {
    match raw {
        Raw::Str(_) => "text",
        Raw::Int(_) => "a number",
        Raw::Bool(_) => "true or false",
        Raw::Date(_) => "a date",
        Raw::Table(_) => "a table",
        Raw::Other(what) => what,
    }
}

/// One edit or one swap of neighbours apart (a typo), for "did you mean".
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return false;
    }
    let differ: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .collect();
    if a.len() == b.len()
        && let [i, j] = differ[..]
        && j == i + 1
        && a[i] == b[j]
        && a[j] == b[i]
    {
        return true;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    prefix + suffix + 1 >= a.len().max(b.len())
}

/// Reads and checks the front matter of a page.
pub fn parse(path: &Path, split: &Split<'_>) -> Result<FrontMatter, Vec<Diagnostic>> {
    let file = SourceFile {
        path,
        text: split.front,
        line_offset: split.front_line_offset,
    };
    let fields = match split.format {
        Format::Toml => match toml::de::DeTable::parse(split.front) {
            Ok(table) => toml_fields(table.get_ref()),
            Err(e) => {
                let at = e.span().map(|s| s.start).unwrap_or(0);
                return Err(vec![file.diagnostic(
                    Severity::Error,
                    at,
                    format!("front matter is not valid TOML: {}", e.message().trim()),
                    None,
                )]);
            }
        },
        Format::Yaml => match serde_norway::from_str::<serde_norway::Value>(split.front) {
            Ok(serde_norway::Value::Mapping(map)) => yaml_fields(split.front, &map, 0, false),
            Ok(serde_norway::Value::Null) => Vec::new(),
            Ok(_) => {
                return Err(vec![file.diagnostic(
                    Severity::Error,
                    0,
                    "front matter must be a set of `key: value` lines",
                    None,
                )]);
            }
            Err(e) => {
                let at = e.location().map(|l| l.index()).unwrap_or(0);
                return Err(vec![file.diagnostic(
                    Severity::Error,
                    at,
                    format!("front matter is not valid YAML: {e}"),
                    None,
                )]);
            }
        },
    };
    check(file, &fields)
}

fn check(file: SourceFile<'_>, fields: &[Field]) -> Result<FrontMatter, Vec<Diagnostic>> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    c.unknown_keys(fields, PAGE_KEYS, "the front matter");
    let mut fm = FrontMatter::default();
    let mut title = None;
    let mut kind_at = 0;
    let mut positions = std::collections::HashMap::new();
    for f in fields {
        positions.insert(f.key.as_str(), f.key_at);
        match f.key.as_str() {
            "title" => {
                title = c.string(f);
                if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    c.error(f.value_at, "`title` is empty", None);
                }
            }
            "description" => fm.description = c.string(f),
            "kind" => {
                kind_at = f.key_at;
                fm.kind = c
                    .choice(f, Kind::from_name, Kind::NAMES)
                    .unwrap_or_default();
            }
            "weight" => match f.value {
                Raw::Int(n) => fm.weight = n,
                ref other => c.error(
                    f.value_at,
                    format!("`weight` must be a whole number, not {}", describe(other)),
                    Some("lighter pages come first: weight = 10".into()),
                ),
            },
            "date" => fm.date = c.date(f),
            "updated" => fm.updated = c.date(f),
            "valid_until" => fm.valid_until = c.date(f),
            "draft" => match f.value {
                Raw::Bool(b) => fm.draft = b,
                ref other => c.error(
                    f.value_at,
                    format!("`draft` must be true or false, not {}", describe(other)),
                    None,
                ),
            },
            "layout" => fm.layout = c.choice(f, Layout::from_name, Layout::NAMES),
            "channel" => {
                if let Some(sub) = c.table(f) {
                    fm.channel = check_channel(&mut c, f, sub);
                }
            }
            "hotline" => {
                if let Some(sub) = c.table(f) {
                    fm.hotline = check_hotline(&mut c, f, sub);
                }
            }
            _ => {}
        }
    }
    match title {
        Some(t) => fm.title = t,
        None if !positions.contains_key("title") => c.error(
            0,
            "the front matter has no `title`",
            Some("add a line: title = \"…\"".into()),
        ),
        None => {}
    }
    // Each kind says what it needs; a key that belongs to another kind is a mistake.
    let kind_name = format!("{:?}", fm.kind).to_lowercase();
    match (fm.kind, positions.get("hotline")) {
        (Kind::Hotline, None) => c.error(
            kind_at,
            "a hotline page needs a `hotline` table",
            Some("add: hotline = { number = \"12345\", hours = \"{{ calendar.hours }}\" }".into()),
        ),
        (k, Some(&at)) if k != Kind::Hotline => c.error(
            at,
            format!("`hotline` is only for pages of kind \"hotline\", this one is \"{kind_name}\""),
            Some("add kind = \"hotline\" or remove the table".into()),
        ),
        _ => {}
    }
    match (fm.kind, positions.get("channel")) {
        (Kind::Channel, None) => c.error(
            kind_at,
            "a channel page needs a `channel` table",
            Some("add: channel = { type = \"email\", contact = \"…\" }".into()),
        ),
        (k, Some(&at)) if k != Kind::Channel => c.error(
            at,
            format!("`channel` is only for pages of kind \"channel\", this one is \"{kind_name}\""),
            Some("add kind = \"channel\" or remove the table".into()),
        ),
        _ => {}
    }
    if let (k, Some(&at)) = (fm.kind, positions.get("valid_until"))
        && k != Kind::Notice
    {
        c.error(
            at,
            "`valid_until` is only for notices",
            Some("add kind = \"notice\" or remove `valid_until`".into()),
        );
    }
    if c.errors.is_empty() {
        Ok(fm)
    } else {
        Err(c.errors)
    }
}

fn check_channel(c: &mut Checker<'_>, parent: &Field, fields: &[Field]) -> Option<Channel> {
    c.unknown_keys(fields, CHANNEL_KEYS, "`channel`");
    let mut kind = None;
    let (mut hours, mut address, mut contact) = (None, None, None);
    for f in fields {
        match f.key.as_str() {
            "type" => kind = c.choice(f, ChannelType::from_name, ChannelType::NAMES),
            "hours" => hours = c.string(f),
            "address" => address = c.string(f),
            "contact" => contact = c.string(f),
            _ => {}
        }
    }
    if !fields.iter().any(|f| f.key == "type") {
        c.error(
            parent.key_at,
            "`channel` has no `type`",
            Some(format!("`type` is one of {}", ChannelType::NAMES)),
        );
    }
    Some(Channel {
        kind: kind?,
        hours,
        address,
        contact,
    })
}

fn check_hotline(c: &mut Checker<'_>, parent: &Field, fields: &[Field]) -> Option<Hotline> {
    c.unknown_keys(fields, HOTLINE_KEYS, "`hotline`");
    let (mut number, mut hours, mut after_hours) = (None, None, None);
    for f in fields {
        match f.key.as_str() {
            "number" => number = c.string(f),
            "hours" => hours = c.string(f),
            "after_hours" => after_hours = c.string(f),
            _ => {}
        }
    }
    if !fields.iter().any(|f| f.key == "number") {
        c.error(
            parent.key_at,
            "`hotline` has no `number`",
            Some("write the number as text: number = \"12345\"".into()),
        );
    }
    Some(Hotline {
        number: number?,
        hours,
        after_hours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<FrontMatter, Vec<Diagnostic>> {
        let path = Path::new("content/x.md");
        let s = split(path, text).map_err(|d| vec![d])?;
        parse(path, &s)
    }

    fn positions(errors: &[Diagnostic]) -> Vec<(usize, usize)> {
        errors.iter().map(|d| (d.line, d.column)).collect()
    }

    #[test]
    fn reads_toml_and_yaml_alike() {
        let toml = read("+++\ntitle = \"热线\"\nkind = \"hotline\"\nweight = 2\ndate = 2026-01-05\nhotline = { number = \"12345\", hours = \"7×24\" }\n+++\nbody").unwrap();
        let yaml = read("---\ntitle: 热线\nkind: hotline\nweight: 2\ndate: 2026-01-05\nhotline:\n  number: \"12345\"\n  hours: 7×24\n---\nbody").unwrap();
        assert_eq!(toml, yaml);
        assert_eq!(toml.hotline.unwrap().number, "12345");
        assert_eq!(toml.date, NaiveDate::from_ymd_opt(2026, 1, 5));
    }

    #[test]
    fn unknown_keys_are_located_in_the_page() {
        let errors = read("+++\ntitle = \"x\"\n  titel = \"y\"\n+++\n").unwrap_err();
        assert_eq!(positions(&errors), [(3, 3)]);
        assert!(
            errors[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("did you mean `title`")
        );
        let errors =
            read("---\ntitle: x\nkind: channel\nchannel:\n  type: email\n  phone: 1\n---\n")
                .unwrap_err();
        assert_eq!(positions(&errors), [(6, 3)]);
        assert!(errors[0].message.contains("`phone`"));
    }

    #[test]
    fn each_kind_needs_its_table() {
        let errors = read("+++\ntitle = \"x\"\nkind = \"hotline\"\n+++\n").unwrap_err();
        assert_eq!(positions(&errors), [(3, 1)]);
        let errors = read("+++\ntitle = \"x\"\nvalid_until = 2026-01-01\n+++\n").unwrap_err();
        assert_eq!(positions(&errors), [(3, 1)]);
        let errors = read("+++\nkind = \"poster\"\n+++\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn bad_syntax_and_missing_delimiters_are_errors_not_panics() {
        assert!(read("no front matter").is_err());
        assert!(read("+++\ntitle = \"x\"\n").is_err());
        let errors = read("+++\ntitle = \n+++\n").unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(read("---\n: : :\n---\n").is_err());
        assert!(read("").is_err());
    }
}
