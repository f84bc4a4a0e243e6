//! The volume chart's arithmetic: the y scale with round ticks, the stacked bars' geometry, the time
//! labels of the x axis, tooltips, and the range a click or drag zooms to. Pure, so it is tested
//! natively; [`crate::components::volume_chart`] only draws what this computes.
//!
//! Coordinates are in a fixed 960 × 200 SVG view box that the page scales to its width. The chart is
//! written as one SVG markup string ([`svg`]) rather than a Leptos view per element: a view per bar,
//! label and line, with float attributes, cost about 20 KB of gzip wasm in generic view code and float
//! printing; this is a few hundred bytes of string pushing, with numbers printed as tenths by hand.

use crate::format::datetime_at_offset;
use crate::stats::{Bucket, Histogram};

/// View box width.
pub const WIDTH: f64 = 960.0;
/// View box height.
pub const HEIGHT: f64 = 200.0;
/// Left edge of the plot (room for the y labels).
pub const LEFT: f64 = 44.0;
/// Right edge of the plot.
pub const RIGHT: f64 = WIDTH - 8.0;
/// Top of the plot.
pub const TOP: f64 = 8.0;
/// Bottom of the plot (the x axis; labels go below).
pub const BOTTOM: f64 = HEIGHT - 24.0;

/// The stacked groups, bottom up, with their legend labels: every outcome the API knows.
pub const GROUPS: [(&str, &str); 6] = [
    ("success", "Success"),
    ("failure", "Failure"),
    ("denied", "Denied"),
    ("pending", "Pending"),
    ("in_progress", "In progress"),
    ("unknown", "Unknown"),
];

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The y axis: the value at the top of the plot and the values to label, from 0 up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The value drawn at [`TOP`]; at least 1.
    pub max: i64,
    /// Round values from 0 to `max`.
    pub ticks: Vec<i64>,
}

/// A y axis with about four round steps (1, 2 or 5 times a power of ten) covering `largest`.
pub fn y_axis(largest: i64) -> Axis {
    let largest = largest.max(1);
    let rough = (largest + 3) / 4;
    let mut magnitude = 1;
    while magnitude * 10 <= rough {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10 * magnitude);
    let max = (largest + step - 1) / step * step;
    Axis {
        max,
        ticks: (0..=max / step).map(|i| i * step).collect(),
    }
}

/// The y coordinate of a count.
pub fn y_of(count: i64, axis: &Axis) -> f64 {
    BOTTOM - (BOTTOM - TOP) * count as f64 / axis.max as f64
}

/// A rectangle in view box units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// One bucket's column: the full-height area that takes clicks, and its stacked parts, bottom up.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The whole column from [`TOP`] to [`BOTTOM`], the bucket's share of the width.
    pub column: Rect,
    /// One part per group with events, as (group, rectangle).
    pub parts: Vec<(&'static str, Rect)>,
}

/// The bars of a histogram: equal columns across the plot, each bar 80 % of its column (at least one
/// unit wide), stacked in [`GROUPS`] order. Events of groups the chart does not know are not drawn
/// (the API only answers outcomes, which are all known).
pub fn bars(histogram: &Histogram, axis: &Axis) -> Vec<Bar> {
    let n = histogram.buckets.len().max(1) as f64;
    let band = (RIGHT - LEFT) / n;
    let width = (band * 0.8).max(1.0).min(band);
    histogram
        .buckets
        .iter()
        .enumerate()
        .map(|(i, bucket)| {
            let column = Rect {
                x: LEFT + band * i as f64,
                y: TOP,
                w: band,
                h: BOTTOM - TOP,
            };
            let mut below = 0;
            let mut parts = Vec::new();
            for (group, _) in GROUPS {
                let count = bucket.count(group);
                if count > 0 {
                    let (top, bottom) = (y_of(below + count, axis), y_of(below, axis));
                    parts.push((
                        group,
                        Rect {
                            x: column.x + (band - width) / 2.0,
                            y: top,
                            w: width,
                            h: bottom - top,
                        },
                    ));
                    below += count;
                }
            }
            Bar { column, parts }
        })
        .collect()
}

