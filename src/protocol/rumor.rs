//! Rumor mongering (Demers et al., 1987; Karp et al., 2000): updates spread
//! from where they are written by push, pull or push-pull, and a stop rule
//! decides when a node loses interest in each one.
//!
//! A run carries up to 32 updates; a message names the ones it carries in a
//! 32-bit mask, so several hot rumors travel together, as in the paper.
//!
//! Exchanges:
//! - push, stop rule blind or never: `Push` (one-way);
//! - push with a feedback rule, and push-pull from a node with hot rumors: `Offer`,
//!   answered by `Ack` (which updates the receiver knew; in push-pull also its own hot ones);
//! - pull, and push-pull from a node with nothing hot: `Pull` with a digest of
//!   what it knows, answered by `Give` (possibly empty);
//! - a receiver over its connection limit answers `Busy` (a push is just refused);
//! - backup anti-entropy (`backup_interval`): `BackupSyn` (digest), `BackupAck`
//!   (what the initiator lacks, and what the receiver wants), `BackupData`.
//!
//! Nodes pull only while they lack an update written so far: a request from a
//! node that holds everything could not change the run, so it is not simulated.

use crate::metrics::UpdateStats;
use crate::protocol::updates::Ledger;
use crate::protocol::{Ctx, EventKind, Hots, Lane, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{Pullers, Scenario, Spread, StopRule};
use crate::sim::rng;

/// A set of updates, one bit per update id. 32 bits keep a message at 16 bytes,
/// so the million-node runs stream little memory.
pub type Mask = u32;

/// A node's hot word, kept in the engine's node slot so that a contact touches
/// one cache line per node, and a slot stays within 32 bytes. With one update
/// (the classic case, and the million-node one): when it arrived in the low
/// [`TIME_BITS`] bits, the counter above, then the known flag and the active
/// flag on top, so that a node that holds nothing has the word 0. With several:
/// the known mask in the low half and the active mask in the high half (the
/// rest is in `Rumor::cold`).
pub type Hot = u64;

/// Bits of the arrival time in the one-update [`Hot`] word: 2^52 us is 142
/// years, beyond any run's time limit (a test checks the scenario's bound).
pub const TIME_BITS: u32 = 52;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;
/// The node holds the update (the flag is one shift away: no 52-bit constant to compare with).
const KNOWN: u64 = 1 << 62;
const ACTIVE: u64 = 1 << 63;
/// The counter's bits in the one-update [`Hot`] word (k is at most 1000).
const COUNTER_MASK: u64 = 0x3ff;

/// The one-update layout of a [`Hot`] word, as functions of the word alone.
mod one {
    use super::{Hot, Mask, ACTIVE, COUNTER_MASK, KNOWN, TIME_BITS, TIME_MASK};

    #[inline(always)]
    pub fn known(h: Hot) -> Mask {
        Mask::from(h & KNOWN != 0)
    }
    #[inline(always)]
    pub fn active(h: Hot) -> Mask {
        (h >> 63) as Mask
    }
    /// When the update arrived, if known.
    #[inline(always)]
    pub fn arrived(h: Hot) -> u64 {
        h & TIME_MASK
    }
    #[inline(always)]
    pub fn counter(h: Hot) -> u32 {
        ((h >> TIME_BITS) & COUNTER_MASK) as u32
    }
    #[inline(always)]
    pub fn set_counter(h: &mut Hot, v: u32) {
        debug_assert!(u64::from(v) <= COUNTER_MASK);
        *h = (*h & !(COUNTER_MASK << TIME_BITS)) | (u64::from(v) << TIME_BITS);
    }
    /// Whether the word has `flag` (KNOWN or ACTIVE), and the update arrived before `now`:
    /// one comparison.
    #[inline(always)]
    pub fn before(h: Hot, flag: u64, now: u64) -> bool {
        (h & (flag | TIME_MASK)).wrapping_sub(flag) < now
    }
    /// Holds the update from `t` on, spreading it, its counter at zero.
    #[inline(always)]
    pub fn mark(h: &mut Hot, t: u64) {
        debug_assert!(t <= TIME_MASK);
        *h = t | KNOWN | ACTIVE;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RumorMsg {
    /// Hot rumors, one-way.
    Push { rumors: Mask },
    /// Hot rumors, asking which the receiver already knew; `known` is the sender's digest.
    Offer { rumors: Mask, known: Mask },
    /// Answer to an `Offer`: which of `offered` the receiver knew, and (push-pull) its hot rumors the sender lacks.
    Ack { offered: Mask, knew: Mask, give: Mask },
    /// A request for hot rumors the sender lacks.
    Pull { known: Mask },
    /// Answer to a `Pull` (empty when the receiver has nothing to give).
    Give { rumors: Mask },
    /// The receiver is over its connection limit this round.
    Busy,
    /// Backup anti-entropy: the sender's digest.
    BackupSyn { known: Mask },
    /// Backup anti-entropy: what the initiator lacks, and the digest of what the receiver wants.
    BackupAck { give: Mask, want: Mask },
    /// Backup anti-entropy: what the receiver wanted.
    BackupData { rumors: Mask },
}

/// Gossip header: message type (1), flags (1), sender id (4), sequence (4).
const GOSSIP_HEADER: u32 = 10;
/// An update id or a digest on the wire.
const ID_BYTES: u32 = 8;

const NEVER: u64 = u64::MAX;

fn bits(mut m: Mask) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let u = m.trailing_zeros() as usize;
            m &= m - 1;
            u
        })
    })
}

/// The live settings of a rumor (`scenario::Live`): a running cluster takes new values.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    spread: Spread,
    fanout: u32,
    stop: StopRule,
    k: u32,
    /// A feedback counter counts contacts that knew in a row only.
    consecutive: bool,
    conn_limit: u32,
    backup_interval: u32,
    /// Every node pulls every round (`pullers=all`), not only those that lack an update.
    all_pull: bool,
}

impl Knobs {
    fn of(s: &Scenario) -> Self {
        Knobs {
            spread: s.spread,
            fanout: s.fanout,
            stop: s.stop,
            k: s.k,
            consecutive: s.counting == crate::scenario::Counting::Consecutive,
            conn_limit: s.conn_limit,
            backup_interval: s.backup_interval,
            all_pull: s.spread != Spread::Push && s.pullers == Pullers::All,
        }
    }
}

