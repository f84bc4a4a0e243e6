//! The ingest pipeline, minus I/O, in the order SPEC 3 gives it: read the request's events (native
//! body or an adapter's records), validate and normalise each, then redact, enrich and print them in
//! canonical form for the sequencer, which seals and stores them ([`crate::seal`]). The geo lookup
//! needs D1, so the pipeline stops once the events are read to let the caller collect the addresses
//! ([`Received::ips`]) and resumes with their countries ([`Received::finish`]). Randomness and the
//! clock come in as values, so everything here runs, is tested and is benchmarked natively.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use evident_shared::adapters::Adapted;
use evident_shared::api::{Accepted, ErrorDetail, IngestResponse, Rejected, Skipped};
use evident_shared::body::{split_events, BodyError, Framing, MAX_EVENT_BYTES};
use evident_shared::chain::unsealed;
use evident_shared::enrich::{parse_user_agent, Geo, UserAgent};
use evident_shared::ids::event_id;
use evident_shared::json::Json;
use evident_shared::redact::{redact, RedactionRules};
use evident_shared::timestamp::Millis;
use evident_shared::validate::{validate_json, Stamp};
use evident_shared::{Event, FieldError};

use crate::error::ApiError;
use crate::seal::{same_event, Pending, SealOutcome};
use crate::sql::{print_event_columns, print_event_search, print_event_targets};

/// Random bytes each event id needs beyond its timestamp and index.
pub const RANDOM_BYTES_PER_EVENT: usize = 8;

/// What the server knows about one ingest request.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The sending credential's tenant.
    pub tenant: &'a str,
    /// Server time of receipt.
    pub received_at: Millis,
    /// The adapter that reads the body (`native` for `/api/v1/events`).
    pub format: &'a str,
    /// With `atomic`, one rejected event means nothing is stored.
    pub atomic: bool,
    /// The `Idempotency-Key` header: the key of a single event, or `<key>#<index>` for each event of a
    /// batch that has no key of its own, so a retried batch is recognised event by event.
    pub idempotency_key: Option<&'a str>,
    /// [`RANDOM_BYTES_PER_EVENT`] random bytes per event (or more).
    pub random: &'a [u8],
}

/// The request's events as read, each a JSON tree borrowing from the body, not yet validated.
///
/// Validation waits for [`Received::finish`], which takes each event from its tree to its printed
/// form before starting the next: validating every event first kept a whole batch of events alive
/// until the last was validated, and taking one event at a time through all its steps reuses the
/// same memory for each (the native bench measured about 1.5 µs an event less).
#[derive(Debug)]
pub struct Received<'a> {
    /// Each readable event with, for adapters, its line.
    records: Vec<(Option<usize>, Json<'a>)>,
    /// Adapters' records that could not be read, with their line and why; they come after the
    /// readable records in index order.
    unreadable: Vec<(usize, String)>,
    /// Lines that hold no audit event.
    skipped: Vec<Skipped>,
    arrival: Arrival<'a>,
    /// The only `scope.environment` the sending key may write, if it is bound to one.
    environment: Option<String>,
}

/// Reads a native request body.
pub fn read_native<'a>(
    body: &'a str,
    framing: Framing,
    arrival: Arrival<'a>,
) -> Result<Received<'a>, ApiError> {
    let values = split_events(body, framing).map_err(body_error)?;
    Ok(Received {
        records: values.into_iter().map(|v| (None, v)).collect(),
        unreadable: Vec::new(),
        skipped: Vec::new(),
        arrival,
        environment: None,
    })
}

/// Takes what an adapter read. Records it could not read are rejected with their line; lines that
/// hold no audit event are listed as skipped. An event larger than a native one may be is a 413
/// naming its line, as a native event's is: a source line may hold megabytes of code.
pub fn read_adapted(adapted: Adapted, arrival: Arrival<'_>) -> Result<Received<'_>, ApiError> {
    let total = adapted.records.len() + adapted.unreadable.len();
    if total > evident_shared::body::MAX_EVENTS {
        return Err(body_error(BodyError::TooManyEvents { count: total }));
    }
    for record in &adapted.records {
        let bytes = json_len(&record.event);
        if bytes > MAX_EVENT_BYTES {
            let line = record.line;
            return Err(body_error(BodyError::RecordTooLarge { line, bytes }));
        }
    }
    Ok(Received {
        records: adapted
            .records
            .into_iter()
            .map(|r| (Some(r.line), Json::from(r.event)))
            .collect(),
        unreadable: adapted
            .unreadable
            .into_iter()
            .map(|p| (p.line, p.reason))
            .collect(),
        skipped: adapted
            .skipped
            .into_iter()
            .map(|p| Skipped {
                line: p.line,
                reason: p.reason,
            })
            .collect(),
        arrival,
        environment: None,
    })
}

/// What ingestion adds to events besides what the sender said.
#[derive(Debug, Clone, Copy)]
pub struct Enrichment<'a> {
    /// Countries of the events' addresses, from the geo tables.
    pub geo: &'a HashMap<IpAddr, Geo>,
    /// For a request sent straight from a browser: its address and Cloudflare's geo for it, used for
    /// events that name no address of their own.
    pub client: Option<&'a Client>,
    /// The tenant's redaction rules.
    pub rules: &'a RedactionRules,
}

