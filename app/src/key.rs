//! The read key: asked for once, kept in the tab's sessionStorage (gone when the tab closes, never sent
//! anywhere but this origin's API), and forgotten when the API rejects it.
//!
//! [`Auth`] is the reactive handle the whole app shares through context: the key prompt signs in, the
//! header signs out, and pages pass every API result through [`Auth::guard`] so a 401 anywhere sends the
//! user back to the prompt with an explanation.

use leptos::prelude::*;

use crate::api::ApiError;

/// The sessionStorage item holding the key.
pub const STORAGE_KEY: &str = "evident.read_key";

/// Shared sign-in state; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    key: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
}

impl Auth {
    /// Starts from the key stored in this tab, if any.
    pub fn from_session() -> Auth {
        Auth {
            key: RwSignal::new(stored_key()),
            notice: RwSignal::new(None),
        }
    }

    /// Whether a key is set (reactive).
    pub fn signed_in(&self) -> bool {
        self.key.with(Option::is_some)
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

    /// Forgets the key at the user's request.
    pub fn sign_out(&self) {
        store_key(None);
        self.notice.set(None);
        self.key.set(None);
    }

    /// Passes `result` through, forgetting the key when the API rejected it.
    pub fn guard<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(ApiError::Unauthorized) = result {
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
