//! Times the per-event ingest pipeline natively, exactly as the worker runs it: split and parse the
//! body; then, one event at a time, validate and normalise, redact, enrich (user agent parsed
//! through the per-isolate cache, country from a lookup result) and print canonical JSON; and seal
//! (seq, prev_hash, SHA-256, the body compressed with a dictionary trained from the warm-up round, as
//! the sequencer trains one from a tenant's first events) into rows for the insert. Only I/O is left
//! out: the D1 geo query and the writes.
//!
//! The worker prepares what the statements store (the SQL columns, search text and targets of each
//! event, the rows, the compressed body) in the same passes as SPEC 8's pipeline stages (parse,
//! validate, enrich, redact, hash). Those parts are timed again on their own, after the run, and
//! reported apart, so the stages SPEC names can be read off without them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use evident_shared::body::Framing;
use evident_shared::chain::{hex, link_hash, unsealed, Unsealed};
use evident_shared::enrich::Geo;
use evident_shared::event::Event;
use evident_shared::redact::RedactionRules;
use evident_worker::ingest::{read_native, Arrival, Enrichment, RANDOM_BYTES_PER_EVENT};
use evident_worker::seal::{plan, Head, Plan};
use evident_worker::sql::{print_event_columns, print_event_search, print_event_targets};
use evident_worker::stored_body::{
    decode, split_hashes, train, training_seqs, Dictionaries, Dictionary, Encoder, Split,
};

/// Time per stage, summed over every event timed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stages {
    /// Split the body and parse each event's JSON.
    pub parse: Duration,
    /// Validate and normalise, redact, enrich and print canonical JSON (each event through all of
    /// them before the next, as the worker does).
    pub finish: Duration,
    /// Seal: splice chain members, hash, compress, lay out rows.
    pub seal: Duration,
    /// Of `seal`, compressing the bodies alone (timed again on their own).
    pub compress: Duration,
    /// Of `seal`, the chain link: SHA-256 of the previous hash and the canonical JSON (timed again).
    pub hash: Duration,
    /// Of `finish`, printing each event's SQL columns, search text and targets (timed again).
    pub store_prints: Duration,
    /// Average body, as canonical JSON and as stored.
    pub body_bytes: (f64, f64),
    /// Events timed.
    pub events: usize,
}

impl Stages {
    /// Microseconds per event of one stage.
    pub fn per_event(&self, stage: Duration) -> f64 {
        stage.as_secs_f64() * 1e6 / self.events.max(1) as f64
    }

    /// Microseconds per event, all stages.
    pub fn total_per_event(&self) -> f64 {
        self.per_event(self.parse + self.finish + self.seal)
    }

    /// Validate, redact, enrich and print canonical JSON: `finish` without the SQL prints.
    pub fn validate_to_print(&self) -> Duration {
        self.finish.saturating_sub(self.store_prints)
    }

    /// Everything done to store an event besides compressing its body: the SQL prints, and what
    /// sealing does besides hashing (splicing `seq`, hex, the rows).
    pub fn store_rows(&self) -> Duration {
        self.store_prints + self.seal.saturating_sub(self.compress + self.hash)
    }

    /// Microseconds per event of the stages SPEC 8 names: parse, validate, enrich, redact, hash
    /// (with the canonical print the hash is taken over).
    pub fn pipeline_per_event(&self) -> f64 {
        self.per_event(self.parse + self.validate_to_print() + self.hash)
    }
}

