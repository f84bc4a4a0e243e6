//! Keyset pagination cursors. A cursor is the sort key of the last row served, `(occurred_at, seq)`
//! (newest first; events of the same millisecond in chain order), printed as `<millis>.<seq>`: the
//! next page is every row strictly below it in that order, which stays correct while new events
//! arrive (no row is skipped or repeated). A list's cursor also carries the [`View`] its first page
//! was read as of, printed as `<millis>.<seq>.<now>.<up_to_seq>`, so that every page reads the same
//! window (`occurred:>-24h`) of the same events, as an export pinned to that first page does.
//! Clients treat it as opaque.

use crate::timestamp::{check_range, Millis};

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `occurred_at` of the last row served, in milliseconds.
    pub occurred_at: Millis,
    /// `seq` of the last row served.
    pub seq: u64,
    /// What the search's first page was read as of; `None` for pages that need not say
    /// (histories, which have no relative terms).
    pub view: Option<View>,
}

/// What a list's first page was read as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The time relative terms were taken from, in milliseconds.
    pub now: Millis,
    /// The chain's head then: events stored later (a back-dated one would sort among the older
    /// pages) are left out.
    pub up_to_seq: u64,
}

/// Cursors stop at the largest integer JavaScript and SQLite both hold exactly.
const MAX_SEQ: u64 = (1 << 53) - 1;

impl Cursor {
    /// Prints the cursor for the `next_cursor` field.
    pub fn encode(&self) -> String {
        match self.view {
            Some(View { now, up_to_seq }) => {
                format!("{}.{}.{now}.{up_to_seq}", self.occurred_at, self.seq)
            }
            None => format!("{}.{}", self.occurred_at, self.seq),
        }
    }

    /// Reads a cursor from a `cursor` query parameter.
    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bad = || format!("`cursor` is not a cursor this API returned: `{text}`");
        let time = |ms: &str| {
            ms.parse::<Millis>()
                .ok()
                .filter(|ms| check_range(*ms).is_ok())
                .ok_or_else(bad)
        };
        let seq = |seq: &str| {
            let digits = !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit());
            seq.parse::<u64>()
                .ok()
                .filter(|s| digits && *s <= MAX_SEQ)
                .ok_or_else(bad)
        };
        let parts: Vec<&str> = text.split('.').collect();
        match parts.as_slice() {
            [at, last] => Ok(Cursor {
                occurred_at: time(at)?,
                seq: seq(last)?,
                view: None,
            }),
            [at, last, now, up_to_seq] => Ok(Cursor {
                occurred_at: time(at)?,
                seq: seq(last)?,
                view: Some(View {
                    now: time(now)?,
                    up_to_seq: seq(up_to_seq)?,
                }),
            }),
            _ => Err(bad()),
        }
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
                view: None,
            },
            Cursor {
                occurred_at: 0,
                seq: 0,
                view: Some(View {
                    now: 0,
                    up_to_seq: 0,
                }),
            },
            Cursor {
                occurred_at: 1_700_000_000_000,
                seq: MAX_SEQ,
                view: Some(View {
                    now: 1_700_000_360_000,
                    up_to_seq: MAX_SEQ,
                }),
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
            "12.3.4",
            "12.3.4.",
            "12.3.-4.5",
            "12.3.4.-5",
            "12.3.4.5.6",
            "12.3.x.5",
            "12.3.4.9007199254740992",
            "12.9007199254740992",
            "1.' OR 1=1 --",
            "1.0190c8a8-0000-7000-8000-000000000000",
        ] {
            assert!(Cursor::decode(junk).is_err(), "{junk}");
        }
    }
}
