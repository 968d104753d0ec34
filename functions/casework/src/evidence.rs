//! Evidence as a case keeps it: the photos and documents a complainant sent,
//! each described by its number, kind, size and fingerprint.
//!
//! Only the description lives here and on the case; the bytes live in an
//! evidence store under their fingerprint (`casestore::evidence`), and
//! deciding whether bytes are a safe image or PDF is the `evidence` crate's
//! job. Pure.

use crate::Lang;
use crate::rules::{EvidenceRules, EvidenceType, format_bytes};
use crate::submission::{ErrorCode, Field, FieldError};
use crate::tracking::TrackingNumber;
use crate::wording::say_both;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One checked file of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// 1, 2, … in the order they arrived; never reused.
    pub number: u32,
    #[serde(with = "kind_id")]
    pub kind: EvidenceType,
    /// The stored copy's size.
    pub bytes: u64,
    /// SHA-256 of the stored copy, lowercase hex: its key in the store.
    pub sha256: String,
    pub added_at: DateTime<Utc>,
}

impl EvidenceItem {
    /// The name a download is saved under: the case's number and the
    /// file's, never the name the visitor's device gave it (which may name
    /// them).
    pub fn file_name(&self, tracking: &TrackingNumber) -> String {
        format!(
            "{tracking}-{}.{}",
            self.number,
            self.kind.extensions().first().copied().unwrap_or("bin")
        )
    }
}

/// Where a department downloads item `number` of a case with its signed
/// token: `{base}/cases/{tracking}/evidence/{number}?token=…`.
pub fn evidence_url(base_url: &str, tracking: &TrackingNumber, number: u32, token: &str) -> String {
    format!(
        "{}/cases/{tracking}/evidence/{number}?token={token}",
        base_url.trim_end_matches('/')
    )
}

/// A size as people read it, in decimal units (as the rulebook's limits):
/// `850 KB`, `1.2 MB`.
pub fn human_size(bytes: u64, _lang: Lang) -> String {
    const KB: f64 = 1_000.0;
    const MB: f64 = 1_000_000.0;
    let b = bytes as f64;
    if b >= MB {
        format!("{:.1} MB", b / MB)
    } else if b >= KB {
        format!("{:.0} KB", (b / KB).max(1.0))
    } else {
        format!("{bytes} B")
    }
}

/// The number the next item of a case gets.
pub fn next_number(items: &[EvidenceItem]) -> u32 {
    items.iter().map(|i| i.number).max().unwrap_or(0) + 1
}

/// The errors of a set of files as a whole, before any is opened: more
/// files, or more bytes together, than the rulebook allows; or files where
/// it takes none (`rules` is `None`).
pub fn count_errors(rules: Option<&EvidenceRules>, sizes: &[u64]) -> Vec<FieldError> {
    if sizes.is_empty() {
        return Vec::new();
    }
    let Some(rules) = rules else {
        return vec![FieldError {
            field: Field::Evidence,
            code: ErrorCode::FilesNotTaken,
            message: say_both("api.evidence_not_taken", |_| Vec::new()),
        }];
    };
    let mut errors = Vec::new();
    if sizes.len() as u64 > u64::from(rules.max_files) {
        errors.push(FieldError {
            field: Field::Evidence,
            code: ErrorCode::TooManyFiles,
            message: say_both("api.evidence_too_many", |_| {
                vec![
                    ("max", rules.max_files.to_string()),
                    ("count", sizes.len().to_string()),
                ]
            }),
        });
    }
    let total: u64 = sizes.iter().sum();
    if total > rules.max_total_bytes {
        errors.push(FieldError {
            field: Field::Evidence,
            code: ErrorCode::FilesTooLarge,
            message: say_both("api.evidence_total_too_large", |_| {
                vec![
                    ("max", format_bytes(rules.max_total_bytes)),
                    ("total", human_size(total, Lang::Zh)),
                ]
            }),
        });
    }
    errors
}

/// Why one file was refused, for the visitor: `code` is the checker's
/// (`evidence::Refusal::code`), `file` the name the visitor's device gave
/// it (shown back to them only, to say which one).
pub fn refused(rules: &EvidenceRules, file: &str, code: &str) -> FieldError {
    let key = match code {
        "too_large" => "api.evidence_too_large",
        "wrong_type" => "api.evidence_wrong_type",
        "too_many_pixels" => "api.evidence_too_many_pixels",
        "encrypted" => "api.evidence_encrypted",
        "active_content" => "api.evidence_active_content",
        // Damaged, or too slow to check: either way, send another copy.
        _ => "api.evidence_damaged",
    };
    let types = rules
        .types
        .iter()
        .map(|t| t.id().to_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    FieldError {
        field: Field::Evidence,
        code: ErrorCode::FileRefused,
        message: say_both(key, |_| {
            vec![
                ("file", file.to_string()),
                ("max", format_bytes(rules.max_file_bytes)),
                ("types", types.clone()),
                ("megapixels", rules.max_megapixels().to_string()),
            ]
        }),
    }
}

/// For a form shown again without JavaScript: the files passed, but a page
/// cannot hold them, so they must be chosen again.
pub fn choose_again() -> FieldError {
    FieldError {
        field: Field::Evidence,
        code: ErrorCode::ChooseFilesAgain,
        message: say_both("api.evidence_choose_again", |_| Vec::new()),
    }
}

mod kind_id {
    use crate::rules::EvidenceType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &EvidenceType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.id())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EvidenceType, D::Error> {
        let id = String::deserialize(d)?;
        EvidenceType::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown evidence kind `{id}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_rulebooks_units() {
        assert_eq!(human_size(512, Lang::Zh), "512 B");
        assert_eq!(human_size(850_000, Lang::En), "850 KB");
        assert_eq!(human_size(1_250_000, Lang::En), "1.2 MB");
        assert_eq!(human_size(10_000_000, Lang::Zh), "10.0 MB");
    }

    #[test]
    fn an_item_round_trips_and_its_download_name_names_no_one() {
        let tracking = TrackingNumber::parse("SL-20261201-ABCD").unwrap_or_else(|_| {
            TrackingNumber::generate("SL", chrono::NaiveDate::default(), &mut rand::rng())
        });
        let item = EvidenceItem {
            number: 2,
            kind: EvidenceType::Jpeg,
            bytes: 1000,
            sha256: "ab".repeat(32),
            added_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let json = serde_json::to_string(&item).unwrap();
        assert!(json.contains("\"kind\":\"jpeg\""), "{json}");
        let back: EvidenceItem = serde_json::from_str(&json).unwrap();
        assert_eq!(back, item);
        let name = item.file_name(&tracking);
        assert!(
            name.starts_with(tracking.as_str()) && name.ends_with("-2.jpg"),
            "{name}"
        );
        assert_eq!(next_number(&[item]), 3);
        assert_eq!(next_number(&[]), 1);
    }
}
