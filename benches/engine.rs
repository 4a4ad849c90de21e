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

criterion_group!(benches, rounds_scaling, timed, aggregation);
criterion_main!(benches);
