//! Timestamps on the wire are RFC 3339 strings normalised to UTC with exactly three fractional digits
//! (`2024-06-12T14:30:22.000Z`), so that they sort as text and compare equal when equal; in the database
//! they are integer milliseconds since the Unix epoch. This module converts between the two.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

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
///
/// Digits are pushed one by one rather than through `format!`: ingestion formats two timestamps per
/// event, and the formatting machinery cost more than the rest of the conversion.
pub fn format_rfc3339(millis: Millis) -> String {
    const DAY_MS: Millis = 86_400_000;
    /// The Julian day number of 1970-01-01.
    const EPOCH_JULIAN_DAY: Millis = 2_440_588;
    let millis = millis.clamp(0, MAX_MILLIS);
    let (year, month, day) = i32::try_from(EPOCH_JULIAN_DAY + millis / DAY_MS)
        .ok()
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .unwrap_or(Date::MIN)
        .to_calendar_date();
    let of_day = millis % DAY_MS;
    let mut out = String::with_capacity(24);
    let mut push = |n: Millis, width: u32, after: char| {
        for place in (0..width).rev() {
            let digit = (n / 10i64.pow(place) % 10) as u8;
            out.push(char::from(b'0' + digit));
        }
        out.push(after);
    };
    push(Millis::from(year), 4, '-');
    push(Millis::from(u8::from(month)), 2, '-');
    push(Millis::from(day), 2, 'T');
    push(of_day / 3_600_000, 2, ':');
    push(of_day / 60_000 % 60, 2, ':');
    push(of_day / 1000 % 60, 2, '.');
    push(of_day % 1000, 3, 'Z');
    out
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
    fn formats_every_field_as_the_calendar_has_it() {
        let reference = |ms: Millis| {
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
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
        };
        assert_eq!(format_rfc3339(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(format_rfc3339(MAX_MILLIS), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339(-5), "1970-01-01T00:00:00.000Z");
        let mut ms: Millis = 12_345;
        for _ in 0..10_000 {
            assert_eq!(format_rfc3339(ms), reference(ms), "{ms}");
            ms = ms
                .wrapping_mul(6_364_136_223_846_793)
                .wrapping_add(1_442_695_040_888_963_407)
                .rem_euclid(MAX_MILLIS);
        }
    }

    #[test]
    fn round_trips() {
        for ms in [0, 1, 999, 1_700_000_000_123, MAX_MILLIS] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Ok(ms));
        }
    }
}
