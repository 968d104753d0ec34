//! The production store: one DynamoDB table.
//!
//! Single-table design; every item has string keys `pk` and `sk`:
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | case | `CASE#<tracking>` | `CASE` | `case_json`, `submission_json`, `version` (N), `received_at`, `case_shard` = `CASE`; `due_shard` = `DUE` and `due_at` only while something is due; `expires_at` (N, epoch seconds) once closed, when a retention is set |
//! | idempotency key | `IDEM#<key>` | `IDEM` | `tracking` |
//! | notification | `NOTE#<id>` | `NOTE` | `tracking`, `status`, `attempts` (N), `next_attempt_at`, `last_error`, `message_json`; `outbox` = `PENDING` only while pending |
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
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use casework::lifecycle::Case;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Months, Utc};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// The DynamoDB [`Store`].
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention_years: Option<u32>,
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
        }
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
            .send()
            .await
            .map_err(|e| unavailable(op, e))?;
        Ok(out.item)
    }

    /// Reads an index from its start up to `upto` (a time key), in order.
    /// Writes all of `writes` or none, retrying a transaction that failed
    /// for another reason than a condition (a race, a throttle).
    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), Refused> {
        let mut last = None;
        for _ in 0..TRANSACTION_ATTEMPTS {
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
            let out = q.send().await.map_err(|e| unavailable("Query", e))?;
            items.extend(out.items.unwrap_or_default());
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
        let item = self
            .get(note_key(id), "GetItem")
            .await?
            .ok_or(StoreError::Conflict)?;
        let mut note = note_from(&item)?;
        if note.status != NotificationStatus::Pending {
            return Err(StoreError::Conflict);
        }
        let attempts = note.attempts;
        crate::apply_delivery(&mut note, delivery);
        // Conditional on what was read, so two recorders cannot both count.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(note_item(&note)?))
            .condition_expression("#s = :pending AND attempts = :attempts")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":attempts", n(attempts))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::Conflict),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    async fn count_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
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
