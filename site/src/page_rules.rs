//! The rulebook in the pages, at load time: each page's rule references
//! replaced by their values in its language, and every reference that
//! cannot be shown and every rule typed by hand reported with
//! file:line:col and what to write instead.
//!
//! Not here: what a reference means ([`crate::references`]) or what counts
//! as a typed rule ([`crate::typed_rules`]).

use crate::content::{Content, Doc};
use crate::frontmatter::FrontMatter;
use crate::markdown::{self, Heading};
use crate::references::{self, EXAMPLE};
use crate::typed_rules;
use casework::diagnostic::{Severity, SourceFile};
use casework::{Diagnostic, Lang, Rulebook};
use std::ops::Range;

/// What loading the rulebook into one page changes and finds.
struct Outcome {
    expanded: Option<String>,
    headings: Option<Vec<Heading>>,
    front: Option<FrontMatter>,
    diagnostics: Vec<Diagnostic>,
}

/// Expands the references of every page and reports what is wrong.
pub(crate) fn apply(content: &mut Content, rules: &Rulebook) -> Vec<Diagnostic> {
    let outcomes = crate::parallel::map(&content.entries, |entry| {
        (
            check(&entry.zh, rules, Lang::Zh),
            entry.en.as_ref().map(|doc| check(doc, rules, Lang::En)),
        )
    });
    let mut diagnostics = Vec::new();
    for (entry, (zh, en)) in content.entries.iter_mut().zip(outcomes) {
        diagnostics.extend(put(&mut entry.zh, zh));
        if let (Some(doc), Some(en)) = (entry.en.as_mut(), en) {
            diagnostics.extend(put(doc, en));
        }
    }
    diagnostics
}

fn put(doc: &mut Doc, outcome: Outcome) -> Vec<Diagnostic> {
    if let Some(expanded) = outcome.expanded {
        doc.expanded = Some(expanded);
    }
    if let Some(headings) = outcome.headings {
        doc.headings = headings;
    }
    if let Some(front) = outcome.front {
        doc.front = front;
    }
    outcome.diagnostics
}

fn check(doc: &Doc, rules: &Rulebook, lang: Lang) -> Outcome {
    let file = SourceFile::new(&doc.file, &doc.text);
    let mut diagnostics = Vec::new();
    let mut report = |at: usize, message: String, hint: String| {
        diagnostics.push(file.diagnostic(Severity::Error, at, message, Some(hint)));
    };

    // The body: references outside code, then what is still typed.
    let body = doc.body();
    let found = references::find(body, &doc.code);
    let expanded = if found.is_empty() {
        None
    } else {
        match references::expand_markdown(rules, body, &doc.code, lang) {
            Ok(text) => Some(text),
            Err(errors) => {
                for e in errors {
                    report(doc.body_offset + e.at, e.error.message, e.error.hint);
                }
                None
            }
        }
    };
    let mut skip: Vec<Range<usize>> = doc.code.clone();
    skip.extend(found.iter().map(|f| f.range.clone()));
    for typed in typed_rules::find(body, &skip) {
        let (message, hint) = typed_rules::explain(rules, &body[typed.range.clone()], typed.value);
        report(doc.body_offset + typed.range.start, message, hint);
    }
    for (range, path) in typed_rules::find_office_times(body, &skip, rules) {
        let (message, hint) = office_time(&body[range.clone()], path);
        report(doc.body_offset + range.start, message, hint);
    }
    for (range, paths) in typed_rules::find_evidence(body, &skip, rules) {
        let (message, hint) = evidence_limit(&body[range.clone()], &paths);
        report(doc.body_offset + range.start, message, hint);
    }

    // The front matter: its texts may refer to the rulebook too.
    let front_text = &doc.text[..doc.body_offset];
    let front_refs = references::find(front_text, &[]);
    for f in &front_refs {
        if f.inner.starts_with(EXAMPLE) {
            continue;
        }
        if let Err(e) = references::resolve(rules, f.inner, lang) {
            report(f.range.start, e.message, e.hint);
        }
    }
    let front_skip: Vec<Range<usize>> = front_refs.iter().map(|f| f.range.clone()).collect();
    for typed in typed_rules::find(front_text, &front_skip) {
        let (message, hint) =
            typed_rules::explain(rules, &front_text[typed.range.clone()], typed.value);
        report(typed.range.start, message, hint);
    }
    for (range, path) in typed_rules::find_office_times(front_text, &front_skip, rules) {
        let (message, hint) = office_time(&front_text[range.clone()], path);
        report(range.start, message, hint);
    }
    for (range, paths) in typed_rules::find_evidence(front_text, &front_skip, rules) {
        let (message, hint) = evidence_limit(&front_text[range.clone()], &paths);
        report(range.start, message, hint);
    }
    let front = (!front_refs.is_empty()).then(|| expand_front(&doc.front, rules, lang));

    Outcome {
        headings: expanded.as_deref().map(markdown::headings),
        expanded,
        front,
        diagnostics,
    }
}

fn office_time(typed: &str, path: &str) -> (String, String) {
    (
        format!(
            "`{typed}` is the office's hours typed on the page; they come from `[calendar]` in content/rules.toml"
        ),
        format!("write `{{{{ {path} }}}}`"),
    )
}

fn evidence_limit(typed: &str, paths: &[&str]) -> (String, String) {
    let refs: Vec<String> = paths.iter().map(|p| format!("`{{{{ {p} }}}}`")).collect();
    (
        format!(
            "`{typed}` is an evidence limit typed on the page; it comes from `[evidence]` in content/rules.toml"
        ),
        format!(
            "write {}, or mark a worked example as `{{{{ {EXAMPLE} {typed} }}}}`",
            refs.join(" or ")
        ),
    )
}

/// The front matter with the rulebook's values in its texts; a reference
/// that fails (reported above) stays as written.
fn expand_front(front: &FrontMatter, rules: &Rulebook, lang: Lang) -> FrontMatter {
    let plain = |s: &String| references::expand_plain(rules, s, lang).unwrap_or_else(|_| s.clone());
    let opt = |s: &Option<String>| s.as_ref().map(plain);
    let mut out = front.clone();
    out.title = plain(&front.title);
    out.description = opt(&front.description);
    if let Some(c) = out.channel.as_mut() {
        c.hours = opt(&c.hours);
        c.address = opt(&c.address);
        c.contact = opt(&c.contact);
    }
    if let Some(h) = out.hotline.as_mut() {
        h.number = plain(&h.number);
        h.hours = opt(&h.hours);
        h.after_hours = opt(&h.after_hours);
    }
    out
}
