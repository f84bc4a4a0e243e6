//! Who is calling. Until key management arrives, one deployment serves one tenant with keys from
//! configuration: `INGEST_KEY` may only send events, `READ_KEY` may only read them, and `ADMIN_KEY` may
//! read and change the tenant's settings. All are secrets in production (`wrangler secret put`) and
//! come from `.dev.vars` or `--var` locally.

use worker::{Env, Request};

use crate::error::{ApiError, Result};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// Send events.
    Ingest,
    /// Read events.
    Read,
    /// Read events and change settings.
    Admin,
}

impl KeyScope {
    fn as_str(self) -> &'static str {
        match self {
            KeyScope::Ingest => "ingest",
            KeyScope::Read => "read",
            KeyScope::Admin => "admin",
        }
    }

    /// True when a key with this scope may use an endpoint that needs `needed`.
    fn grants(self, needed: KeyScope) -> bool {
        self == needed || (self == KeyScope::Admin && needed == KeyScope::Read)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The tenant the key belongs to.
    pub tenant: String,
}

/// The configured keys and tenant.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// The tenant both keys belong to.
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

    /// Checks the presented key against the configured ones for the needed scope.
    pub fn authorize(&self, presented: Option<&str>, needed: KeyScope) -> Result<Caller> {
        let key = presented.ok_or_else(|| {
            ApiError::Unauthorized("missing credentials: send `Authorization: Bearer <key>`".into())
        })?;
        let scope_of =
            |secret: &Option<String>| secret.as_deref().is_some_and(|s| constant_time_eq(s, key));
        let scope = if scope_of(&self.ingest_key) {
            KeyScope::Ingest
        } else if scope_of(&self.read_key) {
            KeyScope::Read
        } else if scope_of(&self.admin_key) {
            KeyScope::Admin
        } else {
            return Err(ApiError::Unauthorized("the key is not valid".into()));
        };
        if !scope.grants(needed) {
            return Err(ApiError::Forbidden(format!(
                "this key has the `{}` scope; this endpoint needs a key with the `{}` scope",
                scope.as_str(),
                needed.as_str()
            )));
        }
        Ok(Caller {
            tenant: self.tenant.clone(),
        })
    }
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

/// Authenticates a request for a scope.
pub fn authorize(req: &Request, env: &Env, needed: KeyScope) -> Result<Caller> {
    KeyConfig::from_env(env).authorize(bearer(req).as_deref(), needed)
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
