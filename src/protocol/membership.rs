//! Scuttlebutt-style membership and application state (van Renesse et al.,
//! 2008; as in Cassandra, ScyllaDB and chitchat), with a failure detector.
//!
//! Every node owns an endpoint state: a generation (raised on each restart), a
//! heartbeat, and `app_keys` application keys. Every change (a heartbeat tick,
//! a key write, a delete) takes the next value of the owner's version counter,
//! so "what I know of p" is summed up by a digest (generation, max version).
//!
//! Each interval a node bumps its heartbeat, runs its failure detector over
//! every peer it knows, and gossips with `fanout` peers it believes alive (plus,
//! as Cassandra does, now and then one it believes dead and one seed):
//! - SYN: a digest per endpoint it knows;
//! - ACK: what the receiver has that is newer (a newer generation replaces the
//!   whole state), and digests of what it lacks;
//! - ACK2: what the initiator has of those.
//!
//! Deltas never exceed the MTU: the most out-of-date endpoints go first and the
//! rest follow in later rounds; within an endpoint, entries go in version
//! order, so a cut delta leaves no gap.
//!
//! Deletes write tombstones; an observer drops a tombstone `tombstone_grace_ms`
//! after it learned it. A node away for longer than that never hears of the
//! delete and keeps the key: the deleted key comes back (resurrection), at that
//! node and at every node that learns the endpoint from it afresh.
//!
//! Failure detection (`detector=`): `timeout` marks a peer dead when its
//! heartbeat has not advanced for `fail_timeout_ms`; `phi` is the accrual
//! detector (Hayashibara et al.) with exponential inter-arrival times, as in
//! Cassandra: phi = log10(e) x (time since the last heartbeat) / (mean interval).

use std::collections::BTreeMap;

use crate::metrics::UpdateStats;
use crate::protocol::shared::SharedTable;
use crate::protocol::updates::Ledger;
use crate::protocol::{Ctx, EventKind, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{Attack, Detector, Scenario, Verify};
use crate::sim::rng;

/// Membership's figures: crash detection, false positives and a key's convergence.
pub const FIGURES: &[crate::metrics::FigureSpec] = &[
    crate::protocol::DETECT_FIRST,
    crate::protocol::DETECT_ALL,
    // With what makes them soar here.
    crate::protocol::FALSE_POSITIVES.described(
        "Times a live node was marked dead by an observer. Past a few hundred nodes, deltas cut to the MTU leave \
         heartbeats stale for intervals and the count soars: a larger mtu_bytes (a TCP stream, as Cassandra \
         gossips) brings it back down.",
    ),
    crate::metrics::FigureSpec::new(
        "state_converge_ms",
        "to converge a key",
        crate::metrics::Shown::Ms,
        "From a key's write until every live node holds it.",
    ),
];

/// Gossip header: message type (1), flags (1), sender id (4), sequence (4), cluster id (8).
const HEADER: u32 = 18;
/// A digest: endpoint (4), generation (4), max version (8).
const DIGEST: u32 = 16;
/// An endpoint's delta header: endpoint (4), generation (4), entry count (2).
const DELTA_HEADER: u32 = 10;
/// An entry: key (2), version (8), then the value.
const ENTRY: u32 = 10;
/// The heartbeat's value.
const HEARTBEAT_VALUE: u32 = 8;
/// Most events kept per node for the inspector.
const LOG: usize = 32;

const TOMBSTONE: u64 = 1 << 63;

/// What an observer believes of a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Unknown,
    Alive,
    Dead,
}

/// An observer's view of one peer. There is one per pair of nodes (the
/// failure detector's arrival times are each observer's own), so it is kept to
/// 32 bytes: versions and the heartbeat in 32 bits (an honest node needs 2^32
/// ticks to pass them, 50 days at a 1 ms interval; forged ones stop there), and
/// the generation, status and a forged heartbeat in one word.
#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    /// Generation (low 29 bits), forged heartbeat (bit 29), status (bits 30 and 31).
    word: u32,
    heartbeat: u32,
    heartbeat_version: u32,
    max_version: u32,
    /// Local time the heartbeat last advanced, and the mean time between advances.
    last_beat_us: u64,
    mean_gap_us: f64,
}

const UNKNOWN: View =
    View { word: 0, heartbeat: 0, heartbeat_version: 0, max_version: 0, last_beat_us: 0, mean_gap_us: 0.0 };

/// Generations past this stay there (a node restarting every millisecond for six days).
const GENERATION_MAX: u32 = (1 << 29) - 1;
const HB_FORGED: u32 = 1 << 29;

impl View {
    /// Known as `status` at `generation`, and nothing more.
    fn new(generation: u32, status: Status) -> View {
        View { word: generation.min(GENERATION_MAX), ..UNKNOWN }.with_status(status)
    }

    fn generation(&self) -> u32 {
        self.word & GENERATION_MAX
    }

    fn status(&self) -> Status {
        match self.word >> 30 {
            0 => Status::Unknown,
            1 => Status::Alive,
            _ => Status::Dead,
        }
    }

    fn with_status(self, status: Status) -> View {
        View { word: self.word & !(3 << 30) | (status as u32) << 30, ..self }
    }

    /// The heartbeat held did not come from its owner (a malicious node made it).
    fn hb_forged(&self) -> bool {
        self.word & HB_FORGED != 0
    }

    fn set_heartbeat(&mut self, version: u64, value: u64, forged: bool) {
        self.heartbeat_version = narrow(version);
        self.heartbeat = narrow(value);
        self.word = self.word & !HB_FORGED | if forged { HB_FORGED } else { 0 };
    }

    fn max_version(&self) -> u64 {
        u64::from(self.max_version)
    }

    fn heartbeat_version(&self) -> u64 {
        u64::from(self.heartbeat_version)
    }
}

