//! Event ids are UUIDv7: 48 bits of millisecond time then random bits, so ids sort by arrival and a
//! keyset cursor can break ties on them. Randomness is passed in so this stays pure.

use uuid::Builder;

use crate::timestamp::Millis;

/// Builds a UUIDv7 string from a timestamp and 10 random bytes.
pub fn event_id(received_at: Millis, random: [u8; 10]) -> String {
    Builder::from_unix_timestamp_millis(received_at.max(0) as u64, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// True when `text` is a lowercase hyphenated UUID, the only form ids take on the wire.
pub fn is_event_id(text: &str) -> bool {
    text.len() == 36
        && uuid::Uuid::try_parse(text).is_ok()
        && !text.bytes().any(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_sort_by_time() {
        let a = event_id(1_700_000_000_000, [0xff; 10]);
        let b = event_id(1_700_000_000_001, [0; 10]);
        assert!(a < b, "{a} < {b}");
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 7);
        assert!(is_event_id(&a));
        assert!(!is_event_id(&a.to_uppercase()));
        assert!(!is_event_id("1; DROP TABLE events"));
    }
}
