//! The JavaScript API for pages that embed Gossip Lab (wasm-bindgen).
//!
//! `runScenario(fragment)` runs a scenario to the end and returns its metrics,
//! the same object `gossip-lab run --json` prints natively; equal `trace_hash`
//! values prove a run is identical in the browser and on the command line.

use wasm_bindgen::prelude::*;

use crate::scenario::Scenario;

/// Run the scenario in a URL fragment (`nodes=500&fanout=3…`) to the end.
/// Throws an Error naming the field, the value and the allowed range on bad input.
#[wasm_bindgen(js_name = runScenario)]
pub fn run_scenario(fragment: &str) -> Result<JsValue, JsValue> {
    let (s, errors) = Scenario::from_fragment(fragment, &[]);
    if let Some(e) = errors.first() {
        return Err(js_sys::Error::new(&e.to_string()).into());
    }
    s.validate_for_page().map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    let m = crate::run(&s).map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&m, &ser).map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

/// The crate version, for bug reports.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
