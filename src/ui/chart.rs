//! The coverage chart: the measured fraction of live nodes holding the update,
//! per round (or interval), with the mean-field theory curve dashed beside it.

use wasm_bindgen::JsValue;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::graph::{context, css, PALETTE};
use crate::metrics::Series;
use crate::ui::model::PastRun;

/// Variant A of a comparison, drawn beside the main run (B) in its own colour.
pub struct Other<'a> {
    pub series: &'a Series,
    pub theory: &'a [f64],
}

/// Colour of variant A.
pub const OTHER_COLOUR: (&str, &str) = ("#7c3aed", "#c4b5fd");

#[allow(clippy::too_many_arguments)]
pub fn draw_coverage(
    canvas: &HtmlCanvasElement,
    dpr: f64,
    series: &Series,
    theory: &[f64],
    past: &[PastRun],
    marks: &[(f64, String)],
    other: Option<&Other<'_>>,
    dark: bool,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    // x range: rounds (intervals), covering the measured run, the theory's climb and earlier runs.
    // x is the round (interval): a live change of the interval does not bend the curves.
    let measured_end = series.points.last().map_or(0.0, |p| f64::from(p.round));
    // Where the theory levels off: at 100%, or at the residue a stop rule leaves.
    let plateau = theory.last().copied().unwrap_or(1.0);
    let theory_end = theory.iter().position(|&x| (plateau - x).abs() < 1e-3).map_or(theory.len(), |i| i + 2) as f64;
    let past_end = past.iter().filter_map(|r| r.points.last().map(|p| p.0)).fold(0.0, f64::max);
    let other_end = other.map_or(0.0, |o| o.series.points.last().map_or(0.0, |p| f64::from(p.round)));
    let x_max = measured_end.max(theory_end).max(past_end).max(other_end).max(4.0).ceil();
    let plot = Plot::draw(
        &ctx,
        w,
        h,
        dpr,
        44.0,
        x_max,
        1.0,
        &|v| format!("{}%", (v * 100.0).round()),
        "round (interval)",
        dark,
    );
    let (fg, left, top, pw) = (plot.fg, plot.left, plot.top, plot.pw);
    let (sx, sy) = (|r: f64| plot.sx(r), |c: f64| plot.sy(c));
    // Theory: dashed.
    let dash = js_sys::Array::of2(&JsValue::from(6.0 * dpr), &JsValue::from(4.0 * dpr));
    let _ = ctx.set_line_dash(&dash);
    ctx.set_stroke_style_str(if dark { "#93c5fd" } else { "#2563eb" });
    ctx.set_line_width(1.5 * dpr);
    stroke_line(&ctx, theory.iter().enumerate().take(x_max as usize + 1).map(|(i, &x)| (sx(i as f64), sy(x))));
    let _ = ctx.set_line_dash(&js_sys::Array::new());
    // Earlier runs, faint, labelled at their end.
    ctx.set_line_width(1.5 * dpr);
    ctx.set_text_align("left");
    for (i, run) in past.iter().enumerate() {
        let alpha = 0.55 - 0.12 * i as f64;
        ctx.set_global_alpha(alpha);
        ctx.set_stroke_style_str(if dark { "#cbd5e1" } else { "#475569" });
        stroke_line(&ctx, run.points.iter().map(|&(r, c)| (sx(r), sy(c))));
        if let Some(&(r, c)) = run.points.last() {
            ctx.set_fill_style_str(fg);
            let _ = ctx.fill_text(
                &run.label,
                (sx(r) + 4.0 * dpr).min(left + pw - 60.0 * dpr),
                sy(c) + (12.0 + 11.0 * i as f64) * dpr,
            );
        }
    }
    ctx.set_global_alpha(1.0);
    // Variant A: its theory dotted, its measurement solid, in its own colour.
    if let Some(o) = other {
        let colour = if dark { OTHER_COLOUR.1 } else { OTHER_COLOUR.0 };
        ctx.set_stroke_style_str(colour);
        let dots = js_sys::Array::of2(&JsValue::from(2.0 * dpr), &JsValue::from(3.0 * dpr));
        let _ = ctx.set_line_dash(&dots);
        ctx.set_line_width(1.5 * dpr);
        stroke_line(&ctx, o.theory.iter().enumerate().take(x_max as usize + 1).map(|(i, &x)| (sx(i as f64), sy(x))));
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        ctx.set_line_width(2.0 * dpr);
        stroke_line(&ctx, o.series.points.iter().map(|p| (sx(f64::from(p.round)), sy(p.coverage))));
    }
    // Measured.
    ctx.set_stroke_style_str(&css(if dark { PALETTE[1].1 } else { PALETTE[1].0 }));
    ctx.set_line_width(2.0 * dpr);
    stroke_line(&ctx, series.points.iter().map(|p| (sx(f64::from(p.round)), sy(p.coverage))));
    // Live changes: a line at the moment, labelled with the new value in the
    // band above the plot (so a label never covers a curve), on the first of
    // two rows where it does not run into a label already placed.
    ctx.set_line_width(1.0 * dpr);
    ctx.set_stroke_style_str(fg);
    ctx.set_fill_style_str(fg);
    let mut row_ends = [f64::NEG_INFINITY; 2];
    let dash = js_sys::Array::of2(&JsValue::from(2.0 * dpr), &JsValue::from(2.0 * dpr));
    for (round, label) in marks {
        let x = sx(*round);
        if x < left - 0.5 || x > left + pw + 0.5 {
            continue; // past the rounds shown (after scrubbing back)
        }
        let _ = ctx.set_line_dash(&dash);
        ctx.begin_path();
        ctx.move_to(x, top);
        ctx.line_to(x, top + plot.ph);
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        let width = ctx.measure_text(label).map_or(60.0 * dpr, |m| m.width());
        // Right of the line where it fits, else left of it; never past the plot's edges.
        let start = if x + 4.0 * dpr + width <= left + pw { x + 4.0 * dpr } else { x - 4.0 * dpr - width };
        let start = start.min(left + pw - width).max(left);
        let gap = 6.0 * dpr;
        let row =
            (0..2)
                .find(|&r| start > row_ends[r] + gap)
                .unwrap_or_else(|| if row_ends[0] <= row_ends[1] { 0 } else { 1 });
        row_ends[row] = start + width;
        ctx.set_text_align("left");
        let _ = ctx.fill_text(label, start, top - (5.0 + 12.0 * row as f64) * dpr);
    }
}

