//! Rule references: what a page writes instead of typing a rule.
//!
//! `{{ case_types.complaint.complete }}` in a page's Markdown (or in a
//! front-matter text such as a channel's `hours`) is replaced, when the
//! page is loaded, by the rulebook's value in the page's language, worded
//! by the same casework functions that enforce it ("15个工作日", "15
//! working days"). The paths follow `content/rules.toml`; [`PATHS`] lists
//! them. A list reference alone on its line (`{{ categories }}`) becomes a
//! Markdown list; inside a sentence, its names joined.
//!
//! `{{ example: 3 个工作日 }}` is the one escape: its text is shown as
//! written and the typed-rule check ([`crate::typed_rules`]) leaves it
//! alone, for worked examples whose numbers illustrate, not promise.
//!
//! Not here: where the references are found in a page and reported
//! (`Site::load`), or the check for rules typed by hand.
//!
//! Why this file is long: [`resolve`] answers every path of [`PATHS`]
//! (time limits, calendar, lists, survey, evidence) in both languages, and
//! the wording helpers it shares with the templates live beside it.

use casework::rules::DeadlineKind;
use casework::{Lang, Rulebook, TimeLimit};
use std::ops::Range;

/// Every reference a page can write, for hints and the README.
pub const PATHS: &[&str] = &[
    "office.name",
    "office.hotline",
    "calendar.working_days",
    "calendar.opens",
    "calendar.closes",
    "calendar.hours",
    "calendar.years.YYYY",
    "calendar.years.YYYY.make_up_working_days",
    "case_types",
    "case_types.ID.name",
    "case_types.ID.accept (forward, reply, complete)",
    "case_types.ID.max_extension",
    "case_types.ID.answer_wait",
    "severities",
    "severities.ID.name",
    "severities.ID.forward (accept, reply, complete)",
    "categories",
    "categories.ID.name",
    "channels",
    "reminders.before",
    "follow_up.after",
    "follow_up.open_for",
    "follow_up.when_unsatisfied",
    "extensions.max",
    "extensions.approver",
    "office.reroute_within",
    "case_types.ID.raise_unresolved",
    "statistics.working_day",
    "retention.years",
    "survey.answers",
    "survey.unsatisfied",
    "survey.satisfied",
    "evidence.max_files",
    "evidence.max_file_size",
    "evidence.max_total_size",
    "evidence.types",
    "evidence.max_megapixels",
    "text_messages.hours",
];

/// The escape for worked examples: `{{ example: … }}`.
pub const EXAMPLE: &str = "example:";

/// One `{{ … }}` in a text: where it is, and what is between the braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    /// From the first `{` to the last `}`.
    pub range: Range<usize>,
    /// The trimmed text between the braces.
    pub inner: &'a str,
}

/// Every `{{ … }}` of a text, outside the `skip` ranges (code). A
/// reference does not span lines.
pub fn find<'a>(text: &'a str, skip: &[Range<usize>]) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let start = from + i;
        let line_end = text[start..].find('\n').map_or(text.len(), |j| start + j);
        let Some(j) = text[start + 2..line_end].find("}}") else {
            from = start + 2;
            continue;
        };
        let end = start + 2 + j + 2;
        if skip.iter().any(|r| r.start <= start && start < r.end) {
            from = start + 2;
            continue;
        }
        found.push(Found {
            range: start..end,
            inner: text[start + 2..end - 2].trim(),
        });
        from = end;
    }
    found
}

/// What a reference stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// Items (name, description); `ordered` for a numbered list.
    List {
        items: Vec<(String, Option<String>)>,
        ordered: bool,
    },
}

/// Why a reference cannot be shown: what is wrong, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    pub message: String,
    pub hint: String,
}

fn error(message: impl Into<String>, hint: impl Into<String>) -> RefError {
    RefError {
        message: message.into(),
        hint: hint.into(),
    }
}

