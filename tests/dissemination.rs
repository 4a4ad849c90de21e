//! Rumor mongering and anti-entropy, every variant, against theory: fixed seeds,
//! hundreds of trials at n = 1000, and a stated modelling margin beside each
//! 95% confidence interval.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use gossip_lab::theory;

const STOP_RULES: [&str; 5] = ["feedback-counter", "feedback-coin", "blind-counter", "blind-coin", "rounds"];

/// Every stop rule, k = 1..4, push with fanout 1, 200 trials at n = 1000: the mean
/// residue and traffic agree with the stop-rule model (`theory::sir`).
/// Margin: 0.01 of residue plus 10% of it (the model is the n -> infinity mean
/// field; at k = 1 a tenth of the runs die in the first rounds), and 0.05 messages per node.
#[test]
fn every_stop_rule_matches_the_model() {
    for rule in STOP_RULES {
        for k in 1..=4u32 {
            let pairs = ["nodes=1000", "fanout=1", &format!("stop={rule}"), &format!("k={k}"), "seed=21"];
            let runs = trials(&pairs, 200);
            let model = theory::sir_end(&scenario(&pairs));
            let (res, rci) = mean(runs.iter().map(|r| r.residue));
            let (tr, tci) = mean(runs.iter().map(|r| r.traffic));
            assert!(
                (res - model.residue).abs() < 0.01 + 0.1 * model.residue + rci,
                "{rule} k={k}: residue {res:.4} ± {rci:.4}, model {:.4}",
                model.residue
            );
            assert!(
                (tr - model.traffic).abs() < 0.05 + tci,
                "{rule} k={k}: traffic {tr:.3} ± {tci:.3}, model {:.3}",
                model.traffic
            );
        }
    }
}

/// Demers et al.: for push rumor mongering the residue and the traffic are tied by
/// s = e^-m, whatever the stop rule. Checked on the means of 200 trials for every
/// rule at k = 2 and 3 (those with a residue measurable at n = 1000), within 0.01.
#[test]
fn residue_is_e_to_minus_traffic() {
    for rule in STOP_RULES {
        for k in [2u32, 3] {
            let runs = trials(&["nodes=1000", "fanout=1", &format!("stop={rule}"), &format!("k={k}"), "seed=22"], 200);
            let (s, _) = mean(runs.iter().map(|r| r.residue));
            let (m, _) = mean(runs.iter().map(|r| r.traffic));
            assert!((s - (-m).exp()).abs() < 0.01, "{rule} k={k}: residue {s:.4}, e^-traffic {:.4}", (-m).exp());
        }
    }
}

/// The model's delivery times: mean t_avg within 0.4 rounds and t_last within 1.5
/// rounds (the last delivery is an extreme, the model gives its typical value), for
/// the counter and rounds rules at k = 2 and 4.
#[test]
fn delivery_times_match_the_model() {
    for rule in ["feedback-counter", "blind-counter", "rounds"] {
        for k in [2u32, 4] {
            let pairs = ["nodes=1000", "fanout=1", &format!("stop={rule}"), &format!("k={k}"), "seed=23"];
            let runs = trials(&pairs, 200);
            let model = theory::sir_end(&scenario(&pairs));
            let (avg, aci) = mean(runs.iter().filter_map(|r| r.t_avg));
            let (last, lci) = mean(runs.iter().filter_map(|r| r.t_last));
            assert!((avg - model.t_avg).abs() < 0.4 + aci, "{rule} k={k}: t_avg {avg:.2}, model {:.2}", model.t_avg);
            assert!(
                (last - f64::from(model.t_last)).abs() < 1.5 + lci,
                "{rule} k={k}: t_last {last:.2}, model {}",
                model.t_last
            );
        }
    }
}

/// A larger k always buys a smaller residue with more traffic, for every rule.
#[test]
fn larger_k_less_residue_more_traffic() {
    for rule in STOP_RULES {
        let at = |k: u32| {
            let runs = trials(&["nodes=1000", "fanout=1", &format!("stop={rule}"), &format!("k={k}"), "seed=24"], 100);
            (mean(runs.iter().map(|r| r.residue)).0, mean(runs.iter().map(|r| r.traffic)).0)
        };
        let (s2, m2) = at(2);
        let (s4, m4) = at(4);
        assert!(s4 < s2 && m4 > m2, "{rule}: k=2 ({s2:.4}, {m2:.2}) vs k=4 ({s4:.4}, {m4:.2})");
    }
}

