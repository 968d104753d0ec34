//! Where cases are kept, behind one small trait.
//!
//! The [`Store`] trait is what the intake and remind functions and the
//! `hotline` CLI talk to; adapters implement it for DynamoDB (production)
//! and SQLite (`hotline serve`, small self-hosted sites). Both adapters pass
//! the same contract suite. Nothing here decides anything about a case: the
//! rules live in `casework`; a store only keeps what it is given, atomically.
//!
//! What a store guarantees:
//! - [`Store::create_case`] writes the case, its idempotency key and its
//!   first notifications all together or not at all; a second call with the
//!   same key creates nothing and returns the first case's tracking number.
//! - Every change to a case is a conditional write on its version, so two
//!   writers never overwrite each other ([`StoreError::Conflict`]).
//! - Each notification changes state by a conditional write, so it is sent
//!   at most once even when two senders run at the same moment.
//! - [`Store::due_cases`] reads only cases with something due (a sparse
//!   index on the next due time), never the whole table.
//!
//! Adapters: [`memory::MemoryStore`] (always built; for tests),
//! `sqlite::SqliteStore` (feature `sqlite`) and `dynamodb::DynamoStore`
//! (feature `dynamodb`). The feature `contract` adds the shared test suite
//! that every adapter must pass.

use casework::lifecycle::Case;
use casework::submission::Submission;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

#[cfg(feature = "contract")]
#[doc(hidden)]
pub mod contract;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
mod stored;

pub use memory::MemoryStore;

/// A case as stored: its public lifecycle, what the complainant sent
/// (private: never on a public page or in a log), and a version for
/// conditional writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub case: Case,
    pub submission: Submission,
    /// Starts at 1; each successful update adds 1.
    pub version: u64,
}

/// A rendered mail waiting in the outbox, or already sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique and stable, e.g. `SL-2611-K7Q-X9M-3DZ/new-case/housing`: the
    /// same notification is never queued twice.
    pub id: String,
    pub tracking: TrackingNumber,
    pub message: OutgoingMessage,
    pub status: NotificationStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When the next attempt may be made (pending only).
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

impl Notification {
    /// A rendered mail queued for case `tracking` under the id
    /// `{tracking}/{suffix}`, due at once: what every producer of mail
    /// queues, so the outbox id always starts with the case's number.
    pub fn pending(
        tracking: &TrackingNumber,
        suffix: &str,
        message: OutgoingMessage,
        now: DateTime<Utc>,
    ) -> Notification {
        Notification {
            id: format!("{tracking}/{suffix}"),
            tracking: tracking.clone(),
            message,
            status: NotificationStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Pending,
    Sent,
    /// Given up after too many attempts; the office is told in the failure summary.
    Failed,
}

/// The outbox keeps the core's one mail type as it is; these names stay
/// for the adapters and tests written against them.
pub use casework::outgoing::{Attachment, Message as OutgoingMessage};

/// What `create_case` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new case was stored.
    New(TrackingNumber),
    /// The idempotency key was seen before: nothing was stored, this is the
    /// earlier case's number.
    Replayed(TrackingNumber),
}

impl Created {
    pub fn tracking(&self) -> &TrackingNumber {
        match self {
            Created::New(t) | Created::Replayed(t) => t,
        }
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        at: DateTime<Utc>,
    },
    /// Try again at `retry_at`; `give_up` marks it failed instead.
    Failed {
        at: DateTime<Utc>,
        error: String,
        retry_at: DateTime<Utc>,
        give_up: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the case first; read it again and retry.
    #[error("the case was changed by someone else; read it again")]
    Conflict,
    /// The tracking number is already taken (astronomically rare; generate another).
    #[error("tracking number {0} is already taken")]
    TrackingTaken(TrackingNumber),
    #[error("no case {0}")]
    NotFound(TrackingNumber),
    /// The store cannot be reached or refused the request; nothing was written.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (a bug or a manual edit).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A new case and everything that must be written with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub case: Case,
    pub submission: Submission,
    /// The first notifications (department mail, acknowledgment), pending.
    pub notifications: Vec<Notification>,
    /// When the case next needs the scheduler (`casework::due::next_due`).
    pub next_due: Option<DateTime<Utc>>,
}

/// The case store. Methods are async because the production store is remote.
pub trait Store: Send + Sync {
    /// Stores a case, its idempotency key (from `submission.idempotency_key`)
    /// and its notifications in one all-or-nothing write. A notification id
    /// that is already queued is [`StoreError::Conflict`] and nothing is
    /// written (the same holds for [`Store::update_case`]).
    fn create_case(&self, new: NewCase)
    -> impl Future<Output = Result<Created, StoreError>> + Send;

