//! The sealing step, minus I/O: what the ingest handler hands the tenant's sequencer, and the plan the
//! sequencer stores. Sealing is the only part of ingestion that must run alone per tenant, so it does
//! as little as it can: skip what is already stored under the same idempotency key, give each new
//! event the next `seq`, splice in the chain members and hash (see [`evident_shared::chain`]),
//! compress the body ([`crate::stored_body`]), and lay the rows out for [`crate::sql::INSERT_EVENTS`].
//!
//! A key names one event: an event whose key was first used for a different event is a conflict, not
//! a duplicate, and is not stored (answering "duplicate" would acknowledge an event that is lost).
//! Events are compared as the sender made them ([`same_event`]), so a retry whose server-given fields
//! (id, receipt time, geo) differ is still a duplicate. Only events whose key is already taken are
//! compared, so the cost falls on retries, not on ingestion.

use std::borrow::Cow;
use std::collections::HashMap;

use evident_shared::chain::{link_hash, seq_member, Unsealed, GENESIS};
use serde::{Deserialize, Serialize};

use crate::stored_body::Encoder;

/// A prepared event waiting for its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The event's id.
    pub id: String,
    /// [`crate::sql::event_columns`] of the event, printed: the sequencer copies the text into the
    /// insert's rows without parsing it.
    pub columns: String,
    /// Its idempotency key, if it has one.
    pub idempotency_key: Option<String>,
    /// [`crate::sql::print_event_search`] of the event, copied into the chunk's search rows after the
    /// event's `seq`.
    pub search: String,
    /// [`crate::sql::print_event_targets`] of the event (empty without targets), copied into the
    /// chunk's target rows after the event's `seq`.
    pub targets: String,
    /// Its canonical JSON, chain members left out.
    pub unsealed: Unsealed,
    /// True when its `context.ip` (and geo) is the sending browser's, filled in by the server because
    /// the event named no address: a retry from another address is still the same event.
    pub ip_from_client: bool,
}

/// The last sealed event of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its `seq` (0 before the first event).
    pub seq: u64,
    /// Its hash ([`GENESIS`] before the first event).
    pub hash: String,
}

impl Head {
    /// The head of an empty chain.
    pub fn genesis() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// What became of one pending event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealOutcome {
    /// The stored event's id: the new one, or for a duplicate the one stored the first time.
    pub id: String,
    /// Its `seq`.
    pub seq: u64,
    /// True when it was stored earlier under the same idempotency key.
    pub duplicate: bool,
    /// True when its idempotency key was first used for a different event: nothing was stored, and
    /// `id` and `seq` name that event.
    #[serde(default, skip_serializing_if = "is_false")]
    pub conflict: bool,
    /// True when nothing was stored because another event of its `atomic` request was a conflict.
    #[serde(default, skip_serializing_if = "is_false")]
    pub withdrawn: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// An already stored event, found by idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Its id.
    pub id: String,
    /// Its `seq`.
    pub seq: u64,
    /// Its canonical JSON as stored, to tell a retry from another event under the same key; `None`
    /// when it could not be read back, which counts as the same event.
    pub body: Option<String>,
}

/// One request's events in a sealing group (requests are sealed together, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// How many of the group's pending events are this request's.
    pub events: usize,
    /// Whether the request asked that all of its events be stored or none.
    pub atomic: bool,
}

/// Server-given members of an event's canonical JSON, left out when telling whether two events under
/// one key are the same: each attempt gets its own id and receipt time (and from them `flags`), and
/// geo and the parsed user agent are looked up, not sent. `seq` and the hashes are the chain's.
const SERVER_MEMBERS: &[&str] = &[
    "flags",
    "hash",
    "id",
    "prev_hash",
    "received_at",
    "seq",
    "tenant",
];