/// Anti-entropy with one partner per cycle follows the never-stopping mean field:
/// push x' = 1-(1-x)e^-x, pull (1-x)' = (1-x)², push-pull both. The mean one-round
/// residual over every round of 100 trials (2% < x < 98%) is within 0.01, for every
/// reconciliation method (they differ in bytes, not in what they deliver).
#[test]
fn anti_entropy_follows_the_mean_field() {
    for method in ["full", "checksum", "recent", "merkle"] {
        for spread in ["push", "pull", "push-pull"] {
            let pairs = [
                "nodes=1000",
                "protocol=anti-entropy",
                "fanout=1",
                "keys=500",
                &format!("reconcile={method}"),
                &format!("spread={spread}"),
                "seed=25",
            ];
            let s = scenario(&pairs);
            let (mut sum, mut count) = (0.0, 0u32);
            for i in 0..100 {
                let mut t = s.clone();
                t.seed = gossip_lab::sim::rng::trial_seed(s.seed, i);
                let mut sim = gossip_lab::sim::build(&t).unwrap();
                sim.run_to_end();
                assert_eq!(sim.metrics().coverage, 1.0, "{method} {spread}: did not converge");
                for w in sim.series().points.windows(2) {
                    let x = w[0].coverage;
                    if x > 0.02 && x < 0.98 {
                        sum += w[1].coverage - theory::mean_field_step(s.spread, 1, 0.0, x);
                        count += 1;
                    }
                }
            }
            let r = sum / f64::from(count);
            assert!(count > 300 && r.abs() < 0.01, "{method} {spread}: mean residual {r:.4} over {count} steps");
        }
    }
}

/// Pull anti-entropy squares the uninformed fraction each cycle (Demers et al.:
/// p' = p²), which is why it finishes fast; push only multiplies it by about e^-(1-p).
/// Over 200 trials, at the first round where at least 80% hold the update, the ratio
/// of the next round's uninformed fraction to the predicted one averages 1 within 0.05.
#[test]
fn pull_squares_the_residue() {
    for spread in ["pull", "push"] {
        let pairs =
            ["nodes=1000", "protocol=anti-entropy", "fanout=1", "keys=100", &format!("spread={spread}"), "seed=26"];
        let s = scenario(&pairs);
        let mut ratios = Vec::new();
        for i in 0..200 {
            let mut t = s.clone();
            t.seed = gossip_lab::sim::rng::trial_seed(s.seed, i);
            let mut sim = gossip_lab::sim::build(&t).unwrap();
            sim.run_to_end();
            let pts = &sim.series().points;
            let r = pts.iter().position(|p| p.coverage >= 0.8).expect("reaches 80%");
            let p = 1.0 - pts[r].coverage;
            let predicted = if spread == "pull" { p * p } else { p * (-(1.0 - p)).exp() };
            ratios.push((1.0 - pts[r + 1].coverage) / predicted);
        }
        let (m, ci) = mean(ratios);
        assert!((m - 1.0).abs() < 0.05 + ci, "{spread}: measured / predicted = {m:.3} ± {ci:.3}");
    }
}

/// Bytes per node for a store of 10,000 keys where 100 updates (1%) are written at
/// 100 nodes, push-pull: each method's bytes follow from its messages. Full sends
/// the whole store both ways each exchange; checksum saves the exchanges between
/// equal stores; recent lists (window longer than the spread) avoid full stores;
/// the Merkle descent sends only differing ranges. Each wins over the one before.
#[test]
fn reconcile_methods_bytes_order() {
    let bytes = |method: &str| {
        let runs = trials(
            &[
                "nodes=200",
                "protocol=anti-entropy",
                "spread=push-pull",
                "fanout=1",
                "keys=10000",
                "updates=100",
                "recent_window=30",
                &format!("reconcile={method}"),
                "seed=27",
            ],
            5,
        );
        assert!(runs.iter().all(|r| r.coverage == 1.0), "{method} did not converge");
        mean(runs.iter().map(|r| r.bytes_per_node)).0
    };
    let (full, checksum, recent, merkle) = (bytes("full"), bytes("checksum"), bytes("recent"), bytes("merkle"));
    // Full: every message is the whole store, 10,000 entries of 16 + 64 bytes plus 38 of headers.
    let one = trials(
        &[
            "nodes=200",
            "protocol=anti-entropy",
            "spread=push-pull",
            "fanout=1",
            "keys=10000",
            "updates=100",
            "reconcile=full",
            "seed=27",
        ],
        1,
    );
    let store = 10_000.0 * 80.0 + 38.0;
    assert!((one[0].bytes_per_node - one[0].msgs_per_node * store).abs() < 1.0, "full: not whole stores");
    assert!(checksum < full && recent < checksum && merkle < checksum, "{full} {checksum} {recent} {merkle}");
    assert!(merkle < full / 50.0 && recent < full / 50.0, "full {full:.0}, recent {recent:.0}, merkle {merkle:.0}");
}

