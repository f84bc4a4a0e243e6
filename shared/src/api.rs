//! Request and response bodies of the HTTP API other than the event itself, shared by the worker
//! (which writes them) and the dashboard and tests (which read them).

use serde::{Deserialize, Serialize};

use crate::event::Event;

/// One problem with one input value, located by a JSON pointer into the event (`/actor/id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// JSON pointer to the offending value; empty for the event as a whole.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl FieldError {
    /// Builds an error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The answer to an ingest request: what happened to each event, by its index in the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestResponse {
    /// Events stored by this request.
    pub accepted: usize,
    /// Events already stored earlier under the same idempotency key (stored nothing new).
    pub duplicates: usize,
    /// Events refused, each with every problem found.
    pub rejected: Vec<Rejected>,
    /// The id of every accepted or duplicate event.
    pub events: Vec<Accepted>,
    /// Adapter endpoints: lines or records that were read but are not audit events (e.g. other log
    /// lines), each with its line number and why, so nothing is dropped without a word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Set when nothing was stored because events were rejected (status 422), so that clients that only
    /// read the error envelope still see why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// One refused event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// Zero-based position among the request's events.
    pub index: usize,
    /// Adapter endpoints: the 1-based line (or record) of the body the event came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Every problem found.
    pub errors: Vec<FieldError>,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    /// Zero-based position among the request's events.
    pub index: usize,
    /// The stored event's id (for a duplicate, the id stored the first time).
    pub id: String,
    /// The event's place in the tenant's hash chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// True when an event with the same idempotency key was already stored: nothing new was stored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// An input line or record that was read but holds no audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// 1-based line (or record) in the request body.
    pub line: usize,
    /// Why it was skipped.
    pub reason: String,
}

/// A page of events, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    /// The events on this page.
    pub events: Vec<Event>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// On a first page: the chain head it was read as of. Passed to an export as `up_to_seq`, the
    /// file holds no event stored after the list was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to_seq: Option<u64>,
    /// On a first page: the server's time (epoch ms) its relative terms (`occurred:>-1h`) were
    /// taken from; passed to an export as `now`, they mean the same there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// On a first page: what live tail's polls of the same search send back (`tail_token`), so that
    /// they are not recorded as searches of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail_token: Option<String>,
}

/// The one error envelope every failing endpoint answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, for people and for programs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_json`, `unauthorized`.
    pub code: String,
    /// A sentence saying what is wrong and where.
    pub message: String,
    /// Field-level problems, when the error concerns input fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the database answered.
    pub status: String,
    /// The worker's version.
    pub version: String,
}

/// The answer of `GET /api/v1/verify`: whether a range of the tenant's chain recomputes, and if not,
/// the first link that does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// True when every event of the range recomputes and links to the one before it.
    pub ok: bool,
    /// First `seq` checked.
    pub from_seq: u64,
    /// Last `seq` checked (the chain head when none was asked for, or where a long range stopped).
    pub to_seq: u64,
    /// Events checked.
    pub checked: u64,
    /// The tenant's chain head: its last sealed `seq` and hash.
    pub head_seq: u64,
    /// The head's hash.
    pub head_hash: String,
    /// The first broken link, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_break: Option<ChainBreak>,
    /// Stored events of the tenant that are outside the chain: no `seq`, or one the recorded head
    /// does not reach (a deleted or rewound head). Any makes `ok` false.
    pub unsealed: u64,
    /// Where to continue when the range was longer than one request checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_from_seq: Option<u64>,
}

/// A link of the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// The chain position at fault.
    pub seq: u64,
    /// The id of the event stored there, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A stable code: `missing`, `altered`, `relinked`, `misplaced`, `foreign`, `column_edited`,
    /// `target_missing`, `head_mismatch`, `unreadable`.
    pub code: String,
    /// What is wrong, in words.
    pub message: String,
}
