//! Gossip aggregation: every node ends up with an estimate of an aggregate of
//! all the nodes' local values (Kempe, Dobra and Gehrke, 2003; Jelasity,
//! Montresor and Babaoglu, 2005).
//!
//! Every node holds a pair (s, w) and estimates s / w. The function picks the
//! starting pair; the exchange decides how pairs mix:
//! - `avg`: s = value, w = 1, so the estimate is the mean of the values;
//! - `sum`: s = value, w = 1 at one node (the origin) and 0 elsewhere, so s / w
//!   tends to (mean value) / (1 / n), the sum;
//! - `count`: s = 1, w = 1 at the origin only: s / w tends to n;
//! - `min`, `max`: s = value; an exchange keeps the extreme (no mass to conserve).
//!
//! - `exchange=push-pull`: pairwise averaging. A node sends its pair to a random
//!   peer, which answers with its own; both take the mean. An exchange is
//!   atomic: a node with `fanout` exchanges per tick runs them one after
//!   another, each opened with the pair the last one left (sending the same
//!   pair to several peers at once and averaging in every answer counts the
//!   node's own mass several times). In `timing=rounds` exchanges complete at
//!   once and initiators go in a random order, the setting of Jelasity et al.,
//!   where the variance of the estimates falls by a factor 1/(2 sqrt e) ~ 0.303
//!   per round (fanout 1); a lost message ends the node's exchanges for the
//!   round (it would wait out a timeout). In `timing=timed` a node awaiting an
//!   answer refuses other exchanges (`Busy`) rather than mix with them, and
//!   gives up after `exchange_timeout_us`; a late answer is ignored.
//! - `exchange=push-sum`: a node keeps 1/(fanout + 1) of its pair and pushes an
//!   equal share to each of `fanout` random peers.
//!
//! Mass conservation is what makes the estimates right: the sums of s and of w
//! over the nodes never change. A lost reply of a push-pull exchange (one side
//! averaged, the other did not), a lost push-sum share, and a crash (its mass
//! leaves with it) all break it, and the estimates converge to a biased value.
//! `epoch_rounds` restarts every node from its local value every so many rounds,
//! as real systems do: the bias of an epoch is shed at the next, at the cost of
//! converging again. Messages carry their epoch; a node that hears a newer
//! epoch restarts at once, and messages of an older epoch are ignored.

use crate::protocol::{Ctx, Hots, NodeId, NodeState, Progress, Protocol, IP_UDP_HEADER};
use crate::scenario::{AggFunction, Exchange, Scenario, ValueDist};
use crate::sim::rng;

