//! Anti-entropy (Demers et al., 1987): every node holds a replica of a
//! key-value store and, every interval, reconciles it with `fanout` random
//! partners by push, pull or push-pull. Four ways to find what differs
//! (`reconcile=`), each with its real messages and their real sizes:
//!
//! - `full`: send the whole store (every key, changed or not).
//! - `checksum`: send a checksum of the store first; the whole store only on mismatch.
//! - `recent`: send the updates of the last `recent_window` rounds and a checksum;
//!   apply them, compare checksums, and fall back to the whole store on mismatch.
//! - `merkle`: a tree of hashes over the key space (16 children per range, leaves
//!   of at most 16 keys); the two sides compare a level at a time and descend
//!   only into ranges whose hashes differ, then swap the differing entries.
//!
//! The store starts identical everywhere (`keys` keys at version 0). Update i
//! writes key `perm(i mod keys)` at version `i / keys + 1`, so later writes of a
//! key win, and only the newest version of a key is kept and sent. A replica
//! lives on disk: a crash pauses a node but does not lose its store.
//!
//! Only changed keys are held in memory; a message's size still counts every
//! key it would carry on the wire.

use std::collections::BTreeMap;

use crate::metrics::UpdateStats;
use crate::protocol::updates::Ledger;
use crate::protocol::{Ctx, EventKind, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{Reconcile, Scenario, Spread};
use crate::sim::rng::{self, Permutation, Stream};

/// A key and its version.
pub type Entry = (u32, u32);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AeMsg {
    /// Checksum of the sender's store, with its recent updates (`recent` only).
    /// `answer`: sent by the initiator, who wants a digest back.
    Digest { checksum: u64, recent: Vec<Entry>, answer: bool },
    /// The whole store; `answer`: the receiver should send its own back.
    Store { entries: Vec<Entry>, answer: bool },
    /// Send me your whole store.
    StoreRequest,
    /// Merkle: one step of the descent.
    Tree(Tree),
    /// The stores agree.
    Same,
}

/// One step of a Merkle descent: hashes of ranges to compare, digests of
/// differing leaves, entries the receiver lacks and keys the sender wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub from_initiator: bool,
    pub hashes: Vec<(u32, u64)>,
    pub leaves: Vec<(u32, Vec<Entry>)>,
    pub data: Vec<Entry>,
    pub want: Vec<u32>,
}

impl Tree {
    fn is_empty(&self) -> bool {
        self.hashes.is_empty() && self.leaves.is_empty() && self.data.is_empty() && self.want.is_empty()
    }
}

/// Gossip header: message type (1), flags (1), sender id (4), sequence (4).
const GOSSIP_HEADER: u32 = 10;
/// Key and version on the wire.
const ENTRY_DIGEST: u32 = 16;
/// Range id and hash of a Merkle node.
const HASH_BYTES: u32 = 12;
const CHECKSUM_BYTES: u32 = 8;
/// Children of a Merkle range, and the most keys in a leaf.
const BRANCH: u64 = 16;
const ROOT: u32 = 0;

fn entry_hash(k: u32, v: u32) -> u64 {
    rng::mix64((u64::from(k) << 32) | u64::from(v))
}

#[derive(Clone)]
pub struct AntiEntropy {
    spread: Spread,
    fanout: u32,
    reconcile: Reconcile,
    keys: u32,
    payload_bytes: u32,
    recent_window_us: u64,
    nodes: u32,
    /// Leaf level of the Merkle tree.
    depth: u32,
    perm: Permutation,
    /// Per node: changed keys and their versions (absent keys are at version 0).
    stores: Vec<BTreeMap<u32, u32>>,
    /// Per node: XOR of the entry hashes of its changed keys (equal stores, equal checksums).
    checksum: Vec<u64>,

    /// Per node: (key, version, arrival) of what it learned lately.
    recent: Vec<Vec<(u32, u32, u64)>>,
    /// Per node: (key, version, arrival) received this round, applied from the next (rounds only).
    staged: Vec<Vec<(u32, u32, u64)>>,
    /// Per node: written updates it holds.
    held: Vec<u32>,
    /// Key -> its position in the write order (update i writes slot i mod keys).
    slot: BTreeMap<u32, u32>,
    ledger: Ledger,
}

