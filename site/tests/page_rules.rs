//! Rules on pages: a typed rule and a wrong reference are load errors with
//! file:line:col and what to write instead; a right reference shows the
//! rulebook's value in the page's language.

use casework::Diagnostic;
use chrono::NaiveDate;
use hotline_site::{Site, Sources};
use std::path::Path;

fn tiny_with(pages: &[(&str, &str)]) -> Sources {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny");
    let mut sources = Sources::read(&root).unwrap();
    for (path, text) in pages {
        sources.pages.push((path.to_string(), text.to_string()));
    }
    sources
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn errors(sources: &Sources) -> Vec<Diagnostic> {
    match Site::load(sources, today()) {
        Ok(_) => panic!("the site loaded"),
        Err(d) => d.into_iter().filter(Diagnostic::is_error).collect(),
    }
}

#[test]
fn a_page_typing_15_working_days_is_told_the_reference_to_write() {
    let page = "+++\ntitle = \"时限\"\n+++\n投诉在 15个工作日内办结。\n";
    let errors = errors(&tiny_with(&[("typed.md", page)]));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(
        (e.file.to_str().unwrap(), e.line, e.column),
        ("content/typed.md", 4, 5),
        "{e}"
    );
    assert!(e.message.contains("15个工作日"), "{e}");
    let hint = e.hint.as_deref().unwrap();
    assert!(
        hint.contains("`{{ case_types.complaint.complete }}`"),
        "{hint}"
    );
}

#[test]
fn typed_rules_in_english_and_in_front_matter_are_found_too() {
    let page = "+++\ntitle = \"Hotline\"\nkind = \"hotline\"\nhotline = { number = \"1\", hours = \"24 hours a day\" }\n+++\nWe answer within 2 working days.\n";
    let zh = "+++\ntitle = \"热线\"\nkind = \"hotline\"\nhotline = { number = \"1\" }\n+++\n正文\n";
    let errors = errors(&tiny_with(&[("line.md", zh), ("line.en.md", page)]));
    let at: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(at, [(6, 18), (4, 36)], "{errors:#?}");
    assert!(
        errors
            .iter()
            .all(|e| e.file == Path::new("content/line.en.md"))
    );
}

#[test]
fn worked_examples_dates_and_code_are_not_rules() {
    let page = "+++\ntitle = \"举例\"\n+++\n2026 年 9 月 30 日提出，期限 {{ example: 3 个工作日 }}，10 月 1 日至 7 日不计；第 1 个工作日是 10 月 8 日。写法：`15个工作日`。\n";
    let sources = tiny_with(&[("example.md", page)]);
    let site = Site::load(&sources, today()).unwrap_or_else(|d| panic!("{d:#?}"));
    let out = site.render().unwrap();
    let html = String::from_utf8(out.files["example/index.html"].clone()).unwrap();
    assert!(html.contains("期限 3 个工作日，"), "{html}");
    assert!(html.contains("<code>15个工作日</code>"));
}

#[test]
fn wrong_references_are_located_with_what_to_write() {
    let page = "+++\ntitle = \"错\"\n+++\n期限 {{ case_types.complaint.finish }}；\n类别 {{ categories.gas.name }}\n";
    let errors = errors(&tiny_with(&[("wrong.md", page)]));
    let found: Vec<(usize, usize, bool)> = errors
        .iter()
        .map(|e| {
            let hint = e.hint.as_deref().unwrap_or("");
            (
                e.line,
                e.column,
                hint.contains("`water-supply`") || hint.contains("`complete`"),
            )
        })
        .collect();
    assert_eq!(found, [(4, 4, true), (5, 4, true)], "{errors:#?}");
}

#[test]
fn references_show_the_rulebook_in_each_pages_language() {
    let zh = "+++\ntitle = \"时限\"\n+++\n## 投诉 {{ case_types.complaint.complete }}\n\n{{ categories }}\n";
    let en = "+++\ntitle = \"Limits\"\n+++\n## Complaints {{ case_types.complaint.complete }}\n\nOpen {{ calendar.hours }}.\n";
    let sources = tiny_with(&[("refs.md", zh), ("refs.en.md", en)]);
    let site = Site::load(&sources, today()).unwrap_or_else(|d| panic!("{d:#?}"));
    let complete = site
        .rules
        .case_type("complaint")
        .unwrap()
        .limits
        .complete
        .unwrap();
    let out = site.render().unwrap();
    let zh = String::from_utf8(out.files["refs/index.html"].clone()).unwrap();
    let en = String::from_utf8(out.files["en/refs/index.html"].clone()).unwrap();
    let heading = format!("投诉 {}", complete.to_zh());
    assert!(zh.contains(&format!(">{heading}</h2>")), "{zh}");
    for c in &site.rules.categories {
        assert!(
            zh.contains(&format!("<li><strong>{}</strong>", c.name.zh)),
            "{zh}"
        );
    }
    assert!(en.contains(&complete.to_en()), "{en}");
    assert!(en.contains("Open 9:00–18:00."), "{en}");
}

#[test]
fn the_offices_hours_typed_on_a_page_are_told_to_refer() {
    let page = "+++\ntitle = \"来访\"\n+++\n接待时间 9:00—18:00，早班车 7:15。\n";
    let errors = errors(&tiny_with(&[("hours.md", page)]));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!((errors[0].line, errors[0].column), (4, 6));
    assert_eq!(
        errors[0].hint.as_deref(),
        Some("write `{{ calendar.hours }}`")
    );
}

#[test]
fn evidence_limits_typed_on_a_page_are_told_to_refer() {
    let page = "+++\ntitle = \"材料\"\n+++\n可附 5个文件，每个 10 MB；邮件附件 20 MB。\n";
    let mut sources = tiny_with(&[("files.md", page)]);
    let rules = sources.rules.take().expect("the tiny rulebook");
    sources.rules = Some(format!(
        "{rules}\n[evidence]\nmax_files = 5\nmax_file_size = \"10 MB\"\nmax_total_size = \"25 MB\"\ntypes = [\"jpeg\", \"pdf\"]\nmax_megapixels = 40\n"
    ));
    let errors = errors(&sources);
    let found: Vec<(usize, usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.column, e.hint.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(found.len(), 2, "{errors:#?}");
    // Columns count characters: "可附 " is three.
    assert_eq!((found[0].0, found[0].1), (4, 4));
    assert!(
        found[0].2.contains("`{{ evidence.max_files }}`"),
        "{found:?}"
    );
    assert!(
        found[1].2.contains("`{{ evidence.max_file_size }}`"),
        "{found:?}"
    );
    // 20 MB is not a size the rulebook sets (an e-mail's limit): not reported.
    assert!(errors.iter().all(|e| !e.message.contains("20 MB")));

    // With the references instead, the page shows the rulebook's values.
    let page = "+++\ntitle = \"材料\"\n+++\n可附 {{ evidence.max_files }}，每个 {{ evidence.max_file_size }}。\n";
    let mut fixed = tiny_with(&[("files.md", page)]);
    fixed.rules = sources.rules.clone();
    let site = Site::load(&fixed, today()).unwrap_or_else(|d| panic!("{d:#?}"));
    let out = site.render().unwrap();
    let html = String::from_utf8(out.files["files/index.html"].clone()).unwrap();
    assert!(html.contains("可附 5个文件，每个 10 MB。"), "{html}");
}
