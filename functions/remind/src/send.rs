//! Stages 1 and 4: sending the outbox.
//!
//! Pending notifications are read from the outbox index and grouped
//! ([`group`]): a digest entry (an id with a `digest-{kind}` segment) joins
//! the other entries of the same kind to the same recipients, everything
//! else is its own mail. Each entry is claimed before sending, so two runs
//! at the same moment split the entries between them and none goes out
//! twice; the entries a run claimed become one mail.
//!
//! A failure counts one attempt on every entry of the mail and retries
//! after [`backoff`]; a permanent failure, or the last allowed attempt,
//! gives the entry up and queues an entry of the office's failure summary
//! (which is itself a digest, so the office gets one mail per run).
//!
//! The outbox is read a page (`Options::batch` entries) at a time until
//! nothing due is left: every entry a page handles leaves the index (sent,
//! failed and waiting for its retry, given up, or claimed by another run),
//! so the next read is the next page. Within the run's time budget
//! (`Options::time_budget`) only: after it no page is read and no further
//! mail of a page is sent, and what is still due is counted, with one
//! read of at most a page, as left for the next run.

use crate::plan::entry_message;
use crate::{Options, Preview, Report, fnv};
use casestore::{Delivery, Notification, OutgoingMessage, Store, StoreError};
use casework::Rulebook;
use casework::due::Recipients;
use casework::notices::{self, DigestKind, Entry};
use chrono::{DateTime, TimeDelta, Utc};
use mail::{MailError, Mailer};
use std::collections::BTreeMap;
use std::time::Instant;

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

/// The mail for a group of claimed entries, and the id it is sent under
/// (stable for the same entries, so a receiver can spot a resend).
pub fn mail_for(
    rules: &Rulebook,
    key: &MailKey,
    entries: &[Notification],
) -> (String, OutgoingMessage) {
    match key {
        MailKey::Single(id) => (
            id.clone(),
            entries
                .first()
                .map(|n| n.message.clone())
                .unwrap_or_else(|| empty(Vec::new())),
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
            let message = notices::digest(rules, *kind, to.clone(), &rendered);
            (
                format!("digest-{}-{:016x}", kind.key(), fnv(&ids.join("\n"))),
                mail::outgoing(message),
            )
        }
    }
}

fn empty(to: Vec<String>) -> OutgoingMessage {
    OutgoingMessage {
        to,
        subject: String::new(),
        text: String::new(),
        html: String::new(),
        attachments: Vec::new(),
    }
}

/// Sends every pending notification that is due, page after page, for
/// at most `options.time_budget` from now.
pub async fn send_outbox<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
) {
    let stop_at = Instant::now() + options.time_budget;
    send_outbox_until(rules, store, mailer, now, options, report, stop_at).await;
}

/// Why the outbox stage stopped.
enum Stop {
    /// A page held less than a batch: nothing due is left.
    Drained,
    /// The time budget ran out, or a page changed nothing: what is still
    /// due waits for the next run.
    Left,
    /// The outbox could not be read.
    Failed,
}

/// [`send_outbox`] with the time budget given as the moment after which
/// no new page is read and no new mail sent (a run shares one budget
/// between its two outbox stages).
pub async fn send_outbox_until<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
    stop_at: Instant,
) {
    let batch = options.batch.max(1);
    // Counted afresh: the last stage's count is the run's.
    report.outbox_left = 0;
    let stop = loop {
        if Instant::now() >= stop_at {
            break Stop::Left;
        }
        let page = match store.pending_notifications(now, batch).await {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "could not read the outbox");
                report.errors.push(format!("reading the outbox: {e}"));
                break Stop::Failed;
            }
        };
        report.outbox_read += page.len();
        report.outbox_pages += 1;
        let full = page.len() >= batch;
        if options.dry_run {
            preview(rules, page, report);
            // Nothing changes in a dry run, so a second read would return
            // the same page: the rest is only counted.
            if full {
                count_left(store, now, options, report, batch).await;
            }
            return;
        }
        let progress = send_page(rules, store, mailer, now, options, report, page, stop_at).await;
        if Instant::now() >= stop_at {
            // Perhaps in the middle of the page: count what is left.
            break Stop::Left;
        }
        if !full {
            break Stop::Drained;
        }
        if !progress {
            tracing::warn!("an outbox page changed nothing; the rest waits for the next run");
            break Stop::Left;
        }
    };
    if matches!(stop, Stop::Left) {
        count_left(store, now, options, report, 0).await;
        if report.outbox_left > 0 {
            tracing::warn!(
                left = report.outbox_left,
                "the run's time is up; due mail waits for the next run"
            );
        }
    }
}

