//! A simulated clock drives cases through September and October 2026 with
//! the real rulebook: the Mid-Autumn and National Day holidays, and the
//! make-up working days of Sunday 20 September and Saturday 10 October.
//! `run_once` runs every 15 minutes, as EventBridge would start it; every
//! mail must arrive once, at the working time worked out by hand below.
//! The same scenario runs on MemoryStore, SqliteStore and DynamoStore (on
//! the local endpoint that tests/run starts).

mod support;

use casestore::Store;
use casework::lifecycle::{Actor, Command, Satisfaction};
use casework::rules::DepartmentId;
use chrono::{DateTime, TimeDelta, Utc};
use remind::{Options, run_once};
use support::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn options() -> Options {
    Options::new(
        "https://12345.example.gov.cn/api",
        casework::action_token::ActionSecret::new(SECRET).expect("32 bytes"),
    )
}

fn dept(id: &str) -> Actor {
    Actor::Department(DepartmentId::new(id))
}

/// One expected mail: local time, recipients, kind, which cases it names.
type Expected = (String, Vec<String>, String, Vec<String>);

async fn simulate<S: Store>(store: S) {
    let mailer = RecordingMailer::default();
    // A and A2: two housing complaints on Friday 18 September, never acted on.
    let a = file(
        &store,
        "complaint",
        "housing-property",
        local(9, 18, 10, 0),
        Some("a@example.org"),
    )
    .await;
    let a2 = file(
        &store,
        "complaint",
        "housing-property",
        local(9, 18, 10, 0),
        Some("a2@example.org"),
    )
    .await;
    // B: accepted at once, closed before National Day, surveyed, reopened.
    let b = file(
        &store,
        "complaint",
        "housing-property",
        local(9, 21, 10, 0),
        Some("resident@example.org"),
    )
    .await;
    // F: closed quickly; its survey address bounces.
    let f = file(
        &store,
        "complaint",
        "housing-property",
        local(9, 21, 10, 0),
        Some("bounce@example.org"),
    )
    .await;
    // C: a consultation on a public holiday, from a phone only.
    let c = file(
        &store,
        "consultation",
        "roads-traffic",
        local(10, 1, 10, 0),
        None,
    )
    .await;
    let name = |t: &casework::tracking::TrackingNumber| {
        [(&a, "A"), (&a2, "A2"), (&b, "B"), (&f, "F"), (&c, "C")]
            .into_iter()
            .find(|(x, _)| *x == t)
            .map(|(_, n)| n.to_string())
            .unwrap_or_default()
    };
    let outcome = || Command::Close {
        outcome: "已修复 Repaired".into(),
    };
    let mut actions: Vec<(
        DateTime<Utc>,
        casework::tracking::TrackingNumber,
        Command,
        Actor,
    )> = vec![
        (
            local(9, 21, 11, 0),
            b.clone(),
            Command::Accept,
            dept("housing"),
        ),
        (
            local(9, 21, 11, 0),
            f.clone(),
            Command::Accept,
            dept("housing"),
        ),
        (local(9, 21, 15, 0), f.clone(), outcome(), dept("housing")),
        (local(9, 30, 15, 0), b.clone(), outcome(), dept("housing")),
        (
            local(10, 9, 10, 0),
            c.clone(),
            Command::Accept,
            dept("transport"),
        ),
        (
            local(10, 10, 10, 0),
            b.clone(),
            Command::RecordSatisfaction {
                rating: Satisfaction::Dissatisfied,
                comment: Some("还是漏水 Still leaking".into()),
            },
            Actor::Complainant,
        ),
        (
            local(10, 10, 10, 0),
            b.clone(),
            Command::Reopen {
                reason: "还是漏水 Still leaking".into(),
            },
            Actor::Complainant,
        ),
        (
            local(10, 14, 17, 0),
            c.clone(),
            outcome(),
            dept("transport"),
        ),
    ];
    actions.reverse();

    let options = options();
    let mut now = local(9, 1, 0, 0);
    let end = local(11, 2, 12, 0);
    while now <= end {
        while actions.last().is_some_and(|(at, ..)| *at <= now) {
            let (at, tracking, command, actor) = actions.pop().expect("an action");
            act(&store, &tracking, command, actor, at).await;
        }
        mailer.set_now(now);
        let report = run_once(rules(), &store, &mailer, now, &options).await;
        assert!(
            report.errors.is_empty(),
            "{}: {:?}",
            show(now),
            report.errors
        );
        assert_eq!(report.lost_races, 0);
        now += TimeDelta::minutes(15);
    }

    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let both = s(&["A", "A2"]);
    let mut expected: Vec<Expected> = vec![
        // Half-way to Sunday's accept deadline is Saturday 14:00: held for
        // opening time on the make-up Sunday.
        (
            "09-20 09:00".into(),
            s(&["housing@example.org"]),
            "reminders".into(),
            both.clone(),
        ),
        (
            "09-20 18:00".into(),
            s(&["housing-director@example.org"]),
            "overdue".into(),
            both.clone(),
        ),
        // One working day later, the office (the level after the last).
        (
            "09-21 18:00".into(),
            s(&["cases@example.org"]),
            "overdue".into(),
            both.clone(),
        ),
        // F closed Monday 15:00: two working days later; it bounces, and
        // the office hears of it in the next run.
        (
            "09-23 18:15".into(),
            s(&["cases@example.org"]),
            "failures".into(),
            s(&["F"]),
        ),
        // C arrived on a holiday: it counts from Thursday 8 October.
        (
            "10-08 18:00".into(),
            s(&["transport@example.org"]),
            "reminders".into(),
            s(&["C"]),
        ),
        // B closed on 30 September: two working days are 8 and 9 October.
        (
            "10-09 18:00".into(),
            s(&["resident@example.org"]),
            "follow-up-survey".into(),
            s(&["B"]),
        ),
        (
            "10-13 18:00".into(),
            s(&["transport@example.org"]),
            "reminders".into(),
            s(&["C"]),
        ),
        // A's 15 working days from 18 September run out on 15 October.
        (
            "10-14 18:00".into(),
            s(&["housing@example.org"]),
            "reminders".into(),
            both.clone(),
        ),
        (
            "10-15 18:00".into(),
            s(&["housing-director@example.org"]),
            "overdue".into(),
            both.clone(),
        ),
        (
            "10-16 18:00".into(),
            s(&["cases@example.org"]),
            "overdue".into(),
            both.clone(),
        ),
        // C closed 14 October 17:00; no e-mail, so the office calls.
        (
            "10-16 18:00".into(),
            s(&["cases@example.org"]),
            "follow-up-survey".into(),
            s(&["C"]),
        ),
        // B reopened on the make-up Saturday, one level up, and is still
        // open 30 calendar days after it came in (21 October, 18:00): the
        // rulebook's `raise_unresolved` makes it major. The supervisor is
        // told at once; major's reply limit (2 working days from the
        // reopening, 13 October) has passed, so the office hears of it in
        // the same run; major's completion limit, 10 working days from 10
        // October, ends on 23 October (15 working days would have been 30
        // October), reminded a working day before.
        (
            "10-21 18:00".into(),
            s(&["housing-director@example.org"]),
            "supervisor-alert".into(),
            s(&["B"]),
        ),
        (
            "10-21 18:00".into(),
            s(&["cases@example.org"]),
            "overdue".into(),
            s(&["B"]),
        ),
        (
            "10-22 18:00".into(),
            s(&["housing-director@example.org"]),
            "reminders".into(),
            s(&["B"]),
        ),
        (
            "10-23 18:00".into(),
            s(&["cases@example.org"]),
            "overdue".into(),
            s(&["B"]),
        ),
    ];
    let all = [&a, &a2, &b, &f, &c];
    let mut observed: Vec<Expected> = mailer
        .sent()
        .into_iter()
        .filter(|m| kind_of(&m.id) != "statistics")
        .map(|m| {
            let named: Vec<String> = all
                .iter()
                .filter(|t| m.message.text.contains(t.as_str()))
                .map(|t| name(t))
                .collect();
            (show(m.at), m.message.to.clone(), kind_of(&m.id), named)
        })
        .collect();
    expected.sort();
    observed.sort();
    assert_eq!(observed, expected);
    let raised = store.case(&b).await.expect("readable").expect("B");
    assert_eq!(raised.case.severity.as_str(), "major");

    // Every survey link is signed and points at the intake API.
    let survey = mailer
        .sent()
        .into_iter()
        .find(|m| m.message.to == ["resident@example.org"])
        .expect("the survey");
    assert!(survey.message.text.contains(&format!(
        "https://12345.example.gov.cn/api/cases/{b}/survey?token=v1."
    )));
    assert_eq!(survey.message.text.matches("&rating=").count(), 5);

    statistics_arrive_once(&mailer);
}

