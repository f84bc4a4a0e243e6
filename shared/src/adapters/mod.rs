//! Format adapters: read the seed systems' own audit formats as they are and turn each audit record into
//! one event in Evident's native shape (SPEC 3.2), ready for [`crate::validate::validate_event`].
//!
//! An adapter never drops anything silently. Every piece of the body ends up in exactly one of three lists:
//! - `records`: audit events, as native event JSON (no server-owned fields, no `source.format`: the worker
//!   stamps the format it was called with);
//! - `skipped`: readable input that is not an audit event (a Livebook log line about something else, a
//!   plain-text line mixed into a log, an Airbyte log event whose message holds no `AuditLogEntry`);
//! - `unreadable`: input that looks like an audit record but cannot be read (a broken JSON line, an
//!   `AuditLogEntry` text that does not parse, a CSV row with the wrong number of columns).
//!
//! A body that cannot be read at all (an Airbyte file that is not JSON, a JSON array with a syntax error) is
//! an [`AdaptError`] instead, with the line and column at fault.
//!
//! Line numbers: `line` is always the 1-based line of the body on which the record starts, whether the
//! body is NDJSON, a JSON array (the line of the element's opening brace), a single object, or CSV (the line
//! where the row starts, which differs from the row number when quoted fields hold newlines).
//!
//! Idempotency: where the source system gives its events an id, the event's `idempotency_key` is
//! `<format>:<id>`. Where it gives none (Livebook, Activity Logs), the key is `<format>#<hash>` (SHA-256) over the
//! record's own text, with `-<n>` appended for the n-th identical record in the same body, so that re-sending
//! the same file stores nothing twice while two identical rows in one file are both kept. The worker keys
//! that hash with a secret of the tenant's before storing it (`worker/src/derived_keys.rs`): the text
//! may hold a secret that redaction removes.

mod activity;
mod airbyte;
mod common;
mod langfuse;
mod livebook;
mod lowcoder;
mod tostring;

use serde_json::Value;

/// Largest body an adapter accepts, the same as the native endpoint's limit.
pub const MAX_BODY_BYTES: usize = crate::body::MAX_BODY_BYTES;

/// A seed system's audit format, as named in `POST /api/v1/ingest/{format}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Livebook's JSON log lines (seeds/000).
    Livebook,
    /// Airbyte's audit files, `{"events": [...]}` with `AuditLogEntry(...)` messages (seeds/001).
    Airbyte,
    /// Langfuse audit log records (seeds/002).
    Langfuse,
    /// The generic "Activity Logs" webhook shape and CSV export (seeds/003).
    Activity,
    /// Lowcoder's audit events (seeds/004).
    Lowcoder,
}

impl Format {
    /// Every format, in seed order.
    pub const ALL: [Format; 5] = [
        Format::Livebook,
        Format::Airbyte,
        Format::Langfuse,
        Format::Activity,
        Format::Lowcoder,
    ];

    /// Parses a format name as used in the URL (exact, lowercase).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The name used in the URL and in `source.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Livebook => "livebook",
            Format::Airbyte => "airbyte",
            Format::Langfuse => "langfuse",
            Format::Activity => "activity",
            Format::Lowcoder => "lowcoder",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the request says about the body besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hint<'a> {
    /// The `Content-Type` header value (may be empty). `text/csv` selects the Activity CSV export.
    pub content_type: &'a str,
    /// The uploaded file's name, when known: Airbyte's `<yyyyMMddHHmmss>_<hostname>_<uuid>` becomes metadata.
    pub file_name: Option<&'a str>,
}

/// One audit event read from the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line of the body on which the record starts.
    pub line: usize,
    /// The event as a native event JSON object.
    pub event: Value,
}

/// A part of the body that produced no event, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the body on which the part starts.
    pub line: usize,
    /// Why it produced no event.
    pub reason: String,
}

/// Everything an adapter read from one body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adapted {
    /// The audit events, in body order.
    pub records: Vec<Record>,
    /// Readable parts that are not audit events.
    pub skipped: Vec<Problem>,
    /// Audit-looking parts that could not be read.
    pub unreadable: Vec<Problem>,
}

impl Adapted {
    fn skip(&mut self, line: usize, reason: impl Into<String>) {
        self.skipped.push(Problem {
            line,
            reason: reason.into(),
        });
    }

    fn unreadable(&mut self, line: usize, reason: impl Into<String>) {
        self.unreadable.push(Problem {
            line,
            reason: reason.into(),
        });
    }

