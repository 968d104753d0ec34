//! CPU per submission in the handler, I/O excluded: the API over the
//! in-memory store and a mailer that only records, so what is timed is
//! decoding, validation, routing, deadlines, tracking numbers and the mail
//! texts. As a yardstick measured in the same run on the same machine (this
//! one is noisy), it prints the time `serde_json` alone takes to parse the
//! same body into a generic value: the ratio says how many bare JSON parses
//! one whole submission costs.
//!
//! cargo bench -p intake --bench handler [-- COUNT]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Instant;
use support::*;

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    // Distinct idempotency keys, so every request makes a new case.
    let bodies: Vec<Vec<u8>> = (0..count)
        .map(|i| {
            serde_json::to_vec(&json_submission(Some(&format!("bench-{i:08}")))).expect("json")
        })
        .collect();

    // No rate limit: every request comes from the one test address.
    let unlimited = || {
        intake::Api::with_default_form(
            config(u32::MAX),
            TestStore::default(),
            FakeMailer::default(),
        )
    };
    // Warm up the allocator and the caches on a throw-away API, then measure.
    let warm_up = unlimited();
    runtime.block_on(async {
        for body in bodies.iter().take(500) {
            call(&warm_up, post("application/json", body.clone())).await;
        }
    });
    let api = unlimited();
    let started = Instant::now();
    let created = runtime.block_on(async {
        let mut created = 0;
        for body in &bodies {
            let r = call(&api, post("application/json", body.clone())).await;
            created += usize::from(r.status() == http::StatusCode::CREATED);
        }
        created
    });
    let handler = started.elapsed();
    assert_eq!(created, count, "every submission must make a case");

    let started = Instant::now();
    for body in &bodies {
        let value: serde_json::Value = serde_json::from_slice(body).expect("json");
        black_box(value);
    }
    let parse = started.elapsed();

    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / count as f64;
    println!("submissions:            {count}");
    println!(
        "handler per submission: {:>8.1} µs  (target ≤ 200 µs; {:.0} submissions/s on one core)",
        per(handler),
        count as f64 / handler.as_secs_f64()
    );
    println!("serde_json parse alone: {:>8.1} µs", per(parse));
    println!(
        "ratio handler / parse:  {:>8.1}×",
        handler.as_secs_f64() / parse.as_secs_f64()
    );
}
