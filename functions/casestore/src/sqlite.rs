//! The embedded store: one SQLite file (or memory), for `hotline serve` and
//! small self-hosted sites.
//!
//! Tables: `cases` (the case and the submission as JSON, the version, the
//! received time, and the next due time under a partial index that holds
//! only cases with something due), `replay_keys` (idempotency keys bound to their content, expiring), `notifications`
//! (status, attempts and the next attempt time, with a partial index over the
//! pending ones; a claim's lease is that next attempt time) and
//! `rate_counters` (per key and window, with an expiry) and `jobs` (once-only
//! jobs such as the monthly report: done, or leased until a time). Every write runs in
//! one immediate transaction, so it is all-or-nothing and writers queue up
//! instead of overwriting each other. Times are fixed-width UTC strings, so
//! SQL string order is time order.
//!
//! Calls go straight to SQLite under a lock: they are local and take
//! microseconds, so they do not hold up an async runtime.

use crate::stored::{
    from_json, parse_time_key, submission_from_json, submission_to_json, time_key, to_json,
};
use crate::{
    CaseRecord, CaseStore, Created, Delivery, Jobs, NewCase, Notification, NotificationStatus,
    Outbox, RateCounter, StoreError,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cases (
    tracking        TEXT PRIMARY KEY,
    case_json       TEXT NOT NULL,
    submission_json TEXT NOT NULL,
    version         INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    next_due        TEXT
);
CREATE INDEX IF NOT EXISTS cases_due ON cases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_received ON cases (received_at);
DROP TABLE IF EXISTS idempotency;
CREATE TABLE IF NOT EXISTS replay_keys (
    key        TEXT PRIMARY KEY,
    tracking   TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
    id              TEXT PRIMARY KEY,
    tracking        TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    message_json    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_pending
    ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS rate_counters (
    key          TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX IF NOT EXISTS rate_counters_expiry ON rate_counters (expires_at);
CREATE TABLE IF NOT EXISTS jobs (
    key         TEXT PRIMARY KEY,
    done        INTEGER NOT NULL,
    lease_until TEXT NOT NULL
);
";

/// The SQLite [`Store`](crate::Store).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> StoreError {
    // SQLite's messages name tables and columns, never the values.
    StoreError::Unavailable(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        // Every commit is on disk before a case is acknowledged.
        SqliteStore::open_with(path, "FULL")
    }

    /// Opens the store for a local preview (`hotline serve`): commits reach
    /// the operating system but are not forced to disk one by one (WAL with
    /// `synchronous = NORMAL`). A crash of the program loses nothing; a
    /// power cut may lose the last moments. One forced write per commit
    /// caps [`SqliteStore::open`] at a few hundred cases a second on an
    /// ordinary disk; this is a hundred times that.
    pub fn open_for_preview(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, "NORMAL")
    }

    fn open_with(path: impl AsRef<Path>, synchronous: &str) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        // WAL lets readers (the CLI, a status page) work while a writer writes.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(db)?;
        SqliteStore::setup(conn)
    }

    /// A store that lives and dies with this value.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::setup(Connection::open_in_memory().map_err(db)?)
    }

    fn setup(conn: Connection) -> Result<SqliteStore, StoreError> {
        // Another process holding the write lock is waited for, not an error.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Unavailable("the sqlite connection is poisoned".into()))
    }

    /// The cases a condition (with its ordering and limit) selects.
    fn cases_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE {condition}"
            ))
            .map_err(db)?;
        let rows = stmt.query_map(params, case_row).map_err(db)?;
        rows.map(|r| r.map_err(db).and_then(case_record)).collect()
    }
}

fn write(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)
}

fn status_text(s: NotificationStatus) -> &'static str {
    match s {
        NotificationStatus::Pending => "pending",
        NotificationStatus::Sent => "sent",
        NotificationStatus::Failed => "failed",
    }
}

fn status_from(s: &str, id: &str) -> Result<NotificationStatus, StoreError> {
    match s {
        "pending" => Ok(NotificationStatus::Pending),
        "sent" => Ok(NotificationStatus::Sent),
        "failed" => Ok(NotificationStatus::Failed),
        _ => Err(StoreError::Corrupt(format!(
            "notification {id}: unknown status"
        ))),
    }
}

