//! The production store: one DynamoDB table.
//!
//! This file is the store: the requests each operation makes, their
//! conditions and retries. The table's shape (keys, indexes, TTL) is
//! [`schema`], what goes into each item is `items.rs`, and what the
//! requests cost is counted in `meter.rs` ([`DynamoStore::usage`]).
//!
//! Every read asks for its consumed capacity; [`DynamoStore::usage`] adds
//! up the requests, the items they returned and the read capacity units,
//! both as DynamoDB reported them and as priced from the items' sizes by
//! DynamoDB's rules, and counts the write requests.
//!
//! TTL on `expires_at` removes rate counters and, when
//! [`DynamoStore::with_retention_years`] is set, closed cases after the
//! retention period. There are no separate event items: the audit trail is
//! inside the case JSON, written with the case in the same conditional write.
//! A claim's lease is the notification's `next_attempt_at`.
//!
//! Why this file is long: the four store traits for one table, each method one request or transaction with its conditions; the schema, item conversion and cost meter are already modules of their own.

mod items;
mod meter;
pub mod schema;

pub use meter::Usage;

use crate::stored::{time_key, to_json};
use crate::{
    CaseRecord, CaseStore, Created, Delivery, Jobs, NewCase, Notification, NotificationStatus,
    Outbox, RateCounter, StoreError,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnConsumedCapacity, TransactWriteItem, Update,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Months, Utc};
use items::{
    Item, case_from, case_key, get_n, get_s, idem_item, idem_key, n, note_from, note_item,
    note_key, s, status_text,
};
use meter::{Consistency, Meter};
use schema::{DUE, Index, OUTBOX, PARTITION_KEY, RECEIVED, TTL_ATTRIBUTE};
use std::collections::HashMap;
use std::sync::Arc;

/// The DynamoDB [`Store`](crate::Store).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention_years: Option<u32>,
    /// Shared by clones: a clone's requests count with the original's.
    meter: Arc<Meter>,
}

/// A failed call, by its error code only: DynamoDB's messages may quote
/// request values, and those can be private.
pub(super) fn unavailable<E: ProvideErrorMetadata + std::error::Error + 'static>(
    op: &str,
    e: SdkError<E>,
) -> StoreError {
    let detail = match &e {
        SdkError::ServiceError(se) => se.err().code().unwrap_or("unknown error").to_string(),
        other => DisplayErrorContext(other).to_string(),
    };
    StoreError::Unavailable(format!("dynamodb {op}: {detail}"))
}

fn is_condition_failed<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some("ConditionalCheckFailedException"))
}

/// The put of a replay key: new, or over one that has expired (DynamoDB
/// deletes expired items only within a day or two, so an expired key may
/// still be there and must not replay).
fn put_replay_key(table: &str, item: Item, now: i64) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!(
            "attribute_not_exists({PARTITION_KEY}) OR #ttl <= :now"
        ))
        .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
        .expression_attribute_values(":now", n(now))
        .build()
        .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!("attribute_not_exists({PARTITION_KEY})"))
        .build()
        .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Which items of a cancelled transaction failed their condition; `None`
/// when the call failed for another reason (or raced another transaction).
fn failed_conditions<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<Vec<bool>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let SdkError::ServiceError(se) = e else {
        return None;
    };
    let TransactWriteItemsError::TransactionCanceledException(tc) = se.err() else {
        return None;
    };
    let reasons = tc.cancellation_reasons();
    if reasons.is_empty() {
        return None;
    }
    let failed: Vec<bool> = reasons
        .iter()
        .map(|r| r.code() == Some("ConditionalCheckFailed"))
        .collect();
    failed.iter().any(|f| *f).then_some(failed)
}

/// Attempts for a transaction that another transaction raced: the retry
/// then sees the winner's write and its condition decides.
const TRANSACTION_ATTEMPTS: usize = 5;

/// Why a transaction did not happen.
enum Refused {
    /// These items (by position) failed their condition.
    Conditions(Vec<bool>),
    Store(StoreError),
}

