//! Protocols: sans-IO state machines behind one trait.
//!
//! A protocol owns the state of every node in flat arrays indexed by node id
//! (so a million nodes cost a few bytes each and no per-node allocation), and
//! reacts to two things: a node's periodic tick and a message arriving at a node.
//! The few bytes every exchange touches ([`Protocol::Hot`]) live in the engine's
//! own slot of the node instead, beside its status and random stream, so that
//! an exchange in a million-node run costs one cache miss per node, not two.
//! It talks to the world only through a [`Ctx`]: `now`, `rng`, `send` /
//! `request` / `reply`, `peer` (the peer sampling service), `schedule`
//! (timers) and `emit` (events).
//! It never reads a clock, a global RNG or the network, so a run is a pure
//! function of the scenario and its seed.

pub mod aggregate;
pub mod anti_entropy;
pub mod broadcast;
pub mod election;
pub mod membership;
pub mod rumor;
pub mod shared;
pub mod swim;
pub mod updates;

use crate::metrics::{FigureSpec, Shown};
use crate::scenario::{ProtocolKind, Timing};
use crate::sim::rng::NodeRng;
use crate::sim::sampler::PeerSampler;

pub use crate::sim::engine::{Hots, Lane};

pub type NodeId = u32;

/// How the engine schedules a message in `timing=rounds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// One-way: delivered at the end of the round, so the receiver acts on it from the next round.
    Push,
    /// Opens an exchange: delivered at once, and the exchange completes within the round.
    Request,
    /// Answers a request: delivered at once.
    Reply,
}

/// A message waiting in the outbox.
#[derive(Clone, Debug)]
pub struct Outgoing<M> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: M,
    pub delivery: Delivery,
}

/// What a node reports: the join / alive / dead / change events and the rumor states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The node received the update for the first time.
    Informed,
    /// The node stopped spreading (rumor removed).
    Stopped,
}

impl EventKind {
    pub fn word(self) -> &'static str {
        match self {
            EventKind::Informed => "informed",
            EventKind::Stopped => "stopped",
        }
    }
    pub fn code(self) -> u64 {
        match self {
            EventKind::Informed => 1,
            EventKind::Stopped => 2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    pub node: NodeId,
    pub kind: EventKind,
}

/// How a node is drawn: one byte per node in the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NodeState {
    /// Has not received the update.
    Susceptible = 0,
    /// Has it and spreads it.
    Infective = 1,
    /// Has it and no longer spreads it.
    Removed = 2,
    /// Crashed (or left); drawn by the engine, not the protocol.
    Down = 3,
    /// Not yet joined.
    Absent = 4,
    /// Crashed, but most live nodes still believe it alive (membership, SWIM).
    Unnoticed = 5,
    /// Up, and suspected by most of those that believe it alive (SWIM).
    Suspected = 6,
}

impl NodeState {
    pub const ALL: [NodeState; 7] = [
        NodeState::Susceptible,
        NodeState::Infective,
        NodeState::Removed,
        NodeState::Down,
        NodeState::Absent,
        NodeState::Unnoticed,
        NodeState::Suspected,
    ];
    pub fn label(self) -> &'static str {
        match self {
            NodeState::Susceptible => "susceptible",
            NodeState::Infective => "spreading",
            NodeState::Removed => "informed, stopped",
            NodeState::Down => "crashed",
            NodeState::Absent => "not joined",
            NodeState::Unnoticed => "crashed, unnoticed by most",
            NodeState::Suspected => "suspected by most",
        }
    }
}

/// How a membership-like protocol draws a live node from the votes of the live
/// nodes: dead to most (a false positive), alive to some, or unknown.
pub fn majority_state(alive_votes: u32, dead_votes: u32) -> NodeState {
    if dead_votes > alive_votes {
        NodeState::Infective
    } else if alive_votes > 0 {
        NodeState::Removed
    } else {
        NodeState::Susceptible
    }
}

/// How a membership-like protocol draws a crashed node: unnoticed while most still believe it alive.
pub fn crashed_state(alive_votes: u32, dead_votes: u32) -> NodeState {
    if alive_votes > dead_votes {
        NodeState::Unnoticed
    } else {
        NodeState::Down
    }
}

/// One crash: the node, when it crashed, and when it was first suspected (SWIM),
/// first marked dead, and marked dead by every live node (us).
#[derive(Clone, Debug)]
struct CrashRecord {
    node: NodeId,
    at_us: u64,
    suspected: Option<u64>,
    first: Option<u64>,
    all: Option<u64>,
}

