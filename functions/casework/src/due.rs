//! What the scheduler must send for a case, and when.
//!
//! Every notice a case can need is a [`Notice`]; each goes out at most once,
//! and the case remembers the ones sent in [`Case::sent`]. From the case and
//! the rulebook alone this module works out the whole plan:
//!
//! - a supervisor alert at once, for severities that ask for one;
//! - for every unmet deadline while a department has the case, a reminder
//!   before it runs out ([`crate::calendar::Calendar::reminder_time`], moved
//!   into working hours by [`working_time`]: nobody reads a reminder sent on
//!   a Saturday night; one that would land after its deadline is dropped), and
//!   once it has passed, an escalation one level above the handling level,
//!   then one more level after every further `reminders.before` of overdue
//!   time, up to the complaint office, each level once;
//! - for a case sent back, an alert to the office if it is not re-routed
//!   within one working day;
//! - for a closed case, the follow-up survey after `follow_up.after`, if the
//!   complainant can be reached.
//!
//! A case merged into another (并单) plans nothing: the survivor's
//! deadlines speak for it until it is unmerged.
//!
//! [`due_actions`] picks what is due at a given time; [`next_due`] tells the
//! store when to look at the case again. Sending is the shell's business: it
//! sends, then records the notice with [`Case::mark_sent`].

use crate::lifecycle::{ActionKind, Actor, Case, CaseState, Event, office_level};
// Kept here for the callers that name it `due::Notice`.
pub use crate::notice::Notice;
use crate::rules::{DeadlineKind, DepartmentId, Rulebook, SeverityId};
use crate::time_limit::TimeLimit;
use chrono::{DateTime, Utc};

/// The first moment at or after `t` inside opening hours of a working day
/// (closing time itself counts): `t` itself when it already is.
pub fn working_time(calendar: &crate::calendar::Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
    // Zero working hours from `t` is exactly where counting would start.
    calendar.deadline(t, TimeLimit::working_hours(0))
}

/// Who receives a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Level 0: the department's inboxes.
    Inbox {
        department: DepartmentId,
        addresses: Vec<String>,
    },
    /// One of the department's escalation levels (1 is the supervisor).
    Escalation {
        department: DepartmentId,
        level: u32,
        address: String,
    },
    /// The complaint office: the level after the department's last.
    Office { addresses: Vec<String> },
    /// The complainant, at the contact they left.
    Complainant,
}

impl Recipients {
    /// Who stands at `level` above `department`'s inbox; past the
    /// department's list (or for a department no longer in the rulebook),
    /// the complaint office.
    /// At level 0 a whistle-blowing report goes to the department's
    /// designated staff ([`crate::rules::Department::inboxes_for`]).
    pub fn at_level(rules: &Rulebook, case: &Case, level: u32) -> Recipients {
        let department = &case.department;
        let Some(dept) = rules.department(department.as_str()) else {
            return Recipients::office(rules);
        };
        if level == 0 {
            return Recipients::Inbox {
                department: department.clone(),
                addresses: dept
                    .inboxes_for(rules.case_type(case.case_type.as_str()))
                    .to_vec(),
            };
        }
        match usize::try_from(level - 1)
            .ok()
            .and_then(|i| dept.escalation.get(i))
        {
            Some(address) => Recipients::Escalation {
                department: department.clone(),
                level,
                address: address.clone(),
            },
            None => Recipients::office(rules),
        }
    }

    /// The complaint office's inboxes.
    pub fn office(rules: &Rulebook) -> Recipients {
        Recipients::Office {
            addresses: rules.office_department().inboxes.clone(),
        }
    }
}

/// A notice to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAction {
    pub notice: Notice,
    /// When it became due.
    pub at: DateTime<Utc>,
    pub recipients: Recipients,
}

/// One entry of a case's plan.
struct Planned {
    action: DueAction,
    /// A reminder is pointless once its deadline has passed: from then on
    /// the escalation speaks for it.
    useless_from: Option<DateTime<Utc>>,
}

