//! Analytic predictions, drawn beside every measured curve.
//!
//! - Mean-field (logistic / SI) curves per round for push, pull and push-pull
//!   with fanout f and loss p, where x is the informed fraction at the start of a round:
//!   push `x' = 1 - (1-x)·e^(-f(1-p)x)`; pull `x' = 1 - (1-x)·(1 - x(1-p)²)^f`;
//!   push-pull multiplies both escape probabilities.
//! - Pittel (1987): push with fanout 1 informs all n nodes in log2 n + ln n + O(1) rounds.
//! - Karp et al. (2000): push-pull needs log3 n + O(log log n) rounds.
//! - Demers et al. (1987): residue s of feedback-coin rumor mongering solves s = e^(-(k+1)(1-s)).
//! - Stop rules: a mean-field susceptible / infective / removed model per round
//!   (`sir`), with the infectives split by their counter, gives the coverage
//!   curve, the residue and the traffic of every stop rule.
//! - Anti-entropy with one partner per cycle is the never-stopping case: push
//!   leaves (1-x)·e^-x uninformed, pull (1-x)² (the squaring that makes pull
//!   finish fast), push-pull both.
//! - Several updates: the mean of one curve per update, shifted to when it is written.

use serde::Serialize;

use crate::scenario::{ProtocolKind, Pullers, Scenario, Spread, StopRule};

/// One round of the mean-field recurrence.
pub fn mean_field_step(spread: Spread, fanout: u32, loss: f64, x: f64) -> f64 {
    let f = f64::from(fanout);
    let push_escape = (-f * (1.0 - loss) * x).exp();
    let pull_escape = (1.0 - x * (1.0 - loss) * (1.0 - loss)).powf(f);
    let escape = match spread {
        Spread::Push => push_escape,
        Spread::Pull => pull_escape,
        Spread::PushPull => push_escape * pull_escape,
    };
    1.0 - (1.0 - x) * escape
}

/// The expected coverage after each round 0..=rounds: one update's curve from
/// the stop-rule model, averaged over the updates written by each round.
/// The coverage chart's theory curve (the page's and `gossip-lab render`'s).
/// Membership's coverage is view agreement, election's agreement on the leader,
/// aggregation's the share within the target error, broadcast's ordered delivery:
/// none has a mean-field curve (aggregation's theory is its variance decay, drawn
/// on its own chart).
pub fn coverage_chart_curve(s: &Scenario) -> Vec<f64> {
    // The mean-field model mixes everyone with everyone: no curve on a graph.
    if s.membership_like()
        || matches!(s.protocol, ProtocolKind::Aggregate | ProtocolKind::Broadcast)
        || s.topology != crate::scenario::Topology::Full
    {
        Vec::new()
    } else {
        coverage_curve(s, coverage_chart_rounds(s))
    }
}

/// Rounds the coverage chart's theory curve covers: the run's, at most 400.
pub fn coverage_chart_rounds(s: &Scenario) -> u32 {
    s.max_rounds.min(400)
}

pub fn coverage_curve(s: &Scenario, rounds: u32) -> Vec<f64> {
    let one: Vec<f64> = sir(s, rounds).iter().map(|p| p.coverage).collect();
    if s.updates <= 1 || s.update_every == 0 {
        return one;
    }
    (0..=rounds)
        .map(|r| {
            let written = (r / s.update_every + 1).min(s.updates);
            let sum: f64 = (0..written).map(|i| one[(r - i * s.update_every) as usize]).sum();
            sum / f64::from(written)
        })
        .collect()
}

/// One round of the stop-rule model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SirPoint {
    /// Fraction of nodes that hold the update.
    pub coverage: f64,
    /// Fraction still spreading it.
    pub active: f64,
    /// Update-carrying messages per node so far.
    pub traffic: f64,
}

