//! The evidence bucket in production, over the memory store: upload grants
//! in the answer to a filed case, and a department's download sent on to a
//! presigned GET of the checked copy. (The grants' policy is tested in
//! `office::upload_grant`; the bucket itself in `functions/process`.)

use crate::tests::support::*;
use crate::uploads::{EvidenceBucket, FixedCredentials};
use casestore::prelude::*;
use casework::action_token::{Action, ActionToken, Holder};
use casework::evidence::EvidenceItem;
use casework::rules::{DepartmentId, EvidenceType};
use casework::tracking::TrackingNumber;
use http::StatusCode;
use office::upload_grant::{Bucket, Credentials, GrantSettings, MAX_GRANT_LIFETIME};
use std::sync::Arc;

fn bucket() -> EvidenceBucket {
    EvidenceBucket {
        grants: GrantSettings {
            bucket: Bucket {
                name: "hotline-evidence".into(),
                region: "ap-southeast-1".into(),
                endpoint: None,
            },
            lifetime: MAX_GRANT_LIFETIME,
            redirect: None,
        },
        credentials: Arc::new(FixedCredentials(Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "not a real secret".into(),
            session_token: Some("role-session-token".into()),
        })),
    }
}

#[tokio::test]
async fn a_filed_case_is_answered_with_one_grant_per_file_it_may_take() {
    let api = api().with_evidence_bucket(bucket());
    let r = call(&api, post_json(&json_submission(Some("grant-key-0001")))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let body = json(&r);
    let tracking = body["tracking"].as_str().expect("tracking").to_string();
    let uploads = body["uploads"].as_array().expect("uploads");
    let rules = rules()
        .evidence
        .clone()
        .expect("the sample rulebook takes files");
    assert_eq!(uploads.len() as u32, rules.max_files);
    let prefix = format!("quarantine/{tracking}/");
    for grant in uploads {
        let key = grant["key"].as_str().expect("key");
        assert!(key.starts_with(&prefix), "{key}");
        assert_eq!(grant["fields"]["key"], grant["key"]);
        assert_eq!(
            grant["fields"]["x-amz-security-token"], "role-session-token",
            "role credentials sign their token in"
        );
        assert_eq!(
            grant["url"],
            "https://hotline-evidence.s3.ap-southeast-1.amazonaws.com/"
        );
        let types: Vec<&str> = grant["types"]
            .as_object()
            .expect("types")
            .keys()
            .map(String::as_str)
            .collect();
        let mut wanted: Vec<&str> = rules.types.iter().map(|t| t.content_type()).collect();
        wanted.sort();
        assert_eq!(types, wanted);
    }
    let keys: std::collections::BTreeSet<&str> =
        uploads.iter().filter_map(|g| g["key"].as_str()).collect();
    assert_eq!(keys.len(), uploads.len(), "every grant its own key");

    // A replay (the script trying again) gets grants too.
    let r = call(&api, post_json(&json_submission(Some("grant-key-0001")))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        json(&r)["uploads"].as_array().map(Vec::len),
        Some(uploads.len())
    );
    // Without a bucket (hotline serve) the answer has no grants.
    let r = call(&api_with(config(100)), post_json(&json_submission(None))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(json(&r).get("uploads").is_none(), "{}", text(&r));
}

#[tokio::test]
async fn with_a_bucket_pages_may_connect_to_it_and_to_no_other_origin() {
    let r = call(
        &api().with_evidence_bucket(bucket()),
        get("/cases/SL-0000-0000"),
    )
    .await;
    let csp = header(&r, "content-security-policy");
    let connect: Vec<&str> = csp
        .split("; ")
        .find_map(|d| d.strip_prefix("connect-src "))
        .expect("connect-src")
        .split(' ')
        .collect();
    assert_eq!(
        connect,
        [
            "'self'",
            "https://hotline-evidence.s3.ap-southeast-1.amazonaws.com"
        ]
    );
    // The receipt and case pages' file forms post there without script.
    let form_action: Vec<&str> = csp
        .split("; ")
        .find_map(|d| d.strip_prefix("form-action "))
        .expect("form-action")
        .split(' ')
        .collect();
    assert_eq!(form_action, connect);
    // Without one (hotline serve), only its own origin.
    let r = call(&api(), get("/cases/SL-0000-0000")).await;
    assert_eq!(
        header(&r, "content-security-policy"),
        crate::headers::CONTENT_SECURITY_POLICY
    );
}

#[tokio::test]
async fn a_departments_download_is_sent_on_to_a_short_lived_link_to_the_copy() {
    let api = api().with_evidence_bucket(bucket());
    let r = call(&api, post_json(&json_submission(None))).await;
    let tracking = json(&r)["tracking"].as_str().expect("tracking").to_string();
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    // As the processing function leaves it: a checked PDF on the case.
    let mut record = api.store().case(&t).await.unwrap().unwrap();
    let sha256 = "ab".repeat(32);
    record.case.evidence.push(EvidenceItem {
        number: 1,
        kind: EvidenceType::Pdf,
        bytes: 1000,
        sha256: sha256.clone(),
        added_at: now(),
    });
    api.store()
        .update_case(&record.case, record.version, None, Vec::new())
        .await
        .unwrap();
    let link = |department: &str| {
        let token = ActionToken::sign(
            &config(100).action_secret,
            &t,
            &Holder::Department(DepartmentId::new(department)),
            Action::Evidence,
            now() + chrono::TimeDelta::days(30),
        );
        casework::evidence::evidence_url("", &t, 1, &token)
    };
    let r = call(&api, get(&link("water"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(&r));
    let location = header(&r, "location");
    assert!(
        location.starts_with(&format!(
            "https://hotline-evidence.s3.ap-southeast-1.amazonaws.com/evidence/{sha256}?"
        )),
        "{location}"
    );
    assert!(location.contains("X-Amz-Expires=300"), "{location}");
    assert!(location.contains("response-content-type=application%2Fpdf"));
    assert!(location.contains(&format!(
        "response-content-disposition=attachment%3B%20filename%3D%22{tracking}-1.pdf%22"
    )));
    assert!(location.contains("X-Amz-Signature="));
    assert_eq!(header(&r, "cache-control"), "private, no-store");
    // Still only for the case's department: no link is signed for another.
    let r = call(&api, get(&link("housing"))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("location").is_none());
}

/// The `<form>`s of a page that post to the bucket, as (hidden field
/// names in order, whether the file input comes after them).
fn bucket_forms(page: &str) -> Vec<(Vec<String>, bool)> {
    let action = "action=\"https://hotline-evidence.s3.ap-southeast-1.amazonaws.com/\"";
    page.split("<form ")
        .skip(1)
        .filter(|f| f.contains(action))
        .map(|f| {
            let form = &f[..f.find("</form>").expect("closed")];
            let names: Vec<String> = form
                .split("type=\"hidden\" name=\"")
                .skip(1)
                .map(|rest| rest[..rest.find('"').unwrap()].to_string())
                .collect();
            let last_hidden = form.rfind("type=\"hidden\"").unwrap_or(0);
            let file = form.find("name=\"file\" type=\"file\"");
            (names, file.is_some_and(|at| at > last_hidden))
        })
        .collect()
}

#[tokio::test]
async fn without_javascript_files_go_to_the_bucket_from_the_receipt_page_and_the_case_page() {
    let api = api().with_evidence_bucket(bucket());
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    let forms = bucket_forms(&page);
    let kinds = rules().evidence.as_ref().expect("files taken").types.len();
    assert_eq!(forms.len(), kinds, "one form per kind of file: {page}");
    for (names, file_last) in &forms {
        for field in [
            "key",
            "policy",
            "x-amz-signature",
            "Content-Type",
            "x-amz-security-token",
        ] {
            assert!(names.iter().any(|n| n == field), "{field} in {names:?}");
        }
        assert!(file_last, "the file comes after every field");
    }
    assert!(page.contains("multipart/form-data"));

    // The case page offers the same, with fresh grants.
    let code = between(&page, "data-receipt-code>", "<");
    let tracking = between(&page, "data-tracking-number>", "<");
    let mut open = post(
        "application/x-www-form-urlencoded",
        format!("tracking={}&code={}&lang=en", enc(&tracking), enc(&code)),
    );
    *open.uri_mut() = "/case".parse().unwrap();
    let r = call(&api, open).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let case_page = text(&r);
    assert_eq!(bucket_forms(&case_page).len(), kinds, "{case_page}");
    // Its message form stays url-encoded: no file goes through the API.
    assert!(!case_page.contains("name=\"evidence\""));
}

#[tokio::test]
async fn only_a_forms_grants_send_the_browser_on_after_the_upload() {
    let mut with_redirect = bucket();
    with_redirect.grants.redirect = Some("https://site.example/thanks/?files=sent".into());
    let api = api().with_evidence_bucket(with_redirect);
    // The script reads S3's own 204: a redirect would look like a failure.
    let r = call(&api, post_json(&json_submission(Some("grant-key-0002")))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let uploads = json(&r)["uploads"].as_array().expect("uploads").clone();
    assert!(!uploads.is_empty());
    for grant in &uploads {
        assert!(
            grant["fields"].get("success_action_redirect").is_none(),
            "{grant}"
        );
    }
    // Without script, S3 must send the browser back to the site.
    let r = call(
        &api,
        post("application/x-www-form-urlencoded", form_submission()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let forms = bucket_forms(&text(&r));
    assert!(!forms.is_empty());
    for (names, _) in &forms {
        assert!(
            names.iter().any(|n| n == "success_action_redirect"),
            "{names:?}"
        );
    }
}
