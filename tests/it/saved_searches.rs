//! Saved searches (`/api/v1/saved-searches`, SPEC 4.2) through the real stack. The test server has one
//! tenant, so tenants' isolation is tested natively against the statements instead
//! (`evident_worker::routes::saved_searches::tests`). Each test names its saved searches with its own
//! prefix, and the one that fills the tenant to its limit empties it again.

use evident_shared::saved_search::MAX_PER_TENANT;
use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::encode;
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "saved_searches::create_list_get_rename_delete",
        create_list_get_rename_delete,
    ),
    (
        "saved_searches::a_duplicate_name_is_a_conflict",
        a_duplicate_name_is_a_conflict,
    ),
    (
        "saved_searches::bad_bodies_are_refused_by_field",
        bad_bodies_are_refused_by_field,
    ),
    (
        "saved_searches::unknown_ids_are_not_found",
        unknown_ids_are_not_found,
    ),
    ("saved_searches::keys_are_checked", keys_are_checked),
    (
        "saved_searches::a_tenant_keeps_at_most_the_limit",
        a_tenant_keeps_at_most_the_limit,
    ),
];

const PATH: &str = "/api/v1/saved-searches";

fn send(server: &Server, method: &str, path: &str, body: Option<&Value>) -> Answer {
    send_as(server, Some(&server.read_key), method, path, body)
}

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

fn create(server: &Server, name: &str, q: &str) -> Answer {
    send(server, "POST", PATH, Some(&json!({"name": name, "q": q})))
}

fn item(id: &str) -> String {
    format!("{PATH}/{id}")
}

/// Every saved search of the tenant, newest first.
fn list(server: &Server) -> Vec<Value> {
    let answer = send(server, "GET", PATH, None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["saved_searches"].as_array().unwrap().clone()
}

fn names_with_prefix(server: &Server, prefix: &str) -> Vec<String> {
    list(server)
        .iter()
        .filter_map(|s| s["name"].as_str())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

fn create_list_get_rename_delete(server: &Server) {
    let first = create(
        server,
        "  crud failures ",
        "OUTCOME:failure   actor:\"jane\"",
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let saved = &first.json;
    let id = saved["id"].as_str().unwrap().to_string();
    assert!(evident_shared::saved_search::is_id(&id), "{id}");
    // The name is trimmed and the query stored as its canonical text.
    assert_eq!(saved["name"], "crud failures");
    assert_eq!(saved["q"], "outcome:failure actor:jane");
    let created_at = saved["created_at"].as_str().unwrap().to_string();
    assert!(evident_shared::timestamp::parse_rfc3339(&created_at).is_ok());
    assert_eq!(saved["updated_at"], created_at.as_str());
    assert_eq!(
        saved.as_object().unwrap().len(),
        5,
        "only id, name, q, created_at, updated_at: {saved}"
    );

    let second = create(server, "crud denied", "outcome:denied");
    assert_eq!(second.status, 201, "{}", second.text);
    let second_id = second.json["id"].as_str().unwrap().to_string();
    assert_ne!(second_id, id);

    // Newest first.
    assert_eq!(
        names_with_prefix(server, "crud "),
        ["crud denied", "crud failures"]
    );

    let got = send(server, "GET", &item(&id), None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(&got.json, saved);

    let renamed = send(
        server,
        "PUT",
        &item(&id),
        Some(&json!({"name": "crud failed logins", "q": "action:auth.login outcome:failure"})),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json["id"], id.as_str());
    assert_eq!(renamed.json["name"], "crud failed logins");
    assert_eq!(renamed.json["q"], "action:auth.login outcome:failure");
    assert_eq!(renamed.json["created_at"], created_at.as_str());
    let updated_at = renamed.json["updated_at"].as_str().unwrap();
    assert!(
        updated_at > created_at.as_str(),
        "{updated_at} > {created_at}"
    );
    assert_eq!(send(server, "GET", &item(&id), None).json, renamed.json);
    // Renaming keeps its place: the list is ordered by creation.
    assert_eq!(
        names_with_prefix(server, "crud "),
        ["crud denied", "crud failed logins"]
    );

    let deleted = send(server, "DELETE", &item(&id), None);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(deleted.text, "");
    assert_eq!(send(server, "GET", &item(&id), None).status, 404);
    assert_eq!(send(server, "DELETE", &item(&id), None).status, 404);
    assert_eq!(names_with_prefix(server, "crud "), ["crud denied"]);
    // Its name is free again.
    assert_eq!(
        create(server, "crud failed logins", "outcome:failure").status,
        201
    );

    // Each change is in the log, with the name and query before and after.
    let log = http::get(
        &server.url(&format!(
            "/api/v1/events?q={}&limit=10",
            encode(&format!("target:saved_search:{id}"))
        )),
        Some(&server.read_key),
    );
    assert_eq!(log.status, 200, "{}", log.text);
    let changes: Vec<(&str, &str, &Value, &Value)> = log.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["category"].as_str().unwrap(),
                &e["payload"]["before"],
                &e["payload"]["after"],
            )
        })
        .collect();
    let failures = json!({"name": "crud failures", "q": "outcome:failure actor:jane"});
    let logins = json!({"name": "crud failed logins", "q": "action:auth.login outcome:failure"});
    assert_eq!(
        changes,
        [
            ("saved_search.delete", "delete", &logins, &Value::Null),
            ("saved_search.update", "update", &failures, &logins),
            ("saved_search.create", "create", &Value::Null, &failures),
        ],
        "{}",
        log.text
    );
}

fn a_duplicate_name_is_a_conflict(server: &Server) {
    let first = create(server, "dup one", "outcome:failure");
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.json["id"].as_str().unwrap();

    let again = create(server, " dup one ", "outcome:denied");
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.error_code(), "duplicate_name");
    assert!(
        again.error_message().contains("`dup one` already exists"),
        "{}",
        again.text
    );
    assert!(again.error_message().contains(first_id), "{}", again.text);
    assert_eq!(names_with_prefix(server, "dup "), ["dup one"]);

    // Renaming onto another's name is refused too and changes nothing.
    let other = create(server, "dup two", "outcome:denied");
    assert_eq!(other.status, 201, "{}", other.text);
    let other_path = item(other.json["id"].as_str().unwrap());
    let onto = send(
        server,
        "PUT",
        &other_path,
        Some(&json!({"name": "dup one", "q": "outcome:success"})),
    );
    assert_eq!(onto.status, 409, "{}", onto.text);
    assert_eq!(onto.error_code(), "duplicate_name");
    assert_eq!(send(server, "GET", &other_path, None).json, other.json);

    // Its own name is not a conflict.
    let same = send(
        server,
        "PUT",
        &other_path,
        Some(&json!({"name": "dup two", "q": "outcome:success"})),
    );
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.json["q"], "outcome:success");
}

