//! The parts of the query benchmark (`evident-query-bench`): loading demo events through the ingest
//! API, the queries it times over HTTP and straight against the SQLite file (the floor: the very
//! statements the worker sends to D1, built by the worker's own code), the export rate, and what each
//! event costs in storage.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use evident_shared::export::{ExportFormat, ExportWriter};
use evident_shared::query::{parse, Field, Query};
use evident_shared::timestamp::MAX_MILLIS;
use evident_worker::counts::{combinations_sql, count_sql, facet_sql, Key, DAY, FACET_SAMPLE};
use evident_worker::sql::{ListQuery, Reach, SqlValue, SELECT_RESOURCE_HISTORY};
use evident_worker::stored_body::decode;
use rusqlite::{params_from_iter, Connection};

use crate::demo::{generate, DemoConfig};
use crate::http::{self, encode};
use crate::server::Server;

/// The tenant of the benchmark's server (the worker's default).
pub const TENANT: &str = "demo";

/// Events per ingest request while loading.
const LOAD_BATCH: usize = 500;

/// Sends the demo events of `config` from `clients` threads in batches of [`LOAD_BATCH`]; returns
/// how many the server stored anew (a re-run of an interrupted load stores only what is missing).
pub fn load(server: &Server, config: &DemoConfig, clients: usize) -> usize {
    let events = Mutex::new(generate(config));
    let stored = AtomicUsize::new(0);
    let url = server.url("/api/v1/events");
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| loop {
                let batch: Vec<serde_json::Value> = {
                    let mut events = events.lock().expect("generator");
                    events.by_ref().take(LOAD_BATCH).collect()
                };
                if batch.is_empty() {
                    return;
                }
                let body = serde_json::to_string(&batch).expect("serialise");
                let answer = http::post(&url, Some(&server.ingest_key), "application/json", &body);
                assert!(
                    matches!(answer.status, 200 | 201),
                    "loading failed: {}",
                    answer.text
                );
                let accepted = answer.json["accepted"].as_u64().unwrap_or(0) as usize;
                stored.fetch_add(accepted, Ordering::Relaxed);
            });
        }
    });
    stored.into_inner()
}

/// One statement as the worker binds it.
pub type Statement = (String, Vec<SqlValue>);

/// A measured query: the API request, and the statements the worker runs to answer it.
pub struct Probe {
    /// What it stands for, as printed.
    pub name: &'static str,
    /// SPEC section 8's target for its p95 at 1M events, in ms, when it has one.
    pub target_ms: Option<f64>,
    /// Path and query string of the API request.
    pub path: String,
    /// The same work straight against SQLite.
    pub floor: Vec<Statement>,
}

/// Values taken from the loaded data, so the probes ask about things that exist.
pub struct Picks {
    /// The actor with the most events.
    pub actor: String,
    /// The resource named by the most events: `(type, id)`.
    pub resource: (String, String),
}

