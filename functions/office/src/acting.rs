//! Acting on a case: a department's, the office's or the complainant's
//! command, applied, written and its mails queued.
//!
//! Every change a person makes to a stored case goes through [`act`]: the
//! command is applied with `casework::lifecycle::apply` (which decides
//! whether it is allowed), the new case is written only if the stored one
//! is still at the version the person saw, and the mails the change
//! causes are queued in that same write, so a change and its mails are
//! stored together or not at all; so are the complainant's texts (a
//! question, a reply, the result). Nothing is sent here: the caller
//! delivers the returned notifications (`crate::delivery`). How a person
//! asked (a signed link's form, a CLI command) and how the outcome is
//! shown are the caller's.

use crate::filing::pending;
use crate::links::Links;
use casestore::{CaseRecord, Notification, Store, StoreError};
use casework::lifecycle::{
    self, ActionKind, Actor, Case, CaseState, Command, LifecycleError, Satisfaction,
};
use casework::messages::{self, Update};
use casework::rules::{DepartmentId, WhenUnsatisfied};
use casework::texts::{self, TextUpdate};
use casework::{Lang, Rulebook};
use chrono::{DateTime, Utc};

/// A change made and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    /// The case as it is now stored.
    pub case: Case,
    /// Its stored version now.
    pub version: u64,
    /// The mails the change queued, to deliver.
    pub notifications: Vec<Notification>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// The case is not at the version the person saw (someone changed it
    /// first): nothing was written; `current` is the case as it is now.
    #[error("the case was changed by someone else")]
    Stale { current: Box<CaseRecord> },
    /// The rules do not allow this command now (or what was given is not
    /// enough): nothing was written.
    #[error(transparent)]
    Refused(LifecycleError),
    /// The store failed: nothing was written.
    #[error(transparent)]
    Store(StoreError),
}

/// Applies `command` by `actor` to `record`, seen at `seen_version`, and
/// stores the result with the mails it causes.
#[allow(clippy::too_many_arguments)]
pub async fn act<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    record: &CaseRecord,
    seen_version: u64,
    command: Command,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Acted, ActError> {
    if seen_version != record.version {
        return Err(ActError::Stale {
            current: Box::new(record.clone()),
        });
    }
    let kind = command.action();
    let next =
        lifecycle::apply(&record.case, command, actor, now, rules).map_err(ActError::Refused)?;
    let mut notifications = mails(rules, links, record, &next, kind, now);
    notifications.extend(text(rules, links, record, &next, kind, now));
    notifications.extend(
        to_merged_complainants(rules, store, links, &next, kind, now)
            .await
            .map_err(ActError::Store)?,
    );
    write(rules, store, record, next, notifications).await
}

/// The answer on a surviving case (a reply, the closure, a rejection),
/// told in the same words to the complainant of each case merged into it
/// (并单), under their own tracking number and status link. Queued in the
/// survivor's write, with ids under the survivor's number. The survivor's
/// list is re-checked against each merged case, which a merge or unmerge
/// that stopped between its two writes may have left unsure.
async fn to_merged_complainants<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    next: &Case,
    kind: ActionKind,
    now: DateTime<Utc>,
) -> Result<Vec<Notification>, StoreError> {
    let answers = matches!(
        kind,
        ActionKind::Reply | ActionKind::Close | ActionKind::CloseUnanswered | ActionKind::Reject
    );
    let mut out = Vec::new();
    if !answers {
        return Ok(out);
    }
    for tracking in &next.merged {
        let Some(merged) = store.case(tracking).await? else {
            continue;
        };
        if merged.case.merged_into.as_ref() != Some(&next.tracking) {
            continue;
        }
        let view = Case {
            tracking: tracking.clone(),
            ..next.clone()
        };
        let theirs = CaseRecord {
            case: view.clone(),
            submission: merged.submission,
            version: merged.version,
        };
        let told = mails(rules, links, &theirs, &view, kind, now)
            .into_iter()
            .chain(text(rules, links, &theirs, &view, kind, now));
        out.extend(told.map(|n| Notification {
            id: format!("{}/together/{}", next.tracking, n.id),
            tracking: next.tracking.clone(),
            ..n
        }));
    }
    Ok(out)
}

