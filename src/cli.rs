//! The command line: `gossip-lab run | sweep | merge | trace | theory | params | reproduce | lesson`.
//!
//! Settings are `key=value` pairs (the same keys as the URL fragment and the
//! scenario file), or a page link, whole or its fragment, as one argument: it
//! runs as the page runs it, with the page's trace hash. Errors go to stderr with exit code 2 and name the field, the
//! value and the allowed range.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use rayon::prelude::*;

use crate::metrics::{summarize, RunMetrics};
use crate::scenario::{Group, ProtocolKind, Scenario, ScenarioError, PARAMS};
use crate::sim::rng::trial_seed;
use crate::sim::trace::TraceEvent;

#[derive(Parser)]
#[command(
    name = "gossip-lab",
    version,
    about = "Simulate gossip protocols: deterministic, seeded, from one node to millions."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario and print its metrics (mean, std and 95% interval with --trials).
    Run {
        /// Settings as key=value (see `gossip-lab params`).
        settings: Vec<String>,
        /// A scenario file (JSON); key=value pairs override it.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Independent trials with seeds derived from `seed`.
        #[arg(long)]
        trials: Option<u32>,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Include the coverage series (single trial).
        #[arg(long)]
        series: bool,
        /// Print this node's event log at the end (membership: join, alive, dead, change, restart, delete).
        #[arg(long, value_name = "NODE")]
        events: Option<u32>,
    },
    /// Run every combination of values: key=a,b,c or key=from..to:step.
    Sweep {
        settings: Vec<String>,
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        trials: u32,
        /// Write CSV here instead of stdout.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Run only slice i of N (0-based), for spreading a sweep over machines.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Combine the CSV slices of a sharded sweep into one, in point order.
    Merge {
        files: Vec<PathBuf>,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Print every send, delivery, drop, state change and fault as JSON lines.
    Trace {
        settings: Vec<String>,
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// JSON lines (the only format; accepted for clarity).
        #[arg(long)]
        jsonl: bool,
    },
    /// Draw a run as an animated GIF: the propagation graph beside the coverage
    /// chart, one frame per round (a long run sampled evenly), for slides,
    /// READMEs and posts that cannot run JavaScript.
    Render {
        /// Settings as key=value, or a page link's fragment (see `gossip-lab params`).
        settings: Vec<String>,
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Write the GIF here.
        #[arg(long, value_name = "FILE")]
        gif: PathBuf,
        /// Picture size, WIDTHxHEIGHT (320x180 to 1920x1080).
        #[arg(long, default_value = "720x360")]
        size: String,
        /// At most this many frames (1 to 1000).
        #[arg(long, default_value_t = 120)]
        frames: u32,
        /// Frames per second (1 to 50).
        #[arg(long, default_value_t = 10)]
        fps: u32,
        /// The dark theme's colours.
        #[arg(long)]
        dark: bool,
    },
    /// Print the analytic predictions for a scenario.
    Theory {
        settings: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List every setting with its range, default and meaning.
    Params,
    /// Reproduce the papers' classic results: each row gives the paper's number,
    /// the scenario, the measured mean with its 95% interval over fixed seeds, and
    /// a verdict. Without an id, every experiment; an id or a prefix (`demers-t1`) picks some.
    Reproduce {
        /// An experiment's id or a prefix of ids (`gossip-lab reproduce --list` names them).
        id: Option<String>,
        /// List the experiments and stop.
        #[arg(long)]
        list: bool,
        /// Markdown table instead of plain text.
        #[arg(long)]
        markdown: bool,
    },
    /// Check a lesson file (or a built-in lesson by id) and list its steps; with
    /// --step and --answer, run that step's check as the page would.
    Lesson {
        /// A lesson file (Markdown), or the id of a built-in lesson (`fanout`).
        file: String,
        /// The step to check (1-based).
        #[arg(long)]
        step: Option<usize>,
        /// The learner's answer: an option number, a number, or a value of the check's parameter.
        #[arg(long)]
        answer: Option<String>,
    },
}

/// Errors of the command line; all exit with code 2.
struct CliError(String);

impl From<ScenarioError> for CliError {
    fn from(e: ScenarioError) -> Self {
        CliError(e.to_string())
    }
}

pub fn main() -> i32 {
    // Behave like other Unix tools when the reader goes away (`gossip-lab trace | head`):
    // end quietly instead of panicking on a broken pipe.
    #[cfg(target_os = "linux")]
    // SAFETY: restoring the default action of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match dispatch(cli.cmd) {
        Ok(()) => 0,
        Err(CliError(msg)) => {
            eprintln!("error: {msg}");
            2
        }
    }
}

fn load(settings: &[String], file: Option<&PathBuf>) -> Result<Scenario, CliError> {
    let mut s = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?;
            Scenario::from_json(&text)?
        }
        None => Scenario::default(),
    };
    // A value `@path` is the text of that file (an edge list: edges=@graph.txt).
    let settings: Vec<String> = settings
        .iter()
        .map(|arg| match arg.split_once("=@") {
            Some((key, path)) if !arg.contains('&') => std::fs::read_to_string(path)
                .map(|text| format!("{key}={text}"))
                .map_err(|e| CliError(format!("{key}: could not read the file '{path}': {e}"))),
            _ => Ok(arg.clone()),
        })
        .collect::<Result<_, _>>()?;
    let skipped = s.apply_link_args(settings.iter().map(String::as_str))?;
    if !skipped.is_empty() {
        eprintln!(
            "note: not settings of a run, ignored: {} (how the page shows it; an A/B link's vs. keys are its variant A, this runs B)",
            skipped.join(" ")
        );
    }
    s.validate()?;
    Ok(s)
}

