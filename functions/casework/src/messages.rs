//! The mails a new case sends, rendered to text and HTML.
//!
//! Three mails leave when a case is stored:
//! - [`department_new_case`]: the case, its deadlines and the action links,
//!   to the department's inboxes; for a case type with `identity_withheld`
//!   the complainant's name, phone and e-mail are left out;
//! - [`office_identity_copy`]: for those types only, the reporter's identity,
//!   to the complaint office's own inboxes;
//! - [`acknowledgment`]: to the complainant, when they left an e-mail.
//!
//! And when a department acts through its signed links:
//! - [`complainant_update`]: the reply, an extension or the closure, to the
//!   complainant when they left an e-mail;
//! - [`sent_back_to_office`]: a case sent back, to the office to re-route;
//! - [`reopened_to_department`]: an unsatisfied complainant's case, open
//!   again, to the department and the level it now escalates to.
//!
//! Everything here is pure: a [`Message`] (`crate::outgoing`) is what the
//! outbox stores and the mailers send, as it is. Each mail is built
//! once as a small document of headings, paragraphs, fields and links, and
//! that one document is rendered to both parts, so the text and the HTML can
//! never say different things and every value passes through one escaper.
//! Staff mails are bilingual (the given language first); the complainant's
//! mail speaks the submission's language only.

use crate::channel::Channel;
use crate::lifecycle::Case;
use crate::localized::{Lang, Localized};
use crate::rules::{DeadlineKind, Rulebook};
use crate::submission::Submission;

pub use crate::outgoing::{Attachment, Message};

/// The links a department follows to act on a case; each is rendered only
/// when present (they are signed by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionLinks {
    pub accept: Option<String>,
    pub send_back: Option<String>,
    pub reply: Option<String>,
    pub extend: Option<String>,
    pub close: Option<String>,
}

/// Longest piece of visitor text put into a subject line, in characters.
pub const SUBJECT_PART_MAX_CHARS: usize = 60;

/// The new-case mail to the department's inboxes.
pub fn department_new_case(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    links: &ActionLinks,
    lang: Lang,
) -> Message {
    let withheld = identity_withheld(rules, case);
    let mut doc = Doc::new(lang);
    doc.heading(both(
        &Localized::new("新案件", "New case"),
        lang,
        Some(case.tracking.as_str()),
    ));
    doc.para(both(
        &Localized::new(
            format!("{}转来一件新案件，请在受理时限内受理或退回。", office_zh(rules)),
            format!(
                "{} has routed a new case to you: please accept it or send it back within the acceptance limit.",
                office_en(rules)
            ),
        ),
        lang,
        None,
    ));
    case_fields(&mut doc, rules, case, lang);

    doc.heading(both(&Localized::new("时限", "Deadlines"), lang, None));
    for deadline in &case.deadlines {
        doc.field(
            both(&deadline_label(deadline.kind), lang, None),
            format!(
                "{}{}",
                local_time(rules, deadline.due_at),
                bracket(
                    &both(
                        &Localized::new(deadline.limit.to_zh(), deadline.limit.to_en()),
                        lang,
                        None
                    ),
                    lang
                )
            ),
        );
    }

    doc.heading(both(
        &Localized::new("诉求内容", "What happened"),
        lang,
        None,
    ));
    happened_fields(&mut doc, submission, lang);

    doc.heading(both(&Localized::new("诉求人", "Complainant"), lang, None));
    if withheld {
        doc.para(both(
            &Localized::new(
                format!(
                    "按举报人保护规定，举报人身份由{}保管，不提供给承办单位。如需联系举报人，请通过{}。",
                    office_zh(rules),
                    office_zh(rules)
                ),
                format!(
                    "Under the rules protecting reporters, the reporter's identity is held by {} and is not given to the handling department. To reach the reporter, go through {}.",
                    office_en(rules),
                    office_en(rules)
                ),
            ),
            lang,
            None,
        ));
    } else {
        contact_fields(&mut doc, submission, lang);
    }

    action_links(&mut doc, links, lang);
    footer(&mut doc, rules, lang, true);

    let type_name = type_name(rules, case).get(lang).to_string();
    let category_name = category_name(rules, case).get(lang).to_string();
    let mut subject = format!(
        "[{}] {} · {} · {}",
        case.tracking.as_str(),
        both(&Localized::new("新案件", "New case"), lang, None),
        type_name,
        category_name
    );
    if let Some(about) = submission.subject.as_deref() {
        subject.push_str(" · ");
        subject.push_str(&subject_part(about, SUBJECT_PART_MAX_CHARS));
    }
    doc.finish(department_inboxes(rules, case), subject)
}

