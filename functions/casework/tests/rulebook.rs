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
            "[follow_up]\nsatisfied = [\"very_satisfied\", \"fairly_satisfied\"]\n",
            "`fairly_satisfied`, which the survey does not offer",
            "very_satisfied, satisfied, neutral, dissatisfied, very_dissatisfied",
        ),
        (
            "[follow_up]\nunsatisfied = [\"disatisfied\"]\n",
            "does not offer",
            "write \"dissatisfied\"",
        ),
        (
            "[follow_up]\nsatisfied = [\"satisfied\", \"satisfied\"]\n",
            "twice",
            "once",
        ),
        (
            "[follow_up]\nsatisfied = [\"satisfied\", \"neutral\"]\nunsatisfied = [\"neutral\"]\n",
            "`unsatisfied` lists neutral, which `satisfied` lists too",
            "remove it from one list",
        ),
        (
            "[follow_up]\nsatisfied = \"satisfied\"\n",
            "must be a list",
            "satisfied = [",
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
    // The sample's 2027 is provisional: it does not silence the warning,
    // which asks for the official notice instead.
    for today in [(2027, 11, 20), (2026, 11, 22)] {
        let today = chrono::NaiveDate::from_ymd_opt(today.0, today.1, today.2).unwrap();
        let (_, warnings) =
            parse_rules_at(Path::new("content/rules.toml"), SAMPLE, Some(today)).unwrap();
        let horizon = warnings
            .iter()
            .find(|w| w.message.contains("calendar ends"))
            .unwrap_or_else(|| panic!("a horizon warning on {today}"));
        assert!(
            horizon.message.contains("ends on 2026-12-31")
                && horizon.message.contains("provisional"),
            "{}",
            horizon.message
        );
        let hint = horizon.hint.as_deref().unwrap();
        assert!(
            hint.contains("provisional `[calendar.years.2027]`"),
            "{hint}"
        );
    }

    let early = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let (_, warnings) =
        parse_rules_at(Path::new("content/rules.toml"), SAMPLE, Some(early)).unwrap();
    assert!(!warnings.iter().any(|w| w.message.contains("calendar ends")));

    let (rules, _) = parse_rules_at(Path::new("content/rules.toml"), SAMPLE, None).unwrap();
    assert!(rules.calendar.years[&2027].provisional);
    assert!(!rules.calendar.years[&2026].provisional);

    // Once the year is official, the same day is covered.
    let official = SAMPLE.replace("provisional = true\n", "");
    let (rules, warnings) = parse_rules_at(
        Path::new("content/rules.toml"),
        &official,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()),
    )
    .unwrap();
    assert!(!warnings.iter().any(|w| w.message.contains("calendar ends")));
    assert!(rules.calendar.years.values().all(|y| !y.provisional));
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

