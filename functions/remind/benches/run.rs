//! How one `run_once` scales: many closed cases, a few open ones due.
//!
//! `cargo bench -p remind --no-default-features --bench run`. Seeds
//! `HOTLINE_BENCH_CLOSED` closed cases (default 100,000) and 100 open
//! cases with a reminder due, then times one run and a second one with
//! nothing left due, printing the items the run read through the store's
//! indexes. Runs on MemoryStore and a SQLite file always; on DynamoDB when
//! `AWS_ENDPOINT_URL` points at moto (`HOTLINE_BENCH_DYNAMO_CLOSED` closed
//! cases there, default 2,000: seeding goes one transaction at a time).

use casestore::{NewCase, Store};
use casework::due::next_due;
use casework::lifecycle::{Actor, Case, Command, apply};
use casework::rules::{CaseTypeId, CategoryId, DepartmentId};
use chrono::{DateTime, TimeZone, Utc};
use mail::{MailError, Mailer};
use remind::{Options, run_once};
use std::time::Instant;

struct NullMailer;

impl Mailer for NullMailer {
    async fn send(&self, _: &str, _: &casestore::OutgoingMessage) -> Result<(), MailError> {
        Ok(())
    }
}

fn local(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, m, d, h, 0, 0)
        .single()
        .expect("time")
        .with_timezone(&Utc)
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed<S: Store>(store: &S, closed: usize, open: usize) {
    let rules = casestore::contract::rules();
    let submission = casestore::contract::submission(None);
    let received = local(9, 1, 10);
    for i in 0..closed + open {
        let mut case = Case::open(
            casestore::contract::tracking(),
            CaseTypeId::new("complaint"),
            CategoryId::new("housing-property"),
            rules,
            received,
            true,
        )
        .expect("opens");
        if i < closed {
            let housing = Actor::Department(DepartmentId::new("housing"));
            case = apply(
                &case,
                Command::Accept,
                housing.clone(),
                local(9, 1, 11),
                rules,
            )
            .expect("accept");
            let close = Command::Close {
                outcome: "done".into(),
            };
            case = apply(&case, close, housing, local(9, 1, 12), rules).expect("close");
            case.mark_sent(casework::due::Notice::FollowUpSurvey, local(9, 3, 18));
        }
        let new = NewCase {
            next_due: next_due(&case, rules),
            case,
            submission: submission.clone(),
            notifications: vec![],
        };
        store.create_case(new).await.expect("seeded");
    }
}

async fn measure<S: Store>(label: &str, store: S, closed: usize) {
    let open = 100;
    let started = Instant::now();
    seed(&store, closed, open).await;
    let seeded = started.elapsed();
    let rules = casestore::contract::rules();
    let options = Options::new("https://12345.example.gov.cn/api", vec![b'x'; 32]);
    // The accept reminder of the open cases is due (1 Sep 18:00 is past).
    let now = local(9, 2, 9);
    for round in ["first run (100 due)", "second run (none due)"] {
        let t = Instant::now();
        let report = run_once(rules, &store, &NullMailer, now, &options).await;
        let took = t.elapsed();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        println!(
            "{label:<8} {closed:>7} closed + {open} open | {round:<22} {:>8.1} ms | items read: {} due cases + {} outbox entries | {} mails carrying {} entries",
            took.as_secs_f64() * 1000.0,
            report.cases_read,
            report.outbox_read,
            report.mails_sent,
            report.entries_sent,
        );
    }
    println!("{label:<8} (seeding took {:.1} s)", seeded.as_secs_f64());
}

#[tokio::main]
async fn main() {
    let closed = env_count("HOTLINE_BENCH_CLOSED", 100_000);
    measure("memory", casestore::MemoryStore::new(), closed).await;
    let path = std::env::temp_dir().join(format!("remind-bench-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sqlite = casestore::sqlite::SqliteStore::open_for_preview(&path).expect("sqlite");
    measure("sqlite", sqlite, closed).await;
    let _ = std::fs::remove_file(&path);
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        println!(
            "\n*** DynamoDB NOT MEASURED: AWS_ENDPOINT_URL is unset. Start moto (`moto_server -H 127.0.0.1 -p 5005 &`) and export AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test ***"
        );
        return;
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = format!("remind-bench-{}", std::process::id());
    casestore::dynamodb::DynamoStore::create_table(&client, &name)
        .await
        .expect("a table on the endpoint");
    let dynamo_closed = env_count("HOTLINE_BENCH_DYNAMO_CLOSED", 2_000);
    measure(
        "dynamodb",
        casestore::dynamodb::DynamoStore::new(client, name),
        dynamo_closed,
    )
    .await;
}
