//! The check that pages refer to the rulebook instead of typing a rule: a
//! number next to a rule word ("15个工作日", "2 working days", "24 小时",
//! "3 years") is reported with the reference to write instead, the exact
//! one when the number is a rule's value. Evidence limits ("5个文件",
//! "5 files", "40 megapixels", and a size such as "10 MB" when it is one
//! of the rulebook's) are found by [`find_evidence`].
//!
//! Dates are not rules: a number after 月 ("9 月 30 日"), the second day of
//! a range ("10 月 1 日至 7 日"), a day followed by its weekday ("9 日（星期
//! 五）"), an ordinal ("第 3 个工作日") and a year ("2026 年") are left alone. A worked example whose numbers illustrate
//! rather than promise writes them as `{{ example: 3 个工作日 }}`.
//!
//! Not here: finding code and references in a page (the caller gives
//! their ranges to skip), or reporting (`Site::load`).

use crate::references::EXAMPLE;
use casework::rules::DeadlineKind;
use casework::{Rulebook, TimeLimit};
use std::ops::Range;

/// What a typed rule says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedValue {
    Limit(TimeLimit),
    Years(u32),
}

/// A number and rule word typed in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub range: Range<usize>,
    pub value: TypedValue,
}

const ZH_UNITS: &[(&str, Unit)] = &[
    ("个工作日", Unit::WorkingDays),
    ("工作日", Unit::WorkingDays),
    ("个工作小时", Unit::WorkingHours),
    ("工作小时", Unit::WorkingHours),
    ("个自然日", Unit::CalendarDays),
    ("自然日", Unit::CalendarDays),
    ("个小时", Unit::Hours),
    ("小时", Unit::Hours),
    ("分钟", Unit::Minutes),
    ("天", Unit::CalendarDays),
    ("日", Unit::CalendarDays),
    ("年", Unit::Years),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    WorkingDays,
    WorkingHours,
    CalendarDays,
    Hours,
    Minutes,
    Years,
}

