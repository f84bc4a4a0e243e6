//! The SPEC example, each piece of syntax, and every error with the exact span it reports.

use super::*;

const DAY: i64 = 86_400_000;
const JUNE_1_2024: i64 = 1_717_200_000_000;

fn field(field: Field, values: Vec<Value>) -> TermKind {
    TermKind::Field { field, values }
}

fn exact(text: &str) -> Value {
    Value::Exact(text.to_owned())
}

fn prefix(text: &str) -> Value {
    Value::Prefix(text.to_owned())
}

fn word(text: &str) -> TermKind {
    TermKind::Text {
        text: text.to_owned(),
        phrase: false,
    }
}

fn phrase(text: &str) -> TermKind {
    TermKind::Text {
        text: text.to_owned(),
        phrase: true,
    }
}

fn time(op: CompareOp, time: TimeValue) -> Value {
    Value::Compare {
        op,
        operand: Operand::Time(time),
    }
}

fn duration(op: CompareOp, ms: i64) -> Value {
    Value::Compare {
        op,
        operand: Operand::Duration(ms),
    }
}

/// The only term of `input`, checking that its span covers the whole trimmed input.
fn single(input: &str) -> Term {
    let query = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(query.terms.len(), 1, "{input}");
    let term = query.terms.into_iter().next().unwrap();
    let trimmed_start = input.len() - input.trim_start().len();
    assert_eq!(
        term.span,
        Span::new(trimmed_start, input.trim_end().len()),
        "{input}"
    );
    term
}

fn kind(input: &str) -> TermKind {
    single(input).kind
}

/// The error for `input`, checking that it points at `span`.
fn error(input: &str, span: (usize, usize)) -> QueryError {
    let err = parse(input).expect_err(input);
    assert_eq!(
        (err.span.start, err.span.end),
        span,
        "{input}: {err} points at {:?}",
        input.get(err.span.start..err.span.end)
    );
    err
}

#[test]
fn the_spec_example() {
    let input =
        "actor:alice@corp.com action:app.* outcome:failure,denied -env:dev target.type:database\n\
                 occurred:>=2024-06-01 occurred:<-7d ip:192.168.1.* \"sales report\"";
    let query = parse(input).unwrap();
    let expected = [
        (
            false,
            "actor:alice@corp.com",
            field(Field::Actor, vec![exact("alice@corp.com")]),
        ),
        (
            false,
            "action:app.*",
            field(Field::Action, vec![prefix("app.")]),
        ),
        (
            false,
            "outcome:failure,denied",
            field(Field::Outcome, vec![exact("failure"), exact("denied")]),
        ),
        (true, "-env:dev", field(Field::Env, vec![exact("dev")])),
        (
            false,
            "target.type:database",
            field(Field::TargetType, vec![exact("database")]),
        ),
        (
            false,
            "occurred:>=2024-06-01",
            field(
                Field::Occurred,
                vec![time(CompareOp::Ge, TimeValue::Day(JUNE_1_2024))],
            ),
        ),
        (
            false,
            "occurred:<-7d",
            field(
                Field::Occurred,
                vec![time(CompareOp::Lt, TimeValue::Relative(-7 * DAY))],
            ),
        ),
        (
            false,
            "ip:192.168.1.*",
            field(Field::Ip, vec![prefix("192.168.1.")]),
        ),
        (false, "\"sales report\"", phrase("sales report")),
    ];
    assert_eq!(query.terms.len(), expected.len());
    for (term, (negated, text, kind)) in query.terms.iter().zip(expected) {
        let start = input.find(text).unwrap();
        assert_eq!(term.negated, negated, "{text}");
        assert_eq!(term.span, Span::new(start, start + text.len()), "{text}");
        assert_eq!(term.kind, kind, "{text}");
    }
    assert_eq!(
        print(&query),
        "actor:alice@corp.com action:app.* outcome:failure,denied -env:dev target.type:database \
         occurred:>=2024-06-01 occurred:<-7d ip:192.168.1.* \"sales report\""
    );
}

#[test]
fn empty_and_blank_queries_match_everything() {
    for input in ["", " ", " \t\n\r ", "\u{3000}"] {
        assert_eq!(parse(input), Ok(Query::default()), "{input:?}");
    }
}

