//! The per-client rate limit: which counter a request counts against, and
//! the fixed window it falls in. Pure; counting is the store's job.
//!
//! The counter key is a keyed hash of the client's network and of the
//! group of routes counted together, so the table never holds an address
//! and the hashes cannot be reversed without the secret.
//!
//! An IPv4 client is its address. An IPv6 client is its network prefix,
//! by default the /64: one subscriber line or one hosting customer gets a
//! whole /64 (2^64 addresses), so keying on the full address would give
//! anyone with one line an endless supply of fresh clients.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// The IPv6 prefix length one client is counted by, unless configured:
/// the /64 that providers hand out as one network.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// Which routes count together: the submission and lookups on one
/// counter, the signed links' pages (actions and survey) on another, so a
/// department working through its mail never stops a citizen's submission,
/// and guessing at links meets its own, smaller limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Public,
    Links,
    /// Attempts to open a complainant's case page with a receipt code.
    Receipt,
}

impl Scope {
    fn label(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Links => "links",
            Scope::Receipt => "receipt",
        }
    }
}

/// The network a client is counted as: the address itself for IPv4 (and
/// IPv4 mapped into IPv6), the first `ipv6_prefix` bits (clamped to
/// 0..=128) for IPv6.
pub fn client_network(ip: IpAddr, ipv6_prefix: u8) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4.to_string();
            }
            let bits = u32::from(ipv6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let network = Ipv6Addr::from(u128::from(v6) & mask);
            format!("{network}/{bits}")
        }
    }
}

/// Hex HMAC-SHA256 of the client's network and the scope under `secret`.
pub fn client_key(secret: &str, ip: IpAddr, ipv6_prefix: u8, scope: Scope) -> String {
    // HMAC accepts keys of any length, so this cannot fail; the fallback
    // only keeps the code free of panics.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("unkeyed");
    };
    mac.update(scope.label().as_bytes());
    mac.update(b"\n");
    mac.update(client_network(ip, ipv6_prefix).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// How many acknowledgments one e-mail address gets per day (UTC): a
/// visitor who files a few cases is acknowledged each time; someone typing
/// a third party's address into the form cannot bury it in mail.
pub const ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY: u32 = 3;

/// Hex HMAC-SHA256 of an e-mail address (already in its checked form)
/// under `secret`: the acknowledgment counter's key, which never holds
/// the address.
pub fn mailbox_key(secret: &str, address: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("unkeyed");
    };
    mac.update(b"acknowledgments\n");
    mac.update(address.to_lowercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Hex HMAC-SHA256 of a mobile number (E.164) under `secret`: the text
/// receipts' counter key, apart from the mail's, never holding the number.
pub fn text_key(secret: &str, mobile: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("unkeyed");
    };
    mac.update(b"text acknowledgments\n");
    mac.update(mobile.as_bytes());
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
        let key = client_key("secret", ip, 64, Scope::Public);
        assert_eq!(key.len(), 64);
        assert!(!key.contains("203"));
        assert_eq!(key, client_key("secret", ip, 64, Scope::Public));
        assert_ne!(key, client_key("other", ip, 64, Scope::Public));
        assert_ne!(key, client_key("secret", ip, 64, Scope::Links));
        assert_ne!(
            key,
            client_key(
                "secret",
                "203.0.113.8".parse().expect("ip"),
                64,
                Scope::Public
            )
        );
    }

    #[test]
    fn one_ipv6_slash_64_is_one_client() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let key = |s: &str, prefix| client_key("secret", ip(s), prefix, Scope::Public);
        // Any address in the same /64 counts against the same counter.
        assert_eq!(
            key("2001:db8:1:2::1", 64),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64)
        );
        assert_ne!(key("2001:db8:1:2::1", 64), key("2001:db8:1:3::1", 64));
        // A configured /56 joins the neighbouring /64s; /128 is per address.
        assert_eq!(key("2001:db8:1:2::1", 56), key("2001:db8:1:3::1", 56));
        assert_ne!(key("2001:db8:1:2::1", 128), key("2001:db8:1:2::2", 128));
        assert_eq!(
            client_network(ip("2001:db8:1:2:3:4:5:6"), 64),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_network(ip("2001:db8::1"), 0), "::/0");
        assert_eq!(client_network(ip("2001:db8::1"), 200), "2001:db8::1/128");
        // IPv4, plain or mapped, is the address.
        assert_eq!(client_network(ip("::ffff:203.0.113.7"), 64), "203.0.113.7");
        assert_eq!(client_network(ip("203.0.113.7"), 64), "203.0.113.7");
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
