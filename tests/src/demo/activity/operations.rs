//! The operational side of the activity log: pipeline runs (with the "Daily ETL" failure and its manual
//! restart), permission grants and revocations, and data changes on tables (with the `orders` table story).

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::json;

use super::{by, database, thousands};
use crate::demo::people::Machine;
use crate::demo::scene::{stable_hex, Draft, Scene};
use crate::demo::System;

// (pipeline, the service account that runs it, how often a run fails, what goes wrong, how often it runs)
const PIPELINES: &[(&str, &str, f64, &str, u32)] = &[
    (
        "Daily ETL",
        "svc-scheduler",
        0.18,
        "Step 2 - database connection timeout",
        5,
    ),
    (
        "Hourly Events Sync",
        "svc-airflow",
        0.04,
        "Step 3 - schema mismatch: column \"region\" not found in source",
        4,
    ),
    (
        "CRM Import",
        "svc-airflow",
        0.08,
        "Step 1 - CRM API returned 429 Too Many Requests",
        2,
    ),
    (
        "dbt Nightly Models",
        "svc-dbt",
        0.05,
        "Step 3 - model fct_revenue failed: division by zero",
        2,
    ),
    (
        "Legacy Process",
        "svc-scheduler",
        0.25,
        "Step 4 - disk quota exceeded on /var/lib/legacy",
        1,
    ),
];

/// A triggered run and its result; a failed run is often restarted by hand and then succeeds.
pub(super) fn pipeline(scene: &mut Scene) {
    let weights: Vec<(usize, u32)> = PIPELINES
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.4))
        .collect();
    let (name, runner, failure_rate, failure, _) = PIPELINES[scene.weighted(&weights)];
    let id = format!("pl_{}", stable_hex(name, 10));
    if name == "Legacy Process" && scene.chance(0.2) {
        let admin = scene.admin();
        let draft = by(scene, admin, "pipeline.disable", Category::Update)
            .severity(Severity::Medium)
            .describe(format!("Disabled pipeline \"{name}\""))
            .changes(
                Some(json!({"enabled": true, "schedule": "0 3 * * *"})),
                Some(json!({"enabled": false, "schedule": null})),
            );
        scene.emit(draft.target("pipeline", id, name));
        return;
    }
    let scheduler = scene.cast.service(runner);
    let run_id = format!("run_{}", scene.hex(12));
    let trigger = machine_draft(scene, scheduler, "pipeline.trigger")
        .describe(format!("Triggered pipeline \"{name}\""))
        .payload(json!({"pipeline": name, "run_id": run_id, "trigger": "schedule"}));
    scene.emit(trigger.target("pipeline", id.clone(), name));
    let failed = scene.chance(failure_rate);
    run_result(
        scene,
        scheduler,
        name,
        &id,
        &run_id,
        failed.then_some(failure),
    );
    if failed && scene.chance(0.6) {
        let engineer = scene.person(System::Activity);
        let retry_id = format!("run_{}", scene.hex(12));
        let restart = by(scene, engineer, "pipeline.restart", Category::Execute)
            .severity(Severity::Low)
            .describe(format!("Manually restarted pipeline \"{name}\""))
            .payload(json!({"pipeline": name, "run_id": retry_id, "previous_run_id": run_id, "trigger": "manual"}));
        scene.emit(restart.target("pipeline", id.clone(), name));
        let failed_again = scene.chance(0.1);
        run_result(
            scene,
            scheduler,
            name,
            &id,
            &retry_id,
            failed_again.then_some(failure),
        );
    }
}

fn machine_draft(scene: &mut Scene, machine: &Machine, action: &str) -> Draft {
    let context = scene.api_context(machine);
    Draft::new(System::Activity, action, Category::Execute, machine.actor())
        .context(context)
        .scope("environment", "production")
        .scope("workspace", "platform")
}

