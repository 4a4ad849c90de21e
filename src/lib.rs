//! Gossip Lab: a deterministic simulator of gossip (epidemic) protocols that runs
//! natively (command line, tests, benchmarks) and in the browser (a Yew page).
//!
//! - [`scenario`]: one serde `Scenario` holds every setting; a parameter table
//!   gives each its range and documentation, used by validation, the command
//!   line, the URL fragment and the page's controls.
//! - [`sim`]: the engine. It owns virtual time (synchronous rounds or timers and
//!   latencies), the network (loss, latency, partitions, MTU, UDP/TCP), the
//!   fault schedule, peer sampling and one seeded random stream per concern.
//! - [`protocol`]: sans-IO state machines behind one trait; they see the world
//!   only through a context (`now`, `rng`, `send`, `peer`, `emit`).
//! - [`metrics`] and [`theory`]: what a run measured, and what the papers predict;
//!   [`papers`]: the papers' tables as experiments, measured and judged.
//! - `cli` (native) and `ui` / `embed` (wasm32): the two front ends. Nothing
//!   outside them knows about a terminal or a browser.
//!
//! Same scenario + same seed = same run, bit for bit, on every target: the
//! `trace_hash` of a run's metrics proves it.

pub mod lessons;
pub mod markdown;
pub mod metrics;
pub mod papers;
pub mod protocol;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod theory;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
/// Animated GIFs of a run, for pages where no script runs (`gossip-lab render`).
#[cfg(not(target_arch = "wasm32"))]
pub mod render;

#[cfg(target_arch = "wasm32")]
pub mod embed;
/// The page. Its model is plain Rust and compiles (and is tested) everywhere;
/// the components that touch the browser are wasm32-only.
pub mod ui;

pub use scenario::Scenario;

/// Run a scenario to the end and return its metrics.
pub fn run(s: &Scenario) -> Result<metrics::RunMetrics, scenario::ScenarioError> {
    let mut sim = sim::build(s)?;
    sim.run_to_end();
    Ok(sim.metrics())
}
