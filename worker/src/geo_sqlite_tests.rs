//! Runs the geo lookup of [`crate::geo`] natively against migrations/0002_geo.sql in SQLite: the right
//! country at the edges of IPv4 and IPv6 ranges, nothing in the gaps, and a primary-key seek per address
//! rather than a scan of the half-million ranges.

use std::collections::HashMap;
use std::net::IpAddr;

use evident_shared::enrich::Geo;
use rusqlite::Connection;

use crate::geo::{Lookup, Row, LOOKUP_COUNTRIES};

/// The geo tables with a few ranges, written the way scripts/geo-to-sql.mjs writes them.
fn database() -> Connection {
    let db = Connection::open_in_memory().unwrap();
    let migration = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/0002_geo.sql");
    db.execute_batch(&std::fs::read_to_string(migration).unwrap())
        .unwrap();
    db.execute_batch(
        "INSERT INTO geo_v4 (start, end, country) VALUES
           (16777216,16777471,'AU'),   -- 1.0.0.0 - 1.0.0.255
           (16777472,16778239,'CN'),   -- 1.0.1.0 - 1.0.3.255
           (134744064,134744319,'US'); -- 8.8.8.0 - 8.8.8.255
         INSERT INTO geo_v6 (start, end, country) VALUES
           (X'20010200000000000000000000000000',X'20010200ffffffffffffffffffffffff','JP'),
           (X'2a001450000000000000000000000000',X'2a001450ffffffffffffffffffffffff','IE');",
    )
    .unwrap();
    db
}

fn lookup(db: &Connection, ips: &[&str]) -> HashMap<IpAddr, Option<Geo>> {
    let lookup = Lookup::new(ips.iter().map(|s| s.parse::<IpAddr>().unwrap()));
    let mut stmt = db.prepare(LOOKUP_COUNTRIES).unwrap();
    let rows = stmt
        .query_map([&lookup.v4_param, &lookup.v6_param], |r| {
            Ok(Row {
                family: r.get(0)?,
                i: r.get(1)?,
                country: r.get(2)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    lookup.resolve(rows)
}

fn country(found: &HashMap<IpAddr, Option<Geo>>, ip: &str) -> Option<String> {
    found
        .get(&ip.parse::<IpAddr>().unwrap())
        .unwrap_or_else(|| panic!("{ip} was not looked up"))
        .as_ref()
        .map(|g| g.country.clone())
}

#[test]
fn ipv4_range_edges_and_gaps() {
    let db = database();
    let ips = [
        "1.0.0.0",
        "1.0.0.255",
        "1.0.1.0",
        "1.0.3.255",
        "1.0.4.0",
        "8.8.8.7",
        "8.8.7.255",
        "8.8.9.0",
        "223.255.255.255",
        "::ffff:1.0.2.3",
    ];
    let found = lookup(&db, &ips);
    let expected = [
        Some("AU"),
        Some("AU"),
        Some("CN"),
        Some("CN"),
        None,
        Some("US"),
        None,
        None,
        None,
        Some("CN"),
    ];
    for (ip, want) in ips.iter().zip(expected) {
        assert_eq!(country(&found, ip).as_deref(), want, "{ip}");
    }
}

#[test]
fn ipv6_range_edges_and_gaps() {
    let db = database();
    let ips = [
        "2001:200::",
        "2001:200:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:201::",
        "2a00:1450:4001:81c::200e",
        "2a00:1451::",
        "2000::1",
    ];
    let found = lookup(&db, &ips);
    let expected = [Some("JP"), Some("JP"), None, None, Some("IE"), None, None];
    for (ip, want) in ips.iter().zip(expected) {
        assert_eq!(country(&found, ip).as_deref(), want, "{ip}");
    }
}

#[test]
fn addresses_without_a_key_are_not_queried() {
    let lookup = Lookup::new(["10.0.0.1", "::1", "192.168.1.1"].map(|s| s.parse().unwrap()));
    assert!(lookup.is_empty());
    assert_eq!(
        (lookup.v4_param.as_str(), lookup.v6_param.as_str()),
        ("[]", "[]")
    );
    // Duplicates are asked once.
    let lookup = Lookup::new(["1.0.0.1", "1.0.0.1", "2001:200::1"].map(|s| s.parse().unwrap()));
    assert_eq!(lookup.v4_param, "[16777217]");
    assert_eq!(lookup.v6_param, r#"["20010200000000000000000000000001"]"#);
}

#[test]
fn lookup_seeks_the_primary_keys_and_scans_no_range_table() {
    let db = database();
    let mut stmt = db
        .prepare(&format!("EXPLAIN QUERY PLAN {LOOKUP_COUNTRIES}"))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map(
            ["[16777217]", r#"["20010200000000000000000000000001"]"#],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("SEARCH g USING INTEGER PRIMARY KEY (rowid<?)"),
        "{plan}"
    );
    assert!(
        plan.contains("SEARCH g USING PRIMARY KEY (start<?)"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN g"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}
