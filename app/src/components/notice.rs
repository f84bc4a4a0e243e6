//! The one-line states a page shows instead of (or above) its content: loading, nothing found, or a
//! failure with the API's own message. All three share one element shape, which keeps them cheap.

use leptos::prelude::*;

/// What a [`Notice`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A request is under way.
    Loading,
    /// The request succeeded and found nothing.
    Empty,
    /// The request failed.
    Error,
}

impl NoticeKind {
    /// The `data-testid`: `loading`, `empty` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Loading => "loading",
            NoticeKind::Empty => "empty",
            NoticeKind::Error => "error",
        }
    }

    fn class(self) -> &'static str {
        match self {
            NoticeKind::Error => "ev-alert",
            _ => "ev-status",
        }
    }
}

/// A state line, e.g. `<div class="ev-alert" role="alert" data-testid="error">…</div>`.
#[component]
pub fn Notice(
    /// Which state.
    kind: NoticeKind,
    /// The sentence shown, as text.
    #[prop(into)]
    text: String,
) -> impl IntoView {
    let role = if kind == NoticeKind::Error {
        "alert"
    } else {
        "status"
    };
    view! {
        <div class=kind.class() role=role data-testid=kind.as_str()>
            {text}
        </div>
    }
}