/// Aggregation's figures: the truth, the estimates, and how fast they close in.
pub const FIGURES: &[crate::metrics::FigureSpec] = {
    use crate::metrics::{FigureSpec, Shown};
    &[
        FigureSpec::new("truth", "true value", Shown::Decimals(4), "The aggregate computed directly over every live node's value."),
        FigureSpec::new("estimate_mean", "mean estimate", Shown::Decimals(4), "The mean of the nodes' current estimates (s / w)."),
        FigureSpec::new(
            "rounds_to_error",
            "rounds to target",
            Shown::Count,
            "Rounds until every live node's estimate was within the target error.",
        ),
        FigureSpec {
            key: "variance_ratio",
            label: "variance × per round",
            about: "How much the variance of the estimates shrinks per round (geometric mean); theory: 1/(2√e) for push-pull at fanout 1.",
            shown: Shown::Decimals(3),
            theory: Some("variance_ratio_theory"),
        },
    ]
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AggMsg {
    /// A push-pull exchange opens with the initiator's pair; `seq` names the exchange.
    Pair { s: f64, w: f64, epoch: u32, seq: u32 },
    /// The responder's pair, from before it averaged.
    Reply { s: f64, w: f64, epoch: u32, seq: u32 },
    /// The responder is in an exchange of its own (timed only): nothing was mixed.
    Busy { seq: u32 },
    /// A push-sum share.
    Share { s: f64, w: f64, epoch: u32 },
}

/// Header: type (1), flags (1), sender (4), sequence (4).
const HEADER: u32 = 10 + IP_UDP_HEADER;
/// A pair: the header, s and w (8 each) and the epoch (4).
const WIRE: u32 = HEADER + 16 + 4;

/// How long a node in `timing=timed` waits for the answer to an exchange before
/// it gives up and opens the next: four one-way latencies of the slowest kind
/// (a round trip with room for the tail of an exponential or log-normal
/// latency, or a held-back message), plus two retransmission timeouts over TCP;
/// at least 1 ms, at most one interval.
pub fn exchange_timeout_us(s: &Scenario) -> u64 {
    let mut ms = 4.0 * s.latency_ms_max;
    if s.transport == crate::scenario::Transport::Tcp {
        ms += 2.0 * f64::from(s.tcp_rto_ms);
    }
    ((ms * 1000.0) as u64).clamp(1000, u64::from(s.interval_ms) * 1000)
}

/// Rounds of variance history kept for the series (the page draws them; the CLI prints them).
const HISTORY_MAX: usize = 100_000;

/// The variance-reduction factor per round of push-pull averaging with a random
/// peer and atomic exchanges in random order: 1 / (2 sqrt e) (Jelasity et al. 2005).
pub fn push_pull_rate() -> f64 {
    1.0 / (2.0 * std::f64::consts::E.sqrt())
}

/// The expected variance ratio per round of a scenario's aggregation, where
/// theory gives one: push-pull averaging (not of extremes) with fanout 1,
/// 1/(2 sqrt e). With a larger fanout a node's exchanges in one round are
/// correlated (it brings the mean of its last exchange to the next), and the
/// independent-exchange value (1/(2 sqrt e))^fanout is far too optimistic, so
/// none is claimed. The protocol reports it and the page draws it.
pub fn theory_rate(s: &Scenario) -> Option<f64> {
    let mixes = !matches!(s.function, AggFunction::Min | AggFunction::Max);
    (s.protocol == crate::scenario::ProtocolKind::Aggregate
        && mixes
        && s.exchange == Exchange::PushPull
        && s.fanout == 1)
        .then(push_pull_rate)
}

/// A node's local value under the scenario's distribution.
pub fn local_value(dist: ValueDist, seed: u64, origin: NodeId, nodes: u32, node: NodeId) -> f64 {
    match dist {
        ValueDist::Uniform => {
            let bits = rng::mix64(rng::derive(seed, 0xa66) ^ u64::from(node)) >> 11;
            100.0 * bits as f64 / (1u64 << 53) as f64
        }
        ValueDist::Linear => f64::from(node),
        ValueDist::Peak => {
            if node == origin {
                f64::from(nodes)
            } else {
                0.0
            }
        }
    }
}

/// One node's hot state, kept in the engine's node slot: its pair, its epoch
/// and the exchange it is in. An exchange then touches one cache line per node.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hot {
    s: f64,
    w: f64,
    epoch: u32,
    /// The number of the node's latest exchange (the answer must carry it).
    seq: u32,
    /// Exchanges still to open in this tick after the pending one.
    left: u32,
    /// Whether the exchange `seq` awaits its answer.
    pending: bool,
}

