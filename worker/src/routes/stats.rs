//! `GET /api/v1/facets` (top values of fields, with counts) and `GET /api/v1/histogram` (event counts
//! over time, optionally split by outcome, action or category), both for a search query and a time
//! range. The counting itself is [`crate::counts`].

use std::collections::BTreeMap;

use evident_shared::query::{parse, Field, Query};
use evident_shared::timestamp::{format_rfc3339, Millis, MAX_MILLIS};
use serde::Serialize;
use worker::{Env, Request, Response};

use crate::auth::authorize;
use crate::counts::{
    combinations_sql, count_sql, facet_sql, marginal, sampled, uses_rollups, Key, DAY,
    FACET_SAMPLE, HOUR,
};
use crate::error::{ApiError, Result};
use crate::params::{self, instant, invalid};
use crate::query::{fits_rollups, rollup_column};
use crate::routes::events::query_pairs;
use crate::{respond, store};
use evident_shared::roles::Power;

/// Most fields one facets request may ask for.
const MAX_FACET_FIELDS: usize = 8;
/// Most values per facet.
const MAX_FACET_LIMIT: u32 = 100;
/// Most buckets one histogram may have.
const MAX_BUCKETS: i64 = 1000;
/// Bucket widths the automatic interval chooses from.
const AUTO_INTERVALS: [Millis; 10] = [
    60_000,
    5 * 60_000,
    15 * 60_000,
    30 * 60_000,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    7 * DAY,
];
/// Buckets the automatic interval aims to stay under.
const AUTO_BUCKETS: i64 = 120;

/// The parameters both endpoints share.
struct Common {
    query: Query,
    from: Option<Millis>,
    to: Option<Millis>,
    now: Millis,
}

fn read_common<'a>(
    pairs: &'a [(String, String)],
    known: &[&str],
) -> Result<(Common, Vec<(&'a str, &'a str)>)> {
    let mut common = Common {
        query: Query::default(),
        from: None,
        to: None,
        now: worker::js_sys::Date::now() as i64,
    };
    let mut rest = Vec::new();
    for (name, raw) in pairs {
        let value = raw.trim();
        match name.as_str() {
            // Untrimmed, so that an error's span counts from the query's first byte as sent.
            "q" => common.query = parse(raw).map_err(ApiError::query)?,
            "from" if !value.is_empty() => common.from = Some(instant("from", value)?),
            "to" if !value.is_empty() => common.to = Some(instant("to", value)?),
            "from" | "to" => {}
            other if known.contains(&other) => rest.push((other, value)),
            other => {
                let mut all = vec!["q", "from", "to"];
                all.extend_from_slice(known);
                return Err(invalid(format!(
                    "unknown query parameter `{other}`; expected one of {}",
                    all.join(", ")
                )));
            }
        }
    }
    if let (Some(from), Some(to)) = (common.from, common.to) {
        if from >= to {
            return Err(invalid("`from` must be earlier than `to`".into()));
        }
    }
    Ok((common, rest))
}

fn countable(param: &str, name: &str) -> Result<Field> {
    Field::from_name(name)
        .filter(crate::counts::countable)
        .ok_or_else(|| {
            invalid(format!(
                "`{param}`: `{name}` cannot be counted; use one of env, workspace, action, category, \
                 outcome, severity, actor, actor.type, org, project, app, country, source, target.type"
            ))
        })
}

#[derive(Serialize)]
struct FacetValue {
    value: Option<String>,
    count: i64,
}

#[derive(Serialize)]
struct Facets {
    facets: BTreeMap<String, Vec<FacetValue>>,
    /// Whether every facet was counted from the rollups.
    from_rollups: bool,
    /// When some facet could not be counted from the rollups: it counts only the newest this many
    /// matching events ([`FACET_SAMPLE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    sample: Option<u32>,
    /// The facets (by the name asked for) that count only that sample; the others are exact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sampled: Vec<String>,
}