fn run_result(
    scene: &mut Scene,
    runner: &Machine,
    name: &str,
    id: &str,
    run_id: &str,
    failure: Option<&str>,
) {
    let steps = 4;
    let draft = machine_draft(scene, runner, "pipeline.run").target("pipeline", id, name);
    let draft = match failure {
        Some(message) => {
            let failed_step: u64 = message[5..6].parse().unwrap_or(1);
            draft
                .outcome(Outcome::Failure)
                .severity(Severity::High)
                .describe(format!("Failed: {message}"))
                .duration(scene.between(30_000, 600_000))
                .error("STEP_FAILED", message)
                .payload(json!({"pipeline": name, "run_id": run_id, "steps_total": steps, "steps_completed": failed_step - 1, "failed_step": failed_step}))
        }
        None => {
            let rows = scene.between(10_000, 2_000_000);
            draft
                .describe(format!("Pipeline \"{name}\" completed: {steps} steps, {} rows loaded", thousands(rows)))
                .duration(scene.between(60_000, 1_800_000))
                .payload(json!({"pipeline": name, "run_id": run_id, "steps_total": steps, "steps_completed": steps, "rows_loaded": rows}))
        }
    };
    scene.emit(draft);
}

// (group, access, database)
const GRANTS: &[(&str, &str, &str)] = &[
    ("team-data", "read", "sales_db"),
    ("team-finance", "read", "finance_db"),
    ("team-growth", "read", "warehouse"),
    ("team-data", "write", "warehouse"),
    ("contractors", "read", "sales_db"),
    ("pii-readers", "read", "sensitive_data"),
];
const ROLE_CHANGES: &[(&str, &str)] = &[
    ("viewer", "editor"),
    ("editor", "admin"),
    ("admin", "editor"),
    ("editor", "viewer"),
];

/// A grant, a revocation or a role change, by an admin.
pub(super) fn permission(scene: &mut Scene) {
    let admin = scene.admin();
    let (group, access, db) = scene.pick(GRANTS);
    let (db_id, db_name) = database(db);
    let group_id = format!("grp_{}", stable_hex(group, 8));
    let draft = match scene.weighted(&[(0, 5), (1, 3), (2, 2)]) {
        0 => {
            // Grants on sensitive data wait for a second approver.
            let pending = db == "sensitive_data" && scene.chance(0.5);
            let draft = by(scene, admin, "permission.grant", Category::Permission)
                .severity(if access == "read" && db != "sensitive_data" {
                    Severity::Medium
                } else {
                    Severity::High
                })
                .describe(format!("Granted \"{group}\" {access} access to {db}"))
                .changes(None, Some(json!({"group": group, "access": access})))
                .target("group", group_id, group)
                .target("database", db_id, db_name);
            if pending {
                draft.outcome(Outcome::Pending).describe(format!(
                    "Requested \"{group}\" {access} access to {db} (awaiting approval)"
                ))
            } else {
                draft
            }
        }
        1 => {
            let (group, db) = if scene.chance(0.5) {
                ("contractors", "sensitive_data")
            } else {
                (group, db)
            };
            let (db_id, db_name) = database(db);
            by(scene, admin, "permission.revoke", Category::Permission)
                .severity(Severity::Medium)
                .describe(format!("Revoked \"{group}\" access to {db}"))
                .changes(Some(json!({"group": group, "access": access})), None)
                .target("group", format!("grp_{}", stable_hex(group, 8)), group)
                .target("database", db_id, db_name)
        }
        _ => {
            let subject = scene.anyone();
            let (from, to) = scene.pick(ROLE_CHANGES);
            by(scene, admin, "member.update_role", Category::Permission)
                .severity(if to == "admin" {
                    Severity::High
                } else {
                    Severity::Medium
                })
                .describe(format!(
                    "Changed \"{}\" role to {}{}",
                    subject.first_name().to_lowercase(),
                    to[..1].to_uppercase(),
                    &to[1..]
                ))
                .changes(Some(json!({"role": from})), Some(json!({"role": to})))
                .target("user", subject.id.clone(), subject.email.clone())
        }
    };
    scene.emit(draft);
}

