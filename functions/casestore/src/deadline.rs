//! One request's time limit, for a host that kills what runs past it.
//!
//! On Lambda an invocation that outlives its timeout is cut off and the
//! visitor sees "Task timed out", even when the case was stored. The
//! Lambda adapter therefore runs each event [`within`] its deadline (less
//! a margin for the answer), and wraps its store in [`Bounded`]: a store
//! call still running at the deadline gives up as
//! [`StoreError::Unavailable`], which the API answers as 503 with
//! Retry-After like any store outage. The sender (`office::delivery`)
//! reads [`remaining`] so that a mail that cannot finish in time is left
//! pending for the next outbox pass instead of holding up the answer.
//!
//! The deadline travels as a task-local value rather than a parameter:
//! it belongs to the one request being answered, not to the store or the
//! office's operations, and without it (`hotline serve`, the tests, work a
//! background worker spawned) everything runs unbounded as before.

use crate::{
    CaseRecord, CaseStore, Created, Delivery, Jobs, NewCase, Notification, Outbox, RateCounter,
    StoreError,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` as its time limit.
pub async fn within<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// The time left before the current request's deadline; `None` when the
/// work runs without one.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|d| d.saturating_duration_since(Instant::now()))
        .ok()
}

/// `call`, given up at the current deadline, if there is one.
pub async fn bounded<T>(
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match DEADLINE.try_with(|d| *d) {
        Err(_) => call.await,
        Ok(deadline) => tokio::time::timeout_at(deadline, call)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the request's time limit was reached".into(),
                ))
            }),
    }
}

/// `inner`, with every call [`bounded`] by the current deadline.
#[derive(Debug, Default)]
pub struct Bounded<S> {
    pub inner: S,
}

impl<S> Bounded<S> {
    pub fn new(inner: S) -> Bounded<S> {
        Bounded { inner }
    }
}

impl<S> std::ops::Deref for Bounded<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: CaseStore> CaseStore for Bounded<S> {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        bounded(self.inner.create_case(new)).await
    }

    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        bounded(self.inner.case(tracking)).await
    }

    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        bounded(
            self.inner
                .update_case(case, expected_version, next_due, notifications),
        )
        .await
    }

    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        bounded(self.inner.due_cases(now, limit)).await
    }

    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        bounded(self.inner.cases_received_between(from, to)).await
    }
}

impl<S: Outbox> Outbox for Bounded<S> {
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        bounded(self.inner.queue_notifications(notifications)).await
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        bounded(self.inner.pending_notifications(now, limit)).await
    }

    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        bounded(self.inner.claim_notification(id, now, lease_until)).await
    }

    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        bounded(self.inner.record_delivery(id, delivery)).await
    }
}

impl<S: RateCounter> RateCounter for Bounded<S> {
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        bounded(self.inner.count_request(key, window_start, expires_at)).await
    }
}

impl<S: Jobs> Jobs for Bounded<S> {
    async fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        bounded(self.inner.claim_job(key, now, lease_until)).await
    }

    async fn finish_job(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        bounded(self.inner.finish_job(key, at)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    #[tokio::test(start_paused = true)]
    async fn a_call_past_the_deadline_is_unavailable() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok::<u32, StoreError>(1)
        };
        let deadline = Instant::now() + Duration::from_secs(8);
        let got = within(deadline, bounded(slow)).await;
        assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_deadline_nothing_is_cut() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok::<u32, StoreError>(1)
        };
        assert_eq!(bounded(slow).await.unwrap(), 1);
        assert_eq!(remaining(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_counts_down() {
        let deadline = Instant::now() + Duration::from_secs(8);
        within(deadline, async {
            assert_eq!(remaining(), Some(Duration::from_secs(8)));
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(remaining(), Some(Duration::from_secs(5)));
        })
        .await;
    }

    #[tokio::test]
    async fn a_bounded_store_answers_in_time_like_its_inner_store() {
        let store = Bounded::new(MemoryStore::default());
        let deadline = Instant::now() + Duration::from_secs(5);
        let now = Utc::now();
        let got = within(deadline, store.claim_job("monthly", now, now)).await;
        assert!(matches!(got, Ok(true)), "{got:?}");
    }
}
