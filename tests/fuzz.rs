//! Hostile input: every parser of the tool (a link's fragment, the page's link,
//! scenario JSON, fault schedules, edge lists, round-trip matrices, lesson files, sweep CSV slices) gets random
//! and mutated input, from a corpus of the real examples. None may panic or
//! take long, and every refusal names what it refuses: the field, the entry,
//! the file or the line.
//!
//! `make test` runs 300 cases per parser; `make fuzz` runs more
//! (`FUZZ_CASES`, default 20,000) and prints how many each parser survived.
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use gossip_lab::lessons::Lesson;
use gossip_lab::sim::faults::FaultSchedule;
use gossip_lab::sim::network::RttMatrix;
use gossip_lab::sim::topology::EdgeList;
use gossip_lab::ui::model::{Playground, PRESETS};
use gossip_lab::Scenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Cases per parser: FUZZ_CASES, or 300.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// The real examples: presets, the papers' experiments, every lesson's scenarios, the lessons themselves.
fn fragments() -> Vec<String> {
    let mut out: Vec<String> = PRESETS.iter().map(|p| p.1.to_string()).collect();
    out.extend(gossip_lab::papers::experiments().into_iter().map(|e| e.fragment));
    for l in Lesson::all() {
        out.extend(l.steps.iter().filter_map(|s| s.scenario.clone()));
    }
    out
}

fn lessons() -> Vec<String> {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/www/lessons"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

/// Pieces that tend to matter to these parsers.
const TOKENS: &[&str] = &[
    "&",
    "=",
    "@",
    ",",
    ":",
    "-",
    "..",
    "/",
    "%",
    "%zz",
    "%00",
    "#",
    "?",
    "\n",
    "\r\n",
    "```",
    "## ",
    "---\n",
    "vs.",
    "0",
    "-1",
    "1e308",
    "NaN",
    "inf",
    "18446744073709551616",
    "999999999",
    "0.5",
    "s",
    "ms",
    "r",
    "crash:",
    "loss:",
    "partition:",
    "heal",
    "fanout=",
    "nodes=",
    "é",
    "\u{0}",
    "\u{feff}",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "null",
    "true",
];

/// An edit of the input: replace, insert or delete at a place (a share of the length).
#[derive(Clone, Debug)]
enum Edit {
    Insert(f64, String),
    Replace(f64, f64, String),
    Delete(f64, f64),
    Repeat(f64, f64, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        proptest::sample::select(TOKENS).prop_map(str::to_string),
        any::<char>().prop_map(|c| c.to_string()),
        "[ -~]{0,12}",
    ];
    prop_oneof![
        (0.0..1.0f64, piece.clone()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (0.0..1.0f64, 0.0..0.2f64, piece).prop_map(|(at, len, s)| Edit::Replace(at, len, s)),
        (0.0..1.0f64, 0.0..0.3f64).prop_map(|(at, len)| Edit::Delete(at, len)),
        (0.0..1.0f64, 0.0..0.2f64, 2u8..6).prop_map(|(at, len, n)| Edit::Repeat(at, len, n)),
    ]
}

/// The char boundary nearest a share of the text.
fn at(s: &str, share: f64) -> usize {
    let mut i = ((s.len() as f64) * share) as usize;
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

fn apply(mut s: String, edits: &[Edit]) -> String {
    for e in edits {
        match e {
            Edit::Insert(p, t) => {
                let i = at(&s, *p);
                s.insert_str(i, t);
            }
            Edit::Replace(p, len, t) => {
                let (i, j) = (at(&s, *p), at(&s, (*p + len).min(1.0)));
                s.replace_range(i..j, t);
            }
            Edit::Delete(p, len) => {
                let (i, j) = (at(&s, *p), at(&s, (*p + len).min(1.0)));
                s.replace_range(i..j, "");
            }
            Edit::Repeat(p, len, n) => {
                let (i, j) = (at(&s, *p), at(&s, (*p + len).min(1.0)));
                let piece = s[i..j].repeat(usize::from(*n));
                s.replace_range(i..j, &piece);
            }
        }
    }
    s
}

/// Inputs: a corpus example under a few edits, or random text.
fn input(corpus: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (proptest::sample::select(corpus), proptest::collection::vec(edit(), 0..8)).prop_map(|(s, e)| apply(s, &e)),
        1 => any::<String>(),
        1 => "[a-z_.=&@:,0-9%-]{0,80}",
    ]
}

/// Run `check` on `cases()` inputs; print how many were tried.
fn fuzz(name: &str, corpus: Vec<String>, check: impl Fn(&str) -> Result<(), String>) {
    // A fixed seed per parser: the same cases every run, so a failure reproduces.
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let seed: [u8; 32] = std::array::from_fn(|i| name.as_bytes().get(i).copied().unwrap_or(i as u8));
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let tried = std::cell::Cell::new(0u32);
    let result = runner.run(&input(corpus), |text| {
        tried.set(tried.get() + 1);
        let start = Instant::now();
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&text)));
        let took = start.elapsed();
        match verdict {
            Err(_) => Err(TestCaseError::fail(format!("{name} panicked on {text:?}"))),
            Ok(Err(why)) => Err(TestCaseError::fail(format!("{name}: {why} on {text:?}"))),
            Ok(Ok(())) if took > Duration::from_secs(2) => {
                Err(TestCaseError::fail(format!("{name} took {took:?} on {text:?}")))
            }
            Ok(Ok(())) => Ok(()),
        }
    });
    eprintln!("fuzz {name}: {} cases survived", tried.get());
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// An error message must say what it is about before its colon ("nodes: …", "line 3: …").
fn names_its_subject(msg: &str) -> Result<(), String> {
    match msg.split_once(": ") {
        Some((subject, rest)) if !subject.trim().is_empty() && !rest.trim().is_empty() => Ok(()),
        _ => Err(format!("the error '{msg}' names no field, entry or line")),
    }
}

