//! Delivering what is pending: the one claim → send → record policy.
//!
//! Every mail the office sends leaves through [`deliver`]: intake's mail
//! right after a case is stored or acted on, `hotline serve`'s background
//! worker, and the scheduler's outbox pass. Each goes the same way:
//! notifications are grouped into mails ([`group`]: a digest entry joins
//! the other entries of its kind to the same recipients, anything else is
//! a mail of its own), every entry of a mail is claimed for [`SEND_LEASE`]
//! so two senders never send it twice, the mail is sent within
//! [`SEND_TIMEOUT`], and the outcome is recorded on each entry it carried.
//!
//! A failure counts one attempt and retries after [`backoff`]; a permanent
//! failure, or the [`MAX_ATTEMPTS`]th, gives the entry up and queues an
//! entry of the office's failure summary (itself a digest, so the office
//! gets one mail per pass). This module reads no pages and keeps no time
//! budget: that is the outbox pass ([`crate::outbox`]).
//!
//! Text messages (SMS) leave the same way, through the same sender (a
//! `mail::text::Post` sends each message by its medium), with one more
//! rule: a text that comes due outside the rulebook's sending hours is not
//! sent and counts no attempt; it is claimed until the next opening
//! (`casework::texts::deferred_until`), which keeps it pending and out of
//! the due index until then.

use casestore::{Delivery, Notification, OutgoingMessage, Store, StoreError};
use casework::Rulebook;
use casework::action_token::ActionSecret;
use casework::due::Recipients;
use casework::lifecycle::{self, Actor, Command};
use casework::notices::{self, DigestKind, Entry};
use casework::outgoing::Medium;
use casework::queue_token;
use casework::rules::DepartmentId;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, TimeDelta, Utc};
use mail::{MailError, Mailer};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a claimed notification is one sender's: longer than a send
/// and its records take, short enough that a sender that died leaves the
/// mail to the next pass soon.
pub const SEND_LEASE: TimeDelta = TimeDelta::minutes(2);
/// The longest one send may take (and so hold up an answer that waits for it).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Under a request's time limit (`casestore::deadline`), the time kept
/// back from a send for recording its outcome and answering.
pub const RECORD_MARGIN: Duration = Duration::from_secs(1);
/// Under a request's time limit, the least time worth starting a send with:
/// with less, the mail is left pending, unclaimed, for the next pass.
pub const LEAST_SEND_TIME: Duration = Duration::from_secs(1);
/// Attempts before a mail is given up and reported to the office.
pub const MAX_ATTEMPTS: u32 = 5;

/// The wait before attempt `attempts + 1`: 5 minutes, 30 minutes, 2 hours,
/// then 6 hours.
pub fn backoff(attempts: u32) -> TimeDelta {
    match attempts {
        0 | 1 => TimeDelta::minutes(5),
        2 => TimeDelta::minutes(30),
        3 => TimeDelta::hours(2),
        _ => TimeDelta::hours(6),
    }
}

/// How mails are grouped: a single notification, or a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MailKey {
    Single(String),
    Digest { kind: DigestKind, to: Vec<String> },
}

/// Which digest a notification id belongs to, if any.
pub fn digest_kind(id: &str) -> Option<DigestKind> {
    id.split('/')
        .nth(1)
        .and_then(|segment| segment.strip_prefix("digest-"))
        .and_then(DigestKind::from_key)
}

/// Groups pending notifications into mails, in a stable order.
pub fn group(pending: Vec<Notification>) -> BTreeMap<MailKey, Vec<Notification>> {
    let mut mails: BTreeMap<MailKey, Vec<Notification>> = BTreeMap::new();
    for n in pending {
        let key = match digest_kind(&n.id) {
            Some(kind) => {
                let mut to = n.message.to.clone();
                to.sort();
                to.dedup();
                MailKey::Digest { kind, to }
            }
            None => MailKey::Single(n.id.clone()),
        };
        mails.entry(key).or_default().push(n);
    }
    for entries in mails.values_mut() {
        entries.sort_by(|a, b| a.id.cmp(&b.id));
    }
    mails
}

