//! Trials and parameter sweeps, shared by the command line and the page.
//!
//! - [`axis`] reads one swept key (`fanout=1..8:1`, `spread=push,pull`), the
//!   same text on the command line and in the page's sweep panel.
//! - [`Batch`] runs the trials of several scenarios a slice of wall time at a
//!   time, so the page can run a sweep or a lesson's check between animation
//!   frames without freezing. Trial `i` of a scenario uses
//!   `trial_seed(seed, i)`, as `gossip-lab run --trials` does, so the page and
//!   the command line measure the same runs.
//! - [`csv`] writes one row per point with mean, std and 95% interval of every
//!   metric: the format of `gossip-lab sweep`, whichever front end ran it.
//! - [`Sweep`]: one parameter over a list of values, with a metric to plot.

use crate::metrics::{summarize, RunMetrics, Summary};
use crate::scenario::{spec, Kind, Scenario};
use crate::sim::engine::{build, Runner};
use crate::sim::rng::trial_seed;

/// Points one swept axis may have.
pub const AXIS_POINTS_MAX: usize = 100_000;

/// One swept key and its values as text: `key=a,b,c` or `key=from..to:step`.
pub fn axis(pair: &str) -> Result<(String, Vec<String>), String> {
    let (key, spec) = pair.split_once('=').ok_or_else(|| format!("'{pair}': write key=a,b,c or key=from..to:step"))?;
    let (key, spec) = (key.trim(), spec.trim());
    Ok((key.to_string(), values(key, spec)?))
}

/// The values of `key` written as `a,b,c` or `from..to:step`.
pub fn values(key: &str, spec: &str) -> Result<Vec<String>, String> {
    if let Some((range, step)) = spec.split_once(':').filter(|_| spec.contains("..")) {
        let (a, b) = range.split_once("..").expect("checked");
        let num = |t: &str| t.trim().parse::<f64>().map_err(|_| format!("{key}: '{t}' in '{spec}' is not a number"));
        let (a, b, step) = (num(a)?, num(b)?, num(step)?);
        let ordered = step > 0.0 && b >= a && a.is_finite() && b.is_finite();
        if !ordered {
            return Err(format!("{key}: '{spec}' needs from <= to and a positive step"));
        }
        let count = ((b - a) / step + 1e-9).floor() + 1.0;
        if count > AXIS_POINTS_MAX as f64 {
            return Err(format!("{key}: '{spec}' has {count} points; at most {AXIS_POINTS_MAX}"));
        }
        let vals = (0..count as usize).map(|i| {
            let r = ((a + step * i as f64) * 1e9).round() / 1e9;
            if r.fract() == 0.0 {
                format!("{}", r as i64)
            } else {
                format!("{r}")
            }
        });
        return Ok(vals.collect());
    }
    let vals: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    if vals.is_empty() {
        return Err(format!("{key}: no values; write a,b,c or from..to:step"));
    }
    Ok(vals)
}

/// A metric of a run by its JSON name (`t100`, `residue`, `detect_all_ms`, ...);
/// `None` when the run did not define it (t100 when coverage never reached 100%).
pub fn metric(m: &RunMetrics, key: &str) -> Option<f64> {
    serde_json::to_value(m).ok()?.get(key)?.as_f64()
}

/// The metric names a run reports, numbers only, in the JSON's order.
pub fn metric_names(m: &RunMetrics) -> Vec<String> {
    let v = serde_json::to_value(m).expect("metrics serialise");
    v.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, v)| (v.is_number() || v.is_null()) && k.as_str() != "trace_hash")
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The CSV of a sweep: `point`, each swept key, then `m,m_std,m_ci95` for every
/// metric. `rows` holds each point's index, its values of the swept keys and its runs.
pub fn csv(keys: &[String], rows: &[(usize, Vec<String>, &[RunMetrics])]) -> String {
    let metric_keys: Vec<String> =
        rows.iter().find(|r| !r.2.is_empty()).map(|r| summarize(r.2).keys().cloned().collect()).unwrap_or_default();
    let mut text = String::from("point");
    for k in keys {
        text.push(',');
        text.push_str(k);
    }
    for k in &metric_keys {
        text.push_str(&format!(",{k},{k}_std,{k}_ci95"));
    }
    text.push('\n');
    for (idx, values, runs) in rows {
        let sum = summarize(runs);
        text.push_str(&idx.to_string());
        for v in values {
            text.push(',');
            text.push_str(v);
        }
        for k in &metric_keys {
            let get = |f: &str| {
                sum.get(k).and_then(|s| s.get(f)).and_then(|x| x.as_f64()).map_or(String::new(), |x| format!("{x}"))
            };
            text.push_str(&format!(",{},{},{}", get("mean"), get("std"), get("ci95")));
        }
        text.push('\n');
    }
    text
}

