use proptest::prelude::*;

use super::*;

/// The whole of `text` as one value, through the reader.
fn read(text: &str) -> Option<Json<'_>> {
    let (value, end) = Reader::new(text).value_at(0)?;
    text[end..]
        .bytes()
        .all(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .then_some(value)
}

/// The whole of `text` as one value, through serde_json.
fn serde(text: &str) -> Option<Json<'_>> {
    serde_json::from_str(text).ok()
}

/// The reader and serde_json agree on `text`: the same value, or both refuse it.
fn agree(text: &str) {
    assert_eq!(read(text), serde(text), "{text:?}");
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    for text in [
        "0",
        "-0",
        "-0.0",
        "7",
        "-7",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "-9223372036854775808",
        "-9223372036854775809",
        "-18446744073709551615",
        "-18446744073709551616",
        "1.5",
        "-1.5e3",
        "1E2",
        "1e+2",
        "1e-2",
        "0.1",
        "2.2250738585072011e-308",
        "1e-400",
        "-1e-400",
        "1.7976931348623157e308",
        "123456789012345678901234567890.123456789e-10",
        " 12 ",
    ] {
        assert!(read(text).is_some(), "{text}");
        agree(text);
    }
    for text in [
        "1e400", "-1e400", "01", "-", "-a", "+1", "1.", ".5", "1.e3", "1e", "1e+", "1x", "0x1",
        "--1", "1.5.5", "NaN", "Infinity",
    ] {
        assert!(read(text).is_none(), "{text}");
        agree(text);
    }
}

#[test]
fn strings_read_as_serde_json_reads_them() {
    for text in [
        r#""""#,
        r#""plain text, longer than one word of eight bytes""#,
        r#""\"\\\/\b\f\n\r\t""#,
        r#""\u00e9\u00E9 and \ud83d\ude00 and \u0000""#,
        r#""escape at the end\n""#,
        r#""\n escape at the start""#,
        "\"raw unicode: é 😀 \u{7f}\"",
    ] {
        assert!(read(text).is_some(), "{text}");
        agree(text);
    }
    for text in [
        "\"unterminated",
        "\"control \u{1} character\"",
        "\"tab\tinside\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""\ud83d""#,
        r#""\ud83d\n""#,
        r#""\ud83d\u0041""#,
        r#""\ude00""#,
        r#""\"#,
    ] {
        assert!(read(text).is_none(), "{text}");
        agree(text);
    }
}

#[test]
fn escaped_strings_are_owned_and_plain_ones_borrowed() {
    use crate::json::tests::{borrows_only_plain_strings, BORROWING};
    borrows_only_plain_strings(read(BORROWING).unwrap());
}

