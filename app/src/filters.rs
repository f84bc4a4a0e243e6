//! The events page's filter state and its two encodings: the page URL's query string (so a copied link
//! reproduces the view) and the API's query string (what the worker understands).
//!
//! The state is a time range and a search query (`q`, SPEC 4.1). The pickers do not add state of their
//! own: a picker's choice is a term of `q` ([`crate::query_terms`]), so the query bar and the pickers
//! cannot disagree. Everything here is pure: the clock and the time zone are passed in, so the
//! conversions are unit-tested natively.

use crate::format::{datetime_at_offset, parse_wire_millis};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// How far back the list looks: the filter bar's presets, or a custom range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Range {
    /// Since local midnight.
    Today,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    #[default]
    Month,
    /// The last 90 days.
    Quarter,
    /// No lower bound.
    All,
    /// [`Filters::from_ms`] to [`Filters::to_ms`], chosen with the date inputs or by zooming the chart.
    Custom,
}

impl Range {
    /// Every preset, in the order the filter bar shows them (custom comes last, with its inputs).
    pub const PRESETS: [Range; 5] = [
        Range::Today,
        Range::Week,
        Range::Month,
        Range::Quarter,
        Range::All,
    ];

    /// The URL value (`range=7d`), also used in `data-testid="range-7d"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Today => "today",
            Range::Week => "7d",
            Range::Month => "30d",
            Range::Quarter => "90d",
            Range::All => "all",
            Range::Custom => "custom",
        }
    }

    /// Parses a URL value; unknown values yield `None` so the caller can fall back to the default.
    pub fn parse(s: &str) -> Option<Range> {
        [Range::Custom]
            .into_iter()
            .chain(Range::PRESETS)
            .find(|r| r.as_str() == s)
    }

    /// The button text.
    pub fn label(self) -> &'static str {
        match self {
            Range::Today => "Today",
            Range::Week => "7 days",
            Range::Month => "30 days",
            Range::Quarter => "90 days",
            Range::All => "All time",
            Range::Custom => "Custom",
        }
    }
}

/// What the events page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// The time preset, or [`Range::Custom`].
    pub range: Range,
    /// A custom range's inclusive start, epoch ms; only read when `range` is custom.
    pub from_ms: Option<i64>,
    /// A custom range's exclusive end, epoch ms; only read when `range` is custom.
    pub to_ms: Option<i64>,
    /// The search query as typed (trimmed); empty matches everything.
    pub q: String,
}