/// The seeds' severity commitments as the sample encodes them: an
/// important case is handled (a substantive answer) within 3 working
/// days, and a report keeps its statutory investigation time whatever its
/// severity (here the major one, whose completion limit is shorter).
#[test]
fn important_cases_answer_in_three_working_days_and_reports_keep_theirs() {
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    let important = rules.severity("important").unwrap();
    assert_eq!(
        important.limits.get(DeadlineKind::Reply),
        Some(TimeLimit::working_days(3))
    );
    let major = rules.severity("major").unwrap();
    // Wednesday 2026-09-30 10:00 in Shanghai.
    let start = chrono::DateTime::parse_from_rfc3339("2026-09-30T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let complaint = rules.case_type("complaint").unwrap();
    let (limit, _) = rules
        .limit_for(complaint, Some(important), DeadlineKind::Reply, start)
        .unwrap();
    assert_eq!(limit, TimeLimit::working_days(3));
    let (limit, _) = rules
        .limit_for(complaint, Some(major), DeadlineKind::Complete, start)
        .unwrap();
    assert_eq!(Some(limit), major.limits.get(DeadlineKind::Complete));
    let report = rules.case_type("report").unwrap();
    assert!(!report.severity_shortens_completion);
    let (limit, _) = rules
        .limit_for(report, Some(major), DeadlineKind::Complete, start)
        .unwrap();
    assert_eq!(limit, TimeLimit::working_days(30));
    // Other steps still tighten: the report is forwarded within the hour.
    let (limit, _) = rules
        .limit_for(report, Some(important), DeadlineKind::Forward, start)
        .unwrap();
    assert_eq!(limit, important.limits.get(DeadlineKind::Forward).unwrap());
}

/// When the monthly report goes out is the rulebook's `[statistics]`
/// rule: the Nth working day, so after National Day 2026 the first is
/// 8 October and the third the make-up Saturday, 10 October.
#[test]
fn the_statistics_day_is_the_rulebooks_working_day_of_the_month() {
    use casework::stats::Month;
    let (mut rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert_eq!(rules.statistics.working_day, 1);
    let september = Month::parse("2026-09").unwrap();
    let local = |rules: &casework::Rulebook| {
        september
            .report_due(rules)
            .unwrap()
            .with_timezone(&rules.calendar.time_zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    assert_eq!(local(&rules), "2026-10-08 09:00");
    rules.statistics.working_day = 3;
    assert_eq!(local(&rules), "2026-10-10 09:00");

    let text = SAMPLE.replace("working_day = 1", "working_day = 0");
    let diagnostics = parse_rules(Path::new("content/rules.toml"), &text).unwrap_err();
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.contains("working_day")),
        "{:?}",
        errors(&diagnostics)
    );
}

/// "Forward" is met when the department's mail has left (the system says
/// so), not when the department accepts: a case mailed at once is never
/// escalated as "not forwarded".
#[test]
fn the_forward_deadline_is_met_when_the_department_has_the_mail() {
    use casework::lifecycle::{ActionKind, Actor, Case, CaseState, Command, LifecycleError, apply};
    use casework::rules::{CaseTypeId, CategoryId};
    use casework::tracking::TrackingNumber;
    use rand::SeedableRng;
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    let received = chrono::DateTime::parse_from_rfc3339("2026-11-24T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tracking = TrackingNumber::generate("SL", received.date_naive(), &mut rng);
    let case = Case::open(
        tracking,
        CaseTypeId::new("complaint"),
        CategoryId::new("water-supply"),
        &rules,
        received,
        true,
    )
    .unwrap();
    let forward = case
        .deadline(DeadlineKind::Forward)
        .expect("important: forward within the hour");
    assert!(forward.met_at.is_none());

    let mailed = received + chrono::Duration::seconds(3);
    let refused = apply(
        &case,
        Command::Forward,
        Actor::Department(case.department.clone()),
        mailed,
        &rules,
    );
    assert!(
        matches!(refused, Err(LifecycleError::NotAllowed { .. })),
        "{refused:?}"
    );
    let next = apply(&case, Command::Forward, Actor::System, mailed, &rules).unwrap();
    assert_eq!(next.state, CaseState::Received);
    assert_eq!(
        next.deadline(DeadlineKind::Forward).unwrap().met_at,
        Some(mailed)
    );
    assert!(
        next.deadline(DeadlineKind::Accept)
            .unwrap()
            .met_at
            .is_none()
    );
    assert_eq!(next.events.last().unwrap().action, ActionKind::Forward);
    // Once is enough; the department then accepts as before.
    assert!(apply(&next, Command::Forward, Actor::System, mailed, &rules).is_err());
    let accepted = apply(
        &next,
        Command::Accept,
        Actor::Department(next.department.clone()),
        mailed,
        &rules,
    )
    .unwrap();
    assert_eq!(
        accepted.deadline(DeadlineKind::Forward).unwrap().met_at,
        Some(mailed)
    );
}

/// Reports go to designated staff: a department that reports can reach
/// without any is a warning that says what to write.
#[test]
fn a_department_without_designated_report_staff_is_a_warning() {
    let (_, warnings) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert!(
        !warnings
            .iter()
            .any(|w| w.message.contains("report_inboxes"))
    );
    let text = SAMPLE.replace("report_inboxes = [\"water-integrity@example.org\"]\n", "");
    let (rules, warnings) = parse_rules(Path::new("content/rules.toml"), &text).unwrap();
    let warning = warnings
        .iter()
        .find(|w| w.message.contains("report_inboxes"))
        .expect("a warning");
    assert!(warning.message.contains("`water`"), "{}", warning.message);
    assert!(
        warning
            .hint
            .as_deref()
            .unwrap()
            .contains("report_inboxes = [")
    );
    // Without designated staff a report still reaches the department.
    let water = rules.department("water").unwrap();
    let report = rules.case_type("report");
    assert_eq!(water.inboxes_for(report), water.inboxes.as_slice());
}

/// Where the rulebook names an approver, a department's extension is a
/// request: nothing moves until the approver grants it, and a refusal
/// needs its reason.
#[test]
fn an_extension_is_asked_of_the_rulebooks_approver() {
    use casework::lifecycle::{
        Actor, Case, CaseState, Command, LifecycleError, apply, extension_command,
    };
    use casework::rules::{CaseTypeId, CategoryId};
    use casework::tracking::TrackingNumber;
    use rand::SeedableRng;
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert_eq!(
        rules.extensions.approver.as_ref().map(|a| a.as_str()),
        Some("hotline-centre")
    );
    let received = chrono::DateTime::parse_from_rfc3339("2026-11-24T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let tracking = TrackingNumber::generate("SL", received.date_naive(), &mut rng);
    let open = Case::open(
        tracking,
        CaseTypeId::new("complaint"),
        CategoryId::new("housing-property"),
        &rules,
        received,
        true,
    )
    .unwrap();
    let housing = Actor::Department(open.department.clone());
    let hour = chrono::Duration::hours(1);
    let case = apply(
        &open,
        Command::Accept,
        housing.clone(),
        received + hour,
        &rules,
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Accepted);
    let due = case.deadline(DeadlineKind::Complete).unwrap().due_at;
    let new_due = due + chrono::Duration::days(3);

    let direct = Command::Extend {
        reason: "等待配件".into(),
        new_due,
    };
    assert!(matches!(
        apply(&case, direct, housing.clone(), received + hour, &rules),
        Err(LifecycleError::ApprovalRequired { .. })
    ));
    let asked = extension_command(&rules, &case, &housing, "等待配件".into(), new_due);
    assert!(matches!(asked, Command::RequestExtension { .. }));
    let waiting = apply(
        &case,
        asked.clone(),
        housing.clone(),
        received + hour,
        &rules,
    )
    .unwrap();
    assert_eq!(
        waiting.deadline(DeadlineKind::Complete).unwrap().due_at,
        due
    );
    assert!(waiting.extension.is_none());
    assert!(matches!(
        apply(&waiting, asked, housing.clone(), received + hour, &rules),
        Err(LifecycleError::ExtensionPending)
    ));
    // Only the approver decides; a refusal says why.
    let approve = Command::DecideExtension {
        approve: true,
        note: String::new(),
    };
    assert!(matches!(
        apply(
            &waiting,
            approve.clone(),
            housing.clone(),
            received + hour,
            &rules
        ),
        Err(LifecycleError::NotAllowed { .. })
    ));
    let refuse = Command::DecideExtension {
        approve: false,
        note: " ".into(),
    };
    assert!(matches!(
        apply(&waiting, refuse, Actor::Office, received + hour, &rules),
        Err(LifecycleError::ReasonRequired)
    ));
    let granted = apply(&waiting, approve, Actor::Office, received + hour, &rules).unwrap();
    assert_eq!(
        granted.deadline(DeadlineKind::Complete).unwrap().due_at,
        new_due
    );
    assert!(granted.extension_request.is_none());
    assert_eq!(granted.extension.as_ref().unwrap().reason, "等待配件");
    // The office itself extends without asking anyone.
    let office = extension_command(&rules, &case, &Actor::Office, "x".into(), new_due);
    assert!(matches!(office, Command::Extend { .. }));
}

/// The place of an unknown survey answer, so the editor finds it.
#[test]
fn an_unknown_survey_answer_is_reported_at_its_place() {
    let text = merge(
        &minimal_rules(),
        "[follow_up]\nsatisfied = [\"satisfied\", \"happy\"]\n",
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    let line = text.lines().position(|l| l.contains("\"happy\"")).unwrap() + 1;
    let column = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("\"happy\"")
        .unwrap()
        + 1;
    assert_eq!(
        errors(&diagnostics),
        [format!(
            "{line}:{column}: `satisfied` names the answer `happy`, which the survey does not offer"
        )]
    );
}

#[test]
fn the_bundled_rulebook_names_the_satisfied_and_unsatisfied_answers() {
    use casework::lifecycle::Satisfaction::*;
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert_eq!(rules.follow_up.satisfied, [VerySatisfied, Satisfied]);
    assert_eq!(
        rules.follow_up.unsatisfied,
        [Dissatisfied, VeryDissatisfied]
    );
    assert!(SAMPLE.contains("satisfied = [\"very_satisfied\", \"satisfied\"]"));
}

/// Minor takes the complainant's own deadline and sets no completion limit
/// of its own (that would apply to every minor case); the others do not.
#[test]
fn only_minor_takes_the_complainants_own_deadline() {
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    let takes: Vec<&str> = rules
        .severities
        .iter()
        .filter(|s| s.own_deadline)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(takes, ["minor"]);
    assert!(rules.offers_own_deadline());
    assert_eq!(rules.severity("minor").unwrap().limits.complete, None);
    let text = merge(
        &minimal_rules().replace(
            "name = { zh = \"一般\", en = \"Minor\" }\n",
            "name = { zh = \"一般\", en = \"Minor\" }\nown_deadline = \"yes\"\n",
        ),
        "",
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.contains("own_deadline")),
        "{:?}",
        errors(&diagnostics)
    );
}

#[test]
fn the_bundled_rulebook_takes_photos_and_pdfs_within_its_limits() {
    use casework::rules::EvidenceType;
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    let evidence = rules.evidence.expect("the sample has `[evidence]`");
    assert_eq!(evidence.max_files, 5);
    assert_eq!(evidence.max_file_bytes, 10_000_000);
    assert_eq!(evidence.max_total_bytes, 25_000_000);
    assert_eq!(
        evidence.types,
        [EvidenceType::Jpeg, EvidenceType::Png, EvidenceType::Pdf]
    );
    assert_eq!(evidence.max_pixels, 40_000_000);
    assert_eq!(evidence.max_megapixels(), 40);
    assert!(evidence.takes_images());
}

#[test]
fn without_an_evidence_section_no_file_is_taken() {
    let (rules, _) = parse_rules(Path::new("r.toml"), &minimal_rules()).unwrap();
    assert_eq!(rules.evidence, None);
}

const EVIDENCE: &str = "[evidence]\nmax_files = 5\nmax_file_size = \"10 MB\"\nmax_total_size = \"25 MB\"\ntypes = [\"jpeg\", \"png\", \"pdf\"]\nmax_megapixels = 40\n";

#[test]
fn an_evidence_section_keeps_the_editors_order_and_units() {
    use casework::rules::EvidenceType;
    let text = merge(
        &minimal_rules(),
        &EVIDENCE
            .replace("[\"jpeg\", \"png\", \"pdf\"]", "[\"pdf\", \"png\"]")
            .replace("\"10 MB\"", "\"800 KB\"")
            .replace("max_files = 5", "max_files = 1")
            .replace("\"25 MB\"", "\"800 KB\""),
    );
    let (rules, warnings) = parse_rules(Path::new("r.toml"), &text).unwrap();
    let evidence = rules.evidence.unwrap();
    assert_eq!(evidence.types, [EvidenceType::Pdf, EvidenceType::Png]);
    assert_eq!(evidence.max_files, 1);
    assert_eq!(evidence.max_file_bytes, 800_000);
    assert_eq!(evidence.max_total_bytes, 800_000);
    assert!(warnings.is_empty(), "{warnings:#?}");
}

#[test]
fn each_evidence_mistake_is_named() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "max_files = 5",
            "max_files = 0",
            "out of range",
            "from 1 to 20",
        ),
        (
            "max_files = 5",
            "max_files = 21",
            "out of range",
            "from 1 to 20",
        ),
        (
            "max_files = 5\n",
            "",
            "missing `max_files`",
            "max_files = 5",
        ),
        ("\"10 MB\"", "10", "needs a unit", "\"10 MB\""),
        ("\"10 MB\"", "\"10 MiB\"", "binary units", "1,000,000 bytes"),
        ("\"10 MB\"", "\"0 KB\"", "takes no file", "above zero"),
        (
            "\"25 MB\"",
            "\"2000 MB\"",
            "above 1000 MB",
            "at most \"1000 MB\"",
        ),
        (
            "\"25 MB\"",
            "\"5 MB\"",
            "`max_file_size` (10 MB) is larger than `max_total_size` (5 MB)",
            "lower `max_file_size`",
        ),
        (
            "\"png\", ",
            "\"jpg\", ",
            "`jpg`, a kind of file",
            "write \"jpeg\"",
        ),
        ("\"png\", ", "\"gif\", ", "`gif`", "jpeg, png, pdf"),
        (
            "\"png\", \"pdf\"",
            "\"png\", \"png\"",
            "`png` twice",
            "once",
        ),
        (
            "[\"jpeg\", \"png\", \"pdf\"]",
            "[]",
            "names no kind",
            "remove `[evidence]`",
        ),
        (
            "[\"jpeg\", \"png\", \"pdf\"]",
            "\"jpeg\"",
            "must be a list",
            "types = [",
        ),
        (
            "max_megapixels = 40",
            "max_megapixels = 0",
            "out of range",
            "from 1 to 100",
        ),
        (
            "max_megapixels = 40",
            "max_megapixels = 500",
            "out of range",
            "from 1 to 100",
        ),
        (
            "max_megapixels = 40",
            "max_pixels = 40",
            "unknown key `max_pixels`",
            "max_megapixels",
        ),
    ];
    for (from, to, message, hint) in cases {
        assert!(EVIDENCE.contains(from), "{from}");
        let text = merge(&minimal_rules(), &EVIDENCE.replacen(from, to, 1));
        let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
        let found = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .find(|d| d.message.contains(message))
            .unwrap_or_else(|| panic!("{from} → {to}: no error `{message}` in {diagnostics:#?}"));
        assert!(
            found.hint.as_deref().unwrap_or("").contains(hint),
            "{from} → {to}: {:?}",
            found.hint
        );
    }
    // `[evidence]` must be a table.
    let text = format!("evidence = 5\n{}", minimal_rules());
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.contains("must be a table")),
        "{diagnostics:#?}"
    );
}