/// Stroke a line through `points` (canvas pixels).
/// A line through canvas points, drawn with what the canvas has room for: the
/// points that fall in one pixel column become their first, lowest, highest
/// and last, so an hour-long run's line costs the plot's width in segments,
/// not its rounds, and looks the same.
fn stroke_line(ctx: &web_sys::CanvasRenderingContext2d, points: impl IntoIterator<Item = (f64, f64)>) {
    ctx.begin_path();
    let mut started = false;
    for c in super::layout::per_column(points) {
        for (x, y) in c.outline() {
            if started {
                ctx.line_to(x, y);
            } else {
                ctx.move_to(x, y);
                started = true;
            }
        }
    }
    ctx.stroke();
}

/// Room above a chart's plot: the band for legends and the coverage chart's
/// labels of live changes, so that no text covers data.
const TOP_PX: f64 = 30.0;

/// A chart's background, grid and axes; maps rounds and values to canvas pixels.
struct Plot {
    left: f64,
    top: f64,
    pw: f64,
    ph: f64,
    x_max: f64,
    y_top: f64,
    fg: &'static str,
}

impl Plot {
    /// Clear the canvas and draw four horizontal grid lines labelled by `y_label`,
    /// and round numbers along the x axis. `left_px` is the room for y labels.
    #[allow(clippy::too_many_arguments)]
    fn draw(
        ctx: &web_sys::CanvasRenderingContext2d,
        w: f64,
        h: f64,
        dpr: f64,
        left_px: f64,
        x_max: f64,
        y_top: f64,
        y_label: &dyn Fn(f64) -> String,
        x_label: &str,
        dark: bool,
    ) -> Plot {
        let (fg, grid, bg) = if dark { ("#e2e8f0", "#334155", "#0f172a") } else { ("#1e293b", "#e2e8f0", "#ffffff") };
        ctx.set_fill_style_str(bg);
        ctx.fill_rect(0.0, 0.0, w, h);
        let (left, right, top, bottom) = (left_px * dpr, 12.0 * dpr, TOP_PX * dpr, 30.0 * dpr);
        let plot =
            Plot { left, top, pw: (w - left - right).max(1.0), ph: (h - top - bottom).max(1.0), x_max, y_top, fg };
        ctx.set_font(&format!("{}px system-ui, sans-serif", (11.0 * dpr).round()));
        ctx.set_line_width(1.0);
        ctx.set_stroke_style_str(grid);
        ctx.set_fill_style_str(fg);
        ctx.set_text_align("right");
        for i in 0..=4 {
            let v = y_top * f64::from(i) / 4.0;
            ctx.begin_path();
            ctx.move_to(left, plot.sy(v));
            ctx.line_to(left + plot.pw, plot.sy(v));
            ctx.stroke();
            let _ = ctx.fill_text(&y_label(v), left - 6.0 * dpr, plot.sy(v) + 4.0 * dpr);
        }
        ctx.set_text_align("center");
        let step = nice_step(x_max / 6.0);
        let mut r = 0.0;
        while r <= x_max + 1e-9 {
            let _ = ctx.fill_text(&format!("{r}"), plot.sx(r), top + plot.ph + 14.0 * dpr);
            r += step;
        }
        let _ = ctx.fill_text(x_label, left + plot.pw / 2.0, h - 3.0 * dpr);
        plot
    }