    fn case(
        &self,
        tracking: &TrackingNumber,
    ) -> impl Future<Output = Result<Option<CaseRecord>, StoreError>> + Send;

    /// Replaces the case if its stored version is still `expected_version`,
    /// queueing `notifications` in the same write; returns the new version.
    fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Cases whose next due time is at or before `now`, earliest first, at
    /// most `limit`.
    fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<CaseRecord>, StoreError>> + Send;

    /// Pending notifications whose next attempt is at or before `now`.
    fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;

    /// Claims a pending notification for sending until `lease_until`, so a
    /// second sender skips it; `false` when someone else holds it or it is
    /// no longer pending. The lease is kept as the notification's
    /// `next_attempt_at`: until it runs out the notification is not due, so
    /// it is neither listed nor claimable, and a sender that dies mid-way
    /// leaves it to be retried after the lease.
    fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records the outcome of an attempt on a claimed notification:
    /// [`StoreError::Conflict`] when the id is unknown or the notification
    /// is no longer pending. A failure counts one attempt and keeps the
    /// error; it stays pending at `retry_at` unless `give_up`.
    fn record_delivery(
        &self,
        id: &str,
        delivery: Delivery,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts one request for a rate-limit key (a hash, never an IP) in the
    /// window that starts at `window_start`; returns the count including
    /// this one. Counters expire on their own.
    fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Queues notifications that belong to no case update (a failure
    /// summary entry, say), all or nothing: an id already queued is
    /// [`StoreError::Conflict`] and nothing is written, so a notification
    /// queued twice by overlapping runs goes out once.
    fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = notifications;
        async { Err(unsupported("queue_notifications")) }
    }

    /// Claims a once-only job (e.g. `stats/2026-09`, the monthly report)
    /// until `lease_until`: `true` for exactly one claimer while the job is
    /// not done and no one else's lease runs; `false` otherwise. A claimer
    /// that dies leaves the job to be claimed again after its lease.
    fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let _ = (key, now, lease_until);
        async { Err(unsupported("claim_job")) }
    }

    /// Marks a claimed job done for good.
    fn finish_job(
        &self,
        key: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = (key, at);
        async { Err(unsupported("finish_job")) }
    }

    /// Cases received in `[from, to)`, for statistics and exports.
    fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<CaseRecord>, StoreError>> + Send;
}

/// The answer of a store that predates an operation (test doubles).
fn unsupported(op: &str) -> StoreError {
    StoreError::Unavailable(format!("this store does not support {op}"))
}

/// What a delivery outcome does to a notification, shared by the adapters
/// that keep notifications as whole values.
pub(crate) fn apply_delivery(n: &mut Notification, delivery: Delivery) {
    match delivery {
        Delivery::Sent { at } => {
            n.status = NotificationStatus::Sent;
            n.next_attempt_at = at;
        }
        Delivery::Failed {
            at,
            error,
            retry_at,
            give_up,
        } => {
            n.attempts += 1;
            n.last_error = Some(error);
            if give_up {
                n.status = NotificationStatus::Failed;
                n.next_attempt_at = at;
            } else {
                n.next_attempt_at = retry_at;
            }
        }
    }
}
