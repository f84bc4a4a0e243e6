//! Redaction: replaces secrets in an event before it is stored (SPEC 3.4), so the original never reaches
//! the database, and lists in `event.redacted` the JSON pointer of every value it changed.
//!
//! It covers the sender-shaped parts of an event: `payload`, `metadata`, `changes.before`,
//! `changes.after`, `error.message` and `description`. Two kinds of rules apply:
//!
//! * Key names. A value whose key looks secret (`password`, `db_password`, `X-Api-Key`, `accessToken`,
//!   `credentials`, ...) is replaced whole by [`REDACTED`], even when it is a number, array or object.
//!   Keys are compared ignoring ASCII case and the separators `_`, `-`, `.` and space, as substrings. What
//!   follows the secret word decides false positives deliberately: `token_count`, `password_changed_at`,
//!   `api_key_id`, `tokenizer` or `secretary` describe a secret without holding one and are kept (see
//!   [`HARMLESS_SUFFIXES`]); a bare plural such as `tokens`, `max_tokens` or `prompt_tokens` is an LLM token
//!   count when its value is a number and a list of secrets otherwise. `null`, booleans and empty strings
//!   are left as they are: they hide nothing. Strings under non-secret keys are still scanned.
//! * Value patterns ([`Detector`]). Inside any string only the matching part is replaced, so code and
//!   messages stay readable: `Authorization: Bearer [REDACTED]`, `password = "[REDACTED]"`.
//!
//! Speed: the pipeline budget is 10 µs per event, so nothing here allocates unless it redacts. Strings are
//! scanned once, byte by byte, and a detector only looks closer at a byte that can start or mark its
//! pattern (`B`, `b`, `J`, `A`, `_`, `x`, digits, `@`, `=`, `:`, `,`), eight bytes per branch elsewhere; the
//! `regex` crate is not used, which also keeps the wasm bundle small. Key names are matched in place: one
//! table look-up per byte rules out most keys without building a normalised copy.
//!
//! Object keys themselves are never rewritten (a pointer must still locate the value).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::api::FieldError;
use crate::event::Event;
use crate::validate::escape;

/// What a redacted value, or the redacted part of a string, is replaced with.
pub const REDACTED: &str = "[REDACTED]";
/// Most entries in any one list of [`RedactionRules`].
pub const MAX_RULE_ENTRIES: usize = 100;
/// Longest key name or secret prefix in [`RedactionRules`], in characters.
pub const MAX_RULE_CHARS: usize = 64;
/// Shortest secret prefix: shorter ones would match ordinary words.
pub const MIN_PREFIX_CHARS: usize = 3;

/// A tenant's redaction configuration, stored as JSON. The built-in key names and detectors always apply
/// unless switched off here, so the default (every list empty) is the recommended setting and new
/// built-in rules reach every tenant without a migration.
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
    /// `@secret "..."`, `?access_token=...`. The key is judged like an object key; the value is redacted
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

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl RedactionRules {
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

/// Redacts `event` in place following `rules` and records in `event.redacted` the sorted, deduplicated
/// JSON pointers (from the event root) of every value it changed. `changes.changed_fields` is left alone:
/// it was computed from the originals and names fields, not values.
pub fn redact(event: &mut Event, rules: &RedactionRules) {
    let cx = Redactor::new(rules);
    let mut found = Vec::new();
    if let Some(payload) = event.payload.as_mut() {
        cx.walk(payload, &Path::root("payload"), &mut found);
    }
    let metadata = Path::root("metadata");
    for (key, value) in event.metadata.iter_mut() {
        cx.member(key, value, &metadata, &mut found);
    }
    if let Some(changes) = event.changes.as_mut() {
        let root = Path::root("changes");
        if let Some(before) = changes.before.as_mut() {
            cx.walk(before, &root.key("before"), &mut found);
        }
        if let Some(after) = changes.after.as_mut() {
            cx.walk(after, &root.key("after"), &mut found);
        }
    }
    if let Some(error) = event.error.as_mut() {
        cx.text(
            &mut error.message,
            &Path::root("error").key("message"),
            &mut found,
        );
    }
    if let Some(description) = event.description.as_mut() {
        cx.text(description, &Path::root("description"), &mut found);
    }
    if !found.is_empty() {
        event.redacted.append(&mut found);
    }
    if !event.redacted.is_empty() {
        event.redacted.sort_unstable();
        event.redacted.dedup();
    }
}

/// One step from the event root, kept on the stack while walking so that a pointer string is only built
/// for values that were redacted.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    fn root(name: &'static str) -> Path<'static> {
        Path {
            parent: None,
            seg: Seg::Key(name),
        }
    }

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn pointer(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            segs.push(path.seg);
            at = path.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            out.push('/');
            match seg {
                Seg::Key(key) => out.push_str(&escape(key)),
                Seg::Index(i) => {
                    let _ = write!(out, "{i}");
                }
            }
        }
        out
    }
}