/// The slices of a sharded sweep (`gossip-lab merge`), each (file name, CSV text),
/// as one CSV in point order. Errors name the file and the line.
pub fn merge_csv(slices: &[(String, String)]) -> Result<String, String> {
    let mut header: Option<&str> = None;
    let mut rows: Vec<(usize, &str, &str)> = Vec::new();
    for (name, text) in slices {
        let mut lines = text.lines();
        let h = lines.next().unwrap_or_default();
        match header {
            None => header = Some(h),
            Some(prev) if prev != h => return Err(format!("{name}: its columns differ from the first file's")),
            _ => {}
        }
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
            let idx = line
                .split(',')
                .next()
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| format!("{name} line {}: a row without a point number (the first column)", i + 2))?;
            rows.push((idx, line, name));
        }
    }
    rows.sort_by_key(|r| r.0);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("{}: point {} is also in {} (each point belongs to one slice)", w[1].2, w[0].0, w[0].2));
    }
    let mut text = header.unwrap_or_default().to_string();
    text.push('\n');
    for (_, r, _) in rows {
        text.push_str(r);
        text.push('\n');
    }
    Ok(text)
}

/// Trials of several scenarios, run a slice of wall time at a time.
pub struct Batch {
    jobs: Vec<(Scenario, u32)>,
    results: Vec<Vec<RunMetrics>>,
    /// Each run's series too, when asked for (`with_series`).
    series: Option<Vec<Vec<crate::metrics::Series>>>,
    /// The job and trial being run, and its simulation.
    running: Option<(usize, u32, Box<dyn Runner>)>,
    done: u64,
    total: u64,
}

impl Batch {
    /// `jobs`: each scenario (validated by the caller) with its number of trials.
    pub fn new(jobs: Vec<(Scenario, u32)>) -> Self {
        let total = jobs.iter().map(|j| u64::from(j.1)).sum();
        let results = jobs.iter().map(|j| Vec::with_capacity(j.1 as usize)).collect();
        Batch { jobs, results, series: None, running: None, done: 0, total }
    }

    /// Keep each run's series beside its metrics.
    pub fn with_series(mut self) -> Self {
        self.series = Some(self.jobs.iter().map(|j| Vec::with_capacity(j.1 as usize)).collect());
        self
    }

    /// The series of each job's runs so far, if kept.
    pub fn series(&self) -> Option<&[Vec<crate::metrics::Series>]> {
        self.series.as_deref()
    }

    /// Trials finished and in all.
    pub fn progress(&self) -> (u64, u64) {
        (self.done, self.total)
    }

    pub fn finished(&self) -> bool {
        self.done == self.total
    }

    /// The runs of each job so far, in job order.
    pub fn results(&self) -> &[Vec<RunMetrics>] {
        &self.results
    }

    /// The next (job, trial) to start after the ones already done.
    fn next_trial(&self) -> Option<(usize, u32)> {
        self.results
            .iter()
            .enumerate()
            .find(|(j, r)| (r.len() as u32) < self.jobs[*j].1)
            .map(|(j, r)| (j, r.len() as u32))
    }

    /// Step the trials, a round (or an interval) at a time, until `budget_ms` of
    /// wall time (read from `clock`) has passed or everything is done. At least
    /// one step is taken, so the batch always moves.
    pub fn work(&mut self, budget_ms: f64, clock: &dyn Fn() -> f64) {
        let start = clock();
        loop {
            if self.running.is_none() {
                let Some((j, i)) = self.next_trial() else { return };
                let mut s = self.jobs[j].0.clone();
                s.seed = trial_seed(s.seed, i);
                let sim = build(&s).expect("the batch holds validated scenarios");
                self.running = Some((j, i, sim));
            }
            let (j, _, sim) = self.running.as_mut().expect("set above");
            if !sim.step() {
                let m = sim.metrics();
                if let Some(series) = &mut self.series {
                    series[*j].push(sim.series().clone());
                }
                self.results[*j].push(m);
                self.done += 1;
                self.running = None;
            }
            if clock() - start >= budget_ms {
                return;
            }
        }
    }

