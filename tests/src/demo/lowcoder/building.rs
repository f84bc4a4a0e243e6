//! Lowcoder's management events: builders creating, editing, moving, trashing and restoring apps,
//! folders and library queries; admins managing user groups and who may use which data source.

use evident_shared::event::{Category, Severity};
use serde_json::json;

use super::super::people::Person;
use super::super::scene::{stable_hex, Scene};
use super::super::System;
use super::{app_target, Seat, APPS};

const NEW_APPS: &[&str] = &[
    "Churn Dashboard",
    "Vendor Portal",
    "Shift Planner",
    "Contract Tracker",
];
const FOLDERS: &[&str] = &[
    "Sales",
    "Support",
    "Operations",
    "Finance",
    "HR",
    "Platform",
    "Archive",
];
const LIBRARY_QUERIES: &[&str] = &[
    "fetchCurrentUser",
    "stripeCharges",
    "kpiSummary",
    "auditTrail",
];
const COMPONENTS: &[&str] = &[
    "table1",
    "modalRefund",
    "chartRevenue",
    "formApproval",
    "buttonSubmit",
    "select1",
];
const GROUPS: &[&str] = &[
    "All Users",
    "Finance Approvers",
    "Support Agents",
    "App Builders",
    "Contractors",
];
const DATASOURCES: &[(&str, &str)] = &[
    ("Production Postgres", "postgres"),
    ("Orders MySQL", "mysql"),
    ("Stripe API", "restApi"),
    ("HubSpot", "restApi"),
    ("Analytics Warehouse", "snowflake"),
    ("Support MongoDB", "mongodb"),
];

fn builder<'a>(scene: &mut Scene<'a>) -> &'a Person {
    loop {
        let person = scene.person(System::Lowcoder);
        if person.role != "viewer" {
            return person;
        }
    }
}

/// An app's components change, or now and then its name.
pub(super) fn update_app(scene: &mut Scene, seat: &Seat, app: &str, folder: &str) {
    let draft = seat
        .draft(scene, "app.update", Category::Update)
        .describe(format!("Updated app \"{app}\""));
    let draft = if scene.chance(0.25) {
        let renamed = format!("{app} v2");
        draft
            .describe(format!("Renamed app \"{app}\" to \"{renamed}\""))
            .changes(Some(json!({"name": app})), Some(json!({"name": renamed})))
    } else {
        let first = scene.between(0, COMPONENTS.len() as u64 - 1) as usize;
        let (first, second) = (
            COMPONENTS[first],
            COMPONENTS[(first + 1) % COMPONENTS.len()],
        );
        draft.payload(json!({"edited_components": [first, second], "dsl_size_bytes": scene.between(20_000, 400_000)}))
    };
    scene.emit(app_target(draft, app, folder));
}

