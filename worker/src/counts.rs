//! Counting events for facets and histograms, as cheaply as the query allows. A time range is
//! covered by whole days from the daily rollups, whole hours at its ends from the hourly rollups,
//! and only the partial hours at its very ends from the events themselves, so the answer is exact
//! and its cost depends on the length of the range, not on the number of events. Several rollup
//! facets come from one pass ([`combinations_sql`]). A query that filters on something the rollups
//! do not hold (free text, actors, ...) counts events instead: exactly for histograms, and over the
//! newest [`FACET_SAMPLE`] matching events for facets ([`facet_sql`]), so that no facet can hold up
//! D1, which answers one query at a time.

use evident_shared::query::{Field, Query, QueryError};
use evident_shared::timestamp::{Millis, MAX_MILLIS};

use crate::query::{fits_rollups, push_conditions, rollup_column, Table};
use crate::sql::{Builder, Reach, SqlValue};

/// An hour, the span of the finer rollups.
pub const HOUR: Millis = 3_600_000;
/// A day, the span of the coarser rollups.
pub const DAY: Millis = 86_400_000;

/// How a half-open time range `[from, to)` is counted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cover {
    /// Ranges of whole days, from the daily rollups.
    pub days: Vec<(Millis, Millis)>,
    /// Ranges of whole hours, from the hourly rollups.
    pub hours: Vec<(Millis, Millis)>,
    /// Ranges counted from the events.
    pub events: Vec<(Millis, Millis)>,
}

fn floor(ms: Millis, span: Millis) -> Millis {
    ms - ms.rem_euclid(span)
}

fn ceil(ms: Millis, span: Millis) -> Millis {
    floor(ms + span - 1, span)
}

/// Covers `[from, to)` with the coarsest pieces allowed: days only when `use_days`, hours only when
/// `use_hours` (a histogram whose buckets are not whole hours can use neither).
pub fn cover(from: Millis, to: Millis, use_hours: bool, use_days: bool) -> Cover {
    let mut c = Cover::default();
    let (h0, h1) = (ceil(from, HOUR), floor(to, HOUR));
    if !use_hours || h0 >= h1 {
        if from < to {
            c.events.push((from, to));
        }
        return c;
    }
    push_range(&mut c.events, from, h0);
    push_range(&mut c.events, h1, to);
    let (d0, d1) = (ceil(h0, DAY), floor(h1, DAY));
    if use_days && d0 < d1 {
        c.days.push((d0, d1));
        push_range(&mut c.hours, h0, d0);
        push_range(&mut c.hours, d1, h1);
    } else {
        c.hours.push((h0, h1));
    }
    c
}

fn push_range(ranges: &mut Vec<(Millis, Millis)>, from: Millis, to: Millis) {
    if from < to {
        ranges.push((from, to));
    }
}

/// What to count by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// The values of one field (facets).
    Field(Field),
    /// Time buckets of this many ms, and optionally a field within each (histograms).
    Buckets {
        /// Bucket width; buckets start at multiples of it since the epoch.
        interval: Millis,
        /// The field each bucket is split by.
        group: Option<Field>,
    },
}

/// The events column of a field that can be counted, for facets and histogram groups.
pub fn events_column(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::Env => "environment",
        Field::Workspace => "workspace",
        Field::Action => "action",
        Field::Category => "category",
        Field::Outcome => "outcome",
        Field::Severity => "severity",
        Field::Actor | Field::ActorId => "actor_id",
        Field::ActorType => "actor_type",
        Field::Org => "organization",
        Field::Project => "project",
        Field::App => "app",
        Field::Country => "country",
        Field::Source => "source",
        _ => return None,
    })
}

/// Whether `field` can be counted: a column of the events ([`events_column`]), or the types of
/// their targets, which are a list in the stored event and are counted by [`counting_sql`] from it
/// (never a rollup dimension, so a facet by it reads only the newest [`FACET_SAMPLE`] events).
pub fn countable(field: &Field) -> bool {
    events_column(field).is_some() || *field == Field::TargetType
}

/// Whether the rollups can answer: the reach is not bound to an actor (the rollups are not kept by
/// actor), and the query and the key only use rollup dimensions.
pub fn uses_rollups(reach: Reach<'_>, query: &Query, key: &Key) -> bool {
    if !reach.rollups_apply() {
        return false;
    }
    let field = match key {
        Key::Field(field) => Some(field),
        Key::Buckets { group, .. } => group.as_ref(),
    };
    fits_rollups(query) && field.is_none_or(|f| rollup_column(f).is_some())
}

