//! The ingest pipeline for the native endpoint, minus I/O: split the body into events, validate and
//! normalise each, and build the rows to store plus the per-event answer. Randomness comes in as bytes
//! so the whole pipeline runs and is tested (and benchmarked) natively.

use evident_shared::api::{Accepted, ErrorDetail, IngestResponse, Rejected};
use evident_shared::body::{split_events, BodyError, Framing};
use evident_shared::ids::event_id;
use evident_shared::timestamp::{parse_rfc3339, Millis};
use evident_shared::validate::{validate_event, Stamp};
use serde_json::Value;

use crate::error::ApiError;
use crate::sql::event_row;

/// Random bytes each event id needs beyond its timestamp and index.
pub const RANDOM_BYTES_PER_EVENT: usize = 8;

/// What to store and what to answer.
#[derive(Debug)]
pub struct Prepared {
    /// One row per accepted event, for [`crate::sql::INSERT_EVENTS`]; empty when nothing is to be stored.
    pub rows: Vec<Value>,
    /// The per-event answer.
    pub response: IngestResponse,
}

impl Prepared {
    /// 201 when every event was stored, 207 when some were rejected, 422 when none was stored.
    pub fn status(&self) -> u16 {
        match (self.response.rejected.is_empty(), self.rows.is_empty()) {
            (true, _) => 201,
            (false, false) => 207,
            (false, true) => 422,
        }
    }
}

/// Runs the pipeline. `random` must hold [`RANDOM_BYTES_PER_EVENT`] bytes per event (or more).
/// With `atomic`, one rejected event means nothing is stored.
pub fn prepare(
    body: &str,
    framing: Framing,
    tenant: &str,
    received_at: Millis,
    atomic: bool,
    random: &[u8],
) -> Result<Prepared, ApiError> {
    let values = split_events(body, framing).map_err(body_error)?;
    let mut response = IngestResponse::default();
    let mut rows = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let stamp = Stamp {
            tenant,
            id: new_id(received_at, index, random),
            received_at,
            format: "native",
        };
        match validate_event(value, stamp) {
            Ok(event) => {
                // `occurred_at` was normalised by validation, so it parses back exactly.
                let occurred_at = parse_rfc3339(&event.occurred_at).unwrap_or(received_at);
                rows.push(event_row(&event, occurred_at, received_at));
                response.events.push(Accepted {
                    index,
                    id: event.id,
                });
            }
            Err(errors) => response.rejected.push(Rejected { index, errors }),
        }
    }
    if !response.rejected.is_empty() && (atomic || rows.is_empty()) {
        rows.clear();
        response.events.clear();
        let n = response.rejected.len();
        let message = if atomic {
            format!(
                "{n} of {} events are invalid and `atomic=true` was asked: nothing was stored",
                values.len()
            )
        } else {
            format!("all {n} events are invalid: nothing was stored")
        };
        response.error = Some(ErrorDetail {
            code: "invalid_events".into(),
            message,
            errors: vec![],
        });
    }
    response.accepted = rows.len();
    Ok(Prepared { rows, response })
}

/// A UUIDv7 whose 12 bits after the timestamp hold the event's index, so ids of one request sort in
/// request order, and whose remaining bits are random.
fn new_id(received_at: Millis, index: usize, random: &[u8]) -> String {
    let mut bytes = [0u8; 10];
    bytes[0] = ((index >> 8) & 0x0f) as u8;
    bytes[1] = (index & 0xff) as u8;
    let start = index * RANDOM_BYTES_PER_EVENT;
    if let Some(chunk) = random.get(start..start + RANDOM_BYTES_PER_EVENT) {
        bytes[2..].copy_from_slice(chunk);
    }
    event_id(received_at, bytes)
}

fn body_error(err: BodyError) -> ApiError {
    if err.is_too_large() {
        ApiError::TooLarge {
            code: err.code(),
            message: err.to_string(),
        }
    } else {
        ApiError::BadRequest {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_700_000_000_000;

    fn run(body: &str, atomic: bool) -> Result<Prepared, ApiError> {
        prepare(body, Framing::Json, "acme", NOW, atomic, &[7u8; 8 * 1000])
    }

    #[test]
    fn valid_events_are_stored_even_when_others_are_rejected() {
        let body = r#"[{"action":"a.create","actor":{"id":"u1"}}, {"action":"bad"}, {"action":"a.delete","actor":{"id":"u2"}}]"#;
        let p = run(body, false).unwrap();
        assert_eq!(p.status(), 207);
        assert_eq!(p.response.accepted, 2);
        assert_eq!(p.response.rejected.len(), 1);
        assert_eq!(p.response.rejected[0].index, 1);
        let paths: Vec<_> = p.response.rejected[0]
            .errors
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(paths, vec!["/action", "/actor"]);
        assert_eq!(p.rows.len(), 2);
        let ids: Vec<_> = p.response.events.iter().map(|a| a.id.clone()).collect();
        assert!(ids[0] < ids[1], "ids sort in request order");
    }

    #[test]
    fn atomic_requests_store_nothing_when_one_event_is_bad() {
        let body =
            r#"[{"action":"a.create","actor":{"id":"u1"}}, {"action":"bad","actor":{"id":"u1"}}]"#;
        let p = run(body, true).unwrap();
        assert_eq!(p.status(), 422);
        assert!(p.rows.is_empty());
        assert!(p.response.events.is_empty());
        assert_eq!(p.response.accepted, 0);
        assert_eq!(p.response.error.as_ref().unwrap().code, "invalid_events");
    }

    #[test]
    fn request_level_errors_map_to_their_status() {
        assert_eq!(run("[{]", false).unwrap_err().status(), 400);
        let many = format!("[{}]", vec!["{}"; 1001].join(","));
        assert_eq!(run(&many, false).unwrap_err().status(), 413);
    }

    #[test]
    fn rows_carry_the_body_as_served() {
        let p = run(r#"{"action":"code.evaluate","actor":{"id":"1","email":"a@b.c"},"payload":{"code":"1 + 1"}}"#, false).unwrap();
        let row = p.rows[0].as_array().unwrap();
        assert_eq!(row[3], "code.evaluate");
        assert_eq!(row[4], "execute");
        assert_eq!(row[9], "a@b.c");
        let body: Value = serde_json::from_str(row[14].as_str().unwrap()).unwrap();
        assert_eq!(body["payload"]["code"], "1 + 1");
        assert_eq!(body["id"], row[0]);
    }
}
