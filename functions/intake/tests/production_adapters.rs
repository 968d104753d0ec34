//! The whole intake flow through the API over the production adapters:
//! DynamoDB and SES on the local AWS endpoint (moto), and SMTP into a local
//! sink — both started by `tests/run`. A submission is stored, answered with
//! a tracking number, mailed to the department and the complainant, replays
//! make nothing new, and the status lookup works against the real store.
#![cfg(feature = "lambda")]

mod support;

use casestore::dynamodb::DynamoStore;
use casestore::prelude::*;
use casework::tracking::TrackingNumber;
use http::StatusCode;
use intake::Api;
use mail::eml::read;
use mail::{SesMailer, SmtpMailer, Tls};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NEED_SINK: &str = "run tests/run, or start a sink yourself: \
pip install aiosmtpd && python3 -m aiosmtpd -n -l 127.0.0.1:8025 -c aiosmtpd.handlers.Mailbox /tmp/hotline-smtp & \
export HOTLINE_TEST_SMTP=127.0.0.1:8025 HOTLINE_TEST_SMTP_DIR=/tmp/hotline-smtp";

const FROM: &str = "市民热线 <noreply@example.org>";

/// The water department's inboxes in `content/rules.toml`, where the
/// sample submission's category routes.
const WATER_INBOX: &str = "water@example.org";

fn endpoint() -> String {
    // Never skip: a missing server is a failure that says how to fix it.
    casestore::testing::endpoint().unwrap_or_else(|e| panic!("{e}"))
}

async fn fresh_table() -> DynamoStore {
    casestore::testing::fresh_store("intake").await
}

/// A plain HTTP/1.0 GET; enough for the endpoint's state dump.
async fn http_get(url: &str, path: &str) -> String {
    let authority = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("AWS_ENDPOINT_URL must be http://host:port, not {url}"))
        .trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach {authority}: {e}. Fix: {}",
                casestore::testing::HOW_TO_START
            )
        });
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    assert!(head.contains(" 200 "), "GET {path}: {head}");
    body.to_string()
}

/// Every raw message in `value` (the endpoint's SES state).
fn raw_messages<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(s) if s.contains("MIME-Version") => found.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| raw_messages(v, found)),
        serde_json::Value::Object(map) => map.values().for_each(|v| raw_messages(v, found)),
        _ => {}
    }
}