/// How a key's value is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// Not secret by name; strings inside are still scanned.
    Plain,
    /// Replaced whole.
    Secret,
    /// A bare plural (`tokens`, `max_tokens`): a count when it is a number, secrets otherwise.
    SecretUnlessNumber,
}

/// The rules of one call, with the detector switches resolved once.
struct Redactor<'r> {
    rules: &'r RedactionRules,
    on: u16,
}

impl<'r> Redactor<'r> {
    fn new(rules: &'r RedactionRules) -> Self {
        let mut on = u16::MAX;
        for name in &rules.disabled_detectors {
            if let Some(d) = Detector::parse(name) {
                on &= !d.bit();
            }
        }
        Redactor { rules, on }
    }

    fn on(&self, d: Detector) -> bool {
        self.on & d.bit() != 0
    }

    fn walk(&self, value: &mut Value, path: &Path<'_>, found: &mut Vec<String>) {
        match value {
            Value::String(s) => self.text(s, path, found),
            Value::Number(n) => {
                if self.on(Detector::CardNumber) && is_card_number(n) {
                    *value = Value::String(REDACTED.to_string());
                    found.push(path.pointer());
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let child = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    self.walk(item, &child, found);
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    self.member(key, item, path, found);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// One object member: replaced whole when its key is secret, walked otherwise.
    fn member(&self, key: &str, value: &mut Value, parent: &Path<'_>, found: &mut Vec<String>) {
        let path = parent.key(key);
        let whole = match self.classify(key.as_bytes()) {
            KeyKind::Plain => false,
            KeyKind::Secret => true,
            KeyKind::SecretUnlessNumber => !value.is_number(),
        };
        if !whole {
            return self.walk(value, &path, found);
        }
        let hides_nothing = match value {
            Value::Null | Value::Bool(_) => true,
            Value::String(s) => s.is_empty() || s == REDACTED,
            _ => false,
        };
        if !hides_nothing {
            *value = Value::String(REDACTED.to_string());
            found.push(path.pointer());
        }
    }

    fn text(&self, s: &mut String, path: &Path<'_>, found: &mut Vec<String>) {
        if let Some(clean) = self.scan(s) {
            *s = clean;
            found.push(path.pointer());
        }
    }

    fn classify(&self, key: &[u8]) -> KeyKind {
        let rules = self.rules;
        if !rules.allowed_keys.is_empty() || !rules.extra_keys.is_empty() {
            let tenant = with_normalized(key, |key| {
                if rules.allowed_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Plain)
                } else if rules.extra_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Secret)
                } else {
                    None
                }
            });
            if let Some(kind) = tenant {
                return kind;
            }
        }
        builtin_kind(key)
    }

    /// The string with every detected secret replaced, or `None` when nothing was found.
    fn scan(&self, s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        loop {
            i = next_trigger(b, i);
            if i >= b.len() {
                break;
            }
            if b[i].is_ascii_digit() && i > 0 && (is_word(b[i - 1]) || b[i - 1] == b'.') {
                // Inside a word or a decimal: no card number starts here.
                i = run(b, i, |c| c.is_ascii_digit());
                continue;
            }
            let (hit, next) = self.at(b, i);
            if let Some(range) = hit {
                hits.push(range);
                i = range.1.max(i + 1);
            } else {
                i = next.max(i + 1);
            }
        }
        if !self.rules.secret_prefixes.is_empty() {
            self.prefixes(s, &mut hits);
        }
        if hits.is_empty() {
            None
        } else {
            Some(splice(s, hits))
        }
    }

    /// Runs the detectors that a trigger byte at `i` can start; returns a hit and where to resume.
    fn at(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        let hit = match b[i] {
            b'B' | b'b' => self
                .bearer(b, i)
                .or_else(|| self.basic(b, i))
                .or_else(|| self.private_key(b, i)),
            b'J' => self.jwt(b, i),
            b'A' => self.aws_or_gcp(b, i),
            b'_' => self.underscore_token(b, i),
            b'x' => self.slack(b, i),
            b'0'..=b'9' => return self.card(b, i),
            b'@' => self.url_credentials(b, i).or_else(|| self.attribute(b, i)),
            _ => self.assignment(b, i),
        };
        (hit, i + 1)
    }

