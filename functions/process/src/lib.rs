//! The processing step of the production upload path: a file a browser
//! sent into the evidence bucket's quarantine (with an upload grant from
//! `office::upload_grant`) is checked, and either its checked copy goes to
//! `evidence/<sha256>` and onto its case, or the refusal goes onto the
//! case's trail. Either way the quarantine object is deleted.
//!
//! [`process`] does it for one key, over a [`Store`] and an [`Objects`]
//! (get, put, delete), so it is tested on the memory store and a memory
//! bucket; [`s3::S3Objects`] is the bucket itself. The Lambda binary
//! (`src/main.rs`) only reads S3 events and calls [`process`] per key.
//!
//! Safe to run twice on the same event (S3 delivers each at least once):
//! a second run finds the object gone, or the same fingerprint already on
//! the case, and attaches nothing. Not here: what a file is (the
//! `evidence` crate), the rulebook's limits (`office::evidence::limits`,
//! `office::attaching`), who may download it (intake's signed links).

pub mod s3;

use casestore::Store;
use casestore::evidence::fingerprint;
use casework::Rulebook;
use casework::rules::EvidenceType;
use chrono::{DateTime, Utc};
use office::attaching::{
    AttachError, Attached, CheckedCopy, attach_evidence, record_refusal, room_for,
};
use office::upload_grant::{evidence_key, parse_quarantine_key};
use std::future::Future;

/// An object read from the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Bytes(Vec<u8>),
    /// Larger than asked for: not read.
    TooLarge(u64),
    /// Not there (already processed, or expired).
    Missing,
}

#[derive(Debug, thiserror::Error)]
#[error("evidence bucket: {0}")]
pub struct ObjectError(pub String);

/// The bucket, as the processor uses it.
pub trait Objects: Send + Sync {
    /// The object at `key`, if it has at most `max_bytes`.
    fn get(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, ObjectError>> + Send;
    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> impl Future<Output = Result<(), ObjectError>> + Send;
    /// Deleting what is not there is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), ObjectError>> + Send;
}

/// What became of one quarantine object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Checked and attached (or attached before: an event seen twice).
    Attached(Attached),
    /// Refused, with the code put on the case's trail.
    Refused { code: &'static str },
    /// Deleted unread: a key no grant makes, or a case that is gone or
    /// ended, or a rulebook that takes no files.
    Discarded { why: &'static str },
    /// Nothing there any more: processed already.
    Gone,
}

/// Why processing stopped; the object stays for a retry.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Objects(#[from] ObjectError),
    #[error("case store: {0}")]
    Store(String),
}

/// Processes the quarantine object at `key`.
pub async fn process<S: Store, O: Objects>(
    rules: &Rulebook,
    store: &S,
    objects: &O,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, ProcessError> {
    let Some((tracking, _grant)) = parse_quarantine_key(key) else {
        // Only intake's grants write here; anything else is not read.
        objects.delete(key).await?;
        return Ok(Outcome::Discarded { why: "key" });
    };
    let Some(evidence_rules) = rules.evidence.as_ref() else {
        objects.delete(key).await?;
        return Ok(Outcome::Discarded { why: "not_taken" });
    };
    let record = match store.case(&tracking).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            objects.delete(key).await?;
            return Ok(Outcome::Discarded { why: "no_case" });
        }
        Err(e) => return Err(ProcessError::Store(e.kind().to_string())),
    };
    if record.case.state.is_terminal() {
        objects.delete(key).await?;
        return Ok(Outcome::Discarded { why: "case_ended" });
    }
    let limits = office::evidence::limits(evidence_rules);
    let bytes = match objects.get(key, limits.max_bytes).await? {
        Fetched::Missing => return Ok(Outcome::Gone),
        Fetched::TooLarge(_) => {
            return refuse(rules, store, objects, key, &tracking, "too_large", now).await;
        }
        Fetched::Bytes(bytes) => bytes,
    };
    let checked = match evidence::check(&bytes, &limits) {
        Ok(checked) => checked,
        Err(refusal) => {
            return refuse(rules, store, objects, key, &tracking, refusal.code(), now).await;
        }
    };
    let kind = checked.kind;
    let withheld = rules
        .case_type(record.case.case_type.as_str())
        .is_none_or(|t| t.identity_withheld);
    // As for files filed with the form: a withheld sender's PDF loses its
    // document information, which can name them.
    let stored = if withheld && kind == evidence::Kind::Pdf {
        match evidence::pdf_without_document_info(&checked.bytes) {
            Ok(bytes) => bytes,
            Err(refusal) => {
                return refuse(rules, store, objects, key, &tracking, refusal.code(), now).await;
            }
        }
    } else {
        checked.bytes
    };
    let Some(evidence_type) = EvidenceType::from_id(kind.code()) else {
        return refuse(rules, store, objects, key, &tracking, "wrong_type", now).await;
    };
    let copy = CheckedCopy {
        kind: evidence_type,
        bytes: stored.len() as u64,
        sha256: fingerprint(&stored),
    };
    // Asked before the copy is kept, so a file the case cannot take is
    // not kept either.
    match room_for(rules, &record.case, &copy) {
        Ok(Some(item)) => {
            objects.delete(key).await?;
            return Ok(Outcome::Attached(Attached::AlreadyThere(item)));
        }
        Ok(None) => {}
        Err(e) => return refuse(rules, store, objects, key, &tracking, e.code(), now).await,
    }
    // The copy is kept before the case points at it.
    objects
        .put(&evidence_key(&copy.sha256), stored, kind.content_type())
        .await?;
    let attached = match attach_evidence(rules, store, &tracking, &copy, now).await {
        Ok(attached) => attached,
        Err(AttachError::Store(e)) => return Err(ProcessError::Store(e.kind().to_string())),
        Err(AttachError::Busy) => return Err(ProcessError::Store("busy".into())),
        // Filled up or ended meanwhile.
        Err(e) => return refuse(rules, store, objects, key, &tracking, e.code(), now).await,
    };
    objects.delete(key).await?;
    Ok(Outcome::Attached(attached))
}

