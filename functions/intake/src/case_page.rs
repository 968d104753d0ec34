//! The complainant's case page: `GET /case` (the form: tracking number and
//! receipt code), `POST /case` (the page itself), `POST /case/reply` (a
//! message to the office from it).
//!
//! No account and no JavaScript: the code is checked once
//! (`office::complainant::open_case`), and the page's own forms carry a
//! short-lived signed token (`Action::CasePage`, for the complainant) so
//! the code never travels again and never sits in a URL. A wrong code, a
//! right code for another case and an unknown number get one answer, and
//! every attempt counts against the client and against the number
//! ([`RECEIPT_TRIES_PER_CLIENT`], [`RECEIPT_TRIES_PER_CASE`]).
//!
//! Not here: what the conversation holds (`casework::conversation`), how
//! a message reaches the department (`office::acting`).

use crate::body::{self, Kind, Mode};
use crate::page::escape;
use crate::respond::{self, Failure};
use crate::status;
use crate::{Api, MAX_BODY_BYTES};
use bytes::Bytes;
use casestore::{CaseRecord, Store};
use casework::Lang;
use casework::action_token::{Action, ActionToken, Holder};
use casework::conversation::{self, Speaker};
use casework::lifecycle::CaseState;
use casework::receipt::ReceiptCode;
use casework::tracking::TrackingNumber;
use casework::wording::say;
use chrono::{DateTime, TimeDelta, Utc};
use http::{Request, Response, StatusCode};
use mail::Mailer;
use office::acting::ActError;
use office::complainant::{OpenError, open_case, write_to_office};
use sha2::Sha256;
use std::fmt::Write;
use std::net::IpAddr;

/// Attempts to open a case page one client may make per window.
pub const RECEIPT_TRIES_PER_CLIENT: u32 = 20;
/// Attempts on one tracking number per hour, whoever makes them: with
/// 80 bits of code this alone makes guessing hopeless; the cost is that
/// someone hammering a number can keep its owner out for up to an hour.
pub const RECEIPT_TRIES_PER_CASE: u32 = 10;
/// How long the page's forms work after the code was checked.
pub const SESSION: TimeDelta = TimeDelta::hours(1);

const FIELDS: &[&str] = &["tracking", "code", "token", "text", "lang"];

type Page = Response<Bytes>;

fn w(lang: Lang, key: &str) -> &'static str {
    say(key).get(lang)
}

impl<S: Store, M: Mailer> Api<S, M> {
    /// `GET /case`: the form that opens the page.
    pub(crate) fn case_entry(&self, lang: Lang) -> Page {
        self.entry_page(StatusCode::OK, lang, "", None)
    }