/// A version or heartbeat as a view holds it (see `View`).
fn narrow(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Bytes of a signature on the wire with `verify=signatures` (ed25519's size).
const SIGNATURE: u32 = 64;

/// The most endpoints whose new heartbeat one message can carry (a delta of one
/// heartbeat each, in the MTU). Past a few times this many nodes, heartbeats go
/// stale between exchanges and the detector marks live nodes dead.
pub fn heartbeats_per_message(s: &Scenario) -> u32 {
    let sig = if s.verify == Verify::Signatures { SIGNATURE } else { 0 };
    s.mtu_bytes.saturating_sub(IP_UDP_HEADER + HEADER + 4) / (DELTA_HEADER + ENTRY + HEARTBEAT_VALUE + sig)
}

/// How far a forged version jumps ahead of the owner's.
const FORGE_JUMP: u64 = 1000;

/// One application key as an observer holds it (16 bytes): version (top bit:
/// tombstone), and the highest version counted as delivered (kept when a
/// tombstone is collected, so a write is never counted twice; top bit: not
/// from its owner, a malicious node made it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry {
    version: u64,
    credit: u64,
}

const FORGED: u64 = 1 << 63;

impl Entry {
    fn new(version: u64, credited: u64, forged: bool) -> Entry {
        Entry { version, credit: credited | if forged { FORGED } else { 0 } }
    }

    fn credited(&self) -> u64 {
        self.credit & !FORGED
    }

    fn forged(&self) -> bool {
        self.credit & FORGED != 0
    }

    /// A value of the key, not a tombstone (and not nothing).
    fn is_live(&self) -> bool {
        self.version > 0 && self.version & TOMBSTONE == 0
    }

    fn is_tombstone(&self) -> bool {
        self.version & TOMBSTONE != 0
    }
}

/// Every observer's entries of every node's keys. Once a write has spread, all
/// observers hold the same entry, so the table keeps what most hold plus each
/// observer's differences (`SharedTable`), not nodes² x keys entries; and the
/// time an observer learned a tombstone, which only a tombstone needs (for its
/// collection), beside it.
#[derive(Clone)]
struct Keys {
    per_node: usize,
    table: SharedTable<Entry>,
    /// Per observer: (node x per_node + key, learned at) of each tombstone it holds.
    tombstones: Vec<Vec<(u32, u64)>>,
}

impl Keys {
    fn new(nodes: usize, per_node: usize) -> Keys {
        Keys {
            per_node,
            table: SharedTable::with_shape(nodes, nodes * per_node, Entry::default()),
            tombstones: vec![Vec::new(); nodes],
        }
    }

    fn get(&self, o: NodeId, p: NodeId, k: usize) -> Entry {
        self.table.get(o as usize, p as usize * self.per_node + k)
    }

    /// o now holds `e` for p's key k, learned at `now` (kept for a tombstone).
    fn set(&mut self, o: NodeId, p: NodeId, k: usize, e: Entry, now: u64) {
        let at = p as usize * self.per_node + k;
        self.table.set(o as usize, at, e);
        let held = &mut self.tombstones[o as usize];
        let i = held.iter().position(|t| t.0 as usize == at);
        match (i, e.is_tombstone()) {
            (Some(i), true) => held[i].1 = now,
            (None, true) => held.push((at as u32, now)),
            (Some(i), false) => {
                held.swap_remove(i);
            }
            (None, false) => {}
        }
    }

    /// o holds nothing (a restart).
    fn clear(&mut self, o: NodeId) {
        self.table.reset_row(o as usize, Entry::default(), &[]);
        self.tombstones[o as usize].clear();
    }

    /// o drops the tombstones it learned at or before `before`, keeping what they credited.
    fn collect(&mut self, o: NodeId, before: u64) {
        let held = &mut self.tombstones[o as usize];
        if held.iter().all(|t| t.1 > before) {
            return;
        }
        let (gone, kept): (Vec<_>, Vec<_>) = held.iter().partition(|t| t.1 <= before);
        *held = kept;
        for (at, _) in gone {
            let e = self.table.get(o as usize, at as usize);
            self.table.set(o as usize, at as usize, Entry::new(0, e.credited(), false));
        }
    }
}

/// A change of one endpoint: (key or HEARTBEAT, version with the tombstone bit,
/// heartbeat value, the owner's signature; 0 when nobody can forge one).
type Change = (u16, u64, u64, u64);
const HEARTBEAT: u16 = u16::MAX;

/// The newer state of one endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delta {
    pub endpoint: NodeId,
    pub generation: u32,
    /// Changes in version order.
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberMsg {
    /// Digests (endpoint, generation, max version) of every endpoint the sender knows.
    /// (One list, shared by the copies sent to each peer.)
    Syn { digests: std::sync::Arc<[(NodeId, u32, u64)]> },
    /// Newer states the receiver had, and digests of what it lacks.
    Ack { deltas: Vec<Delta>, wants: Vec<(NodeId, u32, u64)> },
    /// The initiator's answer to the wants.
    Ack2 { deltas: Vec<Delta> },
}

/// One event in a node's log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub t_us: u64,
    pub peer: NodeId,
    pub what: &'static str,
    pub detail: u64,
}

#[derive(Clone)]
pub struct Membership {
    detector: Detector,
    fail_timeout_us: u64,
    phi_threshold: f64,
    fanout: u32,
    seeds: u32,
    app_keys: usize,
    key_rate_per_tick: f64,
    grace_us: u64,
    payload_bytes: u32,
    mtu_bytes: u32,
    interval_us: u64,
    /// Ids in use (capacity: nodes plus joins).
    cap: usize,
    /// `views[o * cap + p]`: what o believes of p.
    views: Vec<View>,
    /// What o holds of p's application keys.
    app: Keys,
    /// Truth, for the metrics: up, and the current generation.
    up: Vec<bool>,
    generation: Vec<u32>,
    /// How many live observers believe each node alive (current generation) or dead.
    alive_votes: Vec<u32>,
    dead_votes: Vec<u32>,
    logs: Vec<Vec<Event>>,
    /// Writes of application keys, for the state convergence figures.
    ledger: Ledger,
    /// (owner, generation, key) -> [(version, ledger id)].
    writes: BTreeMap<(NodeId, u32, u16), Vec<(u64, usize)>>,
    /// The next key each node writes.
    next_key: Vec<u16>,
    detections: crate::protocol::Detections,
    false_positives: crate::protocol::FalsePositives,
    /// Sum and count of phi when a crashed peer was marked dead (detector=phi).
    phi_at_detection: (f64, u32),
    /// Restarts: (node, at, generation, all live see it alive at).
    rejoins: Vec<(NodeId, u64, u32, Option<u64>)>,
    /// View agreement: (observer, peer) pairs whose status matches the truth.
    agree: u64,
    deltas_cut: u64,
    /// The latest time a node ticked, for the inspector's phi.
    now_us: u64,
    /// Malicious nodes and what they do.
    malicious: std::ops::Range<NodeId>,
    attack: Attack,
    verify: bool,
    /// Changes carry signatures (there are malicious nodes, or they are checked).
    signed: bool,
    /// Key of the nodes' signing secrets.
    secret_key: u64,
    /// Forged changes rejected by a signature check.
    rejected: u64,
    forged_sent: u64,
    polluted_series: Vec<f64>,
    /// The key deleted last (owner, key, the delete's version): the page charts the
    /// share of live nodes that still hold a live copy of it, per round.
    deleted: Option<(NodeId, usize, u64)>,
    /// Per observer, for the deleted key: it held the tombstone (so a live copy
    /// later is the key coming back), and it holds a copy the delete can no longer reach.
    saw_delete: Vec<bool>,
    outlived: Vec<bool>,
    holding_series: Vec<f64>,
    /// Samples taken (one per round), for where the holding series starts.
    samples: usize,
    /// Observers that took back a deleted key's older value (they had collected the tombstone).
    resurrections: u64,
}