/// Runs every body through the pipeline `rounds` times after one warm-up round (which fills the
/// user-agent cache as a running isolate's is), chaining each batch after the previous one. Returns
/// the timings and the sealing plans of the last round, ready to insert.
pub fn run(bodies: &[String], rounds: usize) -> (Stages, Vec<Plan>) {
    let geo = countries(bodies);
    let rules = RedactionRules::default();
    let random = vec![7u8; RANDOM_BYTES_PER_EVENT * evident_shared::body::MAX_EVENTS];
    let mut stages = Stages::default();
    let mut plans = Vec::new();
    let mut encoder = Encoder::new(None);
    let mut dictionaries = HashMap::new();
    for round in 0..=rounds {
        if round == 1 {
            let trained = dictionary(&plans, &dictionaries);
            dictionaries.insert(trained.id, trained.bytes.clone());
            encoder = Encoder::new(Some(trained));
        }
        let mut head = Head::genesis();
        plans.clear();
        for (i, body) in bodies.iter().enumerate() {
            let arrival = Arrival {
                tenant: "bench",
                received_at: 1_790_000_000_000 + (round * bodies.len() + i) as i64,
                format: "native",
                atomic: false,
                idempotency_key: None,
                random: &random,
            };
            let t0 = Instant::now();
            let received = read_native(body, Framing::Json, arrival).expect("valid body");
            let t1 = Instant::now();
            let prepared = received.finish(Enrichment {
                geo: &geo,
                client: None,
                rules: &rules,
            });
            let t2 = Instant::now();
            let sealed = plan(
                &head,
                &prepared.pending,
                &HashMap::new(),
                &encoder,
                1_000_000,
            );
            let t3 = Instant::now();
            if round > 0 {
                stages.parse += t1 - t0;
                stages.finish += t2 - t1;
                stages.seal += t3 - t2;
                stages.events += prepared.pending.len();
            }
            head = sealed.head.clone();
            plans.push(sealed);
        }
    }
    let bodies = sealed_bodies(&plans, &dictionaries);
    let split: Vec<Split> = bodies
        .iter()
        .map(|b| split_hashes(b).expect("a sealed body"))
        .collect();
    let started = Instant::now();
    let stored: usize = split
        .iter()
        .map(|s| encoder.encode(&s.text, s.hash_at, s.prev_hash_at).len())
        .sum();
    stages.compress = started.elapsed() * rounds as u32;

    // The stored events, and each as the sequencer hashed it (canonical JSON without its chain
    // members). Rebuilt here rather than kept from the run, which would change what memory the
    // timed rounds allocate from.
    let events: Vec<Event> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).expect("a stored event"))
        .collect();
    let links: Vec<(Unsealed, u64, String)> = events
        .iter()
        .zip(&split)
        .map(|(event, split)| {
            let seq = event.seq.expect("a sealed event has its seq");
            let prev = event.prev_hash.clone().expect("and its prev_hash");
            let bare = Event {
                seq: None,
                prev_hash: None,
                hash: None,
                ..event.clone()
            };
            let u = unsealed(&bare);
            assert_eq!(link_hash(&u, seq, &prev), hex(&split.hash), "the same link");
            (u, seq, prev)
        })
        .collect();
    let started = Instant::now();
    for (u, seq, prev) in &links {
        std::hint::black_box(link_hash(u, *seq, prev));
    }
    stages.hash = started.elapsed() * rounds as u32;

    let started = Instant::now();
    for event in &events {
        std::hint::black_box((
            print_event_columns(event),
            print_event_search(event),
            print_event_targets(event),
        ));
    }
    stages.store_prints = started.elapsed() * rounds as u32;
    let n = bodies.len().max(1) as f64;
    let text: usize = bodies.iter().map(String::len).sum();
    stages.body_bytes = (text as f64 / n, stored as f64 / n);
    (stages, plans)
}

/// Every sealed body of `plans`, in chain order, read back from the rows.
fn sealed_bodies(plans: &[Plan], dictionaries: &Dictionaries) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut prev = evident_shared::chain::GENESIS.to_string();
    for chunk in plans.iter().flat_map(|p| &p.chunks) {
        let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&chunk.rows).expect("rows");
        for row in rows {
            // The row ends with its hash and its body, as SQL hands them back with the previous hash.
            let text = |i: usize| row[row.len() - i].as_str().expect("hex").to_string();
            let (hash, body) = (text(2), text(1));
            let column = format!("{body}.{hash}.{prev}");
            bodies.push(decode(column, dictionaries).expect("a body"));
            prev = hash;
        }
    }
    bodies
}

/// The dictionary the sequencer would train from this chain.
fn dictionary(plans: &[Plan], dictionaries: &Dictionaries) -> Dictionary {
    let bodies = sealed_bodies(plans, dictionaries);
    let samples: Vec<String> = training_seqs(bodies.len() as u64)
        .into_iter()
        .map(|seq| bodies[seq as usize - 1].clone())
        .collect();
    Dictionary {
        id: 1,
        bytes: train(&samples),
    }
}

/// A country for every address in the bodies, standing in for the geo query's answer.
fn countries(bodies: &[String]) -> HashMap<IpAddr, Geo> {
    let mut geo = HashMap::new();
    for body in bodies {
        let events: Vec<serde_json::Value> = serde_json::from_str(body).expect("JSON");
        for event in events {
            if let Some(ip) = event["context"]["ip"]
                .as_str()
                .and_then(|ip| ip.parse().ok())
            {
                geo.insert(
                    ip,
                    Geo {
                        country: "DE".into(),
                        region: None,
                        city: None,
                    },
                );
            }
        }
    }
    geo
}
