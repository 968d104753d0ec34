//! What the remind tests share: the real rulebook, a recording mailer on a
//! simulated clock, and cases built and changed the way intake and the
//! handlers' links do it.

#![allow(dead_code)]

use casestore::{CaseRecord, NewCase, OutgoingMessage, Store};
use casework::Rulebook;
use casework::due::next_due;
use casework::lifecycle::{Actor, Case, Command, apply};
use casework::rules::{CaseTypeId, CategoryId};
use casework::submission::{EmailAddress, Submission};
use casework::tracking::TrackingNumber;
use chrono::{DateTime, TimeZone, Utc};
use mail::{MailError, Mailer};
use std::sync::Mutex;

/// The real rulebook without its text messages: these tests follow mail
/// through a month (texts are office's `text_tests`).
pub fn rules() -> &'static Rulebook {
    static RULES: std::sync::OnceLock<Rulebook> = std::sync::OnceLock::new();
    RULES.get_or_init(|| Rulebook {
        text_messages: None,
        ..casestore::contract::rules().clone()
    })
}

/// A wall-clock time in the office's zone (Beijing, UTC+8).
pub fn local(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, m, d, h, min, 0)
        .single()
        .expect("a valid local time")
        .with_timezone(&Utc)
}

pub fn show(t: DateTime<Utc>) -> String {
    rules().calendar.local(t).format("%m-%d %H:%M").to_string()
}

/// One mail as delivered.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: DateTime<Utc>,
    pub id: String,
    pub message: OutgoingMessage,
}

/// Records every mail with the simulated time; refuses `bounce@` addresses
/// for good, as a mail server would.
#[derive(Default)]
pub struct RecordingMailer {
    pub now: Mutex<Option<DateTime<Utc>>>,
    pub sent: Mutex<Vec<Sent>>,
}

impl RecordingMailer {
    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("clock") = Some(now);
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().expect("sent").clone()
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        if message.to.iter().any(|a| a.starts_with("bounce@")) {
            return Err(MailError::Permanent("550 no such mailbox".into()));
        }
        let at = self.now.lock().expect("clock").expect("the clock is set");
        // A pause, so two runs at the same moment really interleave.
        tokio::task::yield_now().await;
        self.sent.lock().expect("sent").push(Sent {
            at,
            id: id.to_string(),
            message: message.clone(),
        });
        Ok(())
    }
}

/// Stores a new case as intake does (no first mails: they are not what
/// these tests are about), with an e-mail, a phone, both or neither.
pub async fn file<S: Store>(
    store: &S,
    case_type: &str,
    category: &str,
    at: DateTime<Utc>,
    email: Option<&str>,
) -> TrackingNumber {
    let mut submission: Submission = casestore::contract::submission(None);
    submission.case_type = CaseTypeId::new(case_type);
    submission.category = CategoryId::new(category);
    submission.contact.email = email.map(|e| EmailAddress::parse(e).expect("an address"));
    let tracking = casestore::contract::tracking();
    let case = Case::open(
        tracking.clone(),
        CaseTypeId::new(case_type),
        CategoryId::new(category),
        rules(),
        at,
        true,
    )
    .expect("the case opens");
    store
        .create_case(NewCase {
            next_due: next_due(&case, rules()),
            case,
            submission,
            notifications: vec![],
        })
        .await
        .expect("stored");
    tracking
}

/// Applies a command as a handler's link would, retrying a lost race.
pub async fn act<S: Store>(
    store: &S,
    tracking: &TrackingNumber,
    command: Command,
    actor: Actor,
    at: DateTime<Utc>,
) {
    for _ in 0..5 {
        let record: CaseRecord = store.case(tracking).await.expect("read").expect("stored");
        let next = apply(&record.case, command.clone(), actor.clone(), at, rules())
            .unwrap_or_else(|e| panic!("{command:?} on {tracking}: {e}"));
        match store
            .update_case(&next, record.version, next_due(&next, rules()), vec![])
            .await
        {
            Ok(_) => return,
            Err(casestore::StoreError::Conflict) => continue,
            Err(e) => panic!("update: {e}"),
        }
    }
    panic!("could not apply {command:?} to {tracking}");
}

/// What a mail is, for comparing: `reminders`, `overdue`, `failures`,
/// `statistics`, or the notice of a single mail (`follow-up-survey` …).
pub fn kind_of(id: &str) -> String {
    if let Some(rest) = id.strip_prefix("digest-") {
        return rest.split('-').next().unwrap_or_default().to_string();
    }
    if id.starts_with("statistics") {
        return "statistics".into();
    }
    id.split('/').nth(1).unwrap_or(id).to_string()
}

/// A DynamoStore on a fresh table of the local endpoint; a missing
/// endpoint is a failure that says how to fix it, never a skip.
pub async fn fresh_dynamo(label: &str) -> casestore::dynamodb::DynamoStore {
    casestore::testing::fresh_store(&format!("remind-{label}")).await
}
