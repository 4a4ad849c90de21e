//! Topologies against their theory (`sim::topology`, `theory::topology_rounds`):
//! rounds for one pushed rumor to reach every node on a ring, a torus, a random
//! regular graph, a small-world graph and a scale-free graph, on fixed seeds.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;

/// Mean rounds until every node has the rumor, over `n` seeds.
fn rounds(pairs: &[&str], n: u32) -> f64 {
    let runs = trials(pairs, n);
    assert!(runs.iter().all(|r| r.coverage == 1.0), "{pairs:?}: a run did not reach everyone");
    mean(runs.iter().map(|r| r.t100.expect("reached everyone"))).0
}

fn theory(pairs: &[&str]) -> f64 {
    gossip_lab::theory::topology_rounds(&scenario(pairs)).expect("a formula")
}

/// A ring spreads in linear time: (n - 1) / 2p, p the chance a front moves on.
#[test]
fn ring_is_linear() {
    for spread in ["push", "pull", "push-pull"] {
        let pairs = ["nodes=300", "topology=ring", "topology_degree=2", "fanout=1", "max_rounds=2000"];
        let pairs: Vec<&str> = pairs.iter().copied().chain([format!("spread={spread}").leak() as &str]).collect();
        let (measured, expected) = (rounds(&pairs, 40), theory(&pairs));
        assert!((measured / expected - 1.0).abs() < 0.06, "{spread}: {measured:.1} rounds, theory {expected:.1}");
    }
}

/// A torus spreads in √n time: four times the nodes, twice the rounds; a random
/// regular graph of the same degree, in logarithmic time.
#[test]
fn torus_grows_as_the_square_root() {
    let torus = |n: u32| rounds(&["topology=torus", "fanout=1", "max_rounds=2000", format!("nodes={n}").leak()], 20);
    let ratio = torus(1600) / torus(400);
    assert!((1.8..2.2).contains(&ratio), "torus 1600 / 400 nodes: {ratio:.2}");
    let regular =
        |n: u32| rounds(&["topology=random-regular", "topology_degree=4", "fanout=1", format!("nodes={n}").leak()], 20);
    let ratio = regular(1600) / regular(400);
    assert!(ratio < 1.35, "random regular 1600 / 400 nodes: {ratio:.2}");
}

/// Push on a random d-regular graph: Fountoulakis and Panagiotou's constant
/// times ln n (their o(log n) term is the slack).
#[test]
fn random_regular_matches_fountoulakis_panagiotou() {
    for d in [3, 4, 8] {
        let pairs = ["nodes=4000", "topology=random-regular", "fanout=1", format!("topology_degree={d}").leak()];
        let (measured, expected) = (rounds(&pairs, 20), theory(&pairs));
        assert!((measured / expected - 1.0).abs() < 0.12, "d={d}: {measured:.1} rounds, theory {expected:.1}");
    }
}

/// Watts and Strogatz: rewiring a few of a ring's links takes the time from
/// linear towards logarithmic, and every bit of rewiring helps.
#[test]
fn small_world_shortcuts() {
    let at = |p: &str| {
        rounds(
            &[
                "nodes=1000",
                "topology=small-world",
                "topology_degree=4",
                "fanout=1",
                "max_rounds=2000",
                format!("rewire_rate={p}").leak(),
            ],
            20,
        )
    };
    let times: Vec<f64> = ["0", "0.01", "0.1", "1"].iter().map(|p| at(p)).collect();
    assert!(times.windows(2).all(|w| w[1] < w[0]), "{times:?}");
    assert!(times[0] > 5.0 * times[2], "a 10% rewiring is far faster than the ring: {times:?}");
    // Fully rewired it is a random graph of mean degree 4: about as fast as a random 4-regular one.
    let regular = theory(&["nodes=1000", "topology=random-regular", "topology_degree=4", "fanout=1"]);
    assert!(times[3] < 1.4 * regular, "{times:?} against {regular:.1}");
}

