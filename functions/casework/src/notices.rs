//! The mails the scheduler sends, rendered to text and HTML.
//!
//! - reminders and overdue notices reach staff as one **digest** per
//!   recipient per run: each case contributes an [`Entry`] (rendered when
//!   the notice is planned, stored in the outbox), and [`digest`] joins the
//!   entries that go out together into one mail;
//! - the supervisor alert and the re-routing alert are single mails;
//! - the follow-up survey goes to the complainant in their language, with
//!   one link per rating and a link to a comment box; a complainant who left
//!   only a phone number is called by the office instead ([`phone_follow_up`]);
//! - the failure summary tells the office which mails could not be sent.
//!
//! Staff mails are bilingual, Chinese first. Every value is escaped once,
//! when it enters the HTML; subjects are one line. No complainant identity
//! ever appears in a department's mail: reminders name the case, not the
//! person.

use crate::lifecycle::{Case, Satisfaction};
use crate::localized::{Lang, Localized};
use crate::messages::{Message, escape_html, subject_part};
use crate::rules::{DeadlineKind, Rulebook};
use chrono::{DateTime, Utc};

/// One case's part of a digest, already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// One line, e.g. `SL-2609-… · 投诉 Complaint · 受理 Accept · 2026-09-20 18:00`.
    pub title: String,
    /// Plain-text lines under the title.
    pub text: String,
    /// An HTML fragment (escaped), shown as one list item.
    pub html: String,
}

/// What a digest is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestKind {
    /// Deadlines that are close.
    Reminders,
    /// Deadlines that have passed, escalated to the recipient.
    Overdue,
    /// Mails the office's system gave up sending.
    Failures,
}

impl DigestKind {
    pub const ALL: [DigestKind; 3] = [
        DigestKind::Reminders,
        DigestKind::Overdue,
        DigestKind::Failures,
    ];

    /// The name used in outbox ids.
    pub fn key(self) -> &'static str {
        match self {
            DigestKind::Reminders => "reminders",
            DigestKind::Overdue => "overdue",
            DigestKind::Failures => "failures",
        }
    }

    pub fn from_key(key: &str) -> Option<DigestKind> {
        DigestKind::ALL.into_iter().find(|k| k.key() == key)
    }

    fn title(self) -> Localized {
        match self {
            DigestKind::Reminders => Localized::new("即将到期的案件", "Cases due soon"),
            DigestKind::Overdue => Localized::new("逾期督办", "Overdue cases escalated to you"),
            DigestKind::Failures => {
                Localized::new("邮件发送失败汇总", "Mail that could not be sent")
            }
        }
    }

    fn intro(self, rules: &Rulebook) -> Localized {
        let office = &rules.office.name;
        match self {
            DigestKind::Reminders => Localized::new(
                "以下案件的办理时限即将到期，请及时办理。",
                "The deadlines of the cases below are close: please act on them in time.",
            ),
            DigestKind::Overdue => Localized::new(
                format!(
                    "以下案件已超过办理时限，按督办规定报送您，请督促承办单位办理。{}将继续跟踪。",
                    office.get(Lang::Zh)
                ),
                format!(
                    "The cases below have passed a deadline and are escalated to you under the escalation rules: please see that they are handled. {} keeps following them.",
                    office.get(Lang::En)
                ),
            ),
            DigestKind::Failures => Localized::new(
                "以下邮件多次发送失败，系统已停止重试。请核对收件地址，必要时以电话等方式联系。",
                "The mails below failed repeatedly and will not be retried. Please check the addresses and reach the recipients another way if needed.",
            ),
        }
    }
}

/// A reminder: `kind` of `case` runs out soon.
pub fn reminder_entry(rules: &Rulebook, case: &Case, kind: DeadlineKind) -> Entry {
    let due = case.deadline(kind).map(|d| d.due_at);
    case_entry(
        rules,
        case,
        kind,
        due,
        Localized::new("到期时间", "Due"),
        None,
    )
}

