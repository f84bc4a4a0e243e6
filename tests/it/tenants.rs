//! Tenants stay apart (SPEC 6) through every endpoint of the real stack. A second tenant's keys are
//! written straight into the local D1 database (the API only makes keys for the caller's own tenant,
//! and the configured keys belong to `demo`); with them, the other tenant sends its own events, then
//! tries to see or change each of the demo tenant's events, counts, exports, chain, settings, keys,
//! people, invites and saved searches, by listing and by id. Everything answers as if the demo tenant
//! did not exist, while the other tenant's own data is all there.

use evident_shared::api_key::{display_prefix, hash_secret, new_secret, RANDOM_BYTES};
use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::support::{encode, ingest};
use crate::Test;

pub const TESTS: &[Test] = &[(
    "tenants::no_endpoint_crosses_tenants",
    no_endpoint_crosses_tenants,
)];

const OTHER: &str = "tenants-other";

/// A stored key of the other tenant, written into the database file: its secret.
fn other_key(server: &Server, scope: &str, n: u8) -> String {
    tenant_key(server, OTHER, scope, n)
}

/// A stored key of `tenant`, written into the database file: its secret.
fn tenant_key(server: &Server, tenant: &str, scope: &str, n: u8) -> String {
    let mut random = [0u8; RANDOM_BYTES];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(n);
    }
    let secret = new_secret(&random).expect("a secret");
    let file = server.database_file().expect("the local D1 database file");
    let db = Connection::open(file).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute(
        "INSERT INTO api_keys (tenant, id, name, scope, prefix, hash, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 'test')",
        rusqlite::params![
            tenant,
            format!("00000000-0000-4000-8000-00000000000{n}"),
            format!("{tenant} {scope}"),
            scope,
            display_prefix(&secret),
            hash_secret(&secret)
        ],
    )
    .unwrap();
    secret
}

fn call(server: &Server, key: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let text = body.map(Value::to_string);
    http::send(
        method,
        &server.url(path),
        Some(key),
        &[],
        text.as_deref().map(|t| ("application/json", t)),
    )
}

fn ok(answer: Answer, what: &str) -> Answer {
    assert!(
        (200..300).contains(&answer.status),
        "{what}: {}",
        answer.text
    );
    answer
}

