//! The vocabulary the per-system modules write scenes in: a [`Draft`] is one event without its time and
//! idempotency key (the timeline assigns those when the event is emitted), and a [`Scene`] hands out
//! randomness, people and request context while collecting drafts.

use std::collections::VecDeque;

use evident_shared::event::{Category, Outcome, Severity};
use evident_shared::timestamp::format_rfc3339;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

use super::people::{Cast, Machine, Person};
use super::timeline::DAY_MS;
use super::System;

/// One event still missing `occurred_at` and `idempotency_key`.
pub(crate) struct Draft {
    system: System,
    action: String,
    category: Category,
    outcome: Outcome,
    severity: Severity,
    actor: Value,
    description: Option<String>,
    error: Option<Value>,
    duration_ms: Option<u64>,
    participants: Vec<Value>,
    targets: Vec<Value>,
    scope: Map<String, Value>,
    context: Option<Value>,
    changes: Option<Value>,
    payload: Option<Value>,
    metadata: Map<String, Value>,
}

impl Draft {
    /// A successful, routine event; the builder methods below add the rest.
    pub fn new(
        system: System,
        action: impl Into<String>,
        category: Category,
        actor: Value,
    ) -> Self {
        Draft {
            system,
            action: action.into(),
            category,
            outcome: Outcome::Success,
            severity: Severity::Info,
            actor,
            description: None,
            error: None,
            duration_ms: None,
            participants: Vec::new(),
            targets: Vec::new(),
            scope: Map::new(),
            context: None,
            changes: None,
            payload: None,
            metadata: Map::new(),
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Raises the severity to at least `floor`.
    pub fn severity_at_least(mut self, floor: Severity) -> Self {
        self.severity = self.severity.max(floor);
        self
    }

    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    pub fn error(mut self, code: &str, message: impl Into<String>) -> Self {
        self.error = Some(json!({"code": code, "message": message.into()}));
        self
    }

    pub fn duration(mut self, ms: u64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    pub fn participants(mut self, actors: Vec<Value>) -> Self {
        self.participants = actors;
        self
    }

    pub fn target(mut self, kind: &str, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.targets
            .push(json!({"type": kind, "id": id.into(), "name": name.into()}));
        self
    }

    pub fn scope(mut self, field: &str, value: impl Into<String>) -> Self {
        self.scope
            .insert(field.to_string(), Value::String(value.into()));
        self
    }

    pub fn context(mut self, context: Value) -> Self {
        self.context = Some(context);
        self
    }

    /// Before and after states; `None` on one side for creations and deletions.
    pub fn changes(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        let mut changes = Map::new();
        if let Some(before) = before {
            changes.insert("before".into(), before);
        }
        if let Some(after) = after {
            changes.insert("after".into(), after);
        }
        self.changes = Some(Value::Object(changes));
        self
    }

    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    pub fn meta(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    /// The event as the ingest endpoint expects it.
    pub fn into_json(self, occurred_at_ms: i64, idempotency_key: String) -> Value {
        let mut event = Map::new();
        event.insert("action".into(), Value::String(self.action));
        event.insert(
            "occurred_at".into(),
            Value::String(format_rfc3339(occurred_at_ms)),
        );
        event.insert("category".into(), self.category.as_str().into());
        event.insert("outcome".into(), self.outcome.as_str().into());
        event.insert("severity".into(), self.severity.as_str().into());
        event.insert("actor".into(), self.actor);
        event.insert(
            "source".into(),
            json!({"name": self.system.name(), "version": self.system.version()}),
        );
        event.insert("idempotency_key".into(), Value::String(idempotency_key));
        let optional = [
            ("description", self.description.map(Value::String)),
            ("error", self.error),
            ("duration_ms", self.duration_ms.map(Value::from)),
            ("participants", non_empty(self.participants)),
            ("targets", non_empty(self.targets)),
            (
                "scope",
                (!self.scope.is_empty()).then_some(Value::Object(self.scope)),
            ),
            ("context", self.context),
            ("changes", self.changes),
            ("payload", self.payload),
            (
                "metadata",
                (!self.metadata.is_empty()).then_some(Value::Object(self.metadata)),
            ),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                event.insert(key.into(), value);
            }
        }
        Value::Object(event)
    }
}

fn non_empty(items: Vec<Value>) -> Option<Value> {
    (!items.is_empty()).then_some(Value::Array(items))
}

/// One scene being played: randomness, the cast, the time of its first event, and its drafts.
pub(crate) struct Scene<'a> {
    pub rng: &'a mut ChaCha8Rng,
    pub cast: &'a Cast,
    pub at_ms: i64,
    seed: u64,
    drafts: &'a mut VecDeque<Draft>,
}

impl<'a> Scene<'a> {
    pub fn new(
        rng: &'a mut ChaCha8Rng,
        cast: &'a Cast,
        seed: u64,
        at_ms: i64,
        drafts: &'a mut VecDeque<Draft>,
    ) -> Self {
        Scene {
            rng,
            cast,
            at_ms,
            seed,
            drafts,
        }
    }

    pub fn emit(&mut self, draft: Draft) {
        self.drafts.push_back(draft);
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.gen_range(0..total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        unreachable!("roll is below the sum of the weights")
    }

    /// A whole number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.rng.gen_range(low..=high)
    }

    /// Success, or with the given probabilities failure or denial.
    pub fn outcome(&mut self, failure: f64, denied: f64) -> Outcome {
        let roll: f64 = self.rng.gen();
        if roll < failure {
            Outcome::Failure
        } else if roll < failure + denied {
            Outcome::Denied
        } else {
            Outcome::Success
        }
    }

    /// `digits` random lowercase hex digits (at most 16).
    pub fn hex(&mut self, digits: usize) -> String {
        let value: u64 = self.rng.gen();
        format!("{value:016x}")[..digits].to_string()
    }

    /// A random UUIDv4.
    pub fn uuid(&mut self) -> String {
        let (a, b): (u64, u64) = (self.rng.gen(), self.rng.gen());
        uuid_text(a, b)
    }

    /// A person who uses `system`, the busy ones more often.
    pub fn person(&mut self, system: System) -> &'a Person {
        let cast = self.cast;
        cast.pick(self.rng, system)
    }

    /// Someone allowed to administer access.
    pub fn admin(&mut self) -> &'a Person {
        let cast = self.cast;
        cast.pick_admin(self.rng)
    }

