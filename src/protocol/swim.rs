//! SWIM (Das, Gupta and Motivala, 2002): failure detection by probing, and
//! membership changes spread by piggybacking on the probes.
//!
//! Every protocol period (`interval_ms`) a node pings one random member it
//! believes alive or suspect. No ack within `ack_timeout_ms`: it asks
//! `indirect_probes` other members to ping the target for it (ping-req). No
//! ack, direct or relayed, by the end of the period: it suspects the target.
//! A suspect not refuted within `suspicion_ms` is declared dead. A node that
//! hears it is suspected refutes by raising its incarnation number and
//! spreading `alive`. Each update (alive, suspect, dead, with an incarnation)
//! rides on the next pings, acks and ping-reqs, at most `lambda` x log2(n + 1)
//! times, the least-sent first, as many as fit in the MTU. A ping to a member
//! held suspect always carries that suspicion (Lifeguard's buddy system), so a
//! member cut off for longer than the news lasts still hears of it and refutes.
//!
//! Precedence (from the paper): alive(i) overrides suspect(j) and alive(j) for
//! i > j; suspect(i) overrides alive(j) for i >= j and suspect(j) for i > j;
//! dead overrides everything of the same or a lower incarnation. A node that
//! restarts comes back with a higher incarnation, which overrides its death.

use crate::protocol::shared::SharedTable;
use crate::protocol::{Ctx, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::Scenario;
use crate::sim::rng;

/// SWIM's figures: crash detection, false positives and refutations.
pub const FIGURES: &[crate::metrics::FigureSpec] = &[
    crate::protocol::DETECT_FIRST,
    crate::protocol::DETECT_ALL,
    crate::protocol::FALSE_POSITIVES,
    crate::metrics::FigureSpec::new(
        "false_suspicions",
        "false suspicions",
        crate::metrics::Shown::CountOrZero,
        "Times a node marked a live member suspect (each node that did counts once); a refutation or the suspicion period clears it.",
    ),
    crate::metrics::FigureSpec::new(
        "refutations",
        "refutations",
        crate::metrics::Shown::CountOrZero,
        "Times a suspected member refuted its suspicion by raising its incarnation.",
    ),
];

/// Header: type (1), flags (1), sender (4), sequence (4).
const HEADER: u32 = 10;
/// A piggybacked update: kind (1), node (4), incarnation (4).
const UPDATE: u32 = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Unknown,
    Alive,
    Suspect,
    Dead,
}

/// A membership update: about whom, what, at which incarnation.
pub type Update = (NodeId, Status, u32);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwimMsg {
    Ping {
        seq: u32,
        updates: Vec<Update>,
    },
    /// `for_node`: the requester a relay acks on behalf of (or the pinger itself).
    Ack {
        seq: u32,
        updates: Vec<Update>,
    },
    PingReq {
        seq: u32,
        target: NodeId,
        updates: Vec<Update>,
    },
    /// A ping sent on behalf of `requester`.
    RelayPing {
        seq: u32,
        requester: NodeId,
        updates: Vec<Update>,
    },
    /// The target's answer to a relayed ping, going back through the relay.
    RelayAck {
        seq: u32,
        requester: NodeId,
        target: NodeId,
        updates: Vec<Update>,
    },
}

/// Timer tokens: the low bits say what, the rest carry the probe sequence number.
const T_ACK: u64 = 1;
const T_PERIOD: u64 = 2;

#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    status: Status,
    incarnation: u32,
    /// When it became suspect (local time); 0 in any other state, so that the
    /// observers who agree on a member hold equal entries (`SharedTable`).
    since_us: u64,
}

const UNKNOWN: View = View { status: Status::Unknown, incarnation: 0, since_us: 0 };
const ALIVE: View = View { status: Status::Alive, incarnation: 0, since_us: 0 };

#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    seq: u32,
    target: NodeId,
    acked: bool,
    active: bool,
}

