//! The tenant hash chain (SPEC 3.5): the canonical form events are hashed in, sealing, and checking.
//!
//! **Canonical form.** An event's canonical JSON is RFC 8785 (JCS): object keys sorted by their UTF-16
//! code units, no insignificant whitespace, strings with only the mandatory escapes, numbers printed as
//! ECMAScript prints them ([`crate::canonical`] prints it). The stored body of every event *is* its
//! canonical JSON, `hash` included, so what the API serves is exactly what was hashed.
//!
//! **Link.** `hash = SHA-256(prev_hash || canonical JSON of the event without its "hash" member)`,
//! where `prev_hash` is the previous event's hash as 64 lowercase hex characters (ASCII) and the first
//! event of a tenant has [`GENESIS`] as its `prev_hash`. The hashed JSON holds `seq` and `prev_hash`,
//! so moving an event within the chain breaks it as surely as editing it.
//!
//! Sealing is split in two so the single writer does as little as possible: [`unsealed`] runs in the
//! parallel part of ingestion and prints the canonical JSON with the three chain members left out,
//! remembering where they go; [`seal`] runs in the per-tenant sequencer and only splices in `seq` and
//! `prev_hash`, hashes, and splices in `hash`.

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use crate::canonical::canonical_json;
use crate::canonical::{write_changes, Obj};
use crate::event::Event;

/// The `prev_hash` of a tenant's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event's canonical JSON without its chain members, and where each goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsealed {
    /// Canonical JSON of the event with `seq`, `prev_hash` and `hash` left out.
    pub text: String,
    /// Byte offset at which `"hash":"…",` belongs.
    pub hash_at: usize,
    /// Byte offset at which `"prev_hash":"…",` belongs.
    pub prev_hash_at: usize,
    /// Byte offset at which `"seq":N,` belongs.
    pub seq_at: usize,
}

/// Prints an event (whose chain members are unset) for sealing.
///
/// Written member by member in canonical (sorted) order by [`crate::canonical`], which prints the
/// event's parts as serde would and the JSON an event carries as it was sent (payload, changes,
/// metadata) canonically: keys sorted by UTF-16, numbers as ECMAScript prints them. Only the top
/// level is written here, to note where the chain members go. A test checks the result against the
/// whole event printed as a generic JSON value.
pub fn unsealed(event: &Event) -> Unsealed {
    // Every field named, so that a field added to `Event` fails to compile until it is printed.
    let Event {
        action,
        actor,
        category,
        changes,
        context,
        description,
        duration_ms,
        error,
        flags,
        hash: _,
        id,
        idempotency_key,
        metadata,
        occurred_at,
        outcome,
        participants,
        payload,
        prev_hash: _,
        received_at,
        redacted,
        scope,
        seq: _,
        severity,
        skew_ms,
        source,
        targets,
        tenant,
    } = event;
    let mut out = Vec::with_capacity(1536);
    let mut m = Obj::new(&mut out);
    m.str("action", action);
    m.actor("actor", actor);
    m.str("category", category.as_str());
    if let Some(changes) = changes {
        write_changes(m.name("changes"), changes);
    }
    m.context("context", context);
    m.opt("description", description.as_deref());
    m.int("duration_ms", *duration_ms);
    m.error("error", error.as_ref());
    m.strs("flags", flags);
    let hash_at = m.slot();
    m.str("id", id);
    m.opt("idempotency_key", idempotency_key.as_deref());
    m.map("metadata", metadata);
    m.str("occurred_at", occurred_at);
    m.str("outcome", outcome.as_str());
    m.actors("participants", participants);
    m.value("payload", payload.as_ref());
    let prev_hash_at = m.slot();
    m.str("received_at", received_at);
    m.strs("redacted", redacted);
    m.scope("scope", scope);
    let seq_at = m.slot();
    m.str("severity", severity.as_str());
    m.int("skew_ms", *skew_ms);
    m.source("source", source);
    m.targets("targets", targets);
    m.str("tenant", tenant);
    m.end();
    Unsealed {
        text: String::from_utf8(out).expect("JSON text is written from whole strings and ASCII"),
        hash_at,
        prev_hash_at,
        seq_at,
    }
}

/// One sealed event: its hash and its stored body (canonical JSON with every chain member).
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    /// The event's hash, 64 lowercase hex characters.
    pub hash: String,
    /// The canonical JSON to store and serve.
    pub body: String,
}

