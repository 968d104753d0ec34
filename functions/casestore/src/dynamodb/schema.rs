//! The table's shape, named once: its key attributes, its secondary
//! indexes and its TTL attribute.
//!
//! [`create_table`] builds a table from these names (tests, local set-ups),
//! the store's queries read the indexes through them, and
//! `tests/template.rs` checks that `infra/template.yaml` declares exactly
//! the same, so the production table cannot drift from the code. What goes
//! into an item is `items.rs`; this file is only the shape.
//!
//! Every key attribute is a string. The global secondary indexes are all
//! sparse (an item is in an index only when it has the index's attributes),
//! all project every attribute, and each has one fixed partition value:
//! - `due`: `due_shard` / `due_at`: the cases with something due, so the
//!   scheduler reads only those;
//! - `outbox`: `outbox` / `next_attempt_at`: the pending notifications;
//! - `received`: `case_shard` / `received_at`: cases by arrival, for
//!   statistics and exports.

use super::unavailable;
use crate::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

/// The table's partition key.
pub const PARTITION_KEY: &str = "pk";
/// The table's sort key.
pub const SORT_KEY: &str = "sk";
/// Epoch seconds after which DynamoDB's TTL removes an item.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A sparse global secondary index that projects every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    /// The partition key attribute.
    pub hash: &'static str,
    /// The sort key attribute (a time key, so string order is time order).
    pub range: &'static str,
    /// The one partition value every item in the index has.
    pub shard: &'static str,
}

/// Cases with something due.
pub const DUE: Index = Index {
    name: "due",
    hash: "due_shard",
    range: "due_at",
    shard: "DUE",
};

/// Pending notifications.
pub const OUTBOX: Index = Index {
    name: "outbox",
    hash: "outbox",
    range: "next_attempt_at",
    shard: "PENDING",
};

/// Cases by arrival.
pub const RECEIVED: Index = Index {
    name: "received",
    hash: "case_shard",
    range: "received_at",
    shard: "CASE",
};

/// Every index of the table.
pub const INDEXES: [Index; 3] = [DUE, OUTBOX, RECEIVED];

/// Every attribute that is a key of the table or of an index, each once,
/// table keys first: what the table's attribute definitions list.
pub fn key_attributes() -> Vec<&'static str> {
    let mut names = vec![PARTITION_KEY, SORT_KEY];
    for index in INDEXES {
        for name in [index.hash, index.range] {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn request_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("dynamodb request: {e}"))
}

/// Creates the table, its indexes and TTL, and waits until it is active.
/// For tests and local set-ups; production declares it in infra.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(request_error)
    };
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(SORT_KEY, KeyType::Range)?);
    for index in INDEXES {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.hash, KeyType::Hash)?)
                .key_schema(key(index.range, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(request_error)?,
        );
    }
    for a in key_attributes() {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(request_error)?,
        );
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
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(request_error)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_attribute_is_defined_once() {
        assert_eq!(
            key_attributes(),
            [
                "pk",
                "sk",
                "due_shard",
                "due_at",
                "outbox",
                "next_attempt_at",
                "case_shard",
                "received_at"
            ]
        );
    }
}