fn en_unit(first: &str, second: &str) -> Option<(Unit, bool)> {
    let singular = |w: &str| w.strip_suffix('s').unwrap_or(w).to_string();
    let unit = |w: &str| match singular(w).as_str() {
        "day" => Some(Unit::CalendarDays),
        "hour" => Some(Unit::Hours),
        "minute" => Some(Unit::Minutes),
        "year" => Some(Unit::Years),
        _ => None,
    };
    match (first, singular(second).as_str()) {
        ("working" | "business", "day") => Some((Unit::WorkingDays, true)),
        ("working", "hour") => Some((Unit::WorkingHours, true)),
        ("calendar", "day") => Some((Unit::CalendarDays, true)),
        _ => unit(first).map(|u| (u, false)),
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{3000}' || c == '\t'
}

/// The text before `at`, without the spaces just before it.
fn before(text: &str, at: usize) -> &str {
    text[..at].trim_end_matches(is_space)
}

/// Whether the number at `at` is a day of a date: after 月, or the second
/// day of a range after a day ("1 日至 7 日").
fn is_day_of_date(text: &str, at: usize) -> bool {
    let b = before(text, at);
    if b.ends_with('月') {
        return true;
    }
    for connector in ['至', '到', '—', '–', '-', '~', '～', '、', '和', '或'] {
        if let Some(rest) = b.strip_suffix(connector)
            && rest.trim_end_matches(is_space).ends_with('日')
        {
            return true;
        }
    }
    false
}

/// Whether a day is followed by its weekday, as a date is: "9 日（星期五）".
fn is_weekday_after(rest: &str) -> bool {
    let rest = rest.trim_start_matches(is_space);
    ["（星期", "(星期", "（周", "(周"]
        .iter()
        .any(|w| rest.starts_with(w))
}

/// Every typed rule in `text`, outside the `skip` ranges.
pub fn find(text: &str, skip: &[Range<usize>]) -> Vec<Typed> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let end_digits = i;
        if skip.iter().any(|r| r.start <= start && start < r.end) {
            continue;
        }
        // Part of a word, a time (9:00), a decimal (96.5), a date (2026-10-01)
        // or a version: not an amount.
        let prev = text[..start].chars().next_back();
        let mut after = text[end_digits..].chars();
        let (next, next2) = (after.next(), after.next());
        // Letters of a script without spaces (投诉在15个工作日) do not join a word.
        if prev.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_'))
            || matches!(next, Some(':' | '%' | '/' | '_'))
            || (next == Some('.') && next2.is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        if before(text, start).ends_with('第') {
            continue;
        }
        let Ok(amount) = text[start..end_digits].parse::<u32>() else {
            continue;
        };
        let rest_at = end_digits
            + text[end_digits..]
                .char_indices()
                .find(|(_, c)| !(is_space(*c) || *c == '-'))
                .map_or(text.len() - end_digits, |(j, _)| j);
        let rest = &text[rest_at..];
        let mut hit = None;
        if let Some((word, unit)) = ZH_UNITS.iter().find(|(w, _)| rest.starts_with(w)) {
            let ok = match unit {
                Unit::CalendarDays if *word == "日" => {
                    !is_day_of_date(text, start) && !is_weekday_after(&text[rest_at + word.len()..])
                }
                Unit::Years => amount < 100,
                _ => true,
            };
            if ok {
                hit = Some((*unit, rest_at + word.len()));
            }
        } else {
            let word_len = |s: &str| {
                s.char_indices()
                    .find(|(_, c)| !c.is_ascii_alphabetic())
                    .map_or(s.len(), |(j, _)| j)
            };
            let n1 = word_len(rest);
            let first = rest[..n1].to_ascii_lowercase();
            let gap = rest[n1..]
                .char_indices()
                .find(|(_, c)| !(is_space(*c) || *c == '-'))
                .map_or(rest.len() - n1, |(j, _)| j);
            let second_at = n1 + gap;
            let n2 = word_len(&rest[second_at..]);
            let second = rest[second_at..second_at + n2].to_ascii_lowercase();
            if let Some((unit, two)) = en_unit(&first, &second)
                && (unit != Unit::Years || amount < 100)
            {
                let len = if two { second_at + n2 } else { n1 };
                hit = Some((unit, rest_at + len));
            }
        }
        if let Some((unit, end)) = hit {
            let value = match unit {
                Unit::WorkingDays => TypedValue::Limit(TimeLimit::working_days(amount)),
                Unit::WorkingHours => TypedValue::Limit(TimeLimit::working_hours(amount)),
                Unit::CalendarDays => TypedValue::Limit(TimeLimit::calendar_days(amount)),
                Unit::Hours => TypedValue::Limit(TimeLimit::hours(amount)),
                Unit::Minutes => TypedValue::Limit(TimeLimit::minutes(amount)),
                Unit::Years => TypedValue::Years(amount),
            };
            found.push(Typed {
                range: start..end,
                value,
            });
            i = end;
        }
    }
    found
}

/// An opening or closing time of the office typed on a page ("9:00",
/// "18:00"), with the reference that shows it; a typed range of both
/// ("9:00—18:00") is one finding, answered by `calendar.hours`. Other
/// times of day are not the rulebook's and pass.
pub fn find_office_times(
    text: &str,
    skip: &[Range<usize>],
    rules: &Rulebook,
) -> Vec<(Range<usize>, &'static str)> {
    let opens = rules.calendar.opens;
    let closes = rules.calendar.closes;
    let times = clock_times(text, skip);
    let mut found = Vec::new();
    let mut i = 0;
    while i < times.len() {
        let (range, t) = times[i].clone();
        if let Some((next, u)) = times.get(i + 1)
            && t == opens
            && *u == closes
            && text[range.end..next.start]
                .trim_matches(is_space)
                .chars()
                .all(|c| matches!(c, '—' | '–' | '-' | '~' | '～' | '至' | '到'))
            && !text[range.end..next.start]
                .trim_matches(is_space)
                .is_empty()
        {
            found.push((range.start..next.end, "calendar.hours"));
            i += 2;
            continue;
        }
        if t == opens {
            found.push((range, "calendar.opens"));
        } else if t == closes {
            found.push((range, "calendar.closes"));
        }
        i += 1;
    }
    found
}

