//! `/api/v1/session` (SPEC 6): signing in with e-mail and password, who is signed in, signing out.
//!
//! - `POST /api/v1/session` with `{"email", "password"}`: 200, the session ([`SessionInfo`]) and the
//!   `__Host-evident_session` cookie. A wrong password and an unknown e-mail get the same 401 after the same
//!   work, so the answer never tells which e-mails exist. Failures are throttled per e-mail and per
//!   address (429, [`crate::sessions`]), and recorded in the person's tenant's chain when the e-mail
//!   is someone's, after the answer, so that answer takes no longer for a real e-mail.
//! - `GET /api/v1/session`: 200 and the session, with the CSRF token to send back as `X-CSRF-Token`;
//!   204 (and the cookie cleared) when no one is signed in or the session ended, which is an answer
//!   rather than an error: the dashboard asks on every start.
//! - `DELETE /api/v1/session`: 200, the session ended and the cookie cleared (needs the CSRF token).

use evident_shared::people::{read_sign_in, SessionInfo};
use evident_shared::roles::{Power, Role};
use evident_shared::timestamp::format_rfc3339;
use serde_json::Map;
use worker::{Context, Env, Request, Response};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::{authenticate, Caller, Grant};
use crate::error::{ApiError, Result};
use crate::people::SignInRow;
use crate::routes::events::read_body;
use crate::routes::people::input_error;
use crate::sessions::{self, failure_keys};
use crate::{password, respond};

fn now() -> i64 {
    worker::js_sys::Date::now() as i64
}

/// What a person may do, by name.
fn powers(role: Role) -> Vec<String> {
    Power::ALL
        .into_iter()
        .filter(|p| role.grants(*p))
        .map(|p| p.as_str().to_string())
        .collect()
}

/// The answer for a session (`token` and `expires_at` for a password sign-in, `None` through
/// Access), with a `Set-Cookie` header when `cookie` is given.
fn answer(
    tenant: String,
    person: evident_shared::people::Person,
    session: Option<(&str, i64)>,
    cookie: Option<String>,
) -> Result<Response> {
    let info = SessionInfo {
        tenant,
        powers: powers(person.role),
        person,
        csrf_token: session
            .map(|(token, _)| sessions::csrf_token(token))
            .unwrap_or_default(),
        expires_at: session.map(|(_, at)| format_rfc3339(at)),
        sign_in: if session.is_some() {
            "password"
        } else {
            "access"
        }
        .to_string(),
    };
    let mut response = respond::json(200, &info);
    let headers = response.headers_mut();
    headers.set("cache-control", "no-store")?;
    if let Some(cookie) = cookie {
        headers.set("set-cookie", &cookie)?;
    }
    Ok(response)
}

fn wrong() -> ApiError {
    ApiError::Unauthorized("the e-mail or the password is not right".into())
}

