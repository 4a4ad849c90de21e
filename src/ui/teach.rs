//! The page's lessons and sweeps: the lesson picker and panel, the sweep form,
//! and their messages. A child of `app`, so it works on the `App` directly.

use wasm_bindgen::JsCast;
use yew::html::Scope;
use yew::prelude::*;

use super::{download_text, input_value, window, App, Msg};
use crate::lessons::{render, CheckKind, Lesson, Md, BUILT_IN, LOOK_VIEWS};
use crate::scenario::{Kind, PARAMS};
use crate::sweep::Sweep;
use crate::ui::classroom::{read_saved, score, write_saved, Classroom, Saved, Source};

/// Local storage key of the learner's progress in every lesson.
const STORAGE_KEY: &str = "gossip-lab:lessons";

/// Wall time per frame for a lesson's check and for a sweep, beside the playground's own budget.
pub const WORK_BUDGET_MS: f64 = 6.0;

/// What the sweep form holds before a sweep starts.
pub struct SweepForm {
    pub key: String,
    pub values: String,
    pub trials: String,
    pub metric: String,
}

impl Default for SweepForm {
    fn default() -> Self {
        SweepForm { key: "fanout".into(), values: "1..6:1".into(), trials: "10".into(), metric: "t100".into() }
    }
}

pub enum TeachMsg {
    TogglePicker,
    Open(usize),
    Close,
    Go(usize),
    Answer(String),
    Check,
    Hint,
    /// A `#...` link in a lesson: open that scenario in the playground.
    Link(String),
    UrlDraft(String),
    LoadUrl,
    Loaded(String, Result<String, String>),
    /// The built-in lessons arrived and were installed, or could not be.
    BuiltIn(Result<(), String>),
    PasteDraft(String),
    LoadPasted,
    SweepKey(String),
    SweepValues(String),
    SweepTrials(String),
    SweepMetric(String),
    SweepRun,
    SweepCancel,
    SweepCsv,
    /// Scroll to a view the step asks the learner to watch.
    Look(&'static str),
    /// A presentation key: PageDown / n, PageUp / p, Home, End.
    Move(StepMove),
    /// Presenter mode on or off: full screen, large type, graph, chart and the step.
    Present,
    /// Escape: out of presenter mode (if in it).
    LeavePresenter,
}

/// A new step (or presenter mode) starts reading from its title.
fn scroll_lesson_to_top() {
    if let Some(el) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(".lesson").ok().flatten())
    {
        el.set_scroll_top(0);
    }
}

/// Where a presentation key goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepMove {
    Next,
    Back,
    First,
    Last,
}

/// Where each `look:` view is on the page (see `LOOK_VIEWS`); the outline comes from the
/// `look-VIEW` classes on the page's main element (`www/style.css`).
fn look_selector(view: &str) -> &'static str {
    match view {
        "graph" => "canvas.graph",
        "stats" => ".stats",
        "coverage" => "[data-testid=chart-coverage]",
        "messages" => "[data-testid=chart-messages]",
        "bytes" => "[data-testid=chart-bytes]",
        "protocol" => "[data-testid=chart-protocol]",
        "detections" => "[data-testid=chart-detections]",
        _ => "[data-testid=compare-table]",
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn load_saved() -> Saved {
    read_saved(storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).as_deref())
}

/// The text of the file at `url`. The request starts at the call, not at the
/// first poll, so several can be under way at once.
fn fetch_text(url: &str) -> impl std::future::Future<Output = Result<String, String>> {
    let request = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url));
    async move { read_text(request).await }
}

async fn read_text(request: wasm_bindgen_futures::JsFuture) -> Result<String, String> {
    let resp = request.await.map_err(|_| {
        "the address could not be reached (is it online, and does its server let other sites read it, CORS?)"
            .to_string()
    })?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "no response".to_string())?;
    if !resp.ok() {
        return Err(format!("the server answered {} {}", resp.status(), resp.status_text()));
    }
    let text = resp.text().map_err(|_| "no text".to_string())?;
    let text =
        wasm_bindgen_futures::JsFuture::from(text).await.map_err(|_| "the body could not be read".to_string())?;
    text.as_string().ok_or_else(|| "the file is not text".to_string())
}

