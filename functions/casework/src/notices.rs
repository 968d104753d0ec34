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
//! Staff mails are bilingual, Chinese first. Each mail is a
//! [`Letter`](crate::letter::Letter), so every value is escaped once, when it
//! enters the HTML, and subjects are one line; the wording comes from the
//! strings table ([`crate::wording`]). No complainant identity ever appears
//! in a department's mail: reminders name the case, not the person.

use crate::letter::{Letter, Reader, both, escape_html, side_by_side, subject_part};
use crate::lifecycle::{Case, Satisfaction};
use crate::localized::{Lang, Localized};
use crate::messages::{Message, addressed};
use crate::rules::{DeadlineKind, Rulebook};
use crate::wording::{say, say_both, say_with};
use chrono::{DateTime, Utc};

// Kept here for the callers that import it from `notices`.
pub use crate::letter::local_time;

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

    fn title(self) -> &'static Localized {
        say(match self {
            DigestKind::Reminders => "notice.reminders",
            DigestKind::Overdue => "notice.overdue",
            DigestKind::Failures => "notice.failures",
        })
    }

    fn intro(self, rules: &Rulebook) -> Localized {
        let key = match self {
            DigestKind::Reminders => "notice.reminders_intro",
            DigestKind::Overdue => "notice.overdue_intro",
            DigestKind::Failures => "notice.failures_intro",
        };
        say_both(key, |lang| {
            vec![("office", rules.office.name.get(lang).to_string())]
        })
    }
}

/// A reminder: `kind` of `case` runs out soon.
pub fn reminder_entry(rules: &Rulebook, case: &Case, kind: DeadlineKind) -> Entry {
    let due = case.deadline(kind).map(|d| d.due_at);
    case_entry(rules, case, kind, due, say("notice.due"), None)
}

/// An escalation: `kind` of `case` has passed; the recipient is `level`.
pub fn overdue_entry(rules: &Rulebook, case: &Case, kind: DeadlineKind, level: u32) -> Entry {
    let due = case.deadline(kind).map(|d| d.due_at);
    case_entry(
        rules,
        case,
        kind,
        due,
        say("notice.was_due"),
        Some(say_both("notice.level", |_| {
            vec![("level", level.to_string())]
        })),
    )
}

/// A mail given up after `attempts` tries. `subject` is the mail's own
/// subject (it may hold visitor text, and is escaped here).
pub fn failure_entry(id: &str, subject: &str, attempts: u32, error: &str) -> Entry {
    let subject = subject_part(subject, 120);
    let error = subject_part(error, 200);
    let title = format!("{id} · {subject}");
    // These two are joined with " / ", as the text always had them.
    let tried = both(
        &say_both("notice.attempts", |_| {
            vec![("attempts", attempts.to_string())]
        }),
        Lang::Zh,
    );
    let last_error = both(say("notice.last_error"), Lang::Zh);
    let text = format!("  {tried}\n  {last_error}: {error}\n");
    let html = format!(
        "<strong>{}</strong><br>{}<br>{}<br>{}: {}",
        escape_html(id),
        escape_html(&subject),
        escape_html(&tried),
        escape_html(&last_error),
        escape_html(&error)
    );
    Entry { title, text, html }
}

/// One mail holding every entry, to `to`; `queue` is the signed link to
/// the recipients' department's page of open cases
/// (`crate::queue_token`), shown under the intro when there is one.
pub fn digest(
    rules: &Rulebook,
    kind: DigestKind,
    to: Vec<String>,
    entries: &[Entry],
    queue: Option<&str>,
) -> Message {
    let title = side_by_side(kind.title());
    let mut doc = Letter::side_by_side();
    doc.title(title.clone());
    doc.para(side_by_side(&kind.intro(rules)));
    if let Some(url) = queue {
        doc.link(side_by_side(say("notice.queue_link")), url.to_string());
    }
    doc.items(
        entries
            .iter()
            .map(|e| (e.title.clone(), e.text.clone(), e.html.clone()))
            .collect(),
    );
    doc.footer(rules, Reader::Staff);
    let count = staff(say(if entries.len() == 1 {
        "notice.one_case"
    } else {
        "notice.cases"
    }));
    let subject = format!("{title} · {} {count}", entries.len());
    addressed(to, doc.render(&subject))
}

/// A case whose severity asks for the supervisor to hear of it at once.
pub fn supervisor_alert(rules: &Rulebook, case: &Case, to: Vec<String>) -> Message {
    staff_case_mail(
        rules,
        case,
        to,
        "notice.supervisor_alert",
        "notice.supervisor_alert_intro",
    )
}

