//! The `hotline` command: parses the arguments and hands each subcommand to
//! its module under [`cmd`]. The site is made by `hotline_site`; cases,
//! stores and mail belong to the functions' crates; nothing is done here.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod cmd;
mod stores;

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
        /// Requests one client may make per window to the API (on each of
        /// its two counters: submissions and lookups, the signed links'
        /// pages). The default never gets in the way of trying the form;
        /// production's is 20 per 600 s.
        #[arg(long, default_value_t = 300)]
        rate_limit: u32,
        /// The rate limit's window, in seconds.
        #[arg(long, default_value_t = 60)]
        rate_window: u64,
        /// A host name to answer besides addresses and localhost (e.g. the
        /// name a colleague uses for this machine); repeatable. Requests
        /// for any other name are refused (DNS rebinding).
        #[arg(long = "allow-host")]
        allow_host: Vec<String>,
    },
    /// Creates a page of a kind (page, policy, channel, hotline, notice).
    New { kind: String, path: String },
    /// Sends what is due: the pass the remind function runs (staff).
    Remind(cmd::remind::RemindArgs),
    /// Lists, shows, exports, files and re-routes cases (staff).
    Cases {
        #[command(subcommand)]
        command: cmd::cases::CasesCommand,
    },
    /// Prints a month's statistics (staff).
    Stats {
        #[command(flatten)]
        store: stores::StoreArgs,
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

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let root = std::env::current_dir()?;
    match cli.command {
        Command::Build { output } => cmd::build::run(&root, &output),
        Command::Check => cmd::check::run(&root),
        Command::Serve {
            port,
            bind,
            rate_limit,
            rate_window,
            allow_host,
        } => cmd::serve::run(
            root,
            cmd::serve::ServeOptions {
                addr: std::net::SocketAddr::new(bind, port),
                rate_limit,
                rate_window: std::time::Duration::from_secs(rate_window.max(1)),
                allowed_hosts: allow_host,
            },
        ),
        Command::New { kind, path } => cmd::new::run(&root, &kind, &path),
        Command::Remind(args) => cmd::remind::run(&root, args),
        Command::Cases { command } => cmd::cases::run(&root, command),
        Command::Stats { store, month } => cmd::stats::run(&root, store, &month),
    }
}
