//! API keys stored in D1 (`/api/v1/keys`, SPEC 6) through the real stack: each scope does what it
//! may and nothing more, secrets are shown once, revocation takes effect on the next request, keys
//! bound to an environment send and read only that environment, and the log records every change to
//! keys. Each test uses its own key names, actors and environments (`keys-<test>-...`).

use evident_shared::api_key::{hash_secret, is_well_formed, new_secret, RANDOM_BYTES};
use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, event};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "keys::each_scope_does_what_it_may",
        each_scope_does_what_it_may,
    ),
    ("keys::the_secret_is_shown_once", the_secret_is_shown_once),
    (
        "keys::a_revoked_key_is_refused_at_once",
        a_revoked_key_is_refused_at_once,
    ),
    (
        "keys::malformed_and_unknown_keys_are_unauthorized",
        malformed_and_unknown_keys_are_unauthorized,
    ),
    (
        "keys::bad_bodies_are_refused_by_field",
        bad_bodies_are_refused_by_field,
    ),
    (
        "keys::a_bound_ingest_key_sends_only_its_environment",
        a_bound_ingest_key_sends_only_its_environment,
    ),
    (
        "keys::a_bound_read_key_reads_only_its_environment",
        a_bound_read_key_reads_only_its_environment,
    ),
    (
        "keys::a_bound_key_holds_for_adapters_too",
        a_bound_key_holds_for_adapters_too,
    ),
    (
        "keys::a_bound_admin_key_manages_only_its_environment",
        a_bound_admin_key_manages_only_its_environment,
    ),
    (
        "keys::creating_and_revoking_are_in_the_log",
        creating_and_revoking_are_in_the_log,
    ),
];

const PATH: &str = "/api/v1/keys";

fn send_as(
    server: &Server,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let text = body.map(Value::to_string);
    http::send(
        method,
        &server.url(path),
        key,
        &[],
        text.as_deref().map(|t| ("application/json", t)),
    )
}

/// Creates a key with the configured admin key; returns the answer's JSON (key and secret).
fn create(server: &Server, body: Value) -> Value {
    create_as(server, &server.admin_key, body)
}

fn create_as(server: &Server, admin: &str, body: Value) -> Value {
    let answer = send_as(server, Some(admin), "POST", PATH, Some(&body));
    assert_eq!(answer.status, 201, "{body}: {}", answer.text);
    answer.json
}

fn secret(key: &Value) -> String {
    key["secret"].as_str().unwrap().to_string()
}

fn id(key: &Value) -> String {
    key["id"].as_str().unwrap().to_string()
}

