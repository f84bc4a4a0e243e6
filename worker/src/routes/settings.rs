//! `GET` and `PUT /api/v1/settings/redaction`: a tenant's redaction rules. Reading needs the read
//! scope (or an owner, admin or auditor), changing them the admin scope (or an owner or admin); rules
//! are checked before they are stored (an unknown member is refused, not ignored), so ingestion never
//! meets a bad rule, and every change is recorded in the tenant's chain with the rules before and
//! after. Ingestion reads them on every request, so a change applies to the next event.

use evident_shared::redact::RedactionRules;
use evident_shared::saved_search::InputError;
use worker::{D1Database, Env, Request, Response};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::authorize;
use crate::error::{ApiError, Result};
use crate::routes::events::read_body;
use crate::{respond, store};
use evident_shared::roles::Power;

/// The tenant's rules, or the defaults when it has set none.
pub async fn redaction_rules(db: &D1Database, tenant: &str) -> Result<RedactionRules> {
    match store::redaction_rules(db, tenant).await? {
        None => Ok(RedactionRules::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| ApiError::Internal(format!("stored redaction rules do not parse: {e}"))),
    }
}

pub async fn get_redaction(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadSettings).await?;
    let rules = redaction_rules(&env.d1("DB")?, &caller.tenant).await?;
    Ok(respond::json(200, &rules))
}

pub async fn put_redaction(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, Power::ChangeSettings).await?;
    let body = read_body(&mut req).await?;
    let rules = RedactionRules::read_input(&body).map_err(|error| match error {
        InputError::Json(message) => ApiError::BadRequest {
            code: "invalid_json",
            message,
        },
        InputError::Invalid(errors) => ApiError::Invalid {
            code: "invalid_redaction_rules",
            message: "the redaction rules are invalid".into(),
            errors,
        },
    })?;
    let json = serde_json::to_string(&rules).unwrap_or_default();
    let before = redaction_rules(&env.d1("DB")?, &caller.tenant).await?;
    // Recorded before it is made: a failure leaves the old rules, and a retry records it again.
    let event = AccessEvent {
        action: "settings.redaction_change",
        outcome: "success",
        actor: audit::actor(&caller),
        targets: vec![
            serde_json::json!({"type": "settings", "id": "redaction", "name": "Redaction rules"}),
        ],
        description: "changed the redaction rules".into(),
        payload: serde_json::Map::from_iter([
            (
                "before".to_string(),
                serde_json::to_value(&before).unwrap_or_default(),
            ),
            (
                "after".to_string(),
                serde_json::to_value(&rules).unwrap_or_default(),
            ),
        ]),
    };
    audit::record(
        event.into_event(&Origin::request(&req)),
        &req,
        env,
        &caller.tenant,
    )
    .await?;
    store::set_redaction_rules(&env.d1("DB")?, &caller.tenant, &json).await?;
    Ok(respond::json(200, &rules))
}
