//! The published rules are the enforced rules: builds the sample site
//! (`content/`) and checks, for every rule a page publishes, that the page
//! shows the value casework enforces, computed here from the parsed
//! rulebook through casework's own functions. A change made to the
//! rulebook, a page or a template alone fails here.
//!
//! It also builds the site again from a changed rulebook: a page that
//! typed a rule instead of referring to it would keep the old value.

use casework::rules::DeadlineKind;
use casework::{Lang, Rulebook};
use chrono::{DateTime, TimeZone, Utc};
use hotline_site::{Site, Sources, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("site/ is in the project")
        .to_path_buf()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()
}

fn rulebook(text: &str) -> Rulebook {
    casework::rules::parse_rules(Path::new("content/rules.toml"), text)
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .0
}

struct Built {
    files: BTreeMap<String, Vec<u8>>,
    rules: Rulebook,
}

fn build(sources: &Sources) -> Built {
    let built = Site::build(sources, now(), Target::Memory, |_| {})
        .unwrap_or_else(|e| panic!("the sample site must build: {e:#?}"));
    Built {
        rules: rulebook(sources.rules.as_deref().expect("a rulebook")),
        files: built.files,
    }
}

fn sample() -> Sources {
    Sources::read(&root()).expect("content/ reads")
}

/// A built page in a language, by its path without the language prefix.
fn page(built: &Built, path: &str, lang: Lang) -> String {
    let file = match lang {
        Lang::Zh => format!("{path}index.html"),
        Lang::En => format!("en/{path}index.html"),
    };
    let bytes = built
        .files
        .get(&file)
        .unwrap_or_else(|| panic!("{file} was not built"));
    String::from_utf8(bytes.clone()).unwrap()
}

/// The text of an HTML fragment: tags dropped, the few entities Tera and
/// pulldown-cmark write turned back into characters.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `<main>` of a page as text.
fn main_text(html: &str) -> String {
    let start = html.find("<main").expect("a <main>");
    let end = html.find("</main>").expect("a </main>");
    text_of(&html[start..end])
}

/// The cells of the table row with this id.
fn row_cells(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<tr id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no row {id}"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td>")
        .skip(1)
        .map(|cell| text_of(&cell[..cell.find("</td>").unwrap()]))
        .collect()
}

fn strings(lang: Lang) -> toml::Table {
    let text = std::fs::read_to_string(root().join("site/theme/strings.toml")).unwrap();
    let table: toml::Table = text.parse().unwrap();
    table[lang.code()].as_table().unwrap().clone()
}

fn clock(t: chrono::NaiveTime) -> String {
    t.format("%-H:%M").to_string()
}

/// The office hours as every page that states them must show them.
fn hours(rules: &Rulebook, lang: Lang) -> String {
    let dash = lang.pick("—", "–");
    format!(
        "{}{dash}{}",
        clock(rules.calendar.opens),
        clock(rules.calendar.closes)
    )
}

fn limit_table_shows_every_limit(built: &Built) {
    let rules = &built.rules;
    for lang in Lang::ALL {
        let html = page(built, "policies/time-limits/", lang);
        let none = strings(lang)["no_limit"].as_str().unwrap().to_string();
        let expect = |limits: &casework::rules::Limits| -> Vec<String> {
            DeadlineKind::ALL
                .iter()
                .map(|k| limits.get(*k).map_or(none.clone(), |l| l.localized(lang)))
                .collect()
        };
        for t in &rules.case_types {
            assert_eq!(
                row_cells(&html, &format!("type-{}", t.id)),
                expect(&t.limits),
                "{lang}: the limits of {}",
                t.id
            );
        }
        for s in &rules.severities {
            assert_eq!(
                row_cells(&html, &format!("severity-{}", s.id)),
                expect(&s.limits),
                "{lang}: the limits of {}",
                s.id
            );
        }
    }
}

#[test]
fn the_time_limit_table_shows_what_the_deadlines_are_computed_from() {
    limit_table_shows_every_limit(&build(&sample()));
}

