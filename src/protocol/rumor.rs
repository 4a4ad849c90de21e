//! Rumor mongering (Demers et al., 1987; Karp et al., 2000): one update
//! spreads from an origin by push, pull or push-pull, with a stop rule that
//! decides when a node loses interest.
//!
//! Exchanges:
//! - push, stop rule blind or never: `Push` (one-way);
//! - push with a feedback rule, and push-pull from a node that has it: `Offer`, answered by `Ack { knew }`;
//! - pull, and push-pull from a node that lacks it: `Pull`, answered by `Give` or `Nothing`.

use crate::protocol::{Ctx, EventKind, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{Scenario, Spread, StopRule};
use crate::sim::rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RumorMsg {
    /// The update, one-way.
    Push,
    /// The update, asking whether the receiver already knew it.
    Offer,
    /// Answer to an `Offer`.
    Ack { knew: bool },
    /// A request for the update.
    Pull,
    /// Answer to a `Pull`, carrying the update.
    Give,
    /// Answer to a `Pull` from a node that has nothing to give.
    Nothing,
}

/// Gossip header: message type (1), flags (1), sender id (4), rumor id (8), sequence (4).
const GOSSIP_HEADER: u32 = 18;

const NEVER: u64 = u64::MAX;

#[derive(Clone, Copy, Debug)]
struct RumorNode {
    /// When the node received the update (virtual us), NEVER if it has not.
    informed_at: u64,
    /// Contacts (counter rules) or rounds spent spreading (rounds rule).
    counter: u32,
    /// Still spreading.
    active: bool,
}

pub struct Rumor {
    spread: Spread,
    fanout: u32,
    stop: StopRule,
    k: u32,
    payload_bytes: u32,
    /// Per-node state, one 16-byte slot each: a contact touches one cache line.
    nodes: Vec<RumorNode>,
    covered: u64,
    active_live: u64,
    update_msgs: u64,
    delivered_sum_us: u64,
    delivered_max_us: u64,
    delivered: u64,
}

impl Rumor {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let mut r = Rumor {
            spread: s.spread,
            fanout: s.fanout,
            stop: s.stop,
            k: s.k,
            payload_bytes: s.payload_bytes,
            nodes: crate::sim::mem::big_vec(cap, RumorNode { informed_at: NEVER, counter: 0, active: false }),
            covered: 0,
            active_live: 0,
            update_msgs: 0,
            delivered_sum_us: 0,
            delivered_max_us: 0,
            delivered: 0,
        };
        let o = s.origin as usize;
        r.nodes[o].informed_at = 0;
        r.nodes[o].active = true;
        r.covered = 1;
        r.active_live = 1;
        r
    }

    pub fn informed_at(&self, n: NodeId) -> Option<u64> {
        let t = self.nodes[n as usize].informed_at;
        (t != NEVER).then_some(t)
    }

    fn knows(&self, n: NodeId) -> bool {
        self.nodes[n as usize].informed_at != NEVER
    }

    /// Can `n` pass the update on right now?
    fn spreading<M>(&self, n: NodeId, cx: &Ctx<'_, M>) -> bool {
        self.nodes[n as usize].active && cx.can_act_on(self.nodes[n as usize].informed_at)
    }

    fn learn(&mut self, cx: &mut Ctx<'_, RumorMsg>) {
        let n = cx.node as usize;
        self.nodes[n].informed_at = cx.now_us;
        self.nodes[n].active = true;
        self.nodes[n].counter = 0;
        self.covered += 1;
        self.active_live += 1;
        self.delivered += 1;
        self.delivered_sum_us += cx.now_us;
        self.delivered_max_us = self.delivered_max_us.max(cx.now_us);
        cx.emit(EventKind::Informed);
    }

    fn deactivate(&mut self, cx: &mut Ctx<'_, RumorMsg>) {
        let n = cx.node as usize;
        if self.nodes[n].active {
            self.nodes[n].active = false;
            self.active_live -= 1;
            cx.emit(EventKind::Stopped);
        }
    }

    /// Apply the stop rule after a contact; `knew` is the feedback (false for blind rules' purposes).
    fn after_contact(&mut self, knew: bool, cx: &mut Ctx<'_, RumorMsg>) {
        let n = cx.node as usize;
        let k = self.k;
        let stop = match self.stop {
            StopRule::Never | StopRule::Rounds => false,
            StopRule::FeedbackCounter => {
                if knew {
                    self.nodes[n].counter += 1;
                }
                self.nodes[n].counter >= k
            }
            StopRule::FeedbackCoin => knew && rng::chance(&mut cx.rng, 1.0 / f64::from(k)),
            StopRule::BlindCounter => {
                self.nodes[n].counter += 1;
                self.nodes[n].counter >= k
            }
            StopRule::BlindCoin => rng::chance(&mut cx.rng, 1.0 / f64::from(k)),
        };
        if stop {
            self.deactivate(cx);
        }
    }

    fn feedback(&self) -> bool {
        matches!(self.stop, StopRule::FeedbackCounter | StopRule::FeedbackCoin)
    }
}

impl Protocol for Rumor {
    type Msg = RumorMsg;