/// The x axis labels as (x of the bucket's centre, text): at most `most`, evenly spaced by buckets.
pub fn x_ticks(
    histogram: &Histogram,
    offset_at: fn(i64) -> i32,
    most: usize,
) -> Vec<(f64, String)> {
    let n = histogram.buckets.len();
    if n == 0 {
        return Vec::new();
    }
    let every = n.div_ceil(most.max(1));
    let band = (RIGHT - LEFT) / n as f64;
    let span = histogram.interval_ms * n as i64;
    histogram
        .buckets
        .iter()
        .enumerate()
        .step_by(every)
        .map(|(i, b)| {
            let x = LEFT + band * (i as f64 + 0.5);
            (
                x,
                time_label(b.start_ms, histogram.interval_ms, span, offset_at),
            )
        })
        .collect()
}

/// A bucket start for an axis label: the day (`Jun 12`) for buckets of a day or more, the time
/// (`14:30`) when the whole range lies within two days, else both (`Jun 12 14:30`). `offset_at` gives
/// the zone's offset (minutes east of UTC) at an instant: each time is shown at its own, so labels
/// and tooltips across a change of the clocks stay right.
pub fn time_label(ms: i64, interval_ms: i64, span_ms: i64, offset_at: fn(i64) -> i32) -> String {
    let text = datetime_at_offset(ms, offset_at(ms));
    let month = text[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12);
    let day = text[8..10].trim_start_matches('0');
    let date = format!("{} {day}", MONTHS[month - 1]);
    let time = &text[11..16];
    if interval_ms >= DAY {
        date
    } else if span_ms <= 2 * DAY {
        time.to_owned()
    } else {
        format!("{date} {time}")
    }
}

/// A bar's tooltip: its local time span, total and the count of each group, e.g.
/// `2024-06-12 14:00 – 15:00: 5 events (success 3, failure 2)`.
pub fn bar_title(bucket: &Bucket, interval_ms: i64, offset_at: fn(i64) -> i32) -> String {
    let local = |ms: i64| datetime_at_offset(ms, offset_at(ms));
    let (start, end) = (local(bucket.start_ms), local(bucket.start_ms + interval_ms));
    // The end's date only when it differs from the start's.
    let end = if end[..10] == start[..10] {
        &end[11..16]
    } else {
        &end[..16]
    };
    let noun = if bucket.total == 1 { "event" } else { "events" };
    let mut title = format!(
        "{} – {end}: {} {noun}",
        &start[..16],
        thousands(bucket.total)
    );
    let parts: Vec<String> = GROUPS
        .iter()
        .filter(|(g, _)| bucket.count(g) > 0)
        .map(|(g, _)| format!("{} {}", g.replace('_', " "), thousands(bucket.count(g))))
        .collect();
    if !parts.is_empty() {
        title.push_str(&format!(" ({})", parts.join(", ")));
    }
    title
}

/// Where the drag selection over buckets `a` to `b` (either order) of `n` lies, as CSS percentages of
/// the chart's width: `(left, width)`. It is an HTML overlay rather than part of the SVG, so dragging
/// does not replace the bars under the pointer.
pub fn selection_css(n: usize, a: usize, b: usize) -> (String, String) {
    let band = (RIGHT - LEFT) / n.max(1) as f64;
    let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
    let left = (LEFT + band * lo) / WIDTH * 100.0;
    let width = band * (hi - lo + 1.0) / WIDTH * 100.0;
    (num(left), num(width))
}

/// The buckets chosen from the keyboard after `key`, from the chart's current choice (`(anchor, end)`,
/// as a drag gives): `←` and `→` move the end one bar, with Shift keeping the anchor so the choice
/// grows into a range, without it moving both; `Home` and `End` go to the first and last bar. The
/// first key lands on the newest bar (or the first for `Home`). `None` for any other key, or no bars.
pub fn key_choice(
    key: &str,
    shift: bool,
    n: usize,
    current: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let last = n.checked_sub(1)?;
    let end = match (key, current) {
        ("Home", _) => 0,
        ("End", _) | ("ArrowLeft" | "ArrowRight", None) => last,
        ("ArrowLeft", Some((_, b))) => b.min(last).saturating_sub(1),
        ("ArrowRight", Some((_, b))) => (b + 1).min(last),
        _ => return None,
    };
    let anchor = match current {
        Some((a, _)) if shift => a.min(last),
        _ => end,
    };
    Some((anchor, end))
}

