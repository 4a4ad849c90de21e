//! Aggregation, ordered broadcast, leader election and malicious nodes, with
//! fixed seeds: statistics against theory for aggregation, order guarantees
//! under loss and reordering, elections after a crash and a partition, and
//! forged data rejected with signatures and spreading without.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use gossip_lab::metrics::RunMetrics;

fn extra(m: &RunMetrics, key: &str) -> Option<f64> {
    m.extra.get(key).copied().flatten()
}

/// Push-pull averaging with random peers and atomic exchanges in random order
/// cuts the variance of the estimates by 1/(2 sqrt e) = 0.3033 per round
/// (Jelasity, Montresor and Babaoglu 2005). 40 trials at n = 5000: the mean
/// per-run geometric rate lies within 3% of it (and the 95% interval).
#[test]
fn push_pull_variance_falls_by_one_over_two_sqrt_e() {
    let runs = trials(&["protocol=aggregate", "nodes=5000", "fanout=1", "target_error=1e-9", "max_rounds=25"], 40);
    let (rate, ci) = mean(runs.iter().map(|m| extra(m, "variance_ratio").unwrap()));
    let theory = gossip_lab::protocol::aggregate::push_pull_rate();
    assert!((rate - theory).abs() < 0.03 * theory + ci, "rate {rate} ± {ci} against {theory}");
    // Mass is conserved without loss: every estimate tends to the true mean.
    for m in &runs {
        assert!(extra(m, "bias").unwrap().abs() < 1e-9, "bias {:?}", extra(m, "bias"));
        assert!((extra(m, "mass").unwrap() - 1.0).abs() < 1e-9);
    }
}

/// Each function converges to its true value at every node: avg, sum and count
/// by averaging (count and sum from one node holding weight 1), min and max by
/// keeping extremes, under both exchanges. Push-sum is slower than push-pull.
#[test]
fn every_function_converges_under_both_exchanges() {
    for exchange in ["push-pull", "push-sum"] {
        for function in ["avg", "sum", "count", "min", "max"] {
            let ex = format!("exchange={exchange}");
            let f = format!("function={function}");
            let m = run(&["protocol=aggregate", "nodes=2000", "fanout=1", "target_error=0.001", &ex, &f]);
            assert_eq!(m.coverage, 1.0, "{exchange} {function}: coverage {}", m.coverage);
            let r = extra(&m, "rounds_to_error").unwrap();
            // O(log n + log 1/error) rounds (Kempe et al.), with the constant push-sum's count needs.
            assert!(r <= 2.5 * (2000f64.log2() + 1000f64.log2()), "{exchange} {function}: {r} rounds");
            let truth = extra(&m, "truth").unwrap();
            let est = extra(&m, "estimate_mean").unwrap();
            assert!(((est - truth) / truth).abs() < 0.001, "{exchange} {function}: {est} against {truth}");
        }
    }
    let pp = run(&["protocol=aggregate", "nodes=2000", "fanout=1", "target_error=0.001", "function=count"]);
    let ps = run(&[
        "protocol=aggregate",
        "nodes=2000",
        "fanout=1",
        "target_error=0.001",
        "function=count",
        "exchange=push-sum",
    ]);
    assert!(extra(&ps, "rounds_to_error") > extra(&pp, "rounds_to_error"));
}

/// Loss breaks mass conservation (a lost reply leaves one side averaged) and
/// crashes take their mass away: the estimates converge to a biased value.
/// Epochs restart from the local values and shed the bias of the crash.
#[test]
fn loss_and_crashes_bias_the_estimate_and_epochs_repair_it() {
    let lossy =
        run(&["protocol=aggregate", "nodes=2000", "fanout=1", "loss_rate=0.2", "max_rounds=60", "target_error=1e-6"]);
    assert!((extra(&lossy, "mass").unwrap() - 1.0).abs() > 1e-4, "mass {:?}", extra(&lossy, "mass"));
    assert!(extra(&lossy, "bias").unwrap().abs() > 1e-5);
    let base = ["protocol=aggregate", "nodes=2000", "fanout=1", "target_error=0.001", "faults=crash:0-199@3r"];
    let crashed = run(&[&base[..], &["max_rounds=60"]].concat());
    assert!(extra(&crashed, "bias").unwrap().abs() > 0.001, "bias {:?}", extra(&crashed, "bias"));
    assert!(crashed.coverage < 0.5, "coverage {}", crashed.coverage);
    let epochs = run(&[&base[..], &["max_rounds=59", "epoch_rounds=30"]].concat());
    assert!(extra(&epochs, "bias").unwrap().abs() < 0.001, "bias {:?}", extra(&epochs, "bias"));
    assert_eq!(epochs.coverage, 1.0);
}

