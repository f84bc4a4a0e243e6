//! The routed pages, one per file, plus the read-key prompt shown instead of them until a key is set.

pub mod actor;
pub mod detail;
pub mod events;
pub mod history;
pub mod key_prompt;
pub mod not_found;
pub mod resource;
