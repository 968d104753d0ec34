//! The mails a new case sends, and the mails a department's actions send.
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
//! once as a [`Letter`] and rendered to both parts; the wording comes from
//! the strings table ([`crate::wording`]). Staff mails are bilingual (the
//! given language first); the complainant's mail speaks the submission's
//! language only.

use crate::channel::Channel;
use crate::letter::{Letter, Reader, Rendered, both, local_time};
use crate::lifecycle::Case;
use crate::links::{ExtensionLinks, OfficeLinks};
use crate::localized::{Lang, Localized};
use crate::rules::{DeadlineKind, Rulebook};
use crate::submission::Submission;
use crate::wording::{say, say_both, say_with};

// Kept here for the callers that import them from `messages`.
pub use crate::letter::{escape_html, subject_part};
pub use crate::links::ActionLinks;

pub use crate::outgoing::{Attachment, Message};

/// A rendered letter addressed to `to`.
pub fn addressed(to: Vec<String>, mail: Rendered) -> Message {
    Message {
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        medium: crate::outgoing::Medium::Mail,
        attachments: Vec::new(),
    }
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
    department_case(rules, case, submission, links, None, lang)
}

/// The case's mail again, to the department that sent it back: the office
/// reviewed the send-back and says, in `note`, why the case is theirs.
pub fn department_handed_back(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    links: &ActionLinks,
    note: &str,
    lang: Lang,
) -> Message {
    department_case(rules, case, submission, links, Some(note), lang)
}