    fn sx(&self, r: f64) -> f64 {
        self.left + self.pw * r / self.x_max
    }

    fn sy(&self, v: f64) -> f64 {
        self.top + self.ph * (1.0 - v / self.y_top)
    }
}

fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Messages (or bytes) sent per round (interval), as bars, with the totals per node in the legend.
pub fn draw_messages(canvas: &HtmlCanvasElement, dpr: f64, series: &Series, nodes: u32, bytes: bool, dark: bool) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    let pts = &series.points;
    let pick = |p: &crate::metrics::SeriesPoint| if bytes { p.bytes } else { p.msgs };
    // Per round: a long run keeps every stride-th sample, so a gap may span several.
    let deltas: Vec<(f64, f64)> = pts
        .windows(2)
        .map(|p| {
            let rounds = f64::from(p[1].round.saturating_sub(p[0].round).max(1));
            (f64::from(p[1].round), (pick(&p[1]) - pick(&p[0])) as f64 / rounds)
        })
        .collect();
    // One round of room after the last bar, so it is not cut at the edge.
    let x_max = (deltas.last().map_or(4.0, |d| d.0) + 1.0).max(4.0).ceil();
    let y_max = deltas.iter().map(|d| d.1).fold(1.0, f64::max);
    let y_top = nice_step(y_max / 4.0) * 4.0;
    let label = |v: f64| {
        if v >= 1e6 {
            format!("{:.1}M", v / 1e6)
        } else if v >= 1e4 {
            format!("{:.0}k", v / 1e3)
        } else {
            format!("{v}")
        }
    };
    let plot = Plot::draw(&ctx, w, h, dpr, 56.0, x_max, y_top, &label, "round (interval)", dark);
    let (fg, left, top, pw) = (plot.fg, plot.left, plot.top, plot.pw);
    let (sx, sy) = (|r: f64| plot.sx(r), |v: f64| plot.sy(v));
    ctx.set_fill_style_str(match (bytes, dark) {
        (false, true) => "#93c5fd",
        (false, false) => "#2563eb",
        (true, true) => "#5eead4",
        (true, false) => "#0d9488",
    });
    // One bar per pixel column at most: the column's tallest round.
    let bar = (pw / x_max * 0.7).max(1.0);
    for c in super::layout::per_column(deltas.iter().map(|&(r, d)| (sx(r), d))) {
        ctx.fill_rect(c.first.0 - bar / 2.0, sy(c.high), bar, (sy(0.0) - sy(c.high)).max(0.0));
    }
    ctx.set_text_align("left");
    ctx.set_fill_style_str(fg);
    let (msgs, total_bytes) = pts.last().map_or((0, 0), |p| (p.msgs, p.bytes));
    let (per_node, bytes_per_node) = (msgs as f64 / f64::from(nodes), total_bytes as f64 / f64::from(nodes));
    let (long, short) = if bytes {
        (
            format!(
                "bytes per round (headers included); total {} ({bytes_per_node:.0} per node)",
                label(total_bytes as f64)
            ),
            format!("{bytes_per_node:.0} B per node"),
        )
    } else {
        (
            format!("messages per round; total {msgs} ({per_node:.1} per node, {bytes_per_node:.0} bytes per node)"),
            format!("{per_node:.1} msgs, {bytes_per_node:.0} B per node"),
        )
    };
    // Narrow screens get the short form, so the legend is never cut.
    let fits = ctx.measure_text(&long).map_or(true, |m| m.width() <= pw - 16.0 * dpr);
    let _ = ctx.fill_text(if fits { &long } else { &short }, left + 8.0 * dpr, top - 9.0 * dpr);
}

