//! The preview of `hotline serve`: builds the site into memory, serves it,
//! rebuilds when anything under `content/` changes (the theme override
//! folder included), and tells the open pages to reload over server-sent
//! events. A build error is printed in the terminal and shown over the page.
//!
//! Search works in the preview as in a build: the search pages are part of
//! every rebuild, and when Pagefind is installed a background thread indexes
//! the last good build (written to `.hotline/preview/`) after each rebuild,
//! so a rebuild never waits for it. Until the new index is in, the previous
//! one is served.
//!
//! The intake API is not part of this module: [`run`] takes a router and
//! mounts it under `/api`, so the same server can accept complaints locally.
//!
//! What keeps the preview safe to leave running: every answer carries the
//! production security headers (`intake::headers`, the plain-HTTP set);
//! a request whose `Host` is not an address, `localhost` or a name given
//! with `--allow-host` is refused, so a web page cannot use DNS rebinding
//! to read the preview (its cases included) from a visitor's browser; a
//! client gets [`HEADER_READ_TIMEOUT`] to send its request's headers, and
//! at most [`MAX_CONNECTIONS`] connections are served at once.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hotline_site::output::{self, Sink as _};
use hotline_site::{BuildError, Site, Sources, Target, search};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

pub struct Options {
    /// The project root, holding `content/`.
    pub root: PathBuf,
    pub addr: SocketAddr,
    /// Host names answered besides addresses and `localhost`.
    pub allowed_hosts: Vec<String>,
}

/// How long a client may take to send a request's headers; a slower one
/// is disconnected, so slow connections cannot pile up.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once (each open page's reload stream is one);
/// more are closed on arrival.
pub const MAX_CONNECTIONS: usize = 256;

/// Whether a request's `Host` may be answered: an IP address (DNS
/// rebinding needs a name), `localhost`, or one of `allowed` (without
/// port, any case).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim();
    if host.starts_with('[') {
        // An IPv6 literal, with or without a port.
        return host
            .strip_prefix('[')
            .and_then(|h| h.split_once(']'))
            .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if name.is_empty() {
        return false;
    }
    name.parse::<std::net::IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot watch content/: {0}")]
    Watch(#[from] notify::Error),
    #[error("server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// The last good build, and the error of the last build if it failed.
#[derive(Default)]
pub struct Live {
    pub files: BTreeMap<String, Vec<u8>>,
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub live: Arc<RwLock<Live>>,
    pub reload: broadcast::Sender<()>,
}

/// Where the pages listen for reloads.
const EVENTS_PATH: &str = "/__hotline/events";
/// The reload script and the build-error overlay's style: files, not
/// inline, so the production Content-Security-Policy holds in the preview.
const RELOAD_SCRIPT_PATH: &str = "/__hotline/reload.js";
const OVERLAY_STYLE_PATH: &str = "/__hotline/overlay.css";
const RELOAD_SCRIPT: &str = "new EventSource(\"/__hotline/events\").addEventListener(\"reload\", () => location.reload());\n";
const OVERLAY_STYLE: &str = ".hotline-build-error{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;background:#fff0f0;color:#600;border-top:4px solid #c00;padding:1rem;z-index:9999}.hotline-build-error pre{white-space:pre-wrap}\n";

/// Builds the site in memory for the office's date now; `Err` is the
/// report to show.
pub fn build(root: &std::path::Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let sources = Sources::read(root).map_err(|e| format!("reading content/: {e}"))?;
    match Site::build(&sources, chrono::Utc::now(), Target::Memory, |_| {}) {
        Ok(built) => Ok(built.files),
        Err(BuildError::Load(d) | BuildError::Templates { errors: d, .. }) => {
            Err(output::report(&d))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Where the search index of the preview lives in the served files.
const INDEX_PREFIX: &str = "pagefind/";

/// Where the preview's pages are written for Pagefind, under the project root.
const INDEX_SITE_DIR: &str = ".hotline/preview";

/// Rebuilds and stores the result; returns how long it took.
pub fn rebuild(root: &std::path::Path, state: &AppState) -> Duration {
    let start = Instant::now();
    let result = build(root);
    let took = start.elapsed();
    {
        let mut live = state.live.write().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(files) => {
                // The last index stays until the background indexer replaces it.
                let previous = std::mem::replace(&mut live.files, files);
                live.files.extend(
                    previous
                        .into_iter()
                        .filter(|(path, _)| path.starts_with(INDEX_PREFIX)),
                );
                live.error = None;
                println!("Rebuilt in {} ms", took.as_millis());
            }
            Err(report) => {
                eprint!("{report}");
                eprintln!("Build failed; still serving the last good build");
                live.error = Some(report);
            }
        }
    }
    let _ = state.reload.send(());
    took
}

/// The preview router; `api` is mounted under `/api`. Every answer goes
/// through [`guard`]: the `Host` check and the security headers.
pub fn router(state: AppState, api: Router, allowed_hosts: Vec<String>) -> Router {
    let site = Router::new()
        .route(EVENTS_PATH, get(events))
        .route(
            RELOAD_SCRIPT_PATH,
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    RELOAD_SCRIPT,
                )
            }),
        )
        .route(
            OVERLAY_STYLE_PATH,
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    OVERLAY_STYLE,
                )
            }),
        )
        .fallback(get(file))
        .with_state(state);
    site.nest("/api", api)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed_hosts),
            guard,
        ))
}

