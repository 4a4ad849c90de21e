//! The engine: owns virtual time, the nodes' up/down status, the network, the
//! fault schedule, randomness and the counters, and drives a [`Protocol`].
//!
//! - `timing=rounds`: round r runs at virtual time r × interval. Live nodes
//!   tick in a fresh random order; requests and replies are delivered at once
//!   (an exchange is atomic); one-way pushes are delivered at the end of the
//!   round, so what a node learns in round r it acts on from round r+1.
//!   A round on a perfect network with nothing recorded sends through
//!   a fast lane (see `flush`) that gives the same run and trace; a protocol
//!   may run such a round as a loop of its own (`Protocol::fast_round`, `Lane`),
//!   in memory order where the round's outcome cannot depend on the order.
//!   The trace hashes each round's events as a multiset (see `TraceHash`).
//! - `timing=timed`: a binary heap of events ordered by (time, sequence number),
//!   never by memory order. Each node ticks every interval (with jitter, first
//!   tick at a random phase); each message takes a latency from the network.
//!
//! Messages are conserved: sent + duplicated = delivered + dropped + in flight.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::Serialize;

use crate::metrics::{RunMetrics, SamplerStats, Series, SeriesPoint};
use crate::protocol::aggregate::Aggregate;
use crate::protocol::anti_entropy::AntiEntropy;
use crate::protocol::broadcast::Broadcast;
use crate::protocol::election::Election;
use crate::protocol::membership::Membership;
use crate::protocol::rumor::Rumor;
use crate::protocol::swim::Swim;
use crate::protocol::{Ctx, Delivery, Env, EventKind, NodeId, NodeState, Outgoing, Protocol};
use crate::scenario::{ProtocolKind, Scenario, ScenarioError, Timing, Topology, ViewKind};
use crate::sim::faults::{At, Fault, FaultSchedule, NodeSet};
use crate::sim::network::{DropReason, Fate, Network};
use crate::sim::rng::{self, NodeRng, Rng, Stream};
use crate::sim::sampler::PeerSampler;
use crate::sim::trace::{TraceEvent, TraceHash};

/// Up/down status of a node id, kept by the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Up,
    Crashed,
    Left,
    /// An id reserved for a later join.
    Absent,
}

/// The hot per-node state, the engine's and the protocol's, kept together so that
/// an exchange touches one cache line at each end (a million nodes do not fit in
/// cache; layout is speed). Aligned so that no slot straddles two lines: one
/// prefetch fetches all of it: 32 bytes with up to 8 bytes of protocol state
/// (rumor's word), 64 with more (aggregation's pair and epoch).
#[derive(Clone, Copy, Debug)]
#[repr(align(32))]
struct NodeSlot<H> {
    bytes: u64,
    msgs: u32,
    /// Draws taken from the node's own random stream.
    rng_ctr: u32,
    status: Status,
    hot: H,
}

/// Every node's [`Protocol::Hot`] state, read-only, by id (ids not yet joined included).
#[derive(Clone, Copy)]
pub struct Hots<'a, H>(&'a [NodeSlot<H>]);

impl<'a, H> Hots<'a, H> {
    #[inline]
    pub fn get(&self, n: NodeId) -> &'a H {
        &self.0[n as usize].hot
    }
    /// Ids allocated room for (the scenario's capacity).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A message as the page draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub sent_us: u64,
    /// Arrival time; `u64::MAX` when the message was dropped.
    pub arrive_us: u64,
}

/// Counters of the network, summed over the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    pub sent: u64,
    pub bytes: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped: [u64; 6],
    pub in_flight: u64,
}

impl NetStats {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
    /// Add the counts of `d` (in flight: what it left in flight).
    fn add(&mut self, d: &NetStats) {
        self.sent += d.sent;
        self.bytes += d.bytes;
        self.delivered += d.delivered;
        self.duplicated += d.duplicated;
        for (a, b) in self.dropped.iter_mut().zip(d.dropped) {
            *a += b;
        }
        self.in_flight += d.in_flight;
    }
}

#[derive(Clone)]
enum EvKind<M> {
    Tick { node: NodeId, epoch: u32 },
    Deliver { from: NodeId, to: NodeId, msg: M },
    Timer { node: NodeId, epoch: u32, token: u64 },
}

#[derive(Clone)]
struct Ev<M> {
    at: u64,
    seq: u64,
    kind: EvKind<M>,
}

impl<M> PartialEq for Ev<M> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl<M> Eq for Ev<M> {}
impl<M> PartialOrd for Ev<M> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<M> Ord for Ev<M> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (then lowest seq) first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.at.cmp(&self.at).then(o.seq.cmp(&self.seq))
    }
}

/// A pending timer in rounds mode: (due us, sequence number, node, epoch, token).
/// Ordered by due time, then by when it was set.
type RoundTimer = (u64, u64, NodeId, u32, u64);

/// Initiators warmed per burst where there is no prefetch instruction (see `Sim::warm`).
const WARM_BATCH: usize = 32;

/// Whether a rumor run of one update runs the code compiled for that layout
/// (`Rumor<true>`). Not in the page: a second copy of the engine around rumor
/// costs 9.7 KB gzipped there, more than the page's budget has left.
const RUMOR_ONE_UPDATE: bool = !cfg!(target_arch = "wasm32");

/// Tag of the tick streams' keys (see `Sim::tick`).
const TICK_STREAMS: u64 = 0x7469_636b;

/// Bound on messages produced by one callback chain: a protocol bug, not a workload.
const MAX_CHAIN: usize = 1 << 24;

/// A trace sink for `gossip-lab trace`.
pub type TraceSink = Box<dyn FnMut(&TraceEvent)>;

/// Where the trace goes, if anywhere. A copy of a run (a checkpoint) traces nowhere.
struct Tracing(Option<TraceSink>);

impl Clone for Tracing {
    fn clone(&self) -> Self {
        Tracing(None)
    }
}

