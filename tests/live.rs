//! Live changes: a setting a running cluster can change (`scenario::Live`) is
//! an entry of the fault schedule (`fanout:3@12r`) and the run goes on under
//! it. A change at time 0 must give exactly the run that starts with the value
//! (so every field a protocol derives from a live setting is retuned), a change
//! part-way must take effect from then, and the interval's change moves the
//! clock and what the schedule wrote for later rounds.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use gossip_lab::scenario::{Live, PARAMS};
use gossip_lab::Scenario;

/// A value of each live setting other than its default.
fn other_value(key: &str) -> &'static str {
    match key {
        "spread" => "push-pull",
        "fanout" => "3",
        "stop" => "feedback-counter",
        "k" => "3",
        "counting" => "consecutive",
        "pullers" => "all",
        "conn_limit" => "2",
        "backup_interval" => "3",
        "detector" => "timeout",
        "fail_timeout_ms" => "3000",
        "phi_threshold" => "5",
        "key_rate" => "0.5",
        "indirect_probes" => "1",
        "ack_timeout_ms" => "100",
        "suspicion_ms" => "3000",
        "lambda" => "2",
        "target_error" => "0.001",
        "interval_ms" => "700",
        "jitter" => "0.3",
        "loss_rate" => "0.1",
        "latency" => "exponential",
        "latency_ms_min" => "5",
        "latency_ms_max" => "80",
        "duplicate_rate" => "0.1",
        "reorder_rate" => "0.2",
        "uplink_bytes_per_s" => "20000",
        "queue_bytes_max" => "3000",
        other => panic!("no test value for the live setting {other}: add one"),
    }
}

/// One scenario per protocol and timing, each with a crash and a workload
/// written over several rounds, so that timers, retries and the schedule are in play.
const BASES: [&str; 9] = [
    "nodes=300&fanout=1&stop=feedback-coin&updates=3&update_every=2",
    "nodes=200&timing=timed&updates=3&update_every=2&faults=crash:5@3s",
    "nodes=80&protocol=anti-entropy&spread=push-pull&fanout=1&keys=500&updates=20&reconcile=recent",
    "nodes=40&protocol=membership&timing=timed&max_rounds=40&key_rate=0.2&faults=crash:7@10s",
    "nodes=40&protocol=swim&timing=timed&max_rounds=40&faults=crash:7@10s",
    "nodes=500&protocol=aggregate&fanout=1&target_error=0.01",
    "nodes=300&protocol=aggregate&timing=timed&fanout=2&function=count&max_rounds=30",
    "nodes=60&protocol=broadcast&fanout=2&k=3&updates=20&update_every=1&senders=2&timing=timed&latency=exponential",
    "nodes=30&protocol=election&timing=timed&max_rounds=40&faults=crash:0@10s",
];

fn build(fragment: &str) -> Result<Scenario, String> {
    let (s, errors) = Scenario::from_fragment(fragment);
    if !errors.is_empty() {
        return Err(format!("{errors:?}"));
    }
    s.validate().map_err(|e| e.to_string())?;
    Ok(s)
}

fn with_fault(base: &str, entry: &str) -> String {
    match base.split_once("&faults=") {
        Some((head, faults)) => format!("{head}&faults={entry},{faults}"),
        None => format!("{base}&faults={entry}"),
    }
}

/// Every live setting of the parameter table, on every protocol: a change at
/// time 0 is the run that starts with the value, trace hash and all (the other
/// run carries a `heal` at 0, a no-op that leaves the same mark in the trace).
/// Where the value is refused from the start, the change is refused too.
#[test]
fn a_change_at_zero_is_the_run_that_starts_with_it() {
    let live: Vec<&str> = PARAMS.iter().filter(|p| p.live == Live::Live).map(|p| p.key).collect();
    assert!(live.len() >= 20, "{live:?}");
    let mut compared = 0;
    for base in BASES {
        for key in &live {
            let value = other_value(key);
            let from_start = build(&with_fault(&format!("{base}&{key}={value}"), "heal@0ms"));
            let changed = build(&with_fault(base, &format!("{key}:{value}@0ms")));
            match (from_start, changed) {
                (Ok(a), Ok(b)) => {
                    let (ma, mb) = (gossip_lab::run(&a).unwrap(), gossip_lab::run(&b).unwrap());
                    assert_eq!(ma.trace_hash, mb.trace_hash, "{base} with {key}={value}");
                    assert_eq!(ma.rounds, mb.rounds, "{base} with {key}={value}");
                    compared += 1;
                }
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{base} with {key}={value}: from the start {a:?}, as a change {b:?}"),
            }
        }
    }
    assert!(compared > 150, "{compared} runs compared");
}

