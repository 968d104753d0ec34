//! Tracking numbers: the number a visitor gets when a case is received, and
//! later reads out over the phone or types into the status page.
//!
//! The form is `{PREFIX}-{YYMM}-{XXX}-{XXX}-{XXC}`, e.g. `TS-2611-K7Q-X9M-3DZ`:
//! the office's prefix (1–4 letters), the local month the case was received,
//! eight random characters of the Crockford base-32 alphabet (40 bits) and
//! one check character, grouped in threes so it can be read aloud.
//!
//! The check character covers the month digits and the random characters.
//! It is the weighted sum of their values over the field with 32 elements,
//! with weights that are successive powers of a generator; the check makes
//! the sum zero. That detects every single wrong character (each weight is
//! non-zero) and every swap of two different characters at any distance up
//! to 30 places (no two weights in one number are equal). Luhn mod 32 was
//! considered first; it misses the swap of `0` and `V`, as a test below
//! shows.
//!
//! [`TrackingNumber::parse`] is forgiving of how people type and say the
//! number: any case, separators anywhere or nowhere, full-width characters,
//! `I`/`L` read as `1` and `O` as `0`. It never guesses beyond that: a
//! number that fails its check is reported as a typing mistake, not fixed.
//!
//! This module does not know which prefix the office uses; the caller
//! compares [`TrackingNumber::prefix`] with the rulebook if it needs to.

use crate::localized::Lang;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// The Crockford base-32 alphabet: digits and letters without I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters after the prefix: 4 month digits, 8 random, 1 check.
const BODY_LEN: usize = 13;
const MONTH_LEN: usize = 4;
const RANDOM_LEN: usize = 8;
const MAX_PREFIX_LEN: usize = 4;

/// Used by [`TrackingNumber::generate`] when it is handed a prefix it cannot
/// use, so that a bad rulebook never stops a case from being received.
pub const FALLBACK_PREFIX: &str = "TS";

/// A tracking number in canonical form, e.g. `TS-2611-K7Q-X9M-3DZ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingNumber(String);

/// Why a typed tracking number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingError {
    #[error("no tracking number was given")]
    Empty,
    /// The count is of the characters after the prefix, separators not counted.
    #[error("expected 13 characters after the prefix, found {found}")]
    WrongLength { found: usize },
    /// `position` counts characters of the input as typed, from 1.
    #[error("character {position} ({}) is not valid there", shown(*.character))]
    BadCharacter { character: char, position: usize },
    #[error("the check character does not match: the number has a typing mistake")]
    BadCheck,
    /// The prefix as read, uppercased (empty when there is none).
    #[error("the number must start with 1 to 4 letters, found {prefix:?}")]
    BadPrefix { prefix: String },
    /// The month digits are not a month (`MM` outside 01–12).
    #[error("{yymm} is not a month")]
    BadMonth { yymm: String },
}

impl TrackingError {
    /// What to tell the visitor, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (TrackingError::Empty, Lang::Zh) => "请输入受理编号。".to_string(),
            (TrackingError::Empty, Lang::En) => "Please enter your tracking number.".to_string(),
            (TrackingError::WrongLength { found }, Lang::Zh) => {
                format!("受理编号在开头的字母之后应有13个字符，您输入了{found}个，请核对。")
            }
            (TrackingError::WrongLength { found }, Lang::En) => format!(
                "A tracking number has 13 characters after the letters at the start; \
                 this one has {found}. Please check it."
            ),
            (
                TrackingError::BadCharacter {
                    character,
                    position,
                },
                Lang::Zh,
            ) => format!(
                "第{position}个字符“{}”不能出现在这个位置，请核对受理编号。",
                shown(*character)
            ),
            (
                TrackingError::BadCharacter {
                    character,
                    position,
                },
                Lang::En,
            ) => format!(
                "Character {position} (“{}”) cannot be in that place. Please check the number.",
                shown(*character)
            ),
            (TrackingError::BadCheck, Lang::Zh) => {
                "这个受理编号有输入错误（校验位不符），请逐个字符核对后再试。".to_string()
            }
            (TrackingError::BadCheck, Lang::En) => "This number has a typing mistake \
                 (its last character does not match the others). \
                 Please check each character and try again."
                .to_string(),
            (TrackingError::BadPrefix { .. }, Lang::Zh) => {
                "受理编号应以1至4个字母开头，例如“TS-2611-K7Q-X9M-3DZ”。".to_string()
            }
            (TrackingError::BadPrefix { .. }, Lang::En) => {
                "A tracking number starts with 1 to 4 letters, like “TS-2611-K7Q-X9M-3DZ”."
                    .to_string()
            }
            (TrackingError::BadMonth { .. }, Lang::Zh) => {
                "受理编号中的年月部分有误，请核对。".to_string()
            }
            (TrackingError::BadMonth { .. }, Lang::En) => {
                "The year and month part of this number is wrong. Please check it.".to_string()
            }
        }
    }
}

