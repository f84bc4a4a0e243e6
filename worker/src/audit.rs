//! The log audits itself (SPEC 6): changes made through the API are stored as events in the tenant's
//! own chain, through the same validation, redaction, enrichment and sealing as any sent event, so
//! they are hashed, searchable and verifiable like the rest. The actor is the key that made the
//! change; the request's address and user agent say from where.

use evident_shared::api_key::ApiKey;
use evident_shared::body::Framing;
use evident_shared::validate::MAX_USER_AGENT_CHARS;
use serde_json::{json, Map, Value};
use worker::{Env, Request};

use crate::auth::Caller;
use crate::error::{ApiError, Result};
use crate::ingest::{read_native, Arrival};
use crate::routes::events::{random_bytes, seal_received};

/// The adapter name self-audit events carry in `source.format`.
pub const SOURCE_FORMAT: &str = "evident";

/// Where a request came from, as an event's `context`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// `CF-Connecting-IP`.
    pub ip: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
}

impl Origin {
    /// Reads a request's address and user agent, as the event model takes them: whatever a client
    /// sends must not keep its own read or change from being recorded (an event with a user agent
    /// past 1,024 characters, or an address that is none, would be refused).
    pub fn request(req: &Request) -> Origin {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        Origin::from_headers(header("cf-connecting-ip"), header("user-agent"))
    }

    fn from_headers(ip: Option<String>, user_agent: Option<String>) -> Origin {
        Origin {
            ip: ip.filter(|ip| ip.trim().parse::<std::net::IpAddr>().is_ok()),
            user_agent: user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
        }
    }
}

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// `api_key.create`
    Create,
    /// `api_key.revoke`
    Revoke,
}

/// The event that records a change to `key` by `caller`: the key's id, name, scope, environment and
/// display prefix, never its secret or hash.
pub fn key_event(change: KeyChange, caller: &Caller, key: &ApiKey, from: &Origin) -> Value {
    let (action, verb) = match change {
        KeyChange::Create => ("api_key.create", "created"),
        KeyChange::Revoke => ("api_key.revoke", "revoked"),
    };
    let bound = key
        .environment
        .as_deref()
        .map(|e| format!(" for the environment `{e}`"))
        .unwrap_or_default();
    let mut payload = Map::new();
    payload.insert("scope".into(), key.scope.as_str().into());
    payload.insert("prefix".into(), key.prefix.as_str().into());
    if let Some(environment) = &key.environment {
        payload.insert("environment".into(), environment.as_str().into());
    }
    json!({
        "action": action,
        "category": "auth",
        "outcome": "success",
        "severity": "medium",
        "actor": actor(caller),
        "targets": [{"type": "api_key", "id": key.id, "name": key.name}],
        "description": format!("{verb} the {} key `{}`{bound}", key.scope.as_str(), key.name),
        "payload": payload,
        "context": context(from),
        "source": {"name": "evident"},
    })
}

/// An event about access to the log itself (people, invites, sessions, reads): its action, outcome,
/// actor, targets, description and payload, with `context` from the request.
pub struct AccessEvent<'a> {
    /// e.g. `person.invite`.
    pub action: &'a str,
    /// `success` or `failure`.
    pub outcome: &'a str,
    /// The event's `actor` ([`actor`], or a person who is not a caller yet).
    pub actor: Value,
    /// The event's `targets`.
    pub targets: Vec<Value>,
    /// One sentence.
    pub description: String,
    /// Anything more, never a secret.
    pub payload: Map<String, Value>,
}

impl AccessEvent<'_> {
    /// The event to [`record`]. Category `auth` for sessions, people, invites, keys and settings;
    /// `export` for an export of the log (data leaving, as the category rule reads the verb) and
    /// `read` for its other reads; for saved searches, the verb's (`create`, `update`, `delete`).
    pub fn into_event(self, from: &Origin) -> Value {
        let category = match self.action {
            "log.export" => "export",
            read if read.starts_with("log.") => "read",
            other => other.strip_prefix("saved_search.").unwrap_or("auth"),
        };
        let severity = match (self.outcome, category) {
            ("failure", _) => "medium",
            (_, "read" | "export" | "create" | "update" | "delete") => "info",
            _ => "medium",
        };
        json!({
            "action": self.action,
            "category": category,
            "outcome": self.outcome,
            "severity": severity,
            "actor": self.actor,
            "targets": self.targets,
            "description": self.description,
            "payload": self.payload,
            "context": context(from),
            "source": {"name": "evident"},
        })
    }
}

/// A request's origin as an event's `context`.
fn context(from: &Origin) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("interface".into(), "api".into());
    if let Some(ip) = &from.ip {
        context.insert("ip".into(), ip.as_str().into());
    }
    if let Some(ua) = &from.user_agent {
        context.insert("user_agent".into(), ua.as_str().into());
    }
    context
}

/// A person as an event's `actor`.
pub fn person(id: &str, name: &str, email: &str) -> Value {
    json!({"type": "user", "id": id, "name": name, "email": email})
}

/// A person as one of an event's `targets` (which have no e-mail field): named by their e-mail.
pub fn person_target(id: &str, email: &str) -> Value {
    json!({"type": "user", "id": id, "name": email})
}

