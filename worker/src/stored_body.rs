//! How a sealed event body is kept in `events.body`, minus I/O. The canonical JSON is what is hashed
//! and served, but storing it as text made it two thirds of every event's bytes. A body is stored as
//! a BLOB: one format byte, the id of the tenant's dictionary it was compressed with (LEB128, 0 for
//! none), where its `hash` and `prev_hash` members go (two LEB128 byte offsets), then raw DEFLATE
//! (RFC 1951) of the JSON without those two members, with that dictionary preset. Audit events of one
//! tenant repeat the same keys, actors, apps and user agents, so a dictionary made of the tenant's
//! own earlier events takes a body from about 1.5 KB to about 250 bytes; deflate alone gets to 900.
//!
//! The two hashes are left out because 128 hex digits do not compress: the event's hash is its row's
//! `hash` column (32 bytes), and its `prev_hash` is the previous row's. SQL hands both over with the
//! body ([`crate::sql::BODY`]), and [`decode`] splices them back, giving the sealed text byte for
//! byte (verify recomputes every hash from it, so a wrong splice could not pass unnoticed).
//!
//! A tenant's dictionary is trained once, from events spread over its chain after the first
//! [`TRAIN_AFTER`], by the tenant's sequencer (its single writer), and never changes: rows name the
//! dictionary they need, so a later dictionary would only add an id. Bodies stored as JSON text by
//! earlier versions are still read as they are.
//!
//! SQL moves bodies as hex (`unhex(?)` on the way in; on the way out `hex(body).hex(hash).hex(prev)`,
//! see [`crate::sql::BODY`]): D1 binds and returns text cheaply, while BLOBs cross into JavaScript as
//! arrays of numbers.

use std::cell::RefCell;
use std::collections::HashMap;

use evident_shared::chain;
use flate2::{Decompress, FlushDecompress, Status};
use miniz_oxide::deflate::core::{
    compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};

/// Format byte of a body compressed with raw DEFLATE.
const DEFLATE: u8 = 1;

/// DEFLATE's default level. Measured on demo bodies: level 9 saved 4 bytes a body and took two
/// thirds longer; level 3 was a quarter faster and 10 bytes larger.
const LEVEL: i32 = 6;

/// A dictionary is at most DEFLATE's window: bytes further back cannot be referred to.
pub const MAX_DICTIONARY_BYTES: usize = 32 * 1024;

/// A tenant's dictionary is trained once its chain holds this many events.
pub const TRAIN_AFTER: u64 = 1_000;

/// How many events, evenly spread over the chain, a dictionary is trained from (at most; the
/// newest of them are kept when they exceed [`MAX_DICTIONARY_BYTES`]).
pub const TRAINING_SAMPLES: u64 = 48;

/// Largest body a stored row may inflate to: events are at most 64 KiB before enrichment, so this
/// bounds only a damaged or forged row.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A tenant's dictionaries: their bytes by id.
pub type Dictionaries = HashMap<u32, Vec<u8>>;

/// A tenant's preset dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    /// Its id within the tenant (from 1).
    pub id: u32,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Dictionary {
    /// The newest of a tenant's dictionaries (the highest id): the one new bodies are compressed with.
    pub fn newest(dictionaries: Dictionaries) -> Option<Dictionary> {
        dictionaries
            .into_iter()
            .max_by_key(|(id, _)| *id)
            .map(|(id, bytes)| Dictionary { id, bytes })
    }
}

/// A tenant's dictionaries from `(id, bytes as hex)` rows, as [`crate::sql::SELECT_DICTIONARIES`]
/// reads them.
pub fn dictionaries_from_hex(
    rows: impl IntoIterator<Item = (u32, String)>,
) -> Result<Dictionaries, DecodeError> {
    rows.into_iter()
        .map(|(id, hex)| Ok((id, unhex(&hex)?)))
        .collect()
}

