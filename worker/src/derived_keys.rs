//! Idempotency keys the adapters derive from a record's own text, keyed with a secret of the tenant's.
//!
//! For systems whose events carry no id (Livebook lines, Activity CSV rows, some Lowcoder records) an
//! adapter names each record `<format>#<hash>`, a SHA-256 of its text (`adapters::common`). That text
//! can hold a secret redaction removes before anything is stored, such as a password in evaluated code,
//! while the key is stored and shown with the event. Anyone who can read the event knows the rest of
//! the line, so the bare hash would let them test guesses of the secret offline. The worker therefore
//! replaces the hash with `HMAC-SHA-256(tenant secret, hash)`, cut to 128 bits: the same record still
//! gets the same key every time it is sent to the same tenant, and nobody without the secret can check
//! a guess against it.
//!
//! The secret is derived from the tenant's random key (`signed_cursor::tenant_key`) under a label of
//! its own, so one key is never used for two purposes.

use evident_shared::adapters::{Adapted, Format};
use evident_shared::chain::hex;
use serde_json::Value;

use crate::signed_cursor::hmac_sha256;

/// What the tenant's key is bound to for this purpose.
const LABEL: &[u8] = b"evident derived idempotency keys v1";

/// Hex digits kept of each keyed hash (128 bits).
const KEYED_HEX: usize = 32;

/// The secret that keys derived idempotency keys, from the tenant's key.
pub fn secret(tenant_key: &[u8]) -> [u8; 32] {
    hmac_sha256(tenant_key, &[LABEL])
}

/// Replaces the hash in every derived key (`<format>#<rest>`, named after `format`) of `adapted` with
/// its keyed hash. Keys from the source's own ids (`<format>:<id>`) are left as they are.
pub fn key_derived(adapted: &mut Adapted, format: Format, secret: &[u8]) {
    for record in &mut adapted.records {
        let Some(Value::String(key)) = record.event.get_mut("idempotency_key") else {
            continue;
        };
        if let Some(keyed) = keyed(key, format, secret) {
            *key = keyed;
        }
    }
}

/// `key` with its hash keyed, when it is a key the adapter for `format` derived.
fn keyed(key: &str, format: Format, secret: &[u8]) -> Option<String> {
    let rest = key.strip_prefix(format.as_str())?.strip_prefix('#')?;
    let digest = hmac_sha256(secret, &[rest.as_bytes()]);
    Some(format!(
        "{}#{}",
        format.as_str(),
        &hex(&digest)[..KEYED_HEX]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_shared::adapters::{adapt, Hint};

    /// Livebook lines with no id: one holds a password that redaction will remove.
    const LINES: &str = concat!(
        r#"{"message":"Evaluating code","time":"2025-10-06T19:19:19.851Z","metadata":{"code":"db_password = \"hunter2\"","event":"code.evaluate","users":[{"id":"1","name":"A","email":"a@example.com"}],"session_mode":"default"},"severity":"info"}"#,
        "\n",
        r#"{"message":"Evaluating code","time":"2025-10-06T19:19:20.851Z","metadata":{"code":"1 + 1","event":"code.evaluate","users":[{"id":"1","name":"A","email":"a@example.com"}],"session_mode":"default"},"severity":"info"}"#,
        "\n"
    );

    fn keys(tenant_key: &[u8]) -> Vec<String> {
        let mut adapted = adapt(Format::Livebook, LINES, Hint::default()).unwrap();
        key_derived(&mut adapted, Format::Livebook, &secret(tenant_key));
        adapted
            .records
            .iter()
            .map(|r| r.event["idempotency_key"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn derived_keys_are_keyed_per_tenant_and_stable() {
        let bare = adapt(Format::Livebook, LINES, Hint::default()).unwrap();
        let bare: Vec<&str> = bare
            .records
            .iter()
            .map(|r| r.event["idempotency_key"].as_str().unwrap())
            .collect();
        let acme = keys(&[1; 32]);
        assert_eq!(acme.len(), 2);
        for (keyed, bare) in acme.iter().zip(&bare) {
            assert!(keyed.starts_with("livebook#"), "{keyed}");
            assert_eq!(keyed.len(), "livebook#".len() + KEYED_HEX);
            // The stored key is not the text's bare hash, which a reader could test guesses against.
            assert_ne!(keyed, bare);
        }
        assert_ne!(acme[0], acme[1]);
        // The same record sent again to the same tenant gets the same key: retries stay safe.
        assert_eq!(keys(&[1; 32]), acme);
        // Another tenant's secret gives other keys.
        assert_ne!(keys(&[2; 32]), acme);
    }

    #[test]
    fn keys_from_the_sources_own_ids_are_left_alone() {
        let secret = secret(&[1; 32]);
        assert_eq!(keyed("airbyte:e7", Format::Airbyte, &secret), None);
        assert_eq!(keyed("activity:a#b", Format::Activity, &secret), None);
        // Only the adapter's own format prefix is keyed.
        assert_eq!(keyed("livebook#abc", Format::Activity, &secret), None);
        assert!(keyed("activity#abc-2", Format::Activity, &secret).is_some());
    }
}
