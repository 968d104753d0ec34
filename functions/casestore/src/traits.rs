//! What a store does, as four focused traits, and [`Store`], all four.
//!
//! A caller that only counts requests needs a [`RateCounter`], one that
//! only sends the outbox an [`Outbox`]; the functions and the CLI take a
//! whole [`Store`]. Every method is required: an adapter or a wrapper that
//! leaves one out does not compile, rather than failing at run time.
//! Methods are async because the production store is remote.
//!
//! Calling a method on a concrete store needs its trait in scope:
//! `use casestore::prelude::*` brings all of them.

use crate::{CaseRecord, Created, Delivery, NewCase, Notification, StoreError};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use std::future::Future;

/// Cases: opened, read, changed on their version, and found by due time
/// or arrival.
pub trait CaseStore: Send + Sync {
    /// Stores a case, its idempotency key (from `submission.idempotency_key`)
    /// and its notifications in one all-or-nothing write. A notification id
    /// that is already queued is [`StoreError::Conflict`] and nothing is
    /// written (the same holds for [`CaseStore::update_case`]).
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

    /// Cases received in `[from, to)`, for statistics and exports.
    fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<CaseRecord>, StoreError>> + Send;
}

/// The outbox: rendered mail waiting to be sent, claimed by one sender at
/// a time, and its delivery outcomes. (A case's own notifications are
/// queued with it, by [`CaseStore`].)
pub trait Outbox: Send + Sync {
    /// Queues notifications that belong to no case update (a failure
    /// summary entry, say), all or nothing: an id already queued is
    /// [`StoreError::Conflict`] and nothing is written, so a notification
    /// queued twice by overlapping runs goes out once.
    fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

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
}

/// Request counters for rate limits.
pub trait RateCounter: Send + Sync {
    /// Counts one request for a rate-limit key (a hash, never an IP) in the
    /// window that starts at `window_start`; returns the count including
    /// this one. Counters expire on their own.
    fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Once-only jobs, such as the monthly report.
pub trait Jobs: Send + Sync {
    /// Claims a once-only job (e.g. `stats/2026-09`, the monthly report)
    /// until `lease_until`: `true` for exactly one claimer while the job is
    /// not done and no one else's lease runs; `false` otherwise. A claimer
    /// that dies leaves the job to be claimed again after its lease.
    fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a claimed job done for good.
    fn finish_job(
        &self,
        key: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The whole store: cases, outbox, rate counters and jobs. Implemented for
/// every type that implements the four; never implemented by hand.
pub trait Store: CaseStore + Outbox + RateCounter + Jobs {}

impl<T: CaseStore + Outbox + RateCounter + Jobs + ?Sized> Store for T {}
