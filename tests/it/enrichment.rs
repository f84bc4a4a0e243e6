//! What ingestion adds and removes: countries from the geo tables loaded by the project's set-up,
//! parsed user agents, Cloudflare's geo for events sent from a browser, skew and far-off timestamp
//! flags, and redaction with the tenant's own rules.

use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, event, ingest, list_all};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "enrichment::countries_and_user_agents",
        countries_and_user_agents,
    ),
    (
        "enrichment::browser_events_get_the_client_geo",
        browser_events_get_the_client_geo,
    ),
    (
        "enrichment::skew_and_far_off_timestamps",
        skew_and_far_off_timestamps,
    ),
    (
        "enrichment::secrets_are_redacted_before_storage",
        secrets_are_redacted_before_storage,
    ),
    (
        "enrichment::tenants_set_their_own_redaction_rules",
        tenants_set_their_own_redaction_rules,
    ),
];

fn stored(server: &Server, answer: &Answer, index: usize) -> Value {
    assert!(answer.status == 201, "{}", answer.text);
    let id = answer.json["events"][index]["id"].as_str().unwrap();
    let got = http::get(
        &server.url(&format!("/api/v1/events/{id}")),
        Some(&server.read_key),
    );
    assert_eq!(got.status, 200, "{}", got.text);
    got.json
}

fn with_context(actor: &str, context: Value) -> Value {
    let mut e = event(actor, "user.sign_in", "2025-05-01T00:00:00Z");
    e["context"] = context;
    e
}

fn countries_and_user_agents(server: &Server) {
    let answer = ingest(
        server,
        &json!([
            with_context(
                "geo-1",
                json!({"ip": "8.8.8.8", "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"})
            ),
            with_context("geo-2", json!({"ip": "2001:4860:4860::8888"})),
            with_context("geo-3", json!({"ip": "10.1.2.3"})),
        ]),
    );
    let v4 = stored(server, &answer, 0);
    assert_eq!(v4["context"]["geo"]["country"], "US", "{v4}");
    assert_eq!(v4["context"]["ua"]["browser"], "Mobile Safari");
    assert_eq!(v4["context"]["ua"]["os"], "iOS");
    assert_eq!(v4["context"]["ua"]["device"], "mobile");
    let v6 = stored(server, &answer, 1);
    assert_eq!(v6["context"]["geo"]["country"], "US", "{v6}");
    let private = stored(server, &answer, 2);
    assert!(
        private["context"].get("geo").is_none(),
        "a private address has no country: {private}"
    );
    // The country is searchable, in any case, and so is its absence.
    let actors = |q: &str| -> Vec<String> {
        let mut found: Vec<String> = list_all(server, &format!("q={}&limit=500", encode(q)))
            .iter()
            .map(|e| e["actor"]["id"].as_str().unwrap().to_string())
            .collect();
        found.sort();
        found
    };
    assert_eq!(actors("country:us actor.id:geo-*"), ["geo-1", "geo-2"]);
    assert_eq!(actors("-country:US actor.id:geo-*"), ["geo-3"]);
    assert_eq!(actors("country:\"\" actor.id:geo-*"), ["geo-3"]);
    let sent = with_context("geo-4", json!({"ip": "8.8.8.8", "geo": {"country": "FR"}}));
    let refused = ingest(server, &sent);
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json["rejected"][0]["errors"][0]["path"],
        "/context/geo"
    );
}

fn browser_events_get_the_client_geo(server: &Server) {
    let body = json!({"action": "page.view", "actor": {"id": "browser-1"}}).to_string();
    let send = |headers: &[(&str, &str)]| {
        let answer = http::send(
            "POST",
            &server.url("/api/v1/events"),
            Some(&server.ingest_key),
            headers,
            Some(("application/json", &body)),
        );
        stored(server, &answer, 0)
    };
    // A browser at a global address (wrangler dev passes the header on): its address and
    // request.cf's geo (wrangler dev's stand-in for Cloudflare's) are recorded.
    let event = send(&[
        ("origin", "https://app.example.com"),
        ("cf-connecting-ip", "81.2.69.142"),
    ]);
    assert_eq!(event["context"]["ip"], "81.2.69.142", "{event}");
    assert!(
        event["context"]["geo"]["country"].is_string(),
        "request.cf geo is recorded: {event}"
    );
    // From this machine (127.0.0.1) the address is recorded, but a loopback address has no country,
    // whatever geo the request carries.
    let event = send(&[("origin", "https://app.example.com")]);
    assert_eq!(event["context"]["ip"], "127.0.0.1", "{event}");
    assert!(event["context"].get("geo").is_none(), "{event}");
    // Without an Origin the request comes from a server, whose address says nothing about the actor.
    let answer = ingest(
        server,
        &json!({"action": "page.view", "actor": {"id": "server-1"}}),
    );
    let event = stored(server, &answer, 0);
    assert!(event["context"].get("ip").is_none(), "{event}");
}

