//! Times and durations as a query writes them (`2024-06-01`, `-7d`, `1.5s`) and back.
//!
//! Dates are read by hand rather than with a `time` format description because the query accepts
//! several shapes (date, minutes, seconds, fraction, zone or none) and should say which one it wanted.
//! No clock is read: relative times stay relative until [`super::TimeValue::resolve`].

use time::{Date, Month};

use super::ast::TimeValue;
use crate::timestamp::{check_range, format_rfc3339, Millis, MAX_MILLIS};

const DAY_MS: i64 = 86_400_000;

/// Units of relative times and durations, largest first (the printer's order). The printer skips
/// weeks: `-7d` is what people type and should read back as typed, not as `-1w`.
const UNITS: [(&str, i64); 6] = [
    ("w", 7 * DAY_MS),
    ("d", DAY_MS),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// The largest duration or relative offset: as long as the span of storable times.
pub const MAX_SPAN_MS: Millis = MAX_MILLIS;

/// The shapes `occurred` accepts, for error messages.
pub(crate) const TIME_FORMS: [&str; 6] = [
    "YYYY-MM-DD",
    "YYYY-MM-DDTHH:MM",
    "YYYY-MM-DDTHH:MM:SS",
    "RFC 3339 like 2024-06-01T12:00:00Z or 2024-06-01T14:00:00+02:00",
    "a relative time like -7d, -24h, -30m, -45s, -2w",
    "a time ahead like +1h",
];

/// The shapes `duration` accepts, for error messages.
pub(crate) const DURATION_FORMS: [&str; 2] = [
    "an amount with a unit (ms, s, m, h, d, w) like 250ms, 1.5s, 2m, 1h",
    "whole milliseconds like 250",
];

/// Reads an absolute (`2024-06-01`, RFC 3339, ...) or signed relative (`-7d`) time.
pub(crate) fn parse_time(text: &str) -> Result<TimeValue, String> {
    if let Some(amount) = text.strip_prefix('-') {
        return parse_amount(amount, true).map(|ms| TimeValue::Relative(-ms));
    }
    if let Some(amount) = text.strip_prefix('+') {
        return parse_amount(amount, true).map(TimeValue::Relative);
    }
    if parse_amount(text, true).is_ok() {
        return Err(format!(
            "a relative time needs a sign: `-{text}` is {text} ago, `+{text}` is {text} ahead"
        ));
    }
    // A date alone (`YYYY-MM-DD`, the only ten-byte shape) names a whole day.
    let ms = parse_absolute(text)?;
    Ok(if text.len() == 10 {
        TimeValue::Day(ms)
    } else {
        TimeValue::Absolute(ms)
    })
}

/// Reads a non-negative duration: an amount with a unit, or whole milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<Millis, String> {
    parse_amount(text, false)
}

/// Prints a time the shortest exact way: a day as its date, an instant with its time of day (at
/// midnight too, which a date alone would turn into a whole day), whole seconds without a fraction.
pub(crate) fn format_time(time: &TimeValue) -> String {
    match *time {
        TimeValue::Day(ms) => format_rfc3339(ms)[..10].to_owned(),
        TimeValue::Absolute(ms) => {
            let full = format_rfc3339(ms);
            if ms.rem_euclid(1000) == 0 {
                format!("{}Z", &full[..19])
            } else {
                full
            }
        }
        TimeValue::Relative(ms) if ms > 0 => format!("+{}", format_amount(ms)),
        TimeValue::Relative(ms) => format!("-{}", format_amount(ms.unsigned_abs() as i64)),
    }
}

/// Prints a duration in the largest unit that divides it exactly (`250ms`, `2s`, `5m`, `1h`).
pub(crate) fn format_duration(ms: Millis) -> String {
    format_amount(ms)
}

fn format_amount(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    let (unit, size) = UNITS
        .into_iter()
        .filter(|&(unit, _)| unit != "w")
        .find(|&(_, size)| ms % size == 0)
        .unwrap_or(("ms", 1));
    format!("{}{unit}", ms / size)
}

