//! The production store: one DynamoDB table.
//!
//! Single-table design; every item has string keys `pk` and `sk`:
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | case | `CASE#<tracking>` | `CASE` | `case_json`, `submission_json`, `version` (N), `received_at`, `case_shard` = `CASE`; `due_shard` = `DUE` and `due_at` only while something is due; `expires_at` (N, epoch seconds) once closed, when a retention is set |
//! | idempotency key | `IDEM#<key>` | `IDEM` | `tracking` |
//! | notification | `NOTE#<id>` | `NOTE` | `tracking`, `status`, `attempts` (N), `next_attempt_at`, `last_error`, `message_json`; `outbox` = `PENDING` only while pending; `expires_at` (N) once sent or given up, when a retention is set |
//! | rate counter | `RATE#<key hash>#<window start>` | `RATE` | `count` (N), `expires_at` (N) |
//! | once-only job | `JOB#<key>` | `JOB` | `done` (BOOL), `lease_until` |
//!
//! Global secondary indexes, all sparse (an item is in an index only when it
//! has the index's attributes), all projecting every attribute:
//! - `due`: `due_shard` / `due_at`: the cases with something due, so the
//!   scheduler reads only those;
//! - `outbox`: `outbox` / `next_attempt_at`: the pending notifications;
//! - `received`: `case_shard` / `received_at`: cases by arrival, for
//!   statistics and exports.
//!
//! Every read asks for its consumed capacity; [`DynamoStore::usage`] adds
//! up the requests, the items they returned and the read capacity units,
//! both as DynamoDB reported them and as priced from the items' sizes by
//! DynamoDB's rules (a local endpoint may report none, or a fixed figure),
//! and counts the write requests.
//!
//! Times in keys are fixed-width UTC strings (nanoseconds, `Z`), so string
//! order is time order. TTL on `expires_at` removes rate counters and, when
//! [`DynamoStore::with_retention_years`] is set, closed cases after the
//! retention period. There are no separate event items: the audit trail is
//! inside the case JSON, written with the case in the same conditional write.
//! A claim's lease is the notification's `next_attempt_at`.

use crate::stored::{
    from_json, parse_time_key, submission_from_json, submission_to_json, time_key, to_json,
};
use crate::{
    CaseRecord, Created, Delivery, NewCase, Notification, NotificationStatus, Store, StoreError,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnConsumedCapacity,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification, TransactWriteItem, Update,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Months, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

type Item = HashMap<String, AttributeValue>;

/// The DynamoDB [`Store`].
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention_years: Option<u32>,
    /// Shared by clones: a clone's requests count with the original's.
    meter: Arc<Meter>,
}

/// What a store's requests cost, added up since it was made or the count
/// was last taken ([`DynamoStore::take_usage`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Read requests: GetItem calls and Query pages.
    pub read_requests: u64,
    /// Items those requests returned.
    pub items_read: u64,
    /// Read capacity units as DynamoDB reported them
    /// (`ReturnConsumedCapacity::Total`).
    pub reported_rcu: f64,
    /// Read requests whose answer reported no consumed capacity.
    pub unreported: u64,
    /// The same reads priced by DynamoDB's rules from the sizes of the
    /// items returned: a GetItem rounds its item up to 4 KB units, a Query
    /// page sums its items first; one unit at least per request; the
    /// indexes are read eventually consistent, at half a unit per 4 KB.
    pub computed_rcu: f64,
    /// Write requests (transactions, single-item writes, batches), each
    /// attempt counted.
    pub write_requests: u64,
}

#[derive(Debug, Default)]
struct Meter {
    requests: AtomicU64,
    items: AtomicU64,
    /// Thousandths of a unit.
    reported_milli: AtomicU64,
    unreported: AtomicU64,
    /// Halves of a unit.
    computed_halves: AtomicU64,
    writes: AtomicU64,
}

/// Eventually consistent reads cost half a strongly consistent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consistency {
    Strong,
    Eventual,
}

impl Meter {
    fn add(&self, items: &[&Item], consistency: Consistency, reported: Option<&ConsumedCapacity>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        match reported.and_then(|c| c.capacity_units()) {
            Some(units) => {
                self.reported_milli
                    .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
            }
            None => {
                self.unreported.fetch_add(1, Ordering::Relaxed);
            }
        }
        let bytes: usize = items.iter().map(|i| item_size(i)).sum();
        let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as u64;
        let halves = match consistency {
            Consistency::Strong => 2 * units,
            Consistency::Eventual => units,
        };
        self.computed_halves.fetch_add(halves, Ordering::Relaxed);
    }

    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self, reset: bool) -> Usage {
        let get = |a: &AtomicU64| {
            if reset {
                a.swap(0, Ordering::Relaxed)
            } else {
                a.load(Ordering::Relaxed)
            }
        };
        Usage {
            read_requests: get(&self.requests),
            items_read: get(&self.items),
            reported_rcu: get(&self.reported_milli) as f64 / 1000.0,
            unreported: get(&self.unreported),
            computed_rcu: get(&self.computed_halves) as f64 / 2.0,
            write_requests: get(&self.writes),
        }
    }
}