/// The send queue (an uplink): the mean time a message waited in its sender's
/// queue, per round, as bars; rounds that dropped messages at a full queue
/// marked red along the top; and the burst estimate (f - 1)/2 · b/C for the
/// fanout, the uplink and the run's mean message size, dashed, while the load
/// is below 1 (`theory::uplink_wait`).
/// `estimate`: the load ρ and, below 1, the wait (ms).
pub fn draw_queue(
    canvas: &HtmlCanvasElement,
    dpr: f64,
    series: &Series,
    estimate: Option<(f64, Option<f64>)>,
    dark: bool,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    let pts = &series.points;
    // Per round: (round, mean wait in ms of the messages sent in it, messages dropped in it).
    let rounds: Vec<(f64, f64, u64)> = pts
        .windows(2)
        .map(|p| {
            let sent = p[1].queued.saturating_sub(p[0].queued);
            let waited = p[1].queue_wait_us.saturating_sub(p[0].queue_wait_us) as f64;
            let mean = if sent > 0 { waited / sent as f64 / 1000.0 } else { 0.0 };
            (f64::from(p[1].round), mean, p[1].queue_drops.saturating_sub(p[0].queue_drops))
        })
        .collect();
    let x_max = (rounds.last().map_or(4.0, |d| d.0) + 1.0).max(4.0).ceil();
    let rho_est = estimate.and_then(|(_, ms)| ms);
    let y_max = rounds.iter().map(|d| d.1).chain(rho_est).fold(1.0, f64::max);
    let y_top = nice_step(y_max / 4.0) * 4.0;
    let label = |v: f64| if v >= 1000.0 { format!("{:.1} s", v / 1000.0) } else { format!("{v} ms") };
    let plot = Plot::draw(&ctx, w, h, dpr, 56.0, x_max, y_top, &label, "round (interval)", dark);
    let (fg, left, top, pw) = (plot.fg, plot.left, plot.top, plot.pw);
    ctx.set_fill_style_str(if dark { "#fcd34d" } else { "#b45309" });
    let bar = (pw / x_max * 0.7).max(1.0);
    for c in super::layout::per_column(rounds.iter().map(|&(r, m, _)| (plot.sx(r), m))) {
        ctx.fill_rect(c.first.0 - bar / 2.0, plot.sy(c.high), bar, (plot.sy(0.0) - plot.sy(c.high)).max(0.0));
    }
    // Drops: a red mark along the top of each round that had them.
    ctx.set_fill_style_str(if dark { "#f87171" } else { "#dc2626" });
    for c in super::layout::per_column(rounds.iter().map(|&(r, _, d)| (plot.sx(r), d as f64))) {
        if c.high > 0.0 {
            ctx.fill_rect(c.first.0 - bar / 2.0, top, bar.max(2.0 * dpr), 4.0 * dpr);
        }
    }
    if let Some(ms) = rho_est {
        ctx.set_stroke_style_str(fg);
        ctx.set_line_width(1.0 * dpr);
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&JsValue::from(4.0 * dpr), &JsValue::from(4.0 * dpr)));
        stroke_line(&ctx, [(plot.sx(0.0), plot.sy(ms)), (plot.sx(x_max), plot.sy(ms))]);
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
    ctx.set_text_align("left");
    ctx.set_fill_style_str(fg);
    let drops = pts.last().map_or(0, |p| p.queue_drops);
    let dropped = if drops > 0 { format!("; {drops} dropped at a full queue (red)") } else { String::new() };
    let (long, short) = match estimate {
        Some((rho, Some(ms))) => (
            format!("queue wait per message, per round{dropped}; dashed: estimate {ms:.1} ms at load {rho:.2}"),
            format!("queue wait; estimate {ms:.1} ms"),
        ),
        Some((rho, None)) => (
            format!("queue wait per message, per round{dropped}; load {rho:.2} ≥ 1: saturated, the queue grows"),
            format!("queue wait; load {rho:.2}, saturated"),
        ),
        None => (format!("queue wait per message, per round{dropped}"), "queue wait per message".to_string()),
    };
    let fits = ctx.measure_text(&long).map_or(true, |m| m.width() <= pw - 16.0 * dpr);
    let _ = ctx.fill_text(if fits { &long } else { &short }, left + 8.0 * dpr, top - 9.0 * dpr);
}

