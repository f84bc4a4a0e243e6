//! Character-level reading for the parser: a cursor over the query that knows byte positions (so errors
//! can point into the text) and how a double-quoted string is unescaped.

use super::ast::Span;
use super::error::QueryError;

/// What separates terms: any Unicode whitespace.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// A position in the query being read.
pub(crate) struct Cursor<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Cursor { input, pos: 0 }
    }

    /// Byte offset of the next character.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text from `start` to the current position.
    pub(crate) fn since(&self, start: usize) -> &'a str {
        &self.input[start..self.pos]
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes `c` if it comes next.
    pub(crate) fn eat(&mut self, c: char) -> bool {
        let next = self.peek() == Some(c);
        if next {
            self.pos += c.len_utf8();
        }
        next
    }

    /// Consumes `s` if it comes next.
    pub(crate) fn eat_str(&mut self, s: &str) -> bool {
        let next = self.rest().starts_with(s);
        if next {
            self.pos += s.len();
        }
        next
    }

    /// Consumes characters up to (not including) the first for which `stop` holds.
    pub(crate) fn take_until(&mut self, stop: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let len = self.rest().find(stop).unwrap_or(self.rest().len());
        self.pos += len;
        self.since(start)
    }

    pub(crate) fn skip_spaces(&mut self) {
        self.take_until(|c| !is_space(c));
    }

    /// At the end of the input or before whitespace: where a term may end.
    pub(crate) fn at_term_end(&self) -> bool {
        self.peek().is_none_or(is_space)
    }

    /// Reads a double-quoted string starting at the current `"`; `\"` and `\\` are the only escapes.
    pub(crate) fn read_quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        debug_assert_eq!(self.peek(), Some('"'));
        self.bump();
        let unterminated = || {
            QueryError::new(
                Span::new(open, open + 1),
                "this `\"` is never closed; add a closing `\"`",
            )
            .expecting(["\""])
        };
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(unterminated()),
                Some('"') => return Ok(text),
                Some('\\') => {
                    let escape = self.pos - 1;
                    match self.bump() {
                        Some(c @ ('"' | '\\')) => text.push(c),
                        None => return Err(unterminated()),
                        Some(c) => {
                            return Err(QueryError::new(
                                Span::new(escape, self.pos),
                                format!(
                                    "`\\{c}` is not an escape; inside quotes write `\\\\` for a backslash"
                                ),
                            )
                            .expecting(["\\\"", "\\\\"]))
                        }
                    }
                }
                Some(c) => text.push(c),
            }
        }
    }
}