/// What signs the queue link in a department's digest
/// (`casework::queue_token`): the API's public root and the link key.
#[derive(Debug, Clone, Copy)]
pub struct QueueLinks<'a> {
    pub public_base_url: &'a str,
    pub action_secret: &'a ActionSecret,
}

/// The department whose page of open cases a digest to `to` links to: the
/// first in the rulebook whose ordinary inboxes or escalation levels hold
/// one of the addresses (the office's own inbox gets the office's page).
/// None for the failure summary, and for designated report staff, whose
/// cases are acted on from their own mail only.
pub fn queue_department<'r>(
    rules: &'r Rulebook,
    kind: DigestKind,
    to: &[String],
) -> Option<&'r DepartmentId> {
    if kind == DigestKind::Failures {
        return None;
    }
    rules
        .departments
        .iter()
        .find(|d| {
            to.iter()
                .any(|a| d.inboxes.contains(a) || d.escalation.contains(a))
        })
        .map(|d| &d.id)
}

/// The mail for a group of claimed entries, and the id it is sent under
/// (stable for the same entries, so a receiver can spot a resend). With
/// `queue`, a department's digest carries its queue link, signed at `now`.
pub fn mail_for(
    rules: &Rulebook,
    key: &MailKey,
    entries: &[Notification],
    queue: Option<QueueLinks<'_>>,
    now: DateTime<Utc>,
) -> (String, OutgoingMessage) {
    match key {
        MailKey::Single(id) => (
            id.clone(),
            entries
                .first()
                .map(|n| n.message.clone())
                .unwrap_or_else(|| OutgoingMessage {
                    to: Vec::new(),
                    subject: String::new(),
                    text: String::new(),
                    html: String::new(),
                    medium: Medium::Mail,
                    attachments: Vec::new(),
                }),
        ),
        MailKey::Digest { kind, to } => {
            let ids: Vec<&str> = entries.iter().map(|n| n.id.as_str()).collect();
            let rendered: Vec<Entry> = entries
                .iter()
                .map(|n| Entry {
                    title: n.message.subject.clone(),
                    text: n.message.text.clone(),
                    html: n.message.html.clone(),
                })
                .collect();
            let queue_url = queue.and_then(|q| {
                let department = queue_department(rules, *kind, to)?;
                Some(queue_token::queue_link(
                    q.action_secret,
                    q.public_base_url,
                    department,
                    now,
                ))
            });
            let message =
                notices::digest(rules, *kind, to.clone(), &rendered, queue_url.as_deref());
            (
                format!("digest-{}-{:016x}", kind.key(), fnv(&ids.join("\n"))),
                message,
            )
        }
    }
}

/// A digest entry as the outbox keeps it: the title in the subject, the
/// fragments in the bodies.
pub fn entry_message(entry: Entry, to: Vec<String>) -> OutgoingMessage {
    OutgoingMessage {
        to,
        subject: entry.title,
        text: entry.text,
        html: entry.html,
        medium: Medium::Mail,
        attachments: Vec::new(),
    }
}

/// What delivering did, for a report or a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Mails handed over to the mailer.
    pub mails_sent: usize,
    /// Outbox entries those mails carried.
    pub entries_sent: usize,
    /// Mails that failed and will be retried (or were given up).
    pub send_failures: usize,
    /// Outbox entries given up and reported to the office.
    pub given_up: usize,
    /// Failure-summary entries queued.
    pub queued: usize,
    /// Texts left for the morning: due outside the sending hours.
    pub deferred: usize,
    /// Entries not tried because the request's time limit was near
    /// (`casestore::deadline`): still pending, unclaimed.
    pub left_for_later: usize,
    /// Whether any entry changed state or was found taken by another
    /// sender (so reading the outbox again gives something new).
    pub progress: bool,
    /// Problems that did not stop the delivery (each also logged).
    pub errors: Vec<String>,
}

/// Delivers `notifications` now, mail by mail: what cannot be sent stays
/// pending with its attempt counted, for a later pass. Digests go without
/// a queue link; see [`deliver_with`].
pub async fn deliver<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    notifications: Vec<Notification>,
    now: DateTime<Utc>,
) -> Tally {
    deliver_with(rules, store, mailer, notifications, None, now).await
}

