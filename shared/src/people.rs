//! People, invites and sign-in on the wire (SPEC 6): what `/api/v1/people`, `/api/v1/invites` and
//! `/api/v1/session` answer, and the checks of what they are sent. Every problem in a body is
//! reported by JSON pointer, not only the first.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::FieldError;
use crate::roles::Role;
use crate::saved_search::InputError;

/// The longest e-mail address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest display name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// A person as the API shows them: never their password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// A lowercase hyphenated UUIDv4.
    pub id: String,
    /// Lowercased; a member sees the events whose `actor.email` is this.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// When they joined (RFC 3339, UTC, milliseconds).
    pub created_at: String,
    /// Who invited them (an actor id).
    pub created_by: String,
}

/// `GET /api/v1/people`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonList {
    /// Everyone in the tenant, by e-mail.
    pub people: Vec<Person>,
}

/// An invite as the API shows it: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// A lowercase hyphenated UUIDv4.
    pub id: String,
    /// Who it is for, lowercased.
    pub email: String,
    /// The role they get.
    pub role: Role,
    /// When it was made.
    pub created_at: String,
    /// Who made it (an actor id).
    pub created_by: String,
    /// When the link stops working.
    pub expires_at: String,
    /// When it was used, or `null`.
    pub used_at: Option<String>,
}

/// `GET /api/v1/invites`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteList {
    /// The tenant's invites, newest first.
    pub invites: Vec<Invite>,
}

/// `POST /api/v1/invites` answers the invite and its link, the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    /// The invite.
    #[serde(flatten)]
    pub invite: Invite,
    /// The secret the link carries.
    pub token: String,
    /// The dashboard path that accepts it: `/invite#<token>` (a fragment, so it never reaches
    /// server logs or `Referer` headers).
    pub path: String,
}

/// Who is calling, for `GET /api/v1/session` and the sign-in answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The tenant.
    pub tenant: String,
    /// The signed-in person.
    pub person: Person,
    /// Send it back as `X-CSRF-Token` on every request that changes something (`""` when signed in
    /// through Cloudflare Access, which needs none).
    pub csrf_token: String,
    /// When the session ends at the latest (RFC 3339); `null` through Cloudflare Access, whose own
    /// session decides.
    pub expires_at: Option<String>,
    /// How the person signed in: `password` (sign out with `DELETE /api/v1/session`) or `access`
    /// (sign out at `/cdn-cgi/access/logout`).
    pub sign_in: String,
    /// What the person may do, by [`crate::roles::Power::as_str`] name.
    pub powers: Vec<String>,
}

/// `POST /api/v1/invites`: `{"email", "role"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteInput {
    /// Lowercased and trimmed.
    pub email: String,
    /// The role to give.
    pub role: Role,
}

/// `POST /api/v1/invites/accept`: `{"token", "name", "password"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptInput {
    /// The invite's token.
    pub token: String,
    /// Display name, trimmed.
    pub name: String,
    /// The new password (checked against the policy by the worker).
    pub password: String,
}

/// `POST /api/v1/session`: `{"email", "password"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInInput {
    /// Lowercased and trimmed.
    pub email: String,
    /// As typed.
    pub password: String,
}

/// `PATCH /api/v1/people/{id}`: `{"role"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleInput {
    /// The new role.
    pub role: Role,
}

/// An e-mail address as stored and matched: trimmed and lowercased, one `@` with text on both sides,
/// no spaces or control characters, at most [`MAX_EMAIL_CHARS`].
pub fn check_email(text: &str) -> Result<String, String> {
    let email = text.trim().to_lowercase();
    let chars = email.chars().count();
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && domain.contains('.')
        }
        None => false,
    };
    if chars > MAX_EMAIL_CHARS {
        Err(format!(
            "`email` is {chars} characters long; the limit is {MAX_EMAIL_CHARS}"
        ))
    } else if !well_formed || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!(
            "`email` must be an e-mail address like ada@example.com, not `{}`",
            text.escape_debug()
        ))
    } else {
        Ok(email)
    }
}

fn check_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let chars = name.chars().count();
    if chars == 0 {
        Err("`name` must not be empty".into())
    } else if chars > MAX_NAME_CHARS {
        Err(format!(
            "`name` is {chars} characters long; the limit is {MAX_NAME_CHARS}"
        ))
    } else if name.chars().any(char::is_control) {
        Err("`name` must not hold control characters".into())
    } else {
        Ok(name.to_string())
    }
}

fn check_role(value: Option<&Value>) -> Result<Role, String> {
    let expected = "`owner`, `admin`, `auditor` or `member`";
    match value {
        None => Err(format!("`role` is required: {expected}")),
        Some(Value::String(s)) => Role::parse(s)
            .ok_or_else(|| format!("`role` must be {expected}, not `{}`", s.escape_debug())),
        Some(_) => Err(format!("`role` must be a string: {expected}")),
    }
}

fn string(fields: &Map<String, Value>, name: &str) -> Result<String, String> {
    match fields.get(name) {
        None => Err(format!("`{name}` is required")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("`{name}` must be a string")),
    }
}

