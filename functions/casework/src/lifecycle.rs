//! The case and its state machine.
//!
//! A [`Case`] is everything the office keeps about one complaint: where it is
//! routed, its deadlines, what was answered, and an audit trail of every
//! change. [`apply`] is the only way a case changes state: it checks who is
//! acting, whether the command is legal in the current state, and returns a
//! new case with exactly one [`Event`] appended; illegal commands come back
//! as a [`LifecycleError`], the input case untouched.
//!
//! What is *sent* (reminders, escalations, surveys) is decided in
//! [`crate::due`]; this module only keeps the set of notices already sent.
//!
//! The transitions (staff means the office or the assigned department):
//!
//! | command | from | to | who |
//! |---|---|---|---|
//! | accept | received | accepted | staff |
//! | send back | received, accepted | sent back | the assigned department |
//! | re-route | sent back | received | the office |
//! | hand back (with a note) | sent back | received, same department | the office |
//! | reject | any but closed, rejected | rejected | staff |
//! | reply | accepted | replied | staff |
//! | extend | accepted, replied | (same) | staff |
//! | close | replied; accepted if no reply is promised | closed | staff |
//! | raise severity | any but closed, rejected | (same) | staff |
//! | record satisfaction | closed | closed, or accepted (see below) | the complainant |
//! | reopen | closed | accepted | the office; the complainant if unsatisfied |
//! | ask the complainant | received, accepted, replied | (same) | staff |
//! | complainant's message | any but closed, rejected | (same) | the complainant |
//! | merge into another case | any but closed, rejected; not merged | (same), merged | the office, the system |
//! | unmerge | merged | (same), on its own again | the office, the system |
//!
//! Merging (并单): the same problem reported again is handled together with
//! an earlier open case, the survivor. The merged case keeps its state and
//! its own deadlines untouched, but while it is merged it has no deadlines
//! of its own ([`crate::due`] plans nothing for it: the survivor's answer
//! is its answer) and refuses every command but unmerge and the
//! complainant's message. The survivor lists the merged cases; [`merge`]
//! and [`unmerge`] change both records. A survivor must be open and not
//! merged itself, and a case that others were merged into is not merged
//! in turn (unmerge those first), so a merge chain is one level deep.
//! Unmerging restores the deadlines as they were, not recomputed: the
//! complainant has been waiting since receipt, so a deadline that ran out
//! meanwhile is overdue and escalates as usual.
//!
//! Dissatisfaction: under `when_unsatisfied = "reopen"` a rating is only
//! recorded, and the complainant may then reopen the case by command; under
//! `"escalate"` an unsatisfied rating itself reopens the case one level up,
//! in the same event, and the complainant has no separate reopen.
//!
//! Why this file is long: the transition table at the top and the one `apply` that enforces it, with each command's rule next to its row; splitting the commands would split the table.

use crate::channel::Channel;
use crate::notice::Notice;
use crate::rules::{
    CaseType, CaseTypeId, CategoryId, DeadlineKind, DepartmentId, Rulebook, SeverityId,
    SeverityLevel, WhenUnsatisfied,
};
use crate::stored_forms as serde_with;
use crate::time_limit::TimeLimit;
use crate::tracking::TrackingNumber;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Stored and routed; waiting for the department to accept it.
    Received,
    /// The department has taken it on.
    Accepted,
    /// The complainant has had a substantive answer.
    Replied,
    /// Handled; only the follow-up survey remains.
    Closed,
    /// The department says it is not theirs; the office must re-route it.
    SentBack,
    /// Invalid; the reason was still answered to the complainant.
    Rejected,
}

impl CaseState {
    /// The handling is over: closed or rejected.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseState::Closed | CaseState::Rejected)
    }

    /// A department is working on the case, so its deadlines are running.
    pub fn is_with_department(self) -> bool {
        matches!(
            self,
            CaseState::Received | CaseState::Accepted | CaseState::Replied
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaseState::Received => "received",
            CaseState::Accepted => "accepted",
            CaseState::Replied => "replied",
            CaseState::Closed => "closed",
            CaseState::SentBack => "sent back",
            CaseState::Rejected => "rejected",
        })
    }
}

/// The complainant's answer to the follow-up survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    VerySatisfied,
    Satisfied,
    Neutral,
    Dissatisfied,
    VeryDissatisfied,
}

impl Satisfaction {
    /// The five answers, best first, as a survey offers them. Which of them
    /// count as satisfied, and which let the complainant ask for the case to
    /// be handled again, is the rulebook's `[follow_up]`.
    pub const ALL: [Satisfaction; 5] = [
        Satisfaction::VerySatisfied,
        Satisfaction::Satisfied,
        Satisfaction::Neutral,
        Satisfaction::Dissatisfied,
        Satisfaction::VeryDissatisfied,
    ];

    /// The answer's id, as stored and as the rulebook names it.
    pub fn id(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "very_satisfied",
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Neutral => "neutral",
            Satisfaction::Dissatisfied => "dissatisfied",
            Satisfaction::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn from_id(id: &str) -> Option<Satisfaction> {
        Satisfaction::ALL.into_iter().find(|s| s.id() == id)
    }
}

impl fmt::Display for Satisfaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Satisfaction::VerySatisfied => "very satisfied",
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Neutral => "neutral",
            Satisfaction::Dissatisfied => "dissatisfied",
            Satisfaction::VeryDissatisfied => "very dissatisfied",
        })
    }
}

/// Who did something to a case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Complainant,
    Department(#[serde(with = "serde_with::department_id")] DepartmentId),
    /// The complaint office (staff of the central unit).
    Office,
    /// The software itself: intake and the scheduler.
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Complainant => f.write_str("the complainant"),
            Actor::Department(id) => write!(f, "department `{id}`"),
            Actor::Office => f.write_str("the complaint office"),
            Actor::System => f.write_str("the system"),
        }
    }
}

/// What an event did, as a tag that is stored and shown in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Receive,
    Forward,
    Accept,
    SendBack,
    Reroute,
    /// The office gave a sent-back case back to its department (the note
    /// says why it is theirs).
    HandBack,
    Reject,
    Reply,
    Extend,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Close,
    RaiseSeverity,
    RecordSatisfaction,
    Reopen,
    /// A reminder, escalation or survey went out (see [`crate::due`]).
    SendNotice,
    /// Staff ask the complainant a question (the note), shown on the
    /// complainant's case page and mailed to them.
    Ask,
    /// The complainant adds to their case (the note): an answer to a
    /// question, or something more; it goes to the department.
    ComplainantMessage,
    /// A file sent after filing (through the evidence bucket) was checked
    /// and attached; the case's state does not change.
    AddEvidence,
    /// A file sent after filing was refused; the note is the checker's
    /// refusal code, never the file's name or content.
    RefuseEvidence,
    /// The system stopped the completion clock: staff asked the
    /// complainant something and the case type's `answer_wait` says the
    /// clock waits for the answer.
    PauseClock,
    /// The wait ended (the answer came, or staff moved on) and the
    /// completion deadline moved by the working days waited (the note).
    ResumeClock,
    /// The system closed the case: the complainant did not answer within
    /// the case type's `answer_wait`.
    CloseUnanswered,
    /// Handled together with another case (the note names it); on the
    /// surviving case, the note names the case taken in.
    Merge,
    /// On its own again (the note names the other case).
    Unmerge,
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActionKind::Receive => "receive",
            ActionKind::Forward => "forward",
            ActionKind::Accept => "accept",
            ActionKind::SendBack => "send back",
            ActionKind::Reroute => "re-route",
            ActionKind::HandBack => "hand back",
            ActionKind::Reject => "reject",
            ActionKind::Reply => "reply to",
            ActionKind::Extend => "extend",
            ActionKind::RequestExtension => "ask to extend",
            ActionKind::ApproveExtension => "approve the extension of",
            ActionKind::RefuseExtension => "refuse the extension of",
            ActionKind::Close => "close",
            ActionKind::RaiseSeverity => "raise the severity of",
            ActionKind::RecordSatisfaction => "record satisfaction on",
            ActionKind::Reopen => "reopen",
            ActionKind::SendNotice => "send a notice for",
            ActionKind::Ask => "ask the complainant about",
            ActionKind::ComplainantMessage => "add a message to",
            ActionKind::AddEvidence => "add a file to",
            ActionKind::RefuseEvidence => "refuse a file for",
            ActionKind::PauseClock => "stop the completion clock of",
            ActionKind::ResumeClock => "restart the completion clock of",
            ActionKind::CloseUnanswered => "close for want of an answer",
            ActionKind::Merge => "merge",
            ActionKind::Unmerge => "unmerge",
        })
    }
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: ActionKind,
    pub note: Option<String>,
    pub from: CaseState,
    pub to: CaseState,
}

/// One deadline of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    #[serde(with = "serde_with::deadline_kind")]
    pub kind: DeadlineKind,
    #[serde(with = "serde_with::time_limit")]
    pub limit: TimeLimit,
    /// When the clock started: receipt, or the re-route or reopen that reset it.
    /// Reminders fall between this and `due_at`.
    pub started_at: DateTime<Utc>,
    /// When it runs out (after an extension, the extended time).
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    /// Set where `due_at` is the complainant's own date rather than `limit`
    /// counted from `started_at` (see [`Case::needed_by`]), so that mails
    /// and pages do not put the rule's limit beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complainants_date: Option<NaiveDate>,
}

/// A stretch of time the case waited on the complainant's answer to a
/// question, with its completion clock stopped (the case type's
/// `answer_wait`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    /// When the question was asked and the clock stopped.
    pub from: DateTime<Utc>,
    /// When the wait ended; `None` while the case still waits.
    pub until: Option<DateTime<Utc>>,
    /// The working days waited, by which the completion deadline moved:
    /// from the day after the question up to and including the day the
    /// wait ended, as limits in working days count.
    pub working_days: u32,
}

/// The one extension of the completion deadline a case may get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub reason: String,
    /// The completion deadline before the extension.
    pub previous_due: DateTime<Utc>,
    pub new_due: DateTime<Utc>,
    pub granted_at: DateTime<Utc>,
}

/// A department's request to move the completion deadline, waiting for
/// the rulebook's approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub reason: String,
    pub new_due: DateTime<Utc>,
    pub asked_at: DateTime<Utc>,
}

/// Everything the office keeps about one case.
///
/// Fields are public so that stores and pages can read them; change a case
/// only through [`apply`] and [`Case::mark_sent`], which keep the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub tracking: TrackingNumber,
    #[serde(with = "serde_with::case_type_id")]
    pub case_type: CaseTypeId,
    #[serde(with = "serde_with::category_id")]
    pub category: CategoryId,
    #[serde(with = "serde_with::severity_id")]
    pub severity: SeverityId,
    #[serde(with = "serde_with::department_id")]
    pub department: DepartmentId,
    pub state: CaseState,
    pub received_at: DateTime<Utc>,
    /// How it came in. Cases stored before the channel was kept all came
    /// through the web form, so that is what a missing field reads as.
    #[serde(default)]
    pub channel: Channel,
    /// At most one per kind, in [`DeadlineKind`] order.
    pub deadlines: Vec<Deadline>,
    /// Who handles it: 0 is the department inbox, `n` is the department's
    /// `escalation[n - 1]`, one past the list is the complaint office.
    pub escalation_level: u32,
    pub extension: Option<Extension>,
    /// A request to extend, waiting for the approver.
    #[serde(default)]
    pub extension_request: Option<ExtensionRequest>,
    pub public_reply: Option<String>,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<Satisfaction>,
    /// The complainant left an e-mail or phone number, so a survey can reach them.
    pub can_follow_up: bool,
    /// Notices already sent; each goes out once.
    pub sent: BTreeSet<Notice>,
    pub events: Vec<Event>,
    /// The photos and documents sent with it, checked; the bytes are in
    /// the evidence store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<crate::evidence::EvidenceItem>,
    /// The Argon2id hash of the complainant's receipt code
    /// (`crate::receipt`); absent from cases filed before codes were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// Each time the completion clock stopped for the complainant's
    /// answer, oldest first; the last one is still running when its
    /// `until` is `None`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<Wait>,
    /// The case this one is handled together with (并单); while set, that
    /// case's deadlines and answers are this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<TrackingNumber>,
    /// The cases merged into this one, in the order they were merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<TrackingNumber>,
}