pub async fn facets(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let pairs = query_pairs(req)?;
    let (common, rest) = read_common(&pairs, &["field", "limit"])?;
    let mut fields = Vec::new();
    let mut limit = 10;
    for (name, value) in rest {
        match name {
            "field" => {
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    fields.push((part.to_ascii_lowercase(), countable("field", part)?));
                }
            }
            _ => limit = params::limit(value, MAX_FACET_LIMIT)?,
        }
    }
    if fields.is_empty() || fields.len() > MAX_FACET_FIELDS {
        return Err(invalid(format!(
            "`field` must name 1 to {MAX_FACET_FIELDS} fields, e.g. `field=outcome,env`"
        )));
    }
    let range = (common.from.unwrap_or(0), common.to.unwrap_or(MAX_MILLIS));
    let db = env.d1("DB")?;
    let mut facets = BTreeMap::new();
    let mut from_rollups = true;
    // Two or more rollup fields: one pass over the rollups gives them all.
    let (together, fields): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|(_, field)| rollup_column(field).is_some());
    let (together, fields) =
        if together.len() > 1 && caller.reach().rollups_apply() && fits_rollups(&common.query) {
            (together, fields)
        } else {
            (Vec::new(), [together, fields].concat())
        };
    if !together.is_empty() {
        let (sql, params) = combinations_sql(caller.reach(), &common.query, common.now, range)
            .map_err(ApiError::query)?;
        let rows = store::combinations(&db, &sql, &params).await?;
        for (name, field) in together {
            let values = marginal(&rows, &field, limit)
                .into_iter()
                .map(|(value, count)| FacetValue { value, count })
                .collect();
            facets.insert(name, values);
        }
    }
    let mut sample = None;
    let mut sampled_names = Vec::new();
    for (name, field) in fields {
        if sampled(caller.reach(), &common.query, &field) {
            from_rollups = false;
            sample = Some(FACET_SAMPLE);
            sampled_names.push(name.clone());
        }
        let (sql, params) = facet_sql(
            caller.reach(),
            &common.query,
            common.now,
            range,
            &field,
            limit,
            FACET_SAMPLE,
        )
        .map_err(ApiError::query)?;
        let values = store::counts(&db, &sql, &params)
            .await?
            .into_iter()
            .map(|row| FacetValue {
                value: row.value,
                count: row.n,
            })
            .collect();
        facets.insert(name, values);
    }
    Ok(respond::json(
        200,
        &Facets {
            facets,
            from_rollups,
            sample,
            sampled: sampled_names,
        },
    ))
}

#[derive(Serialize)]
struct Bucket {
    start: String,
    start_ms: Millis,
    total: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    counts: BTreeMap<String, i64>,
}

#[derive(Serialize)]
struct Histogram {
    from: String,
    to: String,
    interval_ms: Millis,
    group: Option<String>,
    from_rollups: bool,
    buckets: Vec<Bucket>,
}

/// The value a histogram group shows for events without the field.
const NONE: &str = "(none)";

