//! Every SQL statement the worker runs, as fixed text with numbered placeholders, plus the one builder
//! that assembles the list query from fixed fragments. No input is ever spliced into SQL text: values go
//! to [`SqlValue`] parameters. Pure Rust, so it is tested natively against the real migrations.

use evident_shared::canonical::canonical_map;
use evident_shared::cursor::Cursor;
use evident_shared::event::Outcome;
use evident_shared::search::event_text;
use evident_shared::timestamp::{parse_rfc3339, Millis};
use evident_shared::Event;

use evident_shared::query::{Query, QueryError};

use crate::query::{push_conditions, Table};
use crate::seal::Plan;

/// Inserts a chunk of sealed events in one statement. `?2` is a JSON array with one array per event:
/// its [`event_columns`] values, its `seq`, its hash, and then its stored body ([`crate::stored_body`]),
/// the last two as hex. Metadata is stored as JSONB, which `json_extract` reads as it reads JSON.
/// Each row is converted to JSONB once (the materialised CTE keeps SQLite from repeating the
/// conversion for every column), which makes the insert 1.7 times faster than reading each column
/// from the row's text. The column list is [`EVENT_COLUMN_NAMES`], then `seq`, `hash` and `body`.
pub const INSERT_EVENTS: &str =
    "WITH rows AS MATERIALIZED (SELECT jsonb(value) AS r FROM json_each(?2)) \
     INSERT INTO events (tenant, id, occurred_at, received_at, action, category, outcome, severity, \
     actor_type, actor_id, actor_email, environment, workspace, ip, idempotency_key, organization, \
     project, app, country, session_id, request_id, source, duration_ms, actor_name, metadata, \
     target_types, seq, hash, body) \
     SELECT ?1, r ->> 0, r ->> 1, r ->> 2, r ->> 3, r ->> 4, r ->> 5, r ->> 6, r ->> 7, r ->> 8, \
     r ->> 9, r ->> 10, r ->> 11, r ->> 12, r ->> 13, r ->> 14, r ->> 15, r ->> 16, r ->> 17, \
     r ->> 18, r ->> 19, r ->> 20, r ->> 21, r ->> 22, jsonb(r ->> 23), r ->> 24, r ->> 25, \
     unhex(r ->> 26), unhex(r ->> 27) FROM rows";

/// The stored body of an events row (`$t` is the table or its alias with a dot, e.g. `"e."`) as
/// text: a compressed body as `body.hash.prev_hash` in hex (`hex` of NULL is empty), the previous
/// event's hash read from its row (64 zeros, [`evident_shared::chain::GENESIS`], before the first
/// event; empty when that row is gone); a body stored as JSON by an earlier version as it is.
/// [`crate::stored_body::decode`] reads both. The previous row is looked up only for the rows a
/// query returns.
macro_rules! body {
    ($t:literal) => {
        concat!(
            "CASE typeof(",
            $t,
            "body) WHEN 'blob' THEN hex(",
            $t,
            "body) || '.' || hex(",
            $t,
            "hash) || '.' || CASE ",
            $t,
            "seq WHEN 1 THEN '",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "' ELSE ifnull((SELECT hex(p.hash) FROM events AS p WHERE p.tenant = ",
            $t,
            "tenant AND p.seq = ",
            $t,
            "seq - 1), '') END ELSE ",
            $t,
            "body END AS body"
        )
    };
}

/// [`body!`] for the events table without an alias.
pub const BODY: &str = body!("events.");

/// A tenant's body dictionaries ([`crate::stored_body`]), ids with their bytes as hex.
pub const SELECT_DICTIONARIES: &str =
    "SELECT id, hex(dictionary) AS dictionary FROM body_dictionaries WHERE tenant = ?1";

/// Stores a tenant's dictionary unless one with the same id exists. `?1` tenant, `?2` id, `?3` now
/// (ms), `?4` the bytes as hex.
pub const INSERT_DICTIONARY: &str =
    "INSERT INTO body_dictionaries (tenant, id, created_at, dictionary) \
     VALUES (?1, ?2, ?3, unhex(?4)) ON CONFLICT DO NOTHING";

/// Stored bodies at the given chain positions, to train a dictionary from. `?2` a JSON array of seqs.
pub const SELECT_TRAINING_BODIES: &str = concat!(
    "SELECT seq, ",
    body!("events."),
    " FROM events WHERE tenant = ?1 AND seq IN (SELECT value FROM json_each(?2)) ORDER BY seq"
);

