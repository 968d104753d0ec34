//! The office's operations against the memory store: filing, acting,
//! re-routing and delivering, each as a caller sees it.

use crate::acting::ActError;
use crate::delivery::backoff;
use crate::filing::{FileError, Filed};
use crate::links::Links;
use casestore::contract::{rules, submission, t0};
use casestore::prelude::*;
use casestore::{MemoryStore, NotificationStatus, OutgoingMessage};
use casework::action_token::ActionSecret;
use casework::channel::Channel;
use casework::lifecycle::{Actor, CaseState, Command, Satisfaction};
use casework::rules::DepartmentId;
use casework::submission::RawSubmission;
use chrono::TimeDelta;
use mail::{MailError, Mailer};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

fn secret() -> ActionSecret {
    ActionSecret::new(*b"office tests: a secret of 32 b..").expect("32 bytes")
}

fn links(secret: &ActionSecret) -> Links<'_> {
    Links {
        public_base_url: "https://12345.example.org/api",
        status_page_url: "/status/",
        action_secret: secret,
    }
}

/// Records what it sends; fails when told to (1 temporary, 2 permanent).
#[derive(Default)]
struct FakeMailer {
    sent: Mutex<Vec<(String, OutgoingMessage)>>,
    fail: AtomicU8,
}

impl Mailer for FakeMailer {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        match self.fail.load(Ordering::SeqCst) {
            1 => Err(MailError::Temporary("down".into())),
            2 => Err(MailError::Permanent("refused".into())),
            _ => {
                self.sent
                    .lock()
                    .unwrap()
                    .push((id.to_string(), message.clone()));
                Ok(())
            }
        }
    }
}

fn raw() -> RawSubmission {
    RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("housing-property".into()),
        name: Some("张三".into()),
        email: Some("resident@example.org".into()),
        description: Some("楼道的灯坏了两个月，多次报修仍没有人来修理。".into()),
        language: Some("zh".into()),
        ..RawSubmission::default()
    }
}

#[tokio::test]
async fn filing_stores_the_case_with_its_first_mails_and_a_key_replays() {
    let store = MemoryStore::new();
    let secret = secret();
    let mut raw = raw();
    raw.idempotency_key = Some("key-0001".into());
    let filed = crate::file_case(rules(), &store, &links(&secret), Channel::Phone, &raw, t0())
        .await
        .expect("filed");
    let Filed::New(new) = &filed else {
        panic!("a new case: {filed:?}")
    };
    assert_eq!(new.case.channel, Channel::Phone);
    let ids: Vec<String> = new.notifications.iter().map(|n| n.id.clone()).collect();
    let t = &new.case.tracking;
    assert_eq!(ids, [format!("{t}/new-case"), format!("{t}/ack")]);
    assert!(new.notifications[0].message.text.contains("/api/cases/"));
    let stored = store.case(t).await.expect("read").expect("stored");
    assert_eq!(stored.case, new.case);
    assert_eq!(store.notifications().expect("outbox").len(), 2);

    let again = crate::file_case(rules(), &store, &links(&secret), Channel::Phone, &raw, t0())
        .await
        .expect("replayed");
    assert_eq!(again, Filed::Replayed(t.clone()));
    assert_eq!(store.notifications().expect("outbox").len(), 2);
}

/// The sample rulebook lets a minor case take the complainant's date:
/// filed Tuesday 10 March, needed by Friday 13 March, it is due at closing
/// time that Friday instead of after the complaint's 15 working days.
#[tokio::test]
async fn a_minor_case_is_due_by_the_complainants_own_earlier_date() {
    use casework::rules::DeadlineKind;
    use chrono::TimeZone;
    let store = MemoryStore::new();
    let secret = secret();
    let mut raw = raw();
    raw.needed_by = Some("2026-03-13".into());
    let filed = crate::file_case(rules(), &store, &links(&secret), Channel::Web, &raw, t0())
        .await
        .expect("filed");
    let Filed::New(new) = &filed else {
        panic!("a new case: {filed:?}")
    };
    let due = new
        .case
        .deadline(DeadlineKind::Complete)
        .expect("a completion deadline");
    assert_eq!(
        due.due_at,
        chrono::Utc.with_ymd_and_hms(2026, 3, 13, 10, 0, 0).unwrap()
    );
    let stored = store
        .case(&new.case.tracking)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        stored.submission.needed_by,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 13)
    );
}