/// Barabási–Albert: push-pull is logarithmic; push alone is slowed by the many
/// nodes of degree m that the hubs rarely pick (Chierichetti, Lattanzi and Panconesi, 2009).
#[test]
fn scale_free_wants_push_pull() {
    let base = ["nodes=3000", "topology=scale-free", "topology_degree=4", "fanout=1", "max_rounds=3000"];
    let with = |spread: &str| {
        rounds(&base.iter().copied().chain([format!("spread={spread}").leak() as &str]).collect::<Vec<_>>(), 20)
    };
    let (push, push_pull) = (with("push"), with("push-pull"));
    assert!(push_pull < 2.0 * 3000f64.log2(), "push-pull {push_pull:.1} rounds");
    assert!(push > 2.0 * push_pull, "push {push:.1} against push-pull {push_pull:.1}");
}

/// A topology is a setting like any other: it validates by field and range,
/// and travels in the link.
#[test]
fn topology_settings_are_checked() {
    let bad = |pairs: &[&str]| {
        let mut s = gossip_lab::Scenario::default();
        s.apply_pairs(pairs.iter().copied()).and_then(|_| s.validate()).unwrap_err().to_string()
    };
    assert!(bad(&["topology=hypercube"]).contains("topology"));
    let e = bad(&["nodes=10", "topology=random-regular", "topology_degree=12"]);
    assert!(e.contains("topology_degree") && e.contains("allowed 1 to 9"), "{e}");
    let e = bad(&["topology=ring", "view=partial"]);
    assert!(e.contains("view") && e.contains("view=full"), "{e}");
    let s = scenario(&["topology=small-world", "rewire_rate=0.25", "topology_degree=6"]);
    let (back, errors) = gossip_lab::Scenario::from_fragment(&s.to_fragment());
    assert!(errors.is_empty());
    assert_eq!(back, s);
}

/// Bandwidth: messages leave a node's uplink one after another. Below the
/// saturation point a push's mean wait in its send queue is the burst's,
/// (f - 1)/2 · bytes / uplink; past it the queue does not drain, the wait grows
/// with the run and a small queue drops messages.
#[test]
fn uplinks_queue_and_saturate() {
    let run_at = |payload: u32, queue: u32| {
        run(&[
            "nodes=200",
            "timing=timed",
            "fanout=3",
            "interval_ms=100",
            "jitter=0",
            "uplink_bytes_per_s=30000",
            "max_rounds=60",
            format!("payload_bytes={payload}").leak(),
            format!("queue_bytes_max={queue}").leak(),
        ])
    };
    let figure = |m: &gossip_lab::metrics::RunMetrics, k: &str| m.extra[k].expect(k);
    let below = run_at(400, 65_536);
    let bytes = below.bytes_per_node / below.msgs_per_node;
    let (rho, wait) = gossip_lab::theory::uplink_wait(3, 100.0, bytes, 30_000.0);
    assert!(rho < 0.5, "rho {rho}");
    let wait = wait.expect("below saturation");
    let measured = figure(&below, "queue_wait_ms");
    assert!((measured / wait - 1.0).abs() < 0.05, "waited {measured:.2} ms, theory {wait:.2} ms");
    assert_eq!(figure(&below, "dropped_queue"), 0.0);
    // Past saturation (rho about 1.4): the wait is many bursts long, and a queue of 3 KB drops.
    let past = run_at(1400, 65_536);
    let bytes = past.bytes_per_node / past.msgs_per_node;
    assert!(gossip_lab::theory::uplink_wait(3, 100.0, bytes, 30_000.0).1.is_none());
    // The burst alone would wait (f - 1)/2 · bytes / uplink; the backlog adds to it.
    let burst = bytes / 30_000.0 * 1000.0;
    assert!(
        figure(&past, "queue_wait_ms") > 2.0 * burst,
        "{} against a burst's {burst:.1}",
        figure(&past, "queue_wait_ms")
    );
    let small = run_at(1400, 3_000);
    assert!(figure(&small, "dropped_queue") > 0.0);
    assert!(small.dropped >= figure(&small, "dropped_queue") as u64);
    // Without an uplink nothing waits and the figures are absent.
    let free = run(&["nodes=200", "timing=timed", "fanout=3", "payload_bytes=1400"]);
    assert!(!free.extra.contains_key("queue_wait_ms"));
}

