//! `hotline check`: everything a build checks, rendered for the errors
//! only; nothing is written.

use anyhow::Context as _;
use hotline_site::{BuildError, Site, Sources, Target, output};
use std::path::Path;
use std::process::ExitCode;

pub fn run(root: &Path) -> anyhow::Result<ExitCode> {
    let sources = Sources::read(root).context("reading content/")?;
    let built = match Site::build(&sources, chrono::Utc::now(), Target::Discard, |_| {}) {
        Ok(built) => built,
        Err(BuildError::Load(diagnostics)) => return Ok(super::fail(&diagnostics)),
        Err(BuildError::Templates {
            mut warnings,
            errors,
        }) => {
            warnings.extend(errors);
            return Ok(super::fail(&warnings));
        }
        // Discarding cannot fail to write.
        Err(e) => return Err(e.into()),
    };
    let site = &built.site;
    eprint!("{}", output::report(&site.warnings));
    println!(
        "No errors ({} warnings) in {} pages",
        site.warnings.len(),
        site.content.entries.len()
    );
    Ok(ExitCode::SUCCESS)
}