impl std::ops::Deref for Tracing {
    type Target = Option<TraceSink>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Tracing {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The protocol's context for a callback on `node`: borrows the engine's fields
/// one by one, so the protocol can be called while the context is alive.
/// The random stream is the node's own (`NodeRng`), or one given, keyed by `$key`
/// and counted in `$ctr` (a tick in rounds: see `Sim::tick`).
macro_rules! ctx {
    ($sim:ident, $node:expr) => {{
        let node: NodeId = $node;
        let slot = &mut $sim.slots[node as usize];
        ctx!($sim, node, slot, $sim.rng_key, &mut slot.rng_ctr)
    }};
    ($sim:ident, $node:expr, $key:expr, $ctr:expr) => {{
        let node: NodeId = $node;
        let slot = &mut $sim.slots[node as usize];
        ctx!($sim, node, slot, $key, $ctr)
    }};
    ($sim:ident, $node:ident, $slot:ident, $key:expr, $ctr:expr) => {{
        Ctx {
            node: $node,
            rng: NodeRng::new($key, $node, $ctr),
            hot: &mut $slot.hot,
            env: &mut $sim.env,
            out: &mut $sim.outbox,
            sampler: &$sim.sampler,
        }
    }};
}

/// A scheduled fault: when it is due, and the round it was written for (which
/// moves with a live change of the interval).
#[derive(Clone, Debug)]
struct Due {
    us: u64,
    round: Option<u32>,
    fault: Fault,
}

#[derive(Clone)]
pub struct Sim<P: Protocol> {
    scenario: Scenario,
    proto: P,
    net: Network,
    sampler: PeerSampler,
    /// Key of the nodes' own random streams.
    rng_key: u64,
    /// Key of the per-round random orders.
    order_key: u64,
    rng_sched: Rng,
    rng_sampler: Rng,
    interval_us: u64,
    max_time_us: u64,
    /// The clock, the live count, and the events and timers of the current callback.
    env: Env,
    /// Hot per-node state in one cache line slot: status, traffic counters, the
    /// node's random stream and the protocol's hot state.
    slots: Vec<NodeSlot<P::Hot>>,
    generation: Vec<u32>,
    tick_epoch: Vec<u32>,
    /// Ids allocated so far (initial nodes plus joins).
    ids: u32,
    order: Vec<NodeId>,
    deferred: Vec<Outgoing<P::Msg>>,
    /// The one-way messages of a round in a `Lane`: (from, to).
    pushes: Vec<(NodeId, NodeId)>,
    queue: BinaryHeap<Ev<P::Msg>>,
    seq: u64,
    outbox: Vec<Outgoing<P::Msg>>,
    /// Rounds mode: pending timers, earliest first.
    round_timers: BinaryHeap<std::cmp::Reverse<RoundTimer>>,
    faults: Vec<Due>,
    next_fault: usize,
    /// (round r0, its start t0): round r starts at t0 + (r - r0) x interval. A
    /// live change of the interval moves the anchor to where it takes effect.
    clock_base: (u32, u64),
    churn: f64,
    next_sample_us: u64,
    stats: NetStats,
    hash: TraceHash,
    trace: Tracing,
    edges: Vec<Edge>,
    edges_cap: usize,
    edges_head: usize,
    series: Series,
    finished: bool,
    /// Whether the last round sent anything other than one-way pushes: only then
    /// is the peer an initiator will pick worth fetching ahead (a push reaches
    /// its peer at the end of the round, when the line is long gone).
    exchanges: bool,
    /// Rounds the protocol ran in the fast lane.
    lane_rounds: u32,
}

/// The first `draws` peers node `n` will pick in its tick this round, from a full
/// view of `ids` nodes (at least 2) and the round's tick streams (`key`): one per
/// unit of fanout, for the rumor and aggregation protocols that draw nothing
/// else first. `PeerSampler::get_peer` without the rare second draw of
/// `rng::index` (about once in 2^32): only a hint for fetching memory ahead,
/// computed without reading the node's state, so also for nodes that will not
/// tick (down or idle).
#[inline(always)]
fn predicted_peers(n: NodeId, draws: u32, key: u64, ids: u32, mut f: impl FnMut(NodeId)) {
    for k in 0..draws {
        f(tick_peer(n, k, key, ids).0);
    }
}

/// The peer that draw `k` of node `n`'s tick stream this round (`key`) picks from
/// a full view of `ids` nodes (at least 2), as `PeerSampler::get_peer` would,
/// and whether that is final: whether `rng::index` takes no second draw.
#[inline(always)]
fn tick_peer(n: NodeId, k: u32, key: u64, ids: u32) -> (NodeId, bool) {
    let (r, exact) = rng::index_of_draw((rng::node_draw(key, n, k) >> 32) as u32, ids - 1);
    (crate::sim::sampler::other_than(n, r), exact)
}

/// The walk through a round's order of initiators: it steps over the nodes
/// that do not act in a loop of its own (most steps of a push run), which keeps
/// its state in registers, and fetches ahead as it goes, the initiators' slots
/// and (full views) the peers they will draw. Shared by the general round and
/// the protocols' own (`Lane`).
struct Walk {
    i: usize,
    /// Ids in use.
    ids: u32,
    /// The ids of a full view of at least 2 nodes, else None.
    full_ids: Option<u32>,
    /// Whether to draw the peers ahead (a full view, after a round with exchanges).
    predict: bool,
    /// Peers drawn ahead per initiator: its fanout, at most 8.
    peers_ahead: u32,
    tick_key: u64,
}

impl Walk {
    /// Far enough ahead that an idle node's short step still leaves a memory access
    /// time to land: 16 was too close (10^6 push 1.25-1.41 s, against 1.06-1.15 s at 32;
    /// 64 gains nothing more).
    const AHEAD: usize = 32;

    /// The next initiator that acts this round (`acts`: up and not idle), if any,
    /// from `order`, or (`in_ids`) from the ids in memory order (`order` is then empty).
    /// Natively each caller's copy is compiled for its order; the page has one.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn next<H>(
        &mut self,
        in_ids: bool,
        order: &[NodeId],
        slots: &[NodeSlot<H>],
        acts: impl Fn(&NodeSlot<H>) -> bool,
    ) -> Option<NodeId> {
        let (mut i, len) = (self.i, if in_ids { self.ids as usize } else { order.len() });
        let predict_ids = self.full_ids.filter(|_| crate::sim::mem::PREFETCH && self.predict);
        let mut next_up = None;
        while i < len {
            // Where there is no prefetch instruction (wasm): every WARM_BATCH initiators, load their
            // slots and then their peers' in two bursts, so that the misses of a burst overlap.
            if !in_ids && !crate::sim::mem::PREFETCH && i % WARM_BATCH == 0 {
                let batch = &order[i..(i + WARM_BATCH).min(len)];
                std::hint::black_box(self.warm(batch, slots, &acts));
            }
            let at = |j: usize| if in_ids { (j < len).then_some(j as NodeId) } else { order.get(j).copied() };
            if let (false, Some(next)) = (in_ids, at(i + Self::AHEAD)) {
                crate::sim::mem::prefetch(slots.as_ptr().wrapping_add(next as usize));
            }
            if let (Some(ids), Some(next)) = (predict_ids, at(i + Self::AHEAD / 2)) {
                predicted_peers(next, self.peers_ahead, self.tick_key, ids, |peer| {
                    crate::sim::mem::prefetch(slots.as_ptr().wrapping_add(peer as usize))
                });
            }
            let node = if in_ids { i as NodeId } else { order[i] };
            i += 1;
            if acts(&slots[node as usize]) {
                next_up = Some(node);
                break;
            }
        }
        self.i = i;
        next_up
    }

    /// Load the slots of the initiators `order` (a stretch of this round's), then
    /// (full views) of the peers each will draw: loads that nothing waits on, so a
    /// burst of cache misses is served in parallel, where a target has no
    /// prefetch instruction. Returns a value made of what was loaded, for
    /// `black_box`, so that the loads stay.
    fn warm<H>(&self, order: &[NodeId], slots: &[NodeSlot<H>], acts: impl Fn(&NodeSlot<H>) -> bool) -> u32 {
        let mut seen = 0u32;
        for &n in order {
            seen ^= slots[n as usize].rng_ctr;
        }
        if let Some(ids) = self.full_ids {
            // Draw the peers first, then load them in a tight loop, so that the loads are in flight together.
            let mut drawn = [0 as NodeId; WARM_BATCH * 4];
            let mut k = 0;
            for &n in order {
                if !acts(&slots[n as usize]) {
                    continue;
                }
                predicted_peers(n, self.peers_ahead.min(4), self.tick_key, ids, |peer| {
                    drawn[k] = peer;
                    k += 1;
                });
            }
            for &peer in &drawn[..k] {
                seen ^= slots[peer as usize].rng_ctr;
            }
        }
        seen
    }
}

/// A round of ticks in the fast lane (rounds, a perfect network, nothing
/// recorded), lent to a protocol that runs it as a loop of its own
/// ([`Protocol::fast_round`]): no message is built, queued or matched, and the
/// engine's bookkeeping is a few methods here. Walking the order, counting,
/// hashing and dropping are the engine's own code, shared with the general
/// path, so that the run and its trace are the same.
pub struct Lane<'a, H> {
    slots: &'a mut [NodeSlot<H>],
    order: &'a mut Vec<NodeId>,
    /// The key of the round's random order.
    order_key: u64,
    /// How the walk goes: not yet chosen (None), in memory order, or in the round's random order.
    in_id_order: Option<bool>,
    walk: Walk,
    sampler: &'a PeerSampler,
    /// What the round adds to the engine's counters, kept here (in registers) and added at its end.
    stats: NetStats,
    hash: &'a mut TraceHash,
    /// One-way messages of the round, (from, to), delivered at its end.
    pushes: &'a mut Vec<(NodeId, NodeId)>,
    now_us: u64,
    live: u64,
    rng_key: u64,
    mtu: u32,
    /// One-way messages sent this round.
    pushed: u64,
}

