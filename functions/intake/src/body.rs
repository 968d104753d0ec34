//! Reading a submission from a request body: a no-JS form post
//! (`application/x-www-form-urlencoded`), a form with files
//! (`multipart/form-data`, the files as they arrived, unchecked) or JSON.
//! Pure: bytes in, a [`RawSubmission`] or a [`BodyError`] out. Checking the values against
//! the rulebook is `casework::submission::validate`'s job, not this one's.
//!
//! Both forms are strict: a field the form does not have, or the same field
//! twice, is refused rather than guessed at. Empty values become absent, so
//! an untouched form field and a missing one mean the same.

use bytes::Bytes;
use casework::submission::RawSubmission;
use http::Request;

/// How the caller wants its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// JSON in, JSON out.
    Json,
    /// The no-JS form: answers are pages and redirects. Holds what was
    /// typed once it has been read, so a failure can show it again.
    Form(Option<Box<RawSubmission>>),
    /// A person reading a status page.
    Html,
}

/// What the body is, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Form,
    /// A form with files; the boundary is read again by [`parse_multipart`].
    Multipart,
    Json,
    Unsupported,
}

pub fn kind_of(req: &Request<Bytes>) -> Kind {
    let Some(value) = req.headers().get(http::header::CONTENT_TYPE) else {
        return Kind::Unsupported;
    };
    let Ok(value) = value.to_str() else {
        return Kind::Unsupported;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    // Only UTF-8 is read; a body declared in another charset is not guessed at.
    let other_charset = parts.any(|p| {
        let p = p.trim().to_ascii_lowercase();
        p.strip_prefix("charset=")
            .is_some_and(|c| !matches!(c.trim_matches('"'), "utf-8" | "utf8"))
    });
    match essence.as_str() {
        _ if other_charset => Kind::Unsupported,
        "application/x-www-form-urlencoded" => Kind::Form,
        "application/json" => Kind::Json,
        "multipart/form-data" if boundary_of(value).is_some() => Kind::Multipart,
        _ => Kind::Unsupported,
    }
}

/// The answer mode for a submission request, before its body is read.
pub fn mode_of(req: &Request<Bytes>) -> Mode {
    match kind_of(req) {
        Kind::Form => Mode::Form(None),
        // The form's script sends files this way too, and asks for JSON.
        Kind::Multipart if !accepts_json(req) => Mode::Form(None),
        _ => Mode::Json,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("the form data is malformed: {0}")]
    MalformedForm(String),
    #[error("unknown field {0:?}")]
    UnknownField(String),
    #[error("field {0:?} appears more than once")]
    Repeated(String),
    #[error("field {0:?} has a value it cannot have")]
    BadValue(&'static str),
    #[error("the multipart body is malformed: {0}")]
    MalformedMultipart(String),
    #[error("more than {0} files")]
    TooManyParts(usize),
}

/// The boundary of a `multipart/form-data` Content-Type.
fn boundary_of(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type).ok()
}

fn accepts_json(req: &Request<Bytes>) -> bool {
    req.headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The name of the form's file field.
pub const EVIDENCE_FIELD: &str = "evidence";

/// Reads a form with files: the text fields as [`parse_form`] reads them,
/// and every non-empty file of the `evidence` field, unchecked (at most
/// `max_files`; more are refused before they are read whole, as a form
/// never sends them). An empty file chooser's part is skipped.
pub async fn parse_multipart(
    req: &Request<Bytes>,
    max_files: usize,
) -> Result<(RawSubmission, Vec<office::evidence::Upload>), BodyError> {
    let (pairs, uploads) = parse_multipart_parts(req, max_files).await?;
    Ok((raw_from_pairs(pairs)?, uploads))
}

/// A form with files as [`parse_multipart`] reads it, its text fields as
/// (name, value) pairs checked against `known` (each name at most once),
/// for the forms that are not a submission (the case page's).
pub async fn parse_multipart_pairs(
    req: &Request<Bytes>,
    max_files: usize,
    known: &[&str],
) -> Result<(Vec<(String, String)>, Vec<office::evidence::Upload>), BodyError> {
    let (pairs, uploads) = parse_multipart_parts(req, max_files).await?;
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &pairs {
        if !known.contains(&name.as_str()) {
            return Err(BodyError::UnknownField(name.clone()));
        }
        if seen.contains(&name.as_str()) {
            return Err(BodyError::Repeated(name.clone()));
        }
        seen.push(name);
    }
    Ok((pairs, uploads))
}

async fn parse_multipart_parts(
    req: &Request<Bytes>,
    max_files: usize,
) -> Result<(Vec<(String, String)>, Vec<office::evidence::Upload>), BodyError> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = boundary_of(content_type)
        .ok_or_else(|| BodyError::MalformedMultipart("no boundary".into()))?;
    let body = req.body().clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| BodyError::MalformedMultipart(e.to_string());
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut uploads = Vec::new();
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == EVIDENCE_FIELD {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(bad)?;
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if uploads.len() >= max_files {
                return Err(BodyError::TooManyParts(max_files));
            }
            uploads.push(office::evidence::Upload {
                name: shown_file_name(&file_name),
                bytes: bytes.to_vec(),
            });
        } else {
            if field.file_name().is_some() {
                return Err(BodyError::UnknownField(name));
            }
            let text = field.text().await.map_err(bad)?;
            pairs.push((name, text));
        }
    }
    // A body with no part at all is not a form, whatever it says it is.
    if pairs.is_empty() && uploads.is_empty() && !req.body().is_empty() {
        return Err(BodyError::MalformedMultipart("no parts".into()));
    }
    Ok((pairs, uploads))
}

