//! `GET /api/v1/export?format=csv|json|ndjson` plus the list's filters (`q`, `from`, `to`, `actor`,
//! `action`, `outcome`): every matching event, newest first, as a download.
//!
//! The file is streamed: the worker reads up to [`EXPORT_PAGE`] events at a time by keyset (the list's
//! own index path; fewer while the events are large, so a page stays a few megabytes) and sends each
//! page as soon as it is formatted, so neither side holds the export in memory and there is no cap on
//! its size. Two things make it trustworthy:
//! - **A fixed snapshot.** The chain head's `seq` is read with the first page, in one batch, and every
//!   page keeps to events sealed at or before it, or before the `up_to_seq` asked for when that is
//!   lower (sent back as `X-Evident-Up-To-Seq`), so events stored while the file streams,
//!   even back-dated ones that would sort into pages not yet read, neither appear nor shift it.
//! - **Errors before the first byte are answers.** Parameters are checked and the first page is read
//!   before the response starts, so a bad query or an unreachable database is a JSON error with its
//!   status. A failure after that aborts the body, so the download fails instead of ending short
//!   looking complete.

use evident_shared::cursor::Cursor;
use evident_shared::export::ExportWriter;
use evident_shared::timestamp::format_rfc3339;
use futures_util::stream;
use worker::{D1Database, Env, Request, Response};

use crate::audit::{self, Origin};
use crate::auth::{authorize, Caller};
use crate::error::Result;
use crate::params::{self, EXPORT_PAGE};
use crate::routes::events::query_pairs;
use crate::sql::ListQuery;
use crate::{reads, respond, store};
use evident_shared::roles::Power;

pub async fn get(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let now = worker::js_sys::Date::now() as i64;
    let pairs = query_pairs(req)?;
    let (format, mut query) = params::export_query(&pairs, now)?;
    debug_assert_eq!(query.limit, EXPORT_PAGE);
    let db = env.d1("DB")?;
    // Pages grow from a few rows to EXPORT_PAGE while the events are small (store::next_page_rows).
    query.limit = store::FIRST_PAGE_ROWS;
    let (bodies, next, head) = store::list_first_page(&db, caller.reach(), &query).await?;
    // The snapshot: the chain as the first page saw it, or the earlier head of the list being
    // exported.
    let up_to = query.up_to_seq.map_or(head, |asked| asked.min(head));
    query.up_to_seq = Some(up_to);
    let first = (bodies, next);
    // Recorded before the first byte, after the snapshot's head: the record is not in the file.
    let event = reads::export(&caller, &pairs, up_to);
    audit::record(
        event.into_event(&Origin::request(req)),
        req,
        env,
        &caller.tenant,
    )
    .await?;
    let export = Export {
        db,
        caller,
        query,
        writer: ExportWriter::new(format),
        next: Next::Page(first),
    };
    let file_name = format!(
        "evident-events-{}.{}",
        compact_utc(now),
        format.file_extension()
    );
    let up_to_seq = up_to.to_string();
    Ok(respond::download(
        format.content_type(),
        &file_name,
        &[("x-evident-up-to-seq", &up_to_seq)],
        stream::try_unfold(export, Export::next_chunk),
    )?)
}

/// An export under way: where it reads from, and what comes next.
struct Export {
    db: D1Database,
    /// Whose events it reads ([`Caller::reach`]).
    caller: Caller,
    query: ListQuery,
    writer: ExportWriter,
    next: Next,
}

/// The step after the chunk just sent.
enum Next {
    /// Format this page (already read), then go on from its cursor if it has one.
    Page((Vec<String>, Option<Cursor>)),
    /// Read the page after this cursor.
    Read(Cursor),
    /// The file is complete.
    Done,
}

impl Export {
    /// The next chunk of the file (one page of events, the last one with the file's end), or `None`
    /// when the file is complete.
    async fn next_chunk(mut self) -> worker::Result<Option<(Vec<u8>, Export)>> {
        let (bodies, cursor) = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return Ok(None),
            Next::Page(page) => page,
            Next::Read(cursor) => {
                self.query.cursor = Some(cursor);
                store::list_events(&self.db, self.caller.reach(), &self.query)
                    .await
                    .map_err(|e| stream_error(format!("reading the next page failed: {e}")))?
            }
        };
        let largest = bodies.iter().map(String::len).max().unwrap_or(0);
        self.query.limit = store::next_page_rows(largest, EXPORT_PAGE);
        let mut chunk = self.writer.start();
        for body in &bodies {
            let row = self
                .writer
                .row(body)
                .map_err(|e| stream_error(e.to_string()))?;
            chunk.push_str(&row);
        }
        match cursor {
            Some(cursor) => self.next = Next::Read(cursor),
            None => chunk.push_str(&self.writer.finish()),
        }
        Ok(Some((chunk.into_bytes(), self)))
    }
}

/// An error that aborts a download already under way; logged, since the client only sees the body end.
fn stream_error(message: String) -> worker::Error {
    worker::console_error!("export aborted: {message}");
    worker::Error::RustError(format!("export aborted: {message}"))
}

/// `2026-11-22T10:15:00.000Z` as `20261122T101500Z`, for file names.
fn compact_utc(ms: i64) -> String {
    let text = format_rfc3339(ms);
    let mut out: String = text
        .chars()
        .take(19)
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::compact_utc;

    #[test]
    fn file_names_carry_a_compact_utc_time() {
        assert_eq!(compact_utc(1_717_200_000_000), "20240601T000000Z");
        assert_eq!(compact_utc(1_717_286_399_999), "20240601T235959Z");
    }
}
