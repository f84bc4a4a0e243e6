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
    /// Set when nothing was stored because events were rejected (status 422), so that clients that only
    /// read the error envelope still see why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// One refused event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// Zero-based position in the request (line number minus one for NDJSON).
    pub index: usize,
    /// Every problem found.
    pub errors: Vec<FieldError>,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    /// Zero-based position in the request.
    pub index: usize,
    /// The stored event's id.
    pub id: String,
}

/// A page of events, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    /// The events on this page.
    pub events: Vec<Event>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
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
