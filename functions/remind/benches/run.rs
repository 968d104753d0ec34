//! How one `run_once` scales: many closed cases, a few open ones due.
//!
//! `cargo bench -p remind --no-default-features --bench run`. For each
//! store, seeds `HOTLINE_BENCH_CLOSED` closed cases (default 100,000) and
//! 100 open cases with a reminder due, then times one run (100 due) and a
//! second one with nothing left due, printing what the runs read through
//! the store's indexes; then does the same at `HOTLINE_BENCH_SMALL` closed
//! cases (default 1,000) and prints the ratio of the run times, which
//! should follow the due cases, not the table.
//!
//! Stores: MemoryStore, a SQLite file, and DynamoDB when `AWS_ENDPOINT_URL`
//! points at an endpoint such as moto (`tests/aws/moto_server.py`);
//! `HOTLINE_BENCH_STORES=dynamodb` (a comma list) picks some. On DynamoDB
//! the closed cases are written 25 to a BatchWriteItem
//! (`DynamoStore::seed_cases`), the open ones through `create_case`, and
//! every read's consumed capacity is added up: as the endpoint reports it
//! and as priced from the items' sizes by DynamoDB's rules (moto reports a
//! fixed figure per request, not the real one). moto also scans the whole
//! table for every index query, and copies it for every transaction (start
//! it with `--fast-transactions`, or 100,000 items exhaust its memory),
//! which DynamoDB does not: the bench times single requests of each kind
//! at each size, so the emulator's share of a run's time can be told
//! apart. The request counts show what the run itself asked for.

use casestore::NewCase;
use casestore::dynamodb::{DynamoStore, Usage};
use casestore::prelude::*;
use casework::due::next_due;
use casework::lifecycle::{Actor, Case, Command, apply};
use casework::rules::{CaseTypeId, CategoryId, DepartmentId};
use chrono::{DateTime, TimeZone, Utc};
use mail::{MailError, Mailer};
use remind::{Options, Report, run_once};
use std::time::{Duration, Instant};

struct NullMailer;

impl Mailer for NullMailer {
    async fn send(&self, _: &str, _: &casestore::OutgoingMessage) -> Result<(), MailError> {
        Ok(())
    }
}