    /// `POST /case`: the code checked, the page shown.
    pub(crate) async fn case_open(
        &self,
        req: &Request<Bytes>,
        client_ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Page {
        let fields = match self.read_fields(req) {
            Ok(f) => f,
            Err(page) => return page,
        };
        let lang = fields.lang(req);
        let typed = fields.get("tracking");
        if let Err(f) = self.receipt_limits(client_ip, &typed, now).await {
            return respond::failure(f, &Mode::Html, lang, &self.pages());
        }
        let not_opened = || {
            self.entry_page(
                StatusCode::NOT_FOUND,
                lang,
                &typed,
                Some(w(lang, "pages.case_not_opened")),
            )
        };
        let (Ok(tracking), Some(code)) = (
            TrackingNumber::parse(&typed),
            ReceiptCode::parse(&fields.get("code")),
        ) else {
            return not_opened();
        };
        match open_case(&self.store, &tracking, &code).await {
            Ok(record) => {
                tracing::info!(tracking = %tracking, "case page opened");
                self.case_view(StatusCode::OK, lang, &record, None, "", now)
                    .await
            }
            Err(OpenError::NotYours) => {
                tracing::info!("case page refused");
                not_opened()
            }
            Err(OpenError::Store(e)) => respond::failure(
                crate::submit::store_failure(&e),
                &Mode::Html,
                lang,
                &self.pages(),
            ),
        }
    }

    /// `POST /case/reply`: the complainant's message, from the page.
    pub(crate) async fn case_reply(&self, req: &Request<Bytes>, now: DateTime<Utc>) -> Page {
        let (fields, uploads) = match self.read_fields_and_files(req).await {
            Ok(read) => read,
            Err(page) => return page,
        };
        let lang = fields.lang(req);
        let typed = fields.get("tracking");
        let expired = || {
            self.entry_page(
                StatusCode::FORBIDDEN,
                lang,
                &typed,
                Some(w(lang, "pages.case_page_expired")),
            )
        };
        let Ok(tracking) = TrackingNumber::parse(&typed) else {
            return expired();
        };
        // The signature first: nothing is looked up for a forged token.
        let config = self.config();
        let token = ActionToken::check(
            &config.action_secret,
            &fields.get("token"),
            &tracking,
            Action::CasePage,
            now,
        );
        if token
            .and_then(|t| t.given_to(&Holder::Complainant))
            .is_err()
        {
            return expired();
        }
        let text = fields.get("text");
        if !uploads.is_empty() {
            match self.add_files(&tracking, &uploads, lang, &text, now).await {
                // Files only: the page again, saying they arrived.
                Ok(view) if text.trim().is_empty() => return view,
                Ok(_) => {}
                Err(page) => return page,
            }
        }
        let links = self.links(&config);
        // A message adds to the case and conflicts with nothing: read
        // again and retry once if someone changed the case meanwhile.
        for _ in 0..2 {
            let record = match self.store.case(&tracking).await {
                Ok(Some(r)) => r,
                Ok(None) => return expired(),
                Err(e) => {
                    return respond::failure(
                        crate::submit::store_failure(&e),
                        &Mode::Html,
                        lang,
                        &self.pages(),
                    );
                }
            };
            let outcome = write_to_office(
                &config.rules,
                &self.store,
                &links,
                &record,
                record.version,
                text.clone(),
                now,
            )
            .await;
            match outcome {
                Ok(acted) => {
                    tracing::info!(tracking = %tracking, "complainant wrote on the case page");
                    self.deliver(&acted.notifications, now).await;
                    let record = CaseRecord {
                        case: acted.case,
                        version: acted.version,
                        ..record
                    };
                    let sent = w(lang, "pages.message_sent");
                    return self
                        .case_view(StatusCode::OK, lang, &record, Some(sent), "", now)
                        .await;
                }
                Err(ActError::Stale { .. }) => continue,
                Err(ActError::Refused(e)) => {
                    let problem = if record.case.state.is_terminal() {
                        w(lang, "pages.case_closed_no_more")
                    } else {
                        let _ = e;
                        w(lang, "pages.write_something")
                    };
                    return self
                        .case_view(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            lang,
                            &record,
                            Some(problem),
                            &text,
                            now,
                        )
                        .await;
                }
                Err(ActError::Store(e)) => {
                    return respond::failure(
                        crate::submit::store_failure(&e),
                        &Mode::Html,
                        lang,
                        &self.pages(),
                    );
                }
            }
        }
        respond::failure(Failure::Unavailable, &Mode::Html, lang, &self.pages())
    }

    /// Keeps and attaches files sent from the page (where this API keeps
    /// evidence itself, as `hotline serve` does): the page saying they
    /// arrived, or the page with the visitor's errors and their text kept.
    #[allow(clippy::result_large_err)]
    async fn add_files(
        &self,
        tracking: &TrackingNumber,
        uploads: &[office::evidence::Upload],
        lang: Lang,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Page, Page> {
        let config = self.config();
        let unavailable = |e: &casestore::StoreError| {
            respond::failure(
                crate::submit::store_failure(e),
                &Mode::Html,
                lang,
                &self.pages(),
            )
        };
        let record = match self.store.case(tracking).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(self.entry_page(
                    StatusCode::FORBIDDEN,
                    lang,
                    tracking.as_str(),
                    Some(w(lang, "pages.case_page_expired")),
                ));
            }
            Err(e) => return Err(unavailable(&e)),
        };
        let refuse = async |problem: String| {
            self.case_view(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                &record,
                Some(&problem),
                text,
                now,
            )
            .await
        };
        let Some(files) = &self.evidence_files else {
            return Err(refuse(w(lang, "pages.files_not_here").to_string()).await);
        };
        use office::evidence::AddFilesError;
        match office::evidence::add_files(
            &config.rules,
            &self.store,
            files.as_ref(),
            &record,
            uploads,
            now,
        )
        .await
        {
            Ok(added) => {
                tracing::info!(tracking = %tracking, added, "complainant added files on the case page");
                let record = match self.store.case(tracking).await {
                    Ok(Some(r)) => r,
                    _ => record.clone(),
                };
                let note = w(lang, "pages.files_received");
                Ok(self
                    .case_view(StatusCode::OK, lang, &record, Some(note), "", now)
                    .await)
            }
            Err(AddFilesError::Invalid(errors)) => {
                let problem = errors
                    .iter()
                    .map(|e| e.message.get(lang).to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                Err(refuse(problem).await)
            }
            Err(AddFilesError::Attach(e)) => {
                tracing::info!(code = e.code(), "files from the case page not added");
                let key = if record.case.state.is_terminal() {
                    "pages.case_closed_no_more"
                } else {
                    "pages.files_not_here"
                };
                Err(refuse(w(lang, key).to_string()).await)
            }
            Err(AddFilesError::Store(e)) => Err(unavailable(&e)),
        }
    }

    /// The page's form: url-encoded, or with files where this API keeps
    /// evidence (multipart, within the form's larger limit).
    async fn read_fields_and_files(
        &self,
        req: &Request<Bytes>,
    ) -> Result<(Fields, Vec<office::evidence::Upload>), Page> {
        if body::kind_of(req) != Kind::Multipart {
            return self.read_fields(req).map(|f| (f, Vec::new()));
        }
        let lang = respond::request_lang(req, None);
        let fail = |f: Failure| respond::failure(f, &Mode::Html, lang, &self.pages());
        if req.body().len() > self.max_body_bytes() {
            return Err(fail(Failure::TooLarge));
        }
        let config = self.config();
        let most_files = config
            .rules
            .evidence
            .as_ref()
            .map_or(0, |e| e.max_files as usize)
            + 4;
        body::parse_multipart_pairs(req, most_files, FIELDS)
            .await
            .map(|(pairs, uploads)| (Fields(pairs), uploads))
            .map_err(|e| fail(Failure::BadBody(e)))
    }

    // The refusal is the page to answer with, built once and returned at
    // once; boxing it would buy nothing.
    #[allow(clippy::result_large_err)]
    fn read_fields(&self, req: &Request<Bytes>) -> Result<Fields, Page> {
        let lang = respond::request_lang(req, None);
        if body::kind_of(req) != Kind::Form {
            return Err(respond::failure(
                Failure::UnsupportedType,
                &Mode::Html,
                lang,
                &self.pages(),
            ));
        }
        if req.body().len() > MAX_BODY_BYTES {
            return Err(respond::failure(
                Failure::TooLarge,
                &Mode::Html,
                lang,
                &self.pages(),
            ));
        }
        body::parse_pairs(req.body(), FIELDS)
            .map(Fields)
            .map_err(|e| respond::failure(Failure::BadBody(e), &Mode::Html, lang, &self.pages()))
    }

    /// Counts the attempt against the client and against the number typed
    /// (whatever it is), before anything is looked up.
    async fn receipt_limits(
        &self,
        client_ip: Option<IpAddr>,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        self.rate_limit(client_ip, crate::limit::Scope::Receipt, now)
            .await?;
        let config = self.config();
        let number = TrackingNumber::parse(typed)
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|_| typed.trim().to_uppercase());
        let key = case_key(&config.ip_hash_secret, &number);
        let per_case = crate::RateLimit {
            per_window: RECEIPT_TRIES_PER_CASE,
            window: std::time::Duration::from_secs(3600),
        };
        self.count_against(&key, per_case, now).await
    }