fn department_case(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    links: &ActionLinks,
    handed_back: Option<&str>,
    lang: Lang,
) -> Message {
    let withheld = identity_withheld(rules, case);
    let mut doc = Letter::new(lang);
    let title = say(if handed_back.is_some() {
        "mail.handed_back"
    } else {
        "mail.new_case"
    });
    doc.heading(titled(title, lang, case));
    match handed_back {
        Some(note) => {
            doc.para(both(
                &say_both("mail.handed_back_intro", office_arg(rules)),
                lang,
            ));
            doc.field(both(say("mail.office_note"), lang), note.to_string());
        }
        None => doc.para(both(
            &say_both("mail.new_case_intro", office_arg(rules)),
            lang,
        )),
    }
    case_fields(&mut doc, rules, case);

    doc.heading(both(say("mail.deadlines"), lang));
    for deadline in &case.deadlines {
        doc.field(
            both(&deadline_label(deadline.kind), lang),
            format!(
                "{}{}",
                local_time(rules, deadline.due_at),
                bracket(&both(&deadline_basis(deadline), lang), lang)
            ),
        );
    }

    doc.heading(both(say("mail.what_happened"), lang));
    happened_fields(&mut doc, submission);

    doc.heading(both(say("mail.complainant"), lang));
    if withheld {
        doc.para(both(
            &say_both("mail.identity_withheld", office_arg(rules)),
            lang,
        ));
    } else {
        contact_fields(&mut doc, submission);
    }

    evidence_links(&mut doc, links);
    action_links(&mut doc, links);
    doc.footer(rules, Reader::Staff);

    let mut subject = format!(
        "[{}] {} · {} · {}",
        case.tracking.as_str(),
        both(title, lang),
        type_name(rules, case).get(lang),
        category_name(rules, case).get(lang)
    );
    if let Some(about) = submission.subject.as_deref() {
        subject.push_str(" · ");
        subject.push_str(&subject_part(about, SUBJECT_PART_MAX_CHARS));
    }
    addressed(department_inboxes(rules, case), doc.render(&subject))
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
    let mut doc = Letter::new(lang);
    doc.heading(titled(say("mail.identity_copy"), lang, case));
    doc.para(both(say("mail.identity_copy_intro"), lang));
    case_fields(&mut doc, rules, case);
    contact_fields(&mut doc, submission);
    doc.footer(rules, Reader::Staff);
    let subject = format!(
        "[{}] {} · {}",
        case.tracking.as_str(),
        both(say("mail.identity_copy"), lang),
        type_name(rules, case).get(lang)
    );
    let to = rules
        .department(rules.office.department.as_str())
        .map(|d| d.inboxes.clone())
        .unwrap_or_default();
    Some(addressed(to, doc.render(&subject)))
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
    let args = [
        ("type", type_in_sentence(rules, case, lang)),
        ("office", rules.office.name.get(lang).to_string()),
        ("received", local_time(rules, case.received_at)),
    ];
    let mut doc = Letter::new(lang);
    let heading = say_with("mail.ack_heading", lang, &args);
    doc.heading(heading.clone());
    doc.para(say_with("mail.ack_intro", lang, &args));
    doc.field(
        say("mail.tracking_number").get(lang).to_string(),
        case.tracking.as_str().to_string(),
    );
    // The code itself is written in as the mail leaves: see
    // `crate::receipt::CODE_PLACEHOLDER`.
    if case.receipt.is_some() {
        doc.field(
            say("mail.receipt_code").get(lang).to_string(),
            crate::receipt::CODE_PLACEHOLDER.to_string(),
        );
        doc.para(say("mail.receipt_code_note").get(lang).to_string());
    }
    if !case.deadlines.is_empty() {
        doc.heading(say("mail.our_time_limits").get(lang).to_string());
        for deadline in &case.deadlines {
            doc.field(
                deadline_label(deadline.kind).get(lang).to_string(),
                format!(
                    "{}{}",
                    local_time(rules, deadline.due_at),
                    bracket(deadline_basis(deadline).get(lang), lang)
                ),
            );
        }
    }
    if identity_withheld(rules, case) {
        doc.para(say("mail.ack_identity_kept").get(lang).to_string());
    }
    doc.link(
        say("mail.check_progress").get(lang).to_string(),
        status_url.to_string(),
    );
    doc.footer(rules, Reader::Complainant);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    Some(addressed(
        vec![email.as_str().to_string()],
        doc.render(&subject),
    ))
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
    /// The case was found invalid and closed, with the reason (which is
    /// also the public status note).
    Rejection,
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
    let args = [("type", type_in_sentence(rules, case, lang))];
    let mut doc = Letter::new(lang);
    let text = |key: &str| say(key).get(lang).to_string();
    let heading = say_with(
        match update {
            Update::Reply => "mail.update_reply",
            Update::Extension => "mail.update_extension",
            Update::Closure => "mail.update_closure",
            Update::Rejection => "mail.update_rejection",
        },
        lang,
        &args,
    );
    doc.heading(heading.clone());
    doc.field(
        text("mail.tracking_number"),
        case.tracking.as_str().to_string(),
    );
    match update {
        Update::Reply => {
            doc.field(text("mail.reply"), case.public_reply.clone()?);
        }
        Update::Extension => {
            let extension = case.extension.as_ref()?;
            doc.para(text("mail.extension_intro"));
            doc.field(text("mail.extension_reason"), extension.reason.clone());
            doc.field(
                text("mail.previous_deadline"),
                local_time(rules, extension.previous_due),
            );
            doc.field(
                text("mail.new_deadline"),
                local_time(rules, extension.new_due),
            );
        }
        Update::Closure => {
            doc.field(text("mail.outcome"), outcome(case, lang)?);
            if case.can_follow_up {
                doc.para(text("mail.survey_coming"));
            }
        }
        Update::Rejection => {
            doc.para(text("mail.rejection_intro"));
            doc.field(text("mail.rejection_reason"), case.public_reply.clone()?);
            doc.para(say_with(
                "mail.rejection_other_ways",
                lang,
                &[("hotline", rules.office.hotline.clone())],
            ));
        }
    }
    doc.link(text("mail.check_progress"), status_url.to_string());
    doc.footer(rules, Reader::Complainant);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    Some(addressed(
        vec![email.as_str().to_string()],
        doc.render(&subject),
    ))
}