/// A character as it can be shown in a message: invisible ones by code point.
fn shown(c: char) -> String {
    // Invisible characters are named, bidi controls above all: echoed as
    // they are, U+202E would turn the rest of the message around.
    let invisible = matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    );
    if c.is_control() || c.is_whitespace() || invisible {
        format!("U+{:04X}", u32::from(c))
    } else {
        c.to_string()
    }
}

impl TrackingNumber {
    /// A new number for a case received on `received_local` (the office's
    /// local date). Pure given the generator.
    ///
    /// `prefix` should be the rulebook's `office.tracking_prefix`; it is
    /// uppercased, anything but ASCII letters is dropped and it is cut to 4
    /// letters; if nothing is left, [`FALLBACK_PREFIX`] is used.
    pub fn generate(
        prefix: &str,
        received_local: NaiveDate,
        rng: &mut impl rand::Rng,
    ) -> TrackingNumber {
        let mut clean: String = prefix
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_uppercase())
            .take(MAX_PREFIX_LEN)
            .collect();
        if clean.is_empty() {
            clean = FALLBACK_PREFIX.to_string();
        }
        // rem_euclid keeps the two digits in 0..100 even for odd years.
        let yy = received_local.year().rem_euclid(100) as u8;
        let mm = received_local.month() as u8;
        let mut values = [0u8; BODY_LEN];
        values[..MONTH_LEN].copy_from_slice(&[yy / 10, yy % 10, mm / 10, mm % 10]);
        for v in &mut values[MONTH_LEN..MONTH_LEN + RANDOM_LEN] {
            *v = rng.random_range(0..32u8);
        }
        values[BODY_LEN - 1] = check_value(&values[..BODY_LEN - 1]);
        TrackingNumber(canonical(&clean, &values))
    }

    /// Reads a number as a person typed or dictated it; returns it in
    /// canonical form.
    pub fn parse(input: &str) -> Result<TrackingNumber, TrackingError> {
        // (position in the input from 1, character as typed, folded ASCII)
        let mut significant: Vec<(usize, char, char)> = Vec::new();
        for (index, typed) in input.chars().enumerate() {
            // Compatibility folding turns full-width letters, digits and
            // spaces from Chinese input methods into plain ASCII.
            for c in std::iter::once(typed).nfkc() {
                if is_separator(c) {
                    continue;
                }
                if !c.is_ascii_alphanumeric() {
                    return Err(TrackingError::BadCharacter {
                        character: typed,
                        position: index + 1,
                    });
                }
                significant.push((index + 1, typed, c.to_ascii_uppercase()));
            }
        }
        if significant.is_empty() {
            return Err(TrackingError::Empty);
        }

        // The month starts with a digit, so the prefix is usually the leading
        // letters. When the length is right and the letters run on only
        // through I, L or O (a month digit read as a letter), the prefix is
        // whatever comes before the last 13 characters.
        let letters = significant
            .iter()
            .take_while(|(_, _, c)| c.is_ascii_alphabetic())
            .count();
        let by_length = significant.len().saturating_sub(BODY_LEN);
        let month_read_as_letters = by_length > 0
            && by_length <= letters
            && significant[by_length..letters.min(by_length + MONTH_LEN)]
                .iter()
                .all(|(_, _, c)| matches!(c, 'I' | 'L' | 'O'));
        let prefix_len = if month_read_as_letters {
            by_length
        } else {
            letters
        };
        let prefix: String = significant[..prefix_len].iter().map(|t| t.2).collect();
        if prefix_len == 0 || prefix_len > MAX_PREFIX_LEN {
            return Err(TrackingError::BadPrefix { prefix });
        }
        let body = &significant[prefix_len..];
        if body.len() != BODY_LEN {
            return Err(TrackingError::WrongLength { found: body.len() });
        }

        let mut values = [0u8; BODY_LEN];
        for (slot, (k, &(position, typed, c))) in values.iter_mut().zip(body.iter().enumerate()) {
            let value = decode(c).filter(|v| k >= MONTH_LEN || *v < 10);
            *slot = value.ok_or(TrackingError::BadCharacter {
                character: typed,
                position,
            })?;
        }
        let month = values[2] * 10 + values[3];
        if !(1..=12).contains(&month) {
            let yymm = values[..MONTH_LEN]
                .iter()
                .map(|v| char::from(ALPHABET[usize::from(*v)]))
                .collect();
            return Err(TrackingError::BadMonth { yymm });
        }
        if !is_valid(&values) {
            return Err(TrackingError::BadCheck);
        }
        Ok(TrackingNumber(canonical(&prefix, &values)))
    }

    /// The canonical form, e.g. `TS-2611-K7Q-X9M-3DZ`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The office prefix, e.g. `TS`.
    pub fn prefix(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// The month the case was received, as `YYMM`, e.g. `2611`.
    pub fn month(&self) -> &str {
        self.0.split('-').nth(1).unwrap_or_default()
    }
}

