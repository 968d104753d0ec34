//! Two visitors report the same lamp: the office is told it may be one
//! case, merges them, the department answers once, both complainants hear
//! it, and the month counts one case and two complainants.

use crate::filing::Filed;
use crate::links::Links;
use casestore::MemoryStore;
use casestore::contract::{hours, rules, t0};
use casestore::prelude::*;
use casework::action_token::ActionSecret;
use casework::channel::Channel;
use casework::lifecycle::{Actor, CaseState, Command};
use casework::stats::{Month, figures};
use casework::submission::RawSubmission;

fn secret() -> ActionSecret {
    ActionSecret::new(*b"merge tests: a secret of 32 b...").expect("32 bytes")
}

fn links(secret: &ActionSecret) -> Links<'_> {
    Links {
        public_base_url: "https://12345.example.org/api",
        status_page_url: "/status/",
        action_secret: secret,
    }
}

fn lamp(email: &str, location: &str) -> RawSubmission {
    RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("housing-property".into()),
        name: Some("王五".into()),
        email: Some(email.into()),
        location: Some(location.into()),
        description: Some(
            "小区路灯坏了一周，晚上很黑。The estate's lamp has been out for a week.".into(),
        ),
        language: Some("zh".into()),
        ..RawSubmission::default()
    }
}

async fn file(
    store: &MemoryStore,
    raw: &RawSubmission,
    at: chrono::DateTime<chrono::Utc>,
) -> casestore::NewCase {
    let secret = secret();
    match crate::file_case(rules(), store, &links(&secret), Channel::Web, raw, at)
        .await
        .expect("filed")
    {
        Filed::New(new) => new,
        other => panic!("a new case: {other:?}"),
    }
}

#[tokio::test]
async fn two_reports_of_one_lamp_are_merged_answered_once_and_counted_once() {
    let r = rules();
    let store = MemoryStore::new();
    let secret = secret();
    let first = file(
        &store,
        &lamp("first@example.org", "幸福小区 3 号楼前路灯"),
        t0(),
    )
    .await;
    let a = first.case.tracking.clone();
    assert!(
        !first
            .notifications
            .iter()
            .any(|n| n.id.contains("possible-duplicate"))
    );

    // The same lamp, written with full-width digits and other spacing.
    let second = file(
        &store,
        &lamp("second@example.org", "幸福小区３号楼前，路灯"),
        hours(2),
    )
    .await;
    let b = second.case.tracking.clone();
    let notice = second
        .notifications
        .iter()
        .find(|n| n.id == format!("{b}/possible-duplicate/{a}"))
        .expect("the office is told");
    assert_eq!(notice.message.to, r.office_department().inboxes);
    assert!(notice.message.text.contains(a.as_str()) && notice.message.text.contains(b.as_str()));
    assert!(
        notice
            .message
            .text
            .contains(&format!("hotline cases merge {b} --into {a}"))
    );
    assert!(!notice.message.text.contains("second@example.org"));

    // Another place in the same category is not suggested.
    let third = file(
        &store,
        &lamp("third@example.org", "幸福小区 5 号楼"),
        hours(3),
    )
    .await;
    assert!(
        !third
            .notifications
            .iter()
            .any(|n| n.id.contains("possible-duplicate"))
    );

    let pair = crate::merge(r, &store, &b, &a, Actor::Office, hours(4))
        .await
        .expect("merged");
    assert_eq!(pair.merged.merged_into.as_ref(), Some(&a));
    assert_eq!(pair.survivor.merged, vec![b.clone()]);
    let stored_b = store.case(&b).await.unwrap().unwrap();
    assert_eq!(stored_b.case.merged_into.as_ref(), Some(&a));
    // Running it again is harmless and changes nothing.
    let again = crate::merge(r, &store, &b, &a, Actor::Office, hours(5))
        .await
        .expect("again");
    assert_eq!(again.survivor_version, pair.survivor_version);
    assert_eq!(again.merged_version, pair.merged_version);

    // The department answers the survivor once; both complainants hear it.
    let department = Actor::Department(first.case.department.clone());
    let record = store.case(&a).await.unwrap().unwrap();
    let accepted = crate::act(
        r,
        &store,
        &links(&secret),
        &record,
        record.version,
        Command::Accept,
        department.clone(),
        hours(6),
    )
    .await
    .expect("accepted");
    let record = store.case(&a).await.unwrap().unwrap();
    assert_eq!(accepted.case.state, CaseState::Accepted);
    let reply = Command::Reply {
        text: "路灯已于今天修复。The lamp was repaired today.".into(),
    };
    let replied = crate::act(
        r,
        &store,
        &links(&secret),
        &record,
        record.version,
        reply,
        department,
        hours(7),
    )
    .await
    .expect("replied");
    let to: Vec<&str> = replied
        .notifications
        .iter()
        .flat_map(|n| n.message.to.iter().map(String::as_str))
        .collect();
    assert!(to.contains(&"first@example.org"), "{to:?}");
    assert!(to.contains(&"second@example.org"), "{to:?}");
    let theirs = replied
        .notifications
        .iter()
        .find(|n| n.message.to.iter().any(|t| t == "second@example.org"))
        .unwrap();
    assert!(theirs.message.text.contains("The lamp was repaired today."));
    assert!(
        theirs.message.subject.contains(b.as_str()),
        "{}",
        theirs.message.subject
    );

    // The month: two cases (the merged one not counted), three complainants.
    let month = Month::of(r.calendar.local(t0()).date_naive());
    let (from, until) = month.bounds(r).unwrap();
    let records = store.cases_received_between(from, until).await.unwrap();
    let cases: Vec<_> = records.iter().map(|r| &r.case).collect();
    let f = figures(r, month, &cases, hours(8));
    assert_eq!((f.total, f.complainants, f.merged), (2, 3, 1));

    // Unmerged: on its own again, its own deadlines back, and counted.
    let apart = crate::unmerge(r, &store, &b, Actor::Office, hours(9))
        .await
        .expect("unmerged");
    assert_eq!(apart.merged.merged_into, None);
    assert!(apart.survivor.merged.is_empty());
    assert!(casework::due::next_due(&apart.merged, r).is_some());
    let records = store.cases_received_between(from, until).await.unwrap();
    let cases: Vec<_> = records.iter().map(|r| &r.case).collect();
    assert_eq!(figures(r, month, &cases, hours(10)).total, 3);
}
