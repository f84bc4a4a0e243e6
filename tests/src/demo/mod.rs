//! Demo data: a deterministic, streaming generator of realistic audit events from the five systems in the
//! seed documents (Livebook, Airbyte, Langfuse, a generic "Activity Logs" data platform and Lowcoder),
//! used by the `evident-demo` CLI to fill a dashboard and by benchmarks to load a database.
//!
//! Everything is derived from one seed through a single ChaCha8 stream, so a given [`DemoConfig`] always
//! yields the same events, and re-sending them is recognisable by their `demo-<run>-<index>` idempotency
//! keys. Events are produced one small scene at a time (a sign-in and a few app views, a pipeline run and
//! its retry, a burst of notebook evaluations), so a million events need no more memory than one scene.

mod activity;
mod airbyte;
mod langfuse;
mod livebook;
mod lowcoder;
mod people;
mod scene;
mod timeline;

use std::collections::VecDeque;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use people::Cast;
use scene::{Draft, Scene};
use timeline::Timeline;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Same seed, same events.
    pub seed: u64,
    /// Exactly how many events to yield.
    pub events: usize,
    /// The latest possible `occurred_at`, in milliseconds since the Unix epoch.
    pub end_ms: i64,
    /// How many days before `end_ms` the events spread over.
    pub days: u32,
}

impl DemoConfig {
    /// The earliest possible `occurred_at`.
    pub fn start_ms(&self) -> i64 {
        self.end_ms - i64::from(self.days) * timeline::DAY_MS
    }
}

/// The systems the demo imitates, one per seed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// Livebook code evaluations (seed 000).
    Livebook,
    /// Airbyte permission changes (seed 001).
    Airbyte,
    /// Langfuse resource changes (seed 002).
    Langfuse,
    /// A generic data platform's activity log (seed 003).
    Activity,
    /// Lowcoder app, data and admin operations (seed 004).
    Lowcoder,
}

impl System {
    /// Every system, in seed order.
    pub const ALL: [System; 5] = [
        System::Livebook,
        System::Airbyte,
        System::Langfuse,
        System::Activity,
        System::Lowcoder,
    ];

    /// The `source.name` its events carry.
    pub fn name(self) -> &'static str {
        match self {
            System::Livebook => "livebook",
            System::Airbyte => "airbyte",
            System::Langfuse => "langfuse",
            System::Activity => "activity",
            System::Lowcoder => "lowcoder",
        }
    }

    /// The `source.version` its events carry.
    pub fn version(self) -> &'static str {
        match self {
            System::Livebook => "0.16.4",
            System::Airbyte => "1.5.1",
            System::Langfuse => "3.63.0",
            System::Activity => "2024.6.2",
            System::Lowcoder => "2.6.4",
        }
    }
}

/// Starts generating the events `config` describes.
pub fn generate(config: &DemoConfig) -> DemoEvents {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let timeline = Timeline::new(config, &mut rng);
    DemoEvents {
        seed: config.seed,
        run: run_fingerprint(config),
        total: config.events,
        emitted: 0,
        rng,
        cast: Cast::new(),
        timeline,
        pending: VecDeque::new(),
    }
}

/// FNV-1a over every field of the configuration, folded to 32 bits.
fn run_fingerprint(config: &DemoConfig) -> u32 {
    let fields = [
        config.seed,
        config.events as u64,
        u64::from(config.days),
        config.end_ms as u64,
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fields.iter().flat_map(|f| f.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash ^ (hash >> 32)) as u32
}

/// The stream of demo events, oldest first.
pub struct DemoEvents {
    seed: u64,
    // Identifies the whole configuration in idempotency keys: the same index under another event count,
    // time span or end is another event, so it must not look like a retry of this one.
    run: u32,
    total: usize,
    emitted: usize,
    rng: ChaCha8Rng,
    cast: Cast,
    timeline: Timeline,
    // The rest of the current scene: its events take the next slots of the timeline.
    pending: VecDeque<Draft>,
}

impl DemoEvents {
    fn play_scene(&mut self, at_ms: i64) {
        let mut scene = Scene::new(
            &mut self.rng,
            &self.cast,
            self.seed,
            at_ms,
            &mut self.pending,
        );
        // Shares of scenes, not of events: Lowcoder sessions and Livebook bursts yield several events each.
        match scene.weighted(&[
            (System::Lowcoder, 22),
            (System::Activity, 36),
            (System::Langfuse, 25),
            (System::Livebook, 9),
            (System::Airbyte, 8),
        ]) {
            System::Livebook => livebook::scene(&mut scene),
            System::Airbyte => airbyte::scene(&mut scene),
            System::Langfuse => langfuse::scene(&mut scene),
            System::Activity => activity::scene(&mut scene),
            System::Lowcoder => lowcoder::scene(&mut scene),
        }
    }
}

impl Iterator for DemoEvents {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.emitted == self.total {
            return None;
        }
        let at_ms = self.timeline.next_ms(&mut self.rng);
        while self.pending.is_empty() {
            self.play_scene(at_ms);
        }
        let draft = self.pending.pop_front()?;
        let key = format!("demo-{:08x}-{}", self.run, self.emitted);
        self.emitted += 1;
        Some(draft.into_json(at_ms, key))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.total - self.emitted;
        (left, Some(left))
    }
}

