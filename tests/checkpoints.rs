//! Checkpoints (`sim::checkpoints`): a copy of a run goes on exactly as the run
//! does, for every protocol, in rounds and in timed mode; a fault schedule
//! changed part-way is followed from there as if it had been written at the
//! start; and the checkpoints of a long run stay few, evenly spread and within
//! their memory budget (this test binary counts its allocations, as the page does).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use gossip_lab::sim::build;
use gossip_lab::sim::checkpoints::Checkpoints;
use gossip_lab::sim::faults::{At, Fault, NodeSet};

#[global_allocator]
static ALLOC: gossip_lab::sim::mem::Counting = gossip_lab::sim::mem::Counting;

/// The allocator's count is the process's: the tests here take turns, so that
/// one's allocations are not counted in another's copies.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One scenario per protocol family, rounds and timed, with faults, churn,
/// loss, a topology, regions and an uplink among them.
const SCENARIOS: &[&[&str]] = &[
    &["nodes=500", "loss_rate=0.1", "stop=feedback-coin", "k=2"],
    &["nodes=300", "timing=timed", "latency=exponential", "spread=push-pull", "max_rounds=60"],
    &["nodes=300", "topology=small-world", "topology_degree=4", "rewire_rate=0.1", "max_rounds=200"],
    &["nodes=120", "protocol=membership", "timing=timed", "max_rounds=120", "faults=churn:0.02@10s"],
    &["nodes=100", "protocol=swim", "timing=timed", "max_rounds=120", "faults=crash:3@20s"],
    &["nodes=200", "protocol=aggregate", "epoch_rounds=20", "max_rounds=100", "loss_rate=0.05"],
    &["nodes=100", "protocol=anti-entropy", "updates=20", "update_every=2", "max_rounds=80"],
    &["nodes=100", "protocol=broadcast", "updates=10", "update_every=3", "max_rounds=80"],
    &["nodes=60", "protocol=election", "timing=timed", "max_rounds=100", "faults=crash:0@15s"],
    &["nodes=120", "timing=timed", "regions=4", "uplink_bytes_per_s=20000", "max_rounds=60"],
];

/// A fork taken part-way ends exactly as the run it was taken from: same trace
/// hash, same figures.
#[test]
fn a_fork_goes_on_as_the_run() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for pairs in SCENARIOS {
        let s = scenario(pairs);
        let mut whole = build(&s).unwrap();
        whole.run_to_end();
        let expected = whole.metrics();
        let mut run = build(&s).unwrap();
        for _ in 0..7 {
            run.step();
        }
        let mut fork = run.fork();
        drop(run);
        fork.run_to_end();
        let got = fork.metrics();
        assert_eq!(got.trace_hash, expected.trace_hash, "{pairs:?}");
        assert_eq!(got.rounds, expected.rounds, "{pairs:?}");
        assert_eq!(got.coverage, expected.coverage, "{pairs:?}");
    }
}

/// A crash, a partition, a heal and a restart recorded while the run plays
/// (the page's `reschedule`) give the run whose schedule had them from the
/// start; a new write is refused (the protocol is built for the writes).
#[test]
fn a_schedule_changed_part_way_is_the_written_one() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for pairs in SCENARIOS {
        let base = scenario(pairs);
        let mut run = build(&base).unwrap();
        let mut s = base.clone();
        let actions = [
            (5, Fault::Crash(NodeSet::single(7))),
            (8, Fault::Partition(vec![NodeSet(vec![(0, 20)])])),
            (11, Fault::Heal),
            (12, Fault::Restart(NodeSet::single(7))),
        ];
        for (round, fault) in actions {
            while run.round() < round && !run.finished() {
                run.step();
            }
            let ms = run.now_us().div_ceil(1000);
            run.advance_to(ms * 1000);
            s.faults.push(At::Ms(ms), fault);
            assert!(run.reschedule(&s.faults), "{pairs:?}: a change at now is the run's");
        }
        let mut write = s.clone();
        write.faults.push(At::Ms(run.now_us().div_ceil(1000)), Fault::Update(NodeSet::single(11), None));
        assert!(!run.reschedule(&write.faults), "{pairs:?}: a new write needs a new build");
        run.run_to_end();
        let mut written = build(&s).unwrap();
        written.run_to_end();
        assert_eq!(run.metrics().trace_hash, written.metrics().trace_hash, "{pairs:?}: {}", s.to_fragment());
    }
}

