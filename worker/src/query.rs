//! Compiles a parsed search query ([`evident_shared::query`]) into SQL conditions. Each term becomes a
//! fixed fragment with `?` placeholders and its values are bound; nothing a person typed reaches the
//! SQL text. Terms are ANDed, a term's values ORed, and a negated term keeps the events where the
//! field is absent (`-env:dev` keeps events with no environment).
//!
//! The same compiler targets the events table and the rollups (`event_counts`), whose dimension
//! columns have the same names; [`fits_rollups`] says whether a query can be answered from them.

use evident_shared::query::{CompareOp, Field, Operand, Query, QueryError, TermKind, Value};
use evident_shared::timestamp::Millis;

use crate::sql::{prefix_end, Builder, SqlValue};

/// What the conditions are written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `events`, every field and free text.
    Events,
    /// `event_counts`: only the rollup dimensions ([`rollup_column`]).
    Counts,
}

/// The rollup column of a field, when the rollups hold it.
pub fn rollup_column(field: &Field) -> Option<&'static str> {
    match field {
        Field::Env => Some("environment"),
        Field::Workspace => Some("workspace"),
        Field::Action => Some("action"),
        Field::Category => Some("category"),
        Field::Outcome => Some("outcome"),
        _ => None,
    }
}

/// How the rollups store a dimension: as the events do.
fn rollup_case(field: &Field) -> Case {
    match field {
        Field::Action | Field::Category | Field::Outcome => Case::Lower,
        _ => Case::Kept,
    }
}

/// True when every term filters on a rollup dimension, so counts can come from the rollups.
pub fn fits_rollups(query: &Query) -> bool {
    query.terms.iter().all(|term| match &term.kind {
        TermKind::Field { field, .. } => rollup_column(field).is_some(),
        TermKind::Text { .. } => false,
    })
}

/// How a field's values are stored, which decides how a typed value is matched.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// Stored as sent.
    Kept,
    /// Stored lower-case (actions and the enumerations); values are lowered before matching.
    Lower,
    /// Stored upper-case (country codes).
    Upper,
}

/// Appends ` AND (...)` for every term of `query` to `b`. `now` resolves relative times.
pub fn push_conditions(
    b: &mut Builder,
    query: &Query,
    now: Millis,
    table: Table,
) -> Result<(), QueryError> {
    let mut matches = Vec::new();
    for term in &query.terms {
        match &term.kind {
            TermKind::Text { text, phrase } => {
                if table == Table::Counts {
                    return Err(unsupported(term.span, "free text"));
                }
                // The parser refused ASCII text without letters or digits; text beyond ASCII is
                // checked here, with Unicode's tables.
                if !text.chars().any(char::is_alphanumeric) {
                    return Err(QueryError::no_words(text, term.span));
                }
                // Control characters (a tab or a line break pasted into a phrase) separate words
                // as spaces do; full-text search would read a phrase only up to a NUL.
                let text = text.replace(char::is_control, " ");
                let fts = fts_text(&text, *phrase);
                if term.negated {
                    b.push(" AND events.rowid NOT IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ");
                    b.bind_push(SqlValue::Text(fts));
                    b.push(")");
                } else {
                    matches.push(fts);
                }
            }
            TermKind::Field { field, values } => {
                b.push(if term.negated {
                    " AND NOT ifnull(("
                } else {
                    " AND ("
                });
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        b.push(" OR ");
                    }
                    match table {
                        Table::Events => push_field(b, field, value, now),
                        Table::Counts => match rollup_column(field) {
                            Some(column) => push_column(b, column, rollup_case(field), value, now),
                            None => return Err(unsupported(term.span, &field.name())),
                        },
                    }
                }
                b.push(if term.negated { "), 0)" } else { ")" });
            }
        }
    }
    if !matches.is_empty() {
        // FTS5 ANDs phrases separated by spaces: one index lookup for every positive text term.
        b.push(" AND events.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ");
        b.bind_push(SqlValue::Text(matches.join(" ")));
        b.push(")");
    }
    Ok(())
}

fn unsupported(span: evident_shared::query::Span, what: &str) -> QueryError {
    QueryError {
        span,
        message: format!("{what} cannot be answered from the rollups"),
        expected: vec![],
    }
}

