//! The whole site in two phases: [`Site::load`] reads and checks everything
//! (configuration, rulebook, pages, internal links, templates) and
//! [`Site::render_to`] renders each page and hands it to a [`Sink`] at once,
//! from the worker that rendered it, so a build holds one page per core in
//! memory, not the whole site. [`Site::render`] collects the files in memory
//! (the preview and the tests).
//!
//! Templates get the site-wide data (navigation, hotlines, notices, the rules
//! view) once, in Tera's global context; each page adds only its own data.
//! Tera shares maps and lists by reference, so the build stays linear.
//!
//! What is read ([`Sources`]) is in `sources.rs`, the internal links are
//! checked in `links.rs`, and the pipeline that chains load, render and the
//! search pages is in `pipeline.rs`.
//!
//! Why this file is long: one type, `Site`, and the stages of its one pipeline (load, check links, render each page in both languages, sitemap): split further, each piece would need the whole `Site` again.

use crate::config::{self, SiteConfig};
use crate::content::{Content, Doc, Entry, url_for};
use crate::frontmatter::{Kind, Layout};
use crate::links::{check_links, resolve_link};
use crate::markdown::{self, Heading};
use crate::output::{Memory, Output, Sink};
use crate::rules_view::{RulesView, date_view};
use crate::sources::Sources;
use crate::theme::{self, TemplateSource};
use casework::diagnostic::Severity;
use casework::{Diagnostic, Lang, Rulebook};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A loaded and checked site, ready to render.
pub struct Site {
    pub config: SiteConfig,
    pub rules: Rulebook,
    pub content: Content,
    templates: Vec<TemplateSource>,
    tera: tera::Tera,
    static_files: Vec<(String, Vec<u8>)>,
    /// favicon.ico, the touch icon, the manifest's icons and the manifest.
    icons: Vec<(String, Vec<u8>)>,
    today: NaiveDate,
    pub warnings: Vec<Diagnostic>,
}

impl Site {
    /// The compiled templates and their sources (for error positions).
    pub(crate) fn templates(&self) -> (&tera::Tera, &[TemplateSource]) {
        (&self.tera, &self.templates)
    }

    /// The office's date this site was loaded for: notices expire by it.
    pub fn today(&self) -> NaiveDate {
        self.today
    }
}

/// Where the page shells for the intake API's own pages go, under each
/// language's root: `_shell/index.html`, `en/_shell/index.html`.
pub const SHELL_PATH: &str = "_shell/";

/// What a render wrote, for the build's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rendered {
    pub pages_zh: usize,
    pub pages_en: usize,
    pub fallbacks: usize,
}

