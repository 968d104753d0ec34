//! The real intake binary under a local Lambda runtime API, with a mail
//! endpoint that accepts connections and never answers: the answer must
//! reach the runtime before the invocation's deadline, the case stored
//! and its mail left pending for the outbox pass.
//!
//! Without the time limit (`casestore::deadline`), the function sent the
//! department's mail and the acknowledgment in turn, each allowed 10 s,
//! and answered after about 20 s: past a 10 s timeout, so on AWS the
//! visitor saw "Task timed out" for a case that was stored.
//!
//! Needs the local DynamoDB endpoint (moto), started by `tests/run`.
#![cfg(feature = "lambda")]

use casestore::dynamodb::DynamoStore;
use casestore::prelude::*;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The invocation's timeout, as infra/template.yaml gives the function.
const TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_ID: &str = "deadline-test-1";

/// What the runtime API was told back.
#[derive(Default)]
struct Answers {
    response: Option<(Instant, String)>,
    error: Option<String>,
}

/// One HTTP/1.1 request off a kept-alive connection: method, path, body.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Option<(String, String, String)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
            buf.drain(..end + 4 + length);
            let mut words = head.lines().next()?.split_whitespace();
            let method = words.next()?.to_string();
            let path = words.next()?.to_string();
            return Some((method, path, body));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The runtime API: hands out one invocation, then holds every later
