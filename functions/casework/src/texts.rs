//! Text messages (SMS) to complainants who left a mainland mobile number:
//! what each says, how long it is, and when it may be sent.
//!
//! A text carries the office's signature, the tracking number and one
//! sentence: the case was received, the department asks something, there
//! is a reply or a result, or the survey (with its signed link). It never
//! carries the receipt code, the case's type, the question or the answer:
//! a phone's lock screen shows texts to whoever holds it. A link to the
//! case page is added only when the text still fits one segment with it
//! (70 characters in Chinese, 160 GSM characters in plain English); the
//! survey's signed link is always added (it opens the survey without the
//! receipt code) and makes that text two segments in English and up to four
//! in Chinese, where the whole text, link included, counts in UCS-2.
//!
//! Everything here is pure, and only the rulebook's `[text_messages]`
//! turns texts on. Queueing them is `office`'s (next to the mails, in the
//! same write); sending is `mail::text`'s. Not here: e-mail wording
//! (`messages`, `notices`).

use crate::lifecycle::Case;
use crate::localized::{Lang, Localized};
use crate::outgoing::{Medium, Message};
use crate::rules::{Rulebook, TextMessages};
use crate::submission::Submission;
use chrono::{DateTime, Days, NaiveDateTime, TimeZone, Utc};

/// What a department did that a complainant is told about by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextUpdate {
    /// A question waits on the case page.
    Asked,
    /// A reply (also the public status note).
    Replied,
    /// The case is closed, or rejected: its result is on the page.
    Closed,
}

/// Where a text's number goes, when texts are on and the complainant left
/// a mainland mobile number.
pub fn recipient(rules: &Rulebook, submission: &Submission) -> Option<String> {
    rules.text_messages.as_ref()?;
    submission.contact.phone.as_ref()?.mainland_mobile()
}

/// The text a new case sends: received, its number, where to follow it.
pub fn acknowledgment(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    case_page: &str,
) -> Option<Message> {
    let hotline = rules.office.hotline.as_str();
    let body = Localized::new(
        format!("您的诉求已收到，编号{{tracking}}。凭编号可在网站查询进度，或致电{hotline}。"),
        format!(
            "We received your request, number {{tracking}}. Follow it on our website with this number, or call {hotline}."
        ),
    );
    text(
        rules,
        case,
        submission,
        "受理回执 / acknowledgment",
        &body,
        Some(case_page),
    )
}

/// The text a department's question, reply or closure sends.
pub fn update(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    update: TextUpdate,
    case_page: &str,
) -> Option<Message> {
    let (label, body) = match update {
        TextUpdate::Asked => (
            "待您答复 / question",
            Localized::new(
                "您的诉求{tracking}有一个问题待您答复，请凭编号和回执码在案件页查看并回复。",
                "There is a question on your request {tracking}. Please answer it on your case page, with the number and your receipt code.",
            ),
        ),
        TextUpdate::Replied => (
            "新的答复 / reply",
            Localized::new(
                "您的诉求{tracking}有新的答复，请凭编号在网站查看。",
                "There is a reply on your request {tracking}. See it on our website with this number.",
            ),
        ),
        TextUpdate::Closed => (
            "办理结果 / result",
            Localized::new(
                "您的诉求{tracking}已有办理结果，请凭编号在网站查看。",
                "Your request {tracking} has a result. See it on our website with this number.",
            ),
        ),
    };
    text(rules, case, submission, label, &body, Some(case_page))
}

/// The survey text: the case is closed, rate it at `survey_link` (the
/// signed survey page, which needs no receipt code).
pub fn survey(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    survey_link: &str,
) -> Option<Message> {
    let body = Localized::new(
        format!("您的诉求{{tracking}}已办结，请评价我们的办理：{survey_link}"),
        format!("Your request {{tracking}} is closed. Please tell us how we did: {survey_link}"),
    );
    text(rules, case, submission, "满意度回访 / survey", &body, None)
}