/// The caller as an event's `actor`.
pub fn actor(caller: &Caller) -> Value {
    let mut actor = json!({
        "type": caller.actor.kind,
        "id": caller.actor.id,
        "name": caller.actor.name,
    });
    if let Some(email) = &caller.actor.email {
        actor["email"] = email.as_str().into();
    }
    actor
}

/// Stores one audit event in the caller's tenant's chain and waits until it is sealed.
pub async fn record(event: Value, req: &Request, env: &Env, tenant: &str) -> Result<()> {
    let random = random_bytes()?;
    let arrival = Arrival {
        tenant,
        received_at: worker::js_sys::Date::now() as i64,
        format: SOURCE_FORMAT,
        atomic: true,
        idempotency_key: None,
        random: &random,
    };
    let body = event.to_string();
    let received = read_native(&body, Framing::Json, arrival)?;
    let prepared = seal_received(received, req, env, tenant).await?;
    match prepared.response.rejected.first() {
        None if prepared.response.accepted == 1 => Ok(()),
        // The events above are built here, so a rejection is a bug, not the caller's mistake.
        rejected => Err(ApiError::Internal(format!(
            "the audit event was not stored: {rejected:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use evident_shared::api_key::KeyScope;
    use evident_shared::redact::RedactionRules;

    use super::*;
    use crate::ingest::Enrichment;

    fn caller() -> Caller {
        Caller {
            tenant: "acme".into(),
            actor: crate::auth::Actor {
                kind: "api_key",
                id: "config:admin".into(),
                name: "ADMIN_KEY".into(),
                email: None,
            },
            grant: crate::auth::Grant::Root,
            environment: None,
            session: None,
        }
    }

    fn key(environment: Option<&str>) -> ApiKey {
        ApiKey {
            id: "8d3c1f0e-4b6a-4c1d-9e2f-0a1b2c3d4e5f".into(),
            name: "CI deploys".into(),
            scope: KeyScope::Ingest,
            environment: environment.map(str::to_string),
            prefix: "evd_sk_Ab9z".into(),
            created_at: "2026-11-22T08:00:00.000Z".into(),
            created_by: "config:admin".into(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    /// The event as it would be stored: validated, redacted and enriched like any other.
    fn stored(event: &Value) -> Value {
        let arrival = Arrival {
            tenant: "acme",
            received_at: 1_700_000_000_000,
            format: SOURCE_FORMAT,
            atomic: true,
            idempotency_key: None,
            random: &[1; 8],
        };
        let body = event.to_string();
        let received = read_native(&body, Framing::Json, arrival).unwrap();
        let rules = RedactionRules::default();
        let prepared = received.finish(Enrichment {
            geo: &HashMap::new(),
            client: None,
            rules: &rules,
        });
        assert!(
            prepared.response.rejected.is_empty(),
            "{:?}",
            prepared.response
        );
        serde_json::from_str(&prepared.pending[0].unsealed.text).unwrap()
    }

    /// A client's headers cannot make its own read or change unrecordable: a user agent past what
    /// an event holds is cut, an address that is none is left out, and the event is stored.
    #[test]
    fn any_origin_makes_a_valid_event() {
        let from = Origin::from_headers(Some("not an address".into()), Some("é".repeat(5_000)));
        assert_eq!(from.ip, None);
        assert_eq!(
            from.user_agent.as_ref().map(|ua| ua.chars().count()),
            Some(1024)
        );
        let event = stored(&key_event(KeyChange::Create, &caller(), &key(None), &from));
        assert_eq!(
            event["context"]["user_agent"]
                .as_str()
                .map(|ua| ua.chars().count()),
            Some(1024)
        );
        let kept = Origin::from_headers(Some("2001:db8::1".into()), Some("curl/8".into()));
        assert_eq!(kept.ip.as_deref(), Some("2001:db8::1"));
    }

    #[test]
    fn key_events_are_valid_and_name_actor_target_and_origin() {
        let from = Origin {
            ip: Some("81.2.69.160".into()),
            user_agent: Some("curl/8.5.0".into()),
        };
        let event = stored(&key_event(
            KeyChange::Create,
            &caller(),
            &key(Some("prod")),
            &from,
        ));
        assert_eq!(event["action"], "api_key.create");
        assert_eq!(event["category"], "auth");
        assert_eq!(event["actor"]["id"], "config:admin");
        assert_eq!(event["actor"]["type"], "api_key");
        assert_eq!(event["targets"][0]["id"], key(None).id.as_str());
        assert_eq!(event["targets"][0]["name"], "CI deploys");
        assert_eq!(event["payload"]["environment"], "prod");
        // The display prefix survives redaction: it is not a secret.
        assert_eq!(event["payload"]["prefix"], "evd_sk_Ab9z");
        assert_eq!(event["context"]["ip"], "81.2.69.160");
        assert_eq!(event["source"]["format"], SOURCE_FORMAT);
        assert!(event["description"]
            .as_str()
            .unwrap()
            .contains("for the environment `prod`"));

        let revoke = stored(&key_event(
            KeyChange::Revoke,
            &caller(),
            &key(None),
            &Origin::default(),
        ));
        assert_eq!(revoke["action"], "api_key.revoke");
        assert!(revoke["payload"].get("environment").is_none());
        assert!(revoke["context"].get("ip").is_none());
    }
}