/// The mean-field model of one update under the scenario's spread, fanout,
/// loss and stop rule, in rounds from one node of n. Per round, with s the
/// susceptible fraction and the infectives grouped by counter value c:
/// - push: a susceptible escapes every push with probability e^-(1-p)·Σ m_c·i_c,
///   where m_c is the pushes of an infective in group c (f, or fewer for the
///   blind counter); pull: it escapes (1 - I(1-p)²)^f; push-pull both;
/// - an infective's contact finds a node that knew with probability 1-s, and its
///   answer arrives with probability (1-p)²;
/// - feedback-coin stops with 1/k per such answer, blind-coin with 1/k per
///   contact, counters move up by the answers (feedback; `counting=consecutive`
///   sets the counter back to 0 on a useful one) or contacts (blind), and the
///   rounds rule after k rounds.
///
/// Pull nodes answer but do not initiate, so only the rounds rule ages them
/// (only nodes that lack the update ask, so feedback never comes); with
/// `pullers=all` every node asks f peers a round, so an infective answers f
/// requests on average, each carrying the update and its feedback.
pub fn sir(sc: &Scenario, rounds: u32) -> Vec<SirPoint> {
    let one = 1.0 / f64::from(sc.nodes);
    sir_from(sc, one, one, rounds)
}

/// The same model from a measured state: a fraction `coverage` of the nodes
/// holds the update and `active` still spreads it, all with their counters at
/// 0 (the model's approximation when the settings change part-way: the chart's
/// theory continues from the measured state under the new values).
pub fn sir_from(sc: &Scenario, coverage: f64, active: f64, rounds: u32) -> Vec<SirPoint> {
    // Anti-entropy never stops: every node reconciles every cycle.
    let anti_entropy;
    let sc = if sc.protocol == ProtocolKind::AntiEntropy {
        anti_entropy = Scenario { stop: StopRule::Never, ..sc.clone() };
        &anti_entropy
    } else {
        sc
    };
    let f = sc.fanout as usize;
    let p = sc.loss_rate;
    let k = sc.k as usize;
    let answered = (1.0 - p) * (1.0 - p);
    let groups = match sc.stop {
        StopRule::FeedbackCounter | StopRule::BlindCounter | StopRule::Rounds => k,
        _ => 1,
    };
    let initiates = sc.spread != Spread::Pull;
    let pulls_all = sc.spread != Spread::Push && sc.pullers == Pullers::All;
    let mut s = 1.0 - coverage.clamp(0.0, 1.0);
    let mut i = vec![0.0; groups];
    i[0] = active.clamp(0.0, 1.0 - s);
    let mut traffic = 0.0;
    let mut out = Vec::with_capacity(rounds as usize + 1);
    out.push(SirPoint { coverage: 1.0 - s, active: i[0], traffic });
    for _ in 0..rounds {
        let pushes = |c: usize| -> f64 {
            if !initiates {
                0.0
            } else if sc.stop == StopRule::BlindCounter {
                f.min(k - c) as f64
            } else {
                f as f64
            }
        };
        // Contacts an infective in group c has this round, for the blind rules: its
        // pushes, and the requests it answers.
        let contacts = |c: usize| pushes(c) + if pulls_all { f as f64 } else { 0.0 };
        let total_i: f64 = i.iter().sum();
        let pressure: f64 = i.iter().enumerate().map(|(c, x)| x * pushes(c)).sum();
        traffic += pressure;
        let push_escape = (-(1.0 - p) * pressure).exp();
        let pull_escape = (1.0 - total_i * answered).powf(f as f64);
        let escape = match sc.spread {
            Spread::Push => push_escape,
            Spread::Pull => pull_escape,
            Spread::PushPull => push_escape * pull_escape,
        };
        let s_next = s * escape;
        if pulls_all {
            // Every request that reaches an infective is answered with the update.
            traffic += total_i * f as f64 * (1.0 - p);
        } else if sc.spread != Spread::Push {
            // Answers to pulls carry the update too.
            traffic += s * (1.0 - pull_escape);
        }
        let knew = (1.0 - s) * answered;
        let mut next = vec![0.0; groups];
        match sc.stop {
            StopRule::Never => next[0] = i[0],
            StopRule::FeedbackCoin => next[0] = i[0] * (1.0 - knew / k as f64).powf(pushes(0)),
            StopRule::BlindCoin => next[0] = i[0] * (1.0 - 1.0 / k as f64).powf(contacts(0)),
            StopRule::Rounds => {
                // Everyone moves up a round; the last group is removed.
                next[1..].copy_from_slice(&i[..groups - 1]);
            }
            StopRule::BlindCounter => {
                for (c, &x) in i.iter().enumerate() {
                    let moved = c + contacts(c) as usize;
                    if moved < groups {
                        next[moved] += x;
                    }
                }
            }
            StopRule::FeedbackCounter => {
                // Contact by contact: an answer that knew moves the counter up (at k
                // the node stops); a useful one keeps it, or sets it back to 0 when
                // the counting is consecutive.
                let consecutive = sc.counting == crate::scenario::Counting::Consecutive;
                next.copy_from_slice(&i);
                for _ in 0..pushes(0) as usize {
                    let mut after = vec![0.0; groups];
                    for (c, &x) in next.iter().enumerate() {
                        after[if consecutive { 0 } else { c }] += x * (1.0 - knew);
                        if c + 1 < groups {
                            after[c + 1] += x * knew;
                        }
                    }
                    next = after;
                }
            }
        }
        if pulls_all && matches!(sc.stop, StopRule::FeedbackCoin | StopRule::FeedbackCounter) {
            // The requests of a round judged together (Demers et al.'s Table 3): a
            // Poisson number of mean f(1-p), each from a node that knew with
            // probability 1-s. All of them knew: the counter rises (or the coin is
            // tossed); one was useful: a useful contact; none: nothing.
            let heard = f as f64 * (1.0 - p);
            let (none, none_useful) = ((-heard).exp(), (-heard * s).exp());
            let (up, useful) = (none_useful - none, 1.0 - none_useful);
            let consecutive = sc.counting == crate::scenario::Counting::Consecutive;
            let mut after = vec![0.0; groups];
            for (c, &x) in next.iter().enumerate() {
                if sc.stop == StopRule::FeedbackCoin {
                    after[c] += x * (1.0 - up / k as f64);
                    continue;
                }
                after[c] += x * none;
                after[if consecutive { 0 } else { c }] += x * useful;
                if c + 1 < groups {
                    after[c + 1] += x * up;
                }
            }
            next = after;
        }
        next[0] += s - s_next;
        s = s_next;
        i = next;
        out.push(SirPoint { coverage: 1.0 - s, active: i.iter().sum(), traffic });
    }
    out
}

