//! The ledger of updates that both dissemination families keep: when and where
//! each update was written, how many live nodes hold it, its delivery delays
//! and when it first reached 50%, 99% and 100% of the live nodes.
//!
//! Protocols call it as things happen, so the figures are exact (to the
//! microsecond in timed mode), not read off samples.

use crate::metrics::UpdateStats;
use crate::protocol::{NodeId, Progress};

const NEVER: u64 = u64::MAX;

/// Coverage thresholds tracked per update.
pub const THRESHOLDS: [f64; 3] = [0.5, 0.99, 1.0];

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    at_us: Vec<u64>,
    origin: Vec<NodeId>,
    /// Live nodes holding each update.
    holders: Vec<u64>,
    sum_us: Vec<u64>,
    max_us: Vec<u64>,
    delivered: Vec<u64>,
    /// Messages that carried each update.
    carried: Vec<u64>,
    /// First time (absolute us) each threshold was reached.
    crossed: Vec<[u64; 3]>,
    /// Holders at which each update reaches its next threshold, for `need_live` live nodes.
    need: Vec<u64>,
    need_live: u64,
    covered: u64,
    total_sum_us: u64,
    total_max_us: u64,
    total_delivered: u64,
    /// Messages that carried at least one update.
    update_msgs: u64,
}

impl Ledger {
    pub fn len(&self) -> usize {
        self.at_us.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at_us.is_empty()
    }

    /// When update `u` was written.
    pub fn written_at(&self, u: usize) -> u64 {
        self.at_us[u]
    }

    /// The node that wrote update `u`.
    pub fn origin(&self, u: usize) -> NodeId {
        self.origin[u]
    }

    /// A new update written at `node` (which holds it from now on); returns its id.
    pub fn write(&mut self, node: NodeId, now_us: u64, live: u64) -> usize {
        let u = self.announce(node, now_us);
        self.gain(u, now_us, live);
        u
    }

    /// A new update written at `node`, which does not hold it yet (ordered
    /// broadcast: the sender delivers its own message only in order).
    pub fn announce(&mut self, node: NodeId, now_us: u64) -> usize {
        let u = self.at_us.len();
        self.at_us.push(now_us);
        self.origin.push(node);
        self.holders.push(0);
        self.sum_us.push(0);
        self.max_us.push(0);
        self.delivered.push(0);
        self.carried.push(0);
        self.crossed.push([NEVER; 3]);
        self.need.push(0);
        u
    }

    /// A live node received update `u` for the first time.
    pub fn deliver(&mut self, u: usize, now_us: u64, live: u64) {
        if u >= self.len() {
            return; // not a written update (a forged rumor): not counted
        }
        let delay = now_us.saturating_sub(self.at_us[u]);
        self.sum_us[u] += delay;
        self.max_us[u] = self.max_us[u].max(delay);
        self.delivered[u] += 1;
        self.total_sum_us += delay;
        self.total_max_us = self.total_max_us.max(delay);
        self.total_delivered += 1;
        self.gain(u, now_us, live);
    }

    /// A node holding `u` came back up with it (a replica's store survives a crash).
    pub fn gain(&mut self, u: usize, now_us: u64, live: u64) {
        self.holders[u] += 1;
        self.covered += 1;
        // The float comparisons only when a threshold may have been reached (the hot path is a compare).
        if self.holders[u] < self.need[u] && live == self.need_live {
            return;
        }
        self.need_live = live;
        let mut next = u64::MAX;
        for (i, f) in THRESHOLDS.iter().enumerate() {
            let at = (f * live as f64 - 1e-9).ceil().max(0.0) as u64;
            if self.crossed[u][i] == NEVER {
                if self.holders[u] >= at {
                    self.crossed[u][i] = now_us;
                } else {
                    next = next.min(at);
                }
            }
        }
        self.need[u] = next;
    }

    /// A node holding `u` went down.
    pub fn lose(&mut self, u: usize) {
        if u >= self.len() {
            return;
        }
        self.holders[u] -= 1;
        self.covered -= 1;
    }

    /// One message carried the updates `us` (counted once in the traffic, once per update in theirs).
    pub fn carry(&mut self, us: impl IntoIterator<Item = usize>) {
        let mut any = false;
        let written = self.len();
        for u in us.into_iter().filter(|&u| u < written) {
            self.carried[u] += 1;
            any = true;
        }
        self.update_msgs += u64::from(any);
    }

    /// `msgs` messages carried update `u` (and no other).
    pub fn carried_by(&mut self, u: usize, msgs: u64) {
        if u < self.len() {
            self.carried[u] += msgs;
            self.update_msgs += msgs;
        }
    }

    /// Every written update is held by every live node.
    pub fn complete(&self, live: u64) -> bool {
        self.covered >= live * self.len() as u64
    }

    pub fn progress(&self, active: u64) -> Progress {
        Progress {
            covered: self.covered,
            injected: self.len() as u64,
            active,
            update_msgs: self.update_msgs,
            delivered_sum_us: self.total_sum_us,
            delivered_max_us: self.total_max_us,
            delivered: self.total_delivered,
        }
    }

    /// Per-update figures; traffic per node is over `nodes`.
    pub fn stats(&self, live: u64, nodes: u32) -> Vec<UpdateStats> {
        let ms = |us: u64| us as f64 / 1000.0;
        (0..self.len())
            .map(|u| {
                let since = |t: u64| (t != NEVER).then(|| ms(t - self.at_us[u]));
                let delivered = self.delivered[u];
                UpdateStats {
                    id: u as u32,
                    origin: self.origin[u],
                    at_ms: ms(self.at_us[u]),
                    coverage: if live == 0 { 0.0 } else { self.holders[u] as f64 / live as f64 },
                    traffic: self.carried[u] as f64 / f64::from(nodes),
                    t_avg_ms: (delivered > 0).then(|| ms(self.sum_us[u]) / delivered as f64),
                    t_last_ms: (delivered > 0).then(|| ms(self.max_us[u])),
                    t50_ms: since(self.crossed[u][0]),
                    t99_ms: since(self.crossed[u][1]),
                    t100_ms: since(self.crossed[u][2]),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Thresholds are reached at the delivery that brings the holders to the fraction of live nodes.
    #[test]
    fn thresholds_and_delays() {
        let mut l = Ledger::default();
        let u = l.write(3, 1000, 4);
        l.deliver(u, 3000, 4); // 2 of 4: 50%
        l.deliver(u, 6000, 4);
        assert!(!l.complete(4));
        l.deliver(u, 9000, 4);
        assert!(l.complete(4));
        let s = &l.stats(4, 4)[0];
        assert_eq!(s.t50_ms, Some(2.0));
        assert_eq!(s.t99_ms, Some(8.0));
        assert_eq!(s.t100_ms, Some(8.0));
        assert_eq!(s.t_avg_ms, Some((2.0 + 5.0 + 8.0) / 3.0));
        assert_eq!(s.t_last_ms, Some(8.0));
        assert_eq!(l.progress(0).covered, 4);
        l.lose(u);
        assert_eq!(l.progress(0).covered, 3);
    }
}