impl Membership {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let k = s.app_keys as usize;
        let mut m = Membership {
            // The live settings (`retune`, just below, sets them from the scenario).
            detector: Detector::Phi,
            fail_timeout_us: 0,
            phi_threshold: 0.0,
            fanout: 0,
            key_rate_per_tick: 0.0,
            interval_us: 0,
            seeds: s.seeds,
            app_keys: k,
            grace_us: s.tombstone_grace_ms * 1000,
            payload_bytes: s.payload_bytes,
            mtu_bytes: s.mtu_bytes,
            cap,
            views: vec![UNKNOWN; cap * cap],
            app: Keys::new(cap, k),
            up: vec![false; cap],
            generation: vec![1; cap],
            alive_votes: vec![0; cap],
            dead_votes: vec![0; cap],
            logs: vec![Vec::new(); cap],
            ledger: Ledger::default(),
            writes: BTreeMap::new(),
            next_key: vec![0; cap],
            detections: crate::protocol::Detections::default(),
            false_positives: crate::protocol::FalsePositives::default(),
            phi_at_detection: (0.0, 0),
            rejoins: Vec::new(),
            agree: 0,
            deltas_cut: 0,
            now_us: 0,
            malicious: crate::protocol::malicious(s),
            attack: s.attack,
            verify: s.verify == Verify::Signatures,
            signed: s.verify == Verify::Signatures || s.malicious_count() > 0,
            secret_key: rng::derive(s.seed, 0x5167),
            rejected: 0,
            forged_sent: 0,
            polluted_series: Vec::new(),
            deleted: None,
            saw_delete: vec![false; cap],
            outlived: vec![false; cap],
            holding_series: Vec::new(),
            samples: 0,
            resurrections: 0,
        };
        m.retune(s);
        m.up[..s.nodes as usize].fill(true);
        for n in 0..s.nodes {
            m.boot(n, 0);
        }
        for n in 0..s.nodes {
            m.count_observer(n, 1);
        }
        m
    }

    fn vi(&self, o: NodeId, p: NodeId) -> usize {
        o as usize * self.cap + p as usize
    }

    /// A node starts (or restarts) with an empty table (see `forget`): it knows
    /// itself and the seed nodes. Its views are not counted here (see `count_observer`).
    fn boot(&mut self, n: NodeId, now_us: u64) {
        let cap = self.cap;
        let row = n as usize * cap;
        let g = self.generation[n as usize];
        self.views[row + n as usize] = View::new(g, Status::Alive);
        for seed in 0..self.seeds.min(cap as u32) {
            if seed != n {
                // Known by address only: no generation or heartbeat yet.
                self.views[row + seed as usize] = View { last_beat_us: now_us, ..View::new(0, Status::Alive) };
            }
        }
    }

    /// n's table is gone (a restart).
    fn forget(&mut self, n: NodeId) {
        let row = n as usize * self.cap;
        self.views[row..row + self.cap].fill(UNKNOWN);
        if self.app_keys > 0 {
            self.app.clear(n);
        }
    }

    /// Change o's view of p, keeping the vote counters and the agreement right.
    fn set_view(&mut self, o: NodeId, p: NodeId, v: View) {
        let i = self.vi(o, p);
        let old = self.views[i];
        if o != p && self.up[o as usize] {
            self.vote(o, p, &old, -1);
            self.vote(o, p, &v, 1);
        }
        self.views[i] = v;
    }

    fn vote(&mut self, o: NodeId, p: NodeId, v: &View, sign: i64) {
        let pu = p as usize;
        let add = |x: &mut u32| *x = (i64::from(*x) + sign) as u32;
        match v.status() {
            Status::Alive if v.generation() == self.generation[pu] => add(&mut self.alive_votes[pu]),
            Status::Dead => add(&mut self.dead_votes[pu]),
            _ => {}
        }
        if self.correct(p, v) {
            self.agree = (self.agree as i64 + sign) as u64;
        }
        let _ = o;
    }

    /// Does this view of p match the truth?
    fn correct(&self, p: NodeId, v: &View) -> bool {
        if self.up[p as usize] {
            v.status() == Status::Alive && v.generation() == self.generation[p as usize]
        } else {
            v.status() != Status::Alive
        }
    }

    /// Recount o's votes when o goes down or up (its views stop or start counting).
    fn count_observer(&mut self, o: NodeId, sign: i64) {
        for p in 0..self.cap as NodeId {
            if p != o {
                let v = self.views[self.vi(o, p)];
                self.vote(o, p, &v, sign);
            }
        }
    }

    /// Recount every observer's vote on p when p's truth changes.
    fn recount_peer(&mut self, p: NodeId, change: impl FnOnce(&mut Self)) {
        for o in 0..self.cap as NodeId {
            if o != p && self.up[o as usize] {
                let v = self.views[self.vi(o, p)];
                self.vote(o, p, &v, -1);
            }
        }
        change(self);
        for o in 0..self.cap as NodeId {
            if o != p && self.up[o as usize] {
                let v = self.views[self.vi(o, p)];
                self.vote(o, p, &v, 1);
            }
        }
    }

    fn log(&mut self, o: NodeId, t_us: u64, peer: NodeId, what: &'static str, detail: u64) {
        let l = &mut self.logs[o as usize];
        if l.len() == LOG {
            l.remove(0);
        }
        l.push(Event { t_us, peer, what, detail });
    }

    /// The next version of n's own counter.
    fn next_version(&mut self, n: NodeId) -> u64 {
        let i = self.vi(n, n);
        self.views[i].max_version = self.views[i].max_version.saturating_add(1);
        self.views[i].max_version()
    }

    /// Node n writes (or deletes) its next key.
    fn write_key(&mut self, n: NodeId, key: Option<u16>, delete: bool, cx_now: u64, live: u64) {
        if self.app_keys == 0 {
            return;
        }
        let k = match key {
            Some(k) => usize::from(k) % self.app_keys,
            None => {
                let k = self.next_key[n as usize] as usize % self.app_keys;
                self.next_key[n as usize] = (k as u16 + 1) % self.app_keys as u16;
                k
            }
        };
        let v = self.next_version(n);
        let version = v | if delete { TOMBSTONE } else { 0 };
        self.app.set(n, n, k, Entry::new(version, v, false), cx_now);
        let id = self.ledger.write(n, cx_now, live);
        let g = self.generation[n as usize];
        self.writes.entry((n, g, k as u16)).or_default().push((v, id));
        self.log(n, cx_now, n, if delete { "delete" } else { "write" }, k as u64);
        if delete {
            self.deleted = Some((n, k, v));
            self.saw_delete.fill(false);
            self.saw_delete[n as usize] = true;
            self.outlived.fill(false);
            // The chart of the nodes holding it starts at the delete.
            self.holding_series.clear();
        }
    }

    /// Observer o took a version of the deleted key: a tombstone, or a live copy,
    /// which after the tombstone is the key coming back (resurrection).
    fn track_deleted(&mut self, o: NodeId, tombstone: bool, now: u64) {
        let Some((p, k, _)) = self.deleted else { return };
        if tombstone {
            self.saw_delete[o as usize] = true;
        } else if std::mem::take(&mut self.saw_delete[o as usize]) {
            self.resurrections += 1;
            self.log(o, now, p, "resurrect", k as u64);
        }
    }

    /// The share of live nodes holding a live (not deleted) copy of the deleted key.
    fn holding_fraction(&self) -> Option<f64> {
        let (p, k, _) = self.deleted?;
        let live = (0..self.cap as NodeId).filter(|&o| self.up[o as usize]);
        let (mut held, mut n) = (0u32, 0u32);
        for o in live {
            let e = self.app.get(o, p, k);
            n += 1;
            held += u32::from(e.is_live());
        }
        Some(f64::from(held) / f64::from(n.max(1)))
    }

    fn digests(&self, o: NodeId) -> std::sync::Arc<[(NodeId, u32, u64)]> {
        (0..self.cap as NodeId)
            .filter_map(|p| {
                let v = &self.views[self.vi(o, p)];
                (v.generation() > 0).then_some((p, v.generation(), v.max_version()))
            })
            .collect()
    }

    /// o's changes of p above version `above` (all of them for a newer generation), in version order.
    fn delta(&self, o: NodeId, p: NodeId, above: u64) -> Delta {
        let v = self.views[self.vi(o, p)];
        let g = v.generation();
        let mut changes: Vec<Change> = Vec::new();
        if v.heartbeat_version() > above || (o == p && above == 0) {
            let (version, value) = (v.heartbeat_version(), u64::from(v.heartbeat));
            changes.push((HEARTBEAT, version, value, self.tag(p, g, HEARTBEAT, version, value, v.hb_forged())));
        }
        for k in 0..self.app_keys {
            let e = self.app.get(o, p, k);
            if e.version & !TOMBSTONE > above {
                changes.push((k as u16, e.version, 0, self.tag(p, g, k as u16, e.version, 0, e.forged())));
            }
        }
        changes.sort_by_key(|c| c.1 & !TOMBSTONE);
        Delta { endpoint: p, generation: g, changes }
    }

    fn change_bytes(&self, c: &Change) -> u32 {
        let sig = if self.verify { SIGNATURE } else { 0 };
        sig + if c.0 == HEARTBEAT {
            ENTRY + HEARTBEAT_VALUE
        } else if c.1 & TOMBSTONE != 0 {
            ENTRY
        } else {
            ENTRY + self.payload_bytes
        }
    }

    fn delta_bytes(&self, d: &Delta) -> u32 {
        DELTA_HEADER + d.changes.iter().map(|c| self.change_bytes(c)).sum::<u32>()
    }

    /// Fit o's deltas of the named endpoints ((versions behind, endpoint,
    /// above)) into `room` bytes: the most out-of-date endpoints first (ties by
    /// id); a cut endpoint keeps its oldest changes. Only the deltas sent are
    /// built: the rest are counted as cut (a node of a large cluster is behind
    /// on thousands of endpoints and sends a dozen).
    fn bound(&mut self, o: NodeId, wanted: Vec<(u64, NodeId, u64)>, mut room: u32) -> Vec<Delta> {
        let mut queue: std::collections::BinaryHeap<(u64, std::cmp::Reverse<NodeId>, u64)> =
            wanted.into_iter().map(|(behind, p, above)| (behind, std::cmp::Reverse(p), above)).collect();
        let mut out = Vec::new();
        while let Some((_, std::cmp::Reverse(p), above)) = queue.pop() {
            if room <= DELTA_HEADER {
                self.deltas_cut += 1 + queue.len() as u64;
                break;
            }
            let mut d = self.delta(o, p, above);
            let full = self.delta_bytes(&d);
            if full <= room {
                room -= full;
                out.push(d);
                continue;
            }
            let mut used = DELTA_HEADER;
            let keep = d
                .changes
                .iter()
                .take_while(|c| {
                    used += self.change_bytes(c);
                    used <= room
                })
                .count();
            d.changes.truncate(keep);
            self.deltas_cut += 1;
            if keep > 0 {
                room = 0;
                out.push(d);
            }
        }
        out
    }

    /// Room for deltas in one message: the MTU less the headers (and the wants).
    fn room(&self, wants: usize) -> u32 {
        self.mtu_bytes.saturating_sub(IP_UDP_HEADER + HEADER + 4 + DIGEST * wants as u32)
    }

    /// Apply a delta at the node of `cx`.
    fn apply(&mut self, d: &Delta, cx: &mut Ctx<'_, MemberMsg>) {
        let (o, p, now) = (cx.node, d.endpoint, cx.now_us());
        if p == o {
            return; // nobody knows me better than I do
        }
        let mut v = self.views[self.vi(o, p)];
        let known = v.generation() > 0;
        if d.generation < v.generation() {
            return;
        }
        if d.generation > v.generation() {
            if known {
                self.log(o, now, p, "restart", u64::from(d.generation));
            } else {
                self.log(o, now, p, "join", u64::from(d.generation));
            }
            v = View { last_beat_us: now, ..View::new(d.generation, Status::Alive) };
            for k in 0..self.app_keys {
                // A new generation replaces the old state; its writes are counted again below.
                self.drop_entry(o, p, k);
            }
        }
        let mut beat = false;
        for &(key, version, value, tag) in &d.changes {
            let forged = self.signed && tag != self.sign(p, p, d.generation, key, version, value);
            if self.verify && forged {
                // Not signed by its owner: a forgery, dropped and counted.
                self.rejected += 1;
                continue;
            }
            let bare = version & !TOMBSTONE;
            if key == HEARTBEAT {
                if bare > v.heartbeat_version() {
                    v.set_heartbeat(bare, value, forged);
                    beat = true;
                }
            } else {
                let held = self.app.get(o, p, key as usize);
                let old = held.version & !TOMBSTONE;
                if bare > old {
                    let credited = held.credited();
                    if self.deleted.is_some_and(|(dp, dk, _)| dp == p && dk == key as usize) {
                        self.track_deleted(o, version & TOMBSTONE != 0, now);
                    }
                    self.app.set(o, p, key as usize, Entry::new(version, credited.max(bare), forged), now);
                    self.credit(p, d.generation, key, credited, bare, cx);
                    self.log(o, now, p, if version & TOMBSTONE != 0 { "delete" } else { "change" }, u64::from(key));
                }
            }
            v.max_version = v.max_version.max(narrow(bare));
        }
        // The owner's versions have passed its delete while o still holds the key:
        // no delta will carry the delete to o any more (its tombstone was collected).
        if let Some((dp, dk, dv)) = self.deleted {
            let e = self.app.get(o, dp, dk);
            if dp == p && v.max_version() > dv && e.is_live() && !self.outlived[o as usize] {
                self.outlived[o as usize] = true;
                self.log(o, now, p, "outlived", dk as u64);
            }
        }
        if beat {
            if v.last_beat_us > 0 || v.mean_gap_us > 0.0 {
                let gap = now.saturating_sub(v.last_beat_us) as f64;
                v.mean_gap_us = if v.mean_gap_us == 0.0 { gap } else { 0.9 * v.mean_gap_us + 0.1 * gap };
            }
            v.last_beat_us = now;
            if v.mean_gap_us == 0.0 {
                v.mean_gap_us = self.interval_us as f64;
            }
            if v.status() == Status::Dead {
                v = v.with_status(Status::Alive);
                self.log(o, now, p, "alive", 0);
                self.false_positives.cleared(o, p, now);
            } else if v.status() == Status::Unknown {
                v = v.with_status(Status::Alive);
            }
        }
        self.set_view(o, p, v);
        if d.generation == self.generation[p as usize] && self.up[p as usize] {
            self.check_rejoin(p, now, cx.live());
        }
    }

    /// An observer now holds versions (old, new] of p's key: credit the writes it covers.
    fn credit(&mut self, p: NodeId, generation: u32, key: u16, old: u64, new: u64, cx: &Ctx<'_, MemberMsg>) {
        if let Some(ws) = self.writes.get(&(p, generation, key)) {
            let ids: Vec<usize> = ws.iter().filter(|w| w.0 > old && w.0 <= new).map(|w| w.1).collect();
            for id in ids {
                self.ledger.deliver(id, cx.now_us(), cx.live());
            }
        }
    }

    /// o forgets its entry of p's key k (p came back with a new generation).
    fn drop_entry(&mut self, o: NodeId, p: NodeId, k: usize) {
        let credited = self.app.get(o, p, k).credited();
        let g = self.views[self.vi(o, p)].generation();
        if credited > 0 && self.up[o as usize] {
            if let Some(ws) = self.writes.get(&(p, g, k as u16)) {
                let ids: Vec<usize> = ws.iter().filter(|w| w.0 <= credited).map(|w| w.1).collect();
                for id in ids {
                    self.ledger.lose(id);
                }
            }
        }
        self.app.set(o, p, k, Entry::default(), 0);
    }

    fn check_rejoin(&mut self, p: NodeId, now: u64, live: u64) {
        let g = self.generation[p as usize];
        if let Some(r) = self.rejoins.iter_mut().rev().find(|r| r.0 == p && r.2 == g) {
            if r.3.is_none() && u64::from(self.alive_votes[p as usize]) + 1 >= live {
                r.3 = Some(now);
            }
        }
    }

    /// Suspicion level of p at observer o now.
    fn phi(&self, v: &View, now: u64) -> f64 {
        let mean = if v.mean_gap_us > 0.0 { v.mean_gap_us } else { self.interval_us as f64 };
        std::f64::consts::LOG10_E * now.saturating_sub(v.last_beat_us) as f64 / mean
    }

    /// Run o's failure detector over every peer it believes alive.
    fn detect(&mut self, cx: &mut Ctx<'_, MemberMsg>) {
        let (o, now) = (cx.node, cx.now_us());
        for p in 0..self.cap as NodeId {
            if p == o {
                continue;
            }
            let v = self.views[self.vi(o, p)];
            if v.status() != Status::Alive {
                continue;
            }
            let dead = match self.detector {
                Detector::Timeout => now.saturating_sub(v.last_beat_us) > self.fail_timeout_us,
                Detector::Phi => self.phi(&v, now) > self.phi_threshold,
            };
            if !dead {
                continue;
            }
            self.set_view(o, p, v.with_status(Status::Dead));
            self.log(o, now, p, "dead", 0);
            if self.malicious.contains(&o) {
                // A liar's own mistakes (its forged versions starve it of news) are not the cluster's.
                continue;
            }
            if self.up[p as usize] {
                self.false_positives.marked(o, p, now);
            } else {
                self.detections.detected(p, now, self.dead_votes[p as usize], cx.live());
                if self.detector == Detector::Phi {
                    self.phi_at_detection.0 += self.phi(&v, now);
                    self.phi_at_detection.1 += 1;
                }
            }
        }
    }

    /// Drop tombstones o learned more than the grace period ago.
    fn collect_tombstones(&mut self, o: NodeId, now: u64) {
        if self.app_keys > 0 && now >= self.grace_us {
            self.app.collect(o, now - self.grace_us);
        }
    }

    /// Peers to gossip with: `fanout` believed alive; with probability dead / (alive + 1)
    /// one believed dead; and a seed unless one was picked, with probability seeds / known.
    fn targets(&self, cx: &mut Ctx<'_, MemberMsg>) -> Vec<NodeId> {
        let o = cx.node;
        let (mut alive, mut dead) = (Vec::new(), Vec::new());
        for p in 0..self.cap as NodeId {
            if p == o {
                continue;
            }
            match self.views[self.vi(o, p)].status() {
                Status::Alive => alive.push(p),
                Status::Dead => dead.push(p),
                Status::Unknown => {}
            }
        }
        let mut out = Vec::new();
        for _ in 0..self.fanout.min(alive.len() as u32) {
            let i = rng::index(&mut cx.rng, alive.len() as u32) as usize;
            out.push(alive.swap_remove(i));
        }
        if !dead.is_empty() && rng::chance(&mut cx.rng, dead.len() as f64 / (out.len() + alive.len() + 1) as f64) {
            out.push(dead[rng::index(&mut cx.rng, dead.len() as u32) as usize]);
        }
        let seeds = self.seeds.min(self.cap as u32);
        let known = (out.len() + alive.len() + dead.len()) as f64;
        if seeds > 0 && !out.iter().any(|&p| p < seeds) && rng::chance(&mut cx.rng, f64::from(seeds) / known.max(1.0)) {
            let s = rng::index(&mut cx.rng, seeds);
            if s != o {
                out.push(s);
            }
        }
        out
    }

    /// An event log line for the inspector and the command line.
    pub fn events(&self, n: NodeId) -> &[Event] {
        &self.logs[n as usize]
    }

    /// Observer o's version of p's key k, and whether it is a tombstone (version 0: none).
    pub fn key_at(&self, o: NodeId, p: NodeId, k: usize) -> (u64, bool) {
        let e = self.app.get(o, p, k);
        (e.version & !TOMBSTONE, e.is_tombstone())
    }

    /// The signature `signer` puts on a change of `owner`'s state: a keyed hash
    /// under the signer's secret. Only the owner's verifies. (A keyed hash stands
    /// in for ed25519, whose 64-byte size the wire counts: a real verification at
    /// ~50 us per heartbeat would cost the page seconds per run.)
    fn sign(&self, signer: NodeId, owner: NodeId, generation: u32, key: u16, version: u64, value: u64) -> u64 {
        let secret = rng::mix64(self.secret_key ^ u64::from(signer));
        let mut h = rng::mix64(secret ^ (u64::from(owner) << 32 | u64::from(generation)));
        h = rng::mix64(h ^ (u64::from(key) << 48) ^ version);
        rng::mix64(h ^ value)
    }

    /// The signature sent with a change of p's state held: the owner's, or for a
    /// forged change one that does not verify (0 when nobody can forge one).
    fn tag(&self, p: NodeId, generation: u32, key: u16, version: u64, value: u64, forged: bool) -> u64 {
        if !self.signed {
            return 0;
        }
        let owners = self.sign(p, p, generation, key, version, value);
        if forged {
            !owners
        } else {
            owners
        }
    }

    /// A malicious node's lie this tick: a forged version of an honest node's
    /// key, or a heartbeat for a node that has gone silent (to keep it alive).
    fn attack(&mut self, cx: &mut Ctx<'_, MemberMsg>) {
        let (o, now) = (cx.node, cx.now_us());
        match self.attack {
            Attack::ForgeVersion if self.app_keys > 0 => {
                let known: Vec<NodeId> = (0..self.cap as NodeId)
                    .filter(|&p| p != o && !self.malicious.contains(&p) && self.views[self.vi(o, p)].generation() > 0)
                    .collect();
                if known.is_empty() {
                    return;
                }
                let p = known[rng::index(&mut cx.rng, known.len() as u32) as usize];
                let k = rng::index(&mut cx.rng, self.app_keys as u32) as usize;
                let vi = self.vi(o, p);
                let version = self.views[vi].max_version() + FORGE_JUMP;
                self.views[vi].max_version = narrow(version);
                let credited = self.app.get(o, p, k).credited();
                self.app.set(o, p, k, Entry::new(version, credited, true), now);
                self.forged_sent += 1;
            }
            Attack::InflateHeartbeat => {
                for p in 0..self.cap as NodeId {
                    let vi = self.vi(o, p);
                    let v = self.views[vi];
                    if p == o || v.generation() == 0 || now.saturating_sub(v.last_beat_us) < 2 * self.interval_us {
                        continue;
                    }
                    // Silent for two intervals: keep it alive with a heartbeat of our making.
                    let version = v.max_version() + 1;
                    let mut nv =
                        View { max_version: narrow(version), last_beat_us: now, ..v.with_status(Status::Alive) };
                    nv.set_heartbeat(version, u64::from(v.heartbeat) + 1, true);
                    self.set_view(o, p, nv);
                    self.forged_sent += 1;
                }
            }
            _ => {}
        }
    }

    /// Does honest observer o hold any change of another node's state that its owner did not sign?
    fn polluted(&self, o: NodeId) -> bool {
        (0..self.cap as NodeId).filter(|&p| p != o).any(|p| {
            let v = &self.views[self.vi(o, p)];
            if v.generation() == 0 {
                return false;
            }
            (v.heartbeat_version > 0 && v.hb_forged())
                || (0..self.app_keys).any(|k| {
                    let e = self.app.get(o, p, k);
                    e.version & !TOMBSTONE > 0 && e.forged()
                })
        })
    }

    /// The fraction of honest live nodes holding forged data.
    pub fn polluted_fraction(&self) -> f64 {
        let honest: Vec<NodeId> =
            (0..self.cap as NodeId).filter(|&o| self.up[o as usize] && !self.malicious.contains(&o)).collect();
        if honest.is_empty() {
            return 0.0;
        }
        honest.iter().filter(|&&o| self.polluted(o)).count() as f64 / honest.len() as f64
    }

    /// What observer o believes of p, without the suspicion level.
    pub fn status(&self, o: NodeId, p: NodeId) -> Status {
        self.views[self.vi(o, p)].status()
    }

    /// Ids in use (nodes plus joins).
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// What observer o believes of p, and its suspicion level.
    pub fn belief(&self, o: NodeId, p: NodeId, now_us: u64) -> (Status, u32, u64, f64) {
        let v = self.views[self.vi(o, p)];
        let phi = if v.status() == Status::Alive { self.phi(&v, now_us) } else { 0.0 };
        (v.status(), v.generation(), u64::from(v.heartbeat), phi)
    }
}