#[tokio::test]
async fn an_invalid_submission_is_data_and_stores_nothing() {
    let store = MemoryStore::new();
    let secret = secret();
    let mut raw = raw();
    raw.description = None;
    let e = crate::file_case(rules(), &store, &links(&secret), Channel::Web, &raw, t0())
        .await
        .expect_err("invalid");
    assert!(matches!(e, FileError::Invalid(ref errors) if !errors.errors.is_empty()));
    assert!(store.notifications().expect("outbox").is_empty());
}

/// A stored case from the contract suite's submission, through filing.
async fn filed(store: &MemoryStore, secret: &ActionSecret) -> casestore::CaseRecord {
    // A landline: these tests are about mail; texts to mobile numbers are
    // `text_tests`'.
    let mut submission = submission(None);
    submission.contact.phone =
        Some(casework::submission::PhoneNumber::parse("010-6512-3456").expect("a landline"));
    let filed = crate::file_submission(
        rules(),
        store,
        &links(secret),
        Channel::Web,
        &submission,
        t0(),
    )
    .await
    .expect("filed");
    store
        .case(filed.tracking())
        .await
        .expect("read")
        .expect("stored")
}

#[tokio::test]
async fn an_action_is_stored_with_its_mails_and_a_stale_version_changes_nothing() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let department = Actor::Department(record.case.department.clone());
    let stale = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version + 1,
        Command::Accept,
        department.clone(),
        t0(),
    )
    .await;
    assert!(matches!(stale, Err(ActError::Stale { .. })));

    let accepted = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Accept,
        department.clone(),
        t0(),
    )
    .await
    .expect("accepted");
    assert!(accepted.notifications.is_empty());
    assert_eq!(accepted.version, record.version + 1);

    let now = t0() + TimeDelta::hours(1);
    let replied = crate::act(
        rules(),
        &store,
        &links(&secret),
        &store.case(&record.case.tracking).await.unwrap().unwrap(),
        accepted.version,
        Command::Reply {
            text: "已派人维修。".into(),
        },
        department.clone(),
        now,
    )
    .await
    .expect("replied");
    let n = replied.case.events.len();
    let ids: Vec<&str> = replied
        .notifications
        .iter()
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(ids, [format!("{}/reply/{n}", record.case.tracking)]);
    assert!(
        store
            .notifications()
            .unwrap()
            .iter()
            .any(|q| q.id == replied.notifications[0].id)
    );

    // Someone else wrote first: the write is refused, the current case returned.
    let old = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Accept,
        department,
        now,
    )
    .await;
    match old {
        Err(ActError::Stale { current }) => assert_eq!(current.version, replied.version),
        other => panic!("a stale write: {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_command_is_the_rules_answer() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let refused = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Reply { text: " ".into() },
        Actor::Department(record.case.department.clone()),
        t0(),
    )
    .await;
    assert!(matches!(refused, Err(ActError::Refused(_))));
}

#[tokio::test]
async fn a_case_sent_back_is_rerouted_with_the_new_departments_mail() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let sent_back = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::SendBack {
            reason: "不属于本单位".into(),
        },
        Actor::Department(record.case.department.clone()),
        t0(),
    )
    .await
    .expect("sent back");
    assert_eq!(sent_back.notifications.len(), 1);
    let record = store.case(&record.case.tracking).await.unwrap().unwrap();
    let to = rules()
        .departments
        .iter()
        .find(|d| d.id != record.case.department && d.id != rules().office.department)
        .expect("another department")
        .id
        .clone();
    let rerouted = crate::reroute(
        rules(),
        &store,
        &links(&secret),
        &record,
        DepartmentId::new(to.as_str()),
        t0(),
    )
    .await
    .expect("rerouted");
    assert_eq!(rerouted.case.department, to);
    let ids: Vec<&str> = rerouted
        .notifications
        .iter()
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [format!(
            "{}/reroute-{}",
            record.case.tracking, record.version
        )]
    );
}

