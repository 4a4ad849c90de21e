//! The propagation graph: nodes coloured by state, recent messages as fading lines.
//!
//! Up to `CIRCLE_MAX` nodes are drawn as discs on a circle (one path per colour,
//! so a frame costs five fills); larger clusters as a grid of pixels written
//! straight into an `ImageData`, which stays fast at a hundred thousand nodes.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::protocol::NodeState;
use crate::sim::engine::Edge;

const CIRCLE_MAX: usize = 3000;

/// Colours per node state: (light theme, dark theme), as RGB.
pub const PALETTE: [([u8; 3], [u8; 3]); 5] = [
    ([148, 163, 184], [71, 85, 105]), // susceptible
    ([234, 88, 12], [251, 146, 60]),  // spreading
    ([22, 163, 74], [74, 222, 128]),  // informed, stopped
    ([30, 30, 30], [226, 232, 240]),  // crashed
    ([0, 0, 0], [0, 0, 0]),           // absent (not drawn)
];

pub fn css(rgb: [u8; 3]) -> String {
    format!("rgb({},{},{})", rgb[0], rgb[1], rgb[2])
}

pub struct Graph {
    positions: Vec<(f64, f64)>,
    layout_key: (usize, u32, u32),
    radius: f64,
    grid: Option<(u32, u32, u32)>, // columns, cell size, offset
    pixels: Vec<u8>,
}

impl Graph {
    pub fn new() -> Self {
        Graph { positions: Vec::new(), layout_key: (0, 0, 0), radius: 3.0, grid: None, pixels: Vec::new() }
    }

    fn layout(&mut self, n: usize, w: u32, h: u32) {
        if self.layout_key == (n, w, h) {
            return;
        }
        self.layout_key = (n, w, h);
        self.positions.clear();
        let (wf, hf) = (f64::from(w), f64::from(h));
        if n <= CIRCLE_MAX {
            self.grid = None;
            let cx = wf / 2.0;
            let cy = hf / 2.0;
            let r = (wf.min(hf) / 2.0 - 12.0).max(10.0);
            let circumference = std::f64::consts::TAU * r;
            self.radius = (circumference / n.max(1) as f64 * 0.38).clamp(0.8, 9.0);
            for i in 0..n {
                let a = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
                self.positions.push((cx + r * a.cos(), cy + r * a.sin()));
            }
        } else {
            // Square cells filling the canvas.
            let area = f64::from(w) * f64::from(h) / n as f64;
            let cell = (area.sqrt().floor() as u32).max(1);
            let cols = (w / cell).max(1);
            let rows = (n as u32).div_ceil(cols);
            let off = (h.saturating_sub(rows * cell)) / 2;
            self.grid = Some((cols, cell, off));
            for i in 0..n as u32 {
                let (x, y) = (i % cols, i / cols);
                self.positions.push((
                    f64::from(x * cell) + f64::from(cell) / 2.0,
                    f64::from(off + y * cell) + f64::from(cell) / 2.0,
                ));
            }
        }
    }

