//! Same scenario + same seed = same run; and the engine's books balance.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

/// The same seed gives the same trace hash twice, in both time models, with faults and loss;
/// a different seed gives a different one.
#[test]
fn same_seed_same_trace() {
    for timing in ["rounds", "timed"] {
        let base = [
            "nodes=400",
            "spread=push-pull",
            "loss_rate=0.1",
            "faults=crash:3+9@2s,restart:3@4s,partition:0-99@1s,heal@3s",
        ];
        let t = format!("timing={timing}");
        let mut a: Vec<&str> = base.to_vec();
        a.push(&t);
        let r1 = run(&a);
        let r2 = run(&a);
        assert_eq!(r1, r2, "{timing}: two runs of one seed differ");
        let mut b = a.clone();
        b.push("seed=2");
        assert_ne!(run(&b).trace_hash, r1.trace_hash, "{timing}: seeds 1 and 2 gave the same trace");
    }
}

/// Changing only the loss rate does not change the hash of a run without losses' choices:
/// the network has its own random stream, so two loss rates still give different traces,
/// but the protocol's first round (before any loss matters) picks the same peers.
#[test]
fn network_stream_is_separate() {
    let s1 = common::scenario(&["nodes=100", "fanout=1", "max_rounds=1"]);
    let s2 = common::scenario(&["nodes=100", "fanout=1", "max_rounds=1", "loss_rate=0.000001"]);
    let trace = |s: &gossip_lab::Scenario| {
        let mut sim = gossip_lab::sim::build(s).unwrap();
        let sends = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = sends.clone();
        sim.set_trace_sink(Box::new(move |e| {
            if let gossip_lab::sim::trace::TraceEvent::Send { from, to, .. } = e {
                sink.borrow_mut().push((*from, *to));
            }
        }));
        sim.run_to_end();
        let v = sends.borrow().clone();
        v
    };
    assert_eq!(trace(&s1), trace(&s2));
}

/// Messages are conserved in every mode: sent + duplicated = delivered + dropped + in flight.
#[test]
fn messages_are_conserved() {
    let cases: &[&[&str]] = &[
        &["nodes=300", "loss_rate=0.2", "duplicate_rate=0.1"],
        &["nodes=300", "timing=timed", "loss_rate=0.2", "duplicate_rate=0.1", "reorder_rate=0.2", "spread=push-pull"],
        &["nodes=300", "timing=timed", "transport=tcp", "loss_rate=0.3", "spread=pull"],
        &["nodes=300", "timing=timed", "faults=partition:0-149@0s,crash:5+6+7@1500ms,heal@5s", "stop=feedback-counter"],
    ];
    for c in cases {
        let m = run(c);
        assert_eq!(m.sent + m.duplicated, m.delivered + m.dropped + m.in_flight, "{c:?}: {m:?}");
        assert!(m.sent > 0);
    }
}

/// The JSON metrics of a run are within their ranges.
#[test]
fn metrics_in_range() {
    let m = run(&["nodes=500", "stop=blind-coin", "k=3", "loss_rate=0.1"]);
    assert!((0.0..=1.0).contains(&m.coverage) && (m.coverage + m.residue - 1.0).abs() < 1e-12);
    assert!(m.traffic <= m.msgs_per_node);
    assert!(m.t_avg.unwrap() <= m.t_last.unwrap());
}

/// Natively a one-update rumor run is compiled for that layout (`Rumor<true>`,
/// no layout tests on the hot path); the page runs the general code. Both must
/// give the same run and trace for every stop rule, spread, timing and fault.
#[test]
fn one_update_layout_changes_nothing() {
    use gossip_lab::protocol::rumor::Rumor;
    use gossip_lab::sim::{Runner, Sim};
    let cases: &[&[&str]] = &[
        &["nodes=400", "spread=push-pull"],
        &["nodes=400", "spread=push"],
        &["nodes=400", "spread=pull"],
        &["nodes=400", "spread=push", "stop=feedback-counter", "k=2"],
        &["nodes=400", "spread=push-pull", "stop=feedback-coin", "k=3"],
        &["nodes=400", "spread=push", "stop=blind-counter", "k=3"],
        &["nodes=400", "spread=push", "stop=blind-coin", "k=2", "backup_interval=3"],
        &["nodes=400", "spread=push-pull", "stop=rounds", "k=4", "fanout=2"],
        &["nodes=300", "spread=push", "conn_limit=1", "fanout=3"],
        &["nodes=300", "spread=push-pull", "malicious=0.1", "attack=drop"],
        &["nodes=300", "spread=push-pull", "faults=partition:0-99@3r,heal@6r,crash:7@4r,restart:7@8r"],
        &["nodes=300", "spread=push-pull", "timing=timed", "loss_rate=0.1", "max_time_ms=20000"],
    ];
    for pairs in cases {
        let s = scenario(pairs);
        assert_eq!(s.total_updates(), 1, "{pairs:?}");
        let one = gossip_lab::run(&s).unwrap();
        let mut general = Sim::new(s.clone(), Rumor::<false>::new(&s));
        general.run_to_end();
        assert_eq!(general.metrics(), one, "{pairs:?}: the one-update layout changes the run");
    }
}

