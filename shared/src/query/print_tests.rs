//! The canonical text: what is normalised, and what must be quoted to read back the same.

use super::*;

fn canonical(input: &str) -> String {
    print(&parse(input).unwrap_or_else(|e| panic!("{input}: {e}")))
}

#[test]
fn normalises_spacing_case_and_needless_quotes() {
    assert_eq!(canonical(""), "");
    assert_eq!(
        canonical("  ACTOR:alice   Action:App.*\t-ENV:\"dev\"  "),
        "actor:alice action:App.* -env:dev"
    );
    assert_eq!(canonical("METADATA.Region:EU"), "metadata.Region:EU");
    assert_eq!(canonical("\"sales\" deploy"), "\"sales\" deploy");
    assert_eq!(canonical("actor:\"a\"*"), "actor:a*");
}

#[test]
fn quotes_values_only_when_needed() {
    for (input, printed) in [
        ("actor:\"Jane Doe\"", "actor:\"Jane Doe\""),
        ("actor:\"Jane D\"*", "actor:\"Jane D\"*"),
        ("actor:\"\"", "actor:\"\""),
        ("actor:\"a,b\"", "actor:\"a,b\""),
        ("actor:\"a*\"", "actor:\"a*\""),
        ("actor:\"a*b\"*", "actor:\"a*b\"*"),
        ("actor:\"say \\\"hi\\\"\"", "actor:\"say \\\"hi\\\"\""),
        ("actor:C:\\x", "actor:\"C:\\\\x\""),
        ("env:-dev", "env:\"-dev\""),
        ("actor:\">x\"", "actor:\">x\""),
        ("actor:\"<x\"", "actor:\"<x\""),
        ("actor:\"a\tb\"", "actor:\"a\tb\""),
        ("ip:::1", "ip:::1"),
        ("metadata.url:http://x", "metadata.url:http://x"),
        ("actor:a>b", "actor:a>b"),
        ("actor:a-b", "actor:a-b"),
    ] {
        assert_eq!(canonical(input), printed, "{input}");
        assert_eq!(canonical(printed), printed, "{printed}");
    }
}

#[test]
fn full_text() {
    assert_eq!(canonical("-\"a \\\\ b\""), "-\"a \\\\ b\"");
    assert_eq!(canonical("DROP* a,b"), "DROP* a,b");
    // A word the parser could not have produced is printed as a phrase.
    let query = Query {
        terms: vec![Term {
            negated: false,
            span: Span::default(),
            kind: TermKind::Text {
                text: "-x:y".into(),
                phrase: false,
            },
        }],
    };
    assert_eq!(print(&query), "\"-x:y\"");
}

#[test]
fn times_and_durations() {
    for (input, printed) in [
        (
            "occurred:>=2024-06-01T00:00",
            "occurred:>=2024-06-01T00:00:00Z",
        ),
        (
            "occurred:>=2024-06-01T00:00:00Z",
            "occurred:>=2024-06-01T00:00:00Z",
        ),
        (
            "occurred:>2024-06-01T10:30",
            "occurred:>2024-06-01T10:30:00Z",
        ),
        (
            "occurred:>2024-06-01T12:30:00+02:00",
            "occurred:>2024-06-01T10:30:00Z",
        ),
        (
            "occurred:>2024-06-01T10:30:00.5",
            "occurred:>2024-06-01T10:30:00.500Z",
        ),
        (
            "occurred:>2024-06-01T10:30:00.000Z",
            "occurred:>2024-06-01T10:30:00Z",
        ),
        ("occurred:<-7d", "occurred:<-7d"),
        ("occurred:<-2w", "occurred:<-14d"),
        ("occurred:<-24h", "occurred:<-1d"),
        ("occurred:<-90m", "occurred:<-90m"),
        ("occurred:<-1.5h", "occurred:<-90m"),
        ("occurred:<+60s", "occurred:<+1m"),
        ("occurred:<-0d", "occurred:<-0s"),
        ("duration:>250", "duration:>250ms"),
        ("duration:>1.5s", "duration:>1500ms"),
        ("duration:>2000ms", "duration:>2s"),
        ("duration:>300s", "duration:>5m"),
        ("duration:>60m", "duration:>1h"),
        ("duration:>=0", "duration:>=0s"),
        ("occurred:>=-7d,<2024-01-01", "occurred:>=-7d,<2024-01-01"),
        // An instant at midnight keeps its time of day: alone, the date would mean the whole day.
        (
            "occurred:<=2024-06-01T00:00",
            "occurred:<=2024-06-01T00:00:00Z",
        ),
        ("occurred:<=2024-06-01", "occurred:<=2024-06-01"),
    ] {
        assert_eq!(canonical(input), printed, "{input}");
        assert_eq!(canonical(printed), printed, "{printed}");
    }
}

#[test]
fn terms_and_values_print_on_their_own() {
    let query = parse("-outcome:failure,denied \"a b\"").unwrap();
    assert_eq!(query.terms[0].to_string(), "-outcome:failure,denied");
    assert_eq!(query.terms[1].to_string(), "\"a b\"");
    assert_eq!(Value::Prefix("app.".into()).to_string(), "app.*");
    assert_eq!(Field::TargetType.to_string(), "target.type");
}
