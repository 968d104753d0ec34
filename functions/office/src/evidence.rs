//! Filing a case with the files that came with it.
//!
//! Every file is checked by the `evidence` crate against the rulebook's
//! `[evidence]` limits before anything is stored: the type from its bytes,
//! images re-encoded upright without their metadata, PDFs checked. Only
//! when the form and every file pass are the checked copies kept (by their
//! fingerprint, in the [`EvidenceFiles`] given) and the case filed with
//! their descriptions, so its department's mail lists them. For a type
//! whose sender's identity is withheld (reports), PDFs are kept without
//! their document information, which can name the author. A refused file
//! is an error on the form like any other, with everything typed kept.
//!
//! Not here: reading the files out of a request (the HTTP adapter), where
//! production keeps them (its own processing step), who may download them
//! (the signed links, `casework::action_token`).

use crate::filing::{FileError, Filed, file_submission_with_evidence};
use crate::links::Links;
use casestore::Store;
use casestore::evidence::{EvidenceFiles, fingerprint};
use casework::Rulebook;
use casework::channel::Channel;
use casework::evidence::{EvidenceItem, count_errors, refused};
use casework::rules::{EvidenceRules, EvidenceType};
use casework::submission::{RawSubmission, ValidationErrors, clean, validate};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A file as it arrived: the name the visitor's device gave it (to say
/// which one in an error; never stored) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A checked file: its description and the copy to keep.
pub type CheckedFile = (EvidenceItem, Vec<u8>);

/// The longest side an image may have, whatever its pixel count: a bound
/// of the decoder's work, not a rule an office sets.
pub const MAX_IMAGE_SIDE: u32 = 20_000;

/// How long checking one file may take before it is refused.
pub const CHECK_BUDGET: Duration = Duration::from_secs(10);

/// The checker's limits from the rulebook's `[evidence]`.
pub fn limits(rules: &EvidenceRules) -> evidence::Limits {
    evidence::Limits {
        max_bytes: rules.max_file_bytes,
        max_pixels: rules.max_pixels,
        max_side: MAX_IMAGE_SIDE,
        time_budget: CHECK_BUDGET,
        // The department's mail links the files; no thumbnails are shown yet.
        thumbnail_side: 0,
        kinds: rules.types.iter().map(|t| kind_of(*t)).collect(),
    }
}

fn kind_of(t: EvidenceType) -> evidence::Kind {
    match t {
        EvidenceType::Jpeg => evidence::Kind::Jpeg,
        EvidenceType::Png => evidence::Kind::Png,
        EvidenceType::Pdf => evidence::Kind::Pdf,
    }
}

fn type_of(k: evidence::Kind) -> EvidenceType {
    match k {
        evidence::Kind::Jpeg => EvidenceType::Jpeg,
        evidence::Kind::Png => EvidenceType::Png,
        evidence::Kind::Pdf => EvidenceType::Pdf,
    }
}

