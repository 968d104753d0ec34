//! Planning what is due: turning what is due on a case into queued
//! notifications (a scheduled run's second stage).
//!
//! [`plan_case`] is pure: from a stored case and the time it renders every
//! due notice, records it on the case with `Case::mark_sent`, and works out
//! the next due time. [`plan_due_cases`] writes each plan with one
//! conditional `update_case`, so the notices are recorded and queued
//! together or not at all, and a second run that read the same version
//! loses the race and queues nothing.
//!
//! Outbox ids are stable: `{tracking}/{notice}/{when it fell due}` for a
//! single mail, `{tracking}/digest-{kind}/{notice}/{when}` for a digest
//! entry (see [`crate::delivery`]), `{tracking}/text-survey/{when}` for
//! the survey's text message. A notice that comes round again (the
//! survey after a reopened case closes again) falls due at a new time and
//! so gets a new id.

use crate::delivery::entry_message;
use crate::schedule::{Options, Preview, Report, stamp};
use casestore::{CaseRecord, Notification, OutgoingMessage, Store, StoreError};
use casework::due::{DueAction, Notice, Recipients, due_actions, next_due};
use casework::lifecycle::{self, Actor, Case, Command};
use casework::messages::Message;
use casework::notices::{self, DigestKind, Entry, SurveyLinks};
use casework::{Lang, Rulebook};
use chrono::{DateTime, Utc};

/// A case with its due notices recorded, and what to queue for them.
#[derive(Debug, Clone, PartialEq)]
pub struct CasePlan {
    pub case: Case,
    pub notifications: Vec<Notification>,
    pub next_due: Option<DateTime<Utc>>,
    /// Notices recorded on the case.
    pub notices: Vec<Notice>,
}

/// Everything due on `record` at `now`, rendered and recorded.
pub fn plan_case(
    rules: &Rulebook,
    record: &CaseRecord,
    now: DateTime<Utc>,
    options: &Options,
) -> CasePlan {
    let mut case = record.case.clone();
    // The rulebook's raise of a case left unresolved comes first, so its
    // tighter deadlines and the supervisor's alert are planned with it.
    if let Some((severity, at)) = casework::due::severity_raise(&case, rules)
        && at <= now
    {
        let command = Command::RaiseSeverity { severity };
        match lifecycle::apply(&case, command, Actor::System, now, rules) {
            Ok(raised) => case = raised,
            Err(e) => {
                tracing::warn!(case = %case.tracking, error = %e, "could not raise the severity")
            }
        }
    }
    let mut notifications = Vec::new();
    // A wait for the complainant's answer that ran out closes the case;
    // the complainant hears of it as of any closure.
    if casework::due::unanswered_close(&case, rules).is_some_and(|at| at <= now) {
        match lifecycle::apply(&case, Command::CloseUnanswered, Actor::System, now, rules) {
            Ok(closed) => {
                case = closed;
                let url = crate::links::people_status_url(
                    "",
                    &options.public_base_url,
                    &case.tracking,
                    record.submission.language,
                );
                let n = case.events.len();
                notifications.extend(
                    casework::messages::complainant_update(
                        rules,
                        &case,
                        &record.submission,
                        casework::messages::Update::Closure,
                        &url,
                    )
                    .and_then(|m| pending(&case, format!("closed/{n}"), m, now)),
                );
            }
            Err(e) => {
                tracing::warn!(case = %case.tracking, error = %e, "could not close an unanswered case")
            }
        }
    }
    let due = due_actions(&case, rules, now);
    let mut notices = Vec::new();
    for action in &due {
        notifications.extend(render(rules, record, action, now, options));
        // Recorded at the moment it was due; the run's time is in the outbox.
        case.mark_sent(action.notice.clone(), now);
        notices.push(action.notice.clone());
    }
    CasePlan {
        next_due: next_due(&case, rules),
        case,
        notifications,
        notices,
    }
}

