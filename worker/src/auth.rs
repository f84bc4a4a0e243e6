//! Who is calling, and what they may do ([`evident_shared::roles`]). Three kinds of credentials:
//!
//! - **Configured keys**, one per scope for one tenant (`TENANT`, `demo` by default): `INGEST_KEY`
//!   may only send events, `READ_KEY` may only read them, and `ADMIN_KEY` is the deployment's root
//!   secret: everything an owner may do. They are the bootstrap keys of deploys, the run script and
//!   the tests: secrets in production (`wrangler secret put`), `.dev.vars` or `--var` locally.
//! - **Stored keys** (`/api/v1/keys`, [`crate::keys`]): any number per tenant, each with a scope and
//!   optionally bound to one environment, revocable. Secrets look like `evd_sk_...`
//!   ([`evident_shared::api_key`]); only well-formed ones (prefix and checksum) are looked up.
//! - **Sessions** of people signed in to the dashboard ([`crate::sessions`]): the cookie, checked
//!   against the session and its person's role as they are now. A request that changes something
//!   with a cookie must carry the session's CSRF token, and an `Origin` (when sent) of our own.
//!
//! - **Cloudflare Access**, when configured ([`crate::access`]): the signed token Access adds to
//!   every request, verified here, its e-mail a person's.
//!
//! A bearer key is checked first (configured, then stored), then an Access token, then the cookie.

use evident_shared::api_key::is_well_formed;
use evident_shared::people::Person;
use evident_shared::roles::{scope_grants, Power, Role};
use worker::{Env, Method, Request};

use crate::access::{self, AccessConfig};
use crate::error::{ApiError, Result};
use crate::sessions;
use crate::sql::Reach;

pub use evident_shared::api_key::KeyScope;

/// Who a caller is, as the log names them in `actor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `api_key` or `user`.
    pub kind: &'static str,
    /// A stored key's id, `config:<scope>` for a configured key, a person's id.
    pub id: String,
    /// A key's name (a configured key's: its variable), a person's name.
    pub name: String,
    /// A person's e-mail.
    pub email: Option<String>,
}

/// What a caller's credential grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// An API key's scope.
    Scope(KeyScope),
    /// The configured admin key: everything an owner may do.
    Root,
    /// A signed-in person's role.
    Role(Role),
}