/// Failure detection: how many (observer, crash) detections came how long after
/// the crash, in one-second bins, with the first, median and last marked in the legend.
pub fn draw_detections(
    canvas: &HtmlCanvasElement,
    dpr: f64,
    delays: Option<&crate::protocol::DelayHistogram>,
    dark: bool,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    let empty = crate::protocol::DelayHistogram::default();
    let delays = delays.unwrap_or(&empty);
    let bins = delays.per_second();
    let x_max = (bins.len() as f64 + 1.0).max(10.0).ceil();
    let y_max = (bins.iter().copied().max().unwrap_or(0) as f64).max(1.0);
    let y_top = nice_step(y_max / 4.0) * 4.0;
    let plot = Plot::draw(&ctx, w, h, dpr, 44.0, x_max, y_top, &|v| format!("{v}"), "seconds after the crash", dark);
    let (fg, left, top, pw) = (plot.fg, plot.left, plot.top, plot.pw);
    ctx.set_fill_style_str(if dark { "#fca5a5" } else { "#dc2626" });
    let bar = (pw / x_max * 0.8).max(1.0);
    for (i, &c) in bins.iter().enumerate() {
        if c > 0 {
            let (x, c) = (plot.sx(i as f64 + 0.5), c as f64);
            ctx.fill_rect(x - bar / 2.0, plot.sy(c), bar, (plot.sy(0.0) - plot.sy(c)).max(0.0));
        }
    }
    ctx.set_text_align("left");
    ctx.set_fill_style_str(fg);
    let text = match (delays.range_ms(), delays.median_ms()) {
        (Some((first, last)), Some(median)) => format!(
            "{} detections: first {:.1} s, median {:.1} s, last {:.1} s after the crash",
            delays.count(),
            first / 1000.0,
            median / 1000.0,
            last / 1000.0
        ),
        _ => "detections of crashed nodes: none yet (shift-click a node to crash it)".to_string(),
    };
    let _ = ctx.fill_text(&text, left + 8.0 * dpr, top - 9.0 * dpr);
}