#[test]
fn a_total_no_case_can_reach_is_a_warning() {
    let text = merge(
        &minimal_rules(),
        &EVIDENCE.replace("max_files = 5", "max_files = 2"),
    );
    let (rules, warnings) = parse_rules(Path::new("r.toml"), &text).unwrap();
    assert!(rules.evidence.is_some());
    let warning = warnings
        .iter()
        .find(|w| w.message.contains("can never be reached"))
        .unwrap_or_else(|| panic!("{warnings:#?}"));
    assert!(warning.hint.as_deref().unwrap().contains("20 MB"));
}

#[test]
fn a_broken_evidence_section_reports_every_mistake_at_its_place() {
    let base = minimal_rules();
    let lines_before = base.lines().count() + 1;
    let broken = "[evidence]\n\
                  max_files = \"5\"\n\
                  max_file_size = \"10 megabytes\"\n\
                  max_total_size = \"25 MB\"\n\
                  types = [\"jpeg\", \"tiff\", \"jpeg\"]\n\
                  max_megapixels = 1000\n\
                  colour = \"red\"\n";
    let text = merge(&base, broken);
    let diagnostics = parse_rules(Path::new("rules.toml"), &text).unwrap_err();
    let line = |n: usize| lines_before + n;
    let expected = [
        (line(2), 13, "`max_files` must be a whole number"),
        (line(3), 17, "not a size"),
        (line(5), 18, "`tiff`"),
        (line(5), 26, "`jpeg` twice"),
        (line(6), 18, "out of range"),
        (line(7), 1, "unknown key `colour`"),
    ];
    let found: Vec<(usize, usize, &str)> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((line, column, message), (want_line, want_column, want)) in found.iter().zip(expected) {
        assert_eq!((*line, *column), (want_line, want_column), "{message}");
        assert!(message.contains(want), "{message} should name {want}");
    }
}

