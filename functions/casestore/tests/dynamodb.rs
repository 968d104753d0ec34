//! The DynamoDB store keeps the store contract, against a local moto server.
//! Each test gets its own fresh table, so the tests run in parallel.

use casestore::dynamodb::DynamoStore;
use std::sync::atomic::{AtomicU32, Ordering};

const NEED_MOTO: &str = "DynamoDB tests need moto: run tests/run, or `pip install 'moto[server]' && moto_server -H 127.0.0.1 -p 5005 &` then `export AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`";

async fn fresh_store() -> DynamoStore {
    // Never skip: a missing server is a failure that says how to fix it.
    if std::env::var("AWS_ENDPOINT_URL").is_err() {
        panic!("{NEED_MOTO}");
    }
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    // The server keeps tables between runs: make every name new.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!(
        "casestore-{}-{stamp}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    if let Err(e) = DynamoStore::create_table(&client, &name).await {
        panic!("could not create table {name} ({e}). {NEED_MOTO}");
    }
    DynamoStore::new(client, name)
}

casestore::store_contract!(fresh_store);
