//! Keeps the pickers and the query bar in step: a picker's choice is a term of the search query, so
//! choosing `env = prod` writes `env:prod` into `q` (replacing an earlier `env:` term), and the picker
//! shows as chosen whatever `env:` term the query holds, typed or picked.
//!
//! Both directions read the query with the shared parser ([`evident_shared::query::parse`]), the one the
//! worker compiles, so the dashboard and the server agree on what a term is. The other terms are kept
//! as typed, one space apart; only the new term is written, its values quoted when they must be. It is
//! written here rather than with the shared printer, whose time and duration formatting the dashboard
//! would otherwise link for nothing; the tests check that the parser reads it back.

use evident_shared::query::{parse, Field, Term, TermKind, Value};

/// The values a picker for `field` shows as chosen: those of the first term `field:a,b` that is not
/// negated and holds only exact values. `None` when there is none or the query does not parse.
pub fn chosen(q: &str, field: &Field) -> Option<Vec<String>> {
    let query = parse(q).ok()?;
    query.terms.iter().find_map(|term| {
        let values = picker_values(term, field)?;
        values
            .iter()
            .map(|v| match v {
                Value::Exact(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    })
}

/// `q` with its picker terms for `field` replaced by `field:values` (removed when `values` is empty).
/// A term is a picker term when it is not negated; negated and full-text terms are left alone. `None`
/// when `q` does not parse: the query bar shows why, and the pickers wait for it to be fixed.
pub fn with_choice(q: &str, field: &Field, values: &[String]) -> Option<String> {
    let query = parse(q).ok()?;
    // The other terms as typed (quoted spaces and all), one space apart.
    let kept: Vec<&str> = query
        .terms
        .iter()
        .filter(|term| picker_values(term, field).is_none())
        .map(|term| &q[term.span.start..term.span.end])
        .collect();
    let mut out = kept.join(" ");
    if !values.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        // The user picker's values are actor ids, and `actor:` reads a value with an `@` as an
        // e-mail: such ids are written as `actor.id:`.
        let written = match field {
            Field::Actor if values.iter().any(|v| v.contains('@')) => &Field::ActorId,
            _ => field,
        };
        out.push_str(&written.name());
        out.push(':');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_value(&mut out, value);
        }
    }
    Some(out)
}

/// An exact value as the grammar reads it back: bare when it can be, else quoted with `"` and `\`
/// escaped (empty, a leading `-`, `<` or `>`, or a space, comma, quote, backslash or `*` inside).
fn push_value(out: &mut String, value: &str) {
    let quote = value.is_empty()
        || value.starts_with(['-', '<', '>'])
        || value.contains(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '*' | '\\'));
    if !quote {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn picker_values<'a>(term: &'a Term, field: &Field) -> Option<&'a [Value]> {
    match &term.kind {
        TermKind::Field { field: f, values } if picks(field, f) && !term.negated => Some(values),
        _ => None,
    }
}

/// Whether a term of `term_field` is the choice of the picker for `picker`: its own field, and for
/// the user picker `actor.id:` too, which it writes for ids with an `@`.
fn picks(picker: &Field, term_field: &Field) -> bool {
    term_field == picker || (*picker == Field::Actor && *term_field == Field::ActorId)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(q: &str, field: Field, values: &[&str]) -> Option<String> {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        with_choice(q, &field, &values)
    }

    #[test]
    fn choosing_adds_or_replaces_the_fields_term() {
        assert_eq!(set("", Field::Env, &["prod"]).unwrap(), "env:prod");
        assert_eq!(
            set("outcome:failure", Field::Env, &["prod"]).unwrap(),
            "outcome:failure env:prod"
        );
        assert_eq!(
            set(
                "env:dev  \"sales report\" env:staging x",
                Field::Env,
                &["prod"]
            )
            .unwrap(),
            "\"sales report\" x env:prod"
        );
        // Field names are case-insensitive; values that need quotes get them.
        assert_eq!(
            set("ENV:dev", Field::Env, &["eu west", "a,b"]).unwrap(),
            "env:\"eu west\",\"a,b\""
        );
    }

    #[test]
    fn clearing_removes_it_and_leaves_everything_else() {
        assert_eq!(
            set("env:prod action:app.*", Field::Env, &[]).unwrap(),
            "action:app.*"
        );
        // A negated term is the user's own exclusion, not a picker choice.
        assert_eq!(
            set("-env:dev", Field::Env, &["prod"]).unwrap(),
            "-env:dev env:prod"
        );
        assert_eq!(set("-env:dev", Field::Env, &[]).unwrap(), "-env:dev");
        // Spaces inside quotes are the value's own: kept as typed, tabs too.
        assert_eq!(
            set(
                "metadata.note:\"a  b\"\t \"x\ty\"  env:dev",
                Field::Env,
                &["prod"]
            )
            .unwrap(),
            "metadata.note:\"a  b\" \"x\ty\" env:prod"
        );
        assert_eq!(
            set("actr:x", Field::Env, &["prod"]),
            None,
            "an unreadable query"
        );
    }

    #[test]
    fn the_chosen_values_come_from_the_query() {
        assert_eq!(chosen("x env:prod", &Field::Env), Some(vec!["prod".into()]));
        assert_eq!(
            chosen("env:\"eu west\",dev", &Field::Env),
            Some(vec!["eu west".into(), "dev".into()])
        );
        assert_eq!(chosen("-env:prod", &Field::Env), None);
        assert_eq!(
            chosen("env:pr*", &Field::Env),
            None,
            "a prefix is not one value"
        );
        assert_eq!(chosen("env:prod", &Field::Workspace), None);
        assert_eq!(chosen("env:prod actr:x", &Field::Env), None);
        // What a picker writes, it reads back, whatever the value holds.
        for value in [
            "alice@corp.com",
            "",
            "-x",
            "<y",
            "a b",
            "a,b",
            "q\"t",
            "b\\s",
            "st*r",
            "é\tz",
        ] {
            let q = set("a", Field::Actor, &[value]).unwrap();
            assert_eq!(
                chosen(&q, &Field::Actor),
                Some(vec![value.to_owned()]),
                "{q}"
            );
        }
    }

    /// The user picker counts actor ids; `actor:` would read an id with an `@` as an e-mail and
    /// match nothing, so such ids are written as `actor.id:`, which the picker reads back and
    /// replaces like its own.
    #[test]
    fn ids_that_look_like_emails_are_chosen_by_id() {
        let q = set("env:prod", Field::Actor, &["alice@corp.com"]).unwrap();
        assert_eq!(q, "env:prod actor.id:alice@corp.com");
        assert_eq!(
            chosen(&q, &Field::Actor),
            Some(vec!["alice@corp.com".into()])
        );
        assert_eq!(set(&q, Field::Actor, &["u1"]).unwrap(), "env:prod actor:u1");
        assert_eq!(set(&q, Field::Actor, &[]).unwrap(), "env:prod");
        assert_eq!(chosen("actor:u1", &Field::Actor), Some(vec!["u1".into()]));
    }
}
