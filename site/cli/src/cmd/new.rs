//! `hotline new <kind> <path>`: a new page, dated by the office's calendar.

use std::path::Path;
use std::process::ExitCode;

pub fn run(root: &Path, kind: &str, path: &str) -> anyhow::Result<ExitCode> {
    // The rulebook's time zone says what day it is at the office.
    let rules = std::fs::read_to_string(root.join(casework::rules::RULES_PATH)).ok();
    let today = hotline_site::sources::office_today(rules.as_deref(), chrono::Utc::now());
    let created = hotline_site::scaffold::create(root, kind, path, today)?;
    println!("Created {}", created.display());
    Ok(ExitCode::SUCCESS)
}