/// What the stop-rule model predicts at the end: residue and traffic, and the
/// rounds until fewer than half a node is still spreading.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SirEnd {
    pub residue: f64,
    pub traffic: f64,
    pub rounds: Option<u32>,
    /// Mean round of delivery over the nodes reached (the origin left out).
    pub t_avg: f64,
    /// The round after which fewer than half a node is still to be reached.
    pub t_last: u32,
}

pub fn sir_end(s: &Scenario) -> SirEnd {
    let curve = sir(s, 2000);
    let n = f64::from(s.nodes);
    // A run ends when nobody spreads; or, with everyone reached, when no rule is
    // left to run (as `Rumor::done`): never stops by itself, and in pull only
    // nodes that lack the update ask.
    let ends_complete = s.stop == StopRule::Never || (s.spread == Spread::Pull && s.pullers == Pullers::Lacking);
    let rounds = curve
        .iter()
        .position(|p| p.active * n < 0.5 || (ends_complete && (1.0 - p.coverage) * n < 0.5))
        .map(|r| r as u32);
    let end = rounds.map_or(curve.len() - 1, |r| r as usize);
    let last = curve[end];
    let reached = last.coverage - curve[0].coverage;
    let t_avg = if reached > 0.0 {
        curve
            .windows(2)
            .take(end)
            .enumerate()
            .map(|(r, w)| (r + 1) as f64 * (w[1].coverage - w[0].coverage))
            .sum::<f64>()
            / reached
    } else {
        0.0
    };
    let t_last = curve.iter().position(|p| (last.coverage - p.coverage) * n < 0.5).unwrap_or(end) as u32;
    SirEnd { residue: 1.0 - last.coverage, traffic: last.traffic, rounds, t_avg, t_last }
}

/// The round at which the mean-field curve leaves fewer than half a node uninformed.
pub fn mean_field_rounds(s: &Scenario) -> Option<u32> {
    let n = f64::from(s.nodes);
    let mut x = 1.0 / n;
    for r in 1..=10_000 {
        x = mean_field_step(s.spread, s.fanout, s.loss_rate, x);
        if (1.0 - x) * n < 0.5 {
            return Some(r);
        }
    }
    None
}

/// Serf's published convergence estimate (the "Convergence Simulator" of the
/// Serf documentation, hashicorp/serf website/source/assets/javascripts/_simulator.js):
/// a logistic curve, the share of `n` nodes reached after `rounds` gossip
/// intervals, with fanout f, a packet loss and a share of failed nodes:
/// β = f/n · (1 - loss) · (1 - failed) · 1/2, I(x) = n / (1 + (n + 1) e^(-β n x)).
/// Its rate, f/2 a round, is half the push epidemic's; see `serf_rounds_to`
/// for how it compares with the engine.
pub fn serf_convergence(n: u32, fanout: u32, loss: f64, failed: f64, rounds: f64) -> f64 {
    let nf = f64::from(n);
    let beta = f64::from(fanout) / nf * (1.0 - loss) * (1.0 - failed) * 0.5;
    1.0 / (1.0 + (nf + 1.0) * (-beta * nf * rounds).exp())
}

