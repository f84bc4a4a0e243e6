//! Tests of the export framing: each format empty and full, and bodies that cannot be exported; plus the
//! helpers the column tests (`columns_tests.rs`) share.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::chain::canonical_json;
use crate::event::Event;

/// A stored body for `fields` over a minimal event, canonical like the ones `chain::seal` stores.
pub(super) fn body(fields: Value) -> String {
    let mut event = json!({
        "id": "0190b7a4-0000-7000-8000-000000000001",
        "tenant": "acme",
        "seq": 1,
        "prev_hash": crate::chain::GENESIS,
        "hash": "ab".repeat(32),
        "occurred_at": "2024-06-12T14:30:22.000Z",
        "received_at": "2024-06-12T14:30:22.150Z",
        "action": "database.create",
        "category": "create",
        "outcome": "success",
        "severity": "info",
        "actor": {"type": "user", "id": "u_1", "email": "alice@company.com"},
        "source": {"format": "native"}
    });
    for (key, value) in fields.as_object().unwrap() {
        event[key] = value.clone();
    }
    let text = canonical_json(&event);
    serde_json::from_str::<Event>(&text).expect("the test body is an Event");
    text
}

/// A Livebook code evaluation with every field set, as SPEC 2 describes it.
pub(super) fn full_event() -> String {
    body(json!({
        "id": "0190b7a4-1111-7000-8000-00000000abcd",
        "seq": 42,
        "skew_ms": -150,
        "action": "code.evaluate",
        "category": "execute",
        "outcome": "failure",
        "severity": "high",
        "description": "Evaluated a cell in \"Sales, Q2\"",
        "duration_ms": 1234,
        "error": {"code": "E_RUNTIME", "message": "** (ArithmeticError) bad argument"},
        "actor": {"type": "user", "id": "u_7", "name": "Zoë Müller-Lüdenscheidt",
                  "email": "zoe@example.com", "roles": ["admin", "editor"]},
        "participants": [{"type": "user", "id": "u_8", "name": "Bob"}],
        "targets": [{"type": "notebook", "id": "nb_1", "name": "Q2 Sales Report"},
                    {"type": "database", "id": "db_9"}],
        "scope": {"environment": "production", "organization": "acme-corp", "workspace": "analytics",
                  "project": "sales", "app": "livebook", "folder": "reports"},
        "context": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                    "session_id": "s_1", "request_id": "r_1", "trace_id": "t_1", "interface": "web",
                    "geo": {"country": "DE", "region": "Berlin", "city": "Berlin"},
                    "ua": {"browser": "Firefox", "browser_version": "126.0", "os": "Linux",
                           "device": "desktop"}},
        "changes": {"before": {"rows": 1, "note": "a,\"b\"\nc"}, "after": {"rows": -2},
                    "changed_fields": ["/rows"]},
        "payload": {"code": "x = 1\ny = \"a, b\"\nIO.puts(x / 0)", "session_mode": "default"},
        "metadata": {"notebook": "sales.livemd", "cells": 3},
        "flags": ["occurred_long_ago"],
        "redacted": ["/payload/token"],
        "idempotency_key": "livebook:h123",
        "source": {"format": "livebook", "name": "Livebook", "version": "0.13.0"}
    }))
}

pub(super) fn export(format: ExportFormat, bodies: &[&str]) -> String {
    let mut writer = ExportWriter::new(format);
    let mut out = writer.start();
    for b in bodies {
        out.push_str(&writer.row(b).unwrap());
    }
    out + &writer.finish()
}

/// The CSV export of `bodies`, read back as header-to-cell maps.
pub(super) fn csv_rows(bodies: &[&str]) -> Vec<BTreeMap<String, String>> {
    let text = export(ExportFormat::Csv, bodies);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), CSV_COLUMNS);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

pub(super) fn csv_row(body: &str) -> BTreeMap<String, String> {
    csv_rows(&[body]).remove(0)
}

