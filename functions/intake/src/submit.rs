//! The two handlers: receiving a submission and looking a case up.
//!
//! A submission is answered only after the store has it: reading the body
//! and the answer are here, filing the case (validation, routing, the
//! first mails, one write) is `office::filing`. Mail goes out after the
//! write, best effort, by `office::delivery`: what cannot be sent now stays
//! pending in the store for the scheduled function, so a mail failure never
//! turns a stored case into an error.

use crate::body::{self, Kind, Mode};
use crate::respond::{self, Failure};
use crate::status::{self, PublicDeadline};
use crate::{Api, MAX_BODY_BYTES};
use bytes::Bytes;
use casestore::{Notification, Store, StoreError};
use casework::channel::Channel;
use casework::submission::{ErrorCode, Field};
use casework::tracking::TrackingNumber;
use casework::{Lang, Rulebook};
use chrono::{DateTime, Utc};
use http::{Request, Response, StatusCode};
use mail::Mailer;
use office::filing::{FileError, Filed};
use office::links::{Links, with_query};
pub use office::links::{in_language, people_status_url};
use serde::Serialize;
use std::net::IpAddr;

/// The JSON answer to a stored (or replayed) submission.
#[derive(Debug, Serialize)]
pub struct CreatedBody {
    pub tracking: String,
    /// The API's status resource for the case.
    pub status_url: String,
    /// The site's page for people.
    pub status_page: String,
    pub deadlines: Vec<PublicDeadline>,
    /// The complainant's receipt code (`casework::receipt`), grouped: with
    /// the tracking number it opens their case page. Given only here, to
    /// the sender of this very submission.
    pub receipt_code: String,
    /// Where the evidence bucket is configured (production) and the
    /// rulebook takes files: one grant per file the case may still take,
    /// for the browser to send each file straight to the bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploads: Option<Vec<office::upload_grant::Grant>>,
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
        let limit = if kind == Kind::Multipart {
            self.max_body_bytes()
        } else {
            MAX_BODY_BYTES
        };
        if req.body().len() > limit {
            return Err(Failure::TooLarge);
        }
        self.rate_limit(client_ip, crate::limit::Scope::Public, now)
            .await?;
        let config = self.config();
        let rules: &Rulebook = &config.rules;
        // A form never sends more files than the rulebook takes; one that
        // does is told so, with a few to spare for the count's own message.
        let most_files = rules.evidence.as_ref().map_or(0, |e| e.max_files as usize) + 4;
        let (raw, uploads) = match kind {
            Kind::Form => (body::parse_form(req.body()), Vec::new()),
            Kind::Multipart => match body::parse_multipart(req, most_files).await {
                Ok((raw, uploads)) => (Ok(raw), uploads),
                Err(e) => (Err(e), Vec::new()),
            },
            _ => (body::parse_json(req.body()), Vec::new()),
        };
        let raw = raw.map_err(Failure::BadBody)?;
        *lang = respond::request_lang(req, raw.language.as_deref());
        if matches!(mode, Mode::Form(_)) {
            *mode = Mode::Form(Some(Box::new(raw.clone())));
        }

