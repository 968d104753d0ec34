//! Reading `rules.toml` into a [`Rulebook`], collecting every problem.
//!
//! The reading is in two passes: each section is read on its own (shape,
//! types, values), then the references between sections are checked
//! (categories name departments and severities, the office is a
//! department). A rulebook is returned only when there is no error.
//!
//! Why this file is long: one reader per rulebook table (office, types, severities, categories, departments, routing, calendar, evidence), each reporting file:line:col; the reader primitives are in `reader.rs`.

use super::reader::{Report, Span, TableReader, closest, expect_array, expect_string, read_date};
use super::*;
use crate::calendar::{Holiday, HolidayYear};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::time_limit::TimeLimit;
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use std::collections::HashMap;
use std::path::Path;
use toml::de::DeTable;

/// Where the rulebook lives, relative to the project root.
pub const RULES_PATH: &str = "content/rules.toml";

const TOP_KEYS: &[&str] = &[
    "text_messages",
    "office",
    "calendar",
    "case_types",
    "severities",
    "categories",
    "departments",
    "reminders",
    "follow_up",
    "extensions",
    "retention",
    "statistics",
    "duplicates",
    "form",
    "evidence",
];

/// The most files one case may carry: each is uploaded, checked and listed
/// in the department's mail on its own, so a long list helps nobody.
const MAX_EVIDENCE_FILES: i64 = 20;
/// The largest size the rulebook may set, per file or in total (1000 MB):
/// a file is checked whole in memory, so a bigger figure is likelier a slip
/// of the keyboard than a wish.
const MAX_EVIDENCE_BYTES: u64 = 1_000_000_000;
/// The largest pixel limit the rulebook may set: 100 megapixels decode to
/// 400 MB of pixels (4 bytes each) before re-encoding, the most a checking
/// step can hold with margin; phone photos are 12 to 50 megapixels.
const MAX_MEGAPIXELS: i64 = 100;
/// How a size is written, for hints.
const SIZE_FORMS: &str =
    "a whole number and a unit, e.g. \"10 MB\" or \"500 KB\" (1 MB = 1,000 KB = 1,000,000 bytes)";

/// Parses without the calendar-horizon check (which needs today's date).
pub fn parse(path: &Path, text: &str) -> Result<(Rulebook, Vec<Diagnostic>), Vec<Diagnostic>> {
    parse_at(path, text, None)
}

/// Parses and checks; with `today`, also warns when the holiday calendar ends
/// before the longest time limit started today would run out.
pub fn parse_at(
    path: &Path,
    text: &str,
    today: Option<NaiveDate>,
) -> Result<(Rulebook, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut report = Report::new(SourceFile::new(path, text));
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    for err in &syntax_errors {
        let span = err.span().unwrap_or(0..0);
        report.error(
            &span,
            format!("TOML syntax: {}", err.message().trim()),
            "see the comments at the top of rules.toml for the expected layout",
        );
    }
    let rulebook = read_rulebook(&mut report, root.get_ref(), root.span());
    let mut diagnostics = report.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    match rulebook {
        Some(rulebook) if !diagnostics.iter().any(Diagnostic::is_error) => {
            if let Some(today) = today {
                diagnostics.extend(horizon_warning(&rulebook, path, text, today));
            }
            Ok((rulebook, diagnostics))
        }
        _ => Err(diagnostics),
    }
}

