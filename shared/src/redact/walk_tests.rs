//! Tests of the walk over an event: which fields are covered, pointers, and the shapes of key/value pairs.

use serde_json::json;

use super::*;
use crate::redact::testing::{event, payload};

#[test]
fn null_booleans_and_empty_strings_under_secret_keys_hide_nothing() {
    let input = json!({"password": null, "secret": false, "token": "", "api_key": REDACTED});
    assert_eq!(payload(input.clone()), (input, vec![]));
}

#[test]
fn nested_objects_and_arrays_are_walked_with_escaped_pointers() {
    let (out, pointers) = payload(json!({
        "db": {"replicas": [{"host": "a", "password": "x"}, {"host": "b"}, "Bearer abcdef123456"]},
        "a/b": {"token": "t"},
        "c~d": "key AKIAIOSFODNN7EXAMPLE"
    }));
    assert_eq!(
        out,
        json!({
            "db": {"replicas": [{"host": "a", "password": REDACTED}, {"host": "b"}, "Bearer [REDACTED]"]},
            "a/b": {"token": REDACTED},
            "c~d": "key [REDACTED]"
        })
    );
    assert_eq!(
        pointers,
        [
            "/payload/a~1b/token",
            "/payload/c~0d",
            "/payload/db/replicas/0/password",
            "/payload/db/replicas/2"
        ]
    );
}

#[test]
fn every_covered_field_is_redacted_and_changed_fields_are_left_alone() {
    let mut e = event(json!({
        "description": "rotated key ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "error": {"code": "E1", "message": "connect failed: postgres://app:s3cret@db:5432/x"},
        "metadata": {"api_key": "k1", "region": "eu", "card": 4111111111111111u64},
        "changes": {
            "before": {"token": "old", "name": "a"},
            "after": {"token": "new", "name": "b"},
            "changed_fields": ["/name", "/token"]
        },
        "payload": {"code": "x = 1"},
        "redacted": ["/payload/earlier", "/metadata/api_key"]
    }));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e.description.as_deref(), Some("rotated key [REDACTED]"));
    assert_eq!(
        e.error.as_ref().unwrap().message,
        "connect failed: postgres://app:[REDACTED]@db:5432/x"
    );
    assert_eq!(
        serde_json::to_value(&e.metadata).unwrap(),
        json!({"api_key": REDACTED, "region": "eu", "card": REDACTED})
    );
    let changes = e.changes.as_ref().unwrap();
    assert_eq!(
        changes.before,
        Some(json!({"token": REDACTED, "name": "a"}))
    );
    assert_eq!(changes.after, Some(json!({"token": REDACTED, "name": "b"})));
    assert_eq!(changes.changed_fields, ["/name", "/token"]);
    assert_eq!(e.payload, Some(json!({"code": "x = 1"})));
    assert_eq!(
        e.redacted,
        [
            "/changes/after/token",
            "/changes/before/token",
            "/description",
            "/error/message",
            "/metadata/api_key",
            "/metadata/card",
            "/payload/earlier"
        ]
    );
}

#[test]
fn redacting_twice_changes_nothing_more() {
    let mut e = event(json!({"payload": {"password": "x", "code": "token = \"abc\""}}));
    redact(&mut e, &RedactionRules::default());
    let once = e.clone();
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e, once);
    assert_eq!(e.redacted, ["/payload/code", "/payload/password"]);
}

#[test]
fn card_numbers_as_json_numbers() {
    let (out, pointers) =
        payload(json!({"n": 4111111111111111u64, "m": 4111111111111112u64, "t": 1714557600000u64}));
    assert_eq!(
        out,
        json!({"n": REDACTED, "m": 4111111111111112u64, "t": 1714557600000u64})
    );
    assert_eq!(pointers, ["/payload/n"]);
}