#[derive(Clone)]
pub struct Swim {
    indirect: u32,
    ack_timeout_us: u64,
    suspicion_us: u64,
    interval_us: u64,
    mtu_bytes: u32,
    seeds: u32,
    /// Retransmissions of each update: lambda x log2(n + 1).
    retransmit: u32,
    cap: usize,
    /// What each node believes of each: shared where they agree (`protocol::shared`).
    views: SharedTable<View>,
    incarnation: Vec<u32>,
    up: Vec<bool>,
    probe: Vec<Probe>,
    next_seq: Vec<u32>,
    /// Per node: updates to piggyback, with how many times each went out.
    buffer: Vec<Vec<(Update, u32)>>,
    alive_votes: Vec<u32>,
    dead_votes: Vec<u32>,
    /// Of the alive votes, those that suspect.
    suspect_votes: Vec<u32>,
    agree: u64,
    detections: crate::protocol::Detections,
    rejoins: Vec<(NodeId, u64, u32, Option<u64>)>,
    false_positives: crate::protocol::FalsePositives,
    false_suspicions: u64,
    refutations: u64,
    /// Probes of members that were up when the probe's period ended, and those without an ack.
    live_probes: u64,
    live_probes_failed: u64,
}

impl Swim {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let mut w = Swim {
            // The live settings (`retune`, just below, sets them from the scenario).
            indirect: 0,
            ack_timeout_us: 0,
            suspicion_us: 0,
            interval_us: 0,
            retransmit: 0,
            mtu_bytes: s.mtu_bytes,
            seeds: s.seeds,
            cap,
            // The initial members know each other; the ids that join later are unknown.
            views: SharedTable::from_base(
                (0..cap).map(|p| if p < s.nodes as usize { ALIVE } else { UNKNOWN }).collect(),
            ),
            incarnation: vec![0; cap],
            up: vec![false; cap],
            probe: vec![Probe::default(); cap],
            next_seq: vec![0; cap],
            buffer: vec![Vec::new(); cap],
            alive_votes: vec![0; cap],
            dead_votes: vec![0; cap],
            suspect_votes: vec![0; cap],
            agree: 0,
            detections: crate::protocol::Detections::default(),
            rejoins: Vec::new(),
            false_positives: crate::protocol::FalsePositives::default(),
            false_suspicions: 0,
            refutations: 0,
            live_probes: 0,
            live_probes_failed: 0,
        };
        w.retune(s);
        // The initial members know each other.
        w.up[..s.nodes as usize].fill(true);
        // An id that has not joined yet knows nobody.
        for o in s.nodes as usize..cap {
            w.views.reset_row(o, UNKNOWN, &[]);
        }
        for o in 0..s.nodes {
            w.count_observer(o, 1);
        }
        w
    }

    fn view(&self, o: NodeId, p: NodeId) -> View {
        self.views.get(o as usize, p as usize)
    }

    fn correct(&self, p: NodeId, v: &View) -> bool {
        if self.up[p as usize] {
            matches!(v.status, Status::Alive | Status::Suspect) && v.incarnation >= self.incarnation[p as usize]
        } else {
            matches!(v.status, Status::Dead | Status::Unknown)
        }
    }

    fn vote(&mut self, p: NodeId, v: &View, sign: i64) {
        let pu = p as usize;
        let add = |x: &mut u32| *x = (i64::from(*x) + sign) as u32;
        match v.status {
            Status::Alive => add(&mut self.alive_votes[pu]),
            Status::Suspect => {
                add(&mut self.alive_votes[pu]);
                add(&mut self.suspect_votes[pu]);
            }
            Status::Dead => add(&mut self.dead_votes[pu]),
            Status::Unknown => {}
        }
        if self.correct(p, v) {
            self.agree = (self.agree as i64 + sign) as u64;
        }
    }

    fn set_view(&mut self, o: NodeId, p: NodeId, v: View) {
        let v = if v.status == Status::Suspect { v } else { View { since_us: 0, ..v } };
        if o != p && self.up[o as usize] {
            let old = self.view(o, p);
            self.vote(p, &old, -1);
            self.vote(p, &v, 1);
        }
        self.views.set(o as usize, p as usize, v);
    }

    fn count_observer(&mut self, o: NodeId, sign: i64) {
        for p in 0..self.cap as NodeId {
            if p != o {
                let v = self.view(o, p);
                self.vote(p, &v, sign);
            }
        }
    }

    fn recount_peer(&mut self, p: NodeId, change: impl FnOnce(&mut Self)) {
        let observers: Vec<NodeId> = (0..self.cap as NodeId).filter(|&o| o != p && self.up[o as usize]).collect();
        for &o in &observers {
            let v = self.view(o, p);
            self.vote(p, &v, -1);
        }
        change(self);
        for &o in &observers {
            let v = self.view(o, p);
            self.vote(p, &v, 1);
        }
    }

    fn gossip(&mut self, o: NodeId, u: Update) {
        let b = &mut self.buffer[o as usize];
        b.retain(|(x, _)| x.0 != u.0);
        b.push((u, 0));
    }

    /// How many updates fit in one message within the MTU.
    fn room(&self) -> usize {
        (self.mtu_bytes.saturating_sub(IP_UDP_HEADER + HEADER + 8) / UPDATE) as usize
    }

    /// The updates that ride on the next message from o: the least-sent first, as many as fit.
    fn piggyback(&mut self, o: NodeId) -> Vec<Update> {
        let room = self.room();
        let limit = self.retransmit;
        let b = &mut self.buffer[o as usize];
        b.sort_by_key(|(u, sent)| (*sent, u.0));
        let out: Vec<Update> = b.iter().take(room).map(|(u, _)| *u).collect();
        for (_, sent) in b.iter_mut().take(room) {
            *sent += 1;
        }
        b.retain(|(_, sent)| *sent < limit);
        out
    }

    /// Apply one update at the node of `cx`.
    fn learn(&mut self, (p, status, inc): Update, cx: &mut Ctx<'_, SwimMsg>) {
        let o = cx.node;
        if p == o {
            // Someone thinks I am suspect or dead: refute with a higher incarnation.
            if matches!(status, Status::Suspect | Status::Dead) && inc >= self.incarnation[o as usize] {
                let next = inc + 1;
                self.recount_peer(o, |w| w.incarnation[o as usize] = next);
                let own = self.view(o, o);
                self.views.set(o as usize, o as usize, View { incarnation: next, ..own });
                self.refutations += 1;
                self.gossip(o, (o, Status::Alive, next));
            }
            return;
        }
        let v = self.view(o, p);
        let newer = match (status, v.status) {
            (_, Status::Unknown) => true,
            (Status::Alive, Status::Dead) => inc > v.incarnation,
            (Status::Alive, _) => inc > v.incarnation,
            (Status::Suspect, Status::Alive) => inc >= v.incarnation,
            (Status::Suspect, Status::Suspect) => inc > v.incarnation,
            (Status::Suspect, Status::Dead) => inc > v.incarnation,
            (Status::Dead, Status::Dead) => false,
            (Status::Dead, _) => inc >= v.incarnation,
            (Status::Unknown, _) => false,
        };
        if !newer {
            return;
        }
        self.set_status(o, p, status, inc, cx.now_us(), cx.live());
        self.gossip(o, (p, status, inc));
    }

    fn set_status(&mut self, o: NodeId, p: NodeId, status: Status, inc: u32, now: u64, live: u64) {
        self.set_view(o, p, View { status, incarnation: inc, since_us: now });
        if status != Status::Dead {
            self.false_positives.cleared(o, p, now);
        }
        if status == Status::Dead {
            if self.up[p as usize] {
                self.false_positives.marked(o, p, now);
            } else {
                self.detections.detected(p, now, self.dead_votes[p as usize], live);
            }
        } else if status == Status::Suspect && !self.up[p as usize] {
            self.detections.suspected(p, now);
        } else if status == Status::Suspect {
            self.false_suspicions += 1;
        } else if status == Status::Alive && self.up[p as usize] {
            let g = self.incarnation[p as usize];
            if let Some(r) = self.rejoins.iter_mut().rev().find(|r| r.0 == p && r.2 <= inc) {
                if r.3.is_none() && u64::from(self.alive_votes[p as usize]) + 1 >= live && inc >= g {
                    r.3 = Some(now);
                }
            }
        }
    }

    /// The verdict on `o`'s probe at the end of its period: unacknowledged, even
    /// through others, its target becomes a suspect.
    fn conclude_probe(&mut self, o: NodeId, now: u64, live: u64) {
        let probe = &mut self.probe[o as usize];
        probe.active = false;
        let (acked, target) = (probe.acked, probe.target);
        if self.up[target as usize] {
            self.live_probes += 1;
            self.live_probes_failed += u64::from(!acked);
        }
        if acked {
            return;
        }
        let v = self.view(o, target);
        if v.status == Status::Alive {
            self.set_status(o, target, Status::Suspect, v.incarnation, now, live);
            self.gossip(o, (target, Status::Suspect, v.incarnation));
        }
    }

    fn learn_all(&mut self, from: NodeId, updates: &[Update], cx: &mut Ctx<'_, SwimMsg>) {
        // A message from an unknown node introduces it.
        let o = cx.node;
        if self.view(o, from).status == Status::Unknown {
            self.learn((from, Status::Alive, 0), cx);
        }
        for &u in updates {
            self.learn(u, cx);
        }
    }

    fn members(&self, o: NodeId, except: NodeId) -> Vec<NodeId> {
        (0..self.cap as NodeId)
            .filter(|&p| p != o && p != except && matches!(self.view(o, p).status, Status::Alive | Status::Suspect))
            .collect()
    }

    /// Status of p as o sees it.
    pub fn belief(&self, o: NodeId, p: NodeId) -> (Status, u32) {
        let v = self.view(o, p);
        (v.status, v.incarnation)
    }
}

