//! Timestamps on the wire are RFC 3339 strings normalised to UTC with exactly three fractional digits
//! (`2024-06-12T14:30:22.000Z`), so that they sort as text and compare equal when equal; in the database
//! they are integer milliseconds since the Unix epoch. This module converts between the two.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// The latest accepted instant: 9999-12-31T23:59:59.999Z.
pub const MAX_MILLIS: Millis = 253_402_300_799_999;

/// Parses an RFC 3339 timestamp with any offset into milliseconds (sub-millisecond digits are
/// truncated). Errors say what was expected.
pub fn parse_rfc3339(text: &str) -> Result<Millis, String> {
    let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| {
        format!("`{text}` is not an RFC 3339 timestamp like `2024-06-12T14:30:22Z`")
    })?;
    let millis = (parsed.unix_timestamp_nanos() / 1_000_000) as i64;
    check_range(millis)
}

/// Checks that `millis` lies between 1970 and the year 9999.
pub fn check_range(millis: Millis) -> Result<Millis, String> {
    if (0..=MAX_MILLIS).contains(&millis) {
        Ok(millis)
    } else {
        Err(format!("{millis} ms is outside 1970-01-01 .. 9999-12-31"))
    }
}

/// Formats milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Values outside [`check_range`] are clamped.
pub fn format_rfc3339(millis: Millis) -> String {
    let millis = millis.clamp(0, MAX_MILLIS);
    let t = OffsetDateTime::from_unix_timestamp_nanos(millis as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_offsets_and_precision() {
        assert_eq!(
            parse_rfc3339("2025-10-06T19:19:19.851Z"),
            Ok(1_759_778_359_851)
        );
        assert_eq!(
            parse_rfc3339("2025-10-06T21:19:19.851123+02:00"),
            Ok(1_759_778_359_851)
        );
        assert_eq!(
            format_rfc3339(1_759_778_359_851),
            "2025-10-06T19:19:19.851Z"
        );
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn rejects_text_that_is_not_a_timestamp() {
        let err = parse_rfc3339("2024-06-12 14:30:22").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
        assert!(parse_rfc3339("1969-12-31T23:59:59Z").is_err());
    }

    #[test]
    fn round_trips() {
        for ms in [0, 1, 999, 1_700_000_000_123, MAX_MILLIS] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Ok(ms));
        }
    }
}