/// An escalation: `kind` of `case` has passed; the recipient is `level`.
pub fn overdue_entry(rules: &Rulebook, case: &Case, kind: DeadlineKind, level: u32) -> Entry {
    let due = case.deadline(kind).map(|d| d.due_at);
    case_entry(
        rules,
        case,
        kind,
        due,
        Localized::new("已于此时到期", "Was due"),
        Some(Localized::new(
            format!("第{level}级督办"),
            format!("escalation level {level}"),
        )),
    )
}

/// A mail given up after `attempts` tries. `subject` is the mail's own
/// subject (it may hold visitor text, and is escaped here).
pub fn failure_entry(id: &str, subject: &str, attempts: u32, error: &str) -> Entry {
    let subject = subject_part(subject, 120);
    let error = subject_part(error, 200);
    let title = format!("{id} · {subject}");
    let text =
        format!("  尝试 {attempts} 次 / {attempts} attempts\n  最后错误 / Last error: {error}\n");
    let html = format!(
        "<strong>{}</strong><br>{}<br>尝试 {attempts} 次 / {attempts} attempts<br>最后错误 / Last error: {}",
        escape_html(id),
        escape_html(&subject),
        escape_html(&error)
    );
    Entry { title, text, html }
}

/// One mail holding every entry, to `to`.
pub fn digest(rules: &Rulebook, kind: DigestKind, to: Vec<String>, entries: &[Entry]) -> Message {
    let title = kind.title();
    let intro = kind.intro(rules);
    let mut doc = Doc::new(bilingual(&title));
    doc.para(bilingual(&intro));
    doc.items(entries);
    footer(&mut doc, rules);
    let subject = format!(
        "{} · {} {}",
        bilingual(&title),
        entries.len(),
        if entries.len() == 1 {
            "件 case"
        } else {
            "件 cases"
        }
    );
    doc.finish(to, subject)
}

/// A case whose severity asks for the supervisor to hear of it at once.
pub fn supervisor_alert(rules: &Rulebook, case: &Case, to: Vec<String>) -> Message {
    let heading = Localized::new("重大案件报告", "Major case: for your attention");
    let mut doc = Doc::new(bilingual(&heading));
    doc.para(bilingual(&Localized::new(
        "按严重程度规定，以下案件须当日报告部门负责人。",
        "Under the severity rules, the head of the department hears of this case the same day.",
    )));
    case_summary(&mut doc, rules, case);
    footer(&mut doc, rules);
    let subject = format!("[{}] {}", case.tracking.as_str(), bilingual(&heading));
    doc.finish(to, subject)
}

/// A case sent back more than a working day ago and not re-routed yet.
pub fn reroute_overdue(rules: &Rulebook, case: &Case, to: Vec<String>) -> Message {
    let heading = Localized::new("退回案件待重新分派", "Sent-back case awaits re-routing");
    let mut doc = Doc::new(bilingual(&heading));
    doc.para(bilingual(&Localized::new(
        "该案件被承办单位退回已超过1个工作日，仍未重新分派，请尽快处理。",
        "This case was sent back by its department more than one working day ago and has not been re-routed: please route it now.",
    )));
    case_summary(&mut doc, rules, case);
    footer(&mut doc, rules);
    let subject = format!("[{}] {}", case.tracking.as_str(), bilingual(&heading));
    doc.finish(to, subject)
}

/// Where the complainant's answer goes: one signed link per rating, and a
/// page with a comment box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyLinks {
    /// From very satisfied to very dissatisfied.
    pub ratings: Vec<(Satisfaction, String)>,
    pub comment: String,
    /// The links stop working after this.
    pub expires_at: DateTime<Utc>,
}