fn one_of(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn every_path() -> String {
    format!("write one of {}", one_of(PATHS))
}

fn text(s: impl Into<String>) -> Result<Value, RefError> {
    Ok(Value::Text(s.into()))
}

fn limit(l: TimeLimit, lang: Lang) -> Result<Value, RefError> {
    text(l.localized(lang))
}

/// How a clock time is published: `9:00`, `18:00`.
pub fn clock(t: chrono::NaiveTime) -> String {
    t.format("%-H:%M").to_string()
}

/// The office's opening hours as published, e.g. `9:00—18:00`.
pub fn opening_hours(rules: &Rulebook, lang: Lang) -> String {
    let dash = lang.pick("—", "–");
    format!(
        "{}{dash}{}",
        clock(rules.calendar.opens),
        clock(rules.calendar.closes)
    )
}

/// The ordinary working weekdays as published: a run of days as "周一至周五".
pub fn working_days(rules: &Rulebook, lang: Lang) -> String {
    use chrono::Weekday;
    let names = |d: Weekday| {
        let i = d.num_days_from_monday() as usize;
        lang.pick(
            ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][i],
            [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ][i],
        )
    };
    let mut days: Vec<Weekday> = rules.calendar.working_weekdays.clone();
    days.sort_by_key(|d| d.num_days_from_monday());
    days.dedup();
    let run = days.len() > 2
        && days
            .windows(2)
            .all(|w| w[1].num_days_from_monday() == w[0].num_days_from_monday() + 1);
    match (run, days.first(), days.last()) {
        (true, Some(first), Some(last)) => {
            format!(
                "{}{}{}",
                names(*first),
                lang.pick("至", " to "),
                names(*last)
            )
        }
        _ => join(days.into_iter().map(names), lang),
    }
}

/// Names joined as a sentence lists them.
pub fn join<S: AsRef<str>>(names: impl IntoIterator<Item = S>, lang: Lang) -> String {
    names
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

/// What happens to a case whose complainant is not satisfied.
pub fn when_unsatisfied(rules: &Rulebook, lang: Lang) -> String {
    use casework::rules::WhenUnsatisfied;
    match rules.follow_up.when_unsatisfied {
        WhenUnsatisfied::Reopen => lang
            .pick(
                "案件重新办理，并提高一级督办",
                "the case is opened again and handled one escalation level higher",
            )
            .to_string(),
        WhenUnsatisfied::Escalate => lang
            .pick(
                "案件直接提交上一级督办",
                "the case goes straight to the next escalation level",
            )
            .to_string(),
    }
}

/// How long closed cases are kept, as published: "3年", "3 years".
pub fn retention(rules: &Rulebook, lang: Lang) -> String {
    let n = rules.retention.years;
    match lang {
        Lang::Zh => format!("{n}年"),
        Lang::En if n == 1 => "1 year".to_string(),
        Lang::En => format!("{n} years"),
    }
}

/// How many files, as published: "5个文件", "5 files".
pub fn file_count(n: u32, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{n}个文件"),
        Lang::En if n == 1 => "1 file".to_string(),
        Lang::En => format!("{n} files"),
    }
}

/// A pixel limit in megapixels, as published: "4000万像素", "40 megapixels".
pub fn megapixels(n: u64, lang: Lang) -> String {
    match lang {
        // Chinese counts pixels in 万 (ten thousand): 1 megapixel = 100万.
        Lang::Zh => format!("{}万像素", n * 100),
        Lang::En if n == 1 => "1 megapixel".to_string(),
        Lang::En => format!("{n} megapixels"),
    }
}

fn theme_string(strings: &toml::Table, lang: Lang, key: &str) -> String {
    strings
        .get(lang.code())
        .and_then(|t| t.get(key))
        .and_then(|v| v.as_str())
        .unwrap_or(key)
        .to_string()
}

