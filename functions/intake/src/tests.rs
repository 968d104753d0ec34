//! The API end to end over the in-memory store and a fake mailer: every
//! route and status, replays, failures of the store and of the mailer, and
//! what must never be shown or logged.

// Shared with `security_tests`, which must not load it a second time.
#[path = "../tests/support/mod.rs"]
pub(crate) mod support;

#[path = "desk_tests.rs"]
mod desk_tests;

use support::*;

use bytes::Bytes;
use casestore::NotificationStatus;
use casework::tracking::TrackingNumber;
use http::{Request, StatusCode};
use std::sync::Arc;
use std::sync::atomic::Ordering;

// ------------------------------------------------------------ submitting

#[tokio::test]
async fn a_json_submission_is_stored_then_mailed_and_answered_201() {
    let api = api();
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let body = json(&r);
    let tracking = body["tracking"].as_str().expect("tracking");
    let parsed = TrackingNumber::parse(tracking).expect("a valid number");
    assert!(tracking.starts_with("SL-2611-"));
    assert_eq!(
        body["status_url"],
        format!("https://api.example.org/v1/cases/{tracking}")
    );
    let deadlines = body["deadlines"].as_array().expect("deadlines");
    assert!(deadlines.iter().any(|d| d["kind"] == "complete"));
    assert!(deadlines.iter().all(|d| d["due_on"].is_string()));

    let cases = api.store().all_cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.tracking, parsed);
    assert_eq!(cases[0].submission.contact.name.as_deref(), Some(NAME));

    let ids: Vec<String> = api.mailer().sent().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![format!("{tracking}/new-case"), format!("{tracking}/ack")]
    );
    assert!(
        api.store()
            .notifications()
            .iter()
            .all(|n| n.status == NotificationStatus::Sent)
    );
    let ack = &api.mailer().sent()[1].1;
    assert_eq!(ack.to, vec![EMAIL.to_string()]);
}