fn read_rulebook(report: &mut Report<'_>, root: &DeTable<'_>, span: Span) -> Option<Rulebook> {
    let mut top = TableReader::new(root, span.start..span.start, "rules.toml");

    let office = top
        .required(report, "office", "add an `[office]` table")
        .and_then(|v| TableReader::from_value(report, v, "[office]"))
        .and_then(|t| read_office(report, t));
    let calendar = match top.table(report, "calendar") {
        Some(t) => read_calendar(report, t),
        None => Some(crate::calendar::Calendar::default()),
    };
    let case_types = read_list(report, &mut top, "case_types", read_case_type);
    let severities = read_list(report, &mut top, "severities", read_severity);
    let categories = read_list(report, &mut top, "categories", read_category);
    let departments = read_list(report, &mut top, "departments", read_department);
    let reminders = optional_table(report, &mut top, "reminders", read_reminders);
    let follow_up = optional_table(report, &mut top, "follow_up", read_follow_up);
    let extensions_present = top.has("extensions");
    let extensions = match top.table(report, "extensions") {
        Some(t) => read_extensions(report, t),
        None if extensions_present => None,
        None => Some((Extensions::default(), Span::default())),
    };
    let retention = optional_table(report, &mut top, "retention", read_retention);
    let statistics = optional_table(report, &mut top, "statistics", read_statistics);
    let duplicates = optional_table(report, &mut top, "duplicates", read_duplicates);
    let form = optional_table(report, &mut top, "form", read_form);
    let evidence_present = top.has("evidence");
    let evidence = match top.table(report, "evidence") {
        Some(t) => read_evidence(report, t).map(Some),
        // Present but not a table: already reported.
        None if evidence_present => None,
        None => Some(None),
    };
    let text_messages = read_optional_text_messages(report, &mut top);
    top.finish(report, TOP_KEYS);

    let case_types = unique_ids(report, case_types, "case type");
    let severities = unique_ids(report, severities, "severity");
    let categories = unique_ids(report, categories, "category");
    let departments = unique_ids(report, departments, "department");

    // Cross-references: reported against the place that names the missing id.
    let department_ids: Vec<&str> = departments.iter().map(|(d, _)| d.id.as_str()).collect();
    let severity_ids: Vec<&str> = severities.iter().map(|(s, _)| s.id.as_str()).collect();
    if let Some((office, office_refs)) = &office {
        check_reference(
            report,
            &office.department,
            &office_refs.department,
            &department_ids,
            "department",
        );
    }
    if let Some((
        Extensions {
            approver: Some(approver),
            ..
        },
        span,
    )) = &extensions
    {
        check_reference(report, approver, span, &department_ids, "department");
    }
    for (case_type, refs) in &case_types {
        if let Some(raise) = &case_type.raise_unresolved {
            check_reference(
                report,
                &raise.to,
                &refs.default_severity,
                &severity_ids,
                "severity",
            );
        }
    }
    for (severity, refs) in &severities {
        if let Some(approver) = &severity.extension_approver {
            check_reference(
                report,
                approver,
                &refs.department,
                &department_ids,
                "department",
            );
        }
    }
    for (category, refs) in &categories {
        check_reference(
            report,
            &category.department,
            &refs.department,
            &department_ids,
            "department",
        );
        check_reference(
            report,
            &category.default_severity,
            &refs.default_severity,
            &severity_ids,
            "severity",
        );
    }
    for (department, refs) in &departments {
        let office_id = office.as_ref().map(|(o, _)| o.department.as_str());
        let routed = categories
            .iter()
            .any(|(c, _)| c.department == department.id);
        let withheld = case_types.iter().find(|(t, _)| t.identity_withheld);
        if let Some((withheld, _)) = withheld
            && routed
            && department.report_inboxes.is_empty()
        {
            report.warning(
                &refs.id,
                format!(
                    "department `{}` has no `report_inboxes`: its `{}` cases would go to its ordinary inboxes",
                    department.id, withheld.id
                ),
                "write `report_inboxes = [\"integrity@example.org\"]`: the designated staff who alone see such cases",
            );
        }
        if !routed && Some(department.id.as_str()) != office_id {
            report.warning(
                &refs.id,
                format!("no category routes cases to department `{}`", department.id),
                "name it as `department` in a category, or remove it",
            );
        }
    }
    for (name, list_empty) in [
        ("case_types", case_types.is_empty()),
        ("severities", severities.is_empty()),
        ("categories", categories.is_empty()),
        ("departments", departments.is_empty()),
    ] {
        if list_empty && !report.has_errors() {
            report.error(
                &(0..0),
                format!("rules.toml defines no `[[{name}]]`"),
                format!("add at least one `[[{name}]]` entry"),
            );
        }
    }

    Some(Rulebook {
        office: office?.0,
        calendar: calendar?,
        case_types: case_types.into_iter().map(|(t, _)| t).collect(),
        severities: severities.into_iter().map(|(s, _)| s).collect(),
        categories: categories.into_iter().map(|(c, _)| c).collect(),
        departments: departments.into_iter().map(|(d, _)| d).collect(),
        reminders: reminders?,
        follow_up: follow_up?,
        extensions: extensions?.0,
        retention: retention?,
        statistics: statistics?,
        duplicates: duplicates?,
        form: form?,
        evidence: evidence?,
        text_messages: text_messages?,
    })
}

/// Where an entry's references were written, for errors found later.
#[derive(Default, Clone)]
struct Refs {
    id: Span,
    department: Span,
    default_severity: Span,
}

trait HasId {
    fn id(&self) -> &str;
}
macro_rules! has_id {
    ($($t:ty),*) => {$(impl HasId for $t { fn id(&self) -> &str { self.id.as_str() } })*};
}
has_id!(CaseType, SeverityLevel, Category, Department);