impl ExactSizeIterator for DemoEvents {}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use evident_shared::timestamp::parse_rfc3339;
    use evident_shared::validate::{validate_event, Stamp};

    use super::*;

    const END_MS: i64 = 1_718_200_800_000; // 2024-06-12T14:00:00Z

    fn config(seed: u64, events: usize) -> DemoConfig {
        DemoConfig {
            seed,
            events,
            end_ms: END_MS,
            days: 90,
        }
    }

    fn source_name(event: &Value) -> &str {
        event["source"]["name"].as_str().unwrap_or_default()
    }

    #[test]
    fn the_same_seed_gives_the_same_events_and_another_seed_others() {
        let first: Vec<Value> = generate(&config(42, 500)).collect();
        let again: Vec<Value> = generate(&config(42, 500)).collect();
        let other: Vec<Value> = generate(&config(43, 500)).collect();
        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn yields_exactly_the_requested_count() {
        for events in [0, 1, 7, 1_234] {
            let iter = generate(&config(1, events));
            assert_eq!(iter.len(), events);
            assert_eq!(iter.count(), events);
        }
    }

    #[test]
    fn every_event_passes_ingest_validation() {
        for seed in [7, 8, 9] {
            for (i, event) in generate(&config(seed, 3_000)).enumerate() {
                let id = format!("demo-{i}");
                let stamp = Stamp {
                    tenant: "demo",
                    id,
                    received_at: END_MS,
                    format: "native",
                };
                if let Err(errors) = validate_event(&event, stamp) {
                    panic!("seed {seed}, event {i} is invalid: {errors:?}\n{event:#}");
                }
            }
        }
    }

    #[test]
    fn every_seed_system_shows_up_early() {
        let seen: HashSet<String> = generate(&config(42, 1_000))
            .map(|e| source_name(&e).to_string())
            .collect();
        for system in System::ALL {
            assert!(
                seen.contains(system.name()),
                "no {} event in the first 1000: {seen:?}",
                system.name()
            );
        }
    }

    #[test]
    fn many_people_act() {
        let actors: HashSet<String> = generate(&config(42, 2_000))
            .map(|e| e["actor"]["id"].as_str().unwrap().to_string())
            .collect();
        assert!(actors.len() >= 30, "only {} distinct actors", actors.len());
    }

    #[test]
    fn occurred_at_stays_within_the_window_and_in_order() {
        let config = config(9, 5_000);
        let mut last = config.start_ms();
        for event in generate(&config) {
            let at = parse_rfc3339(event["occurred_at"].as_str().unwrap()).unwrap();
            assert!(
                at >= last && at <= config.end_ms,
                "{at} outside [{last}, {}]",
                config.end_ms
            );
            last = at;
        }
    }

    #[test]
    fn idempotency_keys_name_the_run_and_position() {
        let keys = |c: &DemoConfig| -> Vec<String> {
            generate(c)
                .map(|e| e["idempotency_key"].as_str().unwrap().to_string())
                .collect()
        };
        let a = keys(&config(5, 3));
        assert_eq!(a, keys(&config(5, 3)), "stable across runs");
        assert!(
            a[0].starts_with("demo-") && a[0].ends_with("-0") && a[2].ends_with("-2"),
            "{a:?}"
        );
        assert_ne!(
            a[0],
            keys(&config(5, 4))[0],
            "another event count is another run"
        );
        assert_ne!(a[0], keys(&config(6, 3))[0], "another seed is another run");
    }

    #[test]
    fn outcomes_and_severities_are_mixed_but_mostly_routine() {
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        let mut severities: BTreeMap<String, usize> = BTreeMap::new();
        for event in generate(&config(11, 5_000)) {
            *outcomes
                .entry(event["outcome"].as_str().unwrap().into())
                .or_default() += 1;
            *severities
                .entry(event["severity"].as_str().unwrap().into())
                .or_default() += 1;
        }
        assert!(outcomes["success"] > 4_000, "{outcomes:?}");
        assert!(
            outcomes["failure"] > 50 && outcomes["denied"] > 20,
            "{outcomes:?}"
        );
        assert!(outcomes.contains_key("pending"), "{outcomes:?}");
        for severity in ["info", "low", "medium", "high", "critical"] {
            assert!(
                severities.contains_key(severity),
                "no {severity}: {severities:?}"
            );
        }
    }
}
