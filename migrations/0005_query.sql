-- The query engine's storage (SPEC 4): more queried columns, full-text search, the targets of each
-- event, and the rollups behind histograms and facets.
--
-- Everything here is derived from the events. The worker writes it in the same transaction as the
-- events it derives from (evident_worker::sql::plan_statements), from values it computes while the
-- event is at hand, so it never drifts from the events. The statements below fill it in for events
-- stored before this migration (local databases only) with the same values, computed in SQL.

-- Queried fields that had no column yet (SPEC 4.1: org, project, app, country, session, request,
-- source, duration; actor names for the actor facet).
ALTER TABLE events ADD COLUMN organization TEXT;
ALTER TABLE events ADD COLUMN project TEXT;
ALTER TABLE events ADD COLUMN app TEXT;
ALTER TABLE events ADD COLUMN country TEXT;
ALTER TABLE events ADD COLUMN session_id TEXT;
ALTER TABLE events ADD COLUMN request_id TEXT;
ALTER TABLE events ADD COLUMN source TEXT;
ALTER TABLE events ADD COLUMN duration_ms INTEGER;
ALTER TABLE events ADD COLUMN actor_name TEXT;

UPDATE events SET
    organization = body ->> '$.scope.organization',
    project = body ->> '$.scope.project',
    app = body ->> '$.scope.app',
    country = body ->> '$.context.geo.country',
    session_id = body ->> '$.context.session_id',
    request_id = body ->> '$.context.request_id',
    source = ifnull(body ->> '$.source.name', body ->> '$.source.format'),
    duration_ms = body ->> '$.duration_ms',
    actor_name = body ->> '$.actor.name';

-- Selective filters that would otherwise scan a tenant's whole time index, newest first like the list.
CREATE INDEX events_by_session ON events (tenant, session_id, occurred_at DESC, id DESC)
    WHERE session_id IS NOT NULL;
CREATE INDEX events_by_request ON events (tenant, request_id, occurred_at DESC, id DESC)
    WHERE request_id IS NOT NULL;

-- Free text (SPEC 4.1): the text is evident_shared::search::event_text (the action and description,
-- names, e-mails and ids of actor, participants and targets, the error, and every string in the
-- payload and metadata, keys left out).
-- Contentless: the index alone, keyed by the events' rowid; the text is never read back.
CREATE VIRTUAL TABLE events_fts USING fts5(
    text,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO events_fts (rowid, text)
SELECT e.rowid, concat_ws(' ',
    e.action,
    e.body ->> '$.description',
    e.actor_id, e.actor_name, e.actor_email,
    (SELECT group_concat(concat_ws(' ', p.value ->> '$.id', p.value ->> '$.name',
                                   p.value ->> '$.email'), ' ')
       FROM json_each(e.body, '$.participants') AS p),
    (SELECT group_concat(concat_ws(' ', t.value ->> '$.type', t.value ->> '$.id',
                                   t.value ->> '$.name'), ' ')
       FROM json_each(e.body, '$.targets') AS t),
    e.body ->> '$.error.code',
    e.body ->> '$.error.message',
    (SELECT group_concat(s.value, ' ') FROM json_tree(e.body, '$.payload') AS s
      WHERE s.type = 'text'),
    (SELECT group_concat(m.value, ' ') FROM json_each(e.body, '$.metadata') AS m
      WHERE m.type = 'text'))
FROM events AS e;

-- Every event's targets, for resource histories ("what changed, who changed it") and target filters.
CREATE TABLE event_targets (
    tenant      TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    TEXT    NOT NULL,
    PRIMARY KEY (tenant, target_type, target_id, occurred_at, event_id)
) WITHOUT ROWID;

-- `target.id:x` without a type.
CREATE INDEX event_targets_by_id ON event_targets (tenant, target_id);

INSERT INTO event_targets (tenant, target_type, target_id, occurred_at, event_id)
SELECT e.tenant, t.value ->> '$.type', t.value ->> '$.id', e.occurred_at, e.id
FROM events AS e, json_each(e.body, '$.targets') AS t
WHERE true
ON CONFLICT DO NOTHING;

-- Event counts per hour and per day (`span`, in ms) by the dimensions histograms group by and
-- dashboards filter on first. A histogram or facet over these costs the same at a million events as
-- at a thousand. `environment` and `workspace` are '' when absent (primary keys need values).
CREATE TABLE event_counts (
    tenant      TEXT    NOT NULL,
    span        INTEGER NOT NULL,
    bucket      INTEGER NOT NULL,
    environment TEXT    NOT NULL,
    workspace   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (tenant, span, bucket, environment, workspace, action, category, outcome)
) WITHOUT ROWID;

INSERT INTO event_counts (tenant, span, bucket, environment, workspace, action, category, outcome, n)
SELECT tenant, span.ms, occurred_at - (occurred_at % span.ms), ifnull(environment, ''),
       ifnull(workspace, ''), action, category, outcome, count(*)
FROM events, (SELECT 3600000 AS ms UNION ALL SELECT 86400000) AS span
WHERE true
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
