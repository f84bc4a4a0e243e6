//! Countries of IP addresses from the ranges `scripts/load-geo.sh` loads into D1 (migrations/0002_geo.sql):
//! one statement per request for every distinct address not yet known to this isolate, and a bounded
//! per-isolate cache so that the addresses a sender repeats cost nothing after their first event.
//!
//! The statement and the handling of its rows are plain Rust ([`Lookup`]), tested natively against the
//! migrations in `geo_sqlite_tests`; only [`countries`] touches D1.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use evident_shared::enrich::{geo_key, Geo, GeoKey};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1Database;

use crate::error::Result;

/// For each key of two JSON arrays (IPv4 numbers in `?1`, IPv6 as 32 hex digits in `?2`), the country of
/// the range with the largest start at or below it, if that range reaches the key; NULL in a gap. Each
/// key costs one descent of the primary key, whatever the table size. Rows come back as
/// `(family, i, country)`, `i` being the key's index in its array.
pub const LOOKUP_COUNTRIES: &str = "\
SELECT 4 AS family, k.key AS i, \
  (SELECT CASE WHEN g.end >= k.value THEN g.country END FROM geo_v4 AS g \
    WHERE g.start <= k.value ORDER BY g.start DESC LIMIT 1) AS country \
FROM json_each(?1) AS k \
UNION ALL \
SELECT 6, k.key, \
  (SELECT CASE WHEN g.end >= unhex(k.value) THEN g.country END FROM geo_v6 AS g \
    WHERE g.start <= unhex(k.value) ORDER BY g.start DESC LIMIT 1) \
FROM json_each(?2) AS k";

/// Addresses kept per isolate. Past it the cache starts over: simpler than an LRU, and a sender's working
/// set of addresses is far smaller.
const CACHE_CAPACITY: usize = 10_000;

thread_local! {
    /// Every address this isolate looked up, with its country or `None` (a gap or no country at all).
    static CACHE: RefCell<HashMap<IpAddr, Option<Geo>>> = RefCell::new(HashMap::new());
}

/// One row of [`LOOKUP_COUNTRIES`].
#[derive(Debug, Deserialize)]
pub struct Row {
    /// 4 or 6: which array the key came from.
    pub family: i64,
    /// The key's index in that array.
    pub i: i64,
    /// The country, or `None` in a gap.
    pub country: Option<String>,
}

/// The distinct addresses of one lookup, split by family, with the two bound parameters.
#[derive(Debug, Default)]
pub struct Lookup {
    v4: Vec<IpAddr>,
    v6: Vec<IpAddr>,
    /// `?1`: the IPv4 keys as a JSON array of numbers.
    pub v4_param: String,
    /// `?2`: the IPv6 keys as a JSON array of hex strings.
    pub v6_param: String,
}

impl Lookup {
    /// Prepares a lookup of the distinct `ips` that have a geo key; addresses without one (private,
    /// loopback, ...) are left out, as they have no country.
    pub fn new(ips: impl IntoIterator<Item = IpAddr>) -> Lookup {
        let mut lookup = Lookup::default();
        let mut seen = std::collections::HashSet::new();
        let (mut v4_keys, mut v6_keys) = (Vec::new(), Vec::new());
        for ip in ips {
            if !seen.insert(ip) {
                continue;
            }
            match geo_key(ip) {
                Some(GeoKey::V4(n)) => {
                    lookup.v4.push(ip);
                    v4_keys.push(serde_json::Value::from(n));
                }
                Some(key @ GeoKey::V6(_)) => {
                    lookup.v6.push(ip);
                    v6_keys.push(serde_json::Value::from(key.hex()));
                }
                None => {}
            }
        }
        lookup.v4_param = serde_json::Value::Array(v4_keys).to_string();
        lookup.v6_param = serde_json::Value::Array(v6_keys).to_string();
        lookup
    }

    /// Whether there is anything to ask the database.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Every address of the lookup with its country, `None` for those no row placed in a range.
    pub fn resolve(&self, rows: Vec<Row>) -> HashMap<IpAddr, Option<Geo>> {
        let mut out: HashMap<IpAddr, Option<Geo>> = self
            .v4
            .iter()
            .chain(&self.v6)
            .map(|ip| (*ip, None))
            .collect();
        for row in rows {
            let ips = if row.family == 4 { &self.v4 } else { &self.v6 };
            let (Some(ip), Some(country)) = (
                usize::try_from(row.i).ok().and_then(|i| ips.get(i)),
                row.country,
            ) else {
                continue;
            };
            out.insert(
                *ip,
                Some(Geo {
                    country,
                    region: None,
                    city: None,
                }),
            );
        }
        out
    }
}

/// The countries of `ips` that have one. At most one D1 query, none when every address is cached or
/// has no country; each address found or not is remembered for the life of the isolate.
pub async fn countries(db: &D1Database, ips: &[IpAddr]) -> Result<HashMap<IpAddr, Geo>> {
    let mut found = HashMap::new();
    let mut misses = Vec::new();
    CACHE.with_borrow(|cache| {
        for ip in ips {
            match cache.get(ip) {
                Some(Some(geo)) => {
                    found.insert(*ip, geo.clone());
                }
                Some(None) => {}
                None => misses.push(*ip),
            }
        }
    });
    if misses.is_empty() {
        return Ok(found);
    }
    let lookup = Lookup::new(misses.iter().copied());
    let resolved = if lookup.is_empty() {
        HashMap::new()
    } else {
        let params = [
            JsValue::from_str(&lookup.v4_param),
            JsValue::from_str(&lookup.v6_param),
        ];
        let rows: Vec<Row> = db
            .prepare(LOOKUP_COUNTRIES)
            .bind(&params)?
            .all()
            .await?
            .results()?;
        lookup.resolve(rows)
    };
    CACHE.with_borrow_mut(|cache| {
        if cache.len() + misses.len() > CACHE_CAPACITY {
            cache.clear();
        }
        for ip in misses {
            let geo = resolved.get(&ip).cloned().flatten();
            if let Some(geo) = &geo {
                found.insert(ip, geo.clone());
            }
            cache.insert(ip, geo);
        }
    });
    Ok(found)
}
