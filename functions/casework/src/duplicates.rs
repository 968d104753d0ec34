//! Whether a new case looks like one already open (a possible 并单).
//!
//! Pure: the caller hands in the new case and the open cases received
//! within the rulebook's `[duplicates] window` before it (see
//! [`look_back`] for how far to read), each with its submission. Two
//! cases look alike when they are in the same category and either name
//! the same place or come from the same complainant.
//!
//! "The same place" is decided without a map: the location text, folded
//! by [`normalised_place`] (case, full-width forms, spaces and
//! punctuation), must be equal. Coordinates (from Open311, later) would
//! be a second test beside it. This only *suggests*: the office decides
//! and merges (`crate::lifecycle::merge`); nothing here merges.

use crate::lifecycle::Case;
use crate::rules::Rulebook;
use crate::submission::Submission;
use crate::time_limit::{TimeLimit, TimeUnit};
use crate::tracking::TrackingNumber;

/// Why two cases look alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// The same category at the same place.
    SamePlace,
    /// The same category from the same phone number or e-mail address.
    SameComplainant,
}

/// An open case the new one may be a repeat of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleDuplicate {
    /// The case to merge into: the earlier case, or the case it is
    /// already merged into.
    pub tracking: TrackingNumber,
    pub likeness: Likeness,
}

