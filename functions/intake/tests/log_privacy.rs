//! What a complainant typed (name, phone, e-mail, description) and their
//! address never reach the log, whatever happens to the request.
//!
//! A test binary of its own: `tracing` caches per call site whether anyone
//! listens, and a thread-local subscriber set up while other tests run in
//! the same process can miss call sites they registered first.

mod support;

use http::StatusCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use support::*;

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
