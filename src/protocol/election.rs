//! Leader election over gossiped membership, with terms.
//!
//! Scuttlebutt membership (see `membership`) runs underneath unchanged; every
//! one of its messages also carries the sender's leadership claim (term, leader),
//! 8 bytes. The rules:
//! - a node votes for the lowest id it believes alive (itself included);
//! - a node whose vote is itself, and whose current claim names another, claims
//!   leadership with the next term: (highest term it knows + 1, itself);
//! - a claim with a higher term replaces the receiver's, whoever it names;
//! - a node's leader is its claim's, while it believes that node alive; else it
//!   has none until a claim it can believe arrives.
//! - a leader that comes to believe a lower id is alive steps down (its claim
//!   now names its vote); the lower id claims a higher term, which replaces it.
//!
//! Terms fence stale leaders: a leader cut off by a partition keeps its old
//! term, and on the heal a higher term replaces it everywhere.
//!
//! The simplification, against Consul or etcd: the leader is whoever membership
//! says is the lowest live id, with no quorum. A partition therefore elects a
//! leader on each side (split brain) until it heals; a real system adds a
//! majority vote (Raft) so that only the side with a quorum elects. The
//! simulator measures the split-brain time this costs (`split_brain_ms`) and
//! the time from a leader's crash until every live node follows the new leader
//! (`elect_all_ms`).

use crate::metrics::UpdateStats;
use crate::protocol::membership::{MemberMsg, Membership, Status};
use crate::protocol::{Ctx, NodeId, NodeState, Outgoing, Progress, Protocol};
use crate::scenario::Scenario;

/// Election's figures: leaders, terms, and the time without one leader.
pub const FIGURES: &[crate::metrics::FigureSpec] = {
    use crate::metrics::{FigureSpec, Shown};
    &[
        FigureSpec::new(
            "leaders",
            "leaders now",
            Shown::Count,
            "Live nodes that believe they lead; 1 when the election has settled.",
        ),
        FigureSpec::new("max_term", "highest term", Shown::Count, "The highest election term any node has seen."),
        FigureSpec::new(
            "elect_all_ms",
            "to elect after a crash",
            Shown::Ms,
            "From a leader's crash until every live node follows one new leader.",
        ),
        FigureSpec::new(
            "split_brain_ms",
            "split brain",
            Shown::Ms,
            "Time with two or more leaders at once (during a partition).",
        ),
    ]
};

/// A claim on the wire: term (4), leader (4).
const CLAIM_BYTES: u32 = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectMsg {
    pub inner: MemberMsg,
    pub term: u32,
    pub leader: NodeId,
}

const NONE: NodeId = NodeId::MAX;

#[derive(Clone)]
pub struct Election {
    m: Membership,
    /// Per node: its claim (term, leader).
    claim: Vec<(u32, NodeId)>,
    up: Vec<bool>,
    /// Live nodes whose claim names themselves, and since when that count stands.
    self_leaders: u32,
    changed_us: u64,
    split_brain_us: u64,
    /// Leader crashes: (at, all live follow the new leader at).
    crashes: Vec<(u64, Option<u64>)>,
    /// Live nodes following the true leader at the last check.
    agree: u64,
    /// Scratch for the wrapped protocol's messages.
    scratch: Vec<Outgoing<MemberMsg>>,
    max_term: u32,
    /// The latest time seen, to count a split that still stands at the end.
    now_us: u64,
}

