//! What a run measured: the coverage series and the summary metrics the
//! description names (residue, traffic, average and last delivery time,
//! convergence), plus means, standard deviations and 95% intervals over trials.

use serde::Serialize;

use crate::protocol::Progress;
use crate::scenario::Scenario;
use crate::sim::engine::NetStats;

/// One sample: after each round, or at each interval boundary in timed mode.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub round: u32,
    pub t_ms: f64,
    /// Fraction of live nodes holding the update.
    pub coverage: f64,
    /// Live nodes still spreading.
    pub active: u64,
    pub live: u64,
    /// Messages and bytes sent so far.
    pub msgs: u64,
    pub bytes: u64,
    /// With an uplink: messages that left through the send queue so far, the
    /// time they waited in it (µs, summed), and those dropped at a full queue.
    #[serde(skip_serializing_if = "is_zero")]
    pub queued: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub queue_wait_us: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub queue_drops: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// Samples kept before a series is thinned (see [`Series::push`]).
pub const SERIES_MAX: usize = 8192;

/// The run's samples: every round's while a run is short; then every
/// `stride`-th round's (a power of two), and always the latest. A run of any
/// length keeps at most [`SERIES_MAX`] + 1 of them, so an hour-long run's charts,
/// export and memory stay bounded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub points: Vec<SeriesPoint>,
    /// Rounds between kept samples (1 until the run outgrows [`SERIES_MAX`]).
    #[serde(skip)]
    pub stride: u32,
}

impl Default for Series {
    fn default() -> Self {
        Series { points: Vec::new(), stride: 1 }
    }
}

impl Series {
    /// Add the latest sample. The previous latest goes unless its round is on
    /// the stride; past [`SERIES_MAX`] samples every other one goes and the
    /// stride doubles.
    pub fn push(&mut self, p: SeriesPoint) {
        if self.points.last().is_some_and(|q| q.round % self.stride != 0 && q.round != p.round) {
            self.points.pop();
        }
        self.points.push(p);
        if self.points.len() > SERIES_MAX {
            self.stride *= 2;
            let (stride, last) = (self.stride, p.round);
            self.points.retain(|q| q.round % stride == 0 || q.round == last);
        }
    }
    pub fn last_t_ms(&self) -> f64 {
        self.points.last().map_or(-1.0, |p| p.t_ms)
    }
    /// The first sample at which coverage reached `fraction`.
    pub fn first_reaching(&self, fraction: f64) -> Option<&SeriesPoint> {
        self.points.iter().find(|p| p.coverage >= fraction - 1e-12)
    }
}

/// The figures of one update (times in ms from when it was written).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpdateStats {
    pub id: u32,
    /// The node that wrote it, and when.
    pub origin: u32,
    pub at_ms: f64,
    /// Fraction of live nodes holding it at the end.
    pub coverage: f64,
    /// Messages that carried it, per node.
    pub traffic: f64,
    pub t_avg_ms: Option<f64>,
    pub t_last_ms: Option<f64>,
    pub t50_ms: Option<f64>,
    pub t99_ms: Option<f64>,
    pub t100_ms: Option<f64>,
}

