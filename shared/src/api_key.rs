//! API keys kept in D1 (SPEC 6): the secret's format, its hash, the scopes, and the wire types and
//! input checks of `/api/v1/keys`, shared so the dashboard can show and check them too.
//!
//! A secret is `evd_sk_`, then 32 random base62 characters (190 bits), then a 6-character base62
//! checksum: the CRC-32 (IEEE) of everything before it. The fixed prefix lets secret scanners find
//! leaked keys (`evd_sk_[0-9A-Za-z]{38}`), and the checksum lets them, and the worker, tell a real key
//! from random text without a lookup. Only [`hash_secret`] of a secret is stored; the secret itself is
//! shown once, when the key is created. Randomness is passed in, so everything here stays pure.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::api::FieldError;
use crate::saved_search::{check_name, InputError};

/// What every secret starts with.
pub const PREFIX: &str = "evd_sk_";
/// Random base62 characters after the prefix (32 × log2 62 ≈ 190 bits).
pub const RANDOM_CHARS: usize = 32;
/// Base62 characters of the checksum at the end.
pub const CHECKSUM_CHARS: usize = 6;
/// Length of a whole secret.
pub const SECRET_CHARS: usize = PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;
/// Random bytes [`new_secret`] takes: more than [`RANDOM_CHARS`], because bytes that would bias the
/// characters are skipped (about 3 % of them).
pub const RANDOM_BYTES: usize = 64;
/// Random characters kept in the display prefix, after [`PREFIX`].
pub const DISPLAY_CHARS: usize = 4;
/// Longest environment name a key may be bound to (as long as an event's `scope.environment`).
pub const MAX_ENVIRONMENT_CHARS: usize = crate::validate::MAX_TEXT_CHARS;
/// Most keys in force (not revoked) one tenant may keep.
pub const MAX_PER_TENANT: usize = 1000;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyScope {
    /// Send events.
    Ingest,
    /// Read events.
    Read,
    /// Read events, change settings and manage keys.
    Admin,
}

impl KeyScope {
    /// Every scope.
    pub const ALL: [KeyScope; 3] = [KeyScope::Ingest, KeyScope::Read, KeyScope::Admin];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Ingest => "ingest",
            KeyScope::Read => "read",
            KeyScope::Admin => "admin",
        }
    }

    /// Parses a wire name (exact, lowercase).
    pub fn parse(text: &str) -> Option<KeyScope> {
        KeyScope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True when a key with this scope may use an endpoint that needs `needed`: each scope grants
    /// itself, and admin grants read too (not ingest: a leaked admin key should not write events).
    pub fn grants(self, needed: KeyScope) -> bool {
        self == needed || (self == KeyScope::Admin && needed == KeyScope::Read)
    }
}

/// A new secret from [`RANDOM_BYTES`] random bytes, or `None` in the astronomically unlikely case
/// that too few of them were usable (then ask again with fresh bytes).
pub fn new_secret(random: &[u8; RANDOM_BYTES]) -> Option<String> {
    let mut secret = String::with_capacity(SECRET_CHARS);
    secret.push_str(PREFIX);
    // 248 = 4 × 62: bytes from 248 up would make the first characters likelier; skip them.
    let chars = random
        .iter()
        .filter(|b| **b < 248)
        .map(|b| BASE62[usize::from(*b % 62)] as char)
        .take(RANDOM_CHARS);
    secret.extend(chars);
    if secret.len() < PREFIX.len() + RANDOM_CHARS {
        return None;
    }
    let checksum = checksum(&secret);
    secret.push_str(&checksum);
    Some(secret)
}

/// The checksum of the text before it: CRC-32 (IEEE) as [`CHECKSUM_CHARS`] base62 digits, most
/// significant first, zero-padded.
pub fn checksum(text: &str) -> String {
    let mut n = crc32(text.as_bytes());
    let mut digits = [b'0'; CHECKSUM_CHARS];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// True when `text` has the shape of a secret and its checksum matches: worth looking up.
pub fn is_well_formed(text: &str) -> bool {
    text.len() == SECRET_CHARS
        && text.starts_with(PREFIX)
        && text[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
        && checksum(&text[..SECRET_CHARS - CHECKSUM_CHARS]) == text[SECRET_CHARS - CHECKSUM_CHARS..]
}

/// What is stored of a secret: its SHA-256, as 64 lowercase hex characters. A secret carries 190
/// random bits, so a fast unsalted hash is safe: there is nothing to guess.
pub fn hash_secret(secret: &str) -> String {
    crate::chain::hex(&Sha256::digest(secret.as_bytes()))
}

/// The start of a secret that may be shown again (in lists): the prefix and [`DISPLAY_CHARS`]
/// random characters, enough to tell keys apart, far too few to guess the rest.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(PREFIX.len() + DISPLAY_CHARS).collect()
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and most scanners compute it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One key as the API shows it: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// A lowercase hyphenated UUIDv4.
    pub id: String,
    /// What the key is for, e.g. `CI deploys`; 1 to 100 characters, not unique.
    pub name: String,
    /// What it may do.
    pub scope: KeyScope,
    /// The one environment it may send or read, or `null` for all.
    pub environment: Option<String>,
    /// The start of the secret ([`display_prefix`]), to recognise it.
    pub prefix: String,
    /// When it was created (RFC 3339, UTC, milliseconds).
    pub created_at: String,
    /// Who created it: the creating key's id, or `config:admin` for the configured admin key.
    pub created_by: String,
    /// When it was last used, to the minute, or `null` if never.
    pub last_used_at: Option<String>,
    /// When it was revoked, or `null` while it works.
    pub revoked_at: Option<String>,
}

/// `GET /api/v1/keys`: every key of the tenant, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyList {
    /// The keys.
    pub keys: Vec<ApiKey>,
}