/// Width of a [`DelayHistogram`] bin.
const DELAY_BIN_US: u64 = 100_000;

/// How long after a crash each (observer, crash) detection came: counts in
/// bins of 100 ms, with the count, the first and the last exact. Its size
/// follows the longest delay, not the number of detections (a classroom's
/// hour of churn makes millions of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DelayHistogram {
    bins: Vec<u64>,
    count: u64,
    min_us: u64,
    max_us: u64,
}

impl DelayHistogram {
    pub fn add(&mut self, delay_us: u64) {
        let b = (delay_us / DELAY_BIN_US) as usize;
        if b >= self.bins.len() {
            self.bins.resize(b + 1, 0);
        }
        self.bins[b] += 1;
        self.min_us = if self.count == 0 { delay_us } else { self.min_us.min(delay_us) };
        self.max_us = self.max_us.max(delay_us);
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first and the last delay (ms), exact.
    pub fn range_ms(&self) -> Option<(f64, f64)> {
        (self.count > 0).then(|| (self.min_us as f64 / 1000.0, self.max_us as f64 / 1000.0))
    }

    /// The median delay (ms), to the middle of its 100 ms bin.
    pub fn median_ms(&self) -> Option<f64> {
        let half = self.count.checked_sub(1)? / 2;
        let mut seen = 0;
        let b = self.bins.iter().position(|&c| {
            seen += c;
            seen > half
        })?;
        let mid = (b as f64 + 0.5) * DELAY_BIN_US as f64 / 1000.0;
        let (lo, hi) = self.range_ms()?;
        Some(mid.clamp(lo, hi))
    }

    /// Counts per whole second after the crash (the chart's bars).
    pub fn per_second(&self) -> Vec<u64> {
        let per = (1_000_000 / DELAY_BIN_US) as usize;
        self.bins.chunks(per).map(|c| c.iter().sum()).collect()
    }
}

/// Crash detection figures kept by membership and SWIM: for each crash, when it
/// happened, when it was first suspected, when the first and the last live node
/// marked it dead, and how long after the crash every detection came.
#[derive(Clone, Debug, Default)]
pub struct Detections {
    /// Newest last.
    crashes: Vec<CrashRecord>,
    delays: DelayHistogram,
}

impl Detections {
    pub fn crashed(&mut self, node: NodeId, at_us: u64) {
        self.crashes.push(CrashRecord { node, at_us, suspected: None, first: None, all: None });
    }

    fn latest(&mut self, node: NodeId) -> Option<&mut CrashRecord> {
        self.crashes.iter_mut().rev().find(|c| c.node == node)
    }

    /// An observer suspected crashed `node` at `now_us`.
    pub fn suspected(&mut self, node: NodeId, now_us: u64) {
        if let Some(c) = self.latest(node) {
            c.suspected.get_or_insert(now_us);
        }
    }

    /// An observer marked crashed `node` dead at `now_us`; `dead_votes` live nodes now hold it dead.
    pub fn detected(&mut self, node: NodeId, now_us: u64, dead_votes: u32, live: u64) {
        if let Some(c) = self.latest(node) {
            c.first.get_or_insert(now_us);
            if c.all.is_none() && u64::from(dead_votes) >= live {
                c.all = Some(now_us);
            }
            let at = c.at_us;
            self.delays.add(now_us - at);
        }
    }

    /// How long after its crash every detection came.
    pub fn delays(&self) -> &DelayHistogram {
        &self.delays
    }

    fn mean_ms(&self, pick: fn(&CrashRecord) -> Option<u64>) -> Option<f64> {
        let xs: Vec<f64> = self.crashes.iter().filter_map(|c| pick(c).map(|t| (t - c.at_us) as f64 / 1000.0)).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    }

    /// Mean delay (ms) from a crash to its first and to its last detection, over the crashes that got one.
    pub fn first_and_all_ms(&self) -> (Option<f64>, Option<f64>) {
        (self.mean_ms(|c| c.first), self.mean_ms(|c| c.all))
    }

