//! Inputs the fuzzers (`fuzz/`) found to crash the front matter reader,
//! kept as plain tests: each must give a page or a diagnostic, never a panic.

use hotline_site::frontmatter::{parse, split};
use std::path::Path;

fn read(text: &str) -> Result<(), String> {
    let path = Path::new("content/page.md");
    let split = split(path, text).map_err(|d| d.message)?;
    parse(path, &split)
        .map(|_| ())
        .map_err(|ds| ds.iter().map(|d| d.message.clone()).collect())
}

#[test]
fn a_yaml_date_with_a_character_across_its_tenth_byte() {
    // The fuzzer's find: a byte-order mark where the date's last digit
    // belongs made the date check slice inside a character.
    let found = "---\ntitle: Letters1 Main St\"\n  houit:~ [a, b]\ndra&t: true\n\
                 valid_until: 2027-21-0\u{feff}1\n---\nd#o By\n";
    let _ = read(found);
    let page = "---\ntitle: 通知\nkind: notice\nvalid_until: 2027-01-0\u{4e00}\n---\n正文\n";
    let _ = read(page);
    let page = "+++\ntitle = \"通知\"\nvalid_until = \"2027-01-0一\"\n+++\n正文\n";
    let _ = read(page);
}
