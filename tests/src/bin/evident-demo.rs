//! `evident-demo`: fills an Evident instance with realistic demo events (see `evident_tests::demo`), or
//! prints them as NDJSON. Demo data must be entirely valid, so any rejected event or error answer stops
//! the run with the server's answer and a non-zero exit code. Re-running with the same seed and end
//! time re-sends the same idempotency keys, which the server counts as duplicates instead of storing twice.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use evident_shared::body::{MAX_BODY_BYTES, MAX_EVENTS};
use evident_shared::timestamp::{format_rfc3339, parse_rfc3339};
use evident_shared::IngestResponse;
use evident_tests::demo::{generate, DemoConfig, DemoEvents};
use serde_json::Value;

const HELP: &str = "\
evident-demo: send realistic, deterministic demo audit events to Evident

USAGE:
    evident-demo --url http://127.0.0.1:8787 --key <ingest key> [OPTIONS]
    evident-demo --dry-run [OPTIONS] > events.ndjson

The events imitate five systems (Livebook, Airbyte, Langfuse, a data platform's
activity log and Lowcoder): 40 people, API keys and service accounts, spread over
the last DAYS days with a working-hours shape. The same --seed and --end always
produce the same events, with idempotency keys `demo-<seed>-<index>`, so sending
them again stores nothing twice.

OPTIONS:
    --url <URL>            Evident base URL (plain http), e.g. http://127.0.0.1:8787
    --key <KEY>            ingest API key, sent as `Authorization: Bearer <KEY>`
    --events <N>           how many events to generate [default: 5000]
    --seed <N>             random seed [default: 42]
    --days <N>             spread events over this many days before --end [default: 90]
    --end <RFC 3339>       latest event time, e.g. 2025-06-30T18:00:00Z [default: now]
    --batch <N>            events per request, 1 to 1000 [default: 500]
    --concurrency <N>      parallel requests [default: 4]
    --dry-run              print the events as NDJSON to stdout instead of sending them
    -h, --help             show this help

Any error answer or rejected event stops the run with exit code 1; bad arguments
exit with code 2.";

