//! The canonical text of a query: what the dashboard puts back in the search box and into links.
//! Printing then parsing gives the same query, so a query survives a round trip through a URL; and
//! equal queries print alike, so the text can serve as a cache key.

use std::fmt::{self, Write};

use super::ast::{Operand, Query, Term, TermKind, Value};
use super::lexer::is_space;
use super::time::{format_duration, format_time};

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_char('-')?;
        }
        match &self.kind {
            TermKind::Field { field, values } => {
                write!(f, "{field}:")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{value}")?;
                }
                Ok(())
            }
            TermKind::Text {
                text,
                phrase: false,
            } if is_bare_word(text) => f.write_str(text),
            // A phrase, or a "word" that only quotes can hold (it reads back as a phrase).
            TermKind::Text { text, .. } => write_quoted(f, text),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Exact(text) if needs_quotes(text) => write_quoted(f, text),
            Value::Exact(text) => f.write_str(text),
            Value::Prefix(text) => {
                if needs_quotes(text) {
                    write_quoted(f, text)?;
                } else {
                    f.write_str(text)?;
                }
                f.write_char('*')
            }
            Value::Compare { op, operand } => {
                f.write_str(op.as_str())?;
                match operand {
                    Operand::Time(time) => f.write_str(&format_time(time)),
                    Operand::Duration(ms) => f.write_str(&format_duration(*ms)),
                }
            }
        }
    }
}

/// Whether a text-field value must be quoted to read back as the same exact text: when it is empty,
/// holds a separator, quote, backslash or `*`, or starts like a negation or a comparison.
fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text.starts_with(['-', '<', '>'])
        || text.contains(|c: char| is_space(c) || matches!(c, ',' | '"' | '*' | '\\'))
}

/// Whether full text can be written without quotes and read back as a word.
fn is_bare_word(text: &str) -> bool {
    !text.is_empty()
        && text != "*"
        && !text.starts_with('-')
        && !text.contains(|c: char| is_space(c) || matches!(c, '"' | ':'))
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}