/// A change part-way applies from then on: raising the fanout at round 3 speeds
/// the rest of the climb; rounds before it are those of the unchanged run.
#[test]
fn a_change_part_way_applies_from_then() {
    let plain = build("nodes=2000&fanout=1").unwrap();
    let raised = build("nodes=2000&fanout=1&faults=fanout:4@3r").unwrap();
    let (mut a, mut b) =
        (gossip_lab::sim::engine::build(&plain).unwrap(), gossip_lab::sim::engine::build(&raised).unwrap());
    a.run_to_end();
    b.run_to_end();
    let (sa, sb) = (&a.series().points, &b.series().points);
    for r in 0..=3 {
        assert_eq!(sa[r].coverage, sb[r].coverage, "round {r}");
    }
    assert!(sb[6].coverage > sa[6].coverage + 0.2, "round 6: {} against {}", sb[6].coverage, sa[6].coverage);
    assert!(b.metrics().rounds < a.metrics().rounds);
    // The engine's settings are the live ones now.
    assert_eq!(b.scenario().fanout, 4);
}

/// The interval is live: from round 3 rounds last 500 ms, and an entry written
/// for round 6 still lands after round 6 (now at 4.5 s, not 6 s).
#[test]
fn the_interval_moves_the_clock_and_the_rounds_with_it() {
    let s = build("nodes=500&fanout=1&faults=interval_ms:500@3r,crash:0-99@6r").unwrap();
    let mut sim = gossip_lab::sim::engine::build(&s).unwrap();
    sim.run_to_end();
    let pts = &sim.series().points;
    assert_eq!(pts[3].t_ms, 3000.0);
    assert_eq!(pts[4].t_ms, 3500.0);
    assert_eq!(pts[10].t_ms, 6500.0);
    // An entry for round 6 lands between rounds 6 and 7 (at 6 s it would wait for round 9).
    assert_eq!(pts[6].live, 500);
    assert_eq!(pts[7].live, 400, "the crash written for round 6");
    // Timed: the interval under way keeps its end, the next ones are shorter.
    let t = build("nodes=200&timing=timed&max_rounds=20&faults=interval_ms:250@2500ms").unwrap();
    let mut sim = gossip_lab::sim::engine::build(&t).unwrap();
    sim.run_to_end();
    let times: Vec<f64> = sim.series().points.iter().map(|p| p.t_ms).take(6).collect();
    assert_eq!(times, vec![0.0, 1000.0, 2000.0, 3000.0, 3250.0, 3500.0]);
    // max_rounds counts intervals of either length: 3 of 1 s, then 17 of 250 ms.
    let m = run(&["nodes=20", "protocol=membership", "timing=timed", "max_rounds=20", "faults=interval_ms:250@2500ms"]);
    assert_eq!((m.rounds, m.time_ms), (20, 7250.0));
}

/// Changes are checked with the settings they meet: a live change of a setting
/// that defines the cluster, or to a value out of range or in conflict with the
/// others then, is refused naming the entry and the field.
#[test]
fn bad_changes_are_refused_by_name() {
    let e = build("nodes=100&faults=nodes:50@3r").unwrap_err();
    assert!(e.contains("nodes defines the cluster") && e.contains("live settings: "), "{e}");
    let e = build("nodes=100&faults=fanout:0@3r").unwrap_err();
    assert!(e.contains("fanout") && e.contains("1 to 64"), "{e}");
    let e = build("nodes=100&timing=timed&faults=latency_ms_min:500@3s").unwrap_err();
    assert!(e.contains("latency_ms_min:500@3s") && e.contains("latency"), "{e}");
    // The text form travels: parse, print, parse gives the same schedule.
    let s = build("nodes=100&faults=stop:feedback-coin@2r,k:4@5r,loss_rate:0.25@7r").unwrap();
    assert_eq!(s.faults.to_string(), "stop:feedback-coin@2r,k:4@5r,loss_rate:0.25@7r");
    let m = run(&["nodes=100", "faults=stop:feedback-coin@2r,k:4@5r,loss_rate:0.25@7r"]);
    assert!(m.coverage > 0.5);
}