/// To the complaint office: a department sent the case back as not its
/// own, with its reason; the office re-routes it.
/// What a closed case's outcome says: the department's words, or, for a
/// case the system closed for want of the complainant's answer, that.
pub fn outcome(case: &Case, lang: Lang) -> Option<String> {
    case.outcome.clone().or_else(|| {
        (case
            .last_event(crate::lifecycle::ActionKind::CloseUnanswered)
            .is_some())
        .then(|| say("mail.closed_unanswered").get(lang).to_string())
    })
}

pub fn sent_back_to_office(
    rules: &Rulebook,
    case: &Case,
    reason: &str,
    links: &OfficeLinks,
    lang: Lang,
) -> Message {
    let mut doc = Letter::new(lang);
    let title = say("mail.sent_back");
    doc.heading(titled(title, lang, case));
    let within = rules.office.reroute_within;
    doc.para(both(
        &say_both("mail.sent_back_intro", |lang| {
            vec![("within", within.localized(lang))]
        }),
        lang,
    ));
    case_fields(&mut doc, rules, case);
    doc.field(both(say("mail.sent_back_reason"), lang), reason.to_string());
    if !links.reroute.is_empty() || links.hand_back.is_some() {
        doc.heading(both(say("mail.actions"), lang));
        for (department, url) in &links.reroute {
            let name = rules
                .department(department.as_str())
                .map(|d| d.name.clone())
                .unwrap_or_else(|| Localized::new(department.as_str(), department.as_str()));
            let label = say_both("mail.action_reroute_to", |lang| {
                vec![("department", name.get(lang).to_string())]
            });
            doc.link(both(&label, lang), url.clone());
        }
        if let Some(url) = &links.hand_back {
            doc.link(both(say("mail.action_hand_back"), lang), url.clone());
        }
    }
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(
        rules.office_department().inboxes.clone(),
        doc.render(&subject),
    )
}

/// To the rulebook's approver of extensions: a department asks to move a
/// case's completion deadline, with its reason. The approver answers with
/// `hotline cases extension SL-… --approve` or `--refuse`, or follows one
/// of `links` (signed for it).
pub fn extension_requested(
    rules: &Rulebook,
    case: &Case,
    links: Option<&ExtensionLinks>,
    lang: Lang,
) -> Option<Message> {
    let request = case.extension_request.as_ref()?;
    let approver = rules.department(crate::lifecycle::extension_approver(rules, case)?.as_str())?;
    let mut doc = Letter::new(lang);
    let title = say("mail.extension_requested");
    doc.heading(titled(title, lang, case));
    doc.para(both(say("mail.extension_requested_intro"), lang));
    case_fields(&mut doc, rules, case);
    doc.field(
        both(say("mail.extension_reason"), lang),
        request.reason.clone(),
    );
    if let Some(d) = case.deadline(DeadlineKind::Complete) {
        doc.field(
            both(say("mail.previous_deadline"), lang),
            local_time(rules, d.due_at),
        );
    }
    doc.field(
        both(say("mail.requested_deadline"), lang),
        local_time(rules, request.new_due),
    );
    if let Some(links) = links {
        doc.heading(both(say("mail.actions"), lang));
        doc.link(
            both(say("mail.action_approve_extension"), lang),
            links.approve.clone(),
        );
        doc.link(
            both(say("mail.action_refuse_extension"), lang),
            links.refuse.clone(),
        );
    }
    doc.para(say_with(
        "mail.extension_how_to_decide",
        lang,
        &[("tracking", case.tracking.to_string())],
    ));
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    Some(addressed(approver.inboxes.clone(), doc.render(&subject)))
}

