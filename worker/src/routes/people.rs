//! `/api/v1/people` and `/api/v1/invites` (SPEC 6): who has access to a tenant, managed by those
//! allowed to ([`evident_shared::roles`]).
//!
//! - `GET /api/v1/people`: everyone, by e-mail (owners, admins, auditors, admin keys).
//! - `PATCH /api/v1/people/{id}` with `{"role"}`: 200 and the person. `DELETE /api/v1/people/{id}`:
//!   200 and who was removed; their sessions end at once. Only owners (and the configured admin
//!   key) may touch an owner or make one; the last owner can be neither demoted nor removed (409).
//! - `GET /api/v1/invites`; `POST /api/v1/invites` with `{"email", "role"}`: 201, the invite and its
//!   link path `/invite#<token>`, shown once (only the token's hash is kept); an e-mail that is
//!   someone's already is a 409. `DELETE /api/v1/invites/{id}` revokes an unused one.
//! - `POST /api/v1/invites/accept` with `{"token", "name", "password"}`, no credential: 201, the new
//!   person signed in (the session cookie set; behind Cloudflare Access, no cookie: they sign in
//!   through Access). An unknown token is a 404; a used or expired one a
//!   410. The link works once, even when two requests race.
//!
//! Every change is recorded in the tenant's chain before it is answered.

use evident_shared::api_key::hash_secret;
use evident_shared::people::{
    read_accept, read_invite, read_role, CreatedInvite, InviteList, Person, PersonList,
};
use evident_shared::roles::{Power, Role};
use evident_shared::saved_search::{is_id, new_id, InputError};
use serde_json::{json, Map};
use worker::{Env, Request, Response};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::{authorize, Caller};
use crate::error::{ApiError, Result};
use crate::people::{self, Grants, NewInvite};
use crate::routes::events::read_body;
use crate::{password, respond, sessions};

fn now() -> i64 {
    worker::js_sys::Date::now() as i64
}

/// A body's problems as the API answers them: 400 for JSON that does not parse, 422 naming each
/// field otherwise.
pub fn input_error(error: InputError, code: &'static str, what: &str) -> ApiError {
    match error {
        InputError::Json(message) => ApiError::BadRequest {
            code: "invalid_json",
            message,
        },
        InputError::Invalid(errors) => {
            let problems: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            ApiError::Invalid {
                code,
                message: format!("the {what} is invalid: {}", problems.join("; ")),
                errors,
            }
        }
    }
}

fn random_id() -> Result<String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(new_id(random))
}

/// 403 unless the caller may manage owners, when `role` (before or after) is owner.
fn owners_need_owner(caller: &Caller, roles: &[Role]) -> Result<()> {
    if roles.contains(&Role::Owner) && !caller.may(Power::ManageOwners) {
        return Err(ApiError::Forbidden(
            "only an owner may invite, change or remove an owner, or make someone an owner".into(),
        ));
    }
    Ok(())
}

fn last_owner(email: &str) -> ApiError {
    ApiError::Conflict {
        code: "last_owner",
        message: format!("{email} is the tenant's last owner; make someone else an owner first"),
        errors: vec![],
    }
}

/// 409 when `person` is the tenant's last owner and would be one no more (`new_role` `None`: removed).
/// Checked before the change is recorded, so the log holds no change that was refused; the statement
/// that makes it checks again, for two changes at once.
async fn keep_an_owner(
    db: &worker::D1Database,
    tenant: &str,
    person: &Person,
    new_role: Option<Role>,
) -> Result<()> {
    if person.role != Role::Owner || new_role == Some(Role::Owner) {
        return Ok(());
    }
    let people = people::list(db, tenant).await?;
    match people.iter().filter(|p| p.role == Role::Owner).count() {
        0 | 1 => Err(last_owner(&person.email)),
        _ => Ok(()),
    }
}

async fn record(event: AccessEvent<'_>, req: &Request, env: &Env, tenant: &str) -> Result<()> {
    audit::record(event.into_event(&Origin::request(req)), req, env, tenant).await
}

fn target(person: &Person) -> serde_json::Value {
    audit::person_target(&person.id, &person.email)
}

fn no_person(id: &str) -> ApiError {
    ApiError::NotFound(format!("there is no person `{id}` in this tenant"))
}

pub async fn list(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAccess).await?;
    let people = people::list(&env.d1("DB")?, &caller.tenant).await?;
    Ok(respond::json(200, &PersonList { people }))
}

