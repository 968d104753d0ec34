//! The one set of security headers on every page and API answer: emitted
//! by [`Api::handle`](crate::Api::handle) (so the Lambda's answers carry
//! them even if CloudFront were bypassed), by `hotline serve` on the
//! preview's pages, and by CloudFront's response headers policy in
//! `infra/template.yaml`, whose values `infra/headers_check.py` keeps equal
//! to the constants here.
//!
//! Over plain HTTP (only ever the local preview) the two transport-only
//! parts are left off: `Strict-Transport-Security` means nothing there,
//! and `upgrade-insecure-requests` would send the preview's own files to
//! an `https://` address that does not answer.
//!
//! In production the form's script posts evidence files straight to the
//! evidence bucket, and without a script the receipt and case pages' file
//! forms post there too, so there `connect-src` and `form-action` also name
//! the bucket's regional origin, and only it
//! ([`content_security_policy_with`]; the template builds the same origin
//! from the stack's bucket).
//!
//! This module is the values and where they go, nothing else.

use http::HeaderMap;
use http::header::{self, HeaderName, HeaderValue};

/// Own scripts and styles only; `'wasm-unsafe-eval'` lets the Pagefind
/// search index (WebAssembly) run. Inline styles only by hash: the built-in
/// look of the pages the API writes itself (`infra/csp_check.py` keeps the
/// hash in step with the code).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'sha256-oKsFriz1Sd8CNsoyCJKDtvXpxAnLC6EcAWflZ+c3yMs='; img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; upgrade-insecure-requests";

/// The one origin besides its own a production page may connect to: the
/// evidence bucket's regional endpoint (virtual-hosted, as
/// `office::upload_grant` addresses it). `infra/headers_check.py` fills in
/// the template's bucket name and region to check the two agree.
pub const EVIDENCE_ORIGIN: &str = "https://{bucket}.s3.{region}.amazonaws.com";

const CONNECT_SRC: &str = "connect-src 'self'";
const FORM_ACTION: &str = "form-action 'self'";

/// [`CONTENT_SECURITY_POLICY`] with `origin`, the evidence bucket's, added
/// to `connect-src` (the script's uploads) and `form-action` (the no-JS
/// file forms).
pub fn content_security_policy_with(origin: &str) -> String {
    CONTENT_SECURITY_POLICY
        .replacen(CONNECT_SRC, &format!("{CONNECT_SRC} {origin}"), 1)
        .replacen(FORM_ACTION, &format!("{FORM_ACTION} {origin}"), 1)
}

/// The CSP directive left off over plain HTTP.
const UPGRADE: &str = "; upgrade-insecure-requests";

/// Two years, subdomains included, not preloaded (a decision for the
/// domain's owner, not for this code).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// Status-page and action-link addresses carry tracking numbers and
/// tokens: never send them to another site.
pub const REFERRER_POLICY: &str = "same-origin";

pub const FRAME_OPTIONS: &str = "DENY";

pub const CONTENT_TYPE_OPTIONS: &str = "nosniff";

/// The headers, by name, for an answer over HTTPS (`https`) or plain HTTP.
pub fn security_headers(https: bool) -> Vec<(HeaderName, &'static str)> {
    let csp = if https {
        CONTENT_SECURITY_POLICY
    } else {
        CONTENT_SECURITY_POLICY
            .strip_suffix(UPGRADE)
            .unwrap_or(CONTENT_SECURITY_POLICY)
    };
    let mut set = vec![
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::REFERRER_POLICY, REFERRER_POLICY),
        (header::X_FRAME_OPTIONS, FRAME_OPTIONS),
        (header::X_CONTENT_TYPE_OPTIONS, CONTENT_TYPE_OPTIONS),
    ];
    if https {
        set.push((header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY));
    }
    set
}

/// Puts the set on `headers`, replacing any value already there; over
/// plain HTTP it also takes away the HTTPS-only ones. With `evidence_origin`
/// (production), pages may also connect to that origin.
pub fn apply_with(headers: &mut HeaderMap, https: bool, evidence_origin: Option<&str>) {
    if let Some(origin) = evidence_origin
        && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&content_security_policy_with(origin))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    apply(headers, https);
}

/// Puts the set on `headers`, replacing any value already there; over
/// plain HTTP it also takes away the HTTPS-only ones.
pub fn apply(headers: &mut HeaderMap, https: bool) {
    if !https {
        headers.remove(header::STRICT_TRANSPORT_SECURITY);
    }
    for (name, value) in security_headers(https) {
        // A response that brings its own policy (a downloaded file's, which
        // allows nothing at all) keeps it.
        if name == header::CONTENT_SECURITY_POLICY && headers.contains_key(&name) {
            continue;
        }
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_http_set_only_drops_the_transport_parts() {
        let https = security_headers(true);
        let http = security_headers(false);
        assert_eq!(https.len(), 5);
        assert_eq!(http.len(), 4);
        assert!(CONTENT_SECURITY_POLICY.ends_with(UPGRADE));
        let csp = |set: &[(HeaderName, &str)]| {
            set.iter()
                .find(|(n, _)| n == header::CONTENT_SECURITY_POLICY)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        assert_eq!(format!("{}{UPGRADE}", csp(&http)), csp(&https));
        assert!(csp(&http).contains("frame-ancestors 'none'"));
        let mut map = HeaderMap::new();
        apply(&mut map, true);
        assert_eq!(map.len(), 5);
        apply(&mut map, false);
        assert_eq!(map.len(), 4);
        assert!(map.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }

    #[test]
    fn the_evidence_bucket_is_the_one_other_origin_to_connect_to() {
        let origin = EVIDENCE_ORIGIN
            .replace("{bucket}", "hotline-evidence-1")
            .replace("{region}", "ap-southeast-1");
        let csp = content_security_policy_with(&origin);
        assert!(
            csp.contains(
                "; connect-src 'self' https://hotline-evidence-1.s3.ap-southeast-1.amazonaws.com; "
            ),
            "{csp}"
        );
        assert!(
            csp.contains(
                "; form-action 'self' https://hotline-evidence-1.s3.ap-southeast-1.amazonaws.com; "
            ),
            "{csp}"
        );
        assert_eq!(
            csp.replace(&format!(" {origin}"), ""),
            CONTENT_SECURITY_POLICY,
            "nothing else changes"
        );
        let mut map = HeaderMap::new();
        apply_with(&mut map, true, Some(&origin));
        assert_eq!(map[header::CONTENT_SECURITY_POLICY], csp.as_str());
        // A response's own policy (a downloaded file's) still wins.
        let mut own = HeaderMap::new();
        own.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        apply_with(&mut own, true, Some(&origin));
        assert_eq!(own[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
    }
}
