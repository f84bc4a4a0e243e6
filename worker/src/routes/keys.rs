//! `/api/v1/keys` (SPEC 6): a tenant's API keys, managed with an admin key.
//!
//! - `GET /api/v1/keys`: 200, `{"keys": [...]}`, newest first, revoked ones included; never a secret
//!   or a hash.
//! - `POST /api/v1/keys` with `{"name", "scope", "environment"?}`: 201, the key and its `secret`, the
//!   only time the secret is shown.
//! - `DELETE /api/v1/keys/{id}`: 200 and the key, revoked: its next request is a 401. The row stays,
//!   so the key still shows in the list and the log's events still name it. Revoking a revoked key
//!   answers it as it is.
//!
//! Bodies are checked by [`evident_shared::api_key::read_input`]: a body that is not JSON is a 400
//! (`invalid_json`); unknown fields, a bad name, scope or environment a 422 (`invalid_api_key`) naming
//! each field. More than [`MAX_PER_TENANT`] keys is a 409. An admin key bound to an environment may
//! only create and revoke keys bound to the same one (403), or it could make itself a key that reads
//! everything.
//!
//! Every change is recorded in the tenant's chain ([`crate::audit`]) as `api_key.create` or
//! `api_key.revoke`, its actor the key that made it. A revocation is recorded before it is made, so a
//! failure leaves the key working and a retry records it again rather than revoking it unrecorded; a
//! creation is recorded after the insert (the event names the new key), and if that fails the new key
//! is revoked at once, before anyone has seen its secret.

use evident_shared::api_key::{
    read_input, ApiKey, ApiKeyInput, ApiKeyList, CreatedApiKey, MAX_PER_TENANT,
};
use evident_shared::roles::Power;
use evident_shared::saved_search::{is_id, new_id, InputError};
use worker::{Env, Request, Response};

use crate::audit::{self, key_event, KeyChange, Origin};
use crate::auth::{authorize, Caller};
use crate::error::{ApiError, Result};
use crate::keys;
use crate::respond;
use crate::routes::events::{query_pairs, read_body};

fn now() -> i64 {
    worker::js_sys::Date::now() as i64
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("there is no API key `{id}`"))
}

/// 403 when a caller bound to an environment touches a key of another environment (or of all).
fn within_environment(caller: &Caller, environment: Option<&str>) -> Result<()> {
    match caller.environment.as_deref() {
        Some(own) if environment != Some(own) => Err(ApiError::Forbidden(format!(
            "this key is bound to the environment `{own}`; it may only create and revoke keys \
             bound to the same environment"
        ))),
        _ => Ok(()),
    }
}

/// Reads and checks a `POST` body.
async fn input(req: &mut Request) -> Result<ApiKeyInput> {
    let body = read_body(req).await?;
    read_input(&body).map_err(|error| match error {
        InputError::Json(message) => ApiError::BadRequest {
            code: "invalid_json",
            message,
        },
        InputError::Invalid(errors) => {
            let problems: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            ApiError::Invalid {
                code: "invalid_api_key",
                message: format!("the API key is invalid: {}", problems.join("; ")),
                errors,
            }
        }
    })
}

pub async fn list(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAccess).await?;
    if let Some((name, _)) = query_pairs(req)?.first() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!(
                "unknown query parameter `{name}`; this endpoint takes none (it returns all of \
                 the tenant's keys, at most {MAX_PER_TENANT})"
            ),
        });
    }
    let keys = keys::list(&env.d1("DB")?, &caller.tenant).await?;
    Ok(respond::json(200, &ApiKeyList { keys }))
}

pub async fn create(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, Power::ManageKeys).await?;
    let input = input(&mut req).await?;
    within_environment(&caller, input.environment.as_deref())?;
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    let db = env.d1("DB")?;
    let id = new_id(random);
    let Some((key, secret)) = keys::create(&db, &caller, &input, &id, now()).await? else {
        let count = keys::count(&db, &caller.tenant).await?;
        return Err(ApiError::Conflict {
            code: "too_many_api_keys",
            message: format!(
                "this tenant already has {count} API keys in force, the most it may keep; revoke \
                 one it no longer needs first"
            ),
            errors: vec![],
        });
    };
    let event = key_event(KeyChange::Create, &caller, &key, &Origin::request(&req));
    if let Err(error) = audit::record(event, &req, env, &caller.tenant).await {
        // Unrecorded, the key must not work: revoke it before its secret is ever shown.
        keys::revoke(&db, &caller.tenant, &key.id, now()).await?;
        return Err(error);
    }
    Ok(respond::json(201, &CreatedApiKey { key, secret }))
}

pub async fn revoke(req: &Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ManageKeys).await?;
    if !is_id(id) {
        return Err(not_found(id));
    }
    let db = env.d1("DB")?;
    let key: ApiKey = keys::get(&db, &caller.tenant, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    within_environment(&caller, key.environment.as_deref())?;
    if key.revoked_at.is_some() {
        return Ok(respond::json(200, &key));
    }
    let event = key_event(KeyChange::Revoke, &caller, &key, &Origin::request(req));
    audit::record(event, req, env, &caller.tenant).await?;
    let revoked = match keys::revoke(&db, &caller.tenant, id, now()).await? {
        Some(revoked) => revoked,
        // Revoked meanwhile by another request: answer it as it is now.
        None => keys::get(&db, &caller.tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?,
    };
    Ok(respond::json(200, &revoked))
}