/// Seals an event as number `seq` of its tenant's chain, after the event whose hash is `prev_hash`.
pub fn seal(unsealed: &Unsealed, seq: u64, prev_hash: &str) -> Sealed {
    let hash = link_hash(unsealed, seq, prev_hash);
    let t = &unsealed.text;
    let (h, p, s) = (unsealed.hash_at, unsealed.prev_hash_at, unsealed.seq_at);
    // The hashed text with `hash` spliced in at `h`.
    let body = [
        &t[..h],
        &hash_member(&hash),
        &t[h..p],
        &prev_hash_member(prev_hash),
        &t[p..s],
        &seq_member(seq),
        &t[s..],
    ]
    .concat();
    Sealed { hash, body }
}

/// The hash of an event as number `seq` of its tenant's chain, after the event whose hash is
/// `prev_hash`: what [`seal`] computes, without printing the sealed body.
pub fn link_hash(unsealed: &Unsealed, seq: u64, prev_hash: &str) -> String {
    let t = &unsealed.text;
    let (h, p, s) = (unsealed.hash_at, unsealed.prev_hash_at, unsealed.seq_at);
    // The event without `hash`, in order. The spliced members go to the digest in pieces: hashing
    // runs for every event, and printing the two members was its only allocation.
    let mut digits = itoa::Buffer::new();
    let pieces = [&t[..h], &t[h..p]]
        .into_iter()
        .chain(prev_hash_pieces(prev_hash))
        .chain([&t[p..s]])
        .chain(seq_pieces(digits.format(seq)))
        .chain([&t[s..]]);
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    for piece in pieces {
        digest.update(piece.as_bytes());
    }
    hex(&digest.finalize())
}

/// The `hash` member as it is spliced into a sealed body, comma included.
pub fn hash_member(hash: &str) -> String {
    format!("\"hash\":\"{hash}\",")
}

/// The `prev_hash` member as it is spliced into a sealed body, comma included.
pub fn prev_hash_member(prev_hash: &str) -> String {
    prev_hash_pieces(prev_hash).concat()
}

/// The `seq` member as it is spliced into a sealed body, comma included.
pub fn seq_member(seq: u64) -> String {
    seq_pieces(itoa::Buffer::new().format(seq)).concat()
}

/// [`prev_hash_member`] in pieces, as [`link_hash`] hashes it.
fn prev_hash_pieces(prev_hash: &str) -> [&str; 3] {
    ["\"prev_hash\":\"", prev_hash, "\","]
}

/// [`seq_member`] in pieces, `digits` being the decimal `seq`, as [`link_hash`] hashes it.
fn seq_pieces(digits: &str) -> [&str; 3] {
    ["\"seq\":", digits, ","]
}

/// Lowercase hex of `bytes`. Written pair by pair into a buffer of the final size: this hexes every
/// stored body on its way to SQL, where pushing characters one by one showed in profiles.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// What a stored body says about its place in the chain, and the hash its content really has.
#[derive(Debug, Clone, PartialEq)]
pub struct Recomputed {
    /// `seq` as stored in the body.
    pub seq: Option<u64>,
    /// `prev_hash` as stored in the body.
    pub prev_hash: Option<String>,
    /// `hash` as stored in the body.
    pub claimed_hash: Option<String>,
    /// SHA-256 of the stored `prev_hash` and the body's canonical JSON without `hash`.
    pub actual_hash: String,
    /// The body, parsed.
    pub value: Value,
}

