//! Properties over generated input: any query the AST can express prints to text that parses back to
//! it, and no text at all makes the parser panic or report a span outside the input.

use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::timestamp::MAX_MILLIS;

const DAY: i64 = 86_400_000;
const UNIT_SIZES: [i64; 6] = [1, 1000, 60_000, 3_600_000, DAY, 7 * DAY];

/// Text with the characters the printer must quote or escape, and any characters at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._@-]{0,10}",
        "[-a-z ,\"*\\\\:<>\t]{0,8}",
        ".{0,10}",
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        4 => select(Field::FIXED.to_vec()),
        1 => "[A-Za-z0-9_.-]{1,64}".prop_map(Field::Metadata),
        // Keys only quotes can hold: spaces, `:`, `"`, `,`, `\`, any character.
        1 => "[a-z \":,\\\\é]{0,6}[a-z]".prop_map(Field::Metadata),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    select(CompareOp::ALL.to_vec())
}

/// Milliseconds up to `max`, often a whole number of some unit (the printer's interesting cases).
fn amount(max: i64) -> impl Strategy<Value = i64> {
    prop_oneof![
        0..=max,
        (0..=10_000_i64, select(UNIT_SIZES.to_vec())).prop_map(|(n, unit)| n * unit),
    ]
}

fn time_value() -> impl Strategy<Value = TimeValue> {
    prop_oneof![
        (0..=MAX_MILLIS).prop_map(TimeValue::Absolute),
        (0..=MAX_MILLIS / DAY).prop_map(|days| TimeValue::Absolute(days * DAY)),
        (0..=MAX_MILLIS / DAY).prop_map(|days| TimeValue::Day(days * DAY)),
        (0..=MAX_MILLIS / 1000).prop_map(|s| TimeValue::Absolute(s * 1000)),
        (amount(MAX_SPAN_MS), any::<bool>()).prop_map(|(ms, past)| TimeValue::Relative(if past {
            -ms
        } else {
            ms
        })),
    ]
}

fn value_for(field: &Field) -> BoxedStrategy<Value> {
    if let Some(names) = super::parse::closed_values(field) {
        // One of the values, or a prefix of one.
        return (prop::sample::select(names), 1..4usize, any::<bool>())
            .prop_map(|(name, cut, whole)| match whole {
                true => Value::Exact(name.to_string()),
                false => Value::Prefix(name[..cut.min(name.len())].to_string()),
            })
            .boxed();
    }
    match field.kind() {
        FieldKind::Text => prop_oneof![
            text().prop_map(Value::Exact),
            text()
                .prop_filter("a prefix is not empty", |t| !t.is_empty())
                .prop_map(Value::Prefix),
        ]
        .boxed(),
        FieldKind::Time => (op(), time_value())
            .prop_map(|(op, time)| Value::Compare {
                op,
                operand: Operand::Time(time),
            })
            .boxed(),
        FieldKind::Duration => (op(), amount(MAX_SPAN_MS))
            .prop_map(|(op, ms)| Value::Compare {
                op,
                operand: Operand::Duration(ms),
            })
            .boxed(),
    }
}

fn term() -> impl Strategy<Value = Term> {
    let field_term = field()
        .prop_flat_map(|f| {
            let values = prop::collection::vec(value_for(&f), 1..4);
            (Just(f), values)
        })
        .prop_map(|(field, values)| TermKind::Field { field, values });
    let word = "[^\\s\":-][^\\s\":]{0,10}"
        .prop_filter("a word has a letter or digit", |w| {
            w.chars().any(char::is_alphanumeric)
        })
        .prop_map(|text| TermKind::Text {
            text,
            phrase: false,
        });
    let phrase = text()
        .prop_filter("a phrase has a letter or digit", |t| {
            t.chars().any(char::is_alphanumeric)
        })
        .prop_map(|text| TermKind::Text { text, phrase: true });
    (
        any::<bool>(),
        prop_oneof![3 => field_term, 1 => word, 1 => phrase],
    )
        .prop_map(|(negated, kind)| Term {
            negated,
            span: Span::default(),
            kind,
        })
}

fn query() -> impl Strategy<Value = Query> {
    prop::collection::vec(term(), 0..6).prop_map(|terms| Query { terms })
}

fn without_spans(mut query: Query) -> Query {
    for term in &mut query.terms {
        term.span = Span::default();
    }
    query
}

/// Whatever `input` is: no panic, spans inside it, and a parsed query that prints and reads back.
fn check_any(input: &str) -> Result<(), TestCaseError> {
    match parse(input) {
        Ok(query) => {
            for term in &query.terms {
                let written = input.get(term.span.start..term.span.end);
                prop_assert!(written.is_some(), "{:?} outside {:?}", term.span, input);
            }
            let printed = print(&query);
            if printed.len() <= MAX_QUERY_BYTES {
                let again = parse(&printed)
                    .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
                prop_assert_eq!(without_spans(again), without_spans(query));
            }
        }
        Err(err) => {
            prop_assert!(
                input.get(err.span.start..err.span.end).is_some(),
                "{err} outside {input:?}"
            );
            prop_assert!(err.span.start <= err.span.end);
            prop_assert!(!err.message.is_empty());
        }
    }
    Ok(())
}

/// Terms made of the characters that matter to the grammar.
fn query_like() -> impl Strategy<Value = String> {
    let piece =
        "-?(actor|Occurred|duration|metadata\\.K|actr|)?:?(>=|<|>)?[-+0-9a-zTZ.:\"*,\\\\ ]{0,14}";
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn printed_queries_parse_back_to_themselves(query in query()) {
        let printed = print(&query);
        let parsed = parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
        prop_assert_eq!(print(&parsed), printed.clone());
        for term in &parsed.terms {
            prop_assert_eq!(&printed[term.span.start..term.span.end], term.to_string());
        }
        prop_assert_eq!(without_spans(parsed), query);
    }

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>()) {
        check_any(&input)?;
    }

    #[test]
    fn query_like_text_never_panics(input in query_like()) {
        check_any(&input)?;
    }
}