pub async fn histogram(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let pairs = query_pairs(req)?;
    let (common, rest) = read_common(&pairs, &["interval", "group"])?;
    let mut interval = None;
    let mut group = None;
    for (name, value) in rest {
        match name {
            "interval" if value.is_empty() || value == "auto" => interval = None,
            "interval" => interval = Some(parse_interval(value)?),
            _ if value.is_empty() => group = None,
            _ => {
                let field = countable("group", value)?;
                group = Some((value.to_ascii_lowercase(), field));
            }
        }
    }
    let to = common.to.unwrap_or(common.now + 1);
    let from = common.from.unwrap_or(to - 7 * DAY);
    if from >= to {
        // Only `from` was given (both are checked together earlier), and it is not in the past.
        return Err(invalid(
            "`from` must be earlier than `to`, which is now when it is not given".into(),
        ));
    }
    let interval = interval.unwrap_or_else(|| auto_interval(to - from));
    let first = from - from.rem_euclid(interval);
    let buckets = (to - first + interval - 1) / interval;
    if buckets > MAX_BUCKETS {
        return Err(invalid(format!(
            "{buckets} buckets of {interval} ms between `from` and `to`; the limit is {MAX_BUCKETS}: \
             choose a larger `interval` or a shorter range"
        )));
    }
    let key = Key::Buckets {
        interval,
        group: group.as_ref().map(|(_, f)| f.clone()),
    };
    let (sql, params) = count_sql(
        caller.reach(),
        &common.query,
        common.now,
        (from, to),
        &key,
        0,
    )
    .map_err(ApiError::query)?;
    let db = env.d1("DB")?;
    let rows = store::counts(&db, &sql, &params).await?;
    // By resource type an event with two types is in two groups, so the groups do not add up to
    // the bucket's events: those are counted apart.
    let totals = match &group {
        Some((_, Field::TargetType)) => {
            let key = Key::Buckets {
                interval,
                group: None,
            };
            let range = (from, to);
            let (sql, params) =
                count_sql(caller.reach(), &common.query, common.now, range, &key, 0)
                    .map_err(ApiError::query)?;
            Some(store::counts(&db, &sql, &params).await?)
        }
        _ => None,
    };
    let mut dense: Vec<Bucket> = (0..buckets)
        .map(|i| {
            let start_ms = first + i * interval;
            Bucket {
                start: format_rfc3339(start_ms),
                start_ms,
                total: 0,
                counts: BTreeMap::new(),
            }
        })
        .collect();
    let index = |bucket: Millis| usize::try_from((bucket - first) / interval).ok();
    for row in rows {
        let Some(bucket) = index(row.bucket).and_then(|i| dense.get_mut(i)) else {
            continue;
        };
        if totals.is_none() {
            bucket.total += row.n;
        }
        if group.is_some() {
            let value = row.value.unwrap_or_else(|| NONE.to_string());
            *bucket.counts.entry(value).or_default() += row.n;
        }
    }
    for row in totals.into_iter().flatten() {
        if let Some(bucket) = index(row.bucket).and_then(|i| dense.get_mut(i)) {
            bucket.total += row.n;
        }
    }
    Ok(respond::json(
        200,
        &Histogram {
            from: format_rfc3339(from),
            to: format_rfc3339(to),
            interval_ms: interval,
            from_rollups: uses_rollups(caller.reach(), &common.query, &key),
            group: group.map(|(name, _)| name),
            buckets: dense,
        },
    ))
}

/// The smallest usual width that keeps a range under [`AUTO_BUCKETS`] buckets.
fn auto_interval(range: Millis) -> Millis {
    AUTO_INTERVALS
        .into_iter()
        .find(|i| range / i <= AUTO_BUCKETS)
        // Longer ranges (years): whole weeks, as many as keep to the aim.
        .unwrap_or_else(|| {
            let week = 7 * DAY;
            (range / AUTO_BUCKETS + week - 1) / week * week
        })
}

/// `15m`, `1h`, `1d`, `7d`: whole minutes, hours or days (or `auto`).
fn parse_interval(text: &str) -> Result<Millis> {
    let bad = || {
        invalid(format!(
            "`interval`: `{text}` is not a width like `15m`, `1h`, `1d` or `auto`"
        ))
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit = match unit {
        "m" => 60_000,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(ms) if n > 0 && ms <= 366 * DAY => Ok(ms),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The automatic interval keeps to about [`AUTO_BUCKETS`] however long the range: a custom
    /// range over decades stays a chart, not a refusal.
    #[test]
    fn automatic_intervals_keep_to_their_aim_for_any_range() {
        assert_eq!(auto_interval(DAY), 15 * 60_000);
        assert_eq!(auto_interval(90 * DAY), DAY);
        for range in [800 * DAY, 3 * 365 * DAY, 57 * 365 * DAY, MAX_MILLIS] {
            let interval = auto_interval(range);
            assert_eq!(interval % (7 * DAY), 0, "{range}");
            assert!(
                range / interval <= AUTO_BUCKETS,
                "{range}: {}",
                range / interval
            );
        }
    }
}