fn bad_bodies_are_refused_by_field(server: &Server) {
    let bad_query = create(server, "bad query", "actr:alice outcome:failure");
    assert_eq!(bad_query.status, 422, "{}", bad_query.text);
    assert_eq!(bad_query.error_code(), "invalid_saved_search");
    let message = bad_query.error_message();
    assert!(message.contains("`q`: unknown field"), "{message}");
    assert!(message.contains("did you mean `actor`?"), "{message}");
    assert!(message.contains("(at 0..4)"), "{message}");
    assert_eq!(bad_query.json["error"]["errors"][0]["path"], "/q");

    let unknown = send(
        server,
        "POST",
        PATH,
        Some(&json!({"name": "bad fields", "q": "", "colour": "red", "shared": true})),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(
        unknown.error_message().contains("unknown field `colour`")
            && unknown.error_message().contains("unknown field `shared`"),
        "{}",
        unknown.text
    );
    let paths: Vec<&str> = unknown.json["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/colour", "/shared"]);

    for (body, field) in [
        (json!({"name": "   ", "q": ""}), "/name"),
        (json!({"name": "x".repeat(101), "q": ""}), "/name"),
        (json!({"name": 7, "q": ""}), "/name"),
        (json!({"q": ""}), "/name"),
        (json!({"name": "bad no q"}), "/q"),
        (json!(["name", "q"]), ""),
    ] {
        let answer = send(server, "POST", PATH, Some(&body));
        assert_eq!(answer.status, 422, "{body}: {}", answer.text);
        assert_eq!(answer.json["error"]["errors"][0]["path"], field, "{body}");
    }
    // A name of exactly 100 characters is fine.
    assert_eq!(create(server, &"b".repeat(100), "").status, 201);

    let not_json = http::send(
        "POST",
        &server.url(PATH),
        Some(&server.read_key),
        &[],
        Some(("application/json", "{\"name\": ")),
    );
    assert_eq!(not_json.status, 400, "{}", not_json.text);
    assert_eq!(not_json.error_code(), "invalid_json");

    // PUT checks its body the same way, and a refused PUT changes nothing.
    let saved = create(server, "bad put", "outcome:failure");
    assert_eq!(saved.status, 201, "{}", saved.text);
    let path = item(saved.json["id"].as_str().unwrap());
    let put = send(
        server,
        "PUT",
        &path,
        Some(&json!({"name": "bad put", "q": "occurred:2024-06-01"})),
    );
    assert_eq!(put.status, 422, "{}", put.text);
    assert!(put.error_message().contains("`q`: "), "{}", put.text);
    assert_eq!(send(server, "GET", &path, None).json, saved.json);

    assert!(names_with_prefix(server, "bad ")
        .iter()
        .all(|n| n == "bad put"));

    let params = send(server, "GET", &format!("{PATH}?limit=5"), None);
    assert_eq!(params.status, 400, "{}", params.text);
    assert!(
        params.error_message().contains("`limit`"),
        "{}",
        params.text
    );
}