/// Reads the due cases and writes each one's plan.
pub async fn plan_due_cases<S: Store>(
    rules: &Rulebook,
    store: &S,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
) {
    let records = match store.due_cases(now, options.batch).await {
        Ok(records) => records,
        Err(e) => {
            tracing::error!(error = %e, "could not read the due cases");
            report.errors.push(format!("reading due cases: {e}"));
            return;
        }
    };
    report.cases_read += records.len();
    if records.len() == options.batch {
        tracing::warn!(
            batch = options.batch,
            "more cases are due than one run takes; the rest wait for the next run"
        );
    }
    for record in records {
        let plan = plan_case(rules, &record, now, options);
        if options.dry_run {
            report
                .previews
                .extend(plan.notifications.iter().map(|n| Preview {
                    to: n.message.to.clone(),
                    subject: n.message.subject.clone(),
                    entries: 1,
                }));
            continue;
        }
        if plan.notices.is_empty() && plan.next_due.is_some_and(|d| d <= now) {
            // Nothing to send yet the index says due: leave it rather than
            // write the same thing on every run (the plan and the index
            // agree by construction; this guards a rulebook change).
            continue;
        }
        let queued = plan.notifications.len();
        match store
            .update_case(
                &plan.case,
                record.version,
                plan.next_due,
                plan.notifications,
            )
            .await
        {
            Ok(_) => {
                report.cases_updated += 1;
                report.queued += queued;
                for notice in &plan.notices {
                    tracing::info!(tracking = %plan.case.tracking, notice = %notice, "notice queued");
                }
            }
            Err(StoreError::Conflict) => {
                // Someone else wrote the case first; whatever is still due
                // is seen again on the next run.
                report.lost_races += 1;
            }
            Err(e) => {
                tracing::error!(tracking = %plan.case.tracking, error = %e, "could not record notices");
                report
                    .errors
                    .push(format!("recording notices of {}: {e}", plan.case.tracking));
            }
        }
    }
}

/// The notification(s) one due notice sends; none when no one can be
/// reached (the notice is still recorded, so it is not planned again).
fn render(
    rules: &Rulebook,
    record: &CaseRecord,
    action: &DueAction,
    now: DateTime<Utc>,
    options: &Options,
) -> Vec<Notification> {
    let case = &record.case;
    let to = addresses(&action.recipients);
    let when = stamp(action.at);
    let slug = action.notice.slug();
    let single = |message: Message| pending(case, format!("{slug}/{when}"), message, now);
    let entry = |kind: DigestKind, entry: Entry, to: Vec<String>| {
        pending(
            case,
            format!("digest-{}/{slug}/{when}", kind.key()),
            entry_message(entry, to),
            now,
        )
    };
    let out = match &action.notice {
        Notice::Reminder { kind } => entry(
            DigestKind::Reminders,
            notices::reminder_entry(rules, case, *kind),
            to,
        ),
        Notice::Escalation { kind, level } => entry(
            DigestKind::Overdue,
            notices::overdue_entry(rules, case, *kind, *level),
            to,
        ),
        Notice::SupervisorAlert => single(notices::supervisor_alert(rules, case, to)),
        Notice::RerouteOverdue => single(notices::reroute_overdue(rules, case, to)),
        Notice::FilesAdded { .. } => {
            let links = crate::links::Links {
                public_base_url: &options.public_base_url,
                status_page_url: "",
                action_secret: &options.action_secret,
            };
            let links = links.department_links(rules, case, now);
            single(casework::messages::files_added(
                rules,
                case,
                &links,
                Lang::Zh,
            ))
        }
        Notice::FollowUpSurvey => {
            let contact = &record.submission.contact;
            // The survey by text too, beside the mail or the office's call,
            // to whoever left a mobile number: the signed survey page needs
            // no receipt code.
            let text = casework::texts::recipient(rules, &record.submission)
                .and_then(|_| {
                    let links = survey_links(rules, case, now, options);
                    casework::texts::survey(rules, case, &record.submission, &links.comment)
                })
                .and_then(|m| pending(case, format!("text-survey/{when}"), m, now));
            let mail = if let Some(email) = &contact.email {
                let links = survey_links(rules, case, now, options);
                single(notices::survey(
                    rules,
                    case,
                    email.as_str(),
                    record.submission.language,
                    &links,
                ))
            } else if let Some(phone) = &contact.phone {
                single(notices::phone_follow_up(
                    rules,
                    case,
                    phone.as_str(),
                    addresses(&Recipients::office(rules)),
                ))
            } else {
                None
            };
            return mail.into_iter().chain(text).collect();
        }
    };
    out.into_iter().collect()
}

/// The survey's signed links, valid for the rulebook's `follow_up.open_for`.
pub fn survey_links(
    rules: &Rulebook,
    case: &Case,
    now: DateTime<Utc>,
    options: &Options,
) -> SurveyLinks {
    crate::links::survey_links(
        rules,
        &options.public_base_url,
        &options.action_secret,
        case,
        now,
    )
}

/// Who a notice goes to, as addresses; the complainant's is not known here.
fn addresses(recipients: &Recipients) -> Vec<String> {
    match recipients {
        Recipients::Inbox { addresses, .. } | Recipients::Office { addresses } => addresses.clone(),
        Recipients::Escalation { address, .. } => vec![address.clone()],
        Recipients::Complainant => Vec::new(),
    }
}

fn pending(
    case: &Case,
    suffix: String,
    message: OutgoingMessage,
    now: DateTime<Utc>,
) -> Option<Notification> {
    if message.to.is_empty() {
        let id = format!("{}/{suffix}", case.tracking);
        tracing::warn!(tracking = %case.tracking, id, "no recipient for a notice; recorded, not sent");
        return None;
    }
    Some(Notification::pending(&case.tracking, &suffix, message, now))
}
