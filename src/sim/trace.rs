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

/// A streaming hash over 64-bit words: portable, cheap enough to run on every
/// event of a million-node run, and order-sensitive, except within a round.
///
/// In `timing=rounds` what happens within a round (sends, drops, events,
/// timers) is hashed as a multiset ([`TraceHash::note`] adds the mixed word to
/// a sum), and the sum joins the ordered chain when the round ends
/// ([`TraceHash::seal`]). The order of a round's initiators is random by the
/// model, and a run whose outcome depends on it shows so in what it sends; one
/// whose outcome cannot (push: every delivery waits for the end of the round)
/// may then be run in any order of initiators, memory order included, for the
/// same trace. Faults are ordered words in both modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash {
    chain: u64,
    /// The sum of the mixed words of the current round (rounds only).
    round: u64,
    rounds: bool,
}

impl TraceHash {
    /// A hash for a run in rounds (`rounds`) or in timed mode.
    pub fn new(rounds: bool) -> Self {
        TraceHash { chain: 0x6a09_e667_f3bc_c908, round: 0, rounds }
    }
    /// An ordered word.
    #[inline]
    pub fn word(&mut self, x: u64) {
        self.chain = (self.chain.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    /// A word of an event: in the round's multiset in rounds, ordered in timed mode.
    #[inline]
    pub fn note(&mut self, x: u64) {
        if self.rounds {
            self.add(x);
        } else {
            self.word(x);
        }
    }
    /// A word of the current round's multiset (rounds only).
    #[inline(always)]
    pub fn add(&mut self, x: u64) {
        debug_assert!(self.rounds);
        self.round = self.round.wrapping_add(crate::sim::rng::mix64(x));
    }
    /// A send of `size` bytes: the round's word of it (rounds), or two ordered words at `now_us`.
    #[inline(always)]
    pub fn send(&mut self, from: u32, to: u32, size: u32, now_us: u64) {
        if self.rounds {
            self.add_send(from, to, size);
        } else {
            self.word(0x5e4d ^ (u64::from(from) << 16) ^ (u64::from(to) << 40));
            self.word(now_us ^ (u64::from(size) << 48));
        }
    }
    /// A send of `size` bytes in the current round (rounds only).
    #[inline(always)]
    pub fn add_send(&mut self, from: u32, to: u32, size: u32) {
        let pair = u64::from(from) | (u64::from(to) << 32);
        self.add(pair.wrapping_add(u64::from(size).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    }
    /// The end of a round: its multiset joins the chain.
    pub fn seal(&mut self) {
        if self.rounds {
            let round = std::mem::take(&mut self.round);
            self.word(round);
        }
    }
    /// The final value, mixed so that every input bit reaches every output bit.
    pub fn finish(&self) -> u64 {
        let mut h = *self;
        h.seal();
        crate::sim::rng::mix64(h.chain)
    }
    pub fn hex(&self) -> String {
        format!("{:016x}", self.finish())
    }
}