impl Filters {
    /// Reads the page URL's query parameters through `get`. Unknown or malformed values are ignored
    /// rather than rejected: a hand-edited link should still open the list. A `from` or `to` makes the
    /// range custom whatever `range` says.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Filters {
        let time = |name: &str| get(name).and_then(|v| parse_url_time(v.trim()));
        let (from_ms, to_ms) = (time("from"), time("to"));
        let custom = from_ms.is_some() || to_ms.is_some();
        let range = match get("range").and_then(|r| Range::parse(r.trim())) {
            _ if custom => Range::Custom,
            // A custom range without bounds is all time.
            Some(Range::Custom) => Range::All,
            Some(range) => range,
            None => Range::default(),
        };
        Filters {
            range,
            from_ms: from_ms.filter(|_| custom),
            to_ms: to_ms.filter(|_| custom),
            q: get("q").map(|s| s.trim().to_owned()).unwrap_or_default(),
        }
    }

    /// A custom range from `from_ms` to `to_ms` with the same query.
    pub fn with_custom(&self, from_ms: Option<i64>, to_ms: Option<i64>) -> Filters {
        let custom = from_ms.is_some() || to_ms.is_some();
        Filters {
            range: if custom { Range::Custom } else { Range::All },
            from_ms,
            to_ms,
            q: self.q.clone(),
        }
    }

    /// The page URL's query string, without `?`. The range is always written so the link says what it
    /// shows; custom bounds as UTC times (`2024-06-12T14:30:00Z`); an empty query is left out.
    pub fn to_query_string(&self) -> String {
        let mut query = QueryString::default();
        query.push("range", self.range.as_str());
        if self.range == Range::Custom {
            for (name, bound) in [("from", self.from_ms), ("to", self.to_ms)] {
                if let Some(ms) = bound {
                    query.push(name, &url_time(ms));
                }
            }
        }
        if !self.q.is_empty() {
            query.push("q", &self.q);
        }
        query.0
    }

    /// The time bounds `(from, to)` in epoch ms for a view loaded at `now_ms`, in a zone whose offset
    /// east of UTC (minutes) at an instant `offset_at` gives (for "today": local midnight, at the
    /// offset in force then, which differs from now's on a day the clocks change); `None` is unbounded.
    pub fn bounds(&self, now_ms: i64, offset_at: impl Fn(i64) -> i32) -> Bounds {
        let back = |days: i64| Some((now_ms - days * DAY).max(0));
        match self.range {
            Range::Today => {
                let wall = now_ms + i64::from(offset_at(now_ms)) * 60_000;
                let midnight = wall - wall.rem_euclid(DAY);
                Bounds(Some(instant_of_wall(midnight, offset_at)), None)
            }
            Range::Week => Bounds(back(7), None),
            Range::Month => Bounds(back(30), None),
            Range::Quarter => Bounds(back(90), None),
            Range::All => Bounds(None, None),
            Range::Custom => Bounds(self.from_ms, self.to_ms),
        }
    }

    /// The API's query string for one page of this list between `bounds`.
    pub fn api_query(&self, bounds: Bounds, limit: u32, cursor: Option<&str>) -> String {
        let mut query = self.stats_query(bounds);
        query.push("limit", &limit.to_string());
        if let Some(cursor) = cursor {
            query.push("cursor", cursor);
        }
        query.0
    }

    /// The query string the list, facets and histogram share: `q`, `from` and `to`.
    pub fn stats_query(&self, Bounds(from, to): Bounds) -> QueryString {
        let mut query = QueryString::default();
        for (name, bound) in [("from", from), ("to", to)] {
            if let Some(ms) = bound {
                query.push(name, &ms.to_string());
            }
        }
        if !self.q.is_empty() {
            query.push("q", &self.q);
        }
        query
    }

    /// True when nothing narrows the list beyond the default range.
    pub fn is_default(&self) -> bool {
        *self == Filters::default()
    }
}

/// A view's time bounds in epoch ms: inclusive start and exclusive end, `None` for unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bounds(pub Option<i64>, pub Option<i64>);

/// A time in a page URL: `2024-06-12T14:30:00Z` (UTC, whole seconds).
pub fn url_time(ms: i64) -> String {
    datetime_at_offset(ms, 0).replacen(' ', "T", 1) + "Z"
}

/// Reads [`url_time`]'s form (with or without milliseconds) or epoch milliseconds.
pub fn parse_url_time(text: &str) -> Option<i64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    parse_wire_millis(text)
}

/// A time as a `datetime-local` input's value (`2024-06-12T16:30`) at `offset_minutes` east of UTC.
pub fn local_input_value(ms: i64, offset_minutes: i32) -> String {
    let mut text = datetime_at_offset(ms, offset_minutes).replacen(' ', "T", 1);
    text.truncate(16);
    text
}

/// Reads a `datetime-local` or `date` input's value as epoch ms, in a zone whose offset east of UTC
/// (minutes) at an instant `offset_at` gives: the offset of the time typed, not of now (January in
/// Berlin is +01:00 even when read in July). A date alone is its midnight.
pub fn parse_local_input(value: &str, offset_at: impl Fn(i64) -> i32) -> Option<i64> {
    let value = value.trim();
    let utc = match value.len() {
        10 => format!("{value}T00:00:00Z"),
        16 => format!("{value}:00Z"),
        19 => format!("{value}Z"),
        _ => return None,
    };
    parse_wire_millis(&utc).map(|wall| instant_of_wall(wall, offset_at))
}