/// The satisfaction survey, in the complainant's language.
pub fn survey(
    rules: &Rulebook,
    case: &Case,
    email: &str,
    lang: Lang,
    links: &SurveyLinks,
) -> Message {
    let office = rules.office.name.get(lang);
    let heading = pick(
        lang,
        "您对案件的办理满意吗？",
        "Are you satisfied with how your case was handled?",
    );
    let mut doc = Doc::new(heading.clone());
    doc.para(match lang {
        Lang::Zh => format!(
            "{office}已办结您的案件（受理编号 {}）。请点击下面一项告诉我们您是否满意，只需一次点击。",
            case.tracking.as_str()
        ),
        Lang::En => format!(
            "{office} has closed your case (tracking number {}). Please tell us how satisfied you are: one click is enough.",
            case.tracking.as_str()
        ),
    });
    if let Some(outcome) = &case.outcome {
        doc.field(pick(lang, "办理结果", "Outcome"), outcome.clone());
    }
    for (rating, url) in &links.ratings {
        doc.link(rating_label(*rating).get(lang).to_string(), url.clone());
    }
    doc.link(
        pick(lang, "写下您的意见", "Add a comment"),
        links.comment.clone(),
    );
    doc.para(match lang {
        Lang::Zh => format!(
            "如果不满意，案件将重新办理并提高督办级别。链接有效期至{}。",
            local_time(rules, links.expires_at)
        ),
        Lang::En => format!(
            "If you are not satisfied, the case is handled again, one level higher. The links work until {}.",
            local_time(rules, links.expires_at)
        ),
    });
    doc.para(match lang {
        Lang::Zh => format!("{office} · 热线 {}", rules.office.hotline),
        Lang::En => format!("{office} · hotline {}", rules.office.hotline),
    });
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    doc.finish(vec![email.to_string()], subject)
}

/// The survey by phone: to the office, for a complainant who left no e-mail.
pub fn phone_follow_up(rules: &Rulebook, case: &Case, phone: &str, to: Vec<String>) -> Message {
    let heading = Localized::new("请电话回访", "Follow-up call needed");
    let mut doc = Doc::new(bilingual(&heading));
    doc.para(bilingual(&Localized::new(
        "该案件已办结，诉求人只留下了电话。请致电回访，并记录满意度。",
        "This case is closed and the complainant left only a phone number: please call them and record how satisfied they are.",
    )));
    case_summary(&mut doc, rules, case);
    doc.field(
        bilingual(&Localized::new("电话", "Phone")),
        phone.to_string(),
    );
    footer(&mut doc, rules);
    let subject = format!("[{}] {}", case.tracking.as_str(), bilingual(&heading));
    doc.finish(to, subject)
}

/// How each rating is offered.
pub fn rating_label(rating: Satisfaction) -> Localized {
    match rating {
        Satisfaction::VerySatisfied => Localized::new("非常满意", "Very satisfied"),
        Satisfaction::Satisfied => Localized::new("满意", "Satisfied"),
        Satisfaction::Neutral => Localized::new("一般", "Neither"),
        Satisfaction::Dissatisfied => Localized::new("不满意", "Dissatisfied"),
        Satisfaction::VeryDissatisfied => Localized::new("非常不满意", "Very dissatisfied"),
    }
}

/// The five ratings, best first, as a survey offers them.
pub const RATINGS: [Satisfaction; 5] = [
    Satisfaction::VerySatisfied,
    Satisfaction::Satisfied,
    Satisfaction::Neutral,
    Satisfaction::Dissatisfied,
    Satisfaction::VeryDissatisfied,
];

// ── helpers ─────────────────────────────────────────────────────────────

fn case_entry(
    rules: &Rulebook,
    case: &Case,
    kind: DeadlineKind,
    due: Option<DateTime<Utc>>,
    due_label: Localized,
    level: Option<Localized>,
) -> Entry {
    let names = CaseNames::of(rules, case);
    let due_text = due.map(|d| local_time(rules, d)).unwrap_or_default();
    let deadline = bilingual(&kind.name());
    let mut title = format!(
        "{} · {} · {} · {deadline} {due_text}",
        case.tracking.as_str(),
        names.case_type,
        names.category
    );
    if let Some(level) = &level {
        title.push_str(&format!(" · {}", bilingual(level)));
    }
    let text = format!(
        "  {}: {}\n  {}: {due_text}\n",
        bilingual(&Localized::new("承办单位", "Department")),
        names.department,
        bilingual(&due_label),
    );
    let html = format!(
        "<strong>{}</strong> · {} · {}<br>{}: {deadline}, {}: {}<br>{}: {}{}",
        escape_html(case.tracking.as_str()),
        escape_html(&names.case_type),
        escape_html(&names.category),
        escape_html(&bilingual(&Localized::new("时限", "Deadline"))),
        escape_html(&bilingual(&due_label)),
        escape_html(&due_text),
        escape_html(&bilingual(&Localized::new("承办单位", "Department"))),
        escape_html(&names.department),
        level
            .map(|l| format!("<br>{}", escape_html(&bilingual(&l))))
            .unwrap_or_default(),
    );
    Entry {
        title: subject_part(&title, 300),
        text,
        html,
    }
}