/// The summary of one run. Times count from when each update was written: in
/// rounds mode in rounds; in timed mode in intervals, and the `_ms` fields in
/// milliseconds. With several updates, coverage and residue are over (live
/// node, update) pairs, t_avg over every delivery, t_last the longest delay,
/// t50 / t99 / t100 the mean over updates, and `per_update` has each one's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunMetrics {
    pub nodes: u32,
    pub live: u64,
    pub rounds: u32,
    pub time_ms: f64,
    /// Updates written.
    pub updates: u64,
    /// Fraction of live nodes holding the update at the end.
    pub coverage: f64,
    /// Fraction of live nodes that never got it.
    pub residue: f64,
    /// Update-carrying messages per node (Demers et al.'s traffic m).
    pub traffic: f64,
    /// All messages per node, requests, replies and acknowledgements included.
    pub msgs_per_node: f64,
    pub bytes_per_node: f64,
    /// The same per second of virtual time.
    pub msgs_per_node_per_s: f64,
    pub bytes_per_node_per_s: f64,
    /// Mean and last delivery time over the nodes that received the update (origin excluded).
    pub t_avg: Option<f64>,
    pub t_last: Option<f64>,
    pub t_avg_ms: Option<f64>,
    pub t_last_ms: Option<f64>,
    /// Rounds (intervals) until 50%, 99% and 100% of live nodes held it.
    pub t50: Option<f64>,
    pub t99: Option<f64>,
    pub t100: Option<f64>,
    pub t50_ms: Option<f64>,
    pub t99_ms: Option<f64>,
    pub t100_ms: Option<f64>,
    pub sent: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_down: u64,
    pub dropped_oversize: u64,
    pub in_flight: u64,
    /// Partial views only: mean and standard deviation of the in-degree over live
    /// nodes (a balanced overlay has a small spread), and the shuffle protocol's bytes per node.
    pub in_degree_mean: Option<f64>,
    pub in_degree_std: Option<f64>,
    pub shuffle_bytes_per_node: Option<f64>,
    /// Hash of the full event trace: equal hashes mean identical runs.
    pub trace_hash: String,
    /// The protocol's own figures (membership: detection times, false positives, ...).
    #[serde(flatten)]
    pub extra: std::collections::BTreeMap<String, Option<f64>>,
    /// The protocol's own series, one value per sample (aggregate: `variance`,
    /// `variance_ratio`, `mean_rel_error`, `within_target`); left out when empty.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub series: std::collections::BTreeMap<String, Vec<Option<f64>>>,
    /// Each update's figures (left out of the JSON when there is only one).
    #[serde(skip_serializing_if = "single")]
    pub per_update: Vec<UpdateStats>,
}

fn single(v: &[UpdateStats]) -> bool {
    v.len() <= 1
}

/// Peer sampling figures for the metrics (partial views only).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SamplerStats {
    pub in_degree_mean: f64,
    pub in_degree_std: f64,
    pub shuffle_bytes: u64,
}