/// Everything due at or before `now` and not sent yet, earliest first.
pub fn due_actions(case: &Case, rules: &Rulebook, now: DateTime<Utc>) -> Vec<DueAction> {
    if case.merged_into.is_some() {
        return Vec::new();
    }
    plan(case, rules)
        .into_iter()
        .filter(|p| p.action.at <= now && p.useless_from.is_none_or(|end| now < end))
        .map(|p| p.action)
        .collect()
}

/// The earliest time anything not yet sent becomes due (a notice, or the
/// rulebook's raise of an unresolved case); `None` when nothing more can
/// ever be due for the case as it stands.
pub fn next_due(case: &Case, rules: &Rulebook) -> Option<DateTime<Utc>> {
    // A merged case has no deadlines of its own: the survivor's are its.
    if case.merged_into.is_some() {
        return None;
    }
    let raise = severity_raise(case, rules).map(|(_, at)| at);
    plan(case, rules)
        .into_iter()
        .map(|p| p.action.at)
        .chain(raise)
        .chain(unanswered_close(case, rules))
        .min()
}

/// When a case waiting on the complainant's answer closes as unanswered:
/// its type's `answer_wait` after the question, while it still waits.
pub fn unanswered_close(case: &Case, rules: &Rulebook) -> Option<DateTime<Utc>> {
    if !case.state.is_with_department() || case.merged_into.is_some() {
        return None;
    }
    let since = case.waiting_since()?;
    let wait = rules.case_type(case.case_type.as_str())?.answer_wait?;
    Some(rules.calendar.deadline(since, wait))
}

/// The severity the rulebook raises this case to for being left
/// unresolved (`raise_unresolved` of its type), and from when: only for a
/// valid case (accepted, not closed) that is not that severe yet.
pub fn severity_raise(case: &Case, rules: &Rulebook) -> Option<(SeverityId, DateTime<Utc>)> {
    if !matches!(case.state, CaseState::Accepted | CaseState::Replied) || case.merged_into.is_some()
    {
        return None;
    }
    let raise = rules
        .case_type(case.case_type.as_str())?
        .raise_unresolved
        .as_ref()?;
    let (current, target) = (
        rules.severity_rank(&case.severity),
        rules.severity_rank(&raise.to)?,
    );
    if current.is_some_and(|c| c >= target) {
        return None;
    }
    let at = rules.calendar.deadline(case.received_at, raise.after);
    Some((raise.to.clone(), at))
}

impl Case {
    /// Records that `notice` went out at `at`, with a line in the audit
    /// trail. Recording a notice twice changes nothing and returns `false`,
    /// so a retried send cannot double the trail.
    pub fn mark_sent(&mut self, notice: Notice, at: DateTime<Utc>) -> bool {
        if self.sent.contains(&notice) {
            return false;
        }
        self.events.push(Event {
            at,
            actor: Actor::System,
            action: ActionKind::SendNotice,
            note: Some(notice.to_string()),
            from: self.state,
            to: self.state,
        });
        self.sent.insert(notice);
        true
    }
}

