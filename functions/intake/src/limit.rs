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