/// Refuses a request for a host the preview is not (421), and puts the
/// security headers on every answer.
async fn guard(
    State(allowed): State<Arc<Vec<String>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let mut response = match host {
        Some(h) if host_allowed(&h, &allowed) => next.run(req).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This preview answers only to its own address, localhost, and the names given with --allow-host.\n",
        )
            .into_response(),
    };
    intake::headers::apply(response.headers_mut(), false);
    response
}

/// Serves until interrupted.
pub async fn run(opts: Options, api: Router) -> Result<(), ServeError> {
    let (reload, _) = broadcast::channel(16);
    let state = AppState {
        live: Arc::default(),
        reload,
    };
    rebuild(&opts.root, &state);
    let index = indexer(opts.root.clone(), state.clone());
    let _ = index.send(());

    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !matches!(event.kind, notify::EventKind::Access(_))
        {
            let _ = tx.send(());
        }
    })?;
    notify::Watcher::watch(
        &mut watcher,
        &opts.root.join("content"),
        notify::RecursiveMode::Recursive,
    )?;
    let watch_state = state.clone();
    let root = opts.root.clone();
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            // An editor's save is often several events: take them as one.
            std::thread::sleep(Duration::from_millis(15));
            while rx.try_recv().is_ok() {}
            rebuild(&root, &watch_state);
            let _ = index.send(());
        }
    });

    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|e| ServeError::Bind(opts.addr, e))?;
    println!("Serving on http://{} (Ctrl+C to stop)", opts.addr);
    serve(
        listener,
        router(state, api, opts.allowed_hosts),
        HEADER_READ_TIMEOUT,
        tokio::signal::ctrl_c(),
    )
    .await;
    drop(watcher);
    Ok(())
}

/// Accepts connections until `stop`, each served by hyper with the header
/// time-out; the client's address reaches the handlers as `ConnectInfo`
/// (the API's rate limit counts by it).
async fn serve<F: std::future::Future>(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: F,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A connection that failed before it was accepted (reset, or
                // out of file descriptors): the next one may do better.
                Err(_) => continue,
            },
            _ = &mut stop => return,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(remote));
                    let mut app = app.clone();
                    async move { tower_service::Service::call(&mut app, req).await }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

/// Starts the background indexer; each message asks it to index the
/// current build. Requests that arrive while it works are taken as one, so
/// a burst of saves costs one more index, not one per save.
fn indexer(root: PathBuf, state: AppState) -> std::sync::mpsc::Sender<()> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let dir = root.join(INDEX_SITE_DIR);
        while rx.recv().is_ok() {
            while rx.try_recv().is_ok() {}
            let pages: Vec<(String, Vec<u8>)> = {
                let live = state.live.read().unwrap_or_else(|e| e.into_inner());
                live.files
                    .iter()
                    .filter(|(path, _)| path.ends_with(".html"))
                    .map(|(path, bytes)| (path.clone(), bytes.clone()))
                    .collect()
            };
            let written = (|| {
                let staged = output::Staged::new(&dir)?;
                for (path, bytes) in &pages {
                    staged.put(path, bytes)?;
                }
                staged.finish()
            })();
            if let Err(e) = written {
                eprintln!("Search: cannot write {}: {e}", dir.display());
                continue;
            }
            let outcome = search::index(&dir);
            println!("{outcome}");
            match outcome {
                search::Indexed::Done { .. } => {}
                // Without Pagefind there is nothing to retry on the next save.
                search::Indexed::Missing => return,
                search::Indexed::Failed(_) => continue,
            }
            let mut index = Vec::new();
            if let Err(e) = read_tree(&dir.join(INDEX_PREFIX), INDEX_PREFIX, &mut index) {
                eprintln!("Search: cannot read the index: {e}");
                continue;
            }
            let mut live = state.live.write().unwrap_or_else(|e| e.into_inner());
            live.files.retain(|path, _| !path.starts_with(INDEX_PREFIX));
            live.files.extend(index);
        }
    });
    tx
}

/// Every file under `dir`, as (`prefix` + path with `/`, bytes).
fn read_tree(
    dir: &std::path::Path,
    prefix: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            read_tree(&entry.path(), &format!("{name}/"), out)?;
        } else {
            out.push((name, std::fs::read(entry.path())?));
        }
    }
    Ok(())
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    use futures_util::StreamExt;
    let stream = tokio_stream::wrappers::BroadcastStream::new(state.reload.subscribe())
        .map(|_| Ok(Event::default().event("reload").data("")));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The reload script, and the error overlay when the last build failed.
