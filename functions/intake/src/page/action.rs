//! The pages behind the signed links in mails: a department's action forms,
//! the complainant's survey, and the page after either. Public data only:
//! what [`PublicStatus`] holds, so a forwarded page leaks nothing.

use super::{escape, w};
use crate::shell::PageShells;
use crate::status::PublicStatus;
use casework::Lang;
use casework::action_token::{Action, RATINGS, rating_slug};
use casework::lifecycle::Satisfaction;
use casework::wording::say_with;
use std::fmt::Write;

/// What someone typed into an action or survey form, kept to show again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    /// Send back, extend and reject: why.
    pub reason: String,
    /// Reply: the text, which becomes the public status note.
    pub text: String,
    /// Extend: the new completion date as typed (`YYYY-MM-DD`).
    pub new_due: String,
    /// Close: the outcome.
    pub outcome: String,
    /// Raise the severity: the id of the one chosen.
    pub severity: String,
    /// Survey: the rating chosen, the comment, and whether to reopen.
    pub rating: Option<Satisfaction>,
    pub comment: String,
    pub reopen: bool,
    /// Re-route: the department chosen (pre-selected from the mail's link).
    pub department: String,
    /// Extension decision: `approve` or `refuse` (pre-selected likewise).
    pub decision: String,
    /// Re-route, hand back and the extension decision: the office's note.
    pub note: String,
    /// Merge: the tracking number of the case to merge into.
    pub into: String,
}

/// One of the forms behind the links in mails.
pub struct ActionForm<'a> {
    pub action: Action,
    pub status: &'a PublicStatus,
    /// The case version the form was shown for: the change is made only if
    /// nobody changed the case in between.
    pub version: u64,
    pub input: &'a ActionInput,
    /// Problems to show above the form: the field it is about (if any) and
    /// the message, in the page's language.
    pub problems: &'a [(Option<&'static str>, String)],
    /// Extend: the current completion date and the latest one allowed.
    pub extension_window: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// Survey: an unsatisfied complainant may ask for the case to be handled
    /// again (`reopen` rule); under `escalate` the rating itself does it.
    pub complainant_may_reopen: bool,
    /// Raise the severity: the ones above the case's, lowest first, as
    /// (id, name, description) in the page's language.
    pub higher_severities: Vec<(String, String, String)>,
    /// Re-route: the departments the case can go to, as (id, name).
    pub departments: Vec<(String, String)>,
    /// Re-route and hand back: why the department sent the case back.
    pub sent_back_reason: Option<String>,
    /// Extension decision: the request's reason and the date asked for.
    pub extension_request: Option<(String, chrono::NaiveDate)>,
}

/// The title of an action's page.
pub fn action_title(lang: Lang, action: Action) -> &'static str {
    match action {
        Action::Accept => w(lang, "pages.title_accept"),
        Action::SendBack => w(lang, "pages.title_send_back"),
        Action::Reply => w(lang, "pages.title_reply"),
        Action::Extend => w(lang, "pages.title_extend"),
        Action::Close => w(lang, "pages.title_close"),
        Action::Reject => w(lang, "pages.title_reject"),
        Action::RaiseSeverity => w(lang, "pages.title_raise_severity"),
        Action::Survey => w(lang, "pages.title_survey"),
        Action::Evidence => w(lang, "pages.files"),
        Action::Ask => w(lang, "pages.title_ask"),
        Action::CasePage => w(lang, "pages.case_page_title"),
        Action::Reroute => w(lang, "pages.title_reroute"),
        Action::HandBack => w(lang, "pages.title_hand_back"),
        Action::DecideExtension => w(lang, "pages.title_decide_extension"),
        Action::Merge => w(lang, "pages.title_merge"),
    }
}

/// A read-only line above a form: what the office decides on.
fn given(page: &mut String, label: &str, value: &str) {
    let _ = writeln!(
        page,
        "<p><strong>{}</strong> {}</p>",
        escape(label),
        escape(value)
    );
}

