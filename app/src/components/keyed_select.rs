//! A closed `<select>` changes its value at each arrow key on Linux and Windows, so a select that acts
//! on its choice (a search) would act on every value passed on the way, and one that then resets
//! itself could never get past its first option. [`KeyedChoice`] holds a choice made from the
//! keyboard until `Enter` or until the focus leaves; a pointer's choice, and one made in the opened
//! list, applies at once. Used by the pickers and the saved-searches menu.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

/// A select's choice, applied at once or when the keyboard is done with it.
pub struct KeyedChoice<T: Send + Sync + 'static> {
    keyed: StoredValue<bool>,
    pending: StoredValue<Option<T>>,
    apply: Callback<T>,
}

impl<T: Send + Sync + 'static> Clone for KeyedChoice<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for KeyedChoice<T> {}

impl<T: Send + Sync + 'static> KeyedChoice<T> {
    /// `apply` acts on a choice.
    pub fn new(apply: impl Fn(T) + Send + Sync + 'static) -> Self {
        KeyedChoice {
            keyed: StoredValue::new(false),
            pending: StoredValue::new(None),
            apply: Callback::new(apply),
        }
    }

    /// A choice made (the select's `change`): applied now unless the keyboard made it.
    pub fn choose(&self, next: T) {
        self.pending.set_value(Some(next));
        if !self.keyed.get_value() {
            self.apply();
        }
    }

    /// Applies the waiting choice, if any (`Enter`, or the focus leaving: `blur`).
    pub fn apply(&self) {
        if let Some(next) = self.pending.try_update_value(Option::take).flatten() {
            self.apply.run(next);
        }
    }

    /// Drops a waiting choice: the options it was made among are gone.
    pub fn forget(&self) {
        self.pending.set_value(None);
    }

    /// Whether a choice waits.
    pub fn waits(&self) -> bool {
        self.pending.with_value(Option::is_some)
    }

    /// The select's `pointerdown`: a pointer's choice applies at once.
    pub fn pointer(&self) {
        self.keyed.set_value(false);
    }

    /// The select's `keydown`. `Enter` applies a waiting choice (and then does not open the list, as
    /// it does on Linux). Keys that open the list make its choice apply at once, as a pointer's does:
    /// on macOS the arrows are such keys.
    pub fn keydown(&self, e: &KeyboardEvent) {
        match e.key().as_str() {
            "Enter" if self.waits() => {
                e.prevent_default();
                self.apply();
            }
            "Enter" | " " | "F4" => self.keyed.set_value(false),
            "ArrowDown" | "ArrowUp" if e.alt_key() || on_mac() => self.keyed.set_value(false),
            "Tab" | "Shift" => {}
            _ => self.keyed.set_value(true),
        }
    }
}

/// Whether the browser runs on macOS, where a select's arrow keys open its list.
fn on_mac() -> bool {
    window()
        .navigator()
        .platform()
        .is_ok_and(|platform| platform.starts_with("Mac"))
}