fn skew_and_far_off_timestamps(server: &Server) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let iso = |secs: u64| evident_shared::timestamp::format_rfc3339((secs * 1000) as i64);
    let answer = ingest(
        server,
        &json!([
            event("skew-1", "doc.read", &iso(now + 3600)),
            event("skew-2", "doc.read", &iso(now - 90 * 86_400)),
            event("skew-3", "doc.read", &iso(now - 5)),
        ]),
    );
    let future = stored(server, &answer, 0);
    assert_eq!(future["flags"], json!(["occurred_in_future"]));
    assert!(future["skew_ms"].as_i64().unwrap() < -3_500_000);
    let old = stored(server, &answer, 1);
    assert_eq!(old["flags"], json!(["occurred_long_ago"]));
    let fresh = stored(server, &answer, 2);
    assert!(fresh.get("flags").is_none(), "{fresh}");
    let skew = fresh["skew_ms"].as_i64().unwrap();
    assert!((0..120_000).contains(&skew), "{skew}");
}

fn secrets_are_redacted_before_storage(server: &Server) {
    let mut e = event("redact-1", "code.evaluate", "2025-05-02T00:00:00Z");
    e["payload"] = json!({
        "code": "conn = connect(password = \"hunter2hunter2\")\nheaders[\"Authorization\"] = \"Bearer abcdefghijklmnopqrstuvwxyz012345\"",
        "api_key": "sk_live_51Habcdefghijklmnopqrstuv",
        "card": "4111 1111 1111 1111",
        "order": "4111 1111 1111 1112",
        "headers": [{"name": "X-Api-Key", "value": "q8Zr2LmN4pT7hdrkey"}],
        "grants": {"ghp_abcdefghijklmnopqrstuvwxyz0123456789": "admin"}
    });
    e["targets"] =
        json!([{"type": "webhook", "id": "https://h.example/cb?access_token=tgtsecret123"}]);
    e["changes"] =
        json!({"before": {"token": "old-secret-token"}, "after": {"token": "new-secret-token"}});
    e["metadata"] = json!({"cookie": "session=abc"});
    let answer = ingest(server, &e);
    let event = stored(server, &answer, 0);
    let text = event.to_string();
    for secret in [
        "hunter2hunter2",
        "abcdefghijklmnopqrstuvwxyz012345",
        "sk_live_51H",
        "4111 1111 1111 1111",
        "old-secret-token",
        "new-secret-token",
        "session=abc",
        "q8Zr2LmN4pT7hdrkey",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "tgtsecret123",
    ] {
        assert!(!text.contains(secret), "{secret} was stored: {text}");
    }
    assert_eq!(
        event["targets"][0]["id"], "https://h.example/cb?access_token=[REDACTED]",
        "{text}"
    );
    assert_eq!(event["payload"]["grants"]["[REDACTED]"], "admin", "{text}");
    assert_eq!(
        event["payload"]["order"], "4111 1111 1111 1112",
        "a Luhn-invalid number is not a card"
    );
    assert!(
        event["payload"]["code"]
            .as_str()
            .unwrap()
            .contains("connect(password ="),
        "the code stays readable"
    );
    assert_eq!(
        event["changes"]["changed_fields"],
        json!(["/token"]),
        "the change is still recorded"
    );
    let redacted: Vec<&str> = event["redacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for path in [
        "/payload/code",
        "/payload/api_key",
        "/payload/card",
        "/changes/before/token",
        "/changes/after/token",
        "/metadata/cookie",
        "/payload/headers/0/value",
        "/payload/grants/[REDACTED]",
        "/targets/0/id",
    ] {
        assert!(redacted.contains(&path), "{path} not in {redacted:?}");
    }
    // Nor is it anywhere else the event is kept: in no column, index or page of the database files
    // (the bodies are compressed, the rest is plain), looked at before any search below (a search
    // is itself recorded, with what it looked for), nor in the full-text index: a search for it
    // finds nothing, while one for the code around it finds the event.
    let file = server.database_file().expect("the local D1 database file");
    for path in [file.clone(), format!("{}-wal", file.display()).into()] {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for secret in [
            "hunter2hunter2",
            "abcdefghijklmnopqrstuvwxyz012345",
            "old-secret-token",
            "tgtsecret123",
            "q8Zr2LmN4pT7hdrkey",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is in {}",
                path.display()
            );
        }
    }
    let found = |q: &str| list_all(server, &format!("q={}&limit=500", encode(q))).len();
    assert_eq!(found("\"connect(password\" actor:redact-1"), 1);
    for secret in ["hunter2hunter2", "old-secret-token", "new-secret-token"] {
        assert_eq!(found(&format!("\"{secret}\"")), 0, "{secret} is searchable");
    }
}

