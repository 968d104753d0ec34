//! Every way a request can fail, and the one place each becomes an HTTP
//! status and a body: JSON for scripts, the form page again for the no-JS
//! form, a small page for people reading a status page.
//!
//! Error bodies have one shape everywhere:
//! `{"errors": [{"field": ..., "code": ..., "message": ...}]}`.

use crate::Pages;
use crate::body::{BodyError, Mode};
use bytes::Bytes;
use casework::submission::{ErrorCode, Field, FieldError, RawSubmission, ValidationErrors};
use casework::tracking::TrackingError;
use casework::wording::{say, say_both};
use casework::{Lang, Localized};
use http::{HeaderValue, Request, Response, StatusCode, header};
use serde::Serialize;

/// Seconds a client should wait after the store was unavailable.
pub const RETRY_AFTER_UNAVAILABLE: u64 = 5;

#[derive(Debug)]
pub enum Failure {
    /// A post from an origin that is neither the site nor the API.
    ForeignOrigin,
    MethodNotAllowed(&'static str),
    NoSuchRoute,
    TooLarge,
    UnsupportedType,
    BadBody(BodyError),
    /// The honeypot was filled: refused without saying why.
    Rejected(ValidationErrors),
    Invalid(ValidationErrors),
    BadTracking(TrackingError),
    CaseNotFound,
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The store could not be reached; nothing was written.
    Unavailable,
    /// A bug or an inconsistent rulebook; nothing was written.
    Internal,
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::ForeignOrigin => StatusCode::FORBIDDEN,
            Failure::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Failure::NoSuchRoute | Failure::CaseNotFound => StatusCode::NOT_FOUND,
            Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::BadBody(_) | Failure::Rejected(_) | Failure::BadTracking(_) => {
                StatusCode::BAD_REQUEST
            }
            Failure::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problems to report, each with a field, a code and a message.
    fn problems(&self) -> Vec<Problem> {
        let whole = |code: &'static str, message: Localized| {
            vec![Problem {
                field: "form",
                code,
                message,
            }]
        };
        match self {
            Failure::Rejected(v) | Failure::Invalid(v) => v
                .errors
                .iter()
                .map(|e| Problem {
                    field: e.field.name(),
                    code: code_name(e.code),
                    message: e.message.clone(),
                })
                .collect(),
            Failure::ForeignOrigin => whole("forbidden_origin", say("api.foreign_origin").clone()),
            Failure::MethodNotAllowed(allow) => whole(
                "method_not_allowed",
                say_both("api.method_not_allowed", |_| {
                    vec![("allow", allow.to_string())]
                }),
            ),
            Failure::NoSuchRoute => whole("not_found", say("api.no_such_route").clone()),
            Failure::TooLarge => whole("too_large", say("api.too_large").clone()),
            Failure::UnsupportedType => whole(
                "unsupported_media_type",
                say("api.unsupported_type").clone(),
            ),
            Failure::BadBody(e) => whole(
                "bad_request",
                match e {
                    BodyError::NotUtf8 => say("api.not_utf8").clone(),
                    other => say_both("api.bad_body", |_| vec![("error", other.to_string())]),
                },
            ),
            Failure::BadTracking(e) => vec![Problem {
                field: "tracking",
                code: tracking_code(e),
                message: Localized::new(e.message(Lang::Zh), e.message(Lang::En)),
            }],
            Failure::CaseNotFound => vec![Problem {
                field: "tracking",
                code: "not_found",
                message: say("api.case_not_found").clone(),
            }],
            Failure::TooManyRequests { .. } => {
                whole("too_many_requests", say("api.too_many_requests").clone())
            }
            Failure::Unavailable => whole("unavailable", say("api.unavailable").clone()),
            Failure::Internal => whole("internal", say("api.internal").clone()),
        }
    }
}

struct Problem {
    field: &'static str,
    code: &'static str,
    message: Localized,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct ErrorsBody<'a> {
    errors: Vec<ProblemBody<'a>>,
}

/// THE mapping from a failure to a response.
pub fn failure(f: Failure, mode: &Mode, lang: Lang, pages: &Pages) -> Response<Bytes> {
    let status = f.status();
    let problems = f.problems();
    let mut builder = Response::builder().status(status);
    match &f {
        Failure::MethodNotAllowed(allow) => builder = builder.header(header::ALLOW, *allow),
        Failure::TooManyRequests { retry_after_secs } => {
            builder = builder.header(header::RETRY_AFTER, retry_after_secs.max(&1).to_string())
        }
        Failure::Unavailable => {
            builder = builder.header(header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string())
        }
        _ => {}
    }
    match mode {
        Mode::Json => {
            let body = ErrorsBody {
                errors: problems
                    .iter()
                    .map(|p| ProblemBody {
                        field: p.field,
                        code: p.code,
                        message: p.message.get(lang),
                    })
                    .collect(),
            };
            json_body(builder, &body)
        }
        Mode::Form(typed) => {
            // The visitor sees the form again with everything they typed;
            // validation errors show the cleaned text, others what arrived.
            let (raw, errors): (RawSubmission, Vec<FieldError>) = match f {
                Failure::Rejected(v) | Failure::Invalid(v) => (*v.cleaned, v.errors),
                _ => (
                    typed.as_deref().cloned().unwrap_or_default(),
                    problems
                        .into_iter()
                        .map(|p| FieldError {
                            field: Field::Form,
                            code: ErrorCode::Rejected,
                            message: p.message,
                        })
                        .collect(),
                ),
            };
            let mut raw = raw;
            raw.website = None;
            html(builder, (pages.form)(lang, &raw, &errors))
        }
        Mode::Html => {
            let messages: Vec<&str> = problems.iter().map(|p| p.message.get(lang)).collect();
            html(
                builder,
                crate::page::message_page(&pages.shells, lang, status, &messages),
            )
        }
    }
}

