//! The bad-input corpus (`tests/bad-input/`, described by its
//! `manifest.yaml`) through the whole API: every entry gets the answer its
//! manifest names, nothing panics, nothing is stored or mailed for a refusal,
//! and whatever is shown back — the form page, JSON errors, the status page,
//! the mails — is escaped, with no line break in any mail header.

mod support;

use support::*;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    #[serde(rename = "type")]
    content_type: Option<String>,
    #[serde(default)]
    route: RouteKind,
    expect: Expect,
    status: Option<u16>,
    expand: Option<Expand>,
    why: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RouteKind {
    #[default]
    Submit,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Expect {
    #[serde(rename = "4xx")]
    Refused,
    #[serde(rename = "201")]
    Created,
    /// A form case is filed: the receipt page (200), not a redirect, so
    /// the receipt code sits in no URL.
    #[serde(rename = "200")]
    Filed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expand {
    marker: String,
    unit: String,
    count: usize,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input")
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus_dir().join("manifest.yaml")).expect("manifest");
    serde_yaml_ng::from_str(&text).expect("the manifest is a list of entries")
}

/// The body an entry sends, with its marker expanded.
fn body_of(entry: &Entry) -> Vec<u8> {
    let bytes = std::fs::read(corpus_dir().join(&entry.file)).expect("corpus file");
    let Some(expand) = &entry.expand else {
        return bytes;
    };
    let marker = expand.marker.as_bytes();
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap_or_else(|| panic!("{}: marker {:?} not in the file", entry.file, expand.marker));
    let mut out = bytes[..at].to_vec();
    out.extend(expand.unit.repeat(expand.count).into_bytes());
    out.extend(&bytes[at + marker.len()..]);
    out
}

// ------------------------------------------------------------- the checks

/// Tags and attributes the API's own pages and the mails use, or could
/// sensibly grow; anything else in a page can only have come from unescaped
/// input. Event handlers, `src`, `srcdoc` and `formaction` are never here.
const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "nav", "section",
    "h1", "h2", "h3", "h4", "div", "ul", "ol", "li", "a", "form", "fieldset", "legend", "label",
    "input", "select", "option", "p", "textarea", "button", "output", "dl", "dt", "dd", "table",
    "caption", "thead", "tbody", "tr", "th", "td", "strong", "em", "small", "span", "time", "code",
    "br", "hr",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "dir",
    "charset",
    "name",
    "content",
    "class",
    "role",
    "tabindex",
    "id",
    "href",
    "method",
    "action",
    "accept-charset",
    "for",
    "value",
    "type",
    "rows",
    "checked",
    "selected",
    "autocomplete",
    "autocapitalize",
    "spellcheck",
    "inputmode",
    "required",
    "placeholder",
    "pattern",
    "maxlength",
    "minlength",
    "hidden",
    "title",
    "scope",
    "colspan",
    "rowspan",
    "datetime",
    "style",
];

/// What is wrong with a page, read as a browser would: every `<` must open
/// a known tag whose attributes are all known and double-quoted; a `>` or
/// a quote outside a tag is a sign of unescaped text.
fn html_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if html.to_ascii_lowercase().contains("<script") {
        problems.push("a raw <script".to_string());
    }
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let rest = &html[i..];
                if rest.to_ascii_lowercase().starts_with("<!doctype html>") {
                    i += "<!doctype html>".len();
                    continue;
                }
                let mut j = i + 1;
                if bytes.get(j) == Some(&b'/') {
                    j += 1;
                }
                let name_start = j;
                while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                let name = &html[name_start..j];
                if !TAGS.contains(&name) {
                    problems.push(format!("unexpected markup {:?}", snippet(rest)));
                }
                // Attributes, up to the end of the tag.
                loop {
                    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    match bytes.get(j) {
                        None => {
                            problems.push(format!("unclosed tag {:?}", snippet(rest)));
                            break;
                        }
                        Some(b'>') => {
                            j += 1;
                            break;
                        }
                        Some(_) => {}
                    }
                    let attr_start = j;
                    while j < bytes.len()
                        && !bytes[j].is_ascii_whitespace()
                        && !matches!(bytes[j], b'=' | b'>')
                    {
                        j += 1;
                    }
                    let attr = &html[attr_start..j];
                    if !(ATTRIBUTES.contains(&attr)
                        || attr.starts_with("aria-")
                        || attr.starts_with("data-"))
                    {
                        problems.push(format!(
                            "unexpected attribute {attr:?} in {:?}",
                            snippet(rest)
                        ));
                    }
                    if bytes.get(j) == Some(&b'=') {
                        j += 1;
                        if bytes.get(j) != Some(&b'"') {
                            problems.push(format!("unquoted value in {:?}", snippet(rest)));
                            continue;
                        }
                        j += 1;
                        let value_start = j;
                        while j < bytes.len() && bytes[j] != b'"' {
                            if bytes[j] == b'<' {
                                problems.push(format!("a < in a value in {:?}", snippet(rest)));
                            }
                            j += 1;
                        }
                        let value = html[value_start..j.min(bytes.len())].to_ascii_lowercase();
                        if value.trim_start().starts_with("javascript:") {
                            problems.push(format!("a script URL in {:?}", snippet(rest)));
                        }
                        j += 1;
                    }
                }
                // The style sheet is the page's own and holds no markup.
                if name == "style" && !rest.starts_with("</") {
                    j = html[i..].find("</style>").map_or(bytes.len(), |at| i + at);
                }
                i = j;
            }
            b'>' => {
                problems.push(format!("a raw > in text near {:?}", snippet(&html[i..])));
                i += 1;
            }
            _ => i += 1,
        }
    }
    problems
}