/// To the department that asked: the approver granted or refused its
/// request to extend, with the approver's note.
pub fn extension_decided(
    rules: &Rulebook,
    case: &Case,
    approved: bool,
    note: &str,
    lang: Lang,
) -> Message {
    let mut doc = Letter::new(lang);
    let title = say(if approved {
        "mail.extension_approved"
    } else {
        "mail.extension_refused"
    });
    doc.heading(titled(title, lang, case));
    case_fields(&mut doc, rules, case);
    if let Some(d) = case.deadline(DeadlineKind::Complete) {
        doc.field(
            both(&deadline_label(d.kind), lang),
            local_time(rules, d.due_at),
        );
    }
    if !note.trim().is_empty() {
        doc.field(
            both(say("mail.approver_note"), lang),
            note.trim().to_string(),
        );
    }
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(department_inboxes(rules, case), doc.render(&subject))
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
    let mut doc = Letter::new(lang);
    let title = say("mail.reopened");
    doc.heading(titled(title, lang, case));
    doc.para(both(say("mail.reopened_intro"), lang));
    case_fields(&mut doc, rules, case);
    if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        doc.field(
            both(say("mail.complainant_comment"), lang),
            comment.to_string(),
        );
    }
    if let Some(d) = case.deadline(DeadlineKind::Complete) {
        doc.field(
            both(&deadline_label(d.kind), lang),
            local_time(rules, d.due_at),
        );
    }
    action_links(&mut doc, links);
    doc.footer(rules, Reader::Staff);
    let mut to = department_inboxes(rules, case);
    match crate::due::Recipients::at_level(rules, case, case.escalation_level) {
        crate::due::Recipients::Escalation { address, .. } => to.push(address),
        crate::due::Recipients::Office { addresses } => to.extend(addresses),
        _ => {}
    }
    to.dedup();
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(to, doc.render(&subject))
}

/// The complainant's mail when staff ask them something: the question,
/// and where to answer (their case page, opened with the tracking number
/// and the receipt code); `None` when they left no e-mail.
pub fn complainant_question(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    question: &str,
    case_page_url: &str,
) -> Option<Message> {
    let email = submission.contact.email.as_ref()?;
    let lang = submission.language;
    let args = [("type", type_in_sentence(rules, case, lang))];
    let mut doc = Letter::new(lang);
    let heading = say_with("mail.question_heading", lang, &args);
    doc.heading(heading.clone());
    doc.field(
        say("mail.tracking_number").get(lang).to_string(),
        case.tracking.as_str().to_string(),
    );
    doc.field(
        say("mail.question").get(lang).to_string(),
        question.to_string(),
    );
    doc.para(say("mail.question_answer_where").get(lang).to_string());
    doc.link(
        say("mail.open_case_page").get(lang).to_string(),
        case_page_url.to_string(),
    );
    doc.footer(rules, Reader::Complainant);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    Some(addressed(
        vec![email.as_str().to_string()],
        doc.render(&subject),
    ))
}

/// To the department: the complainant wrote on their case page (an answer
/// to a question, or more about the case), with the usual links. Nothing
/// of who they are is in it: only what they wrote.
pub fn complainant_wrote(
    rules: &Rulebook,
    case: &Case,
    text: &str,
    links: &ActionLinks,
    lang: Lang,
) -> Message {
    let mut doc = Letter::new(lang);
    let title = say("mail.complainant_wrote");
    doc.heading(titled(title, lang, case));
    doc.para(both(say("mail.complainant_wrote_intro"), lang));
    case_fields(&mut doc, rules, case);
    doc.field(
        both(say("mail.complainant_message"), lang),
        text.to_string(),
    );
    if let Some(d) = case.deadline(DeadlineKind::Complete) {
        doc.field(
            both(&deadline_label(d.kind), lang),
            local_time(rules, d.due_at),
        );
    }
    evidence_links(&mut doc, links);
    action_links(&mut doc, links);
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(department_inboxes(rules, case), doc.render(&subject))
}

