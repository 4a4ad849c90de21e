//! Where the graph's nodes go, and their colours: plain Rust shared by the
//! page's canvas (`graph`) and the command line's pictures (`render`).

/// Up to this many nodes are drawn as discs; more are a grid of pixel cells.
pub const CIRCLE_MAX: usize = 3000;
/// Up to this many nodes sit on a ring; more fill a disc.
const RING_MAX: usize = 64;

/// Colours per node state: (light theme, dark theme), as RGB.
pub const PALETTE: [([u8; 3], [u8; 3]); 7] = [
    ([148, 163, 184], [120, 134, 156]), // susceptible (dark: 5:1 on the dark background, for projectors)
    ([234, 88, 12], [251, 146, 60]),    // spreading
    ([22, 163, 74], [74, 222, 128]),    // informed, stopped
    ([30, 30, 30], [226, 232, 240]),    // crashed
    ([0, 0, 0], [0, 0, 0]),             // absent (not drawn)
    ([190, 18, 60], [251, 113, 133]),   // crashed, unnoticed by most
    ([202, 138, 4], [250, 204, 21]),    // suspected by most
];

pub use super::page::Layout;

/// Where each node is drawn (pixels), how large, and the cell grid of a large cluster.
pub struct Placement {
    pub positions: Vec<(f64, f64)>,
    pub radius: f64,
    pub cells: Option<Cells>,
    /// Regions drawn as groups: each one's name and where to write it.
    pub labels: Vec<(String, f64, f64)>,
}

/// Automatic placement with `regions` (k ≥ 2) of `nodes` nodes: each region's
/// nodes fill a disc of their own (a sunflower), the discs round a circle, each
/// named above it; None when the picture has no room for groups (a grid of cells).
pub fn place_regions(n: usize, nodes: u32, names: &[String], w: u32, h: u32) -> Option<Placement> {
    use crate::sim::network::region_of;
    let k = names.len() as u32;
    if k < 2 || n > CIRCLE_MAX || n == 0 {
        return None;
    }
    let (wf, hf) = (f64::from(w), f64::from(h));
    let (cx, cy) = (wf / 2.0, hf / 2.0 + 6.0);
    let big = (wf.min(hf) / 2.0 - 14.0).max(20.0);
    let kf = f64::from(k);
    // Discs on a ring, as large as fit without touching.
    let ring = big * 0.62;
    let disc = (ring * (std::f64::consts::PI / kf).sin() * 0.86).min(big - ring).max(8.0);
    let centre = |r: usize| {
        let a = std::f64::consts::TAU * r as f64 / kf - std::f64::consts::FRAC_PI_2;
        (cx + ring * a.cos(), cy + ring * a.sin())
    };
    let mut members = vec![0usize; k as usize];
    let region: Vec<usize> = (0..n as u32).map(|i| region_of(i, nodes, k)).collect();
    for &r in &region {
        members[r] += 1;
    }
    let most = members.iter().copied().max().unwrap_or(1).max(1);
    let radius = (disc * (std::f64::consts::PI / most as f64).sqrt() * 0.42).clamp(0.8, 10.0);
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut seen = vec![0usize; k as usize];
    let positions = region
        .iter()
        .map(|&r| {
            let (x0, y0) = centre(r);
            let i = seen[r];
            seen[r] += 1;
            let d = (disc - radius) * ((i as f64 + 0.5) / members[r].max(1) as f64).sqrt();
            let a = i as f64 * golden;
            (x0 + d * a.cos(), y0 + d * a.sin())
        })
        .collect();
    let labels =
        names.iter().enumerate().map(|(r, name)| (name.clone(), centre(r).0, centre(r).1 - disc - 4.0)).collect();
    Some(Placement { positions, radius, cells: None, labels })
}

