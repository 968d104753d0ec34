//! The production upload path against the local S3 (moto): a browser's
//! POST with an upload grant lands in the quarantine under the grant's key
//! (and is sent on as the grant says), the processor moves a checked copy
//! of it into `evidence/` and onto the case, refuses what is not a photo
//! or document, attaches one event's file once, and a department's
//! presigned GET fetches the copy.
//!
//! What moto does not check (its POST handler stores whatever arrives): the
//! policy's signature, expiry, `content-length-range`, key and
//! `Content-Type` conditions, and a GET's `response-content-*` overrides.
//! The policy document itself is tested exactly in
//! `office::upload_grant`; here only what moto does.
//!
//! Needs the local endpoint: `AWS_ENDPOINT_URL` and friends, as tests/run
//! sets them; without it every test fails and says how to start one.

use casestore::MemoryStore;
use casestore::contract::{rules, t0};
use casestore::prelude::*;
use casework::action_token::ActionSecret;
use casework::channel::Channel;
use casework::lifecycle::ActionKind;
use casework::submission::RawSubmission;
use casework::tracking::TrackingNumber;
use office::attaching::Attached;
use office::filing::Filed;
use office::links::Links;
use office::upload_grant::{
    Bucket, Credentials, Grant, GrantSettings, evidence_key, presigned_get, upload_grants,
};
use process::s3::S3Objects;
use process::{Outcome, process};
use std::io::{Read, Write};

const GPS_PHOTO: &[u8] = include_bytes!("../../evidence/tests/corpus/photo-gps-orientation-6.jpg");
const EXECUTABLE: &[u8] = include_bytes!("../../evidence/tests/corpus/executable-named.jpg");

/// The local endpoint, or a failure that says how to get one.
fn endpoint() -> String {
    match casestore::testing::endpoint() {
        Ok(url) => url,
        Err(e) => panic!("{e}"),
    }
}

/// A fresh bucket on the local S3 (the server keeps buckets between runs).
async fn fresh_bucket() -> S3Objects {
    endpoint();
    let name = casestore::testing::unique_table_name("evidence").to_lowercase();
    let objects = S3Objects::from_env(name.clone()).await;
    objects
        .client()
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "could not create bucket {name}: {e:?}. Fix: {}",
                casestore::testing::HOW_TO_START
            )
        });
    objects
}

fn credentials() -> Credentials {
    Credentials {
        access_key_id: std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default(),
        secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default(),
        session_token: None,
    }
}

fn settings(objects: &S3Objects, redirect: Option<&str>) -> GrantSettings {
    GrantSettings {
        bucket: Bucket {
            name: objects.bucket().to_string(),
            region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
            endpoint: Some(endpoint()),
        },
        lifetime: chrono::Duration::minutes(15),
        redirect: redirect.map(str::to_string),
    }
}