#[test]
fn every_field_by_name_in_any_case() {
    for f in Field::FIXED {
        let value = match f.kind() {
            // The fields with a fixed list of values take only those.
            FieldKind::Text => super::parse::closed_values(&f)
                .map_or("x", |values| values[0])
                .to_owned(),
            FieldKind::Time => ">=2024-06-01".to_owned(),
            FieldKind::Duration => ">1s".to_owned(),
        };
        for name in [f.name().to_string(), f.name().to_uppercase()] {
            let TermKind::Field { field: parsed, .. } = kind(&format!("{name}:{value}")) else {
                panic!("{name}");
            };
            assert_eq!(parsed, f);
        }
    }
    assert_eq!(
        kind("Metadata.Region:EU"),
        field(Field::Metadata("Region".into()), vec![exact("EU")])
    );
    assert_eq!(
        kind("metadata.k8s.pod-name_1:web-1"),
        field(
            Field::Metadata("k8s.pod-name_1".into()),
            vec![exact("web-1")]
        )
    );
}

#[test]
fn words_and_phrases() {
    assert_eq!(kind("deploy"), word("deploy"));
    assert_eq!(kind("  deploy  "), word("deploy"));
    assert_eq!(kind("DROP*"), word("DROP*"));
    assert_eq!(kind("a,b"), word("a,b"));
    assert_eq!(kind("naïve"), word("naïve"));
    assert_eq!(kind("\"sales\""), phrase("sales"));
    assert_eq!(kind("\"http://x\""), phrase("http://x"));
    assert_eq!(kind("\"say \\\"hi\\\" \\\\o/\""), phrase("say \"hi\" \\o/"));
    assert_eq!(kind("\"a*,b\""), phrase("a*,b"));
    let negated = single("-\"sales report\"");
    assert!(negated.negated);
    assert_eq!(negated.kind, phrase("sales report"));
    let negated = single("-deploy");
    assert!(negated.negated);
    assert_eq!(negated.kind, word("deploy"));
    let query = parse("OR and").unwrap();
    assert_eq!(query.terms[0].kind, word("OR"));
    assert_eq!(query.terms[1].kind, word("and"));
}

#[test]
fn text_values() {
    assert_eq!(
        kind("actor:\"Jane Doe\""),
        field(Field::Actor, vec![exact("Jane Doe")])
    );
    assert_eq!(
        kind("actor:\"Jane D\"*"),
        field(Field::Actor, vec![prefix("Jane D")])
    );
    assert_eq!(
        kind("action:\"a*\",b*,c"),
        field(Field::Action, vec![exact("a*"), prefix("b"), exact("c")])
    );
    assert_eq!(kind("actor:\"\""), field(Field::Actor, vec![exact("")]));
    assert_eq!(kind("env:-dev"), field(Field::Env, vec![exact("-dev")]));
    assert_eq!(kind("ip:::1"), field(Field::Ip, vec![exact("::1")]));
    assert_eq!(
        kind("metadata.url:http://x/a:b"),
        field(Field::Metadata("url".into()), vec![exact("http://x/a:b")])
    );
    assert_eq!(kind("actor:\">x\""), field(Field::Actor, vec![exact(">x")]));
    assert_eq!(
        kind("actor:C:\\x"),
        field(Field::Actor, vec![exact("C:\\x")])
    );
    assert_eq!(
        kind("app:Ünïcödé"),
        field(Field::App, vec![exact("Ünïcödé")])
    );
}

