//! People and invites in D1 (`migrations/0009_people.sql`): the statements and the functions that run
//! them for `/api/v1/people`, `/api/v1/invites` and sign-in. Every statement is tenant-scoped except
//! the two that only know a secret or an e-mail (an invite's token, a sign-in), which is what tells
//! the tenant. Rules that need more than one row (the last owner stays) are checked in the statement
//! that writes, so two requests at once cannot both pass them.

use evident_shared::people::{Invite, Person};
use evident_shared::roles::Role;
use evident_shared::timestamp::format_rfc3339;
use serde::Deserialize;
use worker::D1Database;

use crate::error::{ApiError, Result};
use crate::sql::SqlValue;
use crate::store::statement;

/// How long an invite link works.
pub const INVITE_LIFETIME_MS: i64 = 7 * 24 * 3_600_000;
/// The most people a tenant may have, and the most invites it may keep.
pub const MAX_PER_TENANT: i64 = 10_000;

macro_rules! person_columns {
    () => {
        "id, email, name, role, created_at, created_by"
    };
}

macro_rules! invite_columns {
    () => {
        "id, email, role, created_at, created_by, expires_at, used_at"
    };
}

/// Everyone in a tenant, by e-mail. `?1` tenant, `?2` limit.
pub const SELECT_PEOPLE: &str = concat!(
    "SELECT ",
    person_columns!(),
    " FROM people WHERE tenant = ?1 ORDER BY email LIMIT ?2"
);

/// One person. `?1` tenant, `?2` id.
pub const SELECT_PERSON: &str = concat!(
    "SELECT ",
    person_columns!(),
    " FROM people WHERE tenant = ?1 AND id = ?2"
);

/// Whoever has an e-mail, in any tenant, with the password hash: sign-in. `?1` e-mail.
pub const SELECT_SIGN_IN: &str = concat!(
    "SELECT tenant, password, ",
    person_columns!(),
    " FROM people WHERE email = ?1 LIMIT 8"
);

/// Changes a role, unless it would leave the tenant without an owner (counted in the statement).
/// Returns the person, or nothing. `?1` tenant, `?2` id, `?3` role.
pub const UPDATE_ROLE: &str = concat!(
    "UPDATE people SET role = ?3 WHERE tenant = ?1 AND id = ?2 AND (role != 'owner' OR ?3 = 'owner' \
     OR (SELECT count(*) FROM people WHERE tenant = ?1 AND role = 'owner') > 1) RETURNING ",
    person_columns!()
);

/// Removes a person unless they are the last owner. Returns them, or nothing. `?1` tenant, `?2` id.
pub const DELETE_PERSON: &str = concat!(
    "DELETE FROM people WHERE tenant = ?1 AND id = ?2 AND (role != 'owner' \
     OR (SELECT count(*) FROM people WHERE tenant = ?1 AND role = 'owner') > 1) RETURNING ",
    person_columns!()
);

/// Ends every session of a person who is gone: run in the same batch as, and after, their removal
/// (a refused removal ends nothing). `?1` tenant, `?2` person id.
pub const DELETE_SESSIONS_OF: &str = "DELETE FROM sessions WHERE tenant = ?1 AND person_id = ?2 \
     AND NOT EXISTS (SELECT 1 FROM people WHERE tenant = ?1 AND id = ?2)";

/// Everything a person answers for: themselves, the keys they made, and the keys those keys made,
/// at any depth (revoked keys included, so what they made still leads back). A key's `created_by` is
/// the key that made it, so without the recursion a key made with an admin's key would outlive the
/// admin. `?1` tenant, `?2` person id.
macro_rules! made_by_person {
    () => {
        "WITH RECURSIVE made(id) AS (SELECT ?2 UNION \
         SELECT k.id FROM api_keys k JOIN made ON k.created_by = made.id WHERE k.tenant = ?1) "
    };
}

