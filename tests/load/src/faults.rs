//! A store and a mailer that can be switched off mid-run, and a mailer
//! that counts what it delivered per notification id.

use casestore::{
    CaseRecord, Created, Delivery, NewCase, Notification, OutgoingMessage, Store, StoreError,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use mail::{MailError, Mailer};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A store whose every operation fails as unavailable while `down`.
pub struct FaultyStore<S> {
    pub inner: S,
    pub down: AtomicBool,
    pub refused: AtomicU64,
}

impl<S> FaultyStore<S> {
    pub fn new(inner: S) -> Self {
        FaultyStore {
            inner,
            down: AtomicBool::new(false),
            refused: AtomicU64::new(0),
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            Err(StoreError::Unavailable(
                "outage staged by the harness".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl<S: Store> Store for FaultyStore<S> {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        self.check()?;
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
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.inner.queue_notifications(notifications).await
    }
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
    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.check()?;
        self.inner.cases_received_between(from, to).await
    }
}

/// A mailer that refuses (temporarily) while `down`, and otherwise passes
/// the message on and counts deliveries per notification id.
pub struct CountingMailer<M> {
    pub inner: M,
    pub down: AtomicBool,
    pub refused: AtomicU64,
    delivered: Mutex<HashMap<String, u32>>,
}

impl<M> CountingMailer<M> {
    pub fn new(inner: M) -> Self {
        CountingMailer {
            inner,
            down: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            delivered: Mutex::new(HashMap::new()),
        }
    }

    /// Deliveries per notification id so far.
    pub fn delivered(&self) -> HashMap<String, u32> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

impl<M: Mailer> Mailer for CountingMailer<M> {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(MailError::Temporary("outage staged by the harness".into()));
        }
        self.inner.send(id, message).await?;
        if let Ok(mut delivered) = self.delivered.lock() {
            *delivered.entry(id.to_string()).or_default() += 1;
        }
        Ok(())
    }
}