impl RunMetrics {
    #[allow(clippy::too_many_arguments)]
    pub fn collect(
        s: &Scenario,
        p: &Progress,
        st: &NetStats,
        series: &Series,
        live: u64,
        now_us: u64,
        sampler: Option<SamplerStats>,
        trace_hash: String,
        per_update: Vec<UpdateStats>,
        extra: Vec<(&'static str, Option<f64>)>,
        protocol_series: Vec<(&'static str, Vec<Option<f64>>)>,
    ) -> Self {
        let n = f64::from(s.nodes);
        let interval_ms = f64::from(s.interval_ms);
        let coverage = p.coverage(live);
        let (t_avg_ms, t_last_ms) = if p.delivered > 0 {
            (Some(p.delivered_sum_us as f64 / p.delivered as f64 / 1000.0), Some(p.delivered_max_us as f64 / 1000.0))
        } else {
            (None, None)
        };
        // Mean over updates of the time each took to reach a fraction; none unless all did.
        let reach = |pick: fn(&UpdateStats) -> Option<f64>| -> Option<f64> {
            let xs: Option<Vec<f64>> = per_update.iter().map(pick).collect();
            xs.filter(|x| !x.is_empty()).map(|x| x.iter().sum::<f64>() / x.len() as f64)
        };
        let (t50_ms, t99_ms, t100_ms) = (reach(|u| u.t50_ms), reach(|u| u.t99_ms), reach(|u| u.t100_ms));
        RunMetrics {
            nodes: s.nodes,
            live,
            rounds: series.points.last().map_or(0, |p| p.round),
            time_ms: now_us as f64 / 1000.0,
            updates: p.injected,
            coverage,
            residue: 1.0 - coverage,
            traffic: p.update_msgs as f64 / n,
            msgs_per_node: st.sent as f64 / n,
            bytes_per_node: st.bytes as f64 / n,
            msgs_per_node_per_s: if now_us > 0 { st.sent as f64 / n / (now_us as f64 / 1e6) } else { 0.0 },
            bytes_per_node_per_s: if now_us > 0 { st.bytes as f64 / n / (now_us as f64 / 1e6) } else { 0.0 },
            t_avg: t_avg_ms.map(|t| t / interval_ms),
            t_last: t_last_ms.map(|t| t / interval_ms),
            t_avg_ms,
            t_last_ms,
            t50: t50_ms.map(|t| t / interval_ms),
            t99: t99_ms.map(|t| t / interval_ms),
            t100: t100_ms.map(|t| t / interval_ms),
            t50_ms,
            t99_ms,
            t100_ms,
            sent: st.sent,
            delivered: st.delivered,
            duplicated: st.duplicated,
            dropped: st.dropped_total(),
            dropped_loss: st.dropped[1],
            dropped_partition: st.dropped[2],
            dropped_down: st.dropped[3],
            dropped_oversize: st.dropped[4],
            in_flight: st.in_flight,
            in_degree_mean: sampler.map(|x| x.in_degree_mean),
            in_degree_std: sampler.map(|x| x.in_degree_std),
            shuffle_bytes_per_node: sampler.map(|x| x.shuffle_bytes as f64 / n),
            trace_hash,
            extra: extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            series: protocol_series.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            per_update,
        }
    }
}

/// Mean, sample standard deviation and the half-width of a 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub std: f64,
    pub ci95: f64,
    /// Trials in which the metric was defined (e.g. t100 only when coverage reached 100%).
    pub n: usize,
}

impl Summary {
    pub fn of(xs: &[f64]) -> Option<Summary> {
        let n = xs.len();
        if n == 0 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let std =
            if n > 1 { (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
        Some(Summary { mean, std, ci95: t_quantile_975(n.saturating_sub(1)) * std / (n as f64).sqrt(), n })
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1; large df tends to 1.96).
pub fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        // Cornish-Fisher style correction, accurate to 1e-3 beyond 30.
        _ => 1.959964 + 2.37 / df as f64,
    }
}

/// Summaries of every numeric metric over trials, keyed by the JSON field name.
pub fn summarize(runs: &[RunMetrics]) -> serde_json::Map<String, serde_json::Value> {
    let values: Vec<serde_json::Value> =
        runs.iter().map(|r| serde_json::to_value(r).expect("metrics serialise")).collect();
    let mut out = serde_json::Map::new();
    let Some(first) = values.first().and_then(|v| v.as_object()) else {
        return out;
    };
    for key in first.keys() {
        if key == "trace_hash" || key == "per_update" || key == "series" {
            continue;
        }
        let xs: Vec<f64> = values.iter().filter_map(|v| v.get(key).and_then(serde_json::Value::as_f64)).collect();
        let summary = Summary::of(&xs).map_or(serde_json::Value::Null, |s| serde_json::to_value(s).expect("summary"));
        out.insert(key.clone(), summary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The A/B table writes a row's two times in one unit; one run alone keeps its own.
    #[test]
    fn a_pair_of_times_shares_a_unit() {
        let spec = FigureSpec::new("detect_first_ms", "first detection", Shown::Ms, "");
        let run = |t: Option<f64>| {
            let mut m = RunMetrics::default();
            m.extra.insert("detect_first_ms".into(), t);
            m
        };
        let (a, b) = (run(Some(860.0)), run(Some(12_500.0)));
        assert_eq!(spec.text_pair(&a, &b), ("0.9 s".to_string(), "12.5 s".to_string()));
        assert_eq!(spec.text_pair(&a, &run(Some(900.0))), ("860 ms".to_string(), "900 ms".to_string()));
        assert_eq!(spec.text_pair(&a, &run(None)), ("860 ms".to_string(), "–".to_string()));
        assert_eq!(spec.text(&a), "860 ms");
        assert_eq!(spec.text(&b), "12.5 s");
    }

    /// A long run's series stays bounded: every stride-th round and the latest,
    /// the stride a power of two; a short one keeps every round.
    #[test]
    fn a_long_series_is_thinned() {
        let point = |round: u32| SeriesPoint {
            round,
            t_ms: 0.0,
            coverage: 0.0,
            active: 0,
            live: 0,
            msgs: 0,
            bytes: 0,
            queued: 0,
            queue_wait_us: 0,
            queue_drops: 0,
        };
        let mut short = Series::default();
        (0..=1000).for_each(|r| short.push(point(r)));
        assert_eq!((short.points.len(), short.stride), (1001, 1));
        let mut long = Series::default();
        for r in 0..=100_003 {
            long.push(point(r));
            assert!(long.points.len() <= SERIES_MAX + 1);
            assert_eq!(long.points.last().unwrap().round, r, "the latest sample is always there");
        }
        assert_eq!(long.stride, 16);
        let (head, last) = long.points.split_at(long.points.len() - 1);
        assert_eq!(head[0].round, 0);
        assert!(head.iter().all(|p| p.round % 16 == 0));
        assert!(head.windows(2).all(|w| w[1].round - w[0].round == 16));
        assert_eq!(last[0].round, 100_003);
    }

    /// A known sample: mean 5, sample std 2.138, t(7) = 2.365.
    #[test]
    fn summary_of_known_sample() {
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.std - 2.1381).abs() < 1e-3);
        assert!((s.ci95 - 2.365 * 2.1381 / 8f64.sqrt()).abs() < 1e-3);
    }

    /// The t quantile is continuous across the table's end.
    #[test]
    fn t_quantile_tail() {
        assert!((t_quantile_975(30) - t_quantile_975(31)).abs() < 0.01);
        assert!((t_quantile_975(1000) - 1.962).abs() < 0.002);
    }
}

/// How a figure's value is written where it is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shown {
    /// A whole number ("–" when not measured).
    Count,
    /// A whole number, 0 when nothing was counted.
    CountOrZero,
    /// Virtual milliseconds: "850 ms", "12.5 s".
    Ms,
    /// A share, as a percentage with one decimal.
    Percent,
    /// A number with this many decimals.
    Decimals(usize),
}

/// A figure a protocol reports (a key of `RunMetrics::extra`), declared with
/// its words once: the page's figures line and its A/B table both read these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FigureSpec {
    /// The JSON key in `RunMetrics::extra`.
    pub key: &'static str,
    pub label: &'static str,
    /// What it means, shown on hover and on keyboard focus.
    pub about: &'static str,
    pub shown: Shown,
    /// A key whose value is the figure's theory, written beside it.
    pub theory: Option<&'static str>,
}