/// Every key of the tenant, as the admin key lists them.
fn list(server: &Server) -> Vec<Value> {
    let answer = send_as(server, Some(&server.admin_key), "GET", PATH, None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["keys"].as_array().unwrap().clone()
}

fn listed(server: &Server, key_id: &str) -> Value {
    list(server)
        .into_iter()
        .find(|k| k["id"] == key_id)
        .unwrap_or_else(|| panic!("{key_id} is not listed"))
}

fn ingest_as(server: &Server, key: &str, body: &Value) -> Answer {
    http::post(
        &server.url("/api/v1/events"),
        Some(key),
        "application/json",
        &body.to_string(),
    )
}

fn get_as(server: &Server, key: &str, path: &str) -> Answer {
    http::get(&server.url(path), Some(key))
}

fn each_scope_does_what_it_may(server: &Server) {
    let ingest = secret(&create(
        server,
        json!({"name": "keys-scope ingest", "scope": "ingest"}),
    ));
    let read = secret(&create(
        server,
        json!({"name": "keys-scope read", "scope": "read"}),
    ));
    let admin = create(
        server,
        json!({"name": "keys-scope admin", "scope": "admin"}),
    );
    let admin_secret = secret(&admin);
    let events = "/api/v1/events?actor=keys-scope-actor";

    // Ingest: sends events, reads nothing, manages nothing.
    let sent = ingest_as(
        server,
        &ingest,
        &event("keys-scope-actor", "doc.create", "2026-01-05T10:00:00Z"),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    for path in [events, "/api/v1/facets?field=action", PATH] {
        let answer = get_as(server, &ingest, path);
        assert_eq!(answer.status, 403, "{path}: {}", answer.text);
        assert!(
            answer.error_message().contains("`ingest` scope"),
            "{}",
            answer.text
        );
    }

    // Read: reads events, sends none, manages no keys.
    let page = get_as(server, &read, events);
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["events"].as_array().unwrap().len(), 1);
    let body = event("keys-scope-actor", "doc.update", "2026-01-05T10:01:00Z");
    assert_eq!(ingest_as(server, &read, &body).status, 403);
    let body = json!({"name": "keys-scope by read", "scope": "read"});
    for (method, body) in [("GET", None), ("POST", Some(&body))] {
        let answer = send_as(server, Some(&read), method, PATH, body);
        assert_eq!(answer.status, 403, "{method}: {}", answer.text);
        assert!(
            answer.error_message().contains("`admin` scope"),
            "{}",
            answer.text
        );
    }

    // Admin: reads events and manages keys; the keys it creates name it as their creator.
    assert_eq!(get_as(server, &admin_secret, events).status, 200);
    assert_eq!(get_as(server, &admin_secret, PATH).status, 200);
    let made = create_as(
        server,
        &admin_secret,
        json!({"name": "keys-scope made by admin", "scope": "read"}),
    );
    assert_eq!(made["created_by"], admin["id"]);
    assert_eq!(get_as(server, &secret(&made), events).status, 200);
    // Admin does not grant ingest, as with the configured admin key.
    assert_eq!(ingest_as(server, &admin_secret, &body).status, 403);
}

fn the_secret_is_shown_once(server: &Server) {
    let created = create(
        server,
        json!({"name": " keys-once ", "scope": "read", "environment": null}),
    );
    let secret = secret(&created);
    let id = id(&created);
    assert!(is_well_formed(&secret), "{secret}");
    assert!(
        secret.starts_with("evd_sk_") && secret.len() == 45,
        "{secret}"
    );
    assert_eq!(created["name"], "keys-once");
    assert_eq!(created["scope"], "read");
    assert_eq!(created["environment"], Value::Null);
    assert_eq!(created["prefix"], &secret[..11]);
    assert_eq!(created["created_by"], "config:admin");
    assert_eq!(created["last_used_at"], Value::Null);
    assert_eq!(created["revoked_at"], Value::Null);
    assert!(evident_shared::saved_search::is_id(&id), "{id}");

    let mut shown = listed(server, &id);
    let mut fields: Vec<&String> = shown.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "created_at",
            "created_by",
            "environment",
            "id",
            "last_used_at",
            "name",
            "prefix",
            "revoked_at",
            "scope"
        ]
    );
    let all = send_as(server, Some(&server.admin_key), "GET", PATH, None).text;
    assert!(!all.contains(&secret[11..]), "the list holds the secret");
    assert!(
        !all.contains(&hash_secret(&secret)),
        "the list holds the hash"
    );

    // Last use shows once the key is used.
    assert_eq!(
        get_as(server, &secret, "/api/v1/events?limit=1").status,
        200
    );
    shown = listed(server, &id);
    assert!(shown["last_used_at"].is_string(), "{shown}");
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("secret");
    expected["last_used_at"] = shown["last_used_at"].clone();
    assert_eq!(shown, expected);
}

fn a_revoked_key_is_refused_at_once(server: &Server) {
    let created = create(server, json!({"name": "keys-revoke", "scope": "read"}));
    let (secret, id) = (secret(&created), id(&created));
    assert_eq!(
        get_as(server, &secret, "/api/v1/events?limit=1").status,
        200
    );

    let item = format!("{PATH}/{id}");
    let revoked = send_as(server, Some(&server.admin_key), "DELETE", &item, None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.json["id"], id.as_str());
    let revoked_at = revoked.json["revoked_at"].as_str().unwrap().to_string();

    let refused = get_as(server, &secret, "/api/v1/events?limit=1");
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert_eq!(refused.error_code(), "unauthorized");
    assert!(
        refused.error_message().contains("revoked")
            && refused.error_message().contains(&revoked_at),
        "{}",
        refused.text
    );
    // The row stays, marked; revoking again answers it unchanged.
    assert_eq!(listed(server, &id)["revoked_at"], revoked_at.as_str());
    let again = send_as(server, Some(&server.admin_key), "DELETE", &item, None);
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["revoked_at"], revoked_at.as_str());

    for path in [
        format!("{PATH}/00000000-0000-4000-8000-000000000000"),
        format!("{PATH}/not-an-id"),
    ] {
        let answer = send_as(server, Some(&server.admin_key), "DELETE", &path, None);
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
    }
    let get_one = send_as(server, Some(&server.admin_key), "GET", &item, None);
    assert_eq!(get_one.status, 405, "{}", get_one.text);
    let delete_all = send_as(server, Some(&server.admin_key), "DELETE", PATH, None);
    assert_eq!(delete_all.status, 405, "{}", delete_all.text);
}

