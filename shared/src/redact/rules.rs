//! The tenant's redaction configuration ([`RedactionRules`]), the switchable value patterns
//! ([`Detector`]) it names, and the checks a submitted configuration must pass before it is stored.
//! Redaction itself never fails: it ignores entries that [`RedactionRules::validate`] would refuse.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keys::is_separator;
use crate::api::FieldError;
use crate::saved_search::InputError;
use crate::validate::escape;

/// Most entries in any one list of [`RedactionRules`].
pub const MAX_RULE_ENTRIES: usize = 100;
/// Longest key name or secret prefix in [`RedactionRules`], in characters.
pub const MAX_RULE_CHARS: usize = 64;
/// Shortest secret prefix: shorter ones would match ordinary words.
pub const MIN_PREFIX_CHARS: usize = 3;

/// A tenant's redaction configuration, stored as JSON. The built-in key names and detectors always apply
/// unless switched off here, so the default (every list empty) is the recommended setting and new
/// built-in rules reach every tenant without a migration. Stored rules are read leniently (a member
/// this version does not know is ignored, so rules never stop ingestion); what a tenant sends is read
/// strictly by [`RedactionRules::read_input`].
///
/// ```json
/// {"extra_keys": ["ssn", "*_pin"], "allowed_keys": ["session"], "disabled_detectors": ["card_number"],
///  "secret_prefixes": ["acme_live_"]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedactionRules {
    /// More key names whose values are replaced whole. Compared like the built-in names (ASCII case and
    /// `_`, `-`, `.`, space ignored) but exactly, unless the name starts or ends with `*`: `*_pin` matches
    /// any key ending in `pin`, `pin*` any key starting with it, `*pin*` any key containing it.
    pub extra_keys: Vec<String>,
    /// Key names never treated as secret by name (built-in or extra), written like `extra_keys`. Strings
    /// under them are still scanned by the detectors.
    pub allowed_keys: Vec<String>,
    /// Wire names of [`Detector`]s switched off, e.g. `card_number`.
    pub disabled_detectors: Vec<String>,
    /// Literal prefixes of the tenant's own secrets, e.g. `acme_live_`: the prefix and the token characters
    /// (`A-Z a-z 0-9 _ -`) after it are redacted where the prefix starts a word. Case-sensitive.
    pub secret_prefixes: Vec<String>,
}

/// A value pattern found inside strings. Each can be switched off per tenant by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detector {
    /// `Bearer <token>`: the token (8+ characters with a digit, or 24+).
    Bearer,
    /// `Basic <base64 of user:password>`: the base64 part, only when it decodes to `user:password`.
    BasicAuth,
    /// JSON Web Tokens: `eyJ...` header, payload and signature.
    Jwt,
    /// AWS access key ids (`AKIA`/`ASIA` + 16). Secret access keys are found by [`Detector::CodeAssignment`].
    AwsAccessKey,
    /// Google Cloud API keys (`AIza` + 35).
    GcpApiKey,
    /// GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
    GithubToken,
    /// Slack tokens: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`.
    SlackToken,
    /// Stripe secret and restricted keys: `sk_live_`, `rk_live_`, `sk_test_`, `rk_test_`.
    StripeKey,
    /// LLM providers' API keys, `sk-` then 20+ token characters mixing upper and lower case and digits:
    /// OpenAI's `sk-...`, `sk-proj-...`, `sk-svcacct-...` and Anthropic's `sk-ant-api03-...`.
    LlmApiKey,
    /// PEM private key blocks, `-----BEGIN ... PRIVATE KEY-----` to the matching `END` line (or the end of
    /// the string when it was cut off).
    PrivateKey,
    /// Card numbers: 13 to 19 digits, optionally grouped by single spaces or dashes, starting with 2-6
    /// (the card networks' ranges) and passing the Luhn check; also JSON numbers of that shape. Order ids,
    /// epoch milliseconds and timestamps fail one of these and are kept.
    CardNumber,
    /// The password in `scheme://user:password@host`.
    UrlCredentials,
    /// Secrets assigned in code, config, query strings and headers: `password = "hunter2"`,
    /// `api_key: 'abc'`, `TOKEN=abc123`, `headers["Authorization"] = "..."`, `{"x-api-key", "..."}`,
    /// `@secret "..."`, `?access_token=...`, `--password value`. The key is judged like an object key; the value is redacted
    /// when quoted, and when unquoted unless it reads as a reference to something else (`password: password`,
    /// `token = config.token`, `nil`): unquoted values need a digit or a symbol, except in `KEY=value`
    /// environment lines and query strings, where every value counts.
    CodeAssignment,
}

