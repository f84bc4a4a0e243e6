//! Reads the query string of `GET /api/v1/events` into a [`ListQuery`], naming the parameter at fault
//! in every error. Unknown parameters are refused so that a typo never silently widens a search.

use evident_shared::cursor::Cursor;
use evident_shared::event::Outcome;
use evident_shared::export::ExportFormat;
use evident_shared::query::parse;
use evident_shared::timestamp::{check_range, parse_rfc3339, Millis, MAX_MILLIS};

use crate::error::{ApiError, Result};
use crate::sql::{ActionMatch, ListQuery};

/// Largest page.
pub const MAX_LIMIT: u32 = 500;

const KNOWN: &[&str] = &[
    "q",
    "from",
    "to",
    "actor",
    "action",
    "outcome",
    "cursor",
    "limit",
    "tail",
    "tail_token",
];

pub(crate) fn invalid(message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message,
    }
}

/// Parses the list parameters; `now` is when relative times in `q` count from, unless the cursor
/// carries its first page's view ([`evident_shared::cursor::View`]).
pub fn list_query(pairs: &[(String, String)], now: Millis) -> Result<ListQuery> {
    let mut q = ListQuery {
        now,
        ..ListQuery::default()
    };
    for (name, raw) in pairs {
        let value = raw.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            // Untrimmed, so that an error's span counts from the query's first byte as sent.
            "q" => q.filter = parse(raw).map_err(ApiError::query)?,
            "from" => q.from = Some(instant("from", value)?),
            "to" => q.to = Some(instant("to", value)?),
            "actor" => q.actor = Some(value.to_string()),
            "action" => q.action = Some(action(value)?),
            "outcome" => {
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let outcome = Outcome::parse(part).ok_or_else(|| {
                        invalid(format!(
                            "`outcome`: `{part}` is not one of {}",
                            Outcome::expected()
                        ))
                    })?;
                    if !q.outcomes.contains(&outcome) {
                        q.outcomes.push(outcome);
                    }
                }
            }
            "cursor" => q.cursor = Some(Cursor::decode(value).map_err(invalid)?),
            "limit" => q.limit = limit(value, MAX_LIMIT)?,
            // Live tail's polls say so; it only decides whether the read is recorded
            // ([`crate::reads::is_new_search`]).
            "tail" if value == "0" || value == "1" => {}
            "tail" => return Err(invalid(format!("`tail` must be 0 or 1, not `{value}`"))),
            // The first page's proof that a poll continues its search (checked by the route).
            "tail_token" => {}
            other => {
                return Err(invalid(format!(
                    "unknown query parameter `{other}`; expected one of {}",
                    KNOWN.join(", ")
                )))
            }
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from >= to {
            return Err(invalid("`from` must be earlier than `to`".into()));
        }
    }
    // A later page reads as its first page did: the same window for `occurred:>-24h` however long
    // the reader takes to ask for more, and none of the events stored since.
    if let Some(view) = q.cursor.as_ref().and_then(|c| c.view) {
        q.now = view.now;
        q.up_to_seq = Some(view.up_to_seq);
    }
    Ok(q)
}

/// Parses the export parameters: `format` (required), the list's filters, and optionally what a
/// list's first page was read as of (`up_to_seq`, and `now` for relative terms). `cursor` and
/// `limit` are refused: an export holds every matching event, never one page of them.
pub fn export_query(
    pairs: &[(String, String)],
    mut now: Millis,
) -> Result<(ExportFormat, ListQuery)> {
    let mut format = None;
    let mut up_to_seq = None;
    let mut filters = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        match name.as_str() {
            "format" => {
                let value = value.trim();
                format = Some(ExportFormat::parse(value).ok_or_else(|| {
                    invalid(format!(
                        "`format`: `{value}` is not one of csv, json, ndjson"
                    ))
                })?);
            }
            "cursor" | "limit" => {
                return Err(invalid(format!(
                    "`{name}` does not apply to exports: an export holds every matching event"
                )))
            }
            // The view a list's first page was read as of (its `up_to_seq` and `now`), so that the
            // file holds what the list held.
            "up_to_seq" => up_to_seq = Some(whole_number(name, value)?),
            "now" => {
                now = whole_number(name, value)
                    .ok()
                    .and_then(|n| i64::try_from(n).ok())
                    .filter(|n| *n <= MAX_MILLIS)
                    .ok_or_else(|| {
                        invalid(format!(
                            "`now`: `{}` is not a time in ms between 1970 and 9999",
                            value.trim()
                        ))
                    })?
            }
            _ => filters.push((name.clone(), value.clone())),
        }
    }
    let format =
        format.ok_or_else(|| invalid("`format` is required: csv, json or ndjson".into()))?;
    let mut query = list_query(&filters, now)?;
    query.limit = EXPORT_PAGE;
    query.up_to_seq = up_to_seq;
    Ok((format, query))
}

/// A parameter that must be a whole number.
fn whole_number(name: &str, value: &str) -> Result<u64> {
    value.trim().parse().map_err(|_| {
        invalid(format!(
            "`{name}`: `{}` is not a whole number",
            value.trim()
        ))
    })
}

/// Most rows an export reads per D1 query: enough that per-query overhead is small. Pages of large
/// events hold fewer ([`crate::store::next_page_rows`]), so a page stays a few megabytes.
pub const EXPORT_PAGE: u32 = 1000;

