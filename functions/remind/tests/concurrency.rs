//! Two `run_once` started at the same moment, again and again: every
//! notice is queued once and every mail entry is delivered once, on
//! MemoryStore, SqliteStore and DynamoStore. (The DynamoDB run needs moto
//! served one request at a time, as `tests/run` starts it: moto undoes a
//! failed transaction by restoring a copy of the tables, which wipes out
//! writes served at the same moment.)

mod support;

use casestore::Store;
use casework::action_token::ActionSecret;
use chrono::TimeDelta;
use remind::{Options, run_once};
use std::collections::BTreeMap;
use std::sync::Arc;
use support::*;

async fn race<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let mailer = Arc::new(RecordingMailer::default());
    let mut cases = Vec::new();
    for i in 0..12 {
        // Several departments, so that both digests and single mails race.
        let category = ["housing-property", "roads-traffic", "pollution"][i % 3];
        cases.push(
            file(
                &*store,
                "complaint",
                category,
                local(9, 21, 10, 0),
                Some("x@example.org"),
            )
            .await,
        );
    }
    let options = Arc::new(Options::new(
        "https://12345.example.gov.cn/api",
        ActionSecret::new(*b"0123456789abcdef0123456789abcdef").expect("32 bytes"),
    ));
    let mut now = local(9, 21, 17, 0);
    let mut lost = 0;
    while now <= local(10, 20, 18, 0) {
        mailer.set_now(now);
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (store, mailer, options) = (store.clone(), mailer.clone(), options.clone());
                tokio::spawn(async move {
                    run_once(support::rules(), &*store, &*mailer, now, &options).await
                })
            })
            .collect();
        for run in runs {
            let report = run.await.expect("the run");
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            lost += report.lost_races;
        }
        now += TimeDelta::hours(1);
    }
    // Each (case, kind of mail, recipients, time) once across both runs.
    let mut seen: BTreeMap<(String, String, Vec<String>, String), usize> = BTreeMap::new();
    for m in mailer.sent() {
        for t in &cases {
            let n = m.message.text.matches(t.as_str()).count();
            if n > 0 {
                assert_eq!(n, 1, "a case twice in one mail: {}", m.message.text);
                *seen
                    .entry((
                        t.to_string(),
                        kind_of(&m.id),
                        m.message.to.clone(),
                        show(m.at),
                    ))
                    .or_default() += 1;
            }
        }
    }
    // Per case: two reminders and two escalations for each of its two
    // deadlines (accept, complete).
    assert_eq!(seen.len(), 12 * 6, "{seen:#?}");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    println!(
        "{} notices, each sent once; {lost} races lost and left to the winner",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runs_at_once_on_the_memory_store() {
    race(casestore::MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runs_at_once_on_sqlite() {
    race(casestore::sqlite::SqliteStore::in_memory().expect("sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runs_at_once_on_dynamodb() {
    race(fresh_dynamo("race").await).await;
}
