//! The receipt code: what proves a case is yours, without an account.
//!
//! The tracking number is public (it is on the status page and can be read
//! out on the phone); the receipt code is the complainant's secret, given
//! once when the case is filed, and with the number it opens the
//! complainant's case page (the conversation, the reply box, the survey).
//!
//! - **Entropy.** 16 characters of Crockford's base32 alphabet, 80 random
//!   bits, shown as four groups of four (`K7QM-3XPA-9D2F-HT6W`). The public
//!   page lets a client try a handful of codes an hour per case; even a
//!   million tries a second would need about 19 billion years on average
//!   for one case, and a stolen copy of the store holds only slow hashes
//!   (below), so 80 bits is hopeless to guess either way while still short
//!   enough to copy by hand.
//! - **Where it comes from.** An HMAC of the tracking number under the
//!   office's action secret, so the same submission sent twice (a double
//!   click, a retried request with the same idempotency key) is shown the
//!   same code, and nothing else has to remember it. Whoever holds the
//!   action secret could forge any signed link anyway; the store alone
//!   (a backup, a leaked table) never reveals a code.
//! - **What is kept.** Only an Argon2id hash in PHC form, with a random
//!   16-byte salt: m = 19 MiB, t = 2, p = 1, the lowest setting OWASP's
//!   password guidance accepts for Argon2id, about 30 ms to check on one
//!   core of a 2-core machine, well inside a Lambda's memory.
//! - **Reading what people type.** Case, spaces and hyphens do not matter,
//!   and the letters people confuse with digits are read as those digits
//!   (`O` as 0, `I` and `L` as 1), as Crockford's alphabet intends.
//!
//! Pure: the secret, the salt's randomness and the code come in; no I/O.

use crate::action_token::ActionSecret;
use crate::tracking::TrackingNumber;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Crockford's base32: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code (5 bits each).
pub const CODE_LEN: usize = 16;

/// Argon2id's memory cost in KiB, passes and lanes (see the module docs).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// A hash with the real parameters that no code matches (its salt and
/// output are zeros): what is checked when a case has no hash, so that
/// refusing an unknown number takes as long as refusing a wrong code.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Where a queued mail takes the complainant's code: the code is written
/// in only as the mail leaves (`office::receipt_mail`), so no stored mail
/// holds it.
pub const CODE_PLACEHOLDER: &str = "[[receipt-code]]";

/// A receipt code, as given to the complainant. Its `Debug` never shows
/// it, so it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptCode(String);

impl fmt::Debug for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceiptCode(..)")
    }
}

impl ReceiptCode {
    /// The code of case `tracking`: the first 80 bits of an HMAC-SHA256
    /// of the number, keyed by `secret` under a label of its own, so no
    /// action link's signature is ever a code.
    pub fn for_case(secret: &ActionSecret, tracking: &TrackingNumber) -> ReceiptCode {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(b"hotline receipt code v1\n");
        mac.update(tracking.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        ReceiptCode(encode_80_bits(&digest[..10]))
    }

    /// What someone typed, read as a code: `None` unless it is 16 base32
    /// characters once spaces and hyphens are gone.
    pub fn parse(typed: &str) -> Option<ReceiptCode> {
        let mut out = String::with_capacity(CODE_LEN);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\u{3000}' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == CODE_LEN {
                return None;
            }
            out.push(c);
        }
        (out.len() == CODE_LEN).then_some(ReceiptCode(out))
    }

    /// The code as shown: four groups of four.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(4)
            .map(|g| g.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The code without separators, as it is hashed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Argon2id hash to keep, salted with `salt` (16 random bytes).
    pub fn hash(&self, salt: [u8; 16]) -> String {
        let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
        hasher()
            .hash_password(self.0.as_bytes(), &salt)
            .expect("Argon2id over a short code cannot fail")
            .to_string()
    }

    /// Whether `stored` (a hash made by [`ReceiptCode::hash`]) is this
    /// code's. A hash that cannot be read matches nothing.
    pub fn matches(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        // The parameters come from the stored hash, so a later change of
        // the constants above still checks the codes given before it.
        Argon2::default()
            .verify_password(self.0.as_bytes(), &parsed)
            .is_ok()
    }
}