/// What someone asks to do to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The department's mail about the case has left: the "forward"
    /// deadline is met (whether the department has read it yet or not).
    Forward,
    Accept,
    SendBack {
        reason: String,
    },
    Reroute {
        department: DepartmentId,
    },
    /// The office reviewed a send-back and gives the case back to the
    /// same department, saying why it is theirs (the note, required).
    HandBack {
        note: String,
    },
    Reject {
        reason: String,
    },
    Reply {
        text: String,
    },
    /// Moves the completion deadline to `new_due` (the office, or a
    /// department where the rulebook names no approver).
    Extend {
        reason: String,
        new_due: DateTime<Utc>,
    },
    /// A department asks the rulebook's approver to move the completion
    /// deadline; nothing moves until the approver decides.
    RequestExtension {
        reason: String,
        new_due: DateTime<Utc>,
    },
    /// The approver grants or refuses the pending request, with a note.
    DecideExtension {
        approve: bool,
        note: String,
    },
    Close {
        outcome: String,
    },
    RaiseSeverity {
        severity: SeverityId,
    },
    RecordSatisfaction {
        rating: Satisfaction,
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
    /// Staff ask the complainant something.
    Ask {
        question: String,
    },
    /// The complainant writes to the office about their case.
    ComplainantMessage {
        text: String,
    },
    /// The system closes a case whose wait for the complainant's answer
    /// ran out (see [`crate::due::unanswered_close`]).
    CloseUnanswered,
    /// Handle this case together with the open case `into` (see [`merge`],
    /// which also records it on `into`).
    Merge {
        into: TrackingNumber,
    },
    /// Handle a merged case on its own again (see [`unmerge`]).
    Unmerge,
}

impl Command {
    pub fn action(&self) -> ActionKind {
        match self {
            Command::Forward => ActionKind::Forward,
            Command::Accept => ActionKind::Accept,
            Command::SendBack { .. } => ActionKind::SendBack,
            Command::Reroute { .. } => ActionKind::Reroute,
            Command::HandBack { .. } => ActionKind::HandBack,
            Command::Reject { .. } => ActionKind::Reject,
            Command::Reply { .. } => ActionKind::Reply,
            Command::Extend { .. } => ActionKind::Extend,
            Command::RequestExtension { .. } => ActionKind::RequestExtension,
            Command::DecideExtension { approve: true, .. } => ActionKind::ApproveExtension,
            Command::DecideExtension { approve: false, .. } => ActionKind::RefuseExtension,
            Command::Close { .. } => ActionKind::Close,
            Command::RaiseSeverity { .. } => ActionKind::RaiseSeverity,
            Command::RecordSatisfaction { .. } => ActionKind::RecordSatisfaction,
            Command::Reopen { .. } => ActionKind::Reopen,
            Command::Ask { .. } => ActionKind::Ask,
            Command::ComplainantMessage { .. } => ActionKind::ComplainantMessage,
            Command::CloseUnanswered => ActionKind::CloseUnanswered,
            Command::Merge { .. } => ActionKind::Merge,
            Command::Unmerge => ActionKind::Unmerge,
        }
    }
}

/// Why a case could not be opened or a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("cannot {command} a case that is {from}")]
    IllegalTransition {
        from: CaseState,
        command: ActionKind,
    },
    #[error("{actor} may not {command} this case")]
    NotAllowed { actor: Actor, command: ActionKind },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the {0} must not be blank")]
    TextRequired(&'static str),
    #[error("the case has no `{}` deadline", .0.key())]
    NoDeadline(DeadlineKind),
    #[error("the new deadline {new_due} is not later than the current one, {due}")]
    ExtensionNotLater {
        due: DateTime<Utc>,
        new_due: DateTime<Utc>,
    },
    #[error("the deadline may be extended until {max_due} at the latest")]
    ExtensionTooLong { max_due: DateTime<Utc> },
    #[error("an extension must be asked for before the deadline ({due}) runs out")]
    ExtensionTooLate { due: DateTime<Utc> },
    #[error("the case has already been extended once")]
    AlreadyExtended,
    #[error("an extension must be asked of `{approver}`, who approves it")]
    ApprovalRequired { approver: DepartmentId },
    #[error("a request to extend is already waiting for approval")]
    ExtensionPending,
    #[error("no request to extend is waiting")]
    NoExtensionRequest,
    #[error("there is no case type `{0}` in the rulebook")]
    UnknownCaseType(CaseTypeId),
    #[error("there is no category `{0}` in the rulebook")]
    UnknownCategory(CategoryId),
    #[error("there is no department `{0}` in the rulebook")]
    UnknownDepartment(DepartmentId),
    #[error("there is no severity `{0}` in the rulebook")]
    UnknownSeverity(SeverityId),
    #[error("severity `{requested}` is not higher than the current `{current}`")]
    SeverityNotHigher {
        current: SeverityId,
        requested: SeverityId,
    },
    #[error("the complainant has already rated this case")]
    AlreadyRated,
    #[error("the complainant may reopen a case only after saying they are dissatisfied")]
    NotUnsatisfied,
    #[error("the case is handled together with {into}: act on that case")]
    Merged { into: TrackingNumber },
    #[error("a case cannot be merged into itself")]
    MergeIntoSelf,
    #[error("{into} is {state}: a case can be merged only into an open one")]
    MergeIntoClosed {
        into: TrackingNumber,
        state: CaseState,
    },
    #[error("{into} is itself handled together with {survivor}: merge into that case")]
    MergeIntoMerged {
        into: TrackingNumber,
        survivor: TrackingNumber,
    },
    #[error("other cases are handled together with this one: unmerge them first")]
    HasMergedCases,
    #[error("the case is not merged into another")]
    NotMerged,
    #[error("{survivor} is not the case this one is merged into")]
    NotMergedInto { survivor: TrackingNumber },
}

impl Case {
    /// Opens a case that has just come in through the web form: routed to
    /// the category's department at the category's default severity, with
    /// every deadline the type or severity promises counted from
    /// `received_at`.
    pub fn open(
        tracking: TrackingNumber,
        case_type: CaseTypeId,
        category: CategoryId,
        rules: &Rulebook,
        received_at: DateTime<Utc>,
        can_follow_up: bool,
    ) -> Result<Case, LifecycleError> {
        Case::open_by(
            Channel::Web,
            tracking,
            case_type,
            category,
            rules,
            received_at,
            can_follow_up,
        )
    }

    /// Opens a case that came in by `channel`, as [`Case::open`] does. A
    /// case from any channel but the web form was registered by the office,
    /// and its first event says so.
    pub fn open_by(
        channel: Channel,
        tracking: TrackingNumber,
        case_type: CaseTypeId,
        category: CategoryId,
        rules: &Rulebook,
        received_at: DateTime<Utc>,
        can_follow_up: bool,
    ) -> Result<Case, LifecycleError> {
        let type_rules = rules
            .case_type(case_type.as_str())
            .ok_or_else(|| LifecycleError::UnknownCaseType(case_type.clone()))?;
        let category_rules = rules
            .category(category.as_str())
            .ok_or_else(|| LifecycleError::UnknownCategory(category.clone()))?;
        let department = category_rules.department.clone();
        if rules.department(department.as_str()).is_none() {
            return Err(LifecycleError::UnknownDepartment(department));
        }
        let severity = category_rules.default_severity.clone();
        let severity_rules = rules
            .severity(severity.as_str())
            .ok_or_else(|| LifecycleError::UnknownSeverity(severity.clone()))?;
        let deadlines = DeadlineKind::ALL
            .into_iter()
            .filter_map(|kind| {
                new_deadline(rules, type_rules, Some(severity_rules), kind, received_at)
            })
            .collect();
        Ok(Case {
            tracking,
            case_type,
            category,
            severity,
            department,
            state: CaseState::Received,
            received_at,
            channel,
            deadlines,
            escalation_level: 0,
            extension: None,
            extension_request: None,
            public_reply: None,
            outcome: None,
            closed_at: None,
            satisfaction: None,
            can_follow_up,
            sent: BTreeSet::new(),
            evidence: Vec::new(),
            receipt: None,
            waits: Vec::new(),
            merged_into: None,
            merged: Vec::new(),
            events: vec![Event {
                at: received_at,
                actor: match channel {
                    Channel::Web => Actor::System,
                    _ => Actor::Office,
                },
                action: ActionKind::Receive,
                note: None,
                from: CaseState::Received,
                to: CaseState::Received,
            }],
        })
    }

    pub fn deadline(&self, kind: DeadlineKind) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.kind == kind)
    }

    /// A case just opened, with the complainant's own deadline (a local
    /// date, see [`crate::submission::Submission::needed_by`]) as its
    /// completion deadline where the severity takes one and it is earlier
    /// than the rule's: closing time that day. The receipt event says so.
    /// A later date, or one the severity does not take, changes nothing.
    pub fn needed_by(mut self, rules: &Rulebook, date: Option<NaiveDate>) -> Case {
        let Some(date) = date else {
            return self;
        };
        let takes_own = rules
            .severity(self.severity.as_str())
            .is_some_and(|s| s.own_deadline);
        let Some(due_at) = rules.calendar.closing_on(date).filter(|_| takes_own) else {
            return self;
        };
        let received_at = self.received_at;
        let Some(d) = self.deadline_mut(DeadlineKind::Complete) else {
            return self;
        };
        if due_at < d.due_at && due_at > received_at {
            d.due_at = due_at;
            d.complainants_date = Some(date);
            if let Some(first) = self.events.first_mut() {
                first.note = Some(format!("the complainant needs it by {date}"));
            }
        }
        self
    }

    fn deadline_mut(&mut self, kind: DeadlineKind) -> Option<&mut Deadline> {
        self.deadlines.iter_mut().find(|d| d.kind == kind)
    }

    /// Marks a deadline met, keeping the first time it was met.
    fn meet(&mut self, kind: DeadlineKind, at: DateTime<Utc>) {
        if let Some(d) = self.deadline_mut(kind) {
            d.met_at.get_or_insert(at);
        }
    }

    /// Replaces or adds a deadline, keeping the kinds in order.
    fn put_deadline(&mut self, deadline: Deadline) {
        self.deadlines.retain(|d| d.kind != deadline.kind);
        self.deadlines.push(deadline);
        self.deadlines.sort_by_key(|d| d.kind);
    }

    /// Forgets the notices about the given deadlines, so that the deadlines'
    /// new due times get their own reminders and escalations.
    fn forget_notices(&mut self, kinds: &[DeadlineKind]) {
        self.sent
            .retain(|n| n.deadline_kind().is_none_or(|k| !kinds.contains(&k)));
    }

    /// When the case started waiting on the complainant's answer, while
    /// its completion clock is stopped.
    pub fn waiting_since(&self) -> Option<DateTime<Utc>> {
        self.waits
            .last()
            .filter(|w| w.until.is_none())
            .map(|w| w.from)
    }

    /// When the case was last sent back, if ever.
    pub fn sent_back_at(&self) -> Option<DateTime<Utc>> {
        self.last_event(ActionKind::SendBack)
    }

    /// Why the department last sent the case back, if it did.
    pub fn sent_back_reason(&self) -> Option<&str> {
        self.events
            .iter()
            .rev()
            .find(|e| e.action == ActionKind::SendBack)
            .and_then(|e| e.note.as_deref())
    }

    pub(crate) fn last_event(&self, action: ActionKind) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .rev()
            .find(|e| e.action == action)
            .map(|e| e.at)
    }
}

