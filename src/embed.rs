//! The JavaScript API for pages that embed Gossip Lab (wasm-bindgen).
//!
//! - `runScenario(fragment)` runs a scenario to the end and returns its metrics,
//!   the same object `gossip-lab run --json` prints natively; equal `trace_hash`
//!   values prove a run is identical in the browser and on the command line.
//! - `mount(element, fragment)` puts a playground (no chrome; `controls=` picks
//!   the settings shown beside it) into any element and returns a handle:
//!   `play()`, `pause()`, `step()`, `reset()`, `set(key, value)`,
//!   `on("metrics" | "finish", callback)`, `scenario()` and `destroy()`.
//!   Several can live on one page; each has its own run, clock and listeners.
//!   `vs.KEY=VALUE` pairs in the fragment (or `set("vs.KEY", …)`) compare variant
//!   A, the fragment with those values, with B side by side on the same seed.
//!   `www/embed.js` wraps it as a `<gossip-lab scenario="…">` custom element.

use wasm_bindgen::prelude::*;

use crate::scenario::{percent_encode, Scenario, VS_PREFIX};
use crate::ui::model::page_scenarios;
use crate::ui::{App, Listeners, Msg, RunMsg};

fn error(message: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

/// Check a fragment as the page would: every bad field is an Error naming it and its
/// range. `vs.KEY=VALUE` pairs make variant A of an A/B comparison, checked the same way.
fn check(fragment: &str) -> Result<Scenario, JsValue> {
    page_scenarios(fragment).map(|(s, _)| s).map_err(error)
}

/// Run the scenario in a URL fragment (`nodes=500&fanout=3…`) to the end.
/// Throws an Error naming the field, the value and the allowed range on bad input.
#[wasm_bindgen(js_name = runScenario)]
pub fn run_scenario(fragment: &str) -> Result<JsValue, JsValue> {
    let s = check(fragment)?;
    let m = crate::run(&s).map_err(error)?;
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&m, &ser).map_err(error)
}

/// A playground mounted into an element of the host page.
#[wasm_bindgen]
pub struct Embed {
    handle: Option<yew::AppHandle<App>>,
    listeners: Listeners,
    /// The scenario as a fragment, with the page keys (`controls=`, `speed=`) kept.
    fragment: String,
}

/// Mount a playground into `element` running the scenario in `fragment`
/// (`nodes=300&spread=push-pull&controls=fanout,loss_rate&speed=max`).
/// Throws an Error naming the field and the allowed range on bad input.
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, fragment: &str) -> Result<Embed, JsValue> {
    let fragment = fragment.trim_start_matches(['#', '?']).to_string();
    check(&fragment)?;
    let listeners = Listeners::default();
    let handle = crate::ui::mount(element, &fragment, listeners.clone());
    Ok(Embed { handle: Some(handle), listeners, fragment })
}

#[wasm_bindgen]
impl Embed {
    fn send(&self, msg: Msg) -> Result<(), JsValue> {
        let handle = self.handle.as_ref().ok_or_else(|| error("this playground was destroyed"))?;
        handle.send_message(msg);
        Ok(())
    }

    pub fn play(&self) -> Result<(), JsValue> {
        self.send(Msg::Run(RunMsg::Play))
    }

    pub fn pause(&self) -> Result<(), JsValue> {
        self.send(Msg::Run(RunMsg::Pause))
    }

    /// One round (one interval in timed mode).
    pub fn step(&self) -> Result<(), JsValue> {
        self.send(Msg::Run(RunMsg::Step))
    }

    /// Start again from the scenario (same seed: the same run).
    pub fn reset(&self) -> Result<(), JsValue> {
        self.send(Msg::Run(RunMsg::Reset))
    }

    /// Change one setting and start the run again with it (`vs.KEY` sets variant
    /// A's, and starts comparing). Throws an Error naming the field and the allowed
    /// range, and keeps the old run, if the value is refused.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), JsValue> {
        let page_keys = ["speed", "layout", "controls"];
        let mut pairs: Vec<String> = self
            .fragment
            .split('&')
            .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(key))
            .map(str::to_string)
            .collect();
        pairs.push(format!("{key}={}", percent_encode(value)));
        let next = pairs.join("&");
        if !page_keys.contains(&key) {
            let mut probe = Scenario::default();
            probe.set(key.strip_prefix(VS_PREFIX).unwrap_or(key), value).map_err(|e| {
                match key.starts_with(VS_PREFIX) {
                    true => error(format!("{VS_PREFIX}{e}")),
                    false => error(e),
                }
            })?;
            check(&next)?;
        }
        self.send(Msg::Load(next.clone()))?;
        self.fragment = next;
        Ok(())
    }

    /// Call `callback(figures)` on "metrics" (every change: round, t_ms, coverage,
    /// live, msgs, bytes, finished) or once on "finish".
    pub fn on(&self, event: &str, callback: js_sys::Function) -> Result<(), JsValue> {
        if !matches!(event, "metrics" | "finish") {
            return Err(error(format!("event: '{event}' is not one this playground sends; allowed: metrics, finish")));
        }
        self.listeners.0.borrow_mut().push((event.to_string(), callback));
        Ok(())
    }

    /// The scenario as a fragment: the same run when opened as the page's link.
    pub fn scenario(&self) -> String {
        self.fragment.clone()
    }

    /// Stop and remove the playground; the element is left empty.
    pub fn destroy(&mut self) {
        self.listeners.0.borrow_mut().clear();
        if let Some(h) = self.handle.take() {
            h.destroy();
        }
    }
}

/// The crate version, for bug reports.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