/// The location text folded for comparing: full-width letters, digits and
/// signs to their ASCII forms (as NFKC does for that block), lower case,
/// and only letters and digits kept, so spaces and punctuation (ASCII or
/// Chinese) make no difference. Chinese numerals stay as they are:
/// "三号楼" and "3号楼" are not taken for the same.
pub fn normalised_place(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            // The full-width forms of ASCII `!` to `~` sit 0xFEE0 above it.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// How far back before a new case the caller must read received cases
/// so that every case within `window` is among them: generous, because
/// a window in working days can span a week-long holiday; [`likeness`]
/// then applies the window exactly.
pub fn look_back(window: TimeLimit) -> chrono::Duration {
    let n = i64::from(window.amount);
    match window.unit {
        TimeUnit::WorkingDays => chrono::Duration::days(2 * n + 14),
        TimeUnit::WorkingHours => chrono::Duration::days(n / 8 * 2 + 14),
        TimeUnit::CalendarDays => chrono::Duration::days(n + 1),
        TimeUnit::Hours => chrono::Duration::hours(n + 1),
        TimeUnit::Minutes => chrono::Duration::minutes(n + 1),
    }
}

/// How `new` resembles `earlier`, if it does: both in the same category,
/// `earlier` still open and received no later than `new` and no more than
/// the rulebook's window before it.
pub fn likeness(
    rules: &Rulebook,
    new: (&Case, &Submission),
    earlier: (&Case, &Submission),
) -> Option<Likeness> {
    let ((case, filed), (before, was_filed)) = (new, earlier);
    if before.tracking == case.tracking
        || before.state.is_terminal()
        || before.category != case.category
        || before.received_at > case.received_at
        || rules
            .calendar
            .deadline(before.received_at, rules.duplicates.window)
            < case.received_at
    {
        return None;
    }
    let place = |s: &Submission| {
        s.location
            .as_deref()
            .map(normalised_place)
            .filter(|p| !p.is_empty())
    };
    if place(filed).is_some() && place(filed) == place(was_filed) {
        return Some(Likeness::SamePlace);
    }
    let (a, b) = (&filed.contact, &was_filed.contact);
    let same_phone = a.phone.is_some() && a.phone == b.phone;
    let same_email = matches!((&a.email, &b.email),
        (Some(x), Some(y)) if x.as_str().eq_ignore_ascii_case(y.as_str()));
    (same_phone || same_email).then_some(Likeness::SameComplainant)
}

/// The open cases among `earlier` that `new` may repeat, each named once
/// by the case to merge into, in the order given.
pub fn possible_duplicates<'a>(
    rules: &Rulebook,
    new: (&Case, &Submission),
    earlier: impl IntoIterator<Item = (&'a Case, &'a Submission)>,
) -> Vec<PossibleDuplicate> {
    let mut found: Vec<PossibleDuplicate> = Vec::new();
    for (case, filed) in earlier {
        let Some(likeness) = likeness(rules, new, (case, filed)) else {
            continue;
        };
        let tracking = case.merged_into.clone().unwrap_or(case.tracking.clone());
        if tracking != new.0.tracking && !found.iter().any(|f| f.tracking == tracking) {
            found.push(PossibleDuplicate { tracking, likeness });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::lifecycle::fixtures::*;
    use crate::lifecycle::{Actor, CaseState, Command, apply};
    use crate::rules::{CaseTypeId, CategoryId};
    use crate::submission::{Contact, EmailAddress, PhoneNumber};

    fn filed(location: Option<&str>, phone: Option<&str>, email: Option<&str>) -> Submission {
        Submission {
            case_type: CaseTypeId::new("complaint"),
            category: CategoryId::new("repairs"),
            contact: Contact {
                name: None,
                phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
                email: email.map(|e| EmailAddress::parse(e).unwrap()),
            },
            anonymous: false,
            subject: None,
            location: location.map(str::to_string),
            occurred_on: None,
            needed_by: None,
            description: "路灯不亮 / the street lamp is out".into(),
            desired_outcome: None,
            language: Lang::Zh,
            idempotency_key: None,
        }
    }

    fn case_at(seed: u64, category: &str, hours: i64) -> Case {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Case::open(
            TrackingNumber::generate("TS", t0().date_naive(), &mut rng),
            CaseTypeId::new("complaint"),
            CategoryId::new(category),
            &rules(),
            t(hours),
            true,
        )
        .unwrap()
    }

    #[test]
    fn places_fold_width_case_spaces_and_punctuation_but_not_numerals() {
        assert_eq!(
            normalised_place("幸福路　１２号，Ａ座 东门"),
            normalised_place("幸福路12号 a座、东门。")
        );
        assert_eq!(normalised_place("Happy Rd. 12"), "happyrd12");
        assert_ne!(normalised_place("三号楼"), normalised_place("3号楼"));
        assert_eq!(normalised_place("  ，。 "), "");
    }

    #[test]
    fn the_same_place_or_complainant_in_the_same_category_and_window() {
        let r = rules();
        let earlier = case_at(1, "repairs", 0);
        let new = case_at(2, "repairs", 5);
        let lamp = filed(Some("幸福路 12 号路灯"), None, None);
        let same_lamp = filed(Some("幸福路１２号路灯。"), None, None);
        assert_eq!(
            likeness(&r, (&new, &same_lamp), (&earlier, &lamp)),
            Some(Likeness::SamePlace)
        );
        let elsewhere = filed(Some("幸福路 14 号路灯"), None, None);
        assert_eq!(likeness(&r, (&new, &elsewhere), (&earlier, &lamp)), None);
        // No place given on either side is not the same place.
        let nowhere = filed(None, None, None);
        assert_eq!(likeness(&r, (&new, &nowhere), (&earlier, &nowhere)), None);
        let by_mail = filed(Some("一号楼"), None, Some("Zhang@Example.org"));
        let by_mail_again = filed(Some("别处"), None, Some("zhang@example.org"));
        assert_eq!(
            likeness(&r, (&new, &by_mail_again), (&earlier, &by_mail)),
            Some(Likeness::SameComplainant)
        );
        let by_phone = filed(None, Some("13800138000"), None);
        assert_eq!(
            likeness(&r, (&new, &by_phone), (&earlier, &by_phone)),
            Some(Likeness::SameComplainant)
        );
        // Another category at the same place is another problem.
        let water = case_at(3, "water-supply", 5);
        assert_eq!(likeness(&r, (&water, &same_lamp), (&earlier, &lamp)), None);
        // Outside the window (the fixture's five working days).
        let much_later = case_at(4, "repairs", 24 * 14);
        assert_eq!(
            likeness(&r, (&much_later, &same_lamp), (&earlier, &lamp)),
            None
        );
        // A closed case is not suggested.
        let closed = complaint_in(CaseState::Closed);
        assert_eq!(likeness(&r, (&new, &same_lamp), (&closed, &lamp)), None);
    }

    #[test]
    fn a_case_already_merged_points_at_its_survivor_once() {
        let r = rules();
        let first = case_at(1, "repairs", 0);
        let second = case_at(2, "repairs", 1);
        let (second, first) =
            crate::lifecycle::merge(&second, &first, Actor::Office, t(2), &r).unwrap();
        let new = case_at(3, "repairs", 3);
        let lamp = filed(Some("幸福路12号"), None, None);
        let found = possible_duplicates(&r, (&new, &lamp), [(&first, &lamp), (&second, &lamp)]);
        assert_eq!(
            found,
            vec![PossibleDuplicate {
                tracking: first.tracking.clone(),
                likeness: Likeness::SamePlace
            }]
        );
        // A rejected one is not open.
        let rejected = apply(
            &first,
            Command::Reject {
                reason: "无效 / invalid".into(),
            },
            Actor::Office,
            t(3),
            &r,
        )
        .unwrap();
        assert!(possible_duplicates(&r, (&new, &lamp), [(&rejected, &lamp)]).is_empty());
    }
}