/// Indexes the text of a chunk's events for full-text search. `?2` is the chunk's `[seq, text]` pairs
/// ([`print_event_search`]), read as JSONB once like [`INSERT_EVENTS`]' rows (reading
/// each value from a row's text would parse the row again every time). The events were inserted by
/// the statement before; each one's rowid is found by its `seq` (CROSS JOIN keeps the chunk in the
/// outer loop).
pub const INDEX_SEARCH_TEXT: &str =
    "WITH rows AS MATERIALIZED (SELECT jsonb(value) AS r FROM json_each(?2)) \
     INSERT INTO events_fts (rowid, text) SELECT e.rowid, r ->> 1 FROM rows \
     CROSS JOIN events AS e WHERE e.tenant = ?1 AND e.seq = r ->> 0";

/// Records the targets of a chunk's events, for resource histories. `?2` holds `[seq, occurred_at,
/// [[type, id], ...]]` for each event of the chunk that has targets ([`print_event_targets`]).
pub const INSERT_TARGETS: &str =
    "WITH rows AS MATERIALIZED (SELECT jsonb(value) AS r FROM json_each(?2)) \
     INSERT INTO event_targets (tenant, target_type, target_id, occurred_at, seq) \
     SELECT ?1, t.value ->> 0, t.value ->> 1, r ->> 1, r ->> 0 \
     FROM rows, json_each(r, '$[2]') AS t WHERE true ON CONFLICT DO NOTHING";

/// Adds a chunk's events, the rows just inserted with `seq` from ?2 to ?3, to the hourly and daily
/// rollups. They are read back rather than sent again: binding the chunk's index a third time cost
/// more than reading the rows it would describe.
pub const COUNT_EVENTS: &str = "INSERT INTO event_counts \
     (tenant, span, bucket, environment, workspace, action, category, outcome, n) \
     SELECT ?1, s.ms, e.occurred_at - (e.occurred_at % s.ms), coalesce(e.environment, ''), \
     coalesce(e.workspace, ''), e.action, e.category, e.outcome, count(*) \
     FROM events AS e, (SELECT 3600000 AS ms UNION ALL SELECT 86400000) AS s \
     WHERE e.tenant = ?1 AND e.seq BETWEEN ?2 AND ?3 \
     GROUP BY 2, 3, 4, 5, 6, 7, 8 ON CONFLICT DO UPDATE SET n = n + excluded.n";

/// A tenant's last sealed event.
pub const SELECT_CHAIN_HEAD: &str = "SELECT seq, hash FROM chain_heads WHERE tenant = ?1";

/// Moves a tenant's chain head; runs in the same batch as the inserts it follows.
pub const UPSERT_CHAIN_HEAD: &str =
    "INSERT INTO chain_heads (tenant, seq, hash) VALUES (?1, ?2, ?3) \
     ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";

/// Already stored events among a JSON array of idempotency keys, with their bodies ([`BODY`]).
pub const SELECT_IDEMPOTENT: &str = concat!(
    "SELECT idempotency_key AS key, id, seq, ",
    body!("events."),
    " FROM events \
     WHERE tenant = ?1 AND idempotency_key IN (SELECT value FROM json_each(?2))"
);

/// One page of a chain range, in order, with every column verify compares against the body
/// ([`EVENT_COLUMN_NAMES`]).
pub const SELECT_CHAIN_RANGE: &str = concat!(
    "SELECT seq, id, occurred_at, received_at, action, category, outcome, severity, actor_type, \
     actor_id, actor_email, environment, workspace, ip, idempotency_key, organization, project, \
     app, country, session_id, request_id, source, duration_ms, actor_name, \
     json(metadata) AS metadata, target_types, ",
    body!("events."),
    " FROM events WHERE tenant = ?1 AND seq >= ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4"
);

/// The first of a list of target rows that `event_targets` lacks, for verify. `?2` holds
/// `[[seq, occurred_at, type, id], ...]` in `seq` order ([`crate::verify::Verifier::take_targets`]);
/// each is one look-up of the table's primary key.
pub const SELECT_FIRST_MISSING_TARGET: &str = "SELECT j.value ->> 0 AS seq, j.value ->> 2 AS kind, \
     j.value ->> 3 AS target_id FROM json_each(?2) AS j WHERE NOT EXISTS (SELECT 1 FROM event_targets \
     AS t WHERE t.tenant = ?1 AND t.target_id = j.value ->> 3 AND t.target_type = j.value ->> 2 \
     AND t.occurred_at = j.value ->> 1 AND t.seq = j.value ->> 0) ORDER BY j.key LIMIT 1";