/// The rulebook's names for what a case is, both languages each.
struct CaseNames {
    case_type: String,
    category: String,
    severity: String,
    department: String,
}

impl CaseNames {
    fn of(rules: &Rulebook, case: &Case) -> CaseNames {
        let or_id = |name: Option<&Localized>, id: &str| {
            name.map(bilingual).unwrap_or_else(|| id.to_string())
        };
        CaseNames {
            case_type: or_id(
                rules.case_type(case.case_type.as_str()).map(|t| &t.name),
                case.case_type.as_str(),
            ),
            category: or_id(
                rules.category(case.category.as_str()).map(|c| &c.name),
                case.category.as_str(),
            ),
            severity: or_id(
                rules.severity(case.severity.as_str()).map(|s| &s.name),
                case.severity.as_str(),
            ),
            department: or_id(
                rules.department(case.department.as_str()).map(|d| &d.name),
                case.department.as_str(),
            ),
        }
    }
}

fn case_summary(doc: &mut Doc, rules: &Rulebook, case: &Case) {
    let names = CaseNames::of(rules, case);
    let label = |zh: &str, en: &str| bilingual(&Localized::new(zh, en));
    doc.field(
        label("受理编号", "Tracking number"),
        case.tracking.as_str().into(),
    );
    doc.field(label("类型", "Type"), names.case_type);
    doc.field(label("类别", "Category"), names.category);
    doc.field(label("严重程度", "Severity"), names.severity);
    doc.field(label("承办单位", "Department"), names.department);
    doc.field(
        label("登记时间", "Received"),
        local_time(rules, case.received_at),
    );
    for d in case.deadlines.iter().filter(|d| d.met_at.is_none()) {
        doc.field(bilingual(&d.kind.name()), local_time(rules, d.due_at));
    }
}

fn footer(doc: &mut Doc, rules: &Rulebook) {
    doc.para(format!(
        "{} / {} · 12345: {}. 本邮件由系统自动发送 / Sent automatically.",
        rules.office.name.get(Lang::Zh),
        rules.office.name.get(Lang::En),
        rules.office.hotline
    ));
}

