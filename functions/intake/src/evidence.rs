//! A department downloads a file of a case's evidence through the signed
//! link in its mail.
//!
//! The token is checked before the case is looked up (`open_link`), the
//! link works only for the department that handles the case now and only
//! while the case is open, and the file is served so that a browser can
//! never run it: its own type from the checked copy, `nosniff`, a policy
//! that allows nothing, and PDFs only as downloads. The public status
//! never reaches this: it shows how many files a case has, not the files.

use crate::Api;
use crate::respond::{self, Failure};
use crate::submit::store_failure;
use bytes::Bytes;
use casestore::Store;
use casework::action_token::{Action, Holder};
use casework::wording::say;
use chrono::{DateTime, Utc};
use http::{Request, Response, StatusCode, header};
use mail::Mailer;

/// Nothing in a downloaded file may run, load or be framed.
pub const EVIDENCE_POLICY: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

impl<S: Store, M: Mailer> Api<S, M> {
    pub(crate) async fn evidence_download(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        number: &str,
        now: DateTime<Utc>,
    ) -> Response<Bytes> {
        let lang = respond::request_lang(req, None);
        let record = match self
            .open_link(req, typed, Action::Evidence, lang, now, |case| {
                Holder::Department(case.department.clone())
            })
            .await
        {
            Ok(r) => r,
            Err(page) => return page,
        };
        let case = &record.case;
        if case.state.is_terminal() {
            return self.notice(
                lang,
                StatusCode::GONE,
                &[say("pages.link_evidence_case_ended").get(lang)],
            );
        }
        let item = number
            .parse::<u32>()
            .ok()
            .and_then(|n| case.evidence.iter().find(|i| i.number == n));
        let not_found = || {
            self.notice(
                lang,
                StatusCode::NOT_FOUND,
                &[say("pages.link_no_such_file").get(lang)],
            )
        };
        let Some(item) = item else {
            return not_found();
        };
        if let Some(answer) = self.bucket_download(case, item, now).await {
            return answer.unwrap_or_else(|e| {
                tracing::error!(error = %e, "no credentials to sign an evidence link");
                respond::failure(
                    Failure::Unavailable,
                    &crate::body::Mode::Html,
                    lang,
                    &self.pages(),
                )
            });
        }
        let Some(files) = &self.evidence_files else {
            tracing::error!(tracking = %case.tracking, "evidence asked for, but no evidence files are configured");
            return respond::failure(
                Failure::Unavailable,
                &crate::body::Mode::Html,
                lang,
                &self.pages(),
            );
        };
        let bytes = match files.get(&item.sha256) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                tracing::error!(tracking = %case.tracking, number = item.number, "evidence file missing from its store");
                return not_found();
            }
            Err(e) => {
                return respond::failure(
                    store_failure(&e),
                    &crate::body::Mode::Html,
                    lang,
                    &self.pages(),
                );
            }
        };
        let name = item.file_name(&case.tracking);
        // Images open in the browser (they hold only pixels now); a PDF is
        // only ever saved, never shown inside the site's origin.
        let disposition = if item.kind.is_image() {
            format!("inline; filename=\"{name}\"")
        } else {
            format!("attachment; filename=\"{name}\"")
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, item.kind.content_type())
            .header(header::CONTENT_DISPOSITION, disposition)
            .header(header::CONTENT_SECURITY_POLICY, EVIDENCE_POLICY)
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(Bytes::from(bytes))
            .unwrap_or_else(|_| Response::new(Bytes::new()))
    }
}
