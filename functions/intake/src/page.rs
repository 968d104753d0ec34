//! The HTML pages the API serves itself: the no-JS form shown again, the
//! status page and its lookup form, a message page, and the pages behind
//! the signed links in mails (a department's action forms, the survey).
//! Each is written as main content and put into the site's shell
//! ([`PageShells`]); no scripts, and every value is escaped here.

use crate::shell::PageShells;
use crate::status::PublicStatus;
use casework::Lang;
use casework::action_token::{Action, RATINGS, rating_slug};
use casework::lifecycle::Satisfaction;
use casework::submission::{Field, FieldError, RawSubmission};
use http::StatusCode;
use std::fmt::Write;

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
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
    let title = t(lang, "提交诉求", "Submit a case");
    let mut page = String::new();
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    if !errors.is_empty() {
        let _ = writeln!(
            page,
            "<div class=\"summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"summary-title\">\n<h2 id=\"summary-title\">{}</h2>\n<ul>",
            t(lang, "请修改以下问题", "Please correct the following")
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
    page.push_str("<form method=\"post\" accept-charset=\"utf-8\">\n");
    let text = |page: &mut String,
                field: Field,
                zh: &str,
                en: &str,
                value: &Option<String>,
                multi: bool| {
        let name = field.name();
        let label = if lang == Lang::En { en } else { zh };
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
        "事项类型",
        "Type of case",
        &raw.case_type,
        false,
    );
    text(
        &mut page,
        Field::Category,
        "事项分类",
        "Category",
        &raw.category,
        false,
    );
    text(&mut page, Field::Name, "姓名", "Name", &raw.name, false);
    text(
        &mut page,
        Field::Phone,
        "联系电话",
        "Phone",
        &raw.phone,
        false,
    );
    text(
        &mut page,
        Field::Email,
        "电子邮箱",
        "E-mail",
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
        t(lang, "匿名反映", "Stay anonymous")
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
        "反映对象",
        "Who or what it is about",
        &raw.subject,
        false,
    );
    text(
        &mut page,
        Field::Location,
        "发生地点",
        "Where it happened",
        &raw.location,
        true,
    );
    text(
        &mut page,
        Field::OccurredOn,
        "发生日期（年-月-日）",
        "Date (YYYY-MM-DD)",
        &raw.occurred_on,
        false,
    );
    text(
        &mut page,
        Field::Description,
        "具体情况",
        "What happened",
        &raw.description,
        true,
    );
    text(
        &mut page,
        Field::DesiredOutcome,
        "您的诉求",
        "What you would like",
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
        t(lang, "提交", "Send")
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
    let title = t(lang, "办理进度", "Case status");
    let mut page = String::new();
    let _ = writeln!(
        page,
        "<h1>{} {}</h1>",
        escape(title),
        escape(&status.tracking)
    );
    let _ = writeln!(page, "<dl>");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row(t(lang, "当前状态", "Stage"), &status.stage.name);
    row(
        t(lang, "收到日期", "Received"),
        &status.received_on.to_string(),
    );
    row(t(lang, "承办部门", "Department"), &status.department);
    if let Some(closed) = status.closed_on {
        row(t(lang, "办结日期", "Closed"), &closed.to_string());
    }
    page.push_str("</dl>\n");
    if !status.deadlines.is_empty() {
        let _ = writeln!(
            page,
            "<table>\n<caption>{}</caption>\n<tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr>",
            t(lang, "办理时限", "Time limits"),
            t(lang, "环节", "Step"),
            t(lang, "期限", "Due by"),
            t(lang, "完成", "Done")
        );
        for d in &status.deadlines {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.name),
                d.due_on,
                if d.met {
                    t(lang, "是", "yes")
                } else {
                    t(lang, "否", "no")
                }
            );
        }
        page.push_str("</table>\n");
    }
    if let Some(reply) = &status.reply {
        let _ = writeln!(
            page,
            "<h2>{}</h2>\n<p>{}</p>",
            t(lang, "答复", "Reply"),
            escape(reply)
        );
    }
    lookup_form(&mut page, lang, lookup_url, "");
    shells.wrap(lang, &format!("{title} {}", status.tracking), &page)
}

/// A short page with one or more messages (errors on the status page).
pub fn message_page(
    shells: &PageShells,
    lang: Lang,
    status: StatusCode,
    messages: &[&str],
) -> String {
    let title = if status.is_success() {
        t(lang, "办理进度", "Case status")
    } else {
        t(lang, "未能完成", "Something is not right")
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
    let title = t(lang, "查询办理进度", "Check a case");
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

/// The no-JS status lookup: a GET to the API's `/cases?tracking=` at `lookup_url`.
fn lookup_form(page: &mut String, lang: Lang, lookup_url: &str, typed: &str) {
    let _ = writeln!(
        page,
        "<form method=\"get\" action=\"{}\">\n<label for=\"tracking\">{}</label>\n<input id=\"tracking\" name=\"tracking\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">\n<p><button type=\"submit\">{}</button></p>\n</form>",
        escape(lookup_url),
        t(lang, "受理编号", "Tracking number"),
        escape(typed),
        lang.code(),
        t(lang, "查询", "Look up")
    );
}

/// What someone typed into an action or survey form, kept to show again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    /// Send back and extend: why.
    pub reason: String,
    /// Reply: the text, which becomes the public status note.
    pub text: String,
    /// Extend: the new completion date as typed (`YYYY-MM-DD`).
    pub new_due: String,
    /// Close: the outcome.
    pub outcome: String,
    /// Survey: the rating chosen, the comment, and whether to reopen.
    pub rating: Option<Satisfaction>,
    pub comment: String,
    pub reopen: bool,
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
}

/// The title of an action's page.
pub fn action_title(lang: Lang, action: Action) -> &'static str {
    match action {
        Action::Accept => t(lang, "受理案件", "Accept the case"),
        Action::SendBack => t(
            lang,
            "退回案件（非本单位职责）",
            "Send the case back (not ours)",
        ),
        Action::Reply => t(lang, "答复诉求人", "Reply to the complainant"),
        Action::Extend => t(lang, "申请延期", "Ask for more time"),
        Action::Close => t(lang, "办结案件", "Close the case"),
        Action::Survey => t(lang, "办理满意度评价", "How satisfied are you?"),
    }
}