impl AntiEntropy {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let mut depth = 0;
        while u64::from(s.keys) > BRANCH.pow(depth + 1) {
            depth += 1;
        }
        let mut ae = AntiEntropy {
            // The live settings (`retune`, just below, sets them from the scenario).
            spread: Spread::Push,
            fanout: 0,
            recent_window_us: 0,
            reconcile: s.reconcile,
            keys: s.keys,
            payload_bytes: s.payload_bytes,
            nodes: s.nodes,
            depth,
            perm: Permutation::new(s.keys, rng::derive(s.seed, Stream::Workload as u64 + 1)),
            stores: vec![BTreeMap::new(); cap],
            checksum: vec![0; cap],
            recent: vec![Vec::new(); cap],
            staged: vec![Vec::new(); cap],
            held: vec![0; cap],
            slot: BTreeMap::new(),
            ledger: Ledger::default(),
        };
        ae.retune(s);
        ae
    }

    fn push_ok(&self) -> bool {
        self.spread != Spread::Pull
    }
    fn pull_ok(&self) -> bool {
        self.spread != Spread::Push
    }

    fn version(&self, n: NodeId, k: u32) -> u32 {
        self.stores[n as usize].get(&k).copied().unwrap_or(0)
    }

    /// The written updates that version `v` of key `k` includes, above version `from`.
    fn updates_of(&self, k: u32, from: u32, to: u32) -> impl Iterator<Item = usize> + '_ {
        let slot = self.slot.get(&k).copied();
        let keys = self.keys as usize;
        let written = self.ledger.len();
        (from + 1..=to)
            .filter_map(move |v| slot.map(|s| (v as usize - 1) * keys + s as usize))
            .filter(move |&u| u < written)
    }

    /// The newest version of `k` node `n` has received, applied or not yet.
    fn newest(&self, n: NodeId, k: u32) -> u32 {
        let staged = self.staged[n as usize].iter().filter(|e| e.0 == k).map(|e| e.1).max().unwrap_or(0);
        self.version(n, k).max(staged)
    }

    /// Put version `v` of `k` into node `n`'s store (if newer), learned at `at`.
    fn apply(&mut self, n: usize, k: u32, v: u32, at: u64) {
        let old = self.stores[n].get(&k).copied().unwrap_or(0);
        if v <= old {
            return;
        }
        self.stores[n].insert(k, v);
        if old > 0 {
            self.checksum[n] ^= entry_hash(k, old);
        }
        self.checksum[n] ^= entry_hash(k, v);
        self.recent[n].push((k, v, at));
    }

    /// Node `cx.node` receives version `v` of `k`; false if it had it. It counts as
    /// delivered now; in rounds the node passes it on from the next round, as in the
    /// papers' synchronous model (until then it waits in `staged`).
    fn set(&mut self, k: u32, v: u32, cx: &mut Ctx<'_, AeMsg>) -> bool {
        let n = cx.node as usize;
        let old = self.newest(cx.node, k);
        if v <= old {
            return false;
        }
        let got: Vec<usize> = self.updates_of(k, old, v).collect();
        for u in got {
            self.ledger.deliver(u, cx.now_us(), cx.live());
            self.held[n] += 1;
        }
        if cx.can_act_on(cx.now_us()) {
            self.apply(n, k, v, cx.now_us());
        } else {
            self.staged[n].push((k, v, cx.now_us()));
        }
        true
    }

    /// The checksum node `n`'s store would have with `list` applied: what the
    /// recent-update method compares, so that both sides compare the stores as
    /// they will be (in rounds, what arrives is applied from the next round).
    fn checksum_with(&self, n: NodeId, list: &[Entry]) -> u64 {
        let mut newest: BTreeMap<u32, u32> = BTreeMap::new();
        for &(k, v) in list {
            let e = newest.entry(k).or_insert(0);
            *e = (*e).max(v);
        }
        newest.into_iter().fold(self.checksum[n as usize], |cs, (k, v)| {
            let old = self.version(n, k);
            if v <= old {
                cs
            } else if old > 0 {
                cs ^ entry_hash(k, old) ^ entry_hash(k, v)
            } else {
                cs ^ entry_hash(k, v)
            }
        })
    }

    /// Apply what node `cx.node` received and may now act on.
    fn settle(&mut self, cx: &Ctx<'_, AeMsg>) {
        let n = cx.node as usize;
        if self.staged[n].is_empty() || !cx.can_act_on(self.staged[n][0].2) {
            return;
        }
        for (k, v, at) in std::mem::take(&mut self.staged[n]) {
            self.apply(n, k, v, at);
        }
    }

    /// Every written update node `n`'s store includes.
    fn held_updates(&mut self, n: NodeId) -> Vec<usize> {
        for (k, v, at) in std::mem::take(&mut self.staged[n as usize]) {
            self.apply(n as usize, k, v, at);
        }
        self.stores[n as usize].iter().flat_map(|(&k, &v)| self.updates_of(k, 0, v).collect::<Vec<_>>()).collect()
    }

    fn merge(&mut self, entries: &[Entry], cx: &mut Ctx<'_, AeMsg>) {
        let mut any = false;
        for &(k, v) in entries {
            any |= self.set(k, v, cx);
        }
        if any {
            cx.emit(EventKind::Informed);
        }
    }

    fn store_of(&self, n: NodeId) -> Vec<Entry> {
        self.stores[n as usize].iter().map(|(&k, &v)| (k, v)).collect()
    }

    /// The node's updates of the last `recent_window` (older ones are dropped from its list).
    fn recent_of(&mut self, n: NodeId, now_us: u64) -> Vec<Entry> {
        let window = self.recent_window_us;
        let list = &mut self.recent[n as usize];
        list.retain(|&(_, _, at)| at + window > now_us);
        list.iter().map(|&(k, v, _)| (k, v)).collect()
    }

    // ----- Merkle tree over the key space ------------------------------------

    fn level(id: u32) -> u32 {
        id >> 28
    }

    /// Keys `[a, b)` of range `id` (level in the top 4 bits, index below).
    fn bounds(&self, id: u32) -> (u32, u32) {
        let parts = BRANCH.pow(Self::level(id));
        let j = u64::from(id & 0x0fff_ffff);
        let keys = u64::from(self.keys);
        ((j * keys / parts) as u32, ((j + 1) * keys / parts) as u32)
    }

    fn is_leaf(&self, id: u32) -> bool {
        Self::level(id) >= self.depth
    }

    fn children(&self, id: u32) -> impl Iterator<Item = u32> {
        let level = Self::level(id) + 1;
        let j = id & 0x0fff_ffff;
        (0..BRANCH as u32).map(move |c| (level << 28) | (j * BRANCH as u32 + c))
    }

    fn range_hash(&self, n: NodeId, id: u32) -> u64 {
        let (a, b) = self.bounds(id);
        self.stores[n as usize].range(a..b).fold(0, |h, (&k, &v)| h ^ entry_hash(k, v))
    }

    fn leaf_entries(&self, n: NodeId, id: u32) -> Vec<Entry> {
        let (a, b) = self.bounds(id);
        self.stores[n as usize].range(a..b).map(|(&k, &v)| (k, v)).collect()
    }

    /// One step of the Merkle descent, at either end.
    fn on_tree(&mut self, from: NodeId, msg: Tree, cx: &mut Ctx<'_, AeMsg>) {
        let n = cx.node;
        let me_initiator = !msg.from_initiator;
        // Which way data may flow from here: push carries the initiator's, pull the receiver's.
        let (mine_out, theirs_in) =
            if me_initiator { (self.push_ok(), self.pull_ok()) } else { (self.pull_ok(), self.push_ok()) };
        self.merge(&msg.data, cx);
        let mut out = Tree { from_initiator: me_initiator, ..Tree::default() };
        out.data = msg.want.iter().map(|&k| (k, self.version(n, k))).filter(|e| e.1 > 0).collect();
        for (id, h) in msg.hashes {
            if self.range_hash(n, id) == h {
                continue;
            }
            if self.is_leaf(id) {
                out.leaves.push((id, self.leaf_entries(n, id)));
            } else {
                for c in self.children(id) {
                    let (a, b) = self.bounds(c);
                    if a < b {
                        out.hashes.push((c, self.range_hash(n, c)));
                    }
                }
            }
        }
        for (id, theirs) in msg.leaves {
            let theirs: BTreeMap<u32, u32> = theirs.into_iter().collect();
            if mine_out {
                for (k, v) in self.leaf_entries(n, id) {
                    if v > theirs.get(&k).copied().unwrap_or(0) {
                        out.data.push((k, v));
                    }
                }
            }
            if theirs_in {
                out.want.extend(theirs.iter().filter(|&(&k, &v)| v > self.version(n, k)).map(|(&k, _)| k));
            }
        }
        if !out.is_empty() {
            self.reply(cx, from, AeMsg::Tree(out));
        }
    }

    /// Count a message in the traffic of the updates whose newest versions it carries.
    fn count(&mut self, msg: &AeMsg) {
        let entries: &[Entry] = match msg {
            AeMsg::Digest { recent, .. } => recent,
            AeMsg::Store { entries, .. } => entries,
            AeMsg::Tree(t) => &t.data,
            AeMsg::StoreRequest | AeMsg::Same => &[],
        };
        let keys = self.keys as usize;
        let written = self.ledger.len();
        let us: Vec<usize> = entries
            .iter()
            .filter_map(|&(k, v)| self.slot.get(&k).map(|&s| (v as usize - 1) * keys + s as usize))
            .filter(|&u| u < written)
            .collect();
        self.ledger.carry(us);
    }

    fn send(&mut self, cx: &mut Ctx<'_, AeMsg>, to: NodeId, msg: AeMsg) {
        self.count(&msg);
        cx.send(to, msg);
    }
    fn request(&mut self, cx: &mut Ctx<'_, AeMsg>, to: NodeId, msg: AeMsg) {
        self.count(&msg);
        cx.request(to, msg);
    }
    fn reply(&mut self, cx: &mut Ctx<'_, AeMsg>, to: NodeId, msg: AeMsg) {
        self.count(&msg);
        cx.reply(to, msg);
    }

    fn entry_bytes(&self) -> u32 {
        ENTRY_DIGEST + self.payload_bytes
    }
}