/// A file's name as the visitor's device gave it, cut to what an error
/// message needs: no folders, no control characters, at most 80 characters.
fn shown_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // Direction overrides could make "gpj.exe" read as "exe.jpg".
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    base.chars().filter(|c| !hidden(*c)).take(80).collect()
}

/// Reads a form post.
pub fn parse_form(body: &[u8]) -> Result<RawSubmission, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut pairs = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        pairs.push((percent_decode(name, true)?, percent_decode(value, true)?));
    }
    raw_from_pairs(pairs)
}

/// The form's fields, decoded, into a submission: strict, as the module
/// says.
fn raw_from_pairs(pairs: Vec<(String, String)>) -> Result<RawSubmission, BodyError> {
    let mut raw = RawSubmission::default();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name) {
            return Err(BodyError::Repeated(name));
        }
        seen.push(name.clone());
        let value = Some(value).filter(|v| !v.is_empty());
        let slot = match name.as_str() {
            "anonymous" => {
                raw.anonymous = match value.as_deref() {
                    None => None,
                    // A ticked checkbox sends `on`; scripts may send the others.
                    Some("on" | "true" | "1" | "yes") => Some(true),
                    Some("off" | "false" | "0" | "no") => Some(false),
                    Some(_) => return Err(BodyError::BadValue("anonymous")),
                };
                continue;
            }
            "case_type" => &mut raw.case_type,
            "category" => &mut raw.category,
            "name" => &mut raw.name,
            "phone" => &mut raw.phone,
            "email" => &mut raw.email,
            "subject" => &mut raw.subject,
            "location" => &mut raw.location,
            "occurred_on" => &mut raw.occurred_on,
            "needed_by" => &mut raw.needed_by,
            "description" => &mut raw.description,
            "desired_outcome" => &mut raw.desired_outcome,
            "language" => &mut raw.language,
            "idempotency_key" => &mut raw.idempotency_key,
            "website" => &mut raw.website,
            _ => return Err(BodyError::UnknownField(name)),
        };
        *slot = value;
    }
    Ok(raw)
}

