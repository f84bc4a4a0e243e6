//! When demo events happen: the window of `days` days before `end_ms` is cut into hours, each hour gets a
//! share of the events proportional to how busy a real team would be then (working hours across a Berlin
//! and a New York office, quiet nights, slow weekends, some days busier than others), and events are
//! handed out in time order. Only the per-hour counts are kept, so the cost does not grow with the
//! number of events.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::scene::splitmix64;
use super::DemoConfig;

/// One hour, in milliseconds.
pub(crate) const HOUR_MS: i64 = 3_600_000;
/// One day, in milliseconds.
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;

// Relative activity by UTC hour: Berlin starts at 07:00 UTC, New York ends around 22:00 UTC.
const BY_UTC_HOUR: [f64; 24] = [
    0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.40, 0.80, 1.00, 1.00, 0.95, //
    0.75, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 0.55, 0.45, 0.30, 0.18, 0.09,
];
const WEEKEND: f64 = 0.12;

/// Hands out `events` instants in non-decreasing order, all within `[end - days, end]`.
pub(crate) struct Timeline {
    start_ms: i64,
    end_ms: i64,
    bucket_ms: i64,
    counts: Vec<u32>,
    bucket: usize,
    taken: u32,
}

impl Timeline {
    pub fn new(config: &DemoConfig, rng: &mut ChaCha8Rng) -> Self {
        let start_ms = config.start_ms();
        let buckets = (config.days as usize * 24).max(1);
        let bucket_ms = if config.days == 0 { 0 } else { HOUR_MS };
        // Per-day busyness, so the daily chart is not a flat comb.
        let day_salt: u64 = rng.gen();
        let weights: Vec<f64> = (0..buckets)
            .map(|b| busyness(start_ms + b as i64 * bucket_ms + bucket_ms / 2, day_salt))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut counts = Vec::with_capacity(buckets);
        let (mut cumulative, mut handed_out) = (0.0, 0usize);
        for (b, weight) in weights.iter().enumerate() {
            cumulative += weight;
            // Rounding the running total (not each share) makes the counts add up to exactly `events`.
            let due = if b + 1 == buckets {
                config.events
            } else {
                ((cumulative / total) * config.events as f64).round() as usize
            };
            let due = due.clamp(handed_out, config.events);
            counts.push((due - handed_out) as u32);
            handed_out = due;
        }
        Timeline {
            start_ms,
            end_ms: config.end_ms,
            bucket_ms,
            counts,
            bucket: 0,
            taken: 0,
        }
    }

    /// The next instant; past the planned count it keeps answering `end_ms`.
    pub fn next_ms(&mut self, rng: &mut ChaCha8Rng) -> i64 {
        while self.bucket < self.counts.len() && self.taken >= self.counts[self.bucket] {
            self.bucket += 1;
            self.taken = 0;
        }
        let Some(&count) = self.counts.get(self.bucket) else {
            return self.end_ms;
        };
        // Slot `taken` of `count` equal slots, at a random point inside it: random yet ordered.
        let within: f64 = rng.gen();
        let fraction = (f64::from(self.taken) + within) / f64::from(count);
        self.taken += 1;
        let at = self.start_ms
            + self.bucket as i64 * self.bucket_ms
            + (fraction * self.bucket_ms as f64) as i64;
        at.min(self.end_ms)
    }
}

fn busyness(at_ms: i64, day_salt: u64) -> f64 {
    let day = at_ms.div_euclid(DAY_MS);
    let hour = (at_ms.rem_euclid(DAY_MS) / HOUR_MS) as usize;
    // 1970-01-01 was a Thursday: with Monday as 0, day 0 is weekday 3.
    let weekday = (day + 3).rem_euclid(7);
    let weekly = if weekday >= 5 { WEEKEND } else { 1.0 };
    let daily = 0.75 + (splitmix64(day as u64 ^ day_salt) % 1000) as f64 / 2000.0;
    BY_UTC_HOUR[hour] * weekly * daily
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn hands_out_exactly_the_planned_instants_in_order() {
        let config = DemoConfig {
            seed: 1,
            events: 10_007,
            end_ms: 1_718_000_000_000,
            days: 30,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut timeline = Timeline::new(&config, &mut rng);
        assert_eq!(
            timeline.counts.iter().map(|c| *c as usize).sum::<usize>(),
            10_007
        );
        let mut last = config.start_ms();
        for _ in 0..10_007 {
            let at = timeline.next_ms(&mut rng);
            assert!(at >= last && at <= config.end_ms);
            last = at;
        }
    }

    #[test]
    fn weekdays_are_busier_than_weekends() {
        // 2024-06-12 was a Wednesday, 2024-06-15 a Saturday; both at 14:00 UTC.
        let wednesday = busyness(1_718_200_800_000, 7);
        let saturday = busyness(1_718_460_000_000, 7);
        assert!(wednesday > 3.0 * saturday, "{wednesday} vs {saturday}");
    }

    #[test]
    fn zero_days_puts_everything_at_the_end() {
        let config = DemoConfig {
            seed: 1,
            events: 3,
            end_ms: 5_000,
            days: 0,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut timeline = Timeline::new(&config, &mut rng);
        assert!((0..3).all(|_| timeline.next_ms(&mut rng) == 5_000));
    }
}