fn malformed_and_unknown_keys_are_unauthorized(server: &Server) {
    let real = secret(&create(
        server,
        json!({"name": "keys-malformed", "scope": "read"}),
    ));
    let mut tampered = real.clone().into_bytes();
    tampered[20] = if tampered[20] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    // Well-formed (prefix and checksum right) but never issued.
    let unknown = new_secret(&[7; RANDOM_BYTES]).unwrap();
    let url = server.url("/api/v1/events?limit=1");
    for header in [
        None,
        Some(String::new()),
        Some("Bearer".to_string()),
        Some("Bearer    ".to_string()),
        Some(format!("Basic {real}")),
        Some(real.clone()),
        Some(format!("Bearer {tampered}")),
        Some(format!("Bearer {unknown}")),
        Some(format!("Bearer {}", &real[..44])),
        Some(format!("Bearer {real}x")),
        Some("Bearer evd_sk_".to_string()),
        Some(format!("Bearer {}", server.read_key.to_uppercase())),
    ] {
        let headers: Vec<(&str, &str)> = header
            .as_deref()
            .map(|h| ("authorization", h))
            .into_iter()
            .collect();
        let answer = http::send("GET", &url, None, &headers, None);
        assert_eq!(answer.status, 401, "{header:?}: {}", answer.text);
        assert_eq!(answer.error_code(), "unauthorized", "{header:?}");
    }
    let answer = http::get(&url, Some(&unknown));
    assert_eq!(answer.error_message(), "the key is not valid");
    // The real one works, with the scheme in any case.
    let lower = format!("bearer {real}");
    let ok = http::send("GET", &url, None, &[("authorization", &lower)], None);
    assert_eq!(ok.status, 200, "{}", ok.text);
}

fn bad_bodies_are_refused_by_field(server: &Server) {
    let post = |body: &Value| send_as(server, Some(&server.admin_key), "POST", PATH, Some(body));
    let answer = post(&json!({"name": "", "scope": "root", "environment": 5, "secret": "x"}));
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.error_code(), "invalid_api_key");
    let paths: Vec<&str> = answer.json["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/secret", "/name", "/scope", "/environment"]);
    assert!(
        answer.error_message().contains("not `root`"),
        "{}",
        answer.text
    );
    for (body, field) in [
        (json!({"scope": "read"}), "/name"),
        (json!({"name": "keys-bad"}), "/scope"),
        (
            json!({"name": "keys-bad", "scope": "read", "environment": "  "}),
            "/environment",
        ),
        (json!({"name": "x".repeat(101), "scope": "read"}), "/name"),
        (json!(["keys-bad"]), ""),
    ] {
        let answer = post(&body);
        assert_eq!(answer.status, 422, "{body}: {}", answer.text);
        assert_eq!(answer.json["error"]["errors"][0]["path"], field, "{body}");
    }
    let not_json = http::send(
        "POST",
        &server.url(PATH),
        Some(&server.admin_key),
        &[],
        Some(("application/json", "{\"name\": ")),
    );
    assert_eq!(not_json.status, 400, "{}", not_json.text);
    assert_eq!(not_json.error_code(), "invalid_json");
    let params = send_as(
        server,
        Some(&server.admin_key),
        "GET",
        &format!("{PATH}?limit=5"),
        None,
    );
    assert_eq!(params.status, 400, "{}", params.text);
    // Nothing was created.
    assert!(list(server).iter().all(|k| k["name"] != "keys-bad"));
    // Keys other than admin, and no key, are refused before the body is read.
    let good = json!({"name": "keys-bad", "scope": "read"});
    assert_eq!(send_as(server, None, "POST", PATH, Some(&good)).status, 401);
    assert_eq!(
        send_as(server, Some(&server.read_key), "POST", PATH, Some(&good)).status,
        403
    );
    assert_eq!(
        send_as(server, Some(&server.ingest_key), "GET", PATH, None).status,
        403
    );
}

fn with_environment(actor: &str, action: &str, at: &str, environment: Option<&str>) -> Value {
    let mut e = event(actor, action, at);
    if let Some(environment) = environment {
        e["scope"] = json!({"environment": environment});
    }
    e
}

