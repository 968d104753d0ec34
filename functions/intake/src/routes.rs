//! Which route a request is for, and the table of every route, method and
//! status the API can answer with (kept equal to `openapi.yaml` by a test).

use http::Method;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    SubmitCase,
    /// The no-JS status lookup: `GET /cases?tracking=`.
    Lookup,
    /// The tracking number as it appeared in the path (still unchecked).
    CaseStatus(String),
    /// A department's signed action link: the form (GET) or the action (POST).
    /// The tracking number and the action's name are still unchecked.
    Action {
        tracking: String,
        action: String,
        post: bool,
    },
    /// The complainant's signed survey link: the form (GET) or the rating (POST).
    Survey {
        tracking: String,
        post: bool,
    },
    /// A department's signed link to one file of a case's evidence; the
    /// tracking number and the file's number are still unchecked.
    Evidence {
        tracking: String,
        number: String,
    },
    /// The complainant's case page: its form (`GET /case`), the page
    /// (`POST /case`), a message from it (`POST /case/reply`).
    CaseEntry,
    CaseOpen,
    CaseReply,
    /// A department's signed queue page (`GET /queue/{department}`); the
    /// department id as typed, still unchecked.
    Queue(String),
    /// `OPTIONS` on a path; the methods it has.
    Preflight(&'static str),
    /// A known path with a method it does not have; the `Allow` value.
    NotAllowed(&'static str),
    Unknown,
}

impl Route {
    pub fn of(method: &Method, path: &str) -> Route {
        // A trailing slash is forgiven: people type these paths.
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        match (segments.as_slice(), method) {
            (["case"], &Method::GET) => Route::CaseEntry,
            (["case"], &Method::POST) => Route::CaseOpen,
            (["case"], _) => Route::NotAllowed("GET, POST"),
            (["case", "reply"], &Method::POST) => Route::CaseReply,
            (["case", "reply"], _) => Route::NotAllowed("POST"),
            (["queue", department], &Method::GET) if !department.is_empty() => {
                Route::Queue((*department).to_string())
            }
            (["queue", department], _) if !department.is_empty() => Route::NotAllowed("GET"),
            (["cases"], &Method::POST) => Route::SubmitCase,
            (["cases"], &Method::GET) => Route::Lookup,
            (["cases"], &Method::OPTIONS) => Route::Preflight("GET, POST, OPTIONS"),
            (["cases"], _) => Route::NotAllowed("GET, POST, OPTIONS"),
            (["cases", tracking], &Method::GET) if !tracking.is_empty() => {
                Route::CaseStatus(percent_decode_lossy(tracking))
            }
            (["cases", tracking], &Method::OPTIONS) if !tracking.is_empty() => {
                Route::Preflight("GET, OPTIONS")
            }
            (["cases", tracking], _) if !tracking.is_empty() => Route::NotAllowed("GET, OPTIONS"),
            (["cases", tracking, "actions", action], &Method::GET | &Method::POST)
                if !tracking.is_empty() && !action.is_empty() =>
            {
                Route::Action {
                    tracking: percent_decode_lossy(tracking),
                    action: (*action).to_string(),
                    post: *method == Method::POST,
                }
            }
            (["cases", tracking, "actions", action], _)
                if !tracking.is_empty() && !action.is_empty() =>
            {
                Route::NotAllowed("GET, POST")
            }
            (["cases", tracking, "survey"], &Method::GET | &Method::POST)
                if !tracking.is_empty() =>
            {
                Route::Survey {
                    tracking: percent_decode_lossy(tracking),
                    post: *method == Method::POST,
                }
            }
            (["cases", tracking, "survey"], _) if !tracking.is_empty() => {
                Route::NotAllowed("GET, POST")
            }
            (["cases", tracking, "evidence", number], &Method::GET)
                if !tracking.is_empty() && !number.is_empty() =>
            {
                Route::Evidence {
                    tracking: percent_decode_lossy(tracking),
                    number: (*number).to_string(),
                }
            }
            (["cases", tracking, "evidence", number], _)
                if !tracking.is_empty() && !number.is_empty() =>
            {
                Route::NotAllowed("GET")
            }
            _ => Route::Unknown,
        }
    }
}

/// A tracking number typed into a URL may hold escaped spaces or full-width
/// characters; bad escapes are kept as typed and fail the number's check.
fn percent_decode_lossy(text: &str) -> String {
    match crate::body::percent_decode(text, false) {
        Ok(decoded) => decoded,
        Err(_) => text.to_string(),
    }
}

/// Every (method, path, statuses) the router can produce, in the path
/// spelling of `openapi.yaml`.
pub const ROUTES: &[(&str, &str, &[u16])] = &[
    (
        "post",
        "/cases",
        &[200, 201, 400, 403, 405, 413, 415, 422, 429, 500, 503],
    ),
    ("get", "/cases", &[200, 303, 400, 404, 429, 500, 503]),
    ("get", "/case", &[200, 429]),
    (
        "post",
        "/case",
        &[200, 400, 403, 404, 413, 415, 429, 500, 503],
    ),
    (
        "post",
        "/case/reply",
        &[200, 400, 403, 413, 415, 422, 429, 500, 503],
    ),
    ("options", "/cases", &[204, 403]),
    (
        "get",
        "/cases/{tracking}",
        &[200, 400, 404, 405, 429, 500, 503],
    ),
    ("options", "/cases/{tracking}", &[204, 403]),
    (
        "get",
        "/cases/{tracking}/actions/{action}",
        &[200, 400, 403, 404, 405, 409, 410, 429, 500, 503],
    ),
    (
        "post",
        "/cases/{tracking}/actions/{action}",
        &[200, 400, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503],
    ),
    (
        "get",
        "/cases/{tracking}/survey",
        &[200, 400, 403, 404, 405, 409, 410, 429, 500, 503],
    ),
    (
        "post",
        "/cases/{tracking}/survey",
        &[200, 400, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503],
    ),
    (
        "get",
        "/cases/{tracking}/evidence/{number}",
        &[200, 303, 400, 403, 404, 405, 410, 429, 500, 503],
    ),
    (
        "get",
        "/queue/{department}",
        &[200, 400, 403, 404, 405, 410, 429, 500, 503],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::of(&Method::POST, "/cases"), Route::SubmitCase);
        assert_eq!(Route::of(&Method::POST, "/cases/"), Route::SubmitCase);
        assert_eq!(
            Route::of(&Method::OPTIONS, "/cases"),
            Route::Preflight("GET, POST, OPTIONS")
        );
        assert_eq!(
            Route::of(&Method::OPTIONS, "/cases/SL-1"),
            Route::Preflight("GET, OPTIONS")
        );
        assert_eq!(Route::of(&Method::GET, "/cases"), Route::Lookup);
        assert_eq!(
            Route::of(&Method::PUT, "/cases"),
            Route::NotAllowed("GET, POST, OPTIONS")
        );
        assert_eq!(
            Route::of(&Method::POST, "/cases/SL-1/actions/close"),
            Route::Action {
                tracking: "SL-1".into(),
                action: "close".into(),
                post: true
            }
        );
        assert_eq!(
            Route::of(&Method::GET, "/cases/SL-1/survey/"),
            Route::Survey {
                tracking: "SL-1".into(),
                post: false
            }
        );
        assert_eq!(
            Route::of(&Method::DELETE, "/cases/SL-1/survey"),
            Route::NotAllowed("GET, POST")
        );
        assert_eq!(
            Route::of(&Method::GET, "/cases/SL-2611%20K7Q"),
            Route::CaseStatus("SL-2611 K7Q".into())
        );
        assert_eq!(
            Route::of(&Method::DELETE, "/cases/x"),
            Route::NotAllowed("GET, OPTIONS")
        );
        assert_eq!(
            Route::of(&Method::GET, "/cases/SL-1/evidence/2"),
            Route::Evidence {
                tracking: "SL-1".into(),
                number: "2".into()
            }
        );
        assert_eq!(
            Route::of(&Method::POST, "/cases/SL-1/evidence/2"),
            Route::NotAllowed("GET")
        );
        assert_eq!(
            Route::of(&Method::GET, "/queue/housing/"),
            Route::Queue("housing".into())
        );
        assert_eq!(
            Route::of(&Method::POST, "/queue/housing"),
            Route::NotAllowed("GET")
        );
        assert_eq!(Route::of(&Method::GET, "/queue"), Route::Unknown);
        assert_eq!(Route::of(&Method::GET, "/cases/x/y"), Route::Unknown);
        assert_eq!(Route::of(&Method::GET, "/cases/x/actions"), Route::Unknown);
        assert_eq!(Route::of(&Method::GET, "/api/cases"), Route::Unknown);
        assert_eq!(Route::of(&Method::GET, "/"), Route::Unknown);
    }
}

#[cfg(test)]
mod openapi {
    use super::ROUTES;
    use std::collections::BTreeSet;

    /// Every (method, path, status) the router can answer with is
    /// documented, and nothing more.
    #[test]
    fn the_document_matches_the_router() {
        let text = include_str!("../openapi.yaml");
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("openapi.yaml parses");
        let mut documented = BTreeSet::new();
        let paths = doc["paths"].as_mapping().expect("paths");
        for (path, item) in paths {
            let path = path.as_str().expect("path");
            for (method, op) in item.as_mapping().expect("path item") {
                let method = method.as_str().expect("method");
                if method == "parameters" {
                    continue;
                }
                for (status, _) in op["responses"].as_mapping().expect("responses") {
                    let status: u16 = status
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .expect("status");
                    documented.insert((method.to_string(), path.to_string(), status));
                }
            }
        }
        let routed: BTreeSet<(String, String, u16)> = ROUTES
            .iter()
            .flat_map(|(m, p, statuses)| {
                statuses.iter().map(|s| (m.to_string(), p.to_string(), *s))
            })
            .collect();
        assert_eq!(routed, documented);
    }
}