async fn filed(store: &MemoryStore) -> TrackingNumber {
    let secret = ActionSecret::new(*b"process moto tests: secret of 32").expect("32 bytes");
    let links = Links {
        public_base_url: "https://12345.example.org/api",
        status_page_url: "/status/",
        action_secret: &secret,
    };
    let raw = RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("housing-property".into()),
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

/// An HTTP answer: status, headers (lowercase names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request to the local endpoint, as a browser would send it.
fn http(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
    let rest = url.strip_prefix("http://").expect("a local http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).expect("the local endpoint answers");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("sent");
    stream.write_all(body).expect("sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// The form a browser sends with `grant` for a file of `content_type`:
/// the grant's fields, the type's, then the file, last.
fn post_with(grant: &Grant, content_type: &str, file: &[u8]) -> Answer {
    let boundary = "----hotline-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let typed = grant
        .types
        .get(content_type)
        .expect("a type the grant takes");
    for (name, value) in grant.fields.iter().chain(typed) {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    http(
        "POST",
        &grant.url,
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    )
}

async fn keys(objects: &S3Objects) -> Vec<String> {
    let listed = objects
        .client()
        .list_objects_v2()
        .bucket(objects.bucket())
        .send()
        .await
        .expect("listed");
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gps_photo_posted_with_a_grant_reaches_its_case_without_exif_once() {
    let objects = fresh_bucket().await;
    let store = MemoryStore::new();
    let tracking = filed(&store).await;
    let evidence_rules = rules().evidence.clone().expect("files taken");
    let redirect = "https://12345.example.org/thanks/?files=sent";
    let grants = upload_grants(
        &settings(&objects, Some(redirect)),
        &credentials(),
        &evidence_rules,
        &tracking,
        2,
        chrono::Utc::now(),
        &mut rand::rng(),
    );
    let grant = &grants[0];

    // The browser's POST, sent on to the redirect with the key.
    let answer = post_with(grant, "image/jpeg", GPS_PHOTO);
    assert_eq!(
        answer.status,
        303,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let location = answer.header("location").expect("sent on");
    assert!(
        location.starts_with("https://12345.example.org/thanks/?"),
        "{location}"
    );
    assert!(location.contains("files=sent"), "{location}");
    // Under the grant's key exactly: the device's file name is nowhere.
    assert_eq!(keys(&objects).await, std::slice::from_ref(&grant.key));

    // The processor, as S3's event would call it: twice, as S3 may.
    let first = process(rules(), &store, &objects, &grant.key, t0())
        .await
        .expect("processed");
    let Outcome::Attached(Attached::Added(item)) = first else {
        panic!("not attached: {first:?}")
    };
    let second = process(rules(), &store, &objects, &grant.key, t0())
        .await
        .expect("processed again");
    assert_eq!(second, Outcome::Gone);
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert_eq!(case.evidence, std::slice::from_ref(&item), "attached once");

    // Quarantine empty; the checked copy under its fingerprint, re-encoded.
    assert_eq!(keys(&objects).await, [evidence_key(&item.sha256)]);
    let stored = objects
        .client()
        .get_object()
        .bucket(objects.bucket())
        .key(evidence_key(&item.sha256))
        .send()
        .await
        .expect("kept");
    assert_eq!(stored.content_type(), Some("image/jpeg"));
    let bytes = stored.body.collect().await.expect("read").into_bytes();
    assert!(contains(GPS_PHOTO, b"Exif") && !contains(&bytes, b"Exif"));
    let decoded = image::load_from_memory(&bytes).expect("decodes");
    let original = image::load_from_memory(GPS_PHOTO).expect("decodes");
    // Orientation 6: turned upright, so the sides swap.
    assert_eq!(
        (decoded.width(), decoded.height()),
        (original.height(), original.width())
    );

    // A department's link to it, as intake signs it, fetches the copy.
    let url = presigned_get(
        &settings(&objects, None).bucket,
        &credentials(),
        &evidence_key(&item.sha256),
        "image/jpeg",
        "inline; filename=\"x.jpg\"",
        chrono::Duration::minutes(5),
        chrono::Utc::now(),
    );
    let fetched = http("GET", &url, None, b"");
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, bytes.to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_executable_named_jpg_ends_up_nowhere_and_its_case_records_the_refusal() {
    let objects = fresh_bucket().await;
    let store = MemoryStore::new();
    let tracking = filed(&store).await;
    let evidence_rules = rules().evidence.clone().expect("files taken");
    let grants = upload_grants(
        &settings(&objects, None),
        &credentials(),
        &evidence_rules,
        &tracking,
        1,
        chrono::Utc::now(),
        &mut rand::rng(),
    );
    // Sent as a JPEG, as a browser would for a file named .jpg.
    let answer = post_with(&grants[0], "image/jpeg", EXECUTABLE);
    assert_eq!(
        answer.status,
        204,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(keys(&objects).await, [grants[0].key.clone()]);

    let outcome = process(rules(), &store, &objects, &grants[0].key, t0())
        .await
        .expect("processed");
    assert_eq!(outcome, Outcome::Refused { code: "wrong_type" });
    assert!(keys(&objects).await.is_empty(), "nothing kept");
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert!(case.evidence.is_empty());
    let last = case.events.last().expect("an event");
    assert_eq!(last.action, ActionKind::RefuseEvidence);
    assert_eq!(last.note.as_deref(), Some("wrong_type"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_outside_the_grants_keys_is_deleted_unread() {
    let objects = fresh_bucket().await;
    let store = MemoryStore::new();
    let tracking = filed(&store).await;
    let key = format!("quarantine/{tracking}/IMG_0001.jpg");
    objects
        .client()
        .put_object()
        .bucket(objects.bucket())
        .key(&key)
        .body(GPS_PHOTO.to_vec().into())
        .send()
        .await
        .expect("put");
    let outcome = process(rules(), &store, &objects, &key, t0())
        .await
        .expect("processed");
    assert_eq!(outcome, Outcome::Discarded { why: "key" });
    assert!(keys(&objects).await.is_empty());
    let case = store.case(&tracking).await.unwrap().unwrap().case;
    assert!(case.evidence.is_empty());
}
