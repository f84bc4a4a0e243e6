//! How event fields read on screen: local timestamps, actor and target labels, durations and JSON.
//!
//! The formatting is pure and unit-tested natively; only the two clock-and-zone readers at the bottom
//! touch the browser, and they fall back to UTC and the system clock off wasm. Timestamps are converted
//! with a few lines of calendar arithmetic rather than the `time` crate, and durations without floats:
//! both would add kilobytes of wasm for the one fixed format the API sends.

use evident_shared::event::{Actor, Event, Outcome, Target};
use serde_json::Value;

const MS_PER_DAY: i64 = 86_400_000;

/// Parses the API's normalised UTC timestamps (`2024-06-12T14:30:22.000Z`, any number of fraction
/// digits) into epoch milliseconds. Anything else yields `None`.
pub fn parse_wire_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |from: usize, to: usize| -> Option<i64> {
        let part = b.get(from..to)?;
        part.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.last() != Some(&b'Z') || separators.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    let millis = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..]
            if !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit) =>
        {
            let kept = fraction.len().min(3);
            digits(20, 20 + kept)? * [100, 10, 1][kept - 1]
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let seconds = hour * 3600 + minute * 60 + second;
    Some(days_from_civil(year, month, day) * MS_PER_DAY + seconds * 1000 + millis)
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS` at `offset_minutes` east of UTC.
pub fn datetime_at_offset(millis: i64, offset_minutes: i32) -> String {
    let local = millis + i64::from(offset_minutes) * 60_000;
    let (days, ms_of_day) = (local.div_euclid(MS_PER_DAY), local.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// An API timestamp as local `YYYY-MM-DD HH:MM:SS`; text that does not parse is shown as it came.
pub fn local_datetime(rfc3339: &str) -> String {
    match parse_wire_millis(rfc3339) {
        Some(millis) => datetime_at_offset(millis, local_offset_minutes(millis)),
        None => rfc3339.to_owned(),
    }
}

/// An API timestamp in full, for one event's page: local time to the millisecond and the zone it
/// is in, `2024-06-13 01:30:22.123 UTC+02:00` (two events of one second told apart, and no doubt
/// about the zone).
pub fn local_datetime_exact(rfc3339: &str) -> String {
    let Some(millis) = parse_wire_millis(rfc3339) else {
        return rfc3339.to_owned();
    };
    let offset = local_offset_minutes(millis);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs();
    format!(
        "{}.{:03} UTC{sign}{:02}:{:02}",
        datetime_at_offset(millis, offset),
        millis.rem_euclid(1000),
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Who acted, in the most readable form the event has: name, else e-mail, else id.
pub fn actor_label(actor: &Actor) -> &str {
    actor
        .name
        .as_deref()
        .or(actor.email.as_deref())
        .unwrap_or(&actor.id)
}

/// One target by name, else as `type:id`.
pub fn target_label(target: &Target) -> String {
    match &target.name {
        Some(name) => name.clone(),
        None => format!("{}:{}", target.kind, target.id),
    }
}

/// The list's Target cell: the first target, with a count of the others.
pub fn targets_summary(event: &Event) -> String {
    match event.targets.as_slice() {
        [] => String::new(),
        [one] => target_label(one),
        [first, rest @ ..] => format!("{} +{}", target_label(first), rest.len()),
    }
}

/// An outcome for people: `in_progress` reads "in progress".
pub fn outcome_label(outcome: Outcome) -> String {
    outcome.as_str().replace('_', " ")
}

/// A duration in the unit that keeps it short: `850 ms`, `1.25 s`, `3 min 5 s`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => {
            let text = format!("{}.{:02}", ms / 1000, ms % 1000 / 10);
            format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// A JSON value indented for reading.
pub fn pretty_json(value: &Value) -> String {
    crate::json::print(value, true)
}

/// A scalar for a key-value list: strings without quotes, everything else as JSON.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => crate::json::print(other, false),
    }
}

/// The current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// The browser's UTC offset, in minutes east, at the instant `millis` (so daylight saving time is right
/// for old events too). UTC off wasm.
pub fn local_offset_minutes(millis: i64) -> i32 {
    #[cfg(target_arch = "wasm32")]
    {
        // getTimezoneOffset counts minutes *west* of UTC.
        -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64)).get_timezone_offset()
            as i32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = millis;
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_shared::event::ActorType;
    use evident_shared::timestamp::{format_rfc3339, parse_rfc3339};
    use serde_json::json;

    #[test]
    fn wire_timestamps_parse_like_the_shared_parser() {
        for ms in [
            0,
            1,
            999,
            951_782_400_000,
            1_700_000_000_123,
            4_107_542_399_999,
            253_402_300_799_999,
        ] {
            let text = format_rfc3339(ms);
            assert_eq!(parse_wire_millis(&text), Some(ms), "{text}");
        }
        for text in [
            "2024-02-29T12:00:00Z",
            "2024-06-12T14:30:22.5Z",
            "2024-06-12T14:30:22.123456Z",
        ] {
            assert_eq!(parse_wire_millis(text), parse_rfc3339(text).ok(), "{text}");
        }
    }

    #[test]
    fn other_text_is_not_a_wire_timestamp() {
        for text in [
            "",
            "yesterday",
            "2024-06-12 14:30:22Z",
            "2024-06-12T14:30:22+02:00",
            "2024-06-12T14:30:22.Z",
            "2024-06-12T14:30:22.12x4Z",
            "2024-13-12T14:30:22Z",
            "2024-06-12T14:3a:22Z",
            "+024-06-12T14:30:22Z",
        ] {
            assert_eq!(parse_wire_millis(text), None, "{text}");
        }
    }

    #[test]
    fn datetimes_shift_to_the_given_offset() {
        let ms = parse_wire_millis("2024-06-12T23:30:22.999Z").unwrap();
        assert_eq!(datetime_at_offset(ms, 0), "2024-06-12 23:30:22");
        assert_eq!(datetime_at_offset(ms, 120), "2024-06-13 01:30:22");
        assert_eq!(datetime_at_offset(ms, -330), "2024-06-12 18:00:22");
        assert_eq!(datetime_at_offset(0, -60), "1969-12-31 23:00:00");
        assert_eq!(
            datetime_at_offset(951_782_400_000, 0),
            "2000-02-29 00:00:00"
        );
    }

    #[test]
    fn an_events_page_shows_its_time_to_the_millisecond_with_its_zone() {
        // Natively the local zone is UTC.
        assert_eq!(
            local_datetime_exact("2024-06-12T23:30:22.123Z"),
            "2024-06-12 23:30:22.123 UTC+00:00"
        );
        assert_eq!(
            local_datetime_exact("1969-12-31T23:59:59.999Z"),
            "1969-12-31 23:59:59.999 UTC+00:00"
        );
        assert_eq!(local_datetime_exact("yesterday"), "yesterday");
    }

    #[test]
    fn unparsable_timestamps_are_shown_as_sent() {
        assert_eq!(local_datetime("yesterday"), "yesterday");
        assert_eq!(
            local_datetime("2024-06-12T14:30:22.000Z"),
            "2024-06-12 14:30:22"
        );
    }

    #[test]
    fn actors_read_by_name_then_email_then_id() {
        let mut actor = Actor {
            kind: ActorType::User,
            id: "u1".into(),
            name: Some("Alice".into()),
            email: Some("alice@corp.com".into()),
            roles: vec![],
        };
        assert_eq!(actor_label(&actor), "Alice");
        actor.name = None;
        assert_eq!(actor_label(&actor), "alice@corp.com");
        actor.email = None;
        assert_eq!(actor_label(&actor), "u1");
    }

    #[test]
    fn targets_read_by_name_else_type_and_id() {
        let named = Target {
            kind: "app".into(),
            id: "a1".into(),
            name: Some("Sales".into()),
        };
        let bare = Target {
            kind: "db".into(),
            id: "d9".into(),
            name: None,
        };
        assert_eq!(target_label(&named), "Sales");
        assert_eq!(target_label(&bare), "db:d9");
    }

    #[test]
    fn durations_pick_a_short_unit() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(1_250), "1.25 s");
        assert_eq!(duration(2_000), "2 s");
        assert_eq!(duration(185_000), "3 min 5 s");
    }

    #[test]
    fn scalars_lose_only_string_quotes() {
        assert_eq!(scalar(&json!("prod")), "prod");
        assert_eq!(scalar(&json!(3)), "3");
        assert_eq!(scalar(&json!(true)), "true");
        assert_eq!(outcome_label(Outcome::InProgress), "in progress");
    }
}