fn inject(html: &[u8], error: Option<&str>) -> Vec<u8> {
    let mut extra = format!("<script src=\"{RELOAD_SCRIPT_PATH}\"></script>");
    if let Some(report) = error {
        extra.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{OVERLAY_STYLE_PATH}\">\
             <div role=\"alert\" class=\"hotline-build-error\">\
             <strong>Build failed / 构建失败</strong><pre>"
        ));
        extra.push_str(&casework::letter::escape_html(report));
        extra.push_str("</pre></div>");
    }
    let text = String::from_utf8_lossy(html);
    let out = match text.rfind("</body>") {
        Some(i) => format!("{}{}{}", &text[..i], extra, &text[i..]),
        None => format!("{text}{extra}"),
    };
    out.into_bytes()
}

async fn file(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let live = state.live.read().unwrap_or_else(|e| e.into_inner());
    let error = live.error.as_deref();
    let candidate = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    if let Some(bytes) = live.files.get(&candidate) {
        let ty = content_type(&candidate);
        let body = if ty.starts_with("text/html") {
            inject(bytes, error)
        } else {
            bytes.clone()
        };
        return ([(header::CONTENT_TYPE, ty)], body).into_response();
    }
    if live.files.contains_key(&format!("{path}/index.html")) {
        return Redirect::permanent(&format!("/{path}/")).into_response();
    }
    let body = live
        .files
        .get("404.html")
        .map(|b| inject(b, error))
        .unwrap_or_else(|| inject(b"<!doctype html><title>404</title><body></body>", error));
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_goes_before_the_end_of_the_body_and_is_escaped() {
        let out = String::from_utf8(inject(
            b"<body><p>x</p></body>",
            Some("a.md:1:1: error: <b>"),
        ))
        .unwrap();
        assert!(out.ends_with("</div></body>"), "{out}");
        assert!(out.contains("&lt;b&gt;"));
        assert!(out.contains(RELOAD_SCRIPT_PATH));
        let clean = String::from_utf8(inject(b"<body></body>", None)).unwrap();
        assert!(!clean.contains("role=\"alert\""));
    }

    #[test]
    fn nothing_inline_that_the_content_security_policy_would_block() {
        let out = String::from_utf8(inject(b"<body></body>", Some("a.md:1:1: error"))).unwrap();
        assert!(!out.contains("style="), "{out}");
        assert!(!out.contains("<script>"), "{out}");
        assert!(RELOAD_SCRIPT.contains(EVENTS_PATH));
    }

    /// A preview on a free port with an API that answers 200, until the
    /// returned sender is dropped.
    async fn running(header_timeout: Duration) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let (reload, _) = broadcast::channel(1);
        let state = AppState {
            live: Arc::default(),
            reload,
        };
        let api = Router::new().fallback(|| async { "api" });
        let app = router(state, api, vec!["preview.example.org".into()]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, header_timeout, rx));
        (addr, tx)
    }

    async fn exchange(addr: SocketAddr, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).to_lowercase()
    }

    #[tokio::test]
    async fn every_answer_has_the_security_headers_and_a_foreign_host_gets_421() {
        let (addr, _stop) = running(Duration::from_secs(5)).await;
        for path in ["/", "/api/cases", "/__hotline/reload.js", "/nowhere"] {
            let answer = exchange(
                addr,
                &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
            )
            .await;
            assert!(!answer.starts_with("http/1.1 421"), "{path}: {answer}");
            for (name, _) in intake::headers::security_headers(false) {
                assert!(
                    answer.contains(&format!("\r\n{}:", name.as_str())),
                    "{path} lacks {name}: {answer}"
                );
            }
            assert!(!answer.contains("strict-transport-security"), "{answer}");
        }
        let rebound = exchange(
            addr,
            "GET /api/cases HTTP/1.1\r\nHost: rebind.attacker.example:1111\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(rebound.starts_with("http/1.1 421"), "{rebound}");
        assert!(!rebound.contains("\r\n\r\napi"), "{rebound}");
        assert!(rebound.contains("content-security-policy"));
    }

    #[tokio::test]
    async fn a_client_too_slow_with_its_headers_is_disconnected() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (addr, _stop) = running(Duration::from_millis(300)).await;
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the connection stayed open past 5 s");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn only_addresses_localhost_and_allowed_names_are_answered() {
        let allowed = vec!["preview.example.org".to_string()];
        for host in [
            "127.0.0.1:1111",
            "localhost:1111",
            "LOCALHOST",
            "[::1]:1111",
            "192.168.1.20:1111",
            "preview.example.org:8080",
        ] {
            assert!(host_allowed(host, &allowed), "{host}");
        }
        // DNS rebinding: a name the attacker controls pointed at 127.0.0.1.
        for host in [
            "rebind.attacker.example:1111",
            "localhost.attacker.example",
            "",
            ":1111",
            "[nonsense]",
        ] {
            assert!(!host_allowed(host, &allowed), "{host}");
        }
    }
}
