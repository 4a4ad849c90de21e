//! "Check the claims": each figure quoted about gossip with a button that runs
//! its scenario, and the papers' bench (`bench`), each experiment run over its
//! seeds in the page.

use yew::prelude::*;

use super::bench::BenchPanel;
use super::effect::{Effect, WORK_BUDGET_MS};
use super::model::{Playground, Speed, CLAIMS};
use crate::papers::Verdict;
use crate::scenario::Scenario;

pub enum ClaimsMsg {
    /// Run a claim's scenario to the end and show what it measures.
    Claim(usize),
    /// Run the papers' experiment `i` over its seeds.
    BenchRun(usize),
    /// Open the papers' experiment `i` in the playground, to watch one run.
    BenchOpen(usize),
}

pub struct Claims {
    /// The claim being checked, and each claim's last measurement and verdict.
    running: Option<usize>,
    results: Vec<Option<(f64, bool)>>,
    bench: BenchPanel,
}

impl Default for Claims {
    fn default() -> Self {
        Claims { running: None, results: vec![None; CLAIMS.len()], bench: BenchPanel::default() }
    }
}

impl Claims {
    pub fn update(&mut self, model: &mut Playground, msg: ClaimsMsg) -> Effect {
        match msg {
            ClaimsMsg::Claim(i) => {
                let Some(c) = CLAIMS.get(i) else { return Effect::Quiet };
                model.reopen(c.fragment);
                model.speed = Speed::Max;
                model.play();
                self.running = Some(i);
            }
            ClaimsMsg::BenchRun(i) => {
                if let Err(e) = self.bench.start(i) {
                    model.errors.push(e);
                }
                return Effect::Render;
            }
            ClaimsMsg::BenchOpen(i) => {
                let Some(e) = self.bench.experiments.get(i) else { return Effect::Quiet };
                model.reopen(&e.fragment);
            }
        }
        Effect::Record
    }

    /// Run the bench's trials for a slice of this frame, and measure a claim
    /// whose run has ended; true when either changed what is shown.
    pub fn frame(&mut self, model: &Playground, clock: &dyn Fn() -> f64) -> bool {
        let mut changed = self.bench.work(WORK_BUDGET_MS, clock);
        // Not only on a change of version: two claims may share a run and end on the same one.
        if let (Some(i), true) = (self.running, model.sim().finished()) {
            // Only the claim's own run counts: a setting changed meanwhile voids it.
            if Scenario::from_fragment(CLAIMS[i].fragment).0 == model.scenario {
                let m = model.sim().metrics();
                self.results[i] = (CLAIMS[i].value)(&m).map(|v| (v, (CLAIMS[i].holds)(v)));
            }
            self.running = None;
            changed = true;
        }
        changed
    }

    pub fn view(&self, cb: &Callback<ClaimsMsg>) -> Html {
        html! {
            <details class="claims" data-testid="claims">
                <summary>{ "Check the claims" }</summary>
                <ol>
                    { for CLAIMS.iter().enumerate().map(|(i, c)| {
                        let result = match (self.results[i], self.running == Some(i)) {
                            (_, true) => html! { <span class="running">{ "running…" }</span> },
                            (Some((v, ok)), _) => html! {
                                <span class={classes!("verdict", if ok { "holds" } else { "fails" })}>
                                    { format!("measured {}: {} — {}", c.measure, fmt_measured(v), if ok { "the claim holds" } else { "the claim does not hold" }) }
                                </span>
                            },
                            (None, _) => html! {},
                        };
                        html! {
                            <li>
                                <p>{ c.claim }<br /><small>{ c.source }</small></p>
                                <button data-testid={format!("claim-run-{i}")} onclick={cb.reform(move |_| ClaimsMsg::Claim(i))}>{ "Run it" }</button>
                                <span data-testid={format!("claim-result-{i}")}>{ result }</span>
                            </li>
                        }
                    }) }
                </ol>
                { self.view_bench(cb) }
            </details>
        }
    }

    /// The papers' numbers, each experiment with a button that runs its seeds and
    /// one that opens its scenario; the rows show paper, measured and verdict.
    fn view_bench(&self, cb: &Callback<ClaimsMsg>) -> Html {
        let running = self.bench.running();
        html! {
            <section class="bench" data-testid="bench" aria-labelledby="bench-title">
                <h3 id="bench-title">{ "The papers, reproduced" }</h3>
                <p class="hint">{ "Each runs the paper's setting over fixed seeds, as " }<code>{ "gossip-lab reproduce" }</code>
                    { " does: the paper's number beside the measured mean and its 95% interval." }</p>
                <ul>
                { for self.bench.experiments.iter().enumerate().map(|(i, e)| {
                    let busy = running.filter(|r| r.0 == i);
                    let rows = match (&self.bench.results[i], busy) {
                        (_, Some((_, done, total))) => html! { <p class="running">{ format!("running… {done} of {total} seeds") }</p> },
                        (Some(rows), None) => html! {
                            <table class="bench-rows">
                                <thead><tr><th scope="col">{ "measure" }</th><th scope="col">{ "paper" }</th><th scope="col">{ "measured" }</th><th scope="col">{ "verdict" }</th></tr></thead>
                                <tbody>
                                { for rows.iter().map(|r| {
                                    let (word, class) = match (r.verdict, r.known) {
                                        (Verdict::Agrees, _) => ("agrees", "holds"),
                                        (_, Some(_)) => ("differs (known)", "known"),
                                        (Verdict::Differs, None) => ("differs", "fails"),
                                        (Verdict::NoValue, None) => ("no value", "fails"),
                                    };
                                    html! {
                                        <tr title={r.known.unwrap_or_default()}>
                                            <td>{ r.quantity }</td>
                                            <td>{ fmt_measured(r.paper) }</td>
                                            <td>{ r.summary.map_or("–".into(), |s| format!("{} ± {}", fmt_measured(s.mean), fmt_measured(s.ci95))) }</td>
                                            <td class={classes!("verdict", class)}>{ word }</td>
                                        </tr>
                                    }
                                }) }
                                </tbody>
                            </table>
                        },
                        (None, None) => html! {},
                    };
                    html! {
                        <li data-testid={format!("bench-{}", e.id)}>
                            <p>{ format!("{} — {}", e.paper.short(), e.source) }<br /><small>{ e.note }</small></p>
                            <button onclick={cb.reform(move |_| ClaimsMsg::BenchRun(i))} disabled={busy.is_some()}
                                data-testid={format!("bench-run-{}", e.id)}>{ format!("Run {} seeds", e.trials) }</button>
                            <button onclick={cb.reform(move |_| ClaimsMsg::BenchOpen(i))} title={e.fragment.clone()}>{ "Open it" }</button>
                            { rows }
                        </li>
                    }
                }) }
                </ul>
            </section>
        }
    }
}

/// A measured figure with three significant digits.
fn fmt_measured(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}