/// What a person handed out that still works, themselves or through their keys ([`made_by_person`]):
/// the API keys in force (`role` NULL), and the invites still waiting (with the role each grants).
/// `?1` tenant, `?2` person id, `?3` now.
pub const SELECT_GRANTS_OF: &str = concat!(
    made_by_person!(),
    "SELECT 'api_key' AS kind, id, NULL AS role FROM api_keys \
     WHERE tenant = ?1 AND created_by IN (SELECT id FROM made) AND revoked_at IS NULL \
     UNION ALL SELECT 'invite' AS kind, id, role FROM invites \
     WHERE tenant = ?1 AND created_by IN (SELECT id FROM made) AND used_at IS NULL \
     AND expires_at > ?3 ORDER BY 1, 2"
);

/// Revokes the keys a person made, themselves or through their keys, once they may no longer make
/// keys: run in the same batch as, and after, their role change or removal, so it sees the outcome
/// (a refused change revokes nothing). `?1` tenant, `?2` person id, `?3` now.
pub const REVOKE_KEYS_OF: &str = concat!(
    made_by_person!(),
    "UPDATE api_keys SET revoked_at = ?3 \
     WHERE tenant = ?1 AND created_by IN (SELECT id FROM made) AND revoked_at IS NULL \
     AND NOT EXISTS \
     (SELECT 1 FROM people WHERE tenant = ?1 AND id = ?2 AND role IN ('owner', 'admin'))"
);

/// Withdraws the waiting invites a person made, themselves or through their keys, that they could
/// no longer make: all of them once they are neither owner nor admin (or gone), those making owners
/// once they are no owner. Run like [`REVOKE_KEYS_OF`]. `?1` tenant, `?2` person id.
pub const DELETE_INVITES_OF: &str = concat!(
    made_by_person!(),
    "DELETE FROM invites \
     WHERE tenant = ?1 AND created_by IN (SELECT id FROM made) AND used_at IS NULL \
     AND NOT EXISTS (SELECT 1 FROM people WHERE tenant = ?1 AND id = ?2 AND role = 'owner') \
     AND (invites.role = 'owner' OR NOT EXISTS \
     (SELECT 1 FROM people WHERE tenant = ?1 AND id = ?2 AND role = 'admin'))"
);

/// Makes an invite unless the tenant has too many waiting (used and expired ones do not count), or
/// the e-mail is someone's already. Returns it, or nothing. `?1` tenant, `?2` id, `?3` e-mail, `?4` role, `?5` token hash, `?6` now, `?7` by,
/// `?8` expires, `?9` limit.
pub const INSERT_INVITE: &str = concat!(
    "INSERT INTO invites (tenant, id, email, role, token_hash, created_at, created_by, expires_at) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 \
     WHERE (SELECT count(*) FROM invites WHERE tenant = ?1 AND used_at IS NULL AND expires_at > ?6) \
     < ?9 \
     AND NOT EXISTS (SELECT 1 FROM people WHERE tenant = ?1 AND email = ?3) RETURNING ",
    invite_columns!()
);

/// A tenant's invites: those still waiting first (up to the limit, so none of them is ever left
/// out, however many were used or expired), each part newest first. `?1` tenant, `?2` limit, `?3`
/// now.
pub const SELECT_INVITES: &str = concat!(
    "SELECT ",
    invite_columns!(),
    " FROM invites WHERE tenant = ?1 \
     ORDER BY (used_at IS NULL AND expires_at > ?3) DESC, created_at DESC, id DESC LIMIT ?2"
);

/// Revokes an invite that was not used: deletes it. `?1` tenant, `?2` id.
pub const DELETE_INVITE: &str = concat!(
    "DELETE FROM invites WHERE tenant = ?1 AND id = ?2 AND used_at IS NULL RETURNING ",
    invite_columns!()
);

/// The invite behind a token. `?1` token hash.
pub const SELECT_INVITE_BY_TOKEN: &str = concat!(
    "SELECT tenant, ",
    invite_columns!(),
    " FROM invites WHERE token_hash = ?1"
);

/// Uses an invite, once, while it works. Returns it, or nothing. `?1` token hash, `?2` now.
pub const USE_INVITE: &str = concat!(
    "UPDATE invites SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 \
     RETURNING tenant, ",
    invite_columns!()
);

