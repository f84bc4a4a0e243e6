//! "Activity Logs" (seed 003): a data platform's general audit trail of notebooks, queries, exports,
//! pipelines, permissions and table changes, with the seed's own phrasing in descriptions
//! ("Created notebook \"Q2 Analysis\"", "Executed query \"Top 10 Customers\"").
//!
//! Three stories from the seed's troubleshooting section are woven in so the dashboard has something to
//! find: a few people update the `orders` table (one of them once too generously), the "Daily ETL"
//! pipeline fails now and then at "Step 2 - database connection timeout" and is restarted by hand, and a
//! contractor keeps opening and exporting the sensitive `customers_pii` table.

mod operations;

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::{json, Value};

use super::people::Person;
use super::scene::{stable_hex, Draft, Scene};
use super::System;

#[derive(Clone, Copy)]
enum Kind {
    Query,
    Notebook,
    Export,
    Sensitive,
    Experiment,
    Pipeline,
    Permission,
    DataChange,
}

/// One activity: a query, a notebook edit, an export, a pipeline run, ...
pub(crate) fn scene(scene: &mut Scene) {
    match scene.weighted(&[
        (Kind::Query, 28),
        (Kind::Notebook, 18),
        (Kind::Export, 8),
        (Kind::Sensitive, 5),
        (Kind::Experiment, 4),
        (Kind::Pipeline, 12),
        (Kind::Permission, 7),
        (Kind::DataChange, 14),
    ]) {
        Kind::Query => query(scene),
        Kind::Notebook => notebook(scene),
        Kind::Export => export(scene),
        Kind::Sensitive => sensitive(scene),
        Kind::Experiment => experiment(scene),
        Kind::Pipeline => operations::pipeline(scene),
        Kind::Permission => operations::permission(scene),
        Kind::DataChange => operations::data_change(scene),
    }
}

/// A draft by `person` working in the browser, scoped to their team's workspace.
fn by(scene: &mut Scene, person: &Person, action: &str, category: Category) -> Draft {
    let context = scene.web_context(person, false);
    Draft::new(System::Activity, action, category, person.actor())
        .context(context)
        .scope("environment", "production")
        .scope("workspace", person.team.workspace())
}

/// `1234567` as `1,234,567`, as the seed writes counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(",")
}

fn database(name: &str) -> (String, String) {
    (format!("db_{}", stable_hex(name, 10)), name.to_string())
}

// (name, SQL, database, fewest rows, most rows)
const QUERIES: &[(&str, &str, &str, u64, u64)] = &[
    ("Top 10 Customers", "SELECT c.name, SUM(o.total) AS revenue FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY revenue DESC LIMIT 10", "sales_db", 10, 10),
    ("Monthly Revenue by Region", "SELECT region, date_trunc('month', created_at) AS month, SUM(total) FROM orders GROUP BY 1, 2 ORDER BY 2", "sales_db", 48, 96),
    ("Churned Accounts Last 30 Days", "SELECT account_id, plan, churned_at FROM subscriptions WHERE churned_at > now() - interval '30 days'", "warehouse", 20, 400),
    ("Open Invoices Over 60 Days", "SELECT id, customer_id, amount, due_date FROM invoices WHERE status = 'open' AND due_date < now() - interval '60 days'", "finance_db", 5, 150),
    ("Daily Active Users", "SELECT date(event_time) AS day, COUNT(DISTINCT user_id) FROM events GROUP BY 1 ORDER BY 1", "warehouse", 30, 90),
    ("Orders Stuck in Pending", "SELECT id, customer_id, created_at FROM orders WHERE status = 'pending' AND created_at < now() - interval '2 days'", "sales_db", 0, 60),
];

fn query(scene: &mut Scene) {
    let person = scene.person(System::Activity);
    let (name, sql, db, fewest, most) = scene.pick(QUERIES);
    let (db_id, db_name) = database(db);
    let outcome = scene.outcome(0.04, 0.02);
    let rows = if outcome == Outcome::Success {
        scene.between(fewest, most)
    } else {
        0
    };
    let duration = scene.between(80, 6_000);
    let mut draft = by(scene, person, "query.execute", Category::Execute)
        .outcome(outcome)
        .describe(format!("Executed query \"{name}\""))
        .duration(duration)
        .target("query", format!("qry_{}", stable_hex(name, 10)), name)
        .target("database", db_id, db_name)
        .payload(json!({"query_name": name, "sql": sql, "database": db, "rows_returned": rows}));
    draft = match outcome {
        Outcome::Failure => draft
            .severity(Severity::Low)
            .error("57014", "canceling statement due to statement timeout"),
        Outcome::Denied => draft
            .severity(Severity::Medium)
            .error("42501", format!("permission denied for database {db}")),
        _ => draft,
    };
    scene.emit(draft);
}