impl<H: Copy> Lane<'_, H> {
    /// Choose how this round walks its initiators, before the first `next_actor`:
    /// in a fresh random order, as the model has it (`order_matters`); or, when
    /// nothing in the round's outcome can depend on the order (each tick reads only
    /// state from before the round, and every delivery that could change it waits
    /// for the round's end), in memory order: the same run, and the same trace,
    /// whose rounds hash as multisets (see `TraceHash`), for a fraction of the cost.
    pub fn walk_order(&mut self, order_matters: bool) {
        if order_matters {
            fill_order(self.order, self.walk.ids, self.order_key);
        }
        self.in_id_order = Some(!order_matters);
    }
    /// The next node of the walk that is up and for which `acts` holds (`acts`
    /// is given its hot state: `!Protocol::idle`).
    #[inline(always)]
    pub fn next_actor(&mut self, acts: impl Fn(&H) -> bool) -> Option<NodeId> {
        let acts = |s: &NodeSlot<H>| s.status == Status::Up && acts(&s.hot);
        match self.in_id_order {
            Some(true) => self.walk.next(true, &[], self.slots, acts),
            Some(false) => self.walk.next(false, self.order, self.slots, acts),
            None => panic!("Lane::walk_order comes first"),
        }
    }
    /// The node's hot state and the count of draws taken from its own stream,
    /// copied out: give them back with `store`.
    #[inline(always)]
    pub fn load(&self, n: NodeId) -> (H, u32) {
        let s = &self.slots[n as usize];
        (s.hot, s.rng_ctr)
    }
    #[inline(always)]
    pub fn store(&mut self, n: NodeId, hot: H, rng_ctr: u32) {
        let s = &mut self.slots[n as usize];
        s.hot = hot;
        s.rng_ctr = rng_ctr;
    }
    /// The node's own random stream, its draws counted in `ctr` (from `load`).
    #[inline(always)]
    pub fn rng<'c>(&self, n: NodeId, ctr: &'c mut u32) -> NodeRng<'c> {
        NodeRng::new(self.rng_key, n, ctr)
    }
    /// The stream of the node's tick this round, its draws counted in `ctr` from 0 (see `Sim::tick`).
    #[inline(always)]
    pub fn tick_rng<'c>(&self, n: NodeId, ctr: &'c mut u32) -> NodeRng<'c> {
        NodeRng::new(self.walk.tick_key, n, ctr)
    }
    /// The first peer of the tick of `n` this round, as `peer` draws it from the
    /// tick's stream (see `tick_rng`), whose draws are counted in `draws` (from
    /// 0). With a full view, without a stream: a function of the node and the round.
    #[inline(always)]
    pub fn first_peer(&self, n: NodeId, draws: &mut u32) -> Option<NodeId> {
        debug_assert_eq!(*draws, 0);
        if let Some(ids) = self.walk.full_ids {
            if let (peer, true) = tick_peer(n, 0, self.walk.tick_key, ids) {
                *draws = 1;
                return Some(peer);
            }
        }
        self.peer(n, &mut self.tick_rng(n, draws))
    }
    /// A random peer of `n`, as `Ctx::peer` draws it.
    #[inline(always)]
    pub fn peer(&self, n: NodeId, rng: &mut NodeRng<'_>) -> Option<NodeId> {
        match self.walk.full_ids {
            // A full view of at least 2, known here.
            Some(ids) => Some(crate::sim::sampler::full_view_peer(n, ids, rng)),
            None => self.sampler.get_peer(n, rng),
        }
    }
    pub fn now_us(&self) -> u64 {
        self.now_us
    }
    pub fn live(&self) -> u64 {
        self.live
    }
    /// Messages up to this size take the lane; a protocol whose messages may be
    /// larger runs the round the general way.
    pub fn mtu(&self) -> u32 {
        self.mtu
    }
    /// A message of `size` bytes (at most the MTU) sent now: counted and hashed.
    #[inline(always)]
    pub fn send(&mut self, from: NodeId, to: NodeId, size: u32) {
        debug_assert!(size <= self.mtu);
        count(&mut self.stats, self.slots, from, size);
        self.hash.add_send(from, to, size);
    }
    /// A request or a reply just sent arrives: false (the message dropped, and
    /// the drop hashed) if the receiver is down.
    #[inline(always)]
    pub fn arrive(&mut self, from: NodeId, to: NodeId) -> bool {
        if self.slots[to as usize].status != Status::Up {
            self.stats.dropped[DropReason::Down as usize] += 1;
            self.hash.add(drop_word(from, to, DropReason::Down));
            return false;
        }
        self.stats.delivered += 1;
        true
    }
    /// A one-way message just sent: it arrives at the end of the round (`deliver_pushes`).
    #[inline(always)]
    pub fn push(&mut self, from: NodeId, to: NodeId) {
        self.stats.in_flight += 1;
        self.pushed += 1;
        self.pushes.push((from, to));
    }
    /// Now that the round's ticks are over, deliver its one-way messages in the
    /// order they were sent: `receive(lane, to)` for each that finds its receiver
    /// up (the others are dropped), fetching the receivers of later ones ahead.
    #[inline(always)]
    pub fn deliver_pushes(&mut self, mut receive: impl FnMut(&mut Self, NodeId)) {
        let mut pushes = std::mem::take(self.pushes);
        for (i, &(from, to)) in pushes.iter().enumerate() {
            if let Some(&(_, ahead)) = pushes.get(i + Walk::AHEAD / 2) {
                crate::sim::mem::prefetch(self.slots.as_ptr().wrapping_add(ahead as usize));
            }
            self.stats.in_flight -= 1;
            if self.arrive(from, to) {
                receive(self, to);
            }
        }
        // The buffer is kept for its capacity.
        pushes.clear();
        *self.pushes = pushes;
    }
    /// An event of `node` (hashed; nothing is recorded in the lane).
    #[inline(always)]
    pub fn emit(&mut self, node: NodeId, kind: EventKind) {
        self.hash.add(event_word(node, kind));
    }
}

/// Count a message of `size` bytes sent by `from`.
#[inline(always)]
fn count<H>(stats: &mut NetStats, slots: &mut [NodeSlot<H>], from: NodeId, size: u32) {
    stats.sent += 1;
    stats.bytes += u64::from(size);
    let slot = &mut slots[from as usize];
    slot.msgs += 1;
    slot.bytes += u64::from(size);
}

/// Hash the events the last callback queued (and trace them), and clear them:
/// the same for every protocol, so one copy.
fn hash_events(env: &mut Env, hash: &mut TraceHash, trace: &mut Option<TraceSink>) {
    for e in env.events.drain(..) {
        hash.note(event_word(e.node, e.kind));
        if let Some(t) = trace.as_mut() {
            t(&TraceEvent::State { t_us: env.now_us, node: e.node, state: e.kind.word() });
        }
    }
}

/// The round's random order of the ids `0..ids` (down ids included: the walk skips them).
fn fill_order(order: &mut Vec<NodeId>, ids: u32, key: u64) {
    rng::Permutation::new(ids, key).fill(order);
}

/// The trace word of a message dropped.
fn drop_word(from: NodeId, to: NodeId, reason: DropReason) -> u64 {
    0xd509 ^ (reason as u64) ^ (u64::from(from) << 16) ^ (u64::from(to) << 40)
}

/// The trace word of a node's event.
fn event_word(node: NodeId, kind: EventKind) -> u64 {
    0xe7e7 ^ (kind.code() << 8) ^ (u64::from(node) << 32)
}

/// Build the protocol of the scenario and wrap it in an engine.
pub fn build(s: &Scenario) -> Result<Box<dyn Runner>, ScenarioError> {
    s.validate()?;
    Ok(match s.protocol {
        ProtocolKind::Rumor if RUMOR_ONE_UPDATE && Rumor::<true>::fits(s) => {
            Box::new(Sim::new(s.clone(), Rumor::<true>::new(s)))
        }
        ProtocolKind::Rumor => Box::new(Sim::new(s.clone(), Rumor::<false>::new(s))),
        ProtocolKind::AntiEntropy => Box::new(Sim::new(s.clone(), AntiEntropy::new(s))),
        ProtocolKind::Membership => Box::new(Sim::new(s.clone(), Membership::new(s))),
        ProtocolKind::Swim => Box::new(Sim::new(s.clone(), Swim::new(s))),
        ProtocolKind::Aggregate => Box::new(Sim::new(s.clone(), Aggregate::new(s))),
        ProtocolKind::Broadcast => Box::new(Sim::new(s.clone(), Broadcast::new(s))),
        ProtocolKind::Election => Box::new(Sim::new(s.clone(), Election::new(s))),
    })
}

