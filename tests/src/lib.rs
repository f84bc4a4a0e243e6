//! Support for Evident's integration tests, demo data and benchmarks: a realistic, deterministic event
//! generator, a harness that runs a real `wrangler dev` with its own local D1 state, and a small HTTP
//! client.

pub mod demo;
pub mod http;
pub mod server;
