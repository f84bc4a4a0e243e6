//! Canonical JSON (RFC 8785, JCS) as the hash chain prints it ([`crate::chain`]): object keys
//! sorted by their UTF-16 code units, no insignificant whitespace, strings with only the mandatory
//! escapes, numbers printed as ECMAScript prints them.
//!
//! Generic JSON values go through [`write_value`]; the event's own parts (actor, targets, scope,
//! context, error, source) are written field by field in their sorted order, as serde would print
//! them, because printing every event is on ingestion's hot path and serde's string writer checked
//! each byte on its own. Each writer names every field of its struct, so a field added to one fails
//! to compile here until it is printed.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::enrich::{Geo, UserAgent};
use crate::event::{Actor, Changes, Context, ErrorInfo, Scope, Source, Target};

/// Prints `value` as RFC 8785 canonical JSON.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value);
    String::from_utf8(out).expect("JSON text is written from whole strings and ASCII")
}

/// Prints a map of JSON values (an event's `metadata`) as RFC 8785 canonical JSON.
pub fn canonical_map(map: &BTreeMap<String, Value>) -> String {
    let mut out = Vec::with_capacity(64);
    write_object(&mut out, map.iter());
    String::from_utf8(out).expect("JSON text is written from whole strings and ASCII")
}

pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => write_list(out, items, write_value),
        Value::Object(map) => write_object(out, map.iter()),
    }
}

/// Writes an object's members in JCS order: by UTF-16 code units. That is byte order too, the
/// order both `serde_json`'s map and `BTreeMap` keep, except when a character at or above U+E000
/// meets one above U+FFFF; only then are the members sorted again.
pub(crate) fn write_object<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)> + Clone,
) {
    out.push(b'{');
    let mut write = |i: usize, (key, item): (&String, &Value)| {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, key);
        out.push(b':');
        write_value(out, item);
    };
    if members
        .clone()
        .any(|(key, _)| key.bytes().any(|b| b >= 0xEE))
    {
        let mut sorted: Vec<_> = members.collect();
        sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        sorted
            .into_iter()
            .enumerate()
            .for_each(|(i, m)| write(i, m));
    } else {
        members.enumerate().for_each(|(i, m)| write(i, m));
    }
    out.push(b'}');
}

/// Writes a string with only the escapes JCS requires: `"`, `\`, and control characters, which
/// have a short form or else `\u00xx`. serde_json escapes exactly these, the same way.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let clean = clean_prefix(rest);
        out.extend_from_slice(&rest[..clean]);
        let Some(&b) = rest.get(clean) else {
            break;
        };
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if short.is_empty() {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]);
        } else {
            out.extend_from_slice(short);
        }
        rest = &rest[clean + 1..];
    }
    out.push(b'"');
}

/// How many bytes at the start of `bytes` need no escape. Most strings need none, so they are
/// checked eight bytes at a time as one 64-bit word (the last word padded with spaces), natively and
/// in wasm alike. The same bytes end a run of plain text inside a JSON string, so the JSON reader
/// ([`crate::json::Reader`]) scans strings with it too.
pub(crate) fn clean_prefix(bytes: &[u8]) -> usize {
    let mut words = bytes.chunks_exact(8);
    let mut clean = 0;
    for word in &mut words {
        let word: [u8; 8] = word.try_into().expect("chunks of eight");
        let flagged = escape_bytes(u64::from_le_bytes(word));
        if flagged != 0 {
            return clean + (flagged.trailing_zeros() / 8) as usize;
        }
        clean += 8;
    }
    // The last few bytes, shifted into a word of spaces (no call to copy them).
    let mut last = u64::from_le_bytes([b' '; 8]);
    for (i, &b) in words.remainder().iter().enumerate() {
        last = (last & !(0xff << (8 * i))) | (u64::from(b) << (8 * i));
    }
    match escape_bytes(last) {
        0 => bytes.len(),
        flagged => clean + (flagged.trailing_zeros() / 8) as usize,
    }
}