/// Fetch a lesson file; the answer comes back as `TeachMsg::Loaded`.
fn fetch_lesson(link: Scope<App>, url: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let result = fetch_text(&url).await;
        link.send_message(Msg::Teach(TeachMsg::Loaded(url, result)));
    });
}

/// Fetch the built-in lessons from `lessons/` beside the page (they are not
/// compiled in, to keep the page light); they come back as `TeachMsg::BuiltIn`.
pub(super) fn fetch_built_in(link: Scope<App>) {
    // All ten requests go out at once; their answers are read in course order.
    let requests: Vec<_> = BUILT_IN.iter().map(|(_, file)| (file, fetch_text(&format!("lessons/{file}")))).collect();
    wasm_bindgen_futures::spawn_local(async move {
        let mut texts = Vec::with_capacity(BUILT_IN.len());
        let mut result = Ok(());
        for (file, request) in requests {
            match request.await {
                Ok(t) => texts.push(t),
                Err(e) => {
                    result = Err(format!("lessons/{file}: {e}"));
                    break;
                }
            }
        }
        link.send_message(Msg::Teach(TeachMsg::BuiltIn(result.and_then(|()| Lesson::install_built_in(&texts)))));
    });
}

impl App {
    /// Open a lesson at `step` (0-based), loading that step's scenario unless `keep_scenario`.
    pub(super) fn open_lesson(&mut self, lesson: Lesson, source: Source, step: Option<usize>, keep_scenario: bool) {
        let saved = self.saved.get(&lesson.id).cloned();
        let mut c = Classroom::open(lesson, source, saved.as_ref());
        if let Some(s) = step {
            c.go(s);
        }
        if !keep_scenario {
            if let Some(f) = c.scenario() {
                let f = f.to_string();
                self.open(&f);
            }
        }
        self.classroom = Some(c);
        self.picker = false;
        self.save_progress();
    }

    /// Open a lesson named by a link at its step: what the link got wrong (its
    /// settings, a step past the end) stays in the banner, though opening the
    /// step replaces the model.
    pub(super) fn open_linked_lesson(&mut self, lesson: Lesson, source: Source, step: Option<usize>, keep: bool) {
        let bad_step = step
            .filter(|s| *s >= lesson.steps.len())
            .map(|s| format!("step: '{}' is not allowed; allowed 1 to {}", s + 1, lesson.steps.len()));
        let earlier = std::mem::take(&mut self.model.errors);
        self.open_lesson(lesson, source, step, keep);
        self.model.errors.splice(0..0, earlier);
        self.model.errors.extend(bad_step);
    }

    fn save_progress(&mut self) {
        if let Some(c) = &self.classroom {
            // A teacher's file that reuses a built-in lesson's id must not overwrite its progress.
            let collides = c.source != Source::BuiltIn && BUILT_IN.iter().any(|(id, _)| *id == c.lesson.id);
            if !collides {
                self.saved.insert(c.lesson.id.clone(), c.progress());
            }
            if let Some(s) = storage() {
                let _ = s.set_item(STORAGE_KEY, &write_saved(&self.saved));
            }
        }
    }

