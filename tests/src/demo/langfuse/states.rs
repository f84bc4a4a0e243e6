//! Complete resource states in the shape Langfuse stores them (camelCase, cuid ids, no secrets: keys
//! appear only in their display form), and the change each verb makes to one, so before/after diffs in
//! the dashboard look like Langfuse's own.

use evident_shared::timestamp::format_rfc3339;
use serde_json::{json, Value};

use super::super::people::Person;
use super::super::scene::Scene;
use super::super::timeline::DAY_MS;
use super::cuid;

/// A resource's identity and full state.
pub(super) struct State {
    pub id: String,
    pub name: String,
    pub value: Value,
}

const PROMPTS: &[(&str, &str)] = &[
    ("support-triage", "You are a support triage assistant. Classify the ticket into billing, bug, how-to or account and reply with JSON."),
    ("rag-answer", "Answer the question using only the context below. If the answer is not in the context, say you don't know.\n\nContext:\n{{context}}"),
    ("summarize-ticket", "Summarize the following support conversation in three bullet points for a handover."),
    ("sql-generator", "Translate the user's question into a single read-only PostgreSQL query over the schema {{schema}}."),
    ("tone-rewrite", "Rewrite the draft reply to be friendly, concise and free of jargon."),
    ("classify-intent", "Return the user's intent as one of: purchase, cancel, upgrade, question, other."),
];
const DATASETS: &[&str] = &[
    "golden-support-qa",
    "rag-eval-v2",
    "regression-2024-06",
    "edge-cases",
    "sql-benchmark",
];
const TRACES: &[&str] = &[
    "chat-completion",
    "rag-pipeline",
    "ticket-triage",
    "sql-agent",
    "embedding-batch",
];
const SCORES: &[(&str, &str)] = &[
    ("helpfulness", "NUMERIC"),
    ("correctness", "NUMERIC"),
    ("user-feedback", "BOOLEAN"),
    ("toxicity", "NUMERIC"),
    ("tone", "CATEGORICAL"),
];
const QUEUES: &[&str] = &[
    "Low-confidence answers",
    "Escalated tickets",
    "Weekly sample",
];
const MODELS: &[(&str, f64, f64)] = &[
    ("gpt-4o", 0.0000025, 0.00001),
    ("gpt-4o-mini", 0.00000015, 0.0000006),
    ("claude-3-5-sonnet", 0.000003, 0.000015),
    ("llama-3.1-70b", 0.0000009, 0.0000009),
];
const COMMENTS: &[&str] = &[
    "Hallucinated the refund policy, see turn 3.",
    "Great answer, adding to the golden set.",
    "Retrieval missed the 2024 pricing page.",
    "Wrong language: customer wrote in German.",
];

