//! A store that keeps everything in memory, behind one lock.
//!
//! For tests of the functions and the CLI, and as the reference the other
//! adapters are checked against: the contract suite runs on it too. Nothing
//! survives the process.

use crate::{
    CaseRecord, CaseStore, Created, Delivery, Jobs, NewCase, Notification, NotificationStatus,
    Outbox, RateCounter, StoreError,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// The in-memory [`Store`](crate::Store). Cheap to create; share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cases: HashMap<TrackingNumber, Stored>,
    /// Replay key → the first case and when the key expires.
    idempotency: HashMap<String, (TrackingNumber, DateTime<Utc>)>,
    notifications: BTreeMap<String, Notification>,
    /// (key, window start) → (count, expires at).
    rates: HashMap<(String, DateTime<Utc>), (u64, DateTime<Utc>)>,
    /// Job key → (done, lease until).
    jobs: HashMap<String, (bool, DateTime<Utc>)>,
}

#[derive(Debug, Clone)]
struct Stored {
    record: CaseRecord,
    next_due: Option<DateTime<Utc>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Every notification in any state, by id: lets tests see what was
    /// sent or given up, which the [`Outbox`] trait does not show.
    pub fn notifications(&self) -> Result<Vec<Notification>, StoreError> {
        Ok(self.lock()?.notifications.values().cloned().collect())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        // A panic elsewhere while holding the lock leaves the maps in an
        // unknown state: report it rather than carry on.
        self.inner
            .lock()
            .map_err(|_| StoreError::Unavailable("the in-memory store is poisoned".into()))
    }
}

impl Inner {
    fn queue(&mut self, notifications: Vec<Notification>) -> Result<(), StoreError> {
        // Checked before inserting anything, so a failure writes nothing.
        let mut seen = std::collections::HashSet::new();
        for n in &notifications {
            if self.notifications.contains_key(&n.id) || !seen.insert(n.id.as_str()) {
                return Err(StoreError::Conflict);
            }
        }
        for n in notifications {
            self.notifications.insert(n.id.clone(), n);
        }
        Ok(())
    }
}

impl CaseStore for MemoryStore {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        let mut inner = self.lock()?;
        let key = new.submission.replay_key();
        let now = new.case.received_at;
        inner
            .idempotency
            .retain(|_, (_, expires_at)| *expires_at > now);
        if let Some((first, _)) = key.as_ref().and_then(|k| inner.idempotency.get(k)) {
            return Ok(Created::Replayed(first.clone()));
        }
        let tracking = new.case.tracking.clone();
        if inner.cases.contains_key(&tracking) {
            return Err(StoreError::TrackingTaken(tracking));
        }
        inner.queue(new.notifications)?;
        if let Some(key) = key {
            let expires_at = now + casework::submission::IDEMPOTENCY_TTL;
            inner
                .idempotency
                .insert(key, (tracking.clone(), expires_at));
        }
        inner.cases.insert(
            tracking.clone(),
            Stored {
                record: CaseRecord {
                    case: new.case,
                    submission: new.submission,
                    version: 1,
                },
                next_due: new.next_due,
            },
        );
        Ok(Created::New(tracking))
    }

    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        Ok(self.lock()?.cases.get(tracking).map(|s| s.record.clone()))
    }

    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let stored = inner
            .cases
            .get(&case.tracking)
            .ok_or_else(|| StoreError::NotFound(case.tracking.clone()))?;
        if stored.record.version != expected_version {
            return Err(StoreError::Conflict);
        }
        inner.queue(notifications)?;
        let stored = inner
            .cases
            .get_mut(&case.tracking)
            .ok_or_else(|| StoreError::NotFound(case.tracking.clone()))?;
        stored.record.case = case.clone();
        stored.record.version += 1;
        stored.next_due = next_due;
        Ok(stored.record.version)
    }

    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let inner = self.lock()?;
        let mut due: Vec<(DateTime<Utc>, &CaseRecord)> = inner
            .cases
            .values()
            .filter_map(|s| s.next_due.filter(|d| *d <= now).map(|d| (d, &s.record)))
            .collect();
        due.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.case.tracking.cmp(&b.1.case.tracking))
        });
        Ok(due
            .into_iter()
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let inner = self.lock()?;
        let mut found: Vec<CaseRecord> = inner
            .cases
            .values()
            .filter(|s| s.record.case.received_at >= from && s.record.case.received_at < to)
            .map(|s| s.record.clone())
            .collect();
        found.sort_by(|a, b| {
            a.case
                .received_at
                .cmp(&b.case.received_at)
                .then_with(|| a.case.tracking.cmp(&b.case.tracking))
        });
        Ok(found)
    }
}

impl Outbox for MemoryStore {
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        self.lock()?.queue(notifications)
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let inner = self.lock()?;
        let mut pending: Vec<&Notification> = inner
            .notifications
            .values()
            .filter(|n| n.status == NotificationStatus::Pending && n.next_attempt_at <= now)
            .collect();
        pending.sort_by(|a, b| {
            a.next_attempt_at
                .cmp(&b.next_attempt_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(pending.into_iter().take(limit).cloned().collect())
    }

    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        match inner.notifications.get_mut(id) {
            // The lease is the next attempt time: while it runs the
            // notification is not due, so no one else can claim or list it.
            Some(n) if n.status == NotificationStatus::Pending && n.next_attempt_at <= now => {
                n.next_attempt_at = lease_until;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let n = match inner.notifications.get_mut(id) {
            Some(n) if n.status == NotificationStatus::Pending => n,
            _ => return Err(StoreError::Conflict),
        };
        crate::apply_delivery(n, delivery);
        Ok(())
    }
}

impl RateCounter for MemoryStore {
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        // Counters that expired before this window began can never count again.
        inner.rates.retain(|_, (_, exp)| *exp > window_start);
        let entry = inner
            .rates
            .entry((key.to_string(), window_start))
            .or_insert((0, expires_at));
        entry.0 += 1;
        Ok(entry.0)
    }
}

impl Jobs for MemoryStore {
    async fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        match inner.jobs.get_mut(key) {
            Some((true, _)) => Ok(false),
            Some((false, lease)) if *lease > now => Ok(false),
            Some((false, lease)) => {
                *lease = lease_until;
                Ok(true)
            }
            None => {
                inner.jobs.insert(key.to_string(), (false, lease_until));
                Ok(true)
            }
        }
    }

    async fn finish_job(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock()?.jobs.insert(key.to_string(), (true, at));
        Ok(())
    }
}