/// The stored body at one chain position (whose hash links the range verified after it).
pub const SELECT_BODY_AT: &str = concat!(
    "SELECT ",
    body!("events."),
    " FROM events WHERE tenant = ?1 AND seq = ?2"
);

/// Rows of a tenant that are not in its chain: without a `seq`, or with one outside 1 to the
/// recorded head (`?2`), which a walk up to the head never reads. A deleted or rewound head leaves
/// every event after it here.
pub const COUNT_UNSEALED: &str = "SELECT count(*) AS n FROM events WHERE tenant = ?1 \
     AND (seq IS NULL OR seq < 1 OR seq > ?2)";

/// A tenant's redaction rules (JSON), when it has its own.
pub const SELECT_REDACTION: &str = "SELECT redaction FROM tenant_settings WHERE tenant = ?1";

/// Sets a tenant's redaction rules.
pub const UPSERT_REDACTION: &str =
    "INSERT INTO tenant_settings (tenant, redaction) VALUES (?1, ?2) \
     ON CONFLICT (tenant) DO UPDATE SET redaction = excluded.redaction";

/// One page of a resource's history, oldest first: every event that names it as a target, after the
/// cursor `(?4 occurred_at, ?5 seq)` (pass `-1, 0` for the first page). Reads the event_targets key
/// in order, then each event by seq.
pub const SELECT_RESOURCE_HISTORY: &str = concat!(
    "SELECT t.occurred_at AS occurred_at, t.seq AS seq, ",
    body!("e."),
    " FROM event_targets AS t CROSS JOIN events AS e ON e.tenant = t.tenant AND e.seq = t.seq \
     WHERE t.tenant = ?1 AND t.target_id = ?3 AND t.target_type = ?2 \
     AND (t.occurred_at > ?4 OR (t.occurred_at = ?4 AND t.seq > ?5)) \
     AND (?7 IS NULL OR e.environment = ?7) AND (?8 IS NULL OR e.actor_email = ?8) \
     ORDER BY t.occurred_at, t.seq LIMIT ?6"
);

/// One event by id, within reach: `?3` the one environment or NULL, `?4` the one actor e-mail or
/// NULL ([`Reach`]).
pub const SELECT_EVENT: &str = concat!(
    "SELECT ",
    body!("events."),
    " FROM events WHERE tenant = ?1 AND id = ?2 \
     AND (?3 IS NULL OR environment = ?3) AND (?4 IS NULL OR actor_email = ?4)"
);

/// The columns of an API key that may be shown (never the hash), as [`crate::keys`] reads them.
macro_rules! key_columns {
    () => {
        "id, name, scope, environment, prefix, created_at, created_by, last_used_at, revoked_at"
    };
}

/// The stored key with a secret's hash, for authentication. `?1` the hash.
pub const SELECT_KEY_BY_HASH: &str = "SELECT tenant, id, name, scope, environment, last_used_at, \
     revoked_at FROM api_keys WHERE hash = ?1";

/// Records a key's use, at most once a minute, so authentication rarely writes. `?1` tenant, `?2` id,
/// `?3` now (ms).
pub const TOUCH_KEY: &str = "UPDATE api_keys SET last_used_at = ?3 \
     WHERE tenant = ?1 AND id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?3 - 60000)";

/// Inserts a key unless the tenant already has `?10` keys in force (revoked ones do not count, so
/// keys made and revoked over the years never lock a tenant out), counted in the same statement.
/// Returns the row, or nothing when it was not inserted. `?1` tenant, `?2` id, `?3` name, `?4` scope, `?5`
/// environment (`''` for none), `?6` display prefix, `?7` hash, `?8` now (ms), `?9` created by.
pub const INSERT_KEY: &str = concat!(
    "INSERT INTO api_keys (tenant, id, name, scope, environment, prefix, hash, created_at, \
     created_by) SELECT ?1, ?2, ?3, ?4, nullif(?5, ''), ?6, ?7, ?8, ?9 \
     WHERE (SELECT count(*) FROM api_keys WHERE tenant = ?1 AND revoked_at IS NULL) < ?10 \
     RETURNING ",
    key_columns!()
);

