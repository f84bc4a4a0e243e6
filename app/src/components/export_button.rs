//! Export what the list shows: CSV or JSON of exactly the list's filters, streamed from
//! `GET /api/v1/export`, counted as it arrives, then saved as a file.
//!
//! The body is read with `fetch` and a `ReadableStream` reader rather than by navigating to the URL,
//! because the API wants the read key in the `Authorization` header (a URL would put it in history
//! and logs) and because reading it ourselves lets the button show rows so far. The chunks are kept
//! as the browser's own `Uint8Array`s and joined into a `Blob` only at the end; each chunk is copied
//! into wasm just to count its rows. Counting, file names and the query are pure and tested natively.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::{classify, ApiError};
use crate::key::Auth;

/// The file formats offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values, one header row then one row per event.
    Csv,
    /// One JSON array of the stored events.
    Json,
}

impl ExportFormat {
    /// The API's `format` value, also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The export's query string: the list's API query without `limit` and `cursor` (the export refuses
/// both: it holds every matching event), after `format`.
pub fn export_query(format: ExportFormat, list_query: &str) -> String {
    let mut out = format!("format={}", format.as_str());
    for pair in list_query.split('&') {
        let name = pair.split('=').next().unwrap_or_default();
        if !pair.is_empty() && name != "limit" && name != "cursor" && name != "format" {
            out.push('&');
            out.push_str(pair);
        }
    }
    out
}

/// The file name of a `Content-Disposition: attachment; filename="..."` header.
pub fn attachment_name(header: &str) -> Option<String> {
    let at = header.find("filename=")?;
    let value = header[at + "filename=".len()..].trim_start();
    let name = match value.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => value.split(';').next()?.trim(),
    };
    // Only a plain name: no path, nothing hidden.
    let name = name.rsplit(['/', '\\']).next()?;
    (!name.is_empty() && !name.starts_with('.')).then(|| name.to_owned())
}

/// Counts the rows of an export as its bytes arrive, in chunks split anywhere. CSV rows end at a
/// line break outside quotes (cells may hold line breaks: code, JSON); the header row is not a
/// row. JSON rows are the array's top-level objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCounter {
    format: ExportFormat,
    /// Inside a quoted CSV cell or a JSON string.
    quoted: bool,
    /// After a backslash in a JSON string.
    escaped: bool,
    /// JSON nesting depth.
    depth: u32,
    /// Line breaks (CSV) or top-level objects (JSON) seen.
    seen: u64,
    /// The last CSV line has content not yet ended by a line break.
    open_line: bool,
}

impl RowCounter {
    /// A counter for a file in `format`.
    pub fn new(format: ExportFormat) -> RowCounter {
        RowCounter {
            format,
            quoted: false,
            escaped: false,
            depth: 0,
            seen: 0,
            open_line: false,
        }
    }

