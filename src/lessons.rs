//! Lessons: guided steps over the playground, with questions the page checks
//! by running the simulator.
//!
//! A lesson is a Markdown file (the built-in ones are `www/lessons/*.md`; a
//! teacher can load another from a URL or paste one):
//!
//! ````text
//! ---
//! title: Push, pull and push-pull
//! summary: Three ways to spread a rumor, and why push-pull wins.
//! ---
//! ## Push
//! Press **Play** and watch the coverage chart.
//! ```scenario
//! nodes=1000&fanout=1&spread=push
//! ```
//! ```check
//! kind: estimate
//! question: How many rounds until all 1000 nodes have the rumor?
//! metric: t100
//! trials: 20
//! tolerance: 3
//! ```
//! ````
//!
//! - Front matter: `title` (required), `summary`, `id`.
//! - Each `## ` heading starts a step. A `scenario` block is loaded into the
//!   playground when the step opens (the URL fragment's keys). In it, `look:`
//!   names the views to watch, and `sweep: KEY=VALUES METRIC [TRIALS]` runs the
//!   scenario (A and B, with `vs.` keys) at several values and charts the metric
//!   beside the lesson (`sweep: nodes=25,50,100 bytes_per_node_per_s 2`).
//! - A `check` block asks a question. Three kinds:
//!   - `choice`: `options: a | b | c`, `answer: 2` (1-based). Checked at once.
//!   - `estimate`: the learner gives a number; the page runs `trials` runs of
//!     the check's scenario (the step's, unless it has its own) and accepts it
//!     within `tolerance` (a number, or a percentage such as `10%`) of the
//!     measured mean of `metric`.
//!   - `find`: the learner picks a value of `param`; a run passes when
//!     `metric op value` (op one of `>=`, `<=`, `>`, `<`, `=`), and the answer
//!     holds when at least `share` of `trials` runs pass. With `goal: smallest`
//!     (or `largest`) the next value down (up) by `step` must fail, so the
//!     answer is the boundary, not any value that works.
//!
//!   Every check may have `explain` (shown after an attempt) and `hint`.
//! - Markdown (the subset in [`crate::markdown`]) is rendered to a small tree of allowed elements ([`Md`]): raw
//!   HTML in a lesson shows as text, and links go only to `http(s)` pages or to
//!   `#` scenario fragments (which open in the playground).
//!
//! Metrics are the JSON names of `gossip-lab run --json` (`t100`, `residue`,
//! `traffic`, `false_positives`, `variance_ratio`, ...), so a teacher can try a
//! check from the command line first.

pub use crate::markdown::{render, safe_href, Md};
use crate::metrics::{RunMetrics, Summary};
use crate::scenario::{spec, Kind, Scenario};
use crate::sweep::{metric, metric_names, PAGE_SWEEP_NODE_RUNS_MAX, PAGE_SWEEP_TRIALS_MAX};

/// The built-in lessons, in course order: id, and file in `www/lessons/` (the
/// page serves them as `lessons/` beside itself).
pub const BUILT_IN: [(&str, &str); 11] = [
    ("why-gossip", "01-why-gossip.md"),
    ("push-pull", "02-push-pull.md"),
    ("fanout", "03-fanout.md"),
    ("stopping", "04-stopping.md"),
    ("anti-entropy", "05-anti-entropy.md"),
    ("failure-detection", "06-failure-detection.md"),
    ("state", "07-state.md"),
    ("partitions", "08-partitions.md"),
    ("aggregation", "09-aggregation.md"),
    ("malicious", "10-malicious.md"),
    ("lan-wan", "11-lan-wan.md"),
];

/// The built-in lessons' texts, compiled into the command line and the tests.
/// The page fetches them instead ([`Lesson::install_built_in`]): they would
/// weigh 8 KB of its gzipped budget.
#[cfg(not(target_arch = "wasm32"))]
const BUILT_IN_TEXTS: [&str; 11] = [
    include_str!("../www/lessons/01-why-gossip.md"),
    include_str!("../www/lessons/02-push-pull.md"),
    include_str!("../www/lessons/03-fanout.md"),
    include_str!("../www/lessons/04-stopping.md"),
    include_str!("../www/lessons/05-anti-entropy.md"),
    include_str!("../www/lessons/06-failure-detection.md"),
    include_str!("../www/lessons/07-state.md"),
    include_str!("../www/lessons/08-partitions.md"),
    include_str!("../www/lessons/09-aggregation.md"),
    include_str!("../www/lessons/10-malicious.md"),
    include_str!("../www/lessons/11-lan-wan.md"),
];

/// The parsed built-in lessons (in the page, once fetched).
static ALL: std::sync::OnceLock<Vec<Lesson>> = std::sync::OnceLock::new();

