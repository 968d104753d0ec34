//! A fresh DynamoDB table on the local endpoint (moto), for tests,
//! benchmarks and the load harness: the one place that turns the
//! environment into a client and a new, empty table.
//!
//! The endpoint, region and credentials come from the environment as the
//! SDK reads them (`AWS_ENDPOINT_URL` and friends). A missing endpoint is an
//! error that says how to start one, never a silent skip. Not for
//! production: the feature `testing` is for dev-dependencies and harnesses.

use crate::StoreError;
use crate::dynamodb::DynamoStore;
use aws_sdk_dynamodb::Client;
use std::sync::atomic::{AtomicU32, Ordering};

/// How to get a local endpoint, quoted in every error.
pub const HOW_TO_START: &str = "run tests/run, or start the local endpoint yourself: \
pip install 'moto[server]' && python3 tests/aws/moto_server.py 127.0.0.1 5005 & \
export AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 \
AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";

/// The variables the local endpoint needs.
const NEEDED: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
];

#[derive(Debug, thiserror::Error)]
pub enum LocalTableError {
    #[error("{0} is not set. Fix: {how}", how = HOW_TO_START)]
    Unset(&'static str),
    #[error("could not create table {table} ({source}). Fix: {how}", how = HOW_TO_START)]
    Create { table: String, source: StoreError },
}

/// The local endpoint's URL, once every variable it needs is set.
pub fn endpoint() -> Result<String, LocalTableError> {
    for var in NEEDED {
        if std::env::var_os(var).is_none() {
            return Err(LocalTableError::Unset(var));
        }
    }
    std::env::var("AWS_ENDPOINT_URL").map_err(|_| LocalTableError::Unset("AWS_ENDPOINT_URL"))
}

/// A client for the local endpoint.
pub async fn client() -> Result<Client, LocalTableError> {
    endpoint()?;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    Ok(Client::new(&config))
}

/// A table name no earlier run used: the server keeps tables between runs,
/// and tests in one process run in parallel.
pub fn unique_table_name(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{label}-{}-{stamp}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A new, empty table (keys, indexes, TTL) through `client`; its name.
pub async fn fresh_table_on(client: &Client, label: &str) -> Result<String, LocalTableError> {
    let table = unique_table_name(label);
    match DynamoStore::create_table(client, &table).await {
        Ok(()) => Ok(table),
        Err(source) => Err(LocalTableError::Create { table, source }),
    }
}

/// A new, empty table and a client for it.
pub async fn fresh_table(label: &str) -> Result<(Client, String), LocalTableError> {
    let client = client().await?;
    let table = fresh_table_on(&client, label).await?;
    Ok((client, table))
}

/// A store on a new, empty table; panics (failing the test) with how to
/// start the endpoint when there is none.
pub async fn fresh_store(label: &str) -> DynamoStore {
    match fresh_table(label).await {
        Ok((client, table)) => DynamoStore::new(client, table),
        Err(e) => panic!("{e}"),
    }
}
