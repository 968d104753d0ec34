//! `hotline cases list|show|export|file|reroute|hand-back|merge|unmerge|…`: the staff's view of the
//! case store, and the two ways the office opens or moves a case itself.
//!
//! `cases file` registers a case that came in by phone, e-mail, in person,
//! by letter or through WeChat: the same validation, routing, deadlines and
//! first mails as a submission to the public API (`intake`), with the
//! channel recorded on the case; the mails wait in the store's outbox for
//! the next reminder pass. `cases reroute` hands a case its department
//! sent back to another department. `cases merge SL-A --into SL-B` handles
//! a repeat together with the open case it repeats (并单); `cases unmerge
//! SL-A` undoes it.
//!
//! The store is the local SQLite file (`.hotline/cases.sqlite`, mail to the
//! `.hotline/outbox/` folder) unless `--store dynamodb` is given; then the
//! environment is the intake function's: `HOTLINE_TABLE`,
//! `HOTLINE_PUBLIC_BASE_URL`, `HOTLINE_ACTION_SECRET`, the status page's
//! address and the AWS settings (see [`crate::stores`]).

use crate::stores::{
    self, AnyStore, DataDir, StoreArgs, StoreKind, open_store, read_rules, runtime,
};
use anyhow::{anyhow, bail};
use casestore::CaseRecord;
use casestore::prelude::*;
use casestore::sqlite::SqliteStore;
use casework::Rulebook;
use casework::channel::Channel;
use casework::lifecycle::{Actor, Case, Command as CaseCommand};
use casework::rules::DepartmentId;
use casework::stats::{self, Month};
use casework::submission::RawSubmission;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use office::{ActError, FileError, Filed};
use std::path::Path;
use std::process::ExitCode;

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
    /// Registers a case that came in by phone, e-mail, in person, by letter
    /// or WeChat: checked, routed and mailed as the web form's cases are.
    File(Box<FileArgs>),
    /// Hands a case its department sent back ("not ours") to another
    /// department, which gets the case's mail with its own signed links.
    Reroute {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// The department's id in the rulebook, e.g. `housing`.
        #[arg(long)]
        to: String,
    },
    /// Gives a case its department sent back to that same department, with
    /// the office's note saying why it is theirs; it gets the case's mail
    /// again with the note and its signed links.
    HandBack {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// Why the case is the department's, in words it will read.
        #[arg(long)]
        note: String,
    },
    /// Handles a case together with the open case it repeats (并单): its
    /// complainant hears that case's answers; it has no deadlines of its
    /// own until unmerged.
    Merge {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// The open case to handle it with.
        #[arg(long)]
        into: String,
    },
    /// Handles a merged case on its own again, with the deadlines it had.
    Unmerge {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
    },
    /// Prints a department's signed queue page link (its open cases,
    /// soonest deadline first; the office's own department sees every
    /// case), valid a week: what its digests carry, for when one is
    /// wanted now.
    Queue {
        #[command(flatten)]
        store: StoreArgs,
        /// The department's id in the rulebook, e.g. `housing`.
        #[arg(long)]
        department: String,
    },
    /// Closes a case found invalid (not a matter the office can take up);
    /// the complainant is mailed the reason in their language, which is
    /// also the case's public status note.
    Reject {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// Why, in words the complainant will read.
        #[arg(long)]
        reason: String,
    },
    /// Decides a department's request to extend a case (the rulebook's
    /// `[extensions] approver` decides): the department is told, and on
    /// approval the deadline moves and the complainant is told why.
    Extension {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// Grant the request.
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        approve: bool,
        /// Refuse it (with `--note`: why).
        #[arg(long)]
        refuse: bool,
        /// The decision's note to the department.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Raises a case's severity (e.g. to `major`); its deadlines tighten
    /// to the severity's limits where those come earlier.
    Raise {
        #[command(flatten)]
        store: StoreArgs,
        tracking: String,
        /// The severity's id in the rulebook, e.g. `major`.
        #[arg(long)]
        severity: String,
    },
}

