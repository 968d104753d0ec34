//! The HTML pages the API serves itself: the no-JS form shown again, the
//! status page and its lookup form, a message page, and the pages behind
//! the signed links in mails (a department's action forms, the survey:
//! [`action`]).
//! Each is written as main content and put into the site's shell
//! ([`PageShells`]); no scripts, and every value is escaped here with
//! casework's one escaper. The wording is the `[pages]` section of the
//! strings table (`site/theme/messages.toml`, read by
//! [`casework::wording`]).

use crate::shell::PageShells;
use crate::status::PublicStatus;
use casework::Lang;
use casework::submission::{Field, FieldError, RawSubmission};
use casework::wording::say;
use http::StatusCode;
use std::fmt::Write;

// Kept under its old name for the callers that use `page::escape`.
pub use casework::letter::escape_html as escape;

mod action;
pub use action::{ActionForm, ActionInput, action_done_page, action_form_page, action_title};
mod queue;
pub use queue::{QueueItem, QueueView, queue_page};

/// The page wording for `key` in `lang`, from the strings table.
fn w(lang: Lang, key: &str) -> &'static str {
    say(key).get(lang)
}

/// The form again in the built-in look (see [`form_page`]).
pub fn default_form_page(lang: Lang, raw: &RawSubmission, errors: &[FieldError]) -> String {
    form_page(&PageShells::builtin(), lang, raw, errors)
}

/// The form again: an error summary whose entries link to their fields,
/// then every field refilled with what was typed.
pub fn form_page(
    shells: &PageShells,
    lang: Lang,
    raw: &RawSubmission,
    errors: &[FieldError],
) -> String {
    let title = w(lang, "pages.form_title");
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    if !errors.is_empty() {
        let _ = writeln!(
            page,
            "<div class=\"summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"summary-title\">\n<h2 id=\"summary-title\">{}</h2>\n<ul>",
            w(lang, "pages.form_errors")
        );
        for e in errors {
            let message = escape(e.message.get(lang));
            if e.field == Field::Form {
                let _ = writeln!(page, "<li>{message}</li>");
            } else {
                let _ = writeln!(
                    page,
                    "<li><a href=\"#{}\">{message}</a></li>",
                    e.field.name()
                );
            }
        }
        page.push_str("</ul>\n</div>\n");
    }
    if errors.iter().any(|e| e.field == Field::Evidence) {
        page.push_str(
            "<form method=\"post\" accept-charset=\"utf-8\" enctype=\"multipart/form-data\">\n",
        );
    } else {
        page.push_str("<form method=\"post\" accept-charset=\"utf-8\">\n");
    }
    let text = |page: &mut String, field: Field, key: &str, value: &Option<String>, multi: bool| {
        let name = field.name();
        let label = w(lang, key);
        let own: Vec<&FieldError> = errors.iter().filter(|e| e.field == field).collect();
        let described = if own.is_empty() {
            String::new()
        } else {
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
        };
        let _ = writeln!(page, "<label for=\"{name}\">{}</label>", escape(label));
        if !own.is_empty() {
            let messages: Vec<String> = own.iter().map(|e| escape(e.message.get(lang))).collect();
            let _ = writeln!(
                page,
                "<p class=\"error\" id=\"{name}-error\">{}</p>",
                messages.join(" ")
            );
        }
        let value = escape(value.as_deref().unwrap_or(""));
        if multi {
            let _ = writeln!(
                page,
                "<textarea id=\"{name}\" name=\"{name}\" rows=\"6\"{described}>{value}</textarea>"
            );
        } else {
            let _ = writeln!(
                page,
                "<input id=\"{name}\" name=\"{name}\" value=\"{value}\"{described}>"
            );
        }
    };
    text(
        &mut page,
        Field::CaseType,
        "pages.field_case_type",
        &raw.case_type,
        false,
    );
    text(
        &mut page,
        Field::Category,
        "pages.field_category",
        &raw.category,
        false,
    );
    text(&mut page, Field::Name, "pages.field_name", &raw.name, false);
    text(
        &mut page,
        Field::Phone,
        "pages.field_phone",
        &raw.phone,
        false,
    );
    text(
        &mut page,
        Field::Email,
        "pages.field_email",
        &raw.email,
        false,
    );
    let checked = if raw.anonymous == Some(true) {
        " checked"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<label for=\"anonymous\"><input type=\"checkbox\" id=\"anonymous\" name=\"anonymous\"{checked}> {}</label>",
        w(lang, "pages.form_anonymous")
    );
    if let Some(e) = errors.iter().find(|e| e.field == Field::Anonymous) {
        let _ = writeln!(
            page,
            "<p class=\"error\" id=\"anonymous-error\">{}</p>",
            escape(e.message.get(lang))
        );
    }
    text(
        &mut page,
        Field::Subject,
        "pages.field_subject",
        &raw.subject,
        false,
    );
    text(
        &mut page,
        Field::Location,
        "pages.field_location",
        &raw.location,
        true,
    );
    text(
        &mut page,
        Field::OccurredOn,
        "pages.field_occurred_on",
        &raw.occurred_on,
        false,
    );
    // This page has no rulebook: the site's form offers the date where the
    // rulebook lets a complainant name one, so it comes back when typed.
    if raw.needed_by.is_some() || errors.iter().any(|e| e.field == Field::NeededBy) {
        text(
            &mut page,
            Field::NeededBy,
            "pages.field_needed_by",
            &raw.needed_by,
            false,
        );
    }
    text(
        &mut page,
        Field::Description,
        "pages.field_description",
        &raw.description,
        true,
    );
    // Files come back only as a field to choose them again, when the
    // visitor sent some (the errors say so).
    let file_errors: Vec<&FieldError> = errors
        .iter()
        .filter(|e| e.field == Field::Evidence)
        .collect();
    if !file_errors.is_empty() {
        let messages: Vec<String> = file_errors
            .iter()
            .map(|e| escape(e.message.get(lang)))
            .collect();
        let _ = writeln!(
            page,
            "<label for=\"evidence\">{}</label>\n<p class=\"error\" id=\"evidence-error\">{}</p>\n<input type=\"file\" id=\"evidence\" name=\"evidence\" multiple aria-invalid=\"true\" aria-describedby=\"evidence-error\">",
            escape(w(lang, "pages.field_evidence")),
            messages.join(" ")
        );
    }
    text(
        &mut page,
        Field::DesiredOutcome,
        "pages.field_desired_outcome",
        &raw.desired_outcome,
        true,
    );
    let _ = writeln!(
        page,
        "<input type=\"hidden\" name=\"language\" value=\"{}\">",
        lang.code()
    );
    if let Some(key) = &raw.idempotency_key {
        // The same key again, so sending twice still makes one case.
        let _ = writeln!(
            page,
            "<input type=\"hidden\" name=\"idempotency_key\" value=\"{}\">",
            escape(key)
        );
    }
    let _ = writeln!(
        page,
        "<div class=\"hp\" aria-hidden=\"true\"><label for=\"website\">Website</label><input id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>"
    );
    let _ = writeln!(
        page,
        "<p><button type=\"submit\">{}</button></p>\n</form>",
        w(lang, "pages.form_send")
    );
    shells.wrap(lang, title, &page)
}