fn code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Required => "required",
        ErrorCode::TooShort => "too_short",
        ErrorCode::TooLong => "too_long",
        ErrorCode::UnknownCaseType => "unknown_case_type",
        ErrorCode::UnknownCategory => "unknown_category",
        ErrorCode::ContactMissing => "contact_missing",
        ErrorCode::AnonymousNotAllowed => "anonymous_not_allowed",
        ErrorCode::InvalidPhone => "invalid_phone",
        ErrorCode::InvalidEmail => "invalid_email",
        ErrorCode::InvalidDate => "invalid_date",
        ErrorCode::FutureDate => "future_date",
        ErrorCode::TooOld => "too_old",
        ErrorCode::TooSoon => "too_soon",
        ErrorCode::TooLate => "too_late",
        ErrorCode::NotOffered => "not_offered",
        ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
        ErrorCode::FileRefused => "file_refused",
        ErrorCode::TooManyFiles => "too_many_files",
        ErrorCode::FilesTooLarge => "files_too_large",
        ErrorCode::FilesNotTaken => "files_not_taken",
        ErrorCode::ChooseFilesAgain => "choose_files_again",
        ErrorCode::Rejected => "rejected",
    }
}

fn tracking_code(e: &TrackingError) -> &'static str {
    match e {
        TrackingError::Empty => "empty",
        TrackingError::WrongLength { .. } => "wrong_length",
        TrackingError::BadCharacter { .. } => "bad_character",
        TrackingError::BadCheck => "bad_check",
        TrackingError::BadPrefix { .. } => "bad_prefix",
        TrackingError::BadMonth { .. } => "bad_month",
    }
}

/// The visitor's language: `?lang=`, then the submission's own field, then
/// `Accept-Language`; Chinese by default.
pub fn request_lang(req: &Request<Bytes>, submitted: Option<&str>) -> Lang {
    query_param(req, "lang")
        .as_deref()
        .and_then(Lang::from_code)
        .or_else(|| submitted.map(str::trim).and_then(Lang::from_code))
        .or_else(|| {
            let accept = req.headers().get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
            let first = accept.split(',').next()?.split(';').next()?.trim();
            let primary = first.split('-').next()?;
            Lang::from_code(&primary.to_ascii_lowercase())
        })
        .unwrap_or(Lang::Zh)
}

// Kept here for the callers that use `respond::query_param`; it lives with
// the other request decoding so that `status` can use it without `respond`.
pub use crate::body::query_param;

pub fn json_body(builder: http::response::Builder, value: &impl Serialize) -> Response<Bytes> {
    match serde_json::to_vec(value) {
        // `<`, `>` and `&` only occur inside strings, where `\u00XX` means the
        // same: an echoed value then holds no markup, whoever reads it as HTML.
        Ok(bytes) => build(
            builder.header(header::CONTENT_TYPE, "application/json; charset=utf-8"),
            Bytes::from(escape_markup_in_json(bytes)),
        ),
        Err(_) => plain_500(),
    }
}

fn escape_markup_in_json(bytes: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for b in bytes {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            b => out.push(b),
        }
    }
    out
}

pub fn html(builder: http::response::Builder, page: String) -> Response<Bytes> {
    build(
        builder.header(header::CONTENT_TYPE, "text/html; charset=utf-8"),
        Bytes::from(page),
    )
}

/// `303 See Other`, so the browser follows with a GET and a reload does not
/// post the form again.
pub fn see_other(location: &str) -> Response<Bytes> {
    match HeaderValue::from_str(location) {
        Ok(value) => build(
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, value),
            Bytes::new(),
        ),
        Err(_) => plain_500(),
    }
}

/// Finishes a response; a header that cannot be built is a bug, answered
/// with a bare 500 rather than a panic.
pub fn build(builder: http::response::Builder, body: Bytes) -> Response<Bytes> {
    let builder = builder
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-content-type-options", "nosniff");
    builder.body(body).unwrap_or_else(|_| plain_500())
}

fn plain_500() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(b"internal error"));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
