//! Property tests over random valid scenarios: no panic, messages conserved,
//! metrics within their ranges, and determinism.
#![cfg(not(target_arch = "wasm32"))]

use gossip_lab::Scenario;
use proptest::prelude::*;

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (2u32..300, 0u64..1000, 1u32..6, 0usize..3, 0usize..6, 1u32..5),
        (0usize..2, 0.0f64..0.6, 0.0f64..0.3, 0usize..2, 0usize..4, 0usize..2),
        proptest::option::of((0u32..300, 0u32..8, 0u32..8)),
        (0usize..7, 1u32..6, 0u32..3, 0usize..4, 0u32..4, 0.0f64..1.0),
    )
        .prop_map(
            |(
                (nodes, seed, fanout, spread, stop, k),
                (timing, loss, dup, transport, latency, view),
                fault,
                (protocol, updates, every, reconcile, app_keys, key_rate),
            )| {
                let mut s = Scenario::default();
                // Membership costs nodes squared per interval: keep its clusters small.
                let nodes = if protocol >= 2 { 2 + nodes % 100 } else { nodes };
                let spreads = ["push", "pull", "push-pull"];
                let stops = ["never", "feedback-counter", "feedback-coin", "blind-counter", "blind-coin", "rounds"];
                let lat = ["constant", "uniform", "exponential", "lognormal"];
                let pairs = [
                    format!("nodes={nodes}"),
                    format!("seed={seed}"),
                    format!("fanout={fanout}"),
                    format!("spread={}", spreads[spread]),
                    format!("stop={}", stops[stop]),
                    format!("k={k}"),
                    format!("timing={}", ["rounds", "timed"][timing]),
                    format!("loss_rate={loss}"),
                    format!("duplicate_rate={dup}"),
                    format!("transport={}", ["udp", "tcp"][transport]),
                    format!("latency={}", lat[latency]),
                    format!("view={}", ["full", "partial"][view]),
                    format!("view_size={}", (nodes / 2).clamp(2, 8).min(nodes.saturating_sub(1)).max(2)),
                    "max_rounds=60".to_string(),
                    "ack_timeout_ms=100".to_string(),
                    format!(
                        "protocol={}",
                        ["rumor", "anti-entropy", "membership", "swim", "aggregate", "broadcast", "election"][protocol]
                    ),
                    format!("order={}", ["none", "fifo", "causal", "total"][stop % 4]),
                    format!("function={}", ["avg", "sum", "count", "min", "max"][stop % 5]),
                    format!("exchange={}", ["push-pull", "push-sum"][transport]),
                    format!("epoch_rounds={}", 10 * every),
                    format!("senders={}", every.min(nodes)),
                    format!("malicious={}", if k % 3 == 0 { 0.1 } else { 0.0 }),
                    format!("verify={}", ["none", "signatures"][view]),
                    format!("updates={updates}"),
                    format!("update_every={every}"),
                    format!("reconcile={}", ["full", "checksum", "recent", "merkle"][reconcile]),
                    format!("keys={}", 50 + nodes),
                    format!("app_keys={app_keys}"),
                    format!("key_rate={key_rate}"),
                    format!("conn_limit={}", stop % 3),
                    format!("backup_interval={}", 3 * (k % 2)),
                ];
                s.apply_pairs(pairs.iter().map(String::as_str)).unwrap();
                let attacks = s.attacks();
                if attacks.is_empty() {
                    s.malicious = 0.0;
                } else {
                    s.set("attack", attacks[k as usize % attacks.len()]).unwrap();
                }
                if s.view_size >= s.nodes {
                    s.view = gossip_lab::scenario::ViewKind::Full;
                }
                if let Some((node, a, b)) = fault {
                    let n = node % s.nodes;
                    s.set(
                        "faults",
                        &format!(
                            "crash:{n}@{a}r,restart:{n}@{}r,partition:0-{}@1r,heal@{b}r,update:{n}@{b}r,delete:{n}@{}r,join:2@{a}r",
                            a + b,
                            s.nodes / 2,
                            b + 1
                        ),
                    )
                    .unwrap();
                }
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any valid scenario runs to the end without panicking, conserves messages,
    /// keeps metrics in range, and repeats exactly.
    #[test]
    fn any_scenario_runs_and_balances(s in scenario()) {
        prop_assume!(s.validate().is_ok());
        let m = gossip_lab::run(&s).unwrap();
        prop_assert_eq!(m.sent + m.duplicated, m.delivered + m.dropped + m.in_flight);
        prop_assert!((0.0..=1.0).contains(&m.coverage));
        prop_assert!(m.per_update.iter().all(|u| (0.0..=1.0).contains(&u.coverage)));
        if let Some(Some(c)) = m.extra.get("state_coverage") {
            prop_assert!((0.0..=1.0).contains(c));
        }
        prop_assert!(m.live <= u64::from(s.capacity()));
        prop_assert!(m.traffic <= m.msgs_per_node + 1e-12);
        if let (Some(a), Some(l)) = (m.t_avg, m.t_last) {
            prop_assert!(a <= l + 1e-9);
        }
        prop_assert!(m.rounds <= s.max_rounds);
        let again = gossip_lab::run(&s).unwrap();
        prop_assert_eq!(m, again);
    }

    /// Every scenario survives its URL fragment unchanged.
    #[test]
    fn fragment_round_trip(s in scenario()) {
        let (back, errors) = Scenario::from_fragment(&s.to_fragment());
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(back, s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The engine's fast lane, and the protocols' own rounds in it (the rumor
    /// lane, walked in memory order where the order cannot matter), give the same
    /// run and trace as the general path, which a trace sink turns on.
    #[test]
    fn fast_lane_is_the_general_path(s in scenario()) {
        prop_assume!(s.validate().is_ok());
        let fast = gossip_lab::run(&s).unwrap();
        let mut general = gossip_lab::sim::build(&s).unwrap();
        general.set_trace_sink(Box::new(|_| {}));
        general.run_to_end();
        prop_assert_eq!(general.metrics(), fast);
    }
}

/// Scenarios the fast lane runs, and only those: rumor in rounds on a perfect
/// network, one update, any spread, stop rule (either counting), parameter and
/// fanout, full or partial views, with crashes and restarts.
fn lane_scenario() -> impl Strategy<Value = Scenario> {
    (
        (2u32..3000, 0u64..(1 << 53), 1u32..9, 0usize..3, 0usize..6, 1u32..6, 0usize..2),
        proptest::collection::vec((0u32..3000, 0u32..12, 1u32..12), 0..4),
        0usize..2,
    )
        .prop_map(|((nodes, seed, fanout, spread, stop, k, view), crashes, counting)| {
            let spreads = ["push", "pull", "push-pull"];
            let stops = ["never", "feedback-counter", "feedback-coin", "blind-counter", "blind-coin", "rounds"];
            let faults: Vec<String> = crashes
                .iter()
                .map(|&(n, at, down)| format!("crash:{}@{at}r,restart:{}@{}r", n % nodes, n % nodes, at + down))
                .collect();
            let pairs = [
                format!("nodes={nodes}"),
                format!("seed={seed}"),
                format!("fanout={fanout}"),
                format!("spread={}", spreads[spread]),
                format!("stop={}", stops[stop]),
                format!("k={k}"),
                format!("counting={}", ["total", "consecutive"][counting]),
                format!("view={}", if nodes > 9 { ["full", "partial"][view] } else { "full" }),
                "max_rounds=80".to_string(),
                format!("faults={}", faults.join(",")),
            ];
            let mut s = Scenario::default();
            s.apply_pairs(pairs.iter().map(String::as_str)).unwrap();
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The fast lane is the general path: over scenarios the lane runs, the lane
    /// runs rounds (it is reached: `lane_rounds` counts them) and gives the same
    /// metrics and trace hash as the general path, which a trace sink forces.
    #[test]
    fn the_lane_runs_and_equals_the_general_path(s in lane_scenario()) {
        s.validate().unwrap();
        let mut fast = gossip_lab::sim::build(&s).unwrap();
        fast.run_to_end();
        prop_assert!(fast.lane_rounds() > 0, "the lane ran no round of {}", s.to_fragment());
        let mut general = gossip_lab::sim::build(&s).unwrap();
        general.set_trace_sink(Box::new(|_| {}));
        general.run_to_end();
        prop_assert_eq!(general.lane_rounds(), 0);
        prop_assert_eq!(general.metrics(), fast.metrics(), "{}", s.to_fragment());
    }
}
