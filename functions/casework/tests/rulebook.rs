//! The rulebook as editors meet it: the bundled sample must be valid, and a
//! broken one must yield every mistake with its line and column.

use casework::rules::{DeadlineKind, parse_rules, parse_rules_at};
use casework::{Diagnostic, TimeLimit};
use std::path::Path;

const SAMPLE: &str = include_str!("../../../content/rules.toml");
const BROKEN: &str = include_str!("fixtures/broken-rules.toml");

fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

#[test]
fn the_bundled_rulebook_is_valid_and_complete() {
    let (rules, warnings) = match parse_rules(Path::new("content/rules.toml"), SAMPLE) {
        Ok(ok) => ok,
        Err(diagnostics) => panic!("the sample rulebook has errors:\n{diagnostics:#?}"),
    };
    let types: Vec<&str> = rules.case_types.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        types,
        [
            "consultation",
            "complaint",
            "report",
            "suggestion",
            "praise"
        ]
    );
    let complaint = rules.case_type("complaint").unwrap();
    assert_eq!(
        complaint.limits.get(DeadlineKind::Accept),
        Some(TimeLimit::working_days(1))
    );
    assert_eq!(
        complaint.limits.get(DeadlineKind::Complete),
        Some(TimeLimit::working_days(15))
    );
    assert_eq!(
        rules.case_type("consultation").unwrap().limits.complete,
        Some(TimeLimit::working_days(5))
    );
    let report = rules.case_type("report").unwrap();
    assert!(report.identity_withheld && report.anonymous_allowed);
    assert_eq!(report.limits.complete, Some(TimeLimit::working_days(30)));
    let severities: Vec<&str> = rules.severities.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(severities, ["minor", "important", "major"]);
    assert!(rules.severity("major").unwrap().notify_supervisor);
    assert!(rules.departments.len() >= 8);
    for category in &rules.categories {
        assert!(rules.department(category.department.as_str()).is_some());
    }
    assert_eq!(rules.calendar.years[&2026].holidays.len(), 7);
    assert_eq!(rules.calendar.years[&2026].make_up_working_days.len(), 6);
    assert!(rules.retention.years >= 2);
    // The only warning is the provisional 2027 calendar.
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].message.contains("2027"));
}

#[test]
fn a_broken_rulebook_reports_every_error_with_its_place() {
    let diagnostics = parse_rules(Path::new("rules.toml"), BROKEN).unwrap_err();
    let found = errors(&diagnostics);
    let expected = [
        // The impossible date is a syntax error; reading goes on.
        "10:25", // A negative time limit.
        "16:12", // A name with no Chinese text.
        "20:8",  // A category routed to a department that does not exist.
        "40:14", // An unknown key.
        "42:1",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (found, place) in found.iter().zip(expected) {
        assert!(
            found.starts_with(place),
            "expected an error at {place}, got {found}"
        );
    }
    let unknown_department = diagnostics
        .iter()
        .find(|d| d.message.contains("transprt"))
        .unwrap();
    let hint = unknown_department.hint.as_deref().unwrap();
    assert!(
        hint.contains("did you mean `transport`") || hint.contains("centre, housing"),
        "{hint}"
    );
    let unknown_key = diagnostics
        .iter()
        .find(|d| d.message.contains("colour"))
        .unwrap();
    assert!(
        unknown_key
            .hint
            .as_deref()
            .unwrap()
            .contains("default_severity")
    );
    assert!(
        diagnostics
            .iter()
            .all(|d| d.file == Path::new("rules.toml"))
    );
}

#[test]
fn each_kind_of_mistake_is_named() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[calendar]\ntime_zone = \"Asia/Shangai\"\n",
            "not an IANA time zone",
            "Asia/Shanghai",
        ),
        (
            "[calendar]\nopens = \"18:00\"\ncloses = \"09:00\"\n",
            "not after opening time",
            "09:00",
        ),
        ("[retention]\nyears = 1\n", "at least 2 years", "years = 2"),
        (
            "[follow_up]\nwhen_unsatisfied = \"ignore\"\n",
            "not a choice",
            "reopen",
        ),
        (
            "[reminders]\nbefore = \"3 fortnights\"\n",
            "not a time limit",
            "working days",
        ),
        (
            "[calendar.years.2026]\nholidays = [{ name = \"国庆\", from = 2026-10-07, to = 2026-10-01 }]\n",
            "ends",
            "on or after",
        ),
        (
            "[calendar.years.2026]\nmake_up_working_days = [2027-01-02]\n",
            "not in 2026",
            "calendar.years.2027",
        ),
        (
            "[office]\nname = \"x\"\ndepartment = \"centre\"\ntracking_prefix = \"ts1\"\n",
            "1 to 4 capital letters",
            "TS",
        ),
    ];
    let base = minimal_rules();
    for (extra, message, hint) in cases {
        let text = merge(&base, extra);
        let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
        let error = diagnostics
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("no error for {extra}"));
        assert!(
            error.message.contains(message),
            "{extra}: {}",
            error.message
        );
        assert!(
            error.hint.as_deref().unwrap_or("").contains(hint),
            "{extra}: {:?}",
            error.hint
        );
    }
}