    fn record(&mut self, line: usize, event: serde_json::Map<String, Value>) {
        self.records.push(Record {
            line,
            event: Value::Object(event),
        });
    }
}

/// The body as a whole cannot be read: nothing in it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdaptError {
    /// The body holds nothing but whitespace.
    #[error("the body is empty: send the {format} file's contents")]
    Empty {
        /// The format asked for.
        format: Format,
    },
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("the body is {bytes} bytes; the limit is {MAX_BODY_BYTES} bytes (5 MiB)")]
    TooLarge {
        /// Size of the body in bytes.
        bytes: usize,
    },
    /// The body is not valid JSON.
    #[error("malformed JSON at line {line}, column {column}: {reason}")]
    Malformed {
        /// 1-based line in the body.
        line: usize,
        /// 1-based column in that line.
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// The body is valid JSON (or text) but not in the format's shape.
    #[error("line {line}: {expected}")]
    WrongShape {
        /// 1-based line in the body.
        line: usize,
        /// What the format expects there.
        expected: String,
    },
}

impl AdaptError {
    /// A stable machine-readable code, matching [`crate::body::BodyError::code`] where they overlap.
    pub fn code(&self) -> &'static str {
        match self {
            AdaptError::Empty { .. } => "empty_body",
            AdaptError::TooLarge { .. } => "body_too_large",
            AdaptError::Malformed { .. } => "invalid_json",
            AdaptError::WrongShape { .. } => "invalid_body",
        }
    }

    /// True for the error answered with 413 Payload Too Large; false for 400 Bad Request.
    pub fn is_too_large(&self) -> bool {
        matches!(self, AdaptError::TooLarge { .. })
    }
}

/// Reads `body` in `format` into native events plus what was skipped or unreadable.
pub fn adapt(format: Format, body: &str, hint: Hint<'_>) -> Result<Adapted, AdaptError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(AdaptError::TooLarge { bytes: body.len() });
    }
    // Files saved by spreadsheet programs and some editors start with a byte-order mark; it is not
    // part of the first line.
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    if body.trim().is_empty() {
        return Err(AdaptError::Empty { format });
    }
    match format {
        Format::Livebook => Ok(livebook::adapt(body)),
        Format::Airbyte => airbyte::adapt(body, hint),
        Format::Langfuse => langfuse::adapt(body),
        Format::Activity => activity::adapt(body, hint),
        Format::Lowcoder => lowcoder::adapt(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!(Format::parse("Livebook"), None);
        assert_eq!(Format::parse("native"), None);
    }

    #[test]
    fn empty_and_oversized_bodies_are_refused_whole() {
        let err = adapt(Format::Langfuse, " \n\t", Hint::default()).unwrap_err();
        assert_eq!(
            err,
            AdaptError::Empty {
                format: Format::Langfuse
            }
        );
        assert_eq!(err.code(), "empty_body");
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        let err = adapt(Format::Livebook, &big, Hint::default()).unwrap_err();
        assert!(err.is_too_large());
        assert!(err.to_string().contains("5 MiB"), "{err}");
    }

    /// A byte-order mark before the first line is not part of it, in every format.
    #[test]
    fn a_byte_order_mark_is_not_part_of_the_body() {
        let livebook = r#"{"message":"Evaluating code","time":"2025-10-06T21:19:19.851+02:00","severity":"info","metadata":{"code":"1","event":"code.evaluate","users":[{"id":"7"}]}}"#;
        let lowcoder = r#"[{"eventType":"APPLICATION_VIEW","userId":"u1","createTime":"2024-06-12T14:30:22Z"}]"#;
        let csv = "timestamp,user,action,resource,status,ip_address\n\
                   2024-06-12T14:30:22Z,ann@example.com,login,app,success,10.0.0.1\n";
        for (format, body, content_type) in [
            (Format::Livebook, livebook, ""),
            (Format::Lowcoder, lowcoder, "application/json"),
            (Format::Activity, csv, ""),
        ] {
            let hint = Hint {
                content_type,
                file_name: None,
            };
            let plain = adapt(format, body, hint).unwrap();
            let marked = adapt(format, &format!("\u{feff}{body}"), hint).unwrap();
            assert_eq!(plain.records.len(), 1, "{format}: {plain:?}");
            assert_eq!(marked, plain, "{format}");
        }
    }
}