    /// `look-VIEW` classes for the views the open step asks the learner to watch.
    pub(super) fn look_classes(&self) -> String {
        self.classroom
            .as_ref()
            .map(|c| c.lesson.steps[c.step].look.iter().map(|v| format!("look-{v}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// Work the lesson's check and the sweep for a slice of this frame; true when either moved.
    pub(super) fn teach_frame(&mut self, clock: &dyn Fn() -> f64) -> bool {
        let mut changed = false;
        if let Some(c) = &mut self.classroom {
            let before = c.passed.len();
            if c.work(WORK_BUDGET_MS, clock) {
                changed = true;
                if c.passed.len() != before || c.verdict.is_some() {
                    self.save_progress();
                }
            }
        }
        if let Some(s) = &mut self.sweep {
            if !s.batch.finished() {
                s.work(WORK_BUDGET_MS, clock);
                changed = true;
                self.sweep_drawn = false;
            }
        }
        changed
    }

    pub(super) fn teach_update(&mut self, ctx: &Context<Self>, msg: TeachMsg) -> bool {
        match msg {
            TeachMsg::TogglePicker => self.picker = !self.picker,
            TeachMsg::Open(i) => {
                let Some(lesson) = Lesson::all().get(i).cloned() else { return false };
                self.open_lesson(lesson, Source::BuiltIn, None, false);
                self.write_url();
            }
            TeachMsg::Close => {
                self.classroom = None;
                self.write_url();
            }
            TeachMsg::Move(m) => {
                let Some(c) = &self.classroom else { return false };
                let (here, last) = (c.step, c.lesson.steps.len() - 1);
                let to = match m {
                    StepMove::Next => (here + 1).min(last),
                    StepMove::Back => here.saturating_sub(1),
                    StepMove::First => 0,
                    StepMove::Last => last,
                };
                if to == here {
                    return false;
                }
                return self.teach_update(ctx, TeachMsg::Go(to));
            }
            TeachMsg::LeavePresenter => {
                if !self.presenting {
                    return false;
                }
                return self.teach_update(ctx, TeachMsg::Present);
            }
            TeachMsg::Present => {
                self.presenting = !self.presenting && self.classroom.is_some();
                if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                    if self.presenting {
                        if let Some(el) = doc.document_element() {
                            let _ = el.request_fullscreen();
                        }
                    } else if doc.fullscreen_element().is_some() {
                        doc.exit_fullscreen();
                    }
                }
                self.drawn = u64::MAX;
                scroll_lesson_to_top();
            }
            TeachMsg::Go(step) => {
                scroll_lesson_to_top();
                if let Some(c) = &mut self.classroom {
                    c.go(step);
                    let f = c.scenario().map(str::to_string);
                    if let Some(f) = f {
                        self.open(&f);
                    }
                    self.save_progress();
                    self.write_url();
                }
            }
            TeachMsg::Answer(a) => {
                if let Some(c) = &mut self.classroom {
                    c.answer = a;
                }
                return false;
            }
            TeachMsg::Check => {
                if let Some(c) = &mut self.classroom {
                    c.check();
                }
                self.save_progress();
            }
            TeachMsg::Hint => {
                if let Some(c) = &mut self.classroom {
                    c.show_hint = !c.show_hint;
                }
            }
            TeachMsg::Link(fragment) => {
                self.open(&fragment);
                self.write_url();
            }
            TeachMsg::UrlDraft(u) => {
                self.lesson_url = u;
                return false;
            }
            TeachMsg::LoadUrl => {
                let url = self.lesson_url.trim().to_string();
                let lower = url.to_ascii_lowercase();
                let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains('/'));
                if url.is_empty() {
                    self.lesson_error = Some("lesson_url: give the address of a lesson file (Markdown)".into());
                } else if scheme.is_some_and(|s| s != "http" && s != "https") {
                    self.lesson_error = Some(format!(
                        "lesson_url: '{url}' is not allowed; allowed an http(s) address or a path beside this page (lessons/01-why-gossip.md)"
                    ));
                    self.picker = true;
                } else {
                    self.lesson_error = Some(format!("loading {url}…"));
                    fetch_lesson(ctx.link().clone(), url);
                }
            }
            TeachMsg::BuiltIn(result) => {
                let waiting = self.pending_lesson.take();
                match result {
                    Ok(()) => {
                        if let Some((id, step, keep)) = &waiting {
                            self.open_built_in(id, *step, *keep);
                        }
                    }
                    Err(e) => {
                        let e = format!("lessons: the built-in lessons could not be loaded: {e}");
                        if waiting.is_some() {
                            self.model.errors.push(e.clone());
                        }
                        self.lesson_error = Some(e);
                    }
                }
                // Only the open list and a waiting link show the lessons. Any other render
                // now would put back the value of a setting the user is typing.
                return self.picker || waiting.is_some();
            }
            TeachMsg::Loaded(url, result) => {
                self.lesson_error = None;
                let stem = url.rsplit('/').next().unwrap_or("lesson").trim_end_matches(".md").to_string();
                let stem: String =
                    stem.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                match result.and_then(|text| Lesson::parse(&text, if stem.is_empty() { "lesson" } else { &stem })) {
                    Ok(lesson) => {
                        let step = self.pending_step.take();
                        let keep = std::mem::take(&mut self.keep_scenario);
                        self.open_linked_lesson(lesson, Source::Url(url), step, keep);
                        self.write_url();
                    }
                    Err(e) => {
                        self.lesson_error = Some(format!("lesson_url: could not load '{url}': {e}"));
                        self.picker = true;
                    }
                }
            }
            TeachMsg::PasteDraft(t) => {
                self.pasted = t;
                return false;
            }
            TeachMsg::LoadPasted => match Lesson::parse(&self.pasted, "pasted") {
                Ok(lesson) => {
                    self.lesson_error = None;
                    self.open_lesson(lesson, Source::Pasted, None, false);
                    self.write_url();
                }
                Err(e) => self.lesson_error = Some(format!("pasted lesson: {e}")),
            },
            TeachMsg::SweepKey(k) => {
                self.sweep_form.values = suggest_values(&self.model.scenario, &k);
                self.sweep_form.key = k;
            }
            TeachMsg::SweepValues(v) => self.sweep_form.values = v,
            TeachMsg::SweepTrials(t) => self.sweep_form.trials = t,
            TeachMsg::SweepMetric(m) => {
                self.sweep_form.metric = m;
                if let Some(s) = &mut self.sweep {
                    s.set_metric(&self.sweep_form.metric); // re-plot the runs already made
                    self.sweep_drawn = false;
                }
            }
            TeachMsg::SweepRun => {
                let f = &self.sweep_form;
                let trials = f.trials.trim().parse::<u32>().unwrap_or(0);
                match Sweep::new(&self.model.scenario, &f.key, &f.values, trials, &f.metric) {
                    Ok(s) => {
                        self.sweep = Some(s);
                        self.sweep_error = None;
                    }
                    Err(e) => self.sweep_error = Some(e),
                }
                self.sweep_drawn = false;
            }
            TeachMsg::SweepCancel => {
                self.sweep = None;
                self.sweep_error = None;
            }
            TeachMsg::Look(view) => {
                if let Some(el) = window().document().and_then(|d| d.query_selector(look_selector(view)).ok().flatten())
                {
                    el.scroll_into_view();
                }
                return false;
            }
            TeachMsg::SweepCsv => {
                if let Some(s) = &self.sweep {
                    download_text(&format!("gossip-lab-sweep-{}.csv", s.key), "text/csv", &s.csv());
                }
                return false;
            }
        }
        true
    }

    /// The lesson picker: built-in lessons with progress, and a teacher's own file.
    pub(super) fn view_picker(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_url = link.callback(|e: Event| Msg::Teach(TeachMsg::UrlDraft(input_value(&e))));
        let on_paste = link.callback(|e: Event| Msg::Teach(TeachMsg::PasteDraft(input_value(&e))));
        html! {
            <section class="picker" data-testid="lesson-picker" aria-label="Lessons">
                <h2>{ "Lessons" }</h2>
                if Lesson::all().is_empty() && self.lesson_error.is_none() {
                    <p class="hint" data-testid="lessons-loading">{ "Loading the lessons…" }</p>
                }
                <ol class="lesson-list">
                    { for Lesson::all().iter().enumerate().map(|(i, l)| {
                        let id = l.id.as_str();
                        let (done, all) = self.saved.get(id).map_or((0, 0), |p| score(l, p));
                        html! {
                            <li>
                                <button class="link" data-testid={format!("lesson-open-{id}")} onclick={link.callback(move |_| Msg::Teach(TeachMsg::Open(i)))}>{ l.title.clone() }</button>
                                if all > 0 && done > 0 { <span class="done">{ format!(" ✓ {done} of {all}") }</span> }
                                <br /><small>{ l.summary.clone() }</small>
                            </li>
                        }
                    }) }
                </ol>
                <details>
                    <summary>{ "Bring your own lesson" }</summary>
                    <p class="hint">{ "A lesson is a Markdown file: see the built-in ones in lessons/ beside this page. A link can open one with #lesson_url=ADDRESS." }</p>
                    <div class="row">
                        <input type="url" data-testid="lesson-url" placeholder="https://…/my-lesson.md" value={self.lesson_url.clone()} onchange={on_url} aria-label="Lesson file address" />
                        <button data-testid="lesson-url-load" onclick={link.callback(|_| Msg::Teach(TeachMsg::LoadUrl))}>{ "Load" }</button>
                    </div>
                    <textarea data-testid="lesson-paste" rows="5" placeholder="---&#10;title: My lesson&#10;---&#10;## First step&#10;…" value={self.pasted.clone()} onchange={on_paste} aria-label="Paste a lesson file" />
                    <button data-testid="lesson-paste-load" onclick={link.callback(|_| Msg::Teach(TeachMsg::LoadPasted))}>{ "Open the pasted lesson" }</button>
                </details>
                if let Some(e) = &self.lesson_error {
                    <p class="lesson-error" role="alert" data-testid="lesson-error">{ e }</p>
                }
            </section>
        }
    }

    /// The open lesson: its step's text, the check, and back / next.
    pub(super) fn view_lesson(&self, ctx: &Context<Self>, c: &Classroom) -> Html {
        let link = ctx.link();
        let step = &c.lesson.steps[c.step];
        let n = c.lesson.steps.len();
        let (done, all) = c.score();
        let here = c.step;
        html! {
            <section class="lesson" data-testid="lesson" aria-label="Lesson">
                <div class="lesson-head">
                    <strong>{ c.lesson.title.clone() }</strong>
                    <span class="muted" data-testid="lesson-progress">{ format!("step {} of {n} · {done} of {all} checks passed", here + 1) }</span>
                    <button class="link" data-testid="lesson-close" onclick={link.callback(|_| Msg::Teach(TeachMsg::Close))}>{ "Close" }</button>
                </div>
                <h3 data-testid="lesson-step-title">{ step.title.clone() }</h3>
                <div class="lesson-body">{ md_html(&render(&step.body), link) }</div>
                if !step.look.is_empty() {
                    <p class="look" data-testid="lesson-look">{ "Watch " }
                        { for step.look.iter().map(|v| {
                            let view: &'static str = v;
                            let label = LOOK_VIEWS.iter().find(|l| l.0 == view).map_or(view, |l| l.1);
                            html! { <button class="chip" onclick={link.callback(move |_| Msg::Teach(TeachMsg::Look(view)))}>{ label }</button> }
                        }) }
                    </p>
                }
                if step.scenario.is_some() {
                    <button class="link" data-testid="lesson-reload" onclick={link.callback(move |_| Msg::Teach(TeachMsg::Go(here)))}>{ "Load this step's scenario again" }</button>
                }
                if let Some(check) = &step.check { { self.view_check(ctx, c, check) } }
                if self.presenting && !step.notes.trim().is_empty() {
                    <details class="notes" data-testid="lesson-notes">
                        <summary>{ "Presenter notes" }</summary>
                        <div>{ md_html(&render(&step.notes), link) }</div>
                    </details>
                }
                <nav class="lesson-nav">
                    <button data-testid="lesson-back" disabled={here == 0} title="Page Up, p" onclick={link.callback(|_| Msg::Teach(TeachMsg::Move(StepMove::Back)))}>{ "← Back" }</button>
                    <button data-testid="present" aria-pressed={self.presenting.to_string()} onclick={link.callback(|_| Msg::Teach(TeachMsg::Present))}
                        title="Full screen and large type, the graph, the chart and this step; Page Down / Page Up (a clicker), n / p, Home / End move between steps; Escape leaves">
                        { if self.presenting { "Leave presenter mode" } else { "Present" } }</button>
                    <button data-testid="lesson-next" class="primary" disabled={here + 1 >= n} title="Page Down, n" onclick={link.callback(|_| Msg::Teach(TeachMsg::Move(StepMove::Next)))}>{ "Next →" }</button>
                </nav>
            </section>
        }
    }

    fn view_check(&self, ctx: &Context<Self>, c: &Classroom, check: &crate::lessons::Check) -> Html {
        let link = ctx.link();
        let on_answer = link.callback(|e: Event| Msg::Teach(TeachMsg::Answer(input_value(&e))));
        let running = c.running();
        let input = match &check.kind {
            CheckKind::Choice { options, .. } => html! {
                <div class="options" role="radiogroup" aria-label={check.question.clone()}>
                    { for options.iter().enumerate().map(|(i, o)| {
                        let v = (i + 1).to_string();
                        let cb = link.callback(move |_| Msg::Teach(TeachMsg::Answer(v.clone())));
                        html! {
                            <label><input type="radio" name={format!("check-{}", c.step)} data-testid={format!("lesson-option-{}", i + 1)}
                                checked={c.answer == (i + 1).to_string()} onchange={cb} />{ format!(" {o}") }</label>
                        }
                    }) }
                </div>
            },
            CheckKind::Estimate { .. } => html! {
                <input type="text" inputmode="decimal" data-testid="lesson-answer" aria-label="Your answer" placeholder="a number"
                    value={c.answer.clone()} onchange={on_answer} />
            },
            CheckKind::Find { param, .. } => html! {
                <label>{ format!("{param} = ") }
                    <input type="text" inputmode="decimal" data-testid="lesson-answer" aria-label={format!("Your value of {param}")}
                        value={c.answer.clone()} onchange={on_answer} />
                </label>
            },
        };
        html! {
            <div class="check" data-testid="lesson-check">
                <p class="question">{ check.question.clone() }</p>
                { input }
                <div class="row">
                    <button class="primary" data-testid="lesson-check-run" disabled={running.is_some()} onclick={link.callback(|_| Msg::Teach(TeachMsg::Check))}>
                        { if matches!(check.kind, CheckKind::Choice { .. }) { "Check" } else { "Check by running it" } }
                    </button>
                    if !check.hint.is_empty() {
                        <button class="link" onclick={link.callback(|_| Msg::Teach(TeachMsg::Hint))}>{ if c.show_hint { "Hide the hint" } else { "Hint" } }</button>
                    }
                    if c.passed.contains(&c.step) && c.verdict.is_none() { <span class="holds">{ "✓ passed before" }</span> }
                </div>
                if c.show_hint { <p class="hint">{ check.hint.clone() }</p> }
                if let Some((done, all)) = running {
                    <p class="running" data-testid="lesson-running">{ format!("running the simulator: {done} of {all} runs…") }
                        <progress max={all.to_string()} value={done.to_string()} /></p>
                }
                if let Some(e) = &c.error { <p class="fails" role="alert" data-testid="lesson-answer-error">{ e }</p> }
                if let Some(v) = &c.verdict {
                    <div class={classes!("verdict", if v.pass { "holds" } else { "fails" })} data-testid="lesson-verdict" data-pass={v.pass.to_string()}>
                        <strong>{ if v.pass { "Right." } else { "Not quite." } }</strong>
                        <ul>{ for v.evidence.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
                        if !check.explain.is_empty() && (v.pass || !matches!(check.kind, CheckKind::Choice { .. })) {
                            <p class="explain">{ check.explain.clone() }</p>
                        }
                    </div>
                }
            </div>
        }
    }

    /// The sweep form, its progress and its export (the chart is drawn in the stage).
    pub(super) fn view_sweep(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let f = &self.sweep_form;
        let on_key = link.callback(|e: Event| Msg::Teach(TeachMsg::SweepKey(input_value(&e))));
        let on_values = link.callback(|e: Event| Msg::Teach(TeachMsg::SweepValues(input_value(&e))));
        let on_trials = link.callback(|e: Event| Msg::Teach(TeachMsg::SweepTrials(input_value(&e))));
        let on_metric = link.callback(|e: Event| Msg::Teach(TeachMsg::SweepMetric(input_value(&e))));
        let running = self.sweep.as_ref().map(|s| s.batch.progress()).filter(|(d, a)| d < a);
        html! {
            <details class="sweep" data-testid="sweep">
                <summary>{ "Sweep a parameter" }</summary>
                <p class="hint">{ "Run the current scenario at each value, several seeds each, and plot the mean with its 95% interval. The CSV matches gossip-lab sweep." }</p>
                <div class="params">
                    <div class="param"><label for="sweep-key">{ "Parameter" }</label>
                        <select id="sweep-key" data-testid="sweep-key" onchange={on_key}>
                            { for PARAMS.iter().filter(|p| !matches!(p.kind, Kind::Schedule) && p.key != "seed" && p.key != "trials").map(|p| html! {
                                <option value={p.key} selected={p.key == f.key}>{ p.key }</option>
                            }) }
                        </select></div>
                    <div class="param"><label for="sweep-values">{ "Values" }</label>
                        <input id="sweep-values" data-testid="sweep-values" type="text" spellcheck="false" placeholder="1..8:1 or a,b,c" value={f.values.clone()} onchange={on_values} /></div>
                    <div class="param"><label for="sweep-trials">{ "Runs per value" }</label>
                        <input id="sweep-trials" data-testid="sweep-trials" type="number" min="1" max={crate::sweep::PAGE_SWEEP_TRIALS_MAX.to_string()} value={f.trials.clone()} onchange={on_trials} /></div>
                    <div class="param"><label for="sweep-metric">{ "Metric" }</label>
                        <select id="sweep-metric" data-testid="sweep-metric" onchange={on_metric}>
                            { for self.metric_names.iter().map(|m| html! { <option value={m.clone()} selected={*m == f.metric}>{ m.clone() }</option> }) }
                        </select></div>
                </div>
                <div class="row">
                    <button class="primary" data-testid="sweep-run" disabled={running.is_some()} onclick={link.callback(|_| Msg::Teach(TeachMsg::SweepRun))}>{ "Run the sweep" }</button>
                    if self.sweep.is_some() {
                        <button data-testid="sweep-cancel" onclick={link.callback(|_| Msg::Teach(TeachMsg::SweepCancel))}>{ if running.is_some() { "Stop" } else { "Clear" } }</button>
                        <button data-testid="sweep-csv" disabled={running.is_some()} onclick={link.callback(|_| Msg::Teach(TeachMsg::SweepCsv))}>{ "Export CSV" }</button>
                    }
                </div>
                if let Some((d, a)) = running {
                    <p class="running" data-testid="sweep-running">{ format!("{d} of {a} runs…") }<progress max={a.to_string()} value={d.to_string()} /></p>
                }
                if let Some(e) = &self.sweep_error { <p class="fails" role="alert" data-testid="sweep-error">{ e }</p> }
            </details>
        }
    }
}

/// A range to sweep for a parameter, around its current value and within its bounds.
fn suggest_values(s: &crate::Scenario, key: &str) -> String {
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
        Kind::Schedule => String::new(),
    }
}

/// The allowed Markdown tree as Html. `#` links open a scenario in the playground.
fn md_html(nodes: &[Md], link: &Scope<App>) -> Html {
    nodes
        .iter()
        .map(|n| match n {
            Md::Text(t) => html! { { t.clone() } },
            Md::El { tag: "a", href: Some(h), children } if h.starts_with('#') => {
                let frag = h.trim_start_matches('#').to_string();
                let cb = link.callback(move |e: MouseEvent| {
                    e.prevent_default();
                    Msg::Teach(TeachMsg::Link(frag.clone()))
                });
                html! { <a href={h.clone()} onclick={cb} data-testid="lesson-link">{ md_html(children, link) }</a> }
            }
            Md::El { tag: "a", href: Some(h), children } => {
                html! { <a href={h.clone()} target="_blank" rel="noopener noreferrer">{ md_html(children, link) }</a> }
            }
            Md::El { tag, children, .. } => {
                html! { <@{tag.to_string()}>{ md_html(children, link) }</@> }
            }
        })
        .collect()
}