    /// Takes in the next chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match self.format {
                ExportFormat::Csv => match b {
                    b'"' => {
                        self.quoted = !self.quoted;
                        self.open_line = true;
                    }
                    b'\n' if !self.quoted => {
                        self.seen += 1;
                        self.open_line = false;
                    }
                    b'\r' if !self.quoted => {}
                    _ => self.open_line = true,
                },
                ExportFormat::Json => {
                    if self.quoted {
                        match (self.escaped, b) {
                            (true, _) => self.escaped = false,
                            (false, b'\\') => self.escaped = true,
                            (false, b'"') => self.quoted = false,
                            _ => {}
                        }
                        continue;
                    }
                    match b {
                        b'"' => self.quoted = true,
                        b'{' | b'[' => {
                            if b == b'{' && self.depth == 1 {
                                self.seen += 1;
                            }
                            self.depth += 1;
                        }
                        b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Rows so far.
    pub fn rows(&self) -> u64 {
        match self.format {
            // Lines, counting an unfinished last one, minus the header.
            ExportFormat::Csv => (self.seen + u64::from(self.open_line)).saturating_sub(1),
            ExportFormat::Json => self.seen,
        }
    }
}

/// `1 row`, `12,345 rows`.
pub fn rows_label(rows: u64) -> String {
    let digits = rows.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect();
    let grouped = groups.join(",");
    let noun = if rows == 1 { "row" } else { "rows" };
    format!("{grouped} {noun}")
}

/// Where an export is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Idle,
    Running(u64),
    /// Saved: rows, file name and the object URL it was saved from.
    Done(u64, String, String),
    Failed(String),
}

/// The export buttons. `query` is the list's API query (what `/api/v1/events` was asked, `limit` and
/// `cursor` included or not); `None` until the list has loaded, which disables the buttons.
#[component]
pub fn ExportButton(
    /// The list's API query string.
    #[prop(into)]
    query: Signal<Option<String>>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let progress = RwSignal::new(Progress::Idle);
    let start = move |format: ExportFormat| {
        let Some(list_query) = query.get_untracked() else {
            return;
        };
        if matches!(progress.get_untracked(), Progress::Running(_)) {
            return;
        }
        if let Progress::Done(_, _, url) = progress.get_untracked() {
            _ = web_sys::Url::revoke_object_url(&url);
        }
        progress.set(Progress::Running(0));
        spawn_local(async move {
            let path = format!("/api/v1/export?{}", export_query(format, &list_query));
            let result = auth.guard(download(&auth.key_untracked(), &path, format, progress).await);
            let done = match result {
                Ok((rows, name, url)) => Progress::Done(rows, name, url),
                Err(e) => Progress::Failed(e.to_string()),
            };
            // Handed back when the page was left meanwhile: nothing will show the file again. Let
            // go a minute later: a browser may read the file for the download just started after
            // the click that started it.
            if let Some(Progress::Done(_, _, url)) = progress.try_set(done) {
                set_timeout(
                    move || _ = web_sys::Url::revoke_object_url(&url),
                    std::time::Duration::from_secs(60),
                );
            }
        });
    };
    // The file is kept for its "save again" link while the page is shown; leaving lets it go (an
    // export can be hundreds of MB).
    on_cleanup(move || {
        if let Some(Progress::Done(_, _, url)) = progress.try_get_untracked() {
            _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    let running = move || matches!(progress.get(), Progress::Running(_));
    // `aria-disabled`, not `disabled`: a disabled button drops the keyboard focus (`start` ignores
    // clicks while it is set).
    let disabled = move || (running() || query.with(Option::is_none)).to_string();
    view! {
        <div class="ev-export" data-testid="export">
            <span class="ev-export__label">"Export"</span>
            <button type="button" class="ev-button ev-button--small" data-testid="export-csv"
                aria-disabled=disabled on:click=move |_| start(ExportFormat::Csv)>"CSV"</button>
            <button type="button" class="ev-button ev-button--small" data-testid="export-json"
                aria-disabled=disabled on:click=move |_| start(ExportFormat::Json)>"JSON"</button>
            // Busy while rows stream in, so the count is announced once, when the file is done.
            <span class="ev-export__status" role="status" aria-busy=move || running().to_string()
                data-testid="export-status">
                {move || match progress.get() {
                    Progress::Idle => ().into_any(),
                    Progress::Running(rows) => format!("Exporting… {}", rows_label(rows)).into_any(),
                    Progress::Failed(e) => format!("Export failed: {e}").into_any(),
                    Progress::Done(rows, name, url) => view! {
                        <span data-testid="export-done" data-rows=rows.to_string()>
                            {format!("Exported {} · ", rows_label(rows))}
                            <a href=url download=name.clone() data-testid="export-file">{name.clone()}</a>
                        </span>
                    }.into_any(),
                }}
            </span>
        </div>
    }
}

/// Streams the export at `path`, updating `progress` with the rows so far; then saves it and answers
/// the rows, the file name and the object URL.
async fn download(
    key: &str,
    path: &str,
    format: ExportFormat,
    progress: RwSignal<Progress>,
) -> Result<(u64, String, String), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(network)?;
    // No key when signed in with the session cookie, which the browser sends by itself.
    if !key.is_empty() {
        headers
            .set("authorization", &format!("Bearer {key}"))
            .map_err(network)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(network)?
        .unchecked_into();
    if !response.ok() {
        let body = JsFuture::from(response.text().map_err(network)?)
            .await
            .map_err(network)?;
        return Err(classify(
            response.status(),
            &body.as_string().unwrap_or_default(),
        ));
    }
    let header = |name| response.headers().get(name).ok().flatten();
    let name = header("content-disposition")
        .and_then(|h| attachment_name(&h))
        .unwrap_or_else(|| format!("evident-events.{}", format.as_str()));
    let content_type = header("content-type").unwrap_or_default();
    let body = response
        .body()
        .ok_or_else(|| ApiError::Decode("the export has no body".into()))?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let chunks = js_sys::Array::new();
    let mut counter = RowCounter::new(format);
    loop {
        let next = JsFuture::from(reader.read()).await.map_err(network)?;
        let field = |name: &str| js_sys::Reflect::get(&next, &JsValue::from_str(name));
        if field("done").ok().and_then(|d| d.as_bool()) != Some(false) {
            break;
        }
        let chunk: js_sys::Uint8Array = field("value").map_err(network)?.unchecked_into();
        counter.feed(&chunk.to_vec());
        chunks.push(&chunk);
        progress.try_set(Progress::Running(counter.rows()));
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&content_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&chunks, &options)
        .map_err(network)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(network)?;
    // Save it now through a link of our own; the one shown afterwards saves it again.
    let link: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(network)?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(&name);
    link.click();
    Ok((counter.rows(), name, url))
}

/// Describes a rejected JS promise.
fn network(err: JsValue) -> ApiError {
    let message = js_sys::Error::from(err).message().as_string();
    ApiError::Network(message.unwrap_or_else(|| "export failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(format: ExportFormat, text: &str, chunk: usize) -> u64 {
        let mut counter = RowCounter::new(format);
        for part in text.as_bytes().chunks(chunk) {
            counter.feed(part);
        }
        counter.rows()
    }

    #[test]
    fn csv_rows_end_at_line_breaks_outside_quotes() {
        let csv = "timestamp,user,code\r\n2024,alice,\"a\nb \"\"q\"\"\"\r\n2024,bob,\"{\"\"k\"\":1}\"\r\n";
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(count(ExportFormat::Csv, csv, chunk), 2, "chunks of {chunk}");
        }
        assert_eq!(
            count(ExportFormat::Csv, "h\n1\n2", 4),
            2,
            "no final line break"
        );
        assert_eq!(count(ExportFormat::Csv, "h\r\n", 1), 0);
        assert_eq!(count(ExportFormat::Csv, "", 1), 0);
    }

    #[test]
    fn json_rows_are_top_level_objects() {
        let json = r#"[{"a":{"b":[{"c":1}]},"s":"}{\"["},
{"x":"\\"},{"y":[]}]"#;
        for chunk in [1, 2, 5, 1000] {
            assert_eq!(
                count(ExportFormat::Json, json, chunk),
                3,
                "chunks of {chunk}"
            );
        }
        assert_eq!(count(ExportFormat::Json, "[]", 1), 0);
    }

    #[test]
    fn the_query_is_the_lists_without_paging() {
        assert_eq!(
            export_query(
                ExportFormat::Csv,
                "q=actor:u1&from=1000&limit=100&cursor=abc"
            ),
            "format=csv&q=actor:u1&from=1000"
        );
        assert_eq!(export_query(ExportFormat::Json, "limit=50"), "format=json");
        assert_eq!(export_query(ExportFormat::Json, ""), "format=json");
    }

    #[test]
    fn file_names_come_from_the_header() {
        assert_eq!(
            attachment_name("attachment; filename=\"evident-events-20240612T143022Z.csv\"")
                .as_deref(),
            Some("evident-events-20240612T143022Z.csv")
        );
        assert_eq!(
            attachment_name("attachment; filename=a.json; x=y").as_deref(),
            Some("a.json")
        );
        assert_eq!(
            attachment_name("attachment; filename=\"../../etc/x.csv\"").as_deref(),
            Some("x.csv")
        );
        assert_eq!(attachment_name("attachment; filename=\".bashrc\""), None);
        assert_eq!(attachment_name("inline"), None);
    }

    #[test]
    fn row_counts_read_in_groups_of_three() {
        assert_eq!(rows_label(0), "0 rows");
        assert_eq!(rows_label(1), "1 row");
        assert_eq!(rows_label(999), "999 rows");
        assert_eq!(rows_label(1000), "1,000 rows");
        assert_eq!(rows_label(1_234_567), "1,234,567 rows");
    }
}
