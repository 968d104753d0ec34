//! `hotline build`: the site into a folder, then its Pagefind index.

use anyhow::Context as _;
use hotline_site::{BuildError, Site, Sources, Target, output, search};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// How many files `build` names for one warning before counting the rest.
const WARNINGS_ALIKE: usize = 10;

pub fn run(root: &Path, dir: &Path) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let sources = Sources::read(root).context("reading content/")?;
    let loaded = |site: &Site| {
        eprint!("{}", output::report_at_most(&site.warnings, WARNINGS_ALIKE));
        println!(
            "Loaded and checked {} pages in {:.2} s",
            site.content.entries.len(),
            start.elapsed().as_secs_f64()
        );
    };
    let built = match Site::build(&sources, chrono::Utc::now(), Target::Dir(dir), loaded) {
        Ok(built) => built,
        Err(BuildError::Load(diagnostics)) => return Ok(super::fail(&diagnostics)),
        // The warnings were shown once loading was done.
        Err(BuildError::Templates { errors, .. }) => return Ok(super::fail(&errors)),
        Err(e) => return Err(e).with_context(|| format!("writing {}", dir.display())),
    };
    let out = built.rendered;
    println!(
        "Built {} pages (zh {}, en {}; {} shown in Chinese for want of a translation) in {:.2} s",
        out.pages_zh + out.pages_en,
        out.pages_zh,
        out.pages_en,
        out.fallbacks,
        start.elapsed().as_secs_f64()
    );
    println!("{}", search::index(dir));
    // The process ends here: freeing every page one by one would only
    // delay the exit.
    std::mem::forget(built);
    std::mem::forget(sources);
    Ok(ExitCode::SUCCESS)
}
