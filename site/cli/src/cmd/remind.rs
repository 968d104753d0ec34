//! `hotline remind`: the pass the remind Lambda runs (`remind::run_once`:
//! reminders, escalations, the survey, the monthly statistics, the outbox),
//! once or every minute, over the local store or with `--store dynamodb`
//! the production one.

use crate::stores::{self, StoreArgs, StoreKind, open_mailer, open_store, read_rules, runtime};
use anyhow::{Context as _, anyhow};
use casework::Rulebook;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct RemindArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// One pass, then exit (otherwise one pass a minute until Ctrl-C).
    #[arg(long)]
    pub once: bool,
    /// Print what would be sent; write and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Pretend it is this time (office time `2026-10-08 09:00`, or RFC 3339).
    #[arg(long)]
    pub now: Option<String>,
}

fn remind_options(root: &Path, kind: StoreKind) -> anyhow::Result<remind::Options> {
    let (base, secret) = match kind {
        StoreKind::Sqlite => {
            let path = stores::DataDir::of(root).action_secret();
            let secret = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading {} (run `hotline serve` once to make it)",
                    path.display()
                )
            })?;
            let base = stores::local_public_base_url(&stores::DataDir::of(root));
            (base, secret.trim().to_string())
        }
        StoreKind::Dynamodb => (
            stores::env("HOTLINE_PUBLIC_BASE_URL")?,
            stores::env("HOTLINE_ACTION_SECRET")?,
        ),
    };
    let secret = casework::action_token::ActionSecret::new(secret).map_err(|e| anyhow!("{e}"))?;
    Ok(remind::Options::new(base, secret))
}

/// `--now`: office wall-clock time, or RFC 3339.
fn parse_now(rules: &Rulebook, text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .with_context(|| format!("--now {text:?}: write `2026-10-08 09:00` or RFC 3339"))?;
    local
        .and_local_timezone(rules.calendar.time_zone)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow!("--now {text:?} does not exist in the office's time zone"))
}

pub(crate) fn print_report(
    rules: &Rulebook,
    now: DateTime<Utc>,
    report: &remind::Report,
    dry_run: bool,
) {
    let when = rules.calendar.local(now).format("%Y-%m-%d %H:%M");
    // Counted with one read of at most a page: a lower bound.
    let left = match report.outbox_left {
        0 => String::new(),
        n => format!("; at least {n} due mail(s) left in the outbox for the next pass"),
    };
    if dry_run {
        println!(
            "{when}: would send {} mail(s){left}:",
            report.previews.len()
        );
        for p in &report.previews {
            println!(
                "  to {} — {}{}",
                p.to.join(", "),
                p.subject,
                if p.entries > 1 {
                    format!(" ({} entries)", p.entries)
                } else {
                    String::new()
                }
            );
        }
    } else {
        println!(
            "{when}: {} due case(s) read, {} updated, {} notice(s) queued; {} mail(s) sent carrying {} entries, {} failed, {} given up{}{left}",
            report.cases_read,
            report.cases_updated,
            report.queued,
            report.mails_sent,
            report.entries_sent,
            report.send_failures,
            report.given_up,
            report
                .statistics
                .as_ref()
                .map(|m| format!("; statistics of {m} sent"))
                .unwrap_or_default()
        );
    }
    for e in &report.errors {
        eprintln!("  problem: {e}");
    }
}

/// `hotline remind`.
pub fn run(root: &Path, args: RemindArgs) -> anyhow::Result<ExitCode> {
    let rules = read_rules(root)?;
    let mut options = remind_options(root, args.store.store)?;
    options.dry_run = args.dry_run;
    let fixed_now = args
        .now
        .as_deref()
        .map(|t| parse_now(&rules, t))
        .transpose()?;
    runtime()?.block_on(async {
        let store = open_store(root, args.store.store, &rules).await?;
        let mailer = open_mailer(root, args.store.store).await?;
        loop {
            let now = fixed_now.unwrap_or_else(Utc::now);
            let report =
                stores::with_store!(&store, s => remind::run_once(&rules, s, &mailer, now, &options).await);
            print_report(&rules, now, &report, args.dry_run);
            if args.once || args.dry_run || fixed_now.is_some() {
                return Ok(if report.errors.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    })
}
