//! The rulebook: `content/rules.toml`, the one source of truth for case
//! types, severities, categories, departments, time limits and the calendar.
//!
//! [`Rulebook::parse`] reads the text and checks it as a whole, reporting
//! every problem with its line and column; the model below is what the rest
//! of hotline reads. To add a case type, edit only `content/rules.toml`.

mod parse;
mod reader;

pub use parse::{RULES_PATH, parse as parse_rules, parse_at as parse_rules_at};

use crate::calendar::Calendar;
use crate::lifecycle::Satisfaction;
use crate::localized::Localized;
use crate::time_limit::TimeLimit;
use serde::Serialize;
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A case type: consultation, complaint, report, suggestion, praise.
    CaseTypeId
);
id_type!(
    /// A severity: minor, important, major.
    SeverityId
);
id_type!(
    /// A category of what the case is about, e.g. `water-supply`.
    CategoryId
);
id_type!(
    /// A department that handles cases, e.g. `housing`.
    DepartmentId
);

/// The deadlines a case can have, in the order a case meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The case must reach the responsible department.
    Forward,
    /// The department must accept it (or send it back).
    Accept,
    /// The complainant must get a first substantive answer.
    Reply,
    /// The case must be closed.
    Complete,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 4] = [
        DeadlineKind::Forward,
        DeadlineKind::Accept,
        DeadlineKind::Reply,
        DeadlineKind::Complete,
    ];

    /// The key editors write in `rules.toml`.
    pub fn key(self) -> &'static str {
        match self {
            DeadlineKind::Forward => "forward",
            DeadlineKind::Accept => "accept",
            DeadlineKind::Reply => "reply",
            DeadlineKind::Complete => "complete",
        }
    }

    pub fn name(self) -> Localized {
        match self {
            DeadlineKind::Forward => Localized::new("转办", "Forward to department"),
            DeadlineKind::Accept => Localized::new("受理", "Accept"),
            DeadlineKind::Reply => Localized::new("答复", "Reply"),
            DeadlineKind::Complete => Localized::new("办结", "Complete"),
        }
    }
}

/// Time limits, each optional: a type or severity sets only what it promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Limits {
    pub forward: Option<TimeLimit>,
    pub accept: Option<TimeLimit>,
    pub reply: Option<TimeLimit>,
    pub complete: Option<TimeLimit>,
}

impl Limits {
    pub fn get(&self, kind: DeadlineKind) -> Option<TimeLimit> {
        match kind {
            DeadlineKind::Forward => self.forward,
            DeadlineKind::Accept => self.accept,
            DeadlineKind::Reply => self.reply,
            DeadlineKind::Complete => self.complete,
        }
    }

    pub fn set(&mut self, kind: DeadlineKind, limit: Option<TimeLimit>) {
        match kind {
            DeadlineKind::Forward => self.forward = limit,
            DeadlineKind::Accept => self.accept = limit,
            DeadlineKind::Reply => self.reply = limit,
            DeadlineKind::Complete => self.complete = limit,
        }
    }

    pub fn is_empty(&self) -> bool {
        DeadlineKind::ALL.iter().all(|k| self.get(*k).is_none())
    }
}

/// The whole rulebook.
#[derive(Debug, Clone, PartialEq)]
pub struct Rulebook {
    pub office: Office,
    pub calendar: Calendar,
    pub case_types: Vec<CaseType>,
    pub severities: Vec<SeverityLevel>,
    pub categories: Vec<Category>,
    pub departments: Vec<Department>,
    pub reminders: Reminders,
    pub follow_up: FollowUp,
    pub extensions: Extensions,
    pub retention: Retention,
    pub statistics: Statistics,
    /// How far apart two alike cases may arrive to be suggested as one.
    pub duplicates: Duplicates,
    pub form: FormLimits,
    /// What a visitor may attach to a case; `None` (no `[evidence]`
    /// section): the form offers no file field and no file is taken.
    pub evidence: Option<EvidenceRules>,
    /// Text messages to complainants who left a mobile number; `None` (no
    /// `[text_messages]` section): no texts are sent.
    pub text_messages: Option<TextMessages>,
}