/// A case's public status, for people.
pub fn status_page(
    shells: &PageShells,
    lang: Lang,
    status: &PublicStatus,
    lookup_url: &str,
) -> String {
    let title = w(lang, "pages.status_title");
    let mut page = String::new();
    let _ = writeln!(
        page,
        "<h1>{} {}</h1>",
        escape(title),
        escape(&status.tracking)
    );
    if let Some(together) = &status.handled_together {
        let _ = writeln!(page, "<p>{}</p>", escape(together));
    }
    let _ = writeln!(page, "<dl>");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row(w(lang, "pages.stage"), &status.stage.name);
    row(
        w(lang, "pages.received_on"),
        &status.received_on.to_string(),
    );
    row(w(lang, "pages.department"), &status.department);
    if let Some(closed) = status.closed_on {
        row(w(lang, "pages.closed_on"), &closed.to_string());
    }
    if status.files > 0 {
        row(w(lang, "pages.files"), &status.files.to_string());
    }
    page.push_str("</dl>\n");
    if !status.deadlines.is_empty() {
        let _ = writeln!(
            page,
            "<table>\n<caption>{}</caption>\n<tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr>",
            w(lang, "pages.time_limits"),
            w(lang, "pages.step"),
            w(lang, "pages.due_by"),
            w(lang, "pages.done")
        );
        for d in &status.deadlines {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.name),
                d.due_on,
                if d.met {
                    w(lang, "pages.yes")
                } else {
                    w(lang, "pages.no")
                }
            );
        }
        page.push_str("</table>\n");
    }
    if let Some(reply) = &status.reply {
        let _ = writeln!(
            page,
            "<h2>{}</h2>\n<p>{}</p>",
            w(lang, "pages.reply"),
            escape(reply)
        );
    }
    lookup_form(&mut page, lang, lookup_url, "");
    shells.wrap(lang, &format!("{title} {}", status.tracking), &page)
}

