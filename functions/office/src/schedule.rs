//! What a scheduled pass is told and what it reports.
//!
//! A pass (`remind::run_once`: the Lambda, `hotline remind`, `hotline
//! serve`'s loop) runs the office's scheduled operations in order: the
//! outbox ([`crate::outbox`]), what is due ([`crate::planning`]), the
//! monthly statistics ([`crate::monthly`]), the outbox again. This module
//! holds only the settings they share and the report they fill in.

use casework::action_token::ActionSecret;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The API's public root, e.g. `https://12345.example.gov.cn/api`: survey
    /// links point at `{public_base_url}/cases/{tracking}/survey`.
    pub public_base_url: String,
    /// Signs survey links (`casework::action_token`).
    pub action_secret: ActionSecret,
    /// Most due cases read per run, and pending notifications per page of
    /// the outbox.
    pub batch: usize,
    /// How long a claimed once-only job (the monthly statistics) is this
    /// run's. Mail has the one delivery policy of `crate::delivery`.
    pub lease: TimeDelta,
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
    pub fn new(public_base_url: impl Into<String>, action_secret: ActionSecret) -> Options {
        Options {
            public_base_url: public_base_url.into(),
            action_secret,
            batch: 1000,
            lease: TimeDelta::minutes(10),
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
    /// Texts due outside the sending hours, left for the next opening.
    pub texts_deferred: usize,
    /// The month whose statistics this run sent, e.g. `2026-09`.
    pub statistics: Option<String>,
    /// `--dry-run`: what would have been sent.
    pub previews: Vec<Preview>,
    /// Problems that did not stop the run (each also logged).
    pub errors: Vec<String>,
}

/// A compact UTC time for ids: `20260920T010000Z`.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}
