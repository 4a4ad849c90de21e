//! Who can talk to whom: the overlay a node's peers are drawn from when it is
//! not everyone (`topology`). A fixed undirected graph, built once from the
//! scenario's seed and kept as adjacency arrays (CSR: one offset per node, the
//! neighbours in one flat array), so drawing a peer is two loads. Nodes that
//! join later link to `topology_degree` random nodes already there.
//!
//! Theory, for one rumor pushed with fanout 1 from one node of n:
//! - `ring` (each node linked to the `degree` nearest on the circle): the rumor
//!   moves out from the origin along both sides; spreading takes linear time;
//! - `torus` (a square grid wrapped at the edges, 4 neighbours): the front is
//!   a diamond, rounds grow as the diameter, √n;
//! - `random-regular` (every node `degree` random neighbours): an expander;
//!   push takes (1/ln(2(1-1/d)) - 1/(d·ln(1-1/d)))·ln n rounds (Fountoulakis and
//!   Panagiotou, 2010), tending to the complete graph's log2 n + ln n;
//! - `small-world` (Watts and Strogatz, 1998): the ring with each link rewired
//!   to a random node with probability `rewire_rate`; a few shortcuts take the
//!   time from linear towards logarithmic;
//! - `scale-free` (Barabási and Albert, 1999): each node links to degree/2
//!   earlier nodes chosen in proportion to their degree; hubs, logarithmic time.
//!
//! In every graph the time is bounded below by the diameter and, for push-pull,
//! above by O(log n / conductance) (Giakkoupis, 2011).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::protocol::NodeId;
use crate::scenario::Topology;
use crate::sim::rng::{self, Rng, RngCore};

/// The most links an edge list may hold (natively; the page allows fewer).
pub const MAX_EDGES: usize = 4_000_000;

/// A user's graph (`topology=edges`): undirected links between node ids.
///
/// Read from text as a file or a paste would hold it: one link per line, two
/// ids apart by spaces, a tab, a comma or a semicolon (`0 1`, `0,1`), with `#`
/// or `%` comments, blank lines and one header line of names (`source,target`)
/// skipped; or in the link's compact form, `a-b` pairs apart by commas or
/// spaces (`0-1,1-2,2-0`), which is how it is written back. A refusal names
/// the line, the text and what is wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeList(pub Vec<(NodeId, NodeId)>);

impl EdgeList {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The largest node id named, if any.
    pub fn max_node(&self) -> Option<NodeId> {
        self.0.iter().map(|&(a, b)| a.max(b)).max()
    }
}

impl FromStr for EdgeList {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let id = |tok: &str, line: usize, whole: &str| -> Result<NodeId, String> {
            tok.trim().parse::<NodeId>().map_err(|_| {
                format!(
                    "line {line} ('{}'): '{}' is not a node id (a whole number from 0)",
                    clip(whole),
                    clip(tok.trim())
                )
            })
        };
        let mut edges = Vec::new();
        let mut header_allowed = true;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.split(['#', '%']).next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let is_header = header_allowed && !body.bytes().any(|b| b.is_ascii_digit());
            header_allowed = false;
            if is_header {
                continue;
            }
            if body.contains('-') {
                for pair in body.split([',', ' ', '\t', ';']).filter(|p| !p.is_empty()) {
                    let (a, b) = pair.split_once('-').ok_or_else(|| {
                        format!("line {line}: '{}' is not a link; write a-b (for example 0-1)", clip(pair))
                    })?;
                    edges.push((id(a, line, pair)?, id(b, line, pair)?));
                    if edges.len() > MAX_EDGES {
                        return Err(format!("more than {MAX_EDGES} links; at most {MAX_EDGES}"));
                    }
                }
            } else {
                let toks: Vec<&str> = body.split([',', ' ', '\t', ';']).filter(|t| !t.is_empty()).collect();
                // A third column (a weight, as many edge lists have) is allowed and ignored.
                if !(2..=3).contains(&toks.len()) {
                    return Err(format!(
                        "line {line} ('{}'): a link is two node ids, such as '0 1' or '0-1'; found {} values",
                        clip(body),
                        toks.len()
                    ));
                }
                edges.push((id(toks[0], line, body)?, id(toks[1], line, body)?));
                if edges.len() > MAX_EDGES {
                    return Err(format!("more than {MAX_EDGES} links; at most {MAX_EDGES}"));
                }
            }
        }
        Ok(EdgeList(edges))
    }
}