impl DynamoStore {
    pub fn new(client: Client, table_name: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table_name.into(),
            retention_years: None,
            meter: Arc::default(),
        }
    }

    /// What the requests so far cost (this store and its clones).
    pub fn usage(&self) -> Usage {
        self.meter.read(false)
    }

    /// What the requests so far cost, starting the count again.
    pub fn take_usage(&self) -> Usage {
        self.meter.read(true)
    }

    /// A store on the table `table_name`, with the SDK configured from the
    /// environment (region, credentials, and `AWS_ENDPOINT_URL` in tests).
    pub async fn from_env(table_name: impl Into<String>) -> DynamoStore {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        DynamoStore::new(Client::new(&config), table_name)
    }

    /// Lets closed cases expire (DynamoDB TTL) this many years after
    /// closing: the caller passes the rulebook's `retention.years`.
    pub fn with_retention_years(mut self, years: u32) -> DynamoStore {
        self.retention_years = Some(years);
        self
    }

    /// Creates the table, its indexes and TTL, and waits until it is
    /// active ([`schema::create_table`]). For tests and local setups;
    /// production declares it in infra.
    pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
        schema::create_table(client, name).await
    }

    fn expires_at(&self, case: &Case) -> Option<i64> {
        let years = self.retention_years?;
        let closed = case.closed_at?;
        closed
            .checked_add_months(Months::new(years.saturating_mul(12)))
            .map(|t| t.timestamp())
    }

    fn case_item(&self, new: &NewCase) -> Result<Item, StoreError> {
        items::case_item(new, self.expires_at(&new.case))
    }

    async fn get(&self, key: Item, op: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| unavailable(op, e))?;
        let items: Vec<&Item> = out.item.iter().collect();
        self.meter
            .add(&items, Consistency::Strong, out.consumed_capacity.as_ref());
        Ok(out.item)
    }

    /// Writes cases as [`Store::create_case`] writes their case items,
    /// 25 to a BatchWriteItem: for filling a table in benchmarks, where one
    /// transaction per case is too slow. Unconditional (an existing case
    /// is overwritten) and without idempotency keys or notifications: a
    /// case that has either is refused, as its other items would be
    /// missing.
    #[cfg(feature = "seed")]
    #[doc(hidden)]
    pub async fn seed_cases(&self, cases: &[NewCase]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in cases.chunks(25) {
            let mut requests = Vec::with_capacity(chunk.len());
            for new in chunk {
                if !new.notifications.is_empty() || new.submission.idempotency_key.is_some() {
                    return Err(StoreError::Unavailable(format!(
                        "seed_cases writes case items only: {} has notifications or an idempotency key",
                        new.case.tracking
                    )));
                }
                let put = PutRequest::builder()
                    .set_item(Some(self.case_item(new)?))
                    .build()
                    .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            for attempt in 0.. {
                self.meter.wrote();
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| unavailable("BatchWriteItem", e))?;
                pending = out.unprocessed_items.unwrap_or_default();
                pending.retain(|_, r| !r.is_empty());
                if pending.is_empty() {
                    break;
                }
                if attempt == 10 {
                    return Err(StoreError::Unavailable(
                        "dynamodb BatchWriteItem: items left unprocessed".into(),
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5))).await;
            }
        }
        Ok(())
    }

    /// Reads an index from its start up to `upto` (a time key), in order.
    /// Writes all of `writes` or none, retrying a transaction that failed
    /// for another reason than a condition (a race, a throttle).
    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), Refused> {
        let mut last = None;
        for _ in 0..TRANSACTION_ATTEMPTS {
            self.meter.wrote();
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            let e = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            match failed_conditions(&e) {
                Some(failed) => return Err(Refused::Conditions(failed)),
                None => last = Some(unavailable("TransactWriteItems", e)),
            }
        }
        Err(Refused::Store(last.unwrap_or_else(|| {
            StoreError::Unavailable("dynamodb TransactWriteItems".into())
        })))
    }

    /// The items of a sparse index whose time is at or before `now`,
    /// earliest first, at most `limit`.
    async fn due_on(
        &self,
        index: Index,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.query_index(index, "#r <= :now", vec![(":now", time_key(now))], limit)
            .await
    }

    async fn query_index(
        &self,
        index: Index,
        condition: &str,
        values: Vec<(&str, String)>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .key_condition_expression(format!("#h = :h AND {condition}"))
                .expression_attribute_names("#h", index.hash)
                .expression_attribute_names("#r", index.range)
                .expression_attribute_values(":h", s(index.shard))
                .scan_index_forward(true)
                .set_exclusive_start_key(start.take());
            for (name, v) in &values {
                q = q.expression_attribute_values(*name, s(v.clone()));
            }
            if let Ok(l) = i32::try_from(limit - items.len()) {
                q = q.limit(l);
            }
            let out = q
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            let page = out.items.unwrap_or_default();
            // The indexes are global: their reads are eventually consistent.
            self.meter.add(
                &page.iter().collect::<Vec<_>>(),
                Consistency::Eventual,
                out.consumed_capacity.as_ref(),
            );
            items.extend(page);
            match out.last_evaluated_key {
                Some(k) if items.len() < limit => start = Some(k),
                _ => break,
            }
        }
        items.truncate(limit);
        Ok(items)
    }
}

