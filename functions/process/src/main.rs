//! The process Lambda function: one [`process::process`] per object an S3
//! `ObjectCreated` event names under the evidence bucket's `quarantine/`.
//!
//! `main` builds the store and the bucket client once. Environment:
//! - `HOTLINE_TABLE` (required): the DynamoDB table;
//! - `HOTLINE_EVIDENCE_BUCKET` (required): the evidence bucket; records
//!   of any other bucket are ignored.
//!
//! An invocation with any failure (store or bucket unavailable) fails as a
//! whole, so Lambda retries it and the error alarm sees it; objects already
//! processed are found gone on the retry. The rulebook is compiled in, as
//! in intake, so both apply the same limits.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use office::settings::{self, env, var};
use process::s3::S3Objects;
use process::{Outcome, event_keys};
use std::sync::Arc;

const RULES: &str = include_str!("../../../content/rules.toml");

#[tokio::main]
async fn main() -> Result<(), Error> {
    settings::init_lambda_tracing();

    let rules = Arc::new(settings::compiled_rulebook(RULES)?);
    let table = env(var::TABLE)?;
    let bucket = env(var::EVIDENCE_BUCKET)?;
    let store = Arc::new(
        casestore::dynamodb::DynamoStore::from_env(table)
            .await
            .with_retention_years(rules.retention.years),
    );
    let objects = Arc::new(S3Objects::from_env(bucket.clone()).await);
    let bucket = Arc::new(bucket);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (rules, store, objects, bucket) = (
            Arc::clone(&rules),
            Arc::clone(&store),
            Arc::clone(&objects),
            Arc::clone(&bucket),
        );
        async move {
            let keys = event_keys(&event.payload, &bucket);
            let mut failures = 0;
            for key in &keys {
                let now = chrono::Utc::now();
                match process::process(&rules, &*store, &*objects, key, now).await {
                    // The outcome and the case, never the file's content.
                    Ok(outcome) => log(key, &outcome),
                    Err(e) => {
                        failures += 1;
                        tracing::error!(error = %e, "evidence not processed");
                    }
                }
            }
            if failures == 0 {
                Ok::<_, Error>(serde_json::json!({ "processed": keys.len() }))
            } else {
                Err(format!("{failures} of {} object(s) not processed", keys.len()).into())
            }
        }
    }))
    .await
}

fn log(key: &str, outcome: &Outcome) {
    // The case's number only: a key no grant made is not logged at all.
    let tracking = office::upload_grant::parse_quarantine_key(key)
        .map(|(t, _)| t.to_string())
        .unwrap_or_default();
    match outcome {
        Outcome::Attached(attached) => {
            tracing::info!(tracking = %tracking, ?attached, "evidence attached")
        }
        Outcome::Refused { code } => {
            tracing::info!(tracking = %tracking, code = *code, "evidence refused")
        }
        Outcome::Discarded { why } => {
            tracing::warn!(tracking = %tracking, why = *why, "evidence discarded")
        }
        Outcome::Gone => tracing::info!(tracking = %tracking, "evidence already processed"),
    }
}
