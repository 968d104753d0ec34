//! Test doubles and request helpers shared by the API's unit tests and the
//! integration tests in this folder: the in-memory store with switches to
//! make it fail (`casestore::faults`), a mailer that records or refuses,
//! and request builders.
#![allow(dead_code)]

use bytes::Bytes;
use casestore::faults::Faulty;
use casestore::memory::MemoryStore;
use casestore::prelude::*;
use casestore::{CaseRecord, Notification, OutgoingMessage};
use casework::Rulebook;
use chrono::{DateTime, TimeZone, Utc};
use http::{Request, Response};
use intake::{Api, ApiConfig, RateLimit};
use mail::{MailError, Mailer};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const RULES: &str = include_str!("../../../../content/rules.toml");
pub const SITE: &str = "https://12345.example.org";

pub const NAME: &str = "王小明";
pub const PHONE: &str = "13812345678";
pub const EMAIL: &str = "xiaoming.wang@example.net";
pub const DESCRIPTION: &str = "小区的自来水连续三天发黄，有明显异味，无法饮用。";
pub const IP: &str = "198.51.100.23";
pub const ACTION_SECRET: &[u8] = b"test action secret, 32 bytes min";

/// The published rulebook without its text messages: these tests count
/// mail (their fake mailer is not a texter); [`rules_with_texts`] keeps them.
pub fn rules() -> Arc<Rulebook> {
    let mut rules = rules_with_texts();
    rules.text_messages = None;
    Arc::new(rules)
}

/// The published rulebook as it is.
pub fn rules_with_texts() -> Rulebook {
    let (rules, _) = Rulebook::parse(std::path::Path::new("content/rules.toml"), RULES)
        .expect("the published rulebook parses");
    rules
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 2, 0, 0)
        .single()
        .expect("time")
}

/// The in-memory store, with switches to make it fail (`down`,
/// `lose_next_update`); reading through it (`notifications()`) reaches the
/// memory store directly.
pub type TestStore = Faulty<MemoryStore>;

/// What a test reads back from its store, past the switches.
pub trait Recorded {
    /// Every case, in order of arrival.
    fn all_cases(&self) -> impl std::future::Future<Output = Vec<CaseRecord>>;
    /// Every notification in any state, by id.
    fn notifications(&self) -> Vec<Notification>;
}

impl Recorded for TestStore {
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

#[derive(Default)]
pub struct FakeMailer {
    sent: Mutex<Vec<(String, OutgoingMessage)>>,
    pub fail: AtomicBool,
}

impl FakeMailer {
    pub fn sent(&self) -> Vec<(String, OutgoingMessage)> {
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

pub type TestApi = Api<TestStore, FakeMailer>;

pub fn config(per_window: u32) -> ApiConfig {
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
        link_rate_limit: RateLimit {
            per_window,
            window: Duration::from_secs(60),
        },
        ipv6_prefix: intake::limit::DEFAULT_IPV6_PREFIX,
        ip_hash_secret: "test-secret".into(),
        action_secret: casework::action_token::ActionSecret::new(ACTION_SECRET)
            .expect("a long enough secret"),
        shells: intake::PageShells::builtin(),
    }
}

pub fn api() -> TestApi {
    api_with(config(100))
}

/// An API on a fresh memory store and fake mailer, configured by `config`.
pub fn api_with(config: ApiConfig) -> TestApi {
    Api::with_default_form(config, TestStore::default(), FakeMailer::default())
}

pub fn json_submission(key: Option<&str>) -> serde_json::Value {
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

pub fn form_submission() -> String {
    format!(
        "case_type=complaint&category=water-supply&name={}&phone={PHONE}&email={}&description={}&language=en&idempotency_key=form-key-0001&website=",
        enc(NAME),
        enc(EMAIL),
        enc(DESCRIPTION)
    )
}

pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

pub fn post(content_type: &str, body: impl Into<Bytes>) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri("/cases")
        .header("content-type", content_type)
        .body(body.into())
        .expect("request")
}

pub fn post_json(value: &serde_json::Value) -> Request<Bytes> {
    post("application/json", serde_json::to_vec(value).expect("json"))
}

pub fn get(uri: &str) -> Request<Bytes> {
    Request::builder()
        .uri(uri)
        .body(Bytes::new())
        .expect("request")
}

pub async fn call(api: &TestApi, req: Request<Bytes>) -> Response<Bytes> {
    api.handle(req, Some(IP.parse::<IpAddr>().expect("ip")), now())
        .await
}

pub fn text(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).expect("utf-8 body")
}

pub fn json(r: &Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).expect("json body")
}

pub fn header<'a>(r: &'a Response<Bytes>, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The text of `haystack` between the first `start` and the next `end`
/// after it (empty when either is missing).
pub fn between(haystack: &str, start: &str, end: &str) -> String {
    let Some(i) = haystack.find(start) else {
        return String::new();
    };
    let rest = &haystack[i + start.len()..];
    rest[..rest.find(end).unwrap_or(0)].to_string()
}
