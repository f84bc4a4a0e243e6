//! Export formatting (SPEC 4.2, `export?q=&format=csv|json|ndjson`): turns stored event bodies into
//! CSV, a JSON array or NDJSON, one row at a time, so the worker can stream every matching row page by
//! page without holding the export in memory, and the dashboard can build the same file client-side.
//!
//! [`ExportWriter`] is driven as `start`, then `row` for each stored body, then `finish`; each call
//! returns the next chunk of the file. Zero rows still make a valid file: the CSV header alone, or `[]`.
//!
//! **JSON and NDJSON** carry each stored body verbatim: it already is the event's canonical JSON, the
//! bytes its hash covers, so an auditor can re-hash what they downloaded. A body is only checked to be
//! one JSON object (a broken one would corrupt the whole file). The JSON array puts one event per line:
//! `[`, `\n{..}`, `,\n{..}`, `\n]\n`.
//!
//! **CSV** has a header line and one record per event, RFC 4180 quoting, CRLF line ends, UTF-8 without
//! a byte-order mark (so the file starts with the seed's header byte for byte). Columns, in this order
//! ([`CSV_COLUMNS`]); the order is stable: columns are never reordered or removed, new ones are added
//! at the end. The first six are the Activity Logs product's own export (seeds/003).
//!
//! | column | from the stored event |
//! |---|---|
//! | `timestamp` | `occurred_at` (RFC 3339 UTC with milliseconds and `Z`, as stored) |
//! | `user` | `actor.email`, else `actor.name`, else `actor.id`: the most recognisable name a person has |
//! | `action` | `action` |
//! | `resource` | the first of `targets`: its `name`, else `type:id` (every target is in `targets`) |
//! | `status` | `outcome` |
//! | `ip_address` | `context.ip` |
//! | `id`, `received_at` | the fields of the same name |
//! | `skew_ms` | `skew_ms` (integer, may be negative) |
//! | `category`, `severity`, `description` | the fields of the same name |
//! | `actor_type`, `actor_id`, `actor_name`, `actor_email` | `actor.type`, `.id`, `.name`, `.email` |
//! | `actor_roles` | `actor.roles` (JSON) |
//! | `participants`, `targets` | the fields of the same name (JSON) |
//! | `environment`, `organization`, `workspace`, `project`, `app`, `folder` | `scope.*` |
//! | `country`, `region`, `city` | `context.geo.*` (derived from the IP) |
//! | `browser`, `browser_version`, `os`, `os_version`, `device` | `context.ua.*` (parsed user agent) |
//! | `user_agent`, `interface`, `session_id`, `request_id`, `trace_id` | `context.*` |
//! | `source_format`, `source_name`, `source_version` | `source.format`, `.name`, `.version` |
//! | `error_code`, `error_message` | `error.code`, `error.message` |
//! | `duration_ms` | `duration_ms` (integer) |
//! | `before`, `after`, `changed_fields` | `changes.*` (JSON) |
//! | `code` | `payload.code` when it is a string: executed code as plain text, line breaks kept |
//! | `payload`, `metadata` | the fields of the same name (JSON; `payload` still includes `code`) |
//! | `flags`, `redacted` | the fields of the same name (JSON arrays) |
//! | `idempotency_key`, `tenant` | the fields of the same name |
//! | `seq`, `prev_hash`, `hash` | the hash chain: position (integer) and links (hex) |
//!
//! An absent field is an empty cell. JSON cells hold the stored body's own JSON text, byte for byte, so
//! `before` and `after` parse back to exactly what was hashed.
//!
//! **Formula injection** (OWASP "CSV Injection", CWE-1236). Spreadsheets run a cell that begins with
//! `=`, `+`, `-` or `@` as a formula, and a leading tab, carriage return or NUL (ASVS 5 1.2.10) can hide
//! such a start. Every text cell that begins with one of these, or with a `'` itself, gets a `'` in
//! front, which spreadsheets take as "this is text"; a program reading the raw file gets the value back
//! by dropping a leading `'` that is followed by one of those characters or by another `'`. Only the
//! first character matters: `Jean-Luc` and `a=b` are left alone. Integer and JSON cells are written
//! verbatim: the server prints them from the stored JSON, and the only one of those characters they
//! can begin with is the `-` of a negative number (`skew_ms`, a number in `before`), which a
//! spreadsheet reads as that number; a `'` would only corrupt them.

mod columns;
mod stored;

pub use columns::CSV_COLUMNS;

use std::borrow::Cow;
use std::fmt;

use serde_json::value::RawValue;

use stored::{IdOnly, Stored};

/// A file format `export` can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Comma-separated values with a header, for spreadsheets.
    Csv,
    /// One JSON array of events.
    Json,
    /// One event per line (newline-delimited JSON), for log tools and `jq`.
    Ndjson,
}