/// Adds the person an invite was for, only if this batch used the invite just now (`used_at = now`),
/// so a second acceptance racing the first adds no one, and only if the e-mail is no one's yet (two
/// invites for one e-mail, both accepted). `?1` tenant, `?2` id, `?3` e-mail, `?4` name, `?5` role,
/// `?6` password hash, `?7` now, `?8` by, `?9` invite id.
pub const INSERT_INVITED_PERSON: &str = concat!(
    "INSERT INTO people (tenant, id, email, name, role, password, created_at, created_by) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM invites \
     WHERE tenant = ?1 AND id = ?9 AND used_at = ?7) \
     AND NOT EXISTS (SELECT 1 FROM people WHERE tenant = ?1 AND email = ?3) RETURNING ",
    person_columns!()
);

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}

fn role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| ApiError::Internal(format!("stored role `{text}`")))
}

/// A person's shown columns.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonRow {
    id: String,
    email: String,
    name: String,
    role: String,
    created_at: i64,
    created_by: String,
}

impl PersonRow {
    /// As the API shows it.
    pub fn into_wire(self) -> Result<Person> {
        Ok(Person {
            role: role(&self.role)?,
            id: self.id,
            email: self.email,
            name: self.name,
            created_at: format_rfc3339(self.created_at),
            created_by: self.created_by,
        })
    }
}

/// An invite's shown columns.
#[derive(Debug, Clone, Deserialize)]
pub struct InviteRow {
    id: String,
    email: String,
    role: String,
    created_at: i64,
    created_by: String,
    expires_at: i64,
    used_at: Option<i64>,
}

impl InviteRow {
    /// As the API shows it.
    pub fn into_wire(self) -> Result<Invite> {
        Ok(Invite {
            role: role(&self.role)?,
            id: self.id,
            email: self.email,
            created_at: format_rfc3339(self.created_at),
            created_by: self.created_by,
            expires_at: format_rfc3339(self.expires_at),
            used_at: self.used_at.map(format_rfc3339),
        })
    }
}

/// An invite with its tenant, as found by its token.
#[derive(Debug, Clone, Deserialize)]
pub struct TenantInvite {
    /// The tenant it is for.
    pub tenant: String,
    /// The invite.
    #[serde(flatten)]
    pub invite: InviteRow,
}

/// Someone who might be signing in, with their stored password hash.
#[derive(Debug, Clone, Deserialize)]
pub struct SignInRow {
    /// Their tenant.
    pub tenant: String,
    /// `people.password`.
    pub password: Option<String>,
    /// Who they are.
    #[serde(flatten)]
    pub person: PersonRow,
}

/// Everyone in a tenant.
pub async fn list(db: &D1Database, tenant: &str) -> Result<Vec<Person>> {
    let params = [text(tenant), SqlValue::Int(MAX_PER_TENANT)];
    let rows: Vec<PersonRow> = statement(db, SELECT_PEOPLE, &params)?
        .all()
        .await?
        .results()?;
    rows.into_iter().map(PersonRow::into_wire).collect()
}

/// One person of a tenant.
pub async fn get(db: &D1Database, tenant: &str, id: &str) -> Result<Option<Person>> {
    let row: Option<PersonRow> = statement(db, SELECT_PERSON, &[text(tenant), text(id)])?
        .first(None)
        .await?;
    row.map(PersonRow::into_wire).transpose()
}

/// Everyone with an e-mail, in any tenant.
pub async fn with_email(db: &D1Database, email: &str) -> Result<Vec<SignInRow>> {
    Ok(statement(db, SELECT_SIGN_IN, &[text(email)])?
        .all()
        .await?
        .results()?)
}

/// Changes a role: the person after, or `None` when there is no such person or they are the last
/// owner and `role` is not owner.
/// With it, in one transaction, the keys and invites the new role could not make end.
pub async fn set_role(
    db: &D1Database,
    tenant: &str,
    id: &str,
    new: Role,
    now: i64,
) -> Result<Option<Person>> {
    let params = [text(tenant), text(id), text(new.as_str())];
    let change = vec![statement(db, UPDATE_ROLE, &params)?];
    change_ending_grants(db, tenant, id, now, change).await
}