/// What a choice of buckets `a` to `b` (either order) holds, for a screen reader: a bar's tooltip,
/// or for a range the same line over all its bars (span, total, each outcome's count).
pub fn choice_title(
    histogram: &Histogram,
    a: usize,
    b: usize,
    offset_at: fn(i64) -> i32,
) -> Option<String> {
    let (lo, hi) = (a.min(b), a.max(b));
    let chosen = histogram.buckets.get(lo..=hi)?;
    let mut sum = Bucket {
        start_ms: chosen[0].start_ms,
        ..Bucket::default()
    };
    for bucket in chosen {
        sum.total += bucket.total;
        for (group, n) in &bucket.counts {
            match sum.counts.iter_mut().find(|(g, _)| g == group) {
                Some((_, total)) => *total += n,
                None => sum.counts.push((group.clone(), *n)),
            }
        }
    }
    let span = histogram.interval_ms * chosen.len() as i64;
    Some(bar_title(&sum, span, offset_at))
}

/// The time range from bucket `a` to bucket `b` (either order), both included, as `(from, to)` epoch
/// ms with `to` exclusive, within the range the histogram counted (its end buckets reach past it);
/// `None` when an index is out of range.
pub fn zoom_range(histogram: &Histogram, a: usize, b: usize) -> Option<(i64, i64)> {
    let (lo, hi) = (a.min(b), a.max(b));
    let first = histogram.buckets.get(lo)?;
    let last = histogram.buckets.get(hi)?;
    let (from, to) = (first.start_ms, last.start_ms + histogram.interval_ms);
    Some(match histogram.range {
        Some((counted_from, counted_to)) => (from.max(counted_from), to.min(counted_to)),
        None => (from, to),
    })
}

/// The chart's SVG content (everything inside `<svg>`): grid lines and y labels, the x axis with its
/// labels, a `<g data-i="…">` per bucket with a tooltip, a full-height hit area and the stacked parts,
/// and a message when there are no events.
pub fn svg(histogram: &Histogram, offset_at: fn(i64) -> i32) -> String {
    let largest = histogram.buckets.iter().map(|b| b.total).max().unwrap_or(0);
    let axis = y_axis(largest);
    let mut out = String::new();
    for &t in &axis.ticks {
        let y = num(y_of(t, &axis));
        out += &format!(
            r#"<line class="ev-chart__grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/><text class="ev-chart__ylabel" x="{}" y="{}">{}</text>"#,
            num(LEFT),
            num(RIGHT),
            num(LEFT - 6.0),
            num(y_of(t, &axis) + 4.0),
            compact(t)
        );
    }
    out += &format!(
        r#"<line class="ev-chart__axis" x1="{}" x2="{}" y1="{b}" y2="{b}"/>"#,
        num(LEFT),
        num(RIGHT),
        b = num(BOTTOM)
    );
    for (x, text) in x_ticks(histogram, offset_at, 8) {
        let x = num(x);
        out += &format!(
            r#"<line class="ev-chart__tick" x1="{x}" x2="{x}" y1="{}" y2="{}"/><text class="ev-chart__xlabel" x="{x}" y="{}">{}</text>"#,
            num(BOTTOM),
            num(BOTTOM + 4.0),
            num(BOTTOM + 16.0),
            escape(&text)
        );
    }
    for (i, (bar, bucket)) in bars(histogram, &axis)
        .iter()
        .zip(&histogram.buckets)
        .enumerate()
    {
        out += &format!(
            r#"<g class="ev-chart__column" data-testid="chart-bar" data-i="{i}" data-count="{}" data-start="{}"><title>{}</title>{}"#,
            bucket.total,
            bucket.start_ms,
            escape(&bar_title(bucket, histogram.interval_ms, offset_at)),
            rect("ev-chart__hit", &bar.column)
        );
        for (group, r) in &bar.parts {
            out += &rect(&format!("ev-chart__bar ev-chart__bar--{group}"), r);
        }
        out += "</g>";
    }
    if largest == 0 {
        out += &format!(
            r#"<text class="ev-chart__empty" data-testid="chart-empty" x="{}" y="{}">No events in this range</text>"#,
            num(WIDTH / 2.0),
            num(HEIGHT / 2.0)
        );
    }
    out
}

