//! Keyset pagination cursors. A cursor is the sort key of the last row served, `(occurred_at, seq)`
//! (newest first; events of the same millisecond in chain order), printed as `<millis>.<seq>`: the
//! next page is every row strictly below it in that order, which stays correct while new events
//! arrive (no row is skipped or repeated). A list's cursor also carries the time its first page took
//! relative terms from (`occurred:>-24h`), printed as `<millis>.<seq>.<as_of>`, so that every page
//! reads the same window. Clients treat it as opaque.

use crate::timestamp::{check_range, Millis};

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `occurred_at` of the last row served, in milliseconds.
    pub occurred_at: Millis,
    /// `seq` of the last row served.
    pub seq: u64,
    /// When the search's first page was read, in milliseconds: the `now` later pages take relative
    /// times from. `None` for cursors of pages without relative terms (histories).
    pub as_of: Option<Millis>,
}

/// Cursors stop at the largest integer JavaScript and SQLite both hold exactly.
const MAX_SEQ: u64 = (1 << 53) - 1;

impl Cursor {
    /// Prints the cursor for the `next_cursor` field.
    pub fn encode(&self) -> String {
        match self.as_of {
            Some(as_of) => format!("{}.{}.{as_of}", self.occurred_at, self.seq),
            None => format!("{}.{}", self.occurred_at, self.seq),
        }
    }

    /// Reads a cursor from a `cursor` query parameter.
    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bad = || format!("`cursor` is not a cursor this API returned: `{text}`");
        let mut parts = text.split('.');
        let (Some(ms), Some(seq), as_of, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let time = |ms: &str| {
            ms.parse::<Millis>()
                .ok()
                .filter(|ms| check_range(*ms).is_ok())
                .ok_or_else(bad)
        };
        let digits = !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit());
        let seq = seq.parse::<u64>().ok().filter(|s| digits && *s <= MAX_SEQ);
        Ok(Cursor {
            occurred_at: time(ms)?,
            seq: seq.ok_or_else(bad)?,
            as_of: as_of.map(time).transpose()?,
        })
    }

    /// `seq` as an SQL integer.
    pub fn seq_param(&self) -> i64 {
        i64::try_from(self.seq.min(MAX_SEQ)).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        for c in [
            Cursor {
                occurred_at: 1_700_000_000_000,
                seq: 5,
                as_of: None,
            },
            Cursor {
                occurred_at: 0,
                seq: 0,
                as_of: Some(0),
            },
            Cursor {
                occurred_at: 1_700_000_000_000,
                seq: MAX_SEQ,
                as_of: Some(1_700_000_360_000),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        }
        for junk in [
            "",
            "abc",
            "12.",
            ".x",
            "-5.3",
            "12.+3",
            "12.-3",
            "12. 3",
            "12.3.",
            "12.3.-4",
            "12.3.4.5",
            "12.3.x",
            "12.9007199254740992",
            "1.' OR 1=1 --",
            "1.0190c8a8-0000-7000-8000-000000000000",
        ] {
            assert!(Cursor::decode(junk).is_err(), "{junk}");
        }
    }
}