/// A tenant's keys: those in force, newest first, then as many revoked ones, newest first. `?1`
/// tenant, `?2` limit of each part (the most keys in force, so none of them is ever left out however
/// many were revoked). Each part reads `api_keys_by_created` in order; [`crate::keys::list`] puts the
/// parts in this order.
pub const SELECT_KEYS: &str = concat!(
    "SELECT * FROM (SELECT ",
    key_columns!(),
    " FROM api_keys WHERE tenant = ?1 AND revoked_at IS NULL \
     ORDER BY created_at DESC, id DESC LIMIT ?2) \
     UNION ALL SELECT * FROM (SELECT ",
    key_columns!(),
    " FROM api_keys WHERE tenant = ?1 AND revoked_at IS NOT NULL \
     ORDER BY created_at DESC, id DESC LIMIT ?2)"
);

/// One key. `?1` tenant, `?2` id.
pub const SELECT_KEY: &str = concat!(
    "SELECT ",
    key_columns!(),
    " FROM api_keys WHERE tenant = ?1 AND id = ?2"
);

/// How many keys a tenant has in force. `?1` tenant.
pub const COUNT_KEYS: &str =
    "SELECT count(*) AS n FROM api_keys WHERE tenant = ?1 AND revoked_at IS NULL";

/// Revokes a key that is not revoked yet; the row stays. Returns it, or nothing when there is no such
/// key or it was already revoked. `?1` tenant, `?2` id, `?3` now (ms).
pub const REVOKE_KEY: &str = concat!(
    "UPDATE api_keys SET revoked_at = ?3 WHERE tenant = ?1 AND id = ?2 AND revoked_at IS NULL \
     RETURNING ",
    key_columns!()
);

/// Cheapest query that proves the database answers.
pub const PING: &str = "SELECT 1 AS ok";

/// A bound parameter. Integers stay below 2^53 (milliseconds until the year 9999), so they cross the
/// JavaScript boundary exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// TEXT.
    Text(String),
    /// INTEGER.
    Int(i64),
    /// NULL.
    Null,
}

/// The queried columns of one event, in [`EVENT_COLUMN_NAMES`] order. Ingestion prints them as the
/// JSON array [`INSERT_EVENTS`] reads; verify derives them again from a stored body to check that no
/// column was edited apart from the body.
pub fn event_columns(event: &Event) -> [Column<'_>; EVENT_COLUMNS] {
    let ms = |text: &str| parse_rfc3339(text).ok();
    [
        Column::Text(Some(&event.id)),
        Column::Int(ms(&event.occurred_at)),
        Column::Int(ms(&event.received_at)),
        Column::Text(Some(&event.action)),
        Column::Text(Some(event.category.as_str())),
        Column::Text(Some(event.outcome.as_str())),
        Column::Text(Some(event.severity.as_str())),
        Column::Text(Some(event.actor.kind.as_str())),
        Column::Text(Some(&event.actor.id)),
        text(&event.actor.email),
        text(&event.scope.environment),
        text(&event.scope.workspace),
        text(&event.context.ip),
        text(&event.idempotency_key),
        text(&event.scope.organization),
        text(&event.scope.project),
        text(&event.scope.app),
        Column::Text(event.context.geo.as_ref().map(|g| g.country.as_str())),
        text(&event.context.session_id),
        text(&event.context.request_id),
        Column::Text(Some(
            event.source.name.as_deref().unwrap_or(&event.source.format),
        )),
        Column::Int(event.duration_ms.and_then(|ms| i64::try_from(ms).ok())),
        text(&event.actor.name),
        // Canonical, as in the body: numbers as the API shows them (`10`, not `10.0`), so that
        // `metadata.<key>:` terms match what people see.
        Column::Owned((!event.metadata.is_empty()).then(|| canonical_map(&event.metadata))),
        Column::Owned(target_types(event)),
    ]
}

/// The distinct types of an event's targets as a sorted JSON array, `None` without targets.
fn target_types(event: &Event) -> Option<String> {
    let types: std::collections::BTreeSet<&str> =
        event.targets.iter().map(|t| t.kind.as_str()).collect();
    (!types.is_empty()).then(|| serde_json::to_string(&types).expect("strings always serialise"))
}

/// Number of values [`event_columns`] returns.
pub const EVENT_COLUMNS: usize = 25;