#[tokio::test]
async fn an_unsatisfied_survey_may_reopen_the_case() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let department = Actor::Department(record.case.department.clone());
    let mut version = record.version;
    for command in [
        Command::Accept,
        Command::Reply {
            text: "已维修。".into(),
        },
        Command::Close {
            outcome: "已修好".into(),
        },
    ] {
        let current = store.case(&record.case.tracking).await.unwrap().unwrap();
        version = crate::act(
            rules(),
            &store,
            &links(&secret),
            &current,
            version,
            command,
            department.clone(),
            t0(),
        )
        .await
        .expect("acted")
        .version;
    }
    let closed = store.case(&record.case.tracking).await.unwrap().unwrap();
    assert_eq!(closed.case.state, CaseState::Closed);
    let answered = crate::answer_survey(
        rules(),
        &store,
        &links(&secret),
        &closed,
        version,
        Satisfaction::VeryDissatisfied,
        Some("灯还是坏的".into()),
        true,
        t0() + TimeDelta::days(1),
    )
    .await
    .expect("answered");
    assert_ne!(answered.case.state, CaseState::Closed);
    assert_eq!(answered.notifications.len(), 1);
    assert!(answered.notifications[0].id.contains("/reopened/"));
}

#[tokio::test]
async fn delivery_sends_once_and_a_failure_waits_for_the_backoff() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let pending = store.notifications().unwrap();
    let mailer = FakeMailer::default();
    mailer.fail.store(1, Ordering::SeqCst);
    let tally = crate::deliver(rules(), &store, &mailer, pending.clone(), t0()).await;
    assert_eq!((tally.mails_sent, tally.send_failures), (0, 2));
    for n in store.notifications().unwrap() {
        assert_eq!(n.status, NotificationStatus::Pending);
        assert_eq!(n.attempts, 1);
        assert_eq!(n.next_attempt_at, t0() + backoff(1));
    }
    // Not due yet: nothing is claimed, nothing sent.
    mailer.fail.store(0, Ordering::SeqCst);
    let early = crate::deliver(rules(), &store, &mailer, pending.clone(), t0()).await;
    assert_eq!(early.mails_sent, 0);
    let later = t0() + backoff(1);
    let tally = crate::deliver(rules(), &store, &mailer, pending.clone(), later).await;
    assert_eq!((tally.mails_sent, tally.entries_sent), (2, 2));
    let again = crate::deliver(rules(), &store, &mailer, pending, later).await;
    assert_eq!(again.mails_sent, 0);
    assert_eq!(mailer.sent.lock().unwrap().len(), 2);
    assert!(
        store
            .notifications()
            .unwrap()
            .iter()
            .all(|n| n.status == NotificationStatus::Sent && n.tracking == record.case.tracking)
    );
}

#[tokio::test]
async fn a_permanent_failure_is_given_up_and_reported_to_the_office() {
    let store = MemoryStore::new();
    let secret = secret();
    filed(&store, &secret).await;
    let pending = store.notifications().unwrap();
    let mailer = FakeMailer::default();
    mailer.fail.store(2, Ordering::SeqCst);
    let tally = crate::deliver(rules(), &store, &mailer, pending, t0()).await;
    assert_eq!((tally.given_up, tally.queued), (2, 2));
    let outbox = store.notifications().unwrap();
    let failed = outbox
        .iter()
        .filter(|n| n.status == NotificationStatus::Failed)
        .count();
    assert_eq!(failed, 2);
    let summaries = outbox
        .iter()
        .filter(|n| n.id.contains("/digest-failures/"))
        .count();
    assert_eq!(summaries, 2);
}

#[test]
fn the_office_section_holds_exactly_the_keys_the_office_layer_asks_for() {
    let sources = [
        include_str!("acting.rs"),
        include_str!("delivery.rs"),
        include_str!("filing.rs"),
        include_str!("links.rs"),
        include_str!("monthly.rs"),
        include_str!("outbox.rs"),
        include_str!("planning.rs"),
        include_str!("schedule.rs"),
        include_str!("settings.rs"),
    ];
    if let Err(problem) = casework::wording::sections_match(&sources, &["office"]) {
        panic!("{problem}");
    }
}

/// An important case: its department must have it within the hour.
async fn filed_important(store: &MemoryStore, secret: &ActionSecret) -> casestore::CaseRecord {
    let mut raw = raw();
    raw.category = Some("water-supply".into());
    let filed = crate::file_case(rules(), store, &links(secret), Channel::Web, &raw, t0())
        .await
        .expect("filed");
    store
        .case(filed.tracking())
        .await
        .expect("read")
        .expect("stored")
}