pub async fn change_role(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(&req, env, Power::ManagePeople).await?;
    let body = read_body(&mut req).await?;
    let input = read_role(&body).map_err(|e| input_error(e, "invalid_role", "role change"))?;
    let db = env.d1("DB")?;
    let before = match is_id(id) {
        true => people::get(&db, &caller.tenant, id).await?,
        false => None,
    }
    .ok_or_else(|| no_person(id))?;
    owners_need_owner(&caller, &[before.role, input.role])?;
    if before.role == input.role {
        return Ok(respond::json(200, &before));
    }
    keep_an_owner(&db, &caller.tenant, &before, Some(input.role)).await?;
    let at = now();
    let handed_out = people::grants_of(&db, &caller.tenant, &before.id, at).await?;
    let grants = Grants::ended_by(handed_out, Some(input.role));
    let mut payload = grants_payload(&grants);
    payload.insert("before".into(), json!({"role": before.role.as_str()}));
    payload.insert("after".into(), json!({"role": input.role.as_str()}));
    record(
        AccessEvent {
            action: "person.role_change",
            outcome: "success",
            actor: audit::actor(&caller),
            targets: vec![target(&before)],
            description: format!(
                "changed {}'s role from {} to {}{}",
                before.email,
                before.role.as_str(),
                input.role.as_str(),
                grants_note(&grants)
            ),
            payload,
        },
        &req,
        env,
        &caller.tenant,
    )
    .await?;
    let after = people::set_role(&db, &caller.tenant, id, input.role, at)
        .await?
        .ok_or_else(|| last_owner(&before.email))?;
    Ok(respond::json(200, &after))
}

pub async fn remove(req: &Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ManagePeople).await?;
    let db = env.d1("DB")?;
    let person = match is_id(id) {
        true => people::get(&db, &caller.tenant, id).await?,
        false => None,
    }
    .ok_or_else(|| no_person(id))?;
    owners_need_owner(&caller, &[person.role])?;
    keep_an_owner(&db, &caller.tenant, &person, None).await?;
    let at = now();
    let handed_out = people::grants_of(&db, &caller.tenant, &person.id, at).await?;
    let grants = Grants::ended_by(handed_out, None);
    record(
        AccessEvent {
            action: "person.remove",
            outcome: "success",
            actor: audit::actor(&caller),
            targets: vec![target(&person)],
            description: format!(
                "removed {} ({}){}",
                person.email,
                person.role.as_str(),
                grants_note(&grants)
            ),
            payload: grants_payload(&grants),
        },
        req,
        env,
        &caller.tenant,
    )
    .await?;
    let removed = people::remove(&db, &caller.tenant, id, at)
        .await?
        .ok_or_else(|| last_owner(&person.email))?;
    Ok(respond::json(200, &removed))
}

/// The keys and invites a change ends, for its audit event's payload (no members when it ends none).
fn grants_payload(grants: &Grants) -> Map<String, serde_json::Value> {
    let mut payload = Map::new();
    if !grants.keys.is_empty() {
        payload.insert("revoked_api_key_ids".into(), json!(grants.keys));
    }
    if !grants.invites.is_empty() {
        payload.insert("withdrawn_invite_ids".into(), json!(grants.invites));
    }
    payload
}

/// The same for the event's description: `; ended 2 API keys and 1 invite they made`.
fn grants_note(grants: &Grants) -> String {
    let count = |n: usize, what: &str| match n {
        0 => None,
        1 => Some(format!("1 {what}")),
        n => Some(format!("{n} {what}s")),
    };
    let parts: Vec<String> = [
        count(grants.keys.len(), "API key"),
        count(grants.invites.len(), "invite"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.is_empty() {
        true => String::new(),
        false => format!("; ended {} they made", parts.join(" and ")),
    }
}

pub async fn invites(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAccess).await?;
    let invites = people::invites(&env.d1("DB")?, &caller.tenant, now()).await?;
    Ok(respond::json(200, &InviteList { invites }))
}

pub async fn invite(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, Power::ManagePeople).await?;
    let body = read_body(&mut req).await?;
    let input = read_invite(&body).map_err(|e| input_error(e, "invalid_invite", "invite"))?;
    owners_need_owner(&caller, &[input.role])?;
    let token = sessions::new_token()?;
    let id = random_id()?;
    let new = NewInvite {
        tenant: &caller.tenant,
        id: &id,
        email: &input.email,
        role: input.role,
        token_hash: &hash_secret(&token),
        by: &caller.actor.id,
        now: now(),
    };
    let db = env.d1("DB")?;
    let invite = people::invite(&db, &new)
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: "already_a_member",
            message: format!(
                "{} already has access to this tenant (or it has {} invites waiting, the most it may keep)",
                input.email,
                people::MAX_PER_TENANT
            ),
            errors: vec![],
        })?;
    let recorded = record(
        AccessEvent {
            action: "person.invite",
            outcome: "success",
            actor: audit::actor(&caller),
            targets: vec![json!({"type": "user", "id": input.email, "name": input.email})],
            description: format!("invited {} as {}", input.email, input.role.as_str()),
            payload: Map::from_iter([
                ("role".to_string(), input.role.as_str().into()),
                ("invite_id".to_string(), invite.id.clone().into()),
            ]),
        },
        &req,
        env,
        &caller.tenant,
    )
    .await;
    if let Err(error) = recorded {
        // Unrecorded, the invite must not work: revoke it before its link is ever shown.
        people::revoke_invite(&db, &caller.tenant, &invite.id).await?;
        return Err(error);
    }
    let path = format!("/invite#{token}");
    Ok(respond::json(
        201,
        &CreatedInvite {
            invite,
            token,
            path,
        },
    ))
}

