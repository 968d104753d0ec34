//! What the templates see of the rulebook, in one language: the time-limit
//! table, the severities, the holiday calendar and the form's choices.
//!
//! Built from the parsed [`Rulebook`] at every build, so the published table
//! and the form cannot drift from what the functions enforce.

use casework::rules::{DeadlineKind, Limits};
use casework::{Lang, Rulebook};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    pub office_name: String,
    pub hotline: String,
    /// Column headings of the limit tables, in the order a case meets them.
    pub deadlines: Vec<DeadlineColumn>,
    pub case_types: Vec<CaseTypeView>,
    pub severities: Vec<SeverityView>,
    pub categories: Vec<ChoiceView>,
    pub years: Vec<YearView>,
    pub form: casework::rules::FormLimits,
    /// Names of the case types that may be sent anonymously.
    pub anonymous_types: Vec<String>,
    /// Names of the categories whose severity takes the complainant's own
    /// deadline; empty: the form does not ask for one.
    pub own_deadline_categories: Vec<String>,
    /// The form's file field; `None`: the rulebook takes no evidence, so
    /// the form has no file field and is not sent as multipart.
    pub evidence: Option<EvidenceView>,
}

/// The evidence limits as the form shows them and its script checks them.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    pub max_files: u32,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    /// The same limits in words, as the references word them.
    pub files_text: String,
    pub file_size: String,
    pub total_size: String,
    pub types_text: String,
    /// `Some` when an image type is taken: the pixel limit in words.
    pub pixels_text: Option<String>,
    /// The file chooser's `accept=`: media types, then file endings.
    pub accept: String,
}

impl EvidenceView {
    pub fn new(e: &casework::rules::EvidenceRules, lang: Lang) -> EvidenceView {
        use crate::references;
        let media = e.types.iter().map(|t| t.content_type().to_string());
        let endings = e
            .types
            .iter()
            .flat_map(|t| t.extensions().iter().map(|x| format!(".{x}")));
        EvidenceView {
            max_files: e.max_files,
            max_file_bytes: e.max_file_bytes,
            max_total_bytes: e.max_total_bytes,
            files_text: references::file_count(e.max_files, lang),
            file_size: casework::rules::format_bytes(e.max_file_bytes),
            total_size: casework::rules::format_bytes(e.max_total_bytes),
            types_text: references::evidence_types(&e.types, lang),
            pixels_text: e
                .takes_images()
                .then(|| references::megapixels(e.max_megapixels(), lang)),
            accept: media.chain(endings).collect::<Vec<_>>().join(","),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineColumn {
    pub key: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseTypeView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// One cell per deadline column; `None` when the type promises nothing.
    pub limits: Vec<Option<String>>,
    pub contact_required: bool,
    pub anonymous_allowed: bool,
    pub identity_withheld: bool,
    /// How long the completion clock waits on the complainant's answer
    /// (`answer_wait`), worded; `None` when asking stops no clock.
    pub answer_wait: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub limits: Vec<Option<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearView {
    pub year: i32,
    /// Entered before the official notice: the table says so.
    pub provisional: bool,
    pub holidays: Vec<HolidayView>,
    pub make_up_days: Vec<DateView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HolidayView {
    pub name: String,
    pub first: DateView,
    pub last: DateView,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// ISO date for `<time datetime>`.
    pub iso: String,
    pub text: String,
}

pub fn date_view(date: NaiveDate, lang: Lang) -> DateView {
    let weekday = weekday_name(date.weekday(), lang);
    let text = match lang {
        Lang::Zh => format!(
            "{}年{}月{}日（{weekday}）",
            date.year(),
            date.month(),
            date.day()
        ),
        Lang::En => format!(
            "{} {} {} ({weekday})",
            date.day(),
            month_en(date.month()),
            date.year()
        ),
    };
    DateView {
        iso: date.format("%Y-%m-%d").to_string(),
        text,
    }
}

fn weekday_name(day: Weekday, lang: Lang) -> &'static str {
    let i = day.num_days_from_monday() as usize;
    match lang {
        Lang::Zh => ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][i],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
    }
}

fn month_en(month: u32) -> &'static str {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month as usize + 11) % 12]
}

fn cells(limits: &Limits, lang: Lang) -> Vec<Option<String>> {
    DeadlineKind::ALL
        .iter()
        .map(|k| limits.get(*k).map(|l| l.localized(lang)))
        .collect()
}

impl RulesView {
    pub fn new(rules: &Rulebook, lang: Lang) -> RulesView {
        RulesView {
            office_name: rules.office.name.get(lang).to_string(),
            hotline: rules.office.hotline.clone(),
            deadlines: DeadlineKind::ALL
                .iter()
                .map(|k| DeadlineColumn {
                    key: k.key(),
                    name: k.name().get(lang).to_string(),
                })
                .collect(),
            case_types: rules
                .case_types
                .iter()
                .map(|t| CaseTypeView {
                    id: t.id.to_string(),
                    name: t.name.get(lang).to_string(),
                    description: t.description.get(lang).to_string(),
                    limits: cells(&t.limits, lang),
                    contact_required: t.contact_required,
                    anonymous_allowed: t.anonymous_allowed,
                    identity_withheld: t.identity_withheld,
                    answer_wait: t.answer_wait.map(|l| l.localized(lang)),
                })
                .collect(),
            severities: rules
                .severities
                .iter()
                .map(|s| SeverityView {
                    id: s.id.to_string(),
                    name: s.name.get(lang).to_string(),
                    description: s.description.get(lang).to_string(),
                    limits: cells(&s.limits, lang),
                })
                .collect(),
            categories: rules
                .categories
                .iter()
                .map(|c| ChoiceView {
                    id: c.id.to_string(),
                    name: c.name.get(lang).to_string(),
                    description: c.description.get(lang).to_string(),
                })
                .collect(),
            years: rules
                .calendar
                .years
                .iter()
                .map(|(year, y)| YearView {
                    year: *year,
                    provisional: y.provisional,
                    holidays: y
                        .holidays
                        .iter()
                        .map(|h| HolidayView {
                            name: h.name.get(lang).to_string(),
                            first: date_view(h.first, lang),
                            last: date_view(h.last, lang),
                            days: (h.last - h.first).num_days() + 1,
                        })
                        .collect(),
                    make_up_days: y
                        .make_up_working_days
                        .iter()
                        .map(|d| date_view(*d, lang))
                        .collect(),
                })
                .collect(),
            form: rules.form.clone(),
            anonymous_types: rules
                .case_types
                .iter()
                .filter(|t| t.anonymous_allowed)
                .map(|t| t.name.get(lang).to_string())
                .collect(),
            own_deadline_categories: rules
                .categories
                .iter()
                .filter(|c| {
                    rules
                        .severity(c.default_severity.as_str())
                        .is_some_and(|s| s.own_deadline)
                })
                .map(|c| c.name.get(lang).to_string())
                .collect(),
            evidence: rules.evidence.as_ref().map(|e| EvidenceView::new(e, lang)),
        }
    }
}