/// Why a render stopped.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Templates failed on some pages; every such error is here.
    #[error("{} template error(s)", .0.len())]
    Templates(Vec<Diagnostic>),
    /// The sink could not take a file.
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl Site {
    /// Reads and checks everything; `Err` holds every error (and the warnings).
    pub fn load(sources: &Sources, today: NaiveDate) -> Result<Site, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();

        let config_path = Path::new(config::CONFIG_PATH);
        let config = match &sources.config {
            Some(text) => config::parse(config_path, text).unwrap_or_else(|e| {
                diagnostics.extend(e);
                SiteConfig::default()
            }),
            None => {
                diagnostics.push(missing(config_path, "the site configuration is missing"));
                SiteConfig::default()
            }
        };

        let rules_path = Path::new(casework::rules::RULES_PATH);
        let rules = match &sources.rules {
            // With today, the rulebook also warns when its holiday calendar runs out.
            Some(text) => match casework::rules::parse_rules_at(rules_path, text, Some(today)) {
                Ok((rules, warnings)) => {
                    diagnostics.extend(warnings);
                    Some(rules)
                }
                Err(errors) => {
                    diagnostics.extend(errors);
                    None
                }
            },
            None => {
                diagnostics.push(missing(rules_path, "the rulebook is missing"));
                None
            }
        };

        let (mut content, content_errors) = Content::load(&sources.pages);
        diagnostics.extend(content_errors);
        // Rule references are replaced before links are checked: a heading
        // may show a rule, and its anchor is the text the page shows.
        if let Some(rules) = &rules {
            diagnostics.extend(crate::page_rules::apply(&mut content, rules));
        }
        if content.get("_index.md").is_none() {
            diagnostics.push(missing(
                Path::new("content/_index.md"),
                "the home page is missing",
            ));
        }
        for entry in &content.entries {
            if entry.en.is_none() {
                diagnostics.push(Diagnostic {
                    severity: Severity::Warning,
                    file: entry.zh.file.clone(),
                    line: 1,
                    column: 1,
                    message: "no English translation; the English site shows the Chinese text"
                        .into(),
                    hint: Some(format!(
                        "add {}",
                        entry.zh.file.display().to_string().replace(".md", ".en.md")
                    )),
                });
            }
        }

        check_links(&content, &mut diagnostics);

        let templates = theme::templates(&sources.templates);
        let tera = match theme::compile(&templates) {
            Ok(t) => Some(t),
            Err(e) => {
                diagnostics.extend(e);
                None
            }
        };

        let static_files = theme::static_files(&sources.static_files);
        let short_name = rules
            .as_ref()
            .map(|r| r.office.hotline.clone())
            .unwrap_or_default();
        let icons = crate::icons::icon_set(&static_files, &config, &short_name).unwrap_or_else(|e| {
            let overridden = sources
                .static_files
                .iter()
                .any(|(n, _)| n == crate::icons::SOURCE);
            let dir = if overridden { theme::OVERRIDE_DIR } else { "site/theme" };
            diagnostics.push(Diagnostic {
                severity: casework::diagnostic::Severity::Error,
                file: Path::new(dir).join("static").join(crate::icons::SOURCE),
                line: 1,
                column: 1,
                message: e.to_string(),
                hint: Some(format!(
                    "use a square PNG of at least {0}×{0} px: the favicon, the touch icon and the manifest's icons are made from it",
                    crate::icons::MIN_SIDE
                )),
            });
            Vec::new()
        });
        let diagnostics = dedup(diagnostics);
        match (rules, tera) {
            (Some(rules), Some(tera)) if !diagnostics.iter().any(Diagnostic::is_error) => {
                Ok(Site {
                    config,
                    rules,
                    content,
                    templates,
                    tera,
                    static_files,
                    icons,
                    today,
                    warnings: diagnostics,
                })
            }
            _ => Err(diagnostics),
        }
    }

    fn is_expired(&self, doc: &Doc) -> bool {
        doc.front.kind == Kind::Notice && doc.front.valid_until.is_some_and(|d| d < self.today)
    }

    fn summary(&self, entry: &Entry, lang: Lang) -> Summary {
        let doc = entry.doc(lang);
        let f = &doc.front;
        Summary {
            title: f.title.clone(),
            description: f.description.clone(),
            url: entry.url(lang),
            kind: f.kind,
            weight: f.weight,
            date: f.date.map(|d| date_view(d, lang)),
            updated: f.updated.map(|d| d.format("%Y-%m-%d").to_string()),
            valid_until: f.valid_until.map(|d| date_view(d, lang)),
            is_section: entry.is_section,
            is_fallback: entry.is_fallback(lang),
            channel: f.channel.clone(),
            hotline: f.hotline.clone(),
        }
    }

    /// Entries that appear in listings: not expired notices.
    fn listed<'a>(&'a self, entries: impl Iterator<Item = &'a Entry>) -> Vec<&'a Entry> {
        entries.filter(|e| !self.is_expired(&e.zh)).collect()
    }

    fn of_kind(&self, kind: Kind, lang: Lang) -> Vec<Summary> {
        self.listed(self.content.entries.iter())
            .into_iter()
            .filter(|e| e.zh.front.kind == kind)
            .map(|e| self.summary(e, lang))
            .collect()
    }

    fn notices(&self, lang: Lang) -> Vec<Summary> {
        let mut notices = self.of_kind(Kind::Notice, lang);
        notices.sort_by(|a, b| {
            b.date
                .as_ref()
                .map(|d| &d.iso)
                .cmp(&a.date.as_ref().map(|d| &d.iso))
        });
        notices
    }

    /// The site-wide data, built once per build and shared by every page.
    fn globals(&self) -> tera::Context {
        let mut ctx = tera::Context::new();
        let per_lang = |f: &dyn Fn(Lang) -> tera::Value| {
            let mut map = tera::Map::default();
            for lang in Lang::ALL {
                map.insert(lang.code().into(), f(lang));
            }
            tera::Value::from(map)
        };
        ctx.insert("config", &self.config);
        ctx.insert("hotline_number", &self.rules.office.hotline);
        ctx.insert_value("strings", tera::Value::from_serializable(&theme::strings()));
        ctx.insert_value(
            "rules",
            per_lang(&|l| tera::Value::from_serializable(&RulesView::new(&self.rules, l))),
        );
        ctx.insert_value(
            "nav",
            per_lang(&|l| {
                let sections: Vec<Summary> = self
                    .listed(self.content.children("_index.md"))
                    .into_iter()
                    .filter(|e| e.is_section)
                    .map(|e| self.summary(e, l))
                    .collect();
                tera::Value::from_serializable(&sections)
            }),
        );
        ctx.insert_value(
            "hotlines",
            per_lang(&|l| tera::Value::from_serializable(&self.of_kind(Kind::Hotline, l))),
        );
        ctx.insert_value(
            "channels",
            per_lang(&|l| tera::Value::from_serializable(&self.of_kind(Kind::Channel, l))),
        );
        ctx.insert_value(
            "notices",
            per_lang(&|l| tera::Value::from_serializable(&self.notices(l))),
        );
        ctx.insert_value(
            "special",
            per_lang(&|l| {
                let mut urls = BTreeMap::new();
                for e in &self.content.entries {
                    if let Some(layout) = e.zh.front.layout {
                        urls.entry(layout.name()).or_insert_with(|| e.url(l));
                    }
                }
                tera::Value::from_serializable(&urls)
            }),
        );
        ctx
    }

    /// Renders every page, feed and asset into memory.
    pub fn render(&self) -> Result<Output, Vec<Diagnostic>> {
        let memory = Memory::default();
        match self.render_to(&memory) {
            Ok(rendered) => Ok(Output {
                files: memory.into_files(),
                pages_zh: rendered.pages_zh,
                pages_en: rendered.pages_en,
                fallbacks: rendered.fallbacks,
            }),
            Err(RenderError::Templates(errors)) => Err(errors),
            // Memory takes every file; kept as a diagnostic rather than a panic.
            Err(e @ RenderError::Write { .. }) => Err(vec![Diagnostic {
                severity: Severity::Error,
                file: PathBuf::from("output"),
                line: 1,
                column: 1,
                message: e.to_string(),
                hint: None,
            }]),
        }
    }

    /// Renders every page, feed and asset, handing each file to `sink` as
    /// soon as it is rendered. On a template error the other pages are still
    /// rendered, so that every error is reported at once.
    pub fn render_to(&self, sink: &dyn Sink) -> Result<Rendered, RenderError> {
        let mut tera = self.tera.clone();
        *tera.global_context() = self.globals();
        let strings = tera::Value::from_serializable(&theme::strings());
        // Each page gets its language's strings as `t`; Tera shares the map, it is not copied.
        let t_for = |lang: Lang| {
            strings
                .as_map()
                .and_then(|m| m.get(&tera::value::Key::from(lang.code())).cloned())
                .unwrap_or_else(tera::Value::none)
        };
        let put = |path: &str, bytes: &[u8]| {
            sink.put(path, bytes).map_err(|source| RenderError::Write {
                path: path.to_string(),
                source,
            })
        };
        let mut rendered = Rendered::default();
        let mut errors = Vec::new();

        // Pages are independent: each worker renders an entry in both
        // languages and writes it, keeping nothing but the outcome. A body
        // shown in both languages (no translation) is parsed once.
        let indices: Vec<usize> = (0..self.content.entries.len()).collect();
        let outcomes = crate::parallel::map(&indices, |&index| {
            let entry = &self.content.entries[index];
            let zh = markdown::parse(entry.zh.rendered_body());
            let en = entry
                .en
                .as_ref()
                .map(|doc| markdown::parse(doc.rendered_body()));
            Lang::ALL.map(|lang| {
                let parsed = match lang {
                    Lang::Zh => &zh,
                    Lang::En => en.as_ref().unwrap_or(&zh),
                };
                // Links were checked at load; an unresolved one cannot reach here.
                let body = parsed.html(&mut |link, _| resolve_link(&self.content, link, lang).ok());
                let mut ctx = self.page_context(entry, lang, &body);
                ctx.insert_value("t", t_for(lang));
                let template = if entry.key == "_index.md" {
                    "index.html"
                } else if entry.is_section {
                    "section.html"
                } else {
                    "page.html"
                };
                // Rendered as bytes: a String would be checked for UTF-8 again.
                let mut html = Vec::with_capacity(body.len() + 16 * 1024);
                tera.render_to(template, &ctx, &mut html).map_err(|e| {
                    RenderError::Templates(vec![theme::template_diagnostic(&e, &self.templates)])
                })?;
                let path = format!("{}index.html", url_for(&entry.path, lang));
                put(&path[1..], &html)
            })
        });
        for (entry, outcome) in self.content.entries.iter().zip(outcomes) {
            for (lang, outcome) in Lang::ALL.into_iter().zip(outcome) {
                match outcome {
                    Ok(()) => {
                        match lang {
                            Lang::Zh => rendered.pages_zh += 1,
                            Lang::En => rendered.pages_en += 1,
                        }
                        if entry.is_fallback(lang) {
                            rendered.fallbacks += 1;
                        }
                    }
                    Err(RenderError::Templates(e)) => errors.extend(e),
                    Err(e) => return Err(e),
                }
            }
        }

        let mut render = |name: &str, ctx: &tera::Context| match tera.render(name, ctx) {
            Ok(html) => Some(html),
            Err(e) => {
                errors.push(theme::template_diagnostic(&e, &self.templates));
                None
            }
        };

        let mut ctx = tera::Context::new();
        ctx.insert("lang", "zh");
        if let Some(html) = render("404.html", &ctx) {
            put("404.html", html.as_bytes())?;
        }
        for lang in Lang::ALL {
            if let Some(html) = render("shell.html", &self.shell_context(lang, t_for(lang))) {
                let path = format!("{}index.html", url_for(SHELL_PATH, lang));
                put(&path[1..], html.as_bytes())?;
            }
        }
        for lang in Lang::ALL {
            let mut ctx = tera::Context::new();
            ctx.insert("lang", lang.code());
            ctx.insert("html_lang", lang.html_tag());
            ctx.insert("feed_url", &format!("{}atom.xml", url_for("", lang)));
            ctx.insert("home_url", &url_for("", lang));
            ctx.insert(
                "updated",
                &self.today.format("%Y-%m-%dT00:00:00Z").to_string(),
            );
            if let Some(xml) = render("atom.xml", &ctx) {
                let path = format!("{}atom.xml", url_for("", lang));
                put(&path[1..], xml.as_bytes())?;
            }
        }
        let urls: Vec<SitemapUrl> = self
            .content
            .entries
            .iter()
            .map(|e| SitemapUrl {
                zh: e.url(Lang::Zh),
                en: e.url(Lang::En),
                updated: e
                    .zh
                    .front
                    .updated
                    .or(e.zh.front.date)
                    .map(|d| d.format("%Y-%m-%d").to_string()),
            })
            .collect();
        let mut ctx = tera::Context::new();
        ctx.insert("urls", &urls);
        if let Some(xml) = render("sitemap.xml", &ctx) {
            put("sitemap.xml", xml.as_bytes())?;
        }
        if let Some(txt) = render("robots.txt", &tera::Context::new()) {
            put("robots.txt", txt.as_bytes())?;
        }
        for (name, bytes) in &self.static_files {
            put(&format!("static/{name}"), bytes)?;
        }
        for (path, bytes) in &self.icons {
            put(path, bytes)?;
        }
        if errors.is_empty() {
            Ok(rendered)
        } else {
            Err(RenderError::Templates(dedup(errors)))
        }
    }

    /// What `shell.html` sees: the header, nav and footer of every page,
    /// no page of its own. The language switch leads to the other
    /// language's home page, as the shell cannot know the API's page.
    fn shell_context(&self, lang: Lang, t: tera::Value) -> tera::Context {
        let other = lang.other();
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("html_lang", lang.html_tag());
        ctx.insert_value("t", t);
        ctx.insert(
            "page",
            &ShellView {
                url: url_for(SHELL_PATH, lang),
            },
        );
        ctx.insert(
            "other",
            &Alternate {
                lang: other.code(),
                hreflang: other.html_tag(),
                url: url_for("", other),
            },
        );
        ctx.insert("alternates", &Vec::<Alternate>::new());
        ctx
    }

    fn page_context(&self, entry: &Entry, lang: Lang, body: &str) -> tera::Context {
        let doc = entry.doc(lang);
        let f = &doc.front;
        let children: Vec<Summary> = if entry.is_section {
            self.listed(self.content.children(&entry.key))
                .into_iter()
                .map(|e| self.summary(e, lang))
                .collect()
        } else {
            Vec::new()
        };
        let page = PageView {
            summary: self.summary(entry, lang),
            content: body,
            headings: &doc.headings,
            layout: f.layout.map(Layout::name),
            content_lang: if entry.is_fallback(lang) {
                "zh"
            } else {
                lang.code()
            },
            content_html_lang: if entry.is_fallback(lang) {
                Lang::Zh.html_tag()
            } else {
                lang.html_tag()
            },
            expired: self.is_expired(&entry.zh),
            permalink: format!("{}{}", self.config.base_url, entry.url(lang)),
            children,
        };
        let other = lang.other();
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("html_lang", lang.html_tag());
        ctx.insert("page", &page);
        insert_alternates(&mut ctx, &self.config.base_url, other, |l| entry.url(l));
        ctx
    }
}

