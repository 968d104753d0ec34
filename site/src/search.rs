//! Site search: the search pages (`/search/`, `/en/search/`) and the
//! Pagefind index built over the written site.
//!
//! Search is optional. Without Pagefind the build still succeeds and says in
//! one line how to enable it; the search pages then list every page, which is
//! also what visitors without JavaScript see. Pages mark what is indexed with
//! `data-pagefind-body` (in `base.html`); Pagefind splits the index by each
//! page's `lang`, and its extended build segments Chinese text into words.
//!
//! This module does not serve anything and does not ship a search engine: the
//! index and the query code come from Pagefind at build time.

use crate::content::{Content, Entry, url_for};
use crate::frontmatter::Kind;
use crate::output::Sink;
use crate::site::insert_alternates;
use crate::{RenderError, Site, theme};
use casework::Lang;
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The folder, under each language's root, that holds the search page.
const SEARCH_PATH: &str = "search/";

/// What to install for search, shown when Pagefind is missing.
pub const INSTALL_HINT: &str = "pip install 'pagefind[extended]'";

#[derive(Serialize)]
struct Link {
    title: String,
    url: String,
    description: Option<String>,
}

#[derive(Serialize)]
struct Group {
    title: String,
    url: Option<String>,
    pages: Vec<Link>,
}

fn link(entry: &Entry, lang: Lang) -> Link {
    let front = &entry.doc(lang).front;
    Link {
        title: front.title.clone(),
        url: entry.url(lang),
        description: front.description.clone(),
    }
}

/// Every listed page, grouped by section: what the search page offers when
/// it cannot search.
fn directory(content: &Content, lang: Lang, today: chrono::NaiveDate) -> Vec<Group> {
    let shown = |e: &&Entry| {
        !(e.zh.front.kind == Kind::Notice && e.zh.front.valid_until.is_some_and(|d| d < today))
    };
    let mut groups = Vec::new();
    if let Some(home) = content.get("_index.md") {
        let mut top = link(home, lang);
        top.description = None;
        let mut pages = vec![top];
        pages.extend(
            content
                .children("_index.md")
                .filter(shown)
                .filter(|e| !e.is_section)
                .map(|e| link(e, lang)),
        );
        groups.push(Group {
            title: home.doc(lang).front.title.clone(),
            url: None,
            pages,
        });
    }
    for section in content.children("_index.md").filter(|e| e.is_section) {
        groups.push(Group {
            title: section.doc(lang).front.title.clone(),
            url: Some(section.url(lang)),
            pages: content
                .children(&section.key)
                .filter(shown)
                .map(|e| link(e, lang))
                .collect(),
        });
    }
    groups
}

#[derive(Serialize)]
struct PageStub {
    title: String,
    url: String,
    description: Option<String>,
}

#[derive(Serialize)]
struct NavItem {
    title: String,
    url: String,
}

/// Renders `search.html` in both languages into `sink`, with the same theme
/// (overrides included) and header as every other page.
pub fn add_pages(site: &Site, sink: &dyn Sink) -> Result<(), RenderError> {
    // The site's templates, compiled once at load.
    let (tera, templates) = site.templates();
    let strings = theme::strings();
    let mut errors = Vec::new();
    for lang in Lang::ALL {
        let other = lang.other();
        let t = strings
            .get(lang.code())
            .cloned()
            .unwrap_or(toml::Value::Table(toml::Table::new()));
        let nav: Vec<NavItem> = site
            .content
            .children("_index.md")
            .filter(|e| e.is_section)
            .map(|e| NavItem {
                title: e.doc(lang).front.title.clone(),
                url: e.url(lang),
            })
            .collect();
        let mut nav_by_lang = std::collections::BTreeMap::new();
        nav_by_lang.insert(lang.code(), nav);
        let url = url_for(SEARCH_PATH, lang);
        let mut ctx = tera::Context::new();
        ctx.insert("config", &site.config);
        ctx.insert("hotline_number", &site.rules.office.hotline);
        ctx.insert("strings", &strings);
        ctx.insert("t", &t);
        ctx.insert("lang", lang.code());
        ctx.insert("html_lang", lang.html_tag());
        ctx.insert("nav", &nav_by_lang);
        ctx.insert(
            "page",
            &PageStub {
                title: t
                    .get("search_title")
                    .and_then(|v| v.as_str())
                    .unwrap_or("Search")
                    .to_string(),
                url: url.clone(),
                description: None,
            },
        );
        insert_alternates(&mut ctx, &site.config.base_url, other, |l| {
            url_for(SEARCH_PATH, l)
        });
        ctx.insert("directory", &directory(&site.content, lang, site.today()));
        match tera.render("search.html", &ctx) {
            Ok(html) => {
                let path = format!("{}index.html", &url[1..]);
                sink.put(&path, html.as_bytes())
                    .map_err(|source| RenderError::Write { path, source })?;
            }
            Err(e) => errors.push(theme::template_diagnostic(&e, templates)),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RenderError::Templates(errors))
    }
}

