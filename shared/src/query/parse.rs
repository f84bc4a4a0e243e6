//! The recursive-descent parser: terms, then a term's field and values, then what a value means for
//! its field. The first error ends parsing; it names the span at fault and what would fit there.

use super::ast::{CompareOp, Operand, Query, Span, Term, TermKind, Value};
use super::error::QueryError;
use super::field::{
    is_valid_metadata_key, resolve, Field, FieldKind, MAX_METADATA_KEY_CHARS, METADATA_PREFIX,
};
use super::lexer::{is_space, Cursor};
use super::time::{parse_duration, parse_time, DURATION_FORMS, TIME_FORMS};
use super::{MAX_QUERY_BYTES, MAX_TERMS};
use crate::event::{ActorType, Category, Outcome, Severity};

pub(crate) fn parse_query(input: &str) -> Result<Query, QueryError> {
    if input.len() > MAX_QUERY_BYTES {
        let mut cut = MAX_QUERY_BYTES;
        while !input.is_char_boundary(cut) {
            cut -= 1;
        }
        return Err(QueryError::new(
            Span::new(cut, input.len()),
            format!(
                "the query is {} bytes long; at most {MAX_QUERY_BYTES} are allowed",
                input.len()
            ),
        ));
    }
    let mut cursor = Cursor::new(input);
    let mut terms = Vec::new();
    loop {
        cursor.skip_spaces();
        if cursor.peek().is_none() {
            return Ok(Query { terms });
        }
        let term = parse_term(&mut cursor)?;
        if terms.len() == MAX_TERMS {
            return Err(QueryError::new(
                term.span,
                format!("a query may have at most {MAX_TERMS} terms; this is one more"),
            ));
        }
        terms.push(term);
    }
}

/// `[-] (field:values | "phrase" | word)`.
fn parse_term(cursor: &mut Cursor<'_>) -> Result<Term, QueryError> {
    let start = cursor.pos();
    let negated = cursor.eat('-');
    if negated && (cursor.at_term_end() || cursor.peek() == Some('-')) {
        return Err(QueryError::new(
            Span::new(start, start + 1),
            "`-` excludes the term right after it, like `-env:dev`; to search for text starting with `-`, put it in double quotes",
        )
        .expecting(["a field term", "a word", "a quoted phrase"]));
    }
    let kind = if cursor.peek() == Some('"') {
        parse_phrase(cursor)?
    } else {
        parse_word_or_field(cursor)?
    };
    Ok(Term {
        negated,
        span: Span::new(start, cursor.pos()),
        kind,
    })
}

fn parse_phrase(cursor: &mut Cursor<'_>) -> Result<TermKind, QueryError> {
    let start = cursor.pos();
    let text = cursor.read_quoted()?;
    if !cursor.at_term_end() {
        return Err(unexpected_after_quote(cursor, "a space"));
    }
    if text.chars().all(is_space) {
        return Err(QueryError::new(
            Span::new(start, cursor.pos()),
            "an empty phrase matches nothing; put words between the quotes or leave it out",
        ));
    }
    searchable(&text, Span::new(start, cursor.pos()))?;
    Ok(TermKind::Text { text, phrase: true })
}

/// Full-text search indexes words (letters and digits) and nothing else: text without any matches
/// nothing, and the search would refuse it. Any character beyond ASCII counts as a possible letter
/// here: Unicode's letter tables would cost the dashboard's wasm about 5 KB, and the worker checks
/// such text exactly.
fn searchable(text: &str, span: Span) -> Result<(), QueryError> {
    if text
        .chars()
        .any(|c| c.is_ascii_alphanumeric() || !c.is_ascii())
    {
        return Ok(());
    }
    Err(QueryError::no_words(text, span))
}

/// A bare word, unless a `:` comes before the end of it: then the part before the colon must be a
/// field. A URL-ish `http://x` is therefore an unknown field, not text; quoted it is text.
fn parse_word_or_field(cursor: &mut Cursor<'_>) -> Result<TermKind, QueryError> {
    let start = cursor.pos();
    let head = cursor.take_until(|c| is_space(c) || c == ':' || c == '"');
    if cursor.peek() == Some('"') && head.eq_ignore_ascii_case(METADATA_PREFIX) {
        return quoted_metadata_term(cursor);
    }
    match cursor.peek() {
        Some(':') => {
            let colon = cursor.pos();
            if head.is_empty() {
                return Err(QueryError::new(
                    Span::new(colon, colon + 1),
                    "expected a field name before `:`; to search for text containing `:`, put it in double quotes",
                ));
            }
            let field = resolve(head, Span::new(start, colon))?;
            cursor.bump();
            let values = parse_values(cursor, &field, head)?;
            Ok(TermKind::Field { field, values })
        }
        Some('"') => Err(QueryError::new(
            Span::new(cursor.pos(), cursor.pos() + 1),
            "a `\"` cannot start inside a word; put the whole phrase in double quotes",
        )),
        _ if head == "*" => Err(QueryError::new(
            Span::new(start, cursor.pos()),
            "a lone `*` matches nothing in full text; leave it out",
        )),
        _ => {
            searchable(head, Span::new(start, cursor.pos()))?;
            Ok(TermKind::Text {
                text: head.to_owned(),
                phrase: false,
            })
        }
    }
}