fn no_endpoint_crosses_tenants(server: &Server) {
    // The demo tenant's things, made through the API.
    let admin = &server.admin_key;
    let demo = ok(
        ingest(
            server,
            &json!([{"action": "tenants.secret", "actor": {"id": "tenants-demo-actor"},
                     "targets": [{"type": "tenants-doc", "id": "d1"}]}]),
        ),
        "demo ingest",
    );
    let demo_event = demo.json["events"][0]["id"].as_str().unwrap().to_string();
    let demo_key = ok(
        call(
            server,
            admin,
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": "tenants-demo", "scope": "read"})),
        ),
        "demo key",
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let invite = ok(
        call(
            server,
            admin,
            "POST",
            "/api/v1/invites",
            Some(&json!({"email": "tenants-demo@example.com", "role": "member"})),
        ),
        "demo invite",
    );
    let demo_invite = invite.json["id"].as_str().unwrap().to_string();
    let person = ok(
        http::post(
            &server.url("/api/v1/invites/accept"),
            None,
            "application/json",
            &json!({"token": invite.json["token"], "name": "Demo", "password": "correct horse battery staple"}).to_string(),
        ),
        "demo person",
    );
    let demo_person = person.json["id"].as_str().unwrap().to_string();
    let second_invite = ok(
        call(
            server,
            admin,
            "POST",
            "/api/v1/invites",
            Some(&json!({"email": "tenants-pending@example.com", "role": "member"})),
        ),
        "demo pending invite",
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let saved = ok(
        call(
            server,
            admin,
            "POST",
            "/api/v1/saved-searches",
            Some(&json!({"name": "tenants demo", "q": "action:tenants.secret"})),
        ),
        "demo saved search",
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let demo_verify = ok(
        call(server, &server.read_key, "GET", "/api/v1/verify", None),
        "demo verify",
    )
    .json;

    // The other tenant: its keys, its events.
    let other_admin = other_key(server, "admin", 1);
    let other_ingest = other_key(server, "ingest", 2);
    let sent = ok(
        call(
            server,
            &other_ingest,
            "POST",
            "/api/v1/events",
            Some(&json!([
                {"action": "tenants.own", "actor": {"id": "tenants-other-actor"}, "targets": [{"type": "tenants-doc", "id": "d1"}]},
                {"action": "tenants.own", "actor": {"id": "tenants-other-actor"}},
                {"action": "tenants.own", "actor": {"id": "tenants-other-actor"}}
            ])),
        ),
        "other ingest",
    );
    assert_eq!(
        sent.json["events"][0]["seq"], 1,
        "the other tenant's chain starts at 1"
    );
    let get = |path: &str| call(server, &other_admin, "GET", path, None);

    // Its own view: only its events, by every read path.
    let all = ok(get("/api/v1/events?limit=500"), "other list");
    let listed = all.json["events"].as_array().unwrap();
    assert!(
        !all.text.contains("tenants-demo-actor") && !all.text.contains("tenants.secret"),
        "{}",
        all.text
    );
    let own = listed
        .iter()
        .filter(|e| e["action"] == "tenants.own")
        .count();
    assert_eq!(own, 3);
    let q = encode("action:tenants.secret");
    assert_eq!(
        ok(get(&format!("/api/v1/events?q={q}")), "search").json["events"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let facets = ok(get("/api/v1/facets?field=actor,action"), "facets");
    assert!(
        !facets.text.contains("tenants-demo-actor") && !facets.text.contains("tenants.secret"),
        "{}",
        facets.text
    );
    // Its own reads are recorded meanwhile (after each answer): count its sent events only.
    let own_q = encode("action:tenants.own");
    let histogram = ok(get(&format!("/api/v1/histogram?q={own_q}")), "histogram");
    let counted: i64 = histogram.json["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 3, "{}", histogram.text);
    let export = ok(get("/api/v1/export?format=ndjson"), "export");
    // (Its own read records name what it searched for, so look at actions, not at the text.)
    let exported: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(exported.len() >= listed.len());
    assert!(exported
        .iter()
        .all(|e| e["action"] != "tenants.secret" && e["actor"]["id"] != "tenants-demo-actor"));
    let own_export = ok(
        get(&format!("/api/v1/export?format=ndjson&q={own_q}")),
        "export",
    );
    assert_eq!(own_export.text.lines().count(), 3);
    let verify = ok(get("/api/v1/verify"), "verify");
    // Its own chain: started at 1 with its first event (above), whole, and not the demo tenant's.
    assert_eq!(verify.json["ok"], true, "{}", verify.text);
    assert_ne!(verify.json["head_hash"], demo_verify["head_hash"]);

    // The demo tenant's things, by id: as if they did not exist.
    for path in [
        format!("/api/v1/events/{demo_event}"),
        format!("/api/v1/saved-searches/{saved}"),
    ] {
        assert_eq!(get(&path).status, 404, "{path}");
    }
    let actor = ok(get("/api/v1/actors/tenants-demo-actor"), "actor");
    assert!(!actor.text.contains("tenants.secret"), "{}", actor.text);
    let resource = ok(get("/api/v1/resources/tenants-doc/d1"), "resource");
    let history = resource.json["events"].as_array().unwrap();
    assert!(
        history.iter().all(|e| e["action"] == "tenants.own"),
        "{}",
        resource.text
    );
    assert_eq!(history.len(), 1);
    for (listing, field, id) in [
        ("/api/v1/keys", "keys", &demo_key),
        ("/api/v1/people", "people", &demo_person),
        ("/api/v1/invites", "invites", &demo_invite),
        ("/api/v1/saved-searches", "saved_searches", &saved),
    ] {
        let answer = ok(get(listing), listing);
        assert!(answer.json[field].is_array(), "{}", answer.text);
        assert!(
            !answer.text.contains(id.as_str()),
            "{listing}: {}",
            answer.text
        );
        assert!(
            !answer.text.contains("tenants-demo"),
            "{listing}: {}",
            answer.text
        );
    }
    let changes = [
        ("DELETE", format!("/api/v1/keys/{demo_key}"), None),
        ("DELETE", format!("/api/v1/people/{demo_person}"), None),
        (
            "PATCH",
            format!("/api/v1/people/{demo_person}"),
            Some(json!({"role": "owner"})),
        ),
        ("DELETE", format!("/api/v1/invites/{second_invite}"), None),
        (
            "PUT",
            format!("/api/v1/saved-searches/{saved}"),
            Some(json!({"name": "stolen", "q": "x"})),
        ),
        ("DELETE", format!("/api/v1/saved-searches/{saved}"), None),
    ];
    for (method, path, body) in &changes {
        let answer = call(server, &other_admin, method, path, body.as_ref());
        assert_eq!(answer.status, 404, "{method} {path}: {}", answer.text);
    }
    // The demo tenant's things are untouched.
    let read = |path: &str| call(server, admin, "GET", path, None);
    assert_eq!(
        read(&format!("/api/v1/saved-searches/{saved}")).json["name"],
        "tenants demo"
    );
    let keys = ok(read("/api/v1/keys"), "demo keys");
    let key = keys.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == demo_key.as_str())
        .unwrap()
        .clone();
    assert!(key["revoked_at"].is_null());
    let people = ok(read("/api/v1/people"), "demo people");
    assert!(people.text.contains(&demo_person));
    assert!(ok(read("/api/v1/invites"), "demo invites")
        .text
        .contains(&second_invite));

    // Settings are per tenant: the other tenant's change does not reach the demo tenant.
    let mine = json!({"extra_keys": ["tenants-only-here"], "allowed_keys": [], "disabled_detectors": [], "secret_prefixes": []});
    ok(
        call(
            server,
            &other_admin,
            "PUT",
            "/api/v1/settings/redaction",
            Some(&mine),
        ),
        "other settings",
    );
    assert!(ok(get("/api/v1/settings/redaction"), "other settings")
        .text
        .contains("tenants-only-here"));
    assert!(!ok(read("/api/v1/settings/redaction"), "demo settings")
        .text
        .contains("tenants-only-here"));

    // The other tenant's whole chain copied, as it is, under a third tenant: every link holds, but
    // the events name the tenant they were sealed for, and verify says so.
    const COPY: &str = "tenants-copy";
    let copy_key = tenant_key(server, COPY, "read", 3);
    let file = server.database_file().expect("the local D1 database file");
    let db = Connection::open(file).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    for table in ["events", "chain_heads", "body_dictionaries"] {
        let columns: Vec<String> = db
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let picked: Vec<String> = columns
            .iter()
            .map(|c| {
                if c == "tenant" {
                    "?1".to_string()
                } else {
                    c.clone()
                }
            })
            .collect();
        let copied = db
            .execute(
                &format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE tenant = ?2",
                    columns.join(", "),
                    picked.join(", ")
                ),
                [COPY, OTHER],
            )
            .unwrap();
        // A tenant this young has no dictionary of its own yet.
        assert!(copied > 0 || table == "body_dictionaries", "{table}");
    }
    let copied = ok(
        call(server, &copy_key, "GET", "/api/v1/verify", None),
        "copied verify",
    );
    assert_eq!(copied.json["ok"], false, "{}", copied.text);
    assert_eq!(
        copied.json["first_break"]["code"], "foreign",
        "{}",
        copied.text
    );
    assert_eq!(copied.json["first_break"]["seq"], 1, "{}", copied.text);
}