#[derive(Clone)]
pub struct Rumor<const ONE: bool = false> {
    knobs: Knobs,
    payload_bytes: u32,
    nodes: u32,
    /// Update slots per node.
    r: usize,
    /// What a node holds beyond its [`Hot`] words, `cold_stride` words per node
    /// (none with one update): the time each update arrived, then a 32-bit
    /// counter per update, two to a word.
    cold_stride: usize,
    cold: Vec<u64>,
    /// Connection limit: per node, the round (high half) and contacts accepted in it (low half).
    conn: Vec<u64>,
    ledger: Ledger,
    written: Mask,
    /// One-update layout: a node is idle when its hot word masked with the
    /// first equals the second (see `refresh_idle`).
    idle_test: (Hot, Hot),
    active_pairs: u64,
    /// Malicious node ids.
    malicious: std::ops::Range<NodeId>,
    /// `attack=drop`: malicious nodes learn but never pass anything on.
    drop: bool,
    /// `attack=fake-rumor`: the slot of the rumor malicious nodes invented (never in the ledger).
    forged: Option<usize>,
    /// `verify=signatures`: receivers check that a rumor is signed by its writer, and reject forgeries.
    verify: bool,
    /// Honest live nodes holding the forged rumor; forged rumors rejected.
    polluted: u64,
    rejected: u64,
    polluted_series: Vec<f64>,
    honest: u64,
    /// The lane's queue of messages, kept for its capacity (see `fast_round`).
    lane_queue: Vec<(NodeId, NodeId, LaneMsg)>,
    /// With every node pulling and a feedback rule, the requests a holder answered
    /// in a round, per (node, update): the round shifted left by 2, and
    /// [`HEARD_KNEW`] and [`HEARD_USEFUL`] (see `judge_window`). Empty otherwise.
    window: Vec<u32>,
}

/// A request in the round came from a node that knew the update.
const HEARD_KNEW: u32 = 1;
/// A request in the round came from a node that lacked it.
const HEARD_USEFUL: u32 = 2;

impl<const ONE: bool> Rumor<ONE> {
    /// Whether malicious nodes of a run of `s` invent a rumor of their own.
    fn forges(s: &Scenario) -> bool {
        s.malicious_count() > 0 && s.attack == crate::scenario::Attack::FakeRumor
    }

    /// Update slots a run of `s` needs: its updates, and the forged one of a fake-rumor attack.
    fn slots(s: &Scenario) -> usize {
        (s.total_updates() as usize + usize::from(Self::forges(s)))
            .clamp(1, crate::scenario::RUMOR_UPDATES_MAX as usize)
    }

