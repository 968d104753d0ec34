//! Filing a case: from what someone sent to a stored case with its first
//! mails queued.
//!
//! One way in for every channel (the web form through intake, a phone call
//! or letter typed in with `hotline cases file`): the submission is checked
//! against the rulebook, the case is opened (routing and deadlines are
//! `casework::lifecycle`'s), its first mails are rendered, and all of it is
//! stored in one write, with a fresh tracking number when one is taken;
//! a complainant who left a mobile number gets a text receipt
//! (`casework::texts`) queued in that same write, and so does the
//! office's mail when the new case looks like an open one received within
//! the rulebook's `[duplicates] window` (`casework::duplicates`): a hint
//! for the office, which merges by hand; failing to look is logged and
//! does not stop the filing.
//! Nothing is sent here: the caller delivers the returned notifications
//! (`crate::delivery`) or leaves them to the scheduler. What an answer
//! looks like (JSON, a page, a line on a terminal) is the caller's.

use crate::links::Links;
use casestore::{CaseRecord, Created, NewCase, Notification, Store, StoreError};
use casework::channel::Channel;
use casework::evidence::EvidenceItem;
use casework::lifecycle::{Case, LifecycleError};
use casework::messages::{self, ActionLinks, Message};
use casework::receipt::ReceiptCode;
use casework::submission::{RawSubmission, Submission, ValidationErrors, validate};
use casework::texts;
use casework::tracking::TrackingNumber;
use casework::{Lang, Rulebook};
use chrono::{DateTime, Utc};

/// How many fresh numbers to try when one is taken (about one in a
/// trillion per month; more than one collision in a row means a bug).
pub const TRACKING_ATTEMPTS: usize = 3;

/// What filing did.
// One per request and moved once: boxing the new case would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// A new case, as stored, with its first notifications (pending).
    New(NewCase),
    /// The idempotency key was seen before: nothing was stored; this is the
    /// earlier case's number.
    Replayed(TrackingNumber),
}

impl Filed {
    pub fn tracking(&self) -> &TrackingNumber {
        match self {
            Filed::New(new) => &new.case.tracking,
            Filed::Replayed(t) => t,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// What was sent does not pass the rulebook's checks (data: the
    /// caller shows it, field by field).
    #[error("the submission is not valid")]
    Invalid(ValidationErrors),
    /// A validated submission could not be opened: the rulebook and the
    /// validation disagree, which is a bug.
    #[error("a validated submission could not be opened: {0}")]
    Open(LifecycleError),
    #[error("no free tracking number after {TRACKING_ATTEMPTS} attempts")]
    NoFreeTrackingNumber,
    #[error(transparent)]
    Store(StoreError),
}

/// Checks `raw` and files it as a case that came in by `channel` at `now`.
pub async fn file_case<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    channel: Channel,
    raw: &RawSubmission,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let today = rules.calendar.local(now).date_naive();
    let submission = validate(raw, rules, today).map_err(FileError::Invalid)?;
    file_submission(rules, store, links, channel, &submission, now).await
}

/// Files an already checked submission (see [`file_case`]).
pub async fn file_submission<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    channel: Channel,
    submission: &Submission,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    file_submission_with_evidence(rules, store, links, channel, submission, Vec::new(), now).await
}

/// Files an already checked submission with the descriptions of its
/// checked, already kept files (see `crate::evidence`).
pub async fn file_submission_with_evidence<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    channel: Channel,
    submission: &Submission,
    evidence: Vec<EvidenceItem>,
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let today = rules.calendar.local(now).date_naive();
    let earlier = recent_cases(rules, store, now).await;
    for _ in 0..TRACKING_ATTEMPTS {
        // The generator is not Send: it lives only in this block.
        let tracking = {
            let mut rng = rand::rng();
            TrackingNumber::generate(&rules.office.tracking_prefix, today, &mut rng)
        };
        let new = new_case_with_evidence(
            rules,
            links,
            channel,
            submission,
            tracking,
            evidence.clone(),
            now,
        )?;
        let new = with_duplicate_notices(rules, links, new, &earlier, now);
        match store.create_case(new.clone()).await {
            Ok(Created::New(_)) => return Ok(Filed::New(new)),
            Ok(Created::Replayed(t)) => return Ok(Filed::Replayed(t)),
            Err(StoreError::TrackingTaken(_)) => {
                tracing::warn!("tracking number taken; trying another");
            }
            Err(e) => return Err(FileError::Store(e)),
        }
    }
    tracing::error!("no free tracking number after {TRACKING_ATTEMPTS} attempts");
    Err(FileError::NoFreeTrackingNumber)
}