/// A deadline of `kind` counted from `start`, if the type or severity sets one.
fn new_deadline(
    rules: &Rulebook,
    case_type: &CaseType,
    severity: Option<&SeverityLevel>,
    kind: DeadlineKind,
    start: DateTime<Utc>,
) -> Option<Deadline> {
    rules
        .limit_for(case_type, severity, kind, start)
        .map(|(limit, due_at)| Deadline {
            kind,
            limit,
            started_at: start,
            due_at,
            met_at: None,
            complainants_date: None,
        })
}

/// A sent-back case goes (back) to `department`: received again, with its
/// own full time to take the case on; the complainant's reply and
/// completion clocks keep running.
fn route_to(
    next: &mut Case,
    rules: &Rulebook,
    type_rules: &CaseType,
    department: DepartmentId,
    at: DateTime<Utc>,
) {
    next.department = department;
    next.escalation_level = next
        .escalation_level
        .min(office_level(rules, &next.department));
    next.state = CaseState::Received;
    let severity = rules.severity(next.severity.as_str());
    for kind in [DeadlineKind::Forward, DeadlineKind::Accept] {
        next.deadlines.retain(|d| d.kind != kind);
        if let Some(d) = new_deadline(rules, type_rules, severity, kind, at) {
            next.put_deadline(d);
        }
    }
    next.forget_notices(&[DeadlineKind::Forward, DeadlineKind::Accept]);
    next.sent.remove(&Notice::RerouteOverdue);
}

/// The escalation level that is the complaint office for `department`.
pub fn office_level(rules: &Rulebook, department: &DepartmentId) -> u32 {
    let levels = rules
        .department(department.as_str())
        .map_or(0, |d| d.escalation.len());
    u32::try_from(levels).unwrap_or(u32::MAX - 1) + 1
}

/// Applies one command to a case, returning the new case with one event
/// appended. The case given is never changed.
pub fn apply(
    case: &Case,
    command: Command,
    actor: Actor,
    at: DateTime<Utc>,
    rules: &Rulebook,
) -> Result<Case, LifecycleError> {
    use CaseState::*;
    let action = command.action();
    let from = case.state;
    let illegal = || LifecycleError::IllegalTransition {
        from,
        command: action,
    };
    let not_allowed = || LifecycleError::NotAllowed {
        actor: actor.clone(),
        command: action,
    };
    let is_assigned = matches!(&actor, Actor::Department(d) if *d == case.department);
    let is_staff = is_assigned || actor == Actor::Office;
    let type_rules = rules
        .case_type(case.case_type.as_str())
        .ok_or_else(|| LifecycleError::UnknownCaseType(case.case_type.clone()))?;

    // A merged case is answered through its survivor; its complainant
    // may still write, and the office may take it apart again.
    if let Some(into) = &case.merged_into
        && !matches!(action, ActionKind::Unmerge | ActionKind::ComplainantMessage)
    {
        return Err(LifecycleError::Merged { into: into.clone() });
    }
    let mut next = case.clone();
    let mut note = None;
    // The answer came, or staff moved on without it: the stopped clock
    // runs again first, so the command acts on the moved deadline.
    if ends_wait(action) {
        end_wait(&mut next, rules, at);
    }
    match command {
        Command::Forward => {
            if !matches!(actor, Actor::System | Actor::Office) {
                return Err(not_allowed());
            }
            let waiting = case
                .deadline(DeadlineKind::Forward)
                .is_some_and(|d| d.met_at.is_none());
            if from != Received || !waiting {
                return Err(illegal());
            }
            next.meet(DeadlineKind::Forward, at);
        }
        Command::Accept => {
            if !is_staff {
                return Err(not_allowed());
            }
            if from != Received {
                return Err(illegal());
            }
            next.state = Accepted;
            next.meet(DeadlineKind::Forward, at);
            next.meet(DeadlineKind::Accept, at);
        }
        Command::SendBack { reason } => {
            // Only the department itself can say a case is not its own.
            if !is_assigned {
                return Err(not_allowed());
            }
            if !matches!(from, Received | Accepted) {
                return Err(illegal());
            }
            let reason = required(reason, LifecycleError::ReasonRequired)?;
            // Sending back within the limit is a timely answer to the routing.
            next.meet(DeadlineKind::Forward, at);
            next.meet(DeadlineKind::Accept, at);
            next.state = SentBack;
            note = Some(reason);
        }
        Command::Reroute { department } => {
            if actor != Actor::Office {
                return Err(not_allowed());
            }
            if from != SentBack {
                return Err(illegal());
            }
            if rules.department(department.as_str()).is_none() {
                return Err(LifecycleError::UnknownDepartment(department));
            }
            note = Some(format!("from `{}` to `{department}`", case.department));
            route_to(&mut next, rules, type_rules, department, at);
        }
        Command::HandBack { note: said } => {
            if actor != Actor::Office {
                return Err(not_allowed());
            }
            if from != SentBack {
                return Err(illegal());
            }
            note = Some(required(said, LifecycleError::ReasonRequired)?);
            let department = case.department.clone();
            route_to(&mut next, rules, type_rules, department, at);
        }
        Command::Reject { reason } => {
            if !is_staff {
                return Err(not_allowed());
            }
            if from.is_terminal() {
                return Err(illegal());
            }
            let reason = required(reason, LifecycleError::ReasonRequired)?;
            // The complainant is still told why.
            next.public_reply = Some(reason.clone());
            next.closed_at = Some(at);
            next.state = Rejected;
            note = Some(reason);
        }
        Command::Reply { text } => {
            if !is_staff {
                return Err(not_allowed());
            }
            if from != Accepted {
                return Err(illegal());
            }
            next.public_reply = Some(required(text, LifecycleError::TextRequired("reply"))?);
            next.meet(DeadlineKind::Reply, at);
            next.state = Replied;
        }
        Command::Extend { reason, new_due } => {
            if !is_staff {
                return Err(not_allowed());
            }
            // Where the rulebook names an approver, a department asks.
            if let Some(approver) = extension_approver(rules, case)
                && actor != Actor::Office
                && case.department != *approver
            {
                return Err(LifecycleError::ApprovalRequired {
                    approver: approver.clone(),
                });
            }
            let (reason, due) =
                check_extension(case, rules, type_rules, (reason, new_due), action, at)?;
            grant_extension(&mut next, reason.clone(), due, new_due, at);
            note = Some(format!("until {new_due}: {reason}"));
        }
        Command::RequestExtension { reason, new_due } => {
            if !is_assigned {
                return Err(not_allowed());
            }
            if case.extension_request.is_some() {
                return Err(LifecycleError::ExtensionPending);
            }
            let (reason, _) =
                check_extension(case, rules, type_rules, (reason, new_due), action, at)?;
            next.extension_request = Some(ExtensionRequest {
                reason: reason.clone(),
                new_due,
                asked_at: at,
            });
            note = Some(format!("asks until {new_due}: {reason}"));
        }
        Command::DecideExtension {
            approve,
            note: said,
        } => {
            let approver = extension_approver(rules, case);
            let may_decide = actor == Actor::Office
                || matches!(&actor, Actor::Department(d) if Some(d) == approver);
            if !may_decide {
                return Err(not_allowed());
            }
            if from.is_terminal() {
                return Err(illegal());
            }
            let request = case
                .extension_request
                .clone()
                .ok_or(LifecycleError::NoExtensionRequest)?;
            next.extension_request = None;
            let said = said.trim().to_string();
            if approve {
                let due = case
                    .deadline(DeadlineKind::Complete)
                    .ok_or(LifecycleError::NoDeadline(DeadlineKind::Complete))?
                    .due_at;
                grant_extension(&mut next, request.reason.clone(), due, request.new_due, at);
                note = Some(format!("until {}: {}", request.new_due, request.reason));
            } else {
                note = Some(required(said, LifecycleError::ReasonRequired)?);
            }
        }
        Command::Close { outcome } => {
            if !is_staff {
                return Err(not_allowed());
            }
            let no_reply_due = case.deadline(DeadlineKind::Reply).is_none();
            if !(from == Replied || (from == Accepted && no_reply_due)) {
                return Err(illegal());
            }
            next.outcome = Some(required(outcome, LifecycleError::TextRequired("outcome"))?);
            next.closed_at = Some(at);
            for kind in DeadlineKind::ALL {
                next.meet(kind, at);
            }
            next.state = Closed;
        }
        Command::RaiseSeverity { severity } => {
            // The system raises a case the rulebook says was left
            // unresolved too long (see `due::severity_raise`).
            if !is_staff && actor != Actor::System {
                return Err(not_allowed());
            }
            if from.is_terminal() {
                return Err(illegal());
            }
            let requested = rules
                .severity(severity.as_str())
                .ok_or_else(|| LifecycleError::UnknownSeverity(severity.clone()))?;
            let higher = match (
                rules.severity_rank(&case.severity),
                rules.severity_rank(&severity),
            ) {
                (Some(current), Some(new)) => new > current,
                // A severity that left the rulebook can only be replaced.
                (None, _) => true,
                (_, None) => false,
            };
            if !higher {
                return Err(LifecycleError::SeverityNotHigher {
                    current: case.severity.clone(),
                    requested: severity,
                });
            }
            tighten_deadlines(&mut next, rules, type_rules, requested);
            note = Some(format!("from `{}` to `{severity}`", case.severity));
            next.severity = severity;
        }
        Command::RecordSatisfaction { rating, comment } => {
            if actor != Actor::Complainant {
                return Err(not_allowed());
            }
            if from != Closed {
                return Err(illegal());
            }
            if case.satisfaction.is_some() {
                return Err(LifecycleError::AlreadyRated);
            }
            next.satisfaction = Some(rating);
            // The rating goes into the note because a reopen clears the field.
            note = Some(match comment.as_deref().map(str::trim) {
                Some(c) if !c.is_empty() => format!("{rating}: {c}"),
                _ => rating.to_string(),
            });
            // Under `escalate` the rating itself hands the case one level up;
            // under `reopen` the complainant decides with a separate command.
            if rules.follow_up.is_unsatisfied(rating)
                && rules.follow_up.when_unsatisfied == WhenUnsatisfied::Escalate
            {
                reopen(&mut next, rules, type_rules, at);
            }
        }
        Command::Reopen { reason } => {
            if !matches!(actor, Actor::Office | Actor::Complainant) {
                return Err(not_allowed());
            }
            if from != Closed {
                return Err(illegal());
            }
            // The office may always reopen; the complainant only after saying
            // they are unsatisfied, and only where that reopens rather than
            // escalates (under `escalate` the rating already reopened it).
            if actor == Actor::Complainant {
                let unsatisfied = case
                    .satisfaction
                    .is_some_and(|r| rules.follow_up.is_unsatisfied(r));
                if !unsatisfied || rules.follow_up.when_unsatisfied != WhenUnsatisfied::Reopen {
                    return Err(LifecycleError::NotUnsatisfied);
                }
            }
            note = Some(required(reason, LifecycleError::ReasonRequired)?);
            reopen(&mut next, rules, type_rules, at);
        }
        Command::Ask { question } => {
            if !is_staff {
                return Err(not_allowed());
            }
            if !from.is_with_department() {
                return Err(illegal());
            }
            note = Some(required(
                question,
                LifecycleError::TextRequired("question"),
            )?);
        }
        Command::ComplainantMessage { text } => {
            if actor != Actor::Complainant {
                return Err(not_allowed());
            }
            if from.is_terminal() {
                return Err(illegal());
            }
            note = Some(required(text, LifecycleError::TextRequired("message"))?);
        }
        Command::CloseUnanswered => {
            if actor != Actor::System {
                return Err(not_allowed());
            }
            let ran_out = case
                .waiting_since()
                .zip(type_rules.answer_wait)
                .is_some_and(|(since, wait)| rules.calendar.deadline(since, wait) <= at);
            if !from.is_with_department() || !ran_out {
                return Err(illegal());
            }
            next.closed_at = Some(at);
            for kind in DeadlineKind::ALL {
                next.meet(kind, at);
            }
            next.state = Closed;
        }
        Command::Merge { into } => {
            if !matches!(actor, Actor::Office | Actor::System) {
                return Err(not_allowed());
            }
            if into == case.tracking {
                return Err(LifecycleError::MergeIntoSelf);
            }
            if from.is_terminal() {
                return Err(illegal());
            }
            if !case.merged.is_empty() {
                return Err(LifecycleError::HasMergedCases);
            }
            note = Some(format!("handled together with {into}"));
            next.merged_into = Some(into);
        }
        Command::Unmerge => {
            if !matches!(actor, Actor::Office | Actor::System) {
                return Err(not_allowed());
            }
            let into = next.merged_into.take().ok_or(LifecycleError::NotMerged)?;
            note = Some(format!("no longer handled together with {into}"));
        }
    }
    next.events.push(Event {
        at,
        actor,
        action,
        note,
        from,
        to: next.state,
    });
    if action == ActionKind::Ask {
        start_wait(&mut next, type_rules, at);
    }
    Ok(next)
}

