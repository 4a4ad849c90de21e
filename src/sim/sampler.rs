//! The peer sampling service: `init()` (the nodes a node knows at start-up) and
//! `get_peer()` (an independent random peer), as the description names them.
//!
//! - `Full`: every node knows every id; `get_peer` is uniform over the others.
//! - `Partial`: each node keeps a view of `view_size` peers, bootstrapped from
//!   the seed nodes plus random ids, and refreshed every interval by a
//!   Cyclon shuffle: a node ages its entries, swaps half of its view (itself
//!   included, age 0) with its oldest neighbour, and both merge what they got.

use crate::protocol::NodeId;
use crate::sim::rng::{self, Rng, RngCore};

const EMPTY: NodeId = NodeId::MAX;

#[derive(Clone)]
pub enum PeerSampler {
    Full {
        ids: u32,
    },
    Partial(PartialViews),
    /// A fixed overlay (`topology`): a node's peers are its neighbours.
    Graph(crate::sim::topology::Overlay),
}

#[derive(Clone)]
pub struct PartialViews {
    c: usize,
    /// `c` slots per node; EMPTY marks a free slot.
    view: Vec<NodeId>,
    age: Vec<u16>,
    seeds: u32,
    ids: u32,
    /// Bytes the shuffles put on the wire so far.
    pub shuffle_bytes: u64,
    pub shuffle_msgs: u64,
    scratch_a: Vec<(NodeId, u16)>,
    scratch_b: Vec<(NodeId, u16)>,
}

/// Bytes of one view entry on the wire: id (4) + address and port (6) + age (2).
const ENTRY_BYTES: u32 = 12;

/// Node `r` of the ids other than `node` (r in 0..ids - 1): a full view's peer.
#[inline(always)]
pub fn other_than(node: NodeId, r: u32) -> NodeId {
    if r >= node {
        r + 1
    } else {
        r
    }
}

/// A uniform peer of `node` other than itself, from a full view of `ids` nodes (at least 2).
#[inline]
pub fn full_view_peer<R: RngCore>(node: NodeId, ids: u32, rng: &mut R) -> NodeId {
    other_than(node, rng::index(rng, ids - 1))
}

impl PeerSampler {
    pub fn full(ids: u32) -> Self {
        PeerSampler::Full { ids }
    }

    pub fn partial(ids: u32, capacity: u32, view_size: u32, seeds: u32, rng: &mut Rng) -> Self {
        let c = view_size as usize;
        let mut p = PartialViews {
            c,
            view: vec![EMPTY; capacity as usize * c],
            age: vec![0; capacity as usize * c],
            seeds,
            ids,
            shuffle_bytes: 0,
            shuffle_msgs: 0,
            scratch_a: Vec::with_capacity(c),
            scratch_b: Vec::with_capacity(c),
        };
        for n in 0..ids {
            p.bootstrap(n, rng);
        }
        PeerSampler::Partial(p)
    }

    /// The nodes `node` knows at start-up.
    pub fn init(&self, node: NodeId) -> Vec<NodeId> {
        match self {
            PeerSampler::Full { ids } => (0..*ids).filter(|&i| i != node).collect(),
            PeerSampler::Partial(p) => p.slots(node).iter().copied().filter(|&x| x != EMPTY).collect(),
            PeerSampler::Graph(g) => g.neighbours(node),
        }
    }