/// Recomputes a stored body's hash from its content. Fails only when the body is not a JSON object.
pub fn recompute(body: &str) -> Result<Recomputed, String> {
    let mut value: Value =
        serde_json::from_str(body).map_err(|e| format!("the stored body is not JSON: {e}"))?;
    let Some(map) = value.as_object_mut() else {
        return Err("the stored body is not a JSON object".into());
    };
    let claimed_hash = map
        .remove("hash")
        .and_then(|h| h.as_str().map(str::to_string));
    let prev_hash = map
        .get("prev_hash")
        .and_then(|h| h.as_str().map(str::to_string));
    let seq = map.get("seq").and_then(Value::as_u64);
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_deref().unwrap_or("").as_bytes());
    digest.update(canonical_json(&value).as_bytes());
    let actual_hash = hex(&digest.finalize());
    if let (Some(map), Some(h)) = (value.as_object_mut(), &claimed_hash) {
        map.insert("hash".into(), Value::String(h.clone()));
    }
    Ok(Recomputed {
        seq,
        prev_hash,
        claimed_hash,
        actual_hash,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{validate_event, Stamp};
    use serde_json::json;

    fn event(input: Value) -> Event {
        let stamp = Stamp {
            tenant: "acme",
            id: "01900000-0000-7000-8000-000000000001".into(),
            received_at: 1_700_000_000_000,
            format: "native",
        };
        validate_event(&input, stamp).unwrap()
    }

    #[test]
    fn canonical_json_follows_rfc_8785() {
        // The number and string cases of RFC 8785 section 3.2.2 and 3.2.3.
        let value: Value = serde_json::from_str(
            r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001,1e21,-0,100.0],
                "string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27,1e+21,0,100],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// A decimal prints as ECMAScript prints the double it reads as, even when it is a whole number
    /// too long for `{:.0}` to print that way; an integer keeps every digit.
    #[test]
    fn decimals_print_as_ecmascript_and_integers_keep_their_digits() {
        let value: Value = serde_json::from_str(
            "[10.0, 2e3, 123456789012345678901, 9007199254740993.0, 9007199254740993, -1.5e300, \
             1e20, 5e-324, -0.0]",
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value),
            "[10,2000,123456789012345680000,9007199254740992,9007199254740993,-1.5e+300,\
             100000000000000000000,5e-324,0]"
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FB33 sorts after U+1F600 in UTF-16 (surrogates are D800-DFFF) but before it in UTF-8.
        let value = json!({"\u{fb33}": 1, "\u{1f600}": 2, "a": 3});
        assert_eq!(
            canonical_json(&value),
            "{\"a\":3,\"\u{1f600}\":2,\"\u{fb33}\":1}"
        );
    }

    #[test]
    fn sealed_bodies_are_canonical_and_their_hash_recomputes() {
        let e = event(json!({
            "action": "code.evaluate",
            "actor": {"id": "u1", "email": "ada@example.com"},
            "payload": {"code": "IO.puts(\"héllo\")\nx = 1.50", "z": 1, "a": [1e21, 0.1]},
            "metadata": {"ticket": "OPS-1"},
        }));
        let u = unsealed(&e);
        assert!(!u.text.contains("\"seq\"") && !u.text.contains("hash"));
        let first = seal(&u, 1, GENESIS);
        let value: Value = serde_json::from_str(&first.body).unwrap();
        assert_eq!(
            canonical_json(&value),
            first.body,
            "the stored body is canonical"
        );
        assert_eq!(value["seq"], 1);
        assert_eq!(value["prev_hash"], GENESIS);
        assert_eq!(value["hash"], first.hash.as_str());
        let r = recompute(&first.body).unwrap();
        assert_eq!(r.actual_hash, first.hash);
        assert_eq!(r.claimed_hash.as_deref(), Some(first.hash.as_str()));

        let second = seal(&u, 2, &first.hash);
        assert_ne!(second.hash, first.hash, "seq and prev_hash are hashed");
        assert_eq!(recompute(&second.body).unwrap().actual_hash, second.hash);
    }

    #[test]
    fn the_hash_is_sha256_of_prev_hash_and_canonical_json() {
        let e = event(json!({"action": "app.delete", "actor": {"id": "u1"}}));
        let sealed = seal(&unsealed(&e), 7, GENESIS);
        let mut value: Value = serde_json::from_str(&sealed.body).unwrap();
        value.as_object_mut().unwrap().remove("hash");
        let expected = hex(&Sha256::digest(
            format!("{GENESIS}{}", canonical_json(&value)).as_bytes(),
        ));
        assert_eq!(sealed.hash, expected);
    }

    #[test]
    fn any_edit_changes_the_recomputed_hash() {
        let e = event(json!({"action": "app.delete", "actor": {"id": "u1"}}));
        let sealed = seal(&unsealed(&e), 1, GENESIS);
        for (from, to) in [
            ("app.delete", "app.create"),
            ("\"seq\":1", "\"seq\":2"),
            ("u1", "u2"),
        ] {
            let edited = sealed.body.replacen(from, to, 1);
            assert_ne!(edited, sealed.body);
            assert_ne!(
                recompute(&edited).unwrap().actual_hash,
                sealed.hash,
                "{from}"
            );
        }
        // Whitespace is not content: re-serialising the same JSON keeps the hash.
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&sealed.body).unwrap())
                .unwrap();
        assert_eq!(recompute(&pretty).unwrap().actual_hash, sealed.hash);
    }

    /// Checks `unsealed` against the whole event printed as a generic JSON value, and that sealing
    /// puts each chain member where canonical order wants it.
    fn assert_unsealed_is_canonical(e: &Event) {
        let value = serde_json::to_value(e).unwrap();
        let u = unsealed(e);
        assert_eq!(u.text, canonical_json(&value));
        let sealed = seal(&u, 42, GENESIS);
        let mut parsed: Value = serde_json::from_str(&sealed.body).unwrap();
        assert_eq!(canonical_json(&parsed), sealed.body, "members in order");
        let map = parsed.as_object_mut().unwrap();
        assert_eq!(map.remove("seq"), Some(json!(42)));
        assert_eq!(map.remove("prev_hash"), Some(json!(GENESIS)));
        assert_eq!(map.remove("hash"), Some(json!(sealed.hash)));
        // Compared as text: read back, `100.0` is the integer 100.
        assert_eq!(canonical_json(&parsed), u.text);
    }

    #[test]
    fn events_print_as_their_canonical_json() {
        let full = json!({
            "action": "Permission.Update", "occurred_at": "2025-01-02T03:04:05.678+01:00",
            "category": "permission", "outcome": "failure", "severity": "high",
            "error": {"code": "E1", "message": "denied"}, "description": "a line", "duration_ms": 12,
            "actor": {"type": "api_key", "id": "k1", "name": "Key", "email": "k@x.io", "roles": ["b", "a"]},
            "participants": [{"id": "p1", "name": "P"}], "targets": [{"type": "role", "id": "r1", "name": "R"}],
            "scope": {"environment": "prod", "organization": "o", "workspace": "w", "project": "p", "app": "a", "folder": "f"},
            "context": {"ip": "81.2.69.160", "user_agent": "curl/8", "session_id": "s", "request_id": "r", "trace_id": "t", "interface": "api"},
            "changes": {"before": {"role": "member", "n": [1, 2]}, "after": {"role": "admin", "n": [1]}},
            "payload": {"code": "x = \"\\u0001\"\n", "z": {"b": 1, "a": null}},
            "metadata": {"b": "2", "a": true, "c": -3},
            "source": {"name": "sys", "version": "1"}, "idempotency_key": "k-1"
        });
        let mut e = event(full);
        e.redacted = vec!["/payload/x".into()];
        e.context.geo = Some(crate::enrich::Geo {
            country: "GB".into(),
            region: Some("ENG".into()),
            city: Some("London".into()),
        });
        e.context.ua = crate::enrich::parse_user_agent(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        )
        .map(std::sync::Arc::new);
        assert_unsealed_is_canonical(&e);
        assert_unsealed_is_canonical(&event(json!({"action": "a.b", "actor": {"id": "u"}})));

        // What serde alone would print differently: numbers that are not integers, and keys whose
        // UTF-16 order differs from their byte order (U+FB33 sorts after U+1F600 in UTF-16).
        let odd = json!({"x": 1e21, "y": 100.0, "\u{fb33}": [0.5, -0.0], "\u{1f600}": {"\u{fb33}": 1, "\u{1f600}": 2}});
        let floats = event(json!({
            "action": "a.b", "actor": {"id": "u"}, "payload": odd,
            "changes": {"before": odd, "after": {"x": 2.5}},
            "metadata": {"\u{fb33}": 0.5, "\u{1f600}": 1e21, "a": 100.0},
        }));
        assert_unsealed_is_canonical(&floats);
        let text = unsealed(&floats).text;
        assert!(text.contains("\"payload\":{\"x\":1e+21,\"y\":100,\"\u{1f600}\":{\"\u{1f600}\":2,\"\u{fb33}\":1},\"\u{fb33}\":[0.5,0]}"), "{text}");
        assert!(text.contains("\"after\":{\"x\":2.5}"), "{text}");
        assert!(
            text.contains("\"metadata\":{\"a\":100,\"\u{1f600}\":1e+21,\"\u{fb33}\":0.5}"),
            "{text}"
        );
        let only_changed = event(json!({
            "action": "a.b", "actor": {"id": "u"}, "changes": {"after": {"x": 1}},
        }));
        assert_unsealed_is_canonical(&only_changed);
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