/// The department's mail about files the complainant sent after filing:
/// every file of the case with its signed link (the new ones last), and
/// the usual action links. Nothing about who sent them.
pub fn files_added(rules: &Rulebook, case: &Case, links: &ActionLinks, lang: Lang) -> Message {
    let mut doc = Letter::new(lang);
    let title = say("mail.files_added");
    doc.heading(titled(title, lang, case));
    doc.para(both(say("mail.files_added_intro"), lang));
    case_fields(&mut doc, rules, case);
    evidence_links(&mut doc, links);
    action_links(&mut doc, links);
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(department_inboxes(rules, case), doc.render(&subject))
}

/// The "Evidence" section: one download link per file, named by number,
/// kind and size only (never the name the visitor's device gave it).
fn evidence_links(doc: &mut Letter, links: &ActionLinks) {
    if links.evidence.is_empty() {
        return;
    }
    let lang = doc.lang();
    doc.heading(both(say("mail.evidence"), lang));
    doc.para(both(say("mail.evidence_intro"), lang));
    for (item, url) in &links.evidence {
        let label = format!(
            "{} {} · {} · {}",
            both(say("mail.evidence_item"), lang),
            item.number,
            item.kind.id().to_uppercase(),
            crate::evidence::human_size(item.bytes, lang)
        );
        doc.link(label, url.clone());
    }
}