impl FigureSpec {
    pub const fn new(key: &'static str, label: &'static str, shown: Shown, about: &'static str) -> Self {
        FigureSpec { key, label, about, shown, theory: None }
    }

    /// The same figure, said as a protocol where it means more needs it said.
    pub const fn described(self, about: &'static str) -> Self {
        FigureSpec { about, ..self }
    }

    /// The value in a run's metrics (None: not measured in this run).
    pub fn value(&self, m: &RunMetrics) -> Option<f64> {
        m.extra.get(self.key).copied().flatten()
    }

    /// The value as the page writes it.
    pub fn text(&self, m: &RunMetrics) -> String {
        let seconds = self.value(m).is_some_and(|t| t >= 10_000.0);
        self.text_in(m, seconds)
    }

    /// Two runs' values side by side (the A/B table): times in one unit, the
    /// larger one's, so a row never reads "850 ms" beside "12.5 s".
    pub fn text_pair(&self, a: &RunMetrics, b: &RunMetrics) -> (String, String) {
        let seconds = [a, b].iter().any(|m| self.value(m).is_some_and(|t| t >= 10_000.0));
        (self.text_in(a, seconds), self.text_in(b, seconds))
    }

    fn text_in(&self, m: &RunMetrics, seconds: bool) -> String {
        let v = self.value(m);
        let mut out = match (self.shown, v) {
            (Shown::CountOrZero, None) => "0".to_string(),
            (_, None) => "–".to_string(),
            (Shown::Count | Shown::CountOrZero, Some(x)) => format!("{x}"),
            (Shown::Ms, Some(x)) if seconds => format!("{:.1} s", x / 1000.0),
            (Shown::Ms, Some(x)) => format!("{x:.0} ms"),
            (Shown::Percent, Some(x)) => format!("{:.1}%", x * 100.0),
            (Shown::Decimals(d), Some(x)) => format!("{x:.d$}"),
        };
        if let Some(t) = self.theory.and_then(|k| m.extra.get(k).copied().flatten()) {
            out.push_str(&format!(" (theory {t:.3})"));
        }
        out
    }

    /// The page's element id: the key in words, without a unit suffix (`detect-first`).
    pub fn id(&self) -> String {
        self.key.trim_end_matches("_ms").replace('_', "-")
    }
}

/// Milliseconds as the page writes them: "850 ms", "12.5 s".
pub fn format_ms(t: f64) -> String {
    if t >= 10_000.0 {
        format!("{:.1} s", t / 1000.0)
    } else {
        format!("{t:.0} ms")
    }
}