#[test]
fn the_holiday_table_has_every_day_off_and_marks_provisional_years() {
    let built = build(&sample());
    let rules = &built.rules;
    assert!(
        rules.calendar.years.values().any(|y| y.provisional),
        "the sample rulebook has a provisional year, which this test needs"
    );
    for lang in Lang::ALL {
        let html = page(&built, "policies/time-limits/", lang);
        let mark = strings(lang)["provisional_year"]
            .as_str()
            .unwrap()
            .to_string();
        for (year, y) in &rules.calendar.years {
            let start = html
                .find(&format!("id=\"holidays-{year}\""))
                .unwrap_or_else(|| panic!("{lang}: no table for {year}"));
            let end = html[start + 1..]
                .find("id=\"holidays-")
                .map_or(html.len(), |i| start + 1 + i);
            let section = &html[start..end];
            for h in &y.holidays {
                for day in [h.first, h.last] {
                    let iso = day.format("%Y-%m-%d");
                    assert!(
                        section.contains(&format!("<time datetime=\"{iso}\">")),
                        "{lang}: {year} lacks {iso} ({})",
                        h.name.zh
                    );
                }
                assert!(
                    text_of(section).contains(h.name.get(lang)),
                    "{lang}: {}",
                    h.name.zh
                );
            }
            for day in &y.make_up_working_days {
                assert!(
                    section.contains(&format!("<time datetime=\"{}\">", day.format("%Y-%m-%d"))),
                    "{lang}: {year} lacks the make-up day {day}"
                );
            }
            assert_eq!(
                section.contains(&format!("id=\"provisional-{year}\"")) && section.contains(&mark),
                y.provisional,
                "{lang}: the provisional mark of {year}"
            );
        }
    }
}

#[test]
fn the_classification_page_lists_the_rulebooks_categories_and_no_others() {
    let built = build(&sample());
    for lang in Lang::ALL {
        let text = main_text(&page(&built, "policies/classification/", lang));
        for c in &built.rules.categories {
            let item = format!(
                "{}{}{}",
                c.name.get(lang),
                lang.pick("：", ": "),
                c.description.get(lang)
            );
            assert!(text.contains(&item), "{lang}: {item}");
        }
        for gone in [
            "燃气",
            "供暖",
            "城市规划",
            "gas,",
            "heating",
            "city planning",
        ] {
            assert!(!text.contains(gone), "{lang}: `{gone}` is no category");
        }
        for s in &built.rules.severities {
            assert!(text.contains(s.name.get(lang)), "{lang}: {}", s.id);
            for kind in DeadlineKind::ALL {
                if let Some(l) = s.limits.get(kind) {
                    assert!(
                        text.contains(&l.localized(lang)),
                        "{lang}: {} {}",
                        s.id,
                        kind.key()
                    );
                }
            }
        }
    }
}

#[test]
fn opening_hours_everywhere_are_the_rulebooks() {
    let built = build(&sample());
    for lang in Lang::ALL {
        let hours = hours(&built.rules, lang);
        for path in [
            "hotlines/12345/",
            "hotlines/whistleblowing/",
            "hotlines/",
            "channels/phone/",
            "channels/walk-in/",
            "channels/email/",
            "about/",
        ] {
            let html = page(&built, path, lang);
            let text = text_of(&html);
            assert!(text.contains(&hours), "{lang} {path}: {hours}");
            for night in ["20:00", "夜间值班", "night desk", "24 小时", "24 hours"] {
                assert!(!text.contains(night), "{lang} {path}: `{night}`");
            }
        }
    }
}

#[test]
fn records_state_the_retention_the_store_enforces() {
    let built = build(&sample());
    let years = built.rules.retention.years;
    for (lang, kept) in [
        (Lang::Zh, format!("保存 {years}年")),
        (Lang::En, format!("kept for {years} years")),
    ] {
        let text = main_text(&page(&built, "policies/records/", lang));
        assert!(text.contains(&kept), "{lang}: {kept}");
        for gone in [
            "了结为止",
            "until they are settled",
            "于本网站公布",
            "published on this website",
        ] {
            assert!(!text.contains(gone), "{lang}: `{gone}`");
        }
    }
}