fn preview(rules: &Rulebook, page: Vec<Notification>, report: &mut Report) {
    for (key, entries) in group(page) {
        let (_, message) = mail_for(rules, &key, &entries);
        report.previews.push(Preview {
            to: message.to,
            subject: message.subject,
            entries: entries.len(),
        });
    }
}

/// Counts the due entries left, past the first `skip` (a dry run's page),
/// with one read of at most a page beyond them.
async fn count_left<S: Store>(
    store: &S,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
    skip: usize,
) {
    let batch = options.batch.max(1);
    match store.pending_notifications(now, skip + batch).await {
        Ok(left) => {
            let counted = left.len().saturating_sub(skip);
            report.outbox_read += left.len();
            report.outbox_left = counted;
        }
        Err(e) => {
            tracing::error!(error = %e, "could not count the outbox");
            report.errors.push(format!("counting the outbox: {e}"));
        }
    }
}

/// Sends one page: each mail's entries are claimed, sent and recorded.
/// Stops before a mail when the time is up. Whether anything in the page
/// changed state (so that reading again gives a new page).
#[allow(clippy::too_many_arguments)]
async fn send_page<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
    page: Vec<Notification>,
    stop_at: Instant,
) -> bool {
    let mut progress = false;
    for (key, entries) in group(page) {
        if Instant::now() >= stop_at {
            break;
        }
        let mut claimed = Vec::new();
        for n in entries {
            match store
                .claim_notification(&n.id, now, now + options.lease)
                .await
            {
                Ok(true) => claimed.push(n),
                // Someone else holds it: it has left the index too.
                Ok(false) => progress = true,
                Err(e) => {
                    tracing::warn!(notification = %n.id, error = %e, "could not claim; left pending");
                }
            }
        }
        if claimed.is_empty() {
            continue;
        }
        progress = true;
        let (mail_id, message) = mail_for(rules, &key, &claimed);
        let sent =
            tokio::time::timeout(options.send_timeout, mailer.send(&mail_id, &message)).await;
        let failure = match sent {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(MailError::Temporary("timed out".into())),
        };
        match failure {
            None => {
                report.mails_sent += 1;
                report.entries_sent += claimed.len();
                tracing::info!(mail = %mail_id, entries = claimed.len(), "mail sent");
                for n in &claimed {
                    record(store, &n.id, Delivery::Sent { at: now }, report).await;
                }
            }
            Some(e) => {
                report.send_failures += 1;
                let permanent = matches!(e, MailError::Permanent(_));
                // The error may quote an address: the log gets its kind only.
                tracing::warn!(mail = %mail_id, permanent, "mail not sent");
                for n in &claimed {
                    let attempts = n.attempts + 1;
                    let give_up = permanent || attempts >= options.max_attempts;
                    if give_up {
                        report.given_up += 1;
                        if digest_kind(&n.id) != Some(DigestKind::Failures) {
                            report_failure(rules, store, n, attempts, &e, now, report).await;
                        }
                    }
                    let delivery = Delivery::Failed {
                        at: now,
                        error: e.to_string(),
                        retry_at: now + backoff(attempts),
                        give_up,
                    };
                    record(store, &n.id, delivery, report).await;
                }
            }
        }
    }
    progress
}

async fn record<S: Store>(store: &S, id: &str, delivery: Delivery, report: &mut Report) {
    if let Err(e) = store.record_delivery(id, delivery).await {
        // The lease ran out and someone else took the entry over: rare,
        // and at worst the mail went out twice rather than never.
        tracing::error!(notification = %id, error = %e, "could not record a delivery");
        report
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
    report: &mut Report,
) {
    let to = match Recipients::office(rules) {
        Recipients::Office { addresses } => addresses,
        _ => Vec::new(),
    };
    let entry = notices::failure_entry(&n.id, &n.message.subject, attempts, &error.to_string());
    let summary = Notification {
        id: format!(
            "{}/digest-{}/{:016x}",
            n.tracking,
            DigestKind::Failures.key(),
            fnv(&n.id)
        ),
        tracking: n.tracking.clone(),
        message: entry_message(entry, to),
        status: casestore::NotificationStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
    };
    match store.queue_notifications(vec![summary]).await {
        Ok(()) => report.queued += 1,
        // Already reported by an earlier attempt that died before recording.
        Err(StoreError::Conflict) => {}
        Err(e) => {
            tracing::error!(notification = %n.id, error = %e, "could not queue the failure summary");
            report
                .errors
                .push(format!("queueing the failure summary of {}: {e}", n.id));
        }
    }
}
