//! The complainant's own way into their case: the receipt code checked,
//! and what they may do on their case page (write to the office).
//!
//! The code itself is `casework::receipt`'s; here it is checked against
//! the stored hash (off the async threads: Argon2id takes tens of
//! milliseconds on purpose) and the complainant's message is applied
//! like any other command, through `crate::acting`. A wrong code, a case
//! without a code and an unknown number all come back as the same
//! [`NotYours`], so an answer never tells which part was wrong. Rate
//! limits are the caller's (the HTTP adapter counts per client and per
//! number).

use crate::acting::{ActError, Acted, act};
use crate::links::Links;
use casestore::{CaseRecord, Store, StoreError};
use casework::Rulebook;
use casework::lifecycle::{Actor, Command};
use casework::receipt::{DECOY_HASH, ReceiptCode};
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};

/// The code of `tracking`, to show its owner (the thank-you page, a
/// replayed submission).
pub fn receipt_code(links: &Links<'_>, tracking: &TrackingNumber) -> ReceiptCode {
    ReceiptCode::for_case(links.action_secret, tracking)
}

/// Why a case page was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No such case, or the code is not its code: one answer for both.
    #[error("no case matches this tracking number and receipt code")]
    NotYours,
    #[error(transparent)]
    Store(StoreError),
}

/// The case `tracking` if `code` is its receipt code.
pub async fn open_case<S: Store>(
    store: &S,
    tracking: &TrackingNumber,
    code: &ReceiptCode,
) -> Result<CaseRecord, OpenError> {
    let record = store.case(tracking).await.map_err(OpenError::Store)?;
    let hash = record.as_ref().and_then(|r| r.case.receipt.clone());
    let code = code.clone();
    // An unknown number is checked against a hash too, so that it takes
    // as long to refuse as a wrong code.
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => code.matches(&hash),
        None => {
            let _ = code.matches(DECOY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false);
    match record {
        Some(record) if matches => Ok(record),
        _ => Err(OpenError::NotYours),
    }
}

/// The complainant writes to the office on their case page: the words go
/// on the audit trail and to the department by mail, with its links.
pub async fn write_to_office<S: Store>(
    rules: &Rulebook,
    store: &S,
    links: &Links<'_>,
    record: &CaseRecord,
    seen_version: u64,
    text: String,
    now: DateTime<Utc>,
) -> Result<Acted, ActError> {
    act(
        rules,
        store,
        links,
        record,
        seen_version,
        Command::ComplainantMessage { text },
        Actor::Complainant,
        now,
    )
    .await
}
