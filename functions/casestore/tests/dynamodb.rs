//! The DynamoDB store keeps the store contract, against a local moto server.
//! Each test gets its own fresh table, so the tests run in parallel.

use casestore::dynamodb::DynamoStore;

async fn fresh_store() -> DynamoStore {
    casestore::testing::fresh_store("casestore").await
}

/// A new, empty table and a client for it.
async fn fresh_table() -> (aws_sdk_dynamodb::Client, String) {
    // Never skip: a missing server is a failure that says how to fix it.
    casestore::testing::fresh_table("casestore")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

casestore::store_contract!(fresh_store);

/// The case item of `tracking`, as stored.
async fn raw_case(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    tracking: &casework::tracking::TrackingNumber,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("CASE#{tracking}")))
        .key("sk", AttributeValue::S("CASE".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the case item")
}

/// The benchmark's seeding writes exactly the case item `create_case`
/// writes, so a seeded case reads back, and is found by the indexes, as a
/// created one is.
#[tokio::test]
async fn a_seeded_case_is_stored_as_a_created_one() {
    use casestore::NewCase;
    use casestore::contract::{hours, new_case, rules};
    use casestore::prelude::*;
    use casework::lifecycle::{Actor, Command, apply};
    use casework::rules::DepartmentId;

    // One open (in the due index) and one closed case (with an expiry).
    let open = NewCase {
        notifications: vec![],
        next_due: Some(hours(2)),
        ..new_case(None, hours(0))
    };
    let housing = Actor::Department(DepartmentId::new("housing"));
    let mut closed = new_case(None, hours(0));
    closed.notifications.clear();
    closed.case = apply(
        &closed.case,
        Command::Accept,
        housing.clone(),
        hours(1),
        rules(),
    )
    .expect("accept");
    closed.case = apply(
        &closed.case,
        Command::Close {
            outcome: "done".into(),
        },
        housing,
        hours(2),
        rules(),
    )
    .expect("close");

    let (client_a, created_table) = fresh_table().await;
    let (client_b, seeded_table) = fresh_table().await;
    let created = DynamoStore::new(client_a.clone(), &created_table).with_retention_years(2);
    let seeded = DynamoStore::new(client_b.clone(), &seeded_table).with_retention_years(2);
    for new in [&open, &closed] {
        created.create_case(new.clone()).await.expect("created");
    }
    seeded
        .seed_cases(&[open.clone(), closed.clone()])
        .await
        .expect("seeded");
    for new in [&open, &closed] {
        let t = &new.case.tracking;
        assert_eq!(
            raw_case(&client_b, &seeded_table, t).await,
            raw_case(&client_a, &created_table, t).await
        );
        let a = created.case(t).await.expect("read").expect("created");
        let b = seeded.case(t).await.expect("read").expect("seeded");
        assert_eq!(a, b);
        assert_eq!(b.case, new.case);
        assert_eq!(b.version, 1);
    }
    let due = seeded.due_cases(hours(3), 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].case, open.case);
    let received = seeded
        .cases_received_between(hours(-1), hours(1))
        .await
        .expect("received");
    assert_eq!(received.len(), 2);

    // More than one batch of 25; what has notifications or a key is refused.
    let many: Vec<NewCase> = (0..60)
        .map(|_| NewCase {
            notifications: vec![],
            ..new_case(None, hours(5))
        })
        .collect();
    seeded.seed_cases(&many).await.expect("seeded");
    let received = seeded
        .cases_received_between(hours(4), hours(6))
        .await
        .expect("received");
    assert_eq!(received.len(), 60);
    assert!(
        seeded
            .seed_cases(&[new_case(None, hours(0))])
            .await
            .is_err()
    );
    let keyed = NewCase {
        notifications: vec![],
        ..new_case(Some("key-seeded-refused"), hours(0))
    };
    assert!(seeded.seed_cases(&[keyed]).await.is_err());
}

/// Every request is counted: reads with their items and capacity, both as
/// reported and as priced from the items' sizes, and writes.
#[tokio::test]
async fn reads_are_counted_with_their_capacity() {
    use casestore::contract::{hours, new_case};
    use casestore::prelude::*;
    let store = fresh_store().await;
    let new = casestore::NewCase {
        next_due: Some(hours(1)),
        ..new_case(None, hours(0))
    };
    store.create_case(new.clone()).await.expect("created");
    store.take_usage();
    store
        .case(&new.case.tracking)
        .await
        .expect("read")
        .expect("there");
    let due = store.due_cases(hours(2), 10).await.expect("due");
    assert_eq!(due.len(), 1);
    let pending = store
        .pending_notifications(hours(2), 10)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 1);
    let cost = store.take_usage();
    assert_eq!((cost.read_requests, cost.items_read), (3, 3));
    assert_eq!(cost.write_requests, 0);
    // A case item is well under 4 KB: one unit for the strongly
    // consistent GetItem, half a unit for each index query.
    assert_eq!(cost.computed_rcu, 2.0);
    assert!(cost.reported_rcu > 0.0 || cost.unreported == 3, "{cost:?}");
    assert_eq!(store.usage(), casestore::dynamodb::Usage::default());
    store
        .create_case(new_case(None, hours(0)))
        .await
        .expect("created");
    assert_eq!(store.usage().write_requests, 1);
}

/// A mail that is done with expires with the office's retention; a pending
/// one never does.
#[tokio::test]
async fn sent_mail_expires_with_the_retention_and_pending_mail_does_not() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use casestore::Delivery;
    use casestore::contract::{hours, new_case};
    use casestore::prelude::*;
    let (client, table) = fresh_table().await;
    let store = DynamoStore::new(client.clone(), &table).with_retention_years(3);
    let new = new_case(None, hours(0));
    let id = new.notifications[0].id.clone();
    store.create_case(new).await.expect("created");
    let note = |client: aws_sdk_dynamodb::Client, table: String, id: String| async move {
        client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(format!("NOTE#{id}")))
            .key("sk", AttributeValue::S("NOTE".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem")
            .item
            .expect("the notification item")
    };
    let pending = note(client.clone(), table.clone(), id.clone()).await;
    assert!(!pending.contains_key("expires_at"), "{pending:?}");
    store
        .record_delivery(&id, Delivery::Sent { at: hours(1) })
        .await
        .expect("recorded");
    let sent = note(client, table, id).await;
    let three_years = hours(1)
        .checked_add_months(chrono::Months::new(36))
        .expect("a date")
        .timestamp()
        .to_string();
    assert_eq!(
        sent.get("expires_at"),
        Some(&AttributeValue::N(three_years))
    );
}
