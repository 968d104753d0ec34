//! Upload grants and download links for the evidence bucket: presigned S3
//! POSTs that let a visitor's browser send a file straight into the
//! bucket's quarantine, and presigned GETs that let a department fetch a
//! checked copy, both signed with AWS Signature Version 4.
//!
//! A [`Grant`] is a POST policy fixed to one key,
//! `quarantine/<tracking>/<grant id>/file` (the file's own name never
//! becomes part of a key: it can name the sender), to 1 byte up to the
//! rulebook's largest file, to one of the rulebook's types as the
//! `Content-Type`, and to a lifetime of at most [`MAX_GRANT_LIFETIME`].
//! A POST policy has no "one of" condition, so each grant carries one
//! signed policy per type ([`Grant::types`]); the browser sends the
//! common [`Grant::fields`] with the set for its file's type. What arrives
//! is still only bytes in quarantine: the processing function
//! (`functions/process`) decides what they are.
//!
//! Pure: credentials, the clock and the randomness for grant ids are
//! passed in (the Lambda edge reads credentials from the SDK's provider).
//! The AWS SDK for Rust presigns requests but has no presigned POST, hence
//! the SigV4 key chain here; the GET link uses the same chain so both are
//! tested against the same known answers.

use casework::rules::EvidenceRules;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// The longest a grant may be used: long enough to pick and send five
/// files on a slow phone, short enough that a leaked grant is soon dead.
pub const MAX_GRANT_LIFETIME: Duration = Duration::minutes(15);

/// How long a department's download link to the bucket works once intake
/// has checked its signed token: enough to start the download.
pub const DOWNLOAD_LIFETIME: Duration = Duration::minutes(5);

/// Where grants put files: the prefix the processing function watches.
pub const QUARANTINE_PREFIX: &str = "quarantine/";
/// Where checked copies are kept, by fingerprint.
pub const EVIDENCE_PREFIX: &str = "evidence/";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "s3";

/// AWS credentials as plain values (the SDK's provider gives them at the edge).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials (a Lambda role's) carry one; it must be signed in.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret or the token, not even in a test's failure output.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The evidence bucket and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    /// A local endpoint (tests: `http://127.0.0.1:5005`), addressed
    /// path-style; `None` is S3 itself, addressed by virtual host.
    pub endpoint: Option<String>,
}

impl Bucket {
    /// Scheme and host, and the path of `key` (URI-encoded).
    fn address(&self, key: &str) -> (String, String, String) {
        let path = uri_encode(key, false);
        match &self.endpoint {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                let (scheme, host) = endpoint.split_once("://").unwrap_or(("https", endpoint));
                (
                    scheme.to_string(),
                    host.to_string(),
                    format!("/{}/{path}", self.name),
                )
            }
            None => (
                "https".into(),
                format!("{}.s3.{}.amazonaws.com", self.name, self.region),
                format!("/{path}"),
            ),
        }
    }

    /// Where a POST to the bucket goes.
    pub fn post_url(&self) -> String {
        let (scheme, host, path) = self.address("");
        format!("{scheme}://{host}{path}")
    }
}

/// How grants are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSettings {
    pub bucket: Bucket,
    /// Capped at [`MAX_GRANT_LIFETIME`].
    pub lifetime: Duration,
    /// Where S3 sends a browser after an upload without JavaScript (it
    /// appends `bucket`, `key` and `etag`); `None` answers 204.
    pub redirect: Option<String>,
}

/// Permission to send one file, for a browser: POST a multipart form to
/// `url` with every entry of `fields`, then those of `types[<the file's
/// type>]`, then the file itself as the last part, named `file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub url: String,
    /// The key the file lands under (also in `fields`).
    pub key: String,
    pub expires_at: DateTime<Utc>,
    /// The form fields every type shares.
    pub fields: BTreeMap<String, String>,
    /// By media type: that type's `Content-Type`, `policy` and `x-amz-signature`.
    pub types: BTreeMap<String, BTreeMap<String, String>>,
}

/// The key a grant puts its file under.
pub fn quarantine_key(tracking: &TrackingNumber, grant_id: &str) -> String {
    format!("{QUARANTINE_PREFIX}{tracking}/{grant_id}/file")
}

