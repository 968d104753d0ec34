//! The intake Lambda function: the public API behind an HTTP API.
//!
//! `main` reads the configuration (through `office::settings`) and builds the store, the mailer and the
//! API once; each event is then a call of [`Api::handle`]. Environment:
//! - `HOTLINE_SITE_ORIGIN` (required): the site, e.g. `https://12345.example.gov.cn`;
//! - `HOTLINE_PUBLIC_BASE_URL` (required): the API root as the public sees it;
//! - `HOTLINE_MAIL_FROM` (required): the verified SES sender;
//! - `HOTLINE_IP_HASH_SECRET` (required): keys the rate-limit hash;
//! - `HOTLINE_TABLE` (required): the DynamoDB table;
//! - `HOTLINE_THANKS_URL` (default `/thanks/`), `HOTLINE_STATUS_PAGE_URL`
//!   (default `{site origin}/status/`);
//! - `HOTLINE_RATE_LIMIT` (default `20`) requests per `HOTLINE_RATE_WINDOW_SECS`
//!   (default `600`);
//! - `HOTLINE_LINK_RATE_LIMIT` (default `60`) requests to the signed links'
//!   pages (actions, survey) per `HOTLINE_RATE_WINDOW_SECS`, counted apart;
//! - `HOTLINE_IPV6_PREFIX` (default `64`): the IPv6 prefix length counted as
//!   one client (`intake::limit::client_network`);
//! - `HOTLINE_API_PREFIX` (default `/api`): stripped from request paths;
//! - `HOTLINE_ACTION_SECRET` (required, at least 32 characters): signs the
//!   action and survey links in mails; the remind function needs the same
//!   value, and changing it voids every link already sent;
//! - `HOTLINE_ORIGIN_SECRET` (optional): the value CloudFront sends in
//!   `X-Origin-Verify`; with it, a request carrying it counts against the
//!   visitor's address from `CloudFront-Viewer-Address` instead of the
//!   edge server's (see `intake::limit::client_address`);
//! - `HOTLINE_EVIDENCE_BUCKET` (optional): the evidence bucket; with it,
//!   the answer to a filed case carries upload grants into its quarantine
//!   and a department's download is sent on to the bucket
//!   (`intake::uploads`); `HOTLINE_EVIDENCE_UPLOAD_REDIRECT` (optional) is
//!   where S3 sends a browser after an upload without JavaScript;
//! - `HOTLINE_PAGE_SHELLS` (optional): a folder holding the site build's
//!   `_shell/index.html` and `en/_shell/index.html`, so the API's pages
//!   wear the site's look; without it (or them) a plain built-in page is
//!   used and a warning logged.
//!
//! The rulebook is compiled in, so the rules enforced are the rules published.

use anyhow::bail;
use bytes::Bytes;
use intake::{Api, ApiConfig, PageShells, RateLimit};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use office::settings::{self, Deployment, env, env_or, var};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

const RULES: &str = include_str!("../../../content/rules.toml");

#[tokio::main]
async fn main() -> Result<(), Error> {
    settings::init_lambda_tracing();

    let deployment = Deployment::from_env()?;
    let prefix = env_or(var::API_PREFIX, "/api");
    // Mail through SES, texts through End User Messaging SMS: the
    // rulebook's `[text_messages]` decides whether texts are queued at all.
    let mailer = mail::Post::new(
        mail::SesMailer::from_env(deployment.mail_from.clone()).await,
        mail::SmsTexter::from_env(
            settings::env_opt(var::SMS_ORIGINATION_IDENTITY),
            settings::env_opt(var::SMS_CONFIGURATION_SET),
        )
        .await,
    );
    let store = casestore::dynamodb::DynamoStore::from_env(deployment.table.clone()).await;
    let config = config_from_env(deployment)?;
    // Every store call ends by the invocation's deadline (see `handle`).
    let store =
        casestore::deadline::Bounded::new(store.with_retention_years(config.rules.retention.years));
    let mut api = Api::with_default_form(config, store, mailer);
    if let Some(bucket) = evidence_bucket_from_env().await {
        api = api.with_evidence_bucket(bucket);
    }
    let api = Arc::new(api);
    let origin_secret: Arc<Option<String>> = Arc::new(settings::env_opt(var::ORIGIN_SECRET));

    lambda_http::run(service_fn(move |event: Request| {
        let api = Arc::clone(&api);
        let origin_secret = Arc::clone(&origin_secret);
        let prefix = prefix.clone();
        async move { handle(&api, &prefix, origin_secret.as_deref(), event).await }
    }))
    .await
}

/// One event: from lambda_http's request to the API's and back.
async fn handle<S: casestore::Store, M: mail::Mailer>(
    api: &Api<S, M>,
    prefix: &str,
    origin_secret: Option<&str>,
    event: Request,
) -> Result<Response<Body>, Error> {
    let deadline = answer_deadline(&event);
    let header = |name: &str| event.headers().get(name).and_then(|v| v.to_str().ok());
    let client_ip = intake::limit::client_address(
        source_ip(&event),
        header(intake::limit::VIEWER_ADDRESS_HEADER),
        header(intake::limit::ORIGIN_SECRET_HEADER),
        origin_secret,
    );
    let (mut parts, body) = event.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    parts.uri = strip_prefix(&parts.uri, prefix);
    let req = http::Request::from_parts(parts, body);
    let work = api.handle(req, client_ip, chrono::Utc::now());
    let response = match deadline {
        Some(deadline) => casestore::deadline::within(deadline, work).await,
        None => work.await,
    };
    let (parts, body) = response.into_parts();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    Ok(Response::from_parts(parts, body))
}

