//! Turns one sender-supplied JSON value into a canonical [`Event`], or into every problem it has.
//!
//! Validation walks the JSON by hand instead of deriving `Deserialize` because a sender deserves all of
//! its mistakes at once, each with the JSON pointer of the value at fault, and serde stops at the first.
//! Fields the server owns (`id`, `tenant`, `seq`, hashes, ...) are refused rather than silently dropped.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

use serde_json::Value;

use crate::api::FieldError;
use crate::category::derive_category;
use crate::event::{
    Actor, ActorType, Category, Changes, Context, ErrorInfo, Event, Outcome, Scope, Severity,
    Source, Target, FLAG_FUTURE, FLAG_LONG_AGO, FUTURE_TOLERANCE_MS, LONG_AGO_MS,
};
use crate::json::{Json, Object};
use crate::timestamp::{check_range, format_rfc3339, parse_rfc3339, Millis};

/// Most metadata keys per event.
pub const MAX_METADATA_KEYS: usize = 50;
/// Longest metadata key.
pub const MAX_METADATA_KEY_CHARS: usize = 40;
/// Longest metadata string value.
pub const MAX_METADATA_VALUE_CHARS: usize = 500;
/// Longest identifier or name.
pub const MAX_TEXT_CHARS: usize = 512;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most targets or participants per event.
pub const MAX_LIST_ITEMS: usize = 100;

const SERVER_FIELDS: &[&str] = &[
    "id",
    "tenant",
    "seq",
    "received_at",
    "skew_ms",
    "flags",
    "redacted",
    "prev_hash",
    "hash",
];

/// What the server knows about an event that the sender does not say.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// The tenant of the sending credential.
    pub tenant: &'a str,
    /// The id to assign.
    pub id: String,
    /// Server time of receipt.
    pub received_at: Millis,
    /// The adapter that read the event (`native` for the event endpoint).
    pub format: &'a str,
}

/// The longest `context.user_agent`, in characters (real ones are a few hundred).
pub const MAX_USER_AGENT_CHARS: usize = 1024;

/// The deepest an event may nest arrays and objects, itself included: what is stored must be
/// readable, with room for the two levels an API answer wraps it in, by JSON readers that stop at
/// 128 levels (serde_json's, the dashboard's).
pub const MAX_NESTING: usize = 120;

/// The largest whole number JavaScript holds exactly (2^53 - 1): integers stored in columns come back
/// through D1 as JavaScript numbers, and a larger one would come back rounded, unlike its sealed
/// value, so that verify would report a change no one made.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Validates and normalises one event.
pub fn validate_event(input: &Value, stamp: Stamp<'_>) -> Result<Event, Vec<FieldError>> {
    validate_owned(input.clone(), stamp)
}

/// [`validate_event`] for a value the caller no longer needs: every string and value the event keeps
/// moves into it instead of being copied.
pub fn validate_owned(input: Value, stamp: Stamp<'_>) -> Result<Event, Vec<FieldError>> {
    validate_json(Json::from(input), stamp)
}

/// [`validate_event`] for an event read from a request body ([`crate::body::split_events`]): only the
/// strings the event keeps are copied out of the body.
pub fn validate_json(input: Json<'_>, stamp: Stamp<'_>) -> Result<Event, Vec<FieldError>> {
    let mut v = Validator::default();
    if !matches!(input, Json::Object(_)) {
        return Err(vec![FieldError::new("", "an event must be a JSON object")]);
    }
    // An adapter may unpack JSON held in a string (Langfuse's before and after), so an event can
    // nest deeper than a body the reader takes; and readers of the stored event, and of the answers
    // that wrap it (`{"events": [...]}`), stop at 128 levels.
    let nesting = input.nesting();
    if nesting > MAX_NESTING {
        return Err(vec![FieldError::new(
            "",
            format!(
                "the event nests {nesting} levels of arrays and objects; at most {MAX_NESTING} \
                 can be stored and read back"
            ),
        )]);
    }
    let Json::Object(members) = input else {
        return Err(vec![FieldError::new("", "an event must be a JSON object")]);
    };
    // One pass over the members (in key order, so the errors are too) sorts them into their fields.
    let mut sent = Sent::default();
    for (key, value) in members {
        if let Some(field) = sent.field(&key) {
            *field = Some(value);
        } else if SERVER_FIELDS.contains(&&*key) {
            v.err(&ROOT.key(&key), "is set by the server; leave it out");
        } else {
            v.err(
                &ROOT.key(&key),
                format!("unknown field; expected one of {}", KNOWN_FIELDS.join(", ")),
            );
        }
    }

    let action = v.action(sent.action.as_ref());
    let payload = sent.payload.take();
    let changes = sent.changes.take();
    let sent_occurred_at = match sent.occurred_at.as_ref() {
        None | Some(Json::Null) => None,
        Some(value) => v.timestamp(&Path::Fixed("/occurred_at"), value),
    };
    let occurred_at = sent_occurred_at.unwrap_or(stamp.received_at);
    let skew_ms = sent_occurred_at.map(|at| stamp.received_at - at);
    let flags = match skew_ms {
        Some(skew) if skew < -FUTURE_TOLERANCE_MS => vec![FLAG_FUTURE.to_string()],
        Some(skew) if skew > LONG_AGO_MS => vec![FLAG_LONG_AGO.to_string()],
        _ => Vec::new(),
    };
    let category = v.parse_enum(
        &Path::Fixed("/category"),
        sent.category.as_ref(),
        Category::parse,
        Category::expected,
    );
    let outcome = v.parse_enum(
        &Path::Fixed("/outcome"),
        sent.outcome.as_ref(),
        Outcome::parse,
        Outcome::expected,
    );
    let severity = v.parse_enum(
        &Path::Fixed("/severity"),
        sent.severity.as_ref(),
        Severity::parse,
        Severity::expected,
    );
    let error = v.error_info(sent.error.take());
    let description = v.opt_text(
        &Path::Fixed("/description"),
        sent.description.take(),
        MAX_DESCRIPTION_CHARS,
    );
    let duration_ms = v.opt_u64(&Path::Fixed("/duration_ms"), sent.duration_ms.as_ref());
    let actor = match sent.actor.take() {
        None | Some(Json::Null) => {
            v.err(
                &Path::Fixed("/actor"),
                "is required: who did it, e.g. {\"type\": \"user\", \"id\": \"u_123\"}",
            );
            None
        }
        Some(value) => v.actor(&Path::Fixed("/actor"), value),
    };
    let participants = v.list(
        &Path::Fixed("/participants"),
        sent.participants.take(),
        |v, p, x| v.actor(p, x),
    );
    let targets = v.list(&Path::Fixed("/targets"), sent.targets.take(), |v, p, x| {
        v.target(p, x)
    });
    let scope = v.scope(sent.scope.take());
    let context = v.context(sent.context.take());
    let changes = v.changes(changes);
    let payload = match payload {
        None | Some(Json::Null) => None,
        Some(value @ Json::Object(_)) => Some(value.into_value()),
        Some(_) => v.bad(&Path::Fixed("/payload"), "must be a JSON object"),
    };
    let metadata = v.metadata(sent.metadata.take());
    let source_name = v.source(sent.source.take());
    let idempotency_key = v.opt_text(
        &Path::Fixed("/idempotency_key"),
        sent.idempotency_key.take(),
        255,
    );

    if !v.errors.is_empty() {
        return Err(v.errors);
    }
    let (Some(action), Some(actor)) = (action, actor) else {
        unreachable!("a missing action or actor always records an error")
    };
    let (source_name, source_version) = source_name.unwrap_or_default();
    Ok(Event {
        id: stamp.id,
        tenant: stamp.tenant.to_string(),
        seq: None,
        occurred_at: format_rfc3339(occurred_at),
        received_at: format_rfc3339(stamp.received_at),
        skew_ms,
        flags,
        category: category.unwrap_or_else(|| derive_category(&action)),
        action,
        outcome: outcome.unwrap_or(Outcome::Unknown),
        error,
        severity: severity.unwrap_or(Severity::Info),
        description,
        duration_ms,
        actor,
        participants,
        targets,
        scope,
        context,
        changes,
        payload,
        metadata,
        source: Source {
            format: stamp.format.to_string(),
            name: source_name,
            version: source_version,
        },
        idempotency_key,
        redacted: Vec::new(),
        prev_hash: None,
        hash: None,
    })
}

