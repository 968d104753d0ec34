//! The API end to end over the in-memory store and a fake mailer: every
//! route and status, replays, failures of the store and of the mailer, and
//! what must never be shown or logged.

#[path = "../tests/support/mod.rs"]
mod support;

use support::*;

use crate::Api;
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
async fn a_form_submission_redirects_303_to_the_thanks_page() {
    let api = api();
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(&r));
    let location = header(&r, "location");
    let tracking = location
        .strip_prefix("/thanks/?tracking=")
        .and_then(|rest| rest.strip_suffix("&lang=en"))
        .expect("thanks url with tracking and lang");
    let cases = api.store().all_cases().await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.tracking.as_str(), tracking);
    assert_eq!(cases[0].submission.description, DESCRIPTION);
}

#[tokio::test]
async fn anonymous_on_means_anonymous() {
    let api = api();
    let body = format!(
        "case_type=report&category=water-supply&anonymous=on&description={}",
        enc(DESCRIPTION)
    );
    let r = call(&api, post("application/x-www-form-urlencoded", body)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(&r));
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
            post("multipart/form-data; boundary=x", "x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
    assert_eq!(json(&first), json(&second));
    assert_eq!(api.store().all_cases().await.len(), 1);
    assert_eq!(api.mailer().sent().len(), 2);

    // The form path replays to the same thanks page.
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
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&a, "location"), header(&b, "location"));
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(api.store().all_cases().await.len(), 2);
    let notifications = api.store().notifications();
    assert_eq!(notifications.len(), 4);
    for n in notifications {
        assert_eq!(n.status, NotificationStatus::Pending, "{}", n.id);
        assert_eq!(n.next_attempt_at, now() + chrono::TimeDelta::minutes(5));
        assert_eq!(n.attempts, 1);
    }
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
    let api = Api::with_default_form(config(2), TestStore::default(), FakeMailer::default());
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

#[tokio::test]
async fn unknown_paths_and_methods() {
    let api = api();
    let r = call(&api, get("/cases")).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, "allow"), "POST, OPTIONS");
    let r = call(&api, get("/api/cases/x")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
