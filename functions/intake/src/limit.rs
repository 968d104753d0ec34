//! The per-client rate limit: which counter a request counts against, and
//! the fixed window it falls in. Pure; counting is the store's job.
//!
//! The counter key is a keyed hash of the IP address, so the table never
//! holds an address and the hashes cannot be reversed without the secret.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;
use std::time::Duration;

/// Hex HMAC-SHA256 of the address under `secret`.
pub fn client_key(secret: &str, ip: IpAddr) -> String {
    // HMAC accepts keys of any length, so this cannot fail; the fallback
    // only keeps the code free of panics.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("unkeyed");
    };
    mac.update(ip.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The header CloudFront fills with the visitor's address and port.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";
/// The header CloudFront adds on its way to the API, holding a secret that
/// only the distribution and the function know.
pub const ORIGIN_SECRET_HEADER: &str = "x-origin-verify";

/// The address a request counts against. Behind CloudFront the connection
/// comes from an edge server shared by many visitors, so the visitor's own
/// address is taken from `CloudFront-Viewer-Address`, but only when the
/// request also carries the origin secret: anyone can reach the API's own
/// address and write that header, to spread their requests over invented
/// addresses. Otherwise, the connection's address.
pub fn client_address(
    source: Option<IpAddr>,
    viewer_address: Option<&str>,
    origin_secret_sent: Option<&str>,
    origin_secret: Option<&str>,
) -> Option<IpAddr> {
    let trusted = match (origin_secret, origin_secret_sent) {
        (Some(expected), Some(sent)) if !expected.is_empty() => same_secret(expected, sent),
        _ => false,
    };
    if trusted && let Some(viewer) = viewer_address.and_then(viewer_ip) {
        return Some(viewer);
    }
    source
}

/// Compares every byte whatever the first difference, so the time taken
/// does not tell a guesser how much of the secret was right.
fn same_secret(expected: &str, sent: &str) -> bool {
    expected.len() == sent.len()
        && expected
            .bytes()
            .zip(sent.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// `198.51.100.10:46532` or `2001:db8::8a2e:370:7334:46532` (CloudFront's
/// forms: the address, a colon and the port) or `[2001:db8::1]:443`.
pub fn viewer_ip(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (ip, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.parse().ok()
}

/// A fixed window of time, aligned on multiples of its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// When the counter may be deleted: a window after its end, so late
    /// requests near the boundary still find it.
    pub expires_at: DateTime<Utc>,
}

impl Window {
    pub fn containing(now: DateTime<Utc>, length: Duration) -> Window {
        let secs = i64::try_from(length.as_secs()).unwrap_or(i64::MAX).max(1);
        let start_secs = now.timestamp().div_euclid(secs) * secs;
        let start = DateTime::from_timestamp(start_secs, 0).unwrap_or(now);
        let len = TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX);
        let end = start
            .checked_add_signed(len)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires_at = end
            .checked_add_signed(len)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Window {
            start,
            end,
            expires_at,
        }
    }

    /// Whole seconds until the window ends, at least 1.
    pub fn seconds_left(&self, now: DateTime<Utc>) -> u64 {
        let left = (self.end - now).num_seconds();
        u64::try_from(left).unwrap_or(0).max(1)
    }
}

#[cfg(test)]
mod viewer_tests {
    use super::*;

    #[test]
    fn the_viewer_address_counts_only_with_the_origin_secret() {
        let edge: IpAddr = "130.176.1.1".parse().unwrap();
        let viewer: IpAddr = "198.51.100.10".parse().unwrap();
        let secret = Some("s3cret-value");
        let header = Some("198.51.100.10:46532");
        assert_eq!(
            client_address(Some(edge), header, secret, secret),
            Some(viewer)
        );
        // A forged header without the secret, or with a wrong one, is ignored.
        assert_eq!(client_address(Some(edge), header, None, secret), Some(edge));
        assert_eq!(
            client_address(Some(edge), header, Some("guess"), secret),
            Some(edge)
        );
        // No secret configured: the header is never trusted.
        assert_eq!(client_address(Some(edge), header, secret, None), Some(edge));
        assert_eq!(
            client_address(Some(edge), header, Some(""), Some("")),
            Some(edge)
        );
        // A header that is not an address leaves the connection's.
        assert_eq!(
            client_address(Some(edge), Some("nonsense"), secret, secret),
            Some(edge)
        );
        assert_eq!(client_address(None, None, secret, secret), None);
    }

    #[test]
    fn viewer_addresses_in_cloudfronts_forms() {
        assert_eq!(
            viewer_ip("198.51.100.10:46532"),
            "198.51.100.10".parse().ok()
        );
        assert_eq!(
            viewer_ip("2001:db8:85a3::8a2e:370:7334:46532"),
            "2001:db8:85a3::8a2e:370:7334".parse().ok()
        );
        assert_eq!(viewer_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(viewer_ip("198.51.100.10"), None);
        assert_eq!(viewer_ip(""), None);
        assert_eq!(viewer_ip("a.b.c.d:80"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_keyed_hashes_of_the_address() {
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        let key = client_key("secret", ip);
        assert_eq!(key.len(), 64);
        assert!(!key.contains("203"));
        assert_eq!(key, client_key("secret", ip));
        assert_ne!(key, client_key("other", ip));
        assert_ne!(
            key,
            client_key("secret", "203.0.113.8".parse().expect("ip"))
        );
    }

    #[test]
    fn windows_are_aligned() {
        let now = DateTime::from_timestamp(1_000_030, 0).expect("time");
        let w = Window::containing(now, Duration::from_secs(60));
        assert_eq!(w.start.timestamp(), 1_000_020);
        assert_eq!(w.end.timestamp(), 1_000_080);
        assert_eq!(w.expires_at.timestamp(), 1_000_140);
        assert_eq!(w.seconds_left(now), 50);
        let zero = Window::containing(now, Duration::ZERO);
        assert_eq!(zero.start, now);
    }
}
