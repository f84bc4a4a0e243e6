//! The header's light/dark switch. Until it is used the dashboard follows the system's
//! `prefers-color-scheme`; a choice is kept in localStorage and set as `data-theme` on `<html>`,
//! which pins the CSS's `color-scheme` (style/tokens.css). index.html applies a kept choice before
//! the app loads, so a dark page never flashes light.

use leptos::prelude::*;

/// The localStorage item holding the choice (`light` or `dark`); index.html reads the same name.
pub const THEME_KEY: &str = "evident.theme";

/// A colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on light surfaces.
    Light,
    /// Light text on dark surfaces.
    Dark,
}

impl Theme {
    /// The stored and `data-theme` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Reads a stored value; anything else is no choice.
    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// The other one.
    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme shown now: the stored choice, else the system's.
fn current() -> Theme {
    let window = window();
    let stored = window
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(THEME_KEY).ok().flatten())
        .and_then(|v| Theme::parse(&v));
    stored.unwrap_or_else(|| {
        let dark = window
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
        if dark {
            Theme::Dark
        } else {
            Theme::Light
        }
    })
}

/// The toggle button.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(current());
    let toggle = move |_| {
        let next = theme.get_untracked().toggled();
        theme.set(next);
        if let Some(root) = document().document_element() {
            _ = root.set_attribute("data-theme", next.as_str());
        }
        if let Ok(Some(storage)) = window().local_storage() {
            _ = storage.set_item(THEME_KEY, next.as_str());
        }
    };
    let dark = move || theme.get() == Theme::Dark;
    view! {
        <button
            type="button"
            class="ev-button ev-button--ghost ev-header__theme"
            data-testid="theme-toggle"
            aria-label="Dark theme"
            aria-pressed=move || dark().to_string()
            title=move || if dark() { "Switch to the light theme" } else { "Switch to the dark theme" }
            on:click=toggle
        >
            <span aria-hidden="true">{move || if dark() { "☀" } else { "☾" }}</span>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_round_trip_and_toggle() {
        for theme in [Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(theme.as_str()), Some(theme));
            assert_eq!(theme.toggled().toggled(), theme);
        }
        assert_eq!(Theme::parse("auto"), None);
        assert_eq!(Theme::Light.toggled(), Theme::Dark);
    }
}
