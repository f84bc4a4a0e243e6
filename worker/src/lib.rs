//! Evident's Cloudflare Worker: the HTTP API under `/api/`. It validates, normalises and stores audit
//! events in D1 and serves them back to the dashboard, which wrangler serves from the same origin.
//!
//! Layout: `routes/` holds thin handlers; `ingest`, `seal`, `verify` and `params` are pure request
//! logic; `sequencer` is the per-tenant Durable Object that seals and stores; `stored_body` compresses
//! bodies for storage and reads them back; `geo` looks up countries;
//! `sql` holds the events' statements; `store` runs them against D1; `error` is the one error type;
//! `auth` says who is calling and what they may do; `keys`, `people` and `sessions` keep API keys,
//! people with their invites, and sign-in sessions (each with its own statements); `password` hashes
//! passwords with WebCrypto; `audit` records the API's own changes and reads in the log.

pub mod access;
pub mod audit;
pub mod auth;
pub mod counts;
pub mod derived_keys;
pub mod error;
pub mod geo;
#[cfg(test)]
mod geo_sqlite_tests;
pub mod ingest;
pub mod keys;
pub mod params;
pub mod password;
pub mod people;
pub mod query;
#[cfg(test)]
mod query_sqlite_tests;
#[cfg(test)]
mod reach_sqlite_tests;
pub mod reads;
mod respond;
mod routes;
pub mod seal;
mod sequencer;
pub mod sessions;
pub mod signed_cursor;
pub mod sql;
#[cfg(test)]
mod sqlite_tests;
mod store;
pub mod stored_body;
pub mod verify;

use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(routes::handle(req, env, ctx).await)
}