    /// Whether a run of `s` fits this layout (any run fits `Rumor<false>`).
    pub fn fits(s: &Scenario) -> bool {
        !ONE || Self::slots(s) == 1
    }

    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let r = Self::slots(s);
        let cold_stride = if r == 1 { 0 } else { r + r.div_ceil(2) };
        let mut cold = crate::sim::mem::big_vec(cap * cold_stride, 0u64);
        for node in cold.chunks_mut(cold_stride.max(1)) {
            node[..r].fill(NEVER);
        }
        let malicious = crate::protocol::malicious(s);
        assert!(!ONE || r == 1, "Rumor<true> is the one-update layout");
        let mut rumor = Rumor {
            knobs: Knobs::of(s),
            payload_bytes: s.payload_bytes,
            nodes: s.nodes,
            r,
            cold_stride,
            cold,
            // Allocated by `retune` when a connection limit is set.
            conn: Vec::new(),
            ledger: Ledger::default(),
            written: 0,
            idle_test: (0, 0),
            active_pairs: 0,
            malicious: malicious.clone(),
            drop: s.malicious_count() > 0 && s.attack == crate::scenario::Attack::Drop,
            forged: Self::forges(s).then_some(r - 1),
            verify: s.verify == crate::scenario::Verify::Signatures,
            polluted: 0,
            rejected: 0,
            polluted_series: Vec::new(),
            honest: u64::from(s.nodes - malicious.len() as u32),
            lane_queue: Vec::new(),
            window: Vec::new(),
        };
        if let Some(f) = rumor.forged {
            // The colluding malicious nodes all hold the invented rumor from the start, and spread it.
            // (Their hot words get it in `hot_init`; here the time it arrived, in the cold words.)
            for n in malicious {
                if !rumor.one() {
                    let b = rumor.cold_base(n);
                    rumor.cold[b + f] = 0;
                }
                rumor.active_pairs += 1;
            }
        }
        rumor.retune(s);
        rumor
    }

    /// The updates in `m`, lowest first. With one update a mask is 0 or 1, and the
    /// loop is a single test.
    #[inline(always)]
    fn each(&self, m: Mask) -> impl Iterator<Item = usize> {
        bits(if ONE { m & 1 } else { m })
    }

    /// The one-update layout (see [`Hot`]): known at compile time in `Rumor<true>`,
    /// which the engine builds natively for runs of one update, so that the hot
    /// path of a million-node run carries no layout tests.
    #[inline(always)]
    fn one(&self) -> bool {
        ONE || self.r == 1
    }

    fn is_malicious(&self, n: NodeId) -> bool {
        self.malicious.contains(&n)
    }

    /// The fraction of honest live nodes holding the invented rumor.
    pub fn polluted_fraction(&self) -> f64 {
        if self.honest == 0 {
            0.0
        } else {
            self.polluted as f64 / self.honest as f64
        }
    }

    #[inline]
    fn cold_base(&self, n: NodeId) -> usize {
        n as usize * self.cold_stride
    }
    /// The hot word of a node that holds nothing, in either layout.
    const EMPTY: Hot = 0;
    #[inline]
    fn known(&self, h: &Hot) -> Mask {
        if self.one() {
            one::known(*h)
        } else {
            *h as Mask
        }
    }
    #[inline]
    fn active(&self, h: &Hot) -> Mask {
        if self.one() {
            one::active(*h)
        } else {
            (h >> 32) as Mask
        }
    }
    /// When node `n` (hot word `h`) received update `u`, which it knows.
    #[inline]
    fn arrived(&self, h: &Hot, n: NodeId, u: usize) -> u64 {
        if self.one() {
            one::arrived(*h)
        } else {
            self.cold[self.cold_base(n) + u]
        }
    }
    #[inline]
    fn counter(&self, h: &Hot, n: NodeId, u: usize) -> u32 {
        if self.one() {
            one::counter(*h)
        } else {
            (self.cold[self.cold_base(n) + self.r + u / 2] >> (32 * (u % 2))) as u32
        }
    }
    #[inline]
    fn set_counter(&mut self, h: &mut Hot, n: NodeId, u: usize, v: u32) {
        if self.one() {
            return one::set_counter(h, v);
        }
        let (i, shift) = (self.cold_base(n) + self.r + u / 2, 32 * (u % 2));
        let w = &mut self.cold[i];
        *w = (*w & !(0xffff_ffff << shift)) | (u64::from(v) << shift);
    }
    /// Node `n` holds update `u` from `t` on, spreading it, its counter at zero.
    #[inline]
    fn mark(&mut self, h: &mut Hot, n: NodeId, u: usize, t: u64) {
        if self.one() {
            one::mark(h, t);
        } else {
            *h |= (1 << u) | (1 << (32 + u));
            let b = self.cold_base(n);
            self.cold[b + u] = t;
            self.set_counter(h, n, u, 0);
        }
    }
    /// The node stops spreading `u`; true if it was.
    #[inline]
    fn clear_active(&self, h: &mut Hot, u: usize) -> bool {
        if self.active(h) & (1 << u) == 0 {
            return false;
        }
        if self.one() {
            *h &= !ACTIVE;
        } else {
            *h &= !(1 << (32 + u));
        }
        true
    }
    /// Node `n` forgets everything.
    fn wipe(&mut self, h: &mut Hot, n: NodeId) {
        *h = Self::EMPTY;
        let b = self.cold_base(n);
        let cold = &mut self.cold[b..b + self.cold_stride];
        if !cold.is_empty() {
            cold[..self.r].fill(NEVER);
            cold[self.r..].fill(0);
        }
    }

    /// The hot rumors the called node can pass on now (in rounds, not those that arrived this round).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn ready(&self, cx: &Ctx<'_, RumorMsg, Hot>) -> Mask {
        let active = self.active(cx.hot);
        if active == 0 {
            return 0;
        }
        self.each(active).filter(|&u| cx.can_act_on(self.arrived(cx.hot, cx.node, u))).fold(0, |m, u| m | (1 << u))
    }

    /// Node `cx.node` receives `rumors`. Most receipts bring nothing new (and no
    /// forged rumor to count): that check is inlined into every handler.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn learn(&mut self, rumors: Mask, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        if rumors & !self.known(cx.hot) != 0 || (self.forged.is_some() && rumors != 0) {
            self.learn_any(rumors, cx.reborrow());
        }
    }

    fn learn_any(&mut self, mut rumors: Mask, mut cx: Ctx<'_, RumorMsg, Hot>) {
        let n = cx.node;
        if let Some(f) = self.forged {
            if rumors & (1 << f) != 0 && !self.is_malicious(n) {
                if self.verify {
                    // Its signature is not the claimed writer's: rejected, never stored or passed on.
                    self.rejected += 1;
                    rumors &= !(1 << f);
                } else if self.known(cx.hot) & (1 << f) == 0 {
                    self.polluted += 1;
                }
            }
        }
        let new = rumors & !self.known(cx.hot);
        if new == 0 {
            return;
        }
        let dropper = self.drop && self.is_malicious(n);
        for u in self.each(new) {
            self.mark(cx.hot, n, u, cx.now_us());
            if dropper {
                self.clear_active(cx.hot, u); // it will never pass it on
            } else {
                self.active_pairs += 1;
            }
            self.ledger.deliver(u, cx.now_us(), cx.live());
        }
        cx.emit(EventKind::Informed);
    }

    fn deactivate(&mut self, u: usize, mut cx: Ctx<'_, RumorMsg, Hot>) {
        if self.clear_active(cx.hot, u) {
            self.active_pairs -= 1;
            if self.active(cx.hot) == 0 {
                cx.emit(EventKind::Stopped);
            }
        }
    }

    /// Apply the stop rule to update `u` after a contact; `knew` is the feedback.
    /// The rules that count no contacts (never, rounds) cost nothing here.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn after_contact(&mut self, u: usize, knew: bool, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        if !matches!(self.knobs.stop, StopRule::Never | StopRule::Rounds) {
            self.count_contact(u, knew, cx.reborrow());
        }
    }

    /// Demers et al.'s pull (Table 3): a holder judges the requests it answered
    /// in a round together, when the round is over: its feedback counter rises
    /// (or its coin is tossed) when every one came from a node that knew, a useful
    /// one counts as a useful contact, and a round without requests changes
    /// nothing. The verdict on an earlier round is applied at the node's first
    /// tick or request of a later one, before it answers anything in it: the
    /// run is as if every holder judged at the round's end.
    fn judge_window(&mut self, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        let (base, round) = (cx.node as usize * self.r, cx.round());
        for u in 0..self.r {
            let w = self.window[base + u];
            if w >> 2 != round {
                self.window[base + u] = round << 2;
                if w & 3 != 0 {
                    self.count_contact(u, w & 3 == HEARD_KNEW, cx.reborrow());
                }
            }
        }
    }

    fn count_contact(&mut self, u: usize, knew: bool, mut cx: Ctx<'_, RumorMsg, Hot>) {
        if self.active(cx.hot) & (1 << u) == 0 {
            return;
        }
        if self.stops(cx.hot, cx.node, u, knew, &mut cx.rng) {
            self.deactivate(u, cx);
        }
    }

    /// The stop rule's verdict on active update `u` of node `n` (hot word `h`)
    /// after a contact (`knew`: the feedback), its counter counted; coins from `rng`.
    fn stops(&mut self, h: &mut Hot, n: NodeId, u: usize, knew: bool, rng: &mut impl rng::RngCore) -> bool {
        let (counter, stop) =
            verdict(self.knobs.stop, self.knobs.k, self.knobs.consecutive, self.counter(h, n, u), knew, rng);
        if let Some(c) = counter {
            self.set_counter(h, n, u, c);
        }
        stop
    }

    /// `idle` as one mask and compare, for the one-update layout, from the rule
    /// of the general one: not spreading, and holding the update if this spread
    /// pulls and it has been written; never with backup rounds.
    fn refresh_idle(&mut self) {
        let need = if self.knobs.spread != Spread::Push && self.written != 0 { KNOWN } else { 0 };
        // With backup rounds, or every node pulling, no node is ever idle.
        self.idle_test =
            if self.knobs.backup_interval > 0 || self.knobs.all_pull { (0, 1) } else { (ACTIVE | need, need) };
    }

    fn feedback(&self) -> bool {
        matches!(self.knobs.stop, StopRule::FeedbackCounter | StopRule::FeedbackCoin)
    }

    /// Count an incoming contact against the connection limit; false if over it.
    fn accept(&mut self, n: NodeId, round: u32) -> bool {
        if self.knobs.conn_limit == 0 {
            return true;
        }
        let c = &mut self.conn[n as usize];
        if (*c >> 32) as u32 != round {
            *c = u64::from(round) << 32;
        }
        if (*c & 0xffff_ffff) as u32 >= self.knobs.conn_limit {
            return false;
        }
        *c += 1;
        true
    }

    /// A digest is sent beside the updates only when a run has more than one.
    fn digest(&self) -> u32 {
        u32::from(!self.one())
    }
}

/// The stop rule's verdict after a contact about an active update whose counter
/// is `counter` (`knew`: the feedback): the counter's new value, if the rule
/// counts, and whether the node stops spreading it. Coins come from `rng`.
/// `consecutive`: a useful contact sets a feedback counter back to 0.
fn verdict(
    stop: StopRule,
    k: u32,
    consecutive: bool,
    counter: u32,
    knew: bool,
    rng: &mut impl rng::RngCore,
) -> (Option<u32>, bool) {
    match stop {
        StopRule::Never | StopRule::Rounds => (None, false),
        StopRule::FeedbackCounter => {
            let c = match (knew, consecutive) {
                (true, _) => counter + 1,
                (false, true) => 0,
                (false, false) => counter,
            };
            (Some(c), c >= k)
        }
        StopRule::FeedbackCoin => (None, knew && rng::chance(rng, 1.0 / f64::from(k))),
        StopRule::BlindCounter => {
            let c = counter + 1;
            (Some(c), c >= k)
        }
        StopRule::BlindCoin => (None, rng::chance(rng, 1.0 / f64::from(k))),
    }
}

