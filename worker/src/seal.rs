//! The sealing step, minus I/O: what the ingest handler hands the tenant's sequencer, and the plan the
//! sequencer stores. Sealing is the only part of ingestion that must run alone per tenant, so it does
//! as little as it can: skip what is already stored under the same idempotency key, give each new
//! event the next `seq`, splice in the chain members and hash (see [`evident_shared::chain`]),
//! compress the body ([`crate::stored_body`]), and lay the rows out for [`crate::sql::INSERT_EVENTS`].

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
    /// [`crate::sql::print_event_index`] of the event: what the query engine's tables derive from
    /// it, copied into the chunk's index rows after the event's `seq`.
    pub index: String,
    /// Its canonical JSON, chain members left out.
    pub unsealed: Unsealed,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealOutcome {
    /// The stored event's id: the new one, or for a duplicate the one stored the first time.
    pub id: String,
    /// Its `seq`.
    pub seq: u64,
    /// True when it was stored earlier under the same idempotency key.
    pub duplicate: bool,
}

/// An already stored event, found by idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Its id.
    pub id: String,
    /// Its `seq`.
    pub seq: u64,
}

/// The bound values of one chunk's statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// For [`crate::sql::INSERT_EVENTS`]: one array per event, its columns, `seq` and stored body.
    pub rows: String,
    /// For the search text and targets ([`crate::sql::plan_statements`]): one array per event, its
    /// `seq` and then its index values. Small, so those statements do not parse bodies.
    pub index: String,
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
/// to events stored earlier; a key seen twice in one request is stored once. Bodies go into chunks of
/// at most `max_chunk_bytes` (one larger body stands alone) so every bound value stays under D1's
/// limit.
pub fn plan(
    head: &Head,
    pending: &[Pending],
    stored: &HashMap<String, Stored>,
    encoder: &mut Encoder,
    max_chunk_bytes: usize,
) -> Plan {
    let mut head = head.clone();
    let mut seen: HashMap<&str, Stored> = HashMap::new();
    let mut outcomes = Vec::with_capacity(pending.len());
    let mut chunks = Vec::new();
    let mut rows = String::from("[");
    let mut index = String::from("[");
    let mut first_seq = head.seq + 1;
    for event in pending {
        let key = event.idempotency_key.as_deref();
        if let Some(earlier) = key.and_then(|k| stored.get(k).or_else(|| seen.get(k))) {
            outcomes.push(SealOutcome {
                id: earlier.id.clone(),
                seq: earlier.seq,
                duplicate: true,
            });
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
        if rows.len() > 1 && rows.len() + columns.len() + body.len() + 96 > max_chunk_bytes {
            chunks.push(finish_chunk(&mut rows, &mut index, (first_seq, head.seq)));
        }
        if rows.len() == 1 {
            first_seq = seq;
        }
        // `columns` is a JSON array: reopen it to append `seq`, the hash and the body as hex.
        if rows.len() > 1 {
            rows.push(',');
        }
        rows.push_str(columns.strip_suffix(']').unwrap_or(columns));
        rows.push(',');
        rows.push_str(&seq.to_string());
        rows.push(',');
        rows.push('"');
        rows.push_str(&hash);
        rows.push_str("\",\"");
        rows.push_str(&body);
        rows.push_str("\"]");
        // `index` is a JSON array too: put the `seq` first.
        if index.len() > 1 {
            index.push(',');
        }
        index.push('[');
        index.push_str(&seq.to_string());
        let values = event.index.strip_prefix('[').unwrap_or(&event.index);
        if values != "]" {
            index.push(',');
        }
        index.push_str(values);
        let id = event.id.clone();
        if let Some(k) = key {
            seen.insert(
                k,
                Stored {
                    id: id.clone(),
                    seq,
                },
            );
        }
        outcomes.push(SealOutcome {
            id,
            seq,
            duplicate: false,
        });
        head = Head { seq, hash };
    }
    if rows.len() > 1 {
        chunks.push(finish_chunk(&mut rows, &mut index, (first_seq, head.seq)));
    }
    Plan {
        chunks,
        head,
        outcomes,
    }
}

fn finish_chunk(rows: &mut String, index: &mut String, seqs: (u64, u64)) -> Chunk {
    rows.push(']');
    index.push(']');
    Chunk {
        rows: std::mem::replace(rows, String::from("[")),
        index: std::mem::replace(index, String::from("[")),
        seqs,
    }
}

/// The header of a seal request: everything but the texts (each event's canonical JSON, columns and
/// index), which follow it. Borrowed when encoding, so nothing is copied to build it.
#[derive(Serialize, Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    tenant: Cow<'a, str>,
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
    /// Bytes of the canonical JSON, the columns and the index, in that order in the texts.
    len: usize,
    columns_len: usize,
    index_len: usize,
}