impl<P: Protocol> Sim<P> {
    /// The run's metrics; `with_series`: also the protocol's per-round series.
    fn collect(&self, with_series: bool) -> RunMetrics {
        let sampler = match &self.sampler {
            PeerSampler::Full { .. } | PeerSampler::Graph(_) => None,
            PeerSampler::Partial(v) => {
                let (mean, std) = self.sampler.in_degree_stats(|n| self.slots[n as usize].status == Status::Up);
                Some(SamplerStats { in_degree_mean: mean, in_degree_std: std, shuffle_bytes: v.shuffle_bytes })
            }
        };
        RunMetrics::collect(
            &self.scenario,
            &self.proto.progress(),
            &self.stats,
            &self.series,
            self.env.live,
            self.env.now_us,
            sampler,
            self.hash.hex(),
            self.proto.updates(self.env.live),
            {
                let mut extra = self.proto.extra(self.env.live, self.env.now_us, Hots(&self.slots));
                // Uplinks: the mean wait in a send queue, and the messages a full queue dropped.
                if self.scenario.uplink_bytes_per_s > 0.0 || self.net.queued > 0 {
                    let wait =
                        (self.net.queued > 0).then(|| self.net.queue_wait_us as f64 / self.net.queued as f64 / 1000.0);
                    extra.push(("queue_wait_ms", wait));
                    extra.push(("dropped_queue", Some(self.stats.dropped[DropReason::Queue as usize] as f64)));
                }
                extra
            },
            if with_series { self.proto.series() } else { Vec::new() },
        )
    }

    pub fn new(scenario: Scenario, proto: P) -> Self {
        let s = &scenario;
        let capacity = s.capacity();
        let mut rng_sampler = rng::stream(s.seed, Stream::Sampler);
        let sampler = match (s.topology, s.view) {
            (Topology::Full, ViewKind::Full) => PeerSampler::full(s.nodes),
            (Topology::Full, ViewKind::Partial) => {
                PeerSampler::partial(s.nodes, capacity, s.view_size, s.seeds, &mut rng_sampler)
            }
            (kind, _) => PeerSampler::Graph(crate::sim::topology::Overlay::new(
                kind,
                s.nodes,
                capacity,
                s.topology_degree,
                s.rewire_rate,
                &s.edges,
                &mut rng_sampler,
            )),
        };
        let faults = schedule(s, &s.faults);
        const { assert!(std::mem::size_of::<NodeSlot<P::Hot>>() <= 64, "a node slot must fit one cache line") };
        let mut slots = crate::sim::mem::big_vec(
            capacity as usize,
            NodeSlot { bytes: 0, msgs: 0, rng_ctr: 0, status: Status::Absent, hot: P::Hot::default() },
        );
        for (n, slot) in slots.iter_mut().enumerate() {
            slot.hot = proto.hot_init(n as NodeId);
            if n < s.nodes as usize {
                slot.status = Status::Up;
            }
        }
        let mut sim = Sim {
            net: Network::new(s, capacity),
            sampler,
            rng_key: rng::derive(s.seed, Stream::Protocol as u64),
            order_key: rng::derive(s.seed, Stream::Order as u64),
            rng_sched: rng::stream(s.seed, Stream::Schedule),
            rng_sampler,
            interval_us: u64::from(s.interval_ms) * 1000,
            max_time_us: s.max_time_us(),
            env: Env::new(s.timing, u64::from(s.nodes)),
            slots,
            generation: vec![1; capacity as usize],
            tick_epoch: vec![0; capacity as usize],
            ids: s.nodes,
            order: Vec::with_capacity(capacity as usize),
            deferred: Vec::new(),
            pushes: Vec::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            outbox: Vec::with_capacity(64),
            round_timers: BinaryHeap::new(),
            faults,
            next_fault: 0,
            clock_base: (0, 0),
            churn: 0.0,
            next_sample_us: u64::from(s.interval_ms) * 1000,
            stats: NetStats::default(),
            hash: TraceHash::new(s.timing == Timing::Rounds),
            trace: Tracing(None),
            edges: Vec::new(),
            edges_cap: 0,
            edges_head: 0,
            series: Series::default(),
            finished: false,
            exchanges: true,
            lane_rounds: 0,
            proto,
            scenario,
        };
        sim.apply_due_faults();
        sim.drain_events();
        if sim.scenario.timing == Timing::Timed {
            for n in 0..sim.ids {
                if sim.slots[n as usize].status == Status::Up {
                    let phase = rng::unit(&mut sim.rng_sched) * sim.interval_us as f64;
                    sim.schedule_tick(n, phase as u64);
                }
            }
        }
        sim.record_sample();
        sim.check_done();
        sim
    }

    pub fn protocol(&self) -> &P {
        &self.proto
    }

    /// Send every trace event to `sink` from now on.
    pub fn set_trace(&mut self, sink: TraceSink) {
        *self.trace = Some(sink);
    }

    // ----- rounds -----------------------------------------------------------

    fn step_round(&mut self) {
        // Faults due by the end of the last round happen between rounds: exactly
        // where a command from the page lands, so a recorded schedule replays it.
        self.apply_due_faults();
        self.drain_events();
        self.env.round += 1;
        self.env.now_us = self.round_start_us(self.env.round);
        self.apply_churn();
        self.shuffle_views();
        while let Some(&std::cmp::Reverse((due, _, node, epoch, token))) = self.round_timers.peek() {
            if due > self.env.now_us {
                break;
            }
            self.round_timers.pop();
            self.fire_timer(node, epoch, token);
        }
        // Status only changes between rounds. A million nodes do not fit in cache:
        // the walk fetches the state of the initiators a few steps ahead, and of
        // the peer each will pick.
        let full_ids = match self.sampler {
            PeerSampler::Full { ids } if ids >= 2 => Some(ids),
            _ => None,
        };
        let (sent_before, pushes_before) = (self.stats.sent, self.deferred.len());
        let tick_key = self.tick_key();
        let order_key = rng::derive(self.order_key, u64::from(self.env.round));
        let mut walk = Walk {
            i: 0,
            ids: self.ids,
            full_ids,
            // Peers are drawn ahead only after a round with exchanges.
            predict: self.exchanges,
            peers_ahead: self.scenario.fanout.min(8),
            tick_key,
        };
        // The network and the recording settings only change between rounds.
        let fast_mtu = self.net.perfect_mtu().filter(|_| self.trace.is_none() && self.edges_cap == 0);
        if let Some(mtu) = fast_mtu.filter(|_| P::FAST_ROUND && self.deferred.is_empty()) {
            let mut lane = Lane {
                slots: &mut self.slots,
                order: &mut self.order,
                order_key,
                in_id_order: None,
                walk,
                sampler: &self.sampler,
                stats: NetStats::default(),
                hash: &mut self.hash,
                pushes: &mut self.pushes,
                now_us: self.env.now_us,
                live: self.env.live,
                rng_key: self.rng_key,
                mtu,
                pushed: 0,
            };
            let handled = self.proto.fast_round(&mut lane);
            let (pushed, added) = (lane.pushed, lane.stats);
            debug_assert!(!handled || lane.in_id_order.is_some());
            walk = lane.walk;
            self.stats.add(&added);
            if handled {
                self.exchanges = self.stats.sent - sent_before > pushed;
                self.lane_rounds += 1;
                self.end_round();
                return;
            }
        }
        // A fresh random order of the ids, computed in sequence; down ids are skipped.
        fill_order(&mut self.order, self.ids, order_key);
        while let Some(node) = walk.next(false, &self.order, &self.slots, |s| self.acts(s)) {
            self.tick(node, fast_mtu, Some(tick_key));
        }
        // End of round: deliver the one-way pushes of this round. Pushes sent while
        // delivering wait for the next round; the buffer's capacity is kept.
        let mut pending = std::mem::take(&mut self.deferred);
        self.exchanges = self.stats.sent - sent_before > (pending.len() - pushes_before) as u64;
        for (i, o) in pending.iter().enumerate() {
            if let Some(ahead) = pending.get(i + Walk::AHEAD / 2) {
                crate::sim::mem::prefetch(self.slots.as_ptr().wrapping_add(ahead.to as usize));
            }
            self.stats.in_flight -= 1;
            match fast_mtu {
                Some(_) => self.deliver_in::<true>(o.from, o.to, o.msg.clone()),
                None => self.deliver(o.from, o.to, o.msg.clone()),
            }
            self.flush(fast_mtu);
        }
        pending.clear();
        pending.append(&mut self.deferred);
        self.deferred = pending;
        self.end_round();
    }

    /// Close a round: every message sent is delivered, dropped or waiting in the
    /// next round's pushes (checked in debug builds), then seal, sample, judge.
    fn end_round(&mut self) {
        let s = &self.stats;
        debug_assert_eq!(
            s.sent + s.duplicated,
            s.delivered + s.dropped_total() + s.in_flight,
            "round {}: messages not conserved",
            self.env.round
        );
        debug_assert_eq!(s.in_flight, self.deferred.len() as u64, "round {}: in flight", self.env.round);
        self.hash.seal();
        self.record_sample();
        self.check_done();
    }