/// A node with several exchanges in a round runs them one after another, each
/// atomic: at every fanout from 1 to 8, for every function and both exchanges,
/// in rounds the mass is conserved to rounding and every estimate reaches the
/// truth; in timed mode (a node in an exchange refuses others) too, with the
/// mass short only by what is still in flight when the run ends. Before
/// exchanges were atomic, count at fanout 2 settled near 1366 of 1000 nodes.
#[test]
fn exchanges_are_atomic_at_every_fanout() {
    for fanout in 1..=8 {
        for exchange in ["push-pull", "push-sum"] {
            for function in ["avg", "sum", "count", "min", "max"] {
                for timing in ["rounds", "timed"] {
                    let pairs = [
                        "protocol=aggregate",
                        "nodes=1000",
                        "target_error=1e-4",
                        "max_rounds=200",
                        &format!("fanout={fanout}"),
                        &format!("exchange={exchange}"),
                        &format!("function={function}"),
                        &format!("timing={timing}"),
                    ];
                    let m = run(&pairs);
                    let what = pairs[4..].join(" ");
                    assert_eq!(m.coverage, 1.0, "{what}: coverage {}", m.coverage);
                    let (truth, est) = (extra(&m, "truth").unwrap(), extra(&m, "estimate_mean").unwrap());
                    assert!(((est - truth) / truth).abs() < 1e-4, "{what}: {est} against {truth}");
                    if let Some(mass) = extra(&m, "mass") {
                        // Mass is what the nodes hold: in timed mode push-sum's shares in
                        // flight at the end carry a few percent, and never more than all.
                        let (below, above) = match (timing, exchange) {
                            ("rounds", _) => (1e-12, 1e-12),
                            (_, "push-pull") => (1e-3, 1e-3),
                            _ => (0.1, 1e-12),
                        };
                        assert!(mass > 1.0 - below && mass < 1.0 + above, "{what}: mass {mass}");
                    }
                }
            }
        }
    }
}

/// The variance ratio per round falls with the fanout, as each round holds
/// `fanout` atomic exchanges per node; fanout 1 is Jelasity's 1/(2 sqrt e).
/// Per fanout, 20 trials at n = 2000: each mean below the one before.
#[test]
fn variance_ratio_falls_with_fanout() {
    let mut last = 1.0;
    for fanout in 1..=8 {
        let f = format!("fanout={fanout}");
        let runs = trials(&["protocol=aggregate", "nodes=2000", &f, "target_error=1e-12", "max_rounds=40"], 20);
        let (rate, ci) = mean(runs.iter().map(|m| extra(m, "variance_ratio").unwrap()));
        assert!(rate + ci < last, "fanout {fanout}: {rate} ± {ci}, not below {last}");
        last = rate - ci;
    }
}

fn broadcast(order: &str, seed: u32) -> RunMetrics {
    let o = format!("order={order}");
    let s = format!("seed={seed}");
    run(&[
        "protocol=broadcast",
        "nodes=100",
        "fanout=2",
        "k=3",
        "backup_interval=2",
        "updates=40",
        "update_every=1",
        "senders=2",
        "timing=timed",
        "latency=exponential",
        "latency_ms_max=2000",
        "reorder_rate=0.3",
        "loss_rate=0.1",
        &o,
        &s,
    ])
}

