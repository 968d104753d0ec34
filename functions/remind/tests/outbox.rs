//! One run sends the whole outbox, a page at a time, within its time
//! budget, and says how much it left for the next run.

use casestore::contract::{notification, rules, t0, tracking};
use casestore::prelude::*;
use casestore::{MemoryStore, OutgoingMessage};
use chrono::TimeDelta;
use mail::{MailError, Mailer};
use remind::{Options, run_once};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// Records the ids it sends, each after `delay`.
#[derive(Default)]
struct Counting {
    sent: Mutex<Vec<String>>,
    delay: Duration,
}

impl Mailer for Counting {
    async fn send(&self, id: &str, _: &OutgoingMessage) -> Result<(), MailError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.sent.lock().expect("sent").push(id.to_string());
        Ok(())
    }
}

impl Counting {
    /// The outbox's mails, without the monthly statistics that a run on
    /// any day past the month's first working day also sends.
    fn ids(&self) -> Vec<String> {
        let sent = self.sent.lock().expect("sent");
        sent.iter()
            .filter(|id| !id.starts_with("statistics-"))
            .cloned()
            .collect()
    }
}

fn options() -> Options {
    Options::new(
        "https://12345.example.gov.cn/api",
        casework::action_token::ActionSecret::new(vec![b'x'; 32]).expect("32 bytes"),
    )
}

/// `n` single mails due at `t0`, none of them a digest.
async fn queue(store: &MemoryStore, n: usize) {
    let t = tracking();
    let all: Vec<_> = (0..n)
        .map(|i| notification(&t, &format!("new-case-{i:05}"), t0()))
        .collect();
    for chunk in all.chunks(500) {
        store
            .queue_notifications(chunk.to_vec())
            .await
            .expect("queued");
    }
}

async fn still_due(store: &MemoryStore) -> usize {
    store
        .pending_notifications(t0() + TimeDelta::minutes(1), usize::MAX)
        .await
        .expect("the outbox")
        .len()
}

#[tokio::test]
async fn one_run_sends_more_than_a_page() {
    let store = MemoryStore::new();
    queue(&store, 2_500).await;
    let mailer = Counting::default();
    let options = options();
    assert_eq!(options.batch, 1_000);
    let now = t0() + TimeDelta::minutes(1);

    let report = run_once(rules(), &store, &mailer, now, &options).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.entries_sent, 2_500);
    assert_eq!(mailer.ids().len(), 2_500);
    assert_eq!(report.outbox_left, 0);
    // 1,000 + 1,000 + 500, then the last stage's empty page.
    assert_eq!(report.outbox_pages, 4);
    assert_eq!(report.outbox_read, 2_500);
    assert_eq!(still_due(&store).await, 0);
    let ids = mailer.ids();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "a mail went out twice");

    // The next run finds nothing.
    let again = run_once(rules(), &store, &mailer, now, &options).await;
    assert_eq!((again.entries_sent, again.outbox_left), (0, 0));
    assert_eq!(mailer.ids().len(), 2_500);
}

#[tokio::test]
async fn a_spent_budget_leaves_the_rest_for_the_next_run_and_counts_it() {
    let store = MemoryStore::new();
    queue(&store, 1_500).await;
    let mailer = Counting::default();
    let now = t0() + TimeDelta::minutes(1);
    let mut options = options();
    options.time_budget = Duration::ZERO;
    let report = run_once(rules(), &store, &mailer, now, &options).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.entries_sent, 0);
    assert_eq!(report.outbox_pages, 0);
    // Counted with one read of at most a page: "at least 1,000".
    assert_eq!(report.outbox_left, 1_000);
    assert_eq!(still_due(&store).await, 1_500);

    // A smaller page counts exactly.
    options.batch = 2_000;
    let report = run_once(rules(), &store, &mailer, now, &options).await;
    assert_eq!(report.outbox_left, 1_500);
}

#[tokio::test]
async fn the_budget_stops_a_run_between_mails_and_the_next_run_goes_on() {
    let store = MemoryStore::new();
    queue(&store, 1_200).await;
    // Each send takes 20 ms: a 300 ms budget sends some, not all.
    let mailer = Counting {
        delay: Duration::from_millis(20),
        ..Counting::default()
    };
    let now = t0() + TimeDelta::minutes(1);
    let mut options = options();
    options.batch = 100;
    options.time_budget = Duration::from_millis(300);
    let first = run_once(rules(), &store, &mailer, now, &options).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let sent = first.entries_sent;
    assert!((1..1_200).contains(&sent), "sent {sent}");
    assert_eq!(mailer.ids().len(), sent);
    assert_eq!(still_due(&store).await, 1_200 - sent);
    assert_eq!(first.outbox_left, 100, "at least a page is left");

    // A run with time enough sends the rest, and nothing twice.
    options.time_budget = Duration::from_secs(600);
    let mailer_fast = Counting::default();
    let second = run_once(rules(), &store, &mailer_fast, now, &options).await;
    assert_eq!(second.entries_sent, 1_200 - sent);
    assert_eq!(second.outbox_left, 0);
    let mut all = mailer.ids();
    all.extend(mailer_fast.ids());
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (1_200, 1_200));
}

#[tokio::test]
async fn a_budget_spent_within_the_only_page_counts_what_it_did_not_send() {
    let store = MemoryStore::new();
    queue(&store, 300).await;
    let mailer = Counting {
        delay: Duration::from_millis(20),
        ..Counting::default()
    };
    let mut options = options();
    options.time_budget = Duration::from_millis(200);
    let report = run_once(rules(), &store, &mailer, t0(), &options).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let sent = report.entries_sent;
    assert!((1..300).contains(&sent), "sent {sent}");
    assert_eq!(report.outbox_left, 300 - sent);
}

#[tokio::test]
async fn a_dry_run_previews_a_page_and_counts_the_rest() {
    let store = MemoryStore::new();
    queue(&store, 1_300).await;
    let mailer = Counting::default();
    let mut options = options();
    options.dry_run = true;
    let report = run_once(rules(), &store, &mailer, t0(), &options).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let outbox: Vec<_> = report
        .previews
        .iter()
        .filter(|p| !p.subject.contains("Monthly statistics"))
        .collect();
    assert_eq!(outbox.len(), 1_000);
    assert_eq!(report.outbox_left, 300);
    assert!(mailer.ids().is_empty());
    assert_eq!(still_due(&store).await, 1_300);
}

#[test]
fn the_lambda_s_remaining_time_less_the_margin_bounds_the_budget() {
    let options = options();
    assert_eq!(options.time_budget, Duration::from_secs(240));
    assert_eq!(options.margin, Duration::from_secs(60));
    let budget = |left: u64| {
        options
            .clone()
            .with_time_left(Duration::from_secs(left))
            .time_budget
    };
    assert_eq!(budget(900), Duration::from_secs(240));
    assert_eq!(budget(200), Duration::from_secs(140));
    assert_eq!(budget(30), Duration::ZERO);
}