const NOTEBOOKS: &[&str] = &[
    "Q2 Analysis",
    "Sales Analysis Q2",
    "Marketing Attribution",
    "Cohort Retention",
    "Board Deck Numbers",
    "Pricing Experiments",
];
const CELLS: &[&str] = &[
    "Data Import",
    "Clean Nulls",
    "Revenue by Region",
    "Chart: Weekly Trend",
    "Export Results",
];
// Renames as the seed shows them: a working title becomes a real one and the notebook gets shared.
const RENAMES: &[(&str, &str)] = &[
    ("Report", "Q2 Sales Report"),
    ("Untitled notebook", "Cohort Retention"),
    ("Draft", "Board Deck Numbers"),
];

fn notebook(scene: &mut Scene) {
    let person = scene.person(System::Activity);
    let name = scene.pick(NOTEBOOKS);
    let id = format!("nb_{}", stable_hex(name, 12));
    let verb = scene.weighted(&[
        ("create", 3),
        ("add_cell", 5),
        ("rename", 2),
        ("execute", 6),
        ("share", 2),
        ("publish", 1),
        ("delete", 1),
    ]);
    let draft = match verb {
        "create" => by(scene, person, "notebook.create", Category::Create)
            .describe(format!("Created notebook \"{name}\""))
            .duration(scene.between(120, 400))
            .payload(json!({"cells": scene.between(1, 8), "template": "blank"})),
        "add_cell" => {
            let cell = scene.pick(CELLS);
            by(scene, person, "notebook.update", Category::Update)
                .describe(format!("Added cell \"{cell}\" to notebook \"{name}\""))
                .payload(json!({"cell": cell, "position": scene.between(1, 12)}))
        }
        "rename" => {
            let (old, new) = scene.pick(RENAMES);
            by(scene, person, "notebook.update", Category::Update)
                .describe(format!("Modified notebook title \"{old}\" to \"{new}\""))
                .changes(
                    Some(json!({"title": old, "visibility": "private"})),
                    Some(json!({"title": new, "visibility": "shared"})),
                )
        }
        "execute" => {
            let cells = scene.between(3, 24);
            let draft = by(scene, person, "notebook.execute", Category::Execute)
                .describe(format!("Executed notebook \"{name}\" ({cells} cells)"))
                .duration(scene.between(2_000, 90_000))
                .payload(json!({"cells": cells}));
            if scene.chance(0.05) {
                draft
                    .outcome(Outcome::Failure)
                    .severity(Severity::Low)
                    .error("CELL_ERROR", "Cell 7 raised KeyError: 'region'")
            } else {
                draft
            }
        }
        "share" => by(scene, person, "notebook.share", Category::Permission)
            .severity(Severity::Low)
            .describe(format!(
                "Shared notebook \"{name}\" with team-members@acme.example"
            ))
            .payload(json!({"shared_with": "team-members@acme.example", "access": "view"})),
        "publish" => by(scene, person, "notebook.publish", Category::Permission)
            .severity(Severity::High)
            .describe("Made notebook \"Public Dashboard\" public")
            .changes(
                Some(json!({"visibility": "shared"})),
                Some(json!({"visibility": "public"})),
            ),
        _ => by(scene, person, "notebook.delete", Category::Delete)
            .severity(Severity::Medium)
            .describe(format!("Deleted notebook \"{name}\"")),
    };
    let target_name = if verb == "publish" {
        "Public Dashboard"
    } else {
        name
    };
    scene.emit(draft.target("notebook", id, target_name));
}

const REPORTS: &[&str] = &[
    "Q2 Sales Report",
    "Monthly Revenue",
    "Customer Health Scorecard",
    "Board KPIs",
];
const TABLES: &[(&str, &str)] = &[
    ("orders", "sales_db"),
    ("customers", "sales_db"),
    ("invoices", "finance_db"),
    ("events", "warehouse"),
];

