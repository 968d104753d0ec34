//! The public HTTP API of the complaint office: submissions, status, and
//! the pages behind the signed links in mails.
//!
//! [`Api::handle`] takes a plain `http::Request` and returns a plain
//! `http::Response`, so the Lambda binary (`src/main.rs`) and `hotline
//! serve` mount the very same code. Paths are relative to the API root:
//! `POST /cases`, `GET /cases?tracking=` (the no-JS lookup),
//! `GET /cases/{tracking}`, `GET|POST /cases/{tracking}/actions/{action}`
//! (a department's signed links), `GET|POST /cases/{tracking}/survey` (the
//! complainant's), `GET /queue/{department}` (a department's signed list of
//! open cases), `OPTIONS` on the first two. A caller that serves the API
//! under a prefix (such as `/api`) strips it before calling.
//!
//! What happens where:
//! - [`body`]: reading a submission from a form post or JSON (pure);
//! - [`submit`]: the submission flow: read, file (`office::filing`), answer;
//! - `background`: mail sent by a worker instead of inside the request,
//!   for a long-running server (both by `office::delivery`);
//! - [`status`]: the public view of a case, which never holds identity (pure),
//!   and the no-JS lookup;
//! - [`actions`]: the signed links' forms and pages (the change itself is
//!   `office::acting`);
//! - [`shell`]: the site's look, which the API's pages are put into;
//! - [`limit`]: the per-client rate-limit key and window (pure);
//! - [`headers`]: the one set of security headers on every answer;
//! - [`page`]: the HTML pages (the no-JS form again, status, actions, survey);
//! - [`respond`]: every failure and the one place it becomes an HTTP status;
//! - [`uploads`]: the evidence bucket in production (upload grants in the
//!   answer to a filed case, downloads sent on to a presigned GET);
//! - [`routes`]: the table of routes and statuses, checked against
//!   `openapi.yaml` by a test.
//!
//! This crate is HTTP only and decides nothing about cases: the office's
//! operations (filing, acting, delivering) are the `office` crate's, the
//! rules `casework`'s, the storage behind `casestore::Store`, the sending
//! behind `mail::Mailer`.

pub mod actions;
mod background;
pub mod body;
mod case_page;
mod evidence;
pub mod headers;
pub mod limit;
pub mod page;
mod queue;
pub mod respond;
pub mod routes;
pub mod shell;
pub mod status;
pub mod submit;
pub mod uploads;

#[cfg(test)]
mod case_page_tests;
#[cfg(test)]
mod evidence_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod uploads_tests;
// Lets the test support shared with `tests/` name this crate as they do.
#[cfg(test)]
extern crate self as intake;

use body::Mode;
use bytes::Bytes;
use casestore::Store;
use casework::action_token::ActionSecret;
use casework::submission::{FieldError, RawSubmission};
use casework::{Lang, Rulebook};
use chrono::{DateTime, Utc};
use http::{Request, Response};
use mail::Mailer;
use respond::Failure;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use background::run_mail_worker;
pub use page::default_form_page;
pub use shell::PageShells;

/// The largest request body accepted; a description of 5000 Chinese
/// characters, percent-encoded, fits with room to spare.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Re-renders the no-JS form with what the visitor typed and what is wrong.
pub type FormRenderer = Arc<dyn Fn(Lang, &RawSubmission, &[FieldError]) -> String + Send + Sync>;

/// How the API writes its pages: the form again, and the site's shells
/// every other page is put into.
#[derive(Clone)]
pub struct Pages {
    pub form: FormRenderer,
    pub shells: PageShells,
}

/// How many requests one client may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_window: u32,
    pub window: Duration,
}

