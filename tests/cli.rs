//! The command line: JSON output, errors with exit code 2, sweeps, shards, traces.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gossip-lab")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A page link runs as is: its fragment (or the whole address) as one argument,
/// `v=` and the view keys (`layout`, `speed`, …) accepted, the view keys named in
/// a note; the trace hash is the one the page's engine gives for that scenario.
#[test]
fn a_page_link_runs_as_is() {
    let fragment = "v=1&nodes=500&fanout=3&loss_rate=0.1&faults=crash:0-9%402r&layout=force&speed=4&vs.fanout=2";
    let (s, errors) = gossip_lab::scenario::Scenario::from_fragment(fragment);
    assert!(errors.is_empty(), "{errors:?}");
    let page_hash = gossip_lab::run(&s).unwrap().trace_hash;
    for arg in [fragment.to_string(), format!("https://example.org/lab/#{fragment}")] {
        let (code, out, err) = cli(&["run", &arg, "--json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["trace_hash"].as_str(), Some(page_hash.as_str()));
        assert!(err.contains("layout=force") && err.contains("speed=4") && err.contains("vs.fanout=2"), "{err}");
    }
    // Key by key, the same run; a later pair overrides the link.
    let (_, out, _) = cli(&["run", "nodes=500", "fanout=3", "loss_rate=0.1", "faults=crash:0-9@2r", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["trace_hash"].as_str(), Some(page_hash.as_str()));
    let (code, _, err) = cli(&["run", "v=9&nodes=500"]);
    assert_eq!(code, 2);
    assert!(err.contains("v:") && err.contains("1 to 1"), "{err}");
}

/// The text summary prints each protocol's own figures: an aggregation its
/// estimate and mass, none of the rumor lines; a rumor its residue and theory.
#[test]
fn the_summary_prints_the_protocols_own_figures() {
    let (code, out, _) = cli(&["run", "protocol=aggregate", "function=count", "nodes=1000"]);
    assert_eq!(code, 0);
    assert!(out.contains("(within the target)"), "{out}");
    for line in ["estimate_mean          1000", "truth                  1000", "mass                   1"] {
        assert!(out.contains(line), "no '{line}' in {out}");
    }
    assert!(out.contains("exchanges_refused      -"), "{out}");
    for absent in ["residue", "Pittel", "t_avg"] {
        assert!(!out.contains(absent), "'{absent}' in {out}");
    }
    let (_, out, _) = cli(&["run", "nodes=1000"]);
    assert!(out.contains("residue 0.0000") && out.contains("Pittel push 16.9") && out.contains("(informed)"), "{out}");
}

/// The settings list says what the signature check is: a keyed-hash model, sized as ed25519.
#[test]
fn params_name_the_signature_model() {
    let (code, out, _) = cli(&["params"]);
    assert_eq!(code, 0);
    let verify = out.split("\n  verify=").nth(1).expect("verify listed");
    let doc = verify.lines().nth(1).unwrap();
    assert!(doc.contains("keyed hash") && doc.contains("64 bytes"), "{doc}");
    assert!(!doc.contains("signed by its origin (ed25519)"), "{doc}");
}

/// A fault time without a unit is refused, naming the field and the forms.
#[test]
fn a_time_without_a_unit_is_refused() {
    let (code, _, err) = cli(&["run", "faults=crash:7@1"]);
    assert_eq!(code, 2);
    assert!(err.contains("faults") && err.contains("1ms, 1s or 1r"), "{err}");
}

/// `run --json` prints one object with the documented metric fields as numbers.
#[test]
fn run_json_has_metrics() {
    let (code, out, _) = cli(&["run", "nodes=300", "fanout=3", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["residue", "traffic", "t_avg", "t_last", "bytes_per_node", "coverage"] {
        assert!(v[key].is_number(), "{key} missing in {out}");
    }
    assert_eq!(v["coverage"], 1.0);
    assert_eq!(v["trace_hash"].as_str().unwrap().len(), 16);
}

/// With --trials, every metric is {mean, std, ci95}, and the mean of 1 trial equals the single run.
#[test]
fn run_trials_summaries() {
    let (code, out, _) = cli(&["run", "nodes=300", "--trials", "20", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for f in ["mean", "std", "ci95"] {
        assert!(v["residue"][f].is_number());
    }
    assert!(v["t_last"]["std"].as_f64().unwrap() >= 0.0);
    let (_, one, _) = cli(&["run", "nodes=300", "--json"]);
    let (_, one_trial, _) = cli(&["run", "nodes=300", "--trials", "1", "--json"]);
    assert_eq!(one, one_trial);
}

/// Bad keys and values exit with code 2 and a message naming the field and the range.
#[test]
fn bad_input_exits_2() {
    let (code, _, err) = cli(&["run", "fanout=0"]);
    assert_eq!(code, 2);
    assert!(err.contains("fanout") && err.contains("1 to 64"), "{err}");
    let (code, _, err) = cli(&["run", "nodez=10"]);
    assert_eq!(code, 2);
    assert!(err.contains("nodez") && err.contains("nodes"), "{err}");
    let (code, _, err) = cli(&["run", "faults=crash:5"]);
    assert_eq!(code, 2);
    assert!(err.contains("faults"), "{err}");
    let (code, _, err) = cli(&["run", "nodes=10", "origin=20"]);
    assert_eq!(code, 2);
    assert!(err.contains("origin") && err.contains("0 to 9"), "{err}");
    let (code, _, err) = cli(&["run", "--scenario", "/nonexistent.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("nonexistent"), "{err}");
}

/// A scenario file and key=value overrides combine; the file's unknown keys are refused.
#[test]
fn scenario_file() {
    let dir = std::env::temp_dir().join(format!("gossip-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("s.json");
    std::fs::write(&f, r#"{"nodes": 250, "fanout": 3, "faults": ["crash:1@1s"]}"#).unwrap();
    let (code, out, err) = cli(&["run", "--scenario", f.to_str().unwrap(), "seed=9", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["nodes"], 250);
    assert_eq!(v["live"], 249);
    std::fs::write(&f, r#"{"nodes": 250, "fanuot": 3}"#).unwrap();
    let (code, _, err) = cli(&["run", "--scenario", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("fanuot"), "{err}");
}

/// A sweep writes one CSV row per combination; two shards merged equal the whole sweep.
#[test]
fn sweep_shard_merge() {
    let args = ["sweep", "nodes=200", "fanout=1,2,3", "loss_rate=0..0.2:0.1", "--trials", "3"];
    let (code, whole, err) = cli(&args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = whole.lines().collect();
    assert_eq!(lines.len(), 1 + 9);
    assert!(lines[0].starts_with("point,fanout,loss_rate,"));
    assert!(lines[1].starts_with("0,1,0,") && lines[9].starts_with("8,3,0.2,"), "{whole}");
    let dir = std::env::temp_dir().join(format!("gossip-lab-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..2 {
        let f = dir.join(format!("part{i}.csv"));
        let shard = format!("{i}/2");
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--shard", &shard, "--csv", f.to_str().unwrap()]);
        assert_eq!(cli(&a).0, 0);
        files.push(f);
    }
    let (code, merged, _) = cli(&["merge", files[1].to_str().unwrap(), files[0].to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(merged, whole);
}

/// The trace has one send line per message sent, and ends with the run's trace hash.
#[test]
fn trace_jsonl() {
    let (code, out, _) = cli(&["trace", "nodes=50", "--jsonl"]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let sends = lines.iter().filter(|l| l["ev"] == "send").count();
    let (_, run, _) = cli(&["run", "nodes=50", "--json"]);
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    assert_eq!(sends as u64, run["sent"].as_u64().unwrap());
    assert_eq!(lines.last().unwrap()["trace_hash"], run["trace_hash"]);
    assert_eq!(lines.iter().filter(|l| l["state"] == "informed").count(), 49);
}

/// `theory` prints the classic predictions.
#[test]
fn theory_json() {
    let (code, out, _) = cli(&["theory", "nodes=1000", "stop=feedback-coin", "k=2", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((v["pittel_push_rounds"].as_f64().unwrap() - 16.874).abs() < 0.01);
    assert!((v["feedback_coin_residue"].as_f64().unwrap() - 0.0595).abs() < 0.001);
}

/// `run --events N` prints a membership node's event log (here: the crash of node 7
/// seen as "dead", then its restart with generation 2); a node that does not exist is an error.
#[test]
fn run_prints_event_log() {
    let args = [
        "run",
        "protocol=membership",
        "nodes=20",
        "timing=timed",
        "detector=timeout",
        "max_rounds=40",
        "faults=crash:7@5s,restart:7@25s",
        "--events",
        "0",
        "--json",
    ];
    let (code, out, _) = cli(&args);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let log: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(log.iter().any(|l| l.ends_with("node 7 dead")), "{log:?}");
    assert!(log.iter().any(|l| l.contains("restart of node 7 (generation 2)")), "{log:?}");
    assert!(v["detect_all_ms"].is_number() && v["false_positives"] == 0.0);
    let (code, _, err) = cli(&["run", "protocol=membership", "nodes=20", "--events", "20"]);
    assert_eq!(code, 2);
    assert!(err.contains("--events") && err.contains("0 to 19"), "{err}");
}

/// `lesson` lists a lesson's steps, judges a check as the page does, reads a
/// teacher's file, and names bad input with exit code 2.
#[test]
fn lesson_command() {
    let (code, out, _) = cli(&["lesson", "fanout"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Fanout, loss and O(log n) (fanout)") && out.contains("  3. Loss and a stop rule"),
        "{out}"
    );
    let (code, out, _) = cli(&["lesson", "fanout", "--step", "2", "--answer", "4"]);
    assert_eq!(code, 0);
    // The smallest fanout that works: one less fails the 90% bar on the same 20 seeds.
    assert!(
        out.starts_with("right") && out.contains("fanout = 4: ") && out.contains(" of 20 runs had t100 ≤ 8"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.contains("fanout = 3: ") && l.ends_with("does not hold.")), "{out}");
    let (_, out, _) = cli(&["lesson", "fanout", "--step", "2", "--answer", "3"]);
    assert!(out.starts_with("not right") && out.contains("Try a larger value"), "{out}");
    let dir = std::env::temp_dir().join(format!("gossip-lab-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mine.md");
    std::fs::write(&file, "---\ntitle: Mine\n---\n## One\n```scenario\nnodes=50\nlook: chart\n```\n").unwrap();
    let (code, _, err) = cli(&["lesson", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("lesson line 7: look: 'chart' is not a view"), "{err}");
    let (code, _, err) = cli(&["lesson", "fanout", "--step", "9", "--answer", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--step: '9' is not allowed; allowed 1 to 3"), "{err}");
    let (code, _, err) = cli(&["lesson", "no-such"]);
    assert_eq!(code, 2);
    assert!(err.contains("built-in lessons: why-gossip, push-pull"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The frames of a GIF file, decoded.
fn gif_frames(path: &std::path::Path) -> (u16, u16, Vec<Vec<u8>>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut d = opts.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let (w, h) = (d.width(), d.height());
    let mut frames = Vec::new();
    while let Some(f) = d.read_next_frame().unwrap() {
        frames.push(f.buffer.to_vec());
    }
    (w, h, frames)
}

/// `render --gif`: one frame per round plus the start, a long run sampled down
/// to --frames (its last frame kept), the size asked for, a bounded file, and
/// frames that change as the rumor spreads; bad sizes and frame counts are named.
#[test]
fn render_draws_a_gif_of_the_run() {
    let dir = std::env::temp_dir().join(format!("gossip-lab-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let short = dir.join("short.gif");
    // 200 nodes, push-pull, fanout 2: a run of a few rounds, drawn whole.
    let (code, _, err) =
        cli(&["render", "nodes=200", "spread=push-pull", "fanout=2", "seed=3", "--gif", short.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (_, m, _) = cli(&["run", "nodes=200", "spread=push-pull", "fanout=2", "seed=3", "--json"]);
    let rounds = m.split("\"rounds\":").nth(1).unwrap().split(|c: char| !c.is_ascii_digit()).next().unwrap();
    let rounds: usize = rounds.parse().unwrap();
    let (w, h, frames) = gif_frames(&short);
    assert_eq!((w, h), (720, 360));
    assert_eq!(frames.len(), rounds + 1, "{err}");
    assert!(frames.windows(2).all(|f| f[0] != f[1]), "every round changes the picture");
    assert!(err.contains(&format!("{} frames, 720x360", rounds + 1)), "{err}");
    // A long run (membership runs to max_rounds: 300 rounds) is sampled down to
    // --frames, its last frame kept, and the file stays small.
    let long = dir.join("long.gif");
    let (code, _, err) = cli(&[
        "render",
        "nodes=40",
        "protocol=membership",
        "max_rounds=300",
        "--frames",
        "25",
        "--size",
        "480x240",
        "--gif",
        long.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (w, h, frames) = gif_frames(&long);
    assert_eq!((w, h, frames.len()), (480, 240, 25), "24 sampled frames and the last");
    assert!(std::fs::metadata(&long).unwrap().len() < 1_000_000);
    for (args, says) in [
        (vec!["--size", "100x100"], "--size: 100x100 is not allowed; allowed 320x180 to 1920x1080"),
        (vec!["--size", "big"], "--size: 'big' is not allowed; allowed WIDTHxHEIGHT"),
        (vec!["--frames", "0"], "--frames: '0' is not allowed; allowed 1 to 1000"),
        (vec!["--fps", "99"], "--fps: '99' is not allowed; allowed 1 to 50"),
    ] {
        let mut all = vec!["render", "nodes=50", "--gif", long.to_str().unwrap()];
        all.extend(args);
        let (code, _, err) = cli(&all);
        assert_eq!(code, 2);
        assert!(err.contains(says), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
