//! Airbyte (seed 001): its audit log records role-based access changes only: who created, changed or
//! removed whose role on an organization or workspace, whether it worked and why not. Airbyte runs
//! self-hosted here, so requests come from the internal network, as in the seed's sample entry.

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::{json, Value};

use super::people::Person;
use super::scene::{stable_uuid, Draft, Scene};
use super::System;

// Airbyte's default organization in self-managed deployments has the nil UUID, as in the seed.
const ORGANIZATION_ID: &str = "00000000-0000-0000-0000-000000000000";
const WORKSPACES: &[&str] = &["analytics", "growth", "platform", "finance"];
const ORGANIZATION_ROLES: &[&str] = &[
    "organization_member",
    "organization_reader",
    "organization_runner",
    "organization_editor",
    "organization_admin",
];
const WORKSPACE_ROLES: &[&str] = &[
    "workspace_reader",
    "workspace_runner",
    "workspace_editor",
    "workspace_admin",
];

const FAILURES: &[(&str, &str)] = &[
    (
        "LAST_ADMIN",
        "Cannot remove or demote the last organization_admin of an organization",
    ),
    (
        "PERMISSION_EXISTS",
        "A permission for this user on this scope already exists",
    ),
    (
        "CONFIG_DB_TIMEOUT",
        "Timed out writing permission to the config database after 30000 ms",
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Change {
    Create,
    Update,
    Delete,
}

/// One permission change; now and then an onboarding that grants a reader role on two workspaces.
pub(crate) fn scene(scene: &mut Scene) {
    let subject = scene.anyone();
    if scene.chance(0.12) {
        let admin = scene.admin();
        let subject = if subject.id == admin.id {
            scene.anyone_but(admin)
        } else {
            subject
        };
        let first = scene.pick(WORKSPACES);
        let second = scene.pick(WORKSPACES);
        change(scene, admin, subject, Change::Create, Some(first));
        if second != first {
            change(scene, admin, subject, Change::Create, Some(second));
        }
        return;
    }
    let kind = scene.weighted(&[
        (Change::Update, 55),
        (Change::Create, 30),
        (Change::Delete, 15),
    ]);
    let workspace = if scene.chance(0.6) {
        Some(scene.pick(WORKSPACES))
    } else {
        None
    };
    // Denials come from people who are not admins trying anyway.
    let actor = if scene.chance(0.05) {
        scene.person(System::Airbyte)
    } else {
        scene.admin()
    };
    let subject = if subject.id == actor.id {
        scene.anyone_but(actor)
    } else {
        subject
    };
    change(scene, actor, subject, kind, workspace);
}

fn change(
    scene: &mut Scene,
    actor: &Person,
    subject: &Person,
    kind: Change,
    workspace: Option<&str>,
) {
    let roles = if workspace.is_some() {
        WORKSPACE_ROLES
    } else {
        ORGANIZATION_ROLES
    };
    let previous = scene.pick(roles);
    let mut next = scene.pick(roles);
    if next == previous {
        next = roles[(roles.iter().position(|r| *r == previous).unwrap_or(0) + 1) % roles.len()];
    }
    let (action, action_name, verb) = match kind {
        Change::Create => ("permission.create", "createPermission", "Granted"),
        Change::Update => ("permission.update", "updatePermission", "Changed"),
        Change::Delete => ("permission.delete", "deletePermission", "Removed"),
    };
    let (scope_type, scope_id, scope_name) = match workspace {
        Some(name) => (
            "workspace",
            stable_uuid(&format!("airbyte-workspace-{name}")),
            name.to_string(),
        ),
        None => (
            "organization",
            ORGANIZATION_ID.to_string(),
            "Acme".to_string(),
        ),
    };
    let (before, after, description) = match kind {
        Change::Create => (
            None,
            Some(json!({"role": next})),
            format!(
                "{verb} {} the role {next} on {scope_type} {scope_name}",
                subject.email
            ),
        ),
        Change::Update => (
            Some(json!({"role": previous})),
            Some(json!({"role": next})),
            format!(
                "{verb} the role of {} from {previous} to {next} on {scope_type} {scope_name}",
                subject.email
            ),
        ),
        Change::Delete => (
            Some(json!({"role": previous})),
            None,
            format!(
                "{verb} the role {previous} of {} on {scope_type} {scope_name}",
                subject.email
            ),
        ),
    };
    let granted_admin = kind != Change::Delete && next.ends_with("_admin");
    let severity = match kind {
        _ if granted_admin => Severity::High,
        Change::Delete if previous.ends_with("_admin") => Severity::High,
        Change::Create => Severity::Low,
        Change::Update | Change::Delete => Severity::Medium,
    };
    let summary = json!({
        "targetUser": {"id": subject.id, "email": subject.email},
        "targetScope": {"type": scope_type, "id": scope_id},
        "previousRole": if kind == Change::Create { Value::Null } else { previous.into() },
        "newRole": if kind == Change::Delete { Value::Null } else { next.into() },
    });
    let context = json!({
        "ip": actor.lan_ip,
        "user_agent": actor.desktop_agent.header,
        "request_id": format!("req_{}", scene.hex(16)),
        "interface": "web",
    });
    let mut draft = Draft::new(System::Airbyte, action, Category::Permission, actor.actor())
        .severity(severity)
        .describe(description)
        .target("user", subject.id.clone(), subject.email.clone())
        .target(scope_type, scope_id, scope_name)
        .scope("organization", "acme")
        .context(context)
        .changes(before, after)
        .payload(json!({"actionName": action_name, "summary": summary}))
        .meta("audit_entry_id", scene.uuid())
        .meta("action_name", action_name)
        .meta("log_source", "platform");
    if let Some(name) = workspace {
        draft = draft.scope("workspace", name);
    }
    let outcome = if actor.is_admin() {
        scene.outcome(0.07, 0.0)
    } else {
        Outcome::Denied
    };
    draft = match outcome {
        Outcome::Denied => draft
            .outcome(Outcome::Denied)
            .severity_at_least(Severity::High)
            .error(
                "FORBIDDEN",
                "User does not have the required permission: ORGANIZATION_ADMIN",
            ),
        Outcome::Failure => {
            let (code, message) = scene.pick(FAILURES);
            draft
                .outcome(Outcome::Failure)
                .severity_at_least(Severity::Medium)
                .error(code, message)
        }
        _ => draft,
    };
    scene.emit(draft);
}
