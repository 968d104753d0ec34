//! The completion clock while a case waits on the complainant's answer
//! (`answer_wait` in the rulebook), on the bundled sample rulebook and its
//! real 2026 calendar: when it stops, by how much the deadline moves, what
//! the trail, the conversation and the statistics say, and the close for
//! want of an answer.

use casework::conversation;
use casework::due::{due_actions, next_due, unanswered_close};
use casework::lifecycle::{ActionKind, Actor, Case, CaseState, Command, LifecycleError, apply};
use casework::rules::{CaseTypeId, CategoryId, DeadlineKind, DepartmentId, parse_rules};
use casework::stats::{self, Month};
use casework::tracking::TrackingNumber;
use casework::{Lang, Rulebook, TimeLimit};
use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;

const SAMPLE: &str = include_str!("../../../content/rules.toml");

fn rules() -> Rulebook {
    parse_rules(Path::new("content/rules.toml"), SAMPLE)
        .expect("the sample rulebook parses")
        .0
}

/// A moment in 2026 on Beijing's clock (UTC+8).
fn beijing(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap() - chrono::Duration::hours(8)
}

fn housing() -> Actor {
    Actor::Department(DepartmentId::new("housing"))
}

fn open(case_type: &str, category: &str, at: DateTime<Utc>) -> Case {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tracking = TrackingNumber::generate("SL", at.date_naive(), &mut rng);
    let rules = rules();
    Case::open(
        tracking,
        CaseTypeId::new(case_type),
        CategoryId::new(category),
        &rules,
        at,
        true,
    )
    .expect("opens")
}

fn run(case: &Case, command: Command, actor: Actor, at: DateTime<Utc>) -> Case {
    apply(case, command, actor, at, &rules()).expect("allowed")
}

fn ask(case: &Case, at: DateTime<Utc>) -> Case {
    let question = Command::Ask {
        question: "请问是哪个单元？".into(),
    };
    run(case, question, housing(), at)
}

fn answer(case: &Case, at: DateTime<Utc>) -> Case {
    let text = Command::ComplainantMessage {
        text: "3 号楼 2 单元。".into(),
    };
    run(case, text, Actor::Complainant, at)
}

fn complete_due(case: &Case) -> DateTime<Utc> {
    case.deadline(DeadlineKind::Complete).unwrap().due_at
}

/// A complaint received Monday 21 September 2026, accepted at once: due
/// Monday 19 October, 18:00 (15 working days past the Mid-Autumn Friday
/// and National Day, counting the make-up Saturday 10 October).
fn accepted_complaint() -> Case {
    let case = open("complaint", "housing-property", beijing(9, 21, 10));
    let case = run(&case, Command::Accept, housing(), beijing(9, 21, 11));
    assert_eq!(complete_due(&case), beijing(10, 19, 18));
    case
}

#[test]
fn the_sample_rulebook_pauses_complaints_and_consultations_only() {
    let rules = rules();
    let wait = |id: &str| rules.case_type(id).unwrap().answer_wait;
    assert_eq!(wait("complaint"), Some(TimeLimit::working_days(10)));
    assert_eq!(wait("consultation"), Some(TimeLimit::working_days(5)));
    assert_eq!(wait("report"), None);
    assert_eq!(wait("suggestion"), None);
}

#[test]
fn an_answer_after_the_holiday_moves_the_deadline_by_the_working_days_waited() {
    // Asked Thursday 24 September; answered Monday 28: the holiday Friday
    // and the weekend are not working days, so one working day waited.
    let asked = ask(&accepted_complaint(), beijing(9, 24, 15));
    assert_eq!(asked.waiting_since(), Some(beijing(9, 24, 15)));
    assert_eq!(asked.events.last().unwrap().action, ActionKind::PauseClock);
    let answered = answer(&asked, beijing(9, 28, 10));
    assert_eq!(answered.waiting_since(), None);
    assert_eq!(answered.waits.len(), 1);
    assert_eq!(answered.waits[0].working_days, 1);
    assert_eq!(answered.waits[0].until, Some(beijing(9, 28, 10)));
    assert_eq!(complete_due(&answered), beijing(10, 20, 18));
    let resumed = answered
        .events
        .iter()
        .find(|e| e.action == ActionKind::ResumeClock)
        .expect("the restart is on the trail");
    assert!(
        resumed
            .note
            .as_deref()
            .unwrap()
            .contains("waited 1 working days")
    );
}

#[test]
fn a_wait_across_national_day_counts_only_its_working_days() {
    // Asked Wednesday 30 September, answered Friday 9 October: 8 and 9
    // October are the only working days in between, so two.
    let asked = ask(&accepted_complaint(), beijing(9, 30, 10));
    let answered = answer(&asked, beijing(10, 9, 10));
    assert_eq!(answered.waits[0].working_days, 2);
    // 19 October plus two working days.
    assert_eq!(complete_due(&answered), beijing(10, 21, 18));
}

#[test]
fn an_answer_the_same_day_moves_nothing() {
    let case = accepted_complaint();
    let answered = answer(&ask(&case, beijing(9, 22, 10)), beijing(9, 22, 16));
    assert_eq!(answered.waits[0].working_days, 0);
    assert_eq!(complete_due(&answered), complete_due(&case));
}

#[test]
fn a_second_question_keeps_the_first_wait() {
    let asked = ask(&accepted_complaint(), beijing(9, 22, 10));
    let again = ask(&asked, beijing(9, 23, 10));
    assert_eq!(again.waits.len(), 1);
    assert_eq!(again.waiting_since(), Some(beijing(9, 22, 10)));
    let pauses = again
        .events
        .iter()
        .filter(|e| e.action == ActionKind::PauseClock)
        .count();
    assert_eq!(pauses, 1);
}