    /// Mean delay (ms) from a crash to its first suspicion, over the crashes suspected.
    pub fn first_suspicion_ms(&self) -> Option<f64> {
        self.mean_ms(|c| c.suspected)
    }
}

/// False positives kept by membership and SWIM: a live node marked dead by an
/// observer, and for how long, until the observer hears it alive again, either
/// of them crashes (the belief is then moot), or the run ends.
#[derive(Clone, Debug, Default)]
pub struct FalsePositives {
    count: u64,
    /// Open ones: (observer, peer) -> since.
    open: std::collections::BTreeMap<(NodeId, NodeId), u64>,
    closed_us: u64,
}

impl FalsePositives {
    /// `observer` marked live `peer` dead at `now_us`.
    pub fn marked(&mut self, observer: NodeId, peer: NodeId, now_us: u64) {
        self.count += 1;
        self.open.entry((observer, peer)).or_insert(now_us);
    }

    /// `observer` holds `peer` alive again.
    pub fn cleared(&mut self, observer: NodeId, peer: NodeId, now_us: u64) {
        if let Some(since) = self.open.remove(&(observer, peer)) {
            self.closed_us += now_us - since;
        }
    }

    /// `node` crashed: its beliefs, and those about it, end.
    pub fn crashed(&mut self, node: NodeId, now_us: u64) {
        let ended: Vec<(NodeId, NodeId)> = self.open.keys().filter(|k| k.0 == node || k.1 == node).copied().collect();
        for key in ended {
            self.cleared(key.0, key.1, now_us);
        }
    }

    /// `false_positives` and `false_positive_s` (the open ones counted to `now_us`).
    pub fn figures(&self, now_us: u64) -> [(&'static str, Option<f64>); 2] {
        let open: u64 = self.open.values().map(|&since| now_us.saturating_sub(since)).sum();
        [("false_positives", Some(self.count as f64)), ("false_positive_s", Some((self.closed_us + open) as f64 / 1e6))]
    }
}

/// What every callback shares while the engine runs: the clock, and where
/// events and timers go. One per engine; a [`Ctx`] borrows it, so building a
/// context per callback costs a few words (millions of callbacks per second).
#[derive(Clone, Debug)]
pub struct Env {
    /// Virtual time, microseconds since the start.
    pub now_us: u64,
    /// The round (timed: the index of the current interval).
    pub round: u32,
    pub timing: Timing,
    /// Live nodes in the cluster now.
    pub live: u64,
    pub(crate) events: Vec<NodeEvent>,
    /// Timers set during the current callback: (delay, token).
    pub(crate) timers: Vec<(u64, u64)>,
    /// Whether a callback queued an event or a timer since the engine last took
    /// them: one flag to test after each callback, where most queue neither.
    pub(crate) posted: bool,
}

impl Env {
    pub(crate) fn new(timing: Timing, live: u64) -> Self {
        Env { now_us: 0, round: 0, timing, live, events: Vec::with_capacity(64), timers: Vec::new(), posted: false }
    }
}

/// The protocol's window on the world during one callback.
pub struct Ctx<'a, M, H = ()> {
    /// The node being called.
    pub node: NodeId,
    /// This node's own random stream.
    pub rng: NodeRng<'a>,
    /// This node's hot state ([`Protocol::Hot`]).
    pub hot: &'a mut H,
    pub(crate) env: &'a mut Env,
    pub(crate) out: &'a mut Vec<Outgoing<M>>,
    pub(crate) sampler: &'a PeerSampler,
}

impl<M, H> Ctx<'_, M, H> {
    /// Virtual time, microseconds since the start.
    #[inline(always)]
    pub fn now_us(&self) -> u64 {
        self.env.now_us
    }
    /// The round (timed: the index of the current interval).
    #[inline(always)]
    pub fn round(&self) -> u32 {
        self.env.round
    }
    #[inline(always)]
    pub fn timing(&self) -> Timing {
        self.env.timing
    }
    /// Live nodes in the cluster now (for the metrics' coverage thresholds, not for protocol decisions).
    #[inline(always)]
    pub fn live(&self) -> u64 {
        self.env.live
    }
    /// Run a wrapped protocol's callback (election runs membership inside): it
    /// sees the same node, time, random stream, peers, timers and events, and
    /// its messages are left in `out` for the wrapper to send. The wrapped
    /// protocol keeps no hot state of its own.
    pub fn nested<N, R>(&mut self, out: &mut Vec<Outgoing<N>>, f: impl FnOnce(&mut Ctx<'_, N>) -> R) -> R {
        let mut none = ();
        let mut inner = Ctx {
            node: self.node,
            rng: self.rng.reborrow(),
            hot: &mut none,
            env: &mut *self.env,
            out,
            sampler: self.sampler,
        };
        f(&mut inner)
    }
    /// The same context, borrowed into a new value: for handing to a function that
    /// is not inlined (a rare path), so that the caller's context never has its
    /// address taken and stays in registers on the hot path.
    #[inline(always)]
    pub fn reborrow(&mut self) -> Ctx<'_, M, H> {
        Ctx {
            node: self.node,
            rng: self.rng.reborrow(),
            hot: &mut *self.hot,
            env: &mut *self.env,
            out: &mut *self.out,
            sampler: self.sampler,
        }
    }
    /// Queue a message as it is (a wrapper passing on a wrapped protocol's message).
    #[inline]
    pub fn push(&mut self, o: Outgoing<M>) {
        self.out.push(o);
    }
    /// Send a one-way message.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.out.push(Outgoing { from: self.node, to, msg, delivery: Delivery::Push });
    }
    /// Open an exchange: the receiver's reply completes it (in the same round, in `timing=rounds`).
    #[inline]
    pub fn request(&mut self, to: NodeId, msg: M) {
        self.out.push(Outgoing { from: self.node, to, msg, delivery: Delivery::Request });
    }
    /// Answer a request.
    #[inline]
    pub fn reply(&mut self, to: NodeId, msg: M) {
        self.out.push(Outgoing { from: self.node, to, msg, delivery: Delivery::Reply });
    }
    /// Call `on_timer(token)` on this node after `after_us` of virtual time (in
    /// rounds: at the start of the first round at or after then). Timers are data:
    /// a crash makes a node's pending timers stale and they are dropped, never run.
    #[inline]
    pub fn schedule(&mut self, after_us: u64, token: u64) {
        self.env.timers.push((after_us, token));
        self.env.posted = true;
    }
    /// Report an event of this node.
    #[inline]
    pub fn emit(&mut self, kind: EventKind) {
        self.env.events.push(NodeEvent { node: self.node, kind });
        self.env.posted = true;
    }
    /// A random peer from this node's view (never itself), or None if it knows nobody.
    #[inline]
    pub fn peer(&mut self) -> Option<NodeId> {
        self.sampler.get_peer(self.node, &mut self.rng)
    }
    /// May a node act now on something it learned at `learned_us`? In rounds, a
    /// node acts on news from the next round on; in timed mode, at once.
    #[inline]
    pub fn can_act_on(&self, learned_us: u64) -> bool {
        match self.env.timing {
            Timing::Rounds => learned_us < self.env.now_us,
            Timing::Timed => learned_us <= self.env.now_us,
        }
    }
}