    fn on_tick(&mut self, cx: &mut Ctx<'_, RumorMsg>) {
        let n = cx.node;
        let has = self.knows(n);
        if has && !self.spreading(n, cx) {
            return; // removed, or learned it this round
        }
        match (self.spread, has) {
            (Spread::Pull, true) => return, // pull: holders wait to be asked
            (Spread::Push, false) => return,
            _ => {}
        }
        for _ in 0..self.fanout {
            let Some(peer) = cx.peer() else { break };
            if !has {
                cx.request(peer, RumorMsg::Pull);
                continue;
            }
            self.update_msgs += 1;
            if self.spread == Spread::PushPull || self.feedback() {
                cx.request(peer, RumorMsg::Offer);
            } else {
                cx.send(peer, RumorMsg::Push);
                self.after_contact(false, cx);
            }
            if !self.nodes[n as usize].active {
                break;
            }
        }
        if has && self.stop == StopRule::Rounds && self.nodes[n as usize].active {
            self.nodes[n as usize].counter += 1;
            if self.nodes[n as usize].counter >= self.k {
                self.deactivate(cx);
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: RumorMsg, cx: &mut Ctx<'_, RumorMsg>) {
        let n = cx.node;
        match msg {
            RumorMsg::Push | RumorMsg::Give => {
                if !self.knows(n) {
                    self.learn(cx);
                }
            }
            RumorMsg::Offer => {
                let knew = self.knows(n);
                if !knew {
                    self.learn(cx);
                }
                cx.reply(from, RumorMsg::Ack { knew });
            }
            RumorMsg::Ack { knew } => {
                // Blind rules count every contact; feedback rules only those with nodes that knew.
                if self.nodes[n as usize].active {
                    self.after_contact(knew, cx);
                }
            }
            RumorMsg::Pull => {
                if self.knows(n) && self.spreading(n, cx) {
                    self.update_msgs += 1;
                    cx.reply(from, RumorMsg::Give);
                    // The requester lacked it: feedback rules see a useful contact.
                    self.after_contact(false, cx);
                } else {
                    cx.reply(from, RumorMsg::Nothing);
                }
            }
            RumorMsg::Nothing => {}
        }
    }

    fn on_crash(&mut self, node: NodeId) {
        let n = node as usize;
        if self.nodes[n].informed_at != NEVER {
            self.covered -= 1;
        }
        if self.nodes[n].active {
            self.active_live -= 1;
        }
        self.nodes[n].informed_at = NEVER;
        self.nodes[n].active = false;
        self.nodes[n].counter = 0;
    }

    fn on_restart(&mut self, _cx: &mut Ctx<'_, RumorMsg>) {
        // A restarted node has lost the update with the rest of its memory.
    }

    fn wire_size(&self, msg: &RumorMsg) -> u32 {
        let base = IP_UDP_HEADER + GOSSIP_HEADER;
        match msg {
            RumorMsg::Push | RumorMsg::Offer | RumorMsg::Give => base + self.payload_bytes,
            RumorMsg::Ack { .. } | RumorMsg::Pull | RumorMsg::Nothing => base,
        }
    }

    fn msg_kind(&self, msg: &RumorMsg) -> &'static str {
        match msg {
            RumorMsg::Push => "push",
            RumorMsg::Offer => "offer",
            RumorMsg::Ack { .. } => "ack",
            RumorMsg::Pull => "pull",
            RumorMsg::Give => "give",
            RumorMsg::Nothing => "nothing",
        }
    }

    fn node_state(&self, node: NodeId) -> NodeState {
        let n = node as usize;
        if self.nodes[n].informed_at == NEVER {
            NodeState::Susceptible
        } else if self.nodes[n].active {
            NodeState::Infective
        } else {
            NodeState::Removed
        }
    }

    fn prefetch(&self, node: NodeId) {
        crate::sim::mem::prefetch(self.nodes.as_ptr().wrapping_add(node as usize));
    }

    fn describe(&self, node: NodeId) -> Vec<(&'static str, String)> {
        let n = &self.nodes[node as usize];
        let informed = if n.informed_at == NEVER {
            "not yet".to_string()
        } else if n.informed_at == 0 {
            "at the start (origin)".to_string()
        } else {
            format!("{:.1} ms", n.informed_at as f64 / 1000.0)
        };
        let counter = match self.stop {
            StopRule::Rounds => "rounds spreading",
            StopRule::Never => "contacts",
            _ => "contacts counted",
        };
        vec![
            ("rumor", informed),
            ("spreading", if n.active { "yes" } else { "no" }.to_string()),
            (counter, n.counter.to_string()),
        ]
    }

    fn progress(&self) -> Progress {
        Progress {
            covered: self.covered,
            active: self.active_live,
            update_msgs: self.update_msgs,
            delivered_sum_us: self.delivered_sum_us,
            delivered_max_us: self.delivered_max_us,
            delivered: self.delivered,
        }
    }

    fn done(&self, live: u64) -> bool {
        let all = self.covered >= live;
        // Nobody can spread any more; or everyone has it and no rule is left to run
        // (never stops by itself; in pull, holders only answer and nobody asks).
        self.active_live == 0 || (all && (self.stop == StopRule::Never || self.spread == Spread::Pull))
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