/// The complainant's survey answer: the rating (and comment) recorded,
/// and, when they are unsatisfied and ask for it under the rulebook's
/// `reopen`, the case reopened; a reopened case (by this or by the
/// rulebook's `escalate`) goes back to its department by mail.
#[allow(clippy::too_many_arguments)]
pub async fn answer_survey<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    record: &CaseRecord,
    seen_version: u64,
    rating: Satisfaction,
    comment: Option<String>,
    reopen: bool,
    now: DateTime<Utc>,
) -> Result<Acted, ActError> {
    if seen_version != record.version {
        return Err(ActError::Stale {
            current: Box::new(record.clone()),
        });
    }
    let rate = Command::RecordSatisfaction {
        rating,
        comment: comment.clone(),
    };
    let mut next = lifecycle::apply(&record.case, rate, Actor::Complainant, now, rules)
        .map_err(ActError::Refused)?;
    // Under `reopen` the complainant decides; under `escalate` the
    // rating has already reopened the case.
    if reopen
        && rules.follow_up.is_unsatisfied(rating)
        && rules.follow_up.when_unsatisfied == WhenUnsatisfied::Reopen
    {
        // The audit trail keeps one text for both languages.
        let reason = comment.clone().unwrap_or_else(|| {
            let said = casework::wording::say("office.reopened_unsatisfied");
            format!("{} / {}", said.get(Lang::Zh), said.get(Lang::En))
        });
        next = lifecycle::apply(
            &next,
            Command::Reopen { reason },
            Actor::Complainant,
            now,
            rules,
        )
        .map_err(ActError::Refused)?;
    }
    let mut notifications = Vec::new();
    if next.state != CaseState::Closed {
        let mail = messages::reopened_to_department(
            rules,
            &next,
            comment.as_deref(),
            &links.department_links(rules, &next, now),
            Lang::Zh,
        );
        notifications.extend(pending(
            &next,
            &format!("reopened/{}", next.events.len()),
            mail,
            now,
        ));
    }
    write(rules, store, record, next, notifications).await
}

/// The office's answer to a case sent back: `record` goes to `department`,
/// which gets the case's mail as a new case's, with links signed for it.
pub async fn reroute<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    record: &CaseRecord,
    department: DepartmentId,
    now: DateTime<Utc>,
) -> Result<Acted, ActError> {
    let command = Command::Reroute { department };
    act(
        rules,
        store,
        links,
        record,
        record.version,
        command,
        Actor::Office,
        now,
    )
    .await
}

