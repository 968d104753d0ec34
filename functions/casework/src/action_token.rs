//! Signed links: what lets a department act on a case, or a complainant
//! answer the survey, from a mail, without an account.
//!
//! A token is an HMAC-SHA256 over the case's tracking number, who holds the
//! link (a department, or the complainant), the action and the expiry time,
//! keyed by a secret only the office's functions know. The tracking number
//! and the action are in the link's path, so the token itself carries only
//! the expiry, the holder and the signature:
//! `v1.<expiry, Unix seconds>.<holder>.<signature, base64url>`, all
//! URL-safe characters. [`ActionToken::verify`] checks the signature in
//! constant time before it believes anything the token says.
//!
//! This module decides nothing about whether the action is allowed now:
//! a valid token for a closed case still meets `lifecycle::apply`, which
//! refuses a second close. Pure: the clock is handed in.

use crate::lifecycle::{Case, Satisfaction};
use crate::links::{ActionLinks, ExtensionLinks, OfficeLinks};
use crate::rules::DepartmentId;
use crate::tracking::TrackingNumber;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The longest the links in a department's mail ever work, whatever the
/// rulebook says: a mail forwarded or left in a shared inbox stops being a
/// key to the case after this.
pub const DEPARTMENT_LINK_LIFETIME: TimeDelta = TimeDelta::days(90);

/// What a department link outlives the case's last deadline by (with its
/// longest extension): time to close a case that ran late.
pub const DEPARTMENT_LINK_GRACE: TimeDelta = TimeDelta::days(14);

/// When the department links for `case`, signed at `now`, stop working:
/// from the rulebook, the case's last deadline moved by the longest
/// extension its type allows, plus [`DEPARTMENT_LINK_GRACE`], and never
/// later than [`DEPARTMENT_LINK_LIFETIME`] from now. A complaint's links
/// (15 working days, 15 more on extension) thus last about eight weeks, not
/// the ceiling; an extension granted later cannot outrun them, as it is at
/// most the extension counted here.
pub fn department_link_expiry(
    rules: &crate::Rulebook,
    case: &Case,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let ceiling = now + DEPARTMENT_LINK_LIFETIME;
    let last = case
        .deadlines
        .iter()
        .map(|d| d.due_at)
        .max()
        .unwrap_or(now)
        .max(now);
    let extended = match rules.case_type(case.case_type.as_str()) {
        Some(t) => rules.calendar.deadline(last, rules.max_extension(t)),
        None => rules.calendar.deadline(last, rules.extensions.max),
    };
    (extended + DEPARTMENT_LINK_GRACE).min(ceiling)
}

/// The shortest secret accepted: 32 bytes, the size of the MAC itself.
pub const MIN_SECRET_LEN: usize = 32;

const VERSION: &str = "v1";

/// The key that signs and checks every link, checked once when it is made
/// (at least [`MIN_SECRET_LEN`] bytes), so nothing that takes one checks it
/// again. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ActionSecret(Vec<u8>);

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the action secret must be at least {MIN_SECRET_LEN} bytes (it has {0})")]
    TooShort(usize),
}

impl ActionSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<ActionSecret, SecretError> {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort(secret.len()));
        }
        Ok(ActionSecret(secret))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ActionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActionSecret(..)")
    }
}

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Accept,
    SendBack,
    Reply,
    Extend,
    Close,
    /// The case is not a valid one (not the office's to handle, no
    /// substance): closed with the reason, which the complainant is told.
    Reject,
    /// The case is worse than filed: a higher severity, with its tighter
    /// limits.
    RaiseSeverity,
    /// The complainant rates the handling (and may comment or reopen).
    Survey,
    /// A department downloads the case's evidence (one token for every
    /// item; the item's number is in the path).
    Evidence,
    /// Staff ask the complainant a question.
    Ask,
    /// The complainant's case page, opened with the receipt code: a short
    /// session, so its forms need not carry the code itself.
    CasePage,
    /// The office routes a case sent back to another department (the link
    /// names one in its `to` parameter; the office may pick any).
    Reroute,
    /// The office reviews a send-back and gives the case back to the same
    /// department, with a note.
    HandBack,
    /// The rulebook's approver grants or refuses a request to extend.
    DecideExtension,
    /// The office merges a new case into the open one it repeats (并单);
    /// the link names that case in its `into` parameter.
    Merge,
}

impl Action {
    /// The department's actions, in the order the mail lists them.
    pub const DEPARTMENT: [Action; 8] = [
        Action::Accept,
        Action::SendBack,
        Action::Ask,
        Action::Reply,
        Action::Extend,
        Action::Close,
        Action::RaiseSeverity,
        Action::Reject,
    ];