/// The protocol's own series per round: aggregation's variance of the estimates
/// on a log scale with the theory's decay dashed beside it (fanout 1, push-pull),
/// the hold-back queue of ordered broadcast, or the share of honest nodes
/// holding forged data.
pub fn draw_protocol_series(
    canvas: &HtmlCanvasElement,
    dpr: f64,
    name: &str,
    values: &[Option<f64>],
    other: Option<&[Option<f64>]>,
    theory_rate: Option<f64>,
    dark: bool,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    let log = name == "variance";
    // Shares of the live nodes, drawn from 0 to 100%.
    let share = matches!(name, "polluted" | "holding_deleted");
    let points = |values: &[Option<f64>]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
            .filter(|(_, v)| v.is_finite() && (!log || *v > 0.0))
            .map(|(i, v)| (i, if log { v.log10() } else { v }))
            .collect()
    };
    let pts = points(values);
    let other_pts = other.map(points).unwrap_or_default();
    let x_max = (values.len().max(other.map_or(0, <[_]>::len)) as f64).max(4.0).ceil();
    let both = || pts.iter().chain(&other_pts);
    let (y_lo, y_hi) = if log {
        let lo = both().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = both().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        if pts.is_empty() {
            (0.0, 1.0)
        } else {
            (lo.floor().max(hi.ceil() - 24.0), hi.ceil().max(lo.floor() + 1.0))
        }
    } else {
        let hi = both().map(|p| p.1).fold(0.0, f64::max);
        (0.0, if share { 1.0 } else { nice_step(hi.max(1.0) / 4.0) * 4.0 })
    };
    let span = y_hi - y_lo;
    let label = move |v: f64| {
        if log {
            format!("1e{:.0}", v + y_lo)
        } else if share {
            format!("{:.0}%", v * 100.0)
        } else {
            format!("{v:.1}")
        }
    };
    let plot = Plot::draw(&ctx, w, h, dpr, 48.0, x_max, span, &label, "round (interval)", dark);
    let (fg, left, top) = (plot.fg, plot.left, plot.top);
    let to_px = |(i, v): (f64, f64)| (plot.sx(i), plot.sy((v - y_lo).clamp(0.0, span)));
    let line = |pts: &[(f64, f64)], colour: &str| {
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(2.0 * dpr);
        // A gap (an epoch start, an undefined value) breaks the line.
        for run in pts.chunk_by(|a, b| b.0 - a.0 <= 1.0) {
            stroke_line(&ctx, run.iter().copied().map(to_px));
        }
    };
    line(&other_pts, if dark { OTHER_COLOUR.1 } else { OTHER_COLOUR.0 });
    line(&pts, if dark { "#fdba74" } else { "#ea580c" });
    if let (true, Some(rate), Some(&(i0, v0))) = (log, theory_rate, pts.first()) {
        // The decay predicted from the first sample: v0 + r log10(rate).
        ctx.set_stroke_style_str(fg);
        ctx.set_line_width(1.0 * dpr);
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&JsValue::from(4.0 * dpr), &JsValue::from(4.0 * dpr)));
        let end = x_max.min(i0 + (span / -rate.log10()).ceil());
        let v_end = v0 + (end - i0) * rate.log10();
        stroke_line(&ctx, [to_px((i0, v0)), to_px((end, v_end))]);
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
    ctx.set_text_align("left");
    ctx.set_fill_style_str(fg);
    let pair = if other.is_some() { " (B orange, A violet)" } else { "" };
    let (long, short) = match name {
        "variance" => match theory_rate {
            Some(r) => (
                format!("variance of the estimates (log){pair}; dashed: theory, × {r:.3} per round"),
                format!("variance (log); theory × {r:.3}"),
            ),
            None => (format!("variance of the estimates (log scale){pair}"), "variance (log)".to_string()),
        },
        "held_back" => {
            (format!("messages held back per node, waiting for their order{pair}"), "held back per node".to_string())
        }
        "polluted" => (format!("honest nodes holding forged data{pair}"), "polluted honest nodes".to_string()),
        "holding_deleted" => {
            (format!("live nodes still holding the deleted key{pair}"), "holding the deleted key".to_string())
        }
        other => (other.to_string(), other.to_string()),
    };
    // Narrow screens get the short form, so the legend is never cut.
    let fits = ctx.measure_text(&long).map_or(true, |m| m.width() <= plot.pw - 16.0 * dpr);
    let _ = ctx.fill_text(if fits { &long } else { &short }, left + 8.0 * dpr, top - 9.0 * dpr);
}