/// Merges `merged` into `survivor` (并单): both cases as they are to be
/// stored, each with one event more. The survivor must be open and not
/// merged itself; `merged` must be open and have no merged cases of its
/// own. A repeat (after a crash between the two writes) changes only
/// what is missing: a case already pointing at the survivor is not
/// changed again, and one the survivor already lists is listed once.
pub fn merge(
    merged: &Case,
    survivor: &Case,
    actor: Actor,
    at: DateTime<Utc>,
    rules: &Rulebook,
) -> Result<(Case, Case), LifecycleError> {
    if survivor.tracking == merged.tracking {
        return Err(LifecycleError::MergeIntoSelf);
    }
    if !matches!(actor, Actor::Office | Actor::System) {
        return Err(LifecycleError::NotAllowed {
            actor,
            command: ActionKind::Merge,
        });
    }
    if let Some(further) = &survivor.merged_into {
        return Err(LifecycleError::MergeIntoMerged {
            into: survivor.tracking.clone(),
            survivor: further.clone(),
        });
    }
    if survivor.state.is_terminal() {
        return Err(LifecycleError::MergeIntoClosed {
            into: survivor.tracking.clone(),
            state: survivor.state,
        });
    }
    let into = survivor.tracking.clone();
    // Already pointing here: a merge that stopped between its two
    // writes, finished now on the survivor.
    let now_merged = if merged.merged_into.as_ref() == Some(&into) {
        merged.clone()
    } else {
        apply(merged, Command::Merge { into }, actor.clone(), at, rules)?
    };
    let mut took_in = survivor.clone();
    if took_in.merged.contains(&merged.tracking) {
        return Ok((now_merged, took_in));
    }
    took_in.merged.push(merged.tracking.clone());
    took_in.events.push(Event {
        at,
        actor,
        action: ActionKind::Merge,
        note: Some(format!(
            "{} handled together with this case",
            merged.tracking
        )),
        from: survivor.state,
        to: survivor.state,
    });
    Ok((now_merged, took_in))
}

/// Takes `merged` out of `survivor` again: both cases as they are to be
/// stored. `merged`'s deadlines are the ones it had (see the module
/// docs). A survivor that no longer lists it (a repeat after a crash
/// between the two writes) is left as it is, without a new event.
pub fn unmerge(
    merged: &Case,
    survivor: &Case,
    actor: Actor,
    at: DateTime<Utc>,
    rules: &Rulebook,
) -> Result<(Case, Case), LifecycleError> {
    let listed = survivor.merged.contains(&merged.tracking);
    let alone = match &merged.merged_into {
        Some(into) if *into == survivor.tracking => {
            apply(merged, Command::Unmerge, actor.clone(), at, rules)?
        }
        Some(_) => {
            return Err(LifecycleError::NotMergedInto {
                survivor: survivor.tracking.clone(),
            });
        }
        // Already on its own, but still listed: an unmerge that stopped
        // between its two writes, finished now.
        None if listed => merged.clone(),
        None => return Err(LifecycleError::NotMerged),
    };
    let mut released = survivor.clone();
    if listed {
        released.merged.retain(|t| *t != merged.tracking);
        released.events.push(Event {
            at,
            actor,
            action: ActionKind::Unmerge,
            note: Some(format!(
                "{} no longer handled together with this case",
                merged.tracking
            )),
            from: survivor.state,
            to: survivor.state,
        });
    }
    Ok((alone, released))
}

/// Whether `action` ends a wait for the complainant's answer: their
/// answer, or staff answering, deciding or handing the case on without it.
fn ends_wait(action: ActionKind) -> bool {
    matches!(
        action,
        ActionKind::ComplainantMessage
            | ActionKind::Reply
            | ActionKind::Close
            | ActionKind::SendBack
            | ActionKind::Reroute
            | ActionKind::HandBack
            | ActionKind::Reject
            | ActionKind::Reopen
            | ActionKind::CloseUnanswered
    )
}

/// Stops the completion clock after a question, where the case type's
/// `answer_wait` says so and the completion deadline still runs; a
/// second question while waiting keeps the first wait.
fn start_wait(case: &mut Case, type_rules: &CaseType, at: DateTime<Utc>) {
    let runs = case
        .deadline(DeadlineKind::Complete)
        .is_some_and(|d| d.met_at.is_none());
    if type_rules.answer_wait.is_none() || !runs || case.waiting_since().is_some() {
        return;
    }
    case.waits.push(Wait {
        from: at,
        until: None,
        working_days: 0,
    });
    let state = case.state;
    case.events.push(Event {
        at,
        actor: Actor::System,
        action: ActionKind::PauseClock,
        note: None,
        from: state,
        to: state,
    });
}

/// Restarts a stopped completion clock at `at`: the completion deadline
/// moves by the working days waited (from the day after the question up
/// to and including today, as limits in working days count), its
/// reminders and escalation with it; the trail says by how much.
fn end_wait(case: &mut Case, rules: &Rulebook, at: DateTime<Utc>) {
    let Some(since) = case.waiting_since() else {
        return;
    };
    let calendar = &rules.calendar;
    let days = u32::try_from(calendar.working_days_between(since, at).max(0)).unwrap_or(u32::MAX);
    let mut note = format!("waited {days} working days");
    if let Some(d) = case.deadline_mut(DeadlineKind::Complete)
        && d.met_at.is_none()
        && days > 0
    {
        let before = d.due_at;
        d.due_at = calendar.working_days_later(before, days);
        note = format!("{note}; completion due {before} now {}", d.due_at);
        case.forget_notices(&[DeadlineKind::Complete]);
    }
    if let Some(w) = case.waits.last_mut() {
        w.until = Some(at);
        w.working_days = days;
    }
    let state = case.state;
    case.events.push(Event {
        at,
        actor: Actor::System,
        action: ActionKind::ResumeClock,
        note: Some(note),
        from: state,
        to: state,
    });
}

/// Who decides on a request to extend `case`: its severity's approver,
/// else the rulebook's `[extensions] approver` (`None`: the department
/// extends its own cases).
pub fn extension_approver<'r>(rules: &'r Rulebook, case: &Case) -> Option<&'r DepartmentId> {
    rules
        .severity(case.severity.as_str())
        .and_then(|s| s.extension_approver.as_ref())
        .or(rules.extensions.approver.as_ref())
}

/// What "extend" means for `actor` on `case`: the extension itself, or,
/// where the rulebook names an approver other than the actor, a request
/// to it. Every way in (a department's link, the CLI) asks this.
pub fn extension_command(
    rules: &Rulebook,
    case: &Case,
    actor: &Actor,
    reason: String,
    new_due: DateTime<Utc>,
) -> Command {
    let decides_itself = match (extension_approver(rules, case), actor) {
        (None, _) | (_, Actor::Office) => true,
        (Some(approver), Actor::Department(d)) => d == approver && case.department == *d,
        _ => false,
    };
    if decides_itself {
        Command::Extend { reason, new_due }
    } else {
        Command::RequestExtension { reason, new_due }
    }
}

/// Whether `case` may be extended to `new_due` now: the rulebook's reason,
/// timing and maximum. Gives the trimmed reason and the current due time.
fn check_extension(
    case: &Case,
    rules: &Rulebook,
    type_rules: &CaseType,
    (reason, new_due): (String, DateTime<Utc>),
    action: ActionKind,
    at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), LifecycleError> {
    if !matches!(case.state, CaseState::Accepted | CaseState::Replied) {
        return Err(LifecycleError::IllegalTransition {
            from: case.state,
            command: action,
        });
    }
    if case.extension.is_some() {
        return Err(LifecycleError::AlreadyExtended);
    }
    let reason = if rules.extensions.reason_required {
        required(reason, LifecycleError::ReasonRequired)?
    } else {
        reason.trim().to_string()
    };
    let due = case
        .deadline(DeadlineKind::Complete)
        .ok_or(LifecycleError::NoDeadline(DeadlineKind::Complete))?
        .due_at;
    if rules.extensions.ask_before_deadline && at > due {
        return Err(LifecycleError::ExtensionTooLate { due });
    }
    if new_due <= due {
        return Err(LifecycleError::ExtensionNotLater { due, new_due });
    }
    let max_due = rules
        .calendar
        .deadline(due, rules.max_extension(type_rules));
    if new_due > max_due {
        return Err(LifecycleError::ExtensionTooLong { max_due });
    }
    Ok((reason, due))
}

/// Moves the completion deadline from `due` to `new_due`.
fn grant_extension(
    next: &mut Case,
    reason: String,
    due: DateTime<Utc>,
    new_due: DateTime<Utc>,
    at: DateTime<Utc>,
) {
    if let Some(d) = next.deadline_mut(DeadlineKind::Complete) {
        d.due_at = new_due;
        d.complainants_date = None;
    }
    next.extension = Some(Extension {
        reason,
        previous_due: due,
        new_due,
        granted_at: at,
    });
}

/// Trims `text` and refuses it when blank.
fn required(text: String, error: LifecycleError) -> Result<String, LifecycleError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(error)
    } else {
        Ok(trimmed.to_string())
    }
}

/// Sends a closed case back to work one escalation level up, with a fresh
/// completion deadline from `at`.
fn reopen(case: &mut Case, rules: &Rulebook, case_type: &CaseType, at: DateTime<Utc>) {
    case.state = CaseState::Accepted;
    case.escalation_level = (case.escalation_level + 1).min(office_level(rules, &case.department));
    case.closed_at = None;
    case.outcome = None;
    // The next closure gets its own survey and rating; the old rating stays
    // in the audit trail.
    case.satisfaction = None;
    case.sent.remove(&Notice::FollowUpSurvey);
    case.deadlines.retain(|d| d.kind != DeadlineKind::Complete);
    let severity = rules.severity(case.severity.as_str());
    if let Some(d) = new_deadline(rules, case_type, severity, DeadlineKind::Complete, at) {
        case.put_deadline(d);
    }
    case.forget_notices(&[DeadlineKind::Complete]);
}

