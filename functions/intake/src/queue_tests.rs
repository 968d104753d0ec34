//! The queue page end to end over the memory store: a department sees its
//! own open cases soonest deadline first and nothing of another's, another
//! department's or an expired link is refused before anything is read, the
//! office sees every open case with what waits for it on top, and a
//! department's digest mail carries the link.

use crate::tests::support::*;
use casestore::prelude::*;
use casework::lifecycle::{CaseState, ExtensionRequest};
use casework::queue_token::{QUEUE_LINK_LIFETIME, QueueToken};
use casework::rules::DepartmentId;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, TimeDelta, Utc};
use http::StatusCode;

fn queue_uri(department: &str, signed_for: &str, expires_at: DateTime<Utc>) -> String {
    let token = QueueToken::sign(
        &config(100).action_secret,
        &DepartmentId::new(signed_for),
        expires_at,
    );
    format!("/queue/{department}?token={token}&lang=en")
}

/// Files a complaint in `category` and gives its number.
async fn filed(api: &TestApi, category: &str) -> String {
    let mut body = json_submission(None);
    body["category"] = category.into();
    let r = call(api, post_json(&body)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    json(&r)["tracking"].as_str().expect("tracking").to_string()
}

/// Changes a stored case as a test's setting needs.
async fn change(api: &TestApi, tracking: &str, edit: impl FnOnce(&mut casework::lifecycle::Case)) {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    let record = api.store().case(&t).await.expect("store").expect("case");
    let mut case = record.case.clone();
    edit(&mut case);
    api.store()
        .update_case(&case, record.version, None, Vec::new())
        .await
        .expect("updated");
}

fn later() -> DateTime<Utc> {
    now() + TimeDelta::days(3)
}

#[tokio::test]
async fn a_department_sees_its_open_cases_soonest_first_and_nothing_else() {
    let api = api();
    let first = filed(&api, "water-supply").await;
    let second = filed(&api, "water-supply").await;
    let housing = filed(&api, "housing-property").await;
    let closed = filed(&api, "water-supply").await;
    // The second's deadlines made earlier than the first's.
    change(&api, &second, |c| {
        for d in &mut c.deadlines {
            d.due_at -= TimeDelta::hours(2);
        }
    })
    .await;
    change(&api, &closed, |c| c.state = CaseState::Closed).await;
    let r = call(&api, get(&queue_uri("water", "water", later()))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    let (at_first, at_second) = (page.find(&first), page.find(&second));
    assert!(at_first.is_some() && at_second.is_some(), "{page}");
    assert!(at_second < at_first, "soonest first");
    assert!(!page.contains(&housing), "another department's case");
    assert!(!page.contains(&closed), "a closed case");
    // Each with the case's own signed action links, and nobody's identity.
    assert!(page.contains(&format!("/cases/{first}/actions/accept?token=v1.")));
    for secret in [NAME, PHONE, EMAIL, DESCRIPTION] {
        assert!(!page.contains(secret), "{secret}");
    }
    assert!(page.contains("Open cases of the Water Affairs Bureau"));
    // Chinese by default.
    let zh = text(
        &call(
            &api,
            get(&queue_uri("water", "water", later()).replace("&lang=en", "")),
        )
        .await,
    );
    assert!(zh.contains("市水务局未办结案件"), "{zh}");
}

#[tokio::test]
async fn another_departments_forged_or_expired_link_is_refused_before_any_lookup() {
    let api = api();
    let case = filed(&api, "water-supply").await;
    let r = call(&api, get(&queue_uri("water", "housing", later()))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        text(&r).contains("not made for this department"),
        "{}",
        text(&r)
    );
    assert!(!text(&r).contains(&case));
    let r = call(&api, get(&queue_uri("water", "water", now()))).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(text(&r).contains("expired"), "{}", text(&r));
    let r = call(&api, get("/queue/water?token=q1.1.AAAA")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call(&api, get("/queue/water")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A refusal needs no store: it comes before any read.
    // (No client address, so no rate-limit count either.)
    api.store()
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = api
        .handle(get(&queue_uri("water", "housing", later())), None, now())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        api.store()
            .refused
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // A genuine link does read it, and says the store is away.
    let r = api
        .handle(get(&queue_uri("water", "water", later())), None, now())
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_office_sees_every_open_case_with_its_own_work_on_top() {
    let api = api();
    let water = filed(&api, "water-supply").await;
    let sent_back = filed(&api, "housing-property").await;
    let extension = filed(&api, "roads-traffic").await;
    change(&api, &sent_back, |c| c.state = CaseState::SentBack).await;
    change(&api, &extension, |c| {
        c.extension_request = Some(ExtensionRequest {
            reason: "需要现场勘查".into(),
            new_due: now() + TimeDelta::days(20),
            asked_at: now(),
        })
    })
    .await;
    let r = call(
        &api,
        get(&queue_uri("hotline-centre", "hotline-centre", later())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    let all = page.find("All open cases").expect("the second section");
    for top in [&sent_back, &extension] {
        let at = page.find(top.as_str()).expect("listed");
        assert!(at < all, "{top} on top");
    }
    let at = page.find(water.as_str()).expect("listed");
    assert!(at > all);
    // Not the office's cases to act on: no department's links; the
    // office's own ones for what waits for it.
    for department_action in ["accept", "reply", "close", "send-back"] {
        assert!(
            !page.contains(&format!("/actions/{department_action}?")),
            "{department_action}: {page}"
        );
    }
    assert!(
        page.contains(&format!("/cases/{sent_back}/actions/reroute?token=")),
        "{page}"
    );
    assert!(page.contains(&format!("/cases/{sent_back}/actions/hand-back?token=")));
    assert!(
        page.contains(&format!(
            "/cases/{extension}/actions/decide-extension?token="
        )),
        "{page}"
    );
    assert!(
        !page.contains("需要现场勘查"),
        "the reason is the department's"
    );
}

#[tokio::test]
async fn a_departments_digest_carries_its_queue_link() {
    let api = api();
    let tracking = filed(&api, "water-supply").await;
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let record = api.store().case(&t).await.expect("store").expect("case");
    let entry = casework::notices::reminder_entry(
        &rules(),
        &record.case,
        casework::rules::DeadlineKind::Complete,
    );
    let n = casestore::Notification::pending(
        &t,
        "digest-reminders/reminder-complete/20261201T000000Z",
        office::delivery::entry_message(entry, vec!["water@example.org".into()]),
        now(),
    );
    api.store()
        .queue_notifications(vec![n.clone()])
        .await
        .expect("queued");
    api.deliver_now(&[n], now()).await;
    let sent = api.mailer().sent();
    let (_, digest) = sent
        .iter()
        .find(|(id, _)| id.starts_with("digest-reminders-"))
        .expect("the digest was sent");
    let link = digest
        .text
        .split_whitespace()
        .find(|w| w.contains("/queue/water?token="))
        .expect("a queue link in the digest");
    let path = link
        .strip_prefix("https://api.example.org/v1")
        .expect("on the API");
    let r = call(&api, get(path)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(text(&r).contains(&tracking));
    // Refused once its lifetime is over.
    let r = api
        .handle(
            get(path),
            None,
            now() + QUEUE_LINK_LIFETIME + TimeDelta::seconds(1),
        )
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_possible_repeat_is_on_the_offices_page_with_its_merge_link() {
    let api = api();
    let first = filed(&api, "water-supply").await;
    let repeat = filed(&api, "water-supply").await;
    // The test clock stands still: the first came a minute earlier.
    change(&api, &first, |c| c.received_at -= TimeDelta::minutes(1)).await;
    let r = call(
        &api,
        get(&queue_uri("hotline-centre", "hotline-centre", later())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    let all = page.find("All open cases").expect("the second section");
    let at = page.find(repeat.as_str()).expect("listed");
    assert!(at < all, "the repeat on top: {page}");
    assert!(
        page.contains(&format!("/cases/{repeat}/actions/merge?token="))
            && page.contains(&format!("into={first}")),
        "{page}"
    );
    assert!(page.contains(&format!("May repeat {first}")), "{page}");
    // The earlier case is not a repeat of the later one.
    assert!(
        !page.contains(&format!("/cases/{first}/actions/merge?")),
        "{page}"
    );
    // A department's page carries no office link.
    let r = call(&api, get(&queue_uri("water", "water", later()))).await;
    assert!(!text(&r).contains("/actions/merge?"), "{}", text(&r));
}