fn tenants_set_their_own_redaction_rules(server: &Server) {
    let url = server.url("/api/v1/settings/redaction");
    let current = http::get(&url, Some(&server.read_key));
    assert_eq!(current.status, 200, "{}", current.text);
    let mut rules = current.json.clone();
    let keys = rules["extra_keys"].as_array().cloned();
    assert!(keys.is_some(), "the rules name extra keys: {rules}");
    rules["extra_keys"] = json!(["customer_ssn"]);
    let put = |key: &str, body: &Value| {
        http::send(
            "PUT",
            &url,
            Some(key),
            &[],
            Some(("application/json", &body.to_string())),
        )
    };
    assert_eq!(
        put(&server.read_key, &rules).status,
        403,
        "reading is not administering"
    );
    let saved = put(&server.admin_key, &rules);
    assert_eq!(saved.status, 200, "{}", saved.text);
    // The change is in the log, with the rules before and after and who made it.
    let changes = list_all(server, "q=action:settings.redaction_change&limit=500");
    let change = changes
        .iter()
        .find(|c| c["payload"]["after"]["extra_keys"] == json!(["customer_ssn"]))
        .unwrap_or_else(|| panic!("no settings.redaction_change: {changes:?}"));
    assert_eq!(change["actor"]["id"], "config:admin");
    assert_eq!(
        change["payload"]["before"]["extra_keys"],
        json!(keys.unwrap())
    );
    let recorded = changes.len();
    let mut e = event("redact-2", "customer.update", "2025-05-03T00:00:00Z");
    e["payload"] = json!({"customer_ssn": "078-05-1120", "plan": "pro"});
    let event = stored(server, &ingest(server, &e), 0);
    assert_eq!(event["payload"]["customer_ssn"], "[REDACTED]", "{event}");
    assert_eq!(event["payload"]["plan"], "pro");
    let bad = put(&server.admin_key, &json!({"extra_keys": [""]}));
    assert_eq!(
        (bad.status, bad.error_code()),
        (422, "invalid_redaction_rules"),
        "{}",
        bad.text
    );
    assert!(
        bad.json["error"]["errors"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("/extra_keys"),
        "{}",
        bad.text
    );
    // A misspelt member is refused by name, not ignored (which would leave the secret in the clear).
    let misspelt = put(&server.admin_key, &json!({"extraKeys": ["ssn"]}));
    assert_eq!(misspelt.status, 422, "{}", misspelt.text);
    assert_eq!(
        misspelt.json["error"]["errors"][0]["path"], "/extraKeys",
        "{}",
        misspelt.text
    );
    let garbage = http::send(
        "PUT",
        &url,
        Some(&server.admin_key),
        &[],
        Some(("application/json", "{")),
    );
    assert_eq!(garbage.status, 400);
    // Refused changes changed nothing, so nothing more is in the log.
    assert_eq!(
        list_all(server, "q=action:settings.redaction_change&limit=500").len(),
        recorded
    );
    // Put the defaults back for the tests that follow.
    assert_eq!(put(&server.admin_key, &current.json).status, 200);
}
