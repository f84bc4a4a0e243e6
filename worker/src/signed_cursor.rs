//! Signed page cursors. Reading the log is recorded once per search, on its first page; later pages
//! follow a `next_cursor` and are not recorded again. A bare cursor (`<millis>.<seq>`) could be made
//! up, and a made-up "later page" at the far end of the order is a first page that nobody records:
//! the whole log, read 500 events at a time, without a trace. So every cursor the API hands out
//! carries a MAC, `<millis>.<seq>.<mac>`: HMAC-SHA-256 with a key of the tenant's, over the position
//! and what the search was (who asked, the path and every parameter but `cursor`, `limit` and
//! `tail`). A later page is served only with a cursor this API returned for the same search, which
//! was recorded when its first page was read.
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
const PER_PAGE: [&str; 3] = ["cursor", "limit", "tail"];

/// Hex digits of the MAC a cursor carries (128 bits).
const MAC_HEX: usize = 32;

/// Signs and checks the cursors of one request's search.
pub struct CursorSigner {
    key: Vec<u8>,
    search: String,
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
        let mut defining: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(name, value)| !PER_PAGE.contains(&name.as_str()) && !value.trim().is_empty())
            .map(|(name, value)| (name.as_str(), value.trim()))
            .collect();
        defining.sort_unstable();
        // Lengths before each part, so no two searches print alike.
        let mut search = String::from("evident cursor v1");
        for part in [tenant, who, path]
            .into_iter()
            .chain(defining.iter().flat_map(|(n, v)| [*n, *v]))
        {
            search.push_str(&format!("\n{}:{part}", part.len()));
        }
        CursorSigner { key, search }
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
        let expected = self.mac(position);
        // Compared in full whatever differs first: no timing tells how much of a guess was right.
        let same = mac.len() == expected.len()
            && mac
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0;
        if same {
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
