//! Ordered broadcast over gossip: messages spread epidemically, and each node
//! holds back what it receives until the chosen order lets it deliver.
//!
//! - **Dissemination.** A node that receives an item (a message, or a sequence
//!   number for one) forwards it to `fanout` random peers in each of its next
//!   `k` ticks (infect and die). Every `backup_interval` rounds it also pulls
//!   what it lacks from one random peer, by a digest of what it holds (SYN)
//!   answered with the missing items: the repair that makes delivery reliable
//!   under loss. Gossip reorders freely, so messages arrive out of order.
//! - **Order** (`order=`):
//!   - `none`: deliver on arrival;
//!   - `fifo`: per-sender sequence numbers; message `seq` from `s` waits until
//!     `seq - 1` from `s` was delivered;
//!   - `causal`: each message carries the sender's vector clock (for every sender,
//!     how many of its messages the sender had delivered) and waits until the
//!     receiver has delivered at least as many from each;
//!   - `total`: a sequencer numbers messages as they reach it, in an order that
//!     respects each sender's order and causality (a message waits at the
//!     sequencer for those it depends on), and gossips the numbers as items of
//!     their own; nodes deliver in that order, so total order is causal too.
//!     The sequencer is node 0, the node an election by lowest id picks; a
//!     sequencer is one extra dissemination of delay and O(1) state per message,
//!     where timestamps with stability detection need every node's clock at every
//!     node and stall on any silent node. While node 0 is down, total order stalls.
//!
//! Metrics: delivery latency per message (from the broadcast to each delivery,
//! hold-back included) through the update ledger, the hold-back queue, and the
//! order violations of every delivery, checked against each order whatever the
//! chosen one (`order_violations` counts the chosen order's; under `none`, the
//! causal order's). A node keeps its log across a crash.

use std::collections::BTreeMap;

