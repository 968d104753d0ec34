//! Adding a checked file to a case that is already filed: what the
//! processing function does with a file that came through the evidence
//! bucket, and how it records one it refused.
//!
//! [`room_for`] says, before the copy is stored, whether the case can take
//! it (open, under the rulebook's count and total); [`attach_evidence`]
//! adds its description to the case's evidence and trail in one
//! conditional write, retrying on a concurrent change; the same file
//! (same fingerprint) attached twice is attached once, because S3 delivers
//! each event at least once. [`record_refusal`] puts a refusal on the trail
//! with the checker's code only: never the file's name or bytes.
//!
//! Not here: checking the bytes (the `evidence` crate, with
//! `crate::evidence::limits`), where they are kept (the caller), telling the
//! department (the scheduler's `FilesAdded` notice, `casework::due`, mails
//! it every file with signed links once a batch is in).

use casestore::{CaseRecord, Store, StoreError};
use casework::Rulebook;
use casework::evidence::{EvidenceItem, next_number};
use casework::lifecycle::{ActionKind, Actor, Case, Event};
use casework::rules::EvidenceType;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};

/// How many times a write that lost to a concurrent change is tried again.
const ATTEMPTS: usize = 5;

/// A checked copy, described: what the case will hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCopy {
    pub kind: EvidenceType,
    pub bytes: u64,
    pub sha256: String,
}

/// What [`attach_evidence`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    Added(EvidenceItem),
    /// The case already had this file (an event delivered twice, or the same
    /// file sent twice): nothing was written.
    AlreadyThere(EvidenceItem),
}

/// Why a file cannot go on a case. Each has a stable [`AttachError::code`]
/// for the trail and the logs.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("there is no such case")]
    NoCase,
    #[error("the case has ended")]
    Ended,
    #[error("the rulebook takes no files")]
    NotTaken,
    #[error("the case has its {max} files already")]
    TooMany { max: u32 },
    #[error("the case's files would pass the {max} bytes allowed together")]
    TotalTooLarge { max: u64 },
    #[error("the case kept changing while the file was added")]
    Busy,
    #[error(transparent)]
    Store(StoreError),
}

impl AttachError {
    pub fn code(&self) -> &'static str {
        match self {
            AttachError::NoCase => "no_case",
            AttachError::Ended => "case_ended",
            AttachError::NotTaken => "not_taken",
            AttachError::TooMany { .. } => "too_many",
            AttachError::TotalTooLarge { .. } => "total_too_large",
            AttachError::Busy => "busy",
            AttachError::Store(_) => "store",
        }
    }
}

/// Whether `case` can take `copy` now: `Ok(None)` when it can,
/// `Ok(Some(item))` when it has it already.
pub fn room_for(
    rules: &Rulebook,
    case: &Case,
    copy: &CheckedCopy,
) -> Result<Option<EvidenceItem>, AttachError> {
    if let Some(item) = case.evidence.iter().find(|i| i.sha256 == copy.sha256) {
        return Ok(Some(item.clone()));
    }
    if case.state.is_terminal() {
        return Err(AttachError::Ended);
    }
    let evidence = rules.evidence.as_ref().ok_or(AttachError::NotTaken)?;
    if case.evidence.len() as u64 >= u64::from(evidence.max_files) {
        return Err(AttachError::TooMany {
            max: evidence.max_files,
        });
    }
    let total: u64 = case.evidence.iter().map(|i| i.bytes).sum();
    if total.saturating_add(copy.bytes) > evidence.max_total_bytes {
        return Err(AttachError::TotalTooLarge {
            max: evidence.max_total_bytes,
        });
    }
    Ok(None)
}