    /// Run everything now (the command line and tests).
    pub fn run_all(&mut self) {
        while !self.finished() {
            self.work(f64::INFINITY, &|| 0.0);
        }
    }
}

/// The page's limits on a sweep, so a classroom sweep ends in minutes.
pub const PAGE_SWEEP_POINTS_MAX: usize = 40;
pub const PAGE_SWEEP_TRIALS_MAX: u32 = 200;
/// Nodes × trials × points: about a minute of wasm at the default settings.
pub const PAGE_SWEEP_NODE_RUNS_MAX: u64 = 20_000_000;

/// One parameter swept over a list of values, `trials` runs at each, with a
/// metric to plot as mean and 95% interval.
pub struct Sweep {
    pub key: String,
    pub values: Vec<String>,
    metric: String,
    pub trials: u32,
    /// An A/B sweep: variant A's runs follow B's in the batch, value for value.
    pub compared: bool,
    pub batch: Batch,
    /// The chosen metric of each finished run, per point, read once per run
    /// (a run's metrics are read through their JSON form, too slow for every frame).
    measured: Vec<Vec<Option<f64>>>,
}

impl Sweep {
    /// A sweep of `key` over `spec` (`1..8:1` or `a,b,c`) from the base scenario,
    /// checked against the page's limits. Errors name the field and the allowed range.
    pub fn new(base: &Scenario, key: &str, spec_text: &str, trials: u32, metric: &str) -> Result<Sweep, String> {
        Sweep::compare(base, None, key, spec_text, trials, metric)
    }

    /// A sweep of B (`base`) and, when comparing, of variant A beside it, at the same values and seeds.
    pub fn compare(
        base: &Scenario,
        a: Option<&Scenario>,
        key: &str,
        spec_text: &str,
        trials: u32,
        metric: &str,
    ) -> Result<Sweep, String> {
        let Some(p) = spec(key) else {
            return Err(format!("sweep: '{key}' is not a setting; allowed: any key of gossip-lab params"));
        };
        if matches!(p.kind, Kind::Schedule | Kind::Edges | Kind::Matrix) || key == "seed" || key == "trials" {
            return Err(format!("sweep: '{key}' cannot be swept; choose a number or a choice setting"));
        }
        let values = values(key, spec_text).map_err(|e| format!("sweep values: {e}"))?;
        if values.len() > PAGE_SWEEP_POINTS_MAX {
            return Err(format!(
                "sweep values: {} points; the page sweeps 1 to {PAGE_SWEEP_POINTS_MAX} points (the command line takes more)",
                values.len()
            ));
        }
        if !(1..=PAGE_SWEEP_TRIALS_MAX).contains(&trials) {
            return Err(format!("sweep trials: '{trials}' is not allowed; allowed 1 to {PAGE_SWEEP_TRIALS_MAX}"));
        }
        let mut jobs = Vec::with_capacity(values.len() * 2);
        let mut node_runs = 0u64;
        for (variant, base) in std::iter::once(("", base)).chain(a.map(|a| ("A: ", a))) {
            for v in &values {
                let mut s = base.clone();
                s.set(key, v).map_err(|e| e.to_string())?;
                s.trials = 1;
                s.validate_for_page().map_err(|e| format!("{variant}at {key}={v}: {e}"))?;
                node_runs += u64::from(s.capacity()) * u64::from(trials);
                jobs.push((s, trials));
            }
        }
        if node_runs > PAGE_SWEEP_NODE_RUNS_MAX {
            return Err(format!(
                "sweep trials: {trials} trials of {} points at {} nodes is {node_runs} node-runs; the page allows at most {PAGE_SWEEP_NODE_RUNS_MAX} (fewer trials, points or nodes), or run it with gossip-lab sweep",
                values.len(),
                base.capacity()
            ));
        }
        let measured = vec![Vec::new(); jobs.len()];
        let compared = a.is_some();
        Ok(Sweep {
            key: key.into(),
            values,
            metric: metric.into(),
            trials,
            compared,
            batch: Batch::new(jobs),
            measured,
        })
    }

    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// Plot another metric of the runs already made (and of those to come).
    pub fn set_metric(&mut self, metric: &str) {
        self.metric = metric.into();
        self.measured.iter_mut().for_each(Vec::clear);
        self.read_new_runs();
    }