/// `POST /api/v1/keys` answers the new key with its secret, the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// What `POST /api/v1/keys` sends: `{"name", "scope", "environment"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInput {
    /// The name, trimmed.
    pub name: String,
    /// The scope.
    pub scope: KeyScope,
    /// The environment to bind the key to, trimmed.
    pub environment: Option<String>,
}

/// Reads and checks a `POST` body, reporting every problem, not only the first.
pub fn read_input(body: &str) -> Result<ApiKeyInput, InputError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        InputError::Json(format!(
            "the body does not parse as JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(InputError::Invalid(vec![FieldError::new(
            "",
            "the body must be a JSON object like {\"name\": \"CI deploys\", \"scope\": \"ingest\"}",
        )]));
    };
    let mut errors = Vec::new();
    let mut unknown: Vec<&String> = fields
        .keys()
        .filter(|k| !["name", "scope", "environment"].contains(&k.as_str()))
        .collect();
    unknown.sort();
    for key in unknown {
        errors.push(FieldError::new(
            format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            format!("unknown field `{key}`; a key has `name`, `scope` and `environment`"),
        ));
    }
    let name = match fields.get("name") {
        None => Err("`name` is required".to_string()),
        Some(Value::String(s)) => check_name(s),
        Some(_) => Err("`name` must be a string".to_string()),
    };
    let expected = "`ingest`, `read` or `admin`";
    let scope = match fields.get("scope") {
        None => Err(format!("`scope` is required: {expected}")),
        Some(Value::String(s)) => KeyScope::parse(s)
            .ok_or_else(|| format!("`scope` must be {expected}, not `{}`", s.escape_debug())),
        Some(_) => Err(format!("`scope` must be a string: {expected}")),
    };
    let environment = match fields.get("environment") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => check_environment(s).map(Some),
        Some(_) => Err("`environment` must be a string or null".to_string()),
    };
    match (name, scope, environment) {
        (Ok(name), Ok(scope), Ok(environment)) if errors.is_empty() => Ok(ApiKeyInput {
            name,
            scope,
            environment,
        }),
        (name, scope, environment) => {
            for (path, result) in [
                ("/name", name.err()),
                ("/scope", scope.err()),
                ("/environment", environment.err()),
            ] {
                if let Some(message) = result {
                    errors.push(FieldError::new(path, message));
                }
            }
            Err(InputError::Invalid(errors))
        }
    }
}