fn missing(path: &Path, message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        message: message.to_string(),
        hint: Some("run `hotline` from the project root, the folder that holds content/".into()),
    }
}

/// The same problem found twice (a fallback page renders the Chinese text
/// again) is reported once.
fn dedup(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    diagnostics
        .into_iter()
        .filter(|d| seen.insert((d.file.clone(), d.line, d.column, d.message.clone())))
        .collect()
}

#[derive(Debug, Clone, Serialize)]
struct Summary {
    title: String,
    description: Option<String>,
    url: String,
    kind: Kind,
    weight: i64,
    date: Option<crate::rules_view::DateView>,
    updated: Option<String>,
    valid_until: Option<crate::rules_view::DateView>,
    is_section: bool,
    is_fallback: bool,
    channel: Option<crate::frontmatter::Channel>,
    hotline: Option<crate::frontmatter::Hotline>,
}

#[derive(Debug, Serialize)]
struct PageView<'a> {
    #[serde(flatten)]
    summary: Summary,
    content: &'a str,
    headings: &'a [Heading],
    layout: Option<&'static str>,
    content_lang: &'static str,
    content_html_lang: &'static str,
    expired: bool,
    permalink: String,
    children: Vec<Summary>,
}

#[derive(Debug, Serialize)]
struct ShellView {
    url: String,
}

#[derive(Debug, Serialize)]
struct Alternate {
    lang: &'static str,
    hreflang: &'static str,
    url: String,
}

/// A page's links to itself in the other language (`other`) and in every
/// language (`alternates`, absolute, for `hreflang`), as the templates use
/// them; `url` gives the page's path in a language.
pub(crate) fn insert_alternates(
    ctx: &mut tera::Context,
    base_url: &str,
    other: Lang,
    url: impl Fn(Lang) -> String,
) {
    ctx.insert(
        "other",
        &Alternate {
            lang: other.code(),
            hreflang: other.html_tag(),
            url: url(other),
        },
    );
    ctx.insert(
        "alternates",
        &Lang::ALL
            .iter()
            .map(|l| Alternate {
                lang: l.code(),
                hreflang: l.html_tag(),
                url: format!("{base_url}{}", url(*l)),
            })
            .collect::<Vec<_>>(),
    );
}

#[derive(Debug, Serialize)]
struct SitemapUrl {
    zh: String,
    en: String,
    updated: Option<String>,
}
