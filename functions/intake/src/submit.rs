//! The two handlers: receiving a submission and looking a case up.
//!
//! A submission is answered only after the store has it: validate, open the
//! case, render its first mails, store all of it in one write, then answer.
//! Mail goes out after the write, best effort: what cannot be sent now stays
//! pending in the store for the scheduled function, so a mail failure never
//! turns a stored case into an error.

use crate::body::{self, Kind, Mode};
use crate::respond::{self, Failure};
use crate::status::{self, PublicDeadline};
use crate::{Api, MAX_BODY_BYTES};
use bytes::Bytes;
use casestore::{
    Created, Delivery, NewCase, Notification, NotificationStatus, OutgoingMessage, Store,
    StoreError,
};
use casework::action_token;
use casework::lifecycle::Case;
use casework::messages::{self, ActionLinks, Message};
use casework::submission::{ErrorCode, Field, Submission, validate};
use casework::tracking::TrackingNumber;
use casework::{Lang, Rulebook};
use chrono::{DateTime, TimeDelta, Utc};
use http::{Request, Response, StatusCode};
use mail::{MailError, Mailer};
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

/// How many fresh numbers to try when one is taken (about one in a
/// trillion per month; more than one collision in a row means a bug).
const TRACKING_ATTEMPTS: usize = 3;
/// How long a claimed notification is ours to send.
const SEND_LEASE: TimeDelta = TimeDelta::minutes(2);
/// When the scheduled function may retry a mail that failed here.
const RETRY_AFTER_FAILED_SEND: TimeDelta = TimeDelta::minutes(5);
/// The longest one send may hold up the answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The JSON answer to a stored (or replayed) submission.
#[derive(Debug, Serialize)]
pub struct CreatedBody {
    pub tracking: String,
    /// The API's status resource for the case.
    pub status_url: String,
    /// The site's page for people.
    pub status_page: String,
    pub deadlines: Vec<PublicDeadline>,
}

