//! Pieces shared by pages: the header and its theme toggle, state notices, badges, the filter bar, the
//! detail page's section renderer, the before/after diff, the code copy button, the chain verify
//! button, the export button, saved searches, the table's column chooser, and selects that wait for
//! the keyboard to be done.

pub mod badge;
pub mod code_block;
pub mod columns;
pub mod diff;
pub mod export_button;
pub mod filter_bar;
pub mod header;
pub mod keyed_select;
pub mod notice;
pub mod pickers;
pub mod query_bar;
pub mod saved_searches;
pub mod section;
pub mod theme_toggle;
pub mod verify;
pub mod volume_chart;
