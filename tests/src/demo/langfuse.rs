//! Langfuse (seed 002): changes to the auditable resource types in the seed's table (prompts, datasets,
//! traces, scores, API keys, memberships, ...), by users through the web interface or by API keys.
//! Updates carry the complete state before and after, creations the state after and deletions the state
//! before, as Langfuse records them; the actor's organization and project roles go into metadata.

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::Value;

use super::people::Person;
use super::scene::{stable_hex, Draft, Scene};
use super::System;

mod states;

// (project, environment)
const PROJECTS: &[(&str, &str)] = &[
    ("support-bot", "production"),
    ("rag-search", "production"),
    ("sales-assistant", "production"),
    ("eval-playground", "development"),
];

/// An auditable resource type: how often it changes, by which verbs, and how often through an API key.
struct Resource {
    kind: &'static str,
    weight: u32,
    verbs: &'static [(&'static str, u32)],
    by_api_key: f64,
}

const fn resource(
    kind: &'static str,
    weight: u32,
    verbs: &'static [(&'static str, u32)],
    by_api_key: f64,
) -> Resource {
    Resource {
        kind,
        weight,
        verbs,
        by_api_key,
    }
}

#[rustfmt::skip] // one resource per line reads as a table
const RESOURCES: &[Resource] = &[
    resource("prompt", 30, &[("create", 30), ("update", 12), ("promote", 15), ("set_label", 12), ("update_tags", 10), ("delete", 3)], 0.25),
    resource("dataset", 8, &[("create", 4), ("update", 4), ("delete", 1)], 0.2),
    resource("dataset_item", 10, &[("create", 6), ("update", 3), ("delete", 1)], 0.5),
    resource("dataset_run", 2, &[("delete", 1)], 0.0),
    resource("trace", 12, &[("bookmark", 5), ("publish", 2), ("update_tags", 4), ("delete", 1)], 0.1),
    resource("session", 3, &[("bookmark", 3), ("publish", 1)], 0.0),
    resource("score", 10, &[("create", 6), ("update", 2), ("delete", 1)], 0.5),
    resource("score_config", 3, &[("create", 2), ("update", 2)], 0.0),
    resource("annotation_queue", 3, &[("create", 2), ("update", 2), ("delete", 1)], 0.0),
    resource("annotation_queue_item", 6, &[("create", 3), ("complete", 5), ("delete", 1)], 0.0),
    resource("comment", 4, &[("create", 5), ("delete", 1)], 0.0),
    resource("api_key", 3, &[("create", 3), ("update", 1), ("delete", 2)], 0.0),
    resource("llm_api_key", 1, &[("create", 2), ("delete", 1)], 0.0),
    resource("model", 2, &[("create", 2), ("update", 2), ("delete", 1)], 0.0),
    resource("job", 2, &[("create", 2), ("update", 2), ("delete", 1)], 0.0),
    resource("eval_template", 1, &[("create", 1)], 0.0),
    resource("batch_export", 2, &[("create", 1)], 0.0),
    resource("project", 2, &[("create", 1), ("update", 3), ("transfer", 1), ("delete", 1)], 0.0),
    resource("organization", 1, &[("update", 1)], 0.0),
    resource("organization_membership", 3, &[("create", 3), ("update", 3), ("delete", 1)], 0.0),
    resource("project_membership", 3, &[("create", 3), ("update", 2), ("delete", 1)], 0.0),
    resource("membership_invitation", 2, &[("create", 3), ("delete", 1)], 0.0),
    resource("blob_storage_integration", 1, &[("update", 1)], 0.0),
    resource("posthog_integration", 1, &[("update", 2), ("delete", 1)], 0.0),
];