    /// The office's actions (and the approver's), signed for the office's
    /// own department or the approver.
    pub const OFFICE: [Action; 4] = [
        Action::Reroute,
        Action::HandBack,
        Action::DecideExtension,
        Action::Merge,
    ];

    /// The action's name in paths and in the signed text.
    pub fn slug(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::SendBack => "send-back",
            Action::Reply => "reply",
            Action::Extend => "extend",
            Action::Close => "close",
            Action::Reject => "reject",
            Action::RaiseSeverity => "raise-severity",
            Action::Survey => "survey",
            Action::Evidence => "evidence",
            Action::Ask => "ask",
            Action::CasePage => "case",
            Action::Reroute => "reroute",
            Action::HandBack => "hand-back",
            Action::DecideExtension => "decide-extension",
            Action::Merge => "merge",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Action> {
        Action::DEPARTMENT
            .into_iter()
            .chain(Action::OFFICE)
            .chain([Action::Survey, Action::Evidence, Action::CasePage])
            .find(|a| a.slug() == slug)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// Who a link was given to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    Department(DepartmentId),
    Complainant,
}

impl Holder {
    /// `d-<department id>` or `c`; department ids are lowercase letters,
    /// digits and hyphens, so this never holds a `.`.
    fn code(&self) -> String {
        match self {
            Holder::Department(id) => format!("d-{id}"),
            Holder::Complainant => "c".to_string(),
        }
    }

    fn from_code(code: &str) -> Option<Holder> {
        if code == "c" {
            return Some(Holder::Complainant);
        }
        let id = code.strip_prefix("d-")?;
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        valid.then(|| Holder::Department(DepartmentId::new(id)))
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Department(id) => write!(f, "department `{id}`"),
            Holder::Complainant => f.write_str("the complainant"),
        }
    }
}

/// Why a token was refused. The first two cannot be told apart on purpose
/// from the outside: both mean "this link was not made by us as it stands".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is incomplete or not one of ours")]
    Malformed,
    #[error(
        "the link's signature does not match: it was changed or belongs to another case or action"
    )]
    BadSignature,
    #[error("the link expired at {expired_at}")]
    Expired { expired_at: DateTime<Utc> },
    /// Valid, but for a department that no longer handles the case (it was
    /// sent back and re-routed), or for the wrong kind of holder.
    #[error("the link was given to {given_to}, but the case is now with {expected}")]
    WrongHolder { given_to: Holder, expected: Holder },
}

/// A verified token: what it was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionToken {
    pub tracking: TrackingNumber,
    pub holder: Holder,
    pub action: Action,
    pub expires_at: DateTime<Utc>,
}

