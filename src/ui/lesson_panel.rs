//! The lessons: the picker, the open lesson's step beside the graph with its
//! check, the presentation keys and presenter mode, and progress kept in local
//! storage. Lesson files are Markdown (`crate::lessons`); `classroom` runs the checks.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::classroom::{read_saved, score, write_saved, Classroom, Saved, Source};
use super::effect::{fetch_text, window, Effect, WORK_BUDGET_MS};
use super::field::input_value;
use super::model::Playground;
use super::share::Picture;
use crate::lessons::{render, CheckKind, Lesson, Md, StepSweep, BUILT_IN, LOOK_VIEWS};

/// Local storage key of the learner's progress in every lesson.
const STORAGE_KEY: &str = "gossip-lab:lessons";

pub enum LessonMsg {
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
    /// Scroll to a view the step asks the learner to watch.
    Look(&'static str),
    /// A presentation key: PageDown / n, PageUp / p, Home, End.
    Move(StepMove),
    /// Presenter mode on or off: full screen, large type, graph, chart and the step.
    Present,
    /// Escape: out of presenter mode (if in it).
    LeavePresenter,
}

/// Where a presentation key goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepMove {
    Next,
    Back,
    First,
    Last,
}

pub struct Lessons {
    /// The lesson list is open.
    picker: bool,
    classroom: Option<Classroom>,
    /// Presenter mode (a lesson, full screen, large type).
    presenting: bool,
    /// Whether the current verdict has been scrolled into view (see `rendered`).
    verdict_shown: bool,
    /// Whether a lesson is open, for the page's key listener: the presentation keys act only then.
    open_flag: Rc<Cell<bool>>,
    /// Progress in every lesson, as saved in local storage.
    saved: Saved,
    lesson_url: String,
    pasted: String,
    error: Option<String>,
    /// A `lesson_url` link's step and whether its scenario keys win over the step's, until the file arrives.
    pending_step: Option<usize>,
    keep_scenario: bool,
    /// A `lesson=ID` link waiting for the built-in lessons to arrive: id, step, keep the link's scenario.
    pending_lesson: Option<(String, Option<usize>, bool)>,
    /// A step just opened: the sweep it asks for (or none), until the page acts on it.
    sweep: Option<Option<StepSweep>>,
    /// Where the keyboard focus goes after the next render (see `rendered`):
    /// a lesson opened or presenter mode entered reads from the step's title; a
    /// lesson closed or presenter mode left returns to the button that opened it.
    focus: Option<&'static str>,
}

const STEP_TITLE: &str = "[data-testid=lesson-step-title]";
/// The header's Lessons button (`app`), which opens the list.
const LESSONS_BUTTON: &str = "[data-testid=lessons]";

impl Lessons {
    /// `mounted`: a playground in another page keeps no progress.
    pub fn new(mounted: bool) -> Self {
        Lessons {
            picker: false,
            classroom: None,
            presenting: false,
            verdict_shown: false,
            open_flag: Rc::new(Cell::new(false)),
            saved: if mounted { Saved::new() } else { load_saved() },
            lesson_url: String::new(),
            pasted: String::new(),
            error: None,
            pending_step: None,
            keep_scenario: false,
            pending_lesson: None,
            sweep: None,
            focus: None,
        }
    }

    /// True while a lesson is open (for the page's key listener).
    pub fn open_flag(&self) -> Rc<Cell<bool>> {
        self.open_flag.clone()
    }

    pub fn is_open(&self) -> bool {
        self.classroom.is_some()
    }

    pub fn presenting(&self) -> bool {
        self.presenting
    }

    pub fn picker_open(&self) -> bool {
        self.picker
    }

    /// The open lesson's keys for the address bar (`lesson=ID&step=N`).
    pub fn link_keys(&self) -> Option<String> {
        self.classroom.as_ref().and_then(Classroom::link_keys)
    }