/// Compresses bodies for storage with one dictionary (or none).
///
/// A preset dictionary is what came before a body in the stream, so the encoder compresses the
/// dictionary once (flushed to a byte boundary, output dropped) and compresses each body with a copy
/// of that compressor: its window and match tables already hold the dictionary. Presetting the
/// dictionary into a fresh compressor instead hashed all 32 KiB of it for every body, which was
/// two thirds of the time a body took. What a copy writes is a raw DEFLATE stream that inflates with
/// the same dictionary preset ([`decode`]).
pub struct Encoder {
    /// A compressor that has read the dictionary (or nothing).
    primed: CompressorOxide,
    /// Its id, written into every body.
    id: u32,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dictionary", &self.id)
            .finish()
    }
}

impl Encoder {
    /// An encoder that presets `dictionary`, or none.
    pub fn new(dictionary: Option<Dictionary>) -> Encoder {
        // Negative window bits: raw DEFLATE, no zlib header or checksum.
        let mut primed = CompressorOxide::new(create_comp_flags_from_zip_params(LEVEL, -15, 0));
        let id = dictionary.as_ref().map_or(0, |d| d.id);
        if let Some(dictionary) = dictionary {
            let (status, read) =
                compress_to_output(&mut primed, &dictionary.bytes, TDEFLFlush::Sync, |_| true);
            // A compressor that had not read all of it would refer to bytes the inflater lacks.
            assert!(
                status == TDEFLStatus::Okay && read == dictionary.bytes.len(),
                "a dictionary is read whole into memory ({status:?}, {read} bytes)"
            );
        }
        Encoder { primed, id }
    }

    /// True when it presets a dictionary.
    pub fn has_dictionary(&self) -> bool {
        self.id != 0
    }

    /// The stored form of a sealed body whose `hash` and `prev_hash` members were left out of `text`;
    /// they belong at byte offsets `hash_at` and `prev_hash_at` of it.
    pub fn encode(&self, text: &str, hash_at: usize, prev_hash_at: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() / 4 + 64);
        out.push(DEFLATE);
        push_leb128(&mut out, self.id);
        push_leb128(&mut out, offset(hash_at));
        push_leb128(&mut out, offset(prev_hash_at));
        let mut compressor = self.primed.clone();
        let (status, read) = compress_to_output(
            &mut compressor,
            text.as_bytes(),
            TDEFLFlush::Finish,
            |chunk| {
                out.extend_from_slice(chunk);
                true
            },
        );
        assert!(
            status == TDEFLStatus::Done && read == text.len(),
            "compressing into memory cannot fail ({status:?}, {read} bytes)"
        );
        out
    }

    /// [`Encoder::encode`] as hex, for `unhex` in SQL.
    pub fn encode_hex(&self, text: &str, hash_at: usize, prev_hash_at: usize) -> String {
        chain::hex(&self.encode(text, hash_at, prev_hash_at))
    }

    /// The stored form of a whole sealed body, and its hash: the two chain hashes are taken out of
    /// the top level. Fails when the body has no top-level `hash` and `prev_hash` strings.
    pub fn encode_sealed(&self, sealed: &str) -> Result<(Vec<u8>, Vec<u8>), DecodeError> {
        let split = split_hashes(sealed)?;
        Ok((
            self.encode(&split.text, split.hash_at, split.prev_hash_at),
            split.hash,
        ))
    }
}

/// A sealed body with its two chain hashes taken out of the top level, as it is compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The body without `"hash":"…",` and `"prev_hash":"…",`.
    pub text: String,
    /// Where the hash member was.
    pub hash_at: usize,
    /// Where the prev_hash member was (in `text`).
    pub prev_hash_at: usize,
    /// The hash, as bytes.
    pub hash: Vec<u8>,
}

/// Takes the two chain hashes out of a sealed body. Fails when the body has no top-level `hash`
/// and `prev_hash` strings.
pub fn split_hashes(sealed: &str) -> Result<Split, DecodeError> {
    let (hash_at, hash, after_hash) = take_member(sealed, "hash")?;
    let (prev_hash_at, _, text) = take_member(&after_hash, "prev_hash")?;
    Ok(Split {
        text,
        hash_at,
        prev_hash_at,
        hash: unhex(&hash)?,
    })
}