impl Protocol for Membership {
    fn retune(&mut self, s: &Scenario) {
        self.detector = s.detector;
        self.fail_timeout_us = u64::from(s.fail_timeout_ms) * 1000;
        self.phi_threshold = s.phi_threshold;
        self.fanout = s.fanout;
        self.key_rate_per_tick = s.key_rate * f64::from(s.interval_ms) / 1000.0;
        self.interval_us = u64::from(s.interval_ms) * 1000;
    }
    type Msg = MemberMsg;
    type Hot = ();

    fn on_tick(&mut self, cx: &mut Ctx<'_, MemberMsg>) {
        let o = cx.node;
        let now = cx.now_us();
        self.now_us = self.now_us.max(now);
        // Heartbeat: the next version of my own state.
        let v = self.next_version(o);
        let i = self.vi(o, o);
        let hb = u64::from(self.views[i].heartbeat) + 1;
        self.views[i].set_heartbeat(v, hb, false);
        if self.malicious.contains(&o) {
            self.attack(cx);
        }
        if self.key_rate_per_tick > 0.0 && rng::chance(&mut cx.rng, self.key_rate_per_tick.min(1.0)) {
            self.write_key(o, None, false, now, cx.live());
        }
        self.collect_tombstones(o, now);
        self.detect(cx);
        let digests = self.digests(o);
        for p in self.targets(cx) {
            cx.request(p, MemberMsg::Syn { digests: digests.clone() });
        }
    }