/// Puts the refusal on the trail (a case that ended meanwhile gets none),
/// then deletes the object.
async fn refuse<S: Store, O: Objects>(
    rules: &Rulebook,
    store: &S,
    objects: &O,
    key: &str,
    tracking: &casework::tracking::TrackingNumber,
    code: &'static str,
    now: DateTime<Utc>,
) -> Result<Outcome, ProcessError> {
    match record_refusal(rules, store, tracking, code, now).await {
        Ok(()) | Err(AttachError::Ended) | Err(AttachError::NoCase) => {}
        Err(AttachError::Store(e)) => return Err(ProcessError::Store(e.kind().to_string())),
        Err(e) => return Err(ProcessError::Store(e.code().to_string())),
    }
    objects.delete(key).await?;
    Ok(Outcome::Refused { code })
}

/// A bucket in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryObjects {
    objects: std::sync::Mutex<std::collections::BTreeMap<String, (Vec<u8>, String)>>,
}

impl MemoryObjects {
    pub fn insert(&self, key: &str, bytes: Vec<u8>) {
        self.lock().insert(key.to_string(), (bytes, String::new()));
    }

    /// Every key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// An object's bytes and content type.
    pub fn object(&self, key: &str) -> Option<(Vec<u8>, String)> {
        self.lock().get(key).cloned()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, (Vec<u8>, String)>> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Objects for MemoryObjects {
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Fetched, ObjectError> {
        Ok(match self.lock().get(key) {
            None => Fetched::Missing,
            Some((bytes, _)) if bytes.len() as u64 > max_bytes => {
                Fetched::TooLarge(bytes.len() as u64)
            }
            Some((bytes, _)) => Fetched::Bytes(bytes.clone()),
        })
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), ObjectError> {
        self.lock()
            .insert(key.to_string(), (bytes, content_type.to_string()));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        self.lock().remove(key);
        Ok(())
    }
}

/// The keys of an S3 event notification (`Records[].s3.object.key`, which
/// S3 sends form-encoded) in `bucket`; records of other buckets or events
/// are left out.
pub fn event_keys(event: &serde_json::Value, bucket: &str) -> Vec<String> {
    let Some(records) = event.get("Records").and_then(|r| r.as_array()) else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|r| {
            r.get("eventName")
                .and_then(|n| n.as_str())
                .is_some_and(|n| n.starts_with("ObjectCreated:"))
        })
        .filter(|r| r.pointer("/s3/bucket/name").and_then(|n| n.as_str()) == Some(bucket))
        .filter_map(|r| r.pointer("/s3/object/key").and_then(|k| k.as_str()))
        .map(form_decode)
        .collect()
}

/// `+` as a space and `%XX` as its byte; a broken escape stays as written.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