impl<S: Store, M: Mailer> Api<S, M> {
    pub(crate) async fn submit(
        &self,
        req: Request<Bytes>,
        client_ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Response<Bytes> {
        let kind = body::kind_of(&req);
        let mut mode = body::mode_of(&req);
        let mut lang = respond::request_lang(&req, None);
        match self
            .receive(&req, kind, &mut mode, &mut lang, client_ip, now)
            .await
        {
            Ok(response) => response,
            Err(f) => respond::failure(f, &mode, lang, &self.pages()),
        }
    }

    async fn receive(
        &self,
        req: &Request<Bytes>,
        kind: Kind,
        mode: &mut Mode,
        lang: &mut Lang,
        client_ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Response<Bytes>, Failure> {
        if kind == Kind::Unsupported {
            return Err(Failure::UnsupportedType);
        }
        if req.body().len() > MAX_BODY_BYTES {
            return Err(Failure::TooLarge);
        }
        self.rate_limit(client_ip, now).await?;
        let raw = match kind {
            Kind::Form => body::parse_form(req.body()),
            _ => body::parse_json(req.body()),
        }
        .map_err(Failure::BadBody)?;
        *lang = respond::request_lang(req, raw.language.as_deref());
        if kind == Kind::Form {
            *mode = Mode::Form(Some(Box::new(raw.clone())));
        }

        let config = self.config();

        let rules: &Rulebook = &config.rules;
        let today = rules.calendar.local(now).date_naive();
        let submission = validate(&raw, rules, today).map_err(|e| {
            if e.has(Field::Form, ErrorCode::Rejected) {
                tracing::info!("submission refused: honeypot filled");
                Failure::Rejected(e)
            } else {
                let fields: Vec<&str> = e.errors.iter().map(|e| e.field.name()).collect();
                tracing::info!(?fields, "submission invalid");
                Failure::Invalid(e)
            }
        })?;
        // What was typed now passed validation; later failures show the
        // cleaned text rather than the raw one, which is the same to a person.

        let (created, opened) = self.store_new_case(&submission, now, today).await?;
        let tracking = created.tracking().clone();
        let deadlines = match &created {
            Created::New(_) => {
                tracing::info!(tracking = %tracking, case_type = %opened.case.case_type, "case received");
                self.deliver(&opened.notifications, now).await;
                status::deadlines(&opened.case, rules, *lang)
            }
            Created::Replayed(_) => {
                tracing::info!(tracking = %tracking, "submission replayed");
                match mode {
                    // The form only needs the number.
                    Mode::Form(_) => Vec::new(),
                    _ => match self.store.case(&tracking).await {
                        Ok(Some(record)) => status::deadlines(&record.case, rules, *lang),
                        Ok(None) => return Err(Failure::Internal),
                        Err(e) => return Err(store_failure(&e)),
                    },
                }
            }
        };

        Ok(match mode {
            Mode::Form(_) => respond::see_other(&with_query(
                &in_language(&self.config().thanks_url, *lang),
                &format!("tracking={tracking}&lang={lang}"),
            )),
            _ => {
                let status = match created {
                    Created::New(_) => StatusCode::CREATED,
                    Created::Replayed(_) => StatusCode::OK,
                };
                let body = CreatedBody {
                    tracking: tracking.to_string(),
                    status_url: self.status_url(&tracking),
                    status_page: with_query(
                        &in_language(&self.config().status_page_url, *lang),
                        &format!("tracking={tracking}"),
                    ),
                    deadlines,
                };
                let builder = Response::builder()
                    .status(status)
                    .header(http::header::LOCATION, self.status_url(&tracking));
                respond::json_body(builder, &body)
            }
        })
    }

    /// The signed links for the department that handles `case` now.
    pub(crate) fn department_links(&self, case: &Case, now: DateTime<Utc>) -> ActionLinks {
        action_token::department_links(
            &self.config().action_secret,
            &self.config().public_base_url,
            case,
            now + action_token::DEPARTMENT_LINK_LIFETIME,
        )
    }

    /// Where the no-JS status lookup sends its GET.
    pub(crate) fn lookup_url(&self) -> String {
        format!(
            "{}/cases",
            self.config().public_base_url.trim_end_matches('/')
        )
    }

    fn status_url(&self, tracking: &TrackingNumber) -> String {
        format!(
            "{}/cases/{tracking}",
            self.config().public_base_url.trim_end_matches('/')
        )
    }

    /// The status page a person follows from the receipt: the site's page
    /// when it is an absolute address (mail cannot follow a relative one),
    /// else the API's own page.
    pub(crate) fn people_status_url(&self, tracking: &TrackingNumber, lang: Lang) -> String {
        let config = self.config();
        people_status_url(
            &config.status_page_url,
            &config.public_base_url,
            tracking,
            lang,
        )
    }

    /// Opens the case and stores it with its mails, trying a fresh number
    /// when one is taken.
    async fn store_new_case(
        &self,
        submission: &Submission,
        now: DateTime<Utc>,
        today: chrono::NaiveDate,
    ) -> Result<(Created, NewCase), Failure> {
        let config = self.config();
        let rules: &Rulebook = &config.rules;
        for _ in 0..TRACKING_ATTEMPTS {
            // The generator is not Send: it lives only in this block.
            let tracking = {
                let mut rng = rand::rng();
                TrackingNumber::generate(&rules.office.tracking_prefix, today, &mut rng)
            };
            let can_follow_up =
                submission.contact.email.is_some() || submission.contact.phone.is_some();
            let case = Case::open(
                tracking.clone(),
                submission.case_type.clone(),
                submission.category.clone(),
                rules,
                now,
                can_follow_up,
            )
            .map_err(|e| {
                tracing::error!(error = %e, "a validated submission could not be opened");
                Failure::Internal
            })?;
            let links = self.department_links(&case, now);
            let notifications = first_notifications(
                rules,
                &case,
                submission,
                &links,
                &self.people_status_url(&tracking, submission.language),
                now,
            );
            let new = NewCase {
                next_due: casework::due::next_due(&case, rules),
                case,
                submission: submission.clone(),
                notifications,
            };
            match self.store.create_case(new.clone()).await {
                Ok(created) => return Ok((created, new)),
                Err(StoreError::TrackingTaken(_)) => {
                    tracing::warn!("tracking number taken; trying another");
                }
                Err(e) => return Err(store_failure(&e)),
            }
        }
        tracing::error!("no free tracking number after {TRACKING_ATTEMPTS} attempts");
        Err(Failure::Internal)
    }

    /// Sends what it can now; everything else stays pending.
    pub(crate) async fn deliver_now(&self, notifications: &[Notification], now: DateTime<Utc>) {
        for n in notifications {
            match self
                .store
                .claim_notification(&n.id, now, now + SEND_LEASE)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(notification = %n.id, error = respond::store_error_kind(&e), "could not claim mail; left pending");
                    continue;
                }
            }
            let sent =
                tokio::time::timeout(SEND_TIMEOUT, self.mailer.send(&n.id, &n.message)).await;
            let delivery = match sent {
                Ok(Ok(())) => {
                    tracing::info!(notification = %n.id, "mail sent");
                    Delivery::Sent { at: now }
                }
                Ok(Err(e)) => {
                    // The error text may quote an address: only its kind is logged.
                    let kind = match e {
                        MailError::Temporary(_) => "temporary",
                        MailError::Permanent(_) => "permanent",
                    };
                    tracing::warn!(notification = %n.id, kind, "mail not sent; left for the scheduler");
                    failed(now, e.to_string())
                }
                Err(_) => {
                    tracing::warn!(notification = %n.id, "mail timed out; left for the scheduler");
                    failed(now, "timed out".into())
                }
            };
            if let Err(e) = self.store.record_delivery(&n.id, delivery).await {
                tracing::warn!(notification = %n.id, error = respond::store_error_kind(&e), "could not record the mail attempt");
            }
        }
    }