/// The reporter's identity, for the complaint office only: `Some` for a
/// case type with `identity_withheld` when the reporter left any contact
/// detail, `None` otherwise.
pub fn office_identity_copy(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
) -> Option<Message> {
    let contact = &submission.contact;
    if !identity_withheld(rules, case)
        || (contact.name.is_none() && contact.phone.is_none() && contact.email.is_none())
    {
        return None;
    }
    let lang = Lang::Zh;
    let mut doc = Doc::new(lang);
    doc.heading(both(
        &Localized::new("举报人身份（保密）", "Reporter's identity (confidential)"),
        lang,
        Some(case.tracking.as_str()),
    ));
    doc.para(both(
        &Localized::new(
            "此邮件仅发给热线中心，请勿转发给承办单位或被举报对象。举报人身份只用于调查和告知处理结果。",
            "This mail goes to the complaint office only: never forward it to the handling department or to anyone reported on. The identity is used only to investigate and to tell the reporter the result.",
        ),
        lang,
        None,
    ));
    case_fields(&mut doc, rules, case, lang);
    contact_fields(&mut doc, submission, lang);
    footer(&mut doc, rules, lang, true);
    let subject = format!(
        "[{}] {} · {}",
        case.tracking.as_str(),
        both(
            &Localized::new("举报人身份（保密）", "Reporter's identity (confidential)"),
            lang,
            None
        ),
        type_name(rules, case).get(lang)
    );
    let to = rules
        .department(rules.office.department.as_str())
        .map(|d| d.inboxes.clone())
        .unwrap_or_default();
    Some(doc.finish(to, subject))
}

/// The receipt to the complainant, in the submission's language; `None`
/// when they left no e-mail. `status_url` is where they can look the case up.
pub fn acknowledgment(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    status_url: &str,
) -> Option<Message> {
    let email = submission.contact.email.as_ref()?;
    let lang = submission.language;
    let type_name = type_name(rules, case).get(lang).to_string();
    let office = rules.office.name.get(lang).to_string();
    let mut doc = Doc::new(lang);
    let (heading, intro) = match lang {
        Lang::Zh => (
            format!("我们已收到您的{type_name}"),
            format!(
                "{office}已于{}收到并登记了您的{type_name}，将由责任部门办理。请保存下面的受理编号，查询进度或来电时都会用到。",
                local_time(rules, case.received_at)
            ),
        ),
        Lang::En => (
            format!("We have received your {}", type_name.to_lowercase()),
            format!(
                "{office} received and registered your {} on {}; the responsible department will handle it. Keep the tracking number below: you need it to check progress or when you call us.",
                type_name.to_lowercase(),
                local_time(rules, case.received_at)
            ),
        ),
    };
    doc.heading(heading.clone());
    doc.para(intro);
    doc.field(
        pick("受理编号", "Tracking number", lang),
        case.tracking.as_str().to_string(),
    );
    if !case.deadlines.is_empty() {
        doc.heading(pick("办理时限", "Our time limits", lang));
        for deadline in &case.deadlines {
            doc.field(
                deadline_label(deadline.kind).get(lang).to_string(),
                format!(
                    "{}{}",
                    local_time(rules, deadline.due_at),
                    bracket(&deadline.limit.localized(lang), lang)
                ),
            );
        }
    }
    if identity_withheld(rules, case) {
        doc.para(pick(
            "您的身份信息严格保密，只用于调查和告知处理结果，不会提供给被举报的单位或个人。",
            "Your identity is kept strictly confidential: it is used only to investigate and to tell you the result, and is never given to the unit or person reported on.",
            lang,
        ));
    }
    doc.link(
        pick("查询办理进度", "Check the progress of your case", lang),
        status_url.to_string(),
    );
    footer(&mut doc, rules, lang, false);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    Some(doc.finish(vec![email.as_str().to_string()], subject))
}

/// What a department did that the complainant is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// The reply, which is also the public status note.
    Reply,
    /// The completion deadline moved, with the reason.
    Extension,
    /// The case is closed, with its outcome.
    Closure,
}

