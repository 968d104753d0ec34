//! The API end to end over the in-memory store and a fake mailer: every
//! route and status, replays, failures of the store and of the mailer, and
//! what must never be shown or logged.

use crate::{Api, ApiConfig, RateLimit};
use bytes::Bytes;
use casestore::memory::MemoryStore;
use casestore::{
    CaseRecord, Created, Delivery, NewCase, Notification, NotificationStatus, OutgoingMessage,
    Store, StoreError,
};
use casework::Rulebook;
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, TimeZone, Utc};
use http::{Request, Response, StatusCode};
use mail::{MailError, Mailer};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RULES: &str = include_str!("../../../content/rules.toml");
const SITE: &str = "https://12345.example.org";

const NAME: &str = "王小明";
const PHONE: &str = "13812345678";
const EMAIL: &str = "xiaoming.wang@example.net";
const DESCRIPTION: &str = "小区的自来水连续三天发黄，有明显异味，无法饮用。";
const IP: &str = "198.51.100.23";

fn rules() -> Arc<Rulebook> {
    let (rules, _) = Rulebook::parse(std::path::Path::new("content/rules.toml"), RULES)
        .expect("the published rulebook parses");
    Arc::new(rules)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 2, 0, 0)
        .single()
        .expect("time")
}

/// The in-memory store, with switches to make it fail.
#[derive(Default)]
struct TestStore {
    inner: MemoryStore,
    down: AtomicBool,
}

impl TestStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("switched off by the test".into()))
        } else {
            Ok(())
        }
    }

    async fn all_cases(&self) -> Vec<CaseRecord> {
        let from = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .expect("time");
        let to = Utc
            .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
            .single()
            .expect("time");
        self.inner
            .cases_received_between(from, to)
            .await
            .expect("readable")
    }

    fn notifications(&self) -> Vec<Notification> {
        self.inner.notifications().expect("readable")
    }
}

impl Store for TestStore {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        self.check()?;
        // A pause, so two concurrent requests really overlap.
        tokio::task::yield_now().await;
        self.inner.create_case(new).await
    }
    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.case(tracking).await
    }
    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        self.check()?;
        self.inner
            .update_case(case, expected_version, next_due, notifications)
            .await
    }
    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.due_cases(now, limit).await
    }
    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        self.check()?;
        self.inner.pending_notifications(now, limit).await
    }
    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.claim_notification(id, now, lease_until).await
    }
    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        self.check()?;
        self.inner.record_delivery(id, delivery).await
    }
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.check()?;
        self.inner
            .count_request(key, window_start, expires_at)
            .await
    }
    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.cases_received_between(from, to).await
    }
}

#[derive(Default)]
struct FakeMailer {
    sent: Mutex<Vec<(String, OutgoingMessage)>>,
    fail: AtomicBool,
}

impl FakeMailer {
    fn sent(&self) -> Vec<(String, OutgoingMessage)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Mailer for FakeMailer {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError::Temporary(format!(
                "refused mail to {:?}",
                message.to
            )));
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((id.to_string(), message.clone()));
        }
        Ok(())
    }
}

type TestApi = Api<TestStore, FakeMailer>;

fn config(per_window: u32) -> ApiConfig {
    ApiConfig {
        rules: rules(),
        site_origin: SITE.into(),
        thanks_url: "/thanks/".into(),
        status_page_url: "https://12345.example.org/status/".into(),
        public_base_url: "https://api.example.org/v1".into(),
        rate_limit: RateLimit {
            per_window,
            window: Duration::from_secs(60),
        },
        ip_hash_secret: "test-secret".into(),
    }
}

fn api() -> TestApi {
    Api::with_default_form(config(100), TestStore::default(), FakeMailer::default())
}

fn json_submission(key: Option<&str>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "case_type": "complaint",
        "category": "water-supply",
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "location": "幸福路12号",
        "description": DESCRIPTION,
        "language": "zh",
    });
    if let Some(k) = key {
        v["idempotency_key"] = k.into();
    }
    v
}

fn form_submission() -> String {
    format!(
        "case_type=complaint&category=water-supply&name={}&phone={PHONE}&email={}&description={}&language=en&idempotency_key=form-key-0001&website=",
        enc(NAME),
        enc(EMAIL),
        enc(DESCRIPTION)
    )
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn post(content_type: &str, body: impl Into<Bytes>) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri("/cases")
        .header("content-type", content_type)
        .body(body.into())
        .expect("request")
}

fn post_json(value: &serde_json::Value) -> Request<Bytes> {
    post("application/json", serde_json::to_vec(value).expect("json"))
}

fn get(uri: &str) -> Request<Bytes> {
    Request::builder()
        .uri(uri)
        .body(Bytes::new())
        .expect("request")
}

async fn call(api: &TestApi, req: Request<Bytes>) -> Response<Bytes> {
    api.handle(req, Some(IP.parse::<IpAddr>().expect("ip")), now())
        .await
}

fn text(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).expect("utf-8 body")
}

fn json(r: &Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).expect("json body")
}

fn header<'a>(r: &'a Response<Bytes>, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

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

// ------------------------------------------------------------ logs

/// Collects everything written by the log subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn identity_and_description_never_reach_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let api = api();
    let r = call(&api, post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut invalid = json_submission(None);
    invalid["email"] = "broken@".into();
    call(&api, post_json(&invalid)).await;
    api.mailer().fail.store(true, Ordering::SeqCst);
    call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    api.store().down.store(true, Ordering::SeqCst);
    call(&api, post_json(&json_submission(None))).await;

    let log = String::from_utf8(captured.0.lock().map(|b| b.clone()).unwrap_or_default())
        .expect("utf-8 log");
    assert!(log.contains("case received"), "the capture works: {log}");
    for secret in [NAME, PHONE, EMAIL, DESCRIPTION, "broken@", IP] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
