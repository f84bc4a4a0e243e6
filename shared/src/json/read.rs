//! Reads JSON text straight into [`Json`] trees, for the events of every request body.
//!
//! Parsing was the largest single stage of ingest after validation, and most of it was serde_json's
//! generic machinery around the tree: a visitor call per value and per key, a vector per object
//! grown member by member. This reader does only this: RFC 8259 text in, the tree that `Json`'s
//! `Deserialize` impl builds from the same text through serde_json out, with the same numbers, the
//! same nesting limit, strings without escapes borrowed. Members and items are gathered on two
//! stacks shared by the whole body, so each object and array is allocated once, at its final size.
//!
//! It does not explain errors: anything it cannot read, it answers `None`, and the caller reads the
//! text again with serde_json, which names what is wrong and where. So it must never accept what
//! serde_json rejects; the tests compare the two on well-formed and broken texts.

use std::borrow::Cow;

use serde_json::Number;

use super::{Json, Object};
use crate::canonical::clean_prefix;

/// How deep arrays and objects may nest: serde_json refuses the 128th level.
const MAX_DEPTH: usize = 127;

/// A reader over one text, reusable for every value in it.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    at: usize,
    members: Vec<(Cow<'a, str>, Json<'a>)>,
    items: Vec<Json<'a>>,
}

impl<'a> Reader<'a> {
    /// A reader of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            at: 0,
            members: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The value that starts at byte `at` (after any whitespace), and the offset just after it.
    /// `None` when there is no well-formed value there.
    pub fn value_at(&mut self, at: usize) -> Option<(Json<'a>, usize)> {
        self.at = at;
        let value = self.value(0)?;
        Some((value, self.at))
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not whitespace, left unread.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&byte) = bytes.get(self.at) {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    /// A value inside `depth` arrays and objects.
    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        let value = match self.peek()? {
            b'"' => {
                self.at += 1;
                Json::String(self.string()?)
            }
            b'{' if depth < MAX_DEPTH => {
                self.at += 1;
                self.object(depth + 1)?
            }
            b'[' if depth < MAX_DEPTH => {
                self.at += 1;
                self.array(depth + 1)?
            }
            b'-' | b'0'..=b'9' => Json::Number(self.number()?),
            b't' => self.literal(b"true", Json::Bool(true))?,
            b'f' => self.literal(b"false", Json::Bool(false))?,
            b'n' => self.literal(b"null", Json::Null)?,
            _ => return None,
        };
        Some(value)
    }

    fn literal(&mut self, word: &[u8], value: Json<'a>) -> Option<Json<'a>> {
        if !self.bytes()[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        Some(value)
    }

    /// An object's members, after its `{`.
    fn object(&mut self, depth: usize) -> Option<Json<'a>> {
        let base = self.members.len();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Json::Object(Object::default()));
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            self.at += 1;
            let key = self.string()?;
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            let value = self.value(depth)?;
            self.members.push((key, value));
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.at += 1;
        let members = self.members.drain(base..).collect();
        Some(Json::Object(Object::from_members(members)))
    }

    /// An array's items, after its `[`.
    fn array(&mut self, depth: usize) -> Option<Json<'a>> {
        let base = self.items.len();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Json::Array(Vec::new()));
        }
        loop {
            let item = self.value(depth)?;
            self.items.push(item);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => break,
                _ => return None,
            }
        }
        self.at += 1;
        Some(Json::Array(self.items.drain(base..).collect()))
    }

    /// A string's text, after its opening quote: borrowed unless it has escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let (text, bytes) = (self.text, self.bytes());
        let start = self.at;
        // The first quote, backslash or control character.
        let end = start + clean_prefix(&bytes[start..]);
        match *bytes.get(end)? {
            b'"' => {
                self.at = end + 1;
                Some(Cow::Borrowed(&text[start..end]))
            }
            b'\\' => {
                let mut owned = String::with_capacity(end - start + 16);
                owned.push_str(&text[start..end]);
                self.at = end;
                self.escaped(owned).map(Cow::Owned)
            }
            // Control characters must be escaped.
            _ => None,
        }
    }

    /// The rest of a string with escapes, from a backslash, appended to `owned`.
    fn escaped(&mut self, mut owned: String) -> Option<String> {
        let (text, bytes) = (self.text, self.bytes());
        loop {
            // At a backslash.
            let escape = *bytes.get(self.at + 1)?;
            self.at += 2;
            match escape {
                b'"' => owned.push('"'),
                b'\\' => owned.push('\\'),
                b'/' => owned.push('/'),
                b'b' => owned.push('\u{8}'),
                b'f' => owned.push('\u{c}'),
                b'n' => owned.push('\n'),
                b'r' => owned.push('\r'),
                b't' => owned.push('\t'),
                b'u' => owned.push(self.unicode_escape()?),
                _ => return None,
            }
            let start = self.at;
            let end = start + clean_prefix(&bytes[start..]);
            owned.push_str(&text[start..end]);
            self.at = end;
            match *bytes.get(end)? {
                b'"' => {
                    self.at += 1;
                    return Some(owned);
                }
                b'\\' => {}
                _ => return None,
            }
        }
    }

    /// The character of a `\u` escape, after the `\u`: a surrogate pair when it starts one. A lone
    /// surrogate is no character, and serde_json refuses it.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes()[self.at..].starts_with(b"\\u") {
                    return None;
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            _ => u32::from(first),
        };
        char::from_u32(code)
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Option<u16> {
        let digits = self.bytes().get(self.at..self.at + 4)?;
        let mut value = 0u16;
        for &digit in digits {
            value = value << 4 | char::from(digit).to_digit(16)? as u16;
        }
        self.at += 4;
        Some(value)
    }

    /// A number, read into the `Number` serde_json reads from the same text: an integer without a
    /// fraction or exponent as `u64` (or `i64` when negative) when it fits, anything else as the
    /// nearest `f64` (serde_json's `float_roundtrip` is on, and Rust's parsing rounds correctly too).
    fn number(&mut self) -> Option<Number> {
        let bytes = self.bytes();
        let start = self.at;
        let negative = bytes[start] == b'-';
        let mut at = start + usize::from(negative);
        let digits = |mut at: usize| {
            while matches!(bytes.get(at), Some(b'0'..=b'9')) {
                at += 1;
            }
            at
        };
        match bytes.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at = digits(at + 1),
            _ => return None,
        }
        let integer_end = at;
        if bytes.get(at) == Some(&b'.') {
            at = digits(at + 1);
            if at == integer_end + 1 {
                return None;
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let exponent_start = at;
            at = digits(at);
            if at == exponent_start {
                return None;
            }
        }
        self.at = at;
        if at == integer_end {
            let magnitude = &self.text[start + usize::from(negative)..integer_end];
            if let Ok(magnitude) = magnitude.parse::<u64>() {
                return Some(match (negative, magnitude) {
                    (false, _) => Number::from(magnitude),
                    // As serde_json reads `-0`: a float, so that its sign survives.
                    (true, 0) => Number::from_f64(-0.0)?,
                    (true, _) => match 0i64.checked_sub_unsigned(magnitude) {
                        Some(negated) => Number::from(negated),
                        None => Number::from_f64(-(magnitude as f64))?,
                    },
                });
            }
        }
        // A fraction, an exponent or an integer too large for 64 bits. Infinity is not a number
        // serde_json reads: it refuses the text as out of range.
        let float: f64 = self.text[start..at].parse().ok()?;
        if float.is_infinite() {
            return None;
        }
        Number::from_f64(float)
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