/// `中文 English`, or one of them when the other is missing or the same.
fn bilingual(text: &Localized) -> String {
    let (zh, en) = (text.get(Lang::Zh), text.get(Lang::En));
    if en.is_empty() || zh == en {
        zh.to_string()
    } else if zh.is_empty() {
        en.to_string()
    } else {
        format!("{zh} {en}")
    }
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// A time on the office's wall clock, to the minute.
pub fn local_time(rules: &Rulebook, at: DateTime<Utc>) -> String {
    rules
        .calendar
        .local(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A tiny document rendered to both parts at once, so text and HTML say
/// the same and every value passes through [`escape_html`].
struct Doc {
    title: String,
    text: String,
    html: String,
}

impl Doc {
    fn new(heading: String) -> Doc {
        let mut doc = Doc {
            title: heading.clone(),
            text: String::new(),
            html: String::new(),
        };
        doc.text.push_str(&heading);
        doc.text.push_str("\n\n");
        doc.html
            .push_str(&format!("<h1>{}</h1>\n", escape_html(&heading)));
        doc
    }

    fn para(&mut self, text: String) {
        self.text.push_str(&text);
        self.text.push_str("\n\n");
        self.html
            .push_str(&format!("<p>{}</p>\n", escape_html(&text)));
    }

    fn field(&mut self, label: String, value: String) {
        self.text.push_str(&format!("{label}: {value}\n"));
        self.html.push_str(&format!(
            "<p><strong>{}</strong>: {}</p>\n",
            escape_html(&label),
            escape_html(&value)
        ));
    }

    fn link(&mut self, label: String, url: String) {
        self.text.push_str(&format!("{label}: {url}\n"));
        self.html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(&url),
            escape_html(&label)
        ));
    }

    /// Digest entries: their HTML is already escaped.
    fn items(&mut self, entries: &[Entry]) {
        self.html.push_str("<ol>\n");
        for (i, e) in entries.iter().enumerate() {
            self.text
                .push_str(&format!("{}. {}\n{}\n", i + 1, e.title, e.text));
            self.html.push_str(&format!("<li>{}</li>\n", e.html));
        }
        self.html.push_str("</ol>\n");
    }

    fn finish(self, to: Vec<String>, subject: String) -> Message {
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"zh\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}</body>\n</html>\n",
            escape_html(&self.title),
            self.html
        );
        Message {
            to,
            subject: subject_part(&subject, 200),
            text: self.text,
            html,
            attachments: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn a_digest_lists_every_entry_once_in_both_parts() {
        let rules = rules();
        let a = open("complaint", "repairs");
        let entries = vec![
            reminder_entry(&rules, &a, DeadlineKind::Accept),
            overdue_entry(&rules, &a, DeadlineKind::Complete, 2),
        ];
        let m = digest(
            &rules,
            DigestKind::Reminders,
            vec!["housing@example.org".into()],
            &entries,
        );
        assert_eq!(m.to, ["housing@example.org"]);
        assert!(m.subject.contains("2 件 cases"), "{}", m.subject);
        assert_eq!(m.text.matches(a.tracking.as_str()).count(), 2);
        assert_eq!(m.html.matches("<li>").count(), 2);
        assert!(m.text.contains("即将到期的案件 Cases due soon"));
        assert!(m.html.contains("escalation level 2"));
    }

    #[test]
    fn the_survey_offers_five_ratings_and_a_comment_in_the_complainants_language() {
        let rules = rules();
        let case = complaint_in(crate::lifecycle::CaseState::Closed);
        let links = SurveyLinks {
            ratings: RATINGS
                .iter()
                .map(|r| (*r, format!("https://x.example/s?r={r:?}&a=1")))
                .collect(),
            comment: "https://x.example/c".into(),
            expires_at: t(400),
        };
        let zh = survey(&rules, &case, "me@example.org", Lang::Zh, &links);
        assert_eq!(zh.to, ["me@example.org"]);
        assert!(zh.text.contains("非常满意") && zh.text.contains("非常不满意"));
        assert!(!zh.text.contains("Very satisfied"));
        assert_eq!(zh.html.matches("<a href=").count(), 6);
        assert!(zh.html.contains("&amp;a=1"), "URLs are escaped in HTML");
        let en = survey(&rules, &case, "me@example.org", Lang::En, &links);
        assert!(en.text.contains("Very dissatisfied"));
    }

    proptest! {
        #[test]
        fn visitor_text_never_breaks_the_html_or_the_subject(s in "\\PC{0,40}[<>&\"'\r\n]{1,5}\\PC{0,40}") {
            let rules = rules();
            let entry = failure_entry("SL-1/new-case", &s, 5, &s);
            let m = digest(&rules, DigestKind::Failures, vec!["office@example.org".into()], &[entry]);
            let body = m.html.split("<body>").nth(1).unwrap_or_default();
            for bad in ['<', '>'] {
                // Only our own tags carry angle brackets.
                let stripped = body
                    .replace("<h1>", "").replace("</h1>", "").replace("<p>", "").replace("</p>", "")
                    .replace("<ol>", "").replace("</ol>", "").replace("<li>", "").replace("</li>", "")
                    .replace("<strong>", "").replace("</strong>", "").replace("<br>", "")
                    .replace("</body>", "").replace("</html>", "");
                prop_assert!(!stripped.contains(bad), "{stripped}");
            }
            prop_assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
        }
    }
}
