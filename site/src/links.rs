//! Internal links (`@/path.md#anchor`): checked at load in both languages,
//! resolved to URLs when a page is rendered.

use crate::content::Content;
use crate::frontmatter::Layout;
use crate::markdown::Heading;
use casework::diagnostic::{Severity, SourceFile};
use casework::{Diagnostic, Lang};

/// Anchors that layouts add after the editor's text.
fn layout_anchors(layout: Option<Layout>) -> &'static [&'static str] {
    match layout {
        Some(Layout::TimeLimits) => &["case-types", "severities", "holidays"],
        Some(Layout::ComplaintForm) => &["complaint-form"],
        Some(Layout::Status) => &["status-form", "status-result"],
        Some(Layout::Thanks) | None => &[],
    }
}

/// Checks every internal link and anchor, in both languages: a page shown
/// in English resolves its links against the English pages.
pub(crate) fn check_links(content: &Content, diagnostics: &mut Vec<Diagnostic>) {
    let found = crate::parallel::map(&content.entries, |entry| {
        let mut found = Vec::new();
        for lang in Lang::ALL {
            let doc = entry.doc(lang);
            for (link, at) in &doc.links {
                if let Err((message, hint)) = resolve_link(content, link, lang) {
                    found.push(SourceFile::new(&doc.file, &doc.text).diagnostic(
                        Severity::Error,
                        doc.body_offset + at,
                        message,
                        Some(hint),
                    ));
                }
            }
        }
        found
    });
    diagnostics.extend(found.into_iter().flatten());
}

/// `@/path.md#anchor` → the URL of that page in `lang`, or what is wrong.
pub fn resolve_link(content: &Content, link: &str, lang: Lang) -> Result<String, (String, String)> {
    let target = link.trim_start_matches("@/");
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let key = path
        .strip_suffix(".en.md")
        .map(|s| format!("{s}.md"))
        .unwrap_or_else(|| path.to_string());
    let Some(entry) = content.get(&key) else {
        let hint = if content.drafts.contains(&key) {
            "that page is a draft; publish it (remove `draft = true`) or drop the link".to_string()
        } else {
            "internal links name a file under content/, e.g. @/policies/time-limits.md".to_string()
        };
        return Err((
            format!("link to a page that does not exist: `{link}`"),
            hint,
        ));
    };
    let url = entry.url(lang);
    match anchor {
        None | Some("") => Ok(url),
        Some(anchor) => {
            let doc = entry.doc(lang);
            let known = doc.headings.iter().any(|h: &Heading| h.id == anchor)
                || layout_anchors(doc.front.layout).contains(&anchor);
            if known {
                Ok(format!("{url}#{anchor}"))
            } else {
                let ids: Vec<&str> = doc.headings.iter().map(|h| h.id.as_str()).collect();
                Err((
                    format!("`{}` has no heading `#{anchor}`", doc.file.display()),
                    if ids.is_empty() {
                        "that page has no headings".to_string()
                    } else {
                        format!("its headings are: {}", ids.join(", "))
                    },
                ))
            }
        }
    }
}