/// Everything the API needs to know about the site it serves.
#[derive(Clone)]
pub struct ApiConfig {
    pub rules: Arc<Rulebook>,
    /// The site's origin, e.g. `https://12345.example.gov.cn`: the only
    /// origin that gets CORS headers and may post across origins.
    pub site_origin: String,
    /// Where the no-JS form goes after a submission, e.g. `/thanks/`.
    pub thanks_url: String,
    /// The site's human status page, e.g. `/status/`.
    pub status_page_url: String,
    /// The API's public root, e.g. `https://12345.example.gov.cn/api`:
    /// status links are built on it, and its origin may always post.
    pub public_base_url: String,
    /// Submissions and lookups, per client.
    pub rate_limit: RateLimit,
    /// The signed links' pages (actions and survey), per client, counted
    /// apart from `rate_limit` (`limit::Scope`).
    pub link_rate_limit: RateLimit,
    /// The IPv6 prefix length one client is counted by (`limit::client_network`;
    /// [`limit::DEFAULT_IPV6_PREFIX`] unless configured).
    pub ipv6_prefix: u8,
    /// Keys the rate-limit hash, so stored counters never hold an IP.
    pub ip_hash_secret: String,
    /// Signs and checks the action and survey links in mails
    /// (`casework::action_token`).
    pub action_secret: ActionSecret,
    /// The site's look for the API's own pages.
    pub shells: PageShells,
}

/// The API over a store and a mailer.
pub struct Api<S: Store, M: Mailer> {
    /// Swapped whole by [`Api::reconfigure`] (`hotline serve` after a
    /// rebuild); each use takes the one in place at that moment.
    config: RwLock<Arc<ApiConfig>>,
    store: S,
    mailer: M,
    pages: RwLock<Arc<Pages>>,
    /// The form renderer given to [`Api::new`], or `None` for the default one
    /// in the configured shells.
    custom_form: Option<FormRenderer>,
    /// Set by [`Api::with_background_delivery`]; without it mail is sent
    /// inside the request.
    background: Option<background::Queue>,
    /// Where checked evidence is kept (`hotline serve`: a folder beside the
    /// store); without it, files sent with a form are refused with a
    /// message and nothing typed is lost.
    evidence_files: Option<Arc<dyn casestore::evidence::EvidenceFiles>>,
    /// The evidence bucket (production): set by
    /// [`Api::with_evidence_bucket`].
    evidence_bucket: Option<Arc<uploads::EvidenceBucket>>,
}

impl<S: Store, M: Mailer> Api<S, M> {
    pub fn new(config: ApiConfig, store: S, mailer: M, form: FormRenderer) -> Self {
        Api::build(config, store, mailer, Some(form))
    }

    /// An API that re-renders the form with [`page::form_page`] in the
    /// configured shells.
    pub fn with_default_form(config: ApiConfig, store: S, mailer: M) -> Self {
        Api::build(config, store, mailer, None)
    }

    fn build(config: ApiConfig, store: S, mailer: M, custom_form: Option<FormRenderer>) -> Self {
        let pages = pages_for(&config, custom_form.as_ref());
        Api {
            config: RwLock::new(Arc::new(config)),
            store,
            mailer,
            pages: RwLock::new(Arc::new(pages)),
            custom_form,
            background: None,
            evidence_files: None,
            evidence_bucket: None,
        }
    }

    /// Takes the files sent with a form (checked, then kept in `files`).
    pub fn with_evidence_files(
        mut self,
        files: Arc<dyn casestore::evidence::EvidenceFiles>,
    ) -> Self {
        self.evidence_files = Some(files);
        self
    }

    /// The largest request body read: the form's own limit, or, where the
    /// rulebook takes files and there is somewhere to keep them, room for
    /// its largest set of files too.
    pub fn max_body_bytes(&self) -> usize {
        let files = match (&self.evidence_files, &self.config().rules.evidence) {
            (Some(_), Some(e)) => usize::try_from(e.max_total_bytes).unwrap_or(usize::MAX),
            _ => 0,
        };
        MAX_BODY_BYTES.saturating_add(files)
    }

    /// Replaces the configuration (say, a rulebook and shells from a new
    /// build); requests already under way finish with the old one.
    pub fn reconfigure(&self, config: ApiConfig) {
        let pages = Arc::new(pages_for(&config, self.custom_form.as_ref()));
        // A poisoned lock only means a panic elsewhere mid-swap of an Arc:
        // the value inside is whole either way.
        *self.pages.write().unwrap_or_else(|e| e.into_inner()) = pages;
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
    }

