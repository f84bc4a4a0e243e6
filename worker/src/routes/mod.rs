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
    let query = req
        .url()
        .ok()
        .and_then(|url| url.query().map(str::to_owned));
    if let Err(error) = all_utf8(&segments, query.as_deref()) {
        return with_cors(&method, &segments, error.into_response());
    }
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
    with_cors(
        &method,
        &segments,
        result.unwrap_or_else(ApiError::into_response),
    )
}

/// Ingestion is open to browsers on any origin, errors included; reading is not.
fn with_cors(method: &Method, segments: &[&str], response: Response) -> Response {
    let ingest_path = matches!(
        segments,
        ["api", "v1", "events"] | ["api", "v1", "ingest", _]
    );
    if ingest_path && matches!(method, Method::Post | Method::Options) {
        allow_any_origin(response)
    } else {
        response
    }
}

/// Refuses a path segment or a query parameter that is not UTF-8 once its %-escapes are decoded:
/// read lossily, `%FF` would become U+FFFD and name something the sender never did.
fn all_utf8(segments: &[&str], query: Option<&str>) -> Result<(), ApiError> {
    let utf8 = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .is_ok()
    };
    let refused = |what: String| {
        let message = format!("{what} is not UTF-8 once its %-escapes are decoded");
        Err(ApiError::request(false, "invalid_encoding", message))
    };
    if let Some(n) = segments.iter().position(|s| !utf8(s)) {
        return refused(format!("path segment {}", n + 1));
    }
    for pair in query.unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !utf8(name) || !utf8(value) {
            return refused(format!("`{}`", decode(name)));
        }
    }
    Ok(())
}

/// A path segment with its percent-escapes decoded (ids may hold `@`, spaces or `/`). Lossy only for
/// text [`all_utf8`] refuses, where it names what it refuses.
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries_must_decode_to_utf8() {
        assert!(all_utf8(
            &["api", "v1", "actors", "a%40b.c"],
            Some("q=caf%C3%A9&limit=5")
        )
        .is_ok());
        assert!(all_utf8(&["api"], None).is_ok());
        let message = |segments: &[&str], query| match all_utf8(segments, query) {
            Err(ApiError::BadRequest { code, message }) => {
                assert_eq!(code, "invalid_encoding");
                message
            }
            other => panic!("{other:?}"),
        };
        assert!(message(&["api", "v1", "actors", "%FF"], None).contains("path segment 4"));
        assert!(message(&["api"], Some("limit=5&q=%C3")).contains("`q`"));
        assert!(message(&["api"], Some("%FE=1")).contains("is not UTF-8"));
    }
}