    fn bearer(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::Bearer) || !word_start(b, i) || !starts_with_ci(&b[i..], b"bearer") {
            return None;
        }
        let start = skip_blanks(b, i + 6);
        if start == i + 6 {
            return None;
        }
        let mut end = run(b, start, is_token_byte);
        while end > start && b[end - 1] == b'.' {
            end -= 1;
        }
        let token = &b[start..end];
        let credential =
            token.len() >= 24 || (token.len() >= 8 && token.iter().any(u8::is_ascii_digit));
        credential.then_some((start, end))
    }

    fn basic(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::BasicAuth) || !word_start(b, i) || !starts_with_ci(&b[i..], b"basic")
        {
            return None;
        }
        let start = skip_blanks(b, i + 5);
        if start == i + 5 {
            return None;
        }
        let mut end = run(b, start, |c| {
            c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
        });
        end = run(b, end, |c| c == b'=');
        (end - start >= 4 && decodes_to_user_password(&b[start..end])).then_some((start, end))
    }

    fn private_key(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::PrivateKey)
            || i < 5
            || &b[i - 5..i] != b"-----"
            || !b[i..].starts_with(b"BEGIN ")
        {
            return None;
        }
        let header_window = &b[i..b.len().min(i + 80)];
        let header_end = i + find(header_window, b"PRIVATE KEY-----")? + 16;
        let end = match find(&b[header_end..], b"-----END ") {
            Some(at) => {
                let after = header_end + at + 9;
                match find(&b[after..], b"-----") {
                    Some(close) => after + close + 5,
                    None => b.len(),
                }
            }
            None => b.len(),
        };
        Some((i - 5, end))
    }

    fn jwt(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::Jwt) || i < 2 || &b[i - 2..i] != b"ey" || !word_start(b, i - 2) {
            return None;
        }
        let start = i - 2;
        let header_end = run(b, start, is_base64url);
        if header_end - start < 10 || b.get(header_end) != Some(&b'.') {
            return None;
        }
        let payload_end = run(b, header_end + 1, is_base64url);
        if payload_end - header_end - 1 < 10 || b.get(payload_end) != Some(&b'.') {
            return None;
        }
        Some((start, run(b, payload_end + 1, is_base64url)))
    }

    fn aws_or_gcp(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !word_start(b, i) {
            return None;
        }
        let rest = &b[i..];
        if self.on(Detector::AwsAccessKey)
            && (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
        {
            let end = run(b, i + 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if end - i == 20 && !b.get(end).is_some_and(|c| is_word(*c)) {
                return Some((i, end));
            }
        }
        if self.on(Detector::GcpApiKey) && rest.starts_with(b"AIza") {
            let end = run(b, i + 4, is_base64url);
            if end - i == 39 {
                return Some((i, end));
            }
        }
        None
    }

    /// Tokens whose prefix ends in `_`: GitHub (`ghp_`, `github_pat_`) and Stripe (`sk_live_`).
    fn underscore_token(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        let alnum = |c: u8| c.is_ascii_alphanumeric();
        if self.on(Detector::GithubToken) {
            if i >= 3
                && &b[i - 3..i - 1] == b"gh"
                && b"pousr".contains(&b[i - 1])
                && word_start(b, i - 3)
            {
                let end = run(b, i + 1, alnum);
                if end - i > 30 {
                    return Some((i - 3, end));
                }
            }
            if i >= 6
                && &b[i - 6..i] == b"github"
                && b[i..].starts_with(b"_pat_")
                && word_start(b, i - 6)
            {
                let end = run(b, i + 5, is_word);
                if end - i - 5 >= 22 {
                    return Some((i - 6, end));
                }
            }
        }
        if self.on(Detector::StripeKey)
            && i >= 2
            && (&b[i - 2..i] == b"sk" || &b[i - 2..i] == b"rk")
            && (b[i..].starts_with(b"_live_") || b[i..].starts_with(b"_test_"))
            && word_start(b, i - 2)
        {
            let end = run(b, i + 6, alnum);
            if end - i - 6 >= 10 {
                return Some((i - 2, end));
            }
        }
        None
    }

    fn slack(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        let rest = &b[i..];
        if !self.on(Detector::SlackToken)
            || rest.len() < 5
            || !rest.starts_with(b"xox")
            || !b"abprse".contains(&rest[3])
            || rest[4] != b'-'
            || !word_start(b, i)
        {
            return None;
        }
        let end = run(b, i + 5, |c| c.is_ascii_alphanumeric() || c == b'-');
        (end - i - 5 >= 10).then_some((i, end))
    }

    /// A card number starting at digit `i`; resumes after the digits looked at either way.
    fn card(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        if i > 0 && (is_word(b[i - 1]) || b[i - 1] == b'.') {
            return (None, run(b, i, |c| c.is_ascii_digit()));
        }
        let mut digits = [0u8; 19];
        let mut n = 0;
        let mut j = i;
        let mut end = i;
        while j < b.len() {
            if b[j].is_ascii_digit() {
                if n == digits.len() {
                    return (None, run(b, j, |c| c.is_ascii_digit()));
                }
                digits[n] = b[j] - b'0';
                n += 1;
                j += 1;
                end = j;
            } else if (b[j] == b' ' || b[j] == b'-') && b.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let bounded = match b.get(end) {
            Some(c) if is_word(*c) => false,
            Some(b'.') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
            _ => true,
        };
        let card = self.on(Detector::CardNumber) && bounded && is_card_digits(&digits[..n]);
        (card.then_some((i, end)), end)
    }

    /// `scheme://user:password@host`: the password.
    fn url_credentials(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::UrlCredentials) {
            return None;
        }
        let mut j = i;
        let mut colon = None;
        while j > 0 && b[j - 1] != b'/' {
            let c = b[j - 1];
            if c.is_ascii_whitespace() || b"\"'`<>@".contains(&c) || i - j > 256 {
                return None;
            }
            if c == b':' {
                colon = Some(j - 1);
            }
            j -= 1;
        }
        if j < 3 || &b[j - 3..j] != b"://" {
            return None;
        }
        let colon = colon?;
        (colon + 1 < i).then_some((colon + 1, i))
    }

    /// An Elixir module attribute holding a secret: `@api_key "..."`.
    fn attribute(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment) || !word_start(b, i) {
            return None;
        }
        let name_end = run(b, i + 1, is_word);
        let value = skip_blanks(b, name_end);
        if name_end == i + 1 || value == name_end || !b.get(value).is_some_and(|c| is_quote(*c)) {
            return None;
        }
        match self.classify(&b[i + 1..name_end]) {
            KeyKind::Plain => None,
            kind => quoted_value(b, value, kind),
        }
    }

    /// `key = value`, `key: value`, `key := value`, `key => value`, `key == value` and the tuple
    /// `{"key", "value"}`, with `b[i]` the `=`, `:` or `,`.
    fn assignment(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment) {
            return None;
        }
        let op = b[i];
        let prev = if i > 0 { b[i - 1] } else { 0 };
        let next = b.get(i + 1).copied().unwrap_or(0);
        let mut v = i + 1;
        match op {
            b':' => {
                if prev == b':' || next == b':' {
                    return None;
                }
                if next == b'=' {
                    v += 1;
                }
            }
            b'=' => {
                if b"=!<>:+-*/%&|^~".contains(&prev) {
                    return None;
                }
                if next == b'=' || next == b'>' {
                    v += 1;
                    if b.get(v) == Some(&b'=') {
                        v += 1;
                    }
                }
            }
            _ => {
                // A comma only pairs a quoted key with a quoted value inside `{` or `(`.
                if !is_quote(prev_non_blank(b, i)) {
                    return None;
                }
            }
        }
        let key = key_before(b, i)?;
        // The shortest secret key names (`pwd`, `otp`) have three letters.
        if key.name.len() < 3 {
            return None;
        }
        if op == b',' && !(key.quoted && matches!(prev_non_blank(b, key.start), b'{' | b'(')) {
            return None;
        }
        let kind = self.classify(key.name);
        if kind == KeyKind::Plain {
            return None;
        }
        let mut v = skip_blanks(b, v);
        // Python string prefixes: f"...", b'...'.
        if b.get(v).is_some_and(|c| b"fbru".contains(c))
            && b.get(v + 1).is_some_and(|c| is_quote(*c))
        {
            v += 1;
        }
        if b.get(v).is_some_and(|c| is_quote(*c)) {
            return quoted_value(b, v, kind);
        }
        if op == b',' {
            return None;
        }
        let query = op == b'=' && key.start > 0 && matches!(b[key.start - 1], b'?' | b'&');
        let env = op == b'='
            && !key.quoted
            && key.end == i
            && v == i + 1
            && key.name.iter().any(u8::is_ascii_uppercase)
            && !key.name.iter().any(u8::is_ascii_lowercase);
        unquoted_value(b, v, kind, query || env)
    }

    fn prefixes(&self, s: &str, hits: &mut Vec<(usize, usize)>) {
        let b = s.as_bytes();
        for prefix in &self.rules.secret_prefixes {
            if prefix.is_empty() {
                continue;
            }
            let mut from = 0;
            while let Some(at) = s[from..].find(prefix.as_str()) {
                let start = from + at;
                let tail = start + prefix.len();
                let end = run(b, tail, |c| is_word(c) || c == b'-');
                if end > tail && word_start(b, start) {
                    hits.push((start, end));
                }
                from = end;
            }
        }
    }
}

