//! The native halves of `evident-bench`: the per-event ingest pipeline timed in process
//! ([`pipeline`]), and the same sealed rows inserted straight into SQLite with the real migrations
//! ([`ceiling`]), the bound that ingestion through `wrangler dev` and D1 is compared with; and the
//! query benchmark's loading, probes and storage figures ([`queries`]).

pub mod ceiling;
pub mod pipeline;
pub mod queries;

use crate::demo::{generate, DemoConfig};

/// Demo events as request bodies of `batch` events each (JSON arrays), generated up front so that
/// timings measure the pipeline, not the generator.
pub fn bodies(seed: u64, batch: usize, requests: usize) -> Vec<String> {
    let config = DemoConfig {
        seed,
        events: batch * requests,
        end_ms: 1_790_000_000_000,
        days: 90,
    };
    let events: Vec<serde_json::Value> = generate(&config).collect();
    events
        .chunks(batch)
        .map(|chunk| serde_json::to_string(chunk).expect("serialise"))
        .collect()
}
