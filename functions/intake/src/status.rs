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
//!
//! A case merged into another (并单) shows the surviving case's stage,
//! deadlines, department and reply under its own number, with a line
//! saying which case it is handled together with
//! ([`public_status_together`]).

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
    /// For a merged case: "handled together with SL-…", in `lang`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_together: Option<String>,
    /// For a merged case: the surviving case's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub together_with: Option<String>,
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
        handled_together: None,
        together_with: None,
    }
}

/// The public view of `case`, given the case it is merged into when it
/// is (`survivor`, read by the caller): the survivor's progress under this
/// case's own number, received date and files, with the line saying so.
/// Without the survivor (not found, or not the one named), the case's own
/// view, still saying which case it is handled with.
pub fn public_status_together(
    case: &Case,
    survivor: Option<&Case>,
    rules: &Rulebook,
    lang: Lang,
) -> PublicStatus {
    let Some(into) = &case.merged_into else {
        return public_status(case, rules, lang);
    };
    let own = public_status(case, rules, lang);
    let base = match survivor.filter(|s| s.tracking == *into) {
        Some(s) => PublicStatus {
            tracking: own.tracking,
            received_on: own.received_on,
            files: own.files,
            ..public_status(s, rules, lang)
        },
        None => own,
    };
    PublicStatus {
        handled_together: Some(casework::wording::say_with(
            "pages.handled_together",
            lang,
            &[("tracking", into.to_string())],
        )),
        together_with: Some(into.to_string()),
        ..base
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

#[cfg(test)]
mod tests {
    use super::*;
    use casestore::contract::{hours, new_case, rules, t0};
    use casework::lifecycle::{Actor, Command, apply, merge};

    #[test]
    fn a_merged_case_shows_its_survivors_progress_under_its_own_number() {
        let r = rules();
        let survivor = new_case(None, t0()).case;
        let mut later = new_case(None, hours(1)).case;
        while later.tracking == survivor.tracking {
            later = new_case(None, hours(1)).case;
        }
        let (merged, survivor) = merge(&later, &survivor, Actor::Office, hours(2), r).unwrap();
        let department = Actor::Department(survivor.department.clone());
        let survivor = apply(&survivor, Command::Accept, department, hours(3), r).unwrap();
        for lang in [Lang::Zh, Lang::En] {
            let shown = public_status_together(&merged, Some(&survivor), r, lang);
            assert_eq!(shown.tracking, merged.tracking.to_string());
            assert_eq!(shown.stage.code, stage_code(CaseState::Accepted));
            assert_eq!(shown.together_with, Some(survivor.tracking.to_string()));
            let line = shown.handled_together.unwrap();
            assert!(line.contains(survivor.tracking.as_str()), "{line}");
            // Without the survivor: its own view, still saying so.
            let alone = public_status_together(&merged, None, r, lang);
            assert_eq!(alone.stage.code, stage_code(merged.state));
            assert!(alone.handled_together.is_some());
        }
        let on_its_own = public_status_together(&survivor, None, r, Lang::Zh);
        assert_eq!(on_its_own, public_status(&survivor, r, Lang::Zh));
        assert_eq!(on_its_own.handled_together, None);
    }
}
