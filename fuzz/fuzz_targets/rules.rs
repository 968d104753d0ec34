//! The rulebook reader: any text gives a rulebook or diagnostics, never a
//! panic, and every diagnostic points inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = casework::rules::parse_rules(std::path::Path::new("content/rules.toml"), text);
});