/// Whether two events' canonical JSON texts hold the same event as its sender made it (see
/// [`SERVER_MEMBERS`]). `skew_ms` counts only as "the sender gave `occurred_at`"; when it did not,
/// `occurred_at` is the receipt time and is left out too; with `ip_from_client`, so is `context.ip`
/// (the server took it from the connection). A text that is not JSON is never the same.
pub fn same_event(a: &str, b: &str, ip_from_client: bool) -> bool {
    let as_sent = |text: &str| -> Option<serde_json::Value> {
        let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
        let event = value.as_object_mut()?;
        for member in SERVER_MEMBERS {
            event.remove(*member);
        }
        let sent_time = event.remove("skew_ms").is_some();
        if !sent_time {
            event.remove("occurred_at");
        }
        if let Some(context) = event.get_mut("context").and_then(|c| c.as_object_mut()) {
            context.remove("geo");
            context.remove("ua");
            if ip_from_client {
                context.remove("ip");
            }
            if context.is_empty() {
                event.remove("context");
            }
        }
        Some(value)
    };
    matches!((as_sent(a), as_sent(b)), (Some(a), Some(b)) if a == b)
}

/// What sealing makes of one pending event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Stored now.
    New,
    /// Already stored (or stored by the pending event at that index): nothing to do.
    Duplicate(Earlier),
    /// Its key was first used for a different event: not stored.
    Conflict(Earlier),
    /// Not stored, with the rest of its atomic request.
    Withdrawn,
}

/// The event a repeated key was first used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Earlier {
    /// Stored before this group.
    Stored,
    /// The pending event at this index, stored by this group.
    Pending(usize),
}

/// Each pending event's fate, given the events stored earlier. `batches` are the requests the events
/// belong to, in order (none: one request, not atomic). A request is judged on the events before it
/// and its own, never on later ones, so one pass in order decides everything: an atomic request with
/// a conflict stores nothing, and its keys do not count as used for the requests after it.
fn fates(pending: &[Pending], stored: &HashMap<String, Stored>, batches: &[Batch]) -> Vec<Fate> {
    let whole = [Batch {
        events: pending.len(),
        atomic: false,
    }];
    let batches = if batches.is_empty() {
        &whole[..]
    } else {
        batches
    };
    // Each key's first use among the events that are stored.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut fates = Vec::with_capacity(pending.len());
    for batch in batches {
        let start = fates.len();
        let end = (start + batch.events).min(pending.len());
        let mut added = Vec::new();
        for i in start..end {
            let event = &pending[i];
            let Some(key) = event.idempotency_key.as_deref() else {
                fates.push(Fate::New);
                continue;
            };
            // The event the key was first used for: its text (`None`: stored, unreadable) and
            // whether either side's address came from its connection.
            let earlier = match (stored.get(key), first.get(key)) {
                (Some(s), _) => Some((Earlier::Stored, s.body.as_deref(), event.ip_from_client)),
                (None, Some(&j)) => {
                    let client = event.ip_from_client || pending[j].ip_from_client;
                    Some((
                        Earlier::Pending(j),
                        Some(pending[j].unsealed.text.as_str()),
                        client,
                    ))
                }
                (None, None) => None,
            };
            let fate = match earlier {
                Some((e, body, client)) => {
                    if body.is_none_or(|body| same_event(body, &event.unsealed.text, client)) {
                        Fate::Duplicate(e)
                    } else {
                        Fate::Conflict(e)
                    }
                }
                None => {
                    first.insert(key, i);
                    added.push(key);
                    Fate::New
                }
            };
            fates.push(fate);
        }
        let conflicted = fates[start..]
            .iter()
            .any(|f| matches!(f, Fate::Conflict(_)));
        if batch.atomic && conflicted {
            for key in added {
                first.remove(key);
            }
            for fate in &mut fates[start..] {
                if !matches!(fate, Fate::Conflict(_)) {
                    *fate = Fate::Withdrawn;
                }
            }
        }
    }
    // Events beyond the batches (there are none when they add up) are stored.
    fates.resize(pending.len(), Fate::New);
    fates
}