/// The SQL that counts the events within `reach` matching `query` in `[from, to)` by `key`: rows of
/// `(bucket, value, n)` (`bucket` 0 for facets, `value` NULL without a field), largest counts first
/// for facets, by bucket for histograms. `limit` caps the facet values. A `reach` bound to an
/// environment counts only its events, from the rollups too (they are kept by environment).
pub fn count_sql<'a>(
    reach: Reach<'a>,
    query: &Query,
    now: Millis,
    range: (Millis, Millis),
    key: &Key,
    limit: u32,
) -> Result<(String, Vec<SqlValue>), QueryError> {
    counting_sql(reach, query, now, range, key, limit, None)
}

/// Events a facet the rollups cannot answer is counted over: the newest this many that match.
pub const FACET_SAMPLE: u32 = 10_000;

/// Like [`count_sql`] for a facet (`Key::Field`), except that when the rollups cannot answer it only
/// the newest `sample` matching events are counted, so its cost is bounded whatever the range and
/// however many events match: the top users or apps of a month at a million events are those of its
/// latest `sample` events. Facets the rollups answer stay exact. [`sampled`] says which applies.
pub fn facet_sql<'a>(
    reach: Reach<'a>,
    query: &Query,
    now: Millis,
    range: (Millis, Millis),
    field: &Field,
    limit: u32,
    sample: u32,
) -> Result<(String, Vec<SqlValue>), QueryError> {
    let key = Key::Field(field.clone());
    counting_sql(reach, query, now, range, &key, limit, Some(sample))
}

/// Whether [`facet_sql`] counts a sample of the events for this reach, query and field, not all of
/// them.
pub fn sampled(reach: Reach<'_>, query: &Query, field: &Field) -> bool {
    !uses_rollups(reach, query, &Key::Field(field.clone()))
}

fn counting_sql(
    reach: Reach<'_>,
    query: &Query,
    now: Millis,
    (from, to): (Millis, Millis),
    key: &Key,
    limit: u32,
    sample: Option<u32>,
) -> Result<(String, Vec<SqlValue>), QueryError> {
    let rollups = uses_rollups(reach, query, key);
    let (field, interval) = match key {
        Key::Field(field) => (Some(field), None),
        Key::Buckets { interval, group } => (group.as_ref(), Some(*interval)),
    };
    let c = if rollups {
        let hours = interval.is_none_or(|i| i % HOUR == 0);
        let days = interval.is_none_or(|i| i % DAY == 0);
        cover(from, to, hours, days)
    } else {
        cover(from, to, false, false)
    };
    let mut b = Builder::default();
    b.push("SELECT bucket, nullif(value, '') AS value, sum(n) AS n FROM (");
    let mut first = true;
    if !c.days.is_empty() || !c.hours.is_empty() {
        first = false;
        push_select(
            &mut b,
            interval,
            field.and_then(rollup_column),
            "bucket",
            "n",
            "event_counts",
        );
        b.bind_push(SqlValue::Text(reach.tenant.into()));
        reach.push_conditions(&mut b, "event_counts");
        push_rollup_ranges(&mut b, &c);
        push_conditions(&mut b, query, now, Table::Counts)?;
    }
    if !c.events.is_empty() {
        if !first {
            b.push(" UNION ALL ");
        }
        first = false;
        // Resource types: each event once for each type among its targets (`target_types` holds
        // them distinct), so that a count is how many events `target.type:x` matches.
        let by_target_type = field == Some(&Field::TargetType);
        if by_target_type {
            b.push("SELECT e.bucket AS bucket, t.value AS value, 1 AS n FROM (SELECT ");
            push_bucket(&mut b, interval, "occurred_at");
            b.push(" AS bucket, events.target_types AS types FROM events WHERE events.tenant = ");
        } else {
            push_select(
                &mut b,
                interval,
                field.and_then(events_column),
                "occurred_at",
                "1",
                "events",
            );
        }
        b.bind_push(SqlValue::Text(reach.tenant.into()));
        reach.push_conditions(&mut b, "events");
        push_event_ranges(&mut b, &c.events);
        push_conditions(&mut b, query, now, Table::Events)?;
        if let (Some(sample), false, None) = (sample, rollups, interval) {
            // The events are the only part here (no rollups), so this orders and limits just them,
            // along whichever index gives their time order (the time index, or an actor's).
            b.push(" ORDER BY events.occurred_at DESC, events.seq DESC LIMIT ");
            b.bind_push(SqlValue::Int(i64::from(sample)));
        }
        if by_target_type {
            b.push(") AS e, json_each(e.types) AS t");
        }
    }
    if first {
        // An empty range: no rows, with the same columns.
        b.push("SELECT 0 AS bucket, NULL AS value, 0 AS n WHERE false");
    }
    // By position: by name, SQLite would group by the inner `value`, where the rollups' '' and the
    // events' NULL for an absent field differ, and an absent field would be counted as two values.
    b.push(") GROUP BY 1, 2");
    match interval {
        None => {
            b.push(" ORDER BY n DESC, value LIMIT ");
            b.bind_push(SqlValue::Int(i64::from(limit)));
        }
        Some(_) => b.push(" ORDER BY bucket, n DESC"),
    }
    Ok(b.finish())
}

