//! Membership protocols at scale: what a run holds per node, counted by the
//! allocator (installed here as in the binary). SWIM's views are shared where
//! nodes agree, so a 2,000-node run with a crash holds a few megabytes where
//! the n² table held 64. Heartbeat membership's failure detector is inherently
//! n² (each observer's arrival times are its own), at 32 bytes a pair; its
//! application keys are shared where nodes agree.
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
fn heartbeat_membership_is_quadratic_at_32_bytes_a_pair() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (small, _) = held(&["protocol=membership", "nodes=200", "timing=timed", "max_rounds=5"]);
    let (large, _) = held(&["protocol=membership", "nodes=400", "timing=timed", "max_rounds=5"]);
    let ratio = large as f64 / small as f64;
    assert!((3.3..4.2).contains(&ratio), "400 nodes hold {ratio:.2}× what 200 hold ({large} and {small} bytes)");
    // A 32-byte view a pair: the failure detector's state is each observer's own.
    let per_pair = large as f64 / 400.0 / 400.0;
    assert!((32.0..40.0).contains(&per_pair), "{per_pair:.0} bytes a pair");
}

/// Application keys written all along (and a delete): where nodes agree they
/// are shared; an observer behind on many (here 400 nodes each writing every 5
/// s, deltas cut to the MTU) holds its row whole, at 16 bytes a key. Before,
/// every pair held four 32-byte entries and a 56-byte view: 190 bytes.
#[test]
fn written_keys_are_shared() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (bytes, m) = held(&[
        "protocol=membership",
        "nodes=400",
        "timing=timed",
        "max_rounds=30",
        "key_rate=0.2",
        "faults=delete:3/1@10s,crash:9@12s",
    ]);
    assert!(m.extra["state_writes"].unwrap() > 1000.0, "{:?}", m.extra["state_writes"]);
    assert!(m.extra["resurrections"].is_some(), "the delete happened");
    let per_pair = bytes as f64 / 400.0 / 400.0;
    // Plus the ledger of 2,000 writes and who holds each.
    assert!(per_pair < 125.0, "{per_pair:.0} bytes a pair");
}

#[test]
fn the_page_takes_2000_heartbeat_nodes() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for p in ["membership", "election"] {
        let proto = format!("protocol={p}");
        scenario(&[&proto, "nodes=2000", "timing=timed"]).validate_for_page().unwrap();
        let e = scenario(&[&proto, "nodes=2001", "timing=timed"]).validate_for_page().unwrap_err().to_string();
        assert!(e.contains(&format!("the page runs {p} on at most 2000 nodes")) && e.contains("takes 10000"), "{e}");
        let mut s = gossip_lab::Scenario::default();
        s.apply_pairs([proto.as_str(), "nodes=10001"]).unwrap();
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("nodes") && e.contains("allowed 2 to 10000"), "{e}");
    }
}
