//! Where cases are kept, behind a few small traits.
//!
//! [`CaseStore`], [`Outbox`], [`RateCounter`] and [`Jobs`] are what a
//! store does; [`Store`] is all four, what the intake and remind functions
//! and the `hotline` CLI talk to. Adapters implement them for DynamoDB
//! (production) and SQLite (`hotline serve`, small self-hosted sites). Both
//! adapters pass the same contract suite. Nothing here decides anything
//! about a case: the rules live in `casework`; a store only keeps what it is
//! given, atomically.
//!
//! What a store guarantees:
//! - [`CaseStore::create_case`] writes the case, its idempotency key and its
//!   first notifications all together or not at all; a second call with the
//!   same key creates nothing and returns the first case's tracking number.
//! - Every change to a case is a conditional write on its version, so two
//!   writers never overwrite each other ([`StoreError::Conflict`]).
//! - Each notification changes state by a conditional write, so it is sent
//!   at most once even when two senders run at the same moment.
//! - [`CaseStore::due_cases`] reads only cases with something due (a sparse
//!   index on the next due time), never the whole table.
//!
//! Adapters: [`memory::MemoryStore`] (always built; for tests),
//! `sqlite::SqliteStore` (feature `sqlite`) and `dynamodb::DynamoStore`
//! (feature `dynamodb`). For tests only: the feature `contract` adds the
//! shared suite every adapter must pass, `faults` a wrapper that makes any
//! store fail on demand, and `testing` a fresh table on the local DynamoDB
//! endpoint.

use casework::lifecycle::Case;
use casework::submission::Submission;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "contract")]
#[doc(hidden)]
pub mod contract;
pub mod deadline;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod evidence;
#[cfg(feature = "faults")]
pub mod faults;
pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "dynamodb"))]
mod stored;
#[cfg(feature = "testing")]
pub mod testing;
mod traits;

pub use memory::MemoryStore;
pub use traits::{CaseStore, Jobs, Outbox, RateCounter, Store};

/// The store traits, for calling store methods on a concrete store:
/// `use casestore::prelude::*`.
pub mod prelude {
    pub use crate::traits::{CaseStore, Jobs, Outbox, RateCounter, Store};
}

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

impl StoreError {
    /// The error's kind, for logs: an adapter's message is never logged, as
    /// it could echo stored values back.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Conflict => "conflict",
            StoreError::TrackingTaken(_) => "tracking_taken",
            StoreError::NotFound(_) => "not_found",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Corrupt(_) => "corrupt",
        }
    }
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