/// After a severity is raised: every unmet deadline becomes the stricter of
/// what it was and what the new severity promises from the same start;
/// deadlines the case has not passed yet are added if the severity sets them.
fn tighten_deadlines(
    case: &mut Case,
    rules: &Rulebook,
    case_type: &CaseType,
    severity: &SeverityLevel,
) {
    for kind in DeadlineKind::ALL {
        match case.deadline(kind) {
            Some(d) if d.met_at.is_some() => {}
            Some(d) => {
                if let Some(new) =
                    new_deadline(rules, case_type, Some(severity), kind, d.started_at)
                    && new.due_at < d.due_at
                {
                    case.put_deadline(new);
                }
            }
            None => {
                if !already_passed(case, kind)
                    && let Some(new) =
                        new_deadline(rules, case_type, Some(severity), kind, case.received_at)
                {
                    case.put_deadline(new);
                }
            }
        }
    }
}

/// Whether the case has already done what a deadline of `kind` asks.
fn already_passed(case: &Case, kind: DeadlineKind) -> bool {
    use CaseState::*;
    match kind {
        DeadlineKind::Forward => {
            case.state != Received || case.last_event(ActionKind::Forward).is_some()
        }
        DeadlineKind::Accept => case.state != Received,
        DeadlineKind::Reply => case.public_reply.is_some(),
        DeadlineKind::Complete => matches!(case.state, Closed | Rejected),
    }
}