/// `metadata."Cost Center":values`, from the opening quote: a key a bare name cannot hold.
fn quoted_metadata_term(cursor: &mut Cursor<'_>) -> Result<TermKind, QueryError> {
    let start = cursor.pos();
    let key = cursor.read_quoted()?;
    if !is_valid_metadata_key(&key) {
        return Err(QueryError::new(
            Span::new(start, cursor.pos()),
            format!(
                "a metadata key must be 1 to {MAX_METADATA_KEY_CHARS} characters, not all spaces"
            ),
        ));
    }
    if !cursor.eat(':') {
        let at = cursor.pos();
        return Err(QueryError::new(
            Span::new(at, at),
            "expected `:` and a value after the metadata key",
        )
        .expecting([":"]));
    }
    let field = Field::Metadata(key);
    let name = field.name().into_owned();
    let values = parse_values(cursor, &field, &name)?;
    Ok(TermKind::Field { field, values })
}

/// `value {"," value}` up to the end of the term.
fn parse_values(
    cursor: &mut Cursor<'_>,
    field: &Field,
    written_name: &str,
) -> Result<Vec<Value>, QueryError> {
    let mut values = Vec::new();
    let mut after = format!("`{written_name}:`");
    let mut missing_span = Span::new(cursor.pos(), cursor.pos());
    loop {
        values.push(parse_value(cursor, field, &after, missing_span)?);
        let comma = cursor.pos();
        if !cursor.eat(',') {
            return Ok(values);
        }
        after = "`,`".to_owned();
        missing_span = Span::new(comma, comma + 1);
    }
}

/// What one value looks like before the field decides what it means.
struct RawValue {
    op: Option<(CompareOp, Span)>,
    text: String,
    quoted: bool,
    /// A `*` right after the closing quote.
    star_after_quote: bool,
    /// Where the text (after the operator) is written.
    span: Span,
}

/// One value, ending before `,`, whitespace or the end. `after` describes what precedes it and
/// `missing_span` is where an absent value is reported.
fn parse_value(
    cursor: &mut Cursor<'_>,
    field: &Field,
    after: &str,
    missing_span: Span,
) -> Result<Value, QueryError> {
    let op_start = cursor.pos();
    let op = CompareOp::ALL
        .into_iter()
        .find(|op| cursor.eat_str(op.as_str()))
        .map(|op| (op, Span::new(op_start, cursor.pos())));
    let start = cursor.pos();
    let (text, quoted, star_after_quote) = if cursor.peek() == Some('"') {
        let text = cursor.read_quoted()?;
        let star = cursor.eat('*');
        if !(cursor.at_term_end() || cursor.peek() == Some(',')) {
            return Err(unexpected_after_quote(cursor, "`,` or a space"));
        }
        (text, true, star)
    } else {
        let text = cursor.take_until(|c| is_space(c) || c == ',' || c == '"');
        if cursor.peek() == Some('"') {
            return Err(QueryError::new(
                Span::new(cursor.pos(), cursor.pos() + 1),
                "a `\"` cannot start inside a value; put the whole value in double quotes",
            ));
        }
        (text.to_owned(), false, false)
    };
    let raw = RawValue {
        op,
        text,
        quoted,
        star_after_quote,
        span: Span::new(start, cursor.pos()),
    };
    if raw.text.is_empty() && !raw.quoted {
        match raw.op {
            // On a text field the operator itself is the mistake; `text_value` says so.
            Some(_) if field.kind() == FieldKind::Text => {}
            Some((op, op_span)) => {
                return Err(QueryError::new(
                    Span::new(op_span.end, op_span.end),
                    format!("expected a value after `{}`", op.as_str()),
                ))
            }
            None => {
                return Err(QueryError::new(
                    missing_span,
                    format!("expected a value after {after}"),
                ))
            }
        }
    }
    match field.kind() {
        FieldKind::Text => {
            let span = raw.span;
            let value = text_value(raw, field)?;
            closed_value(field, &value, span)?;
            Ok(value)
        }
        FieldKind::Time => compare_value(raw, field, |text| {
            parse_time(text)
                .map(Operand::Time)
                .map_err(|message| (message, &TIME_FORMS[..]))
        }),
        FieldKind::Duration => compare_value(raw, field, |text| {
            parse_duration(text)
                .map(Operand::Duration)
                .map_err(|message| (message, &DURATION_FORMS[..]))
        }),
    }
}

