//! Builds the fixture sites under `tests/fixtures/` and pins down what comes out.
//!
//! Golden files in `tests/golden/` hold the `<main>` of a few pages; run with
//! `UPDATE_GOLDENS=1` to rewrite them after an intended change, then review
//! the diff.

use chrono::NaiveDate;
use hotline_site::{Output, Site, Sources};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn build(sources: &Sources) -> Output {
    let site = Site::load(sources, today()).unwrap_or_else(|d| panic!("{d:#?}"));
    site.render().unwrap_or_else(|d| panic!("{d:#?}"))
}

fn page(out: &Output, path: &str) -> String {
    let bytes = out
        .files
        .get(path)
        .unwrap_or_else(|| panic!("{path} was not built; built: {:?}", out.files.keys()));
    String::from_utf8(bytes.clone()).unwrap()
}

fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("a <main>");
    let end = html.find("</main>").expect("a </main>") + "</main>".len();
    &html[start..end]
}

#[test]
fn tiny_site_builds_every_page_in_both_languages() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    for path in [
        "",
        "policies/",
        "policies/limits/",
        "form/",
        "status/",
        "thanks/",
        "hotline/",
        "notices/",
        "notices/new/",
        "notices/old/",
    ] {
        for lang in ["", "en/"] {
            let html = page(&out, &format!("{lang}{path}index.html"));
            let tag = if lang.is_empty() { "zh-Hans" } else { "en" };
            assert!(
                html.contains(&format!("<html lang=\"{tag}\">")),
                "{lang}{path}"
            );
            assert!(html.contains("hreflang=\"en\""), "{lang}{path}");
        }
    }
    assert_eq!((out.pages_zh, out.pages_en), (10, 10));
    for path in [
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "atom.xml",
        "en/atom.xml",
        "static/style.css",
        "static/site.js",
    ] {
        assert!(out.files.contains_key(path), "{path}");
    }
    let sitemap = page(&out, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://test.example/en/policies/limits/</loc>"));
}

#[test]
fn missing_translations_fall_back_with_a_note() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    let form = page(&out, "en/form/index.html");
    assert!(form.contains("not yet available in English"));
    assert!(form.contains("<div class=\"prose\" lang=\"zh-Hans\">"));
    // Links in the fallback text lead to the English pages.
    assert!(
        form.contains("href=\"/en/policies/limits/#reply\""),
        "{form}"
    );
    let translated = page(&out, "en/hotline/index.html");
    assert!(!translated.contains("not yet available in English"));
}

#[test]
fn expired_notices_leave_listings_and_feeds_but_keep_their_page() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    for listing in [
        "notices/index.html",
        "index.html",
        "atom.xml",
        "en/atom.xml",
    ] {
        let text = page(&out, listing);
        assert!(text.contains("/notices/new/"), "{listing}");
        assert!(!text.contains("/notices/old/"), "{listing}");
    }
    assert!(page(&out, "notices/old/index.html").contains("本通知已过期"));
    assert!(!page(&out, "notices/new/index.html").contains("本通知已过期"));
}

#[test]
fn the_form_has_every_field_and_no_shared_idempotency_key() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    let form = page(&out, "form/index.html");
    assert!(form.contains(
        "<form id=\"complaint-form\" class=\"case-form\" method=\"post\" action=\"/api/cases\""
    ));
    for field in [
        "case_type",
        "category",
        "name",
        "phone",
        "email",
        "anonymous",
        "subject",
        "location",
        "occurred_on",
        "description",
        "desired_outcome",
        "language",
        "idempotency_key",
        "website",
    ] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field}");
    }
    // No severity of the tiny rulebook takes a date of the complainant's own.
    assert!(!form.contains("name=\"needed_by\""));
    assert!(form.contains("<input type=\"hidden\" name=\"idempotency_key\" value=\"\">"));
    assert!(form.contains("maxlength=\"5000\""));
    assert!(form.contains("<div class=\"hp\" aria-hidden=\"true\">"));
}

