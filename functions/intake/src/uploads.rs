//! The evidence bucket, as intake uses it in production: upload grants in
//! the answer to a filed case, and a department's download sent on to a
//! short-lived presigned GET.
//!
//! Configured with [`Api::with_evidence_bucket`] (the Lambda binary does,
//! when `HOTLINE_EVIDENCE_BUCKET` is set); `hotline serve` keeps files in a
//! folder instead and never reaches this. The signing is
//! `office::upload_grant`'s; here are only the credentials (from the SDK's
//! provider at the edge, behind [`CredentialSource`]) and the HTTP side.
//!
//! Downloads are a 303 to the bucket rather than streamed: a Lambda
//! answer holds at most 6 MB (less once binary is base64-encoded), under
//! the rulebook's largest file. The link lives [`DOWNLOAD_LIFETIME`], is
//! signed only after the department's token and the case's state were
//! checked, and makes S3 answer with the file's own type and, for a PDF,
//! as a download; S3 serves it from its own origin, never the site's.

use crate::Api;
use casestore::Store;
use casework::evidence::EvidenceItem;
use casework::lifecycle::Case;
use chrono::{DateTime, Utc};
use http::{Response, StatusCode, header};
use mail::Mailer;
use office::upload_grant::{
    self, Credentials, DOWNLOAD_LIFETIME, Grant, GrantSettings, evidence_key,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Where the signing credentials come from: the SDK's provider in the
/// Lambda (role credentials rotate, so they are asked for each time; the
/// provider caches them), fixed ones in tests.
pub trait CredentialSource: Send + Sync {
    fn credentials(&self)
    -> Pin<Box<dyn Future<Output = Result<Credentials, String>> + Send + '_>>;
}

/// Credentials that never change, for tests and local endpoints.
pub struct FixedCredentials(pub Credentials);

impl CredentialSource for FixedCredentials {
    fn credentials(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Credentials, String>> + Send + '_>> {
        let credentials = self.0.clone();
        Box::pin(async move { Ok(credentials) })
    }
}

/// The bucket, how grants are made for it, and the credentials to sign with.
#[derive(Clone)]
pub struct EvidenceBucket {
    pub grants: GrantSettings,
    pub credentials: Arc<dyn CredentialSource>,
}

/// What posts the files a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploader {
    /// The form's script, which reads S3's answer itself.
    Script,
    /// A form without script: S3 sends the browser on to the redirect.
    Form,
}

impl<S: Store, M: Mailer> Api<S, M> {
    /// Grants uploads to, and sends downloads on to, `bucket`.
    pub fn with_evidence_bucket(mut self, bucket: EvidenceBucket) -> Self {
        self.evidence_bucket = Some(Arc::new(bucket));
        self
    }

    /// Upload grants for an open case, as many as it may still take:
    /// `None` without a bucket or where the rulebook takes no files. A
    /// failure to get credentials is logged and answered with no grants:
    /// the case is filed either way. Only a form's grants carry the
    /// redirect: the script reads S3's own 204, and an upload that S3
    /// answered by sending the script elsewhere would look failed to it.
    pub async fn upload_grants(
        &self,
        case: &Case,
        sender: Uploader,
        now: DateTime<Utc>,
    ) -> Option<Vec<Grant>> {
        let bucket = self.evidence_bucket.as_ref()?;
        let config = self.config();
        let rules = config.rules.evidence.as_ref()?;
        let left = rules.max_files.saturating_sub(case.evidence.len() as u32);
        if case.state.is_terminal() || left == 0 {
            return Some(Vec::new());
        }
        let credentials = match bucket.credentials.credentials().await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "no credentials to sign upload grants");
                return Some(Vec::new());
            }
        };
        let settings = match sender {
            Uploader::Form => bucket.grants.clone(),
            Uploader::Script => upload_grant::GrantSettings {
                redirect: None,
                ..bucket.grants.clone()
            },
        };
        Some(upload_grant::upload_grants(
            &settings,
            &credentials,
            rules,
            &case.tracking,
            left,
            now,
            &mut rand::rng(),
        ))
    }

    /// The department's download in production: a 303 to the checked copy
    /// in the bucket; `None` without a bucket.
    pub(crate) async fn bucket_download(
        &self,
        case: &Case,
        item: &EvidenceItem,
        now: DateTime<Utc>,
    ) -> Option<Result<Response<bytes::Bytes>, String>> {
        let bucket = self.evidence_bucket.as_ref()?;
        let credentials = match bucket.credentials.credentials().await {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        let name = item.file_name(&case.tracking);
        let disposition = if item.kind.is_image() {
            format!("inline; filename=\"{name}\"")
        } else {
            format!("attachment; filename=\"{name}\"")
        };
        let url = upload_grant::presigned_get(
            &bucket.grants.bucket,
            &credentials,
            &evidence_key(&item.sha256),
            item.kind.content_type(),
            &disposition,
            DOWNLOAD_LIFETIME,
            now,
        );
        Some(Ok(Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, url)
            // The link is a credential for a few minutes: kept by no one.
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(bytes::Bytes::new())
            .unwrap_or_else(|_| Response::new(bytes::Bytes::new()))))
    }
}
