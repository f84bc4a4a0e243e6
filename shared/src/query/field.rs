//! The fields a query can name (SPEC 4.1), their canonical spellings, and the "did you mean" that
//! turns a typo into a suggestion instead of a silent full-text search.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ast::Span;
use super::error::QueryError;
use super::lexer::is_space;

/// Longest `metadata.<key>` key.
pub const MAX_METADATA_KEY_CHARS: usize = 64;

pub(crate) const METADATA_PREFIX: &str = "metadata.";

/// A field that a `field:value` term filters on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `actor`: the actor's e-mail when the value has an `@`, else its id.
    Actor,
    /// `actor.type`
    ActorType,
    /// `actor.id`
    ActorId,
    /// `action`
    Action,
    /// `category`
    Category,
    /// `outcome`
    Outcome,
    /// `severity`
    Severity,
    /// `target`: any target's id, or its `type:id`.
    Target,
    /// `target.type`
    TargetType,
    /// `target.id`
    TargetId,
    /// `env`
    Env,
    /// `org`
    Org,
    /// `workspace`
    Workspace,
    /// `project`
    Project,
    /// `app`
    App,
    /// `ip`
    Ip,
    /// `country`
    Country,
    /// `session`
    Session,
    /// `request`
    Request,
    /// `source`
    Source,
    /// `occurred`: the time field.
    Occurred,
    /// `duration`: the duration field.
    Duration,
    /// `metadata.<key>`; the key keeps its case.
    Metadata(String),
}

/// What kind of values a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Exact and prefix matches.
    Text,
    /// Comparisons with times (`occurred`).
    Time,
    /// Comparisons with durations (`duration`).
    Duration,
}

impl Field {
    /// Every field except `metadata.<key>`, in the order the SPEC lists them.
    pub const FIXED: [Field; 22] = [
        Field::Actor,
        Field::ActorType,
        Field::ActorId,
        Field::Action,
        Field::Category,
        Field::Outcome,
        Field::Severity,
        Field::Target,
        Field::TargetType,
        Field::TargetId,
        Field::Env,
        Field::Org,
        Field::Workspace,
        Field::Project,
        Field::App,
        Field::Ip,
        Field::Country,
        Field::Session,
        Field::Request,
        Field::Source,
        Field::Occurred,
        Field::Duration,
    ];

