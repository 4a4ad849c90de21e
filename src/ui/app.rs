//! The page component: `Msg` in, one model call, re-render if the model changed.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlSelectElement, KeyboardEvent, WheelEvent};
use yew::prelude::*;

use super::chart::{draw_coverage, draw_detections, draw_messages, draw_protocol_series, draw_sweep, Other};
use super::classroom::{Classroom, Saved, Source};
use super::field::{input_value, FieldEvent, ParamField};
use super::graph::{context, css, fit, Graph, Layout, FORCE_MAX, PALETTE};
use super::inspector::{Inspector, InspectorAction};
use super::model::{series_name, Playground, Speed, CLAIMS, FIRST_RUN, PRESETS};
use super::page::PageOptions;
use super::timeline::{format_ms, Timeline};
use crate::lessons::Lesson;
use crate::papers::Verdict;
use crate::protocol::NodeState;
use crate::scenario::{Group, Live, ParamSpec, ProtocolKind, Scenario, Timing, PARAMS};
use crate::sweep::Sweep;

#[path = "teach.rs"]
mod teach;
use teach::{StepMove, SweepForm, TeachMsg};

/// Budget of simulation work per animation frame, in milliseconds.
const FRAME_BUDGET_MS: f64 = 10.0;

/// The settings the product is about, kept beside the graph: what a cluster
/// spreads with, how often, and what the network loses.
const TUNE: [&str; 3] = ["fanout", "interval_ms", "loss_rate"];

/// The animation-frame callback, which re-requests itself each frame.
type FrameLoop = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// JavaScript callbacks of a mounted playground, by event name ("metrics", "finish").
#[derive(Clone, Default)]
pub struct Listeners(pub Rc<RefCell<Vec<(String, js_sys::Function)>>>);