/// A sweep: the mean of a metric at each value of a parameter, with its 95%
/// interval as a bar. Categorical values (push, pull, ...) are spaced evenly.
#[allow(clippy::too_many_arguments)]
pub fn draw_sweep(
    canvas: &HtmlCanvasElement,
    dpr: f64,
    key: &str,
    metric: &str,
    labels: &[String],
    xs: &[f64],
    numeric: bool,
    points: &[Option<crate::metrics::Summary>],
    other: Option<&[Option<crate::metrics::Summary>]>,
    dark: bool,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    let both: Vec<Option<crate::metrics::Summary>> = points.iter().chain(other.unwrap_or_default()).copied().collect();
    let (fg, grid, bg) = if dark { ("#e2e8f0", "#334155", "#0f172a") } else { ("#1e293b", "#e2e8f0", "#ffffff") };
    ctx.set_fill_style_str(bg);
    ctx.fill_rect(0.0, 0.0, w, h);
    let (left, right, top, bottom) = (60.0 * dpr, 16.0 * dpr, 24.0 * dpr, 34.0 * dpr);
    let (pw, ph) = ((w - left - right).max(1.0), (h - top - bottom).max(1.0));
    let (x_lo, x_hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let (x_lo, x_hi) = if numeric { (x_lo, x_hi) } else { (-0.5, xs.len() as f64 - 0.5) };
    let pad = if x_hi > x_lo { (x_hi - x_lo) * 0.05 } else { 0.5 };
    let (x_lo, x_hi) = (x_lo - pad, x_hi + pad);
    let ys = both.iter().flatten().flat_map(|s| [s.mean - s.ci95.max(0.0), s.mean + s.ci95.max(0.0)]);
    let (mut y_lo, mut y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    if !y_lo.is_finite() {
        (y_lo, y_hi) = (0.0, 1.0);
    }
    // Start at zero when the data is not far from it, so differences are not exaggerated.
    if y_lo > 0.0 && y_lo < 0.5 * y_hi {
        y_lo = 0.0;
    }
    if y_hi - y_lo < 1e-12 {
        (y_lo, y_hi) = (y_lo - 1.0, y_hi + 1.0);
    }
    // Round the range out to four steps of a 1-2-5 size, so the grid reads in round numbers.
    let raw = (y_hi - y_lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    y_lo = (y_lo / step).floor() * step;
    y_hi = y_lo + 4.0 * step;
    while y_hi < ys_max(&both) {
        y_hi += step;
    }
    let sx = |x: f64| left + pw * (x - x_lo) / (x_hi - x_lo);
    let sy = |y: f64| top + ph * (1.0 - (y - y_lo) / (y_hi - y_lo));
    ctx.set_font(&format!("{}px system-ui, sans-serif", (11.0 * dpr).round()));
    ctx.set_line_width(1.0);
    ctx.set_text_align("right");
    let lines = ((y_hi - y_lo) / step).round() as i32;
    for i in 0..=lines {
        let v = y_lo + step * f64::from(i);
        ctx.set_stroke_style_str(grid);
        ctx.begin_path();
        ctx.move_to(left, sy(v));
        ctx.line_to(left + pw, sy(v));
        ctx.stroke();
        ctx.set_fill_style_str(fg);
        let _ = ctx.fill_text(&crate::lessons::plain(v), left - 6.0 * dpr, sy(v) + 4.0 * dpr);
    }
    ctx.set_text_align("center");
    // Label at most ~10 values so they never overlap.
    let every = xs.len().div_ceil(10).max(1);
    for (i, (x, label)) in xs.iter().zip(labels).enumerate() {
        if i % every == 0 {
            let _ = ctx.fill_text(label, sx(*x), top + ph + 14.0 * dpr);
        }
    }
    let _ = ctx.fill_text(key, left + pw / 2.0, h - 4.0 * dpr);
    ctx.set_text_align("left");
    let pair = if other.is_some() { " (B orange, A violet)" } else { "" };
    // Narrow canvases get the short form, so the title is never cut.
    let long = format!("{metric}: mean and 95% interval per value{pair}");
    let short = format!("{metric}, mean ± 95%{pair}");
    let fits = ctx.measure_text(&long).map_or(true, |m| m.width() <= w - left - 12.0 * dpr);
    let _ = ctx.fill_text(if fits { &long } else { &short }, left + 6.0 * dpr, 14.0 * dpr);
    let b = if dark { "#fb923c" } else { "#ea580c" };
    let a = if dark { OTHER_COLOUR.1 } else { OTHER_COLOUR.0 };
    for (points, colour) in other.map(|o| (o, a)).into_iter().chain([(points, b)]) {
        series_with_intervals(&ctx, dpr, xs, points, colour, &sx, &sy);
    }
}

/// One sweep series: its means joined by a line, each with its 95% interval as a bar.
fn series_with_intervals(
    ctx: &CanvasRenderingContext2d,
    dpr: f64,
    xs: &[f64],
    points: &[Option<crate::metrics::Summary>],
    colour: &str,
    sx: &dyn Fn(f64) -> f64,
    sy: &dyn Fn(f64) -> f64,
) {
    ctx.set_stroke_style_str(colour);
    ctx.set_fill_style_str(colour);
    ctx.set_line_width(1.5 * dpr);
    stroke_line(ctx, xs.iter().zip(points).filter_map(|(x, p)| p.map(|s| (sx(*x), sy(s.mean)))));
    for (x, p) in xs.iter().zip(points) {
        let Some(s) = p else { continue };
        let (cx, ci) = (sx(*x), if s.ci95.is_finite() { s.ci95 } else { 0.0 });
        ctx.begin_path();
        ctx.move_to(cx, sy(s.mean - ci));
        ctx.line_to(cx, sy(s.mean + ci));
        ctx.move_to(cx - 4.0 * dpr, sy(s.mean - ci));
        ctx.line_to(cx + 4.0 * dpr, sy(s.mean - ci));
        ctx.move_to(cx - 4.0 * dpr, sy(s.mean + ci));
        ctx.line_to(cx + 4.0 * dpr, sy(s.mean + ci));
        ctx.stroke();
        ctx.begin_path();
        let _ = ctx.arc(cx, sy(s.mean), 3.0 * dpr, 0.0, std::f64::consts::TAU);
        ctx.fill();
    }
}

/// The top of the highest interval in a sweep.
fn ys_max(points: &[Option<crate::metrics::Summary>]) -> f64 {
    points
        .iter()
        .flatten()
        .map(|s| s.mean + if s.ci95.is_finite() { s.ci95 } else { 0.0 })
        .fold(f64::NEG_INFINITY, f64::max)
}