#[test]
fn the_follow_up_page_offers_the_surveys_answers() {
    let built = build(&sample());
    for lang in Lang::ALL {
        let html = page(&built, "policies/follow-up/", lang);
        let list: Vec<String> = casework::notices::RATINGS
            .iter()
            .map(|r| format!("<li>{}</li>", casework::notices::rating_label(*r).get(lang)))
            .collect();
        assert!(
            html.contains(&format!("<ol>\n{}\n</ol>", list.join("\n"))),
            "{lang}: the survey's answers, in order"
        );
        follow_up_and_records_state_the_scale(&built, lang);
        let text = main_text(&html);
        assert!(!text.contains("基本满意") && !text.contains("Fairly satisfied"));
        let after = built.rules.follow_up.after.localized(lang);
        assert!(text.contains(&after), "{lang}: {after}");
        assert!(
            text.contains(&built.rules.follow_up.open_for.localized(lang)),
            "{lang}: how long the survey is open"
        );
        let thanks = main_text(&page(&built, "thanks/", lang));
        assert!(thanks.contains(&after), "{lang}: thanks page {after}");
    }
}

/// The follow-up and records pages name the rulebook's satisfied and
/// unsatisfied answers, through the function the survey mail uses.
fn follow_up_and_records_state_the_scale(built: &Built, lang: Lang) {
    let text = main_text(&page(built, "policies/follow-up/", lang));
    let follow_up = &built.rules.follow_up;
    let unsatisfied = casework::notices::answers_named(&follow_up.unsatisfied, true, lang);
    assert!(text.contains(&unsatisfied), "{lang}: {unsatisfied}");
    let satisfied = casework::notices::answers_named(&follow_up.satisfied, false, lang);
    assert!(text.contains(&satisfied), "{lang}: {satisfied}");
    let records = main_text(&page(built, "policies/records/", lang));
    assert!(records.contains(&satisfied), "{lang}: records, {satisfied}");
}

/// The statistics count what the rulebook says; a rulebook that counts
/// "neutral" as satisfied, and lets it reopen nothing, changes both pages.
#[test]
fn a_changed_satisfaction_scale_reaches_the_pages() {
    use casework::lifecycle::Satisfaction;
    let mut sources = sample();
    let text = sources.rules.take().unwrap();
    let changed = text.replace(
        "satisfied = [\"very_satisfied\", \"satisfied\"]",
        "satisfied = [\"very_satisfied\", \"satisfied\", \"neutral\"]",
    );
    assert_ne!(changed, text);
    sources.rules = Some(changed);
    let built = build(&sources);
    assert!(built.rules.follow_up.is_satisfied(Satisfaction::Neutral));
    for lang in Lang::ALL {
        follow_up_and_records_state_the_scale(&built, lang);
        let records = main_text(&page(&built, "policies/records/", lang));
        assert!(
            records.contains(lang.pick("“满意”和“一般”", "\"Satisfied\" and \"Neither\"")),
            "{lang}: {records}"
        );
    }
}

/// The form asks by when the complainant needs the case exactly where the
/// rulebook's severities take it, naming the categories it applies to; a
/// rulebook without `own_deadline` has no such field.
#[test]
fn the_form_asks_for_an_own_deadline_where_the_rulebook_takes_one() {
    let built = build(&sample());
    for lang in Lang::ALL {
        let html = page(&built, "form/", lang);
        assert!(html.contains("name=\"needed_by\" type=\"date\""), "{lang}");
        let help = html
            .split_once("id=\"needed_by-help\">")
            .and_then(|(_, rest)| rest.split_once("</p>"))
            .map(|(help, _)| text_of(help))
            .expect("a help text");
        for c in &built.rules.categories {
            let minor = built
                .rules
                .severity(c.default_severity.as_str())
                .is_some_and(|s| s.own_deadline);
            assert_eq!(help.contains(c.name.get(lang)), minor, "{lang}: {}", c.id);
        }
    }
    let mut sources = sample();
    let text = sources.rules.take().unwrap();
    let changed = text.replace("own_deadline = true\n", "");
    assert_ne!(changed, text);
    sources.rules = Some(changed);
    let built = build(&sources);
    for lang in Lang::ALL {
        assert!(!page(&built, "form/", lang).contains("needed_by"), "{lang}");
    }
}

