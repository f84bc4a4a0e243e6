//! `evident-query-bench`: how fast finding things is at 100,000 and 1,000,000 events (SPEC section 8).
//!
//! For each size it starts its own `wrangler dev` on a local D1 state that holds that many demo events,
//! loaded through the ingest API the first time and kept (under the cargo target directory, keyed by
//! the migrations and the geo data) for later runs. Then it prints, for each query the dashboard
//! relies on, p50/p95 over HTTP and the same statements straight against the SQLite file (the floor);
//! the export rate both ways; the bytes each event takes, by what holds them; and, last, the growth
//! from the smallest size to the largest.
//!
//! Run it through `scripts/bench.sh --queries`, which builds the optimised worker and this binary.
//! Options: `--sizes 100000,1000000`, `--runs 40` (timed runs per query), `--dashboard` (then also the
//! dashboard in headless Chromium at the largest size, tests/bench/dashboard.mjs), `--dashboard-only`.

use std::path::PathBuf;
use std::time::Instant;

use evident_tests::bench::queries::{
    checkpoint, export_floor, export_http, load, open, pick, probes, storage, time_floor,
    time_http, Percentiles,
};
use evident_tests::demo::DemoConfig;
use evident_tests::server::{template_id, Server};

/// The newest demo event's time, fixed so that a kept state matches the probes: 2026-09-21T12:00Z.
const END_MS: i64 = 1_790_000_000_000;
const SEED: u64 = 42;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    /// Also run the dashboard benchmark (tests/bench/dashboard.mjs) at the largest size.
    dashboard: bool,
    /// Only the dashboard benchmark: skip the query timings.
    dashboard_only: bool,
}

fn options() -> Options {
    let mut options = Options {
        sizes: vec![100_000, 1_000_000],
        runs: 40,
        dashboard: false,
        dashboard_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dashboard" => {
                options.dashboard = true;
                continue;
            }
            "--dashboard-only" => {
                options.dashboard = true;
                options.dashboard_only = true;
                continue;
            }
            _ => {}
        }
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--sizes" => {
                options.sizes = value
                    .split(',')
                    .map(|s| s.trim().parse().expect("--sizes: whole numbers"))
                    .collect()
            }
            "--runs" => options.runs = value.parse().expect("--runs: a whole number"),
            other => panic!(
                "unknown option {other}; expected --sizes, --runs, --dashboard or --dashboard-only"
            ),
        }
    }
    options
}

/// Runs the dashboard benchmark in headless Chromium against this server.
fn dashboard(server: &Server) {
    println!("\ndashboard in headless Chromium, against this data");
    let status = std::process::Command::new("node")
        .arg("tests/bench/dashboard.mjs")
        .args(["--url", &server.base_url, "--key", &server.read_key])
        .args(["--end", &END_MS.to_string()])
        .current_dir(evident_tests::server::repo_root())
        .status()
        .expect("node is on PATH (run through scripts/bench.sh)");
    assert!(status.success(), "the dashboard benchmark failed");
}

/// What one size measured, for the growth lines.
struct Measured {
    size: usize,
    list_p95: f64,
}

fn main() {
    let options = options();
    let cache = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| evident_tests::server::repo_root().join("target"))
        .join("evident-bench-states");
    let mut measured = Vec::new();
    for &size in &options.sizes {
        let state = cache.join(format!("{}-seed{SEED}-{size}", template_id()));
        let marker = state.with_extension("loaded");
        let server = Server::start_in(&format!("query-bench-{size}"), &state);
        println!("\n== {size} demo events (state: {})", state.display());
        if marker.exists() {
            println!("reusing the loaded state");
        } else {
            let started = Instant::now();
            let config = DemoConfig {
                seed: SEED,
                events: size,
                end_ms: END_MS,
                days: 90,
            };
            let stored = load(&server, &config, 4);
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "loaded {stored} events through the ingest API in {seconds:.0} s ({:.0} events/s)",
                stored as f64 / seconds
            );
            std::fs::write(&marker, format!("{size}\n")).expect("marker");
        }
        if options.dashboard && Some(&size) == options.sizes.last() {
            dashboard(&server);
        }
        if options.dashboard_only {
            continue;
        }
        let file = server.database_file().expect("the D1 file");
        let picks = pick(&open(&file));
        let probes = probes(END_MS, &picks);

        println!(
            "\n{:<50} {:>9} {:>9} {:>9} {:>9} {:>8}",
            "query (ms)", "API p50", "API p95", "SQLite50", "SQLite95", "target"
        );
        let api: Vec<Percentiles> = probes
            .iter()
            .map(|p| time_http(&server, p, options.runs))
            .collect();
        let (export_rows, export_time) = export_http(&server, END_MS);
        drop(server);
        checkpoint(&file);

        // The floor runs on the same file once the server has stopped, so the two never share the CPU.
        let db = open(&file);
        for (probe, api) in probes.iter().zip(&api) {
            let floor = time_floor(&db, probe, options.runs);
            let target = probe
                .target_ms
                .map(|t| format!("<= {t:.0}"))
                .unwrap_or_default();
            println!(
                "{:<50} {:>9.1} {:>9.1} {:>9.2} {:>9.2} {:>8}",
                probe.name, api.p50, api.p95, floor.p50, floor.p95, target
            );
        }
        let (floor_rows, floor_time) = export_floor(&db, END_MS);
        assert_eq!(floor_rows, export_rows, "both exports hold the same events");
        println!(
            "\nexport, CSV, last 7 days ({export_rows} rows): {:.0} rows/s through the API (target >= 20,000), {:.0} rows/s straight from SQLite",
            export_rows as f64 / export_time.as_secs_f64(),
            floor_rows as f64 / floor_time.as_secs_f64()
        );

        let stored = storage(&db, &file);
        let per_event = |bytes: u64| bytes as f64 / stored.events.max(1) as f64;
        println!(
            "\nstorage: {:.0} bytes per event (target <= 1,536) over {} events",
            per_event(stored.total()),
            stored.events
        );
        for (part, bytes) in &stored.parts {
            println!("  {part:<18} {:>7.0} bytes per event", per_event(*bytes));
        }
        println!(
            "  (the whole file, geo ranges included: {:.1} MB)",
            stored.file_bytes as f64 / 1e6
        );
        measured.push(Measured {
            size,
            list_p95: api[0].p95,
        });
    }
    if let (Some(first), Some(last)) = (measured.first(), measured.last()) {
        if measured.len() > 1 {
            println!(
                "\ngrowth: list p95 {:.1} ms at {} events, {:.1} ms at {}: {:.2}x (target <= 2x)",
                first.list_p95,
                first.size,
                last.list_p95,
                last.size,
                last.list_p95 / first.list_p95
            );
        }
    }
}
