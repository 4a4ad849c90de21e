//! The sweep panel: run the current scenario at several values of one
//! setting, several seeds each, and chart a metric's mean and 95% interval.

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::chart::draw_sweep;
use super::effect::{download_text, Effect, WORK_BUDGET_MS};
use super::field::input_value;
use super::graph::fit;
use super::model::Playground;
use crate::lessons::StepSweep;
use crate::scenario::{Kind, Scenario, PARAMS};
use crate::sweep::Sweep;

pub enum SweepMsg {
    Key(String),
    Values(String),
    Trials(String),
    Metric(String),
    Run,
    Cancel,
    Csv,
}

/// What the form holds before a sweep starts.
struct Form {
    key: String,
    values: String,
    trials: String,
    metric: String,
}

pub struct SweepPanel {
    form: Form,
    sweep: Option<Sweep>,
    error: Option<String>,
    canvas: NodeRef,
    /// The chart shows the sweep as it is.
    drawn: bool,
    /// The metrics this scenario reports, for the metric list.
    metric_names: Vec<String>,
    /// The sweep is a lesson step's, not the learner's: it goes with the step.
    from_step: bool,
}

impl SweepPanel {
    pub fn new(model: &Playground) -> Self {
        let form = Form { key: "fanout".into(), values: "1..6:1".into(), trials: "10".into(), metric: "t100".into() };
        let mut p = SweepPanel {
            form,
            sweep: None,
            error: None,
            canvas: NodeRef::default(),
            drawn: true,
            metric_names: vec![],
            from_step: false,
        };
        p.scenario_changed(model);
        p
    }

    /// The scenario changed: its metrics may have.
    pub fn scenario_changed(&mut self, model: &Playground) {
        self.metric_names = crate::sweep::metric_names(&model.sim().metrics());
    }

    pub fn update(&mut self, model: &Playground, msg: SweepMsg) -> Effect {
        let f = &mut self.form;
        match msg {
            SweepMsg::Key(k) => {
                f.values = suggest_values(&model.scenario, &k);
                f.key = k;
            }
            SweepMsg::Values(v) => f.values = v,
            SweepMsg::Trials(t) => f.trials = t,
            SweepMsg::Metric(m) => {
                f.metric = m;
                if let Some(s) = &mut self.sweep {
                    s.set_metric(&f.metric); // re-plot the runs already made
                    self.drawn = false;
                }
            }
            SweepMsg::Run => {
                self.from_step = false;
                self.run(model);
                return Effect::Relayout;
            }
            SweepMsg::Cancel => {
                self.sweep = None;
                self.error = None;
                return Effect::Relayout;
            }
            SweepMsg::Csv => {
                if let Some(s) = &self.sweep {
                    download_text(&format!("gossip-lab-sweep-{}.csv", s.key), "text/csv", &s.csv());
                }
                return Effect::Quiet;
            }
        }
        Effect::Render
    }