/// `digits[.digits]unit`, or (when `unit_required` is false) whole milliseconds without a unit.
fn parse_amount(text: &str, unit_required: bool) -> Result<Millis, String> {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let well_formed = !whole.is_empty()
        && (number.len() == whole.len() || !fraction.is_empty())
        && !fraction.contains('.');
    if !well_formed {
        return Err(format!(
            "`{text}` is not a number with a unit like `7d` or `1.5s`"
        ));
    }
    let unit_ms = match UNITS.iter().find(|(name, _)| *name == unit) {
        Some(&(_, size)) => size,
        None if unit.is_empty() && !unit_required => 1,
        None if unit.is_empty() => {
            return Err(format!("`{text}` needs a unit: ms, s, m, h, d or w"));
        }
        None => return Err(format!("unknown unit `{unit}`; use ms, s, m, h, d or w")),
    };
    let too_large = || format!("`{text}` is too large");
    if whole.len() > 18 || fraction.len() > 9 {
        return Err(too_large());
    }
    let scale = 10_i128.pow(fraction.len() as u32);
    let whole: i128 = whole.parse().map_err(|_| too_large())?;
    let fraction: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| too_large())?
    };
    let scaled = (whole * scale + fraction) * i128::from(unit_ms);
    if scaled % scale != 0 {
        return Err(format!("`{text}` is not a whole number of milliseconds"));
    }
    let ms = scaled / scale;
    if ms > i128::from(MAX_SPAN_MS) {
        return Err(too_large());
    }
    Ok(ms as Millis)
}

