//! Kill -9 in the middle: the real `hotline serve` (SQLite and the outbox
//! folder) as a child process, submissions with replays from many
//! connections, SIGKILL at spread-out moments, a restart after each, and
//! then the checks a complaint office's promise needs:
//! - every submission answered 201 or 200 is stored, once, under the number
//!   it was given, and every replay (after a restart too) gets that number;
//! - every case's mail goes out once the killed senders' leases run out
//!   (`office::delivery::SEND_LEASE`), with at most a few repeats a kill
//!   (a mail sent but not yet recorded when the process died).
//!
//! Mail is counted from the outbox's send log (`mail::SENT_LOG`):
//! the `.eml` file of a mail sent twice is replaced, its log has two lines.
//! Not for another store: killing a Lambda is the scheduled pass's test.

use crate::client::Connection;
use anyhow::{Context as _, anyhow, bail};
use casestore::sqlite::SqliteStore;
use casestore::{CaseStore, Outbox};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Plan {
    pub hotline: PathBuf,
    pub content: PathBuf,
    pub submissions: usize,
    pub kills: usize,
    pub connections: usize,
    pub replays: f64,
}

/// The server under test, restarted after each kill.
struct Server {
    hotline: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    starts: usize,
}

impl Server {
    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn start(&mut self) -> anyhow::Result<()> {
        self.starts += 1;
        let log = std::fs::File::create(self.dir.join(format!("serve-{}.log", self.starts)))?;
        let child = Command::new(&self.hotline)
            .args([
                "serve",
                "--port",
                &self.port.to_string(),
                "--rate-limit",
                "100000000",
            ])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {} serve", self.hotline.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL: no clean-up, no flush, as an OOM kill or a power cut.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join(format!("serve-{}.log", self.starts)))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_until_up(addr: SocketAddr, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn submission(i: usize, key: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "case_type": "complaint",
        "category": "water-supply",
        "name": format!("测试用户{i}"),
        "email": format!("visitor{i}@example.net"),
        "location": format!("和平路{i}号"),
        "description": format!("第{i}号测试投诉：楼道里的水管漏水三天了，请尽快处理。"),
        "language": if i.is_multiple_of(3) { "en" } else { "zh" },
        "idempotency_key": key,
    }))
    .unwrap_or_default()
}

#[derive(Default)]
struct Seen {
    /// Each key's numbers, from every answer it got.
    numbers: HashMap<String, HashSet<String>>,
    statuses: BTreeMap<u16, usize>,
    /// Requests that got no answer (the server was down or died mid-way).
    unanswered: usize,
    /// Replays answered after at least one restart.
    replays_after_restart: usize,
}

