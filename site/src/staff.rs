//! Staff commands over the case store: `hotline remind`, `hotline cases
//! list|show|export` and `hotline stats`, and the reminder loop that
//! `hotline serve` runs every minute.
//!
//! The store is the local SQLite file (`.hotline/cases.sqlite`, mail to the
//! `.hotline/outbox/` folder) unless `--store dynamodb` is given; then the
//! environment is the remind Lambda's: `HOTLINE_TABLE`, `HOTLINE_MAIL_FROM`,
//! `HOTLINE_PUBLIC_BASE_URL`, `HOTLINE_ACTION_SECRET` and the AWS settings.
//! `remind` runs the very `remind::run_once` the Lambda runs.

use anyhow::{Context as _, anyhow, bail};
use casestore::dynamodb::DynamoStore;
use casestore::sqlite::SqliteStore;
use casestore::{CaseRecord, OutgoingMessage, Store};
use casework::Rulebook;
use casework::lifecycle::Case;
use casework::stats::{self, Month};
use casework::tracking::TrackingNumber;
use chrono::{DateTime, NaiveDateTime, Utc};
use mail::{MailError, Mailer, OutboxMailer, SesMailer};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Where the local store and outbox live, as in `hotline serve`.
const DATA_DIR: &str = crate::local_api::DATA_DIR;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// `.hotline/cases.sqlite`, mail into `.hotline/outbox/`.
    Sqlite,
    /// The production table and SES, from the environment.
    Dynamodb,
}

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Which store to work on.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub store: StoreKind,
}

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

#[derive(Debug, clap::Subcommand)]
pub enum CasesCommand {
    /// Lists cases received since a month (default: the last 12 months).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only cases in this state (received, accepted, replied, closed, sent back, rejected).
        #[arg(long)]
        status: Option<String>,
        /// Only cases of this department (its id, e.g. `housing`).
        #[arg(long)]
        department: Option<String>,
        /// Only cases with a deadline that has passed unmet.
        #[arg(long)]
        overdue: bool,
        /// First month to list, e.g. `2026-09`.
        #[arg(long)]
        since: Option<String>,
    },
    /// Shows one case with its deadlines and audit trail.
    Show {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
    },
    /// Writes the cases of a month as CSV (UTF-8 with BOM) to standard output.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        month: String,
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

/// Either store, so one command works on both.
enum AnyStore {
    Sqlite(SqliteStore),
    Dynamo(DynamoStore),
}

/// Runs `$body` with `$s` bound to the concrete store.
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            AnyStore::Sqlite($s) => $body,
            AnyStore::Dynamo($s) => $body,
        }
    };
}

/// Either mailer: the outbox folder locally, SES with DynamoDB.
enum AnyMailer {
    Outbox(OutboxMailer),
    Ses(SesMailer),
}

impl Mailer for AnyMailer {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        match self {
            AnyMailer::Outbox(m) => m.send(id, message).await,
            AnyMailer::Ses(m) => m.send(id, message).await,
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn read_rules(root: &Path) -> anyhow::Result<Rulebook> {
    let rules_path = Path::new(casework::rules::RULES_PATH);
    let text = std::fs::read_to_string(root.join(rules_path))
        .with_context(|| format!("reading {}", rules_path.display()))?;
    let (rules, _) = casework::rules::parse_rules(rules_path, &text)
        .map_err(|_| anyhow!("{} has errors: run `hotline check`", rules_path.display()))?;
    Ok(rules)
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set (needed with --store dynamodb)"))
}

async fn open_store(root: &Path, kind: StoreKind, rules: &Rulebook) -> anyhow::Result<AnyStore> {
    Ok(match kind {
        StoreKind::Sqlite => {
            let path = root.join(DATA_DIR).join("cases.sqlite");
            if !path.exists() {
                bail!(
                    "no local store at {}: run `hotline serve` and file a case first, or use --store dynamodb",
                    path.display()
                );
            }
            AnyStore::Sqlite(
                SqliteStore::open(&path).map_err(|e| anyhow!("opening {}: {e}", path.display()))?,
            )
        }
        StoreKind::Dynamodb => AnyStore::Dynamo(
            DynamoStore::from_env(env("HOTLINE_TABLE")?)
                .await
                .with_retention_years(rules.retention.years),
        ),
    })
}

async fn open_mailer(root: &Path, kind: StoreKind) -> anyhow::Result<AnyMailer> {
    Ok(match kind {
        StoreKind::Sqlite => AnyMailer::Outbox(OutboxMailer::new(
            root.join(DATA_DIR).join("outbox"),
            "hotline@localhost",
        )),
        StoreKind::Dynamodb => AnyMailer::Ses(SesMailer::from_env(env("HOTLINE_MAIL_FROM")?).await),
    })
}

fn remind_options(root: &Path, kind: StoreKind) -> anyhow::Result<remind::Options> {
    let (base, secret) = match kind {
        StoreKind::Sqlite => {
            let path = root.join(DATA_DIR).join("action-secret");
            let secret = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading {} (run `hotline serve` once to make it)",
                    path.display()
                )
            })?;
            let base = std::env::var("HOTLINE_PUBLIC_BASE_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:1111/api".into());
            (base, secret.trim().to_string())
        }
        StoreKind::Dynamodb => (
            env("HOTLINE_PUBLIC_BASE_URL")?,
            env("HOTLINE_ACTION_SECRET")?,
        ),
    };
    if secret.len() < casework::action_token::MIN_SECRET_LEN {
        bail!(
            "the action secret must be at least {} characters",
            casework::action_token::MIN_SECRET_LEN
        );
    }
    Ok(remind::Options::new(base, secret.into_bytes()))
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