/// An FTS5 string: the text as one phrase, quotes doubled, so no FTS5 operator inside it applies;
/// a bare word ending in `*` (`deploy*`) is a prefix search, as `*` is in field values: FTS5's
/// `"deploy"*` matches `deploy`, `deployed` and `deployment`.
fn fts_text(text: &str, phrase: bool) -> String {
    let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    match text.strip_suffix('*') {
        Some(prefix) if !phrase && prefix.chars().any(char::is_alphanumeric) => {
            quoted(prefix) + "*"
        }
        _ => quoted(text),
    }
}

fn push_field(b: &mut Builder, field: &Field, value: &Value, now: Millis) {
    use Case::{Kept, Lower, Upper};
    match field {
        // An e-mail when it has an `@`, else an id: one indexed column, so the planner never
        // trades the actor's index for the time order (as it may for an OR of two columns).
        Field::Actor => {
            let email = match value {
                Value::Exact(text) | Value::Prefix(text) => text.contains('@'),
                Value::Compare { .. } => false,
            };
            // E-mails are stored lowercased (ingest lowercases them).
            let (column, case) = if email {
                ("events.actor_email", Lower)
            } else {
                ("events.actor_id", Kept)
            };
            push_column(b, column, case, value, now);
        }
        Field::ActorType => push_column(b, "events.actor_type", Lower, value, now),
        Field::ActorId => push_column(b, "events.actor_id", Kept, value, now),
        Field::Action => push_column(b, "events.action", Lower, value, now),
        Field::Category => push_column(b, "events.category", Lower, value, now),
        Field::Outcome => push_column(b, "events.outcome", Lower, value, now),
        Field::Severity => push_column(b, "events.severity", Lower, value, now),
        Field::Env => push_column(b, "events.environment", Kept, value, now),
        Field::Org => push_column(b, "events.organization", Kept, value, now),
        Field::Workspace => push_column(b, "events.workspace", Kept, value, now),
        Field::Project => push_column(b, "events.project", Kept, value, now),
        Field::App => push_column(b, "events.app", Kept, value, now),
        // An exact IPv6 address as ingest stores it (compressed, lower case), however it is
        // written; a prefix (`ip:2001:db8::*`) is compared as typed, lower-cased.
        Field::Ip => match value {
            Value::Exact(text) => match text.parse::<std::net::IpAddr>() {
                Ok(addr @ std::net::IpAddr::V6(_)) => {
                    push_column(b, "events.ip", Kept, &Value::Exact(addr.to_string()), now)
                }
                _ => push_column(b, "events.ip", Lower, value, now),
            },
            _ => push_column(b, "events.ip", Lower, value, now),
        },
        Field::Country => push_column(b, "events.country", Upper, value, now),
        Field::Session => push_column(b, "events.session_id", Kept, value, now),
        Field::Request => push_column(b, "events.request_id", Kept, value, now),
        Field::Source => push_column(b, "events.source", Kept, value, now),
        Field::Occurred => push_column(b, "events.occurred_at", Kept, value, now),
        Field::Duration => push_column(b, "events.duration_ms", Kept, value, now),
        // The distinct types of the event's targets are a column: a type alone matches no key of
        // event_targets, which starts with the target's id.
        Field::TargetType => match value {
            Value::Exact(text) if text.is_empty() => b.push("events.target_types IS NULL"),
            _ => {
                b.push("EXISTS (SELECT 1 FROM json_each(events.target_types) WHERE ");
                push_column(b, "value", Kept, value, now);
                b.push(")");
            }
        },
        // `target:""`: no targets, as for `target.type:""` (no target has an empty id).
        Field::Target | Field::TargetId if matches!(value, Value::Exact(text) if text.is_empty()) => {
            b.push("events.target_types IS NULL")
        }
        Field::Target | Field::TargetId => {
            b.push(
                "events.seq IN (SELECT seq FROM event_targets WHERE tenant = events.tenant AND ",
            );
            match (field, value) {
                // `target:notebook:nb1` names the type and the id, as the export's resource column
                // does; an id that holds a `:` itself (`urn:li:doc:1`) matches whole as well.
                (Field::Target, Value::Exact(text)) if text.contains(':') => {
                    // Written as an IN on the id, so that both readings search the primary key.
                    let (kind, id) = text.split_once(':').unwrap_or_default();
                    b.push("target_id IN (");
                    b.bind_push(SqlValue::Text(id.to_string()));
                    b.push(", ");
                    b.bind_push(SqlValue::Text(text.to_string()));
                    b.push(") AND (target_id = ");
                    b.bind_push(SqlValue::Text(text.to_string()));
                    b.push(" OR target_type = ");
                    b.bind_push(SqlValue::Text(kind.to_string()));
                    b.push(")");
                }
                // `target:notebook:nb*`: ids starting `nb` of notebooks, or ids starting
                // `notebook:nb`.
                (Field::Target, Value::Prefix(text)) if text.contains(':') => {
                    let (kind, id) = text.split_once(':').unwrap_or_default();
                    b.push("((");
                    push_column(b, "target_id", Kept, &Value::Prefix(id.to_string()), now);
                    b.push(" AND target_type = ");
                    b.bind_push(SqlValue::Text(kind.to_string()));
                    b.push(") OR ");
                    push_column(b, "target_id", Kept, value, now);
                    b.push(")");
                }
                _ => push_column(b, "target_id", Kept, value, now),
            }
            b.push(")");
        }
        Field::Metadata(key) => {
            push_match(b, &Expr::Metadata(key), Kept, value, now);
        }
    }
}