/// The names of the [`event_columns`], in order.
pub const EVENT_COLUMN_NAMES: [&str; EVENT_COLUMNS] = [
    "id",
    "occurred_at",
    "received_at",
    "action",
    "category",
    "outcome",
    "severity",
    "actor_type",
    "actor_id",
    "actor_email",
    "environment",
    "workspace",
    "ip",
    "idempotency_key",
    "organization",
    "project",
    "app",
    "country",
    "session_id",
    "request_id",
    "source",
    "duration_ms",
    "actor_name",
    "metadata",
    "target_types",
];

/// One queried column's value, mostly borrowed from the event.
#[derive(Debug, Clone, PartialEq)]
pub enum Column<'a> {
    /// TEXT or NULL.
    Text(Option<&'a str>),
    /// TEXT or NULL, printed from the event.
    Owned(Option<String>),
    /// INTEGER or NULL.
    Int(Option<i64>),
}

impl serde::Serialize for Column<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Column::Text(text) => text.serialize(s),
            Column::Owned(text) => text.serialize(s),
            Column::Int(n) => n.serialize(s),
        }
    }
}

/// A text column from an optional field.
fn text(value: &Option<String>) -> Column<'_> {
    Column::Text(value.as_deref())
}

/// [`event_columns`] printed as the JSON array the insert reads.
pub fn print_event_columns(event: &Event) -> String {
    // A demo event's columns print to 270 to 570 bytes: one allocation rather than a growing one.
    print_json(&event_columns(event), 640)
}

/// `value` as JSON text, into a buffer of `capacity` bytes to start with.
fn print_json(value: &impl serde::Serialize, capacity: usize) -> String {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, value).expect("strings and integers always serialise");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// An event's searchable text ([`evident_shared::search::event_text`]) as a JSON string, for the
/// full-text index ([`INDEX_SEARCH_TEXT`]). Printed at ingest, where the event is at hand, so the
/// statements that store it never parse bodies.
pub fn print_event_search(event: &Event) -> String {
    let text = event_text(event);
    // The quotes, and room for a few escapes.
    print_json(&text, text.len() + 16)
}

/// An event's targets for resource histories ([`INSERT_TARGETS`]) as a JSON array, occurred_at (ms)
/// and then `[type, id]` pairs; empty when it has none, so that only events with targets are sent.
pub fn print_event_targets(event: &Event) -> String {
    if event.targets.is_empty() {
        return String::new();
    }
    let targets: Vec<(&str, &str)> = event
        .targets
        .iter()
        .map(|t| (t.kind.as_str(), t.id.as_str()))
        .collect();
    let values = (parse_rfc3339(&event.occurred_at).ok(), targets);
    serde_json::to_string(&values).expect("strings and integers always serialise")
}

/// Every statement that stores a sealing plan, in order, for one transaction: per chunk the insert
/// and what the query engine derives from its events (search text, targets, rollups), then the
/// chain head.
pub fn plan_statements(tenant: &str, plan: &Plan) -> Vec<(&'static str, Vec<SqlValue>)> {
    use SqlValue::{Int, Text};
    let mut statements = Vec::with_capacity(plan.chunks.len() * 4 + 1);
    for chunk in &plan.chunks {
        statements.push((
            INSERT_EVENTS,
            vec![Text(tenant.into()), Text(chunk.rows.clone())],
        ));
        statements.push((
            INDEX_SEARCH_TEXT,
            vec![Text(tenant.into()), Text(chunk.search.clone())],
        ));
        if chunk.targets != "[]" {
            statements.push((
                INSERT_TARGETS,
                vec![Text(tenant.into()), Text(chunk.targets.clone())],
            ));
        }
        let (first, last) = chunk.seqs;
        statements.push((
            COUNT_EVENTS,
            vec![Text(tenant.into()), Int(first as i64), Int(last as i64)],
        ));
    }
    statements.push((
        UPSERT_CHAIN_HEAD,
        vec![
            Text(tenant.into()),
            Int(plan.head.seq as i64),
            Text(plan.head.hash.clone()),
        ],
    ));
    statements
}

/// Whose events a read may see: one tenant's; within it only one environment's when the caller's
/// key is bound to one; and only those whose actor has one e-mail when the caller is a member
/// ([`crate::auth::Caller::reach`]). Every read path's SQL is built from it (the list,
/// [`crate::counts`], resource histories, single events), so the restriction lives in the SQL
/// builders rather than in each route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The one environment, or `None` for all of them.
    pub environment: Option<&'a str>,
    /// The one actor e-mail (a member's own), or `None` for every actor.
    pub actor_email: Option<&'a str>,
}