/// A builder's change to an app, folder or library query.
pub(super) fn edit(scene: &mut Scene) {
    let person = builder(scene);
    let seat = Seat::new(scene, person);
    let (app, folder) = scene.pick(APPS);
    let draft = match scene.weighted(&[
        (0, 3),
        (1, 6),
        (2, 2),
        (3, 1),
        (4, 1),
        (5, 1),
        (6, 2),
        (7, 1),
        (8, 1),
        (9, 4),
        (10, 3),
    ]) {
        0 => {
            let app = scene.pick(NEW_APPS);
            let draft = seat
                .draft(scene, "app.create", Category::Create)
                .describe(format!("Created app \"{app}\""));
            app_target(draft, app, folder).changes(
                None,
                Some(json!({"name": app, "type": "APPLICATION", "folder": folder})),
            )
        }
        1 => return update_app(scene, &seat, app, folder),
        2 => {
            let to = scene.pick(FOLDERS);
            let to = if to == folder { "Archive" } else { to };
            let draft = seat
                .draft(scene, "app.move_to_folder", Category::Update)
                .describe(format!(
                    "Moved app \"{app}\" from folder \"{folder}\" to \"{to}\""
                ))
                .changes(Some(json!({"folder": folder})), Some(json!({"folder": to})));
            app_target(draft, app, to)
        }
        3 => {
            let draft = seat
                .draft(scene, "app.move_to_trash", Category::Update)
                .severity(Severity::Low)
                .describe(format!("Moved app \"{app}\" to trash"));
            app_target(draft, app, folder).changes(
                Some(json!({"status": "NORMAL"})),
                Some(json!({"status": "RECYCLED"})),
            )
        }
        4 => {
            let draft = seat
                .draft(scene, "app.restore", Category::Update)
                .describe(format!("Restored app \"{app}\" from trash"));
            app_target(draft, app, folder).changes(
                Some(json!({"status": "RECYCLED"})),
                Some(json!({"status": "NORMAL"})),
            )
        }
        5 => {
            let draft = seat
                .draft(scene, "app.delete", Category::Delete)
                .severity(Severity::High)
                .describe(format!("Permanently deleted app \"{app}\""));
            app_target(draft, app, folder).changes(
                Some(json!({"name": app, "folder": folder, "status": "RECYCLED"})),
                None,
            )
        }
        6 => {
            let name = scene.pick(FOLDERS);
            seat.draft(scene, "folder.create", Category::Create)
                .describe(format!("Created folder \"{name}\""))
                .target("folder", stable_hex(name, 24), name)
                .scope("folder", name)
        }
        7 => seat
            .draft(scene, "folder.update", Category::Update)
            .describe(format!("Renamed folder \"{folder} (old)\" to \"{folder}\""))
            .target("folder", stable_hex(folder, 24), folder)
            .scope("folder", folder)
            .changes(
                Some(json!({"name": format!("{folder} (old)")})),
                Some(json!({"name": folder})),
            ),
        8 => seat
            .draft(scene, "folder.delete", Category::Delete)
            .severity(Severity::Medium)
            .describe("Deleted folder \"Archive\"")
            .target("folder", stable_hex("Archive", 24), "Archive")
            .scope("folder", "Archive"),
        _ => {
            let query = scene.pick(LIBRARY_QUERIES);
            let verb =
                scene.weighted(&[("create", 2), ("update", 3), ("delete", 1), ("publish", 2)]);
            let (category, severity, text) = match verb {
                "create" => (Category::Create, Severity::Info, "Created"),
                "delete" => (Category::Delete, Severity::Medium, "Deleted"),
                "publish" => (Category::Update, Severity::Low, "Published"),
                _ => (Category::Update, Severity::Info, "Updated"),
            };
            let version = scene.between(1, 30);
            let draft = seat
                .draft(scene, &format!("library_query.{verb}"), category)
                .severity(severity)
                .describe(format!("{text} library query \"{query}\""))
                .target("library_query", stable_hex(query, 24), query);
            match verb {
                "publish" => draft.changes(
                    Some(json!({"published_version": format!("1.{version}.0")})),
                    Some(json!({"published_version": format!("1.{}.0", version + 1)})),
                ),
                _ => draft,
            }
        }
    };
    scene.emit(draft);
}

