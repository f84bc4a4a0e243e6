//! Building responses: JSON, or a streamed download, with the headers every API answer carries.

use futures_util::TryStream;
use worker::{Headers, Response, ResponseBody, ResponseBuilder};

/// A JSON response from already-serialised text (stored event bodies are served without re-parsing).
pub fn json_text(status: u16, json: String) -> Response {
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(api_headers("application/json; charset=utf-8"))
        .body(ResponseBody::Body(json.into_bytes()))
}

/// A file download whose body is produced chunk by chunk; `extra` adds headers of its own.
pub fn download<S>(
    content_type: &str,
    file_name: &str,
    extra: &[(&str, &str)],
    body: S,
) -> worker::Result<Response>
where
    S: TryStream<Ok = Vec<u8>, Error = worker::Error> + 'static,
{
    let headers = api_headers(content_type);
    // The name is built by the server from fixed parts; quoting keeps it one token all the same.
    let _ = headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{file_name}\""),
    );
    for (name, value) in extra {
        let _ = headers.set(name, value);
    }
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// A JSON response from a serialisable value.
pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Response {
    json_text(status, serde_json::to_string(value).unwrap_or_default())
}

/// Headers for every API response: its content type, never cached, sniffed, framed or run as a page.
fn api_headers(content_type: &str) -> Headers {
    let headers = Headers::new();
    for (name, value) in [
        ("content-type", content_type),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        // Browsers keep to HTTPS for a year once they have had an answer over it (they ignore it
        // over plain HTTP, as under `wrangler dev`).
        ("strict-transport-security", "max-age=31536000"),
        // An API answer is data, never a page: nothing in it may load, run or be framed.
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
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