#[test]
fn comparisons() {
    let june_1_10_30 = JUNE_1_2024 + 37_800_000;
    for (input, value) in [
        (
            "occurred:>2024-06-01",
            time(CompareOp::Gt, TimeValue::Day(JUNE_1_2024)),
        ),
        (
            "occurred:<=2024-06-01T10:30",
            time(CompareOp::Le, TimeValue::Absolute(june_1_10_30)),
        ),
        (
            "occurred:<2024-06-01T10:30:00",
            time(CompareOp::Lt, TimeValue::Absolute(june_1_10_30)),
        ),
        (
            "occurred:<2024-06-01T12:30:00+02:00",
            time(CompareOp::Lt, TimeValue::Absolute(june_1_10_30)),
        ),
        (
            "occurred:<2024-06-01T10:30:00.250Z",
            time(CompareOp::Lt, TimeValue::Absolute(june_1_10_30 + 250)),
        ),
        (
            "occurred:>-24h",
            time(CompareOp::Gt, TimeValue::Relative(-DAY)),
        ),
        (
            "occurred:>-30m",
            time(CompareOp::Gt, TimeValue::Relative(-1_800_000)),
        ),
        (
            "occurred:>-45s",
            time(CompareOp::Gt, TimeValue::Relative(-45_000)),
        ),
        (
            "occurred:>-2w",
            time(CompareOp::Gt, TimeValue::Relative(-14 * DAY)),
        ),
        (
            "occurred:<+1h",
            time(CompareOp::Lt, TimeValue::Relative(3_600_000)),
        ),
        (
            "occurred:>=\"2024-06-01\"",
            time(CompareOp::Ge, TimeValue::Day(JUNE_1_2024)),
        ),
        ("duration:>250ms", duration(CompareOp::Gt, 250)),
        ("duration:>=1.5s", duration(CompareOp::Ge, 1500)),
        ("duration:<2m", duration(CompareOp::Lt, 120_000)),
        ("duration:<=1h", duration(CompareOp::Le, 3_600_000)),
        ("duration:>250", duration(CompareOp::Gt, 250)),
    ] {
        let expected_field = if input.starts_with("occurred") {
            Field::Occurred
        } else {
            Field::Duration
        };
        assert_eq!(kind(input), field(expected_field, vec![value]), "{input}");
    }
    assert_eq!(
        kind("occurred:<2024-01-01,>=-7d"),
        field(
            Field::Occurred,
            vec![
                time(CompareOp::Lt, TimeValue::Day(1_704_067_200_000)),
                time(CompareOp::Ge, TimeValue::Relative(-7 * DAY)),
            ]
        )
    );
}

#[test]
fn relative_times_resolve_against_the_callers_now() {
    assert_eq!(TimeValue::Relative(-DAY).resolve(10 * DAY), 9 * DAY);
    assert_eq!(TimeValue::Absolute(5).resolve(10 * DAY), 5);
    // A day is taken whole by `<=` and `>`, from its start by `>=` and `<`; instants as they are.
    let day = TimeValue::Day(JUNE_1_2024);
    let next = JUNE_1_2024 + DAY;
    assert_eq!(day.compared(CompareOp::Le, 0), (CompareOp::Lt, next));
    assert_eq!(day.compared(CompareOp::Gt, 0), (CompareOp::Ge, next));
    assert_eq!(day.compared(CompareOp::Ge, 0), (CompareOp::Ge, JUNE_1_2024));
    assert_eq!(day.compared(CompareOp::Lt, 0), (CompareOp::Lt, JUNE_1_2024));
    let midnight = TimeValue::Absolute(JUNE_1_2024);
    assert_eq!(
        midnight.compared(CompareOp::Le, 0),
        (CompareOp::Le, JUNE_1_2024)
    );
    assert_eq!(
        TimeValue::Relative(-DAY).compared(CompareOp::Gt, 10 * DAY),
        (CompareOp::Gt, 9 * DAY)
    );
    assert_eq!(TimeValue::Relative(i64::MIN).resolve(-1), i64::MIN);
}

#[test]
fn unknown_fields_name_the_field_and_suggest() {
    let err = error("actr:alice", (0, 4));
    assert!(err.message.contains("unknown field `actr`"), "{err}");
    assert!(err.message.contains("did you mean `actor`?"), "{err}");
    assert!(err.expected.contains(&"actor".to_owned()));
    assert!(err.expected.contains(&"metadata.<key>".to_owned()));
    let shown = err.to_string();
    assert!(
        shown.starts_with("unknown field `actr`; did you mean `actor`? (at 0..4); expected one of: actor, actor.type,"),
        "{shown}"
    );

    let err = error("deploy foo:bar", (7, 10));
    assert!(err.message.contains("unknown field `foo`"), "{err}");
    let err = error("http://example.com", (0, 4));
    assert!(err.message.contains("double quotes"), "{err}");
    error("-Actr:x", (1, 5));
    error(":foo", (0, 1));
    error("a :b", (2, 3));
    let err = error("metadata:x", (0, 8));
    assert!(err.message.contains("needs a key"), "{err}");
    error("metadata.:x", (0, 9));
    error(&format!("metadata.{}:x", "k".repeat(65)), (9, 74));
    // A key in quotes may hold anything but be blank or too long; a `:` must follow it.
    error("metadata.\"  \":x", (9, 13));
    error(&format!("metadata.\"{}\":x", "k".repeat(65)), (9, 76));
    error("metadata.\"a b\"x", (14, 14));
    error("metadata.\"a b\"", (14, 14));
}