#[test]
fn staff_replying_without_the_answer_restarts_the_clock() {
    let asked = ask(&accepted_complaint(), beijing(9, 22, 10));
    let replied = run(
        &asked,
        Command::Reply {
            text: "已安排维修。".into(),
        },
        housing(),
        beijing(9, 24, 10),
    );
    assert_eq!(replied.waiting_since(), None);
    assert_eq!(replied.waits[0].working_days, 2);
    assert_eq!(complete_due(&replied), beijing(10, 21, 18));
}

#[test]
fn a_report_is_never_paused() {
    let case = open("report", "housing-property", beijing(9, 21, 10));
    let case = run(&case, Command::Accept, housing(), beijing(9, 21, 11));
    let due = complete_due(&case);
    let answered = answer(&ask(&case, beijing(9, 22, 10)), beijing(9, 29, 10));
    assert!(answered.waits.is_empty());
    assert_eq!(complete_due(&answered), due);
    assert!(
        !answered
            .events
            .iter()
            .any(|e| matches!(e.action, ActionKind::PauseClock | ActionKind::ResumeClock))
    );
}

#[test]
fn a_stopped_clock_neither_reminds_nor_escalates() {
    let rules = rules();
    // Asked Wednesday 14 October, before the deadline of the 19th; the
    // wait runs out 10 working days on, Wednesday 28 October, 18:00.
    let case = accepted_complaint();
    let asked = ask(&case, beijing(10, 14, 10));
    assert_eq!(unanswered_close(&asked, &rules), Some(beijing(10, 28, 18)));
    // Before it, the rulebook's raise of a complaint still open 30
    // calendar days after it came in (21 October) is due.
    assert_eq!(next_due(&asked, &rules), Some(beijing(10, 21, 18)));
    // Past the original deadline the running case would have escalated;
    // the waiting one has nothing due about it.
    let after_deadline = beijing(10, 20, 12);
    let completion = |c: &Case| {
        due_actions(c, &rules, after_deadline)
            .into_iter()
            .filter(|a| a.notice.deadline_kind() == Some(DeadlineKind::Complete))
            .count()
    };
    assert!(completion(&case) > 0, "the unpaused case escalates");
    assert_eq!(completion(&asked), 0);
}

#[test]
fn no_answer_in_time_closes_the_case_as_unanswered() {
    let rules = rules();
    let asked = ask(&accepted_complaint(), beijing(9, 22, 10));
    let close_at = unanswered_close(&asked, &rules).unwrap();
    let early = apply(
        &asked,
        Command::CloseUnanswered,
        Actor::System,
        close_at - chrono::Duration::minutes(1),
        &rules,
    );
    assert!(matches!(
        early,
        Err(LifecycleError::IllegalTransition { .. })
    ));
    let by_staff = apply(
        &asked,
        Command::CloseUnanswered,
        housing(),
        close_at,
        &rules,
    );
    assert!(matches!(by_staff, Err(LifecycleError::NotAllowed { .. })));
    let closed = apply(
        &asked,
        Command::CloseUnanswered,
        Actor::System,
        close_at,
        &rules,
    )
    .expect("the wait ran out");
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(closed.closed_at, Some(close_at));
    assert_eq!(closed.waiting_since(), None);
    assert_eq!(unanswered_close(&closed, &rules), None);
    // Too late to answer now; the outcome says why it closed.
    let late = apply(
        &closed,
        Command::ComplainantMessage {
            text: "迟到的答复".into(),
        },
        Actor::Complainant,
        close_at,
        &rules,
    );
    assert!(late.is_err());
    let outcome = casework::messages::outcome(&closed, Lang::Zh).expect("an outcome");
    assert!(outcome.contains("未答复"), "{outcome}");

    let entries = conversation::entries(&closed, &rules, Lang::En);
    let what: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
    assert!(
        what.iter()
            .any(|w| w.contains("paused") && w.contains("10 working days")),
        "{what:?}"
    );
    assert!(what.iter().any(|w| w.contains("no answer")), "{what:?}");

    let month = Month {
        year: 2026,
        month: 9,
    };
    let answered = answer(
        &ask(&accepted_complaint(), beijing(9, 24, 15)),
        beijing(9, 28, 10),
    );
    let plain = accepted_complaint();
    let f = stats::figures(&rules, month, &[&closed, &answered, &plain], close_at);
    assert_eq!(f.waited_on_complainant, 2);
    // The closed one waited 22 September to 13 October: 10 working days
    // (the make-up Saturday counts); the answered one 1.
    assert_eq!(f.working_days_waited, 11);
    assert_eq!(f.closed_unanswered, 1);
}

#[test]
fn the_conversation_shows_the_pause_and_the_move() {
    let rules = rules();
    let asked = ask(&accepted_complaint(), beijing(9, 24, 15));
    let waiting = conversation::entries(&asked, &rules, Lang::Zh);
    assert!(waiting.iter().any(|e| e.awaits_answer));
    assert!(
        waiting
            .iter()
            .any(|e| e.what.contains("暂停") && e.what.contains("10个工作日")),
        "{waiting:?}"
    );
    let answered = answer(&asked, beijing(9, 28, 10));
    let entries = conversation::entries(&answered, &rules, Lang::Zh);
    assert!(!entries.iter().any(|e| e.awaits_answer));
    assert!(
        entries.iter().any(|e| e.what.contains("顺延1个工作日")),
        "{entries:?}"
    );
}