fn rating_name(lang: Lang, rating: Satisfaction) -> &'static str {
    match rating {
        Satisfaction::VerySatisfied => t(lang, "非常满意", "Very satisfied"),
        Satisfaction::Satisfied => t(lang, "满意", "Satisfied"),
        Satisfaction::Neutral => t(lang, "一般", "Neither satisfied nor dissatisfied"),
        Satisfaction::Dissatisfied => t(lang, "不满意", "Dissatisfied"),
        Satisfaction::VeryDissatisfied => t(lang, "非常不满意", "Very dissatisfied"),
    }
}

/// The case as the form's reader needs it: number, stage, department,
/// deadlines. Public data only, so a forwarded page leaks nothing.
fn case_summary(page: &mut String, lang: Lang, status: &PublicStatus) {
    page.push_str("<dl>\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row(t(lang, "受理编号", "Tracking number"), &status.tracking);
    row(t(lang, "当前状态", "Stage"), &status.stage.name);
    row(t(lang, "承办部门", "Department"), &status.department);
    for d in &status.deadlines {
        let done = if d.met {
            t(lang, "（已完成）", " (done)")
        } else {
            ""
        };
        row(&d.name, &format!("{}{done}", d.due_on));
    }
    if let Some(reply) = &status.reply {
        row(t(lang, "答复", "Reply"), reply);
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
        t(lang, "请注意", "Please note")
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
            let _ = writeln!(
                page,
                "<p>{}</p>",
                t(
                    lang,
                    "受理后，本部门负责办理、答复并办结此案件。",
                    "Once you accept it, your department handles, answers and closes this case."
                )
            );
        }
        Action::SendBack => textarea(
            &mut page,
            "reason",
            t(lang, "退回理由", "Why it is not yours"),
            Some(t(
                lang,
                "理由将发给热线中心，由其重新分派。",
                "The reason goes to the complaint office, which routes the case again.",
            )),
            &input.reason,
            form.problems,
        ),
        Action::Reply => textarea(
            &mut page,
            "text",
            t(lang, "答复内容", "Your reply"),
            Some(t(
                lang,
                "答复将发给诉求人，并公开显示在进度查询页上：请勿写入任何个人信息。",
                "The reply is sent to the complainant and shown on the public status page: write no personal details in it.",
            )),
            &input.text,
            form.problems,
        ),
        Action::Extend => {
            textarea(
                &mut page,
                "reason",
                t(lang, "延期理由", "Why more time is needed"),
                Some(t(
                    lang,
                    "理由将告知诉求人。",
                    "The complainant is told the reason.",
                )),
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
                t(lang, "新的办结日期", "New completion date"),
                escape(&match lang {
                    Lang::Zh => format!("现办结时限 {min}，最迟可延至 {max}（当日下班前）。"),
                    Lang::En =>
                        format!("Due now on {min}; at the latest {max} (by closing time that day)."),
                }),
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
            t(lang, "办理结果", "Outcome"),
            Some(t(
                lang,
                "办理结果将发给诉求人，之后会请其评价。",
                "The outcome is sent to the complainant, who is then asked to rate the handling.",
            )),
            &input.outcome,
            form.problems,
        ),
        Action::Survey => {
            let _ = writeln!(
                page,
                "<fieldset id=\"rating\">\n<legend>{}</legend>",
                t(lang, "您对办理结果的评价", "Your rating")
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
                t(lang, "意见（可不填）", "Comment (optional)"),
                None,
                &input.comment,
                form.problems,
            );
            if form.complainant_may_reopen {
                let checked = if input.reopen { " checked" } else { "" };
                let _ = writeln!(
                    page,
                    "<label for=\"reopen\"><input type=\"checkbox\" id=\"reopen\" name=\"reopen\"{checked}> {}</label>",
                    t(
                        lang,
                        "如不满意：请重新办理我的诉求（将提高督办级别）",
                        "If dissatisfied: please handle my case again (one supervision level up)"
                    )
                );
            } else {
                let _ = writeln!(
                    page,
                    "<p>{}</p>",
                    t(
                        lang,
                        "如评价为不满意，案件将自动提交上一级重新办理。",
                        "A dissatisfied rating sends the case one level up to be handled again."
                    )
                );
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
        Action::Accept => t(lang, "受理", "Accept"),
        Action::SendBack => t(lang, "退回", "Send back"),
        Action::Reply => t(lang, "发送答复", "Send the reply"),
        Action::Extend => t(lang, "申请延期", "Extend"),
        Action::Close => t(lang, "办结", "Close the case"),
        Action::Survey => t(lang, "提交评价", "Send"),
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
}
