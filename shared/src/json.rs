//! A JSON tree that borrows its strings from the request body, for reading events at ingest.
//!
//! `serde_json::Value` owns every key and string and keeps objects in B-trees, so parsing an event
//! allocated dozens of times only for validation to pick a few fields out and drop the rest. [`Json`]
//! borrows every string that has no escapes, keeps an object's members in one sorted vector, and is
//! turned into a `Value` only for the parts an [`crate::Event`] keeps as JSON (payload, changes,
//! metadata). It reads like `Value` does: an object's duplicate keys keep the last value, members are
//! visited in key order, and numbers are the same [`Number`]s.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

mod read;
pub use read::Reader;

/// One JSON value whose strings may borrow from the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string, borrowed unless it had escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object.
    Object(Object<'a>),
}

/// An object's members sorted by key, each key once (the last of duplicates wins, as in `Value`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Json<'a> {
    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// How deep arrays and objects nest in this value, itself included (a scalar is 0).
    pub fn nesting(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::nesting).max().unwrap_or(0),
            Json::Object(members) => {
                1 + members
                    .0
                    .iter()
                    .map(|(_, v)| v.nesting())
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, copying only the strings that are borrowed.
    pub fn into_value(self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(text) => Value::String(text.into_owned()),
            Json::Array(items) => Value::Array(items.into_iter().map(Json::into_value).collect()),
            Json::Object(object) => Value::Object(object.into_map()),
        }
    }
}

impl From<Value> for Json<'static> {
    /// A value read elsewhere (an adapter's record), moved without copying its strings.
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => Json::Number(n),
            Value::String(text) => Json::String(Cow::Owned(text)),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            // A map's keys are already sorted and distinct.
            Value::Object(map) => Json::Object(Object(
                map.into_iter()
                    .map(|(key, value)| (Cow::Owned(key), Json::from(value)))
                    .collect(),
            )),
        }
    }
}

impl<'a> Object<'a> {
    /// Sorts `members` by key, keeping the last of each run of equal keys.
    fn from_members(mut members: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        if members.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            // Stable, so equal keys keep their order and the last one can be kept.
            members.sort_by(|a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(Cow<'a, str>, Json<'a>)> = Vec::with_capacity(members.len());
            for member in members {
                match kept.last_mut() {
                    Some(last) if last.0 == member.0 => *last = member,
                    _ => kept.push(member),
                }
            }
            members = kept;
        }
        Object(members)
    }