    fn on_message(&mut self, from: NodeId, msg: MemberMsg, cx: &mut Ctx<'_, MemberMsg>) {
        let o = cx.node;
        match msg {
            MemberMsg::Syn { digests } => {
                // One pass over my table beside the digests (in id order, as
                // `digests` writes them): what I know newer goes back as a delta,
                // what the initiator knows newer I ask for.
                let mut deltas = Vec::new();
                let mut wants = Vec::new();
                let mut theirs = digests.iter().peekable();
                let row = &self.views[self.vi(o, 0)..self.vi(o, 0) + self.cap];
                for (p, mine) in (0..).zip(row) {
                    let (mg, mv) = (mine.generation(), mine.max_version());
                    let Some(&(_, g, ver)) = theirs.next_if(|d| d.0 == p) else {
                        // An endpoint the initiator does not know at all.
                        if mg > 0 {
                            deltas.push((mv, p, 0));
                        }
                        continue;
                    };
                    if mg > g || (mg == g && mv > ver) {
                        let above = if mg > g { 0 } else { ver };
                        deltas.push((mv - above, p, above));
                    } else if g > mg || ver > mv {
                        let have = if g > mg { 0 } else { mv };
                        wants.push((p, g, have));
                    }
                }
                debug_assert!(theirs.next().is_none(), "digests are in id order, each below the capacity");
                let deltas = self.bound(o, deltas, self.room(wants.len()));
                cx.reply(from, MemberMsg::Ack { deltas, wants });
            }
            MemberMsg::Ack { deltas, wants } => {
                for d in &deltas {
                    self.apply(d, cx);
                }
                let mut out = Vec::new();
                for (p, g, have) in wants {
                    let mine = self.views[self.vi(o, p)];
                    let (mg, mv) = (mine.generation(), mine.max_version());
                    if mg > g || (mg == g && mv > have) {
                        let above = if mg > g { 0 } else { have };
                        out.push((mv - above, p, above));
                    }
                }
                if !out.is_empty() {
                    let deltas = self.bound(o, out, self.room(0));
                    cx.reply(from, MemberMsg::Ack2 { deltas });
                }
            }
            MemberMsg::Ack2 { deltas } => {
                for d in &deltas {
                    self.apply(d, cx);
                }
            }
        }
    }