/// The members an event may have, each taken from the object once.
#[derive(Default)]
struct Sent<'a> {
    action: Option<Json<'a>>,
    occurred_at: Option<Json<'a>>,
    category: Option<Json<'a>>,
    outcome: Option<Json<'a>>,
    error: Option<Json<'a>>,
    severity: Option<Json<'a>>,
    description: Option<Json<'a>>,
    duration_ms: Option<Json<'a>>,
    actor: Option<Json<'a>>,
    participants: Option<Json<'a>>,
    targets: Option<Json<'a>>,
    scope: Option<Json<'a>>,
    context: Option<Json<'a>>,
    changes: Option<Json<'a>>,
    payload: Option<Json<'a>>,
    metadata: Option<Json<'a>>,
    source: Option<Json<'a>>,
    idempotency_key: Option<Json<'a>>,
}

impl<'a> Sent<'a> {
    /// The field of member `key`, one of [`KNOWN_FIELDS`].
    fn field(&mut self, key: &str) -> Option<&mut Option<Json<'a>>> {
        Some(match key {
            "action" => &mut self.action,
            "occurred_at" => &mut self.occurred_at,
            "category" => &mut self.category,
            "outcome" => &mut self.outcome,
            "error" => &mut self.error,
            "severity" => &mut self.severity,
            "description" => &mut self.description,
            "duration_ms" => &mut self.duration_ms,
            "actor" => &mut self.actor,
            "participants" => &mut self.participants,
            "targets" => &mut self.targets,
            "scope" => &mut self.scope,
            "context" => &mut self.context,
            "changes" => &mut self.changes,
            "payload" => &mut self.payload,
            "metadata" => &mut self.metadata,
            "source" => &mut self.source,
            "idempotency_key" => &mut self.idempotency_key,
            _ => return None,
        })
    }
}

const KNOWN_FIELDS: &[&str] = &[
    "action",
    "occurred_at",
    "category",
    "outcome",
    "error",
    "severity",
    "description",
    "duration_ms",
    "actor",
    "participants",
    "targets",
    "scope",
    "context",
    "changes",
    "payload",
    "metadata",
    "source",
    "idempotency_key",
];

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    let mut escaped = String::with_capacity(segment.len());
    push_escaped(&mut escaped, segment);
    escaped
}

/// How many bytes of pointers `changed_fields` may list. Every difference inside an array that was
/// emptied or filled is a pointer of its own, each with the full path of long keys above it, so the
/// list could grow to hundreds of megabytes from an event of 64 KiB; past this it is listed coarser.
pub const MAX_CHANGED_FIELDS_BYTES: usize = 16 * 1024;

/// Every JSON pointer at which `before` and `after` differ, descending into objects and arrays.
/// A value present on one side only counts as changed; the pointer of a whole added or removed
/// subtree is listed once, not each leaf under it.
///
/// When the pointers would take more than [`MAX_CHANGED_FIELDS_BYTES`], the list stops one level
/// down (the top-level members or items that changed) and, if those are still too many, is the
/// root pointer `""` alone: coarser, never wrong, and never larger than the limit.
pub fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    for depth in [usize::MAX, 1] {
        let mut out = Vec::new();
        let mut budget = MAX_CHANGED_FIELDS_BYTES;
        if diff_into(
            before,
            after,
            depth,
            &mut String::new(),
            &mut budget,
            &mut out,
        )
        .is_some()
        {
            return out;
        }
    }
    vec![String::new()]
}

