//! The load and fault harness. Serves the intake API over loopback HTTP (the
//! router `hotline serve` mounts, over SQLite and an outbox folder, or over
//! DynamoDB and SES on the local AWS endpoint), fires thousands of
//! submissions at it with replays of earlier idempotency keys and
//! concurrent duplicates, takes the store away for a few seconds mid-run and
//! the mailer for longer, then checks that nothing was lost or doubled:
//! one case per key, none missing, every mail delivered exactly once, no
//! server error outside the store outage.
//!
//!   cargo run --release -p hotline-load -- --store sqlite      (10,000 submissions)
//!   cargo run --release -p hotline-load -- --store dynamodb    (needs the local endpoint)
//!   cargo run --release -p hotline-load -- --against 127.0.0.1:1111  (a running `hotline serve`)
//!   cargo run --release -p hotline-load -- --kill-serve target/release/hotline --kills 5
//!
//! Why this file is long: the harness's one scenario (set-up, the burst with replays, the outages, the checks and the report) reads top to bottom; its client and faults are modules of their own.

mod client;
mod faults;
mod kill;

use anyhow::{Context as _, anyhow, bail};
use axum::body::Body;
use casestore::faults::Faulty;
use casestore::{CaseStore, Store};
use chrono::{TimeDelta, Utc};
use clap::{Parser, ValueEnum};
use client::Connection;
use faults::CountingMailer;
use intake::{Api, ApiConfig, MAX_BODY_BYTES, RateLimit};
use mail::Mailer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Cases whose mail may wait for the mail worker (as in `hotline serve`).
const MAIL_QUEUE: usize = 4096;

#[derive(Clone, Copy, ValueEnum)]
enum StoreKind {
    Sqlite,
    Dynamodb,
}

#[derive(Parser)]
#[command(about = "Load and faults against the intake API, then checks that nothing was lost")]
struct Args {
    /// SQLite and an outbox folder (as `hotline serve`), or DynamoDB and SES
    /// on the endpoint in AWS_ENDPOINT_URL.
    #[arg(long, value_enum, default_value = "sqlite")]
    store: StoreKind,
    /// Submissions in all, replays included.
    #[arg(long, default_value_t = 10_000)]
    submissions: usize,
    /// Share of submissions that replay an earlier idempotency key.
    #[arg(long, default_value_t = 0.2)]
    replays: f64,
    /// One in this many new cases is also sent twice at the same moment.
    #[arg(long, default_value_t = 50)]
    duplicate_every: usize,
    /// Client connections working at once.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds the store is down, starting when 40% of the submissions
    /// have gone out (0: no outage).
    #[arg(long, default_value_t = 5.0)]
    store_outage: f64,
    /// Seconds the mailer refuses, from the start (0: no outage).
    #[arg(long, default_value_t = 60.0)]
    mail_outage: f64,
    /// The rulebook the API runs on.
    #[arg(long, default_value = "content/rules.toml")]
    rules: PathBuf,
    /// Send to a `hotline serve` already running at this address (e.g.
    /// 127.0.0.1:1111) instead of serving the API here: its throughput and
    /// answers are measured, one case per key is checked through its status
    /// route, and no outage is staged.
    #[arg(long)]
    against: Option<SocketAddr>,
    /// Run this `hotline` binary's `serve` as a child and SIGKILL it
    /// `--kills` times mid-burst, restarting it each time (see kill.rs);
    /// the outage options do not apply.
    #[arg(long)]
    kill_serve: Option<PathBuf>,
    /// Kills in a `--kill-serve` run.
    #[arg(long, default_value_t = 5)]
    kills: usize,
}

/// One submission to send.
struct Job {
    key: String,
    body: Vec<u8>,
    /// Also sent on a second connection at the same moment.
    twice: bool,
    replay: bool,
}

/// What came back, gathered from every worker.
#[derive(Default)]
struct Outcome {
    tracking_by_key: HashMap<String, HashSet<String>>,
    statuses: BTreeMap<u16, usize>,
    /// Server errors, as seconds since the start.
    server_errors_at: Vec<f64>,
    /// Requests that never got an answer.
    transport_errors: usize,
    retries: usize,
}