/// Longest lesson file accepted (a pasted or fetched one).
pub const LESSON_BYTES_MAX: usize = 256 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// The step's text as Markdown (scenario and check blocks removed).
    pub body: String,
    /// A URL fragment loaded into the playground when the step opens.
    pub scenario: Option<String>,
    /// The views the step asks the learner to watch (see [`LOOK_VIEWS`]); the page outlines them.
    pub look: Vec<&'static str>,
    pub check: Option<Check>,
    /// The presenter's notes (a ```notes block): shown to the presenter, not in the step's text.
    pub notes: String,
    /// A sweep the page runs when the step opens (`sweep:` in the scenario block).
    pub sweep: Option<StepSweep>,
}

/// `sweep: nodes=25,50,100,200 bytes_per_node_per_s 2` in a scenario block: the
/// step's scenario (and its variant A, with `vs.` keys) run at each value, `trials`
/// seeds each, and `metric`'s mean and 95% interval charted beside the lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSweep {
    pub key: String,
    /// As the sweep form takes them: `1..8:1` or `a,b,c`.
    pub values: String,
    pub metric: String,
    pub trials: u32,
}

impl StepSweep {
    fn parse(text: &str, fragment: &str) -> Result<StepSweep, String> {
        let form = "write it as sweep: KEY=VALUES METRIC [TRIALS], e.g. sweep: nodes=25,50,100 msgs_per_node_per_s 3";
        let mut words = text.split_whitespace();
        let (Some(axis), Some(metric)) = (words.next(), words.next()) else { return Err(format!("sweep: {form}")) };
        let (key, values) = axis.split_once('=').ok_or_else(|| format!("sweep: '{axis}' has no values; {form}"))?;
        let trials =
            match words.next() {
                None => 3,
                Some(t) => t.parse().ok().filter(|t| (1..=PAGE_SWEEP_TRIALS_MAX).contains(t)).ok_or_else(|| {
                    format!("sweep: trials '{t}' is not allowed; allowed 1 to {PAGE_SWEEP_TRIALS_MAX}")
                })?,
            };
        // The page's own checks: the key, the values, the limits of work.
        let base = check_fragment(fragment)?;
        let vs: Vec<&str> = fragment.split('&').filter(|kv| kv.starts_with(crate::ui::model::VS_PREFIX)).collect();
        let a =
            (!vs.is_empty()).then(|| crate::ui::model::variant_a(&base, &vs)).transpose().map_err(|e| e.join("; "))?;
        crate::sweep::Sweep::compare(&base, a.as_ref(), key, values, trials, metric)?;
        Ok(StepSweep { key: key.into(), values: values.into(), metric: metric.into(), trials })
    }
}

/// The views a step can point at with `look:` in its scenario block, and how the page names them.
pub const LOOK_VIEWS: [(&str, &str); 9] = [
    ("graph", "the graph"),
    ("stats", "the figures above the graph"),
    ("coverage", "the coverage chart"),
    ("messages", "the messages chart"),
    ("bytes", "the bytes chart"),
    ("protocol", "the protocol's own chart"),
    ("detections", "the detection times"),
    ("compare", "the A/B table"),
    ("sweep", "the sweep chart"),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub question: String,
    pub explain: String,
    pub hint: String,
    pub kind: CheckKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    Choice {
        options: Vec<String>,
        answer: usize,
    },
    Estimate {
        scenario: String,
        metric: String,
        trials: u32,
        tolerance: Tolerance,
    },
    Find {
        scenario: String,
        param: String,
        metric: String,
        op: Op,
        value: f64,
        share: f64,
        trials: u32,
        goal: Goal,
        step: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    Absolute(f64),
    /// A fraction of the measured mean.
    Relative(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            ">=" | "≥" => Op::Ge,
            "<=" | "≤" => Op::Le,
            ">" => Op::Gt,
            "<" => Op::Lt,
            "=" | "==" => Op::Eq,
            _ => return None,
        })
    }
    /// Does the measured `x` stand in this relation to the check's `v`?
    pub fn holds(self, x: f64, v: f64) -> bool {
        match self {
            Op::Ge => x >= v - 1e-12,
            Op::Le => x <= v + 1e-12,
            Op::Gt => x > v,
            Op::Lt => x < v,
            Op::Eq => (x - v).abs() <= 1e-9 * v.abs().max(1.0),
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Le => "≤",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Any,
    Smallest,
    Largest,
}

/// What a check found: whether the answer holds, and the measurements that say so.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub pass: bool,
    pub evidence: Vec<String>,
    /// What the runs measured, where the answer is a number to estimate. Beside a
    /// right answer it is shown; beside a wrong one only when the learner asks
    /// (the page), so a class does not copy it on the second try.
    pub measured: Option<String>,
}

/// Runs a check needs: a label and a scenario, with its number of trials.
pub type Plan = Vec<(String, Scenario, u32)>;

fn err(line: usize, msg: impl std::fmt::Display) -> String {
    format!("lesson line {line}: {msg}")
}

