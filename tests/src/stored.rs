//! Stored event bodies read straight from a D1 database file, as the worker reads them: for tests that
//! tamper with rows and for the benchmark's floor.

use evident_worker::sql::SELECT_DICTIONARIES;
use evident_worker::stored_body::{dictionaries_from_hex, Dictionaries};
use rusqlite::Connection;

/// A tenant's body dictionaries, read with the worker's statement.
pub fn dictionaries(db: &Connection, tenant: &str) -> Dictionaries {
    let mut stmt = db.prepare(SELECT_DICTIONARIES).expect("prepare");
    let rows = stmt
        .query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("dictionaries");
    dictionaries_from_hex(rows.map(|r| r.expect("row"))).expect("hex")
}