/// `next` (as Lambda does between events), and records the answer.
async fn runtime_api(listener: TcpListener, event: String, answers: Arc<Mutex<Answers>>) {
    let handed_out = Arc::new(Mutex::new(false));
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let event = event.clone();
        let answers = Arc::clone(&answers);
        let handed_out = Arc::clone(&handed_out);
        tokio::spawn(async move {
            let mut buf = Vec::new();
            while let Some((method, path, body)) = read_request(&mut stream, &mut buf).await {
                let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
                    let first = !std::mem::replace(&mut *handed_out.lock().unwrap(), true);
                    if !first {
                        // Long poll: no second event.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + TIMEOUT;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         lambda-runtime-aws-request-id: {REQUEST_ID}\r\n\
                         lambda-runtime-deadline-ms: {}\r\n\
                         lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:000000000000:function:intake\r\n\
                         lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
                         content-length: {}\r\n\r\n{event}",
                        deadline.as_millis(),
                        event.len()
                    )
                } else {
                    let mut a = answers.lock().unwrap();
                    if path.ends_with(&format!("/invocation/{REQUEST_ID}/response")) {
                        a.response = Some((Instant::now(), body));
                    } else {
                        a.error = Some(format!("{method} {path}: {body}"));
                    }
                    "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}".to_string()
                };
                if stream.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// A mail endpoint that takes every connection and every byte, and never answers.
async fn hanging_endpoint(listener: TcpListener) {
    let mut held = Vec::new();
    while let Ok((stream, _)) = listener.accept().await {
        held.push(tokio::spawn(async move {
            let mut stream = stream;
            let mut sink = [0u8; 8192];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }));
    }
}

/// An endpoint that answers every request with `reply` (a whole HTTP/1.1
/// response) and counts the requests: a throttling AWS service.
async fn canned_endpoint(listener: TcpListener, reply: String, count: Arc<Mutex<u32>>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let reply = reply.clone();
        let count = Arc::clone(&count);
        tokio::spawn(async move {
            let mut buf = Vec::new();
            while read_request(&mut stream, &mut buf).await.is_some() {
                *count.lock().unwrap() += 1;
                if stream.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn aws_error(status: &str, error_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\n\
         x-amzn-errortype: {error_type}\r\nx-amzn-requestid: local\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// An HTTP API (payload 2.0) event for a JSON submission to `/api/cases`.
fn submission_event() -> String {
    let body = serde_json::json!({
        "case_type": "complaint",
        "category": "water-supply",
        "name": "测试",
        "email": "deadline-test@example.net",
        "location": "幸福路12号",
        "description": "小区的自来水连续三天发黄，有明显异味，无法饮用。",
        "language": "zh",
        "idempotency_key": "deadline-test-key-0001",
    })
    .to_string();
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/cases",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "origin": "https://12345.example.org",
            "host": "api.example.org",
        },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "api.example.org",
            "domainPrefix": "api",
            "http": {
                "method": "POST",
                "path": "/api/cases",
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.23",
                "userAgent": "deadline-test",
            },
            "requestId": "r1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "07/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1796637600000u64,
        },
        "body": body,
        "isBase64Encoded": false,
    })
    .to_string()
}

/// What one invocation of the real binary came to.
struct Invocation {
    took: Duration,
    answer: serde_json::Value,
}

/// Runs the intake binary for one submission event, with `env` on top of
/// a working configuration; panics with the function's log if no answer
/// reached the runtime.
async fn invoke(table: &str, env: &[(&str, String)]) -> Invocation {
    let runtime = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_addr = runtime.local_addr().unwrap();
    let answers = Arc::new(Mutex::new(Answers::default()));
    tokio::spawn(runtime_api(
        runtime,
        submission_event(),
        Arc::clone(&answers),
    ));

    let log = tempfile_path();
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("AWS_LAMBDA_RUNTIME_API", runtime_addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "intake".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/intake".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".into()),
        ("HOTLINE_TABLE", table.to_string()),
        ("HOTLINE_SITE_ORIGIN", "https://12345.example.org".into()),
        ("HOTLINE_PUBLIC_BASE_URL", "https://api.example.org".into()),
        ("HOTLINE_MAIL_FROM", "noreply@example.org".into()),
        (
            "HOTLINE_IP_HASH_SECRET",
            "a test secret for the rate limit".into(),
        ),
        (
            "HOTLINE_ACTION_SECRET",
            "test action secret, 32 bytes min".into(),
        ),
    ]);
    vars.extend(env.iter().cloned());
    let started = Instant::now();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .envs(vars)
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(
            std::fs::File::create(log.with_extension("err")).unwrap(),
        ))
        .kill_on_drop(true)
        .spawn()
        .expect("the intake binary runs");

    let limit = started + TIMEOUT + Duration::from_secs(15);
    let answered = loop {
        if let Some(answer) = answers.lock().unwrap().response.clone() {
            break Some(answer);
        }
        if Instant::now() > limit || answers.lock().unwrap().error.is_some() {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = child.kill().await;
    let logs = format!(
        "{}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default(),
        std::fs::read_to_string(log.with_extension("err")).unwrap_or_default()
    );
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(log.with_extension("err"));
    let error = answers.lock().unwrap().error.clone();
    let Some((at, body)) = answered else {
        panic!("no answer reached the runtime (error: {error:?}); the function's log:\n{logs}");
    };
    let took = at - started;
    assert!(
        took < TIMEOUT,
        "answered after {took:?}, past the {TIMEOUT:?} timeout; log:\n{logs}"
    );
    let answer: serde_json::Value = serde_json::from_str(&body).expect("the answer is JSON");
    Invocation { took, answer }
}

/// Invokes the function with the service behind `variable` (an SDK
/// endpoint variable) served by `endpoint` on a fresh local port.
async fn invoke_against<F, Fut>(table: &str, variable: &str, endpoint: F) -> Invocation
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(endpoint(listener));
    invoke(table, &[(variable, format!("http://{addr}"))]).await
}

/// The tracking number a 201 answer carries.
fn tracking_of(answer: &serde_json::Value) -> String {
    body_of(answer)["tracking"]
        .as_str()
        .expect("a tracking number")
        .to_string()
}

fn body_of(answer: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(answer["body"].as_str().expect("a body")).expect("a JSON body")
}

fn header_of<'a>(answer: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    answer["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))?
        .1
        .as_str()
}

/// A store on a new table, and the table's name for the function.
async fn fresh_table() -> (DynamoStore, String) {
    let (client, table) = casestore::testing::fresh_table("deadline")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (DynamoStore::new(client, table.clone()), table)
}

/// The answered case is stored and at least `mails` of its mails pending.
async fn stored_with_mail_pending(store: &DynamoStore, tracking: &str, mails: usize) -> usize {
    let record = store
        .case(&tracking.parse().expect("a tracking number"))
        .await
        .expect("store reachable")
        .expect("the answered case is stored");
    assert_eq!(record.case.tracking.to_string(), tracking);
    let far = chrono::Utc::now() + chrono::Duration::days(1);
    let pending = store.pending_notifications(far, 100).await.expect("outbox");
    let mine = pending
        .iter()
        .filter(|n| n.tracking.to_string() == tracking)
        .count();
    assert!(
        mine >= mails,
        "the case's mails stay pending: {:?}",
        pending.iter().map(|n| &n.id).collect::<Vec<_>>()
    );
    mine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_beats_the_deadline_when_mail_hangs() {
    let (store, table) = fresh_table().await;
    let run = invoke_against(&table, "AWS_ENDPOINT_URL_SESV2", hanging_endpoint).await;
    assert_eq!(run.answer["statusCode"], 201, "{}", run.answer);
    let tracking = tracking_of(&run.answer);
    // The department's mail and the acknowledgment.
    let pending = stored_with_mail_pending(&store, &tracking, 2).await;
    eprintln!(
        "answered in {:?} with the mail endpoint hanging; {pending} mails pending",
        run.took
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_table_is_503_with_retry_after_in_time() {
    let (_store, table) = fresh_table().await;
    let requests = Arc::new(Mutex::new(0));
    let reply = aws_error(
        "400 Bad Request",
        "ProvisionedThroughputExceededException",
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#,
    );
    let counter = Arc::clone(&requests);
    let run = invoke_against(&table, "AWS_ENDPOINT_URL_DYNAMODB", |l| {
        canned_endpoint(l, reply, counter)
    })
    .await;
    assert_eq!(run.answer["statusCode"], 503, "never a 500: {}", run.answer);
    assert!(
        header_of(&run.answer, "retry-after").is_some(),
        "{}",
        run.answer
    );
    let requests = *requests.lock().unwrap();
    // The SDK's standard retries (at most 3 attempts a call, with jittered
    // backoff) over the few calls a submission makes, not a storm: 14 to 17
    // when this was written.
    assert!(
        (3..=30).contains(&requests),
        "{requests} requests to the throttled table"
    );
    eprintln!(
        "throttled table: 503 after {:?}, {requests} requests",
        run.took
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_mail_is_left_pending_and_the_case_answered() {
    let (store, table) = fresh_table().await;
    let requests = Arc::new(Mutex::new(0));
    let reply = aws_error(
        "429 Too Many Requests",
        "TooManyRequestsException",
        r#"{"message":"Maximum sending rate exceeded."}"#,
    );
    let counter = Arc::clone(&requests);
    let run = invoke_against(&table, "AWS_ENDPOINT_URL_SESV2", |l| {
        canned_endpoint(l, reply, counter)
    })
    .await;
    assert_eq!(run.answer["statusCode"], 201, "{}", run.answer);
    let tracking = tracking_of(&run.answer);
    let pending = stored_with_mail_pending(&store, &tracking, 2).await;
    let requests = *requests.lock().unwrap();
    assert!(
        (2..=12).contains(&requests),
        "{requests} requests to the throttled mail service"
    );
    eprintln!(
        "throttled mail: 201 after {:?}, {requests} sends tried, {pending} mails pending",
        run.took
    );
}

fn tempfile_path() -> std::path::PathBuf {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "intake-deadline-{}-{stamp}.log",
        std::process::id()
    ))
}
