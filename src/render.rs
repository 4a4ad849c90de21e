//! Pictures of a run for places where no script runs (slides, READMEs, posts):
//! an animated GIF of the propagation graph beside the coverage chart, drawn
//! natively into an indexed image, one frame per round (or interval), with the
//! page's layout (`ui::layout`) and colours. `gossip-lab render … --gif run.gif`.

use std::io::Write;

use crate::metrics::Series;
use crate::protocol::NodeState;
use crate::scenario::{Scenario, Timing};
use crate::sim::engine::Edge;
use crate::ui::layout::{place, Layout, PALETTE};

/// What to draw, and the bounds that keep the file small.
#[derive(Clone, Debug)]
pub struct GifOptions {
    pub width: u16,
    pub height: u16,
    /// At most this many frames: a longer run is sampled evenly (its last frame kept).
    pub max_frames: u32,
    /// Hundredths of a second per frame.
    pub delay_cs: u16,
    pub dark: bool,
}

impl Default for GifOptions {
    fn default() -> Self {
        GifOptions { width: 720, height: 360, max_frames: 120, delay_cs: 10, dark: false }
    }
}

pub const WIDTH_RANGE: (u16, u16) = (320, 1920);
pub const HEIGHT_RANGE: (u16, u16) = (180, 1080);
pub const MAX_FRAMES: u32 = 1000;

/// Palette indices.
const BG: u8 = 0;
const FG: u8 = 1;
const GRID: u8 = 2;
const EDGE: u8 = 3;
const LOST: u8 = 4;
const MEASURED: u8 = 5;
const THEORY: u8 = 6;
/// Node state s is drawn in colour STATES + s.
const STATES: u8 = 7;

fn palette(dark: bool) -> Vec<u8> {
    let base: [[u8; 3]; 7] = if dark {
        [[15, 23, 42], [226, 232, 240], [51, 65, 85], [253, 186, 116], [248, 113, 113], [251, 146, 60], [147, 197, 253]]
    } else {
        [[255, 255, 255], [30, 41, 59], [226, 232, 240], [253, 186, 116], [220, 38, 38], [234, 88, 12], [37, 99, 235]]
    };
    let states = PALETTE.iter().map(|(light, dark_rgb)| if dark { *dark_rgb } else { *light });
    base.into_iter().chain(states).flatten().collect()
}

/// An indexed picture with the few shapes the frames need.
struct Canvas {
    w: i32,
    h: i32,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: u16, h: u16) -> Self {
        Canvas { w: i32::from(w), h: i32::from(h), px: vec![BG; usize::from(w) * usize::from(h)] }
    }

    fn set(&mut self, x: i32, y: i32, c: u8) {
        if x >= 0 && y >= 0 && x < self.w && y < self.h {
            self.px[(y * self.w + x) as usize] = c;
        }
    }

    fn rect(&mut self, x0: i32, y0: i32, w: i32, h: i32, c: u8) {
        for y in y0.max(0)..(y0 + h).min(self.h) {
            for x in x0.max(0)..(x0 + w).min(self.w) {
                self.px[(y * self.w + x) as usize] = c;
            }
        }
    }

    fn disc(&mut self, cx: f64, cy: f64, r: f64, c: u8) {
        let r2 = r * r;
        for y in (cy - r).floor() as i32..=(cy + r).ceil() as i32 {
            for x in (cx - r).floor() as i32..=(cx + r).ceil() as i32 {
                let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
                if dx * dx + dy * dy <= r2.max(0.5) {
                    self.set(x, y, c);
                }
            }
        }
    }

    /// A line; `dash` pixels on and off when non-zero.
    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: u8, dash: u32) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as u32;
        for i in 0..=steps {
            if dash > 0 && (i / dash) % 2 == 1 {
                continue;
            }
            let t = f64::from(i) / f64::from(steps);
            self.set((x0 + (x1 - x0) * t).round() as i32, (y0 + (y1 - y0) * t).round() as i32, c);
        }
    }

    /// Text in the 8×8 font, top-left at (x, y).
    fn text(&mut self, x: i32, y: i32, s: &str, c: u8) {
        for (i, ch) in s.chars().enumerate() {
            let glyph = font8x8::legacy::BASIC_LEGACY.get(ch as usize).copied().unwrap_or([0; 8]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        self.set(x + i as i32 * 8 + col, y + row as i32, c);
                    }
                }
            }
        }
    }
}