#[test]
fn report_deadlines_are_the_report_types() {
    let built = build(&sample());
    let report = built.rules.case_type("report").expect("a report type");
    for lang in Lang::ALL {
        for path in ["policies/confidentiality/", "hotlines/whistleblowing/"] {
            let text = main_text(&page(&built, path, lang));
            for kind in [DeadlineKind::Accept, DeadlineKind::Complete] {
                let l = report.limits.get(kind).expect("reports have it");
                assert!(text.contains(&l.localized(lang)), "{lang} {path}: {kind:?}");
            }
            for gone in [
                "受理次日",
                "day after acceptance",
                "初步审查",
                "initial review",
            ] {
                assert!(!text.contains(gone), "{lang} {path}: `{gone}`");
            }
        }
        // Reports go to designated staff where every department has them.
        let designated = built
            .rules
            .departments
            .iter()
            .all(|d| !d.report_inboxes.is_empty());
        let text = main_text(&page(&built, "hotlines/whistleblowing/", lang));
        let says = lang.pick("指定的专门人员", "designated for reports");
        assert_eq!(text.contains(says), designated, "{lang}: {says}");
        let text = main_text(&page(&built, "policies/confidentiality/", lang));
        let max = built.rules.max_extension(report).localized(lang);
        assert!(text.contains(&max), "{lang}: {max}");
    }
}

/// The rules added to the rulebook for issue 12 are published from it:
/// who approves extensions, when the monthly report goes out, and when an
/// unresolved complaint becomes major.
#[test]
fn approver_statistics_day_and_raise_are_the_rulebooks() {
    let built = build(&sample());
    let rules = &built.rules;
    let approver = rules
        .extensions
        .approver
        .as_ref()
        .and_then(|a| rules.department(a.as_str()))
        .expect("the sample names an approver");
    let raise = rules
        .case_type("complaint")
        .and_then(|t| t.raise_unresolved.as_ref())
        .expect("complaints are raised when left unresolved");
    let major = rules.severity(raise.to.as_str()).expect("a severity");
    for lang in Lang::ALL {
        let limits = main_text(&page(&built, "policies/time-limits/", lang));
        assert!(limits.contains(approver.name.get(lang)), "{lang}: approver");
        let classification = main_text(&page(&built, "policies/classification/", lang));
        assert!(classification.contains(approver.name.get(lang)), "{lang}");
        assert!(
            classification.contains(&raise.after.localized(lang))
                && classification.contains(major.name.get(lang)),
            "{lang}: raise_unresolved"
        );
        let records = main_text(&page(&built, "policies/records/", lang));
        let day = match lang {
            Lang::Zh => format!("第{}个工作日", rules.statistics.working_day),
            Lang::En => "first working day".to_string(),
        };
        assert!(records.contains(&day), "{lang}: {day}");
    }
    assert_eq!(rules.statistics.working_day, 1, "the English check above");
}

#[test]
fn no_page_promises_what_nothing_does() {
    let built = build(&sample());
    for (path, bytes) in &built.files {
        if !path.ends_with(".html") {
            continue;
        }
        let text = text_of(&String::from_utf8_lossy(bytes));
        for promise in [
            "经中心批准",
            "centre approves",
            "centre's approval",
            "新的工单，并与原诉求关联",
            "new case linked",
            "统计结果对外公布",
            "which we publish",
            "statistics we publish",
            "公开的统计",
            "夜间值班席",
            "night desk",
        ] {
            assert!(!text.contains(promise), "{path}: `{promise}`");
        }
    }
}

