//! People, invites, sessions and roles (SPEC 6) through the real stack: an invite link works once,
//! sign-in sets a strict session cookie and never tells which e-mails exist, failures are throttled,
//! cookie requests that change something need the CSRF token, every role and key scope gets exactly
//! the status the matrix says on every endpoint, a member reads only their own events on every read
//! path, removing someone ends their sessions, and the log records all of it. Each test uses its own
//! e-mails (`people-<test>-<role>@example.com`).

use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, ingest};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "people::an_invited_person_joins_signs_in_and_out",
        an_invited_person_joins_signs_in_and_out,
    ),
    (
        "people::an_invite_works_once_and_bad_ones_are_refused",
        an_invite_works_once_and_bad_ones_are_refused,
    ),
    (
        "people::sign_in_never_tells_which_emails_exist_and_is_throttled",
        sign_in_never_tells_which_emails_exist_and_is_throttled,
    ),
    (
        "people::cookie_requests_that_change_things_need_the_csrf_token",
        cookie_requests_that_change_things_need_the_csrf_token,
    ),
    (
        "people::every_role_and_scope_gets_the_matrix_status",
        every_role_and_scope_gets_the_matrix_status,
    ),
    (
        "people::a_member_reads_only_their_own_events_everywhere",
        a_member_reads_only_their_own_events_everywhere,
    ),
    (
        "people::admins_cannot_touch_owners_and_removal_ends_sessions",
        admins_cannot_touch_owners_and_removal_ends_sessions,
    ),
    (
        "people::changes_to_people_are_in_the_log",
        changes_to_people_are_in_the_log,
    ),
    (
        "people::searches_views_and_exports_are_in_the_log",
        searches_views_and_exports_are_in_the_log,
    ),
    (
        "people::every_way_to_read_events_is_recorded",
        every_way_to_read_events_is_recorded,
    ),
];

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in browser: its cookie and CSRF token.
#[derive(Debug, Clone)]
struct Session {
    cookie: String,
    csrf: String,
    person: Value,
}

fn email(test: &str, role: &str) -> String {
    format!("people-{test}-{role}@example.com")
}

fn send_json(
    server: &Server,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let text = body.map(Value::to_string);
    http::send(
        method,
        &server.url(path),
        key,
        headers,
        text.as_deref().map(|t| ("application/json", t)),
    )
}