        let links = self.links(&config);
        let filed = match (&self.evidence_files, uploads.is_empty()) {
            (_, true) => {
                office::file_case(rules, &self.store, &links, Channel::Web, &raw, now).await
            }
            (Some(files), false) => {
                office::evidence::file_case_with_evidence(
                    rules,
                    &self.store,
                    files.as_ref(),
                    &links,
                    Channel::Web,
                    &raw,
                    &uploads,
                    now,
                )
                .await
            }
            // Nowhere to keep files: refused as the rulebook's absence of
            // `[evidence]` would be, with the form kept.
            (None, false) => Err(office::evidence::files_not_taken(rules, &raw, now)),
        }
        .map_err(|e| match e {
            FileError::Invalid(e) if e.has(Field::Form, ErrorCode::Rejected) => {
                tracing::info!("submission refused: honeypot filled");
                Failure::Rejected(e)
            }
            FileError::Invalid(mut e) => {
                // Without JavaScript the page shown again holds no files.
                let no_script = matches!(mode, Mode::Form(_));
                if no_script && !uploads.is_empty() && e.for_field(Field::Evidence).next().is_none()
                {
                    e.errors.push(casework::evidence::choose_again());
                }
                let fields: Vec<&str> = e.errors.iter().map(|e| e.field.name()).collect();
                tracing::info!(?fields, "submission invalid");
                Failure::Invalid(e)
            }
            FileError::Store(e) => store_failure(&e),
            e => {
                tracing::error!(error = %e, "a validated submission could not be filed");
                Failure::Internal
            }
        })?;
        // What was typed now passed validation; later failures show the
        // cleaned text rather than the raw one, which is the same to a person.
        let tracking = filed.tracking().clone();
        let (deadlines, uploads) = match filed {
            Filed::New(ref opened) => {
                tracing::info!(tracking = %tracking, case_type = %opened.case.case_type, "case received");
                let notifications = self.hold_back_acknowledgment(opened, now).await;
                self.deliver(&notifications, now).await;
                let sender = match mode {
                    Mode::Form(_) => crate::uploads::Uploader::Form,
                    _ => crate::uploads::Uploader::Script,
                };
                let uploads = self.upload_grants(&opened.case, sender, now).await;
                (status::deadlines(&opened.case, rules, *lang), uploads)
            }
            Filed::Replayed(_) => {
                tracing::info!(tracking = %tracking, "submission replayed");
                match mode {
                    // The form only needs the number.
                    Mode::Form(_) => (Vec::new(), None),
                    _ => match self.store.case(&tracking).await {
                        Ok(Some(record)) => (
                            status::deadlines(&record.case, rules, *lang),
                            self.upload_grants(&record.case, crate::uploads::Uploader::Script, now)
                                .await,
                        ),
                        Ok(None) => return Err(Failure::Internal),
                        Err(e) => return Err(store_failure(&e)),
                    },
                }
            }
        };

        let receipt = office::complainant::receipt_code(&links, &tracking);
        Ok(match mode {
            // Not a redirect: the code must not sit in a URL, so the
            // answer to the post itself shows it (sent again, the same
            // submission is a replay and shows the same code).
            Mode::Form(_) => {
                let next_steps = with_query(
                    &in_language(&self.config().thanks_url, *lang),
                    &format!("tracking={tracking}&lang={lang}"),
                );
                let mut response = respond::html(
                    Response::builder().status(StatusCode::OK),
                    crate::page::receipt_page(
                        &self.pages().shells,
                        *lang,
                        tracking.as_str(),
                        &receipt.grouped(),
                        &next_steps,
                        &links.case_page_url(*lang),
                        // Without JavaScript files go after filing, a form
                        // each, straight to the bucket (production only).
                        &crate::page::bucket_upload_forms(
                            uploads.as_deref().unwrap_or_default(),
                            *lang,
                        ),
                    ),
                );
                response.headers_mut().insert(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
                response
            }
            _ => {
                let status = match filed {
                    Filed::New(_) => StatusCode::CREATED,
                    Filed::Replayed(_) => StatusCode::OK,
                };
                let body = CreatedBody {
                    tracking: tracking.to_string(),
                    status_url: self.status_url(&tracking),
                    status_page: with_query(
                        &in_language(&self.config().status_page_url, *lang),
                        &format!("tracking={tracking}"),
                    ),
                    deadlines,
                    receipt_code: receipt.grouped(),
                    uploads,
                };
                let builder = Response::builder()
                    .status(status)
                    .header(http::header::LOCATION, self.status_url(&tracking));
                respond::json_body(builder, &body)
            }
        })
    }

