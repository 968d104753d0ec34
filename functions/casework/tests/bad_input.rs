//! Regressions found with the bad-input corpus (`tests/bad-input/`) and the
//! fuzzers (`fuzz/`): what the cleaning must do with text that looks empty or
//! breaks lines in ways other than `\n`.

use casework::Rulebook;
use casework::submission::{ErrorCode, Field, RawSubmission, validate};
use chrono::NaiveDate;
use std::path::Path;

const RULES: &str = include_str!("../../../content/rules.toml");

fn rules() -> Rulebook {
    Rulebook::parse(Path::new("content/rules.toml"), RULES)
        .expect("the bundled rulebook parses")
        .0
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 18).expect("date")
}

fn complaint() -> RawSubmission {
    RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("water-supply".into()),
        name: Some("王小明".into()),
        phone: Some("13812345678".into()),
        description: Some("小区的自来水连续三天发黄，无法饮用。".into()),
        ..RawSubmission::default()
    }
}

#[test]
fn a_value_of_invisible_characters_is_empty() {
    let rules = rules();
    let mut raw = complaint();
    raw.description = Some("\u{200B}".repeat(20));
    raw.name = Some("\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}\u{00AD} \u{3164}".into());
    let errors = validate(&raw, &rules, today()).expect_err("nothing to read");
    assert!(errors.has(Field::Description, ErrorCode::Required));
    assert!(errors.has(Field::Name, ErrorCode::Required));
    assert_eq!(errors.cleaned.description, None);
    assert_eq!(errors.cleaned.name, None);
}

#[test]
fn invisible_characters_inside_text_and_emoji_stay() {
    let rules = rules();
    let mut raw = complaint();
    // A family emoji (joined by ZWJ), a heart with its variation selector at
    // the very end, and a zero-width space between two words.
    let description = "水质有问题\u{200B}已经三天了 👨\u{200D}👩\u{200D}👧 ❤\u{FE0F}";
    raw.description = Some(format!("\u{200B}{description}\u{200B}"));
    let submission = validate(&raw, &rules, today()).expect("valid");
    assert_eq!(submission.description, description);
}

#[test]
fn unicode_line_separators_are_line_breaks() {
    let rules = rules();
    let mut raw = complaint();
    raw.name = Some("王小明\u{2028}Bcc: victim@example.org".into());
    raw.subject = Some("物业\u{2029}公司".into());
    raw.description = Some("第一行内容写在这里\u{2028}第二行内容\u{2029}第三行".into());
    let submission = validate(&raw, &rules, today()).expect("valid");
    assert_eq!(
        submission.contact.name.as_deref(),
        Some("王小明 Bcc: victim@example.org")
    );
    assert_eq!(submission.subject.as_deref(), Some("物业 公司"));
    assert_eq!(
        submission.description,
        "第一行内容写在这里\n第二行内容\n第三行"
    );
}
