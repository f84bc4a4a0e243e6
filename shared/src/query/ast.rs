//! The parsed form of a search query. It carries typed values (milliseconds, not date strings) so that
//! the worker can bind them as SQL parameters without parsing anything again, and spans so that the
//! dashboard can point at a term.

use serde::{Deserialize, Serialize};

use super::field::Field;
use crate::timestamp::Millis;

/// Byte offsets `start..end` into the query text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A whole query: every term must match (the terms are ANDed). No terms matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// In the order written.
    pub terms: Vec<Term>,
}

impl Query {
    /// True when the query has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// One space-separated part of a query, possibly negated with a leading `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// `-term`: events that do *not* match.
    pub negated: bool,
    /// Where the term is written, including its `-` and quotes.
    pub span: Span,
    /// What it matches.
    pub kind: TermKind,
}

/// What a term matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// `field:value,value`: the field matches any of the values (at least one).
    Field {
        /// Which field.
        field: Field,
        /// ORed; never empty.
        values: Vec<Value>,
    },
    /// Full text: a bare word (`phrase: false`) or a quoted phrase (`phrase: true`), searched in
    /// descriptions, actions, names, e-mails and payload text. The text is literal (`,` and other
    /// punctuation in it are not operators), except that a bare word ending in `*` is a prefix.
    Text {
        /// Unescaped; a word never contains whitespace, `"` or `:` and never starts with `-`.
        text: String,
        /// Written in double quotes.
        phrase: bool,
    },
}

/// One value of a field term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// The field equals this text (text fields only).
    Exact(String),
    /// The field starts with this non-empty text: `app.*` (text fields only).
    Prefix(String),
    /// A comparison (`occurred` and `duration` only).
    Compare {
        /// `>`, `>=`, `<` or `<=`.
        op: CompareOp,
        /// A time for `occurred`, a duration for `duration`.
        operand: Operand,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CompareOp {
    /// Every operator, longest spelling first (the order a reader must try them in).
    pub const ALL: [CompareOp; 4] = [CompareOp::Ge, CompareOp::Le, CompareOp::Gt, CompareOp::Lt];

    /// How it is written, which is also its SQL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// For `occurred`.
    Time(TimeValue),
    /// For `duration`: milliseconds, never negative.
    Duration(Millis),
}

/// A point in time as written: absolute, or relative to a "now" the parser does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeValue {
    /// Milliseconds since the Unix epoch, UTC.
    Absolute(Millis),
    /// A whole UTC day, written as a date alone (`2024-06-01`): its first millisecond. Compared
    /// with `<=` or `>` it is taken whole ([`TimeValue::compared`]).
    Day(Millis),
    /// Milliseconds from now; negative is the past (`-7d`).
    Relative(Millis),
}

impl TimeValue {
    /// The instant in milliseconds since the epoch, taking relative times from `now_ms`.
    pub fn resolve(&self, now_ms: Millis) -> Millis {
        match *self {
            TimeValue::Absolute(ms) | TimeValue::Day(ms) => ms,
            TimeValue::Relative(offset) => now_ms.saturating_add(offset),
        }
    }

    /// `op self` as a comparison with an instant: `(op, ms)`. A day is taken whole: `<=` a day is
    /// before the next one starts and `>` a day is from then on, so `occurred:<=2024-06-01` keeps
    /// all of June 1 and `occurred:>2024-06-01` none of it; `>=` and `<` count from its start.
    pub fn compared(&self, op: CompareOp, now_ms: Millis) -> (CompareOp, Millis) {
        const DAY_MS: Millis = 86_400_000;
        match (*self, op) {
            (TimeValue::Day(ms), CompareOp::Le) => (CompareOp::Lt, ms.saturating_add(DAY_MS)),
            (TimeValue::Day(ms), CompareOp::Gt) => (CompareOp::Ge, ms.saturating_add(DAY_MS)),
            _ => (op, self.resolve(now_ms)),
        }
    }
}
