//! Sign-in through Cloudflare Access (SPEC 6), when configured: `ACCESS_TEAM_DOMAIN` (e.g.
//! `https://acme.cloudflareaccess.com`) and `ACCESS_AUD` (the application's audience tag). Access puts
//! a signed JWT in the `Cf-Access-Jwt-Assertion` header of every request it lets through; the worker
//! verifies it itself rather than trusting that the request came through Access:
//!
//! - the header names `RS256` and a `kid` found in the team's keys (`<team>/cdn-cgi/access/certs`,
//!   fetched and kept for ten minutes, fetched again sooner for a `kid` not among them (keys
//!   rotate), the kept ones used if a fetch fails; or `ACCESS_JWKS` inline, which the tests and
//!   offline setups use), and the RSA signature verifies with WebCrypto;
//! - `iss` is the team domain, `aud` holds the audience tag, `exp` is in the future and `nbf` (if
//!   any) in the past, with a minute of leeway for clocks;
//! - the `email` claim is a person of a tenant (`people`), whose role then applies as for a session.
//!
//! Access's cookie travels with every request like a session's, so a request that changes something
//! must carry an `Origin` of our own. Parsing and the claim checks are pure and tested natively; the
//! signature check runs in the worker and is exercised by `tests/api/access.test.mjs`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// The header Access adds.
pub const HEADER: &str = "cf-access-jwt-assertion";
/// Clock leeway for `exp` and `nbf`, in seconds.
pub const LEEWAY_S: i64 = 60;
/// How long fetched keys are kept, in milliseconds.
pub const KEYS_TTL_MS: i64 = 600_000;
/// How old kept keys must be before a token signed with a key not among them fetches them again:
/// Cloudflare rotates the team's keys, and a new one must not wait out [`KEYS_TTL_MS`]; a forged
/// `kid` must not make every request a fetch.
pub const KEYS_REFETCH_AFTER_MS: i64 = 30_000;

/// Whether keys fetched at `fetched_at` serve at `now`: within their time, or, when a token named a
/// key not among them (`kid_unknown`), only until they are [`KEYS_REFETCH_AFTER_MS`] old.
pub fn keys_still_serve(fetched_at: i64, now: i64, kid_unknown: bool) -> bool {
    let age = now - fetched_at;
    match kid_unknown {
        false => age < KEYS_TTL_MS,
        true => age < KEYS_REFETCH_AFTER_MS,
    }
}

/// The Access settings of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// `https://<team>.cloudflareaccess.com`, no trailing slash: the expected `iss`.
    pub team_domain: String,
    /// The application's audience tag: must be in `aud`.
    pub audience: String,
    /// The team's keys as JSON (`{"keys": [...]}`), when given instead of fetched.
    pub jwks: Option<String>,
}

impl AccessConfig {
    /// From the worker's variables; `None` unless both the team domain and the audience are set.
    pub fn from_env(env: &worker::Env) -> Option<AccessConfig> {
        let text = |name: &str| {
            env.secret(name)
                .map(|s| s.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let team = text("ACCESS_TEAM_DOMAIN")?;
        let team = if team.starts_with("https://") {
            team
        } else {
            format!("https://{team}")
        };
        Some(AccessConfig {
            team_domain: team.trim_end_matches('/').to_string(),
            audience: text("ACCESS_AUD")?,
            jwks: text("ACCESS_JWKS"),
        })
    }
}

/// The claims Evident reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// One audience or several.
    pub aud: Audience,
    /// Seconds since the epoch.
    pub exp: i64,
    /// Seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// The issuer.
    pub iss: String,
    /// Who signed in.
    #[serde(default)]
    pub email: Option<String>,
}

/// `aud` as JWTs carry it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "x"`
    One(String),
    /// `"aud": ["x", "y"]`
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, want: &str) -> bool {
        match self {
            Audience::One(one) => one == want,
            Audience::Many(many) => many.iter().any(|a| a == want),
        }
    }
}

/// A JWT taken apart, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct Token {
    /// `<header>.<payload>`, the signed bytes.
    pub signed: String,
    /// The signature.
    pub signature: Vec<u8>,
    /// The key id of the header.
    pub kid: String,
    /// The claims.
    pub claims: Claims,
}

fn part(text: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| format!("its {what} is not base64url: {e}"))
}

/// Parses a compact JWT, accepting only `RS256` with a `kid`.
pub fn parse(jwt: &str) -> Result<Token, String> {
    let mut parts = jwt.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("it is not a JWT of three dot-separated parts".into());
    };
    let header: Value = serde_json::from_slice(&part(header, "header")?)
        .map_err(|e| format!("its header is not JSON: {e}"))?;
    if header["alg"] != "RS256" {
        return Err(format!("it is signed with {}, not RS256", header["alg"]));
    }
    let kid = header["kid"]
        .as_str()
        .ok_or("its header names no key (`kid`)")?
        .to_string();
    let claims: Claims = serde_json::from_slice(&part(payload, "payload")?)
        .map_err(|e| format!("its claims are not what Access sends: {e}"))?;
    let signed_len = jwt.trim().len() - signature.len() - 1;
    Ok(Token {
        signed: jwt.trim()[..signed_len].to_string(),
        signature: part(signature, "signature")?,
        kid,
        claims,
    })
}