impl PartialEq for Listeners {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// How the component starts: the page (its scenario from the address bar, which
/// it keeps up to date), or a playground mounted by `GossipLab.mount` into an
/// element of another page (its scenario given, the address bar left alone, no
/// page-wide keys, and its figures reported to `listeners`).
#[derive(Properties, PartialEq, Default)]
pub struct Props {
    #[prop_or_default]
    pub mounted: Option<String>,
    #[prop_or_default]
    pub listeners: Listeners,
}

pub enum Msg {
    /// Replace the scenario (a mounted playground's `set`), as a fragment.
    Load(String),
    Frame(f64),
    Play,
    Pause,
    Toggle,
    Step,
    StepEvent,
    Reset,
    SetParam(&'static str, String),
    /// A setting's text as it is being typed, not yet committed (Enter or leaving the field commits).
    TypeParam(&'static str, String),
    Speed(String),
    Preset(usize),
    DismissErrors,
    NewSeed,
    Share,
    /// Show the iframe snippet for this run.
    EmbedSnippet,
    /// Run a claim's scenario to the end and show what it measures.
    Claim(usize),
    /// A click on the graph: select (inspect), or with shift / alt crash or restart.
    GraphClick(f64, f64, bool),
    Seek(f64),
    CloseInspector,
    ToggleSelected,
    /// Cut the chosen node off from the rest (a partition, recorded in the link).
    IsolateSelected,
    /// Choose the node this many ids after the chosen one (wrapping; 0: the chosen one, or node 0).
    SelectBy(i64),
    ClearComparison,
    /// The window changed size (or went full screen): draw the canvases at their new size.
    Resized,
    /// Pin the settings as variant A and compare, or stop comparing.
    Compare,
    /// Write an update (or, with true, delete a key) at the selected node.
    WriteSelected(bool),
    /// The membership key the inspector's buttons set or delete.
    KeyChoice(u16),
    /// Pointer on the graph (canvas pixels): pressed, moved (with a button held), released, gone.
    GraphDown(f64, f64),
    GraphMove(f64, f64, bool),
    GraphUp(f64, f64),
    GraphLeave,
    /// Zoom by a factor about a canvas point (the wheel), or about the centre (buttons).
    Zoom(f64, Option<(f64, f64)>),
    ResetView,
    Layout(String),
    /// Dragging on the graph cuts a partition instead of panning.
    ToggleCut,
    Heal,
    /// Download: "csv", "json", or the test id of a canvas (as PNG).
    Export(String),
    /// Lessons and sweeps (see `teach`).
    Teach(TeachMsg),
    /// Run the papers' experiment `i` over its seeds.
    BenchRun(usize),
    /// Open the papers' experiment `i` in the playground, to watch one run.
    BenchOpen(usize),
}

/// A drag on the graph: where it started, where it is, whether it moved enough to count.
#[derive(Clone, Copy, Debug)]
struct Drag {
    start: (f64, f64),
    last: (f64, f64),
    moved: bool,
}

pub struct App {
    model: Playground,
    graph: Graph,
    graph_ref: NodeRef,
    /// Variant A's graph, when comparing.
    graph_a: Graph,
    graph_a_ref: NodeRef,
    chart_ref: NodeRef,
    play_ref: NodeRef,
    pause_ref: NodeRef,
    /// Presenter mode (a lesson, full screen, large type).
    pub(super) presenting: bool,
    /// Whether a lesson is open: the presentation keys act only then.
    lesson_open: Rc<std::cell::Cell<bool>>,
    msgs_ref: NodeRef,
    detect_ref: NodeRef,
    proto_ref: NodeRef,
    bytes_ref: NodeRef,
    layout: Layout,
    cut_mode: bool,
    drag: Option<Drag>,
    /// A drag just ended: the click that follows it is not a click.
    swallow_click: bool,
    /// The node under the pointer, and where (CSS pixels) to show its summary.
    hover: Option<(u32, f64, f64)>,
    /// The key the inspector sets or deletes (membership).
    key_choice: u16,
    last_ts: Option<f64>,
    drawn: u64,
    shown: u64,
    dark: bool,
    embed: bool,
    /// An embed that is the whole page (an iframe's `embed=1`), not an element in another page.
    framed: bool,
    share_note: Option<String>,
    snippet: Option<String>,
    /// The claim being checked, and each claim's last measurement and verdict.
    claim: Option<usize>,
    claim_results: Vec<Option<(f64, bool)>>,
    /// The papers' bench, under the claims.
    bench: super::bench::BenchPanel,
    _frame: FrameLoop,
    _keys: Option<Closure<dyn FnMut(KeyboardEvent)>>,
    /// False once destroyed: the frame loop stops.
    alive: Rc<std::cell::Cell<bool>>,
    /// Mounted by the JS API: no address bar, no page-wide keys.
    mounted: bool,
    listeners: Listeners,
    /// The parameters an embed shows in its control strip (`controls=fanout,loss_rate`).
    strip: Vec<&'static ParamSpec>,
    finished_reported: bool,
    /// The lesson list is open.
    picker: bool,
    classroom: Option<Classroom>,
    /// Progress in every lesson, as saved in local storage.
    saved: Saved,
    lesson_url: String,
    pasted: String,
    lesson_error: Option<String>,
    /// A `lesson_url` link's step and whether its scenario keys win over the step's, until the file arrives.
    pending_step: Option<usize>,
    keep_scenario: bool,
    /// A `lesson=ID` link waiting for the built-in lessons to arrive: id, step, keep the link's scenario.
    pending_lesson: Option<(String, Option<usize>, bool)>,
    /// The setting being typed and its text, until Enter or leaving the field commits it.
    typing: Option<(&'static str, String)>,
    sweep: Option<Sweep>,
    sweep_form: SweepForm,
    sweep_error: Option<String>,
    sweep_ref: NodeRef,
    sweep_drawn: bool,
    /// The metrics this scenario reports, for the sweep's metric list.
    metric_names: Vec<String>,
}

/// The value of the input, select or text area an event came from ("" if none).
/// If `from` has the keyboard focus, give it to `to`: after Play, Pause is the
/// control that matters (and Space or Enter pauses); after Pause, Play.
fn hand_focus(from: &NodeRef, to: &NodeRef) {
    let focused = window().document().and_then(|d| d.active_element());
    if focused.is_some_and(|f| from.get().is_some_and(|b| b == web_sys::Node::from(f))) {
        if let Some(b) = to.cast::<web_sys::HtmlElement>() {
            let _ = b.focus();
        }
    }
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

fn location_fragment() -> String {
    let loc = window().location();
    let mut s = loc.search().unwrap_or_default();
    let hash = loc.hash().unwrap_or_default();
    if !hash.is_empty() {
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(hash.trim_start_matches('#'));
    }
    s.trim_start_matches('?').to_string()
}

impl App {
    /// The presentation keys act, and presenter mode lasts, only while a lesson is open.
    fn lesson_flags(&mut self) {
        self.lesson_open.set(self.classroom.is_some());
        self.presenting &= self.classroom.is_some();
    }

    fn write_url(&self) {
        if self.mounted {
            return; // an embed in another page leaves that page's address alone
        }
        let mut frag = self.model.fragment();
        if self.layout != Layout::Auto {
            frag.push_str(&format!("&layout={}", self.layout.word()));
        }
        if self.embed {
            frag.push_str("&embed=1");
        }
        if let Some(keys) = self.classroom.as_ref().and_then(Classroom::link_keys) {
            frag.push('&');
            frag.push_str(&keys);
        }
        if let Ok(h) = window().history() {
            let url = format!("{}#{frag}", window().location().pathname().unwrap_or_default());
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
        }
    }

    /// Start another scenario (a preset, a claim, an embed's `set`), keeping the speed.
    fn open(&mut self, fragment: &str) {
        self.typing = None;
        let (speed, version) = (self.model.speed, self.model.version);
        self.model = Playground::from_fragment(fragment);
        self.model.speed = speed;
        // Versions go on from the old model's, so what remembers one never takes the
        // new model for the old (a run of the same length ended on the same version,
        // and an embed's set() then play() after a finished run showed round 0 throughout).
        self.model.version += version + 1;
        // A new scenario may change the layout (A/B canvases): draw after the render.
        self.drawn = u64::MAX;
        self.finished_reported = false;
        self.refresh_metric_names();
    }

    /// `lesson=ID&step=N` or `lesson_url=ADDRESS&step=N` in the link: open that lesson.
    /// The link's own scenario keys win over the step's, so a shared link replays what was shared.
    fn lesson_from_link(&mut self, ctx: &Context<Self>, fragment: &str) {
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
                _ => self.model.errors.push(format!("step: '{s}' is not allowed; allowed a step number from 1")),
            }
        }
        if let Some(id) = get("lesson") {
            if Lesson::all().is_empty() {
                // The built-in lessons are still on their way (see `teach::fetch_built_in`).
                self.pending_lesson = Some((id, step, has_scenario));
            } else {
                self.open_built_in(&id, step, has_scenario);
            }
        } else if let Some(url) = get("lesson_url") {
            self.pending_step = step;
            self.keep_scenario = has_scenario;
            self.lesson_url = url.clone();
            ctx.link().send_message(Msg::Teach(TeachMsg::LoadUrl));
        }
    }

    /// Open built-in lesson `id` from a link, or say which ids there are.
    fn open_built_in(&mut self, id: &str, step: Option<usize>, keep_scenario: bool) {
        match Lesson::built_in(id) {
            Some(l) => self.open_linked_lesson(l, Source::BuiltIn, step, keep_scenario),
            None => self.model.errors.push(format!(
                "lesson: '{id}' is not a lesson; allowed: {}",
                crate::lessons::BUILT_IN.iter().map(|l| l.0).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    fn refresh_metric_names(&mut self) {
        self.metric_names = crate::sweep::metric_names(&self.model.sim().metrics());
    }

    fn draw_sweep(&mut self) {
        if self.sweep_drawn {
            return;
        }
        self.sweep_drawn = true;
        if let (Some(s), Some(c)) = (&self.sweep, self.sweep_ref.cast::<HtmlCanvasElement>()) {
            let dpr = fit(&c);
            let (xs, numeric) = s.xs();
            draw_sweep(&c, dpr, &s.key, s.metric(), &s.values, &xs, numeric, &s.summaries(), self.dark);
        }
    }

    /// Tell a mounted playground's listeners where the run is: "metrics" on every
    /// change, "finish" once when it ends.
    fn notify(&mut self) {
        let listeners = self.listeners.0.borrow();
        if listeners.is_empty() {
            return;
        }
        let last = self.model.sim().series().points.last().copied();
        let obj = js_sys::Object::new();
        let set = |k: &str, v: f64| {
            let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_f64(v));
        };
        set("round", f64::from(self.model.sim().round()));
        set("t_ms", self.model.sim().now_us() as f64 / 1000.0);
        set("coverage", self.model.coverage());
        set("live", self.model.sim().live() as f64);
        set("msgs", last.map_or(0.0, |p| p.msgs as f64));
        set("bytes", last.map_or(0.0, |p| p.bytes as f64));
        let finished = self.model.all_finished();
        let _ = js_sys::Reflect::set(&obj, &JsValue::from_str("finished"), &JsValue::from_bool(finished));
        for (event, f) in listeners.iter() {
            let fire = event == "metrics" || (event == "finish" && finished && !self.finished_reported);
            if fire {
                let _ = f.call1(&JsValue::NULL, &obj);
            }
        }
        drop(listeners);
        self.finished_reported |= finished;
    }

    fn draw(&mut self) {
        if self.drawn == self.model.version {
            return;
        }
        self.drawn = self.model.version;
        let window_us = u64::from(self.model.current().interval_ms) * 1000;
        if let Some(c) = self.graph_ref.cast::<HtmlCanvasElement>() {
            fit(&c);
            if self.layout == Layout::Force && self.model.states.len() <= FORCE_MAX {
                let mut links = Vec::new();
                for n in 0..self.model.states.len() as u32 {
                    links.extend(self.model.sim().view_of(n).into_iter().map(|p| (n, p)));
                }
                self.graph.relax(&links);
            }
            self.graph.draw(
                &c,
                &self.model.states,
                &self.model.edges,
                self.model.sim().now_us(),
                window_us,
                self.model.selected,
                self.dark,
            );
            // The rectangle being dragged to cut a partition.
            if let (true, Some(d), Some(g)) = (self.cut_mode, self.drag, context(&c)) {
                let (x, y) = (d.start.0.min(d.last.0), d.start.1.min(d.last.1));
                let (w, h) = ((d.last.0 - d.start.0).abs(), (d.last.1 - d.start.1).abs());
                g.set_stroke_style_str(if self.dark { "#f8fafc" } else { "#0f172a" });
                g.set_line_width(1.5);
                let dash = js_sys::Array::of2(&JsValue::from(5.0), &JsValue::from(4.0));
                let _ = g.set_line_dash(&dash);
                g.stroke_rect(x, y, w, h);
                let _ = g.set_line_dash(&js_sys::Array::new());
            }
        }
        if let (Some(a), Some(c)) = (&self.model.compare, self.graph_a_ref.cast::<HtmlCanvasElement>()) {
            fit(&c);
            let window_us = u64::from(a.scenario.interval_ms) * 1000;
            self.graph_a.draw(&c, &a.states, &a.edges, a.sim().now_us(), window_us, None, self.dark);
        }
        if let Some(c) = self.chart_ref.cast::<HtmlCanvasElement>() {
            let dpr = fit(&c);
            let other = self.model.compare.as_ref().map(|a| Other { series: a.sim().series(), theory: &a.theory });
            draw_coverage(
                &c,
                dpr,
                self.model.sim().series(),
                &self.model.theory,
                &self.model.past,
                &self.model.changes(),
                other.as_ref(),
                self.dark,
            );
        }
        if let (Some(c), Some(name)) = (self.proto_ref.cast::<HtmlCanvasElement>(), series_name(&self.model.scenario)) {
            let dpr = fit(&c);
            let all = self.model.sim().protocol_series();
            let values = all.iter().find(|(k, _)| *k == name).map_or(&[][..], |(_, v)| &v[..]);
            // Variant A's series of the same name, when it has one.
            let a_all = self.model.compare.as_ref().map(|a| a.sim().protocol_series()).unwrap_or_default();
            let other = a_all.iter().find(|(k, _)| *k == name).map(|(_, v)| &v[..]);
            draw_protocol_series(
                &c,
                dpr,
                name,
                values,
                other,
                crate::protocol::aggregate::theory_rate(&self.model.scenario),
                self.dark,
            );
        }
        if let Some(c) = self.detect_ref.cast::<HtmlCanvasElement>() {
            let dpr = fit(&c);
            draw_detections(&c, dpr, &self.model.sim().detections(), self.dark);
        }
        if let Some(c) = self.msgs_ref.cast::<HtmlCanvasElement>() {
            let dpr = fit(&c);
            let s = &self.model.scenario;
            draw_messages(&c, dpr, self.model.sim().series(), s.nodes, false, self.dark);
        }
        if let Some(c) = self.bytes_ref.cast::<HtmlCanvasElement>() {
            let dpr = fit(&c);
            let s = &self.model.scenario;
            draw_messages(&c, dpr, self.model.sim().series(), s.nodes, true, self.dark);
        }
    }

    fn view_param(&self, ctx: &Context<Self>, p: &'static ParamSpec) -> Html {
        let key = p.key;
        let draft = self.model.drafts.get(key);
        let typed = self.typing.as_ref().filter(|(k, _)| *k == key).map(|(_, v)| v.clone());
        // A live setting shows the value in force now (a change part-way is not the scenario's start value).
        let shown = if p.live == Live::Live { self.model.current() } else { &self.model.scenario };
        let value = typed.or_else(|| draft.cloned()).unwrap_or_else(|| shown.get(key).unwrap_or_default());
        // Part-way through a run, say what a change will do: go on, or start again.
        let part_way = self.model.part_way();
        let tune = TUNE.contains(&key);
        let on_event = ctx.link().callback(|e: FieldEvent| match e {
            FieldEvent::Commit(key, value) => Msg::SetParam(key, value),
            FieldEvent::Typing(key, value) => Msg::TypeParam(key, value),
        });
        html! {
            <ParamField spec={p} value={value} invalid={draft.is_some()} effect={(part_way && !tune).then_some(p.live)}
                help={!tune && !self.embed} on_event={on_event} />
        }
    }

    /// The coverage chart: the one chart every run has.
    fn view_coverage(&self) -> Html {
        let m = &self.model;
        let (covered, _) = m.scenario.coverage_meaning();
        let ab = m.compare.is_some();
        html! {
            <figure class="coverage">
                <canvas ref={self.chart_ref.clone()} data-testid="chart-coverage" class="chart" role="img"
                    aria-label={format!("Share of live nodes {covered} per round: measured (solid), mean-field theory (dashed), live changes marked")}></canvas>
                // The key sits under the chart, so it never covers a curve.
                <figcaption class="chart-key" data-testid="chart-key">
                    <span class="key measured" title={format!("The share of live nodes {covered}, measured in this run")}>
                        { if ab { "B measured" } else { "measured" } }</span>
                    if ab { <span class="key a" title="Variant A, measured (dotted: its theory)">{ "A measured" }</span> }
                    if !m.theory.is_empty() {
                        <span class="key theory" tabindex="0" title="Mean-field theory: the expected share per round when every node meets random peers, for this spread, fanout, loss and stop rule (Demers et al. 1987). After a live change it continues from the measured state under the new value.">
                            { "theory" }</span>
                    }
                    if !m.past.is_empty() { <span class="key past" title="Earlier runs, before the last settings change that restarted the run">{ "earlier runs" }</span> }
                    if !m.changes().is_empty() { <span class="key change" title="A live change: the setting and its new value, from that round on">{ "change" }</span> }
                </figcaption>
            </figure>
        }
    }

    /// The settings the product is about, beside the graph and above the chart
    /// that shows what they do: changed while a run plays, the run goes on.
    fn view_tune(&self, ctx: &Context<Self>) -> Html {
        let part_way = self.model.part_way();
        html! {
            <section class="tune" aria-labelledby="tune-title" data-testid="tune">
                <h2 id="tune-title">{ "Change it while it runs" }</h2>
                <div class="tune-params">
                    { for TUNE.iter().filter_map(|k| crate::scenario::spec(k)).filter(|p| self.model.scenario.inactive(p.key).is_none()).map(|p| self.view_param(ctx, p)) }
                </div>
                <p class="hint" data-testid="tune-hint">{
                    if part_way && self.model.compare.is_some() {
                        "Changes apply to B from this moment (A stays as pinned); the chart marks them."
                    } else if part_way {
                        "Changes apply from this moment: the run goes on, and the chart marks them."
                    } else {
                        "Press Play, then change these: the run goes on under the new value."
                    }
                }</p>
                { self.view_coverage() }
            </section>
        }
    }

    fn view_controls(&self, ctx: &Context<Self>) -> Html {
        let on_preset = ctx.link().callback(|e: Event| Msg::Preset(input_value(&e).parse().unwrap_or(0)));
        html! {
            <aside class="controls" aria-label="Settings">
                <div class="param wide">
                    <label for="preset">{ "Preset" }</label>
                    <select id="preset" data-testid="preset" onchange={on_preset}>
                        <option value="" selected=true disabled=true>{ "Choose a scenario…" }</option>
                        { for PRESETS.iter().enumerate().map(|(i, (label, _))| html! { <option value={i.to_string()}>{ *label }</option> }) }
                    </select>
                </div>
                { self.view_claims(ctx) }
                { self.view_sweep(ctx) }
                { for Group::ALL.iter().filter(|g| **g != Group::Run).map(|g| html! {
                    <details open={matches!(g, Group::Cluster | Group::Protocol | Group::Workload)}>
                        <summary>{ g.label() }</summary>
                        <div class="params">
                            // Only the settings of this protocol and these choices: the others
                            // would do nothing (they come back when a choice needs them).
                            { for PARAMS.iter()
                                .filter(|p| p.group == *g && !TUNE.contains(&p.key) && self.model.scenario.inactive(p.key).is_none())
                                .map(|p| self.view_param(ctx, p)) }
                        </div>
                    </details>
                }) }
            </aside>
        }
    }

    fn view_toolbar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_speed = link.callback(|e: Event| Msg::Speed(input_value(&e)));
        let playing = self.model.playing;
        html! {
            <div class="toolbar" role="toolbar" aria-label="Run">
                // Not `disabled`: a disabled button drops the keyboard focus the moment it is used.
                // Used from the keyboard, each hands the focus to the other, so Space
                // or Enter again does the opposite.
                <button ref={self.play_ref.clone()} data-testid="play" class="primary" aria-disabled={playing.to_string()} onclick={link.callback(|_| Msg::Play)} title="Play (space)">{ "▶ Play" }</button>
                <button ref={self.pause_ref.clone()} data-testid="pause" aria-disabled={(!playing).to_string()} onclick={link.callback(|_| Msg::Pause)} title="Pause (space)">{ "Pause" }</button>
                <button data-testid="step" onclick={link.callback(|_| Msg::Step)} title="One round (→)">{ "Step" }</button>
                if self.model.scenario.timing == Timing::Timed {
                    <button data-testid="step-event" onclick={link.callback(|_| Msg::StepEvent)}
                        title="To the next event: a tick, a delivery, a timer or a fault (.)">{ "Event" }</button>
                }
                <button data-testid="reset" onclick={link.callback(|_| Msg::Reset)} title="Start again, same seed (r)">{ "Reset" }</button>
                <label class="speed">{ "Speed " }
                    <select data-testid="speed" onchange={on_speed} aria-label="Speed">
                        { for Speed::CHOICES.iter().map(|(l, s)| html! { <option value={*l} selected={*s == self.model.speed}>{ *l }</option> }) }
                    </select>
                </label>
                if !self.embed {
                    <button data-testid="compare" aria-pressed={self.model.compare.is_some().to_string()} onclick={link.callback(|_| Msg::Compare)}
                        title="Pin these settings as A, then change any setting to make B: both run on the same seed, side by side">
                        { if self.model.compare.is_some() { "Stop comparing" } else { "Compare A/B" } }
                    </button>
                    <button data-testid="new-seed" onclick={link.callback(|_| Msg::NewSeed)} title="Same settings, another random run">{ "New seed" }</button>
                }
            </div>
        }
    }

    fn view_stats(&self) -> Html {
        let m = &self.model;
        let pts = m.sim().series().points.last().copied();
        let coverage = m.coverage() * 100.0;
        let (covered, covered_about) = m.scenario.coverage_meaning();
        let stats = m.sim().stats();
        let t = m.sim().now_us() as f64 / 1000.0;
        let round_label = if m.scenario.timing == Timing::Rounds { "round" } else { "interval" };
        let state = if m.all_finished() {
            "finished"
        } else if m.playing {
            "running"
        } else {
            "paused"
        };
        html! {
            <div class="stats" aria-live="polite">
                <span class="stat big" tabindex="0" title={covered_about}><b data-testid="coverage">{ format!("{coverage:.1}%") }</b>{ format!(" {covered}") }</span>
                <span class="stat" tabindex="0" title="Rounds (or intervals, in timed mode) so far: in each, every node contacts its fanout peers once"><b data-testid="round">{ m.sim().round() }</b>{ format!(" {round_label}s") }</span>
                <span class="stat" tabindex="0" title="Simulated time: the interval times the rounds, plus latencies in timed mode; not wall time"><b>{ format_ms(t) }</b>{ " virtual" }</span>
                <span class="stat" tabindex="0" title="Messages sent so far, of every kind (requests, replies, pushes), lost ones included"><b data-testid="messages">{ stats.sent }</b>{ " messages" }</span>
                <span class="stat" tabindex="0" title="Nodes up now (crashed and departed ones are not)"><b>{ pts.map_or(0, |p| p.live) }</b>{ " live" }</span>
                if let Some((mean, std)) = m.in_degree {
                    <span class="stat" data-testid="in-degree" title="Partial views: how many views hold each live node">
                        <b>{ format!("{mean:.1} ± {std:.1}") }</b>{ " in-degree" }
                    </span>
                }
                { for self.protocol_stats().into_iter().map(|f| html! {
                    <span class="stat" data-testid={f.id} title={f.about} tabindex="0"><b>{ f.value }</b>{ format!(" {}", f.label) }</span>
                }) }
                <span class="stat" data-testid="run-state">{ state }</span>
            </div>
        }
    }

    fn view_timeline(&self, ctx: &Context<Self>) -> Html {
        let m = &self.model;
        let on_seek = ctx.link().callback(Msg::Seek);
        html! {
            <Timeline now_ms={m.timeline_us() as f64 / 1000.0} horizon_ms={m.horizon_us as f64 / 1000.0} on_seek={on_seek} />
        }
    }

    fn view_inspector(&self, ctx: &Context<Self>) -> Html {
        let Some(rows) = self.model.inspect() else {
            return html! {};
        };
        let sc = &self.model.scenario;
        let write = match sc.protocol {
            ProtocolKind::Swim | ProtocolKind::Aggregate => None,
            ProtocolKind::Rumor => Some("Start a rumor here"),
            ProtocolKind::AntiEntropy => Some("Write a key here"),
            ProtocolKind::Broadcast => Some("Broadcast a message here"),
            _ => Some("Set the key"),
        };
        let keys = sc.gossips_membership().then_some((sc.app_keys as u16, self.key_choice));
        let on_action = ctx.link().callback(|a: InspectorAction| match a {
            InspectorAction::Toggle => Msg::ToggleSelected,
            InspectorAction::Write(delete) => Msg::WriteSelected(delete),
            InspectorAction::Key(k) => Msg::KeyChoice(k),
            InspectorAction::Isolate => Msg::IsolateSelected,
            InspectorAction::Close => Msg::CloseInspector,
        });
        html! { <Inspector rows={rows} write={write} keys={keys} on_action={on_action} /> }
    }

    /// Figures of the protocol beyond coverage, each with what it means.
    fn protocol_stats(&self) -> Vec<Figure> {
        let sc = &self.model.scenario;
        let plain = matches!(sc.protocol, ProtocolKind::Rumor | ProtocolKind::AntiEntropy);
        let finished = self.model.sim().finished();
        // A rumor's residue and traffic are shown from the start ("–" until the end),
        // so the line never grows when a run finishes and nothing below it moves.
        if plain && sc.malicious_count() == 0 && !finished {
            return rumor_figures("–".into(), "–".into()).into();
        }
        let m = self.model.sim().metrics();
        let mut out = Vec::new();
        // The figures each protocol (and an attack) declares, with its words.
        let attack = if sc.malicious_count() > 0 { crate::protocol::ATTACK_FIGURES } else { &[] };
        for f in attack.iter().filter(|f| f.value(&m).is_some()).chain(crate::protocol::figures(sc.protocol)) {
            out.push(Figure { label: f.label, value: f.text(&m), id: f.id(), about: f.about });
        }
        if plain {
            // At the end: the residue (nodes that never heard) and the traffic, as Demers et al. report them.
            let (residue, traffic) = if finished {
                (format!("{:.4}", m.residue), format!("{:.2}", m.traffic))
            } else {
                ("–".into(), "–".into())
            };
            out.extend(rumor_figures(residue, traffic));
        }
        out
    }

    /// The pointer handlers of the (main) graph canvas.
    fn graph_handlers(ctx: &Context<Self>) -> [Callback<MouseEvent>; 4] {
        let link = ctx.link();
        let at = canvas_point;
        [
            link.callback(move |e: MouseEvent| {
                let (x, y) = at(&e);
                Msg::GraphDown(x, y)
            }),
            link.callback(move |e: MouseEvent| {
                let (x, y) = at(&e);
                Msg::GraphMove(x, y, e.buttons() & 1 == 1)
            }),
            link.callback(move |e: MouseEvent| {
                let (x, y) = at(&e);
                Msg::GraphUp(x, y)
            }),
            link.callback(|_: MouseEvent| Msg::GraphLeave),
        ]
    }

    /// The main graph canvas with its pointer handlers and the hovered node's summary.
    fn view_graph(&self, ctx: &Context<Self>, on_graph_click: Callback<MouseEvent>, label: &'static str) -> Html {
        let [down, moved, up, leave] = Self::graph_handlers(ctx);
        let on_wheel = ctx.link().callback(|e: WheelEvent| {
            e.prevent_default();
            let factor = if e.delta_y() < 0.0 { 1.25 } else { 0.8 };
            Msg::Zoom(factor, Some(canvas_point(&e)))
        });
        let hover = self.hover.and_then(|(n, x, y)| {
            let state = *self.model.states.get(n as usize)?;
            let st = NodeState::ALL.iter().find(|s| **s as u8 == state)?;
            Some((n, x, y, state_label(*st, &self.model.scenario)))
        });
        // From the keyboard: arrows move the chosen node (the inspector follows it),
        // c crashes or restarts it, Escape lets it go.
        let on_key = ctx.link().batch_callback(|e: KeyboardEvent| {
            let msg = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => Msg::SelectBy(1),
                "ArrowLeft" | "ArrowUp" => Msg::SelectBy(-1),
                "Enter" => Msg::SelectBy(0),
                "c" => Msg::ToggleSelected,
                "x" => Msg::IsolateSelected,
                "Escape" => Msg::CloseInspector,
                _ => return None,
            };
            e.prevent_default();
            e.stop_propagation();
            Some(msg)
        });
        let label = match self.model.selected {
            Some(n) => {
                format!("{label}. Node {n} chosen: arrows choose another, c crashes or restarts it, Escape lets it go")
            }
            None => format!("{label}. Keyboard: arrows choose a node, c crashes or restarts it"),
        };
        html! {
            <div class={classes!("graph-wrap", self.cut_mode.then_some("cutting"))}>
                <canvas ref={self.graph_ref.clone()} data-testid="graph" class="graph" onclick={on_graph_click}
                    onmousedown={down} onmousemove={moved} onmouseup={up} onmouseleave={leave} onwheel={on_wheel}
                    onkeydown={on_key} tabindex="0" role="img" aria-label={label}></canvas>
                if let Some((n, x, y, what)) = hover {
                    <div class="hover" data-testid="hover" style={format!("left:{:.0}px;top:{:.0}px", x + 12.0, y + 12.0)}>
                        { format!("node {n}: {what}") }
                    </div>
                }
            </div>
        }
    }

    /// "Check the claim": each figure quoted about gossip, a button that runs its
    /// scenario, and the measured answer beside it once the run ends.
    fn view_claims(&self, ctx: &Context<Self>) -> Html {
        html! {
            <details class="claims" data-testid="claims">
                <summary>{ "Check the claims" }</summary>
                <ol>
                    { for CLAIMS.iter().enumerate().map(|(i, c)| {
                        let result = match (self.claim_results[i], self.claim == Some(i)) {
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
                                <button data-testid={format!("claim-run-{i}")} onclick={ctx.link().callback(move |_| Msg::Claim(i))}>{ "Run it" }</button>
                                <span data-testid={format!("claim-result-{i}")}>{ result }</span>
                            </li>
                        }
                    }) }
                </ol>
                { self.view_bench(ctx) }
            </details>
        }
    }

    /// The papers' numbers, each experiment with a button that runs its seeds and
    /// one that opens its scenario; the rows show paper, measured and verdict.
    fn view_bench(&self, ctx: &Context<Self>) -> Html {
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
                            <button onclick={ctx.link().callback(move |_| Msg::BenchRun(i))} disabled={busy.is_some()}
                                data-testid={format!("bench-run-{}", e.id)}>{ format!("Run {} seeds", e.trials) }</button>
                            <button onclick={ctx.link().callback(move |_| Msg::BenchOpen(i))} title={e.fragment.clone()}>{ "Open it" }</button>
                            { rows }
                        </li>
                    }
                }) }
                </ul>
            </section>
        }
    }

    /// Layout, zoom, and the partition tools, above the graph.
    fn view_viewbar(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_layout = link.callback(|e: Event| Msg::Layout(input_value(&e)));
        html! {
            <div class="viewbar" role="toolbar" aria-label="View">
                <label>{ "Layout " }
                    <select data-testid="layout" onchange={on_layout} aria-label="Layout"
                        title="How nodes are placed; force pulls each node towards the peers in its partial view (view=partial, up to 1500 nodes)">
                        { for Layout::ALL.iter().map(|(l, w, label)| html! { <option value={*w} selected={*l == self.layout}>{ *label }</option> }) }
                    </select>
                </label>
                <button data-testid="zoom-in" onclick={link.callback(|_| Msg::Zoom(1.5, None))} aria-label="Zoom in" title="Zoom in (or the mouse wheel over the graph)">{ "+" }</button>
                <button data-testid="zoom-out" onclick={link.callback(|_| Msg::Zoom(1.0 / 1.5, None))} aria-label="Zoom out" title="Zoom out">{ "−" }</button>
                <button data-testid="reset-view" onclick={link.callback(|_| Msg::ResetView)} disabled={!self.graph.is_zoomed()} title="Back to the whole cluster (drag the graph to pan)">{ "Fit" }</button>
                <button data-testid="cut" aria-pressed={self.cut_mode.to_string()} class={classes!(self.cut_mode.then_some("active"))}
                    onclick={link.callback(|_| Msg::ToggleCut)}
                    title="Then drag a rectangle on the graph: the nodes inside are cut off from the rest (recorded in the link)">
                    // One label in both states, so the bar never reflows under the pointer.
                    { "Cut a partition" }
                </button>
                <button data-testid="heal" onclick={link.callback(|_| Msg::Heal)} title="Remove every partition and cut now (recorded in the link)">{ "Heal" }</button>
                <select data-testid="export" aria-label="Export" onchange={link.callback(|e: Event| {
                    let sel = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok());
                    let v = sel.as_ref().map(|s| s.value()).unwrap_or_default();
                    if let Some(s) = sel { s.set_value(""); }
                    Msg::Export(v)
                })}>
                    <option value="" selected=true>{ "Export…" }</option>
                    <option value="csv">{ "Chart data (CSV)" }</option>
                    <option value="json">{ "Scenario (JSON, for gossip-lab run --scenario)" }</option>
                    <option value="graph">{ "Graph (PNG)" }</option>
                    <option value="chart-coverage">{ "Coverage chart (PNG)" }</option>
                    <option value="chart-messages">{ "Messages chart (PNG)" }</option>
                    <option value="chart-bytes">{ "Bytes chart (PNG)" }</option>
                    if series_name(&self.model.scenario).is_some() {
                        <option value="chart-protocol">{ "Protocol chart (PNG)" }</option>
                    }
                    if self.model.scenario.membership_like() {
                        <option value="chart-detections">{ "Detection chart (PNG)" }</option>
                    }
                </select>
                <button data-testid="share" onclick={link.callback(|_| Msg::Share)} title="Copy a link that reproduces this run">{ "Share link" }</button>
                <button data-testid="embed" onclick={link.callback(|_| Msg::EmbedSnippet)} title="HTML to put this run into a blog post or docs page (see /embed.html)">{ "Embed" }</button>
            </div>
        }
    }

    /// Variant A and B side by side, each captioned with the settings that differ.
    fn view_duo(&self, ctx: &Context<Self>, on_graph_click: Callback<MouseEvent>) -> Html {
        let diffs = self.model.differences();
        // Live changes are B's alone (A stays as pinned): named, not spelt out as a schedule.
        let b_changes = self.model.changes().len();
        let caption = |which: usize| -> String {
            if diffs.is_empty() {
                return if which == 0 { "A: pinned".into() } else { "B: change a setting to compare".into() };
            }
            let parts: Vec<String> = diffs
                .iter()
                .filter(|(k, _, _)| *k != "faults")
                .map(|(k, a, b)| format!("{k}={}", if which == 0 { a } else { b }))
                .chain(
                    (which == 1 && b_changes > 0)
                        .then(|| format!("{b_changes} live change{} (B only)", if b_changes == 1 { "" } else { "s" })),
                )
                .chain((diffs.iter().any(|d| d.0 == "faults") && b_changes == 0).then(|| "own faults".to_string()))
                .collect();
            format!("{}: {}", if which == 0 { "A" } else { "B" }, parts.join(", "))
        };
        let (caption_a, caption_b) = (caption(0), caption(1));
        html! {
            <div class="duo" data-testid="compare-view">
                <figure>
                    <figcaption class="a" title={caption_a.clone()}>{ caption_a }</figcaption>
                    <canvas ref={self.graph_a_ref.clone()} data-testid="graph-a" class="graph" role="img"
                        aria-label="Variant A's propagation graph"></canvas>
                </figure>
                <figure>
                    <figcaption class="b" title={caption_b.clone()}>{ caption_b }</figcaption>
                    { self.view_graph(ctx, on_graph_click, "Variant B's propagation graph: click a node to inspect, shift-click to crash it in both") }
                </figure>
            </div>
        }
    }

    fn view_compare_table(&self) -> Html {
        let rows = self.model.compare_rows();
        if rows.is_empty() {
            return html! {};
        }
        html! {
            <table class="compare" data-testid="compare-table">
                <thead><tr><th scope="col">{ "same seed" }</th><th scope="col" class="a">{ "A" }</th><th scope="col" class="b">{ "B" }</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|(k, a, b)| html! { <tr><th scope="row">{ *k }</th><td>{ a }</td><td>{ b }</td></tr> }) }
                </tbody>
            </table>
        }
    }

    /// What the colours mean, with how many nodes each holds now: the line reads
    /// the run as it changes ("180 susceptible · 20 spreading · 0 stopped").
    fn view_legend(&self) -> Html {
        let mut counts = [0u32; NodeState::ALL.len()];
        for &st in &self.model.states {
            if let Some(c) = counts.get_mut(st as usize) {
                *c += 1;
            }
        }
        html! {
            <ul class="legend" aria-label="Node colours, with how many nodes are in each state now" data-testid="legend">
                { for NodeState::ALL.iter().filter(|s| match s {
                    NodeState::Absent => false,
                    NodeState::Unnoticed => self.model.scenario.membership_like(),
                    NodeState::Suspected => self.model.scenario.protocol == ProtocolKind::Swim,
                    _ => true,
                }).map(|s| {
                    let rgb = if self.dark { PALETTE[*s as usize].1 } else { PALETTE[*s as usize].0 };
                    html! {
                        <li><span class="dot" style={format!("background:{}", css(rgb))}></span>
                            <b>{ counts[*s as usize] }</b>{ format!(" {}", state_label(*s, &self.model.scenario)) }</li>
                    }
                }) }
                <li><span class="line"></span>{ "message (red: lost)" }</li>
            </ul>
        }
    }
}

