//! Saved searches (SPEC 4.2): a name for a search query, kept per tenant so the dashboard can offer it
//! again. The wire types of `/api/v1/saved-searches` and the checks of what `POST` and `PUT` send,
//! shared so the dashboard can check a name before it asks.
//!
//! A saved search stores the canonical text of its query ([`crate::query::print`]), so what comes back
//! may differ in spacing, case of field names or quoting from what was sent, never in meaning. (One
//! exception, from before dates alone were whole days: the printer then wrote an instant at UTC
//! midnight, `…T00:00`, as a bare date, which now reads as that whole day; see the README.)

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Builder;

use crate::api::FieldError;
use crate::query;

/// Longest name, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 100;
/// Most saved searches one tenant may keep.
pub const MAX_PER_TENANT: usize = 200;

/// One saved search as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    /// A lowercase hyphenated UUIDv4.
    pub id: String,
    /// Unique within the tenant; 1 to [`MAX_NAME_CHARS`] characters, no surrounding spaces.
    pub name: String,
    /// The query's canonical text.
    pub q: String,
    /// When it was created (RFC 3339, UTC, milliseconds).
    pub created_at: String,
    /// When its name or query last changed (RFC 3339, UTC, milliseconds).
    pub updated_at: String,
}

/// `GET /api/v1/saved-searches`: every saved search of the tenant, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearchList {
    /// The saved searches.
    pub saved_searches: Vec<SavedSearch>,
}

/// What `POST` and `PUT` send: `{"name": "...", "q": "..."}`, both required, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchInput {
    /// The name.
    pub name: String,
    /// The query text.
    pub q: String,
}

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// The body is not JSON (a 400): the message says where.
    Json(String),
    /// The body is JSON but not a valid saved search (a 422): every problem, by JSON pointer.
    Invalid(Vec<FieldError>),
}

/// Reads and checks a `POST` or `PUT` body. On success the name is trimmed and `q` is the canonical
/// text of the parsed query; every problem is reported, not only the first.
pub fn read_input(body: &str) -> Result<SavedSearchInput, InputError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        InputError::Json(format!(
            "the body does not parse as JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(InputError::Invalid(vec![FieldError::new(
            "",
            "the body must be a JSON object like {\"name\": \"Failed logins\", \"q\": \"outcome:failure\"}",
        )]));
    };
    let mut errors = Vec::new();
    let mut unknown: Vec<&String> = fields
        .keys()
        .filter(|k| *k != "name" && *k != "q")
        .collect();
    unknown.sort();
    for key in unknown {
        errors.push(FieldError::new(
            format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            format!("unknown field `{key}`; a saved search has only `name` and `q`"),
        ));
    }
    let text = |field: &str| match fields.get(field) {
        None => Err(format!("`{field}` is required")),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(format!("`{field}` must be a string")),
    };
    let name = text("name").and_then(check_name);
    let q = text("q").and_then(|q| {
        query::parse(q)
            .map(|parsed| query::print(&parsed))
            .map_err(|e| format!("`q`: {e}"))
    });
    match (name, q) {
        (Ok(name), Ok(q)) if errors.is_empty() => Ok(SavedSearchInput { name, q }),
        (name, q) => {
            if let Err(message) = name {
                errors.push(FieldError::new("/name", message));
            }
            if let Err(message) = q {
                errors.push(FieldError::new("/q", message));
            }
            Err(InputError::Invalid(errors))
        }
    }
}

/// A name as stored: trimmed, 1 to [`MAX_NAME_CHARS`] characters, with no control characters.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        Err("`name` must not be empty".into())
    } else if chars > MAX_NAME_CHARS {
        Err(format!(
            "`name` is {chars} characters long; the limit is {MAX_NAME_CHARS}"
        ))
    } else if name.chars().any(char::is_control) {
        Err("`name` must not hold control characters such as line breaks or tabs".into())
    } else {
        Ok(name.to_string())
    }
}

/// A new saved search id: a lowercase hyphenated UUIDv4 from 16 random bytes (randomness is passed in
/// so this stays pure).
pub fn new_id(random: [u8; 16]) -> String {
    Builder::from_random_bytes(random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// True when `text` could be a saved search id (a lowercase hyphenated UUID); anything else cannot
/// name one, so it is not looked up.
pub fn is_id(text: &str) -> bool {
    crate::ids::is_event_id(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(body: &str) -> Vec<FieldError> {
        match read_input(body) {
            Err(InputError::Invalid(errors)) => errors,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_good_body_is_trimmed_and_canonical() {
        let input = read_input(
            r#"{"name": "  Failed logins ", "q": "  ACTOR:\"jane\"   outcome:failure"}"#,
        )
        .unwrap();
        assert_eq!(input.name, "Failed logins");
        assert_eq!(input.q, "actor:jane outcome:failure");
        // The empty query matches everything and may be saved.
        assert_eq!(read_input(r#"{"name": "All", "q": ""}"#).unwrap().q, "");
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let errors = invalid(r#"{"name": " ", "q": "actr:alice", "colour": 1, "a/b": 2}"#);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/a~1b", "/colour", "/name", "/q"]);
        assert!(errors[1].message.contains("unknown field `colour`"));
        assert!(errors[2].message.contains("must not be empty"));
        assert!(
            errors[3].message.starts_with("`q`: unknown field"),
            "{}",
            errors[3].message
        );
        assert!(
            errors[3].message.contains("(at 0..4)"),
            "{}",
            errors[3].message
        );
    }

    #[test]
    fn missing_and_mistyped_fields() {
        let errors = invalid(r#"{"name": 5}"#);
        assert_eq!(
            errors[0],
            FieldError::new("/name", "`name` must be a string")
        );
        assert_eq!(errors[1], FieldError::new("/q", "`q` is required"));
        assert_eq!(invalid("[]")[0].path, "");
        assert!(matches!(read_input("{"), Err(InputError::Json(m)) if m.contains("line 1")));
    }

    #[test]
    fn names_are_bounded_in_characters() {
        assert!(check_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        let long = check_name(&"é".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
        assert!(long.contains("101 characters"), "{long}");
        assert!(check_name("a\nb").is_err());
    }

    #[test]
    fn ids_are_v4() {
        let id = new_id([7; 16]);
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
        assert!(is_id(&id));
        assert!(!is_id("1; DROP TABLE saved_searches"));
        assert_ne!(new_id([1; 16]), new_id([2; 16]));
    }
}
