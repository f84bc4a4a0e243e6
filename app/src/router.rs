//! Client-side routing: which page a path shows, the current URL as signals, and navigation through the
//! History API (links inside the app, the back and forward buttons, and programmatic moves).
//!
//! Written by hand for size: `leptos_router` cost the dashboard 41 KB of its gzip wasm (168 KB before,
//! 127 KB after: nested and async route machinery, its own URL parsing, view transitions) for a handful
//! of fixed paths. Matching paths and decoding query strings are pure and tested natively;
//! [`Location`] wires them to the browser (and `Esc`, which goes back to the list from the pages
//! that have a back link). A new page is a [`Page`] variant and a line in `App`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What a path shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// `/`: the events list.
    Home,
    /// `/events`: the events list (the same page; a separate variant so moving between the two
    /// starts it afresh, as moving between any two routes does).
    Events,
    /// `/events/{id}`: one event; the id is percent-decoded.
    Event(String),
    /// `/actors/{id}`: an actor's timeline (id or e-mail, percent-decoded).
    Actor(String),
    /// `/resources/{type}/{id}`: a resource's history (both percent-decoded).
    Resource(String, String),
    /// Anything else.
    NotFound,
}

impl Page {
    /// The document's title on this page.
    pub fn title(&self) -> String {
        match self {
            Page::Home | Page::Events => "Audit log · Evident".to_owned(),
            Page::Event(_) => "Event · Evident".to_owned(),
            Page::Actor(id) => format!("{id} · Actor · Evident"),
            Page::Resource(kind, id) => format!("{kind} {id} · History · Evident"),
            Page::NotFound => "Page not found · Evident".to_owned(),
        }
    }

    /// The page for a URL path (without query). A trailing slash is ignored.
    pub fn of(path: &str) -> Page {
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
        match segments.as_slice() {
            [] => Page::Home,
            ["events"] => Page::Events,
            ["events", id] if !id.is_empty() => Page::Event(percent_decode(id, false)),
            ["actors", id] if !id.is_empty() => Page::Actor(percent_decode(id, false)),
            ["resources", kind, id] if !kind.is_empty() && !id.is_empty() => {
                Page::Resource(percent_decode(kind, false), percent_decode(id, false))
            }
            _ => Page::NotFound,
        }
    }
}

/// A URL query string (without `?`), split into decoded name/value pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Splits `a=1&b=x%20y`; `+` reads as a space, as in HTML forms and `URLSearchParams`.
    pub fn parse(query: &str) -> Query {
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name, true), percent_decode(value, true))
            })
            .collect();
        Query(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); malformed escapes stay as they are,
/// and bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = match bytes[i] {
            b'+' if plus_is_space => b' ',
            b'%' => match text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(decoded) => {
                    i += 2;
                    decoded
                }
                None => b'%',
            },
            other => other,
        };
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The current URL as signals, and navigation. Provided once by [`Location::provide`]; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    url: RwSignal<(String, String)>,
    /// The path, e.g. `/events/0190…` (reactive).
    pub path: Memo<String>,
    /// The page the path shows (reactive; changes only when the page does).
    pub page: Memo<Page>,
    /// The query's parameters (reactive).
    pub query: Memo<Query>,
    /// Whether the URL shown was reached with Back or Forward rather than a link.
    traversed: StoredValue<bool>,
}

impl Location {
    /// Reads the browser's URL, follows the back and forward buttons, and takes over clicks on links to
    /// this origin; then makes the location available through [`Location::get`].
    pub fn provide() -> Location {
        let url = RwSignal::new(browser_url());
        let path = Memo::new(move |_| url.with(|(path, _)| path.clone()));
        let location = Location {
            url,
            path,
            page: Memo::new(move |_| path.with(|p| Page::of(p))),
            query: Memo::new(move |_| url.with(|(_, query)| Query::parse(query))),
            traversed: StoredValue::new(false),
        };
        // Dropping the handles keeps the listeners, for as long as the page lives.
        _ = window_event_listener(leptos::ev::popstate, move |_| {
            location.traversed.set_value(true);
            location.arrive(browser_url())
        });
        _ = window_event_listener(leptos::ev::click, move |e| location.follow_link(&e));
        _ = window_event_listener(leptos::ev::keydown, move |e| location.escape_back(&e));
        // Each page names itself in the tab, the history and to a screen reader.
        Effect::new(move |_| document().set_title(&location.page.get().title()));
        provide_context(location);
        location
    }

    /// The location provided by the app.
    pub fn get() -> Location {
        expect_context::<Location>()
    }

    /// Whether the URL shown was reached with Back or Forward: a page may then show what it showed
    /// before, as it was left.
    pub fn traversed(&self) -> bool {
        self.traversed.get_value()
    }

