//! What the complainant's case page shows of the audit trail: the
//! conversation with the office and the decisions, in their language.
//!
//! The audit trail (`lifecycle::Event`) is the one record of what
//! happened; this picks the entries a complainant may read and words them.
//! Staff-only notes (why a case was sent back, which department it went to
//! next, the approver's note on an extension) are never shown, nor is any
//! department's name: the complainant hears from "the office", as a
//! 12345 line relays its departments' answers. Pure, no I/O.

use crate::Rulebook;
use crate::lifecycle::{ActionKind, Actor, Case};
use crate::localized::Lang;
use crate::wording::{say, say_with};
use chrono::{DateTime, Utc};

/// Who an entry is from, as the complainant sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The complainant themself.
    You,
    /// The office or one of its departments.
    Office,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub speaker: Speaker,
    /// What happened, worded (e.g. "We asked you").
    pub what: String,
    /// What was said, when something was: the question, the reply, the
    /// complainant's own words, the reason given.
    pub text: Option<String>,
    /// Whether this asks the complainant something still unanswered.
    pub awaits_answer: bool,
}

/// The entries of `case` a complainant may read, oldest first, in `lang`.
pub fn entries(case: &Case, rules: &Rulebook, lang: Lang) -> Vec<Entry> {
    let word = |key: &str| say(&format!("conversation.{key}")).get(lang).to_string();
    let wait = rules
        .case_type(case.case_type.as_str())
        .and_then(|t| t.answer_wait)
        .map(|l| l.localized(lang))
        .unwrap_or_default();
    // The n-th restart of the clock ended the n-th wait.
    let mut ended_waits = case.waits.iter().filter(|w| w.until.is_some());
    let mut out: Vec<Entry> = Vec::new();
    let mut last_ask = None;
    let last_reply_event = case
        .events
        .iter()
        .rposition(|e| e.action == ActionKind::Reply);
    for (i, e) in case.events.iter().enumerate() {
        let worded = match e.action {
            ActionKind::PauseClock => Some(say_with(
                "conversation.clock_paused",
                lang,
                &[("wait", wait.clone())],
            )),
            ActionKind::ResumeClock => {
                let days = ended_waits.next().map_or(0, |w| w.working_days);
                // A wait that cost no working day moved nothing: not news.
                if days == 0 {
                    continue;
                }
                Some(say_with(
                    "conversation.clock_resumed",
                    lang,
                    &[("days", days.to_string())],
                ))
            }
            _ => None,
        };
        let (speaker, key, text) = match e.action {
            ActionKind::PauseClock | ActionKind::ResumeClock => (Speaker::Office, "", None),
            ActionKind::CloseUnanswered => (Speaker::Office, "closed_unanswered", None),
            ActionKind::Receive => (Speaker::Office, "received", None),
            ActionKind::Accept => (Speaker::Office, "accepted", None),
            // Replies before a reopen are not kept apart; the latest one is.
            ActionKind::Reply => (
                Speaker::Office,
                "replied",
                if Some(i) == last_reply_event {
                    case.public_reply.clone()
                } else {
                    None
                },
            ),
            ActionKind::Extend | ActionKind::ApproveExtension => {
                (Speaker::Office, "extended", None)
            }
            ActionKind::Close => (Speaker::Office, "closed", case.outcome.clone()),
            ActionKind::Reject => (Speaker::Office, "rejected", e.note.clone()),
            ActionKind::Reopen => (Speaker::Office, "reopened", None),
            ActionKind::RecordSatisfaction => (Speaker::You, "rated", None),
            ActionKind::Ask => (Speaker::Office, "asked", e.note.clone()),
            ActionKind::ComplainantMessage => (Speaker::You, "you_wrote", e.note.clone()),
            // Files sent after filing: checked and kept, or refused (the
            // note is a refusal code, not words for people).
            ActionKind::AddEvidence => (Speaker::Office, "file_added", None),
            ActionKind::RefuseEvidence => (Speaker::Office, "file_refused", None),
            // Internal steps: routing, reminders, the approver's work.
            ActionKind::Forward
            | ActionKind::SendBack
            | ActionKind::Reroute
            | ActionKind::HandBack
            | ActionKind::RequestExtension
            | ActionKind::RefuseExtension
            | ActionKind::RaiseSeverity
            | ActionKind::SendNotice
            | ActionKind::Merge
            | ActionKind::Unmerge => continue,
        };
        // Only the complainant's own actions are theirs; anything else
        // (a department, the office, the system) is "the office".
        let speaker = match (&e.actor, speaker) {
            (Actor::Complainant, _) => Speaker::You,
            (_, Speaker::You) => Speaker::You,
            _ => Speaker::Office,
        };
        if e.action == ActionKind::Ask {
            last_ask = Some(out.len());
        }
        out.push(Entry {
            at: e.at,
            speaker,
            what: worded.unwrap_or_else(|| word(key)),
            text,
            awaits_answer: false,
        });
    }
    // A question waits while nothing of the complainant's follows it.
    if !case.state.is_terminal()
        && let Some(last_ask) = last_ask
        && !out[last_ask..].iter().any(|e| e.speaker == Speaker::You)
    {
        out[last_ask].awaits_answer = true;
    }
    out
}