/// The kinds of file taken, as a phrase of the page's language, worded
/// in `strings.toml`: "JPEG、PNG 图片或 PDF 文件", "JPEG or PNG images, or
/// PDF files".
pub fn evidence_types(types: &[casework::rules::EvidenceType], lang: Lang) -> String {
    let strings = crate::theme::strings();
    let s = |key: &str| theme_string(&strings, lang, key);
    let names = |image: bool| -> Vec<String> {
        types
            .iter()
            .filter(|t| t.is_image() == image)
            .map(|t| s(&format!("evidence_type_{}", t.id())))
            .collect()
    };
    let or = s("evidence_or");
    let list = |names: Vec<String>| match lang {
        Lang::Zh => names.join("、"),
        Lang::En => match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} {or} {last}", rest.join(", ")),
        },
    };
    let (images, documents) = (names(true), names(false));
    let many_images = images.len() > 1;
    let groups: Vec<String> = [
        (images, "evidence_images"),
        (documents, "evidence_documents"),
    ]
    .into_iter()
    .filter(|(names, _)| !names.is_empty())
    .map(|(names, key)| s(key).replace("{list}", &list(names)))
    .collect();
    // English sets the groups apart with a comma when the first already has an "or".
    // Chinese keeps a space before the (Latin) type names that follow.
    let between = match lang {
        Lang::Zh => format!("{or} "),
        Lang::En if many_images => format!(", {or} "),
        Lang::En => format!(" {or} "),
    };
    groups.join(&between)
}