#[derive(Debug)]
struct Options {
    url: Option<String>,
    key: Option<String>,
    config: DemoConfig,
    batch: usize,
    concurrency: usize,
    dry_run: bool,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("evident-demo: {message}\nRun `evident-demo --help` for usage.");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let result = if options.dry_run {
        print_ndjson(&options)
    } else {
        send(&options)
    };
    match result {
        Ok(count) => {
            let seconds = started.elapsed().as_secs_f64();
            let verb = if options.dry_run { "generated" } else { "sent" };
            let line = format!(
                "{verb} {count} events in {seconds:.2} s ({:.0} events/s)",
                count as f64 / seconds.max(1e-9)
            );
            // In a dry run stdout carries the events, so the summary goes to stderr.
            if options.dry_run {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("evident-demo: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` means help was asked for.
fn parse_args(args: Vec<String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        url: None,
        key: None,
        config: DemoConfig {
            seed: 42,
            events: 5_000,
            end_ms: now_ms(),
            days: 90,
        },
        batch: 500,
        concurrency: 4,
        dry_run: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Both `--name value` and `--name=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--dry-run" => options.dry_run = true,
            "--url" => options.url = Some(value()?.trim_end_matches('/').to_string()),
            "--key" => options.key = Some(value()?),
            "--events" => options.config.events = number(&name, &value()?)?,
            "--seed" => options.config.seed = number(&name, &value()?)?,
            "--days" => options.config.days = number(&name, &value()?)?,
            "--batch" => options.batch = number(&name, &value()?)?,
            "--concurrency" => options.concurrency = number(&name, &value()?)?,
            "--end" => {
                let text = value()?;
                options.config.end_ms = parse_rfc3339(&text).map_err(|e| format!("--end: {e}"))?;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !(1..=MAX_EVENTS).contains(&options.batch) {
        return Err(format!(
            "--batch must be between 1 and {MAX_EVENTS} (the server's limit per request)"
        ));
    }
    if !(1..=64).contains(&options.concurrency) {
        return Err("--concurrency must be between 1 and 64".into());
    }
    if options.config.days > 3_650 {
        return Err("--days must be at most 3650".into());
    }
    if options.config.start_ms() < 0 {
        return Err(format!(
            "--days {} reaches back before 1970",
            options.config.days
        ));
    }
    if !options.dry_run {
        match &options.url {
            None => return Err("--url is required unless --dry-run is given".into()),
            Some(url) if url.starts_with("https://") => {
                return Err(
                    "this build speaks plain http only; use the http:// address of `wrangler dev`"
                        .into(),
                )
            }
            Some(url) if !url.starts_with("http://") => {
                return Err(format!("--url `{url}` must start with http://"))
            }
            Some(_) => {}
        }
        if options.key.is_none() {
            return Err("--key is required unless --dry-run is given".into());
        }
    }
    Ok(Some(options))
}

fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{name} expects a whole number, got `{text}`"))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn print_ndjson(options: &Options) -> Result<usize, String> {
    let mut out = std::io::stdout().lock();
    // Whole lines into one reusable buffer, then one write per ~64 KiB: many small writes cost more
    // than generating the events.
    let mut buffer = Vec::with_capacity(1 << 17);
    let mut count = 0;
    for event in generate(&options.config) {
        serde_json::to_writer(&mut buffer, &event)
            .map_err(|e| format!("serialising an event: {e}"))?;
        buffer.push(b'\n');
        count += 1;
        if buffer.len() >= 1 << 16 {
            out.write_all(&buffer)
                .map_err(|e| format!("writing stdout: {e}"))?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing stdout: {e}"))?;
    Ok(count)
}

/// What the sending threads share: the event stream and the tallies.
struct Run<'a> {
    options: &'a Options,
    endpoint: String,
    // The stream and the index of its next event, so errors can name the event's position.
    events: Mutex<(DemoEvents, usize)>,
    stored: AtomicUsize,
    duplicates: AtomicUsize,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
}

fn send(options: &Options) -> Result<usize, String> {
    let base = options.url.as_deref().unwrap_or_default();
    let c = &options.config;
    eprintln!(
        "sending {} events (seed {}, {} days up to {}) to {base} in batches of {} with {} threads",
        c.events,
        c.seed,
        c.days,
        format_rfc3339(c.end_ms),
        options.batch,
        options.concurrency
    );
    let run = Run {
        options,
        endpoint: format!("{base}/api/v1/events"),
        events: Mutex::new((generate(&options.config), 0)),
        stored: AtomicUsize::new(0),
        duplicates: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        failure: Mutex::new(None),
    };
    std::thread::scope(|threads| {
        for _ in 0..options.concurrency {
            threads.spawn(|| worker(&run));
        }
    });
    if let Some(failure) = run
        .failure
        .lock()
        .map_err(|_| "a sending thread panicked")?
        .take()
    {
        return Err(failure);
    }
    let duplicates = run.duplicates.load(Ordering::Relaxed);
    if duplicates > 0 {
        eprintln!("{duplicates} of them were already stored (same idempotency keys) and were not stored again");
    }
    Ok(run.stored.load(Ordering::Relaxed) + duplicates)
}

fn worker(run: &Run) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build();
    let total = run.options.config.events;
    let step = (total / 10).max(run.options.batch);
    while !run.failed.load(Ordering::Relaxed) {
        let (first, batch) = {
            let Ok(mut stream) = run.events.lock() else {
                return;
            };
            let first = stream.1;
            let batch: Vec<Value> = stream.0.by_ref().take(run.options.batch).collect();
            stream.1 += batch.len();
            (first, batch)
        };
        if batch.is_empty() {
            return;
        }
        match post_batch(run, &agent, first, &batch) {
            Ok(done) => {
                let before = run.stored.fetch_add(done, Ordering::Relaxed);
                if total >= 10 * run.options.batch && (before + done) / step > before / step {
                    eprintln!("  {} / {total} events sent", before + done);
                }
            }
            Err(message) => {
                run.failed.store(true, Ordering::Relaxed);
                if let Ok(mut failure) = run.failure.lock() {
                    failure.get_or_insert(message);
                }
                return;
            }
        }
    }
}

/// Sends one batch (split in two if it exceeds the body limit) and returns how many events were new.
fn post_batch(
    run: &Run,
    agent: &ureq::Agent,
    first: usize,
    batch: &[Value],
) -> Result<usize, String> {
    let body = serde_json::to_string(batch).map_err(|e| format!("serialising events: {e}"))?;
    if body.len() > MAX_BODY_BYTES && batch.len() > 1 {
        let half = batch.len() / 2;
        return Ok(post_batch(run, agent, first, &batch[..half])?
            + post_batch(run, agent, first + half, &batch[half..])?);
    }
    let key = run.options.key.as_deref().unwrap_or_default();
    let (status, text) = post_with_retries(agent, &run.endpoint, key, &body)?;
    let what = format!("events {first}..{}", first + batch.len());
    if !(200..300).contains(&status) {
        return Err(format!(
            "{what}: the server answered {status}:\n{}{}",
            clip(&text),
            rejected_inputs(&text, batch)
        ));
    }
    let answer: IngestResponse = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{what}: unexpected answer ({e}), status {status}:\n{}",
            clip(&text)
        )
    })?;
    if !answer.rejected.is_empty() {
        return Err(format!(
            "{what}: the server rejected {} events:\n{}{}",
            answer.rejected.len(),
            clip(&text),
            rejected_inputs(&text, batch)
        ));
    }
    if answer.accepted + answer.duplicates != batch.len() {
        return Err(format!(
            "{what}: sent {} events but the server accounted for {}:\n{}",
            batch.len(),
            answer.accepted + answer.duplicates,
            clip(&text)
        ));
    }
    run.duplicates
        .fetch_add(answer.duplicates, Ordering::Relaxed);
    Ok(answer.accepted)
}

/// POSTs `body`, retrying connection failures and overload answers; idempotency keys make that safe.
fn post_with_retries(
    agent: &ureq::Agent,
    url: &str,
    key: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = agent
            .post(url)
            .set("Authorization", &format!("Bearer {key}"))
            .set("Content-Type", "application/json")
            .send_string(body);
        let retry_reason = match result {
            Ok(response) => {
                return Ok((
                    response.status(),
                    response.into_string().unwrap_or_default(),
                ))
            }
            Err(ureq::Error::Status(status, response))
                if !matches!(status, 429 | 502 | 503 | 504) =>
            {
                return Ok((status, response.into_string().unwrap_or_default()))
            }
            Err(ureq::Error::Status(status, _)) => format!("the server answered {status}"),
            // ureq's message already names the URL.
            Err(ureq::Error::Transport(e)) => e.to_string(),
        };
        if attempt == 4 {
            return Err(format!("{retry_reason} (gave up after {attempt} attempts)"));
        }
        std::thread::sleep(Duration::from_millis(500 << attempt));
    }
}

/// The events the server refused, as sent, so the generator can be fixed.
fn rejected_inputs(answer: &str, batch: &[Value]) -> String {
    let Ok(answer) = serde_json::from_str::<IngestResponse>(answer) else {
        return String::new();
    };
    let shown: Vec<String> = answer
        .rejected
        .iter()
        .take(3)
        .filter_map(|r| {
            batch
                .get(r.index)
                .map(|event| format!("\nrejected event {}:\n{event:#}", r.index))
        })
        .collect();
    shown.concat()
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(20_000) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_every_option() {
        let o = parse_args(args("--url http://127.0.0.1:8787/ --key k --events 10 --seed 7 --days 3 --batch=20 --end 2024-06-12T14:00:00Z --concurrency 2"))
            .unwrap()
            .unwrap();
        assert_eq!(o.url.as_deref(), Some("http://127.0.0.1:8787"));
        assert_eq!(
            o.config,
            DemoConfig {
                seed: 7,
                events: 10,
                end_ms: 1_718_200_800_000,
                days: 3
            }
        );
        assert_eq!((o.batch, o.concurrency, o.dry_run), (20, 2, false));
    }

    #[test]
    fn refuses_what_cannot_work() {
        assert!(parse_args(args("--dry-run --batch 1001")).is_err());
        assert!(parse_args(args("--url http://x"))
            .unwrap_err()
            .contains("--key"));
        assert!(parse_args(args("--url https://x --key k"))
            .unwrap_err()
            .contains("http"));
        assert!(parse_args(args("--dry-run --events many"))
            .unwrap_err()
            .contains("whole number"));
        assert!(parse_args(args("--dry-run --frobnicate"))
            .unwrap_err()
            .contains("unknown"));
        assert!(parse_args(args("--help")).unwrap().is_none());
    }
}
