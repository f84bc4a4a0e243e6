//! Tests of key-name matching, built-in and per tenant, directly and through whole payloads.

use serde_json::json;

use super::*;
use crate::redact::testing::{payload, payload_with, rules, text_with};
use crate::redact::REDACTED;

#[test]
fn secret_keys_are_replaced_whole_whatever_their_spelling() {
    let (out, pointers) = payload(json!({
        "password": "hunter2",
        "db_password": "x",
        "X-Api-Key": "k",
        "accessToken": "t",
        "client_secret": "s",
        "Authorization": "Digest abc",
        "Set-Cookie": "sid=1",
        "credentials": {"user": "bob", "pass": "pw"},
        "private_key": 12345,
        "session": "abc",
        "user": "bob"
    }));
    assert_eq!(
        out,
        json!({
            "password": REDACTED,
            "db_password": REDACTED,
            "X-Api-Key": REDACTED,
            "accessToken": REDACTED,
            "client_secret": REDACTED,
            "Authorization": REDACTED,
            "Set-Cookie": REDACTED,
            "credentials": REDACTED,
            "private_key": REDACTED,
            "session": REDACTED,
            "user": "bob"
        })
    );
    assert_eq!(
        pointers,
        [
            "/payload/Authorization",
            "/payload/Set-Cookie",
            "/payload/X-Api-Key",
            "/payload/accessToken",
            "/payload/client_secret",
            "/payload/credentials",
            "/payload/db_password",
            "/payload/password",
            "/payload/private_key",
            "/payload/session"
        ]
    );
}

#[test]
fn every_built_in_word_is_secret_in_any_spelling() {
    for word in SECRET_WORDS.iter().chain(EXACT_SECRET_KEYS) {
        let upper = word.to_ascii_uppercase();
        let prefixed = format!("x_{word}");
        for key in [*word, upper.as_str(), prefixed.as_str()] {
            let last_segment_secret = SECRET_LAST_SEGMENTS.contains(word);
            let expected =
                if EXACT_SECRET_KEYS.contains(word) && key == prefixed && !last_segment_secret {
                    KeyKind::Plain
                } else {
                    KeyKind::Secret
                };
            assert_eq!(builtin_kind(key.as_bytes()), expected, "{key}");
        }
    }
    assert_eq!(builtin_kind(b"Private-Key"), KeyKind::Secret);
    assert_eq!(builtin_kind(b"pass_word"), KeyKind::Secret);
}

/// `pass` and `pwd` as a key's last segment name a password (standard variable names); inside a
/// word or followed by more they do not.
#[test]
fn pass_and_pwd_end_secret_keys() {
    for key in [
        "smtp_pass",
        "DB_PASS",
        "MYSQL_PWD",
        "redisPass",
        "REDIS.PASS",
        "x-pwd",
    ] {
        assert_eq!(builtin_kind(key.as_bytes()), KeyKind::Secret, "{key}");
    }
    for key in [
        "compass",
        "bypass",
        "pass_count",
        "passenger",
        "pwd_rotated_at",
        "Compass",
    ] {
        assert_eq!(builtin_kind(key.as_bytes()), KeyKind::Plain, "{key}");
    }
}

#[test]
fn keys_that_describe_secrets_without_holding_them_are_kept() {
    let input = json!({
        "token_count": 5,
        "tokens_used": 1200,
        "max_tokens": 100,
        "prompt_tokens": 40,
        "tokens": 150,
        "num_secrets": 3,
        "password_changed_at": "2024-05-01T10:00:00.000Z",
        "token_expires_at": "2024-05-02T10:00:00.000Z",
        "api_key_id": "key_01",
        "token_type": "refresh",
        "tokenizer": "cl100k",
        "secretary": "Ann",
        "passwordless": "yes",
        "session_mode": "attached",
        "session_id": "s-1",
        "author": "bob"
    });
    assert_eq!(payload(input.clone()), (input, vec![]));
}

#[test]
fn a_bare_plural_is_a_count_when_numeric_and_secrets_otherwise() {
    let (out, pointers) = payload(json!({
        "tokens": ["abc", "def"],
        "cookies": {"sid": "1"},
        "secrets": 2,
        "password_reset_token": "r-1"
    }));
    assert_eq!(
        out,
        json!({"tokens": REDACTED, "cookies": REDACTED, "secrets": 2, "password_reset_token": REDACTED})
    );
    assert_eq!(
        pointers,
        [
            "/payload/cookies",
            "/payload/password_reset_token",
            "/payload/tokens"
        ]
    );
}

#[test]
fn tenant_keys_extend_and_allow_list_the_built_in_names() {
    let tenant = rules(json!({
        "extra_keys": ["ssn", "security_answer*", "*pin_code"],
        "allowed_keys": ["session", "auth-token"]
    }));
    let (out, pointers) = payload_with(
        json!({
            "SSN": "123-45-6789",
            "security_answer_2": "rex",
            "card_pin_code": "1234",
            "session": "visible",
            "auth_token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "password": "x"
        }),
        &tenant,
    );
    assert_eq!(
        out,
        json!({
            "SSN": REDACTED,
            "security_answer_2": REDACTED,
            "card_pin_code": REDACTED,
            "session": "visible",
            "auth_token": REDACTED,
            "password": REDACTED
        })
    );
    assert_eq!(
        pointers,
        [
            "/payload/SSN",
            "/payload/auth_token",
            "/payload/card_pin_code",
            "/payload/password",
            "/payload/security_answer_2"
        ]
    );
    assert_eq!(text_with("ssn = \"123\"", &tenant), "ssn = \"[REDACTED]\"");
}

/// A secret used as a key under a value redacted whole is not kept in `changed_fields`, which was
/// computed from the originals: its pointer stops at the redacted value.
#[test]
fn changed_fields_name_no_key_under_a_redacted_value() {
    use crate::redact::{redact, RedactionRules};
    use crate::validate::changed_fields;
    let before =
        json!({"api_keys": {"sk_live_4eC39HqLyjWDarjtT1zdp7dc": {"label": "ci"}}, "title": "a"});
    let after = json!({"api_keys": {}, "title": "b"});
    let changed = changed_fields(&before, &after);
    let mut e = crate::redact::testing::event(json!({
        "changes": {"before": before, "after": after, "changed_fields": changed}
    }));
    redact(&mut e, &RedactionRules::default());
    let changes = e.changes.unwrap();
    assert_eq!(changes.changed_fields, ["/api_keys", "/title"]);
    let stored = serde_json::to_string(&changes).unwrap();
    assert!(!stored.contains("sk_live"), "{stored}");
}