/// The rulebook's `[text_messages]`: how the office signs a text, and the
/// hours of the day (in the calendar's time zone, every day of the week)
/// texts may be sent; one that falls due outside them waits for the next
/// opening.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMessages {
    /// Put before every text, e.g. `【示例市12345】`; counted in its length.
    pub signature: Localized,
    pub send_from: chrono::NaiveTime,
    pub send_until: chrono::NaiveTime,
}

/// The complaint office: the central unit that owns every case.
#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub name: Localized,
    /// The department entry that is the office itself (last escalation level,
    /// re-routes cases that were sent back).
    pub department: DepartmentId,
    /// Who receives the monthly statistics besides the office.
    pub management: Vec<String>,
    /// First letters of every tracking number, e.g. `TS`.
    pub tracking_prefix: String,
    /// Public hotline number, shown on pages and in mails.
    pub hotline: String,
    /// A case its department sent back is re-routed within this.
    pub reroute_within: TimeLimit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseType {
    pub id: CaseTypeId,
    pub name: Localized,
    pub description: Localized,
    pub limits: Limits,
    /// The complainant must leave a name and a phone number or e-mail.
    pub contact_required: bool,
    /// The complainant may stay anonymous.
    pub anonymous_allowed: bool,
    /// The complainant's identity never reaches the department (whistle-blowing).
    pub identity_withheld: bool,
    /// Longest extension for this type; `extensions.max` when not set.
    pub max_extension: Option<TimeLimit>,
    /// Whether a severity's `complete` limit may shorten this type's (off
    /// for a type whose completion limit is fixed by law, as a
    /// whistle-blowing report's investigation time).
    pub severity_shortens_completion: bool,
    /// A valid case of this type (accepted, not yet closed) still open
    /// this long after it was received is raised to this severity.
    pub raise_unresolved: Option<RaiseUnresolved>,
    /// While a case of this type waits on the complainant's answer to a
    /// question staff asked, its completion clock stops, for at most this
    /// long; with no answer by then the case closes as unanswered. `None`:
    /// asking stops no clock.
    pub answer_wait: Option<TimeLimit>,
}

/// The rulebook's "left unresolved too long becomes more severe".
#[derive(Debug, Clone, PartialEq)]
pub struct RaiseUnresolved {
    pub to: SeverityId,
    pub after: TimeLimit,
}

/// A severity level; the list in `rules.toml` runs from least to most severe.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityLevel {
    pub id: SeverityId,
    pub name: Localized,
    pub description: Localized,
    /// Limits that tighten the case type's: the earlier deadline applies.
    pub limits: Limits,
    /// The department's supervisor is told about the case at once.
    pub notify_supervisor: bool,
    /// A complainant filing a case of this severity may name the date they
    /// need it by; an earlier date than the rule's becomes its completion
    /// deadline. Any severity with it puts the date on the web form.
    pub own_deadline: bool,
    /// Who approves a request to extend a case of this severity, in place
    /// of `[extensions] approver` (a property manager's minor cases by the
    /// manager, important ones by the general manager, say).
    pub extension_approver: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: CategoryId,
    pub name: Localized,
    pub description: Localized,
    pub department: DepartmentId,
    /// Staff may raise it; visitors never choose a severity.
    pub default_severity: SeverityId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: Localized,
    /// Where new cases and reminders go; at least one.
    pub inboxes: Vec<String>,
    /// Escalation levels after the inbox, in order (supervisor first); the
    /// complaint office is always the level after the last one.
    pub escalation: Vec<String>,
    /// The designated staff who receive identity-withheld cases
    /// (whistle-blowing reports) instead of the ordinary inboxes.
    pub report_inboxes: Vec<String>,
}