#[test]
fn duplicate_ids_and_bad_ids_are_errors() {
    let text = minimal_rules().replace("id = \"minor\"", "id = \"Minor Level\"");
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.contains("lowercase letters")),
        "{diagnostics:#?}"
    );

    let text = format!(
        "{}\n[[departments]]\nid = \"centre\"\nname = \"又一个\"\ninboxes = [\"a@example.org\"]\n",
        minimal_rules()
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.contains("defined twice")),
        "{diagnostics:#?}"
    );
}

#[test]
fn warns_when_the_calendar_ends_within_the_longest_limit() {
    let today = chrono::NaiveDate::from_ymd_opt(2027, 11, 20).unwrap();
    let (_, warnings) =
        parse_rules_at(Path::new("content/rules.toml"), SAMPLE, Some(today)).unwrap();
    let horizon = warnings
        .iter()
        .find(|w| w.message.contains("calendar ends"))
        .expect("a horizon warning");
    assert!(
        horizon
            .hint
            .as_deref()
            .unwrap()
            .contains("calendar.years.2028")
    );

    let early = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let (_, warnings) =
        parse_rules_at(Path::new("content/rules.toml"), SAMPLE, Some(early)).unwrap();
    assert!(!warnings.iter().any(|w| w.message.contains("calendar ends")));
}

fn minimal_rules() -> String {
    "[office]\nname = { zh = \"中心\", en = \"Centre\" }\ndepartment = \"centre\"\n\n\
     [[case_types]]\nid = \"complaint\"\nname = { zh = \"投诉\", en = \"Complaint\" }\ncomplete = \"15 working days\"\n\n\
     [[severities]]\nid = \"minor\"\nname = { zh = \"一般\", en = \"Minor\" }\n\n\
     [[departments]]\nid = \"centre\"\nname = { zh = \"中心\", en = \"Centre\" }\ninboxes = [\"centre@example.org\"]\n\n\
     [[categories]]\nid = \"other\"\nname = { zh = \"其他\", en = \"Other\" }\ndepartment = \"centre\"\ndefault_severity = \"minor\"\n"
        .to_string()
}

/// Adds a section to the minimal rulebook, replacing a table of the same name.
fn merge(base: &str, extra: &str) -> String {
    if extra.starts_with("[office]") {
        let rest = base.split_once("\n\n").map(|(_, r)| r).unwrap_or("");
        return format!("{extra}\n{rest}");
    }
    format!("{base}\n{extra}")
}

#[test]
fn the_minimal_rulebook_is_valid() {
    let (rules, _) = parse_rules(Path::new("r.toml"), &minimal_rules()).unwrap();
    assert_eq!(rules.office.tracking_prefix, "TS");
    assert_eq!(rules.retention.years, 2);
}

/// The published promise, end to end: rulebook → calendar → deadline.
#[test]
fn deadlines_from_the_bundled_rulebook_follow_the_2026_calendar() {
    use chrono::{TimeZone, Utc};
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    let complaint = rules.case_type("complaint").unwrap();
    let local = |y, m, d, h, min| {
        rules
            .calendar
            .time_zone
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    // Wednesday before the National Day week: accept by Thursday 8 October,
    // complete 15 working days later, counting the make-up Saturday 10 October.
    let received = local(2026, 9, 30, 10, 0);
    let accept = rules
        .limit_for(complaint, None, DeadlineKind::Accept, received)
        .unwrap();
    assert_eq!(accept.1, local(2026, 10, 8, 18, 0));
    let complete = rules
        .limit_for(complaint, None, DeadlineKind::Complete, received)
        .unwrap();
    assert_eq!(complete.1, local(2026, 10, 27, 18, 0));
    // A major case: the severity's 10 working days are earlier than the type's 15.
    let major = rules.severity("major");
    let complete = rules
        .limit_for(complaint, major, DeadlineKind::Complete, received)
        .unwrap();
    assert_eq!(complete.0, TimeLimit::working_days(10));
    assert_eq!(complete.1, local(2026, 10, 20, 18, 0));
    // Arriving at 23:59 on Friday 18 September counts from the make-up Sunday 20 September.
    let late = local(2026, 9, 18, 23, 59);
    let accept = rules
        .limit_for(complaint, None, DeadlineKind::Accept, late)
        .unwrap();
    assert_eq!(accept.1, local(2026, 9, 21, 18, 0));
}