/// An environment as stored and compared with events' `scope.environment`, which ingestion trims the
/// same way: trimmed, 1 to [`MAX_ENVIRONMENT_CHARS`] characters, no control characters.
pub fn check_environment(text: &str) -> Result<String, String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 {
        Err("`environment` must not be empty; leave it out (or null) for a key of every environment".into())
    } else if chars > MAX_ENVIRONMENT_CHARS {
        Err(format!(
            "`environment` is {chars} characters long; the limit is {MAX_ENVIRONMENT_CHARS}"
        ))
    } else if text.chars().any(char::is_control) {
        Err("`environment` must not hold control characters".into())
    } else {
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(seed: u8) -> String {
        let mut random = [0u8; RANDOM_BYTES];
        for (i, b) in random.iter_mut().enumerate() {
            *b = seed
                .wrapping_mul(31)
                .wrapping_add((i as u8).wrapping_mul(97));
        }
        new_secret(&random).unwrap()
    }

    #[test]
    fn crc32_is_the_ieee_one() {
        // The check value every CRC-32 (IEEE) implementation publishes.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let s = secret(1);
        assert_eq!(s.len(), SECRET_CHARS);
        assert_eq!(SECRET_CHARS, 45);
        assert!(s.starts_with("evd_sk_"), "{s}");
        assert!(s[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(&s[39..], checksum(&s[..39]));
        assert!(is_well_formed(&s), "{s}");
        assert_ne!(secret(1), secret(2));
        assert_eq!(display_prefix(&s), &s[..11]);
    }

    #[test]
    fn biased_bytes_are_skipped_and_too_few_usable_bytes_give_none() {
        let mut random = [255u8; RANDOM_BYTES];
        assert_eq!(new_secret(&random), None);
        // 62 and 248 + 62 would both be `0`; only the first counts.
        for (i, b) in random.iter_mut().enumerate().take(RANDOM_CHARS) {
            *b = if i % 2 == 0 { 62 } else { 61 };
        }
        let s = new_secret(&random).unwrap();
        assert!(s[PREFIX.len()..].starts_with("0z0z"), "{s}");
    }

    #[test]
    fn the_checksum_tells_keys_from_random_text() {
        let s = secret(3);
        assert!(is_well_formed(&s));
        // Any one character changed breaks the checksum.
        for i in PREFIX.len()..SECRET_CHARS {
            let mut bytes = s.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!is_well_formed(&changed), "{changed}");
        }
        for text in [
            "",
            "evd_sk_",
            "evd_demo_read_key",
            &s[..SECRET_CHARS - 1],
            &format!("{s}0"),
            &s.replacen("evd_sk_", "evd_pk_", 1),
            &format!("{}-{}", &s[..20], &s[21..]),
            &format!("{}é{}", &s[..20], &s[22..]),
        ] {
            assert!(!is_well_formed(text), "{text}");
        }
    }

    #[test]
    fn the_hash_is_sha256_hex_and_never_the_secret() {
        let s = secret(4);
        let hash = hash_secret(&s);
        assert_eq!(hash.len(), 64);
        assert!(hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(!hash.contains(&s[PREFIX.len()..]));
        assert_eq!(hash, hash_secret(&s));
        assert_ne!(hash, hash_secret(&secret(5)));
        // The published SHA-256 of "abc".
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn scopes_grant_themselves_and_admin_grants_read() {
        use KeyScope::*;
        for scope in KeyScope::ALL {
            assert!(scope.grants(scope));
            assert_eq!(KeyScope::parse(scope.as_str()), Some(scope));
            assert_eq!(
                serde_json::to_value(scope).unwrap(),
                Value::String(scope.as_str().into())
            );
        }
        assert!(Admin.grants(Read));
        assert!(!Admin.grants(Ingest));
        assert!(!Read.grants(Admin));
        assert!(!Ingest.grants(Read));
        assert_eq!(KeyScope::parse("Admin"), None);
    }

    fn invalid(body: &str) -> Vec<FieldError> {
        match read_input(body) {
            Err(InputError::Invalid(errors)) => errors,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_good_body_is_trimmed() {
        let input =
            read_input(r#"{"name": " CI ", "scope": "ingest", "environment": " prod "}"#).unwrap();
        assert_eq!(
            input,
            ApiKeyInput {
                name: "CI".into(),
                scope: KeyScope::Ingest,
                environment: Some("prod".into())
            }
        );
        let unbound = read_input(r#"{"name": "r", "scope": "read", "environment": null}"#).unwrap();
        assert_eq!(unbound.environment, None);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let errors =
            invalid(r#"{"name": "", "scope": "root", "environment": "  ", "secret": "x"}"#);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/secret", "/name", "/scope", "/environment"]);
        assert!(
            errors[2].message.contains("not `root`"),
            "{}",
            errors[2].message
        );
        let errors = invalid(r#"{"scope": 1, "environment": 5}"#);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/name", "/scope", "/environment"]);
        assert_eq!(invalid("[]")[0].path, "");
        assert!(matches!(read_input("{"), Err(InputError::Json(_))));
        let long = format!(
            r#"{{"name": "n", "scope": "read", "environment": "{}"}}"#,
            "e".repeat(MAX_ENVIRONMENT_CHARS + 1)
        );
        assert_eq!(invalid(&long)[0].path, "/environment");
    }

    #[test]
    fn the_created_answer_carries_the_key_and_its_secret() {
        let key = ApiKey {
            id: "k".into(),
            name: "n".into(),
            scope: KeyScope::Read,
            environment: None,
            prefix: "evd_sk_abcd".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            created_by: "config:admin".into(),
            last_used_at: None,
            revoked_at: None,
        };
        let created = CreatedApiKey {
            key,
            secret: "evd_sk_x".into(),
        };
        let json = serde_json::to_value(&created).unwrap();
        assert_eq!(json["scope"], "read");
        assert_eq!(json["secret"], "evd_sk_x");
        assert_eq!(json["environment"], Value::Null);
        assert_eq!(json.as_object().unwrap().len(), 10);
    }
}