/// The complainant's mail about a reply, an extension or the closure, in the
/// submission's language; `None` when they left no e-mail or the case does
/// not hold what the update needs (a bug the caller logs, not a mail).
pub fn complainant_update(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    update: Update,
    status_url: &str,
) -> Option<Message> {
    let email = submission.contact.email.as_ref()?;
    let lang = submission.language;
    let type_name = type_name(rules, case).get(lang).to_string();
    let mut doc = Doc::new(lang);
    let heading = match (update, lang) {
        (Update::Reply, Lang::Zh) => format!("您的{type_name}有了答复"),
        (Update::Reply, Lang::En) => format!("A reply to your {}", type_name.to_lowercase()),
        (Update::Extension, Lang::Zh) => format!("您的{type_name}办理期限已延长"),
        (Update::Extension, Lang::En) => {
            format!("More time is needed for your {}", type_name.to_lowercase())
        }
        (Update::Closure, Lang::Zh) => format!("您的{type_name}已办结"),
        (Update::Closure, Lang::En) => {
            format!("Your {} has been closed", type_name.to_lowercase())
        }
    };
    doc.heading(heading.clone());
    doc.field(
        pick("受理编号", "Tracking number", lang),
        case.tracking.as_str().to_string(),
    );
    match update {
        Update::Reply => {
            doc.field(pick("答复", "Reply", lang), case.public_reply.clone()?);
        }
        Update::Extension => {
            let extension = case.extension.as_ref()?;
            doc.para(pick(
                "承办部门申请延长办理期限，理由如下。新的期限之前仍会办结并告知您。",
                "The handling department has asked for more time, for the reason below. It will still close the case and tell you before the new deadline.",
                lang,
            ));
            doc.field(pick("延期理由", "Reason", lang), extension.reason.clone());
            doc.field(
                pick("原办结时限", "Previous deadline", lang),
                local_time(rules, extension.previous_due),
            );
            doc.field(
                pick("新办结时限", "New deadline", lang),
                local_time(rules, extension.new_due),
            );
        }
        Update::Closure => {
            doc.field(pick("办理结果", "Outcome", lang), case.outcome.clone()?);
            if case.can_follow_up {
                doc.para(pick(
                    "稍后我们会请您评价办理情况。如不满意，可以要求重新办理。",
                    "We will ask you shortly how satisfied you are. If you are not, you can ask for the case to be handled again.",
                    lang,
                ));
            }
        }
    }
    doc.link(
        pick("查询办理进度", "Check the progress of your case", lang),
        status_url.to_string(),
    );
    footer(&mut doc, rules, lang, false);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    Some(doc.finish(vec![email.as_str().to_string()], subject))
}

/// To the complaint office: a department sent the case back as not its
/// own, with its reason; the office re-routes it.
pub fn sent_back_to_office(rules: &Rulebook, case: &Case, reason: &str, lang: Lang) -> Message {
    let mut doc = Doc::new(lang);
    let title = Localized::new(
        "案件被退回，请重新分派",
        "Case sent back: please re-route it",
    );
    doc.heading(both(&title, lang, Some(case.tracking.as_str())));
    doc.para(both(
        &Localized::new(
            "承办单位认为此案件不属于本单位职责，已退回。请在1个工作日内重新分派。",
            "The handling department says this case is not theirs and sent it back. Please re-route it within 1 working day.",
        ),
        lang,
        None,
    ));
    case_fields(&mut doc, rules, case, lang);
    doc.field(
        both(&Localized::new("退回理由", "Reason"), lang, None),
        reason.to_string(),
    );
    footer(&mut doc, rules, lang, true);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(&title, lang, None));
    doc.finish(rules.office_department().inboxes.clone(), subject)
}

/// To the department (and, one level up, whoever the case now escalates
/// to): the complainant was not satisfied and the case is open again, with
/// fresh action links. The complainant's comment goes with it; their
/// identity does not (the department has the first mail, or for a report
/// must not have it).
pub fn reopened_to_department(
    rules: &Rulebook,
    case: &Case,
    comment: Option<&str>,
    links: &ActionLinks,
    lang: Lang,
) -> Message {
    let mut doc = Doc::new(lang);
    let title = Localized::new("案件重新办理", "Case reopened");
    doc.heading(both(&title, lang, Some(case.tracking.as_str())));
    doc.para(both(
        &Localized::new(
            "诉求人对办理结果不满意，案件已重新打开并提高督办级别，请重新办理并答复。",
            "The complainant is not satisfied with the outcome. The case is open again, one supervision level up: please handle it again and reply.",
        ),
        lang,
        None,
    ));
    case_fields(&mut doc, rules, case, lang);
    if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        doc.field(
            both(
                &Localized::new("诉求人意见", "Complainant's comment"),
                lang,
                None,
            ),
            comment.to_string(),
        );
    }
    if let Some(d) = case.deadline(DeadlineKind::Complete) {
        doc.field(
            both(&deadline_label(d.kind), lang, None),
            local_time(rules, d.due_at),
        );
    }
    action_links(&mut doc, links, lang);
    footer(&mut doc, rules, lang, true);
    let mut to = department_inboxes(rules, case);
    match crate::due::Recipients::at_level(rules, &case.department, case.escalation_level) {
        crate::due::Recipients::Escalation { address, .. } => to.push(address),
        crate::due::Recipients::Office { addresses } => to.extend(addresses),
        _ => {}
    }
    to.dedup();
    let subject = format!("[{}] {}", case.tracking.as_str(), both(&title, lang, None));
    doc.finish(to, subject)
}