/// Queues notifications inside `tx`; an id already present is a conflict.
fn queue(tx: &Transaction<'_>, notifications: &[Notification]) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO notifications
                 (id, tracking, status, attempts, next_attempt_at, last_error, message_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        )
        .map_err(db)?;
    for n in notifications {
        let inserted = insert
            .execute(params![
                n.id,
                n.tracking.as_str(),
                status_text(n.status),
                n.attempts,
                time_key(n.next_attempt_at),
                n.last_error,
                to_json(&n.message, &format!("notification {}", n.id))?,
            ])
            .map_err(db)?;
        if inserted == 0 {
            // Dropping the transaction rolls back whatever was written before.
            return Err(StoreError::Conflict);
        }
    }
    Ok(())
}

const CASE_COLUMNS: &str = "tracking, case_json, submission_json, version";

fn case_row(row: &Row<'_>) -> rusqlite::Result<(String, String, String, u64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn case_record(
    (tracking, case_json, submission_json, version): (String, String, String, u64),
) -> Result<CaseRecord, StoreError> {
    let what = format!("case {tracking}");
    Ok(CaseRecord {
        case: from_json(&case_json, &what)?,
        submission: submission_from_json(&submission_json, &tracking)?,
        version,
    })
}

const NOTE_COLUMNS: &str =
    "id, tracking, status, attempts, next_attempt_at, last_error, message_json";

type NoteRow = (String, String, String, u32, String, Option<String>, String);

fn note_row(row: &Row<'_>) -> rusqlite::Result<NoteRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn notification(
    (id, tracking, status, attempts, next_attempt_at, last_error, message_json): NoteRow,
) -> Result<Notification, StoreError> {
    let what = format!("notification {id}");
    Ok(Notification {
        tracking: TrackingNumber::parse(&tracking)
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad tracking number")))?,
        message: from_json(&message_json, &what)?,
        status: status_from(&status, &id)?,
        attempts,
        next_attempt_at: parse_time_key(&next_attempt_at, &what)?,
        last_error,
        id,
    })
}

impl CaseStore for SqliteStore {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        let case_json = to_json(&new.case, &format!("case {}", new.case.tracking))?;
        let submission_json = submission_to_json(&new.submission)?;
        let tracking = new.case.tracking.clone();
        let mut conn = self.lock()?;
        let tx = write(&mut conn)?;
        if let Some(key) = &new.submission.replay_key() {
            let now = time_key(new.case.received_at);
            // Expired keys go first: a key replays for IDEMPOTENCY_TTL only.
            tx.execute("DELETE FROM replay_keys WHERE expires_at <= ?1", [&now])
                .map_err(db)?;
            let first: Option<String> = tx
                .query_row(
                    "SELECT tracking FROM replay_keys WHERE key = ?1",
                    [key.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            if let Some(first) = first {
                let first = TrackingNumber::parse(&first).map_err(|_| {
                    StoreError::Corrupt("an idempotency key points at a bad tracking number".into())
                })?;
                return Ok(Created::Replayed(first));
            }
            let expires_at = time_key(new.case.received_at + casework::submission::IDEMPOTENCY_TTL);
            tx.execute(
                "INSERT INTO replay_keys (key, tracking, expires_at) VALUES (?1, ?2, ?3)",
                params![key.as_str(), tracking.as_str(), expires_at],
            )
            .map_err(db)?;
        }
        let inserted = tx
            .execute(
                "INSERT INTO cases
                     (tracking, case_json, submission_json, version, received_at, next_due)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5) ON CONFLICT (tracking) DO NOTHING",
                params![
                    tracking.as_str(),
                    case_json,
                    submission_json,
                    time_key(new.case.received_at),
                    new.next_due.map(time_key),
                ],
            )
            .map_err(db)?;
        if inserted == 0 {
            return Err(StoreError::TrackingTaken(tracking));
        }
        queue(&tx, &new.notifications)?;
        tx.commit().map_err(db)?;
        Ok(Created::New(tracking))
    }

    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        let row = self
            .lock()?
            .query_row(
                &format!("SELECT {CASE_COLUMNS} FROM cases WHERE tracking = ?1"),
                [tracking.as_str()],
                case_row,
            )
            .optional()
            .map_err(db)?;
        row.map(case_record).transpose()
    }

    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        let case_json = to_json(case, &format!("case {}", case.tracking))?;
        let mut conn = self.lock()?;
        let tx = write(&mut conn)?;
        let updated = tx
            .execute(
                "UPDATE cases SET case_json = ?1, version = version + 1, next_due = ?2
                 WHERE tracking = ?3 AND version = ?4",
                params![
                    case_json,
                    next_due.map(time_key),
                    case.tracking.as_str(),
                    expected_version
                ],
            )
            .map_err(db)?;
        if updated == 0 {
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM cases WHERE tracking = ?1",
                    [case.tracking.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            return Err(match exists {
                Some(_) => StoreError::Conflict,
                None => StoreError::NotFound(case.tracking.clone()),
            });
        }
        queue(&tx, &notifications)?;
        tx.commit().map_err(db)?;
        Ok(expected_version + 1)
    }

    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.cases_where(
            "next_due IS NOT NULL AND next_due <= ?1 ORDER BY next_due, tracking LIMIT ?2",
            params![time_key(now), limit_param(limit)],
        )
    }

    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        self.cases_where(
            "received_at >= ?1 AND received_at < ?2 ORDER BY received_at, tracking",
            params![time_key(from), time_key(to)],
        )
    }
}