/// Bytes at which some detector may start or be anchored.
static TRIGGER: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = b"BbJA_x@=:,0123456789";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

/// The index of the first byte at or after `i` that some detector looks at, or `b.len()`. Eight bytes
/// are tested per branch: most text has no trigger for dozens of bytes.
#[inline]
fn next_trigger(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        if chunk
            .iter()
            .fold(false, |hit, c| hit | TRIGGER[*c as usize])
        {
            break;
        }
        i += 8;
    }
    while i < b.len() && !TRIGGER[b[i] as usize] {
        i += 1;
    }
    i
}

/// Secret words matched as substrings of normalised keys (lowercase, no separators).
pub const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "privatekey",
    "secret",
    "sessionkey",
    "signingkey",
    "token",
    "apikey",
    "accesskey",
    "authorization",
    "cookie",
    "credential",
    "jwt",
    "encryptionkey",
    "masterkey",
];

/// Secret only as the whole key: as substrings these would hit `session_mode`, `author`, `compass`,
/// `footprint`. `session_id` is an identifier the event model itself stores in the clear.
pub const EXACT_SECRET_KEYS: &[&str] = &["session", "pass", "pwd", "auth", "otp", "cvv", "cvc"];

/// What may follow a secret word in a key that describes a secret without holding it: counts and limits,
/// times, ids and names, settings, and words that merely start alike (`tokenizer`, `secretary`,
/// `passwordless`). Each is matched as a prefix of the rest of the normalised key, so `change` also covers
/// `changed_at`. A key holding a secret further on (`password_reset_token`) is still secret.
pub const HARMLESS_SUFFIXES: &[&str] = &[
    "count",
    "used",
    "usage",
    "limit",
    "max",
    "min",
    "len",
    "size",
    "type",
    "kind",
    "id",
    "name",
    "label",
    "at",
    "time",
    "date",
    "expir",
    "ttl",
    "age",
    "change",
    "update",
    "create",
    "rotat",
    "reset",
    "polic",
    "rule",
    "strength",
    "require",
    "enable",
    "disable",
    "status",
    "valid",
    "url",
    "uri",
    "endpoint",
    "path",
    "domain",
    "field",
    "version",
    "prefix",
    "last",
    "manager",
    "store",
    "provider",
    "scope",
    "alg",
    "detail",
    "per",
    "cache",
    "total",
    "remaining",
    "rate",
    "budget",
    "cost",
    "price",
    "window",
    "consent",
    "accept",
    "banner",
    "setting",
    "iz",
    "ary",
    "less",
];