impl CaseStore for DynamoStore {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        let tracking = new.case.tracking.clone();
        let key = new.submission.replay_key();
        let received = new.case.received_at.timestamp();
        let mut writes = Vec::new();
        if let Some(key) = &key {
            let expires_at =
                (new.case.received_at + casework::submission::IDEMPOTENCY_TTL).timestamp();
            writes.push(put_replay_key(
                &self.table,
                idem_item(key, &tracking, expires_at),
                received,
            )?);
        }
        let case_at = writes.len();
        writes.push(put_new(&self.table, self.case_item(&new)?)?);
        for note in &new.notifications {
            writes.push(put_new(&self.table, note_item(note)?)?);
        }
        let failed = match self.transact(writes).await {
            Ok(()) => return Ok(Created::New(tracking)),
            Err(Refused::Store(e)) => return Err(e),
            Err(Refused::Conditions(failed)) => failed,
        };
        if let (Some(key), true) = (&key, failed.first() == Some(&true)) {
            let item = self
                .get(idem_key(key), "GetItem")
                .await?
                .ok_or_else(|| StoreError::Corrupt("an idempotency key vanished".into()))?;
            let first = TrackingNumber::parse(get_s(&item, "tracking", "an idempotency key")?)
                .map_err(|_| {
                    StoreError::Corrupt("an idempotency key points at a bad tracking number".into())
                })?;
            return Ok(Created::Replayed(first));
        }
        if failed.get(case_at) == Some(&true) {
            return Err(StoreError::TrackingTaken(tracking));
        }
        Err(StoreError::Conflict)
    }

    async fn case(&self, tracking: &TrackingNumber) -> Result<Option<CaseRecord>, StoreError> {
        self.get(case_key(tracking), "GetItem")
            .await?
            .map(|item| case_from(&item))
            .transpose()
    }

    async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        next_due: Option<DateTime<Utc>>,
        notifications: Vec<Notification>,
    ) -> Result<u64, StoreError> {
        let mut set = vec![
            "case_json = :c".to_string(),
            "version = version + :one".to_string(),
        ];
        let mut remove = Vec::new();
        let mut values = HashMap::from([
            (
                ":c".to_string(),
                s(to_json(case, &format!("case {}", case.tracking))?),
            ),
            (":one".to_string(), n(1)),
            (":v".to_string(), n(expected_version)),
        ]);
        match next_due {
            Some(due) => {
                set.extend([
                    format!("{} = :ds", DUE.hash),
                    format!("{} = :da", DUE.range),
                ]);
                values.insert(":ds".into(), s(DUE.shard));
                values.insert(":da".into(), s(time_key(due)));
            }
            None => remove.extend([DUE.hash, DUE.range]),
        }
        match self.expires_at(case) {
            Some(exp) => {
                set.push(format!("{TTL_ATTRIBUTE} = :exp"));
                values.insert(":exp".into(), n(exp));
            }
            None => remove.push(TTL_ATTRIBUTE),
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(case_key(&case.tracking)))
            .update_expression(expression)
            .condition_expression(format!(
                "attribute_exists({PARTITION_KEY}) AND version = :v"
            ))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))?;
        let mut writes = vec![TransactWriteItem::builder().update(update).build()];
        for note in &notifications {
            writes.push(put_new(&self.table, note_item(note)?)?);
        }
        let failed = match self.transact(writes).await {
            Ok(()) => return Ok(expected_version + 1),
            Err(Refused::Store(e)) => return Err(e),
            Err(Refused::Conditions(failed)) => failed,
        };
        if failed.first() == Some(&true)
            && self
                .get(case_key(&case.tracking), "GetItem")
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound(case.tracking.clone()));
        }
        Err(StoreError::Conflict)
    }

    async fn due_cases(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let items = self.due_on(DUE, now, limit).await?;
        items.iter().map(case_from).collect()
    }

    async fn cases_received_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        // BETWEEN rejects an empty range, and includes its end: handle both here.
        if from >= to {
            return Ok(Vec::new());
        }
        let end = time_key(to);
        let items = self
            .query_index(
                RECEIVED,
                "#r BETWEEN :from AND :to",
                vec![(":from", time_key(from)), (":to", end.clone())],
                usize::MAX,
            )
            .await?;
        items
            .iter()
            .filter(
                |item| matches!(item.get(RECEIVED.range), Some(AttributeValue::S(r)) if *r != end),
            )
            .map(case_from)
            .collect()
    }
}