/// Makes visitor text safe for a subject line: every control character
/// (CR and LF included) and line or paragraph separator becomes a space,
/// runs of spaces shrink to one, and the result is cut to `max_chars`
/// characters with an ellipsis.
pub fn subject_part(text: &str, max_chars: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max_chars {
        return joined;
    }
    let mut cut: String = joined.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
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

/// The "Actions" section: one link per action present.
fn action_links(doc: &mut Doc, links: &ActionLinks, lang: Lang) {
    let actions = [
        (Localized::new("受理", "Accept"), &links.accept),
        (
            Localized::new("退回（非本单位职责）", "Send back (not ours)"),
            &links.send_back,
        ),
        (Localized::new("答复", "Reply"), &links.reply),
        (
            Localized::new("申请延期", "Ask for an extension"),
            &links.extend,
        ),
        (Localized::new("办结", "Close"), &links.close),
    ];
    if actions.iter().any(|(_, url)| url.is_some()) {
        doc.heading(both(&Localized::new("办理", "Actions"), lang, None));
        for (label, url) in actions {
            if let Some(url) = url {
                doc.link(both(&label, lang, None), url.clone());
            }
        }
    }
}

fn identity_withheld(rules: &Rulebook, case: &Case) -> bool {
    // An unknown type is treated as withheld: leaking an identity cannot be
    // undone, a missing name on a department's copy can.
    rules
        .case_type(case.case_type.as_str())
        .is_none_or(|t| t.identity_withheld)
}

fn department_inboxes(rules: &Rulebook, case: &Case) -> Vec<String> {
    // A case routed to a department the rulebook no longer has still reaches
    // someone: the office re-routes it.
    rules
        .department(case.department.as_str())
        .or_else(|| rules.department(rules.office.department.as_str()))
        .map(|d| d.inboxes.clone())
        .unwrap_or_default()
}

fn type_name(rules: &Rulebook, case: &Case) -> Localized {
    rules
        .case_type(case.case_type.as_str())
        .map(|t| t.name.clone())
        .unwrap_or_else(|| Localized::new(case.case_type.as_str(), case.case_type.as_str()))
}

fn category_name(rules: &Rulebook, case: &Case) -> Localized {
    rules
        .category(case.category.as_str())
        .map(|c| c.name.clone())
        .unwrap_or_else(|| Localized::new(case.category.as_str(), case.category.as_str()))
}

fn office_zh(rules: &Rulebook) -> &str {
    rules.office.name.get(Lang::Zh)
}

fn office_en(rules: &Rulebook) -> &str {
    rules.office.name.get(Lang::En)
}

/// The type, category, severity, department and receipt time.
fn case_fields(doc: &mut Doc, rules: &Rulebook, case: &Case, lang: Lang) {
    let severity = rules
        .severity(case.severity.as_str())
        .map(|s| s.name.clone())
        .unwrap_or_else(|| Localized::new(case.severity.as_str(), case.severity.as_str()));
    let department = rules
        .department(case.department.as_str())
        .map(|d| d.name.clone())
        .unwrap_or_else(|| Localized::new(case.department.as_str(), case.department.as_str()));
    let label = |zh: &str, en: &str| both(&Localized::new(zh, en), lang, None);
    doc.field(
        label("受理编号", "Tracking number"),
        case.tracking.as_str().to_string(),
    );
    doc.field(
        label("类型", "Type"),
        both(&type_name(rules, case), lang, None),
    );
    doc.field(
        label("类别", "Category"),
        both(&category_name(rules, case), lang, None),
    );
    doc.field(label("严重程度", "Severity"), both(&severity, lang, None));
    doc.field(
        label("承办单位", "Handling department"),
        both(&department, lang, None),
    );
    doc.field(
        label("登记时间", "Received"),
        local_time(rules, case.received_at),
    );
    // The web form is the default; a case the office registered from
    // another channel says which, so the department knows how the
    // complainant expects to hear back.
    if case.channel != Channel::Web {
        doc.field(
            label("来源渠道", "Channel"),
            both(&case.channel.name(), lang, None),
        );
    }
}

fn happened_fields(doc: &mut Doc, submission: &Submission, lang: Lang) {
    let label = |zh: &str, en: &str| both(&Localized::new(zh, en), lang, None);
    let none = || both(&Localized::new("（未填写）", "(not given)"), lang, None);
    doc.field(
        label("反映对象", "About"),
        submission.subject.clone().unwrap_or_else(none),
    );
    doc.field(
        label("发生地点", "Where"),
        submission.location.clone().unwrap_or_else(none),
    );
    doc.field(
        label("发生日期", "When"),
        submission
            .occurred_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(none),
    );
    doc.field(
        label("情况描述", "Description"),
        submission.description.clone(),
    );
    doc.field(
        label("诉求", "Desired outcome"),
        submission.desired_outcome.clone().unwrap_or_else(none),
    );
}

fn contact_fields(doc: &mut Doc, submission: &Submission, lang: Lang) {
    let label = |zh: &str, en: &str| both(&Localized::new(zh, en), lang, None);
    let none = || both(&Localized::new("（未填写）", "(not given)"), lang, None);
    let contact = &submission.contact;
    if submission.anonymous {
        doc.para(both(
            &Localized::new(
                "诉求人要求匿名；以下为其自愿留下的联系方式。",
                "The complainant asked to stay anonymous; below is what they chose to leave.",
            ),
            lang,
            None,
        ));
    }
    doc.field(
        label("姓名", "Name"),
        contact.name.clone().unwrap_or_else(none),
    );
    doc.field(
        label("电话", "Phone"),
        contact
            .phone
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(none),
    );
    doc.field(
        label("电子邮箱", "E-mail"),
        contact
            .email
            .as_ref()
            .map(|e| e.as_str().to_string())
            .unwrap_or_else(none),
    );
}

fn footer(doc: &mut Doc, rules: &Rulebook, lang: Lang, staff: bool) {
    let office = &rules.office;
    let text = if staff {
        both(
            &Localized::new(
                format!(
                    "{}（热线 {}）自动发送，请勿直接回复。",
                    office.name.zh, office.hotline
                ),
                format!(
                    "Sent automatically by {} (hotline {}); please do not reply to this mail.",
                    office.name.get(Lang::En),
                    office.hotline
                ),
            ),
            lang,
            None,
        )
    } else {
        match lang {
            Lang::Zh => format!(
                "如有疑问，请拨打热线 {}，并告知受理编号。此邮件由{}自动发送，请勿直接回复。",
                office.hotline, office.name.zh
            ),
            Lang::En => format!(
                "Questions? Call the hotline on {} and give your tracking number. This mail was sent automatically by {}; please do not reply to it.",
                office.hotline,
                office.name.get(Lang::En)
            ),
        }
    };
    doc.rule();
    doc.para(text);
}

/// "受理时限" / "Accept by".
fn deadline_label(kind: DeadlineKind) -> Localized {
    Localized::new(
        format!("{}时限", kind.name().zh),
        format!("{} by", kind.name().get(Lang::En)),
    )
}

/// A time in the rulebook's zone, to the minute.
fn local_time(rules: &Rulebook, at: chrono::DateTime<chrono::Utc>) -> String {
    rules
        .calendar
        .local(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Text in brackets, full-width for Chinese.
fn bracket(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("（{text}）"),
        Lang::En => format!(" ({text})"),
    }
}

fn pick(zh: &str, en: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Both languages, `first` first, separated by " / "; one when they are
/// the same or there is no translation. `suffix` follows both.
fn both(text: &Localized, first: Lang, suffix: Option<&str>) -> String {
    let second = match first {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    let a = text.get(first);
    let b = text.get(second);
    let mut out = if a == b || !text.has(second) || !text.has(first) {
        text.get(first).to_string()
    } else {
        format!("{a} / {b}")
    };
    if let Some(suffix) = suffix {
        out.push(' ');
        out.push_str(suffix);
    }
    out
}

/// A mail as a list of blocks, rendered twice.
struct Doc {
    lang: Lang,
    blocks: Vec<Block>,
}

enum Block {
    Heading(String),
    Para(String),
    /// A label and a value; the value may span lines.
    Field(String, String),
    Link(String, String),
    Rule,
}

impl Doc {
    fn new(lang: Lang) -> Doc {
        Doc {
            lang,
            blocks: Vec::new(),
        }
    }
    fn heading(&mut self, text: String) {
        self.blocks.push(Block::Heading(text));
    }
    fn para(&mut self, text: String) {
        self.blocks.push(Block::Para(text));
    }
    fn field(&mut self, label: String, value: String) {
        self.blocks.push(Block::Field(label, value));
    }
    fn link(&mut self, label: String, url: String) {
        self.blocks.push(Block::Link(label, url));
    }
    fn rule(&mut self) {
        self.blocks.push(Block::Rule);
    }

    fn finish(self, to: Vec<String>, subject: String) -> Message {
        // The whole subject passes the filter, not only the visitor's part:
        // rulebook names are editors' text and could hold a stray line break.
        let subject = subject_part(&subject, 200);
        Message {
            to,
            text: self.text(),
            html: self.html(&subject),
            subject,
            attachments: Vec::new(),
        }
    }

    fn colon(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Heading(t) => {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(t);
                    out.push('\n');
                }
                Block::Para(t) => {
                    out.push_str(t);
                    out.push_str("\n\n");
                }
                Block::Field(label, value) => {
                    let mut lines = value.lines();
                    out.push_str(label);
                    out.push_str(self.colon());
                    out.push_str(lines.next().unwrap_or(""));
                    out.push('\n');
                    // Continuation lines are indented so a description line
                    // can never pass for a field of its own.
                    for line in lines {
                        out.push_str("    ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Block::Link(label, url) => {
                    out.push_str(label);
                    out.push_str(self.colon());
                    out.push_str(url);
                    out.push('\n');
                }
                Block::Rule => out.push_str("\n-- \n"),
            }
        }
        out
    }

    fn html(&self, title: &str) -> String {
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n",
            self.lang.html_tag(),
            escape_html(title)
        );
        for block in &self.blocks {
            match block {
                Block::Heading(t) => {
                    out.push_str(&format!("<h2>{}</h2>\n", escape_html(t)));
                }
                Block::Para(t) => out.push_str(&format!("<p>{}</p>\n", escape_html(t))),
                Block::Field(label, value) => out.push_str(&format!(
                    "<p><strong>{}</strong>{}<span style=\"white-space: pre-wrap\">{}</span></p>\n",
                    escape_html(label),
                    self.colon(),
                    escape_html(value)
                )),
                Block::Link(label, url) => out.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n",
                    escape_html(url),
                    escape_html(label)
                )),
                Block::Rule => out.push_str("<hr>\n"),
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{CaseTypeId, CategoryId};
    use crate::submission::{Contact, EmailAddress, PhoneNumber};
    use crate::tracking::TrackingNumber;
    use chrono::{NaiveDate, TimeZone, Utc};

    const SAMPLE: &str = include_str!("../../../content/rules.toml");

    fn rules() -> Rulebook {
        crate::rules::parse_rules(std::path::Path::new("rules.toml"), SAMPLE)
            .map(|(rules, _warnings)| rules)
            .unwrap_or_else(|errors| panic!("the sample rulebook must parse: {errors:?}"))
    }

    fn submission(case_type: &str, category: &str, lang: Lang) -> Submission {
        Submission {
            case_type: CaseTypeId::new(case_type),
            category: CategoryId::new(category),
            contact: Contact {
                name: Some("王小明".into()),
                phone: Some(PhoneNumber::parse("13812345678").unwrap()),
                email: Some(EmailAddress::parse("xiaoming@example.net").unwrap()),
            },
            anonymous: false,
            subject: Some("小区物业".into()),
            location: Some("幸福路12号".into()),
            occurred_on: NaiveDate::from_ymd_opt(2026, 11, 20),
            description: "电梯停运三天，无人维修。\n第二行".into(),
            desired_outcome: Some("尽快修好".into()),
            language: lang,
            idempotency_key: None,
        }
    }

    /// Monday 23 November 2026, 10:00 in Beijing.
    fn received() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
    }

    fn case_for(rules: &Rulebook, s: &Submission) -> Case {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let tracking = TrackingNumber::generate(
            &rules.office.tracking_prefix,
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            &mut rng,
        );
        Case::open(
            tracking,
            s.case_type.clone(),
            s.category.clone(),
            rules,
            received(),
            true,
        )
        .unwrap()
    }

    fn all_links() -> ActionLinks {
        ActionLinks {
            accept: Some("https://h.example.org/a?t=1&s=x".into()),
            send_back: Some("https://h.example.org/b".into()),
            reply: None,
            extend: None,
            close: Some("https://h.example.org/c".into()),
        }
    }

    #[test]
    fn department_mail_has_the_case_the_deadlines_and_the_contact() {
        let rules = rules();
        let s = submission("complaint", "housing-property", Lang::Zh);
        let case = case_for(&rules, &s);
        let m = department_new_case(&rules, &case, &s, &all_links(), Lang::Zh);
        assert_eq!(m.to, vec!["housing@example.org".to_string()]);
        assert!(m.subject.contains(case.tracking.as_str()));
        for part in [&m.text, &m.html] {
            assert!(part.contains(case.tracking.as_str()));
            assert!(part.contains("投诉"));
            assert!(part.contains("住房与物业"));
            assert!(part.contains("一般"));
            assert!(part.contains("2026-11-24 18:00（1个工作日 / 1 working day）"));
            assert!(part.contains("办结时限"));
            assert!(part.contains("幸福路12号"));
            assert!(part.contains("2026-11-20"));
            assert!(part.contains("尽快修好"));
            assert!(part.contains("王小明"));
            assert!(part.contains("13812345678"));
            assert!(part.contains("xiaoming@example.net"));
            assert!(part.contains("https://h.example.org/b"));
            assert!(!part.contains("申请延期"), "absent links are not rendered");
        }
        assert!(
            m.html
                .contains("href=\"https://h.example.org/a?t=1&amp;s=x\"")
        );
        assert!(m.text.contains("电梯停运三天，无人维修。\n    第二行"));
        // Accepted within 1 working day: by closing time on Tuesday.
        assert!(
            m.text
                .contains("受理时限 / Accept by：2026-11-24 18:00（1个工作日 / 1 working day）"),
            "{}",
            m.text
        );
    }

    #[test]
    fn department_mail_names_the_channel_unless_it_is_the_web_form() {
        let rules = rules();
        let s = submission("complaint", "housing-property", Lang::Zh);
        let web = case_for(&rules, &s);
        let m = department_new_case(&rules, &web, &s, &all_links(), Lang::Zh);
        assert!(!m.text.contains("来源渠道"), "{}", m.text);
        let phone = Case {
            channel: Channel::Phone,
            ..web
        };
        let m = department_new_case(&rules, &phone, &s, &all_links(), Lang::Zh);
        assert!(
            m.text.contains("来源渠道 / Channel：电话 / phone"),
            "{}",
            m.text
        );
    }

    #[test]
    fn english_first_for_staff_when_asked() {
        let rules = rules();
        let s = submission("complaint", "housing-property", Lang::Zh);
        let case = case_for(&rules, &s);
        let m = department_new_case(&rules, &case, &s, &ActionLinks::default(), Lang::En);
        assert!(
            m.text
                .contains("Accept by / 受理时限: 2026-11-24 18:00 (1 working day / 1个工作日)"),
            "{}",
            m.text
        );
        assert!(!m.text.contains("Actions"), "no links, no actions section");
    }

    #[test]
    fn a_report_withholds_the_identity_from_the_department() {
        let rules = rules();
        let s = submission("report", "food-safety", Lang::Zh);
        let case = case_for(&rules, &s);
        let m = department_new_case(&rules, &case, &s, &all_links(), Lang::Zh);
        assert_eq!(m.to, vec!["market@example.org".to_string()]);
        for part in [&m.subject, &m.text, &m.html] {
            assert!(!part.contains("王小明"), "{part}");
            assert!(!part.contains("13812345678"), "{part}");
            assert!(!part.contains("xiaoming@example.net"), "{part}");
        }
        assert!(
            m.text
                .contains("举报人身份由示例市政务服务便民热线中心保管")
        );
        assert!(m.text.contains("电梯停运三天"), "the facts still go");

        let copy = office_identity_copy(&rules, &case, &s).expect("a named report has a copy");
        assert_eq!(copy.to, vec!["cases@example.org".to_string()]);
        for part in [&copy.text, &copy.html] {
            assert!(part.contains("王小明"));
            assert!(part.contains("13812345678"));
            assert!(part.contains("xiaoming@example.net"));
            assert!(part.contains(case.tracking.as_str()));
        }
    }

    #[test]
    fn identity_copy_only_for_withheld_types_with_a_contact() {
        let rules = rules();
        let s = submission("complaint", "housing-property", Lang::Zh);
        assert_eq!(
            office_identity_copy(&rules, &case_for(&rules, &s), &s),
            None
        );
        let mut anonymous = submission("report", "food-safety", Lang::Zh);
        anonymous.anonymous = true;
        anonymous.contact = Contact::default();
        let case = case_for(&rules, &anonymous);
        assert_eq!(office_identity_copy(&rules, &case, &anonymous), None);
    }

    #[test]
    fn acknowledgment_has_the_number_the_limits_and_the_link() {
        let rules = rules();
        let s = submission("complaint", "housing-property", Lang::Zh);
        let case = case_for(&rules, &s);
        let url = "https://h.example.org/status/?n=1&x=2";
        let m = acknowledgment(&rules, &case, &s, url).expect("an e-mail was given");
        assert_eq!(m.to, vec!["xiaoming@example.net".to_string()]);
        assert!(m.subject.contains(case.tracking.as_str()));
        assert!(m.subject.contains("我们已收到您的投诉"));
        for part in [&m.text, &m.html] {
            assert!(part.contains(case.tracking.as_str()));
            assert!(part.contains("2026-11-24 18:00（1个工作日）"), "{part}");
            assert!(part.contains("办结时限"));
            assert!(part.contains("15个工作日"));
            assert!(part.contains("12345"));
            assert!(!part.contains("Tracking number"), "Chinese only");
        }
        assert!(m.text.contains("受理时限：2026-11-24 18:00（1个工作日）"));
        assert!(m.text.contains(url));
        assert!(
            m.html
                .contains("href=\"https://h.example.org/status/?n=1&amp;x=2\"")
        );
    }

    #[test]
    fn acknowledgment_in_english_and_only_with_an_email() {
        let rules = rules();
        let s = submission("report", "food-safety", Lang::En);
        let case = case_for(&rules, &s);
        let m = acknowledgment(&rules, &case, &s, "https://h.example.org/s").unwrap();
        assert!(
            m.subject.contains("We have received your report"),
            "{}",
            m.subject
        );
        for part in [&m.text, &m.html] {
            assert!(part.contains("Tracking number"));
            assert!(part.contains("2026-11-24 18:00 (1 working day)"), "{part}");
            assert!(part.contains("30 working days"));
            assert!(part.contains("strictly confidential"));
            assert!(!part.contains("受理"), "English only");
        }
        assert!(
            m.text
                .contains("Accept by: 2026-11-24 18:00 (1 working day)")
        );
        assert!(m.html.contains("<html lang=\"en\">"));

        let mut no_email = s.clone();
        no_email.contact.email = None;
        assert_eq!(acknowledgment(&rules, &case, &no_email, "x"), None);
    }

    #[test]
    fn visitor_text_is_escaped_in_every_field() {
        let rules = rules();
        let evil = "<script>alert(1)</script>\"'&";
        let mut s = submission("complaint", "housing-property", Lang::Zh);
        s.contact.name = Some(evil.into());
        s.subject = Some(evil.into());
        s.location = Some(evil.into());
        s.description = format!("{evil}\n{evil}");
        s.desired_outcome = Some(evil.into());
        let case = case_for(&rules, &s);
        let links = ActionLinks {
            accept: Some(format!("https://h.example.org/a?{evil}")),
            ..ActionLinks::default()
        };
        let mut mails = vec![department_new_case(&rules, &case, &s, &links, Lang::Zh)];
        let mut report = s.clone();
        report.case_type = CaseTypeId::new("report");
        let report_case = case_for(&rules, &report);
        mails.push(department_new_case(
            &rules,
            &report_case,
            &report,
            &links,
            Lang::En,
        ));
        mails.extend(office_identity_copy(&rules, &report_case, &report));
        mails.extend(acknowledgment(
            &rules,
            &case,
            &s,
            &format!("https://x/{evil}"),
        ));
        assert_eq!(mails.len(), 4);
        for m in &mails {
            assert!(!m.html.contains("<script"), "{}", m.html);
            assert!(!m.html.contains("\"'&"), "{}", m.html);
            assert!(m.html.contains("&lt;script&gt;") || m.html.contains("&lt;script"));
        }
        // The text part is plain text: the visitor's words arrive as written.
        assert!(mails[0].text.contains(evil));
    }

    #[test]
    fn action_mails_reach_the_right_people_and_escape_what_was_typed() {
        use crate::lifecycle::{Actor, Command, apply};
        let rules = rules();
        let evil = "<script>alert(1)</script>\"'&";
        let s = submission("complaint", "housing-property", Lang::En);
        let housing = Actor::Department(crate::rules::DepartmentId::new("housing"));
        let at = received() + chrono::TimeDelta::hours(1);
        let step =
            |case: &Case, command| apply(case, command, housing.clone(), at, &rules).unwrap();
        let accepted = step(&case_for(&rules, &s), Command::Accept);
        let replied = step(&accepted, Command::Reply { text: evil.into() });
        let extended = step(
            &replied,
            Command::Extend {
                reason: evil.into(),
                new_due: received() + chrono::TimeDelta::days(30),
            },
        );
        let closed = step(
            &extended,
            Command::Close {
                outcome: evil.into(),
            },
        );
        let url = "https://h.example.org/s";
        let reply = complainant_update(&rules, &replied, &s, Update::Reply, url).unwrap();
        let extension = complainant_update(&rules, &extended, &s, Update::Extension, url).unwrap();
        let closure = complainant_update(&rules, &closed, &s, Update::Closure, url).unwrap();
        assert!(reply.subject.contains("A reply to your complaint"));
        assert!(
            extension.text.contains("New deadline: 2026-12-23 10:00"),
            "{}",
            extension.text
        );
        assert!(closure.text.contains("Outcome"));
        // Nothing to say about a reply that is not there.
        assert_eq!(
            complainant_update(&rules, &accepted, &s, Update::Reply, url),
            None
        );
        let back = sent_back_to_office(&rules, &accepted, evil, Lang::Zh);
        assert_eq!(back.to, vec!["cases@example.org".to_string()]);
        let links = ActionLinks {
            reply: Some("https://h.example.org/r?token=1&x=2".into()),
            ..ActionLinks::default()
        };
        let reopened = reopened_to_department(&rules, &closed, Some(evil), &links, Lang::Zh);
        assert_eq!(reopened.to, vec!["housing@example.org".to_string()]);
        for m in [&reply, &extension, &closure, &back, &reopened] {
            assert!(m.text.contains(evil), "{}", m.text);
            assert!(!m.html.contains("<script"), "{}", m.html);
            assert!(
                m.html
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;")
            );
        }
        for m in [&reply, &extension, &closure] {
            assert_eq!(m.to, vec!["xiaoming@example.net".to_string()]);
            assert!(!m.text.contains("受理"), "the complainant's language only");
        }
        assert!(
            reopened
                .html
                .contains("href=\"https://h.example.org/r?token=1&amp;x=2\"")
        );
    }

    #[test]
    fn subjects_are_one_line_and_capped() {
        let rules = rules();
        let mut s = submission("complaint", "housing-property", Lang::Zh);
        s.subject = Some(format!(
            "a\r\nBcc: victim@example.org\rb\nc\u{0}d\u{1b}e\u{2028}f\u{85}g{}",
            "长".repeat(500)
        ));
        let case = case_for(&rules, &s);
        let m = department_new_case(&rules, &case, &s, &ActionLinks::default(), Lang::Zh);
        assert!(
            !m.subject.chars().any(|c| c.is_control()),
            "{:?}",
            m.subject
        );
        assert!(!m.subject.contains('\u{2028}'));
        assert!(m.subject.contains("a Bcc: victim@example.org b c d e f g"));
        assert!(m.subject.ends_with('…'));
        assert!(
            m.subject.chars().count() < 200,
            "{}",
            m.subject.chars().count()
        );
    }

    #[test]
    fn subject_part_cuts_by_characters() {
        assert_eq!(subject_part("  a \t b  ", 10), "a b");
        assert_eq!(subject_part("一二三四五", 3), "一二…");
        assert_eq!(subject_part("一二三", 3), "一二三");
        assert_eq!(subject_part("\r\n", 3), "");
    }
}