/// The left side of a comparison.
enum Expr<'a> {
    /// A column.
    Column(&'static str),
    /// A metadata value as text (`true`, `10`, `c2`), from the `metadata` column; the key is bound.
    Metadata(&'a str),
}

impl Expr<'_> {
    fn push(&self, b: &mut Builder) {
        match self {
            Expr::Column(column) => b.push(column),
            // The member is found by its key among the object's members, which takes any key as
            // it is (a JSON path would need `"` and `.` in it escaped). Its `value` is
            // `json_extract`'s: 1 and 0 for `true` and `false`, which a query names as words.
            // Numbers are stored in canonical form (`10`, not `10.0`), as the API shows them.
            Expr::Metadata(key) => {
                b.push(
                    "(SELECT CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                     ELSE CAST(value AS TEXT) END FROM json_each(events.metadata) WHERE key = ",
                );
                b.bind_push(SqlValue::Text(key.to_string()));
                b.push(")");
            }
        }
    }
}

/// `column` compared with one value.
fn push_column(b: &mut Builder, column: &'static str, case: Case, value: &Value, now: Millis) {
    push_match(b, &Expr::Column(column), case, value, now);
}

/// `expr` compared with one value, e.g. `action = ?3`, or a range for a prefix.
fn push_match(b: &mut Builder, expr: &Expr<'_>, case: Case, value: &Value, now: Millis) {
    let cased = |text: &str| match case {
        Case::Kept => text.to_string(),
        Case::Lower => text.to_lowercase(),
        Case::Upper => text.to_uppercase(),
    };
    match value {
        // `field:""`: the field is absent.
        Value::Exact(text) if text.is_empty() => {
            b.push("ifnull(");
            expr.push(b);
            b.push(", '') = ''");
        }
        Value::Exact(text) => {
            expr.push(b);
            b.push(" = ");
            b.bind_push(SqlValue::Text(cased(text)));
        }
        Value::Prefix(text) => {
            // A range rather than LIKE: it uses the column's index and needs no escaping.
            let start = cased(text);
            let end = prefix_end(&start);
            b.push("(");
            expr.push(b);
            b.push(" >= ");
            b.bind_push(SqlValue::Text(start));
            if let Some(end) = end {
                b.push(" AND ");
                expr.push(b);
                b.push(" < ");
                b.bind_push(SqlValue::Text(end));
            }
            b.push(")");
        }
        Value::Compare { op, operand } => {
            let (op, ms) = match operand {
                Operand::Time(time) => time.compared(*op, now),
                Operand::Duration(ms) => (*op, *ms),
            };
            expr.push(b);
            b.push(match op {
                CompareOp::Gt => " > ",
                CompareOp::Ge => " >= ",
                CompareOp::Lt => " < ",
                CompareOp::Le => " <= ",
            });
            b.bind_push(SqlValue::Int(ms));
        }
    }
}