#[test]
fn a_changed_rulebook_reaches_every_page_that_states_the_rule() {
    let mut sources = sample();
    let text = sources.rules.take().unwrap();
    let changed = text
        .replace(
            "complete = \"15 working days\"",
            "complete = \"20 working days\"",
        )
        .replace(
            "complete = \"30 working days\"",
            "complete = \"25 working days\"",
        )
        .replace("opens = \"09:00\"", "opens = \"08:30\"")
        .replace("[retention]\nyears = 3", "[retention]\nyears = 5")
        .replace("after = \"2 working days\"", "after = \"3 working days\"");
    assert_ne!(changed, text);
    sources.rules = Some(changed);
    let built = build(&sources);
    assert_eq!(built.rules.retention.years, 5);
    assert_eq!(clock(built.rules.calendar.opens), "8:30");
    limit_table_shows_every_limit(&built);
    for lang in Lang::ALL {
        let hours = hours(&built.rules, lang);
        assert!(text_of(&page(&built, "hotlines/12345/", lang)).contains(&hours));
        let records = main_text(&page(&built, "policies/records/", lang));
        assert!(records.contains(lang.pick("保存 5年", "kept for 5 years")));
        let report = main_text(&page(&built, "policies/confidentiality/", lang));
        assert!(report.contains(lang.pick("25个工作日", "25 working days")));
        let follow_up = main_text(&page(&built, "policies/follow-up/", lang));
        assert!(follow_up.contains(lang.pick("3个工作日", "3 working days")));
    }
}

#[test]
fn the_sites_own_wording_types_no_rule() {
    let text = std::fs::read_to_string(root().join("site/theme/strings.toml")).unwrap();
    let table: toml::Table = text.parse().unwrap();
    let mut typed = Vec::new();
    for (lang, strings) in &table {
        for (key, value) in strings.as_table().unwrap() {
            let Some(s) = value.as_str() else { continue };
            for t in hotline_site::typed_rules::find(s, &[]) {
                typed.push(format!("{lang}.{key}: `{}`", &s[t.range]));
            }
        }
    }
    assert!(typed.is_empty(), "rules typed in strings.toml: {typed:?}");
}

#[test]
fn a_wrong_reference_in_front_matter_is_located() {
    let mut sources = sample();
    let (_, text) = sources
        .pages
        .iter_mut()
        .find(|(path, _)| path == "hotlines/12345.md")
        .expect("the 12345 page");
    *text = text.replace("{{ calendar.hours }}", "{{ calendar.hour }}");
    let diagnostics = match Site::build(&sources, now(), Target::Discard, |_| {}) {
        Err(hotline_site::BuildError::Load(d)) => d,
        _ => panic!("a wrong reference must stop the build"),
    };
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(
        errors
            .iter()
            .any(|d| d.file == Path::new("content/hotlines/12345.md")
                && d.line == 6
                && d.hint
                    .as_deref()
                    .is_some_and(|h| h.contains("`calendar.hours`"))),
        "{errors:#?}"
    );
}

#[test]
fn the_handling_and_time_limit_pages_state_the_enforced_limits() {
    let built = build(&sample());
    let rules = &built.rules;
    for lang in Lang::ALL {
        let handling = main_text(&page(&built, "policies/handling/", lang));
        for id in ["major", "important"] {
            let s = rules.severity(id).expect("the sample severities");
            let forward = s.limits.forward.expect("a forward limit").localized(lang);
            assert!(
                handling.contains(&format!("{}{forward}", lang.pick("", "within "))),
                "{lang}: {id} forward {forward}"
            );
        }
        for shown in [
            rules.reminders.before.localized(lang),
            rules.follow_up.after.localized(lang),
        ] {
            assert!(handling.contains(&shown), "{lang}: handling {shown}");
        }
        let limits = main_text(&page(&built, "policies/time-limits/", lang));
        let report = rules.case_type("report").expect("a report type");
        for shown in [
            rules.extensions.max.localized(lang),
            rules.max_extension(report).localized(lang),
            hours(rules, lang),
        ] {
            assert!(limits.contains(&shown), "{lang}: time limits {shown}");
        }
        assert!(
            !limits.contains(lang.pick("经中心批准", "centre approves")),
            "{lang}: extensions are the department's"
        );
    }
}