/// Regions: the ocean between two regions slows a rumor by their one-way time
/// on every crossing, and a partition of a region's block of ids cuts it off.
#[test]
fn regions_slow_and_split() {
    let base = [
        "nodes=200",
        "timing=timed",
        "interval_ms=200",
        "jitter=0",
        "latency_ms_min=1",
        "latency_ms_max=2",
        "fanout=2",
    ];
    let with = |extra: &[&str]| run(&base.iter().chain(extra).copied().collect::<Vec<_>>());
    let (one, far) = (with(&[]), with(&["regions=3"]));
    assert_eq!((one.coverage, far.coverage), (1.0, 1.0));
    // Tokyo is 72 ms one way from N. Virginia and 106 ms from Ireland: the last node hears later.
    assert!(far.t100_ms.unwrap() > one.t100_ms.unwrap() + 70.0, "{:?} vs {:?}", far.t100_ms, one.t100_ms);
    let cut = with(&["regions=2", "faults=partition:0-99@0s"]);
    assert_eq!(cut.coverage, 0.5, "N. Virginia is cut off from Ireland");
}

/// A user's edge list is the graph it lists: the ring written out link by link
/// runs exactly as `topology=ring` (the same adjacency, the same trace); the
/// forms a file or a paste holds read the same; a malformed line is named.
#[test]
fn an_edge_list_is_its_graph() {
    use gossip_lab::sim::topology::EdgeList;
    let n = 200u32;
    let ring: Vec<String> = (0..n).map(|i| format!("{i}-{}", (i + 1) % n)).collect();
    for spread in ["push", "push-pull"] {
        let spread = format!("spread={spread}");
        let edges = format!("edges={}", ring.join(","));
        let listed = run(&["nodes=200", "topology=edges", &edges, "max_rounds=500", &spread]);
        let built = run(&["nodes=200", "topology=ring", "topology_degree=2", "max_rounds=500", &spread]);
        assert_eq!(listed.trace_hash, built.trace_hash, "{spread}");
        assert_eq!(listed.t100, built.t100);
    }
    // A file's forms: a header, comments, tabs, commas, a weight column, CRLF.
    let file = "# triangle and a tail\r\nsource,target\r\n0,1\r\n1\t2\t0.7\r\n% note\r\n2 0\r\n\r\n2;3 # tail\r\n";
    let a: EdgeList = file.parse().unwrap();
    let b: EdgeList = "0-1,1-2,2-0,2-3".parse().unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_string().parse::<EdgeList>().unwrap(), a);
    for (text, says) in [
        ("0 1\n1 two\n", "line 2 ('1 two'): 'two' is not a node id"),
        ("0 1\n1 2 3 4\n", "line 2 ('1 2 3 4'): a link is two node ids"),
        ("0-1,1-x", "line 1 ('1-x'): 'x' is not a node id"),
        ("0-1,12,3-4", "line 1: '12' is not a link; write a-b"),
    ] {
        let e = text.parse::<EdgeList>().unwrap_err();
        assert!(e.contains(says), "{text:?}: {e}");
    }
    // In a scenario: the field, and the link or node at fault.
    let mut s = gossip_lab::Scenario::default();
    s.apply_pairs(["nodes=3", "topology=edges", "edges=0-1,1-2,2-3"]).unwrap();
    assert_eq!(
        s.validate().unwrap_err().to_string(),
        "edges: link 3 (2-3) names node 3; allowed node ids 0 to 2 (nodes - 1)"
    );
    s.apply_pairs(["edges="]).unwrap();
    assert!(s.validate().unwrap_err().to_string().starts_with("edges: topology=edges needs the graph's links"));
}