/// Run `s` and write its animated GIF to `out`; returns the number of frames.
/// The run is the command line's (same scenario and seed, same trace).
pub fn gif(s: &Scenario, o: &GifOptions, out: impl Write) -> Result<u32, String> {
    if !(WIDTH_RANGE.0..=WIDTH_RANGE.1).contains(&o.width) || !(HEIGHT_RANGE.0..=HEIGHT_RANGE.1).contains(&o.height) {
        return Err(format!(
            "--size: {}x{} is not allowed; allowed {}x{} to {}x{}",
            o.width, o.height, WIDTH_RANGE.0, HEIGHT_RANGE.0, WIDTH_RANGE.1, HEIGHT_RANGE.1
        ));
    }
    if !(1..=MAX_FRAMES).contains(&o.max_frames) {
        return Err(format!("--frames: '{}' is not allowed; allowed 1 to {MAX_FRAMES}", o.max_frames));
    }
    // First pass: how many steps the run takes, so a long one is sampled evenly.
    let mut probe = crate::sim::build(s).map_err(|e| e.to_string())?;
    let mut steps = 0u32;
    while probe.step() {
        steps += 1;
    }
    let rounds = probe.round().max(1);
    drop(probe);
    // Frames at every stride-th step and at the end: at most max_frames in all.
    let stride = if o.max_frames <= 1 { u32::MAX } else { steps.div_ceil(o.max_frames - 1).max(1) };

    let mut sim = crate::sim::build(s).map_err(|e| e.to_string())?;
    sim.record_edges(crate::ui::model::EDGE_BUFFER);
    let theory = crate::theory::coverage_chart_curve(s);
    let (w, h) = (o.width, o.height);
    let mut enc = gif::Encoder::new(out, w, h, &palette(o.dark)).map_err(|e| e.to_string())?;
    enc.set_repeat(gif::Repeat::Infinite).map_err(|e| e.to_string())?;
    // The graph is a square on the left; the chart fills the rest.
    let side = u32::from(h).min(u32::from(w) * 3 / 5);
    let places = place(Layout::Auto, sim.ids().max(s.nodes) as usize, side, side);
    let (mut states, mut edges) = (Vec::new(), Vec::new());
    let mut frames = 0u32;
    let (mut step, mut more) = (0u32, true);
    loop {
        let last = !more || sim.finished();
        if (step % stride == 0 && o.max_frames > 1) || last {
            sim.node_states(&mut states);
            sim.recent_edges(&mut edges);
            let mut c = Canvas::new(w, h);
            let window_us = u64::from(s.interval_ms) * 1000;
            draw_graph(&mut c, &places, &states, &edges, sim.now_us(), window_us);
            let frame = Frame {
                round: sim.round(),
                rounds,
                coverage: coverage(sim.series()),
                timed: s.timing == Timing::Timed,
            };
            draw_chart(&mut c, side as i32, sim.series(), &theory, &frame);
            let mut f = gif::Frame::from_indexed_pixels(w, h, c.px, None);
            // The last frame holds for two seconds before the loop starts again.
            f.delay = if last { 200 } else { o.delay_cs };
            enc.write_frame(&f).map_err(|e| e.to_string())?;
            frames += 1;
        }
        if last {
            break;
        }
        more = sim.step();
        step += 1;
    }
    Ok(frames)
}

/// What the chart's caption says.
struct Frame {
    round: u32,
    rounds: u32,
    coverage: f64,
    timed: bool,
}

fn coverage(series: &Series) -> f64 {
    series.points.last().map_or(0.0, |p| p.coverage)
}

