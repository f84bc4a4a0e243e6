//! Evident's Cloudflare Worker: the HTTP API under `/api/`. It validates, normalises and stores audit
//! events in D1 and serves them back to the dashboard, which wrangler serves from the same origin.
//!
//! Layout: `routes/` holds thin handlers; `ingest` and `params` are pure request logic; `sql` holds
//! every statement; `store` runs them against D1; `error` is the one error type; `auth` checks keys.

pub mod auth;
pub mod error;
pub mod geo;
pub mod ingest;
pub mod params;
mod respond;
mod routes;
pub mod sql;
#[cfg(test)]
mod geo_sqlite_tests;
#[cfg(test)]
mod sqlite_tests;
mod store;

use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(routes::handle(req, env).await)
}