#[test]
fn the_hotline_number_is_the_rulebooks() {
    let built = build(&sample());
    let number = &built.rules.office.hotline;
    for lang in Lang::ALL {
        let html = page(&built, "hotlines/12345/", lang);
        let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
        assert!(
            main.contains(&format!("href=\"tel:{number}\">{number}</a>")),
            "{lang}: the page's own number, not only the footer's"
        );
        let phone = text_of(&page(&built, "channels/phone/", lang));
        assert!(phone.contains(number.as_str()), "{lang}");
    }
}

/// The text of the element after `marker` (an attribute that ends its
/// opening tag) up to `end`.
fn after<'a>(html: &'a str, marker: &str, end: &str) -> &'a str {
    html.split_once(marker)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(inner, _)| inner)
        .unwrap_or_else(|| panic!("no `{marker}` … `{end}`"))
}

/// Every evidence limit the rulebook sets, as the form page must show it:
/// on the file field (for the browser and the script) and in its hint and
/// the page's text (for the visitor).
fn form_shows_the_evidence_limits(built: &Built) {
    let e = built.rules.evidence.as_ref().expect("`[evidence]`");
    let mb = |bytes: u64| {
        assert_eq!(bytes % 1_000_000, 0, "the sample's sizes are whole MB");
        format!("{} MB", bytes / 1_000_000)
    };
    let accept: Vec<String> = e
        .types
        .iter()
        .map(|t| t.content_type().to_string())
        .chain(
            e.types
                .iter()
                .flat_map(|t| t.extensions().iter().map(|x| format!(".{x}"))),
        )
        .collect();
    for lang in Lang::ALL {
        let html = page(built, "form/", lang);
        let form = after(&html, "<form id=\"complaint-form\"", ">");
        assert!(form.contains("enctype=\"multipart/form-data\""), "{lang}");
        assert!(form.contains("method=\"post\""), "{lang}");
        let input = after(&html, "<input id=\"evidence\"", ">");
        for attribute in [
            "name=\"evidence\"".to_string(),
            "type=\"file\"".to_string(),
            " multiple".to_string(),
            format!("accept=\"{}\"", accept.join(",")),
            format!("data-max-files=\"{}\"", e.max_files),
            format!("data-max-file-bytes=\"{}\"", e.max_file_bytes),
            format!("data-max-total-bytes=\"{}\"", e.max_total_bytes),
            format!("data-file-size=\"{}\"", mb(e.max_file_bytes)),
            format!("data-total-size=\"{}\"", mb(e.max_total_bytes)),
            "aria-describedby=\"evidence-help evidence-privacy\"".to_string(),
        ] {
            assert!(input.contains(&attribute), "{lang}: {attribute} in {input}");
        }
        assert!(html.contains("<label for=\"evidence\">"), "{lang}");
        let files = match lang {
            Lang::Zh => format!("{}个文件", e.max_files),
            Lang::En => format!("{} files", e.max_files),
        };
        let pixels = match lang {
            Lang::Zh => format!("{}万像素", e.max_pixels / 10_000),
            Lang::En => format!("{} megapixels", e.max_pixels / 1_000_000),
        };
        let strings = strings(lang);
        let names: Vec<&str> = e
            .types
            .iter()
            .map(|t| {
                strings[&format!("evidence_type_{}", t.id())]
                    .as_str()
                    .unwrap()
            })
            .collect();
        let help = text_of(after(&html, "id=\"evidence-help\">", "</p>"));
        let main = main_text(&html);
        for shown in [&help, &main] {
            for expect in [&files, &mb(e.max_file_bytes), &mb(e.max_total_bytes)] {
                assert!(
                    shown.contains(expect.as_str()),
                    "{lang}: {expect} in {shown}"
                );
            }
            for name in &names {
                assert!(shown.contains(name), "{lang}: {name} in {shown}");
            }
        }
        assert!(help.contains(&pixels), "{lang}: {pixels} in {help}");
        for t in casework::rules::EvidenceType::ALL {
            let name = strings[&format!("evidence_type_{}", t.id())]
                .as_str()
                .unwrap();
            assert_eq!(help.contains(name), e.types.contains(&t), "{lang}: {name}");
            assert_eq!(
                input.contains(t.content_type()),
                e.types.contains(&t),
                "{lang}"
            );
        }
        let privacy = text_of(after(&html, "id=\"evidence-privacy\">", "</p>"));
        assert_eq!(privacy, strings["form_evidence_privacy"].as_str().unwrap());
    }
}