    /// An independent random peer of `node` (never `node` itself).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn get_peer<R: RngCore>(&self, node: NodeId, rng: &mut R) -> Option<NodeId> {
        match self {
            PeerSampler::Full { ids } => {
                if *ids < 2 {
                    return None;
                }
                Some(full_view_peer(node, *ids, rng))
            }
            PeerSampler::Partial(p) => p.get_peer(node, rng),
            PeerSampler::Graph(g) => g.peer(node, rng),
        }
    }

    /// A new node id joined (ids are allocated in order).
    pub fn add_node(&mut self, node: NodeId, rng: &mut Rng) {
        match self {
            PeerSampler::Full { ids } => *ids = (*ids).max(node + 1),
            PeerSampler::Partial(p) => {
                p.ids = p.ids.max(node + 1);
                p.bootstrap(node, rng);
            }
            PeerSampler::Graph(g) => g.add_node(node, rng),
        }
    }

    /// A restarted node starts again from its seeds.
    pub fn restart_node(&mut self, node: NodeId, rng: &mut Rng) {
        if let PeerSampler::Partial(p) = self {
            p.bootstrap(node, rng);
        }
    }

    pub fn view_size(&self, node: NodeId) -> usize {
        match self {
            PeerSampler::Full { ids } => ids.saturating_sub(1) as usize,
            PeerSampler::Partial(p) => p.slots(node).iter().filter(|&&x| x != EMPTY).count(),
            PeerSampler::Graph(g) => g.degree_of(node),
        }
    }

    /// Mean and standard deviation of the in-degree over the given nodes.
    pub fn in_degree_stats(&self, live: impl Fn(NodeId) -> bool) -> (f64, f64) {
        match self {
            PeerSampler::Full { ids } => ((*ids as f64 - 1.0).max(0.0), 0.0),
            PeerSampler::Graph(g) => {
                let deg: Vec<f64> = (0..g.ids()).filter(|&n| live(n)).map(|n| g.degree_of(n) as f64).collect();
                let k = deg.len().max(1) as f64;
                let mean = deg.iter().sum::<f64>() / k;
                (mean, (deg.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / k).sqrt())
            }
            PeerSampler::Partial(p) => {
                let mut deg = vec![0u32; p.ids as usize];
                for n in (0..p.ids).filter(|&n| live(n)) {
                    for &x in p.slots(n) {
                        if x != EMPTY {
                            deg[x as usize] += 1;
                        }
                    }
                }
                let live_deg: Vec<f64> = (0..p.ids).filter(|&n| live(n)).map(|n| f64::from(deg[n as usize])).collect();
                let k = live_deg.len().max(1) as f64;
                let mean = live_deg.iter().sum::<f64>() / k;
                let var = live_deg.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / k;
                (mean, var.sqrt())
            }
        }
    }
}

impl PartialViews {
    #[inline(never)]
    fn get_peer<R: RngCore>(&self, node: NodeId, rng: &mut R) -> Option<NodeId> {
        let slots = self.slots(node);
        // Views are kept compact: filled slots first.
        let len = slots.iter().position(|&x| x == EMPTY).unwrap_or(slots.len());
        if len == 0 {
            return None;
        }
        Some(slots[rng::index(rng, len as u32) as usize])
    }

    fn slots(&self, n: NodeId) -> &[NodeId] {
        &self.view[n as usize * self.c..(n as usize + 1) * self.c]
    }

    fn bootstrap(&mut self, n: NodeId, rng: &mut Rng) {
        let c = self.c;
        let base = n as usize * c;
        self.view[base..base + c].iter_mut().for_each(|x| *x = EMPTY);
        self.age[base..base + c].iter_mut().for_each(|a| *a = 0);
        let mut len = 0;
        // Seeds first: every node must know them, so the overlay stays connected.
        for s in 0..self.seeds.min(self.ids) {
            if len < c && s != n {
                self.view[base + len] = s;
                len += 1;
            }
        }
        // Then random ids, as a bootstrap service would hand out; bounded attempts.
        let mut attempts = 0;
        while len < c && attempts < 8 * c && self.ids > 1 {
            attempts += 1;
            let cand = rng::index(rng, self.ids);
            if cand != n && !self.view[base..base + len].contains(&cand) {
                self.view[base + len] = cand;
                len += 1;
            }
        }
    }

    /// One Cyclon shuffle initiated by `p`. `up(x)` says whether x is alive and
    /// reachable from p; a dead oldest neighbour is dropped from the view.
    pub fn shuffle(&mut self, p: NodeId, rng: &mut Rng, up: impl Fn(NodeId, NodeId) -> bool) {
        let c = self.c;
        let l = (c / 2).max(1);
        let base_p = p as usize * c;
        let len_p = self.view[base_p..base_p + c].iter().position(|&x| x == EMPTY).unwrap_or(c);
        if len_p == 0 {
            return;
        }
        for a in &mut self.age[base_p..base_p + len_p] {
            *a = a.saturating_add(1);
        }
        // The oldest neighbour.
        let (oi, _) =
            (0..len_p).map(|i| (i, self.age[base_p + i])).max_by_key(|&(i, a)| (a, std::cmp::Reverse(i))).unwrap();
        let q = self.view[base_p + oi];
        self.remove_slot(p, oi);
        if !up(p, q) {
            // No answer: the neighbour is gone from p's view (Cyclon's failure handling).
            self.shuffle_msgs += 1;
            self.shuffle_bytes += u64::from(crate::protocol::IP_UDP_HEADER + ENTRY_BYTES * l as u32);
            return;
        }
        // p sends itself (age 0) and l-1 random others; q answers with l random entries.
        let mut sent = std::mem::take(&mut self.scratch_a);
        let mut got = std::mem::take(&mut self.scratch_b);
        sent.clear();
        got.clear();
        sent.push((p, 0));
        self.sample_into(p, l - 1, rng, &mut sent);
        self.sample_into(q, l, rng, &mut got);
        self.shuffle_msgs += 2;
        self.shuffle_bytes += 2 * u64::from(crate::protocol::IP_UDP_HEADER + 8)
            + u64::from(ENTRY_BYTES) * (sent.len() + got.len()) as u64;
        self.merge(q, &sent, &got);
        self.merge(p, &got, &sent[1..]);
        self.scratch_a = sent;
        self.scratch_b = got;
    }