/// The first three letters of every [`SECRET_WORDS`] and [`EXACT_SECRET_KEYS`] entry, as a bit set over
/// [`trigram`]s: most keys contain none of them and are judged plain after one table look-up per byte.
static WORD_STARTS: [u64; 512] = {
    let mut set = [0u64; 512];
    let mut w = 0;
    while w < SECRET_WORDS.len() + EXACT_SECRET_KEYS.len() {
        let word = if w < SECRET_WORDS.len() {
            SECRET_WORDS[w].as_bytes()
        } else {
            EXACT_SECRET_KEYS[w - SECRET_WORDS.len()].as_bytes()
        };
        let t = trigram(word[0], word[1], word[2]);
        set[t >> 6] |= 1 << (t & 63);
        w += 1;
    }
    set
};

/// Three bytes folded to their low five bits, which ignores ASCII case (`A` and `a` agree). Other bytes
/// may collide with letters; that only costs a closer look.
const fn trigram(a: u8, b: u8, c: u8) -> usize {
    ((a as usize & 31) << 10) | ((b as usize & 31) << 5) | (c as usize & 31)
}

/// Judges a key by the built-in names, ignoring ASCII case and separators inside the words (the first
/// three letters of a word must be adjacent: `api_key`, `Api-Key`, `pass_word` match, `a_p_i_key` does not).
fn builtin_kind(key: &[u8]) -> KeyKind {
    let mut kind = KeyKind::Plain;
    let mut candidate = false;
    for (i, w) in key.windows(3).enumerate() {
        let t = trigram(w[0], w[1], w[2]);
        if WORD_STARTS[t >> 6] & (1 << (t & 63)) == 0 {
            continue;
        }
        candidate = true;
        let first = w[0].to_ascii_lowercase();
        for word in SECRET_WORDS
            .iter()
            .filter(|word| word.as_bytes()[0] == first)
        {
            if let Some(end) = match_word(key, i, word.as_bytes()) {
                match rest_kind(&key[end..]) {
                    KeyKind::Secret => return KeyKind::Secret,
                    KeyKind::SecretUnlessNumber => kind = KeyKind::SecretUnlessNumber,
                    KeyKind::Plain => {}
                }
            }
        }
    }
    if candidate
        && kind == KeyKind::Plain
        && key.len() <= 12
        && EXACT_SECRET_KEYS.iter().any(|w| eq_normalized(key, w))
    {
        return KeyKind::Secret;
    }
    kind
}