impl Lesson {
    /// Read a lesson file. Errors give the line and what is wrong.
    pub fn parse(text: &str, default_id: &str) -> Result<Lesson, String> {
        if text.len() > LESSON_BYTES_MAX {
            return Err(format!("lesson: the file has {} bytes; at most {LESSON_BYTES_MAX}", text.len()));
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let (mut id, mut title, mut summary) = (default_id.to_string(), String::new(), String::new());
        if lines.get(i).map(|l| l.trim()) == Some("---") {
            let open = i + 1;
            i += 1;
            loop {
                let Some(line) = lines.get(i) else {
                    return Err(err(open, "the front matter opened with --- is never closed"));
                };
                i += 1;
                if line.trim() == "---" {
                    break;
                }
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .split_once(':')
                    .ok_or_else(|| err(i, format!("'{}': write key: value (title, summary or id)", line.trim())))?;
                let v = v.trim().to_string();
                match k.trim() {
                    "title" => title = v,
                    "summary" => summary = v,
                    "id" => id = v,
                    other => {
                        return Err(err(i, format!("'{other}' is not a front matter key; allowed: title, summary, id")))
                    }
                }
            }
        }
        if title.is_empty() {
            return Err("lesson: no title; start the file with ---, title: ..., ---".into());
        }
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("lesson: id '{id}' must be letters, digits, - or _"));
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut intro = String::new();
        while i < lines.len() {
            let line = lines[i];
            i += 1;
            if let Some(t) = line.strip_prefix("## ") {
                steps.push(Step {
                    title: t.trim().to_string(),
                    body: String::new(),
                    scenario: None,
                    look: Vec::new(),
                    check: None,
                    notes: String::new(),
                    sweep: None,
                });
                continue;
            }
            let fence = line.trim_start();
            if let Some(info) =
                fence.strip_prefix("```").map(str::trim).filter(|t| matches!(*t, "scenario" | "check" | "notes"))
            {
                let start = i;
                let mut block = Vec::new();
                loop {
                    let Some(l) = lines.get(i) else {
                        return Err(err(start, format!("the ```{info} block is never closed with ```")));
                    };
                    i += 1;
                    if l.trim() == "```" {
                        break;
                    }
                    block.push((i, *l));
                }
                let Some(step) = steps.last_mut() else {
                    return Err(err(start, format!("a ```{info} block must be inside a step (after a ## heading)")));
                };
                if info == "notes" {
                    for &(_, l) in &block {
                        step.notes.push_str(l);
                        step.notes.push('\n');
                    }
                } else if info == "scenario" {
                    if step.scenario.is_some() {
                        return Err(err(start, "a step has at most one scenario block"));
                    }
                    // `look: coverage, graph` lines name what to watch; the others are the fragment.
                    let mut parts = Vec::new();
                    let mut sweep = None;
                    for &(n, l) in &block {
                        if let Some(text) = l.trim().strip_prefix("sweep:") {
                            sweep = Some((n, text));
                            continue;
                        }
                        match l.trim().strip_prefix("look:") {
                            Some(views) => {
                                for v in views.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                                    let known = LOOK_VIEWS.iter().find(|(k, _)| *k == v).ok_or_else(|| {
                                        let names: Vec<&str> = LOOK_VIEWS.iter().map(|l| l.0).collect();
                                        err(n, format!("look: '{v}' is not a view; allowed: {}", names.join(", ")))
                                    })?;
                                    step.look.push(known.0);
                                }
                            }
                            None => parts.push(l.trim()),
                        }
                    }
                    let frag: String = parts.join("&");
                    check_fragment(&frag).map_err(|e| err(start, format!("scenario: {e}")))?;
                    if let Some((n, text)) = sweep {
                        step.sweep = Some(StepSweep::parse(text, &frag).map_err(|e| err(n, e))?);
                    }
                    step.scenario = Some(frag.trim_start_matches('#').to_string());
                } else {
                    if step.check.is_some() {
                        return Err(err(start, "a step has at most one check block"));
                    }
                    step.check = Some(Check::parse(&block, step.scenario.as_deref(), start)?);
                }
                continue;
            }
            match steps.last_mut() {
                Some(s) => {
                    s.body.push_str(line);
                    s.body.push('\n');
                }
                None => {
                    intro.push_str(line);
                    intro.push('\n');
                }
            }
        }
        if steps.is_empty() {
            return Err("lesson: no steps; start each step with a '## ' heading".into());
        }
        if !intro.trim().is_empty() {
            let first = &mut steps[0];
            first.body = format!("{}\n\n{}", intro.trim_end(), first.body);
        }
        Ok(Lesson { id, title, summary, steps })
    }

    /// A built-in lesson by id.
    pub fn built_in(id: &str) -> Option<Lesson> {
        Lesson::all().iter().find(|l| l.id == id).cloned()
    }

    /// Every built-in lesson, in course order, parsed once. In the page, none
    /// until their files have been fetched and installed.
    pub fn all() -> &'static [Lesson] {
        #[cfg(not(target_arch = "wasm32"))]
        return ALL.get_or_init(|| {
            BUILT_IN
                .iter()
                .zip(BUILT_IN_TEXTS)
                .map(|((id, _), text)| Lesson::parse(text, id).expect("built-in lessons parse"))
                .collect()
        });
        #[cfg(target_arch = "wasm32")]
        ALL.get().map_or(&[], Vec::as_slice)
    }

    /// The page: install the built-in lessons from their fetched texts, in
    /// [`BUILT_IN`]'s order. An error names the file.
    pub fn install_built_in(texts: &[String]) -> Result<(), String> {
        let lessons = BUILT_IN
            .iter()
            .zip(texts)
            .map(|((id, file), text)| Lesson::parse(text, id).map_err(|e| format!("lessons/{file}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if lessons.len() != BUILT_IN.len() {
            return Err(format!("{} of {} lesson files arrived", lessons.len(), BUILT_IN.len()));
        }
        let _ = ALL.set(lessons);
        Ok(())
    }
}

/// A scenario fragment must parse without errors and fit the page; `vs.` keys
/// (a side-by-side comparison) must make a valid variant A too. Returns the main scenario.
fn check_fragment(frag: &str) -> Result<Scenario, String> {
    crate::ui::model::page_scenarios(frag).map(|(s, _)| s)
}

impl Check {
    fn parse(block: &[(usize, &str)], step_scenario: Option<&str>, start: usize) -> Result<Check, String> {
        let mut fields: Vec<(usize, String, String)> = Vec::new();
        for &(n, l) in block {
            if l.trim().is_empty() {
                continue;
            }
            let (k, v) = l.split_once(':').ok_or_else(|| err(n, format!("'{}': write key: value", l.trim())))?;
            fields.push((n, k.trim().to_string(), v.trim().to_string()));
        }
        let get = |k: &str| fields.iter().find(|f| f.1 == k).map(|f| (f.0, f.2.as_str()));
        let need = |k: &str| get(k).ok_or_else(|| err(start, format!("check: '{k}' is missing")));
        let num = |k: &str| -> Result<Option<f64>, String> {
            match get(k) {
                None => Ok(None),
                Some((n, v)) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(Some)
                    .ok_or_else(|| err(n, format!("check: {k}: '{v}' is not a number"))),
            }
        };
        let (_, kind) = need("kind")?;
        let allowed: &[&str] = match kind {
            "choice" => &["kind", "question", "options", "answer", "explain", "hint"],
            "estimate" => &["kind", "question", "scenario", "metric", "trials", "tolerance", "explain", "hint"],
            "find" => &[
                "kind", "question", "scenario", "param", "metric", "op", "value", "share", "trials", "goal", "step",
                "explain", "hint",
            ],
            other => {
                return Err(err(
                    start,
                    format!("check: kind '{other}' is not allowed; allowed: choice, estimate, find"),
                ))
            }
        };
        if let Some(f) = fields.iter().find(|f| !allowed.contains(&f.1.as_str())) {
            return Err(err(
                f.0,
                format!("check: '{}' is not a key of a {kind} check; allowed: {}", f.1, allowed.join(", ")),
            ));
        }
        let question = need("question")?.1.to_string();
        let scenario = || -> Result<String, String> {
            match get("scenario") {
                Some((n, v)) => {
                    check_fragment(v).map_err(|e| err(n, format!("check: scenario: {e}")))?;
                    Ok(v.trim_start_matches('#').to_string())
                }
                None => step_scenario.map(str::to_string).ok_or_else(|| {
                    err(start, "check: no scenario; give the step a scenario block or the check a scenario: line")
                }),
            }
        };
        let trials = |default: u32| -> Result<u32, String> {
            let t = num("trials")?.unwrap_or(f64::from(default));
            if t.fract() != 0.0 || !(1.0..=f64::from(PAGE_SWEEP_TRIALS_MAX)).contains(&t) {
                return Err(err(
                    start,
                    format!("check: trials: '{t}' is not allowed; allowed 1 to {PAGE_SWEEP_TRIALS_MAX}"),
                ));
            }
            Ok(t as u32)
        };
        let metric_name = || need("metric").map(|m| m.1.to_string());
        let kind = match kind {
            "choice" => {
                let options: Vec<String> =
                    need("options")?.1.split('|').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
                if options.len() < 2 {
                    return Err(err(start, "check: options: give at least two, separated by |"));
                }
                let (n, a) = need("answer")?;
                let answer = a.parse::<usize>().ok().filter(|a| (1..=options.len()).contains(a)).ok_or_else(|| {
                    err(n, format!("check: answer: '{a}' is not allowed; allowed 1 to {}", options.len()))
                })?;
                CheckKind::Choice { options, answer: answer - 1 }
            }
            "estimate" => {
                let (n, t) = need("tolerance")?;
                let tolerance = match t.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().ok().filter(|p| *p > 0.0 && *p <= 100.0).map(|p| Tolerance::Relative(p / 100.0)),
                    None => t.parse::<f64>().ok().filter(|x| *x > 0.0 && x.is_finite()).map(Tolerance::Absolute),
                }
                .ok_or_else(|| err(n, format!("check: tolerance: '{t}' is not allowed; write a positive number or a percentage such as 10%")))?;
                CheckKind::Estimate { scenario: scenario()?, metric: metric_name()?, trials: trials(10)?, tolerance }
            }
            _ => {
                let (pn, param) = need("param")?;
                let p = spec(param).ok_or_else(|| err(pn, format!("check: param: '{param}' is not a setting")))?;
                let integer = match p.kind {
                    Kind::Int { .. } => true,
                    Kind::Float { .. } => false,
                    _ => return Err(err(pn, format!("check: param: '{param}' is not a number setting"))),
                };
                let (on, op_text) = get("op").unwrap_or((start, ">="));
                let op = Op::parse(op_text).ok_or_else(|| {
                    err(on, format!("check: op: '{op_text}' is not allowed; allowed: >=, <=, >, <, ="))
                })?;
                let value = num("value")?.ok_or_else(|| err(start, "check: 'value' is missing"))?;
                let share = num("share")?.unwrap_or(1.0);
                if !(0.0..=1.0).contains(&share) {
                    return Err(err(start, format!("check: share: '{share}' is not allowed; allowed 0 to 1")));
                }
                let goal = match get("goal").map_or("any", |g| g.1) {
                    "any" => Goal::Any,
                    "smallest" => Goal::Smallest,
                    "largest" => Goal::Largest,
                    g => {
                        return Err(err(
                            start,
                            format!("check: goal: '{g}' is not allowed; allowed: any, smallest, largest"),
                        ))
                    }
                };
                let step = num("step")?.unwrap_or(1.0);
                let positive = step > 0.0;
                if !positive || (integer && step.fract() != 0.0) {
                    return Err(err(
                        start,
                        format!(
                            "check: step: '{step}' is not allowed; a positive {}",
                            if integer { "whole number" } else { "number" }
                        ),
                    ));
                }
                CheckKind::Find {
                    scenario: scenario()?,
                    param: param.to_string(),
                    metric: metric_name()?,
                    op,
                    value,
                    share,
                    trials: trials(20)?,
                    goal,
                    step,
                }
            }
        };
        let text = |k: &str| get(k).map_or(String::new(), |f| f.1.to_string());
        let check = Check { question, explain: text("explain"), hint: text("hint"), kind };
        // Every check fits the page's budget for the runs it makes.
        if let Some((s, t)) = match &check.kind {
            CheckKind::Estimate { scenario, trials, .. } | CheckKind::Find { scenario, trials, .. } => {
                Some((scenario, trials))
            }
            CheckKind::Choice { .. } => None,
        } {
            let sc = check_fragment(s).map_err(|e| err(start, e))?;
            let runs = u64::from(sc.capacity()) * u64::from(*t) * 2;
            if runs > PAGE_SWEEP_NODE_RUNS_MAX {
                return Err(err(
                    start,
                    format!(
                        "check: trials: {t} runs of {} nodes is too much for the page (nodes × trials at most {})",
                        sc.capacity(),
                        PAGE_SWEEP_NODE_RUNS_MAX / 2
                    ),
                ));
            }
        }
        Ok(check)
    }

    /// The runs an answer needs (none for a choice). Errors name the answer's problem.
    pub fn plan(&self, answer: &str) -> Result<Plan, String> {
        let answer = answer.trim();
        match &self.kind {
            CheckKind::Choice { options, .. } => {
                answer
                    .parse::<usize>()
                    .ok()
                    .filter(|a| (1..=options.len()).contains(a))
                    .ok_or_else(|| format!("answer: choose one of the {} options", options.len()))?;
                Ok(Vec::new())
            }
            CheckKind::Estimate { scenario, trials, .. } => {
                answer
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("answer: '{answer}' is not a number"))?;
                Ok(vec![(String::new(), check_fragment(scenario)?, *trials)])
            }
            CheckKind::Find { scenario, param, trials, goal, step, .. } => {
                let base = check_fragment(scenario)?;
                let at = |v: &str| -> Result<Scenario, String> {
                    let mut s = base.clone();
                    s.set(param, v).map_err(|e| format!("answer: {e}"))?;
                    s.validate_for_page().map_err(|e| format!("answer: {e}"))?;
                    Ok(s)
                };
                let mut plan = vec![(format!("{param}={answer}"), at(answer)?, *trials)];
                let x: f64 = answer.parse().map_err(|_| format!("answer: '{answer}' is not a number"))?;
                let neighbour = match goal {
                    Goal::Any => None,
                    Goal::Smallest => Some(x - step),
                    Goal::Largest => Some(x + step),
                };
                // The next value down (up) must fail; if it is out of range, the answer is the boundary.
                if let Some(n) = neighbour {
                    let text = plain(n);
                    if let Ok(s) = at(&text) {
                        plan.push((format!("{param}={text}"), s, *trials));
                    }
                }
                Ok(plan)
            }
        }
    }

    /// Judge an answer from the runs of its plan (in plan order).
    pub fn judge(&self, answer: &str, results: &[Vec<RunMetrics>]) -> Verdict {
        let answer = answer.trim();
        match &self.kind {
            CheckKind::Choice { options, answer: right } => {
                let chosen = answer.parse::<usize>().unwrap_or(0);
                let pass = chosen == right + 1;
                let picked = options.get(chosen.wrapping_sub(1)).map_or("nothing", String::as_str);
                Verdict {
                    pass,
                    evidence: vec![if pass { format!("Right: {picked}.") } else { format!("Not {picked}.") }],
                    measured: None,
                }
            }
            CheckKind::Estimate { metric: name, tolerance, .. } => {
                let Some(runs) = results.first() else { return no_runs() };
                let xs: Vec<f64> = runs.iter().filter_map(|m| metric(m, name)).collect();
                let Some(s) = Summary::of(&xs) else { return undefined(name, runs) };
                let guess: f64 = answer.parse().unwrap_or(f64::NAN);
                let allowed = match *tolerance {
                    Tolerance::Absolute(t) => t,
                    Tolerance::Relative(r) => r * s.mean.abs(),
                };
                let off = (guess - s.mean).abs();
                let pass = off <= allowed;
                let measured =
                    format!("Measured {name} over {} runs: {} ± {} (95% interval).", s.n, fmt(s.mean), fmt(s.ci95));
                // A wrong answer learns which way to go, not where to land.
                let mut evidence = vec![if pass {
                    format!("Your answer {} is within {} of the measured mean.", fmt(guess), fmt(allowed))
                } else if guess > s.mean {
                    format!("Your answer {} is too high: the runs measured less.", fmt(guess))
                } else {
                    format!("Your answer {} is too low: the runs measured more.", fmt(guess))
                }];
                if s.n < runs.len() {
                    evidence.push(format!(
                        "{} of {} runs never defined {name} and are left out.",
                        runs.len() - s.n,
                        runs.len()
                    ));
                }
                Verdict { pass, evidence, measured: Some(measured) }
            }
            CheckKind::Find { scenario, param, metric: name, op, value, share, goal, step, .. } => {
                let Some(first) = results.first() else { return no_runs() };
                if first.iter().all(|m| !metric_names(m).contains(name)) {
                    return undefined(name, first);
                }
                let plan = self.plan(answer).unwrap_or_default();
                let rate = |runs: &[RunMetrics]| {
                    let ok = runs.iter().filter(|m| metric(m, name).is_some_and(|x| op.holds(x, *value))).count();
                    (ok, runs.len())
                };
                let holds = |(ok, n): (usize, usize)| n > 0 && ok as f64 >= share * n as f64 - 1e-9;
                let line = |label: &str, (ok, n): (usize, usize), h: bool| {
                    format!(
                        "{label}: {ok} of {n} runs had {name} {} {} ({:.0}%; {:.0}% needed): {}.",
                        op.symbol(),
                        fmt(*value),
                        100.0 * ok as f64 / n.max(1) as f64,
                        share * 100.0,
                        if h { "holds" } else { "does not hold" }
                    )
                };
                let r0 = rate(first);
                let h0 = holds(r0);
                let mut evidence = vec![line(&format!("{param} = {answer}"), r0, h0)];
                if !h0 && *goal != Goal::Any {
                    evidence
                        .push(format!("Try a {} value.", if *goal == Goal::Smallest { "larger" } else { "smaller" }));
                }
                let mut pass = h0;
                if let (Some(runs), Some((label, _, _))) = (results.get(1), plan.get(1)) {
                    let r1 = rate(runs);
                    let h1 = holds(r1);
                    evidence.push(line(&label.replace('=', " = "), r1, h1));
                    if h0 && h1 {
                        pass = false;
                        evidence.push(format!(
                            "So {answer} works, but it is not the {} value that does.",
                            if *goal == Goal::Smallest { "smallest" } else { "largest" }
                        ));
                    }
                } else if h0 && *goal != Goal::Any {
                    // The next value is out of the setting's range, or more than the page runs.
                    let x: f64 = answer.parse().unwrap_or(0.0);
                    let (n, word) = if *goal == Goal::Smallest { (x - step, "smaller") } else { (x + step, "larger") };
                    let n = plain(n);
                    let why = check_fragment(scenario)
                        .and_then(|mut s| {
                            s.set(param, &n).map_err(|e| e.to_string())?;
                            s.validate_for_page().map_err(|e| e.to_string())
                        })
                        .err()
                        .unwrap_or_default();
                    evidence.push(format!("No {word} value can be checked ({why}), so {answer} is the boundary."));
                }
                Verdict { pass, evidence, measured: None }
            }
        }
    }

    /// Run a check to the end now (the command line and tests).
    pub fn evaluate(&self, answer: &str) -> Result<Verdict, String> {
        let plan = self.plan(answer)?;
        let mut batch = crate::sweep::Batch::new(plan.into_iter().map(|(_, s, t)| (s, t)).collect());
        batch.run_all();
        Ok(self.judge(answer, batch.results()))
    }
}