/// Checks issuer, audience and times (`now_s` in seconds); the e-mail that signed in.
pub fn check_claims(claims: &Claims, config: &AccessConfig, now_s: i64) -> Result<String, String> {
    if claims.iss.trim_end_matches('/') != config.team_domain {
        return Err(format!(
            "it was issued by `{}`, not by `{}`",
            claims.iss, config.team_domain
        ));
    }
    if !claims.aud.contains(&config.audience) {
        return Err("it is for another application (`aud`)".into());
    }
    if claims.exp + LEEWAY_S <= now_s {
        return Err("it has expired".into());
    }
    if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_S > now_s) {
        return Err("it is not valid yet (`nbf`)".into());
    }
    claims
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| "it names no e-mail (a service token); use an API key instead".into())
}

/// The JWK with `kid` among a key set.
pub fn find_key(jwks: &str, kid: &str) -> Result<Value, String> {
    let set: Value =
        serde_json::from_str(jwks).map_err(|e| format!("the team's keys are not JSON: {e}"))?;
    set["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"] == kid && k["kty"] == "RSA")
        .cloned()
        .ok_or_else(|| format!("it was signed with a key (`{kid}`) that is not the team's"))
}

mod webcrypto {
    use std::cell::RefCell;

    use serde_json::Value;
    use worker::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array, JSON};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    use super::{keys_still_serve, AccessConfig};
    use crate::error::{ApiError, Result};

    fn js_error(what: &'static str) -> impl Fn(JsValue) -> ApiError {
        move |e| ApiError::Internal(format!("WebCrypto {what}: {e:?}"))
    }

    async fn call(subtle: &JsValue, name: &'static str, args: &Array) -> Result<JsValue> {
        let method: Function = Reflect::get(subtle, &name.into())
            .map_err(js_error(name))?
            .dyn_into()
            .map_err(js_error(name))?;
        let promise = method.apply(subtle, args).map_err(js_error(name))?;
        JsFuture::from(Promise::from(promise))
            .await
            .map_err(js_error(name))
    }

    /// Whether `signature` over `signed` verifies with the RSA public key `jwk` (RS256).
    pub async fn verify(jwk: &Value, signed: &str, signature: &[u8]) -> Result<bool> {
        let crypto = Reflect::get(&worker::js_sys::global(), &"crypto".into())
            .map_err(js_error("crypto"))?;
        let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(js_error("subtle"))?;
        let public = serde_json::json!({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]});
        let jwk = JSON::parse(&public.to_string()).map_err(js_error("jwk"))?;
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into())
            .map_err(js_error("algorithm"))?;
        Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())
            .map_err(js_error("algorithm"))?;
        let import = Array::of5(
            &"jwk".into(),
            &jwk,
            &algorithm,
            &false.into(),
            &Array::of1(&"verify".into()),
        );
        let key = call(&subtle, "importKey", &import).await?;
        let verify = Array::of4(
            &algorithm,
            &key,
            &Uint8Array::from(signature),
            &Uint8Array::from(signed.as_bytes()),
        );
        Ok(call(&subtle, "verify", &verify).await?.is_truthy())
    }

    thread_local! {
        /// The team's keys as fetched, and when.
        static KEYS: RefCell<Option<(String, i64)>> = const { RefCell::new(None) };
    }

    /// The team's key set: the configured one, or the fetched one while it serves
    /// ([`keys_still_serve`]; `kid_unknown` when a token named a key the kept set lacks). When a
    /// fetch fails, the kept set is used rather than refusing everyone.
    pub async fn key_set(config: &AccessConfig, now: i64, kid_unknown: bool) -> Result<String> {
        if let Some(jwks) = &config.jwks {
            return Ok(jwks.clone());
        }
        let cached = KEYS.with(|k| k.borrow().clone());
        if let Some((keys, at)) = &cached {
            if keys_still_serve(*at, now, kid_unknown) {
                return Ok(keys.clone());
            }
        }
        match fetch_keys(config).await {
            Ok(keys) => {
                KEYS.with(|k| *k.borrow_mut() = Some((keys.clone(), now)));
                Ok(keys)
            }
            Err(error) => match cached {
                Some((keys, _)) => {
                    worker::console_error!("{error}; using the Access keys fetched before");
                    Ok(keys)
                }
                None => Err(error),
            },
        }
    }

    async fn fetch_keys(config: &AccessConfig) -> Result<String> {
        let url = format!("{}/cdn-cgi/access/certs", config.team_domain);
        let mut response = worker::Fetch::Url(
            url.parse()
                .map_err(|e| ApiError::Internal(format!("{url}: {e}")))?,
        )
        .send()
        .await?;
        if response.status_code() != 200 {
            return Err(ApiError::Internal(format!(
                "fetching the Access keys from {url}: status {}",
                response.status_code()
            )));
        }
        Ok(response.text().await?)
    }
}