#[test]
fn metadata_keys_of_any_characters() {
    assert_eq!(
        kind("metadata.a/b:x"),
        field(Field::Metadata("a/b".into()), vec![exact("x")])
    );
    assert_eq!(
        kind("metadata.kéy:v"),
        field(Field::Metadata("kéy".into()), vec![exact("v")])
    );
    assert_eq!(
        kind("METADATA.\"Cost Center\":\"R&D\",ops*"),
        field(
            Field::Metadata("Cost Center".into()),
            vec![exact("R&D"), prefix("ops")]
        )
    );
    assert_eq!(
        kind("metadata.\"say \\\"hi\\\": a\\\\b\":1"),
        field(Field::Metadata("say \"hi\": a\\b".into()), vec![exact("1")])
    );
    // Printed back as typed.
    let q = parse("-metadata.\"Cost Center\":x").unwrap();
    assert_eq!(q.to_string(), "-metadata.\"Cost Center\":x");
}

#[test]
fn negation_needs_a_term() {
    error("-", (0, 1));
    error("a - b", (2, 3));
    error("a -", (2, 3));
    error("--x", (0, 1));
    error("- env:dev", (0, 1));
}

#[test]
fn missing_values() {
    let err = error("actor:", (6, 6));
    assert_eq!(err.message, "expected a value after `actor:`");
    error("actor: alice", (6, 6));
    error("ACTOR:,a", (6, 6));
    let err = error("outcome:failure,", (15, 16));
    assert_eq!(err.message, "expected a value after `,`");
    error("env:a,,b", (5, 6));
    error("env:a, b", (5, 6));
    let err = error("occurred:>", (10, 10));
    assert_eq!(err.message, "expected a value after `>`");
    error("duration:<=,>1s", (11, 11));
}

#[test]
fn quotes() {
    let err = error("\"sales report", (0, 1));
    assert!(err.message.contains("never closed"), "{err}");
    error("a \"b\\\"", (2, 3));
    error("actor:\"Jane", (6, 7));
    error("actor:a,\"b", (8, 9));
    let err = error("\"a\\nb\"", (2, 4));
    assert!(err.message.contains("not an escape"), "{err}");
    error("\"a\"b", (3, 4));
    error("\"a\"*", (3, 4));
    error("\"a\",b", (3, 4));
    error("actor:\"a\"b", (9, 10));
    error("actor:\"a\"*x", (10, 11));
    error("foo\"bar\"", (3, 4));
    error("actor:Jane\"Doe\"", (10, 11));
    let err = error("\"  \"", (0, 4));
    assert!(err.message.contains("empty phrase"), "{err}");
    error("\"\"", (0, 2));
}

#[test]
fn wildcards() {
    let err = error("action:a*b", (8, 9));
    assert!(err.message.contains("only at the end"), "{err}");
    error("action:**", (7, 8));
    error("action:x,*", (9, 10));
    let err = error("action:*", (7, 8));
    assert!(err.message.contains("on its own"), "{err}");
    error("action:\"\"*", (7, 10));
    error("*", (0, 1));
    error("-*", (1, 2));
    error("occurred:>2024-06-01*", (10, 21));
    error("occurred:>\"2024-06-01\"*", (10, 23));
}

#[test]
fn comparisons_only_on_times_and_durations() {
    let err = error("actor:>=x", (6, 8));
    assert!(err.message.contains("`actor` is a text field"), "{err}");
    error("ip:<10.0.0.1", (3, 4));
    error("env:a,>b", (6, 7));
    error("env:>", (4, 5));
    let err = error("occurred:2024-06-01", (9, 19));
    assert!(err.message.contains("needs a comparison"), "{err}");
    assert_eq!(err.expected, [">=", "<=", ">", "<"]);
    error("duration:5s", (9, 11));
    error("occurred:>=2024-06-01,2024-07-01", (22, 32));
}