/// A case sent back longer ago than the rulebook's `reroute_within` and
/// not re-routed yet.
pub fn reroute_overdue(rules: &Rulebook, case: &Case, to: Vec<String>) -> Message {
    staff_case_mail(
        rules,
        case,
        to,
        "notice.reroute_overdue",
        "notice.reroute_overdue_intro",
    )
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
    let args = [
        ("office", rules.office.name.get(lang).to_string()),
        ("tracking", case.tracking.as_str().to_string()),
        ("until", local_time(rules, links.expires_at)),
        (
            "unsatisfied",
            answers_named(&rules.follow_up.unsatisfied, true, lang),
        ),
    ];
    let heading = say("notice.survey").get(lang).to_string();
    let mut doc = Letter::new(lang);
    doc.title(heading.clone());
    doc.para(say_with("notice.survey_intro", lang, &args));
    if let Some(outcome) = &case.outcome {
        doc.field(say("mail.outcome").get(lang).to_string(), outcome.clone());
    }
    for (rating, url) in &links.ratings {
        doc.link(rating_label(*rating).get(lang).to_string(), url.clone());
    }
    doc.link(
        say("notice.survey_comment").get(lang).to_string(),
        links.comment.clone(),
    );
    doc.para(say_with("notice.survey_if_not", lang, &args));
    doc.footer(rules, Reader::Complainant);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    addressed(vec![email.to_string()], doc.render(&subject))
}

/// The survey by phone: to the office, for a complainant who left no e-mail.
pub fn phone_follow_up(rules: &Rulebook, case: &Case, phone: &str, to: Vec<String>) -> Message {
    let heading = staff(say("notice.phone_follow_up"));
    let mut doc = Letter::side_by_side();
    doc.title(heading.clone());
    doc.para(staff(say("notice.phone_follow_up_intro")));
    case_summary(&mut doc, rules, case);
    doc.field(staff(say("mail.phone")), phone.to_string());
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    addressed(to, doc.render(&subject))
}

/// How each rating is offered.
pub fn rating_label(rating: Satisfaction) -> Localized {
    say(match rating {
        Satisfaction::VerySatisfied => "notice.very_satisfied",
        Satisfaction::Satisfied => "notice.satisfied",
        Satisfaction::Neutral => "notice.neutral",
        Satisfaction::Dissatisfied => "notice.dissatisfied",
        Satisfaction::VeryDissatisfied => "notice.very_dissatisfied",
    })
    .clone()
}

/// The five ratings, best first, as a survey offers them.
pub use crate::action_token::RATINGS;

/// Answers named in a sentence, quoted, in survey order: "“一般”、“不满意”或
/// “非常不满意”" (`any`: one of them) or "“非常满意”和“满意”" (all of them).
pub fn answers_named(answers: &[Satisfaction], any: bool, lang: Lang) -> String {
    let names: Vec<String> = RATINGS
        .iter()
        .filter(|r| answers.contains(r))
        .map(|r| {
            format!(
                "{}{}{}",
                lang.pick("“", "\""),
                rating_label(*r).get(lang),
                lang.pick("”", "\"")
            )
        })
        .collect();
    let last = match (any, lang) {
        (true, Lang::Zh) => "或",
        (false, Lang::Zh) => "和",
        (true, Lang::En) => " or ",
        (false, Lang::En) => " and ",
    };
    match names.split_last() {
        Some((end, rest)) if !rest.is_empty() => {
            format!("{}{last}{end}", rest.join(lang.pick("、", ", ")))
        }
        _ => names.concat(),
    }
}

// ── helpers ─────────────────────────────────────────────────────────────

/// Staff text: Chinese and English side by side.
fn staff(text: &Localized) -> String {
    side_by_side(text)
}

/// An alert about one case to staff: a title, a sentence, the case.
fn staff_case_mail(
    rules: &Rulebook,
    case: &Case,
    to: Vec<String>,
    title: &str,
    intro: &str,
) -> Message {
    let heading = staff(say(title));
    let mut doc = Letter::side_by_side();
    doc.title(heading.clone());
    // `{within}`: the rulebook's limit for re-routing a case sent back.
    let within = rules.office.reroute_within;
    doc.para(staff(&say_both(intro, |lang| {
        vec![("within", within.localized(lang))]
    })));
    case_summary(&mut doc, rules, case);
    doc.footer(rules, Reader::Staff);
    let subject = format!("[{}] {heading}", case.tracking.as_str());
    addressed(to, doc.render(&subject))
}

