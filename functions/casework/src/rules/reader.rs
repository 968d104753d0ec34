//! A strict reader over a spanned TOML tree that records problems instead of
//! stopping at the first one.
//!
//! Serde stops at the first error and forgets where values were; editors need
//! every problem at once, located. Each table is read through a
//! [`TableReader`] that remembers which keys were used, so that whatever is
//! left over is reported as an unknown key (a typo must never be ignored).

use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::localized::Localized;
use crate::time_limit::{TIME_LIMIT_FORMS, TimeLimit};
use chrono::NaiveDate;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub type Span = Range<usize>;
pub type Value<'i> = Spanned<DeValue<'i>>;

/// Collects diagnostics for one source file.
pub struct Report<'a> {
    pub source: SourceFile<'a>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Report<'a> {
    pub fn new(source: SourceFile<'a>) -> Self {
        Report {
            source,
            diagnostics: Vec::new(),
        }
    }

    pub fn error(&mut self, span: &Span, message: impl Into<String>, hint: impl Into<Hint>) {
        let diagnostic =
            self.source
                .diagnostic(Severity::Error, span.start, message, hint.into().0);
        self.diagnostics.push(diagnostic);
    }

    pub fn warning(&mut self, span: &Span, message: impl Into<String>, hint: impl Into<Hint>) {
        let diagnostic =
            self.source
                .diagnostic(Severity::Warning, span.start, message, hint.into().0);
        self.diagnostics.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// An optional hint; lets callers pass `None`, a `&str` or a `String`.
pub struct Hint(pub Option<String>);

impl From<Option<String>> for Hint {
    fn from(hint: Option<String>) -> Self {
        Hint(hint)
    }
}
impl From<&str> for Hint {
    fn from(hint: &str) -> Self {
        Hint(Some(hint.to_string()))
    }
}
impl From<String> for Hint {
    fn from(hint: String) -> Self {
        Hint(Some(hint))
    }
}

/// The TOML type name an editor knows, for "expected X, found Y" messages.
pub fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// Reads one table; reports unknown keys when finished.
pub struct TableReader<'t, 'i> {
    table: &'t DeTable<'i>,
    /// Where the table starts, for "missing key" errors.
    pub span: Span,
    /// How the editor would name this table, e.g. `[[departments]] #3`.
    pub name: String,
    used: Vec<&'t str>,
}

impl<'t, 'i> TableReader<'t, 'i> {
    pub fn new(table: &'t DeTable<'i>, span: Span, name: impl Into<String>) -> Self {
        TableReader {
            table,
            span,
            name: name.into(),
            used: Vec::new(),
        }
    }

    /// Reads a value that must be a table; reports and returns `None` otherwise.
    pub fn from_value(
        report: &mut Report<'_>,
        value: &'t Value<'i>,
        name: impl Into<String>,
    ) -> Option<Self> {
        let name = name.into();
        match value.get_ref() {
            DeValue::Table(table) => Some(TableReader::new(table, value.span(), name)),
            other => {
                report.error(
                    &value.span(),
                    format!("`{name}` must be a table, found {}", type_name(other)),
                    None,
                );
                None
            }
        }
    }

    /// Whether the key is written, without counting it as read.
    pub fn has(&self, key: &str) -> bool {
        self.table.iter().any(|(k, _)| k.get_ref() == key)
    }

    pub fn get(&mut self, key: &str) -> Option<&'t Value<'i>> {
        let (k, v) = self.table.iter().find(|(k, _)| k.get_ref() == key)?;
        self.used.push(k.get_ref().as_ref());
        Some(v)
    }

    /// Reports every key that was not read, naming the allowed ones.
    pub fn finish(self, report: &mut Report<'_>, allowed: &[&str]) {
        for (key, _) in self.table.iter() {
            let key_text: &str = key.get_ref().as_ref();
            if self.used.contains(&key_text) {
                continue;
            }
            let hint = match closest(key_text, allowed) {
                Some(near) => format!(
                    "did you mean `{near}`? allowed here: {}",
                    allowed.join(", ")
                ),
                None => format!("allowed here: {}", allowed.join(", ")),
            };
            report.error(
                &key.span(),
                format!("unknown key `{key_text}` in {}", self.name),
                hint,
            );
        }
    }

    fn missing(&self, report: &mut Report<'_>, key: &str, hint: impl Into<Hint>) {
        report.error(
            &self.span,
            format!("{} is missing `{key}`", self.name),
            hint,
        );
    }

    pub fn required(
        &mut self,
        report: &mut Report<'_>,
        key: &str,
        hint: impl Into<Hint>,
    ) -> Option<&'t Value<'i>> {
        let value = self.get(key);
        if value.is_none() {
            self.missing(report, key, hint);
        }
        value
    }

    pub fn string(&mut self, report: &mut Report<'_>, key: &str) -> Option<(String, Span)> {
        let value = self.get(key)?;
        expect_string(report, value, key)
    }

    pub fn required_string(
        &mut self,
        report: &mut Report<'_>,
        key: &str,
        hint: impl Into<Hint>,
    ) -> Option<(String, Span)> {
        let value = self.required(report, key, hint)?;
        expect_string(report, value, key)
    }

    pub fn boolean(&mut self, report: &mut Report<'_>, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                report.error(
                    &value.span(),
                    format!("`{key}` must be true or false, found {}", type_name(other)),
                    format!("write `{key} = true` or `{key} = false`"),
                );
                None
            }
        }
    }

    /// A whole number within `range`.
    pub fn integer(
        &mut self,
        report: &mut Report<'_>,
        key: &str,
        range: Range<i64>,
    ) -> Option<(i64, Span)> {
        let value = self.get(key)?;
        let hint = format!(
            "write a whole number from {} to {}",
            range.start,
            range.end - 1
        );
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) if range.contains(&n) => Some((n, value.span())),
                Ok(n) => {
                    report.error(
                        &value.span(),
                        format!("`{key}` = {n} is out of range"),
                        hint,
                    );
                    None
                }
                Err(_) => {
                    report.error(&value.span(), format!("`{key}` is too large"), hint);
                    None
                }
            },
            other => {
                report.error(
                    &value.span(),
                    format!("`{key}` must be a whole number, found {}", type_name(other)),
                    hint,
                );
                None
            }
        }
    }

    pub fn localized(&mut self, report: &mut Report<'_>, key: &str) -> Option<Localized> {
        let value = self.get(key)?;
        read_localized(report, value, &format!("{} `{key}`", self.name))
    }

    pub fn required_localized(&mut self, report: &mut Report<'_>, key: &str) -> Option<Localized> {
        let value = self.required(
            report,
            key,
            format!("write `{key} = {{ zh = \"…\", en = \"…\" }}`"),
        )?;
        read_localized(report, value, &format!("{} `{key}`", self.name))
    }

    pub fn time_limit(&mut self, report: &mut Report<'_>, key: &str) -> Option<(TimeLimit, Span)> {
        let value = self.get(key)?;
        read_time_limit(report, value, key)
    }

    /// A list of strings.
    pub fn strings(&mut self, report: &mut Report<'_>, key: &str) -> Option<Vec<(String, Span)>> {
        let value = self.get(key)?;
        let items = expect_array(report, value, key)?;
        let mut out = Vec::new();
        for item in items {
            if let Some(s) = expect_string(report, item, key) {
                out.push(s);
            }
        }
        Some(out)
    }

    /// A list of tables (`[[key]]` or an inline array of tables).
    pub fn tables(&mut self, report: &mut Report<'_>, key: &str) -> Vec<TableReader<'t, 'i>> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(items) = expect_array(report, value, key) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                TableReader::from_value(report, item, format!("[[{key}]] #{}", i + 1))
            })
            .collect()
    }

    /// A sub-table (`[parent.key]`), if present.
    pub fn table(&mut self, report: &mut Report<'_>, key: &str) -> Option<TableReader<'t, 'i>> {
        let value = self.get(key)?;
        TableReader::from_value(report, value, format!("[{key}]"))
    }

    /// Every entry of the table, for maps keyed by the editor (e.g. years).
    pub fn entries(&mut self) -> Vec<(&'t str, Span, &'t Value<'i>)> {
        self.table
            .iter()
            .map(|(k, v)| {
                self.used.push(k.get_ref().as_ref());
                (k.get_ref().as_ref(), k.span(), v)
            })
            .collect()
    }
}