/// Lists into `out` the pointers below `path` where `before` and `after` differ, descending at most
/// `depth` levels; `None` once the pointers listed would take more than `budget` bytes.
fn diff_into(
    before: &Value,
    after: &Value,
    depth: usize,
    path: &mut String,
    budget: &mut usize,
    out: &mut Vec<String>,
) -> Option<()> {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) if depth > 0 => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let len = path.len();
                path.push('/');
                push_escaped(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_into(x, y, depth - 1, path, budget, out)?,
                    _ => list_changed(path, budget, out)?,
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if depth > 0 => {
            for i in 0..a.len().max(b.len()) {
                let len = path.len();
                write!(path, "/{i}").expect("writing to a String cannot fail");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => diff_into(x, y, depth - 1, path, budget, out)?,
                    _ => list_changed(path, budget, out)?,
                }
                path.truncate(len);
            }
        }
        // Stored canonically, `1` and `1.0` are the same number.
        (Value::Number(x), Value::Number(y)) if crate::canonical::same_number(x, y) => {}
        (x, y) if x != y => list_changed(path, budget, out)?,
        _ => {}
    }
    Some(())
}

/// Lists `path` as changed, if it fits in `budget` (the root pointer `""` counts as one byte).
fn list_changed(path: &str, budget: &mut usize, out: &mut Vec<String>) -> Option<()> {
    *budget = budget.checked_sub(path.len().max(1))?;
    out.push(path.to_owned());
    Some(())
}

