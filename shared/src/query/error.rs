//! Why a query was refused, and where: the dashboard underlines `span` and shows `message`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ast::Span;

/// A query that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryError {
    /// The part of the query at fault (empty when something is missing, at the place it belongs).
    pub span: Span,
    /// What is wrong, without the position.
    pub message: String,
    /// What would have been accepted there, when that is a short list.
    pub expected: Vec<String>,
}

impl QueryError {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        QueryError {
            span,
            message: message.into(),
            expected: Vec::new(),
        }
    }

    /// Text at `span` without a letter or digit: full-text search indexes nothing in it. Raised
    /// by the parser for ASCII text and by the worker for text beyond ASCII.
    pub fn no_words(text: &str, span: Span) -> Self {
        QueryError::new(
            span,
            format!("`{text}` has no letters or digits to search for"),
        )
        .expecting(["a word or a quoted phrase"])
    }

    pub(crate) fn expecting<S: Into<String>>(
        mut self,
        expected: impl IntoIterator<Item = S>,
    ) -> Self {
        self.expected = expected.into_iter().map(Into::into).collect();
        self
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at {}..{})",
            self.message, self.span.start, self.span.end
        )?;
        match self.expected.as_slice() {
            [] => Ok(()),
            [one] => write!(f, "; expected {one}"),
            many => write!(f, "; expected one of: {}", many.join(", ")),
        }
    }
}

impl std::error::Error for QueryError {}