#[test]
fn the_form_publishes_the_rulebooks_evidence_limits() {
    let built = build(&sample());
    form_shows_the_evidence_limits(&built);

    let mut sources = sample();
    let text = sources.rules.take().unwrap();
    let changed = text
        .replace("max_files = 5", "max_files = 3")
        .replace("max_file_size = \"10 MB\"", "max_file_size = \"8 MB\"")
        .replace("max_total_size = \"25 MB\"", "max_total_size = \"16 MB\"")
        .replace(
            "types = [\"jpeg\", \"png\", \"pdf\"]",
            "types = [\"jpeg\", \"pdf\"]",
        )
        .replace("max_megapixels = 40", "max_megapixels = 24");
    assert_ne!(changed, text);
    sources.rules = Some(changed);
    let built = build(&sources);
    let e = built.rules.evidence.as_ref().unwrap();
    assert_eq!(
        (
            e.max_files,
            e.max_file_bytes,
            e.max_total_bytes,
            e.max_pixels
        ),
        (3, 8_000_000, 16_000_000, 24_000_000),
        "the replacements above must all have matched"
    );
    assert_eq!(e.types.len(), 2);
    form_shows_the_evidence_limits(&built);
    for lang in Lang::ALL {
        let html = page(&built, "form/", lang);
        assert!(
            !html.contains("image/png") && !html.contains("10 MB"),
            "{lang}"
        );
        let handling = main_text(&page(&built, "policies/handling/", lang));
        assert!(
            handling.contains(lang.pick("3个文件", "3 files")),
            "{lang}: {handling}"
        );
    }
}

/// Without `[evidence]` the form takes no files: no file field, no
/// multipart encoding; and a page still promising uploads stops the build.
#[test]
fn without_evidence_the_form_takes_no_files() {
    let mut sources = sample();
    let text = sources.rules.take().unwrap();
    let start = text.find("\n[evidence]").expect("an `[evidence]` section");
    // The section is the rulebook's last.
    assert!(!text[start + 1..].contains("\n["), "[evidence] is not last");
    sources.rules = Some(text[..start + 1].to_string());
    let diagnostics = match Site::build(&sources, now(), Target::Discard, |_| {}) {
        Err(hotline_site::BuildError::Load(d)) => d,
        _ => panic!("pages referring to `[evidence]` must stop the build without it"),
    };
    let files: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .inspect(|d| assert!(d.message.contains("no `[evidence]`"), "{d}"))
        .map(|d| d.file.display().to_string())
        .collect();
    assert!(files.iter().any(|f| f == "content/form.md"), "{files:?}");
    assert!(files.iter().any(|f| f == "content/form.en.md"), "{files:?}");

    for (_, page) in sources.pages.iter_mut() {
        *page = page
            .lines()
            .filter(|line| !line.contains("{{ evidence."))
            .map(|line| format!("{line}\n"))
            .collect();
    }
    let built = build(&sources);
    assert!(built.rules.evidence.is_none());
    for lang in Lang::ALL {
        let html = page(&built, "form/", lang);
        assert!(html.contains("<form id=\"complaint-form\""), "{lang}");
        for absent in [
            "type=\"file\"",
            "multipart",
            "data-evidence",
            "evidence-help",
        ] {
            assert!(!html.contains(absent), "{lang}: {absent}");
        }
    }
}
