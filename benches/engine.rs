//! Engine benchmarks (criterion). Figures for the README and the closing notes:
//! `cargo bench --bench engine`. Each case runs a whole scenario from one
//! informed node until every node has the update.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gossip_lab::Scenario;

fn scenario(pairs: &[&str]) -> Scenario {
    let mut s = Scenario::default();
    s.apply_pairs(pairs.iter().copied()).unwrap();
    s.validate().unwrap();
    s
}

fn run_to_full_coverage(s: &Scenario) -> u32 {
    let m = gossip_lab::run(s).unwrap();
    assert_eq!(m.coverage, 1.0, "the benchmark must reach everyone");
    m.rounds
}

/// Push and push-pull rumor in rounds at 10^4, 10^5 and 10^6 nodes: cost should grow
/// about linearly in nodes x rounds.
fn rounds_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("rounds");
    g.sample_size(10);
    for spread in ["push", "push-pull"] {
        for n in [10_000u32, 100_000, 1_000_000] {
            let s = scenario(&[&format!("nodes={n}"), &format!("spread={spread}"), "fanout=1", "max_rounds=200"]);
            g.bench_with_input(BenchmarkId::new(spread, n), &s, |b, s| b.iter(|| run_to_full_coverage(s)));
        }
    }
    g.finish();
}

/// Timed mode: 100,000 nodes, interval 1000 ms, latency 10..50 ms, loss 0.05, push-pull.
fn timed(c: &mut Criterion) {
    let mut g = c.benchmark_group("timed");
    g.sample_size(10);
    let s = scenario(&[
        "nodes=100000",
        "spread=push-pull",
        "fanout=1",
        "timing=timed",
        "interval_ms=1000",
        "latency_ms_min=10",
        "latency_ms_max=50",
        "loss_rate=0.05",
    ]);
    g.bench_function("push-pull/100000", |b| b.iter(|| run_to_full_coverage(&s)));
    g.finish();
}

/// Push-pull averaging, 30 cycles, at 10^5 and 10^6 nodes (the aggregation issue's
/// benchmark: PeerSim takes about 30 s for the 10^6 case on this machine).
fn aggregation(c: &mut Criterion) {
    let mut g = c.benchmark_group("aggregate");
    g.sample_size(10);
    for n in [100_000u32, 1_000_000] {
        let s =
            scenario(&[&format!("nodes={n}"), "protocol=aggregate", "fanout=1", "max_rounds=30", "target_error=1e-12"]);
        g.bench_with_input(BenchmarkId::new("push-pull-30-cycles", n), &s, |b, s| {
            b.iter(|| {
                let m = gossip_lab::run(s).unwrap();
                assert_eq!(m.rounds, 30);
                m.sent
            })
        });
    }
    g.finish();
}

/// The floor under the engine: push-pull from one node to all at 10^6 nodes in
/// rounds, as a bare loop with nothing but the rule (random order, one random
/// peer, no messages, counters, trace or protocol). Once with one byte per node
/// (the whole state fits in cache), then with each node's byte in a record of
/// 16, 32 and 64 bytes (the engine's node slot is 32 or 64): what a million
/// nodes' random accesses cost on this machine, before any engine work.
fn floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor");
    g.sample_size(10);
    let n = 1_000_000u32;
    g.bench_function("bare-push-pull-1B/1000000", |b| b.iter(|| bare_push_pull(n, |n| vec![0u8; n], |s, i| &mut s[i])));
    macro_rules! records {
        ($($bytes:literal),*) => {$({
            #[derive(Clone, Copy)]
            #[repr(align($bytes))]
            struct Slot([u8; $bytes]);
            g.bench_function(concat!("bare-push-pull-", $bytes, "B/1000000"), |b| {
                b.iter(|| {
                    bare_push_pull(n, |n| gossip_lab::sim::mem::big_vec(n, Slot([0; $bytes])), |s: &mut Vec<Slot>, i| &mut s[i].0[0])
                })
            });
        })*};
    }
    records!(16, 32, 64);
    g.finish();
}

/// Rounds until all of `n` nodes know, where `state(i)` holds the round in
/// which node i learned (0: not yet), prefetching a few initiators and peers ahead.
fn bare_push_pull<S>(n: u32, new: impl Fn(usize) -> S, state: impl Fn(&mut S, usize) -> &mut u8) -> u32 {
    use gossip_lab::sim::mem::prefetch;
    use gossip_lab::sim::rng::{derive, node_draw, Permutation};
    let mut s = new(n as usize);
    *state(&mut s, 0) = 1;
    let (mut informed, mut round) = (1u32, 1u8);
    let peer = |v: u32, r: u8| {
        let p = (((node_draw(7, v, u32::from(r)) >> 32) * u64::from(n - 1)) >> 32) as u32;
        if p >= v {
            p + 1
        } else {
            p
        }
    };
    let mut order = Vec::with_capacity(n as usize);
    let mut peers = [0u32; 32];
    while informed < n {
        round += 1;
        let perm = Permutation::new(n, derive(3, u64::from(round)));
        order.clear();
        order.extend((0..n).map(|i| perm.at(i)));
        for i in 0..n as usize + 16 {
            if let Some(&ahead) = order.get(i) {
                let p = peer(ahead, round);
                peers[i % 32] = p;
                prefetch(state(&mut s, ahead as usize));
                prefetch(state(&mut s, p as usize));
            }
            let Some(j) = i.checked_sub(16) else { continue };
            let (a, b) = (order[j], peers[j % 32]);
            let (ka, kb) = (*state(&mut s, a as usize), *state(&mut s, b as usize));
            // Known before this round: learned in an earlier one.
            if ka != 0 && ka < round && kb == 0 {
                *state(&mut s, b as usize) = round;
                informed += 1;
            } else if kb != 0 && kb < round && ka == 0 {
                *state(&mut s, a as usize) = round;
                informed += 1;
            }
        }
        assert!(round < 100, "the bare loop must finish");
    }
    u32::from(round - 1)
}

criterion_group!(benches, rounds_scaling, timed, aggregation, floor);
criterion_main!(benches);