pub fn expect_string(
    report: &mut Report<'_>,
    value: &Value<'_>,
    key: &str,
) -> Option<(String, Span)> {
    match value.get_ref() {
        DeValue::String(s) => Some((s.to_string(), value.span())),
        other => {
            report.error(
                &value.span(),
                format!("`{key}` must be a string, found {}", type_name(other)),
                format!("put the value in quotes: `{key} = \"…\"`"),
            );
            None
        }
    }
}

pub fn expect_array<'t, 'i>(
    report: &mut Report<'_>,
    value: &'t Value<'i>,
    key: &str,
) -> Option<&'t [Value<'i>]> {
    match value.get_ref() {
        DeValue::Array(items) => Some(items.as_ref()),
        other => {
            report.error(
                &value.span(),
                format!("`{key}` must be a list, found {}", type_name(other)),
                format!("write `{key} = [ … ]`"),
            );
            None
        }
    }
}

/// `{ zh = "…", en = "…" }`; a plain string counts as Chinese only.
pub fn read_localized(report: &mut Report<'_>, value: &Value<'_>, what: &str) -> Option<Localized> {
    let span = value.span();
    let hint = "write `{ zh = \"中文\", en = \"English\" }`";
    let localized = match value.get_ref() {
        DeValue::String(s) => Localized {
            zh: s.to_string(),
            en: None,
        },
        DeValue::Table(table) => {
            let mut reader = TableReader::new(table, span.clone(), what.to_string());
            let zh = reader.string(report, "zh");
            let en = reader.string(report, "en");
            reader.finish(report, &["zh", "en"]);
            let Some((zh, zh_span)) = zh else {
                report.error(
                    &span,
                    format!("{what} has no Chinese text (`zh`)"),
                    "Chinese is the site's default language: add `zh = \"…\"`",
                );
                return None;
            };
            if zh.trim().is_empty() {
                report.error(&zh_span, format!("{what}: the Chinese text is empty"), hint);
                return None;
            }
            Localized {
                zh,
                en: en.map(|(en, _)| en),
            }
        }
        other => {
            report.error(
                &span,
                format!("{what} must be a text, found {}", type_name(other)),
                hint,
            );
            return None;
        }
    };
    if localized
        .en
        .as_deref()
        .is_none_or(|en| en.trim().is_empty())
    {
        report.warning(
            &span,
            format!("{what} has no English text; English pages will show the Chinese"),
            "add `en = \"…\"`",
        );
    }
    Some(localized)
}

