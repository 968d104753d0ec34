//! Runs every file of tests/corpus/ through `check` and compares the answer
//! with tests/corpus/expected.txt.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

#[test]
fn every_corpus_file_gets_its_expected_answer() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let expected = fs::read_to_string(folder.join("expected.txt")).unwrap();
    let mut listed = BTreeSet::new();
    let mut failures = Vec::new();
    for (number, line) in expected.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [file, verdict, what, ..] = words[..] else {
            panic!(
                "expected.txt:{}: write `FILE accept KIND` or `FILE refuse CODE`",
                number + 1
            );
        };
        listed.insert(file.to_string());
        let bytes = fs::read(folder.join(file))
            .unwrap_or_else(|e| panic!("expected.txt:{}: {file}: {e}", number + 1));
        let answer = match evidence::check(&bytes, &support::limits()) {
            Ok(checked) => {
                // An accepted image never keeps an appended archive.
                if checked.kind.is_image() && support::contains(&checked.bytes, b"PK\x03\x04") {
                    failures.push(format!("{file}: the stored copy kept a ZIP"));
                }
                format!("accept {}", checked.kind.code())
            }
            Err(refusal) => format!("refuse {}", refusal.code()),
        };
        if answer != format!("{verdict} {what}") {
            failures.push(format!(
                "{file}: expected `{verdict} {what}`, got `{answer}`"
            ));
        }
    }
    let present: BTreeSet<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "expected.txt" && name != "README.md")
        .collect();
    for unlisted in present.difference(&listed) {
        failures.push(format!("{unlisted}: not in expected.txt"));
    }
    assert!(
        listed.len() >= 16,
        "the corpus shrank to {} files",
        listed.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
