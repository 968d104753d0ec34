//! The public view of a case: what anyone holding the tracking number may
//! see. Pure. It is built from the case alone and never from the
//! submission, so name, phone, e-mail and description cannot leak into it.
//!
//! Nor may it tell a whistle-blowing report from other cases, since anyone
//! the number reaches could learn that its holder reported someone:
//! - every time is given to the minute (seconds and below would be the
//!   submission's own time, a deadline being receipt plus a limit);
//! - for a case type whose reporter is protected (`identity_withheld` in
//!   the rulebook), a deadline set by a limit of that type's own (the
//!   report's 30 working days to complete) is not shown; deadlines other
//!   case types share (acceptance within 1 working day, the severity's
//!   limits) are, so the status reads like that of a case of another type.
//!   The reporter's acknowledgment mail gives every deadline.

use bytes::Bytes;
use casework::lifecycle::{Case, CaseState};
use casework::rules::DeadlineKind;
use casework::wording::say;
use casework::{Lang, Localized, Rulebook};
use chrono::{DateTime, NaiveDate, Utc};
use http::Request;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStatus {
    pub tracking: String,
    pub stage: Stage,
    /// The office's local date.
    pub received_on: NaiveDate,
    pub deadlines: Vec<PublicDeadline>,
    /// The public name of the department handling it.
    pub department: String,
    pub reply: Option<String>,
    pub closed_on: Option<NaiveDate>,
    /// How many files came with it; never the files themselves.
    pub files: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub code: &'static str,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDeadline {
    /// `forward`, `accept`, `reply` or `complete`.
    pub kind: &'static str,
    pub name: String,
    pub due_at: DateTime<Utc>,
    /// The office's local date of `due_at`.
    pub due_on: NaiveDate,
    pub met: bool,
}

pub fn stage_code(state: CaseState) -> &'static str {
    match state {
        CaseState::Received => "received",
        CaseState::Accepted => "accepted",
        CaseState::Replied => "replied",
        CaseState::Closed => "closed",
        CaseState::SentBack => "rerouting",
        CaseState::Rejected => "rejected",
    }
}

/// What the public is told about each state. A case sent back is, for the
/// complainant, simply being passed to the right department.
pub fn stage_name(state: CaseState) -> Localized {
    say(match state {
        CaseState::Received => "api.stage_received",
        CaseState::Accepted => "api.stage_accepted",
        CaseState::Replied => "api.stage_replied",
        CaseState::Closed => "api.stage_closed",
        CaseState::SentBack => "api.stage_rerouting",
        CaseState::Rejected => "api.stage_rejected",
    })
    .clone()
}

/// Whether the public status of `case` shows deadlines of `kind` (see the
/// module's documentation).
pub fn deadline_shown(case: &Case, rules: &Rulebook, kind: DeadlineKind) -> bool {
    // A case type that is not in the rulebook any more: show nothing that
    // might be its own.
    let Some(own) = rules.case_type(case.case_type.as_str()) else {
        return false;
    };
    if !own.identity_withheld {
        return true;
    }
    match own.limits.get(kind) {
        // Set by the severity, which every case type shares.
        None => true,
        Some(limit) => rules
            .case_types
            .iter()
            .any(|t| !t.identity_withheld && t.limits.get(kind) == Some(limit)),
    }
}

/// `t` without its seconds and fractions.
pub fn to_the_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(60), 0).unwrap_or(t)
}

pub fn deadlines(case: &Case, rules: &Rulebook, lang: Lang) -> Vec<PublicDeadline> {
    case.deadlines
        .iter()
        .filter(|d| deadline_shown(case, rules, d.kind))
        .map(|d| PublicDeadline {
            kind: d.kind.key(),
            name: d.kind.name().get(lang).to_string(),
            due_at: to_the_minute(d.due_at),
            due_on: rules.calendar.local(d.due_at).date_naive(),
            met: d.met_at.is_some(),
        })
        .collect()
}

pub fn public_status(case: &Case, rules: &Rulebook, lang: Lang) -> PublicStatus {
    let department = rules
        .department(case.department.as_str())
        .map(|d| d.name.get(lang).to_string())
        .unwrap_or_else(|| rules.office.name.get(lang).to_string());
    PublicStatus {
        tracking: case.tracking.to_string(),
        stage: Stage {
            code: stage_code(case.state),
            name: stage_name(case.state).get(lang).to_string(),
        },
        received_on: rules.calendar.local(case.received_at).date_naive(),
        deadlines: deadlines(case, rules, lang),
        department,
        reply: case.public_reply.clone(),
        closed_on: case.closed_at.map(|t| rules.calendar.local(t).date_naive()),
        files: case.evidence.len(),
    }
}

/// A person's browser asks for HTML; scripts get JSON.
pub fn wants_html(req: &Request<Bytes>) -> bool {
    if let Some(format) = crate::body::query_param(req, "format") {
        return format == "html";
    }
    req.headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