#[test]
fn rulebook_changes_show_in_the_table_and_the_form() {
    let mut sources = Sources::read(&fixture("tiny")).unwrap();
    let before = build(&sources);
    let rules = sources.rules.take().unwrap();
    assert!(rules.contains("complete = \"15 working days\""));
    assert!(rules.contains("zh = \"投诉\""));
    sources.rules = Some(
        rules
            .replace(
                "complete = \"15 working days\"",
                "complete = \"12 working days\"",
            )
            .replace("zh = \"投诉\"", "zh = \"投诉意见\"")
            .replace("description = 5000", "description = 3000"),
    );
    let after = build(&sources);
    let (limits_before, limits_after) = (
        page(&before, "policies/limits/index.html"),
        page(&after, "policies/limits/index.html"),
    );
    let complaint_row = |html: &str| {
        let start = html
            .find("<tr id=\"type-complaint\">")
            .expect("a complaint row");
        html[start..start + html[start..].find("</tr>").unwrap()].to_string()
    };
    assert!(complaint_row(&limits_before).contains("<td>15个工作日</td>"));
    assert!(!complaint_row(&limits_after).contains("<td>15个工作日</td>"));
    assert!(complaint_row(&limits_after).contains("<td>12个工作日</td>"));
    assert!(page(&after, "en/policies/limits/index.html").contains("<td>12 working days</td>"));
    let form = page(&after, "form/index.html");
    assert!(form.contains("<label for=\"type-complaint\">投诉意见</label>"));
    assert!(form.contains("maxlength=\"3000\""));
}

#[test]
fn five_mistakes_give_exactly_five_located_errors() {
    let sources = Sources::read(&fixture("broken")).unwrap();
    let diagnostics = match Site::load(&sources, today()) {
        Ok(_) => panic!("the broken fixture loaded"),
        Err(d) => d,
    };
    let mut errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}:{}:{}", d.file.display(), d.line, d.column))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "content/a.md:3:1",  // unknown key `colour`
            "content/b.md:3:1",  // a hotline page without its table
            "content/c.md:4:10", // link to a page that does not exist
            "content/d.md:6:9",  // link to a heading that does not exist
            "content/e.md:3:7",  // not a date
        ],
        "{diagnostics:#?}"
    );
}

#[test]
fn golden_pages() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut stale = Vec::new();
    for (name, path) in [
        ("time-limits.zh.html", "policies/limits/index.html"),
        ("time-limits.en.html", "en/policies/limits/index.html"),
        ("form.zh.html", "form/index.html"),
        ("form-fallback.en.html", "en/form/index.html"),
        ("hotline.zh.html", "hotline/index.html"),
        ("notices.zh.html", "notices/index.html"),
        ("home.en.html", "en/index.html"),
    ] {
        let actual = format!("{}\n", main_of(&page(&out, path)));
        let file = dir.join(name);
        if update {
            std::fs::write(&file, &actual).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(actual.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "these pages differ from tests/golden/: {stale:?}; if intended, rerun with UPDATE_GOLDENS=1 and review the diff"
    );
}

#[test]
fn page_shells_for_the_api_in_both_languages() {
    let out = build(&Sources::read(&fixture("tiny")).unwrap());
    for (path, tag, home) in [
        ("_shell/index.html", "zh-Hans", "/en/"),
        ("en/_shell/index.html", "en", "/"),
    ] {
        let html = page(&out, path);
        for marker in ["<!--hotline:title-->", "<!--hotline:main-->"] {
            assert_eq!(html.matches(marker).count(), 1, "{path}: {marker}");
        }
        let title = &html[html.find("<title>").unwrap()..html.find("</title>").unwrap()];
        assert!(title.contains("<!--hotline:title-->"), "{path}: {title}");
        assert!(
            html.contains("<main id=\"main\" tabindex=\"-1\">\n<!--hotline:main-->\n</main>"),
            "{path}"
        );
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{path}");
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(html.contains("data-pagefind-ignore=\"all\""));
        assert!(!html.contains("data-pagefind-body"), "{path}: not indexed");
        // The usual frame: stylesheet, nav, footer, a language switch that
        // leads somewhere real.
        assert!(html.contains("/static/style.css") && html.contains("<nav"));
        assert!(html.contains("class=\"site-footer\""));
        assert!(
            html.contains(&format!("class=\"lang-switch\" href=\"{home}\"")),
            "{path}"
        );
    }
    assert!(!page(&out, "sitemap.xml").contains("_shell"));
    // Other pages keep their head as it was.
    assert!(!page(&out, "index.html").contains("noindex"));
}
