//! Evident's integration tests: one binary, one real `wrangler dev` with a fresh local D1 state, and one
//! module per area. Each test keeps to its own actors (a unique prefix) so tests share the server
//! without seeing each other's events.
//!
//! A small harness instead of libtest: the server must start once and stop when the run ends, which a
//! `static` cannot guarantee. `cargo test -p evident-tests --test it [filter]` runs the tests whose name
//! contains `filter`.

mod adapters;
mod chain;
mod enrichment;
mod errors;
mod export;
mod headers;
mod ingest;
mod keys;
mod people;
mod query;
mod saved_searches;
mod search;
mod support;
mod tenants;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use evident_tests::server::Server;

/// A test: a name and a function that panics on failure.
pub type Test = (&'static str, fn(&Server));

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let tests: Vec<Test> = [
        ingest::TESTS,
        query::TESTS,
        search::TESTS,
        errors::TESTS,
        adapters::TESTS,
        enrichment::TESTS,
        chain::TESTS,
        saved_searches::TESTS,
        export::TESTS,
        keys::TESTS,
        people::TESTS,
        tenants::TESTS,
        headers::TESTS,
    ]
    .concat()
    .into_iter()
    .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
    .collect();
    if tests.is_empty() {
        println!("no integration test matches {filter:?}");
        return;
    }
    let started = Instant::now();
    let server = Server::start("it");
    println!(
        "wrangler dev answered in {:.1} s at {}",
        started.elapsed().as_secs_f64(),
        server.base_url
    );
    let mut failed = Vec::new();
    for (name, test) in &tests {
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| test(&server)));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        println!("test {name} ... {verdict} ({} ms)", t.elapsed().as_millis());
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    println!(
        "\n{} passed; {} failed",
        tests.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        println!("failed: {failed:?}\n--- wrangler log (tail) ---");
        let log = server.log();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        for line in tail.into_iter().rev() {
            println!("{line}");
        }
        drop(server);
        std::process::exit(1);
    }
}