/// The mails a change causes, pending, with ids unique per event.
fn mails(
    rules: &Rulebook,
    links: &Links<'_>,
    record: &CaseRecord,
    next: &Case,
    kind: ActionKind,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let n = next.events.len();
    let to_complainant = |update, name: &str| {
        let url = links.people_status_url(&next.tracking, record.submission.language);
        messages::complainant_update(rules, next, &record.submission, update, &url)
            .and_then(|m| pending(next, &format!("{name}/{n}"), m, now))
    };
    match kind {
        ActionKind::SendBack => {
            let reason = next
                .events
                .last()
                .and_then(|e| e.note.clone())
                .unwrap_or_default();
            let mail = messages::sent_back_to_office(
                rules,
                next,
                &reason,
                &links.office_links(rules, next, now),
                Lang::Zh,
            );
            pending(next, &format!("sent-back/{n}"), mail, now)
        }
        ActionKind::Reply => to_complainant(Update::Reply, "reply"),
        ActionKind::Extend => to_complainant(Update::Extension, "extension"),
        ActionKind::RequestExtension => messages::extension_requested(
            rules,
            next,
            links.extension_links(rules, next, now).as_ref(),
            Lang::Zh,
        )
        .and_then(|m| pending(next, &format!("extension-request/{n}"), m, now)),
        ActionKind::ApproveExtension | ActionKind::RefuseExtension => {
            let approved = kind == ActionKind::ApproveExtension;
            let note = next
                .events
                .last()
                .filter(|_| !approved)
                .and_then(|e| e.note.clone())
                .unwrap_or_default();
            let department = messages::extension_decided(rules, next, approved, &note, Lang::Zh);
            let mut mails: Vec<Notification> =
                pending(next, &format!("extension-decided/{n}"), department, now)
                    .into_iter()
                    .collect();
            if approved {
                mails.extend(to_complainant(Update::Extension, "extension"));
            }
            return mails;
        }
        ActionKind::Ask => {
            let question = next.events.last().and_then(|e| e.note.clone());
            let url = links.case_page_url(record.submission.language);
            question
                .and_then(|q| {
                    messages::complainant_question(rules, next, &record.submission, &q, &url)
                })
                .and_then(|m| pending(next, &format!("question/{n}"), m, now))
        }
        ActionKind::ComplainantMessage => {
            let text = next.events.last().and_then(|e| e.note.clone());
            text.and_then(|text| {
                let mail = messages::complainant_wrote(
                    rules,
                    next,
                    &text,
                    &links.department_links(rules, next, now),
                    Lang::Zh,
                );
                pending(next, &format!("complainant-wrote/{n}"), mail, now)
            })
        }
        ActionKind::Close | ActionKind::CloseUnanswered => {
            to_complainant(Update::Closure, "closed")
        }
        ActionKind::Reject => to_complainant(Update::Rejection, "rejected"),
        ActionKind::Reroute => {
            let mail = messages::department_new_case(
                rules,
                next,
                &record.submission,
                &links.department_links(rules, next, now),
                Lang::Zh,
            );
            pending(next, &format!("reroute-{}", record.version), mail, now)
        }
        ActionKind::HandBack => {
            let note = next
                .events
                .last()
                .and_then(|e| e.note.clone())
                .unwrap_or_default();
            let mail = messages::department_handed_back(
                rules,
                next,
                &record.submission,
                &links.department_links(rules, next, now),
                &note,
                Lang::Zh,
            );
            pending(next, &format!("handed-back/{n}"), mail, now)
        }
        _ => None,
    }
    .into_iter()
    .collect()
}

/// The text a change sends the complainant (when they left a mobile
/// number and the rulebook turns texts on), with an id unique per event:
/// a question asked, a reply given, the case closed or rejected.
fn text(
    rules: &Rulebook,
    links: &Links<'_>,
    record: &CaseRecord,
    next: &Case,
    kind: ActionKind,
    now: DateTime<Utc>,
) -> Option<Notification> {
    let (update, suffix) = match kind {
        ActionKind::Ask => (TextUpdate::Asked, "text-asked"),
        ActionKind::Reply => (TextUpdate::Replied, "text-reply"),
        ActionKind::Close | ActionKind::Reject => (TextUpdate::Closed, "text-closed"),
        _ => return None,
    };
    let message = texts::update(
        rules,
        next,
        &record.submission,
        update,
        &links.case_page_link(),
    )?;
    pending(
        next,
        &format!("{suffix}/{}", next.events.len()),
        message,
        now,
    )
}

/// Writes `next` over `record` if nobody changed it since it was read.
async fn write<S: Store>(
    rules: &Rulebook,
    store: &S,
    record: &CaseRecord,
    next: Case,
    notifications: Vec<Notification>,
) -> Result<Acted, ActError> {
    let next_due = casework::due::next_due(&next, rules);
    match store
        .update_case(&next, record.version, next_due, notifications.clone())
        .await
    {
        Ok(version) => Ok(Acted {
            case: next,
            version,
            notifications,
        }),
        Err(StoreError::Conflict) => {
            // The case as it is now, so trying again is informed.
            let current = match store.case(&next.tracking).await {
                Ok(Some(fresh)) => fresh,
                _ => record.clone(),
            };
            Err(ActError::Stale {
                current: Box::new(current),
            })
        }
        Err(e) => Err(ActError::Store(e)),
    }
}