fn print_report(rules: &Rulebook, now: DateTime<Utc>, report: &remind::Report, dry_run: bool) {
    let when = rules.calendar.local(now).format("%Y-%m-%d %H:%M");
    if dry_run {
        println!("{when}: would send {} mail(s):", report.previews.len());
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
            "{when}: {} due case(s) read, {} updated, {} notice(s) queued; {} mail(s) sent carrying {} entries, {} failed, {} given up{}",
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
pub fn remind(root: &Path, args: RemindArgs) -> anyhow::Result<ExitCode> {
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
                with_store!(&store, s => remind::run_once(&rules, s, &mailer, now, &options).await);
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

/// Cases received since `since` (a month), earliest first.
async fn received_since(
    store: &AnyStore,
    rules: &Rulebook,
    since: Month,
) -> anyhow::Result<Vec<CaseRecord>> {
    let (from, _) = since.bounds(rules).ok_or_else(|| anyhow!("bad month"))?;
    let to = Utc::now() + chrono::TimeDelta::days(366);
    with_store!(store, s => s.cases_received_between(from, to).await)
        .map_err(|e| anyhow!("reading cases: {e}"))
}

fn month_arg(text: &str) -> anyhow::Result<Month> {
    Month::parse(text).ok_or_else(|| anyhow!("{text:?} is not a month: write e.g. 2026-11"))
}

fn is_overdue(case: &Case, now: DateTime<Utc>) -> bool {
    case.state.is_with_department()
        && case
            .deadlines
            .iter()
            .any(|d| d.met_at.is_none() && d.due_at < now)
}

/// `hotline cases …`.
pub fn cases(root: &Path, command: CasesCommand) -> anyhow::Result<ExitCode> {
    let rules = read_rules(root)?;
    let rt = runtime()?;
    match command {
        CasesCommand::List {
            store,
            status,
            department,
            overdue,
            since,
        } => rt.block_on(async {
            let store = open_store(root, store.store, &rules).await?;
            let now = Utc::now();
            let since = match since {
                Some(m) => month_arg(&m)?,
                None => {
                    let mut m = Month::of(rules.calendar.local(now).date_naive());
                    for _ in 0..11 {
                        m = m.previous();
                    }
                    m
                }
            };
            let records = received_since(&store, &rules, since).await?;
            let mut shown = 0;
            for r in &records {
                let c = &r.case;
                if status
                    .as_deref()
                    .is_some_and(|s| c.state.to_string() != s.replace('-', " "))
                    || department
                        .as_deref()
                        .is_some_and(|d| c.department.as_str() != d)
                    || (overdue && !is_overdue(c, now))
                {
                    continue;
                }
                shown += 1;
                let next = c
                    .deadlines
                    .iter()
                    .filter(|d| d.met_at.is_none())
                    .map(|d| d.due_at)
                    .min()
                    .map(|d| casework::notices::local_time(&rules, d))
                    .unwrap_or_else(|| "–".into());
                println!(
                    "{}  {}  {:<10} {:<14} {:<20} {:<18} next deadline {}{}",
                    c.tracking,
                    casework::notices::local_time(&rules, c.received_at),
                    c.state.to_string(),
                    c.case_type,
                    c.category,
                    c.department,
                    next,
                    if is_overdue(c, now) { "  OVERDUE" } else { "" }
                );
            }
            eprintln!(
                "{shown} of {} case(s) received since {since}",
                records.len()
            );
            Ok(ExitCode::SUCCESS)
        }),
        CasesCommand::Show { store, tracking } => rt.block_on(async {
            let tracking = TrackingNumber::parse(&tracking)
                .map_err(|e| anyhow!("{tracking:?}: {}", e.message(casework::Lang::En)))?;
            let store = open_store(root, store.store, &rules).await?;
            let record = with_store!(&store, s => s.case(&tracking).await)
                .map_err(|e| anyhow!("reading the case: {e}"))?
                .ok_or_else(|| anyhow!("no case {tracking}"))?;
            show(&rules, &record);
            Ok(ExitCode::SUCCESS)
        }),
        CasesCommand::Export {
            store,
            month,
            format,
        } => rt.block_on(async {
            if format != "csv" {
                bail!("--format {format}: only csv is supported");
            }
            let month = month_arg(&month)?;
            let (from, to) = month.bounds(&rules).ok_or_else(|| anyhow!("bad month"))?;
            let store = open_store(root, store.store, &rules).await?;
            let records = with_store!(&store, s => s.cases_received_between(from, to).await)
                .map_err(|e| anyhow!("reading cases: {e}"))?;
            let cases: Vec<&Case> = records.iter().map(|r| &r.case).collect();
            use std::io::Write as _;
            std::io::stdout().write_all(&stats::csv(&rules, &cases))?;
            eprintln!("{} case(s) received in {month}", cases.len());
            Ok(ExitCode::SUCCESS)
        }),
    }
}

fn show(rules: &Rulebook, record: &CaseRecord) {
    let c = &record.case;
    let t = |at| casework::notices::local_time(rules, at);
    println!("{}  (version {})", c.tracking, record.version);
    println!("  state        {}", c.state);
    println!("  type         {}", c.case_type);
    println!("  category     {}", c.category);
    println!("  severity     {}", c.severity);
    println!(
        "  department   {} (escalation level {})",
        c.department, c.escalation_level
    );
    println!("  received     {}", t(c.received_at));
    for d in &c.deadlines {
        println!(
            "  {:<12} due {}{}",
            d.kind.key(),
            t(d.due_at),
            d.met_at
                .map(|m| format!(", met {}", t(m)))
                .unwrap_or_default()
        );
    }
    if let Some(s) = c.satisfaction {
        println!("  satisfaction {s}");
    }
    // The complainant's identity stays in the store: `show` is for handling
    // the case, and its output ends up in terminals and tickets.
    println!("  audit trail:");
    for e in &c.events {
        println!(
            "    {}  {} {} ({} → {}){}",
            t(e.at),
            e.actor,
            e.action,
            e.from,
            e.to,
            e.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
    }
}

/// `hotline stats --month`.
pub fn stats(root: &Path, store: StoreArgs, month: &str) -> anyhow::Result<ExitCode> {
    let rules = read_rules(root)?;
    let month = month_arg(month)?;
    runtime()?.block_on(async {
        let (from, to) = month.bounds(&rules).ok_or_else(|| anyhow!("bad month"))?;
        let store = open_store(root, store.store, &rules).await?;
        let records = with_store!(&store, s => s.cases_received_between(from, to).await)
            .map_err(|e| anyhow!("reading cases: {e}"))?;
        let cases: Vec<&Case> = records.iter().map(|r| &r.case).collect();
        let figures = stats::figures(&rules, month, &cases, Utc::now());
        print!("{}", stats::report(&rules, &figures, Vec::new()).text);
        Ok(ExitCode::SUCCESS)
    })
}

/// The reminder loop of `hotline serve`: one `run_once` a minute over the
/// preview's SQLite file and outbox folder, on a thread of its own so it
/// never holds up the site.
pub fn spawn_reminder_loop(
    rules: Arc<Rulebook>,
    data: PathBuf,
    public_base_url: String,
    action_secret: Vec<u8>,
) {
    std::thread::spawn(move || {
        let Ok(rt) = runtime() else {
            eprintln!("reminder loop: could not start its runtime");
            return;
        };
        let store = match SqliteStore::open_for_preview(data.join("cases.sqlite")) {
            Ok(store) => store,
            Err(e) => {
                eprintln!("reminder loop: {e}");
                return;
            }
        };
        let mailer = OutboxMailer::new(data.join("outbox"), "hotline@localhost");
        let options = remind::Options::new(public_base_url, action_secret);
        println!(
            "Reminder loop: every minute, mail into {}",
            data.join("outbox").display()
        );
        rt.block_on(async {
            loop {
                let now = Utc::now();
                let report = remind::run_once(&rules, &store, &mailer, now, &options).await;
                if report.mails_sent > 0 || report.queued > 0 || !report.errors.is_empty() {
                    print_report(&rules, now, &report, false);
                }
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        });
    });
}