/// Finds [`Picks`] in the database file.
pub fn pick(db: &Connection) -> Picks {
    let actor = db
        .query_row(
            "SELECT actor_id FROM events WHERE tenant = ?1 AND actor_id IS NOT NULL \
             GROUP BY actor_id ORDER BY count(*) DESC LIMIT 1",
            [TENANT],
            |r| r.get(0),
        )
        .expect("an actor");
    let resource = db
        .query_row(
            "SELECT target_type, target_id FROM event_targets WHERE tenant = ?1 \
             GROUP BY target_type, target_id ORDER BY count(*) DESC LIMIT 1",
            [TENANT],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a resource");
    Picks { actor, resource }
}

/// The word the full-text probe searches for: in about 3 % of the demo events.
const WORD: &str = "revenue";
/// The list probe's filter: typical of someone looking into trouble in production.
const LIST_FILTER: &str = "env:production outcome:failure,denied";

/// The probes, for data whose newest event is at most `end_ms`.
pub fn probes(end_ms: i64, picks: &Picks) -> Vec<Probe> {
    let (month, quarter) = (end_ms - 30 * DAY, end_ms - 90 * DAY);
    let list = |filter: &str, from: Option<i64>| {
        let query = ListQuery {
            filter: parse(filter).expect("probe query"),
            from,
            to: from.map(|_| end_ms),
            now: end_ms,
            limit: 50,
            ..ListQuery::default()
        };
        query
            .to_sql(Reach::whole_tenant(TENANT))
            .expect("probe SQL")
    };
    let count = |filter: &Query, range: (i64, i64), key: Key, limit: u32| {
        count_sql(
            Reach::whole_tenant(TENANT),
            filter,
            end_ms,
            range,
            &key,
            limit,
        )
        .expect("count SQL")
    };
    let everything = Query::default();
    let actor_filter = parse(&format!("actor:{}", picks.actor)).expect("actor query");
    let (kind, id) = &picks.resource;
    vec![
        Probe {
            name: "list, 30 days, env + outcome",
            target_ms: Some(50.0),
            path: format!(
                "/api/v1/events?from={month}&to={end_ms}&q={}&limit=50",
                encode(LIST_FILTER)
            ),
            floor: vec![list(LIST_FILTER, Some(month))],
        },
        Probe {
            name: "list, newest, no filter",
            target_ms: Some(50.0),
            path: "/api/v1/events?limit=50".into(),
            floor: vec![list("", None)],
        },
        Probe {
            name: "histogram, 90 days by outcome",
            target_ms: Some(150.0),
            path: format!("/api/v1/histogram?from={quarter}&to={end_ms}&interval=1d&group=outcome"),
            floor: vec![count(
                &everything,
                (quarter, end_ms),
                Key::Buckets {
                    interval: DAY,
                    group: Some(Field::Outcome),
                },
                0,
            )],
        },
        Probe {
            name: "facets, 30 days: env, workspace, action, outcome",
            target_ms: Some(200.0),
            path: format!(
                "/api/v1/facets?from={month}&to={end_ms}&field=env,workspace,action,outcome"
            ),
            // Rollup fields together: one pass over the rollups answers them all.
            floor: vec![combinations_sql(
                Reach::whole_tenant(TENANT),
                &everything,
                end_ms,
                (month, end_ms),
            )
            .expect("SQL")],
        },
        Probe {
            name: "facets, 30 days: actor (newest 10,000)",
            target_ms: Some(200.0),
            path: format!("/api/v1/facets?from={month}&to={end_ms}&field=actor"),
            floor: vec![facet_sql(
                Reach::whole_tenant(TENANT),
                &everything,
                end_ms,
                (month, end_ms),
                &Field::Actor,
                10,
                FACET_SAMPLE,
            )
            .expect("facet SQL")],
        },
        Probe {
            name: "full text, one word, all time",
            target_ms: Some(150.0),
            path: format!("/api/v1/events?q={WORD}&limit=50"),
            floor: vec![list(WORD, None)],
        },
        Probe {
            name: "actor timeline + top actions",
            target_ms: None,
            path: format!("/api/v1/actors/{}?limit=50", encode(&picks.actor)),
            floor: vec![
                facet_sql(
                    Reach::whole_tenant(TENANT),
                    &actor_filter,
                    end_ms,
                    (0, MAX_MILLIS),
                    &Field::Action,
                    10,
                    FACET_SAMPLE,
                )
                .expect("top actions SQL"),
                {
                    let query = ListQuery {
                        filter: actor_filter.clone(),
                        now: end_ms,
                        limit: 50,
                        ..ListQuery::default()
                    };
                    query
                        .to_sql(Reach::whole_tenant(TENANT))
                        .expect("actor SQL")
                },
            ],
        },
        Probe {
            name: "resource history, busiest resource",
            target_ms: None,
            path: format!("/api/v1/resources/{}/{}?limit=50", encode(kind), encode(id)),
            floor: vec![(
                SELECT_RESOURCE_HISTORY.to_string(),
                vec![
                    SqlValue::Text(TENANT.into()),
                    SqlValue::Text(kind.clone()),
                    SqlValue::Text(id.clone()),
                    SqlValue::Int(-1),
                    SqlValue::Int(0),
                    SqlValue::Int(51),
                    SqlValue::Null,
                    SqlValue::Null,
                ],
            )],
        },
    ]
}

/// Median and 95th percentile of some timings.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    /// Median, ms.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
}