    /// A step just opened: the sweep it asks the page to run (`Some(None)`: none).
    pub fn take_sweep(&mut self) -> Option<Option<StepSweep>> {
        self.sweep.take()
    }

    /// Whether the open step charts a sweep (beside the lesson, not under the stage).
    pub fn step_sweeps(&self) -> bool {
        self.classroom.as_ref().is_some_and(|c| c.lesson.steps[c.step].sweep.is_some())
    }

    /// The chart the open step names first (coverage when it names none).
    pub fn named_chart(&self) -> Picture {
        let Some(c) = &self.classroom else { return Picture::Coverage };
        c.lesson.steps[c.step].look.iter().find_map(|v| Picture::of_look(v)).unwrap_or(Picture::Coverage)
    }

    /// `look-VIEW` classes for the views the open step asks the learner to watch.
    pub fn look_classes(&self) -> String {
        self.classroom
            .as_ref()
            .map(|c| c.lesson.steps[c.step].look.iter().map(|v| format!("look-{v}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// `lesson=ID&step=N` or `lesson_url=ADDRESS&step=N` in the link: open that lesson.
    /// The link's own scenario keys win over the step's, so a shared link replays what was shared.
    pub fn open_from_link(&mut self, model: &mut Playground, fragment: &str, reply: &Callback<LessonMsg>) {
        let get = |k: &str| {
            fragment
                .split('&')
                .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .map(crate::scenario::percent_decode)
        };
        let has_scenario = fragment.split('&').any(|kv| {
            let k = kv.split('=').next().unwrap_or("");
            crate::scenario::spec(k).is_some() || k.starts_with("vs.")
        });
        let mut step = None;
        if let Some(s) = get("step") {
            match s.parse::<usize>() {
                Ok(n) if n >= 1 => step = Some(n - 1),
                _ => model.errors.push(format!("step: '{s}' is not allowed; allowed a step number from 1")),
            }
        }
        if let Some(id) = get("lesson") {
            if Lesson::all().is_empty() {
                // The built-in lessons are still on their way (see `fetch_built_in`).
                self.pending_lesson = Some((id, step, has_scenario));
            } else {
                self.open_built_in(model, &id, step, has_scenario);
            }
        } else if let Some(url) = get("lesson_url") {
            self.pending_step = step;
            self.keep_scenario = has_scenario;
            self.lesson_url = url;
            self.update(model, LessonMsg::LoadUrl, reply);
        }
        self.sync();
    }

    /// Open built-in lesson `id` from a link, or say which ids there are.
    fn open_built_in(&mut self, model: &mut Playground, id: &str, step: Option<usize>, keep_scenario: bool) {
        match Lesson::built_in(id) {
            Some(l) => self.open_linked(model, l, Source::BuiltIn, step, keep_scenario),
            None => model.errors.push(format!(
                "lesson: '{id}' is not a lesson; allowed: {}",
                BUILT_IN.iter().map(|l| l.0).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// Open a lesson at `step` (0-based), loading that step's scenario unless `keep_scenario`.
    fn open(&mut self, model: &mut Playground, lesson: Lesson, source: Source, step: Option<usize>, keep: bool) {
        let saved = self.saved.get(&lesson.id).cloned();
        let mut c = Classroom::open(lesson, source, saved.as_ref());
        if let Some(s) = step {
            c.go(s);
        }
        if let (false, Some(f)) = (keep, c.scenario()) {
            model.reopen(f);
        }
        self.sweep = Some(c.lesson.steps[c.step].sweep.clone());
        self.classroom = Some(c);
        self.picker = false;
        self.save_progress();
    }

    /// Open a lesson named by a link at its step: what the link got wrong (its
    /// settings, a step past the end) stays in the banner, though opening the
    /// step replaces the model.
    fn open_linked(&mut self, model: &mut Playground, lesson: Lesson, source: Source, step: Option<usize>, keep: bool) {
        let bad_step = step
            .filter(|s| *s >= lesson.steps.len())
            .map(|s| format!("step: '{}' is not allowed; allowed 1 to {}", s + 1, lesson.steps.len()));
        let earlier = std::mem::take(&mut model.errors);
        self.open(model, lesson, source, step, keep);
        model.errors.splice(0..0, earlier);
        model.errors.extend(bad_step);
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

    /// Presenter mode and the key listener's flag last only while a lesson is open.
    fn sync(&mut self) {
        self.open_flag.set(self.classroom.is_some());
        self.presenting &= self.classroom.is_some();
    }

    /// Work the lesson's check for a slice of this frame; true when it moved.
    /// After a render: a verdict that just appeared is scrolled into view above
    /// the step's sticky buttons (a check's runs end while the learner looks at
    /// the graph, and the verdict lands below the lesson's fold).
    pub fn rendered(&mut self) {
        let verdict = self.classroom.as_ref().is_some_and(|c| c.verdict.is_some());
        if verdict && !self.verdict_shown {
            if let Some(el) =
                window().document().and_then(|d| d.query_selector("[data-testid=lesson-verdict]").ok().flatten())
            {
                el.scroll_into_view_with_bool(false);
            }
        }
        self.verdict_shown = verdict;
        if let Some(selector) = self.focus.take() {
            let el = window().document().and_then(|d| d.query_selector(selector).ok().flatten());
            if let Some(el) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        }
    }

    /// Close the lesson picker (Escape); whether it was open.
    pub fn close_picker(&mut self) -> bool {
        let was = std::mem::take(&mut self.picker);
        if was {
            self.focus = Some(LESSONS_BUTTON);
        }
        was
    }

    pub fn frame(&mut self, clock: &dyn Fn() -> f64) -> bool {
        let Some(c) = &mut self.classroom else { return false };
        let before = c.passed.len();
        if !c.work(WORK_BUDGET_MS, clock) {
            return false;
        }
        if c.passed.len() != before || c.verdict.is_some() {
            self.save_progress();
        }
        true
    }

    pub fn update(&mut self, model: &mut Playground, msg: LessonMsg, reply: &Callback<LessonMsg>) -> Effect {
        let effect = self.handle(model, msg, reply);
        self.sync();
        effect
    }

    fn handle(&mut self, model: &mut Playground, msg: LessonMsg, reply: &Callback<LessonMsg>) -> Effect {
        match msg {
            LessonMsg::TogglePicker => self.picker = !self.picker,
            LessonMsg::Open(i) => {
                let Some(lesson) = Lesson::all().get(i).cloned() else { return Effect::Quiet };
                self.open(model, lesson, Source::BuiltIn, None, false);
                self.focus = Some(STEP_TITLE);
                return Effect::Record;
            }
            LessonMsg::Close => {
                self.classroom = None;
                self.focus = Some(LESSONS_BUTTON);
                return Effect::Record;
            }
            LessonMsg::Move(m) => {
                let Some(c) = &self.classroom else { return Effect::Quiet };
                let (here, last) = (c.step, c.lesson.steps.len() - 1);
                let to = match m {
                    StepMove::Next => (here + 1).min(last),
                    StepMove::Back => here.saturating_sub(1),
                    StepMove::First => 0,
                    StepMove::Last => last,
                };
                if to == here {
                    return Effect::Quiet;
                }
                return self.handle(model, LessonMsg::Go(to), reply);
            }
            LessonMsg::LeavePresenter => {
                if !self.presenting {
                    return Effect::Quiet;
                }
                return self.handle(model, LessonMsg::Present, reply);
            }
            LessonMsg::Present => {
                self.presenting = !self.presenting && self.classroom.is_some();
                if let Some(doc) = window().document() {
                    if self.presenting {
                        if let Some(el) = doc.document_element() {
                            let _ = el.request_fullscreen();
                        }
                    } else if doc.fullscreen_element().is_some() {
                        doc.exit_fullscreen();
                    }
                }
                scroll_lesson_to_top();
                // Not on the button, now "Exit": Enter there would leave again.
                self.focus = Some(if self.presenting { STEP_TITLE } else { "[data-testid=present]" });
                return Effect::Relayout;
            }
            LessonMsg::Go(step) => {
                scroll_lesson_to_top();
                let Some(c) = &mut self.classroom else { return Effect::Quiet };
                c.go(step);
                if let Some(f) = c.scenario() {
                    model.reopen(f);
                }
                self.sweep = Some(c.lesson.steps[c.step].sweep.clone());
                self.save_progress();
                return Effect::Record;
            }
            LessonMsg::Answer(a) => {
                if let Some(c) = &mut self.classroom {
                    c.answer = a;
                }
                return Effect::Quiet;
            }
            LessonMsg::Check => {
                if let Some(c) = &mut self.classroom {
                    c.check();
                }
                self.save_progress();
            }
            LessonMsg::Hint => {
                if let Some(c) = &mut self.classroom {
                    c.show_hint = !c.show_hint;
                }
            }
            LessonMsg::Link(fragment) => {
                model.reopen(&fragment);
                return Effect::Record;
            }
            LessonMsg::UrlDraft(u) => {
                self.lesson_url = u;
                return Effect::Quiet;
            }
            LessonMsg::LoadUrl => {
                let url = self.lesson_url.trim().to_string();
                let lower = url.to_ascii_lowercase();
                let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains('/'));
                if url.is_empty() {
                    self.error = Some("lesson_url: give the address of a lesson file (Markdown)".into());
                } else if scheme.is_some_and(|s| s != "http" && s != "https") {
                    self.error = Some(format!(
                        "lesson_url: '{url}' is not allowed; allowed an http(s) address or a path beside this page (lessons/01-why-gossip.md)"
                    ));
                    self.picker = true;
                } else {
                    self.error = Some(format!("loading {url}…"));
                    fetch_lesson(reply.clone(), url);
                }
            }
            LessonMsg::BuiltIn(result) => {
                let waiting = self.pending_lesson.take();
                match result {
                    Ok(()) => {
                        if let Some((id, step, keep)) = &waiting {
                            self.open_built_in(model, id, *step, *keep);
                        }
                    }
                    Err(e) => {
                        let e = format!("lessons: the built-in lessons could not be loaded: {e}");
                        if waiting.is_some() {
                            model.errors.push(e.clone());
                        }
                        self.error = Some(e);
                    }
                }
                // Only the open list and a waiting link show the lessons. Any other render
                // now would put back the value of a setting the user is typing.
                return match (waiting.is_some(), self.picker) {
                    (true, _) => Effect::Record,
                    (false, true) => Effect::Render,
                    (false, false) => Effect::Quiet,
                };
            }
            LessonMsg::Loaded(url, result) => {
                self.error = None;
                let stem = url.rsplit('/').next().unwrap_or("lesson").trim_end_matches(".md").to_string();
                let stem: String =
                    stem.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                match result.and_then(|text| Lesson::parse(&text, if stem.is_empty() { "lesson" } else { &stem })) {
                    Ok(lesson) => {
                        let step = self.pending_step.take();
                        let keep = std::mem::take(&mut self.keep_scenario);
                        self.open_linked(model, lesson, Source::Url(url), step, keep);
                        return Effect::Record;
                    }
                    Err(e) => {
                        self.error = Some(format!("lesson_url: could not load '{url}': {e}"));
                        self.picker = true;
                    }
                }
            }
            LessonMsg::PasteDraft(t) => {
                self.pasted = t;
                return Effect::Quiet;
            }
            LessonMsg::LoadPasted => match Lesson::parse(&self.pasted, "pasted") {
                Ok(lesson) => {
                    self.error = None;
                    self.open(model, lesson, Source::Pasted, None, false);
                    self.focus = Some(STEP_TITLE);
                    return Effect::Record;
                }
                Err(e) => self.error = Some(format!("pasted lesson: {e}")),
            },
            LessonMsg::Look(view) => {
                if let Some(el) = window().document().and_then(|d| d.query_selector(look_selector(view)).ok().flatten())
                {
                    el.scroll_into_view();
                }
                return Effect::Quiet;
            }
        }
        Effect::Render
    }

    /// The lesson picker: built-in lessons with progress, and a teacher's own file.
    pub fn view_picker(&self, cb: &Callback<LessonMsg>) -> Html {
        let on_url = cb.reform(|e: Event| LessonMsg::UrlDraft(input_value(&e)));
        let on_paste = cb.reform(|e: Event| LessonMsg::PasteDraft(input_value(&e)));
        html! {
            <section class="picker" data-testid="lesson-picker" aria-label="Lessons">
                <h2>{ "Lessons" }</h2>
                if Lesson::all().is_empty() && self.error.is_none() {
                    <p class="hint" data-testid="lessons-loading">{ "Loading the lessons…" }</p>
                }
                <ol class="lesson-list">
                    { for Lesson::all().iter().enumerate().map(|(i, l)| {
                        let id = l.id.as_str();
                        let (done, all) = self.saved.get(id).map_or((0, 0), |p| score(l, p));
                        html! {
                            <li>
                                <button class="link" data-testid={format!("lesson-open-{id}")} onclick={cb.reform(move |_| LessonMsg::Open(i))}>{ l.title.clone() }</button>
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
                        <button data-testid="lesson-url-load" onclick={cb.reform(|_| LessonMsg::LoadUrl)}>{ "Load" }</button>
                    </div>
                    <textarea data-testid="lesson-paste" rows="5" placeholder="---&#10;title: My lesson&#10;---&#10;## First step&#10;…" value={self.pasted.clone()} onchange={on_paste} aria-label="Paste a lesson file" />
                    <button data-testid="lesson-paste-load" onclick={cb.reform(|_| LessonMsg::LoadPasted)}>{ "Open the pasted lesson" }</button>
                </details>
                if let Some(e) = &self.error {
                    <p class="lesson-error" role="alert" data-testid="lesson-error">{ e }</p>
                }
            </section>
        }
    }

    /// The open lesson: its step's text, the check, and back / next.
    pub fn view(&self, cb: &Callback<LessonMsg>) -> Html {
        let Some(c) = &self.classroom else { return html! {} };
        let step = &c.lesson.steps[c.step];
        let n = c.lesson.steps.len();
        let (done, all) = c.score();
        let here = c.step;
        // A built-in lesson's successor in the list, for its last step.
        let next_lesson = (c.source == Source::BuiltIn)
            .then(|| Lesson::all().iter().position(|l| l.id == c.lesson.id))
            .flatten()
            .and_then(|i| Lesson::all().get(i + 1).map(|l| (i + 1, l)));
        html! {
            <section class="lesson" data-testid="lesson" aria-label="Lesson">
                <div class="lesson-head">
                    <h2 class="lesson-title">{ c.lesson.title.clone() }</h2>
                    <span class="muted" data-testid="lesson-progress">{ format!("step {} of {n} · {done} of {all} checks passed", here + 1) }</span>
                    <button class="link" data-testid="lesson-close" onclick={cb.reform(|_| LessonMsg::Close)}>{ "Close" }</button>
                </div>
                <h3 data-testid="lesson-step-title" tabindex="-1">{ step.title.clone() }</h3>
                <div class="lesson-body">{ md_html(&render(&step.body), cb) }</div>
                if !step.look.is_empty() {
                    <p class="look" data-testid="lesson-look">{ "Watch " }
                        { for step.look.iter().map(|v| {
                            let view: &'static str = v;
                            let label = LOOK_VIEWS.iter().find(|l| l.0 == view).map_or(view, |l| l.1);
                            html! { <button class="chip" onclick={cb.reform(move |_| LessonMsg::Look(view))}>{ label }</button> }
                        }) }
                    </p>
                }
                if step.scenario.is_some() {
                    <button class="link" data-testid="lesson-reload" onclick={cb.reform(move |_| LessonMsg::Go(here))}>{ "Load this step's scenario again" }</button>
                }
                if let Some(check) = &step.check { { self.view_check(cb, c, check) } }
                if self.presenting && !step.notes.trim().is_empty() {
                    <details class="notes" data-testid="lesson-notes">
                        <summary>{ "Presenter notes" }</summary>
                        <div>{ md_html(&render(&step.notes), cb) }</div>
                    </details>
                }
                <nav class="lesson-nav">
                    <button data-testid="lesson-back" disabled={here == 0} title="Page Up, p" onclick={cb.reform(|_| LessonMsg::Move(StepMove::Back))}>{ "← Back" }</button>
                    <button data-testid="present" aria-pressed={self.presenting.to_string()} onclick={cb.reform(|_| LessonMsg::Present)}
                        title="Full screen and large type, the graph, the chart and this step; Page Down / Page Up (a clicker), n / p, Home / End move between steps; Escape leaves">
                        { if self.presenting { "Exit (Esc)" } else { "Present" } }</button>
                    if here + 1 < n {
                        <button data-testid="lesson-next" class="primary" title="Page Down, n" onclick={cb.reform(|_| LessonMsg::Move(StepMove::Next))}>{ "Next →" }</button>
                    } else if let Some((i, next)) = next_lesson {
                        // The last step leads on to the next lesson, as a course does.
                        <button data-testid="lesson-next-lesson" class="primary" title={format!("Open the next lesson: {}", next.title)}
                            onclick={cb.reform(move |_| LessonMsg::Open(i))}>{ "Next lesson →" }</button>
                    } else {
                        <button data-testid="lesson-next" class="primary" disabled=true title="The last step of the last lesson">{ "Next →" }</button>
                    }
                    if self.presenting {
                        <p class="lesson-keys" data-testid="lesson-keys">
                            <kbd>{ "PgDn" }</kbd>{ " / " }<kbd>{ "n" }</kbd>{ " next · " }<kbd>{ "PgUp" }</kbd>{ " / " }<kbd>{ "p" }</kbd>{ " back · " }
                            <kbd>{ "Space" }</kbd>{ " play or pause · " }<kbd>{ "→" }</kbd>{ " one round · " }<kbd>{ "Esc" }</kbd>{ " exit" }
                        </p>
                    }
                </nav>
            </section>
        }
    }

    fn view_check(&self, cb: &Callback<LessonMsg>, c: &Classroom, check: &crate::lessons::Check) -> Html {
        let on_answer = cb.reform(|e: Event| LessonMsg::Answer(input_value(&e)));
        // Enter in the answer runs the check, as the button beside it does.
        let on_enter = {
            let cb = cb.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" {
                    let value =
                        e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).map(|i| i.value());
                    cb.emit(LessonMsg::Answer(value.unwrap_or_default()));
                    cb.emit(LessonMsg::Check);
                }
            })
        };
        let running = c.running();
        let input = match &check.kind {
            CheckKind::Choice { options, .. } => html! {
                <div class="options" role="radiogroup" aria-label={check.question.clone()}>
                    { for options.iter().enumerate().map(|(i, o)| {
                        let v = (i + 1).to_string();
                        let cb = cb.reform(move |_| LessonMsg::Answer(v.clone()));
                        html! {
                            <label><input type="radio" name={format!("check-{}", c.step)} data-testid={format!("lesson-option-{}", i + 1)}
                                checked={c.answer == (i + 1).to_string()} onchange={cb} />{ format!(" {o}") }</label>
                        }
                    }) }
                </div>
            },
            CheckKind::Estimate { .. } => html! {
                <input type="text" inputmode="decimal" data-testid="lesson-answer" aria-label="Your answer" placeholder="a number"
                    value={c.answer.clone()} onchange={on_answer} onkeydown={on_enter} />
            },
            CheckKind::Find { param, .. } => html! {
                <label>{ format!("{param} = ") }
                    <input type="text" inputmode="decimal" data-testid="lesson-answer" aria-label={format!("Your value of {param}")}
                        value={c.answer.clone()} onchange={on_answer} onkeydown={on_enter} />
                </label>
            },
        };
        html! {
            <div class="check" data-testid="lesson-check">
                <p class="question">{ check.question.clone() }</p>
                { input }
                <div class="row">
                    <button class="primary" data-testid="lesson-check-run" disabled={running.is_some()} onclick={cb.reform(|_| LessonMsg::Check)}>
                        { if matches!(check.kind, CheckKind::Choice { .. }) { "Check" } else { "Check by running it" } }
                    </button>
                    if !check.hint.is_empty() {
                        <button class="link" onclick={cb.reform(|_| LessonMsg::Hint)}>{ if c.show_hint { "Hide the hint" } else { "Hint" } }</button>
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
                        if let Some(m) = &v.measured {
                            if v.pass {
                                <p data-testid="lesson-measured">{ m }</p>
                            } else {
                                // Asked for, not shown: a class would copy it on the second try.
                                <details class="reveal"><summary data-testid="lesson-reveal">{ "Show what the runs measured" }</summary>
                                    <p data-testid="lesson-measured">{ m }</p></details>
                            }
                        }
                        if !check.explain.is_empty() && (v.pass || !matches!(check.kind, CheckKind::Choice { .. })) {
                            <p class="explain">{ check.explain.clone() }</p>
                        }
                    </div>
                }
            </div>
        }
    }
}

/// A new step (or presenter mode) starts reading from its title.
fn scroll_lesson_to_top() {
    if let Some(el) = window().document().and_then(|d| d.query_selector(".lesson").ok().flatten()) {
        el.set_scroll_top(0);
    }
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
        "sweep" => "[data-testid=chart-sweep]",
        _ => "[data-testid=compare-table]",
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn load_saved() -> Saved {
    read_saved(storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).as_deref())
}

/// Fetch a lesson file; the answer comes back as `LessonMsg::Loaded`.
fn fetch_lesson(reply: Callback<LessonMsg>, url: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let result = fetch_text(&url).await;
        reply.emit(LessonMsg::Loaded(url, result));
    });
}

/// Fetch the built-in lessons from `lessons/` beside the page (they are not
/// compiled in, to keep the page light); they come back as `LessonMsg::BuiltIn`.
pub fn fetch_built_in(reply: Callback<LessonMsg>) {
    // All the requests go out at once; their answers are read in course order.
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
        reply.emit(LessonMsg::BuiltIn(result.and_then(|()| Lesson::install_built_in(&texts))));
    });
}

/// The allowed Markdown tree as Html. `#` links open a scenario in the playground.
fn md_html(nodes: &[Md], cb: &Callback<LessonMsg>) -> Html {
    nodes
        .iter()
        .map(|n| match n {
            Md::Text(t) => html! { { t.clone() } },
            Md::El { tag: "a", href: Some(h), children } if h.starts_with('#') => {
                let frag = h.trim_start_matches('#').to_string();
                let open = cb.reform(move |e: MouseEvent| {
                    e.prevent_default();
                    LessonMsg::Link(frag.clone())
                });
                html! { <a href={h.clone()} onclick={open} data-testid="lesson-link">{ md_html(children, cb) }</a> }
            }
            Md::El { tag: "a", href: Some(h), children } => {
                html! { <a href={h.clone()} target="_blank" rel="noopener noreferrer">{ md_html(children, cb) }</a> }
            }
            Md::El { tag, children, .. } => {
                html! { <@{tag.to_string()}>{ md_html(children, cb) }</@> }
            }
        })
        .collect()
}