    /// Whether the node of `slot` acts this round: up, and not idle (`Protocol::idle`).
    #[inline(always)]
    fn acts(&self, slot: &NodeSlot<P::Hot>) -> bool {
        slot.status == Status::Up && !self.proto.idle(&slot.hot)
    }

    /// The key of this round's tick streams (see `tick`).
    fn tick_key(&self) -> u64 {
        rng::derive(self.rng_key ^ TICK_STREAMS, u64::from(self.env.round))
    }

    // ----- timed ------------------------------------------------------------

    fn schedule_tick(&mut self, node: NodeId, at: u64) {
        let epoch = self.tick_epoch[node as usize];
        self.push_event(at, EvKind::Tick { node, epoch });
    }

    fn push_event(&mut self, at: u64, kind: EvKind<P::Msg>) {
        self.seq += 1;
        self.queue.push(Ev { at, seq: self.seq, kind });
    }

    /// Process everything up to `until_us` (timed), stopping early when done.
    fn run_timed_until(&mut self, until_us: u64) {
        let until_us = until_us.min(self.max_time_us);
        while !self.finished {
            let next_ev = self.queue.peek().map_or(u64::MAX, |e| e.at);
            let next_fault = self.faults.get(self.next_fault).map_or(u64::MAX, |f| f.us);
            let t = next_ev.min(next_fault).min(self.next_sample_us);
            if t > until_us {
                self.env.now_us = self.env.now_us.max(until_us);
                if until_us >= self.max_time_us {
                    self.finished = true;
                }
                return;
            }
            self.env.now_us = t;
            // At equal times: the sample first, then events, then faults. A fault
            // at t thus lands after everything due at t, as a command given at t does.
            if self.next_sample_us <= next_ev && self.next_sample_us <= next_fault {
                self.env.round += 1;
                self.record_sample();
                self.next_sample_us += self.interval_us;
                self.apply_churn();
                self.shuffle_views();
            } else if next_fault < next_ev {
                self.apply_due_faults();
                self.drain_events();
            } else {
                let ev = self.queue.pop().expect("peeked");
                match ev.kind {
                    EvKind::Tick { node, epoch } => {
                        if epoch == self.tick_epoch[node as usize] && self.slots[node as usize].status == Status::Up {
                            self.tick(node, None, None);
                            let j = self.scenario.jitter;
                            let factor = 1.0 + j * (rng::unit(&mut self.rng_sched) - 0.5);
                            let next = t + ((self.interval_us as f64 * factor) as u64).max(1);
                            self.schedule_tick(node, next);
                        }
                    }
                    EvKind::Deliver { from, to, msg } => {
                        self.stats.in_flight -= 1;
                        self.deliver(from, to, msg);
                        self.flush(None);
                    }
                    EvKind::Timer { node, epoch, token } => self.fire_timer(node, epoch, token),
                }
            }
            self.check_done();
        }
    }

    // ----- shared -----------------------------------------------------------

