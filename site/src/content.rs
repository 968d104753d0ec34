//! The content model: which files are sections, pages and translations, and
//! the URL each gets.
//!
//! A folder with `_index.md` is a section; every other `.md` file is a page;
//! `name.en.md` beside `name.md` is its English translation. Chinese pages
//! live at `/path/`, English ones at `/en/path/`. Pure: it is given the files'
//! paths and texts, it does not read the disk.

use crate::frontmatter::{self, FrontMatter};
use crate::markdown::{self, Heading};
use casework::diagnostic::{Severity, SourceFile};
use casework::{Diagnostic, Lang};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// One language version of a page, as written.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Path for diagnostics, e.g. `content/policies/time-limits.en.md`.
    pub file: PathBuf,
    pub text: String,
    pub front: FrontMatter,
    pub body_offset: usize,
    pub headings: Vec<Heading>,
    /// Internal links (`@/…`) and their offsets in the body, checked at load.
    pub links: Vec<(String, usize)>,
    /// Code and raw HTML in the body (byte ranges), which rule references
    /// and the typed-rule check skip.
    pub code: Vec<std::ops::Range<usize>>,
    /// The body with its rule references replaced by the rulebook's values
    /// (`Site::load` sets it); `None` when it has none.
    pub expanded: Option<String>,
}

impl Doc {
    /// The body as written.
    pub fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }

    /// The body as rendered: with the rulebook's values in place of its references.
    pub fn rendered_body(&self) -> &str {
        self.expanded.as_deref().unwrap_or_else(|| self.body())
    }

    pub fn diagnostic(&self, severity: Severity, offset: usize, message: String) -> Diagnostic {
        SourceFile::new(&self.file, &self.text).diagnostic(severity, offset, message, None)
    }
}

/// A section or page with its Chinese text and, maybe, its translation.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The source path inside `content/`, as internal links name it.
    pub key: String,
    /// The URL path without language prefix or leading slash: `policies/time-limits/`.
    pub path: String,
    pub is_section: bool,
    /// Key of the section the entry is listed in (none for the home page).
    pub parent: Option<String>,
    pub zh: Doc,
    pub en: Option<Doc>,
}

impl Entry {
    /// The text shown in `lang`: the translation, or the Chinese text as a fallback.
    pub fn doc(&self, lang: Lang) -> &Doc {
        match lang {
            Lang::En => self.en.as_ref().unwrap_or(&self.zh),
            Lang::Zh => &self.zh,
        }
    }

    pub fn is_fallback(&self, lang: Lang) -> bool {
        lang == Lang::En && self.en.is_none()
    }

    pub fn url(&self, lang: Lang) -> String {
        url_for(&self.path, lang)
    }
}

pub fn url_for(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("/{path}"),
        Lang::En => format!("/en/{path}"),
    }
}

/// Every published entry of the site.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    /// Keys of draft pages, left out of the site; kept to explain broken links.
    pub drafts: BTreeSet<String>,
}

impl Content {
    /// Rebuilds the key → position index after the entries moved.
    fn index_by_key(&mut self) {
        self.by_key = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.by_key.get(key).map(|&i| &self.entries[i])
    }

    /// The entries listed in a section, lightest first, then by title.
    pub fn children<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.parent.as_deref() == Some(section))
    }

    /// Reads the content files (path inside `content/`, text), collecting every problem.
    pub fn load(files: &[(String, String)]) -> (Content, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut zh: HashMap<String, Doc> = HashMap::new();
        let mut en: HashMap<String, Doc> = HashMap::new();
        // Front matter and outline of each file are independent: parsed on
        // every core, then put together in the input order.
        let parsed = crate::parallel::map(files, |(rel, text)| parse_file(rel, text));
        for (key, lang, doc, errors) in parsed.into_iter().flatten() {
            diagnostics.extend(errors);
            match lang {
                Lang::Zh => zh.insert(key, doc),
                Lang::En => en.insert(key, doc),
            };
        }

        let mut content = Content::default();
        let mut keys: Vec<String> = zh.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let zh_doc = zh.remove(&key).expect("key from the map");
            let en_doc = en.remove(&key);
            if zh_doc.front.draft {
                content.drafts.insert(key);
                continue;
            }
            let is_section = key == "_index.md" || key.ends_with("/_index.md");
            let path = url_path(&key);
            content.entries.push(Entry {
                key,
                path,
                is_section,
                parent: None,
                zh: zh_doc,
                en: en_doc,
            });
        }
        let mut orphans: Vec<_> = en.into_values().collect();
        orphans.sort_by(|a, b| a.file.cmp(&b.file));
        for doc in orphans {
            diagnostics.push(doc.diagnostic(
                Severity::Error,
                0,
                "an English page needs the Chinese page beside it (the same name without `.en`)"
                    .into(),
            ));
        }
        content.index_by_key();
        let parents: Vec<Option<String>> = content
            .entries
            .iter()
            .map(|e| content.parent_of(&e.key))
            .collect();
        for (entry, parent) in content.entries.iter_mut().zip(parents) {
            entry.parent = parent;
        }
        content.entries.sort_by(|a, b| {
            (a.zh.front.weight, &a.zh.front.title, &a.key).cmp(&(
                b.zh.front.weight,
                &b.zh.front.title,
                &b.key,
            ))
        });
        content.index_by_key();
        (content, diagnostics)
    }

    /// The nearest section above a key.
    fn parent_of(&self, key: &str) -> Option<String> {
        if key == "_index.md" {
            return None;
        }
        let mut dir = key.strip_suffix("_index.md").unwrap_or(key);
        dir = dir.trim_end_matches('/');
        loop {
            dir = match dir.rfind('/') {
                Some(i) => &dir[..i],
                None => "",
            };
            let candidate = if dir.is_empty() {
                "_index.md".to_string()
            } else {
                format!("{dir}/_index.md")
            };
            if self.by_key.contains_key(&candidate) {
                return Some(candidate);
            }
            if dir.is_empty() {
                return None;
            }
        }
    }
}