    /// Goes to `href` (a path with an optional query, on this origin): a new history entry, or a
    /// replaced one when `replace`; scrolls to the top when `scroll`.
    pub fn navigate(&self, href: &str, replace: bool, scroll: bool) {
        let Ok(history) = window().history() else {
            return;
        };
        let state = wasm_bindgen::JsValue::NULL;
        let done = if replace {
            history.replace_state_with_url(&state, "", Some(href))
        } else {
            history.push_state_with_url(&state, "", Some(href))
        };
        if done.is_ok() {
            self.traversed.set_value(false);
            self.arrive(browser_url());
            if scroll {
                window().scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    }

    /// Shows `url`. When that is another page, the focus moves to the main region (it would be left
    /// on a link that is gone, which puts a keyboard or screen reader user back at the top of the
    /// document with nothing said).
    fn arrive(&self, url: (String, String)) {
        let new_page = self.page.with_untracked(|page| *page != Page::of(&url.0));
        self.url.set(url);
        if new_page {
            focus_main();
        }
    }

    /// `Esc` outside a field goes back from an event's, an actor's or a resource's page to the list
    /// it came from, as the page's own back link does.
    fn escape_back(&self, e: &web_sys::KeyboardEvent) {
        if e.key() != "Escape"
            || e.default_prevented()
            || e.ctrl_key()
            || e.meta_key()
            || e.alt_key()
            || e.shift_key()
        {
            return;
        }
        let in_field = typing_in_a_field();
        let back = document()
            .query_selector("[data-testid=back-link]")
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        if let (false, Some(back)) = (in_field, back) {
            e.prevent_default();
            self.navigate(&(back.pathname() + &back.search()), false, true);
        }
    }

    /// Navigates in the app instead of loading a page when a plain left click lands on a link to this
    /// origin; links with a target, `download`, `rel="external"` or only a fragment are left to the browser.
    fn follow_link(&self, e: &web_sys::MouseEvent) {
        if e.default_prevented()
            || e.button() != 0
            || e.meta_key()
            || e.alt_key()
            || e.ctrl_key()
            || e.shift_key()
        {
            return;
        }
        let Some(link) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        let external = link
            .get_attribute("rel")
            .is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "external"));
        if !link.target().is_empty()
            || link.has_attribute("download")
            || external
            || !link.hash().is_empty()
            || window().location().origin().ok() != Some(link.origin())
        {
            return;
        }
        e.prevent_default();
        self.navigate(&(link.pathname() + &link.search()), false, true);
    }
}

/// Moves the focus to the page's main region (focusable by script only).
pub fn focus_main() {
    if let Some(main) = document()
        .query_selector("main")
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        _ = main.focus();
    }
}

/// Whether the focus is in a field, where keys are text rather than commands.
pub fn typing_in_a_field() -> bool {
    document()
        .active_element()
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

/// The browser's current path and query (without `?`).
fn browser_url() -> (String, String) {
    let location = window().location();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    (path, search.trim_start_matches('?').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_names_itself() {
        assert_eq!(Page::of("/").title(), "Audit log · Evident");
        assert_eq!(
            Page::of("/actors/alice%40corp.com").title(),
            "alice@corp.com · Actor · Evident"
        );
        assert_eq!(
            Page::of("/resources/db/orders").title(),
            "db orders · History · Evident"
        );
        assert_eq!(Page::of("/nope").title(), "Page not found · Evident");
    }

    #[test]
    fn paths_pick_pages() {
        assert_eq!(Page::of("/"), Page::Home);
        assert_eq!(Page::of(""), Page::Home);
        assert_eq!(Page::of("/events"), Page::Events);
        assert_eq!(Page::of("/events/"), Page::Events);
        assert_eq!(Page::of("/events/0190-ab"), Page::Event("0190-ab".into()));
        assert_eq!(Page::of("/events/0190-ab/"), Page::Event("0190-ab".into()));
        assert_eq!(Page::of("/events/a%2Fb%20c"), Page::Event("a/b c".into()));
        assert_eq!(
            Page::of("/actors/alice%40corp.com"),
            Page::Actor("alice@corp.com".into())
        );
        assert_eq!(
            Page::of("/resources/db%20table/a%2Fb/"),
            Page::Resource("db table".into(), "a/b".into())
        );
        for other in [
            "/nope",
            "/events/a/b",
            "//",
            "/events//",
            "/Events",
            "/actors",
            "/resources/db",
            "/resources//x",
        ] {
            assert_eq!(Page::of(other), Page::NotFound, "{other}");
        }
    }

    #[test]
    fn queries_decode_like_url_search_params() {
        let q =
            Query::parse("range=7d&actor=alice%40corp.com&action=app.*&q=a+b&empty=&flag&range=1d");
        assert_eq!(q.get("range").as_deref(), Some("7d"));
        assert_eq!(q.get("actor").as_deref(), Some("alice@corp.com"));
        assert_eq!(q.get("action").as_deref(), Some("app.*"));
        assert_eq!(q.get("q").as_deref(), Some("a b"));
        assert_eq!(q.get("empty").as_deref(), Some(""));
        assert_eq!(q.get("flag").as_deref(), Some(""));
        assert_eq!(q.get("missing"), None);
        assert_eq!(Query::parse(""), Query::default());
    }

    #[test]
    fn percent_decoding_keeps_what_it_cannot_read() {
        assert_eq!(percent_decode("%e2%9c%93 ok", false), "✓ ok");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%+1", true), "% 1");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("%ff", false), "\u{fffd}");
        assert_eq!(percent_decode("é%C3%A9", false), "éé");
    }

    #[test]
    fn filters_survive_the_page_url() {
        use crate::filters::Filters;
        let filters = Filters {
            q: "actor:\"a&b=c d+e%@x.com\" action:app.*".into(),
            ..Filters::default()
        }
        .with_custom(Some(1_000), None);
        let query = Query::parse(&filters.to_query_string());
        assert_eq!(Filters::from_query(|name| query.get(name)), filters);
    }
}