#[tokio::test]
async fn a_report_sends_the_identity_copy_to_the_office() {
    let api = api();
    let mut sub = json_submission(None);
    sub["case_type"] = "report".into();
    let r = call(&api, post_json(&sub)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let sent = api.mailer().sent();
    let ids: Vec<&str> = sent
        .iter()
        .map(|(id, _)| id.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(ids, vec!["new-case", "identity", "ack"]);
    // The department's copy does not name the reporter.
    assert!(!sent[0].1.text.contains(NAME) && !sent[0].1.html.contains(NAME));
    assert!(sent[1].1.text.contains(NAME));
}

#[tokio::test]
async fn a_zh_form_submission_answers_with_the_chinese_receipt_page() {
    let api = api();
    let body = form_submission().replace("language=en", "language=zh");
    let r = call(&api, post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("我们已收到您的诉求"), "{page}");
    assert!(page.contains("/thanks/?tracking=SL-2611-"), "{page}");
    assert!(page.contains("&amp;lang=zh"), "{page}");
}

#[tokio::test]
async fn a_form_submission_answers_200_with_the_number_and_the_receipt_code_in_no_url() {
    let api = api();
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert!(r.headers().get("location").is_none());
    let page = text(&r);
    let cases = api.store().all_cases().await;
    assert_eq!(cases.len(), 1);
    let tracking = cases[0].case.tracking.as_str().to_string();
    assert!(page.contains(&tracking), "{page}");
    assert_eq!(cases[0].submission.description, DESCRIPTION);
    let code = between(&page, "data-receipt-code>", "<");
    let parsed = casework::receipt::ReceiptCode::parse(&code).expect("a receipt code on the page");
    let stored = cases[0].case.receipt.clone().expect("a stored hash");
    assert!(stored.starts_with("$argon2id$"));
    assert!(!stored.contains(parsed.as_str()));
    assert!(parsed.matches(&stored));
    // The links on the page hold neither the code nor any part of it.
    for href in page.split("href=\"").skip(1) {
        let href = &href[..href.find('"').unwrap_or(0)];
        assert!(
            !href.contains(parsed.as_str()) && !href.contains(&code),
            "{href}"
        );
    }
    assert!(page.contains("/en/thanks/?tracking="), "{page}");
}

#[tokio::test]
async fn anonymous_on_means_anonymous() {
    let api = api();
    let body = format!(
        "case_type=report&category=water-supply&anonymous=on&description={}",
        enc(DESCRIPTION)
    );
    let r = call(&api, post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(api.store().all_cases().await[0].submission.anonymous);
}

#[tokio::test]
async fn invalid_json_gets_422_with_every_error_in_the_requested_language() {
    let api = api();
    let mut sub = json_submission(None);
    sub["description"] = "太短".into();
    sub["email"] = "not-an-address".into();
    sub["language"] = "en".into();
    let r = call(&api, post_json(&sub)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors = json(&r)["errors"].as_array().expect("errors").clone();
    let fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(
        fields.contains(&"description") && fields.contains(&"email"),
        "{fields:?}"
    );
    assert!(errors.iter().all(|e| e["code"].is_string()));
    assert!(errors[0]["message"].as_str().expect("message").is_ascii());
    assert!(api.store().all_cases().await.is_empty());
}

#[tokio::test]
async fn an_invalid_form_is_shown_again_with_everything_typed() {
    let api = api();
    let body = format!(
        "case_type=complaint&category=nowhere&name={}&phone={PHONE}&description={}&language=en&idempotency_key=form-key-0002",
        enc("<i>王</i>"),
        enc(DESCRIPTION)
    );
    let r = call(&api, post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let page = text(&r);
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("href=\"#category\""));
    assert!(page.contains("value=\"nowhere\""));
    assert!(page.contains("&lt;i&gt;王&lt;/i&gt;"));
    assert!(page.contains(DESCRIPTION));
    assert!(page.contains(PHONE));
    assert!(page.contains("form-key-0002"));
    assert!(api.store().all_cases().await.is_empty());
}

#[tokio::test]
async fn malformed_requests_are_refused_and_nothing_is_stored() {
    let api = api();
    let cases: Vec<(Request<Bytes>, StatusCode)> = vec![
        (
            post("application/json", vec![b'{'; 70 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            post("text/plain", "hello"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            post("multipart/form-data", "x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            post("multipart/form-data; boundary=x", "x"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("application/json", &b"{\"name\":\"\xff\"}"[..]),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("application/json", "{\"name\":"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("application/json", "{\"fax\":\"1\"}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("application/x-www-form-urlencoded", "name=%FF"),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("application/x-www-form-urlencoded", "fax=1"),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (req, expected) in cases {
        let r = call(&api, req).await;
        assert_eq!(r.status(), expected, "{}", text(&r));
    }
    let r = call(&api, post("application/json", "{\"name\":")).await;
    let message = json(&r)["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("JSON"), "{message}");
    let r = call(&api, post("application/json", &b"\"\xff\""[..])).await;
    assert!(text(&r).contains("UTF-8"));
    assert!(api.store().all_cases().await.is_empty());
}

#[tokio::test]
async fn a_filled_honeypot_gets_a_generic_400() {
    let api = api();
    let mut sub = json_submission(None);
    sub["website"] = "http://spam.example".into();
    let r = call(&api, post_json(&sub)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(&r)["errors"][0]["code"], "rejected");
    assert_eq!(json(&r)["errors"].as_array().map(Vec::len), Some(1));
    assert!(api.store().all_cases().await.is_empty());
}

#[tokio::test]
async fn a_double_submit_makes_one_case_and_one_set_of_mails() {
    let api = api();
    let first = call(&api, post_json(&json_submission(Some("double-click-1")))).await;
    let second = call(&api, post_json(&json_submission(Some("double-click-1")))).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(second.status(), StatusCode::OK);
    // The same case; by the replay the department's mail has left, so
    // its "forward" deadline shows as met.
    let (mut first, mut second) = (json(&first), json(&second));
    assert_eq!(second["deadlines"][0]["kind"], "forward");
    assert_eq!(second["deadlines"][0]["met"], true);
    for body in [&mut first, &mut second] {
        for d in body["deadlines"].as_array_mut().expect("deadlines") {
            d.as_object_mut().expect("a deadline").remove("met");
        }
    }
    assert_eq!(first, second);
    assert_eq!(api.store().all_cases().await.len(), 1);
    assert_eq!(api.mailer().sent().len(), 2);

    // The form path replays to the same receipt page: the same number and code.
    let a = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    let b = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(text(&a), text(&b));
    assert!(text(&a).contains("data-receipt-code"));
    assert_eq!(api.store().all_cases().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_submits_with_one_key_make_one_case() {
    let api = Arc::new(api());
    let (a, b) = tokio::join!(
        call(&api, post_json(&json_submission(Some("concurrent-1")))),
        call(&api, post_json(&json_submission(Some("concurrent-1")))),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);
    assert_eq!(json(&a)["tracking"], json(&b)["tracking"]);
    assert_eq!(api.store().all_cases().await.len(), 1);
    assert_eq!(api.mailer().sent().len(), 2);
}

#[tokio::test]
async fn a_store_outage_answers_503_and_keeps_everything_typed() {
    let api = api();
    api.store().down.store(true, Ordering::SeqCst);
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&r, "retry-after"), "5");
    assert_eq!(json(&r)["errors"][0]["code"], "unavailable");

    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&r, "retry-after"), "5");
    let page = text(&r);
    for typed in [
        NAME,
        PHONE,
        EMAIL,
        DESCRIPTION,
        "complaint",
        "water-supply",
        "form-key-0001",
    ] {
        assert!(page.contains(typed), "{typed} missing from the page");
    }
    assert!(page.contains("send it again"));

    api.store().down.store(false, Ordering::SeqCst);
    assert!(api.store().all_cases().await.is_empty());
    assert!(api.mailer().sent().is_empty());
}

#[tokio::test]
async fn a_failing_mailer_leaves_the_case_stored_and_the_mail_pending() {
    let api = api();
    api.mailer().fail.store(true, Ordering::SeqCst);
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(api.store().all_cases().await.len(), 2);
    let notifications = api.store().notifications();
    // Each case's two mails, and the office's note that the second (the
    // same complainant, the same category) may repeat the first.
    assert_eq!(notifications.len(), 5);
    assert!(
        notifications
            .iter()
            .any(|n| n.id.contains("/possible-duplicate/"))
    );
    for n in notifications {
        assert_eq!(n.status, NotificationStatus::Pending, "{}", n.id);
        assert_eq!(n.next_attempt_at, now() + chrono::TimeDelta::minutes(5));
        assert_eq!(n.attempts, 1);
    }
}

// ------------------------------------------------------------ mail in the background

fn background_api(capacity: usize) -> (Arc<TestApi>, impl std::future::Future<Output = ()>) {
    api_with(config(100)).with_background_delivery(capacity)
}

async fn until_sent(api: &TestApi) {
    for _ in 0..200 {
        if api.mail_in_flight() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!(
        "{} mails still in flight after a second",
        api.mail_in_flight()
    );
}

#[tokio::test]
async fn with_a_mail_worker_the_answer_comes_first_and_the_worker_sends() {
    let (api, worker) = background_api(8);
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    // Answered with the case stored and its mail pending, none sent yet.
    assert!(api.mailer().sent().is_empty());
    assert_eq!(api.mail_in_flight(), 2);
    assert!(
        api.store()
            .notifications()
            .iter()
            .all(|n| n.status == NotificationStatus::Pending)
    );
    let worker = tokio::spawn(worker);
    until_sent(&api).await;
    let tracking = json(&r)["tracking"].as_str().expect("tracking").to_string();
    let ids: Vec<String> = api.mailer().sent().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![format!("{tracking}/new-case"), format!("{tracking}/ack")]
    );
    assert!(
        api.store()
            .notifications()
            .iter()
            .all(|n| n.status == NotificationStatus::Sent)
    );
    // The worker ends with the API.
    drop(api);
    tokio::time::timeout(std::time::Duration::from_secs(1), worker)
        .await
        .expect("the worker ends when the API is dropped")
        .expect("the worker did not panic");
}

#[tokio::test]
async fn a_full_mail_queue_leaves_the_mail_pending_for_the_scheduler() {
    let (api, _idle_worker) = background_api(1);
    let first = call(&api, post_json(&json_submission(Some("queue-key-0001")))).await;
    let second = call(&api, post_json(&json_submission(Some("queue-key-0002")))).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(second.status(), StatusCode::CREATED, "{}", text(&second));
    // The queue holds one case's mail; the other's is stored, pending, for
    // the outbox pass, and not counted as in flight.
    assert_eq!(api.mail_in_flight(), 2);
    let pending = api.store().notifications();
    // Two mails each, and the office's possible-duplicate note (the same
    // complainant twice).
    assert_eq!(pending.len(), 5);
    assert!(
        pending
            .iter()
            .all(|n| n.status == NotificationStatus::Pending)
    );
    assert!(api.mailer().sent().is_empty());
}

// ------------------------------------------------------------ status

async fn submitted(api: &TestApi) -> String {
    let r = call(api, post_json(&json_submission(None))).await;
    json(&r)["tracking"].as_str().expect("tracking").to_string()
}

#[tokio::test]
async fn the_status_shows_progress_but_never_the_complainant() {
    let api = api();
    let tracking = submitted(&api).await;
    for uri in [
        format!("/cases/{tracking}"),
        format!("/cases/{tracking}?lang=en"),
        format!("/cases/{tracking}?format=html"),
    ] {
        let r = call(&api, get(&uri)).await;
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        let body = text(&r);
        for private in [NAME, PHONE, EMAIL, DESCRIPTION, "幸福路"] {
            assert!(!body.contains(private), "{private} shown at {uri}");
        }
        assert!(body.contains(&tracking));
    }
    let r = call(&api, get(&format!("/cases/{tracking}"))).await;
    let body = json(&r);
    assert_eq!(body["stage"]["code"], "received");
    assert_eq!(body["department"], "市水务局");
    assert_eq!(body["received_on"], "2026-11-18");
    assert!(body["deadlines"].as_array().is_some_and(|d| !d.is_empty()));
    assert!(body["reply"].is_null() && body["closed_on"].is_null());

    let en = json(&call(&api, get(&format!("/cases/{tracking}?lang=en"))).await);
    assert_eq!(en["department"], "Water Affairs Bureau");

    // Typed in lower case with spaces, as people do.
    let loose = tracking.to_lowercase().replace('-', "%20");
    let r = call(&api, get(&format!("/cases/{loose}"))).await;
    assert_eq!(r.status(), StatusCode::OK);

    let r = call(&api, {
        let mut req = get(&format!("/cases/{tracking}"));
        req.headers_mut()
            .insert("accept", "text/html".parse().expect("value"));
        req
    })
    .await;
    assert!(header(&r, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn a_mistyped_number_is_400_and_an_unknown_one_404() {
    let api = api();
    let tracking = submitted(&api).await;
    // Change the last (check) character.
    let mut wrong: Vec<char> = tracking.chars().collect();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == 'A' { 'B' } else { 'A' };
    let wrong: String = wrong.into_iter().collect();
    let r = call(&api, get(&format!("/cases/{wrong}?lang=en"))).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = json(&r);
    assert_eq!(body["errors"][0]["code"], "bad_check");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("typing mistake")
    );

    let other = TrackingNumber::generate("SL", now().date_naive(), &mut rand::rng());
    let r = call(&api, get(&format!("/cases/{other}"))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(&r)["errors"][0]["field"], "tracking");

    api.store().down.store(true, Ordering::SeqCst);
    let r = call(&api, get(&format!("/cases/{tracking}"))).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

// ------------------------------------------------------------ edges

#[tokio::test]
async fn cors_and_origin_checks() {
    let api = api();
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/cases")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(Bytes::new())
            .expect("request")
    };
    let r = call(&api, preflight(SITE)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "access-control-allow-origin"), SITE);
    assert!(header(&r, "access-control-allow-methods").contains("POST"));
    let r = call(&api, preflight("https://evil.example")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&r, "access-control-allow-origin"), "");

    let with_origin = |origin: &str| {
        let mut req = post_json(&json_submission(None));
        req.headers_mut()
            .insert("origin", origin.parse().expect("value"));
        req
    };
    let r = call(&api, with_origin("https://evil.example")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(api.store().all_cases().await.is_empty());
    let r = call(&api, with_origin("https://api.example.org")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(&r, "access-control-allow-origin"), "");
    let r = call(&api, with_origin(SITE)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(&r, "access-control-allow-origin"), SITE);
}

#[tokio::test]
async fn too_many_requests_from_one_address_get_429() {
    let api = api_with(config(2));
    for _ in 0..2 {
        assert_eq!(
            call(&api, post_json(&json_submission(None))).await.status(),
            StatusCode::CREATED
        );
    }
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&r, "retry-after").parse().expect("seconds");
    assert!((1..=60).contains(&retry));
    assert_eq!(api.store().all_cases().await.len(), 2);
    // Another address is not held back.
    let other = api
        .handle(
            post_json(&json_submission(None)),
            Some("192.0.2.1".parse().expect("ip")),
            now(),
        )
        .await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

/// A complaint with only a mobile number gets the text receipt at once,
/// never the receipt code; a number typed into more than a day's worth of
/// forms gets no more texts that day (nor does the scheduler send them).
#[tokio::test]
async fn a_mobile_number_gets_a_text_receipt_and_no_more_than_the_days_limit() {
    let mut config = config(100);
    config.rules = Arc::new(rules_with_texts());
    let api = api_with(config);
    let phone_only = |i: u32| {
        let mut sub = json_submission(Some(&format!("texts-key-{i:04}")));
        sub["email"] = serde_json::Value::Null;
        sub
    };
    let limit = intake::limit::ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY;
    let mut codes = Vec::new();
    for i in 0..=limit {
        let r = call(&api, post_json(&phone_only(i))).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
        codes.push(json(&r)["receipt_code"].as_str().expect("code").to_string());
    }
    let texts: Vec<_> = api
        .mailer()
        .sent()
        .into_iter()
        .filter(|(_, m)| m.medium == casework::outgoing::Medium::Text)
        .collect();
    assert_eq!(texts.len(), limit as usize, "{texts:#?}");
    for (id, m) in &texts {
        assert!(id.ends_with("/text-ack"), "{id}");
        assert_eq!(m.to, vec![format!("+86{PHONE}")]);
        assert!(codes.iter().all(|c| !m.text.contains(c.as_str())));
    }
    let held: Vec<_> = api
        .store()
        .notifications()
        .into_iter()
        .filter(|n| n.id.ends_with("/text-ack") && n.status == NotificationStatus::Failed)
        .collect();
    assert_eq!(held.len(), 1, "the text over the limit is given up");
    assert!(
        held[0]
            .last_error
            .as_deref()
            .is_some_and(|e| !e.contains(PHONE))
    );
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let api = api();
    let r = call(
        &api,
        Request::builder()
            .method("PUT")
            .uri("/cases")
            .body(Bytes::new())
            .expect("request"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, "allow"), "GET, POST, OPTIONS");
    let r = call(&api, get("/api/cases/x")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

// ------------------------------------------------------------ signed links

use casestore::prelude::*;
use casework::action_token::{self, Action, ActionToken, Holder};
use casework::lifecycle::{CaseState, Satisfaction};
use casework::rules::DepartmentId;

const LINK_EXPIRY_DAYS: i64 = 30;

fn form_post(uri: &str, body: impl Into<String>) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body.into()))
        .expect("request")
}

/// A department link's path, signed as the mail would sign it.
fn link(tracking: &str, department: &str, action: Action) -> String {
    let tracking = TrackingNumber::parse(tracking).expect("tracking");
    let token = ActionToken::sign(
        &config(100).action_secret,
        &tracking,
        &Holder::Department(DepartmentId::new(department)),
        action,
        now() + chrono::TimeDelta::days(LINK_EXPIRY_DAYS),
    );
    action_token::action_url("", &tracking, action, &token)
}

async fn version(api: &TestApi, tracking: &str) -> u64 {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    api.store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .version
}

async fn state(api: &TestApi, tracking: &str) -> CaseState {
    stored_case(api, tracking).await.state
}

async fn stored_case(api: &TestApi, tracking: &str) -> casework::lifecycle::Case {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    api.store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .case
}

/// Posts an action form at the case's current version.
async fn act(api: &TestApi, path: &str, tracking: &str, fields: &str) -> http::Response<Bytes> {
    let v = version(api, tracking).await;
    call(api, form_post(path, format!("version={v}&{fields}"))).await
}

#[tokio::test]
async fn the_department_mail_carries_links_that_open_the_action_pages() {
    let api = api();
    let tracking = submitted(&api).await;
    let mail = &api.mailer().sent()[0].1;
    let base = "https://api.example.org/v1";
    for action in Action::DEPARTMENT {
        let marker = format!("{base}/cases/{tracking}/actions/{}?token=", action.slug());
        let start = mail.text.find(&marker).expect("a link for every action");
        let url: String = mail.text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let path = url.strip_prefix(base).expect("on the API");
        let r = call(&api, get(path)).await;
        if action == Action::Accept {
            assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
            let page = text(&r);
            // Version 2: the case as stored, then marked forwarded when
            // this mail left.
            assert!(page.contains("name=\"version\" value=\"2\""), "{page}");
            assert!(page.contains(&tracking));
            for private in [NAME, PHONE, EMAIL, DESCRIPTION] {
                assert!(!page.contains(private), "{private} on the action page");
            }
        } else {
            // A new case can be accepted, sent back, raised or rejected.
            let allowed = matches!(
                action,
                Action::SendBack | Action::Ask | Action::RaiseSeverity | Action::Reject
            );
            assert_eq!(r.status().is_success(), allowed, "{action}: {}", text(&r));
        }
    }
    assert!(mail.html.contains("/actions/close?token="));
    // Opening the pages changed nothing.
    assert_eq!(version(&api, &tracking).await, 2);
}

#[tokio::test]
async fn accept_reply_extend_and_close_each_change_the_case_and_tell_the_complainant() {
    let api = api();
    let tracking = submitted(&api).await;
    let r = act(
        &api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::Accepted);

    let reply = "已更换管道，水质恢复正常。";
    let r = act(
        &api,
        &link(&tracking, "water", Action::Reply),
        &tracking,
        &format!("text={}", enc(reply)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::Replied);
    let status = json(&call(&api, get(&format!("/cases/{tracking}"))).await);
    assert_eq!(status["reply"], reply, "the reply is the public note");

    let r = act(
        &api,
        &link(&tracking, "water", Action::Extend),
        &tracking,
        &format!("reason={}&new_due=2026-12-11", enc("等待零件")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    // The rulebook names the centre as the approver: the department's
    // "extend" is a request, and the deadline stays until it decides.
    let page = text(&r);
    assert!(
        page.contains("2026-12-11") && page.contains("审批"),
        "{page}"
    );
    let again = act(
        &api,
        &link(&tracking, "water", Action::Extend),
        &tracking,
        &format!("reason={}&new_due=2026-12-10", enc("再等等")),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "{}", text(&again));
    assert!(text(&again).contains("等待审批"), "{}", text(&again));

    let r = act(
        &api,
        &link(&tracking, "water", Action::Close),
        &tracking,
        &format!("outcome={}", enc("管道已更换")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let record = api.store().case(&t).await.expect("store").expect("case");
    assert_eq!(record.case.state, CaseState::Closed);
    // Stored, forwarded (its mail left), accepted, replied, asked, closed.
    assert_eq!(record.version, 6);
    let actions: Vec<String> = record
        .case
        .events
        .iter()
        .map(|e| format!("{}/{}", e.action, e.actor))
        .collect();
    assert_eq!(
        actions[1..],
        [
            "forward/the system",
            "accept/department `water`",
            "reply to/department `water`",
            "ask to extend/department `water`",
            "close/department `water`"
        ]
    );

    let sent = api.mailer().sent();
    let to_complainant: Vec<&str> = sent
        .iter()
        .filter(|(_, m)| m.to == vec![EMAIL.to_string()])
        .map(|(id, _)| id.split('/').nth(1).unwrap_or(""))
        .collect();
    // No extension was granted, so none is announced to the complainant;
    // the approver (the centre's inbox) was asked.
    assert_eq!(to_complainant, ["ack", "reply", "closed"]);
    let (_, asked) = sent
        .iter()
        .find(|(id, _)| id.contains("/extension-request/"))
        .expect("the approver's mail");
    assert_eq!(asked.to, vec!["cases@example.org".to_string()]);
    assert!(asked.text.contains("等待零件"), "{}", asked.text);
    let (_, reply_mail) = sent
        .iter()
        .find(|(id, _)| id.contains("/reply/"))
        .expect("reply mail");
    assert!(reply_mail.text.contains(reply));
    assert!(
        api.store()
            .notifications()
            .iter()
            .all(|n| n.status == NotificationStatus::Sent)
    );
}

#[tokio::test]
async fn sending_back_mails_the_office_with_the_reason() {
    let api = api();
    let tracking = submitted(&api).await;
    let r = act(
        &api,
        &link(&tracking, "water", Action::SendBack),
        &tracking,
        &format!("reason={}", enc("属于住建局职责")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::SentBack);
    let sent = api.mailer().sent();
    let (id, mail) = sent.last().expect("a mail");
    assert!(id.contains("/sent-back/"), "{id}");
    assert_eq!(mail.to, vec!["cases@example.org".to_string()]);
    assert!(mail.text.contains("属于住建局职责"));
}

#[tokio::test]
async fn rejecting_from_the_mail_ends_the_case_and_mails_the_complainant_the_reason() {
    let api = api();
    let tracking = submitted(&api).await;
    let path = link(&tracking, "water", Action::Reject);
    // No reason: the form comes back with the problem, nothing changes.
    let r = act(&api, &path, &tracking, "reason=").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::Received);
    let reason = "所反映事项已由法院受理，不属于热线受理范围。";
    let r = act(&api, &path, &tracking, &format!("reason={}", enc(reason))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::Rejected);
    let sent = api.mailer().sent();
    let (id, mail) = sent.last().expect("a mail");
    assert!(id.contains("/rejected/"), "{id}");
    assert_eq!(mail.to, vec![EMAIL.to_string()]);
    assert!(mail.text.contains(reason), "{}", mail.text);
    let status = json(&call(&api, get(&format!("/cases/{tracking}"))).await);
    assert_eq!(status["reply"], reason, "the reason is the public note");
    // A second click finds the case ended.
    let r = act(&api, &path, &tracking, &format!("reason={}", enc(reason))).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
}

#[tokio::test]
async fn raising_the_severity_from_the_mail_tightens_the_limits() {
    let api = api();
    let tracking = submitted(&api).await;
    let path = link(&tracking, "water", Action::RaiseSeverity);
    let before = stored_case(&api, &tracking).await;
    let page = text(&call(&api, get(&path)).await);
    let rules = rules();
    let higher = rules.higher_severities(&before.severity);
    assert!(!higher.is_empty(), "the sample case can be raised");
    for s in higher {
        assert!(page.contains(&format!("value=\"{}\"", s.id)), "{page}");
    }
    // A severity that is not higher is refused on the form.
    let r = act(
        &api,
        &path,
        &tracking,
        &format!("severity={}", before.severity),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    let top = higher.last().expect("a higher one").id.clone();
    let r = act(&api, &path, &tracking, &format!("severity={top}")).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let after = stored_case(&api, &tracking).await;
    assert_eq!(after.severity, top);
    let due = |c: &casework::lifecycle::Case| {
        c.deadline(casework::rules::DeadlineKind::Reply)
            .map(|d| d.due_at)
    };
    assert!(
        due(&after) <= due(&before),
        "the reply limit did not loosen"
    );
    // At the top there is nothing higher: the link says so.
    let r = call(&api, get(&path)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
}

#[tokio::test]
async fn refused_links_change_nothing_and_say_why() {
    let api = api();
    let tracking = submitted(&api).await;
    let accept = link(&tracking, "water", Action::Accept);

    // Tampered: one character of the signature changed.
    let mut tampered = accept.clone();
    let last = tampered.pop().expect("a character");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    // Another action's token on this action's address.
    let close_token = link(&tracking, "water", Action::Close);
    let swapped = format!(
        "/cases/{tracking}/actions/accept?{}",
        close_token.split_once('?').expect("query").1
    );
    // Given to a department that does not handle the case.
    let wrong = link(&tracking, "housing", Action::Accept);
    // Expired yesterday.
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let expired_token = ActionToken::sign(
        &config(100).action_secret,
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::Accept,
        now() - chrono::TimeDelta::days(1),
    );
    let expired = action_token::action_url("", &t, Action::Accept, &expired_token);
    let no_token = format!("/cases/{tracking}/actions/accept");

    for (path, status, says) in [
        (&tampered, StatusCode::FORBIDDEN, "not valid"),
        (&swapped, StatusCode::FORBIDDEN, "not valid"),
        (&wrong, StatusCode::FORBIDDEN, "no longer handles"),
        (&expired, StatusCode::GONE, "expired on 2026-11-17"),
        (&no_token, StatusCode::BAD_REQUEST, "incomplete"),
    ] {
        for post in [false, true] {
            let req = if post {
                form_post(&format!("{path}&lang=en"), "version=1")
            } else {
                get(&format!("{path}&lang=en"))
            };
            let req = if path == &no_token {
                let uri = format!("{path}?lang=en");
                if post {
                    form_post(&uri, "version=1")
                } else {
                    get(&uri)
                }
            } else {
                req
            };
            let r = call(&api, req).await;
            assert_eq!(r.status(), status, "{path}: {}", text(&r));
            let page = text(&r);
            assert!(page.contains(says), "{page}");
            assert!(page.contains("Nothing was changed") || status == StatusCode::BAD_REQUEST);
        }
    }
    let zh = call(&api, get(&tampered)).await;
    assert!(text(&zh).contains("此链接无效"));
    assert_eq!(state(&api, &tracking).await, CaseState::Received);
    assert_eq!(version(&api, &tracking).await, 2);
}

#[tokio::test]
async fn a_link_cannot_repeat_an_action_after_the_case_moved_on() {
    let api = api();
    let tracking = submitted(&api).await;
    for (action, fields) in [
        (Action::Accept, String::new()),
        (Action::Reply, "text=done".to_string()),
        (Action::Close, "outcome=done".to_string()),
    ] {
        let r = act(&api, &link(&tracking, "water", action), &tracking, &fields).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    }
    let before = version(&api, &tracking).await;
    let sent_before = api.mailer().sent().len();
    // The same close link again, and an accept after the close.
    for (action, fields) in [(Action::Close, "outcome=again"), (Action::Accept, "")] {
        let path = link(&tracking, "water", action);
        let r = act(&api, &path, &tracking, fields).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
        assert!(text(&r).contains("未做任何更改"));
        let r = call(&api, get(&path)).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
    }
    assert_eq!(version(&api, &tracking).await, before);
    assert_eq!(api.mailer().sent().len(), sent_before);
}

#[tokio::test]
async fn a_change_by_someone_else_keeps_what_was_typed() {
    let api = api();
    let tracking = submitted(&api).await;
    let _ = act(
        &api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    // The form was shown at version 3 (accepted); someone replies first.
    let typed = "<b>我们的答复</b> & more";
    let _ = act(
        &api,
        &link(&tracking, "water", Action::Reply),
        &tracking,
        "text=first",
    )
    .await;
    let r = call(
        &api,
        form_post(
            &format!("{}&lang=en", link(&tracking, "water", Action::Reply)),
            format!("version=3&text={}", enc(typed)),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("Someone else changed this case"), "{page}");
    assert!(
        page.contains("&lt;b&gt;我们的答复&lt;/b&gt; &amp; more</textarea>"),
        "{page}"
    );
    assert!(!page.contains("<b>我们的答复"));
    assert!(page.contains("name=\"version\" value=\"4\""));
    let status = json(&call(&api, get(&format!("/cases/{tracking}"))).await);
    assert_eq!(status["reply"], "first");
}

#[tokio::test]
async fn losing_the_race_to_write_keeps_what_was_typed_and_sends_nothing() {
    let api = api();
    let tracking = submitted(&api).await;
    let _ = act(
        &api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    let sent = api.mailer().sent().len();
    api.store().lose_next_update.store(true, Ordering::SeqCst);
    // An important case answers before it closes: the reply is the write.
    let r = act(
        &api,
        &link(&tracking, "water", Action::Reply),
        &tracking,
        "text=fixed+it",
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("有人修改了此案件"), "{page}");
    assert!(page.contains(">fixed it</textarea>"));
    assert_eq!(state(&api, &tracking).await, CaseState::Accepted);
    assert_eq!(api.mailer().sent().len(), sent);
    // With the store down, the form comes back too, with a retry hint.
    api.store().down.store(true, Ordering::SeqCst);
    let r = call(
        &api,
        form_post(&link(&tracking, "water", Action::Reply), "version=3&text=x"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn blank_or_out_of_bounds_fields_show_the_form_again() {
    let api = api();
    let tracking = submitted(&api).await;
    let _ = act(
        &api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    let r = act(
        &api,
        &link(&tracking, "water", Action::Reply),
        &tracking,
        "text=+++",
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&r).contains("href=\"#text\""));
    // Past the rulebook's maximum extension (15 working days).
    let extend = format!("{}&lang=en", link(&tracking, "water", Action::Extend));
    let r = act(&api, &extend, &tracking, "reason=parts&new_due=2027-06-01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("at the latest"), "{page}");
    assert!(page.contains("value=\"2027-06-01\""));
    assert!(page.contains(">parts</textarea>"));
    let r = act(&api, &extend, &tracking, "reason=parts&new_due=soon").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&r).contains("YYYY-MM-DD"));
    assert_eq!(state(&api, &tracking).await, CaseState::Accepted);
    let r = call(
        &api,
        form_post(&link(&tracking, "water", Action::Reply), "fax=1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn closed_case(api: &TestApi) -> String {
    let tracking = submitted(api).await;
    for (action, fields) in [
        (Action::Accept, ""),
        (Action::Reply, "text=done"),
        (Action::Close, "outcome=done"),
    ] {
        let r = act(api, &link(&tracking, "water", action), &tracking, fields).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    }
    tracking
}

fn survey_path(tracking: &str, rating: Satisfaction) -> String {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    let links = action_token::survey_links(
        &config(100).action_secret,
        "",
        &t,
        now() + chrono::TimeDelta::days(14),
    );
    links
        .into_iter()
        .find(|(r, _)| *r == rating)
        .map(|(_, url)| url)
        .expect("a link per rating")
}

#[tokio::test]
async fn a_dissatisfied_rating_reopens_the_case_one_level_up() {
    let api = api();
    let tracking = closed_case(&api).await;
    let path = survey_path(&tracking, Satisfaction::Dissatisfied);
    let r = call(&api, get(&path)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("value=\"dissatisfied\" checked"), "{page}");
    assert!(
        page.contains("<html lang=\"zh-CN\">") || page.contains("lang=\"zh"),
        "the complainant's language"
    );
    assert_eq!(
        state(&api, &tracking).await,
        CaseState::Closed,
        "a GET records nothing"
    );

    let comment = "水还是黄的 <script>";
    let r = act(
        &api,
        &path,
        &tracking,
        &format!("rating=dissatisfied&reopen=on&comment={}", enc(comment)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(!text(&r).contains("<script>"));
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let case = api
        .store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .case;
    assert_eq!(case.state, CaseState::Accepted);
    assert_eq!(case.escalation_level, 1);
    let sent = api.mailer().sent();
    let (id, mail) = sent.last().expect("a mail");
    assert!(id.contains("/reopened/"), "{id}");
    assert!(mail.to.contains(&"water@example.org".to_string()));
    assert!(mail.to.contains(&"water-director@example.org".to_string()));
    assert!(mail.text.contains("/actions/reply?token="), "fresh links");
    assert!(!mail.html.contains("<script>"));

    // The survey cannot be answered twice.
    let r = act(&api, &path, &tracking, "rating=satisfied").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_satisfied_rating_only_records_and_a_missing_one_is_asked_for() {
    let api = api();
    let tracking = closed_case(&api).await;
    let path = survey_path(&tracking, Satisfaction::Satisfied);
    let r = act(&api, &format!("{path}&lang=en"), &tracking, "comment=kept").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&r).contains("Please choose a rating"));
    assert!(text(&r).contains(">kept</textarea>"));
    let r = act(&api, &path, &tracking, "rating=satisfied&comment=ok").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let case = api
        .store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .case;
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(case.satisfaction, Some(Satisfaction::Satisfied));
    // A department token is not a survey token.
    let forged = format!(
        "/cases/{tracking}/survey?{}",
        link(&tracking, "water", Action::Close)
            .split_once('?')
            .expect("query")
            .1
    );
    assert_eq!(
        call(&api, get(&forged)).await.status(),
        StatusCode::FORBIDDEN
    );
}

// ------------------------------------------------------------ no-JS lookup and shells

#[tokio::test]
async fn the_no_js_lookup_shows_the_status_or_the_form_again() {
    let api = api();
    let tracking = submitted(&api).await;
    let html = |uri: &str| {
        let mut req = get(uri);
        req.headers_mut()
            .insert("accept", "text/html,*/*".parse().expect("value"));
        req
    };
    let r = call(&api, html(&format!("/cases?tracking={tracking}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text(&r).contains(&tracking));
    assert!(text(&r).contains("action=\"https://api.example.org/v1/cases\""));

    let typed = "SL-2611-<b>";
    let r = call(
        &api,
        html(&format!("/cases?tracking={}&lang=en", enc(typed))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = text(&r);
    assert!(page.contains("value=\"SL-2611-&lt;b&gt;\""), "{page}");
    assert!(!page.contains("<b>"));
    assert!(page.contains("<html lang=\"en\">"));

    let other = TrackingNumber::generate("SL", now().date_naive(), &mut rand::rng());
    let r = call(&api, html(&format!("/cases?tracking={other}"))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(text(&r).contains("没有找到"));

    let r = call(&api, get(&format!("/cases?tracking={tracking}"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&r, "location"),
        format!("https://api.example.org/v1/cases/{tracking}")
    );
    let r = call(&api, get("/cases?tracking=")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(&r)["errors"][0]["code"], "empty");
}

#[tokio::test]
async fn pages_wear_the_site_shell() {
    let mut config = config(100);
    config.shells = crate::PageShells {
        zh: "<html lang=\"zh-CN\"><title><!--hotline:title--> · 示例</title><nav>站点导航</nav><main><!--hotline:main--></main></html>".into(),
        en: "<html lang=\"en\"><title><!--hotline:title--> · Sample</title><nav>Site nav</nav><main><!--hotline:main--></main></html>".into(),
    };
    let api = api_with(config);
    let body = format!(
        "case_type=complaint&category=nowhere&name={}&phone={PHONE}&description={}&language=en",
        enc("<i>王</i>"),
        enc(DESCRIPTION)
    );
    let r = call(&api, post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&r);
    assert!(page.contains("<nav>Site nav</nav>"), "{page}");
    assert!(page.contains("<title>Submit a case · Sample</title>"));
    assert!(page.contains("href=\"#category\""));
    assert!(page.contains("value=\"nowhere\""));
    assert!(page.contains("&lt;i&gt;王&lt;/i&gt;"));
    assert!(page.contains(DESCRIPTION));
    let tracking = submitted(&api).await;
    let r = call(&api, get(&format!("/cases/{tracking}?format=html"))).await;
    assert!(text(&r).contains("<nav>站点导航</nav>"));
    let r = call(&api, get(&link(&tracking, "water", Action::Accept))).await;
    assert!(text(&r).contains("<nav>站点导航</nav>"));
}

#[tokio::test]
async fn a_new_configuration_takes_effect_for_the_next_request() {
    let api = api();
    let tracking = submitted(&api).await;
    let mut config = (*api.config()).clone();
    config.shells = crate::PageShells {
        zh: "<html><title><!--hotline:title--></title><header>新外观</header><!--hotline:main--></html>".into(),
        en: "<html><title><!--hotline:title--></title><header>New look</header><!--hotline:main--></html>".into(),
    };
    api.reconfigure(config);
    let r = call(&api, get(&format!("/cases/{tracking}?format=html"))).await;
    assert!(text(&r).contains("<header>新外观</header>"), "{}", text(&r));
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", "language=en"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&r).contains("<header>New look</header>"));
}

#[tokio::test]
async fn a_reply_with_markup_is_shown_and_mailed_as_text() {
    let api = api();
    let tracking = submitted(&api).await;
    let _ = act(
        &api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    let evil = "<script>alert(1)</script>\"'&";
    let r = act(
        &api,
        &link(&tracking, "water", Action::Reply),
        &tracking,
        &format!("text={}", enc(evil)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let status = call(&api, get(&format!("/cases/{tracking}?format=html"))).await;
    let lookup = call(&api, {
        let mut req = get(&format!("/cases?tracking={tracking}"));
        req.headers_mut()
            .insert("accept", "text/html".parse().expect("value"));
        req
    })
    .await;
    let close = call(&api, get(&link(&tracking, "water", Action::Close))).await;
    for page in [text(&r), text(&status), text(&lookup), text(&close)] {
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"),
            "{page}"
        );
    }
    let sent = api.mailer().sent();
    let (_, mail) = sent.last().expect("the reply mail");
    assert!(!mail.html.contains("<script"));
    assert!(mail.text.contains(evil));
}