    pub(crate) async fn status(&self, typed: &str, lang: Lang, html: bool) -> Response<Bytes> {
        let mode = if html { Mode::Html } else { Mode::Json };
        let tracking = match TrackingNumber::parse(typed) {
            Ok(t) => t,
            Err(e) => return respond::failure(Failure::BadTracking(e), &mode, lang, &self.pages()),
        };
        let record = match self.store.case(&tracking).await {
            Ok(Some(record)) => record,
            Ok(None) => return respond::failure(Failure::CaseNotFound, &mode, lang, &self.pages()),
            Err(e) => return respond::failure(store_failure(&e), &mode, lang, &self.pages()),
        };
        let public = status::public_status(&record.case, &self.config().rules, lang);
        let builder = Response::builder().status(StatusCode::OK);
        if html {
            respond::html(
                builder,
                crate::page::status_page(&self.pages().shells, lang, &public, &self.lookup_url()),
            )
        } else {
            respond::json_body(builder, &public)
        }
    }
}

impl<S: Store, M: Mailer> Api<S, M> {
    /// The no-JS lookup, `GET /cases?tracking=`: a browser gets the status
    /// page, or the lookup form again holding what was typed; other clients
    /// are sent on to the case's own address.
    pub(crate) async fn lookup(
        &self,
        req: &Request<Bytes>,
        lang: Lang,
        html: bool,
    ) -> Response<Bytes> {
        let typed = respond::query_param(req, "tracking").unwrap_or_default();
        let parsed = TrackingNumber::parse(&typed);
        if !html {
            return match parsed {
                Ok(tracking) => respond::see_other(&self.status_url(&tracking)),
                Err(e) => {
                    respond::failure(Failure::BadTracking(e), &Mode::Json, lang, &self.pages())
                }
            };
        }
        let again = |status: StatusCode, problem: &str| {
            respond::html(
                Response::builder().status(status),
                crate::page::lookup_page(
                    &self.pages().shells,
                    lang,
                    &self.lookup_url(),
                    &typed,
                    problem,
                ),
            )
        };
        let tracking = match parsed {
            Ok(t) => t,
            Err(e) => return again(StatusCode::BAD_REQUEST, &e.message(lang)),
        };
        match self.store.case(&tracking).await {
            Ok(Some(record)) => {
                let public = status::public_status(&record.case, &self.config().rules, lang);
                respond::html(
                    Response::builder().status(StatusCode::OK),
                    crate::page::status_page(
                        &self.pages().shells,
                        lang,
                        &public,
                        &self.lookup_url(),
                    ),
                )
            }
            Ok(None) => again(
                StatusCode::NOT_FOUND,
                match lang {
                    Lang::Zh => "没有找到这个受理编号，请核对后再试。",
                    Lang::En => "No case has this tracking number. Please check it and try again.",
                },
            ),
            Err(e) => respond::failure(store_failure(&e), &Mode::Html, lang, &self.pages()),
        }
    }
}

