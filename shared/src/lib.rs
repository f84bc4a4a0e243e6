//! Evident's shared crate: the wire format between senders, the worker and the dashboard, and the pure
//! logic both sides need (validation, timestamps, cursors, request-body parsing).
//!
//! It performs no I/O and reads no clock: callers pass `now` and randomness in, which keeps every function
//! deterministic and testable on the host while the same code runs in the worker and the browser.

pub mod adapters;
pub mod api;
pub mod api_key;
pub mod body;
pub mod canonical;
pub mod category;
pub mod chain;
pub mod cursor;
pub mod enrich;
pub mod event;
pub mod export;
pub mod ids;
pub mod json;
pub mod people;
pub mod query;
pub mod redact;
pub mod roles;
pub mod saved_search;
pub mod search;
pub mod timestamp;
pub mod validate;

pub use api::{ErrorBody, FieldError, IngestResponse};
pub use event::Event;