fn dispatch(cmd: Cmd) -> Result<(), CliError> {
    match cmd {
        Cmd::Run { settings, scenario, trials, json, series, events } => {
            let mut s = load(&settings, scenario.as_ref())?;
            if let Some(t) = trials {
                s.set("trials", &t.to_string())?;
            }
            if let Some(n) = events.filter(|&n| n >= s.capacity()) {
                return Err(CliError(format!("--events: node {n} does not exist; allowed 0 to {}", s.capacity() - 1)));
            }
            run_cmd(&s, json, series, events)
        }
        Cmd::Sweep { settings, scenario, trials, csv, shard } => {
            sweep_cmd(&settings, scenario.as_ref(), trials, csv, shard)
        }
        Cmd::Merge { files, out } => merge_cmd(&files, out),
        Cmd::Trace { settings, scenario, jsonl: _ } => {
            let s = load(&settings, scenario.as_ref())?;
            trace_cmd(&s)
        }
        Cmd::Render { settings, scenario, gif, size, frames, fps, dark } => {
            let s = load(&settings, scenario.as_ref())?;
            let (w, h) = size
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
                .ok_or_else(|| {
                    CliError(format!("--size: '{size}' is not allowed; allowed WIDTHxHEIGHT, e.g. 720x360"))
                })?;
            if !(1..=50).contains(&fps) {
                return Err(CliError(format!("--fps: '{fps}' is not allowed; allowed 1 to 50")));
            }
            let o = crate::render::GifOptions {
                width: w,
                height: h,
                max_frames: frames,
                delay_cs: (100 / fps) as u16,
                dark,
            };
            let file = std::fs::File::create(&gif).map_err(|e| CliError(format!("--gif: {}: {e}", gif.display())))?;
            let n = crate::render::gif(&s, &o, std::io::BufWriter::new(file)).map_err(CliError)?;
            let bytes = std::fs::metadata(&gif).map_or(0, |m| m.len());
            eprintln!("{}: {n} frames, {w}x{h}, {} KB", gif.display(), bytes.div_ceil(1000));
            Ok(())
        }
        Cmd::Theory { settings, json } => {
            let s = load(&settings, None)?;
            let p = crate::theory::predict(&s);
            if json {
                println!("{}", serde_json::to_string(&p).expect("json"));
            } else {
                println!("n = {}, spread = {}, fanout = {}, loss_rate = {}", s.nodes, s.spread, s.fanout, s.loss_rate);
                if s.topology != crate::scenario::Topology::Full {
                    match crate::theory::topology_rounds(&s) {
                        Some(r) => println!("topology={}: about {r:.1} rounds to reach everyone", s.topology),
                        None => println!("topology={}: no formula for these settings", s.topology),
                    }
                    println!("(the figures below assume every node can reach every other)");
                }
                match p.mean_field_rounds {
                    Some(r) => println!("mean-field rounds to reach everyone: {r}"),
                    None => println!("mean-field: never reaches everyone"),
                }
                println!("Pittel push bound (fanout 1): log2 n + ln n = {:.2} rounds", p.pittel_push_rounds);
                println!("push-pull (Karp et al.): log3 n + ln ln n = {:.2} rounds", p.push_pull_rounds);
                if let (Some(r), Some(t)) = (p.feedback_coin_residue, p.feedback_coin_traffic) {
                    println!(
                        "feedback-coin k={}: residue {:.4}, traffic {:.3} messages per node (Demers' equation)",
                        s.k, r, t
                    );
                }
                let m = p.model;
                println!(
                    "stop-rule model ({} k={}): residue {:.4}, traffic {:.3} update messages per node, {} rounds",
                    s.stop,
                    s.k,
                    m.residue,
                    m.traffic,
                    m.rounds.map_or("more than 2000".into(), |r| r.to_string())
                );
            }
            Ok(())
        }
        Cmd::Lesson { file, step, answer } => lesson_cmd(&file, step, answer.as_deref()),
        Cmd::Reproduce { id, list, markdown } => reproduce_cmd(id.as_deref(), list, markdown),
        Cmd::Params => {
            let d = Scenario::default();
            for g in Group::ALL {
                println!("{}:", g.label());
                for p in PARAMS.iter().filter(|p| p.group == g) {
                    let unit = if p.unit.is_empty() { String::new() } else { format!(" [{}]", p.unit) };
                    let live = if p.live == crate::scenario::Live::Live { "  live: faults=KEY:VALUE@TIME" } else { "" };
                    println!("  {}={}{}  ({}){live}", p.key, d.get(p.key).unwrap_or_default(), unit, p.kind.allowed());
                    println!("      {}", p.doc);
                }
            }
            Ok(())
        }
    }
}