/// A one-update rumor round in the fast lane is the protocol's own loop
/// (`Rumor::fast_round`), walked in memory order where the outcome cannot depend
/// on the order (push; pull without a stop rule). With a trace sink attached,
/// the engine runs the general path instead, in the model's random order: every
/// spread, stop rule and fanout gives the same run and trace both ways, crashed
/// peers (dropped messages) and restarts included.
#[test]
fn rumor_lane_is_the_general_path() {
    for spread in ["push", "pull", "push-pull"] {
        for stop in ["never", "rounds", "feedback-counter", "feedback-coin", "blind-counter", "blind-coin"] {
            for fanout in ["1", "3"] {
                let pairs = [
                    "nodes=300",
                    &format!("spread={spread}"),
                    &format!("stop={stop}"),
                    "k=2",
                    &format!("fanout={fanout}"),
                    "max_rounds=60",
                    "faults=crash:3+9+40-60@2r,restart:3+41@5r",
                ];
                let s = scenario(&pairs);
                let lane = gossip_lab::run(&s).unwrap();
                let mut general = gossip_lab::sim::build(&s).unwrap();
                general.set_trace_sink(Box::new(|_| {}));
                general.run_to_end();
                assert!(lane.sent > 0 && lane.coverage > 0.0, "{pairs:?}: {lane:?}");
                assert_eq!(general.metrics(), lane, "{pairs:?}: the lane differs from the general path");
            }
        }
    }
}

/// The engine's fast lane (rounds on a perfect network, nothing recorded) is the
/// general path made cheaper, not another model: with a trace sink or an edge
/// recorder attached, either of which turns the lane off, every protocol gives
/// the same run and the same trace hash. The scenarios include messages over the
/// MTU (which leave the lane one by one) and a partition (the lane is off while
/// it lasts).
#[test]
fn fast_lane_changes_nothing() {
    let cases: &[&[&str]] = &[
        &["nodes=500", "spread=push-pull", "fanout=2"],
        &["nodes=500", "spread=push", "stop=feedback-counter", "k=2"],
        &["nodes=500", "spread=pull", "updates=3", "update_every=2"],
        &["nodes=300", "spread=push", "conn_limit=1", "fanout=3"],
        &["nodes=300", "spread=push-pull", "malicious=0.1", "attack=fake-rumor"],
        &["nodes=300", "spread=push-pull", "updates=4", "payload_bytes=600", "mtu_bytes=1400", "oversize=drop"],
        &["nodes=300", "spread=push-pull", "faults=partition:0-99@3r,heal@6r,crash:7@4r,restart:7@8r"],
        &["nodes=300", "protocol=aggregate", "max_rounds=20"],
        &["nodes=200", "protocol=membership", "max_rounds=20", "faults=crash:5@5r"],
        &["nodes=200", "protocol=anti-entropy", "max_rounds=20"],
        &["nodes=200", "protocol=broadcast", "max_rounds=20"],
        &["nodes=200", "protocol=election", "max_rounds=30"],
    ];
    for pairs in cases {
        let s = scenario(pairs);
        let fast = gossip_lab::run(&s).unwrap();
        let events = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let seen = events.clone();
        let mut traced = gossip_lab::sim::build(&s).unwrap();
        traced.set_trace_sink(Box::new(move |_| seen.set(seen.get() + 1)));
        traced.run_to_end();
        assert!(events.get() > fast.sent, "{pairs:?}: the sink saw {} events", events.get());
        assert_eq!(traced.metrics(), fast, "{pairs:?}: a traced run differs");
        let mut drawn = gossip_lab::sim::build(&s).unwrap();
        drawn.record_edges(64);
        drawn.run_to_end();
        assert_eq!(drawn.metrics(), fast, "{pairs:?}: a run recording edges differs");
    }
}