// ----- the fast lane ---------------------------------------------------------
//
// `Protocol::fast_round`: a round of the one-update layout as one loop over the
// hot words, for runs without a connection limit, backup or malicious nodes.
// Each function below is the twin of a general handler, for the messages such a
// run sends; a test runs every spread, stop rule and fanout both ways and
// compares the runs and their traces.

/// A message of the lane: a [`RumorMsg`] of a one-update run, reduced to what can
/// differ. The discriminant indexes the table of wire sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum LaneMsg {
    Push,
    Offer,
    /// The receiver of the offer did not know the update.
    Ack,
    /// The receiver of the offer knew it.
    AckKnew,
    Pull,
    /// The answer to a pull, without the update.
    Nothing,
    Give,
}

impl LaneMsg {
    const ALL: [LaneMsg; 7] =
        [LaneMsg::Push, LaneMsg::Offer, LaneMsg::Ack, LaneMsg::AckKnew, LaneMsg::Pull, LaneMsg::Nothing, LaneMsg::Give];

    /// The general path's message.
    fn general(self) -> RumorMsg {
        match self {
            LaneMsg::Push => RumorMsg::Push { rumors: 1 },
            LaneMsg::Offer => RumorMsg::Offer { rumors: 1, known: 1 },
            LaneMsg::Ack => RumorMsg::Ack { offered: 1, knew: 0, give: 0 },
            LaneMsg::AckKnew => RumorMsg::Ack { offered: 1, knew: 1, give: 0 },
            LaneMsg::Pull => RumorMsg::Pull { known: 0 },
            LaneMsg::Nothing => RumorMsg::Give { rumors: 0 },
            LaneMsg::Give => RumorMsg::Give { rumors: 1 },
        }
    }
}

/// What the lane needs of a run for one round, copied out of [`Rumor`]: a value
/// that nothing in the loop writes to, so its fields stay in registers.
/// `NEVER`: the rule is `stop=never` (the classic case), known at compile time.
#[derive(Clone, Copy, Debug)]
struct LaneRules<const NEVER: bool> {
    spread: Spread,
    stop: StopRule,
    fanout: u32,
    k: u32,
    consecutive: bool,
    /// Whether the update has been written (a node that lacks it pulls).
    written: bool,
    feedback: bool,
    now_us: u64,
    /// Wire sizes, by `LaneMsg`.
    sizes: [u32; 7],
}

/// What a round in the lane changes beyond the hot words and the engine's counters,
/// added to the ledger and the totals at its end; and the queue of one tick's messages.
#[derive(Debug, Default)]
struct LaneTally {
    queue: Vec<(NodeId, NodeId, LaneMsg)>,
    carried: u64,
    learned: u64,
    stopped: u64,
}

impl<const ONE: bool> Rumor<ONE> {
    /// The rules of this round in the lane, if this run can take it: one update,
    /// none of the rules that need the general path, every message within the MTU.
    fn lane_rules<const NEVER: bool>(&self, lane: &Lane<'_, Hot>) -> Option<LaneRules<NEVER>> {
        let sizes = LaneMsg::ALL.map(|m| self.wire_size(&m.general()));
        let fits = self.one()
            && self.knobs.conn_limit == 0
            && self.knobs.backup_interval == 0
            && !self.knobs.all_pull
            && self.malicious.is_empty()
            && sizes.iter().all(|&size| size <= lane.mtu());
        fits.then_some(LaneRules {
            spread: self.knobs.spread,
            stop: self.knobs.stop,
            fanout: self.knobs.fanout,
            k: self.knobs.k,
            consecutive: self.knobs.consecutive,
            written: self.written != 0,
            feedback: self.feedback(),
            now_us: lane.now_us(),
            sizes,
        })
    }

    /// `fast_round`, compiled for `stop=never` (`NEVER`) or the other rules.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn lane_round<const NEVER: bool>(&mut self, lane: &mut Lane<'_, Hot>) -> bool {
        let Some(rules) = self.lane_rules::<NEVER>(lane) else { return false };
        // Push: every delivery that could change a node waits for the round's end (an
        // offer finds its receiver either knowing, and unchanged, or unable to act
        // before the next round anyway). Pull without a stop rule: a holder gives from
        // what it held before the round, and only pullers learn. In both, a round's
        // outcome cannot depend on the order of its initiators.
        let order_matters =
            !(rules.spread == Spread::Push || (rules.spread == Spread::Pull && rules.stop == StopRule::Never));
        lane.walk_order(order_matters);
        let mut tally = LaneTally { queue: std::mem::take(&mut self.lane_queue), ..LaneTally::default() };
        let idle = self.idle_test;
        while let Some(n) = lane.next_actor(|h| h & idle.0 != idle.1) {
            rules.tick(n, &mut tally, lane);
        }
        lane.deliver_pushes(|lane, to| {
            rules.receive(to, LaneMsg::Push, &mut tally, lane);
        });
        // The ledger and the totals, which nothing reads within a round, once at its end.
        let (now, live) = (lane.now_us(), lane.live());
        self.ledger.carried_by(0, tally.carried);
        for _ in 0..tally.learned {
            self.ledger.deliver(0, now, live);
        }
        self.active_pairs = self.active_pairs + tally.learned - tally.stopped;
        self.lane_queue = tally.queue;
        true
    }
}

impl<const NEVER: bool> LaneRules<NEVER> {
    #[inline(always)]
    fn size(&self, m: LaneMsg) -> u32 {
        self.sizes[m as usize]
    }

    /// `Rumor::ready`: the node spreads the update, which it learned before this round.
    #[inline(always)]
    fn ready(&self, h: Hot) -> bool {
        one::before(h, ACTIVE, self.now_us)
    }