fn statistics_arrive_once(mailer: &RecordingMailer) {
    let stats: Vec<(String, String)> = mailer
        .sent()
        .into_iter()
        .filter(|m| kind_of(&m.id) == "statistics")
        .map(|m| (show(m.at), m.message.subject.clone()))
        .collect();
    let times: Vec<&str> = stats.iter().map(|(t, _)| t.as_str()).collect();
    // The first working day of each month at opening time; October's first
    // working day is the 8th, after National Day.
    assert_eq!(
        times,
        ["09-01 09:00", "10-08 09:00", "11-02 09:00"],
        "{stats:?}"
    );
    assert!(stats[1].1.contains("2026-09"), "{}", stats[1].1);
    let september = mailer
        .sent()
        .into_iter()
        .find(|m| m.id == "statistics-2026-09")
        .expect("September's report");
    // A, A2, B and F were received in September; C in October.
    assert!(
        september.message.text.contains("Cases received: 4"),
        "{}",
        september.message.text
    );
    assert!(
        september
            .message
            .to
            .contains(&"director@example.org".to_string())
    );
    let csv = &september.message.attachments[0];
    assert_eq!(&csv.content[..3], b"\xEF\xBB\xBF");
    assert_eq!(String::from_utf8_lossy(&csv.content).lines().count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_on_the_memory_store() {
    simulate(casestore::MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_on_sqlite() {
    simulate(casestore::sqlite::SqliteStore::in_memory().expect("sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_on_dynamodb() {
    simulate(fresh_dynamo("month").await).await;
}
