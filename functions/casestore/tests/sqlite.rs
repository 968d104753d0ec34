//! The SQLite store keeps the store contract, in memory and in a file.

use casestore::sqlite::SqliteStore;

mod in_memory {
    use super::*;
    casestore::store_contract!(|| async { SqliteStore::in_memory().expect("open in memory") });
}

mod in_a_file {
    use super::*;

    /// A fresh database file per test, removed when the process ends.
    fn fresh_path() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!("casestore-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        dir.join(format!("{}.sqlite", NEXT.fetch_add(1, Ordering::SeqCst)))
    }

    casestore::store_contract!(|| async { SqliteStore::open(fresh_path()).expect("open file") });
}

#[tokio::test]
async fn a_file_keeps_cases_after_reopening() {
    use casestore::contract::{new_case, t0};
    use casestore::prelude::*;
    let path = std::env::temp_dir().join(format!("casestore-reopen-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let new = new_case(Some("key-reopen"), t0());
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create_case(new.clone()).await.expect("create");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let record = store
        .case(&new.case.tracking)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(record.case, new.case);
    assert_eq!(record.submission, new.submission);
}
