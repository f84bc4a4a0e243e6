//! The events list's first page, asked for by an inline script in `index.html` before the wasm has
//! downloaded: on a first visit the download and start-up are most of the wait, and the list request
//! need not wait for them.
//!
//! The script leaves `window.__evidentFirstList = { now, url, key, response }`. The first view counts
//! its time range back from the script's `now` ([`started_at`]), so that it asks for the same URL;
//! the app's first list request then takes the script's request away ([`take`]) and awaits its
//! response instead of fetching again, but only when the URL and the key are exactly its own. Any
//! difference (a link the script reads otherwise, a key typed since) costs one request, never a
//! wrong answer, and the script's request is never used twice.

use wasm_bindgen::{JsCast, JsValue};

/// The global the script writes.
const GLOBAL: &str = "__evidentFirstList";

/// How old the script's `now` may be for the first view to use it: the page is still loading. A key
/// typed later starts from its own time.
const FRESH_MS: i64 = 10_000;

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn first_list() -> Option<(web_sys::Window, JsValue)> {
    let window = web_sys::window()?;
    let first = field(&window, GLOBAL);
    (!first.is_undefined()).then_some((window, first))
}

/// When the script asked (epoch ms), if it did moments ago: the instant the first view is loaded at.
pub fn started_at(now_ms: i64) -> Option<i64> {
    let (_, first) = first_list()?;
    let started = field(&first, "now").as_f64()? as i64;
    (now_ms - started < FRESH_MS).then_some(started)
}

/// The script's response promise if it asked for `path` with `key`. Whatever it asked for, its
/// request is gone afterwards: only the app's first list request may use it.
pub fn take(path: &str, key: &str) -> Option<js_sys::Promise> {
    let (window, first) = first_list()?;
    let _ = js_sys::Reflect::delete_property(window.as_ref(), &JsValue::from_str(GLOBAL));
    let same = field(&first, "url").as_string().as_deref() == Some(path)
        && field(&first, "key").as_string().as_deref() == Some(key);
    if same {
        field(&first, "response").dyn_into().ok()
    } else {
        None
    }
}
