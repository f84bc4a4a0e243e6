//! Reads the API's answers into the wire types of `evident-shared`, from JSON parsed by [`crate::json`].
//!
//! Written by hand for size: the types' derived `Deserialize` impls, compiled for the dashboard, were
//! about 20 KB of gzip wasm (a visitor per struct and per field type), while these readers are a call
//! per field. They accept what the derives accept from the worker: the same field names, unknown
//! fields ignored, and `null` read as absent for optional fields. The tests check that against the
//! derives: every type, printed by its `Serialize` and read back here, comes back equal. A field added
//! to a shared type fails to compile here until it is read.
//!
//! A reader does not stop at the first problem: a missing or mistyped field reads as empty, the first
//! problem is kept, and [`Fields::done`] reports it. Stopping with `?` after every field made the
//! compiler emit clean-up code for all the fields read so far at each one, which was most of the size.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use evident_shared::api::EventPage;
use evident_shared::enrich::{Geo, UserAgent};
use evident_shared::event::{
    Actor, ActorType, Category, Changes, Context, ErrorInfo, Event, Outcome, Scope, Severity,
    Source, Target,
};
use serde_json::{Map, Value};

/// A value that is not what the API promises, e.g. `events[3].actor.id: missing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Where, as field names and indexes from the top; empty for the value itself.
    pub path: String,
    /// What is wrong.
    pub problem: &'static str,
}

impl WireError {
    pub fn new(problem: &'static str) -> WireError {
        WireError {
            path: String::new(),
            problem,
        }
    }

    /// The same error one level up: `step` is a field name or `[index]`.
    fn within(mut self, step: &str) -> WireError {
        let dot = if self.path.is_empty() || self.path.starts_with('[') {
            ""
        } else {
            "."
        };
        self.path = format!("{step}{dot}{}", self.path);
        self
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

type Read<T> = fn(Value) -> Result<T, WireError>;

/// The fields of one JSON object, read by name, and the first problem met.
struct Fields {
    map: Map<String, Value>,
    error: Option<WireError>,
}

impl Fields {
    fn of(value: Value) -> Result<Fields, WireError> {
        match value {
            Value::Object(map) => Ok(Fields { map, error: None }),
            _ => Err(WireError::new("expected an object")),
        }
    }

    /// Keeps the first problem, at field `name`.
    fn fail(&mut self, name: &str, error: WireError) {
        if self.error.is_none() {
            self.error = Some(error.within(name));
        }
    }

    /// Takes a field's value out; absent and `null` are `None`.
    fn take(&mut self, name: &str) -> Option<Value> {
        self.map
            .get_mut(name)
            .map(Value::take)
            .filter(|v| !v.is_null())
    }

    /// An optional field, read with `read`.
    fn optional<T>(&mut self, name: &str, read: Read<T>) -> Option<T> {
        match read(self.take(name)?) {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(name, e);
                None
            }
        }
    }

    /// A required field, read with `read`: `None` only when it is missing or unreadable, which is kept.
    fn required<T>(&mut self, name: &str, read: Read<T>) -> Option<T> {
        let value = self.optional(name, read);
        if value.is_none() {
            self.fail(name, WireError::new("missing"));
        }
        value
    }

    /// A field with a default: absent or `null` is the type's default (an empty list, map or struct).
    fn or_default<T: Default>(&mut self, name: &str, read: Read<T>) -> T {
        self.optional(name, read).unwrap_or_default()
    }

    fn string(&mut self, name: &str) -> String {
        self.required(name, string).unwrap_or_default()
    }

    fn optional_string(&mut self, name: &str) -> Option<String> {
        self.optional(name, string)
    }

    /// A wire enum by its wire name; `fallback` stands in when it is unreadable (the error is kept).
    fn named<T>(&mut self, name: &str, parse: fn(&str) -> Option<T>, fallback: T) -> T {
        let value = self.required(name, string).map(|s| parse(&s));
        match value {
            Some(Some(value)) => value,
            Some(None) => {
                self.fail(name, WireError::new("unknown name"));
                fallback
            }
            None => fallback,
        }
    }

    /// The problem kept, for a reader that cannot go on because a required field came back `None`
    /// (which always keeps one).
    fn problem(self) -> WireError {
        self.error.unwrap_or_else(|| WireError::new("missing"))
    }

    /// `value` if every field read well, else the first problem.
    fn done<T>(self, value: T) -> Result<T, WireError> {
        match self.error {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }
}

fn string(value: Value) -> Result<String, WireError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(WireError::new("expected a string")),
    }
}