/// One content file as a document: its key, language, and problems.
/// `None` for files that are not Markdown.
fn parse_file(rel: &str, text: &str) -> Option<(String, Lang, Doc, Vec<Diagnostic>)> {
    let mut diagnostics = Vec::new();
    let rel = rel.replace('\\', "/");
    if !rel.ends_with(".md") {
        return None;
    }
    let (key, lang) = match rel.strip_suffix(".en.md") {
        Some(stem) => (format!("{stem}.md"), Lang::En),
        None => (rel.clone(), Lang::Zh),
    };
    let file = PathBuf::from("content").join(&rel);
    let (front, body_offset) = match frontmatter::split(&file, text) {
        Ok(split) => {
            let front = match frontmatter::parse(&file, &split) {
                Ok(f) => f,
                Err(errors) => {
                    diagnostics.extend(errors);
                    // Kept with a stand-in title so links to it do not
                    // add a second, misleading error.
                    FrontMatter {
                        title: key.clone(),
                        ..FrontMatter::default()
                    }
                }
            };
            (front, split.body_offset)
        }
        Err(d) => {
            diagnostics.push(d);
            (FrontMatter::default(), 0)
        }
    };
    let markdown::Outline {
        headings,
        links,
        code,
    } = markdown::outline(&text[body_offset..]);
    let doc = Doc {
        file,
        text: text.to_string(),
        front,
        body_offset,
        headings,
        links,
        code,
        expanded: None,
    };
    Some((key, lang, doc, diagnostics))
}

/// `policies/_index.md` → `policies/`, `policies/a.md` → `policies/a/`, `_index.md` → ``.
fn url_path(key: &str) -> String {
    if let Some(dir) = key.strip_suffix("_index.md") {
        return dir.to_string();
    }
    format!("{}/", key.trim_end_matches(".md"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str) -> String {
        format!("+++\ntitle = \"{title}\"\n+++\n# {title}\n")
    }

    #[test]
    fn sections_pages_and_translations() {
        let (content, errors) = Content::load(&[
            ("_index.md".into(), page("首页")),
            ("policies/_index.md".into(), page("政策")),
            ("policies/limits.md".into(), page("时限")),
            ("policies/limits.en.md".into(), page("Limits")),
            (
                "policies/old.md".into(),
                "+++\ntitle = \"旧\"\ndraft = true\n+++\n".into(),
            ),
            ("lonely.en.md".into(), page("Lonely")),
            ("notes.txt".into(), "ignored".into()),
        ]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, PathBuf::from("content/lonely.en.md"));
        let limits = content.get("policies/limits.md").unwrap();
        assert_eq!(limits.url(Lang::Zh), "/policies/limits/");
        assert_eq!(limits.url(Lang::En), "/en/policies/limits/");
        assert_eq!(limits.parent.as_deref(), Some("policies/_index.md"));
        assert_eq!(limits.doc(Lang::En).front.title, "Limits");
        assert_eq!(
            content.get("policies/_index.md").unwrap().parent.as_deref(),
            Some("_index.md")
        );
        assert_eq!(content.get("_index.md").unwrap().url(Lang::En), "/en/");
        assert!(content.get("policies/old.md").is_none());
        assert!(content.drafts.contains("policies/old.md"));
    }
}
