//! The engine compiled to wasm32, run in headless Chromium by wasm-bindgen-test.
//! The same checks as natively: determinism within the browser, full coverage,
//! and the same `trace_hash` as the native run of the same scenario (the e2e
//! test compares against the native binary; here we check the wasm side alone).
#![cfg(target_arch = "wasm32")]

use gossip_lab::ui::model::{Playground, Speed};
use gossip_lab::Scenario;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn scenario(frag: &str) -> Scenario {
    let (s, errors) = Scenario::from_fragment(frag);
    assert!(errors.is_empty(), "{errors:?}");
    s
}

/// The default scenario reaches every node, and the same seed repeats the same trace.
#[wasm_bindgen_test]
fn same_seed_same_trace_in_wasm() {
    for frag in [
        "nodes=500&spread=push-pull",
        "nodes=300&timing=timed&loss_rate=0.2&faults=crash:3@2s,restart:3@4s",
        "nodes=300&protocol=anti-entropy&keys=5000&updates=50&reconcile=merkle&loss_rate=0.1",
        "nodes=400&updates=8&update_every=1&stop=feedback-coin&k=2&backup_interval=4",
    ] {
        let a = gossip_lab::run(&scenario(frag)).unwrap();
        let b = gossip_lab::run(&scenario(frag)).unwrap();
        assert_eq!(a, b);
        let c = gossip_lab::run(&scenario(&format!("{frag}&seed=99"))).unwrap();
        assert_ne!(a.trace_hash, c.trace_hash);
    }
}

/// Push with fanout 1 at n = 1000 informs everyone in about log2 n + ln n rounds (Pittel), in wasm too.
#[wasm_bindgen_test]
fn push_converges_in_wasm() {
    let mut rounds = 0.0;
    for seed in 0..30 {
        let m = gossip_lab::run(&scenario(&format!("nodes=1000&fanout=1&seed={seed}"))).unwrap();
        assert_eq!(m.coverage, 1.0);
        rounds += f64::from(m.rounds);
    }
    let mean = rounds / 30.0;
    assert!((mean - gossip_lab::theory::pittel_push_rounds(1000)).abs() < 2.5, "mean {mean}");
}

/// The page's model plays to the end and explains bad input by field and range.
#[wasm_bindgen_test]
fn playground_model_in_browser() {
    let mut p = Playground::from_fragment("#nodes=abc&fanout=3");
    assert_eq!(p.scenario.fanout, 3);
    assert!(p.errors.iter().any(|e| e.contains("nodes")));
    p.speed = Speed::Max;
    p.play();
    let mut frames = 0;
    while p.playing && frames < 1000 {
        p.frame(16.0, 1e9, &|| 0.0);
        frames += 1;
    }
    assert_eq!(p.coverage(), 1.0);
}

/// The embed API returns the metrics object, and throws a named error on bad input.
#[wasm_bindgen_test]
fn embed_api() {
    let v = gossip_lab::embed::run_scenario("nodes=100&seed=4").unwrap();
    let hash = js_sys::Reflect::get(&v, &"trace_hash".into()).unwrap().as_string().unwrap();
    assert_eq!(hash, gossip_lab::run(&scenario("nodes=100&seed=4")).unwrap().trace_hash);
    let err = gossip_lab::embed::run_scenario("fanout=500").unwrap_err();
    let msg = js_sys::Reflect::get(&err, &"message".into()).unwrap().as_string().unwrap();
    assert!(msg.contains("fanout") && msg.contains("1 to 64"), "{msg}");
}