pub fn read_time_limit(
    report: &mut Report<'_>,
    value: &Value<'_>,
    key: &str,
) -> Option<(TimeLimit, Span)> {
    let span = value.span();
    match value.get_ref() {
        DeValue::String(text) => match text.parse::<TimeLimit>() {
            Ok(limit) => Some((limit, span)),
            Err(err) => {
                report.error(
                    &span,
                    format!("`{key}` = \"{text}\" is not a time limit: {err}"),
                    format!("write {TIME_LIMIT_FORMS}"),
                );
                None
            }
        },
        DeValue::Integer(i) => {
            let negative = i.as_str().starts_with('-');
            report.error(
                &span,
                if negative {
                    format!("`{key}` is negative: a time limit cannot be")
                } else {
                    format!("`{key}` needs a unit of time")
                },
                format!("write {TIME_LIMIT_FORMS}"),
            );
            None
        }
        other => {
            report.error(
                &span,
                format!("`{key}` must be a time limit, found {}", type_name(other)),
                format!("write {TIME_LIMIT_FORMS}"),
            );
            None
        }
    }
}

/// A TOML date without time, e.g. `2026-10-01`.
pub fn read_date(
    report: &mut Report<'_>,
    value: &Value<'_>,
    key: &str,
) -> Option<(NaiveDate, Span)> {
    let span = value.span();
    let hint = format!("write a date without quotes: `{key} = 2026-10-01`");
    match value.get_ref() {
        DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let date = dt.date?;
            match NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            ) {
                Some(d) => Some((d, span)),
                None => {
                    report.error(
                        &span,
                        format!("`{key}`: {dt} is not a day of the calendar"),
                        hint,
                    );
                    None
                }
            }
        }
        DeValue::String(s) => {
            report.error(
                &span,
                format!("`{key}` = \"{s}\" is a string, not a date"),
                hint,
            );
            None
        }
        other => {
            report.error(
                &span,
                format!("`{key}` must be a date, found {}", type_name(other)),
                hint,
            );
            None
        }
    }
}

/// The allowed word nearest to a typo, if it is near enough to suggest.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(
            closest("departmnet", &["department", "name"]),
            Some("department")
        );
        assert_eq!(closest("colour", &["department", "name"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