impl Election {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let mut up = vec![false; cap];
        up[..s.nodes as usize].fill(true);
        Election {
            m: Membership::new(s),
            claim: vec![(0, NONE); cap],
            up,
            self_leaders: 0,
            changed_us: 0,
            split_brain_us: 0,
            crashes: Vec::new(),
            agree: 0,
            scratch: Vec::new(),
            max_term: 0,
            now_us: 0,
        }
    }

    /// The lowest id `o` believes alive.
    pub fn vote(&self, o: NodeId) -> NodeId {
        (0..self.m.capacity() as NodeId).find(|&p| p == o || self.m.status(o, p) == Status::Alive).unwrap_or(o)
    }

    /// The leader `o` follows, if it believes its claim's leader alive.
    pub fn leader(&self, o: NodeId) -> Option<NodeId> {
        let (_, l) = self.claim[o as usize];
        (l != NONE && (l == o || self.m.status(o, l) == Status::Alive)).then_some(l)
    }

    /// The lowest live id: the leader everybody should follow.
    fn true_leader(&self) -> Option<NodeId> {
        self.up.iter().position(|&u| u).map(|p| p as NodeId)
    }

    fn set_claim(&mut self, o: NodeId, claim: (u32, NodeId), now_us: u64) {
        let was = self.claim[o as usize].1 == o;
        self.claim[o as usize] = claim;
        self.max_term = self.max_term.max(claim.0);
        let is = claim.1 == o;
        if was != is && self.up[o as usize] {
            self.tally(now_us);
            if is {
                self.self_leaders += 1;
            } else {
                self.self_leaders -= 1;
            }
        }
    }

    /// Close the interval since the last change of the leader count.
    fn tally(&mut self, now_us: u64) {
        if self.self_leaders >= 2 {
            self.split_brain_us += now_us.saturating_sub(self.changed_us);
        }
        self.changed_us = now_us;
    }

    /// Apply the voting rule at `o`.
    fn decide(&mut self, o: NodeId, now_us: u64) {
        let vote = self.vote(o);
        let (term, leader) = self.claim[o as usize];
        if vote == o && leader != o {
            // Its claim holds the highest term it has heard: a higher one replaces a claim.
            self.set_claim(o, (term + 1, o), now_us);
        } else if vote != o && leader == o {
            self.set_claim(o, (term, vote), now_us);
        }
    }

    fn check_agreement(&mut self, now_us: u64) {
        let Some(l) = self.true_leader() else { return };
        let follows =
            (0..self.up.len() as NodeId).filter(|&o| self.up[o as usize] && self.leader(o) == Some(l)).count();
        self.agree = follows as u64;
        let live = self.up.iter().filter(|&&u| u).count();
        if follows == live && self.claim[l as usize].1 == l {
            for c in self.crashes.iter_mut().filter(|c| c.1.is_none()) {
                c.1 = Some(now_us);
            }
        }
    }

    /// Run a membership callback at the node of `cx`; its messages wait in
    /// `scratch` until `wrap_out` sends them with the node's claim.
    fn membership<R>(
        &mut self,
        cx: &mut Ctx<'_, ElectMsg>,
        f: impl FnOnce(&mut Membership, &mut Ctx<'_, MemberMsg>) -> R,
    ) -> R {
        let mut out = std::mem::take(&mut self.scratch);
        let r = cx.nested(&mut out, |inner| f(&mut self.m, inner));
        self.scratch = out;
        r
    }

    /// Send what the wrapped membership queued, each with this node's claim.
    fn wrap_out(&mut self, cx: &mut Ctx<'_, ElectMsg>) {
        let (term, leader) = self.claim[cx.node as usize];
        for o in self.scratch.drain(..) {
            cx.push(Outgoing {
                from: o.from,
                to: o.to,
                msg: ElectMsg { inner: o.msg, term, leader },
                delivery: o.delivery,
            });
        }
    }

    fn elect_all_ms(&self) -> Option<f64> {
        let xs: Vec<f64> = self.crashes.iter().filter_map(|c| c.1.map(|t| (t - c.0) as f64 / 1000.0)).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

impl Protocol for Election {
    fn retune(&mut self, s: &Scenario) {
        self.m.retune(s);
    }
    type Msg = ElectMsg;
    type Hot = ();

    fn on_tick(&mut self, cx: &mut Ctx<'_, ElectMsg>) {
        self.now_us = self.now_us.max(cx.now_us());
        self.membership(cx, |m, inner| m.on_tick(inner));
        self.decide(cx.node, cx.now_us());
        self.wrap_out(cx);
        self.check_agreement(cx.now_us());
    }

    fn on_message(&mut self, from: NodeId, msg: ElectMsg, cx: &mut Ctx<'_, ElectMsg>) {
        let o = cx.node;
        self.membership(cx, |m, inner| m.on_message(from, msg.inner, inner));
        if msg.term > self.claim[o as usize].0 {
            self.set_claim(o, (msg.term, msg.leader), cx.now_us());
        }
        self.wrap_out(cx);
    }

    fn on_write(&mut self, cx: &mut Ctx<'_, ElectMsg>, key: Option<u16>, delete: bool) -> bool {
        let ok = self.membership(cx, |m, inner| m.on_write(inner, key, delete));
        self.wrap_out(cx);
        ok
    }

    fn on_crash(&mut self, node: NodeId, now_us: u64, hot: &mut ()) {
        self.m.on_crash(node, now_us, hot);
        let leading = self.claim[node as usize].1 == node;
        self.tally(now_us);
        if leading {
            self.self_leaders -= 1;
        }
        self.up[node as usize] = false;
        // The crash of a node that leads itself, or that the live nodes follow, opens an election.
        let followed = (0..self.up.len() as NodeId).any(|o| self.up[o as usize] && self.leader(o) == Some(node));
        if leading || followed {
            self.crashes.push((now_us, None));
        }
        // Its claim is volatile: a restart begins with none.
        self.claim[node as usize] = (0, NONE);
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, ElectMsg>) {
        self.membership(cx, |m, inner| m.on_restart(inner));
        self.up[cx.node as usize] = true;
        self.wrap_out(cx);
    }

    fn detections(&self) -> Option<&crate::protocol::DelayHistogram> {
        self.m.detections()
    }

    fn on_sample(&mut self, round: u32, hot: crate::protocol::Hots<'_, ()>) {
        self.m.on_sample(round, hot);
    }

    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        self.m.series()
    }

    fn event_log(&self, node: NodeId) -> Vec<String> {
        self.m.event_log(node)
    }

    fn extra(&self, live: u64, now_us: u64, _hot: crate::protocol::Hots<'_, ()>) -> Vec<(&'static str, Option<f64>)> {
        let mut out = self.m.extra(live, now_us, _hot);
        // A split that still stands counts up to the newest tick seen.
        let standing = if self.self_leaders >= 2 { self.now_us.saturating_sub(self.changed_us) } else { 0 };
        out.extend([
            ("elect_all_ms", self.elect_all_ms()),
            ("leader_crashes", Some(self.crashes.len() as f64)),
            ("split_brain_ms", Some((self.split_brain_us + standing) as f64 / 1000.0)),
            ("leaders", Some(f64::from(self.self_leaders))),
            ("max_term", Some(f64::from(self.max_term))),
        ]);
        out
    }

    fn updates(&self, live: u64) -> Vec<UpdateStats> {
        self.m.updates(live)
    }

    fn wire_size(&self, msg: &ElectMsg) -> u32 {
        self.m.wire_size(&msg.inner) + CLAIM_BYTES
    }

    fn msg_kind(&self, msg: &ElectMsg) -> &'static str {
        self.m.msg_kind(&msg.inner)
    }

    /// A leader (in its own claim) is drawn spreading; a node that follows the lowest live id, removed.
    fn node_state(&self, node: NodeId, _hot: &()) -> NodeState {
        if self.claim[node as usize].1 == node {
            NodeState::Infective
        } else if self.leader(node).is_some() && self.leader(node) == self.true_leader() {
            NodeState::Removed
        } else {
            NodeState::Susceptible
        }
    }

    fn down_state(&self, node: NodeId) -> NodeState {
        self.m.down_state(node)
    }

    fn describe(&self, node: NodeId, _hot: &()) -> Vec<(&'static str, String)> {
        let (term, leader) = self.claim[node as usize];
        let mut rows = vec![
            ("votes for", self.vote(node).to_string()),
            ("claim", if leader == NONE { "none".into() } else { format!("term {term}, leader {leader}") }),
            ("follows", self.leader(node).map_or("nobody (election under way)".into(), |l| l.to_string())),
        ];
        rows.extend(self.m.describe(node, &()));
        rows
    }

    fn progress(&self) -> Progress {
        Progress { covered: self.agree, injected: 1, ..Progress::default() }
    }

    fn done(&self, _live: u64) -> bool {
        false
    }
}
