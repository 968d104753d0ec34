//! The SMTP mailer against a real SMTP sink (started by `tests/run`).
#![cfg(feature = "smtp")]

use casework::outgoing::Message;
use mail::eml::read;
use mail::{MailError, Mailer, SmtpMailer, Tls};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FIX: &str = "run tests/run, or start a sink yourself: \
pip install aiosmtpd && python3 -m aiosmtpd -n -l 127.0.0.1:8025 -c aiosmtpd.handlers.Mailbox /tmp/hotline-smtp & \
export HOTLINE_TEST_SMTP=127.0.0.1:8025 HOTLINE_TEST_SMTP_DIR=/tmp/hotline-smtp";

/// The sink's address and folder; a missing sink fails the test, loudly.
fn sink() -> (String, u16, PathBuf) {
    let addr = std::env::var("HOTLINE_TEST_SMTP")
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP is not set. Fix: {FIX}"));
    let dir = std::env::var("HOTLINE_TEST_SMTP_DIR")
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP_DIR is not set. Fix: {FIX}"));
    let (host, port) = addr
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("HOTLINE_TEST_SMTP must be host:port, not {addr:?}"));
    let port = port
        .parse()
        .unwrap_or_else(|_| panic!("HOTLINE_TEST_SMTP has a bad port: {addr:?}"));
    (host.to_string(), port, PathBuf::from(dir))
}

fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("t{}x{nanos}", std::process::id())
}

/// Waits for the sink to store a message containing `needle`.
async fn find_in_sink(dir: &Path, needle: &str) -> String {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir.join("new")) {
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path())
                    && text.contains(needle)
                {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no message with {needle} arrived in {}/new. Is the sink writing there? Fix: {FIX}",
        dir.display()
    );
}

#[tokio::test]
async fn a_message_arrives_with_its_subject_and_both_parts() {
    let (host, port, dir) = sink();
    let mailer = SmtpMailer::new(
        &host,
        port,
        Tls::None,
        None,
        "热线中心 <noreply@example.org>",
    )
    .unwrap();
    let token = token();
    let message = Message {
        to: vec!["housing@example.org".into(), "duty@example.org".into()],
        subject: format!("[SL-2611-K7Q-X9M-3DZ] 新案件 / New case · 投诉 {token}"),
        text: format!("受理编号：SL-2611-K7Q-X9M-3DZ\n{token}"),
        html: format!("<p>受理编号：SL-2611-K7Q-X9M-3DZ</p><p>{token}</p>"),
        medium: casework::outgoing::Medium::Mail,
        attachments: vec![],
    };
    mailer
        .send(&format!("SL-2611-K7Q-X9M-3DZ/new-case/{token}"), &message)
        .await
        .unwrap();
    let raw = find_in_sink(&dir, &token).await;
    assert_eq!(
        read::header(&raw, "Subject").as_deref(),
        Some(message.subject.as_str())
    );
    let parts = read::parts(&raw);
    let text = parts
        .iter()
        .find(|(kind, _)| kind.starts_with("text/plain"))
        .map(|(_, body)| String::from_utf8_lossy(body).replace("\r\n", "\n"))
        .expect("a text part");
    let html = parts
        .iter()
        .find(|(kind, _)| kind.starts_with("text/html"))
        .map(|(_, body)| String::from_utf8_lossy(body).into_owned())
        .expect("an HTML part");
    assert_eq!(text, message.text);
    assert_eq!(html, message.html);
}

#[tokio::test]
async fn nobody_listening_is_temporary() {
    // A port that was free a moment ago: nothing answers there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mailer =
        SmtpMailer::new("127.0.0.1", port, Tls::None, None, "noreply@example.org").unwrap();
    let message = Message {
        to: vec!["a@example.org".into()],
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        medium: casework::outgoing::Medium::Mail,
        attachments: vec![],
    };
    let err = mailer.send("x", &message).await.unwrap_err();
    assert!(matches!(err, MailError::Temporary(_)), "{err}");
}

#[tokio::test]
async fn a_bad_recipient_is_permanent_and_not_echoed() {
    let mailer = SmtpMailer::new("127.0.0.1", 1, Tls::None, None, "noreply@example.org").unwrap();
    let message = Message {
        to: vec!["王小明 not an address".into()],
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        medium: casework::outgoing::Medium::Mail,
        attachments: vec![],
    };
    let err = mailer.send("x", &message).await.unwrap_err();
    assert!(matches!(err, MailError::Permanent(_)), "{err}");
    assert!(!err.to_string().contains("王小明"));
    assert!(SmtpMailer::new("h", 25, Tls::None, None, "not an address").is_err());
}