/// The rulebook's value for a reference path, in `lang`.
pub fn resolve(rules: &Rulebook, path: &str, lang: Lang) -> Result<Value, RefError> {
    let parts: Vec<&str> = path.split('.').map(str::trim).collect();
    let steps = || one_of(DeadlineKind::ALL.iter().map(|k| k.key()));
    let kind_of = |key: &str| DeadlineKind::ALL.into_iter().find(|k| k.key() == key);
    match parts.as_slice() {
        ["office", "name"] => text(rules.office.name.get(lang)),
        ["office", "hotline"] => text(&rules.office.hotline),
        ["calendar", "opens"] => text(clock(rules.calendar.opens)),
        ["calendar", "closes"] => text(clock(rules.calendar.closes)),
        ["calendar", "hours"] => text(opening_hours(rules, lang)),
        ["calendar", "working_days"] => text(working_days(rules, lang)),
        ["calendar", "years", year, rest @ ..] => {
            let known = || {
                format!(
                    "write one of {}, or add the year under `[calendar.years]` in content/rules.toml",
                    one_of(
                        rules
                            .calendar
                            .years
                            .keys()
                            .map(|y| format!("calendar.years.{y}"))
                    )
                )
            };
            let Some((year, y)) = year
                .parse::<i32>()
                .ok()
                .and_then(|n| rules.calendar.years.get(&n).map(|y| (n, y)))
            else {
                return Err(error(
                    format!("the rulebook's calendar has no year `{year}`"),
                    known(),
                ));
            };
            let mark = if y.provisional {
                lang.pick("（暂定）", " (provisional)")
            } else {
                ""
            };
            match rest {
                [] => Ok(Value::List {
                    items: y
                        .holidays
                        .iter()
                        .map(|h| {
                            let (first, last) = (
                                crate::rules_view::date_view(h.first, lang).text,
                                crate::rules_view::date_view(h.last, lang).text,
                            );
                            (
                                h.name.get(lang).to_string(),
                                Some(format!("{first}{}{last}{mark}", lang.pick("至", " to "))),
                            )
                        })
                        .collect(),
                    ordered: false,
                }),
                ["make_up_working_days"] => {
                    let days = y
                        .make_up_working_days
                        .iter()
                        .map(|d| crate::rules_view::date_view(*d, lang).text);
                    text(format!("{}{mark}", join(days, lang)))
                }
                _ => Err(error(
                    format!("`calendar.years.{year}` has no `{}`", rest.join(".")),
                    format!(
                        "write `calendar.years.{year}` (its holidays) or `calendar.years.{year}.make_up_working_days`"
                    ),
                )),
            }
        }
        ["case_types"] => Ok(Value::List {
            items: rules
                .case_types
                .iter()
                .map(|t| {
                    (
                        t.name.get(lang).to_string(),
                        Some(t.description.get(lang).to_string()),
                    )
                })
                .collect(),
            ordered: false,
        }),
        ["severities"] => Ok(Value::List {
            items: rules
                .severities
                .iter()
                .map(|s| (s.name.get(lang).to_string(), None))
                .collect(),
            ordered: false,
        }),
        ["categories"] => Ok(Value::List {
            items: rules
                .categories
                .iter()
                .map(|c| {
                    (
                        c.name.get(lang).to_string(),
                        Some(c.description.get(lang).to_string()),
                    )
                })
                .collect(),
            ordered: false,
        }),
        ["channels"] => Ok(Value::List {
            items: casework::channel::Channel::ALL
                .iter()
                .map(|c| (c.name().get(lang).to_string(), None))
                .collect(),
            ordered: false,
        }),
        ["survey", "answers"] => Ok(Value::List {
            items: casework::notices::RATINGS
                .iter()
                .map(|r| {
                    (
                        casework::notices::rating_label(*r).get(lang).to_string(),
                        None,
                    )
                })
                .collect(),
            ordered: true,
        }),
        ["survey", "unsatisfied"] => text(casework::notices::answers_named(
            &rules.follow_up.unsatisfied,
            true,
            lang,
        )),
        ["survey", "satisfied"] => text(casework::notices::answers_named(
            &rules.follow_up.satisfied,
            false,
            lang,
        )),
        ["case_types", id, rest @ ..] => {
            let Some(t) = rules.case_type(id) else {
                return Err(error(
                    format!("the rulebook has no case type `{id}`"),
                    format!(
                        "write one of {}",
                        one_of(rules.case_types.iter().map(|t| t.id.as_str()))
                    ),
                ));
            };
            match rest {
                ["name"] => text(t.name.get(lang)),
                ["description"] => text(t.description.get(lang)),
                ["max_extension"] => limit(rules.max_extension(t), lang),
                ["answer_wait"] => match t.answer_wait {
                    Some(l) => limit(l, lang),
                    None => Err(error(
                        format!("the case type `{id}` sets no `answer_wait`"),
                        "add `answer_wait = \"10 working days\"` to it in content/rules.toml",
                    )),
                },
                // "30 calendar days ... major": when and to what.
                ["raise_unresolved"] => match &t.raise_unresolved {
                    Some(r) => {
                        let to = rules
                            .severity(r.to.as_str())
                            .map(|s| s.name.get(lang).to_string())
                            .unwrap_or_else(|| r.to.to_string());
                        text(match lang {
                            Lang::Zh => {
                                format!("{}后仍未办结的，升为“{to}”", r.after.localized(lang))
                            }
                            Lang::En => format!(
                                "still open {} after it came in, it becomes \"{to}\"",
                                r.after.localized(lang)
                            ),
                        })
                    }
                    None => Err(error(
                        format!("the case type `{id}` sets no `raise_unresolved`"),
                        "add `raise_unresolved = { to = \"major\", after = \"30 calendar days\" }` to it in content/rules.toml",
                    )),
                },
                [key] if kind_of(key).is_some() => {
                    let kind = kind_of(key).expect("checked");
                    match t.limits.get(kind) {
                        Some(l) => limit(l, lang),
                        None => Err(error(
                            format!("the case type `{id}` sets no `{key}` limit"),
                            set_limits(&t.limits, &format!("case_types.{id}")),
                        )),
                    }
                }
                _ => Err(error(
                    format!("`case_types.{id}` has no `{}`", rest.join(".")),
                    format!(
                        "write `case_types.{id}.` and one of `name`, `description`, `max_extension`, `answer_wait`, {}",
                        steps()
                    ),
                )),
            }
        }
        ["severities", id, rest @ ..] => {
            let Some(s) = rules.severity(id) else {
                return Err(error(
                    format!("the rulebook has no severity `{id}`"),
                    format!(
                        "write one of {}",
                        one_of(rules.severities.iter().map(|s| s.id.as_str()))
                    ),
                ));
            };
            match rest {
                ["name"] => text(s.name.get(lang)),
                ["description"] => text(s.description.get(lang)),
                [key] if kind_of(key).is_some() => {
                    let kind = kind_of(key).expect("checked");
                    match s.limits.get(kind) {
                        Some(l) => limit(l, lang),
                        None => Err(error(
                            format!("the severity `{id}` sets no `{key}` limit"),
                            set_limits(&s.limits, &format!("severities.{id}")),
                        )),
                    }
                }
                _ => Err(error(
                    format!("`severities.{id}` has no `{}`", rest.join(".")),
                    format!(
                        "write `severities.{id}.` and one of `name`, `description`, {}",
                        steps()
                    ),
                )),
            }
        }
        ["categories", id, rest @ ..] => {
            let Some(c) = rules.category(id) else {
                return Err(error(
                    format!("the rulebook has no category `{id}`"),
                    format!(
                        "write one of {}",
                        one_of(rules.categories.iter().map(|c| c.id.as_str()))
                    ),
                ));
            };
            match rest {
                ["name"] => text(c.name.get(lang)),
                ["description"] => text(c.description.get(lang)),
                _ => Err(error(
                    format!("`categories.{id}` has no `{}`", rest.join(".")),
                    format!("write `categories.{id}.name` or `categories.{id}.description`"),
                )),
            }
        }
        ["reminders", "before"] => limit(rules.reminders.before, lang),
        ["follow_up", "after"] => limit(rules.follow_up.after, lang),
        ["follow_up", "open_for"] => limit(rules.follow_up.open_for, lang),
        ["follow_up", "when_unsatisfied"] => text(when_unsatisfied(rules, lang)),
        ["extensions", "max"] => limit(rules.extensions.max, lang),
        // Who approves: a department's name; without one, the department
        // that handles the case decides itself.
        // A severity that names its own approver is said after the rest:
        // "the centre (major cases: the director's office)".
        ["extensions", "approver"] => {
            let name = |id: Option<&casework::rules::DepartmentId>| match id
                .and_then(|a| rules.department(a.as_str()))
            {
                Some(d) => d.name.get(lang).to_string(),
                None => lang.pick("承办部门", "the handling department").to_string(),
            };
            let general = name(rules.extensions.approver.as_ref());
            let own: Vec<String> = rules
                .severities
                .iter()
                .filter(|s| {
                    s.extension_approver.is_some()
                        && s.extension_approver != rules.extensions.approver
                })
                .map(|s| match lang {
                    Lang::Zh => format!(
                        "{}诉求由{}",
                        s.name.get(lang),
                        name(s.extension_approver.as_ref())
                    ),
                    Lang::En => format!(
                        "{} cases: {}",
                        s.name.get(lang).to_lowercase(),
                        name(s.extension_approver.as_ref())
                    ),
                })
                .collect();
            text(if own.is_empty() {
                general
            } else {
                match lang {
                    Lang::Zh => format!("{general}（{}）", own.join("；")),
                    Lang::En => format!("{general} ({})", own.join("; ")),
                }
            })
        }
        ["office", "reroute_within"] => limit(rules.office.reroute_within, lang),
        ["statistics", "working_day"] => text(match (lang, rules.statistics.working_day) {
            (Lang::Zh, n) => format!("第{n}个工作日"),
            (Lang::En, 1) => "first working day".to_string(),
            (Lang::En, 2) => "second working day".to_string(),
            (Lang::En, 3) => "third working day".to_string(),
            (Lang::En, n) => format!("{n}th working day"),
        }),
        ["retention", "years"] => text(retention(rules, lang)),
        ["evidence", key] => {
            let Some(e) = &rules.evidence else {
                return Err(error(
                    "the rulebook takes no evidence: it has no `[evidence]` section",
                    "add `[evidence]` to content/rules.toml (see the comments there), or say in words that files are not taken",
                ));
            };
            match *key {
                "max_files" => text(file_count(e.max_files, lang)),
                "max_file_size" => text(casework::rules::format_bytes(e.max_file_bytes)),
                "max_total_size" => text(casework::rules::format_bytes(e.max_total_bytes)),
                "types" => text(evidence_types(&e.types, lang)),
                "max_megapixels" => text(megapixels(e.max_megapixels(), lang)),
                _ => Err(error(
                    format!("`evidence` has no `{key}`"),
                    "write one of `evidence.max_files`, `evidence.max_file_size`, `evidence.max_total_size`, `evidence.types`, `evidence.max_megapixels`",
                )),
            }
        }
        // The hours texts go out in; a page that names them promises texts,
        // so without the section the reference is an error, not a blank.
        ["text_messages", "hours"] => {
            let Some(t) = &rules.text_messages else {
                return Err(error(
                    "the rulebook sends no text messages: it has no `[text_messages]` section",
                    "add `[text_messages]` to content/rules.toml (see the comments there), or take out what the page says about texts",
                ));
            };
            text(format!(
                "{}–{}",
                t.send_from.format("%H:%M"),
                t.send_until.format("%H:%M")
            ))
        }
        _ => Err(error(
            format!("`{path}` is not a rule the pages can refer to"),
            every_path(),
        )),
    }
}