fn draw_graph(
    c: &mut Canvas,
    places: &crate::ui::layout::Placement,
    states: &[u8],
    edges: &[Edge],
    now_us: u64,
    window_us: u64,
) {
    // This round's messages, lost ones in red, under the nodes.
    for e in edges.iter().filter(|e| e.sent_us + window_us > now_us) {
        let (Some(&a), Some(&b)) = (places.positions.get(e.from as usize), places.positions.get(e.to as usize)) else {
            continue;
        };
        c.line(a, b, if e.arrive_us == u64::MAX { LOST } else { EDGE }, 0);
    }
    for (i, (&(x, y), &st)) in places.positions.iter().zip(states).enumerate() {
        if st == NodeState::Absent as u8 {
            continue;
        }
        let colour = STATES + st.min(PALETTE.len() as u8 - 1);
        match places.cells {
            Some(cells) => {
                let (cx, cy) = cells.centre(i as u32);
                let half = f64::from(cells.side) / 2.0;
                c.rect((cx - half) as i32, (cy - half) as i32, cells.side as i32, cells.side as i32, colour);
            }
            None => c.disc(x, y, places.radius, colour),
        }
    }
}

fn draw_chart(c: &mut Canvas, left_edge: i32, series: &Series, theory: &[f64], f: &Frame) {
    let (l, r, t, b) = (left_edge + 48, c.w - 24, 64, c.h - 28);
    let (pw, ph) = (f64::from((r - l).max(1)), f64::from((b - t).max(1)));
    let sx = |round: f64| f64::from(l) + pw * round / f64::from(f.rounds);
    let sy = |v: f64| f64::from(b) - ph * v.clamp(0.0, 1.0);
    for q in 0..=4 {
        let v = f64::from(q) / 4.0;
        c.line((f64::from(l), sy(v)), (f64::from(r), sy(v)), GRID, 0);
        let label = format!("{:>3}%", q * 25);
        c.text(l - 40, sy(v) as i32 - 4, &label, FG);
    }
    c.text(l, c.h - 20, "0", FG);
    let end = f.rounds.to_string();
    c.text(r - 8 * end.len() as i32, c.h - 20, &end, FG);
    let unit = if f.timed { "interval" } else { "round" };
    c.text(l + (r - l) / 2 - 20, c.h - 20, unit, FG);
    // Theory dashed, measured solid.
    for w in theory.windows(2).enumerate().take(f.rounds as usize) {
        let (i, pair) = w;
        c.line((sx(i as f64), sy(pair[0])), (sx(i as f64 + 1.0), sy(pair[1])), THEORY, 4);
    }
    for pair in series.points.windows(2) {
        let (a, z) = (pair[0], pair[1]);
        for d in [-0.5, 0.0, 0.5] {
            c.line(
                (sx(f64::from(a.round)), sy(a.coverage) + d),
                (sx(f64::from(z.round)), sy(z.coverage) + d),
                MEASURED,
                0,
            );
        }
    }
    let caption = format!("{} {}: {:.1}% covered", unit, f.round, f.coverage * 100.0);
    c.text(l, 6, &caption, FG);
    // The key: the curves, then the colours of the nodes.
    let (mut x, mut y) = (l, 22);
    let mut key = |c: &mut Canvas, swatch: &dyn Fn(&mut Canvas, i32, i32), label: &str| {
        let width = 14 + 8 * label.len() as i32;
        if x > l && x + width > r {
            (x, y) = (l, y + 14);
        }
        swatch(c, x, y);
        c.text(x + 14, y, label, FG);
        x += width + 12;
    };
    key(c, &|c, x, y| c.rect(x, y + 3, 10, 3, MEASURED), "measured");
    if !theory.is_empty() {
        key(
            c,
            &|c, x, y| c.line((f64::from(x), f64::from(y) + 4.0), (f64::from(x + 10), f64::from(y) + 4.0), THEORY, 3),
            "theory",
        );
    }
    for st in [NodeState::Susceptible, NodeState::Infective, NodeState::Removed] {
        let colour = STATES + st as u8;
        key(
            c,
            &|c, x, y| c.disc(f64::from(x) + 5.0, f64::from(y) + 4.0, 4.0, colour),
            st.label().split(',').next().unwrap_or(""),
        );
    }
}
