//! Seeded, portable randomness.
//!
//! Every random choice in a run comes from a generator derived from the scenario
//! seed. xoshiro256++ uses only 64-bit integer operations, so the same seed gives
//! the same stream on x86_64 and on wasm32. Separate streams serve separate
//! concerns (protocol choices, the network, the schedule), so changing the loss
//! rate does not reshuffle which peers a node picks.

use rand::SeedableRng;
pub use rand::{Rng as RngExt, RngCore};
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// Streams derived from one scenario seed. The numbers are part of the trace
/// format: changing one changes every `trace_hash`.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    Protocol = 1,
    Network = 2,
    Order = 3,
    Schedule = 4,
    Sampler = 5,
    /// Where the workload's updates are written, and which keys they write.
    Workload = 6,
    /// Independent trials of one scenario: trial `i` uses seed `derive(seed, Trial + i)`.
    Trial = 1 << 32,
}

/// SplitMix64's increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 step and finaliser: a bijective mix of 64 bits, used to derive seeds.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed for stream `stream` (plus an index) of the run seeded with `seed`.
pub fn derive(seed: u64, stream: u64) -> u64 {
    mix64(mix64(seed) ^ stream)
}

pub fn stream(seed: u64, which: Stream) -> Rng {
    Rng::seed_from_u64(derive(seed, which as u64))
}

/// The seed of trial `i` of a multi-trial run; trial 0 is the scenario seed itself,
/// so `--trials 1` reproduces a single run.
pub fn trial_seed(seed: u64, i: u32) -> u64 {
    if i == 0 {
        seed
    } else {
        derive(seed, Stream::Trial as u64 + u64::from(i)) & crate::scenario::SEED_MAX
    }
}

/// A uniform index in `0..n` (n > 0), drawn as u32 so that it is the same on
/// 32- and 64-bit targets.
///
/// The draw is exactly `rng.random_range(0..n)` of rand 0.9 (Canon's method: the
/// high half of a 32 × 32-bit product, with a second draw only when the low half
/// could carry, about n / 2^32 of the time), written out so that it inlines into
/// the peer choice of every exchange. A test checks it against rand.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub fn index<R: RngCore>(rng: &mut R, n: u32) -> u32 {
    debug_assert!(n > 0);
    let x = rng.next_u32();
    match index_of_draw(x, n) {
        (hi, true) => hi,
        (hi, false) => hi + index_carry(rng, n, x.wrapping_mul(n)),
    }
}

/// What [`index`] makes of its first draw being `x`: the index in `0..n` before
/// any carry, and whether that is final, with no second draw (all but about
/// n / 2^32 of the time).
#[inline(always)]
pub fn index_of_draw(x: u32, n: u32) -> (u32, bool) {
    let m = u64::from(x) * u64::from(n);
    ((m >> 32) as u32, m as u32 <= n.wrapping_neg())
}

/// The rare second draw of [`index`]: 1 if the low half carries into the result.
#[cold]
fn index_carry<R: RngCore>(rng: &mut R, n: u32, lo: u32) -> u32 {
    let next = ((u64::from(rng.next_u32()) * u64::from(n)) >> 32) as u32;
    u32::from(lo.checked_add(next).is_none())
}

/// True with probability `p`.
#[inline]
pub fn chance<R: RngCore>(rng: &mut R, p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || unit(rng) < p)
}

/// A uniform float in [0, 1) from the top 53 bits: portable and exact.
#[inline]
pub fn unit<R: RngCore>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Fisher-Yates shuffle with `index`, portable across targets.
pub fn shuffle<T, R: RngCore>(rng: &mut R, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = index(rng, i as u32 + 1) as usize;
        items.swap(i, j);
    }
}

/// A keyed pseudo-random permutation of `0..n`: a 4-round Feistel network over
/// the smallest power-of-two domain that holds n (halves of unequal width where
/// its bits are odd), with cycle walking back into range: at most two steps per
/// element on average, about one for most n. It gives each round a fresh random
/// order of the nodes in O(1) memory, computed in sequence (a Fisher-Yates
/// shuffle of a million ids touches memory at random and costs more than the
/// round itself).
#[derive(Clone, Copy, Debug)]
pub struct Permutation {
    n: u32,
    /// Bits of the low half; the high half has the rest.
    lo_bits: u32,
    lo_mask: u32,
    hi_mask: u32,
    keys: [u32; 4],
}