fn case_entry(
    rules: &Rulebook,
    case: &Case,
    kind: DeadlineKind,
    due: Option<DateTime<Utc>>,
    due_label: &Localized,
    level: Option<Localized>,
) -> Entry {
    let names = CaseNames::of(rules, case);
    let due_text = due.map(|d| local_time(rules, d)).unwrap_or_default();
    let deadline = staff(&kind.name());
    let department = staff(say("notice.department"));
    let mut title = format!(
        "{} · {} · {} · {deadline} {due_text}",
        case.tracking.as_str(),
        names.case_type,
        names.category
    );
    if let Some(level) = &level {
        title.push_str(&format!(" · {}", staff(level)));
    }
    let text = format!(
        "  {department}: {}\n  {}: {due_text}\n",
        names.department,
        staff(due_label),
    );
    let html = format!(
        "<strong>{}</strong> · {} · {}<br>{}: {deadline}, {}: {}<br>{}: {}{}",
        escape_html(case.tracking.as_str()),
        escape_html(&names.case_type),
        escape_html(&names.category),
        escape_html(&staff(say("notice.deadline"))),
        escape_html(&staff(due_label)),
        escape_html(&due_text),
        escape_html(&department),
        escape_html(&names.department),
        level
            .map(|l| format!("<br>{}", escape_html(&staff(&l))))
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
        let or_id =
            |name: Option<&Localized>, id: &str| name.map(staff).unwrap_or_else(|| id.to_string());
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

fn case_summary(doc: &mut Letter, rules: &Rulebook, case: &Case) {
    let names = CaseNames::of(rules, case);
    let label = |key: &str| staff(say(key));
    doc.field(label("mail.tracking_number"), case.tracking.as_str().into());
    doc.field(label("mail.type"), names.case_type);
    doc.field(label("mail.category"), names.category);
    doc.field(label("mail.severity"), names.severity);
    doc.field(label("notice.department"), names.department);
    doc.field(label("mail.received"), local_time(rules, case.received_at));
    for d in case.deadlines.iter().filter(|d| d.met_at.is_none()) {
        doc.field(staff(&d.kind.name()), local_time(rules, d.due_at));
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
            Some("https://h.example.org/api/queue/housing?token=q1.1.a&b"),
        );
        assert_eq!(m.to, ["housing@example.org"]);
        // The queue link, once in each part, escaped in HTML.
        assert_eq!(m.text.matches("/queue/housing?token=").count(), 1);
        assert!(m.html.contains("/queue/housing?token=q1.1.a&amp;b"));
        let without = digest(
            &rules,
            DigestKind::Reminders,
            vec!["housing@example.org".into()],
            &entries,
            None,
        );
        assert!(!without.text.contains("/queue/"));
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
        // Who may ask for the case to be handled again is the rulebook's list.
        assert!(
            en.text
                .contains("If you answer \"Dissatisfied\" or \"Very dissatisfied\""),
            "{}",
            en.text
        );
        let mut neutral_too = rules.clone();
        neutral_too
            .follow_up
            .unsatisfied
            .insert(0, crate::lifecycle::Satisfaction::Neutral);
        let zh = survey(&neutral_too, &case, "me@example.org", Lang::Zh, &links);
        assert!(
            zh.text.contains("如果您选择“一般”、“不满意”或“非常不满意”"),
            "{}",
            zh.text
        );
    }

    proptest! {
        #[test]
        fn visitor_text_never_breaks_the_html_or_the_subject(s in "\\PC{0,40}[<>&\"'\r\n]{1,5}\\PC{0,40}") {
            let rules = rules();
            let entry = failure_entry("SL-1/new-case", &s, 5, &s);
            let m = digest(&rules, DigestKind::Failures, vec!["office@example.org".into()], &[entry], None);
            let body = m
                .html
                .split_once("<body")
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(_, body)| body)
                .expect("the mail has a body");
            for bad in ['<', '>'] {
                // Only our own tags carry angle brackets.
                let stripped = body
                    .replace("<h1>", "").replace("</h1>", "").replace("<p>", "").replace("</p>", "")
                    .replace("<ol>", "").replace("</ol>", "").replace("<li>", "").replace("</li>", "")
                    .replace("<strong>", "").replace("</strong>", "").replace("<br>", "").replace("<hr>", "")
                    .replace("</body>", "").replace("</html>", "");
                prop_assert!(!stripped.contains(bad), "{stripped}");
            }
            prop_assert!(!m.subject.contains('\n') && !m.subject.contains('\r'));
        }
    }
}