/// What a node colour means for the scenario's protocol and workload.
fn state_label(s: NodeState, sc: &crate::scenario::Scenario) -> &'static str {
    let many = sc.total_updates() > 1;
    match (sc.protocol, s) {
        (ProtocolKind::Aggregate, NodeState::Susceptible) => "no estimate yet",
        (ProtocolKind::Aggregate, NodeState::Infective) => "off by more than the target",
        (ProtocolKind::Aggregate, NodeState::Removed) => "within the target error",
        (ProtocolKind::Broadcast, NodeState::Susceptible) => "missing messages",
        (ProtocolKind::Broadcast, NodeState::Infective) => "holding messages back",
        (ProtocolKind::Broadcast, NodeState::Removed) => "delivered every message",
        (ProtocolKind::Election, NodeState::Susceptible) => "follows nobody, or a stale leader",
        (ProtocolKind::Election, NodeState::Infective) => "claims to lead",
        (ProtocolKind::Election, NodeState::Removed) => "follows the lowest live id",
        (ProtocolKind::Membership | ProtocolKind::Swim, NodeState::Susceptible) => "unknown to most",
        (ProtocolKind::Membership | ProtocolKind::Swim, NodeState::Infective) => "up, but dead to most",
        (ProtocolKind::Membership | ProtocolKind::Swim, NodeState::Removed) => "alive to most",
        (ProtocolKind::Aggregate | ProtocolKind::Broadcast, NodeState::Unnoticed) => "crashed",
        (ProtocolKind::AntiEntropy, NodeState::Susceptible) => "has no update",
        (ProtocolKind::AntiEntropy, NodeState::Infective) => "has some updates",
        (ProtocolKind::AntiEntropy, NodeState::Removed) => "has every update",
        (_, NodeState::Susceptible) if many => "has no update",
        (_, NodeState::Infective) if many => "spreading some",
        (_, NodeState::Removed) if many => "has some, spreads none",
        _ => s.label(),
    }
}

