//! Analytic predictions, drawn beside every measured curve.
//!
//! - Mean-field (logistic / SI) curves per round for push, pull and push-pull
//!   with fanout f and loss p, where x is the informed fraction at the start of a round:
//!   push `x' = 1 - (1-x)·e^(-f(1-p)x)`; pull `x' = 1 - (1-x)·(1 - x(1-p)²)^f`;
//!   push-pull multiplies both escape probabilities.
//! - Pittel (1987): push with fanout 1 informs all n nodes in log2 n + ln n + O(1) rounds.
//! - Karp et al. (2000): push-pull needs log3 n + O(log log n) rounds.
//! - Demers et al. (1987): residue s of feedback-coin rumor mongering solves s = e^(-(k+1)(1-s)).

use serde::Serialize;

use crate::scenario::{Scenario, Spread, StopRule};

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

/// The expected informed fraction after each round 0..=rounds, starting from one node in n.
pub fn coverage_curve(s: &Scenario, rounds: u32) -> Vec<f64> {
    let n = f64::from(s.nodes);
    let mut x = 1.0 / n;
    let mut out = Vec::with_capacity(rounds as usize + 1);
    out.push(x);
    for _ in 0..rounds {
        x = mean_field_step(s.spread, s.fanout, s.loss_rate, x);
        out.push(x);
    }
    out
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

/// Pittel's push bound, log2 n + ln n (fanout 1, no loss).
pub fn pittel_push_rounds(n: u32) -> f64 {
    let n = f64::from(n);
    n.log2() + n.ln()
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
    pub coverage_curve: Vec<f64>,
}

pub fn predict(s: &Scenario) -> Predictions {
    let rounds = mean_field_rounds(s);
    let (res, traffic) = if s.stop == StopRule::FeedbackCoin {
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
        coverage_curve: coverage_curve(s, rounds.unwrap_or(100).saturating_add(2).min(s.max_rounds)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
