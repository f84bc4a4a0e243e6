//! The CSV columns of an export and how a cell is written: the names and the cells of a row are declared
//! in one list so they cannot drift apart, and every text cell passes the formula guard. The column
//! table and the guard's rule are documented in the public module, [`super`].

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::stored::{Integer, Stored, Text};

/// One cell, by how it is written.
enum Cell<'r> {
    /// Text that came from a sender: guarded against formulas.
    Text(Option<&'r str>),
    /// Integers and JSON, printed by the server: written as they are.
    Verbatim(Option<&'r str>),
}

fn text<'r>(value: &'r Text<'_>) -> Cell<'r> {
    Cell::Text(value.as_deref())
}

fn json<'r>(value: &'r Option<&RawValue>) -> Cell<'r> {
    Cell::Verbatim(value.map(RawValue::get))
}

fn integer<'r>(value: &'r Option<Integer<'_>>) -> Cell<'r> {
    Cell::Verbatim(value.as_ref().map(|i| i.0))
}

/// What the columns show that is not a field of its own.
struct Derived<'a> {
    resource: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
}

/// Declares the column names and the cells of a row in one list, so they cannot drift apart.
macro_rules! columns {
    ($e:ident, $d:ident; $($name:literal => $cell:expr,)+) => {
        /// The CSV header, in order; [`crate::export`] says where each column comes from.
        pub const CSV_COLUMNS: &[&str] = &[$($name),+];

        fn cells<'r>($e: &'r Stored<'r>, $d: &'r Derived<'r>) -> [Cell<'r>; CSV_COLUMNS.len()] {
            [$($cell),+]
        }
    };
}

columns! { e, d;
    "timestamp" => text(&e.occurred_at),
    "user" => Cell::Text(e.user()),
    "action" => text(&e.action),
    "resource" => Cell::Text(d.resource.as_deref()),
    "status" => text(&e.outcome),
    "ip_address" => text(&e.context.ip),
    "id" => text(&e.id),
    "received_at" => text(&e.received_at),
    "skew_ms" => integer(&e.skew_ms),
    "category" => text(&e.category),
    "severity" => text(&e.severity),
    "description" => text(&e.description),
    "actor_type" => text(&e.actor.kind),
    "actor_id" => text(&e.actor.id),
    "actor_name" => text(&e.actor.name),
    "actor_email" => text(&e.actor.email),
    "actor_roles" => json(&e.actor.roles),
    "participants" => json(&e.participants),
    "targets" => json(&e.targets),
    "environment" => text(&e.scope.environment),
    "organization" => text(&e.scope.organization),
    "workspace" => text(&e.scope.workspace),
    "project" => text(&e.scope.project),
    "app" => text(&e.scope.app),
    "folder" => text(&e.scope.folder),
    "country" => text(&e.context.geo.country),
    "region" => text(&e.context.geo.region),
    "city" => text(&e.context.geo.city),
    "browser" => text(&e.context.ua.browser),
    "browser_version" => text(&e.context.ua.browser_version),
    "os" => text(&e.context.ua.os),
    "os_version" => text(&e.context.ua.os_version),
    "device" => text(&e.context.ua.device),
    "user_agent" => text(&e.context.user_agent),
    "interface" => text(&e.context.interface),
    "session_id" => text(&e.context.session_id),
    "request_id" => text(&e.context.request_id),
    "trace_id" => text(&e.context.trace_id),
    "source_format" => text(&e.source.format),
    "source_name" => text(&e.source.name),
    "source_version" => text(&e.source.version),
    "error_code" => text(&e.error.code),
    "error_message" => text(&e.error.message),
    "duration_ms" => integer(&e.duration_ms),
    "before" => json(&e.changes.before),
    "after" => json(&e.changes.after),
    "changed_fields" => json(&e.changes.changed_fields),
    "code" => Cell::Text(d.code.as_deref()),
    "payload" => json(&e.payload),
    "metadata" => json(&e.metadata),
    "flags" => json(&e.flags),
    "redacted" => json(&e.redacted),
    "idempotency_key" => text(&e.idempotency_key),
    "tenant" => text(&e.tenant),
    "seq" => integer(&e.seq),
    "prev_hash" => text(&e.prev_hash),
    "hash" => text(&e.hash),
}

/// True when a spreadsheet could read `cell` as a formula, or when the cell starts with the `'` a
/// guard adds (so that dropping one leading `'` gives back any guarded cell exactly: `'=x` sent is
/// written `''=x`, `=x` sent is `'=x`).
fn needs_guard(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0' | b'\'')
    )
}

/// The header line.
pub(super) fn header() -> String {
    write_record(CSV_COLUMNS.iter().map(|name| Cell::Text(Some(name))))
}

/// One event's line (a record may span lines when a cell holds line breaks).
pub(super) fn record(event: &Stored<'_>) -> String {
    let derived = Derived {
        resource: event.resource(),
        code: event.code(),
    };
    write_record(cells(event, &derived))
}

fn write_record<'r>(cells: impl IntoIterator<Item = Cell<'r>>) -> String {
    // The csv crate writes to an `io::Write` through its own buffer; a small one suits rows of a few KB.
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(1024)
        .from_writer(Vec::with_capacity(512));
    for cell in cells {
        let written = match cell {
            Cell::Text(Some(s)) if needs_guard(s) => csv.write_field(format!("'{s}")),
            Cell::Text(s) | Cell::Verbatim(s) => csv.write_field(s.unwrap_or("")),
        };
        written.expect("writing CSV to memory cannot fail");
    }
    csv.write_record(None::<&[u8]>)
        .expect("writing CSV to memory cannot fail");
    let bytes = csv.into_inner().expect("writing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV made of UTF-8 cells is UTF-8")
}

#[cfg(test)]
#[path = "columns_tests.rs"]
mod tests;