/// The full state of one `kind` resource in the project `project_id`; `subject` is the member for memberships.
pub(super) fn build(scene: &mut Scene, kind: &str, project_id: &str, subject: &Person) -> State {
    let id = format!("cm{}{}", scene.hex(16), scene.hex(7));
    let created = format_rfc3339(scene.at_ms - scene.between(1, 120) as i64 * DAY_MS);
    let (name, value) = match kind {
        "prompt" => {
            let (name, text) = scene.pick(PROMPTS);
            let version = scene.between(1, 40);
            let labels = if scene.chance(0.7) {
                json!(["latest"])
            } else {
                json!(["latest", "canary"])
            };
            (
                format!("{name} v{version}"),
                json!({
                    "id": id, "projectId": project_id, "name": name, "version": version, "type": "chat",
                    "prompt": [{"role": "system", "content": text}, {"role": "user", "content": "{{input}}"}],
                    "config": {"model": "gpt-4o", "temperature": 0.2}, "labels": labels, "tags": ["support"],
                    "createdAt": created,
                }),
            )
        }
        "dataset" => {
            let name = scene.pick(DATASETS);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "name": name, "description": "Curated examples from production traces", "metadata": {"owner": "ml"}, "createdAt": created}),
            )
        }
        "dataset_item" => (
            id.clone(),
            json!({
                "id": id, "datasetId": cuid(scene.pick(DATASETS)), "status": "ACTIVE",
                "input": {"question": "How do I change the billing e-mail on my account?"},
                "expectedOutput": {"answer": "Go to Settings > Billing and edit the invoice e-mail."},
                "createdAt": created,
            }),
        ),
        "dataset_run" => {
            let name = format!("gpt-4o-mini-{}", scene.hex(6));
            (
                name.clone(),
                json!({"id": id, "datasetId": cuid(scene.pick(DATASETS)), "name": name, "metadata": {"model": "gpt-4o-mini"}, "createdAt": created}),
            )
        }
        "trace" => {
            let name = scene.pick(TRACES);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "name": name, "userId": format!("customer-{}", scene.between(1000, 9999)), "bookmarked": false, "public": false, "tags": ["production"], "timestamp": created}),
            )
        }
        "session" => (
            id.clone(),
            json!({"id": id, "projectId": project_id, "bookmarked": false, "public": false, "createdAt": created}),
        ),
        "score" => {
            let (name, data_type) = scene.pick(SCORES);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "traceId": scene.hex(16), "name": name, "value": 0.5, "dataType": data_type, "source": "API", "comment": null, "timestamp": created}),
            )
        }
        "score_config" => {
            let (name, data_type) = scene.pick(SCORES);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "name": name, "dataType": data_type, "minValue": 0, "maxValue": 1, "isArchived": false, "description": null}),
            )
        }
        "annotation_queue" => {
            let name = scene.pick(QUEUES);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "name": name, "description": "Traces a human should look at", "scoreConfigIds": [cuid("helpfulness")]}),
            )
        }
        "annotation_queue_item" => (
            id.clone(),
            json!({"id": id, "queueId": cuid(scene.pick(QUEUES)), "objectId": scene.hex(16), "objectType": "TRACE", "status": "PENDING", "completedAt": null}),
        ),
        "comment" => (
            id.clone(),
            json!({"id": id, "projectId": project_id, "objectType": "TRACE", "objectId": scene.hex(16), "content": scene.pick(COMMENTS), "authorUserId": subject.id}),
        ),
        "api_key" => {
            let note = scene.pick(&[
                "prod-backend",
                "ci-evals",
                "notebook testing",
                "support-bot-web",
            ]);
            (
                note.to_string(),
                json!({"id": id, "projectId": project_id, "publicKey": format!("pk-lf-{}", scene.hex(12)), "displaySecretKey": format!("sk-lf-...{}", scene.hex(4)), "note": note, "expiresAt": null, "lastUsedAt": created}),
            )
        }
        "llm_api_key" => {
            let provider = scene.pick(&["openai", "anthropic", "azure"]);
            (
                provider.to_string(),
                json!({"id": id, "projectId": project_id, "provider": provider, "adapter": provider, "displaySecretKey": format!("...{}", scene.hex(4)), "baseURL": null, "withDefaultModels": true}),
            )
        }
        "model" => {
            let (name, input, output) = scene.pick(MODELS);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "modelName": name, "matchPattern": format!("(?i)^({name})$"), "inputPrice": input, "outputPrice": output, "unit": "TOKENS", "tokenizerId": "openai"}),
            )
        }
        "job" => {
            let (score, _) = scene.pick(SCORES);
            let name = format!("eval-{score}");
            (
                name,
                json!({"id": id, "projectId": project_id, "jobType": "EVAL", "scoreName": score, "sampling": 0.1, "delay": 30000, "status": "ACTIVE", "filter": [{"column": "name", "operator": "=", "value": scene.pick(TRACES)}]}),
            )
        }
        "eval_template" => {
            let name = scene.pick(&["hallucination", "relevance", "conciseness"]);
            (
                name.to_string(),
                json!({"id": id, "projectId": project_id, "name": name, "version": scene.between(1, 5), "model": "gpt-4o", "outputSchema": {"score": "number between 0 and 1", "reasoning": "one sentence"}}),
            )
        }
        "batch_export" => {
            let name = format!("traces-{}", &created[..10]);
            (
                name.clone(),
                json!({"id": id, "projectId": project_id, "name": name, "format": scene.pick(&["CSV", "JSON"]), "status": "QUEUED", "query": {"tableName": "traces", "filter": []}}),
            )
        }
        "project" => {
            let name = scene.pick(&[
                "support-bot",
                "rag-search",
                "sales-assistant",
                "eval-playground",
            ]);
            (
                name.to_string(),
                json!({"id": cuid(name), "orgId": cuid("acme"), "name": name, "retentionDays": 30}),
            )
        }
        "organization" => (
            "Acme".into(),
            json!({"id": cuid("acme"), "name": "Acme", "cloudConfig": {"plan": "Team"}}),
        ),
        "organization_membership" => (
            subject.email.clone(),
            json!({"id": id, "orgId": cuid("acme"), "userId": subject.id, "role": "MEMBER"}),
        ),
        "project_membership" => (
            subject.email.clone(),
            json!({"id": id, "projectId": project_id, "userId": subject.id, "role": "VIEWER"}),
        ),
        "membership_invitation" => (
            subject.email.clone(),
            json!({"id": id, "email": subject.email, "orgId": cuid("acme"), "orgRole": "MEMBER", "projectId": project_id, "projectRole": "VIEWER"}),
        ),
        "blob_storage_integration" => (
            "S3 export".into(),
            json!({"projectId": project_id, "type": "S3", "bucketName": "acme-langfuse-exports", "region": "eu-central-1", "prefix": "langfuse/", "exportFrequency": "daily", "enabled": true}),
        ),
        "posthog_integration" => (
            "PostHog".into(),
            json!({"projectId": project_id, "posthogHostName": "https://eu.posthog.com", "enabled": true}),
        ),
        _ => (id.clone(), json!({"id": id})),
    };
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(project_id)
        .to_string();
    State { id, name, value }
}