type EntryReader<T> = fn(&mut Report<'_>, TableReader<'_, '_>) -> Option<(T, Refs)>;

fn read_list<T>(
    report: &mut Report<'_>,
    top: &mut TableReader<'_, '_>,
    key: &str,
    read: EntryReader<T>,
) -> Vec<(T, Refs)> {
    top.tables(report, key)
        .into_iter()
        .filter_map(|t| read(report, t))
        .collect()
}

fn optional_table<T: Default>(
    report: &mut Report<'_>,
    top: &mut TableReader<'_, '_>,
    key: &str,
    read: fn(&mut Report<'_>, TableReader<'_, '_>) -> Option<T>,
) -> Option<T> {
    let present = top.has(key);
    match top.table(report, key) {
        Some(t) => read(report, t),
        // Present but not a table: already reported.
        None if present => None,
        None => Some(T::default()),
    }
}

fn unique_ids<T: HasId>(
    report: &mut Report<'_>,
    items: Vec<(T, Refs)>,
    what: &str,
) -> Vec<(T, Refs)> {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut out = Vec::new();
    for (item, refs) in items {
        if seen.insert(item.id().to_string(), ()).is_some() {
            report.error(
                &refs.id,
                format!("{what} `{}` is defined twice", item.id()),
                "give each entry its own `id`",
            );
        } else {
            out.push((item, refs));
        }
    }
    out
}

fn check_reference(
    report: &mut Report<'_>,
    id: &impl std::fmt::Display,
    span: &Span,
    defined: &[&str],
    what: &str,
) {
    let id = id.to_string();
    if defined.contains(&id.as_str()) {
        return;
    }
    let mut hint = format!("defined {what} ids: {}", defined.join(", "));
    if let Some(near) = closest(&id, defined) {
        hint = format!("did you mean `{near}`? {hint}");
    }
    report.error(span, format!("unknown {what} `{id}`"), hint);
}

fn read_id(report: &mut Report<'_>, table: &mut TableReader<'_, '_>) -> Option<(String, Span)> {
    let (id, span) = table.required_string(report, "id", "write `id = \"lowercase-words\"`")?;
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if !ok {
        report.error(
            &span,
            format!("id `{id}` may use only lowercase letters, digits and hyphens"),
            format!("for example `id = \"{}\"`", suggest_id(&id)),
        );
        return None;
    }
    Some((id, span))
}

fn suggest_id(id: &str) -> String {
    let s: String = id
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "water-supply".into()
    } else {
        s
    }
}

fn read_limits(report: &mut Report<'_>, table: &mut TableReader<'_, '_>) -> Limits {
    let mut limits = Limits::default();
    for kind in DeadlineKind::ALL {
        limits.set(kind, table.time_limit(report, kind.key()).map(|(l, _)| l));
    }
    limits
}

fn read_office(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<(Office, Refs)> {
    let name = t.required_localized(report, "name");
    let department = t.required_string(
        report,
        "department",
        "name the department entry that is the complaint office, e.g. `department = \"office\"`",
    );
    let hotline = t.string(report, "hotline");
    let management = t.strings(report, "management").unwrap_or_default();
    let prefix = t.string(report, "tracking_prefix");
    let reroute_within = t
        .time_limit(report, "reroute_within")
        .map_or(TimeLimit::working_days(1), |(l, _)| l);
    t.finish(
        report,
        &[
            "name",
            "department",
            "hotline",
            "management",
            "tracking_prefix",
            "reroute_within",
        ],
    );

    let tracking_prefix = match prefix {
        Some((p, span)) => {
            if (1..=4).contains(&p.len()) && p.chars().all(|c| c.is_ascii_uppercase()) {
                p
            } else {
                report.error(
                    &span,
                    format!("tracking prefix `{p}` must be 1 to 4 capital letters A–Z"),
                    "for example `tracking_prefix = \"TS\"`",
                );
                return None;
            }
        }
        None => "TS".to_string(),
    };
    for (address, span) in &management {
        check_email(report, address, span);
    }
    let (department, department_span) = department?;
    Some((
        Office {
            name: name?,
            department: DepartmentId(department),
            management: management.into_iter().map(|(m, _)| m).collect(),
            tracking_prefix,
            reroute_within,
            hotline: hotline.map(|(h, _)| h).unwrap_or_else(|| "12345".into()),
        },
        Refs {
            department: department_span,
            ..Refs::default()
        },
    ))
}

fn read_case_type(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<(CaseType, Refs)> {
    let id = read_id(report, &mut t);
    let name = t.required_localized(report, "name");
    let description = t.localized(report, "description").unwrap_or_default();
    let limits = read_limits(report, &mut t);
    let contact_required = t.boolean(report, "contact_required").unwrap_or(true);
    let anonymous_allowed = t.boolean(report, "anonymous_allowed").unwrap_or(false);
    let identity_withheld = t.boolean(report, "identity_withheld").unwrap_or(false);
    let max_extension = t.time_limit(report, "max_extension").map(|(l, _)| l);
    let severity_shortens_completion = t
        .boolean(report, "severity_shortens_completion")
        .unwrap_or(true);
    let answer_wait = t.time_limit(report, "answer_wait");
    let mut raise_span = Span::default();
    let raise_unresolved = t.table(report, "raise_unresolved").and_then(|mut r| {
        let to = r.required_string(report, "to", "name the severity, e.g. `to = \"major\"`");
        let after = if r.has("after") {
            r.time_limit(report, "after")
        } else {
            report.error(
                &r.span,
                "`raise_unresolved` needs `after`",
                "write e.g. `after = \"30 calendar days\"`",
            );
            None
        };
        r.finish(report, &["to", "after"]);
        let ((to, span), (after, _)) = (to?, after?);
        raise_span = span;
        Some(RaiseUnresolved {
            to: SeverityId(to),
            after,
        })
    });
    t.finish(
        report,
        &[
            "id",
            "name",
            "description",
            "forward",
            "accept",
            "reply",
            "complete",
            "contact_required",
            "anonymous_allowed",
            "identity_withheld",
            "max_extension",
            "severity_shortens_completion",
            "raise_unresolved",
            "answer_wait",
        ],
    );
    let (id, id_span) = id?;
    // The wait stops the completion clock: without one it would promise
    // the complainant a pause of nothing.
    if let Some((_, span)) = &answer_wait
        && limits.complete.is_none()
    {
        report.error(
            span,
            format!("case type `{id}` pauses its completion clock but sets no `complete` limit"),
            "add a `complete` limit to the case type, or remove `answer_wait`",
        );
    }
    let answer_wait = answer_wait.map(|(l, _)| l);
    if identity_withheld && !contact_required && !anonymous_allowed {
        report.warning(
            &id_span,
            format!("case type `{id}` withholds an identity it never asks for"),
            None,
        );
    }
    Some((
        CaseType {
            id: CaseTypeId(id),
            name: name?,
            description,
            limits,
            contact_required,
            anonymous_allowed,
            identity_withheld,
            max_extension,
            severity_shortens_completion,
            raise_unresolved,
            answer_wait,
        },
        Refs {
            id: id_span,
            default_severity: raise_span,
            ..Refs::default()
        },
    ))
}

fn read_severity(
    report: &mut Report<'_>,
    mut t: TableReader<'_, '_>,
) -> Option<(SeverityLevel, Refs)> {
    let id = read_id(report, &mut t);
    let name = t.required_localized(report, "name");
    let description = t.localized(report, "description").unwrap_or_default();
    let limits = read_limits(report, &mut t);
    let notify_supervisor = t.boolean(report, "notify_supervisor").unwrap_or(false);
    let own_deadline = t.boolean(report, "own_deadline").unwrap_or(false);
    let approver = t.string(report, "extension_approver");
    t.finish(
        report,
        &[
            "id",
            "name",
            "description",
            "forward",
            "accept",
            "reply",
            "complete",
            "notify_supervisor",
            "own_deadline",
            "extension_approver",
        ],
    );
    let (id, id_span) = id?;
    Some((
        SeverityLevel {
            id: SeverityId(id),
            name: name?,
            description,
            limits,
            notify_supervisor,
            own_deadline,
            extension_approver: approver.as_ref().map(|(a, _)| DepartmentId(a.clone())),
        },
        Refs {
            id: id_span,
            department: approver.map(|(_, s)| s).unwrap_or_default(),
            ..Refs::default()
        },
    ))
}

fn read_category(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<(Category, Refs)> {
    let id = read_id(report, &mut t);
    let name = t.required_localized(report, "name");
    let description = t.localized(report, "description").unwrap_or_default();
    let department = t.required_string(
        report,
        "department",
        "name the department that handles this category, e.g. `department = \"housing\"`",
    );
    let severity = t.required_string(
        report,
        "default_severity",
        "write e.g. `default_severity = \"minor\"`",
    );
    t.finish(
        report,
        &[
            "id",
            "name",
            "description",
            "department",
            "default_severity",
        ],
    );
    let (id, id_span) = id?;
    let (department, department_span) = department?;
    let (severity, severity_span) = severity?;
    Some((
        Category {
            id: CategoryId(id),
            name: name?,
            description,
            department: DepartmentId(department),
            default_severity: SeverityId(severity),
        },
        Refs {
            id: id_span,
            department: department_span,
            default_severity: severity_span,
        },
    ))
}

fn read_department(
    report: &mut Report<'_>,
    mut t: TableReader<'_, '_>,
) -> Option<(Department, Refs)> {
    let id = read_id(report, &mut t);
    let name = t.required_localized(report, "name");
    let inboxes = match t.strings(report, "inboxes") {
        Some(list) => list,
        None => {
            report.error(
                &t.span,
                format!("{} has no `inboxes`", t.name),
                "write `inboxes = [\"unit@example.org\"]`",
            );
            Vec::new()
        }
    };
    let escalation = t.strings(report, "escalation").unwrap_or_default();
    let report_inboxes = t.strings(report, "report_inboxes").unwrap_or_default();
    t.finish(
        report,
        &["id", "name", "inboxes", "escalation", "report_inboxes"],
    );
    if inboxes.is_empty() {
        report.error(
            &t_span_or(&id),
            "a department needs at least one inbox address",
            "write `inboxes = [\"unit@example.org\"]`",
        );
    }
    for (address, span) in inboxes
        .iter()
        .chain(escalation.iter())
        .chain(report_inboxes.iter())
    {
        check_email(report, address, span);
    }
    let (id, id_span) = id?;
    Some((
        Department {
            id: DepartmentId(id),
            name: name?,
            inboxes: inboxes.into_iter().map(|(a, _)| a).collect(),
            escalation: escalation.into_iter().map(|(a, _)| a).collect(),
            report_inboxes: report_inboxes.into_iter().map(|(a, _)| a).collect(),
        },
        Refs {
            id: id_span,
            ..Refs::default()
        },
    ))
}

fn t_span_or(id: &Option<(String, Span)>) -> Span {
    id.as_ref().map(|(_, s)| s.clone()).unwrap_or(0..0)
}

fn check_email(report: &mut Report<'_>, address: &str, span: &Span) {
    let valid = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if !valid {
        report.error(
            span,
            format!("`{address}` is not an e-mail address"),
            "write e.g. \"housing@example.org\"",
        );
    }
}

fn read_calendar(
    report: &mut Report<'_>,
    mut t: TableReader<'_, '_>,
) -> Option<crate::calendar::Calendar> {
    let mut calendar = crate::calendar::Calendar::default();
    let mut ok = true;
    if let Some((zone, span)) = t.string(report, "time_zone") {
        match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => calendar.time_zone = tz,
            Err(_) => {
                ok = false;
                report.error(
                    &span,
                    format!("`{zone}` is not an IANA time zone"),
                    "write e.g. `time_zone = \"Asia/Shanghai\"`",
                );
            }
        }
    }
    if let Some(days) = t.strings(report, "working_days") {
        let mut weekdays = Vec::new();
        for (day, span) in days {
            match parse_weekday(&day) {
                Some(w) if !weekdays.contains(&w) => weekdays.push(w),
                Some(_) => report.warning(&span, format!("`{day}` is listed twice"), None),
                None => {
                    ok = false;
                    report.error(&span, format!("`{day}` is not a day of the week"), "write days as \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"");
                }
            }
        }
        if weekdays.is_empty() {
            ok = false;
            report.error(
                &t.span,
                "`working_days` lists no day of the week",
                "write `working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]`",
            );
        }
        calendar.working_weekdays = weekdays;
    }
    let opens = read_time(report, &mut t, "opens");
    let closes = read_time(report, &mut t, "closes");
    if let Some((time, _)) = opens {
        calendar.opens = time;
    }
    if let Some((time, span)) = closes {
        calendar.closes = time;
        if calendar.closes <= calendar.opens {
            ok = false;
            report.error(
                &span,
                "closing time is not after opening time",
                "write e.g. `opens = \"09:00\"` and `closes = \"18:00\"`",
            );
        }
    }
    if let Some(mut years) = t.table(report, "years") {
        for (key, key_span, value) in years.entries() {
            let year = match key.parse::<i32>() {
                Ok(y) if (2000..=2100).contains(&y) => y,
                _ => {
                    ok = false;
                    report.error(
                        &key_span,
                        format!("`{key}` is not a year"),
                        "write `[calendar.years.2026]`",
                    );
                    continue;
                }
            };
            let Some(table) =
                TableReader::from_value(report, value, format!("[calendar.years.{year}]"))
            else {
                ok = false;
                continue;
            };
            match read_year(report, table, year) {
                Some(y) => {
                    calendar.years.insert(year, y);
                }
                None => ok = false,
            }
        }
    }
    t.finish(
        report,
        &["time_zone", "working_days", "opens", "closes", "years"],
    );
    ok.then_some(calendar)
}

fn read_time(
    report: &mut Report<'_>,
    t: &mut TableReader<'_, '_>,
    key: &str,
) -> Option<(NaiveTime, Span)> {
    let (text, span) = t.string(report, key)?;
    match NaiveTime::parse_from_str(&text, "%H:%M") {
        Ok(time) => Some((time, span)),
        Err(_) => {
            report.error(
                &span,
                format!("`{key}` = \"{text}\" is not a time of day"),
                format!("write 24-hour time, e.g. `{key} = \"09:00\"`"),
            );
            None
        }
    }
}

fn parse_weekday(day: &str) -> Option<Weekday> {
    Some(match day.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// `[text_messages]`, when present: `Some(None)` without it, `None` when
/// it has errors (reported).
fn read_optional_text_messages(
    report: &mut Report<'_>,
    top: &mut TableReader<'_, '_>,
) -> Option<Option<TextMessages>> {
    let present = top.has("text_messages");
    match top.table(report, "text_messages") {
        Some(t) => read_text_messages(report, t).map(Some),
        // Present but not a table: already reported.
        None if present => None,
        None => Some(None),
    }
}

fn read_text_messages(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<TextMessages> {
    let table_span = t.span.clone();
    let signature = t.required_localized(report, "signature");
    let both_present = t.has("send_from") && t.has("send_until");
    let from = read_time(report, &mut t, "send_from");
    let until = read_time(report, &mut t, "send_until");
    t.finish(report, &["signature", "send_from", "send_until"]);
    let (Some((send_from, _)), Some((send_until, until_span))) = (from, until) else {
        if !both_present {
            report.error(
                &table_span,
                "`[text_messages]` needs both `send_from` and `send_until`",
                "write e.g. `send_from = \"08:00\"` and `send_until = \"21:00\"`",
            );
        }
        return None;
    };
    if send_until <= send_from {
        report.error(
            &until_span,
            "`send_until` is not after `send_from`",
            "texts are sent within one day's hours: write e.g. `send_from = \"08:00\"` and `send_until = \"21:00\"`",
        );
        return None;
    }
    let signature = signature?;
    if signature.zh.trim().is_empty() {
        report.error(
            &table_span,
            "the text signature is empty",
            "write the office's registered signature, e.g. `signature = { zh = \"【示例市12345】\", en = \"[Sample City 12345]\" }`",
        );
        return None;
    }
    Some(TextMessages {
        signature,
        send_from,
        send_until,
    })
}

/// One year of the holiday calendar. `provisional = true` marks a year that
/// was entered before the official notice was published.
fn read_year(
    report: &mut Report<'_>,
    mut t: TableReader<'_, '_>,
    year: i32,
) -> Option<HolidayYear> {
    let mut ok = true;
    let mut holidays: Vec<(Holiday, Span)> = Vec::new();
    for mut h in t.tables(report, "holidays") {
        let name = h.required_localized(report, "name");
        let first = h
            .required(report, "from", "write `from = 2026-10-01`")
            .and_then(|v| read_date(report, v, "from"));
        let last = h
            .required(report, "to", "write `to = 2026-10-07`")
            .and_then(|v| read_date(report, v, "to"));
        h.finish(report, &["name", "from", "to"]);
        let (Some(name), Some((first, first_span)), Some((last, last_span))) = (name, first, last)
        else {
            ok = false;
            continue;
        };
        for (date, span) in [(first, &first_span), (last, &last_span)] {
            if date.year() != year {
                ok = false;
                report.error(
                    span,
                    format!("{date} is not in {year}"),
                    format!("move it under `[calendar.years.{}]`", date.year()),
                );
            }
        }
        if last < first {
            ok = false;
            report.error(
                &last_span,
                format!("the holiday ends ({last}) before it starts ({first})"),
                "`to` is the last day off, on or after `from`",
            );
            continue;
        }
        holidays.push((Holiday { name, first, last }, first_span));
    }
    let mut make_up = Vec::new();
    if let Some(value) = t.get("make_up_working_days")
        && let Some(items) = expect_array(report, value, "make_up_working_days")
    {
        for item in items {
            let Some((date, span)) = read_date(report, item, "make_up_working_days") else {
                ok = false;
                continue;
            };
            if date.year() != year {
                ok = false;
                report.error(
                    &span,
                    format!("{date} is not in {year}"),
                    format!("move it under `[calendar.years.{}]`", date.year()),
                );
            }
            if let Some((h, _)) = holidays
                .iter()
                .find(|(h, _)| h.first <= date && date <= h.last)
            {
                ok = false;
                report.error(
                    &span,
                    format!(
                        "{date} is both a make-up working day and a day off ({})",
                        h.name.zh
                    ),
                    "a day is either off or worked: remove it from one list",
                );
            }
            if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                report.warning(
                    &span,
                    format!("{date} is a {}, already a working day", date.weekday()),
                    "make-up working days are weekend days",
                );
            }
            make_up.push(date);
        }
    }
    let provisional = t.boolean(report, "provisional").unwrap_or(false);
    if provisional {
        report.warning(
            &t.span,
            format!("the {year} holiday calendar is marked provisional"),
            format!("replace it with the official {year} notice and remove `provisional = true`"),
        );
    }
    t.finish(report, &["holidays", "make_up_working_days", "provisional"]);
    ok.then(|| HolidayYear {
        holidays: holidays.into_iter().map(|(h, _)| h).collect(),
        make_up_working_days: make_up,
        provisional,
    })
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            before: TimeLimit::working_days(1),
        }
    }
}

fn read_reminders(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<Reminders> {
    let before = t.time_limit(report, "before");
    t.finish(report, &["before"]);
    Some(Reminders {
        before: before
            .map(|(b, _)| b)
            .unwrap_or(Reminders::default().before),
    })
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            after: TimeLimit::working_days(2),
            open_for: TimeLimit::calendar_days(14),
            when_unsatisfied: WhenUnsatisfied::Reopen,
            satisfied: vec![Satisfaction::VerySatisfied, Satisfaction::Satisfied],
            // A neutral answer gives no right to have the case handled again.
            unsatisfied: vec![Satisfaction::Dissatisfied, Satisfaction::VeryDissatisfied],
        }
    }
}

/// A list of survey answers by id (`satisfied = ["very_satisfied", …]`),
/// in the survey's order whatever order they were written in.
fn read_answers(
    report: &mut Report<'_>,
    t: &mut TableReader<'_, '_>,
    key: &str,
) -> Option<(Vec<Satisfaction>, Span)> {
    let value = t.get(key)?;
    let span = value.span();
    let mut items = Vec::new();
    for item in expect_array(report, value, key)? {
        items.extend(expect_string(report, item, key));
    }
    let ids: Vec<&str> = Satisfaction::ALL.iter().map(|s| s.id()).collect();
    let mut answers = Vec::new();
    let mut ok = true;
    for (id, at) in items {
        match Satisfaction::from_id(&id) {
            Some(a) if answers.contains(&a) => {
                report.error(
                    &at,
                    format!("`{key}` lists the answer `{id}` twice"),
                    "write each answer once",
                );
                ok = false;
            }
            Some(a) => answers.push(a),
            None => {
                let hint = match closest(&id, &ids) {
                    Some(near) => format!("write \"{near}\"; the answers are {}", ids.join(", ")),
                    None => format!("the answers are {}", ids.join(", ")),
                };
                report.error(
                    &at,
                    format!("`{key}` names the answer `{id}`, which the survey does not offer"),
                    hint,
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    answers.sort_by_key(|a| Satisfaction::ALL.iter().position(|x| x == a));
    Some((answers, span))
}

fn read_follow_up(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<FollowUp> {
    let defaults = FollowUp::default();
    let after = t.time_limit(report, "after");
    let open_for = t.time_limit(report, "open_for");
    let when = t.string(report, "when_unsatisfied");
    let satisfied = read_answers(report, &mut t, "satisfied");
    let unsatisfied = read_answers(report, &mut t, "unsatisfied");
    t.finish(
        report,
        &[
            "after",
            "open_for",
            "when_unsatisfied",
            "satisfied",
            "unsatisfied",
        ],
    );
    // An answer cannot both count as satisfied and reopen the case.
    if let (Some((s, _)), Some((u, span))) = (&satisfied, &unsatisfied) {
        let both: Vec<&str> = u.iter().filter(|a| s.contains(a)).map(|a| a.id()).collect();
        if !both.is_empty() {
            report.error(
                span,
                format!(
                    "`unsatisfied` lists {}, which `satisfied` lists too",
                    both.join(", ")
                ),
                "an answer is either satisfied or unsatisfied (or neither); remove it from one list",
            );
            return None;
        }
    }
    let when_unsatisfied = match when {
        None => defaults.when_unsatisfied,
        Some((w, _)) if w == "reopen" => WhenUnsatisfied::Reopen,
        Some((w, _)) if w == "escalate" => WhenUnsatisfied::Escalate,
        Some((w, span)) => {
            report.error(
                &span,
                format!("`when_unsatisfied` = \"{w}\" is not a choice"),
                "write \"reopen\" or \"escalate\"",
            );
            return None;
        }
    };
    Some(FollowUp {
        after: after.map(|(a, _)| a).unwrap_or(defaults.after),
        open_for: open_for.map(|(o, _)| o).unwrap_or(defaults.open_for),
        when_unsatisfied,
        satisfied: satisfied.map(|(s, _)| s).unwrap_or(defaults.satisfied),
        unsatisfied: unsatisfied.map(|(u, _)| u).unwrap_or(defaults.unsatisfied),
    })
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions {
            reason_required: true,
            ask_before_deadline: true,
            max: TimeLimit::working_days(15),
            approver: None,
        }
    }
}

/// `[extensions]`, with where its `approver` was written (checked once the
/// departments are known).
fn read_extensions(
    report: &mut Report<'_>,
    mut t: TableReader<'_, '_>,
) -> Option<(Extensions, Span)> {
    let defaults = Extensions::default();
    let reason_required = t
        .boolean(report, "reason_required")
        .unwrap_or(defaults.reason_required);
    let ask_before_deadline = t
        .boolean(report, "ask_before_deadline")
        .unwrap_or(defaults.ask_before_deadline);
    let max = t.time_limit(report, "max");
    let approver = t.string(report, "approver");
    t.finish(
        report,
        &["reason_required", "ask_before_deadline", "max", "approver"],
    );
    if let Some((limit, span)) = &max
        && limit.amount == 0
    {
        report.error(
            span,
            "an extension of zero is no extension",
            "write e.g. `max = \"15 working days\"`, or remove the key",
        );
        return None;
    }
    let span = approver
        .as_ref()
        .map(|(_, s)| s.clone())
        .unwrap_or_default();
    Some((
        Extensions {
            reason_required,
            ask_before_deadline,
            max: max.map(|(m, _)| m).unwrap_or(defaults.max),
            approver: approver.map(|(a, _)| DepartmentId(a)),
        },
        span,
    ))
}

impl Default for Retention {
    fn default() -> Self {
        Retention { years: 2 }
    }
}

fn read_retention(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<Retention> {
    let present = t.has("years");
    let years = t.integer(report, "years", 0..101);
    t.finish(report, &["years"]);
    match years {
        None if present => None,
        None => Some(Retention::default()),
        Some((n, span)) if n < 2 => {
            report.error(
                &span,
                format!("records must be kept at least 2 years, not {n}"),
                "write `years = 2` or more",
            );
            None
        }
        Some((n, _)) => Some(Retention { years: n as u32 }),
    }
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics { working_day: 1 }
    }
}

fn read_statistics(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<Statistics> {
    let present = t.has("working_day");
    let day = t.integer(report, "working_day", 1..11);
    t.finish(report, &["working_day"]);
    match day {
        None if present => None,
        None => Some(Statistics::default()),
        Some((n, _)) => Some(Statistics {
            working_day: n as u32,
        }),
    }
}

impl Default for Duplicates {
    fn default() -> Self {
        Duplicates {
            window: TimeLimit::working_days(5),
        }
    }
}

fn read_duplicates(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<Duplicates> {
    let present = t.has("window");
    let window = t.time_limit(report, "window");
    t.finish(report, &["window"]);
    match window {
        None if present => None,
        None => Some(Duplicates::default()),
        Some((limit, span)) if limit.amount == 0 => {
            report.error(
                &span,
                "a window of zero would never suggest a duplicate",
                "write e.g. `window = \"5 working days\"`, or remove the key",
            );
            None
        }
        Some((window, _)) => Some(Duplicates { window }),
    }
}

fn read_form(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<FormLimits> {
    let mut form = FormLimits::default();
    let mut ok = true;
    if let Some(mut max) = t.table(report, "max_length") {
        let fields: [(&str, &mut usize, i64); 7] = [
            ("name", &mut form.name, 200),
            ("phone", &mut form.phone, 40),
            ("email", &mut form.email, 254),
            ("subject", &mut form.subject, 500),
            ("location", &mut form.location, 1000),
            ("description", &mut form.description, 20000),
            ("desired_outcome", &mut form.desired_outcome, 5000),
        ];
        let keys: Vec<&str> = fields.iter().map(|(k, _, _)| *k).collect();
        for (key, slot, upper) in fields {
            let present = max.has(key);
            match max.integer(report, key, 1..upper + 1) {
                Some((n, _)) => *slot = n as usize,
                None if present => ok = false,
                None => {}
            }
        }
        max.finish(report, &keys);
    }
    t.finish(report, &["max_length"]);
    ok.then_some(form)
}

/// `[evidence]`: every key is required, since the limits are published on
/// the form page and a silent default would be a promise nobody wrote.
fn read_evidence(report: &mut Report<'_>, mut t: TableReader<'_, '_>) -> Option<EvidenceRules> {
    const KEYS: [(&str, &str); 5] = [
        ("max_files", "write e.g. `max_files = 5`"),
        ("max_file_size", "write e.g. `max_file_size = \"10 MB\"`"),
        ("max_total_size", "write e.g. `max_total_size = \"25 MB\"`"),
        ("types", "write e.g. `types = [\"jpeg\", \"png\", \"pdf\"]`"),
        ("max_megapixels", "write e.g. `max_megapixels = 40`"),
    ];
    let mut ok = true;
    for (key, hint) in KEYS {
        if !t.has(key) {
            report.error(&t.span, format!("[evidence] is missing `{key}`"), hint);
            ok = false;
        }
    }
    let files = t.integer(report, "max_files", 1..MAX_EVIDENCE_FILES + 1);
    let file_size = read_size(report, &mut t, "max_file_size");
    let total_size = read_size(report, &mut t, "max_total_size");
    let types = read_evidence_types(report, &mut t);
    let megapixels = t.integer(report, "max_megapixels", 1..MAX_MEGAPIXELS + 1);
    let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    t.finish(report, &keys);
    let (Some((files, _)), Some((file_size, file_span)), Some((total_size, _))) =
        (files, file_size, total_size)
    else {
        return None;
    };
    if file_size > total_size {
        report.error(
            &file_span,
            format!(
                "`max_file_size` ({}) is larger than `max_total_size` ({})",
                format_bytes(file_size),
                format_bytes(total_size)
            ),
            "one file cannot be larger than all of them together: lower `max_file_size` or raise `max_total_size`",
        );
        ok = false;
    } else if total_size > file_size * files as u64 {
        report.warning(
            &file_span,
            format!(
                "`max_total_size` ({}) can never be reached: {files} files of at most {} each",
                format_bytes(total_size),
                format_bytes(file_size)
            ),
            format!(
                "lower `max_total_size` to {}, or raise `max_files` or `max_file_size`",
                format_bytes(file_size * files as u64)
            ),
        );
    }
    let (types, (megapixels, _)) = (types?, megapixels?);
    ok.then(|| EvidenceRules {
        max_files: files as u32,
        max_file_bytes: file_size,
        max_total_bytes: total_size,
        types,
        max_pixels: megapixels as u64 * 1_000_000,
    })
}

/// A size such as "10 MB": above zero, at most [`MAX_EVIDENCE_BYTES`].
fn read_size(
    report: &mut Report<'_>,
    t: &mut TableReader<'_, '_>,
    key: &str,
) -> Option<(u64, Span)> {
    let value = t.get(key)?;
    let span = value.span();
    let text = match value.get_ref() {
        toml::de::DeValue::String(text) => text,
        toml::de::DeValue::Integer(_) => {
            report.error(
                &span,
                format!("`{key}` needs a unit"),
                format!("write {SIZE_FORMS}"),
            );
            return None;
        }
        other => {
            report.error(
                &span,
                format!(
                    "`{key}` must be a size, found {}",
                    super::reader::type_name(other)
                ),
                format!("write {SIZE_FORMS}"),
            );
            return None;
        }
    };
    match parse_size(text) {
        Ok(0) => {
            report.error(
                &span,
                format!("`{key}` = \"{text}\" takes no file at all"),
                "write a size above zero, or remove `[evidence]` to take no files",
            );
            None
        }
        Ok(bytes) if bytes > MAX_EVIDENCE_BYTES => {
            report.error(
                &span,
                format!(
                    "`{key}` = \"{text}\" is above {}, the most a file can be checked at",
                    format_bytes(MAX_EVIDENCE_BYTES)
                ),
                format!("write at most \"{}\"", format_bytes(MAX_EVIDENCE_BYTES)),
            );
            None
        }
        Ok(bytes) => Some((bytes, span)),
        Err(problem) => {
            report.error(
                &span,
                format!("`{key}` = \"{text}\" is not a size: {problem}"),
                format!("write {SIZE_FORMS}"),
            );
            None
        }
    }
}

/// "N MB" or "N KB" in decimal units (1 MB = 1,000,000 bytes, as disk and
/// phone makers count, so a "10 MB" photo on the visitor's phone fits a
/// "10 MB" limit). Binary units are refused rather than guessed at.
pub(crate) fn parse_size(text: &str) -> Result<u64, &'static str> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err("it does not start with a whole number");
    }
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "mb" => 1_000_000,
        "kb" => 1_000,
        "" => return Err("it has no unit"),
        "mib" | "kib" => return Err("binary units are not used here"),
        "gb" => return Err("GB is not a unit here; 1 GB is 1000 MB"),
        _ => return Err("the unit is MB or KB"),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or("the number is too large")
}

/// `types = ["jpeg", "png", "pdf"]`: at least one, each known and once.
fn read_evidence_types(
    report: &mut Report<'_>,
    t: &mut TableReader<'_, '_>,
) -> Option<Vec<EvidenceType>> {
    let value = t.get("types")?;
    let span = value.span();
    let mut items = Vec::new();
    for item in expect_array(report, value, "types")? {
        items.extend(expect_string(report, item, "types"));
    }
    let known: Vec<&str> = EvidenceType::ALL.iter().map(|k| k.id()).collect();
    if items.is_empty() {
        report.error(
            &span,
            "`types` names no kind of file",
            format!(
                "name some of {}, or remove `[evidence]` to take no files",
                known.join(", ")
            ),
        );
        return None;
    }
    let mut types = Vec::new();
    let mut ok = true;
    for (id, at) in items {
        match EvidenceType::from_id(&id) {
            Some(kind) if types.contains(&kind) => {
                report.error(
                    &at,
                    format!("`types` lists `{id}` twice"),
                    "write each kind of file once",
                );
                ok = false;
            }
            Some(kind) => types.push(kind),
            None => {
                let hint = match closest(&id, &known) {
                    Some(near) => {
                        format!("write \"{near}\"; the kinds taken are {}", known.join(", "))
                    }
                    None => format!("the kinds taken are {}", known.join(", ")),
                };
                report.error(
                    &at,
                    format!("`types` names `{id}`, a kind of file hotline cannot check"),
                    hint,
                );
                ok = false;
            }
        }
    }
    ok.then_some(types)
}

/// The calendar should reach past the longest limit a case opened today can
/// have; beyond it only weekends count and holidays would be missed.
fn horizon_warning(
    rules: &Rulebook,
    path: &Path,
    text: &str,
    today: NaiveDate,
) -> Option<Diagnostic> {
    let longest = rules
        .case_types
        .iter()
        .flat_map(|t| {
            DeadlineKind::ALL
                .iter()
                .filter_map(|k| t.limits.get(*k))
                .chain(Some(rules.max_extension(t)))
        })
        .max_by_key(TimeLimit::approx_minutes)?;
    // Working days are at most ~7/5 calendar days, plus the longest holiday run.
    let horizon_days = i64::from(longest.amount) * 7 / 5 + 14;
    let horizon = today + chrono::Duration::days(horizon_days);
    // A provisional year is a guess at the notice: it does not count.
    let until = rules.calendar.confirmed_until();
    if until.is_some_and(|u| u >= horizon) {
        return None;
    }
    let source = SourceFile::new(path, text);
    let offset = text.find("[calendar").unwrap_or(0);
    let guessed = rules.calendar.covered_until().filter(|g| until < Some(*g));
    let message = match (until, guessed) {
        (Some(u), Some(_)) => format!(
            "the official holiday calendar ends on {u}, but a case opened today with the longest limit ({longest}) can run until about {horizon}; the years after {u} are provisional"
        ),
        (Some(u), None) => format!(
            "the holiday calendar ends on {u}, but a case opened today with the longest limit ({longest}) can run until about {horizon}; after {u} only weekends count"
        ),
        (None, Some(_)) => "the holiday calendar lists only provisional years".to_string(),
        (None, None) => {
            "the holiday calendar lists no year: only weekends count as days off".to_string()
        }
    };
    Some(source.diagnostic(
        crate::diagnostic::Severity::Warning,
        offset,
        message,
        Some(match guessed {
            Some(_) => format!(
                "replace the provisional `[calendar.years.{}]` with the official holiday notice",
                until.map(|u| u.year() + 1).unwrap_or(today.year())
            ),
            None => format!(
                "add `[calendar.years.{}]` from the official holiday notice",
                until.map(|u| u.year() + 1).unwrap_or(today.year())
            ),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_decimal_megabytes_and_kilobytes() {
        assert_eq!(parse_size("10 MB"), Ok(10_000_000));
        assert_eq!(parse_size("500 KB"), Ok(500_000));
        assert_eq!(parse_size("25mb"), Ok(25_000_000));
        assert_eq!(parse_size(" 1 kB "), Ok(1_000));
        assert_eq!(parse_size("0 MB"), Ok(0));
    }

    #[test]
    fn a_size_without_a_known_unit_or_number_is_refused() {
        for text in [
            "10",
            "MB",
            "ten MB",
            "10 MiB",
            "1 GB",
            "10 megabytes",
            "1.5 MB",
            "-1 MB",
            "99999999999999999999 MB",
        ] {
            assert!(parse_size(text).is_err(), "{text} was taken");
        }
        assert!(parse_size("10 MiB").unwrap_err().contains("binary"));
    }

    #[test]
    fn sizes_read_back_as_the_rulebook_writes_them() {
        for text in ["10 MB", "500 KB", "1500 KB", "1000 MB"] {
            assert_eq!(format_bytes(parse_size(text).unwrap()), text);
        }
        assert_eq!(format_bytes(999), "999 B");
    }

    #[test]
    fn each_evidence_type_offers_its_media_type_and_endings() {
        for kind in EvidenceType::ALL {
            assert_eq!(EvidenceType::from_id(kind.id()), Some(kind));
            assert!(!kind.extensions().is_empty());
            assert!(kind.content_type().contains('/'));
        }
        assert_eq!(EvidenceType::Jpeg.extensions(), ["jpg", "jpeg"]);
        assert_eq!(EvidenceType::Pdf.content_type(), "application/pdf");
        assert!(EvidenceType::Png.is_image() && !EvidenceType::Pdf.is_image());
        assert_eq!(EvidenceType::from_id("jpg"), None);
    }
}
