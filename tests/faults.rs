//! Network and fault features, each with an observable effect.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

/// A partition from the start confines the rumor to the origin's side until it heals,
/// and heal restores full coverage.
#[test]
fn partition_delays_and_heal_restores() {
    let held = run(&["nodes=200", "faults=partition:0-99@0s", "max_rounds=30"]);
    assert!((held.coverage - 0.5).abs() < 1e-9, "coverage {}", held.coverage);
    assert!(held.dropped_partition > 0);
    let healed = run(&["nodes=200", "faults=partition:0-99@0s,heal@10r"]);
    assert_eq!(healed.coverage, 1.0);
    assert!(healed.t100.unwrap() > 10.0, "coverage completed only after the heal: {:?}", healed.t100);
}

/// Crashed nodes are not residue: crash a fifth of the cluster before the start and
/// the others all get the rumor; messages to crashed nodes are counted as dropped.
#[test]
fn crashed_nodes_are_not_residue() {
    let m = run(&["nodes=500", "faults=crash:400-499@0s"]);
    assert_eq!(m.live, 400);
    assert_eq!(m.coverage, 1.0);
    assert_eq!(m.residue, 0.0);
    assert!(m.dropped_down > 0);
}

/// A restarted node comes back empty and is informed again; a leave is permanent.
#[test]
fn restart_and_leave() {
    let m = run(&["nodes=100", "faults=crash:50-59@1r,restart:50-59@3r,leave:60@1r"]);
    assert_eq!(m.live, 99);
    assert_eq!(m.coverage, 1.0);
}

/// Joins add nodes that then receive the rumor.
#[test]
fn joins_grow_the_cluster() {
    let m = run(&["nodes=100", "stop=never", "faults=join:50@2r"]);
    assert_eq!(m.live, 150);
    assert_eq!(m.coverage, 1.0);
}

/// Cut links block exactly those links: isolating node 1 from everyone leaves it uninformed.
#[test]
fn cut_isolates() {
    let m = run(&["nodes=50", "faults=cut:1/0+2-49@0s", "max_rounds=40"]);
    assert!((m.coverage - 49.0 / 50.0).abs() < 1e-9, "coverage {}", m.coverage);
}

/// Loss can change over time: total loss from the start halts the rumor, and lifting it resumes.
#[test]
fn loss_changes_on_schedule() {
    let m = run(&["nodes=100", "faults=loss:1@0s,loss:0@5r"]);
    assert_eq!(m.coverage, 1.0);
    assert!(m.t50.unwrap() > 5.0, "nothing spread before round 5: {:?}", m.t50);
}

/// Churn keeps crashing and restarting nodes; with stop=never and a long run the rumor
/// still reaches almost every live node, and live count moves below the cluster size.
#[test]
fn churn_runs() {
    let m = run(&["nodes=300", "timing=timed", "spread=push-pull", "faults=churn:0.05@0s", "max_rounds=40"]);
    assert!(m.live < 300);
    assert!(m.dropped_down > 0);
}

/// UDP datagrams above the MTU are dropped with oversize=drop: a payload that does not fit stops the rumor.
#[test]
fn mtu_drop() {
    let m = run(&["nodes=50", "payload_bytes=2000", "mtu_bytes=1400", "oversize=drop", "max_rounds=20"]);
    assert!(m.coverage < 0.05 && m.dropped_oversize > 0);
    let split = run(&["nodes=50", "payload_bytes=2000", "mtu_bytes=1400", "oversize=split"]);
    assert_eq!(split.coverage, 1.0);
}

/// TCP loses nothing at 30% loss but pays in delay: the timed run takes longer than at 0%.
#[test]
fn tcp_trades_loss_for_delay() {
    let lossy = run(&["nodes=300", "timing=timed", "transport=tcp", "loss_rate=0.3", "spread=push-pull"]);
    let clean = run(&["nodes=300", "timing=timed", "transport=tcp", "spread=push-pull"]);
    assert_eq!(lossy.dropped_loss, 0);
    assert_eq!(lossy.coverage, 1.0);
    assert!(lossy.t_avg_ms.unwrap() > clean.t_avg_ms.unwrap());
}

/// Timed mode: latency adds to delivery time; larger latency, later t_last.
#[test]
fn latency_delays_delivery() {
    let near = run(&["nodes=500", "timing=timed", "latency_ms_min=1", "latency_ms_max=5", "interval_ms=100", "seed=3"]);
    let far =
        run(&["nodes=500", "timing=timed", "latency_ms_min=200", "latency_ms_max=400", "interval_ms=100", "seed=3"]);
    assert!(far.t_last_ms.unwrap() > near.t_last_ms.unwrap() + 200.0);
}

/// Partial views (Cyclon) with seed nodes still spread the rumor to everyone.
#[test]
fn partial_views_spread() {
    let m = run(&["nodes=1000", "view=partial", "view_size=8", "seeds=2", "spread=push-pull"]);
    assert_eq!(m.coverage, 1.0);
}