/// The case and grant of a quarantine key, for exactly the keys
/// [`quarantine_key`] makes (a tracking number in its canonical spelling,
/// a grant id of 32 lowercase hex digits); anything else is `None`.
pub fn parse_quarantine_key(key: &str) -> Option<(TrackingNumber, String)> {
    let rest = key.strip_prefix(QUARANTINE_PREFIX)?;
    let mut parts = rest.split('/');
    let (typed, grant, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || file != "file" || !is_grant_id(grant) {
        return None;
    }
    let tracking = TrackingNumber::parse(typed).ok()?;
    (tracking.as_str() == typed).then(|| (tracking, grant.to_string()))
}

fn is_grant_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where the checked copy with fingerprint `sha256` is kept.
pub fn evidence_key(sha256: &str) -> String {
    format!("{EVIDENCE_PREFIX}{sha256}")
}

/// A fresh grant id: 128 random bits, so grants cannot be guessed or collide.
pub fn new_grant_id(rng: &mut impl rand::Rng) -> String {
    let bytes: [u8; 16] = rng.random();
    hex::encode(bytes)
}

/// `how_many` grants for files of case `tracking`, each for any of the
/// rulebook's types.
pub fn upload_grants(
    settings: &GrantSettings,
    credentials: &Credentials,
    rules: &EvidenceRules,
    tracking: &TrackingNumber,
    how_many: u32,
    now: DateTime<Utc>,
    rng: &mut impl rand::Rng,
) -> Vec<Grant> {
    (0..how_many)
        .map(|_| {
            let key = quarantine_key(tracking, &new_grant_id(rng));
            grant_for_key(settings, credentials, rules, key, now)
        })
        .collect()
}

/// One grant for `key`.
pub fn grant_for_key(
    settings: &GrantSettings,
    credentials: &Credentials,
    rules: &EvidenceRules,
    key: String,
    now: DateTime<Utc>,
) -> Grant {
    let lifetime = settings
        .lifetime
        .clamp(Duration::zero(), MAX_GRANT_LIFETIME);
    let expires_at = now + lifetime;
    let scope = Scope::new(&settings.bucket.region, now);
    let mut fields = BTreeMap::new();
    fields.insert("key".to_string(), key.clone());
    fields.insert("x-amz-algorithm".to_string(), ALGORITHM.to_string());
    fields.insert(
        "x-amz-credential".to_string(),
        scope.credential(&credentials.access_key_id),
    );
    fields.insert("x-amz-date".to_string(), scope.timestamp.clone());
    if let Some(token) = &credentials.session_token {
        fields.insert("x-amz-security-token".to_string(), token.clone());
    }
    if let Some(redirect) = &settings.redirect {
        fields.insert("success_action_redirect".to_string(), redirect.clone());
    }
    let signing_key = signing_key(&credentials.secret_access_key, &scope.date, &scope.region);
    let types = rules
        .types
        .iter()
        .map(|t| {
            let content_type = t.content_type();
            let policy = post_policy(
                &settings.bucket.name,
                &fields,
                rules.max_file_bytes,
                content_type,
                expires_at,
            );
            let encoded = base64_encode(policy.to_string().as_bytes());
            let signature = hex::encode(hmac_sha256(&signing_key, encoded.as_bytes()));
            let mut own = BTreeMap::new();
            own.insert("Content-Type".to_string(), content_type.to_string());
            own.insert("policy".to_string(), encoded);
            own.insert("x-amz-signature".to_string(), signature);
            (content_type.to_string(), own)
        })
        .collect();
    Grant {
        url: settings.bucket.post_url(),
        key,
        expires_at,
        fields,
        types,
    }
}

/// The POST policy document: the expiry, and a condition for every field
/// the form sends (S3 refuses a form with a field no condition covers),
/// each an exact match but for the size.
pub fn post_policy(
    bucket: &str,
    fields: &BTreeMap<String, String>,
    max_file_bytes: u64,
    content_type: &str,
    expires_at: DateTime<Utc>,
) -> serde_json::Value {
    let mut conditions = vec![
        json!({ "bucket": bucket }),
        json!(["content-length-range", 1, max_file_bytes]),
        json!({ "Content-Type": content_type }),
    ];
    conditions.extend(fields.iter().map(|(name, value)| json!({ name: value })));
    json!({
        "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    })
}

/// A link that fetches `key` from the bucket for `lifetime` (at most seven
/// days, S3's limit), answered with `content_type` and
/// `content_disposition` whatever the object's own headers say.
pub fn presigned_get(
    bucket: &Bucket,
    credentials: &Credentials,
    key: &str,
    content_type: &str,
    content_disposition: &str,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> String {
    let (scheme, host, path) = bucket.address(key);
    let scope = Scope::new(&bucket.region, now);
    let seconds = lifetime.num_seconds().clamp(1, 604_800);
    let mut query: Vec<(String, String)> = vec![
        ("X-Amz-Algorithm".into(), ALGORITHM.into()),
        (
            "X-Amz-Credential".into(),
            scope.credential(&credentials.access_key_id),
        ),
        ("X-Amz-Date".into(), scope.timestamp.clone()),
        ("X-Amz-Expires".into(), seconds.to_string()),
        ("X-Amz-SignedHeaders".into(), "host".into()),
        (
            "response-content-disposition".into(),
            content_disposition.into(),
        ),
        ("response-content-type".into(), content_type.into()),
    ];
    if let Some(token) = &credentials.session_token {
        query.push(("X-Amz-Security-Token".into(), token.clone()));
    }
    let mut encoded: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
        .collect();
    encoded.sort();
    let canonical_query = encoded.join("&");
    let canonical_request =
        format!("GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        scope.timestamp,
        scope.string(),
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let key = signing_key(&credentials.secret_access_key, &scope.date, &scope.region);
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    format!("{scheme}://{host}{path}?{canonical_query}&X-Amz-Signature={signature}")
}

/// The date, region and service a signature is valid for.
struct Scope {
    date: String,
    timestamp: String,
    region: String,
}

impl Scope {
    fn new(region: &str, now: DateTime<Utc>) -> Scope {
        Scope {
            date: now.format("%Y%m%d").to_string(),
            timestamp: now.format("%Y%m%dT%H%M%SZ").to_string(),
            region: region.to_string(),
        }
    }

    fn string(&self) -> String {
        format!("{}/{}/{SERVICE}/aws4_request", self.date, self.region)
    }

    fn credential(&self, access_key_id: &str) -> String {
        format!("{access_key_id}/{}", self.string())
    }
}

/// SigV4's signing key: the secret, chained through date, region, service.
fn signing_key(secret: &str, date: &str, region: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, SERVICE.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SigV4's URI encoding: everything but `A-Z a-z 0-9 - _ . ~` as `%XX`,
/// and `/` too unless it separates a path.
fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework::rules::EvidenceType;
    use chrono::TimeZone;
    use rand::SeedableRng;

    // AWS's documented example credentials (not a secret of anyone's).
    fn example_credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn rules() -> EvidenceRules {
        EvidenceRules {
            max_files: 5,
            max_file_bytes: 10_000_000,
            max_total_bytes: 30_000_000,
            types: vec![EvidenceType::Jpeg, EvidenceType::Png, EvidenceType::Pdf],
            max_pixels: 40_000_000,
        }
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("a time")
    }

    fn tracking() -> TrackingNumber {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        TrackingNumber::generate(
            "SL",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
            &mut rng,
        )
    }

    /// The known answer of AWS's documentation for a presigned GET
    /// (examplebucket, test.txt, 24 May 2013, one day).
    #[test]
    fn a_presigned_get_matches_the_documented_example() {
        let bucket = Bucket {
            name: "examplebucket".into(),
            region: "us-east-1".into(),
            endpoint: None,
        };
        // The documented example signs no response headers; compute its
        // canonical form through the same code by hand.
        let scope = Scope::new("us-east-1", at(2013, 5, 24, 0, 0, 0));
        let canonical = "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD";
        let to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            scope.timestamp,
            scope.string(),
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let key = signing_key(
            &example_credentials().secret_access_key,
            &scope.date,
            "us-east-1",
        );
        assert_eq!(
            hex::encode(hmac_sha256(&key, to_sign.as_bytes())),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        // The example's global host is in its canonical request above; our
        // links name the region in the host.
        assert_eq!(
            bucket.address("test.txt"),
            (
                "https".into(),
                "examplebucket.s3.us-east-1.amazonaws.com".into(),
                "/test.txt".into()
            )
        );
    }

    /// Known answers computed by botocore (an independent SigV4
    /// implementation) for the links intake makes: with a session token
    /// and response headers, and path-style on a local endpoint.
    #[test]
    fn presigned_gets_match_an_independent_signer() {
        let now = at(2026, 12, 1, 17, 30, 0);
        let bucket = Bucket {
            name: "evidence-bucket".into(),
            region: "ap-southeast-1".into(),
            endpoint: None,
        };
        let credentials = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secretexample".into(),
            session_token: Some("tokenexample/+=".into()),
        };
        let url = presigned_get(
            &bucket,
            &credentials,
            &format!("evidence/{}", "ab".repeat(32)),
            "application/pdf",
            "attachment; filename=\"SL-1-2.pdf\"",
            Duration::seconds(300),
            now,
        );
        assert!(
            url.starts_with(&format!(
                "https://evidence-bucket.s3.ap-southeast-1.amazonaws.com/evidence/{}?",
                "ab".repeat(32)
            )),
            "{url}"
        );
        assert!(
            url.contains("X-Amz-Security-Token=tokenexample%2F%2B%3D"),
            "{url}"
        );
        assert!(
            url.ends_with(
                "&X-Amz-Signature=24cb3166f8dc24c2a1582b1352b73e02c15af023209d71e94a1108ddde713f0d"
            ),
            "{url}"
        );

        let local = Bucket {
            name: "evidence-bucket".into(),
            region: "us-east-1".into(),
            endpoint: Some("http://127.0.0.1:5005".into()),
        };
        let url = presigned_get(
            &local,
            &example_credentials(),
            &format!("evidence/{}", "cd".repeat(32)),
            "image/jpeg",
            "inline; filename=\"SL-1-1.jpg\"",
            Duration::seconds(300),
            now,
        );
        assert!(
            url.starts_with("http://127.0.0.1:5005/evidence-bucket/evidence/cdcd"),
            "{url}"
        );
        assert!(
            url.ends_with(
                "&X-Amz-Signature=9111e6bb4070ebea1494dce668a6e78daf30c14d60ea5a5c8d52e01666ad33e5"
            ),
            "{url}"
        );
    }

    /// A POST policy's signature is the HMAC of the base64 policy under the
    /// signing key; the known answer is botocore's for the same string.
    #[test]
    fn the_post_signature_matches_an_independent_signer() {
        let key = signing_key(
            &example_credentials().secret_access_key,
            "20261201",
            "us-east-1",
        );
        let policy = "eyJleHBpcmF0aW9uIjoiMjAyNi0xMi0wMVQxNzo0NTowMC4wMDBaIn0=";
        assert_eq!(
            hex::encode(hmac_sha256(&key, policy.as_bytes())),
            "1fb61314210782090e841e333579f7c66df2d51f5bca484f49789dc9eb5df919"
        );
        assert_eq!(
            base64_encode(br#"{"expiration":"2026-12-01T17:45:00.000Z"}"#),
            policy
        );
    }

    #[test]
    fn a_grant_fixes_key_size_type_and_expiry_and_signs_the_token_in() {
        let now = at(2026, 12, 1, 17, 30, 0);
        let settings = GrantSettings {
            bucket: Bucket {
                name: "hotline-evidence".into(),
                region: "ap-southeast-1".into(),
                endpoint: None,
            },
            // Asked for an hour, given the cap.
            lifetime: Duration::hours(1),
            redirect: Some("https://site.example/thanks/?files=sent".into()),
        };
        let credentials = Credentials {
            session_token: Some("token".into()),
            ..example_credentials()
        };
        let tracking = tracking();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let grants = upload_grants(
            &settings,
            &credentials,
            &rules(),
            &tracking,
            3,
            now,
            &mut rng,
        );
        assert_eq!(grants.len(), 3);
        let keys: std::collections::BTreeSet<_> = grants.iter().map(|g| &g.key).collect();
        assert_eq!(keys.len(), 3, "every grant has its own key");
        let grant = &grants[0];
        assert_eq!(
            grant.url,
            "https://hotline-evidence.s3.ap-southeast-1.amazonaws.com/"
        );
        assert_eq!(grant.expires_at, now + MAX_GRANT_LIFETIME);
        let (parsed, grant_id) = parse_quarantine_key(&grant.key).expect("our own key parses");
        assert_eq!(parsed, tracking);
        assert_eq!(grant.key, quarantine_key(&tracking, &grant_id));
        assert_eq!(
            grant.types.keys().map(String::as_str).collect::<Vec<_>>(),
            ["application/pdf", "image/jpeg", "image/png"]
        );

        let jpeg = &grant.types["image/jpeg"];
        let policy_json = {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&jpeg["policy"])
                .expect("base64");
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("json")
        };
        let expected = json!({
            "expiration": "2026-12-01T17:45:00.000Z",
            "conditions": [
                { "bucket": "hotline-evidence" },
                ["content-length-range", 1, 10_000_000],
                { "Content-Type": "image/jpeg" },
                { "key": grant.key },
                { "success_action_redirect": "https://site.example/thanks/?files=sent" },
                { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
                { "x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20261201/ap-southeast-1/s3/aws4_request" },
                { "x-amz-date": "20261201T173000Z" },
                { "x-amz-security-token": "token" },
            ]
        });
        assert_eq!(policy_json, expected);
        // Every field the browser sends is covered by a condition.
        for name in grant.fields.keys().chain(jpeg.keys()) {
            if name == "policy" || name == "x-amz-signature" {
                continue;
            }
            assert!(
                policy_json["conditions"]
                    .as_array()
                    .expect("conditions")
                    .iter()
                    .any(|c| c.get(name).is_some()),
                "{name} has no condition"
            );
        }
        // The signature is over that very policy, under today's key.
        let key = signing_key(&credentials.secret_access_key, "20261201", "ap-southeast-1");
        assert_eq!(
            jpeg["x-amz-signature"],
            hex::encode(hmac_sha256(&key, jpeg["policy"].as_bytes()))
        );
        assert_ne!(
            grant.types["image/png"]["x-amz-signature"],
            jpeg["x-amz-signature"]
        );
        // A secret never shows in a debug print.
        assert!(!format!("{credentials:?}").contains("EXAMPLEKEY"));
        assert!(!format!("{credentials:?}").contains("token"));
    }

    #[test]
    fn only_the_keys_grants_make_parse() {
        let tracking = tracking();
        let id = "0123456789abcdef0123456789abcdef";
        let good = quarantine_key(&tracking, id);
        assert_eq!(
            parse_quarantine_key(&good),
            Some((tracking.clone(), id.to_string()))
        );
        let t = tracking.as_str();
        for bad in [
            format!("evidence/{t}/{id}/file"),
            format!("quarantine/{t}/{id}/file/more"),
            format!("quarantine/{t}/{id}/photo.jpg"),
            format!("quarantine/{t}/{}/file", &id[..31]),
            format!("quarantine/{t}/{}/file", id.to_uppercase()),
            format!("quarantine/{}/{id}/file", t.to_lowercase()),
            format!("quarantine/SL-NOPE/{id}/file"),
            format!("quarantine/{t}/../{id}/file"),
            format!("quarantine/{t}/{id}"),
            String::new(),
        ] {
            assert_eq!(parse_quarantine_key(&bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_are_encoded_as_sigv4_wants() {
        assert_eq!(uri_encode("a b/c~d+é", false), "a%20b/c~d%2B%C3%A9");
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
        let local = Bucket {
            name: "b".into(),
            region: "us-east-1".into(),
            endpoint: Some("http://127.0.0.1:5005/".into()),
        };
        assert_eq!(local.post_url(), "http://127.0.0.1:5005/b/");
    }
}