/// The bound values of one chunk's statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// For [`crate::sql::INSERT_EVENTS`]: one array per event, its columns, `seq` and stored body.
    pub rows: String,
    /// For the full-text index ([`crate::sql::plan_statements`]): `[seq, text]` for each event.
    pub search: String,
    /// For resource histories: `[seq, occurred_at, [[type, id], ...]]` for each event with targets;
    /// `[]` when none has any.
    pub targets: String,
    /// The `seq` of its first and last event (they are consecutive): the rollups count the rows
    /// just inserted in that range rather than being sent the index again.
    pub seqs: (u64, u64),
}

/// Everything to write in one transaction, and the answer once it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Insert statements, in chain order.
    pub chunks: Vec<Chunk>,
    /// The head after this plan; equal to the old head when nothing new is stored.
    pub head: Head,
    /// One outcome per pending event, in order.
    pub outcomes: Vec<SealOutcome>,
}

/// Seals `pending` after `head`, compressing each body with `encoder`. `stored` maps idempotency keys
/// to events stored earlier; a key seen twice is stored once when it names the same event, and is a
/// conflict otherwise (see [`same_event`]). Bodies go into chunks of at most `max_chunk_bytes` (one
/// larger body stands alone) so every bound value stays under D1's limit.
pub fn plan(
    head: &Head,
    pending: &[Pending],
    stored: &HashMap<String, Stored>,
    encoder: &Encoder,
    max_chunk_bytes: usize,
) -> Plan {
    plan_batches(head, pending, stored, &[], encoder, max_chunk_bytes)
}

/// [`plan`] for the events of several requests, `batches`, in order: an atomic request with an event
/// whose key was first used for a different event stores none of its events.
pub fn plan_batches(
    head: &Head,
    pending: &[Pending],
    stored: &HashMap<String, Stored>,
    batches: &[Batch],
    encoder: &Encoder,
    max_chunk_bytes: usize,
) -> Plan {
    let mut head = head.clone();
    let mut outcomes: Vec<SealOutcome> = Vec::with_capacity(pending.len());
    let mut chunks = Vec::new();
    let mut rows = String::from("[");
    let mut search = String::from("[");
    let mut targets = String::from("[");
    let mut first_seq = head.seq + 1;
    for (event, fate) in pending.iter().zip(fates(pending, stored, batches)) {
        // The id and seq of the event a repeated key was first used for.
        let earlier = |earlier: Earlier| {
            let (id, seq) = match earlier {
                Earlier::Stored => event
                    .idempotency_key
                    .as_deref()
                    .and_then(|key| stored.get(key))
                    .map(|s| (s.id.clone(), s.seq)),
                Earlier::Pending(j) => outcomes.get(j).map(|o| (o.id.clone(), o.seq)),
            }
            .unwrap_or_default();
            SealOutcome {
                id,
                seq,
                ..SealOutcome::default()
            }
        };
        let not_stored = match fate {
            Fate::New => None,
            Fate::Duplicate(e) => Some(SealOutcome {
                duplicate: true,
                ..earlier(e)
            }),
            Fate::Conflict(e) => Some(SealOutcome {
                conflict: true,
                ..earlier(e)
            }),
            Fate::Withdrawn => Some(SealOutcome {
                withdrawn: true,
                ..SealOutcome::default()
            }),
        };
        if let Some(outcome) = not_stored {
            outcomes.push(outcome);
            continue;
        }
        let seq = head.seq + 1;
        let hash = link_hash(&event.unsealed, seq, &head.hash);
        // Stored without its two hashes (they are the row's `hash` and the previous row's), with
        // `seq` spliced in where it belongs.
        let u = &event.unsealed;
        let text = [&u.text[..u.seq_at], &seq_member(seq), &u.text[u.seq_at..]].concat();
        let body = encoder.encode_hex(&text, u.hash_at, u.prev_hash_at);
        let columns = &event.columns;
        // Every array of a chunk stays under the limit: the search text of code-heavy events can
        // outgrow their compressed rows.
        let grown = |array: &str, adds: usize| array.len() + adds + 96 > max_chunk_bytes;
        if rows.len() > 1
            && (grown(&rows, columns.len() + body.len())
                || grown(&search, event.search.len())
                || grown(&targets, event.targets.len()))
        {
            chunks.push(finish_chunk(
                [&mut rows, &mut search, &mut targets],
                (first_seq, head.seq),
            ));
            first_seq = seq;
        }
        let seq_text = seq.to_string();
        // `columns` is a JSON array: reopen it to append `seq`, the hash and the body as hex.
        push_entry(
            &mut rows,
            &[
                columns.strip_suffix(']').unwrap_or(columns),
                ",",
                &seq_text,
                ",\"",
                &hash,
                "\",\"",
                &body,
                "\"]",
            ],
        );
        push_entry(&mut search, &["[", &seq_text, ",", &event.search, "]"]);
        // `targets` is a JSON array too: put the `seq` first.
        if let Some(values) = event.targets.strip_prefix('[') {
            push_entry(&mut targets, &["[", &seq_text, ",", values]);
        }
        outcomes.push(SealOutcome {
            id: event.id.clone(),
            seq,
            ..SealOutcome::default()
        });
        head = Head { seq, hash };
    }
    if rows.len() > 1 {
        chunks.push(finish_chunk(
            [&mut rows, &mut search, &mut targets],
            (first_seq, head.seq),
        ));
    }
    Plan {
        chunks,
        head,
        outcomes,
    }
}