fn unsigned(value: Value) -> Result<u64, WireError> {
    value
        .as_u64()
        .ok_or_else(|| WireError::new("expected an unsigned integer"))
}

fn signed(value: Value) -> Result<i64, WireError> {
    value
        .as_i64()
        .ok_or_else(|| WireError::new("expected an integer"))
}

fn any(value: Value) -> Result<Value, WireError> {
    Ok(value)
}

fn list<T>(value: Value, read: Read<T>) -> Result<Vec<T>, WireError> {
    let Value::Array(items) = value else {
        return Err(WireError::new("expected an array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(read(item).map_err(|e| e.within(&format!("[{i}]")))?);
    }
    Ok(out)
}

fn strings(value: Value) -> Result<Vec<String>, WireError> {
    list(value, string)
}

fn actors(value: Value) -> Result<Vec<Actor>, WireError> {
    list(value, actor)
}

/// `GET /api/v1/events`.
pub fn event_page(value: Value) -> Result<EventPage, WireError> {
    let mut f = Fields::of(value)?;
    let page = EventPage {
        events: f.or_default("events", |v| list(v, event)),
        next_cursor: f.optional_string("next_cursor"),
        up_to_seq: f.optional("up_to_seq", unsigned),
        now: f.optional("now", signed),
        tail_token: f.optional_string("tail_token"),
    };
    f.done(page)
}

/// The message of the API's error envelope, `{"error": {"message": ...}}`.
pub fn error_message(value: &Value) -> Option<&str> {
    value.get("error")?.get("message")?.as_str()
}

/// One event, as `GET /api/v1/events/{id}` answers it.
pub fn event(value: Value) -> Result<Event, WireError> {
    let mut f = Fields::of(value)?;
    // The two required fields without a stand-in value come first.
    let (Some(actor), Some(source)) = (f.required("actor", actor), f.required("source", source))
    else {
        return Err(f.problem());
    };
    let event = Event {
        action: f.string("action"),
        actor,
        category: f.named("category", Category::parse, Category::Other),
        changes: f.optional("changes", changes),
        context: f.or_default("context", context),
        description: f.optional_string("description"),
        duration_ms: f.optional("duration_ms", unsigned),
        error: f.optional("error", error_info),
        flags: f.or_default("flags", strings),
        hash: f.optional_string("hash"),
        id: f.string("id"),
        idempotency_key: f.optional_string("idempotency_key"),
        metadata: f.or_default("metadata", metadata),
        occurred_at: f.string("occurred_at"),
        outcome: f.named("outcome", Outcome::parse, Outcome::Unknown),
        participants: f.or_default("participants", actors),
        payload: f.optional("payload", any),
        prev_hash: f.optional_string("prev_hash"),
        received_at: f.string("received_at"),
        redacted: f.or_default("redacted", strings),
        scope: f.or_default("scope", scope),
        seq: f.optional("seq", unsigned),
        severity: f.named("severity", Severity::parse, Severity::Info),
        skew_ms: f.optional("skew_ms", signed),
        source,
        targets: f.or_default("targets", |v| list(v, target)),
        tenant: f.string("tenant"),
    };
    f.done(event)
}

fn actor(value: Value) -> Result<Actor, WireError> {
    let mut f = Fields::of(value)?;
    let actor = Actor {
        email: f.optional_string("email"),
        id: f.string("id"),
        name: f.optional_string("name"),
        roles: f.or_default("roles", strings),
        kind: f.named("type", ActorType::parse, ActorType::Anonymous),
    };
    f.done(actor)
}

fn target(value: Value) -> Result<Target, WireError> {
    let mut f = Fields::of(value)?;
    let target = Target {
        id: f.string("id"),
        name: f.optional_string("name"),
        kind: f.string("type"),
    };
    f.done(target)
}

fn scope(value: Value) -> Result<Scope, WireError> {
    let mut f = Fields::of(value)?;
    let scope = Scope {
        app: f.optional_string("app"),
        environment: f.optional_string("environment"),
        folder: f.optional_string("folder"),
        organization: f.optional_string("organization"),
        project: f.optional_string("project"),
        workspace: f.optional_string("workspace"),
    };
    f.done(scope)
}

fn context(value: Value) -> Result<Context, WireError> {
    let mut f = Fields::of(value)?;
    let context = Context {
        geo: f.optional("geo", geo),
        interface: f.optional_string("interface"),
        ip: f.optional_string("ip"),
        request_id: f.optional_string("request_id"),
        session_id: f.optional_string("session_id"),
        trace_id: f.optional_string("trace_id"),
        ua: f.optional("ua", user_agent),
        user_agent: f.optional_string("user_agent"),
    };
    f.done(context)
}

fn geo(value: Value) -> Result<Geo, WireError> {
    let mut f = Fields::of(value)?;
    let geo = Geo {
        city: f.optional_string("city"),
        country: f.string("country"),
        region: f.optional_string("region"),
    };
    f.done(geo)
}

fn user_agent(value: Value) -> Result<Arc<UserAgent>, WireError> {
    let mut f = Fields::of(value)?;
    let ua = UserAgent {
        browser: f.string("browser"),
        browser_version: f.optional_string("browser_version"),
        device: f.string("device"),
        os: f.string("os"),
        os_version: f.optional_string("os_version"),
    };
    f.done(Arc::new(ua))
}

fn error_info(value: Value) -> Result<ErrorInfo, WireError> {
    let mut f = Fields::of(value)?;
    let error = ErrorInfo {
        code: f.optional_string("code"),
        message: f.string("message"),
    };
    f.done(error)
}

fn changes(value: Value) -> Result<Changes, WireError> {
    let mut f = Fields::of(value)?;
    let changes = Changes {
        after: f.optional("after", any),
        before: f.optional("before", any),
        changed_fields: f.or_default("changed_fields", strings),
    };
    f.done(changes)
}

fn source(value: Value) -> Result<Source, WireError> {
    let mut f = Fields::of(value)?;
    let source = Source {
        format: f.string("format"),
        name: f.optional_string("name"),
        version: f.optional_string("version"),
    };
    f.done(source)
}

fn metadata(value: Value) -> Result<BTreeMap<String, Value>, WireError> {
    let Value::Object(map) = value else {
        return Err(WireError::new("expected an object"));
    };
    // Inserted one by one: `collect` would sort, which is more code than the inserts the JSON reader
    // already has.
    let mut out = BTreeMap::new();
    for (key, value) in map {
        out.insert(key, value);
    }
    Ok(out)
}

/// `GET /api/v1/actors/{id}` and `GET /api/v1/resources/{type}/{id}`: a page of events, and for an
/// actor their most frequent actions.
pub fn history(value: Value) -> Result<crate::api::History, WireError> {
    let mut f = Fields::of(value)?;
    let page = crate::api::History {
        events: f.or_default("events", |v| list(v, event)),
        next_cursor: f.optional_string("next_cursor"),
        top_actions: f.or_default("top_actions", |v| list(v, action_count)),
        search: f.optional_string("search"),
    };
    f.done(page)
}

fn action_count(value: Value) -> Result<(String, u64), WireError> {
    let mut f = Fields::of(value)?;
    let count = (
        f.optional_string("value").unwrap_or_default(),
        f.required("count", unsigned).unwrap_or_default(),
    );
    f.done(count)
}

/// `GET /api/v1/verify`.
pub fn verify_report(value: Value) -> Result<evident_shared::api::VerifyReport, WireError> {
    let mut f = Fields::of(value)?;
    let report = evident_shared::api::VerifyReport {
        ok: f.required("ok", |v| {
            v.as_bool().ok_or(WireError::new("expected a boolean"))
        }) == Some(true),
        from_seq: f.or_default("from_seq", unsigned),
        to_seq: f.or_default("to_seq", unsigned),
        checked: f.or_default("checked", unsigned),
        head_seq: f.or_default("head_seq", unsigned),
        head_hash: f.or_default("head_hash", string),
        first_break: f.optional("first_break", chain_break),
        unsealed: f.or_default("unsealed", unsigned),
        next_from_seq: f.optional("next_from_seq", unsigned),
    };
    f.done(report)
}

fn chain_break(value: Value) -> Result<evident_shared::api::ChainBreak, WireError> {
    let mut f = Fields::of(value)?;
    let b = evident_shared::api::ChainBreak {
        seq: f.or_default("seq", unsigned),
        id: f.optional_string("id"),
        code: f.string("code"),
        message: f.string("message"),
    };
    f.done(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actor_json(id: &str) -> Value {
        json!({"type": "api_key", "id": id, "email": "k@corp.com", "name": "Key", "roles": ["admin", "ops"]})
    }

    /// An event with every field set, as the worker would print it.
    fn full_event() -> Value {
        json!({
            "action": "db.query", "actor": actor_json("u1"), "category": "execute",
            "changes": {"before": {"n": 1}, "after": {"n": 2.5, "list": [null]}, "changed_fields": ["/n"]},
            "context": {
                "geo": {"country": "DE", "region": "BE", "city": "Berlin"}, "interface": "web",
                "ip": "10.0.0.1", "request_id": "r1", "session_id": "s1", "trace_id": "t1",
                "ua": {"browser": "Chrome", "browser_version": "126.0", "device": "desktop", "os": "Linux", "os_version": "6"},
                "user_agent": "Mozilla/5.0"
            },
            "description": "Ran a query", "duration_ms": 1250,
            "error": {"code": "E1", "message": "boom"}, "flags": ["occurred_long_ago"],
            "hash": "ab".repeat(32), "id": "0190-e1", "idempotency_key": "k-1",
            "metadata": {"cell": "c7", "n": 3, "ok": true, "ratio": 0.1},
            "occurred_at": "2024-06-12T14:30:22.000Z", "outcome": "in_progress",
            "participants": [actor_json("u2"), {"type": "user", "id": "u3"}],
            "payload": {"code": "select 1", "rows": [1, 2]}, "prev_hash": "0".repeat(64),
            "received_at": "2024-06-12T14:30:23.250Z", "redacted": ["/payload/password"],
            "scope": {"app": "a", "environment": "prod", "folder": "f", "organization": "o", "project": "p", "workspace": "w"},
            "seq": 42, "severity": "critical", "skew_ms": -1250,
            "source": {"format": "livebook", "name": "Livebook", "version": "0.13"},
            "targets": [{"type": "app", "id": "a1", "name": "Sales"}, {"type": "db", "id": "d1"}],
            "tenant": "acme"
        })
    }

    fn minimal_event() -> Value {
        json!({
            "id": "e1", "tenant": "t", "occurred_at": "2024-06-12T14:30:22.000Z",
            "received_at": "2024-06-12T14:30:23.000Z", "action": "app.create", "category": "create",
            "outcome": "success", "severity": "info", "actor": {"type": "user", "id": "u1"},
            "source": {"format": "native"}
        })
    }

    #[test]
    fn events_read_as_the_derives_read_them() {
        for value in [full_event(), minimal_event()] {
            let derived: Event = serde_json::from_value(value.clone()).unwrap();
            let printed = serde_json::to_value(&derived).unwrap();
            assert_eq!(printed, value, "the fixture is what the worker prints");
            assert_eq!(event(value), Ok(derived));
        }
    }

    #[test]
    fn the_full_fixture_sets_every_field() {
        // Guards the test above: a field left out of the fixture would not show a read under a wrong
        // name. (That every name in it is a real field, the re-print above shows.)
        let value = full_event();
        let len = |v: &Value| v.as_object().unwrap().len();
        assert_eq!(len(&value), 27, "Event");
        assert_eq!(len(&value["context"]), 8, "Context");
        assert_eq!(len(&value["scope"]), 6, "Scope");
        assert_eq!(len(&value["actor"]), 5, "Actor");
        assert_eq!(len(&value["context"]["ua"]), 5, "UserAgent");
        assert_eq!(len(&value["context"]["geo"]), 3, "Geo");
        assert_eq!(len(&value["targets"][0]), 3, "Target");
    }

    #[test]
    fn unknown_fields_are_ignored_and_null_is_absent() {
        let mut value = minimal_event();
        value["future_field"] = json!({"x": 1});
        value["description"] = Value::Null;
        value["targets"] = Value::Null;
        let read = event(value).unwrap();
        assert_eq!(read.description, None);
        assert!(read.targets.is_empty());
    }

    #[test]
    fn errors_name_the_path() {
        let mut value = minimal_event();
        value["participants"] = json!([{"type": "user", "id": "u2"}, {"type": "user"}]);
        assert_eq!(
            event(value).unwrap_err().to_string(),
            "participants[1].id: missing"
        );
        let mut value = minimal_event();
        value["outcome"] = json!("exploded");
        assert_eq!(
            event(value).unwrap_err().to_string(),
            "outcome: unknown name"
        );
        let page = json!({"events": [minimal_event(), {"id": 7}]});
        assert_eq!(
            event_page(page).unwrap_err().to_string(),
            "events[1].actor: missing"
        );
        let mut value = minimal_event();
        value["seq"] = json!(-1);
        assert_eq!(
            event(value).unwrap_err().to_string(),
            "seq: expected an unsigned integer"
        );
        assert_eq!(
            event(json!([1])).unwrap_err().to_string(),
            "expected an object"
        );
    }

    #[test]
    fn pages_read_as_the_derive_reads_them() {
        let value = json!({"events": [full_event(), minimal_event()], "next_cursor": "c1",
                           "up_to_seq": 42, "now": 1_717_200_000_000_i64});
        let derived: EventPage = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(event_page(value), Ok(derived));
        let last = event_page(json!({"events": []})).unwrap();
        assert_eq!(last, EventPage::default());
    }

    #[test]
    fn verify_reports_read_as_the_derive_reads_them() {
        use evident_shared::api::VerifyReport;
        for value in [
            json!({"ok": true, "from_seq": 3, "to_seq": 3, "checked": 1, "head_seq": 9,
                   "head_hash": "ab", "unsealed": 0}),
            json!({"ok": false, "from_seq": 3, "to_seq": 4, "checked": 2, "head_seq": 9,
                   "head_hash": "ab", "unsealed": 1, "next_from_seq": 5,
                   "first_break": {"seq": 4, "id": "e4", "code": "altered", "message": "m"}}),
        ] {
            let derived: VerifyReport = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(verify_report(value), Ok(derived));
        }
    }

    #[test]
    fn histories_carry_events_cursor_and_top_actions() {
        let value = json!({"actor": "u1", "top_actions": [{"value": "app.view", "count": 4}],
                           "events": [minimal_event()], "next_cursor": null});
        let page = history(value).unwrap();
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.top_actions, [("app.view".to_owned(), 4)]);
        assert_eq!(page.next_cursor, None);
        let resource =
            history(json!({"type": "db", "id": "d1", "events": [], "next_cursor": "c"})).unwrap();
        assert!(resource.top_actions.is_empty());
        assert_eq!(resource.next_cursor.as_deref(), Some("c"));
    }

    #[test]
    fn error_envelopes_give_their_message() {
        let value = json!({"error": {"code": "invalid_query", "message": "bad `q`", "errors": []}});
        assert_eq!(error_message(&value), Some("bad `q`"));
        assert_eq!(error_message(&json!({"error": "flat"})), None);
    }
}