impl Permutation {
    pub fn new(n: u32, key: u64) -> Self {
        let bits = (32 - n.saturating_sub(1).leading_zeros()).max(2);
        let lo_bits = bits / 2;
        let mask = |b: u32| ((1u64 << b) - 1) as u32;
        let keys = [1, 2, 3, 4].map(|i| (mix64(key ^ i) >> 32) as u32);
        Permutation { n, lo_bits, lo_mask: mask(lo_bits), hi_mask: mask(bits - lo_bits), keys }
    }

    /// The round function is bits 16 and up of a 32-bit multiplicative hash of
    /// the keyed half (a half has at most 16 bits, and every bit of it reaches
    /// those): a few instructions, in 32-bit arithmetic that is as cheap in wasm
    /// as natively (a million-node round computes it a million times).
    #[inline]
    fn encrypt(&self, x: u32) -> u32 {
        const M: u32 = 0x9E37_79B1;
        let f = |v: u32, k: u32| (v ^ k).wrapping_mul(M) >> 16;
        let (mut hi, mut lo) = (x >> self.lo_bits, x & self.lo_mask);
        let [k0, k1, k2, k3] = self.keys;
        hi ^= f(lo, k0) & self.hi_mask;
        lo ^= f(hi, k1) & self.lo_mask;
        hi ^= f(lo, k2) & self.hi_mask;
        lo ^= f(hi, k3) & self.lo_mask;
        (hi << self.lo_bits) | lo
    }

    /// The i-th element of the permutation (i < n).
    #[inline]
    pub fn at(&self, i: u32) -> u32 {
        debug_assert!(i < self.n);
        self.walk(self.encrypt(i))
    }

    /// Cycle walking: encrypt again until back in range.
    #[inline]
    fn walk(&self, mut x: u32) -> u32 {
        while x >= self.n {
            x = self.encrypt(x);
        }
        x
    }

    /// The whole permutation, in order, into `out`: the same elements as `at`,
    /// computed in two passes so that the first, one encryption per element and
    /// no branch, runs in SIMD lanes where the target has them.
    pub fn fill(&self, out: &mut Vec<u32>) {
        out.clear();
        out.extend((0..self.n).map(|i| self.encrypt(i)));
        for x in out.iter_mut() {
            *x = self.walk(*x);
        }
    }
}

/// A node's own random stream, counter-based: draw k of node v is output
/// number `v << 32 | k` of the SplitMix64 generator seeded with the run's key
/// (which passes BigCrush): one multiply to find the generator's state there,
/// then its finaliser. Nodes thus own disjoint stretches of one well-tested
/// stream, 2^32 draws each. Each node's choices are independent of the order
/// in which nodes run and of how many nodes there are. In rounds, a tick draws
/// from a stream keyed by the round instead, counted from 0 (see `Sim::tick`),
/// so that the engine knows the peers a tick will pick before it runs, and
/// fetches their memory ahead. The counter is the node's; it wraps after 2^32
/// draws.
pub struct NodeRng<'a> {
    key: u64,
    node: u32,
    ctr: &'a mut u32,
}

impl<'a> NodeRng<'a> {
    pub fn new(key: u64, node: u32, ctr: &'a mut u32) -> Self {
        NodeRng { key, node, ctr }
    }
    /// The same stream, borrowed for a nested call (a wrapped protocol).
    pub fn reborrow(&mut self) -> NodeRng<'_> {
        NodeRng { key: self.key, node: self.node, ctr: &mut *self.ctr }
    }
}

/// The value of draw `ctr` of `node`'s stream.
#[inline]
pub fn node_draw(key: u64, node: u32, ctr: u32) -> u64 {
    // SplitMix64's state after i steps is key + i × gamma; `mix64` adds the last gamma.
    mix64(key.wrapping_add(((u64::from(node) << 32) | u64::from(ctr)).wrapping_mul(GAMMA)))
}