const OPEN: usize = 100;

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

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A case received on 1 September at 10:00: closed (accepted, closed and
/// surveyed the same week, so nothing is ever due) or open (its accept
/// reminder falls due that evening).
fn case(closed: bool) -> NewCase {
    let rules = casestore::contract::rules();
    let mut case = Case::open(
        casestore::contract::tracking(),
        CaseTypeId::new("complaint"),
        CategoryId::new("housing-property"),
        rules,
        local(9, 1, 10),
        true,
    )
    .expect("opens");
    if closed {
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
    NewCase {
        next_due: next_due(&case, rules),
        case,
        submission: casestore::contract::submission(None),
        notifications: vec![],
    }
}

/// The store under test, and how it is filled and metered.
trait Bench: Store {
    /// Writes the closed cases; one `create_case` each unless the store
    /// has a faster way.
    async fn seed_closed(&self, closed: usize) {
        for _ in 0..closed {
            self.create_case(case(true)).await.expect("seeded");
        }
    }

    /// The requests since the last call, where the store counts them.
    fn take_usage(&self) -> Option<Usage> {
        None
    }

    /// The emulator's own cost per request at this table size, if any.
    async fn baseline(&self) -> Option<String> {
        None
    }
}

impl Bench for casestore::MemoryStore {}
impl Bench for casestore::sqlite::SqliteStore {}

impl Bench for DynamoStore {
    async fn seed_closed(&self, closed: usize) {
        let mut left = closed;
        while left > 0 {
            let n = left.min(2_500);
            let cases: Vec<NewCase> = (0..n).map(|_| case(true)).collect();
            self.seed_cases(&cases).await.expect("seeded");
            left -= n;
        }
    }

    fn take_usage(&self) -> Option<Usage> {
        Some(DynamoStore::take_usage(self))
    }

    async fn baseline(&self) -> Option<String> {
        // A GetItem of a case that is not there, an index query that finds
        // nothing (nothing was due in January) and a one-item transaction
        // (a notice nobody will send).
        let t = Instant::now();
        let missing = self
            .case(&casestore::contract::tracking())
            .await
            .expect("read");
        assert!(missing.is_none());
        let get = t.elapsed();
        let t = Instant::now();
        let found = self.due_cases(local(1, 1, 0), 10).await.expect("query");
        assert!(found.is_empty());
        let query = t.elapsed();
        let note = casestore::contract::notification(
            &casestore::contract::tracking(),
            "bench-baseline",
            local(12, 31, 0),
        );
        let t = Instant::now();
        self.queue_notifications(vec![note]).await.expect("queued");
        let transaction = t.elapsed();
        // A conditional UpdateItem whose condition fails (no such mail).
        let t = Instant::now();
        let claimed = self
            .claim_notification("bench-no-such-mail", local(9, 2, 9), local(9, 2, 10))
            .await
            .expect("claim");
        assert!(!claimed);
        let update = t.elapsed();
        DynamoStore::take_usage(self);
        Some(format!(
            "one GetItem {}, one conditional UpdateItem {}, one index query that finds nothing {}, one one-item transaction {}",
            ms(get),
            ms(update),
            ms(query),
            ms(transaction)
        ))
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct Run {
    took: Duration,
    report: Report,
    usage: Option<Usage>,
}

struct Measured {
    seeded: Duration,
    runs: Vec<Run>,
    baseline: Option<String>,
}

async fn measure<S: Bench>(store: &S, closed: usize) -> Measured {
    let started = Instant::now();
    // The open cases first: on an emulator whose transactions grow with
    // the table, that keeps their creation cheap (it is not measured).
    for _ in 0..OPEN {
        store.create_case(case(false)).await.expect("seeded");
    }
    store.seed_closed(closed).await;
    let seeded = started.elapsed();
    let rules = casestore::contract::rules();
    let options = Options::new(
        "https://12345.example.gov.cn/api",
        casework::action_token::ActionSecret::new(vec![b'x'; 32]).expect("32 bytes"),
    );
    // The accept reminder of the open cases is due (1 Sep 18:00 is past).
    let now = local(9, 2, 9);
    let mut runs = Vec::new();
    for _ in 0..2 {
        store.take_usage();
        let t = Instant::now();
        let report = run_once(rules, store, &NullMailer, now, &options).await;
        let took = t.elapsed();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        runs.push(Run {
            took,
            report,
            usage: store.take_usage(),
        });
    }
    let baseline = store.baseline().await;
    Measured {
        seeded,
        runs,
        baseline,
    }
}

fn print(label: &str, closed: usize, m: &Measured) {
    println!(
        "{label:<8} {:>7} closed + {OPEN} open | seeding {:.1} s",
        thousands(closed),
        m.seeded.as_secs_f64()
    );
    for (run, name) in m.runs.iter().zip(["run 1 (100 due)", "run 2 (none due)"]) {
        let r = &run.report;
        let reads = match run.usage {
            Some(u) => format!(
                " | {} read requests read {} items: {} RCU priced from item sizes ({} RCU as the endpoint reported{}); {} write requests",
                u.read_requests,
                u.items_read,
                u.computed_rcu,
                u.reported_rcu,
                if u.unreported > 0 {
                    format!(", {} requests unreported", u.unreported)
                } else {
                    String::new()
                },
                u.write_requests
            ),
            None => String::new(),
        };
        println!(
            "{label:<8}   {name:<17} {:>9} | items read: {} due cases + {} outbox entries | {} mails carrying {} entries{reads}",
            ms(run.took),
            r.cases_read,
            r.outbox_read,
            r.mails_sent,
            r.entries_sent,
        );
    }
    if let Some(b) = &m.baseline {
        println!("{label:<8}   endpoint at this size: {b}");
    }
}

fn ratio(label: &str, small: (usize, &Measured), large: (usize, &Measured)) {
    let r = |i: usize| {
        large.1.runs[i].took.as_secs_f64() / small.1.runs[i].took.as_secs_f64().max(1e-9)
    };
    println!(
        "{label:<8} run time at {} closed ÷ at {} closed: run 1 {:.2}×, run 2 {:.2}× (the table is {:.0}× larger)\n",
        thousands(large.0),
        thousands(small.0),
        r(0),
        r(1),
        large.0 as f64 / small.0.max(1) as f64
    );
}

async fn both_sizes<S: Bench>(label: &str, make: impl AsyncFn() -> S, small: usize, large: usize) {
    let a = measure(&make().await, small).await;
    print(label, small, &a);
    let b = measure(&make().await, large).await;
    print(label, large, &b);
    ratio(label, (small, &a), (large, &b));
}

#[tokio::main]
async fn main() {
    let closed = env_count("HOTLINE_BENCH_CLOSED", 100_000);
    let small = env_count("HOTLINE_BENCH_SMALL", 1_000);
    let stores =
        std::env::var("HOTLINE_BENCH_STORES").unwrap_or_else(|_| "memory,sqlite,dynamodb".into());
    let wanted = |s: &str| stores.split(',').any(|w| w.trim() == s);

    if wanted("memory") {
        both_sizes(
            "memory",
            async || casestore::MemoryStore::new(),
            small,
            closed,
        )
        .await;
    }
    if wanted("sqlite") {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir();
        let make = async || {
            let path = dir.join(format!(
                "remind-bench-{}-{}.sqlite",
                std::process::id(),
                next.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            ));
            let _ = std::fs::remove_file(&path);
            casestore::sqlite::SqliteStore::open_for_preview(&path).expect("sqlite")
        };
        both_sizes("sqlite", make, small, closed).await;
        for i in 0..next.load(std::sync::atomic::Ordering::SeqCst) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!(
                    "remind-bench-{}-{i}.sqlite{suffix}",
                    std::process::id()
                )));
            }
        }
    }
    if !wanted("dynamodb") {
        return;
    }
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        println!(
            "\n*** DynamoDB NOT MEASURED: AWS_ENDPOINT_URL is unset. Start moto (`python3 tests/aws/moto_server.py 127.0.0.1 5005 --fast-transactions &`) and export AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test ***"
        );
        return;
    }
    let client = casestore::testing::client()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let make = async || {
        let name = casestore::testing::fresh_table_on(&client, "remind-bench")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // As the functions open it: closed cases expire after the retention.
        DynamoStore::new(client.clone(), name)
            .with_retention_years(casestore::contract::rules().retention.years)
    };
    let dynamo_closed = env_count("HOTLINE_BENCH_DYNAMO_CLOSED", closed);
    both_sizes("dynamodb", make, small, dynamo_closed).await;
    println!(
        "dynamodb: RCU priced from item sizes: DynamoDB's rules (4 KB units; a query page's items summed, then rounded; one unit at least per request; index reads eventually consistent, at half). moto's own figure is a fixed 1 per query and 0.5 per GetItem."
    );
}