/// Reads a `limit` parameter: a whole number from 1 to `max`.
pub(crate) fn limit(value: &str, max: u32) -> Result<u32> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            invalid(format!(
                "`limit` must be a whole number from 1 to {max}, not `{value}`"
            ))
        })
}

pub(crate) fn instant(name: &str, value: &str) -> Result<Millis> {
    let parsed = match value.parse::<i64>() {
        Ok(ms) => check_range(ms),
        Err(_) => parse_rfc3339(value),
    };
    parsed.map_err(|reason| invalid(format!("`{name}`: {reason}")))
}

fn action(value: &str) -> Result<ActionMatch> {
    let lower = value.to_ascii_lowercase();
    let (text, prefix) = match lower.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (lower.as_str(), false),
    };
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(invalid(format!(
            "`action`: `{value}` is not an action like `app.delete` or a prefix like `app.*`"
        )));
    }
    Ok(if prefix {
        ActionMatch::Prefix(text.to_string())
    } else {
        ActionMatch::Exact(text.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_query_at(pairs: &[(String, String)]) -> Result<ListQuery> {
        list_query(pairs, 1_717_300_000_000)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_query_error_counts_its_span_from_the_first_byte_sent() {
        let Err(ApiError::BadRequest { message, .. }) = list_query_at(&pairs(&[("q", "  actr:x")]))
        else {
            panic!("an unknown field is a bad request");
        };
        assert!(message.contains("(at 2..6)"), "{message}");
        // A query of spaces alone is no query.
        assert!(list_query_at(&pairs(&[("q", "   ")]))
            .unwrap()
            .filter
            .is_empty());
    }

    #[test]
    fn reads_every_parameter() {
        let q = list_query_at(&pairs(&[
            ("from", "2024-06-01T00:00:00Z"),
            ("to", "1717286400000"),
            ("actor", "alice@corp.com"),
            ("action", "App.*"),
            ("outcome", "failure, denied,failure"),
            ("limit", "10"),
        ]))
        .unwrap();
        assert_eq!(q.from, Some(1_717_200_000_000));
        assert_eq!(q.to, Some(1_717_286_400_000));
        assert_eq!(q.action, Some(ActionMatch::Prefix("app.".into())));
        assert_eq!(q.outcomes, vec![Outcome::Failure, Outcome::Denied]);
        assert_eq!(q.limit, 10);
    }

    #[test]
    fn a_later_page_reads_as_its_first_page_did() {
        let first = list_query(&pairs(&[("q", "occurred:>-24h")]), 1_717_300_000_000).unwrap();
        let later = list_query(
            &pairs(&[
                ("q", "occurred:>-24h"),
                ("cursor", "1717299000000.7.1717300000000.42"),
            ]),
            1_717_300_600_000,
        )
        .unwrap();
        assert_eq!(later.now, first.now);
        assert_eq!(later.up_to_seq, Some(42));
        // A cursor without a view (a history page's) leaves the request's own time, and every event.
        let plain = list_query(&pairs(&[("cursor", "1717299000000.7")]), 1_717_300_600_000);
        let plain = plain.unwrap();
        assert_eq!((plain.now, plain.up_to_seq), (1_717_300_600_000, None));
    }

    #[test]
    fn export_reads_the_format_and_the_list_filters() {
        let (format, q) = export_query(
            &pairs(&[
                ("format", "ndjson"),
                ("q", "env:prod"),
                ("outcome", "denied"),
            ]),
            1_717_300_000_000,
        )
        .unwrap();
        assert_eq!(format, ExportFormat::Ndjson);
        assert_eq!(q.outcomes, vec![Outcome::Denied]);
        assert_eq!(q.limit, EXPORT_PAGE);
        assert!(q.cursor.is_none());
        for (list, needle) in [
            (vec![], "`format` is required"),
            (vec![("format", "xlsx")], "`format`: `xlsx`"),
            (
                vec![("format", "csv"), ("limit", "10")],
                "`limit` does not apply",
            ),
            (
                vec![("format", "csv"), ("cursor", "x")],
                "`cursor` does not apply",
            ),
            (vec![("format", "csv"), ("colour", "red")], "`colour`"),
            (vec![("format", "csv"), ("q", "actr:x")], "actor"),
        ] {
            let err = export_query(&pairs(&list), 0).unwrap_err();
            assert_eq!(err.status(), 400, "{list:?}");
            assert!(err.to_string().contains(needle), "{list:?}: {err}");
        }
    }

    #[test]
    fn errors_name_the_parameter() {
        for (name, value, needle) in [
            ("limit", "0", "`limit`"),
            ("limit", "501", "`limit`"),
            ("outcome", "maybe", "`outcome`"),
            ("from", "yesterday", "`from`"),
            ("action", "app'; --", "`action`"),
            ("cursor", "nope", "`cursor`"),
            ("colour", "red", "`colour`"),
        ] {
            let err = list_query_at(&pairs(&[(name, value)])).unwrap_err();
            assert_eq!(err.status(), 400);
            assert!(err.to_string().contains(needle), "{name}: {err}");
        }
        let err = list_query_at(&pairs(&[
            ("from", "2024-06-02T00:00:00Z"),
            ("to", "2024-06-01T00:00:00Z"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("earlier"), "{err}");
    }
}