pub async fn revoke_invite(req: &Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ManagePeople).await?;
    let db = env.d1("DB")?;
    let all = people::invites(&db, &caller.tenant, now()).await?;
    let invite = all
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("there is no invite `{id}` in this tenant")))?;
    owners_need_owner(&caller, &[invite.role])?;
    if invite.used_at.is_some() {
        return Err(ApiError::Conflict {
            code: "invite_used",
            message: format!(
                "the invite for {} was used already; remove the person instead",
                invite.email
            ),
            errors: vec![],
        });
    }
    record(
        AccessEvent {
            action: "person.invite_revoke",
            outcome: "success",
            actor: audit::actor(&caller),
            targets: vec![json!({"type": "user", "id": invite.email, "name": invite.email})],
            description: format!("revoked the invite for {}", invite.email),
            payload: Map::from_iter([("invite_id".to_string(), invite.id.clone().into())]),
        },
        req,
        env,
        &caller.tenant,
    )
    .await?;
    let revoked = people::revoke_invite(&db, &caller.tenant, id).await?;
    Ok(respond::json(200, &revoked.unwrap_or(invite)))
}

pub async fn accept(mut req: Request, env: &Env) -> Result<Response> {
    crate::auth::check_sign_in_request(&req)?;
    let body = read_body(&mut req).await?;
    let input = read_accept(&body).map_err(|e| input_error(e, "invalid_invite", "acceptance"))?;
    if let Some(problem) = password::policy_problem(&input.password) {
        return Err(input_error(
            InputError::Invalid(vec![evident_shared::FieldError::new("/password", problem)]),
            "invalid_invite",
            "acceptance",
        ));
    }
    let db = env.d1("DB")?;
    let token_hash = hash_secret(&input.token);
    let at = now();
    let Some(found) = people::invite_by_token(&db, &token_hash).await? else {
        return Err(ApiError::NotFound(
            "this invite link is not valid; ask for a new one".into(),
        ));
    };
    let invite = found.invite.clone().into_wire()?;
    if invite.used_at.is_some() {
        return Err(ApiError::Gone(
            "this invite link was used already; sign in, or ask for a new one".into(),
        ));
    }
    let hashed = password::hash(&input.password).await?;
    let id = random_id()?;
    let Some((tenant, person)) =
        people::accept(&db, &token_hash, &id, &input.name, &hashed, at).await?
    else {
        return Err(ApiError::Gone(format!(
            "this invite link expired at {} or was used meanwhile; ask for a new one",
            invite.expires_at
        )));
    };
    let recorded = record(
        AccessEvent {
            action: "person.join",
            outcome: "success",
            actor: audit::person(&person.id, &person.name, &person.email),
            targets: vec![],
            description: format!(
                "{} accepted an invite and joined as {}",
                person.email,
                person.role.as_str()
            ),
            payload: Map::from_iter([("invite_id".to_string(), invite.id.clone().into())]),
        },
        &req,
        env,
        &tenant,
    )
    .await;
    if let Err(error) = recorded {
        // Unrecorded, the person must not have access.
        people::remove(&db, &tenant, &person.id, now()).await?;
        return Err(error);
    }
    let mut response = respond::json(201, &person);
    // Behind Cloudflare Access the new person signs in through Access; no session of our own.
    if crate::access::AccessConfig::from_env(env).is_none() {
        let token = sessions::start(&db, &tenant, &person.id, at).await?;
        response
            .headers_mut()
            .set("set-cookie", &sessions::set_cookie(&token))?;
    }
    Ok(response)
}