/// The "Actions" section: one link per action present.
fn action_links(doc: &mut Letter, links: &ActionLinks) {
    let lang = doc.lang();
    let actions = [
        ("mail.action_accept", &links.accept),
        ("mail.action_send_back", &links.send_back),
        ("mail.action_ask", &links.ask),
        ("mail.action_reply", &links.reply),
        ("mail.action_extend", &links.extend),
        ("mail.action_close", &links.close),
        ("mail.action_raise_severity", &links.raise_severity),
        ("mail.action_reject", &links.reject),
    ];
    if actions.iter().any(|(_, url)| url.is_some()) {
        doc.heading(both(say("mail.actions"), lang));
        for (key, url) in actions {
            if let Some(url) = url {
                doc.link(both(say(key), lang), url.clone());
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
        .map(|d| {
            d.inboxes_for(rules.case_type(case.case_type.as_str()))
                .to_vec()
        })
        .unwrap_or_default()
}

/// `{office}`: the office's name in each language.
fn office_arg(rules: &Rulebook) -> impl Fn(Lang) -> Vec<(&'static str, String)> + '_ {
    |lang| vec![("office", rules.office.name.get(lang).to_string())]
}

/// `title` in both languages, followed by the tracking number.
fn titled(title: &Localized, lang: Lang, case: &Case) -> String {
    format!("{} {}", both(title, lang), case.tracking.as_str())
}

fn type_name(rules: &Rulebook, case: &Case) -> Localized {
    rules
        .case_type(case.case_type.as_str())
        .map(|t| t.name.clone())
        .unwrap_or_else(|| Localized::new(case.case_type.as_str(), case.case_type.as_str()))
}

/// The case type as it reads inside an English sentence (lower case).
fn type_in_sentence(rules: &Rulebook, case: &Case, lang: Lang) -> String {
    let name = type_name(rules, case).get(lang).to_string();
    lang.pick(name.clone(), name.to_lowercase())
}

fn category_name(rules: &Rulebook, case: &Case) -> Localized {
    rules
        .category(case.category.as_str())
        .map(|c| c.name.clone())
        .unwrap_or_else(|| Localized::new(case.category.as_str(), case.category.as_str()))
}

/// The type, category, severity, department and receipt time.
fn case_fields(doc: &mut Letter, rules: &Rulebook, case: &Case) {
    let lang = doc.lang();
    let severity = rules
        .severity(case.severity.as_str())
        .map(|s| s.name.clone())
        .unwrap_or_else(|| Localized::new(case.severity.as_str(), case.severity.as_str()));
    let department = rules
        .department(case.department.as_str())
        .map(|d| d.name.clone())
        .unwrap_or_else(|| Localized::new(case.department.as_str(), case.department.as_str()));
    let label = |key: &str| both(say(key), lang);
    doc.field(
        label("mail.tracking_number"),
        case.tracking.as_str().to_string(),
    );
    doc.field(label("mail.type"), both(&type_name(rules, case), lang));
    doc.field(
        label("mail.category"),
        both(&category_name(rules, case), lang),
    );
    doc.field(label("mail.severity"), both(&severity, lang));
    doc.field(label("mail.handling_department"), both(&department, lang));
    doc.field(label("mail.received"), local_time(rules, case.received_at));
    // The web form is the default; a case the office registered from
    // another channel says which, so the department knows how the
    // complainant expects to hear back.
    if case.channel != Channel::Web {
        doc.field(label("mail.channel"), both(&case.channel.name(), lang));
    }
}

fn happened_fields(doc: &mut Letter, submission: &Submission) {
    let lang = doc.lang();
    let label = |key: &str| both(say(key), lang);
    let none = || both(say("mail.not_given"), lang);
    // Visitor text: web addresses in it are defanged (letter::defang_urls).
    let typed = |text: &Option<String>| text.as_deref().map(crate::letter::defang_urls);
    doc.field(
        label("mail.about"),
        typed(&submission.subject).unwrap_or_else(none),
    );
    doc.field(
        label("mail.where"),
        typed(&submission.location).unwrap_or_else(none),
    );
    doc.field(
        label("mail.when"),
        submission
            .occurred_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(none),
    );
    if let Some(date) = submission.needed_by {
        doc.field(label("mail.needed_by"), date.format("%Y-%m-%d").to_string());
    }
    doc.field(
        label("mail.description"),
        crate::letter::defang_urls(&submission.description),
    );
    doc.field(
        label("mail.desired_outcome"),
        typed(&submission.desired_outcome).unwrap_or_else(none),
    );
}

fn contact_fields(doc: &mut Letter, submission: &Submission) {
    let lang = doc.lang();
    let label = |key: &str| both(say(key), lang);
    let none = || both(say("mail.not_given"), lang);
    let contact = &submission.contact;
    if submission.anonymous {
        doc.para(both(say("mail.anonymous_note"), lang));
    }
    doc.field(
        label("mail.name"),
        contact.name.clone().unwrap_or_else(none),
    );
    doc.field(
        label("mail.phone"),
        contact
            .phone
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(none),
    );
    doc.field(
        label("mail.email"),
        contact
            .email
            .as_ref()
            .map(|e| e.as_str().to_string())
            .unwrap_or_else(none),
    );
}

/// "受理时限" / "Accept by".
fn deadline_label(kind: DeadlineKind) -> Localized {
    let name = kind.name();
    say_both("mail.deadline_label", |lang| {
        vec![("deadline", name.get(lang).to_string())]
    })
}

/// Text in brackets, full-width for Chinese.
/// What a deadline is counted from: the rule's limit, or the date the
/// complainant said they need it by.
fn deadline_basis(deadline: &crate::lifecycle::Deadline) -> Localized {
    match deadline.complainants_date {
        Some(_) => say("mail.complainants_date").clone(),
        None => Localized::new(deadline.limit.to_zh(), deadline.limit.to_en()),
    }
}

fn bracket(text: &str, lang: Lang) -> String {
    lang.pick(format!("（{text}）"), format!(" ({text})"))
}

/// To the office: a case just filed looks like the open case `earlier`
/// (same category, and the same place or the same complainant; see
/// `crate::duplicates`). Both tracking numbers, the new case's fields,
/// why they look alike, and how to merge. No complainant's details: the
/// office opens both cases to compare them.
pub fn possible_duplicate(
    rules: &Rulebook,
    case: &Case,
    earlier: &crate::duplicates::PossibleDuplicate,
    merge_link: Option<&str>,
    lang: Lang,
) -> Message {
    use crate::duplicates::Likeness;
    let mut doc = Letter::new(lang);
    let title = say("mail.possible_duplicate");
    doc.heading(titled(title, lang, case));
    let numbers = |_: Lang| {
        vec![
            ("tracking", case.tracking.to_string()),
            ("earlier", earlier.tracking.to_string()),
        ]
    };
    doc.para(both(
        &say_both("mail.possible_duplicate_intro", numbers),
        lang,
    ));
    let why = match earlier.likeness {
        Likeness::SamePlace => say("mail.possible_duplicate_same_place"),
        Likeness::SameComplainant => say("mail.possible_duplicate_same_complainant"),
    };
    doc.field(
        both(say("mail.possible_duplicate_why"), lang),
        both(why, lang),
    );
    case_fields(&mut doc, rules, case);
    if let Some(url) = merge_link {
        doc.heading(both(say("mail.actions"), lang));
        let label = say_both("mail.action_merge_into", |_| {
            vec![("into", earlier.tracking.to_string())]
        });
        doc.link(both(&label, lang), url.to_string());
    }
    doc.para(say_with(
        "mail.possible_duplicate_how_to_merge",
        lang,
        &numbers(lang),
    ));
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {}", case.tracking.as_str(), both(title, lang));
    addressed(
        rules.office_department().inboxes.clone(),
        doc.render(&subject),
    )
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
            needed_by: None,
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
            reject: Some("https://h.example.org/r".into()),
            raise_severity: None,
            evidence: Vec::new(),
            ask: None,
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

    /// A minor case the complainant needs by an earlier date: both mails
    /// give that date as the completion deadline, and say whose it is.
    #[test]
    fn mails_give_the_complainants_own_date_as_the_completion_deadline() {
        let rules = rules();
        let mut s = submission("complaint", "housing-property", Lang::En);
        s.needed_by = NaiveDate::from_ymd_opt(2026, 11, 26);
        let case = case_for(&rules, &s).needed_by(&rules, s.needed_by);
        let m = department_new_case(&rules, &case, &s, &all_links(), Lang::Zh);
        assert!(
            m.text
                .contains("2026-11-26 18:00（诉求人希望的日期 / the complainant's date）"),
            "{}",
            m.text
        );
        assert!(m.text.contains("The complainant needs it by"), "{}", m.text);
        let ack = acknowledgment(&rules, &case, &s, "https://h.example.org/s").unwrap();
        assert!(
            ack.text
                .contains("2026-11-26 18:00 (the complainant's date)"),
            "{}",
            ack.text
        );
        // Without a date, the rule's limit is named.
        let plain = case_for(
            &rules,
            &submission("complaint", "housing-property", Lang::En),
        );
        let m = department_new_case(&rules, &plain, &s, &all_links(), Lang::Zh);
        assert!(
            m.text.contains("15个工作日 / 15 working days"),
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
        // Only the department's designated staff get a report, never its
        // ordinary inbox; a complaint of the same category goes there.
        assert_eq!(
            m.to,
            vec!["market-regulation-integrity@example.org".to_string()]
        );
        let complaint = submission("complaint", "food-safety", Lang::Zh);
        let ordinary = department_new_case(
            &rules,
            &case_for(&rules, &complaint),
            &complaint,
            &all_links(),
            Lang::Zh,
        );
        assert_eq!(ordinary.to, vec!["market@example.org".to_string()]);
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
            // A report's acceptance is its review.
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
        // The sample names an approver: the office grants the extension.
        let extended = apply(
            &replied,
            Command::Extend {
                reason: evil.into(),
                new_due: received() + chrono::TimeDelta::days(30),
            },
            Actor::Office,
            at,
            &rules,
        )
        .unwrap();
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
        let back = sent_back_to_office(&rules, &accepted, evil, &Default::default(), Lang::Zh);
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