/// Offsets are below 64 KiB plus enrichment; anything larger is a bug, not a body.
fn offset(at: usize) -> u32 {
    u32::try_from(at).expect("a body offset fits 32 bits")
}

/// Finds the top-level member `"name":"value",` of a canonical JSON object: its offset, its value,
/// and the text without it.
fn take_member(json: &str, name: &str) -> Result<(usize, String, String), DecodeError> {
    let bytes = json.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let key = format!("\"{name}\":\"");
                if depth == 1 && json[i..].starts_with(&key) {
                    let start = i + key.len();
                    let end = json[start..].find('"').ok_or(DecodeError::Format)? + start;
                    let value = json[start..end].to_string();
                    let after = end + 1 + usize::from(json[end + 1..].starts_with(','));
                    return Ok((i, value, [&json[..i], &json[after..]].concat()));
                }
                in_string = true;
            }
            _ => {}
        }
    }
    Err(DecodeError::Format)
}

/// Why a stored body could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Neither JSON text nor hex, or its hashes are missing or not hex.
    #[error("the stored body is neither JSON nor hex")]
    NotHex,
    /// An unknown format byte or a truncated header.
    #[error("the stored body has an unknown format")]
    Format,
    /// The tenant has no dictionary with this id.
    #[error("the stored body needs dictionary {0}, which the tenant does not have")]
    MissingDictionary(u32),
    /// The DEFLATE stream is damaged, or inflates to more than a body can be.
    #[error("the stored body does not inflate: {0}")]
    Inflate(String),
}

/// The dictionary a stored body (as [`crate::sql::BODY`] reads it) needs, if any.
pub fn dictionary_id(column: &str) -> Option<u32> {
    if column.starts_with('{') {
        return None;
    }
    let body = column.split('.').next()?;
    let head = unhex(body.get(..12.min(body.len()))?).ok()?;
    match head.split_first() {
        Some((&DEFLATE, rest)) => read_leb128(rest).map(|(id, _)| id).filter(|id| *id > 0),
        _ => None,
    }
}

