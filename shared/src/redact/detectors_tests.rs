//! Tests of the shape detectors on plain text, each with the near misses it must keep.

use crate::redact::testing::{kept, text};
use crate::redact::REDACTED;

#[test]
fn bearer_tokens() {
    assert_eq!(
        text("Authorization: Bearer abc123def456"),
        "Authorization: Bearer [REDACTED]"
    );
    assert_eq!(
        text("sent bearer eyJ0eXAiOiJKV1QiLCJh.x and more"),
        "sent bearer [REDACTED] and more"
    );
    kept("requires a Bearer token.");
    kept("Bearer authentication failed");
    kept("Bearer ${TOKEN}");
}

#[test]
fn basic_auth_only_when_it_decodes_to_user_and_password() {
    // dXNlcjpodW50ZXIy = "user:hunter2"
    assert_eq!(
        text("Authorization: Basic dXNlcjpodW50ZXIy"),
        "Authorization: Basic [REDACTED]"
    );
    kept("the basic plan");
    // aGVsbG8gd29ybGQ= = "hello world"
    kept("Basic aGVsbG8gd29ybGQ=");
}

#[test]
fn jwts() {
    assert_eq!(
        text("got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_DEF-123 back"),
        "got [REDACTED] back"
    );
    kept("eyJhbGciOiJIUzI1NiJ9 alone");
    kept("keyJ.eyJzdWIiOiIxMjM0In0.x");
}

#[test]
fn aws_access_key_ids() {
    assert_eq!(text("AKIAIOSFODNN7EXAMPLE"), REDACTED);
    assert_eq!(text("id=ASIAY34FZKBOKMUTVV7A."), "id=[REDACTED].");
    kept("AKIA1234 is too short");
    kept("AKIAIOSFODNN7EXAMPLEX is too long");
    kept("XAKIAIOSFODNN7EXAMPLE");
}

#[test]
fn gcp_api_keys() {
    assert_eq!(
        text("key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&q=1"),
        "key=[REDACTED]&q=1"
    );
    kept("AIzaShort");
}

#[test]
fn github_tokens() {
    assert_eq!(
        text("use ghp_abcdefghijklmnopqrstuvwxyz0123456789 now"),
        "use [REDACTED] now"
    );
    assert_eq!(text("gho_abcdefghijklmnopqrstuvwxyz0123456789"), REDACTED);
    assert_eq!(
        text("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        REDACTED
    );
    kept("ghp_short");
    kept("my_ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    kept("github_pat_short");
}

#[test]
fn slack_tokens() {
    assert_eq!(
        text("xoxb-1234567890-abcdefghij posted"),
        "[REDACTED] posted"
    );
    kept("xoxb-123");
    kept("xoxo-1234567890-abcdefghij");
}

#[test]
fn stripe_keys() {
    assert_eq!(
        text("sk_live_4eC39HqLyjWDarjtT1zdp7dc and rk_test_4eC39HqLyjWDarjt"),
        "[REDACTED] and [REDACTED]"
    );
    kept("pk_live_4eC39HqLyjWDarjtT1zdp7dc");
    kept("task_live_4eC39HqLyjWDarjtT1zdp7dc");
    kept("sk_live_short");
}

#[test]
fn llm_provider_keys() {
    assert_eq!(
        text("OpenAI(api_key=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv and sk-ant-api03-Xy7zAb4cDe1fGh8iJk-_Q2)"),
        "OpenAI(api_key=[REDACTED] and [REDACTED])"
    );
    assert_eq!(text("key sk-T3BlbkFJ9xYzAbCdEfGhIjKl."), "key [REDACTED].");
    kept("pip install scikit-learn sk-learn-tutorial-examples-2024");
    kept("batch sk-2024-05-01-12-00-00-000001");
    kept("task-T3BlbkFJ9xYzAbCdEfGhIjKl");
    kept("sk-Ab3dEf6hIj9kLm2");
}

#[test]
fn private_key_blocks_span_lines() {
    assert_eq!(
        text("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc+/=\n-----END RSA PRIVATE KEY-----\nafter"),
        "key:\n[REDACTED]\nafter"
    );
    assert_eq!(
        text("cut -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt"),
        "cut [REDACTED]"
    );
    kept("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    kept("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----");
}

#[test]
fn card_numbers_only_when_luhn_valid_and_in_a_card_range() {
    assert_eq!(
        text("card 4111 1111 1111 1111 charged"),
        "card [REDACTED] charged"
    );
    assert_eq!(text("5500-0055-5555-5559"), REDACTED);
    assert_eq!(text("amex 378282246310005."), "amex [REDACTED].");
    kept("card 4111 1111 1111 1112 declined");
    kept("order 1234567812345670");
    kept("at 1714557600000 ms");
    kept("2024-05-01T10:00:00.000Z");
    kept("41111111111111110000");
    kept("id_4111111111111111");
    kept("pi 3.4111111111111111");
    kept("0190b7a4-4111-7000-8000-000000000001");
}

#[test]
fn url_passwords() {
    assert_eq!(
        text("DATABASE_URL=postgres://admin:hunter2@db.internal:5432/app"),
        "DATABASE_URL=postgres://admin:[REDACTED]@db.internal:5432/app"
    );
    kept("https://user@example.com/x");
    kept("mail bob@example.com");
    kept("https://example.com/@handle");
}

/// A URL's password may hold `@` and `/`: it runs from the user's `:` to the last `@` before the
/// host. A path's `:` and `@` are not credentials.
#[test]
fn url_passwords_with_at_and_slash() {
    assert_eq!(
        text("DATABASE=postgres://app:p@ssw0rd@db/x"),
        "DATABASE=postgres://app:[REDACTED]@db/x"
    );
    assert_eq!(
        text("postgres://u:ab/cd@h:5432/db"),
        "postgres://u:[REDACTED]@h:5432/db"
    );
    kept("see https://example.com/path/a:b@c for details");
    kept("mailto:ann@example.com");
}

/// Runs of candidate prefixes are read once, not once per candidate (`eyJ-eyJ-…` read to its end
/// from each `eyJ` is quadratic: billions of steps for one 64 KiB string), and a key at the end of
/// such a run is still found.
#[test]
fn runs_of_candidates_are_read_once() {
    kept(&"eyJ-".repeat(16_384));
    kept(&"AIza-".repeat(13_000));
    kept(&"sk-".repeat(21_000));
    assert_eq!(
        text(&format!(
            "{} sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
            "sk-".repeat(3)
        )),
        format!("sk-sk-sk- {REDACTED}")
    );
    let key = "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe";
    assert_eq!(
        text(&format!("x {}-{key} y", "AIza".repeat(3))),
        format!("x AIzaAIzaAIza-{REDACTED} y")
    );
}
