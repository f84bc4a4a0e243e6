//! A small parser for the text Kotlin data classes and Lombok's `@ToString` print, as found in Airbyte's
//! audit messages: `AuditLogEntry(id=..., user=User(userId=..., userAgent=...), summary={json}, ...)`.
//!
//! That text was never meant to be read back: values are not quoted, so a value ends where the next
//! `, name=` or the enclosing `)` starts. User agents hold commas and parentheses
//! (`Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)`) and summaries hold JSON with
//! braces, commas and quotes. So a plain value is read with bracket depth tracked, and a `,` or `)` only
//! ends it when what follows really is the next field or the end of the record; JSON values are read by a
//! JSON parser; nested records by recursion. If the depth never comes back to zero (an unbalanced `(` in a
//! user agent), the value is read again ignoring depth. Where the caller knows a class's fields
//! (`AuditLogEntry`'s), only those names start a next field: `errorMessage=Failed, permissionId=abc` is
//! one value, not a message cut short and a field no one reads.

use serde_json::Value;

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kt {
    /// The text `null`.
    Null,
    /// Anything unquoted, as printed.
    Text(String),
    /// A value that is JSON (a summary).
    Json(Value),
    /// A nested record, e.g. `User(...)`.
    Record(Record),
}

/// A record: its class name and fields in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) name: String,
    pub(crate) fields: Vec<(String, Kt)>,
}

impl Record {
    /// The field called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Kt> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The name of a field that appears twice in this record or a nested one, if any.
    fn repeated_field(&self) -> Option<&str> {
        self.fields
            .iter()
            .enumerate()
            .find_map(|(i, (name, value))| {
                if self.fields[..i].iter().any(|(earlier, _)| earlier == name) {
                    return Some(name.as_str());
                }
                match value {
                    Kt::Record(nested) => nested.repeated_field(),
                    _ => None,
                }
            })
    }

    /// The field called `name` as text (`None` for `null`, records and empty text).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Kt::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            Kt::Json(Value::String(s)) => Some(s.clone()),
            Kt::Json(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            _ => None,
        }
    }
}

