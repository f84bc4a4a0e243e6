//! Derives an event's category from its action when the sender gave none. The verb is the part after the
//! last dot (`app.move_to_trash` -> `move_to_trash`); its first word decides, and the resource decides for
//! actions on permissions and roles, so `permission.update` is a permission change, not an update.
//! A session decides only for the verbs of a sign-in's life (`session.create`, `session.expire`): other
//! systems call other things sessions (Langfuse's `session.bookmark` edits a group of traces).

use crate::event::Category;

/// The category an action implies.
pub fn derive_category(action: &str) -> Category {
    let (resource, verb) = action.rsplit_once('.').unwrap_or(("", action));
    let resource = resource.rsplit('.').next().unwrap_or(resource);
    if matches!(
        resource,
        "permission" | "permissions" | "role" | "roles" | "grant" | "acl"
    ) {
        return Category::Permission;
    }
    let first = verb.split(['_', '-']).next().unwrap_or(verb);
    if matches!(resource, "auth" | "login") && !verb.starts_with("export") {
        return Category::Auth;
    }
    if resource == "session" && SESSION_LIFE.contains(&first) {
        return Category::Auth;
    }
    match first {
        "create" | "add" | "insert" | "import" | "new" | "register" | "upload" | "invite"
        | "copy" | "duplicate" | "clone" => Category::Create,
        "read" | "view" | "get" | "list" | "search" | "open" | "preview" | "show" | "describe" => {
            Category::Read
        }
        "update" | "edit" | "modify" | "change" | "rename" | "move" | "set" | "restore"
        | "promote" | "publish" | "tag" | "bookmark" | "complete" | "transfer" | "enable"
        | "disable" | "configure" | "patch" => Category::Update,
        "delete" | "remove" | "destroy" | "purge" | "trash" | "archive" | "drop" | "leave" => {
            Category::Delete
        }
        "execute" | "evaluate" | "run" | "trigger" | "query" | "start" | "stop" | "cancel"
        | "retry" | "restart" | "sync" => Category::Execute,
        "access" | "connect" | "download" => Category::Access,
        "sign" | "login" | "logout" | "signin" | "signout" | "authenticate" | "mfa" => {
            Category::Auth
        }
        "grant" | "revoke" | "share" | "unshare" | "assign" | "unassign" => Category::Permission,
        "export" => Category::Export,
        "startup" | "shutdown" | "boot" | "migrate" | "backup" => Category::System,
        _ => Category::Other,
    }
}

/// What happens to a signed-in session: starting, ending or renewing it is authentication.
const SESSION_LIFE: &[&str] = &[
    "create",
    "start",
    "end",
    "expire",
    "refresh",
    "renew",
    "extend",
    "revoke",
    "terminate",
    "invalidate",
    "destroy",
    "delete",
    "timeout",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_from_the_seed_systems_map_to_their_category() {
        let cases = [
            ("code.evaluate", Category::Execute),
            ("app.delete", Category::Delete),
            ("app.move_to_trash", Category::Update),
            ("permission.update", Category::Permission),
            ("user.sign_in", Category::Auth),
            ("user.logout", Category::Auth),
            ("datasource.grant_permission", Category::Permission),
            ("query.execute", Category::Execute),
            ("report.export", Category::Export),
            ("server.startup", Category::System),
            ("prompt.set_label", Category::Update),
            ("notebook.create", Category::Create),
            ("pipeline.frobnicate", Category::Other),
            ("weird", Category::Other),
        ];
        for (action, want) in cases {
            assert_eq!(derive_category(action), want, "{action}");
        }
    }

    /// seeds/002's "Session bookmark, publish" edit a Langfuse session (a group of traces); only a
    /// sign-in's own life makes a session action `auth`.
    #[test]
    fn only_a_sign_ins_life_makes_a_session_action_auth() {
        let cases = [
            ("session.bookmark", Category::Update),
            ("session.publish", Category::Update),
            ("session.view", Category::Read),
            ("session.export", Category::Export),
            ("session.sign_in", Category::Auth),
            ("session.sign_out", Category::Auth),
            ("session.login", Category::Auth),
            ("session.logout", Category::Auth),
            ("session.create", Category::Auth),
            ("session.expire", Category::Auth),
            ("session.revoke", Category::Auth),
            ("auth.refresh_token", Category::Auth),
            ("login.fail", Category::Auth),
            ("login.export", Category::Export),
        ];
        for (action, want) in cases {
            assert_eq!(derive_category(action), want, "{action}");
        }
    }
}