/// `hotline cases file`: what the complainant told the office.
#[derive(Debug, clap::Args)]
pub struct FileArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// How it came in.
    #[arg(long, value_parser = channel_arg())]
    pub channel: Channel,
    /// The case type's id in the rulebook, e.g. `complaint`.
    #[arg(long = "type")]
    pub case_type: String,
    /// The category's id in the rulebook, e.g. `water-supply`.
    #[arg(long)]
    pub category: String,
    /// What happened, in the complainant's words.
    #[arg(long)]
    pub description: String,
    /// The complainant's name (the rulebook's form settings say whether
    /// it is required).
    #[arg(long)]
    pub name: Option<String>,
    /// Where the office can call back (a phone or an e-mail is needed for
    /// most types).
    #[arg(long)]
    pub phone: Option<String>,
    /// Where the acknowledgment and the survey go.
    #[arg(long)]
    pub email: Option<String>,
    /// Who or what the case is about.
    #[arg(long)]
    pub subject: Option<String>,
    /// Where it happened.
    #[arg(long)]
    pub location: Option<String>,
    /// When it happened, `YYYY-MM-DD`.
    #[arg(long)]
    pub occurred_on: Option<String>,
    /// By when the complainant needs it, `YYYY-MM-DD`, where the rulebook
    /// lets them say (a severity with `own_deadline`).
    #[arg(long)]
    pub needed_by: Option<String>,
    /// What the complainant wants.
    #[arg(long)]
    pub desired_outcome: Option<String>,
    /// The complainant asked to stay anonymous (where the type allows it).
    #[arg(long)]
    pub anonymous: bool,
    /// The complainant's language for the acknowledgment: zh or en.
    #[arg(long, default_value = "zh")]
    pub language: String,
}

/// `--channel`, with the channels' names listed in `--help`.
fn channel_arg() -> impl clap::builder::TypedValueParser<Value = Channel> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Channel::ALL.map(Channel::key))
        .map(|name| Channel::from_name(&name).unwrap_or_default())
}
async fn received_since(
    store: &AnyStore,
    rules: &Rulebook,
    since: Month,
) -> anyhow::Result<Vec<CaseRecord>> {
    let (from, _) = since.bounds(rules).ok_or_else(|| anyhow!("bad month"))?;
    let to = Utc::now() + chrono::TimeDelta::days(366);
    stores::with_store!(store, s => s.cases_received_between(from, to).await)
        .map_err(|e| anyhow!("reading cases: {e}"))
}