impl Detector {
    /// Every detector.
    pub const ALL: &'static [Detector] = &[
        Detector::Bearer,
        Detector::BasicAuth,
        Detector::Jwt,
        Detector::AwsAccessKey,
        Detector::GcpApiKey,
        Detector::GithubToken,
        Detector::SlackToken,
        Detector::StripeKey,
        Detector::LlmApiKey,
        Detector::PrivateKey,
        Detector::CardNumber,
        Detector::UrlCredentials,
        Detector::CodeAssignment,
    ];

    /// The wire name used in [`RedactionRules::disabled_detectors`].
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::Bearer => "bearer",
            Detector::BasicAuth => "basic_auth",
            Detector::Jwt => "jwt",
            Detector::AwsAccessKey => "aws_access_key",
            Detector::GcpApiKey => "gcp_api_key",
            Detector::GithubToken => "github_token",
            Detector::SlackToken => "slack_token",
            Detector::StripeKey => "stripe_key",
            Detector::LlmApiKey => "llm_api_key",
            Detector::PrivateKey => "private_key",
            Detector::CardNumber => "card_number",
            Detector::UrlCredentials => "url_credentials",
            Detector::CodeAssignment => "code_assignment",
        }
    }

    /// Parses a wire name (exact).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.as_str() == name)
    }

    pub(super) fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl RedactionRules {
    /// The members of the rules, in wire order.
    pub const FIELDS: &'static [&'static str] = &[
        "extra_keys",
        "allowed_keys",
        "disabled_detectors",
        "secret_prefixes",
    ];

    /// Reads and checks the rules a `PUT /api/v1/settings/redaction` sends, reporting every problem by
    /// its JSON pointer. A member left out is an empty list; an unknown one (`extraKeys`) is refused,
    /// since ignoring it would leave a secret the tenant meant to hide in the clear.
    pub fn read_input(body: &str) -> Result<RedactionRules, InputError> {
        let value: Value = serde_json::from_str(body).map_err(|e| {
            InputError::Json(format!(
                "the redaction rules do not parse at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(members) = value else {
            return Err(InputError::Invalid(vec![FieldError::new(
                "",
                "the rules must be a JSON object like {\"extra_keys\": [\"ssn\"]}",
            )]));
        };
        let mut rules = RedactionRules::default();
        let mut errors = Vec::new();
        for (name, value) in members {
            let path = format!("/{}", escape(&name));
            let Some(list) = rules.list_mut(&name) else {
                let known: Vec<String> = Self::FIELDS.iter().map(|f| format!("`{f}`")).collect();
                errors.push(FieldError::new(
                    path,
                    format!(
                        "unknown field `{name}`; expected one of {}",
                        known.join(", ")
                    ),
                ));
                continue;
            };
            let Value::Array(items) = value else {
                errors.push(FieldError::new(path, "must be a list of strings"));
                continue;
            };
            let read = errors.len();
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => list.push(s),
                    _ => errors.push(FieldError::new(format!("{path}/{i}"), "must be a string")),
                }
            }
            if errors.len() > read {
                // Left out of the checks below, whose pointers would not match the body's.
                list.clear();
            }
        }
        if let Err(mut invalid) = rules.validate() {
            errors.append(&mut invalid);
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(InputError::Invalid(errors))
        }
    }

    /// The list a member names, by its wire name.
    fn list_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        match name {
            "extra_keys" => Some(&mut self.extra_keys),
            "allowed_keys" => Some(&mut self.allowed_keys),
            "disabled_detectors" => Some(&mut self.disabled_detectors),
            "secret_prefixes" => Some(&mut self.secret_prefixes),
            _ => None,
        }
    }

    /// Checks the rules a tenant submits, naming each bad entry by its JSON pointer in the rules
    /// (`/extra_keys/2`). Redaction itself never fails: it ignores entries this would refuse.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let extra = check_key_names(&mut errors, "/extra_keys", &self.extra_keys);
        let allowed = check_key_names(&mut errors, "/allowed_keys", &self.allowed_keys);
        for (i, name) in allowed.iter().enumerate() {
            if let Some(j) = name
                .as_ref()
                .and_then(|n| extra.iter().position(|e| e.as_ref() == Some(n)))
            {
                errors.push(FieldError::new(
                    format!("/allowed_keys/{i}"),
                    format!("is also in /extra_keys/{j}; a key cannot be both secret and allowed"),
                ));
            }
        }
        if check_count(&mut errors, "/disabled_detectors", &self.disabled_detectors) {
            for (i, name) in self.disabled_detectors.iter().enumerate() {
                let path = format!("/disabled_detectors/{i}");
                if Detector::parse(name).is_none() {
                    let expected: Vec<String> = Detector::ALL
                        .iter()
                        .map(|d| format!("`{}`", d.as_str()))
                        .collect();
                    errors.push(FieldError::new(
                        path,
                        format!(
                            "unknown detector `{name}`; expected one of {}",
                            expected.join(", ")
                        ),
                    ));
                } else if let Some(j) = self.disabled_detectors[..i].iter().position(|d| d == name)
                {
                    errors.push(FieldError::new(
                        path,
                        format!("repeats /disabled_detectors/{j}"),
                    ));
                }
            }
        }
        if check_count(&mut errors, "/secret_prefixes", &self.secret_prefixes) {
            for (i, prefix) in self.secret_prefixes.iter().enumerate() {
                let path = format!("/secret_prefixes/{i}");
                let chars = prefix.chars().count();
                if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    errors.push(FieldError::new(
                        path,
                        "must not contain spaces or control characters",
                    ));
                } else if !(MIN_PREFIX_CHARS..=MAX_RULE_CHARS).contains(&chars) {
                    errors.push(FieldError::new(
                        path,
                        format!("must be {MIN_PREFIX_CHARS} to {MAX_RULE_CHARS} characters; this one has {chars}"),
                    ));
                } else if let Some(j) = self.secret_prefixes[..i].iter().position(|p| p == prefix) {
                    errors.push(FieldError::new(
                        path,
                        format!("repeats /secret_prefixes/{j}"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Records an error when a list is too long; true when its entries are worth checking.
fn check_count(errors: &mut Vec<FieldError>, path: &str, list: &[String]) -> bool {
    if list.len() > MAX_RULE_ENTRIES {
        errors.push(FieldError::new(
            path,
            format!(
                "has {} entries; the limit is {MAX_RULE_ENTRIES}",
                list.len()
            ),
        ));
        return false;
    }
    true
}

/// Checks a list of key-name patterns; returns each one's normalised form (`None` when invalid), for the
/// caller's cross-list check.
fn check_key_names(
    errors: &mut Vec<FieldError>,
    path: &str,
    names: &[String],
) -> Vec<Option<String>> {
    if !check_count(errors, path, names) {
        return Vec::new();
    }
    let mut seen: Vec<Option<String>> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let at = format!("{path}/{i}");
        let chars = name.chars().count();
        let core = name.trim_start_matches('*').trim_end_matches('*');
        let normal: String = core
            .bytes()
            .filter(|b| !is_separator(*b))
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        let problem = if name.chars().any(char::is_control) {
            Some("must not contain control characters".to_string())
        } else if chars > MAX_RULE_CHARS {
            Some(format!(
                "is {chars} characters long; the limit is {MAX_RULE_CHARS}"
            ))
        } else if core.contains('*') || name.starts_with("**") || name.ends_with("**") {
            Some("`*` is allowed only once at the start and once at the end".to_string())
        } else if normal.is_empty() {
            Some("must name a key: something besides `*`, `_`, `-`, `.` and spaces".to_string())
        } else {
            None
        };
        if let Some(message) = problem {
            errors.push(FieldError::new(at, message));
            seen.push(None);
            continue;
        }
        // Keep the stars so that `pin` and `*pin` stay different rules.
        let key = format!(
            "{}{normal}{}",
            if name.starts_with('*') { "*" } else { "" },
            if name.len() > 1 && name.ends_with('*') {
                "*"
            } else {
                ""
            }
        );
        let key = Some(key);
        if let Some(j) = seen.iter().position(|s| *s == key) {
            errors.push(FieldError::new(at, format!("repeats {path}/{j}")));
            seen.push(None);
        } else {
            seen.push(key);
        }
    }
    seen
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
