//! The small HTML pages the API serves itself: the no-JS form shown again
//! (until the site passes its themed one), a status page, and a message
//! page. Self-contained (no scripts, no external styles); every value is
//! escaped.

use crate::status::PublicStatus;
use casework::Lang;
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

fn head(lang: Lang, title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
         label{{display:block;margin-top:1rem;font-weight:bold}}input,textarea{{width:100%;font:inherit}}\
         input[type=checkbox]{{width:auto}}.error{{color:#a00000}}\
         .summary{{border:3px solid #a00000;padding:0 1rem}}.hp{{position:absolute;left:-9999px}}</style>\n</head>\n<body>\n<main>\n",
        lang.html_tag(),
        escape(title)
    )
}

const FOOT: &str = "</main>\n</body>\n</html>\n";

/// The form again: an error summary whose entries link to their fields,
/// then every field refilled with what was typed.
pub fn default_form_page(lang: Lang, raw: &RawSubmission, errors: &[FieldError]) -> String {
    let title = t(lang, "提交诉求", "Submit a case");
    let mut page = head(lang, title);
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
    page.push_str(FOOT);
    page
}

/// A case's public status, for people.
pub fn status_page(lang: Lang, status: &PublicStatus) -> String {
    let title = t(lang, "办理进度", "Case status");
    let mut page = head(lang, title);
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
    page.push_str(FOOT);
    page
}

/// A short page with one or more messages (errors on the status page).
pub fn message_page(lang: Lang, status: StatusCode, messages: &[&str]) -> String {
    let title = if status.is_success() {
        t(lang, "办理进度", "Case status")
    } else {
        t(lang, "未能完成", "Something is not right")
    };
    let mut page = head(lang, title);
    let _ = writeln!(page, "<h1>{}</h1>", escape(title));
    for m in messages {
        let _ = writeln!(page, "<p>{}</p>", escape(m));
    }
    page.push_str(FOOT);
    page
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