impl ActionToken {
    /// The token for a link: `holder` may do `action` on case `tracking`
    /// until `expires_at`.
    pub fn sign(
        secret: &ActionSecret,
        tracking: &TrackingNumber,
        holder: &Holder,
        action: Action,
        expires_at: DateTime<Utc>,
    ) -> String {
        let expiry = expires_at.timestamp();
        let holder = holder.code();
        let mac = mac(secret, tracking, &holder, action, expiry);
        format!(
            "{VERSION}.{expiry}.{holder}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// Checks `token` for `action` on case `tracking` at `now`, and that it
    /// was given to `expected` (the case's department now, or the
    /// complainant). The signature is checked first, in constant time, so
    /// nothing a forger wrote is believed.
    pub fn verify(
        secret: &ActionSecret,
        token: &str,
        tracking: &TrackingNumber,
        action: Action,
        expected: &Holder,
        now: DateTime<Utc>,
    ) -> Result<ActionToken, TokenError> {
        let token = ActionToken::check(secret, token, tracking, action, now)?;
        token.given_to(expected)?;
        Ok(token)
    }

    /// Checks the signature and the expiry of `token` for `action` on case
    /// `tracking` at `now`, without knowing the case: what a link's page
    /// does before it looks the case up, so a forged link learns nothing
    /// about which cases exist. [`ActionToken::given_to`] then checks the
    /// holder against the case.
    pub fn check(
        secret: &ActionSecret,
        token: &str,
        tracking: &TrackingNumber,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<ActionToken, TokenError> {
        let mut parts = token.split('.');
        let (Some(VERSION), Some(expiry), Some(holder), Some(signature), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let expiry_secs: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        mac(secret, tracking, holder, action, expiry_secs)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        // Signed by us from here on: a bad holder or time is a bug, not a forger.
        let holder = Holder::from_code(holder).ok_or(TokenError::Malformed)?;
        let expires_at = DateTime::from_timestamp(expiry_secs, 0).ok_or(TokenError::Malformed)?;
        if now >= expires_at {
            return Err(TokenError::Expired {
                expired_at: expires_at,
            });
        }
        Ok(ActionToken {
            tracking: tracking.clone(),
            holder,
            action,
            expires_at,
        })
    }

    /// Whether this checked token was given to `expected` (the case's
    /// department now, or the complainant).
    pub fn given_to(&self, expected: &Holder) -> Result<(), TokenError> {
        if self.holder != *expected {
            return Err(TokenError::WrongHolder {
                given_to: self.holder.clone(),
                expected: expected.clone(),
            });
        }
        Ok(())
    }
}

fn mac(
    secret: &ActionSecret,
    tracking: &TrackingNumber,
    holder: &str,
    action: Action,
    expiry: i64,
) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    // Newline-separated: no field can hold a newline, so no two different
    // tuples sign the same text.
    mac.update(
        format!(
            "hotline-action\n{VERSION}\n{}\n{holder}\n{}\n{expiry}",
            tracking.as_str(),
            action.slug()
        )
        .as_bytes(),
    );
    mac
}

/// The address of an action's page: `{base}/cases/{tracking}/actions/{action}?token=…`
/// for a department, `{base}/cases/{tracking}/survey?token=…` for the survey.
pub fn action_url(
    base_url: &str,
    tracking: &TrackingNumber,
    action: Action,
    token: &str,
) -> String {
    let base = base_url.trim_end_matches('/');
    match action {
        Action::Survey => format!("{base}/cases/{tracking}/survey?token={token}"),
        other => format!(
            "{base}/cases/{tracking}/actions/{}?token={token}",
            other.slug()
        ),
    }
}

/// Every department link for `case`, signed for the department that
/// handles it now, valid until `expires_at`. `base_url` is the API's
/// public root, e.g. `https://12345.example.gov.cn/api`.
pub fn department_links(
    secret: &ActionSecret,
    base_url: &str,
    case: &Case,
    expires_at: DateTime<Utc>,
) -> ActionLinks {
    let holder = Holder::Department(case.department.clone());
    let link = |action| {
        let token = ActionToken::sign(secret, &case.tracking, &holder, action, expires_at);
        Some(action_url(base_url, &case.tracking, action, &token))
    };
    ActionLinks {
        accept: link(Action::Accept),
        send_back: link(Action::SendBack),
        ask: link(Action::Ask),
        reply: link(Action::Reply),
        extend: link(Action::Extend),
        close: link(Action::Close),
        reject: link(Action::Reject),
        raise_severity: link(Action::RaiseSeverity),
        evidence: evidence_links(secret, base_url, case, &holder, expires_at),
    }
}

/// The office's links on `case`, sent back by its department: one re-route
/// link per department in `to` (each pre-selects it on the page), and one
/// to hand the case back to the department that sent it. Signed for the
/// office's own department, valid until `expires_at`.
pub fn office_links(
    secret: &ActionSecret,
    base_url: &str,
    case: &Case,
    office: &DepartmentId,
    to: &[DepartmentId],
    expires_at: DateTime<Utc>,
) -> OfficeLinks {
    let holder = Holder::Department(office.clone());
    let link = |action| {
        let token = ActionToken::sign(secret, &case.tracking, &holder, action, expires_at);
        action_url(base_url, &case.tracking, action, &token)
    };
    let reroute = link(Action::Reroute);
    OfficeLinks {
        reroute: to
            .iter()
            .map(|d| (d.clone(), format!("{reroute}&to={d}")))
            .collect(),
        hand_back: Some(link(Action::HandBack)),
    }
}

/// The office's link to merge `case` into `into`, the open case it seems
/// to repeat. Signed for the office's own department on `case`.
pub fn merge_link(
    secret: &ActionSecret,
    base_url: &str,
    case: &Case,
    office: &DepartmentId,
    into: &TrackingNumber,
    expires_at: DateTime<Utc>,
) -> String {
    let holder = Holder::Department(office.clone());
    let token = ActionToken::sign(secret, &case.tracking, &holder, Action::Merge, expires_at);
    format!(
        "{}&into={into}",
        action_url(base_url, &case.tracking, Action::Merge, &token)
    )
}

/// The approver's two links on a request to extend `case`: the decision
/// page with "approve" or "refuse" chosen. Signed for `approver`.
pub fn extension_links(
    secret: &ActionSecret,
    base_url: &str,
    case: &Case,
    approver: &DepartmentId,
    expires_at: DateTime<Utc>,
) -> ExtensionLinks {
    let holder = Holder::Department(approver.clone());
    let token = ActionToken::sign(
        secret,
        &case.tracking,
        &holder,
        Action::DecideExtension,
        expires_at,
    );
    let page = action_url(base_url, &case.tracking, Action::DecideExtension, &token);
    ExtensionLinks {
        approve: format!("{page}&decision=approve"),
        refuse: format!("{page}&decision=refuse"),
    }
}

/// One download link per item of `case`'s evidence, with one token for
/// `holder`.
fn evidence_links(
    secret: &ActionSecret,
    base_url: &str,
    case: &Case,
    holder: &Holder,
    expires_at: DateTime<Utc>,
) -> Vec<(crate::evidence::EvidenceItem, String)> {
    if case.evidence.is_empty() {
        return Vec::new();
    }
    let token = ActionToken::sign(secret, &case.tracking, holder, Action::Evidence, expires_at);
    case.evidence
        .iter()
        .map(|item| {
            let url = crate::evidence::evidence_url(base_url, &case.tracking, item.number, &token);
            (item.clone(), url)
        })
        .collect()
}

/// Every rating a survey mail offers, in order from best to worst.
pub const RATINGS: [Satisfaction; 5] = Satisfaction::ALL;

/// A rating's name in survey links (`rating=`).
pub fn rating_slug(rating: Satisfaction) -> &'static str {
    match rating {
        Satisfaction::VerySatisfied => "very-satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::Neutral => "neutral",
        Satisfaction::Dissatisfied => "dissatisfied",
        Satisfaction::VeryDissatisfied => "very-dissatisfied",
    }
}

pub fn rating_from_slug(slug: &str) -> Option<Satisfaction> {
    RATINGS.into_iter().find(|r| rating_slug(*r) == slug)
}

/// The survey's one-click links, one per rating (best first), all with one
/// token for the complainant, valid until `expires_at`. Each opens a page
/// that confirms the rating and offers a comment box; nothing is recorded
/// until the complainant sends it (mail scanners open links on their own).
pub fn survey_links(
    secret: &ActionSecret,
    base_url: &str,
    tracking: &TrackingNumber,
    expires_at: DateTime<Utc>,
) -> Vec<(Satisfaction, String)> {
    let token = ActionToken::sign(
        secret,
        tracking,
        &Holder::Complainant,
        Action::Survey,
        expires_at,
    );
    let page = action_url(base_url, tracking, Action::Survey, &token);
    RATINGS
        .into_iter()
        .map(|r| (r, format!("{page}&rating={}", rating_slug(r))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn secret() -> ActionSecret {
        ActionSecret::new(*b"0123456789abcdef0123456789abcdef").expect("32 bytes")
    }

    fn tracking(n: u64) -> TrackingNumber {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(n);
        TrackingNumber::generate(
            "SL",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            &mut rng,
        )
    }

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn housing() -> Holder {
        Holder::Department(DepartmentId::new("housing"))
    }

    #[test]
    fn department_links_live_as_long_as_the_rulebook_needs_and_no_longer() {
        let (rules, _) = crate::Rulebook::parse(
            std::path::Path::new("content/rules.toml"),
            include_str!("../../../content/rules.toml"),
        )
        .expect("the rulebook parses");
        let open = |case_type: &str| {
            Case::open(
                tracking(7),
                crate::rules::CaseTypeId::new(case_type),
                crate::rules::CategoryId::new("housing-property"),
                &rules,
                at(0),
                true,
            )
            .expect("opens")
        };
        let complaint = open("complaint");
        let expiry = department_link_expiry(&rules, &complaint, at(0));
        let complete = complaint
            .deadlines
            .iter()
            .map(|d| d.due_at)
            .max()
            .expect("deadlines");
        // Past the deadline with the longest extension, and the grace.
        let ty = rules.case_type("complaint").expect("complaint");
        let extended = rules.calendar.deadline(complete, rules.max_extension(ty));
        assert_eq!(expiry, extended + DEPARTMENT_LINK_GRACE);
        // Well short of the old 120 days, and of the ceiling.
        assert!(expiry < at(0) + TimeDelta::days(70), "{expiry}");
        assert!(expiry <= at(0) + DEPARTMENT_LINK_LIFETIME);
        // A report's longer limits get longer links, within the ceiling.
        let report = department_link_expiry(&rules, &open("report"), at(0));
        assert!(report > expiry && report <= at(0) + DEPARTMENT_LINK_LIFETIME);
    }

    #[test]
    fn a_signed_token_verifies_for_exactly_what_it_was_signed_for() {
        let t = tracking(1);
        let token = ActionToken::sign(&secret(), &t, &housing(), Action::Close, at(10));
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{token}"
        );
        let ok = ActionToken::verify(&secret(), &token, &t, Action::Close, &housing(), at(9));
        assert_eq!(
            ok,
            Ok(ActionToken {
                tracking: t.clone(),
                holder: housing(),
                action: Action::Close,
                expires_at: at(10),
            })
        );
        // Another action, case or secret: the signature no longer matches.
        for (secret, case, action) in [
            (&secret(), &t, Action::Accept),
            (&secret(), &tracking(2), Action::Close),
            (
                &ActionSecret::new(*b"another secret, also 32 bytes long").expect("long enough"),
                &t,
                Action::Close,
            ),
        ] {
            assert_eq!(
                ActionToken::verify(secret, &token, case, action, &housing(), at(1)),
                Err(TokenError::BadSignature)
            );
        }
    }

    #[test]
    fn tampering_with_any_part_is_caught() {
        let t = tracking(1);
        let token = ActionToken::sign(&secret(), &t, &housing(), Action::Accept, at(10));
        let parts: Vec<&str> = token.split('.').collect();
        let later = (at(1000)).timestamp().to_string();
        let forged = [
            format!("{}.{later}.{}.{}", parts[0], parts[2], parts[3]),
            format!("{}.{}.d-water.{}", parts[0], parts[1], parts[3]),
            format!("{}.{}.c.{}", parts[0], parts[1], parts[3]),
            {
                let mut sig = parts[3].to_string();
                let last = if sig.ends_with('A') { "B" } else { "A" };
                sig.replace_range(sig.len() - 1.., last);
                format!("{}.{}.{}.{sig}", parts[0], parts[1], parts[2])
            },
        ];
        for f in &forged {
            assert_eq!(
                ActionToken::verify(&secret(), f, &t, Action::Accept, &housing(), at(1)),
                Err(TokenError::BadSignature),
                "{f}"
            );
        }
        for junk in [
            "",
            "v1",
            "v2.1.c.AAAA",
            "v1.x.c.AAAA",
            "v1.1.c.!!",
            &format!("{token}.more"),
        ] {
            assert_eq!(
                ActionToken::verify(&secret(), junk, &t, Action::Accept, &housing(), at(1)),
                Err(TokenError::Malformed),
                "{junk}"
            );
        }
    }

    #[test]
    fn expired_and_wrong_holder_tokens_are_refused_after_the_signature_check() {
        let t = tracking(3);
        let token = ActionToken::sign(&secret(), &t, &housing(), Action::Reply, at(10));
        assert_eq!(
            ActionToken::verify(&secret(), &token, &t, Action::Reply, &housing(), at(10)),
            Err(TokenError::Expired { expired_at: at(10) })
        );
        let water = Holder::Department(DepartmentId::new("water"));
        assert_eq!(
            ActionToken::verify(&secret(), &token, &t, Action::Reply, &water, at(1)),
            Err(TokenError::WrongHolder {
                given_to: housing(),
                expected: water,
            })
        );
        assert!(matches!(
            ActionToken::verify(
                &secret(),
                &token,
                &t,
                Action::Reply,
                &Holder::Complainant,
                at(1)
            ),
            Err(TokenError::WrongHolder { .. })
        ));
    }

    #[test]
    fn links_point_at_the_api_and_carry_their_tokens() {
        let t = tracking(4);
        let links = survey_links(&secret(), "https://h.example.org/api/", &t, at(48));
        assert_eq!(links.len(), 5);
        let (rating, url) = &links[3];
        assert_eq!(*rating, Satisfaction::Dissatisfied);
        let prefix = format!("https://h.example.org/api/cases/{t}/survey?token=");
        let token = url
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix("&rating=dissatisfied"))
            .expect("survey url");
        assert!(
            ActionToken::verify(
                &secret(),
                token,
                &t,
                Action::Survey,
                &Holder::Complainant,
                at(1)
            )
            .is_ok()
        );
        for r in RATINGS {
            assert_eq!(rating_from_slug(rating_slug(r)), Some(r));
        }
        for a in Action::DEPARTMENT {
            assert_eq!(Action::from_slug(a.slug()), Some(a));
        }
        assert_eq!(Action::from_slug("delete"), None);
    }

    #[test]
    fn a_short_secret_is_refused_once_when_it_is_made() {
        assert_eq!(
            ActionSecret::new(*b"too short"),
            Err(SecretError::TooShort(9))
        );
        assert_eq!(format!("{:?}", secret()), "ActionSecret(..)");
    }
}
