//! Text messages against the memory store: queued with the case change
//! that causes them, once; sent once through the texter, within the
//! rulebook's sending hours only; retried with the mail's back-off.

use crate::delivery::backoff;
use crate::filing::Filed;
use crate::links::Links;
use casestore::contract::{rules, t0};
use casestore::prelude::*;
use casestore::{MemoryStore, Notification, NotificationStatus, OutgoingMessage};
use casework::action_token::ActionSecret;
use casework::channel::Channel;
use casework::lifecycle::{Actor, Command};
use casework::outgoing::Medium;
use casework::receipt::ReceiptCode;
use casework::submission::RawSubmission;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use mail::{MailError, Mailer, Post, TextError, Texter};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

fn secret() -> ActionSecret {
    ActionSecret::new(*b"office tests: a secret of 32 b..").expect("32 bytes")
}

fn links(secret: &ActionSecret) -> Links<'_> {
    Links {
        public_base_url: "https://12345.example.org/api",
        status_page_url: "/status/",
        action_secret: secret,
    }
}

#[derive(Default)]
struct Mails(Mutex<Vec<String>>);

impl Mailer for Mails {
    async fn send(&self, id: &str, _message: &OutgoingMessage) -> Result<(), MailError> {
        self.0.lock().unwrap().push(id.to_string());
        Ok(())
    }
}

/// Records what it sends; fails when told to (1 temporary, 2 permanent).
#[derive(Default)]
struct Texts {
    sent: Mutex<Vec<(String, OutgoingMessage)>>,
    fail: AtomicU8,
}

impl Texter for Texts {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), TextError> {
        match self.fail.load(Ordering::SeqCst) {
            1 => Err(TextError::Temporary("throttled".into())),
            2 => Err(TextError::Permanent("opted out".into())),
            _ => {
                // Slow enough that two racing senders overlap.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                self.sent
                    .lock()
                    .unwrap()
                    .push((id.to_string(), message.clone()));
                Ok(())
            }
        }
    }
}

fn post() -> Post<Mails, Texts> {
    Post::new(Mails::default(), Texts::default())
}

/// A complaint that left only a phone number.
fn phone_only(phone: &str) -> RawSubmission {
    RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("housing-property".into()),
        name: Some("李四".into()),
        phone: Some(phone.into()),
        description: Some("楼道的灯坏了两个月，多次报修仍没有人来修理。".into()),
        language: Some("zh".into()),
        ..RawSubmission::default()
    }
}

/// On the sample rulebook's clock (Asia/Shanghai, UTC+8).
fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - TimeDelta::hours(8)
}

async fn file(store: &MemoryStore, secret: &ActionSecret, phone: &str, at: DateTime<Utc>) -> Filed {
    crate::file_case(
        rules(),
        store,
        &links(secret),
        Channel::Phone,
        &phone_only(phone),
        at,
    )
    .await
    .expect("filed")
}

fn texts_in(store: &MemoryStore) -> Vec<Notification> {
    store
        .notifications()
        .unwrap()
        .into_iter()
        .filter(|n| n.message.medium == Medium::Text)
        .collect()
}

#[tokio::test]
async fn a_mobile_number_gets_the_text_receipt_once_without_the_receipt_code() {
    let store = MemoryStore::new();
    let secret = secret();
    let filed = file(&store, &secret, "138 0013 8000", t0()).await;
    let Filed::New(new) = &filed else {
        panic!("a new case: {filed:?}")
    };
    let t = &new.case.tracking;
    let ids: Vec<&str> = new.notifications.iter().map(|n| n.id.as_str()).collect();
    // No e-mail: the department's mail and the text, nothing else.
    assert_eq!(ids, [format!("{t}/new-case"), format!("{t}/text-ack")]);
    let text = &new.notifications[1].message;
    assert_eq!(text.medium, Medium::Text);
    assert_eq!(text.to, ["+8613800138000"]);
    assert!(text.text.starts_with("【示例市12345】"), "{}", text.text);
    assert!(text.text.contains(t.as_str()));
    assert!(
        casework::texts::segments(&text.text).count == 1,
        "{}",
        text.text
    );
    let code = ReceiptCode::for_case(&secret, t);
    assert!(!text.text.contains(code.as_str()), "never the receipt code");
    assert!(!text.subject.contains(code.as_str()));
    assert_eq!(texts_in(&store).len(), 1);

    // Sent once, through the texter, even by two deliveries at once.
    let post = post();
    let pending = store.notifications().unwrap();
    let (a, b) = tokio::join!(
        crate::deliver(rules(), &store, &post, pending.clone(), t0()),
        crate::deliver(rules(), &store, &post, pending.clone(), t0()),
    );
    assert_eq!(a.entries_sent + b.entries_sent, 2, "{a:?} {b:?}");
    let sent = post.texter.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, format!("{t}/text-ack"));
    assert_eq!(*post.mailer.0.lock().unwrap(), [format!("{t}/new-case")]);
    let again = crate::deliver(rules(), &store, &post, pending, t0() + TimeDelta::days(1)).await;
    assert_eq!(again.entries_sent, 0);
    assert!(
        texts_in(&store)
            .iter()
            .all(|n| n.status == NotificationStatus::Sent)
    );
}