/// Every `H:MM` of a text outside `skip`, with its time.
fn clock_times(text: &str, skip: &[Range<usize>]) -> Vec<(Range<usize>, chrono::NaiveTime)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let hour_digits = i - start;
        if hour_digits > 2 || bytes.get(i) != Some(&b':') {
            continue;
        }
        let minutes = i + 1;
        let end = minutes + 2;
        if end > bytes.len()
            || !bytes[minutes..end].iter().all(u8::is_ascii_digit)
            || bytes.get(end).is_some_and(u8::is_ascii_digit)
        {
            continue;
        }
        i = end;
        if skip.iter().any(|r| r.start <= start && start < r.end) {
            continue;
        }
        if let Ok(t) = chrono::NaiveTime::parse_from_str(&text[start..end], "%H:%M") {
            out.push((start..end, t));
        }
    }
    out
}

/// An evidence limit typed on a page ("10 MB", "5个文件", "5 files",
/// "40 megapixels"), with the references that show it. A count of files
/// or of pixels is found whatever its number: the word says it is about
/// evidence, and the rulebook has one rule of each. A size is found only
/// when it is one of the rulebook's evidence sizes, since other sizes (an
/// e-mail's attachment limit) are not the rulebook's.
pub fn find_evidence(
    text: &str,
    skip: &[Range<usize>],
    rules: &Rulebook,
) -> Vec<(Range<usize>, Vec<&'static str>)> {
    let sizes: Vec<(u64, &'static str)> = rules
        .evidence
        .iter()
        .flat_map(|e| {
            [
                (e.max_file_bytes, "evidence.max_file_size"),
                (e.max_total_bytes, "evidence.max_total_size"),
            ]
        })
        .collect();
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = text[start..i].trim_end_matches('.');
        let end_number = start + number.len();
        let prev = text[..start].chars().next_back();
        if skip.iter().any(|r| r.start <= start && start < r.end)
            || prev.is_some_and(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-')
            })
            || before(text, start).ends_with('第')
        {
            continue;
        }
        let Ok(amount) = number.parse::<f64>() else {
            continue;
        };
        let rest_at = end_number
            + text[end_number..]
                .char_indices()
                .find(|(_, c)| !(is_space(*c) || *c == '-'))
                .map_or(text.len() - end_number, |(j, _)| j);
        let Some((unit, len)) = evidence_unit(&text[rest_at..]) else {
            continue;
        };
        let whole = number.parse::<u64>().ok();
        let paths: Vec<&'static str> = match unit {
            EvidenceUnit::Bytes(per) => {
                let typed = (amount * per as f64).round() as u64;
                sizes
                    .iter()
                    .filter(|(b, _)| *b == typed)
                    .map(|(_, p)| *p)
                    .collect()
            }
            EvidenceUnit::Files if whole.is_some() => vec!["evidence.max_files"],
            EvidenceUnit::Pixels if whole.is_some() => vec!["evidence.max_megapixels"],
            _ => Vec::new(),
        };
        if !paths.is_empty() {
            found.push((start..rest_at + len, paths));
            i = rest_at + len;
        }
    }
    found
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EvidenceUnit {
    /// A size; bytes per unit.
    Bytes(u64),
    Files,
    Pixels,
}

/// The evidence unit a text starts with, and its length.
fn evidence_unit(rest: &str) -> Option<(EvidenceUnit, usize)> {
    const ZH: &[(&str, EvidenceUnit)] = &[
        ("兆字节", EvidenceUnit::Bytes(1_000_000)),
        ("兆", EvidenceUnit::Bytes(1_000_000)),
        ("千字节", EvidenceUnit::Bytes(1_000)),
        ("万像素", EvidenceUnit::Pixels),
        ("百万像素", EvidenceUnit::Pixels),
    ];
    if let Some((word, unit)) = ZH.iter().find(|(w, _)| rest.starts_with(w)) {
        return Some((*unit, word.len()));
    }
    // A count of files: an optional measure word, then the thing.
    let counted = ["个", "份", "张"]
        .iter()
        .find_map(|m| rest.strip_prefix(m))
        .unwrap_or(rest);
    let measure = rest.len() - counted.len();
    for thing in ["文件", "附件", "照片", "图片"] {
        if counted.starts_with(thing) {
            return Some((EvidenceUnit::Files, measure + thing.len()));
        }
    }
    let n = rest
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(rest.len(), |(j, _)| j);
    let word = rest[..n].to_ascii_lowercase();
    let unit = match word.as_str() {
        // Not a bare "M" or "k": "10 m" is a distance.
        "mb" => EvidenceUnit::Bytes(1_000_000),
        "kb" => EvidenceUnit::Bytes(1_000),
        "file" | "files" | "photo" | "photos" | "image" | "images" | "attachment"
        | "attachments" => EvidenceUnit::Files,
        "megapixel" | "megapixels" | "mp" => EvidenceUnit::Pixels,
        _ => return None,
    };
    Some((unit, n))
}