/// The cases received in the look-back before `now` that a new case could
/// repeat; none when the store cannot say (the hint is lost, the filing
/// goes on).
async fn recent_cases<S: Store>(
    rules: &Rulebook,
    store: &S,
    now: DateTime<Utc>,
) -> Vec<CaseRecord> {
    let from = now - casework::duplicates::look_back(rules.duplicates.window);
    // `to` is exclusive: a case received this very instant is included.
    let to = now + chrono::Duration::seconds(1);
    match store.cases_received_between(from, to).await {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(error = %e, "could not look for possible duplicates");
            Vec::new()
        }
    }
}

/// `new` with one mail to the office per open case among `earlier` that
/// it looks like (`casework::duplicates`), in the same write as the case.
pub fn with_duplicate_notices(
    rules: &Rulebook,
    links: &Links<'_>,
    mut new: NewCase,
    earlier: &[CaseRecord],
    now: DateTime<Utc>,
) -> NewCase {
    // One note per new case, about the earliest open case it looks like
    // (the one to merge into): a burst of reports of one burst main must
    // not mail the office once for every pair of them.
    let mut by_arrival: Vec<&CaseRecord> = earlier.iter().collect();
    by_arrival.sort_by_key(|r| r.case.received_at);
    let found = casework::duplicates::possible_duplicates(
        rules,
        (&new.case, &new.submission),
        by_arrival.into_iter().map(|r| (&r.case, &r.submission)),
    );
    for d in found.into_iter().take(1) {
        let merge = links.merge_link(rules, &new.case, &d.tracking, now);
        let mail = messages::possible_duplicate(rules, &new.case, &d, Some(&merge), Lang::Zh);
        let suffix = format!("possible-duplicate/{}", d.tracking);
        new.notifications
            .extend(pending(&new.case, &suffix, mail, now));
    }
    new
}

/// A checked submission opened as a case under `tracking`, with the mails
/// a new case sends, pending.
pub fn new_case(
    rules: &Rulebook,
    links: &Links<'_>,
    channel: Channel,
    submission: &Submission,
    tracking: TrackingNumber,
    now: DateTime<Utc>,
) -> Result<NewCase, FileError> {
    new_case_with_evidence(rules, links, channel, submission, tracking, Vec::new(), now)
}

/// [`new_case`] with the descriptions of the files that came with it.
pub fn new_case_with_evidence(
    rules: &Rulebook,
    links: &Links<'_>,
    channel: Channel,
    submission: &Submission,
    tracking: TrackingNumber,
    evidence: Vec<EvidenceItem>,
    now: DateTime<Utc>,
) -> Result<NewCase, FileError> {
    let can_follow_up = submission.contact.email.is_some() || submission.contact.phone.is_some();
    let case = Case::open_by(
        channel,
        tracking,
        submission.case_type.clone(),
        submission.category.clone(),
        rules,
        now,
        can_follow_up,
    )
    .map_err(FileError::Open)?
    .needed_by(rules, submission.needed_by);
    // Only the slow hash is kept; the code itself is derived again
    // whenever it is shown (`casework::receipt`).
    let salt: [u8; 16] = rand::random();
    let receipt = Some(ReceiptCode::for_case(links.action_secret, &case.tracking).hash(salt));
    let case = Case {
        evidence,
        receipt,
        ..case
    };
    let mut notifications = first_notifications(
        rules,
        &case,
        submission,
        &links.department_links(rules, &case, now),
        &links.people_status_url(&case.tracking, submission.language),
        now,
    );
    // The text receipt, in the same write as the case and its mails.
    if let Some(text) = texts::acknowledgment(rules, &case, submission, &links.case_page_link()) {
        notifications.extend(pending(&case, TEXT_ACK, text, now));
    }
    Ok(NewCase {
        next_due: casework::due::next_due(&case, rules),
        case,
        submission: submission.clone(),
        notifications,
    })
}

/// The outbox suffix of a new case's text receipt.
pub const TEXT_ACK: &str = "text-ack";

/// A rendered mail as a pending notification with id `{tracking}/{suffix}`;
/// `None` when it has nobody to go to.
pub fn pending(
    case: &Case,
    suffix: &str,
    message: Message,
    now: DateTime<Utc>,
) -> Option<Notification> {
    if message.to.is_empty() {
        return None;
    }
    Some(Notification::pending(&case.tracking, suffix, message, now))
}

/// The mails a new case sends, pending: to the department (with its signed
/// action links), the identity copy to the office for identity-withheld
/// types, and the receipt to the complainant when they left an e-mail.
pub fn first_notifications(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    links: &ActionLinks,
    status_url: &str,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut push = |suffix: &str, message: Message| {
        out.extend(pending(case, suffix, message, now));
    };
    push(
        "new-case",
        messages::department_new_case(rules, case, submission, links, Lang::Zh),
    );
    if let Some(m) = messages::office_identity_copy(rules, case, submission) {
        push("identity", m);
    }
    if let Some(m) = messages::acknowledgment(rules, case, submission, status_url) {
        push("ack", m);
    }
    out
}