/// How indexing went, as one line for the build output.
#[derive(Debug, PartialEq)]
pub enum Indexed {
    /// Pagefind ran: pages and languages indexed.
    Done {
        tool: String,
        pages: usize,
        languages: String,
        extended: bool,
        seconds: f64,
    },
    /// No Pagefind on this machine: the site works, search is absent.
    Missing,
    /// Pagefind ran and failed; the site is written, search is absent.
    Failed(String),
}

impl std::fmt::Display for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Indexed::Done {
                tool,
                pages,
                languages,
                extended,
                seconds,
            } => {
                let build = if *extended { " extended" } else { "" };
                write!(
                    f,
                    "Search: indexed {pages} pages ({languages}) with {tool}{build} in {seconds:.2} s"
                )?;
                if !recent_enough(tool) {
                    write!(
                        f,
                        "\nwarning: Pagefind 1.5 or later is needed to split Chinese queries \
                         into words; upgrade it with: {INSTALL_HINT} --upgrade"
                    )?;
                }
                if !extended {
                    write!(
                        f,
                        "\nwarning: this Pagefind is not the extended build, so Chinese text is \
                         not split into words; install it with: {INSTALL_HINT}"
                    )?;
                }
                Ok(())
            }
            Indexed::Missing => write!(
                f,
                "Search: skipped, Pagefind is not installed (the site works without it); \
                 to enable search: {INSTALL_HINT}"
            ),
            Indexed::Failed(why) => write!(
                f,
                "warning: Search: Pagefind failed, the site has no search index: {why}"
            ),
        }
    }
}

/// Whether `pagefind X.Y.Z` is 1.5 or later, the first to segment Chinese
/// queries the way its extended build segments the pages.
fn recent_enough(version: &str) -> bool {
    let numbers: Vec<u32> = version
        .trim_start_matches("pagefind")
        .trim()
        .trim_start_matches('v')
        .split('.')
        .map_while(|n| n.parse().ok())
        .collect();
    matches!(numbers.as_slice(), [major, minor, ..] if (*major, *minor) >= (1, 5))
}

/// The ways Pagefind may be installed, best first: the program and its
/// leading arguments.
const CANDIDATES: &[(&str, &[&str])] = &[
    ("pagefind_extended", &[]),
    ("pagefind", &[]),
    ("python3", &["-m", "pagefind"]),
];

/// The first Pagefind that answers `--version`, with that answer.
fn find_pagefind() -> Option<(&'static str, &'static [&'static str], String)> {
    CANDIDATES.iter().find_map(|(program, args)| {
        let out = Command::new(program)
            .args(*args)
            .arg("--version")
            .output()
            .ok()?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && version.starts_with("pagefind"))
            .then_some((*program, *args, version))
    })
}