impl Percentiles {
    /// From raw timings (at least one).
    pub fn of(mut times: Vec<Duration>) -> Percentiles {
        times.sort();
        let at = |q: f64| {
            let i = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
            times[i].as_secs_f64() * 1000.0
        };
        Percentiles {
            p50: at(0.5),
            p95: at(0.95),
        }
    }
}

/// Times `runs` calls of `f` after `warmup` untimed ones.
pub fn time(warmup: usize, runs: usize, mut f: impl FnMut()) -> Percentiles {
    for _ in 0..warmup {
        f();
    }
    Percentiles::of(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Times a probe's API request; every answer must be a 200.
pub fn time_http(server: &Server, probe: &Probe, runs: usize) -> Percentiles {
    let url = server.url(&probe.path);
    time(3, runs, || {
        let answer = http::get(&url, Some(&server.read_key));
        assert_eq!(answer.status, 200, "{}: {}", probe.path, answer.text);
    })
}

fn values(params: &[SqlValue]) -> impl Iterator<Item = rusqlite::types::Value> + '_ {
    params.iter().map(|p| match p {
        SqlValue::Text(text) => rusqlite::types::Value::Text(text.clone()),
        SqlValue::Int(n) => rusqlite::types::Value::Integer(*n),
        SqlValue::Null => rusqlite::types::Value::Null,
    })
}

/// Runs one statement and reads every column of every row, as the worker would receive them.
fn run(db: &Connection, (sql, params): &Statement) -> usize {
    let mut stmt = db.prepare_cached(sql).expect("prepare");
    let columns = stmt.column_count();
    let mut rows = stmt.query(params_from_iter(values(params))).expect("query");
    let mut n = 0;
    while let Some(row) = rows.next().expect("row") {
        for i in 0..columns {
            let _: rusqlite::types::Value = row.get(i).expect("column");
        }
        n += 1;
    }
    n
}

/// Times a probe's statements straight against SQLite.
pub fn time_floor(db: &Connection, probe: &Probe, runs: usize) -> Percentiles {
    let rows: usize = probe.floor.iter().map(|s| run(db, s)).sum();
    assert!(
        rows > 0,
        "{}: the floor's statements found nothing",
        probe.name
    );
    time(3, runs, || {
        for statement in &probe.floor {
            run(db, statement);
        }
    })
}

/// The export probe: every event of the last 7 days, as CSV.
pub fn export_path(end_ms: i64) -> String {
    format!(
        "/api/v1/export?format=csv&from={}&to={end_ms}",
        end_ms - 7 * DAY
    )
}

/// Exports through the API: rows and seconds. The file is read as it streams, a block at a time
/// (it is far larger than a test client would buffer).
pub fn export_http(server: &Server, end_ms: i64) -> (usize, Duration) {
    use std::io::Read;
    let started = Instant::now();
    let response = ureq::get(&server.url(&export_path(end_ms)))
        .set("authorization", &format!("Bearer {}", server.read_key))
        .call()
        .expect("export answered 200");
    let mut body = response.into_reader();
    let mut records = CsvRecords::default();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = body.read(&mut block).expect("read the export");
        if n == 0 {
            break;
        }
        records.feed(&block[..n]);
    }
    (records.data_records(), started.elapsed())
}

/// Counts the records of a CSV file fed in pieces: line ends outside quotes (quoted fields may hold
/// line breaks).
#[derive(Debug, Default)]
struct CsvRecords {
    quoted: bool,
    lines: usize,
}

impl CsvRecords {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.lines += 1,
                _ => {}
            }
        }
    }

    /// Records after the header.
    fn data_records(&self) -> usize {
        self.lines.saturating_sub(1)
    }
}

