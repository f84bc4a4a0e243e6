//! Signed page cursors. Reading the log is recorded once per search, on its first page; later pages
//! follow a `next_cursor` and are not recorded again. A bare cursor (`<millis>.<seq>`) could be made
//! up, and a made-up "later page" at the far end of the order is a first page that nobody records:
//! the whole log, read 500 events at a time, without a trace. So every cursor the API hands out
//! carries a MAC, `<millis>.<seq>.<mac>`: HMAC-SHA-256 with a key of the tenant's, over the position
//! and what the search was (who asked, the path and every parameter but `cursor`, `limit` and
//! `tail`). A later page is served only with a cursor this API returned for the same search, which
//! was recorded when its first page was read.
//!
//! Live tail polls are not recorded either: each asks again for what is newer than the rows shown
//! (a new `from`), continuing a search already recorded. So that a "tail poll" cannot be a search of
//! the last hour that nobody records, an unrecorded poll must carry the `tail_token` its search's
//! first page returned: a MAC over that search without its time range and over when it was handed
//! out, good for [`TAIL_TOKEN_LIFETIME_MS`] ([`CursorSigner::tail_token`]), so a token kept does not
//! read the newest events unrecorded for good.
//!
//! The key is 32 random bytes made by D1 on first use (`tenant_settings.cursor_key`, migration
//! 0011) and kept by the isolate afterwards. The MAC is cut to 128 bits: forging one is as hard as
//! guessing a random 128-bit number, and cursors stay short.

use std::cell::RefCell;
use std::collections::HashMap;

use evident_shared::chain::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use worker::D1Database;

use crate::auth::Caller;
use crate::error::{ApiError, Result};
use crate::sql::SqlValue;
use crate::store::statement;
use crate::stored_body::unhex;

/// The tenant's cursor key, made on first use. `?1` tenant.
pub const TENANT_CURSOR_KEY: &str = "INSERT INTO tenant_settings (tenant, cursor_key) \
     VALUES (?1, randomblob(32)) ON CONFLICT (tenant) DO UPDATE \
     SET cursor_key = coalesce(cursor_key, excluded.cursor_key) RETURNING hex(cursor_key) AS key";

/// Parameters that may change from page to page of one search.
const PER_PAGE: [&str; 4] = ["cursor", "limit", "tail", "tail_token"];

/// Parameters live tail changes from poll to poll besides those of [`PER_PAGE`]: the range moves on.
const PER_POLL: [&str; 2] = ["from", "to"];

/// How long a tail token lets polls go unrecorded: as long as a signed-in session lasts. A dashboard
/// left tailing longer has its polls recorded as searches.
pub const TAIL_TOKEN_LIFETIME_MS: i64 = 12 * 3_600_000;

/// Hex digits of the MAC a cursor carries (128 bits).
const MAC_HEX: usize = 32;

/// Signs and checks the cursors of one request's search.
pub struct CursorSigner {
    key: Vec<u8>,
    search: String,
    /// The search without its range, which live tail's polls keep.
    tailed: String,
}

impl CursorSigner {
    /// The signer for `caller`'s request to `path` with `pairs` (its query string).
    pub async fn for_request(
        db: &D1Database,
        caller: &Caller,
        path: &str,
        pairs: &[(String, String)],
    ) -> Result<CursorSigner> {
        let key = tenant_key(db, &caller.tenant).await?;
        let who = format!("{}:{}", caller.actor.kind, caller.actor.id);
        Ok(CursorSigner::new(key, &caller.tenant, &who, path, pairs))
    }

    /// A signer with a known key: `search` binds the tenant, who asks, the path and the parameters
    /// that define the search, in a canonical order.
    pub fn new(
        key: Vec<u8>,
        tenant: &str,
        who: &str,
        path: &str,
        pairs: &[(String, String)],
    ) -> CursorSigner {
        let describe = |domain: &str, per_request: &[&str]| {
            let mut defining: Vec<(&str, &str)> = pairs
                .iter()
                .filter(|(name, value)| {
                    !per_request.contains(&name.as_str()) && !value.trim().is_empty()
                })
                .map(|(name, value)| (name.as_str(), value.trim()))
                .collect();
            defining.sort_unstable();
            // Lengths before each part, so no two searches print alike.
            let mut search = String::from(domain);
            for part in [tenant, who, path]
                .into_iter()
                .chain(defining.iter().flat_map(|(n, v)| [*n, *v]))
            {
                search.push_str(&format!("\n{}:{part}", part.len()));
            }
            search
        };
        let per_poll: Vec<&str> = PER_PAGE.iter().chain(&PER_POLL).copied().collect();
        CursorSigner {
            search: describe("evident cursor v1", &PER_PAGE),
            tailed: describe("evident tail v1", &per_poll),
            key,
        }
    }

