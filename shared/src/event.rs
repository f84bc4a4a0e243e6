//! The canonical event: one shape for every event Evident stores, whatever format it arrived in
//! (SPEC section 2). Senders' input is checked by [`crate::validate`]; this module only describes the
//! result, so the worker, the dashboard and exports agree on field names and meaning.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enrich::{Geo, UserAgent};

/// Flag: `occurred_at` is more than [`FUTURE_TOLERANCE_MS`] after `received_at`.
pub const FLAG_FUTURE: &str = "occurred_in_future";
/// Flag: `occurred_at` is more than [`LONG_AGO_MS`] before `received_at`.
pub const FLAG_LONG_AGO: &str = "occurred_long_ago";
/// How far ahead of the server's clock a sender's clock may be before the event is flagged.
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;
/// How old an event may be on arrival before it is flagged (backfills are accepted, but marked).
pub const LONG_AGO_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A stored audit event, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `resource.verb`, lowercase, e.g. `app.delete`.
    pub action: String,
    /// Who did it.
    pub actor: Actor,
    /// Kind of action, derived from the verb when the sender gave none.
    pub category: Category,
    /// Before and after states of the resource, for changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// Network and client details.
    #[serde(default, skip_serializing_if = "Context::is_empty")]
    pub context: Context,
    /// One human-readable line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long the action took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// What went wrong, when something did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// Remarks the server attaches to the event, e.g. [`FLAG_FUTURE`] or [`FLAG_LONG_AGO`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// This event's hash in the tenant's chain (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Server-assigned, time-sortable id (UUIDv7, lowercase hyphenated).
    pub id: String,
    /// The sender's dedup key, unique per tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Free-form string-to-scalar labels (at most 50 keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, Value>,
    /// When it happened, sender's clock, RFC 3339 UTC with milliseconds.
    pub occurred_at: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Everyone else involved, e.g. users collaborating in one notebook session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<Actor>,
    /// Domain detail, e.g. `{code, session_mode}` for a code evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// Hash of the previous event in the tenant's chain (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// When the server received it, RFC 3339 UTC with milliseconds.
    pub received_at: String,
    /// JSON pointers to values that redaction replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<String>,
    /// Where in the sender's organisation it happened.
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    /// Position in the tenant's hash chain, assigned at sealing; absent until sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// How much a reviewer should care.
    pub severity: Severity,
    /// `received_at` minus `occurred_at` in milliseconds, when the sender gave `occurred_at`: how far
    /// behind (positive) or ahead (negative) the sender's clock and delivery were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_ms: Option<i64>,
    /// Which adapter read the event and which system sent it.
    pub source: Source,
    /// The resources acted on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// The tenant the sending credential belongs to; never taken from the body.
    pub tenant: String,
}

/// Declares a string enum with its wire names in one place, so parsing, printing and the list of
/// allowed values shown in error messages cannot drift apart.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name (exact, lowercase).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }

            /// The allowed wire names joined for error messages: "`a`, `b`".
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| format!("`{}`", v.as_str())).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Kind of action.
    Category {
        /// Something was made.
        Create = "create",
        /// Something was looked at.
        Read = "read",
        /// Something was changed.
        Update = "update",
        /// Something was removed.
        Delete = "delete",
        /// Code, a query or a pipeline ran.
        Execute = "execute",
        /// Something was opened or connected to.
        Access = "access",
        /// Sign-in, sign-out, credentials.
        Auth = "auth",
        /// Roles and grants.
        Permission = "permission",
        /// Data left the system.
        Export = "export",
        /// The platform itself acted.
        System = "system",
        /// None of the above.
        Other = "other",
    }
}

wire_enum! {
    /// How an action ended.
    Outcome {
        /// Completed.
        Success = "success",
        /// Attempted and failed.
        Failure = "failure",
        /// Refused by an access check.
        Denied = "denied",
        /// Waiting, e.g. for approval.
        Pending = "pending",
        /// Still running.
        InProgress = "in_progress",
        /// The sender did not say.
        Unknown = "unknown",
    }
}

wire_enum! {
    /// How much a reviewer should care.
    Severity {
        /// Routine.
        Info = "info",
        /// Worth a glance.
        Low = "low",
        /// Worth a look.
        Medium = "medium",
        /// Needs attention.
        High = "high",
        /// Needs attention now.
        Critical = "critical",
    }
}

wire_enum! {
    /// What kind of principal acted.
    ActorType {
        /// A person.
        User = "user",
        /// A programmatic credential.
        ApiKey = "api_key",
        /// Another system or service account.
        Service = "service",
        /// The platform itself.
        System = "system",
        /// Nobody identified.
        Anonymous = "anonymous",
    }
}

/// A principal: who did something, or who else was involved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Stable identifier in the sending system.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Roles held at the time of the action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// What kind of principal.
    #[serde(rename = "type")]
    pub kind: ActorType,
}

/// A resource acted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Identifier in the sending system.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Resource type, e.g. `database`, `app`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Where in the sender's organisation an event happened. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// Application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// e.g. `production`, `staging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Organisation in the sending system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

impl Scope {
    /// The field names, in wire order.
    pub const FIELDS: &'static [&'static str] = &[
        "environment",
        "organization",
        "workspace",
        "project",
        "app",
        "folder",
    ];

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Scope::default()
    }

    /// Mutable access by wire name, for validation.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "environment" => Some(&mut self.environment),
            "organization" => Some(&mut self.organization),
            "workspace" => Some(&mut self.workspace),
            "project" => Some(&mut self.project),
            "app" => Some(&mut self.app),
            "folder" => Some(&mut self.folder),
            _ => None,
        }
    }
}

/// Network and client details, as sent plus what the server derives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Where `ip` is, derived by the server (or Cloudflare's geo for events sent from a browser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
    /// How the action was made: `web`, `api`, `cli`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Client IP address (v4 or v6), normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Request identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Session identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Distributed trace identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// `user_agent` parsed by the server, shared with the worker's cache of parsed user agents
    /// (senders repeat the same few), so enriching an event copies no strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ua: Option<Arc<UserAgent>>,
    /// Raw User-Agent header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Context {
    /// The sender-settable string fields besides `ip`, in wire order.
    pub const TEXT_FIELDS: &'static [&'static str] = &[
        "user_agent",
        "session_id",
        "request_id",
        "trace_id",
        "interface",
    ];

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }

    /// Mutable access to a text field by wire name, for validation.
    pub fn text_field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "user_agent" => Some(&mut self.user_agent),
            "session_id" => Some(&mut self.session_id),
            "request_id" => Some(&mut self.request_id),
            "trace_id" => Some(&mut self.trace_id),
            "interface" => Some(&mut self.interface),
            _ => None,
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Machine-readable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable message.
    pub message: String,
}

/// Before and after states of a changed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// State after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// State before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// JSON pointers to every value that differs, computed by the server.
    #[serde(default)]
    pub changed_fields: Vec<String>,
}

/// Which adapter read an event and which system sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Adapter: `native`, `livebook`, `airbyte`, ...
    pub format: String,
    /// Sending system's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Sending system's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_wire_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                Value::String(c.as_str().into())
            );
        }
        assert_eq!(Outcome::parse("in_progress"), Some(Outcome::InProgress));
        assert_eq!(Outcome::parse("Success"), None);
        assert_eq!(ActorType::parse("api_key"), Some(ActorType::ApiKey));
    }

    #[test]
    fn expected_lists_every_wire_name() {
        assert_eq!(
            Severity::expected(),
            "`info`, `low`, `medium`, `high`, `critical`"
        );
    }
}