/// The `To` line that [`readable`] puts first.
fn addressed_to(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// The decoded text of every part of a raw message, with its headers.
fn readable(raw: &str) -> String {
    let mut text = String::new();
    for name in ["To", "Subject"] {
        if let Some(value) = read::header(raw, name) {
            text.push_str(&read::decode_words(&value));
            text.push('\n');
        }
    }
    for (_, body) in read::parts(raw) {
        text.push_str(&String::from_utf8_lossy(&body));
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn a_case_goes_into_dynamodb_and_its_mail_out_through_ses() {
    let store = fresh_table().await;
    let mailer = SesMailer::from_env(FROM).await;
    // Creating an identity that exists already fails; either way it exists.
    let _ = mailer
        .client()
        .create_email_identity()
        .email_identity("noreply@example.org")
        .send()
        .await;
    let api = Api::with_default_form(config(100), store, mailer);

    let key = format!("aws-flow-{}", std::process::id());
    let first = api
        .handle(post_json(&json_submission(Some(&key))), None, now())
        .await;
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(first.body())
    );
    let body: serde_json::Value = serde_json::from_slice(first.body()).expect("json");
    let tracking = body["tracking"].as_str().expect("a tracking number");
    let number = TrackingNumber::parse(tracking).expect("a valid tracking number");

    // A replay of the same key is the same case, and nothing new is sent.
    let again = api
        .handle(post_json(&json_submission(Some(&key))), None, now())
        .await;
    let again: serde_json::Value = serde_json::from_slice(again.body()).expect("json");
    assert_eq!(again["tracking"], tracking);

    let record = api
        .store()
        .case(&number)
        .await
        .expect("the store answers")
        .expect("the case is in DynamoDB");
    assert_eq!(
        record.submission.contact.email.as_ref().map(|e| e.as_str()),
        Some(EMAIL)
    );

    let status = api
        .handle(get(&format!("/cases/{tracking}")), None, now())
        .await;
    assert_eq!(status.status(), StatusCode::OK);
    let shown = String::from_utf8_lossy(status.body()).into_owned();
    assert!(shown.contains(tracking), "{shown}");
    for secret in [NAME, PHONE, EMAIL, DESCRIPTION] {
        assert!(!shown.contains(secret), "{secret} in the public status");
    }

    let state = http_get(&endpoint(), "/moto-api/data.json").await;
    let state: serde_json::Value = serde_json::from_str(&state).expect("the state is JSON");
    let mut raws = Vec::new();
    raw_messages(state.get("ses").expect("an ses section"), &mut raws);
    let ours: Vec<String> = raws
        .iter()
        .map(|raw| readable(raw))
        .filter(|text| text.contains(tracking))
        .collect();
    assert_eq!(
        ours.len(),
        2,
        "one mail to the department and one acknowledgment, once each: {ours:#?}"
    );
    let to_department = ours
        .iter()
        .find(|m| addressed_to(m).contains(WATER_INBOX))
        .unwrap_or_else(|| panic!("no mail to {WATER_INBOX}: {ours:#?}"));
    assert!(to_department.contains(DESCRIPTION));
    assert!(
        ours.iter().any(|m| addressed_to(m) == EMAIL),
        "no acknowledgment to {EMAIL} alone: {ours:#?}"
    );
}

/// The sink's address and folder; a missing sink fails the test, loudly.
fn sink() -> (String, u16, PathBuf) {
    let addr = std::env::var("HOTLINE_TEST_SMTP")
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP is not set. Fix: {NEED_SINK}"));
    let dir = std::env::var("HOTLINE_TEST_SMTP_DIR")
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP_DIR is not set. Fix: {NEED_SINK}"));
    let (host, port) = addr
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("HOTLINE_TEST_SMTP must be host:port, not {addr:?}"));
    let port = port
        .parse()
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP has a bad port: {addr:?}"));
    (host.to_string(), port, PathBuf::from(dir))
}

/// Every message in the sink that mentions `needle`, decoded; waits up to
/// ten seconds for `count` of them.
async fn in_sink(dir: &Path, needle: &str, count: usize) -> Vec<String> {
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(dir.join("new"))
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .map(|raw| readable(&raw))
                    .filter(|text| text.contains(needle))
                    .collect()
            })
            .unwrap_or_default();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} of {count} messages with {needle} arrived in {}/new. Fix: {NEED_SINK}",
        found.len(),
        dir.display()
    );
}

#[tokio::test]
async fn a_form_submission_is_mailed_through_smtp() {
    let (host, port, dir) = sink();
    let mailer = SmtpMailer::new(&host, port, Tls::None, None, FROM).expect("a mailer");
    let api = Api::with_default_form(config(100), TestStore::default(), mailer);

    let answer = api
        .handle(
            post("application/x-www-form-urlencoded", form_submission()),
            None,
            now(),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let location = String::from_utf8_lossy(answer.body()).into_owned();
    let cases = api.store().all_cases().await;
    assert_eq!(cases.len(), 1);
    let tracking = cases[0].case.tracking.to_string();
    assert!(location.contains(&tracking), "{location}");

    let mails = in_sink(&dir, &tracking, 2).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(mails.iter().any(|m| addressed_to(m).contains(WATER_INBOX)));
    assert!(mails.iter().any(|m| addressed_to(m) == EMAIL));
    let pending: Vec<_> = api
        .store()
        .notifications()
        .into_iter()
        .filter(|n| n.status != casestore::NotificationStatus::Sent)
        .collect();
    assert!(pending.is_empty(), "left unsent: {pending:?}");
}
