//! `evident-bench`: measures ingestion three ways and prints the figures SPEC section 8 sets targets for.
//!
//! 1. The per-event pipeline natively (parse, validate, redact, enrich, canonical JSON, seal and hash),
//!    in microseconds per event.
//! 2. The ceiling: the same sealed rows inserted straight into SQLite with the real migrations.
//! 3. Ingestion through a real `wrangler dev` with local D1 (its own server and fresh database): demo
//!    events in batches of 1, 100 and 500 from several concurrent clients, in events per second, and
//!    the ratio of the batch-500 rate to the ceiling.
//!
//! Run it through `scripts/bench.sh`, which builds the optimised worker and this binary first;
//! `--native-only` stops after the first two.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evident_tests::bench::{bodies, ceiling, pipeline};
use evident_tests::server::Server;

/// One measured configuration.
struct Case {
    batch: usize,
    requests: usize,
    clients: usize,
}

fn main() {
    let clients = std::env::var("EVIDENT_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let cases = [
        Case {
            batch: 1,
            requests: 2_000,
            clients,
        },
        Case {
            batch: 100,
            requests: 200,
            clients,
        },
        Case {
            batch: 500,
            requests: 1,
            clients: 1,
        },
        Case {
            batch: 500,
            requests: 100,
            clients,
        },
    ];
    let sample = bodies(1, 500, 20);
    let (stages, plans) = pipeline::run(&sample, 3);
    let us = |stage| stages.per_event(stage);
    println!(
        "native pipeline, {} demo events per round (µs per event)",
        stages.events / 3
    );
    println!(
        "  parse                           {:>6.2}",
        us(stages.parse)
    );
    println!(
        "  validate, redact, enrich, print {:>6.2}",
        us(stages.validate_to_print())
    );
    println!("  hash (SHA-256 chain link)       {:>6.2}", us(stages.hash));
    println!(
        "  pipeline, SPEC 8's stages       {:>6.2}   (parse, validate, enrich, redact, hash: target <= 10)",
        stages.pipeline_per_event()
    );
    println!(
        "  rows to store                   {:>6.2}   (SQL columns, search text, targets, seq, hex, row layout)",
        us(stages.store_rows())
    );
    println!(
        "  compress the body               {:>6.2}   ({:.0} -> {:.0} bytes, tenant dictionary)",
        us(stages.compress),
        stages.body_bytes.0,
        stages.body_bytes.1
    );
    println!(
        "  total, without compressing      {:>6.2}",
        stages.total_per_event() - us(stages.compress)
    );
    println!(
        "  total, all stages               {:>6.2}",
        stages.total_per_event()
    );

    let dir = std::env::temp_dir().join(format!("evident-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (elapsed, stored) = ceiling::run(&dir, &plans);
    let ceiling_rate = stored as f64 / elapsed.as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "\nSQLite ceiling: {stored} sealed events, batches of 500, same schema and indexes: {ceiling_rate:.0} events/s"
    );

    if std::env::args().any(|a| a == "--native-only") {
        return;
    }
    let server = Server::start("bench");
    println!(
        "\ningest through wrangler dev + local D1 ({clients} concurrent clients where stated)"
    );
    println!(
        "{:>6} {:>8} {:>8} {:>10} {:>12} {:>14}",
        "batch", "clients", "events", "seconds", "events/s", "ms/request p50"
    );
    let mut seed = 1;
    let mut batch_500_rate = 0.0;
    for case in cases {
        seed += 1;
        let bodies = bodies(seed, case.batch, case.requests);
        let (elapsed, mut latencies) = send(&server, bodies, case.clients);
        latencies.sort();
        let p50 = latencies[latencies.len() / 2];
        let events = case.batch * case.requests;
        let rate = events as f64 / elapsed.as_secs_f64();
        if case.batch == 500 && case.clients > 1 {
            batch_500_rate = rate;
        }
        println!(
            "{:>6} {:>8} {:>8} {:>10.2} {:>12.0} {:>14.1}",
            case.batch,
            case.clients,
            events,
            elapsed.as_secs_f64(),
            rate,
            p50.as_secs_f64() * 1000.0
        );
    }
    println!(
        "\nbatches of 500 through wrangler dev: {batch_500_rate:.0} events/s (target >= 20,000), {:.0}% of the SQLite ceiling",
        100.0 * batch_500_rate / ceiling_rate
    );
}

/// Sends every body from `clients` threads; returns the wall time and each request's latency.
fn send(server: &Server, bodies: Vec<String>, clients: usize) -> (Duration, Vec<Duration>) {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let url = server.url("/api/v1/events");
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (bodies, next, url, key) = (
                bodies.clone(),
                next.clone(),
                url.clone(),
                server.ingest_key.clone(),
            );
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else {
                        return latencies;
                    };
                    let t = Instant::now();
                    let answer =
                        evident_tests::http::post(&url, Some(&key), "application/json", body);
                    latencies.push(t.elapsed());
                    assert_eq!(answer.status, 201, "ingest failed: {}", answer.text);
                }
            })
        })
        .collect();
    let latencies = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect();
    (started.elapsed(), latencies)
}