/// Removes a person and, in the same transaction, ends their sessions and the keys and invites they
/// made: who was removed, or `None` when there is no such person or they are the last owner.
pub async fn remove(db: &D1Database, tenant: &str, id: &str, now: i64) -> Result<Option<Person>> {
    let who = [text(tenant), text(id)];
    let change = vec![
        statement(db, DELETE_PERSON, &who)?,
        statement(db, DELETE_SESSIONS_OF, &who)?,
    ];
    change_ending_grants(db, tenant, id, now, change).await
}

/// Runs `change` (its first statement returns the person changed) in one batch with the statements
/// that end what the person handed out, which run after it and read its outcome.
async fn change_ending_grants(
    db: &D1Database,
    tenant: &str,
    id: &str,
    now: i64,
    mut change: Vec<worker::D1PreparedStatement>,
) -> Result<Option<Person>> {
    let who = [text(tenant), text(id)];
    change.push(statement(
        db,
        REVOKE_KEYS_OF,
        &[text(tenant), text(id), SqlValue::Int(now)],
    )?);
    change.push(statement(db, DELETE_INVITES_OF, &who)?);
    let results = db.batch(change).await?;
    let rows: Vec<PersonRow> = results[0].results()?;
    rows.into_iter()
        .next()
        .map(PersonRow::into_wire)
        .transpose()
}

/// The keys and invites a person made that a change ends ([`SELECT_GRANTS_OF`], filtered by
/// [`Grants::ended_by`] as [`REVOKE_KEYS_OF`] and [`DELETE_INVITES_OF`] filter), for its event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Grants {
    /// Ids of API keys in force.
    pub keys: Vec<String>,
    /// Ids of invites still waiting.
    pub invites: Vec<String>,
}

/// One row of [`SELECT_GRANTS_OF`].
#[derive(Debug, Deserialize)]
pub struct GrantRow {
    kind: String,
    id: String,
    role: Option<String>,
}

impl Grants {
    /// What a person's new role (`None`: removed) ends of what they handed out: the keys unless
    /// they stay an owner or admin; the invites unless they stay an owner, except those making
    /// owners when they become an admin.
    pub fn ended_by(rows: Vec<GrantRow>, role: Option<Role>) -> Grants {
        let hands_out = matches!(role, Some(Role::Owner | Role::Admin));
        let mut grants = Grants::default();
        for row in rows {
            match row.kind.as_str() {
                "api_key" if !hands_out => grants.keys.push(row.id),
                "invite" => {
                    let ends = match role {
                        Some(Role::Owner) => false,
                        Some(Role::Admin) => row.role.as_deref() == Some("owner"),
                        _ => true,
                    };
                    if ends {
                        grants.invites.push(row.id);
                    }
                }
                _ => {}
            }
        }
        grants
    }
}

/// What a person handed out that still works, for [`Grants::ended_by`].
pub async fn grants_of(db: &D1Database, tenant: &str, id: &str, now: i64) -> Result<Vec<GrantRow>> {
    let params = [text(tenant), text(id), SqlValue::Int(now)];
    Ok(statement(db, SELECT_GRANTS_OF, &params)?
        .all()
        .await?
        .results()?)
}

/// What an invite is made of.
pub struct NewInvite<'a> {
    /// Its tenant.
    pub tenant: &'a str,
    /// Its id.
    pub id: &'a str,
    /// Who for.
    pub email: &'a str,
    /// Which role.
    pub role: Role,
    /// SHA-256 of its token.
    pub token_hash: &'a str,
    /// Who makes it.
    pub by: &'a str,
    /// Now.
    pub now: i64,
}

/// Makes an invite: it, or `None` when the tenant has too many or the e-mail is taken.
pub async fn invite(db: &D1Database, new: &NewInvite<'_>) -> Result<Option<Invite>> {
    let params = [
        text(new.tenant),
        text(new.id),
        text(new.email),
        text(new.role.as_str()),
        text(new.token_hash),
        SqlValue::Int(new.now),
        text(new.by),
        SqlValue::Int(new.now + INVITE_LIFETIME_MS),
        SqlValue::Int(MAX_PER_TENANT),
    ];
    let row: Option<InviteRow> = statement(db, INSERT_INVITE, &params)?.first(None).await?;
    row.map(InviteRow::into_wire).transpose()
}