impl Protocol for AntiEntropy {
    fn retune(&mut self, s: &Scenario) {
        self.spread = s.spread;
        self.fanout = s.fanout;
        self.recent_window_us = u64::from(s.recent_window) * u64::from(s.interval_ms) * 1000;
    }
    type Msg = AeMsg;
    type Hot = ();

    fn on_tick(&mut self, cx: &mut Ctx<'_, AeMsg>) {
        let n = cx.node;
        self.settle(cx);
        for _ in 0..self.fanout {
            let Some(peer) = cx.peer() else { break };
            match self.reconcile {
                Reconcile::Full => match self.spread {
                    Spread::Push => self.send(cx, peer, AeMsg::Store { entries: self.store_of(n), answer: false }),
                    Spread::Pull => self.request(cx, peer, AeMsg::StoreRequest),
                    Spread::PushPull => {
                        self.request(cx, peer, AeMsg::Store { entries: self.store_of(n), answer: true })
                    }
                },
                Reconcile::Checksum | Reconcile::Recent => {
                    let recent = if self.reconcile == Reconcile::Recent && self.push_ok() {
                        self.recent_of(n, cx.now_us())
                    } else {
                        Vec::new()
                    };
                    self.request(cx, peer, AeMsg::Digest { checksum: self.checksum[n as usize], recent, answer: true });
                }
                Reconcile::Merkle => self.request(
                    cx,
                    peer,
                    AeMsg::Tree(Tree {
                        from_initiator: true,
                        hashes: vec![(ROOT, self.checksum[n as usize])],
                        ..Tree::default()
                    }),
                ),
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: AeMsg, cx: &mut Ctx<'_, AeMsg>) {
        let n = cx.node;
        self.settle(cx);
        match msg {
            AeMsg::Store { entries, answer } => {
                self.merge(&entries, cx);
                if answer {
                    self.reply(cx, from, AeMsg::Store { entries: self.store_of(n), answer: false });
                }
            }
            AeMsg::StoreRequest => self.reply(cx, from, AeMsg::Store { entries: self.store_of(n), answer: false }),
            AeMsg::Digest { checksum, recent, answer: true } => {
                // The receiver of the initiator's digest: would the stores agree once its recent updates are in?
                let mine = self.checksum_with(n, &recent);
                self.merge(&recent, cx);
                let reply = if mine == checksum {
                    AeMsg::Same
                } else if self.reconcile == Reconcile::Recent && self.pull_ok() {
                    let recent = self.recent_of(n, cx.now_us());
                    AeMsg::Digest { checksum: mine, recent, answer: false }
                } else {
                    match self.spread {
                        Spread::PushPull => AeMsg::Store { entries: self.store_of(n), answer: true },
                        Spread::Pull => AeMsg::Store { entries: self.store_of(n), answer: false },
                        Spread::Push => AeMsg::StoreRequest,
                    }
                };
                self.reply(cx, from, reply);
            }
            AeMsg::Digest { checksum, recent, answer: false } => {
                // Back at the initiator (recent, pull or push-pull): the receiver's checksum with ours applied.
                let mine = self.checksum_with(n, &recent);
                let sent = if self.push_ok() { self.recent_of(n, cx.now_us()) } else { Vec::new() };
                let agree = mine == checksum && self.checksum_with(n, &sent) == self.checksum[n as usize];
                self.merge(&recent, cx);
                if !agree {
                    let reply = if self.push_ok() {
                        AeMsg::Store { entries: self.store_of(n), answer: true }
                    } else {
                        AeMsg::StoreRequest
                    };
                    self.reply(cx, from, reply);
                }
            }
            AeMsg::Tree(t) => self.on_tree(from, t, cx),
            AeMsg::Same => {}
        }
    }

    fn on_update(&mut self, cx: &mut Ctx<'_, AeMsg>) -> bool {
        let i = self.ledger.len() as u64;
        let keys = u64::from(self.keys);
        let (Ok(slot), Ok(v)) = (u32::try_from(i % keys), u32::try_from(i / keys + 1)) else { return false };
        let k = self.perm.at(slot);
        self.slot.insert(k, slot);
        let n = cx.node as usize;
        // Older versions of the key the writer had not received yet are superseded, and so held too.
        let old = self.newest(cx.node, k);
        let superseded: Vec<usize> = self.updates_of(k, old, v - 1).collect();
        for w in superseded {
            self.ledger.deliver(w, cx.now_us(), cx.live());
            self.held[n] += 1;
        }
        self.ledger.write(cx.node, cx.now_us(), cx.live());
        self.held[n] += 1;
        self.settle(cx);
        self.apply(n, k, v, cx.now_us());
        cx.emit(EventKind::Informed);
        true
    }

    fn on_crash(&mut self, node: NodeId, _now_us: u64, _hot: &mut ()) {
        // The store survives on disk, but a down node holds nothing for the coverage.
        for u in self.held_updates(node) {
            self.ledger.lose(u);
        }
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, AeMsg>) {
        for u in self.held_updates(cx.node) {
            self.ledger.gain(u, cx.now_us(), cx.live());
        }
    }

    fn wire_size(&self, msg: &AeMsg) -> u32 {
        let body = match msg {
            AeMsg::Digest { recent, .. } => CHECKSUM_BYTES + recent.len() as u32 * self.entry_bytes(),
            // The whole store goes on the wire, unchanged keys included.
            AeMsg::Store { .. } => self.keys.saturating_mul(self.entry_bytes()),
            AeMsg::StoreRequest | AeMsg::Same => CHECKSUM_BYTES,
            AeMsg::Tree(Tree { hashes, leaves, data, want, .. }) => {
                let leaf_bytes: u32 = leaves
                    .iter()
                    .map(|(id, _)| {
                        let (a, b) = self.bounds(*id);
                        4 + (b - a) * ENTRY_DIGEST
                    })
                    .sum();
                hashes.len() as u32 * HASH_BYTES
                    + leaf_bytes
                    + data.len() as u32 * self.entry_bytes()
                    + want.len() as u32 * 8
            }
        };
        IP_UDP_HEADER + GOSSIP_HEADER + body
    }

    fn msg_kind(&self, msg: &AeMsg) -> &'static str {
        match msg {
            AeMsg::Digest { .. } => "digest",
            AeMsg::Store { .. } => "store",
            AeMsg::StoreRequest => "store-request",
            AeMsg::Tree(_) => "merkle",
            AeMsg::Same => "same",
        }
    }

    fn node_state(&self, node: NodeId, _hot: &()) -> NodeState {
        match self.held[node as usize] {
            0 => NodeState::Susceptible,
            h if (h as usize) < self.ledger.len() => NodeState::Infective,
            _ => NodeState::Removed,
        }
    }

    fn describe(&self, node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
        let n = node as usize;
        vec![
            ("updates held", format!("{} of {}", self.held[n], self.ledger.len())),
            ("changed keys", self.stores[n].len().to_string()),
            ("checksum", format!("{:016x}", self.checksum[n])),
            ("recent list", self.recent[n].len().to_string()),
        ]
    }

    fn progress(&self) -> Progress {
        let p = self.ledger.progress(0);
        Progress { active: p.covered, ..p }
    }

    fn updates(&self, live: u64) -> Vec<UpdateStats> {
        self.ledger.stats(live, self.nodes)
    }

    fn done(&self, live: u64) -> bool {
        self.ledger.complete(live)
    }
}