#[test]
fn structures_read_as_serde_json_reads_them() {
    for text in [
        "{}",
        "[]",
        " { } ",
        "[ ]",
        r#"{"b":1,"a":[true,false,null],"c":{"x":-2,"y":1.5e3},"b":2}"#,
        "[[[]],[{}],{\"a\":[1,{\"b\":[]}]}]",
        "\n\t\r [1 ,2\n,\t3] ",
    ] {
        assert!(read(text).is_some(), "{text}");
        agree(text);
    }
    for text in [
        "",
        " ",
        "{",
        "[",
        "{]",
        "[}",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\"}",
        "{\"a\" 1}",
        "{a:1}",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "tru",
        "nul",
        "falsey",
        "[true false]",
        "\u{a0}1",
        "{1:2}",
    ] {
        assert!(read(text).is_none(), "{text}");
        agree(text);
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    for depth in [1, 126, 127, 128, 129, 300] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let mixed = format!(
            "{}{}",
            "[{\"a\":".repeat(depth / 2 + 1),
            "}]".repeat(depth / 2 + 1)
        );
        for text in [arrays, objects, mixed] {
            agree(&text);
        }
    }
    assert!(read(&format!("{}{}", "[".repeat(127), "]".repeat(127))).is_some());
    assert!(read(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_none());
}

#[test]
fn a_value_ends_where_its_text_ends() {
    let text = r#"  {"a":[1,2]}  ,{"b":"c"} 17"#;
    let mut reader = Reader::new(text);
    let (first, end) = reader.value_at(0).unwrap();
    assert_eq!(&text[..end], r#"  {"a":[1,2]}"#);
    assert_eq!(first, serde_json::from_str(r#"{"a":[1,2]}"#).unwrap());
    let comma = text[end..].find(',').unwrap() + end;
    let (second, end) = reader.value_at(comma + 1).unwrap();
    assert_eq!(&text[comma + 1..end], r#"{"b":"c"}"#);
    assert_eq!(second, serde_json::from_str(r#"{"b":"c"}"#).unwrap());
    let (third, end) = reader.value_at(end).unwrap();
    assert_eq!(end, text.len());
    assert_eq!(third, Json::Number(17.into()));
}

/// A string's text as JSON: each character either as it is (when it may be) or escaped in one of
/// the ways JSON allows, astral characters as surrogate pairs.
fn string_literal() -> impl Strategy<Value = String> {
    let char = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('\u{0}', '\u{7f}'),
        1 => Just('é'),
        1 => Just('😀'),
        1 => Just('\u{2028}'),
    ];
    prop::collection::vec((char, 0..3u8), 0..12).prop_map(|chars| {
        let mut out = String::from("\"");
        for (c, style) in chars {
            match (c, style) {
                ('"' | '\\', 0) | ('\u{0}'..='\u{1f}', _) | (_, 1) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                ('"', _) => out.push_str("\\\""),
                ('\\', _) => out.push_str("\\\\"),
                ('/', 2) => out.push_str("\\/"),
                _ => out.push(c),
            }
        }
        out.push('"');
        out
    })
}

fn number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (-1e6f64..1e6).prop_map(|f| f.to_string()),
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?",
    ]
}

/// JSON text: any value, with whitespace between tokens and keys that repeat.
fn text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        number_literal(),
        string_literal(),
    ];
    let key = prop_oneof![
        Just("\"a\"".to_string()),
        Just("\"b\"".to_string()),
        Just("\"\\u0061\"".to_string()),
        string_literal(),
    ];
    let space = prop_oneof![Just(""), Just(" "), Just("\n\t "), Just("\r\n")];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), space.clone()), 0..6).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(v, s)| format!("{s}{v}{s}"))
                    .collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((key.clone(), inner, space.clone()), 0..6).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, s)| format!("{s}{k}{s}:{s}{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// What an edit can put into a text: the characters JSON's grammar turns on.
const INSERTS: [&str; 18] = [
    "\"", "\\", "{", "}", "[", "]", ",", ":", "-", "0", "e", ".", "\u{1}", " ", "u", "\\ud800",
    "+", "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_reads_as_serde_json_reads_it(text in text()) {
        prop_assert!(read(&text).is_some(), "{}", text);
        prop_assert_eq!(read(&text), serde(&text));
    }

    /// Broken texts: a well-formed one with a character cut out or one of JSON's own put in. Every
    /// text serde_json refuses, the reader refuses; every one it reads, the reader reads the same.
    #[test]
    fn broken_texts_are_refused_as_serde_json_refuses_them(
        text in text(),
        at in any::<prop::sample::Index>(),
        insert in prop::option::of(prop::sample::select(&INSERTS[..])),
    ) {
        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        let at = boundaries[at.index(boundaries.len())];
        let edited = match insert {
            Some(insert) => format!("{}{insert}{}", &text[..at], &text[at..]),
            None => {
                let next = boundaries.iter().find(|b| **b > at).copied().unwrap_or(at);
                format!("{}{}", &text[..at], &text[next..])
            }
        };
        prop_assert_eq!(read(&edited), serde(&edited), "{}", edited);
    }
}
