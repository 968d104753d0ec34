//! The scheduled function: when the office's scheduled work runs.
//!
//! [`run_once`] is one pass, the same whether EventBridge starts it (the
//! Lambda binary, `src/main.rs`), `hotline remind` does, or `hotline serve`
//! does every minute. In order, it:
//!
//! 1. sends the outbox: every pending notification whose time has come,
//!    a page of [`Options::batch`] at a time until none is left or the
//!    run's [`Options::time_budget`] is spent (what is left is counted in
//!    [`Report::outbox_left`]), reminder and overdue entries joined into
//!    one digest mail per recipient, failures retried after 5 minutes, then
//!    30, then 2 and 6 hours, and given up after `office::delivery::MAX_ATTEMPTS`,
//!    when an entry of the office's failure summary is queued instead
//!    (the one delivery policy of `office::delivery`);
//! 2. plans the cases that are due (`office::planning::plan_case`): what `casework::due`
//!    says is due is rendered and queued in the outbox in the same
//!    conditional write that records it on the case, so a notice is queued
//!    once however many runs overlap;
//! 3. sends the monthly statistics on the first working day of a month
//!    (`office::monthly`), claimed as a once-only job;
//! 4. sends the outbox again, so what was just queued leaves in this run.
//!
//! Reads go through the store's sparse indexes only (due cases, pending
//! notifications, cases received in one month): the cost of a run grows
//! with what is due, never with the table.
//!
//! This crate only schedules: each stage is an operation of the `office`
//! crate, and [`run_once`] puts them in order. `plan`, `send`, `monthly`,
//! [`Options`] and [`Report`] are the office's, named here as before.

pub use office::monthly;
pub use office::outbox as send;
pub use office::planning as plan;
pub use office::schedule::{Options, Preview, Report};

use casestore::Store;
use casework::Rulebook;
use chrono::{DateTime, Utc};
use mail::Mailer;
use std::time::Instant;

/// One pass of every stage; see the crate documentation.
pub async fn run_once<S: Store, M: Mailer>(
    rules: &Rulebook,
    store: &S,
    mailer: &M,
    now: DateTime<Utc>,
    options: &Options,
) -> Report {
    let mut report = Report::default();
    // One budget for both outbox stages.
    let stop_at = Instant::now() + options.time_budget;
    send::send_outbox_until(rules, store, mailer, now, options, &mut report, stop_at).await;
    plan::plan_due_cases(rules, store, now, options, &mut report).await;
    monthly::send_statistics(rules, store, mailer, now, options, &mut report).await;
    if !options.dry_run {
        send::send_outbox_until(rules, store, mailer, now, options, &mut report, stop_at).await;
    }
    report
}