/// Whether the case waits on an answer from the complainant.
pub fn awaits_answer(case: &Case, rules: &Rulebook) -> bool {
    entries(case, rules, Lang::Zh)
        .iter()
        .any(|e| e.awaits_answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::{complaint_in, dept, rules, step, t};
    use crate::lifecycle::{CaseState, Command};

    #[test]
    fn a_question_waits_until_the_complainant_writes_and_staff_notes_never_show() {
        let housing = dept("housing");
        let accepted = complaint_in(CaseState::Accepted);
        let asked = step(
            &accepted,
            Command::Ask {
                question: "Which entrance?".into(),
            },
            housing.clone(),
            t(2),
        );
        let shown = entries(&asked, &rules(), Lang::En);
        let last = shown.last().expect("entries");
        assert_eq!(last.text.as_deref(), Some("Which entrance?"));
        assert_eq!(last.speaker, Speaker::Office);
        assert!(last.awaits_answer);
        assert!(awaits_answer(&asked, &rules()));

        let answered = step(
            &asked,
            Command::ComplainantMessage {
                text: "The north one.".into(),
            },
            Actor::Complainant,
            t(3),
        );
        let shown = entries(&answered, &rules(), Lang::Zh);
        assert!(!shown.iter().any(|e| e.awaits_answer));
        let mine = shown.last().expect("entries");
        assert_eq!(mine.speaker, Speaker::You);
        assert_eq!(mine.what, "您补充了内容");
        assert_eq!(mine.text.as_deref(), Some("The north one."));

        // A send-back's reason is the office's, not the complainant's.
        let sent_back = step(
            &complaint_in(CaseState::Accepted),
            Command::SendBack {
                reason: "internal: not our street".into(),
            },
            housing,
            t(2),
        );
        assert!(
            entries(&sent_back, &rules(), Lang::En)
                .iter()
                .all(|e| e.text.as_deref() != Some("internal: not our street"))
        );
    }

    #[test]
    fn the_reply_and_the_outcome_are_shown_and_a_closed_case_waits_on_nothing() {
        let closed = complaint_in(CaseState::Closed);
        let shown = entries(&closed, &rules(), Lang::En);
        assert!(
            shown
                .iter()
                .any(|e| e.text.as_deref() == Some("Fixed on Tuesday."))
        );
        assert!(
            shown
                .iter()
                .any(|e| e.what == "The case was closed" && e.text.is_some())
        );
        assert!(!awaits_answer(&closed, &rules()));
        // The complainant may not write on a closed case, nor ask.
        assert!(
            crate::lifecycle::apply(
                &closed,
                Command::ComplainantMessage { text: "x".into() },
                Actor::Complainant,
                t(5),
                &rules()
            )
            .is_err()
        );
        assert!(
            crate::lifecycle::apply(
                &complaint_in(CaseState::Accepted),
                Command::Ask {
                    question: "x".into()
                },
                Actor::Complainant,
                t(5),
                &rules()
            )
            .is_err()
        );
    }
}
