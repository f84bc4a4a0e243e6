//! `POST /api/v1/events` (ingest), `GET /api/v1/events` (list) and `GET /api/v1/events/{id}`: parse,
//! authorise, call the pipeline or the store, respond.

use evident_shared::body::{Framing, MAX_BODY_BYTES};
use evident_shared::cursor::View;
use evident_shared::ids::is_event_id;
use worker::{Context, Env, Request, Response};

use crate::auth::{authorize, Caller};
use crate::error::{ApiError, Result};
use crate::ingest::{
    read_native, Arrival, Client, Enrichment, Prepared, Received, RANDOM_BYTES_PER_EVENT,
};
use crate::routes::settings;
use crate::signed_cursor::CursorSigner;
use crate::{geo, params, reads, respond, sequencer, store};
use evident_shared::enrich::Geo;
use evident_shared::roles::Power;

pub async fn ingest(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, Power::SendEvents).await?;
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let framing = Framing::from_content_type(&content_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "`Content-Type` must be `application/json` or `application/x-ndjson`, not `{content_type}`"
        ))
    })?;
    let options = IngestOptions::read(&req, &["atomic"])?;
    let body = read_body(&mut req).await?;
    let random = random_bytes()?;
    let arrival = options.arrival(&caller.tenant, "native", &random);
    let received = read_native(&body, framing, arrival)?;
    store_received(received, &req, env, &caller).await
}

/// What every ingest endpoint reads besides the body: `?atomic=` and the `Idempotency-Key` header.
pub struct IngestOptions {
    atomic: bool,
    idempotency_key: Option<String>,
    received_at: i64,
}

impl IngestOptions {
    /// Reads and checks the options of an ingest request, whose query string may name only `known`
    /// parameters: a misspelt `atomic` must not store half a batch the sender wanted whole.
    pub fn read(req: &Request, known: &[&str]) -> Result<IngestOptions> {
        let pairs = query_pairs(req)?;
        if let Some((name, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            let known: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                message: format!(
                    "unknown parameter `{name}`; this endpoint takes {}",
                    known.join(" and ")
                ),
            });
        }
        let atomic = match pairs
            .iter()
            .find(|(k, _)| k == "atomic")
            .map(|(_, v)| v.as_str())
        {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiError::BadRequest {
                    code: "invalid_query",
                    message: format!("`atomic` must be `true` or `false`, not `{other}`"),
                })
            }
        };
        let idempotency_key = req.headers().get("idempotency-key")?;
        if let Some(key) = &idempotency_key {
            if key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY
                || key.chars().any(char::is_control)
            {
                return Err(ApiError::BadRequest {
                    code: "invalid_idempotency_key",
                    message: format!(
                        "the `Idempotency-Key` header must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters"
                    ),
                });
            }
        }
        Ok(IngestOptions {
            atomic,
            idempotency_key,
            received_at: worker::js_sys::Date::now() as i64,
        })
    }

    /// The arrival of this request's events.
    pub fn arrival<'a>(
        &'a self,
        tenant: &'a str,
        format: &'a str,
        random: &'a [u8],
    ) -> Arrival<'a> {
        Arrival {
            tenant,
            received_at: self.received_at,
            format,
            atomic: self.atomic,
            idempotency_key: self.idempotency_key.as_deref(),
            random,
        }
    }
}