    /// Anyone at all, e.g. the subject of a permission change.
    pub fn anyone(&mut self) -> &'a Person {
        let cast = self.cast;
        &cast.people[self.rng.gen_range(0..cast.people.len())]
    }

    /// Anyone but `person`.
    pub fn anyone_but(&mut self, person: &Person) -> &'a Person {
        loop {
            let other = self.anyone();
            if other.id != person.id {
                return other;
            }
        }
    }

    /// A colleague of `person` in `system`, never `person` themselves.
    pub fn colleague(&mut self, person: &Person, system: System) -> &'a Person {
        loop {
            let other = self.person(system);
            if other.id != person.id {
                return other;
            }
        }
    }

    /// Network and client details for `person` working in a browser (or on their phone).
    pub fn web_context(&mut self, person: &Person, allow_mobile: bool) -> Value {
        let ip = if self.chance(0.85) {
            &person.usual_ip
        } else {
            &person.other_ip
        };
        let agent = match person.mobile_agent {
            Some(mobile) if allow_mobile && self.chance(0.2) => mobile,
            _ => person.desktop_agent,
        };
        let session = self.session_id(person.index as u64);
        let request = self.hex(16);
        json!({
            "ip": ip,
            "user_agent": agent.header,
            "session_id": session,
            "request_id": format!("req_{request}"),
            "interface": "web",
        })
    }

    /// `context` again for the next request in the same session.
    pub fn next_request(&mut self, context: &Value) -> Value {
        let mut next = context.clone();
        next["request_id"] = format!("req_{}", self.hex(16)).into();
        next
    }

    /// Network and client details for a programmatic caller.
    pub fn api_context(&mut self, machine: &Machine) -> Value {
        let request = self.hex(16);
        let trace = format!("{}{}", self.hex(16), self.hex(16));
        json!({
            "ip": machine.ip,
            "user_agent": machine.user_agent,
            "request_id": format!("req_{request}"),
            "trace_id": trace,
            "interface": "api",
        })
    }

    /// Stable for one person on one day, so a day's work reads as one session.
    fn session_id(&self, person: u64) -> String {
        let day = self.at_ms.div_euclid(DAY_MS) as u64;
        let mixed = splitmix64(self.seed ^ splitmix64(person.wrapping_mul(0x9e37) ^ (day << 20)));
        format!("sess_{mixed:016x}")
    }
}

/// A well-mixed 64-bit hash of a 64-bit value.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(text: &str, salt: u64) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325 ^ salt, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// An identifier that depends only on `name`, so a resource keeps its id across events and seeds.
pub(crate) fn stable_hex(name: &str, digits: usize) -> String {
    let text = format!(
        "{:016x}{:016x}",
        splitmix64(fnv1a(name, 1)),
        splitmix64(fnv1a(name, 2))
    );
    text[..digits.min(32)].to_string()
}

/// A UUIDv4-shaped identifier that depends only on `name`.
pub(crate) fn stable_uuid(name: &str) -> String {
    uuid_text(splitmix64(fnv1a(name, 3)), splitmix64(fnv1a(name, 4)))
}

fn uuid_text(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}
