//! Files sent with a case, end to end over the memory store: checked from
//! their bytes, kept without their metadata, listed in the department's
//! mail behind links only that department can open, counted (never shown)
//! on the public status, and refused with the form kept.

use crate::tests::support::*;
use bytes::Bytes;
use casestore::evidence::{EvidenceFiles, MemoryEvidence};
use casestore::prelude::*;
use casework::action_token::{Action, ActionToken, Holder};
use casework::rules::DepartmentId;
use casework::tracking::TrackingNumber;
use http::{Request, StatusCode};
use std::sync::Arc;

const PHOTO: &[u8] = include_bytes!("../../evidence/tests/corpus/photo-gps-orientation-6.jpg");
const PDF: &[u8] = include_bytes!("../../evidence/tests/corpus/small.pdf");
const POLYGLOT: &[u8] = include_bytes!("../../evidence/tests/corpus/polyglot-jpeg-zip.jpg");
const EXECUTABLE: &[u8] = include_bytes!("../../evidence/tests/corpus/executable-named.jpg");
const HTML_AS_PNG: &[u8] = include_bytes!("../../evidence/tests/corpus/html-sent-as.png");
const TRUNCATED: &[u8] = include_bytes!("../../evidence/tests/corpus/truncated.jpg");
const BOMB: &[u8] = include_bytes!("../../evidence/tests/corpus/bomb-20000x20000.png");

const BOUNDARY: &str = "hotline-test-boundary-7c1f";

fn with_files() -> (TestApi, Arc<MemoryEvidence>) {
    let files = Arc::new(MemoryEvidence::default());
    let api = api().with_evidence_files(files.clone());
    (api, files)
}

/// The sample form as multipart, with `files` as (name, content type, bytes).
fn multipart(files: &[(&str, &str, &[u8])], json: bool) -> Request<Bytes> {
    multipart_as("complaint", files, json)
}

fn multipart_as(case_type: &str, files: &[(&str, &str, &[u8])], json: bool) -> Request<Bytes> {
    let fields = [
        ("case_type", case_type),
        ("category", "water-supply"),
        ("name", NAME),
        ("phone", PHONE),
        ("email", EMAIL),
        ("description", DESCRIPTION),
        ("language", "zh"),
    ];
    let body = multipart_body(&fields, files);
    let mut req = post(
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        Bytes::from(body),
    );
    if json {
        req.headers_mut()
            .insert(http::header::ACCEPT, "application/json".parse().unwrap());
    }
    req
}

/// A multipart body: the text `fields`, then each file as an `evidence` part.
fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{file}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn evidence_link(tracking: &str, department: &str, number: u32) -> String {
    let tracking = TrackingNumber::parse(tracking).expect("tracking");
    let token = ActionToken::sign(
        &config(100).action_secret,
        &tracking,
        &Holder::Department(DepartmentId::new(department)),
        Action::Evidence,
        now() + chrono::TimeDelta::days(30),
    );
    casework::evidence::evidence_url("", &tracking, number, &token)
}