thread_local! {
    /// One inflater per thread (an isolate runs one), reset for every body.
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// A stored body (as [`crate::sql::BODY`] reads it: `body.hash.prev_hash` in hex, or JSON text from
/// an earlier version) as canonical JSON. `dictionaries` maps the tenant's dictionary ids to their
/// bytes. A `prev_hash` that cannot be found (the previous event was deleted) is spliced in empty.
pub fn decode(column: String, dictionaries: &Dictionaries) -> Result<String, DecodeError> {
    if column.starts_with('{') {
        return Ok(column);
    }
    let mut parts = column.split('.');
    let (Some(body), Some(hash), Some(prev_hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DecodeError::NotHex);
    };
    let (text, h, p) = inflate_stored(&unhex(body)?, dictionaries)?;
    let lower = |hex: &str| unhex(hex).map(|bytes| chain::hex(&bytes));
    Ok([
        &text[..h],
        &chain::hash_member(&lower(hash)?),
        &text[h..p],
        &chain::prev_hash_member(&lower(prev_hash)?),
        &text[p..],
    ]
    .concat())
}

/// A stored body's text (the sealed JSON without its two hashes), and where they go.
pub(crate) fn inflate_stored(
    bytes: &[u8],
    dictionaries: &Dictionaries,
) -> Result<(String, usize, usize), DecodeError> {
    let Some((&DEFLATE, rest)) = bytes.split_first() else {
        return Err(DecodeError::Format);
    };
    let (id, rest) = read_leb128(rest).ok_or(DecodeError::Format)?;
    let (hash_at, rest) = read_leb128(rest).ok_or(DecodeError::Format)?;
    let (prev_hash_at, stream) = read_leb128(rest).ok_or(DecodeError::Format)?;
    let dictionary = match id {
        0 => None,
        id => Some(
            dictionaries
                .get(&id)
                .ok_or(DecodeError::MissingDictionary(id))?,
        ),
    };
    let text = INFLATER.with(|inflater| inflate(&mut inflater.borrow_mut(), dictionary, stream))?;
    let (h, p) = (hash_at as usize, prev_hash_at as usize);
    if h > p || !text.is_char_boundary(p) || !text.is_char_boundary(h) {
        return Err(DecodeError::Format);
    }
    Ok((text, h, p))
}

fn inflate(
    inflater: &mut Decompress,
    dictionary: Option<&Vec<u8>>,
    mut stream: &[u8],
) -> Result<String, DecodeError> {
    let damaged = |e: &dyn std::fmt::Display| DecodeError::Inflate(e.to_string());
    inflater.reset(false);
    if let Some(dictionary) = dictionary {
        inflater
            .set_dictionary(dictionary)
            .map_err(|e| damaged(&e))?;
    }
    let mut out = Vec::with_capacity(stream.len() * 5);
    loop {
        if out.len() > MAX_BODY_BYTES {
            return Err(damaged(&"it is larger than any event"));
        }
        out.reserve(stream.len().max(1024));
        let before = inflater.total_in();
        let status = inflater
            .decompress_vec(stream, &mut out, FlushDecompress::Finish)
            .map_err(|e| damaged(&e))?;
        let used = (inflater.total_in() - before) as usize;
        stream = &stream[used..];
        match status {
            Status::StreamEnd if stream.is_empty() => break,
            Status::StreamEnd => return Err(damaged(&"bytes follow its end")),
            // No progress with input left, or no input left before the end: truncated.
            _ if used == 0 && (stream.is_empty() || out.len() < out.capacity()) => {
                return Err(damaged(&"it is truncated"))
            }
            _ => {}
        }
    }
    String::from_utf8(out).map_err(|e| damaged(&e))
}

/// The seqs to train a dictionary from when the chain's head is `head`: [`TRAINING_SAMPLES`] evenly
/// spread from the first event to the newest, in order.
pub fn training_seqs(head: u64) -> Vec<u64> {
    let n = TRAINING_SAMPLES.min(head);
    (1..=n).map(|i| (head * i).div_ceil(n)).collect()
}

/// A dictionary made of sample bodies, oldest first: their text back to back, cut from the front to
/// [`MAX_DICTIONARY_BYTES`] (DEFLATE codes nearer bytes in fewer bits, so the newest come last).
pub fn train(samples: &[String]) -> Vec<u8> {
    let mut bytes: Vec<u8> = samples.iter().flat_map(|s| s.bytes()).collect();
    if bytes.len() > MAX_DICTIONARY_BYTES {
        bytes.drain(..bytes.len() - MAX_DICTIONARY_BYTES);
    }
    bytes
}

/// Bytes from hex text, either case.
pub fn unhex(text: &str) -> Result<Vec<u8>, DecodeError> {
    fn nibble(c: u8) -> Result<u8, DecodeError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(DecodeError::NotHex),
        }
    }
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return Err(DecodeError::NotHex);
    }
    text.chunks_exact(2)
        .map(|pair| Ok(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

fn push_leb128(out: &mut Vec<u8>, mut n: u32) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut n: u32 = 0;
    for (i, b) in bytes.iter().enumerate().take(5) {
        n |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed body: canonical JSON with both chain hashes at the top level, and keys named `hash`
    /// inside a nested object and a string, which must stay where they are.
    fn sealed(i: usize) -> String {
        format!(
            r#"{{"action":"app.update","actor":{{"email":"user{i}@acme.example","id":"u{i}","type":"user"}},"changes":{{"after":{{"hash":"x\",\"hash\":\"y"}}}},"context":{{"user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}},"description":"line one\nline two ünïcödé ✓","hash":"{:064x}","id":"{i:08x}","outcome":"success","prev_hash":"{:064x}","received_at":"2026-01-01T00:00:00.000Z","seq":{i},"tenant":"t"}}"#,
            i * 7 + 1,
            i * 7
        )
    }

    /// What [`crate::sql::BODY`] selects for a stored row: body, hash and the previous hash in hex.
    fn column(stored: &[u8], hash: &[u8], prev_hash: &str) -> String {
        let hex = evident_shared::chain::hex;
        format!("{}.{}.{}", hex(stored), hex(hash), prev_hash).to_uppercase()
    }

    fn stored(encoder: &Encoder, i: usize) -> String {
        let (body, hash) = encoder.encode_sealed(&sealed(i)).unwrap();
        column(&body, &hash, &format!("{:064x}", i * 7))
    }

    fn dictionaries(d: &Dictionary) -> Dictionaries {
        HashMap::from([(d.id, d.bytes.clone())])
    }

    /// Hex from SQLite's `hex()` (upper case) and from our own (lower case); anything else is refused.
    #[test]
    fn unhex_reads_either_case_and_refuses_the_rest() {
        assert_eq!(unhex("00fF10").unwrap(), [0, 255, 16]);
        assert!(unhex("").unwrap().is_empty());
        for bad in ["0", "zz", "+f", "0g"] {
            assert!(unhex(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_with_and_without_a_dictionary() {
        let dictionary = Dictionary {
            id: 300,
            bytes: train(&(0..10).map(sealed).collect::<Vec<_>>()),
        };
        let plain = Encoder::new(None);
        let preset = Encoder::new(Some(dictionary.clone()));
        for i in 100..110 {
            let text = sealed(i);
            let without = stored(&plain, i);
            let with = stored(&preset, i);
            assert!(with.len() < without.len(), "the dictionary helps");
            assert!(without.len() / 2 < text.len());
            assert_eq!(dictionary_id(&without), None);
            assert_eq!(dictionary_id(&with), Some(300));
            assert_eq!(decode(without, &HashMap::new()).unwrap(), text);
            assert_eq!(decode(with, &dictionaries(&dictionary)).unwrap(), text);
        }
    }

    #[test]
    fn a_full_dictionary_is_reachable_to_its_first_byte_and_long_bodies_outgrow_it() {
        // 32 KiB of varied text that starts with a phrase found nowhere else in it: a body that
        // opens with that phrase can only copy it from the dictionary's first bytes, 32 KiB back.
        let phrase = "the only copy of this phrase opens the dictionary";
        let mut state = 7u64;
        let mut filler = String::new();
        while filler.len() < MAX_DICTIONARY_BYTES {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            filler.push_str(&format!("{{\"k{}\":{}}},", state >> 60, state >> 40));
        }
        let bytes = format!("{phrase}{filler}").as_bytes()[..MAX_DICTIONARY_BYTES].to_vec();
        let dictionary = Dictionary { id: 2, bytes };
        let encoder = Encoder::new(Some(dictionary.clone()));
        let opening = format!(
            r#"{{"description":"{phrase}","hash":"{:064x}","prev_hash":"{:064x}","seq":1}}"#,
            1, 0
        );
        let long = format!(
            r#"{{"description":"{}","hash":"{:064x}","prev_hash":"{:064x}","seq":1}}"#,
            filler.replace('"', "'").repeat(3),
            1,
            0
        );
        for text in [opening, long] {
            let (body, hash) = encoder.encode_sealed(&text).unwrap();
            let read = decode(
                column(&body, &hash, &format!("{:064x}", 0)),
                &dictionaries(&dictionary),
            );
            assert_eq!(read.unwrap(), text);
        }
    }

    #[test]
    fn the_hashes_are_not_stored_in_the_body() {
        let text = sealed(3);
        let (body, hash) = Encoder::new(None).encode_sealed(&text).unwrap();
        assert_eq!(hash, unhex(&format!("{:064x}", 22)).unwrap());
        let (inflated, _, _) = inflate_stored(&body, &HashMap::new()).unwrap();
        assert!(!inflated.contains(&format!("{:064x}", 22)), "{inflated}");
        assert!(!inflated.contains(&format!("{:064x}", 21)), "{inflated}");
        assert!(
            inflated.contains(r#""hash":"x\",\"hash\":\"y""#),
            "nested keys stay"
        );
        // A deleted previous event leaves its successor readable, with an empty prev_hash.
        let orphan = decode(column(&body, &hash, ""), &HashMap::new()).unwrap();
        assert!(orphan.contains(r#""prev_hash":"","#), "{orphan}");
        let without = Encoder::new(None).encode_sealed(r#"{"action":"a","id":"x"}"#);
        assert_eq!(without, Err(DecodeError::Format));
    }

    #[test]
    fn json_text_from_earlier_versions_is_read_as_it_is() {
        let text = sealed(1);
        assert_eq!(dictionary_id(&text), None);
        assert_eq!(decode(text.clone(), &HashMap::new()).unwrap(), text);
    }

    #[test]
    fn damage_is_an_error_never_a_panic() {
        let dictionary = Dictionary {
            id: 1,
            bytes: train(&[sealed(1)]),
        };
        let known = dictionaries(&dictionary);
        let (body, hash) = Encoder::new(Some(dictionary))
            .encode_sealed(&sealed(2))
            .unwrap();
        let prev = format!("{:064x}", 14);
        assert_eq!(
            decode(column(&body, &hash, &prev), &HashMap::new()),
            Err(DecodeError::MissingDictionary(1))
        );
        assert_eq!(decode("zz..".into(), &known), Err(DecodeError::NotHex));
        assert_eq!(decode("ab".into(), &known), Err(DecodeError::NotHex));
        assert_eq!(decode("abc..".into(), &known), Err(DecodeError::NotHex));
        assert_eq!(decode("07..".into(), &known), Err(DecodeError::Format));
        assert_eq!(
            decode(column(&body, &hash, "xyz"), &known),
            Err(DecodeError::NotHex)
        );
        assert!(matches!(
            decode(column(&body[..body.len() - 3], &hash, &prev), &known),
            Err(DecodeError::Inflate(_))
        ));
        let mut longer = body.clone();
        longer.push(0);
        assert!(matches!(
            decode(column(&longer, &hash, &prev), &known),
            Err(DecodeError::Inflate(_))
        ));
        // Any flipped bit reads back as an error or as some text, without panicking; whether that
        // text is the sealed event is the hash chain's job to tell (verify recomputes every hash).
        for at in 1..body.len() {
            for bit in 0..8 {
                let mut flipped = body.clone();
                flipped[at] ^= 1 << bit;
                let _ = decode(column(&flipped, &hash, &prev), &known);
            }
        }
    }

    #[test]
    fn a_bomb_is_refused() {
        let huge = "a".repeat(4 * MAX_BODY_BYTES);
        let body = Encoder::new(None).encode(&huge, 0, 0);
        assert!(matches!(
            decode(column(&body, &[0; 32], ""), &HashMap::new()),
            Err(DecodeError::Inflate(_))
        ));
    }

    #[test]
    fn training_spreads_over_the_chain_and_keeps_the_newest() {
        assert_eq!(training_seqs(3), vec![1, 2, 3]);
        let seqs = training_seqs(1_000);
        assert_eq!(seqs.len() as u64, TRAINING_SAMPLES);
        assert_eq!(seqs.last(), Some(&1_000));
        assert!(seqs.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 21));
        let samples: Vec<String> = (0..200).map(|i| format!("{i:0>1000}")).collect();
        let dictionary = train(&samples);
        assert_eq!(dictionary.len(), MAX_DICTIONARY_BYTES);
        assert!(dictionary.ends_with(samples[199].as_bytes()));
    }

    #[test]
    fn dictionaries_read_from_hex_and_the_newest_is_the_highest_id() {
        let rows = [
            (2, "0a0B".to_string()),
            (10, "ff".to_string()),
            (1, String::new()),
        ];
        let dictionaries = dictionaries_from_hex(rows).unwrap();
        assert_eq!(dictionaries[&2], vec![0x0a, 0x0b]);
        assert_eq!(
            Dictionary::newest(dictionaries),
            Some(Dictionary {
                id: 10,
                bytes: vec![0xff]
            })
        );
        assert_eq!(Dictionary::newest(HashMap::new()), None);
        assert_eq!(
            dictionaries_from_hex([(1, "abc".to_string())]),
            Err(DecodeError::NotHex)
        );
    }

    #[test]
    fn leb128_round_trips() {
        for n in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut out = Vec::new();
            push_leb128(&mut out, n);
            assert_eq!(read_leb128(&out), Some((n, &[][..])));
        }
        assert_eq!(read_leb128(&[0x80, 0x80]), None);
    }
}