/// Appends one entry, written as `pieces`, to a JSON array being built.
fn push_entry(array: &mut String, pieces: &[&str]) {
    if array.len() > 1 {
        array.push(',');
    }
    for piece in pieces {
        array.push_str(piece);
    }
}

/// Closes the chunk's three JSON arrays (rows, search, targets) and starts new ones.
fn finish_chunk(arrays: [&mut String; 3], seqs: (u64, u64)) -> Chunk {
    let [rows, search, targets] = arrays.map(|array| {
        array.push(']');
        std::mem::replace(array, String::from("["))
    });
    Chunk {
        rows,
        search,
        targets,
        seqs,
    }
}

/// The header of a seal request: everything but the texts (each event's canonical JSON, columns,
/// search text and targets), which follow it. Borrowed when encoding, so nothing is copied to build it.
#[derive(Serialize, Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    tenant: Cow<'a, str>,
    /// Whether the request asked for all of its events or none.
    #[serde(default)]
    atomic: bool,
    #[serde(borrow)]
    events: Vec<PendingHeader<'a>>,
}

#[derive(Serialize, Deserialize)]
struct PendingHeader<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    key: Option<Cow<'a, str>>,
    hash_at: usize,
    prev_hash_at: usize,
    seq_at: usize,
    #[serde(default, skip_serializing_if = "is_false")]
    ip_from_client: bool,
    /// Bytes of the canonical JSON, the columns, the search text and the targets, in that order in
    /// the texts.
    len: usize,
    columns_len: usize,
    search_len: usize,
    targets_len: usize,
}