impl RngCore for NodeRng<'_> {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        let c = *self.ctr;
        *self.ctr = c.wrapping_add(1);
        node_draw(self.key, self.node, c)
    }
    #[inline]
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams of one seed differ from each other and repeat exactly for the same seed.
    #[test]
    fn streams_are_distinct_and_repeatable() {
        let mut a = stream(7, Stream::Protocol);
        let mut b = stream(7, Stream::Network);
        let mut a2 = stream(7, Stream::Protocol);
        let xa: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let xa2: Vec<u64> = (0..8).map(|_| a2.next_u64()).collect();
        assert_ne!(xa, xb);
        assert_eq!(xa, xa2);
    }

    /// `index` is uniform: a chi-square over 10 buckets stays below the 0.999 quantile (27.9).
    #[test]
    fn index_is_uniform() {
        let mut rng = stream(1, Stream::Protocol);
        let mut counts = [0u32; 10];
        let draws = 100_000;
        for _ in 0..draws {
            counts[index(&mut rng, 10) as usize] += 1;
        }
        let expected = f64::from(draws) / 10.0;
        let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
        assert!(chi2 < 27.9, "chi2 = {chi2}");
    }

    /// `index` draws exactly what rand's `random_range(0..n)` draws, and takes as
    /// many values from the stream, for small, large and awkward n.
    #[test]
    fn index_matches_rand() {
        for (seed, n) in
            [(1u64, 1u32), (2, 2), (3, 7), (4, 1000), (5, 999_999), (6, 1 << 31), (7, u32::MAX), (8, 3_000_000_019)]
        {
            let (mut a, mut b) = (stream(seed, Stream::Protocol), stream(seed, Stream::Protocol));
            for _ in 0..20_000 {
                assert_eq!(index(&mut a, n), b.random_range(0..n), "n = {n}");
            }
            assert_eq!(a.next_u64(), b.next_u64(), "n = {n}: the streams drifted apart");
        }
    }

    /// A node's stream is its stretch of the SplitMix64 generator seeded with the key.
    #[test]
    fn node_streams_are_splitmix64() {
        let key = derive(11, Stream::Protocol as u64);
        let mut reference = rand_xoshiro::SplitMix64::from_seed(key.to_le_bytes());
        let first: Vec<u64> = (0..5).map(|_| reference.next_u64()).collect();
        assert_eq!(first, (0..5).map(|k| node_draw(key, 0, k)).collect::<Vec<_>>());
        // Node 3 starts 3 << 32 outputs in: where the generator's state is key + (3 << 32) × gamma.
        let mut at =
            rand_xoshiro::SplitMix64::from_seed(key.wrapping_add((3u64 << 32).wrapping_mul(GAMMA)).to_le_bytes());
        assert_eq!(at.next_u64(), node_draw(key, 3, 0));
    }

    /// Node streams: independent of each other, repeatable, and uniform.
    #[test]
    fn node_streams() {
        let key = derive(5, Stream::Protocol as u64);
        let (mut c1, mut c2) = (0u32, 0u32);
        let mut a = NodeRng::new(key, 1, &mut c1);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let mut b = NodeRng::new(key, 2, &mut c2);
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_ne!(xa, xb);
        assert_eq!(c1, 4);
        assert_eq!(xa[2], node_draw(key, 1, 2));
        let mut counts = [0u32; 10];
        let mut c = 0u32;
        let mut r = NodeRng::new(key, 9, &mut c);
        for _ in 0..100_000 {
            counts[index(&mut r, 10) as usize] += 1;
        }
        let chi2: f64 = counts.iter().map(|&x| (f64::from(x) - 10_000.0).powi(2) / 10_000.0).sum();
        assert!(chi2 < 27.9, "chi2 = {chi2}");
    }

    /// The permutation is a bijection on 0..n for awkward sizes, and differs by key.
    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u32, 2, 3, 5, 17, 1000, 1025, 65_537] {
            let p = Permutation::new(n, 42);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let x = p.at(i) as usize;
                assert!(!seen[x], "n={n}: {x} twice");
                seen[x] = true;
            }
        }
        for n in [1u32, 2, 1000, 65_537, 300_001] {
            let p = Permutation::new(n, 9);
            let mut all = Vec::new();
            p.fill(&mut all);
            assert!(all.iter().enumerate().all(|(i, &x)| x == p.at(i as u32)), "n={n}: fill differs from at");
        }
        let (a, b) = (Permutation::new(1000, 1), Permutation::new(1000, 2));
        assert!((0..1000).filter(|&i| a.at(i) == b.at(i)).count() < 20);
        // Positions are spread: where node 0 lands is uniform over many keys (chi-square, 10 bins).
        let mut bins = [0u32; 10];
        for key in 0..20_000u64 {
            let p = Permutation::new(1000, key);
            let pos = (0..1000).position(|i| p.at(i) == 0).unwrap();
            bins[pos / 100] += 1;
        }
        let chi2: f64 = bins.iter().map(|&c| (f64::from(c) - 2000.0).powi(2) / 2000.0).sum();
        assert!(chi2 < 27.9, "chi2 = {chi2}");
    }

    /// Trial 0 is the scenario's own seed; later trials get distinct seeds within the JS-safe range.
    #[test]
    fn trial_seeds() {
        assert_eq!(trial_seed(42, 0), 42);
        let s1 = trial_seed(42, 1);
        let s2 = trial_seed(42, 2);
        assert_ne!(s1, s2);
        assert!(s1 <= crate::scenario::SEED_MAX && s2 <= crate::scenario::SEED_MAX);
    }
}