#[derive(Clone)]
pub struct Aggregate {
    function: AggFunction,
    exchange: Exchange,
    /// The predicted variance ratio per round, if theory gives one.
    theory: Option<f64>,
    fanout: u32,
    target_error: f64,
    epoch_rounds: u32,
    origin: NodeId,
    /// Local values (the inputs), by id.
    values: Vec<f64>,
    /// Per node: whether it is up.
    up: Vec<bool>,
    /// Malicious nodes swallow what they receive and never answer.
    malicious: std::ops::Range<NodeId>,
    /// Messages of an older epoch that were ignored.
    stale: u64,
    /// Timed only: the answer awaited (`exchange_timeout_us`), and the exchanges given up,
    /// refused as busy, and answered too late.
    timeout_us: u64,
    timed: bool,
    timed_out: u64,
    refused: u64,
    late: u64,
    /// Sum over live nodes of their local values, and their count.
    live_value_sum: f64,
    live_min_max: Option<(f64, f64)>,
    live: u64,
    /// Per sample: variance of the estimates, mean relative error, fraction within target.
    variance: Vec<f64>,
    mean_error: Vec<f64>,
    within: Vec<f64>,
    /// The epoch at each sample: variance ratios across an epoch start are not a decay.
    epoch_at: Vec<u32>,
    /// Honest live nodes at the last sample (malicious nodes are not measured).
    honest_live: u64,
    /// The last sample's count of live nodes within the target error.
    within_now: u64,
    rounds_to_error: Option<u32>,
    /// The round of the last sample, for rounds_to_error.
    sampled_round: u32,
}

impl Aggregate {
    pub fn new(s: &Scenario) -> Self {
        let cap = s.capacity() as usize;
        let values: Vec<f64> = (0..cap as u32).map(|n| local_value(s.values, s.seed, s.origin, s.nodes, n)).collect();
        let mut a = Aggregate {
            function: s.function,
            exchange: s.exchange,
            // The live settings (`retune`, just below, sets them from the scenario).
            theory: None,
            fanout: 0,
            target_error: 0.0,
            timeout_us: 0,
            epoch_rounds: s.epoch_rounds,
            origin: s.origin,
            values,
            up: vec![false; cap],
            malicious: crate::protocol::malicious(s),
            stale: 0,
            timed: s.timing == crate::scenario::Timing::Timed,
            timed_out: 0,
            refused: 0,
            late: 0,
            live_value_sum: 0.0,
            live_min_max: None,
            live: 0,
            variance: Vec::new(),
            mean_error: Vec::new(),
            within: Vec::new(),
            epoch_at: Vec::new(),
            honest_live: 0,
            within_now: 0,
            rounds_to_error: None,
            sampled_round: 0,
        };
        a.retune(s);
        for n in 0..s.nodes {
            a.up[n as usize] = true;
            a.live_value_sum += a.values[n as usize];
            a.live += 1;
        }
        a.recompute_min_max();
        a
    }

    /// The pair a node starts an epoch with.
    fn start(&self, n: NodeId) -> (f64, f64) {
        let v = self.values[n as usize];
        let holder = n == self.origin;
        match self.function {
            AggFunction::Avg | AggFunction::Min | AggFunction::Max => (v, 1.0),
            AggFunction::Sum => (v, if holder { 1.0 } else { 0.0 }),
            AggFunction::Count => (1.0, if holder { 1.0 } else { 0.0 }),
        }
    }

    /// A node's state when it (re)starts in `epoch`: its starting pair, in no exchange.
    fn fresh(&self, n: NodeId, epoch: u32) -> Hot {
        let (s, w) = self.start(n);
        Hot { s, w, epoch, ..Hot::default() }
    }

    /// Open the node's next exchange of this tick, if it has one left: a pair to a
    /// random peer, answered before the one after is opened.
    fn open_next(&mut self, cx: &mut Ctx<'_, AggMsg, Hot>) {
        let h = &mut *cx.hot;
        if h.left == 0 {
            return;
        }
        h.left -= 1;
        let Some(p) = cx.peer() else { return };
        let h = &mut *cx.hot;
        h.seq = h.seq.wrapping_add(1);
        h.pending = true;
        let (s, w, epoch, seq) = (h.s, h.w, h.epoch, h.seq);
        cx.request(p, AggMsg::Pair { s, w, epoch, seq });
        if self.timed {
            cx.schedule(self.timeout_us, u64::from(seq));
        }
    }

    /// The answer to exchange `seq` (a reply, a refusal or a timeout): true if it
    /// is the one the node awaits, which then closes.
    fn close(&mut self, h: &mut Hot, seq: u32) -> bool {
        let awaited = h.pending && h.seq == seq;
        h.pending &= !awaited;
        awaited
    }

