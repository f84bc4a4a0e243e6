//! Support for Evident's integration tests, demo data and benchmarks: a realistic, deterministic event
//! generator and a harness that runs a real `wrangler dev` with its own local D1 state.

pub mod demo;