#[test]
fn fuzz_link_fragments() {
    fuzz("fragment", fragments(), |text| {
        let (s, errors) = Scenario::from_fragment(text);
        for e in &errors {
            names_its_subject(&e.to_string())?;
        }
        if let Err(e) = s.validate() {
            names_its_subject(&e.to_string())?;
        }
        Ok(())
    });
}

#[test]
fn fuzz_page_links() {
    // The page's path: vs. keys, page limits, and the run built (not played).
    let corpus: Vec<String> =
        fragments().into_iter().map(|f| format!("{f}&vs.fanout=3&speed=max&layout=grid")).collect();
    fuzz("page link", corpus, |text| {
        let p = Playground::from_fragment(text);
        p.errors.iter().try_for_each(|e| names_its_subject(e))
    });
}

#[test]
fn fuzz_scenario_json() {
    let corpus: Vec<String> = fragments()
        .iter()
        .map(|f| Scenario::from_fragment(f).0.to_json())
        .chain([Scenario::default().to_json()])
        .collect();
    fuzz("scenario json", corpus, |text| match Scenario::from_json(text) {
        Ok(s) => s.validate().map_err(|e| e.to_string()).or_else(|e| names_its_subject(&e)),
        Err(e) => names_its_subject(&e.to_string()),
    });
}

#[test]
fn fuzz_fault_schedules() {
    let corpus: Vec<String> = fragments()
        .iter()
        .flat_map(|f| f.split('&').filter_map(|kv| kv.strip_prefix("faults=")).map(str::to_string).collect::<Vec<_>>())
        .chain(["crash:0-9@2r,restart:0-9@5r,loss:0.2@1s,partition:0-4/5-9@3s,heal@6s,fanout:3@2r".to_string()])
        .collect();
    assert!(corpus.len() > 5);
    fuzz("fault schedule", corpus, |text| match text.parse::<FaultSchedule>() {
        Ok(_) => Ok(()),
        Err(e) if e.trim().is_empty() => Err("an empty error".into()),
        Err(_) => {
            // In a scenario the refusal names the field (and the entry, in its text).
            let mut s = Scenario::default();
            match s.set("faults", text) {
                Ok(()) => Err("the parser refused what the scenario took".into()),
                Err(e) => names_its_subject(&e.to_string()),
            }
        }
    });
}

#[test]
fn fuzz_edge_lists() {
    let corpus = vec![
        "# a ring of 5\nsource,target\n0,1\n1,2\n2,3\n3,4\n4,0\n".to_string(),
        "0-1,1-2,2-3,3-0,0-2".to_string(),
        "% SNAP\n# FromNodeId\tToNodeId\n0\t1\n0\t2\n1\t2\t0.5\n".to_string(),
        "0 1\r\n1 2\r\n\r\n2 3 # last\r\n".to_string(),
    ];
    fuzz("edge list", corpus, |text| match text.parse::<EdgeList>() {
        Ok(edges) => {
            // Taken: a run on it is built, or refused by name (a node beyond the range).
            let mut s = Scenario::default();
            s.set("topology", "edges").map_err(|e| e.to_string())?;
            s.set("nodes", "50").map_err(|e| e.to_string())?;
            s.edges = edges;
            match s.validate() {
                Ok(()) => gossip_lab::sim::build(&s).map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => names_its_subject(&e.to_string()),
            }
        }
        Err(e) if !e.starts_with("line ") && !e.starts_with("more than") => Err(format!("'{e}' names no line")),
        Err(_) => {
            let mut s = Scenario::default();
            match s.set("edges", text) {
                Ok(()) => Err("the parser refused what the scenario took".into()),
                Err(e) => names_its_subject(&e.to_string()),
            }
        }
    });
}

