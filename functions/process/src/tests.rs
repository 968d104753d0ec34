//! The processor on the memory store and a memory bucket.

use super::*;
use casestore::MemoryStore;
use casestore::contract::{rules, t0};
use casestore::prelude::*;
use casework::action_token::ActionSecret;
use casework::channel::Channel;
use casework::lifecycle::ActionKind;
use casework::submission::RawSubmission;
use casework::tracking::TrackingNumber;
use office::filing::Filed;
use office::links::Links;
use office::upload_grant::quarantine_key;

pub(crate) const GPS_PHOTO: &[u8] =
    include_bytes!("../../evidence/tests/corpus/photo-gps-orientation-6.jpg");
pub(crate) const EXECUTABLE: &[u8] =
    include_bytes!("../../evidence/tests/corpus/executable-named.jpg");

/// A small JPEG of one colour: distinct colours, distinct fingerprints.
pub(crate) fn jpeg_of(red: u8) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(16, 16, image::Rgb([red, 40, 200]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .encode_image(&image)
        .expect("encoded");
    out
}

async fn filed(store: &MemoryStore, case_type: &str, category: &str) -> TrackingNumber {
    let secret = ActionSecret::new(*b"process tests: a secret of 32 b.").expect("32 bytes");
    let links = Links {
        public_base_url: "https://12345.example.org/api",
        status_page_url: "/status/",
        action_secret: &secret,
    };
    let raw = RawSubmission {
        case_type: Some(case_type.into()),
        category: Some(category.into()),
        name: Some("张三".into()),
        email: Some("resident@example.org".into()),
        description: Some("楼道的灯坏了两个月，多次报修仍没有人来修理。".into()),
        language: Some("zh".into()),
        ..RawSubmission::default()
    };
    match office::file_case(rules(), store, &links, Channel::Web, &raw, t0())
        .await
        .expect("filed")
    {
        Filed::New(opened) => opened.case.tracking,
        Filed::Replayed(t) => t,
    }
}

fn key(tracking: &TrackingNumber, n: u8) -> String {
    quarantine_key(tracking, &format!("{n:02x}").repeat(16))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_gps_photo_is_re_encoded_kept_by_fingerprint_and_attached_once() {
    let store = MemoryStore::new();
    let objects = MemoryObjects::default();
    let tracking = filed(&store, "complaint", "housing-property").await;
    let key = key(&tracking, 1);
    objects.insert(&key, GPS_PHOTO.to_vec());
    assert!(contains(GPS_PHOTO, b"Exif"), "the fixture carries EXIF");

    let outcome = process(rules(), &store, &objects, &key, t0())
        .await
        .expect("processed");
    let Outcome::Attached(Attached::Added(item)) = outcome else {
        panic!("not attached: {outcome:?}")
    };
    // Quarantine emptied; one checked copy under its fingerprint.
    assert_eq!(objects.keys(), [evidence_key(&item.sha256)]);
    let (stored, content_type) = objects.object(&evidence_key(&item.sha256)).expect("kept");
    assert_eq!(content_type, "image/jpeg");
    assert_eq!(fingerprint(&stored), item.sha256);
    assert!(!contains(&stored, b"Exif"), "no EXIF in the stored copy");
    assert_eq!(item.bytes, stored.len() as u64);
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert_eq!(case.evidence, std::slice::from_ref(&item));

    // The same event again: the object is gone, nothing changes.
    let again = process(rules(), &store, &objects, &key, t0())
        .await
        .expect("processed");
    assert_eq!(again, Outcome::Gone);
    // The same file sent again under another grant: attached once.
    let other = self::key(&tracking, 2);
    objects.insert(&other, GPS_PHOTO.to_vec());
    let twice = process(rules(), &store, &objects, &other, t0())
        .await
        .expect("processed");
    assert_eq!(twice, Outcome::Attached(Attached::AlreadyThere(item)));
    assert_eq!(objects.keys().len(), 1);
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert_eq!(case.evidence.len(), 1);
}

#[tokio::test]
async fn an_executable_named_jpg_ends_up_nowhere_and_the_case_records_the_refusal() {
    let store = MemoryStore::new();
    let objects = MemoryObjects::default();
    let tracking = filed(&store, "complaint", "housing-property").await;
    let key = key(&tracking, 3);
    objects.insert(&key, EXECUTABLE.to_vec());
    let outcome = process(rules(), &store, &objects, &key, t0())
        .await
        .expect("processed");
    assert_eq!(outcome, Outcome::Refused { code: "wrong_type" });
    assert!(objects.keys().is_empty(), "{:?}", objects.keys());
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert!(case.evidence.is_empty());
    let last = case.events.last().expect("an event");
    assert_eq!(last.action, ActionKind::RefuseEvidence);
    assert_eq!(last.note.as_deref(), Some("wrong_type"));
}

#[tokio::test]
async fn keys_no_grant_makes_and_cases_that_are_gone_are_discarded_unread() {
    let store = MemoryStore::new();
    let objects = MemoryObjects::default();
    let tracking = filed(&store, "complaint", "housing-property").await;
    for (key, why) in [
        (format!("quarantine/{tracking}/photo.jpg"), "key"),
        (
            key(
                &TrackingNumber::generate("SL", t0().date_naive(), &mut rand::rng()),
                4,
            ),
            "no_case",
        ),
    ] {
        objects.insert(&key, GPS_PHOTO.to_vec());
        let outcome = process(rules(), &store, &objects, &key, t0())
            .await
            .expect("processed");
        assert_eq!(outcome, Outcome::Discarded { why }, "{key}");
        assert!(objects.keys().is_empty());
    }
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert!(case.evidence.is_empty());
}

#[tokio::test]
async fn a_file_over_the_limit_is_not_read_and_one_too_many_is_refused() {
    let store = MemoryStore::new();
    let objects = MemoryObjects::default();
    let limits = rules().evidence.clone().expect("files taken");
    let tracking = filed(&store, "complaint", "housing-property").await;
    let big = key(&tracking, 5);
    objects.insert(&big, vec![0xFF; limits.max_file_bytes as usize + 1]);
    let outcome = process(rules(), &store, &objects, &big, t0())
        .await
        .expect("processed");
    assert_eq!(outcome, Outcome::Refused { code: "too_large" });

    // Fill the case with distinct photos, then send one more.
    for n in 0..=limits.max_files {
        let key = key(&tracking, 10 + n as u8);
        objects.insert(&key, jpeg_of(n as u8 * 40));
        let outcome = process(rules(), &store, &objects, &key, t0())
            .await
            .expect("processed");
        if n < limits.max_files {
            assert!(
                matches!(outcome, Outcome::Attached(Attached::Added(_))),
                "{n}: {outcome:?}"
            );
        } else {
            assert_eq!(outcome, Outcome::Refused { code: "too_many" });
        }
    }
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert_eq!(case.evidence.len() as u32, limits.max_files);
    assert_eq!(
        objects.keys().len() as u32,
        limits.max_files,
        "only the attached copies are kept"
    );
}

#[test]
fn an_s3_event_names_its_keys_form_decoded_and_only_for_its_bucket() {
    let event = serde_json::json!({
        "Records": [
            { "eventName": "ObjectCreated:Post",
              "s3": { "bucket": { "name": "ours" }, "object": { "key": "quarantine/a+b%2Fc" } } },
            { "eventName": "ObjectCreated:Put",
              "s3": { "bucket": { "name": "theirs" }, "object": { "key": "quarantine/x" } } },
            { "eventName": "ObjectRemoved:Delete",
              "s3": { "bucket": { "name": "ours" }, "object": { "key": "quarantine/y" } } },
            { "eventName": "ObjectCreated:Post",
              "s3": { "bucket": { "name": "ours" }, "object": { "key": "100%" } } }
        ]
    });
    assert_eq!(event_keys(&event, "ours"), ["quarantine/a b/c", "100%"]);
    assert!(event_keys(&serde_json::json!({}), "ours").is_empty());
}
