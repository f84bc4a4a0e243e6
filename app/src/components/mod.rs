//! Pieces shared by pages: the header, state notices, badges, the filter bar and the detail page's
//! section renderer.

pub mod badge;
pub mod filter_bar;
pub mod header;
pub mod notice;
pub mod section;