fn reproduce_cmd(id: Option<&str>, list: bool, markdown: bool) -> Result<(), CliError> {
    use crate::papers::{experiments, outcome, select, Verdict};
    let chosen = match id {
        Some(id) => select(id).map_err(CliError)?,
        None => experiments(),
    };
    if list {
        for e in &chosen {
            println!("{:32} {} — {} ({} trials of {})", e.id, e.paper.short(), e.source, e.trials, e.fragment);
        }
        return Ok(());
    }
    if markdown {
        println!("| id | paper | where | quantity | paper's value | scenario | measured (95% CI, trials) | verdict |");
        println!("|---|---|---|---|---|---|---|---|");
    }
    let mut differ = 0;
    for e in &chosen {
        let s = e.scenario()?;
        let outcomes =
            (0..e.trials).into_par_iter().map(|i| outcome(&s, i)).collect::<Result<Vec<_>, ScenarioError>>()?;
        if !markdown {
            println!("{} — {}, {}", e.id, e.paper.short(), e.source);
            println!("  scenario: {} ({} trials)", e.fragment, e.trials);
            if !e.note.is_empty() {
                println!("  {}", e.note);
            }
        }
        for m in e.judge(&outcomes) {
            let known = m.known();
            differ += usize::from(m.verdict != Verdict::Agrees && known.is_none());
            let verdict = if known.is_some() { "differs (known)" } else { m.verdict.word() };
            let measured = m.summary.as_ref().map_or("-".into(), |x| {
                // The interval to two significant digits, the mean to the same place.
                let places = if x.ci95 > 0.0 { (1 - x.ci95.log10().floor() as i32).clamp(0, 9) as usize } else { 4 };
                format!("{:.places$} ± {:.places$} (n = {})", x.mean, x.ci95, x.n)
            });
            if markdown {
                println!(
                    "| {} | {} | {} | {} | {} | `{}` | {} | {} |",
                    e.id,
                    e.paper.short(),
                    e.source,
                    m.row.quantity,
                    six_digits(m.row.paper),
                    e.fragment,
                    measured,
                    verdict
                );
            } else {
                println!(
                    "  {:48} paper {:>10}  measured {:>28}  {} (slack {}: {})",
                    m.row.quantity,
                    six_digits(m.row.paper),
                    measured,
                    verdict,
                    six_digits(m.row.slack),
                    m.row.slack_why
                );
                if let Some(why) = known {
                    println!("    known difference: {why}");
                }
            }
        }
    }
    if differ > 0 {
        eprintln!("{differ} rows differ from their paper, beyond the differences known");
    }
    Ok(())
}