impl Outcome {
    /// `201: 8020, 200: 2140`: how many answers had each status.
    fn statuses_line(&self) -> String {
        self.statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(hotline) = args.kill_serve.clone() {
        let content = args
            .rules
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("content"));
        return kill::run(kill::Plan {
            hotline,
            content,
            submissions: args.submissions,
            kills: args.kills,
            connections: args.connections,
            replays: args.replays,
        })
        .await;
    }
    let text = std::fs::read_to_string(&args.rules)
        .with_context(|| format!("reading {}", args.rules.display()))?;
    let (mut rules, _) = casework::rules::parse_rules(&args.rules, &text)
        .map_err(|_| anyhow!("{} has errors: run `hotline check`", args.rules.display()))?;
    // The load counts mail (two per case, each once); texts would add one
    // per case by day and none at night (their sending hours), so the count
    // would depend on the hour. Texts have their own tests (office, serve).
    rules.text_messages = None;
    if let Some(addr) = args.against {
        return against(&args, addr).await;
    }
    let scratch = std::env::temp_dir().join(format!("hotline-load-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = match args.store {
        StoreKind::Sqlite => {
            let store =
                casestore::sqlite::SqliteStore::open_for_preview(scratch.join("cases.sqlite"))
                    .map_err(|e| anyhow!("opening SQLite: {e}"))?;
            let mailer = mail::OutboxMailer::new(scratch.join("outbox"), "hotline@localhost");
            println!("store: SQLite, mail: outbox folder");
            drive(&args, rules, store, mailer).await
        }
        StoreKind::Dynamodb => {
            let (store, mailer) = aws_adapters().await?;
            println!("store: DynamoDB, mail: SES, on {}", endpoint()?);
            drive(&args, rules, store, mailer).await
        }
    };
    // Keep what was written for a look when something failed.
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&scratch);
    } else {
        eprintln!("the store and outbox are kept in {}", scratch.display());
    }
    result
}

fn endpoint() -> anyhow::Result<String> {
    casestore::testing::endpoint().map_err(|e| anyhow!("{e}"))
}

async fn aws_adapters() -> anyhow::Result<(casestore::dynamodb::DynamoStore, mail::SesMailer)> {
    let (client, table) = casestore::testing::fresh_table("hotline-load")
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mailer = mail::SesMailer::from_env("Hotline <noreply@example.org>").await;
    // Creating an identity that exists already fails; either way it exists.
    let _ = mailer
        .client()
        .create_email_identity()
        .email_identity("noreply@example.org")
        .send()
        .await;
    Ok((casestore::dynamodb::DynamoStore::new(client, table), mailer))
}

