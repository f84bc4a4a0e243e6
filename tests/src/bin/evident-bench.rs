//! `evident-bench`: measures ingestion through a real `wrangler dev` with local D1, as users run it.
//! Starts its own server with a fresh database, sends demo events in batches of 1, 100 and 500 from
//! several concurrent clients, and prints events per second for each. Run it through
//! `scripts/bench.sh`, which builds the optimised worker first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evident_tests::demo::{generate, DemoConfig};
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
    let server = Server::start("bench");
    println!("ingest through wrangler dev + local D1 ({clients} concurrent clients where stated)");
    println!(
        "{:>6} {:>8} {:>8} {:>10} {:>12} {:>14}",
        "batch", "clients", "events", "seconds", "events/s", "ms/request p50"
    );
    let mut seed = 1;
    for case in cases {
        seed += 1;
        let bodies = bodies(seed, case.batch, case.requests);
        let (elapsed, mut latencies) = send(&server, bodies, case.clients);
        latencies.sort();
        let p50 = latencies[latencies.len() / 2];
        let events = case.batch * case.requests;
        println!(
            "{:>6} {:>8} {:>8} {:>10.2} {:>12.0} {:>14.1}",
            case.batch,
            case.clients,
            events,
            elapsed.as_secs_f64(),
            events as f64 / elapsed.as_secs_f64(),
            p50.as_secs_f64() * 1000.0
        );
    }
}

/// Pre-serialised request bodies, so the measurement is the server's work, not the generator's.
fn bodies(seed: u64, batch: usize, requests: usize) -> Vec<String> {
    let end_ms = 1_790_000_000_000;
    let config = DemoConfig {
        seed,
        events: batch * requests,
        end_ms,
        days: 90,
    };
    let events: Vec<serde_json::Value> = generate(&config).collect();
    events
        .chunks(batch)
        .map(|chunk| serde_json::to_string(chunk).expect("serialise"))
        .collect()
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