/// The client that sent a request from a browser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Client {
    /// Its address (`CF-Connecting-IP`).
    pub ip: Option<String>,
    /// Cloudflare's geo for it (`request.cf`).
    pub geo: Option<Geo>,
}

impl Client {
    /// The client as the request names it, keeping Cloudflare's geo only where it is a country: not
    /// for an address that has none (loopback and private ones, which local `wrangler dev` gives
    /// with made-up geo), nor Cloudflare's own codes for unknown (`XX`) and Tor (`T1`).
    pub fn new(ip: Option<String>, geo: Option<Geo>) -> Client {
        let global = ip
            .as_deref()
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
            .and_then(evident_shared::enrich::geo_key)
            .is_some();
        let geo = geo.filter(|g| global && !matches!(g.country.as_str(), "XX" | "T1"));
        Client { ip, geo }
    }
}

impl Received<'_> {
    /// The distinct addresses the events name, for the geo lookup: `context.ip` as validation reads
    /// it. An event that turns out invalid costs only a lookup nobody uses.
    pub fn ips(&self) -> Vec<IpAddr> {
        let mut ips: Vec<IpAddr> = self
            .records
            .iter()
            .filter_map(|(_, event)| sent_ip(event))
            .collect();
        ips.sort();
        ips.dedup();
        ips
    }

    /// Rejects every event whose `scope.environment` is not `environment` (or is absent), for a key
    /// bound to that environment: each with an error at `/scope/environment`, like any invalid event,
    /// so the rest of the request is stored (or, with `atomic`, nothing is).
    pub fn keep_to_environment(&mut self, environment: &str) {
        self.environment = Some(environment.to_string());
    }

    /// Validates, redacts, enriches and prints every event for sealing, one event at a time, and
    /// drafts the answer. Nothing is left to store when an event is rejected and `atomic` was asked,
    /// or when every event is rejected.
    pub fn finish(self, enrichment: Enrichment<'_>) -> Prepared {
        let Received {
            records,
            unreadable,
            skipped,
            arrival,
            environment,
        } = self;
        let total = records.len() + unreadable.len();
        let mut response = IngestResponse {
            skipped,
            ..IngestResponse::default()
        };
        let mut pending = Vec::with_capacity(records.len());
        let mut indexes: Vec<(usize, Option<usize>)> = Vec::with_capacity(records.len());
        // Where in `pending` each idempotency key was first seen.
        let mut first_of_key: HashMap<String, usize> = HashMap::new();
        for (index, (line, value)) in records.into_iter().enumerate() {
            // `outside` borrows the event: passing it in and out by value would copy it twice.
            let checked =
                validate_one(value, index, total, arrival).and_then(|event| {
                    match outside(&event, environment.as_deref()) {
                        Some(error) => Err(vec![error]),
                        None => Ok(event),
                    }
                });
            match checked {
                Ok(mut event) => {
                    redact(&mut event, enrichment.rules);
                    let ip_from_client = enrich(&mut event, enrichment);
                    let unsealed = unsealed(&event);
                    // A key twice in one request: the same event again is left for the sequencer to
                    // answer as a duplicate; a different one is refused here, naming the first.
                    if let Some(key) = event.idempotency_key.as_deref() {
                        if let Some(&first) = first_of_key.get(key) {
                            let earlier = (&pending[first], indexes[first].0);
                            if let Some(error) = key_clash(earlier, &unsealed.text, ip_from_client)
                            {
                                response.rejected.push(Rejected {
                                    index,
                                    line,
                                    errors: vec![error],
                                });
                                continue;
                            }
                        } else {
                            first_of_key.insert(key.to_string(), pending.len());
                        }
                    }
                    let columns = print_event_columns(&event);
                    let search = print_event_search(&event);
                    let targets = print_event_targets(&event);
                    pending.push(Pending {
                        id: event.id,
                        columns,
                        idempotency_key: event.idempotency_key,
                        search,
                        targets,
                        unsealed,
                        ip_from_client,
                    });
                    indexes.push((index, line));
                }
                Err(errors) => response.rejected.push(Rejected {
                    index,
                    line,
                    errors,
                }),
            }
        }
        let offset = total - unreadable.len();
        for (i, (line, reason)) in unreadable.into_iter().enumerate() {
            response.rejected.push(Rejected {
                index: offset + i,
                line: Some(line),
                errors: vec![FieldError::new("", reason)],
            });
        }
        response.rejected.sort_by_key(|r| (r.line, r.index));
        let store_nothing = !response.rejected.is_empty() && (arrival.atomic || pending.is_empty());
        if store_nothing {
            pending.clear();
            indexes.clear();
            let n = response.rejected.len();
            response.error = Some(ErrorDetail {
                code: "invalid_events".into(),
                message: if arrival.atomic {
                    format!("{n} of {total} events are invalid and `atomic=true` was asked: nothing was stored")
                } else {
                    format!("all {n} events are invalid: nothing was stored")
                },
                errors: vec![],
            });
        }
        Prepared {
            pending,
            indexes,
            atomic: arrival.atomic,
            conflicts: 0,
            withdrawn: 0,
            response,
        }
    }
}

