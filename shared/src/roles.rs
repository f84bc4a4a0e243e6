//! Who may do what (SPEC 6): the four roles of people, the powers endpoints need, and which role and
//! which API key scope grant each power. One table, so the worker enforces it and the dashboard hides
//! what a person may not use from the same source, and a test can print the whole matrix.

use serde::{Deserialize, Serialize};

use crate::api_key::KeyScope;

/// A person's role in a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, owners included.
    Owner,
    /// Everything but owners: cannot invite, change or remove an owner, nor make anyone one.
    Admin,
    /// Reads and exports every event, settings, people and keys; changes nothing.
    Auditor,
    /// Reads only the events where they are the actor (matched by e-mail), enforced in SQL.
    Member,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Auditor, Role::Member];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Member => "member",
        }
    }

    /// Parses a wire name (exact, lowercase).
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether a person with this role has `power`.
    pub fn grants(self, power: Power) -> bool {
        use Power::*;
        match self {
            Role::Owner => power != SendEvents,
            Role::Admin => !matches!(power, SendEvents | ManageOwners),
            Role::Auditor => matches!(
                power,
                ReadEvents | ReadAllEvents | ShareSearches | ReadSettings | ReadAccess
            ),
            Role::Member => power == ReadEvents,
        }
    }
}

/// What an endpoint needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Power {
    /// Send events (`POST /api/v1/events`, `/api/v1/ingest/*`): API keys only.
    SendEvents,
    /// Read events: the list, facets, histogram, detail, actor and resource pages, export. A member
    /// reads only their own events.
    ReadEvents,
    /// Read every event and the chain: verification; and the tenant's saved searches, whose names
    /// and queries (`actor:bob@corp.com`) tell of other people and of investigations.
    ReadAllEvents,
    /// Save, change and delete the tenant's saved searches, which everyone reading the log shares.
    ShareSearches,
    /// Read settings (redaction rules).
    ReadSettings,
    /// Change settings.
    ChangeSettings,
    /// Read who has access: the people, invites and API keys (never a secret).
    ReadAccess,
    /// Create and revoke API keys.
    ManageKeys,
    /// Invite people, change their roles and remove them.
    ManagePeople,
    /// Do any of that to an owner, or make someone an owner.
    ManageOwners,
}

impl Power {
    /// Every power, in the order of the documented matrix.
    pub const ALL: [Power; 10] = [
        Power::SendEvents,
        Power::ReadEvents,
        Power::ReadAllEvents,
        Power::ShareSearches,
        Power::ReadSettings,
        Power::ChangeSettings,
        Power::ReadAccess,
        Power::ManageKeys,
        Power::ManagePeople,
        Power::ManageOwners,
    ];

    /// True for the powers over the whole tenant rather than over events: who has access, the
    /// settings every environment is stored under, and the searches everyone shares. A key bound to
    /// one environment has none of them.
    pub fn reaches_whole_tenant(self) -> bool {
        matches!(
            self,
            Power::ShareSearches
                | Power::ChangeSettings
                | Power::ManagePeople
                | Power::ManageOwners
        )
    }

    /// A short name, for errors and docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Power::SendEvents => "send events",
            Power::ReadEvents => "read events",
            Power::ReadAllEvents => "read every event",
            Power::ShareSearches => "change the tenant's saved searches",
            Power::ReadSettings => "read settings",
            Power::ChangeSettings => "change settings",
            Power::ReadAccess => "read people and keys",
            Power::ManageKeys => "manage API keys",
            Power::ManagePeople => "manage people",
            Power::ManageOwners => "manage owners",
        }
    }
}

/// Whether an API key with `scope` has `power`. An `ingest` key only sends; a `read` key reads every
/// event and the settings; an `admin` key reads, changes settings and manages keys and people, but neither sends
/// events (a leaked admin key should not write the log) nor manages owners: only an owner, or the
/// deployment's configured admin key (its root secret), may.
pub fn scope_grants(scope: KeyScope, power: Power) -> bool {
    use Power::*;
    match scope {
        KeyScope::Ingest => power == SendEvents,
        KeyScope::Read => matches!(
            power,
            ReadEvents | ReadAllEvents | ShareSearches | ReadSettings
        ),
        KeyScope::Admin => !matches!(power, SendEvents | ManageOwners),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_have_exactly_the_powers_of_spec_6() {
        use Power::*;
        let granted = |role: Role| -> Vec<Power> {
            Power::ALL.into_iter().filter(|p| role.grants(*p)).collect()
        };
        assert_eq!(
            granted(Role::Owner),
            [
                ReadEvents,
                ReadAllEvents,
                ShareSearches,
                ReadSettings,
                ChangeSettings,
                ReadAccess,
                ManageKeys,
                ManagePeople,
                ManageOwners
            ]
        );
        assert_eq!(
            granted(Role::Admin),
            [
                ReadEvents,
                ReadAllEvents,
                ShareSearches,
                ReadSettings,
                ChangeSettings,
                ReadAccess,
                ManageKeys,
                ManagePeople
            ]
        );
        assert_eq!(
            granted(Role::Auditor),
            [
                ReadEvents,
                ReadAllEvents,
                ShareSearches,
                ReadSettings,
                ReadAccess
            ]
        );
        assert_eq!(granted(Role::Member), [ReadEvents]);
    }

    #[test]
    fn key_scopes_keep_to_their_job() {
        use Power::*;
        for power in Power::ALL {
            assert_eq!(scope_grants(KeyScope::Ingest, power), power == SendEvents);
        }
        assert!(scope_grants(KeyScope::Read, ReadAllEvents));
        assert!(scope_grants(KeyScope::Read, ShareSearches));
        assert!(scope_grants(KeyScope::Read, ReadSettings));
        assert!(!scope_grants(KeyScope::Read, ReadAccess));
        assert!(!scope_grants(KeyScope::Read, ChangeSettings));
        assert!(scope_grants(KeyScope::Admin, ManagePeople));
        assert!(!scope_grants(KeyScope::Admin, ManageOwners));
        assert!(!scope_grants(KeyScope::Admin, SendEvents));
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert_eq!(Role::parse("root"), None);
    }
}