    /// The new case's notifications to send, without its acknowledgment
    /// when its address already had
    /// [`ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY`](crate::limit::ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY)
    /// today, and without its text receipt when its mobile number already
    /// had as many (so nobody can bury a stranger's phone in texts, or run
    /// up the office's SMS bill, by typing the number into the form); what
    /// is held back is marked given up in the store, so the scheduler does
    /// not send it either. The case itself is filed whatever happens.
    async fn hold_back_acknowledgment(
        &self,
        opened: &casestore::NewCase,
        now: DateTime<Utc>,
    ) -> Vec<Notification> {
        let mut all = opened.notifications.clone();
        let contact = &opened.submission.contact;
        let secret = &self.config().ip_hash_secret;
        let mut counted = Vec::new();
        if let Some(address) = contact.email.as_ref() {
            counted.push((crate::limit::mailbox_key(secret, address.as_str()), "/ack"));
        }
        if let Some(mobile) = contact.phone.as_ref().and_then(|p| p.mainland_mobile()) {
            counted.push((crate::limit::text_key(secret, &mobile), "/text-ack"));
        }
        for (key, suffix) in counted {
            if !all.iter().any(|n| n.id.ends_with(suffix)) {
                continue;
            }
            if !self.over_daily_limit(&key, now).await {
                continue;
            }
            let (held, rest): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|n| n.id.ends_with(suffix));
            all = rest;
            for n in held {
                let delivery = casestore::Delivery::Failed {
                    at: now,
                    error: "not sent: this address had its acknowledgments for the day".into(),
                    retry_at: now,
                    give_up: true,
                };
                if let Err(e) = self.store.record_delivery(&n.id, delivery).await {
                    tracing::warn!(error = e.kind(), "could not hold back an acknowledgment");
                }
            }
            let text = suffix == "/text-ack";
            tracing::info!(tracking = %opened.case.tracking, text, "acknowledgment held back: daily limit for its address");
        }
        all
    }

    /// Counts one acknowledgment for `key` today; whether that is more
    /// than the day allows. Without a counter: not over, as the rate limit
    /// lets requests through.
    async fn over_daily_limit(&self, key: &str, now: DateTime<Utc>) -> bool {
        let day = crate::limit::Window::containing(now, std::time::Duration::from_secs(86_400));
        match self
            .store
            .count_request(key, day.start, day.expires_at)
            .await
        {
            Ok(count) => count > u64::from(crate::limit::ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY),
            Err(_) => false,
        }
    }

    /// Where the links in mails point, from the configuration in place.
    pub(crate) fn links<'a>(&self, config: &'a crate::ApiConfig) -> Links<'a> {
        Links {
            public_base_url: &config.public_base_url,
            status_page_url: &config.status_page_url,
            action_secret: &config.action_secret,
        }
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

    /// Sends what it can now, by the office's one delivery policy;
    /// everything else stays pending.
    pub(crate) async fn deliver_now(&self, notifications: &[Notification], now: DateTime<Utc>) {
        let config = self.config();
        // The acknowledgment's receipt code is written in as it leaves.
        let mailer = office::WithReceiptCodes::new(&self.mailer, config.action_secret.clone());
        // A department's digest carries its queue page's link (`crate::queue`).
        let queue = office::delivery::QueueLinks {
            public_base_url: &config.public_base_url,
            action_secret: &config.action_secret,
        };
        office::delivery::deliver_with(
            &config.rules,
            &self.store,
            &mailer,
            notifications.to_vec(),
            Some(queue),
            now,
        )
        .await;
    }

    /// The case a merged case is handled with, for its public status; on
    /// a store failure the case's own status is shown (still naming it).
    async fn survivor_of(
        &self,
        case: &casework::lifecycle::Case,
    ) -> Option<casework::lifecycle::Case> {
        let into = case.merged_into.as_ref()?;
        self.store.case(into).await.ok().flatten().map(|r| r.case)
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
        let survivor = self.survivor_of(&record.case).await;
        let public = status::public_status_together(
            &record.case,
            survivor.as_ref(),
            &self.config().rules,
            lang,
        );
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
                let survivor = self.survivor_of(&record.case).await;
                let public = status::public_status_together(
                    &record.case,
                    survivor.as_ref(),
                    &self.config().rules,
                    lang,
                );
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
                casework::wording::say("api.case_not_found").get(lang),
            ),
            Err(e) => respond::failure(store_failure(&e), &Mode::Html, lang, &self.pages()),
        }
    }
}

pub(crate) fn store_failure(e: &StoreError) -> Failure {
    tracing::error!(error = e.kind(), "store failed");
    match e {
        StoreError::Unavailable(_) | StoreError::Conflict => Failure::Unavailable,
        _ => Failure::Internal,
    }
}