async fn drive<S, M>(
    args: &Args,
    rules: casework::Rulebook,
    store: S,
    mailer: M,
) -> anyhow::Result<()>
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    let action_secret =
        casework::action_token::ActionSecret::new(rand::random::<[u8; 32]>()).expect("32 bytes");
    let config = ApiConfig {
        rules: Arc::new(rules),
        site_origin: "http://127.0.0.1".into(),
        thanks_url: "/thanks/".into(),
        status_page_url: "/status/".into(),
        public_base_url: "http://127.0.0.1/api".into(),
        rate_limit: RateLimit {
            per_window: u32::MAX,
            window: Duration::from_secs(60),
        },
        link_rate_limit: RateLimit {
            per_window: u32::MAX,
            window: Duration::from_secs(60),
        },
        ipv6_prefix: intake::limit::DEFAULT_IPV6_PREFIX,
        ip_hash_secret: "load-harness".into(),
        action_secret: action_secret.clone(),
        shells: Default::default(),
    };
    // As `hotline serve`: answers do not wait for the mail, a worker sends it.
    let (api, mail_worker) =
        Api::with_default_form(config, Faulty::new(store), CountingMailer::new(mailer))
            .with_background_delivery(MAIL_QUEUE);
    intake::run_mail_worker(mail_worker).context("starting the mail worker")?;
    let addr = serve(Arc::clone(&api)).await?;
    let jobs = Arc::new(plan(args, 12345));
    let replays = jobs.iter().filter(|j| j.replay).count();
    let twice = jobs.iter().filter(|j| j.twice).count();
    println!(
        "{} submissions ({replays} replays, {twice} also sent twice at once) over {} connections to http://{addr}/api",
        jobs.len(),
        args.connections
    );

    let started = Instant::now();
    let received_from = Utc::now() - TimeDelta::hours(1);
    api.mailer()
        .down
        .store(args.mail_outage > 0.0, Ordering::SeqCst);
    let next = Arc::new(AtomicUsize::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let store_window = Arc::new(Mutex::new(None::<(f64, f64)>));

    // The store goes down once 40% of the submissions are out.
    let controller = {
        let api = Arc::clone(&api);
        let next = Arc::clone(&next);
        let window = Arc::clone(&store_window);
        let outage = args.store_outage;
        let at = jobs.len() * 2 / 5;
        tokio::spawn(async move {
            if outage <= 0.0 {
                return;
            }
            while next.load(Ordering::SeqCst) < at {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let from = started.elapsed().as_secs_f64();
            api.store().down.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs_f64(outage)).await;
            api.store().down.store(false, Ordering::SeqCst);
            let to = started.elapsed().as_secs_f64();
            if let Ok(mut w) = window.lock() {
                *w = Some((from, to));
            }
            println!("store outage: {from:.1} s to {to:.1} s");
        })
    };

    fire(addr, &jobs, args.connections, &next, &outcome, started).await?;
    let sending = started.elapsed();
    controller.await?;
    let answered = Utc::now();
    while api.mail_in_flight() > 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!(
        "mail worker caught up:   {:.2} s after the start",
        started.elapsed().as_secs_f64()
    );

    // Mail that failed in the outage waits in the store's outbox; once the
    // mailer is back, the scheduled pass sends it.
    let mail_back = Duration::from_secs_f64(args.mail_outage.max(0.0));
    if let Some(wait) = mail_back.checked_sub(started.elapsed()) {
        println!(
            "waiting {:.1} s for the mail outage to end",
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
    }
    api.mailer().down.store(false, Ordering::SeqCst);
    // The scheduled function's own outbox stage, at a time when every
    // back-off has run out, run as the schedule would until the backlog is
    // gone (one pass reads page after page, within its time budget).
    let options = remind::Options::new("http://127.0.0.1/api", action_secret);
    let mut retried = 0;
    let mut passes = 0;
    loop {
        let mut pass = remind::Report::default();
        remind::send::send_outbox(
            &api.config().rules,
            api.store(),
            api.mailer(),
            Utc::now() + TimeDelta::days(1),
            &options,
            &mut pass,
        )
        .await;
        if !pass.errors.is_empty() {
            bail!("the outbox pass failed: {}", pass.errors.join("; "));
        }
        passes += 1;
        retried += pass.mails_sent;
        if pass.outbox_read == 0 || passes >= 1_000 {
            break;
        }
    }
    println!(
        "outbox passes:           {passes} (pages of {} entries)",
        options.batch
    );

    let outcome = std::mem::take(&mut *outcome.lock().map_err(|_| anyhow!("poisoned"))?);
    let window = *store_window.lock().map_err(|_| anyhow!("poisoned"))?;
    report_and_check(
        args,
        &jobs,
        &outcome,
        window,
        sending,
        retried,
        api.store(),
        api.mailer(),
        received_from,
        answered + TimeDelta::hours(1),
    )
    .await
}

/// Serves the API on a loopback port, as `hotline serve` mounts it.
async fn serve<S, M>(api: Arc<Api<Faulty<S>, CountingMailer<M>>>) -> anyhow::Result<SocketAddr>
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let api = Arc::clone(&api);
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES + 1)
                .await
                .unwrap_or_default();
            let mut parts = parts;
            // The API lives under /api in serve; the router sees the rest.
            let path = parts
                .uri
                .path()
                .strip_prefix("/api")
                .unwrap_or("/")
                .to_string();
            parts.uri = path.parse().unwrap_or_default();
            let request = http::Request::from_parts(parts, bytes);
            api.handle(request, None, Utc::now()).await.map(Body::from)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("error: the harness server stopped: {e}");
        }
    });
    Ok(addr)
}