/// The rollup dimensions, in the order [`combinations_sql`] returns them.
pub const ROLLUP_FIELDS: [Field; 5] = [
    Field::Env,
    Field::Workspace,
    Field::Action,
    Field::Category,
    Field::Outcome,
];

/// The SQL that counts the events within `reach` matching `query` in `[from, to)` by every rollup
/// dimension at once, for a query the rollups can answer ([`fits_rollups`]): rows of `(environment,
/// workspace, action, category, outcome, n)`, `''` for an absent value. The facets of several
/// rollup fields are marginals of these rows, so one pass over the rollups answers them all where one
/// query per field would read the same rows once per field.
pub fn combinations_sql<'a>(
    reach: Reach<'a>,
    query: &Query,
    now: Millis,
    (from, to): (Millis, Millis),
) -> Result<(String, Vec<SqlValue>), QueryError> {
    debug_assert!(fits_rollups(query) && reach.rollups_apply());
    let c = cover(from, to, true, true);
    let mut b = Builder::default();
    b.push("SELECT environment, workspace, action, category, outcome, sum(n) AS n FROM (");
    let mut parts = 0;
    if !c.days.is_empty() || !c.hours.is_empty() {
        parts += 1;
        b.push(
            "SELECT environment, workspace, action, category, outcome, n FROM event_counts \
             WHERE event_counts.tenant = ",
        );
        b.bind_push(SqlValue::Text(reach.tenant.into()));
        reach.push_conditions(&mut b, "event_counts");
        push_rollup_ranges(&mut b, &c);
        push_conditions(&mut b, query, now, Table::Counts)?;
    }
    if !c.events.is_empty() {
        if parts > 0 {
            b.push(" UNION ALL ");
        }
        parts += 1;
        b.push(
            "SELECT coalesce(environment, '') AS environment, coalesce(workspace, '') AS workspace, \
             coalesce(action, '') AS action, coalesce(category, '') AS category, \
             coalesce(outcome, '') AS outcome, 1 AS n FROM events WHERE events.tenant = ",
        );
        b.bind_push(SqlValue::Text(reach.tenant.into()));
        reach.push_conditions(&mut b, "events");
        push_event_ranges(&mut b, &c.events);
        push_conditions(&mut b, query, now, Table::Events)?;
    }
    if parts == 0 {
        // An empty range: no rows, with the same columns.
        b.push("SELECT '' AS environment, '' AS workspace, '' AS action, '' AS category, '' AS outcome, 0 AS n WHERE false");
    }
    b.push(") GROUP BY 1, 2, 3, 4, 5");
    Ok(b.finish())
}

/// One row of [`combinations_sql`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Combination {
    /// `environment`, `''` when absent.
    pub environment: String,
    /// `workspace`, `''` when absent.
    pub workspace: String,
    /// `action`.
    pub action: String,
    /// `category`, `''` when absent.
    pub category: String,
    /// `outcome`.
    pub outcome: String,
    /// How many events have these values.
    pub n: i64,
}

impl Combination {
    fn value(&self, field: &Field) -> &str {
        match field {
            Field::Env => &self.environment,
            Field::Workspace => &self.workspace,
            Field::Action => &self.action,
            Field::Category => &self.category,
            _ => &self.outcome,
        }
    }
}

/// The top `limit` values of a rollup `field` among `rows`, as [`count_sql`] orders them: largest
/// count first, then by value; an absent value is `None`.
pub fn marginal(rows: &[Combination], field: &Field, limit: u32) -> Vec<(Option<String>, i64)> {
    debug_assert!(rollup_column(field).is_some());
    let mut counts: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for row in rows {
        *counts.entry(row.value(field)).or_default() += row.n;
    }
    let mut values: Vec<(Option<String>, i64)> = counts
        .into_iter()
        .map(|(value, n)| ((!value.is_empty()).then(|| value.to_string()), n))
        .collect();
    // SQLite sorts NULL first among values, as `count_sql`'s `ORDER BY n DESC, value` does.
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(limit as usize);
    values
}

