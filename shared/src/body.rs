//! Splits an ingest request body into one JSON value per event, enforcing the request-level limits of
//! SPEC 3.1 before any event is looked at, so a request that breaks one stores nothing.
//!
//! Accepted shapes: one JSON object, a JSON array of objects, or NDJSON (one object per line, blank
//! lines ignored). Malformed JSON is reported with its line and column in the request body.

use serde_json::value::RawValue;

use crate::json::{Json, Reader};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
/// Most events in one request.
pub const MAX_EVENTS: usize = 1000;
/// Largest accepted single event, as sent.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// How the body is framed, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `application/json`: one object or an array of them.
    Json,
    /// `application/x-ndjson`: one object per line.
    NdJson,
}

impl Framing {
    /// Picks the framing for a `Content-Type` header value; `None` when the type is not accepted.
    pub fn from_content_type(header: &str) -> Option<Framing> {
        let mime = header
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" => Some(Framing::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Framing::NdJson)
            }
            _ => None,
        }
    }
}

/// A request-level problem: nothing in the request is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The body has no events.
    Empty,
    /// The body is not valid JSON at `line`:`column` (1-based, in the whole body).
    Malformed {
        /// 1-based line in the body.
        line: usize,
        /// 1-based column in that line.
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// The top-level JSON value is neither an object nor an array.
    WrongShape,
    /// The body is larger than [`MAX_BODY_BYTES`].
    BodyTooLarge {
        /// Size of the body in bytes.
        bytes: usize,
    },
    /// More than [`MAX_EVENTS`] events.
    TooManyEvents {
        /// How many were sent.
        count: usize,
    },
    /// One event is larger than [`MAX_EVENT_BYTES`].
    EventTooLarge {
        /// Its zero-based position in the request.
        index: usize,
        /// Its size as sent.
        bytes: usize,
    },
    /// An event an adapter read from a source system's record is larger than [`MAX_EVENT_BYTES`] as
    /// JSON: a request in a seed format answers the limit by line, as the source has no event index.
    RecordTooLarge {
        /// The 1-based line its record starts on.
        line: usize,
        /// The event's size as JSON.
        bytes: usize,
    },
}

impl BodyError {
    /// True for the limits answered with 413 Payload Too Large; false for 400 Bad Request.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            BodyError::BodyTooLarge { .. }
                | BodyError::TooManyEvents { .. }
                | BodyError::EventTooLarge { .. }
                | BodyError::RecordTooLarge { .. }
        )
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::Empty => "empty_body",
            BodyError::Malformed { .. } => "invalid_json",
            BodyError::WrongShape => "invalid_body",
            BodyError::BodyTooLarge { .. } => "body_too_large",
            BodyError::TooManyEvents { .. } => "too_many_events",
            BodyError::EventTooLarge { .. } | BodyError::RecordTooLarge { .. } => "event_too_large",
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Empty => write!(f, "the request body holds no events"),
            BodyError::Malformed { line, column, reason } => {
                write!(f, "malformed JSON at line {line}, column {column}: {reason}")
            }
            BodyError::WrongShape => {
                write!(f, "the body must be a JSON object (one event) or an array of objects")
            }
            BodyError::BodyTooLarge { bytes } => write!(
                f,
                "the request body is {bytes} bytes; the limit is {MAX_BODY_BYTES} bytes (5 MiB)"
            ),
            BodyError::TooManyEvents { count } => write!(
                f,
                "the request holds {count} events; the limit is {MAX_EVENTS} per request"
            ),
            BodyError::EventTooLarge { index, bytes } => write!(
                f,
                "event {index} is {bytes} bytes; the limit is {MAX_EVENT_BYTES} bytes (64 KiB) per event"
            ),
            BodyError::RecordTooLarge { line, bytes } => write!(
                f,
                "the event read from line {line} is {bytes} bytes as JSON; the limit is \
                 {MAX_EVENT_BYTES} bytes (64 KiB) per event"
            ),
        }
    }
}

/// Splits `body` into one parsed value per event, checking every request-level limit. The values
/// borrow their strings from `body` ([`Json`]). A leading byte-order mark, which Windows tools write,
/// is dropped, as the adapters drop it.
pub fn split_events(body: &str, framing: Framing) -> Result<Vec<Json<'_>>, BodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError::BodyTooLarge { bytes: body.len() });
    }
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    if framing == Framing::Json {
        if let Some(events) = read_array(body) {
            return Ok(events);
        }
    }
    split_checked(body, framing)
}

