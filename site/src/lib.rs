//! The public complaint site's generator: turns what editors write in
//! `content/` into a static website (load and check, render, search pages).
//!
//! It knows nothing of cases, stores, mail or HTTP: the `hotline` command
//! (`site/cli/`) builds, checks and previews with it, and runs the staff
//! commands and the local API beside it.
//!
//! Where to look:
//! - [`pipeline`]: [`Site::build`], the one pipeline of build, check and serve.
//! - [`frontmatter`]: the page schema, checked with file:line:col.
//! - [`content`]: sections, pages, translations and their URLs.
//! - [`markdown`]: Markdown to HTML, heading ids, internal links.
//! - [`links`]: internal links checked and resolved.
//! - [`rules_view`]: the rulebook as the time-limit table and the form see it.
//! - [`references`]: rule references (`{{ case_types.complaint.complete }}`) and their values.
//! - [`typed_rules`]: the check that no page types a rule by hand.
//! - [`theme`]: the embedded templates and assets, and editors' overrides.
//! - [`sources`]: what a build reads from `content/`, and the office's date.
//! - [`site`]: load and check everything, then render (two phases).
//! - [`search`]: the search pages and the Pagefind index.
//! - [`output`]: where rendered files go, and printing diagnostics.
//! - [`scaffold`]: `hotline new`.

pub mod config;
pub mod content;
pub mod frontmatter;
pub mod icons;
pub mod links;
pub mod markdown;
pub mod output;
mod page_rules;
pub mod parallel;
pub mod pipeline;
pub mod references;
pub mod rules_view;
pub mod scaffold;
pub mod search;
pub mod site;
pub mod sources;
pub mod theme;
pub mod typed_rules;

pub use output::Output;
pub use pipeline::{BuildError, Built, Target};
pub use site::{RenderError, Rendered, Site};
pub use sources::Sources;
