//! The scheduled function: everything the office sends without being asked.
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
//!    30, then 2 and 6 hours, and given up after [`Options::max_attempts`],
//!    when an entry of the office's failure summary is queued instead;
//! 2. plans the cases that are due ([`plan::plan_case`]): what `casework::due`
//!    says is due is rendered and queued in the outbox in the same
//!    conditional write that records it on the case, so a notice is queued
//!    once however many runs overlap;
//! 3. sends the monthly statistics on the first working day of a month
//!    ([`monthly`]), claimed as a once-only job;
//! 4. sends the outbox again, so what was just queued leaves in this run.
//!
//! Reads go through the store's sparse indexes only (due cases, pending
//! notifications, cases received in one month): the cost of a run grows
//! with what is due, never with the table.

pub mod monthly;
pub mod plan;
pub mod send;

use casestore::Store;
use casework::Rulebook;
use chrono::{DateTime, TimeDelta, Utc};
use mail::Mailer;
use std::time::{Duration, Instant};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The API's public root, e.g. `https://12345.example.gov.cn/api`: survey
    /// links point at `{public_base_url}/cases/{tracking}/survey`.
    pub public_base_url: String,
    /// Signs survey links (`casework::action_token`); at least 32 bytes.
    pub action_secret: Vec<u8>,
    /// Most due cases read per run, and pending notifications per page of
    /// the outbox.
    pub batch: usize,
    /// Attempts before a mail is given up and reported to the office.
    pub max_attempts: u32,
    /// How long a claimed notification or job is this run's.
    pub lease: TimeDelta,
    /// The longest one send may take.
    pub send_timeout: std::time::Duration,
    /// Works out and reports everything, writes and sends nothing.
    pub dry_run: bool,
    /// How long after its start a run may still start outbox work: no page
    /// is read, and no mail of a page sent, after it; the rest waits for
    /// the next run. The default, 4 minutes, fits the Lambda's 5-minute
    /// timeout; the Lambda also shortens it per run to the time it has
    /// left less [`Options::margin`] ([`Options::with_time_left`]).
    pub time_budget: Duration,
    /// What a run keeps in hand after its outbox budget: the other stages,
    /// one send and the last records (default 1 minute).
    pub margin: Duration,
}

impl Options {
    pub fn new(public_base_url: impl Into<String>, action_secret: impl Into<Vec<u8>>) -> Options {
        Options {
            public_base_url: public_base_url.into(),
            action_secret: action_secret.into(),
            batch: 1000,
            max_attempts: 5,
            lease: TimeDelta::minutes(10),
            send_timeout: Duration::from_secs(30),
            dry_run: false,
            time_budget: Duration::from_secs(4 * 60),
            margin: Duration::from_secs(60),
        }
    }

    /// These options for a run that must end within `left` (a Lambda
    /// invocation's remaining time): the time budget is cut to `left` less
    /// the margin when that is shorter.
    pub fn with_time_left(mut self, left: Duration) -> Options {
        self.time_budget = self.time_budget.min(left.saturating_sub(self.margin));
        self
    }
}

/// One mail a dry run would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub to: Vec<String>,
    pub subject: String,
    /// How many outbox entries it carries (more than one for a digest).
    pub entries: usize,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Due cases read from the due index.
    pub cases_read: usize,
    /// Cases whose notices were recorded (and queued) by this run.
    pub cases_updated: usize,
    /// Cases another run (or a person) changed first: left to that writer.
    pub lost_races: usize,
    /// Notifications queued by this run.
    pub queued: usize,
    /// Pending notifications read from the outbox index (the count of
    /// what was left included).
    pub outbox_read: usize,
    /// Pages read from the outbox index.
    pub outbox_pages: usize,
    /// Due notifications left for the next run when the time budget ran
    /// out: counted with one read of at most [`Options::batch`], so a
    /// count equal to the batch means at least that many.
    pub outbox_left: usize,
    /// Mails handed over to the mailer.
    pub mails_sent: usize,
    /// Outbox entries those mails carried.
    pub entries_sent: usize,
    /// Mails that failed and will be retried.
    pub send_failures: usize,
    /// Outbox entries given up and reported to the office.
    pub given_up: usize,
    /// The month whose statistics this run sent, e.g. `2026-09`.
    pub statistics: Option<String>,
    /// `--dry-run`: what would have been sent.
    pub previews: Vec<Preview>,
    /// Problems that did not stop the run (each also logged).
    pub errors: Vec<String>,
}

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

/// A compact UTC time for ids: `20260920T010000Z`.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// FNV-1a, 64 bits: a stable short name for a set of ids (not a secret).
pub(crate) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