    fn entry_page(
        &self,
        status: StatusCode,
        lang: Lang,
        typed: &str,
        problem: Option<&str>,
    ) -> Page {
        let title = w(lang, "pages.case_page_title");
        let mut page = String::new();
        let _ = writeln!(page, "<h1>{}</h1>", escape(title));
        if let Some(problem) = problem {
            let _ = writeln!(
                page,
                "<div class=\"summary\" role=\"alert\"><p><a href=\"#tracking\">{}</a></p></div>",
                escape(problem)
            );
        }
        let _ = writeln!(page, "<p>{}</p>", escape(w(lang, "pages.case_page_intro")));
        let _ = writeln!(
            page,
            "<form method=\"post\" action=\"{action}\" accept-charset=\"utf-8\">\n\
             <label for=\"tracking\">{tracking}</label>\n\
             <input id=\"tracking\" name=\"tracking\" value=\"{typed}\" autocomplete=\"off\" spellcheck=\"false\" required>\n\
             <label for=\"code\">{code}</label>\n<p id=\"code-hint\">{hint}</p>\n\
             <input id=\"code\" name=\"code\" autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"code-hint\" required>\n\
             <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
             <p><button type=\"submit\">{open}</button></p>\n</form>",
            action = escape(&self.case_url("")),
            tracking = escape(w(lang, "pages.tracking_number")),
            typed = escape(typed),
            code = escape(w(lang, "pages.receipt_code")),
            hint = escape(w(lang, "pages.receipt_code_hint")),
            lang = lang.code(),
            open = escape(w(lang, "pages.open_case")),
        );
        respond::html(
            Response::builder().status(status),
            self.pages().shells.wrap(lang, title, &page),
        )
    }

