//! The playground page (Yew). `model` holds the state and logic and knows
//! nothing of the browser. `app` is the component: it routes each message to
//! the part of the page it belongs to (`stage`, `plots`, `settings`, `runbar`,
//! `share`, `lesson_panel`, `sweep_panel`, `claims`), each with its own message
//! type; `graph` and `chart` draw on canvases from snapshots.

pub mod bench;
pub mod classroom;
pub mod layout;
pub mod model;
pub mod page;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
mod chart;
#[cfg(target_arch = "wasm32")]
mod claims;
#[cfg(target_arch = "wasm32")]
mod effect;
#[cfg(target_arch = "wasm32")]
mod field;
#[cfg(target_arch = "wasm32")]
mod graph;
#[cfg(target_arch = "wasm32")]
mod inspector;
#[cfg(target_arch = "wasm32")]
mod lesson_panel;
#[cfg(target_arch = "wasm32")]
mod plots;
#[cfg(target_arch = "wasm32")]
mod recorder;
#[cfg(target_arch = "wasm32")]
mod runbar;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod share;
#[cfg(target_arch = "wasm32")]
mod stage;
#[cfg(target_arch = "wasm32")]
mod sweep_panel;
#[cfg(target_arch = "wasm32")]
mod timeline;

#[cfg(target_arch = "wasm32")]
pub use app::{mount, start, App, Listeners, Msg};
#[cfg(target_arch = "wasm32")]
pub use runbar::RunMsg;