fn lesson_cmd(file: &str, step: Option<usize>, answer: Option<&str>) -> Result<(), CliError> {
    use crate::lessons::Lesson;
    let lesson = match Lesson::built_in(file) {
        Some(l) => l,
        None => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                let ids: Vec<&str> = crate::lessons::BUILT_IN.iter().map(|l| l.0).collect();
                CliError(format!("{file}: {e} (built-in lessons: {})", ids.join(", ")))
            })?;
            let id = std::path::Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or("lesson");
            Lesson::parse(&text, id).map_err(|e| CliError(format!("{file}: {e}")))?
        }
    };
    let Some(n) = step else {
        println!("{} ({}): {}", lesson.title, lesson.id, lesson.summary);
        for (i, s) in lesson.steps.iter().enumerate() {
            let check = s.check.as_ref().map_or(String::new(), |c| format!(" — check: {}", c.question));
            println!("  {}. {}{check}", i + 1, s.title);
        }
        return Ok(());
    };
    let s = lesson
        .steps
        .get(n.wrapping_sub(1))
        .ok_or_else(|| CliError(format!("--step: '{n}' is not allowed; allowed 1 to {}", lesson.steps.len())))?;
    let check = s.check.as_ref().ok_or_else(|| CliError(format!("--step: step {n} has no check")))?;
    let answer = answer.ok_or_else(|| CliError(format!("--answer is missing: {}", check.question)))?;
    let verdict = check.evaluate(answer).map_err(CliError)?;
    println!("{}", if verdict.pass { "right" } else { "not right" });
    // The command line is the teacher's: it prints what was measured too.
    for line in verdict.measured.iter().chain(&verdict.evidence) {
        println!("  {line}");
    }
    if !check.explain.is_empty() {
        println!("  {}", check.explain);
    }
    Ok(())
}

/// Run `trials` seeds of `s` in parallel; results come back in trial order.
pub fn run_trials(s: &Scenario, trials: u32) -> Result<Vec<RunMetrics>, ScenarioError> {
    (0..trials)
        .into_par_iter()
        .map(|i| {
            let mut t = s.clone();
            t.seed = trial_seed(s.seed, i);
            crate::run(&t)
        })
        .collect()
}