impl Protocol for Swim {
    fn retune(&mut self, s: &Scenario) {
        self.indirect = s.indirect_probes;
        self.ack_timeout_us = u64::from(s.ack_timeout_ms) * 1000;
        self.suspicion_us = u64::from(s.suspicion_ms) * 1000;
        self.interval_us = u64::from(s.interval_ms) * 1000;
        self.retransmit = (s.lambda * (f64::from(s.nodes) + 1.0).log2()).ceil().max(1.0) as u32;
    }
    type Msg = SwimMsg;
    type Hot = ();

    fn on_tick(&mut self, cx: &mut Ctx<'_, SwimMsg>) {
        let (o, now) = (cx.node, cx.now_us());
        // Suspects whose time is up are declared dead.
        for p in 0..self.cap as NodeId {
            let v = self.view(o, p);
            if p != o && v.status == Status::Suspect && now >= v.since_us + self.suspicion_us {
                self.set_status(o, p, Status::Dead, v.incarnation, now, cx.live());
                self.gossip(o, (p, Status::Dead, v.incarnation));
            }
        }
        let members = self.members(o, o);
        if members.is_empty() {
            // Alone: knock on a seed's door.
            if self.seeds > 0 {
                let s = rng::index(&mut cx.rng, self.seeds.min(self.cap as u32));
                if s != o {
                    let updates = self.piggyback(o);
                    cx.request(s, SwimMsg::Ping { seq: 0, updates });
                }
            }
            return;
        }
        // The last period's probe, if its verdict has not come yet: with jitter a period
        // can end before the timer set for just before its end.
        if self.probe[o as usize].active {
            self.conclude_probe(o, now, cx.live());
        }
        let target = members[rng::index(&mut cx.rng, members.len() as u32) as usize];
        self.next_seq[o as usize] += 1;
        let seq = self.next_seq[o as usize];
        self.probe[o as usize] = Probe { seq, target, acked: false, active: true };
        let mut updates = self.piggyback(o);
        // Lifeguard's buddy system: a ping to a suspect tells it so, even after that news
        // has left the piggyback buffers, so that a member that was cut off can refute.
        let v = self.view(o, target);
        if v.status == Status::Suspect && !updates.iter().any(|u| u.0 == target) {
            updates.truncate(self.room().saturating_sub(1));
            updates.insert(0, (target, Status::Suspect, v.incarnation));
        }
        cx.request(target, SwimMsg::Ping { seq, updates });
        cx.schedule(self.ack_timeout_us, T_ACK | (u64::from(seq) << 8));
        // Just before the next period: the probe's verdict.
        cx.schedule(self.interval_us.saturating_sub(1).max(1), T_PERIOD | (u64::from(seq) << 8));
    }