/// Every rule of the rulebook a page may state, by its reference path.
pub fn rule_values(rules: &Rulebook) -> Vec<(String, TypedValue)> {
    let mut out = Vec::new();
    for t in &rules.case_types {
        for kind in DeadlineKind::ALL {
            if let Some(l) = t.limits.get(kind) {
                out.push((
                    format!("case_types.{}.{}", t.id, kind.key()),
                    TypedValue::Limit(l),
                ));
            }
        }
        if let Some(l) = t.max_extension {
            out.push((
                format!("case_types.{}.max_extension", t.id),
                TypedValue::Limit(l),
            ));
        }
        if let Some(l) = t.answer_wait {
            out.push((
                format!("case_types.{}.answer_wait", t.id),
                TypedValue::Limit(l),
            ));
        }
    }
    for s in &rules.severities {
        for kind in DeadlineKind::ALL {
            if let Some(l) = s.limits.get(kind) {
                out.push((
                    format!("severities.{}.{}", s.id, kind.key()),
                    TypedValue::Limit(l),
                ));
            }
        }
    }
    out.push((
        "office.reroute_within".into(),
        TypedValue::Limit(rules.office.reroute_within),
    ));
    out.push((
        "reminders.before".into(),
        TypedValue::Limit(rules.reminders.before),
    ));
    out.push((
        "follow_up.after".into(),
        TypedValue::Limit(rules.follow_up.after),
    ));
    out.push((
        "follow_up.open_for".into(),
        TypedValue::Limit(rules.follow_up.open_for),
    ));
    out.push((
        "extensions.max".into(),
        TypedValue::Limit(rules.extensions.max),
    ));
    out.push((
        "retention.years".into(),
        TypedValue::Years(rules.retention.years),
    ));
    out
}