/// The signed text in the submission's language; the link is appended
/// only when the text still fits one segment with it.
fn text(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    label: &str,
    body: &Localized,
    link: Option<&str>,
) -> Option<Message> {
    let to = recipient(rules, submission)?;
    let settings = rules.text_messages.as_ref()?;
    let lang = submission.language;
    let plain = signed(settings, lang, body, case.tracking.as_str());
    let with_link = link
        .filter(|l| !l.is_empty())
        .map(|l| format!("{plain}{}{l}", lang.pick("", " ")))
        .filter(|t| segments(t).count == 1);
    Some(Message {
        to: vec![to],
        // Never sent: it names the text in the office's failure summary.
        subject: format!("[{}] 短信 / text: {label}", case.tracking.as_str()),
        text: with_link.unwrap_or(plain),
        html: String::new(),
        attachments: Vec::new(),
        medium: Medium::Text,
    })
}

fn signed(settings: &TextMessages, lang: Lang, body: &Localized, tracking: &str) -> String {
    let signature = settings.signature.get(lang);
    let body = body.get(lang).replace("{tracking}", tracking);
    // A Chinese signature leads, as carriers require; an English one
    // leads too, followed by a space.
    match lang {
        Lang::Zh => format!("{signature}{body}"),
        Lang::En => format!("{signature} {body}"),
    }
}

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 7-bit alphabet: 160 characters in one segment, 153 each
    /// when split.
    Gsm7,
    /// Anything else (Chinese): UCS-2, 70 characters in one segment, 67
    /// each when split.
    Ucs2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// Characters as the network counts them (a GSM extension character
    /// such as `[` counts two; a character outside the BMP counts two in
    /// UCS-2).
    pub units: usize,
    pub count: usize,
}

