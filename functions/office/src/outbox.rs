//! The scheduled outbox pass (a run's first and last stage).
//!
//! Pending notifications are read from the outbox index and delivered by
//! the one policy of [`crate::delivery`] (grouped into mails, each entry
//! claimed before sending, so two runs at the same moment split the
//! entries between them and none goes out twice; failures retried after
//! [`backoff`] and given up into the office's failure summary).
//!
//! The outbox is read a page (`Options::batch` entries) at a time until
//! nothing due is left: every entry a page handles leaves the index (sent,
//! failed and waiting for its retry, given up, or claimed by another run),
//! so the next read is the next page. Within the run's time budget
//! (`Options::time_budget`) only: after it no page is read and no further
//! mail of a page is sent, and what is still due is counted, with one
//! read of at most a page, as left for the next run.

pub use crate::delivery::{MailKey, backoff, digest_kind, group, mail_for};
use crate::delivery::{QueueLinks, Tally, deliver_mail};
use crate::schedule::{Options, Preview, Report};
use casestore::{Notification, Store};
use casework::Rulebook;
use chrono::{DateTime, Utc};
use mail::Mailer;
use std::time::Instant;

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
    // The acknowledgment's receipt code is written in as it leaves.
    let mailer = &crate::WithReceiptCodes::new(mailer, options.action_secret.clone());
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
            preview(rules, page, now, report);
            // Nothing changes in a dry run, so a second read would return
            // the same page: the rest is only counted.
            if full {
                count_left(store, now, options, report, batch).await;
            }
            return;
        }
        let queue = QueueLinks {
            public_base_url: &options.public_base_url,
            action_secret: &options.action_secret,
        };
        let progress = send_page(rules, store, mailer, now, queue, report, page, stop_at).await;
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

fn preview(rules: &Rulebook, page: Vec<Notification>, now: DateTime<Utc>, report: &mut Report) {
    for (key, entries) in group(page) {
        let (_, message) = mail_for(rules, &key, &entries, None, now);
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

/// Sends one page, mail by mail (`crate::delivery`), stopping before a
/// mail when the time is up. Whether anything in the page changed state
/// (so that reading again gives a new page).
#[allow(clippy::too_many_arguments)]
async fn send_page<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    queue: QueueLinks<'_>,
    report: &mut Report,
    page: Vec<Notification>,
    stop_at: Instant,
) -> bool {
    let mut tally = Tally::default();
    for (key, entries) in group(page) {
        if Instant::now() >= stop_at {
            break;
        }
        deliver_mail(
            rules,
            store,
            mailer,
            &key,
            entries,
            Some(queue),
            now,
            &mut tally,
        )
        .await;
    }
    report.mails_sent += tally.mails_sent;
    report.entries_sent += tally.entries_sent;
    report.send_failures += tally.send_failures;
    report.given_up += tally.given_up;
    report.texts_deferred += tally.deferred;
    report.queued += tally.queued;
    report.errors.extend(tally.errors);
    tally.progress
}