pub async fn run(plan: Plan) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "hotline-kill-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    ));
    copy_dir(&plan.content, &dir.join("content"))
        .with_context(|| format!("copying {}", plan.content.display()))?;
    // The child runs in its own folder: the binary's path must not be relative.
    let hotline = std::fs::canonicalize(&plan.hotline)
        .with_context(|| format!("no hotline binary at {}", plan.hotline.display()))?;
    let mut server = Server {
        hotline,
        dir: dir.clone(),
        port: free_port()?,
        child: None,
        starts: 0,
    };
    server.start()?;
    let addr = server.addr();
    if !wait_until_up(addr, Duration::from_secs(120)).await {
        bail!(
            "hotline serve did not start; its log:\n{}",
            server.log_tail()
        );
    }
    println!(
        "kill harness: hotline serve on {addr}, {} submissions ({}% replays) from {} connections, {} kills",
        plan.submissions,
        (plan.replays * 100.0).round(),
        plan.connections,
        plan.kills
    );

    // The work: new keys, and replays of keys already answered.
    let mut rng = StdRng::seed_from_u64(0x6b696c6c);
    let originals = ((plan.submissions as f64) * (1.0 - plan.replays)).round() as usize;
    let queue: Arc<Mutex<VecDeque<(usize, String, bool)>>> = Arc::new(Mutex::new(
        (0..originals)
            .map(|i| (i, format!("kill-{i:06}-{:08x}", rng.random::<u32>()), false))
            .collect(),
    ));
    let replays_left = Arc::new(Mutex::new(plan.submissions - originals));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let restarts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answered_keys: Arc<Mutex<Vec<(usize, String, usize)>>> = Arc::new(Mutex::new(Vec::new()));

    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..plan.connections {
        let queue = Arc::clone(&queue);
        let seen = Arc::clone(&seen);
        let answered_keys = Arc::clone(&answered_keys);
        let replays_left = Arc::clone(&replays_left);
        let restarts = Arc::clone(&restarts);
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut conn = Connection::new(addr);
            loop {
                // A replay now and then, of a key already answered.
                let mut job = None;
                {
                    let mut left = replays_left.lock().unwrap();
                    let keys = answered_keys.lock().unwrap();
                    if *left > 0 && !keys.is_empty() && rng.random_bool(0.25) {
                        *left -= 1;
                        let (i, key, at_restart) = keys[rng.random_range(0..keys.len())].clone();
                        let after_restart =
                            restarts.load(std::sync::atomic::Ordering::SeqCst) > at_restart;
                        job = Some((i, key, after_restart));
                    }
                }
                let job = match job {
                    Some(job) => job,
                    None => {
                        let next = queue.lock().unwrap().pop_front();
                        match next {
                            Some(job) => job,
                            None if *replays_left.lock().unwrap() == 0 => return,
                            None => {
                                // Only replays left: wait for an answered key.
                                tokio::time::sleep(Duration::from_millis(5)).await;
                                continue;
                            }
                        }
                    }
                };
                let (i, key, replay_after_restart) = job;
                let body = submission(i, &key);
                loop {
                    match conn.post_json("/api/cases", &body).await {
                        Ok(answer) if answer.status == 201 || answer.status == 200 => {
                            let tracking =
                                serde_json::from_slice::<serde_json::Value>(&answer.body)
                                    .ok()
                                    .and_then(|v| v["tracking"].as_str().map(String::from));
                            let mut s = seen.lock().unwrap();
                            *s.statuses.entry(answer.status).or_default() += 1;
                            if let Some(t) = tracking {
                                s.numbers.entry(key.clone()).or_default().insert(t);
                            }
                            if replay_after_restart {
                                s.replays_after_restart += 1;
                            }
                            answered_keys.lock().unwrap().push((
                                i,
                                key.clone(),
                                restarts.load(std::sync::atomic::Ordering::SeqCst),
                            ));
                            break;
                        }
                        Ok(answer) => {
                            *seen
                                .lock()
                                .unwrap()
                                .statuses
                                .entry(answer.status)
                                .or_default() += 1;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(_) => {
                            // Down or died under us: the visitor tries again, same key.
                            seen.lock().unwrap().unanswered += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
        }));
    }

    // The kills, spread over the burst: after each share of the answers.
    let mut kill_times = Vec::new();
    for k in 1..=plan.kills {
        let threshold = plan.submissions * k / (plan.kills + 1);
        loop {
            let answered: usize = seen.lock().unwrap().statuses.values().sum();
            if answered >= threshold || workers.iter().all(|w| w.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(1..20))).await;
        }
        server.kill();
        kill_times.push(Instant::now());
        restarts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        server.start()?;
        if !wait_until_up(addr, Duration::from_secs(120)).await {
            bail!(
                "hotline serve did not come back after kill {k}; its log:\n{}",
                server.log_tail()
            );
        }
        println!(
            "  kill {k} at {:.1} s, back up",
            started.elapsed().as_secs_f64()
        );
    }
    for w in workers {
        w.await.map_err(|e| anyhow!("a client task failed: {e}"))?;
    }
    let burst = started.elapsed();
    println!("  burst done in {:.1} s", burst.as_secs_f64());

    // The mail: wait until nothing is pending, the killed senders' leases
    // run out and the reminder loop (every minute) sends what they held.
    let store = SqliteStore::open(dir.join(".hotline/cases.sqlite"))?;
    let drain_started = Instant::now();
    let last_kill = kill_times.last().copied().unwrap_or(started);
    loop {
        let far = chrono::Utc::now() + chrono::TimeDelta::days(400);
        let pending = store.pending_notifications(far, 1).await?;
        if pending.is_empty() {
            break;
        }
        if drain_started.elapsed() > Duration::from_secs(600) {
            bail!(
                "mail still pending 10 minutes after the burst; serve's log:\n{}",
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drained_after_last_kill = last_kill.elapsed();
    server.kill();

    // The checks.
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let mut problems = Vec::new();
    let keys = seen.numbers.len();
    let split: Vec<_> = seen.numbers.iter().filter(|(_, n)| n.len() > 1).collect();
    if !split.is_empty() {
        problems.push(format!(
            "{} keys were given more than one number",
            split.len()
        ));
    }
    if keys != originals {
        problems.push(format!("{keys} keys answered of {originals} sent"));
    }
    let cases = store
        .cases_received_between(
            chrono::Utc::now() - chrono::TimeDelta::days(2),
            chrono::Utc::now() + chrono::TimeDelta::days(2),
        )
        .await?;
    let stored: HashSet<String> = cases.iter().map(|c| c.case.tracking.to_string()).collect();
    let given: HashSet<String> = seen.numbers.values().flatten().cloned().collect();
    let missing = given.difference(&stored).count();
    if missing > 0 {
        problems.push(format!("{missing} numbers given out are not stored"));
    }
    if cases.len() != given.len() {
        problems.push(format!(
            "{} cases stored for {} numbers given",
            cases.len(),
            given.len()
        ));
    }
    let log = std::fs::read_to_string(dir.join(".hotline/outbox").join(mail::SENT_LOG))
        .unwrap_or_default();
    let mut sends: HashMap<&str, usize> = HashMap::new();
    for line in log.lines() {
        if let Some((_, id)) = line.split_once(' ') {
            *sends.entry(id).or_default() += 1;
        }
    }
    let mails = sends.len();
    let repeats: usize = sends.values().map(|n| n - 1).sum();
    let cases_mailed: HashSet<&str> = sends.keys().filter_map(|id| id.split('/').next()).collect();
    let unmailed = stored
        .iter()
        .filter(|t| !cases_mailed.contains(t.as_str()))
        .count();
    if unmailed > 0 {
        problems.push(format!("{unmailed} cases had no mail sent"));
    }
    // A kill can cut each sender (the mail worker, the reminder loop)
    // between a send and its record: at most one repeat each.
    let bound = 2 * plan.kills;
    if repeats > bound {
        problems.push(format!(
            "{repeats} repeated mails, more than {bound} ({} kills)",
            plan.kills
        ));
    }
    let statuses = seen
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "  answers {statuses}; {} requests unanswered (server down), {} replays answered after a restart",
        seen.unanswered, seen.replays_after_restart
    );
    println!(
        "  {} kills; {} cases stored for {keys} keys, {missing} missing; {mails} mails sent, {repeats} repeated (bound {bound}); the last held mail went {:.0} s after the last kill",
        plan.kills,
        cases.len(),
        drained_after_last_kill.as_secs_f64()
    );
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        println!("kill harness: passed");
        Ok(())
    } else {
        bail!(
            "kill harness failed (files kept in {}): {}",
            dir.display(),
            problems.join("; ")
        )
    }
}