/// Place `n` nodes in a `w` × `h` picture: automatic (a ring when few, a
/// sunflower spiral filling a disc when more), a ring, a grid, or random
/// places (also the force layout's start); more than `CIRCLE_MAX` nodes fill
/// a grid of equal cells.
pub fn place(layout: Layout, n: usize, w: u32, h: u32) -> Placement {
    let mut positions = Vec::with_capacity(n);
    let radius;
    let mut cells_out = None;
    let (wf, hf) = (f64::from(w), f64::from(h));
    if n <= CIRCLE_MAX {
        let (cx, cy) = (wf / 2.0, hf / 2.0);
        let r = (wf.min(hf) / 2.0 - 12.0).max(10.0);
        // Automatic: a ring when few (every message is a visible chord), else a
        // sunflower (Vogel spiral) that fills the disc evenly, so nodes stay large
        // enough to see and click.
        let sunflower = layout == Layout::Auto && n > RING_MAX;
        match layout {
            Layout::Auto | Layout::Circle if !sunflower => {
                let circumference = std::f64::consts::TAU * r;
                let min = if n <= RING_MAX { 2.0 } else { 0.8 };
                radius = (circumference / n.max(1) as f64 * 0.3).clamp(min, 10.0);
                for i in 0..n {
                    let a = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
                    positions.push((cx + r * a.cos(), cy + r * a.sin()));
                }
            }
            Layout::Grid => {
                let cols = ((n as f64 * wf / hf).sqrt().ceil() as usize).max(1);
                return grid(n, cols, w, h);
            }
            _ => {
                radius = (r * (std::f64::consts::PI / n.max(1) as f64).sqrt() * 0.42).clamp(0.8, 10.0);
                if sunflower {
                    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
                    for i in 0..n {
                        let d = r * ((i as f64 + 0.5) / n as f64).sqrt();
                        let a = i as f64 * golden;
                        positions.push((cx + d * a.cos(), cy + d * a.sin()));
                    }
                } else {
                    // Random places (a fixed hash of the id, so the picture is the same
                    // each time), and the force layout's starting point.
                    for i in 0..n as u64 {
                        let h = crate::sim::rng::mix64(i ^ 0x6c61_796f_7574);
                        let (u, v) =
                            ((h >> 40) as f64 / (1u64 << 24) as f64, (h & 0xff_ffff) as f64 / (1u64 << 24) as f64);
                        positions.push((12.0 + u * (wf - 24.0), 12.0 + v * (hf - 24.0)));
                    }
                }
            }
        }
    } else {
        // Square cells of one size, as large as fit.
        let cells = Cells::fit(n as u32, w, h);
        cells_out = Some(cells);
        radius = f64::from(cells.side) / 2.0;
        positions.extend((0..n as u32).map(|i| cells.centre(i)));
    }
    Placement { positions, radius, cells: cells_out, labels: Vec::new() }
}

/// `n` nodes in rows of `cols`, in id order (a torus topology's own grid).
pub fn grid(n: usize, cols: usize, w: u32, h: u32) -> Placement {
    let (wf, hf) = (f64::from(w), f64::from(h));
    let cols = cols.max(1);
    let rows = n.div_ceil(cols).max(1);
    let (cw, ch) = ((wf - 16.0) / cols as f64, (hf - 16.0) / rows as f64);
    let radius = (cw.min(ch) * 0.35).clamp(0.8, 10.0);
    let positions =
        (0..n).map(|i| (8.0 + ((i % cols) as f64 + 0.5) * cw, 8.0 + ((i / cols) as f64 + 0.5) * ch)).collect();
    Placement { positions, radius, cells: None, labels: Vec::new() }
}

/// A large cluster's grid: square cells of one whole number of pixels each, the
/// block centred in the canvas. Cells of equal size leave no moiré (cells of 2
/// and 3 pixels side by side, some with a gap and some without, drew stripes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cells {
    pub cols: u32,
    pub rows: u32,
    /// Side of a cell, in pixels.
    pub side: u32,
    pub x0: u32,
    pub y0: u32,
}

impl Cells {
    /// The largest cells that fit `n` nodes in a `w` × `h` canvas.
    pub fn fit(n: u32, w: u32, h: u32) -> Cells {
        let (n, w, h) = (n.max(1), w.max(1), h.max(1));
        let mut side = ((f64::from(w) * f64::from(h) / f64::from(n)).sqrt().floor() as u32).max(1);
        loop {
            let cols = (w / side).clamp(1, n);
            let rows = n.div_ceil(cols);
            if rows * side <= h || side == 1 {
                return Cells { cols, rows, side, x0: (w - cols * side) / 2, y0: h.saturating_sub(rows * side) / 2 };
            }
            side -= 1;
        }
    }

    /// The cell (node id) under a point, if any.
    pub fn at(&self, x: f64, y: f64, n: usize) -> Option<u32> {
        let (cx, cy) =
            ((x - f64::from(self.x0)) / f64::from(self.side), (y - f64::from(self.y0)) / f64::from(self.side));
        if cx < 0.0 || cy < 0.0 || cx >= f64::from(self.cols) || cy >= f64::from(self.rows) {
            return None;
        }
        let i = cy as u32 * self.cols + cx as u32;
        ((i as usize) < n).then_some(i)
    }