/// The same export straight from SQLite: the worker's pages of 1,000, its inflating of bodies and
/// its CSV writer.
pub fn export_floor(db: &Connection, end_ms: i64) -> (usize, Duration) {
    let started = Instant::now();
    let dictionaries = crate::stored::dictionaries(db, TENANT);
    let mut query = ListQuery {
        from: Some(end_ms - 7 * DAY),
        to: Some(end_ms),
        now: end_ms,
        limit: 1000,
        ..ListQuery::default()
    };
    let mut writer = ExportWriter::new(ExportFormat::Csv);
    let mut bytes = writer.start().len();
    loop {
        let (sql, params) = query
            .to_sql(Reach::whole_tenant(TENANT))
            .expect("export SQL");
        let mut stmt = db.prepare_cached(&sql).expect("prepare");
        let rows: Vec<(i64, u64, String)> = stmt
            .query_map(params_from_iter(values(&params)), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        for (_, _, body) in rows.iter().take(1000) {
            let body = decode(body.clone(), &dictionaries).expect("a stored body");
            bytes += writer.row(&body).expect("row").len();
        }
        if rows.len() <= 1000 {
            break;
        }
        let (occurred_at, seq, _) = &rows[999];
        query.cursor = Some(evident_shared::cursor::Cursor {
            occurred_at: *occurred_at,
            seq: *seq,
            view: None,
        });
    }
    bytes += writer.finish().len();
    assert!(bytes > 0);
    (writer.rows_written() as usize, started.elapsed())
}

/// Bytes stored for the events, by what holds them.
#[derive(Debug, Default)]
pub struct Storage {
    /// Events stored.
    pub events: u64,
    /// `(part, bytes)`: the events table, its indexes, full text, targets, rollups.
    pub parts: Vec<(&'static str, u64)>,
    /// The whole database file, geo ranges included.
    pub file_bytes: u64,
}

impl Storage {
    /// All the parts together.
    pub fn total(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b).sum()
    }
}

/// Measures storage with SQLite's `dbstat`: pages of each table and index, grouped.
pub fn storage(db: &Connection, file: &Path) -> Storage {
    let events: u64 = db
        .query_row(
            "SELECT count(*) FROM events WHERE tenant = ?1",
            [TENANT],
            |r| r.get(0),
        )
        .expect("count");
    let mut stmt = db
        .prepare(
            "SELECT s.name, coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat AS s \
             LEFT JOIN sqlite_master AS m ON m.name = s.name GROUP BY s.name",
        )
        .expect("dbstat");
    let mut parts: Vec<(&'static str, u64)> = [
        "events table",
        "events indexes",
        "full-text index",
        "event_targets",
        "event_counts",
    ]
    .into_iter()
    .map(|p| (p, 0))
    .collect();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("dbstat rows");
    for row in rows {
        let (name, table, bytes) = row.expect("dbstat row");
        // The tenant's body dictionary counts with the bodies it compresses.
        let part = if name == "events" || name == "body_dictionaries" {
            0
        } else if table == "events" {
            1
        } else if name.starts_with("events_fts") {
            2
        } else if table == "event_targets" {
            3
        } else if table == "event_counts" {
            4
        } else {
            continue;
        };
        parts[part].1 += bytes as u64;
    }
    let file_bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Storage {
        events,
        parts,
        file_bytes,
    }
}

/// Folds the write-ahead log into the database file once the server has stopped (waiting for its
/// last writer to let go), so a plain reader sees every event: workerd leaves the log behind.
pub fn checkpoint(file: &Path) {
    let db = Connection::open(file).expect("open the D1 file");
    db.busy_timeout(Duration::from_secs(30))
        .expect("busy timeout");
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    })
    .expect("checkpoint");
}

/// Opens the local D1 file. Read-write, though nothing here writes: a read-only connection can miss
/// the last writes workerd left in the write-ahead log, since it may not rebuild the log's index.
pub fn open(file: &Path) -> Connection {
    Connection::open(file).expect("open the D1 file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_ranks() {
        let times = (1..=20).map(Duration::from_millis).collect();
        let p = Percentiles::of(times);
        assert_eq!((p.p50, p.p95), (10.0, 19.0));
    }

    #[test]
    fn csv_records_ignore_line_breaks_in_quotes() {
        let count = |pieces: &[&str]| {
            let mut records = CsvRecords::default();
            for piece in pieces {
                records.feed(piece.as_bytes());
            }
            records.data_records()
        };
        assert_eq!(count(&["a,b\r\n1,\"x\ny\"\r\n2,z\r\n"]), 2);
        assert_eq!(count(&["a,b\r\n1,\"x", "\ny\"\r", "\n2,z\r\n"]), 2);
        assert_eq!(count(&["a,b\r\n"]), 0);
    }
}
