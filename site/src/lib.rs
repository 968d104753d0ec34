//! The public complaint site: turns what editors write in `content/` into a
//! static website, and the `hotline` command that builds, checks and serves it.
//!
//! Where to look:
//! - [`frontmatter`]: the page schema, checked with file:line:col.
//! - [`content`]: sections, pages, translations and their URLs.
//! - [`markdown`]: Markdown to HTML, heading ids, internal links.
//! - [`rules_view`]: the rulebook as the time-limit table and the form see it.
//! - [`theme`]: the embedded templates and assets, and editors' overrides.
//! - [`site`]: load and check everything, then render (two phases).
//! - [`search`]: the search pages and the Pagefind index.
//! - [`serve`]: the preview server with live reload.
//! - [`scaffold`]: `hotline new`.

pub mod config;
pub mod content;
pub mod frontmatter;
pub mod markdown;
pub mod output;
pub mod parallel;
pub mod rules_view;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod site;
pub mod theme;

pub use site::{Output, RenderError, Rendered, Site, Sources};