/// Under loss and reordering, FIFO and causal delivery never violate their
/// order, and total order makes every node deliver in the sequencer's order;
/// without ordering, violations happen. Every message reaches every node. 5 seeds.
#[test]
fn ordered_delivery_holds_under_loss_and_reordering() {
    let mut none_violations = 0.0;
    for seed in 0..5 {
        let none = broadcast("none", seed);
        none_violations += extra(&none, "causal_violations").unwrap();
        assert_eq!(extra(&none, "held_back_max"), Some(0.0));
        let fifo = broadcast("fifo", seed);
        assert_eq!(extra(&fifo, "fifo_violations"), Some(0.0), "seed {seed}");
        let causal = broadcast("causal", seed);
        assert_eq!(extra(&causal, "causal_violations"), Some(0.0), "seed {seed}");
        assert_eq!(extra(&causal, "fifo_violations"), Some(0.0), "seed {seed}");
        let total = broadcast("total", seed);
        assert_eq!(extra(&total, "total_order_violations"), Some(0.0), "seed {seed}");
        // The sequencer ranks in causal order, so total order is causal too.
        assert_eq!(extra(&total, "causal_violations"), Some(0.0), "seed {seed}");
        for m in [&fifo, &causal, &total] {
            assert_eq!(m.coverage, 1.0, "seed {seed}");
            assert_eq!(extra(m, "order_violations"), Some(0.0));
        }
        // Holding back costs latency: causal and total deliver later on average than none.
        assert!(total.t_avg_ms >= none.t_avg_ms && causal.t_avg_ms >= none.t_avg_ms);
        assert!(extra(&total, "held_back_max").unwrap() > 0.0);
    }
    assert!(none_violations > 0.0, "order=none showed no violation in 5 runs");
}

/// A leader crash: the next lowest id takes over with a higher term, and every
/// live node follows it, within the detection time of membership (phi, 10 seeds).
#[test]
fn a_new_leader_is_elected_after_a_crash() {
    for seed in 0..10 {
        let s = format!("seed={seed}");
        let m = run(&["protocol=election", "nodes=30", "timing=timed", "max_rounds=70", "faults=crash:0@10s", &s]);
        let elect = extra(&m, "elect_all_ms").unwrap_or_else(|| panic!("seed {seed}: no election completed"));
        let detect_all = extra(&m, "detect_all_ms").unwrap();
        assert!(elect <= detect_all + 2000.0, "seed {seed}: elected in {elect} ms, detected in {detect_all}");
        assert!(elect >= extra(&m, "detect_first_ms").unwrap());
        assert_eq!(m.coverage, 1.0);
        assert_eq!(extra(&m, "leaders"), Some(1.0));
        assert!(extra(&m, "max_term").unwrap() >= 2.0);
    }
}

/// A long partition elects a leader on each side (the simplification: no
/// quorum), and the heal brings back one leader with a higher term.
#[test]
fn a_partition_splits_the_brain_and_the_heal_mends_it() {
    let m = run(&[
        "protocol=election",
        "nodes=30",
        "timing=timed",
        "detector=timeout",
        "max_rounds=80",
        "faults=partition:0-14/15-29@5s,heal@40s",
    ]);
    let split = extra(&m, "split_brain_ms").unwrap();
    assert!(split > 10_000.0 && split < 45_000.0, "split brain {split} ms");
    assert_eq!(extra(&m, "leaders"), Some(1.0));
    assert_eq!(m.coverage, 1.0);
    let short = run(&["protocol=election", "nodes=30", "timing=timed", "max_rounds=40"]);
    assert_eq!(extra(&short, "split_brain_ms"), Some(0.0));
}

/// Forged data spreads without signatures and is rejected with them: a rumor
/// invented by malicious nodes, forged key versions and inflated heartbeats.
#[test]
fn forgeries_spread_without_signatures_and_are_rejected_with_them() {
    let fake = ["nodes=500", "fanout=1", "malicious=0.05", "attack=fake-rumor"];
    let open = run(&fake);
    assert!(extra(&open, "polluted").unwrap() > 0.5, "polluted {:?}", extra(&open, "polluted"));
    let signed = run(&[&fake[..], &["verify=signatures"]].concat());
    assert_eq!(extra(&signed, "polluted"), Some(0.0));
    assert!(extra(&signed, "rejected").unwrap() > 0.0);
    // The real rumor is untouched by the attack.
    assert_eq!(signed.coverage, 1.0);

    let forge =
        ["protocol=membership", "timing=timed", "nodes=40", "max_rounds=40", "malicious=0.1", "attack=forge-version"];
    let open = run(&forge);
    assert!(extra(&open, "polluted").unwrap() > 0.5, "polluted {:?}", extra(&open, "polluted"));
    let signed = run(&[&forge[..], &["verify=signatures"]].concat());
    assert_eq!(extra(&signed, "polluted"), Some(0.0));
    assert!(extra(&signed, "rejected").unwrap() > 0.0);

    // A crashed node kept alive by inflated heartbeats is never detected; signatures restore detection.
    let inflate = [
        "protocol=membership",
        "timing=timed",
        "nodes=40",
        "max_rounds=50",
        "malicious=0.1",
        "attack=inflate-heartbeat",
        "faults=crash:3@10s",
    ];
    assert_eq!(extra(&run(&inflate), "detect_first_ms"), None);
    let signed = run(&[&inflate[..], &["verify=signatures"]].concat());
    assert!(extra(&signed, "detect_first_ms").is_some());
}

