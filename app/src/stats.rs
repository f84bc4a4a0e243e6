//! The answers of `GET /api/v1/facets` (values with counts, for the pickers) and `GET /api/v1/histogram`
//! (counts over time, for the volume chart), and their readers.
//!
//! The worker builds these answers from private structs rather than `evident-shared` types, so the
//! dashboard keeps its own small types here, read by hand from [`crate::json`]'s values like
//! [`crate::wire`] does; the tests read the worker's documented shapes.

use serde_json::Value;

use crate::wire::WireError;

/// Top values of each field asked for, largest count first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Each field's values.
    pub fields: Vec<(String, Vec<FacetValue>)>,
    /// The fields counted over a sample of the newest matching events (their counts are
    /// approximate); the others are exact.
    pub sampled: Vec<String>,
}

/// One value of a facet; `value` is `None` for events without the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// The field's value.
    pub value: Option<String>,
    /// How many events have it.
    pub count: i64,
}

impl Facets {
    /// Whether facet `name` was counted over a sample (its counts are approximate).
    pub fn is_sampled(&self, name: &str) -> bool {
        self.sampled.iter().any(|n| n == name)
    }

    /// The values of facet `name` (empty when it was not asked for).
    pub fn values(&self, name: &str) -> &[FacetValue] {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// Event counts in dense buckets of `interval_ms`, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Each bucket's width.
    pub interval_ms: i64,
    /// Every bucket of the range, empty ones included.
    pub buckets: Vec<Bucket>,
    /// The range counted, epoch ms, `to` exclusive: the first and last buckets reach past it (they
    /// are aligned to the interval) but count only what is inside.
    pub range: Option<(i64, i64)>,
}

/// One bucket: its start, its total and the total split by the grouping field (outcome).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Start, epoch ms.
    pub start_ms: i64,
    /// Events in the bucket.
    pub total: i64,
    /// Per group value, e.g. `("failure", 3)`.
    pub counts: Vec<(String, i64)>,
}

impl Bucket {
    /// The count of one group value (0 when absent).
    pub fn count(&self, group: &str) -> i64 {
        self.counts
            .iter()
            .find(|(g, _)| g == group)
            .map_or(0, |(_, n)| *n)
    }
}

fn problem(what: &'static str) -> WireError {
    WireError {
        path: String::new(),
        problem: what,
    }
}

fn int(value: Option<&Value>) -> Result<i64, WireError> {
    value
        .and_then(Value::as_i64)
        .ok_or_else(|| problem("expected an integer"))
}

/// `GET /api/v1/facets`: `{"facets": {"env": [{"value": "prod", "count": 3}, ...]}, ...}`.
pub fn facets(value: Value) -> Result<Facets, WireError> {
    let Some(Value::Object(map)) = value.get("facets") else {
        return Err(problem("expected facets"));
    };
    let mut out = Vec::new();
    for (name, values) in map {
        let Value::Array(values) = values else {
            return Err(problem("expected an array of values"));
        };
        let values = values
            .iter()
            .map(|v| {
                Ok(FacetValue {
                    value: v.get("value").and_then(Value::as_str).map(String::from),
                    count: int(v.get("count"))?,
                })
            })
            .collect::<Result<_, WireError>>()?;
        out.push((name.clone(), values));
    }
    let sampled = match value.get("sampled") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    Ok(Facets {
        fields: out,
        sampled,
    })
}

/// `GET /api/v1/histogram`: `{"interval_ms": 3600000, "buckets": [{"start_ms", "total", "counts"}]}`.
pub fn histogram(value: Value) -> Result<Histogram, WireError> {
    let Some(Value::Array(buckets)) = value.get("buckets") else {
        return Err(problem("expected buckets"));
    };
    let buckets = buckets
        .iter()
        .map(|b| {
            let counts = match b.get("counts") {
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, n)| Ok((k.clone(), int(Some(n))?)))
                    .collect::<Result<_, WireError>>()?,
                _ => Vec::new(),
            };
            Ok(Bucket {
                start_ms: int(b.get("start_ms"))?,
                total: int(b.get("total"))?,
                counts,
            })
        })
        .collect::<Result<_, WireError>>()?;
    let instant = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .and_then(crate::format::parse_wire_millis)
    };
    Ok(Histogram {
        interval_ms: int(value.get("interval_ms"))?.max(1),
        buckets,
        range: instant("from").zip(instant("to")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn facets_read_in_the_workers_shape() {
        let text = r#"{"facets":{"env":[{"value":"prod","count":7},{"value":null,"count":2}],
            "outcome":[]},"from_rollups":true}"#;
        let facets = facets(parse(text).unwrap()).unwrap();
        assert_eq!(
            facets.values("env"),
            [
                FacetValue {
                    value: Some("prod".into()),
                    count: 7
                },
                FacetValue {
                    value: None,
                    count: 2
                }
            ]
        );
        assert!(facets.values("outcome").is_empty());
        assert!(facets.values("app").is_empty());
        assert!(!facets.is_sampled("env"));
        assert!(super::facets(parse(r#"{"facets":{"env":[{"value":"x"}]}}"#).unwrap()).is_err());
        let sampled = r#"{"facets":{"env":[],"user":[]},"from_rollups":false,"sample":10000,"sampled":["user"]}"#;
        let sampled = super::facets(parse(sampled).unwrap()).unwrap();
        assert!(sampled.is_sampled("user") && !sampled.is_sampled("env"));
    }

    #[test]
    fn histograms_read_in_the_workers_shape() {
        let text = r#"{"from":"1970-01-01T00:20:00.000Z","to":"1970-01-01T01:30:00.000Z","interval_ms":3600000,"group":"outcome","from_rollups":true,
            "buckets":[{"start":"s","start_ms":0,"total":0},
                       {"start":"s","start_ms":3600000,"total":5,"counts":{"failure":2,"success":3}}]}"#;
        let h = histogram(parse(text).unwrap()).unwrap();
        assert_eq!(h.interval_ms, 3_600_000);
        assert_eq!(h.buckets.len(), 2);
        assert_eq!(h.buckets[0].counts, []);
        assert_eq!(h.buckets[1].count("failure"), 2);
        assert_eq!(h.buckets[1].count("denied"), 0);
        assert_eq!(h.range, Some((1_200_000, 5_400_000)));
        assert!(histogram(parse(r#"{"buckets":[{"total":1}]}"#).unwrap()).is_err());
    }
}