fn snippet(text: &str) -> String {
    text.chars().take(60).collect()
}

/// A mail header must be one line of printable text.
fn header_problems(what: &str, value: &str) -> Vec<String> {
    if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        vec![format!("{what} holds a line break or control: {value:?}")]
    } else {
        Vec::new()
    }
}

/// A JSON body: parseable, and with no markup in it even for a client that
/// mistakes it for HTML.
fn json_problems(r: &Response<Bytes>) -> Vec<String> {
    let mut problems = Vec::new();
    if !header(r, "content-type").starts_with("application/json") {
        problems.push(format!("not JSON: {:?}", header(r, "content-type")));
        return problems;
    }
    if serde_json::from_slice::<serde_json::Value>(r.body()).is_err() {
        problems.push("the JSON body does not parse".into());
    }
    if r.body().iter().any(|b| matches!(b, b'<' | b'>')) {
        problems.push(format!("markup in a JSON body: {}", text(r)));
    }
    problems
}

/// A refusal must say what is wrong, in the form the caller reads.
fn refusal_problems(r: &Response<Bytes>) -> Vec<String> {
    let content_type = header(r, "content-type");
    if content_type.starts_with("text/html") {
        let mut problems = html_problems(&text(r));
        if !text(r).contains("<p") && !text(r).contains("role=\"alert\"") {
            problems.push("the page shows no message".into());
        }
        return problems;
    }
    let mut problems = json_problems(r);
    if problems.is_empty() {
        let body = json(r);
        let clear = body["errors"].as_array().is_some_and(|errors| {
            !errors.is_empty()
                && errors.iter().all(|e| {
                    e["field"].is_string()
                        && e["code"].is_string()
                        && e["message"].as_str().is_some_and(|m| !m.trim().is_empty())
                })
        });
        if !clear {
            problems.push(format!("no clear error list: {}", text(r)));
        }
    }
    problems
}

fn status_problems(entry: &Entry, r: &Response<Bytes>) -> Vec<String> {
    let got = r.status();
    let ok = match entry.expect {
        Expect::Refused => got.is_client_error(),
        Expect::Created => got == StatusCode::CREATED,
        Expect::Filed => got == StatusCode::OK,
    } && entry.status.is_none_or(|s| s == got.as_u16());
    if ok {
        Vec::new()
    } else {
        vec![format!(
            "expected {:?}{}, got {got}: {}",
            entry.expect,
            entry.status.map(|s| format!(" ({s})")).unwrap_or_default(),
            snippet(&String::from_utf8_lossy(r.body()))
        )]
    }
}

/// Every byte but letters, digits and `-` escaped, so any text makes a path.
fn path_escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn request(entry: &Entry, body: Vec<u8>) -> Request<Bytes> {
    let mut builder = Request::builder().method("POST").uri("/cases");
    if let Some(ct) = entry.content_type.as_deref().filter(|ct| !ct.is_empty()) {
        builder = builder.header("content-type", ct);
    }
    builder.body(Bytes::from(body)).expect("request")
}

