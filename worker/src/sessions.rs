//! Sign-in sessions (SPEC 6): the cookie, the session rows, CSRF tokens and the throttling of failed
//! sign-ins.
//!
//! - The cookie `__Host-evident_session` holds a random token: `HttpOnly` (no script reads it), `Secure`,
//!   `SameSite=Strict` (no other site's page sends it), `Path=/`. Only the SHA-256 of the token is
//!   stored, so a copy of the database signs no one in.
//! - A session ends [`LIFETIME_MS`] after sign-in, after [`IDLE_MS`] without a request, at sign-out,
//!   or when its person is removed (the lookup joins `people`, so a role change applies at once).
//! - Requests that change something with a cookie must also send `X-CSRF-Token`: a value derived
//!   from the session token that only a page of our own origin can read (`GET /api/v1/session`).
//! - Failed sign-ins are counted per address (an IPv6 address by its /64, which one client holds
//!   whole), per e-mail from that address, and per e-mail from anywhere; within
//!   [`FAILURE_WINDOW_MS`], past [`MAX_FAILURES_PER_IP`], [`MAX_FAILURES_PER_PAIR`] or
//!   [`MAX_FAILURES_PER_EMAIL`] every attempt is refused with 429, whether the e-mail exists or not.
//!   The e-mail's own limits are two so that a stranger cannot lock its owner out: from one address
//!   a guesser is stopped after a few tries, while the owner, elsewhere, is refused only once many
//!   addresses have guessed. An attempt refused for its address or pair is not counted further on,
//!   so one address adds at most [`MAX_FAILURES_PER_PAIR`] to an e-mail's count. Each attempt is
//!   counted before its password is checked, in the statements that read the counts, so attempts
//!   sent at once get no more tries than attempts in turn.

use evident_shared::api_key::hash_secret;
use serde::Deserialize;
use worker::D1Database;

use crate::error::{ApiError, Result};
use crate::people::PersonRow;
use crate::sql::SqlValue;
use crate::store::statement;

/// The cookie's name.
pub const COOKIE: &str = "__Host-evident_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The longest a session lasts.
pub const LIFETIME_MS: i64 = 12 * 3_600_000;
/// How long a session lasts without a request.
pub const IDLE_MS: i64 = 2 * 3_600_000;
/// How stale `last_seen_at` may get before a request writes it again.
pub const SEEN_RESOLUTION_MS: i64 = 60_000;
/// Random bytes in a session or invite token.
pub const TOKEN_BYTES: usize = 32;
/// Failed sign-ins for one e-mail from one address within a window before that address is refused
/// for that e-mail.
pub const MAX_FAILURES_PER_PAIR: i64 = 5;
/// Failed sign-ins for one e-mail from all addresses within a window before sign-in to it is refused
/// from anywhere: enough that a lockout takes several guessing addresses, few enough that guessing
/// stays slow.
pub const MAX_FAILURES_PER_EMAIL: i64 = 30;
/// Failed sign-ins from one address within a window before sign-in is refused.
pub const MAX_FAILURES_PER_IP: i64 = 20;
/// The throttling window.
pub const FAILURE_WINDOW_MS: i64 = 15 * 60_000;

/// Stores a new session. `?1` token hash, `?2` tenant, `?3` person id, `?4` now, `?5` expires.
pub const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, tenant, person_id, created_at, \
     last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)";

/// The live session behind a token hash, with its person as they are now. `?1` token hash, `?2` now.
pub const SELECT_SESSION: &str = "SELECT s.tenant AS tenant, s.last_seen_at AS last_seen_at, \
     s.expires_at AS expires_at, p.id AS id, p.email AS email, p.name AS name, p.role AS role, \
     p.created_at AS created_at, p.created_by AS created_by \
     FROM sessions AS s JOIN people AS p ON p.tenant = s.tenant AND p.id = s.person_id \
     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?2 - 7200000";

/// Records a session's use, at most once a minute. `?1` token hash, `?2` now.
pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = ?2 \
     WHERE token_hash = ?1 AND last_seen_at <= ?2 - 60000";

/// Ends a session. `?1` token hash.
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = ?1";

/// The upsert both counting statements end with: one more failure in the window, or a new window.
/// `?2` now.
macro_rules! count_or_restart {
    () => {
        "ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN window_start <= ?2 - 900000 THEN 1 ELSE failures + 1 END, \
         window_start = CASE WHEN window_start <= ?2 - 900000 THEN ?2 ELSE window_start END \
         RETURNING key, failures"
    };
}