    /// The function is an extreme (min or max), whose truth is the live extreme.
    fn extremes(&self) -> bool {
        matches!(self.function, AggFunction::Min | AggFunction::Max)
    }

    /// The extremes of the live nodes' values: O(n), so only when one may have left.
    fn recompute_min_max(&mut self) {
        self.live_min_max = self
            .up
            .iter()
            .zip(&self.values)
            .filter(|(&up, _)| up)
            .map(|(_, &v)| v)
            .fold(None, |acc: Option<(f64, f64)>, v| Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))));
    }

    /// The true aggregate over the live nodes' local values.
    pub fn truth(&self) -> f64 {
        match self.function {
            AggFunction::Avg => self.live_value_sum / self.live.max(1) as f64,
            AggFunction::Sum => self.live_value_sum,
            AggFunction::Count => self.live as f64,
            AggFunction::Min => self.live_min_max.map_or(0.0, |m| m.0),
            AggFunction::Max => self.live_min_max.map_or(0.0, |m| m.1),
        }
    }

    /// A node's estimate, or None while its weight is zero (count and sum start so at all but one node).
    pub fn estimate(&self, h: &Hot) -> Option<f64> {
        match self.function {
            AggFunction::Min | AggFunction::Max => Some(h.s),
            _ => (h.w > 0.0).then(|| h.s / h.w),
        }
    }

    /// Relative error of an estimate against the truth (absolute when the truth is 0).
    fn error(&self, est: Option<f64>, truth: f64) -> f64 {
        match est {
            None => f64::INFINITY,
            Some(e) if truth == 0.0 => e.abs(),
            Some(e) => ((e - truth) / truth).abs(),
        }
    }

    fn combine(&self, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        match self.function {
            AggFunction::Min => (a.0.min(b.0), 1.0),
            AggFunction::Max => (a.0.max(b.0), 1.0),
            _ => ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0),
        }
    }

    /// The node takes the mean of its pair and the one it was sent (or the extreme).
    fn mix_in(&self, h: &mut Hot, pair: (f64, f64)) {
        (h.s, h.w) = self.combine((h.s, h.w), pair);
    }

    fn current_epoch(&self, round: u32) -> u32 {
        round.checked_div(self.epoch_rounds).unwrap_or(0)
    }

    /// Bring node `n` (hot state `h`) to `epoch` if it is behind; false if the
    /// message's epoch is older than the node's.
    fn align(&self, h: &mut Hot, n: NodeId, epoch: u32) -> bool {
        let mine = h.epoch;
        if epoch > mine {
            // The exchange in progress goes on: its answer is then of the new epoch too.
            (h.s, h.w) = self.start(n);
            h.epoch = epoch;
        }
        epoch >= mine
    }

    fn is_malicious(&self, n: NodeId) -> bool {
        self.malicious.contains(&n)
    }

    /// The variance ratio of each sample to the one before; none across an epoch start or from zero.
    fn ratios(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.variance
            .windows(2)
            .zip(self.epoch_at.windows(2))
            .map(|(v, e)| (v[0] > 0.0 && e[0] == e[1]).then(|| v[1] / v[0]))
    }
}

impl Protocol for Aggregate {
    fn retune(&mut self, s: &Scenario) {
        self.fanout = s.fanout;
        self.target_error = s.target_error;
        self.theory = theory_rate(s);
        self.timeout_us = exchange_timeout_us(s);
    }
    type Msg = AggMsg;
    type Hot = Hot;

    fn hot_init(&self, node: NodeId) -> Hot {
        self.fresh(node, 0)
    }