fn failed(now: DateTime<Utc>, error: String) -> Delivery {
    Delivery::Failed {
        at: now,
        error,
        retry_at: now + RETRY_AFTER_FAILED_SEND,
        // Whether to give up is the scheduler's call, which counts attempts.
        give_up: false,
    }
}

pub(crate) fn store_failure(e: &StoreError) -> Failure {
    tracing::error!(error = respond::store_error_kind(e), "store failed");
    match e {
        StoreError::Unavailable(_) | StoreError::Conflict => Failure::Unavailable,
        _ => Failure::Internal,
    }
}

/// Appends a query string to a URL that may already have one.
/// The status page a person follows from a mail: the site's page in the
/// person's language when `status_page_url` is absolute (mail cannot
/// follow a relative one), else the API's own page under `public_base_url`.
pub fn people_status_url(
    status_page_url: &str,
    public_base_url: &str,
    tracking: &TrackingNumber,
    lang: Lang,
) -> String {
    if status_page_url.starts_with("https://") || status_page_url.starts_with("http://") {
        with_query(
            &in_language(status_page_url, lang),
            &format!("tracking={tracking}&lang={lang}"),
        )
    } else {
        format!(
            "{}/cases/{tracking}?format=html&lang={lang}",
            public_base_url.trim_end_matches('/')
        )
    }
}

/// A page of the site in `lang`: the site keeps Chinese pages at `/path/`
/// and English ones at `/en/path/`, so the English thank-you and status
/// pages are the configured (Chinese) address with `/en` put before the path.
pub(crate) fn in_language(url: &str, lang: Lang) -> String {
    if lang != Lang::En {
        return url.to_string();
    }
    let path_at = match url.find("://") {
        Some(scheme_end) => match url[scheme_end + 3..].find('/') {
            Some(i) => scheme_end + 3 + i,
            None => return format!("{url}/en/"),
        },
        None if url.starts_with('/') => 0,
        // Not a path on the site (say, a page name alone): left as given.
        None => return url.to_string(),
    };
    let path = &url[path_at..];
    if path == "/en" || path.starts_with("/en/") || path.starts_with("/en?") {
        return url.to_string();
    }
    format!("{}/en{}", &url[..path_at], path)
}

fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

/// A rendered mail as a pending notification with id `{tracking}/{suffix}`;
/// `None` when it has nobody to go to.
pub fn pending(
    case: &Case,
    suffix: &str,
    message: Message,
    now: DateTime<Utc>,
) -> Option<Notification> {
    if message.to.is_empty() {
        return None;
    }
    Some(Notification {
        id: format!("{}/{suffix}", case.tracking),
        tracking: case.tracking.clone(),
        message: OutgoingMessage {
            to: message.to,
            subject: message.subject,
            text: message.text,
            html: message.html,
            attachments: Vec::new(),
        },
        status: NotificationStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
    })
}

/// The mails a new case sends, pending: to the department (with its signed
/// action links), the identity copy to the office for identity-withheld
/// types, and the receipt to the complainant when they left an e-mail.
pub fn first_notifications(
    rules: &Rulebook,
    case: &Case,
    submission: &Submission,
    links: &ActionLinks,
    status_url: &str,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut push = |suffix: &str, message: Message| {
        out.extend(pending(case, suffix, message, now));
    };
    push(
        "new-case",
        messages::department_new_case(rules, case, submission, links, Lang::Zh),
    );
    if let Some(m) = messages::office_identity_copy(rules, case, submission) {
        push("identity", m);
    }
    if let Some(m) = messages::acknowledgment(rules, case, submission, status_url) {
        push("ack", m);
    }
    out
}