/// How many SMS segments `text` takes.
pub fn segments(text: &str) -> Segments {
    let gsm: Option<usize> = text.chars().map(gsm_units).sum();
    let (encoding, units, single, each) = match gsm {
        Some(units) => (Encoding::Gsm7, units, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let count = if units <= single {
        1
    } else {
        units.div_ceil(each)
    };
    Segments {
        encoding,
        units,
        count,
    }
}

/// A character's septets in the GSM 7-bit default alphabet and its
/// extension table; `None` outside both. Only the ASCII part is accepted,
/// which is all the English texts use.
fn gsm_units(c: char) -> Option<usize> {
    match c {
        '^' | '{' | '}' | '\\' | '[' | ']' | '~' | '|' => Some(2),
        // The default alphabet has no backtick.
        '`' => None,
        '\n' | '\r' | ' '..='~' => Some(1),
        _ => None,
    }
}

/// When a text due at `now` may be sent: `None` when now is within the
/// rulebook's sending hours (or texts are off), else the next opening.
pub fn deferred_until(rules: &Rulebook, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let settings = rules.text_messages.as_ref()?;
    let local = rules.calendar.local(now);
    let time = local.time();
    if time >= settings.send_from && time < settings.send_until {
        return None;
    }
    let date = local.date_naive();
    let day = if time < settings.send_from {
        date
    } else {
        date.checked_add_days(Days::new(1)).unwrap_or(date)
    };
    let opening = NaiveDateTime::new(day, settings.send_from);
    let zone = rules.calendar.time_zone;
    let at = zone
        .from_local_datetime(&opening)
        .earliest()
        // A clock change skipped the opening: an hour later exists.
        .or_else(|| {
            zone.from_local_datetime(&(opening + chrono::TimeDelta::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc));
    Some(at.unwrap_or(now).max(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Channel;
    use crate::rules::parse_rules;
    use crate::submission::{RawSubmission, validate};
    use crate::tracking::TrackingNumber;
    use chrono::NaiveTime;
    use std::path::Path;

    fn sample_rules() -> Rulebook {
        let text = include_str!("../../../content/rules.toml");
        let (rules, _) = parse_rules(Path::new("content/rules.toml"), text).expect("sample rules");
        rules
    }

    fn sample_case(rules: &Rulebook, phone: &str, lang: &str) -> (Case, Submission) {
        let case_type = rules.case_types[0].id.clone();
        let category = rules.categories[0].id.clone();
        let raw = RawSubmission {
            case_type: Some(case_type.to_string()),
            category: Some(category.to_string()),
            description: Some("小区门口的路灯坏了两个星期，晚上很不安全。".into()),
            name: Some("王小明".into()),
            phone: Some(phone.into()),
            language: Some(lang.into()),
            ..RawSubmission::default()
        };
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        let today = rules.calendar.local(now).date_naive();
        let submission = validate(&raw, rules, today).expect("valid");
        let tracking =
            TrackingNumber::generate(&rules.office.tracking_prefix, today, &mut rand::rng());
        let case = Case::open_by(
            Channel::Web,
            tracking,
            submission.case_type.clone(),
            submission.category.clone(),
            rules,
            now,
            true,
        )
        .expect("opens");
        (case, submission)
    }

    fn all_texts(rules: &Rulebook, case: &Case, sub: &Submission, page: &str) -> Vec<Message> {
        let mut out = vec![acknowledgment(rules, case, sub, page).expect("ack")];
        for u in [TextUpdate::Asked, TextUpdate::Replied, TextUpdate::Closed] {
            out.push(update(rules, case, sub, u, page).expect("update"));
        }
        out
    }

    #[test]
    fn every_text_without_a_link_fits_one_segment_in_both_languages() {
        let rules = sample_rules();
        for lang in ["zh", "en"] {
            let (case, sub) = sample_case(&rules, "13812345678", lang);
            for m in all_texts(&rules, &case, &sub, "") {
                let s = segments(&m.text);
                assert_eq!(s.count, 1, "{lang}: {} ({} units)", m.text, s.units);
                assert_eq!(m.medium, Medium::Text);
                assert_eq!(m.to, vec!["+8613812345678".to_string()]);
                assert!(m.text.contains(case.tracking.as_str()));
                assert!(m.html.is_empty());
                let signature = rules
                    .text_messages
                    .as_ref()
                    .unwrap()
                    .signature
                    .get(sub.language);
                assert!(m.text.starts_with(signature), "{}", m.text);
            }
        }
    }

    #[test]
    fn a_short_case_page_link_is_added_only_where_it_still_fits() {
        let rules = sample_rules();
        let page = "https://12345.example.gov.cn/api/case";
        for lang in ["zh", "en"] {
            let (case, sub) = sample_case(&rules, "13812345678", lang);
            let bare = all_texts(&rules, &case, &sub, "");
            let linked = all_texts(&rules, &case, &sub, page);
            for (bare, linked) in bare.iter().zip(&linked) {
                assert_eq!(segments(&linked.text).count, 1, "{}", linked.text);
                let with = format!("{}{}{page}", bare.text, if lang == "en" { " " } else { "" });
                if segments(&with).count == 1 {
                    assert_eq!(linked.text, with);
                } else {
                    assert_eq!(linked.text, bare.text);
                }
            }
            // With a real address: in English the reply and the result have
            // room for it; in Chinese no text does.
            let with_link: Vec<bool> = linked.iter().map(|m| m.text.ends_with(page)).collect();
            let expected = if lang == "en" {
                [false, false, true, true]
            } else {
                [false; 4]
            };
            assert_eq!(with_link, expected, "{lang}");
        }
    }

    #[test]
    fn the_survey_text_carries_its_signed_link_in_two_english_or_four_chinese_segments() {
        use crate::action_token::{self, Action, ActionSecret, ActionToken, Holder};
        let rules = sample_rules();
        let secret = ActionSecret::new(*b"texts tests: a secret of 32 b...").expect("32 bytes");
        for (lang, most) in [("zh", 4), ("en", 2)] {
            let (case, sub) = sample_case(&rules, "13812345678", lang);
            let expires = case.received_at + chrono::TimeDelta::days(14);
            let token = ActionToken::sign(
                &secret,
                &case.tracking,
                &Holder::Complainant,
                Action::Survey,
                expires,
            );
            // As long as the survey's link gets, under a realistic API root.
            let link = action_token::action_url(
                "https://12345.example.gov.cn/api",
                &case.tracking,
                Action::Survey,
                &token,
            );
            let m = survey(&rules, &case, &sub, &link).expect("survey");
            assert!(m.text.ends_with(&link));
            let s = segments(&m.text);
            assert!(
                s.count <= most,
                "{lang}: {s:?} ({} characters of link)",
                link.len()
            );
            let without_link = m.text.trim_end_matches(link.as_str());
            assert_eq!(segments(without_link).count, 1, "{without_link}");
        }
    }

    #[test]
    fn no_text_without_the_section_or_a_mobile_number() {
        let rules = sample_rules();
        let (case, landline) = sample_case(&rules, "010-1234-5678", "zh");
        assert!(acknowledgment(&rules, &case, &landline, "").is_none());
        let (case, mobile) = sample_case(&rules, "13812345678", "zh");
        let off = Rulebook {
            text_messages: None,
            ..rules.clone()
        };
        assert!(acknowledgment(&off, &case, &mobile, "").is_none());
        assert!(update(&off, &case, &mobile, TextUpdate::Asked, "").is_none());
    }

    #[test]
    fn segments_count_characters_not_bytes() {
        assert_eq!(segments(&"好".repeat(70)).count, 1);
        assert_eq!(segments(&"好".repeat(71)).count, 2);
        assert_eq!(segments(&"好".repeat(134)).count, 2);
        assert_eq!(segments(&"好".repeat(135)).count, 3);
        assert_eq!(segments(&"a".repeat(160)).encoding, Encoding::Gsm7);
        assert_eq!(segments(&"a".repeat(160)).count, 1);
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        // Extension characters count two septets.
        assert_eq!(segments(&"[".repeat(80)).count, 1);
        assert_eq!(segments(&"[".repeat(81)).count, 2);
        // One non-GSM character makes the whole text UCS-2.
        let mixed = format!("{}é", "a".repeat(70));
        assert_eq!(segments(&mixed).encoding, Encoding::Ucs2);
        assert_eq!(segments(&mixed).count, 2);
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        // The sample rulebook's clock is Asia/Shanghai, UTC+8.
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - chrono::TimeDelta::hours(8)
    }

    #[test]
    fn texts_wait_for_the_morning_across_a_night_and_a_weekend() {
        let rules = sample_rules();
        let window = rules.text_messages.as_ref().expect("sample has texts");
        assert_eq!(window.send_from, NaiveTime::from_hms_opt(8, 0, 0).unwrap());
        assert_eq!(
            window.send_until,
            NaiveTime::from_hms_opt(21, 0, 0).unwrap()
        );
        // Within the hours: at once (Monday noon, the opening minute).
        assert_eq!(deferred_until(&rules, at(2026, 12, 7, 12, 0)), None);
        assert_eq!(deferred_until(&rules, at(2026, 12, 7, 8, 0)), None);
        // Closing time is outside: the next morning.
        assert_eq!(
            deferred_until(&rules, at(2026, 12, 7, 21, 0)),
            Some(at(2026, 12, 8, 8, 0))
        );
        // After midnight: the same morning.
        assert_eq!(
            deferred_until(&rules, at(2026, 12, 8, 3, 30)),
            Some(at(2026, 12, 8, 8, 0))
        );
        // Friday night to Saturday morning: texts go out on every day of
        // the week, only not at night.
        assert_eq!(
            deferred_until(&rules, at(2026, 12, 11, 23, 59)),
            Some(at(2026, 12, 12, 8, 0))
        );
        assert_eq!(deferred_until(&rules, at(2026, 12, 13, 10, 0)), None);
        // Across the year's end.
        assert_eq!(
            deferred_until(&rules, at(2026, 12, 31, 22, 0)),
            Some(at(2027, 1, 1, 8, 0))
        );
        let off = Rulebook {
            text_messages: None,
            ..rules
        };
        assert_eq!(deferred_until(&off, at(2026, 12, 7, 23, 0)), None);
    }
}