fn run_cmd(s: &Scenario, json: bool, with_series: bool, events: Option<u32>) -> Result<(), CliError> {
    if s.trials == 1 {
        let before = crate::sim::mem::allocated();
        let start = std::time::Instant::now();
        let mut sim = crate::sim::build(s)?;
        let setup = start.elapsed();
        sim.run_to_end();
        let wall = start.elapsed() - setup;
        // What the run holds at its end (the binary's allocator counts it).
        let held = before.zip(crate::sim::mem::allocated()).map(|(a, b)| b.saturating_sub(a));
        let m = sim.metrics();
        let log = events.map(|n| sim.events(n));
        if json {
            let mut v = serde_json::to_value(&m).expect("json");
            if with_series {
                // Beside the protocol's own series (aggregate: variance, ...), if any.
                v["series"]["points"] = serde_json::to_value(&sim.series().points).expect("json");
            }
            if let Some(log) = &log {
                v["events"] = serde_json::to_value(log).expect("json");
            }
            v["fragment"] = s.to_fragment().into();
            println!("{v}");
        } else {
            print_human(s, &m);
            if let Some(bytes) = held {
                println!(
                    "  memory {:.1} MB held by the run ({:.1} KB per node); set up in {:.1} s, then {:.1} ms of wall time per round",
                    bytes as f64 / 1e6,
                    bytes as f64 / 1e3 / f64::from(s.capacity()),
                    setup.as_secs_f64(),
                    wall.as_secs_f64() * 1e3 / f64::from(m.rounds.max(1))
                );
            }
            if let (Some(n), Some(log)) = (events, &log) {
                println!("  events at node {n} (oldest first):");
                for line in log {
                    println!("    {line}");
                }
            }
        }
        return Ok(());
    }
    let runs = run_trials(s, s.trials)?;
    let summary = summarize(&runs);
    if json {
        let mut v = serde_json::Value::Object(summary);
        v["trials"] = s.trials.into();
        v["fragment"] = s.to_fragment().into();
        println!("{v}");
    } else {
        println!("{} trials of {}", s.trials, s.to_fragment());
        for (k, v) in &summary {
            if let (Some(mean), Some(ci)) =
                (v.get("mean").and_then(|x| x.as_f64()), v.get("ci95").and_then(|x| x.as_f64()))
            {
                println!("  {k:18} {mean:>14.4} ± {ci:.4}");
            }
        }
    }
    Ok(())
}

/// The text summary: what every run has, the rumor figures where the protocol
/// spreads updates, then the protocol's own figures (`-` where a figure has no
/// value in this run, as `null` in JSON).
fn print_human(s: &Scenario, m: &RunMetrics) {
    let opt = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.2}"));
    println!("{}", s.to_fragment());
    println!("  nodes {} (live {}), {} rounds, {:.0} ms virtual", m.nodes, m.live, m.rounds, m.time_ms);
    println!("  coverage {:.4} ({})", m.coverage, s.coverage_meaning().0);
    let spreads = matches!(s.protocol, ProtocolKind::Rumor | ProtocolKind::AntiEntropy);
    if spreads {
        println!("  residue {:.4}", m.residue);
        println!(
            "  traffic {:.3} updates/node, {:.3} msgs/node, {:.1} bytes/node",
            m.traffic, m.msgs_per_node, m.bytes_per_node
        );
        println!(
            "  t_avg {} t_last {} (rounds); t50 {} t99 {} t100 {}",
            opt(m.t_avg),
            opt(m.t_last),
            opt(m.t50),
            opt(m.t99),
            opt(m.t100)
        );
    } else {
        println!(
            "  {:.3} msgs/node, {:.1} bytes/node ({:.1} bytes/node/s)",
            m.msgs_per_node, m.bytes_per_node, m.bytes_per_node_per_s
        );
    }
    println!(
        "  sent {} delivered {} dropped {} (loss {}, partition {}, down {}, oversize {}, queue {}) in flight {}",
        m.sent,
        m.delivered,
        m.dropped,
        m.dropped_loss,
        m.dropped_partition,
        m.dropped_down,
        m.dropped_oversize,
        m.extra.get("dropped_queue").copied().flatten().unwrap_or(0.0),
        m.in_flight
    );
    for (key, value) in &m.extra {
        println!("  {key:22} {}", value.map_or("-".into(), six_digits));
    }
    if let Some(r) = crate::theory::mean_field_rounds(s).filter(|_| spreads) {
        println!(
            "  theory: mean-field {r} rounds; Pittel push {:.1}; push-pull {:.1}; Serf's estimate 99% in {:.1}",
            crate::theory::pittel_push_rounds(s.nodes),
            crate::theory::push_pull_rounds(s.nodes),
            crate::theory::serf_rounds_to(s.nodes, s.fanout, s.loss_rate, 0.0, 0.99)
        );
    }
    println!("  trace_hash {}", m.trace_hash);
}