    /// Run trials for about `budget_ms` (see [`Batch::work`]).
    pub fn work(&mut self, budget_ms: f64, clock: &dyn Fn() -> f64) {
        self.batch.work(budget_ms, clock);
        self.read_new_runs();
    }

    fn read_new_runs(&mut self) {
        for (seen, runs) in self.measured.iter_mut().zip(self.batch.results()) {
            seen.extend(runs[seen.len()..].iter().map(|m| metric(m, &self.metric)));
        }
    }

    /// x positions: the values themselves when all are numbers, else their index.
    pub fn xs(&self) -> (Vec<f64>, bool) {
        let nums: Option<Vec<f64>> = self.values.iter().map(|v| v.parse::<f64>().ok()).collect();
        match nums {
            Some(n) => (n, true),
            None => ((0..self.values.len()).map(|i| i as f64).collect(), false),
        }
    }

    /// Each point's summary of the chosen metric (over the trials that defined it), so far (B's, when comparing).
    pub fn summaries(&self) -> Vec<Option<Summary>> {
        self.summarise(&self.measured[..self.values.len()])
    }

    /// Variant A's summaries, when comparing.
    pub fn summaries_a(&self) -> Option<Vec<Option<Summary>>> {
        self.compared.then(|| self.summarise(&self.measured[self.values.len()..]))
    }

    fn summarise(&self, points: &[Vec<Option<f64>>]) -> Vec<Option<Summary>> {
        points.iter().map(|xs| Summary::of(&xs.iter().flatten().copied().collect::<Vec<_>>())).collect()
    }

    /// The same CSV as `gossip-lab sweep key=values --trials N`.
    pub fn csv(&self) -> String {
        let n = self.values.len();
        let rows: Vec<(usize, Vec<String>, &[RunMetrics])> = self
            .batch
            .results()
            .iter()
            .enumerate()
            .map(|(i, runs)| {
                let v = self.values[i % n].clone();
                let labels = if self.compared { vec![(if i < n { "B" } else { "A" }).to_string(), v] } else { vec![v] };
                (i, labels, &runs[..])
            })
            .collect();
        if self.compared {
            csv(&["variant".to_string(), self.key.clone()], &rows)
        } else {
            csv(std::slice::from_ref(&self.key), &rows)
        }
    }
}

