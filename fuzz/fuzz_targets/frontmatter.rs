//! Page front matter, TOML (`+++`) and YAML (`---`): split, then parse.
#![no_main]

use hotline_site::frontmatter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("content/page.md");
    if let Ok(split) = frontmatter::split(path, text) {
        assert!(split.body_offset <= text.len());
        let _ = frontmatter::parse(path, &split);
    }
});