/// An admin's change to user groups or data-source permissions; or someone leaving a group.
pub(super) fn administer(scene: &mut Scene) {
    let admin = scene.admin();
    let seat = Seat::new(scene, admin);
    let group = scene.pick(GROUPS);
    let group_id = stable_hex(group, 24);
    let member = scene.anyone();
    let (source, source_type) = scene.pick(DATASOURCES);
    let source_id = stable_hex(source, 24);
    let operation = scene.weighted(&[
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 4),
        (4, 2),
        (5, 2),
        (6, 1),
        (7, 1),
        (8, 2),
        (9, 1),
        (10, 3),
        (11, 2),
        (12, 1),
    ]);
    let draft = match operation {
        0 => seat
            .draft(scene, "group.create", Category::Create)
            .describe(format!("Created user group \"{group}\""))
            .changes(None, Some(json!({"name": group}))),
        1 => seat
            .draft(scene, "group.update", Category::Update)
            .describe(format!("Renamed user group \"{group}\""))
            .changes(
                Some(json!({"name": format!("{group} (temp)")})),
                Some(json!({"name": group})),
            ),
        2 => seat
            .draft(scene, "group.delete", Category::Delete)
            .severity(Severity::Medium)
            .describe(format!("Deleted user group \"{group}\"")),
        3 => seat
            .draft(scene, "group.add_member", Category::Permission)
            .severity(Severity::Low)
            .describe(format!("Added {} to group \"{group}\"", member.email))
            .target("user", member.id.clone(), member.email.clone())
            .changes(None, Some(json!({"role": "member"}))),
        4 => seat
            .draft(scene, "group.remove_member", Category::Permission)
            .severity(Severity::Medium)
            .describe(format!("Removed {} from group \"{group}\"", member.email))
            .target("user", member.id.clone(), member.email.clone())
            .changes(Some(json!({"role": "member"})), None),
        5 => seat
            .draft(scene, "group.update_member_role", Category::Permission)
            .severity(Severity::High)
            .describe(format!(
                "Made {} an admin of group \"{group}\"",
                member.email
            ))
            .target("user", member.id.clone(), member.email.clone())
            .changes(
                Some(json!({"role": "member"})),
                Some(json!({"role": "admin"})),
            ),
        6 => {
            let leaver = Seat::new(scene, member);
            leaver
                .draft(scene, "group.leave", Category::Permission)
                .describe(format!("{} left group \"{group}\"", member.email))
        }
        7 => seat
            .draft(scene, "datasource.create", Category::Create)
            .severity(Severity::Low)
            .describe(format!("Created data source \"{source}\""))
            .target("datasource", source_id.clone(), source)
            .changes(
                None,
                Some(json!({"name": source, "type": source_type, "ssl_mode": "require"})),
            ),
        8 => seat
            .draft(scene, "datasource.update", Category::Update)
            .severity(Severity::Medium)
            .describe(format!("Updated data source \"{source}\""))
            .target("datasource", source_id.clone(), source)
            .changes(
                Some(json!({"type": source_type, "ssl_mode": "prefer", "pool_size": 5})),
                Some(json!({"type": source_type, "ssl_mode": "require", "pool_size": 10})),
            ),
        9 => seat
            .draft(scene, "datasource.delete", Category::Delete)
            .severity(Severity::High)
            .describe(format!("Deleted data source \"{source}\""))
            .target("datasource", source_id.clone(), source),
        10 => {
            let permission = scene.weighted(&[("USE", 4), ("OWNER", 1)]);
            seat.draft(scene, "datasource.grant_permission", Category::Permission)
                .severity(if permission == "OWNER" {
                    Severity::High
                } else {
                    Severity::Medium
                })
                .describe(format!(
                    "Granted group \"{group}\" {permission} on data source \"{source}\""
                ))
                .target("datasource", source_id.clone(), source)
                .changes(
                    None,
                    Some(json!({"group": group, "permission": permission})),
                )
        }
        11 => seat
            .draft(scene, "datasource.update_permission", Category::Permission)
            .severity(Severity::High)
            .describe(format!(
                "Changed group \"{group}\" from USE to OWNER on data source \"{source}\""
            ))
            .target("datasource", source_id.clone(), source)
            .changes(
                Some(json!({"group": group, "permission": "USE"})),
                Some(json!({"group": group, "permission": "OWNER"})),
            ),
        _ => seat
            .draft(scene, "datasource.delete_permission", Category::Permission)
            .severity(Severity::Medium)
            .describe(format!(
                "Removed group \"{group}\" from data source \"{source}\""
            ))
            .target("datasource", source_id.clone(), source)
            .changes(Some(json!({"group": group, "permission": "USE"})), None),
    };
    // Data-source maintenance (7 to 9) involves no group.
    let draft = if (7..=9).contains(&operation) {
        draft
    } else {
        draft.target("group", group_id, group)
    };
    scene.emit(draft);
}