/// What `hotline check` says about one typed rule: the message and what to write instead.
pub fn explain(rules: &Rulebook, typed_text: &str, value: TypedValue) -> (String, String) {
    let message = format!(
        "`{typed_text}` is a rule typed on the page; pages take rules from content/rules.toml"
    );
    let matches: Vec<String> = rule_values(rules)
        .into_iter()
        .filter(|(_, v)| *v == value)
        .map(|(path, _)| format!("`{{{{ {path} }}}}`"))
        .collect();
    let hint = match matches.as_slice() {
        [] => format!(
            "no rule in content/rules.toml says {typed_text}: add the rule there and refer to it \
             (e.g. `{{{{ case_types.complaint.complete }}}}`; the README lists the references), \
             or mark a worked example as `{{{{ {EXAMPLE} {typed_text} }}}}`"
        ),
        [one] => format!("write {one}, the rulebook's value"),
        many => {
            let shown = many.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
            let more = if many.len() > 4 {
                format!(" (or {} more)", many.len() - 4)
            } else {
                String::new()
            };
            format!("write the reference to the rule meant: {shown}{more}")
        }
    };
    (message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        find(text, &[])
            .into_iter()
            .map(|t| &text[t.range])
            .collect()
    }

    #[test]
    fn rule_words_in_both_languages_are_found() {
        assert_eq!(
            texts("投诉在15个工作日内办结，1 小时内转交，10 分钟，保存 3 年，延长 30 日，5 天。"),
            ["15个工作日", "1 小时", "10 分钟", "3 年", "30 日", "5 天"]
        );
        assert_eq!(
            texts(
                "within 2 working days, 24 hours a day, a 3-minute walk, 30 calendar days, 3 years"
            ),
            [
                "2 working days",
                "24 hours",
                "3-minute",
                "30 calendar days",
                "3 years"
            ]
        );
        assert_eq!(
            find("15个工作日", &[])[0].value,
            TypedValue::Limit(TimeLimit::working_days(15))
        );
    }

    #[test]
    fn the_offices_hours_typed_are_found_and_other_times_pass() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/rules.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let rules = casework::rules::parse_rules(std::path::Path::new("r.toml"), &text)
            .unwrap()
            .0;
        let opens = rules.calendar.opens.format("%-H:%M").to_string();
        let closes = rules.calendar.closes.format("%-H:%M").to_string();
        let page = format!("工作日 {opens}—{closes}；{opens} 开门，{closes} 下班；7:15 早班车");
        let found: Vec<(&str, &str)> = find_office_times(&page, &[], &rules)
            .into_iter()
            .map(|(r, path)| (&page[r], path))
            .collect();
        let range = format!("{opens}—{closes}");
        assert_eq!(
            found,
            [
                (range.as_str(), "calendar.hours"),
                (opens.as_str(), "calendar.opens"),
                (closes.as_str(), "calendar.closes")
            ]
        );
    }

    fn sample() -> Rulebook {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/rules.toml");
        let text = std::fs::read_to_string(path).unwrap();
        casework::rules::parse_rules(std::path::Path::new("r.toml"), &text)
            .unwrap()
            .0
    }

    #[test]
    fn evidence_limits_typed_are_found_with_their_reference() {
        let mut rules = sample();
        let e = rules.evidence.as_mut().expect("the sample takes evidence");
        e.max_file_bytes = 10_000_000;
        e.max_total_bytes = 25_000_000;
        let page = "最多5个文件，每个 10 MB，合计25MB；up to 5 files, 3 photos, 25 MB in all; 图片 4000万像素, 40 megapixels; 10000 KB; 1 张照片";
        let found: Vec<(&str, Vec<&str>)> = find_evidence(page, &[], &rules)
            .into_iter()
            .map(|(r, paths)| (&page[r], paths))
            .collect();
        assert_eq!(
            found,
            [
                ("5个文件", vec!["evidence.max_files"]),
                ("10 MB", vec!["evidence.max_file_size"]),
                ("25MB", vec!["evidence.max_total_size"]),
                ("5 files", vec!["evidence.max_files"]),
                ("3 photos", vec!["evidence.max_files"]),
                ("25 MB", vec!["evidence.max_total_size"]),
                ("4000万像素", vec!["evidence.max_megapixels"]),
                ("40 megapixels", vec!["evidence.max_megapixels"]),
                ("10000 KB", vec!["evidence.max_file_size"]),
                ("1 张照片", vec!["evidence.max_files"]),
            ]
        );
    }

    #[test]
    fn other_sizes_and_words_are_not_evidence_limits() {
        let rules = sample();
        for text in [
            "单封邮件附件合计请不超过 20 MB",
            "5 representatives, 3 MBA students, v10.5 MB",
            "第 2 个文件",
            "2026-10-01 files",
        ] {
            assert_eq!(find_evidence(text, &[], &rules), Vec::new(), "{text}");
        }
        let mut without = sample();
        without.evidence = None;
        assert_eq!(find_evidence("10 MB", &[], &without), Vec::new());
    }

    #[test]
    fn dates_times_ordinals_and_skipped_text_are_not_rules() {
        for text in [
            "2026 年 9 月 30 日（星期三）",
            "10 月 1 日至 7 日是假期",
            "9 月 20 日和 10 月 10 日",
            "9 日（星期五）是第 2 个",
            "第 1 个工作日",
            "9:00—18:00",
            "96.5% 以上",
            "Thursday 8 October is working day 1",
            "20 MB, 15 seconds, 5 representatives, 2026-10-01",
        ] {
            assert_eq!(texts(text), Vec::<&str>::new(), "{text}");
        }
        let text = "`15个工作日` 与 15个工作日";
        let code = 0..text.find(' ').unwrap();
        let found = find(text, std::slice::from_ref(&code));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].range.start, text.rfind("15").unwrap());
    }
}