    /// The node under canvas pixel (x, y), if any.
    pub fn hit(&self, x: f64, y: f64) -> Option<u32> {
        if let Some((cols, cell, off)) = self.grid {
            let (cx, cy) = (x as u32 / cell, (y as u32).checked_sub(off)? / cell);
            let i = cy * cols + cx;
            return (cx < cols && (i as usize) < self.positions.len()).then_some(i);
        }
        let slop = (self.radius + 4.0).powi(2);
        self.positions
            .iter()
            .enumerate()
            .map(|(i, &(px, py))| (i, (px - x).powi(2) + (py - y).powi(2)))
            .filter(|&(_, d)| d <= slop)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i as u32)
    }

    /// Draw everything. `now_us` and `window_us` select which messages are shown and how faded.
    pub fn draw(
        &mut self,
        canvas: &HtmlCanvasElement,
        states: &[u8],
        edges: &[Edge],
        now_us: u64,
        window_us: u64,
        dark: bool,
    ) {
        let (w, h) = (canvas.width(), canvas.height());
        if w == 0 || h == 0 {
            return;
        }
        let Some(ctx) = context(canvas) else { return };
        self.layout(states.len(), w, h);
        let bg = if dark { "#0f172a" } else { "#ffffff" };
        ctx.set_fill_style_str(bg);
        ctx.fill_rect(0.0, 0.0, f64::from(w), f64::from(h));
        if self.grid.is_some() {
            self.draw_pixels(&ctx, states, w, h, dark);
        }
        // Messages: brighter when newer; dropped ones in red.
        if states.len() <= 20_000 && window_us > 0 {
            let max_edges = if self.grid.is_some() { 600 } else { 2500 };
            let start = edges.len().saturating_sub(max_edges);
            ctx.set_line_width(if self.grid.is_some() || states.len() > 500 { 0.7 } else { 1.0 });
            for e in &edges[start..] {
                let age = now_us.saturating_sub(e.sent_us);
                if age > window_us || e.from as usize >= self.positions.len() || e.to as usize >= self.positions.len() {
                    continue;
                }
                let alpha = 0.6 * (1.0 - age as f64 / window_us as f64);
                let (a, b) = (self.positions[e.from as usize], self.positions[e.to as usize]);
                ctx.set_global_alpha(alpha.max(0.05));
                ctx.set_stroke_style_str(if e.arrive_us == u64::MAX {
                    "#dc2626"
                } else if dark {
                    "#fdba74"
                } else {
                    "#f97316"
                });
                ctx.begin_path();
                ctx.move_to(a.0, a.1);
                // In timed mode, a message in flight stops part-way.
                let frac = if e.arrive_us == u64::MAX {
                    0.5
                } else if e.arrive_us > now_us && e.arrive_us > e.sent_us {
                    (now_us - e.sent_us) as f64 / (e.arrive_us - e.sent_us) as f64
                } else {
                    1.0
                };
                ctx.line_to(a.0 + (b.0 - a.0) * frac, a.1 + (b.1 - a.1) * frac);
                ctx.stroke();
            }
            ctx.set_global_alpha(1.0);
        }
        if self.grid.is_none() {
            for (code, colours) in PALETTE.iter().enumerate().take(4) {
                let rgb = if dark { colours.1 } else { colours.0 };
                ctx.set_fill_style_str(&css(rgb));
                ctx.begin_path();
                for (i, &s) in states.iter().enumerate() {
                    if s as usize == code {
                        let (x, y) = self.positions[i];
                        ctx.move_to(x + self.radius, y);
                        let _ = ctx.arc(x, y, self.radius, 0.0, std::f64::consts::TAU);
                    }
                }
                ctx.fill();
            }
        }
    }

    fn draw_pixels(&mut self, ctx: &CanvasRenderingContext2d, states: &[u8], w: u32, h: u32, dark: bool) {
        let Some((cols, cell, off)) = self.grid else {
            return;
        };
        let bg: [u8; 3] = if dark { [15, 23, 42] } else { [255, 255, 255] };
        self.pixels.resize((w * h * 4) as usize, 0);
        for px in self.pixels.chunks_exact_mut(4) {
            px.copy_from_slice(&[bg[0], bg[1], bg[2], 255]);
        }
        let inner = if cell >= 3 { cell - 1 } else { cell };
        for (i, &s) in states.iter().enumerate() {
            if s == NodeState::Absent as u8 {
                continue;
            }
            let rgb = if dark { PALETTE[s as usize].1 } else { PALETTE[s as usize].0 };
            let (x0, y0) = ((i as u32 % cols) * cell, off + (i as u32 / cols) * cell);
            for y in y0..(y0 + inner).min(h) {
                let row = (y * w) as usize * 4;
                for x in x0..(x0 + inner).min(w) {
                    let p = row + x as usize * 4;
                    self.pixels[p..p + 3].copy_from_slice(&rgb);
                }
            }
        }
        if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&self.pixels), w, h) {
            let _ = ctx.put_image_data(&img, 0.0, 0.0);
        }
    }
}

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}

/// Match the canvas's pixel size to its CSS size times the device pixel ratio.
/// Returns the ratio, so drawing code can scale its text.
pub fn fit(canvas: &HtmlCanvasElement) -> f64 {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 3.0);
    let (cw, ch) = (canvas.client_width().max(1) as f64, canvas.client_height().max(1) as f64);
    let (w, h) = ((cw * dpr) as u32, (ch * dpr) as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    dpr
}
