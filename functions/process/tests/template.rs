//! `infra/template.yaml` keeps the evidence bucket in step with the code
//! and the rulebook: the lifecycle rules and the notification use the
//! prefixes `office::upload_grant` writes, and checked files are kept at
//! least as long as the rulebook's retention.

use office::upload_grant::{EVIDENCE_PREFIX, QUARANTINE_PREFIX};
use serde_yaml_ng::Value;

const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

fn template() -> Value {
    serde_yaml_ng::from_str(TEMPLATE).expect("infra/template.yaml parses")
}

fn bucket(template: &Value) -> &Value {
    template
        .get("Resources")
        .and_then(|r| r.get("EvidenceBucket"))
        .and_then(|b| b.get("Properties"))
        .expect("the template has EvidenceBucket")
}

fn rule<'a>(bucket: &'a Value, id: &str) -> &'a Value {
    bucket["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .expect("lifecycle rules")
        .iter()
        .find(|r| r["Id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no lifecycle rule {id}"))
}

#[test]
fn the_lifecycle_and_the_notification_use_the_codes_prefixes() {
    let template = template();
    let bucket = bucket(&template);
    let quarantine = rule(bucket, "quarantine");
    assert_eq!(quarantine["Prefix"].as_str(), Some(QUARANTINE_PREFIX));
    assert_eq!(quarantine["ExpirationInDays"].as_u64(), Some(1));
    assert_eq!(
        rule(bucket, "evidence")["Prefix"].as_str(),
        Some(EVIDENCE_PREFIX)
    );
    let notification = &bucket["NotificationConfiguration"]["LambdaConfigurations"][0];
    assert_eq!(notification["Event"].as_str(), Some("s3:ObjectCreated:*"));
    assert_eq!(
        notification["Filter"]["S3Key"]["Rules"][0]["Value"].as_str(),
        Some(QUARANTINE_PREFIX)
    );
    assert!(
        bucket.get("VersioningConfiguration").is_none(),
        "versioning stays off: a deleted file must be gone"
    );
}

#[test]
fn checked_files_are_kept_at_least_the_rulebooks_retention() {
    let template = template();
    let days = template["Parameters"]["EvidenceRetentionDays"]["Default"]
        .as_u64()
        .expect("EvidenceRetentionDays has a default");
    let years = u64::from(casestore::contract::rules().retention.years);
    // The retention counts from closing, the rule from arrival.
    assert!(
        days >= years * 366,
        "EvidenceRetentionDays ({days}) is shorter than the rulebook's {years} years"
    );
}