/// Longest `Idempotency-Key` header, in bytes: under the 255 characters an event's own key may have,
/// with room for the `#<index>` a batch's events add to it.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Reads the request body as UTF-8 text, refusing one larger than the limit before reading it.
pub async fn read_body(req: &mut Request) -> Result<String> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|n| n.parse::<usize>().ok());
    let too_large = |bytes: usize| ApiError::TooLarge {
        code: "body_too_large",
        message: format!(
            "the request body is {bytes} bytes; the limit is {MAX_BODY_BYTES} bytes (5 MiB)"
        ),
    };
    if let Some(bytes) = declared.filter(|n| *n > MAX_BODY_BYTES) {
        return Err(too_large(bytes));
    }
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large(bytes.len()));
    }
    String::from_utf8(bytes).map_err(|e| ApiError::BadRequest {
        code: "invalid_encoding",
        message: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Random bytes for the ids of a request's events.
pub fn random_bytes() -> Result<Vec<u8>> {
    let mut random = vec![0u8; RANDOM_BYTES_PER_EVENT * evident_shared::body::MAX_EVENTS];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(random)
}

/// The rest of ingestion once events are read: the caller's environment, if its key is bound to
/// one, then [`seal_received`]. Answers only after the events are stored, so an acknowledged event
/// is never lost.
pub async fn store_received(
    mut received: Received<'_>,
    req: &Request,
    env: &Env,
    caller: &Caller,
) -> Result<Response> {
    if let Some(environment) = &caller.environment {
        received.keep_to_environment(environment);
    }
    let prepared = seal_received(received, req, env, &caller.tenant).await?;
    Ok(respond::json(prepared.status(), &prepared.response))
}

/// Geo and redaction rules from D1, redaction and enrichment, then sealing and storing through the
/// tenant's sequencer: the answer, complete once the events are stored.
pub async fn seal_received(
    received: Received<'_>,
    req: &Request,
    env: &Env,
    tenant: &str,
) -> Result<Prepared> {
    let db = env.d1("DB")?;
    let geo = match geo::countries(&db, &received.ips()).await {
        Ok(geo) => geo,
        Err(error) => {
            // Geo is an enrichment: without it the events are still worth storing.
            worker::console_warn!("geo lookup failed: {error}");
            Default::default()
        }
    };
    let rules = settings::redaction_rules(&db, tenant).await?;
    let client = browser_client(req);
    let mut prepared = received.finish(Enrichment {
        geo: &geo,
        client: client.as_ref(),
        rules: &rules,
    });
    if !prepared.pending.is_empty() {
        let outcomes = sequencer::seal(env, tenant, prepared.atomic, &prepared.pending).await?;
        prepared.complete(&outcomes);
    }
    Ok(prepared)
}

/// The sending browser, for a request that comes straight from one (it carries an `Origin`): its
/// address and Cloudflare's geo for it, for events that name no address of their own.
fn browser_client(req: &Request) -> Option<Client> {
    req.headers().get("origin").ok().flatten()?;
    let ip = req.headers().get("cf-connecting-ip").ok().flatten();
    let geo = req.cf().and_then(|cf| {
        cf.country().map(|country| Geo {
            country,
            region: cf.region(),
            city: cf.city(),
        })
    });
    Some(Client::new(ip, geo))
}

pub async fn list(req: &Request, env: &Env, ctx: &Context) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let now = worker::js_sys::Date::now() as i64;
    let pairs = query_pairs(req)?;
    let db = env.d1("DB")?;
    let cursors = CursorSigner::for_request(&db, &caller, &req.path(), &pairs).await?;
    let query = params::list_query(&cursors.open_pairs(&pairs)?, now)?;
    // A first page says what it was read as of: the chain head and the time relative terms were
    // taken from, which an export of the same view passes back (`up_to_seq`, `now`).
    let (bodies, next, as_of) = if query.cursor.is_none() {
        let (bodies, next, head) = store::list_first_page(&db, caller.reach(), &query).await?;
        (bodies, next, Some(head))
    } else {
        let (bodies, next) = store::list_events(&db, caller.reach(), &query).await?;
        (bodies, next, None)
    };
    let tail_proven = pairs
        .iter()
        .any(|(name, token)| name == "tail_token" && cursors.is_tail_token(token.trim(), now));
    if reads::is_new_search(&pairs, query.cursor.is_some(), query.from, now, tail_proven) {
        let event = reads::search(&caller, &pairs, bodies.len());
        reads::record_later(ctx, event, req.clone()?, env, &caller.tenant);
    }
    // Stored bodies are canonical JSON already: splice them in rather than parse and print each again.
    let mut json = String::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 64);
    json.push_str("{\"events\":[");
    json.push_str(&bodies.join(","));
    json.push(']');
    if let Some(mut cursor) = next {
        cursor.view = as_of.or(query.up_to_seq).map(|up_to_seq| View {
            now: query.now,
            up_to_seq,
        });
        json.push_str(",\"next_cursor\":");
        json.push_str(&serde_json::to_string(&cursors.sign(&cursor.encode())).unwrap_or_default());
    }
    if let Some(head) = as_of {
        json.push_str(&format!(
            ",\"up_to_seq\":{head},\"now\":{now},\"tail_token\":\"{}\"",
            cursors.tail_token(now)
        ));
    }
    json.push('}');
    Ok(respond::json_text(200, json))
}

pub async fn get(env: &Env, req: &Request, ctx: &Context, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let not_found = || ApiError::NotFound(format!("no event with id `{id}`"));
    if !is_event_id(id) {
        return Err(not_found());
    }
    let body = store::get_event(&env.d1("DB")?, caller.reach(), id)
        .await?
        .ok_or_else(not_found)?;
    let kept = req.clone()?;
    reads::record_later(ctx, reads::view(&caller, id), kept, env, &caller.tenant);
    Ok(respond::json_text(200, body))
}

pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}