#[tokio::test]
async fn the_departments_mail_leaving_meets_the_forward_deadline() {
    use casework::rules::DeadlineKind;
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed_important(&store, &secret).await;
    let forward = record
        .case
        .deadline(DeadlineKind::Forward)
        .expect("forward");
    assert!(forward.met_at.is_none());
    // The acknowledgment alone does not hand the case over.
    let pending = store.notifications().unwrap();
    let (department, others): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .partition(|n| n.id.ends_with("/new-case"));
    let mailer = FakeMailer::default();
    let sent = t0() + TimeDelta::seconds(2);
    crate::deliver(rules(), &store, &mailer, others, sent).await;
    let now = store.case(&record.case.tracking).await.unwrap().unwrap();
    assert!(
        now.case
            .deadline(DeadlineKind::Forward)
            .unwrap()
            .met_at
            .is_none()
    );
    let tally = crate::deliver(rules(), &store, &mailer, department, sent).await;
    assert_eq!(tally.mails_sent, 1, "{:?}", tally.errors);
    let now = store.case(&record.case.tracking).await.unwrap().unwrap();
    assert_eq!(
        now.case.deadline(DeadlineKind::Forward).unwrap().met_at,
        Some(sent)
    );
    assert_eq!(now.case.state, CaseState::Received);
    // Nothing escalates "not forwarded" after the hour.
    let plan = crate::planning::plan_case(
        rules(),
        &now,
        t0() + TimeDelta::hours(2),
        &crate::Options::new("https://12345.example.org/api", secret.clone()),
    );
    assert!(
        !plan
            .notices
            .iter()
            .any(|n| n.deadline_kind() == Some(DeadlineKind::Forward)),
        "{:?}",
        plan.notices
    );
}

#[tokio::test]
async fn a_valid_complaint_left_unresolved_for_a_month_becomes_major() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let department = Actor::Department(record.case.department.clone());
    let accepted = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Accept,
        department,
        t0() + TimeDelta::hours(1),
    )
    .await
    .expect("accepted");
    let record = store.case(&accepted.case.tracking).await.unwrap().unwrap();
    let (to, at) = casework::due::severity_raise(&record.case, rules()).expect("a raise is due");
    assert_eq!(to.as_str(), "major");
    assert!(casework::due::next_due(&record.case, rules()).is_some_and(|d| d <= at));
    let options = crate::Options::new("https://12345.example.org/api", secret.clone());
    let before = crate::planning::plan_case(rules(), &record, at - TimeDelta::minutes(1), &options);
    assert_ne!(before.case.severity.as_str(), "major");
    let plan = crate::planning::plan_case(rules(), &record, at, &options);
    assert_eq!(plan.case.severity.as_str(), "major");
    assert_eq!(
        plan.case
            .events
            .iter()
            .rev()
            .find(|e| e.action == casework::lifecycle::ActionKind::RaiseSeverity)
            .map(|e| e.actor.clone()),
        Some(Actor::System)
    );
    // The supervisor hears of it, as for any major case.
    assert!(
        plan.notices
            .contains(&casework::due::Notice::SupervisorAlert),
        "{:?}",
        plan.notices
    );
    assert!(casework::due::severity_raise(&plan.case, rules()).is_none());
}

#[tokio::test]
async fn a_question_left_unanswered_closes_the_case_and_tells_the_complainant() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let department = Actor::Department(record.case.department.clone());
    let asked = crate::act(
        rules(),
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Ask {
            question: "请问是哪个单元？".into(),
        },
        department,
        t0() + TimeDelta::hours(1),
    )
    .await
    .expect("asked");
    assert!(asked.case.waiting_since().is_some());
    let record = store.case(&asked.case.tracking).await.unwrap().unwrap();
    let close_at = casework::due::unanswered_close(&record.case, rules()).expect("it waits");
    let options = crate::Options::new("https://12345.example.org/api", secret.clone());
    let before =
        crate::planning::plan_case(rules(), &record, close_at - TimeDelta::minutes(1), &options);
    assert_eq!(before.case.state, CaseState::Received);
    let plan = crate::planning::plan_case(rules(), &record, close_at, &options);
    assert_eq!(plan.case.state, CaseState::Closed);
    let last = plan
        .case
        .events
        .iter()
        .rev()
        .find(|e| e.action == casework::lifecycle::ActionKind::CloseUnanswered);
    assert_eq!(last.map(|e| e.actor.clone()), Some(Actor::System));
    let closed_mail = plan
        .notifications
        .iter()
        .find(|n| n.id.contains("/closed/"))
        .expect("the complainant is told");
    assert_eq!(closed_mail.message.to, ["resident@example.org"]);
    assert!(
        closed_mail.message.text.contains("未答复"),
        "{}",
        closed_mail.message.text
    );
}