pub async fn sign_in(mut req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    if crate::access::AccessConfig::from_env(env).is_some() {
        return Err(ApiError::Forbidden(
            "this deployment signs people in through Cloudflare Access; e-mail and password \
             sign-in is off"
                .into(),
        ));
    }
    crate::auth::check_sign_in_request(&req)?;
    // Kept for recording a failure after the answer: once the body is read it cannot be cloned.
    let kept = req.clone()?;
    let body = read_body(&mut req).await?;
    let input = read_sign_in(&body).map_err(|e| input_error(e, "invalid_sign_in", "sign-in"))?;
    // No password is longer (accepting an invite checks the same limit), and hashing one of
    // megabytes for anyone who asks would be work to no end.
    if input.password.chars().count() > password::MAX_CHARS {
        return Err(input_error(
            evident_shared::saved_search::InputError::Invalid(vec![
                evident_shared::FieldError::new(
                    "/password",
                    format!(
                        "is longer than any password can be (at most {} characters)",
                        password::MAX_CHARS
                    ),
                ),
            ]),
            "invalid_sign_in",
            "sign-in",
        ));
    }
    let db = env.d1("DB")?;
    let at = now();
    let from = Origin::request(&req);
    let keys = failure_keys(&input.email, from.ip.as_deref());
    sessions::count_attempt(&db, &keys, at).await?;
    let candidates: Vec<SignInRow> = crate::people::with_email(&db, &input.email).await?;
    let mut signed_in = None;
    if candidates.is_empty() {
        // The same work as for a real person, so timing does not tell.
        password::verify(&input.password, None).await?;
    }
    for candidate in &candidates {
        if password::verify(&input.password, candidate.password.as_deref()).await? {
            signed_in = Some(candidate.clone());
            break;
        }
    }
    let Some(found) = signed_in else {
        // Counted already, with the attempt.
        for candidate in candidates {
            let Ok(kept) = kept.clone() else {
                break;
            };
            let person = candidate.person.into_wire()?;
            let event = AccessEvent {
                action: "session.sign_in",
                outcome: "failure",
                actor: audit::person(&person.id, &person.name, &person.email),
                targets: vec![],
                description: format!("failed to sign in as {} (wrong password)", person.email),
                payload: Map::new(),
            };
            // After the answer: recording takes time, and only for e-mails that are someone's.
            crate::reads::record_later(ctx, event, kept, env, &candidate.tenant);
        }
        return Err(wrong());
    };
    sessions::clear_failures(&db, &keys).await?;
    let person = found.person.into_wire()?;
    let token = sessions::start(&db, &found.tenant, &person.id, at).await?;
    let event = AccessEvent {
        action: "session.sign_in",
        outcome: "success",
        actor: audit::person(&person.id, &person.name, &person.email),
        targets: vec![],
        description: format!("signed in as {} ({})", person.email, person.role.as_str()),
        payload: Map::new(),
    };
    audit::record(event.into_event(&from), &req, env, &found.tenant).await?;
    let cookie = sessions::set_cookie(&token);
    answer(
        found.tenant,
        person,
        Some((&token, at + sessions::LIFETIME_MS)),
        Some(cookie),
    )
}

/// The signed-in caller: 401 for keys, which have no session.
async fn session_caller(req: &Request, env: &Env) -> Result<(Caller, String)> {
    let caller = authenticate(req, env).await?;
    match caller.session.clone() {
        Some(token) => Ok((caller, token)),
        None => Err(not_a_session()),
    }
}

/// 204: nobody is signed in; a stale cookie is cleared.
fn signed_out() -> Result<Response> {
    let mut response = respond::json_text(204, String::new());
    response
        .headers_mut()
        .set("set-cookie", &sessions::clear_cookie())?;
    Ok(response)
}

pub async fn get(req: &Request, env: &Env) -> Result<Response> {
    let caller = match authenticate(req, env).await {
        Ok(caller) => caller,
        Err(ApiError::Unauthorized(_)) if crate::auth::bearer(req).is_none() => {
            return signed_out()
        }
        Err(error) => return Err(error),
    };
    let db = env.d1("DB")?;
    let ended = || ApiError::Unauthorized("your session has ended; sign in again".into());
    match (&caller.session, caller.grant) {
        (Some(token), _) => {
            let Some(found) = sessions::find(&db, token, now()).await? else {
                return signed_out();
            };
            let person = found.person.into_wire()?;
            answer(caller.tenant, person, Some((token, found.expires_at)), None)
        }
        // Signed in through Cloudflare Access.
        (None, Grant::Role(_)) => {
            let person = crate::people::get(&db, &caller.tenant, &caller.actor.id)
                .await?
                .ok_or_else(ended)?;
            answer(caller.tenant, person, None, None)
        }
        (None, _) => Err(not_a_session()),
    }
}

fn not_a_session() -> ApiError {
    ApiError::BadRequest {
        code: "not_a_session",
        message: "this request is signed with an API key; sessions are for people signed in \
                  with the cookie"
            .into(),
    }
}

pub async fn sign_out(req: &Request, env: &Env) -> Result<Response> {
    let (caller, token) = session_caller(req, env).await?;
    sessions::end(&env.d1("DB")?, &token).await?;
    let event = AccessEvent {
        action: "session.sign_out",
        outcome: "success",
        actor: audit::actor(&caller),
        targets: vec![],
        description: "signed out".into(),
        payload: Map::new(),
    };
    audit::record(
        event.into_event(&Origin::request(req)),
        req,
        env,
        &caller.tenant,
    )
    .await?;
    let mut response = respond::json(200, &serde_json::json!({"signed_out": true}));
    response
        .headers_mut()
        .set("set-cookie", &sessions::clear_cookie())?;
    Ok(response)
}