/// What the chart shows before its first counts have come: a line in the middle of the plot.
pub const LOADING_SVG: &str = r#"<text class="ev-chart__empty" data-testid="chart-loading" x="480" y="100">Loading counts…</text>"#;

/// What the chart shows when the view's counts could not be loaded: the reason, where the loading
/// line was.
pub fn failed_svg(reason: &str) -> String {
    format!(
        r#"<text class="ev-chart__empty ev-chart__failed" data-testid="chart-failed" x="480" y="100">Counts could not be loaded: {}</text>"#,
        escape(reason)
    )
}

fn rect(class: &str, r: &Rect) -> String {
    format!(
        r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"/>"#,
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    )
}

/// A coordinate to one decimal, printed without the float formatter (which costs kilobytes of wasm).
pub fn num(x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.unsigned_abs();
    if t.is_multiple_of(10) {
        format!("{sign}{}", t / 10)
    } else {
        format!("{sign}{}.{}", t / 10, t % 10)
    }
}

/// Text for SVG markup: `&`, `<`, `>` and `"` escaped, so it stays text in content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A count with thousands separators: `12,345`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A y tick label that stays short: `950`, `1.5k`, `20k`, `1.2M`.
pub fn compact(n: i64) -> String {
    let (unit, suffix) = match n.abs() {
        0..=999 => return n.to_string(),
        1_000..=999_999 => (1_000, "k"),
        _ => (1_000_000, "M"),
    };
    let tenths = n * 10 / unit;
    if tenths % 10 == 0 || tenths.abs() >= 100 {
        format!("{}{suffix}", tenths / 10)
    } else {
        format!("{}.{}{suffix}", tenths / 10, (tenths % 10).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(start_ms: i64, counts: &[(&str, i64)]) -> Bucket {
        Bucket {
            start_ms,
            total: counts.iter().map(|(_, n)| n).sum(),
            counts: counts.iter().map(|(g, n)| (g.to_string(), *n)).collect(),
        }
    }

    #[test]
    fn the_y_axis_rounds_up_to_one_two_or_five_steps() {
        assert_eq!(
            y_axis(0),
            Axis {
                max: 1,
                ticks: vec![0, 1]
            }
        );
        assert_eq!(
            y_axis(3),
            Axis {
                max: 3,
                ticks: vec![0, 1, 2, 3]
            }
        );
        assert_eq!(y_axis(7).ticks, [0, 2, 4, 6, 8]);
        assert_eq!(y_axis(100).ticks, [0, 50, 100]);
        assert_eq!(y_axis(101).ticks, [0, 50, 100, 150]);
        assert_eq!(y_axis(1234).ticks, [0, 500, 1000, 1500]);
        assert_eq!(y_axis(38_000).max, 40_000);
        for n in [1, 9, 17, 99, 333, 4_999, 123_456] {
            let axis = y_axis(n);
            assert!(axis.max >= n && axis.ticks.len() <= 6, "{n}: {axis:?}");
        }
    }

    #[test]
    fn bars_stack_groups_in_order_and_share_the_width() {
        let h = Histogram {
            interval_ms: 60_000,
            buckets: vec![
                bucket(0, &[("failure", 2), ("success", 6)]),
                bucket(60_000, &[]),
            ],
            ..Histogram::default()
        };
        let axis = y_axis(8);
        let bars = bars(&h, &axis);
        assert_eq!(bars.len(), 2);
        let band = (RIGHT - LEFT) / 2.0;
        assert_eq!(bars[1].column.x, LEFT + band);
        assert!(bars[1].parts.is_empty());
        let parts = &bars[0].parts;
        assert_eq!(
            parts.iter().map(|p| p.0).collect::<Vec<_>>(),
            ["success", "failure"]
        );
        // Success sits on the axis, failure on top of it, and the stack reaches the top at the max.
        assert_eq!(parts[0].1.y + parts[0].1.h, BOTTOM);
        assert!((parts[1].1.y + parts[1].1.h - parts[0].1.y).abs() < 1e-9);
        assert!((parts[1].1.y - TOP).abs() < 1e-9);
        assert!((parts[0].1.h - 3.0 * parts[1].1.h).abs() < 1e-9);
        assert!((parts[0].1.w - band * 0.8).abs() < 1e-9);
    }

    #[test]
    fn labels_show_what_the_interval_needs() {
        let ms = 1_718_202_600_000; // 2024-06-12T14:30:00Z
        assert_eq!(time_label(ms, DAY, 30 * DAY, |_| 0), "Jun 12");
        assert_eq!(time_label(ms, 15 * MINUTE, DAY, |_| 0), "14:30");
        assert_eq!(
            time_label(ms, 60 * MINUTE, 7 * DAY, |_| 120),
            "Jun 12 16:30"
        );
        assert_eq!(
            time_label(ms, 60 * MINUTE, 7 * DAY, |_| -900),
            "Jun 11 23:30"
        );
        let h = Histogram {
            interval_ms: 60 * MINUTE,
            buckets: (0..24).map(|i| bucket(ms + i * 3_600_000, &[])).collect(),
            ..Histogram::default()
        };
        let ticks = x_ticks(&h, |_| 0, 8);
        assert_eq!(ticks.len(), 8);
        assert_eq!(ticks[1].1, "17:30");
        assert!(x_ticks(&Histogram::default(), |_| 0, 8).is_empty());
    }

    /// Across the night the clocks go forward in Berlin (01:00Z on 31 March 2024), each end of a
    /// bar is shown at its own offset.
    #[test]
    fn times_are_shown_at_their_own_offset() {
        let berlin: fn(i64) -> i32 = |ms| if ms >= 1_711_846_800_000 { 120 } else { 60 };
        let b = bucket(1_711_843_200_000, &[("success", 1)]); // 2024-03-31T00:00Z
        assert_eq!(
            bar_title(&b, 2 * 3_600_000, berlin),
            "2024-03-31 01:00 – 04:00: 1 event (success 1)"
        );
        assert_eq!(
            time_label(1_711_850_400_000, 60 * MINUTE, DAY, berlin),
            "04:00"
        );
    }

    #[test]
    fn tooltips_and_zoom_ranges_cover_whole_buckets() {
        let b = bucket(1_718_200_800_000, &[("failure", 2), ("success", 1_234)]);
        assert_eq!(
            bar_title(&b, 3_600_000, |_| 0),
            "2024-06-12 14:00 – 15:00: 1,236 events (success 1,234, failure 2)"
        );
        assert_eq!(
            bar_title(&bucket(0, &[("unknown", 1)]), DAY, |_| 0),
            "1970-01-01 00:00 – 1970-01-02 00:00: 1 event (unknown 1)"
        );
        let h = Histogram {
            interval_ms: 10,
            buckets: vec![bucket(100, &[]), bucket(110, &[]), bucket(120, &[])],
            ..Histogram::default()
        };
        assert_eq!(zoom_range(&h, 1, 1), Some((110, 120)));
        assert_eq!(zoom_range(&h, 2, 0), Some((100, 130)));
        assert_eq!(zoom_range(&h, 0, 3), None);
        // The end buckets reach past the range counted: a zoom stays inside it.
        let counted = Histogram {
            range: Some((104, 127)),
            ..h
        };
        assert_eq!(zoom_range(&counted, 0, 0), Some((104, 110)));
        assert_eq!(zoom_range(&counted, 0, 2), Some((104, 127)));
        assert_eq!(zoom_range(&counted, 1, 1), Some((110, 120)));
    }

    #[test]
    fn keys_choose_a_bar_then_grow_a_range_with_shift() {
        let k = |key, shift, current| key_choice(key, shift, 5, current);
        // The first arrow lands on the newest bar; Home and End on either end.
        assert_eq!(k("ArrowLeft", false, None), Some((4, 4)));
        assert_eq!(k("ArrowRight", true, None), Some((4, 4)));
        assert_eq!(k("Home", false, Some((3, 3))), Some((0, 0)));
        assert_eq!(k("End", false, None), Some((4, 4)));
        // Without Shift the choice moves; with it the anchor stays and the end moves, either way.
        assert_eq!(k("ArrowLeft", false, Some((3, 3))), Some((2, 2)));
        assert_eq!(k("ArrowLeft", true, Some((3, 3))), Some((3, 2)));
        assert_eq!(k("ArrowLeft", true, Some((3, 2))), Some((3, 1)));
        assert_eq!(k("ArrowRight", true, Some((3, 1))), Some((3, 2)));
        assert_eq!(k("Home", true, Some((3, 3))), Some((3, 0)));
        assert_eq!(k("ArrowLeft", false, Some((3, 1))), Some((0, 0)));
        // The ends hold.
        assert_eq!(k("ArrowLeft", false, Some((0, 0))), Some((0, 0)));
        assert_eq!(k("ArrowRight", true, Some((2, 4))), Some((2, 4)));
        // A choice from a chart with more bars is brought inside this one.
        assert_eq!(k("ArrowLeft", true, Some((9, 9))), Some((4, 3)));
        // Other keys, and a chart without bars, choose nothing.
        assert_eq!(k("Enter", false, Some((1, 1))), None);
        assert_eq!(key_choice("ArrowLeft", false, 0, None), None);
    }

    #[test]
    fn a_chosen_range_is_told_as_one_span_with_its_sums() {
        let h = Histogram {
            interval_ms: 3_600_000,
            buckets: vec![
                bucket(1_718_200_800_000, &[("success", 3)]),
                bucket(1_718_204_400_000, &[("failure", 2), ("success", 1)]),
                bucket(1_718_208_000_000, &[("denied", 1)]),
            ],
            ..Histogram::default()
        };
        assert_eq!(
            choice_title(&h, 1, 1, |_| 0).unwrap(),
            "2024-06-12 15:00 – 16:00: 3 events (success 1, failure 2)"
        );
        assert_eq!(
            choice_title(&h, 2, 0, |_| 0).unwrap(),
            "2024-06-12 14:00 – 17:00: 7 events (success 4, failure 2, denied 1)"
        );
        assert_eq!(choice_title(&h, 0, 3, |_| 0), None);
    }

    #[test]
    fn a_failure_is_told_in_the_middle_of_the_plot_as_text() {
        let middle = format!(r#"x="{}" y="{}""#, num(WIDTH / 2.0), num(HEIGHT / 2.0));
        let failed = failed_svg("D1 <busy> & slow");
        assert!(failed.contains(&middle), "{failed}");
        assert!(
            failed.contains("Counts could not be loaded: D1 &lt;busy&gt; &amp; slow</text>"),
            "{failed}"
        );
    }

    #[test]
    fn the_loading_line_sits_where_the_empty_message_does() {
        let middle = format!(r#"x="{}" y="{}""#, num(WIDTH / 2.0), num(HEIGHT / 2.0));
        assert!(LOADING_SVG.contains(&middle), "{LOADING_SVG}");
        let empty = svg(&Histogram::default(), |_| 0);
        assert!(
            empty.contains(&middle) && empty.contains("chart-empty"),
            "{empty}"
        );
    }

    #[test]
    fn the_svg_has_a_group_per_bucket_and_an_empty_message() {
        let h = Histogram {
            interval_ms: 3_600_000,
            buckets: vec![
                bucket(0, &[("failure", 2), ("success", 6)]),
                bucket(3_600_000, &[]),
            ],
            ..Histogram::default()
        };
        let markup = svg(&h, |_| 0);
        assert_eq!(markup.matches(r#"data-testid="chart-bar""#).count(), 2);
        assert!(markup.contains(r#"data-i="1" data-count="0" data-start="3600000""#));
        assert!(markup.contains("ev-chart__bar--failure"));
        assert!(markup
            .contains("<title>1970-01-01 00:00 – 01:00: 8 events (success 6, failure 2)</title>"));
        assert!(!markup.contains("chart-empty"));
        assert_eq!(selection_css(2, 1, 0), ("4.6".into(), "94.6".into()));
        assert_eq!(selection_css(2, 1, 1), ("51.9".into(), "47.3".into()));
        let empty = Histogram {
            interval_ms: 1,
            buckets: vec![bucket(0, &[])],
            ..Histogram::default()
        };
        assert!(svg(&empty, |_| 0).contains("No events in this range"));
    }

    #[test]
    fn markup_numbers_and_text_are_safe_and_short() {
        assert_eq!(num(44.0), "44");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.06), "-0.1");
        assert_eq!(num(0.04), "0");
        assert_eq!(
            escape(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_read_short() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(compact(950), "950");
        assert_eq!(compact(1_500), "1.5k");
        assert_eq!(compact(2_000), "2k");
        assert_eq!(compact(20_000), "20k");
        assert_eq!(compact(1_250_000), "1.2M");
    }
}