/// Invites `address` as `role` with the configured admin key: the invite's token.
fn invite(server: &Server, address: &str, role: &str) -> String {
    let answer = send_json(
        server,
        Some(&server.admin_key),
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": address, "role": role})),
        &[],
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let token = answer.json["token"].as_str().unwrap().to_string();
    assert_eq!(answer.json["path"], format!("/invite#{token}"));
    token
}

fn cookie_of(answer: &Answer) -> String {
    let set = answer.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().to_string()
}

/// GETs the session with a cookie.
fn session_of(server: &Server, cookie: &str) -> Answer {
    send_json(
        server,
        None,
        "GET",
        "/api/v1/session",
        None,
        &[("cookie", cookie)],
    )
}

/// Invites and accepts: the new person, signed in.
fn join(server: &Server, address: &str, role: &str) -> Session {
    let token = invite(server, address, role);
    let answer = send_json(
        server,
        None,
        "POST",
        "/api/v1/invites/accept",
        Some(&json!({"token": token, "name": format!("{role} person"), "password": PASSWORD})),
        &[],
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let cookie = cookie_of(&answer);
    let info = session_of(server, &cookie);
    assert_eq!(info.status, 200, "{}", info.text);
    Session {
        cookie,
        csrf: info.json["csrf_token"].as_str().unwrap().to_string(),
        person: info.json["person"].clone(),
    }
}

/// Sends with a session: its cookie, its CSRF token, and our own origin.
fn as_session(
    server: &Server,
    session: &Session,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    send_json(
        server,
        None,
        method,
        path,
        body,
        &[
            ("cookie", &session.cookie),
            ("x-csrf-token", &session.csrf),
            ("origin", &server.base_url),
        ],
    )
}

fn sign_in(server: &Server, address: &str, password: &str, ip: &str) -> Answer {
    send_json(
        server,
        None,
        "POST",
        "/api/v1/session",
        Some(&json!({"email": address, "password": password})),
        &[("cf-connecting-ip", ip)],
    )
}

fn an_invited_person_joins_signs_in_and_out(server: &Server) {
    let address = email("join", "auditor");
    let token = invite(server, &address.to_uppercase(), "auditor");
    let accepted = send_json(
        server,
        None,
        "POST",
        "/api/v1/invites/accept",
        Some(&json!({"token": token, "name": "Ada Auditor", "password": PASSWORD})),
        &[],
    );
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(accepted.json["email"], address, "stored lowercased");
    assert_eq!(accepted.json["role"], "auditor");
    assert!(accepted.json.get("password").is_none());
    // Stored as PBKDF2-HMAC-SHA-256 with its own salt, as documented: recomputed here from the
    // password, the stored salt and iterations, it gives the stored key.
    let stored: String = {
        let file = server.database_file().expect("the local D1 database file");
        let db = rusqlite::Connection::open(file).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        db.query_row(
            "SELECT password FROM people WHERE email = ?1",
            [&address],
            |r| r.get(0),
        )
        .unwrap()
    };
    let parts: Vec<&str> = stored.split('$').collect();
    assert_eq!(&parts[..2], ["pbkdf2-sha256", "100000"], "{stored}");
    let unhex = |text: &str| evident_worker::stored_body::unhex(text).unwrap();
    let (salt, key) = (unhex(parts[2]), unhex(parts[3]));
    assert_eq!((salt.len(), key.len()), (16, 32), "{stored}");
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD.as_bytes(), &salt, 100_000, &mut derived);
    assert_eq!(derived.to_vec(), key, "{stored}");
    let set = accepted.header("set-cookie").unwrap();
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    let cookie = cookie_of(&accepted);
    let info = session_of(server, &cookie);
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(info.json["tenant"], "demo");
    assert_eq!(info.json["person"]["name"], "Ada Auditor");
    assert_eq!(info.header("cache-control"), Some("no-store"));
    let powers: Vec<&str> = info.json["powers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(powers.contains(&"read every event") && !powers.contains(&"change settings"));
    // The cookie reads events like a read key.
    let events = send_json(
        server,
        None,
        "GET",
        "/api/v1/events?limit=1",
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(events.status, 200, "{}", events.text);

    // Sign out, then the cookie is dead.
    let session = Session {
        csrf: info.json["csrf_token"].as_str().unwrap().to_string(),
        cookie: cookie.clone(),
        person: info.json["person"].clone(),
    };
    let out = as_session(server, &session, "DELETE", "/api/v1/session", None);
    assert_eq!(out.status, 200, "{}", out.text);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    // Asking who is signed in is answered, not refused: no one (204, the stale cookie cleared).
    let after = session_of(server, &cookie);
    assert_eq!(after.status, 204, "{}", after.text);
    assert!(after.header("set-cookie").unwrap().contains("Max-Age=0"));
    // Reading with the dead cookie is refused.
    let read = send_json(
        server,
        None,
        "GET",
        "/api/v1/events?limit=1",
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(read.status, 401);
    assert!(
        read.error_message().contains("session has ended"),
        "{}",
        read.text
    );
    assert_eq!(
        send_json(server, None, "GET", "/api/v1/session", None, &[]).status,
        204
    );

    // Sign in again with the password: a new session.
    let again = sign_in(server, &address, PASSWORD, "198.51.100.10");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["person"]["email"], address);
    let cookie = cookie_of(&again);
    assert_eq!(session_of(server, &cookie).status, 200);
    assert!(again.json["csrf_token"].as_str().unwrap().len() == 64);
}

fn an_invite_works_once_and_bad_ones_are_refused(server: &Server) {
    let address = email("once", "member");
    let token = invite(server, &address, "member");
    let accept = |token: &str, password: &str| {
        send_json(
            server,
            None,
            "POST",
            "/api/v1/invites/accept",
            Some(&json!({"token": token, "name": "Mo", "password": password})),
            &[],
        )
    };
    let short = accept(&token, "short");
    assert_eq!(short.status, 422, "{}", short.text);
    assert_eq!(short.json["error"]["errors"][0]["path"], "/password");
    assert!(short.error_message().contains("at least 12"));
    assert_eq!(accept(&token, PASSWORD).status, 201);
    let twice = accept(&token, PASSWORD);
    assert_eq!(twice.status, 410, "{}", twice.text);
    assert!(twice.error_message().contains("used already"));
    let unknown = accept("not-a-token", PASSWORD);
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    // Someone who has access already cannot be invited again.
    let again = send_json(
        server,
        Some(&server.admin_key),
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": address, "role": "admin"})),
        &[],
    );
    assert_eq!(again.status, 409, "{}", again.text);
    // Bad bodies name each field.
    let bad = send_json(
        server,
        Some(&server.admin_key),
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": "nope", "role": "root", "extra": 1})),
        &[],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    let paths: Vec<&str> = bad.json["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/extra", "/email", "/role"]);
    let broken = http::send(
        "POST",
        &server.url("/api/v1/invites/accept"),
        None,
        &[],
        Some(("application/json", "{")),
    );
    assert_eq!(broken.status, 400, "{}", broken.text);
    // A revoked invite stops working.
    let revoked_token = invite(server, &email("once", "revoked"), "member");
    let list = send_json(
        server,
        Some(&server.admin_key),
        "GET",
        "/api/v1/invites",
        None,
        &[],
    );
    let id = list.json["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == email("once", "revoked"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        list.text.find(&revoked_token).is_none(),
        "tokens are never listed"
    );
    let revoke = send_json(
        server,
        Some(&server.admin_key),
        "DELETE",
        &format!("/api/v1/invites/{id}"),
        None,
        &[],
    );
    assert_eq!(revoke.status, 200, "{}", revoke.text);
    assert_eq!(accept(&revoked_token, PASSWORD).status, 404);
}

fn sign_in_never_tells_which_emails_exist_and_is_throttled(server: &Server) {
    let address = email("throttle", "auditor");
    join(server, &address, "auditor");
    let ip = "198.51.100.20";
    let wrong = sign_in(server, &address, "wrong password!", ip);
    let unknown = sign_in(server, &email("throttle", "nobody"), "wrong password!", ip);
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.text, unknown.text, "the same answer for both");
    assert!(wrong.header("set-cookie").is_none());
    // Five failures for an e-mail from one address within the window: then even the right password
    // is refused from there, and an unknown e-mail is throttled alike.
    for _ in 0..4 {
        assert_eq!(sign_in(server, &address, "wrong password!", ip).status, 401);
        assert_eq!(
            sign_in(server, &email("throttle", "nobody"), "wrong password!", ip).status,
            401
        );
    }
    let refused = sign_in(server, &address, PASSWORD, ip);
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(refused.error_message().contains("too many failed sign-ins"));
    let unknown = sign_in(server, &email("throttle", "nobody"), PASSWORD, ip);
    assert_eq!(unknown.status, 429, "{}", unknown.text);
    // A guesser somewhere else does not lock the owner out.
    assert_eq!(
        sign_in(server, &address, PASSWORD, "198.51.100.21").status,
        200
    );
    // Attempts sent at once get no more tries than attempts in turn: each is counted before its
    // password is checked (the password hash takes long enough for them all to overlap).
    let burst = email("throttle", "burst");
    join(server, &burst, "member");
    let at_once = |address: &str, ips: &[String], password: &str| -> Vec<u16> {
        std::thread::scope(|scope| {
            let attempts: Vec<_> = ips
                .iter()
                .map(|ip| scope.spawn(move || sign_in(server, address, password, ip).status))
                .collect();
            attempts.into_iter().map(|a| a.join().unwrap()).collect()
        })
    };
    let statuses = at_once(
        &burst,
        &vec!["198.51.100.30".to_string(); 12],
        "wrong password!",
    );
    let tried = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(tried, 5, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
    // An IPv6 client counts by its /64: new addresses in it give no new tries.
    let six: Vec<String> = (1..=5).map(|i| format!("2001:db8:7:7::{i}")).collect();
    assert!(at_once(&burst, &six, "wrong password!")
        .iter()
        .all(|s| *s == 401));
    let moved = sign_in(server, &burst, PASSWORD, "2001:db8:7:7:ffff::99");
    assert_eq!(moved.status, 429, "{}", moved.text);
    // Guessing from many addresses does lock the e-mail, from anywhere, for the window.
    let many: Vec<String> = (0..6)
        .flat_map(|n| (0..5).map(move |_| format!("192.0.2.{}", 10 + n)))
        .collect();
    let target = email("throttle", "spread");
    join(server, &target, "member");
    let spread = at_once(&target, &many, "wrong password!");
    assert!(spread.iter().all(|s| *s == 401), "{spread:?}");
    let locked = sign_in(server, &target, PASSWORD, "198.51.100.23");
    assert_eq!(locked.status, 429, "{}", locked.text);
    // Other people are not locked out by it.
    let other = email("throttle", "other");
    join(server, &other, "member");
    assert_eq!(
        sign_in(server, &other, PASSWORD, "198.51.100.22").status,
        200
    );
    // A body that is not a sign-in names its fields.
    // Another site cannot sign a browser in (as someone else).
    let foreign = send_json(
        server,
        None,
        "POST",
        "/api/v1/session",
        Some(&json!({"email": other, "password": PASSWORD})),
        &[("origin", "https://evil.example")],
    );
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    assert!(foreign.header("set-cookie").is_none());
    let bad = send_json(
        server,
        None,
        "POST",
        "/api/v1/session",
        Some(&json!({"email": 1})),
        &[],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    // A form another site posts (text/plain needs no preflight, and may carry no Origin) signs no
    // one in: the body must say it is JSON. Invites are accepted the same way.
    let body = json!({"email": other, "password": PASSWORD}).to_string();
    for path in ["/api/v1/session", "/api/v1/invites/accept"] {
        let form = http::send(
            "POST",
            &server.url(path),
            None,
            &[],
            Some(("text/plain", body.as_str())),
        );
        assert_eq!(form.status, 415, "{path}: {}", form.text);
        assert!(
            form.error_message().contains("application/json"),
            "{}",
            form.text
        );
        assert!(form.header("set-cookie").is_none());
    }
    // No password is longer than 256 characters, so a longer one is not hashed.
    let long = sign_in(server, &other, &"p".repeat(257), "198.51.100.22");
    assert_eq!(long.status, 422, "{}", long.text);
    assert!(long.text.contains("/password"), "{}", long.text);
}

fn cookie_requests_that_change_things_need_the_csrf_token(server: &Server) {
    let admin = join(server, &email("csrf", "admin"), "admin");
    let body = json!({"name": "people-csrf", "scope": "read"});
    let without = send_json(
        server,
        None,
        "POST",
        "/api/v1/keys",
        Some(&body),
        &[("cookie", &admin.cookie)],
    );
    assert_eq!(without.status, 403, "{}", without.text);
    assert!(without.error_message().contains("X-CSRF-Token"));
    let foreign = send_json(
        server,
        None,
        "POST",
        "/api/v1/keys",
        Some(&body),
        &[
            ("cookie", &admin.cookie),
            ("x-csrf-token", &admin.csrf),
            ("origin", "https://evil.example"),
        ],
    );
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    assert!(foreign.error_message().contains("evil.example"));
    let wrong = Session {
        csrf: "0".repeat(64),
        ..admin.clone()
    };
    assert_eq!(
        as_session(server, &wrong, "POST", "/api/v1/keys", Some(&body)).status,
        403
    );
    let created = as_session(server, &admin, "POST", "/api/v1/keys", Some(&body));
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["created_by"], admin.person["id"]);
}

/// Who calls in the matrix.
enum Who<'a> {
    Key(&'a str),
    Person(&'a Session),
}

fn call(server: &Server, who: &Who<'_>, method: &str, path: &str, body: Option<&Value>) -> Answer {
    match who {
        Who::Key(key) => send_json(server, Some(key), method, path, body, &[]),
        Who::Person(session) => as_session(server, session, method, path, body),
    }
}

fn every_role_and_scope_gets_the_matrix_status(server: &Server) {
    let owner = join(server, &email("matrix", "owner"), "owner");
    let admin = join(server, &email("matrix", "admin"), "admin");
    let auditor = join(server, &email("matrix", "auditor"), "auditor");
    let member = join(server, &email("matrix", "member"), "member");
    let subject = join(server, &email("matrix", "subject"), "member");
    let subject_id = subject.person["id"].as_str().unwrap().to_string();
    let rules = send_json(
        server,
        Some(&server.admin_key),
        "GET",
        "/api/v1/settings/redaction",
        None,
        &[],
    );
    assert_eq!(rules.status, 200, "{}", rules.text);
    let rules = rules.json;
    let event = json!({"action": "people.matrix", "actor": {"id": "people-matrix"}});
    let stored_admin = send_json(
        server,
        Some(&server.admin_key),
        "POST",
        "/api/v1/keys",
        Some(&json!({"name": "people-matrix-admin", "scope": "admin"})),
        &[],
    );
    assert_eq!(stored_admin.status, 201, "{}", stored_admin.text);
    let stored_admin = stored_admin.json["secret"].as_str().unwrap().to_string();
    let callers: [(&str, Who<'_>); 8] = [
        ("ingest key", Who::Key(&server.ingest_key)),
        ("read key", Who::Key(&server.read_key)),
        ("configured admin key", Who::Key(&server.admin_key)),
        ("stored admin key", Who::Key(&stored_admin)),
        ("owner", Who::Person(&owner)),
        ("admin", Who::Person(&admin)),
        ("auditor", Who::Person(&auditor)),
        ("member", Who::Person(&member)),
    ];
    // (method, path, body, statuses for the callers in order)
    let read = [403, 200, 200, 200, 200, 200, 200, 200];
    let read_all = [403, 200, 200, 200, 200, 200, 200, 403];
    let access = [403, 403, 200, 200, 200, 200, 200, 403];
    let manage = |ok: u16| [403, 403, ok, ok, ok, ok, 403, 403];
    let matrix: Vec<(&str, String, Option<Value>, [u16; 8])> = vec![
        (
            "POST",
            "/api/v1/events".into(),
            Some(event),
            [201, 403, 403, 403, 403, 403, 403, 403],
        ),
        ("GET", "/api/v1/events?limit=1".into(), None, read),
        ("GET", "/api/v1/facets?field=outcome".into(), None, read),
        ("GET", "/api/v1/histogram".into(), None, read),
        (
            "GET",
            "/api/v1/export?format=ndjson&q=action:people.none".into(),
            None,
            read,
        ),
        ("GET", "/api/v1/actors/people-matrix".into(), None, read),
        ("GET", "/api/v1/resources/x/y".into(), None, read),
        ("GET", "/api/v1/saved-searches".into(), None, read_all),
        ("GET", "/api/v1/verify".into(), None, read_all),
        ("GET", "/api/v1/settings/redaction".into(), None, read_all),
        (
            "PUT",
            "/api/v1/settings/redaction".into(),
            Some(rules),
            manage(200),
        ),
        ("GET", "/api/v1/keys".into(), None, access),
        ("GET", "/api/v1/people".into(), None, access),
        ("GET", "/api/v1/invites".into(), None, access),
        (
            "POST",
            "/api/v1/keys".into(),
            Some(json!({"name": "people-matrix", "scope": "read"})),
            manage(201),
        ),
        (
            "PATCH",
            format!("/api/v1/people/{subject_id}"),
            Some(json!({"role": "member"})),
            manage(200),
        ),
        (
            "PATCH",
            format!("/api/v1/people/{subject_id}"),
            Some(json!({"role": "owner"})),
            [403, 403, 200, 403, 200, 403, 403, 403],
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &matrix {
        for ((name, who), want) in callers.iter().zip(expected) {
            let got = call(server, who, method, path, body.as_ref());
            if got.status != *want {
                wrong.push(format!(
                    "{name} {method} {path}: {} (want {want}) {}",
                    got.status, got.text
                ));
            }
        }
        // Reset the subject after the owner made them one.
        if path.starts_with("/api/v1/people/") {
            call(
                server,
                &callers[2].1,
                "PATCH",
                path,
                Some(&json!({"role": "member"})),
            );
        }
    }
    // Invites: only owners (and the configured admin key, the deployment's root) may invite an owner.
    for (i, (name, who)) in callers.iter().enumerate() {
        for role in ["member", "owner"] {
            let address = format!("people-matrix-invite-{i}-{role}@example.com");
            let got = call(
                server,
                who,
                "POST",
                "/api/v1/invites",
                Some(&json!({"email": address, "role": role})),
            );
            let want = match (i, role) {
                (2 | 4, _) => 201,
                (3 | 5, "member") => 201,
                _ => 403,
            };
            if got.status != want {
                wrong.push(format!(
                    "{name} invites a {role}: {} (want {want}) {}",
                    got.status, got.text
                ));
            }
        }
    }
    // Without any credential, every one of them is a 401.
    for (method, path, body, _) in &matrix {
        let got = send_json(server, None, method, path, body.as_ref(), &[]);
        if got.status != 401 {
            wrong.push(format!("no credential {method} {path}: {}", got.status));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn a_member_reads_only_their_own_events_everywhere(server: &Server) {
    let address = email("scope", "member");
    let member = join(server, &address, "member");
    let mine = |i: usize| {
        json!({"action": "people.scope", "outcome": if i.is_multiple_of(2) { "success" } else { "failure" },
               "actor": {"id": format!("people-scope-me-{i}"), "email": address},
               "targets": [{"type": "people-scope-doc", "id": "d1"}]})
    };
    let theirs = |_: usize| {
        json!({"action": "people.scope", "outcome": "success",
               "actor": {"id": "people-scope-other", "email": email("scope", "other")},
               "targets": [{"type": "people-scope-doc", "id": "d1"}]})
    };
    let events: Vec<Value> = (0..4).map(mine).chain((0..6).map(theirs)).collect();
    let stored = ingest(server, &Value::Array(events));
    assert_eq!(stored.status, 201, "{}", stored.text);
    let ids: Vec<&str> = stored.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let q = encode("action:people.scope");
    let get = |path: &str| as_session(server, &member, "GET", path, None);

    let list = get(&format!("/api/v1/events?q={q}&limit=100"));
    assert_eq!(list.status, 200, "{}", list.text);
    let listed = list.json["events"].as_array().unwrap();
    assert_eq!(listed.len(), 4, "{}", list.text);
    assert!(listed
        .iter()
        .all(|e| e["actor"]["email"] == address.as_str()));
    // Searching for someone else's events finds nothing rather than widening the reach.
    let other_q = encode("action:people.scope actor:people-scope-other");
    assert_eq!(
        get(&format!("/api/v1/events?q={other_q}")).json["events"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let facets = get(&format!("/api/v1/facets?q={q}&field=outcome,actor"));
    assert_eq!(facets.status, 200, "{}", facets.text);
    let total: i64 = facets.json["facets"]["outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4, "{}", facets.text);
    assert!(!facets.text.contains("people-scope-other"));

    let histogram = get(&format!("/api/v1/histogram?q={q}"));
    let total: i64 = histogram.json["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4, "{}", histogram.text);
    assert_eq!(histogram.json["from_rollups"], false);

    let export = get(&format!("/api/v1/export?format=ndjson&q={q}"));
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.text.lines().count(), 4, "{}", export.text);

    // Detail: their own opens; someone else's is not found, as if it did not exist.
    assert_eq!(get(&format!("/api/v1/events/{}", ids[0])).status, 200);
    let other = get(&format!("/api/v1/events/{}", ids[9]));
    assert_eq!(other.status, 404, "{}", other.text);

    let actor = get("/api/v1/actors/people-scope-other");
    assert_eq!(actor.status, 200, "{}", actor.text);
    assert!(
        !actor.text.contains(&email("scope", "other")),
        "{}",
        actor.text
    );
    let resource = get("/api/v1/resources/people-scope-doc/d1");
    assert_eq!(resource.status, 200, "{}", resource.text);
    assert_eq!(
        resource.json["events"].as_array().unwrap().len(),
        4,
        "{}",
        resource.text
    );

    // Saved searches: a member neither sees the tenant's (their names and queries tell of other
    // people) nor changes them.
    let save = get("/api/v1/saved-searches");
    assert_eq!(save.status, 403, "{}", save.text);
    let saved = as_session(
        server,
        &member,
        "POST",
        "/api/v1/saved-searches",
        Some(&json!({"name": "people-scope", "q": "action:x"})),
    );
    assert_eq!(saved.status, 403, "{}", saved.text);

    // An auditor reads them all.
    let auditor = join(server, &email("scope", "auditor"), "auditor");
    let all = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/events?q={q}&limit=100"),
        None,
    );
    assert_eq!(all.json["events"].as_array().unwrap().len(), 10);
}

fn admins_cannot_touch_owners_and_removal_ends_sessions(server: &Server) {
    let owner = join(server, &email("owners", "owner"), "owner");
    let admin = join(server, &email("owners", "admin"), "admin");
    let member = join(server, &email("owners", "member"), "member");
    let owner_id = owner.person["id"].as_str().unwrap();
    let member_id = member.person["id"].as_str().unwrap();
    let patch = as_session(
        server,
        &admin,
        "PATCH",
        &format!("/api/v1/people/{owner_id}"),
        Some(&json!({"role": "member"})),
    );
    assert_eq!(patch.status, 403, "{}", patch.text);
    assert!(patch.error_message().contains("only an owner"));
    let remove = as_session(
        server,
        &admin,
        "DELETE",
        &format!("/api/v1/people/{owner_id}"),
        None,
    );
    assert_eq!(remove.status, 403, "{}", remove.text);
    // The admin removes the member: the member's session ends at once.
    assert_eq!(session_of(server, &member.cookie).status, 200);
    let removed = as_session(
        server,
        &admin,
        "DELETE",
        &format!("/api/v1/people/{member_id}"),
        None,
    );
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(session_of(server, &member.cookie).status, 204);
    let gone = as_session(
        server,
        &admin,
        "DELETE",
        &format!("/api/v1/people/{member_id}"),
        None,
    );
    assert_eq!(gone.status, 404);
    // The admin hands out a key and an invite; the owner hands out a key.
    let make_key = |session: &Session, name: &str, scope: &str| {
        let made = as_session(
            server,
            session,
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": name, "scope": scope})),
        );
        assert_eq!(made.status, 201, "{}", made.text);
        made.json["secret"].as_str().unwrap().to_string()
    };
    let admins_key = make_key(&admin, "admin's key", "read");
    let owners_key = make_key(&owner, "owner's key", "read");
    // Through a key of their own, the admin makes another key and an invite: these answer to the
    // admin as well.
    let admins_tool = make_key(&admin, "admin's tool", "admin");
    let by_tool = send_json(
        server,
        Some(&admins_tool),
        "POST",
        "/api/v1/keys",
        Some(&json!({"name": "made by a key", "scope": "read"})),
        &[],
    );
    assert_eq!(by_tool.status, 201, "{}", by_tool.text);
    let tools_key = by_tool.json["secret"].as_str().unwrap().to_string();
    let tools_invite = send_json(
        server,
        Some(&admins_tool),
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": email("owners", "tool-friend"), "role": "member"})),
        &[],
    );
    assert_eq!(tools_invite.status, 201, "{}", tools_invite.text);
    let invited = as_session(
        server,
        &admin,
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": email("owners", "friend"), "role": "admin"})),
    );
    assert_eq!(invited.status, 201, "{}", invited.text);
    let friends_token = invited.json["token"].as_str().unwrap().to_string();
    let reads = |key: &str| http::get(&server.url("/api/v1/events?limit=1"), Some(key)).status;
    assert_eq!((reads(&admins_key), reads(&owners_key)), (200, 200));
    assert_eq!(reads(&tools_key), 200);
    // A role change applies to a live session at once.
    let admin_id = admin.person["id"].as_str().unwrap();
    let demote = as_session(
        server,
        &owner,
        "PATCH",
        &format!("/api/v1/people/{admin_id}"),
        Some(&json!({"role": "auditor"})),
    );
    assert_eq!(demote.status, 200, "{}", demote.text);
    assert_eq!(demote.json["role"], "auditor");
    let refused = as_session(
        server,
        &admin,
        "POST",
        "/api/v1/invites",
        Some(&json!({"email": email("owners", "late"), "role": "member"})),
    );
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.error_message().contains("your role is auditor"));
    // The access the admin handed out ended with their power to hand it out; the owner's key works.
    assert_eq!((reads(&admins_key), reads(&owners_key)), (401, 200));
    assert_eq!(
        (reads(&admins_tool), reads(&tools_key)),
        (401, 401),
        "keys made through the admin's keys end with them"
    );
    let tools_token = tools_invite.json["token"].as_str().unwrap();
    for token in [friends_token.as_str(), tools_token] {
        let accept = send_json(
            server,
            None,
            "POST",
            "/api/v1/invites/accept",
            Some(&json!({"token": token, "name": "Fr", "password": PASSWORD})),
            &[],
        );
        assert_eq!(accept.status, 404, "{}", accept.text);
    }
    // The role change's event names what it ended.
    let q = encode(&format!(
        "action:person.role_change \"{}\"",
        email("owners", "admin")
    ));
    let log = http::get(
        &server.url(&format!("/api/v1/events?q={q}&limit=5")),
        Some(&server.read_key),
    );
    let change = &log.json["events"][0];
    assert_eq!(
        change["description"].as_str().unwrap_or_default(),
        format!(
            "changed {}'s role from admin to auditor; ended 3 API keys and 2 invites they made",
            email("owners", "admin")
        ),
        "{}",
        log.text
    );
    let mut withdrawn = change["payload"]["withdrawn_invite_ids"].clone();
    let mut expected = json!([invited.json["id"], tools_invite.json["id"]]);
    for list in [&mut withdrawn, &mut expected] {
        list.as_array_mut()
            .unwrap()
            .sort_by_key(|id| id.as_str().unwrap_or_default().to_string());
    }
    assert_eq!(withdrawn, expected);
    assert_eq!(
        change["payload"]["revoked_api_key_ids"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

fn changes_to_people_are_in_the_log(server: &Server) {
    let owner = join(server, &email("log", "owner"), "owner");
    let member = join(server, &email("log", "member"), "member");
    let member_id = member.person["id"].as_str().unwrap();
    as_session(
        server,
        &owner,
        "PATCH",
        &format!("/api/v1/people/{member_id}"),
        Some(&json!({"role": "auditor"})),
    );
    sign_in(
        server,
        &email("log", "member"),
        "wrong password!",
        "198.51.100.30",
    );
    as_session(
        server,
        &owner,
        "DELETE",
        &format!("/api/v1/people/{member_id}"),
        None,
    );
    let q = encode(&format!("source:evident \"{}\"", email("log", "member")));
    // A failed sign-in is recorded after its answer: wait for it a little.
    let mut answer = http::get(&server.url("/api/v1/health"), None);
    for _ in 0..50 {
        answer = http::get(
            &server.url(&format!("/api/v1/events?q={q}&limit=100")),
            Some(&server.read_key),
        );
        assert_eq!(answer.status, 200, "{}", answer.text);
        if answer.text.contains("\"failure\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let seen: Vec<(String, String)> = answer.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("person.invite", "success"),
        ("person.join", "success"),
        ("person.role_change", "success"),
        ("session.sign_in", "failure"),
        ("person.remove", "success"),
    ] {
        assert!(
            seen.iter().any(|(a, o)| a == want.0 && o == want.1),
            "{want:?} not in {seen:?}"
        );
    }
    let change = answer.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "person.role_change")
        .unwrap();
    assert_eq!(change["actor"]["email"], email("log", "owner"));
    assert_eq!(change["payload"]["before"]["role"], "member");
    assert_eq!(change["payload"]["after"]["role"], "auditor");
    assert!(!answer.text.contains(PASSWORD));
}

/// The reads recorded for an actor id, polled for a few seconds: searches and views are recorded
/// after their answer is sent.
fn reads_of(server: &Server, actor_id: &str, want: usize) -> Vec<Value> {
    let q = encode(&format!("category:read,export actor:{actor_id}"));
    for _ in 0..50 {
        let answer = http::get(
            &server.url(&format!("/api/v1/events?q={q}&limit=100")),
            Some(&server.read_key),
        );
        assert_eq!(answer.status, 200, "{}", answer.text);
        let events = answer.json["events"].as_array().unwrap().clone();
        if events.len() >= want {
            return events;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("fewer than {want} reads recorded for {actor_id}");
}

fn searches_views_and_exports_are_in_the_log(server: &Server) {
    let auditor = join(server, &email("reads", "auditor"), "auditor");
    let id = auditor.person["id"].as_str().unwrap().to_string();
    let stored = ingest(
        server,
        &json!([{"action": "people.reads", "actor": {"id": "people-reads-subject"}},
                {"action": "people.reads", "actor": {"id": "people-reads-subject"}}]),
    );
    assert_eq!(stored.status, 201, "{}", stored.text);
    let event_id = stored.json["events"][0]["id"].as_str().unwrap().to_string();
    let q = encode("action:people.reads");
    let first = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/events?q={q}&limit=1"),
        None,
    );
    assert_eq!(first.status, 200, "{}", first.text);
    // The next page and a live tail poll of recent events continue that search: not recorded.
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let next = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/events?q={q}&limit=1&cursor={cursor}"),
        None,
    );
    assert_eq!(next.status, 200, "{}", next.text);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let token = first.json["tail_token"].as_str().unwrap();
    let tail = as_session(
        server,
        &auditor,
        "GET",
        &format!(
            "/api/v1/events?q={q}&tail=1&from={}&tail_token={token}",
            now_ms - 60_000
        ),
        None,
    );
    assert_eq!(tail.status, 200, "{}", tail.text);
    // A "poll" without its search's token, or with another search's, is a search of its own: it
    // could be any search of the last hour.
    let other_q = encode("action:people.reads-unseen");
    let unproven = as_session(
        server,
        &auditor,
        "GET",
        &format!(
            "/api/v1/events?q={other_q}&tail=1&from={}&tail_token={token}",
            now_ms - 60_000
        ),
        None,
    );
    assert_eq!(unproven.status, 200, "{}", unproven.text);
    let bare_q = encode("action:people.reads-bare");
    let bare = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/events?q={bare_q}&tail=1&from={}", now_ms - 60_000),
        None,
    );
    assert_eq!(bare.status, 200, "{}", bare.text);
    let bad_tail = as_session(server, &auditor, "GET", "/api/v1/events?tail=yes", None);
    assert_eq!(bad_tail.status, 400, "{}", bad_tail.text);
    let view = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/events/{event_id}"),
        None,
    );
    assert_eq!(view.status, 200, "{}", view.text);
    let export = as_session(
        server,
        &auditor,
        "GET",
        &format!("/api/v1/export?format=csv&q={q}"),
        None,
    );
    assert_eq!(export.status, 200, "{}", export.text);

    // Reads are recorded after their answer: once five are in, wait a little for a sixth that
    // must not come (the next page and the live tail poll above are not new searches).
    let reads = reads_of(server, &id, 5);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let reads = match reads_of(server, &id, 5) {
        later if later.len() > reads.len() => later,
        _ => reads,
    };
    assert_eq!(reads.len(), 5, "{reads:?}");
    let actions: Vec<&str> = reads
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let count = |action: &str| actions.iter().filter(|a| **a == action).count();
    assert_eq!(
        (count("log.search"), count("log.view"), count("log.export")),
        (3, 1, 1),
        "{actions:?}"
    );
    for unproven in ["action:people.reads-unseen", "action:people.reads-bare"] {
        assert!(
            reads.iter().any(|e| e["payload"]["q"] == unproven),
            "{unproven}: {reads:?}"
        );
    }
    let search = reads
        .iter()
        .find(|e| e["action"] == "log.search" && e["payload"]["q"] == "action:people.reads")
        .unwrap();
    assert_eq!(search["payload"]["q"], "action:people.reads");
    assert_eq!(search["payload"]["returned"], 1);
    assert_eq!(search["actor"]["email"], email("reads", "auditor"));
    assert_eq!(search["category"], "read");
    let view = reads.iter().find(|e| e["action"] == "log.view").unwrap();
    assert_eq!(view["targets"][0]["id"], event_id.as_str());
    let export = reads.iter().find(|e| e["action"] == "log.export").unwrap();
    assert_eq!(export["payload"]["format"], "csv");
    assert!(export["payload"]["up_to_seq"].as_u64().unwrap() > 0);
}

/// An empty `cursor=` is a first page; an actor's page and a resource's history are reads of the
/// log like a search; a query as long as the list allows is recorded too (its description quotes
/// only its start). A later page of an actor's timeline is not recorded again.
fn every_way_to_read_events_is_recorded(server: &Server) {
    let auditor = join(server, &email("readpaths", "auditor"), "auditor");
    let id = auditor.person["id"].as_str().unwrap().to_string();
    let stored = ingest(
        server,
        &json!([{"action": "people.readpaths", "actor": {"id": "people-readpaths-subject"},
                 "targets": [{"type": "document", "id": "people-readpaths-doc"}]},
                {"action": "people.readpaths", "actor": {"id": "people-readpaths-subject"}}]),
    );
    assert_eq!(stored.status, 201, "{}", stored.text);
    let long = format!("\"{}\"", "readpaths ".repeat(195));
    assert!(long.len() > 1_900 && long.len() <= 2_000);
    let get = |path: &str| {
        let answer = as_session(server, &auditor, "GET", path, None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        answer
    };
    get("/api/v1/events?q=action:people.readpaths&cursor=");
    get(&format!("/api/v1/events?q={}", encode(&long)));
    let timeline = get("/api/v1/actors/people-readpaths-subject?limit=1");
    let cursor = timeline.json["next_cursor"].as_str().unwrap();
    get(&format!(
        "/api/v1/actors/people-readpaths-subject?limit=1&cursor={cursor}"
    ));
    // A later page is not recorded, so it must follow a first page that was: a made-up cursor, or
    // one from another search or another reader, is refused (the far end of the order was a first
    // page nobody recorded).
    for path in [
        "/api/v1/events?q=action:people.readpaths&cursor=253402300799999.9007199254740991"
            .to_string(),
        "/api/v1/resources/document/people-readpaths-doc?cursor=0.0".to_string(),
        format!("/api/v1/actors/people-readpaths-other?limit=1&cursor={cursor}"),
        format!("/api/v1/actors/people-readpaths-subject?limit=1&cursor={cursor}0"),
    ] {
        let refused = as_session(server, &auditor, "GET", &path, None);
        assert_eq!(
            (refused.status, refused.error_code()),
            (400, "invalid_query"),
            "{path}: {}",
            refused.text
        );
        assert!(
            refused
                .error_message()
                .contains("not a cursor this API returned"),
            "{path}"
        );
    }
    let someone_else = http::get(
        &server.url(&format!(
            "/api/v1/actors/people-readpaths-subject?limit=1&cursor={cursor}"
        )),
        Some(&server.read_key),
    );
    assert_eq!(someone_else.status, 400, "{}", someone_else.text);
    let history = get("/api/v1/resources/document/people-readpaths-doc");
    assert_eq!(history.json["events"].as_array().unwrap().len(), 1);

    let reads = reads_of(server, &id, 4);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let reads = match reads_of(server, &id, 4) {
        later if later.len() > reads.len() => later,
        _ => reads,
    };
    let described: Vec<&str> = reads
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(reads.len(), 4, "{described:?}");
    assert!(described.contains(&"searched the log for `action:people.readpaths`"));
    assert!(described.contains(&"opened the page of the actor people-readpaths-subject"));
    assert!(described.contains(&"opened the history of the document people-readpaths-doc"));
    let long_search = reads
        .iter()
        .find(|e| e["payload"]["q"] == long.as_str())
        .unwrap_or_else(|| panic!("the long search is not recorded: {described:?}"));
    assert!(long_search["description"].as_str().unwrap().ends_with("…`"));
    assert!(reads.iter().all(|e| e["action"] == "log.search"));
    // The reads are not part of what they read: the resource's history is still its one event.
    let again = get("/api/v1/resources/document/people-readpaths-doc");
    assert_eq!(again.json["events"], history.json["events"]);
}
