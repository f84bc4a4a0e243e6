//! Passwords (SPEC 6): PBKDF2-HMAC-SHA-256 through the platform's WebCrypto, which runs natively
//! and so affords many more iterations per CPU millisecond than hashing in wasm would. Stored as
//! `pbkdf2-sha256$<iterations>$<salt hex>$<derived key hex>`, so the cost can rise later and old
//! hashes still verify. Parsing, formatting and the policy are pure and tested natively; the
//! derivation itself needs WebCrypto and is exercised by the integration tests.

use evident_shared::chain::hex;

use crate::stored_body::unhex;

/// Iterations for new hashes: the most Workers' WebCrypto accepts for PBKDF2.
pub const ITERATIONS: u32 = 100_000;
/// Bytes of random salt per password.
pub const SALT_BYTES: usize = 16;
/// Bytes of derived key.
pub const KEY_BYTES: usize = 32;
/// The shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// The longest password accepted (bounds the work one request can ask for).
pub const MAX_CHARS: usize = 256;

const SCHEME: &str = "pbkdf2-sha256";

/// A stored password hash, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The salt.
    pub salt: Vec<u8>,
    /// The derived key.
    pub key: Vec<u8>,
}

impl Stored {
    /// The text kept in `people.password`.
    pub fn format(&self) -> String {
        format!(
            "{SCHEME}${}${}${}",
            self.iterations,
            hex(&self.salt),
            hex(&self.key)
        )
    }

    /// Reads a stored hash; `None` when it is not one this code wrote.
    pub fn parse(text: &str) -> Option<Stored> {
        let mut parts = text.split('$');
        if parts.next()? != SCHEME {
            return None;
        }
        let iterations: u32 = parts.next()?.parse().ok()?;
        let salt = unhex(parts.next()?).ok()?;
        let key = unhex(parts.next()?).ok()?;
        (parts.next().is_none() && iterations > 0 && !salt.is_empty() && key.len() == KEY_BYTES)
            .then_some(Stored {
                iterations,
                salt,
                key,
            })
    }

    /// Whether `derived` (from the presented password with this salt and iteration count) is this
    /// key, compared without an early exit.
    pub fn matches(&self, derived: &[u8]) -> bool {
        derived.len() == self.key.len()
            && derived
                .iter()
                .zip(&self.key)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Why a new password is refused, or `None` when it is acceptable.
pub fn policy_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        Some(format!(
            "the password has {chars} characters; it needs at least {MIN_CHARS}"
        ))
    } else if chars > MAX_CHARS {
        Some(format!(
            "the password has {chars} characters; the most accepted is {MAX_CHARS}"
        ))
    } else {
        None
    }
}

mod webcrypto {
    use worker::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    use super::{Stored, ITERATIONS, KEY_BYTES, SALT_BYTES};
    use crate::error::{ApiError, Result};

    fn js_error(what: &str) -> impl Fn(JsValue) -> ApiError + '_ {
        move |e| ApiError::Internal(format!("WebCrypto {what}: {e:?}"))
    }

    fn method(target: &JsValue, name: &str) -> Result<Function> {
        Reflect::get(target, &name.into())
            .map_err(js_error(name))?
            .dyn_into::<Function>()
            .map_err(js_error(name))
    }

    /// PBKDF2-HMAC-SHA-256 of `password` with `salt`, `KEY_BYTES` long.
    pub async fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>> {
        let crypto = Reflect::get(&worker::js_sys::global(), &"crypto".into())
            .map_err(js_error("crypto"))?;
        let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(js_error("subtle"))?;
        let import_args = Array::of5(
            &"raw".into(),
            &Uint8Array::from(password.as_bytes()),
            &"PBKDF2".into(),
            &false.into(),
            &Array::of1(&"deriveBits".into()),
        );
        let imported = method(&subtle, "importKey")?
            .apply(&subtle, &import_args)
            .map_err(js_error("importKey"))?;
        let key = JsFuture::from(Promise::from(imported))
            .await
            .map_err(js_error("importKey"))?;
        let params = Object::new();
        for (name, value) in [
            ("name", JsValue::from("PBKDF2")),
            ("hash", JsValue::from("SHA-256")),
            ("salt", Uint8Array::from(salt).into()),
            ("iterations", JsValue::from(iterations)),
        ] {
            Reflect::set(&params, &name.into(), &value).map_err(js_error("params"))?;
        }
        let bits = method(&subtle, "deriveBits")?
            .call3(&subtle, &params, &key, &JsValue::from(KEY_BYTES as u32 * 8))
            .map_err(js_error("deriveBits"))?;
        let bits = JsFuture::from(Promise::from(bits))
            .await
            .map_err(js_error("deriveBits"))?;
        Ok(Uint8Array::new(&bits).to_vec())
    }

    /// A new stored hash of `password` with a fresh salt.
    pub async fn hash(password: &str) -> Result<String> {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::getrandom(&mut salt)
            .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
        let key = derive(password, &salt, ITERATIONS).await?;
        Ok(Stored {
            iterations: ITERATIONS,
            salt: salt.to_vec(),
            key,
        }
        .format())
    }

    /// Whether `password` is the one behind `stored`. With no stored hash (an unknown e-mail, or a
    /// person without a password) it still derives once, so the answer takes as long either way.
    pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool> {
        match stored.and_then(Stored::parse) {
            Some(stored) => {
                let derived = derive(password, &stored.salt, stored.iterations).await?;
                Ok(stored.matches(&derived))
            }
            None => {
                derive(password, &[0; SALT_BYTES], ITERATIONS).await?;
                Ok(false)
            }
        }
    }
}

pub use webcrypto::{hash, verify};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hashes_round_trip_and_junk_is_refused() {
        let stored = Stored {
            iterations: ITERATIONS,
            salt: vec![0xab; SALT_BYTES],
            key: (0..KEY_BYTES as u8).collect(),
        };
        let text = stored.format();
        assert!(text.starts_with("pbkdf2-sha256$100000$abab"), "{text}");
        assert_eq!(Stored::parse(&text), Some(stored.clone()));
        for junk in [
            "",
            "plain-password",
            "pbkdf2-sha1$100000$abab$00",
            "pbkdf2-sha256$0$abab$00",
            "pbkdf2-sha256$100000$$00",
            "pbkdf2-sha256$100000$abx$00",
            &format!("{text}$extra"),
            &text[..text.len() - 2],
        ] {
            assert_eq!(Stored::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn only_the_same_key_matches() {
        let stored = Stored {
            iterations: 1,
            salt: vec![1],
            key: vec![7; KEY_BYTES],
        };
        assert!(stored.matches(&[7; KEY_BYTES]));
        let mut other = [7; KEY_BYTES];
        other[KEY_BYTES - 1] = 8;
        assert!(!stored.matches(&other));
        assert!(!stored.matches(&[7; KEY_BYTES - 1]));
    }

    #[test]
    fn the_policy_counts_characters_not_bytes() {
        assert!(policy_problem("short").unwrap().contains("at least 12"));
        assert_eq!(policy_problem("correct horse"), None);
        assert_eq!(
            policy_problem("ééééééééééé"),
            Some("the password has 11 characters; it needs at least 12".into())
        );
        assert!(policy_problem(&"x".repeat(257))
            .unwrap()
            .contains("most accepted is 256"));
    }
}