/// A small hand-built rulebook and helpers, shared with the tests of [`crate::due`].
/// Limits are in elapsed hours so that expected times are plain arithmetic.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::calendar::Calendar;
    use crate::localized::Localized;
    use crate::rules::{
        Category, Department, Extensions, FollowUp, FormLimits, Limits, Office, Reminders,
        Retention, Statistics,
    };
    use chrono::{Duration, TimeZone};

    /// Monday 2 March 2026, 10:00 in Beijing.
    pub fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
    }

    pub fn t(hours: i64) -> DateTime<Utc> {
        t0() + Duration::hours(hours)
    }

    fn limits(accept: Option<u32>, reply: Option<u32>, complete: Option<u32>) -> Limits {
        Limits {
            forward: None,
            accept: accept.map(TimeLimit::hours),
            reply: reply.map(TimeLimit::hours),
            complete: complete.map(TimeLimit::hours),
        }
    }

    fn case_type(id: &str, limits: Limits) -> CaseType {
        CaseType {
            id: CaseTypeId::new(id),
            name: Localized::new(id, id),
            description: Localized::default(),
            limits,
            contact_required: false,
            anonymous_allowed: true,
            identity_withheld: false,
            max_extension: None,
            severity_shortens_completion: true,
            raise_unresolved: None,
            answer_wait: None,
        }
    }

    fn severity(id: &str, limits: Limits, notify_supervisor: bool) -> SeverityLevel {
        SeverityLevel {
            id: SeverityId::new(id),
            name: Localized::new(id, id),
            description: Localized::default(),
            limits,
            notify_supervisor,
            own_deadline: id == "minor",
            extension_approver: None,
        }
    }

    fn category(id: &str, department: &str, severity: &str) -> Category {
        Category {
            id: CategoryId::new(id),
            name: Localized::new(id, id),
            description: Localized::default(),
            department: DepartmentId::new(department),
            default_severity: SeverityId::new(severity),
        }
    }

    fn department(id: &str, escalation: &[&str]) -> Department {
        Department {
            id: DepartmentId::new(id),
            name: Localized::new(id, id),
            inboxes: vec![format!("{id}@example.org")],
            escalation: escalation.iter().map(|a| a.to_string()).collect(),
            report_inboxes: Vec::new(),
        }
    }

    /// complaint: accept 24 h, reply 72 h, complete 240 h;
    /// consultation: accept 24 h, complete 120 h, no reply limit;
    /// praise: no limits. Severity `major` tightens to 2 / 48 / 96 h and
    /// alerts the supervisor. `housing` has two escalation levels (the
    /// office is level 3), `water` none (the office is level 1).
    /// Reminders 6 h ahead, survey 48 h after closure, extensions up to 240 h.
    pub fn rules() -> Rulebook {
        Rulebook {
            office: Office {
                name: Localized::new("客服中心", "Complaint office"),
                department: DepartmentId::new("office"),
                management: vec![],
                tracking_prefix: "TS".into(),
                hotline: "12345".into(),
                reroute_within: TimeLimit::working_days(1),
            },
            calendar: Calendar::default(),
            case_types: vec![
                case_type("complaint", limits(Some(24), Some(72), Some(240))),
                case_type("consultation", limits(Some(24), None, Some(120))),
                case_type("praise", Limits::default()),
            ],
            severities: vec![
                severity("minor", Limits::default(), false),
                severity("important", limits(None, None, Some(120)), false),
                severity("major", limits(Some(2), Some(48), Some(96)), true),
            ],
            categories: vec![
                category("repairs", "housing", "minor"),
                category("collapse", "housing", "major"),
                category("water-supply", "water", "minor"),
            ],
            departments: vec![
                department("housing", &["chief@example.org", "director@example.org"]),
                department("water", &[]),
                department("office", &[]),
            ],
            reminders: Reminders {
                before: TimeLimit::hours(6),
            },
            follow_up: FollowUp {
                after: TimeLimit::hours(48),
                open_for: TimeLimit::hours(240),
                when_unsatisfied: WhenUnsatisfied::Reopen,
                ..FollowUp::default()
            },
            extensions: Extensions {
                reason_required: true,
                ask_before_deadline: true,
                max: TimeLimit::hours(240),
                approver: None,
            },
            retention: Retention { years: 2 },
            statistics: Statistics { working_day: 1 },
            duplicates: crate::rules::Duplicates::default(),
            form: FormLimits::default(),
            evidence: None,
            text_messages: None,
        }
    }

    pub fn tracking() -> TrackingNumber {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(12345);
        TrackingNumber::generate("TS", t0().date_naive(), &mut rng)
    }

    pub fn dept(id: &str) -> Actor {
        Actor::Department(DepartmentId::new(id))
    }

    pub fn open(case_type: &str, category: &str) -> Case {
        Case::open(
            tracking(),
            CaseTypeId::new(case_type),
            CategoryId::new(category),
            &rules(),
            t0(),
            true,
        )
        .unwrap()
    }

    /// Applies a command that must succeed.
    pub fn step(case: &Case, command: Command, actor: Actor, at: DateTime<Utc>) -> Case {
        apply(case, command, actor, at, &rules()).unwrap()
    }

    /// A housing complaint brought into `state` by ordinary steps, all
    /// within its first two hours.
    pub fn complaint_in(state: CaseState) -> Case {
        let housing = dept("housing");
        let received = open("complaint", "repairs");
        let accepted = || step(&received, Command::Accept, housing.clone(), t(1));
        let replied = || {
            step(
                &accepted(),
                Command::Reply {
                    text: "Fixed on Tuesday.".into(),
                },
                housing.clone(),
                t(1),
            )
        };
        match state {
            CaseState::Received => received,
            CaseState::Accepted => accepted(),
            CaseState::Replied => replied(),
            CaseState::Closed => step(
                &replied(),
                Command::Close {
                    outcome: "Repaired.".into(),
                },
                housing.clone(),
                t(2),
            ),
            CaseState::SentBack => step(
                &received,
                Command::SendBack {
                    reason: "A water matter.".into(),
                },
                housing.clone(),
                t(1),
            ),
            CaseState::Rejected => step(
                &received,
                Command::Reject {
                    reason: "No address given.".into(),
                },
                Actor::Office,
                t(1),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use CaseState::*;
    use chrono::TimeZone;

    const ALL_STATES: [CaseState; 6] = [Received, Accepted, Replied, Closed, SentBack, Rejected];

    fn due(case: &Case, kind: DeadlineKind) -> DateTime<Utc> {
        case.deadline(kind).unwrap().due_at
    }

    fn met(case: &Case, kind: DeadlineKind) -> Option<DateTime<Utc>> {
        case.deadline(kind).unwrap().met_at
    }

    /// Applies and checks the audit trail grew by exactly the one right event.
    fn checked(case: &Case, command: Command, actor: Actor, at: DateTime<Utc>) -> Case {
        let action = command.action();
        let next = apply(case, command, actor.clone(), at, &rules()).unwrap();
        assert_eq!(next.events.len(), case.events.len() + 1);
        assert_eq!(next.events[..case.events.len()], case.events[..]);
        let event = next.events.last().unwrap();
        assert_eq!((event.at, &event.actor, event.action), (at, &actor, action));
        assert_eq!((event.from, event.to), (case.state, next.state));
        next
    }

    #[test]
    fn opening_routes_and_sets_deadlines() {
        let case = open("complaint", "repairs");
        assert_eq!(case.state, Received);
        assert_eq!(case.department, DepartmentId::new("housing"));
        assert_eq!(case.severity, SeverityId::new("minor"));
        let kinds: Vec<_> = case.deadlines.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                DeadlineKind::Accept,
                DeadlineKind::Reply,
                DeadlineKind::Complete
            ]
        );
        assert_eq!(due(&case, DeadlineKind::Accept), t(24));
        assert_eq!(due(&case, DeadlineKind::Reply), t(72));
        assert_eq!(due(&case, DeadlineKind::Complete), t(240));
        assert_eq!(case.events.len(), 1);
        assert_eq!(case.events[0].action, ActionKind::Receive);
        assert!(case.can_follow_up);
        assert_eq!(case.channel, Channel::Web);
        assert_eq!(case.events[0].actor, Actor::System);
    }

    #[test]
    fn a_case_keeps_its_channel_and_older_json_reads_as_web() {
        let by_phone = Case::open_by(
            Channel::Phone,
            tracking(),
            CaseTypeId::new("complaint"),
            CategoryId::new("repairs"),
            &rules(),
            t0(),
            true,
        )
        .unwrap();
        assert_eq!(by_phone.channel, Channel::Phone);
        assert_eq!(by_phone.events[0].actor, Actor::Office);
        // Same routing and deadlines as the web form.
        let web = open("complaint", "repairs");
        assert_eq!(
            (&by_phone.department, &by_phone.deadlines),
            (&web.department, &web.deadlines)
        );
        let json = serde_json::to_value(&by_phone).unwrap();
        assert_eq!(json["channel"], "phone");
        assert_eq!(serde_json::from_value::<Case>(json).unwrap(), by_phone);
        // A case stored before the field existed.
        let mut old = serde_json::to_value(&web).unwrap();
        old.as_object_mut().unwrap().remove("channel");
        assert_eq!(serde_json::from_value::<Case>(old).unwrap(), web);
    }

    #[test]
    fn a_severe_category_opens_with_the_stricter_limits() {
        let case = open("complaint", "collapse");
        assert_eq!(case.severity, SeverityId::new("major"));
        assert_eq!(due(&case, DeadlineKind::Accept), t(2));
        assert_eq!(due(&case, DeadlineKind::Reply), t(48));
        assert_eq!(due(&case, DeadlineKind::Complete), t(96));
    }

    #[test]
    fn opening_refuses_what_the_rulebook_does_not_know() {
        let open_with = |ty: &str, cat: &str| {
            Case::open(
                tracking(),
                CaseTypeId::new(ty),
                CategoryId::new(cat),
                &rules(),
                t0(),
                false,
            )
        };
        assert_eq!(
            open_with("gossip", "repairs"),
            Err(LifecycleError::UnknownCaseType(CaseTypeId::new("gossip")))
        );
        assert_eq!(
            open_with("complaint", "weather"),
            Err(LifecycleError::UnknownCategory(CategoryId::new("weather")))
        );
    }

    #[test]
    fn a_whole_case_from_receipt_to_rating() {
        let housing = dept("housing");
        let case = open("complaint", "repairs");
        let case = checked(&case, Command::Accept, housing.clone(), t(3));
        assert_eq!(case.state, Accepted);
        assert_eq!(met(&case, DeadlineKind::Accept), Some(t(3)));
        assert_eq!(met(&case, DeadlineKind::Reply), None);

        let reply = Command::Reply {
            text: "  We will fix it.  ".into(),
        };
        let case = checked(&case, reply, housing.clone(), t(30));
        assert_eq!(case.state, Replied);
        assert_eq!(case.public_reply.as_deref(), Some("We will fix it."));
        assert_eq!(met(&case, DeadlineKind::Reply), Some(t(30)));

        let close = Command::Close {
            outcome: "Repaired.".into(),
        };
        let case = checked(&case, close, housing, t(100));
        assert_eq!(case.state, Closed);
        assert_eq!(case.closed_at, Some(t(100)));
        assert_eq!(case.outcome.as_deref(), Some("Repaired."));
        assert!(case.deadlines.iter().all(|d| d.met_at.is_some()));
        assert_eq!(met(&case, DeadlineKind::Reply), Some(t(30)));

        let rate = Command::RecordSatisfaction {
            rating: Satisfaction::VerySatisfied,
            comment: Some("Quick.".into()),
        };
        let case = checked(&case, rate, Actor::Complainant, t(150));
        assert_eq!(case.state, Closed);
        assert_eq!(case.satisfaction, Some(Satisfaction::VerySatisfied));
        assert_eq!(
            case.events.last().unwrap().note.as_deref(),
            Some("very satisfied: Quick.")
        );
        assert_eq!(case.events.len(), 5);
    }

    /// Every command in every state, by an actor allowed to give it: either
    /// the expected new state, or `IllegalTransition`.
    #[test]
    fn every_command_in_every_state() {
        let commands = || {
            vec![
                (Command::Accept, dept("housing")),
                (
                    Command::SendBack {
                        reason: "Not ours.".into(),
                    },
                    dept("housing"),
                ),
                (
                    Command::Reroute {
                        department: DepartmentId::new("water"),
                    },
                    Actor::Office,
                ),
                (
                    Command::HandBack {
                        note: "It is yours: the pipe is on your side.".into(),
                    },
                    Actor::Office,
                ),
                (
                    Command::Reject {
                        reason: "Invalid.".into(),
                    },
                    Actor::Office,
                ),
                (
                    Command::Reply {
                        text: "Answer.".into(),
                    },
                    dept("housing"),
                ),
                (
                    Command::Extend {
                        reason: "Parts ordered.".into(),
                        new_due: t(250),
                    },
                    dept("housing"),
                ),
                (
                    Command::Close {
                        outcome: "Done.".into(),
                    },
                    dept("housing"),
                ),
                (
                    Command::RaiseSeverity {
                        severity: SeverityId::new("major"),
                    },
                    Actor::Office,
                ),
                (
                    Command::RecordSatisfaction {
                        rating: Satisfaction::Satisfied,
                        comment: None,
                    },
                    Actor::Complainant,
                ),
                (
                    Command::Reopen {
                        reason: "Still broken.".into(),
                    },
                    Actor::Office,
                ),
            ]
        };
        let expected = |state: CaseState, action: ActionKind| -> Option<CaseState> {
            use ActionKind as A;
            match (action, state) {
                (A::Accept, Received) => Some(Accepted),
                (A::SendBack, Received | Accepted) => Some(SentBack),
                (A::Reroute | A::HandBack, SentBack) => Some(Received),
                (A::Reject, Received | Accepted | Replied | SentBack) => Some(Rejected),
                (A::Reply, Accepted) => Some(Replied),
                (A::Extend, Accepted | Replied) => Some(state),
                (A::Close, Replied) => Some(Closed),
                (A::RaiseSeverity, Received | Accepted | Replied | SentBack) => Some(state),
                (A::RecordSatisfaction, Closed) => Some(Closed),
                (A::Reopen, Closed) => Some(Accepted),
                _ => None,
            }
        };
        let mut legal = 0;
        for state in ALL_STATES {
            let case = complaint_in(state);
            assert_eq!(case.state, state);
            for (command, actor) in commands() {
                let action = command.action();
                let before = case.clone();
                match expected(state, action) {
                    Some(to) => {
                        let next = checked(&case, command, actor, t(3));
                        assert_eq!(next.state, to, "{action} from {state}");
                        legal += 1;
                    }
                    None => assert_eq!(
                        apply(&case, command, actor, t(3), &rules()),
                        Err(LifecycleError::IllegalTransition {
                            from: state,
                            command: action
                        }),
                        "{action} from {state}"
                    ),
                }
                assert_eq!(case, before, "the input case is never changed");
            }
        }
        assert_eq!(legal, 19);
    }

    #[test]
    fn only_the_right_actor_may_act() {
        let rules = rules();
        let refused = |case: &Case, command: Command, actor: Actor| {
            let action = command.action();
            assert_eq!(
                apply(case, command, actor.clone(), t(3), &rules),
                Err(LifecycleError::NotAllowed {
                    actor,
                    command: action
                })
            );
        };
        let received = complaint_in(Received);
        refused(&received, Command::Accept, dept("water"));
        refused(&received, Command::Accept, Actor::Complainant);
        refused(&received, Command::Accept, Actor::System);
        refused(
            &received,
            Command::SendBack { reason: "x".into() },
            Actor::Office,
        );
        refused(
            &received,
            Command::Reject { reason: "x".into() },
            dept("water"),
        );
        refused(
            &received,
            Command::RaiseSeverity {
                severity: SeverityId::new("major"),
            },
            Actor::Complainant,
        );
        let sent_back = complaint_in(SentBack);
        refused(
            &sent_back,
            Command::Reroute {
                department: DepartmentId::new("water"),
            },
            dept("housing"),
        );
        let accepted = complaint_in(Accepted);
        refused(
            &accepted,
            Command::Reply { text: "x".into() },
            dept("water"),
        );
        refused(
            &accepted,
            Command::Extend {
                reason: "x".into(),
                new_due: t(250),
            },
            Actor::Complainant,
        );
        let closed = complaint_in(Closed);
        let rating = Command::RecordSatisfaction {
            rating: Satisfaction::Neutral,
            comment: None,
        };
        refused(&closed, rating.clone(), dept("housing"));
        refused(&closed, rating, Actor::Office);
        refused(
            &closed,
            Command::Reopen { reason: "x".into() },
            dept("housing"),
        );
        // The office and the assigned department may both accept.
        assert!(apply(&received, Command::Accept, Actor::Office, t(3), &rules).is_ok());
    }

    #[test]
    fn blank_reasons_and_texts_are_refused() {
        let rules = rules();
        let housing = dept("housing");
        let received = complaint_in(Received);
        let accepted = complaint_in(Accepted);
        let replied = complaint_in(Replied);
        let cases = [
            (
                &received,
                Command::SendBack { reason: " ".into() },
                LifecycleError::ReasonRequired,
            ),
            (
                &received,
                Command::Reject { reason: "".into() },
                LifecycleError::ReasonRequired,
            ),
            (
                &accepted,
                Command::Reply { text: "\n".into() },
                LifecycleError::TextRequired("reply"),
            ),
            (
                &accepted,
                Command::Extend {
                    reason: " ".into(),
                    new_due: t(250),
                },
                LifecycleError::ReasonRequired,
            ),
            (
                &replied,
                Command::Close { outcome: "".into() },
                LifecycleError::TextRequired("outcome"),
            ),
        ];
        for (case, command, error) in cases {
            assert_eq!(
                apply(case, command, housing.clone(), t(3), &rules),
                Err(error)
            );
        }
        let closed = complaint_in(Closed);
        assert_eq!(
            apply(
                &closed,
                Command::Reopen { reason: "".into() },
                Actor::Office,
                t(3),
                &rules
            ),
            Err(LifecycleError::ReasonRequired)
        );
    }

    #[test]
    fn sent_back_and_rerouted() {
        let case = complaint_in(SentBack);
        assert_eq!(met(&case, DeadlineKind::Accept), Some(t(1)));
        assert_eq!(
            case.events.last().unwrap().note.as_deref(),
            Some("A water matter.")
        );
        assert_eq!(
            apply(
                &case,
                Command::Reroute {
                    department: DepartmentId::new("roads")
                },
                Actor::Office,
                t(5),
                &rules()
            ),
            Err(LifecycleError::UnknownDepartment(DepartmentId::new(
                "roads"
            )))
        );
        let mut case = case;
        case.mark_sent(Notice::RerouteOverdue, t(4));
        case.mark_sent(
            Notice::Reminder {
                kind: DeadlineKind::Accept,
            },
            t(4),
        );
        case.mark_sent(
            Notice::Reminder {
                kind: DeadlineKind::Reply,
            },
            t(4),
        );
        let reroute = Command::Reroute {
            department: DepartmentId::new("water"),
        };
        let case = checked(&case, reroute, Actor::Office, t(5));
        assert_eq!(case.state, Received);
        assert_eq!(case.department, DepartmentId::new("water"));
        // The new department's acceptance clock starts at the re-route...
        let accept = case.deadline(DeadlineKind::Accept).unwrap();
        assert_eq!(
            (accept.started_at, accept.due_at, accept.met_at),
            (t(5), t(29), None)
        );
        // ...while the complainant's clocks keep running from receipt.
        assert_eq!(due(&case, DeadlineKind::Complete), t(240));
        let sent: Vec<_> = case.sent.iter().cloned().collect();
        assert_eq!(
            sent,
            [Notice::Reminder {
                kind: DeadlineKind::Reply
            }]
        );
        // Now only the new department may accept.
        let rules = rules();
        assert!(apply(&case, Command::Accept, dept("housing"), t(6), &rules).is_err());
        let case = checked(&case, Command::Accept, dept("water"), t(6));
        assert_eq!(met(&case, DeadlineKind::Accept), Some(t(6)));
    }

    #[test]
    fn one_extension_within_the_limits() {
        let rules = rules();
        let housing = dept("housing");
        let case = complaint_in(Accepted);
        let extend = |reason: &str, new_due| Command::Extend {
            reason: reason.into(),
            new_due,
        };
        let try_extend =
            |case: &Case, command, at| apply(case, command, housing.clone(), at, &rules);
        assert_eq!(
            try_extend(&case, extend("Parts", t(481)), t(3)),
            Err(LifecycleError::ExtensionTooLong { max_due: t(480) })
        );
        assert_eq!(
            try_extend(&case, extend("Parts", t(240)), t(3)),
            Err(LifecycleError::ExtensionNotLater {
                due: t(240),
                new_due: t(240)
            })
        );
        assert_eq!(
            try_extend(&case, extend("Parts", t(300)), t(241)),
            Err(LifecycleError::ExtensionTooLate { due: t(240) })
        );
        let extended = checked(
            &case,
            extend(" Parts ordered ", t(480)),
            housing.clone(),
            t(240),
        );
        assert_eq!(due(&extended, DeadlineKind::Complete), t(480));
        assert_eq!(
            extended.extension,
            Some(Extension {
                reason: "Parts ordered".into(),
                previous_due: t(240),
                new_due: t(480),
                granted_at: t(240),
            })
        );
        assert_eq!(
            try_extend(&extended, extend("More", t(490)), t(250)),
            Err(LifecycleError::AlreadyExtended)
        );

        // Without a completion limit there is nothing to extend.
        let praise = open("praise", "repairs");
        let praise = step(&praise, Command::Accept, housing.clone(), t(1));
        assert_eq!(
            try_extend(&praise, extend("Why", t(10)), t(2)),
            Err(LifecycleError::NoDeadline(DeadlineKind::Complete))
        );

        // A rulebook that asks for neither a reason nor timeliness.
        let mut lenient = rules.clone();
        lenient.extensions.reason_required = false;
        lenient.extensions.ask_before_deadline = false;
        let late = apply(&case, extend("", t(300)), housing.clone(), t(250), &lenient).unwrap();
        assert_eq!(due(&late, DeadlineKind::Complete), t(300));
    }

    #[test]
    fn closing_without_a_reply_only_where_no_reply_is_promised() {
        let housing = dept("housing");
        let consultation = open("consultation", "repairs");
        assert!(consultation.deadline(DeadlineKind::Reply).is_none());
        let accepted = step(&consultation, Command::Accept, housing.clone(), t(1));
        let closed = checked(
            &accepted,
            Command::Close {
                outcome: "Answered by phone.".into(),
            },
            housing,
            t(2),
        );
        assert_eq!(closed.state, Closed);
        assert_eq!(met(&closed, DeadlineKind::Complete), Some(t(2)));
    }

    #[test]
    fn reopening_moves_the_case_one_level_up() {
        let closed = complaint_in(Closed);
        let mut closed = closed;
        closed.mark_sent(Notice::FollowUpSurvey, t(50));
        closed.mark_sent(
            Notice::Reminder {
                kind: DeadlineKind::Complete,
            },
            t(50),
        );
        let reopen = || Command::Reopen {
            reason: "Still leaking.".into(),
        };
        let rules = rules();
        // The complainant must first say they are unsatisfied.
        assert_eq!(
            apply(&closed, reopen(), Actor::Complainant, t(60), &rules),
            Err(LifecycleError::NotUnsatisfied)
        );
        let rated = checked(
            &closed,
            Command::RecordSatisfaction {
                rating: Satisfaction::Dissatisfied,
                comment: None,
            },
            Actor::Complainant,
            t(60),
        );
        assert_eq!(
            rated.state, Closed,
            "under `reopen` a rating alone does not reopen"
        );
        assert_eq!(
            apply(
                &rated,
                Command::RecordSatisfaction {
                    rating: Satisfaction::Satisfied,
                    comment: None
                },
                Actor::Complainant,
                t(61),
                &rules
            ),
            Err(LifecycleError::AlreadyRated)
        );
        let case = checked(&rated, reopen(), Actor::Complainant, t(62));
        assert_eq!(case.state, Accepted);
        assert_eq!(case.escalation_level, 1);
        assert_eq!(
            (case.closed_at, case.satisfaction, &case.outcome),
            (None, None, &None)
        );
        let complete = case.deadline(DeadlineKind::Complete).unwrap();
        assert_eq!(
            (complete.started_at, complete.due_at, complete.met_at),
            (t(62), t(302), None)
        );
        assert!(
            case.sent.is_empty(),
            "the new deadline and closure get their own notices"
        );
        // The reply given before stays public and met.
        assert_eq!(met(&case, DeadlineKind::Reply), Some(t(1)));
        assert!(case.public_reply.is_some());

        // The office may reopen without a rating; levels stop at the office.
        let water = open("complaint", "water-supply");
        let water = step(&water, Command::Accept, dept("water"), t(1));
        let water = step(
            &water,
            Command::Reply {
                text: "Done.".into(),
            },
            dept("water"),
            t(1),
        );
        let mut water_case = water;
        for round in 0..3 {
            let closed = step(
                &water_case,
                Command::Close {
                    outcome: "Done.".into(),
                },
                dept("water"),
                t(2 + round),
            );
            water_case = step(&closed, reopen(), Actor::Office, t(3 + round));
            water_case = step(
                &water_case,
                Command::Reply {
                    text: "Again.".into(),
                },
                dept("water"),
                t(3 + round),
            );
        }
        assert_eq!(
            water_case.escalation_level,
            office_level(&rules, &DepartmentId::new("water"))
        );
        assert_eq!(water_case.escalation_level, 1);
    }

    #[test]
    fn under_escalate_an_unsatisfied_rating_reopens_at_once() {
        let mut rules = rules();
        rules.follow_up.when_unsatisfied = WhenUnsatisfied::Escalate;
        let closed = complaint_in(Closed);
        let rate = |rating| Command::RecordSatisfaction {
            rating,
            comment: Some("No.".into()),
        };
        let case = apply(
            &closed,
            rate(Satisfaction::VeryDissatisfied),
            Actor::Complainant,
            t(60),
            &rules,
        )
        .unwrap();
        assert_eq!(case.state, Accepted);
        assert_eq!(case.escalation_level, 1);
        assert_eq!(case.events.len(), closed.events.len() + 1);
        let event = case.events.last().unwrap();
        assert_eq!(
            (event.action, event.from, event.to),
            (ActionKind::RecordSatisfaction, Closed, Accepted)
        );
        assert_eq!(event.note.as_deref(), Some("very dissatisfied: No."));
        // A satisfied rating leaves it closed, and the complainant cannot
        // reopen by command under this rule.
        let kept = apply(
            &closed,
            rate(Satisfaction::Neutral),
            Actor::Complainant,
            t(60),
            &rules,
        )
        .unwrap();
        assert_eq!(kept.state, Closed);
        assert_eq!(
            apply(
                &kept,
                Command::Reopen { reason: "x".into() },
                Actor::Complainant,
                t(61),
                &rules
            ),
            Err(LifecycleError::NotUnsatisfied)
        );
    }

    /// A minor case opened Monday 2 March 10:00 (complete within 240 h, by
    /// 12 March) whose complainant needs it by Thursday 5 March is due at
    /// closing time that day; a later date, or a major case, keeps the rule.
    #[test]
    fn the_complainants_earlier_date_is_the_completion_deadline() {
        let rules = rules();
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d);
        let due = |case: &Case| case.deadline(DeadlineKind::Complete).unwrap().due_at;
        let rule = open("complaint", "repairs");
        assert_eq!(
            due(&rule),
            Utc.with_ymd_and_hms(2026, 3, 12, 2, 0, 0).unwrap()
        );
        let own = open("complaint", "repairs").needed_by(&rules, day(5));
        assert_eq!(
            due(&own),
            Utc.with_ymd_and_hms(2026, 3, 5, 10, 0, 0).unwrap()
        );
        let complete = own.deadline(DeadlineKind::Complete).unwrap();
        assert_eq!(complete.complainants_date, day(5));
        assert_eq!(
            own.events[0].note.as_deref(),
            Some("the complainant needs it by 2026-03-05")
        );
        // Only the completion deadline moves.
        assert_eq!(
            own.deadline(DeadlineKind::Accept),
            rule.deadline(DeadlineKind::Accept)
        );
        let later = open("complaint", "repairs").needed_by(&rules, day(20));
        assert_eq!(later, rule);
        assert_eq!(open("complaint", "repairs").needed_by(&rules, None), rule);
        let major = open("complaint", "collapse");
        assert_eq!(major.clone().needed_by(&rules, day(3)), major);
    }

    /// Who may ask for the case to be handled again is the rulebook's
    /// `unsatisfied` list: with "neutral" on it, a neutral answer may reopen.
    #[test]
    fn the_rulebooks_unsatisfied_answers_decide_who_may_reopen() {
        let mut rules = rules();
        let closed = complaint_in(Closed);
        let rated = |rules: &Rulebook| {
            apply(
                &closed,
                Command::RecordSatisfaction {
                    rating: Satisfaction::Neutral,
                    comment: None,
                },
                Actor::Complainant,
                t(60),
                rules,
            )
            .unwrap()
        };
        let reopen = |case: &Case, rules: &Rulebook| {
            apply(
                case,
                Command::Reopen {
                    reason: "Still broken.".into(),
                },
                Actor::Complainant,
                t(61),
                rules,
            )
        };
        let neutral = rated(&rules);
        assert_eq!(
            reopen(&neutral, &rules),
            Err(LifecycleError::NotUnsatisfied)
        );
        rules.follow_up.unsatisfied.push(Satisfaction::Neutral);
        let neutral = rated(&rules);
        assert_eq!(reopen(&neutral, &rules).unwrap().state, Accepted);
    }

    #[test]
    fn severity_only_goes_up_and_tightens_unmet_deadlines() {
        let rules = rules();
        let accepted = complaint_in(Accepted);
        let raise = |s: &str| Command::RaiseSeverity {
            severity: SeverityId::new(s),
        };
        let case = checked(&accepted, raise("major"), Actor::Office, t(3));
        assert_eq!(case.severity, SeverityId::new("major"));
        assert_eq!(
            case.deadline(DeadlineKind::Accept).unwrap().due_at,
            t(24),
            "met: untouched"
        );
        assert_eq!(due(&case, DeadlineKind::Reply), t(48));
        assert_eq!(due(&case, DeadlineKind::Complete), t(96));
        assert_eq!(
            case.deadline(DeadlineKind::Reply).unwrap().limit,
            TimeLimit::hours(48)
        );
        for lower in ["minor", "important", "major"] {
            assert_eq!(
                apply(&case, raise(lower), Actor::Office, t(4), &rules),
                Err(LifecycleError::SeverityNotHigher {
                    current: SeverityId::new("major"),
                    requested: SeverityId::new(lower),
                })
            );
        }
        assert_eq!(
            apply(&accepted, raise("critical"), Actor::Office, t(4), &rules),
            Err(LifecycleError::UnknownSeverity(SeverityId::new("critical")))
        );
        // A stricter limit never loosens: `important` completes in 120 h < 240 h.
        let important = checked(&accepted, raise("important"), dept("housing"), t(3));
        assert_eq!(due(&important, DeadlineKind::Complete), t(120));
        assert_eq!(due(&important, DeadlineKind::Reply), t(72));
    }

    #[test]
    fn rejecting_still_answers_the_complainant() {
        let case = complaint_in(Rejected);
        assert_eq!(case.public_reply.as_deref(), Some("No address given."));
        assert_eq!(case.closed_at, Some(t(1)));
        assert!(case.state.is_terminal());
    }

    #[test]
    fn errors_read_as_sentences() {
        let e = LifecycleError::IllegalTransition {
            from: Closed,
            command: ActionKind::Accept,
        };
        assert_eq!(e.to_string(), "cannot accept a case that is closed");
        let e = LifecycleError::NotAllowed {
            actor: dept("water"),
            command: ActionKind::SendBack,
        };
        assert_eq!(
            e.to_string(),
            "department `water` may not send back this case"
        );
        assert_eq!(
            LifecycleError::NoDeadline(DeadlineKind::Complete).to_string(),
            "the case has no `complete` deadline"
        );
    }

    #[test]
    fn a_case_survives_storage() {
        let mut case = complaint_in(Replied);
        case.mark_sent(
            Notice::Escalation {
                kind: DeadlineKind::Accept,
                level: 2,
            },
            t(2),
        );
        case.mark_sent(Notice::FollowUpSurvey, t(2));
        case = step(
            &case,
            Command::RaiseSeverity {
                severity: SeverityId::new("major"),
            },
            dept("housing"),
            t(2),
        );
        let text = toml::to_string(&case).unwrap();
        let back: Case = toml::from_str(&text).unwrap();
        assert_eq!(back, case);
    }
}

