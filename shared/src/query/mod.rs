//! The search query language of the dashboard and the API (SPEC 4.1):
//!
//! ```text
//! actor:alice@corp.com action:app.* outcome:failure,denied -env:dev target.type:database
//! occurred:>=2024-06-01 occurred:<-7d ip:192.168.1.* "sales report"
//! ```
//!
//! [`parse()`] turns the text into a typed [`Query`] and [`print()`] turns a query back into canonical text.
//! Both sides use the same code: the dashboard to check and highlight what is typed, the worker to compile
//! the terms to SQL with every value bound as a parameter. Parsing is pure (no clock: `-7d` stays
//! relative until [`TimeValue::resolve`]) and hand-written, to stay small in the wasm bundle.
//!
//! # Grammar
//!
//! ```text
//! query      = { space } [ term { space { space } term } ] { space } ;
//! term       = [ "-" ] ( field-term | phrase | word ) ;         (* "-" negates *)
//! field-term = field ":" value { "," value } ;                  (* values are ORed *)
//! field      = fixed-field | "metadata." key ;                  (* ASCII case-insensitive *)
//! fixed-field= "actor" | "actor.type" | "actor.id" | "action" | "category" | "outcome"
//!            | "severity" | "target" | "target.type" | "target.id" | "env" | "org" | "workspace"
//!            | "project" | "app" | "ip" | "country" | "session" | "request" | "source"
//!            | "occurred" | "duration" ;
//! key        = 1 to 64 of ( letter | digit | "_" | "." | "-" ) ; (* keeps its case *)
//!
//! value      = text-value                  (* every field but occurred and duration *)
//!            | operator time               (* occurred *)
//!            | operator duration ;         (* duration *)
//! text-value = bare [ "*" ] | quoted [ "*" ] ;   (* a trailing "*" makes a prefix match *)
//! bare       = 1 or more of any char but space, "," and '"', not starting with "<" or ">",
//!              with no "*" (except the trailing one above) ;
//! quoted     = '"' { any char but '"' and "\" | '\"' | "\\" } '"' ;  (* "*" and "," literal *)
//! operator   = ">=" | ">" | "<=" | "<" ;
//!
//! time       = date [ ( "T" | "t" ) hh ":" mm [ ":" ss [ "." digits ] ] [ zone ] ]  (* UTC if no zone *)
//!            | ( "-" | "+" ) amount ;      (* relative: -7d is 7 days ago, +1h an hour ahead *)
//! date       = yyyy "-" mm "-" dd ;
//! zone       = "Z" | "z" | ( "+" | "-" ) hh ":" mm ;
//! duration   = amount | digits ;           (* bare digits are milliseconds *)
//! amount     = digits [ "." digits ] unit ;  (* must come to whole milliseconds *)
//! unit       = "ms" | "s" | "m" | "h" | "d" | "w" ;
//!
//! phrase     = quoted ;                    (* full text; at least one non-space char *)
//! word       = 1 or more of any char but space, '"' and ":" ;  (* full text; not a lone "*";
//!                                          a leading "-" is read as the term's negation *)
//! ```
//!
//! Choices the SPEC leaves open:
//!
//! * A word holding a `:` is a field term, so `http://x` or `foo:bar` is an "unknown field" error (with a
//!   suggestion for typos such as `actr`), never silently full text. Quoted, `"http://x"` is full text.
//! * `occurred` and `duration` need an operator: `occurred:2024-06-01` is an error that asks for
//!   `>=`, `>`, `<=` or `<`, rather than guessing between "that instant" and "that whole day".
//! * A date alone is a whole UTC day: `occurred:<=2024-06-01` keeps all of June 1 and
//!   `occurred:>2024-06-01` none of it, as `>=` and `<` start from its first moment. With a time of
//!   day (`2024-06-01T00:00`) it is that instant.
//! * Relative times need a sign: `-7d` is the past, `+7d` the future; `occurred:>7d` is an error because
//!   it could as well mean "older than seven days".
//! * Full text is literal but for one thing: a bare word ending in `*` (`deploy*`) searches for words
//!   that start with it, as a trailing `*` does in field values. Any other `*`, a `*` in quotes, and
//!   `,` are ordinary characters, not operators. `OR` and `AND` are ordinary words too; terms are
//!   always ANDed.
//! * On text fields a value starting with `<` or `>` is a misplaced comparison unless quoted.
//! * `""` is an empty exact value (the field is empty); `""*` and a lone `*` are errors.
//! * Inside quotes only `\"` and `\\` are escapes; any other backslash is an error, so a quoted
//!   string has one reading.
//! * Absolute times must lie between 1970 and 9999, like stored ones; fractions of a millisecond are
//!   truncated.
//!
//! The printer writes single spaces between terms, lower-case field names, quotes only where the
//! grammar needs them, a day as `2024-06-01` and an instant as `2024-06-01T10:30:00Z` (`.mmm` when
//! the milliseconds are not zero), and relative times and durations in the largest unit that divides
//! them exactly, weeks aside (`-7d`, `-36h`, `250ms`, `2s`; `-2w` prints as `-14d`). It does not
//! enforce [`MAX_QUERY_BYTES`]: quoting can make the printed text a little longer than what was parsed.
//!
//! Layout: `ast.rs` the query types; `field.rs` field names and suggestions; `lexer.rs` positions and
//! quoted strings; `parse.rs` terms and values; `time.rs` times and durations; `print.rs` the printer;
//! `error.rs` the error.

mod ast;
mod error;
mod field;
mod lexer;
mod parse;
mod print;
mod time;

pub use ast::{CompareOp, Operand, Query, Span, Term, TermKind, TimeValue, Value};
pub use error::QueryError;
pub use field::{is_valid_metadata_key, Field, FieldKind, MAX_METADATA_KEY_CHARS};
pub use time::MAX_SPAN_MS;

/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 2000;
/// Most terms in one query.
pub const MAX_TERMS: usize = 50;

/// Parses query text. Empty or all-whitespace text is the empty query, which matches everything.
///
/// ```
/// use evident_shared::query::{parse, Field, TermKind, Value};
///
/// let query = parse("action:app.* -env:dev").unwrap();
/// assert_eq!(query.terms.len(), 2);
/// assert!(query.terms[1].negated);
/// assert_eq!(
///     query.terms[0].kind,
///     TermKind::Field { field: Field::Action, values: vec![Value::Prefix("app.".into())] }
/// );
/// let err = parse("actr:alice").unwrap_err();
/// assert_eq!((err.span.start, err.span.end), (0, 4));
/// assert!(err.message.contains("did you mean `actor`?"));
/// ```
pub fn parse(input: &str) -> Result<Query, QueryError> {
    parse::parse_query(input)
}

/// The canonical text of a query; [`parse()`] reads it back as the same query (spans aside).
///
/// ```
/// use evident_shared::query::{parse, print};
///
/// let query = parse("  ACTOR:\"jane\"   occurred:>=2024-06-01T10:30  duration:<1500 ").unwrap();
/// assert_eq!(print(&query), "actor:jane occurred:>=2024-06-01T10:30:00Z duration:<1500ms");
/// ```
pub fn print(query: &Query) -> String {
    query.to_string()
}

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod print_tests;
#[cfg(test)]
mod prop_tests;