    /// Sweep the form's setting over the model's scenario, and variant A's beside it when comparing.
    fn run(&mut self, model: &Playground) {
        let f = &self.form;
        let trials = f.trials.trim().parse::<u32>().unwrap_or(0);
        let a = model.compare.as_ref().map(|v| &v.scenario);
        match Sweep::compare(&model.scenario, a, &f.key, &f.values, trials, &f.metric) {
            Ok(s) => {
                self.sweep = Some(s);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        self.drawn = false;
    }

    /// Run the sweep a lesson's step asks for (the form shows it, to change and run again).
    pub fn start(&mut self, model: &Playground, step: &StepSweep) {
        self.form = Form {
            key: step.key.clone(),
            values: step.values.clone(),
            trials: step.trials.to_string(),
            metric: step.metric.clone(),
        };
        self.run(model);
        self.from_step = true;
    }

    /// Another lesson step opened: a step's sweep goes (the learner's own stays).
    pub fn end_step_sweep(&mut self) {
        if std::mem::take(&mut self.from_step) {
            self.sweep = None;
        }
    }

    /// Run the sweep for a slice of this frame; true when it moved.
    pub fn frame(&mut self, clock: &dyn Fn() -> f64) -> bool {
        let Some(s) = self.sweep.as_mut().filter(|s| !s.batch.finished()) else { return false };
        s.work(WORK_BUDGET_MS, clock);
        self.drawn = false;
        true
    }

    /// Draw the chart if the sweep moved (or `again`: its canvas may have just appeared).
    pub fn draw(&mut self, dark: bool, again: bool) {
        if self.drawn && !again {
            return;
        }
        self.drawn = true;
        if let (Some(s), Some(c)) = (&self.sweep, self.canvas.cast::<HtmlCanvasElement>()) {
            let dpr = fit(&c) * super::graph::text_scale();
            let (xs, numeric) = s.xs();
            let a = s.summaries_a();
            draw_sweep(&c, dpr, &s.key, s.metric(), &s.values, &xs, numeric, &s.summaries(), a.as_deref(), dark);
        }
    }

    /// The chart, among the charts under the stage.
    pub fn view_chart(&self) -> Html {
        html! {
            if self.sweep.is_some() {
                <canvas ref={self.canvas.clone()} data-testid="chart-sweep" class="chart" role="img"
                    aria-label={self.sweep.as_ref().map_or(String::new(), |s| format!(
                        "Sweep of {}: mean and 95% interval of {} at {}{}", s.key, s.metric(), s.values.join(", "),
                        if s.compared { ", variant B orange and A violet" } else { "" }))}></canvas>
            }
        }
    }

    /// The form, its progress and its export.
    pub fn view(&self, cb: &Callback<SweepMsg>) -> Html {
        let f = &self.form;
        let on = |m: fn(String) -> SweepMsg| cb.reform(move |e: Event| m(input_value(&e)));
        let running = self.sweep.as_ref().map(|s| s.batch.progress()).filter(|(d, a)| d < a);
        html! {
            <details class="sweep" data-testid="sweep">
                <summary>{ "Sweep a parameter" }</summary>
                <p class="hint">{ "Run the current scenario at each value, several seeds each, and plot the mean with its 95% interval (A and B side by side when comparing). The CSV matches gossip-lab sweep." }</p>
                <div class="params">
                    <div class="param"><label for="sweep-key">{ "Parameter" }</label>
                        <select id="sweep-key" data-testid="sweep-key" onchange={on(SweepMsg::Key)}>
                            { for PARAMS.iter().filter(|p| !matches!(p.kind, Kind::Schedule | Kind::Edges | Kind::Matrix) && p.key != "seed" && p.key != "trials").map(|p| html! {
                                <option value={p.key} selected={p.key == f.key}>{ p.key }</option>
                            }) }
                        </select></div>
                    <div class="param"><label for="sweep-values">{ "Values" }</label>
                        <input id="sweep-values" data-testid="sweep-values" type="text" spellcheck="false" placeholder="1..8:1 or a,b,c" value={f.values.clone()} onchange={on(SweepMsg::Values)} /></div>
                    <div class="param"><label for="sweep-trials">{ "Runs per value" }</label>
                        <input id="sweep-trials" data-testid="sweep-trials" type="number" min="1" max={crate::sweep::PAGE_SWEEP_TRIALS_MAX.to_string()} value={f.trials.clone()} onchange={on(SweepMsg::Trials)} /></div>
                    <div class="param"><label for="sweep-metric">{ "Metric" }</label>
                        <select id="sweep-metric" data-testid="sweep-metric" onchange={on(SweepMsg::Metric)}>
                            { for self.metric_names.iter().map(|m| html! { <option value={m.clone()} selected={*m == f.metric}>{ m.clone() }</option> }) }
                        </select></div>
                </div>
                <div class="row">
                    <button class="primary" data-testid="sweep-run" disabled={running.is_some()} onclick={cb.reform(|_| SweepMsg::Run)}>{ "Run the sweep" }</button>
                    if self.sweep.is_some() {
                        <button data-testid="sweep-cancel" onclick={cb.reform(|_| SweepMsg::Cancel)}>{ if running.is_some() { "Stop" } else { "Clear" } }</button>
                        <button data-testid="sweep-csv" disabled={running.is_some()} onclick={cb.reform(|_| SweepMsg::Csv)}>{ "Export CSV" }</button>
                    }
                </div>
                if let Some((d, a)) = running {
                    <p class="running" data-testid="sweep-running">{ format!("{d} of {a} runs…") }<progress max={a.to_string()} value={d.to_string()} /></p>
                }
                if let Some(e) = &self.error { <p class="fails" role="alert" data-testid="sweep-error">{ e }</p> }
            </details>
        }
    }
}

/// A range to sweep for a parameter, around its current value and within its bounds.
fn suggest_values(s: &Scenario, key: &str) -> String {
    let Some(p) = crate::scenario::spec(key) else { return String::new() };
    match p.kind {
        Kind::Int { min, max } => {
            let v: u64 = s.get(key).and_then(|v| v.parse().ok()).unwrap_or(min);
            let lo = v.saturating_sub(v / 2 + 2).max(min);
            let step = (v / 4).max(1);
            let hi = (lo + step * 7).min(max);
            format!("{lo}..{hi}:{step}")
        }
        Kind::Float { min, max } if max <= 1.0 && min >= 0.0 => "0..0.5:0.1".into(),
        Kind::Float { min, max } => {
            let v: f64 = s.get(key).and_then(|v| v.parse().ok()).unwrap_or(min);
            let hi = (v * 2.0).min(max).max(min + 1.0);
            let lo = (v / 2.0).max(min);
            format!("{lo}..{hi}:{}", crate::lessons::plain(((hi - lo) / 5.0).max(1e-9)))
        }
        Kind::Choice(words) => words.join(","),
        Kind::Schedule | Kind::Edges | Kind::Matrix => String::new(),
    }
}