/// The instant at which a zone's clocks read `wall` (epoch ms as if the wall time were UTC). The
/// offset is looked up at a first guess, then at the instant that gives; across a change of offset
/// that settles on the side the change leads to.
pub fn instant_of_wall(wall: i64, offset_at: impl Fn(i64) -> i32) -> i64 {
    let guess = wall - i64::from(offset_at(wall)) * 60_000;
    wall - i64::from(offset_at(guess)) * 60_000
}

/// A query string built from fixed names and encoded values.
#[derive(Debug, Default)]
pub struct QueryString(pub String);

impl QueryString {
    /// Appends `name=value`, encoding the value.
    pub fn push(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(name);
        self.0.push('=');
        self.0.push_str(&encode_query_value(value));
    }
}

/// Percent-encodes a query value. Besides the unreserved characters it keeps `@ * , : /` readable, which
/// RFC 3986 allows in a query and which make `actor=alice@corp.com&action=app.*` legible in the address
/// bar; `& = + # %` and everything else are encoded.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~@*,:/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encodes one URL path segment (an event id in `/events/{id}`).
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn round_trip(filters: &Filters) -> Filters {
        let text = filters.to_query_string();
        let parsed = crate::router::Query::parse(&text);
        Filters::from_query(|name| parsed.get(name))
    }

    #[test]
    fn an_empty_query_is_the_default_view() {
        let filters = Filters::from_query(query(&[]));
        assert_eq!(filters, Filters::default());
        assert_eq!(filters.range, Range::Month);
        assert_eq!(filters.to_query_string(), "range=30d");
    }

    #[test]
    fn the_page_query_round_trips() {
        let filters = Filters {
            range: Range::Week,
            q: "env:prod actor:alice@corp.com \"sales report\" a&b=c+d%".into(),
            ..Filters::default()
        };
        assert_eq!(
            filters.to_query_string(),
            "range=7d&q=env:prod%20actor:alice@corp.com%20%22sales%20report%22%20a%26b%3Dc%2Bd%25"
        );
        assert_eq!(round_trip(&filters), filters);
        let custom =
            Filters::default().with_custom(Some(1_718_202_600_000), Some(1_718_206_200_000));
        assert_eq!(
            custom.to_query_string(),
            "range=custom&from=2024-06-12T14:30:00Z&to=2024-06-12T15:30:00Z"
        );
        assert_eq!(round_trip(&custom), custom);
        let open_ended = Filters::default().with_custom(None, Some(5_000));
        assert_eq!(round_trip(&open_ended), open_ended);
    }

    #[test]
    fn malformed_values_fall_back_instead_of_failing() {
        let filters = Filters::from_query(query(&[("range", "3w"), ("q", "  bob  ")]));
        assert_eq!(filters.range, Range::Month);
        assert_eq!(filters.q, "bob");
        // Bounds make the range custom; a bad bound is ignored, a custom range without any is all time.
        let filters = Filters::from_query(query(&[("range", "7d"), ("from", "1000")]));
        assert_eq!(
            (filters.range, filters.from_ms),
            (Range::Custom, Some(1000))
        );
        let filters = Filters::from_query(query(&[("range", "custom"), ("from", "yesterday")]));
        assert_eq!((filters.range, filters.from_ms), (Range::All, None));
        // Bounds without a custom range are not kept, so equal views compare equal.
        assert_eq!(
            Filters::from_query(query(&[("range", "7d")]))
                .with_custom(None, None)
                .range,
            Range::All
        );
    }

    #[test]
    fn ranges_become_bounds_relative_to_now_and_the_zone() {
        let now = 1_718_202_622_000; // 2024-06-12T14:30:22Z
        let f = |range| Filters {
            range,
            ..Filters::default()
        };
        assert_eq!(
            f(Range::Week).bounds(now, |_| 0),
            Bounds(Some(now - 7 * DAY), None)
        );
        assert_eq!(
            f(Range::Quarter).bounds(now, |_| 0),
            Bounds(Some(now - 90 * DAY), None)
        );
        assert_eq!(f(Range::All).bounds(now, |_| 0), Bounds(None, None));
        assert_eq!(f(Range::Month).bounds(5, |_| 0), Bounds(Some(0), None));
        // Today starts at local midnight: 00:00Z in UTC; at +02:00 it is 16:30 on the 12th, so since
        // 22:00Z on the 11th.
        let midnight_utc = 1_718_150_400_000;
        assert_eq!(
            f(Range::Today).bounds(now, |_| 0),
            Bounds(Some(midnight_utc), None)
        );
        assert_eq!(
            f(Range::Today).bounds(now, |_| 120),
            Bounds(Some(midnight_utc - 2 * HOUR), None)
        );
        assert_eq!(
            f(Range::Today).bounds(now, |_| -600),
            Bounds(Some(midnight_utc + 10 * HOUR), None),
            "04:30 local on the 12th at -10:00"
        );
        for r in Range::PRESETS.into_iter().chain([Range::Custom]) {
            assert_eq!(Range::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn the_api_query_carries_bounds_query_and_cursor() {
        let filters = Filters {
            q: "actor:u1 x&y".into(),
            ..Filters::default()
        };
        assert_eq!(
            filters.api_query(Bounds(Some(1000), Some(2000)), 100, Some("abc+/=")),
            "from=1000&to=2000&q=actor:u1%20x%26y&limit=100&cursor=abc%2B/%3D"
        );
        assert_eq!(
            Filters::default().api_query(Bounds::default(), 50, None),
            "limit=50"
        );
    }

    #[test]
    fn local_inputs_read_and_write_local_times() {
        let ms = 1_718_202_622_000; // 14:30:22Z
        assert_eq!(local_input_value(ms, 120), "2024-06-12T16:30");
        assert_eq!(
            parse_local_input("2024-06-12T16:30", |_| 120),
            Some(ms - 22_000)
        );
        assert_eq!(
            parse_local_input("2024-06-12", |_| 0),
            Some(1_718_150_400_000)
        );
        assert_eq!(parse_local_input("2024-06-12T16:30:22", |_| 120), Some(ms));
        assert_eq!(parse_local_input("", |_| 0), None);
        assert_eq!(parse_local_input("2024-13-12", |_| 0), None);
    }

    /// Berlin in 2024: +01:00, and +02:00 from 01:00Z on 31 March.
    fn berlin(ms: i64) -> i32 {
        if ms >= 1_711_846_800_000 {
            120
        } else {
            60
        }
    }

    #[test]
    fn local_times_take_the_offset_of_their_own_day() {
        // Today, at 12:00Z on the day the clocks go forward: local midnight was at +01:00.
        let noon = 1_711_886_400_000; // 2024-03-31T12:00Z
        let midnight = 1_711_839_600_000; // 2024-03-30T23:00Z
        let today = Filters {
            range: Range::Today,
            ..Filters::default()
        };
        assert_eq!(today.bounds(noon, berlin), Bounds(Some(midnight), None));
        // A January time typed in summer is read at January's offset, and shown back as typed.
        let typed = parse_local_input("2024-01-10T00:00", berlin).unwrap();
        assert_eq!(typed, 1_704_841_200_000); // 2024-01-09T23:00Z
        assert_eq!(local_input_value(typed, berlin(typed)), "2024-01-10T00:00");
        let july = parse_local_input("2024-07-10T00:00", berlin).unwrap();
        assert_eq!(local_input_value(july, berlin(july)), "2024-07-10T00:00");
    }

    #[test]
    fn path_segments_are_fully_encoded() {
        assert_eq!(encode_path_segment("0191-ab_c"), "0191-ab_c");
        assert_eq!(encode_path_segment("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(encode_query_value("é"), "%C3%A9");
    }
}