/// Checks `uploads` against the rulebook: the checked copies with their
/// descriptions (numbered from `first_number`), or the visitor's errors.
pub fn check_uploads(
    rules: &Rulebook,
    uploads: &[Upload],
    first_number: u32,
    now: DateTime<Utc>,
) -> Result<Vec<CheckedFile>, Vec<casework::submission::FieldError>> {
    let sizes: Vec<u64> = uploads.iter().map(|u| u.bytes.len() as u64).collect();
    let mut errors = count_errors(rules.evidence.as_ref(), &sizes);
    let Some(evidence_rules) = rules.evidence.as_ref() else {
        return if errors.is_empty() {
            Ok(Vec::new())
        } else {
            Err(errors)
        };
    };
    let limits = limits(evidence_rules);
    let mut checked = Vec::new();
    for (i, upload) in uploads.iter().enumerate() {
        match evidence::check(&upload.bytes, &limits) {
            Ok(copy) => {
                let item = EvidenceItem {
                    number: first_number + i as u32,
                    kind: type_of(copy.kind),
                    bytes: copy.bytes.len() as u64,
                    sha256: fingerprint(&copy.bytes),
                    added_at: now,
                };
                checked.push((item, copy.bytes));
            }
            Err(refusal) => {
                // The code only: a refusal's text may describe the content.
                tracing::info!(code = refusal.code(), "evidence refused");
                errors.push(refused(evidence_rules, &upload.name, refusal.code()));
            }
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// Checks `raw` and `uploads` together and files the case with its
/// evidence: every problem at once (the form's and the files'), nothing
/// stored unless all pass; the files are kept before the case is written,
/// so a stored case never points at a missing file.
#[allow(clippy::too_many_arguments)]
pub async fn file_case_with_evidence<S: Store>(
    rules: &Rulebook,
    store: &S,
    files: &dyn EvidenceFiles,
    links: &Links<'_>,
    channel: Channel,
    raw: &RawSubmission,
    uploads: &[Upload],
    now: DateTime<Utc>,
) -> Result<Filed, FileError> {
    let today = rules.calendar.local(now).date_naive();
    let form = validate(raw, rules, today);
    let checked = check_uploads(rules, uploads, 1, now);
    let (submission, checked) = match (form, checked) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(mut e), Err(files)) => {
            e.errors.extend(files);
            return Err(FileError::Invalid(e));
        }
        (Err(e), Ok(_)) => return Err(FileError::Invalid(e)),
        (Ok(_), Err(files)) => {
            return Err(FileError::Invalid(ValidationErrors {
                errors: files,
                cleaned: Box::new(clean(raw)),
            }));
        }
    };
    let withheld = rules
        .case_type(submission.case_type.as_str())
        .is_none_or(|t| t.identity_withheld);
    let checked = if withheld {
        match without_document_info(checked) {
            Ok(c) => c,
            Err((name_at, code)) => {
                let evidence_rules = rules.evidence.as_ref();
                let errors = evidence_rules
                    .map(|r| vec![refused(r, &uploads[name_at].name, code)])
                    .unwrap_or_default();
                return Err(FileError::Invalid(ValidationErrors {
                    errors,
                    cleaned: Box::new(clean(raw)),
                }));
            }
        }
    } else {
        checked
    };
    for (item, bytes) in &checked {
        files.put(&item.sha256, bytes).map_err(FileError::Store)?;
    }
    let items = checked.into_iter().map(|(item, _)| item).collect();
    file_submission_with_evidence(rules, store, links, channel, &submission, items, now).await
}

/// Why files sent from the case page were not added.
#[derive(Debug, thiserror::Error)]
pub enum AddFilesError {
    /// The visitor's errors, in their language: a file refused, or more
    /// (or more bytes) than the case may hold with what it has.
    #[error("the files were refused")]
    Invalid(Vec<casework::submission::FieldError>),
    /// The case cannot take files now (ended, none taken, busy).
    #[error(transparent)]
    Attach(crate::attaching::AttachError),
    #[error(transparent)]
    Store(casestore::StoreError),
}

/// Checks files the complainant sends to case `record` after filing (the
/// case page), under the same rules as files sent with the form and
/// counted with the ones the case has; all or none are kept. Each is
/// kept, then attached as the processing function attaches one; the
/// department hears of them from the scheduler (`Notice::FilesAdded`).
/// Returns how many were new to the case.
pub async fn add_files<S: Store>(
    rules: &Rulebook,
    store: &S,
    files: &dyn EvidenceFiles,
    record: &casestore::CaseRecord,
    uploads: &[Upload],
    now: DateTime<Utc>,
) -> Result<usize, AddFilesError> {
    use crate::attaching::{AttachError, Attached, CheckedCopy, attach_evidence};
    let case = &record.case;
    if case.state.is_terminal() {
        return Err(AddFilesError::Attach(AttachError::Ended));
    }
    let Some(evidence_rules) = rules.evidence.as_ref() else {
        return Err(AddFilesError::Attach(AttachError::NotTaken));
    };
    // Counted with what the case holds: "at most N files" means in all.
    let sizes: Vec<u64> = case
        .evidence
        .iter()
        .map(|i| i.bytes)
        .chain(uploads.iter().map(|u| u.bytes.len() as u64))
        .collect();
    let too_many = count_errors(Some(evidence_rules), &sizes);
    if !too_many.is_empty() {
        return Err(AddFilesError::Invalid(too_many));
    }
    let first = casework::evidence::next_number(&case.evidence);
    let checked = check_uploads(rules, uploads, first, now).map_err(AddFilesError::Invalid)?;
    let withheld = rules
        .case_type(case.case_type.as_str())
        .is_none_or(|t| t.identity_withheld);
    let checked = if withheld {
        without_document_info(checked).map_err(|(at, code)| {
            AddFilesError::Invalid(vec![refused(evidence_rules, &uploads[at].name, code)])
        })?
    } else {
        checked
    };
    let mut added = 0;
    for (item, bytes) in &checked {
        files
            .put(&item.sha256, bytes)
            .map_err(AddFilesError::Store)?;
        let copy = CheckedCopy {
            kind: item.kind,
            bytes: item.bytes,
            sha256: item.sha256.clone(),
        };
        match attach_evidence(rules, store, &case.tracking, &copy, now).await {
            Ok(Attached::Added(_)) => added += 1,
            Ok(Attached::AlreadyThere(_)) => {}
            Err(e) => return Err(AddFilesError::Attach(e)),
        }
    }
    Ok(added)
}

/// The answer where files came but there is nowhere to keep them: the
/// form's own errors, if any, and one saying files are not taken here.
pub fn files_not_taken(rules: &Rulebook, raw: &RawSubmission, now: DateTime<Utc>) -> FileError {
    let today = rules.calendar.local(now).date_naive();
    let not_taken = count_errors(None, &[1]);
    match validate(raw, rules, today) {
        Err(mut e) => {
            e.errors.extend(not_taken);
            FileError::Invalid(e)
        }
        Ok(_) => FileError::Invalid(ValidationErrors {
            errors: not_taken,
            cleaned: Box::new(clean(raw)),
        }),
    }
}

/// For a sender whose identity is withheld: every PDF without its document
/// information (an author field can name them), described anew; images hold
/// only pixels already. On a failure, the file's place and refusal code.
fn without_document_info(
    checked: Vec<CheckedFile>,
) -> Result<Vec<CheckedFile>, (usize, &'static str)> {
    checked
        .into_iter()
        .enumerate()
        .map(|(i, (item, bytes))| {
            if item.kind != EvidenceType::Pdf {
                return Ok((item, bytes));
            }
            let bytes = evidence::pdf_without_document_info(&bytes).map_err(|r| (i, r.code()))?;
            let item = EvidenceItem {
                bytes: bytes.len() as u64,
                sha256: fingerprint(&bytes),
                ..item
            };
            Ok((item, bytes))
        })
        .collect()
}