fn a_bound_ingest_key_sends_only_its_environment(server: &Server) {
    let actor = "keys-bound-ingest-actor";
    let key = create(
        server,
        json!({"name": "keys-bound ingest", "scope": "ingest", "environment": "keys-bound-prod"}),
    );
    assert_eq!(key["environment"], "keys-bound-prod");
    let key = secret(&key);
    let batch = json!([
        with_environment(
            actor,
            "doc.create",
            "2026-01-06T10:00:00Z",
            Some("keys-bound-prod")
        ),
        with_environment(
            actor,
            "doc.create",
            "2026-01-06T10:01:00Z",
            Some("keys-bound-staging")
        ),
        with_environment(actor, "doc.create", "2026-01-06T10:02:00Z", None),
    ]);
    let answer = ingest_as(server, &key, &batch);
    assert_eq!(answer.status, 207, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 1);
    let rejected = answer.json["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{}", answer.text);
    for (r, index) in rejected.iter().zip([1, 2]) {
        assert_eq!(r["index"], index);
        assert_eq!(r["errors"][0]["path"], "/scope/environment");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("`keys-bound-prod`"), "{message}");
    }
    assert!(rejected[0]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("`keys-bound-staging`"));

    // One event of its own environment alone is simply stored; of another, alone, nothing is.
    let own = with_environment(
        actor,
        "doc.update",
        "2026-01-06T10:03:00Z",
        Some("keys-bound-prod"),
    );
    assert_eq!(ingest_as(server, &key, &own).status, 201);
    let other = with_environment(actor, "doc.update", "2026-01-06T10:04:00Z", Some("other"));
    let refused = ingest_as(server, &key, &other);
    assert_eq!(refused.status, 422, "{}", refused.text);
    // With `atomic`, one event of another environment stores nothing.
    let atomic = http::post(
        &server.url("/api/v1/events?atomic=true"),
        Some(&key),
        "application/json",
        &batch.to_string(),
    );
    assert_eq!(atomic.status, 422, "{}", atomic.text);

    let stored = get_as(
        server,
        &server.read_key,
        &format!("/api/v1/events?actor={actor}"),
    );
    let envs: Vec<&str> = stored.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scope"]["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["keys-bound-prod", "keys-bound-prod"]);
}

fn a_bound_read_key_reads_only_its_environment(server: &Server) {
    let actor = "keys-bound-read-actor";
    let (a, b) = ("keys-read-a", "keys-read-b");
    let events: Vec<Value> = (0..5)
        .map(|i| {
            let mut e = with_environment(
                actor,
                "doc.view",
                &format!("2026-01-07T10:0{i}:00Z"),
                Some(if i < 3 { a } else { b }),
            );
            e["targets"] = json!([{"type": "doc", "id": "keys-read-doc"}]);
            e
        })
        .collect();
    let sent = ingest_as(server, &server.ingest_key, &Value::Array(events));
    assert_eq!(sent.status, 201, "{}", sent.text);
    let ids: Vec<String> = sent.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let bound = secret(&create(
        server,
        json!({"name": "keys-bound read", "scope": "read", "environment": a}),
    ));
    let envs_of = |answer: &Answer, field: &str| -> Vec<String> {
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["scope"]["environment"].as_str().unwrap().to_string())
            .collect()
    };

    // List, actor page and resource history: only environment a, for the bound key.
    let list = format!("/api/v1/events?actor={actor}");
    assert_eq!(envs_of(&get_as(server, &bound, &list), "events"), [a, a, a]);
    assert_eq!(
        envs_of(&get_as(server, &server.read_key, &list), "events").len(),
        5
    );
    let actor_page = format!("/api/v1/actors/{actor}");
    assert_eq!(
        envs_of(&get_as(server, &bound, &actor_page), "events"),
        [a, a, a]
    );
    let history = "/api/v1/resources/doc/keys-read-doc";
    assert_eq!(
        envs_of(&get_as(server, &bound, history), "events"),
        [a, a, a]
    );
    // Searching for the other environment finds nothing.
    let other = format!(
        "/api/v1/events?q={}",
        encode(&format!("env:{b} actor:{actor}"))
    );
    assert!(envs_of(&get_as(server, &bound, &other), "events").is_empty());

    // Single events: another environment's is not there.
    assert_eq!(
        get_as(server, &bound, &format!("/api/v1/events/{}", ids[0])).status,
        200
    );
    let hidden = get_as(server, &bound, &format!("/api/v1/events/{}", ids[4]));
    assert_eq!(hidden.status, 404, "{}", hidden.text);

    // Facets, from the events (an actor query), from the rollups, and several rollup fields at once.
    let q_actor = encode(&format!("actor:{actor}"));
    let q_envs = encode(&format!("env:{a},{b}"));
    for (query, fields) in [
        (format!("q={q_actor}"), "env,action"),
        (format!("q={q_envs}"), "env"),
        (format!("q={q_envs}"), "env,outcome"),
    ] {
        let path = format!("/api/v1/facets?field={fields}&{query}");
        let facets = get_as(server, &bound, &path);
        assert_eq!(facets.status, 200, "{path}: {}", facets.text);
        assert_eq!(
            facets.json["facets"]["env"],
            json!([{"value": a, "count": 3}]),
            "{path}"
        );
        let all = get_as(server, &server.read_key, &path);
        assert_eq!(
            all.json["facets"]["env"].as_array().unwrap().len(),
            2,
            "{path}"
        );
    }
    let histogram = format!(
        "/api/v1/histogram?q={q_envs}&from=2026-01-07T00:00:00Z&to=2026-01-08T00:00:00Z&interval=1h"
    );
    let counted = get_as(server, &bound, &histogram);
    assert_eq!(counted.status, 200, "{}", counted.text);
    let total: i64 = counted.json["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 3);

    // The export holds only environment a.
    let export = get_as(
        server,
        &bound,
        &format!("/api/v1/export?format=ndjson&q={q_actor}"),
    );
    assert_eq!(export.status, 200, "{}", export.text);
    let lines: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", export.text);
    assert!(lines.iter().all(|e| e["scope"]["environment"] == a));
}