/// Separators people put into numbers: spaces, hyphens and dashes, dots.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '_' | '·' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FB}'
        )
}

/// The value of an uppercase ASCII character, with the readings Crockford
/// base 32 allows (`I`, `L` → 1, `O` → 0); `U` and everything else has none.
fn decode(c: char) -> Option<u8> {
    let c = match c {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    let byte = u8::try_from(c).ok()?;
    ALPHABET
        .iter()
        .position(|a| *a == byte)
        .and_then(|p| u8::try_from(p).ok())
}

/// Multiplication by the generator `x` in GF(32) built on the primitive
/// polynomial x⁵ + x² + 1.
fn times_x(v: u8) -> u8 {
    let shifted = (v & 0x1F) << 1;
    if shifted & 0x20 != 0 {
        shifted ^ 0x25
    } else {
        shifted
    }
}

/// Horner's rule: the values as coefficients, the last one weighted 1.
fn weighted_sum(values: &[u8]) -> u8 {
    values.iter().fold(0, |acc, v| times_x(acc) ^ (v & 0x1F))
}

/// The check value that makes the weighted sum of `data` + check zero.
fn check_value(data: &[u8]) -> u8 {
    // In characteristic 2, adding c cancels x·s exactly when c = x·s.
    times_x(weighted_sum(data))
}

fn is_valid(values: &[u8]) -> bool {
    weighted_sum(values) == 0
}

fn canonical(prefix: &str, values: &[u8; BODY_LEN]) -> String {
    let mut out = String::with_capacity(prefix.len() + BODY_LEN + 4);
    out.push_str(prefix);
    for (k, v) in values.iter().enumerate() {
        // A hyphen before the month and before each group of three.
        if k == 0 || (k >= MONTH_LEN && (k - MONTH_LEN).is_multiple_of(3)) {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(v & 0x1F)]));
    }
    out
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TrackingNumber {
    type Err = TrackingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingNumber::parse(s)
    }
}