/// At most 40 characters of `s`, for an error message.
fn clip(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

/// The link's compact form: `0-1,1-2`.
impl fmt::Display for EdgeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{a}-{b}")?;
        }
        Ok(())
    }
}

impl Serialize for EdgeList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for EdgeList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Pairs(Vec<(NodeId, NodeId)>),
        }
        match Form::deserialize(d)? {
            Form::Text(t) => t.parse().map_err(|e| serde::de::Error::custom(format!("edges: {e}"))),
            Form::Pairs(p) if p.len() > MAX_EDGES => {
                Err(serde::de::Error::custom(format!("edges: {} links; at most {MAX_EDGES}", p.len())))
            }
            Form::Pairs(p) => Ok(EdgeList(p)),
        }
    }
}

#[derive(Clone)]
pub struct Overlay {
    /// Node n's neighbours are `adj[start[n]..start[n + 1]]`.
    start: Vec<u32>,
    adj: Vec<NodeId>,
    /// Links of nodes that joined after the start (and the links to them), per
    /// node; empty when nobody can join.
    added: Vec<Vec<NodeId>>,
    degree: u32,
    ids: u32,
}

impl Overlay {
    /// The graph `kind` on `nodes` nodes (`given`: the user's, for `edges`),
    /// room for `capacity` (joiners).
    pub fn new(
        kind: Topology,
        nodes: u32,
        capacity: u32,
        degree: u32,
        rewire: f64,
        given: &EdgeList,
        rng: &mut Rng,
    ) -> Self {
        let n = nodes as usize;
        let edges: Vec<(NodeId, NodeId)> = match kind {
            Topology::Full => Vec::new(),
            Topology::Edges => given.0.clone(),
            Topology::Ring => lattice(n, degree),
            Topology::Torus => torus(n),
            Topology::RandomRegular => random_regular(n, degree, rng),
            Topology::SmallWorld => {
                let mut e = lattice(n, degree);
                rewire_edges(&mut e, n, rewire, rng);
                e
            }
            Topology::ScaleFree => scale_free(n, degree, rng),
        };
        let mut overlay = Self::from_edges(n, &edges);
        overlay.degree = degree;
        overlay.ids = nodes;
        if capacity > nodes {
            overlay.added = vec![Vec::new(); capacity as usize];
        }
        overlay
    }