    fn on_update(&mut self, cx: &mut Ctx<'_, MemberMsg>) -> bool {
        self.on_write(cx, None, false)
    }

    fn on_write(&mut self, cx: &mut Ctx<'_, MemberMsg>, key: Option<u16>, delete: bool) -> bool {
        if self.app_keys == 0 {
            return false;
        }
        self.write_key(cx.node, key, delete, cx.now_us(), cx.live());
        cx.emit(EventKind::Informed);
        true
    }

    fn on_crash(&mut self, node: NodeId, now_us: u64, _hot: &mut ()) {
        self.count_observer(node, -1);
        // The writes it held no longer count: a down node holds nothing for the metrics.
        for (&(p, g, k), ws) in &self.writes {
            if self.views[node as usize * self.cap + p as usize].generation() != g {
                continue;
            }
            let held = self.app.get(node, p, k as usize).credited();
            for &(v, id) in ws {
                if v <= held {
                    self.ledger.lose(id);
                }
            }
        }
        self.recount_peer(node, |m| m.up[node as usize] = false);
        self.detections.crashed(node, now_us);
        // False positives by the crashed node, and about it, end.
        self.false_positives.crashed(node, now_us);
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, MemberMsg>) {
        let n = cx.node;
        // A joining id has never run; a restart comes back with the next generation.
        let fresh = self.views[self.vi(n, n)].generation() == 0;
        if !fresh {
            self.generation[n as usize] += 1;
        }
        let g = self.generation[n as usize];
        self.recount_peer(n, |m| m.up[n as usize] = true);
        // Its volatile membership table is gone: it knows itself and the seeds again.
        self.forget(n);
        self.boot(n, cx.now_us());
        self.count_observer(n, 1);
        if !fresh {
            self.rejoins.push((n, cx.now_us(), g, None));
        }
        self.log(n, cx.now_us(), n, if fresh { "join" } else { "restart" }, u64::from(g));
    }