/// [`deliver`], with `queue` signing each department digest's queue link.
pub async fn deliver_with<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    notifications: Vec<Notification>,
    queue: Option<QueueLinks<'_>>,
    now: DateTime<Utc>,
) -> Tally {
    let mut tally = Tally::default();
    // In the order given (the department's mail first), not the outbox's
    // order by id: the caller lists the most urgent mail first.
    let first_seen: std::collections::HashMap<String, usize> = notifications
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect();
    let mut mails: Vec<_> = group(notifications).into_iter().collect();
    mails.sort_by_key(|(_, entries)| first_seen.get(&entries[0].id).copied());
    for (key, entries) in mails {
        deliver_mail(rules, store, mailer, &key, entries, queue, now, &mut tally).await;
    }
    tally
}

/// Claims, sends and records one mail (one notification, or a digest's
/// entries).
#[allow(clippy::too_many_arguments)]
pub async fn deliver_mail<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    key: &MailKey,
    entries: Vec<Notification>,
    queue: Option<QueueLinks<'_>>,
    now: DateTime<Utc>,
    tally: &mut Tally,
) {
    let is_text = entries
        .first()
        .is_some_and(|n| n.message.medium == Medium::Text);
    if is_text && let Some(opening) = casework::texts::deferred_until(rules, now) {
        defer_texts(store, entries, now, opening, tally).await;
        return;
    }
    let send_timeout = match casestore::deadline::remaining() {
        None => SEND_TIMEOUT,
        Some(left) => match left.checked_sub(RECORD_MARGIN) {
            Some(time) if time >= LEAST_SEND_TIME => time.min(SEND_TIMEOUT),
            // Not claimed, so nothing waits for a lease: the next outbox
            // pass sends it.
            _ => {
                tally.left_for_later += entries.len();
                tracing::info!(
                    entries = entries.len(),
                    "mail left pending: the request's time limit is near"
                );
                return;
            }
        },
    };
    let mut claimed = Vec::new();
    for n in entries {
        match store.claim_notification(&n.id, now, now + SEND_LEASE).await {
            Ok(true) => claimed.push(n),
            // Someone else holds it: it has left the due index too.
            Ok(false) => tally.progress = true,
            Err(e) => {
                tracing::warn!(notification = %n.id, error = e.kind(), "could not claim mail; left pending");
            }
        }
    }
    if claimed.is_empty() {
        return;
    }
    tally.progress = true;
    let (mail_id, message) = mail_for(rules, key, &claimed, queue, now);
    let sent = tokio::time::timeout(send_timeout, mailer.send(&mail_id, &message)).await;
    let failure = match sent {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(MailError::Temporary("timed out".into())),
    };
    let Some(e) = failure else {
        tally.mails_sent += 1;
        tally.entries_sent += claimed.len();
        tracing::info!(mail = %mail_id, entries = claimed.len(), text = is_text, "mail sent");
        for n in &claimed {
            record(store, &n.id, Delivery::Sent { at: now }, tally).await;
            if is_department_case_mail(&n.id) {
                mark_forwarded(rules, store, &n.tracking, now, tally).await;
            }
        }
        return;
    };
    tally.send_failures += 1;
    let permanent = matches!(e, MailError::Permanent(_));
    // The error may quote an address: the log gets its kind only.
    tracing::warn!(mail = %mail_id, permanent, text = is_text, "mail not sent; left for a later pass");
    for n in &claimed {
        let attempts = n.attempts + 1;
        let give_up = permanent || attempts >= MAX_ATTEMPTS;
        if give_up {
            tally.given_up += 1;
            if digest_kind(&n.id) != Some(DigestKind::Failures) {
                report_failure(rules, store, n, attempts, &e, now, tally).await;
            }
        }
        let delivery = Delivery::Failed {
            at: now,
            error: e.to_string(),
            retry_at: now + backoff(attempts),
            give_up,
        };
        record(store, &n.id, delivery, tally).await;
    }
}

