//! The simulation: virtual time, the event queue or rounds, the network, faults
//! and randomness. Everything here is deterministic given the scenario and seed.

pub mod checkpoints;
pub mod engine;
pub mod faults;
pub mod mem;
pub mod network;
pub mod rng;
pub mod sampler;
pub mod topology;
pub mod trace;

pub use engine::{build, Edge, Runner, Sim};