/// Time kept back from the invocation's deadline for the answer to reach
/// the runtime: past the deadline Lambda cuts the function off, and the
/// visitor sees an error even for a case that was stored.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// When this event's work must end: the invocation's deadline less
/// [`ANSWER_MARGIN`]. Store calls still running then give up (503 with
/// Retry-After, like a store outage), and mail that cannot be sent by
/// then stays pending for the remind function's outbox pass.
fn answer_deadline(event: &Request) -> Option<tokio::time::Instant> {
    let ctx = event.lambda_context_ref()?;
    let left = ctx
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(tokio::time::Instant::now() + left.saturating_sub(ANSWER_MARGIN))
}

fn source_ip(event: &Request) -> Option<IpAddr> {
    use lambda_http::request::RequestContext;
    let ip = match event.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.clone(),
        _ => None,
    }?;
    ip.parse().ok()
}

/// The API answers paths relative to its root.
fn strip_prefix(uri: &http::Uri, prefix: &str) -> http::Uri {
    let path = uri.path();
    let Some(rest) = path.strip_prefix(prefix).filter(|r| r.starts_with('/')) else {
        return uri.clone();
    };
    let rebuilt = match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    rebuilt.parse().unwrap_or_else(|_| uri.clone())
}

/// The evidence bucket, when `HOTLINE_EVIDENCE_BUCKET` is set, signed for
/// with the role's credentials as the SDK provides them.
async fn evidence_bucket_from_env() -> Option<intake::uploads::EvidenceBucket> {
    let name = settings::env_opt(var::EVIDENCE_BUCKET)?;
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let region = shared.region().map(|r| r.to_string()).unwrap_or_default();
    let provider = shared.credentials_provider()?;
    Some(intake::uploads::EvidenceBucket {
        grants: office::upload_grant::GrantSettings {
            bucket: office::upload_grant::Bucket {
                name,
                region,
                endpoint: settings::env_opt("AWS_ENDPOINT_URL"),
            },
            lifetime: office::upload_grant::MAX_GRANT_LIFETIME,
            redirect: settings::env_opt(var::EVIDENCE_UPLOAD_REDIRECT),
        },
        credentials: Arc::new(SdkCredentials(provider)),
    })
}

/// The SDK's credentials provider (cached, refreshed before expiry).
struct SdkCredentials(aws_credential_types::provider::SharedCredentialsProvider);

impl intake::uploads::CredentialSource for SdkCredentials {
    fn credentials(
        &self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<office::upload_grant::Credentials, String>>
                + Send
                + '_,
        >,
    > {
        use aws_credential_types::provider::ProvideCredentials;
        Box::pin(async move {
            let c = self
                .0
                .provide_credentials()
                .await
                .map_err(|e| e.to_string())?;
            Ok(office::upload_grant::Credentials {
                access_key_id: c.access_key_id().to_string(),
                secret_access_key: c.secret_access_key().to_string(),
                session_token: c.session_token().map(str::to_string),
            })
        })
    }
}

fn config_from_env(deployment: Deployment) -> anyhow::Result<ApiConfig> {
    let rules = settings::compiled_rulebook(RULES)?;
    let site_origin = env(var::SITE_ORIGIN)?;
    let secret = env(var::IP_HASH_SECRET)?;
    if secret.len() < 16 {
        bail!("{} must be at least 16 characters", var::IP_HASH_SECRET);
    }
    let window = Duration::from_secs(settings::env_number(var::RATE_WINDOW_SECS, 600)?);
    let shells = match std::env::var_os(var::PAGE_SHELLS) {
        Some(dir) => {
            let (shells, warnings) = PageShells::from_dir(std::path::Path::new(&dir));
            for w in warnings {
                tracing::warn!("{w}");
            }
            shells
        }
        None => {
            tracing::warn!(
                "{} is not set: the API's pages use the built-in look",
                var::PAGE_SHELLS
            );
            PageShells::builtin()
        }
    };
    Ok(ApiConfig {
        rules: Arc::new(rules),
        thanks_url: env_or(var::THANKS_URL, "/thanks/"),
        status_page_url: settings::status_page_url()?,
        public_base_url: deployment.public_base_url,
        rate_limit: RateLimit {
            per_window: settings::env_number(var::RATE_LIMIT, 20)?,
            window,
        },
        link_rate_limit: RateLimit {
            per_window: settings::env_number(var::LINK_RATE_LIMIT, 60)?,
            window,
        },
        ipv6_prefix: settings::env_number(var::IPV6_PREFIX, intake::limit::DEFAULT_IPV6_PREFIX)?,
        ip_hash_secret: secret,
        action_secret: deployment.action_secret,
        shells,
        site_origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_prefix_is_stripped_once() {
        let uri: http::Uri = "/api/cases/SL-1?lang=en".parse().expect("uri");
        assert_eq!(
            strip_prefix(&uri, "/api").to_string(),
            "/cases/SL-1?lang=en"
        );
        let other: http::Uri = "/apix/cases".parse().expect("uri");
        assert_eq!(strip_prefix(&other, "/api").to_string(), "/apix/cases");
    }

    #[test]
    fn the_compiled_in_rulebook_parses() {
        assert!(settings::compiled_rulebook(RULES).is_ok());
    }
}