/// Encodes a seal request for the sequencer: a JSON header line, then each event's canonical JSON,
/// columns, search text and targets back to back, so the texts are neither escaped nor parsed on the way (as
/// strings inside the header they were escaped, then unescaped into copies).
pub fn encode_request(tenant: &str, atomic: bool, pending: &[Pending]) -> Vec<u8> {
    let header = Header {
        tenant: Cow::Borrowed(tenant),
        atomic,
        events: pending
            .iter()
            .map(|p| PendingHeader {
                id: Cow::Borrowed(&p.id),
                key: p.idempotency_key.as_deref().map(Cow::Borrowed),
                hash_at: p.unsealed.hash_at,
                prev_hash_at: p.unsealed.prev_hash_at,
                seq_at: p.unsealed.seq_at,
                ip_from_client: p.ip_from_client,
                len: p.unsealed.text.len(),
                columns_len: p.columns.len(),
                search_len: p.search.len(),
                targets_len: p.targets.len(),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    for p in pending {
        for text in [&p.unsealed.text, &p.columns, &p.search, &p.targets] {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

/// What [`decode_request`] read: the tenant, whether the request is atomic, and its events.
pub type SealRequest = (String, bool, Vec<Pending>);

/// Decodes what [`encode_request`] wrote.
pub fn decode_request(bytes: &[u8]) -> Result<SealRequest, String> {
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("no header line")?;
    let header: Header =
        serde_json::from_slice(&bytes[..split]).map_err(|e| format!("bad header: {e}"))?;
    let texts = std::str::from_utf8(&bytes[split + 1..]).map_err(|e| e.to_string())?;
    let mut at = 0;
    let mut next = |len: usize| {
        let text = texts
            .get(at..at + len)
            .ok_or("the texts are shorter than the header says");
        at += len;
        text
    };
    let mut pending = Vec::with_capacity(header.events.len());
    for h in header.events {
        let (text, columns) = (next(h.len)?, next(h.columns_len)?);
        let (search, targets) = (next(h.search_len)?, next(h.targets_len)?);
        if h.hash_at > h.prev_hash_at || h.prev_hash_at > h.seq_at || h.seq_at > text.len() {
            return Err("chain member offsets out of order".into());
        }
        pending.push(Pending {
            id: h.id.into_owned(),
            columns: columns.to_string(),
            search: search.to_string(),
            targets: targets.to_string(),
            idempotency_key: h.key.map(Cow::into_owned),
            unsealed: Unsealed {
                text: text.to_string(),
                hash_at: h.hash_at,
                prev_hash_at: h.prev_hash_at,
                seq_at: h.seq_at,
            },
            ip_from_client: h.ip_from_client,
        });
    }
    if at != texts.len() {
        return Err("the texts are longer than the header says".into());
    }
    Ok((header.tenant.into_owned(), header.atomic, pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_shared::chain::recompute;
    use serde_json::{json, Value};

    use crate::stored_body::decode;

    fn plan_of(
        head: &Head,
        pending: &[Pending],
        stored: &HashMap<String, Stored>,
        max_chunk_bytes: usize,
    ) -> Plan {
        plan(head, pending, stored, &Encoder::new(None), max_chunk_bytes)
    }

    /// How many entries one of the chunks' arrays holds over all the chunks of `plan`.
    fn entries(plan: &Plan, array: fn(&Chunk) -> &String) -> usize {
        plan.chunks
            .iter()
            .map(|c| serde_json::from_str::<Vec<Value>>(array(c)).unwrap().len())
            .sum()
    }

    /// One event stored earlier, `e0`, under the idempotency key `key`: the same event as
    /// [`pending`] makes, but for its id.
    fn stored_as_e0(key: &str, seq: u64) -> HashMap<String, Stored> {
        HashMap::from([(
            key.to_string(),
            Stored {
                id: "e0".into(),
                seq,
                body: Some(pending("e0", Some(key)).unsealed.text),
            },
        )])
    }

    /// A chain head at `seq` whose hash is `byte` repeated.
    fn head_at(seq: u64, byte: &str) -> Head {
        Head {
            seq,
            hash: byte.repeat(32),
        }
    }

    /// A prepared event; one with an idempotency key also has a target.
    fn pending(id: &str, key: Option<&str>) -> Pending {
        pending_doing(id, key, "a.b")
    }

    /// [`pending`] with its own action.
    fn pending_doing(id: &str, key: Option<&str>, action: &str) -> Pending {
        let text = format!(
            r#"{{"action":"{action}","id":"{id}","received_at":"x","severity":"info","tenant":"t"}}"#
        );
        let hash_at = text.find("\"id\"").unwrap();
        let prev_hash_at = text.find("\"received_at\"").unwrap();
        let seq_at = text.find("\"severity\"").unwrap();
        Pending {
            id: id.to_string(),
            columns: json!([
                id, 1, 2, "a.b", "other", "success", "info", "user", "u", null, null, null, null,
                key
            ])
            .to_string(),
            idempotency_key: key.map(str::to_string),
            search: json!(id).to_string(),
            targets: if key.is_some() {
                json!([1, [["app", id]]]).to_string()
            } else {
                String::new()
            },
            unsealed: Unsealed {
                text,
                hash_at,
                prev_hash_at,
                seq_at,
            },
            ip_from_client: false,
        }
    }

    #[test]
    fn new_events_get_consecutive_seqs_and_link_to_each_other() {
        let batch = [
            pending("e1", None),
            pending("e2", None),
            pending("e3", None),
        ];
        let p = plan_of(&Head::genesis(), &batch, &HashMap::new(), 1 << 20);
        assert_eq!(
            p.outcomes.iter().map(|o| o.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(p.head.seq, 3);
        assert_eq!(p.chunks.len(), 1);
        let rows: Vec<Vec<Value>> = serde_json::from_str(&p.chunks[0].rows).unwrap();
        let mut prev = GENESIS.to_string();
        for row in &rows {
            // What SQL hands back for the row: its body, its hash, and the previous row's hash.
            let (hash, body) = (row[15].as_str().unwrap(), row[16].as_str().unwrap());
            assert_eq!(hash.len(), 64);
            let body = decode(format!("{body}.{hash}.{prev}"), &HashMap::new()).unwrap();
            let r = recompute(&body).unwrap();
            assert_eq!(r.claimed_hash.as_deref(), Some(hash));
            assert_eq!(r.prev_hash.as_deref(), Some(prev.as_str()));
            assert_eq!(r.claimed_hash, Some(r.actual_hash.clone()));
            assert_eq!(r.seq, row[14].as_u64());
            prev = r.actual_hash;
        }
        assert_eq!(prev, p.head.hash);
    }

    #[test]
    fn duplicates_store_nothing_and_answer_the_first_id() {
        let stored = stored_as_e0("k-old", 9);
        let head = head_at(9, "ab");
        let batch = [
            pending("e1", Some("k-old")),
            pending("e2", Some("k-new")),
            pending("e3", Some("k-new")),
            pending("e4", None),
        ];
        let p = plan_of(&head, &batch, &stored, 1 << 20);
        let got: Vec<_> = p
            .outcomes
            .iter()
            .map(|o| (o.id.as_str(), o.seq, o.duplicate))
            .collect();
        assert_eq!(
            got,
            [
                ("e0", 9, true),
                ("e2", 10, false),
                ("e2", 10, true),
                ("e4", 11, false)
            ]
        );
        let rows: Vec<Value> = serde_json::from_str(&p.chunks[0].rows).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(p.head.seq, 11);
    }

    /// Each outcome as `(id, seq, what)`, `what` one of `new`, `duplicate`, `conflict`, `withdrawn`.
    fn fates_of(p: &Plan) -> Vec<(&str, u64, &'static str)> {
        p.outcomes
            .iter()
            .map(|o| {
                let what = match (o.duplicate, o.conflict, o.withdrawn) {
                    (true, _, _) => "duplicate",
                    (_, true, _) => "conflict",
                    (_, _, true) => "withdrawn",
                    _ => "new",
                };
                (o.id.as_str(), o.seq, what)
            })
            .collect()
    }

    #[test]
    fn a_key_reused_for_a_different_event_is_a_conflict_and_stores_nothing() {
        let stored = stored_as_e0("k-old", 9);
        let head = head_at(9, "ab");
        let batch = [
            pending_doing("e1", Some("k-old"), "a.delete"),
            pending("e2", Some("k-new")),
            pending_doing("e3", Some("k-new"), "a.delete"),
            pending("e4", Some("k-new")),
        ];
        let p = plan_of(&head, &batch, &stored, 1 << 20);
        assert_eq!(
            fates_of(&p),
            [
                ("e0", 9, "conflict"),
                ("e2", 10, "new"),
                ("e2", 10, "conflict"),
                ("e2", 10, "duplicate"),
            ]
        );
        assert_eq!(entries(&p, |c| &c.rows), 1);
        assert_eq!(p.head.seq, 10);
        // A stored body that could not be read back is taken for the same event, as before.
        let mut unreadable = stored_as_e0("k-old", 9);
        unreadable.get_mut("k-old").unwrap().body = None;
        let p = plan_of(&head, &batch[..1], &unreadable, 1 << 20);
        assert_eq!(fates_of(&p), [("e0", 9, "duplicate")]);
    }

    #[test]
    fn an_atomic_request_with_a_conflict_stores_none_of_its_events() {
        let stored = stored_as_e0("k-old", 9);
        let head = head_at(9, "ab");
        let batch = [
            // Atomic: a new event, then a conflict.
            pending("e1", Some("k-a")),
            pending_doing("e2", Some("k-old"), "a.delete"),
            // Not atomic: its key `k-a` is free again, since the first request stored nothing.
            pending_doing("e3", Some("k-a"), "a.delete"),
            pending("e4", None),
            // Atomic, without a conflict: stored.
            pending("e5", Some("k-old")),
            pending("e6", None),
        ];
        let batches = [
            Batch {
                events: 2,
                atomic: true,
            },
            Batch {
                events: 2,
                atomic: false,
            },
            Batch {
                events: 2,
                atomic: true,
            },
        ];
        let p = plan_batches(
            &head,
            &batch,
            &stored,
            &batches,
            &Encoder::new(None),
            1 << 20,
        );
        assert_eq!(
            fates_of(&p),
            [
                ("", 0, "withdrawn"),
                ("e0", 9, "conflict"),
                ("e3", 10, "new"),
                ("e4", 11, "new"),
                ("e0", 9, "duplicate"),
                ("e6", 12, "new"),
            ]
        );
        assert_eq!(entries(&p, |c| &c.rows), 3);
    }

    #[test]
    fn the_same_event_is_told_from_another_by_what_its_sender_made() {
        let sent = r#"{"action":"a.b","context":{"ip":"192.0.2.1","user_agent":"x"},"id":"e1","occurred_at":"2026-01-01T00:00:00.000Z","received_at":"2026-01-01T00:00:01.000Z","severity":"info","skew_ms":1000,"tenant":"t"}"#;
        // Another attempt: its own id, receipt, skew, flags, chain members and looked-up geo.
        let retry = r#"{"action":"a.b","context":{"geo":{"country":"NL"},"ip":"192.0.2.1","ua":{"browser":"x"},"user_agent":"x"},"flags":["long_ago"],"hash":"ab","id":"e2","occurred_at":"2026-01-01T00:00:00.000Z","prev_hash":"cd","received_at":"2026-03-01T00:00:00.000Z","seq":4,"severity":"info","skew_ms":5000000000,"tenant":"t"}"#;
        assert!(same_event(sent, retry, false));
        assert!(!same_event(sent, &sent.replace("a.b", "a.c"), false));
        let moved = sent.replace("192.0.2.1", "192.0.2.2");
        assert!(!same_event(sent, &moved, false));
        // An address the server took from the browser's connection is not the sender's: another one
        // on a retry is still the same event.
        assert!(same_event(sent, &moved, true));
        let later = sent.replace("00:00:00.000Z", "00:00:00.001Z");
        assert!(!same_event(sent, &later, false));
        // Without `occurred_at` sent (no skew), each attempt's is its receipt time.
        let unsent = |at: &str| {
            format!(
                r#"{{"action":"a.b","id":"e","occurred_at":"{at}","received_at":"{at}","severity":"info","tenant":"t"}}"#
            )
        };
        let (day1, day2) = (
            unsent("2026-01-01T00:00:00.000Z"),
            unsent("2026-01-02T00:00:00.000Z"),
        );
        assert!(same_event(&day1, &day2, false));
        // One sent it and the other did not: not the same.
        assert!(!same_event(sent, &day1, false));
        assert!(!same_event(sent, "not json", false));
    }

    #[test]
    fn a_request_of_only_duplicates_writes_nothing() {
        let stored = stored_as_e0("k", 1);
        let head = head_at(1, "cd");
        let p = plan_of(&head, &[pending("e1", Some("k"))], &stored, 1 << 20);
        assert!(p.chunks.is_empty());
        assert_eq!(p.head, head);
    }

    #[test]
    fn chunks_respect_the_byte_limit() {
        let batch: Vec<_> = (0..10).map(|i| pending(&format!("e{i}"), None)).collect();
        let p = plan_of(&Head::genesis(), &batch, &HashMap::new(), 600);
        assert!(p.chunks.len() > 1);
        assert!(p.chunks.iter().all(|c| c.rows.len() <= 600));
        assert_eq!(entries(&p, |c| &c.rows), 10);
        // Each chunk names the seqs of its own rows, and together they cover 1 to 10 once.
        let mut next = 1;
        for chunk in &p.chunks {
            // A row ends with its seq, hash and body.
            let rows: Vec<Vec<Value>> = serde_json::from_str(&chunk.rows).unwrap();
            let seqs: Vec<u64> = rows
                .iter()
                .map(|r| r[r.len() - 3].as_u64().unwrap())
                .collect();
            assert_eq!(chunk.seqs, (next, *seqs.last().unwrap()), "{seqs:?}");
            assert_eq!(seqs, (next..=chunk.seqs.1).collect::<Vec<_>>());
            next = chunk.seqs.1 + 1;
        }
        assert_eq!(next, 11);
    }

    #[test]
    fn chunks_keep_long_search_texts_under_the_byte_limit_too() {
        // Search texts of 600 bytes with rows of about 300: the rows alone would allow 6 a chunk.
        let batch: Vec<_> = (0..10)
            .map(|i| Pending {
                search: json!("word ".repeat(120)).to_string(),
                ..pending(&format!("e{i}"), None)
            })
            .collect();
        let p = plan_of(&Head::genesis(), &batch, &HashMap::new(), 2000);
        assert!(
            p.chunks.iter().all(|c| c.search.len() <= 2000),
            "{:?}",
            p.chunks
        );
        assert_eq!(entries(&p, |c| &c.search), 10);
    }

    #[test]
    fn search_rows_hold_every_event_and_target_rows_only_those_with_targets() {
        // The test events with a key have one target (see `pending`).
        let batch = [
            pending("a", Some("k1")),
            pending("b", None),
            pending("c", Some("k2")),
        ];
        let p = plan_of(&Head::genesis(), &batch, &HashMap::new(), 1 << 20);
        let chunk = &p.chunks[0];
        let search: Value = serde_json::from_str(&chunk.search).unwrap();
        assert_eq!(search, json!([[1, "a"], [2, "b"], [3, "c"]]));
        let targets: Value = serde_json::from_str(&chunk.targets).unwrap();
        assert_eq!(
            targets,
            json!([[1, 1, [["app", "a"]]], [3, 1, [["app", "c"]]]])
        );
        let statements = crate::sql::plan_statements("t", &p);
        assert!(statements
            .iter()
            .any(|(sql, _)| *sql == crate::sql::INSERT_TARGETS));

        let without = plan_of(
            &Head::genesis(),
            &[pending("b", None)],
            &HashMap::new(),
            1 << 20,
        );
        assert_eq!(without.chunks[0].targets, "[]");
        let statements = crate::sql::plan_statements("t", &without);
        assert!(statements
            .iter()
            .all(|(sql, _)| *sql != crate::sql::INSERT_TARGETS));
    }

    #[test]
    fn a_chunk_after_a_duplicate_starts_at_the_next_new_seq() {
        let stored = stored_as_e0("k", 1);
        let head = head_at(5, "cd");
        let batch = [
            pending("e1", Some("k")),
            pending("e2", None),
            pending("e3", None),
        ];
        let p = plan_of(&head, &batch, &stored, 1 << 20);
        assert_eq!(p.chunks.len(), 1);
        assert_eq!(p.chunks[0].seqs, (6, 7));
    }

    #[test]
    fn requests_round_trip_and_bad_ones_are_refused() {
        let from_browser = Pending {
            ip_from_client: true,
            ..pending("e1", Some("k"))
        };
        let batch = [from_browser, pending("é2", None)];
        let bytes = encode_request("acme", true, &batch);
        let (tenant, atomic, back) = decode_request(&bytes).unwrap();
        assert!(atomic);
        assert_eq!(tenant, "acme");
        assert_eq!(back, batch);
        assert!(decode_request(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_request(b"{}").is_err());
    }
}