/// Runs Pagefind over the written site in `dir`, printing a progress line
/// first; never fails the build.
pub fn index(dir: &Path) -> Indexed {
    let Some((program, args, version)) = find_pagefind() else {
        return Indexed::Missing;
    };
    println!("Search: indexing {} with {version}…", dir.display());
    let start = Instant::now();
    let run = Command::new(program)
        .args(args)
        .arg("--site")
        .arg(dir)
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) => return Indexed::Failed(e.to_string()),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .chain(stdout.lines())
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        return Indexed::Failed(format!("{} ({last})", out.status));
    }
    match summary(&stdout) {
        Some((pages, languages, extended)) => Indexed::Done {
            tool: version,
            pages,
            languages,
            extended,
            seconds: start.elapsed().as_secs_f64(),
        },
        None => Indexed::Failed("its output did not say how many pages it indexed".into()),
    }
}

/// Pages indexed, languages found and whether it is the extended build, read
/// from Pagefind's report.
fn summary(report: &str) -> Option<(usize, String, bool)> {
    let pages = report.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Indexed ")?
            .strip_suffix(" pages")?
            .parse()
            .ok()
    })?;
    let languages = report
        .lines()
        .find_map(|l| l.split_once("languages: ").map(|(_, list)| list.trim()))
        .map(str::to_string)
        .unwrap_or_else(|| "1 language".into());
    let extended = report.lines().any(|l| l.contains("(Extended)"));
    Some((pages, languages, extended))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pagefinds_report() {
        let report = "Running Pagefind v1.5.2 (Extended)\n\
            [Reading languages]\nDiscovered 2 languages: zh-hans, en\n\
            Total: \n  Indexed 2 languages\n  Indexed 54 pages\n  Indexed 2038 words\n";
        assert_eq!(summary(report), Some((54, "zh-hans, en".into(), true)));
        assert_eq!(summary("Running Pagefind v1.5.2\nnothing"), None);
        let plain = "Running Pagefind v1.5.2\n  Indexed 3 pages\n";
        assert_eq!(summary(plain), Some((3, "1 language".into(), false)));
    }

    #[test]
    fn asks_for_pagefind_1_5_or_later() {
        assert!(recent_enough("pagefind 1.5.2"));
        assert!(recent_enough("pagefind 2.0.0"));
        assert!(!recent_enough("pagefind 1.4.0"));
        assert!(!recent_enough("pagefind"));
    }

    #[test]
    fn missing_pagefind_is_one_line_with_the_fix() {
        let line = Indexed::Missing.to_string();
        assert!(!line.contains('\n'));
        assert!(line.contains(INSTALL_HINT) && !line.starts_with("error"));
    }

    #[test]
    fn the_search_pages_list_every_section_and_load_no_script_elsewhere() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny");
        let sources = crate::Sources::read(&root).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let site = Site::load(&sources, today).unwrap_or_else(|d| panic!("{d:#?}"));
        let mut out = site.render().unwrap_or_else(|d| panic!("{d:#?}"));
        let search = crate::output::Memory::default();
        add_pages(&site, &search).unwrap_or_else(|e| panic!("{e:#?}"));
        out.files.extend(search.into_files());
        let zh = String::from_utf8(out.files["search/index.html"].clone()).unwrap();
        let en = String::from_utf8(out.files["en/search/index.html"].clone()).unwrap();
        assert!(zh.contains("<html lang=\"zh-Hans\">"));
        assert!(en.contains("<html lang=\"en\">"));
        for html in [&zh, &en] {
            assert!(html.contains("/static/search.js"));
            assert!(!html.contains("data-pagefind-body"), "not indexed itself");
        }
        // Without scripts the page still leads everywhere, expired notices aside.
        assert!(zh.contains("href=\"/policies/limits/\""), "{zh}");
        assert!(en.contains("href=\"/en/policies/limits/\""));
        assert!(zh.contains("href=\"/notices/new/\""));
        assert!(!zh.contains("href=\"/notices/old/\""));
        let page = String::from_utf8(out.files["policies/limits/index.html"].clone()).unwrap();
        assert!(page.contains("data-pagefind-body"));
        assert!(
            page.contains("action=\"/search/\""),
            "the header search box"
        );
        assert!(!page.contains("search.js"));
    }
}
