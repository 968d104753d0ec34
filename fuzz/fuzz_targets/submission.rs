//! A submission body as intake reads it: the first byte picks the decoder
//! (form or JSON), the rest is the body. Whatever decodes is validated
//! against the bundled rulebook, as `POST /cases` does.
#![no_main]

use casework::Rulebook;
use casework::submission::validate;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static RULES: LazyLock<Rulebook> = LazyLock::new(|| {
    let text = include_str!("../../content/rules.toml");
    Rulebook::parse(std::path::Path::new("content/rules.toml"), text)
        .expect("the bundled rulebook parses")
        .0
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let decoded = if selector & 1 == 0 {
        intake::body::parse_form(body)
    } else {
        intake::body::parse_json(body)
    };
    let Ok(raw) = decoded else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 18).expect("date");
    match validate(&raw, &RULES, today) {
        Ok(submission) => {
            // What passes is within the rulebook's limits.
            assert!(submission.description.chars().count() <= RULES.form.description);
            assert!(!submission.description.trim().is_empty());
        }
        Err(errors) => {
            assert!(!errors.errors.is_empty());
            assert!(errors.cleaned.website.is_none());
        }
    }
});
