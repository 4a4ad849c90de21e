//! The propagation graph: nodes coloured by state, recent messages as fading lines.
//!
//! Up to `CIRCLE_MAX` nodes are drawn as discs (one path per colour, so a frame
//! costs a few fills), laid out by `Layout`: automatic (a ring when few, a
//! sunflower spiral filling a disc when more), a ring, a grid, random places,
//! or a force layout that pulls each node towards the peers in its partial view.
//! Larger clusters are a grid of pixels written straight into an `ImageData`,
//! which stays fast at a hundred thousand nodes.
//!
//! A view transform (zoom about a point, pan) applies to every layout; hit
//! tests and rectangle selections go through its inverse.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::protocol::NodeState;
use crate::sim::engine::Edge;

pub fn css(rgb: [u8; 3]) -> String {
    format!("rgb({},{},{})", rgb[0], rgb[1], rgb[2])
}

pub use super::layout::{place, Cells, Layout, PALETTE};

/// Most nodes the force layout moves (its repulsion is over all pairs).
pub const FORCE_MAX: usize = 1500;
/// Most links of a topology drawn under the messages (faint, one path).
pub const LINKS_MAX: usize = 20_000;

pub struct Graph {
    positions: Vec<(f64, f64)>,
    layout_key: (usize, u32, u32, Layout, u32),
    /// Regions (their names, and the nodes that started) the automatic layout groups by,
    /// and the topology it follows (a ring drawn as a circle, a torus as its grid).
    regions: (Vec<String>, u32),
    topology: crate::scenario::Topology,
    /// The regions' names and where they are written.
    labels: Vec<(String, f64, f64)>,
    layout: Layout,
    /// Zoom factor and pan offset (canvas pixels) of the view.
    zoom: f64,
    pan: (f64, f64),
    /// The force layout's step size, cooling as it settles.
    temperature: f64,
    radius: f64,
    /// The pixel grid, for large clusters.
    grid: Option<Cells>,
    pixels: Vec<u8>,
    /// Where the pixel grid is painted before being scaled in, when zoomed.
    offscreen: Option<HtmlCanvasElement>,
    /// The topology's links (a, b), a < b, drawn faintly under the messages.
    links: Vec<(u32, u32)>,
}