/// Every string the sender sets is scanned, not only `payload`, `metadata`, `changes`, `error.message`
/// and `description`.
#[test]
fn secrets_in_the_event_models_own_strings_are_redacted() {
    let mut e = event(json!({
        "actor": {"type": "user", "id": "u1", "name": "ci ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                  "email": "ada@acme.org", "roles": ["admin"]},
        "participants": [{"type": "user", "id": "u2", "name": "Bearer abcdef123456"}],
        "targets": [{"type": "webhook", "id": "https://h.example/cb?access_token=abc123&x=1",
                     "name": "Bearer sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv"}],
        "context": {"user_agent": "deploy/1.0 (key AKIAIOSFODNN7EXAMPLE)", "session_id": "s1"},
        "scope": {"environment": "prod", "workspace": "xoxb-1234567890-abcdefghij"},
        "error": {"code": "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "message": "refused"},
        "source": {"format": "native", "name": "svc", "version": "1.0 password=hunter2!"}
    }));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(
        e.actor.name.as_deref(),
        Some("ci [REDACTED]"),
        "{:?}",
        e.actor
    );
    assert_eq!(e.participants[0].name.as_deref(), Some("Bearer [REDACTED]"));
    assert_eq!(
        e.targets[0].id,
        "https://h.example/cb?access_token=[REDACTED]&x=1"
    );
    assert_eq!(e.targets[0].name.as_deref(), Some("Bearer [REDACTED]"));
    assert_eq!(
        e.context.user_agent.as_deref(),
        Some("deploy/1.0 (key [REDACTED])")
    );
    assert_eq!(e.scope.workspace.as_deref(), Some(REDACTED));
    assert_eq!(e.error.as_ref().unwrap().code.as_deref(), Some(REDACTED));
    assert_eq!(e.source.version.as_deref(), Some("1.0 password=[REDACTED]"));
    assert_eq!(
        e.redacted,
        [
            "/actor/name",
            "/context/user_agent",
            "/error/code",
            "/participants/0/name",
            "/scope/workspace",
            "/source/version",
            "/targets/0/id",
            "/targets/0/name"
        ]
    );
    let stored = serde_json::to_string(&e).unwrap();
    for secret in [
        "ghp_",
        "abcdef123456",
        "abc123",
        "sk-proj",
        "AKIA",
        "xoxb",
        "sk_live",
        "hunter2",
    ] {
        assert!(!stored.contains(secret), "{secret} in {stored}");
    }
}

/// Identifiers are matched exactly by searches, so only shapes no ordinary id has are looked for in
/// them: a numeric id that passes the Luhn check, an ARN naming a secret or `api_key:…` stay as sent.
#[test]
fn identifiers_keep_what_only_looks_like_a_secret() {
    let fields = json!({
        "actor": {"type": "api_key", "id": "api_key:k_42", "roles": ["token:admin1"]},
        "participants": [{"type": "user", "id": "4111111111111111"}],
        "targets": [{"type": "secret",
                     "id": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"}],
        "context": {"session_id": "password=x1", "request_id": "5105105105105100",
                    "trace_id": "4111-1111-1111-1111"},
        "scope": {"environment": "prod", "project": "secret: p1"},
        "source": {"format": "native", "name": "token: 1234"}
    });
    let mut e = event(fields.clone());
    let before = e.clone();
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e, before);
    // A detected shape is still replaced, in place: the id keeps its other parts.
    let mut e = event(json!({
        "actor": {"type": "user", "id": "u-ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
        "context": {"session_id": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_DEF-123"}
    }));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e.actor.id, "u-[REDACTED]");
    assert_eq!(e.context.session_id.as_deref(), Some(REDACTED));
    assert_eq!(e.redacted, ["/actor/id", "/context/session_id"]);
}

/// A secret used as an object key is replaced too, keeping keys unique, and is not kept in
/// `changes.changed_fields` either.
#[test]
fn secrets_in_object_keys_are_replaced_and_kept_unique() {
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let other = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    let (out, pointers) = payload(json!({
        "grants": {token: "admin", other: {"role": "read"}, "[REDACTED]": "earlier", "bob": "read"},
        "a/b": {"key sk_live_4eC39HqLyjWDarjtT1zdp7dc": 1}
    }));
    assert_eq!(
        out,
        json!({
            "grants": {"[REDACTED]": "earlier", "[REDACTED]#2": {"role": "read"},
                       "[REDACTED]#3": "admin", "bob": "read"},
            "a/b": {"[REDACTED]": 1}
        })
    );
    assert_eq!(
        pointers,
        [
            "/payload/a~1b/[REDACTED]",
            "/payload/grants/[REDACTED]#2",
            "/payload/grants/[REDACTED]#3"
        ]
    );
    let (again, none) = payload(out.clone());
    assert_eq!((again, none), (out, vec![]));

    let mut e =
        event(json!({"metadata": {"sk_live_4eC39HqLyjWDarjtT1zdp7dc": "x", "region": "eu"}}));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(
        serde_json::to_value(&e.metadata).unwrap(),
        json!({"[REDACTED]": "x", "region": "eu"})
    );
    assert_eq!(e.redacted, ["/metadata/[REDACTED]"]);
}

/// A value is judged by the key it was sent under, even when that key is renamed for the secret it
/// holds: `{"password=hunter2!": "hunter2!"}` keeps no password.
#[test]
fn a_renamed_key_still_judges_its_value() {
    let (out, pointers) = payload(json!({"password=hunter2!": "hunter2!"}));
    assert_eq!(out, json!({"[REDACTED]": "[REDACTED]"}));
    assert_eq!(pointers, ["/payload/[REDACTED]"]);
    let mut e = event(json!({"metadata": {"token=abc123xyz": "abc123xyz"}}));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(
        serde_json::to_value(&e.metadata).unwrap(),
        json!({"[REDACTED]": "[REDACTED]"})
    );
}

/// Many secret keys in one object each get their own name, one try each (a search from
/// `[REDACTED]` up for every key would take cubic time on an object of thousands of tokens).
#[test]
fn thousands_of_secret_keys_are_renamed_apart() {
    let keys: serde_json::Map<String, Value> = (0..3_000)
        .map(|i| (format!("ghp_{i:036}"), json!(i)))
        .chain([("[REDACTED]#7".to_string(), json!("taken"))])
        .collect();
    let (out, pointers) = payload(Value::Object(keys));
    let out = out.as_object().unwrap();
    assert_eq!(out.len(), 3_001, "no member lost");
    assert_eq!(pointers.len(), 3_000);
    assert_eq!(out["[REDACTED]#7"], "taken");
    assert!(out.keys().all(|k| k.starts_with("[REDACTED]")));
}

/// Keys are not scanned for card numbers or AWS access key ids (which name keys): a map keyed by
/// numeric ids or access key ids keeps them, and a target id that is an access key id stays
/// searchable.
#[test]
fn keys_and_ids_that_only_look_secret_are_kept() {
    let input = json!({"4111111111111111": "order", "AKIAIOSFODNN7EXAMPLE": {"owner": "ci"}});
    assert_eq!(payload(input.clone()), (input, vec![]));
    let mut e =
        event(json!({"targets": [{"type": "iam_access_key", "id": "AKIAIOSFODNN7EXAMPLE"}]}));
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e.targets[0].id, "AKIAIOSFODNN7EXAMPLE");
    assert!(e.redacted.is_empty());
}

/// `changed_fields` is computed from the originals: a pointer through a key holding a secret stops at
/// the object that holds it, which did change.
#[test]
fn changed_fields_name_no_secret_key() {
    use crate::validate::changed_fields;
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let before = json!({"grants": {"bob": "read"}, "title": "a"});
    let after = json!({"grants": {"bob": "read", token: {"role": "admin"}},
                       "title": "b", "x~/sk_live_4eC39HqLyjWDarjtT1zdp7dc": 1});
    let changed = changed_fields(&before, &after);
    assert_eq!(changed.len(), 3);
    let mut e = event(json!({
        "changes": {"before": before, "after": after, "changed_fields": changed}
    }));
    redact(&mut e, &RedactionRules::default());
    let changes = e.changes.as_ref().unwrap();
    assert_eq!(changes.changed_fields, ["", "/grants", "/title"]);
    assert_eq!(
        changes.after,
        Some(
            json!({"grants": {"bob": "read", "[REDACTED]": {"role": "admin"}},
                    "title": "b", "[REDACTED]": 1})
        )
    );
    let stored = serde_json::to_string(&e).unwrap();
    assert!(
        !stored.contains("ghp_") && !stored.contains("sk_live"),
        "{stored}"
    );
}

/// Header lists name the secret in a sibling: `{"name": "X-Api-Key", "value": "..."}` and
/// `[["Authorization", "..."]]` are judged by the name, like `{"X-Api-Key": "..."}`.
#[test]
fn name_value_pairs_are_judged_by_their_name() {
    let (out, pointers) = payload(json!({
        "headers": [
            {"name": "X-Api-Key", "value": "q8Zr2LmN4pT7"},
            {"name": "Accept", "value": "application/json"},
            {"key": "db_password", "value": {"v": 1}},
            {"header": "Cookie", "value": "sid=1", "source": "browser"},
            {"name": "password_changed_at", "value": "2024-05-01"},
            {"name": "token", "value": null}
        ],
        "pairs": [["Authorization", "Token q8Zr2LmN4pT7"], ["Accept", "text/html"]],
        "fields": ["password", "email"]
    }));
    assert_eq!(
        out,
        json!({
            "headers": [
                {"name": "X-Api-Key", "value": REDACTED},
                {"name": "Accept", "value": "application/json"},
                {"key": "db_password", "value": REDACTED},
                {"header": "Cookie", "value": REDACTED, "source": "browser"},
                {"name": "password_changed_at", "value": "2024-05-01"},
                {"name": "token", "value": null}
            ],
            "pairs": [["Authorization", REDACTED], ["Accept", "text/html"]],
            "fields": ["password", "email"]
        })
    );
    assert_eq!(
        pointers,
        [
            "/payload/headers/0/value",
            "/payload/headers/2/value",
            "/payload/headers/3/value",
            "/payload/pairs/0/1"
        ]
    );
}

/// Short identifiers are answered without a scan, but only when they could hold nothing: one with an
/// assignment's `=` is still scanned, and values (card numbers on) always are.
#[test]
fn short_strings_skip_the_scan_only_when_nothing_fits_in_them() {
    let mut e = event(
        json!({"targets": [{"type": "hook", "id": "?token=ab12cd"}, {"type": "doc", "id": "d_1"}]}),
    );
    redact(&mut e, &RedactionRules::default());
    assert_eq!(e.targets[0].id, "?token=[REDACTED]");
    assert_eq!(e.targets[1].id, "d_1");
    let (out, pointers) = payload(json!({"note": "4222222222222"}));
    assert_eq!(out, json!({"note": REDACTED}));
    assert_eq!(pointers, ["/payload/note"]);
}