fn set_limits(limits: &casework::rules::Limits, prefix: &str) -> String {
    let set: Vec<String> = DeadlineKind::ALL
        .iter()
        .filter(|k| limits.get(**k).is_some())
        .map(|k| format!("{prefix}.{}", k.key()))
        .collect();
    if set.is_empty() {
        format!("`{prefix}` sets no limit; say so in words, or set one in content/rules.toml")
    } else {
        format!(
            "write one it sets: {}, or set the limit in content/rules.toml",
            one_of(set)
        )
    }
}

/// Backslash-escapes Markdown's punctuation, so a rulebook text is shown as written.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value as Markdown: a list when `block` (the reference is alone on
/// its line), else one line of text.
pub fn to_markdown(value: &Value, lang: Lang, block: bool, indent: &str) -> String {
    match value {
        Value::Text(s) => escape_markdown(s),
        Value::List { items, ordered } if block => {
            let mut out = String::new();
            for (i, (name, description)) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(indent);
                }
                if *ordered {
                    out.push_str(&format!("{}. ", i + 1));
                } else {
                    out.push_str("- ");
                }
                match description {
                    Some(d) => out.push_str(&format!(
                        "**{}**{}{}",
                        escape_markdown(name),
                        lang.pick("：", ": "),
                        escape_markdown(d)
                    )),
                    None => out.push_str(&escape_markdown(name)),
                }
            }
            out
        }
        Value::List { items, .. } => {
            escape_markdown(&join(items.iter().map(|(name, _)| name.as_str()), lang))
        }
    }
}