/// The rounds Serf's estimate takes to reach `share` of the nodes (0 < share < 1):
/// its curve solved for x, ln((n + 1) s / (1 - s)) / (β n).
pub fn serf_rounds_to(n: u32, fanout: u32, loss: f64, failed: f64, share: f64) -> f64 {
    let nf = f64::from(n);
    let rate = f64::from(fanout) * (1.0 - loss) * (1.0 - failed) * 0.5;
    ((nf + 1.0) * share / (1.0 - share)).ln() / rate
}

/// Pittel's push bound, log2 n + ln n (fanout 1, no loss).
pub fn pittel_push_rounds(n: u32) -> f64 {
    let n = f64::from(n);
    n.log2() + n.ln()
}

/// Rounds for one rumor to reach every node of a topology where there is a
/// formula (`sim::topology`), with stop=never and no loss:
/// - a ring of degree 2: each of the two fronts moves on with probability
///   p = 1 - 2^-f (push: the front node picks the outside neighbour; pull: the
///   outside node picks the front; push-pull: either, p = 1 - 4^-f), so the n - 1
///   others are reached in (n - 1) / 2p rounds;
/// - a random d-regular graph, push with fanout 1:
///   (1/ln(2(1-1/d)) - 1/(d·ln(1-1/d)))·ln n (Fountoulakis and Panagiotou, 2010).
pub fn topology_rounds(s: &Scenario) -> Option<f64> {
    use crate::scenario::Topology;
    let n = f64::from(s.nodes);
    let f = f64::from(s.fanout);
    match s.topology {
        Topology::Ring if s.topology_degree <= 3 => {
            let p = match s.spread {
                Spread::Push | Spread::Pull => 1.0 - 0.5f64.powf(f),
                Spread::PushPull => 1.0 - 0.25f64.powf(f),
            };
            Some((n - 1.0) / (2.0 * p))
        }
        Topology::RandomRegular if s.spread == Spread::Push && s.fanout == 1 && s.topology_degree >= 3 => {
            let d = f64::from(s.topology_degree);
            Some((1.0 / (2.0 * (1.0 - 1.0 / d)).ln() - 1.0 / (d * (1.0 - 1.0 / d).ln())) * n.ln())
        }
        _ => None,
    }
}

/// A node's uplink under push gossip (`uplink_bytes_per_s`): each interval T it
/// hands its f messages of `bytes` to an uplink of C bytes per second. The load
/// is ρ = f·bytes / (C·T). Below 1 each burst drains before the next, and a
/// message waits on average for the (f - 1) / 2 ahead of it: (f - 1)/2 · bytes/C.
/// At 1 the queue stops draining: it grows by (ρ - 1)·T every interval until
/// the send queue overflows, and delivery times explode. Returns ρ and the
/// wait in ms (None at or past saturation).
pub fn uplink_wait(fanout: u32, interval_ms: f64, bytes: f64, uplink_bytes_per_s: f64) -> (f64, Option<f64>) {
    let f = f64::from(fanout);
    let rho = f * bytes / (uplink_bytes_per_s * interval_ms / 1000.0);
    (rho, (rho < 1.0).then(|| (f - 1.0) / 2.0 * bytes / uplink_bytes_per_s * 1000.0))
}

/// Karp et al.'s push-pull estimate, log3 n + ln ln n.
pub fn push_pull_rounds(n: u32) -> f64 {
    let n = f64::from(n);
    n.ln() / 3f64.ln() + n.ln().ln()
}

/// The residue of feedback-coin rumor mongering: the root s in (0, 1) of s = e^(-(k+1)(1-s)).
pub fn feedback_coin_residue(k: u32) -> f64 {
    let c = f64::from(k) + 1.0;
    // Fixed-point iteration from 0 converges to the smaller root (the non-trivial one).
    let mut s = 0.0;
    for _ in 0..10_000 {
        let next = (-c * (1.0 - s)).exp();
        if (next - s).abs() < 1e-15 {
            return next;
        }
        s = next;
    }
    s
}

