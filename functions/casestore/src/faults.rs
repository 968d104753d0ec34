//! A store that fails on demand, for tests and the load harness.
//!
//! [`Faulty`] wraps any store and forwards every method of every store
//! trait to it, so a wrapped store keeps the whole contract until a switch
//! is thrown. It is the one test double for a store: what a test needs
//! beyond it (a mailer that refuses, request builders) lives with the test.
//! Not for production code: the feature `faults` is for dev-dependencies.

use crate::{
    CaseRecord, CaseStore, Created, Delivery, Jobs, NewCase, Notification, Outbox, RateCounter,
    StoreError,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// `inner`, with switches. Reading through it (`faulty.notifications()` on
/// a wrapped [`MemoryStore`](crate::MemoryStore)) reaches the inner store
/// directly, switches or not.
#[derive(Debug, Default)]
pub struct Faulty<S> {
    pub inner: S,
    /// While set, every call fails as [`StoreError::Unavailable`] without
    /// reaching `inner`.
    pub down: AtomicBool,
    /// The next case update loses a race: someone else wrote first
    /// ([`StoreError::Conflict`]); the switch then resets itself.
    pub lose_next_update: AtomicBool,
    /// Calls refused while `down`.
    pub refused: AtomicU64,
}

impl<S> Faulty<S> {
    pub fn new(inner: S) -> Faulty<S> {
        Faulty {
            inner,
            down: AtomicBool::new(false),
            lose_next_update: AtomicBool::new(false),
            refused: AtomicU64::new(0),
        }
    }

    /// `Err` while the store is switched off, counting the refusal.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Err(StoreError::Unavailable(
                "switched off by fault injection".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl<S> std::ops::Deref for Faulty<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: CaseStore> CaseStore for Faulty<S> {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        self.check()?;
        // A pause, as a remote store would make, so that two concurrent
        // requests really overlap.
        tokio::task::yield_now().await;
        self.inner.create_case(new).await
    }

    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.case(tracking).await
    }

    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        self.check()?;
        if self.lose_next_update.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Conflict);
        }
        self.inner
            .update_case(case, expected_version, next_due, notifications)
            .await
    }

    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.due_cases(now, limit).await
    }

    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.cases_received_between(from, to).await
    }
}

impl<S: Outbox> Outbox for Faulty<S> {
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.inner.queue_notifications(notifications).await
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        self.check()?;
        self.inner.pending_notifications(now, limit).await
    }

    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.claim_notification(id, now, lease_until).await
    }

    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        self.check()?;
        self.inner.record_delivery(id, delivery).await
    }
}

impl<S: RateCounter> RateCounter for Faulty<S> {
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.check()?;
        self.inner
            .count_request(key, window_start, expires_at)
            .await
    }
}

impl<S: Jobs> Jobs for Faulty<S> {
    async fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.claim_job(key, now, lease_until).await
    }

    async fn finish_job(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.finish_job(key, at).await
    }
}