fn unknown_ids_are_not_found(server: &Server) {
    let nobody = item("00000000-0000-4000-8000-000000000000");
    let body = json!({"name": "nobody", "q": ""});
    for (method, body) in [("GET", None), ("PUT", Some(&body)), ("DELETE", None)] {
        for path in [nobody.as_str(), "/api/v1/saved-searches/not-an-id"] {
            let answer = send(server, method, path, body);
            assert_eq!(answer.status, 404, "{method} {path}: {}", answer.text);
            assert_eq!(answer.error_code(), "not_found");
        }
    }
    assert!(names_with_prefix(server, "nobody").is_empty());

    let patch = send(server, "PATCH", &nobody, Some(&body));
    assert_eq!(patch.status, 405, "{}", patch.text);
    assert!(patch.error_message().contains("GET, PUT, DELETE"));
    let delete_all = send(server, "DELETE", PATH, None);
    assert_eq!(delete_all.status, 405, "{}", delete_all.text);
    assert!(delete_all.error_message().contains("GET, POST"));
}

fn keys_are_checked(server: &Server) {
    let body = json!({"name": "keys", "q": ""});
    for (method, body) in [("GET", None), ("POST", Some(&body))] {
        let missing = send_as(server, None, method, PATH, body);
        assert_eq!(missing.status, 401, "{}", missing.text);
        let wrong = send_as(server, Some("evd_not_a_key"), method, PATH, body);
        assert_eq!(wrong.status, 401, "{}", wrong.text);
        assert_eq!(wrong.error_code(), "unauthorized");
        let ingest = send_as(server, Some(&server.ingest_key), method, PATH, body);
        assert_eq!(ingest.status, 403, "{}", ingest.text);
    }
    let path = item("00000000-0000-4000-8000-000000000000");
    assert_eq!(
        send_as(server, Some("evd_not_a_key"), "DELETE", &path, None).status,
        401
    );
    assert!(names_with_prefix(server, "keys").is_empty());

    // The admin key has the read scope.
    let admin = send_as(server, Some(&server.admin_key), "POST", PATH, Some(&body));
    assert_eq!(admin.status, 201, "{}", admin.text);
    let read = send(
        server,
        "GET",
        &item(admin.json["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
}

fn a_tenant_keeps_at_most_the_limit(server: &Server) {
    let before = list(server).len();
    let mut created = Vec::new();
    for n in before..MAX_PER_TENANT {
        let answer = create(server, &format!("limit {n}"), "outcome:failure");
        assert_eq!(answer.status, 201, "{}", answer.text);
        created.push(answer.json["id"].as_str().unwrap().to_string());
    }
    assert_eq!(list(server).len(), MAX_PER_TENANT);

    let over = create(server, "limit over", "");
    assert_eq!(over.status, 409, "{}", over.text);
    assert_eq!(over.error_code(), "too_many_saved_searches");
    assert!(
        over.error_message().contains(&MAX_PER_TENANT.to_string()),
        "{}",
        over.text
    );
    assert_eq!(list(server).len(), MAX_PER_TENANT);

    // Renaming at the limit still works, and deleting one makes room.
    let first = item(&created[0]);
    let renamed = send(
        server,
        "PUT",
        &first,
        Some(&json!({"name": "limit renamed", "q": ""})),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(send(server, "DELETE", &first, None).status, 204);
    assert_eq!(create(server, "limit over", "").status, 201);

    // Leave the tenant as it was for whatever runs next.
    for saved in list(server) {
        let name = saved["name"].as_str().unwrap();
        if name.starts_with("limit ") {
            let path = item(saved["id"].as_str().unwrap());
            assert_eq!(send(server, "DELETE", &path, None).status, 204);
        }
    }
    assert_eq!(list(server).len(), before);
}