impl ExportFormat {
    /// Every format, in the order the API documents them.
    pub const ALL: [ExportFormat; 3] =
        [ExportFormat::Csv, ExportFormat::Json, ExportFormat::Ndjson];

    /// Parses the `format` query parameter: `csv`, `json` or `ndjson`, lowercase like every wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    /// The response's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The downloaded file's extension, without the dot.
    pub fn file_extension(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored body that could not be exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    /// Which call to [`ExportWriter::row`] it was, counting from 1.
    pub row: u64,
    /// The event's id, when the body could be read far enough to find it.
    pub id: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot export row {}", self.row)?;
        if let Some(id) = &self.id {
            write!(f, " (event {id})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for ExportError {}

/// Writes one export, chunk by chunk. See the module documentation for the formats.
#[derive(Debug, Clone)]
pub struct ExportWriter {
    format: ExportFormat,
    started: bool,
    finished: bool,
    rows_seen: u64,
    rows_written: u64,
}

impl ExportWriter {
    /// A writer for one export in `format`.
    pub fn new(format: ExportFormat) -> Self {
        ExportWriter {
            format,
            started: false,
            finished: false,
            rows_seen: 0,
            rows_written: 0,
        }
    }

    /// The format being written.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// How many rows have been written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// The file's opening: the CSV header line, `[` for JSON, nothing for NDJSON. Returns it once;
    /// `row` and `finish` emit it themselves if it has not been taken yet.
    pub fn start(&mut self) -> String {
        if self.started {
            return String::new();
        }
        self.started = true;
        match self.format {
            ExportFormat::Csv => columns::header(),
            ExportFormat::Json => "[".into(),
            ExportFormat::Ndjson => String::new(),
        }
    }

    /// One event, from its stored body. On error nothing is written and only the row number used in
    /// errors moves on, so the caller may stop, or skip the row and go on (and say that it skipped one).
    pub fn row(&mut self, body: &str) -> Result<String, ExportError> {
        debug_assert!(!self.finished, "row after finish");
        self.rows_seen += 1;
        let row = self.rows_seen;
        let text = match self.format {
            ExportFormat::Csv => {
                csv_record(body).map_err(|(id, reason)| ExportError { row, id, reason })?
            }
            ExportFormat::Json | ExportFormat::Ndjson => {
                let json = json_record(body).map_err(|reason| ExportError {
                    row,
                    id: None,
                    reason,
                })?;
                let (before, after) = match (self.format, self.rows_written) {
                    (ExportFormat::Ndjson, _) => ("", "\n"),
                    (_, 0) => ("\n", ""),
                    _ => (",\n", ""),
                };
                let mut out = String::with_capacity(before.len() + json.len() + after.len());
                out.push_str(before);
                out.push_str(&json);
                out.push_str(after);
                out
            }
        };
        self.rows_written += 1;
        Ok(if self.started {
            text
        } else {
            self.start() + &text
        })
    }

    /// The file's end: `]` and a line break for JSON, nothing otherwise. Returns it once.
    pub fn finish(&mut self) -> String {
        if self.finished {
            return String::new();
        }
        self.finished = true;
        let mut out = self.start();
        if self.format == ExportFormat::Json {
            out.push_str(if self.rows_written == 0 {
                "]\n"
            } else {
                "\n]\n"
            });
        }
        out
    }
}

/// A body as one line of JSON: checked to be one JSON object, otherwise untouched except that line
/// breaks between tokens (never in canonical JSON, and never inside a JSON string) become spaces.
fn json_record(body: &str) -> Result<Cow<'_, str>, String> {
    let raw: &RawValue =
        serde_json::from_str(body).map_err(|e| format!("the stored body is not JSON: {e}"))?;
    let text = raw.get();
    if !text.starts_with('{') {
        return Err("the stored body is not a JSON object".into());
    }
    Ok(if text.contains(['\n', '\r']) {
        text.replace(['\n', '\r'], " ").into()
    } else {
        text.into()
    })
}

/// A body as one CSV record, or the event's id (when readable) and what is wrong.
fn csv_record(body: &str) -> Result<String, (Option<String>, String)> {
    if !body.trim_start().starts_with('{') {
        return Err((None, "the stored body is not a JSON object".into()));
    }
    match serde_json::from_str::<Stored<'_>>(body) {
        Ok(event) => Ok(columns::record(&event)),
        Err(e) => {
            let id = serde_json::from_str::<IdOnly<'_>>(body)
                .ok()
                .and_then(|only| only.id)
                .map(|id| id.0.into_owned());
            Err((
                id,
                format!("the stored body does not read as an event: {e}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