/// Every prediction that applies to a scenario, for `gossip-lab theory` and the page.
#[derive(Clone, Debug, Serialize)]
pub struct Predictions {
    pub nodes: u32,
    /// Mean-field rounds to reach all but half a node.
    pub mean_field_rounds: Option<u32>,
    /// Pittel: log2 n + ln n (push, fanout 1).
    pub pittel_push_rounds: f64,
    /// Karp et al.: log3 n + ln ln n (push-pull).
    pub push_pull_rounds: f64,
    /// Demers: residue of feedback-coin with this k.
    pub feedback_coin_residue: Option<f64>,
    /// Traffic of feedback-coin: (k+1)(1-s) messages per node.
    pub feedback_coin_traffic: Option<f64>,
    /// The stop-rule model's residue, traffic and rounds for this scenario.
    pub model: SirEnd,
    pub coverage_curve: Vec<f64>,
}

pub fn predict(s: &Scenario) -> Predictions {
    let rounds = mean_field_rounds(s);
    // Demers' equation is push's: pull and push-pull answer requests too.
    let (res, traffic) = if s.stop == StopRule::FeedbackCoin && s.spread == Spread::Push {
        let r = feedback_coin_residue(s.k);
        (Some(r), Some((f64::from(s.k) + 1.0) * (1.0 - r)))
    } else {
        (None, None)
    };
    Predictions {
        nodes: s.nodes,
        mean_field_rounds: rounds,
        pittel_push_rounds: pittel_push_rounds(s.nodes),
        push_pull_rounds: push_pull_rounds(s.nodes),
        feedback_coin_residue: res,
        feedback_coin_traffic: traffic,
        model: sir_end(s),
        coverage_curve: coverage_curve(s, rounds.unwrap_or(100).saturating_add(2).min(s.max_rounds)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pull as Demers et al. run it for Table 3 (every site pulls, a holder judges a
    /// cycle's requests together): the model gives the paper's residue and traffic,
    /// and with only the sites that lack the update pulling, nothing ever stops.
    #[test]
    fn pull_model_matches_demers_table_3() {
        let model = |pullers: &str, k: u32| {
            let (s, errors) = Scenario::from_fragment(&format!(
                "nodes=1000&fanout=1&spread=pull&pullers={pullers}&stop=feedback-counter&counting=consecutive&k={k}"
            ));
            assert!(errors.is_empty(), "{errors:?}");
            sir_end(&s)
        };
        for (k, residue, traffic) in [(1, 0.031, 2.7), (2, 5.8e-4, 4.5), (3, 4.0e-6, 6.1)] {
            let m = model("all", k);
            assert!((m.residue - residue).abs() < 0.15 * residue + 2e-4, "k={k}: residue {}", m.residue);
            assert!((m.traffic - traffic).abs() < 0.1, "k={k}: traffic {}", m.traffic);
        }
        let lacking = model("lacking", 1);
        assert!(lacking.residue < 1e-3 && lacking.traffic < 1.01, "{lacking:?}");
    }

    /// Demers et al. tabulate the feedback-coin residue: k=1: 0.203, k=2: 0.060, k=3: 0.020.
    #[test]
    fn residue_matches_demers_table() {
        assert!((feedback_coin_residue(1) - 0.203).abs() < 0.001);
        assert!((feedback_coin_residue(2) - 0.0595).abs() < 0.001);
        assert!((feedback_coin_residue(3) - 0.0198).abs() < 0.001);
    }

    /// The mean-field curve is monotone, starts at 1/n and ends near 1.
    #[test]
    fn curve_is_monotone() {
        let s = Scenario::default();
        let c = coverage_curve(&s, 40);
        assert!((c[0] - 1.0 / 200.0).abs() < 1e-12);
        assert!(c.windows(2).all(|w| w[1] >= w[0]));
        assert!(c[40] > 0.999);
    }

    /// Pull is slow at the start (x² growth) and push-pull is the fastest.
    #[test]
    fn spreads_order() {
        let s = Scenario { nodes: 10_000, fanout: 1, ..Scenario::default() };
        let rounds = |sp| {
            let mut t = s.clone();
            t.spread = sp;
            mean_field_rounds(&t).unwrap()
        };
        assert!(rounds(Spread::PushPull) < rounds(Spread::Push));
        assert!(rounds(Spread::PushPull) < rounds(Spread::Pull));
    }
}