impl Department {
    /// Where a case of `case_type` goes at the department's first level:
    /// an identity-withheld type to the designated staff when there are
    /// some, everything else to the ordinary inboxes.
    pub fn inboxes_for(&self, case_type: Option<&CaseType>) -> &[String] {
        let withheld = case_type.is_some_and(|t| t.identity_withheld);
        if withheld && !self.report_inboxes.is_empty() {
            &self.report_inboxes
        } else {
            &self.inboxes
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reminders {
    /// A reminder goes out this long before a deadline, or half-way to it if
    /// that is later (short limits).
    pub before: TimeLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenUnsatisfied {
    /// The case opens again with the same department, one escalation level up.
    Reopen,
    /// The case goes straight to the next escalation level.
    Escalate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// The survey goes out this long after closure.
    pub after: TimeLimit,
    /// How long the survey links stay valid.
    pub open_for: TimeLimit,
    pub when_unsatisfied: WhenUnsatisfied,
    /// The answers the statistics count as satisfied, best first.
    pub satisfied: Vec<Satisfaction>,
    /// The answers after which the complainant may ask for the case to be
    /// handled again (or, under `escalate`, that send it one level up).
    pub unsatisfied: Vec<Satisfaction>,
}

impl FollowUp {
    pub fn is_satisfied(&self, answer: Satisfaction) -> bool {
        self.satisfied.contains(&answer)
    }

    pub fn is_unsatisfied(&self, answer: Satisfaction) -> bool {
        self.unsatisfied.contains(&answer)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Extensions {
    pub reason_required: bool,
    /// An extension must be asked for before the deadline runs out.
    pub ask_before_deadline: bool,
    /// The longest extension, unless the case type sets its own.
    pub max: TimeLimit,
    /// Who approves a department's request to extend (a department id,
    /// normally the complaint office's own). `None`: a department extends
    /// its own cases.
    pub approver: Option<DepartmentId>,
}

/// When a new case is suggested to the office as a repeat of an open one
/// (see `crate::duplicates`).
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicates {
    /// An open case received at most this long before the new one (any
    /// unit a time limit takes; the rulebook says working days) counts.
    pub window: TimeLimit,
}

/// When the monthly statistics go out.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Last month's report goes out at opening time on this working day
    /// of the month (1 = the first working day, so after a holiday the
    /// first day back; at most 10).
    pub working_day: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// Closed cases are kept this many years (at least 2).
    pub years: u32,
}

/// Longest accepted length of each form field, in characters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormLimits {
    pub name: usize,
    pub phone: usize,
    pub email: usize,
    pub subject: usize,
    pub location: usize,
    pub description: usize,
    pub desired_outcome: usize,
}

impl Default for FormLimits {
    fn default() -> Self {
        FormLimits {
            name: 50,
            phone: 20,
            email: 254,
            subject: 100,
            location: 200,
            description: 5000,
            desired_outcome: 1000,
        }
    }
}

/// The limits on the files (photos, documents) a visitor attaches to a case.
/// They bound what the browser may send; what a file *is* is decided from
/// its bytes elsewhere, never from these names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRules {
    /// At most this many files per case (at least 1).
    pub max_files: u32,
    /// Largest single file, in bytes (1 MB = 1,000,000 bytes).
    pub max_file_bytes: u64,
    /// Largest sum of a case's files, in bytes; at least `max_file_bytes`.
    pub max_total_bytes: u64,
    /// The kinds of file taken, in the rulebook's order, each once.
    pub types: Vec<EvidenceType>,
    /// The most pixels (width × height) an image may have once decoded.
    pub max_pixels: u64,
}

impl EvidenceRules {
    /// Whether an image type is taken (pixel limit, re-encoding apply).
    pub fn takes_images(&self) -> bool {
        self.types.iter().any(|t| t.is_image())
    }

    /// The pixel limit in whole megapixels, as the rulebook writes it.
    pub fn max_megapixels(&self) -> u64 {
        self.max_pixels / 1_000_000
    }
}

/// A kind of file the office takes as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceType {
    Jpeg,
    Png,
    Pdf,
}

impl EvidenceType {
    pub const ALL: [EvidenceType; 3] = [EvidenceType::Jpeg, EvidenceType::Png, EvidenceType::Pdf];

    /// The id editors write in `types = [...]`.
    pub fn id(self) -> &'static str {
        match self {
            EvidenceType::Jpeg => "jpeg",
            EvidenceType::Png => "png",
            EvidenceType::Pdf => "pdf",
        }
    }

    pub fn from_id(id: &str) -> Option<EvidenceType> {
        EvidenceType::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The media type a file of this kind is stored and served as.
    pub fn content_type(self) -> &'static str {
        match self {
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::Png => "image/png",
            EvidenceType::Pdf => "application/pdf",
        }
    }

    /// File-name endings (lowercase, without the dot) browsers use to offer
    /// the right files; a hint to the file chooser only.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            EvidenceType::Jpeg => &["jpg", "jpeg"],
            EvidenceType::Png => &["png"],
            EvidenceType::Pdf => &["pdf"],
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, EvidenceType::Jpeg | EvidenceType::Png)
    }
}