impl Outbox for DynamoStore {
    async fn queue_notifications(
        &self,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        if notifications.is_empty() {
            return Ok(());
        }
        let writes = notifications
            .iter()
            .map(|note| put_new(&self.table, note_item(note)?))
            .collect::<Result<Vec<_>, _>>()?;
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(Refused::Conditions(_)) => Err(StoreError::Conflict),
            Err(Refused::Store(e)) => Err(e),
        }
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let items = self.due_on(OUTBOX, now, limit).await?;
        items.iter().map(note_from).collect()
    }

    async fn claim_notification(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.meter.wrote();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(note_key(id)))
            .update_expression(format!("SET {} = :lease", OUTBOX.range))
            .condition_expression(format!("#s = :pending AND {} <= :now", OUTBOX.range))
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":lease", s(time_key(lease_until)))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", s(time_key(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    async fn record_delivery(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        // One conditional update, without reading the notification first:
        // only a pending notification changes (a sent or given-up one, or
        // none at all, is a conflict), and each failure adds one attempt.
        let mut set = vec![format!("{} = :next", OUTBOX.range)];
        let mut remove = Vec::new();
        let mut add = None;
        let mut values: Vec<(&str, AttributeValue)> = vec![(":pending", s("pending"))];
        let (done_at, next) = match delivery {
            Delivery::Sent { at } => {
                set.push("#s = :status".into());
                values.push((":status", s(status_text(NotificationStatus::Sent))));
                remove.push(OUTBOX.hash);
                (Some(at), at)
            }
            Delivery::Failed {
                at,
                error,
                retry_at,
                give_up,
            } => {
                set.push("last_error = :error".into());
                values.push((":error", s(error)));
                add = Some("attempts :one");
                values.push((":one", n(1)));
                if give_up {
                    set.push("#s = :status".into());
                    values.push((":status", s(status_text(NotificationStatus::Failed))));
                    remove.push(OUTBOX.hash);
                    (Some(at), at)
                } else {
                    (None, retry_at)
                }
            }
        };
        values.push((":next", s(time_key(next))));
        // A mail that is done with is kept as long as the office keeps
        // closed cases, then removed by TTL; a pending one stays.
        if let Some(exp) = done_at.and_then(|at| {
            self.retention_years.and_then(|years| {
                at.checked_add_months(Months::new(years.saturating_mul(12)))
                    .map(|t| t.timestamp())
            })
        }) {
            set.push(format!("{TTL_ATTRIBUTE} = :exp"));
            values.push((":exp", n(exp)));
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        if let Some(add) = add {
            expression.push_str(&format!(" ADD {add}"));
        }
        self.meter.wrote();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(note_key(id)))
            .update_expression(expression)
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status");
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }
}

impl RateCounter for DynamoStore {
    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.meter.wrote();
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                format!("RATE#{key}#{}", time_key(window_start)),
                "RATE",
            )))
            .update_expression(format!(
                "ADD #c :one SET {TTL_ATTRIBUTE} = if_not_exists({TTL_ATTRIBUTE}, :exp)"
            ))
            .expression_attribute_names("#c", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires_at.timestamp()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        let attrs = out.attributes.unwrap_or_default();
        get_n(&attrs, "count", "a rate counter")
    }
}

impl Jobs for DynamoStore {
    async fn claim_job(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.meter.wrote();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key(format!("JOB#{key}"), "JOB")))
            .update_expression("SET done = :false, lease_until = :lease")
            .condition_expression(format!(
                "attribute_not_exists({PARTITION_KEY}) OR (done = :false AND lease_until <= :now)"
            ))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":lease", s(time_key(lease_until)))
            .expression_attribute_values(":now", s(time_key(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    async fn finish_job(&self, key: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.meter.wrote();
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key(format!("JOB#{key}"), "JOB")))
            .update_expression("SET done = :true, lease_until = :at")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":at", s(time_key(at)))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }
}