    fn tail_mac(&self, issued: &str) -> String {
        let parts = [self.tailed.as_bytes(), b"\n", issued.as_bytes()];
        hex(&hmac_sha256(&self.key, &parts)[..MAC_HEX / 2])
    }

    /// What a first page hands out at `now` for live tail: `<now>.<mac>`, the MAC of its search
    /// without the range and of `now`.
    pub fn tail_token(&self, now: i64) -> String {
        format!("{now}.{}", self.tail_mac(&now.to_string()))
    }

    /// Whether `token` is a [`CursorSigner::tail_token`] of this search (whatever its range) handed
    /// out at most [`TAIL_TOKEN_LIFETIME_MS`] before `now`.
    pub fn is_tail_token(&self, token: &str, now: i64) -> bool {
        let Some((issued, mac)) = token.split_once('.') else {
            return false;
        };
        let fresh = issued
            .parse::<i64>()
            .is_ok_and(|at| at <= now && now - at <= TAIL_TOKEN_LIFETIME_MS);
        fresh && same_text(mac, &self.tail_mac(issued))
    }

    fn mac(&self, position: &str) -> String {
        let parts = [self.search.as_bytes(), b"\n", position.as_bytes()];
        hex(&hmac_sha256(&self.key, &parts)[..MAC_HEX / 2])
    }

    /// `position` (a [`evident_shared::cursor::Cursor`]'s text) with its MAC.
    pub fn sign(&self, position: &str) -> String {
        format!("{position}.{}", self.mac(position))
    }

    /// The position a signed cursor holds, when this signer made it; a 400 otherwise.
    pub fn open<'c>(&self, cursor: &'c str) -> Result<&'c str> {
        let refused = || ApiError::BadRequest {
            code: "invalid_query",
            message: format!(
                "`cursor` is not a cursor this API returned for this search: `{cursor}`; a later \
                 page must keep the first page's parameters (all but `cursor` and `limit`)"
            ),
        };
        let (position, mac) = cursor.rsplit_once('.').ok_or_else(refused)?;
        if same_text(mac, &self.mac(position)) {
            Ok(position)
        } else {
            Err(refused())
        }
    }

    /// `pairs` with its cursor opened (the position only), for the parameter readers.
    pub fn open_pairs(&self, pairs: &[(String, String)]) -> Result<Vec<(String, String)>> {
        pairs
            .iter()
            .map(|(name, value)| match name.as_str() {
                "cursor" if !value.trim().is_empty() => {
                    Ok((name.clone(), self.open(value.trim())?.to_string()))
                }
                _ => Ok((name.clone(), value.clone())),
            })
            .collect()
    }
}