#[test]
fn fuzz_rtt_matrices() {
    let corpus = vec![
        "# RTT ms\n      east  west  asia\neast  0  70  140\nwest  70, 0, 90\nasia 140 90 0\n".to_string(),
        "east:0,70;west:70,0".to_string(),
        "0 1.5 2\n1.5 0 3\n2 3 0\n".to_string(),
    ];
    fuzz("rtt matrix", corpus, |text| match text.parse::<RttMatrix>() {
        Ok(m) => {
            let mut s = Scenario::default();
            s.apply_pairs(["timing=timed", "nodes=40"]).map_err(|e| e.to_string())?;
            s.regions = m.k().min(16) as u32;
            s.region_rtt = m;
            match s.validate() {
                Ok(()) => gossip_lab::sim::build(&s).map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => names_its_subject(&e.to_string()),
            }
        }
        Err(e) if !e.starts_with("line ") && !e.starts_with("row ") && !e.starts_with("the header") => {
            Err(format!("'{e}' names no line or row"))
        }
        Err(_) => {
            let mut s = Scenario::default();
            match s.set("region_rtt", text) {
                Ok(()) => Err("the parser refused what the scenario took".into()),
                Err(e) => names_its_subject(&e.to_string()),
            }
        }
    });
}

#[test]
fn fuzz_lesson_files() {
    fuzz("lesson", lessons(), |text| match Lesson::parse(text, "fuzzed") {
        Ok(l) => (!l.steps.is_empty()).then_some(()).ok_or_else(|| "a lesson with no steps".to_string()),
        Err(e) if e.starts_with("lesson") => names_its_subject(&e),
        Err(e) => Err(format!("the error '{e}' does not say it is the lesson's")),
    });
}

#[test]
fn fuzz_sweep_csv_merge() {
    let slice = |from: usize| {
        let mut t = String::from("point,fanout,t100,t100_std,t100_ci95\n");
        for i in from..from + 3 {
            t.push_str(&format!("{i},{},{}.5,0.1,0.2\n", i + 1, 10 - i));
        }
        t
    };
    let corpus = vec![slice(0), slice(3), slice(6)];
    fuzz("csv merge", corpus.clone(), |text| {
        let slices = [("a.csv".to_string(), corpus[0].clone()), ("b.csv".to_string(), text.to_string())];
        match gossip_lab::sweep::merge_csv(&slices) {
            Ok(merged) => merged.ends_with('\n').then_some(()).ok_or_else(|| "no final newline".to_string()),
            Err(e) => names_its_subject(&e),
        }
    });
}

/// Inputs too large to take are refused with the limit named, quickly.
#[test]
fn oversized_input_is_refused_by_name() {
    let start = Instant::now();
    let faults = vec!["crash:1@1s"; 1_000_000].join(",");
    let e = faults.parse::<FaultSchedule>().unwrap_err();
    assert!(e.contains("at most 10000"), "{e}");
    let lesson = format!("---\ntitle: T\n---\n## a\n{}", "x".repeat(1 << 20));
    let e = Lesson::parse(&lesson, "big").unwrap_err();
    assert!(e.contains("at most 262144"), "{e}");
    // A million-line edge list: the command line takes it, the page refuses it by name.
    let big: String = (0..1_000_000u32).map(|i| format!("{} {}\n", i % 5000, (i * 7 + 1) % 5000)).collect();
    let mut s = Scenario::default();
    s.apply_pairs(["nodes=5000", "topology=edges"]).unwrap();
    s.set("edges", &big).unwrap();
    s.validate().unwrap();
    let e = s.validate_for_page().unwrap_err().to_string();
    assert!(e.starts_with("edges: ") && e.contains("at most 200000"), "{e}");
    let huge = "0-1,".repeat(4_000_001);
    let e = huge.parse::<EdgeList>().unwrap_err();
    assert!(e.contains("at most 4000000"), "{e}");
    let (_, errors) = Scenario::from_fragment(&format!("nodes={}", "9".repeat(100_000)));
    assert!(errors[0].to_string().starts_with("nodes: "), "{}", errors[0]);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}