/// Validates the event at `index` of a request of `total` events, with the header's idempotency key
/// for an event that has none of its own.
fn validate_one(
    value: Json<'_>,
    index: usize,
    total: usize,
    arrival: Arrival<'_>,
) -> Result<Event, Vec<FieldError>> {
    let stamp = Stamp {
        tenant: arrival.tenant,
        id: new_id(arrival.received_at, index, arrival.random),
        received_at: arrival.received_at,
        format: arrival.format,
    };
    let mut event = validate_json(value, stamp)?;
    if event.idempotency_key.is_none() {
        event.idempotency_key = arrival.idempotency_key.map(|key| match total {
            1 => key.to_string(),
            _ => format!("{key}#{index}"),
        });
    }
    Ok(event)
}

/// The error, when an event repeats the idempotency key of `earlier` (a pending event and its request
/// index) but is a different event.
fn key_clash(earlier: (&Pending, usize), text: &str, ip_from_client: bool) -> Option<FieldError> {
    let (earlier, index) = earlier;
    let client = ip_from_client || earlier.ip_from_client;
    if same_event(&earlier.unsealed.text, text, client) {
        return None;
    }
    let message = format!(
        "is also the key of event {index} of this request, a different event: a key names one event"
    );
    Some(FieldError::new("/idempotency_key", message))
}

/// The error, when the key is bound to an environment and the event is not of it.
fn outside(event: &Event, environment: Option<&str>) -> Option<FieldError> {
    let environment = environment?;
    let message = match event.scope.environment.as_deref() {
        Some(own) if own == environment => return None,
        Some(own) => format!(
            "is `{own}`, but this key may only send events of the environment `{environment}`"
        ),
        None => {
            format!("is required: this key may only send events of the environment `{environment}`")
        }
    };
    Some(FieldError::new("/scope/environment", message))
}

/// The address an event's `context.ip` names, read as validation reads it (trimmed, then parsed).
fn sent_ip(event: &Json<'_>) -> Option<IpAddr> {
    let Json::Object(event) = event else {
        return None;
    };
    let Some(Json::Object(context)) = event.get("context") else {
        return None;
    };
    context.get("ip")?.as_str()?.trim().parse().ok()
}

/// Adds geo and the parsed user agent; for an event sent from a browser that names no address, the
/// browser's own. True when it did that (the address is the connection's, not the sender's).
fn enrich(event: &mut Event, enrichment: Enrichment<'_>) -> bool {
    let context = &mut event.context;
    let mut ip_from_client = false;
    if let Some(client) = enrichment.client {
        if context.ip.is_none() {
            context.ip.clone_from(&client.ip);
            context.geo.clone_from(&client.geo);
            ip_from_client = context.ip.is_some();
        }
    }
    if context.geo.is_none() {
        let ip = context
            .ip
            .as_deref()
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        context.geo = ip.and_then(|ip| enrichment.geo.get(&ip).cloned());
    }
    if let Some(ua) = context.user_agent.as_deref() {
        context.ua = cached_user_agent(ua);
    }
    ip_from_client
}

/// Most user agents an isolate remembers; the cache starts over when full.
const UA_CACHE_SIZE: usize = 10_000;

thread_local! {
    static UA_CACHE: RefCell<HashMap<String, Option<Arc<UserAgent>>>> = RefCell::new(HashMap::new());
}

/// Parses a user agent once per isolate: senders repeat the same few strings.
fn cached_user_agent(ua: &str) -> Option<Arc<UserAgent>> {
    UA_CACHE.with(|cache| {
        if let Some(hit) = cache.borrow().get(ua) {
            return hit.clone();
        }
        let parsed = parse_user_agent(ua).map(Arc::new);
        let mut cache = cache.borrow_mut();
        if cache.len() >= UA_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(ua.to_string(), parsed.clone());
        parsed
    })
}

