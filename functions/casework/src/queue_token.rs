//! Signed queue links: what lets a department open the page of its open
//! cases from a digest mail, without an account.
//!
//! A token is an HMAC-SHA256 keyed by the same [`ActionSecret`] as the
//! case links of [`crate::action_token`], but over a text that starts with
//! a domain of its own (`hotline-queue`), the department id and the
//! expiry, so a queue token can never pass for a case action token or the
//! other way round. The department is in the link's path, so the token
//! carries only the expiry and the signature:
//! `q1.<expiry, Unix seconds>.<signature, base64url>`. [`QueueToken::check`]
//! checks the signature in constant time before it believes the expiry.
//!
//! This module says nothing about which cases the page shows: that is the
//! page's. Pure: the clock is handed in.

use crate::action_token::{ActionSecret, TokenError};
use crate::rules::DepartmentId;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a queue link works after the digest that carried it was sent.
///
/// The rulebook has no digest schedule: a digest goes out whenever a
/// reminder or an escalation falls due on one of the department's cases,
/// so "the next digest" cannot be known when a link is signed. The link
/// therefore lives a fixed time: 3 days for the next digest of a busy
/// department (reminders come a working day before a deadline) plus a
/// margin of 4 days, so a link read after a weekend or a short holiday
/// still opens, while a forwarded mail stops being a key within a week.
pub const QUEUE_LINK_LIFETIME: TimeDelta = TimeDelta::days(7);

const VERSION: &str = "q1";

/// When a queue link signed at `now` stops working.
pub fn queue_link_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + QUEUE_LINK_LIFETIME
}

/// A checked queue token: whose page it opens and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueToken {
    pub department: DepartmentId,
    pub expires_at: DateTime<Utc>,
}