#[cfg(test)]
mod merge_tests {
    use super::fixtures::*;
    use super::*;
    use proptest::prelude::*;

    fn other(seed: u64, case_type: &str, category: &str) -> Case {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let tracking = TrackingNumber::generate("TS", t0().date_naive(), &mut rng);
        Case::open(
            tracking,
            CaseTypeId::new(case_type),
            CategoryId::new(category),
            &rules(),
            t(1),
            true,
        )
        .unwrap()
    }

    #[test]
    fn a_merged_case_follows_its_survivor_and_comes_back_unchanged() {
        let survivor = complaint_in(CaseState::Accepted);
        let later = other(7, "complaint", "repairs");
        let (merged, took_in) = merge(&later, &survivor, Actor::Office, t(2), &rules()).unwrap();
        assert_eq!(merged.merged_into.as_ref(), Some(&survivor.tracking));
        assert_eq!(took_in.merged, vec![later.tracking.clone()]);
        assert_eq!(merged.state, later.state);
        assert_eq!(merged.deadlines, later.deadlines);
        assert_eq!(merged.events.last().unwrap().action, ActionKind::Merge);
        assert_eq!(took_in.events.last().unwrap().action, ActionKind::Merge);
        assert_eq!(took_in.state, survivor.state);
        // No reminders or escalations of its own while merged.
        assert_eq!(crate::due::next_due(&merged, &rules()), None);
        assert!(crate::due::due_actions(&merged, &rules(), t(1000)).is_empty());
        assert!(crate::due::next_due(&later, &rules()).is_some());
        // The department answers on the survivor, not on the merged case.
        let refused = apply(&merged, Command::Accept, dept("housing"), t(3), &rules());
        assert_eq!(
            refused,
            Err(LifecycleError::Merged {
                into: survivor.tracking.clone()
            })
        );
        // Unmerged: the deadlines it had, running again.
        let (alone, released) = unmerge(&merged, &took_in, Actor::Office, t(4), &rules()).unwrap();
        assert_eq!(alone.merged_into, None);
        assert!(released.merged.is_empty());
        assert_eq!(alone.deadlines, later.deadlines);
        assert_eq!(
            crate::due::next_due(&alone, &rules()),
            crate::due::next_due(&later, &rules())
        );
        assert_eq!(released.events.last().unwrap().action, ActionKind::Unmerge);
    }