/// The submissions, reproducible from a fixed seed.
/// The submissions to send; `seed` picks the keys (a running serve keeps
/// its cases, so each run against it needs keys of its own).
fn plan(args: &Args, seed: u64) -> Vec<Job> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut jobs: Vec<Job> = Vec::with_capacity(args.submissions);
    let mut originals: Vec<usize> = Vec::new();
    let categories = ["water-supply", "consumer-rights"];
    for i in 0..args.submissions {
        if !originals.is_empty() && rng.random_bool(args.replays.clamp(0.0, 1.0)) {
            let of = &jobs[originals[rng.random_range(0..originals.len())]];
            jobs.push(Job {
                key: of.key.clone(),
                body: of.body.clone(),
                twice: false,
                replay: true,
            });
            continue;
        }
        let key = format!("load-{i:06}-{:08x}", rng.random::<u32>());
        let body = serde_json::json!({
            "case_type": "complaint",
            "category": categories[i % categories.len()],
            "name": format!("测试用户{i}"),
            "phone": format!("138{:08}", i),
            "email": format!("visitor{i}@example.net"),
            // Each its own place: distinct cases, not repeats of one.
            "location": format!("幸福路{i}号"),
            "description": format!("第{i}号测试投诉：小区的自来水连续三天发黄，有明显异味。"),
            "language": if i % 3 == 0 { "en" } else { "zh" },
            "idempotency_key": key,
        });
        originals.push(jobs.len());
        jobs.push(Job {
            key,
            body: serde_json::to_vec(&body).unwrap_or_default(),
            twice: args.duplicate_every > 0 && originals.len().is_multiple_of(args.duplicate_every),
            replay: false,
        });
    }
    jobs
}