    /// The configuration in place now.
    pub fn config(&self) -> Arc<ApiConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn pages(&self) -> Arc<Pages> {
        Arc::clone(&self.pages.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// Answers one request. `client_ip` feeds the rate limit (none: no
    /// limit, e.g. on localhost); `now` is the request's time. Never panics
    /// and never fails: every problem is an HTTP answer.
    pub async fn handle(
        &self,
        req: Request<Bytes>,
        client_ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Response<Bytes> {
        let origin = req
            .headers()
            .get(http::header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("\u{0}").to_string());
        let lang = respond::request_lang(&req, None);
        // HEAD is GET without the body (RFC 9110): same checks, same headers.
        let head = req.method() == http::Method::HEAD;
        let get = http::Method::GET;
        let method = if head { &get } else { req.method() };
        let route = routes::Route::of(method, req.uri().path());
        let mut response = match route {
            routes::Route::Preflight(allow) => self.preflight(allow, origin.as_deref()),
            routes::Route::SubmitCase => {
                let mode = body::mode_of(&req);
                match self.check_origin(origin.as_deref()) {
                    Err(f) => respond::failure(f, &mode, lang, &self.pages()),
                    Ok(()) => self.submit(req, client_ip, now).await,
                }
            }
            routes::Route::Lookup => {
                let html = status::wants_html(&req);
                let mode = if html { Mode::Html } else { Mode::Json };
                match self.rate_limit(client_ip, limit::Scope::Public, now).await {
                    Err(f) => respond::failure(f, &mode, lang, &self.pages()),
                    Ok(()) => self.lookup(&req, lang, html).await,
                }
            }
            routes::Route::Action {
                tracking,
                action,
                post,
            } => match self
                .guard_link(client_ip, origin.as_deref(), post, now)
                .await
            {
                Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                Ok(()) => self.action(&req, &tracking, &action, post, now).await,
            },
            routes::Route::Survey { tracking, post } => {
                match self
                    .guard_link(client_ip, origin.as_deref(), post, now)
                    .await
                {
                    Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                    Ok(()) => self.survey(&req, &tracking, post, now).await,
                }
            }
            routes::Route::Evidence { tracking, number } => {
                match self
                    .guard_link(client_ip, origin.as_deref(), false, now)
                    .await
                {
                    Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                    Ok(()) => self.evidence_download(&req, &tracking, &number, now).await,
                }
            }
            // Counted like the status lookup: every public page is.
            routes::Route::CaseEntry => {
                match self.rate_limit(client_ip, limit::Scope::Public, now).await {
                    Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                    Ok(()) => self.case_entry(lang),
                }
            }
            // A public page, counted like the case page's form.
            routes::Route::Queue(department) => {
                match self.rate_limit(client_ip, limit::Scope::Public, now).await {
                    Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                    Ok(()) => self.queue(&req, &department, now).await,
                }
            }
            routes::Route::CaseOpen => match self.check_origin(origin.as_deref()) {
                Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                Ok(()) => self.case_open(&req, client_ip, now).await,
            },
            routes::Route::CaseReply => match self
                .guard_link(client_ip, origin.as_deref(), true, now)
                .await
            {
                Err(f) => respond::failure(f, &Mode::Html, lang, &self.pages()),
                Ok(()) => self.case_reply(&req, now).await,
            },
            routes::Route::CaseStatus(tracking) => {
                let html = status::wants_html(&req);
                let mode = if html { Mode::Html } else { Mode::Json };
                match self.rate_limit(client_ip, limit::Scope::Public, now).await {
                    Err(f) => respond::failure(f, &mode, lang, &self.pages()),
                    Ok(()) => self.status(&tracking, lang, html).await,
                }
            }
            routes::Route::NotAllowed(allow) => respond::failure(
                Failure::MethodNotAllowed(allow),
                &Mode::Json,
                lang,
                &self.pages(),
            ),
            routes::Route::Unknown => {
                respond::failure(Failure::NoSuchRoute, &Mode::Json, lang, &self.pages())
            }
        };
        self.add_cors(origin.as_deref(), &mut response);
        // Behind CloudFront every answer is HTTPS; `hotline serve` puts the
        // plain-HTTP set over it. Pages may post files to the bucket.
        let bucket_url = self
            .evidence_bucket
            .as_ref()
            .map(|b| b.grants.bucket.post_url());
        headers::apply_with(
            response.headers_mut(),
            true,
            bucket_url.as_deref().and_then(origin_of),
        );
        if head {
            *response.body_mut() = Bytes::new();
        }
        response
    }

    /// A cross-origin post from anywhere but the site is refused: the form
    /// is only ever served by the site (or by the API's own host locally).
    fn check_origin(&self, origin: Option<&str>) -> Result<(), Failure> {
        match origin {
            None => Ok(()),
            Some(o)
                if o == self.config().site_origin
                    || Some(o) == origin_of(&self.config().public_base_url) =>
            {
                Ok(())
            }
            Some(_) => Err(Failure::ForeignOrigin),
        }
    }

    /// What every signed link's page passes before its token is read: the
    /// links' own rate limit, and for a form post, that it was sent from
    /// the API's own pages (or the site), not by another site's form.
    async fn guard_link(
        &self,
        client_ip: Option<IpAddr>,
        origin: Option<&str>,
        post: bool,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        self.rate_limit(client_ip, limit::Scope::Links, now).await?;
        if post {
            self.check_origin(origin)?;
        }
        Ok(())
    }

    fn preflight(&self, allow: &'static str, origin: Option<&str>) -> Response<Bytes> {
        let mut builder = Response::builder()
            .status(http::StatusCode::NO_CONTENT)
            .header(http::header::ALLOW, allow);
        if let Some(o) = origin {
            if o != self.config().site_origin {
                return respond::failure(
                    Failure::ForeignOrigin,
                    &Mode::Json,
                    Lang::Zh,
                    &self.pages(),
                );
            }
            builder = builder
                .header(http::header::ACCESS_CONTROL_ALLOW_METHODS, allow)
                .header(
                    http::header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "content-type, accept, accept-language",
                )
                .header(http::header::ACCESS_CONTROL_MAX_AGE, "600");
        }
        respond::build(builder, Bytes::new())
    }

    fn add_cors(&self, origin: Option<&str>, response: &mut Response<Bytes>) {
        // Responses differ by Origin, so caches must keep them apart.
        response
            .headers_mut()
            .insert(http::header::VARY, http::HeaderValue::from_static("Origin"));
        if origin == Some(self.config().site_origin.as_str())
            && let Ok(value) = http::HeaderValue::from_str(&self.config().site_origin)
        {
            response
                .headers_mut()
                .insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
    }

    /// Counts the request against the client's hashed network, on the
    /// scope's counter and limit. A counter that
    /// cannot be reached lets the request through: refusing citizens because
    /// a counter is down would be worse than a burst of extra requests.
    async fn rate_limit(
        &self,
        client_ip: Option<IpAddr>,
        scope: limit::Scope,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let Some(ip) = client_ip else {
            return Ok(());
        };
        let config = self.config();
        let allowed = match scope {
            limit::Scope::Public => config.rate_limit,
            limit::Scope::Links => config.link_rate_limit,
            limit::Scope::Receipt => RateLimit {
                per_window: case_page::RECEIPT_TRIES_PER_CLIENT,
                window: config.rate_limit.window,
            },
        };
        let key = limit::client_key(&config.ip_hash_secret, ip, config.ipv6_prefix, scope);
        self.count_against(&key, allowed, now).await
    }

    /// Counts one request on the counter `key` (a keyed hash, never an
    /// address or a number) and refuses it past `allowed`. A counter that
    /// cannot be reached lets it through, as [`Api::rate_limit`] says why.
    pub(crate) async fn count_against(
        &self,
        key: &str,
        allowed: RateLimit,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let window = limit::Window::containing(now, allowed.window);
        match self
            .store
            .count_request(key, window.start, window.expires_at)
            .await
        {
            Ok(count) if count > u64::from(allowed.per_window) => {
                tracing::warn!(counter = %&key[..key.len().min(12)], "rate limit reached");
                Err(Failure::TooManyRequests {
                    retry_after_secs: window.seconds_left(now),
                })
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = e.kind(), "rate-limit counter unavailable");
                Ok(())
            }
        }
    }
}

/// The pages for a configuration: the given form renderer, or the default
/// one in the configuration's shells.
fn pages_for(config: &ApiConfig, custom_form: Option<&FormRenderer>) -> Pages {
    let form = custom_form.cloned().unwrap_or_else(|| {
        let shells = config.shells.clone();
        Arc::new(move |lang, raw: &RawSubmission, errors: &[FieldError]| {
            page::form_page(&shells, lang, raw, errors)
        })
    });
    Pages {
        form,
        shells: config.shells.clone(),
    }
}

/// `scheme://host[:port]` of a URL, if it has one.
fn origin_of(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url[rest_at..]
        .find('/')
        .map(|i| rest_at + i)
        .unwrap_or(url.len());
    Some(&url[..end])
}