/// Runs one entry on a fresh API; returns what is wrong with the answers.
async fn run(entry: Entry, body: Vec<u8>) -> Vec<String> {
    let api = api();
    let mut problems = Vec::new();
    match entry.route {
        RouteKind::Status => {
            let path = format!("/cases/{}", path_escape(&body));
            for uri in [format!("{path}?format=html"), path.clone()] {
                let r = call(&api, get(&uri)).await;
                problems.extend(status_problems(&entry, &r));
                problems.extend(refusal_problems(&r));
            }
        }
        RouteKind::Submit => {
            let r = call(&api, request(&entry, body)).await;
            problems.extend(status_problems(&entry, &r));
            if r.status().is_client_error() {
                problems.extend(refusal_problems(&r));
            } else if r.status() == StatusCode::CREATED {
                problems.extend(json_problems(&r));
            } else if r.status() == StatusCode::OK {
                // The receipt page: the number and the code, and no script.
                let page = String::from_utf8_lossy(r.body()).into_owned();
                if !page.contains("data-tracking-number") || !page.contains("data-receipt-code") {
                    problems.push("the receipt page lacks the number or the code".into());
                }
                if page.contains("<script") {
                    problems.push("the receipt page holds a script".into());
                }
            }
        }
    }

    let cases = api.store().all_cases().await;
    let sent = api.mailer().sent();
    if entry.expect == Expect::Refused || entry.route == RouteKind::Status {
        if !cases.is_empty() || !api.store().notifications().is_empty() || !sent.is_empty() {
            problems.push(format!(
                "a refusal left {} case(s) and {} mail(s) behind",
                cases.len(),
                sent.len()
            ));
        }
        return problems;
    }

    // Accepted: one case, stored clean, shown and mailed escaped.
    if cases.len() != 1 {
        problems.push(format!("{} cases stored, not 1", cases.len()));
    }
    for record in &cases {
        let s = &record.submission;
        for (what, value) in [
            ("name", s.contact.name.as_deref()),
            ("subject", s.subject.as_deref()),
        ] {
            problems.extend(header_problems(
                &format!("the stored {what}"),
                value.unwrap_or(""),
            ));
        }
        for (what, value) in [
            ("description", Some(s.description.as_str())),
            ("location", s.location.as_deref()),
            ("desired outcome", s.desired_outcome.as_deref()),
        ] {
            let value = value.unwrap_or("");
            if value.chars().any(|c| {
                (c.is_control() && c != '\n')
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            }) {
                problems.push(format!("the stored {what} holds controls: {value:?}"));
            }
        }
        let tracking = record.case.tracking.as_str();
        let page = call(&api, get(&format!("/cases/{tracking}?format=html"))).await;
        if page.status() != StatusCode::OK {
            problems.push(format!("the status page answered {}", page.status()));
        }
        problems.extend(html_problems(&text(&page)));
        let status = call(&api, get(&format!("/cases/{tracking}"))).await;
        problems.extend(json_problems(&status));
    }
    if sent.is_empty() {
        problems.push("no mail sent for a new case".into());
    }
    for (id, message) in &sent {
        problems.extend(header_problems(&format!("{id}: subject"), &message.subject));
        for to in &message.to {
            problems.extend(header_problems(&format!("{id}: to"), to));
        }
        problems.extend(
            html_problems(&message.html)
                .into_iter()
                .map(|p| format!("{id}: mail HTML: {p}")),
        );
    }
    problems
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_a_clear_answer_and_nothing_leaks() {
    let entries = manifest();
    assert!(
        entries.len() >= 50,
        "the corpus is {} entries",
        entries.len()
    );
    let mut failures = Vec::new();
    for entry in entries {
        let body = body_of(&entry);
        let name = entry.file.clone();
        let why = entry.why.clone();
        // A task of its own, so a panic is reported against its entry.
        match tokio::spawn(run(entry, body)).await {
            Ok(problems) => {
                failures.extend(problems.into_iter().map(|p| format!("{name} ({why}): {p}")))
            }
            Err(e) => failures.push(format!("{name} ({why}): the API panicked: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_manifest_lists_every_file_once() {
    let entries = manifest();
    let mut listed: Vec<&str> = entries.iter().map(|e| e.file.as_str()).collect();
    listed.sort_unstable();
    let before = listed.len();
    listed.dedup();
    assert_eq!(before, listed.len(), "a file is listed twice");
    let mut files: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != "manifest.yaml")
        .collect();
    files.sort_unstable();
    assert_eq!(listed, files);
    for e in &entries {
        assert!(!e.why.trim().is_empty(), "{}: say why", e.file);
        if e.route == RouteKind::Status {
            assert_eq!(e.expect, Expect::Refused, "{}", e.file);
        }
    }
    // The sizes the corpus promises.
    let size = |file: &str| {
        let e = entries.iter().find(|e| e.file == file).expect(file);
        body_of(e).len()
    };
    assert!(size("one-megabyte.json") >= 1 << 20);
    assert!(size("one-megabyte.form") >= 1 << 20);
    assert_eq!(size("deep-nesting-100k.json"), 100_000);
}

#[tokio::test]
async fn the_markup_check_catches_what_it_should() {
    // A page the API escaped passes...
    let api = api();
    let r = call(
        &api,
        get("/cases/%3Cscript%3E%22%20onfocus%3D%22x?format=html"),
    )
    .await;
    assert_eq!(html_problems(&text(&r)), Vec::<String>::new());
    assert!(refusal_problems(&r).is_empty());
    // ...and markup that was not escaped does not.
    for bad in [
        "<p>x<script>alert(1)</script></p>",
        "<p>x<img src=x onerror=alert(1)></p>",
        "<input value=\"\" autofocus onfocus=\"alert(1)\">",
        "<input value=x>",
        "<p>a > b</p>",
        "<p><svg onload=alert(1)></p>",
        "<a href=\"javascript:alert(1)\">x</a>",
    ] {
        assert!(!html_problems(bad).is_empty(), "{bad} passed");
    }
    assert!(!header_problems("subject", "a\r\nBcc: x@example.org").is_empty());
    assert!(!header_problems("subject", "a\u{2028}b").is_empty());
}
