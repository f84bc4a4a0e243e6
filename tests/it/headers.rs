//! Security headers on every response, through a real `wrangler dev`: the dashboard's files (including
//! the page served for deep links) carry a Content-Security-Policy that admits only this origin and the
//! one inline script Trunk writes, by its hash, and every API answer, errors included, is marked as data
//! that must not be sniffed, framed or run.

use base64::Engine;
use evident_tests::http;
use evident_tests::server::Server;
use sha2::{Digest, Sha256};

use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "headers::dashboard_pages_carry_a_strict_policy",
        dashboard_pages_carry_a_strict_policy,
    ),
    (
        "headers::content_named_files_are_cached_for_good",
        content_named_files_are_cached_for_good,
    ),
    (
        "headers::api_answers_are_never_pages",
        api_answers_are_never_pages,
    ),
];

fn dashboard_pages_carry_a_strict_policy(server: &Server) {
    for path in ["/", "/events/01a20265-6162-7000-b9d5-d1e162387c21"] {
        let page = http::get(&server.url(path), None);
        assert_eq!(page.status, 200, "{path}");
        let csp = page
            .header("content-security-policy")
            .unwrap_or_else(|| {
                panic!("{path}: no Content-Security-Policy (dist/_headers is written by build_app in scripts/lib/setup.sh)")
            });
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .expect("script-src");
        assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
        // The inline loader is allowed by its hash, and by nothing looser.
        let opening = "<script type=\"module\">";
        let start = page.text.find(opening).expect("the inline loader") + opening.len();
        let end = start + page.text[start..].find("</script>").unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(&page.text.as_bytes()[start..end]));
        assert!(
            script_src.contains(&format!("'sha256-{hash}'")),
            "{path}: the inline script's hash {hash} in {script_src}"
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        assert_eq!(
            page.header("strict-transport-security"),
            Some("max-age=31536000")
        );
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        // The page names the current build's files, so it must be asked for again every time.
        let caching = page.header("cache-control").unwrap_or_default();
        assert!(!caching.contains("immutable"), "{path}: {caching}");
    }
}

/// The wasm, its JS glue and the style sheet are named by their content, so browsers keep them for a
/// year without asking again; they still carry the security headers.
fn content_named_files_are_cached_for_good(server: &Server) {
    let page = http::get(&server.url("/"), None);
    let named: Vec<&str> = page
        .text
        .split('"')
        .filter(|s| {
            s.starts_with('/')
                && [".wasm", ".js", ".css"].iter().any(|ext| s.ends_with(ext))
                && s.contains('-')
        })
        .collect();
    for ext in [".wasm", ".js", ".css"] {
        assert!(
            named.iter().any(|s| s.ends_with(ext)),
            "a {ext} file named in the page: {named:?}"
        );
    }
    for path in named {
        let file = http::get(&server.url(path), None);
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(
            file.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        assert_eq!(
            file.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}

fn api_answers_are_never_pages(server: &Server) {
    for (path, key, status) in [
        ("/api/v1/health", None, 200),
        (
            "/api/v1/events?limit=1",
            Some(server.read_key.as_str()),
            200,
        ),
        ("/api/v1/events", None, 401),
        ("/api/v1/nowhere", None, 404),
        (
            "/api/v1/events?limit=0",
            Some(server.read_key.as_str()),
            400,
        ),
    ] {
        let answer = http::get(&server.url(path), key);
        assert_eq!(answer.status, status, "{path}: {}", answer.text);
        assert_eq!(
            answer.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            answer.header("strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{path}");
    }
}