/// A change that would have happened before what the run has done is refused,
/// and the run is left as it was.
#[test]
fn a_change_in_the_past_is_refused() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario(&["nodes=200", "max_rounds=40"]);
    let mut run = build(&s).unwrap();
    for _ in 0..10 {
        run.step();
    }
    let before = run.metrics().trace_hash;
    let mut past = s.clone();
    past.faults.push(At::Round(3), Fault::Crash(NodeSet::single(1)));
    assert!(!run.reschedule(&past.faults));
    assert_eq!(run.metrics().trace_hash, before);
    assert!(run.reschedule(&s.faults), "the run's own schedule is always its own");
}

/// Seeking back replays from the nearest checkpoint and lands on exactly the
/// state a run played to that moment has; the checkpoints of a long run stay
/// at most `MAX`, within the budget (beyond `MIN`), evenly spread, the latest near now.
#[test]
fn checkpoints_are_bounded_and_exact() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario(&["nodes=150", "protocol=membership", "timing=timed", "max_rounds=3000", "faults=churn:0.02@10s"]);
    let budget = 16 << 20;
    let mut cps = Checkpoints::new(budget);
    let mut run = build(&s).unwrap();
    while run.step() {
        cps.offer(run.as_ref());
        assert!(cps.len() <= Checkpoints::MAX);
        assert!(cps.len() <= Checkpoints::MIN || cps.bytes() <= budget, "{} bytes in {}", cps.bytes(), cps.len());
    }
    assert!(cps.bytes() > 0, "the allocator counts what a copy holds");
    let rounds = cps.rounds();
    assert!(rounds.len() >= Checkpoints::MIN, "{rounds:?}");
    let every = cps.every();
    assert!(every >= 64, "3,000 rounds thinned: every {every}");
    for pair in rounds.windows(2) {
        assert!(pair[1] - pair[0] <= every && pair[1] > pair[0], "{rounds:?} every {every}");
    }
    assert!(3000 - rounds.last().unwrap() <= every, "{rounds:?}");
    // Back to three moments: each is the played run's state there.
    for t_s in [95u64, 1234, 2911] {
        let t = t_s * 1_000_000 + 250_000;
        // Before the first checkpoint, the page replays from the start.
        let mut back = cps.restore(t).unwrap_or_else(|| build(&s).unwrap());
        assert!(back.now_us() <= t && t - back.now_us() <= u64::from(every + 1) * 1_000_000, "at {t_s} s: {rounds:?}");
        back.advance_to(t);
        let mut played = build(&s).unwrap();
        played.advance_to(t);
        assert_eq!(back.metrics().trace_hash, played.metrics().trace_hash, "at {t_s} s");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        back.node_states(&mut a);
        played.node_states(&mut b);
        assert_eq!(a, b, "at {t_s} s");
    }
}

/// After a change of schedule, the checkpoints that went past it go; the rest
/// follow the new schedule, and a replay from them is the new run.
#[test]
fn amended_checkpoints_follow_the_new_schedule() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario(&["nodes=300", "max_rounds=200", "loss_rate=0.2", "stop=feedback-coin", "k=3"]);
    let mut cps = Checkpoints::new(usize::MAX);
    let mut run = build(&s).unwrap();
    for _ in 0..40 {
        run.step();
        cps.offer(run.as_ref());
    }
    let n = cps.len();
    let mut changed = s.clone();
    changed.faults.push(At::Round(10), Fault::Crash(NodeSet(vec![(0, 99)])));
    cps.amend(&changed.faults);
    assert!(cps.rounds().iter().all(|&r| r <= 10) && cps.len() < n, "{:?}", cps.rounds());
    let mut back = cps.restore(u64::MAX).unwrap();
    back.run_to_end();
    let mut written = build(&changed).unwrap();
    written.run_to_end();
    assert_eq!(back.metrics().trace_hash, written.metrics().trace_hash);
}