    fn on_timer(&mut self, token: u64, cx: &mut Ctx<'_, SwimMsg>) {
        let o = cx.node;
        let seq = (token >> 8) as u32;
        let probe = self.probe[o as usize];
        if !probe.active || probe.seq != seq || probe.acked {
            return;
        }
        match token & 0xff {
            T_ACK => {
                let helpers = self.members(o, probe.target);
                let k = (self.indirect as usize).min(helpers.len());
                let mut pool = helpers;
                for _ in 0..k {
                    let i = rng::index(&mut cx.rng, pool.len() as u32) as usize;
                    let h = pool.swap_remove(i);
                    let updates = self.piggyback(o);
                    cx.request(h, SwimMsg::PingReq { seq, target: probe.target, updates });
                }
            }
            _ => self.conclude_probe(o, cx.now_us(), cx.live()),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: SwimMsg, cx: &mut Ctx<'_, SwimMsg>) {
        let o = cx.node;
        match msg {
            SwimMsg::Ping { seq, updates } => {
                self.learn_all(from, &updates, cx);
                let updates = self.piggyback(o);
                cx.reply(from, SwimMsg::Ack { seq, updates });
            }
            SwimMsg::Ack { seq, updates } => {
                self.learn_all(from, &updates, cx);
                let p = &mut self.probe[o as usize];
                if p.active && p.seq == seq && p.target == from {
                    p.acked = true;
                }
            }
            SwimMsg::PingReq { seq, target, updates } => {
                self.learn_all(from, &updates, cx);
                let updates = self.piggyback(o);
                cx.request(target, SwimMsg::RelayPing { seq, requester: from, updates });
            }
            SwimMsg::RelayPing { seq, requester, updates } => {
                self.learn_all(from, &updates, cx);
                let updates = self.piggyback(o);
                cx.reply(from, SwimMsg::RelayAck { seq, requester, target: o, updates });
            }
            SwimMsg::RelayAck { seq, requester, target, updates } => {
                self.learn_all(from, &updates, cx);
                if requester == o {
                    let p = &mut self.probe[o as usize];
                    if p.active && p.seq == seq && p.target == target {
                        p.acked = true;
                    }
                } else {
                    let updates = self.piggyback(o);
                    cx.reply(requester, SwimMsg::RelayAck { seq, requester, target, updates });
                }
            }
        }
    }

    fn on_crash(&mut self, node: NodeId, now_us: u64, _hot: &mut ()) {
        self.count_observer(node, -1);
        self.recount_peer(node, |w| w.up[node as usize] = false);
        self.probe[node as usize].active = false;
        self.buffer[node as usize].clear();
        self.detections.crashed(node, now_us);
        self.false_positives.crashed(node, now_us);
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, SwimMsg>) {
        let n = cx.node;
        let fresh = self.view(n, n).status == Status::Unknown;
        let inc = if fresh { 0 } else { self.incarnation[n as usize] + 1 };
        self.recount_peer(n, |w| {
            w.up[n as usize] = true;
            w.incarnation[n as usize] = inc;
        });
        // A fresh table: itself, and the seeds to join through.
        let alive = |inc| View { status: Status::Alive, incarnation: inc, since_us: 0 };
        let mut known: Vec<(usize, View)> =
            (0..self.seeds.min(self.cap as u32)).filter(|&s| s != n).map(|s| (s as usize, alive(0))).collect();
        known.push((n as usize, alive(inc)));
        self.views.reset_row(n as usize, UNKNOWN, &known);
        self.count_observer(n, 1);
        self.gossip(n, (n, Status::Alive, inc));
        if !fresh {
            self.rejoins.push((n, cx.now_us(), inc, None));
        }
    }

    fn wire_size(&self, msg: &SwimMsg) -> u32 {
        let (fixed, updates) = match msg {
            SwimMsg::Ping { updates, .. } | SwimMsg::Ack { updates, .. } => (0, updates.len()),
            SwimMsg::PingReq { updates, .. } | SwimMsg::RelayPing { updates, .. } => (4, updates.len()),
            SwimMsg::RelayAck { updates, .. } => (8, updates.len()),
        };
        IP_UDP_HEADER + HEADER + fixed + 2 + UPDATE * updates as u32
    }

    fn msg_kind(&self, msg: &SwimMsg) -> &'static str {
        match msg {
            SwimMsg::Ping { .. } => "ping",
            SwimMsg::Ack { .. } => "ack",
            SwimMsg::PingReq { .. } => "ping-req",
            SwimMsg::RelayPing { .. } => "relay-ping",
            SwimMsg::RelayAck { .. } => "relay-ack",
        }
    }