    /// The graph of undirected `edges` on `n` nodes (duplicates and loops dropped).
    pub fn from_edges(n: usize, edges: &[(NodeId, NodeId)]) -> Self {
        let mut deg = vec![0u32; n + 1];
        let mut clean: Vec<(NodeId, NodeId)> =
            edges.iter().filter(|(a, b)| a != b).map(|&(a, b)| (a.min(b), a.max(b))).collect();
        clean.sort_unstable();
        clean.dedup();
        for &(a, b) in &clean {
            deg[a as usize] += 1;
            deg[b as usize] += 1;
        }
        let mut start = vec![0u32; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i];
        }
        let mut fill = start.clone();
        let mut adj = vec![0; start[n] as usize];
        for &(a, b) in &clean {
            adj[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
            adj[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        Overlay { start, adj, added: Vec::new(), degree: 0, ids: n as u32 }
    }

    /// Node n's neighbours from the start.
    fn initial(&self, n: NodeId) -> &[NodeId] {
        let n = n as usize;
        if n + 1 >= self.start.len() {
            return &[];
        }
        &self.adj[self.start[n] as usize..self.start[n + 1] as usize]
    }

    pub fn neighbours(&self, n: NodeId) -> Vec<NodeId> {
        let mut out = self.initial(n).to_vec();
        if let Some(more) = self.added.get(n as usize) {
            out.extend_from_slice(more);
        }
        out
    }

    pub fn degree_of(&self, n: NodeId) -> usize {
        self.initial(n).len() + self.added.get(n as usize).map_or(0, Vec::len)
    }

    /// A uniform neighbour of `n` (None: it has none).
    #[inline]
    pub fn peer<R: RngCore>(&self, n: NodeId, rng: &mut R) -> Option<NodeId> {
        let first = self.initial(n);
        let more = self.added.get(n as usize).map_or(&[][..], |v| v.as_slice());
        let len = first.len() + more.len();
        if len == 0 {
            return None;
        }
        let i = rng::index(rng, len as u32) as usize;
        Some(if i < first.len() { first[i] } else { more[i - first.len()] })
    }

    /// A node joined: it links to `degree` distinct random nodes already there.
    pub fn add_node(&mut self, node: NodeId, rng: &mut Rng) {
        self.ids = self.ids.max(node + 1);
        if self.added.len() <= node as usize || node == 0 {
            return;
        }
        let want = self.degree.max(1).min(node);
        let mut linked: Vec<NodeId> = Vec::with_capacity(want as usize);
        while (linked.len() as u32) < want {
            let to = rng::index(rng, node);
            if !linked.contains(&to) {
                linked.push(to);
            }
        }
        for &to in &linked {
            self.added[to as usize].push(node);
        }
        self.added[node as usize] = linked;
    }

    /// Ids in use (the initial nodes and those that joined).
    pub fn ids(&self) -> u32 {
        self.ids
    }

    /// Bytes the graph takes (for the memory figures).
    pub fn bytes(&self) -> usize {
        4 * (self.start.len() + self.adj.len()) + self.added.iter().map(|v| 24 + 4 * v.capacity()).sum::<usize>()
    }
}

/// The ring lattice: node i linked to the `degree / 2` nearest on each side
/// (at least 1).
fn lattice(n: usize, degree: u32) -> Vec<(NodeId, NodeId)> {
    let half = (degree / 2).max(1) as usize;
    let mut e = Vec::with_capacity(n * half);
    for i in 0..n {
        for k in 1..=half.min((n - 1) / 2).max(1) {
            e.push((i as NodeId, ((i + k) % n) as NodeId));
        }
    }
    e
}

/// A grid of `cols` = ⌈√n⌉ columns wrapped at both edges; a last row that is
/// short wraps down to the first row.
fn torus(n: usize) -> Vec<(NodeId, NodeId)> {
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let mut e = Vec::with_capacity(2 * n);
    for i in 0..n {
        let (r, c) = (i / cols, i % cols);
        let width = if r + 1 == rows { n - r * cols } else { cols };
        e.push((i as NodeId, (r * cols + (c + 1) % width) as NodeId));
        let below = if (r + 1) * cols + c < n { (r + 1) * cols + c } else { c };
        e.push((i as NodeId, below as NodeId));
    }
    e
}

/// A random `degree`-regular graph by the configuration model: the stubs paired
/// at random, then each loop or repeated pair swapped with a random other pair
/// until none is left (a few passes; what is left is dropped, which leaves a
/// node a link short: rare, and counted in the tests).
fn random_regular(n: usize, degree: u32, rng: &mut Rng) -> Vec<(NodeId, NodeId)> {
    let d = degree as usize;
    let mut stubs: Vec<NodeId> = (0..n * d).map(|s| (s / d) as NodeId).collect();
    if stubs.len() % 2 == 1 {
        stubs.pop();
    }
    rng::shuffle(rng, &mut stubs);
    let mut pairs: Vec<(NodeId, NodeId)> = stubs.chunks_exact(2).map(|p| (p[0].min(p[1]), p[0].max(p[1]))).collect();
    for _ in 0..20 {
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        let bad: Vec<usize> =
            (0..pairs.len()).filter(|&i| pairs[i].0 == pairs[i].1 || !seen.insert(pairs[i])).collect();
        if bad.is_empty() {
            break;
        }
        for i in bad {
            let j = rng::index(rng, pairs.len() as u32) as usize;
            let ((a, b), (c, e)) = (pairs[i], pairs[j]);
            pairs[i] = (a.min(c), a.max(c));
            pairs[j] = (b.min(e), b.max(e));
        }
    }
    pairs
}

/// Watts and Strogatz: each lattice link keeps its first end and, with
/// probability `p`, moves its other end to a random node (no loop; a link
/// already there is dropped when the graph is built).
fn rewire_edges(edges: &mut [(NodeId, NodeId)], n: usize, p: f64, rng: &mut Rng) {
    for e in edges.iter_mut() {
        if rng::unit(rng) < p {
            let to = rng::index(rng, n as u32 - 1);
            e.1 = crate::sim::sampler::other_than(e.0, to);
        }
    }
}

/// Barabási and Albert: a clique of m + 1 nodes, then each node links to m
/// distinct earlier nodes drawn in proportion to their degree (from the list of
/// every link's ends), m = degree / 2, at least 1.
fn scale_free(n: usize, degree: u32, rng: &mut Rng) -> Vec<(NodeId, NodeId)> {
    let m = ((degree / 2).max(1) as usize).min(n.saturating_sub(1)).max(1);
    let mut e = Vec::with_capacity(n * m);
    let mut ends: Vec<NodeId> = Vec::with_capacity(2 * n * m);
    for i in 0..=m.min(n - 1) {
        for j in 0..i {
            e.push((j as NodeId, i as NodeId));
            ends.extend([j as NodeId, i as NodeId]);
        }
    }
    let mut chosen: Vec<NodeId> = Vec::with_capacity(m);
    for i in m + 1..n {
        chosen.clear();
        while chosen.len() < m {
            let t = ends[rng::index(rng, ends.len() as u32) as usize];
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for &t in &chosen {
            e.push((t, i as NodeId));
            ends.extend([t, i as NodeId]);
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(kind: Topology, n: u32, degree: u32, rewire: f64) -> Overlay {
        Overlay::new(kind, n, n, degree, rewire, &EdgeList::default(), &mut rng::stream(3, rng::Stream::Sampler))
    }

    fn degrees(o: &Overlay, n: u32) -> Vec<usize> {
        (0..n).map(|i| o.degree_of(i)).collect()
    }

    /// Every graph is undirected: b is a's neighbour exactly when a is b's.
    fn symmetric(o: &Overlay, n: u32) -> bool {
        (0..n).all(|a| o.neighbours(a).iter().all(|&b| o.neighbours(b).contains(&a) && b != a))
    }

    #[test]
    fn shapes_have_their_degrees() {
        let ring = build(Topology::Ring, 100, 4, 0.0);
        assert!(degrees(&ring, 100).iter().all(|&d| d == 4));
        assert_eq!(ring.neighbours(0), vec![1, 2, 98, 99]);
        let torus = build(Topology::Torus, 100, 4, 0.0);
        assert!(degrees(&torus, 100).iter().all(|&d| d == 4));
        assert_eq!(torus.neighbours(0), vec![1, 9, 10, 90]);
        // 10 columns, a last row of 3: it wraps to the first row's first nodes.
        let short = build(Topology::Torus, 93, 4, 0.0);
        assert!(symmetric(&short, 93));
        let rr = build(Topology::RandomRegular, 1000, 5, 0.0);
        let d = degrees(&rr, 1000);
        assert!(d.iter().filter(|&&x| x == 5).count() >= 995, "almost every node has 5 links");
        let ba = build(Topology::ScaleFree, 2000, 4, 0.0);
        let d = degrees(&ba, 2000);
        assert!(d.iter().all(|&x| x >= 2));
        assert!(*d.iter().max().unwrap() > 40, "hubs: the largest degree is {}", d.iter().max().unwrap());
        for (o, n) in [(&ring, 100), (&torus, 100), (&rr, 1000), (&ba, 2000)] {
            assert!(symmetric(o, n));
        }
    }

    /// Rewiring 0 keeps the lattice; rewiring every link keeps the link count
    /// (less the few that land on a link already there) and breaks the lattice.
    #[test]
    fn small_world_rewires() {
        let lattice = build(Topology::SmallWorld, 500, 4, 0.0);
        assert_eq!(lattice.neighbours(10), vec![8, 9, 11, 12]);
        let random = build(Topology::SmallWorld, 500, 4, 1.0);
        let links: usize = degrees(&random, 500).iter().sum::<usize>() / 2;
        assert!((990..=1000).contains(&links), "{links} links");
        let far = (0..500u32)
            .filter(|&a| random.neighbours(a).iter().any(|&b| a.abs_diff(b) > 2 && a.abs_diff(b) < 498))
            .count();
        assert!(far > 450, "{far} nodes with a long link");
        assert!(symmetric(&random, 500));
    }

    /// A joiner links to `degree` nodes already there, and they to it.
    #[test]
    fn joiners_link_in() {
        let mut o = Overlay::new(
            Topology::Ring,
            10,
            12,
            2,
            0.0,
            &EdgeList::default(),
            &mut rng::stream(1, rng::Stream::Sampler),
        );
        let mut r = rng::stream(2, rng::Stream::Sampler);
        o.add_node(10, &mut r);
        o.add_node(11, &mut r);
        assert_eq!(o.degree_of(10), 2);
        assert!(symmetric(&o, 12));
        let mut draws = rng::stream(4, rng::Stream::Sampler);
        for _ in 0..50 {
            assert!(o.neighbours(11).contains(&o.peer(11, &mut draws).unwrap()));
        }
    }
}