impl Outbox for SqliteStore {
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = write(&mut conn)?;
        queue(&tx, &notifications)?;
        tx.commit().map_err(db)
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {NOTE_COLUMNS} FROM notifications
                 WHERE status = 'pending' AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, id LIMIT ?2"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(params![time_key(now), limit_param(limit)], note_row)
            .map_err(db)?;
        rows.map(|r| r.map_err(db).and_then(notification)).collect()
    }

    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let conn = self.lock()?;
        let claimed = conn
            .execute(
                "UPDATE notifications SET next_attempt_at = ?1
                 WHERE id = ?2 AND status = 'pending' AND next_attempt_at <= ?3",
                params![time_key(lease_until), id, time_key(now)],
            )
            .map_err(db)?;
        Ok(claimed == 1)
    }

    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = write(&mut conn)?;
        let row = tx
            .query_row(
                &format!(
                    "SELECT {NOTE_COLUMNS} FROM notifications WHERE id = ?1 AND status = 'pending'"
                ),
                [id],
                note_row,
            )
            .optional()
            .map_err(db)?;
        let mut n = match row {
            Some(row) => notification(row)?,
            None => return Err(StoreError::Conflict),
        };
        crate::apply_delivery(&mut n, delivery);
        tx.execute(
            "UPDATE notifications
             SET status = ?1, attempts = ?2, next_attempt_at = ?3, last_error = ?4
             WHERE id = ?5",
            params![
                status_text(n.status),
                n.attempts,
                time_key(n.next_attempt_at),
                n.last_error,
                id
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }
}

impl RateCounter for SqliteStore {
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.lock()?;
        let tx = write(&mut conn)?;
        // Counters that expired before this window began can never count again.
        tx.execute(
            "DELETE FROM rate_counters WHERE expires_at <= ?1",
            [time_key(window_start)],
        )
        .map_err(db)?;
        let count: u64 = tx
            .query_row(
                "INSERT INTO rate_counters (key, window_start, count, expires_at)
                 VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
                 RETURNING count",
                params![key, time_key(window_start), time_key(expires_at)],
                |r| r.get(0),
            )
            .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(count)
    }
}

impl Jobs for SqliteStore {
    async fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let conn = self.lock()?;
        let claimed = conn
            .execute(
                "INSERT INTO jobs (key, done, lease_until) VALUES (?1, 0, ?2)
                 ON CONFLICT (key) DO UPDATE SET lease_until = excluded.lease_until
                 WHERE jobs.done = 0 AND jobs.lease_until <= ?3",
                params![key, time_key(lease_until), time_key(now)],
            )
            .map_err(db)?;
        Ok(claimed == 1)
    }

    async fn finish_job(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO jobs (key, done, lease_until) VALUES (?1, 1, ?2)
             ON CONFLICT (key) DO UPDATE SET done = 1, lease_until = excluded.lease_until",
            params![key, time_key(at)],
        )
        .map_err(db)?;
        Ok(())
    }
}

/// SQLite takes a signed limit; anything beyond it means "all".
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