pub(super) fn month_arg(text: &str) -> anyhow::Result<Month> {
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
pub fn run(root: &Path, command: CasesCommand) -> anyhow::Result<ExitCode> {
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
            let record = stores::with_store!(&store, s => s.case(&tracking).await)
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
            let records =
                stores::with_store!(&store, s => s.cases_received_between(from, to).await)
                    .map_err(|e| anyhow!("reading cases: {e}"))?;
            let cases: Vec<&Case> = records.iter().map(|r| &r.case).collect();
            use std::io::Write as _;
            std::io::stdout().write_all(&stats::csv(&rules, &cases))?;
            eprintln!("{} case(s) received in {month}", cases.len());
            Ok(ExitCode::SUCCESS)
        }),
        CasesCommand::File(args) => file(root, &rules, *args),
        CasesCommand::Reroute {
            store,
            tracking,
            to,
        } => rt.block_on(reroute(root, &rules, store.store, &tracking, &to)),
        CasesCommand::HandBack {
            store,
            tracking,
            note,
        } => rt.block_on(act_as_office(
            root,
            &rules,
            store.store,
            &tracking,
            CaseCommand::HandBack { note },
        )),
        CasesCommand::Merge {
            store,
            tracking,
            into,
        } => rt.block_on(merging(root, &rules, store.store, &tracking, Some(&into))),
        CasesCommand::Unmerge { store, tracking } => {
            rt.block_on(merging(root, &rules, store.store, &tracking, None))
        }
        CasesCommand::Queue { store, department } => {
            if rules.department(&department).is_none() {
                let known: Vec<&str> = rules.departments.iter().map(|d| d.id.as_str()).collect();
                bail!(
                    "--department {department}: no such department; the rulebook has {}",
                    known.join(", ")
                );
            }
            let links = stores::StaffLinks::for_store(root, store.store)?;
            println!(
                "{}",
                casework::queue_token::queue_link(
                    &links.action_secret,
                    &links.public_base_url,
                    &DepartmentId::new(department),
                    Utc::now(),
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        CasesCommand::Reject {
            store,
            tracking,
            reason,
        } => rt.block_on(act_as_office(
            root,
            &rules,
            store.store,
            &tracking,
            CaseCommand::Reject { reason },
        )),
        CasesCommand::Extension {
            store,
            tracking,
            approve,
            refuse: _,
            note,
        } => rt.block_on(act_as_office(
            root,
            &rules,
            store.store,
            &tracking,
            CaseCommand::DecideExtension { approve, note },
        )),
        CasesCommand::Raise {
            store,
            tracking,
            severity,
        } => {
            if rules.severity(&severity).is_none() {
                let known: Vec<&str> = rules.severities.iter().map(|s| s.id.as_str()).collect();
                bail!(
                    "--severity {severity}: no such severity; the rulebook has {}",
                    known.join(", ")
                );
            }
            rt.block_on(act_as_office(
                root,
                &rules,
                store.store,
                &tracking,
                CaseCommand::RaiseSeverity {
                    severity: casework::rules::SeverityId::new(severity),
                },
            ))
        }
    }
}

/// One of the office's own decisions on a case, by the lifecycle's rules,
/// with the mails it causes sent at once.
async fn act_as_office(
    root: &Path,
    rules: &Rulebook,
    kind: StoreKind,
    tracking: &str,
    command: CaseCommand,
) -> anyhow::Result<ExitCode> {
    let tracking = TrackingNumber::parse(tracking)
        .map_err(|e| anyhow!("{tracking:?}: {}", e.message(casework::Lang::En)))?;
    let links = stores::StaffLinks::for_store(root, kind)?;
    let store = open_store(root, kind, rules).await?;
    let record = stores::with_store!(&store, s => s.case(&tracking).await)
        .map_err(|e| anyhow!("reading the case: {e}"))?
        .ok_or_else(|| anyhow!("no case {tracking}"))?;
    let acted = stores::with_store!(&store, s => office::act(rules, s, &links.links(), &record, record.version, command, Actor::Office, Utc::now()).await);
    let acted = match acted {
        Ok(acted) => acted,
        Err(ActError::Stale { .. }) => {
            bail!("{tracking} changed while it was being changed; run the command again")
        }
        Err(ActError::Refused(e)) => bail!("{tracking}: {e}"),
        Err(ActError::Store(e)) => bail!("storing the case: {e}"),
    };
    println!(
        "{tracking} is now {}, severity {}",
        acted.case.state, acted.case.severity
    );
    send_now(root, kind, rules, &store, acted.notifications).await?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline cases reroute`: the office's answer to a case sent back.
async fn reroute(
    root: &Path,
    rules: &Rulebook,
    kind: StoreKind,
    tracking: &str,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let tracking = TrackingNumber::parse(tracking)
        .map_err(|e| anyhow!("{tracking:?}: {}", e.message(casework::Lang::En)))?;
    if rules.department(to).is_none() {
        let known: Vec<&str> = rules.departments.iter().map(|d| d.id.as_str()).collect();
        bail!(
            "--to {to}: no such department; the rulebook has {}",
            known.join(", ")
        );
    }
    let links = stores::StaffLinks::for_store(root, kind)?;
    let store = open_store(root, kind, rules).await?;
    let record = stores::with_store!(&store, s => s.case(&tracking).await)
        .map_err(|e| anyhow!("reading the case: {e}"))?
        .ok_or_else(|| anyhow!("no case {tracking}"))?;
    let now = Utc::now();
    let from = record.case.department.clone();
    let rerouted = stores::with_store!(&store, s => office::reroute(rules, s, &links.links(), &record, DepartmentId::new(to), now).await);
    let mails = match rerouted {
        Ok(acted) => acted.notifications,
        Err(ActError::Stale { .. }) => {
            bail!("{tracking} changed while it was being re-routed; run the command again")
        }
        Err(ActError::Refused(e)) => bail!("{tracking}: {e}"),
        Err(ActError::Store(e)) => bail!("storing the case: {e}"),
    };
    println!("{tracking} re-routed from {from} to {to}");
    send_now(root, kind, rules, &store, mails).await?;
    Ok(ExitCode::SUCCESS)
}

/// `hotline cases merge` (with `into`) and `hotline cases unmerge`.
async fn merging(
    root: &Path,
    rules: &Rulebook,
    kind: StoreKind,
    tracking: &str,
    into: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let parse = |t: &str| {
        TrackingNumber::parse(t).map_err(|e| anyhow!("{t:?}: {}", e.message(casework::Lang::En)))
    };
    let tracking = parse(tracking)?;
    let into = into.map(parse).transpose()?;
    let store = open_store(root, kind, rules).await?;
    let now = Utc::now();
    let done = match &into {
        Some(into) => {
            stores::with_store!(&store, s => office::merge(rules, s, &tracking, into, casework::lifecycle::Actor::Office, now).await)
        }
        None => {
            stores::with_store!(&store, s => office::unmerge(rules, s, &tracking, casework::lifecycle::Actor::Office, now).await)
        }
    };
    let pair = done.map_err(|e| anyhow!("{tracking}: {e}"))?;
    match into {
        Some(into) => println!("{tracking} is now handled together with {into}"),
        None => println!(
            "{tracking} is handled on its own again (was with {})",
            pair.survivor.tracking
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `hotline cases file`.
fn file(root: &Path, rules: &Rulebook, args: FileArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let today = rules.calendar.local(now).date_naive();
    let raw = RawSubmission {
        case_type: Some(args.case_type),
        category: Some(args.category),
        name: args.name,
        phone: args.phone,
        email: args.email,
        anonymous: Some(args.anonymous),
        subject: args.subject,
        location: args.location,
        occurred_on: args.occurred_on,
        needed_by: args.needed_by,
        description: Some(args.description),
        desired_outcome: args.desired_outcome,
        language: Some(args.language),
        idempotency_key: None,
        website: None,
    };
    let submission = match casework::submission::validate(&raw, rules, today) {
        Ok(s) => s,
        Err(e) => {
            for problem in &e.errors {
                eprintln!(
                    "--{}: {} / {}",
                    problem.field.name().replace('_', "-"),
                    problem.message.get(casework::Lang::Zh),
                    problem.message.get(casework::Lang::En)
                );
            }
            eprintln!("nothing was filed");
            return Ok(ExitCode::FAILURE);
        }
    };
    let links = stores::StaffLinks::for_store(root, args.store.store)?;
    runtime()?.block_on(async {
        let store = match args.store.store {
            StoreKind::Sqlite => {
                // Filing may be the first thing done in a project: the
                // store is made if missing, as `hotline serve` makes it.
                let path = DataDir::of(root).cases();
                AnyStore::Sqlite(
                    SqliteStore::open(&path)
                        .map_err(|e| anyhow!("opening {}: {e}", path.display()))?,
                )
            }
            StoreKind::Dynamodb => open_store(root, StoreKind::Dynamodb, rules).await?,
        };
        let filed = stores::with_store!(&store, s => office::file_submission(rules, s, &links.links(), args.channel, &submission, now).await);
        match filed {
            Ok(Filed::New(new)) => {
                print_filed(rules, &new.case);
                // Read out to the caller once, for their case page; only
                // its hash is kept.
                println!(
                    "  receipt code {}  (read it to the caller; it is not shown again)",
                    office::complainant::receipt_code(&links.links(), &new.case.tracking)
                );
                send_now(root, args.store.store, rules, &store, new.notifications).await?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(Filed::Replayed(t)) => bail!("the store answered with an earlier case, {t}"),
            Err(FileError::Store(e)) => bail!("storing the case: {e}"),
            Err(e) => bail!("{e}"),
        }
    })
}

/// Sends a staff command's mails at once, as intake does for the web
/// form, so a case registered by phone reaches its department as soon as
/// one filed online; what cannot go now stays in the outbox for the next
/// reminder pass.
async fn send_now(
    root: &Path,
    kind: StoreKind,
    rules: &Rulebook,
    store: &AnyStore,
    notifications: Vec<casestore::Notification>,
) -> anyhow::Result<()> {
    let queued = notifications.len();
    // The acknowledgment's receipt code is written in as it leaves.
    let secret = stores::StaffLinks::for_store(root, kind)?
        .links()
        .action_secret
        .clone();
    let mailer = office::WithReceiptCodes::new(stores::open_mailer(root, kind).await?, secret);
    let tally = stores::with_store!(store, s => office::deliver(rules, s, &mailer, notifications, Utc::now()).await);
    let left = queued.saturating_sub(tally.entries_sent);
    eprintln!("{} mail(s) sent", tally.entries_sent);
    if left > 0 {
        eprintln!(
            "{left} mail(s) could not go now and wait in the outbox for the next reminder pass (`hotline remind --once`, or within a minute under `hotline serve`)"
        );
    }
    Ok(())
}

fn print_filed(rules: &Rulebook, case: &Case) {
    let t = |at| casework::notices::local_time(rules, at);
    let department = rules
        .department(case.department.as_str())
        .map(|d| d.name.get(casework::Lang::Zh).to_string())
        .unwrap_or_else(|| case.department.to_string());
    println!("{}", case.tracking);
    println!("  channel      {}", case.channel);
    println!("  type         {}", case.case_type);
    println!("  category     {}", case.category);
    println!("  severity     {}", case.severity);
    println!("  department   {} ({department})", case.department);
    println!("  received     {}", t(case.received_at));
    for d in &case.deadlines {
        println!("  {:<12} due {}", d.kind.key(), t(d.due_at));
    }
}

fn show(rules: &Rulebook, record: &CaseRecord) {
    let c = &record.case;
    let t = |at| casework::notices::local_time(rules, at);
    println!("{}  (version {})", c.tracking, record.version);
    println!("  state        {}", c.state);
    println!("  channel      {}", c.channel);
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