// Who updates the orders table, and how often.
const ORDER_EDITORS: &[(&str, u32)] = &[
    ("bob.nguyen", 5),
    ("maya.patel", 4),
    ("olivia.brown", 2),
    ("jonas.weber", 1),
];

/// A change to table data; most of them to `orders`.
pub(super) fn data_change(scene: &mut Scene) {
    let draft = match scene.weighted(&[(0, 8), (1, 2), (2, 2), (3, 1), (4, 1)]) {
        0 => orders_update(scene),
        1 => {
            let person = scene.person(System::Activity);
            let rows = scene.pick(&[1_000, 250, 5_000, 1_200]);
            by(scene, person, "table.insert", Category::Create)
                .describe(format!(
                    "Inserted {} rows into customers table",
                    thousands(rows)
                ))
                .target("table", "sales_db.public.customers", "customers")
                .payload(json!({"rows_affected": rows, "database": "sales_db"}))
        }
        2 => {
            let person = scene.person(System::Activity);
            by(scene, person, "record.update", Category::Update)
                .describe("Updated user #12345")
                .target("record", "sales_db.public.users/12345", "user #12345")
                .changes(
                    Some(json!({"plan": "starter", "seats": 5})),
                    Some(json!({"plan": "business", "seats": 25})),
                )
        }
        3 => {
            let person = scene.person(System::Activity);
            let rows = scene.between(20, 900);
            by(scene, person, "table.delete", Category::Delete)
                .severity(Severity::Medium)
                .describe(format!("Deleted {rows} orphaned records from order_items"))
                .target("table", "sales_db.public.order_items", "order_items")
                .payload(json!({"rows_affected": rows, "statement": "DELETE FROM order_items WHERE order_id NOT IN (SELECT id FROM orders)"}))
        }
        _ => {
            let person = scene.person(System::Activity);
            let rows = scene.between(300, 8_000);
            by(scene, person, "table.import", Category::Create)
                .describe(format!("Imported {} rows from CSV into leads", thousands(rows)))
                .target("table", "warehouse.public.leads", "leads")
                .payload(json!({"rows_affected": rows, "file": "hubspot_export.csv", "database": "warehouse"}))
        }
    };
    let duration = scene.between(40, 4_000);
    scene.emit(draft.duration(duration));
}

fn orders_update(scene: &mut Scene) -> Draft {
    let editor = scene.weighted(ORDER_EDITORS);
    let person = scene.cast.by_email(editor);
    // Once in a while the contractor gives one customer a 100% discount on every order.
    let (statement, before, after, rows, severity) = if editor == "jonas.weber" && scene.chance(0.3)
    {
        (
            "UPDATE orders SET discount_pct = 100 WHERE customer_id = 4821",
            json!({"discount_pct": 10}),
            json!({"discount_pct": 100}),
            12,
            Severity::High,
        )
    } else {
        match scene.weighted(&[(0, 6), (1, 2), (2, 2)]) {
            0 => ("UPDATE orders SET status = 'shipped' WHERE id = ANY($1)", json!({"status": "pending"}), json!({"status": "shipped"}), scene.between(1, 60), Severity::Low),
            1 => ("UPDATE orders SET status = 'cancelled' WHERE status = 'pending' AND created_at < now() - interval '14 days'", json!({"status": "pending"}), json!({"status": "cancelled"}), scene.between(5, 200), Severity::Medium),
            _ => ("UPDATE orders SET shipping_address_id = 88412 WHERE id = 1048213", json!({"shipping_address_id": 77190}), json!({"shipping_address_id": 88412}), 1, Severity::Low),
        }
    };
    by(scene, person, "table.update", Category::Update)
        .severity(severity)
        .describe(format!(
            "Updated {rows} row{} in orders table",
            if rows == 1 { "" } else { "s" }
        ))
        .target("table", "sales_db.public.orders", "orders")
        .scope("workspace", "analytics")
        .changes(Some(before), Some(after))
        .payload(json!({"rows_affected": rows, "statement": statement, "database": "sales_db"}))
}