/// Every notice the case still needs, with when and to whom, earliest first.
fn plan(case: &Case, rules: &Rulebook) -> Vec<Planned> {
    let mut plan = Vec::new();
    let mut add = |notice: Notice, at, recipients, useless_from| {
        if !case.sent.contains(&notice) {
            plan.push(Planned {
                action: DueAction {
                    notice,
                    at,
                    recipients,
                },
                useless_from,
            });
        }
    };
    let calendar = &rules.calendar;
    let department = &case.department;
    match case.state {
        CaseState::Received | CaseState::Accepted | CaseState::Replied => {
            let alerting = rules
                .severity(case.severity.as_str())
                .is_some_and(|s| s.notify_supervisor);
            if alerting {
                // At once: on opening, or when the severity was raised.
                let since = case
                    .last_event(ActionKind::RaiseSeverity)
                    .unwrap_or(case.received_at);
                add(
                    Notice::SupervisorAlert,
                    since,
                    Recipients::at_level(rules, case, 1),
                    None,
                );
            }
            // Files sent after filing (the case page, the bucket) go to
            // the department in one mail per batch, once they are all in.
            let told = case
                .sent
                .iter()
                .filter_map(|n| match n {
                    Notice::FilesAdded { upto } => Some(*upto),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            let later = case
                .evidence
                .iter()
                .filter(|i| i.added_at > case.received_at && i.number > told);
            if let Some(last) = later.max_by_key(|i| (i.added_at, i.number)) {
                let upto = case.evidence.iter().map(|i| i.number).max().unwrap_or(0);
                add(
                    Notice::FilesAdded { upto },
                    last.added_at,
                    Recipients::at_level(rules, case, case.escalation_level),
                    None,
                );
            }
            let top = office_level(rules, department);
            let first = (case.escalation_level + 1).min(top);
            let before = rules.reminders.before;
            // A stopped completion clock neither reminds nor escalates: its
            // deadline moves when the wait ends.
            let waiting = case.waiting_since().is_some();
            for d in case
                .deadlines
                .iter()
                .filter(|d| d.met_at.is_none())
                .filter(|d| !(waiting && d.kind == DeadlineKind::Complete))
            {
                let first_escalation = Notice::Escalation {
                    kind: d.kind,
                    level: first,
                };
                // Once the deadline has escalated the reminder is moot.
                let remind_at = working_time(
                    calendar,
                    calendar.reminder_time(d.started_at, d.due_at, before),
                );
                if !case.sent.contains(&first_escalation) && remind_at < d.due_at {
                    add(
                        Notice::Reminder { kind: d.kind },
                        remind_at,
                        Recipients::at_level(rules, case, case.escalation_level),
                        Some(d.due_at),
                    );
                }
                let mut at = d.due_at;
                for level in first..=top {
                    add(
                        Notice::Escalation {
                            kind: d.kind,
                            level,
                        },
                        at,
                        Recipients::at_level(rules, case, level),
                        None,
                    );
                    at = calendar.deadline(at, before);
                }
            }
        }
        CaseState::SentBack => {
            let since = case.sent_back_at().unwrap_or(case.received_at);
            add(
                Notice::RerouteOverdue,
                calendar.deadline(since, rules.office.reroute_within),
                Recipients::office(rules),
                None,
            );
        }
        CaseState::Closed => {
            if let (true, Some(closed_at)) = (case.can_follow_up, case.closed_at) {
                add(
                    Notice::FollowUpSurvey,
                    calendar.deadline(closed_at, rules.follow_up.after),
                    Recipients::Complainant,
                    None,
                );
            }
        }
        CaseState::Rejected => {}
    }
    plan.sort_by_key(|p| p.action.at);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::*;
    use crate::lifecycle::{Command, apply};
    use crate::rules::DeadlineKind;
    use chrono::Duration;
    use proptest::prelude::*;

    fn housing() -> DepartmentId {
        DepartmentId::new("housing")
    }

    fn notices(actions: &[DueAction]) -> Vec<Notice> {
        actions.iter().map(|a| a.notice.clone()).collect()
    }

    fn reminder(kind: DeadlineKind) -> Notice {
        Notice::Reminder { kind }
    }

    fn escalation(kind: DeadlineKind, level: u32) -> Notice {
        Notice::Escalation { kind, level }
    }

    /// Sends everything due at `now`, as the scheduler would.
    fn send_all(case: &mut Case, now: DateTime<Utc>) -> Vec<Notice> {
        let due = due_actions(case, &rules(), now);
        for action in &due {
            assert!(case.mark_sent(action.notice.clone(), now));
        }
        notices(&due)
    }

    #[test]
    fn a_reminder_goes_out_once_before_the_deadline() {
        let rules = rules();
        let mut case = open("complaint", "repairs");
        assert!(due_actions(&case, &rules, t(22)).is_empty());
        // Accept runs out at 24 h: six hours ahead (04:00 on Tuesday) is
        // later than half-way, and waits for opening time at 09:00.
        assert_eq!(next_due(&case, &rules), Some(t(23)));
        let due = due_actions(&case, &rules, t(23));
        assert_eq!(
            due,
            [DueAction {
                notice: reminder(DeadlineKind::Accept),
                at: t(23),
                recipients: Recipients::Inbox {
                    department: housing(),
                    addresses: vec!["housing@example.org".into()],
                },
            }]
        );
        let events = case.events.len();
        assert!(case.mark_sent(due[0].notice.clone(), t(23)));
        assert_eq!(case.events.len(), events + 1);
        assert!(!case.mark_sent(due[0].notice.clone(), t(19)), "idempotent");
        assert_eq!(case.events.len(), events + 1);
        assert!(due_actions(&case, &rules, t(23)).is_empty());
        assert_eq!(next_due(&case, &rules), Some(t(24)));
    }

    #[test]
    fn an_overdue_deadline_climbs_one_level_at_a_time() {
        let rules = rules();
        let mut case = open("complaint", "repairs");
        assert_eq!(send_all(&mut case, t(23)), [reminder(DeadlineKind::Accept)]);
        let first = due_actions(&case, &rules, t(24));
        assert_eq!(notices(&first), [escalation(DeadlineKind::Accept, 1)]);
        assert_eq!(
            first[0].recipients,
            Recipients::Escalation {
                department: housing(),
                level: 1,
                address: "chief@example.org".into(),
            }
        );
        assert_eq!(
            send_all(&mut case, t(24)),
            [escalation(DeadlineKind::Accept, 1)]
        );
        assert!(due_actions(&case, &rules, t(29)).is_empty());
        assert_eq!(
            send_all(&mut case, t(30)),
            [escalation(DeadlineKind::Accept, 2)]
        );
        let office = due_actions(&case, &rules, t(36));
        assert_eq!(notices(&office), [escalation(DeadlineKind::Accept, 3)]);
        assert_eq!(
            office[0].recipients,
            Recipients::Office {
                addresses: vec!["office@example.org".into()]
            }
        );
        assert_eq!(send_all(&mut case, t(36)).len(), 1);
        // The office is the top: nothing more for this deadline, ever.
        // Thursday 04:00 is moved to opening time.
        assert_eq!(next_due(&case, &rules), Some(t(71)), "the reply reminder");
        assert_eq!(
            notices(&due_actions(&case, &rules, t(71))),
            [reminder(DeadlineKind::Reply)]
        );
    }

    #[test]
    fn a_late_scheduler_skips_the_moot_reminder() {
        let rules = rules();
        let mut case = open("complaint", "repairs");
        // Asleep from before the reminder until after two levels were due.
        assert_eq!(
            send_all(&mut case, t(31)),
            [
                escalation(DeadlineKind::Accept, 1),
                escalation(DeadlineKind::Accept, 2)
            ]
        );
        assert_eq!(next_due(&case, &rules), Some(t(36)));
    }

    #[test]
    fn meeting_a_deadline_stops_its_notices() {
        let rules = rules();
        let case = open("complaint", "repairs");
        let accepted = apply(&case, Command::Accept, dept("housing"), t(20), &rules).unwrap();
        assert_eq!(next_due(&accepted, &rules), Some(t(71)));
        assert!(due_actions(&accepted, &rules, t(70)).is_empty());
    }

    #[test]
    fn a_severe_case_alerts_the_supervisor_at_once() {
        let rules = rules();
        let mut case = open("complaint", "collapse");
        let due = due_actions(&case, &rules, t0());
        assert_eq!(notices(&due), [Notice::SupervisorAlert]);
        assert_eq!(due[0].at, t0());
        assert!(matches!(
            &due[0].recipients,
            Recipients::Escalation { level: 1, .. }
        ));
        case.mark_sent(Notice::SupervisorAlert, t0());
        // Accept in 2 h: half-way (1 h) is later than 6 h ahead.
        assert_eq!(next_due(&case, &rules), Some(t(1)));

        // Raising a case to `major` alerts from the moment it was raised.
        let minor = open("complaint", "repairs");
        let raised = apply(
            &minor,
            Command::RaiseSeverity {
                severity: crate::rules::SeverityId::new("major"),
            },
            Actor::Office,
            t(5),
            &rules,
        )
        .unwrap();
        let due = due_actions(&raised, &rules, t(5));
        assert!(notices(&due).contains(&Notice::SupervisorAlert));
        assert!(!notices(&due_actions(&raised, &rules, t(4))).contains(&Notice::SupervisorAlert));
    }

    #[test]
    fn a_closed_case_gets_one_survey_if_the_complainant_can_be_reached() {
        let rules = rules();
        let mut case = complaint_in(CaseState::Closed);
        assert_eq!(case.closed_at, Some(t(2)));
        assert_eq!(next_due(&case, &rules), Some(t(50)));
        assert!(due_actions(&case, &rules, t(49)).is_empty());
        let due = due_actions(&case, &rules, t(50));
        assert_eq!(notices(&due), [Notice::FollowUpSurvey]);
        assert_eq!(due[0].recipients, Recipients::Complainant);
        case.mark_sent(Notice::FollowUpSurvey, t(50));
        assert_eq!(next_due(&case, &rules), None);
        assert!(due_actions(&case, &rules, t(1000)).is_empty());

        let mut unreachable = complaint_in(CaseState::Closed);
        unreachable.can_follow_up = false;
        assert_eq!(next_due(&unreachable, &rules), None);
        assert_eq!(next_due(&complaint_in(CaseState::Rejected), &rules), None);
    }

    #[test]
    fn a_sent_back_case_alerts_the_office_after_one_working_day() {
        let rules = rules();
        let mut case = complaint_in(CaseState::SentBack);
        // Sent back on Monday at 11:00 in Beijing: re-route by Tuesday's closing time.
        let tuesday_close = t0() + Duration::hours(32);
        assert_eq!(next_due(&case, &rules), Some(tuesday_close));
        let due = due_actions(&case, &rules, tuesday_close);
        assert_eq!(notices(&due), [Notice::RerouteOverdue]);
        assert!(matches!(due[0].recipients, Recipients::Office { .. }));
        case.mark_sent(Notice::RerouteOverdue, tuesday_close);
        assert_eq!(next_due(&case, &rules), None);
    }

    #[test]
    fn an_extension_moves_the_completion_notices() {
        let rules = rules();
        let case = complaint_in(CaseState::Replied);
        let extended = apply(
            &case,
            Command::Extend {
                reason: "Parts ordered.".into(),
                new_due: t(300),
            },
            dept("housing"),
            t(5),
            &rules,
        )
        .unwrap();
        // Thursday 04:00 waits for opening time; the extended reminder would
        // fall on Saturday and wait past its own deadline, so it is dropped.
        assert_eq!(next_due(&case, &rules), Some(t(239)));
        assert_eq!(next_due(&extended, &rules), Some(t(300)));
        assert!(due_actions(&extended, &rules, t(299)).is_empty());
        assert_eq!(
            notices(&due_actions(&extended, &rules, t(300))),
            [escalation(DeadlineKind::Complete, 1)]
        );
    }

    #[test]
    fn a_reopened_case_is_chased_from_its_new_level() {
        let rules = rules();
        let closed = complaint_in(CaseState::Closed);
        let reopened = apply(
            &closed,
            Command::Reopen {
                reason: "Still leaking.".into(),
            },
            Actor::Office,
            t(10),
            &rules,
        )
        .unwrap();
        // New completion deadline at 250 h; reminders go to the supervisor,
        // who now handles it; overdue, it goes to the director, then the office.
        let reminder = due_actions(&reopened, &rules, t(244));
        assert_eq!(notices(&reminder), [self::reminder(DeadlineKind::Complete)]);
        assert!(matches!(
            &reminder[0].recipients,
            Recipients::Escalation { level: 1, .. }
        ));
        assert_eq!(
            notices(&due_actions(&reopened, &rules, t(250))),
            [escalation(DeadlineKind::Complete, 2)]
        );
        assert_eq!(
            notices(&due_actions(&reopened, &rules, t(256))),
            [
                escalation(DeadlineKind::Complete, 2),
                escalation(DeadlineKind::Complete, 3)
            ]
        );
    }

    #[test]
    fn next_due_never_goes_back_as_notices_are_sent() {
        let rules = rules();
        for category in ["repairs", "collapse", "water-supply"] {
            let mut case = open("complaint", category);
            let mut last = next_due(&case, &rules);
            let mut sent = 0;
            while let Some(now) = next_due(&case, &rules) {
                let due = due_actions(&case, &rules, now);
                assert!(!due.is_empty(), "next_due points at something due");
                case.mark_sent(due[0].notice.clone(), now);
                sent += 1;
                let next = next_due(&case, &rules);
                assert!(next.is_none() || next >= last);
                last = next;
                assert!(sent < 50, "the plan is finite");
            }
            assert!(sent >= 6, "{category}: {sent}");
        }
    }

    #[test]
    fn notices_survive_storage_in_order() {
        let mut set = std::collections::BTreeSet::new();
        set.insert(Notice::FollowUpSurvey);
        set.insert(escalation(DeadlineKind::Reply, 2));
        set.insert(Notice::SupervisorAlert);
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Wrapper {
            sent: std::collections::BTreeSet<Notice>,
        }
        let text = toml::to_string(&Wrapper { sent: set.clone() }).unwrap();
        let back: Wrapper = toml::from_str(&text).unwrap();
        assert_eq!(back.sent, set);
        assert_eq!(set.first(), Some(&Notice::SupervisorAlert));
    }

    /// A case in some state of its life, with some notices already sent.
    fn arbitrary_case() -> impl Strategy<Value = Case> {
        let states = prop::sample::select(vec![
            CaseState::Received,
            CaseState::Accepted,
            CaseState::Replied,
            CaseState::Closed,
            CaseState::SentBack,
            CaseState::Rejected,
        ]);
        (states, any::<bool>(), 0u32..3, any::<u64>(), 0i64..600).prop_map(
            |(state, severe, reopenings, sent_mask, sent_at)| {
                let rules = rules();
                let mut case = complaint_in(state);
                if severe && !state.is_terminal() {
                    case = apply(
                        &case,
                        Command::RaiseSeverity {
                            severity: crate::rules::SeverityId::new("major"),
                        },
                        Actor::Office,
                        t(2),
                        &rules,
                    )
                    .unwrap();
                }
                if state == CaseState::Closed {
                    for round in 0..i64::from(reopenings) {
                        let reason = "Again.".to_string();
                        case = apply(
                            &case,
                            Command::Reopen { reason },
                            Actor::Office,
                            t(3 + round),
                            &rules,
                        )
                        .unwrap();
                        let outcome = "Done.".to_string();
                        case = apply(
                            &case,
                            Command::Reply {
                                text: outcome.clone(),
                            },
                            dept("housing"),
                            t(3 + round),
                            &rules,
                        )
                        .unwrap();
                        case = apply(
                            &case,
                            Command::Close { outcome },
                            dept("housing"),
                            t(3 + round),
                            &rules,
                        )
                        .unwrap();
                    }
                }
                let plan: Vec<Notice> = due_actions(&case, &rules, t(10_000))
                    .into_iter()
                    .map(|a| a.notice)
                    .collect();
                for (i, notice) in plan.into_iter().enumerate() {
                    if sent_mask >> (i % 64) & 1 == 1 {
                        case.mark_sent(notice, t(sent_at));
                    }
                }
                case
            },
        )
    }

    proptest! {
        #[test]
        fn due_actions_and_next_due_agree(case in arbitrary_case(), minutes in 0i64..(40 * 24 * 60)) {
            let rules = rules();
            let now = t0() + Duration::minutes(minutes);
            let due = due_actions(&case, &rules, now);
            let next = next_due(&case, &rules);
            for action in &due {
                prop_assert!(action.at <= now);
                prop_assert!(!case.sent.contains(&action.notice));
                prop_assert!(next.is_some_and(|next| next <= action.at));
            }
            let distinct: std::collections::BTreeSet<_> = due.iter().map(|a| &a.notice).collect();
            prop_assert_eq!(distinct.len(), due.len());
            if let Some(next) = next {
                prop_assert!(!due_actions(&case, &rules, next).is_empty());
                if next <= now {
                    prop_assert!(!due.is_empty());
                }
            }
        }
    }
}
