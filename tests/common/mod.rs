#![allow(dead_code)]
//! Helpers shared by the native integration tests.

use gossip_lab::metrics::RunMetrics;
use gossip_lab::Scenario;

/// A validated scenario from key=value pairs.
pub fn scenario(pairs: &[&str]) -> Scenario {
    let mut s = Scenario::default();
    s.apply_pairs(pairs.iter().copied()).expect("valid pairs");
    s.validate().expect("valid scenario");
    s
}

pub fn run(pairs: &[&str]) -> RunMetrics {
    gossip_lab::run(&scenario(pairs)).expect("runs")
}

/// Run `trials` independent seeds (derived from the scenario seed, in parallel).
pub fn trials(pairs: &[&str], trials: u32) -> Vec<RunMetrics> {
    gossip_lab::cli::run_trials(&scenario(pairs), trials).expect("runs")
}

pub fn mean(xs: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let xs: Vec<f64> = xs.into_iter().collect();
    let s = gossip_lab::metrics::Summary::of(&xs).expect("non-empty");
    (s.mean, s.ci95)
}