impl Serialize for TrackingNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TrackingNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TrackingNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// A spread of valid numbers: several prefixes, months and seeds.
    fn sample_numbers() -> Vec<TrackingNumber> {
        let mut rng = StdRng::seed_from_u64(12345);
        let mut out = Vec::new();
        for prefix in ["TS", "A", "HOTL"] {
            for month in [1, 6, 11, 12] {
                for _ in 0..5 {
                    out.push(TrackingNumber::generate(
                        prefix,
                        date(2026, month, 15),
                        &mut rng,
                    ));
                }
            }
        }
        out
    }

    /// Body characters (month, random, check) of a canonical number.
    fn body_chars(n: &TrackingNumber) -> Vec<char> {
        n.as_str()
            .chars()
            .skip(n.prefix().len())
            .filter(|c| *c != '-')
            .collect()
    }

    fn with_body(n: &TrackingNumber, body: &[char]) -> String {
        format!("{}{}", n.prefix(), body.iter().collect::<String>())
    }

    #[test]
    fn generated_number_has_the_documented_shape() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = TrackingNumber::generate("TS", date(2026, 11, 3), &mut rng);
        let s = n.as_str();
        assert_eq!(s.len(), "TS-2611-K7Q-X9M-3DZ".len(), "{s}");
        assert!(s.starts_with("TS-2611-"), "{s}");
        let groups: Vec<&str> = s.split('-').collect();
        assert_eq!(groups.len(), 5);
        assert!(groups[2..].iter().all(|g| g.len() == 3));
        assert!(
            s.bytes()
                .filter(|b| *b != b'-')
                .skip(2)
                .all(|b| ALPHABET.contains(&b))
        );
        assert_eq!(n.prefix(), "TS");
        assert_eq!(n.month(), "2611");
        assert_eq!(n.to_string(), s);
    }

    #[test]
    fn month_is_two_digit_year_and_month() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            TrackingNumber::generate("TS", date(2030, 1, 31), &mut rng).month(),
            "3001"
        );
        assert_eq!(
            TrackingNumber::generate("TS", date(2109, 12, 1), &mut rng).month(),
            "0912"
        );
    }

    #[test]
    fn unusable_prefix_is_cleaned_or_replaced() {
        let mut rng = StdRng::seed_from_u64(2);
        let d = date(2026, 3, 1);
        assert_eq!(TrackingNumber::generate("ts", d, &mut rng).prefix(), "TS");
        assert_eq!(
            TrackingNumber::generate("a-b_c9defg", d, &mut rng).prefix(),
            "ABCD"
        );
        assert_eq!(
            TrackingNumber::generate("", d, &mut rng).prefix(),
            FALLBACK_PREFIX
        );
        assert_eq!(
            TrackingNumber::generate("投诉", d, &mut rng).prefix(),
            FALLBACK_PREFIX
        );
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stored {
        number: TrackingNumber,
    }

    #[test]
    fn canonical_numbers_round_trip_through_parse_and_serde() {
        for n in sample_numbers() {
            assert_eq!(TrackingNumber::parse(n.as_str()), Ok(n.clone()));
            assert_eq!(n.as_str().parse::<TrackingNumber>(), Ok(n.clone()));
            let stored = Stored { number: n.clone() };
            let text = toml::to_string(&stored).expect("serialises");
            assert_eq!(text.trim(), format!("number = \"{n}\""));
            assert_eq!(toml::from_str::<Stored>(&text).expect("reads back"), stored);
        }
    }

    #[test]
    fn deserialising_rejects_a_mistyped_number() {
        let n = sample_numbers().into_iter().next().expect("one sample");
        let mut bad = n.as_str().to_string();
        let last = bad.pop().expect("non-empty");
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert!(toml::from_str::<Stored>(&format!("number = \"{bad}\"")).is_err());
    }

    #[test]
    fn parse_forgives_case_spacing_and_full_width() {
        for n in sample_numbers() {
            let s = n.as_str();
            let plain: String = s.chars().filter(|c| *c != '-').collect();
            let spaced = s.replace('-', " ");
            let dotted = s.replace('-', ".");
            let misplaced = format!("{}-{}", &plain[..5], &plain[5..]);
            let full_width: String = s
                .chars()
                .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c))
                .collect();
            for typed in [
                plain.clone(),
                plain.to_lowercase(),
                spaced.to_lowercase(),
                format!("  {dotted}  "),
                misplaced,
                full_width,
                format!("{}\u{3000}{}", n.prefix(), &plain[n.prefix().len()..]),
            ] {
                assert_eq!(TrackingNumber::parse(&typed), Ok(n.clone()), "{typed}");
            }
        }
    }

    #[test]
    fn parse_reads_i_and_l_as_one_and_o_as_zero() {
        let mut rng = StdRng::seed_from_u64(3);
        let n = TrackingNumber::generate("TS", date(2010, 11, 1), &mut rng);
        assert_eq!(n.month(), "1011");
        let body: String = n.as_str().chars().skip(7).collect();
        for month in ["IOII", "lOlL", "1o1i", "I0l1"] {
            let typed = format!("TS-{month}{body}");
            assert_eq!(TrackingNumber::parse(&typed), Ok(n.clone()), "{typed}");
        }
    }

    #[test]
    fn parse_reports_each_kind_of_mistake() {
        let n = sample_numbers().into_iter().next().expect("one sample");
        let s = n.as_str();
        assert_eq!(TrackingNumber::parse(""), Err(TrackingError::Empty));
        assert_eq!(TrackingNumber::parse(" - . "), Err(TrackingError::Empty));
        assert_eq!(
            TrackingNumber::parse(&s[..s.len() - 1]),
            Err(TrackingError::WrongLength { found: 12 })
        );
        assert_eq!(
            TrackingNumber::parse(&format!("{s}7")),
            Err(TrackingError::WrongLength { found: 14 })
        );
        assert_eq!(
            TrackingNumber::parse(&s[3..]),
            Err(TrackingError::BadPrefix {
                prefix: String::new()
            })
        );
        assert_eq!(
            TrackingNumber::parse(&format!("ABCDE{}", &s[2..])),
            Err(TrackingError::BadPrefix {
                prefix: "ABCDE".to_string()
            })
        );
        // `U` is never a character of a number; position counts as typed.
        let mut with_u: Vec<char> = s.chars().collect();
        with_u[9] = 'u';
        assert_eq!(
            TrackingNumber::parse(&with_u.iter().collect::<String>()),
            Err(TrackingError::BadCharacter {
                character: 'u',
                position: 10
            })
        );
        assert_eq!(
            TrackingNumber::parse("TS-26#1-K7Q-X9M-3DZ"),
            Err(TrackingError::BadCharacter {
                character: '#',
                position: 6
            })
        );
        // A letter where a month digit belongs.
        assert_eq!(
            TrackingNumber::parse("TS-26A1-K7Q-X9M-3DZ"),
            Err(TrackingError::BadCharacter {
                character: 'A',
                position: 6
            })
        );
        let mut values = [2, 6, 1, 3, 1, 2, 3, 4, 5, 6, 7, 8, 0];
        values[12] = check_value(&values[..12]);
        assert_eq!(
            TrackingNumber::parse(&canonical("TS", &values)),
            Err(TrackingError::BadMonth {
                yymm: "2613".to_string()
            })
        );
        let mut wrong_check = s.to_string();
        let last = wrong_check.pop().expect("non-empty");
        wrong_check.push(if last == 'Z' { 'Y' } else { 'Z' });
        assert_eq!(
            TrackingNumber::parse(&wrong_check),
            Err(TrackingError::BadCheck)
        );
    }

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let errors = [
            TrackingError::Empty,
            TrackingError::WrongLength { found: 3 },
            TrackingError::BadCharacter {
                character: '\u{7}',
                position: 2,
            },
            TrackingError::BadCheck,
            TrackingError::BadPrefix {
                prefix: String::new(),
            },
            TrackingError::BadMonth {
                yymm: "2613".to_string(),
            },
        ];
        for e in &errors {
            let zh = e.message(Lang::Zh);
            let en = e.message(Lang::En);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{e:?}");
            assert!(!zh.contains('\u{7}') && !en.contains('\u{7}'), "{e:?}");
        }
        assert!(
            TrackingError::BadCheck
                .message(Lang::En)
                .contains("typing mistake")
        );
        assert!(
            TrackingError::BadCheck
                .message(Lang::Zh)
                .contains("输入错误")
        );
        assert!(
            TrackingError::BadCharacter {
                character: 'U',
                position: 9
            }
            .message(Lang::En)
            .contains("Character 9")
        );
    }

    /// Every position, every other character: a single mistyped character
    /// never yields a valid number. The check is linear, so one base number
    /// settles every number; the samples confirm it through `parse`.
    #[test]
    fn every_single_substitution_is_detected() {
        let base = [2u8, 6, 1, 1, 4, 9, 17, 0, 31, 22, 5, 30, 0];
        let mut base = base;
        base[12] = check_value(&base[..12]);
        assert!(is_valid(&base));
        for k in 0..BODY_LEN {
            for v in 0..32u8 {
                if v == base[k] {
                    continue;
                }
                let mut changed = base;
                changed[k] = v;
                assert!(!is_valid(&changed), "position {k}, value {v}");
            }
        }
        for n in sample_numbers() {
            let body = body_chars(&n);
            for k in 0..body.len() {
                for &a in ALPHABET.iter() {
                    let a = char::from(a);
                    if a == body[k] {
                        continue;
                    }
                    let mut typed = body.clone();
                    typed[k] = a;
                    let typed = with_body(&n, &typed);
                    assert!(TrackingNumber::parse(&typed).is_err(), "{n} -> {typed}");
                }
            }
        }
    }

    /// Every position, every pair of different values: swapping neighbours
    /// (the check character included) never yields a valid number.
    #[test]
    fn every_adjacent_transposition_is_detected() {
        let mut base = [0u8; BODY_LEN];
        base[12] = check_value(&base[..12]);
        for k in 0..BODY_LEN - 1 {
            for a in 0..32u8 {
                for b in 0..32u8 {
                    if a == b {
                        continue;
                    }
                    let mut before = base;
                    before[k] = a;
                    before[k + 1] = b;
                    let mut after = before;
                    after.swap(k, k + 1);
                    // Linear check: the two sums differ exactly when the
                    // swap is visible, whatever the rest of the number is.
                    assert_ne!(
                        weighted_sum(&before),
                        weighted_sum(&after),
                        "position {k}, {a} <-> {b}"
                    );
                }
            }
        }
        for n in sample_numbers() {
            let body = body_chars(&n);
            for k in 0..body.len() - 1 {
                if body[k] == body[k + 1] {
                    continue;
                }
                let mut typed = body.clone();
                typed.swap(k, k + 1);
                let typed = with_body(&n, &typed);
                assert!(TrackingNumber::parse(&typed).is_err(), "{n} -> {typed}");
            }
            // The last prefix letter swapped with the first month digit.
            let plain: String = n.as_str().chars().filter(|c| *c != '-').collect();
            let p = n.prefix().len();
            let mut chars: Vec<char> = plain.chars().collect();
            chars.swap(p - 1, p);
            let typed: String = chars.into_iter().collect();
            assert!(TrackingNumber::parse(&typed).is_err(), "{n} -> {typed}");
        }
    }

    /// Why the check is not Luhn mod 32: both 0 and V (31) are fixed points
    /// of its doubling step, so swapping them goes unnoticed.
    #[test]
    fn luhn_mod_32_would_miss_a_transposition() {
        fn luhn_sum(values: &[u8]) -> u32 {
            values
                .iter()
                .rev()
                .enumerate()
                .map(|(i, v)| {
                    let addend = u32::from(*v) * if i % 2 == 0 { 2 } else { 1 };
                    addend / 32 + addend % 32
                })
                .sum::<u32>()
                % 32
        }
        assert_eq!(luhn_sum(&[0, 31]), luhn_sum(&[31, 0]));
        assert_ne!(weighted_sum(&[0, 31]), weighted_sum(&[31, 0]));
    }

    proptest! {
        #[test]
        fn generate_then_parse_is_identity(
            prefix in "[A-Z]{1,4}",
            year in 1990i32..2200,
            month in 1u32..=12,
            day in 1u32..=28,
            seed in any::<u64>(),
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let n = TrackingNumber::generate(&prefix, date(year, month, day), &mut rng);
            prop_assert_eq!(TrackingNumber::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!(TrackingNumber::parse(&n.as_str().to_lowercase()), Ok(n.clone()));
            prop_assert_eq!(n.prefix(), prefix.as_str());
            prop_assert_eq!(n.month(), format!("{:02}{:02}", year % 100, month));
        }

        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = TrackingNumber::parse(&input);
        }
    }
}
