//! Lowcoder (seed 004): sessions of people using internal apps (sign in, view apps, run their data
//! queries, sign out), app builders editing apps, folders and library queries, admins managing groups
//! and data-source permissions, and the server starting up. Events are scoped by environment
//! (development, staging, production) and workspace, and carry the parsed user-agent and location
//! details Lowcoder records.

mod building;

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::{json, Value};

use super::people::Person;
use super::scene::{stable_hex, Draft, Scene};
use super::System;

// (app, folder)
const APPS: &[(&str, &str)] = &[
    ("Customer 360", "Sales"),
    ("Refund Approvals", "Support"),
    ("Inventory Dashboard", "Operations"),
    ("Expense Tracker", "Finance"),
    ("Onboarding Checklist", "HR"),
    ("Incident Console", "Platform"),
    ("Lead Router", "Sales"),
    ("Payout Review", "Finance"),
];

// (query, data source, data source type)
const QUERIES: &[(&str, &str, &str)] = &[
    ("getCustomers", "Production Postgres", "postgres"),
    ("listOrders", "Orders MySQL", "mysql"),
    ("approveRefund", "Stripe API", "restApi"),
    ("updateInventory", "Production Postgres", "postgres"),
    ("searchLeads", "HubSpot", "restApi"),
    ("weeklyKpis", "Analytics Warehouse", "snowflake"),
    ("ticketHistory", "Support MongoDB", "mongodb"),
];

/// A session, a builder's edit, an admin's change, or a server start.
pub(crate) fn scene(scene: &mut Scene) {
    match scene.weighted(&[(0, 60), (1, 24), (2, 14), (3, 1)]) {
        0 => session(scene),
        1 => building::edit(scene),
        2 => building::administer(scene),
        _ => startup(scene),
    }
}

/// Where and as whom a scene happens: one person, one environment, one browser session.
pub(super) struct Seat<'a> {
    pub person: &'a Person,
    pub environment: &'static str,
    context: Value,
}

impl<'a> Seat<'a> {
    pub fn new(scene: &mut Scene<'a>, person: &'a Person) -> Self {
        // Builders try things in development and staging first; everyone else uses production.
        let environment = if person.role == "viewer" {
            "production"
        } else {
            scene.weighted(&[("production", 6), ("staging", 2), ("development", 2)])
        };
        let context = scene.web_context(person, person.role == "viewer");
        Seat {
            person,
            environment,
            context,
        }
    }

    /// A draft in this seat, with Lowcoder's user-agent and geolocation details.
    pub fn draft(&self, scene: &mut Scene, action: &str, category: Category) -> Draft {
        let agent = match self.person.mobile_agent {
            Some(mobile) if self.context["user_agent"] == mobile.header => mobile,
            _ => self.person.desktop_agent,
        };
        Draft::new(System::Lowcoder, action, category, self.person.actor())
            .context(scene.next_request(&self.context))
            .scope("environment", self.environment)
            .scope("workspace", self.person.team.workspace())
            .meta("browser", agent.browser)
            .meta("os", agent.os)
            .meta("device_class", agent.device)
            .meta("geo_city", self.person.city)
            .meta("geo_country", self.person.country)
    }
}

pub(super) fn app_target(draft: Draft, app: &str, folder: &str) -> Draft {
    draft
        .target("app", stable_hex(app, 24), app)
        .scope("app", app)
        .scope("folder", folder)
}

fn session(scene: &mut Scene) {
    let person = scene.person(System::Lowcoder);
    let seat = Seat::new(scene, person);
    let auth_source = scene.weighted(&[("EMAIL", 3), ("GOOGLE", 5), ("OIDC", 4)]);
    if scene.chance(0.05) {
        let failed = seat
            .draft(scene, "user.sign_in", Category::Auth)
            .outcome(Outcome::Failure)
            .severity(Severity::Low)
            .describe(format!("{} failed to sign in", person.email))
            .error("INVALID_CREDENTIALS", "Invalid email or password")
            .payload(json!({"auth_source": auth_source}));
        scene.emit(failed);
    }
    let sign_in = seat
        .draft(scene, "user.sign_in", Category::Auth)
        .describe(format!("{} signed in", person.email))
        .payload(json!({"auth_source": auth_source}));
    scene.emit(sign_in);
    let (app, folder) = scene.pick(APPS);
    for _ in 0..scene.between(1, 7) {
        if scene.chance(0.65) {
            let view = seat
                .draft(scene, "app.view", Category::Read)
                .describe(format!("Viewed app \"{app}\""));
            scene.emit(app_target(view, app, folder));
        } else {
            run_query(scene, &seat, app, folder);
        }
    }
    if person.role != "viewer" && scene.chance(0.25) {
        building::update_app(scene, &seat, app, folder);
    }
    if scene.chance(0.4) {
        let logout = seat
            .draft(scene, "user.logout", Category::Auth)
            .describe(format!("{} signed out", person.email));
        scene.emit(logout);
    }
}

fn run_query(scene: &mut Scene, seat: &Seat, app: &str, folder: &str) {
    let (query, source, source_type) = scene.pick(QUERIES);
    let outcome = scene.outcome(0.03, 0.01);
    let duration = scene.between(25, 3_000);
    let mut draft = seat
        .draft(scene, "query.execute", Category::Execute)
        .outcome(outcome)
        .describe(format!("Executed data query \"{query}\" in app \"{app}\""))
        .duration(duration)
        .target("query", stable_hex(&format!("{app}/{query}"), 24), query)
        .target("datasource", stable_hex(source, 24), source)
        .payload(json!({"query_name": query, "datasource": source, "datasource_type": source_type, "trigger": "onPageLoad"}));
    draft = match outcome {
        Outcome::Failure => draft
            .severity(Severity::Low)
            .error("QUERY_TIMEOUT", "Request timed out after 10000ms"),
        Outcome::Denied => draft.severity(Severity::Medium).error(
            "NO_PERMISSION",
            format!("You have no permission to use data source \"{source}\""),
        ),
        _ => draft,
    };
    scene.emit(app_target(draft, app, folder));
}

fn startup(scene: &mut Scene) {
    let environment = scene.weighted(&[("production", 2), ("staging", 1), ("development", 1)]);
    let node = format!("lowcoder-api-{}-{}", scene.hex(9), scene.hex(5));
    let actor = json!({"type": "system", "id": "lowcoder-api-service", "name": "Lowcoder API"});
    let draft = Draft::new(System::Lowcoder, "server.startup", Category::System, actor)
        .describe(format!("Lowcoder API server started on {node}"))
        .duration(scene.between(8_000, 40_000))
        .scope("environment", environment)
        .context(json!({"ip": format!("10.40.{}.{}", scene.between(0, 3), scene.between(2, 250)), "interface": "system"}))
        .payload(json!({"version": System::Lowcoder.version(), "node": node, "java_version": "17.0.12", "profile": environment}));
    scene.emit(draft);
}