/// The high bit of each byte of `word` that is `"`, `\` or a control character, exact for the
/// lowest such byte (the classic "has a zero byte" test: a borrow can flag bytes above a flagged
/// one, never below, and only the first is used).
fn escape_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
        | below(word, 0x20)
}

/// Writes a number: a decimal (any number sent with a fraction or an exponent, or too large for 64
/// bits) as ECMAScript's `Number.prototype.toString` prints it, as JCS asks (`10.0` is `10`,
/// `123456789012345678901` is `123456789012345680000`, `-0.0` is `0`); an integer with all its digits.
/// JCS reads every number as a double and would round integers past 2^53, but an event's integers are
/// often ids, so they are kept exact (the one departure from RFC 8785, documented in the README).
fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if !n.is_f64() {
        // An i64 or u64: serde_json prints its digits, without allocating.
        serde_json::to_writer(out, n).expect("writing to memory cannot fail");
    } else if let Some(f) = n.as_f64() {
        if f == 0.0 {
            out.push(b'0');
        } else {
            out.extend_from_slice(ryu_js::Buffer::new().format(f).as_bytes());
        }
    }
}

/// Whether two numbers are stored alike: `1` and `1.0` print the same canonically, so an event
/// holding one before and the other after shows no change.
pub(crate) fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    write_number(&mut x, a);
    write_number(&mut y, b);
    x == y
}

/// `changes` as serde would print [`Changes`], with `after` and `before` printed canonically.
pub(crate) fn write_changes(out: &mut Vec<u8>, changes: &Changes) {
    let Changes {
        after,
        before,
        changed_fields,
    } = changes;
    let mut o = Obj::new(out);
    o.value("after", after.as_ref());
    o.value("before", before.as_ref());
    // serde prints the list even when it is empty.
    let out = o.name("changed_fields");
    write_list(out, changed_fields, |out, pointer| {
        write_string(out, pointer)
    });
    o.end();
}