    /// The page itself: the case's status, the conversation, the reply
    /// box (while the case is open) and the survey (once it is closed).
    async fn case_view(
        &self,
        status_code: StatusCode,
        lang: Lang,
        record: &CaseRecord,
        notice: Option<&str>,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Page {
        let config = self.config();
        let rules = &config.rules;
        let case = &record.case;
        let public = status::public_status(case, rules, lang);
        let title = w(lang, "pages.case_page_title");
        let mut page = String::new();
        let _ = writeln!(
            page,
            "<h1>{} {}</h1>",
            escape(title),
            escape(case.tracking.as_str())
        );
        if let Some(notice) = notice {
            let role = if status_code.is_success() {
                "status"
            } else {
                "alert"
            };
            let _ = writeln!(
                page,
                "<div class=\"summary\" role=\"{role}\"><p>{}</p></div>",
                escape(notice)
            );
        }
        let _ = writeln!(
            page,
            "<dl>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n</dl>",
            escape(w(lang, "pages.stage")),
            escape(&public.stage.name),
            escape(w(lang, "pages.received_on")),
            public.received_on
        );
        if !public.deadlines.is_empty() {
            let _ = writeln!(
                page,
                "<table>\n<caption>{}</caption>\n<tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr>",
                escape(w(lang, "pages.time_limits")),
                escape(w(lang, "pages.step")),
                escape(w(lang, "pages.due_by")),
                escape(w(lang, "pages.done"))
            );
            // Only here, not on the public status: that the clock waits
            // says the office asked the complainant something.
            let waiting = case.waiting_since().is_some();
            for d in &public.deadlines {
                let done = if d.met {
                    "pages.yes"
                } else if waiting && d.kind == "complete" {
                    "pages.paused"
                } else {
                    "pages.no"
                };
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&d.name),
                    d.due_on,
                    escape(w(lang, done))
                );
            }
            page.push_str("</table>\n");
        }
        let _ = writeln!(
            page,
            "<h2>{}</h2>\n<ol class=\"conversation\">",
            escape(w(lang, "pages.conversation"))
        );
        for entry in conversation::entries(case, rules, lang) {
            let who = match entry.speaker {
                Speaker::You => w(lang, "pages.speaker_you"),
                Speaker::Office => w(lang, "pages.speaker_office"),
            };
            let at = rules.calendar.local(entry.at).format("%Y-%m-%d %H:%M");
            let _ = write!(
                page,
                "<li><p><strong>{}</strong> · <time>{at}</time> · {}",
                escape(who),
                escape(&entry.what)
            );
            if entry.awaits_answer {
                let _ = write!(
                    page,
                    " · <strong>{}</strong>",
                    escape(w(lang, "pages.question_waits"))
                );
            }
            page.push_str("</p>");
            if let Some(text) = entry.text {
                let _ = write!(page, "<p>{}</p>", escape(&text));
            }
            page.push_str("</li>\n");
        }
        page.push_str("</ol>\n");
        let expires = now + SESSION;
        let token = ActionToken::sign(
            &config.action_secret,
            &case.tracking,
            &Holder::Complainant,
            Action::CasePage,
            expires,
        );
        if !case.state.is_terminal() {
            // Files go with the message where this API keeps them itself
            // (`hotline serve`); the rulebook's limits are stated here too.
            let files = match (&self.evidence_files, config.rules.evidence.as_ref()) {
                (Some(_), Some(e)) => Some(e),
                _ => None,
            };
            let enctype = if files.is_some() {
                " enctype=\"multipart/form-data\""
            } else {
                ""
            };
            let file_field = files.map_or(String::new(), |e| {
                let accept: Vec<String> = e
                    .types
                    .iter()
                    .flat_map(|t| {
                        std::iter::once(t.content_type().to_string())
                            .chain(t.extensions().iter().map(|x| format!(".{x}")))
                    })
                    .collect();
                format!(
                    "<label for=\"evidence\">{label}</label>\n<p id=\"evidence-hint\">{hint}</p>\n\
                     <input id=\"evidence\" name=\"evidence\" type=\"file\" multiple accept=\"{accept}\" aria-describedby=\"evidence-hint\">\n",
                    label = escape(w(lang, "pages.add_files")),
                    hint = escape(&casework::wording::say_with(
                        "pages.add_files_hint",
                        lang,
                        &[
                            ("files", e.max_files.to_string()),
                            ("size", casework::rules::format_bytes(e.max_file_bytes)),
                            ("total", casework::rules::format_bytes(e.max_total_bytes)),
                        ],
                    )),
                    accept = escape(&accept.join(",")),
                )
            });
            let _ = writeln!(
                page,
                "<h2>{write}</h2>\n<form method=\"post\" action=\"{action}\" accept-charset=\"utf-8\"{enctype}>\n\
                 <label for=\"text\">{write}</label>\n<p id=\"text-hint\">{hint}</p>\n\
                 <textarea id=\"text\" name=\"text\" rows=\"6\" aria-describedby=\"text-hint\">{typed}</textarea>\n{file_field}\
                 <input type=\"hidden\" name=\"tracking\" value=\"{tracking}\">\n\
                 <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
                 <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
                 <p><button type=\"submit\">{send}</button></p>\n</form>",
                write = escape(w(lang, "pages.write_to_us")),
                action = escape(&self.case_url("/reply")),
                hint = escape(w(lang, "pages.write_hint")),
                typed = escape(typed),
                tracking = escape(case.tracking.as_str()),
                token = escape(&token),
                lang = lang.code(),
                send = escape(w(lang, "pages.send")),
            );
            // In production files go straight to the evidence bucket: a
            // form per kind of file, which works without JavaScript.
            if self.evidence_files.is_none()
                && let Some(grants) = self
                    .upload_grants(case, crate::uploads::Uploader::Form, now)
                    .await
            {
                page.push_str(&crate::page::bucket_upload_forms(&grants, lang));
            }
        } else if case.state == CaseState::Closed && case.satisfaction.is_none() {
            // People without e-mail are followed up here too.
            let survey = ActionToken::sign(
                &config.action_secret,
                &case.tracking,
                &Holder::Complainant,
                Action::Survey,
                expires,
            );
            let url = format!(
                "{}/cases/{}/survey?token={}&lang={}",
                config.public_base_url.trim_end_matches('/'),
                case.tracking.as_str(),
                survey,
                lang.code()
            );
            let _ = writeln!(
                page,
                "<p><a href=\"{}\">{}</a></p>",
                escape(&url),
                escape(w(lang, "pages.rate_handling"))
            );
        }
        let mut response = respond::html(
            Response::builder().status(status_code),
            self.pages()
                .shells
                .wrap(lang, &format!("{title} {}", case.tracking.as_str()), &page),
        );
        // What is on this page is the complainant's alone.
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        response
    }

    fn case_url(&self, rest: &str) -> String {
        format!(
            "{}/case{rest}",
            self.config().public_base_url.trim_end_matches('/')
        )
    }
}

/// The counter of attempts on one tracking number: keyed by an HMAC, so
/// the counter table holds no tracking numbers.
fn case_key(secret: &str, number: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("unkeyed");
    };
    mac.update(b"receipt-case\n");
    mac.update(number.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn lang(&self, req: &Request<Bytes>) -> Lang {
        respond::request_lang(req, Some(&self.get("lang")))
    }
}