/// Submissions to a running `hotline serve`: how fast it answers, and that
/// every key got one case that its status route knows.
async fn against(args: &Args, addr: SocketAddr) -> anyhow::Result<()> {
    let jobs = Arc::new(plan(args, rand::random()));
    let next = Arc::new(AtomicUsize::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let requests: usize = jobs.iter().map(|j| if j.twice { 2 } else { 1 }).sum();
    println!(
        "{} submissions ({} requests) over {} connections to a running serve at http://{addr}/api",
        jobs.len(),
        requests,
        args.connections
    );
    let started = Instant::now();
    fire(addr, &jobs, args.connections, &next, &outcome, started).await?;
    let sending = started.elapsed();
    let outcome = std::mem::take(&mut *outcome.lock().map_err(|_| anyhow!("poisoned"))?);
    println!("answers by status:       {}", outcome.statuses_line());
    println!(
        "sending took:            {:.2} s, {:.0} submissions/s ({:.0} requests/s)",
        sending.as_secs_f64(),
        jobs.len() as f64 / sending.as_secs_f64(),
        requests as f64 / sending.as_secs_f64()
    );

    let mut problems = Vec::new();
    if outcome.transport_errors > 0 {
        problems.push(format!(
            "{} requests got no answer",
            outcome.transport_errors
        ));
    }
    if !outcome.server_errors_at.is_empty() {
        problems.push(format!("{} server errors", outcome.server_errors_at.len()));
    }
    let keys: HashSet<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    let mut numbers = Vec::new();
    for key in &keys {
        match outcome.tracking_by_key.get(*key).map(|t| t.len()) {
            Some(1) => numbers.extend(outcome.tracking_by_key[*key].iter().cloned()),
            n => problems.push(format!("key {key}: {} tracking numbers", n.unwrap_or(0))),
        }
    }
    let distinct: HashSet<&String> = numbers.iter().collect();
    if distinct.len() != numbers.len() {
        problems.push("two keys share a tracking number".into());
    }
    // Every case the answers named, looked up over HTTP as a visitor would.
    let mut connection = Connection::new(addr);
    let mut found = 0;
    for number in &numbers {
        match connection.get(&format!("/api/cases/{number}")).await {
            Ok(answer) if answer.status == 200 => found += 1,
            Ok(answer) => problems.push(format!(
                "{number}: status lookup answered {}",
                answer.status
            )),
            Err(e) => problems.push(format!("{number}: status lookup failed: {e}")),
        }
    }
    println!(
        "distinct keys:           {}; cases named: {}; found by status lookup: {found}",
        keys.len(),
        numbers.len()
    );
    if problems.is_empty() {
        println!("all checks passed: one case per key, each found, no 5xx, every request answered");
        Ok(())
    } else {
        for p in problems.iter().take(20) {
            eprintln!("problem: {p}");
        }
        bail!("{} problems", problems.len())
    }
}

/// Sends every job over `connections` kept-alive connections (a job marked
/// `twice` also on a second connection at the same moment), recording each
/// answer; `next` counts the jobs taken, for whoever watches progress.
async fn fire(
    addr: SocketAddr,
    jobs: &Arc<Vec<Job>>,
    connections: usize,
    next: &Arc<AtomicUsize>,
    outcome: &Arc<Mutex<Outcome>>,
    started: Instant,
) -> anyhow::Result<()> {
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let jobs = Arc::clone(jobs);
        let next = Arc::clone(next);
        let outcome = Arc::clone(outcome);
        workers.push(tokio::spawn(async move {
            let mut connection = Connection::new(addr);
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                if job.twice {
                    let mut second = Connection::new(addr);
                    let (a, b) = tokio::join!(
                        submit(&mut connection, job, started),
                        submit(&mut second, job, started)
                    );
                    record(&outcome, job, a);
                    record(&outcome, job, b);
                } else {
                    let answer = submit(&mut connection, job, started).await;
                    record(&outcome, job, answer);
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    Ok(())
}

/// The final answer to one request (status and tracking number, or why
/// none came), and when each server error on the way happened.
type Attempt = (Result<(u16, Option<String>), String>, Vec<f64>);

/// Sends one submission, retrying after a 503 as a browser's script would.
async fn submit(connection: &mut Connection, job: &Job, started: Instant) -> Attempt {
    let mut server_errors = Vec::new();
    for _ in 0..20 {
        match connection.post_json("/api/cases", &job.body).await {
            Err(e) => return (Err(e.to_string()), server_errors),
            Ok(answer) if answer.status == 503 => {
                server_errors.push(started.elapsed().as_secs_f64());
                let wait = answer.retry_after.unwrap_or(1).clamp(1, 5);
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            Ok(answer) => {
                if answer.status >= 500 {
                    server_errors.push(started.elapsed().as_secs_f64());
                }
                let tracking = serde_json::from_slice::<serde_json::Value>(&answer.body)
                    .ok()
                    .and_then(|v| v["tracking"].as_str().map(str::to_string));
                return (Ok((answer.status, tracking)), server_errors);
            }
        }
    }
    (Err("still 503 after 20 tries".into()), server_errors)
}

fn record(outcome: &Mutex<Outcome>, job: &Job, (answer, server_errors): Attempt) {
    let Ok(mut outcome) = outcome.lock() else {
        return;
    };
    outcome.retries += server_errors.len();
    outcome.server_errors_at.extend(server_errors);
    match answer {
        Err(_) => outcome.transport_errors += 1,
        Ok((status, tracking)) => {
            *outcome.statuses.entry(status).or_default() += 1;
            let seen = outcome.tracking_by_key.entry(job.key.clone()).or_default();
            if let Some(t) = tracking {
                seen.insert(t);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn report_and_check<S: Store, M: Mailer>(
    args: &Args,
    jobs: &[Job],
    outcome: &Outcome,
    store_window: Option<(f64, f64)>,
    sending: Duration,
    retried_mail: usize,
    store: &Faulty<S>,
    mailer: &CountingMailer<M>,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let keys: HashSet<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    let requests: usize = jobs.iter().map(|j| if j.twice { 2 } else { 1 }).sum();
    let stored = store
        .cases_received_between(from, to)
        .await
        .map_err(|e| anyhow!("listing the stored cases: {e}"))?;
    let stored_numbers: HashSet<String> =
        stored.iter().map(|r| r.case.tracking.to_string()).collect();
    let delivered = mailer.delivered();
    let mails: u32 = delivered.values().sum();
    let pending_after = store
        .pending_notifications(Utc::now() + TimeDelta::days(2), 10)
        .await
        .map_err(|e| anyhow!("reading the outbox: {e}"))?
        .len();

    println!();
    println!(
        "requests sent:           {requests} ({} submissions)",
        jobs.len()
    );
    println!("distinct keys:           {}", keys.len());
    println!("cases stored:            {}", stored.len());
    println!("answers by status:       {}", outcome.statuses_line());
    println!("503 answers retried:     {}", outcome.retries);
    println!("transport errors:        {}", outcome.transport_errors);
    println!(
        "store calls refused:     {}",
        store.refused.load(Ordering::Relaxed)
    );
    println!(
        "mail refused in outage:  {}",
        mailer.refused.load(Ordering::Relaxed)
    );
    println!("mail sent after outage:  {retried_mail}");
    println!(
        "mails delivered:         {mails} ({} distinct)",
        delivered.len()
    );
    println!(
        "sending took:            {:.2} s, {:.0} requests/s",
        sending.as_secs_f64(),
        requests as f64 / sending.as_secs_f64()
    );

    let mut failures = Vec::new();
    let missing: Vec<&&str> = keys
        .iter()
        .filter(|k| {
            outcome
                .tracking_by_key
                .get(**k)
                .is_none_or(|t| t.is_empty())
        })
        .collect();
    if !missing.is_empty() {
        failures.push(format!("{} keys got no tracking number", missing.len()));
    }
    let split: Vec<_> = outcome
        .tracking_by_key
        .iter()
        .filter(|(_, t)| t.len() > 1)
        .collect();
    if !split.is_empty() {
        failures.push(format!(
            "{} keys got more than one tracking number: {}",
            split.len(),
            split
                .iter()
                .map(|(k, t)| format!("{k} -> {t:?}"))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if stored.len() != keys.len() {
        failures.push(format!(
            "{} cases stored for {} keys",
            stored.len(),
            keys.len()
        ));
    }
    let answered: HashSet<&String> = outcome.tracking_by_key.values().flatten().collect();
    let mut unlisted = Vec::new();
    for number in answered.iter().filter(|t| !stored_numbers.contains(**t)) {
        // Missing from the listing: is the case there when asked for itself?
        let found = match casework::tracking::TrackingNumber::parse(number) {
            Ok(t) => store.case(&t).await.ok().flatten().is_some(),
            Err(_) => false,
        };
        unlisted.push(format!(
            "{number} ({})",
            if found {
                "readable by number"
            } else {
                "missing"
            }
        ));
    }
    if !unlisted.is_empty() {
        failures.push(format!(
            "{} tracking numbers answered but not in the list of received cases: {}",
            unlisted.len(),
            unlisted.join(", ")
        ));
    }
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n != 1).collect();
    if !twice.is_empty() {
        failures.push(format!("{} mails delivered more than once", twice.len()));
    }
    // Each case here mails its department and acknowledges the complainant.
    if delivered.len() != 2 * stored.len() {
        failures.push(format!(
            "{} distinct mails delivered for {} cases (expected 2 each)",
            delivered.len(),
            stored.len()
        ));
    }
    if pending_after > 0 {
        failures.push(format!("{pending_after} mails still pending"));
    }
    if outcome.transport_errors > 0 {
        failures.push(format!(
            "{} requests got no answer",
            outcome.transport_errors
        ));
    }
    // An answer may land up to a second after the store is back.
    let outside: Vec<f64> = outcome
        .server_errors_at
        .iter()
        .copied()
        .filter(|t| store_window.is_none_or(|(a, b)| *t < a || *t > b + 1.0))
        .collect();
    if !outside.is_empty() {
        failures.push(format!(
            "{} server errors outside the store outage (first at {:.2} s)",
            outside.len(),
            outside[0]
        ));
    }
    let bad: usize = outcome
        .statuses
        .iter()
        .filter(|(s, _)| !matches!(s, 200 | 201))
        .map(|(_, n)| n)
        .sum();
    if bad > 0 {
        failures.push(format!("{bad} final answers other than 200/201"));
    }
    if args.store_outage > 0.0 && outcome.retries == 0 {
        failures.push("the store outage caused no 503: was it staged?".into());
    }
    println!();
    if failures.is_empty() {
        println!(
            "all checks passed: one case per key, none missing, every mail once, no 5xx outside the outage"
        );
        Ok(())
    } else {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        bail!("{} checks failed", failures.len())
    }
}
