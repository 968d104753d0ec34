//! The intake API inside `hotline serve`: the same router the Lambda runs,
//! over an embedded SQLite store, an outbox folder of `.eml` files and one
//! of `.txt` text messages, all under `.hotline/` in the project (ignored
//! by git). The secret that signs
//! the action links in mails is kept there too (see
//! [`stores::action_secret`]), so the links in the outbox keep working after
//! a restart; the API's pages wear the site's look from the build's page
//! shells.

use crate::stores::{self, DataDir};
use anyhow::{Context as _, anyhow};
use axum::body::Body;
use axum::response::IntoResponse;
use casestore::sqlite::SqliteStore;
use intake::{Api, ApiConfig, MAX_BODY_BYTES, RateLimit};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Cases whose mail may wait for the mail worker; beyond that it waits
/// for the reminder loop's outbox pass.
const MAIL_QUEUE: usize = 4096;

/// How long a client may take to send a request's body once its headers
/// are in; a slower one gets 408.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the `/api` router for a preview on `addr`, holding each client
/// (by its connection's address) to `limit` on each of the API's counters.
pub fn router(root: &Path, addr: SocketAddr, limit: RateLimit) -> anyhow::Result<axum::Router> {
    let rules = stores::read_rules(root)?;
    let data = DataDir::of(root);
    std::fs::create_dir_all(&data.0).with_context(|| format!("creating {}", data.0.display()))?;
    let store = SqliteStore::open_for_preview(data.cases())
        .map_err(|e| anyhow!("opening the local case store: {e}"))?;
    let outbox = data.outbox();
    let mailer = stores::local_post(&data);
    let action_secret = stores::action_secret(&data)?;
    let shells = page_shells(root);
    let origin = format!("http://{addr}");
    // Staff commands on this store build their mails' links on it.
    stores::note_public_base_url(&data, &format!("{origin}/api"))?;
    let config = ApiConfig {
        rules: Arc::new(rules),
        site_origin: origin.clone(),
        thanks_url: "/thanks/".into(),
        status_page_url: "/status/".into(),
        public_base_url: format!("{origin}/api"),
        rate_limit: limit,
        link_rate_limit: limit,
        ipv6_prefix: intake::limit::DEFAULT_IPV6_PREFIX,
        ip_hash_secret: format!("{:032x}", rand::random::<u128>()),
        action_secret,
        shells,
    };
    println!(
        "Intake API on {origin}/api: cases in {}, mail in {}, texts in {}",
        data.cases().display(),
        outbox.display(),
        data.texts().display()
    );
    // The reminder loop: remind's run_once every minute.
    super::reminder::spawn(
        Arc::clone(&config.rules),
        data.clone(),
        config.public_base_url.clone(),
        config.action_secret.clone(),
    );
    // The answer does not wait for the mail: a worker writes it right
    // after (the reminder loop picks up whatever it could not).
    let evidence = casestore::evidence::DirEvidence::new(data.evidence());
    let (api, mail_worker) = Api::with_default_form(config, store, mailer)
        .with_evidence_files(Arc::new(evidence))
        .with_background_delivery(MAIL_QUEUE);
    intake::run_mail_worker(mail_worker).context("starting the mail worker")?;
    let sources = Arc::new(Sources {
        root: root.to_path_buf(),
        seen: Mutex::new(Stamp::of(root)),
    });
    Ok(
        axum::Router::new().fallback(move |req: axum::extract::Request| {
            let api = Arc::clone(&api);
            let sources = Arc::clone(&sources);
            async move {
                // The preview rebuilds on every edit: the API follows the
                // rulebook and shells of the latest build before answering.
                let refresh = {
                    let api = Arc::clone(&api);
                    tokio::task::spawn_blocking(move || sources.refresh(&api))
                };
                let _ = refresh.await;
                let client = req
                    .extensions()
                    .get::<axum::extract::ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip());
                let (parts, body) = req.into_parts();
                // One byte over the limit is enough to know the body is too large.
                // Forms with files may be larger (the rulebook's `[evidence]`).
                let read = axum::body::to_bytes(body, api.max_body_bytes().max(MAX_BODY_BYTES) + 1);
                let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(_)) => {
                        return (
                            http::StatusCode::PAYLOAD_TOO_LARGE,
                            "request body too large",
                        )
                            .into_response();
                    }
                    Err(_) => {
                        return (http::StatusCode::REQUEST_TIMEOUT, "request body too slow")
                            .into_response();
                    }
                };
                let request = http::Request::from_parts(parts, bytes);
                let response = api.handle(request, client, chrono::Utc::now()).await;
                response.map(Body::from)
            }
        }),
    )
}

/// When the files the API reads from a build were last changed: the
/// rulebook (rules, deadlines, routing) and the site settings (the shells'
/// navigation and titles).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Vec<Option<(std::time::SystemTime, u64)>>);

impl Stamp {
    fn of(root: &Path) -> Stamp {
        let watched = [casework::rules::RULES_PATH, "content/site.toml"];
        Stamp(
            watched
                .iter()
                .map(|path| {
                    let meta = std::fs::metadata(root.join(path)).ok()?;
                    Some((meta.modified().ok()?, meta.len()))
                })
                .collect(),
        )
    }
}

/// What the running API was configured from.
struct Sources {
    root: std::path::PathBuf,
    seen: Mutex<Stamp>,
}

impl Sources {
    /// Gives the API the rulebook and shells of the current sources when
    /// they changed since last seen. A rulebook with errors keeps the last
    /// good one: the preview shows the build error meanwhile.
    fn refresh<S: casestore::Store, M: mail::Mailer>(&self, api: &Api<S, M>) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Stamp::of(&self.root);
        if *seen == now {
            return;
        }
        *seen = now;
        let rules_path = Path::new(casework::rules::RULES_PATH);
        let Ok(text) = std::fs::read_to_string(self.root.join(rules_path)) else {
            return;
        };
        let Ok((rules, _)) = casework::rules::parse_rules(rules_path, &text) else {
            println!(
                "The API keeps the last good rulebook until {} is fixed",
                rules_path.display()
            );
            return;
        };
        let mut config = (*api.config()).clone();
        config.rules = Arc::new(rules);
        config.shells = page_shells(&self.root);
        api.reconfigure(config);
        println!("The API now follows the edited rulebook and site settings");
    }
}

/// The page shells from a build of the site, so the API's pages look like
/// the preview; the built-in page when the build fails or has none.
/// Read again when the rulebook or site settings change; a template edit
/// alone shows in the API's pages after a restart.
fn page_shells(root: &Path) -> intake::PageShells {
    let files = match super::preview::build(root) {
        Ok(files) => files,
        Err(_) => {
            println!("The site does not build yet: the API's pages use the built-in look");
            return intake::PageShells::builtin();
        }
    };
    let (shells, warnings) = intake::PageShells::from_files(|path| {
        files
            .get(path)
            .and_then(|bytes| String::from_utf8(bytes.clone()).ok())
    });
    for w in warnings {
        println!("{w}");
    }
    shells
}