#[test]
fn a_clock_pause_on_a_type_without_a_completion_limit_is_an_error_at_its_line() {
    // The suggestion type sets only a reply limit: nothing to pause.
    let anchor = "reply = \"15 working days\"\n";
    assert!(SAMPLE.contains(anchor));
    let broken = SAMPLE.replacen(
        anchor,
        "reply = \"15 working days\"\nanswer_wait = \"5 working days\"\n",
        1,
    );
    let at = broken
        .find("reply = \"15 working days\"\nanswer_wait")
        .unwrap()
        + anchor.len();
    let line = broken[..at].matches('\n').count() + 1;
    let diagnostics = parse_rules(Path::new("content/rules.toml"), &broken)
        .expect_err("the pause has nothing to stop");
    let found = errors(&diagnostics);
    assert!(
        found
            .iter()
            .any(|e| e.starts_with(&format!("{line}:")) && e.contains("sets no `complete` limit")),
        "{found:?}"
    );
}

#[test]
fn text_messages_are_off_without_their_section_and_read_with_it() {
    use chrono::NaiveTime;
    let (rules, _) = parse_rules(Path::new("r.toml"), &minimal_rules()).unwrap();
    assert_eq!(rules.text_messages, None);
    let text = merge(
        &minimal_rules(),
        "[text_messages]\nsignature = { zh = \"【中心】\", en = \"[Centre]\" }\nsend_from = \"09:30\"\nsend_until = \"20:00\"\n",
    );
    let (rules, _) = parse_rules(Path::new("r.toml"), &text).unwrap();
    let texts = rules.text_messages.expect("texts on");
    assert_eq!(texts.signature.zh, "【中心】");
    assert_eq!(texts.send_from, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
    assert_eq!(texts.send_until, NaiveTime::from_hms_opt(20, 0, 0).unwrap());
    let (sample, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert!(sample.text_messages.is_some(), "the sample sends texts");
}

#[test]
fn a_text_window_that_closes_before_it_opens_is_reported_at_its_place() {
    let text = merge(
        &minimal_rules(),
        "[text_messages]\nsignature = { zh = \"[C]\" }\nsend_from = \"21:00\"\nsend_until = \"08:00\"\n",
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &text).unwrap_err();
    let line = text
        .lines()
        .position(|l| l.starts_with("send_until"))
        .unwrap()
        + 1;
    let column = "send_until = ".len() + 1;
    assert_eq!(
        errors(&diagnostics),
        [format!(
            "{line}:{column}: `send_until` is not after `send_from`"
        )]
    );
}

#[test]
fn a_text_section_without_its_hours_or_with_a_bad_time_is_an_error() {
    let missing = merge(
        &minimal_rules(),
        "[text_messages]\nsignature = { zh = \"[C]\" }\nsend_from = \"08:00\"\n",
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &missing).unwrap_err();
    let line = missing
        .lines()
        .position(|l| l == "[text_messages]")
        .unwrap()
        + 1;
    assert!(
        errors(&diagnostics)
            .iter()
            .any(|e| e.starts_with(&format!("{line}:"))
                && e.contains("needs both `send_from` and `send_until`")),
        "{:?}",
        errors(&diagnostics)
    );
    let bad = merge(
        &minimal_rules(),
        "[text_messages]\nsignature = { zh = \"[C]\" }\nsend_from = \"8 am\"\nsend_until = \"21:00\"\n",
    );
    let diagnostics = parse_rules(Path::new("r.toml"), &bad).unwrap_err();
    let line = bad
        .lines()
        .position(|l| l.starts_with("send_from"))
        .unwrap()
        + 1;
    assert_eq!(
        errors(&diagnostics),
        [format!(
            "{line}:{}: `send_from` = \"8 am\" is not a time of day",
            "send_from = ".len() + 1
        )]
    );
}

/// A severity may name its own approver of extensions (the general
/// manager for major cases, say): its cases' requests go there, and only
/// there; the others keep `[extensions] approver`.
#[test]
fn a_severity_can_name_its_own_approver_of_extensions() {
    use casework::lifecycle::{
        Actor, Case, Command, LifecycleError, apply, extension_approver, extension_command,
    };
    use casework::rules::{CaseTypeId, CategoryId, SeverityId};
    use casework::tracking::TrackingNumber;
    use rand::SeedableRng;
    let marker = "notify_supervisor = true\n";
    assert!(SAMPLE.contains(marker));
    let text = SAMPLE.replacen(
        marker,
        "notify_supervisor = true\nextension_approver = \"urban-management\"\n",
        1,
    );
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), &text).unwrap();
    let received = chrono::DateTime::parse_from_rfc3339("2026-11-24T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let open = |severity: Option<&str>| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let tracking = TrackingNumber::generate("SL", received.date_naive(), &mut rng);
        let mut case = Case::open(
            tracking,
            CaseTypeId::new("complaint"),
            CategoryId::new("housing-property"),
            &rules,
            received,
            true,
        )
        .unwrap();
        if let Some(s) = severity {
            case.severity = SeverityId::new(s);
        }
        let housing = Actor::Department(case.department.clone());
        apply(&case, Command::Accept, housing, received, &rules).unwrap()
    };
    let minor = open(None);
    let major = open(Some("major"));
    assert_eq!(
        extension_approver(&rules, &minor).map(|d| d.as_str()),
        Some("hotline-centre")
    );
    assert_eq!(
        extension_approver(&rules, &major).map(|d| d.as_str()),
        Some("urban-management")
    );

    let housing = Actor::Department(major.department.clone());
    let due = major.deadline(DeadlineKind::Complete).unwrap().due_at;
    let asked = extension_command(
        &rules,
        &major,
        &housing,
        "等待配件".into(),
        due + chrono::Duration::days(2),
    );
    let waiting = apply(&major, asked, housing, received, &rules).unwrap();
    let approve = Command::DecideExtension {
        approve: true,
        note: String::new(),
    };
    // The general approver is not this case's.
    assert!(matches!(
        apply(
            &waiting,
            approve.clone(),
            Actor::Department(casework::rules::DepartmentId::new("hotline-centre")),
            received,
            &rules
        ),
        Err(LifecycleError::NotAllowed { .. })
    ));
    let granted = apply(
        &waiting,
        approve,
        Actor::Department(casework::rules::DepartmentId::new("urban-management")),
        received,
        &rules,
    )
    .unwrap();
    assert!(granted.extension.is_some());

    // An approver that is no department is reported where it is written.
    let wrong = SAMPLE.replacen(
        marker,
        "notify_supervisor = true\nextension_approver = \"general-manager\"\n",
        1,
    );
    let diagnostics = parse_rules(Path::new("rules.toml"), &wrong).unwrap_err();
    let line = wrong
        .lines()
        .position(|l| l.contains("general-manager"))
        .unwrap()
        + 1;
    let found = errors(&diagnostics);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with(&format!("{line}:")), "{found:?}");
}

