//! The playground's model: plain Rust, no browser types, so it is tested natively.
//!
//! The page sends it commands (play, pause, step, reset, set a parameter,
//! crash a node, a frame's worth of real time) and reads owned snapshots
//! (node states, recent messages, the series). Every change to a setting goes
//! through `Scenario::set` and the page's limits, and every user action that
//! changes the run (a crash by click) is written into the fault schedule, so
//! the share link replays it exactly.

use std::collections::BTreeMap;

use crate::protocol::{NodeId, NodeState};
use crate::scenario::{Live, ProtocolKind, Scenario, ScenarioError, Timing};
use crate::sim::checkpoints::Checkpoints;
use crate::sim::engine::{build, Edge, Runner};
use crate::sim::faults::{At, Change, Fault, FaultEntry, NodeSet};

/// How fast virtual time runs against real time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    Times(f64),
    /// As many steps as the frame budget allows.
    Max,
}

impl Speed {
    pub const CHOICES: [(&'static str, Speed); 10] = [
        ("0.1×", Speed::Times(0.1)),
        ("0.25×", Speed::Times(0.25)),
        ("0.5×", Speed::Times(0.5)),
        ("1×", Speed::Times(1.0)),
        ("2×", Speed::Times(2.0)),
        ("5×", Speed::Times(5.0)),
        ("10×", Speed::Times(10.0)),
        ("30×", Speed::Times(30.0)),
        ("100×", Speed::Times(100.0)),
        ("max", Speed::Max),
    ];
    pub fn label(self) -> &'static str {
        Speed::CHOICES.iter().find(|c| c.1 == self).map_or("?", |c| c.0)
    }
    pub fn from_label(s: &str) -> Option<Speed> {
        Speed::CHOICES.iter().find(|c| c.0 == s).map(|c| c.1)
    }
}

/// What the page opens with when the address holds no scenario: a rumor's
/// whole life on 300 nodes, in about 11 rounds, a round a second (time to
/// change the fanout or the loss while it runs): susceptible, spreading, then
/// stopped by a feedback coin (k = 2), with a residue of about 3% that never hears it.
pub const FIRST_RUN: &str = "nodes=300&stop=feedback-coin&k=2&speed=1";

/// Ready-made scenarios: (label, fragment). `vs.` keys open an A/B comparison.
pub const PRESETS: [(&str, &str); 32] = [
    ("First run: a rumor's whole life, 300 nodes", FIRST_RUN),
    ("Push, 200 nodes, never stops (the engine's defaults)", ""),
    ("Classic push, fanout 1 (Pittel)", "nodes=1000&fanout=1"),
    ("Push-pull, 1000 nodes", "nodes=1000&fanout=1&spread=push-pull"),
    ("A/B: push vs push-pull, same seed", "nodes=1000&fanout=1&spread=push-pull&vs.spread=push"),
    ("Feedback-coin rumor, k=2 (residue)", "nodes=1000&fanout=1&stop=feedback-coin&k=2"),
    (
        "20 rumors, feedback counter, anti-entropy backup",
        "nodes=1000&fanout=1&stop=feedback-counter&k=1&updates=20&update_every=2&backup_interval=10",
    ),
    (
        "Anti-entropy: Merkle trees, 10,000 keys, 1% changed",
        "nodes=500&protocol=anti-entropy&spread=push-pull&fanout=1&keys=10000&updates=100",
    ),
    (
        "A/B: Merkle vs whole-store anti-entropy",
        "nodes=300&protocol=anti-entropy&spread=push-pull&fanout=1&keys=10000&updates=100&vs.reconcile=full",
    ),
    (
        "LAN (timed, 200 ms interval, 0.2–1 ms latency)",
        "nodes=500&spread=push-pull&timing=timed&interval_ms=200&latency_ms_min=0.2&latency_ms_max=1",
    ),
    (
        "Lossy WAN (timed, log-normal, 20% loss)",
        "nodes=500&spread=push-pull&timing=timed&latency=lognormal&latency_ms_min=20&latency_ms_max=300&loss_rate=0.2",
    ),
    (
        "Partition drill (split, heal at 8 s)",
        "nodes=300&spread=push-pull&fanout=2&timing=timed&faults=partition:0-149@0s,heal@8s",
    ),
    ("Big cluster: 50,000 nodes", "nodes=50000&fanout=1"),
    (
        "Membership: a crash detected by phi accrual",
        "nodes=60&protocol=membership&timing=timed&max_rounds=90&faults=crash:7@10s,restart:7@45s",
    ),
    (
        "A/B: timeout vs phi detector at 20% loss",
        "nodes=100&protocol=membership&timing=timed&max_rounds=60&loss_rate=0.2&detector=timeout&vs.detector=phi",
    ),
    (
        "A/B: SWIM vs heartbeat gossip (a crash)",
        "nodes=100&protocol=swim&timing=timed&max_rounds=60&faults=crash:7@10s&vs.protocol=membership",
    ),
    // Real systems, with their documented defaults, 100 nodes and one crash at 10 s.
    // memberlist (Serf, Consul) in hashicorp/memberlist config.go, DefaultLANConfig /
    // DefaultWANConfig / DefaultLocalConfig: ProbeInterval, ProbeTimeout, IndirectChecks,
    // RetransmitMult (our lambda), and the suspicion timeout SuspicionMult × log10(n) ×
    // ProbeInterval (4 × 2 × 1 s on a LAN of 100; 6 × 2 × 5 s on a WAN; 3 × 2 × 1 s locally).
    // Consul's LAN pool is memberlist's LAN profile; its WAN pool (servers across
    // datacenters) the WAN profile.
    (
        "memberlist / Serf / Consul LAN: probe 1 s, timeout 500 ms, 3 indirect, suspicion 8 s",
        "nodes=100&protocol=swim&timing=timed&max_rounds=60&interval_ms=1000&ack_timeout_ms=500&indirect_probes=3&lambda=4&suspicion_ms=8000&latency_ms_min=0.2&latency_ms_max=1&faults=crash:7@10s",
    ),
    (
        "memberlist / Serf / Consul WAN: probe 5 s, timeout 3 s, suspicion 60 s, 20-300 ms links",
        "nodes=100&protocol=swim&timing=timed&max_rounds=40&interval_ms=5000&ack_timeout_ms=3000&indirect_probes=3&lambda=4&suspicion_ms=60000&latency=lognormal&latency_ms_min=20&latency_ms_max=300&faults=crash:7@10s&speed=10",
    ),
    (
        "memberlist local (loopback): probe 1 s, timeout 200 ms, 1 indirect, suspicion 6 s",
        "nodes=100&protocol=swim&timing=timed&max_rounds=60&interval_ms=1000&ack_timeout_ms=200&indirect_probes=1&lambda=2&suspicion_ms=6000&latency_ms_min=0.05&latency_ms_max=0.2&faults=crash:7@10s",
    ),
    // Cassandra's gossiper (Gossiper.java, cassandra.yaml): a round a second to one
    // random live peer, phi_convict_threshold 8, a few seed nodes.
    (
        "Cassandra gossiper: 1 s rounds to one peer, phi 8, 3 seeds",
        "nodes=100&protocol=membership&timing=timed&max_rounds=60&interval_ms=1000&fanout=1&detector=phi&phi_threshold=8&seeds=3&latency_ms_min=0.2&latency_ms_max=1&faults=crash:7@10s",
    ),
    (
        "A/B: memberlist LAN vs WAN profile (a crash)",
        "nodes=100&protocol=swim&timing=timed&max_rounds=40&interval_ms=5000&ack_timeout_ms=3000&indirect_probes=3&lambda=4&suspicion_ms=60000&latency=lognormal&latency_ms_min=20&latency_ms_max=300&faults=crash:7@10s&vs.interval_ms=1000&vs.ack_timeout_ms=500&vs.suspicion_ms=8000&speed=10",
    ),
    // A user's graph (topology=edges): two cliques of 12 joined by one link, a
    // bottleneck of low conductance; edit the list under Network, paste another, or an address.
    (
        "Your own graph: two cliques, one bridge (an edge list to edit)",
        "nodes=24&topology=edges&fanout=1&max_rounds=100&edges=0-1,0-2,0-3,0-4,0-5,0-6,0-7,0-8,0-9,0-10,0-11,1-2,1-3,1-4,1-5,1-6,1-7,1-8,1-9,1-10,1-11,2-3,2-4,2-5,2-6,2-7,2-8,2-9,2-10,2-11,3-4,3-5,3-6,3-7,3-8,3-9,3-10,3-11,4-5,4-6,4-7,4-8,4-9,4-10,4-11,5-6,5-7,5-8,5-9,5-10,5-11,6-7,6-8,6-9,6-10,6-11,7-8,7-9,7-10,7-11,8-9,8-10,8-11,9-10,9-11,10-11,12-13,12-14,12-15,12-16,12-17,12-18,12-19,12-20,12-21,12-22,12-23,13-14,13-15,13-16,13-17,13-18,13-19,13-20,13-21,13-22,13-23,14-15,14-16,14-17,14-18,14-19,14-20,14-21,14-22,14-23,15-16,15-17,15-18,15-19,15-20,15-21,15-22,15-23,16-17,16-18,16-19,16-20,16-21,16-22,16-23,17-18,17-19,17-20,17-21,17-22,17-23,18-19,18-20,18-21,18-22,18-23,19-20,19-21,19-22,19-23,20-21,20-22,20-23,21-22,21-23,22-23,11-12",
    ),
    (
        "Tombstone resurrection (grace shorter than an outage)",
        "nodes=20&protocol=membership&timing=timed&app_keys=1&max_rounds=60&tombstone_grace_ms=5000&faults=partition:19@8s,delete:0@10s,heal@30s",
    ),
    (
        "Aggregation: push-pull averaging, 5,000 nodes",
        "nodes=5000&protocol=aggregate&fanout=1&target_error=0.0001",
    ),
    (
        "A/B: push-pull averaging vs push-sum (count)",
        "nodes=2000&protocol=aggregate&fanout=1&function=count&target_error=0.001&vs.exchange=push-sum",
    ),
    (
        "Aggregation under 10% loss and crashes, epochs of 25 rounds",
        "nodes=2000&protocol=aggregate&fanout=1&loss_rate=0.1&epoch_rounds=25&max_rounds=100&faults=crash:0-299@10r",
    ),
    (
        "A/B: causal vs unordered broadcast (lossy, reordering)",
        "nodes=100&protocol=broadcast&fanout=2&k=3&backup_interval=2&updates=40&update_every=1&senders=2&timing=timed&latency=exponential&latency_ms_max=2000&reorder_rate=0.3&loss_rate=0.1&vs.order=none",
    ),
    (
        "Total order by a sequencer",
        "nodes=100&protocol=broadcast&order=total&fanout=2&k=3&backup_interval=2&updates=40&update_every=1&senders=2&timing=timed&latency=exponential&latency_ms_max=2000&reorder_rate=0.3",
    ),
    (
        "Leader election: the leader crashes",
        "nodes=40&protocol=election&timing=timed&max_rounds=70&faults=crash:0@10s",
    ),
    (
        "Leader election: split brain in a partition",
        "nodes=40&protocol=election&timing=timed&detector=timeout&max_rounds=70&faults=partition:0-19/20-39@5s,heal@40s",
    ),
    (
        "A/B: an invented rumor, with and without signatures",
        "nodes=1000&fanout=1&malicious=0.05&attack=fake-rumor&verify=signatures&vs.verify=none",
    ),
    (
        "Malicious nodes forge key versions (membership)",
        "nodes=40&protocol=membership&timing=timed&max_rounds=40&malicious=0.1&attack=forge-version",
    ),
];