/// Reads a JSON array of events in one pass, measuring each event's text as it goes. Returns `None`
/// at the first thing that is not a well-formed array within every limit, for [`split_checked`] to
/// name, so a body that fails gets the error it would have got anyway: the checks stay in one place,
/// and only bodies that pass them skip the separate pass that measured every event first. Each
/// event is read as a value of its own, so the array does not count towards the nesting limit: an
/// event may nest as deeply in an array as when it is sent alone.
fn read_array(body: &str) -> Option<Vec<Json<'_>>> {
    let bytes = body.as_bytes();
    let skip_whitespace = |mut at: usize| {
        while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    };
    let mut at = skip_whitespace(0);
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at = skip_whitespace(at + 1);
    let mut events = Vec::new();
    let mut reader = Reader::new(body);
    loop {
        if events.len() == MAX_EVENTS {
            return None;
        }
        let (event, end) = reader.value_at(at)?;
        if end - at > MAX_EVENT_BYTES {
            return None;
        }
        events.push(event);
        at = skip_whitespace(end);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(at + 1),
            Some(b']') => return (skip_whitespace(at + 1) == bytes.len()).then_some(events),
            _ => return None,
        }
    }
}

/// [`split_events`] by checking every limit over the whole body first, then reading the events.
fn split_checked(body: &str, framing: Framing) -> Result<Vec<Json<'_>>, BodyError> {
    let raws: Vec<&str> = match framing {
        Framing::Json => split_json(body)?,
        Framing::NdJson => split_ndjson(body)?,
    };
    if raws.is_empty() {
        return Err(BodyError::Empty);
    }
    if raws.len() > MAX_EVENTS {
        return Err(BodyError::TooManyEvents { count: raws.len() });
    }
    if let Some((index, raw)) = raws
        .iter()
        .enumerate()
        .find(|(_, raw)| raw.len() > MAX_EVENT_BYTES)
    {
        return Err(BodyError::EventTooLarge {
            index,
            bytes: raw.len(),
        });
    }
    if framing == Framing::Json && body.trim_start().starts_with('[') {
        // Arrays within every limit were read by `read_array`; one that reaches here is read whole so
        // that its error names a line and column in the body (a slice's columns would be its own).
        return serde_json::from_str(body).map_err(|e| malformed(&e, 0));
    }
    let mut reader = Reader::new(body);
    raws.into_iter()
        .map(|raw| match read_whole(&mut reader, body, raw) {
            Some(event) => Ok(event),
            // serde_json reads it again to say what is wrong, and where.
            None => serde_json::from_str::<Json<'_>>(raw)
                .map_err(|e| malformed(&e, lines_before(body, raw))),
        })
        .collect()
}

/// `raw`, a slice of `body`, read as one value with nothing but whitespace around it.
fn read_whole<'a>(reader: &mut Reader<'a>, body: &'a str, raw: &'a str) -> Option<Json<'a>> {
    let start = offset_in(body, raw);
    let (value, after) = reader.value_at(start)?;
    let rest = body.get(after..start + raw.len())?;
    rest.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .then_some(value)
}

/// Where `raw`, a slice of `body`, starts in it.
fn offset_in(body: &str, raw: &str) -> usize {
    (raw.as_ptr() as usize).saturating_sub(body.as_ptr() as usize)
}