    #[test]
    fn merging_is_refused_where_it_would_lose_track() {
        let r = rules();
        let open_one = complaint_in(CaseState::Accepted);
        let later = other(7, "complaint", "repairs");
        let third = other(8, "complaint", "repairs");
        assert_eq!(
            merge(&open_one, &open_one, Actor::Office, t(2), &r),
            Err(LifecycleError::MergeIntoSelf)
        );
        for state in [CaseState::Closed, CaseState::Rejected] {
            let done = complaint_in(state);
            assert_eq!(
                merge(&later, &done, Actor::Office, t(3), &r),
                Err(LifecycleError::MergeIntoClosed {
                    into: done.tracking.clone(),
                    state
                })
            );
            assert_eq!(
                merge(&done, &later, Actor::Office, t(3), &r),
                Err(LifecycleError::IllegalTransition {
                    from: state,
                    command: ActionKind::Merge
                })
            );
        }
        let (merged, survivor) = merge(&later, &open_one, Actor::Office, t(2), &r).unwrap();
        assert_eq!(
            merge(&third, &merged, Actor::Office, t(3), &r),
            Err(LifecycleError::MergeIntoMerged {
                into: later.tracking.clone(),
                survivor: open_one.tracking.clone()
            })
        );
        assert_eq!(
            merge(&survivor, &third, Actor::Office, t(3), &r),
            Err(LifecycleError::HasMergedCases)
        );
        assert_eq!(
            merge(&merged, &third, Actor::Office, t(3), &r),
            Err(LifecycleError::Merged {
                into: open_one.tracking.clone()
            })
        );
        for actor in [dept("housing"), Actor::Complainant] {
            assert!(matches!(
                merge(&third, &open_one, actor.clone(), t(3), &r),
                Err(LifecycleError::NotAllowed { .. })
            ));
            assert!(matches!(
                unmerge(&merged, &survivor, actor, t(3), &r),
                Err(LifecycleError::NotAllowed { .. })
            ));
        }
        assert_eq!(
            unmerge(&third, &survivor, Actor::Office, t(3), &r),
            Err(LifecycleError::NotMerged)
        );
        assert_eq!(
            unmerge(&merged, &third, Actor::Office, t(3), &r),
            Err(LifecycleError::NotMergedInto {
                survivor: third.tracking.clone()
            })
        );
        // The merged case's complainant may still write.
        let wrote = apply(
            &merged,
            Command::ComplainantMessage {
                text: "还是坏的 / still broken".into(),
            },
            Actor::Complainant,
            t(3),
            &r,
        );
        assert!(wrote.is_ok());
    }

    #[test]
    fn a_repeat_after_a_crash_between_the_writes_finishes_the_job() {
        let r = rules();
        let survivor = complaint_in(CaseState::Accepted);
        let later = other(7, "complaint", "repairs");
        let (merged, took_in) = merge(&later, &survivor, Actor::Office, t(2), &r).unwrap();
        // Unmerge wrote the merged case, then stopped: the survivor still lists it.
        let (alone, _) = unmerge(&merged, &took_in, Actor::Office, t(3), &r).unwrap();
        let (again, released) = unmerge(&alone, &took_in, Actor::Office, t(4), &r).unwrap();
        assert_eq!(again, alone);
        assert!(released.merged.is_empty());
        // Merge wrote the merged case, then stopped: the survivor is
        // completed, the merged case left as it is; a third run changes nothing.
        let (still, completed) = merge(&merged, &survivor, Actor::Office, t(5), &r).unwrap();
        assert_eq!(still, merged);
        assert_eq!(completed.merged, vec![later.tracking.clone()]);
        let (same, unchanged) = merge(&merged, &completed, Actor::Office, t(6), &r).unwrap();
        assert_eq!((same, unchanged), (merged.clone(), completed.clone()));
    }

    #[test]
    fn stored_cases_without_the_merge_fields_still_load() {
        let case = complaint_in(CaseState::Accepted);
        let mut json = serde_json::to_value(&case).unwrap();
        let object = json.as_object_mut().unwrap();
        assert!(!object.contains_key("merged_into") && !object.contains_key("merged"));
        object.remove("merged_into");
        let back: Case = serde_json::from_value(json).unwrap();
        assert_eq!(back, case);
        let (merged, survivor) = merge(
            &other(7, "complaint", "repairs"),
            &case,
            Actor::Office,
            t(2),
            &rules(),
        )
        .unwrap();
        for c in [merged, survivor] {
            let back: Case = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
            assert_eq!(back, c);
        }
    }

    /// One step the office, a department or the system might take on one
    /// of three cases.
    #[derive(Debug, Clone)]
    enum Step {
        Accept(usize),
        Reply(usize),
        Close(usize),
        SendBack(usize),
        Reroute(usize),
        Reject(usize),
        Reopen(usize),
        Merge(usize, usize),
        Unmerge(usize),
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        let i = 0..3usize;
        prop_oneof![
            i.clone().prop_map(Step::Accept),
            i.clone().prop_map(Step::Reply),
            i.clone().prop_map(Step::Close),
            i.clone().prop_map(Step::SendBack),
            i.clone().prop_map(Step::Reroute),
            i.clone().prop_map(Step::Reject),
            i.clone().prop_map(Step::Reopen),
            (i.clone(), i.clone()).prop_map(|(a, b)| Step::Merge(a, b)),
            i.prop_map(Step::Unmerge),
        ]
    }

    /// Applies a step where the rules allow it; a refused step changes nothing.
    fn take(cases: &mut [Case], step: &Step, at: DateTime<Utc>) {
        let r = rules();
        let one = |cases: &mut [Case], i: usize, command: Command, actor: Actor| {
            if let Ok(next) = apply(&cases[i], command, actor, at, &r) {
                cases[i] = next;
            }
        };
        let staff = |c: &Case| Actor::Department(c.department.clone());
        match *step {
            Step::Accept(i) => one(cases, i, Command::Accept, staff(&cases[i])),
            Step::Reply(i) => one(
                cases,
                i,
                Command::Reply {
                    text: "修好了 / fixed".into(),
                },
                staff(&cases[i]),
            ),
            Step::Close(i) => one(
                cases,
                i,
                Command::Close {
                    outcome: "已办结 / done".into(),
                },
                staff(&cases[i]),
            ),
            Step::SendBack(i) => one(
                cases,
                i,
                Command::SendBack {
                    reason: "不归我们 / not ours".into(),
                },
                staff(&cases[i]),
            ),
            Step::Reroute(i) => one(
                cases,
                i,
                Command::Reroute {
                    department: DepartmentId::new("water"),
                },
                Actor::Office,
            ),
            Step::Reject(i) => one(
                cases,
                i,
                Command::Reject {
                    reason: "重复 / a repeat".into(),
                },
                Actor::Office,
            ),
            Step::Reopen(i) => one(
                cases,
                i,
                Command::Reopen {
                    reason: "再看看 / again".into(),
                },
                Actor::Office,
            ),
            Step::Merge(a, b) => {
                if let Ok((merged, survivor)) = merge(&cases[a], &cases[b], Actor::Office, at, &r) {
                    cases[a] = merged;
                    cases[b] = survivor;
                }
            }
            Step::Unmerge(a) => {
                let Some(into) = cases[a].merged_into.clone() else {
                    return;
                };
                let Some(b) = cases.iter().position(|c| c.tracking == into) else {
                    return;
                };
                if let Ok((alone, released)) = unmerge(&cases[a], &cases[b], Actor::Office, at, &r)
                {
                    cases[a] = alone;
                    cases[b] = released;
                }
            }
        }
    }

    proptest! {
        /// No sequence of steps loses a case or a deadline: every case is
        /// still there and keeps every deadline kind it opened with; an
        /// open case on its own has its completion deadline and something
        /// still to come while it is with a department and unmet; a merged
        /// case points at an open survivor that lists it and is merged
        /// nowhere itself.
        #[test]
        fn no_sequence_loses_a_case_or_a_deadline(steps in proptest::collection::vec(step_strategy(), 0..40)) {
            let mut cases = vec![
                complaint_in(CaseState::Received),
                other(7, "complaint", "repairs"),
                other(8, "complaint", "water-supply"),
            ];
            let kinds: Vec<Vec<DeadlineKind>> = cases
                .iter()
                .map(|c| c.deadlines.iter().map(|d| d.kind).collect())
                .collect();
            for (n, step) in steps.iter().enumerate() {
                take(&mut cases, step, t(2 + i64::try_from(n).unwrap()));
                prop_assert_eq!(cases.len(), 3);
                for (i, case) in cases.iter().enumerate() {
                    let now: Vec<DeadlineKind> = case.deadlines.iter().map(|d| d.kind).collect();
                    prop_assert_eq!(&now, &kinds[i]);
                    let on_its_own = case.merged_into.is_none();
                    if on_its_own && !case.state.is_terminal() {
                        prop_assert!(case.deadline(DeadlineKind::Complete).is_some());
                    }
                    let unmet = case.deadlines.iter().any(|d| d.met_at.is_none());
                    if on_its_own && case.state.is_with_department() && unmet {
                        prop_assert!(crate::due::next_due(case, &rules()).is_some());
                    }
                    if let Some(into) = &case.merged_into {
                        let survivor = cases.iter().find(|c| c.tracking == *into);
                        prop_assert!(survivor.is_some());
                        let survivor = survivor.unwrap();
                        prop_assert!(survivor.merged.contains(&case.tracking));
                        prop_assert!(survivor.merged_into.is_none());
                        prop_assert!(case.merged.is_empty());
                    }
                    for listed in &case.merged {
                        let back = cases.iter().find(|c| c.tracking == *listed);
                        prop_assert_eq!(back.and_then(|c| c.merged_into.as_ref()), Some(&case.tracking));
                    }
                }
            }
        }
    }
}