/// `YYYY-MM-DD[Thh:mm[:ss[.fraction]][zone]]`, zone `Z` or `±hh:mm`, UTC when absent.
fn parse_absolute(text: &str) -> Result<Millis, String> {
    let invalid = || format!("`{text}` is not a date or time");
    let mut reader = Digits {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = reader.number(4).ok_or_else(invalid)?;
    reader.expect(b'-').ok_or_else(invalid)?;
    let month = reader.number(2).ok_or_else(invalid)?;
    reader.expect(b'-').ok_or_else(invalid)?;
    let day = reader.number(2).ok_or_else(invalid)?;
    let date = Month::try_from(month as u8)
        .ok()
        .and_then(|month| Date::from_calendar_date(year as i32, month, day as u8).ok())
        .ok_or_else(|| format!("`{text}` is not a calendar date"))?;
    let mut ms = (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * DAY_MS;
    if !reader.done() {
        reader
            .expect(b'T')
            .or_else(|| reader.expect(b't'))
            .ok_or_else(invalid)?;
        let hour = reader.number(2).ok_or_else(invalid)?;
        reader.expect(b':').ok_or_else(invalid)?;
        let minute = reader.number(2).ok_or_else(invalid)?;
        let mut second = 0;
        let mut millis = 0;
        if reader.expect(b':').is_some() {
            second = reader.number(2).ok_or_else(invalid)?;
            if reader.expect(b'.').is_some() {
                let digits = reader.digits();
                if digits.is_empty() || digits.len() > 9 {
                    return Err(invalid());
                }
                // Milliseconds from the first three digits; finer digits are truncated.
                let padded = format!("{digits:0<3}");
                millis = padded[..3].parse::<i64>().map_err(|_| invalid())?;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(format!("`{text}` is not a time of day"));
        }
        ms += hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
        let zoned = !reader.done();
        if zoned
            && reader
                .expect(b'Z')
                .or_else(|| reader.expect(b'z'))
                .is_none()
        {
            let sign = match reader.peek() {
                Some(b'+') => -1,
                Some(b'-') => 1,
                _ => return Err(invalid()),
            };
            reader.pos += 1;
            let offset_hour = reader.number(2).ok_or_else(invalid)?;
            reader.expect(b':').ok_or_else(invalid)?;
            let offset_minute = reader.number(2).ok_or_else(invalid)?;
            if offset_hour > 23 || offset_minute > 59 {
                return Err(format!("`{text}` has an offset out of range"));
            }
            ms += sign * (offset_hour * 3_600_000 + offset_minute * 60_000);
        }
    }
    if !reader.done() {
        return Err(invalid());
    }
    check_range(ms).map_err(|_| format!("`{text}` is outside 1970-01-01 .. 9999-12-31"))
}

/// 1970-01-01 as a Julian day number.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Reads fixed-width ASCII fields.
struct Digits<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Digits<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// Exactly `width` digits.
    fn number(&mut self, width: usize) -> Option<i64> {
        let digits = self.bytes.get(self.pos..self.pos + width)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += width;
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    }

    /// As many digits as follow.
    fn digits(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        // Only ASCII digits were consumed.
        std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JUNE_1: Millis = 1_717_200_000_000;

    #[test]
    fn absolute_forms() {
        // A date alone is a whole day; with a time of day, even midnight, an instant.
        assert_eq!(parse_time("2024-06-01"), Ok(TimeValue::Day(JUNE_1)));
        assert_eq!(
            parse_time("2024-06-01T00:00"),
            Ok(TimeValue::Absolute(JUNE_1))
        );
        assert_eq!(
            parse_time("2024-06-01T10:30"),
            Ok(TimeValue::Absolute(JUNE_1 + 37_800_000))
        );
        assert_eq!(
            parse_time("2024-06-01T10:30:15"),
            Ok(TimeValue::Absolute(JUNE_1 + 37_815_000))
        );
        assert_eq!(
            parse_time("2024-06-01T10:30:15.5Z"),
            Ok(TimeValue::Absolute(JUNE_1 + 37_815_500))
        );
        assert_eq!(
            parse_time("2024-06-01t10:30:15.123456z"),
            Ok(TimeValue::Absolute(JUNE_1 + 37_815_123))
        );
        assert_eq!(
            parse_time("2024-06-01T12:30:15+02:00"),
            Ok(TimeValue::Absolute(JUNE_1 + 37_815_000))
        );
        assert_eq!(
            parse_time("2024-06-01T00:00:00-01:30"),
            Ok(TimeValue::Absolute(JUNE_1 + 5_400_000))
        );
        assert_eq!(parse_time("1970-01-01"), Ok(TimeValue::Day(0)));
        assert_eq!(
            parse_time("9999-12-31T23:59:59.999Z"),
            Ok(TimeValue::Absolute(MAX_MILLIS))
        );
    }

    #[test]
    fn invalid_absolute_times() {
        for bad in [
            "2024-6-01",
            "2024-06-01T",
            "2024-06-01T10",
            "2024-06-01T10:3",
            "2024-06-01T10:30:15.",
            "2024-06-01T10:30:15+0200",
            "2024-06-01Z",
            "2024-06-01 ",
            "2024-02-30",
            "2024-13-01",
            "2024-06-01T24:00",
            "2024-06-01T23:60",
            "2024-06-01T23:59:60",
            "1969-12-31T23:59:59Z",
            "2024-06-01T00:00+24:00",
            "yesterday",
            "",
            "２０２４-06-01",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_times_and_durations() {
        assert_eq!(parse_time("-7d"), Ok(TimeValue::Relative(-7 * DAY_MS)));
        assert_eq!(parse_time("-24h"), Ok(TimeValue::Relative(-DAY_MS)));
        assert_eq!(parse_time("-30m"), Ok(TimeValue::Relative(-1_800_000)));
        assert_eq!(parse_time("-45s"), Ok(TimeValue::Relative(-45_000)));
        assert_eq!(parse_time("-2w"), Ok(TimeValue::Relative(-14 * DAY_MS)));
        assert_eq!(parse_time("+1.5h"), Ok(TimeValue::Relative(5_400_000)));
        let unsigned = parse_time("7d").unwrap_err();
        assert!(unsigned.contains("`-7d`"), "{unsigned}");
        assert!(parse_time("-7").is_err());
        assert!(parse_time("-7y").is_err());
        assert!(parse_time("--7d").is_err());

        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("1.5s"), Ok(1500));
        assert_eq!(parse_duration("2m"), Ok(120_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("250"), Ok(250));
        assert_eq!(parse_duration("0"), Ok(0));
        for bad in [
            "1.5", "0.0001s", ".5s", "5.s", "1.2.3s", "s", "-5s", "5 s", "1e3",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("99999999999999999999w").is_err());
        assert!(parse_duration("999999999999999999w").is_err());
        assert_eq!(parse_duration(&format!("{MAX_SPAN_MS}")), Ok(MAX_SPAN_MS));
    }

    #[test]
    fn printing() {
        assert_eq!(format_time(&TimeValue::Day(JUNE_1)), "2024-06-01");
        assert_eq!(
            format_time(&TimeValue::Absolute(JUNE_1)),
            "2024-06-01T00:00:00Z"
        );
        assert_eq!(
            format_time(&TimeValue::Absolute(JUNE_1 + 37_815_000)),
            "2024-06-01T10:30:15Z"
        );
        assert_eq!(
            format_time(&TimeValue::Absolute(JUNE_1 + 37_815_120)),
            "2024-06-01T10:30:15.120Z"
        );
        assert_eq!(format_time(&TimeValue::Relative(-7 * DAY_MS)), "-7d");
        assert_eq!(format_time(&TimeValue::Relative(-14 * DAY_MS)), "-14d");
        assert_eq!(format_time(&TimeValue::Relative(-DAY_MS)), "-1d");
        assert_eq!(format_time(&TimeValue::Relative(-36 * 3_600_000)), "-36h");
        assert_eq!(format_time(&TimeValue::Relative(5_400_000)), "+90m");
        assert_eq!(format_time(&TimeValue::Relative(0)), "-0s");
        assert_eq!(format_duration(250), "250ms");
        assert_eq!(format_duration(1500), "1500ms");
        assert_eq!(format_duration(2000), "2s");
        assert_eq!(format_duration(300_000), "5m");
        assert_eq!(format_duration(3_600_000), "1h");
        assert_eq!(format_duration(0), "0s");
    }
}
