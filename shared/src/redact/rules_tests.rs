//! Tests of the rules' wire shape, their validation, and switching detectors off.

use serde_json::json;

use super::*;
use crate::redact::testing::{payload_with, rules, text_with};
use crate::redact::REDACTED;

#[test]
fn rules_round_trip_through_json_and_default_to_empty_lists() {
    let default = RedactionRules::default();
    assert_eq!(
        serde_json::to_value(&default).unwrap(),
        json!({"extra_keys": [], "allowed_keys": [], "disabled_detectors": [], "secret_prefixes": []})
    );
    assert_eq!(rules(json!({})), default);
    let full = json!({
        "extra_keys": ["ssn"],
        "allowed_keys": ["session"],
        "disabled_detectors": ["card_number"],
        "secret_prefixes": ["acme_live_"]
    });
    let parsed = rules(full.clone());
    assert_eq!(parsed.extra_keys, ["ssn"]);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), full);
    assert_eq!(parsed.validate(), Ok(()));
}

#[test]
fn detectors_can_be_switched_off() {
    let tenant = rules(
        json!({"disabled_detectors": ["card_number", "bearer", "code_assignment", "no_such"]}),
    );
    let input =
        "card 4111111111111111, Bearer abc123def456, password = \"x\", AKIAIOSFODNN7EXAMPLE";
    assert_eq!(
        text_with(input, &tenant),
        "card 4111111111111111, Bearer abc123def456, password = \"x\", [REDACTED]"
    );
    let (out, _) = payload_with(json!({"n": 4111111111111111u64, "password": "x"}), &tenant);
    assert_eq!(out, json!({"n": 4111111111111111u64, "password": REDACTED}));
    for d in Detector::ALL {
        assert_eq!(Detector::parse(d.as_str()), Some(*d));
    }
}

#[test]
fn validate_names_each_bad_rule_by_pointer() {
    let bad = RedactionRules {
        extra_keys: vec![
            "ssn".into(),
            "".into(),
            "a*b".into(),
            "SSN".into(),
            "x".repeat(65),
            "__".into(),
        ],
        allowed_keys: vec!["s_s_n".into(), "*ok*".into()],
        disabled_detectors: vec!["jwt".into(), "regex".into(), "jwt".into()],
        secret_prefixes: vec![
            "ab".into(),
            "acme live".into(),
            "acme_".into(),
            "acme_".into(),
        ],
    };
    let expected = Detector::ALL
        .iter()
        .map(|d| format!("`{}`", d.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        bad.validate(),
        Err(vec![
            FieldError::new(
                "/extra_keys/1",
                "must name a key: something besides `*`, `_`, `-`, `.` and spaces"
            ),
            FieldError::new(
                "/extra_keys/2",
                "`*` is allowed only once at the start and once at the end"
            ),
            FieldError::new("/extra_keys/3", "repeats /extra_keys/0"),
            FieldError::new("/extra_keys/4", "is 65 characters long; the limit is 64"),
            FieldError::new(
                "/extra_keys/5",
                "must name a key: something besides `*`, `_`, `-`, `.` and spaces"
            ),
            FieldError::new(
                "/allowed_keys/0",
                "is also in /extra_keys/0; a key cannot be both secret and allowed"
            ),
            FieldError::new(
                "/disabled_detectors/1",
                format!("unknown detector `regex`; expected one of {expected}")
            ),
            FieldError::new("/disabled_detectors/2", "repeats /disabled_detectors/0"),
            FieldError::new(
                "/secret_prefixes/0",
                "must be 3 to 64 characters; this one has 2"
            ),
            FieldError::new(
                "/secret_prefixes/1",
                "must not contain spaces or control characters"
            ),
            FieldError::new("/secret_prefixes/3", "repeats /secret_prefixes/2"),
        ])
    );
    let long = RedactionRules {
        extra_keys: vec!["k".into(); MAX_RULE_ENTRIES + 1],
        ..RedactionRules::default()
    };
    assert_eq!(
        long.validate(),
        Err(vec![FieldError::new(
            "/extra_keys",
            "has 101 entries; the limit is 100"
        )])
    );
    assert_eq!(RedactionRules::default().validate(), Ok(()));
}

/// A member the rules do not have would be dropped without a word, leaving the secret it meant to hide
/// in the clear: what a tenant sends is refused by the member's pointer, with the known members.
#[test]
fn read_input_refuses_unknown_members_by_pointer() {
    let known =
        "expected one of `extra_keys`, `allowed_keys`, `disabled_detectors`, `secret_prefixes`";
    assert_eq!(
        RedactionRules::read_input(r#"{"extraKeys": ["ssn"]}"#),
        Err(InputError::Invalid(vec![FieldError::new(
            "/extraKeys",
            format!("unknown field `extraKeys`; {known}")
        )]))
    );
    assert_eq!(
        RedactionRules::read_input(
            r#"{"extra_keys": ["ssn", 3, ""], "a/b": 1, "allowed_keys": "x"}"#
        ),
        Err(InputError::Invalid(vec![
            FieldError::new("/a~1b", format!("unknown field `a/b`; {known}")),
            FieldError::new("/allowed_keys", "must be a list of strings"),
            FieldError::new("/extra_keys/1", "must be a string"),
        ]))
    );
    assert_eq!(
        RedactionRules::read_input(r#"{"extra_keys": [""], "secret_prefixes": ["ab"]}"#),
        Err(InputError::Invalid(vec![
            FieldError::new(
                "/extra_keys/0",
                "must name a key: something besides `*`, `_`, `-`, `.` and spaces"
            ),
            FieldError::new(
                "/secret_prefixes/0",
                "must be 3 to 64 characters; this one has 2"
            ),
        ]))
    );
    assert!(matches!(
        RedactionRules::read_input("{"),
        Err(InputError::Json(_))
    ));
    assert!(matches!(
        RedactionRules::read_input("[]"),
        Err(InputError::Invalid(errors)) if errors[0].path.is_empty()
    ));
    let full = json!({
        "extra_keys": ["ssn"],
        "allowed_keys": ["session"],
        "disabled_detectors": ["card_number"],
        "secret_prefixes": ["acme_live_"]
    });
    assert_eq!(
        RedactionRules::read_input(&full.to_string()),
        Ok(rules(full))
    );
    assert_eq!(
        RedactionRules::read_input(r#"{"extra_keys": ["ssn"]}"#),
        Ok(rules(json!({"extra_keys": ["ssn"]})))
    );
}