/// A byte count as the rulebook writes sizes: whole megabytes as "N MB",
/// else whole kilobytes as "N KB" (decimal: 1 MB = 1,000 KB = 1,000,000
/// bytes), else bytes. Pages show sizes through this, so they read as the
/// rulebook does.
pub fn format_bytes(bytes: u64) -> String {
    if bytes >= 1_000_000 && bytes.is_multiple_of(1_000_000) {
        format!("{} MB", bytes / 1_000_000)
    } else if bytes >= 1_000 && bytes.is_multiple_of(1_000) {
        format!("{} KB", bytes / 1_000)
    } else {
        format!("{bytes} B")
    }
}

impl Rulebook {
    /// Parses and checks a rulebook; `Err` holds every problem found.
    pub fn parse(
        path: &std::path::Path,
        text: &str,
    ) -> Result<(Rulebook, Vec<crate::Diagnostic>), Vec<crate::Diagnostic>> {
        parse::parse(path, text)
    }

    pub fn case_type(&self, id: &str) -> Option<&CaseType> {
        self.case_types.iter().find(|t| t.id.as_str() == id)
    }

    pub fn severity(&self, id: &str) -> Option<&SeverityLevel> {
        self.severities.iter().find(|s| s.id.as_str() == id)
    }

    /// Position of a severity from least (0) to most severe.
    pub fn severity_rank(&self, id: &SeverityId) -> Option<usize> {
        self.severities.iter().position(|s| &s.id == id)
    }

    /// The severities a case of severity `id` can be raised to, lowest
    /// first; every one when `id` left the rulebook (it can only be replaced).
    pub fn higher_severities(&self, id: &SeverityId) -> &[SeverityLevel] {
        let from = self.severity_rank(id).map_or(0, |rank| rank + 1);
        &self.severities[from..]
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id.as_str() == id)
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id.as_str() == id)
    }

    pub fn office_department(&self) -> &Department {
        self.department(self.office.department.as_str())
            .expect("a parsed rulebook's office department exists")
    }

    /// The limit for one deadline of a case: the type's and the severity's,
    /// whichever runs out first when both are set.
    pub fn limit_for(
        &self,
        case_type: &CaseType,
        severity: Option<&SeverityLevel>,
        kind: DeadlineKind,
        start: chrono::DateTime<chrono::Utc>,
    ) -> Option<(TimeLimit, chrono::DateTime<chrono::Utc>)> {
        let severity = severity
            .filter(|_| kind != DeadlineKind::Complete || case_type.severity_shortens_completion);
        let candidates = [
            case_type.limits.get(kind),
            severity.and_then(|s| s.limits.get(kind)),
        ];
        candidates
            .into_iter()
            .flatten()
            .map(|limit| (limit, self.calendar.deadline(start, limit)))
            .min_by_key(|(_, at)| *at)
    }

    /// Whether the web form asks by when the complainant needs the case
    /// handled: some severity takes their own deadline.
    pub fn offers_own_deadline(&self) -> bool {
        self.severities.iter().any(|s| s.own_deadline)
    }

    /// The longest extension a case of this type may get.
    pub fn max_extension(&self, case_type: &CaseType) -> TimeLimit {
        case_type.max_extension.unwrap_or(self.extensions.max)
    }
}