    /// Where `key` is. An event's objects are small, and comparing for equality rejects most keys by
    /// their length alone, so small objects are scanned; large ones are searched.
    fn position(&self, key: &str) -> Option<usize> {
        if self.0.len() <= 32 {
            self.0.iter().position(|(k, _)| k == key)
        } else {
            self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.position(key).map(|i| &self.0[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Takes `key`'s value out and leaves `null` in its place, for a reader that treats `null` as
    /// absent (as validation does): removing the member would shift every member after it.
    pub fn take(&mut self, key: &str) -> Option<Json<'a>> {
        self.position(key)
            .map(|i| std::mem::replace(&mut self.0[i].1, Json::Null))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As a `serde_json` map. Inserted one by one: collecting would first gather the members into
    /// a vector to sort them, and they are sorted already.
    pub fn into_map(self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value) in self.0 {
            map.insert(key.into_owned(), value.into_value());
        }
        map
    }
}

impl<'a> IntoIterator for Object<'a> {
    type Item = (Cow<'a, str>, Json<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Json<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        // As `Value` reads it: JSON text has no NaN or infinity, so this is always a number.
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::with_capacity(8);
        while let Some((Str(key), value)) = map.next_entry()? {
            members.push((key, value));
        }
        Ok(Json::Object(Object::from_members(members)))
    }
}

/// A string that borrows from the text it was read from unless it holds escapes: an object's key
/// here, and the stored body's strings an export reads (serde's own `Cow<str>` always copies when
/// wrapped in an `Option`).
pub struct Str<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn both(text: &str) -> (Json<'_>, Value) {
        (
            serde_json::from_str(text).unwrap(),
            serde_json::from_str(text).unwrap(),
        )
    }

    #[test]
    fn reads_every_value_as_serde_json_does() {
        for text in [
            r#"{"b":1,"a":[true,false,null],"c":{"x":-2,"y":1.5e3,"z":"\u00e9\n"},"d":"plain"}"#,
            r#"[18446744073709551615, -9223372036854775808, 0.1, 1e300, "", {}]"#,
            r#"{"k\u0041":"escaped key","kA":"same key, later"}"#,
        ] {
            let (json, value) = both(text);
            assert_eq!(json.into_value(), value, "{text}");
        }
    }

    /// The object read from [`BORROWING`]: its plain string borrowed, its escaped one owned.
    pub(super) fn borrows_only_plain_strings(json: Json<'_>) {
        let Json::Object(object) = json else {
            panic!("an object")
        };
        assert!(matches!(
            object.get("plain"),
            Some(Json::String(Cow::Borrowed("text")))
        ));
        assert!(matches!(object.get("esc"), Some(Json::String(Cow::Owned(s))) if s == "a\"b"));
    }

    /// An object with a plain string and one with an escape.
    pub(super) const BORROWING: &str = r#"{"plain":"text","esc":"a\"b"}"#;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        borrows_only_plain_strings(both(BORROWING).0);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_keys_are_sorted() {
        let (json, value) = both(r#"{"z":1,"a":1,"z":2,"m":{"q":1,"q":3},"a":5}"#);
        let Json::Object(mut object) = json.clone() else {
            panic!("an object")
        };
        assert_eq!(object.keys().collect::<Vec<_>>(), ["a", "m", "z"]);
        assert_eq!(object.get("z"), Some(&Json::Number(2.into())));
        assert_eq!(object.take("a"), Some(Json::Number(5.into())));
        assert_eq!(object.get("a"), Some(&Json::Null));
        assert_eq!(object.len(), 3);
        assert_eq!(json.into_value(), value);
    }

    /// JSON text as a sender might write it: keys from a small set (so duplicates are common), some
    /// written with escapes, members in any order, whitespace between tokens.
    fn text() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("\"a\"".to_string()),
            Just("\"b\"".to_string()),
            Just("\"\\u0061\"".to_string()),
            Just("\"k\\n\"".to_string()),
            Just("\"\u{e9}t\u{e9}\"".to_string()),
        ];
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|f| format!("{f:e}")),
            "[a-z \u{e9}\u{1f600}]{0,6}".prop_map(|s| format!("{s:?}")),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| format!("[ {} ]", items.join(" , "))),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|members| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v)| format!("{k} :{v}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn any_text_reads_as_serde_json_reads_it(text in text()) {
            let value: Value = serde_json::from_str(&text).unwrap();
            let json: Json<'_> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(json.clone().into_value(), value.clone());
            prop_assert_eq!(Json::from(value), json);
        }
    }

    /// A payload of thousands of members in reverse order, each key twice: sorted once, not member
    /// by member, and looked up by binary search.
    #[test]
    fn large_unsorted_objects_read_as_serde_json_reads_them() {
        let members: Vec<String> = (0..4000)
            .rev()
            .flat_map(|i| {
                [
                    format!("\"k{i:05}\":{i}"),
                    format!("\"k{i:05}\":\"last {i}\""),
                ]
            })
            .collect();
        let text = format!("{{{}}}", members.join(","));
        let (json, value) = both(&text);
        let Json::Object(object) = &json else {
            panic!("an object")
        };
        assert_eq!(object.len(), 4000);
        assert_eq!(object.keys().next(), Some("k00000"));
        assert_eq!(
            object.get("k03999").and_then(Json::as_str),
            Some("last 3999")
        );
        assert!(object.get("k04000").is_none());
        assert_eq!(json.into_value(), value);
    }

    #[test]
    fn values_move_in_and_come_back_unchanged() {
        let value: Value = serde_json::from_str(r#"{"b":[1,{"c":null}],"a":"x","n":2.5}"#).unwrap();
        assert_eq!(Json::from(value.clone()).into_value(), value);
    }
}