    /// `on_tick`, then its messages sent in order: each request delivered at once,
    /// its reply queued behind the rest, as the engine's flush does.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn tick(&self, n: NodeId, t: &mut LaneTally, lane: &mut Lane<'_, Hot>) {
        let (mut h, ctr) = lane.load(n);
        // Draws taken from the tick's stream (see `Lane::tick_rng`).
        let mut draws = 0;
        let start = self.ready(h);
        let lacks = self.written && one::known(h) == 0;
        let initiates = match self.spread {
            Spread::Push => start,
            Spread::Pull => lacks,
            Spread::PushPull => start || lacks,
        };
        // With a fanout of 1 (most runs), the one request needs no queue.
        let mut single = None;
        macro_rules! request {
            ($peer:expr, $msg:expr) => {
                if self.fanout == 1 {
                    single = Some(($peer, $msg));
                } else {
                    t.queue.push((n, $peer, $msg));
                }
            };
        }
        if initiates {
            for i in 0..self.fanout {
                let peer = if i == 0 {
                    lane.first_peer(n, &mut draws)
                } else {
                    lane.peer(n, &mut lane.tick_rng(n, &mut draws))
                };
                let Some(peer) = peer else { break };
                // Only this tick's own contacts (a blind push rule) change it after the first request.
                let ready = if i == 0 { start } else { self.ready(h) };
                if self.spread == Spread::Pull || !ready {
                    if !lacks || self.spread == Spread::Push {
                        break;
                    }
                    request!(peer, LaneMsg::Pull);
                    continue;
                }
                t.carried += 1;
                if self.spread == Spread::PushPull || (!NEVER && self.feedback) {
                    request!(peer, LaneMsg::Offer);
                } else {
                    request!(peer, LaneMsg::Push);
                    self.contact(&mut h, n, false, &mut lane.tick_rng(n, &mut draws), t, lane);
                }
            }
        }
        // The rounds rule: forwarded for k rounds after it could first be.
        if !NEVER && self.stop == StopRule::Rounds && start {
            let c = one::counter(h) + 1;
            one::set_counter(&mut h, c);
            if c >= self.k {
                self.deactivate(&mut h, n, t, lane);
            }
        }
        lane.store(n, h, ctr);
        if let Some((peer, msg)) = single {
            if let Some(reply) = self.transmit(n, peer, msg, t, lane) {
                self.transmit(peer, n, reply, t, lane);
            }
            return;
        }
        let mut i = 0;
        while let Some(&(from, to, msg)) = t.queue.get(i) {
            i += 1;
            if let Some(reply) = self.transmit(from, to, msg, t, lane) {
                t.queue.push((to, from, reply));
            }
        }
        t.queue.clear();
    }

    /// Send `msg` from `from` to `to`: a push waits for the round's end; a request
    /// or a reply is delivered at once, and what the receiver answers is returned.
    #[inline(always)]
    fn transmit(
        &self,
        from: NodeId,
        to: NodeId,
        msg: LaneMsg,
        t: &mut LaneTally,
        lane: &mut Lane<'_, Hot>,
    ) -> Option<LaneMsg> {
        lane.send(from, to, self.size(msg));
        if msg == LaneMsg::Push {
            lane.push(from, to);
            None
        } else if lane.arrive(from, to) {
            self.receive(to, msg, t, lane)
        } else {
            None
        }
    }

    /// `on_message`: what node `to` does with `msg`, and its reply (to the sender).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn receive(&self, to: NodeId, msg: LaneMsg, t: &mut LaneTally, lane: &mut Lane<'_, Hot>) -> Option<LaneMsg> {
        let (mut h, mut ctr) = lane.load(to);
        let reply = match msg {
            LaneMsg::Push | LaneMsg::Give => {
                self.learn(&mut h, to, t, lane);
                None
            }
            LaneMsg::Nothing => None,
            LaneMsg::Offer => {
                // "Knew" means knew before this round (see `on_message`).
                let knew = one::before(h, KNOWN, self.now_us);
                self.learn(&mut h, to, t, lane);
                Some(if knew { LaneMsg::AckKnew } else { LaneMsg::Ack })
            }
            LaneMsg::Ack | LaneMsg::AckKnew => {
                let knew = msg == LaneMsg::AckKnew;
                self.contact(&mut h, to, knew, &mut lane.rng(to, &mut ctr), t, lane);
                None
            }
            LaneMsg::Pull => {
                let give = self.ready(h);
                if give {
                    t.carried += 1;
                    self.contact(&mut h, to, false, &mut lane.rng(to, &mut ctr), t, lane);
                }
                Some(if give { LaneMsg::Give } else { LaneMsg::Nothing })
            }
        };
        lane.store(to, h, ctr);
        reply
    }

    /// `learn`: the node holds the update from now on, and spreads it.
    #[inline(always)]
    fn learn(&self, h: &mut Hot, n: NodeId, t: &mut LaneTally, lane: &mut Lane<'_, Hot>) {
        if one::known(*h) == 0 {
            one::mark(h, self.now_us);
            t.learned += 1;
            lane.emit(n, EventKind::Informed);
        }
    }

    /// `after_contact`: the stop rule, after a contact (`knew`: the feedback).
    #[inline(always)]
    fn contact(
        &self,
        h: &mut Hot,
        n: NodeId,
        knew: bool,
        rng: &mut impl rng::RngCore,
        t: &mut LaneTally,
        lane: &mut Lane<'_, Hot>,
    ) {
        if NEVER || matches!(self.stop, StopRule::Never | StopRule::Rounds) || one::active(*h) == 0 {
            return;
        }
        let (counter, stop) = verdict(self.stop, self.k, self.consecutive, one::counter(*h), knew, rng);
        if let Some(c) = counter {
            one::set_counter(h, c);
        }
        if stop {
            self.deactivate(h, n, t, lane);
        }
    }

    /// `deactivate`: the node stops spreading.
    fn deactivate(&self, h: &mut Hot, n: NodeId, t: &mut LaneTally, lane: &mut Lane<'_, Hot>) {
        if one::active(*h) != 0 {
            *h &= !ACTIVE;
            t.stopped += 1;
            lane.emit(n, EventKind::Stopped);
        }
    }
}

impl<const ONE: bool> Protocol for Rumor<ONE> {
    type Msg = RumorMsg;
    type Hot = Hot;

    fn retune(&mut self, s: &Scenario) {
        self.knobs = Knobs::of(s);
        if self.knobs.conn_limit > 0 && self.conn.is_empty() {
            self.conn = vec![0; s.capacity() as usize];
        }
        if self.knobs.all_pull && self.feedback() {
            if self.window.is_empty() {
                self.window = vec![0; s.capacity() as usize * self.r];
            }
        } else {
            self.window = Vec::new();
        }
        self.refresh_idle();
    }