fn export(scene: &mut Scene) {
    let person = scene.person(System::Activity);
    let format = scene.weighted(&[("CSV", 6), ("XLSX", 3), ("PDF", 1)]);
    let draft = if scene.chance(0.6) {
        let report = scene.pick(REPORTS);
        let rows = scene.between(10, 5_000);
        by(scene, person, "report.export", Category::Export)
            .severity(Severity::Low)
            .describe(format!("Exported report \"{report}\" as {format} ({} rows)", thousands(rows)))
            .target("report", format!("rpt_{}", stable_hex(report, 10)), report)
            .payload(json!({"format": format, "rows": rows, "size_bytes": rows * scene.between(90, 400)}))
    } else {
        let (table, db) = scene.pick(TABLES);
        let rows = scene.between(1_000, 250_000);
        by(scene, person, "table.export", Category::Export)
            .severity(if rows > 100_000 { Severity::High } else { Severity::Medium })
            .describe(format!("Exported table \"{table}\" as {format} ({} rows)", thousands(rows)))
            .target("table", format!("{db}.public.{table}"), table)
            .payload(json!({"format": format, "rows": rows, "database": db, "size_bytes": rows * scene.between(90, 400)}))
    };
    let duration = scene.between(400, 30_000);
    scene.emit(draft.duration(duration));
}

/// Someone opens `customers_pii`, and sometimes exports it; the contractor Leila does so most.
fn sensitive(scene: &mut Scene) {
    let person = if scene.chance(0.35) {
        scene.cast.by_email("leila.rahimi")
    } else {
        scene.person(System::Activity)
    };
    let allowed = person.team != super::people::Team::Contractor
        || person.role != "viewer"
        || scene.chance(0.7);
    let target = |d: Draft| {
        d.target(
            "table",
            "sensitive_data.public.customers_pii",
            "customers_pii",
        )
        .target("database", database("sensitive_data").0, "sensitive_data")
    };
    let outcome = if allowed {
        Outcome::Success
    } else {
        Outcome::Denied
    };
    let access = by(scene, person, "table.access", Category::Access)
        .outcome(outcome)
        .severity(if allowed {
            Severity::Medium
        } else {
            Severity::High
        })
        .describe("Opened table \"customers_pii\" in sensitive_data")
        .scope("workspace", "analytics");
    let access = if allowed {
        access
    } else {
        access.error(
            "FORBIDDEN",
            "Access to sensitive_data requires the pii-reader role",
        )
    };
    scene.emit(target(access));
    let exports = if person.team == super::people::Team::Contractor {
        0.4
    } else {
        0.1
    };
    if allowed && scene.chance(exports) {
        let rows = scene.between(5_000, 60_000);
        let severity = if person.team == super::people::Team::Contractor {
            Severity::Critical
        } else {
            Severity::High
        };
        let draft = by(scene, person, "table.export", Category::Export)
            .severity(severity)
            .describe(format!("Exported table \"customers_pii\" as CSV ({} rows)", thousands(rows)))
            .scope("workspace", "analytics")
            .duration(scene.between(2_000, 20_000))
            .payload(json!({"format": "CSV", "rows": rows, "database": "sensitive_data", "columns": ["id", "name", "email", "phone", "address"]}));
        scene.emit(target(draft));
    }
}

const EXPERIMENTS: &[&str] = &[
    "pricing-page-v3",
    "onboarding-checklist",
    "annual-plan-discount",
    "search-ranking-bm25",
];

fn experiment(scene: &mut Scene) {
    let person = scene.person(System::Activity);
    let name = scene.pick(EXPERIMENTS);
    let (action, category, description, payload): (&str, Category, String, Value) =
        match scene.weighted(&[(0, 2), (1, 5), (2, 1)]) {
            0 => (
                "experiment.create",
                Category::Create,
                format!("Created experiment \"{name}\""),
                json!({"variants": 2, "traffic_pct": 50}),
            ),
            1 => (
                "experiment.run",
                Category::Execute,
                format!("Ran experiment \"{name}\""),
                json!({"variants": 2, "sample_size": scene.between(2_000, 80_000)}),
            ),
            _ => (
                "experiment.cancel",
                Category::Execute,
                format!("Cancelled experiment \"{name}\""),
                json!({"reason": "guardrail metric regressed"}),
            ),
        };
    let draft = by(scene, person, action, category)
        .describe(description)
        .target("experiment", format!("exp_{}", stable_hex(name, 10)), name)
        .payload(payload);
    scene.emit(draft);
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