/// Classes whose fields are known, as (class, field names). In a record of one of them, `, name=` starts
/// the next field only when `name` is one of its fields; in a record of any other class, every name does.
pub(crate) type KnownFields<'k> = &'k [(&'k str, &'k [&'k str])];

/// Where and why the text does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// 1-based character position in the parsed text.
    pub(crate) column: usize,
    /// What was expected there.
    pub(crate) expected: String,
}

/// Parses one record that starts at the beginning of `text` and ends with it (whitespace aside).
///
/// Values are not quoted, so a value that holds text shaped like fields (a user agent of
/// `X), actionName=listWorkspaces, success=false)`) can end its record early and put its own fields
/// in. The reading would then leave text after the record, or name a field twice: either is refused
/// rather than read as something other than what was logged.
pub(crate) fn parse_record(text: &str, known: KnownFields<'_>) -> Result<Record, ParseError> {
    let mut p = Parser {
        s: text,
        pos: 0,
        known,
        open: Vec::new(),
    };
    let record = p.record()?;
    p.skip_ws();
    if !p.rest().is_empty() {
        return p.fail(format!(
            "the end of the text after `{}(...)`: a value holds text that reads as fields",
            record.name
        ));
    }
    match record.repeated_field() {
        Some(name) => Err(ParseError {
            column: 1,
            expected: format!(
                "each field once, but `{name}` appears twice: a value holds text that reads as fields"
            ),
        }),
        None => Ok(record),
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    known: KnownFields<'a>,
    /// Classes of the records being read, innermost last.
    open: Vec<&'a str>,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn fail<T>(&self, expected: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            column: self.s[..self.pos].chars().count() + 1,
            expected: expected.into(),
        })
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    fn record(&mut self) -> Result<Record, ParseError> {
        let Some(len) = ident_len(self.rest()) else {
            return self.fail("a record name like `AuditLogEntry`");
        };
        let class = &self.rest()[..len];
        self.open.push(class);
        let record = self.fields(class.to_string());
        self.open.pop();
        record
    }

    fn fields(&mut self, name: String) -> Result<Record, ParseError> {
        self.pos += name.len();
        if !self.eat("(") {
            return self.fail(format!("`(` after `{name}`"));
        }
        let mut fields = Vec::new();
        self.skip_ws();
        if self.eat(")") {
            return Ok(Record { name, fields });
        }
        loop {
            self.skip_ws();
            let Some(len) = ident_len(self.rest()) else {
                return self.fail(format!("a field name in `{name}(...)`"));
            };
            let key = self.rest()[..len].to_string();
            self.pos += len;
            if !self.eat("=") {
                return self.fail(format!("`=` after `{key}`"));
            }
            let value = self.value(&key)?;
            fields.push((key, value));
            if self.eat(")") {
                return Ok(Record { name, fields });
            }
            if !self.eat(",") {
                return self.fail(format!("`,` or `)` closing `{name}(`"));
            }
        }
    }

    fn value(&mut self, key: &str) -> Result<Kt, ParseError> {
        let start = self.pos;
        if self.rest().starts_with("null") && self.ends_value(&self.s[start + 4..]) {
            self.pos += 4;
            return Ok(Kt::Null);
        }
        // A nested record's own error is the useful one when the value cannot be read as text either.
        let mut nested_error = None;
        let starts_upper = self.rest().starts_with(|c: char| c.is_ascii_uppercase());
        if let Some(len) = ident_len(self.rest()).filter(|_| starts_upper) {
            if self.rest()[len..].starts_with('(') {
                match self.record() {
                    Ok(record) if self.ends_value(self.rest()) => return Ok(Kt::Record(record)),
                    Ok(_) => {}
                    Err(e) => nested_error = Some(e),
                }
                self.pos = start;
            }
        }
        if self.rest().starts_with(['{', '[']) {
            let mut stream = serde_json::Deserializer::from_str(self.rest()).into_iter::<Value>();
            if let Some(Ok(value)) = stream.next() {
                let end = start + stream.byte_offset();
                if self.ends_value(&self.s[end..]) {
                    self.pos = end;
                    return Ok(Kt::Json(value));
                }
            }
        }
        let rest = self.rest();
        match self
            .scan_plain(rest, true)
            .or_else(|| self.scan_plain(rest, false))
        {
            Some(len) => {
                self.pos += len;
                Ok(Kt::Text(rest[..len].to_string()))
            }
            None => match nested_error {
                Some(e) => Err(e),
                None => self.fail(format!(
                    "the end of `{key}=`'s value: a `, name=` or `)` after it"
                )),
            },
        }
    }
}

/// Length of the identifier `[A-Za-z_][A-Za-z0-9_]*` at the start of `s`.
fn ident_len(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    Some(
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len()),
    )
}