    /// The node's periodic action, and what it sends (`fast_mtu`: see `flush`).
    /// `round_key`: in rounds, a tick draws from a stream of its own for the node
    /// and the round (`tick_key`), not from the node's running one, so that the
    /// engine knows which peers the tick will pick without reading the node's
    /// state first, and draws ahead only what it fetches.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn tick(&mut self, node: NodeId, fast_mtu: Option<u32>, round_key: Option<u64>) {
        let mut draws = 0;
        let mut cx = match round_key {
            Some(key) => ctx!(self, node, key, &mut draws),
            None => ctx!(self, node),
        };
        self.proto.on_tick(&mut cx);
        self.after_callback(node);
        self.flush(fast_mtu);
    }

    /// Take what the last callback of `node` queued: its timers (armed with the
    /// node's epoch, so that a crash in between makes them stale), then its
    /// events (hashed). Most callbacks queue neither: one flag to test.
    #[inline(always)]
    fn after_callback(&mut self, node: NodeId) {
        if self.env.posted {
            self.take_posted(node);
        }
    }

    #[cold]
    fn take_posted(&mut self, node: NodeId) {
        self.env.posted = false;
        self.arm_new_timers(node);
        self.drain_events();
    }

    fn arm_new_timers(&mut self, node: NodeId) {
        let epoch = self.tick_epoch[node as usize];
        for (after, token) in std::mem::take(&mut self.env.timers) {
            let due = self.env.now_us + after;
            self.seq += 1;
            match self.scenario.timing {
                Timing::Timed => self.push_event(due, EvKind::Timer { node, epoch, token }),
                Timing::Rounds => self.round_timers.push(std::cmp::Reverse((due, self.seq, node, epoch, token))),
            }
        }
    }

    fn fire_timer(&mut self, node: NodeId, epoch: u32, token: u64) {
        if epoch != self.tick_epoch[node as usize] || self.slots[node as usize].status != Status::Up {
            return; // stale: the node crashed (and maybe restarted) since
        }
        self.hash.note(0x7173 ^ token ^ (u64::from(node) << 32));
        let mut cx = ctx!(self, node);
        self.proto.on_timer(token, &mut cx);
        self.after_callback(node);
        self.flush(None);
    }

    /// Hand every queued message to the network, in order. In rounds, requests
    /// and replies are delivered at once, which may queue more (bounded).
    /// `fast_mtu`: a round on a perfect network with nothing recorded (see
    /// `Network::perfect_mtu`), where a message within the MTU
    /// costs only the counters, the trace hash and its delivery. The run and its
    /// trace are the same as the general path gives.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn flush(&mut self, fast_mtu: Option<u32>) {
        let mut i = 0;
        while i < self.outbox.len() {
            assert!(i < MAX_CHAIN, "a protocol produced more than {MAX_CHAIN} messages in one exchange");
            let o = self.outbox[i].clone();
            i += 1;
            let size = self.proto.wire_size(&o.msg);
            if fast_mtu.is_none_or(|mtu| size > mtu) {
                self.send_one(o, size);
                continue;
            }
            self.count_send(o.from, o.to, size);
            if o.delivery == Delivery::Push {
                self.stats.in_flight += 1;
                self.deferred.push(o);
            } else {
                self.deliver_in::<true>(o.from, o.to, o.msg);
            }
        }
        self.outbox.clear();
    }

    /// Count a message of `size` bytes sent now, and hash it into the trace.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn count_send(&mut self, from: NodeId, to: NodeId, size: u32) {
        count(&mut self.stats, &mut self.slots, from, size);
        self.hash.send(from, to, size, self.env.now_us);
    }

    /// Hand one message of `size` bytes to the network: drop it, queue it, or (a
    /// request or a reply, in rounds) deliver it now.
    fn send_one(&mut self, o: Outgoing<P::Msg>, size: u32) {
        let timed = self.scenario.timing == Timing::Timed;
        self.count_send(o.from, o.to, size);
        if let Some(t) = self.trace.as_mut() {
            t(&TraceEvent::Send {
                t_us: self.env.now_us,
                from: o.from,
                to: o.to,
                msg: self.proto.msg_kind(&o.msg),
                bytes: size,
            });
        }
        match self.net.transmit(o.from, o.to, size, timed, self.env.now_us) {
            Fate::Lost(reason) => {
                self.record_edge(o.from, o.to, u64::MAX);
                self.drop_msg(o.from, o.to, &o.msg, reason);
            }
            Fate::Arrives { delay_us, copies } => {
                self.stats.duplicated += u64::from(copies) - 1;
                if timed {
                    self.record_edge(o.from, o.to, self.env.now_us + delay_us);
                    for c in 0..copies {
                        self.stats.in_flight += 1;
                        // A duplicate trails the original by a latency of its own.
                        let extra = if c == 0 { 0 } else { self.net.latency_us() };
                        let kind = EvKind::Deliver { from: o.from, to: o.to, msg: o.msg.clone() };
                        self.push_event(self.env.now_us + delay_us + extra, kind);
                    }
                } else {
                    self.record_edge(o.from, o.to, self.env.now_us);
                    if copies > 1 {
                        // Deliveries are not hashed in rounds (see `deliver_in`): their number is.
                        self.hash.note(0xd0b1 ^ u64::from(copies));
                    }
                    for _ in 0..copies {
                        if o.delivery == Delivery::Push {
                            self.stats.in_flight += 1;
                            self.deferred.push(o.clone());
                        } else {
                            self.deliver(o.from, o.to, o.msg.clone());
                        }
                    }
                }
            }
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        self.deliver_in::<false>(from, to, msg)
    }

    /// Deliver a message now. `FAST`: in the fast lane of a round (see `flush`),
    /// where there is no trace to write and no link that could have been cut.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn deliver_in<const FAST: bool>(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        if self.slots[to as usize].status != Status::Up {
            return self.drop_msg(from, to, &msg, DropReason::Down);
        }
        // In rounds the network was asked an instant ago; in timed mode the link may
        // have been cut while the message was in flight.
        if !FAST && self.scenario.timing == Timing::Timed && !self.net.reachable(from, to) {
            return self.drop_msg(from, to, &msg, DropReason::Partition);
        }
        self.stats.delivered += 1;
        // In rounds a delivery follows from its send (at once, or at the end of the round in
        // the order of sending) unless a drop is hashed instead: only timed runs hash it.
        if !FAST && self.scenario.timing == Timing::Timed {
            self.hash.word(0xde11 ^ (u64::from(from) << 16) ^ (u64::from(to) << 40));
        }
        if !FAST {
            if let Some(t) = self.trace.as_mut() {
                t(&TraceEvent::Deliver { t_us: self.env.now_us, from, to, msg: self.proto.msg_kind(&msg) });
            }
        }
        let mut cx = ctx!(self, to);
        self.proto.on_message(from, msg, &mut cx);
        self.after_callback(to);
    }

    fn drop_msg(&mut self, from: NodeId, to: NodeId, msg: &P::Msg, reason: DropReason) {
        self.stats.dropped[reason as usize] += 1;
        self.hash.note(drop_word(from, to, reason));
        if let Some(t) = self.trace.as_mut() {
            t(&TraceEvent::Drop {
                t_us: self.env.now_us,
                from,
                to,
                msg: self.proto.msg_kind(msg),
                reason: reason.word(),
            });
        }
    }

    #[inline]
    fn drain_events(&mut self) {
        if !self.env.events.is_empty() {
            hash_events(&mut self.env, &mut self.hash, &mut self.trace);
        }
    }

    #[inline]
    fn record_edge(&mut self, from: NodeId, to: NodeId, arrive_us: u64) {
        if self.edges_cap > 0 {
            self.push_edge(from, to, arrive_us);
        }
    }

    fn push_edge(&mut self, from: NodeId, to: NodeId, arrive_us: u64) {
        let e = Edge { from, to, sent_us: self.env.now_us, arrive_us };
        if self.edges.len() < self.edges_cap {
            self.edges.push(e);
        } else {
            self.edges[self.edges_head] = e;
            self.edges_head = (self.edges_head + 1) % self.edges_cap;
        }
    }

    fn apply_due_faults(&mut self) {
        while let Some(due) = self.faults.get(self.next_fault) {
            if due.us > self.env.now_us {
                break;
            }
            let fault = due.fault.clone();
            self.next_fault += 1;
            self.apply_fault(&fault);
        }
    }

    /// Apply one fault now (from the schedule, or a command from the page).
    pub fn apply_fault(&mut self, fault: &Fault) {
        self.hash.word(0xfa17 ^ self.env.now_us);
        if let Some(t) = self.trace.as_mut() {
            t(&TraceEvent::Fault { t_us: self.env.now_us, fault: fault.to_string() });
        }
        let cap = self.slots.len() as u32;
        match fault {
            Fault::Crash(set) => set.ids(cap).for_each(|n| self.crash(n, Status::Crashed)),
            Fault::Leave(set) => set.ids(cap).for_each(|n| self.crash(n, Status::Left)),
            Fault::Restart(set) => set.ids(cap).for_each(|n| self.restart(n)),
            Fault::Join(k) => {
                for _ in 0..*k {
                    if self.ids < cap {
                        let n = self.ids;
                        self.ids += 1;
                        self.sampler.add_node(n, &mut self.rng_sampler);
                        self.slots[n as usize].status = Status::Crashed;
                        self.restart(n);
                    }
                }
            }
            Fault::Partition(groups) => self.net.partition(groups),
            Fault::Cut(a, b) => self.net.cut(a, b),
            Fault::Heal => self.net.heal(),
            Fault::Loss(p) => {
                self.scenario.loss_rate = *p;
                self.retune();
            }
            Fault::Set(change) => {
                self.scenario.set(change.spec.key, &change.value).expect("a change is checked when parsed");
                self.retune();
            }
            Fault::Churn(r) => self.churn = *r,
            Fault::Update(set, key) | Fault::Delete(set, key) => {
                let delete = matches!(fault, Fault::Delete(..));
                for n in set.ids(cap) {
                    if self.slots[n as usize].status == Status::Up {
                        let mut cx = ctx!(self, n);
                        self.proto.on_write(&mut cx, *key, delete);
                        self.after_callback(n);
                        self.flush(None);
                    }
                }
            }
        }
    }

    fn crash(&mut self, n: NodeId, to: Status) {
        let st = self.slots[n as usize].status;
        if st == Status::Up {
            self.env.live -= 1;
            self.tick_epoch[n as usize] += 1;
            self.proto.on_crash(n, self.env.now_us, &mut self.slots[n as usize].hot);
            self.net.reset_node(n);
        }
        if st != Status::Absent && st != Status::Left {
            self.slots[n as usize].status = to;
        }
    }

    fn restart(&mut self, n: NodeId) {
        if self.slots[n as usize].status != Status::Crashed {
            return;
        }
        self.slots[n as usize].status = Status::Up;
        self.env.live += 1;
        self.generation[n as usize] += 1;
        self.tick_epoch[n as usize] += 1;
        self.sampler.restart_node(n, &mut self.rng_sampler);
        let mut cx = ctx!(self, n);
        self.proto.on_restart(&mut cx);
        self.after_callback(n);
        self.flush(None);
        if self.scenario.timing == Timing::Timed {
            let phase = rng::unit(&mut self.rng_sched) * self.interval_us as f64;
            self.schedule_tick(n, self.env.now_us + phase as u64);
        }
    }

    /// When round `r` starts (timed: when interval `r` is sampled).
    fn round_start_us(&self, r: u32) -> u64 {
        round_start(self.clock_base, self.interval_us, r)
    }

    /// The scenario's live settings changed (a `Set` or `Loss` fault): the
    /// network, the protocol and the clock take them from now on.
    fn retune(&mut self) {
        self.net.retune(&self.scenario);
        self.proto.retune(&self.scenario);
        let interval_us = u64::from(self.scenario.interval_ms) * 1000;
        if interval_us == self.interval_us {
            return;
        }
        match self.scenario.timing {
            // Between rounds: the next round lasts the new interval.
            Timing::Rounds => self.clock_base = (self.env.round, self.env.now_us),
            Timing::Timed => {
                // At the start of an interval the next sample moves; within one, the
                // interval under way keeps its end. Nodes' ticks take the new
                // interval from their next one.
                if self.next_sample_us.saturating_sub(self.interval_us) == self.env.now_us {
                    self.next_sample_us = self.env.now_us + interval_us;
                }
                self.clock_base = (self.env.round + 1, self.next_sample_us);
            }
        }
        self.interval_us = interval_us;
        if self.scenario.max_time_ms == 0 {
            self.max_time_us = self.round_start_us(self.scenario.max_rounds);
        }
        let (base, interval_us, now) = (self.clock_base, self.interval_us, self.env.now_us);
        retime(&mut self.faults[self.next_fault..], base, interval_us, now);
    }

    fn apply_churn(&mut self) {
        if self.churn <= 0.0 {
            return;
        }
        let p = (self.churn * self.interval_us as f64 / 1e6).min(1.0);
        for n in 0..self.ids {
            match self.slots[n as usize].status {
                Status::Up if rng::chance(&mut self.rng_sched, p) => self.crash(n, Status::Crashed),
                Status::Crashed if rng::chance(&mut self.rng_sched, p) => self.restart(n),
                _ => {}
            }
        }
    }

    fn shuffle_views(&mut self) {
        if let PeerSampler::Partial(views) = &mut self.sampler {
            let slots = &self.slots;
            let net = &self.net;
            for n in 0..self.ids {
                if slots[n as usize].status == Status::Up {
                    views.shuffle(n, &mut self.rng_sampler, |a, b| {
                        slots[b as usize].status == Status::Up && net.reachable(a, b)
                    });
                }
            }
        }
    }

    fn record_sample(&mut self) {
        self.proto.on_sample(self.env.round, Hots(&self.slots));
        let p = self.proto.progress();
        self.series.push(SeriesPoint {
            round: self.env.round,
            t_ms: self.env.now_us as f64 / 1000.0,
            coverage: p.coverage(self.env.live),
            active: p.active,
            live: self.env.live,
            msgs: self.stats.sent,
            bytes: self.stats.bytes,
            queued: self.net.queued,
            queue_wait_us: self.net.queue_wait_us,
            queue_drops: self.stats.dropped[DropReason::Queue as usize],
        });
    }

    fn check_done(&mut self) {
        // A run is not over while its schedule still has something to do.
        let pending = self.next_fault < self.faults.len();
        if (self.proto.done(self.env.live) && !pending) || self.env.now_us >= self.max_time_us {
            if !self.finished
                && self.scenario.timing == Timing::Timed
                && self.series.last_t_ms() < self.env.now_us as f64 / 1000.0
            {
                self.record_sample();
            }
            self.finished = true;
        }
    }
}