/// A figure that the description of gossip (or the papers) quotes, with a
/// scenario that measures it and the test the measurement must pass.
pub struct Claim {
    pub claim: &'static str,
    pub source: &'static str,
    pub fragment: &'static str,
    /// What is measured, with its unit.
    pub measure: &'static str,
    pub value: fn(&crate::metrics::RunMetrics) -> Option<f64>,
    pub holds: fn(f64) -> bool,
}

/// "Check the claim": one click runs the scenario; the page shows the measured
/// answer beside the claim. The papers' numbers are the bench's (`crate::papers`).
pub const CLAIMS: [Claim; 3] = [
    Claim {
        claim: "A message propagates across 26,000 nodes in about 15 gossip rounds.",
        source: "the description (push, fanout 2)",
        fragment: "nodes=26000&fanout=2",
        measure: "rounds until every node has it",
        value: |m| m.t100,
        holds: |x| (x - 15.0).abs() <= 3.0,
    },
    Claim {
        claim: "With a 10 ms interval a message spreads across a large data center within about 3 seconds.",
        source: "the description (50,000 nodes, 0.2–1 ms latency, push, fanout 1)",
        fragment: "nodes=50000&fanout=1&timing=timed&interval_ms=10&latency_ms_min=0.2&latency_ms_max=1",
        measure: "seconds until every node has it",
        value: |m| m.t100_ms.map(|t| t / 1000.0),
        holds: |x| x <= 3.5,
    },
    Claim {
        claim: "128 nodes gossip in under 60 KB/s each.",
        source: "the description's case study (membership, 10 keys a node, one write per node per second)",
        fragment: "nodes=128&protocol=membership&timing=timed&app_keys=10&key_rate=1&mtu_bytes=65535&max_rounds=60",
        measure: "KB/s sent per node",
        value: |m| Some(m.bytes_per_node_per_s / 1000.0),
        holds: |x| x < 60.0,
    },
];

/// Messages kept for drawing.
pub const EDGE_BUFFER: usize = 4096;

/// Earlier runs kept for comparison on the coverage chart.
pub const KEEP_RUNS: usize = 3;

/// An earlier run's coverage curve: what changed, and (round, coverage) points.
#[derive(Clone, Debug, PartialEq)]
pub struct PastRun {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Variant A of a side-by-side comparison: a pinned scenario run on the same
/// seed and kept at the same virtual time as the main run (variant B).
pub struct Variant {
    pub scenario: Scenario,
    sim: Box<dyn Runner>,
    checkpoints: Checkpoints,
    pub states: Vec<u8>,
    pub edges: Vec<Edge>,
    pub theory: Vec<f64>,
}

impl Variant {
    fn new(scenario: Scenario) -> Self {
        let sim = fresh(&scenario);
        let theory = theory_curve(&scenario);
        let checkpoints = Checkpoints::new(CHECKPOINT_BYTES);
        let mut v = Variant { scenario, sim, checkpoints, states: Vec::new(), edges: Vec::new(), theory };
        v.snapshot();
        v
    }

    /// The fault schedule changed at the run's current moment (an action, a live
    /// change, already in `self.scenario.faults`): the run follows it from here.
    fn record(&mut self) {
        follow_schedule(&mut self.sim, &mut self.checkpoints, &self.scenario);
    }

    fn snapshot(&mut self) {
        self.checkpoints.offer(self.sim.as_ref());
        self.sim.node_states(&mut self.states);
        self.sim.recent_edges(&mut self.edges);
    }

    /// The run, to read (it changes only through the model).
    pub fn sim(&self) -> &dyn Runner {
        self.sim.as_ref()
    }
}

/// Memory the checkpoints of one run may hold (bytes): 16 copies of a
/// 2,000-node rumor run, two of a 300-node membership run.
pub const CHECKPOINT_BYTES: usize = 48 << 20;

/// A run of `s` from its start, keeping the messages the page draws.
fn fresh(s: &Scenario) -> Box<dyn Runner> {
    let mut sim = build(s).expect("the playground only keeps valid scenarios");
    sim.record_edges(EDGE_BUFFER);
    sim
}

/// Take `sim` (a run of `s`) to `t_us`: from the latest checkpoint before
/// `t_us` when that is nearer than where the run is (back: else from the start),
/// then by playing.
fn rewind(sim: &mut Box<dyn Runner>, checkpoints: &Checkpoints, s: &Scenario, t_us: u64) {
    if t_us < sim.now_us() {
        *sim = checkpoints.restore(t_us).unwrap_or_else(|| fresh(s));
    } else if let Some(nearer) = checkpoints.restore_after(sim.now_us(), t_us) {
        *sim = nearer;
    }
    sim.advance_to(t_us);
}

/// After a change to `s`'s fault schedule made at `sim`'s current moment: the run
/// and its checkpoints follow the new schedule from here. Where the run already
/// did what the change takes back (a setting changed twice at one moment), it is
/// replayed to now under the new schedule, from the latest checkpoint that did not.
fn follow_schedule(sim: &mut Box<dyn Runner>, checkpoints: &mut Checkpoints, s: &Scenario) {
    checkpoints.amend(&s.faults);
    if !sim.reschedule(&s.faults) {
        let now = sim.now_us();
        *sim = checkpoints.restore(now).unwrap_or_else(|| fresh(s));
        sim.advance_to(now);
        sim.reschedule(&s.faults);
    }
}

use crate::theory::{coverage_chart_curve as theory_curve, coverage_chart_rounds as theory_rounds};

/// The protocol series the page charts for this scenario, if any.
pub fn series_name(sc: &crate::scenario::Scenario) -> Option<&'static str> {
    match sc.protocol {
        ProtocolKind::Aggregate => Some("variance"),
        ProtocolKind::Broadcast => Some("held_back"),
        ProtocolKind::Rumor if sc.malicious_count() > 0 && sc.attack == crate::scenario::Attack::FakeRumor => {
            Some("polluted")
        }
        ProtocolKind::Membership | ProtocolKind::Election if sc.malicious_count() > 0 => Some("polluted"),
        // A delete: how many nodes still hold the key, and whether it comes back.
        ProtocolKind::Membership if sc.faults.deletes() => Some("holding_deleted"),
        _ => None,
    }
}

pub use crate::scenario::VS_PREFIX;