impl Grant {
    /// Whether it grants `power`.
    pub fn grants(self, power: Power) -> bool {
        match self {
            Grant::Scope(scope) => scope_grants(scope, power),
            Grant::Root => Role::Owner.grants(power),
            Grant::Role(role) => role.grants(power),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the credential belongs to.
    pub tenant: String,
    /// Who is calling.
    pub actor: Actor,
    /// What they may do.
    pub grant: Grant,
    /// The one environment this caller may send events for and read events of, or `None` for all.
    /// Ingestion rejects events of any other environment (or none), per event
    /// ([`crate::ingest::Received::keep_to_environment`]); every read of events keeps to it in its
    /// SQL, through [`Caller::reach`].
    pub environment: Option<String>,
    /// The session token, when signed in with the cookie.
    pub session: Option<String>,
}

impl Caller {
    /// A signed-in person, with their session token when signed in with the cookie.
    pub fn person(tenant: String, person: Person, session: Option<String>) -> Caller {
        Caller {
            tenant,
            actor: Actor {
                kind: "user",
                id: person.id,
                name: person.name,
                email: Some(person.email),
            },
            grant: Grant::Role(person.role),
            environment: None,
            session,
        }
    }

    /// Whose events this caller may read: the tenant's, within its environment when it is bound to
    /// one, and only those they are the actor of (by e-mail) when they are a member.
    pub fn reach(&self) -> Reach<'_> {
        Reach {
            tenant: &self.tenant,
            environment: self.environment.as_deref(),
            actor_email: match self.grant {
                Grant::Role(Role::Member) => Some(self.actor.email.as_deref().unwrap_or("")),
                _ => None,
            },
        }
    }

    /// Whether the caller has `power`. A key bound to one environment has none of the powers over
    /// the whole tenant (people, settings), whatever its scope: with them it could give itself, or
    /// someone it invites, what its binding keeps from it.
    pub fn may(&self, power: Power) -> bool {
        self.grant.grants(power) && !(self.environment.is_some() && power.reaches_whole_tenant())
    }

    /// The caller, when it has the power an endpoint needs; 403 otherwise.
    pub fn require(self, needed: Power) -> Result<Caller> {
        if self.may(needed) {
            return Ok(self);
        }
        if let Some(environment) = self
            .environment
            .as_deref()
            .filter(|_| self.grant.grants(needed))
        {
            return Err(ApiError::Forbidden(format!(
                "this key is bound to the environment `{environment}`, and people, settings and \
                 saved searches are the whole tenant's: it may not {}; use a key bound to no \
                 environment, or sign in",
                needed.as_str()
            )));
        }
        let who = match self.grant {
            Grant::Scope(scope) => format!("this key has the `{}` scope", scope.as_str()),
            Grant::Root => "the configured admin key".to_string(),
            Grant::Role(role) => format!("your role is {}", role.as_str()),
        };
        let scope = KeyScope::ALL
            .into_iter()
            .find(|scope| scope_grants(*scope, needed));
        let hint = match (self.grant, scope) {
            (Grant::Role(_), Some(KeyScope::Ingest)) => {
                "; events are sent with an API key of the `ingest` scope".to_string()
            }
            (Grant::Scope(_), Some(scope)) => {
                format!("; it needs a key with the `{}` scope", scope.as_str())
            }
            (Grant::Scope(_), None) => "; only an owner, or the configured admin key, may".into(),
            _ => String::new(),
        };
        Err(ApiError::Forbidden(format!(
            "{who}, which may not {}{hint}",
            needed.as_str()
        )))
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
            actor: Actor {
                kind: "api_key",
                id: format!("config:{}", scope.as_str()),
                name: variable.to_string(),
                email: None,
            },
            grant: match scope {
                KeyScope::Admin => Grant::Root,
                scope => Grant::Scope(scope),
            },
            environment: None,
            session: None,
        })
    }

    /// Checks the presented key against the configured ones only, for the needed power.
    pub fn authorize(&self, presented: Option<&str>, needed: Power) -> Result<Caller> {
        let key = presented.ok_or_else(missing)?;
        self.caller(key).ok_or_else(not_valid)?.require(needed)
    }
}

fn missing() -> ApiError {
    ApiError::Unauthorized(
        "missing credentials: sign in, or send `Authorization: Bearer <key>`".into(),
    )
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

/// Authenticates a request for a power: 401 without a credential, with one that is not valid, a
/// revoked key or an ended session; 403 when the credential lacks the power, or a cookie request
/// that changes something lacks its CSRF token.
pub async fn authorize(req: &Request, env: &Env, needed: Power) -> Result<Caller> {
    authenticate(req, env).await?.require(needed)
}

/// Who is calling, whatever they may do.
pub async fn authenticate(req: &Request, env: &Env) -> Result<Caller> {
    let now = worker::js_sys::Date::now() as i64;
    if let Some(key) = bearer(req) {
        return match KeyConfig::from_env(env).caller(&key) {
            Some(caller) => Ok(caller),
            None if is_well_formed(&key) => {
                crate::keys::authenticate(&env.d1("DB")?, &key, now).await
            }
            None => Err(not_valid()),
        };
    }
    if let Some(config) = AccessConfig::from_env(env) {
        // Behind Access, people come through Access only: a cookie session would let someone who
        // reaches the worker another way (its workers.dev address) past Access's own checks.
        return match req.headers().get(access::HEADER).ok().flatten() {
            Some(jwt) => access_caller(req, env, &config, &jwt, now).await,
            None => Err(ApiError::Unauthorized(
                "missing credentials: this deployment signs people in through Cloudflare Access, \
                 or send `Authorization: Bearer <key>`"
                    .into(),
            )),
        };
    }
    let cookies = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let Some(token) = sessions::cookie_token(&cookies) else {
        return Err(missing());
    };
    let session = sessions::find(&env.d1("DB")?, token, now)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("your session has ended; sign in again".into()))?;
    if changes_something(req) {
        check_csrf(req, token)?;
    }
    let person = session.person.into_wire()?;
    Ok(Caller::person(
        session.tenant,
        person,
        Some(token.to_string()),
    ))
}

