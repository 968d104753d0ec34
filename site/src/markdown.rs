//! Markdown to HTML: tables, footnotes, heading ids and internal links.
//!
//! Heading ids come from the heading text (CJK characters are kept, so a
//! Chinese heading keeps a readable id), or from an explicit `{#id}`.
//! Internal links are written by source path, `@/policies/time-limits.md#id`,
//! and handed to a resolver, which knows the site; this module does not.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// An id for a heading: lower-case letters and digits of any script, words
/// joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.extend(c.to_lowercase());
        } else if c != '\'' && c != '’' {
            dash = true;
        }
    }
    if slug.is_empty() {
        slug.push_str("section");
    }
    slug
}

/// A heading of a page: its id, level and plain text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Heading {
    pub id: String,
    pub level: u8,
    pub title: String,
}

/// Gives every heading an id, keeping ids unique within the page.
fn with_heading_ids<'a>(events: &mut [(Event<'a>, std::ops::Range<usize>)]) -> Vec<Heading> {
    let mut used = HashSet::new();
    let mut headings = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i].0 {
            let level = *level;
            let explicit = id.as_ref().map(|s| s.to_string());
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j].0, Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j].0 {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = explicit.unwrap_or_else(|| slugify(&text));
            let mut unique = base.clone();
            let mut n = 1;
            while !used.insert(unique.clone()) {
                unique = format!("{base}-{n}");
                n += 1;
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i].0 {
                *id = Some(CowStr::from(unique.clone()));
            }
            headings.push(Heading {
                id: unique,
                level: level_number(level),
                title: text,
            });
            i = j;
        }
        i += 1;
    }
    headings
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// The headings of a page, with the ids the rendered page will have.
pub fn headings(body: &str) -> Vec<Heading> {
    outline(body).headings
}

/// What the site must know of a body before rendering any page: its
/// headings (link targets) and its internal links (to check).
#[derive(Debug, Clone, Default)]
pub struct Outline {
    pub headings: Vec<Heading>,
    /// Internal links (`@/…`) with the byte offset of each destination in the body.
    pub links: Vec<(String, usize)>,
    /// Code spans, code blocks and raw HTML, as byte ranges of the body:
    /// rule references and the typed-rule check leave them alone.
    pub code: Vec<std::ops::Range<usize>>,
}

/// Headings and internal links in one pass, so links are checked at load
/// time without keeping rendered bodies around.
pub fn outline(body: &str) -> Outline {
    let mut events: Vec<_> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let headings = with_heading_ids(&mut events);
    let links = events
        .iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. }) if dest_url.starts_with("@/") => {
                Some((dest_url.to_string(), link_offset(body, dest_url, range)))
            }
            _ => None,
        })
        .collect();
    let mut code: Vec<std::ops::Range<usize>> = Vec::new();
    for (event, range) in &events {
        let is_code = matches!(
            event,
            Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock)
                | Event::Code(_)
                | Event::InlineHtml(_)
                | Event::Html(_)
        );
        // A block's inner events fall inside the block's range already.
        if is_code && code.last().is_none_or(|r| r.end < range.end) {
            code.push(range.clone());
        }
    }
    Outline {
        headings,
        links,
        code,
    }
}

/// Where a link's destination starts: diagnostics point at it, not at the link text.
fn link_offset(body: &str, dest_url: &str, range: &std::ops::Range<usize>) -> usize {
    body[range.clone()]
        .find(dest_url)
        .map(|i| range.start + i)
        .unwrap_or(range.start)
}

/// A body parsed once, ready to be written as HTML more than once: the
/// English fallback of a page is its Chinese body with English links.
pub struct Parsed<'a> {
    body: &'a str,
    events: Vec<(Event<'a>, std::ops::Range<usize>)>,
    pub headings: Vec<Heading>,
}

/// Parses a body and gives its headings their ids.
pub fn parse(body: &str) -> Parsed<'_> {
    let mut events: Vec<_> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let headings = with_heading_ids(&mut events);
    Parsed {
        body,
        events,
        headings,
    }
}

impl Parsed<'_> {
    /// The HTML; `resolve` turns an internal link (`@/…`, given with its
    /// byte offset in the body) into a URL, or `None` after recording why not.
    pub fn html(&self, resolve: &mut dyn FnMut(&str, usize) -> Option<String>) -> String {
        let events = self.events.iter().map(|(event, range)| match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if dest_url.starts_with("@/") => {
                let at = link_offset(self.body, dest_url, range);
                let url = resolve(dest_url, at).unwrap_or_else(|| "#".to_string());
                Event::Start(Tag::Link {
                    link_type: *link_type,
                    dest_url: CowStr::from(url),
                    title: title.clone(),
                    id: id.clone(),
                })
            }
            _ => event.clone(),
        });
        let mut out = String::with_capacity(self.body.len() * 3 / 2);
        html::push_html(&mut out, events);
        out
    }
}

/// A rendered page body.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
}

/// Renders a body; `resolve` turns an internal link (`@/…`, given with its
/// byte offset in `body`) into a URL, or `None` after recording why not.
pub fn render(body: &str, resolve: &mut dyn FnMut(&str, usize) -> Option<String>) -> Rendered {
    let parsed = parse(body);
    Rendered {
        html: parsed.html(resolve),
        headings: parsed.headings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_cjk_and_join_words() {
        assert_eq!(slugify("Time limits & holidays"), "time-limits-holidays");
        assert_eq!(slugify("办理时限（工作日）"), "办理时限-工作日");
        assert_eq!(slugify("What's new?"), "whats-new");
        assert_eq!(slugify("!!!"), "section");
    }

    #[test]
    fn headings_get_unique_ids_and_explicit_ids_win() {
        let r = render("# 投诉\n\n## 投诉\n\n## Steps {#steps}\n", &mut |_, _| None);
        let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["投诉", "投诉-1", "steps"]);
        assert!(r.html.contains("<h2 id=\"投诉-1\">投诉</h2>"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"steps\">Steps</h2>"), "{}", r.html);
    }

    #[test]
    fn internal_links_go_through_the_resolver_with_their_offset() {
        let body = "See [limits](@/policies/time-limits.md#reply) and [out](https://example.org).";
        let mut seen = Vec::new();
        let r = render(body, &mut |link, at| {
            seen.push((link.to_string(), at));
            Some("/policies/time-limits/#reply".into())
        });
        assert_eq!(seen, [("@/policies/time-limits.md#reply".to_string(), 13)]);
        assert!(r.html.contains("href=\"/policies/time-limits/#reply\""));
        assert!(r.html.contains("href=\"https://example.org\""));
    }

    #[test]
    fn tables_and_footnotes_render() {
        let r = render(
            "|a|b|\n|-|-|\n|1|2|\n\nText[^1].\n\n[^1]: Note.\n",
            &mut |_, _| None,
        );
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("footnote-definition"));
    }
}