impl QueueToken {
    /// The token for `department`'s queue page until `expires_at`.
    pub fn sign(
        secret: &ActionSecret,
        department: &DepartmentId,
        expires_at: DateTime<Utc>,
    ) -> String {
        let expiry = expires_at.timestamp();
        let mac = mac(secret, department, expiry);
        format!(
            "{VERSION}.{expiry}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// Checks `token` for the page of `department` (from the path) at
    /// `now`. Another department's token fails the signature like a forged
    /// one: the department is part of the signed text. Errors are those of
    /// case links ([`TokenError`]), so refusals read the same.
    pub fn check(
        secret: &ActionSecret,
        token: &str,
        department: &DepartmentId,
        now: DateTime<Utc>,
    ) -> Result<QueueToken, TokenError> {
        let mut parts = token.split('.');
        let (Some(VERSION), Some(expiry), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let expiry_secs: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        mac(secret, department, expiry_secs)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let expires_at = DateTime::from_timestamp(expiry_secs, 0).ok_or(TokenError::Malformed)?;
        if now >= expires_at {
            return Err(TokenError::Expired {
                expired_at: expires_at,
            });
        }
        Ok(QueueToken {
            department: department.clone(),
            expires_at,
        })
    }
}

fn mac(secret: &ActionSecret, department: &DepartmentId, expiry: i64) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    // A domain of its own: case links sign "hotline-action\n…", so no text
    // signed here is ever one signed there.
    mac.update(format!("hotline-queue\n{VERSION}\n{department}\n{expiry}").as_bytes());
    mac
}

/// The queue page's address: `{base}/queue/{department}?token=…`.
pub fn queue_url(base_url: &str, department: &DepartmentId, token: &str) -> String {
    format!(
        "{}/queue/{department}?token={token}",
        base_url.trim_end_matches('/')
    )
}

/// The signed queue link for `department`, made at `now`.
pub fn queue_link(
    secret: &ActionSecret,
    base_url: &str,
    department: &DepartmentId,
    now: DateTime<Utc>,
) -> String {
    let token = QueueToken::sign(secret, department, queue_link_expiry(now));
    queue_url(base_url, department, &token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action_token::{Action, ActionToken, Holder};
    use chrono::TimeZone;

    fn secret() -> ActionSecret {
        ActionSecret::new(*b"0123456789abcdef0123456789abcdef").expect("32 bytes")
    }

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn housing() -> DepartmentId {
        DepartmentId::new("housing")
    }

    #[test]
    fn a_token_opens_its_own_department_until_it_expires() {
        let token = QueueToken::sign(&secret(), &housing(), at(10));
        assert!(token.starts_with("q1."), "{token}");
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
        assert_eq!(
            QueueToken::check(&secret(), &token, &housing(), at(9)),
            Ok(QueueToken {
                department: housing(),
                expires_at: at(10)
            })
        );
        assert_eq!(
            QueueToken::check(&secret(), &token, &housing(), at(10)),
            Err(TokenError::Expired { expired_at: at(10) })
        );
    }

    #[test]
    fn another_department_or_secret_fails_the_signature() {
        let token = QueueToken::sign(&secret(), &housing(), at(10));
        assert_eq!(
            QueueToken::check(&secret(), &token, &DepartmentId::new("water"), at(1)),
            Err(TokenError::BadSignature)
        );
        let other = ActionSecret::new(*b"another secret, also 32 bytes long").expect("long");
        assert_eq!(
            QueueToken::check(&other, &token, &housing(), at(1)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn tampered_and_malformed_tokens_are_refused() {
        let token = QueueToken::sign(&secret(), &housing(), at(10));
        let parts: Vec<&str> = token.split('.').collect();
        let later = at(1000).timestamp();
        let mut sig = parts[2].to_string();
        let last = if sig.ends_with('A') { "B" } else { "A" };
        sig.replace_range(sig.len() - 1.., last);
        for forged in [
            format!("q1.{later}.{}", parts[2]),
            format!("q1.{}.{sig}", parts[1]),
        ] {
            assert_eq!(
                QueueToken::check(&secret(), &forged, &housing(), at(1)),
                Err(TokenError::BadSignature),
                "{forged}"
            );
        }
        for junk in [
            "",
            "q1",
            "v1.1.AAAA",
            "q1.x.AAAA",
            "q1.1.!!",
            &format!("{token}.x"),
        ] {
            assert_eq!(
                QueueToken::check(&secret(), junk, &housing(), at(1)),
                Err(TokenError::Malformed),
                "{junk}"
            );
        }
    }

    #[test]
    fn queue_and_case_tokens_never_pass_for_each_other() {
        let queue = QueueToken::sign(&secret(), &housing(), at(10));
        let tracking = {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(1);
            crate::tracking::TrackingNumber::generate(
                "SL",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                &mut rng,
            )
        };
        let holder = Holder::Department(housing());
        // A queue token given to a case link, with its version changed to
        // the case links' and the holder put in: still refused.
        let parts: Vec<&str> = queue.split('.').collect();
        let dressed = format!("v1.{}.d-housing.{}", parts[1], parts[2]);
        assert!(ActionToken::check(&secret(), &dressed, &tracking, Action::Accept, at(1)).is_err());
        // A case token given to the queue page: refused too.
        let case = ActionToken::sign(&secret(), &tracking, &holder, Action::Accept, at(10));
        let parts: Vec<&str> = case.split('.').collect();
        let dressed = format!("q1.{}.{}", parts[1], parts[3]);
        assert_eq!(
            QueueToken::check(&secret(), &dressed, &housing(), at(1)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn the_link_points_at_the_department_and_lives_the_documented_time() {
        let url = queue_link(&secret(), "https://h.example.org/api/", &housing(), at(0));
        let token = url
            .strip_prefix("https://h.example.org/api/queue/housing?token=")
            .expect("queue url");
        let checked = QueueToken::check(&secret(), token, &housing(), at(1)).expect("valid");
        assert_eq!(checked.expires_at, at(0) + QUEUE_LINK_LIFETIME);
    }
}
