//! The playground page (Yew). `model` holds the state and logic and knows
//! nothing of the browser; `app` is the component that turns messages into
//! model calls; `graph` and `chart` draw on canvases from snapshots.

pub mod bench;
pub mod classroom;
pub mod model;
pub mod page;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
mod chart;
#[cfg(target_arch = "wasm32")]
mod field;
#[cfg(target_arch = "wasm32")]
mod graph;
#[cfg(target_arch = "wasm32")]
mod inspector;
#[cfg(target_arch = "wasm32")]
mod timeline;

#[cfg(target_arch = "wasm32")]
pub use app::{mount, start, App, Listeners, Msg};