/// The answer to a form posted without JavaScript: the tracking number,
/// the receipt code (shown here and in no URL), and where to go next.
pub fn receipt_page(
    shells: &PageShells,
    lang: Lang,
    tracking: &str,
    code: &str,
    next_steps_url: &str,
    case_page_url: &str,
    upload_forms: &str,
) -> String {
    let title = w(lang, "pages.received_title");
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        page,
        "<dl class=\"receipt\">\n<dt>{}</dt><dd><strong data-tracking-number>{}</strong></dd>\n<dt>{}</dt><dd><strong data-receipt-code>{}</strong></dd>\n</dl>",
        escape(w(lang, "pages.tracking_number")),
        escape(tracking),
        escape(w(lang, "pages.receipt_code")),
        escape(code)
    );
    let _ = writeln!(
        page,
        "<p>{}</p>",
        escape(w(lang, "pages.receipt_code_once"))
    );
    let _ = writeln!(
        page,
        "<p><a href=\"{}\">{}</a></p>\n<p><a href=\"{}\">{}</a></p>",
        escape(case_page_url),
        escape(w(lang, "pages.case_page_title")),
        escape(next_steps_url),
        escape(w(lang, "pages.what_happens_next"))
    );
    page.push_str(upload_forms);
    shells.wrap(lang, title, &page)
}

/// Forms that send files straight to the evidence bucket without
/// JavaScript: one file per form (a grant is for one file, and its policy
/// fixes the file's type), so one form per kind the rulebook takes, with
/// the first grant's fields, then that kind's, and the file last, as S3
/// requires. After the upload S3 sends the browser to the grant's
/// redirect. Empty without grants.
pub fn bucket_upload_forms(grants: &[office::upload_grant::Grant], lang: Lang) -> String {
    let Some(grant) = grants.first() else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<p>{}</p>",
        escape(w(lang, "pages.add_files")),
        escape(w(lang, "pages.bucket_upload_intro"))
    );
    for (i, (media_type, own)) in grant.types.iter().enumerate() {
        let kind = casework::rules::EvidenceType::ALL
            .iter()
            .find(|t| t.content_type() == media_type);
        let Some(kind) = kind else { continue };
        let label = w(
            lang,
            match kind {
                casework::rules::EvidenceType::Jpeg => "pages.upload_jpeg",
                casework::rules::EvidenceType::Png => "pages.upload_png",
                casework::rules::EvidenceType::Pdf => "pages.upload_pdf",
            },
        );
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"{}\" enctype=\"multipart/form-data\" class=\"bucket-upload\">",
            escape(&grant.url)
        );
        for (name, value) in grant.fields.iter().chain(own.iter()) {
            let _ = writeln!(
                out,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            );
        }
        let accept: Vec<String> = std::iter::once(kind.content_type().to_string())
            .chain(kind.extensions().iter().map(|x| format!(".{x}")))
            .collect();
        let _ = writeln!(
            out,
            "<label for=\"bucket-file-{i}\">{label}</label>\n<input id=\"bucket-file-{i}\" name=\"file\" type=\"file\" accept=\"{accept}\" required>\n<p><button type=\"submit\">{send}</button></p>\n</form>",
            label = escape(label),
            accept = escape(&accept.join(",")),
            send = escape(w(lang, "pages.upload_send")),
        );
    }
    out
}

/// A short page with one or more messages (errors on the status page).
pub fn message_page(
    shells: &PageShells,
    lang: Lang,
    status: StatusCode,
    messages: &[&str],
) -> String {
    let title = if status.is_success() {
        w(lang, "pages.status_title")
    } else {
        w(lang, "pages.not_right")
    };
    titled_message_page(shells, lang, title, messages)
}

/// A short page with a heading of its own and paragraphs of text.
pub fn titled_message_page(
    shells: &PageShells,
    lang: Lang,
    title: &str,
    messages: &[&str],
) -> String {
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    for m in messages {
        let _ = writeln!(page, "<p>{}</p>", escape(m));
    }
    shells.wrap(lang, title, &page)
}