/// Counts one attempt for a key as a failure, starting a new window when the last one is over, and
/// returns the count: counted before the password is checked, in one statement, so attempts sent
/// at once cannot all read a count under the limit. `?1` key, `?2` now.
pub const COUNT_FAILURE: &str = concat!(
    "INSERT INTO sign_in_failures (key, window_start, failures) VALUES (?1, ?2, 1) ",
    count_or_restart!()
);

/// [`COUNT_FAILURE`] only while neither of two other counts, already taken for the same attempt, is
/// past its limit; returns nothing otherwise. `?1` key, `?2` now, `?3` and `?5` the other keys, `?4`
/// and `?6` their limits.
pub const COUNT_FAILURE_WITHIN: &str = concat!(
    "INSERT INTO sign_in_failures (key, window_start, failures) \
     SELECT ?1, ?2, 1 WHERE NOT EXISTS (SELECT 1 FROM sign_in_failures \
     WHERE window_start > ?2 - 900000 AND ((key = ?3 AND failures > ?4) OR (key = ?5 AND failures > ?6))) ",
    count_or_restart!()
);

/// Forgets a count after a successful sign-in. `?1` key.
pub const CLEAR_FAILURES: &str = "DELETE FROM sign_in_failures WHERE key = ?1";

/// Forgets the counts whose window is over. `?1` now.
pub const FORGET_OLD_FAILURES: &str =
    "DELETE FROM sign_in_failures WHERE window_start <= ?1 - 900000";

/// Takes back one attempt counted for a key, once it succeeded. `?1` key.
pub const UNCOUNT_ATTEMPT: &str =
    "UPDATE sign_in_failures SET failures = failures - 1 WHERE key = ?1 AND failures > 0";

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}

/// The session token in a `Cookie` header, if any.
pub fn cookie_token(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        LIFETIME_MS / 1000
    )
}

/// The `Set-Cookie` value that ends one.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The CSRF token of a session: derived from its token, so nothing more is stored, and unguessable
/// without it.
pub fn csrf_token(session_token: &str) -> String {
    hash_secret(&format!("csrf:{session_token}"))
}

/// A fresh random token, hex.
pub fn new_token() -> Result<String> {
    let mut random = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(random.iter().map(|b| format!("{b:02x}")).collect())
}

/// A live session.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionRow {
    /// Its tenant.
    pub tenant: String,
    /// When it was last used.
    pub last_seen_at: i64,
    /// When it ends at the latest.
    pub expires_at: i64,
    /// Its person as they are now.
    #[serde(flatten)]
    pub person: PersonRow,
}

/// Starts a session for a person: its token.
pub async fn start(db: &D1Database, tenant: &str, person_id: &str, now: i64) -> Result<String> {
    let token = new_token()?;
    let params = [
        text(&hash_secret(&token)),
        text(tenant),
        text(person_id),
        SqlValue::Int(now),
        SqlValue::Int(now + LIFETIME_MS),
    ];
    statement(db, INSERT_SESSION, &params)?.run().await?;
    Ok(token)
}

/// The live session behind a token, recording its use; `None` when it ended or never was.
pub async fn find(db: &D1Database, token: &str, now: i64) -> Result<Option<SessionRow>> {
    let hash = hash_secret(token);
    let found: Option<SessionRow> =
        statement(db, SELECT_SESSION, &[text(&hash), SqlValue::Int(now)])?
            .first(None)
            .await?;
    if found
        .as_ref()
        .is_some_and(|s| now - s.last_seen_at >= SEEN_RESOLUTION_MS)
    {
        statement(db, TOUCH_SESSION, &[text(&hash), SqlValue::Int(now)])?
            .run()
            .await?;
    }
    Ok(found)
}

/// Ends the session behind a token.
pub async fn end(db: &D1Database, token: &str) -> Result<()> {
    statement(db, DELETE_SESSION, &[text(&hash_secret(token))])?
        .run()
        .await?;
    Ok(())
}

/// What a sign-in attempt is counted against ([`count_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKeys {
    /// The address it came from (`ip:…`).
    pub ip: String,
    /// The e-mail, from that address (`pair:…`).
    pub pair: String,
    /// The e-mail, from anywhere (`email:…`).
    pub email: String,
}