#[tokio::test]
async fn a_photo_is_kept_without_its_location_and_only_its_department_opens_it() {
    let (api, files) = with_files();
    let r = call(
        &api,
        multipart(
            &[
                ("IMG_0001.jpg", "image/jpeg", PHOTO),
                ("letter.pdf", "application/pdf", PDF),
            ],
            true,
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let tracking = json(&r)["tracking"].as_str().expect("tracking").to_string();
    let cases = api.store().all_cases().await;
    let case = &cases[0].case;
    assert_eq!(case.evidence.len(), 2);
    assert_eq!(files.len(), 2);
    // The stored photo: re-encoded, no EXIF segment, no GPS tag, turned
    // upright (orientation 6 swaps width and height).
    let photo = files.get(&case.evidence[0].sha256).unwrap().expect("kept");
    assert!(!photo.windows(4).any(|w| w == b"Exif"), "EXIF survived");
    assert_ne!(photo, PHOTO);
    // The PDF is kept byte for byte.
    assert_eq!(
        files.get(&case.evidence[1].sha256).unwrap().as_deref(),
        Some(PDF)
    );

    // The department's mail lists both, with links for it; not the names
    // the visitor's device gave them.
    let mail = &api.mailer().sent()[0].1;
    assert!(
        mail.text
            .contains(&format!("/cases/{tracking}/evidence/1?token=")),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains(&format!("/cases/{tracking}/evidence/2?token="))
    );
    assert!(!mail.text.contains("IMG_0001"));

    let r = call(&api, get(&evidence_link(&tracking, "water", 1))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[http::header::CONTENT_TYPE], "image/jpeg");
    let csp = r.headers()[http::header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("sandbox") && csp.starts_with("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(r.headers()[http::header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(r.body().as_ref(), photo.as_slice());
    let r = call(&api, get(&evidence_link(&tracking, "water", 2))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()[http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");

    // Another department's link, a number the case lacks, a forged token.
    let r = call(&api, get(&evidence_link(&tracking, "housing", 1))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call(&api, get(&evidence_link(&tracking, "water", 3))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let forged = evidence_link(&tracking, "water", 1).replace("token=v1.", "token=v1.9");
    let r = call(&api, get(&forged)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A link for another action does not open files.
    let t = TrackingNumber::parse(&tracking).unwrap();
    let accept = ActionToken::sign(
        &config(100).action_secret,
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::Accept,
        now() + chrono::TimeDelta::days(30),
    );
    let r = call(
        &api,
        get(&casework::evidence::evidence_url("", &t, 1, &accept)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The public status counts the files and shows none of them.
    let r = call(&api, get(&format!("/cases/{tracking}"))).await;
    let body = text(&r);
    assert_eq!(json(&r)["files"], 2);
    assert!(!body.contains("/evidence/"), "{body}");
}

#[tokio::test]
async fn a_closed_cases_files_no_longer_open() {
    let (api, _files) = with_files();
    let r = call(&api, multipart(&[("a.jpg", "image/jpeg", PHOTO)], true)).await;
    let tracking = json(&r)["tracking"].as_str().expect("tracking").to_string();
    let t = TrackingNumber::parse(&tracking).unwrap();
    let mut record = api.store().case(&t).await.unwrap().unwrap();
    record.case.state = casework::lifecycle::CaseState::Closed;
    api.store()
        .update_case(&record.case, record.version, None, Vec::new())
        .await
        .unwrap();
    let r = call(&api, get(&evidence_link(&tracking, "water", 1))).await;
    assert_eq!(r.status(), StatusCode::GONE, "{}", text(&r));
}

#[tokio::test]
async fn refused_files_store_nothing_and_keep_what_was_typed() {
    let bad: [(&str, &[u8]); 5] = [
        ("executable renamed .jpg", EXECUTABLE),
        ("HTML sent as PNG", HTML_AS_PNG),
        ("truncated JPEG", TRUNCATED),
        ("PNG bomb", BOMB),
        ("over the size limit", &[0xFF; 11_000_000]),
    ];
    for (what, bytes) in bad {
        let (api, files) = with_files();
        let r = call(&api, multipart(&[("photo.jpg", "image/png", bytes)], true)).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            text(&r)
        );
        let errors = json(&r)["errors"].clone();
        assert!(
            errors
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "evidence"),
            "{what}: {errors}"
        );
        assert!(
            api.store().all_cases().await.is_empty(),
            "{what}: a case was stored"
        );
        assert!(files.is_empty(), "{what}: a file was kept");
    }
    // Without JavaScript the form comes back with what was typed.
    let (api, _files) = with_files();
    let r = call(
        &api,
        multipart(&[("photo.jpg", "image/jpeg", EXECUTABLE)], false),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&r);
    assert!(page.contains(DESCRIPTION), "the description was lost");
    assert!(
        page.contains("photo.jpg"),
        "the message does not say which file"
    );
}

#[tokio::test]
async fn a_polyglots_tail_does_not_survive() {
    let (api, files) = with_files();
    let r = call(&api, multipart(&[("p.jpg", "image/jpeg", POLYGLOT)], true)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let case = &api.store().all_cases().await[0].case;
    let kept = files.get(&case.evidence[0].sha256).unwrap().unwrap();
    assert!(
        !kept.windows(4).any(|w| w == b"PK\x03\x04"),
        "the ZIP survived"
    );
}

#[tokio::test]
async fn one_file_too_many_is_refused_and_where_files_cannot_be_kept_they_are_refused() {
    let (with, files) = with_files();
    let max = rules()
        .evidence
        .as_ref()
        .expect("the sample takes files")
        .max_files as usize;
    let many: Vec<(&str, &str, &[u8])> = (0..=max)
        .map(|_| ("p.pdf", "application/pdf", PDF))
        .collect();
    let r = call(&with, multipart(&many, true)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert_eq!(json(&r)["errors"][0]["code"], "too_many_files");
    assert!(files.is_empty());

    // An API with nowhere to keep files (production, until its upload path).
    let without = api();
    let r = call(
        &without,
        multipart(&[("p.pdf", "application/pdf", PDF)], true),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert_eq!(json(&r)["errors"][0]["code"], "files_not_taken");
    assert!(without.store().all_cases().await.is_empty());
    // The form without files still files a case.
    let r = call(&without, multipart(&[], true)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
}

#[tokio::test]
async fn a_reporters_pdf_reaches_the_department_without_its_author() {
    let (api, files) = with_files();
    assert!(
        PDF.windows(6).any(|w| w == b"Author"),
        "the corpus PDF has document information to strip"
    );
    let r = call(
        &api,
        multipart_as("report", &[("r.pdf", "application/pdf", PDF)], true),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let case = &api.store().all_cases().await[0].case;
    let kept = files.get(&case.evidence[0].sha256).unwrap().expect("kept");
    assert!(
        !kept.windows(6).any(|w| w == b"Author"),
        "the author reached the department"
    );
    assert_ne!(kept.as_slice(), PDF);
    // A complaint's PDF is kept as it came (see the first test).
}

/// The case page's form with files, as a browser sends it.
fn case_page_post(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Request<Bytes> {
    let body = multipart_body(fields, files);
    let mut req = post(
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        Bytes::from(body),
    );
    *req.uri_mut() = "/case/reply".parse().unwrap();
    req
}

#[tokio::test]
async fn files_added_from_the_case_page_are_checked_counted_with_the_cases_and_kept() {
    let (api, files) = with_files();
    let r = call(&api, multipart(&[("a.jpg", "image/jpeg", PHOTO)], true)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let j = json(&r);
    let tracking = j["tracking"].as_str().unwrap().to_string();
    let code = j["receipt_code"].as_str().unwrap().to_string();
    let mut open = post(
        "application/x-www-form-urlencoded",
        format!("tracking={}&code={}&lang=en", enc(&tracking), enc(&code)),
    );
    *open.uri_mut() = "/case".parse().unwrap();
    let page = text(&call(&api, open).await);
    // The page offers the file field, with the rulebook's limits.
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("name=\"evidence\" type=\"file\""));
    assert!(page.contains("at most 5 files in all"), "{page}");
    let token = between(&page, "name=\"token\" value=\"", "\"");
    let fields = |text: &'static str| {
        vec![
            ("tracking", tracking.clone()),
            ("token", token.clone()),
            ("lang", "en".to_string()),
            ("text", text.to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, with: &[(&str, &str, &[u8])]| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        case_page_post(&pairs, with)
    };
    let t = TrackingNumber::parse(&tracking).unwrap();
    let stored = async |api: &TestApi| api.store().case(&t).await.unwrap().unwrap().case;

    // A refused file: 422, the text kept, nothing added.
    let r = call(
        &api,
        send(
            fields("see the file"),
            &[("x.jpg", "image/jpeg", EXECUTABLE)],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert!(text(&r).contains("see the file"));
    assert_eq!(stored(&api).await.evidence.len(), 1);

    // A sound one, with no text: kept, attached, on the conversation.
    let r = call(&api, send(fields(""), &[("b.pdf", "application/pdf", PDF)])).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert!(text(&r).contains("Your files arrived"), "{}", text(&r));
    let case = stored(&api).await;
    assert_eq!(case.evidence.len(), 2);
    assert_eq!(case.evidence[1].number, 2);
    assert!(files.get(&case.evidence[1].sha256).unwrap().is_some());
    assert!(text(&r).contains("We received a file from you"));

    // Counted with what the case holds: 2 + 4 passes the rulebook's 5.
    let four: Vec<(&str, &str, &[u8])> = vec![("c.pdf", "application/pdf", PDF); 4];
    let r = call(&api, send(fields("more"), &four)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert_eq!(stored(&api).await.evidence.len(), 2);

    // A forged token opens nothing and keeps nothing.
    let mut forged = fields("");
    forged[1].1 = "forged".into();
    let r = call(&api, send(forged, &[("d.jpg", "image/jpeg", PHOTO)])).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&api).await.evidence.len(), 2);
}