impl fmt::Display for ReceiptCode {
    /// Shown grouped; `Display` exists for pages and mails that give the
    /// code to its owner, never for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        ARGON2_LANES,
        Some(Params::DEFAULT_OUTPUT_LEN),
    )
    .expect("the constants are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Ten bytes as sixteen base32 characters, most significant bits first.
fn encode_80_bits(bytes: &[u8]) -> String {
    let mut value: u128 = 0;
    for b in bytes {
        value = (value << 8) | u128::from(*b);
    }
    (0..CODE_LEN)
        .rev()
        .map(|i| ALPHABET[((value >> (5 * i)) & 31) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret() -> ActionSecret {
        ActionSecret::new(vec![7u8; 32]).unwrap()
    }

    fn tracking(s: &str) -> TrackingNumber {
        TrackingNumber::parse(s).unwrap()
    }

    fn sample_tracking() -> TrackingNumber {
        let mut rng = rand::rng();
        TrackingNumber::generate(
            "SL",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            &mut rng,
        )
    }

    #[test]
    fn a_case_always_gets_the_same_code_and_another_case_another() {
        let a = sample_tracking();
        let b = sample_tracking();
        assert_eq!(
            ReceiptCode::for_case(&secret(), &a),
            ReceiptCode::for_case(&secret(), &a)
        );
        assert_ne!(
            ReceiptCode::for_case(&secret(), &a),
            ReceiptCode::for_case(&secret(), &b)
        );
        let other = ActionSecret::new(vec![8u8; 32]).unwrap();
        assert_ne!(
            ReceiptCode::for_case(&secret(), &a),
            ReceiptCode::for_case(&other, &a)
        );
        let _ = tracking(a.as_str());
    }

    #[test]
    fn the_code_is_shown_in_four_groups_and_read_back_however_it_is_typed() {
        let code = ReceiptCode::for_case(&secret(), &sample_tracking());
        let shown = code.grouped();
        assert_eq!(shown.len(), 19);
        assert_eq!(shown.matches('-').count(), 3);
        assert_eq!(ReceiptCode::parse(&shown), Some(code.clone()));
        let sloppy = format!(" {} ", shown.to_lowercase().replace('-', " "));
        assert_eq!(ReceiptCode::parse(&sloppy), Some(code));
        assert_eq!(
            ReceiptCode::parse("OIL0-0000-0000-0000").map(|c| c.0),
            Some("0110000000000000".to_string())
        );
        for bad in [
            "",
            "ABC",
            "ABCD-EFGH-JKMN-PQRSX",
            "ABCD-EFGH-JKMN-PQRU",
            "路灯路灯",
        ] {
            assert_eq!(ReceiptCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_hash_is_argon2id_with_the_stated_parameters_and_checks_only_its_code() {
        let code = ReceiptCode::for_case(&secret(), &sample_tracking());
        let stored = code.hash([1u8; 16]);
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(!stored.contains(code.as_str()));
        assert!(code.matches(&stored));
        let other = ReceiptCode::for_case(&secret(), &sample_tracking());
        assert!(!other.matches(&stored));
        assert!(!code.matches("not a hash"));
        // Salted: the same code hashes differently with another salt.
        assert_ne!(stored, code.hash([2u8; 16]));
    }

    #[test]
    fn the_decoy_hash_is_read_with_the_real_parameters_and_matches_no_code() {
        let parsed = PasswordHash::new(DECOY_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let real = ReceiptCode::for_case(&secret(), &sample_tracking()).hash([3u8; 16]);
        let params = |h: &str| h.split('$').nth(3).map(str::to_string);
        assert_eq!(params(DECOY_HASH), params(&real));
        let code = ReceiptCode::parse("0000-0000-0000-0000").expect("a code");
        assert!(!code.matches(DECOY_HASH));
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = ReceiptCode::for_case(&secret(), &sample_tracking());
        assert_eq!(format!("{code:?}"), "ReceiptCode(..)");
    }

    proptest! {
        #[test]
        fn every_code_uses_only_the_alphabet_and_parses_back(bytes in proptest::array::uniform10(any::<u8>())) {
            let code = ReceiptCode(encode_80_bits(&bytes));
            prop_assert_eq!(code.0.len(), CODE_LEN);
            prop_assert!(code.0.bytes().all(|b| ALPHABET.contains(&b)));
            prop_assert_eq!(ReceiptCode::parse(&code.grouped()), Some(code));
        }
    }
}