/// Reads form data as (name, value) pairs, refusing a name given twice and
/// any name not in `known`; empty values are kept as empty strings.
pub fn parse_pairs(body: &[u8], known: &[&str]) -> Result<Vec<(String, String)>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name, true)?;
        let value = percent_decode(value, true)?;
        if !known.contains(&name.as_str()) {
            return Err(BodyError::UnknownField(name));
        }
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(BodyError::Repeated(name));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Reads a JSON submission; unknown fields are refused by the type itself.
pub fn parse_json(body: &[u8]) -> Result<RawSubmission, BodyError> {
    std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
    let mut raw: RawSubmission =
        serde_json::from_slice(body).map_err(|e| BodyError::Json(e.to_string()))?;
    for slot in [
        &mut raw.case_type,
        &mut raw.category,
        &mut raw.name,
        &mut raw.phone,
        &mut raw.email,
        &mut raw.subject,
        &mut raw.location,
        &mut raw.occurred_on,
        &mut raw.needed_by,
        &mut raw.description,
        &mut raw.desired_outcome,
        &mut raw.language,
        &mut raw.idempotency_key,
        &mut raw.website,
    ] {
        if slot.as_deref() == Some("") {
            *slot = None;
        }
    }
    Ok(raw)
}

/// One query parameter, decoded; `None` when absent or not decodable.
pub fn query_param(req: &Request<Bytes>, name: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v, true).ok()).flatten()
    })
}

/// Decodes `%XX` escapes (and `+` as a space in form data); the bytes must
/// make UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, BodyError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        BodyError::MalformedForm("a % not followed by two hex digits".into())
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| BodyError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_and_decoded() {
        let raw = parse_form(
            b"case_type=complaint&name=%E5%BC%A0%E4%B8%89&description=a+b%26c%3Dd&anonymous=on&phone=&email",
        )
        .expect("parses");
        assert_eq!(raw.case_type.as_deref(), Some("complaint"));
        assert_eq!(raw.name.as_deref(), Some("张三"));
        assert_eq!(raw.description.as_deref(), Some("a b&c=d"));
        assert_eq!(raw.anonymous, Some(true));
        assert_eq!(raw.phone, None);
        assert_eq!(raw.email, None);
        assert_eq!(parse_form(b"anonymous=").map(|r| r.anonymous), Ok(None));
        assert_eq!(
            parse_form(b"anonymous=false").map(|r| r.anonymous),
            Ok(Some(false))
        );
    }

    #[test]
    fn bad_forms_are_refused() {
        assert_eq!(parse_form(b"name=%FF"), Err(BodyError::NotUtf8));
        assert_eq!(parse_form(b"name=\xff"), Err(BodyError::NotUtf8));
        assert!(matches!(
            parse_form(b"name=%4"),
            Err(BodyError::MalformedForm(_))
        ));
        assert_eq!(
            parse_form(b"fax=1"),
            Err(BodyError::UnknownField("fax".into()))
        );
        assert_eq!(
            parse_form(b"name=a&name=b"),
            Err(BodyError::Repeated("name".into()))
        );
        assert_eq!(
            parse_form(b"anonymous=maybe"),
            Err(BodyError::BadValue("anonymous"))
        );
    }

    #[test]
    fn json_is_strict_and_empty_strings_are_absent() {
        let raw = parse_json(br#"{"name":"","description":"x","anonymous":true}"#).expect("parses");
        assert_eq!(raw.name, None);
        assert_eq!(raw.description.as_deref(), Some("x"));
        assert!(
            matches!(parse_json(br#"{"fax":"1"}"#), Err(BodyError::Json(m)) if m.contains("fax"))
        );
        assert!(matches!(parse_json(b"{"), Err(BodyError::Json(_))));
        assert_eq!(parse_json(b"\"\xff\""), Err(BodyError::NotUtf8));
    }

    #[test]
    fn content_types() {
        let req = |ct: &str| {
            Request::builder()
                .header("content-type", ct)
                .body(Bytes::new())
                .expect("request")
        };
        assert_eq!(kind_of(&req("application/json")), Kind::Json);
        assert_eq!(kind_of(&req("Application/JSON; charset=utf-8")), Kind::Json);
        assert_eq!(
            kind_of(&req("application/x-www-form-urlencoded")),
            Kind::Form
        );
        assert_eq!(
            kind_of(&req("application/json; charset=gbk")),
            Kind::Unsupported
        );
        assert_eq!(kind_of(&req("text/plain")), Kind::Unsupported);
        assert_eq!(
            kind_of(&req("multipart/form-data; boundary=x")),
            Kind::Multipart
        );
        // Without a boundary it cannot be read.
        assert_eq!(kind_of(&req("multipart/form-data")), Kind::Unsupported);
    }
}
