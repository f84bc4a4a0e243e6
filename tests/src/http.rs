//! A small blocking HTTP client for tests and benchmarks that returns status and parsed JSON for every
//! answer, including 4xx and 5xx (which ureq reports as errors).

use std::time::Duration;

use serde_json::Value;

/// A status code and the parsed JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Parsed body.
    pub json: Value,
    /// Raw body.
    pub text: String,
    /// Response headers, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// The `error.code` of an error envelope, or "".
    pub fn error_code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// A response header's value, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `error.message` of an error envelope, or "".
    pub fn error_message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("")
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> Answer {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|name| {
            let value = response.header(&name)?.to_string();
            Some((name.to_ascii_lowercase(), value))
        })
        .collect();
    let text = response.into_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        json,
        text,
        headers,
    }
}

/// POSTs `body` with a content type and an optional bearer key.
pub fn post(url: &str, key: Option<&str>, content_type: &str, body: &str) -> Answer {
    let mut request = agent().post(url).set("content-type", content_type);
    if let Some(key) = key {
        request = request.set("authorization", &format!("Bearer {key}"));
    }
    answer(request.send_string(body))
}

/// GETs `url` with an optional bearer key.
pub fn get(url: &str, key: Option<&str>) -> Answer {
    let mut request = agent().get(url);
    if let Some(key) = key {
        request = request.set("authorization", &format!("Bearer {key}"));
    }
    answer(request.call())
}

/// Sends any request: a method, a URL, an optional bearer key, extra headers and an optional body
/// (sent with `content-type` when given).
pub fn send(
    method: &str,
    url: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Answer {
    let mut request = agent().request(method, url);
    if let Some(key) = key {
        request = request.set("authorization", &format!("Bearer {key}"));
    }
    for (name, value) in headers {
        request = request.set(name, value);
    }
    answer(match body {
        Some((content_type, body)) => request.set("content-type", content_type).send_string(body),
        None => request.call(),
    })
}

/// Percent-encodes a query-string value or a path segment (everything but RFC 3986's unreserved).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
