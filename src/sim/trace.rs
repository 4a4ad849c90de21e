//! The event trace: every send, delivery, drop and state change, folded into a
//! 64-bit hash (`trace_hash`) that names a run, and optionally written out as
//! JSON lines by `gossip-lab trace`. In rounds a delivery follows from its send
//! (at once, or at the end of the round in the order of sending) unless it is
//! dropped, so the hash takes the sends, the drops and the number of copies,
//! and deliveries only in timed runs.

use serde::Serialize;

/// One line of `gossip-lab trace --jsonl`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "ev", rename_all = "lowercase")]
pub enum TraceEvent {
    Send { t_us: u64, from: u32, to: u32, msg: &'static str, bytes: u32 },
    Deliver { t_us: u64, from: u32, to: u32, msg: &'static str },
    Drop { t_us: u64, from: u32, to: u32, msg: &'static str, reason: &'static str },
    State { t_us: u64, node: u32, state: &'static str },
    Fault { t_us: u64, fault: String },
}

/// A streaming hash over 64-bit words: portable, order-sensitive and cheap
/// enough to run on every event of a million-node run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash(pub u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0x6a09_e667_f3bc_c908)
    }
}

impl TraceHash {
    #[inline]
    pub fn word(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    /// The final value, mixed so that every input bit reaches every output bit.
    pub fn finish(&self) -> u64 {
        crate::sim::rng::mix64(self.0)
    }
    pub fn hex(&self) -> String {
        format!("{:016x}", self.finish())
    }
}
