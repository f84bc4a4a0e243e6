//! Keyset pagination cursors. A cursor is the sort key of the last row served, `(occurred_at, id)`,
//! printed as `<millis>.<id>`: the next page is every row strictly below it in that order, which stays
//! correct while new events arrive (no row is skipped or repeated). Clients treat it as opaque.

use crate::ids::is_event_id;
use crate::timestamp::{check_range, Millis};

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `occurred_at` of the last row served, in milliseconds.
    pub occurred_at: Millis,
    /// `id` of the last row served.
    pub id: String,
}

impl Cursor {
    /// Prints the cursor for the `next_cursor` field.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.occurred_at, self.id)
    }

    /// Reads a cursor from a `cursor` query parameter.
    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bad = || format!("`cursor` is not a cursor this API returned: `{text}`");
        let (ms, id) = text.split_once('.').ok_or_else(bad)?;
        let occurred_at = ms.parse::<Millis>().map_err(|_| bad())?;
        check_range(occurred_at).map_err(|_| bad())?;
        if !is_event_id(id) {
            return Err(bad());
        }
        Ok(Cursor {
            occurred_at,
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        let c = Cursor {
            occurred_at: 1_700_000_000_000,
            id: crate::ids::event_id(5, [7; 10]),
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for junk in [
            "",
            "abc",
            "12.",
            ".x",
            "-5.0190c8a8-0000-7000-8000-000000000000",
            "1.' OR 1=1 --",
        ] {
            assert!(Cursor::decode(junk).is_err(), "{junk}");
        }
    }
}