fn creating_and_revoking_are_in_the_log(server: &Server) {
    let created = create(
        server,
        json!({"name": "keys-audited", "scope": "ingest", "environment": "keys-audit-env"}),
    );
    let (key_secret, id) = (secret(&created), id(&created));
    let item = format!("{PATH}/{id}");
    let revoked = send_as(server, Some(&server.admin_key), "DELETE", &item, None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);

    let history = get_as(
        server,
        &server.read_key,
        &format!("/api/v1/resources/api_key/{id}"),
    );
    assert_eq!(history.status, 200, "{}", history.text);
    let events = history.json["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["api_key.create", "api_key.revoke"]);
    for e in events {
        assert_eq!(e["actor"]["type"], "api_key");
        assert_eq!(e["actor"]["id"], "config:admin");
        assert_eq!(e["actor"]["name"], "ADMIN_KEY");
        assert_eq!(
            e["targets"][0],
            json!({"type": "api_key", "id": id, "name": "keys-audited"})
        );
        assert_eq!(e["payload"]["scope"], "ingest");
        assert_eq!(e["payload"]["environment"], "keys-audit-env");
        assert_eq!(e["payload"]["prefix"], &key_secret[..11]);
        assert_eq!(e["source"]["format"], "evident");
        assert!(e["seq"].as_u64().is_some(), "sealed into the chain: {e}");
    }
    assert!(
        !history.text.contains(&key_secret[11..]),
        "the log holds the secret"
    );
    assert!(
        !history.text.contains(&hash_secret(&key_secret)),
        "the log holds the hash"
    );
    // Revoking an already revoked key records nothing more.
    send_as(server, Some(&server.admin_key), "DELETE", &item, None);
    let again = get_as(
        server,
        &server.read_key,
        &format!("/api/v1/resources/api_key/{id}"),
    );
    assert_eq!(again.json["events"].as_array().unwrap().len(), 2);

    // A stored admin key is named as the actor of what it does.
    let admin = create(
        server,
        json!({"name": "keys-audit admin", "scope": "admin"}),
    );
    let made = create_as(
        server,
        &secret(&admin),
        json!({"name": "keys-audit made", "scope": "read"}),
    );
    let made_log = get_as(
        server,
        &server.read_key,
        &format!("/api/v1/resources/api_key/{}", made["id"].as_str().unwrap()),
    );
    assert_eq!(made_log.json["events"][0]["actor"]["id"], admin["id"]);
    assert_eq!(
        made_log.json["events"][0]["actor"]["name"],
        "keys-audit admin"
    );

    // The chain still verifies with the log's own events in it.
    let verify = get_as(server, &server.read_key, "/api/v1/verify");
    assert_eq!(verify.status, 200, "{}", verify.text);
    assert_eq!(verify.json["ok"], true, "{}", verify.text);
}

fn a_bound_key_holds_for_adapters_too(server: &Server) {
    let key = secret(&create(
        server,
        json!({"name": "keys-adapter", "scope": "ingest", "environment": "keys-adapter-prod"}),
    ));
    let record = |id: &str, environment: &str| {
        json!({
            "eventId": id, "eventTime": 1718202622000_i64, "eventType": "APPLICATION_DELETE",
            "userId": "keys-adapter-user", "orgId": "lc-org", "appId": "app-9",
            "environmentId": environment
        })
    };
    let body = json!([
        record("keys-adapter-1", "keys-adapter-prod"),
        record("keys-adapter-2", "keys-adapter-dev")
    ]);
    let answer = http::post(
        &server.url("/api/v1/ingest/lowcoder"),
        Some(&key),
        "application/json",
        &body.to_string(),
    );
    assert_eq!(answer.status, 207, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 1, "{}", answer.text);
    assert_eq!(answer.json["rejected"][0]["index"], 1);
    assert_eq!(
        answer.json["rejected"][0]["errors"][0]["path"],
        "/scope/environment"
    );
}

fn a_bound_admin_key_manages_only_its_environment(server: &Server) {
    let (own, other) = ("keys-admin-own", "keys-admin-other");
    let admin = secret(&create(
        server,
        json!({"name": "keys-bound admin", "scope": "admin", "environment": own}),
    ));
    let post = |body: Value| send_as(server, Some(&admin), "POST", PATH, Some(&body));
    // It cannot make itself a wider key, nor one of another environment.
    for body in [
        json!({"name": "keys-bound wide", "scope": "read"}),
        json!({"name": "keys-bound other", "scope": "read", "environment": other}),
    ] {
        let answer = post(body.clone());
        assert_eq!(answer.status, 403, "{body}: {}", answer.text);
        assert!(answer.error_message().contains(own), "{}", answer.text);
    }
    let made = post(json!({"name": "keys-bound same", "scope": "read", "environment": own}));
    assert_eq!(made.status, 201, "{}", made.text);
    // It revokes keys of its environment only.
    let foreign = create(
        server,
        json!({"name": "keys-bound foreign", "scope": "read", "environment": other}),
    );
    let path = |key: &Value| format!("{PATH}/{}", id(key));
    let refused = send_as(server, Some(&admin), "DELETE", &path(&foreign), None);
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(listed(server, &id(&foreign))["revoked_at"], Value::Null);
    let revoked = send_as(server, Some(&admin), "DELETE", &path(&made.json), None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    // People and settings are the whole tenant's: an invite would give someone every environment,
    // and the redaction rules hold for all of them. Nothing is made.
    let invites_before = send_as(
        server,
        Some(&server.admin_key),
        "GET",
        "/api/v1/invites",
        None,
    );
    let whole_tenant = [
        (
            "POST",
            "/api/v1/invites".to_string(),
            Some(json!({"email": "keys-bound-escape@example.com", "role": "admin"})),
        ),
        (
            "PATCH",
            "/api/v1/people/p_nobody".to_string(),
            Some(json!({"role": "admin"})),
        ),
        ("DELETE", "/api/v1/people/p_nobody".to_string(), None),
        (
            "PUT",
            "/api/v1/settings/redaction".to_string(),
            Some(json!({})),
        ),
    ];
    for (method, path, body) in &whole_tenant {
        let answer = send_as(server, Some(&admin), method, path, body.as_ref());
        assert_eq!(answer.status, 403, "{method} {path}: {}", answer.text);
        assert!(
            answer
                .error_message()
                .contains(&format!("bound to the environment `{own}`")),
            "{}",
            answer.text
        );
    }
    let invites_after = send_as(
        server,
        Some(&server.admin_key),
        "GET",
        "/api/v1/invites",
        None,
    );
    assert_eq!(invites_after.json, invites_before.json);
    // Its reads keep to its environment like a bound read key's.
    let sent = ingest_as(
        server,
        &server.ingest_key,
        &json!([
            with_environment(
                "keys-bound-admin-actor",
                "doc.view",
                "2026-01-08T10:00:00Z",
                Some(own)
            ),
            with_environment(
                "keys-bound-admin-actor",
                "doc.view",
                "2026-01-08T10:01:00Z",
                Some(other)
            ),
        ]),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    let page = get_as(
        server,
        &admin,
        "/api/v1/events?actor=keys-bound-admin-actor",
    );
    let events = page.json["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", page.text);
    assert_eq!(events[0]["scope"]["environment"], own);
}