/// Encodes a seal request for the sequencer: a JSON header line, then each event's canonical JSON,
/// columns and index back to back, so the texts are neither escaped nor parsed on the way (as
/// strings inside the header they were escaped, then unescaped into copies).
pub fn encode_request(tenant: &str, pending: &[Pending]) -> Vec<u8> {
    let header = Header {
        tenant: Cow::Borrowed(tenant),
        events: pending
            .iter()
            .map(|p| PendingHeader {
                id: Cow::Borrowed(&p.id),
                key: p.idempotency_key.as_deref().map(Cow::Borrowed),
                hash_at: p.unsealed.hash_at,
                prev_hash_at: p.unsealed.prev_hash_at,
                seq_at: p.unsealed.seq_at,
                len: p.unsealed.text.len(),
                columns_len: p.columns.len(),
                index_len: p.index.len(),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    for p in pending {
        for text in [&p.unsealed.text, &p.columns, &p.index] {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

/// Decodes what [`encode_request`] wrote.
pub fn decode_request(bytes: &[u8]) -> Result<(String, Vec<Pending>), String> {
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
        let (text, columns, index) = (next(h.len)?, next(h.columns_len)?, next(h.index_len)?);
        if h.hash_at > h.prev_hash_at || h.prev_hash_at > h.seq_at || h.seq_at > text.len() {
            return Err("chain member offsets out of order".into());
        }
        pending.push(Pending {
            id: h.id.into_owned(),
            columns: columns.to_string(),
            index: index.to_string(),
            idempotency_key: h.key.map(Cow::into_owned),
            unsealed: Unsealed {
                text: text.to_string(),
                hash_at: h.hash_at,
                prev_hash_at: h.prev_hash_at,
                seq_at: h.seq_at,
            },
        });
    }
    if at != texts.len() {
        return Err("the texts are longer than the header says".into());
    }
    Ok((header.tenant.into_owned(), pending))
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
        plan(
            head,
            pending,
            stored,
            &mut Encoder::new(None),
            max_chunk_bytes,
        )
    }

    fn pending(id: &str, key: Option<&str>) -> Pending {
        let text = format!(
            r#"{{"action":"a.b","id":"{id}","received_at":"x","severity":"info","tenant":"t"}}"#
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
            index: json!([id, 1]).to_string(),
            unsealed: Unsealed {
                text,
                hash_at,
                prev_hash_at,
                seq_at,
            },
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
        let stored = HashMap::from([(
            "k-old".to_string(),
            Stored {
                id: "e0".into(),
                seq: 9,
            },
        )]);
        let head = Head {
            seq: 9,
            hash: "ab".repeat(32),
        };
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

    #[test]
    fn a_request_of_only_duplicates_writes_nothing() {
        let stored = HashMap::from([(
            "k".to_string(),
            Stored {
                id: "e0".into(),
                seq: 1,
            },
        )]);
        let head = Head {
            seq: 1,
            hash: "cd".repeat(32),
        };
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
        let rows: usize = p
            .chunks
            .iter()
            .map(|c| serde_json::from_str::<Vec<Value>>(&c.rows).unwrap().len())
            .sum();
        assert_eq!(rows, 10);
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
    fn a_chunk_after_a_duplicate_starts_at_the_next_new_seq() {
        let stored = HashMap::from([(
            "k".to_string(),
            Stored {
                id: "e0".into(),
                seq: 1,
            },
        )]);
        let head = Head {
            seq: 5,
            hash: "cd".repeat(32),
        };
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
        let batch = [pending("e1", Some("k")), pending("é2", None)];
        let bytes = encode_request("acme", &batch);
        let (tenant, back) = decode_request(&bytes).unwrap();
        assert_eq!(tenant, "acme");
        assert_eq!(back, batch);
        assert!(decode_request(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_request(b"{}").is_err());
    }
}
