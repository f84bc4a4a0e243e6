//! Derives an event's category from its action when the sender gave none. The verb is the part after the
//! last dot (`app.move_to_trash` -> `move_to_trash`); its first word decides, and the resource decides for
//! actions on permissions and roles, so `permission.update` is a permission change, not an update.

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
    if matches!(resource, "session" | "auth" | "login") && !verb.starts_with("export") {
        return Category::Auth;
    }
    let first = verb.split(['_', '-']).next().unwrap_or(verb);
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
}
