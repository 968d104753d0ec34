//! The `hotline` command: a thin shell over `hotline_site`.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hotline_site::{Site, Sources, output, search};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod local_api;
mod staff;

// A build allocates small strings for every page on every core; glibc's
// allocator spent about a tenth of the build's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hotline",
    about = "Builds, checks and previews the complaint site from content/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds the site into a folder (public/ by default).
    Build {
        #[arg(long, default_value = "public")]
        output: PathBuf,
    },
    /// Checks everything a build checks, without writing anything.
    Check,
    /// Serves the site with live reload, rebuilding on every change.
    Serve {
        #[arg(long, default_value_t = 1111)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
    /// Creates a page of a kind (page, policy, channel, hotline, notice).
    New { kind: String, path: String },
    /// Sends what is due: the pass the remind function runs (staff).
    Remind(staff::RemindArgs),
    /// Lists, shows, exports, files and re-routes cases (staff).
    Cases {
        #[command(subcommand)]
        command: staff::CasesCommand,
    },
    /// Prints a month's statistics (staff).
    Stats {
        #[command(flatten)]
        store: staff::StoreArgs,
        /// The month, e.g. 2026-11.
        #[arg(long)]
        month: String,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How many files `build` names for one warning before counting the rest.
const WARNINGS_ALIKE: usize = 10;

fn today() -> chrono::NaiveDate {
    // Notices expire by the office's calendar: the rulebook's time zone.
    let rules = std::fs::read_to_string(casework::rules::RULES_PATH).ok();
    hotline_site::site::office_today(rules.as_deref(), chrono::Utc::now())
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let root = std::env::current_dir()?;
    match cli.command {
        Command::Build { output: dir } => {
            let start = Instant::now();
            let sources = Sources::read(&root).context("reading content/")?;
            let site = match Site::load(&sources, today()) {
                Ok(site) => site,
                Err(diagnostics) => return Ok(fail(&diagnostics)),
            };
            eprint!("{}", output::report_at_most(&site.warnings, WARNINGS_ALIKE));
            println!(
                "Loaded and checked {} pages in {:.2} s",
                site.content.entries.len(),
                start.elapsed().as_secs_f64()
            );
            // Each page is written as it is rendered; the folder replaces
            // `dir` only once everything is written.
            let writing = || format!("writing {}", dir.display());
            let staged = output::Staged::new(&dir).with_context(writing)?;
            let written = site
                .render_to(&staged)
                .and_then(|out| search::add_pages(&site, today(), &staged).map(|()| out));
            let out = match written {
                Ok(out) => out,
                Err(hotline_site::RenderError::Templates(diagnostics)) => {
                    return Ok(fail(&diagnostics));
                }
                Err(e) => return Err(e).with_context(writing),
            };
            staged.finish().with_context(writing)?;
            println!(
                "Built {} pages (zh {}, en {}; {} shown in Chinese for want of a translation) in {:.2} s",
                out.pages_zh + out.pages_en,
                out.pages_zh,
                out.pages_en,
                out.fallbacks,
                start.elapsed().as_secs_f64()
            );
            println!("{}", search::index(&dir));
            // The process ends here: freeing every page one by one would
            // only delay the exit.
            std::mem::forget(site);
            std::mem::forget(sources);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let sources = Sources::read(&root).context("reading content/")?;
            let site = match Site::load(&sources, today()) {
                Ok(site) => site,
                Err(diagnostics) => return Ok(fail(&diagnostics)),
            };
            // Rendered only for its errors: no page is kept.
            if let Err(hotline_site::RenderError::Templates(diagnostics)) =
                site.render_to(&output::Discard)
            {
                let mut all = site.warnings.clone();
                all.extend(diagnostics);
                return Ok(fail(&all));
            }
            eprint!("{}", output::report(&site.warnings));
            println!(
                "No errors ({} warnings) in {} pages",
                site.warnings.len(),
                site.content.entries.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { port, bind } => {
            let addr = std::net::SocketAddr::new(bind, port);
            let api = local_api::router(&root, addr)?;
            let opts = hotline_site::serve::Options { root, addr };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(hotline_site::serve::run(opts, api))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Remind(args) => staff::remind(&root, args),
        Command::Cases { command } => staff::cases(&root, command),
        Command::Stats { store, month } => staff::stats(&root, store, &month),
        Command::New { kind, path } => {
            let created = hotline_site::scaffold::create(&root, &kind, &path, today())?;
            println!("Created {}", created.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn fail(diagnostics: &[casework::Diagnostic]) -> ExitCode {
    eprint!("{}", output::report(diagnostics));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    eprintln!("{errors} error(s); nothing was written");
    ExitCode::FAILURE
}