/// Variant A of a comparison: `main` with the `vs.key=value` pairs of a link
/// applied, checked against the page's limits. Every bad pair is named.
pub fn variant_a(main: &Scenario, vs: &[&str]) -> Result<Scenario, Vec<String>> {
    let mut a = main.clone();
    let mut errors = Vec::new();
    for kv in vs {
        let pair = kv.strip_prefix(VS_PREFIX).unwrap_or(kv);
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = crate::scenario::percent_decode(key);
        if let Err(e) = a.set(&key, &crate::scenario::percent_decode(value)) {
            errors.push(format!("{VS_PREFIX}{e}"));
        }
    }
    if errors.is_empty() {
        if let Err(e) = a.validate_for_page() {
            errors.push(format!("{VS_PREFIX}{e}"));
        }
    }
    if errors.is_empty() {
        Ok(a)
    } else {
        Err(errors)
    }
}

/// A page link's scenario checked as the page checks it, stopping at the first
/// error: the scenario (B, when comparing) and, with `vs.` keys, variant A. For
/// what fails without a page to fall back on: lessons, an embed's `mount`.
pub fn page_scenarios(fragment: &str) -> Result<(Scenario, Option<Scenario>), String> {
    let body = fragment.trim().trim_start_matches(['#', '?']);
    let (vs, main): (Vec<&str>, Vec<&str>) = body.split('&').partition(|kv| kv.starts_with(VS_PREFIX));
    let (s, errors) = Scenario::from_fragment(&main.join("&"));
    if let Some(e) = errors.into_iter().next() {
        return Err(Scenario::for_page(e).to_string());
    }
    s.validate_for_page().map_err(|e| e.to_string())?;
    let a = if vs.is_empty() { None } else { Some(variant_a(&s, &vs).map_err(|e| e.join("; "))?) };
    Ok((s, a))
}

/// A value the user gave a field that was refused: kept in the field, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub value: String,
    /// The message, naming the field and what is allowed (as the banner shows it).
    pub why: String,
}

pub struct Playground {
    pub scenario: Scenario,
    /// The run. Only the model changes it (every change goes into the scenario);
    /// the page reads it through `sim()` and the snapshots below.
    sim: Box<dyn Runner>,
    /// Copies of the run on the way, so going back is a short replay.
    checkpoints: Checkpoints,
    pub playing: bool,
    pub speed: Speed,
    /// Errors to show in the banner, newest last.
    pub errors: Vec<String>,
    /// Values the user typed that were refused, per field, so the control keeps them visible.
    pub drafts: BTreeMap<String, Draft>,
    /// Virtual time the clock has reached (may run ahead of the sim between rounds).
    clock_us: f64,
    pub states: Vec<u8>,
    pub edges: Vec<Edge>,
    /// The mean-field coverage curve, one value per round.
    pub theory: Vec<f64>,
    /// Bumped on every change that needs a redraw.
    pub version: u64,
    /// The node shown in the inspector.
    pub selected: Option<NodeId>,
    /// The furthest virtual time (us) this run has reached: the timeline's end.
    pub horizon_us: u64,
    /// Earlier runs (newest first), drawn faintly for comparison.
    pub past: Vec<PastRun>,
    /// Partial views: mean and spread of the in-degree, refreshed each round.
    pub in_degree: Option<(f64, f64)>,
    in_degree_round: u32,
    /// Side-by-side comparison: the pinned variant A (this run is B).
    pub compare: Option<Variant>,
    /// How many times the scenario was replaced (`reopen`): the page drops what it
    /// kept of the old one (a half-typed value, the drawn frame, a finish already reported).
    pub generation: u64,
}

impl Playground {
    /// Start from a URL fragment; bad fields are reported and left at their defaults.
    /// `vs.key=value` pairs open a comparison whose variant A differs from this run in those keys.
    pub fn from_fragment(fragment: &str) -> Self {
        let body = fragment.trim_start_matches(['#', '?']);
        let (vs, main): (Vec<&str>, Vec<&str>) = body.split('&').partition(|kv| kv.starts_with(VS_PREFIX));
        let (mut scenario, errors) = Scenario::from_fragment(&main.join("&"));
        let mut errors: Vec<String> = errors.into_iter().map(|e| Scenario::for_page(e).to_string()).collect();
        if let Err(e) = scenario.validate_for_page() {
            errors.push(e.to_string());
            scenario = Scenario::default();
        }
        let sim = build(&scenario).expect("validated");
        let mut p = Playground {
            scenario,
            sim,
            checkpoints: Checkpoints::new(CHECKPOINT_BYTES),
            playing: false,
            speed: Speed::Times(2.0),
            errors,
            drafts: BTreeMap::new(),
            clock_us: 0.0,
            states: Vec::new(),
            edges: Vec::new(),
            theory: Vec::new(),
            version: 0,
            selected: None,
            horizon_us: 0,
            past: Vec::new(),
            in_degree: None,
            in_degree_round: u32::MAX,
            compare: None,
            generation: 0,
        };
        if !vs.is_empty() {
            match variant_a(&p.scenario, &vs) {
                Ok(a) => p.compare = Some(Variant::new(a)),
                Err(errors) => p.errors.extend(errors),
            }
        }
        p.reset();
        p
    }

    /// Replace the scenario with another (a preset, a claim, a lesson step, an
    /// embed's `set`), keeping the speed. Versions go on from the old model's, so
    /// what remembers one never takes the new model for the old (a run of the same
    /// length would end on the same version).
    pub fn reopen(&mut self, fragment: &str) {
        let (speed, version, generation) = (self.speed, self.version, self.generation);
        *self = Playground::from_fragment(fragment);
        self.speed = speed;
        self.version += version + 1;
        self.generation = generation + 1;
    }

    /// Pin the current settings as variant A; changes from now on make variant B.
    /// Both run from the start, on the same seed, side by side.
    pub fn pin(&mut self) {
        self.compare = Some(Variant::new(self.scenario.clone()));
        self.reset();
    }

    pub fn unpin(&mut self) {
        self.compare = None;
        self.version += 1;
    }

    /// The settings in which A and B differ: (key, A's value, B's value).
    pub fn differences(&self) -> Vec<(&'static str, String, String)> {
        let Some(a) = &self.compare else { return Vec::new() };
        crate::scenario::PARAMS
            .iter()
            .filter_map(|p| {
                let (x, y) = (a.scenario.get(p.key)?, self.scenario.get(p.key)?);
                (x != y).then_some((p.key, x, y))
            })
            .collect()
    }