/// Droppers slow a rumor down: with a fifth of the nodes swallowing, push takes more rounds.
#[test]
fn droppers_slow_the_spread() {
    let base = ["nodes=2000", "fanout=1"];
    let honest = trials(&base, 20);
    let dropped = trials(&[&base[..], &["malicious=0.2", "attack=drop"]].concat(), 20);
    let (a, ca) = mean(honest.iter().map(|m| m.t100.unwrap_or(f64::NAN)));
    let (b, cb) = mean(dropped.iter().map(|m| m.t100.unwrap_or(f64::NAN)));
    assert!(b > a + ca + cb, "t100 {b} ± {cb} with droppers against {a} ± {ca}");
}

/// Bad combinations name the field and what is allowed.
#[test]
fn attacks_must_fit_the_protocol() {
    let mut s = gossip_lab::Scenario::default();
    s.apply_pairs(["malicious=0.1", "attack=forge-version"]).unwrap();
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("attack") && e.contains("drop, fake-rumor"), "{e}");
    let mut s = gossip_lab::Scenario::default();
    s.apply_pairs(["protocol=swim", "timing=timed", "malicious=0.1"]).unwrap();
    assert_eq!(s.validate().unwrap_err().field(), Some("malicious"));
    let mut s = gossip_lab::Scenario::default();
    s.apply_pairs(["nodes=10", "malicious=0.5", "origin=9"]).unwrap();
    assert_eq!(s.validate().unwrap_err().field(), Some("origin"));
}

/// Every figure a protocol declares for the page is one it reports: a run of
/// each protocol (with a crash, a partition and malicious nodes where they
/// apply) has each declared key in its metrics, so no figure reads "–" for a
/// misspelt key, and the page's id of each is distinct.
#[test]
fn declared_figures_are_reported() {
    use gossip_lab::protocol::{figures, ATTACK_FIGURES};
    use gossip_lab::scenario::ProtocolKind;
    let runs: [(ProtocolKind, &[&str]); 5] = [
        (
            ProtocolKind::Membership,
            &["protocol=membership", "nodes=30", "timing=timed", "max_rounds=40", "key_rate=0.2", "faults=crash:3@5s"],
        ),
        (ProtocolKind::Swim, &["protocol=swim", "nodes=30", "timing=timed", "max_rounds=40", "faults=crash:3@5s"]),
        (ProtocolKind::Aggregate, &["protocol=aggregate", "nodes=300", "fanout=1"]),
        (ProtocolKind::Broadcast, &["protocol=broadcast", "nodes=40", "updates=10", "update_every=1", "timing=timed"]),
        (
            ProtocolKind::Election,
            &["protocol=election", "nodes=20", "timing=timed", "max_rounds=40", "faults=crash:0@5s"],
        ),
    ];
    for (kind, pairs) in runs {
        let m = run(pairs);
        let declared = figures(kind);
        assert!(!declared.is_empty(), "{kind:?}");
        for f in declared {
            assert!(m.extra.contains_key(f.key), "{kind:?} declares {} but reports {:?}", f.key, m.extra.keys());
        }
        let mut ids: Vec<String> = declared.iter().map(|f| f.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), declared.len(), "{kind:?}");
    }
    let m = run(&["nodes=500", "fanout=1", "malicious=0.05", "attack=fake-rumor", "verify=signatures"]);
    for f in ATTACK_FIGURES {
        assert!(f.value(&m).is_some(), "the attack figure {} is not reported", f.key);
    }
}