/// One change to one resource.
pub(crate) fn scene(scene: &mut Scene) {
    let weights: Vec<(usize, u32)> = RESOURCES
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.weight))
        .collect();
    let resource = &RESOURCES[scene.weighted(&weights)];
    let verb = scene.weighted(resource.verbs);
    let (project, environment) = scene.pick(PROJECTS);
    let project_id = cuid(project);
    let subject = scene.anyone();
    let state = states::build(scene, resource.kind, &project_id, subject);
    let (before, after) = match verb {
        "create" => (None, Some(state.value)),
        "delete" => (Some(state.value), None),
        _ => {
            let after = states::apply(scene, resource.kind, verb, &state.value);
            (Some(state.value), Some(after))
        }
    };
    let action = format!("{}.{verb}", resource.kind);
    let description = describe(resource.kind, verb, &state.name);
    let by_api_key = resource.by_api_key > 0.0 && scene.chance(resource.by_api_key);
    let mut draft = if by_api_key {
        let key = scene.pick(&[0, 1, 2]);
        let key = &scene.cast.api_keys[key];
        let context = scene.api_context(key);
        Draft::new(
            System::Langfuse,
            action,
            category(resource.kind, verb),
            key.actor(),
        )
        .context(context)
    } else {
        let person = scene.person(System::Langfuse);
        let context = scene.web_context(person, false);
        let (org_role, project_role) = roles(person);
        Draft::new(
            System::Langfuse,
            action,
            category(resource.kind, verb),
            person.actor(),
        )
        .context(context)
        .meta("user_org_role", org_role)
        .meta("user_project_role", project_role)
    };
    draft = draft
        .severity(severity(resource.kind, verb, after.as_ref()))
        .describe(description)
        .target(resource.kind, state.id, state.name)
        .scope("organization", "acme")
        .scope("environment", environment)
        .meta("resource_type", resource.kind);
    if resource.kind != "organization" {
        draft = draft
            .scope("project", project)
            .meta("project_id", project_id);
    }
    // Viewers now and then try something their role does not allow; nothing changes then.
    if !by_api_key && scene.chance(0.015) {
        draft = draft
            .outcome(Outcome::Denied)
            .severity_at_least(Severity::Medium)
            .error(
                "FORBIDDEN",
                "User does not have access to this resource or action",
            );
    } else {
        draft = draft.changes(before, after);
    }
    scene.emit(draft);
}

/// A cuid-shaped id, as Langfuse uses, that depends only on `name`.
pub(super) fn cuid(name: &str) -> String {
    format!("cm{}", stable_hex(name, 23))
}

fn roles(person: &Person) -> (&'static str, &'static str) {
    match person.role {
        "admin" if person.team == super::people::Team::Ml => ("OWNER", "OWNER"),
        "admin" => ("ADMIN", "ADMIN"),
        "editor" => ("MEMBER", "MEMBER"),
        _ => ("VIEWER", "VIEWER"),
    }
}

fn category(kind: &str, verb: &str) -> Category {
    match (kind, verb) {
        ("organization_membership" | "project_membership" | "membership_invitation", _) => {
            Category::Permission
        }
        ("api_key" | "llm_api_key", _) => Category::Auth,
        ("batch_export", _) => Category::Export,
        (_, "create") => Category::Create,
        (_, "delete") => Category::Delete,
        _ => Category::Update,
    }
}

fn severity(kind: &str, verb: &str, after: Option<&Value>) -> Severity {
    let grants_admin = after
        .and_then(|a| a.get("role"))
        .and_then(Value::as_str)
        .is_some_and(|r| r == "ADMIN" || r == "OWNER");
    match (kind, verb) {
        ("project" | "organization", "delete" | "transfer") => Severity::Critical,
        ("api_key" | "llm_api_key", _) => Severity::High,
        ("organization_membership" | "project_membership", _) if grants_admin => Severity::High,
        ("organization_membership" | "project_membership", _) => Severity::Medium,
        ("blob_storage_integration" | "posthog_integration" | "project" | "organization", _) => {
            Severity::Medium
        }
        ("prompt", "promote") | (_, "delete") => Severity::Medium,
        ("batch_export" | "membership_invitation", _) => Severity::Low,
        _ => Severity::Info,
    }
}

fn describe(kind: &str, verb: &str, name: &str) -> String {
    let what = kind.replace('_', " ");
    match verb {
        "create" => format!("Created {what} \"{name}\""),
        "delete" => format!("Deleted {what} \"{name}\""),
        "promote" => format!("Promoted {what} \"{name}\" to production"),
        "set_label" => format!("Set label \"staging\" on {what} \"{name}\""),
        "update_tags" => format!("Updated tags of {what} \"{name}\""),
        "bookmark" => format!("Bookmarked {what} \"{name}\""),
        "publish" => format!("Published {what} \"{name}\""),
        "complete" => format!("Completed {what} \"{name}\""),
        "transfer" => format!("Transferred {what} \"{name}\" to organization \"Acme Labs\""),
        _ => format!("Updated {what} \"{name}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_update_verb_changes_the_state() {
        let cast = super::super::people::Cast::new();
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
        let mut drafts = std::collections::VecDeque::new();
        let mut scene = Scene::new(&mut rng, &cast, 3, 1_718_000_000_000, &mut drafts);
        for resource in RESOURCES {
            for (verb, _) in resource
                .verbs
                .iter()
                .filter(|(v, _)| !matches!(*v, "create" | "delete"))
            {
                let subject = &cast.people[1];
                let state = states::build(&mut scene, resource.kind, "cmproject", subject);
                let after = states::apply(&mut scene, resource.kind, verb, &state.value);
                assert_ne!(state.value, after, "{}.{verb}", resource.kind);
            }
        }
    }
}