    fn hot_init(&self, node: NodeId) -> Hot {
        let mut h = Self::EMPTY;
        if let Some(f) = self.forged.filter(|_| self.is_malicious(node)) {
            // A colluding malicious node holds the rumor it invented, from the start (its time is in `new`).
            h = if self.one() { KNOWN | ACTIVE } else { (1 << f) | (1 << (32 + f)) };
        }
        h
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn on_tick(&mut self, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        let n = cx.node;
        let known = self.known(cx.hot);
        if self.knobs.backup_interval > 0 && cx.round() > 0 && cx.round() % self.knobs.backup_interval == 0 {
            if let Some(peer) = cx.peer() {
                cx.request(peer, RumorMsg::BackupSyn { known });
            }
        }
        let start = self.ready(cx);
        if !self.window.is_empty() {
            self.judge_window(cx);
        }
        // Who pulls: a node that lacks an update written so far, or every node (`pullers=all`).
        let pulls = self.knobs.all_pull || known & self.written != self.written;
        if self.drop && self.is_malicious(n) {
            return; // a dropper never passes anything on
        }
        let initiates = match self.knobs.spread {
            Spread::Push => start != 0,
            Spread::Pull => pulls,
            Spread::PushPull => start != 0 || pulls,
        };
        if initiates {
            for _ in 0..self.knobs.fanout {
                let Some(peer) = cx.peer() else { break };
                let ready = if self.knobs.spread == Spread::Pull { 0 } else { self.ready(cx) };
                if ready == 0 {
                    if !pulls || self.knobs.spread == Spread::Push {
                        break;
                    }
                    cx.request(peer, RumorMsg::Pull { known: self.known(cx.hot) });
                    continue;
                }
                self.ledger.carry(self.each(ready));
                if self.knobs.spread == Spread::PushPull || self.feedback() {
                    cx.request(peer, RumorMsg::Offer { rumors: ready, known: self.known(cx.hot) });
                } else {
                    cx.send(peer, RumorMsg::Push { rumors: ready });
                    for u in self.each(ready) {
                        self.after_contact(u, false, cx);
                    }
                }
            }
        }
        // The rounds rule: each update is forwarded for k rounds after it could first be.
        if self.knobs.stop == StopRule::Rounds {
            for u in self.each(start) {
                let c = self.counter(cx.hot, n, u) + 1;
                self.set_counter(cx.hot, n, u, c);
                if c >= self.knobs.k {
                    self.deactivate(u, cx.reborrow());
                }
            }
        }
    }

    #[inline]
    fn idle(&self, hot: &Hot) -> bool {
        if self.one() {
            return hot & self.idle_test.0 == self.idle_test.1;
        }
        // Nothing to spread, nothing to pull (or pulling is not this rule's), no backup round.
        self.active(hot) == 0
            && (self.knobs.spread == Spread::Push || self.known(hot) & self.written == self.written)
            && self.knobs.backup_interval == 0
            && !self.knobs.all_pull
    }

    const FAST_ROUND: bool = true;

    fn fast_round(&mut self, lane: &mut Lane<'_, Hot>) -> bool {
        // The page has one copy, for every rule: its weight is budgeted.
        if !cfg!(target_arch = "wasm32") && self.knobs.stop == StopRule::Never {
            self.lane_round::<true>(lane)
        } else {
            self.lane_round::<false>(lane)
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn on_message(&mut self, from: NodeId, msg: RumorMsg, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        let n = cx.node;
        match msg {
            RumorMsg::Push { rumors } => {
                if self.accept(n, cx.round()) {
                    self.learn(rumors, cx);
                }
            }
            RumorMsg::Give { rumors } | RumorMsg::BackupData { rumors } => self.learn(rumors, cx),
            RumorMsg::Offer { rumors, .. }
            | RumorMsg::Pull { known: rumors }
            | RumorMsg::BackupSyn { known: rumors }
                if self.drop && self.is_malicious(n) =>
            {
                // Swallowed: what was offered is kept, nothing is answered.
                if matches!(msg, RumorMsg::Offer { .. }) {
                    self.learn(rumors, cx);
                }
            }
            RumorMsg::Offer { rumors, known } => {
                if !self.accept(n, cx.round()) {
                    return cx.reply(from, RumorMsg::Busy);
                }
                // "Knew" means knew before this round: in rounds every contact of a round
                // meets the state at its start, as in the synchronous model of the papers.
                let knew = self
                    .each(rumors & self.known(cx.hot))
                    .filter(|&u| cx.can_act_on(self.arrived(cx.hot, n, u)))
                    .fold(0, |m, u| m | (1 << u));
                self.learn(rumors, cx);
                let give = if self.knobs.spread == Spread::PushPull { self.ready(cx) & !known & !rumors } else { 0 };
                if give != 0 {
                    self.ledger.carry(self.each(give));
                }
                cx.reply(from, RumorMsg::Ack { offered: rumors, knew, give });
                for u in self.each(give) {
                    self.after_contact(u, false, cx);
                }
            }
            RumorMsg::Ack { offered, knew, give } => {
                self.learn(give, cx);
                // Blind rules count every contact; feedback rules only those with nodes that knew.
                for u in self.each(offered) {
                    self.after_contact(u, knew & (1 << u) != 0, cx);
                }
            }
            RumorMsg::Pull { known } => {
                if !self.accept(n, cx.round()) {
                    return cx.reply(from, RumorMsg::Busy);
                }
                if !self.window.is_empty() {
                    self.judge_window(cx);
                }
                // What the requester lacks; with every node pulling, all that is hot here,
                // sent before the feedback says which the requester knew (as in the paper).
                let hot = self.ready(cx);
                let give = if self.knobs.all_pull { hot } else { hot & !known };
                if give != 0 {
                    self.ledger.carry(self.each(give));
                }
                cx.reply(from, RumorMsg::Give { rumors: give });
                // Feedback rules see a useful contact where the requester lacked the update
                // (with every node pulling, judged when the round is over).
                for u in self.each(give) {
                    let knew = known & (1 << u) != 0;
                    if self.window.is_empty() {
                        self.after_contact(u, knew, cx);
                    } else {
                        self.window[n as usize * self.r + u] |= if knew { HEARD_KNEW } else { HEARD_USEFUL };
                    }
                }
            }
            RumorMsg::Busy => {}
            RumorMsg::BackupSyn { known } => {
                let mine = self.known(cx.hot);
                let give = mine & !known;
                if give != 0 {
                    self.ledger.carry(self.each(give));
                }
                cx.reply(from, RumorMsg::BackupAck { give, want: known & !mine });
            }
            RumorMsg::BackupAck { give, want } => {
                // What arrives by anti-entropy becomes a hot rumor again here.
                self.learn(give, cx);
                let data = want & self.known(cx.hot);
                if data != 0 {
                    self.ledger.carry(self.each(data));
                    cx.reply(from, RumorMsg::BackupData { rumors: data });
                }
            }
        }
    }

    fn on_update(&mut self, cx: &mut Ctx<'_, RumorMsg, Hot>) -> bool {
        if self.ledger.len() >= self.r - usize::from(self.forged.is_some()) {
            return false;
        }
        let u = self.ledger.write(cx.node, cx.now_us(), cx.live());
        self.written |= 1 << u;
        self.refresh_idle();
        self.mark(cx.hot, cx.node, u, cx.now_us());
        self.active_pairs += 1;
        cx.emit(EventKind::Informed);
        true
    }

    fn on_crash(&mut self, node: NodeId, _now_us: u64, hot: &mut Hot) {
        if let Some(f) = self.forged {
            if self.known(hot) & (1 << f) != 0 && !self.is_malicious(node) {
                self.polluted -= 1;
            }
        }
        if !self.is_malicious(node) {
            self.honest -= 1;
        }
        for u in self.each(self.known(hot)) {
            self.ledger.lose(u);
        }
        self.active_pairs -= u64::from(self.active(hot).count_ones());
        self.wipe(hot, node);
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, RumorMsg, Hot>) {
        // A restarted node has lost its rumors with the rest of its memory.
        if !self.window.is_empty() {
            let base = cx.node as usize * self.r;
            self.window[base..base + self.r].fill(0);
        }
        if !self.is_malicious(cx.node) {
            self.honest += 1;
        }
    }

    fn on_sample(&mut self, _round: u32, _hot: Hots<'_, Hot>) {
        if self.forged.is_some() {
            self.polluted_series.push(self.polluted_fraction());
        }
    }

    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        if self.forged.is_some() {
            vec![("polluted", self.polluted_series.iter().map(|&x| Some(x)).collect())]
        } else {
            Vec::new()
        }
    }

    fn extra(&self, _live: u64, _now_us: u64, _hot: Hots<'_, Hot>) -> Vec<(&'static str, Option<f64>)> {
        if self.malicious.is_empty() {
            return Vec::new();
        }
        vec![
            ("polluted", self.forged.map(|_| self.polluted_fraction())),
            ("rejected", self.verify.then_some(self.rejected as f64)),
        ]
    }

    fn wire_size(&self, msg: &RumorMsg) -> u32 {
        // Header, then one 8-byte field per update id or digest (at least one), then the payloads.
        let (carried, digests) = match *msg {
            RumorMsg::Push { rumors } | RumorMsg::Give { rumors } | RumorMsg::BackupData { rumors } => (rumors, 0),
            RumorMsg::Offer { rumors, .. } => (rumors, self.digest()),
            RumorMsg::Ack { give, .. } => (give, 1),
            RumorMsg::Pull { .. } | RumorMsg::BackupSyn { .. } => (0, 1),
            RumorMsg::BackupAck { give, .. } => (give, 1),
            RumorMsg::Busy => (0, 0),
        };
        // (With one update a mask is 0 or 1: no population count, which x86_64's baseline lacks.)
        let c = if ONE { carried & 1 } else { carried.count_ones() };
        IP_UDP_HEADER + GOSSIP_HEADER + ID_BYTES * (c + digests).max(1) + self.payload_bytes * c
    }

    fn msg_kind(&self, msg: &RumorMsg) -> &'static str {
        match msg {
            RumorMsg::Push { .. } => "push",
            RumorMsg::Offer { .. } => "offer",
            RumorMsg::Ack { .. } => "ack",
            RumorMsg::Pull { .. } => "pull",
            RumorMsg::Give { rumors: 0 } => "nothing",
            RumorMsg::Give { .. } => "give",
            RumorMsg::Busy => "busy",
            RumorMsg::BackupSyn { .. } => "backup-syn",
            RumorMsg::BackupAck { .. } => "backup-ack",
            RumorMsg::BackupData { .. } => "backup-data",
        }
    }

    fn node_state(&self, _node: NodeId, hot: &Hot) -> NodeState {
        if self.known(hot) == 0 {
            NodeState::Susceptible
        } else if self.active(hot) != 0 {
            NodeState::Infective
        } else {
            NodeState::Removed
        }
    }

    fn describe(&self, node: NodeId, hot: &Hot) -> Vec<(&'static str, String)> {
        // Only the counting rules keep a counter; the coins and `never` keep none.
        let counter = match self.knobs.stop {
            StopRule::Rounds => Some("rounds spreading"),
            StopRule::FeedbackCounter => Some("contacts that knew it"),
            StopRule::BlindCounter => Some("contacts"),
            StopRule::Never | StopRule::FeedbackCoin | StopRule::BlindCoin => None,
        };
        if self.one() {
            let t = self.arrived(hot, node, 0);
            let informed = if self.known(hot) == 0 {
                "not yet".to_string()
            } else if self.ledger.origin(0) == node && self.ledger.written_at(0) == t {
                format!("wrote it (origin) at {:.1} ms", t as f64 / 1000.0)
            } else {
                format!("{:.1} ms", t as f64 / 1000.0)
            };
            let mut rows =
                vec![("rumor", informed), ("spreading", if self.active(hot) != 0 { "yes" } else { "no" }.to_string())];
            rows.extend(counter.map(|c| (c, format!("{} of {}", self.counter(hot, node, 0), self.knobs.k))));
            return rows;
        }
        let list = |m: Mask| {
            let v: Vec<String> = self.each(m).map(|u| u.to_string()).collect();
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        vec![
            ("updates held", format!("{} of {}", self.known(hot).count_ones(), self.ledger.len())),
            ("held", list(self.known(hot))),
            ("spreading", list(self.active(hot))),
        ]
    }

    fn progress(&self) -> Progress {
        self.ledger.progress(self.active_pairs)
    }

    fn updates(&self, live: u64) -> Vec<UpdateStats> {
        self.ledger.stats(live, self.nodes)
    }

    fn done(&self, live: u64) -> bool {
        let complete = self.ledger.complete(live);
        if self.knobs.backup_interval > 0 && !complete {
            return false; // the backup keeps reconciling until every live node has everything
        }
        // Nobody can spread any more; or everyone has everything and no rule is left
        // to run (never stops by itself; in pull, holders only answer and nobody asks,
        // unless every node pulls: then holders go on hearing from nodes that knew).
        self.active_pairs == 0
            || (complete
                && (self.knobs.stop == StopRule::Never || (self.knobs.spread == Spread::Pull && !self.knobs.all_pull)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::engine::{Runner, Sim};

    fn sim(pairs: &[&str]) -> Sim<Rumor> {
        let mut s = Scenario::default();
        s.apply_pairs(pairs.iter().copied()).unwrap();
        s.validate().unwrap();
        Sim::new(s.clone(), Rumor::new(&s))
    }

    /// The inspector shows a counter only where the stop rule keeps one, as "c of
    /// k", and a node's counted contacts never exceed the messages it sent.
    #[test]
    fn the_inspector_shows_only_counters_that_count() {
        for stop in ["never", "feedback-coin", "blind-coin", "feedback-counter", "blind-counter", "rounds"] {
            let mut sim = sim(&["nodes=300", &format!("stop={stop}"), "k=3", "spread=push", "max_rounds=4"]);
            sim.run_to_end();
            let mut counted = 0;
            for n in 0..300 {
                let rows = sim.inspect(n);
                let sent: u64 = rows.iter().find(|r| r.0 == "messages sent").unwrap().1.parse().unwrap();
                let counter = rows.iter().find(|r| r.0.contains("contacts") || r.0.contains("rounds spreading"));
                match (stop, counter) {
                    ("never" | "feedback-coin" | "blind-coin", Some(r)) => panic!("{stop}: node {n} shows {r:?}"),
                    ("never" | "feedback-coin" | "blind-coin", None) => {}
                    (_, None) => panic!("{stop}: node {n} shows no counter: {rows:?}"),
                    (_, Some((label, text))) => {
                        let (c, k) = text.split_once(" of ").unwrap();
                        let c: u64 = c.parse().unwrap();
                        assert_eq!(k, "3");
                        if label.contains("contacts") {
                            assert!(c <= sent, "{stop}: node {n} counted {c} contacts of {sent} messages");
                        }
                        counted += c;
                    }
                }
            }
            if !matches!(stop, "never" | "feedback-coin" | "blind-coin") {
                assert!(counted > 0, "{stop}: no counter moved");
            }
        }
    }

    /// `idle` may only say so of a node whose tick would do nothing: for every stop
    /// rule, spread and number of updates, and every hot state it calls idle, the
    /// tick sends nothing, reports nothing, sets no timer, draws nothing and changes
    /// neither the node nor the protocol's totals.
    #[test]
    fn idle_ticks_do_nothing() {
        use crate::protocol::{Env, Outgoing};
        use crate::sim::sampler::PeerSampler;
        fn ctx<'a>(
            node: NodeId,
            ctr: &'a mut u32,
            hot: &'a mut Hot,
            env: &'a mut Env,
            out: &'a mut Vec<Outgoing<RumorMsg>>,
            sampler: &'a PeerSampler,
        ) -> Ctx<'a, RumorMsg, Hot> {
            Ctx { node, rng: crate::sim::rng::NodeRng::new(7, node, ctr), hot, env, out, sampler }
        }
        let sampler = PeerSampler::full(100);
        let (mut idle, mut busy) = (0, 0);
        for spread in ["push", "pull", "push-pull"] {
            for stop in ["never", "rounds", "feedback-counter", "blind-coin"] {
                for updates in ["1", "3"] {
                    let pairs = [
                        "nodes=100".to_string(),
                        format!("spread={spread}"),
                        format!("stop={stop}"),
                        format!("updates={updates}"),
                        "malicious=0.1".into(),
                        "attack=drop".into(),
                    ];
                    let mut sc = Scenario::default();
                    sc.apply_pairs(pairs.iter().map(String::as_str)).unwrap();
                    sc.validate().unwrap();
                    let mut r = Rumor::<false>::new(&sc);
                    let mut out = Vec::<Outgoing<RumorMsg>>::new();
                    let mut env = Env::new(crate::scenario::Timing::Rounds, 100);
                    let mut writer = r.hot_init(0);
                    let mut ctr = 0;
                    // Node 0 writes one update in round 0 (the others arrive later in a run).
                    let mut cx = ctx(0, &mut ctr, &mut writer, &mut env, &mut out, &sampler);
                    assert!(r.on_update(&mut cx));
                    env.events.clear();
                    (env.now_us, env.round) = (10_000_000, 10);
                    // Hot states: the writer's, empty, and (several updates) every known/active pair of masks of 2 bits.
                    let mut states = vec![
                        writer,
                        Rumor::<false>::EMPTY,
                        5_000_000 | KNOWN,
                        5_000_000 | KNOWN | ACTIVE | 2 << TIME_BITS,
                    ];
                    if r.r > 1 {
                        states.extend((0..4u64).flat_map(|k| (0..4u64).map(move |a| k | (a & k) << 32)));
                    }
                    for (i, start) in states.into_iter().enumerate() {
                        let node = 1 + i as NodeId; // honest nodes; the malicious ones are 90-99
                        for node in [node, 95] {
                            if !r.idle(&start) {
                                busy += 1;
                                continue;
                            }
                            idle += 1;
                            let mut h = start;
                            let before = (r.progress(), r.polluted, r.rejected);
                            let mut ctr = 0;
                            let mut cx = ctx(node, &mut ctr, &mut h, &mut env, &mut out, &sampler);
                            r.on_tick(&mut cx);
                            let what = format!("{spread} {stop} updates={updates} node {node} hot {start:?}");
                            assert!(out.is_empty() && env.events.is_empty() && env.timers.is_empty(), "{what}: acted");
                            assert_eq!(ctr, 0, "{what}: drew");
                            assert_eq!(h, start, "{what}: changed");
                            assert_eq!((r.progress(), r.polluted, r.rejected), before, "{what}: totals changed");
                        }
                    }
                }
            }
        }
        assert!(idle > 50 && busy > 50, "idle {idle}, busy {busy}: both kinds must be exercised");
    }

    /// The one-update hot word holds every time and counter a valid scenario can
    /// reach: the longest run (the largest time limit, or the most rounds of the
    /// longest interval) ends before 2^52 us, and k fits the counter's bits.
    #[test]
    fn hot_word_bounds() {
        let spec = |key: &str| match crate::scenario::spec(key).unwrap().kind {
            crate::scenario::Kind::Int { max, .. } => max,
            _ => unreachable!("{key} is a whole number"),
        };
        let longest_us = (spec("max_time_ms") * 1000).max(spec("max_rounds") * spec("interval_ms") * 1000);
        assert!(longest_us <= TIME_MASK, "{longest_us} us does not fit {TIME_BITS} bits");
        assert!(spec("k") <= COUNTER_MASK, "k up to {} does not fit the counter", spec("k"));
    }

    /// In rounds, push with fanout 1 at most doubles the informed set each round,
    /// since a node informed in round r only pushes from round r+1.
    #[test]
    fn push_at_most_doubles_per_round() {
        let mut s = sim(&["nodes=1000", "fanout=1", "seed=3"]);
        let mut prev = 1u64;
        loop {
            let more = s.step();
            let now = s.protocol().progress().covered;
            assert!(now <= 2 * prev, "{prev} -> {now}");
            prev = now;
            if !more {
                break;
            }
        }
        assert_eq!(prev, 1000);
    }

    /// Blind counter with k=1 and fanout 1: every informed node pushes exactly once,
    /// so traffic equals the number of informed nodes.
    #[test]
    fn blind_counter_pushes_k_times() {
        let mut s = sim(&["nodes=500", "fanout=1", "stop=blind-counter", "k=1", "seed=5"]);
        s.run_to_end();
        let p = s.protocol().progress();
        assert_eq!(p.active, 0);
        assert_eq!(p.update_msgs, p.covered);
    }

    /// Pull: the origin answers requests; an exchange within a round is atomic,
    /// so request and reply counts match and the rumor reaches everyone.
    #[test]
    fn pull_reaches_everyone() {
        let mut s = sim(&["nodes=300", "spread=pull", "seed=2"]);
        s.run_to_end();
        let m = s.metrics();
        assert_eq!(m.coverage, 1.0);
        assert_eq!(m.sent % 2, 0, "every pull gets exactly one answer");
    }

    /// Every node pulling (Demers' Table 3): holders hear from nodes that knew and
    /// stop, in both layouts and both time models, and the run ends when the last
    /// holder stops rather than when the last node is reached; with only the nodes
    /// that lack an update pulling, nothing stops the holders.
    #[test]
    fn every_node_pulling_stops_holders() {
        for extra in [&["updates=1"][..], &["updates=3", "update_every=2"], &["timing=timed", "updates=1"]] {
            let mut pairs = vec!["nodes=400", "spread=pull", "pullers=all", "stop=feedback-counter", "k=1", "seed=5"];
            pairs.extend_from_slice(extra);
            let mut s = sim(&pairs);
            s.run_to_end();
            let m = s.metrics();
            assert!(s.finished(), "{extra:?}");
            assert!(m.coverage > 0.8 && m.coverage < 1.0, "{extra:?}: a residue is left: {}", m.coverage);
            assert_eq!(s.protocol().active_pairs, 0, "{extra:?}: every holder stopped");
        }
        let mut lacking = sim(&["nodes=400", "spread=pull", "stop=feedback-counter", "k=1", "seed=5"]);
        lacking.run_to_end();
        assert_eq!(lacking.metrics().coverage, 1.0);
        assert!(lacking.protocol().active_pairs > 0, "no holder ever hears from a node that knew");
    }

    /// Crashed nodes are not counted in the coverage, and a crashed origin stops the rumor.
    #[test]
    fn crashed_origin_stops_the_rumor() {
        let mut s = sim(&["nodes=100", "faults=crash:0@0s"]);
        s.run_to_end();
        let m = s.metrics();
        assert_eq!(m.live, 99);
        assert_eq!(m.coverage, 0.0);
        assert!(s.finished());
    }
}