/// Six significant digits, more than any figure here is worth: plain between
/// 0.001 and 10^7, in scientific notation beyond.
fn six_digits(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-3..1e7).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).clamp(0, 8) as usize;
        let t = format!("{v:.decimals$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    } else {
        format!("{v:.4e}")
    }
}

fn trace_cmd(s: &Scenario) -> Result<(), CliError> {
    let mut sim = crate::sim::build(s)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    sim.set_trace_sink(Box::new(move |e: &TraceEvent| {
        let _ = tx.send(serde_json::to_string(e).expect("json"));
    }));
    while sim.step() {
        for line in rx.try_iter() {
            if writeln!(out, "{line}").is_err() {
                return Ok(()); // reader went away (e.g. `| head`)
            }
        }
    }
    for line in rx.try_iter() {
        let _ = writeln!(out, "{line}");
    }
    let m = sim.metrics();
    let _ = writeln!(out, "{}", serde_json::json!({"ev": "end", "t_us": sim.now_us(), "trace_hash": m.trace_hash}));
    Ok(())
}

fn sweep_cmd(
    settings: &[String],
    file: Option<&PathBuf>,
    trials: u32,
    csv: Option<PathBuf>,
    shard: Option<String>,
) -> Result<(), CliError> {
    let base = load(&[], file)?;
    let mut fixed = Vec::new();
    let mut axes = Vec::new();
    for pair in settings {
        let (key, values) = crate::sweep::axis(pair).map_err(CliError)?;
        if values.len() == 1 {
            fixed.push(format!("{key}={}", values[0]));
        } else {
            axes.push((key, values));
        }
    }
    let mut base = base;
    base.apply_pairs(fixed.iter().map(String::as_str))?;
    let (shard_i, shard_n) = match shard {
        None => (0, 1),
        Some(sh) => {
            let bad = || CliError(format!("--shard '{sh}': write i/N with 0 <= i < N"));
            let (i, n) = sh.split_once('/').ok_or_else(bad)?;
            let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
            if n == 0 || i >= n {
                return Err(bad());
            }
            (i, n)
        }
    };
    // Every combination, first axis slowest; validated before anything runs.
    let total: usize = axes.iter().map(|a| a.1.len()).product();
    let mut points = Vec::new();
    for idx in (0..total).filter(|i| i % shard_n == shard_i) {
        let mut s = base.clone();
        let mut rem = idx;
        let mut values = Vec::new();
        for (key, vals) in axes.iter().rev() {
            let v = &vals[rem % vals.len()];
            rem /= vals.len();
            s.set(key, v)?;
            values.push(v.clone());
        }
        values.reverse();
        s.validate()?;
        points.push((idx, values, s));
    }
    let done = AtomicUsize::new(0);
    let show = std::io::stderr().is_terminal();
    let results: Vec<Result<Vec<RunMetrics>, ScenarioError>> = points
        .par_iter()
        .map(|(_, _, s)| {
            let r = run_trials(s, trials);
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if show {
                eprint!("\rsweep: {d}/{} points", points.len());
            }
            r
        })
        .collect();
    if show {
        eprintln!();
    }
    let mut runs = Vec::with_capacity(points.len());
    for r in results {
        runs.push(r?);
    }
    let keys: Vec<String> = axes.iter().map(|a| a.0.clone()).collect();
    let rows: Vec<(usize, Vec<String>, &[RunMetrics])> =
        points.iter().zip(&runs).map(|((idx, values, _), r)| (*idx, values.clone(), &r[..])).collect();
    let text = crate::sweep::csv(&keys, &rows);
    match csv {
        Some(path) => std::fs::write(&path, text).map_err(|e| CliError(format!("{}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn merge_cmd(files: &[PathBuf], out: Option<PathBuf>) -> Result<(), CliError> {
    let mut slices = Vec::with_capacity(files.len());
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| CliError(format!("{}: {e}", f.display())))?;
        slices.push((f.display().to_string(), text));
    }
    let text = crate::sweep::merge_csv(&slices).map_err(CliError)?;
    match out {
        Some(path) => std::fs::write(&path, text).map_err(|e| CliError(format!("{}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}
