//! Building responses: JSON with the headers every API answer carries.

use worker::{Headers, Response, ResponseBody, ResponseBuilder};

/// A JSON response from already-serialised text (stored event bodies are served without re-parsing).
pub fn json_text(status: u16, json: String) -> Response {
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(api_headers())
        .body(ResponseBody::Body(json.into_bytes()))
}

/// A JSON response from a serialisable value.
pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Response {
    json_text(status, serde_json::to_string(value).unwrap_or_default())
}

/// Headers for every API response: JSON, never cached, never sniffed or framed.
fn api_headers() -> Headers {
    let headers = Headers::new();
    for (name, value) in [
        ("content-type", "application/json; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        let _ = headers.set(name, value);
    }
    headers
}

/// Lets browsers on any origin send events with a bearer key (no cookies are involved, so `*` is safe).
pub fn allow_any_origin(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let _ = headers.set("access-control-allow-origin", "*");
    let _ = headers.set("access-control-allow-methods", "GET, POST, OPTIONS");
    let _ = headers.set(
        "access-control-allow-headers",
        "authorization, content-type, idempotency-key",
    );
    let _ = headers.set("access-control-max-age", "86400");
    response
}