impl<'a> Reach<'a> {
    /// All of a tenant's events: for the benchmark and tests. A route passes its caller's
    /// ([`crate::auth::Caller::reach`]); there is no conversion from a bare tenant name, so a read path
    /// cannot leave out a caller's environment or actor by accident.
    pub fn whole_tenant(tenant: &'a str) -> Reach<'a> {
        Reach {
            tenant,
            environment: None,
            actor_email: None,
        }
    }

    /// Appends `AND <table>.environment = ?` for a reach bound to an environment, and
    /// `AND <table>.actor_email = ?` for one bound to an actor; `table` is a fixed table name or
    /// alias.
    pub fn push_conditions(&self, b: &mut Builder, table: &'static str) {
        for (column, value) in [
            (".environment = ", self.environment),
            (".actor_email = ", self.actor_email),
        ] {
            if let Some(value) = value {
                b.push(" AND ");
                b.push(table);
                b.push(column);
                b.bind_push(SqlValue::Text(value.into()));
            }
        }
    }

    /// Whether this reach is every event of its tenant.
    pub fn is_whole_tenant(&self) -> bool {
        self.environment.is_none() && self.actor_email.is_none()
    }

    /// Whether the rollups (kept by environment, not by actor) can count within this reach.
    pub fn rollups_apply(&self) -> bool {
        self.actor_email.is_none()
    }

    /// The environment and actor e-mail as parameters, NULL when unbound, for statements that take
    /// them as `(? IS NULL OR column = ?)`.
    pub fn nullable_params(&self) -> [SqlValue; 2] {
        let param = |v: Option<&str>| v.map_or(SqlValue::Null, |v| SqlValue::Text(v.into()));
        [param(self.environment), param(self.actor_email)]
    }
}

/// How an action filter matches.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionMatch {
    /// `app.delete`
    Exact(String),
    /// `app.*`: every action starting with `app.`
    Prefix(String),
}

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 50;

/// The filters and page of a list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Only events at or after this instant.
    pub from: Option<Millis>,
    /// Only events before this instant.
    pub to: Option<Millis>,
    /// Only events whose actor id or e-mail is this.
    pub actor: Option<String>,
    /// Only events with this action.
    pub action: Option<ActionMatch>,
    /// Only events with one of these outcomes (empty: any).
    pub outcomes: Vec<Outcome>,
    /// The search query (`q`); empty matches everything.
    pub filter: Query,
    /// The instant relative times in `filter` count from.
    pub now: Millis,
    /// Only events sealed at or before this chain position: an export fixes it when it starts, so
    /// events stored while it streams (even back-dated ones) never shift it.
    pub up_to_seq: Option<u64>,
    /// Continue after this position.
    pub cursor: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