/// Save `text` as a file named `name` (a Blob behind a temporary link).
fn download_text(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else { return };
    if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
        download_url(name, &url);
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}

/// Follow a temporary `<a download>` link to `url`.
fn download_url(name: &str, url: &str) {
    let Some(doc) = window().document() else { return };
    let Some(a) = doc.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) else {
        return;
    };
    a.set_href(url);
    a.set_download(name);
    a.click();
}

/// Where a pointer event is on its canvas, in canvas pixels (CSS pixels times the device pixel ratio).
fn canvas_point(e: &MouseEvent) -> (f64, f64) {
    let dpr = window().device_pixel_ratio();
    (f64::from(e.offset_x()) * dpr, f64::from(e.offset_y()) * dpr)
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

/// A figure of the stats line: its label, value, test id and what it means
/// (shown on hover and on keyboard focus).
pub struct Figure {
    label: &'static str,
    value: String,
    id: String,
    about: &'static str,
}

fn fig(label: &'static str, value: String, id: &'static str, about: &'static str) -> Figure {
    Figure { label, value, id: id.to_string(), about }
}

/// A rumor's residue and traffic, as Demers et al. report them.
fn rumor_figures(residue: String, traffic: String) -> [Figure; 2] {
    [
        fig(
            "residue",
            residue,
            "residue",
            "Share of nodes that never heard the rumor once nobody spreads it any more (Demers et al.'s s); known at the end.",
        ),
        fig(
            "updates sent / node",
            traffic,
            "traffic",
            "Update messages sent per node over the run (Demers et al.'s m): what a lower residue costs.",
        ),
    ]
}

impl Component for App {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let mounted = ctx.props().mounted.is_some();
        // An address with no scenario opens the first run, not the engine's bare defaults.
        let fragment = ctx.props().mounted.clone().unwrap_or_else(|| {
            let f = location_fragment();
            if f.trim_start_matches('#').is_empty() {
                FIRST_RUN.to_string()
            } else {
                f
            }
        });
        let (options, option_errors) = PageOptions::from_fragment(&fragment);
        let embed = mounted || options.embed;
        let strip = options.controls;
        let layout = options.layout;
        let mut model = Playground::from_fragment(&fragment);
        model.errors.extend(option_errors);
        if let Some(speed) = options.speed {
            model.speed = speed;
        }
        let dark = window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches());

        // The animation loop: one message per frame, until the component is destroyed.
        let alive = Rc::new(std::cell::Cell::new(true));
        let frame: FrameLoop = Rc::new(RefCell::new(None));
        let again = frame.clone();
        let link = ctx.link().clone();
        let running = alive.clone();
        *frame.borrow_mut() = Some(Closure::new(move |ts: f64| {
            if !running.get() {
                return;
            }
            link.send_message(Msg::Frame(ts));
            if let Some(cb) = again.borrow().as_ref() {
                let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
            }
        }));
        if let Some(cb) = frame.borrow().as_ref() {
            let _ = window().request_animation_frame(cb.as_ref().unchecked_ref());
        }

        // Keyboard: space plays or pauses, → steps, r resets (not while typing in a field).
        let link = ctx.link().clone();
        let lesson_open = Rc::new(std::cell::Cell::new(false));
        let in_lesson = lesson_open.clone();
        let keys = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            // A field takes every key; a button takes Space and Enter; the graph takes its own.
            let tag = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|el| el.tag_name());
            let key = e.key();
            let taken = match tag.as_deref() {
                Some("INPUT" | "SELECT" | "TEXTAREA") => true,
                Some("BUTTON") => matches!(key.as_str(), " " | "Enter"),
                Some("CANVAS") => !matches!(key.as_str(), "PageDown" | "PageUp" | "n" | "p" | "Home" | "End" | " "),
                _ => false,
            };
            if taken || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            // A lesson open: what a presentation clicker sends (Page Down / Page Up),
            // n / p, Home / End move between steps; Escape leaves presenter mode.
            let step = |m: StepMove| in_lesson.get().then_some(Msg::Teach(TeachMsg::Move(m)));
            let msg = match key.as_str() {
                "PageDown" | "n" => step(StepMove::Next),
                "PageUp" | "p" => step(StepMove::Back),
                "Home" => step(StepMove::First),
                "End" => step(StepMove::Last),
                "Escape" => in_lesson.get().then_some(Msg::Teach(TeachMsg::LeavePresenter)),
                " " => Some(Msg::Toggle),
                "ArrowRight" => Some(Msg::Step),
                "." => Some(Msg::StepEvent),
                "r" => Some(Msg::Reset),
                _ => None,
            };
            if let Some(m) = msg {
                e.prevent_default();
                link.send_message(m);
            }
        });
        if !mounted {
            if let Some(doc) = window().document() {
                let _ = doc.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
            }
            // A link typed or pasted into the address bar of an open page (only the
            // fragment changes, so the browser does not reload): start again from it.
            // The page's own updates use replaceState, which fires no hashchange.
            let reload = Closure::<dyn FnMut()>::new(|| {
                let _ = window().location().reload();
            });
            let _ = window().add_event_listener_with_callback("hashchange", reload.as_ref().unchecked_ref());
            let resized_link = ctx.link().clone();
            let resized = Closure::<dyn FnMut()>::new(move || resized_link.send_message(Msg::Resized));
            let _ = window().add_event_listener_with_callback("resize", resized.as_ref().unchecked_ref());
            resized.forget();
            reload.forget();
        }
        let mut app = App {
            model,
            graph: {
                let mut g = Graph::new();
                g.set_layout(layout);
                g
            },
            graph_ref: NodeRef::default(),
            graph_a: Graph::new(),
            graph_a_ref: NodeRef::default(),
            chart_ref: NodeRef::default(),
            play_ref: NodeRef::default(),
            pause_ref: NodeRef::default(),
            presenting: false,
            lesson_open: lesson_open.clone(),
            msgs_ref: NodeRef::default(),
            detect_ref: NodeRef::default(),
            proto_ref: NodeRef::default(),
            bytes_ref: NodeRef::default(),
            layout,
            cut_mode: false,
            drag: None,
            swallow_click: false,
            hover: None,
            key_choice: 0,
            last_ts: None,
            drawn: u64::MAX,
            shown: u64::MAX,
            dark,
            embed,
            framed: embed && !mounted,
            share_note: None,
            snippet: None,
            claim: None,
            claim_results: vec![None; CLAIMS.len()],
            bench: super::bench::BenchPanel::default(),
            _frame: frame,
            _keys: (!mounted).then_some(keys),
            alive,
            mounted,
            listeners: ctx.props().listeners.clone(),
            strip,
            finished_reported: false,
            picker: false,
            classroom: None,
            saved: if mounted { Saved::new() } else { teach::load_saved() },
            lesson_url: String::new(),
            pasted: String::new(),
            lesson_error: None,
            pending_step: None,
            keep_scenario: false,
            pending_lesson: None,
            typing: None,
            sweep: None,
            sweep_form: SweepForm::default(),
            sweep_error: None,
            sweep_ref: NodeRef::default(),
            sweep_drawn: true,
            metric_names: Vec::new(),
        };
        app.refresh_metric_names();
        if !mounted {
            // An embed shows no lessons unless its link opens one: it fetches none otherwise.
            if !app.embed || fragment.split('&').any(|kv| kv.starts_with("lesson=")) {
                teach::fetch_built_in(ctx.link().clone());
            }
            app.lesson_from_link(ctx, &fragment);
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Frame(ts) => {
                let dt = self.last_ts.map_or(0.0, |l| (ts - l).max(0.0));
                self.last_ts = Some(ts);
                self.model.frame(dt, FRAME_BUDGET_MS, &now_ms);
                self.draw();
                let taught = self.teach_frame(&now_ms) | self.bench.work(teach::WORK_BUDGET_MS, &now_ms);
                self.draw_sweep();
                // Re-render the text only when something changed.
                let changed = self.shown != self.model.version || taught;
                self.shown = self.model.version;
                if changed {
                    self.notify();
                }
                // A claim's run has ended: measure it (not only on a change, since two
                // claims may share a run and end on the same version number).
                if let (Some(i), true) = (self.claim, self.model.sim().finished()) {
                    // Only the claim's own run counts: a setting changed meanwhile voids it.
                    if Scenario::from_fragment(CLAIMS[i].fragment).0 == self.model.scenario {
                        let m = self.model.sim().metrics();
                        self.claim_results[i] = (CLAIMS[i].value)(&m).map(|v| (v, (CLAIMS[i].holds)(v)));
                    }
                    self.claim = None;
                    return true;
                }
                return changed;
            }
            Msg::Load(fragment) => self.open(&fragment),
            Msg::Play => {
                self.model.play();
                hand_focus(&self.play_ref, &self.pause_ref);
            }
            Msg::Pause => {
                self.model.pause();
                hand_focus(&self.pause_ref, &self.play_ref);
            }
            Msg::Toggle => {
                if self.model.playing {
                    self.model.pause()
                } else {
                    self.model.play()
                }
            }
            Msg::Step => self.model.step(),
            Msg::StepEvent => self.model.step_event(),
            Msg::Reset => {
                self.model.reset();
                self.model.playing = false;
            }
            Msg::TypeParam(key, value) => {
                // Kept so that the frames drawn while the run plays show what is typed.
                self.typing = Some((key, value));
                return false;
            }
            Msg::SetParam(key, value) => {
                self.typing = None;
                if self.model.set_param(key, &value).is_ok() {
                    self.refresh_metric_names();
                }
                self.write_url();
            }
            Msg::Teach(m) => {
                let r = self.teach_update(ctx, m);
                self.lesson_flags();
                self.draw_sweep();
                return r;
            }
            Msg::Speed(label) => {
                if let Some(s) = Speed::from_label(&label) {
                    self.model.speed = s;
                }
            }
            Msg::Preset(i) => {
                self.open(PRESETS.get(i).map_or("", |p| p.1));
                self.write_url();
            }
            Msg::ClearComparison => self.model.clear_comparison(),
            Msg::Resized => self.drawn = u64::MAX,
            Msg::Compare => {
                if self.model.compare.is_some() {
                    self.model.unpin();
                } else {
                    self.model.pin();
                }
                self.write_url();
            }
            Msg::DismissErrors => self.model.dismiss_errors(),
            Msg::NewSeed => {
                let mut buf = [0u8; 8];
                let entropy =
                    if getrandom::fill(&mut buf).is_ok() { u64::from_le_bytes(buf) } else { now_ms().to_bits() };
                self.model.new_seed(entropy);
                self.write_url();
            }
            Msg::BenchRun(i) => {
                if let Err(e) = self.bench.start(i) {
                    self.model.errors.push(e);
                }
            }
            Msg::BenchOpen(i) => {
                let Some(f) = self.bench.experiments.get(i).map(|e| e.fragment.clone()) else { return false };
                self.open(&f);
                self.write_url();
            }
            Msg::Claim(i) => {
                let Some(c) = CLAIMS.get(i) else { return false };
                self.open(c.fragment);
                self.model.speed = Speed::Max;
                self.model.play();
                self.claim = Some(i);
                self.write_url();
            }
            Msg::EmbedSnippet => {
                if self.snippet.take().is_none() {
                    let loc = window().location();
                    let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
                    let frag = self.model.fragment();
                    // The settings that differ from the defaults are the ones readers may want to change.
                    let keys: Vec<&str> = frag
                        .split('&')
                        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
                        .filter(|k| *k != "v" && *k != "seed" && *k != "faults" && !k.starts_with("vs."))
                        .take(4)
                        .collect();
                    let controls =
                        if keys.is_empty() { String::new() } else { format!("&controls={}", keys.join(",")) };
                    self.snippet = Some(format!(
                        "<iframe src=\"{base}#{frag}&embed=1{controls}\" width=\"640\" height=\"560\" style=\"border:0\" title=\"Gossip Lab\" loading=\"lazy\"></iframe>"
                    ));
                }
            }
            Msg::Share => {
                self.write_url();
                let href = window().location().href().unwrap_or_default();
                let clipboard = window().navigator().clipboard();
                let _ = clipboard.write_text(&href);
                self.share_note = Some(href);
            }
            Msg::GraphClick(x, y, act) => {
                if std::mem::take(&mut self.swallow_click) {
                    return false; // the end of a drag, not a click
                }
                let node = self.graph.hit(x, y);
                match (node, act) {
                    (Some(n), true) => {
                        self.model.toggle_node(n);
                        self.write_url();
                    }
                    (node, _) => self.model.select(node),
                }
            }
            Msg::ToggleSelected => {
                if let Some(n) = self.model.selected {
                    self.model.toggle_node(n);
                    self.write_url();
                }
            }
            Msg::CloseInspector => self.model.select(None),
            Msg::WriteSelected(delete) => {
                if let Some(n) = self.model.selected {
                    let key = self.model.scenario.gossips_membership().then_some(self.key_choice);
                    if self.model.write_at(n, key, delete).is_ok() {
                        self.write_url();
                    }
                }
            }
            Msg::KeyChoice(k) => self.key_choice = k,
            Msg::GraphDown(x, y) => {
                self.drag = Some(Drag { start: (x, y), last: (x, y), moved: false });
                self.swallow_click = false;
            }
            Msg::GraphMove(x, y, pressed) => {
                match (&mut self.drag, pressed) {
                    (Some(d), true) => {
                        let moved = (x - d.start.0).abs() + (y - d.start.1).abs() > 6.0;
                        d.moved |= moved;
                        if d.moved && !self.cut_mode {
                            self.graph.pan_by(x - d.last.0, y - d.last.1);
                        }
                        d.last = (x, y);
                        self.hover = None;
                    }
                    _ => {
                        self.drag = None;
                        let dpr = window().device_pixel_ratio();
                        let hover = self.graph.hit(x, y).map(|n| (n, x / dpr, y / dpr));
                        if hover.map(|h| h.0) == self.hover.map(|h| h.0) {
                            return false;
                        }
                        self.hover = hover;
                        return true;
                    }
                }
                self.drawn = u64::MAX;
            }
            Msg::GraphUp(x, y) => {
                if let Some(d) = self.drag.take() {
                    if d.moved {
                        self.swallow_click = true;
                        if self.cut_mode {
                            let nodes = self.graph.nodes_in(d.start.0, d.start.1, x, y);
                            if self.model.partition(nodes) {
                                self.write_url();
                            }
                            self.cut_mode = false;
                        }
                    }
                }
                self.drawn = u64::MAX;
            }
            Msg::GraphLeave => {
                self.hover = None;
                self.drag = None;
                self.drawn = u64::MAX;
            }
            Msg::Zoom(factor, at) => {
                let (x, y) = at.unwrap_or_else(|| {
                    self.graph_ref
                        .cast::<HtmlCanvasElement>()
                        .map_or((0.0, 0.0), |c| (f64::from(c.width()) / 2.0, f64::from(c.height()) / 2.0))
                });
                self.graph.zoom_at(factor, x, y);
                self.drawn = u64::MAX;
            }
            Msg::ResetView => {
                self.graph.reset_view();
                self.drawn = u64::MAX;
            }
            Msg::Layout(word) => {
                if let Some(l) = Layout::from_word(&word) {
                    self.layout = l;
                    self.graph.set_layout(l);
                    self.drawn = u64::MAX;
                    self.write_url();
                }
            }
            Msg::Export(what) => {
                let stem = format!("gossip-lab-{}-seed{}", self.model.scenario.protocol, self.model.scenario.seed);
                match what.as_str() {
                    "csv" => download_text(&format!("{stem}.csv"), "text/csv", &self.model.series_csv()),
                    "json" => {
                        download_text(&format!("{stem}.json"), "application/json", &self.model.scenario.to_json())
                    }
                    canvas => {
                        let node = match canvas {
                            "graph" => &self.graph_ref,
                            "chart-coverage" => &self.chart_ref,
                            "chart-messages" => &self.msgs_ref,
                            "chart-bytes" => &self.bytes_ref,
                            "chart-protocol" => &self.proto_ref,
                            "chart-detections" => &self.detect_ref,
                            _ => return false,
                        };
                        if let Some(url) = node.cast::<HtmlCanvasElement>().and_then(|c| c.to_data_url().ok()) {
                            download_url(&format!("{stem}-{canvas}.png"), &url);
                        }
                    }
                }
                return false;
            }
            Msg::ToggleCut => self.cut_mode = !self.cut_mode,
            Msg::IsolateSelected => {
                if let Some(n) = self.model.selected {
                    if self.model.partition(vec![n]) {
                        self.write_url();
                    }
                }
            }
            Msg::SelectBy(d) => {
                let ids = i64::from(self.model.sim().ids()).max(1);
                let next = self.model.selected.map_or(if d < 0 { ids - 1 } else { 0 }, |n| {
                    if d == 0 {
                        i64::from(n)
                    } else {
                        (i64::from(n) + d).rem_euclid(ids)
                    }
                });
                self.model.select(Some(next as u32));
            }
            Msg::Heal => {
                self.model.heal();
                self.write_url();
            }
            Msg::Seek(ms) => self.model.seek((ms.max(0.0) * 1000.0) as u64),
        }
        self.lesson_flags();
        self.draw();
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_graph_click = link.callback(move |e: MouseEvent| {
            let (x, y) = canvas_point(&e);
            Msg::GraphClick(x, y, e.shift_key() || e.alt_key())
        });
        let errors = &self.model.errors;
        html! {
            <div class={classes!("app", self.embed.then_some("embed"), self.framed.then_some("framed"), self.presenting.then_some("presenting"))}>
                if !self.embed {
                    <header>
                        <h1>{ "Gossip Lab" }</h1>
                        <p class="tagline">{ "Watch a rumor spread. Change fanout, loss and timing; click a node to inspect it, shift-click to crash or restart it." }</p>
                        <button data-testid="lessons" aria-expanded={self.picker.to_string()} onclick={link.callback(|_| Msg::Teach(TeachMsg::TogglePicker))}
                            title="Guided lessons with questions the page checks by running the simulator">{ "Lessons" }</button>
                    </header>
                    if self.picker { { self.view_picker(ctx) } }
                }
                if !errors.is_empty() {
                    <div class="error" role="alert" data-testid="error">
                        <ul>{ for errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
                        <button onclick={link.callback(|_| Msg::DismissErrors)} aria-label="Dismiss">{ "Dismiss" }</button>
                    </div>
                }
                if let Some(href) = &self.share_note {
                    <div class="note" data-testid="share-note">{ "Link copied: " }<input readonly=true value={href.clone()} data-testid="share-link" aria-label="Share link" /></div>
                }
                if let Some(code) = &self.snippet {
                    <div class="note" data-testid="embed-note">
                        { "Paste into a page: " }
                        <textarea readonly=true rows="3" data-testid="embed-snippet" aria-label="Embed snippet" value={code.clone()} />
                        <a href="embed.html" target="_blank" rel="noopener">{ "more ways to embed" }</a>
                    </div>
                }
                <main class={self.look_classes()}>
                    <section class="stage" aria-label="The cluster">
                        { self.view_toolbar(ctx) }
                        { self.view_stats() }
                        if !self.embed { { self.view_viewbar(ctx) } }
                        <div class="graph-area">
                            if self.model.compare.is_some() {
                                { self.view_duo(ctx, on_graph_click) }
                            } else {
                                { self.view_graph(ctx, on_graph_click, "Propagation graph: click a node to inspect it, shift-click to crash or restart it, drag to pan, wheel to zoom") }
                            }
                            { self.view_inspector(ctx) }
                        </div>
                        { self.view_legend() }
                        { self.view_timeline(ctx) }
                    </section>
                    if !self.embed {
                        <div class="side">
                            if let Some(c) = &self.classroom { { self.view_lesson(ctx, c) } }
                            { self.view_tune(ctx) }
                            { self.view_controls(ctx) }
                        </div>
                    }
                    <section class="charts" aria-label="More charts">
                        if !self.model.past.is_empty() {
                            <button class="link" data-testid="clear-comparison" onclick={link.callback(|_| Msg::ClearComparison)}>
                                { format!("Clear {} earlier run{} from the chart", self.model.past.len(), if self.model.past.len() == 1 { "" } else { "s" }) }
                            </button>
                        }
                        <canvas ref={self.msgs_ref.clone()} data-testid="chart-messages" class="chart small" role="img"
                            aria-label="Messages per round"></canvas>
                        <canvas ref={self.bytes_ref.clone()} data-testid="chart-bytes" class="chart small" role="img"
                            aria-label="Bytes per round"></canvas>
                        if series_name(&self.model.scenario).is_some() {
                            <canvas ref={self.proto_ref.clone()} data-testid="chart-protocol" class="chart small" role="img"
                                aria-label="The protocol's own figure per round"></canvas>
                        }
                        if self.model.scenario.membership_like() {
                            <canvas ref={self.detect_ref.clone()} data-testid="chart-detections" class="chart small" role="img"
                                aria-label="Detection times of crashed nodes"></canvas>
                        }
                        { self.view_compare_table() }
                        if self.sweep.is_some() {
                            <canvas ref={self.sweep_ref.clone()} data-testid="chart-sweep" class="chart" role="img"
                                aria-label="Sweep: mean and 95% interval of a metric per parameter value"></canvas>
                        }
                    </section>
                    // An embed: the coverage chart and the `controls=` settings beside the graph.
                    if self.embed {
                        <div class="embed-side">
                            { self.view_coverage() }
                            if !self.strip.is_empty() {
                                <aside class="strip" data-testid="strip" aria-label="Settings">
                                    { for self.strip.iter().map(|p| self.view_param(ctx, p)) }
                                </aside>
                            }
                        </div>
                    }
                </main>
            </div>
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        self.alive.set(false);
        // A frame may already be requested: the closure must outlive it (it returns at once).
        std::mem::forget(self._frame.clone());
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        // The first render, and any that changed the layout (a new scenario, presenter mode).
        if first_render || self.drawn == u64::MAX {
            self.drawn = u64::MAX;
            self.draw();
        }
        // The sweep's canvas may have just appeared.
        if self.sweep.is_some() {
            self.sweep_drawn = false;
            self.draw_sweep();
        }
    }
}

