//! The one build pipeline: load and check, render every page, add the
//! search pages, into a [`Target`]. `hotline build`, `hotline check` and
//! the preview of `hotline serve` all go through [`Site::build`]; they
//! differ only in where the files go and in what they print.
//!
//! The office's date is taken here, once per run, from the rulebook text
//! the sources already hold, so every part of one build sees the same day.
//!
//! Not here: reading `content/` (the caller hands in [`Sources`], so it
//! words its own read error), printing, and the Pagefind index (an outside
//! program run over a written folder, which only `hotline build` and the
//! preview's background indexer need).

use crate::output::{Discard, Memory, Sink, Staged};
use crate::search;
use crate::site::{RenderError, Rendered, Site};
use crate::sources::Sources;
use casework::Diagnostic;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;

/// Where a build's files go.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A folder on disk, replaced only once every file is written (see
    /// [`Staged`]): `hotline build`.
    Dir(&'a Path),
    /// Nowhere: `hotline check` renders only for the errors.
    Discard,
    /// Memory, returned in [`Built::files`]: the preview and tests.
    Memory,
}

/// A finished build.
pub struct Built {
    pub site: Site,
    pub rendered: Rendered,
    /// Every file with [`Target::Memory`]; empty otherwise.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Why a build stopped; nothing was written to a [`Target::Dir`].
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Loading found errors: every diagnostic, warnings included.
    #[error("{} problem(s) in the sources", .0.len())]
    Load(Vec<Diagnostic>),
    /// Templates failed on some pages. `errors` has only the template
    /// errors; `warnings` are the load's, which the caller may already
    /// have shown.
    #[error("{} template error(s)", .errors.len())]
    Templates {
        warnings: Vec<Diagnostic>,
        errors: Vec<Diagnostic>,
    },
    /// The target folder could not be written.
    #[error(transparent)]
    Write(#[from] std::io::Error),
    /// A rendered file could not be written.
    #[error(transparent)]
    Render(RenderError),
}

impl Site {
    /// Loads `sources` for the office's date at `now`, renders every page
    /// and the search pages into `target`. `loaded` is called between
    /// loading and rendering (the build prints its warnings and timing
    /// there).
    pub fn build(
        sources: &Sources,
        now: DateTime<Utc>,
        target: Target<'_>,
        loaded: impl FnOnce(&Site),
    ) -> Result<Built, BuildError> {
        let site = Site::load(sources, sources.office_today(now)).map_err(BuildError::Load)?;
        loaded(&site);
        let render = |sink: &dyn Sink| -> Result<Rendered, RenderError> {
            let rendered = site.render_to(sink)?;
            search::add_pages(&site, sink)?;
            Ok(rendered)
        };
        let unrender = |e: RenderError, site: &Site| match e {
            RenderError::Templates(errors) => BuildError::Templates {
                warnings: site.warnings.clone(),
                errors,
            },
            e => BuildError::Render(e),
        };
        let (rendered, files) = match target {
            Target::Dir(dir) => {
                // Each page is written as it is rendered; the folder
                // replaces `dir` only once everything is written.
                let staged = Staged::new(dir)?;
                let rendered = render(&staged).map_err(|e| unrender(e, &site))?;
                staged.finish()?;
                (rendered, BTreeMap::new())
            }
            Target::Discard => {
                let rendered = render(&Discard).map_err(|e| unrender(e, &site))?;
                (rendered, BTreeMap::new())
            }
            Target::Memory => {
                let memory = Memory::default();
                let rendered = render(&memory).map_err(|e| unrender(e, &site))?;
                (rendered, memory.into_files())
            }
        };
        Ok(Built {
            site,
            rendered,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn tiny() -> Sources {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny");
        Sources::read(&root).unwrap()
    }

    fn march_first() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 4, 0, 0).unwrap()
    }

    #[test]
    fn the_preview_has_the_search_pages_and_the_shells() {
        let built = Site::build(&tiny(), march_first(), Target::Memory, |_| {})
            .unwrap_or_else(|e| panic!("{e:#?}"));
        for path in [
            "search/index.html",
            "en/search/index.html",
            "_shell/index.html",
            "en/_shell/index.html",
        ] {
            assert!(built.files.contains_key(path), "{path}");
        }
    }

    #[test]
    fn every_target_renders_the_same_pages_and_a_folder_gets_them_all() {
        let sources = tiny();
        let memory = Site::build(&sources, march_first(), Target::Memory, |_| {}).unwrap();
        let discard = Site::build(&sources, march_first(), Target::Discard, |_| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let mut loaded = 0;
        let written = Site::build(&sources, march_first(), Target::Dir(&out), |site| {
            loaded = site.content.entries.len()
        })
        .unwrap();
        assert_eq!(loaded, written.site.content.entries.len());
        assert_eq!(memory.rendered, discard.rendered);
        assert_eq!(memory.rendered, written.rendered);
        assert!(discard.files.is_empty() && written.files.is_empty());
        for (path, bytes) in &memory.files {
            assert_eq!(&std::fs::read(out.join(path)).unwrap(), bytes, "{path}");
        }
    }
}
