//! A department's queue page, behind the signed link in its digest mail:
//! its open cases, soonest deadline first, each with the case's action
//! links; the office's page puts what waits for the office itself (cases
//! sent back, requests to extend) on top. Public data of each case only
//! ([`PublicStatus`]) and the links; no complainant, and for a
//! whistle-blowing report not even the links (those reach its designated
//! staff by their own mail). Which cases are listed is the handler's
//! (`crate::queue`); this module only writes them.

use super::{escape, w};
use crate::shell::PageShells;
use crate::status::PublicStatus;
use casework::Lang;
use casework::action_token::Action;
use casework::wording::say_with;
use std::fmt::Write;

/// One case as its queue shows it.
pub struct QueueItem {
    pub status: PublicStatus,
    /// The soonest deadline not yet met, as the office's local time.
    pub next_deadline: Option<(String, String)>,
    /// Why the office sees it on top: sent back, or an extension asked
    /// (the new date asked for, local).
    pub sent_back: bool,
    pub extension_asked: Option<String>,
    /// The case's action links for this department, in the mail's order;
    /// empty when the viewer may not act on it from here.
    pub links: Vec<(Action, String)>,
    /// The office's page only: the office's own links on it (re-route,
    /// hand back, decide an extension, merge a repeat), as (label, URL);
    /// a case with any is on top.
    pub office_links: Vec<(String, String)>,
    /// A whistle-blowing report: listed without links.
    pub report: bool,
}

/// What the page is for.
pub struct QueueView<'a> {
    /// The department's name in the page's language.
    pub department: &'a str,
    /// The office's page: the department column and the top section.
    pub office: bool,
    /// When the link stops working, the office's local day.
    pub valid_until: &'a str,
    /// Soonest deadline first; the handler sorts.
    pub items: &'a [QueueItem],
}

pub fn queue_page(shells: &PageShells, lang: Lang, view: &QueueView<'_>) -> String {
    let title = say_with(
        "pages.queue_title",
        lang,
        &[("department", view.department.to_string())],
    );
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(&title));
    let intro = say_with(
        "pages.queue_intro",
        lang,
        &[("day", view.valid_until.to_string())],
    );
    let _ = writeln!(page, "<p>{}</p>", escape(&intro));
    let (first, rest): (Vec<&QueueItem>, Vec<&QueueItem>) = view.items.iter().partition(|i| {
        view.office && (i.sent_back || i.extension_asked.is_some() || !i.office_links.is_empty())
    });
    if view.office {
        section(
            &mut page,
            lang,
            w(lang, "pages.queue_office_first"),
            &first,
            view,
        );
    }
    section(
        &mut page,
        lang,
        w(lang, "pages.queue_all_open"),
        &rest,
        view,
    );
    shells.wrap(lang, &title, &page)
}

fn section(page: &mut String, lang: Lang, heading: &str, items: &[&QueueItem], view: &QueueView) {
    let _ = writeln!(page, "<section>\n<h2>{}</h2>", escape(heading));
    if items.is_empty() {
        let _ = writeln!(page, "<p>{}</p>", escape(w(lang, "pages.queue_empty")));
    } else {
        let _ = writeln!(page, "<ol class=\"queue\">");
        for item in items {
            entry(page, lang, item, view.office);
        }
        let _ = writeln!(page, "</ol>");
    }
    let _ = writeln!(page, "</section>");
}

fn entry(page: &mut String, lang: Lang, item: &QueueItem, office: bool) {
    let s = &item.status;
    let _ = writeln!(page, "<li>\n<h3>{}</h3>\n<dl>", escape(&s.tracking));
    let mut field = |label: &str, value: &str| {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
    };
    field(w(lang, "pages.stage"), &s.stage.name);
    if office {
        field(w(lang, "pages.department"), &s.department);
    }
    field(w(lang, "pages.received_on"), &s.received_on.to_string());
    if let Some((name, at)) = &item.next_deadline {
        field(name, at);
    }
    if let Some(day) = &item.extension_asked {
        field(w(lang, "pages.queue_extension_asked"), day);
    }
    let _ = writeln!(page, "</dl>");
    if item.sent_back {
        let _ = writeln!(page, "<p>{}</p>", escape(w(lang, "pages.queue_sent_back")));
    }
    if !item.office_links.is_empty() {
        let office = item
            .office_links
            .iter()
            .map(|(l, u)| (l.as_str(), u.as_str()));
        link_list(
            page,
            w(lang, "pages.queue_office_actions"),
            &s.tracking,
            office,
        );
    }
    if item.report {
        let _ = writeln!(page, "<p>{}</p>", escape(w(lang, "pages.queue_report")));
    } else if !item.links.is_empty() {
        let own = item
            .links
            .iter()
            .map(|(a, u)| (super::action_title(lang, *a), u.as_str()));
        link_list(page, w(lang, "pages.queue_actions"), &s.tracking, own);
    }
    let _ = writeln!(page, "</li>");
}

/// A case's list of action links, labelled "`label` `tracking`".
fn link_list<'a>(
    page: &mut String,
    label: &str,
    tracking: &str,
    links: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let _ = writeln!(
        page,
        "<ul class=\"actions\" aria-label=\"{}\">",
        escape(&format!("{label} {tracking}"))
    );
    for (text, url) in links {
        let _ = writeln!(
            page,
            "<li><a href=\"{}\">{}</a></li>",
            escape(url),
            escape(text)
        );
    }
    let _ = writeln!(page, "</ul>");
}
