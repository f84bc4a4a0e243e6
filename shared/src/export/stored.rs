//! A borrowed view of a stored event body: the fields the CSV columns read, mirroring the names of
//! [`crate::event::Event`].
//!
//! Why not deserialise into `Event`: that would copy every string and build a `Value` tree for
//! `changes`, `payload` and `metadata`, only to print them again. Here strings borrow from the body
//! unless they hold escapes, and JSON-valued fields stay the body's own canonical text, so a JSON cell
//! holds exactly the bytes that were hashed. Every field is optional and unknown fields are ignored:
//! an export reads what a body has instead of failing on one written before a field existed.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::Str;

/// A string field.
pub(super) type Text<'a> = Option<Str<'a>>;
/// A JSON-valued field, as the body prints it.
pub(super) type Json<'a> = Option<&'a RawValue>;

/// The fields of a stored event that the export reads.
#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Stored<'a> {
    pub action: Text<'a>,
    pub actor: Actor<'a>,
    pub category: Text<'a>,
    pub changes: Changes<'a>,
    pub context: Context<'a>,
    pub description: Text<'a>,
    pub duration_ms: Option<Integer<'a>>,
    pub error: ErrorInfo<'a>,
    pub flags: Json<'a>,
    pub hash: Text<'a>,
    pub id: Text<'a>,
    pub idempotency_key: Text<'a>,
    pub metadata: Json<'a>,
    pub occurred_at: Text<'a>,
    pub outcome: Text<'a>,
    pub participants: Json<'a>,
    pub payload: Json<'a>,
    pub prev_hash: Text<'a>,
    pub received_at: Text<'a>,
    pub redacted: Json<'a>,
    pub scope: Scope<'a>,
    pub seq: Option<Integer<'a>>,
    pub severity: Text<'a>,
    pub skew_ms: Option<Integer<'a>>,
    pub source: Source<'a>,
    pub targets: Json<'a>,
    pub tenant: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Actor<'a> {
    pub email: Text<'a>,
    pub id: Text<'a>,
    pub name: Text<'a>,
    pub roles: Json<'a>,
    #[serde(rename = "type")]
    pub kind: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Changes<'a> {
    pub after: Json<'a>,
    pub before: Json<'a>,
    pub changed_fields: Json<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Context<'a> {
    pub geo: Geo<'a>,
    pub interface: Text<'a>,
    pub ip: Text<'a>,
    pub request_id: Text<'a>,
    pub session_id: Text<'a>,
    pub trace_id: Text<'a>,
    pub ua: UserAgent<'a>,
    pub user_agent: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Geo<'a> {
    pub city: Text<'a>,
    pub country: Text<'a>,
    pub region: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct UserAgent<'a> {
    pub browser: Text<'a>,
    pub browser_version: Text<'a>,
    pub device: Text<'a>,
    pub os: Text<'a>,
    pub os_version: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct ErrorInfo<'a> {
    pub code: Text<'a>,
    pub message: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Scope<'a> {
    pub app: Text<'a>,
    pub environment: Text<'a>,
    pub folder: Text<'a>,
    pub organization: Text<'a>,
    pub project: Text<'a>,
    pub workspace: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default, bound(deserialize = "'de: 'a"))]
pub(super) struct Source<'a> {
    pub format: Text<'a>,
    pub name: Text<'a>,
    pub version: Text<'a>,
}

/// One element of `targets`, read only for the `resource` column.
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
struct Target<'a> {
    id: Text<'a>,
    name: Text<'a>,
    #[serde(rename = "type")]
    kind: Text<'a>,
}

/// `payload`, read only for the `code` column.
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
struct Payload<'a> {
    code: Text<'a>,
}

/// Just the id, to name a body that does not read as an event.
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub(super) struct IdOnly<'a> {
    pub id: Text<'a>,
}

impl<'a> Stored<'a> {
    /// Who acted, as a person reads it: the actor's e-mail, else their name, else their id.
    pub fn user(&self) -> Option<&str> {
        let a = &self.actor;
        a.email.as_deref().or(a.name.as_deref()).or(a.id.as_deref())
    }

    /// The first target as a person reads it: its name, else `type:id`.
    pub fn resource(&self) -> Option<Cow<'a, str>> {
        let targets: Vec<Target<'a>> = serde_json::from_str(self.targets?.get()).ok()?;
        let first = targets.into_iter().next()?;
        match (first.name, first.kind, first.id) {
            (Some(name), _, _) => Some(name.0),
            (None, Some(kind), Some(id)) => Some(format!("{}:{}", kind.0, id.0).into()),
            (None, _, id) => id.map(|s| s.0),
        }
    }

    /// `payload.code` when it is a string: executed code, the heart of a notebook's audit trail.
    pub fn code(&self) -> Option<Cow<'a, str>> {
        let payload: Payload<'a> = serde_json::from_str(self.payload?.get()).ok()?;
        payload.code.map(|s| s.0)
    }
}

/// An integer as the body prints it (`-?[0-9]+`), written to its cell verbatim: no formatting code,
/// and `u64` and `i64` fields alike.
pub(super) struct Integer<'a>(pub &'a str);

impl<'de: 'a, 'a> Deserialize<'de> for Integer<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&RawValue>::deserialize(deserializer)?.get();
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Integer(text))
        } else {
            Err(de::Error::custom(format_args!(
                "expected an integer, found {text}"
            )))
        }
    }
}