#[test]
fn invalid_times_and_durations() {
    let err = error("occurred:>=2024-13-01", (11, 21));
    assert!(err.message.contains("`2024-13-01`"), "{err}");
    assert!(err.expected.iter().any(|e| e == "YYYY-MM-DD"), "{err}");
    error("x occurred:>=yesterday", (13, 22));
    error("occurred:>=2024-06-01T25:00", (11, 27));
    error("occurred:<1969-12-31", (10, 20));
    let err = error("occurred:>7d", (10, 12));
    assert!(err.message.contains("`-7d`"), "{err}");
    error("occurred:>-7y", (10, 13));
    error("occurred:>-7", (10, 12));
    let err = error("duration:>-5s", (10, 13));
    assert!(err.expected.iter().any(|e| e.contains("250ms")), "{err}");
    error("duration:>1.5", (10, 13));
    error("duration:>1.0001s", (10, 17));
    error("duration:>99999999999999999w", (10, 28));
}

#[test]
fn limits() {
    let longest = format!("x{}", " ".repeat(MAX_QUERY_BYTES - 1));
    assert!(parse(&longest).is_ok());
    let too_long = format!("{longest}y");
    let err = error(&too_long, (MAX_QUERY_BYTES, MAX_QUERY_BYTES + 1));
    assert!(err.message.contains("at most 2000"), "{err}");
    // The span starts on a character boundary even when the limit falls inside one.
    let multibyte = format!("x{}é", " ".repeat(MAX_QUERY_BYTES - 2));
    error(&multibyte, (MAX_QUERY_BYTES - 1, MAX_QUERY_BYTES + 1));

    let fifty = vec!["w"; MAX_TERMS].join(" ");
    assert_eq!(parse(&fifty).unwrap().terms.len(), MAX_TERMS);
    let err = error(&format!("{fifty} env:dev"), (100, 107));
    assert!(err.message.contains("at most 50 terms"), "{err}");
}

#[test]
fn errors_display_position_and_expectations() {
    let err = QueryError::new(Span::new(3, 5), "bad").expecting(["x"]);
    assert_eq!(err.to_string(), "bad (at 3..5); expected x");
    let err = QueryError::new(Span::new(0, 0), "bad");
    assert_eq!(err.to_string(), "bad (at 0..0)");
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(boxed.to_string(), "bad (at 0..0)");
}

#[test]
fn the_ast_serialises() {
    let query = parse("-metadata.Region:eu* occurred:<-7d \"x y\"").unwrap();
    let json = serde_json::to_value(&query).unwrap();
    assert_eq!(
        json["terms"][0]["kind"]["field"]["field"]["metadata"],
        "Region"
    );
    let back: Query = serde_json::from_value(json).unwrap();
    assert_eq!(back, query);
}

#[test]
fn text_without_letters_or_digits_is_an_error_at_its_span() {
    let err = error("env:prod \"+++\"", (9, 14));
    assert_eq!(
        err.to_string(),
        "`+++` has no letters or digits to search for (at 9..14); expected a word or a quoted phrase"
    );
    error("env:prod ->>", (10, 12));
    // A letter or digit anywhere will do, in any script.
    assert_eq!(kind("\"-- é\""), phrase("-- é"));
    assert_eq!(kind("v2+"), word("v2+"));
}

#[test]
fn closed_fields_take_only_their_values() {
    let err = error("env:prod outcome:failed", (17, 23));
    assert!(
        err.message.contains("`outcome` has no value `failed`"),
        "{err}"
    );
    assert!(err.expected.iter().any(|e| e == "failure"), "{err:?}");
    error("outcome:success,denid", (16, 21));
    error("category:x*", (9, 11));
    error("severity:urgent", (9, 15));
    error("actor.type:person", (11, 17));
    // Any case, a prefix of one, or none at all.
    for ok in [
        "outcome:FAILURE",
        "outcome:in*",
        "category:perm*",
        "severity:\"\"",
        "actor.type:api_key",
        "-outcome:success",
    ] {
        assert!(parse(ok).is_ok(), "{ok}");
    }
}
