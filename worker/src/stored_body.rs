//! How a sealed event body is kept in `events.body`, minus I/O. The canonical JSON is what is hashed
//! and served, but storing it as text made it two thirds of every event's bytes. A body is stored as
//! a BLOB: one format byte, the id of the tenant's dictionary it was compressed with (LEB128, 0 for
//! none), then raw DEFLATE (RFC 1951) of the JSON with that dictionary preset. Audit events of one
//! tenant repeat the same keys, actors, apps and user agents, so a dictionary made of the tenant's
//! own earlier events takes a body from about 1.5 KB to under 400 bytes; deflate alone gets to 900.
//!
//! A tenant's dictionary is trained once, from events spread over its chain after the first
//! [`TRAIN_AFTER`], by the tenant's sequencer (its single writer), and never changes: rows name the
//! dictionary they need, so a later dictionary would only add an id. Bodies stored as JSON text by
//! earlier versions are still read as they are.
//!
//! SQL moves bodies as hex (`unhex(?)` on the way in, `hex(body)` on the way out, see
//! [`crate::sql::BODY`]): D1 binds and returns text cheaply, while BLOBs cross into JavaScript as
//! arrays of numbers.

use std::cell::RefCell;
use std::collections::HashMap;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Format byte of a body compressed with raw DEFLATE.
const DEFLATE: u8 = 1;

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

/// Compresses bodies for storage with one dictionary (or none), reusing its buffers across bodies.
pub struct Encoder {
    compress: Compress,
    dictionary: Option<Dictionary>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.dictionary.as_ref().map(|d| d.id);
        f.debug_struct("Encoder").field("dictionary", &id).finish()
    }
}

impl Encoder {
    /// An encoder that presets `dictionary`, or none.
    pub fn new(dictionary: Option<Dictionary>) -> Encoder {
        Encoder {
            compress: Compress::new(Compression::default(), false),
            dictionary,
        }
    }

    /// True when it presets a dictionary.
    pub fn has_dictionary(&self) -> bool {
        self.dictionary.is_some()
    }

    /// The stored form of a body.
    pub fn encode(&mut self, body: &str) -> Vec<u8> {
        let id = self.dictionary.as_ref().map_or(0, |d| d.id);
        let mut out = Vec::with_capacity(body.len() / 2 + 64);
        out.push(DEFLATE);
        push_leb128(&mut out, id);
        self.compress.reset();
        if let Some(dictionary) = &self.dictionary {
            self.compress
                .set_dictionary(&dictionary.bytes)
                .expect("a dictionary is accepted right after a reset");
        }
        let mut input = body.as_bytes();
        loop {
            out.reserve(input.len() / 2 + 64);
            let before = self.compress.total_in();
            let status = self
                .compress
                .compress_vec(input, &mut out, FlushCompress::Finish)
                .expect("compressing into memory cannot fail");
            input = &input[(self.compress.total_in() - before) as usize..];
            if status == Status::StreamEnd {
                return out;
            }
        }
    }

    /// [`Encoder::encode`] as hex, for `unhex` in SQL.
    pub fn encode_hex(&mut self, body: &str) -> String {
        evident_shared::chain::hex(&self.encode(body))
    }
}

/// Why a stored body could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Neither JSON text nor hex.
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
    let head = unhex(column.get(..12.min(column.len()))?).ok()?;
    match head.split_first() {
        Some((&DEFLATE, rest)) => read_leb128(rest).map(|(id, _)| id).filter(|id| *id > 0),
        _ => None,
    }
}