/// Several concurrent rumors: 20 updates written one round apart from random nodes
/// all reach everyone (stop=never), and each one's delivery time matches a single
/// rumor's (the per-update t_avg mean is within 0.5 rounds of the one-update runs).
#[test]
fn concurrent_rumors_each_spread_like_one() {
    let multi = trials(&["nodes=1000", "fanout=1", "updates=20", "update_every=1", "seed=28"], 30);
    let single = trials(&["nodes=1000", "fanout=1", "seed=28"], 200);
    assert!(multi.iter().all(|r| r.coverage == 1.0 && r.updates == 20 && r.per_update.len() == 20));
    let (m, mci) = mean(multi.iter().flat_map(|r| r.per_update.iter().map(|u| u.t_avg_ms.unwrap() / 1000.0)));
    let (s, sci) = mean(single.iter().map(|r| r.t_avg.unwrap()));
    assert!((m - s).abs() < 0.5 + mci + sci, "20 rumors: t_avg {m:.2}, one rumor {s:.2}");
    // Hot rumors travel together: fewer update messages than 20 separate rumors would need.
    let (traffic, _) = mean(multi.iter().map(|r| r.traffic));
    let (one, _) = mean(single.iter().map(|r| r.traffic));
    assert!(traffic < 20.0 * one * 0.5, "traffic {traffic:.1} for 20 rumors, {one:.1} for one");
}

/// A connection limit of one contact per round slows the start of push-pull (a node
/// refuses the second caller) but everyone is still reached.
#[test]
fn connection_limit_slows_but_reaches_all() {
    let free = trials(&["nodes=1000", "fanout=2", "spread=push-pull", "seed=29"], 100);
    let limited = trials(&["nodes=1000", "fanout=2", "spread=push-pull", "conn_limit=1", "seed=29"], 100);
    assert!(limited.iter().all(|r| r.coverage == 1.0));
    let (a, _) = mean(free.iter().map(|r| r.t_avg.unwrap()));
    let (b, _) = mean(limited.iter().map(|r| r.t_avg.unwrap()));
    assert!(b > a + 0.3, "no limit t_avg {a:.2}, limit 1: {b:.2}");
}

/// Anti-entropy backup drives the residue of a lossy stop rule to zero: feedback-coin
/// with k = 1 leaves about 17.5% uninformed alone, and none with a backup every 5 rounds.
#[test]
fn backup_drives_residue_to_zero() {
    let alone = trials(&["nodes=1000", "fanout=1", "stop=feedback-coin", "k=1", "seed=30"], 50);
    let backed = trials(&["nodes=1000", "fanout=1", "stop=feedback-coin", "k=1", "backup_interval=5", "seed=30"], 50);
    let (a, _) = mean(alone.iter().map(|r| r.residue));
    assert!(a > 0.1, "without backup the residue is {a:.3}");
    assert!(backed.iter().all(|r| r.residue == 0.0), "backup left a residue");
}

/// A partition delays coverage and a heal restores it: with the cluster cut in two
/// halves until round 15, anti-entropy stays within the origin's half, then covers all.
#[test]
fn partition_delays_and_heal_restores() {
    for protocol in ["rumor", "anti-entropy"] {
        let m = trials(
            &[
                "nodes=1000",
                &format!("protocol={protocol}"),
                "spread=push-pull",
                "faults=partition:0-499/500-999@0r,heal@15r",
                "seed=31",
            ],
            20,
        );
        for r in &m {
            assert_eq!(r.coverage, 1.0, "{protocol}: healed cluster not covered");
            assert!(r.t100.unwrap() > 15.0, "{protocol}: covered before the heal at {:?}", r.t100);
        }
        let mut t = scenario(&[
            "nodes=1000",
            &format!("protocol={protocol}"),
            "spread=push-pull",
            "faults=partition:0-499/500-999@0r,heal@15r",
        ]);
        t.max_rounds = 14;
        let early = gossip_lab::run(&t).unwrap();
        assert!(early.coverage <= 0.5 + 1e-9, "{protocol}: crossed the partition ({})", early.coverage);
    }
}

/// Crashed nodes are not residue: with 100 of 1000 nodes crashed from the start,
/// coverage over the live nodes reaches 1, for both families.
#[test]
fn crashed_nodes_are_not_residue() {
    for protocol in ["rumor", "anti-entropy"] {
        let r = run(&["nodes=1000", &format!("protocol={protocol}"), "faults=crash:500-599@0r", "seed=32"]);
        assert_eq!(r.live, 900);
        assert_eq!(r.residue, 0.0, "{protocol}");
    }
}

/// A replica keeps its store across a crash, and a run does not end while faults
/// are still to come: a node crashed at round 1 and restarted at round 40 catches up
/// on the ten updates it missed, and the run ends with every live node covered.
#[test]
fn restarted_replica_catches_up() {
    let r = run(&[
        "nodes=300",
        "protocol=anti-entropy",
        "spread=push-pull",
        "updates=10",
        "update_every=2",
        "faults=crash:7@1r,restart:7@40r",
        "seed=33",
    ]);
    assert_eq!(r.live, 300);
    assert_eq!(r.coverage, 1.0);
    assert!(r.rounds > 40, "ended at round {} before the restart", r.rounds);
}