    fn wire_size(&self, msg: &MemberMsg) -> u32 {
        let body = match msg {
            MemberMsg::Syn { digests } => 4 + DIGEST * digests.len() as u32,
            MemberMsg::Ack { deltas, wants } => {
                4 + DIGEST * wants.len() as u32 + deltas.iter().map(|d| self.delta_bytes(d)).sum::<u32>()
            }
            MemberMsg::Ack2 { deltas } => 4 + deltas.iter().map(|d| self.delta_bytes(d)).sum::<u32>(),
        };
        IP_UDP_HEADER + HEADER + body
    }

    fn msg_kind(&self, msg: &MemberMsg) -> &'static str {
        match msg {
            MemberMsg::Syn { .. } => "syn",
            MemberMsg::Ack { .. } => "ack",
            MemberMsg::Ack2 { .. } => "ack2",
        }
    }

    /// As the majority of live nodes sees it: alive, or (while up) dead, or unknown.
    fn node_state(&self, node: NodeId, _hot: &()) -> NodeState {
        crate::protocol::majority_state(self.alive_votes[node as usize], self.dead_votes[node as usize])
    }

    fn down_state(&self, node: NodeId) -> NodeState {
        crate::protocol::crashed_state(self.alive_votes[node as usize], self.dead_votes[node as usize])
    }

    fn describe(&self, node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
        let me = self.views[self.vi(node, node)];
        let mut rows = vec![
            ("generation", me.generation().to_string()),
            ("heartbeat", me.heartbeat.to_string()),
            ("max version", me.max_version.to_string()),
            ("seen alive by", format!("{} live nodes", self.alive_votes[node as usize])),
            ("seen dead by", format!("{} live nodes", self.dead_votes[node as usize])),
        ];
        // What became of the deleted key here, before the long tables.
        if let Some((p, k, _)) = self.deleted {
            let e = self.app.get(node, p, k);
            let v = e.version & !TOMBSTONE;
            let here = match (v, e.is_tombstone()) {
                (0, _) => "gone (tombstone collected, or never held)".to_string(),
                (v, true) => format!("tombstone v{v}"),
                (v, false) if self.outlived[node as usize] => format!("held v{v}: the delete will never reach it"),
                (v, false) => format!("held v{v}: the delete has not reached it"),
            };
            rows.push(("deleted key", format!("node {p} k{k}: {here}")));
        }
        let table: Vec<String> = (0..self.cap as NodeId)
            .filter(|&p| p != node && self.views[self.vi(node, p)].generation() > 0)
            .take(12)
            .map(|p| {
                let v = self.views[self.vi(node, p)];
                let s = match v.status() {
                    Status::Alive => "alive",
                    Status::Dead => "dead",
                    Status::Unknown => "?",
                };
                let phi = if v.status() == Status::Alive && v.generation() > 0 {
                    format!(" phi {:.1}", self.phi(&v, self.now_us))
                } else {
                    String::new()
                };
                format!("{p}: g{} hb{} v{} {s}{phi}", v.generation(), v.heartbeat, v.max_version)
            })
            .collect();
        rows.push(("membership (first 12)", table.join("; ")));
        let keys: Vec<String> = (0..self.app_keys)
            .filter_map(|k| {
                let e = self.app.get(node, node, k);
                let v = e.version & !TOMBSTONE;
                (v > 0).then(|| format!("k{k}: v{v}{}", if e.is_tombstone() { " deleted" } else { "" }))
            })
            .collect();
        rows.push(("own keys", if keys.is_empty() { "none set".into() } else { keys.join(", ") }));
        let log: Vec<String> = self.logs[node as usize]
            .iter()
            .rev()
            .take(6)
            .map(|e| format!("{:.1}s {} {}", e.t_us as f64 / 1e6, e.what, e.peer))
            .collect();
        rows.push(("events (newest first)", log.join("; ")));
        rows
    }

    fn progress(&self) -> Progress {
        let p = self.ledger.progress(0);
        // Coverage is view agreement: (live observer, other id) pairs that match the truth.
        let ids = self.up.iter().filter(|&&u| u).count() as u64;
        let _ = ids;
        Progress { covered: self.agree, injected: (self.cap as u64).saturating_sub(1), ..p }
    }

    fn updates(&self, _live: u64) -> Vec<UpdateStats> {
        Vec::new()
    }

    fn event_log(&self, node: NodeId) -> Vec<String> {
        self.logs[node as usize]
            .iter()
            .map(|e| match e.what {
                "change" | "delete" | "write" => {
                    format!("{:.3} s {} of node {} key {}", e.t_us as f64 / 1e6, e.what, e.peer, e.detail)
                }
                "resurrect" => format!(
                    "{:.3} s node {} key {} came back here after its delete (the tombstone was collected)",
                    e.t_us as f64 / 1e6,
                    e.peer,
                    e.detail
                ),
                "outlived" => format!(
                    "{:.3} s node {} key {} outlived its delete here: the tombstone is collected everywhere, so the delete never arrives",
                    e.t_us as f64 / 1e6,
                    e.peer,
                    e.detail
                ),
                "join" | "restart" => {
                    format!("{:.3} s {} of node {} (generation {})", e.t_us as f64 / 1e6, e.what, e.peer, e.detail)
                }
                _ => format!("{:.3} s node {} {}", e.t_us as f64 / 1e6, e.peer, e.what),
            })
            .collect()
    }

    fn detections(&self) -> Option<&crate::protocol::DelayHistogram> {
        Some(self.detections.delays())
    }

    fn extra(&self, live: u64, now_us: u64, _hot: crate::protocol::Hots<'_, ()>) -> Vec<(&'static str, Option<f64>)> {
        let [fp, fp_s] = self.false_positives.figures(now_us);
        let ms = |us: u64| us as f64 / 1000.0;
        let mean = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
        let (first, all) = self.detections.first_and_all_ms();
        let rejoin = mean(self.rejoins.iter().filter_map(|r| r.3.map(|t| ms(t - r.1))).collect());
        let stats = self.ledger.stats(live, 1);
        let converge = mean(stats.iter().filter_map(|u| u.t100_ms).collect());
        vec![
            ("detect_first_ms", first),
            ("detect_all_ms", all),
            (
                "phi_at_detection",
                (self.phi_at_detection.1 > 0).then(|| self.phi_at_detection.0 / f64::from(self.phi_at_detection.1)),
            ),
            ("rejoin_all_ms", rejoin),
            fp,
            fp_s,
            ("state_converge_ms", converge),
            ("state_writes", Some(self.ledger.len() as f64)),
            ("state_coverage", Some(if self.ledger.is_empty() { 1.0 } else { self.ledger.progress(0).coverage(live) })),
            ("deltas_cut", Some(self.deltas_cut as f64)),
            // The last sample's (taken after every round, and at the end of a run):
            // the count is O(n^2 keys), too dear to repeat each time the page asks.
            (
                "polluted",
                (!self.malicious.is_empty())
                    .then(|| self.polluted_series.last().copied().unwrap_or_else(|| self.polluted_fraction())),
            ),
            ("rejected", self.verify.then_some(self.rejected as f64)),
            ("forged", (!self.malicious.is_empty()).then_some(self.forged_sent as f64)),
            // After a delete: the share of live nodes still holding the key, and how
            // many times an observer took back its older value (resurrection).
            ("holding_deleted", self.holding_series.last().copied()),
            ("resurrections", self.deleted.map(|_| self.resurrections as f64)),
        ]
    }

    fn on_sample(&mut self, _round: u32, _hot: crate::protocol::Hots<'_, ()>) {
        if !self.malicious.is_empty() {
            let f = self.polluted_fraction();
            self.polluted_series.push(f);
        }
        self.samples += 1;
        if let Some(f) = self.holding_fraction() {
            self.holding_series.push(f);
        }
    }

    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        let mut out = Vec::new();
        if !self.polluted_series.is_empty() {
            out.push(("polluted", self.polluted_series.iter().map(|&x| Some(x)).collect()));
        }
        if self.deleted.is_some() {
            // Rounds before the delete have no value: the chart starts at it.
            let before = self.samples.saturating_sub(self.holding_series.len());
            let series = std::iter::repeat_n(None, before).chain(self.holding_series.iter().map(|&x| Some(x)));
            out.push(("holding_deleted", series.collect()));
        }
        out
    }

    fn done(&self, _live: u64) -> bool {
        false // membership runs until max_rounds or max_time_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `heartbeats_per_message` is what `bound` fits: that many one-heartbeat
    /// deltas fill a message's room, one more does not.
    #[test]
    fn heartbeats_per_message_is_what_fits() {
        for (mtu, verify) in
            [(1400, Verify::None), (300, Verify::None), (1400, Verify::Signatures), (65535, Verify::None)]
        {
            let mut s = Scenario {
                protocol: crate::scenario::ProtocolKind::Membership,
                mtu_bytes: mtu,
                verify,
                ..Scenario::default()
            };
            s.nodes = 50;
            let m = Membership::new(&s);
            let one = m.delta_bytes(&Delta { endpoint: 1, generation: 1, changes: vec![(HEARTBEAT, 5, 5, 0)] });
            let k = heartbeats_per_message(&s);
            assert!(
                k * one <= m.room(0) && (k + 1) * one > m.room(0),
                "mtu {mtu}: {k} of {one} bytes in {}",
                m.room(0)
            );
        }
        let s = Scenario { mtu_bytes: 1400, ..Scenario::default() };
        assert_eq!(heartbeats_per_message(&s), 48);
    }
}
