-- IP address ranges to countries, for the `context.geo` enrichment of events (SPEC 3.3).
--
-- Filled by `scripts/load-geo.sh` from the CC0/CC BY npm package `@ip-location-db/geo-whois-asn-country`,
-- never by a migration: the data changes daily, the schema does not. The loader flattens overlapping
-- ranges (the most specific wins), merges neighbours with the same country, and replaces the rows of
-- all three tables in one atomic file, so a reader sees either the old dataset or the new one.
--
-- Both range tables hold non-overlapping inclusive ranges [start, end], keyed on `start`, so looking an
-- address up is one primary-key seek: the row with the largest `start <= ip`, which covers the address
-- only if `end >= ip` (otherwise the address is in a gap: unallocated, private or unknown).

-- IPv4: addresses as unsigned 32-bit integers. `start` is the rowid, so the table is its own index and
-- a lookup is a single b-tree descent.
CREATE TABLE geo_v4 (
    start   INTEGER PRIMARY KEY,
    end     INTEGER NOT NULL,
    country TEXT    NOT NULL
);

-- IPv6: addresses as 16-byte big-endian BLOBs, whose bytewise order is numeric order. 128-bit numbers do
-- not fit SQLite's 64-bit integers (nor survive JavaScript's 2^53), and BLOBs take half the room of hex
-- text. WITHOUT ROWID: the primary key is the table, so there is no second b-tree to keep or to seek.
CREATE TABLE geo_v6 (
    start   BLOB NOT NULL PRIMARY KEY,
    end     BLOB NOT NULL,
    country TEXT NOT NULL
) WITHOUT ROWID;

-- Which dataset is loaded: one row, written last by the loader in the same file as the ranges. The loader
-- skips when `version` already equals the installed package's version.
CREATE TABLE geo_meta (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    dataset   TEXT    NOT NULL,
    version   TEXT    NOT NULL,
    v4_ranges INTEGER NOT NULL,
    v6_ranges INTEGER NOT NULL,
    loaded_at TEXT    NOT NULL
);