/// When round `r` starts, from the clock's anchor `base` = (r0, t0): t0 + (r - r0) x interval.
fn round_start(base: (u32, u64), interval_us: u64, r: u32) -> u64 {
    base.1 + u64::from(r.saturating_sub(base.0)) * interval_us
}

/// Entries written for a round move with it when the interval changes (not
/// before `now`). One copy for every protocol (not generic), so the page carries it once.
fn retime(pending: &mut [Due], base: (u32, u64), interval_us: u64, now: u64) {
    for due in pending.iter_mut() {
        if let Some(r) = due.round {
            due.us = round_start(base, interval_us, r).max(now);
        }
    }
    pending.sort_by_key(|f| f.us);
}

/// The scenario's workload and the fault schedule `faults`, in the order they
/// happen. The workload's updates go first, so at equal times they precede the
/// schedule's entries; same-time entries keep their written order.
fn schedule(s: &Scenario, faults: &FaultSchedule) -> Vec<Due> {
    let mut all: Vec<Due> = workload(s);
    all.extend(faults.0.iter().map(|e| Due {
        us: e.at.to_us(s.interval_ms),
        round: if let At::Round(r) = e.at { Some(r) } else { None },
        fault: e.fault.clone(),
    }));
    all.sort_by_key(|f| f.us); // stable
    all
}

/// The scenario's workload as scheduled writes: update 0 at `origin`, the others
/// at random initial nodes (or, with `senders`, at nodes 0, 1, .., senders-1 in
/// turn), `update_every` rounds apart (all at once if 0).
fn workload(s: &Scenario) -> Vec<Due> {
    let mut rng = rng::stream(s.seed, Stream::Workload);
    (0..s.updates)
        .map(|i| {
            let node = if s.senders > 0 {
                i % s.senders
            } else if i == 0 {
                s.origin
            } else {
                rng::index(&mut rng, s.nodes)
            };
            let round = i * s.update_every;
            Due {
                us: At::Round(round).to_us(s.interval_ms),
                round: Some(round),
                fault: Fault::Update(NodeSet::single(node), None),
            }
        })
        .collect()
}