    fn sample_into(&self, n: NodeId, k: usize, rng: &mut Rng, out: &mut Vec<(NodeId, u16)>) {
        let base = n as usize * self.c;
        let len = self.slots(n).iter().position(|&x| x == EMPTY).unwrap_or(self.c);
        let mut idx: Vec<usize> = (0..len).collect();
        rng::shuffle(rng, &mut idx);
        for &i in idx.iter().take(k) {
            out.push((self.view[base + i], self.age[base + i]));
        }
    }

    fn remove_slot(&mut self, n: NodeId, i: usize) {
        let c = self.c;
        let base = n as usize * c;
        let len = self.view[base..base + c].iter().position(|&x| x == EMPTY).unwrap_or(c);
        self.view[base + i] = self.view[base + len - 1];
        self.age[base + i] = self.age[base + len - 1];
        self.view[base + len - 1] = EMPTY;
    }

    /// Cyclon merge at `n`: take `incoming` entries that are new and not `n`,
    /// into free slots first, then over the entries `n` gave away.
    fn merge(&mut self, n: NodeId, incoming: &[(NodeId, u16)], gave: &[(NodeId, u16)]) {
        let c = self.c;
        let base = n as usize * c;
        let mut replaceable: Vec<NodeId> = gave.iter().map(|e| e.0).collect();
        for &(x, age) in incoming {
            if x == n || self.view[base..base + c].contains(&x) {
                continue;
            }
            if let Some(free) = self.view[base..base + c].iter().position(|&v| v == EMPTY) {
                self.view[base + free] = x;
                self.age[base + free] = age;
            } else if let Some(r) = replaceable.pop() {
                if let Some(slot) = self.view[base..base + c].iter().position(|&v| v == r) {
                    self.view[base + slot] = x;
                    self.age[base + slot] = age;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{stream, Stream};

    /// Full views never return the caller and cover every other node.
    #[test]
    fn full_view_is_uniform_over_others() {
        let s = PeerSampler::full(5);
        let mut rng = stream(3, Stream::Sampler);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[s.get_peer(2, &mut rng).unwrap() as usize] += 1;
        }
        assert_eq!(seen[2], 0);
        assert!(seen.iter().enumerate().filter(|(i, _)| *i != 2).all(|(_, &c)| c > 2300 && c < 2700), "{seen:?}");
    }

    /// Partial views hold the seeds at start, stay within size, never contain the owner,
    /// and after shuffles the in-degree spread stays small (Cyclon's balanced overlay).
    #[test]
    fn cyclon_keeps_views_valid_and_balanced() {
        let n = 500;
        let mut rng = stream(9, Stream::Sampler);
        let mut s = PeerSampler::partial(n, n, 8, 2, &mut rng);
        assert!(s.init(5).contains(&0) && s.init(5).contains(&1));
        for _round in 0..30 {
            for p in 0..n {
                if let PeerSampler::Partial(v) = &mut s {
                    v.shuffle(p, &mut rng, |_, _| true);
                }
            }
        }
        for p in 0..n {
            let view = s.init(p);
            assert!(!view.contains(&p));
            assert!(view.len() <= 8 && view.len() >= 4, "node {p} view {}", view.len());
            let mut d = view.clone();
            d.sort_unstable();
            d.dedup();
            assert_eq!(d.len(), view.len(), "duplicates in view of {p}");
        }
        let (mean, std) = s.in_degree_stats(|_| true);
        assert!(mean > 6.0 && std < 3.0, "in-degree {mean} ± {std}");
    }
}
