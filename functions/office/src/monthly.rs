//! The monthly statistics (a scheduled run's third stage), from opening time of the first working
//! day of a month (after a holiday, the first day back), for the month
//! before, to the complaint office and management, with the cases as CSV.
//!
//! The report is a once-only job (`statistics/2026-09`) claimed in the
//! store: of two runs at the same moment one sends it; a run that fails to
//! send leaves it to be claimed again when its lease runs out. A month
//! whose report day has passed unsent (the function was down) is sent by
//! the next run within that month.

use crate::schedule::{Options, Preview, Report};
use casestore::{Attachment, Store};
use casework::Rulebook;
use casework::stats::{self, Month};
use chrono::{DateTime, Utc};
use mail::Mailer;
use std::time::Duration;

/// The longest the report's send may take: one mail with the month's CSV,
/// larger than any notification (which have `crate::delivery`'s limit).
const REPORT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The month whose report is due at `now`, if its day has come.
pub fn month_due(rules: &Rulebook, now: DateTime<Utc>) -> Option<Month> {
    let month = Month::of(rules.calendar.local(now).date_naive()).previous();
    (month.report_due(rules)? <= now).then_some(month)
}

pub async fn send_statistics<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    options: &Options,
    report: &mut Report,
) {
    let Some(month) = month_due(rules, now) else {
        return;
    };
    let key = format!("statistics/{month}");
    if !options.dry_run {
        match store.claim_job(&key, now, now + options.lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                report.errors.push(format!("claiming {key}: {e}"));
                return;
            }
        }
    }
    let Some((from, to)) = month.bounds(rules) else {
        return;
    };
    let records = match store.cases_received_between(from, to).await {
        Ok(records) => records,
        Err(e) => {
            report
                .errors
                .push(format!("reading the cases of {month}: {e}"));
            return;
        }
    };
    let cases: Vec<_> = records.iter().map(|r| &r.case).collect();
    let figures = stats::figures(rules, month, &cases, now);
    let mut recipients = rules.office_department().inboxes.clone();
    recipients.extend(rules.office.management.iter().cloned());
    let mut message = stats::report(rules, &figures, recipients);
    message.attachments.push(Attachment {
        file_name: format!("cases-{month}.csv"),
        content_type: "text/csv; charset=utf-8".into(),
        content: stats::csv(rules, &cases),
    });
    if options.dry_run {
        report.previews.push(Preview {
            to: message.to,
            subject: message.subject,
            entries: 1,
        });
        return;
    }
    let id = format!("statistics-{month}");
    match tokio::time::timeout(REPORT_SEND_TIMEOUT, mailer.send(&id, &message)).await {
        Ok(Ok(())) => {
            report.mails_sent += 1;
            report.statistics = Some(month.to_string());
            tracing::info!(%month, cases = cases.len(), "monthly statistics sent");
            if let Err(e) = store.finish_job(&key, now).await {
                report.errors.push(format!("finishing {key}: {e}"));
            }
        }
        _ => {
            // Left claimed: after the lease a later run sends it.
            report.send_failures += 1;
            tracing::warn!(%month, "monthly statistics not sent; retried after the lease");
        }
    }
}