impl Default for ListQuery {
    /// No filter, newest first, one page of [`DEFAULT_LIMIT`] events.
    fn default() -> Self {
        ListQuery {
            from: None,
            to: None,
            actor: None,
            action: None,
            outcomes: Vec::new(),
            filter: Query::default(),
            now: 0,
            up_to_seq: None,
            cursor: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Assembles SQL from fixed fragments while numbering the bound values.
#[derive(Debug, Default)]
pub struct Builder {
    sql: String,
    params: Vec<SqlValue>,
}

impl Builder {
    /// Appends fixed SQL text (never a value).
    pub fn push(&mut self, fragment: &'static str) {
        self.sql.push_str(fragment);
    }

    /// Binds a value and appends its placeholder.
    pub fn bind_push(&mut self, value: SqlValue) {
        let placeholder = self.bind(value);
        self.sql.push_str(&placeholder);
    }

    /// The SQL and its parameters.
    pub fn finish(self) -> (String, Vec<SqlValue>) {
        (self.sql, self.params)
    }

    /// Binds a value and returns its placeholder, e.g. `?3`.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    /// Pushes `fragment` with each `{}` replaced by the placeholder of the next value.
    fn push_bound(&mut self, fragment: &'static str, values: Vec<SqlValue>) {
        let mut parts = fragment.split("{}");
        self.sql.push_str(parts.next().unwrap_or(""));
        for (value, part) in values.into_iter().zip(parts) {
            let placeholder = self.bind(value);
            self.sql.push_str(&placeholder);
            self.sql.push_str(part);
        }
    }
}

/// The exclusive upper bound of a prefix range: `app.` -> `app/`, so `action >= 'app.' AND action <
/// 'app/'` uses the index where `LIKE` would not (and needs no escaping of `%` or `_`).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The surrogates are no characters: after U+D7FF comes U+E000.
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            _ => char::from_u32(last as u32 + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl ListQuery {
    /// The SQL and parameters that fetch one page plus one row (to tell whether another page exists).
    /// Selects `occurred_at, seq, body` ([`BODY`]), newest first. Fails only for a query term that cannot be
    /// searched (see [`crate::query::push_conditions`]).
    pub fn to_sql<'a>(&self, reach: Reach<'a>) -> Result<(String, Vec<SqlValue>), QueryError> {
        use SqlValue::{Int, Text};
        let mut b = Builder::default();
        b.push("SELECT occurred_at, seq, ");
        b.push(BODY);
        b.push_bound(
            " FROM events WHERE tenant = {}",
            vec![Text(reach.tenant.into())],
        );
        reach.push_conditions(&mut b, "events");
        if let Some(from) = self.from {
            b.push_bound(" AND occurred_at >= {}", vec![Int(from)]);
        }
        if let Some(to) = self.to {
            b.push_bound(" AND occurred_at < {}", vec![Int(to)]);
        }
        if let Some(actor) = &self.actor {
            // One placeholder twice would read better, but D1 binds positionally; two values are clearer.
            if actor.contains('@') {
                // E-mails are stored lowercased (ingest lowercases them).
                b.push_bound(" AND actor_email = {}", vec![Text(actor.to_lowercase())]);
            } else {
                b.push_bound(" AND actor_id = {}", vec![Text(actor.clone())]);
            }
        }
        match &self.action {
            Some(ActionMatch::Exact(action)) => {
                b.push_bound(" AND action = {}", vec![Text(action.clone())])
            }
            // An empty prefix has no upper bound and matches every action: no condition at all.
            Some(ActionMatch::Prefix(prefix)) => {
                if let Some(end) = prefix_end(prefix) {
                    b.push_bound(
                        " AND action >= {} AND action < {}",
                        vec![Text(prefix.clone()), Text(end)],
                    );
                }
            }
            None => {}
        }
        if !self.outcomes.is_empty() {
            b.push(" AND outcome IN (");
            for (i, outcome) in self.outcomes.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                let placeholder = b.bind(Text(outcome.as_str().into()));
                b.sql.push_str(&placeholder);
            }
            b.push(")");
        }
        push_conditions(&mut b, &self.filter, self.now, Table::Events)?;
        if let Some(seq) = self.up_to_seq {
            b.push_bound(
                " AND seq <= {}",
                vec![Int(i64::try_from(seq).unwrap_or(i64::MAX))],
            );
        }
        if let Some(cursor) = &self.cursor {
            b.push_bound(
                " AND (occurred_at < {} OR (occurred_at = {} AND seq < {}))",
                vec![
                    Int(cursor.occurred_at),
                    Int(cursor.occurred_at),
                    Int(cursor.seq_param()),
                ],
            );
        }
        b.push_bound(
            " ORDER BY occurred_at DESC, seq DESC LIMIT {}",
            vec![Int(i64::from(self.limit) + 1)],
        );
        Ok(b.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> ListQuery {
        ListQuery::default()
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let evil = "x' OR '1'='1";
        let q = ListQuery {
            actor: Some(evil.into()),
            action: Some(ActionMatch::Prefix(evil.into())),
            outcomes: vec![Outcome::Failure, Outcome::Denied],
            ..query()
        };
        let (sql, params) = q.to_sql(Reach::whole_tenant(evil)).unwrap();
        // The only quotes are the fixed ones of the body column's type test.
        assert!(!sql.replace(BODY, "").contains('\''), "{sql}");
        assert_eq!(params.len(), 7);
        assert_eq!(params[0], SqlValue::Text(evil.into()));
        assert!(sql.contains("outcome IN (?5, ?6)"), "{sql}");
        assert!(sql.ends_with("LIMIT ?7"), "{sql}");
        assert_eq!(params[6], SqlValue::Int(51));
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_end("app."), Some("app/".into()));
        assert_eq!(prefix_end(""), None);
        // The surrogates are skipped: no string holds them.
        assert_eq!(prefix_end("a\u{D7FF}"), Some("a\u{E000}".into()));
        assert_eq!(prefix_end("a\u{10FFFF}"), Some("b".into()));
    }
}