/// A group of radio buttons named `name`, one per (value, label).
fn choice(
    page: &mut String,
    name: &str,
    legend: &str,
    options: &[(String, String)],
    chosen: &str,
    problems: &[(Option<&'static str>, String)],
) {
    let invalid = if problems.iter().any(|(f, _)| *f == Some(name)) {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<fieldset id=\"{name}\"{invalid}>\n<legend>{}</legend>",
        escape(legend)
    );
    for (value, label) in options {
        let checked = if chosen == value { " checked" } else { "" };
        let _ = writeln!(
            page,
            "<label for=\"{name}-{v}\"><input type=\"radio\" id=\"{name}-{v}\" name=\"{name}\" value=\"{v}\"{checked}> {}</label>",
            escape(label),
            v = escape(value)
        );
    }
    page.push_str("</fieldset>\n");
}

fn rating_name(lang: Lang, rating: Satisfaction) -> &'static str {
    match rating {
        Satisfaction::VerySatisfied => w(lang, "pages.very_satisfied"),
        Satisfaction::Satisfied => w(lang, "pages.satisfied"),
        Satisfaction::Neutral => w(lang, "pages.neutral"),
        Satisfaction::Dissatisfied => w(lang, "pages.dissatisfied"),
        Satisfaction::VeryDissatisfied => w(lang, "pages.very_dissatisfied"),
    }
}

/// The case as the form's reader needs it: number, stage, department,
/// deadlines. Public data only, so a forwarded page leaks nothing.
fn case_summary(page: &mut String, lang: Lang, status: &PublicStatus) {
    page.push_str("<dl>\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row(w(lang, "pages.tracking_number"), &status.tracking);
    row(w(lang, "pages.stage"), &status.stage.name);
    row(w(lang, "pages.department"), &status.department);
    for d in &status.deadlines {
        let done = if d.met {
            w(lang, "pages.deadline_done")
        } else {
            ""
        };
        row(&d.name, &format!("{}{done}", d.due_on));
    }
    if let Some(reply) = &status.reply {
        row(w(lang, "pages.reply"), reply);
    }
    page.push_str("</dl>\n");
}

fn problem_summary(page: &mut String, lang: Lang, problems: &[(Option<&'static str>, String)]) {
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<div class=\"summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"summary-title\">\n<h2 id=\"summary-title\">{}</h2>\n<ul>",
        w(lang, "pages.problems")
    );
    for (field, message) in problems {
        match field {
            Some(name) => {
                let _ = writeln!(page, "<li><a href=\"#{name}\">{}</a></li>", escape(message));
            }
            None => {
                let _ = writeln!(page, "<li>{}</li>", escape(message));
            }
        }
    }
    page.push_str("</ul>\n</div>\n");
}

fn textarea(
    page: &mut String,
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    problems: &[(Option<&'static str>, String)],
) {
    let invalid = problems.iter().any(|(f, _)| *f == Some(name));
    let _ = writeln!(page, "<label for=\"{name}\">{}</label>", escape(label));
    let mut described = Vec::new();
    if let Some(hint) = hint {
        let _ = writeln!(page, "<p id=\"{name}-hint\">{}</p>", escape(hint));
        described.push(format!("{name}-hint"));
    }
    if invalid {
        described.push("summary-title".to_string());
    }
    let aria = if described.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{}\"", described.join(" "))
    };
    let invalid = if invalid {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<textarea id=\"{name}\" name=\"{name}\" rows=\"6\"{aria}{invalid}>{}</textarea>",
        escape(value)
    );
}

/// A department's action form, or the complainant's survey. The form posts
/// to the page's own address, which carries the signed token.
pub fn action_form_page(shells: &PageShells, lang: Lang, form: &ActionForm) -> String {
    let title = action_title(lang, form.action);
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    problem_summary(&mut page, lang, form.problems);
    case_summary(&mut page, lang, form.status);
    page.push_str("<form method=\"post\" accept-charset=\"utf-8\">\n");
    let input = form.input;
    match form.action {
        Action::Accept => {
            let _ = writeln!(page, "<p>{}</p>", w(lang, "pages.accept_explained"));
        }
        Action::SendBack => textarea(
            &mut page,
            "reason",
            w(lang, "pages.send_back_reason"),
            Some(w(lang, "pages.send_back_hint")),
            &input.reason,
            form.problems,
        ),
        Action::Reply => textarea(
            &mut page,
            "text",
            w(lang, "pages.reply_text"),
            Some(w(lang, "pages.reply_hint")),
            &input.text,
            form.problems,
        ),
        Action::Extend => {
            textarea(
                &mut page,
                "reason",
                w(lang, "pages.extend_reason"),
                Some(w(lang, "pages.extend_hint")),
                &input.reason,
                form.problems,
            );
            let (min, max) = form
                .extension_window
                .map(|(current, latest)| (current.to_string(), latest.to_string()))
                .unwrap_or_default();
            let _ = writeln!(
                page,
                "<label for=\"new_due\">{}</label>\n<p id=\"new_due-hint\">{}</p>\n<input type=\"date\" id=\"new_due\" name=\"new_due\" value=\"{}\" min=\"{}\" max=\"{}\" aria-describedby=\"new_due-hint\"{}>",
                w(lang, "pages.new_due"),
                escape(&say_with(
                    "pages.extension_window",
                    lang,
                    &[("min", min.clone()), ("max", max.clone())]
                )),
                escape(&input.new_due),
                escape(&min),
                escape(&max),
                if form.problems.iter().any(|(f, _)| *f == Some("new_due")) {
                    " aria-invalid=\"true\""
                } else {
                    ""
                }
            );
        }
        Action::Close => textarea(
            &mut page,
            "outcome",
            w(lang, "pages.outcome"),
            Some(w(lang, "pages.outcome_hint")),
            &input.outcome,
            form.problems,
        ),
        Action::Reject => textarea(
            &mut page,
            "reason",
            w(lang, "pages.reject_reason"),
            Some(w(lang, "pages.reject_hint")),
            &input.reason,
            form.problems,
        ),
        Action::Ask => textarea(
            &mut page,
            "text",
            w(lang, "pages.ask_question"),
            Some(w(lang, "pages.ask_hint")),
            &input.text,
            form.problems,
        ),
        // Files are downloaded, never acted on through a form; the case
        // page is its own page.
        Action::Evidence | Action::CasePage => {}
        Action::Reroute => {
            if let Some(reason) = &form.sent_back_reason {
                given(&mut page, w(lang, "pages.sent_back_reason"), reason);
            }
            choice(
                &mut page,
                "department",
                w(lang, "pages.reroute_to"),
                &form.departments,
                &input.department,
                form.problems,
            );
            textarea(
                &mut page,
                "note",
                w(lang, "pages.office_note"),
                Some(w(lang, "pages.reroute_note_hint")),
                &input.note,
                form.problems,
            );
        }
        Action::Merge => {
            let invalid = if form.problems.iter().any(|(f, _)| *f == Some("into")) {
                " aria-invalid=\"true\""
            } else {
                ""
            };
            let _ = writeln!(
                page,
                "<p id=\"into-hint\">{}</p>\n<label for=\"into\">{}</label>\n<input type=\"text\" id=\"into\" name=\"into\" value=\"{}\" autocomplete=\"off\" aria-describedby=\"into-hint\"{invalid}>",
                escape(w(lang, "pages.merge_explained")),
                escape(w(lang, "pages.merge_into")),
                escape(&input.into)
            );
        }
        Action::HandBack => {
            if let Some(reason) = &form.sent_back_reason {
                given(&mut page, w(lang, "pages.sent_back_reason"), reason);
            }
            textarea(
                &mut page,
                "note",
                w(lang, "pages.hand_back_note"),
                Some(w(lang, "pages.hand_back_hint")),
                &input.note,
                form.problems,
            );
        }
        Action::DecideExtension => {
            if let Some((reason, new_due)) = &form.extension_request {
                given(&mut page, w(lang, "pages.extension_reason"), reason);
                given(
                    &mut page,
                    w(lang, "pages.extension_asked_until"),
                    &new_due.to_string(),
                );
            }
            let options = [
                (
                    "approve".to_string(),
                    w(lang, "pages.extension_approve").to_string(),
                ),
                (
                    "refuse".to_string(),
                    w(lang, "pages.extension_refuse").to_string(),
                ),
            ];
            choice(
                &mut page,
                "decision",
                w(lang, "pages.extension_decision"),
                &options,
                &input.decision,
                form.problems,
            );
            textarea(
                &mut page,
                "note",
                w(lang, "pages.office_note"),
                Some(w(lang, "pages.extension_note_hint")),
                &input.note,
                form.problems,
            );
        }
        Action::RaiseSeverity => {
            let invalid = form.problems.iter().any(|(f, _)| *f == Some("severity"));
            let _ = writeln!(
                page,
                "<fieldset id=\"severity\" aria-describedby=\"severity-hint\"{}>\n<legend>{}</legend>\n<p id=\"severity-hint\">{}</p>",
                if invalid {
                    " aria-invalid=\"true\""
                } else {
                    ""
                },
                w(lang, "pages.new_severity"),
                w(lang, "pages.severity_hint")
            );
            for (id, name, description) in &form.higher_severities {
                let checked = if input.severity == *id {
                    " checked"
                } else {
                    ""
                };
                let _ = writeln!(
                    page,
                    "<label for=\"severity-{id}\"><input type=\"radio\" id=\"severity-{id}\" name=\"severity\" value=\"{id}\"{checked}> {}</label>\n<p>{}</p>",
                    escape(name),
                    escape(description),
                    id = escape(id)
                );
            }
            page.push_str("</fieldset>\n");
        }
        Action::Survey => {
            let _ = writeln!(
                page,
                "<fieldset id=\"rating\">\n<legend>{}</legend>",
                w(lang, "pages.rating")
            );
            for r in RATINGS {
                let slug = rating_slug(r);
                let checked = if input.rating == Some(r) {
                    " checked"
                } else {
                    ""
                };
                let _ = writeln!(
                    page,
                    "<label for=\"rating-{slug}\"><input type=\"radio\" id=\"rating-{slug}\" name=\"rating\" value=\"{slug}\"{checked}> {}</label>",
                    rating_name(lang, r)
                );
            }
            page.push_str("</fieldset>\n");
            textarea(
                &mut page,
                "comment",
                w(lang, "pages.comment"),
                None,
                &input.comment,
                form.problems,
            );
            if form.complainant_may_reopen {
                let checked = if input.reopen { " checked" } else { "" };
                let _ = writeln!(
                    page,
                    "<label for=\"reopen\"><input type=\"checkbox\" id=\"reopen\" name=\"reopen\"{checked}> {}</label>",
                    w(lang, "pages.reopen")
                );
            } else {
                let _ = writeln!(page, "<p>{}</p>", w(lang, "pages.escalates"));
            }
        }
    }
    let _ = writeln!(
        page,
        "<input type=\"hidden\" name=\"version\" value=\"{}\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        form.version,
        lang.code()
    );
    let button = match form.action {
        Action::Accept => w(lang, "pages.button_accept"),
        Action::SendBack => w(lang, "pages.button_send_back"),
        Action::Reply => w(lang, "pages.button_reply"),
        Action::Extend => w(lang, "pages.button_extend"),
        Action::Close => w(lang, "pages.button_close"),
        Action::Reject => w(lang, "pages.button_reject"),
        Action::RaiseSeverity => w(lang, "pages.button_raise_severity"),
        Action::Ask => w(lang, "pages.button_ask"),
        Action::Reroute => w(lang, "pages.button_reroute"),
        Action::HandBack => w(lang, "pages.button_hand_back"),
        Action::DecideExtension => w(lang, "pages.button_decide"),
        Action::Merge => w(lang, "pages.button_merge"),
        Action::Survey | Action::Evidence | Action::CasePage => w(lang, "pages.button_survey"),
    };
    let _ = writeln!(
        page,
        "<p><button type=\"submit\">{button}</button></p>\n</form>"
    );
    shells.wrap(lang, title, &page)
}

/// After an action or a rating: what happened, and the case as it is now.
pub fn action_done_page(
    shells: &PageShells,
    lang: Lang,
    action: Action,
    status: &PublicStatus,
    messages: &[&str],
) -> String {
    let title = action_title(lang, action);
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let _ = writeln!(page, "<div role=\"status\">");
    for m in messages {
        let _ = writeln!(page, "<p>{}</p>", escape(m));
    }
    page.push_str("</div>\n");
    case_summary(&mut page, lang, status);
    shells.wrap(lang, title, &page)
}