/// The status lookup again, with what was typed and why it was not found.
pub fn lookup_page(
    shells: &PageShells,
    lang: Lang,
    lookup_url: &str,
    typed: &str,
    problem: &str,
) -> String {
    let title = w(lang, "pages.lookup_title");
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        page,
        "<div class=\"summary\" role=\"alert\"><p><a href=\"#tracking\">{}</a></p></div>",
        escape(problem)
    );
    lookup_form(&mut page, lang, lookup_url, typed);
    shells.wrap(lang, title, &page)
}

/// `text` without bidirectional embedding, override and isolate controls,
/// which echoed back would reorder the page around them (a tracking number
/// holds none; the form's other fields are cleaned by validation).
fn without_bidi_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// The no-JS status lookup: a GET to the API's `/cases?tracking=` at `lookup_url`.
fn lookup_form(page: &mut String, lang: Lang, lookup_url: &str, typed: &str) {
    let _ = writeln!(
        page,
        "<form method=\"get\" action=\"{}\">\n<label for=\"tracking\">{}</label>\n<input id=\"tracking\" name=\"tracking\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">\n<p><button type=\"submit\">{}</button></p>\n</form>",
        escape(lookup_url),
        w(lang, "pages.tracking_number"),
        escape(&without_bidi_controls(typed)),
        lang.code(),
        w(lang, "pages.look_up")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework::Localized;
    use casework::submission::ErrorCode;

    #[test]
    fn the_form_is_refilled_escaped_and_linked_to_its_errors() {
        let raw = RawSubmission {
            name: Some("<b>张三</b>".into()),
            description: Some("a \"quote\" & </textarea><script>".into()),
            anonymous: Some(true),
            idempotency_key: Some("key-12345678".into()),
            ..RawSubmission::default()
        };
        let errors = [FieldError {
            field: Field::Phone,
            code: ErrorCode::ContactMissing,
            message: Localized::new("请留下电话", "Leave a phone <number>"),
        }];
        let page = default_form_page(Lang::En, &raw, &errors);
        assert!(
            !page.contains("name=\"needed_by\""),
            "not typed, not offered here"
        );
        assert!(page.contains("value=\"&lt;b&gt;张三&lt;/b&gt;\""));
        assert!(
            page.contains("a &quot;quote&quot; &amp; &lt;/textarea&gt;&lt;script&gt;</textarea>")
        );
        assert!(!page.contains("<script>"));
        assert!(page.contains("<a href=\"#phone\">Leave a phone &lt;number&gt;</a>"));
        assert!(page.contains("aria-describedby=\"phone-error\""));
        assert!(page.contains("name=\"anonymous\" checked"));
        assert!(page.contains("value=\"key-12345678\""));
        assert!(page.contains("<html lang=\"en\">"));
    }

    /// A date the visitor typed comes back with its error, in their language.
    #[test]
    fn the_date_the_complainant_needs_it_by_comes_back_as_typed() {
        let raw = RawSubmission {
            needed_by: Some("2026-13-40".into()),
            ..RawSubmission::default()
        };
        let errors = [FieldError {
            field: Field::NeededBy,
            code: ErrorCode::InvalidDate,
            message: Localized::new("请按“年-月-日”填写", "Write year-month-day"),
        }];
        let page = default_form_page(Lang::Zh, &raw, &errors);
        assert!(page.contains("<label for=\"needed_by\">希望办结日期（年-月-日）</label>"));
        assert!(page.contains("name=\"needed_by\" value=\"2026-13-40\""));
        assert!(page.contains("请按“年-月-日”填写"));
    }

    #[test]
    fn the_pages_and_api_sections_hold_exactly_the_keys_intake_asks_for() {
        use casework::wording::{sections_match, table};
        assert!(table().problems.is_empty(), "{:?}", table().problems);
        let sources = [
            include_str!("page.rs"),
            include_str!("page/action.rs"),
            include_str!("page/queue.rs"),
            include_str!("queue.rs"),
            include_str!("respond.rs"),
            include_str!("status.rs"),
            include_str!("shell.rs"),
            include_str!("actions.rs"),
            include_str!("submit.rs"),
            include_str!("evidence.rs"),
            include_str!("case_page.rs"),
            // The visitor's messages about files are worded by the core.
            include_str!("../../casework/src/evidence.rs"),
        ];
        if let Err(problem) = sections_match(&sources, &["pages", "api"]) {
            panic!("{problem}");
        }
    }
}
