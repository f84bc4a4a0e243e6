//! One event in full (`/events/:id`): a summary header, then who, what, on what, where and how, the
//! changes (a field-by-field diff), the payload (executed code shown as code, with a copy button),
//! metadata, source, and integrity (ids, hashes and a button that re-checks the chain link). Actors
//! and targets link to their own pages.
//! Sections without data are left out; the section contents live in [`sections`]. Like the list, the
//! event is loaded with `spawn_local` rather than a `LocalResource` (see `events.rs`).

use evident_shared::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, actor_path, ApiError};
use crate::components::badge::{outcome_class, severity_class};
use crate::components::notice::{Notice, NoticeKind};
use crate::components::section::{el, link, marked, text, Section};
use crate::format::{actor_label, local_datetime_exact, outcome_label};
use crate::key::Auth;
use crate::LastList;

pub(crate) mod sections;

/// The event detail page. Another id is another page: the app builds it afresh.
#[component]
pub fn DetailPage(
    /// The event's id, from the path.
    id: String,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let last_list = expect_context::<LastList>();
    // `None` while loading.
    let event = RwSignal::new(None::<Result<Event, ApiError>>);
    spawn_local(async move {
        let result = auth.guard(api::get_event(&auth.key_untracked(), &id).await);
        // try_set: the page may have been left meanwhile.
        event.try_set(Some(result));
    });
    let notice = move || {
        event.with(|e| match e {
            None => Some((NoticeKind::Loading, "Loading event…".to_owned())),
            Some(Ok(_)) => None,
            Some(Err(ApiError::NotFound)) => {
                Some((NoticeKind::Empty, "No event with this id".to_owned()))
            }
            Some(Err(e)) => Some((NoticeKind::Error, e.to_string())),
        })
    };

    view! {
        <article class="ev-page ev-detail" data-testid="event-detail">
            <a class="ev-back" href=move || last_list.0.get() data-testid="back-link">
                "← All events"
            </a>
            {move || notice().map(|(kind, text)| view! { <Notice kind text/> })}
            {move || event.with(|e| e.as_ref().and_then(|r| r.as_ref().ok()).map(event_detail))}
        </article>
    }
}

/// The loaded event: a headline (action, outcome, severity; who and when), then the sections.
fn event_detail(event: &Event) -> AnyView {
    let headline = el(
        "div",
        "ev-detail__headline",
        None,
        vec![
            el(
                "h1",
                "ev-detail__title",
                None,
                vec![el(
                    "code",
                    "",
                    Some("detail-action"),
                    vec![text(&event.action)],
                )],
            ),
            el(
                "span",
                outcome_class(event.outcome),
                Some("outcome"),
                vec![text(outcome_label(event.outcome))],
            ),
            el(
                "span",
                severity_class(event.severity),
                Some("severity"),
                vec![text(event.severity.as_str())],
            ),
        ],
    );
    let meta = el(
        "p",
        "ev-detail__meta",
        None,
        vec![
            link(
                actor_path(&event.actor.id),
                "",
                Some("detail-actor"),
                vec![marked(actor_label(&event.actor))],
            ),
            text(" · "),
            text(local_datetime_exact(&event.occurred_at)),
        ],
    );
    let mut head = vec![headline, meta];
    if let Some(description) = &event.description {
        head.push(el(
            "p",
            "ev-detail__description",
            None,
            vec![marked(description)],
        ));
    }
    let sections = sections::sections(event)
        .into_iter()
        .map(|section| view! { <Section section/> }.into_any());
    view! {
        {el("header", "ev-detail__head", None, head)}
        {el("div", "ev-detail__grid", None, sections.collect())}
    }
    .into_any()
}