/// One read capacity unit reads this much, strongly consistent.
const READ_UNIT_BYTES: usize = 4096;

/// An item's size as DynamoDB counts it: each attribute's name and value
/// (strings and binaries by their bytes, numbers at one byte per two
/// significant digits plus one, booleans and nulls one byte, lists and
/// maps three bytes plus one per element and the elements).
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let mantissa = n.split(['e', 'E']).next().unwrap_or(n);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

const DUE_INDEX: &str = "due";
const OUTBOX_INDEX: &str = "outbox";
const RECEIVED_INDEX: &str = "received";
const PENDING: &str = "PENDING";

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A failed call, by its error code only: DynamoDB's messages may quote
/// request values, and those can be private.
fn unavailable<E: ProvideErrorMetadata + std::error::Error + 'static>(
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

fn get_s<'a>(item: &'a Item, name: &str, what: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!("{what}: missing {name}"))),
    }
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &str, what: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad {name}"))),
        _ => Err(StoreError::Corrupt(format!("{what}: missing {name}"))),
    }
}

fn case_key(tracking: &TrackingNumber) -> Item {
    HashMap::from([
        ("pk".into(), s(format!("CASE#{tracking}"))),
        ("sk".into(), s("CASE")),
    ])
}

fn note_key(id: &str) -> Item {
    HashMap::from([
        ("pk".into(), s(format!("NOTE#{id}"))),
        ("sk".into(), s("NOTE")),
    ])
}

fn status_text(st: NotificationStatus) -> &'static str {
    match st {
        NotificationStatus::Pending => "pending",
        NotificationStatus::Sent => "sent",
        NotificationStatus::Failed => "failed",
    }
}

fn note_item(note: &Notification) -> Result<Item, StoreError> {
    let mut item = note_key(&note.id);
    item.insert("tracking".into(), s(note.tracking.as_str()));
    item.insert("status".into(), s(status_text(note.status)));
    item.insert("attempts".into(), n(note.attempts));
    item.insert("next_attempt_at".into(), s(time_key(note.next_attempt_at)));
    item.insert(
        "message_json".into(),
        s(to_json(
            &note.message,
            &format!("notification {}", note.id),
        )?),
    );
    if let Some(err) = &note.last_error {
        item.insert("last_error".into(), s(err.clone()));
    }
    if note.status == NotificationStatus::Pending {
        item.insert("outbox".into(), s(PENDING));
    }
    Ok(item)
}

fn note_from(item: &Item) -> Result<Notification, StoreError> {
    let pk = get_s(item, "pk", "a notification")?;
    let id = pk.strip_prefix("NOTE#").unwrap_or(pk).to_string();
    let what = format!("notification {id}");
    let status = match get_s(item, "status", &what)? {
        "pending" => NotificationStatus::Pending,
        "sent" => NotificationStatus::Sent,
        "failed" => NotificationStatus::Failed,
        _ => return Err(StoreError::Corrupt(format!("{what}: unknown status"))),
    };
    Ok(Notification {
        tracking: TrackingNumber::parse(get_s(item, "tracking", &what)?)
            .map_err(|_| StoreError::Corrupt(format!("{what}: bad tracking number")))?,
        message: from_json(get_s(item, "message_json", &what)?, &what)?,
        status,
        attempts: get_n(item, "attempts", &what)?,
        next_attempt_at: parse_time_key(get_s(item, "next_attempt_at", &what)?, &what)?,
        last_error: match item.get("last_error") {
            Some(AttributeValue::S(e)) => Some(e.clone()),
            _ => None,
        },
        id,
    })
}

fn case_from(item: &Item) -> Result<CaseRecord, StoreError> {
    let pk = get_s(item, "pk", "a case")?;
    let tracking = pk.strip_prefix("CASE#").unwrap_or(pk);
    let what = format!("case {tracking}");
    Ok(CaseRecord {
        case: from_json(get_s(item, "case_json", &what)?, &what)?,
        submission: submission_from_json(get_s(item, "submission_json", &what)?, tracking)?,
        version: get_n(item, "version", &what)?,
    })
}

fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
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

    /// Lets closed cases expire (DynamoDB TTL) this many years after
    /// closing: the caller passes the rulebook's `retention.years`.
    /// A store on the table `table_name`, with the SDK configured from the
    /// environment (region, credentials, and `AWS_ENDPOINT_URL` in tests).
    pub async fn from_env(table_name: impl Into<String>) -> DynamoStore {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        DynamoStore::new(Client::new(&config), table_name)
    }

    pub fn with_retention_years(mut self, years: u32) -> DynamoStore {
        self.retention_years = Some(years);
        self
    }

    /// Creates the table, its indexes and TTL, and waits until it is
    /// active. For tests and local setups; production declares it in infra.
    pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
        let attr = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))
        };
        let key = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))
        };
        let index =
            |name: &str, hash: &str, range: &str| -> Result<GlobalSecondaryIndex, StoreError> {
                GlobalSecondaryIndex::builder()
                    .index_name(name)
                    .key_schema(key(hash, KeyType::Hash)?)
                    .key_schema(key(range, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))
            };
        let mut req = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .global_secondary_indexes(index(DUE_INDEX, "due_shard", "due_at")?)
            .global_secondary_indexes(index(OUTBOX_INDEX, "outbox", "next_attempt_at")?)
            .global_secondary_indexes(index(RECEIVED_INDEX, "case_shard", "received_at")?);
        for a in [
            "pk",
            "sk",
            "due_shard",
            "due_at",
            "outbox",
            "next_attempt_at",
            "case_shard",
            "received_at",
        ] {
            req = req.attribute_definitions(attr(a)?);
        }
        req.send()
            .await
            .map_err(|e| unavailable("CreateTable", e))?;
        for _ in 0..120 {
            let desc = client
                .describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(|e| unavailable("DescribeTable", e))?;
            if desc.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                let ttl = TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(|e| StoreError::Unavailable(format!("dynamodb request: {e}")))?;
                client
                    .update_time_to_live()
                    .table_name(name)
                    .time_to_live_specification(ttl)
                    .send()
                    .await
                    .map_err(|e| unavailable("UpdateTimeToLive", e))?;
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Err(StoreError::Unavailable(format!(
            "dynamodb table {name} did not become active"
        )))
    }

    fn expires_at(&self, case: &Case) -> Option<i64> {
        let years = self.retention_years?;
        let closed = case.closed_at?;
        closed
            .checked_add_months(Months::new(years.saturating_mul(12)))
            .map(|t| t.timestamp())
    }

    fn case_item(&self, new: &NewCase) -> Result<Item, StoreError> {
        let t = &new.case.tracking;
        let mut item = case_key(t);
        item.insert(
            "case_json".into(),
            s(to_json(&new.case, &format!("case {t}"))?),
        );
        item.insert(
            "submission_json".into(),
            s(submission_to_json(&new.submission)?),
        );
        item.insert("version".into(), n(1));
        item.insert("received_at".into(), s(time_key(new.case.received_at)));
        item.insert("case_shard".into(), s("CASE"));
        if let Some(due) = new.next_due {
            item.insert("due_shard".into(), s("DUE"));
            item.insert("due_at".into(), s(time_key(due)));
        }
        if let Some(exp) = self.expires_at(&new.case) {
            item.insert("expires_at".into(), n(exp));
        }
        Ok(item)
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

    async fn query_index(
        &self,
        index: &str,
        hash: (&str, &str),
        range: &str,
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
                .index_name(index)
                .key_condition_expression(format!("#h = :h AND {condition}"))
                .expression_attribute_names("#h", hash.0)
                .expression_attribute_names("#r", range)
                .expression_attribute_values(":h", s(hash.1))
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

impl Store for DynamoStore {
    async fn create_case(&self, new: NewCase) -> Result<Created, StoreError> {
        let tracking = new.case.tracking.clone();
        let key = new
            .submission
            .idempotency_key
            .as_ref()
            .map(|k| k.as_str().to_string());
        let mut writes = Vec::new();
        if let Some(key) = &key {
            let item = HashMap::from([
                ("pk".to_string(), s(format!("IDEM#{key}"))),
                ("sk".to_string(), s("IDEM")),
                ("tracking".to_string(), s(tracking.as_str())),
            ]);
            writes.push(put_new(&self.table, item)?);
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
                .get(
                    HashMap::from([
                        ("pk".to_string(), s(format!("IDEM#{key}"))),
                        ("sk".to_string(), s("IDEM")),
                    ]),
                    "GetItem",
                )
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
        let mut set = vec!["case_json = :c", "version = version + :one"];
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
                set.extend(["due_shard = :ds", "due_at = :da"]);
                values.insert(":ds".into(), s("DUE"));
                values.insert(":da".into(), s(time_key(due)));
            }
            None => remove.extend(["due_shard", "due_at"]),
        }
        match self.expires_at(case) {
            Some(exp) => {
                set.push("expires_at = :exp");
                values.insert(":exp".into(), n(exp));
            }
            None => remove.push("expires_at"),
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(case_key(&case.tracking)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk) AND version = :v")
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
        if limit == 0 {
            return Ok(Vec::new());
        }
        let items = self
            .query_index(
                DUE_INDEX,
                ("due_shard", "DUE"),
                "due_at",
                "#r <= :now",
                vec![(":now", time_key(now))],
                limit,
            )
            .await?;
        items.iter().map(case_from).collect()
    }

    async fn pending_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let items = self
            .query_index(
                OUTBOX_INDEX,
                ("outbox", PENDING),
                "next_attempt_at",
                "#r <= :now",
                vec![(":now", time_key(now))],
                limit,
            )
            .await?;
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
            .update_expression("SET next_attempt_at = :lease")
            .condition_expression("#s = :pending AND next_attempt_at <= :now")
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
        let mut set = vec!["next_attempt_at = :next"];
        let mut remove = Vec::new();
        let mut add = None;
        let mut values: Vec<(&str, AttributeValue)> = vec![(":pending", s("pending"))];
        let (done_at, next) = match delivery {
            Delivery::Sent { at } => {
                set.push("#s = :status");
                values.push((":status", s(status_text(NotificationStatus::Sent))));
                remove.push("outbox");
                (Some(at), at)
            }
            Delivery::Failed {
                at,
                error,
                retry_at,
                give_up,
            } => {
                set.push("last_error = :error");
                values.push((":error", s(error)));
                add = Some("attempts :one");
                values.push((":one", n(1)));
                if give_up {
                    set.push("#s = :status");
                    values.push((":status", s(status_text(NotificationStatus::Failed))));
                    remove.push("outbox");
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
            set.push("expires_at = :exp");
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
            .key("pk", s(format!("RATE#{key}#{}", time_key(window_start))))
            .key("sk", s("RATE"))
            .update_expression("ADD #c :one SET expires_at = if_not_exists(expires_at, :exp)")
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
                RECEIVED_INDEX,
                ("case_shard", "CASE"),
                "received_at",
                "#r BETWEEN :from AND :to",
                vec![(":from", time_key(from)), (":to", end.clone())],
                usize::MAX,
            )
            .await?;
        items
            .iter()
            .filter(
                |item| matches!(item.get("received_at"), Some(AttributeValue::S(r)) if *r != end),
            )
            .map(case_from)
            .collect()
    }

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
            .key("pk", s(format!("JOB#{key}")))
            .key("sk", s("JOB"))
            .update_expression("SET done = :false, lease_until = :lease")
            .condition_expression(
                "attribute_not_exists(pk) OR (done = :false AND lease_until <= :now)",
            )
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
            .key("pk", s(format!("JOB#{key}")))
            .key("sk", s("JOB"))
            .update_expression("SET done = :true, lease_until = :at")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":at", s(time_key(at)))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sizes_follow_dynamodb_s_rules() {
        let item = HashMap::from([
            ("pk".to_string(), s("CASE#AB")),                 // 2 + 7
            ("version".to_string(), n(12345)),                // 7 + 3 + 1
            ("done".to_string(), AttributeValue::Bool(true)), // 4 + 1
            (
                "l".to_string(),
                AttributeValue::L(vec![s("ab"), AttributeValue::Null(true)]),
            ), // 1 + 3 + (1 + 2) + (1 + 1)
        ]);
        assert_eq!(item_size(&item), 9 + 11 + 5 + 9);
        assert_eq!(number_size("0"), 1);
        assert_eq!(number_size("1000"), 2);
        assert_eq!(number_size("-12.5"), 3);
        assert_eq!(number_size("1700000000"), 2);
    }

    #[test]
    fn reads_are_priced_in_4_kb_units_at_half_for_the_indexes() {
        let meter = Meter::default();
        let big = HashMap::from([("x".to_string(), s("y".repeat(5000)))]);
        let small = HashMap::from([("x".to_string(), s("y"))]);
        // A strongly consistent GetItem of 5 KB: two units.
        meter.add(&[&big], Consistency::Strong, None);
        // A missing item still costs one.
        meter.add(&[], Consistency::Strong, None);
        // A query page sums first: 5 KB + 2 bytes is two 4 KB units, at half.
        let reported = ConsumedCapacity::builder().capacity_units(1.5).build();
        meter.add(&[&big, &small], Consistency::Eventual, Some(&reported));
        let cost = meter.read(true);
        meter.wrote();
        assert_eq!(
            cost,
            Usage {
                read_requests: 3,
                items_read: 3,
                reported_rcu: 1.5,
                unreported: 2,
                computed_rcu: 2.0 + 1.0 + 1.0,
                write_requests: 0,
            }
        );
        assert_eq!(meter.read(false).write_requests, 1);
    }
}
