//! The fault-injecting wrapper forwards every method: wrapped around the
//! in-memory store it keeps the whole store contract, and switched off it
//! refuses every call without reaching the store.

use casestore::faults::Faulty;
use casestore::prelude::*;
use casestore::{MemoryStore, StoreError};
use std::sync::atomic::Ordering;

casestore::store_contract!(|| async { Faulty::new(MemoryStore::new()) });

fn unavailable<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn switched_off_it_refuses_every_call_and_counts_them() {
    use casestore::contract::{hours, new_case, notification, tracking};
    let store = Faulty::new(MemoryStore::new());
    let new = new_case(Some("key-faults"), hours(0));
    let t = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("created");

    store.down.store(true, Ordering::SeqCst);
    unavailable(store.create_case(new_case(None, hours(0))).await);
    unavailable(store.case(&t).await);
    unavailable(store.update_case(&new.case, 1, None, vec![]).await);
    unavailable(store.due_cases(hours(1), 10).await);
    unavailable(store.cases_received_between(hours(-1), hours(1)).await);
    let extra = notification(&tracking(), "extra", hours(0));
    unavailable(store.queue_notifications(vec![extra]).await);
    unavailable(store.pending_notifications(hours(1), 10).await);
    let id = new.notifications[0].id.clone();
    unavailable(store.claim_notification(&id, hours(1), hours(2)).await);
    let sent = casestore::Delivery::Sent { at: hours(1) };
    unavailable(store.record_delivery(&id, sent).await);
    unavailable(store.count_request("k", hours(0), hours(1)).await);
    unavailable(store.claim_job("job", hours(0), hours(1)).await);
    unavailable(store.finish_job("job", hours(0)).await);
    assert_eq!(store.refused.load(Ordering::Relaxed), 12);
    // Nothing reached the inner store; reading through the wrapper does.
    assert_eq!(store.notifications().expect("readable").len(), 1);

    store.down.store(false, Ordering::SeqCst);
    let record = store.case(&t).await.expect("read").expect("there");
    assert_eq!(record.version, 1);
}

#[tokio::test]
async fn an_update_can_be_made_to_lose_a_race_once() {
    use casestore::contract::{hours, new_case};
    let store = Faulty::new(MemoryStore::new());
    let new = new_case(None, hours(0));
    store.create_case(new.clone()).await.expect("created");
    store.lose_next_update.store(true, Ordering::SeqCst);
    assert!(matches!(
        store.update_case(&new.case, 1, None, vec![]).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store
            .update_case(&new.case, 1, None, vec![])
            .await
            .expect("the next one goes through"),
        2
    );
}
