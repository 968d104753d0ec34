//! The intake API inside `hotline serve`: the same router the Lambda runs,
//! over an embedded SQLite store and an outbox folder of `.eml` files, both
//! under `.hotline/` in the project (ignored by git).

use anyhow::{Context as _, anyhow};
use axum::body::Body;
use axum::response::IntoResponse;
use casestore::sqlite::SqliteStore;
use intake::{Api, ApiConfig, MAX_BODY_BYTES, RateLimit};
use mail::OutboxMailer;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Where local cases and mail are kept, relative to the project root.
pub const DATA_DIR: &str = ".hotline";

/// Builds the `/api` router for a preview on `addr`.
pub fn router(root: &Path, addr: SocketAddr) -> anyhow::Result<axum::Router> {
    let rules_path = Path::new(casework::rules::RULES_PATH);
    let text = std::fs::read_to_string(root.join(rules_path))
        .with_context(|| format!("reading {}", rules_path.display()))?;
    let (rules, _) = casework::rules::parse_rules(rules_path, &text)
        .map_err(|_| anyhow!("{} has errors: run `hotline check`", rules_path.display()))?;
    let data = root.join(DATA_DIR);
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let store = SqliteStore::open(data.join("cases.sqlite"))
        .map_err(|e| anyhow!("opening the local case store: {e}"))?;
    let outbox = data.join("outbox");
    let mailer = OutboxMailer::new(&outbox, "hotline@localhost");
    let origin = format!("http://{addr}");
    let config = ApiConfig {
        rules: Arc::new(rules),
        site_origin: origin.clone(),
        thanks_url: "/thanks/".into(),
        status_page_url: "/status/".into(),
        public_base_url: format!("{origin}/api"),
        // Local previews are one person clicking; the limit only guards typos in scripts.
        rate_limit: RateLimit {
            per_window: 10_000,
            window: Duration::from_secs(60),
        },
        ip_hash_secret: format!("{:032x}", rand::random::<u128>()),
    };
    println!(
        "Intake API on {origin}/api: cases in {}, mail in {}",
        data.join("cases.sqlite").display(),
        outbox.display()
    );
    let api = Arc::new(Api::with_default_form(config, store, mailer));
    Ok(
        axum::Router::new().fallback(move |req: axum::extract::Request| {
            let api = Arc::clone(&api);
            async move {
                let (parts, body) = req.into_parts();
                // One byte over the limit is enough to know the body is too large.
                let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
                    Ok(bytes) => bytes,
                    Err(_) => {
                        return (
                            http::StatusCode::PAYLOAD_TOO_LARGE,
                            "request body too large",
                        )
                            .into_response();
                    }
                };
                let request = http::Request::from_parts(parts, bytes);
                let response = api.handle(request, None, chrono::Utc::now()).await;
                response.map(Body::from)
            }
        }),
    )
}