/// Writes `[item,item,…]`.
fn write_list<T>(out: &mut Vec<u8>, items: &[T], mut write: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

fn write_actor(out: &mut Vec<u8>, actor: &Actor) {
    let Actor {
        email,
        id,
        name,
        roles,
        kind,
    } = actor;
    let mut o = Obj::new(out);
    o.opt("email", email.as_deref());
    o.str("id", id);
    o.opt("name", name.as_deref());
    o.strs("roles", roles);
    o.str("type", kind.as_str());
    o.end();
}

fn write_target(out: &mut Vec<u8>, target: &Target) {
    let Target { id, name, kind } = target;
    let mut o = Obj::new(out);
    o.str("id", id);
    o.opt("name", name.as_deref());
    o.str("type", kind);
    o.end();
}

/// An object being written: its members must come in sorted order. Members that serde would skip
/// (absent options, empty lists and maps, empty scope and context) are skipped here too.
pub(crate) struct Obj<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Obj<'o> {
    /// Opens an object.
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Obj<'o> {
        out.push(b'{');
        Obj { out, empty: true }
    }

    /// Starts a member (separator and name) and hands back the buffer for its value.
    pub(crate) fn name(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// Where a member left out goes: after the comma that follows the member written last.
    pub(crate) fn slot(&self) -> usize {
        self.out.len() + 1
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }

    pub(crate) fn str(&mut self, name: &str, value: &str) {
        write_string(self.name(name), value);
    }

    pub(crate) fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(name, value);
        }
    }

    pub(crate) fn strs(&mut self, name: &str, items: &[String]) {
        if !items.is_empty() {
            write_list(self.name(name), items, |out, s| write_string(out, s));
        }
    }

    /// An integer, printed as serde_json prints it.
    pub(crate) fn int(&mut self, name: &str, value: Option<impl itoa::Integer>) {
        if let Some(n) = value {
            let out = self.name(name);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
    }

    pub(crate) fn value(&mut self, name: &str, value: Option<&Value>) {
        if let Some(value) = value {
            write_value(self.name(name), value);
        }
    }

    pub(crate) fn map(&mut self, name: &str, map: &BTreeMap<String, Value>) {
        if !map.is_empty() {
            write_object(self.name(name), map.iter());
        }
    }

    pub(crate) fn actor(&mut self, name: &str, actor: &Actor) {
        write_actor(self.name(name), actor);
    }

    pub(crate) fn actors(&mut self, name: &str, actors: &[Actor]) {
        if !actors.is_empty() {
            write_list(self.name(name), actors, write_actor);
        }
    }

    pub(crate) fn targets(&mut self, name: &str, targets: &[Target]) {
        if !targets.is_empty() {
            write_list(self.name(name), targets, write_target);
        }
    }

    pub(crate) fn scope(&mut self, name: &str, scope: &Scope) {
        if scope.is_empty() {
            return;
        }
        let Scope {
            app,
            environment,
            folder,
            organization,
            project,
            workspace,
        } = scope;
        let mut o = Obj::new(self.name(name));
        o.opt("app", app.as_deref());
        o.opt("environment", environment.as_deref());
        o.opt("folder", folder.as_deref());
        o.opt("organization", organization.as_deref());
        o.opt("project", project.as_deref());
        o.opt("workspace", workspace.as_deref());
        o.end();
    }

    pub(crate) fn context(&mut self, name: &str, context: &Context) {
        if context.is_empty() {
            return;
        }
        let Context {
            geo,
            interface,
            ip,
            request_id,
            session_id,
            trace_id,
            ua,
            user_agent,
        } = context;
        let mut o = Obj::new(self.name(name));
        if let Some(Geo {
            city,
            country,
            region,
        }) = geo
        {
            let mut g = Obj::new(o.name("geo"));
            g.opt("city", city.as_deref());
            g.str("country", country);
            g.opt("region", region.as_deref());
            g.end();
        }
        o.opt("interface", interface.as_deref());
        o.opt("ip", ip.as_deref());
        o.opt("request_id", request_id.as_deref());
        o.opt("session_id", session_id.as_deref());
        o.opt("trace_id", trace_id.as_deref());
        if let Some(ua) = ua {
            let UserAgent {
                browser,
                browser_version,
                device,
                os,
                os_version,
            } = &**ua;
            let mut u = Obj::new(o.name("ua"));
            u.str("browser", browser);
            u.opt("browser_version", browser_version.as_deref());
            u.str("device", device);
            u.str("os", os);
            u.opt("os_version", os_version.as_deref());
            u.end();
        }
        o.opt("user_agent", user_agent.as_deref());
        o.end();
    }

    pub(crate) fn error(&mut self, name: &str, error: Option<&ErrorInfo>) {
        if let Some(ErrorInfo { code, message }) = error {
            let mut o = Obj::new(self.name(name));
            o.opt("code", code.as_deref());
            o.str("message", message);
            o.end();
        }
    }

    pub(crate) fn source(&mut self, name: &str, source: &Source) {
        let Source {
            format,
            name: sender,
            version,
        } = source;
        let mut o = Obj::new(self.name(name));
        o.str("format", format);
        o.opt("name", sender.as_deref());
        o.opt("version", version.as_deref());
        o.end();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn printed(s: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_escape_is_found_wherever_it_stands() {
        // Every character that needs an escape, and some that do not, at the start, middle and end
        // of strings shorter and longer than the 16-byte groups the scan checks at once.
        let specials = [
            '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\u{0}', '\u{1f}', '\u{7f}', 'é', '😀',
        ];
        for len in 1..50 {
            for special in specials {
                for at in [0, len / 2, 15, 16, len - 1] {
                    let s: String = (0..len)
                        .map(|k| {
                            if k == at {
                                special
                            } else {
                                char::from(b'a' + (k % 26) as u8)
                            }
                        })
                        .collect();
                    assert_eq!(printed(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn strings_print_as_serde_json_prints_them(s in any::<String>()) {
            prop_assert_eq!(printed(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
