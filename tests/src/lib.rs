//! Support for Evident's integration tests, demo data and benchmarks: a realistic, deterministic event
//! generator, a harness that runs a real `wrangler dev` with its own local D1 state, a small HTTP
//! client, and the native halves of the ingest benchmark.

pub mod bench;
pub mod demo;
pub mod http;
pub mod server;
pub mod stored;