#[tokio::test]
async fn the_acknowledgment_leaves_with_the_receipt_code_that_the_outbox_never_holds() {
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let code = crate::complainant::receipt_code(&links(&secret), &record.case.tracking).grouped();
    let queued = store.notifications().expect("outbox");
    let ack = queued
        .iter()
        .find(|n| n.id.ends_with("/ack"))
        .expect("an acknowledgment");
    assert!(
        ack.message
            .text
            .contains(casework::receipt::CODE_PLACEHOLDER)
    );
    assert!(!ack.message.text.contains(&code));
    let mailer = FakeMailer::default();
    let options = crate::Options::new("https://12345.example.org/api", secret.clone());
    let mut report = crate::Report::default();
    crate::outbox::send_outbox(rules(), &store, &mailer, t0(), &options, &mut report).await;
    let sent = mailer.sent.lock().unwrap().clone();
    let (_, mail) = sent
        .iter()
        .find(|(id, _)| id.ends_with("/ack"))
        .expect("the acknowledgment went out");
    assert!(mail.text.contains(&code) && mail.html.contains(&code));
    assert!(!mail.text.contains(casework::receipt::CODE_PLACEHOLDER));
    // What the outbox keeps of the sent mail still holds no code.
    let kept = store.notifications().expect("outbox");
    let ack = kept.iter().find(|n| n.id.ends_with("/ack")).unwrap();
    assert_eq!(ack.status, NotificationStatus::Sent);
    assert!(!ack.message.text.contains(&code) && !ack.message.html.contains(&code));
}

#[tokio::test]
async fn files_sent_after_filing_reach_the_department_once_with_signed_links() {
    use crate::attaching::{CheckedCopy, attach_evidence};
    use casework::due::Notice;
    use casework::rules::EvidenceType;
    let store = MemoryStore::new();
    let secret = secret();
    let record = filed(&store, &secret).await;
    let tracking = record.case.tracking.clone();
    let options = crate::Options::new("https://12345.example.org/api", secret.clone());
    let nothing = crate::planning::plan_case(rules(), &record, t0(), &options);
    assert!(
        !nothing
            .notices
            .iter()
            .any(|n| matches!(n, Notice::FilesAdded { .. }))
    );
    for (i, sha) in ["a".repeat(64), "b".repeat(64)].into_iter().enumerate() {
        let copy = CheckedCopy {
            kind: EvidenceType::Jpeg,
            bytes: 1000,
            sha256: sha,
        };
        let at = t0() + TimeDelta::minutes(10 + i as i64);
        attach_evidence(rules(), &store, &tracking, &copy, at)
            .await
            .expect("attached");
    }
    let record = store.case(&tracking).await.unwrap().unwrap();
    let now = t0() + TimeDelta::minutes(15);
    let plan = crate::planning::plan_case(rules(), &record, now, &options);
    assert!(
        plan.notices.contains(&Notice::FilesAdded { upto: 2 }),
        "{:?}",
        plan.notices
    );
    let mail = plan
        .notifications
        .iter()
        .find(|n| n.id.contains("/files-added-2/"))
        .expect("one mail for the batch");
    let inbox = rules()
        .department(record.case.department.as_str())
        .unwrap()
        .inboxes
        .clone();
    assert_eq!(mail.message.to, inbox);
    assert_eq!(
        mail.message.text.matches("/evidence/").count(),
        2,
        "{}",
        mail.message.text
    );
    assert!(mail.message.text.contains("token="));
    assert!(!mail.message.text.contains("张三"));
    // Recorded: the next run sends nothing more for the same files.
    let mut again = record.clone();
    again.case = plan.case.clone();
    let next = crate::planning::plan_case(rules(), &again, now + TimeDelta::hours(1), &options);
    assert!(
        !next
            .notices
            .iter()
            .any(|n| matches!(n, Notice::FilesAdded { .. }))
    );
}