#[test]
fn the_duplicate_window_is_the_rulebooks_and_a_bad_one_is_reported_at_its_place() {
    let (rules, _) = parse_rules(Path::new("content/rules.toml"), SAMPLE).unwrap();
    assert_eq!(rules.duplicates.window, TimeLimit::working_days(5));
    let (minimal, _) = parse_rules(Path::new("r.toml"), &minimal_rules()).unwrap();
    assert_eq!(minimal.duplicates.window, TimeLimit::working_days(5));
    let (three, _) = parse_rules(
        Path::new("r.toml"),
        &merge(&minimal_rules(), "[duplicates]\nwindow = \"3 days\"\n"),
    )
    .unwrap();
    assert_eq!(three.duplicates.window, TimeLimit::calendar_days(3));
    // Each mistake on its own line: the window's (1 after the header) or
    // the unknown key's (2 after).
    for (section, said, below) in [
        (
            "[duplicates]\nwindow = \"0 working days\"\n",
            "window of zero",
            1,
        ),
        ("[duplicates]\nwindow = \"soon\"\n", "", 1),
        (
            "[duplicates]\nwindow = \"5 working days\"\nwithin = 3\n",
            "within",
            2,
        ),
    ] {
        let text = merge(&minimal_rules(), section);
        let line = text[..text.find("[duplicates]").unwrap()]
            .matches('\n')
            .count()
            + 1
            + below;
        let diagnostics = parse_rules(Path::new("r.toml"), &text).expect_err(section);
        let found = errors(&diagnostics);
        assert!(
            found
                .iter()
                .any(|e| e.starts_with(&format!("{line}:")) && e.contains(said)),
            "{section}: {found:?}"
        );
    }
}