    /// The canonical (lower-case) name, e.g. `actor.type` or `metadata.region`; a metadata key
    /// that a bare name cannot hold is quoted, `metadata."Cost Center"`.
    pub fn name(&self) -> Cow<'_, str> {
        match self {
            Field::Metadata(key) if is_bare_metadata_key(key) => {
                Cow::Owned(format!("{METADATA_PREFIX}{key}"))
            }
            Field::Metadata(key) => Cow::Owned(format!(
                "{METADATA_PREFIX}\"{}\"",
                key.replace('\\', "\\\\").replace('"', "\\\"")
            )),
            fixed => Cow::Borrowed(fixed.fixed_name()),
        }
    }

    fn fixed_name(&self) -> &'static str {
        match self {
            Field::Actor => "actor",
            Field::ActorType => "actor.type",
            Field::ActorId => "actor.id",
            Field::Action => "action",
            Field::Category => "category",
            Field::Outcome => "outcome",
            Field::Severity => "severity",
            Field::Target => "target",
            Field::TargetType => "target.type",
            Field::TargetId => "target.id",
            Field::Env => "env",
            Field::Org => "org",
            Field::Workspace => "workspace",
            Field::Project => "project",
            Field::App => "app",
            Field::Ip => "ip",
            Field::Country => "country",
            Field::Session => "session",
            Field::Request => "request",
            Field::Source => "source",
            Field::Occurred => "occurred",
            Field::Duration => "duration",
            Field::Metadata(_) => "metadata",
        }
    }

    /// What kind of values the field takes.
    pub fn kind(&self) -> FieldKind {
        match self {
            Field::Occurred => FieldKind::Time,
            Field::Duration => FieldKind::Duration,
            _ => FieldKind::Text,
        }
    }

    /// The field named `name`, ignoring ASCII case (except in a metadata key); `None` when there is
    /// no such field or the metadata key is invalid.
    pub fn from_name(name: &str) -> Option<Field> {
        if let Some(key) = metadata_key(name) {
            return is_valid_metadata_key(key).then(|| Field::Metadata(key.to_owned()));
        }
        Field::FIXED
            .into_iter()
            .find(|f| f.fixed_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// 1 to [`MAX_METADATA_KEY_CHARS`] characters, not all spaces: any key ingest takes. A key with a
/// space, `:`, `"`, `,` or `\\` is written quoted, `metadata."Cost Center":x`.
pub fn is_valid_metadata_key(key: &str) -> bool {
    !key.chars().all(is_space) && key.chars().count() <= MAX_METADATA_KEY_CHARS
}

/// A key that can follow `metadata.` unquoted: a field name ends at a space, `:` or `"`, and `,`
/// and `\\` would read oddly.
fn is_bare_metadata_key(key: &str) -> bool {
    !key.chars()
        .any(|c| is_space(c) || matches!(c, ':' | '"' | ',' | '\\'))
}

/// The key of `metadata.<key>` (the prefix in any case).
fn metadata_key(name: &str) -> Option<&str> {
    let prefix = name.get(..METADATA_PREFIX.len())?;
    prefix
        .eq_ignore_ascii_case(METADATA_PREFIX)
        .then(|| &name[METADATA_PREFIX.len()..])
}

/// Every accepted field name, for error messages.
pub(crate) fn field_names() -> Vec<String> {
    Field::FIXED
        .iter()
        .map(|f| f.fixed_name().to_owned())
        .chain(["metadata.<key>".to_owned()])
        .collect()
}

/// The field written as `name` at `span`, or an error that says what would have been accepted.
pub(crate) fn resolve(name: &str, span: Span) -> Result<Field, QueryError> {
    if let Some(field) = Field::from_name(name) {
        return Ok(field);
    }
    if let Some(key) = metadata_key(name) {
        let key_span = Span::new(span.start + METADATA_PREFIX.len(), span.end);
        return Err(QueryError::new(
            if key.is_empty() { span } else { key_span },
            format!(
                "a metadata key must be 1 to {MAX_METADATA_KEY_CHARS} characters; one with spaces goes in double quotes, like `metadata.\"Cost Center\":x`"
            ),
        ));
    }
    let message = if name.eq_ignore_ascii_case("metadata") {
        "`metadata` needs a key, like `metadata.region:eu`".to_owned()
    } else if let Some(near) = suggest(name) {
        format!("unknown field `{name}`; did you mean `{near}`?")
    } else {
        format!(
            "unknown field `{name}`; to search for text containing `:`, put it in double quotes"
        )
    };
    Err(QueryError::new(span, message).expecting(field_names()))
}

/// The field `name` most likely misspells: within a small edit distance, or one name starting with
/// the other (`environment` → `env`).
fn suggest(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let allowed = if name.chars().count() <= 4 { 1 } else { 2 };
    let names = Field::FIXED.iter().map(Field::fixed_name);
    let nearest = names
        .clone()
        .map(|candidate| (edit_distance(&name, candidate), candidate))
        .min_by_key(|&(distance, _)| distance)
        .filter(|&(distance, _)| distance <= allowed)
        .map(|(_, candidate)| candidate);
    nearest.or_else(|| {
        names.clone().find(|candidate| {
            name.len() >= 3 && (candidate.starts_with(&name) || name.starts_with(candidate))
        })
    })
}

/// Edits (insert, delete, substitute, swap neighbours) that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between a[..i] and b[..j]; three rows suffice for the swap.
    let mut before = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitute = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitute.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for field in Field::FIXED {
            assert_eq!(Field::from_name(&field.name()), Some(field.clone()));
            assert_eq!(
                Field::from_name(&field.name().to_uppercase()),
                Some(field.clone())
            );
        }
        let mut names = field_names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Field::FIXED.len() + 1);
    }

    #[test]
    fn metadata_keys_keep_their_case_and_are_checked() {
        assert_eq!(
            Field::from_name("METADATA.Region_1"),
            Some(Field::Metadata("Region_1".into()))
        );
        assert_eq!(Field::from_name("metadata."), None);
        assert_eq!(
            Field::from_name(&format!("metadata.{}", "é".repeat(65))),
            None
        );
        assert!(Field::from_name(&format!("metadata.{}", "é".repeat(64))).is_some());
        assert_eq!(Field::Metadata("a.b".into()).name(), "metadata.a.b");
        assert_eq!(Field::Metadata("kéy".into()).name(), "metadata.kéy");
        // Keys a bare name cannot hold are printed quoted.
        assert_eq!(
            Field::Metadata("Cost Center".into()).name(),
            "metadata.\"Cost Center\""
        );
        assert_eq!(
            Field::Metadata("a:\"b\"\\".into()).name(),
            "metadata.\"a:\\\"b\\\"\\\\\""
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(Field::Occurred.kind(), FieldKind::Time);
        assert_eq!(Field::Duration.kind(), FieldKind::Duration);
        assert_eq!(Field::Metadata("x".into()).kind(), FieldKind::Text);
        assert_eq!(Field::Ip.kind(), FieldKind::Text);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("actr"), Some("actor"));
        assert_eq!(suggest("ACTR"), Some("actor"));
        assert_eq!(suggest("acotr"), Some("actor"));
        assert_eq!(suggest("actor_type"), Some("actor.type"));
        assert_eq!(suggest("enviroment"), Some("env"));
        assert_eq!(suggest("occured"), Some("occurred"));
        assert_eq!(suggest("http"), None);
        assert_eq!(suggest("zz"), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