/// Adds `copy` (already kept under its fingerprint) to case `tracking`.
pub async fn attach_evidence<S: Store>(
    rules: &Rulebook,
    store: &S,
    tracking: &TrackingNumber,
    copy: &CheckedCopy,
    now: DateTime<Utc>,
) -> Result<Attached, AttachError> {
    for _ in 0..ATTEMPTS {
        let record = load(store, tracking).await?;
        if let Some(item) = room_for(rules, &record.case, copy)? {
            return Ok(Attached::AlreadyThere(item));
        }
        let item = EvidenceItem {
            number: next_number(&record.case.evidence),
            kind: copy.kind,
            bytes: copy.bytes,
            sha256: copy.sha256.clone(),
            added_at: now,
        };
        let mut next = record.case.clone();
        next.evidence.push(item.clone());
        next.events
            .push(event(&next, ActionKind::AddEvidence, None, now));
        match write(rules, store, &record, &next).await {
            Ok(()) => return Ok(Attached::Added(item)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(AttachError::Store(e)),
        }
    }
    Err(AttachError::Busy)
}

/// Puts a refused file on case `tracking`'s trail, with the refusal's
/// `code` (`evidence::Refusal::code` or [`AttachError::code`]) as its note.
/// A case that has ended gets no new line.
pub async fn record_refusal<S: Store>(
    rules: &Rulebook,
    store: &S,
    tracking: &TrackingNumber,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), AttachError> {
    for _ in 0..ATTEMPTS {
        let record = load(store, tracking).await?;
        if record.case.state.is_terminal() {
            return Err(AttachError::Ended);
        }
        let mut next = record.case.clone();
        let note = Some(code.to_string());
        next.events
            .push(event(&next, ActionKind::RefuseEvidence, note, now));
        match write(rules, store, &record, &next).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(AttachError::Store(e)),
        }
    }
    Err(AttachError::Busy)
}

async fn load<S: Store>(store: &S, tracking: &TrackingNumber) -> Result<CaseRecord, AttachError> {
    store
        .case(tracking)
        .await
        .map_err(AttachError::Store)?
        .ok_or(AttachError::NoCase)
}

/// The complainant sent it; the state stays as it is.
fn event(case: &Case, action: ActionKind, note: Option<String>, at: DateTime<Utc>) -> Event {
    Event {
        at,
        actor: Actor::Complainant,
        action,
        note,
        from: case.state,
        to: case.state,
    }
}