/// Totals a protocol keeps for the metrics, summed over the updates written so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// (live node, written update) pairs where the node holds the update.
    pub covered: u64,
    /// Updates written so far: coverage is covered / (live x injected).
    pub injected: u64,
    /// (live node, update) pairs still being spread.
    pub active: u64,
    /// Messages that carried at least one update (the "traffic" of Demers et al.).
    pub update_msgs: u64,
    /// Sum and maximum of delivery delays (us, from the update's writing to its
    /// arrival) over every delivery, and the number of deliveries.
    pub delivered_sum_us: u64,
    pub delivered_max_us: u64,
    pub delivered: u64,
}

impl Progress {
    /// Fraction of (live node, written update) pairs covered.
    pub fn coverage(&self, live: u64) -> f64 {
        let pairs = live * self.injected.max(1);
        if pairs == 0 {
            0.0
        } else {
            self.covered as f64 / pairs as f64
        }
    }
}

/// A gossip protocol: one state machine per node, stored for all nodes at once.
pub trait Protocol: Clone + 'static {
    type Msg: Clone + std::fmt::Debug;
    /// The part of a node's state that every exchange reads or writes (rumor: what
    /// it holds; aggregation: its pair), at most 40 bytes. The engine keeps it in
    /// the node's slot, so a callback finds it in `Ctx::hot`. `()` for protocols
    /// whose per-node state is too large to gain from it.
    type Hot: Copy + Default + std::fmt::Debug;

    /// A node's hot state at the start (ids not yet joined too; a crash keeps it
    /// for `on_restart` to reset).
    fn hot_init(&self, _node: NodeId) -> Self::Hot {
        Self::Hot::default()
    }
    /// A node's periodic action (each round, or each interval in timed mode).
    fn on_tick(&mut self, cx: &mut Ctx<'_, Self::Msg, Self::Hot>);
    /// True only if `on_tick` in `timing=rounds` would do nothing at all for a
    /// node with this hot state: send nothing, draw nothing, change nothing. The
    /// engine then skips the call (most nodes of a large push run are idle in
    /// most rounds). False is always safe.
    #[inline]
    fn idle(&self, _hot: &Self::Hot) -> bool {
        false
    }
    /// Whether `fast_round` may run a round (the engine builds a `Lane` only then).
    const FAST_ROUND: bool = false;
    /// Run this round's ticks, and deliver its one-way messages at its end, in
    /// a loop of the protocol's own: the fast lane of `timing=rounds` (a perfect
    /// network, nothing recorded), where the engine's general path of messages,
    /// queues and callbacks is most of the cost. The run and its trace must be
    /// exactly those of the general path (tests compare them). False, before
    /// touching anything, when the protocol has no such loop for its settings:
    /// the engine then runs the round the general way.
    fn fast_round(&mut self, _lane: &mut Lane<'_, Self::Hot>) -> bool {
        false
    }
    /// Live settings changed (`scenario::Live`): take the new values from now on.
    /// Every field a protocol derives from a live setting is set here and only
    /// here (each `new` calls it); a test checks that a change at time 0 gives
    /// the run that starts with the value.
    fn retune(&mut self, _s: &crate::scenario::Scenario) {}
    /// A message from `from` arrived at `cx.node`.
    fn on_message(&mut self, from: NodeId, msg: Self::Msg, cx: &mut Ctx<'_, Self::Msg, Self::Hot>);
    /// A timer set with `Ctx::schedule` fired.
    fn on_timer(&mut self, _token: u64, _cx: &mut Ctx<'_, Self::Msg, Self::Hot>) {}
    /// The node crashed or left at `now_us`: its volatile state is gone.
    fn on_crash(&mut self, node: NodeId, now_us: u64, hot: &mut Self::Hot);
    /// The node (re)starts; joins are restarts of new ids.
    fn on_restart(&mut self, cx: &mut Ctx<'_, Self::Msg, Self::Hot>);
    /// The node writes a new update (from the workload or an `update:` fault).
    /// False if the protocol cannot take more updates.
    fn on_update(&mut self, _cx: &mut Ctx<'_, Self::Msg, Self::Hot>) -> bool {
        false
    }
    /// An `update:` or `delete:` fault at the node, for a given key or the next one.
    /// Protocols without keys write an update and cannot delete.
    fn on_write(&mut self, cx: &mut Ctx<'_, Self::Msg, Self::Hot>, _key: Option<u16>, delete: bool) -> bool {
        !delete && self.on_update(cx)
    }
    /// Every detection of a crash so far: how long after the crash an observer marked it dead.
    fn detections(&self) -> Option<&DelayHistogram> {
        None
    }
    /// The node's event log, oldest first (membership: join, alive, dead, change, restart).
    fn event_log(&self, _node: NodeId) -> Vec<String> {
        Vec::new()
    }
    /// Figures of this protocol beyond the common ones, by JSON key (None: not measured in this run).
    fn extra(&self, _live: u64, _now_us: u64, _hot: Hots<'_, Self::Hot>) -> Vec<(&'static str, Option<f64>)> {
        Vec::new()
    }
    /// Per-update figures, in the order the updates were written, given the live nodes now.
    fn updates(&self, _live: u64) -> Vec<crate::metrics::UpdateStats> {
        Vec::new()
    }
    /// A sample is being taken (after each round, or at each interval in timed
    /// mode): record the protocol's own per-sample figures.
    fn on_sample(&mut self, _round: u32, _hot: Hots<'_, Self::Hot>) {}
    /// The protocol's own per-sample series, by JSON key (aggregate: variance, ...).
    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        Vec::new()
    }
    /// Size on the wire in bytes, headers included.
    fn wire_size(&self, msg: &Self::Msg) -> u32;
    /// A short name of the message type, for traces.
    fn msg_kind(&self, msg: &Self::Msg) -> &'static str;
    /// How to draw the node (the engine draws crashed and absent nodes itself).
    fn node_state(&self, node: NodeId, hot: &Self::Hot) -> NodeState;
    /// How to draw a crashed node: `Down`, or `Unnoticed` while most live nodes still believe it alive.
    fn down_state(&self, _node: NodeId) -> NodeState {
        NodeState::Down
    }
    /// What the inspector shows about a node: label and value rows.
    fn describe(&self, node: NodeId, hot: &Self::Hot) -> Vec<(&'static str, String)>;
    fn progress(&self) -> Progress;
    /// Nothing more will happen that the metrics care about, given `live` live nodes.
    fn done(&self, live: u64) -> bool;
}

/// The malicious node ids: the highest `malicious x nodes` initial ids
/// (validation keeps the origin and the seeds out of them; joiners are honest).
pub fn malicious(s: &crate::scenario::Scenario) -> std::ops::Range<NodeId> {
    s.nodes - s.malicious_count()..s.nodes
}

/// Bytes of an IPv4 + UDP header, added to every message.
pub const IP_UDP_HEADER: u32 = 28;

/// Crash detection, as membership and SWIM report it.
pub const DETECT_FIRST: FigureSpec = FigureSpec::new(
    "detect_first_ms",
    "first detection",
    Shown::Ms,
    "From a crash until the first live node marks it dead; with several crashes, the mean over those detected so far.",
);
pub const DETECT_ALL: FigureSpec = FigureSpec::new(
    "detect_all_ms",
    "all detected",
    Shown::Ms,
    "From a crash until every live node marks it dead; with several crashes, the mean over those every node has marked (under churn, later crashes may never get there).",
);
pub const FALSE_POSITIVES: FigureSpec = FigureSpec::new(
    "false_positives",
    "false positives",
    Shown::CountOrZero,
    "Times a live node was marked dead by an observer.",
);

/// What malicious nodes did, for any protocol they attack.
pub const ATTACK_FIGURES: &[FigureSpec] = &[
    FigureSpec::new(
        "polluted",
        "honest nodes polluted",
        Shown::Percent,
        "Share of honest live nodes holding data the malicious nodes forged.",
    ),
    FigureSpec::new(
        "rejected",
        "forgeries rejected",
        Shown::Count,
        "Forged items a receiver's signature check refused.",
    ),
];

/// What a node's uplink did (`uplink_bytes_per_s`), for any protocol.
pub const UPLINK_FIGURES: &[FigureSpec] = &[
    FigureSpec::new(
        "queue_wait_ms",
        "waited in send queues",
        Shown::Ms,
        "Mean time a message waited behind others in its sender's send queue before it left (uplink_bytes_per_s).",
    ),
    FigureSpec::new(
        "dropped_queue",
        "queue drops",
        Shown::Count,
        "Messages dropped because their sender's send queue was full (queue_bytes_max).",
    ),
];

/// The figures a protocol reports beyond the common ones, in the order the page shows them.
pub fn figures(kind: ProtocolKind) -> &'static [FigureSpec] {
    match kind {
        ProtocolKind::Rumor | ProtocolKind::AntiEntropy => &[],
        ProtocolKind::Membership => membership::FIGURES,
        ProtocolKind::Swim => swim::FIGURES,
        ProtocolKind::Aggregate => aggregate::FIGURES,
        ProtocolKind::Broadcast => broadcast::FIGURES,
        ProtocolKind::Election => election::FIGURES,
    }
}

#[cfg(test)]
mod delay_tests {
    use super::DelayHistogram;

    /// A million detections take the room of their longest delay; the count,
    /// first and last are exact and the median within half a bin.
    #[test]
    fn histogram_keeps_what_the_chart_says() {
        let mut h = DelayHistogram::default();
        assert_eq!((h.count(), h.range_ms(), h.median_ms()), (0, None, None));
        for i in 0..1_000_000u64 {
            h.add(1_000 + (i * 7_919) % 9_000_000); // 1 ms to 9 s, spread evenly
        }
        assert_eq!(h.count(), 1_000_000);
        assert!(h.bins.len() <= 91, "{} bins", h.bins.len());
        let (first, last) = h.range_ms().unwrap();
        assert_eq!(first, 1.0);
        assert!((8_999.0..=9_001.0).contains(&last), "{last}");
        let median = h.median_ms().unwrap();
        assert!((median - 4_500.0).abs() <= 50.0, "median {median}");
        let secs = h.per_second();
        assert_eq!(secs.len(), 10);
        assert_eq!(secs.iter().sum::<u64>(), 1_000_000);
        let mut one = DelayHistogram::default();
        one.add(2_345_000);
        assert_eq!(one.median_ms(), Some(2_345.0), "a single delay is its own median");
    }
}