/// What the command line and the page need from a running simulation, whatever its protocol.
pub trait Runner {
    fn scenario(&self) -> &Scenario;
    /// One round (rounds) or one interval (timed). False once the run is finished.
    fn step(&mut self) -> bool;
    /// Run until virtual time `t_us` (or the end).
    fn advance_to(&mut self, t_us: u64);
    fn run_to_end(&mut self);
    fn finished(&self) -> bool;
    fn now_us(&self) -> u64;
    fn round(&self) -> u32;
    fn metrics(&self) -> RunMetrics;
    /// The metrics without the protocol's per-round series: what the page's
    /// figures line and A/B table read every frame (their cost must not grow with the run).
    fn figures(&self) -> RunMetrics;
    fn series(&self) -> &Series;
    fn stats(&self) -> NetStats;
    /// Rounds run in the fast lane (`Protocol::fast_round`); the rest took the general path.
    fn lane_rounds(&self) -> u32;
    fn live(&self) -> u64;
    /// Node ids in use (initial nodes plus joins so far).
    fn ids(&self) -> u32;
    /// One state byte per id, for drawing.
    fn node_states(&self, out: &mut Vec<u8>);
    /// Keep the last `cap` messages for drawing.
    fn record_edges(&mut self, cap: usize);
    /// Recent messages, oldest first.
    fn recent_edges(&self, out: &mut Vec<Edge>);
    /// Follow the fault schedule `faults` from now on, in place of the scenario's:
    /// what is due by now happens now (in the schedule's order), the rest when
    /// due. False, with nothing changed, when the entries this run has applied
    /// are not the first ones of `faults` or something in it was due before now
    /// (this run is not that schedule's), or it writes other updates (the
    /// protocol was built for the writes: the run must be built again).
    fn reschedule(&mut self, faults: &FaultSchedule) -> bool;
    /// An independent copy of the run as it is now, which goes on exactly as this
    /// one would (no trace sink).
    fn fork(&self) -> Box<dyn Runner>;
    fn set_trace_sink(&mut self, sink: TraceSink);
    /// The node's event log, oldest first.
    fn events(&self, n: NodeId) -> Vec<String>;
    /// How long after each crash each observer marked it dead.
    fn detections(&self) -> Option<&crate::protocol::DelayHistogram>;
    /// Everything the inspector shows about a node, engine and protocol rows together.
    fn inspect(&self, n: NodeId) -> Vec<(&'static str, String)>;
    /// The protocol's own series (aggregate: variance, ...), one value per sample.
    fn protocol_series(&self) -> Vec<(&'static str, Vec<Option<f64>>)>;
    /// The peers in a node's partial view (empty with a full view).
    fn view_of(&self, n: NodeId) -> Vec<NodeId>;
    /// Timed mode: when the next event (a tick, a delivery, a timer, a fault or a
    /// sample) happens; None in rounds mode or when nothing is left.
    fn next_event_us(&self) -> Option<u64>;
    /// When the next round starts (timed: the next interval's sample).
    fn next_round_us(&self) -> u64;
}

impl<P: Protocol> Runner for Sim<P> {
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    fn step(&mut self) -> bool {
        if self.finished {
            return false;
        }
        match self.scenario.timing {
            Timing::Rounds => self.step_round(),
            Timing::Timed => {
                let target = self.next_sample_us;
                self.run_timed_until(target);
            }
        }
        !self.finished
    }
    fn advance_to(&mut self, t_us: u64) {
        match self.scenario.timing {
            Timing::Rounds => {
                while !self.finished && self.round_start_us(self.env.round + 1) <= t_us {
                    self.step_round();
                }
            }
            Timing::Timed => self.run_timed_until(t_us),
        }
    }
    fn run_to_end(&mut self) {
        while self.step() {}
    }
    fn finished(&self) -> bool {
        self.finished
    }
    fn now_us(&self) -> u64 {
        self.env.now_us
    }
    fn round(&self) -> u32 {
        self.env.round
    }
    fn metrics(&self) -> RunMetrics {
        self.collect(true)
    }
    fn figures(&self) -> RunMetrics {
        self.collect(false)
    }
    fn series(&self) -> &Series {
        &self.series
    }
    fn stats(&self) -> NetStats {
        self.stats
    }
    fn lane_rounds(&self) -> u32 {
        self.lane_rounds
    }
    fn live(&self) -> u64 {
        self.env.live
    }
    fn ids(&self) -> u32 {
        self.ids
    }
    fn node_states(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend(self.slots.iter().enumerate().map(|(n, slot)| match slot.status {
            Status::Up => self.proto.node_state(n as NodeId, &slot.hot) as u8,
            Status::Crashed | Status::Left => self.proto.down_state(n as NodeId) as u8,
            Status::Absent => NodeState::Absent as u8,
        }));
    }
    fn record_edges(&mut self, cap: usize) {
        self.edges_cap = cap;
        self.edges.clear();
        self.edges_head = 0;
    }
    fn recent_edges(&self, out: &mut Vec<Edge>) {
        out.clear();
        out.extend_from_slice(&self.edges[self.edges_head..]);
        out.extend_from_slice(&self.edges[..self.edges_head]);
    }
    fn reschedule(&mut self, faults: &FaultSchedule) -> bool {
        let mut next = schedule(&self.scenario, faults);
        let done = self.next_fault;
        let same = |a: &Due, b: &Due| a.round == b.round && (a.round.is_some() || a.us == b.us) && a.fault == b.fault;
        if next.len() < done || !self.faults[..done].iter().zip(&next[..done]).all(|(a, b)| same(a, b)) {
            return false;
        }
        // Nothing still to come may be due before now: the run went past it without it.
        let (base, interval, now) = (self.clock_base, self.interval_us, self.env.now_us);
        if next[done..].iter().any(|d| d.round.map_or(d.us, |r| round_start(base, interval, r)) < now) {
            return false;
        }
        // The protocol was built for the schedule's writes (how many rumors, which keys).
        fn writes(list: &[Due]) -> impl Iterator<Item = &Fault> {
            list.iter().map(|d| &d.fault).filter(|f| matches!(f, Fault::Update(..) | Fault::Delete(..)))
        }
        if !writes(&next).eq(writes(&self.faults)) {
            return false;
        }
        next[..done].clone_from_slice(&self.faults[..done]);
        retime(&mut next[done..], base, interval, now);
        self.faults = next;
        self.scenario.faults = faults.clone();
        self.apply_due_faults();
        self.drain_events();
        if self.next_fault > done {
            // What happened now was still to come when the run was judged: it goes on, as
            // the written run would, unless out of time.
            self.finished = self.env.now_us >= self.max_time_us;
        } else {
            self.finished = false;
            self.check_done();
        }
        true
    }
    fn fork(&self) -> Box<dyn Runner> {
        Box::new(self.clone())
    }
    fn set_trace_sink(&mut self, sink: TraceSink) {
        self.set_trace(sink);
    }
    fn events(&self, n: NodeId) -> Vec<String> {
        self.proto.event_log(n)
    }
    fn detections(&self) -> Option<&crate::protocol::DelayHistogram> {
        self.proto.detections()
    }
    fn protocol_series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        self.proto.series()
    }
    fn next_round_us(&self) -> u64 {
        self.round_start_us(self.env.round + 1)
    }
    fn next_event_us(&self) -> Option<u64> {
        if self.scenario.timing != Timing::Timed || self.finished {
            return None;
        }
        let ev = self.queue.peek().map_or(u64::MAX, |e| e.at);
        let fault = self.faults.get(self.next_fault).map_or(u64::MAX, |f| f.us);
        let t = ev.min(fault).min(self.next_sample_us).min(self.max_time_us);
        (t != u64::MAX).then_some(t)
    }
    fn view_of(&self, n: NodeId) -> Vec<NodeId> {
        match &self.sampler {
            PeerSampler::Partial(_) | PeerSampler::Graph(_) if n < self.ids => self.sampler.init(n),
            _ => Vec::new(),
        }
    }
    fn inspect(&self, n: NodeId) -> Vec<(&'static str, String)> {
        let slot = &self.slots[n as usize];
        let status = match slot.status {
            Status::Up => "up",
            Status::Crashed => "crashed",
            Status::Left => "left",
            Status::Absent => "not joined",
        };
        let mut rows = vec![
            ("node", n.to_string()),
            ("status", status.to_string()),
            ("generation", self.generation[n as usize].to_string()),
            ("messages sent", slot.msgs.to_string()),
            ("bytes sent", slot.bytes.to_string()),
        ];
        if self.net.is_partitioned() {
            rows.push(("partition group", self.net.group_of(n).to_string()));
        }
        if self.scenario.regions > 0 {
            let r = crate::sim::network::region_of(n, self.scenario.nodes, self.scenario.regions);
            rows.push(("region", self.scenario.region_name(r)));
        }
        match &self.sampler {
            PeerSampler::Partial(_) => rows.push(("view", format!("{:?}", self.sampler.init(n)))),
            PeerSampler::Graph(_) => rows.push(("neighbours", format!("{:?}", self.sampler.init(n)))),
            PeerSampler::Full { .. } => {}
        }
        if slot.status == Status::Up {
            rows.extend(self.proto.describe(n, &slot.hot));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Progress;

    /// The peers the engine fetches ahead are the peers ticks draw: the first
    /// `fanout` draws of a full view, for every node of several cluster sizes.
    #[test]
    fn predicted_peers_are_the_draws() {
        for ids in [2u32, 3, 10, 1000, 65_537] {
            let sampler = PeerSampler::full(ids);
            for n in 0..ids.min(500) {
                let key = rng::derive(u64::from(ids), 9);
                let mut ctr = 0;
                let mut stream = NodeRng::new(key, n, &mut ctr);
                let drawn: Vec<NodeId> = (0..3).map(|_| sampler.get_peer(n, &mut stream).unwrap()).collect();
                let mut predicted = Vec::new();
                predicted_peers(n, 3, key, ids, |p| predicted.push(p));
                assert_eq!(predicted, drawn, "ids {ids}, node {n}");
            }
        }
    }

    /// A protocol that sets one timer on its first tick and records when timers fire.
    #[derive(Clone)]
    struct Alarm {
        after_us: u64,
        set: Vec<Option<u64>>,
        fired: Vec<(NodeId, u64, u64)>,
    }

    impl Protocol for Alarm {
        type Msg = ();
        type Hot = ();
        fn on_tick(&mut self, cx: &mut Ctx<'_, ()>) {
            if self.set[cx.node as usize].is_none() {
                self.set[cx.node as usize] = Some(cx.now_us());
                cx.schedule(self.after_us, u64::from(cx.node) + 100);
            }
        }
        fn on_message(&mut self, _from: NodeId, _msg: (), _cx: &mut Ctx<'_, ()>) {}
        fn on_timer(&mut self, token: u64, cx: &mut Ctx<'_, ()>) {
            self.fired.push((cx.node, token, cx.now_us()));
        }
        fn on_crash(&mut self, _node: NodeId, _now_us: u64, _hot: &mut ()) {}
        fn on_restart(&mut self, _cx: &mut Ctx<'_, ()>) {}
        fn wire_size(&self, _msg: &()) -> u32 {
            0
        }
        fn msg_kind(&self, _msg: &()) -> &'static str {
            "none"
        }
        fn node_state(&self, _node: NodeId, _hot: &()) -> NodeState {
            NodeState::Susceptible
        }
        fn describe(&self, _node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
            Vec::new()
        }
        fn progress(&self) -> Progress {
            Progress::default()
        }
        fn done(&self, _live: u64) -> bool {
            false
        }
    }

    fn alarm(pairs: &[&str], after_us: u64) -> Sim<Alarm> {
        let mut s = Scenario::default();
        s.apply_pairs(pairs.iter().copied()).unwrap();
        let n = s.capacity() as usize;
        Sim::new(s, Alarm { after_us, set: vec![None; n], fired: Vec::new() })
    }

    /// Timed: a timer fires exactly `after` after it was set, with its token, on its node.
    #[test]
    fn timers_fire_on_time() {
        let mut sim = alarm(&["nodes=5", "timing=timed", "max_rounds=5"], 1_234_567);
        sim.run_to_end();
        let p = sim.protocol();
        assert_eq!(p.fired.len(), 5);
        for &(node, token, at) in &p.fired {
            assert_eq!(token, u64::from(node) + 100);
            assert_eq!(at, p.set[node as usize].unwrap() + 1_234_567);
        }
    }

    /// Rounds: a timer fires at the start of the first round at or after its due time.
    #[test]
    fn timers_fire_at_round_starts() {
        let mut sim = alarm(&["nodes=3", "max_rounds=6"], 2_500_000);
        sim.run_to_end();
        // Set in round 1 (t = 1 s), due at 3.5 s: fires at the start of round 4.
        assert_eq!(sim.protocol().fired.len(), 3);
        assert!(sim.protocol().fired.iter().all(|&(_, _, at)| at == 4_000_000));
    }

    /// A crash makes the node's pending timers stale: they never fire, even after a restart.
    #[test]
    fn crash_cancels_timers() {
        let mut sim =
            alarm(&["nodes=3", "timing=timed", "max_rounds=8", "faults=crash:1@1500ms,restart:1@1600ms"], 3_000_000);
        sim.run_to_end();
        let fired: Vec<NodeId> = sim.protocol().fired.iter().map(|f| f.0).collect();
        assert!(fired.contains(&0) && fired.contains(&2));
        assert!(!fired.contains(&1), "a timer set before the crash fired: {fired:?}");
    }
}
