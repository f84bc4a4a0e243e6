//! The events list's filter state and its two encodings: the page URL's query string (so a copied link
//! reproduces the view) and the API's query string (what the worker understands).
//!
//! Everything here is pure: the clock is passed in, so the conversions are unit-tested natively.

use evident_shared::event::Outcome;

/// How far back the list looks, as offered by the filter bar's presets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Range {
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    #[default]
    Month,
    /// The last 90 days.
    Quarter,
    /// No lower bound.
    All,
}

impl Range {
    /// Every preset, in the order the filter bar shows them.
    pub const ALL: [Range; 5] = [
        Range::Day,
        Range::Week,
        Range::Month,
        Range::Quarter,
        Range::All,
    ];

    /// The URL value (`range=7d`), also used in `data-testid="range-7d"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
            Range::Quarter => "90d",
            Range::All => "all",
        }
    }

    /// The filter bar button's `data-testid`.
    pub fn testid(self) -> &'static str {
        match self {
            Range::Day => "range-24h",
            Range::Week => "range-7d",
            Range::Month => "range-30d",
            Range::Quarter => "range-90d",
            Range::All => "range-all",
        }
    }

    /// Parses a URL value; unknown values yield `None` so the caller can fall back to the default.
    pub fn parse(s: &str) -> Option<Range> {
        Range::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The button text.
    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "Last 24 hours",
            Range::Week => "Last 7 days",
            Range::Month => "Last 30 days",
            Range::Quarter => "Last 90 days",
            Range::All => "All time",
        }
    }

    /// The inclusive lower bound in epoch milliseconds for a list loaded at `now_ms`; `None` for all time.
    pub fn from_ms(self, now_ms: i64) -> Option<i64> {
        const HOUR: i64 = 3_600_000;
        let hours = match self {
            Range::Day => 24,
            Range::Week => 7 * 24,
            Range::Month => 30 * 24,
            Range::Quarter => 90 * 24,
            Range::All => return None,
        };
        Some((now_ms - hours * HOUR).max(0))
    }
}

/// What the events list shows. Text filters are kept trimmed; an empty one means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// The time preset.
    pub range: Range,
    /// Exact actor id, or e-mail when it contains `@`.
    pub actor: String,
    /// Exact action (`app.delete`) or prefix (`app.*`).
    pub action: String,
    /// Outcomes to include, in [`Outcome::ALL`] order without duplicates; empty means any.
    pub outcomes: Vec<Outcome>,
}

impl Filters {
    /// Reads the page URL's query parameters through `get`. Unknown or malformed values are ignored
    /// rather than rejected: a hand-edited link should still open the list.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Filters {
        Filters {
            range: get("range")
                .and_then(|r| Range::parse(r.trim()))
                .unwrap_or_default(),
            actor: get("actor")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            action: get("action")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            outcomes: parse_outcomes(&get("outcome").unwrap_or_default()),
        }
    }

    /// The page URL's query string, without `?`. The range is always written so the link says what it
    /// shows; empty filters are left out.
    pub fn to_query_string(&self) -> String {
        let mut query = QueryString::default();
        query.push("range", self.range.as_str());
        self.push_common(&mut query);
        query.0
    }

    /// The API's query string for one page of this list, loaded at `from_ms` (see [`Range::from_ms`]).
    pub fn api_query(&self, from_ms: Option<i64>, limit: u32, cursor: Option<&str>) -> String {
        let mut query = QueryString::default();
        if let Some(from) = from_ms {
            query.push("from", &from.to_string());
        }
        self.push_common(&mut query);
        query.push("limit", &limit.to_string());
        if let Some(cursor) = cursor {
            query.push("cursor", cursor);
        }
        query.0
    }

    /// The outcomes as the comma list both query strings use (`failure,denied`); empty for any.
    pub fn outcome_param(&self) -> String {
        self.outcomes
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// True when nothing narrows the list beyond the default range.
    pub fn is_default(&self) -> bool {
        *self == Filters::default()
    }

    fn push_common(&self, query: &mut QueryString) {
        for (name, value) in [
            ("actor", self.actor.as_str()),
            ("action", self.action.as_str()),
        ] {
            if !value.is_empty() {
                query.push(name, value);
            }
        }
        if !self.outcomes.is_empty() {
            query.push("outcome", &self.outcome_param());
        }
    }
}

/// Parses a comma list of outcome names, dropping unknown names and duplicates.
pub fn parse_outcomes(list: &str) -> Vec<Outcome> {
    let named: Vec<&str> = list.split(',').map(str::trim).collect();
    Outcome::ALL
        .iter()
        .copied()
        .filter(|o| named.contains(&o.as_str()))
        .collect()
}

/// A query string built from fixed names and encoded values.
#[derive(Default)]
struct QueryString(String);

impl QueryString {
    fn push(&mut self, name: &str, value: &str) {
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
            actor: "alice@corp.com".into(),
            action: "app.*".into(),
            outcomes: vec![Outcome::Failure, Outcome::Denied],
        };
        let text = filters.to_query_string();
        assert_eq!(
            text,
            "range=7d&actor=alice@corp.com&action=app.*&outcome=failure,denied"
        );
        let pairs: Vec<(&str, &str)> = text
            .split('&')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        assert_eq!(Filters::from_query(query(&pairs)), filters);
    }

    #[test]
    fn malformed_values_fall_back_instead_of_failing() {
        let filters = Filters::from_query(query(&[
            ("range", "3w"),
            ("actor", "  bob  "),
            ("outcome", "denied,nonsense,success,denied"),
        ]));
        assert_eq!(filters.range, Range::Month);
        assert_eq!(filters.actor, "bob");
        // Kept in canonical order, once each.
        assert_eq!(filters.outcomes, vec![Outcome::Success, Outcome::Denied]);
    }

    #[test]
    fn ranges_become_a_lower_bound_relative_to_now() {
        let now = 1_700_000_000_000;
        assert_eq!(Range::Day.from_ms(now), Some(now - 86_400_000));
        assert_eq!(Range::Quarter.from_ms(now), Some(now - 90 * 86_400_000));
        assert_eq!(Range::All.from_ms(now), None);
        assert_eq!(Range::Month.from_ms(5), Some(0));
        for r in Range::ALL {
            assert_eq!(Range::parse(r.as_str()), Some(r));
            assert_eq!(r.testid(), format!("range-{}", r.as_str()));
        }
    }

    #[test]
    fn the_api_query_carries_bounds_filters_and_cursor() {
        let filters = Filters {
            range: Range::Day,
            actor: "u 1&x=y".into(),
            action: String::new(),
            outcomes: vec![Outcome::InProgress],
        };
        assert_eq!(
            filters.api_query(Some(1000), 100, Some("abc+/=")),
            "from=1000&actor=u%201%26x%3Dy&outcome=in_progress&limit=100&cursor=abc%2B/%3D"
        );
        assert_eq!(Filters::default().api_query(None, 50, None), "limit=50");
    }

    #[test]
    fn path_segments_are_fully_encoded() {
        assert_eq!(encode_path_segment("0191-ab_c"), "0191-ab_c");
        assert_eq!(encode_path_segment("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(encode_query_value("é"), "%C3%A9");
    }
}