async fn write<S: Store>(
    rules: &Rulebook,
    store: &S,
    record: &CaseRecord,
    next: &Case,
) -> Result<(), StoreError> {
    let next_due = casework::due::next_due(next, rules);
    store
        .update_case(next, record.version, next_due, Vec::new())
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::Filed;
    use crate::links::Links;
    use casestore::MemoryStore;
    use casestore::contract::{rules, t0};
    use casestore::prelude::*;
    use casework::action_token::ActionSecret;
    use casework::channel::Channel;
    use casework::lifecycle::Command;
    use casework::submission::RawSubmission;

    fn secret() -> ActionSecret {
        ActionSecret::new(*b"attaching tests: secret of 32 b.").expect("32 bytes")
    }

    fn links(secret: &ActionSecret) -> Links<'_> {
        Links {
            public_base_url: "https://12345.example.org/api",
            status_page_url: "/status/",
            action_secret: secret,
        }
    }

    async fn filed(store: &MemoryStore) -> TrackingNumber {
        let raw = RawSubmission {
            case_type: Some("complaint".into()),
            category: Some("housing-property".into()),
            name: Some("张三".into()),
            email: Some("resident@example.org".into()),
            description: Some("楼道的灯坏了两个月，多次报修仍没有人来修理。".into()),
            language: Some("zh".into()),
            ..RawSubmission::default()
        };
        let secret = secret();
        match crate::file_case(rules(), store, &links(&secret), Channel::Web, &raw, t0())
            .await
            .expect("filed")
        {
            Filed::New(opened) => opened.case.tracking,
            Filed::Replayed(t) => t,
        }
    }

    fn copy(n: u8, bytes: u64) -> CheckedCopy {
        CheckedCopy {
            kind: EvidenceType::Jpeg,
            bytes,
            sha256: format!("{n:02x}").repeat(32),
        }
    }

    #[tokio::test]
    async fn a_file_is_added_once_however_often_it_arrives() {
        let store = MemoryStore::new();
        let tracking = filed(&store).await;
        let first = attach_evidence(rules(), &store, &tracking, &copy(1, 1000), t0())
            .await
            .expect("added");
        let Attached::Added(item) = first else {
            panic!("not added: {first:?}")
        };
        assert_eq!(item.number, 1);
        let again = attach_evidence(rules(), &store, &tracking, &copy(1, 1000), t0())
            .await
            .expect("idempotent");
        assert_eq!(again, Attached::AlreadyThere(item.clone()));
        let second = attach_evidence(rules(), &store, &tracking, &copy(2, 1000), t0())
            .await
            .expect("added");
        assert!(
            matches!(second, Attached::Added(ref i) if i.number == 2),
            "{second:?}"
        );
        let case = store.case(&tracking).await.unwrap().unwrap().case;
        assert_eq!(case.evidence.len(), 2);
        let adds = case
            .events
            .iter()
            .filter(|e| e.action == ActionKind::AddEvidence)
            .count();
        assert_eq!(adds, 2, "one trail line per file added");
    }

    #[tokio::test]
    async fn the_rulebooks_count_and_total_hold_for_files_added_later() {
        let limits = rules()
            .evidence
            .clone()
            .expect("the sample rulebook takes files");
        let store = MemoryStore::new();
        let tracking = filed(&store).await;
        let too_big = copy(9, limits.max_total_bytes + 1);
        assert!(matches!(
            attach_evidence(rules(), &store, &tracking, &too_big, t0()).await,
            Err(AttachError::TotalTooLarge { .. })
        ));
        for n in 0..limits.max_files {
            attach_evidence(rules(), &store, &tracking, &copy(n as u8 + 1, 10), t0())
                .await
                .expect("within the count");
        }
        let one_more = attach_evidence(rules(), &store, &tracking, &copy(200, 10), t0()).await;
        assert!(
            matches!(one_more, Err(AttachError::TooMany { max }) if max == limits.max_files),
            "{one_more:?}"
        );
        let case = store.case(&tracking).await.unwrap().unwrap().case;
        assert_eq!(case.evidence.len() as u32, limits.max_files);
    }

    #[tokio::test]
    async fn an_ended_case_takes_no_file_and_a_refusal_names_no_file() {
        let store = MemoryStore::new();
        let tracking = filed(&store).await;
        record_refusal(rules(), &store, &tracking, "wrong_type", t0())
            .await
            .expect("recorded");
        let record = store.case(&tracking).await.unwrap().unwrap();
        let last = record.case.events.last().expect("an event");
        assert_eq!(last.action, ActionKind::RefuseEvidence);
        assert_eq!(last.note.as_deref(), Some("wrong_type"));
        assert_eq!(last.from, last.to);
        assert!(record.case.evidence.is_empty());

        let secret = secret();
        let department = Actor::Department(record.case.department.clone());
        for command in [
            Command::Accept,
            Command::Reply {
                text: "已维修。".into(),
            },
            Command::Close {
                outcome: "已修好".into(),
            },
        ] {
            let current = store.case(&tracking).await.unwrap().unwrap();
            crate::act(
                rules(),
                &store,
                &links(&secret),
                &current,
                current.version,
                command,
                department.clone(),
                t0(),
            )
            .await
            .expect("acted");
        }
        assert!(matches!(
            attach_evidence(rules(), &store, &tracking, &copy(3, 10), t0()).await,
            Err(AttachError::Ended)
        ));
        assert!(matches!(
            record_refusal(rules(), &store, &tracking, "damaged", t0()).await,
            Err(AttachError::Ended)
        ));
        let missing = TrackingNumber::generate("SL", t0().date_naive(), &mut rand::rng());
        assert!(matches!(
            attach_evidence(rules(), &store, &missing, &copy(3, 10), t0()).await,
            Err(AttachError::NoCase)
        ));
    }
}