/// A tenant's invites, those still waiting first, each part newest first.
pub async fn invites(db: &D1Database, tenant: &str, now: i64) -> Result<Vec<Invite>> {
    let params = [
        text(tenant),
        SqlValue::Int(MAX_PER_TENANT),
        SqlValue::Int(now),
    ];
    let rows: Vec<InviteRow> = statement(db, SELECT_INVITES, &params)?
        .all()
        .await?
        .results()?;
    rows.into_iter().map(InviteRow::into_wire).collect()
}

/// Revokes an unused invite: it, or `None`.
pub async fn revoke_invite(db: &D1Database, tenant: &str, id: &str) -> Result<Option<Invite>> {
    let row: Option<InviteRow> = statement(db, DELETE_INVITE, &[text(tenant), text(id)])?
        .first(None)
        .await?;
    row.map(InviteRow::into_wire).transpose()
}

/// The invite behind a token hash, used or not.
pub async fn invite_by_token(db: &D1Database, token_hash: &str) -> Result<Option<TenantInvite>> {
    Ok(statement(db, SELECT_INVITE_BY_TOKEN, &[text(token_hash)])?
        .first(None)
        .await?)
}

/// Uses an invite (once, while it works) and adds its person, in one batch so that neither happens
/// without the other: the person, or `None` when the invite was used or expired meanwhile.
pub async fn accept(
    db: &D1Database,
    token_hash: &str,
    person_id: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<(String, Person)>> {
    let Some(found) = invite_by_token(db, token_hash).await? else {
        return Ok(None);
    };
    let invite = &found.invite;
    let use_invite = statement(db, USE_INVITE, &[text(token_hash), SqlValue::Int(now)])?;
    let insert = statement(
        db,
        INSERT_INVITED_PERSON,
        &[
            text(&found.tenant),
            text(person_id),
            text(&invite.email),
            text(name),
            text(&invite.role),
            text(password_hash),
            SqlValue::Int(now),
            text(&invite.created_by),
            text(&invite.id),
        ],
    )?;
    let results = db.batch(vec![use_invite, insert]).await?;
    let used: Vec<TenantInvite> = results[0].results()?;
    if used.is_empty() {
        return Ok(None);
    }
    let people: Vec<PersonRow> = results[1].results()?;
    match people.into_iter().next() {
        Some(row) => Ok(Some((found.tenant, row.into_wire()?))),
        // The batch used the invite, so the e-mail was someone's already.
        None => Err(ApiError::Conflict {
            code: "already_a_member",
            message: format!(
                "{} already has access to this tenant; sign in instead",
                invite.email
            ),
            errors: vec![],
        }),
    }
}

/// The statements against the real migrations in SQLite, natively.
#[cfg(test)]
mod tests {
    use rusqlite::{params, Connection};

    use super::*;
    use crate::sqlite_tests::database;

    fn add(db: &Connection, tenant: &str, id: &str, email: &str, role: &str) {
        db.execute(
            "INSERT INTO people (tenant, id, email, name, role, created_at, created_by) \
             VALUES (?1, ?2, ?3, 'N', ?4, 1, 'test')",
            params![tenant, id, email, role],
        )
        .unwrap();
    }

    /// Rows a statement with `RETURNING` wrote.
    fn changed(db: &Connection, sql: &str, params: impl rusqlite::Params) -> usize {
        let mut stmt = db.prepare(sql).unwrap();
        let mut rows = stmt.query(params).unwrap();
        let mut n = 0;
        while rows.next().unwrap().is_some() {
            n += 1;
        }
        n
    }

    fn role_of(db: &Connection, tenant: &str, id: &str) -> Option<String> {
        db.query_row(
            "SELECT role FROM people WHERE tenant = ?1 AND id = ?2",
            [tenant, id],
            |r| r.get(0),
        )
        .ok()
    }

    #[test]
    fn the_last_owner_can_be_neither_demoted_nor_removed() {
        let db = database();
        add(&db, "a", "o1", "o1@x.org", "owner");
        add(&db, "a", "m1", "m1@x.org", "member");
        add(&db, "b", "o2", "o2@x.org", "owner");
        let set = |id: &str, role: &str| changed(&db, UPDATE_ROLE, params!["a", id, role]);
        let remove = |tenant: &str, id: &str| changed(&db, DELETE_PERSON, params![tenant, id]);
        assert_eq!(set("o1", "admin"), 0);
        assert_eq!(remove("a", "o1"), 0);
        assert_eq!(set("m1", "owner"), 1);
        assert_eq!(set("o1", "admin"), 1);
        assert_eq!(role_of(&db, "a", "o1").as_deref(), Some("admin"));
        assert_eq!(remove("a", "m1"), 0, "m1 is now the only owner");
        // Another tenant's owners do not count, and its people cannot be reached.
        assert_eq!(remove("a", "o2"), 0);
        assert_eq!(role_of(&db, "b", "o2").as_deref(), Some("owner"));
        assert!(db
            .prepare(UPDATE_ROLE)
            .unwrap()
            .query(params!["a", "o1", "root"])
            .and_then(|mut rows| rows.next().map(|_| ()))
            .is_err());
    }

    /// What a person handed out ends with their power to hand it out, in the batch of their change:
    /// nothing while they stay an owner; their invites making owners once they are an admin; their
    /// keys and every waiting invite once they are less, or gone: those they made through their keys
    /// too, at any depth, even through a key revoked before. Other people's, other tenants', revoked
    /// keys and used invites are left as they are; a refused removal ends no session.
    #[test]
    fn the_access_a_person_handed_out_ends_with_theirs() {
        let db = database();
        add(&db, "a", "p1", "p1@x.org", "owner");
        add(&db, "a", "o2", "o2@x.org", "owner");
        add(&db, "a", "p2", "p2@x.org", "admin");
        let key = |tenant: &str, id: &str, by: &str, revoked: Option<i64>| {
            db.execute(
                "INSERT INTO api_keys (tenant, id, name, scope, prefix, hash, created_at, created_by, \
                 revoked_at) VALUES (?1, ?2, ?2, 'admin', 'p', ?1 || ?2, 1, ?3, ?4)",
                params![tenant, id, by, revoked],
            )
            .unwrap();
        };
        let invite = |id: &str, role: &str, by: &str, used: Option<i64>, expires: i64| {
            db.execute(
                "INSERT INTO invites (tenant, id, email, role, token_hash, created_at, created_by, \
                 expires_at, used_at) VALUES ('a', ?1, ?1 || '@x.org', ?2, ?1, 1, ?3, ?4, ?5)",
                params![id, role, by, expires, used],
            )
            .unwrap();
        };
        key("a", "k1", "p1", None);
        key("a", "k2", "p1", Some(5));
        key("a", "k3", "p2", None);
        key("b", "k4", "p1", None);
        // Made with p1's keys: k5 by k1, k6 by k5, k7 by the revoked k2; k8 is another tenant's.
        key("a", "k5", "k1", None);
        key("a", "k6", "k5", None);
        key("a", "k7", "k2", None);
        key("b", "k8", "k1", None);
        invite("i1", "admin", "p1", None, 9_000);
        invite("i2", "admin", "p1", Some(50), 9_000);
        invite("i3", "owner", "p1", None, 9_000);
        invite("i4", "admin", "p2", None, 9_000);
        invite("i5", "admin", "k6", None, 9_000);
        let rows = |person: &str| -> Vec<GrantRow> {
            let mut stmt = db.prepare(SELECT_GRANTS_OF).unwrap();
            stmt.query_map(params!["a", person, 1_000], |r| {
                Ok(GrantRow {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    role: r.get(2)?,
                })
            })
            .unwrap()
            .map(|row| row.unwrap())
            .collect()
        };
        let ended = |person: &str, role: Option<Role>| -> (Vec<String>, Vec<String>) {
            let g = Grants::ended_by(rows(person), role);
            (g.keys, g.invites)
        };
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // What each change would end, as its event says.
        assert_eq!(ended("p1", Some(Role::Owner)), (vec![], vec![]));
        assert_eq!(ended("p1", Some(Role::Admin)), (vec![], strings(&["i3"])));
        let all_of_p1 = (
            strings(&["k1", "k5", "k6", "k7"]),
            strings(&["i1", "i3", "i5"]),
        );
        assert_eq!(ended("p1", Some(Role::Member)), all_of_p1);
        assert_eq!(ended("p1", None), all_of_p1);
        // What the batch ends, after each change.
        let end = |person: &str, now: i64| {
            db.execute(REVOKE_KEYS_OF, params!["a", person, now])
                .unwrap();
            db.execute(DELETE_INVITES_OF, params!["a", person]).unwrap();
        };
        let texts = |sql: &str| -> Vec<String> {
            db.prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|row| row.unwrap())
                .collect()
        };
        let keys_in_force =
            || texts("SELECT tenant || id FROM api_keys WHERE revoked_at IS NULL ORDER BY 1");
        let invites = || texts("SELECT id FROM invites ORDER BY 1");
        end("p1", 2_000);
        let all_keys = ["ak1", "ak3", "ak5", "ak6", "ak7", "bk4", "bk8"];
        assert_eq!(keys_in_force(), all_keys, "an owner keeps all");
        assert_eq!(invites(), ["i1", "i2", "i3", "i4", "i5"]);
        assert_eq!(changed(&db, UPDATE_ROLE, params!["a", "p1", "admin"]), 1);
        end("p1", 3_000);
        assert_eq!(keys_in_force(), all_keys, "an admin still makes keys");
        assert_eq!(invites(), ["i1", "i2", "i4", "i5"], "but not owners");
        assert_eq!(changed(&db, UPDATE_ROLE, params!["a", "p1", "member"]), 1);
        end("p1", 4_000);
        assert_eq!(keys_in_force(), ["ak3", "bk4", "bk8"]);
        assert_eq!(
            invites(),
            ["i2", "i4"],
            "used invites stay as the record of who joined"
        );
        let revoked_at: Option<i64> = db
            .query_row("SELECT revoked_at FROM api_keys WHERE id = 'k2'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(revoked_at, Some(5), "a key revoked before keeps its time");

        // Removal: sessions end with the person; a refused removal (the last owner) ends nothing.
        let session = |token: &str, person: &str| {
            db.execute(
                "INSERT INTO sessions (token_hash, tenant, person_id, created_at, last_seen_at, \
                 expires_at) VALUES (?1, 'a', ?2, 1, 1, 9000)",
                params![token, person],
            )
            .unwrap();
        };
        session("s2", "p2");
        session("s9", "o2");
        let sessions = || -> i64 {
            db.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            changed(&db, DELETE_PERSON, params!["a", "o2"]),
            0,
            "the last owner"
        );
        db.execute(DELETE_SESSIONS_OF, params!["a", "o2"]).unwrap();
        end("o2", 5_000);
        assert_eq!(sessions(), 2);
        assert_eq!(changed(&db, DELETE_PERSON, params!["a", "p2"]), 1);
        db.execute(DELETE_SESSIONS_OF, params!["a", "p2"]).unwrap();
        end("p2", 5_000);
        assert_eq!(sessions(), 1);
        assert_eq!(keys_in_force(), ["bk4", "bk8"]);
        assert_eq!(invites(), ["i2"]);
    }

    /// The limits count what is in force: keys not revoked, invites waiting. Revoked keys and used
    /// or expired invites pile up over the years and must never lock a tenant out.
    #[test]
    fn limits_count_only_keys_in_force_and_invites_waiting() {
        let db = database();
        let make_key = |id: &str, now: i64| {
            changed(
                &db,
                crate::sql::INSERT_KEY,
                params!["a", id, id, "read", "", "p", id, now, "p1", 2],
            )
        };
        assert_eq!(make_key("k1", 1), 1);
        assert_eq!(make_key("k2", 2), 1);
        assert_eq!(make_key("k3", 3), 0, "two in force, the most");
        assert_eq!(
            changed(&db, crate::sql::REVOKE_KEY, params!["a", "k1", 4]),
            1
        );
        assert_eq!(make_key("k3", 5), 1);
        let listed: Vec<String> = db
            .prepare(crate::sql::SELECT_KEYS)
            .unwrap()
            .query_map(params!["a", 2], |r| r.get("id"))
            .unwrap()
            .map(|row| row.unwrap())
            .collect();
        // Keys in force first (up to the limit, so all of them), then as many revoked ones.
        assert_eq!(listed, ["k3", "k2", "k1"]);

        let invite = |id: &str, now: i64| {
            changed(
                &db,
                INSERT_INVITE,
                params![
                    "a",
                    id,
                    format!("{id}@x.org"),
                    "member",
                    id,
                    now,
                    "o1",
                    now + 100,
                    1
                ],
            )
        };
        assert_eq!(invite("i1", 1_000), 1);
        assert_eq!(invite("i2", 1_050), 0, "one waiting, the most");
        assert_eq!(invite("i2", 1_100), 1, "i1 expired at 1,100");
        assert_eq!(changed(&db, USE_INVITE, params!["i2", 1_150]), 1);
        assert_eq!(invite("i3", 1_160), 1, "i2 was used");
        let listed: Vec<String> = db
            .prepare(SELECT_INVITES)
            .unwrap()
            .query_map(params!["a", 1, 1_200], |r| r.get("id"))
            .unwrap()
            .map(|row| row.unwrap())
            .collect();
        assert_eq!(
            listed,
            ["i3"],
            "the invite waiting comes first, whatever the limit"
        );
    }

    #[test]
    fn invites_refuse_taken_emails_and_work_once_until_they_expire() {
        let db = database();
        add(&db, "a", "o1", "o1@x.org", "owner");
        let invite = |id: &str, email: &str, hash: &str, now: i64| {
            changed(
                &db,
                INSERT_INVITE,
                params!["a", id, email, "member", hash, now, "o1", now + 100, 10],
            )
        };
        assert_eq!(invite("i0", "o1@x.org", "h0", 1_000), 0, "already a person");
        assert_eq!(invite("i1", "new@x.org", "h1", 1_000), 1);
        // Another tenant may invite the same e-mail.
        assert_eq!(
            changed(
                &db,
                INSERT_INVITE,
                params![
                    "b",
                    "i2",
                    "new@x.org",
                    "member",
                    "h2",
                    1_000,
                    "o",
                    2_000,
                    10
                ],
            ),
            1
        );
        let use_at = |hash: &str, now: i64| changed(&db, USE_INVITE, params![hash, now]);
        assert_eq!(use_at("h1", 1_100), 0, "expired at 1,100");
        assert_eq!(use_at("h1", 1_050), 1);
        assert_eq!(use_at("h1", 1_060), 0, "used already");
        assert_eq!(changed(&db, DELETE_INVITE, params!["a", "i1"]), 0, "used");
        assert_eq!(
            changed(&db, DELETE_INVITE, params!["a", "i2"]),
            0,
            "another tenant's"
        );
        assert_eq!(changed(&db, DELETE_INVITE, params!["b", "i2"]), 1);
    }

    /// Two invites for one e-mail, both accepted: the second adds no one (the route answers 409)
    /// rather than failing on the e-mail's unique index.
    #[test]
    fn a_second_invite_for_an_email_adds_no_one() {
        let db = database();
        add(&db, "a", "o1", "o1@x.org", "owner");
        for (id, hash) in [("i1", "h1"), ("i2", "h2")] {
            let made = changed(
                &db,
                INSERT_INVITE,
                params![
                    "a",
                    id,
                    "twice@x.org",
                    "member",
                    hash,
                    1_000,
                    "o1",
                    9_000,
                    10
                ],
            );
            assert_eq!(made, 1);
        }
        let accept = |invite: &str, hash: &str, person: &str, now: i64| {
            assert_eq!(changed(&db, USE_INVITE, params![hash, now]), 1);
            changed(
                &db,
                INSERT_INVITED_PERSON,
                params![
                    "a",
                    person,
                    "twice@x.org",
                    "N",
                    "member",
                    "pw",
                    now,
                    "o1",
                    invite
                ],
            )
        };
        assert_eq!(accept("i1", "h1", "p1", 2_000), 1);
        assert_eq!(accept("i2", "h2", "p2", 2_001), 0);
        let people: i64 = db
            .query_row(
                "SELECT count(*) FROM people WHERE email = 'twice@x.org'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(people, 1);
    }
}
