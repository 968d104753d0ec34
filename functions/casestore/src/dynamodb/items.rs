//! Items and values: how a case, an idempotency key and a notification are
//! written as DynamoDB items and read back. No requests are made here.
//!
//! Single-table design; every item has string keys `pk` and `sk`:
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | case | `CASE#<tracking>` | `CASE` | `case_json`, `submission_json`, `version` (N), `received_at`, `case_shard` = `CASE`; `due_shard` = `DUE` and `due_at` only while something is due; `expires_at` (N, epoch seconds) once closed, when a retention is set |
//! | idempotency key | `IDEM#<key>` | `IDEM` | `tracking` |
//! | notification | `NOTE#<id>` | `NOTE` | `tracking`, `status`, `attempts` (N), `next_attempt_at`, `last_error`, `message_json`; `outbox` = `PENDING` only while pending; `expires_at` (N) once sent or given up, when a retention is set |
//! | rate counter | `RATE#<key hash>#<window start>` | `RATE` | `count` (N), `expires_at` (N) |
//! | once-only job | `JOB#<key>` | `JOB` | `done` (BOOL), `lease_until` |
//!
//! The index attributes (`due_shard`/`due_at`, `outbox`/`next_attempt_at`,
//! `case_shard`/`received_at`) and the TTL attribute are named in
//! `schema.rs`. Times in keys are fixed-width UTC strings (nanoseconds,
//! `Z`), so string order is time order.

use super::schema::{DUE, OUTBOX, PARTITION_KEY, RECEIVED, SORT_KEY, TTL_ATTRIBUTE};
use crate::stored::{
    from_json, parse_time_key, submission_from_json, submission_to_json, time_key, to_json,
};
use crate::{CaseRecord, NewCase, Notification, NotificationStatus, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use casework::tracking::TrackingNumber;
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str, what: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!("{what}: missing {name}"))),
    }
}

pub(super) fn get_n<T: std::str::FromStr>(
    item: &Item,
    name: &str,
    what: &str,
) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad {name}"))),
        _ => Err(StoreError::Corrupt(format!("{what}: missing {name}"))),
    }
}

pub(super) fn case_key(tracking: &TrackingNumber) -> Item {
    key(format!("CASE#{tracking}"), "CASE")
}

pub(super) fn note_key(id: &str) -> Item {
    key(format!("NOTE#{id}"), "NOTE")
}

pub(super) fn status_text(st: NotificationStatus) -> &'static str {
    match st {
        NotificationStatus::Pending => "pending",
        NotificationStatus::Sent => "sent",
        NotificationStatus::Failed => "failed",
    }
}

pub(super) fn note_item(note: &Notification) -> Result<Item, StoreError> {
    let mut item = note_key(&note.id);
    item.insert("tracking".into(), s(note.tracking.as_str()));
    item.insert("status".into(), s(status_text(note.status)));
    item.insert("attempts".into(), n(note.attempts));
    item.insert(OUTBOX.range.into(), s(time_key(note.next_attempt_at)));
    item.insert(
        "message_json".into(),
        s(to_json(
            &note.message,
            &format!("notification {}", note.id),
        )?),
    );
    if let Some(err) = &note.last_error {
        item.insert("last_error".into(), s(err.clone()));
    }
    if note.status == NotificationStatus::Pending {
        item.insert(OUTBOX.hash.into(), s(OUTBOX.shard));
    }
    Ok(item)
}

pub(super) fn note_from(item: &Item) -> Result<Notification, StoreError> {
    let pk = get_s(item, PARTITION_KEY, "a notification")?;
    let id = pk.strip_prefix("NOTE#").unwrap_or(pk).to_string();
    let what = format!("notification {id}");
    let status = match get_s(item, "status", &what)? {
        "pending" => NotificationStatus::Pending,
        "sent" => NotificationStatus::Sent,
        "failed" => NotificationStatus::Failed,
        _ => return Err(StoreError::Corrupt(format!("{what}: unknown status"))),
    };
    Ok(Notification {
        tracking: TrackingNumber::parse(get_s(item, "tracking", &what)?)
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad tracking number")))?,
        message: from_json(get_s(item, "message_json", &what)?, &what)?,
        status,
        attempts: get_n(item, "attempts", &what)?,
        next_attempt_at: parse_time_key(get_s(item, OUTBOX.range, &what)?, &what)?,
        last_error: match item.get("last_error") {
            Some(AttributeValue::S(e)) => Some(e.clone()),
            _ => None,
        },
        id,
    })
}

pub(super) fn case_from(item: &Item) -> Result<CaseRecord, StoreError> {
    let pk = get_s(item, PARTITION_KEY, "a case")?;
    let tracking = pk.strip_prefix("CASE#").unwrap_or(pk);
    let what = format!("case {tracking}");
    Ok(CaseRecord {
        case: from_json(get_s(item, "case_json", &what)?, &what)?,
        submission: submission_from_json(get_s(item, "submission_json", &what)?, tracking)?,
        version: get_n(item, "version", &what)?,
    })
}

/// An item's key: `pk`, `sk`.
pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PARTITION_KEY.into(), s(pk)), (SORT_KEY.into(), s(sk))])
}

/// The key of an idempotency key's item.
pub(super) fn idem_key(key: &str) -> Item {
    self::key(format!("IDEM#{key}"), "IDEM")
}

/// An idempotency key's item: the replay key (`Submission::replay_key`),
/// the case it first opened, and when DynamoDB may delete it (epoch
/// seconds, `IDEMPOTENCY_TTL` after the case was received).
pub(super) fn idem_item(key: &str, tracking: &TrackingNumber, expires_at: i64) -> Item {
    let mut item = idem_key(key);
    item.insert("tracking".into(), s(tracking.as_str()));
    item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
    item
}

/// The case item of a new case, at version 1; `expires_at` is the
/// retention's expiry (epoch seconds), when one applies.
pub(super) fn case_item(new: &NewCase, expires_at: Option<i64>) -> Result<Item, StoreError> {
    let t = &new.case.tracking;
    let mut item = case_key(t);
    item.insert(
        "case_json".into(),
        s(to_json(&new.case, &format!("case {t}"))?),
    );
    item.insert(
        "submission_json".into(),
        s(submission_to_json(&new.submission)?),
    );
    item.insert("version".into(), n(1));
    item.insert(RECEIVED.range.into(), s(time_key(new.case.received_at)));
    item.insert(RECEIVED.hash.into(), s(RECEIVED.shard));
    if let Some(due) = new.next_due {
        item.insert(DUE.hash.into(), s(DUE.shard));
        item.insert(DUE.range.into(), s(time_key(due)));
    }
    if let Some(exp) = expires_at {
        item.insert(TTL_ATTRIBUTE.into(), n(exp));
    }
    Ok(item)
}