use crate::metrics::UpdateStats;
use crate::protocol::updates::Ledger;
use crate::protocol::{Ctx, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{Order, Scenario};

/// Ordered broadcast's figures: the order kept, and what waiting for it costs.
pub const FIGURES: &[crate::metrics::FigureSpec] = {
    use crate::metrics::{FigureSpec, Shown};
    &[
        FigureSpec::new(
            "order_violations",
            "order violations",
            Shown::Count,
            "Deliveries out of the order the setting promises (FIFO, causal or total).",
        ),
        FigureSpec::new(
            "causal_violations",
            "causal violations",
            Shown::Count,
            "Deliveries before a message they causally depend on.",
        ),
        FigureSpec::new(
            "held_back_max",
            "most held back",
            Shown::Count,
            "Most messages one node held back at once, waiting for missing predecessors.",
        ),
    ]
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BcastMsg {
    /// Hot items, one-way. An item below the message count is a message; above, a sequence number.
    Gossip { items: Vec<u32> },
    /// A digest of the items the sender holds (a bitset on the wire).
    Digest { have: Vec<u64> },
    /// The items the digest lacked.
    Repair { items: Vec<u32> },
}

/// Header: type (1), flags (1), sender (4), sequence (4).
const HEADER: u32 = 10;
/// A message's fixed part: id (4), sender (4), sequence (4).
const MSG_FIXED: u32 = 12;
/// A vector clock entry: sender (4), count (4).
const VC_ENTRY: u32 = 8;
/// A sequence number record: message id (4), rank (4).
const RANK_RECORD: u32 = 8;

const HELD: u8 = 1;
const RANKED: u8 = 2;
const DELIVERED: u8 = 4;

/// The sequencer of `order=total`.
pub const SEQUENCER: NodeId = 0;

#[derive(Clone, Debug)]
struct Meta {
    sender: NodeId,
    /// Index of the sender among the senders seen so far.
    sidx: usize,
    /// 1-based sequence number at its sender.
    seq: u32,
    /// Causal dependencies: (sender index, messages of it the sender had delivered).
    deps: Vec<(usize, u32)>,
    /// Rank given by the sequencer.
    rank: Option<u32>,
}

#[derive(Clone)]
pub struct Broadcast {
    order: Order,
    fanout: u32,
    k: u32,
    backup_interval: u32,
    payload_bytes: u32,
    /// Messages the run can hold: the workload's and the schedule's writes.
    m_cap: usize,
    malicious: std::ops::Range<NodeId>,
    msgs: Vec<Meta>,
    senders: BTreeMap<NodeId, usize>,
    sender_seq: Vec<u32>,
    by_rank: Vec<u32>,
    /// At the sequencer: held messages not yet ranked, and per sender the messages ranked.
    unranked: Vec<u32>,
    ranked_per_sender: Vec<u32>,
    /// Per (node, item slot): HELD, RANKED, DELIVERED bits; row length m_cap.
    have: Vec<u8>,
    /// Per node: items to forward, the ticks left for each, and when it was learned.
    hot: Vec<Vec<(u32, u32, u64)>>,
    /// Per node: received messages waiting for their order.
    held: Vec<Vec<u32>>,
    /// Per node, per sender index: messages delivered without a gap.
    contig: Vec<Vec<u32>>,
    /// Per node: delivered (sender index, seq) beyond a gap (order=none only).
    beyond: Vec<Vec<(usize, u32)>>,
    /// Per node: the next rank to deliver (order=total).
    next_rank: Vec<u32>,
    /// Per node: messages in the order delivered.
    log: Vec<Vec<u32>>,
    up: Vec<bool>,
    ledger: Ledger,
    fifo_violations: u64,
    causal_violations: u64,
    /// Sum over samples of the live nodes' held-back messages, and the samples; the largest queue seen.
    held_now: u64,
    held_sum: f64,
    samples: u64,
    held_max: usize,
    held_series: Vec<f64>,
}

impl Broadcast {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let m_cap = s.total_updates() as usize;
        let mut up = vec![false; cap];
        up[..s.nodes as usize].iter_mut().for_each(|u| *u = true);
        let mut b = Broadcast {
            order: s.order,
            // The live settings (`retune`, just below, sets them from the scenario).
            fanout: 0,
            k: 0,
            backup_interval: 0,
            payload_bytes: s.payload_bytes,
            m_cap,
            malicious: crate::protocol::malicious(s),
            msgs: Vec::new(),
            senders: BTreeMap::new(),
            sender_seq: Vec::new(),
            by_rank: Vec::new(),
            unranked: Vec::new(),
            ranked_per_sender: Vec::new(),
            have: vec![0; cap * m_cap],
            hot: vec![Vec::new(); cap],
            held: vec![Vec::new(); cap],
            contig: vec![Vec::new(); cap],
            beyond: vec![Vec::new(); cap],
            next_rank: vec![0; cap],
            log: vec![Vec::new(); cap],
            up,
            ledger: Ledger::default(),
            fifo_violations: 0,
            causal_violations: 0,
            held_now: 0,
            held_sum: 0.0,
            samples: 0,
            held_max: 0,
            held_series: Vec::new(),
        };
        b.retune(s);
        b
    }

    fn cell(&self, n: NodeId, m: usize) -> usize {
        n as usize * self.m_cap + m
    }

    fn contig_of(&self, n: NodeId, sidx: usize) -> u32 {
        self.contig[n as usize].get(sidx).copied().unwrap_or(0)
    }

    fn is_malicious(&self, n: NodeId) -> bool {
        self.malicious.contains(&n)
    }

    fn item_bytes(&self, item: u32) -> u32 {
        let m = item as usize;
        if m < self.m_cap {
            let deps = if matches!(self.order, Order::Causal | Order::Total) {
                self.msgs[m].deps.len() as u32 * VC_ENTRY
            } else {
                0
            };
            MSG_FIXED + self.payload_bytes + deps
        } else {
            RANK_RECORD
        }
    }

    /// `n` now holds `item` (first time): forward it from the next tick, then deliver what the order allows.
    fn receive(&mut self, n: NodeId, item: u32, cx: &mut Ctx<'_, BcastMsg>) {
        let m = item as usize;
        let (idx, bit) = if m < self.m_cap { (m, HELD) } else { (m - self.m_cap, RANKED) };
        if idx >= self.msgs.len() {
            return; // never written: a malformed item is ignored
        }
        let c = self.cell(n, idx);
        if self.have[c] & bit != 0 {
            return;
        }
        self.have[c] |= bit;
        if self.k > 0 && !self.is_malicious(n) {
            self.hot[n as usize].push((item, self.k, cx.now_us()));
        }
        if bit == HELD {
            self.held[n as usize].push(idx as u32);
            if self.up[n as usize] {
                self.held_now += 1;
            }
            if self.order == Order::Total && n == SEQUENCER {
                self.unranked.push(idx as u32);
                self.sequence(cx);
            }
        }
        self.deliver_ready(n, cx);
    }

    /// The sequencer numbers the messages it holds in an order that respects
    /// each sender's order and causality: a message gets the next rank once its
    /// sender's previous message and every message it depends on are ranked.
    /// So total order is also causal (and FIFO) order.
    fn sequence(&mut self, cx: &mut Ctx<'_, BcastMsg>) {
        while let Some(pos) = self.unranked.iter().position(|&m| {
            let meta = &self.msgs[m as usize];
            let ranked = |t: usize| self.ranked_per_sender.get(t).copied().unwrap_or(0);
            meta.seq == ranked(meta.sidx) + 1 && meta.deps.iter().all(|&(t, c)| ranked(t) >= c)
        }) {
            let m = self.unranked.swap_remove(pos) as usize;
            let sidx = self.msgs[m].sidx;
            if self.ranked_per_sender.len() <= sidx {
                self.ranked_per_sender.resize(sidx + 1, 0);
            }
            self.ranked_per_sender[sidx] += 1;
            self.msgs[m].rank = Some(self.by_rank.len() as u32);
            self.by_rank.push(m as u32);
            self.receive(SEQUENCER, (self.m_cap + m) as u32, cx);
        }
    }

    fn deliverable(&self, n: NodeId, m: usize) -> bool {
        let meta = &self.msgs[m];
        match self.order {
            Order::None => true,
            Order::Fifo => meta.seq == self.contig_of(n, meta.sidx) + 1,
            Order::Causal => {
                meta.seq == self.contig_of(n, meta.sidx) + 1
                    && meta.deps.iter().all(|&(t, c)| self.contig_of(n, t) >= c)
            }
            Order::Total => self.have[self.cell(n, m)] & RANKED != 0 && meta.rank == Some(self.next_rank[n as usize]),
        }
    }

    fn deliver_ready(&mut self, n: NodeId, cx: &mut Ctx<'_, BcastMsg>) {
        // Bounded: each pass delivers at least one message or stops.
        loop {
            let held = &self.held[n as usize];
            let Some(pos) = held.iter().position(|&m| self.deliverable(n, m as usize)) else { break };
            let m = self.held[n as usize].swap_remove(pos) as usize;
            if self.up[n as usize] {
                self.held_now -= 1;
            }
            self.deliver(n, m, cx);
        }
    }

    fn deliver(&mut self, n: NodeId, m: usize, cx: &mut Ctx<'_, BcastMsg>) {
        let meta = self.msgs[m].clone();
        let gap = meta.seq != self.contig_of(n, meta.sidx) + 1;
        if gap {
            self.fifo_violations += 1;
        }
        if gap || meta.deps.iter().any(|&(t, c)| self.contig_of(n, t) < c) {
            self.causal_violations += 1;
        }
        let c = self.cell(n, m);
        self.have[c] |= DELIVERED;
        self.log[n as usize].push(m as u32);
        if let Some(r) = meta.rank {
            if r == self.next_rank[n as usize] {
                self.next_rank[n as usize] += 1;
            }
        }
        let row = &mut self.contig[n as usize];
        if row.len() <= meta.sidx {
            row.resize(meta.sidx + 1, 0);
        }
        if gap {
            self.beyond[n as usize].push((meta.sidx, meta.seq));
        } else {
            row[meta.sidx] += 1;
            // Close the gaps this delivery filled.
            let beyond = &mut self.beyond[n as usize];
            while let Some(p) = beyond.iter().position(|&(s, q)| s == meta.sidx && q == row[meta.sidx] + 1) {
                beyond.swap_remove(p);
                row[meta.sidx] += 1;
            }
        }
        if self.up[n as usize] {
            if n == meta.sender {
                self.ledger.gain(m, cx.now_us(), cx.live());
            } else {
                self.ledger.deliver(m, cx.now_us(), cx.live());
            }
        }
    }

    /// Live nodes whose delivery sequence disagrees with the reference order
    /// (the sequencer's ranks under total order, else node 0's log) on some pair of messages both delivered.
    pub fn total_order_violations(&self) -> u64 {
        let reference: Vec<u32> = if self.order == Order::Total { self.by_rank.clone() } else { self.log[0].clone() };
        let mut pos = vec![u32::MAX; self.msgs.len()];
        for (i, &m) in reference.iter().enumerate() {
            pos[m as usize] = i as u32;
        }
        (0..self.up.len())
            .filter(|&n| self.up[n])
            .filter(|&n| {
                let mut last = None;
                self.log[n].iter().filter_map(|&m| (pos[m as usize] != u32::MAX).then_some(pos[m as usize])).any(|p| {
                    let bad = last.is_some_and(|l| p < l);
                    last = Some(p);
                    bad
                })
            })
            .count() as u64
    }

    fn digest(&self, n: NodeId) -> Vec<u64> {
        let mut bits = vec![0u64; (2 * self.msgs.len()).div_ceil(64)];
        for m in 0..self.msgs.len() {
            let h = self.have[self.cell(n, m)];
            if h & HELD != 0 {
                bits[m / 64] |= 1 << (m % 64);
            }
            if h & RANKED != 0 {
                let i = self.msgs.len() + m;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    }
}

impl Protocol for Broadcast {
    fn retune(&mut self, s: &Scenario) {
        self.fanout = s.fanout;
        self.k = s.k;
        self.backup_interval = s.backup_interval;
    }
    type Msg = BcastMsg;
    type Hot = ();

    fn on_tick(&mut self, cx: &mut Ctx<'_, BcastMsg>) {
        let n = cx.node;
        if self.is_malicious(n) {
            return;
        }
        // Only what the node may act on now (in rounds: what it learned before this round).
        let items: Vec<u32> = self.hot[n as usize].iter().filter(|h| cx.can_act_on(h.2)).map(|h| h.0).collect();
        if !items.is_empty() {
            let hot = &mut self.hot[n as usize];
            hot.iter_mut().filter(|h| cx.can_act_on(h.2)).for_each(|h| h.1 -= 1);
            hot.retain(|h| h.1 > 0);
            let m_cap = self.m_cap;
            for _ in 0..self.fanout {
                if let Some(p) = cx.peer() {
                    self.ledger.carry(items.iter().map(|&i| i as usize).filter(|&i| i < m_cap));
                    cx.send(p, BcastMsg::Gossip { items: items.clone() });
                }
            }
        }
        if self.backup_interval > 0 && cx.round() % self.backup_interval == 0 && !self.msgs.is_empty() {
            if let Some(p) = cx.peer() {
                cx.request(p, BcastMsg::Digest { have: self.digest(n) });
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: BcastMsg, cx: &mut Ctx<'_, BcastMsg>) {
        let n = cx.node;
        match msg {
            BcastMsg::Gossip { items } | BcastMsg::Repair { items } => {
                for item in items {
                    self.receive(n, item, cx);
                }
            }
            BcastMsg::Digest { have } => {
                if self.is_malicious(n) {
                    return;
                }
                let known = |i: usize| have.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1);
                let total = have.len() * 64;
                let mut items = Vec::new();
                // The digest's message count may be older than ours: index items by its count.
                let their = self.msgs.len().min(total / 2);
                for m in 0..self.msgs.len() {
                    let h = self.have[self.cell(n, m)];
                    let (held, ranked) = if m < their { (known(m), known(their + m)) } else { (false, false) };
                    if h & HELD != 0 && !held {
                        items.push(m as u32);
                    }
                    if h & RANKED != 0 && !ranked {
                        items.push((self.m_cap + m) as u32);
                    }
                }
                self.ledger.carry(items.iter().map(|&i| i as usize).filter(|&i| i < self.m_cap));
                cx.reply(from, BcastMsg::Repair { items });
            }
        }
    }

    fn on_update(&mut self, cx: &mut Ctx<'_, BcastMsg>) -> bool {
        if self.msgs.len() >= self.m_cap {
            return false;
        }
        let n = cx.node;
        let next = self.senders.len();
        let sidx = *self.senders.entry(n).or_insert(next);
        if sidx == self.sender_seq.len() {
            self.sender_seq.push(0);
        }
        self.sender_seq[sidx] += 1;
        let deps: Vec<(usize, u32)> = self.contig[n as usize]
            .iter()
            .enumerate()
            .filter(|&(t, &c)| t != sidx && c > 0)
            .map(|(t, &c)| (t, c))
            .collect();
        self.msgs.push(Meta { sender: n, sidx, seq: self.sender_seq[sidx], deps, rank: None });
        let m = self.ledger.announce(n, cx.now_us());
        debug_assert_eq!(m + 1, self.msgs.len());
        self.receive(n, m as u32, cx);
        true
    }

    fn on_crash(&mut self, node: NodeId, _now_us: u64, _hot: &mut ()) {
        let n = node as usize;
        if !self.up[n] {
            return;
        }
        self.up[n] = false;
        self.hot[n].clear();
        self.held_now -= self.held[n].len() as u64;
        for m in 0..self.msgs.len() {
            if self.have[self.cell(node, m)] & DELIVERED != 0 {
                self.ledger.lose(m);
            }
        }
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, BcastMsg>) {
        let n = cx.node as usize;
        self.up[n] = true;
        self.held_now += self.held[n].len() as u64;
        for m in 0..self.msgs.len() {
            if self.have[self.cell(cx.node, m)] & DELIVERED != 0 {
                self.ledger.gain(m, cx.now_us(), cx.live());
            }
        }
    }

    fn on_sample(&mut self, _round: u32, _hot: crate::protocol::Hots<'_, ()>) {
        let live = self.up.iter().filter(|&&u| u).count().max(1);
        let per_node = self.held_now as f64 / live as f64;
        self.held_sum += per_node;
        self.samples += 1;
        let max_now = self.held.iter().zip(&self.up).filter(|(_, &u)| u).map(|(h, _)| h.len()).max().unwrap_or(0);
        self.held_max = self.held_max.max(max_now);
        self.held_series.push(per_node);
    }

    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        vec![("held_back", self.held_series.iter().map(|&x| Some(x)).collect())]
    }

    fn extra(&self, _live: u64, _now_us: u64, _hot: crate::protocol::Hots<'_, ()>) -> Vec<(&'static str, Option<f64>)> {
        let total = self.total_order_violations();
        let chosen = match self.order {
            Order::None | Order::Causal => self.causal_violations,
            Order::Fifo => self.fifo_violations,
            Order::Total => total,
        };
        vec![
            ("order_violations", Some(chosen as f64)),
            ("fifo_violations", Some(self.fifo_violations as f64)),
            ("causal_violations", Some(self.causal_violations as f64)),
            ("total_order_violations", Some(total as f64)),
            ("held_back_mean", (self.samples > 0).then(|| self.held_sum / self.samples as f64)),
            ("held_back_max", Some(self.held_max as f64)),
            ("held_back_now", Some(self.held_now as f64)),
        ]
    }

    fn updates(&self, live: u64) -> Vec<UpdateStats> {
        self.ledger.stats(live, self.up.len() as u32)
    }

    fn wire_size(&self, msg: &BcastMsg) -> u32 {
        IP_UDP_HEADER
            + HEADER
            + match msg {
                BcastMsg::Gossip { items } | BcastMsg::Repair { items } => {
                    items.iter().map(|&i| self.item_bytes(i)).sum::<u32>()
                }
                // A count (4) and one bit per message and per sequence number.
                BcastMsg::Digest { .. } => 4 + (2 * self.msgs.len()).div_ceil(8) as u32,
            }
    }

    fn msg_kind(&self, msg: &BcastMsg) -> &'static str {
        match msg {
            BcastMsg::Gossip { .. } => "gossip",
            BcastMsg::Digest { .. } => "digest",
            BcastMsg::Repair { .. } => "repair",
        }
    }

    fn node_state(&self, node: NodeId, _hot: &()) -> NodeState {
        let n = node as usize;
        if !self.held[n].is_empty() {
            NodeState::Infective
        } else if self.log[n].len() == self.msgs.len() && !self.msgs.is_empty() {
            NodeState::Removed
        } else {
            NodeState::Susceptible
        }
    }

    fn describe(&self, node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
        let n = node as usize;
        let name = |m: u32| {
            let meta = &self.msgs[m as usize];
            format!("{}:{}", meta.sender, meta.seq)
        };
        let list = |xs: &[u32], max: usize| {
            let mut parts: Vec<String> = xs.iter().take(max).map(|&m| name(m)).collect();
            if xs.len() > max {
                parts.push(format!("… {} more", xs.len() - max));
            }
            if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join(", ")
            }
        };
        let mut rows = vec![
            ("delivered", format!("{} of {}", self.log[n].len(), self.msgs.len())),
            ("delivery order (sender:seq)", list(&self.log[n], 24)),
            ("held back", list(&self.held[n], 24)),
            ("forwarding", format!("{} items", self.hot[n].len())),
        ];
        if self.order == Order::Total {
            rows.push(("next rank", self.next_rank[n].to_string()));
        }
        if self.is_malicious(node) {
            rows.push(("malicious", "swallows what it receives".into()));
        }
        rows
    }

    fn progress(&self) -> Progress {
        let active = self.hot.iter().zip(&self.up).filter(|(h, &u)| u && !h.is_empty()).count() as u64;
        self.ledger.progress(active)
    }

    fn done(&self, live: u64) -> bool {
        self.ledger.complete(live) && self.held_now == 0 && self.hot.iter().all(Vec::is_empty)
    }
}
