//! One actor's page (`/actors/{id}`, the id or e-mail): who they are, their most frequent actions
//! with counts, and their timeline, newest first, a page at a time. "Audit a user's actions": the
//! search link opens the events list on `actor:<id>`, where a date range narrows it, and the export
//! button saves all their events as CSV or JSON.

use evident_shared::event::{Actor, Event};
use leptos::prelude::*;

use crate::api::actor_path;
use crate::components::export_button::ExportButton;
use crate::components::notice::Notice;
use crate::components::section::{el, link, text};
use crate::filters::encode_query_value;
use crate::format::actor_label;
use crate::pages::history::{self, entry, more_button, search_href, term, Loaded, Show};
use crate::LastList;

/// The actor the page is about, as their events name them (`id` may be an e-mail).
pub fn find_actor<'a>(events: &'a [Event], id: &str) -> Option<&'a Actor> {
    events
        .iter()
        .map(|e| &e.actor)
        .find(|a| a.id == id || a.email.as_deref() == Some(id))
}

/// The search for an actor's events: `actor:` (id or e-mail, as the timeline reads it), or
/// `actor.id:` for an id with an `@` that is not their e-mail, which `actor:` would read as one.
pub fn actor_search(actor: Option<&Actor>, id: &str) -> String {
    let id = actor.map_or(id, |a| a.id.as_str());
    let email = actor.and_then(|a| a.email.as_deref());
    match actor {
        Some(_) if id.contains('@') && email != Some(id) => term("actor.id", id),
        _ => term("actor", id),
    }
}

/// The search the page ran, as the server said (it may have matched the path by e-mail or by id);
/// until its first answer, [`actor_search`]'s reading of the path.
fn page_search(loaded: &Loaded, id: &str) -> String {
    loaded
        .search
        .clone()
        .unwrap_or_else(|| actor_search(find_actor(&loaded.events, id), id))
}

/// The actor page.
#[component]
pub fn ActorPage(
    /// The actor's id or e-mail, from the path.
    id: String,
) -> impl IntoView {
    let last_list = expect_context::<LastList>();
    let (state, more) = history::load(actor_path(&id));
    let head = {
        let id = id.clone();
        move || {
            state.with(|s| {
                let actor = find_actor(&s.events, &id);
                let title = actor.map_or(id.as_str(), actor_label);
                let mut meta = vec![el(
                    "span",
                    "ev-mono",
                    None,
                    vec![text(actor.map_or(id.as_str(), |a| &a.id))],
                )];
                if let Some(a) = actor {
                    if let Some(email) = a.email.as_deref().filter(|e| *e != title) {
                        meta.push(el("span", "", None, vec![text(email)]));
                    }
                    meta.push(el(
                        "span",
                        "",
                        None,
                        vec![text(a.kind.as_str().replace('_', " "))],
                    ));
                    if !a.roles.is_empty() {
                        meta.push(el("span", "", None, vec![text(a.roles.join(", "))]));
                    }
                }
                let search = s.search.clone().unwrap_or_else(|| actor_search(actor, &id));
                el(
                    "header",
                    "ev-history__head",
                    None,
                    vec![
                        el("p", "ev-history__kicker", None, vec![text("Actor")]),
                        el(
                            "h1",
                            "ev-page__title",
                            Some("actor-name"),
                            vec![text(title)],
                        ),
                        el("p", "ev-history__meta", None, meta),
                        link(
                            search_href(&search),
                            "ev-history__search",
                            Some("actor-search"),
                            vec![text("Search their events by date range →")],
                        ),
                    ],
                )
            })
        }
    };
    let top = {
        let id = id.clone();
        move || {
            state.with(|s| {
                let max = s.top_actions.first().map_or(1, |(_, n)| (*n).max(1));
                let actor = page_search(s, &id);
                let items: Vec<AnyView> = s
                    .top_actions
                    .iter()
                    .map(|(action, count)| {
                        let query = format!("{actor} {}", term("action", action));
                        let width = format!("width: {}%", count * 100 / max);
                        view! {
                            <li class="ev-top__item" data-testid="top-action">
                                <a class="ev-top__action" href=search_href(&query)><code>{action.clone()}</code></a>
                                <span class="ev-top__bar"><span style=width></span></span>
                                <span class="ev-top__count" data-testid="top-action-count">{count.to_string()}</span>
                            </li>
                        }
                        .into_any()
                    })
                    .collect();
                el("ol", "ev-top", None, items)
            })
        }
    };
    // Everything they did, as a file for the auditors: the same search as the timeline.
    let export = Signal::derive({
        let id = id.clone();
        move || {
            let search = state.with(|s| page_search(s, &id));
            Some(format!("q={}", encode_query_value(&search)))
        }
    });
    let show = Show {
        actor: false,
        targets: true,
    };
    let entries = move || {
        state.with(|s| {
            let items = s.events.iter().map(|e| entry(e, show)).collect();
            el("ol", "ev-entries", Some("timeline"), items)
        })
    };
    view! {
        <article class="ev-page ev-history" data-testid="actor-page">
            <a class="ev-back" href=move || last_list.0.get() data-testid="back-link">"← All events"</a>
            {head}
            {move || state.with(|s| s.notice("No events by this actor")).map(|(kind, text)| view! { <Notice kind text/> })}
            <div class="ev-history__grid" hidden=move || state.with(|s| s.events.is_empty())>
                <section class="ev-section ev-history__side" data-testid="top-actions">
                    <h2 class="ev-section__title">"Top actions"</h2>
                    {top}
                </section>
                <section class="ev-section ev-history__main">
                    <h2 class="ev-section__title">"Timeline, newest first"</h2>
                    <ExportButton query=export/>
                    {entries}
                    {more_button(state, more)}
                </section>
            </div>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: &str, email: Option<&str>) -> Actor {
        serde_json::from_value(serde_json::json!({"type": "user", "id": id, "email": email}))
            .unwrap()
    }

    /// An id with an `@` that is no one's e-mail is searched as an id: `actor:` would read it as an
    /// e-mail and find nothing, while the timeline shows their events.
    #[test]
    fn the_search_names_the_actor_as_the_timeline_found_them() {
        assert_eq!(actor_search(Some(&actor("u1", None)), "u1"), "actor:u1");
        assert_eq!(
            actor_search(Some(&actor("u1", Some("a@x.org"))), "a@x.org"),
            "actor:u1"
        );
        assert_eq!(
            actor_search(Some(&actor("svc@ci", None)), "svc@ci"),
            "actor.id:svc@ci"
        );
        assert_eq!(
            actor_search(Some(&actor("a@x.org", Some("a@x.org"))), "a@x.org"),
            "actor:a@x.org"
        );
        assert_eq!(actor_search(None, "a@x.org"), "actor:a@x.org");
    }

    /// Once the server has said which search it ran, that is the page's search, whoever the newest
    /// event's actor is: `/actors/a@x.org` matched by e-mail finds every id with that e-mail.
    #[test]
    fn the_page_searches_as_the_server_did() {
        let mut loaded = Loaded::default();
        assert_eq!(page_search(&loaded, "a@x.org"), "actor:a@x.org");
        loaded.search = Some("actor:a@x.org".into());
        assert_eq!(page_search(&loaded, "a@x.org"), "actor:a@x.org");
        loaded.search = Some("actor.id:svc@ci".into());
        assert_eq!(page_search(&loaded, "svc@ci"), "actor.id:svc@ci");
    }
}
