//! Routing: maps method and path to a handler and turns every error into the JSON envelope. Only
//! `/api/*` reaches the worker; wrangler serves the dashboard's static files for everything else.

mod adapters;
pub(crate) mod events;
mod export;
mod health;
mod history;
mod keys;
pub(crate) mod people;
mod saved_searches;
mod session;
pub mod settings;
mod stats;
mod verify;

use worker::{Context, Env, Method, Request, Response};

use crate::error::ApiError;
use crate::respond::allow_any_origin;

/// Answers one API request.
pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    let result = match (&method, segments.as_slice()) {
        (Method::Get, ["api", "v1", "health"]) => health::get(&env).await,
        (Method::Post, ["api", "v1", "events"]) => events::ingest(req, &env).await,
        (Method::Options, ["api", "v1", "events"]) => Response::empty()
            .map(|r| r.with_status(204))
            .map_err(ApiError::from),
        (Method::Get, ["api", "v1", "events"]) => events::list(&req, &env, &ctx).await,
        (Method::Get, ["api", "v1", "events", id]) => events::get(&env, &req, &ctx, id).await,
        (Method::Post, ["api", "v1", "ingest", format]) => {
            adapters::ingest(req, &env, format).await
        }
        (Method::Options, ["api", "v1", "ingest", _]) => Response::empty()
            .map(|r| r.with_status(204))
            .map_err(ApiError::from),
        (Method::Get, ["api", "v1", "verify"]) => verify::get(&req, &env).await,
        (Method::Get, ["api", "v1", "facets"]) => stats::facets(&req, &env).await,
        (Method::Get, ["api", "v1", "export"]) => export::get(&req, &env).await,
        (Method::Get, ["api", "v1", "actors", id]) => {
            history::actor(&req, &env, &ctx, &decode(id)).await
        }
        (Method::Get, ["api", "v1", "resources", kind, id]) => {
            history::resource(&req, &env, &ctx, &decode(kind), &decode(id)).await
        }
        (Method::Get, ["api", "v1", "histogram"]) => stats::histogram(&req, &env).await,
        (Method::Get, ["api", "v1", "settings", "redaction"]) => {
            settings::get_redaction(&req, &env).await
        }
        (Method::Put, ["api", "v1", "settings", "redaction"]) => {
            settings::put_redaction(req, &env).await
        }
        (Method::Get, ["api", "v1", "saved-searches"]) => saved_searches::list(&req, &env).await,
        (Method::Post, ["api", "v1", "saved-searches"]) => saved_searches::create(req, &env).await,
        (Method::Get, ["api", "v1", "saved-searches", id]) => {
            saved_searches::get(&req, &env, &decode(id)).await
        }
        (Method::Put, ["api", "v1", "saved-searches", id]) => {
            saved_searches::update(req, &env, &decode(id)).await
        }
        (Method::Delete, ["api", "v1", "saved-searches", id]) => {
            saved_searches::delete(&req, &env, &decode(id)).await
        }
        (Method::Post, ["api", "v1", "session"]) => session::sign_in(req, &env, &ctx).await,
        (Method::Get, ["api", "v1", "session"]) => session::get(&req, &env).await,
        (Method::Delete, ["api", "v1", "session"]) => session::sign_out(&req, &env).await,
        (Method::Get, ["api", "v1", "people"]) => people::list(&req, &env).await,
        (Method::Patch, ["api", "v1", "people", id]) => {
            people::change_role(req, &env, &decode(id)).await
        }
        (Method::Delete, ["api", "v1", "people", id]) => {
            people::remove(&req, &env, &decode(id)).await
        }
        (Method::Get, ["api", "v1", "invites"]) => people::invites(&req, &env).await,
        (Method::Post, ["api", "v1", "invites"]) => people::invite(req, &env).await,
        (Method::Post, ["api", "v1", "invites", "accept"]) => people::accept(req, &env).await,
        (Method::Delete, ["api", "v1", "invites", id]) => {
            people::revoke_invite(&req, &env, &decode(id)).await
        }
        (Method::Get, ["api", "v1", "keys"]) => keys::list(&req, &env).await,
        (Method::Post, ["api", "v1", "keys"]) => keys::create(req, &env).await,
        (Method::Delete, ["api", "v1", "keys", id]) => keys::revoke(&req, &env, &decode(id)).await,
        (_, ["api", "v1", "session"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, POST, DELETE",
        }),
        (_, ["api", "v1", "people", _]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "PATCH, DELETE",
        }),
        (_, ["api", "v1", "invites"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, POST",
        }),
        (_, ["api", "v1", "invites", "accept"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "POST",
        }),
        (_, ["api", "v1", "invites", _]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "DELETE",
        }),
        (_, ["api", "v1", "keys"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, POST",
        }),
        (_, ["api", "v1", "keys", _]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "DELETE",
        }),
        (_, ["api", "v1", "saved-searches"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, POST",
        }),
        (_, ["api", "v1", "saved-searches", _]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, PUT, DELETE",
        }),
        (_, ["api", "v1", "ingest", _]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "POST",
        }),
        (_, ["api", "v1", "settings", "redaction"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, PUT",
        }),
        (_, ["api", "v1", "events"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET, POST",
        }),
        (_, ["api", "v1", "events", _])
        | (_, ["api", "v1", "health"])
        | (_, ["api", "v1", "people"])
        | (_, ["api", "v1", "verify"])
        | (_, ["api", "v1", "facets"])
        | (_, ["api", "v1", "export"])
        | (_, ["api", "v1", "actors", _])
        | (_, ["api", "v1", "resources", _, _])
        | (_, ["api", "v1", "histogram"]) => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: "GET",
        }),
        _ => Err(ApiError::NotFound(format!(
            "there is no API endpoint at `{path}`"
        ))),
    };
    let response = result.unwrap_or_else(ApiError::into_response);
    // Ingestion is open to browsers on any origin; reading is not.
    let ingest_path = matches!(
        segments.as_slice(),
        ["api", "v1", "events"] | ["api", "v1", "ingest", _]
    );
    if ingest_path && matches!(method, Method::Post | Method::Options) {
        allow_any_origin(response)
    } else {
        response
    }
}

/// A path segment with its percent-escapes decoded (ids may hold `@`, spaces or `/`).
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}
