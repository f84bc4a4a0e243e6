//! Who is calling, and what they may do. Two kinds of keys:
//!
//! - **Configured keys**, one per scope for one tenant (`TENANT`, `demo` by default): `INGEST_KEY`
//!   may only send events, `READ_KEY` may only read them, and `ADMIN_KEY` may read, change the
//!   tenant's settings and manage keys. They are the bootstrap keys of deploys, the run script and the
//!   tests: secrets in production (`wrangler secret put`), `.dev.vars` or `--var` locally.
//! - **Stored keys** (`/api/v1/keys`, [`crate::keys`]): any number per tenant, each with a scope and
//!   optionally bound to one environment, revocable. Secrets look like `evd_sk_...`
//!   ([`evident_shared::api_key`]); only well-formed ones (prefix and checksum) are looked up.
//!
//! Configured keys are checked first, then stored keys by the hash of the secret.

use evident_shared::api_key::is_well_formed;
use worker::{Env, Request};

use crate::error::{ApiError, Result};
use crate::sql::Reach;

pub use evident_shared::api_key::KeyScope;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the key belongs to.
    pub tenant: String,
    /// Which key is calling, as the log names it: a stored key's id, or `config:<scope>` for a
    /// configured key.
    pub key_id: String,
    /// The key's name: a stored key's own, or the variable a configured key comes from.
    pub key_name: String,
    /// What the key may do.
    pub scope: KeyScope,
    /// The one environment this caller may send events for and read events of, or `None` for all.
    /// Ingestion rejects events of any other environment (or none), per event
    /// ([`crate::ingest::Validated::keep_to_environment`]); every read of events keeps to it in its
    /// SQL, through [`Caller::reach`].
    pub environment: Option<String>,
}

impl Caller {
    /// Whose events this caller may read: the tenant's, within its environment when it is bound to one.
    pub fn reach(&self) -> Reach<'_> {
        Reach {
            tenant: &self.tenant,
            environment: self.environment.as_deref(),
        }
    }

    /// The caller, when its key has the scope an endpoint needs; 403 otherwise.
    fn require(self, needed: KeyScope) -> Result<Caller> {
        if self.scope.grants(needed) {
            Ok(self)
        } else {
            Err(ApiError::Forbidden(format!(
                "this key has the `{}` scope; this endpoint needs a key with the `{}` scope",
                self.scope.as_str(),
                needed.as_str()
            )))
        }
    }
}

/// The configured keys and tenant.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// The tenant the configured keys belong to.
    pub tenant: String,
    /// Secret of the ingest key.
    pub ingest_key: Option<String>,
    /// Secret of the read key.
    pub read_key: Option<String>,
    /// Secret of the admin key.
    pub admin_key: Option<String>,
}

impl KeyConfig {
    /// Reads the configuration from the worker's environment.
    pub fn from_env(env: &Env) -> KeyConfig {
        let text = |name: &str| {
            env.secret(name)
                .map(|s| s.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .ok()
                .filter(|s| !s.is_empty())
        };
        KeyConfig {
            tenant: text("TENANT").unwrap_or_else(|| "demo".to_string()),
            ingest_key: text("INGEST_KEY"),
            read_key: text("READ_KEY"),
            admin_key: text("ADMIN_KEY"),
        }
    }

    /// The caller a configured key stands for, if `key` is one.
    pub fn caller(&self, key: &str) -> Option<Caller> {
        let matches =
            |secret: &Option<String>| secret.as_deref().is_some_and(|s| constant_time_eq(s, key));
        let (scope, variable) = if matches(&self.ingest_key) {
            (KeyScope::Ingest, "INGEST_KEY")
        } else if matches(&self.read_key) {
            (KeyScope::Read, "READ_KEY")
        } else if matches(&self.admin_key) {
            (KeyScope::Admin, "ADMIN_KEY")
        } else {
            return None;
        };
        Some(Caller {
            tenant: self.tenant.clone(),
            key_id: format!("config:{}", scope.as_str()),
            key_name: variable.to_string(),
            scope,
            environment: None,
        })
    }

    /// Checks the presented key against the configured ones only, for the needed scope.
    pub fn authorize(&self, presented: Option<&str>, needed: KeyScope) -> Result<Caller> {
        let key = presented.ok_or_else(missing)?;
        self.caller(key).ok_or_else(not_valid)?.require(needed)
    }
}

fn missing() -> ApiError {
    ApiError::Unauthorized("missing credentials: send `Authorization: Bearer <key>`".into())
}

fn not_valid() -> ApiError {
    ApiError::Unauthorized("the key is not valid".into())
}

/// Reads the bearer token of a request, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Authenticates a request for a scope: 401 without a key, with one that is not valid or one that
/// was revoked; 403 for a key without the scope.
pub async fn authorize(req: &Request, env: &Env, needed: KeyScope) -> Result<Caller> {
    let key = bearer(req).ok_or_else(missing)?;
    let caller = match KeyConfig::from_env(env).caller(&key) {
        Some(caller) => caller,
        None if is_well_formed(&key) => {
            let now = worker::js_sys::Date::now() as i64;
            crate::keys::authenticate(&env.d1("DB")?, &key, now).await?
        }
        None => return Err(not_valid()),
    };
    caller.require(needed)
}

/// Compares secrets without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KeyConfig {
        KeyConfig {
            tenant: "acme".into(),
            ingest_key: Some("in-secret".into()),
            read_key: Some("rd-secret".into()),
            admin_key: Some("ad-secret".into()),
        }
    }

    #[test]
    fn scopes_are_enforced() {
        let c = config();
        assert_eq!(
            c.authorize(Some("in-secret"), KeyScope::Ingest)
                .unwrap()
                .tenant,
            "acme"
        );
        assert!(c.authorize(Some("rd-secret"), KeyScope::Read).is_ok());
        assert_eq!(
            c.authorize(Some("rd-secret"), KeyScope::Ingest)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("in-secret"), KeyScope::Read)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("in-secreT"), KeyScope::Ingest)
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(c.authorize(None, KeyScope::Read).unwrap_err().status(), 401);
        assert!(c.authorize(Some("ad-secret"), KeyScope::Admin).is_ok());
        assert!(c.authorize(Some("ad-secret"), KeyScope::Read).is_ok());
        assert_eq!(
            c.authorize(Some("rd-secret"), KeyScope::Admin)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("ad-secret"), KeyScope::Ingest)
                .unwrap_err()
                .status(),
            403
        );
    }

    #[test]
    fn configured_keys_name_themselves_and_read_everything() {
        let caller = config().caller("ad-secret").unwrap();
        assert_eq!(caller.key_id, "config:admin");
        assert_eq!(caller.key_name, "ADMIN_KEY");
        assert_eq!(
            caller.reach(),
            Reach {
                tenant: "acme",
                environment: None
            }
        );
        assert_eq!(
            config().caller("in-secret").unwrap().key_id,
            "config:ingest"
        );
        assert_eq!(config().caller("evd_sk_x"), None);
    }

    #[test]
    fn a_bound_caller_reaches_only_its_environment() {
        let caller = Caller {
            environment: Some("prod".into()),
            ..config().caller("rd-secret").unwrap()
        };
        assert_eq!(caller.reach().environment, Some("prod"));
    }

    #[test]
    fn an_unconfigured_key_never_matches() {
        let c = KeyConfig {
            tenant: "t".into(),
            ingest_key: None,
            read_key: None,
            admin_key: None,
        };
        assert_eq!(
            c.authorize(Some(""), KeyScope::Read).unwrap_err().status(),
            401
        );
    }
}