fn changes_something(req: &Request) -> bool {
    !matches!(req.method(), Method::Get | Method::Head | Method::Options)
}

/// The person behind a Cloudflare Access token ([`crate::access`]): 401 when the token does not
/// verify, 403 when its e-mail is no one's here.
async fn access_caller(
    req: &Request,
    env: &Env,
    config: &AccessConfig,
    jwt: &str,
    now: i64,
) -> Result<Caller> {
    let invalid = |why: String| {
        ApiError::Unauthorized(format!("the Cloudflare Access token is not valid: {why}"))
    };
    let token = access::parse(jwt).map_err(invalid)?;
    let email = access::check_claims(&token.claims, config, now / 1000).map_err(invalid)?;
    let keys = access::key_set(config, now, false).await?;
    let jwk = match access::find_key(&keys, &token.kid) {
        Ok(jwk) => jwk,
        // Perhaps a key the team rotated in since the keys were fetched.
        Err(_) => {
            let keys = access::key_set(config, now, true).await?;
            access::find_key(&keys, &token.kid).map_err(invalid)?
        }
    };
    if !access::verify(&jwk, &token.signed, &token.signature).await? {
        return Err(invalid("its signature does not verify".into()));
    }
    let found = crate::people::with_email(&env.d1("DB")?, &email).await?;
    let Some(row) = found.into_iter().next() else {
        return Err(ApiError::Forbidden(format!(
            "{email} signed in through Cloudflare Access but has no access to Evident; ask an \
             admin for an invite"
        )));
    };
    if changes_something(req) {
        check_origin(req, true)?;
    }
    Ok(Caller::person(row.tenant, row.person.into_wire()?, None))
}

/// A request that changes something with an ambient credential (a cookie), or that sets one (sign-in,
/// accepting an invite: no signing a victim in as the attacker), must come from a page of our own:
/// its `Origin`, when sent (or always, when `required`), is ours.
pub fn check_origin(req: &Request, required: bool) -> Result<()> {
    let origin = req.headers().get("origin").ok().flatten();
    let own = req.url().map(|u| u.origin().ascii_serialization()).ok();
    match (origin, own) {
        (Some(origin), Some(own)) if origin == own => Ok(()),
        (None, _) if !required => Ok(()),
        (origin, _) => Err(ApiError::Forbidden(format!(
            "a request from `{}` may not change anything with this sign-in",
            origin.as_deref().unwrap_or("an unknown origin")
        ))),
    }
}

/// A request that signs in (or accepts an invite, which signs in too) must come from a page of our
/// own when it names its origin, and must say its body is JSON: a page of another site can post a
/// form (`text/plain` included) with no preflight, but not `application/json`, so this stops another
/// site signing a browser in as someone of its choosing even when the browser sends no `Origin`.
pub fn check_sign_in_request(req: &Request) -> Result<()> {
    check_origin(req, false)?;
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the body as `Content-Type: application/json` (got `{}`)",
            if media.is_empty() { "none" } else { media }
        )));
    }
    Ok(())
}