/// Events ready for the sequencer, and the answer to complete once they are sealed.
#[derive(Debug)]
pub struct Prepared {
    /// One per event to seal, in request order; empty when nothing is to be stored.
    pub pending: Vec<Pending>,
    /// The request index (and, from adapters, line) of each pending event.
    indexes: Vec<(usize, Option<usize>)>,
    /// Whether the request asked for all of its events or none (`?atomic=true`).
    pub atomic: bool,
    /// Events refused because their idempotency key was first used for a different event.
    conflicts: usize,
    /// Events not stored because another event of their atomic request was such a conflict.
    withdrawn: usize,
    /// The answer so far: rejections, skipped lines, and the error when nothing is stored.
    pub response: IngestResponse,
}

impl Prepared {
    /// Fills in the ids, seqs and duplicates the sequencer reported, one outcome per pending event. An
    /// event whose idempotency key was first used for another event is rejected at `/idempotency_key`;
    /// with `atomic`, that means nothing was stored.
    pub fn complete(&mut self, outcomes: &[SealOutcome]) {
        for (&(index, line), outcome) in self.indexes.iter().zip(outcomes) {
            if outcome.withdrawn {
                self.withdrawn += 1;
                continue;
            }
            if outcome.conflict {
                let message = format!(
                    "was first used for a different event (`{}`, seq {}): a key names one event, \
                     so this one was not stored; send it under a key of its own",
                    outcome.id, outcome.seq
                );
                self.response.rejected.push(Rejected {
                    index,
                    line,
                    errors: vec![FieldError::new("/idempotency_key", message)],
                });
                self.conflicts += 1;
                continue;
            }
            if outcome.duplicate {
                self.response.duplicates += 1;
            } else {
                self.response.accepted += 1;
            }
            self.response.events.push(Accepted {
                index,
                id: outcome.id.clone(),
                seq: Some(outcome.seq),
                duplicate: outcome.duplicate,
            });
        }
        if self.conflicts == 0 {
            return;
        }
        let r = &mut self.response;
        r.rejected.sort_by_key(|r| (r.line, r.index));
        if r.accepted + r.duplicates == 0 && self.conflicts < r.rejected.len() {
            let (n, total) = (r.rejected.len(), r.rejected.len() + self.withdrawn);
            r.error = Some(ErrorDetail {
                code: "invalid_events".into(),
                message: format!(
                    "{n} of {total} events were refused (invalid, or reusing an idempotency key \
                     for a different event): nothing was stored"
                ),
                errors: vec![],
            });
        } else if r.accepted + r.duplicates == 0 {
            let c = self.conflicts;
            r.error = Some(ErrorDetail {
                code: "idempotency_conflict".into(),
                message: {
                    let reuse = if c == 1 { "reuses" } else { "reuse" };
                    let of = if self.withdrawn > 0 {
                        format!("{c} of {} events", c + self.withdrawn)
                    } else if c == 1 {
                        "1 event".to_owned()
                    } else {
                        format!("{c} events")
                    };
                    let atomic = if self.withdrawn > 0 {
                        " and `atomic=true` was asked"
                    } else {
                        ""
                    };
                    format!("{of} {reuse} an idempotency key first used for a different event{atomic}: nothing was stored")
                },
                errors: vec![],
            });
        }
    }

    /// 201 when every event was stored (200 when all were duplicates), 207 when some were rejected,
    /// 422 when none was stored because of rejections, 409 when none was because every rejected event
    /// reused an idempotency key for a different event.
    pub fn status(&self) -> u16 {
        let r = &self.response;
        // Before the sequencer answers, every pending event counts as stored.
        let stored_some = self.pending.len() > self.conflicts + self.withdrawn;
        match (r.rejected.is_empty(), stored_some) {
            (true, _) if r.accepted == 0 && r.duplicates > 0 => 200,
            (true, _) => 201,
            (false, true) => 207,
            (false, false) if self.conflicts == r.rejected.len() => 409,
            (false, false) => 422,
        }
    }
}

/// A UUIDv7 whose 12 bits after the timestamp hold the event's index, so ids of one request sort in
/// request order, and whose remaining bits are random.
fn new_id(received_at: Millis, index: usize, random: &[u8]) -> String {
    let mut bytes = [0u8; 10];
    bytes[0] = ((index >> 8) & 0x0f) as u8;
    bytes[1] = (index & 0xff) as u8;
    let start = index * RANDOM_BYTES_PER_EVENT;
    if let Some(chunk) = random.get(start..start + RANDOM_BYTES_PER_EVENT) {
        bytes[2..].copy_from_slice(chunk);
    }
    event_id(received_at, bytes)
}

/// The size of `value` printed as compact JSON, counted without keeping the text.
fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("counting cannot fail");
    count.0
}

