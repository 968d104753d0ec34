//! The storage form of a submission, and time stamps as index keys.
//!
//! `casework` only serialises a `Submission` (its ids and language are
//! written as plain strings); this mirror reads it back without the core
//! having to know about storage. Text fields are private data: a failure
//! here reports the field, never its content.

use crate::StoreError;
use casework::Lang;
use casework::rules::{CaseTypeId, CategoryId};
use casework::submission::{Contact, EmailAddress, IdempotencyKey, PhoneNumber, Submission};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct StoredSubmission {
    case_type: String,
    category: String,
    contact: StoredContact,
    anonymous: bool,
    subject: Option<String>,
    location: Option<String>,
    occurred_on: Option<NaiveDate>,
    /// Absent from submissions stored before the form asked for it.
    #[serde(default)]
    needed_by: Option<NaiveDate>,
    description: String,
    desired_outcome: Option<String>,
    language: String,
    idempotency_key: Option<IdempotencyKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredContact {
    name: Option<String>,
    phone: Option<PhoneNumber>,
    email: Option<EmailAddress>,
}

pub(crate) fn submission_to_json(s: &Submission) -> Result<String, StoreError> {
    let stored = StoredSubmission {
        case_type: s.case_type.as_str().to_string(),
        category: s.category.as_str().to_string(),
        contact: StoredContact {
            name: s.contact.name.clone(),
            phone: s.contact.phone.clone(),
            email: s.contact.email.clone(),
        },
        anonymous: s.anonymous,
        subject: s.subject.clone(),
        location: s.location.clone(),
        occurred_on: s.occurred_on,
        needed_by: s.needed_by,
        description: s.description.clone(),
        desired_outcome: s.desired_outcome.clone(),
        language: s.language.code().to_string(),
        idempotency_key: s.idempotency_key.clone(),
    };
    serde_json::to_string(&stored)
        .map_err(|_| StoreError::Corrupt("a submission could not be serialised".into()))
}

/// `what` names the record (a tracking number) for the error message.
pub(crate) fn submission_from_json(json: &str, what: &str) -> Result<Submission, StoreError> {
    // serde_json's message could quote the offending text: keep only its position.
    let s: StoredSubmission = serde_json::from_str(json).map_err(|e| {
        StoreError::Corrupt(format!(
            "submission of {what} unreadable at line {} column {}",
            e.line(),
            e.column()
        ))
    })?;
    let language = Lang::from_code(&s.language)
        .ok_or_else(|| StoreError::Corrupt(format!("submission of {what}: unknown language")))?;
    Ok(Submission {
        case_type: CaseTypeId::new(s.case_type),
        category: CategoryId::new(s.category),
        contact: Contact {
            name: s.contact.name,
            phone: s.contact.phone,
            email: s.contact.email,
        },
        anonymous: s.anonymous,
        subject: s.subject,
        location: s.location,
        occurred_on: s.occurred_on,
        needed_by: s.needed_by,
        description: s.description,
        desired_outcome: s.desired_outcome,
        language,
        idempotency_key: s.idempotency_key,
    })
}

/// Any serialisable value as JSON; `what` names it for the error.
pub(crate) fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|_| StoreError::Corrupt(format!("{what} could not be serialised")))
}

/// Reads back JSON this crate wrote; the error names the record and the
/// position only (cases and mails hold private text).
pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(
    json: &str,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::Corrupt(format!(
            "{what} unreadable at line {} column {}",
            e.line(),
            e.column()
        ))
    })
}

/// A time as a fixed-width UTC string (nanoseconds, `Z`), so that string
/// order is time order: used for index keys and range conditions.
pub(crate) fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(crate) fn parse_time_key(s: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("{what}: bad time stamp")))
}