    fn node_state(&self, node: NodeId, _hot: &()) -> NodeState {
        let n = node as usize;
        let state = crate::protocol::majority_state(self.alive_votes[n], self.dead_votes[n]);
        if state == NodeState::Removed && 2 * self.suspect_votes[n] > self.alive_votes[n] {
            NodeState::Suspected
        } else {
            state
        }
    }

    fn down_state(&self, node: NodeId) -> NodeState {
        crate::protocol::crashed_state(self.alive_votes[node as usize], self.dead_votes[node as usize])
    }

    fn describe(&self, node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
        let word = |s: Status| match s {
            Status::Unknown => "?",
            Status::Alive => "alive",
            Status::Suspect => "suspect",
            Status::Dead => "dead",
        };
        let table: Vec<String> = (0..self.cap as NodeId)
            .filter(|&p| p != node && self.view(node, p).status != Status::Unknown)
            .filter(|&p| self.view(node, p).status != Status::Alive)
            .take(12)
            .map(|p| {
                let v = self.view(node, p);
                format!("{p}: {} i{}", word(v.status), v.incarnation)
            })
            .collect();
        vec![
            ("incarnation", self.incarnation[node as usize].to_string()),
            ("seen alive by", format!("{} live nodes", self.alive_votes[node as usize])),
            ("seen dead by", format!("{} live nodes", self.dead_votes[node as usize])),
            ("suspected by", format!("{} live nodes", self.suspect_votes[node as usize])),
            ("updates to piggyback", self.buffer[node as usize].len().to_string()),
            ("membership (not alive)", if table.is_empty() { "all alive".into() } else { table.join("; ") }),
        ]
    }