impl std::fmt::Debug for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sweep({}={}; {} trials; {})", self.key, self.values.join(","), self.trials, self.metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An A/B sweep runs A's points after B's at the same values; its CSV says which
    /// is which, and each side's summaries come from its own runs.
    #[test]
    fn a_compared_sweep_runs_both_variants() {
        let b = Scenario::from_fragment("nodes=60&protocol=swim&timing=timed&max_rounds=10").0;
        let a = Scenario::from_fragment("nodes=60&protocol=membership&timing=timed&max_rounds=10").0;
        let mut s = Sweep::compare(&b, Some(&a), "nodes", "20,40", 2, "bytes_per_node_per_s").unwrap();
        s.batch.run_all();
        s.read_new_runs();
        let (sb, sa) = (s.summaries(), s.summaries_a().unwrap());
        assert_eq!((sb.len(), sa.len()), (2, 2));
        // Heartbeat gossip's digests carry every member: its bytes grow with n, SWIM's do not.
        let (b20, b40, a20, a40) = (sb[0].unwrap().mean, sb[1].unwrap().mean, sa[0].unwrap().mean, sa[1].unwrap().mean);
        assert!(a40 > 1.5 * a20 && a20 > 3.0 * b20 && (b40 - b20).abs() < 0.2 * b20, "{b20} {b40} {a20} {a40}");
        let csv = s.csv();
        let rows: Vec<&str> = csv.lines().collect();
        assert!(rows[0].starts_with("point,variant,nodes,"), "{}", rows[0]);
        assert!(rows[1].starts_with("0,B,20,") && rows[4].starts_with("3,A,40,"), "{csv}");
        assert!(Sweep::new(&b, "nodes", "20,40", 2, "t100").unwrap().summaries_a().is_none());
    }

    /// Ranges expand with exact decimal steps; lists split on commas; bad ranges are named.
    #[test]
    fn axes_parse() {
        assert_eq!(axis("fanout=1..4:1").unwrap().1, vec!["1", "2", "3", "4"]);
        assert_eq!(axis("loss_rate=0..0.3:0.1").unwrap().1, vec!["0", "0.1", "0.2", "0.3"]);
        assert_eq!(axis("spread=push, pull").unwrap().1, vec!["push", "pull"]);
        assert!(axis("fanout=4..1:1").unwrap_err().contains("from <= to"));
        assert!(axis("fanout=1..4:0").unwrap_err().contains("positive step"));
        assert!(axis("fanout").unwrap_err().contains("key=a,b,c"));
    }

    /// A batch stepped in small slices gives exactly the runs of one uninterrupted
    /// run per trial, with the command line's trial seeds.
    #[test]
    fn sliced_batch_equals_direct_runs() {
        let (s, _) = Scenario::from_fragment("nodes=300&fanout=2&loss_rate=0.1");
        let mut b = Batch::new(vec![(s.clone(), 3)]);
        let ticks = std::cell::Cell::new(0.0);
        // A clock that advances one unit per reading: every slice is a single step.
        let clock = || {
            ticks.set(ticks.get() + 1.0);
            ticks.get()
        };
        let mut slices = 0;
        while !b.finished() {
            b.work(0.5, &clock);
            slices += 1;
        }
        assert!(slices > 3, "the batch ran in {slices} slices, not step by step");
        for i in 0..3 {
            let mut t = s.clone();
            t.seed = trial_seed(s.seed, i);
            assert_eq!(b.results()[0][i as usize].trace_hash, crate::run(&t).unwrap().trace_hash);
        }
    }

    /// The page's sweep refuses what it cannot run, naming the field and the range.
    #[test]
    fn sweep_limits_are_named() {
        let s = Scenario::default();
        assert!(Sweep::new(&s, "fanout", "1..100:1", 5, "t100").unwrap_err().contains("1 to 40"));
        assert!(Sweep::new(&s, "fanout", "1..3:1", 0, "t100").unwrap_err().contains("allowed 1 to 200"));
        assert!(Sweep::new(&s, "fanout", "0..3:1", 5, "t100").unwrap_err().contains("fanout: '0'"));
        assert!(Sweep::new(&s, "faults", "x", 5, "t100").unwrap_err().contains("cannot be swept"));
        let mut big = s.clone();
        big.set("nodes", "100000").unwrap();
        assert!(Sweep::new(&big, "fanout", "1..5:1", 200, "t100").unwrap_err().contains("node-runs"));
    }

    /// A sweep's CSV has the command line's columns and one row per point.
    #[test]
    fn sweep_csv_has_every_point() {
        let (s, _) = Scenario::from_fragment("nodes=200");
        let mut sw = Sweep::new(&s, "fanout", "1,2", 4, "t100").unwrap();
        while !sw.batch.finished() {
            sw.work(f64::INFINITY, &|| 0.0);
        }
        let text = sw.csv();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("point,fanout,") && lines[0].contains(",t100,t100_std,t100_ci95"));
        assert_eq!(lines.len(), 3);
        let sums = sw.summaries();
        // More fanout spreads faster: fewer rounds to reach everyone.
        assert!(sums[1].unwrap().mean < sums[0].unwrap().mean, "{sums:?}");
        // Switching the metric re-reads the runs already made.
        sw.set_metric("traffic");
        let traffic = sw.summaries();
        assert!(traffic.iter().all(|s| s.is_some_and(|s| s.n == 4 && s.mean > 0.0)), "{traffic:?}");
        assert_ne!(traffic[0].unwrap().mean, sums[0].unwrap().mean);
    }
}