    pub fn centre(&self, i: u32) -> (f64, f64) {
        let (col, row) = (i % self.cols, i / self.cols);
        let half = f64::from(self.side) / 2.0;
        (f64::from(self.x0 + col * self.side) + half, f64::from(self.y0 + row * self.side) + half)
    }
}

/// The points of a series that fall in one pixel column (x floored): the
/// first, the lowest and highest y, and the last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub first: (f64, f64),
    pub low: f64,
    pub high: f64,
    pub last: (f64, f64),
    pub count: usize,
}

impl Column {
    /// The points a line through the column needs: its first, its extremes and its last.
    pub fn outline(&self) -> impl Iterator<Item = (f64, f64)> {
        let x = self.first.0;
        let inner = if self.count > 2 { [Some((x, self.low)), Some((x, self.high))] } else { [None, None] };
        std::iter::once(self.first).chain(inner.into_iter().flatten()).chain((self.count > 1).then_some(self.last))
    }
}

/// Points (x in pixels, in order) grouped by pixel column, so a chart draws a
/// run of any length with as many shapes as it has columns.
pub fn per_column(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for (x, y) in points {
        match out.last_mut() {
            Some(c) if c.first.0.floor() == x.floor() => {
                c.low = c.low.min(y);
                c.high = c.high.max(y);
                c.last = (x, y);
                c.count += 1;
            }
            _ => out.push(Column { first: (x, y), low: y, high: y, last: (x, y), count: 1 }),
        }
    }
    out
}

/// The node the keyboard moves to from `from` in the direction `dir` (screen
/// axes, y down): the nearest one ahead, a node straight ahead preferred to
/// one off to the side. None when no node lies that way.
pub fn step_towards(positions: &[(f64, f64)], from: usize, dir: (f64, f64)) -> Option<usize> {
    let &(fx, fy) = positions.get(from)?;
    positions
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != from)
        .filter_map(|(i, &(x, y))| {
            let (vx, vy) = (x - fx, y - fy);
            let ahead = vx * dir.0 + vy * dir.1;
            let aside = (vx * dir.1 - vy * dir.0).abs();
            (ahead > 1e-9 && aside <= 2.0 * ahead).then_some((i, ahead + 2.0 * aside))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hundred thousand points over 500 pixels become 500 columns of at most
    /// four points, keeping each column's extremes; sparse points stay as they are.
    #[test]
    fn columns_keep_the_shape() {
        let pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64 / 200.0, ((i * 37) % 101) as f64)).collect();
        let cols = per_column(pts.iter().copied());
        assert_eq!(cols.len(), 500);
        assert!(cols.iter().all(|c| c.count == 200 && c.low == 0.0 && c.high == 100.0));
        assert!(cols.iter().map(|c| c.outline().count()).sum::<usize>() <= 2000);
        let sparse = [(0.5, 1.0), (3.2, 2.0), (9.9, 0.5)];
        let cols = per_column(sparse);
        let drawn: Vec<(f64, f64)> = cols.iter().flat_map(Column::outline).collect();
        assert_eq!(drawn, sparse.to_vec());
        let pair = per_column([(1.1, 5.0), (1.7, 9.0)]);
        assert_eq!(pair[0].outline().collect::<Vec<_>>(), vec![(1.1, 5.0), (1.7, 9.0)]);
    }

    /// On a 3x3 grid the arrows move one cell, and stop at the edge.
    #[test]
    fn arrows_move_on_screen() {
        let grid: Vec<(f64, f64)> = (0..9).map(|i| (f64::from(i % 3), f64::from(i / 3))).collect();
        assert_eq!(step_towards(&grid, 4, (1.0, 0.0)), Some(5));
        assert_eq!(step_towards(&grid, 4, (-1.0, 0.0)), Some(3));
        assert_eq!(step_towards(&grid, 4, (0.0, 1.0)), Some(7));
        assert_eq!(step_towards(&grid, 4, (0.0, -1.0)), Some(1));
        assert_eq!(step_towards(&grid, 5, (1.0, 0.0)), None);
        assert_eq!(step_towards(&grid, 0, (0.0, -1.0)), None);
        assert_eq!(step_towards(&grid, 9, (1.0, 0.0)), None);
        // Off to the side but nothing straight ahead: the diagonal neighbour.
        let sparse = [(0.0, 0.0), (1.0, 1.0), (5.0, 0.5)];
        assert_eq!(step_towards(&sparse, 0, (1.0, 0.0)), Some(1));
    }
}
