//! Livebook (seed 000): one `code.evaluate` entry per evaluated cell, with the code, the session mode
//! (`default` for notebooks, `app` for app previews) and every user in the session. People work through a
//! notebook in bursts, sometimes with colleagues, so a scene is several evaluations by one person.
//! Code that changes production data is the reason teams turn this log on; it gets a higher severity.

use evident_shared::event::{Category, Outcome, Severity};
use serde_json::json;

use super::scene::{stable_hex, Draft, Scene};
use super::System;

// (notebook, environment it runs against)
const NOTEBOOKS: &[(&str, &str)] = &[
    ("Weekly KPIs", "production"),
    ("Customer Churn Exploration", "production"),
    ("Billing Reconciliation", "production"),
    ("Incident 2291 Follow-up", "production"),
    ("Support Ticket Triage", "production"),
    ("Onboarding Funnel", "staging"),
    ("Repo Migration Dry Run", "staging"),
    ("Embedding Experiments", "development"),
];

const SETUP: &str =
    "Mix.install([\n  {:req, \"~> 0.5\"},\n  {:explorer, \"~> 0.10\"},\n  {:kino, \"~> 0.14\"}\n])";

// (code, how much a reviewer should care)
const SNIPPETS: &[(&str, Severity)] = &[
    ("1 + 1", Severity::Info),
    ("query = from u in User, select: u.name\nRepo.all(query)", Severity::Info),
    ("Repo.all(Organization)", Severity::Info),
    ("import Ecto.Query\nalias Acme.{Repo, Accounts.User, Billing.Invoice}", Severity::Info),
    ("alias Explorer.DataFrame, as: DF\nrequire Explorer.DataFrame", Severity::Info),
    ("df = DF.from_csv!(\"/data/orders_2024.csv\")\nDF.shape(df)", Severity::Info),
    (
        "df\n|> DF.group_by(\"country\")\n|> DF.summarise(revenue: sum(amount))\n|> DF.sort_by(desc: revenue)",
        Severity::Info,
    ),
    ("from(i in Invoice, where: i.status == :overdue, select: count(i.id))\n|> Repo.one()", Severity::Info),
    ("Repo.get!(User, 12345)", Severity::Low),
    ("Kino.DataTable.new(Repo.all(from o in Order, limit: 100))", Severity::Low),
    ("Enum.map(1..10, &(&1 * &1))", Severity::Info),
    ("Req.get!(\"https://api.internal.acme.example/v1/health\").body", Severity::Info),
    (
        "Task.async_stream(account_ids, &Acme.Sync.refresh/1, max_concurrency: 8)\n|> Enum.to_list()\n|> length()",
        Severity::Low,
    ),
    (":ets.info(:session_cache, :size)", Severity::Info),
    ("Process.list() |> length()", Severity::Info),
    ("Application.get_env(:acme, Acme.Repo)[:pool_size]", Severity::Low),
    ("Acme.Metrics.weekly_active_users(~D[2024-06-03])", Severity::Info),
    ("Nx.tensor([[1, 2], [3, 4]]) |> Nx.dot(Nx.tensor([[5], [6]]))", Severity::Info),
    ("Oban.drain_queue(queue: :mailers)", Severity::Medium),
    ("Logger.info(\"backfill started\")\nAcme.Backfill.run(batch_size: 500)", Severity::Medium),
    (
        "from(o in Order, where: o.status == \"stuck\" and o.inserted_at < ago(2, \"day\"))\n|> Repo.update_all(set: [status: \"cancelled\"])",
        Severity::Medium,
    ),
    ("Repo.delete_all(from s in Session, where: s.expires_at < ^DateTime.utc_now())", Severity::Medium),
    (
        "user = Repo.get_by!(User, email: \"carla.rossi@acme.example\")\nuser |> Ecto.Changeset.change(role: :admin) |> Repo.update!()",
        Severity::High,
    ),
];

const ERRORS: &[(&str, &str)] = &[
    ("CompileError", "** (CompileError) undefined function usr/0 (there is no such import)"),
    ("Postgrex.Error", "** (Postgrex.Error) ERROR 42P01 (undefined_table) relation \"userz\" does not exist"),
    (
        "DBConnection.ConnectionError",
        "** (DBConnection.ConnectionError) connection not available and request was dropped from queue after 2000ms",
    ),
    ("Ecto.NoResultsError", "** (Ecto.NoResultsError) expected at least one result but got none in query"),
    ("KeyError", "** (KeyError) key :amount not found in: %{\"amount\" => 120, \"currency\" => \"EUR\"}"),
];

/// A burst of evaluations in one notebook session.
pub(crate) fn scene(scene: &mut Scene) {
    let author = scene.person(System::Livebook);
    let (notebook, environment) = scene.pick(NOTEBOOKS);
    let mode = if scene.chance(0.15) { "app" } else { "default" };
    // Livebook lists every user in the session; the first is the one who pressed evaluate.
    let mut collaborators = Vec::new();
    if scene.chance(0.3) {
        collaborators.push(scene.colleague(author, System::Livebook));
        if scene.chance(0.3) {
            let second = scene.colleague(author, System::Livebook);
            if collaborators.iter().all(|c| c.id != second.id) {
                collaborators.push(second);
            }
        }
    }
    let context = scene.web_context(author, false);
    let notebook_id = format!("nb_{}", stable_hex(notebook, 12));
    let evaluations = scene.between(1, 6);
    for step in 0..evaluations {
        let (code, severity) = if step == 0 && scene.chance(0.3) {
            (SETUP, Severity::Info)
        } else {
            scene.pick(SNIPPETS)
        };
        let mut draft = Draft::new(
            System::Livebook,
            "code.evaluate",
            Category::Execute,
            author.actor(),
        )
        .severity(severity)
        .describe(format!("Evaluated code in \"{notebook}\""))
        .participants(collaborators.iter().map(|c| c.actor()).collect())
        .target("notebook", notebook_id.clone(), notebook)
        .scope("organization", "acme")
        .scope("environment", environment)
        .scope("workspace", author.team.workspace())
        .payload(json!({"code": code, "session_mode": mode}))
        .meta("message", "Evaluating code")
        .meta("event", "code.evaluate");
        if mode == "app" {
            draft = draft.scope("app", notebook);
        }
        draft = draft.context(scene.next_request(&context));
        if scene.chance(0.05) {
            let (code, message) = scene.pick(ERRORS);
            draft = draft
                .outcome(Outcome::Failure)
                .error(code, message)
                .severity_at_least(Severity::Low);
        }
        scene.emit(draft);
    }
}