/// Texts due at night: each claimed until the window opens, so it stays
/// pending, is not due again before then and counts no attempt.
async fn defer_texts<S: Store>(
    store: &S,
    entries: Vec<Notification>,
    now: DateTime<Utc>,
    opening: DateTime<Utc>,
    tally: &mut Tally,
) {
    for n in entries {
        match store.claim_notification(&n.id, now, opening).await {
            Ok(true) => {
                tally.deferred += 1;
                tally.progress = true;
                tracing::info!(notification = %n.id, until = %opening, "text left for the sending hours");
            }
            Ok(false) => tally.progress = true,
            Err(e) => {
                tracing::warn!(notification = %n.id, error = e.kind(), "could not defer a text; left pending");
            }
        }
    }
}

/// Whether `id` is the department's own mail of a case: the new case's,
/// or a re-routed case's to its new department.
pub fn is_department_case_mail(id: &str) -> bool {
    let suffix = id.split_once('/').map_or("", |(_, suffix)| suffix);
    suffix == "new-case" || suffix.starts_with("reroute-")
}

/// The department has the case once its mail has left: the "forward"
/// deadline is met then (the rulebook's limit for handing a case over),
/// not when the department gets round to accepting it.
async fn mark_forwarded<S: Store>(
    rules: &Rulebook,
    store: &S,
    tracking: &TrackingNumber,
    at: DateTime<Utc>,
    tally: &mut Tally,
) {
    // A department acting at the same moment wins; read again and retry.
    for _ in 0..3 {
        let record = match store.case(tracking).await {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(case = %tracking, error = e.kind(), "could not read the case to mark it forwarded");
                tally
                    .errors
                    .push(format!("marking {tracking} forwarded: {e}"));
                return;
            }
        };
        // Nothing to do when it was accepted or forwarded already.
        let Ok(next) = lifecycle::apply(&record.case, Command::Forward, Actor::System, at, rules)
        else {
            return;
        };
        let next_due = casework::due::next_due(&next, rules);
        match store
            .update_case(&next, record.version, next_due, Vec::new())
            .await
        {
            Ok(_) => return,
            Err(StoreError::Conflict) => continue,
            Err(e) => {
                tracing::warn!(case = %tracking, error = e.kind(), "could not mark the case forwarded");
                tally
                    .errors
                    .push(format!("marking {tracking} forwarded: {e}"));
                return;
            }
        }
    }
}

async fn record<S: Store>(store: &S, id: &str, delivery: Delivery, tally: &mut Tally) {
    if let Err(e) = store.record_delivery(id, delivery).await {
        // The lease ran out and someone else took the entry over: rare,
        // and at worst the mail went out twice rather than never.
        tracing::error!(notification = %id, error = e.kind(), "could not record a delivery");
        tally
            .errors
            .push(format!("recording the delivery of {id}: {e}"));
    }
}

/// Queues the office's failure-summary entry for a mail given up.
async fn report_failure<S: Store>(
    rules: &Rulebook,
    store: &S,
    n: &Notification,
    attempts: u32,
    error: &MailError,
    now: DateTime<Utc>,
    tally: &mut Tally,
) {
    let to = match Recipients::office(rules) {
        Recipients::Office { addresses } => addresses,
        _ => Vec::new(),
    };
    let entry = notices::failure_entry(&n.id, &n.message.subject, attempts, &error.to_string());
    let suffix = format!("digest-{}/{:016x}", DigestKind::Failures.key(), fnv(&n.id));
    let summary = Notification::pending(&n.tracking, &suffix, entry_message(entry, to), now);
    match store.queue_notifications(vec![summary]).await {
        Ok(()) => tally.queued += 1,
        // Already reported by an earlier attempt that died before recording.
        Err(StoreError::Conflict) => {}
        Err(e) => {
            tracing::error!(notification = %n.id, error = e.kind(), "could not queue the failure summary");
            tally
                .errors
                .push(format!("queueing the failure summary of {}: {e}", n.id));
        }
    }
}

/// FNV-1a, 64 bits: a stable short name for a set of ids (not a secret).
pub(crate) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