/// A cookie request that changes something must come from a page of our own: its `Origin`, when
/// sent, is ours, and it carries the session's CSRF token, which only such a page can read.
fn check_csrf(req: &Request, token: &str) -> Result<()> {
    check_origin(req, false)?;
    let sent = req
        .headers()
        .get(sessions::CSRF_HEADER)
        .ok()
        .flatten()
        .unwrap_or_default();
    if !constant_time_eq(&sent, &sessions::csrf_token(token)) {
        return Err(ApiError::Forbidden(
            "missing or wrong `X-CSRF-Token` header: send the `csrf_token` of `GET /api/v1/session` \
             with every request that changes something"
                .into(),
        ));
    }
    Ok(())
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
            c.authorize(Some("in-secret"), Power::SendEvents)
                .unwrap()
                .tenant,
            "acme"
        );
        assert!(c.authorize(Some("rd-secret"), Power::ReadEvents).is_ok());
        assert_eq!(
            c.authorize(Some("rd-secret"), Power::SendEvents)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("in-secret"), Power::ReadEvents)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("in-secreT"), Power::SendEvents)
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(
            c.authorize(None, Power::ReadEvents).unwrap_err().status(),
            401
        );
        assert!(c.authorize(Some("ad-secret"), Power::ManageOwners).is_ok());
        assert!(c.authorize(Some("ad-secret"), Power::ReadEvents).is_ok());
        assert_eq!(
            c.authorize(Some("rd-secret"), Power::ManageKeys)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            c.authorize(Some("ad-secret"), Power::SendEvents)
                .unwrap_err()
                .status(),
            403
        );
    }

    #[test]
    fn configured_keys_name_themselves_and_read_everything() {
        let caller = config().caller("ad-secret").unwrap();
        assert_eq!(caller.actor.id, "config:admin");
        assert_eq!(caller.actor.name, "ADMIN_KEY");
        assert_eq!(
            caller.reach(),
            Reach {
                tenant: "acme",
                environment: None,
                actor_email: None,
            }
        );
        assert_eq!(
            config().caller("in-secret").unwrap().actor.id,
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

    /// An admin key bound to an environment manages keys of that environment, but nothing of the
    /// whole tenant: an invite or a role change would give someone every environment.
    #[test]
    fn a_bound_admin_key_has_no_power_over_the_whole_tenant() {
        let admin = |environment: Option<&str>| Caller {
            grant: Grant::Scope(KeyScope::Admin),
            environment: environment.map(str::to_owned),
            ..config().caller("rd-secret").unwrap()
        };
        for power in Power::ALL {
            let tenant_wide = matches!(
                power,
                Power::ShareSearches
                    | Power::ChangeSettings
                    | Power::ManagePeople
                    | Power::ManageOwners
            );
            assert_eq!(power.reaches_whole_tenant(), tenant_wide, "{power:?}");
            assert_eq!(
                admin(Some("dev")).may(power),
                admin(None).may(power) && !tenant_wide,
                "{power:?}"
            );
        }
        let refused = admin(Some("dev")).require(Power::ManagePeople).unwrap_err();
        assert_eq!(refused.status(), 403);
        assert!(
            refused.to_string().starts_with(
                "this key is bound to the environment `dev`, and people, settings and saved \
                 searches are the whole tenant's: it may not"
            ),
            "{refused}"
        );
        assert!(admin(Some("dev")).require(Power::ManageKeys).is_ok());
        assert!(admin(None).require(Power::ManagePeople).is_ok());
    }

    #[test]
    fn a_member_reaches_only_their_own_events_and_others_everything() {
        let person = |role: Role| Caller {
            tenant: "acme".into(),
            actor: Actor {
                kind: "user",
                id: "p1".into(),
                name: "Ada".into(),
                email: Some("ada@acme.org".into()),
            },
            grant: Grant::Role(role),
            environment: None,
            session: Some("t".into()),
        };
        assert_eq!(
            person(Role::Member).reach().actor_email,
            Some("ada@acme.org")
        );
        for role in [Role::Owner, Role::Admin, Role::Auditor] {
            assert_eq!(person(role).reach().actor_email, None, "{role:?}");
        }
        let refused = person(Role::Auditor)
            .require(Power::ChangeSettings)
            .unwrap_err();
        assert_eq!(refused.status(), 403);
        assert_eq!(
            refused.to_string(),
            "your role is auditor, which may not change settings"
        );
        assert!(person(Role::Member)
            .require(Power::SendEvents)
            .unwrap_err()
            .to_string()
            .contains("`ingest` scope"));
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
            c.authorize(Some(""), Power::ReadEvents)
                .unwrap_err()
                .status(),
            401
        );
    }
}
