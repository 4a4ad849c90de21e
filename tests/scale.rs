//! Membership protocols at scale: what a run holds per node, counted by the
//! allocator (installed here as in the binary). SWIM's views are shared where
//! nodes agree, so a 2,000-node run with a crash holds a few megabytes where
//! the n² table held 64; heartbeat membership's state is inherently n².
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use gossip_lab::sim::{build, mem};

#[global_allocator]
static ALLOC: mem::Counting = mem::Counting;

/// The allocator's count is the process's: the tests here take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Bytes the run of `pairs` holds at its end, and the run's metrics.
fn held(pairs: &[&str]) -> (usize, gossip_lab::metrics::RunMetrics) {
    let before = mem::allocated().expect("counted");
    let mut sim = build(&scenario(pairs)).unwrap();
    sim.run_to_end();
    let after = mem::allocated().expect("counted");
    (after.saturating_sub(before), sim.metrics())
}

#[test]
fn swim_holds_little_per_node() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (bytes, m) = held(&["protocol=swim", "nodes=2000", "timing=timed", "max_rounds=25", "faults=crash:7@5s"]);
    assert_eq!(m.extra.get("detect_all_ms").copied().flatten().is_some(), true, "the crash was detected");
    // The dense table alone was 2,000² × 16 bytes = 64 MB.
    assert!(bytes < 8 << 20, "{bytes} bytes held by a 2,000-node SWIM run");
    // And the page takes it.
    let s = scenario(&["protocol=swim", "nodes=2000", "timing=timed"]);
    s.validate_for_page().unwrap();
    let e = scenario(&["protocol=swim", "nodes=2001", "timing=timed"]).validate_for_page().unwrap_err().to_string();
    assert!(e.contains("the page runs swim on at most 2000 nodes") && e.contains("command line takes 20000"), "{e}");
}

#[test]
fn heartbeat_membership_is_quadratic() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (small, _) = held(&["protocol=membership", "nodes=200", "timing=timed", "max_rounds=5"]);
    let (large, _) = held(&["protocol=membership", "nodes=400", "timing=timed", "max_rounds=5"]);
    let ratio = large as f64 / small as f64;
    assert!((3.6..4.2).contains(&ratio), "400 nodes hold {ratio:.2}× what 200 hold");
    // About 190 bytes a pair (a 56-byte view and four 32-byte application keys).
    let per_pair = large as f64 / 400.0 / 400.0;
    assert!((150.0..230.0).contains(&per_pair), "{per_pair:.0} bytes a pair");
}