/// Matches a lowercase `word` at `key[i..]`, ignoring case and separators in the key; returns its end.
fn match_word(key: &[u8], mut i: usize, word: &[u8]) -> Option<usize> {
    for &w in word {
        while i < key.len() && is_separator(key[i]) {
            i += 1;
        }
        if key.get(i)?.to_ascii_lowercase() != w {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// Judges what follows a secret word in a key (see [`HARMLESS_SUFFIXES`]).
fn rest_kind(rest: &[u8]) -> KeyKind {
    let mut buf = [0u8; 24];
    let mut n = 0;
    for &c in rest.iter().filter(|c| !is_separator(**c)).take(buf.len()) {
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    let rest = &buf[..n];
    let harmless = |r: &[u8]| {
        HARMLESS_SUFFIXES
            .iter()
            .any(|w| r.starts_with(w.as_bytes()))
    };
    match rest {
        [] => KeyKind::Secret,
        _ if harmless(rest) => KeyKind::Plain,
        [b's'] => KeyKind::SecretUnlessNumber,
        [b's', plural_rest @ ..] if harmless(plural_rest) => KeyKind::Plain,
        _ => KeyKind::Secret,
    }
}

fn eq_normalized(key: &[u8], word: &str) -> bool {
    let mut key = key
        .iter()
        .filter(|c| !is_separator(**c))
        .map(u8::to_ascii_lowercase);
    word.bytes().all(|w| key.next() == Some(w)) && key.next().is_none()
}

fn is_separator(c: u8) -> bool {
    matches!(c, b'_' | b'-' | b'.' | b' ')
}

/// Calls `f` with `bytes` lowercased and without separators, on the stack when it fits.
fn with_normalized<R>(bytes: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 64];
    if bytes.len() > buf.len() {
        let heap: Vec<u8> = bytes
            .iter()
            .filter(|c| !is_separator(**c))
            .map(u8::to_ascii_lowercase)
            .collect();
        return f(&heap);
    }
    let mut n = 0;
    for &c in bytes {
        buf[n] = c.to_ascii_lowercase();
        n += usize::from(!is_separator(c));
    }
    f(&buf[..n])
}

/// A tenant key pattern (`name`, `*name`, `name*`, `*name*`) against a normalised key.
fn pattern_matches(key: &[u8], pattern: &str) -> bool {
    let any_start = pattern.starts_with('*');
    let any_end = pattern.len() > 1 && pattern.ends_with('*');
    let core = pattern.trim_start_matches('*').trim_end_matches('*');
    with_normalized(core.as_bytes(), |p| {
        if p.is_empty() {
            return false;
        }
        match (any_start, any_end) {
            (false, false) => key == p,
            (true, false) => key.ends_with(p),
            (false, true) => key.starts_with(p),
            (true, true) => key.windows(p.len()).any(|w| w == p),
        }
    })
}

/// The key just before the operator at `i`: `key`, `"key"`, `'key'` or `["key"]`.
struct KeyBefore<'b> {
    name: &'b [u8],
    /// Where the key starts, its opening quote included.
    start: usize,
    /// Where the key ends, its closing quote and bracket included.
    end: usize,
    quoted: bool,
}

fn key_before(b: &[u8], i: usize) -> Option<KeyBefore<'_>> {
    let mut end = i;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    let key_end = end;
    let mut j = end;
    if j > 0 && b[j - 1] == b']' {
        j -= 1;
    }
    if j > 0 && is_quote(b[j - 1]) {
        let quote = b[j - 1];
        let close = j - 1;
        let mut k = close;
        while k > 0 && b[k - 1] != quote {
            if b[k - 1] == b'\n' || close - k >= 80 {
                return None;
            }
            k -= 1;
        }
        if k == 0 || k == close {
            return None;
        }
        return Some(KeyBefore {
            name: &b[k..close],
            start: k - 1,
            end: key_end,
            quoted: true,
        });
    }
    let mut k = j;
    while k > 0 && (is_word(b[k - 1]) || b[k - 1] == b'-' || b[k - 1] == b'.') && j - k < 80 {
        k -= 1;
    }
    // Names do not start with a digit; this also passes over times (`10:00`) quickly.
    (k < j && !b[k].is_ascii_digit()).then_some(KeyBefore {
        name: &b[k..j],
        start: k,
        end: key_end,
        quoted: false,
    })
}

/// The contents of the string literal opening at `b[v]` (single, double or back quotes, or tripled),
/// minus a leading auth scheme (`"Bearer " <> token` stays readable). An unterminated literal runs to the
/// end of the line.
fn quoted_value(b: &[u8], v: usize, kind: KeyKind) -> Option<(usize, usize)> {
    let quote = b[v];
    let triple = [quote; 3];
    let (mut start, end) = if b[v..].starts_with(&triple) {
        let start = v + 3;
        (
            start,
            find(&b[start..], &triple).map_or(b.len(), |at| start + at),
        )
    } else {
        let mut j = v + 1;
        while j < b.len() && b[j] != quote && b[j] != b'\n' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        (v + 1, j.min(b.len()))
    };
    for scheme in [&b"bearer "[..], b"basic ", b"token ", b"digest "] {
        if starts_with_ci(&b[start..end], scheme) {
            start = skip_blanks(b, start + scheme.len()).min(end);
            break;
        }
    }
    let value = &b[start..end];
    if value.is_empty()
        || value == REDACTED.as_bytes()
        || (kind == KeyKind::SecretUnlessNumber && value.iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    Some((start, end))
}

/// An unquoted value at `b[v]`, up to a blank or a closing delimiter. Calls, indexing and references to
/// other names are code, not secrets, unless `always` (environment lines, query strings).
fn unquoted_value(b: &[u8], v: usize, kind: KeyKind, always: bool) -> Option<(usize, usize)> {
    let mut end = v;
    while end < b.len() {
        match b[end] {
            c if c.is_ascii_whitespace() => break,
            b',' | b';' | b')' | b'}' | b']' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'&' | b'|' => {
                break
            }
            b'(' | b'[' | b'{' => return None,
            _ => end += 1,
        }
    }
    while end > v && b[end - 1] == b'.' {
        end -= 1;
    }
    let value = &b[v..end];
    let reference = || {
        let name = value
            .strip_prefix(b"@")
            .or(value.strip_prefix(b":"))
            .unwrap_or(value);
        let name = name
            .strip_suffix(b"!")
            .or(name.strip_suffix(b"?"))
            .unwrap_or(name);
        name.split(|c| *c == b'.')
            .all(|seg| !seg.is_empty() && seg.iter().all(|c| c.is_ascii_alphabetic() || *c == b'_'))
    };
    if value.is_empty()
        || value[0] == b'$'
        || (kind == KeyKind::SecretUnlessNumber && value.iter().all(u8::is_ascii_digit))
        || (!always && reference())
    {
        return None;
    }
    Some((v, end))
}

/// Replaces the (possibly overlapping) byte ranges of `s` by [`REDACTED`], merging touching ones.
fn splice(s: &str, mut hits: Vec<(usize, usize)>) -> String {
    hits.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    let mut current: Option<(usize, usize)> = None;
    let mut emit = |out: &mut String, (start, end): (usize, usize)| {
        out.push_str(&s[done..start]);
        out.push_str(REDACTED);
        done = end;
    };
    for (start, end) in hits {
        current = match current {
            Some((a, z)) if start <= z => Some((a, z.max(end))),
            Some(range) => {
                emit(&mut out, range);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some(range) = current {
        emit(&mut out, range);
    }
    out.push_str(&s[done..]);
    out
}

fn is_card_digits(digits: &[u8]) -> bool {
    if !(13..=19).contains(&digits.len()) || !(2..=6).contains(&digits[0]) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        } else {
            d
        };
    }
    // Not `is_multiple_of`: the workspace supports Rust 1.85.
    let check_digit_error = sum % 10;
    check_digit_error == 0
}

fn is_card_number(n: &Number) -> bool {
    let Some(mut n) = n.as_u64() else {
        return false;
    };
    let mut digits = [0u8; 20];
    let mut len = 0;
    while n > 0 {
        digits[len] = (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    digits[..len].reverse();
    is_card_digits(&digits[..len])
}

/// True when `text` is base64 of printable `user:password`.
fn decodes_to_user_password(text: &[u8]) -> bool {
    let mut acc = 0u32;
    let mut bits = 0;
    let mut colon = false;
    for &c in text.iter().take_while(|c| **c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            acc &= (1 << bits) - 1;
            if !(0x20..0x7f).contains(&byte) {
                return false;
            }
            colon |= byte == b':';
        }
    }
    colon
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The end of the run of bytes from `i` that satisfy `f`.
fn run(b: &[u8], mut i: usize, f: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && f(b[i]) {
        i += 1;
    }
    i
}

fn skip_blanks(b: &[u8], i: usize) -> usize {
    run(b, i, |c| c == b' ' || c == b'\t')
}

fn prev_non_blank(b: &[u8], i: usize) -> u8 {
    let mut j = i;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j > 0 {
        b[j - 1]
    } else {
        0
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

fn is_quote(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'`')
}

fn is_base64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(fields: Value) -> Event {
        let mut base = json!({
            "id": "0190b7a4-0000-7000-8000-000000000001",
            "tenant": "acme",
            "occurred_at": "2024-05-01T10:00:00.000Z",
            "received_at": "2024-05-01T10:00:00.000Z",
            "action": "code.evaluate",
            "category": "execute",
            "outcome": "success",
            "severity": "info",
            "actor": {"type": "user", "id": "u1"},
            "source": {"format": "native"}
        });
        for (key, value) in fields.as_object().unwrap() {
            base[key] = value.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    /// Redacts `payload` with `rules`; returns the new payload and the pointers.
    fn payload_with(payload: Value, rules: &RedactionRules) -> (Value, Vec<String>) {
        let mut e = event(json!({ "payload": payload }));
        redact(&mut e, rules);
        (e.payload.unwrap(), e.redacted)
    }

    fn payload(payload: Value) -> (Value, Vec<String>) {
        payload_with(payload, &RedactionRules::default())
    }

    /// Redacts one string (as `description`) with `rules`.
    fn text_with(text: &str, rules: &RedactionRules) -> String {
        let mut e = event(json!({ "description": text }));
        redact(&mut e, rules);
        let expected: Vec<String> = if e.description.as_deref() == Some(text) {
            vec![]
        } else {
            vec!["/description".into()]
        };
        assert_eq!(e.redacted, expected);
        e.description.unwrap()
    }

    fn text(text: &str) -> String {
        text_with(text, &RedactionRules::default())
    }

    fn kept(input: &str) {
        assert_eq!(text(input), input);
    }

    fn rules(json: Value) -> RedactionRules {
        serde_json::from_value(json).unwrap()
    }

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
                let expected = if EXACT_SECRET_KEYS.contains(word) && key == prefixed {
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
    fn aws_secret_keys_in_assignments() {
        assert_eq!(
            text("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion=eu"),
            "aws_secret_access_key=[REDACTED]\nregion=eu"
        );
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
    fn card_numbers_as_json_numbers() {
        let (out, pointers) = payload(
            json!({"n": 4111111111111111u64, "m": 4111111111111112u64, "t": 1714557600000u64}),
        );
        assert_eq!(
            out,
            json!({"n": REDACTED, "m": 4111111111111112u64, "t": 1714557600000u64})
        );
        assert_eq!(pointers, ["/payload/n"]);
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

    #[test]
    fn secret_assignments_in_code_keep_the_code() {
        assert_eq!(text("password = \"hunter2\""), "password = \"[REDACTED]\"");
        assert_eq!(text("api_key: 'abc'"), "api_key: '[REDACTED]'");
        assert_eq!(text("TOKEN=abc123"), "TOKEN=[REDACTED]");
        assert_eq!(
            text("export API_KEY=plainletters"),
            "export API_KEY=[REDACTED]"
        );
        assert_eq!(
            text("headers[\"Authorization\"] = \"Bearer abc\""),
            "headers[\"Authorization\"] = \"Bearer [REDACTED]\""
        );
        assert_eq!(
            text("%{\"password\" => \"pw\", :secret => \"s\"}"),
            "%{\"password\" => \"[REDACTED]\", :secret => \"[REDACTED]\"}"
        );
        assert_eq!(text("@api_key \"abc\""), "@api_key \"[REDACTED]\"");
        assert_eq!(
            text("GET /cb?access_token=abcdef&state=1"),
            "GET /cb?access_token=[REDACTED]&state=1"
        );
        assert_eq!(
            text("{\"user\":\"bob\",\"password\":\"p w\"}"),
            "{\"user\":\"bob\",\"password\":\"[REDACTED]\"}"
        );
        assert_eq!(
            text("secret = \"\"\"\nline1\nline2\n\"\"\""),
            "secret = \"\"\"[REDACTED]\"\"\""
        );
        assert_eq!(text("Invalid token: abc123"), "Invalid token: [REDACTED]");
    }

    #[test]
    fn references_calls_and_counts_in_code_are_not_secrets() {
        kept("password = get_password()");
        kept("conn = connect(password: password, token: opts.token)");
        kept("password: nil");
        kept("token = System.get_env(\"TOKEN\")");
        kept("TOKEN=$TOKEN");
        kept("token_count = 5");
        kept("max_tokens=100");
        kept("if password == nil do");
        kept("Reset password: sent to bob");
        kept("{\"field\": \"password\", \"x\": \"y\"}");
        kept("headers = [{\"authorization\", \"Bearer \" <> token}]");
        kept("x != y; a <= b; t = 10:00:00");
    }

    #[test]
    fn livebook_code_with_several_secrets_on_several_lines() {
        let code = "Mix.install([{:req, \"~> 0.5\"}])\n\
                    api_key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"\n\
                    headers = [{\"authorization\", \"Bearer \" <> token}]\n\
                    db = \"postgres://admin:s3cret@db:5432/app\"\n\
                    System.put_env(\"AWS_SECRET_ACCESS_KEY\", \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\")\n\
                    IO.puts(\"done\")";
        let (out, pointers) = payload(json!({"code": code, "session_mode": "attached"}));
        assert_eq!(
            out,
            json!({
                "code": "Mix.install([{:req, \"~> 0.5\"}])\n\
                         api_key = \"[REDACTED]\"\n\
                         headers = [{\"authorization\", \"Bearer \" <> token}]\n\
                         db = \"postgres://admin:[REDACTED]@db:5432/app\"\n\
                         System.put_env(\"AWS_SECRET_ACCESS_KEY\", \"[REDACTED]\")\n\
                         IO.puts(\"done\")",
                "session_mode": "attached"
            })
        );
        assert_eq!(pointers, ["/payload/code"]);
    }

    #[test]
    fn python_code_with_several_secrets() {
        assert_eq!(
            text(
                "conn = psycopg2.connect(host=\"db\", user=\"bob\", password=\"hunter2\")\n\
                 headers[\"Authorization\"] = \"Bearer abc123def456\"\n\
                 TOKEN=abc123\n\
                 client = Client(api_key=os.environ[\"API_KEY\"], timeout=30)\n\
                 secret = 'xyz'"
            ),
            "conn = psycopg2.connect(host=\"db\", user=\"bob\", password=\"[REDACTED]\")\n\
             headers[\"Authorization\"] = \"Bearer [REDACTED]\"\n\
             TOKEN=[REDACTED]\n\
             client = Client(api_key=os.environ[\"API_KEY\"], timeout=30)\n\
             secret = '[REDACTED]'"
        );
    }

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

    #[test]
    fn tenant_prefixes_redact_the_whole_token() {
        let tenant = rules(json!({"secret_prefixes": ["acme_live_"]}));
        assert_eq!(
            text_with("key acme_live_abc-123 used, acme_live_x too", &tenant),
            "key [REDACTED] used, [REDACTED] too"
        );
        assert_eq!(text_with("xacme_live_abc", &tenant), "xacme_live_abc");
        assert_eq!(text_with("acme_live_ keys", &tenant), "acme_live_ keys");
        assert_eq!(text("acme_live_abc"), "acme_live_abc");
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
}