/// A parameter value as a setting reads it: `6000`, `0.3` (never `6e3`).
pub fn plain(x: f64) -> String {
    let r = (x * 1e9).round() / 1e9;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

fn no_runs() -> Verdict {
    Verdict { pass: false, evidence: vec!["No runs were made.".into()], measured: None }
}

fn undefined(name: &str, runs: &[RunMetrics]) -> Verdict {
    let known = runs.first().map(metric_names).unwrap_or_default();
    Verdict {
        pass: false,
        evidence: vec![format!(
            "The lesson asks for metric '{name}', which these runs never defined; they measure: {}.",
            known.join(", ")
        )],
        measured: None,
    }
}

fn fmt(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{:.2}", x).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{:.3}", x);
        if s.trim_end_matches('0').trim_end_matches('.') == "0" || s == "-0.000" {
            format!("{x:.1e}")
        } else {
            s.trim_end_matches('0').to_string()
        }
    }
}

/// A learner's place in a lesson, saved in the browser's local storage.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub step: usize,
    /// Steps whose check the learner has passed.
    pub passed: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "---\ntitle: T\n---\nIntro.\n## One\nText *here*.\n```scenario\nnodes=100\n```\n```check\nkind: choice\nquestion: Q?\noptions: a | b\nanswer: 2\n```\n## Two\nMore.\n";

    /// A lesson's parts land where they belong: the intro joins step one.
    #[test]
    fn parses_steps_scenarios_and_checks() {
        let l = Lesson::parse(SMALL, "small").unwrap();
        assert_eq!(l.title, "T");
        assert_eq!(l.steps.len(), 2);
        assert!(l.steps[0].body.starts_with("Intro."));
        assert_eq!(l.steps[0].scenario.as_deref(), Some("nodes=100"));
        assert!(matches!(l.steps[0].check.as_ref().unwrap().kind, CheckKind::Choice { answer: 1, .. }));
        assert!(l.steps[1].check.is_none());
    }

    /// Malformed files name the line and the problem, never panic.
    /// `sweep:` in a scenario block: parsed, checked against the page's limits,
    /// and refused by name when malformed.
    #[test]
    fn a_step_can_sweep() {
        let text = "---\ntitle: T\n---\n## a\n```scenario\nnodes=50&protocol=swim&timing=timed&vs.protocol=membership\nsweep: nodes=25,50 bytes_per_node_per_s 2\n```\n";
        let l = Lesson::parse(text, "s").unwrap();
        let s = l.steps[0].sweep.clone().unwrap();
        assert_eq!(
            (s.key.as_str(), s.values.as_str(), s.metric.as_str(), s.trials),
            ("nodes", "25,50", "bytes_per_node_per_s", 2)
        );
        assert_eq!(l.steps[0].scenario.as_deref(), Some("nodes=50&protocol=swim&timing=timed&vs.protocol=membership"));
        for (bad, says) in [
            ("sweep: nodes", "write it as sweep: KEY=VALUES METRIC"),
            ("sweep: nodes t100", "'nodes' has no values"),
            ("sweep: nodes=1,50 t100", "nodes"),
            ("sweep: fanout=1..3:1 t100 0", "trials '0' is not allowed; allowed 1 to 200"),
            ("sweep: colour=1,2 t100", "'colour' is not a setting"),
        ] {
            let text = format!("---\ntitle: T\n---\n## a\n```scenario\nnodes=50\n{bad}\n```\n");
            let e = Lesson::parse(&text, "s").unwrap_err();
            assert!(e.contains("line 7") && e.contains(says), "{bad}: {e}");
        }
    }

    /// A ```notes block goes to the presenter, not into the step's text.
    #[test]
    fn notes_are_the_presenters() {
        let text = "---\ntitle: T\n---\n## One\nSay this.\n```notes\nAsk the class first.\nThen play.\n```\nMore.\n## Two\nB.\n";
        let l = Lesson::parse(text, "n").unwrap();
        assert_eq!(l.steps[0].notes, "Ask the class first.\nThen play.\n");
        assert!(!l.steps[0].body.contains("Ask the class") && l.steps[0].body.contains("More."));
        assert!(l.steps[1].notes.is_empty());
        let e = Lesson::parse("---\ntitle: T\n---\n## a\n```notes\nx\n", "n").unwrap_err();
        assert!(e.contains("```notes block is never closed"), "{e}");
    }

    #[test]
    fn malformed_files_are_named() {
        let cases = [
            ("no front matter", "## a\n", "no title"),
            ("unclosed", "---\ntitle: T\n", "never closed"),
            ("bad key", "---\ntitle: T\ncolour: red\n---\n## a\n", "'colour' is not a front matter key"),
            ("no steps", "---\ntitle: T\n---\ntext\n", "no steps"),
            ("bad scenario", "---\ntitle: T\n---\n## a\n```scenario\nfanout=0\n```\n", "fanout: '0'"),
            ("unclosed block", "---\ntitle: T\n---\n## a\n```check\nkind: choice\n", "never closed"),
            ("bad kind", "---\ntitle: T\n---\n## a\n```check\nkind: essay\nquestion: q\n```\n", "kind 'essay'"),
            ("answer range", "---\ntitle: T\n---\n## a\n```check\nkind: choice\nquestion: q\noptions: a|b\nanswer: 3\n```\n", "allowed 1 to 2"),
            ("no scenario", "---\ntitle: T\n---\n## a\n```check\nkind: estimate\nquestion: q\nmetric: t100\ntolerance: 1\n```\n", "no scenario"),
            ("bad param", "---\ntitle: T\n---\n## a\n```check\nkind: find\nquestion: q\nscenario: nodes=50\nparam: spread\nmetric: t100\nvalue: 1\n```\n", "not a number setting"),
            ("too big", "---\ntitle: T\n---\n## a\n```check\nkind: estimate\nquestion: q\nscenario: nodes=100000\nmetric: t100\ntolerance: 1\ntrials: 200\n```\n", "too much for the page"),
        ];
        for (what, text, expect) in cases {
            let e = Lesson::parse(text, "x").unwrap_err();
            assert!(e.contains(expect), "{what}: {e}");
        }
    }

    /// The page's path for the built-in lessons: every file in `www/lessons/` is
    /// listed once, and installing fetched texts names a broken or missing file.
    #[test]
    fn built_in_files_install() {
        let mut files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/www/lessons"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.ends_with(".md"))
            .collect();
        files.sort();
        assert_eq!(files, BUILT_IN.iter().map(|(_, f)| f.to_string()).collect::<Vec<_>>());
        let texts: Vec<String> = BUILT_IN_TEXTS.iter().map(|t| t.to_string()).collect();
        assert_eq!(Lesson::install_built_in(&texts), Ok(()));
        let mut broken = texts.clone();
        broken[2] = "## no front matter\n".into();
        let e = Lesson::install_built_in(&broken).unwrap_err();
        assert!(e.starts_with("lessons/03-fanout.md: "), "{e}");
        let e = Lesson::install_built_in(&texts[..9]).unwrap_err();
        assert!(e.contains("9 of 11"), "{e}");
        assert_eq!(Lesson::all().len(), 11);
    }

    /// Raw HTML and script links in a lesson never become elements or links.
    #[test]
    fn markdown_is_rendered_safely() {
        let tree = render("Hi <script>alert(1)</script> [x](javascript:alert(1)) [y](https://a.b) [z](#nodes=5)\n\n<div onclick=\"x\">block</div>\n");
        fn walk(n: &[Md], out: &mut Vec<(String, Option<String>)>) {
            for m in n {
                if let Md::El { tag, href, children } = m {
                    out.push((tag.to_string(), href.clone()));
                    walk(children, out);
                }
            }
        }
        let mut els = Vec::new();
        walk(&tree, &mut els);
        assert!(els.iter().all(|(t, _)| ["p", "a", "span"].contains(&t.as_str())), "{els:?}");
        let hrefs: Vec<_> = els.iter().filter_map(|e| e.1.clone()).collect();
        assert_eq!(hrefs, vec!["https://a.b".to_string(), "#nodes=5".to_string()]);
        let text = format!("{tree:?}");
        assert!(text.contains("<script>") && text.contains("onclick"), "raw HTML is kept as text: {text}");
    }

    /// A choice check passes only the right option; an estimate passes near the
    /// measured mean and fails far from it.
    #[test]
    fn choice_and_estimate_checks() {
        let l = Lesson::parse(SMALL, "small").unwrap();
        let c = l.steps[0].check.as_ref().unwrap();
        assert!(c.evaluate("2").unwrap().pass);
        assert!(!c.evaluate("1").unwrap().pass);
        assert!(c.plan("7").is_err());
        let est = "---\ntitle: T\n---\n## a\n```scenario\nnodes=500&fanout=1\n```\n```check\nkind: estimate\nquestion: q\nmetric: t100\ntrials: 10\ntolerance: 10%\n```\n";
        let c = Lesson::parse(est, "e").unwrap().steps[0].check.clone().unwrap();
        let v = c.evaluate("1000").unwrap();
        // A wrong estimate says which way, and keeps the measured mean apart.
        assert!(!v.pass && v.evidence[0].contains("too high"), "{v:?}");
        assert!(v.evidence.iter().all(|e| !e.contains("Measured")), "{v:?}");
        let measured = v.measured.as_deref().unwrap();
        assert!(measured.contains("over 10 runs"), "{v:?}");
        assert!(c.evaluate("1").unwrap().evidence[0].contains("too low"));
        // The measured mean itself is a right answer.
        let mean: f64 = measured.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!(c.evaluate(&mean.to_string()).unwrap().pass);
    }
}