/// A value as plain text (front matter, which is not Markdown).
pub fn to_plain(value: &Value, lang: Lang) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::List { items, .. } => join(items.iter().map(|(name, _)| name.as_str()), lang),
    }
}

/// A reference that could not be shown, at its place in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub at: usize,
    pub error: RefError,
}

/// Replaces every reference of a Markdown `body` (outside `skip`, its
/// code) by its value in `lang`; `Err` has every reference that failed.
pub fn expand_markdown(
    rules: &Rulebook,
    body: &str,
    skip: &[Range<usize>],
    lang: Lang,
) -> Result<String, Vec<Located>> {
    expand(body, skip, |found| {
        let line_start = body[..found.range.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = body[found.range.end..]
            .find('\n')
            .map_or(body.len(), |i| found.range.end + i);
        let before = &body[line_start..found.range.start];
        let alone = before.trim().is_empty() && body[found.range.end..line_end].trim().is_empty();
        resolve(rules, found.inner, lang).map(|v| to_markdown(&v, lang, alone, before))
    })
}

/// Replaces every reference of a front-matter text by its value, as plain text.
pub fn expand_plain(rules: &Rulebook, text: &str, lang: Lang) -> Result<String, Vec<Located>> {
    expand(text, &[], |found| {
        resolve(rules, found.inner, lang).map(|v| to_plain(&v, lang))
    })
}

fn expand(
    text: &str,
    skip: &[Range<usize>],
    mut value: impl FnMut(&Found<'_>) -> Result<String, RefError>,
) -> Result<String, Vec<Located>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut last = 0;
    for found in find(text, skip) {
        out.push_str(&text[last..found.range.start]);
        last = found.range.end;
        if let Some(example) = found.inner.strip_prefix(EXAMPLE) {
            out.push_str(example.trim());
            continue;
        }
        match value(&found) {
            Ok(v) => out.push_str(&v),
            Err(error) => errors.push(Located {
                at: found.range.start,
                error,
            }),
        }
    }
    out.push_str(&text[last..]);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rulebook {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../content/rules.toml")
            .canonicalize()
            .unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        casework::rules::parse_rules(std::path::Path::new("content/rules.toml"), &text)
            .unwrap()
            .0
    }

    #[test]
    fn a_limit_reads_as_the_calendar_counts_it_in_either_language() {
        let rules = rules();
        let t = rules.case_type("complaint").unwrap();
        let body = "限期 {{ case_types.complaint.complete }}。";
        assert_eq!(
            expand_markdown(&rules, body, &[], Lang::Zh).unwrap(),
            format!("限期 {}。", t.limits.complete.unwrap().to_zh())
        );
        assert_eq!(
            expand_markdown(&rules, "{{case_types.complaint.complete}}", &[], Lang::En).unwrap(),
            t.limits.complete.unwrap().to_en()
        );
    }

    #[test]
    fn a_list_alone_on_its_line_is_a_list_and_inline_its_names() {
        let rules = rules();
        let block = expand_markdown(&rules, "前\n\n{{ categories }}\n\n后", &[], Lang::Zh).unwrap();
        for c in &rules.categories {
            assert!(block.contains(&format!("- **{}**：", c.name.zh)), "{block}");
        }
        let inline = expand_markdown(&rules, "类型：{{ case_types }}。", &[], Lang::Zh).unwrap();
        let names: Vec<&str> = rules
            .case_types
            .iter()
            .map(|t| t.name.zh.as_str())
            .collect();
        assert_eq!(inline, format!("类型：{}。", names.join("、")));
    }

    #[test]
    fn code_and_examples_are_left_as_written() {
        let rules = rules();
        let body = "`{{ case_types.nothing.complete }}` and {{ example: 3 个工作日 }}";
        let code = 0..body.find(" and").unwrap();
        let skip = vec![code];
        assert_eq!(
            expand_markdown(&rules, body, &skip, Lang::Zh).unwrap(),
            "`{{ case_types.nothing.complete }}` and 3 个工作日"
        );
    }

    #[test]
    fn wrong_references_say_what_to_write() {
        let rules = rules();
        let body = "{{ case_types.complaints.complete }} {{ case_types.suggestion.complete }} {{ opening }}";
        let errors = expand_markdown(&rules, body, &[], Lang::Zh).unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].at, 0);
        assert!(errors[0].error.hint.contains("`complaint`"), "{errors:?}");
        assert!(
            errors[1]
                .error
                .hint
                .contains("`case_types.suggestion.reply`"),
            "{errors:?}"
        );
        assert!(
            errors[2].error.hint.contains("`calendar.hours`"),
            "{errors:?}"
        );
    }

    #[test]
    fn evidence_limits_read_in_the_pages_language() {
        use casework::rules::EvidenceType::{Jpeg, Pdf, Png};
        let rules = rules();
        let e = rules.evidence.clone().expect("the sample takes evidence");
        let body = "{{ evidence.max_files }} / {{ evidence.max_file_size }} / {{ evidence.max_total_size }} / {{ evidence.max_megapixels }}";
        assert_eq!(
            expand_markdown(&rules, body, &[], Lang::Zh).unwrap(),
            format!(
                "{}个文件 / {} / {} / {}万像素",
                e.max_files,
                casework::rules::format_bytes(e.max_file_bytes),
                casework::rules::format_bytes(e.max_total_bytes),
                e.max_pixels / 10_000
            )
        );
        assert_eq!(
            expand_markdown(&rules, "{{ evidence.max_files }}", &[], Lang::En).unwrap(),
            format!("{} files", e.max_files)
        );
        assert_eq!(file_count(1, Lang::En), "1 file");
        assert_eq!(
            evidence_types(&[Jpeg, Png, Pdf], Lang::Zh),
            "JPEG、PNG 图片或 PDF 文件"
        );
        assert_eq!(
            evidence_types(&[Jpeg, Png, Pdf], Lang::En),
            "JPEG or PNG images, or PDF files"
        );
        assert_eq!(
            evidence_types(&[Pdf, Jpeg], Lang::En),
            "JPEG images or PDF files"
        );
        assert_eq!(evidence_types(&[Png], Lang::Zh), "PNG 图片");
        assert_eq!(evidence_types(&[Pdf], Lang::En), "PDF files");
    }

    #[test]
    fn evidence_references_need_an_evidence_section() {
        let mut without = rules();
        without.evidence = None;
        let errors =
            expand_markdown(&without, "最多 {{ evidence.max_files }}", &[], Lang::Zh).unwrap_err();
        assert!(
            errors[0].error.message.contains("no `[evidence]`"),
            "{errors:?}"
        );
        let errors =
            expand_markdown(&rules(), "{{ evidence.max_size }}", &[], Lang::Zh).unwrap_err();
        assert!(
            errors[0].error.hint.contains("`evidence.max_file_size`"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_severitys_own_approver_is_named_after_the_general_one() {
        let mut rules = rules();
        let general = expand_markdown(&rules, "{{ extensions.approver }}", &[], Lang::En).unwrap();
        let major = rules
            .severities
            .iter_mut()
            .find(|s| s.id.as_str() == "major")
            .unwrap();
        major.extension_approver = Some(casework::rules::DepartmentId::new("water"));
        let water = rules.department("water").unwrap().name.clone();
        let en = expand_markdown(&rules, "{{ extensions.approver }}", &[], Lang::En).unwrap();
        // Compared without the Markdown escapes.
        let plain = |s: &str| s.replace('\\', "");
        assert_eq!(
            plain(&en),
            format!("{} (major cases: {})", plain(&general), water.get(Lang::En))
        );
        let zh = expand_markdown(&rules, "{{ extensions.approver }}", &[], Lang::Zh).unwrap();
        assert!(
            plain(&zh).ends_with(&format!("（重大诉求由{}）", water.get(Lang::Zh))),
            "{zh}"
        );
    }

    #[test]
    fn text_hours_come_from_the_rulebook_and_need_its_section() {
        let rules = rules();
        let t = rules.text_messages.clone().expect("the sample sends texts");
        let hours = format!(
            "{}–{}",
            t.send_from.format("%H:%M"),
            t.send_until.format("%H:%M")
        );
        assert_eq!(
            expand_markdown(&rules, "{{ text_messages.hours }}", &[], Lang::En).unwrap(),
            escape_markdown(&hours)
        );
        let mut without = rules.clone();
        without.text_messages = None;
        let errors =
            expand_markdown(&without, "短信 {{ text_messages.hours }}", &[], Lang::Zh).unwrap_err();
        assert!(
            errors[0].error.message.contains("no `[text_messages]`"),
            "{errors:?}"
        );
    }

    #[test]
    fn rulebook_text_cannot_become_markup() {
        assert_eq!(escape_markdown("a*b_[c]|d"), "a\\*b\\_\\[c\\]\\|d");
    }
}