thread_local! {
    /// One inflater per thread (an isolate runs one), reset for every body.
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// A stored body (as [`crate::sql::BODY`] reads it) as canonical JSON. `dictionaries` maps the
/// tenant's dictionary ids to their bytes.
pub fn decode(column: String, dictionaries: &Dictionaries) -> Result<String, DecodeError> {
    if column.starts_with('{') {
        return Ok(column);
    }
    let bytes = unhex(&column)?;
    let Some((&DEFLATE, rest)) = bytes.split_first() else {
        return Err(DecodeError::Format);
    };
    let (id, stream) = read_leb128(rest).ok_or(DecodeError::Format)?;
    let dictionary = match id {
        0 => None,
        id => Some(
            dictionaries
                .get(&id)
                .ok_or(DecodeError::MissingDictionary(id))?,
        ),
    };
    INFLATER.with(|inflater| inflate(&mut inflater.borrow_mut(), dictionary, stream))
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

    fn body(i: usize) -> String {
        format!(
            r#"{{"action":"app.update","actor":{{"email":"user{i}@acme.example","id":"u{i}","type":"user"}},"context":{{"user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}},"id":"{i:08x}","outcome":"success","description":"line one\nline two ünïcödé ✓"}}"#
        )
    }

    fn dictionaries(d: &Dictionary) -> HashMap<u32, Vec<u8>> {
        HashMap::from([(d.id, d.bytes.clone())])
    }

    #[test]
    fn round_trips_with_and_without_a_dictionary() {
        let dictionary = Dictionary {
            id: 300,
            bytes: train(&(0..10).map(body).collect::<Vec<_>>()),
        };
        let mut plain = Encoder::new(None);
        let mut preset = Encoder::new(Some(dictionary.clone()));
        for i in 100..110 {
            let text = body(i);
            let without = plain.encode_hex(&text);
            let with = preset.encode_hex(&text);
            assert!(with.len() < without.len(), "the dictionary helps");
            assert!(without.len() / 2 < text.len());
            assert_eq!(dictionary_id(&without), None);
            assert_eq!(dictionary_id(&with), Some(300));
            assert_eq!(decode(without, &HashMap::new()).unwrap(), text);
            let upper = with.to_uppercase(); // SQLite's hex() is upper case
            assert_eq!(decode(upper, &dictionaries(&dictionary)).unwrap(), text);
        }
    }

    #[test]
    fn json_text_from_earlier_versions_is_read_as_it_is() {
        let text = body(1);
        assert_eq!(dictionary_id(&text), None);
        assert_eq!(decode(text.clone(), &HashMap::new()).unwrap(), text);
    }

    #[test]
    fn damage_is_an_error_never_a_wrong_body() {
        let dictionary = Dictionary {
            id: 1,
            bytes: train(&[body(1)]),
        };
        let known = dictionaries(&dictionary);
        let stored = Encoder::new(Some(dictionary)).encode(&body(2));
        assert_eq!(
            decode(chain_hex(&stored), &HashMap::new()),
            Err(DecodeError::MissingDictionary(1))
        );
        assert_eq!(decode("zz".into(), &known), Err(DecodeError::NotHex));
        assert_eq!(decode("abc".into(), &known), Err(DecodeError::NotHex));
        assert_eq!(decode("07".into(), &known), Err(DecodeError::Format));
        assert!(matches!(
            decode(chain_hex(&stored[..stored.len() - 3]), &known),
            Err(DecodeError::Inflate(_))
        ));
        let mut longer = stored.clone();
        longer.push(0);
        assert!(matches!(
            decode(chain_hex(&longer), &known),
            Err(DecodeError::Inflate(_))
        ));
        // Any flipped bit reads back as an error or as some text, without panicking; whether that
        // text is the sealed event is the hash chain's job to tell (verify recomputes every hash).
        for at in 1..stored.len() {
            for bit in 0..8 {
                let mut flipped = stored.clone();
                flipped[at] ^= 1 << bit;
                let _ = decode(chain_hex(&flipped), &known);
            }
        }
    }

    fn chain_hex(bytes: &[u8]) -> String {
        evident_shared::chain::hex(bytes)
    }

    #[test]
    fn a_bomb_is_refused() {
        let huge = "a".repeat(4 * MAX_BODY_BYTES);
        let stored = Encoder::new(None).encode_hex(&huge);
        assert!(matches!(
            decode(stored, &HashMap::new()),
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
    fn leb128_round_trips() {
        for n in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut out = Vec::new();
            push_leb128(&mut out, n);
            assert_eq!(read_leb128(&out), Some((n, &[][..])));
        }
        assert_eq!(read_leb128(&[0x80, 0x80]), None);
    }
}
