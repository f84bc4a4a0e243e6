//! The per-tenant sequencer: a Durable Object (one instance per tenant, named by the tenant) that is
//! the single writer of that tenant's chain. Ingest handlers in any isolate do the expensive work in
//! parallel and send it prepared events; the sequencer takes one request at a time, finds events
//! already stored under the same idempotency key, seals the rest after the chain head it remembers,
//! and writes them with the new head in one D1 transaction. Concurrent clients therefore never fork,
//! reorder or gap the chain, and a retried request stores nothing twice.
//!
//! Repeated idempotency keys are found optimistically: the unique index refuses them, the failed
//! transaction stores nothing, and only then are the earlier events looked up.
//!
//! The head lives in D1 (`chain_heads`); memory only caches it. The cache is dropped before every
//! write and restored only after the write succeeds, so a failed or uncertain write makes the next
//! request read the head again. The unique index on `(tenant, seq)` backs all of this up: a second
//! writer could only ever fail, never fork the chain.

use std::cell::RefCell;
use std::collections::HashMap;

use async_lock::Mutex;
use worker::js_sys::Uint8Array;
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::error::{ApiError, Result};
use crate::seal::{decode_request, encode_request, plan, Head, Pending, Plan, SealOutcome, Stored};
use crate::store::{self, MAX_CHUNK_BYTES};

/// What SQLite says when the `(tenant, idempotency_key)` unique index refuses a row.
const REPEATED_KEY: &str = "idempotency_key";

fn plan_for(head: &Head, pending: &[Pending], stored: &HashMap<String, Stored>) -> Plan {
    plan(head, pending, stored, MAX_CHUNK_BYTES)
}

/// The Durable Object binding in `wrangler.toml`.
const BINDING: &str = "SEQUENCER";

/// Seals and stores `pending` in `tenant`'s chain through its sequencer; one outcome per event.
pub async fn seal(env: &Env, tenant: &str, pending: &[Pending]) -> Result<Vec<SealOutcome>> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(tenant)?
        .get_stub()?;
    let body = Uint8Array::from(encode_request(tenant, pending).as_slice());
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let request = Request::new_with_init("https://sequencer/seal", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    if response.status_code() != 200 {
        let detail = response.text().await.unwrap_or_default();
        return Err(ApiError::Internal(format!("sequencer: {detail}")));
    }
    let outcomes: Vec<SealOutcome> = response.json().await?;
    if outcomes.len() != pending.len() {
        return Err(ApiError::Internal(
            "sequencer answered the wrong number of events".into(),
        ));
    }
    Ok(outcomes)
}

/// One tenant's single writer.
#[durable_object]
pub struct Sequencer {
    env: Env,
    /// The chain head as last written, when known.
    head: RefCell<Option<Head>>,
    /// Held from reading the head to writing the new one: one seal at a time.
    turn: Mutex<()>,
}

impl DurableObject for Sequencer {
    fn new(_state: State, env: Env) -> Self {
        Sequencer {
            env,
            head: RefCell::new(None),
            turn: Mutex::new(()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let bytes = req.bytes().await?;
        match self.seal(&bytes).await {
            Ok(outcomes) => Response::from_json(&outcomes),
            Err(error) => {
                worker::console_error!("sequencer: {error}");
                Response::error(error.to_string(), 500)
            }
        }
    }
}

impl Sequencer {
    async fn seal(&self, bytes: &[u8]) -> Result<Vec<SealOutcome>> {
        let (tenant, pending) = decode_request(bytes).map_err(ApiError::Internal)?;
        let db = self.env.d1("DB")?;
        let _turn = self.turn.lock().await;
        let cached = self.head.borrow().clone();
        let head = match cached {
            Some(head) => head,
            None => store::chain_head(&db, &tenant).await?,
        };
        // Optimistic: most requests repeat no key, so write first and look keys up only when the
        // unique index refuses a repeated one (the failed batch stored nothing).
        let mut plan = plan_for(&head, &pending, &HashMap::new());
        self.head.replace(None);
        if let Err(error) = store::write_plan(&db, &tenant, &plan).await {
            if !error.to_string().contains(REPEATED_KEY) {
                return Err(error);
            }
            let keys: Vec<&str> = pending
                .iter()
                .filter_map(|p| p.idempotency_key.as_deref())
                .collect();
            let stored = store::find_stored(&db, &tenant, &keys).await?;
            plan = plan_for(&head, &pending, &stored);
            store::write_plan(&db, &tenant, &plan).await?;
        }
        self.head.replace(Some(plan.head));
        Ok(plan.outcomes)
    }
}