    fn progress(&self) -> Progress {
        Progress { covered: self.agree, injected: (self.cap as u64).saturating_sub(1), ..Progress::default() }
    }

    fn detections(&self) -> Option<&crate::protocol::DelayHistogram> {
        Some(self.detections.delays())
    }

    fn extra(&self, _live: u64, now_us: u64, _hot: crate::protocol::Hots<'_, ()>) -> Vec<(&'static str, Option<f64>)> {
        let [fp, fp_s] = self.false_positives.figures(now_us);
        let ms = |us: u64| us as f64 / 1000.0;
        let mean = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
        let (first, all) = self.detections.first_and_all_ms();
        vec![
            ("suspect_first_ms", self.detections.first_suspicion_ms()),
            ("detect_first_ms", first),
            ("detect_all_ms", all),
            ("rejoin_all_ms", mean(self.rejoins.iter().filter_map(|r| r.3.map(|t| ms(t - r.1))).collect())),
            fp,
            fp_s,
            ("false_suspicions", Some(self.false_suspicions as f64)),
            ("refutations", Some(self.refutations as f64)),
            (
                "probe_failure_rate",
                (self.live_probes > 0).then(|| self.live_probes_failed as f64 / self.live_probes as f64),
            ),
        ]
    }

    fn done(&self, _live: u64) -> bool {
        false
    }
}