/// The throttling keys of an attempt. An IPv6 address counts by its /64: a client is usually
/// given a whole one, so counting single addresses would give it billions of tries.
pub fn failure_keys(email: &str, ip: Option<&str>) -> AttemptKeys {
    let address = match ip.map(|ip| ip.parse::<std::net::IpAddr>()) {
        Some(Ok(std::net::IpAddr::V6(v6))) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(Ok(std::net::IpAddr::V6(v6))) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(Ok(std::net::IpAddr::V4(v4))) => v4.to_string(),
        Some(Err(_)) => ip.unwrap_or_default().to_string(),
        None => "unknown".to_string(),
    };
    AttemptKeys {
        ip: format!("ip:{address}"),
        pair: format!("pair:{address} {email}"),
        email: format!("email:{email}"),
    }
}

#[derive(Deserialize)]
struct FailureRow {
    key: String,
    failures: i64,
}

/// Counts an attempt before its password is checked: against its address, then (unless that is
/// past its limit) against its e-mail from that address, then (unless either is) against its e-mail.
/// 429 when that takes any past its limit within the window (so the attempt after the last one
/// allowed is refused, whatever its password). A successful attempt is taken back with
/// [`clear_failures`].
pub async fn count_attempt(db: &D1Database, keys: &AttemptKeys, now: i64) -> Result<()> {
    // Counts whose window is over go first: they would be restarted anyway, and addresses and
    // e-mails tried once would otherwise stay for good.
    let forget = statement(db, FORGET_OLD_FAILURES, &[SqlValue::Int(now)])?;
    let ip = statement(db, COUNT_FAILURE, &[text(&keys.ip), SqlValue::Int(now)])?;
    let within = |key: &str, guards: [(&str, i64); 2]| {
        let [(first, first_limit), (second, second_limit)] = guards;
        statement(
            db,
            COUNT_FAILURE_WITHIN,
            &[
                text(key),
                SqlValue::Int(now),
                text(first),
                SqlValue::Int(first_limit),
                text(second),
                SqlValue::Int(second_limit),
            ],
        )
    };
    let ip_guard = (keys.ip.as_str(), MAX_FAILURES_PER_IP);
    let pair = within(&keys.pair, [ip_guard, ip_guard])?;
    let email = within(
        &keys.email,
        [ip_guard, (keys.pair.as_str(), MAX_FAILURES_PER_PAIR)],
    )?;
    let mut counted = Vec::new();
    for result in db
        .batch(vec![forget, ip, pair, email])
        .await?
        .into_iter()
        .skip(1)
    {
        counted.extend(result.results::<FailureRow>()?);
    }
    if counted.iter().any(FailureRow::over_limit) {
        return Err(ApiError::TooManyRequests(format!(
            "too many failed sign-ins; wait {} minutes and try again",
            FAILURE_WINDOW_MS / 60_000
        )));
    }
    Ok(())
}

impl FailureRow {
    /// Whether this count, the current attempt included, is past its key's limit.
    fn over_limit(&self) -> bool {
        self.failures > limit_of(&self.key)
    }
}

/// The limit of a throttling key, by its kind.
fn limit_of(key: &str) -> i64 {
    if key.starts_with("email:") {
        MAX_FAILURES_PER_EMAIL
    } else if key.starts_with("pair:") {
        MAX_FAILURES_PER_PAIR
    } else {
        MAX_FAILURES_PER_IP
    }
}