#[test]
fn formats_parse_from_their_wire_names_only() {
    for format in ExportFormat::ALL {
        assert_eq!(ExportFormat::parse(format.as_str()), Some(format));
        assert_eq!(format.file_extension(), format.as_str());
    }
    assert_eq!(ExportFormat::parse("CSV"), None);
    assert_eq!(ExportFormat::parse("xlsx"), None);
    assert_eq!(ExportFormat::Csv.content_type(), "text/csv; charset=utf-8");
    assert_eq!(ExportFormat::Ndjson.content_type(), "application/x-ndjson");
}

#[test]
fn an_empty_export_is_a_valid_file_in_every_format() {
    assert_eq!(
        export(ExportFormat::Csv, &[]),
        CSV_COLUMNS.join(",") + "\r\n"
    );
    let json = export(ExportFormat::Json, &[]);
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), json!([]));
    assert_eq!(export(ExportFormat::Ndjson, &[]), "");
}

#[test]
fn finish_alone_still_opens_the_file_and_each_end_is_given_once() {
    let mut writer = ExportWriter::new(ExportFormat::Json);
    assert_eq!(writer.finish(), "[]\n");
    assert_eq!(writer.finish(), "");
    let mut writer = ExportWriter::new(ExportFormat::Csv);
    assert!(writer
        .row(&body(json!({})))
        .unwrap()
        .starts_with("timestamp,user,"));
    assert_eq!(writer.start(), "");
}

#[test]
fn json_export_parses_back_to_the_exact_bodies() {
    let (a, b, c) = (
        body(json!({})),
        full_event(),
        body(json!({"id": "0190b7a4-2", "seq": 3})),
    );
    let text = export(ExportFormat::Json, &[&a, &b, &c]);
    assert_eq!(text, format!("[\n{a},\n{b},\n{c}\n]\n"));
    let parsed: Vec<Box<RawValue>> = serde_json::from_str(&text).unwrap();
    let got: Vec<&str> = parsed.iter().map(|r| r.get()).collect();
    assert_eq!(got, [a.as_str(), b.as_str(), c.as_str()]);
}

#[test]
fn ndjson_lines_are_the_bodies() {
    let (a, b) = (full_event(), body(json!({})));
    let text = export(ExportFormat::Ndjson, &[&a, &b]);
    assert_eq!(text.lines().collect::<Vec<_>>(), [a.as_str(), b.as_str()]);
    assert!(text.ends_with('\n'));
}

#[test]
fn ndjson_keeps_a_pretty_printed_body_on_one_line() {
    let pretty = serde_json::to_string_pretty(&json!({"id": "e1", "code": "a\nb"})).unwrap();
    let line = ExportWriter::new(ExportFormat::Ndjson)
        .row(&pretty)
        .unwrap();
    assert_eq!(line.matches('\n').count(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(&line).unwrap()["code"],
        "a\nb"
    );
}

#[test]
fn a_body_that_is_not_an_event_is_named_in_the_error() {
    let mut writer = ExportWriter::new(ExportFormat::Csv);
    writer.row(&body(json!({}))).unwrap();
    let wrong_shape = r#"{"id":"0190b7a4-9","seq":"three"}"#;
    let err = writer.row(wrong_shape).unwrap_err();
    assert_eq!((err.row, err.id.as_deref()), (2, Some("0190b7a4-9")));
    assert!(
        err.to_string()
            .starts_with("cannot export row 2 (event 0190b7a4-9): "),
        "{err}"
    );
    for broken in ["{\"id\":\"e1\",", "[1]", ""] {
        assert_eq!(writer.row(broken).unwrap_err().id, None, "{broken:?}");
    }
    let mut writer = ExportWriter::new(ExportFormat::Json);
    for broken in ["{\"id\":\"e1\",", "[1]", "{} {}"] {
        assert!(writer.row(broken).is_err(), "{broken:?}");
    }
    // Failed rows write nothing: the next good one is still the array's first element.
    assert_eq!(writer.row("{}").unwrap(), "[\n{}");
}