/// ` AND (<one of the cover's whole days or whole hours>)`, for the rollups.
fn push_rollup_ranges(b: &mut Builder, c: &Cover) {
    b.push(" AND (");
    let days = c.days.iter().map(|r| (DAY, r));
    for (i, (span, (start, end))) in days.chain(c.hours.iter().map(|r| (HOUR, r))).enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(span = ");
        b.bind_push(SqlValue::Int(span));
        b.push(" AND bucket >= ");
        b.bind_push(SqlValue::Int(*start));
        b.push(" AND bucket < ");
        b.bind_push(SqlValue::Int(*end));
        b.push(")");
    }
    b.push(")");
}

/// ` AND (<one of the ranges of occurred_at>)`. All of time needs no condition, and one would only
/// mislead the planner: D1's SQLite then walks the time index for a sample's order instead of an
/// actor's or action's own index.
fn push_event_ranges(b: &mut Builder, ranges: &[(Millis, Millis)]) {
    if matches!(ranges, [(start, end)] if *start <= 0 && *end >= MAX_MILLIS) {
        return;
    }
    b.push(" AND (");
    for (i, (start, end)) in ranges.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(events.occurred_at >= ");
        b.bind_push(SqlValue::Int(*start));
        b.push(" AND events.occurred_at < ");
        b.bind_push(SqlValue::Int(*end));
        b.push(")");
    }
    b.push(")");
}

/// The start of `time`'s bucket of `interval` ms, or 0 without buckets (facets).
fn push_bucket(b: &mut Builder, interval: Option<Millis>, time: &'static str) {
    match interval {
        Some(interval) => {
            b.push(time);
            b.push(" - (");
            b.push(time);
            b.push(" % ");
            b.bind_push(SqlValue::Int(interval));
            b.push(")");
        }
        None => b.push("0"),
    }
}

/// `SELECT <bucket> AS bucket, <column> AS value, <n> AS n FROM <table> WHERE <table>.tenant = `
fn push_select(
    b: &mut Builder,
    interval: Option<Millis>,
    column: Option<&'static str>,
    time: &'static str,
    n: &'static str,
    table: &'static str,
) {
    b.push("SELECT ");
    push_bucket(b, interval, time);
    b.push(" AS bucket, ");
    match column {
        Some(column) => {
            b.push(table);
            b.push(".");
            b.push(column);
        }
        None => b.push("NULL"),
    }
    b.push(" AS value, ");
    b.push(n);
    b.push(" AS n FROM ");
    b.push(table);
    b.push(" WHERE ");
    b.push(table);
    b.push(".tenant = ");
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_717_200_000_000; // 2024-06-01T00:00Z

    #[test]
    fn a_long_range_is_days_in_the_middle_hours_and_events_at_the_ends() {
        let from = T - 90 * DAY + 5 * HOUR + 123;
        let to = T + 7 * HOUR + 45 * 60_000;
        let c = cover(from, to, true, true);
        assert_eq!(c.days, vec![(T - 89 * DAY, T)]);
        assert_eq!(
            c.hours,
            vec![(T - 90 * DAY + 6 * HOUR, T - 89 * DAY), (T, T + 7 * HOUR)]
        );
        assert_eq!(
            c.events,
            vec![(from, T - 90 * DAY + 6 * HOUR), (T + 7 * HOUR, to)]
        );
    }

    #[test]
    fn short_or_unaligned_ranges_fall_back_to_finer_pieces() {
        assert_eq!(
            cover(T + 60_000, T + 120_000, true, true).events,
            vec![(T + 60_000, T + 120_000)]
        );
        let c = cover(T, T + 5 * HOUR, true, true);
        assert_eq!(
            (c.days.len(), c.hours, c.events.len()),
            (0, vec![(T, T + 5 * HOUR)], 0)
        );
        let c = cover(T - DAY, T + DAY, true, false);
        assert_eq!((c.days.len(), c.hours.len()), (0, 1));
        let c = cover(T - DAY, T + DAY, false, false);
        assert_eq!(c.events, vec![(T - DAY, T + DAY)]);
        assert_eq!(cover(T, T, true, true), Cover::default());
    }
}