    fn on_tick(&mut self, cx: &mut Ctx<'_, AggMsg, Hot>) {
        let n = cx.node;
        let epoch = self.current_epoch(cx.round());
        self.align(cx.hot, n, epoch);
        if self.is_malicious(n) {
            return;
        }
        match self.exchange {
            Exchange::PushPull => {
                let h = &mut *cx.hot;
                // In rounds an exchange ends within its tick: one still pending was lost.
                h.pending &= self.timed;
                if h.pending {
                    // Still in the last tick's exchange (timed): this tick's follow it.
                    h.left = self.fanout - 1;
                } else {
                    h.left = self.fanout;
                    self.open_next(cx);
                }
            }
            Exchange::PushSum => {
                let h = &mut *cx.hot;
                // An extreme is pushed as it is; a pair is split into fanout + 1 equal shares, one kept.
                if !self.extremes() {
                    let parts = f64::from(self.fanout + 1);
                    h.s /= parts;
                    h.w /= parts;
                }
                let h = *h;
                for _ in 0..self.fanout {
                    let Some(p) = cx.peer() else { break };
                    cx.send(p, AggMsg::Share { s: h.s, w: h.w, epoch: h.epoch });
                }
            }
        }
    }

    fn on_message(&mut self, from: NodeId, msg: AggMsg, cx: &mut Ctx<'_, AggMsg, Hot>) {
        let n = cx.node;
        if self.is_malicious(n) {
            // Swallowed: a push-sum share's mass is gone, a push-pull initiator waits in vain.
            return;
        }
        let epoch = match msg {
            AggMsg::Pair { epoch, .. } | AggMsg::Reply { epoch, .. } | AggMsg::Share { epoch, .. } => epoch,
            AggMsg::Busy { seq } => {
                if self.close(cx.hot, seq) {
                    self.refused += 1;
                    self.open_next(cx);
                }
                return;
            }
        };
        // An answer closes the exchange it answers, whatever its epoch; one the
        // node no longer awaits (it timed out) is ignored, and its peer's half of
        // the exchange is lost as if the answer had been.
        if let AggMsg::Reply { seq, .. } = msg {
            if !self.close(cx.hot, seq) {
                self.late += 1;
                return;
            }
        }
        // A message from a newer epoch restarts this node first (its own pair is then
        // fresh); one from an older epoch is ignored.
        if !self.align(cx.hot, n, epoch) {
            self.stale += 1;
            if matches!(msg, AggMsg::Reply { .. }) {
                self.open_next(cx);
            }
            return;
        }
        match msg {
            AggMsg::Pair { s, w, seq, .. } => {
                let h = *cx.hot;
                if h.pending && self.timed {
                    // Mixing now would break this node's own exchange in flight.
                    cx.reply(from, AggMsg::Busy { seq });
                    return;
                }
                cx.reply(from, AggMsg::Reply { s: h.s, w: h.w, epoch: h.epoch, seq });
                self.mix_in(cx.hot, (s, w));
            }
            AggMsg::Reply { s, w, .. } => {
                self.mix_in(cx.hot, (s, w));
                self.open_next(cx);
            }
            AggMsg::Busy { .. } => unreachable!("answered above"),
            AggMsg::Share { s, w, .. } => {
                let h = &mut *cx.hot;
                match self.function {
                    AggFunction::Min => h.s = h.s.min(s),
                    AggFunction::Max => h.s = h.s.max(s),
                    _ => {
                        h.s += s;
                        h.w += w;
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, token: u64, cx: &mut Ctx<'_, AggMsg, Hot>) {
        if self.close(cx.hot, token as u32) {
            self.timed_out += 1;
            self.open_next(cx);
        }
    }

    fn on_crash(&mut self, node: NodeId, _now_us: u64, _hot: &mut Hot) {
        if self.up[node as usize] {
            self.up[node as usize] = false;
            self.live -= 1;
            self.live_value_sum -= self.values[node as usize];
            // Only min and max read the extremes, and only the loss of one can move them.
            let v = self.values[node as usize];
            if self.extremes() && self.live_min_max.is_some_and(|(lo, hi)| v == lo || v == hi) {
                self.recompute_min_max();
            }
        }
    }

    fn on_restart(&mut self, cx: &mut Ctx<'_, AggMsg, Hot>) {
        let n = cx.node;
        // A restarted node (or a joiner) starts from its local value in the current epoch.
        // Without epochs its mass joins a sum that has already mixed: another source of bias.
        let epoch = self.current_epoch(cx.round());
        *cx.hot = self.fresh(n, epoch);
        self.up[n as usize] = true;
        self.live += 1;
        self.live_value_sum += self.values[n as usize];
        if self.extremes() {
            let v = self.values[n as usize];
            self.live_min_max = Some(self.live_min_max.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
        }
    }

    fn on_sample(&mut self, round: u32, hot: Hots<'_, Hot>) {
        let truth = self.truth();
        // Malicious nodes keep their own values: the figures are the honest nodes'.
        let honest_ids = || (0..hot.len() as NodeId).filter(|&n| self.up[n as usize] && !self.is_malicious(n));
        // The quantity being mixed: the estimate; for count and sum under push-pull
        // the weight, which averages to 1/n like a value (the estimate is infinite
        // while a weight is 0). Push-sum's weights never even out; its estimates do.
        let weights =
            matches!((self.function, self.exchange), (AggFunction::Sum | AggFunction::Count, Exchange::PushPull));
        let mixed = |h: &Hot| if weights { Some(h.w) } else { self.estimate(h) };
        let (mut cnt, mut sum, mut err_sum, mut within, mut honest) = (0u64, 0.0f64, 0.0f64, 0u64, 0u64);
        for n in honest_ids() {
            honest += 1;
            let h = hot.get(n);
            let e = self.error(self.estimate(h), truth);
            if e <= self.target_error {
                within += 1;
            }
            err_sum += e.min(1.0);
            if let Some(x) = mixed(h) {
                cnt += 1;
                sum += x;
            }
        }
        // The variance in two passes (the second with the rounding correction of
        // Chan, Golub and LeVeque): as steady as Welford's update, without its
        // division per node in one long dependency chain.
        let mean = if cnt > 0 { sum / cnt as f64 } else { 0.0 };
        let (mut m2, mut drift) = (0.0f64, 0.0f64);
        for n in honest_ids() {
            if let Some(x) = mixed(hot.get(n)) {
                m2 += (x - mean) * (x - mean);
                drift += x - mean;
            }
        }
        if cnt > 0 {
            m2 -= drift * drift / cnt as f64;
        }
        self.within_now = within;
        self.honest_live = honest;
        self.sampled_round = round;
        if self.rounds_to_error.is_none() && honest > 0 && within == honest {
            self.rounds_to_error = Some(round);
        }
        if self.variance.len() < HISTORY_MAX {
            self.variance.push(if cnt > 0 { m2 / cnt as f64 } else { 0.0 });
            self.mean_error.push(if honest > 0 { err_sum / honest as f64 } else { 0.0 });
            self.within.push(if honest > 0 { within as f64 / honest as f64 } else { 0.0 });
            self.epoch_at.push(self.current_epoch(round));
        }
    }

    fn series(&self) -> Vec<(&'static str, Vec<Option<f64>>)> {
        let some = |xs: &[f64]| xs.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        vec![
            ("variance", some(&self.variance)),
            ("variance_ratio", self.ratios().collect()),
            ("mean_rel_error", some(&self.mean_error)),
            ("within_target", some(&self.within)),
        ]
    }

    fn extra(&self, live: u64, _now_us: u64, hot: Hots<'_, Hot>) -> Vec<(&'static str, Option<f64>)> {
        let truth = self.truth();
        let (mut sum, mut cnt) = (0.0, 0u64);
        for n in 0..hot.len() as NodeId {
            if self.up[n as usize] && !self.is_malicious(n) {
                if let Some(e) = self.estimate(hot.get(n)) {
                    sum += e;
                    cnt += 1;
                }
            }
        }
        let mean_est = (cnt > 0).then(|| sum / cnt as f64);
        // The geometric mean of the per-round variance ratios in the decay: from the
        // largest variance (the start, except when estimates first appear as weight
        // spreads) while it stays well above rounding noise.
        let peak =
            self.variance.iter().enumerate().fold(0, |best, (i, &v)| if v > self.variance[best] { i } else { best });
        let v0 = self.variance.get(peak).copied().unwrap_or(0.0);
        let useful: Vec<f64> = self
            .ratios()
            .zip(&self.variance[1.min(self.variance.len())..])
            .skip(peak)
            .take_while(|(_, &v)| v > v0 * 1e-24)
            .filter_map(|(r, _)| r.map(f64::ln))
            .collect();
        let rate = (!useful.is_empty()).then(|| (useful.iter().sum::<f64>() / useful.len() as f64).exp());
        let mass = match self.function {
            AggFunction::Min | AggFunction::Max => None,
            _ => {
                let s: f64 = (0..hot.len() as NodeId).filter(|&n| self.up[n as usize]).map(|n| hot.get(n).s).sum();
                let expect = match self.function {
                    AggFunction::Count => live as f64,
                    _ => self.live_value_sum,
                };
                (expect != 0.0).then(|| s / expect)
            }
        };
        vec![
            ("truth", Some(truth)),
            ("estimate_mean", mean_est),
            ("bias", mean_est.map(|m| if truth == 0.0 { m } else { (m - truth) / truth })),
            ("mass", mass),
            ("variance", self.variance.last().copied()),
            ("variance_ratio", rate),
            ("variance_ratio_theory", self.theory),
            ("mean_rel_error", self.mean_error.last().copied()),
            ("rounds_to_error", self.rounds_to_error.map(f64::from)),
            ("stale_messages", Some(self.stale as f64)),
            ("exchanges_timed_out", self.timed.then_some(self.timed_out as f64)),
            ("exchanges_refused", self.timed.then_some(self.refused as f64)),
            ("late_replies", self.timed.then_some(self.late as f64)),
        ]
    }

    fn wire_size(&self, msg: &AggMsg) -> u32 {
        match msg {
            AggMsg::Busy { .. } => HEADER,
            _ => WIRE,
        }
    }

    fn msg_kind(&self, msg: &AggMsg) -> &'static str {
        match msg {
            AggMsg::Pair { .. } => "pair",
            AggMsg::Reply { .. } => "reply",
            AggMsg::Share { .. } => "share",
            AggMsg::Busy { .. } => "busy",
        }
    }

    fn node_state(&self, _node: NodeId, hot: &Hot) -> NodeState {
        // Spreading: still off by more than the target; removed: converged; susceptible: no estimate yet.
        match self.estimate(hot) {
            None => NodeState::Susceptible,
            Some(e) if self.error(Some(e), self.truth()) <= self.target_error => NodeState::Removed,
            Some(_) => NodeState::Infective,
        }
    }

    fn describe(&self, node: NodeId, h: &Hot) -> Vec<(&'static str, String)> {
        let truth = self.truth();
        let est = self.estimate(h);
        let mut rows = vec![
            ("local value", format!("{:.4}", self.values[node as usize])),
            ("s, w", format!("{:.6}, {:.6}", h.s, h.w)),
            ("estimate", est.map_or("none yet (weight 0)".into(), |e| format!("{e:.6}"))),
            ("true value", format!("{truth:.6}")),
            ("relative error", est.map_or("–".into(), |_| format!("{:.2e}", self.error(est, truth)))),
            ("epoch", h.epoch.to_string()),
        ];
        if self.is_malicious(node) {
            rows.push(("malicious", "swallows every message".into()));
        }
        rows
    }

    fn progress(&self) -> Progress {
        Progress {
            covered: self.within_now,
            injected: 1,
            active: self.honest_live - self.within_now,
            ..Progress::default()
        }
    }

    fn done(&self, live: u64) -> bool {
        // Without epochs, the run is over once every live node is within the target;
        // with epochs it runs to its limit, to show each restart.
        self.epoch_rounds == 0 && live > 0 && self.within_now == self.honest_live && self.sampled_round > 0
    }
}