/// Show a readable panel instead of a dead page if anything panics.
fn install_panic_panel() {
    std::panic::set_hook(Box::new(|info| {
        let msg = format!("{info}");
        web_sys::console::error_1(&JsValue::from_str(&msg));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Ok(div) = doc.create_element("div") {
                div.set_class_name("panic");
                div.set_attribute("role", "alert").ok();
                div.set_attribute("data-testid", "error").ok();
                div.set_text_content(Some(&format!(
                    "Gossip Lab hit an internal error and stopped: {msg}. Reload the page to start again; the address bar still holds your scenario."
                )));
                if let Some(body) = doc.body() {
                    let _ = body.prepend_with_node_1(&div);
                }
            }
        }
    }));
}

/// Mount the playground into `#app` (or the body).
pub fn start() {
    install_panic_panel();
    let doc = window().document().expect("a document");
    // The playground mounts into `#app`; a page without one (the embed docs, a
    // blog) only loads the library and mounts playgrounds with `mount`.
    if let Some(root) = doc.get_element_by_id("app") {
        root.set_inner_html("");
        yew::Renderer::<App>::with_root(root).render();
    }
}

/// Mount a playground into `element` with a scenario fragment; see `crate::embed`.
pub fn mount(element: web_sys::Element, fragment: &str, listeners: Listeners) -> yew::AppHandle<App> {
    element.set_inner_html("");
    let props = Props { mounted: Some(fragment.to_string()), listeners };
    yew::Renderer::<App>::with_root_and_props(element, props).render()
}