impl Graph {
    pub fn new() -> Self {
        Graph {
            positions: Vec::new(),
            layout_key: (0, 0, 0, Layout::Auto, 0),
            regions: (Vec::new(), 0),
            topology: crate::scenario::Topology::Full,
            labels: Vec::new(),
            layout: Layout::Auto,
            zoom: 1.0,
            pan: (0.0, 0.0),
            temperature: 0.0,
            radius: 3.0,
            grid: None,
            pixels: Vec::new(),
            offscreen: None,
            links: Vec::new(),
        }
    }

    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
    }

    /// Zoom by `factor` about canvas point (x, y), which stays where it is.
    pub fn zoom_at(&mut self, factor: f64, x: f64, y: f64) {
        // In until a node is about 48 pixels across: single nodes, not blobs.
        let most = (24.0 / self.radius.max(0.25)).max(2.0);
        let z = (self.zoom * factor).clamp(0.5, most);
        let f = z / self.zoom;
        self.pan = (x - (x - self.pan.0) * f, y - (y - self.pan.1) * f);
        self.zoom = z;
    }

    pub fn pan_by(&mut self, dx: f64, dy: f64) {
        self.pan = (self.pan.0 + dx, self.pan.1 + dy);
    }

    pub fn reset_view(&mut self) {
        self.zoom = 1.0;
        self.pan = (0.0, 0.0);
    }

    pub fn is_zoomed(&self) -> bool {
        self.zoom != 1.0 || self.pan != (0.0, 0.0)
    }

    fn to_world(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.pan.0) / self.zoom, (y - self.pan.1) / self.zoom)
    }

    /// The nodes drawn inside the canvas rectangle with corners (x0, y0) and (x1, y1).
    pub fn nodes_in(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<u32> {
        let (ax, ay) = self.to_world(x0.min(x1), y0.min(y1));
        let (bx, by) = self.to_world(x0.max(x1), y0.max(y1));
        self.positions
            .iter()
            .enumerate()
            .filter(|(_, &(x, y))| x >= ax && x <= bx && y >= ay && y <= by)
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// The layout drawn for `n` nodes: the force layout only applies to
    /// clusters it can move (others fall back to automatic); automatic follows
    /// the links of a graph that has no picture of its own (a random regular,
    /// a scale-free or the user's graph), without regions.
    fn effective(&self, n: usize) -> Layout {
        use crate::scenario::Topology;
        match (self.layout, self.topology) {
            (Layout::Force, _) if n > FORCE_MAX => Layout::Auto,
            (Layout::Auto, Topology::RandomRegular | Topology::ScaleFree | Topology::Edges)
                if n <= FORCE_MAX && self.regions.0.len() < 2 =>
            {
                Layout::Force
            }
            (l, _) => l,
        }
    }

    /// Whether the layout moves nodes along links (`relax`): the page hands it
    /// the views or the topology's links then.
    pub fn follows_links(&self, n: usize) -> bool {
        self.effective(n) == Layout::Force
    }

    /// The topology's links to draw (none: a full graph, or too many to draw).
    pub fn set_links(&mut self, links: Vec<(u32, u32)>) {
        self.links = links;
    }

    fn layout(&mut self, n: usize, w: u32, h: u32) {
        let layout = self.effective(n);
        use crate::scenario::Topology;
        let (k, nodes) = (self.regions.0.len() as u32, self.regions.1);
        let key = (n, w, h, layout, k * 16 + self.topology as u32);
        if self.layout_key == key {
            return;
        }
        self.layout_key = key;
        self.temperature = f64::from(w.min(h)) / 10.0;
        // Automatic follows the cluster's shape: its regions, or its topology's
        // own picture where it has one (a ring's neighbours side by side on a circle).
        let p = match (layout, self.topology) {
            (Layout::Auto, _) if k >= 2 && n <= super::layout::CIRCLE_MAX => {
                super::layout::place_regions(n, nodes, &self.regions.0, w, h).expect("room for groups")
            }
            (Layout::Auto, Topology::Ring | Topology::SmallWorld) if n <= super::layout::CIRCLE_MAX => {
                place(Layout::Circle, n, w, h)
            }
            (Layout::Auto, Topology::Torus) if n <= super::layout::CIRCLE_MAX => {
                super::layout::grid(n, (f64::from(nodes.max(1))).sqrt().ceil() as usize, w, h)
            }
            _ => place(layout, n, w, h),
        };
        (self.positions, self.radius, self.grid, self.labels) = (p.positions, p.radius, p.cells, p.labels);
    }

    /// The cluster's shape for the automatic layout: `regions` k of `nodes`
    /// starting nodes (k < 2: no groups), and its topology.
    pub fn set_shape(&mut self, s: &crate::scenario::Scenario) {
        let k = if s.timing == crate::scenario::Timing::Timed { s.regions as usize } else { 0 };
        let regions = ((0..k).map(|r| s.region_name(r)).collect(), s.nodes);
        if regions != self.regions {
            // Other names for as many regions: written again.
            self.layout_key.0 = usize::MAX;
        }
        self.regions = regions;
        self.topology = s.topology;
    }

    /// The node under canvas pixel (x, y), if any.
    /// The node the arrow keys move to from `from`, in a screen direction.
    pub fn towards(&self, from: u32, dir: (f64, f64)) -> Option<u32> {
        super::layout::step_towards(&self.positions, from as usize, dir).map(|i| i as u32)
    }

    pub fn hit(&self, x: f64, y: f64) -> Option<u32> {
        let (x, y) = self.to_world(x, y);
        if let Some(cells) = self.grid {
            return cells.at(x, y, self.positions.len());
        }
        let slop = (self.radius + 4.0 / self.zoom).powi(2);
        self.positions
            .iter()
            .enumerate()
            .map(|(i, &(px, py))| (i, (px - x).powi(2) + (py - y).powi(2)))
            .filter(|&(_, d)| d <= slop)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i as u32)
    }

    /// Draw everything. `now_us` and `window_us` select which messages are shown and how faded.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        canvas: &HtmlCanvasElement,
        states: &[u8],
        edges: &[Edge],
        now_us: u64,
        window_us: u64,
        selected: Option<u32>,
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
        // Everything below is drawn in layout coordinates through the view transform.
        let z = self.zoom;
        let _ = ctx.set_transform(z, 0.0, 0.0, z, self.pan.0, self.pan.1);
        // The topology's links, faint, under the messages: who can talk to whom.
        if !self.links.is_empty() && self.links.len() <= LINKS_MAX {
            ctx.set_line_width(0.6 / z);
            ctx.set_stroke_style_str(if dark { "rgba(148, 163, 184, 0.35)" } else { "rgba(71, 85, 105, 0.28)" });
            // A torus drawn as its grid: the links that wrap round would cross it.
            let far = if self.topology == crate::scenario::Topology::Torus {
                (f64::from(w.min(h)) / 4.0).powi(2)
            } else {
                f64::INFINITY
            };
            ctx.begin_path();
            for &(a, b) in &self.links {
                let (Some(&pa), Some(&pb)) = (self.positions.get(a as usize), self.positions.get(b as usize)) else {
                    continue;
                };
                if (pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2) > far {
                    continue;
                }
                ctx.move_to(pa.0, pa.1);
                ctx.line_to(pb.0, pb.1);
            }
            ctx.stroke();
        }
        // Messages: brighter when newer; dropped ones in red.
        if states.len() <= 20_000 && window_us > 0 {
            let max_edges = if self.grid.is_some() { 600 } else { 2500 };
            let start = edges.len().saturating_sub(max_edges);
            ctx.set_line_width(if self.grid.is_some() || states.len() > 500 { 0.7 / z } else { 1.0 / z });
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
            for (code, colours) in PALETTE.iter().enumerate().filter(|(c, _)| *c != NodeState::Absent as usize) {
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
        self.draw_labels(&ctx, states, w, h, dark);
        // Each region's name above its group.
        if !self.labels.is_empty() {
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            ctx.set_fill_style_str(if dark { "#cbd5e1" } else { "#475569" });
            ctx.set_text_align("center");
            ctx.set_text_baseline("bottom");
            let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
            ctx.set_font(&format!("600 {}px system-ui, sans-serif", (12.0 * dpr).round()));
            // A small graph has no room for every name: one that would run into a
            // name already written is left out (the inspector still names a node's region).
            let line = 13.0 * dpr;
            let mut written: Vec<(f64, f64, f64, f64)> = Vec::new();
            for (name, x, y) in &self.labels {
                let (x, y) = (*x, *y);
                let (sx, sy) = (x * self.zoom + self.pan.0, y * self.zoom + self.pan.1);
                let half = ctx.measure_text(name).map_or(30.0 * dpr, |m| m.width()) / 2.0 + 2.0 * dpr;
                let rect = (sx - half, sy - line, sx + half, sy);
                if written.iter().any(|r| rect.0 < r.2 && r.0 < rect.2 && rect.1 < r.3 && r.1 < rect.3) {
                    continue;
                }
                written.push(rect);
                let _ = ctx.fill_text(name, sx, sy);
            }
            let z = self.zoom;
            let _ = ctx.set_transform(z, 0.0, 0.0, z, self.pan.0, self.pan.1);
        }
        // The node in the inspector: a ring around it.
        if let Some(&(x, y)) = selected.and_then(|n| self.positions.get(n as usize)) {
            ctx.set_stroke_style_str(if dark { "#f8fafc" } else { "#0f172a" });
            ctx.set_line_width(2.5 / z);
            ctx.begin_path();
            let _ = ctx.arc(x, y, self.radius.max(3.0 / z) + 4.0 / z, 0.0, std::f64::consts::TAU);
            ctx.stroke();
        }
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    }

    /// Node ids inside the nodes, once they are drawn large enough to read (a
    /// lesson's 20-node cluster asks for "node 19"): in screen space, in a
    /// colour that reads on each state's fill.
    fn draw_labels(&self, ctx: &web_sys::CanvasRenderingContext2d, states: &[u8], w: u32, h: u32, dark: bool) {
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let r = self.radius * self.zoom;
        if self.grid.is_some() || r < 8.0 * dpr {
            return;
        }
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        let digits = states.len().saturating_sub(1).max(1).ilog10() + 1;
        // As large as fits across the node, at most the node's radius.
        let size = (r * 1.7 / (0.62 * f64::from(digits))).min(r).floor();
        ctx.set_font(&format!("600 {size}px system-ui, sans-serif"));
        for (i, &s) in states.iter().enumerate() {
            let Some(colours) = PALETTE.get(s as usize).filter(|_| s != NodeState::Absent as u8) else { continue };
            let [cr, cg, cb] = if dark { colours.1 } else { colours.0 };
            let light = 0.2126 * f64::from(cr) + 0.7152 * f64::from(cg) + 0.0722 * f64::from(cb) > 150.0;
            let (x, y) = self.positions[i];
            let (sx, sy) = (x * self.zoom + self.pan.0, y * self.zoom + self.pan.1);
            if sx < -r || sy < -r || sx > f64::from(w) + r || sy > f64::from(h) + r {
                continue;
            }
            ctx.set_fill_style_str(if light { "#0f172a" } else { "#ffffff" });
            let _ = ctx.fill_text(&i.to_string(), sx, sy + size * 0.05);
        }
        let z = self.zoom;
        let _ = ctx.set_transform(z, 0.0, 0.0, z, self.pan.0, self.pan.1);
    }

    /// One step of the force layout (Fruchterman and Reingold): every pair repels,
    /// every view link (a, b) attracts, a soft wall holds nodes off the edges; moves are bounded by a cooling temperature,
    /// which stays warm enough to follow the views as shuffles change them.
    pub fn relax(&mut self, edges: &[(u32, u32)]) {
        let n = self.positions.len();
        if self.effective(n) != Layout::Force || n < 2 || self.grid.is_some() {
            return;
        }
        let (w, h) = (f64::from(self.layout_key.1), f64::from(self.layout_key.2));
        let k = (w * h / n as f64).sqrt();
        self.radius = (k * 0.18).clamp(1.5, 8.0);
        let mut disp = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            let (xi, yi) = self.positions[i];
            for j in i + 1..n {
                let (dx, dy) = (xi - self.positions[j].0, yi - self.positions[j].1);
                let d2 = (dx * dx + dy * dy).max(0.01);
                let f = k * k / d2;
                disp[i].0 += dx * f;
                disp[i].1 += dy * f;
                disp[j].0 -= dx * f;
                disp[j].1 -= dy * f;
            }
        }
        for &(a, b) in edges {
            let (a, b) = (a as usize, b as usize);
            if a >= n || b >= n || a == b {
                continue;
            }
            let (dx, dy) = (self.positions[a].0 - self.positions[b].0, self.positions[a].1 - self.positions[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(0.1);
            let f = d / k;
            disp[a].0 -= dx * f;
            disp[a].1 -= dy * f;
            disp[b].0 += dx * f;
            disp[b].1 += dy * f;
        }
        // A soft wall near the frame's edges keeps parts that repel each other
        // (two cliques joined by one link, nodes with no link) off them; a
        // large graph, whose nodes fill the frame, pushes through it as before.
        let (cx, cy) = (w / 2.0, h / 2.0);
        for (p, d) in self.positions.iter().zip(disp.iter_mut()) {
            let (dx, dy) = (p.0 - cx, p.1 - cy);
            let u = ((dx / cx).powi(2) + (dy / cy).powi(2)).sqrt();
            if u > 0.75 {
                let pull = (u - 0.75) * 15.0 * k / (dx * dx + dy * dy).sqrt().max(1e-9);
                d.0 -= dx * pull;
                d.1 -= dy * pull;
            }
        }
        let t = self.temperature;
        for (p, d) in self.positions.iter_mut().zip(&disp) {
            let len = (d.0 * d.0 + d.1 * d.1).sqrt().max(1e-9);
            let step = len.min(t);
            p.0 = (p.0 + d.0 / len * step).clamp(8.0, w - 8.0);
            p.1 = (p.1 + d.1 / len * step).clamp(8.0, h - 8.0);
        }
        self.temperature = (t * 0.95).max(1.0);
    }

    fn draw_pixels(&mut self, ctx: &CanvasRenderingContext2d, states: &[u8], w: u32, h: u32, dark: bool) {
        let Some(cells) = self.grid else {
            return;
        };
        let bg: [u8; 3] = if dark { [15, 23, 42] } else { [255, 255, 255] };
        self.pixels.resize((w * h * 4) as usize, 0);
        for px in self.pixels.chunks_exact_mut(4) {
            px.copy_from_slice(&[bg[0], bg[1], bg[2], 255]);
        }
        // Every cell the same size; a one-pixel gap between cells of 4 pixels or more.
        let fill = if cells.side >= 4 { cells.side - 1 } else { cells.side };
        for (i, &s) in states.iter().enumerate() {
            if s == NodeState::Absent as u8 {
                continue;
            }
            let rgb = if dark { PALETTE[s as usize].1 } else { PALETTE[s as usize].0 };
            let (col, row) = (i as u32 % cells.cols, i as u32 / cells.cols);
            let (x0, y0) = (cells.x0 + col * cells.side, cells.y0 + row * cells.side);
            let (x1, y1) = (x0 + fill, y0 + fill);
            for y in y0..y1.min(h) {
                let line = (y * w) as usize * 4;
                for x in x0..x1.min(w) {
                    let p = line + x as usize * 4;
                    self.pixels[p..p + 3].copy_from_slice(&rgb);
                }
            }
        }
        let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&self.pixels), w, h) else { return };
        if !self.is_zoomed() {
            let _ = ctx.put_image_data(&img, 0.0, 0.0);
            return;
        }
        // put_image_data ignores transforms: paint an offscreen canvas, then scale it in.
        if self.offscreen.is_none() {
            self.offscreen = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("canvas").ok())
                .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok());
        }
        let Some(off) = &self.offscreen else { return };
        if off.width() != w || off.height() != h {
            off.set_width(w);
            off.set_height(h);
        }
        if let Some(octx) = context(off) {
            let _ = octx.put_image_data(&img, 0.0, 0.0);
            ctx.set_image_smoothing_enabled(false);
            let (z, (px, py)) = (self.zoom, self.pan);
            let _ =
                ctx.draw_image_with_html_canvas_element_and_dw_and_dh(off, px, py, f64::from(w) * z, f64::from(h) * z);
        }
    }
}

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}

/// How much larger than 16 px the page's type is (presenter mode sets 20 px):
/// charts scale their text and margins by it, so a projector's labels grow too.
pub fn text_scale() -> f64 {
    let root = web_sys::window().and_then(|w| {
        let el = w.document()?.document_element()?;
        w.get_computed_style(&el).ok().flatten()?.get_property_value("font-size").ok()
    });
    root.and_then(|px| px.trim_end_matches("px").parse::<f64>().ok()).map_or(1.0, |px| (px / 16.0).clamp(0.75, 2.0))
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