fn body_error(err: BodyError) -> ApiError {
    ApiError::request(err.is_too_large(), err.code(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::{plan_batches, Batch, Head};
    use evident_shared::validate::MAX_NESTING;
    use serde_json::Value;

    const NOW: Millis = 1_700_000_000_000;

    fn arrival<'a>(atomic: bool, key: Option<&'a str>) -> Arrival<'a> {
        Arrival {
            tenant: "acme",
            received_at: NOW,
            format: "native",
            atomic,
            idempotency_key: key,
            random: &[7u8; 8 * 1000],
        }
    }

    /// Runs the pipeline and seals into an empty chain, as the worker and its sequencer would.
    fn run_with(
        body: &str,
        arrival: Arrival<'_>,
        geo: &HashMap<IpAddr, Geo>,
    ) -> Result<Prepared, ApiError> {
        let received = read_native(body, Framing::Json, arrival)?;
        let rules = RedactionRules::default();
        let mut prepared = received.finish(Enrichment {
            geo,
            client: None,
            rules: &rules,
        });
        let batch = Batch {
            events: prepared.pending.len(),
            atomic: prepared.atomic,
        };
        let plan = plan_batches(
            &Head::genesis(),
            &prepared.pending,
            &HashMap::new(),
            &[batch],
            &crate::stored_body::Encoder::new(None),
            1 << 20,
        );
        prepared.complete(&plan.outcomes);
        Ok(prepared)
    }

    #[test]
    fn a_key_used_twice_for_different_events_stores_the_first_and_rejects_the_other() {
        let body = r#"[{"action":"a.create","actor":{"id":"u1"},"idempotency_key":"k"},
            {"action":"a.delete","actor":{"id":"u1"},"idempotency_key":"k"},
            {"action":"a.create","actor":{"id":"u1"},"idempotency_key":"k"},
            {"action":"a.view","actor":{"id":"u2"}}]"#;
        let p = run(body, false).unwrap();
        assert_eq!(p.status(), 207);
        let r = &p.response;
        assert_eq!((r.accepted, r.duplicates), (2, 1));
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].index, 1);
        assert_eq!(r.rejected[0].errors[0].path, "/idempotency_key");
        let message = &r.rejected[0].errors[0].message;
        assert!(message.contains("event 0 of this request"), "{message}");
        // The third is the first one again: a duplicate answering its id.
        let first = &r.events[0].id;
        assert_eq!((r.events[1].index, &r.events[1].id), (2, first));
        // With `atomic`, the refused event means nothing is stored.
        let p = run(body, true).unwrap();
        assert_eq!(p.status(), 422);
        let r = &p.response;
        assert_eq!((r.accepted, r.duplicates, r.events.len()), (0, 0, 0));
        assert!(p.pending.is_empty());
        assert_eq!(r.rejected.iter().map(|r| r.index).collect::<Vec<_>>(), [1]);
        let error = r.error.as_ref().unwrap();
        assert_eq!(error.code, "invalid_events");
        assert!(error.message.contains("nothing was stored"), "{error:?}");
    }

    /// What the answer says when the sequencer finds keys first used for other events, alone or
    /// beside events refused for other reasons.
    #[test]
    fn conflicts_found_by_the_sequencer_are_rejected_at_the_key() {
        let body = r#"[{"action":"a.create","actor":{"id":"u1"},"idempotency_key":"k"},
            {"action":"a.view","actor":{"id":"u2"}}]"#;
        let conflict = SealOutcome {
            id: "e0".into(),
            seq: 7,
            conflict: true,
            ..SealOutcome::default()
        };
        let withdrawn = SealOutcome {
            withdrawn: true,
            ..SealOutcome::default()
        };
        let rules = RedactionRules::default();
        let finish = |body: &str, atomic: bool| {
            read_native(body, Framing::Json, arrival(atomic, None))
                .unwrap()
                .finish(Enrichment {
                    geo: &HashMap::new(),
                    client: None,
                    rules: &rules,
                })
        };
        // Atomic: the conflict and the event withdrawn with it. 409, naming the event with the key.
        let mut p = finish(body, true);
        p.complete(&[conflict.clone(), withdrawn]);
        assert_eq!(p.status(), 409);
        let r = &p.response;
        assert_eq!((r.accepted, r.events.len()), (0, 0));
        assert_eq!(r.rejected[0].index, 0);
        assert!(
            r.rejected[0].errors[0].message.contains("`e0`, seq 7"),
            "{r:?}"
        );
        assert_eq!(r.error.as_ref().unwrap().code, "idempotency_conflict");
        assert!(
            r.error.as_ref().unwrap().message.contains("1 of 2 events"),
            "{r:?}"
        );
        // Beside an invalid event, with nothing stored: 422 and `invalid_events`.
        let mixed = r#"[{"action":"a.create","actor":{"id":"u1"},"idempotency_key":"k"},
            {"action":"NOT VALID"}]"#;
        let mut p = finish(mixed, false);
        p.complete(&[conflict]);
        assert_eq!(p.status(), 422);
        assert_eq!(p.response.rejected.len(), 2);
        assert_eq!(p.response.error.as_ref().unwrap().code, "invalid_events");
    }

    fn run(body: &str, atomic: bool) -> Result<Prepared, ApiError> {
        run_with(body, arrival(atomic, None), &HashMap::new())
    }

    /// Langfuse's `before` as a JSON string: unpacked by the adapter, it can nest deeper than a
    /// body the reader takes, and than readers of the stored event and of the API's answers (which
    /// wrap it two levels deeper) take. Such a record is rejected by its line; the one beside it is
    /// stored.
    #[test]
    fn adapted_events_too_deep_to_read_back_are_rejected() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let record = |id: &str, before: String| {
            serde_json::json!({"resourceType": "prompt", "resourceId": id, "action": "update",
                "userId": "u1", "type": "USER", "orgId": "o", "before": before,
                "createdAt": "2024-05-01T10:00:00.000Z"})
        };
        let body =
            serde_json::json!([record("p1", nested(126)), record("p2", nested(2))]).to_string();
        let adapted = evident_shared::adapters::adapt(
            evident_shared::adapters::Format::Langfuse,
            &body,
            evident_shared::adapters::Hint::default(),
        )
        .unwrap();
        assert_eq!(adapted.records.len(), 2, "{adapted:?}");
        let rules = RedactionRules::default();
        let prepared = read_adapted(adapted, arrival(false, None))
            .unwrap()
            .finish(Enrichment {
                geo: &HashMap::new(),
                client: None,
                rules: &rules,
            });
        assert_eq!(prepared.response.accepted + prepared.pending.len(), 1);
        let rejected = &prepared.response.rejected;
        assert_eq!(rejected.len(), 1, "{rejected:?}");
        assert!(
            rejected[0].errors[0].message.contains("nests 128 levels"),
            "{rejected:?}"
        );
        // The limit leaves room for the two levels of an answer's wrapping under readers' 128.
        let answer = format!("{{\"events\":[{}]}}", nested(MAX_NESTING));
        assert!(serde_json::from_str::<Value>(&answer).is_ok());
    }

    #[test]
    fn valid_events_are_stored_even_when_others_are_rejected() {
        let body = r#"[{"action":"a.create","actor":{"id":"u1"}}, {"action":"bad"}, {"action":"a.delete","actor":{"id":"u2"}}]"#;
        let p = run(body, false).unwrap();
        assert_eq!(p.status(), 207);
        assert_eq!(p.response.accepted, 2);
        assert_eq!(p.response.rejected.len(), 1);
        assert_eq!(p.response.rejected[0].index, 1);
        let paths: Vec<_> = p.response.rejected[0]
            .errors
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(paths, vec!["/action", "/actor"]);
        assert_eq!(p.pending.len(), 2);
        let ids: Vec<_> = p.response.events.iter().map(|a| a.id.clone()).collect();
        assert!(ids[0] < ids[1], "ids sort in request order");
        let seqs: Vec<_> = p.response.events.iter().map(|a| a.seq).collect();
        assert_eq!(seqs, [Some(1), Some(2)]);
    }

    #[test]
    fn a_key_bound_to_an_environment_rejects_events_of_others_and_of_none() {
        let body = r#"[{"action":"a.create","actor":{"id":"u1"},"scope":{"environment":"prod"}},
            {"action":"a.create","actor":{"id":"u1"},"scope":{"environment":"staging"}},
            {"action":"bad","actor":{"id":"u1"}},
            {"action":"a.create","actor":{"id":"u1"}},
            {"action":"a.create","actor":{"id":"u1"},"scope":{"environment":" prod "}}]"#;
        let run_bound = |atomic: bool| {
            let mut received = read_native(body, Framing::Json, arrival(atomic, None)).unwrap();
            received.keep_to_environment("prod");
            let rules = RedactionRules::default();
            received.finish(Enrichment {
                geo: &HashMap::new(),
                client: None,
                rules: &rules,
            })
        };
        let p = run_bound(false);
        assert_eq!(p.status(), 207);
        assert_eq!(
            p.pending.len(),
            2,
            "the two events of prod (trimmed as stored)"
        );
        let rejected: Vec<(usize, &str)> = p
            .response
            .rejected
            .iter()
            .map(|r| (r.index, r.errors[0].path.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (1, "/scope/environment"),
                (2, "/action"),
                (3, "/scope/environment")
            ]
        );
        let message = &p.response.rejected[0].errors[0].message;
        assert!(
            message.contains("`staging`") && message.contains("`prod`"),
            "{message}"
        );
        assert!(p.response.rejected[2].errors[0]
            .message
            .starts_with("is required"));
        assert!(run_bound(true).pending.is_empty());
    }

    #[test]
    fn atomic_requests_store_nothing_when_one_event_is_bad() {
        let body =
            r#"[{"action":"a.create","actor":{"id":"u1"}}, {"action":"bad","actor":{"id":"u1"}}]"#;
        let p = run(body, true).unwrap();
        assert_eq!(p.status(), 422);
        assert!(p.pending.is_empty());
        assert!(p.response.events.is_empty());
        assert_eq!(p.response.accepted, 0);
        assert_eq!(p.response.error.as_ref().unwrap().code, "invalid_events");
    }

    #[test]
    fn request_level_errors_map_to_their_status() {
        assert_eq!(run("[{]", false).unwrap_err().status(), 400);
        let many = format!("[{}]", vec!["{}"; 1001].join(","));
        assert_eq!(run(&many, false).unwrap_err().status(), 413);
    }

    #[test]
    fn the_header_key_names_a_single_event_and_each_event_of_a_batch() {
        let one = run_with(
            r#"{"action":"a.create","actor":{"id":"u1"}}"#,
            arrival(false, Some("k1")),
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(one.pending[0].idempotency_key.as_deref(), Some("k1"));
        let body = r#"[{"action":"a.create","actor":{"id":"u1"}},{"action":"a.create","actor":{"id":"u1"},"idempotency_key":"own"}]"#;
        let batch = run_with(body, arrival(false, Some("k2")), &HashMap::new()).unwrap();
        let keys: Vec<_> = batch
            .pending
            .iter()
            .map(|p| p.idempotency_key.as_deref())
            .collect();
        assert_eq!(keys, [Some("k2#0"), Some("own")]);
    }

    #[test]
    fn events_are_redacted_enriched_and_printed_canonically() {
        let body = r#"{"action":"user.sign_in","actor":{"id":"u1","email":"a@b.c"},
            "context":{"ip":"81.2.69.160","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"},
            "payload":{"password":"hunter2","code":"1 + 1"}}"#;
        let geo = HashMap::from([(
            "81.2.69.160".parse().unwrap(),
            Geo {
                country: "GB".into(),
                region: None,
                city: None,
            },
        )]);
        let p = run_with(body, arrival(false, None), &geo).unwrap();
        let text = &p.pending[0].unsealed.text;
        let event: Value = serde_json::from_str(text).unwrap();
        assert_eq!(event["context"]["geo"]["country"], "GB");
        assert_eq!(event["context"]["ua"]["browser"], "Chrome");
        assert_eq!(event["payload"]["password"], "[REDACTED]");
        assert_eq!(event["redacted"], serde_json::json!(["/payload/password"]));
        assert!(!text.contains("hunter2"));
        assert_eq!(evident_shared::chain::canonical_json(&event), *text);
        let columns: Vec<Value> = serde_json::from_str(&p.pending[0].columns).unwrap();
        assert_eq!(columns[3], "user.sign_in");
        assert_eq!(columns[4], "auth");
        assert_eq!(columns[9], "a@b.c");
        assert_eq!(columns[12], "81.2.69.160");
    }

    #[test]
    fn the_addresses_looked_up_are_those_the_validated_events_keep() {
        let event = |context: &str| {
            format!(r#"{{"action":"a.create","actor":{{"id":"u1"}},"context":{context}}}"#)
        };
        let contexts = [
            r#"{"ip":" 81.2.69.160 "}"#,
            r#"{"ip":"2001:DB8:0:0:0:0:0:1"}"#,
            r#"{"ip":"2001:db8::1"}"#,
            r#"{"ip":"not an address"}"#,
            r#"{"ip":7}"#,
            r#""web""#,
            r#"{}"#,
        ];
        let body = format!("[{}]", contexts.map(event).join(","));
        let received = read_native(&body, Framing::Json, arrival(false, None)).unwrap();
        let ips = received.ips();
        let (v4, v6): (IpAddr, IpAddr) = (
            "81.2.69.160".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        );
        assert_eq!(
            ips,
            [v4, v6],
            "trimmed, each once, unreadable ones left out"
        );

        let country = |code: &str| Geo {
            country: code.into(),
            region: None,
            city: None,
        };
        let geo = HashMap::from([(v4, country("GB")), (v6, country("DE"))]);
        let rules = RedactionRules::default();
        let p = received.finish(Enrichment {
            geo: &geo,
            client: None,
            rules: &rules,
        });
        let stored: Vec<Value> = p
            .pending
            .iter()
            .map(|p| serde_json::from_str(&p.unsealed.text).unwrap())
            .collect();
        let countries: Vec<&Value> = stored
            .iter()
            .map(|e| &e["context"]["geo"]["country"])
            .collect();
        assert_eq!(countries[..3], ["GB", "DE", "DE"]);
        assert_eq!(stored[1]["context"]["ip"], "2001:db8::1");
        assert_eq!(
            p.response
                .rejected
                .iter()
                .map(|r| r.index)
                .collect::<Vec<_>>(),
            [3, 4, 5],
            "the addresses validation refuses are rejected, not looked up"
        );
    }

    #[test]
    fn adapted_records_keep_their_lines_and_unreadable_ones_are_rejected_in_line_order() {
        use evident_shared::adapters::{Problem, Record};
        let record = |line: usize, action: &str| Record {
            line,
            event: serde_json::json!({"action": action, "actor": {"id": "u1"}}),
        };
        let problem = |line: usize, reason: &str| Problem {
            line,
            reason: reason.into(),
        };
        let adapted = Adapted {
            records: vec![
                record(1, "a.create"),
                record(4, "bad"),
                record(6, "a.delete"),
            ],
            skipped: vec![problem(3, "not an audit event")],
            unreadable: vec![problem(2, "cut short"), problem(7, "not JSON")],
        };
        let received = read_adapted(adapted, arrival(false, None)).unwrap();
        let p = received.finish(Enrichment {
            geo: &HashMap::new(),
            client: None,
            rules: &RedactionRules::default(),
        });
        assert_eq!(p.status(), 207);
        assert_eq!(p.pending.len(), 2);
        let rejected: Vec<(Option<usize>, usize)> = p
            .response
            .rejected
            .iter()
            .map(|r| (r.line, r.index))
            .collect();
        // Records are numbered first, unreadable parts after them; the answer lists them by line.
        assert_eq!(rejected, [(Some(2), 3), (Some(4), 1), (Some(7), 4)]);
        assert_eq!(p.response.rejected[0].errors[0].message, "cut short");
        assert_eq!(p.response.rejected[1].errors[0].path, "/action");
        assert_eq!(p.response.skipped[0].line, 3);

        let atomic = read_adapted(
            Adapted {
                records: vec![record(1, "a.create")],
                skipped: vec![],
                unreadable: vec![problem(2, "cut short")],
            },
            arrival(true, None),
        )
        .unwrap()
        .finish(Enrichment {
            geo: &HashMap::new(),
            client: None,
            rules: &RedactionRules::default(),
        });
        assert_eq!(
            atomic.status(),
            422,
            "an unreadable line stops an atomic request"
        );
        assert!(atomic.pending.is_empty());
    }

    #[test]
    fn a_browser_clients_geo_is_kept_only_for_a_country_of_a_global_address() {
        let geo = |country: &str| {
            Some(Geo {
                country: country.into(),
                region: None,
                city: None,
            })
        };
        let client = |ip: &str, country: &str| Client::new(Some(ip.into()), geo(country));
        assert_eq!(client("203.0.113.7", "DE").geo, None, "documentation range");
        assert_eq!(client("8.8.8.8", "DE").geo, geo("DE"));
        assert_eq!(
            client("127.0.0.1", "US").geo,
            None,
            "wrangler dev's stand-in"
        );
        assert_eq!(client("10.1.2.3", "US").geo, None);
        assert_eq!(client("8.8.8.8", "XX").geo, None);
        assert_eq!(client("8.8.8.8", "T1").geo, None);
        assert_eq!(Client::new(None, geo("DE")).geo, None);
        assert_eq!(client("8.8.8.8", "DE").ip.as_deref(), Some("8.8.8.8"));
    }

    /// A Livebook line can carry megabytes of executed code: the event it makes is held to the limit
    /// of a native event, with a 413 that names its line, and nothing of the request is stored.
    #[test]
    fn an_adapted_event_larger_than_the_limit_is_refused_by_line() {
        let line = |n: usize, code: &str| {
            serde_json::json!({"message": "Evaluating code", "time": "2025-10-06T21:19:19.851+02:00",
                "severity": "info", "metadata": {"code": code, "event": "code.evaluate",
                "users": [{"id": format!("u{n}"), "name": "Zoë"}]}})
            .to_string()
        };
        let limit = evident_shared::body::MAX_EVENT_BYTES;
        let body = [line(1, "1 + 1"), line(2, &"x".repeat(limit)), line(3, "2")].join("\n");
        let adapted = evident_shared::adapters::adapt(
            evident_shared::adapters::Format::Livebook,
            &body,
            Default::default(),
        )
        .unwrap();
        assert_eq!(adapted.records.len(), 3, "{adapted:?}");
        let refused = read_adapted(adapted, arrival(false, None)).err().unwrap();
        assert_eq!(refused.status(), 413);
        let message = refused.to_string();
        assert!(
            message.starts_with("the event read from line 2 is ") && message.contains("(64 KiB)"),
            "{message}"
        );
        // Just within the limit, it is read.
        let body = [line(1, "1 + 1"), line(2, &"x".repeat(limit - 1_000))].join("\n");
        let adapted = evident_shared::adapters::adapt(
            evident_shared::adapters::Format::Livebook,
            &body,
            Default::default(),
        )
        .unwrap();
        assert!(read_adapted(adapted, arrival(false, None)).is_ok());
    }
}