/// The state after `verb` acted on `before`.
pub(super) fn apply(scene: &mut Scene, kind: &str, verb: &str, before: &Value) -> Value {
    let mut after = before.clone();
    match (kind, verb) {
        (_, "bookmark") => after["bookmarked"] = true.into(),
        (_, "publish") => after["public"] = true.into(),
        (_, "complete") => {
            after["status"] = "COMPLETED".into();
            after["completedAt"] = format_rfc3339(scene.at_ms).into();
        }
        ("prompt", "promote") => push_label(&mut after, "production"),
        ("prompt", "set_label") => push_label(&mut after, "staging"),
        ("prompt", "update_tags") => after["tags"] = json!(["support", "reviewed"]),
        ("trace", "update_tags") => {
            after["tags"] = json!([
                "production",
                scene.pick(&["regression", "golden", "needs-review"])
            ])
        }
        ("prompt", _) => after["config"]["temperature"] = scene.pick(&[0.0, 0.3, 0.7]).into(),
        ("dataset", _) => {
            after["description"] = "Curated examples from production traces, deduplicated".into()
        }
        ("dataset_item", _) => after["status"] = "ARCHIVED".into(),
        ("score", _) => after["value"] = scene.pick(&[0.0, 1.0, 0.75]).into(),
        ("score_config", _) => after["isArchived"] = true.into(),
        ("annotation_queue", _) => {
            after["description"] = "Traces with a helpfulness score below 0.4".into()
        }
        ("api_key", _) => {
            after["note"] = format!("{} (rotated)", before["note"].as_str().unwrap_or("key")).into()
        }
        ("model", _) => {
            after["inputPrice"] = json!(before["inputPrice"].as_f64().unwrap_or(0.000001) / 2.0)
        }
        ("job", _) => after["sampling"] = scene.pick(&[0.25, 0.5, 1.0]).into(),
        ("project", "transfer") => after["orgId"] = cuid("acme-labs").into(),
        ("project", _) => after["retentionDays"] = scene.pick(&[7, 90, 365]).into(),
        ("organization", _) => after["cloudConfig"]["plan"] = "Enterprise".into(),
        ("organization_membership", _) => {
            after["role"] = scene.pick(&["ADMIN", "VIEWER", "OWNER"]).into()
        }
        ("project_membership", _) => after["role"] = scene.pick(&["MEMBER", "ADMIN"]).into(),
        ("blob_storage_integration", _) => after["exportFrequency"] = "hourly".into(),
        ("posthog_integration", _) => after["enabled"] = false.into(),
        _ => after["updatedAt"] = format_rfc3339(scene.at_ms).into(),
    }
    after
}

fn push_label(prompt: &mut Value, label: &str) {
    if let Some(labels) = prompt["labels"].as_array_mut() {
        labels.push(label.into());
    }
}