impl Parser<'_> {
    /// True when `rest` starts with `, name=` and `name` is a field of the record `up` levels out from
    /// the innermost one being read.
    fn next_field(&self, rest: &str, up: usize) -> bool {
        let Some(after) = rest.strip_prefix(',') else {
            return false;
        };
        let after = after.trim_start();
        let Some(len) = ident_len(after).filter(|len| after[*len..].starts_with('=')) else {
            return false;
        };
        let Some(class) = self.open.len().checked_sub(up + 1).map(|i| self.open[i]) else {
            return false;
        };
        match self.known.iter().find(|(known, _)| *known == class) {
            Some((_, fields)) => fields.contains(&&after[..len]),
            None => true,
        }
    }

    /// True when a value may end right before `rest`: the next field follows, or closing parentheses
    /// followed by the next field of an outer record or by the end of the text.
    fn ends_value(&self, rest: &str) -> bool {
        if self.next_field(rest, 0) {
            return true;
        }
        if !rest.starts_with(')') {
            return false;
        }
        let after = rest.trim_start_matches(')');
        after.trim().is_empty() || self.next_field(after, rest.len() - after.len())
    }

    /// Length of a plain value at the start of `s`. With `depth`, brackets opened inside the value must
    /// close before a `,` or `)` can end it.
    fn scan_plain(&self, s: &str, depth: bool) -> Option<usize> {
        let mut level = 0usize;
        for (i, c) in s.char_indices() {
            match c {
                '(' | '[' | '{' if depth => level += 1,
                ')' | ']' | '}' if depth && level > 0 => level -= 1,
                ',' | ')' if level == 0 && self.ends_value(&s[i..]) => return Some(i),
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_records_json_and_user_agents() {
        let r = parse_record(
            "E(id=1, user=User(userId=u, agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.0), summary={\"a\":\"x), b=(\",\"n\":[1,{\"c\":null}]}, ok=true, err=null)",
            &[],
        )
        .unwrap();
        assert_eq!(r.name, "E");
        assert_eq!(r.text("id").as_deref(), Some("1"));
        let Some(Kt::Record(user)) = r.get("user") else {
            panic!("{r:?}")
        };
        assert_eq!(
            user.text("agent").as_deref(),
            Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.0"
            )
        );
        assert_eq!(
            r.get("summary"),
            Some(&Kt::Json(json!({"a": "x), b=(", "n": [1, {"c": null}]})))
        );
        assert_eq!(r.get("err"), Some(&Kt::Null));
        assert_eq!(r.text("ok").as_deref(), Some("true"));
    }

    #[test]
    fn unbalanced_brackets_in_plain_values() {
        let r = parse_record("U(agent=Weird (agent; v1, mode=x, email=a@b.c)", &[]).unwrap();
        assert_eq!(r.text("agent").as_deref(), Some("Weird (agent; v1"));
        assert_eq!(r.text("mode").as_deref(), Some("x"));
        let r = parse_record("U(agent=curl/8 :-) ok, email=a@b.c)", &[]).unwrap();
        assert_eq!(r.text("agent").as_deref(), Some("curl/8 :-) ok"));
        let r = parse_record("U(map={a=1, b=2}, n=null)", &[]).unwrap();
        assert_eq!(r.text("map").as_deref(), Some("{a=1, b=2}"));
        assert_eq!(parse_record("U()", &[]).unwrap().fields, vec![]);
    }

    /// A user agent shaped like the fields after it ends `User(...)` early: the record it makes
    /// would leave the real fields as text after it, or name a field twice. Both are refused.
    #[test]
    fn values_that_read_as_fields_are_refused() {
        let injected = "E(user=User(userId=u, userAgent=X), actionName=listWorkspaces, \
             success=false, errorMessage=null)), actionName=updatePermission, success=true, \
             errorMessage=null)";
        let e = parse_record(injected, &[]).unwrap_err();
        assert!(e.expected.contains("reads as fields"), "{e:?}");
        let twice = "E(errorMessage=Denied, user=abc lacks role, user=User(userId=u))";
        let e = parse_record(twice, &[]).unwrap_err();
        assert!(e.expected.contains("`user` appears twice"), "{e:?}");
        let nested = "E(user=User(userId=u, email=a@b.c, email=x@y.z), n=1)";
        assert!(parse_record(nested, &[]).is_err());
        assert!(parse_record("E(a=1, b=2)  ", &[]).is_ok());
    }

    /// In a class whose fields are known, `, name=` with a name that is none of them stays in the value.
    #[test]
    fn only_known_fields_end_a_value() {
        let known: KnownFields<'_> = &[("E", &["id", "user", "errorMessage"])];
        let r = parse_record(
            "E(id=1, user=User(userId=u, agent=a, b=c), errorMessage=Failed to update permission, permissionId=abc)",
            known,
        )
        .unwrap();
        assert_eq!(
            r.text("errorMessage").as_deref(),
            Some("Failed to update permission, permissionId=abc")
        );
        assert_eq!(r.get("permissionId"), None);
        let Some(Kt::Record(user)) = r.get("user") else {
            panic!("{r:?}")
        };
        assert_eq!(user.text("b").as_deref(), Some("c"));
        let r = parse_record("E(errorMessage=x, permissionId=abc)", &[]).unwrap();
        assert_eq!(r.text("permissionId").as_deref(), Some("abc"));
    }

    #[test]
    fn errors_say_where() {
        let e = parse_record("AuditLogEntry(id)", &[]).unwrap_err();
        assert_eq!(e.column, 17);
        assert!(e.expected.contains("`=` after `id`"), "{e:?}");
        let e = parse_record("AuditLogEntry(id=1", &[]).unwrap_err();
        assert_eq!(e.column, 18);
        assert!(e.expected.contains("`id=`"), "{e:?}");
        assert!(parse_record("(x=1)", &[]).is_err());
    }
}
