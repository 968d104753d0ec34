//! Merging cases (并单) and taking them apart again: the office's
//! operation on two stored cases.
//!
//! The rules are `casework::lifecycle::merge` and `unmerge`; this module
//! reads both records, applies them and writes both, each on the version
//! it was read at. Two writes, not one, so a crash between them can leave
//! half a change. The merged case is always written first, because it is
//! the one that matters (it stops or restarts its own deadlines and points
//! at its survivor); the survivor's list is the derived side: it is only
//! trusted together with the merged case pointing back
//! (`crate::acting` re-checks it before telling merged complainants), and
//! running the same command again finishes the survivor's write without
//! changing the merged case twice.
//!
//! How the office asked (a CLI command, later a signed link) and how the
//! outcome is shown are the caller's. Nothing is mailed: the complainants
//! hear the survivor's answers when it gets them.

use casestore::{CaseRecord, Store, StoreError};
use casework::Rulebook;
use casework::lifecycle::{self, Actor, Case, LifecycleError};
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};

/// Both cases as stored after the change, with their versions.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedPair {
    pub merged: Case,
    pub merged_version: u64,
    pub survivor: Case,
    pub survivor_version: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no case {0}")]
    NotFound(TrackingNumber),
    /// The rules do not allow it: nothing was written.
    #[error(transparent)]
    Refused(LifecycleError),
    /// One of the cases changed between reading and writing; what was
    /// written before stays (see the module docs) and running the command
    /// again finishes it.
    #[error("{0} was changed by someone else; run the command again")]
    Stale(TrackingNumber),
    #[error(transparent)]
    Store(StoreError),
}

/// Merges the case `merged` into the open case `survivor`.
pub async fn merge<S: Store>(
    rules: &Rulebook,
    store: &S,
    merged: &TrackingNumber,
    survivor: &TrackingNumber,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<MergedPair, MergeError> {
    let (a, b) = (read(store, merged).await?, read(store, survivor).await?);
    let (next_a, next_b) =
        lifecycle::merge(&a.case, &b.case, actor, now, rules).map_err(MergeError::Refused)?;
    write_pair(rules, store, (&a, next_a), (&b, next_b)).await
}

/// Takes `merged` out of the case it was merged into; its deadlines run
/// again as they were (see `casework::lifecycle`).
pub async fn unmerge<S: Store>(
    rules: &Rulebook,
    store: &S,
    merged: &TrackingNumber,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<MergedPair, MergeError> {
    let a = read(store, merged).await?;
    let survivor = match &a.case.merged_into {
        Some(into) => into.clone(),
        None => return Err(MergeError::Refused(LifecycleError::NotMerged)),
    };
    let b = read(store, &survivor).await?;
    let (next_a, next_b) =
        lifecycle::unmerge(&a.case, &b.case, actor, now, rules).map_err(MergeError::Refused)?;
    write_pair(rules, store, (&a, next_a), (&b, next_b)).await
}

async fn read<S: Store>(store: &S, tracking: &TrackingNumber) -> Result<CaseRecord, MergeError> {
    store
        .case(tracking)
        .await
        .map_err(MergeError::Store)?
        .ok_or_else(|| MergeError::NotFound(tracking.clone()))
}

/// Writes the merged case, then the survivor, each only if it changed.
async fn write_pair<S: Store>(
    rules: &Rulebook,
    store: &S,
    (a, next_a): (&CaseRecord, Case),
    (b, next_b): (&CaseRecord, Case),
) -> Result<MergedPair, MergeError> {
    let merged_version = write(rules, store, a, &next_a).await?;
    let survivor_version = write(rules, store, b, &next_b).await?;
    Ok(MergedPair {
        merged: next_a,
        merged_version,
        survivor: next_b,
        survivor_version,
    })
}

async fn write<S: Store>(
    rules: &Rulebook,
    store: &S,
    record: &CaseRecord,
    next: &Case,
) -> Result<u64, MergeError> {
    if *next == record.case {
        return Ok(record.version);
    }
    let next_due = casework::due::next_due(next, rules);
    match store
        .update_case(next, record.version, next_due, Vec::new())
        .await
    {
        Ok(version) => Ok(version),
        Err(StoreError::Conflict) => Err(MergeError::Stale(next.tracking.clone())),
        Err(e) => Err(MergeError::Store(e)),
    }
}