/// The body as a JSON object holding only `allowed` fields; unknown fields are errors in `errors`.
fn object(
    body: &str,
    allowed: &[&str],
    example: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Map<String, Value>, InputError> {
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
            format!("the body must be a JSON object like {example}"),
        )]));
    };
    let mut unknown: Vec<&String> = fields
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    unknown.sort();
    for key in unknown {
        errors.push(FieldError::new(
            format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            format!(
                "unknown field `{key}`; expected only {}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(fields)
}

/// Collects each field's problem under its pointer.
fn finish<T>(
    mut errors: Vec<FieldError>,
    problems: &[(&str, Option<String>)],
    value: Option<T>,
) -> Result<T, InputError> {
    for (path, problem) in problems {
        if let Some(message) = problem {
            errors.push(FieldError::new(*path, message.clone()));
        }
    }
    match value {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(InputError::Invalid(errors)),
    }
}

/// Reads `POST /api/v1/invites`.
pub fn read_invite(body: &str) -> Result<InviteInput, InputError> {
    let mut errors = Vec::new();
    let example = r#"{"email": "ada@example.com", "role": "auditor"}"#;
    let fields = object(body, &["email", "role"], example, &mut errors)?;
    let email = string(&fields, "email").and_then(|e| check_email(&e));
    let role = check_role(fields.get("role"));
    let problems = [
        ("/email", email.clone().err()),
        ("/role", role.clone().err()),
    ];
    let value = email
        .ok()
        .zip(role.ok())
        .map(|(email, role)| InviteInput { email, role });
    finish(errors, &problems, value)
}

/// Reads `POST /api/v1/invites/accept`.
pub fn read_accept(body: &str) -> Result<AcceptInput, InputError> {
    let mut errors = Vec::new();
    let example = r#"{"token": "...", "name": "Ada Lovelace", "password": "..."}"#;
    let fields = object(body, &["token", "name", "password"], example, &mut errors)?;
    let token = string(&fields, "token");
    let name = string(&fields, "name").and_then(|n| check_name(&n));
    let password = string(&fields, "password");
    let problems = [
        ("/token", token.clone().err()),
        ("/name", name.clone().err()),
        ("/password", password.clone().err()),
    ];
    let value = match (token, name, password) {
        (Ok(token), Ok(name), Ok(password)) => Some(AcceptInput {
            token,
            name,
            password,
        }),
        _ => None,
    };
    finish(errors, &problems, value)
}

/// Reads `POST /api/v1/session`. The e-mail is only checked for being a string: any other text
/// simply matches no one, with the same answer as a wrong password.
pub fn read_sign_in(body: &str) -> Result<SignInInput, InputError> {
    let mut errors = Vec::new();
    let example = r#"{"email": "ada@example.com", "password": "..."}"#;
    let fields = object(body, &["email", "password"], example, &mut errors)?;
    // Checked as an invite's is (a malformed one is no one's, so saying so tells nothing): each
    // e-mail signed in with is a row of the failure counts, which must stay small.
    let email = string(&fields, "email").and_then(|e| check_email(&e));
    let password = string(&fields, "password");
    let problems = [
        ("/email", email.clone().err()),
        ("/password", password.clone().err()),
    ];
    let value = email
        .ok()
        .zip(password.ok())
        .map(|(email, password)| SignInInput { email, password });
    finish(errors, &problems, value)
}

/// Reads `PATCH /api/v1/people/{id}`.
pub fn read_role(body: &str) -> Result<RoleInput, InputError> {
    let mut errors = Vec::new();
    let fields = object(body, &["role"], r#"{"role": "admin"}"#, &mut errors)?;
    let role = check_role(fields.get("role"));
    let problems = [("/role", role.clone().err())];
    finish(errors, &problems, role.ok().map(|role| RoleInput { role }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(result: Result<impl std::fmt::Debug, InputError>) -> Vec<(String, String)> {
        match result {
            Err(InputError::Invalid(errors)) => {
                errors.into_iter().map(|e| (e.path, e.message)).collect()
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            check_email("  Ada@Example.COM "),
            Ok("ada@example.com".into())
        );
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check_email(&long).unwrap_err().contains("limit is 254"));
    }

    #[test]
    fn invites_name_every_problem_by_pointer() {
        assert_eq!(
            read_invite(r#"{"email": "Ada@example.com", "role": "auditor"}"#).unwrap(),
            InviteInput {
                email: "ada@example.com".into(),
                role: Role::Auditor
            }
        );
        let found = problems(read_invite(r#"{"email": "nope", "role": "root", "x": 1}"#));
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/x", "/email", "/role"]);
        assert!(found[2].1.contains("not `root`"));
        assert!(matches!(read_invite("{"), Err(InputError::Json(_))));
        assert_eq!(problems(read_invite("[]"))[0].0, "");
    }

    #[test]
    fn accept_sign_in_and_role_bodies() {
        let accept = read_accept(r#"{"token": "t", "name": " Ada ", "password": "p"}"#).unwrap();
        assert_eq!(accept.name, "Ada");
        let found = problems(read_accept(r#"{"token": 5, "name": ""}"#));
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/token", "/name", "/password"]);
        let sign_in = read_sign_in(r#"{"email": " X@Y.org", "password": " p "}"#).unwrap();
        assert_eq!(
            (sign_in.email.as_str(), sign_in.password.as_str()),
            ("x@y.org", " p ")
        );
        let paths = |body: &str| -> Vec<String> {
            problems(read_sign_in(body))
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        };
        assert_eq!(paths(r#"{"email": "x@y.org"}"#), ["/password"]);
        assert_eq!(paths(r#"{"email": "x"}"#), ["/email", "/password"]);
        // An e-mail longer than any address may be is refused before it is counted or looked up.
        let long = format!(
            r#"{{"email": "{}@y.org", "password": "p"}}"#,
            "a".repeat(5_000)
        );
        assert_eq!(paths(&long), ["/email"]);
        assert_eq!(
            read_role(r#"{"role": "member"}"#).unwrap().role,
            Role::Member
        );
        assert_eq!(
            problems(read_role("{}"))[0].1,
            "`role` is required: `owner`, `admin`, `auditor` or `member`"
        );
    }
}
