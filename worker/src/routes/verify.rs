//! `GET /api/v1/verify?from_seq=&to_seq=`: recomputes a range of the caller's chain from what is
//! stored and names the first broken link (see [`crate::verify`]). Without bounds it checks from the
//! start to the head; ranges longer than [`MAX_RANGE`] stop there and say where to continue.

use evident_shared::chain::GENESIS;
use worker::{Env, Request, Response};

use crate::auth::authorize;
use crate::error::{ApiError, Result};
use crate::routes::events::query_pairs;
use crate::verify::{Verifier, MAX_RANGE};
use crate::{respond, store};
use evident_shared::roles::Power;

/// Most rows read per D1 query; fewer while the events are large ([`store::next_page_rows`]).
const PAGE: u32 = 1_000;

pub async fn get(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAllEvents).await?;
    let tenant = caller.tenant.as_str();
    let mut from_seq = None;
    let mut to_seq = None;
    for (key, value) in query_pairs(req)? {
        let slot = match key.as_str() {
            "from_seq" => &mut from_seq,
            "to_seq" => &mut to_seq,
            _ => {
                return Err(ApiError::BadRequest {
                    code: "invalid_query",
                    message: format!("unknown parameter `{key}`; expected `from_seq` or `to_seq`"),
                })
            }
        };
        *slot = Some(
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::BadRequest {
                    code: "invalid_query",
                    message: format!("`{key}` must be a whole number from 1, not `{value}`"),
                })?,
        );
    }
    let db = env.d1("DB")?;
    let head = store::chain_head(&db, tenant).await?;
    let from = from_seq.unwrap_or(1);
    if let Some(to) = to_seq.filter(|to| from > *to) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`from_seq` ({from}) is after `to_seq` ({to})"),
        });
    }
    if from_seq.is_some_and(|from| from > head.seq) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!(
                "`from_seq` ({from}) is after the chain head (seq {})",
                head.seq
            ),
        });
    }
    // Nothing is sealed after the head, so a range ends there.
    let to = to_seq.unwrap_or(head.seq).min(head.seq);
    let last = to.min(from.saturating_add(MAX_RANGE - 1));
    let prev_hash = if from == 1 {
        Some(GENESIS.to_string())
    } else {
        store::hash_at(&db, tenant, from - 1).await?
    };
    let mut verifier = match prev_hash {
        Some(hash) => Verifier::new(tenant, from, hash),
        // The link before the range is gone: the walk starts at it, so it is reported missing.
        None => Verifier::new(tenant, from - 1, GENESIS.to_string()),
    };
    let mut page = store::FIRST_PAGE_ROWS;
    while !verifier.broken() && verifier.next_seq() <= last {
        let rows =
            store::chain_range(&db, tenant, verifier.next_seq(), last, u64::from(page)).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            verifier.check(row);
        }
        for targets in verifier.take_targets() {
            if let Some(missing) = store::first_missing_target(&db, tenant, targets).await? {
                let id = rows
                    .iter()
                    .find(|r| r.seq == missing.seq)
                    .map(|r| r.id.as_str());
                verifier.target_missing(missing.seq, id, &missing.kind, &missing.target_id);
                break;
            }
        }
        let largest = rows.iter().map(|row| row.body.len()).max().unwrap_or(0);
        page = store::next_page_rows(largest, PAGE);
    }
    let unsealed = store::count_unsealed(&db, tenant, head.seq).await?;
    let mut report = verifier.finish(last, &head, unsealed);
    if last < to && report.first_break.is_none() {
        report.next_from_seq = Some(last + 1);
    }
    if !caller.reach().is_whole_tenant() {
        report = crate::verify::without_content(report);
    }
    Ok(respond::json(200, &report))
}