/// `exact`, `prefix*`, `"quoted"` or `"quoted prefix"*`.
fn text_value(raw: RawValue, field: &Field) -> Result<Value, QueryError> {
    if let Some((op, op_span)) = raw.op {
        return Err(QueryError::new(
            op_span,
            format!(
                "`{}` compares times and durations, but `{field}` is a text field; to match a literal `{}`, put the value in double quotes",
                op.as_str(),
                op.as_str()
            ),
        )
        .expecting(["occurred", "duration"]));
    }
    if raw.quoted {
        return match (raw.star_after_quote, raw.text.is_empty()) {
            (false, _) => Ok(Value::Exact(raw.text)),
            (true, false) => Ok(Value::Prefix(raw.text)),
            (true, true) => Err(lone_star(raw.span)),
        };
    }
    let Some(star) = raw.text.find('*') else {
        return Ok(Value::Exact(raw.text));
    };
    if raw.text == "*" {
        return Err(lone_star(raw.span));
    }
    if star + 1 != raw.text.len() {
        let at = raw.span.start + star;
        return Err(QueryError::new(
            Span::new(at, at + 1),
            "`*` is a wildcard only at the end of a value, like `app.*`; to match a literal `*`, put the value in double quotes",
        ));
    }
    let mut prefix = raw.text;
    prefix.pop();
    Ok(Value::Prefix(prefix))
}

/// Every value of a field whose values are a fixed list (the event model's enumerations).
pub(crate) fn closed_values(field: &Field) -> Option<Vec<&'static str>> {
    fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Option<Vec<&'static str>> {
        Some(all.iter().map(|v| name(*v)).collect())
    }
    match field {
        Field::ActorType => names(ActorType::ALL, ActorType::as_str),
        Field::Category => names(Category::ALL, Category::as_str),
        Field::Outcome => names(Outcome::ALL, Outcome::as_str),
        Field::Severity => names(Severity::ALL, Severity::as_str),
        _ => None,
    }
}

/// The fields whose values are a fixed list: a value outside it (`outcome:failed`) matches nothing,
/// so it is a mistake to point at. Compared in any case, as the search compares them.
fn closed_value(field: &Field, value: &Value, span: Span) -> Result<(), QueryError> {
    let Some(names) = closed_values(field) else {
        return Ok(());
    };
    // The values are ASCII: comparing in ASCII case spares the wasm Unicode's case tables.
    let known = match value {
        // `field:""` asks for events without one, as on every field.
        Value::Exact(text) => {
            text.is_empty() || names.iter().any(|name| name.eq_ignore_ascii_case(text))
        }
        Value::Prefix(text) => names.iter().any(|name| {
            name.get(..text.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(text))
        }),
        Value::Compare { .. } => true,
    };
    if known {
        return Ok(());
    }
    let written = match value {
        Value::Exact(text) => text.clone(),
        Value::Prefix(text) => format!("{text}*"),
        Value::Compare { .. } => String::new(),
    };
    Err(QueryError::new(span, format!("`{field}` has no value `{written}`")).expecting(names))
}

fn lone_star(span: Span) -> QueryError {
    QueryError::new(
        span,
        "a `*` on its own matches every value; leave the term out, or put text before the `*`",
    )
}

/// `op operand` for `occurred` and `duration`.
fn compare_value(
    raw: RawValue,
    field: &Field,
    read: impl Fn(&str) -> Result<Operand, (String, &'static [&'static str])>,
) -> Result<Value, QueryError> {
    let Some((op, _)) = raw.op else {
        let example = if *field == Field::Occurred {
            "occurred:>=2024-06-01 or occurred:<-7d"
        } else {
            "duration:>1s"
        };
        return Err(QueryError::new(
            raw.span,
            format!("`{field}` needs a comparison before the value, like {example}"),
        )
        .expecting(CompareOp::ALL.map(|op| op.as_str())));
    };
    if raw.star_after_quote {
        return Err(QueryError::new(
            raw.span,
            format!("`*` is a wildcard for text; `{field}` takes comparisons"),
        ));
    }
    let operand = read(&raw.text).map_err(|(message, forms)| {
        QueryError::new(raw.span, message).expecting(forms.iter().copied())
    })?;
    Ok(Value::Compare { op, operand })
}

fn unexpected_after_quote(cursor: &Cursor<'_>, wanted: &str) -> QueryError {
    let at = cursor.pos();
    let len = cursor.peek().map_or(0, char::len_utf8);
    QueryError::new(
        Span::new(at, at + len),
        format!("expected {wanted} after the closing `\"`"),
    )
    .expecting([wanted])
}