/// Appends `segment` to a JSON pointer, escaped (`~` as `~0`, `/` as `~1`), without a string of its own.
fn push_escaped(path: &mut String, segment: &str) {
    if !segment.contains(['~', '/']) {
        path.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// The members `context` may have: the address, the text fields, and the two the server derives
/// (refused with their own message).
const CONTEXT_FIELDS: &[&str] = &[
    "ip",
    "geo",
    "ua",
    "user_agent",
    "session_id",
    "request_id",
    "trace_id",
    "interface",
];

/// The pointer of the whole event.
const ROOT: Path<'static> = Path::Fixed("");

/// A JSON pointer that is formatted only when an error needs it, so a valid event builds none.
#[derive(Debug, Clone, Copy)]
enum Path<'a> {
    /// A pointer spelled out, such as `/actor`.
    Fixed(&'static str),
    /// A member of the object at the parent pointer (escaped when printed).
    Key(&'a Path<'a>, &'a str),
    /// An element of the array at the parent pointer.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Fixed(pointer) => f.write_str(pointer),
            Path::Key(parent, key) => write!(f, "{parent}/{}", escape(key)),
            Path::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

/// Collects errors while reading values; each reader returns `None` after recording a problem.
#[derive(Default)]
struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    fn err(&mut self, path: &Path<'_>, message: impl Into<String>) {
        self.errors.push(FieldError::new(path.to_string(), message));
    }

    fn bad<T>(&mut self, path: &Path<'_>, message: impl Into<String>) -> Option<T> {
        self.err(path, message);
        None
    }

    fn action(&mut self, value: Option<&Json<'_>>) -> Option<String> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return self.bad(
                &Path::Fixed("/action"),
                "is required: `resource.verb`, e.g. `app.delete`",
            );
        };
        let Some(text) = value.as_str() else {
            return self.bad(
                &Path::Fixed("/action"),
                "must be a string like `app.delete`",
            );
        };
        let action = text.trim().to_ascii_lowercase();
        let well_formed = action.len() <= 128
            && action.contains('.')
            && action.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if well_formed {
            Some(action)
        } else {
            self.bad(&Path::Fixed("/action"),
                format!(
                    "`{text}` is not `resource.verb`: dot-separated words of letters, digits, `_` or `-`, at most 128 characters, e.g. `app.delete`"
                ),
            )
        }
    }

    fn timestamp(&mut self, path: &Path<'_>, value: &Json<'_>) -> Option<Millis> {
        let parsed = match value {
            Json::String(text) => parse_rfc3339(text),
            Json::Number(n) => match n.as_i64() {
                Some(ms) => check_range(ms),
                None => Err(format!("{n} is not a whole number of milliseconds")),
            },
            _ => Err("must be an RFC 3339 string or milliseconds since the Unix epoch".into()),
        };
        parsed.map_err(|message| self.err(path, message)).ok()
    }

    fn parse_enum<T>(
        &mut self,
        path: &Path<'_>,
        value: Option<&Json<'_>>,
        parse: fn(&str) -> Option<T>,
        expected: fn() -> String,
    ) -> Option<T> {
        match value {
            None | Some(Json::Null) => None,
            Some(Json::String(text)) => match parse_lowercase(text.trim(), parse) {
                Some(parsed) => Some(parsed),
                None => self.bad(path, format!("`{text}` is not one of {}", expected())),
            },
            Some(_) => self.bad(path, format!("must be a string, one of {}", expected())),
        }
    }

    fn opt_text(
        &mut self,
        path: &Path<'_>,
        value: Option<Json<'_>>,
        max_chars: usize,
    ) -> Option<String> {
        match value {
            None | Some(Json::Null) => None,
            Some(Json::String(text)) => self.text(path, text, max_chars),
            Some(_) => self.bad(path, "must be a string"),
        }
    }

    /// `text` trimmed, or `None` when nothing is left; copied only when borrowed or trimmed.
    fn text(&mut self, path: &Path<'_>, text: Cow<'_, str>, max_chars: usize) -> Option<String> {
        if longer_than(&text, max_chars) {
            let chars = text.chars().count();
            return self.bad(
                path,
                format!("is {chars} characters long; the limit is {max_chars}"),
            );
        }
        let trimmed = text.trim().len();
        if trimmed == 0 {
            None
        } else if trimmed == text.len() {
            Some(text.into_owned())
        } else {
            Some(text.trim().to_string())
        }
    }

    fn required_text(
        &mut self,
        path: &Path<'_>,
        value: Option<Json<'_>>,
        example: &str,
    ) -> Option<String> {
        match value {
            None | Some(Json::Null) => self.bad(path, format!("is required, e.g. {example}")),
            Some(Json::String(text)) if text.trim().is_empty() => {
                self.bad(path, format!("must not be empty, e.g. {example}"))
            }
            Some(Json::String(text)) => self.text(path, text, MAX_TEXT_CHARS),
            // Numeric ids are common in senders' systems; keep their text. Only whole numbers read
            // exactly: a larger one arrives rounded (`1.2345678901234568e29`), and distinct ids
            // would then collapse into one.
            Some(Json::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
            Some(Json::Number(n)) => self.bad(
                path,
                format!(
                    "{n} is not a whole number that fits 64 bits; send an id like this as a string"
                ),
            ),
            Some(_) => self.bad(path, format!("must be a string, e.g. {example}")),
        }
    }

    fn opt_u64(&mut self, path: &Path<'_>, value: Option<&Json<'_>>) -> Option<u64> {
        match value {
            None | Some(Json::Null) => None,
            Some(Json::Number(n)) if n.as_u64().is_some_and(|ms| ms <= MAX_SAFE_INTEGER) => {
                n.as_u64()
            }
            Some(_) => self.bad(
                path,
                format!("must be a whole number of milliseconds, from 0 to {MAX_SAFE_INTEGER}"),
            ),
        }
    }

    fn object<'a>(&mut self, path: &Path<'_>, value: Option<Json<'a>>) -> Option<Object<'a>> {
        match value {
            None | Some(Json::Null) => None,
            Some(Json::Object(map)) => Some(map),
            Some(_) => self.bad(path, "must be a JSON object"),
        }
    }

    fn unknown_keys(&mut self, path: &Path<'_>, map: &Object<'_>, known: &[&str]) {
        for key in map.keys().filter(|k| !known.contains(k)) {
            self.err(
                &path.key(key),
                format!("unknown field; expected one of {}", known.join(", ")),
            );
        }
    }

    fn list<'a, T>(
        &mut self,
        path: &Path<'_>,
        value: Option<Json<'a>>,
        mut item: impl FnMut(&mut Self, &Path<'_>, Json<'a>) -> Option<T>,
    ) -> Vec<T> {
        match value {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) if items.len() > MAX_LIST_ITEMS => {
                self.err(
                    path,
                    format!("has {} items; the limit is {MAX_LIST_ITEMS}", items.len()),
                );
                Vec::new()
            }
            Some(Json::Array(items)) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, x)| item(self, &path.index(i), x))
                .collect(),
            Some(_) => {
                self.err(path, "must be a JSON array");
                Vec::new()
            }
        }
    }

    fn actor(&mut self, path: &Path<'_>, value: Json<'_>) -> Option<Actor> {
        let Json::Object(mut map) = value else {
            return self.bad(
                path,
                "must be a JSON object like {\"type\": \"user\", \"id\": \"u_123\"}",
            );
        };
        self.unknown_keys(path, &map, &["type", "id", "name", "email", "roles"]);
        let kind = self
            .parse_enum(
                &path.key("type"),
                map.get("type"),
                ActorType::parse,
                ActorType::expected,
            )
            .unwrap_or(ActorType::User);
        let id = self.required_text(&path.key("id"), map.take("id"), "\"u_123\"");
        let name = self.opt_text(&path.key("name"), map.take("name"), MAX_TEXT_CHARS);
        // Lowercased: people's e-mails are stored so, and a member reads the events whose actor has
        // theirs; `Ada@Acme.org` and `ada@acme.org` are one mailbox in practice.
        let email = self
            .opt_text(&path.key("email"), map.take("email"), MAX_TEXT_CHARS)
            .map(|email| match email.chars().any(char::is_uppercase) {
                true => email.to_lowercase(),
                false => email,
            });
        if let Some(email) = &email {
            if !looks_like_email(email) {
                self.err(
                    &path.key("email"),
                    format!("`{email}` is not an e-mail address"),
                );
            }
        }
        let roles = self.list(&path.key("roles"), map.take("roles"), |v, p, x| match x {
            Json::String(s) => v.text(p, s, MAX_TEXT_CHARS),
            _ => v.bad(p, "must be a string"),
        });
        Some(Actor {
            kind,
            id: id?,
            name,
            email,
            roles,
        })
    }

    fn target(&mut self, path: &Path<'_>, value: Json<'_>) -> Option<Target> {
        let Json::Object(mut map) = value else {
            return self.bad(
                path,
                "must be a JSON object like {\"type\": \"database\", \"id\": \"sales_db\"}",
            );
        };
        self.unknown_keys(path, &map, &["type", "id", "name"]);
        let kind = self.required_text(&path.key("type"), map.take("type"), "\"database\"");
        let id = self.required_text(&path.key("id"), map.take("id"), "\"sales_db\"");
        let name = self.opt_text(&path.key("name"), map.take("name"), MAX_TEXT_CHARS);
        Some(Target {
            kind: kind?,
            id: id?,
            name,
        })
    }

    fn scope(&mut self, value: Option<Json<'_>>) -> Scope {
        let mut scope = Scope::default();
        if let Some(mut map) = self.object(&Path::Fixed("/scope"), value) {
            self.unknown_keys(&Path::Fixed("/scope"), &map, Scope::FIELDS);
            for name in Scope::FIELDS {
                let text = self.opt_text(
                    &Path::Fixed("/scope").key(name),
                    map.take(name),
                    MAX_TEXT_CHARS,
                );
                if let Some(slot) = scope.field_mut(name) {
                    *slot = text;
                }
            }
        }
        scope
    }

    fn context(&mut self, value: Option<Json<'_>>) -> Context {
        let mut context = Context::default();
        let Some(mut map) = self.object(&Path::Fixed("/context"), value) else {
            return context;
        };
        self.unknown_keys(&Path::Fixed("/context"), &map, CONTEXT_FIELDS);
        for (name, from) in [("geo", "ip"), ("ua", "user_agent")] {
            if map.contains_key(name) {
                self.err(
                    &Path::Fixed("/context").key(name),
                    format!("is derived by the server from `{from}`; leave it out"),
                );
            }
        }
        if let Some(ip) = self.opt_text(&Path::Fixed("/context/ip"), map.take("ip"), 64) {
            match ip.parse::<IpAddr>() {
                // The parser takes IPv4 only in its one printed form (no leading zeros): keep it.
                Ok(IpAddr::V4(_)) => context.ip = Some(ip),
                Ok(addr) => context.ip = Some(addr.to_string()),
                Err(_) => self.err(
                    &Path::Fixed("/context/ip"),
                    format!("`{ip}` is not an IPv4 or IPv6 address"),
                ),
            }
        }
        for name in Context::TEXT_FIELDS {
            let max = if *name == "user_agent" {
                MAX_USER_AGENT_CHARS
            } else {
                MAX_TEXT_CHARS
            };
            let text = self.opt_text(&Path::Fixed("/context").key(name), map.take(name), max);
            if let Some(slot) = context.text_field_mut(name) {
                *slot = text;
            }
        }
        context
    }

    fn error_info(&mut self, value: Option<Json<'_>>) -> Option<ErrorInfo> {
        match value {
            None | Some(Json::Null) => None,
            // A bare string is the message: the most common shape senders use.
            Some(Json::String(text)) => self
                .text(&Path::Fixed("/error"), text, MAX_DESCRIPTION_CHARS)
                .map(|message| ErrorInfo {
                    code: None,
                    message,
                }),
            Some(Json::Object(mut map)) => {
                self.unknown_keys(&Path::Fixed("/error"), &map, &["code", "message"]);
                let code = self.opt_text(
                    &Path::Fixed("/error/code"),
                    map.take("code"),
                    MAX_TEXT_CHARS,
                );
                let message = self.opt_text(
                    &Path::Fixed("/error/message"),
                    map.take("message"),
                    MAX_DESCRIPTION_CHARS,
                );
                match message {
                    Some(message) => Some(ErrorInfo { code, message }),
                    None => self.bad(
                        &Path::Fixed("/error/message"),
                        "is required when `error` is given",
                    ),
                }
            }
            Some(_) => self.bad(
                &Path::Fixed("/error"),
                "must be an object {\"code\", \"message\"} or a string",
            ),
        }
    }

    fn changes(&mut self, value: Option<Json<'_>>) -> Option<Changes> {
        let mut map = match value {
            None | Some(Json::Null) => return None,
            Some(Json::Object(map)) => map,
            Some(_) => return self.bad(&Path::Fixed("/changes"), "must be a JSON object"),
        };
        self.unknown_keys(
            &Path::Fixed("/changes"),
            &map,
            &["before", "after", "changed_fields"],
        );
        if map.contains_key("changed_fields") {
            self.err(
                &Path::Fixed("/changes/changed_fields"),
                "is computed by the server from `before` and `after`; leave it out",
            );
        }
        let before = map
            .take("before")
            .filter(|v| !v.is_null())
            .map(Json::into_value);
        let after = map
            .take("after")
            .filter(|v| !v.is_null())
            .map(Json::into_value);
        let null = Value::Null;
        let changed_fields = changed_fields(
            before.as_ref().unwrap_or(&null),
            after.as_ref().unwrap_or(&null),
        );
        Some(Changes {
            before,
            after,
            changed_fields,
        })
    }

    fn metadata(&mut self, value: Option<Json<'_>>) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        let Some(map) = self.object(&Path::Fixed("/metadata"), value) else {
            return out;
        };
        if map.len() > MAX_METADATA_KEYS {
            self.err(
                &Path::Fixed("/metadata"),
                format!("has {} keys; the limit is {MAX_METADATA_KEYS}", map.len()),
            );
            return out;
        }
        for (key, value) in map {
            let path = Path::Fixed("/metadata").key(&key);
            if key.trim().is_empty() {
                self.err(&path, "a key must not be empty or only spaces");
                continue;
            }
            if longer_than(&key, MAX_METADATA_KEY_CHARS) {
                let key_chars = key.chars().count();
                self.err(&path, format!("keys must be 1 to {MAX_METADATA_KEY_CHARS} characters; this one has {key_chars}"));
                continue;
            }
            match &value {
                Json::String(s) if longer_than(s, MAX_METADATA_VALUE_CHARS) => self.err(
                    &path,
                    format!(
                        "is {} characters long; the limit is {MAX_METADATA_VALUE_CHARS}",
                        s.chars().count()
                    ),
                ),
                Json::Array(_) | Json::Object(_) => self.err(
                    &path,
                    "must be a string, number, boolean or null; put nested data in `payload`",
                ),
                _ => {
                    out.insert(key.into_owned(), value.into_value());
                }
            }
        }
        out
    }

    /// Reads `source`; the sender may name itself, the format is the server's.
    fn source(&mut self, value: Option<Json<'_>>) -> Option<(Option<String>, Option<String>)> {
        let mut map = self.object(&Path::Fixed("/source"), value)?;
        self.unknown_keys(&Path::Fixed("/source"), &map, &["name", "version"]);
        let name = self.opt_text(
            &Path::Fixed("/source/name"),
            map.take("name"),
            MAX_TEXT_CHARS,
        );
        let version = self.opt_text(
            &Path::Fixed("/source/version"),
            map.take("version"),
            MAX_TEXT_CHARS,
        );
        Some((name, version))
    }
}

