//! The SES mailer against a local SES endpoint (moto, started by
//! `tests/run`, reached through `AWS_ENDPOINT_URL`).
#![cfg(feature = "ses")]

use casework::outgoing::Message;
use mail::eml::read;
use mail::{MailError, Mailer, SesMailer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FIX: &str = "run tests/run, or start the local endpoint yourself: \
pip install 'moto[server]' && moto_server -H 127.0.0.1 -p 5055 & \
export AWS_ENDPOINT_URL=http://127.0.0.1:5055 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";

const FROM: &str = "Hotline <noreply@example.org>";

fn endpoint() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL")
        .unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL is not set. Fix: {FIX}"));
    for var in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        if std::env::var(var).is_err() {
            panic!("{var} is not set. Fix: {FIX}");
        }
    }
    url
}

fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("t{}x{nanos}", std::process::id())
}

/// A plain HTTP/1.0 GET; enough for the endpoint's state dump.
async fn http_get(url: &str, path: &str) -> String {
    let authority = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("AWS_ENDPOINT_URL must be http://host:port, not {url}"))
        .trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {authority}: {e}. Fix: {FIX}"));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    assert!(head.contains(" 200 "), "GET {path}: {head}");
    body.to_string()
}

/// Every string in `value` that contains `needle`.
fn strings_with<'a>(value: &'a serde_json::Value, needle: &str, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(s) if s.contains(needle) => found.push(s),
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| strings_with(v, needle, found))
        }
        serde_json::Value::Object(map) => map.values().for_each(|v| strings_with(v, needle, found)),
        _ => {}
    }
}

async fn mailer() -> SesMailer {
    endpoint();
    let mailer = SesMailer::from_env(FROM).await;
    // Creating an identity that exists already fails; either way it exists.
    let _ = mailer
        .client()
        .create_email_identity()
        .email_identity("noreply@example.org")
        .send()
        .await;
    mailer
}

#[tokio::test]
async fn a_raw_message_is_sent_with_both_parts() {
    let mailer = mailer().await;
    let token = token();
    let message = Message {
        to: vec!["housing@example.org".into()],
        subject: format!("[SL-2611-K7Q-X9M-3DZ] 新案件 / New case {token}"),
        text: format!("受理编号 {token}"),
        html: format!("<p>受理编号 {token}</p>"),
        medium: casework::outgoing::Medium::Mail,
        attachments: vec![casework::outgoing::Attachment {
            file_name: "stats.csv".into(),
            content_type: "text/csv".into(),
            content: b"a,b\n1,2\n".to_vec(),
        }],
    };
    mailer
        .send(&format!("SL-2611-K7Q-X9M-3DZ/new-case/{token}"), &message)
        .await
        .unwrap_or_else(|e| panic!("SES send failed: {e}"));

    let state = http_get(&endpoint(), "/moto-api/data.json").await;
    let state: serde_json::Value = serde_json::from_str(&state).expect("the state is JSON");
    let ses = state.get("ses").expect("the state has an ses section");
    let mut found = Vec::new();
    strings_with(ses, &token, &mut found);
    let raw = found
        .iter()
        .find(|s| s.contains("MIME-Version"))
        .unwrap_or_else(|| panic!("no raw message with {token} in the SES state"));
    assert_eq!(
        read::header(raw, "Subject").as_deref(),
        Some(message.subject.as_str())
    );
    let parts = read::parts(raw);
    let kinds: Vec<&str> = parts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "text/plain; charset=utf-8",
            "text/html; charset=utf-8",
            "text/csv; name=\"stats.csv\""
        ]
    );
    assert_eq!(parts[1].1, message.html.as_bytes());
}

#[tokio::test]
async fn an_unverified_sender_is_not_sent() {
    let mailer = mailer().await;
    let stranger = SesMailer::new(
        mailer.client().clone(),
        format!("{}@unverified.example.org", token()),
    );
    let message = Message {
        to: vec!["housing@example.org".into()],
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        medium: casework::outgoing::Medium::Mail,
        attachments: vec![],
    };
    let err = stranger.send("x", &message).await.unwrap_err();
    // The local endpoint answers MessageRejected: the message itself is refused.
    assert!(matches!(err, MailError::Permanent(_)), "{err}");
    assert!(!err.to_string().contains("unverified.example.org"), "{err}");
}
