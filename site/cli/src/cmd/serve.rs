//! `hotline serve`: the preview of the site with live reload ([`preview`]),
//! the intake API under `/api` over the local store ([`local_api`]), and
//! the reminder loop that sends its mail ([`reminder`]), in one process.

mod local_api;
mod preview;
mod reminder;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(root: PathBuf, addr: SocketAddr) -> anyhow::Result<ExitCode> {
    let api = local_api::router(&root, addr)?;
    let opts = preview::Options { root, addr };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(preview::run(opts, api))?;
    Ok(ExitCode::SUCCESS)
}