/// `parse` of `text` in lowercase, copied only when it has an uppercase letter: enum values are
/// nearly always sent as they are printed.
fn parse_lowercase<T>(text: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        parse(&text.to_ascii_lowercase())
    } else {
        parse(text)
    }
}

/// True when `text` has more than `max_chars` characters. Text of at most `max_chars` bytes has at
/// most as many characters, so most strings are not counted.
fn longer_than(text: &str, max_chars: usize) -> bool {
    text.len() > max_chars && text.chars().count() > max_chars
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stamp() -> Stamp<'static> {
        Stamp {
            tenant: "acme",
            id: "0190c8a8-0000-7000-8000-000000000000".into(),
            received_at: 1_700_000_000_000,
            format: "native",
        }
    }

    fn paths(result: Result<Event, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.path).collect()
    }

    /// The event itself, `payload` and the nested arrays: at most MAX_NESTING levels in all.
    #[test]
    fn events_nest_at_most_max_nesting_levels() {
        let with_payload_depth = |n: usize| {
            let nested = format!("{}{}", "[".repeat(n), "]".repeat(n));
            let text =
                format!(r#"{{"action":"a.b","actor":{{"id":"u"}},"payload":{{"x":{nested}}}}}"#);
            validate_owned(serde_json::from_str(&text).unwrap(), stamp())
        };
        assert!(with_payload_depth(MAX_NESTING - 2).is_ok());
        let refused = with_payload_depth(MAX_NESTING - 1).unwrap_err();
        assert_eq!(refused[0].path, "");
        assert!(
            refused[0]
                .message
                .contains(&format!("nests {} levels", MAX_NESTING + 1)),
            "{refused:?}"
        );
    }

    /// Numbers that would not come back as sent are refused: a duration past 2^53 (D1 returns it as
    /// a JavaScript number, rounded), and a numeric id that serde read as a float.
    #[test]
    fn numbers_are_kept_only_when_exact() {
        let read = |extra: &str, actor_id: &str| {
            let text = format!(r#"{{"action":"a.b","actor":{{"id":{actor_id}}}{extra}}}"#);
            validate_owned(serde_json::from_str(&text).unwrap(), stamp())
        };
        let largest = read(&format!(r#","duration_ms":{MAX_SAFE_INTEGER}"#), "7").unwrap();
        assert_eq!(largest.duration_ms, Some(MAX_SAFE_INTEGER));
        assert_eq!(largest.actor.id, "7");
        let refused = read(r#","duration_ms":9007199254740993"#, "7").unwrap_err();
        assert_eq!(refused[0].path, "/duration_ms");
        assert!(
            refused[0].message.contains("from 0 to 9007199254740991"),
            "{refused:?}"
        );
        assert_eq!(
            read("", "-12").unwrap().actor.id,
            "-12",
            "negative whole ids are exact too"
        );
        assert_eq!(
            read("", "18446744073709551615").unwrap().actor.id,
            "18446744073709551615"
        );
        for rounded in ["123456789012345678901234567890", "1.5"] {
            let refused = read("", rounded).unwrap_err();
            assert_eq!(refused[0].path, "/actor/id", "{rounded}");
            assert!(refused[0].message.contains("as a string"), "{refused:?}");
        }
    }

    #[test]
    fn actor_emails_are_lowercased() {
        let event = validate_event(
            &json!({"action": "a.b", "actor": {"id": "u1", "email": " Ada@Acme.ORG "}}),
            stamp(),
        )
        .unwrap();
        assert_eq!(event.actor.email.as_deref(), Some("ada@acme.org"));
    }

    #[test]
    fn text_is_trimmed_and_blank_text_is_left_out() {
        let event = validate_event(
            &json!({
                "action": "app.delete",
                "actor": {"id": "  u1\n", "name": "Ada", "email": "   ", "roles": [" admin ", "viewer"]},
                "description": "\tDeleted the app ",
                "scope": {"workspace": " ws1", "app": ""},
                "context": {"user_agent": "curl/8.5.0 "},
                "error": " timed out ",
                "source": {"name": " airbyte ", "version": "1.2"},
            }),
            stamp(),
        )
        .unwrap();
        assert_eq!(event.actor.id, "u1");
        assert_eq!(event.actor.name.as_deref(), Some("Ada"));
        assert_eq!(event.actor.email, None);
        assert_eq!(event.actor.roles, ["admin", "viewer"]);
        assert_eq!(event.description.as_deref(), Some("Deleted the app"));
        assert_eq!(event.scope.workspace.as_deref(), Some("ws1"));
        assert_eq!(event.scope.app, None);
        assert_eq!(event.context.user_agent.as_deref(), Some("curl/8.5.0"));
        assert_eq!(event.error.map(|e| e.message).as_deref(), Some("timed out"));
        assert_eq!(event.source.name.as_deref(), Some("airbyte"));
        assert_eq!(event.source.version.as_deref(), Some("1.2"));
    }

    #[test]
    fn a_minimal_event_gets_server_fields_and_defaults() {
        let event = validate_event(
            &json!({"action": "App.Delete", "actor": {"id": "u1"}}),
            stamp(),
        )
        .unwrap();
        assert_eq!(event.action, "app.delete");
        assert_eq!(event.category, Category::Delete);
        assert_eq!(event.outcome, Outcome::Unknown);
        assert_eq!(event.severity, Severity::Info);
        assert_eq!(event.actor.kind, ActorType::User);
        assert_eq!(event.tenant, "acme");
        assert_eq!(event.occurred_at, "2023-11-14T22:13:20.000Z");
        assert_eq!(event.occurred_at, event.received_at);
        assert_eq!(event.source.format, "native");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let input = json!({
            "action": "no verb",
            "occurred_at": "yesterday",
            "outcome": "maybe",
            "actor": {"type": "robot", "email": "not-an-email"},
            "targets": [{"type": "db", "id": "x"}, {"id": 5}, "plain"],
            "context": {"ip": "999.1.1.1", "colour": "red"},
            "metadata": {"nested": {"a": 1}, "k": "v"},
            "tenant": "other",
            "surprise": true
        });
        let got = paths(validate_event(&input, stamp()));
        for want in [
            "/action",
            "/occurred_at",
            "/outcome",
            "/actor/type",
            "/actor/id",
            "/actor/email",
            "/targets/1/type",
            "/targets/2",
            "/context/ip",
            "/context/colour",
            "/metadata/nested",
            "/tenant",
            "/surprise",
        ] {
            assert!(got.contains(&want.to_string()), "missing {want} in {got:?}");
        }
        assert!(!got.contains(&"/targets/0/type".to_string()));
    }

    #[test]
    fn missing_actor_and_action_are_required() {
        let got = validate_event(&json!({}), stamp()).unwrap_err();
        assert_eq!(got.len(), 2);
        assert!(got[0].message.contains("required"));
        assert_eq!(paths(validate_event(&json!([1]), stamp())), vec![""]);
    }

    #[test]
    fn metadata_limits() {
        let many: serde_json::Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(
            paths(validate_event(
                &json!({"action":"a.b","actor":{"id":"u"},"metadata":many}),
                stamp()
            )),
            vec!["/metadata"]
        );
        let long_key = "k".repeat(41);
        let got = paths(validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"metadata":{long_key.clone(): 1, "v": "x".repeat(501)}}),
            stamp(),
        ));
        assert_eq!(
            got,
            vec![format!("/metadata/{long_key}"), "/metadata/v".to_string()]
        );
        let blank = validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"metadata":{"   ": 1}}),
            stamp(),
        )
        .unwrap_err();
        assert_eq!(blank[0].path, "/metadata/   ");
        assert_eq!(blank[0].message, "a key must not be empty or only spaces");
    }

    #[test]
    fn context_fields_are_the_address_the_text_fields_and_the_derived_ones() {
        let mut expected = vec!["ip", "geo", "ua"];
        expected.extend_from_slice(Context::TEXT_FIELDS);
        assert_eq!(CONTEXT_FIELDS, expected);
    }

    #[test]
    fn enum_values_are_read_in_any_case_around_spaces() {
        let e = validate_event(
            &json!({"action":"a.b","actor":{"id":"u","type":"Api_Key"},"outcome":" FAILURE ",
                "severity":"High","category":"auth"}),
            stamp(),
        )
        .unwrap();
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.severity, Severity::High);
        assert_eq!(e.category, Category::Auth);
        assert_eq!(e.actor.kind, ActorType::ApiKey);
        let errors = validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"outcome":"Maybe"}),
            stamp(),
        )
        .unwrap_err();
        assert_eq!(errors[0].path, "/outcome");
        assert!(
            errors[0].message.starts_with("`Maybe` is not one of"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_known_field_has_its_place() {
        let mut sent = Sent::default();
        for name in KNOWN_FIELDS {
            assert!(sent.field(name).is_some(), "{name}");
        }
        for name in SERVER_FIELDS {
            assert!(sent.field(name).is_none(), "{name}");
        }
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        // Two bytes each: at the limit in characters, twice over it in bytes.
        let name = "é".repeat(MAX_TEXT_CHARS);
        let key = "é".repeat(MAX_METADATA_KEY_CHARS);
        let value = "é".repeat(MAX_METADATA_VALUE_CHARS);
        let event =
            json!({"action":"a.b","actor":{"id":"u","name":name},"metadata":{key.clone(): value}});
        let e = validate_event(&event, stamp()).unwrap();
        assert_eq!(e.actor.name.as_deref(), Some(name.as_str()));
        assert_eq!(e.metadata[&key], json!(value));

        let over = json!({"action":"a.b","actor":{"id":"u","name":format!("{name}é")},
            "metadata":{format!("{key}é"): 1, "v": format!("{value}é")}});
        let errors = validate_event(&over, stamp()).unwrap_err();
        let messages: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.path.as_str(), e.message.as_str()))
            .collect();
        assert!(
            messages.contains(&("/actor/name", "is 513 characters long; the limit is 512")),
            "{messages:?}"
        );
        assert!(
            messages.contains(&("/metadata/v", "is 501 characters long; the limit is 500")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|(path, message)| path.starts_with("/metadata/é")
                    && message.ends_with("this one has 41")),
            "{messages:?}"
        );
    }

    #[test]
    fn occurred_at_accepts_offsets_and_epoch_millis() {
        let e = validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"occurred_at":"2024-06-12T16:30:22+02:00"}),
            stamp(),
        )
        .unwrap();
        assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");
        let e = validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"occurred_at":1737070174212_i64}),
            stamp(),
        )
        .unwrap();
        assert_eq!(e.occurred_at, "2025-01-16T23:29:34.212Z");
    }

    #[test]
    fn changed_fields_descend_into_objects_and_arrays() {
        let before = json!({"title": "Report", "visibility": "private", "tags": ["a", "b"], "same": {"x": 1}, "a/b": 1});
        let after = json!({"title": "Q2 Sales Report", "visibility": "private", "tags": ["a", "c", "d"], "same": {"x": 1}, "new": true});
        assert_eq!(
            changed_fields(&before, &after),
            vec!["/a~1b", "/new", "/tags/1", "/tags/2", "/title"]
        );
        assert_eq!(
            changed_fields(&Value::Null, &json!({"status": "published"})),
            vec![""]
        );
    }

    /// An emptied array under a long key would be a long pointer per item: the list stops at the
    /// top-level member instead, and at the root when even those are too many.
    #[test]
    fn changed_fields_compare_numbers_as_stored() {
        let before = json!({"n": 1, "f": 2.5, "big": 9007199254740993_u64});
        let after = json!({"n": 1.0, "f": 2.50, "big": 9007199254740992.0});
        assert_eq!(changed_fields(&before, &after), vec!["/big"]);
    }

    #[test]
    fn changed_fields_stay_within_their_limit() {
        let key = "k".repeat(16_000);
        let before = json!({ key.clone(): vec![0; 16_000], "title": "a" });
        let after = json!({ key.clone(): [], "title": "b" });
        assert_eq!(
            changed_fields(&before, &after),
            [format!("/{key}"), "/title".into()]
        );
        let many: serde_json::Map<String, Value> = (0..3_000)
            .map(|i| (format!("field{i:05}"), json!(i)))
            .collect();
        let fits: serde_json::Map<String, Value> = many
            .iter()
            .take(1_000)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(
            changed_fields(&Value::Object(fits), &json!({})).len(),
            1_000
        );
        assert_eq!(changed_fields(&Value::Object(many), &json!({})), [""]);
        // Within the limit, nothing changes: every difference inside the array is listed.
        let listed = changed_fields(&json!({"a": vec![0; 2_000]}), &json!({"a": []}));
        assert_eq!(listed.len(), 2_000);
        assert_eq!(listed[1_999], "/a/1999");
    }

    /// The pointers `changed_fields` gives, worked out the plain way: every key of either side,
    /// sorted, escaped with `replace`, and pointers built by formatting.
    fn changed_fields_reference(before: &Value, after: &Value, path: &str, out: &mut Vec<String>) {
        match (before, after) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for key in keys {
                    let segment = key.replace('~', "~0").replace('/', "~1");
                    let path = format!("{path}/{segment}");
                    match (a.get(key), b.get(key)) {
                        (Some(x), Some(y)) => changed_fields_reference(x, y, &path, out),
                        _ => out.push(path),
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let path = format!("{path}/{i}");
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => changed_fields_reference(x, y, &path, out),
                        _ => out.push(path),
                    }
                }
            }
            (Value::Number(x), Value::Number(y)) if crate::canonical::same_number(x, y) => {}
            (x, y) if x != y => out.push(path.to_string()),
            _ => {}
        }
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0u8..3).prop_map(Value::from),
            Just(Value::from("x")),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            let key = prop::sample::select(vec!["a", "b", "a/b", "~", "é", "c~1"]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.prop_map(String::from), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn changed_fields_match_the_plain_reading(before in any_value(), after in any_value()) {
            let mut expected = Vec::new();
            changed_fields_reference(&before, &after, "", &mut expected);
            proptest::prop_assert_eq!(changed_fields(&before, &after), expected);
        }
    }

    #[test]
    fn changed_fields_cannot_be_sent() {
        let input = json!({"action":"a.b","actor":{"id":"u"},"changes":{"before":{"s":"draft"},"after":{"s":"published"},"changed_fields":["/x"]}});
        assert_eq!(
            paths(validate_event(&input, stamp())),
            vec!["/changes/changed_fields"]
        );
        let ok = json!({"action":"a.b","actor":{"id":"u"},"changes":{"before":{"s":"draft"},"after":{"s":"published"}}});
        assert_eq!(
            validate_event(&ok, stamp())
                .unwrap()
                .changes
                .unwrap()
                .changed_fields,
            vec!["/s"]
        );
    }

    #[test]
    fn ip_addresses_are_normalised() {
        let e = validate_event(
            &json!({"action":"a.b","actor":{"id":"u"},"context":{"ip":"2001:DB8::0:1"}}),
            stamp(),
        )
        .unwrap();
        assert_eq!(e.context.ip.as_deref(), Some("2001:db8::1"));
        for (ip, kept) in [
            ("10.0.0.1", true),
            ("010.0.0.1", false),
            ("1.2.3.04", false),
        ] {
            let e = validate_event(
                &json!({"action":"a.b","actor":{"id":"u"},"context":{"ip":ip}}),
                stamp(),
            );
            assert_eq!(e.ok().and_then(|e| e.context.ip).is_some(), kept, "{ip}");
        }
    }

    /// Events read straight from request text (borrowed strings, duplicate and unsorted keys, escapes)
    /// validate exactly as the same JSON read into `Value`s does: the same event, or the same errors
    /// in the same order.
    #[test]
    fn events_read_from_text_validate_as_values_do() {
        let texts = [
            r#"{"action":" Doc.Update ","actor":{"type":"user","id":" u_1 ","name":"Ann","email":"a@x.io","roles":["admin"," "]},"targets":[{"type":"doc","id":"d1","name":"Q3"}],"scope":{"environment":"prod","workspace":"w"},"context":{"ip":"10.0.0.1","user_agent":"Mozilla/5.0 (X11)","request_id":"r1"},"changes":{"before":{"title":"a","tags":["x"]},"after":{"title":"b","tags":["x","y"]}},"payload":{"code":"line 1\nline 2","n":1.5},"metadata":{"k":"v","n":2,"b":true,"z":null},"source":{"name":"s","version":"1"},"occurred_at":"2023-11-14T22:13:20+02:00","duration_ms":12,"error":{"code":"E1","message":"boom"},"outcome":"failure","severity":"HIGH","category":"update","description":"d","idempotency_key":"k1"}"#,
            r#"{"targets":[],"actor":{"id":42},"action":"b.c","action":"a.b","payload":{"z":1,"a":{"y":2,"x":3}}}"#,
            r#"{"act\u0069on":"a.b","actor":{"id":"caf\u00e9"},"description":"tab\there","metadata":{"k\u00e9y":"\ud83d\ude00"}}"#,
            r#"{"id":"x","seq":1,"nope":true,"action":"Bad Action","actor":{"id":"","email":"no-at","extra":1},"targets":[{"type":"t"},3],"scope":{"region":"eu"},"context":{"ip":"999.1.1.1","geo":{},"ua":{}},"changes":{"changed_fields":[]},"metadata":{"":1,"deep":{"a":1}},"source":{"format":"x"},"error":{"code":"E"},"occurred_at":"yesterday","duration_ms":-1,"outcome":"maybe","payload":[1]}"#,
            r#"{"action":"a.b","actor":{"id":"u"},"roles":1,"targets":{"type":"t"},"error":7,"metadata":[],"occurred_at":1.5}"#,
            r#"["not an object"]"#,
        ];
        for text in texts {
            let borrowed: Json<'_> = serde_json::from_str(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            let from_text = validate_json(borrowed, stamp());
            assert_eq!(from_text, validate_event(&value, stamp()), "{text}");
            assert_eq!(
                from_text.is_ok(),
                text.contains("Doc.Update") || text.contains("b.c") || text.contains("caf"),
                "{text}"
            );
        }
    }
}