#[tokio::test]
async fn a_landline_or_a_number_abroad_gets_no_text() {
    let store = MemoryStore::new();
    let secret = secret();
    for phone in ["010-6512-3456", "12345", "+44 20 7946 0958"] {
        file(&store, &secret, phone, t0()).await;
    }
    assert!(texts_in(&store).is_empty());
    assert_eq!(
        store.notifications().unwrap().len(),
        3,
        "the departments' mails"
    );
}

#[tokio::test]
async fn a_text_due_at_night_waits_for_the_morning_without_an_attempt() {
    let store = MemoryStore::new();
    let secret = secret();
    // Friday 13 March 2026, 22:30 in Shanghai; texts open at 08:00.
    let night = local(2026, 3, 13, 22, 30);
    let morning = local(2026, 3, 14, 8, 0);
    file(&store, &secret, "13800138000", night).await;
    let post = post();
    let tally = crate::deliver(
        rules(),
        &store,
        &post,
        store.notifications().unwrap(),
        night,
    )
    .await;
    assert_eq!((tally.deferred, tally.entries_sent), (1, 1), "{tally:?}");
    assert!(post.texter.sent.lock().unwrap().is_empty());
    let [text] = texts_in(&store).try_into().expect("one text");
    assert_eq!(text.status, NotificationStatus::Pending);
    assert_eq!(text.attempts, 0, "deferring is not an attempt");
    assert_eq!(text.next_attempt_at, morning);
    // Not due in the small hours: the outbox does not even list it.
    let at_three = local(2026, 3, 14, 3, 0);
    let due = store.pending_notifications(at_three, 10).await.unwrap();
    assert!(due.iter().all(|n| n.id != text.id));
    // A pass in the small hours handed it anyway claims nothing.
    let early = crate::deliver(rules(), &store, &post, vec![text.clone()], at_three).await;
    assert_eq!(early.deferred, 0, "not due, so not claimed: {early:?}");
    // In the morning (a Saturday: texts go out every day) it is sent.
    let due = store.pending_notifications(morning, 10).await.unwrap();
    let tally = crate::deliver(rules(), &store, &post, due, morning).await;
    assert_eq!(tally.entries_sent, 1, "{tally:?}");
    assert_eq!(post.texter.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_text_waits_for_the_backoff_and_a_refused_one_is_reported() {
    let store = MemoryStore::new();
    let secret = secret();
    file(&store, &secret, "13800138000", t0()).await;
    let post = post();
    post.texter.fail.store(1, Ordering::SeqCst);
    let texts = texts_in(&store);
    let tally = crate::deliver(rules(), &store, &post, texts.clone(), t0()).await;
    assert_eq!(tally.send_failures, 1);
    let [text] = texts_in(&store).try_into().expect("one text");
    assert_eq!(text.attempts, 1);
    assert_eq!(text.next_attempt_at, t0() + backoff(1));
    let error = text.last_error.clone().unwrap_or_default();
    assert!(!error.contains("13800138000"), "{error}");

    // Refused for good: given up, and the office's failure summary says so
    // without the number or the text.
    post.texter.fail.store(2, Ordering::SeqCst);
    let later = t0() + backoff(1);
    let tally = crate::deliver(rules(), &store, &post, texts_in(&store), later).await;
    assert_eq!((tally.given_up, tally.queued), (1, 1), "{tally:?}");
    let outbox = store.notifications().unwrap();
    let summary = outbox
        .iter()
        .find(|n| n.id.contains("/digest-failures/"))
        .expect("a failure summary entry");
    assert_eq!(summary.message.medium, Medium::Mail);
    assert!(!summary.message.text.contains("13800138000"));
    assert!(!summary.message.text.contains("8613800138000"));
    assert!(!summary.message.text.contains(&text.message.text));
}

#[tokio::test]
async fn a_question_and_the_closure_each_send_one_text() {
    let store = MemoryStore::new();
    let secret = secret();
    let filed = file(&store, &secret, "13800138000", t0()).await;
    let t = filed.tracking().clone();
    let department =
        |record: &casestore::CaseRecord| Actor::Department(record.case.department.clone());
    let mut record = store.case(&t).await.unwrap().unwrap();
    let steps = [
        Command::Accept,
        Command::Ask {
            question: "请问是几号楼？".into(),
        },
        Command::Reply {
            text: "已派人维修。".into(),
        },
        Command::Close {
            outcome: "路灯已修好。".into(),
        },
    ];
    let mut at = t0();
    for command in steps {
        at += TimeDelta::hours(1);
        crate::act(
            rules(),
            &store,
            &links(&secret),
            &record,
            record.version,
            command,
            department(&record),
            at,
        )
        .await
        .expect("acted");
        record = store.case(&t).await.unwrap().unwrap();
    }
    let mut kinds: Vec<String> = texts_in(&store)
        .iter()
        .map(|n| {
            let suffix = n.id.split('/').nth(1).unwrap_or_default();
            suffix.to_string()
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["text-ack", "text-asked", "text-closed", "text-reply"]
    );
    for n in texts_in(&store) {
        // Neither the question nor the answer is in a text.
        assert!(!n.message.text.contains("几号楼"), "{}", n.message.text);
        assert!(!n.message.text.contains("维修"), "{}", n.message.text);
        assert_eq!(casework::texts::segments(&n.message.text).count, 1);
    }
}
