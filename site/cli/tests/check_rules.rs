//! `hotline check` on the sample content with one page that types a rule:
//! the page is reported with file:line:col and the reference to write, and
//! the sample content as shipped passes.

use std::path::Path;
use std::process::{Command, Output};

/// A copy of the sample content in a temporary project.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    copy(&from, &dir.path().join("content"));
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("content/ reads") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copy");
        }
    }
}

fn check(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("check")
        .current_dir(root)
        .output()
        .expect("hotline runs")
}

#[test]
fn the_sample_content_refers_to_the_rulebook_and_passes() {
    let dir = project();
    let out = check(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_page_typing_15_working_days_is_reported_with_the_reference_to_write() {
    let dir = project();
    std::fs::write(
        dir.path().join("content/policies/typed.md"),
        "+++\ntitle = \"时限\"\nkind = \"policy\"\n+++\n投诉在15个工作日内办结。\n",
    )
    .unwrap();
    let out = check(dir.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("content/policies/typed.md:5:4: error: `15个工作日`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("{{ case_types.complaint.complete }}"),
        "{stderr}"
    );
}