pub use webcrypto::{key_set, verify};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_keys_serve_their_time_and_an_unknown_kid_fetches_sooner() {
        assert!(keys_still_serve(0, KEYS_TTL_MS - 1, false));
        assert!(!keys_still_serve(0, KEYS_TTL_MS, false));
        assert!(keys_still_serve(0, KEYS_REFETCH_AFTER_MS - 1, true));
        assert!(!keys_still_serve(0, KEYS_REFETCH_AFTER_MS, true));
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn config() -> AccessConfig {
        AccessConfig {
            team_domain: "https://acme.cloudflareaccess.com".into(),
            audience: "aud-tag".into(),
            jwks: None,
        }
    }

    fn jwt(header: &Value, claims: &Value) -> String {
        format!(
            "{}.{}.{}",
            b64(header),
            b64(claims),
            URL_SAFE_NO_PAD.encode([1, 2, 3])
        )
    }

    fn claims(exp: i64) -> Value {
        serde_json::json!({"aud": ["aud-tag"], "exp": exp, "nbf": 900, "iss": "https://acme.cloudflareaccess.com",
                           "email": "Ada@Acme.example", "sub": "x"})
    }

    #[test]
    fn only_rs256_with_a_kid_is_read() {
        let good = jwt(
            &serde_json::json!({"alg": "RS256", "kid": "k1"}),
            &claims(2_000),
        );
        let token = parse(&good).unwrap();
        assert_eq!(token.kid, "k1");
        assert_eq!(token.signature, [1, 2, 3]);
        assert_eq!(token.signed, good.rsplit_once('.').unwrap().0);
        for (header, why) in [
            (serde_json::json!({"alg": "none", "kid": "k1"}), "not RS256"),
            (
                serde_json::json!({"alg": "HS256", "kid": "k1"}),
                "not RS256",
            ),
            (serde_json::json!({"alg": "RS256"}), "no key"),
        ] {
            let err = parse(&jwt(&header, &claims(2_000))).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        assert!(parse("a.b").unwrap_err().contains("three"));
        assert!(parse("a.b.c.d").unwrap_err().contains("three"));
        assert!(parse("!!.e30.AA").unwrap_err().contains("base64url"));
    }

    #[test]
    fn claims_are_checked_for_issuer_audience_and_time() {
        let read = |value: Value| -> Claims { serde_json::from_value(value).unwrap() };
        assert_eq!(
            check_claims(&read(claims(2_000)), &config(), 1_000),
            Ok("ada@acme.example".into())
        );
        assert!(
            check_claims(&read(claims(2_000)), &config(), 2_000 + LEEWAY_S)
                .unwrap_err()
                .contains("expired")
        );
        assert!(
            check_claims(&read(claims(2_000)), &config(), 900 - LEEWAY_S).is_ok(),
            "within leeway"
        );
        assert!(
            check_claims(&read(claims(2_000)), &config(), 900 - LEEWAY_S - 1)
                .unwrap_err()
                .contains("not valid yet")
        );
        let mut other = claims(2_000);
        other["aud"] = "someone-else".into();
        assert!(check_claims(&read(other), &config(), 1_000)
            .unwrap_err()
            .contains("aud"));
        let mut single = claims(2_000);
        single["aud"] = "aud-tag".into();
        assert!(check_claims(&read(single), &config(), 1_000).is_ok());
        let mut issuer = claims(2_000);
        issuer["iss"] = "https://evil.cloudflareaccess.com".into();
        assert!(check_claims(&read(issuer), &config(), 1_000)
            .unwrap_err()
            .contains("issued by"));
        let mut service = claims(2_000);
        service.as_object_mut().unwrap().remove("email");
        assert!(check_claims(&read(service), &config(), 1_000)
            .unwrap_err()
            .contains("API key"));
    }

    #[test]
    fn keys_are_found_by_kid() {
        let set = r#"{"keys": [{"kid": "a", "kty": "RSA", "n": "x", "e": "AQAB"}, {"kid": "b", "kty": "EC"}]}"#;
        assert_eq!(find_key(set, "a").unwrap()["n"], "x");
        assert!(find_key(set, "b").unwrap_err().contains("not the team's"));
        assert!(find_key(set, "c").is_err());
        assert!(find_key("nope", "a").unwrap_err().contains("not JSON"));
    }
}