/// How many lines of `body` come before `raw`, a slice of it. Counted only for an error: counting for
/// every event made splitting quadratic in the number of events.
fn lines_before(body: &str, raw: &str) -> usize {
    let start = offset_in(body, raw);
    body.as_bytes()[..start.min(body.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// Returns each top-level item's text with the number of lines before it in the body.
fn split_json(body: &str) -> Result<Vec<&str>, BodyError> {
    match body.trim_start().as_bytes().first() {
        None => Err(BodyError::Empty),
        Some(b'{') => {
            // Validate the whole text first so trailing garbage is reported with its position.
            serde_json::from_str::<&RawValue>(body).map_err(|e| malformed(&e, 0))?;
            Ok(vec![body.trim()])
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(body).map_err(|e| malformed(&e, 0))?;
            Ok(items.into_iter().map(RawValue::get).collect())
        }
        Some(_) => match serde_json::from_str::<&RawValue>(body) {
            Err(e) => Err(malformed(&e, 0)),
            Ok(_) => Err(BodyError::WrongShape),
        },
    }
}

fn split_ndjson(body: &str) -> Result<Vec<&str>, BodyError> {
    Ok(body
        .split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.trim().is_empty())
        .collect())
}

/// Maps a parser error inside a slice that starts `line_offset` lines into the body. Columns are only
/// exact for errors on the slice's first line when that line starts the body's line, which holds for
/// NDJSON lines and whole bodies; inside arrays the error comes from the first parse of the whole body.
fn malformed(err: &serde_json::Error, line_offset: usize) -> BodyError {
    let reason = err.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let reason = match reason.rfind(" at line ") {
        Some(at) => reason[..at].to_string(),
        None => reason,
    };
    BodyError::Malformed {
        line: err.line() + line_offset,
        column: err.column(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_an_object_an_array_and_ndjson() {
        assert_eq!(split_events(r#"{"a":1}"#, Framing::Json).unwrap().len(), 1);
        assert_eq!(
            split_events(r#" [{"a":1}, {"a":2}] "#, Framing::Json)
                .unwrap()
                .len(),
            2
        );
        let nd = "{\"a\":1}\r\n\n{\"a\":2}\n";
        assert_eq!(split_events(nd, Framing::NdJson).unwrap().len(), 2);
        for (body, framing) in [
            ("\u{feff}{\"a\":1}", Framing::Json),
            ("\u{feff}[{\"a\":1}]", Framing::Json),
            ("\u{feff}{\"a\":1}\n", Framing::NdJson),
        ] {
            assert_eq!(split_events(body, framing).unwrap().len(), 1, "{body}");
        }
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let body = "[\n  {\"action\": \"a.b\"},\n  {\"action\": }\n]";
        match split_events(body, Framing::Json) {
            Err(BodyError::Malformed { line, column, .. }) => assert_eq!((line, column), (3, 14)),
            other => panic!("{other:?}"),
        }
        let nd = "{\"a\":1}\n\n{\"a\":\n";
        match split_events(nd, Framing::NdJson) {
            Err(BodyError::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        let err = split_events("{\"a\":1} x", Framing::Json).unwrap_err();
        assert!(err.to_string().contains("line 1, column 9"), "{err}");
    }

    #[test]
    fn limits_are_enforced_before_parsing_events() {
        let many = format!("[{}]", vec!["{}"; MAX_EVENTS + 1].join(","));
        assert_eq!(
            split_events(&many, Framing::Json),
            Err(BodyError::TooManyEvents {
                count: MAX_EVENTS + 1
            })
        );
        let big = format!("[{{}}, {{\"x\":\"{}\"}}]", "a".repeat(MAX_EVENT_BYTES));
        let err = split_events(&big, Framing::Json).unwrap_err();
        assert!(
            matches!(err, BodyError::EventTooLarge { index: 1, .. }),
            "{err:?}"
        );
        assert!(err.is_too_large());
        assert_eq!(split_events("  ", Framing::Json), Err(BodyError::Empty));
        assert_eq!(split_events("[]", Framing::Json), Err(BodyError::Empty));
        assert_eq!(
            split_events("42", Framing::Json),
            Err(BodyError::WrongShape)
        );
    }

    #[test]
    fn the_one_pass_reader_reads_what_the_checked_path_reads() {
        let big = |n: usize| format!("{{\"x\":\"{}\"}}", "a".repeat(n - 8));
        let nested = |depth: usize| format!("[{}{}]", "[".repeat(depth), "]".repeat(depth));
        let deep = |depth: usize| format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let valid = [
            r#"[{"a":1}]"#.to_string(),
            " \r\n\t[ {\"a\" : [1, 2.5e3, -0, \"\\u00e9\\n\"]} ,\n{\"a\":1,\"a\":{\"b\":null}} ] \n".into(),
            r#"[1, "two", null, true, [], {}]"#.into(),
            format!("[{},{}]", big(MAX_EVENT_BYTES), big(10)),
            format!("[{}]", vec!["{}"; MAX_EVENTS].join(",")),
            nested(100),
        ];
        for body in &valid {
            assert!(read_array(body).is_some(), "{body:.80}");
            assert_eq!(
                split_events(body, Framing::Json),
                split_checked(body, Framing::Json),
                "{body:.80}"
            );
        }
        let refused = [
            "[]".to_string(),
            " [ \n ] ".into(),
            "[{},]".into(),
            "[{} {}]".into(),
            "[{}".into(),
            "[{}]]".into(),
            "[{}] x".into(),
            "[{\"a\":}]".into(),
            "[01]".into(),
            "[1x]".into(),
            "\u{a0}[{}]".into(),
            format!("[{}]", big(MAX_EVENT_BYTES + 1)),
            format!("[{}]", vec!["{}"; MAX_EVENTS + 1].join(",")),
            nested(128),
            nested(200),
        ];
        for body in &refused {
            assert!(split_events(body, Framing::Json).is_err(), "{body:.80}");
            assert_eq!(
                split_events(body, Framing::Json),
                split_checked(body, Framing::Json),
                "{body:.80}"
            );
        }
        // The one difference: the array no longer counts towards an event's nesting limit, so the
        // deepest event that may be sent alone may also be sent in an array.
        let deepest = (1..200).take_while(|d| split_events(&deep(*d), Framing::Json).is_ok());
        let deepest = deep(deepest.last().unwrap());
        let alone = split_events(&deepest, Framing::Json).unwrap();
        let in_array = format!("[{deepest}]");
        assert_eq!(split_events(&in_array, Framing::Json).unwrap(), alone);
        assert!(split_checked(&in_array, Framing::Json).is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Framing::from_content_type("application/json; charset=utf-8"),
            Some(Framing::Json)
        );
        assert_eq!(
            Framing::from_content_type("application/x-ndjson"),
            Some(Framing::NdJson)
        );
        assert_eq!(Framing::from_content_type("text/plain"), None);
    }
}