    /// A's and B's metrics, row by row, for the comparison table.
    pub fn compare_rows(&self) -> Vec<(&'static str, String, String)> {
        let Some(a) = &self.compare else { return Vec::new() };
        let (ma, mb) = (a.sim.figures(), self.sim.figures());
        let opt = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.2}"));
        let mut rows =
            vec![("coverage", format!("{:.1}%", ma.coverage * 100.0), format!("{:.1}%", mb.coverage * 100.0))];
        // Residue and update traffic are a rumor's; membership's views have neither.
        if !self.scenario.membership_like() {
            // The residue is what a run leaves uninformed: known at its end.
            let residue = |r: f64, done: bool| if done { format!("{r:.4}") } else { "–".to_string() };
            rows.push(("residue", residue(ma.residue, a.sim.finished()), residue(mb.residue, self.sim.finished())));
            rows.push(("traffic (update msgs / node)", format!("{:.2}", ma.traffic), format!("{:.2}", mb.traffic)));
        }
        rows.extend([
            ("messages / node", format!("{:.2}", ma.msgs_per_node), format!("{:.2}", mb.msgs_per_node)),
            ("bytes / node", format!("{:.0}", ma.bytes_per_node), format!("{:.0}", mb.bytes_per_node)),
            ("t_avg (rounds)", opt(ma.t_avg), opt(mb.t_avg)),
            ("t_last (rounds)", opt(ma.t_last), opt(mb.t_last)),
            ("t100 (rounds)", opt(ma.t100), opt(mb.t100)),
            ("rounds run", ma.rounds.to_string(), mb.rounds.to_string()),
        ]);
        // A figure neither run has (no update's delivery times in a membership run) says nothing.
        rows.retain(|(_, a, b)| a != "–" || b != "–");
        // The figures the protocol (and an attack) declares, beside the common ones.
        let declared = crate::protocol::figures(self.scenario.protocol)
            .iter()
            .chain(crate::protocol::ATTACK_FIGURES)
            .chain(crate::protocol::UPLINK_FIGURES);
        for f in declared {
            if f.value(&ma).is_some() || f.value(&mb).is_some() {
                let (a, b) = f.text_pair(&ma, &mb);
                rows.push((f.label, a, b));
            }
        }
        rows
    }

    /// Bring variant A to B's virtual time (or further, while B has finished and A has not).
    fn sync_compare(&mut self, t_us: u64) {
        if let Some(a) = &mut self.compare {
            a.sim.advance_to(t_us);
            a.snapshot();
        }
    }

    /// Both variants of a comparison (or the one run) are over.
    pub fn all_finished(&self) -> bool {
        self.sim.finished() && self.compare.as_ref().is_none_or(|a| a.sim.finished())
    }

    fn now_us(&self) -> u64 {
        self.compare.as_ref().map_or(0, |a| a.sim.now_us()).max(self.sim.now_us())
    }

    /// The timeline's time: the later of the variants' clocks, so a comparison
    /// plays and scrubs to the slower variant's end.
    pub fn timeline_us(&self) -> u64 {
        self.now_us()
    }

    /// Start the run again from its scenario (same seed: the same run).
    pub fn reset(&mut self) {
        self.sim = fresh(&self.scenario);
        self.checkpoints.clear();
        self.clock_us = 0.0;
        self.horizon_us = 0;
        self.selected = self.selected.filter(|&n| n < self.scenario.capacity());
        self.theory = theory_curve(&self.scenario);
        if let Some(a) = &mut self.compare {
            // Same seed as B: a comparison of settings, not of luck.
            a.scenario.seed = self.scenario.seed;
            *a = Variant::new(a.scenario.clone());
        }
        self.snapshot();
    }

    /// Whether a new value of `key` would apply to the run under way (a live
    /// setting, with the run started and not over), rather than start a new run.
    pub fn applies_live(&self, key: &str) -> bool {
        crate::scenario::spec(key).is_some_and(|p| p.live == Live::Live) && self.part_way()
    }

    /// The run has started and is not over: a live change now goes on from here.
    pub fn part_way(&self) -> bool {
        self.sim.now_us() > 0 && !self.sim.finished()
    }

    /// The run, to read.
    pub fn sim(&self) -> &dyn Runner {
        self.sim.as_ref()
    }

    /// The settings in force now: the scenario's, with the live changes made so far.
    pub fn current(&self) -> &Scenario {
        self.sim.scenario()
    }

    /// Change one setting. A live setting part-way through a run changes the run
    /// from now on (`change_live`); any other change starts a new run. A refused
    /// value leaves the run as it was and explains why.
    pub fn set_param(&mut self, key: &str, value: &str) -> Result<(), ScenarioError> {
        if self.applies_live(key) {
            return self.change_live(key, value);
        }
        let mut next = self.scenario.clone();
        let mut checked = next.set(key, value).map_err(Scenario::for_page);
        if checked.is_ok() && next.topology == crate::scenario::Topology::Edges && next.edges.is_empty() {
            // A graph of one's own starts as the ring of the cluster's nodes, to edit in the Edge list.
            let n = next.nodes;
            next.edges = crate::sim::topology::EdgeList((0..n).map(|i| (i, (i + 1) % n)).collect());
        }
        checked = checked.and_then(|_| next.validate_for_page());
        match checked {
            Ok(()) => {
                self.drafts.remove(key);
                self.errors.retain(|e| !e.starts_with(&format!("{key}:")));
                let old = self.scenario.get(key).unwrap_or_default();
                self.keep_for_comparison(format!("{key}={old}"));
                self.scenario = next;
                self.reset();
                Ok(())
            }
            Err(e) => self.refuse(key, value, e),
        }
    }

    /// A value that could not be had (an address that did not answer): kept in
    /// its field, and the banner says why.
    pub fn refuse_value(&mut self, key: &str, value: &str, why: String) {
        let e = ScenarioError::Invalid { field: key.into(), value: value.into(), allowed: why };
        let _ = self.refuse(key, value, e);
    }

    /// Keep a refused value in its field and explain it in the banner.
    fn refuse(&mut self, key: &str, value: &str, e: ScenarioError) -> Result<(), ScenarioError> {
        let msg = e.to_string();
        self.drafts.insert(key.to_string(), Draft { value: value.to_string(), why: msg.clone() });
        self.errors.retain(|m| m != &msg);
        self.errors.push(msg);
        self.version += 1;
        Err(e)
    }

    /// A live setting changes now, and the run goes on under it. The change is
    /// an entry of the fault schedule (rounds: at this round; timed: at this
    /// millisecond), so the link replays it. After scrubbing back, the changes
    /// that followed this moment are replaced by this one.
    fn change_live(&mut self, key: &str, value: &str) -> Result<(), ScenarioError> {
        // The value is checked against the settings in force now, and the schedule as a whole.
        let mut probe = self.current().clone();
        if let Err(e) = probe.set(key, value).map_err(Scenario::for_page) {
            return self.refuse(key, value, e);
        }
        let change = Change::new(key, value).expect("checked above");
        let (at, at_us) = match self.scenario.timing {
            Timing::Rounds => (At::Round(self.sim.round()), self.sim.now_us()),
            Timing::Timed => {
                let ms = self.sim.now_us().div_ceil(1000);
                (At::Ms(ms), ms * 1000)
            }
        };
        let later = |e: &FaultEntry| match e.at {
            At::Round(r) => r > self.sim.round(),
            At::Ms(ms) => ms * 1000 > at_us,
        };
        let mut next = self.scenario.clone();
        // A change after this moment is replaced; so is one of the same setting at
        // this very moment (a number field's arrows commit every step).
        let same = |e: &FaultEntry| e.at == at && matches!(&e.fault, Fault::Set(c) if c.spec.key == key);
        next.faults.0.retain(|e| !(matches!(e.fault, Fault::Set(_)) && (later(e) || same(e))));
        next.faults.push(at, Fault::Set(change));
        if let Err(e) = next.validate_for_page() {
            return self.refuse(key, value, e);
        }
        self.drafts.remove(key);
        self.errors.retain(|e| !e.starts_with(&format!("{key}:")) && !e.starts_with("faults:"));
        self.scenario = next;
        // The run follows the new schedule from here: the change now, and not
        // the changes it replaced, which were still to come.
        self.sim.advance_to(at_us);
        follow_schedule(&mut self.sim, &mut self.checkpoints, &self.scenario);
        self.sync_compare(at_us);
        self.clock_us = self.now_us() as f64;
        self.continue_theory();
        self.snapshot();
        // What followed this moment was another run: the timeline ends here now.
        self.horizon_us = self.now_us();
        Ok(())
    }

    /// The theory curve after a live change: up to now as it was, then the
    /// model's prediction from the measured coverage under the settings in force.
    fn continue_theory(&mut self) {
        if self.theory.is_empty() {
            return;
        }
        let s = self.current();
        let Some(p) = self.sim.series().points.last() else { return };
        let r = p.round as usize;
        let live = p.live.max(1) as f64;
        let rest = theory_rounds(s).saturating_sub(p.round);
        let next = if s.updates <= 1 {
            crate::theory::sir_from(s, p.coverage, p.active as f64 / live, rest)
        } else {
            Vec::new()
        };
        self.theory.truncate(r + 1);
        self.theory.extend(next.iter().skip(1).map(|q| q.coverage));
    }

    /// The live changes this run has made so far, where the chart marks them:
    /// (round, label such as "fanout 3").
    pub fn changes(&self) -> Vec<(f64, String)> {
        let points = &self.sim.series().points;
        self.scenario
            .faults
            .0
            .iter()
            .filter_map(|e| {
                let label = match &e.fault {
                    Fault::Set(c) => c.label(),
                    Fault::Loss(p) => format!("Loss rate {p}"),
                    _ => return None,
                };
                let round = match e.at {
                    At::Round(r) => (r <= self.sim.round()).then_some(f64::from(r))?,
                    At::Ms(ms) => {
                        // The first sample at or after the change (samples are in time order).
                        let i = points.partition_point(|p| p.t_ms < ms as f64);
                        if i == points.len() {
                            return None;
                        }
                        // Between two samples: in proportion.
                        let p = &points[i];
                        match i.checked_sub(1).map(|j| &points[j]) {
                            Some(q) if p.t_ms > q.t_ms => {
                                f64::from(q.round)
                                    + (ms as f64 - q.t_ms) / (p.t_ms - q.t_ms) * f64::from(p.round - q.round)
                            }
                            _ => f64::from(p.round),
                        }
                    }
                };
                Some((round, label))
            })
            .fold(Vec::new(), |mut out: Vec<(f64, String)>, (round, label)| {
                // Changes made at one moment share one mark.
                match out.last_mut() {
                    Some(last) if last.0 == round => last.1 = format!("{}, {label}", last.1),
                    _ => out.push((round, label)),
                }
                out
            })
    }

    pub fn dismiss_errors(&mut self) {
        self.errors.clear();
        self.drafts.clear();
        self.version += 1;
    }

    pub fn play(&mut self) {
        if self.all_finished() {
            self.reset();
        }
        self.playing = true;
        self.clock_us = self.now_us() as f64;
        self.version += 1;
    }

    pub fn pause(&mut self) {
        self.playing = false;
        self.version += 1;
    }

    /// One round (or one interval).
    pub fn step(&mut self) {
        self.playing = false;
        self.sim.step();
        if let Some(a) = &mut self.compare {
            a.sim.step();
            a.snapshot();
        }
        self.clock_us = self.now_us() as f64;
        self.snapshot();
    }

    /// Timed mode: run to the next event time (every event due then: a tick, a
    /// delivery, a timer, a fault), the finest step there is. Rounds: one round.
    pub fn step_event(&mut self) {
        let Some(t) = self.sim.next_event_us() else { return self.step() };
        self.playing = false;
        // An event due now has run already; go to the next instant that holds one.
        let t = if t <= self.sim.now_us() { self.sim.now_us() + 1 } else { t };
        self.sim.advance_to(t);
        self.sync_compare(t);
        self.clock_us = self.now_us() as f64;
        self.snapshot();
    }

    /// Every chart's data as CSV, one row per sample: round, time, coverage, nodes
    /// still spreading, live nodes, messages and bytes so far, and the protocol's
    /// own series; with a comparison, variant A's columns follow with an `a_` prefix.
    pub fn series_csv(&self) -> String {
        let columns = |sim: &dyn Runner| {
            let extra = sim.protocol_series();
            let mut head: Vec<String> = ["round", "t_ms", "coverage", "active", "live", "msgs", "bytes"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            head.extend(extra.iter().map(|(k, _)| k.to_string()));
            let rows: Vec<Vec<String>> = sim
                .series()
                .points
                .iter()
                .map(|p| {
                    let mut row = vec![
                        p.round.to_string(),
                        format!("{}", p.t_ms),
                        format!("{}", p.coverage),
                        p.active.to_string(),
                        p.live.to_string(),
                        p.msgs.to_string(),
                        p.bytes.to_string(),
                    ];
                    row.extend(extra.iter().map(|(_, v)| {
                        v.get(p.round as usize).copied().flatten().map_or(String::new(), |x| format!("{x}"))
                    }));
                    row
                })
                .collect();
            (head, rows)
        };
        let (mut head, mut rows) = columns(self.sim.as_ref());
        if let Some(a) = &self.compare {
            let (ha, ra) = columns(a.sim.as_ref());
            let width = ha.len();
            head.extend(ha.into_iter().map(|h| format!("a_{h}")));
            let n = rows.len().max(ra.len());
            let width_b = head.len() - width;
            rows.resize(n, vec![String::new(); width_b]);
            for (i, row) in rows.iter_mut().enumerate() {
                row.extend(ra.get(i).cloned().unwrap_or_else(|| vec![String::new(); width]));
            }
        }
        let mut out = head.join(",");
        out.push('\n');
        for row in rows {
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// The node's latest messages, newest first, from the drawing buffer: "→ 12 at 3.214 s (lost)".
    pub fn last_messages(&self, node: NodeId, max: usize) -> Vec<String> {
        self.edges
            .iter()
            .rev()
            .filter(|e| e.from == node || e.to == node)
            .take(max)
            .map(|e| {
                let (arrow, peer) = if e.from == node { ("→", e.to) } else { ("←", e.from) };
                let lost = if e.arrive_us == u64::MAX { " (lost)" } else { "" };
                format!("{arrow} {peer} at {:.3} s{lost}", e.sent_us as f64 / 1e6)
            })
            .collect()
    }

    /// Advance by `real_ms` of wall time at the current speed, spending at most
    /// `budget_ms` of the `clock` (milliseconds) on it, so a frame never stalls the page.
    pub fn frame(&mut self, real_ms: f64, budget_ms: f64, clock: &dyn Fn() -> f64) {
        if !self.playing {
            return;
        }
        let start = clock();
        let interval_us = f64::from(self.current().interval_ms) * 1000.0;
        match self.speed {
            Speed::Max => {
                // Step whichever run is behind, so A and B stay side by side.
                while clock() - start < budget_ms {
                    let b_now = if self.sim.finished() { u64::MAX } else { self.sim.now_us() };
                    match &mut self.compare {
                        Some(a) if !a.sim.finished() && a.sim.now_us() <= b_now => {
                            a.sim.step();
                        }
                        _ if !self.sim.finished() => {
                            self.sim.step();
                        }
                        _ => break,
                    }
                }
                if let Some(a) = &mut self.compare {
                    a.snapshot();
                }
                self.clock_us = self.now_us() as f64;
            }
            Speed::Times(x) => {
                // At most one second of real time per frame: a background tab does not come back to a burst.
                self.clock_us += real_ms.min(1000.0) * 1000.0 * x;
                let target = self.clock_us as u64;
                if self.scenario.timing == crate::scenario::Timing::Rounds {
                    // A round is atomic: run each one that is due, while the budget lasts.
                    while !self.sim.finished() && self.sim.next_round_us() <= target && clock() - start < budget_ms {
                        self.sim.step();
                    }
                } else {
                    // Small slices, so the budget is checked often.
                    let slice = (interval_us / 8.0).max(1.0) as u64;
                    while !self.sim.finished() && self.sim.now_us() < target && clock() - start < budget_ms {
                        self.sim.advance_to((self.sim.now_us() + slice).min(target));
                    }
                }
                self.sync_compare(target);
                // Do not let the clock run far ahead of what the budget allowed.
                self.clock_us = self.clock_us.min(self.now_us() as f64 + interval_us);
            }
        }
        if self.all_finished() {
            self.playing = false;
        }
        self.snapshot();
    }

    fn snapshot(&mut self) {
        self.checkpoints.offer(self.sim.as_ref());
        self.horizon_us = self.horizon_us.max(self.now_us());
        if self.scenario.view == crate::scenario::ViewKind::Partial {
            if self.in_degree_round != self.sim.round() {
                self.in_degree_round = self.sim.round();
                let m = self.sim.figures();
                self.in_degree = m.in_degree_mean.zip(m.in_degree_std);
            }
        } else {
            self.in_degree = None;
        }
        self.sim.node_states(&mut self.states);
        self.sim.recent_edges(&mut self.edges);
        self.version += 1;
    }

    /// Crash a live node, or restart a crashed one; recorded in the fault schedule.
    pub fn toggle_node(&mut self, node: NodeId) {
        let Some(&state) = self.states.get(node as usize) else {
            return;
        };
        let fault = if state == NodeState::Down as u8 || state == NodeState::Unnoticed as u8 {
            Fault::Restart(NodeSet::single(node))
        } else if state == NodeState::Absent as u8 {
            return;
        } else {
            Fault::Crash(NodeSet::single(node))
        };
        self.command_now(fault, node);
    }

    /// Apply a fault now, to both variants when comparing, and record it in the
    /// fault schedule so the link replays it. `highest` is the largest node id it names.
    fn command_now(&mut self, fault: Fault, highest: NodeId) {
        // Land on a whole millisecond first, so the recorded time replays exactly.
        let at_ms = self.sim.now_us().div_ceil(1000);
        self.sim.advance_to(at_ms * 1000);
        self.scenario.faults.push(At::Ms(at_ms), fault.clone());
        follow_schedule(&mut self.sim, &mut self.checkpoints, &self.scenario);
        // The same action on A, so the comparison stays one of settings.
        if let Some(a) = &mut self.compare {
            if highest < a.scenario.capacity() {
                a.sim.advance_to(at_ms * 1000);
                a.scenario.faults.push(At::Ms(at_ms), fault);
                a.record();
                a.snapshot();
            }
        }
        self.snapshot();
        self.version += 1;
    }

    /// Cut the chosen nodes off from the rest (a rectangle dragged on the graph).
    /// Nothing happens when the selection is empty or holds every node.
    pub fn partition(&mut self, mut nodes: Vec<NodeId>) -> bool {
        nodes.sort_unstable();
        nodes.dedup();
        let ids = self.sim.ids();
        nodes.retain(|&n| n < ids);
        if nodes.is_empty() || nodes.len() as u32 >= ids {
            return false;
        }
        // Consecutive ids become ranges, so the link stays short.
        let mut ranges: Vec<(NodeId, NodeId)> = Vec::new();
        for n in nodes {
            match ranges.last_mut() {
                Some(r) if r.1 + 1 == n => r.1 = n,
                _ => ranges.push((n, n)),
            }
        }
        let highest = ranges.last().map_or(0, |r| r.1);
        self.command_now(Fault::Partition(vec![NodeSet(ranges)]), highest);
        true
    }

    /// Remove every partition and cut now.
    pub fn heal(&mut self) {
        self.command_now(Fault::Heal, 0);
    }

    /// Write a new update at a node (a rumor, a new version of a key, or one of its
    /// application keys), or with `delete` delete one of its keys. Recorded in the
    /// fault schedule; the run is replayed to now with it, exactly as the link will.
    /// `key` picks a membership key (None: the node's next one).
    pub fn write_at(&mut self, node: NodeId, key: Option<u16>, delete: bool) -> Result<(), ScenarioError> {
        let set = NodeSet::single(node);
        let fault = if delete { Fault::Delete(set, key) } else { Fault::Update(set, key) };
        let at_ms = self.sim.now_us().div_ceil(1000);
        let mut next = self.scenario.clone();
        next.faults.push(At::Ms(at_ms), fault.clone());
        if let Err(e) = next.validate_for_page() {
            let msg = e.to_string();
            self.errors.retain(|m| m != &msg);
            self.errors.push(msg);
            self.version += 1;
            return Err(e);
        }
        self.scenario = next;
        self.sim.advance_to(at_ms * 1000);
        follow_schedule(&mut self.sim, &mut self.checkpoints, &self.scenario);
        if let Some(a) = &mut self.compare {
            a.sim.advance_to(at_ms * 1000);
            a.scenario.faults.push(At::Ms(at_ms), fault);
            a.record();
        }
        let horizon = self.horizon_us;
        self.sync_compare(at_ms * 1000);
        self.clock_us = self.sim.now_us() as f64;
        self.snapshot();
        self.horizon_us = self.horizon_us.max(horizon);
        Ok(())
    }

    /// Keep the current run's coverage curve (if it ran at all) for comparison.
    pub fn keep_for_comparison(&mut self, label: String) {
        let points: Vec<(f64, f64)> =
            self.sim.series().points.iter().map(|p| (f64::from(p.round), p.coverage)).collect();
        if points.len() > 1 {
            self.past.insert(0, PastRun { label, points });
            self.past.truncate(KEEP_RUNS);
        }
    }

    /// Forget the earlier runs.
    pub fn clear_comparison(&mut self) {
        self.past.clear();
        self.version += 1;
    }

    /// Go to virtual time `t_us` of this run: runs are deterministic, so the
    /// state there is the replay of the scenario (with every recorded action),
    /// from the latest checkpoint before it. Scrubbing back and forth gives the
    /// same state as playing to it.
    pub fn seek(&mut self, t_us: u64) {
        self.playing = false;
        let horizon = self.horizon_us;
        rewind(&mut self.sim, &self.checkpoints, &self.scenario, t_us);
        if let Some(a) = &mut self.compare {
            rewind(&mut a.sim, &a.checkpoints, &a.scenario, t_us);
        }
        self.sync_compare(t_us);
        self.clock_us = self.now_us() as f64;
        self.snapshot();
        self.horizon_us = self.horizon_us.max(horizon);
    }

    /// Inspector rows for the selected node.
    pub fn inspect(&self) -> Option<Vec<(&'static str, String)>> {
        self.selected.filter(|&n| n < self.sim.ids()).map(|n| {
            let mut rows = self.sim.inspect(n);
            let last = self.last_messages(n, 5);
            rows.push(("last messages", if last.is_empty() { "none recently".into() } else { last.join("; ") }));
            rows
        })
    }

    pub fn select(&mut self, node: Option<NodeId>) {
        self.selected = node;
        self.version += 1;
    }

    pub fn coverage(&self) -> f64 {
        self.sim.series().points.last().map_or(0.0, |p| p.coverage)
    }

    /// The link that reproduces this run (and the comparison, as `vs.` keys).
    pub fn fragment(&self) -> String {
        let mut f = self.scenario.to_fragment();
        for (key, a, _) in self.differences() {
            if key != "seed" {
                f.push_str(&format!("&{VS_PREFIX}{key}={}", crate::scenario::percent_encode(&a)));
            }
        }
        f
    }

    /// A fresh seed (from the caller's entropy), applied at once.
    pub fn new_seed(&mut self, entropy: u64) {
        let seed = entropy & crate::scenario::SEED_MAX;
        let _ = self.set_param("seed", &seed.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_clock() -> f64 {
        0.0
    }

    /// Reopening keeps the speed, counts the replacement, and never reuses a version.
    #[test]
    fn reopen_keeps_the_speed_and_moves_the_version_on() {
        let mut p = Playground::from_fragment("nodes=50");
        p.speed = Speed::Max;
        p.play();
        p.frame(16.0, 10.0, &no_clock);
        let before = p.version;
        p.reopen("nodes=40&fanout=3");
        assert_eq!(p.scenario.nodes, 40);
        assert_eq!(p.scenario.fanout, 3);
        assert_eq!(p.speed, Speed::Max);
        assert!(!p.playing, "a new scenario waits for Play");
        assert!(p.version > before, "version {} after {before}", p.version);
        assert_eq!(p.generation, 1);
        p.reopen("nodes=-5");
        assert_eq!(p.generation, 2);
        assert!(p.errors.iter().any(|e| e.starts_with("nodes")), "{:?}", p.errors);
    }

    /// Playing the default scenario reaches full coverage, and reset gives the same run again.
    #[test]
    fn play_to_the_end_then_reset_repeats() {
        let mut p = Playground::from_fragment("");
        assert!(p.errors.is_empty());
        p.speed = Speed::Max;
        p.play();
        let mut frames = 0;
        let mut t = 0.0;
        let clock = move || {
            t += 1.0;
            t
        };
        let clock = std::cell::RefCell::new(clock);
        while p.playing && frames < 10_000 {
            p.frame(16.0, 8.0, &|| (clock.borrow_mut())());
            frames += 1;
        }
        assert_eq!(p.coverage(), 1.0);
        let first = p.sim.metrics().trace_hash;
        p.reset();
        p.sim.run_to_end();
        assert_eq!(p.sim.metrics().trace_hash, first);
    }

    /// A refused value keeps the old run, shows a message naming the field and range, and keeps the draft.
    #[test]
    fn bad_value_is_explained() {
        let mut p = Playground::from_fragment("");
        assert!(p.set_param("nodes", "1000000").is_err());
        assert_eq!(p.scenario.nodes, 200);
        assert!(p.errors.last().unwrap().contains("nodes") && p.errors.last().unwrap().contains("100000"));
        assert_eq!(p.drafts.get("nodes").map(|d| d.value.as_str()), Some("1000000"));
        assert!(p.drafts["nodes"].why.contains("100000"), "the field says why, as the banner does");
        p.set_param("nodes", "300").unwrap();
        assert!(p.drafts.is_empty() && p.errors.is_empty());
        assert_eq!(p.states.len(), 300);
    }

    /// A broken link opens the default run with an error per bad field, never a blank page.
    #[test]
    fn broken_fragment_opens_defaults() {
        let p = Playground::from_fragment("#nodes=-5&fanout=3&loss_rate=2");
        assert_eq!(p.scenario.fanout, 3);
        assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
        // Under the range, over the page's limit, over the command line's too, not a
        // number: the page names its own range every time.
        for big in ["-5", "0", "1", "abc", "900000", "99999999"] {
            let p = Playground::from_fragment(&format!("#nodes={big}"));
            assert_eq!(p.scenario.nodes, 200);
            assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
            let range = |e: &str| e.contains("allowed 2 to 100000") || e.contains("from 2 to 100000");
            assert!(range(&p.errors[0]), "{:?}", p.errors);
            // Only a count over the limit is told the page's maximum.
            let over = big.parse::<f64>().is_ok_and(|v| v > 100000.0);
            assert_eq!(p.errors[0].contains("at most 100000"), over, "{:?}", p.errors);
            let mut q = Playground::from_fragment("");
            let e = q.set_param("nodes", big).unwrap_err().to_string();
            assert!(range(&e), "{e}");
        }
    }

    /// A crash by click lands in the fault schedule, so the share link replays it.
    #[test]
    fn crash_by_click_is_in_the_link() {
        let mut p = Playground::from_fragment("#nodes=50");
        p.step();
        p.step();
        p.toggle_node(7);
        assert_eq!(p.states[7], NodeState::Down as u8);
        assert!(p.fragment().contains("faults=crash:7@2s"), "{}", p.fragment());
        p.sim.run_to_end();
        let live_run = p.sim.metrics().trace_hash;
        let mut q = Playground::from_fragment(&p.fragment());
        q.sim.run_to_end();
        assert_eq!(q.sim.metrics().trace_hash, live_run);
    }

    /// A live change part-way goes on from the same round, is written into the
    /// link, and the link replays the same run; the chart marks it and the
    /// theory curve continues from the measured state. Settings that define the
    /// cluster still start a new run.
    #[test]
    fn a_live_change_goes_on_and_the_link_replays_it() {
        for (base, key, value, entry) in [
            ("#nodes=2000&fanout=1&stop=feedback-coin&k=3", "fanout", "3", "fanout:3@4r"),
            ("#nodes=300&timing=timed&fanout=1", "loss_rate", "0.3", "loss_rate:0.3@4s"),
            ("#nodes=300&timing=timed&fanout=1", "interval_ms", "400", "interval_ms:400@4s"),
            ("#nodes=40&protocol=membership&timing=timed&max_rounds=30", "phi_threshold", "3", "phi_threshold:3@4s"),
        ] {
            let mut p = Playground::from_fragment(base);
            for _ in 0..4 {
                p.step();
            }
            let round = p.sim.round();
            let theory_before = p.theory.clone();
            p.set_param(key, value).unwrap();
            assert_eq!(p.sim.round(), round, "{base}: {key} restarted the run");
            assert_eq!(p.current().get(key).as_deref(), Some(value));
            assert!(p.fragment().contains(entry), "{base}: {}", p.fragment());
            assert_eq!(p.changes().len(), 1, "{base}");
            let label = &p.changes()[0].1;
            assert!(label.ends_with(value) || label.ends_with(&format!("{value} ms")), "{label}");
            // A second change at the same moment shares the mark.
            if key != "loss_rate" {
                p.set_param("loss_rate", "0.05").unwrap();
                assert_eq!(p.changes().len(), 1, "{base}");
                assert!(p.changes()[0].1.ends_with(", Loss rate 0.05"), "{:?}", p.changes());
                p.set_param("loss_rate", "0").unwrap();
            }
            if !theory_before.is_empty() {
                assert_eq!(p.theory[..=round as usize], theory_before[..=round as usize]);
                assert_ne!(p.theory, theory_before, "{base}: the theory did not continue");
            }
            p.sim.run_to_end();
            let mut q = Playground::from_fragment(&p.fragment());
            q.sim.run_to_end();
            assert_eq!(q.sim.metrics().trace_hash, p.sim.metrics().trace_hash, "{base}");
        }
        // Nodes define the cluster: a new run.
        let mut p = Playground::from_fragment("#nodes=300");
        p.step();
        p.step();
        p.set_param("nodes", "400").unwrap();
        assert_eq!(p.sim.round(), 0);
        assert!(!p.applies_live("fanout"), "at round 0 a change is the run's own setting");
    }

    /// Scrubbing back before a change and changing something else replaces what
    /// followed: the link holds the new change only, and replays this run.
    #[test]
    fn changing_after_scrubbing_back_replaces_what_followed() {
        let mut p = Playground::from_fragment("#nodes=3000&fanout=1&stop=feedback-coin&k=2");
        for _ in 0..6 {
            p.step();
        }
        p.set_param("fanout", "4").unwrap();
        p.step();
        p.step();
        p.seek(3_000_000);
        assert_eq!(p.sim.round(), 3);
        assert_eq!(p.current().fanout, 1, "before the change, the old value is in force");
        p.set_param("k", "5").unwrap();
        assert_eq!(p.scenario.faults.to_string(), "k:5@3r");
        assert_eq!(p.sim.round(), 3);
        assert_eq!(p.current().k, 5);
        p.sim.run_to_end();
        let mut q = Playground::from_fragment(&p.fragment());
        q.sim.run_to_end();
        assert_eq!(q.sim.metrics().trace_hash, p.sim.metrics().trace_hash);
        // A value refused part-way keeps the run and names the field and its range.
        let mut r = Playground::from_fragment("#nodes=300");
        r.step();
        assert!(r.set_param("fanout", "99").is_err());
        assert!(r.errors.last().unwrap().contains("fanout"), "{:?}", r.errors);
        assert_eq!((r.sim.round(), r.current().fanout), (1, 2));
    }

    /// Scrubbing back to an earlier round gives exactly the state of a run played
    /// to that round, and scrubbing forward again returns to where it was.
    #[test]
    fn seek_matches_playing_to_that_point() {
        let mut p = Playground::from_fragment("#nodes=400&timing=timed&loss_rate=0.2&faults=crash:5@3s");
        for _ in 0..9 {
            p.step();
        }
        let end_states = p.states.clone();
        let end_msgs = p.sim.stats().sent;
        let end = p.horizon_us;
        assert!(end >= 6_000_000);
        p.seek(4_000_000);
        let mut q = Playground::from_fragment("#nodes=400&timing=timed&loss_rate=0.2&faults=crash:5@3s");
        for _ in 0..4 {
            q.step();
        }
        assert_eq!(p.sim.round(), 4);
        assert_eq!(p.states, q.states);
        assert_eq!(p.sim.stats(), q.sim.stats());
        assert_eq!(p.horizon_us, end, "the timeline keeps its end");
        p.seek(end);
        assert_eq!(p.states, end_states);
        assert_eq!(p.sim.stats().sent, end_msgs);
    }

    /// Choosing a graph of one's own starts from the ring of the nodes, with its
    /// edge list shown to edit, not a refusal.
    #[test]
    fn choosing_edges_starts_from_a_ring() {
        let mut p = Playground::from_fragment("#nodes=5");
        p.set_param("topology", "edges").unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.scenario.get("edges").unwrap(), "0-1,1-2,2-3,3-4,4-0");
        assert!(p.scenario.inactive("edges").is_none());
    }

    /// A long run keeps checkpoints; scrubbing back lands on a played state from
    /// the nearest one, and a crash by click and a live change made there give
    /// the run the link replays, checkpoints and all.
    #[test]
    fn scrubbing_back_on_a_long_run_replays_from_a_checkpoint() {
        let link = "#nodes=120&protocol=membership&timing=timed&max_rounds=400&faults=churn:0.01@5s";
        let mut p = Playground::from_fragment(link);
        for _ in 0..300 {
            p.step();
        }
        assert!(p.checkpoints.len() >= 8, "{:?}", p.checkpoints.rounds());
        p.seek(123_400_000);
        let mut q = Playground::from_fragment(link);
        q.sim.advance_to(123_400_000);
        q.snapshot();
        assert_eq!(p.states, q.states);
        assert_eq!(p.sim.metrics().trace_hash, q.sim.metrics().trace_hash);
        // Actions at the scrubbed-to moment: what followed is replaced, and the link replays it.
        p.toggle_node(17);
        p.set_param("fail_timeout_ms", "3000").unwrap();
        for _ in 0..60 {
            p.step();
        }
        assert!(p.scenario.faults.0.len() >= 3, "{}", p.fragment());
        let mut r = Playground::from_fragment(&format!("#{}", p.fragment()));
        r.sim.advance_to(p.sim.now_us());
        assert_eq!(p.sim.metrics().trace_hash, r.sim.metrics().trace_hash, "{}", p.fragment());
        // Back again, before the actions: the checkpoints that went past them were dropped.
        p.seek(100_000_000);
        r.seek(100_000_000);
        assert_eq!(p.states, r.states);
        assert_eq!(p.sim.metrics().trace_hash, r.sim.metrics().trace_hash);
    }

    /// Changing a setting keeps the previous run's curve, labelled with the old value, newest first.
    #[test]
    fn previous_runs_are_kept_for_comparison() {
        let mut p = Playground::from_fragment("#nodes=100&fanout=1");
        p.sim.run_to_end();
        p.set_param("fanout", "3").unwrap();
        assert_eq!(p.past.len(), 1);
        assert_eq!(p.past[0].label, "fanout=1");
        assert_eq!(p.past[0].points.last().unwrap().1, 1.0);
        for f in ["4", "5", "6"] {
            p.sim.run_to_end();
            p.set_param("fanout", f).unwrap();
        }
        assert_eq!(p.past.len(), KEEP_RUNS);
        assert_eq!(p.past[0].label, "fanout=5");
        // A refused value keeps nothing new.
        let _ = p.set_param("fanout", "0");
        assert_eq!(p.past[0].label, "fanout=5");
    }

    /// With partial views the page shows the in-degree spread, updated as rounds pass.
    #[test]
    fn in_degree_for_partial_views() {
        let mut p = Playground::from_fragment("#nodes=200&view=partial&view_size=6");
        let (mean, std) = p.in_degree.unwrap();
        assert!((mean - 6.0).abs() < 0.5 && std >= 0.0);
        p.step();
        assert!(p.in_degree.is_some());
        assert!(Playground::from_fragment("#nodes=200").in_degree.is_none());
    }

    /// The inspector shows engine and protocol rows for the selected node.
    #[test]
    fn inspector_rows() {
        let mut p = Playground::from_fragment("#nodes=10");
        p.select(Some(0));
        let rows = p.inspect().unwrap();
        assert!(rows.iter().any(|(k, v)| *k == "rumor" && v.contains("origin")));
        assert!(rows.iter().any(|(k, v)| *k == "status" && v == "up"));
        p.toggle_node(0);
        let rows = p.inspect().unwrap();
        assert!(rows.iter().any(|(k, v)| *k == "status" && v == "crashed"));
    }

    /// A rectangle dragged on the graph cuts those nodes off: the partition (with
    /// consecutive ids as ranges) and the heal are in the link, which replays the run.
    #[test]
    fn partition_by_selection_is_in_the_link() {
        let mut p = Playground::from_fragment("#nodes=100&timing=timed&spread=push-pull");
        p.step();
        assert!(p.partition(vec![3, 1, 2, 2, 40, 41, 99]));
        let frag = p.fragment();
        assert!(frag.contains("partition:1-3+40-41+99@1s"), "{frag}");
        p.heal();
        assert!(p.fragment().contains("heal"), "{}", p.fragment());
        // Empty or everything: no partition.
        assert!(!p.partition(Vec::new()));
        assert!(!p.partition((0..100).collect()));
        // The link replays the same run.
        let mut q = Playground::from_fragment(&p.fragment());
        let t = p.sim.now_us();
        q.seek(t);
        assert_eq!(q.sim.metrics().trace_hash, p.sim.metrics().trace_hash);
    }

    /// Every claim's scenario opens in the page, and its measurement, taken as the
    /// page will take it at the end of one run, passes its test (native run, same seed).
    #[test]
    fn claims_hold() {
        for c in &CLAIMS {
            let p = Playground::from_fragment(c.fragment);
            assert!(p.errors.is_empty(), "{}: {:?}", c.claim, p.errors);
            let m = crate::run(&p.scenario).unwrap();
            let v = (c.value)(&m).unwrap_or_else(|| panic!("{}: nothing measured", c.claim));
            assert!((c.holds)(v), "{}: measured {v}", c.claim);
        }
    }

    /// The CSV export has a header and one row per sample, with the protocol's own
    /// series, and variant A's columns when comparing; the JSON export reads back.
    #[test]
    fn exports() {
        let mut p = Playground::from_fragment("#nodes=500&protocol=aggregate&fanout=1&vs.exchange=push-sum");
        for _ in 0..5 {
            p.step();
        }
        let csv = p.series_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("round,t_ms,coverage,active,live,msgs,bytes,variance"), "{}", lines[0]);
        assert!(lines[0].contains(",a_round,") && lines[0].contains("a_variance"), "{}", lines[0]);
        assert_eq!(lines.len(), 1 + p.sim.series().points.len());
        let width = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == width));
        assert_eq!(Scenario::from_json(&p.scenario.to_json()).unwrap(), p.scenario);
    }

    /// Step one event in timed mode moves time forward by less than an interval, to an
    /// instant where something happened, and never backwards; the inspector lists the
    /// node's latest messages.
    #[test]
    fn step_one_event() {
        let mut p = Playground::from_fragment("#nodes=50&timing=timed&spread=push-pull");
        let mut last = p.sim.now_us();
        let mut sent = p.sim.stats().sent;
        for _ in 0..40 {
            p.step_event();
            let now = p.sim.now_us();
            assert!(now > last && now - last < 1_000_000, "{last} -> {now}");
            last = now;
            sent = sent.max(p.sim.stats().sent);
        }
        assert!(sent > 0, "forty events and no message");
        // A node that took part in one of those messages.
        let mut edges = Vec::new();
        p.sim.recent_edges(&mut edges);
        let node = edges.last().expect("a message was sent, so it was recorded").from;
        p.select(Some(node));
        let rows = p.inspect().unwrap();
        let last = rows.iter().find(|(k, _)| *k == "last messages").unwrap();
        assert!(last.1.contains(" at ") && (last.1.contains('→') || last.1.contains('←')), "{}", last.1);
    }

    /// Real time maps to virtual time: at 1× and a 1000 ms interval, 3 s of frames run 3 rounds.
    #[test]
    fn speed_maps_real_to_virtual_time() {
        let mut p = Playground::from_fragment("#nodes=2000&fanout=1");
        p.speed = Speed::Times(1.0);
        p.play();
        for _ in 0..(3000 / 20) {
            p.frame(20.0, 1e9, &no_clock);
        }
        assert_eq!(p.sim.round(), 3);
    }

    /// A comparison plays and scrubs to the slower variant's end, whichever
    /// variant it is, at every speed and in both time models; the timeline's
    /// time is the later of the two, and playing on from the middle ends there too.
    #[test]
    fn comparison_plays_and_scrubs_to_the_slower_end() {
        for timing in ["rounds", "timed"] {
            for (b, a) in [(4, 1), (1, 4)] {
                for speed in [Speed::Times(20.0), Speed::Max] {
                    let frag = format!("#nodes=500&timing={timing}&fanout={b}&vs.fanout={a}");
                    let what = format!("{frag} {speed:?}");
                    let mut p = Playground::from_fragment(&frag);
                    p.speed = speed;
                    let play_out = |p: &mut Playground| {
                        p.play();
                        for _ in 0..100_000 {
                            if !p.playing {
                                return;
                            }
                            p.frame(100.0, 1e9, &no_clock);
                        }
                        panic!("{what}: still playing");
                    };
                    play_out(&mut p);
                    let ends = |p: &Playground| (p.compare.as_ref().unwrap().sim.now_us(), p.sim.now_us());
                    let (a_end, b_end) = ends(&p);
                    assert!(p.compare.as_ref().unwrap().sim.finished() && p.sim.finished(), "{what}");
                    assert!((a_end > b_end) == (a < b), "{what}: A ends at {a_end}, B at {b_end}");
                    let end = a_end.max(b_end);
                    let (a_states, b_states) = (p.compare.as_ref().unwrap().states.clone(), p.states.clone());
                    assert_eq!((p.horizon_us, p.timeline_us()), (end, end), "{what}");
                    // Scrub to the middle: the slower variant is not at its end there.
                    let mid = (end / 2).div_ceil(1_000_000) * 1_000_000;
                    p.seek(mid);
                    assert_eq!(p.timeline_us(), mid, "{what}");
                    assert_eq!(p.horizon_us, end, "{what}");
                    let slower_states = if a_end > b_end { &p.compare.as_ref().unwrap().states } else { &p.states };
                    assert_ne!(slower_states, if a_end > b_end { &a_states } else { &b_states }, "{what}");
                    // Scrub to the end: both final states, as played.
                    p.seek(end);
                    assert_eq!(ends(&p), (a_end, b_end), "{what}");
                    assert_eq!((&p.compare.as_ref().unwrap().states, &p.states), (&a_states, &b_states), "{what}");
                    assert_eq!(p.timeline_us(), end, "{what}");
                    // Play on from the middle: to the slower end again.
                    p.seek(mid);
                    play_out(&mut p);
                    assert_eq!(ends(&p), (a_end, b_end), "{what}");
                }
            }
        }
    }

    /// A comparison runs A and B on the same seed side by side; the link carries A
    /// as `vs.` keys and reopens the same pair; a seed change applies to both.
    #[test]
    fn comparison_side_by_side() {
        let mut p = Playground::from_fragment("#nodes=500&fanout=1");
        p.pin();
        p.set_param("spread", "push-pull").unwrap();
        assert_eq!(p.differences(), vec![("spread", "push".to_string(), "push-pull".to_string())]);
        let frag = p.fragment();
        assert!(frag.ends_with("&vs.spread=push"), "{frag}");
        for _ in 0..5 {
            p.step();
        }
        let a = p.compare.as_ref().unwrap();
        assert_eq!(a.sim.round(), 5);
        assert_eq!(a.states.len(), 500);
        // Push-pull is ahead of push after five rounds, on the same seed.
        assert!(p.coverage() > a.sim.series().points.last().unwrap().coverage);
        let mut q = Playground::from_fragment(&frag);
        assert!(q.errors.is_empty(), "{:?}", q.errors);
        q.speed = Speed::Max;
        q.play();
        while q.playing {
            q.frame(16.0, 1e9, &no_clock);
        }
        let (a, b) = (q.compare.as_ref().unwrap().sim.metrics(), q.sim.metrics());
        assert_eq!(a.trace_hash, gossip_a_alone(&q.compare.as_ref().unwrap().scenario));
        assert!(a.coverage == 1.0 && b.coverage == 1.0);
        // A rumor run: every common figure, its delivery times too.
        assert_eq!(q.compare_rows().len(), 9);
        q.set_param("seed", "77").unwrap();
        assert_eq!(q.compare.as_ref().unwrap().scenario.seed, 77);
        let bad = Playground::from_fragment("#nodes=500&vs.fanout=0");
        assert!(bad.compare.is_none() && bad.errors[0].starts_with("vs.fanout"), "{:?}", bad.errors);
    }

    fn gossip_a_alone(s: &Scenario) -> String {
        crate::run(s).unwrap().trace_hash
    }

    /// Every preset opens without an error, and the A/B presets open a comparison.
    #[test]
    fn presets_open_cleanly() {
        for (label, frag) in PRESETS {
            let p = Playground::from_fragment(frag);
            assert!(p.errors.is_empty(), "{label}: {:?}", p.errors);
            assert_eq!(p.compare.is_some(), frag.contains("vs."), "{label}");
            let (options, errors) = super::super::page::PageOptions::from_fragment(frag);
            assert!(errors.is_empty(), "{label}: {errors:?}");
            // A WAN's minute-long suspicion plays at 10×, or it looks idle.
            if frag.contains("suspicion_ms=60000") {
                assert_eq!(options.speed, Some(Speed::Times(10.0)), "{label}");
            }
        }
    }

    /// Writing at a node goes into the schedule and the replayed run has it: a second
    /// rumor written at node 9 by hand reaches everyone, and the link replays it.
    #[test]
    fn write_by_hand_is_in_the_link() {
        let mut p = Playground::from_fragment("#nodes=100&fanout=2");
        p.step();
        p.step();
        p.write_at(9, None, false).unwrap();
        assert!(p.fragment().contains("update:9@2s"), "{}", p.fragment());
        assert_eq!(p.sim.round(), 2);
        p.sim.run_to_end();
        let m = p.sim.metrics();
        assert_eq!((m.updates, m.coverage), (2, 1.0));
        let mut q = Playground::from_fragment(&p.fragment());
        q.sim.run_to_end();
        assert_eq!(q.sim.metrics().trace_hash, m.trace_hash);
        // Past the rumor limit, the banner says so and the schedule is unchanged.
        let mut r = Playground::from_fragment("#nodes=100&updates=32");
        assert!(r.write_at(3, None, false).is_err());
        assert!(r.errors[0].contains("at most 32"), "{:?}", r.errors);
        assert!(!r.fragment().contains("update:"));
    }
}
