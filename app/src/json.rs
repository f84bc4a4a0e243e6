//! A small JSON reader for the API's answers: text in, [`serde_json::Value`] out.
//!
//! Chosen for size. `serde_json::from_str` cost the dashboard 20 KB of gzip wasm even to build just a
//! `Value`: its generic deserializer, its error machinery and, with the `float_roundtrip` feature the
//! worker turns on, big-number tables for decimal floats. This reader is about 5 KB before compression:
//! a recursive descent over RFC 8259, integers read with `str::parse`, and decimal floats handed to the
//! browser's own `parseFloat` (correctly rounded and already there; natively, for the tests,
//! `str::parse::<f64>`, also correctly rounded). It builds the values `serde_json` builds from the same
//! text, which the tests check against `serde_json` itself.

use std::fmt;

use serde_json::{Map, Number, Value};

/// How deep arrays and objects may nest, as in `serde_json`: deeper input is rejected, not recursed.
const MAX_DEPTH: usize = 128;

/// Why a text is not JSON: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What was expected or found.
    pub message: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Parses one JSON text (whitespace around it is allowed, anything else after it is not).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos < text.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek();
        self.pos += 1;
        byte
    }

    fn error(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.pos.min(self.text.len()),
            message,
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), JsonError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => self.string().map(Value::String),
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// Reads an array or object (`read` starts at its opening bracket) one level deeper.
    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<Value, JsonError>,
    ) -> Result<Value, JsonError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.pos += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        let mut items = Vec::new();
        if !self.eat(b']') {
            loop {
                items.push(self.value()?);
                if self.eat(b']') {
                    break;
                }
                self.expect(b',', "expected `,` or `]`")?;
            }
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        let mut map = Map::new();
        if !self.eat(b'}') {
            loop {
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a key"));
                }
                let key = self.string()?;
                self.expect(b':', "expected `:`")?;
                // A repeated key keeps its last value, as in serde_json.
                map.insert(key, self.value()?);
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',', "expected `,` or `}`")?;
            }
        }
        Ok(Value::Object(map))
    }

    /// Reads a string; `pos` is at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character in one go; it ends on
            // an ASCII byte (or the end), so the slice falls on character boundaries.
            let start = self.pos;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.next() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => {
                    let c = match self.next() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape")),
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining a surrogate pair written as two.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(self.error("unpaired surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("unpaired surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("unpaired surrogate")),
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid escape"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid escape"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid escape"))
    }

    /// Reads a number: an integer when it has neither fraction nor exponent and fits 64 bits (as
    /// serde_json reads it), else a float.
    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        self.eat_byte(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        let mut integer = true;
        if self.eat_byte(b'.') {
            integer = false;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = false;
            if !self.eat_byte(b'+') {
                self.eat_byte(b'-');
            }
            self.required_digits()?;
        }
        let text = &self.text[start..self.pos];
        if integer {
            let number = match text.strip_prefix('-') {
                // serde_json reads "-0" as the float -0.0.
                Some(_) => text
                    .parse::<i64>()
                    .ok()
                    .filter(|&n| n != 0)
                    .map(Number::from),
                None => text.parse::<u64>().ok().map(Number::from),
            };
            if let Some(number) = number {
                return Ok(Value::Number(number));
            }
        }
        Number::from_f64(parse_float(text))
            .map(Value::Number)
            .ok_or(JsonError {
                offset: start,
                message: "number out of range",
            })
    }

    fn eat_byte(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number"));
        }
        self.digits();
        Ok(())
    }
}

/// A JSON number's text as the nearest `f64` (infinite when out of range).
fn parse_float(text: &str) -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::parse_float(text)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        text.parse().unwrap_or(f64::NAN)
    }
}

/// `value` as JSON text, as `serde_json` prints it: compact (`value.to_string()`), or indented by two
/// spaces (`to_string_pretty`). Written by hand for size: `serde_json`'s serializer brings its
/// writer, `std::io`'s errors and a float printer into the wasm. Decimal floats are printed by the
/// browser's own `Number.prototype.toString` (the shortest text that reads back the same number).
pub fn print(value: &Value, pretty: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, pretty.then_some(0));
    out
}

fn write_value(out: &mut String, value: &Value, indent: Option<usize>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => out.push_str(&string_literal(s)),
        Value::Array(items) => {
            write_container(out, ('[', ']'), items.iter().map(|v| (None, v)), indent)
        }
        Value::Object(map) => write_container(
            out,
            ('{', '}'),
            map.iter().map(|(k, v)| (Some(k.as_str()), v)),
            indent,
        ),
    }
}

fn write_container<'a>(
    out: &mut String,
    (open, close): (char, char),
    items: impl ExactSizeIterator<Item = (Option<&'a str>, &'a Value)>,
    indent: Option<usize>,
) {
    out.push(open);
    let empty = items.len() == 0;
    let inner = indent.map(|i| i + 2);
    for (i, (key, value)) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(n) = inner {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', n));
        }
        if let Some(key) = key {
            out.push_str(&string_literal(key));
            out.push_str(if inner.is_some() { ": " } else { ":" });
        }
        write_value(out, value, inner);
    }
    if let (Some(n), false) = (indent, empty) {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', n));
    }
    out.push(close);
}

fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        float_text(n.as_f64().unwrap_or(f64::NAN))
    }
}

#[cfg(target_arch = "wasm32")]
fn float_text(f: f64) -> String {
    js_sys::Number::from(f)
        .to_string_with_radix(10)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn float_text(f: f64) -> String {
    format!("{f:?}")
}

/// `text` as a JSON string literal, escaped as `serde_json` escapes it.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The reference: what serde_json (as the worker builds it, with `float_roundtrip`) reads.
    fn reference(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let texts = [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "-0.0",
            "7",
            "-7",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "0.1",
            "1e3",
            "1E+3",
            "2.5e-3",
            "1.7976931348623157e308",
            "5e-324",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "2.2250738585072011e-308",
            "9007199254740993",
            "\"\"",
            r#""plain ünïcödé 🎉""#,
            r#""esc \" \\ \/ \b \f \n \r \t""#,
            r#""\u00e9\u0000\uD83C\uDF89\uffff""#,
            "[]",
            "[ 1 , [2, [3]] ]",
            "{}",
            r#"{"a": 1, "b": [true, null], "c": {"d": "e"}}"#,
            r#"{"dup": 1, "dup": 2}"#,
            "\n\t{\r\n\"k\" :\t\"v\" }\n",
        ];
        for text in texts {
            assert_eq!(parse(text).ok(), reference(text), "{text}");
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        let texts = [
            "",
            " ",
            "nul",
            "True",
            "01",
            "-",
            "+1",
            "1.",
            ".5",
            "1e",
            "1e+",
            "0x10",
            "1e400",
            "-1e400",
            "\"unterminated",
            "\"tab\there\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\uD800""#,
            r#""\uD800\u0041""#,
            r#""\uDC00""#,
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\":1",
            "[",
            "1 2",
            "{} x",
        ];
        for text in texts {
            assert!(reference(text).is_none(), "serde_json accepts {text:?}");
            assert!(parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = parse(r#"{"a": [1, 2 3]}"#).unwrap_err();
        assert_eq!(err.to_string(), "expected `,` or `]` at byte 12");
        assert_eq!(parse("[1e999]").unwrap_err().offset, 1);
    }

    #[test]
    fn nesting_is_limited() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().message, "nested too deeply");
    }

    /// A deterministic pseudo-random JSON value (xorshift), `depth` levels deep at most.
    fn random_value(state: &mut u64, depth: u32) -> Value {
        let mut next = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state
        };
        let pick = next() % if depth == 0 { 6 } else { 8 };
        match pick {
            0 => Value::Null,
            1 => Value::Bool(next() % 2 == 0),
            2 => json!(next() >> (next() % 64)),
            3 => json!(-((next() >> 2) as i64) >> (next() % 62)),
            4 => {
                let f = f64::from_bits(next());
                if f.is_finite() {
                    json!(f)
                } else {
                    json!(next() as f64 / 1e6)
                }
            }
            5 => {
                let chars = ['a', 'é', '"', '\\', '\n', '\u{1}', '𝄞', ' ', '/', '\u{7f}'];
                let len = next() % 8;
                Value::String((0..len).map(|_| chars[(next() % 10) as usize]).collect())
            }
            6 => Value::Array(
                (0..next() % 4)
                    .map(|_| random_value(state, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..next() % 4)
                    .map(|i| (format!("k{i}"), random_value(state, depth - 1)))
                    .collect(),
            ),
        }
    }

    fn has_float(value: &Value) -> bool {
        match value {
            Value::Number(n) => n.is_f64(),
            Value::Array(items) => items.iter().any(has_float),
            Value::Object(map) => map.values().any(has_float),
            _ => false,
        }
    }

    #[test]
    fn json_strings_are_what_serde_json_prints() {
        for text in [
            "",
            "plain",
            "a \"quoted\" \\ back",
            "line\nbreak\ttab\u{1}",
            "ünïcødé ✓",
        ] {
            assert_eq!(
                string_literal(text),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn values_print_as_serde_json_prints_them() {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2_000 {
            let value = random_value(&mut state, 4);
            for pretty in [false, true] {
                let ours = print(&value, pretty);
                assert_eq!(parse(&ours).as_ref(), Ok(&value), "{ours}");
                // Decimal floats are printed by the browser in the wasm; the rest is byte for byte.
                if !has_float(&value) {
                    let theirs = if pretty {
                        serde_json::to_string_pretty(&value).unwrap()
                    } else {
                        value.to_string()
                    };
                    assert_eq!(ours, theirs);
                }
            }
        }
        let sample = json!({"a": [], "b": {}, "c": [1, {"d": null}], "e": "x\"y"});
        assert_eq!(print(&sample, false), sample.to_string());
        assert_eq!(
            print(&sample, true),
            serde_json::to_string_pretty(&sample).unwrap()
        );
    }

    #[test]
    fn printed_values_read_back_equal() {
        let mut state = 0x2545_F491_4F6C_DD1D;
        for _ in 0..2_000 {
            let value = random_value(&mut state, 4);
            for text in [
                value.to_string(),
                serde_json::to_string_pretty(&value).unwrap(),
            ] {
                assert_eq!(parse(&text).as_ref(), Ok(&value), "{text}");
                assert_eq!(reference(&text).as_ref(), Some(&value), "{text}");
            }
        }
    }
}
