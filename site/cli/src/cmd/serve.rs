//! `hotline serve`: the preview of the site with live reload ([`preview`]),
//! the intake API under `/api` over the local store ([`local_api`]), and
//! the reminder loop that sends its mail ([`reminder`]), in one process.

mod local_api;
mod preview;
mod reminder;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// How `serve` is run: where, and how it holds back a busy client.
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// Requests per client per window, each of the API's two counters
    /// (submissions and lookups; the signed links' pages).
    pub rate_limit: u32,
    pub rate_window: std::time::Duration,
    /// Host names answered besides addresses and `localhost`.
    pub allowed_hosts: Vec<String>,
}

pub fn run(root: PathBuf, options: ServeOptions) -> anyhow::Result<ExitCode> {
    let addr = options.addr;
    let limit = intake::RateLimit {
        per_window: options.rate_limit,
        window: options.rate_window,
    };
    let api = local_api::router(&root, addr, limit)?;
    let opts = preview::Options {
        root,
        addr,
        allowed_hosts: options.allowed_hosts,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(preview::run(opts, api))?;
    Ok(ExitCode::SUCCESS)
}