/// After a successful sign-in: forgets the e-mail's failures from that address, and takes the
/// attempt back from the address's and the e-mail's counts (the e-mail's is not cleared: the
/// owner signing in should not give guessers elsewhere a fresh allowance).
pub async fn clear_failures(db: &D1Database, keys: &AttemptKeys) -> Result<()> {
    let pair = statement(db, CLEAR_FAILURES, &[text(&keys.pair)])?;
    let email = statement(db, UNCOUNT_ATTEMPT, &[text(&keys.email)])?;
    let address = statement(db, UNCOUNT_ATTEMPT, &[text(&keys.ip)])?;
    db.batch(vec![pair, email, address]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::{params, Connection};

    use super::*;
    use crate::sqlite_tests::database;

    #[test]
    fn the_cookie_is_found_among_others_and_is_strict() {
        assert_eq!(
            cookie_token("a=1; __Host-evident_session=abc; b=2"),
            Some("abc")
        );
        // Without the prefix, a cookie a sibling subdomain could have planted: not ours.
        assert_eq!(cookie_token("evident_session=abc"), None);
        assert_eq!(cookie_token("__Host-evident_session="), None);
        assert_eq!(cookie_token("x__Host-evident_session=abc"), None);
        let set = set_cookie("abc");
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_ne!(csrf_token("a"), hash_secret("a"));
    }

    fn session(db: &Connection, hash: &str, person: &str, now: i64) {
        db.execute(
            INSERT_SESSION,
            params![hash, "a", person, now, now + LIFETIME_MS],
        )
        .unwrap();
    }

    fn live(db: &Connection, hash: &str, now: i64) -> Option<String> {
        db.query_row(SELECT_SESSION, params![hash, now], |r| {
            r.get::<_, String>("role")
        })
        .ok()
    }

    #[test]
    fn sessions_end_when_idle_expired_or_their_person_goes() {
        let db = database();
        db.execute(
            "INSERT INTO people (tenant, id, email, name, role, created_at, created_by) \
             VALUES ('a', 'p1', 'p@x.org', 'P', 'auditor', 1, 't')",
            [],
        )
        .unwrap();
        session(&db, "h1", "p1", 0);
        assert_eq!(live(&db, "h1", 1).as_deref(), Some("auditor"));
        assert_eq!(live(&db, "h1", IDLE_MS), None, "idle for two hours");
        assert_eq!(
            db.execute(TOUCH_SESSION, params!["h1", IDLE_MS - 1])
                .unwrap(),
            1
        );
        assert_eq!(
            db.execute(TOUCH_SESSION, params!["h1", IDLE_MS]).unwrap(),
            0,
            "a minute apart at most once"
        );
        assert!(live(&db, "h1", IDLE_MS + 1).is_some());
        // Kept busy, it still ends at its lifetime.
        db.execute("UPDATE sessions SET last_seen_at = ?1", [LIFETIME_MS - 1])
            .unwrap();
        assert!(live(&db, "h1", LIFETIME_MS - 1).is_some());
        assert_eq!(live(&db, "h1", LIFETIME_MS), None);
        // A role change shows at once; a removed person's session is gone.
        session(&db, "h2", "p1", 10);
        db.execute("UPDATE people SET role = 'member'", []).unwrap();
        assert_eq!(live(&db, "h2", 11).as_deref(), Some("member"));
        db.execute("DELETE FROM people", []).unwrap();
        assert_eq!(live(&db, "h2", 12), None);
        // Someone else's session of another person id is never matched.
        session(&db, "h3", "nobody", 10);
        assert_eq!(live(&db, "h3", 11), None);
    }

    /// The address, the e-mail from it and the e-mail: an IPv6 address by its /64 (a mapped IPv4
    /// address as itself), so a client cannot take new tries by moving within its prefix.
    #[test]
    fn attempts_are_counted_by_address_pair_and_email() {
        let keys = failure_keys("a@x.org", Some("2001:db8:1:2:aaaa::1"));
        assert_eq!(keys.ip, "ip:2001:db8:1:2::/64");
        assert_eq!(keys.pair, "pair:2001:db8:1:2::/64 a@x.org");
        assert_eq!(keys.email, "email:a@x.org");
        assert_eq!(
            failure_keys("a@x.org", Some("2001:db8:1:2:ffff::9")).ip,
            keys.ip
        );
        assert_eq!(
            failure_keys("a@x.org", Some("::ffff:198.51.100.7")).ip,
            "ip:198.51.100.7"
        );
        assert_eq!(
            failure_keys("a@x.org", Some("198.51.100.7")).ip,
            "ip:198.51.100.7"
        );
        assert_eq!(failure_keys("a@x.org", None).ip, "ip:unknown");
    }

    /// One address guessing an e-mail is stopped at its pair's limit and adds no more than that to
    /// the e-mail's count, so the owner elsewhere still signs in; once the address is past its own
    /// limit nothing further is counted for it.
    #[test]
    fn a_refused_attempt_counts_no_further() {
        let db = database();
        let attempt = |keys: &AttemptKeys, now: i64| -> Vec<(String, i64)> {
            let mut counted = Vec::new();
            let row = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?));
            counted.push(
                db.query_row(COUNT_FAILURE, params![keys.ip, now], row)
                    .unwrap(),
            );
            let within = |key: &str, a: &str, la: i64, b: &str, lb: i64| {
                db.prepare(COUNT_FAILURE_WITHIN)
                    .unwrap()
                    .query_map(params![key, now, a, la, b, lb], row)
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect::<Vec<_>>()
            };
            let ip = (keys.ip.as_str(), MAX_FAILURES_PER_IP);
            counted.extend(within(&keys.pair, ip.0, ip.1, ip.0, ip.1));
            counted.extend(within(
                &keys.email,
                ip.0,
                ip.1,
                &keys.pair,
                MAX_FAILURES_PER_PAIR,
            ));
            counted
        };
        let refused = |counted: &[(String, i64)]| counted.iter().any(|(k, n)| *n > limit_of(k));
        let guesser = failure_keys("owner@x.org", Some("203.0.113.9"));
        let outcomes: Vec<bool> = (0..MAX_FAILURES_PER_IP + 3)
            .map(|i| refused(&attempt(&guesser, 1_000 + i)))
            .collect();
        let allowed = outcomes.iter().filter(|r| !**r).count() as i64;
        assert_eq!(allowed, MAX_FAILURES_PER_PAIR);
        let email: i64 = db
            .query_row(
                "SELECT failures FROM sign_in_failures WHERE key = 'email:owner@x.org'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            email, MAX_FAILURES_PER_PAIR,
            "refused attempts are not counted for it"
        );
        let ip_count = |db: &rusqlite::Connection| -> i64 {
            db.query_row(
                "SELECT failures FROM sign_in_failures WHERE key = 'ip:203.0.113.9'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(ip_count(&db), MAX_FAILURES_PER_IP + 3);
        // Past its own limit, the address is refused for any e-mail, which is not counted.
        let other = failure_keys("other@x.org", Some("203.0.113.9"));
        assert!(refused(&attempt(&other, 2_000)));
        let others: i64 = db
            .query_row(
                "SELECT count(*) FROM sign_in_failures WHERE key LIKE '%other@x.org'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(others, 0);
        // The owner, elsewhere, is not refused.
        let owner = failure_keys("owner@x.org", Some("198.51.100.1"));
        assert!(!refused(&attempt(&owner, 3_000)));
        // Many addresses guessing do lock the e-mail.
        for n in 0..(MAX_FAILURES_PER_EMAIL / MAX_FAILURES_PER_PAIR + 1) {
            let keys = failure_keys("owner@x.org", Some(&format!("192.0.2.{n}")));
            for i in 0..MAX_FAILURES_PER_PAIR {
                attempt(&keys, 4_000 + i);
            }
        }
        assert!(refused(&attempt(&owner, 5_000)));
    }

    /// The failures counted for keys within the window, as the tests read them (the worker reads
    /// them from [`COUNT_FAILURE`], with the attempt). `?1`, `?2` keys, `?3` now.
    const SELECT_FAILURES: &str = "SELECT key, failures FROM sign_in_failures \
         WHERE key IN (?1, ?2) AND window_start > ?3 - 900000";

    #[test]
    fn failures_count_within_a_window_and_reset_after_it() {
        let db = database();
        let count = |now: i64| -> i64 {
            db.query_row(COUNT_FAILURE, params!["email:x", now], |r| r.get(1))
                .unwrap()
        };
        assert_eq!(count(999), 1, "each count returns the new total");
        db.execute(CLEAR_FAILURES, ["email:x"]).unwrap();
        let failures = |now: i64| -> i64 {
            db.query_row(SELECT_FAILURES, params!["email:x", "ip:1", now], |r| {
                r.get(1)
            })
            .unwrap_or(0)
        };
        for i in 0..3 {
            count(1_000 + i);
        }
        assert_eq!(failures(2_000), 3);
        assert_eq!(failures(1_000 + FAILURE_WINDOW_MS), 0, "the window is over");
        count(1_000 + FAILURE_WINDOW_MS);
        assert_eq!(failures(1_000 + FAILURE_WINDOW_MS), 1, "a new window");
        db.execute(CLEAR_FAILURES, ["email:x"]).unwrap();
        assert_eq!(failures(1_000 + FAILURE_WINDOW_MS), 0);
        // An address's count goes back by the successful attempt, never below zero.
        let counted: i64 = db
            .query_row(COUNT_FAILURE, params!["ip:1", 5_000], |r| r.get(1))
            .unwrap();
        assert_eq!(counted, 1);
        db.execute(UNCOUNT_ATTEMPT, ["ip:1"]).unwrap();
        db.execute(UNCOUNT_ATTEMPT, ["ip:1"]).unwrap();
        let ip: i64 = db
            .query_row(
                "SELECT failures FROM sign_in_failures WHERE key = 'ip:1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ip, 0);
        // Counts whose window is over are forgotten.
        db.execute(FORGET_OLD_FAILURES, [5_000 + FAILURE_WINDOW_MS])
            .unwrap();
        let left: i64 = db
            .query_row("SELECT count(*) FROM sign_in_failures", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
