//! `infra/template.yaml` declares the table the code uses: exactly its key
//! schema, attribute definitions, secondary indexes and TTL attribute, as
//! named in `casestore::dynamodb::schema`. A change on either side alone
//! fails here.
#![cfg(feature = "dynamodb")]

use casestore::dynamodb::schema::{self, INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use serde_yaml_ng::Value;

const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// The properties of the template's one DynamoDB table.
fn table() -> Value {
    // The template's CloudFormation tags (`!Ref`, `!Sub`, ...) are kept as
    // tagged values; none of them is in the table's properties.
    let template: Value = serde_yaml_ng::from_str(TEMPLATE).expect("infra/template.yaml parses");
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .expect("the template has Resources");
    let tables: Vec<&Value> = resources
        .values()
        .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
        .collect();
    assert_eq!(tables.len(), 1, "the template declares one table");
    tables[0]
        .get("Properties")
        .cloned()
        .expect("the table has Properties")
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{field} is missing or not text in {v:?}"))
}

fn list<'a>(v: &'a Value, field: &str) -> &'a [Value] {
    v.get(field)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{field} is missing or not a list in {v:?}"))
}

/// A key schema as (attribute, HASH or RANGE) pairs, in order.
fn key_schema(v: &Value) -> Vec<(String, String)> {
    list(v, "KeySchema")
        .iter()
        .map(|k| {
            (
                text(k, "AttributeName").to_string(),
                text(k, "KeyType").to_string(),
            )
        })
        .collect()
}

/// An index: its name, key schema and projection.
type IndexDecl = (String, Vec<(String, String)>, Value);

fn hash_range(hash: &str, range: &str) -> Vec<(String, String)> {
    vec![(hash.into(), "HASH".into()), (range.into(), "RANGE".into())]
}

#[test]
fn the_table_has_the_keys_the_code_uses() {
    assert_eq!(key_schema(&table()), hash_range(PARTITION_KEY, SORT_KEY));
}

#[test]
fn the_template_defines_exactly_the_key_attributes_as_strings() {
    let table = table();
    let mut declared: Vec<(String, String)> = list(&table, "AttributeDefinitions")
        .iter()
        .map(|a| {
            (
                text(a, "AttributeName").to_string(),
                text(a, "AttributeType").to_string(),
            )
        })
        .collect();
    declared.sort();
    let mut used: Vec<(String, String)> = schema::key_attributes()
        .into_iter()
        .map(|a| (a.to_string(), "S".to_string()))
        .collect();
    used.sort();
    assert_eq!(declared, used);
}

#[test]
fn the_template_declares_exactly_the_indexes_the_code_queries() {
    let table = table();
    let mut declared: Vec<IndexDecl> = list(&table, "GlobalSecondaryIndexes")
        .iter()
        .map(|i| {
            (
                text(i, "IndexName").to_string(),
                key_schema(i),
                i.get("Projection").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    declared.sort_by(|a, b| a.0.cmp(&b.0));
    // Every index projects every attribute, and nothing else is said.
    let all: Value = serde_yaml_ng::from_str("{ ProjectionType: ALL }").expect("yaml");
    let mut used: Vec<IndexDecl> = INDEXES
        .iter()
        .map(|i| (i.name.to_string(), hash_range(i.hash, i.range), all.clone()))
        .collect();
    used.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(declared, used);
    assert!(
        table.get("LocalSecondaryIndexes").is_none(),
        "the code uses no local secondary index"
    );
}

#[test]
fn ttl_is_on_the_attribute_the_code_writes() {
    let table = table();
    let ttl = table
        .get("TimeToLiveSpecification")
        .expect("the table has TTL");
    assert_eq!(text(ttl, "AttributeName"), TTL_ATTRIBUTE);
    assert_eq!(ttl.get("Enabled").and_then(Value::as_bool), Some(true));
}
