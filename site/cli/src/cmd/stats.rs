//! `hotline stats --month`: the month's figures, as the monthly mail
//! reports them.

use crate::stores::{self, StoreArgs, open_store, read_rules, runtime};
use anyhow::anyhow;
use casestore::prelude::*;
use casework::lifecycle::Case;
use casework::stats;
use chrono::Utc;
use std::path::Path;
use std::process::ExitCode;

/// `hotline stats --month`.
pub fn run(root: &Path, store: StoreArgs, month: &str) -> anyhow::Result<ExitCode> {
    let rules = read_rules(root)?;
    let month = super::cases::month_arg(month)?;
    runtime()?.block_on(async {
        let (from, to) = month.bounds(&rules).ok_or_else(|| anyhow!("bad month"))?;
        let store = open_store(root, store.store, &rules).await?;
        let records = stores::with_store!(&store, s => s.cases_received_between(from, to).await)
            .map_err(|e| anyhow!("reading cases: {e}"))?;
        let cases: Vec<&Case> = records.iter().map(|r| &r.case).collect();
        let figures = stats::figures(&rules, month, &cases, Utc::now());
        print!("{}", stats::report(&rules, &figures, Vec::new()).text);
        Ok(ExitCode::SUCCESS)
    })
}