/// Whether a MAC sent is the one expected, compared in full whatever differs first: no timing tells
/// how much of a guess was right.
fn same_text(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// HMAC-SHA-256 of `parts`, one after the other, under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

thread_local! {
    /// Each tenant's key, once read: it never changes.
    static KEYS: RefCell<HashMap<String, Vec<u8>>> = RefCell::new(HashMap::new());
}

/// The tenant's random key (made on first use), which also keys derived idempotency keys
/// ([`crate::derived_keys`], under a label of their own).
pub(crate) async fn tenant_key(db: &D1Database, tenant: &str) -> Result<Vec<u8>> {
    if let Some(key) = KEYS.with(|keys| keys.borrow().get(tenant).cloned()) {
        return Ok(key);
    }
    let hex = statement(db, TENANT_CURSOR_KEY, &[SqlValue::Text(tenant.into())])?
        .first::<String>(Some("key"))
        .await?
        .ok_or_else(|| ApiError::Internal("the tenant's cursor key was not made".into()))?;
    let key = unhex(&hex)
        .ok()
        .filter(|key| !key.is_empty())
        .ok_or_else(|| ApiError::Internal("the tenant's cursor key is not hex".into()))?;
    KEYS.with(|keys| keys.borrow_mut().insert(tenant.to_string(), key.clone()));
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn signer(key: u8, who: &str, path: &str, query: &[(&str, &str)]) -> CursorSigner {
        CursorSigner::new(vec![key; 32], "acme", who, path, &pairs(query))
    }

    #[test]
    fn a_cursor_opens_only_for_its_own_search() {
        let search = [("q", "outcome:failure"), ("from", "1000")];
        let first = signer(1, "user:p1", "/api/v1/events", &search);
        let cursor = first.sign("1700000000000.42");
        assert!(cursor.starts_with("1700000000000.42."));
        assert_eq!(cursor.len(), "1700000000000.42.".len() + MAC_HEX);
        // The same search, its parameters in another order, with another page size and the cursor.
        let later = signer(
            1,
            "user:p1",
            "/api/v1/events",
            &[
                ("limit", "500"),
                ("from", "1000"),
                ("q", "outcome:failure"),
                ("cursor", &cursor),
            ],
        );
        assert_eq!(later.open(&cursor).unwrap(), "1700000000000.42");
        assert_eq!(
            later
                .open_pairs(&pairs(&[("cursor", &cursor), ("q", "x")]))
                .unwrap(),
            pairs(&[("cursor", "1700000000000.42"), ("q", "x")])
        );
        // Anything else that differs refuses it.
        for other in [
            signer(2, "user:p1", "/api/v1/events", &search),
            signer(1, "user:p2", "/api/v1/events", &search),
            signer(1, "user:p1", "/api/v1/actors/p1", &search),
            signer(1, "user:p1", "/api/v1/events", &[("q", "outcome:failure")]),
            signer(
                1,
                "user:p1",
                "/api/v1/events",
                &[("q", "outcome:failure"), ("from", "1001")],
            ),
        ] {
            let refused = other.open(&cursor).unwrap_err();
            assert!(
                refused
                    .to_string()
                    .contains("not a cursor this API returned"),
                "{refused}"
            );
        }
        // Made-up and edited cursors.
        for forged in [
            "253402300799999.9007199254740991",
            "0.0",
            &cursor.replace(".42.", ".43."),
            &cursor[..cursor.len() - 1],
            &format!("{cursor}0"),
        ] {
            assert!(first.open(forged).is_err(), "{forged}");
        }
    }

    /// A tail token holds for its search whatever the range (live tail moves `from` on each poll),
    /// and for nothing else: another query, reader, tenant key or path.
    #[test]
    fn a_tail_token_holds_for_its_search_in_any_range() {
        let now = 1_790_000_000_000;
        let first = signer(
            1,
            "user:p1",
            "/api/v1/events",
            &[("q", "x"), ("from", "1000")],
        );
        let token = first.tail_token(now);
        assert!(token.starts_with(&format!("{now}.")));
        let poll = signer(
            1,
            "user:p1",
            "/api/v1/events",
            &[
                ("q", "x"),
                ("from", "5000"),
                ("tail", "1"),
                ("tail_token", &token),
            ],
        );
        assert!(poll.is_tail_token(&token, now + 5_000));
        assert!(poll.is_tail_token(&token, now + TAIL_TOKEN_LIFETIME_MS));
        assert!(
            !poll.is_tail_token(&token, now + TAIL_TOKEN_LIFETIME_MS + 1),
            "a token kept past its lifetime"
        );
        assert!(!poll.is_tail_token(&token, now - 1), "one from the future");
        for other in [
            signer(
                1,
                "user:p1",
                "/api/v1/events",
                &[("q", "y"), ("from", "5000")],
            ),
            signer(
                1,
                "user:p2",
                "/api/v1/events",
                &[("q", "x"), ("from", "5000")],
            ),
            signer(
                2,
                "user:p1",
                "/api/v1/events",
                &[("q", "x"), ("from", "5000")],
            ),
            signer(
                1,
                "user:p1",
                "/api/v1/export",
                &[("q", "x"), ("from", "5000")],
            ),
        ] {
            assert!(!other.is_tail_token(&token, now));
        }
        // Its time cannot be moved on: the MAC covers it.
        let (_, mac) = token.split_once('.').unwrap();
        assert!(!poll.is_tail_token(&format!("{}.{mac}", now + 1_000), now + 2_000));
        assert!(!poll.is_tail_token(&token[..token.len() - 1], now));
        assert!(!poll.is_tail_token("", now));
        // It is no cursor: a later page cannot be made of it.
        assert!(poll.open(&format!("1.{token}")).is_err());
    }

    #[test]
    fn parts_are_delimited() {
        // `q=a` + `from=b` and `q=a\nfrom:b` must not print alike.
        let one = signer(1, "user:p1", "/p", &[("q", "a"), ("x", "b")]);
        let two = signer(1, "user:p1", "/p", &[("q", "a\n1:x\n1:b")]);
        assert_ne!(one.sign("1.1"), two.sign("1.1"));
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let db = crate::sqlite_tests::database();
        let key = |tenant: &str| -> String {
            db.query_row(TENANT_CURSOR_KEY, [tenant], |r| r.get(0))
                .unwrap()
        };
        let first = key("acme");
        assert_eq!(first.len(), 64);
        assert_eq!(key("acme"), first);
        assert_ne!(key("other"), first);
        // Redaction rules written later leave it as it is.
        db.execute(crate::sql::UPSERT_REDACTION, ["acme", "{}"])
            .unwrap();
        assert_eq!(key("acme"), first);
    }
}
