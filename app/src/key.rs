//! Who the dashboard reads as: a person signed in with the session cookie (`/sign-in`, the worker's
//! `__Host-evident_session`, which script cannot read), or else a read key: asked for once, kept in the tab's
//! sessionStorage (gone when the tab closes, never sent anywhere but this origin's API), and forgotten
//! when the API rejects it.
//!
//! [`Auth`] is the reactive handle the whole app shares through context: the key prompt signs in, the
//! header signs out, and pages pass every API result through [`Auth::guard`] so a 401 anywhere sends the
//! user back to the prompt with an explanation.

use leptos::prelude::*;

use crate::api::ApiError;

/// The sessionStorage item holding the key.
pub const STORAGE_KEY: &str = "evident.read_key";

/// A person signed in with the session cookie, as `GET /api/v1/session` describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// `owner`, `admin`, `auditor` or `member`.
    pub role: String,
    /// Sent back as `X-CSRF-Token` to sign out.
    pub csrf: String,
    /// Whether they may see the people and keys (`/access`).
    pub reads_access: bool,
    /// Whether they may see and change the tenant's saved searches (members may not).
    pub shares_searches: bool,
}

/// Reads a `GET /api/v1/session` answer.
pub fn read_person(value: serde_json::Value) -> Result<Person, crate::wire::WireError> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let person = &value["person"];
    if !person.is_object() {
        return Err(crate::wire::WireError::new("a session has a `person`"));
    }
    let powers = value["powers"].as_array().cloned().unwrap_or_default();
    Ok(Person {
        name: text(&person["name"]),
        role: text(&person["role"]),
        csrf: text(&value["csrf_token"]),
        reads_access: powers.iter().any(|p| p == "read people and keys"),
        shares_searches: powers
            .iter()
            .any(|p| p == "change the tenant's saved searches"),
    })
}

/// Shared sign-in state; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    key: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    person: RwSignal<Option<Person>>,
    /// Whether the session cookie was asked about yet (until then, neither prompt nor pages show).
    checked: RwSignal<bool>,
}

impl Auth {
    /// Starts from the key stored in this tab, if any; without one, asks the API whether the session
    /// cookie signs someone in.
    pub fn from_session() -> Auth {
        let key = stored_key();
        let auth = Auth {
            checked: RwSignal::new(key.is_some()),
            key: RwSignal::new(key),
            notice: RwSignal::new(None),
            person: RwSignal::new(None),
        };
        if !auth.checked.get_untracked() {
            leptos::task::spawn_local(async move {
                if let Ok(person) = crate::api::session().await {
                    auth.person.set(Some(person));
                }
                auth.checked.set(true);
            });
        }
        auth
    }

    /// Whether a key is set or a person is signed in (reactive).
    pub fn signed_in(&self) -> bool {
        self.key.with(Option::is_some) || self.person.with(Option::is_some)
    }

    /// Whether it is known yet who is signed in (reactive).
    pub fn checked(&self) -> bool {
        self.checked.get()
    }

    /// The session's CSRF token for a change made with the cookie, if signed in that way.
    pub fn csrf_untracked(&self) -> Option<String> {
        self.person.get_untracked().map(|p| p.csrf)
    }

    /// The person signed in with the cookie, if any (reactive).
    pub fn person(&self) -> Option<Person> {
        self.person.get()
    }

    /// The key for a request, read without subscribing: pages reload on their own inputs, and a key change
    /// remounts them anyway.
    pub fn key_untracked(&self) -> String {
        self.key.get_untracked().unwrap_or_default()
    }

    /// Why the user is being asked for the key again (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    /// Uses and remembers `key`.
    pub fn sign_in(&self, key: String) {
        store_key(Some(&key));
        self.notice.set(None);
        self.key.set(Some(key));
    }

    /// Forgets the key at the user's request, or signs the person out and goes to `/sign-in`.
    pub fn sign_out(&self) {
        if let Some(person) = self.person.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = crate::api::sign_out(&person.csrf).await;
                to_sign_in(false);
            });
            return;
        }
        store_key(None);
        self.notice.set(None);
        self.key.set(None);
    }

    /// Passes `result` through, forgetting the key when the API rejected it (or, for a person whose
    /// session ended, going to `/sign-in`, which comes back here).
    pub fn guard<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(ApiError::Unauthorized) = result {
            if self.person.get_untracked().is_some() {
                to_sign_in(true);
                return result;
            }
            store_key(None);
            // try_set: the page that made the request may already be gone.
            self.notice.try_set(Some(
                "The server did not accept that read key (401). Enter it again.".into(),
            ));
            self.key.try_set(None);
        }
        result
    }
}

/// Goes to `/sign-in`; with `back`, signing in returns to this page (`?next=`, checked there).
fn to_sign_in(back: bool) {
    if let Some(window) = web_sys::window() {
        let location = window.location();
        let mut to = String::from("/sign-in");
        if back {
            let here =
                location.pathname().unwrap_or_default() + &location.search().unwrap_or_default();
            to = to + "?next=" + &crate::filters::encode_query_value(&here);
        }
        let _ = location.assign(&to);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn stored_key() -> Option<String> {
    storage()?
        .get_item(STORAGE_KEY)
        .ok()?
        .filter(|k| !k.is_empty())
}

/// Saves or removes the key. Storage can be unavailable (private modes, sandboxed frames): the key then
/// lives only in memory for this page load, which is still usable.
fn store_key(key: Option<&str>) {
    if let Some(storage) = storage() {
        let _ = match key {
            Some(key) => storage.set_item(STORAGE_KEY, key),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
}
