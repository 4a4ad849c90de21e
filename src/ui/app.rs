//! The page component. It owns the model and one part per region of the page
//! (stage, plots, settings, run bar, share, lessons, sweep, claims); each part
//! has its own message type, acts on the model, and says what the page must
//! do after (`Effect`). The component only routes messages, runs the frame
//! loop, keeps the address bar and tells a mounted playground's listeners.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use super::claims::{Claims, ClaimsMsg};
use super::effect::{now_ms, window, Effect};
use super::graph::Layout;
use super::lesson_panel::{fetch_built_in, LessonMsg, Lessons, StepMove};
use super::model::{Playground, FIRST_RUN};
use super::page::PageOptions;
use super::plots::{Plots, PlotsMsg};
use super::recorder::{RecordMsg, Recorder};
use super::runbar::{view_stats, RunMsg, Runbar};
use super::settings::{Settings, SettingsMsg};
use super::share::{Picture, Share, ShareMsg};
use super::stage::{view_legend, GraphMsg, Stage};
use super::sweep_panel::{SweepMsg, SweepPanel};
use crate::scenario::ParamSpec;

/// Budget of simulation work per animation frame, in milliseconds.
const FRAME_BUDGET_MS: f64 = 10.0;

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
    /// The window changed size (or went full screen): draw the canvases at their new size.
    Resized,
    /// The system switched between light and dark: the canvases are drawn in the new colours.
    Scheme(bool),
    DismissErrors,
    /// Escape: out of presenter mode, else the open notes and the lesson picker close.
    Escape,
    Run(RunMsg),
    Settings(SettingsMsg),
    Graph(GraphMsg),
    Plots(PlotsMsg),
    Share(ShareMsg),
    Lesson(LessonMsg),
    Sweep(SweepMsg),
    Claims(ClaimsMsg),
    Record(RecordMsg),
}

pub struct App {
    model: Playground,
    stage: Stage,
    plots: Plots,
    settings: Settings,
    runbar: Runbar,
    share: Share,
    lessons: Lessons,
    sweep: SweepPanel,
    claims: Claims,
    recorder: Recorder,
    /// The model generation the page last saw (see `Playground::reopen`).
    generation: u64,
    last_ts: Option<f64>,
    /// The model version the canvases show, and the one the text shows.
    drawn: u64,
    shown: u64,
    /// Draw the canvases again once the render is done (their boxes may have changed).
    relayout: bool,
    dark: bool,
    embed: bool,
    /// An embed that is the whole page (an iframe's `embed=1`), not an element in another page.
    framed: bool,
    /// The parameters an embed shows in its control strip (`controls=fanout,loss_rate`).
    strip: Vec<&'static ParamSpec>,
    _frame: FrameLoop,
    _keys: Option<Closure<dyn FnMut(KeyboardEvent)>>,
    /// False once destroyed: the frame loop stops.
    alive: Rc<std::cell::Cell<bool>>,
    /// Mounted by the JS API: no address bar, no page-wide keys.
    mounted: bool,
    listeners: Listeners,
    finished_reported: bool,
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
    fn write_url(&self) {
        if self.mounted {
            return; // an embed in another page leaves that page's address alone
        }
        let mut frag = self.model.fragment();
        if self.stage.layout != Layout::Auto {
            frag.push_str(&format!("&layout={}", self.stage.layout.word()));
        }
        if self.embed {
            frag.push_str("&embed=1");
        }
        if let Some(keys) = self.lessons.link_keys() {
            frag.push('&');
            frag.push_str(&keys);
        }
        if let Ok(h) = window().history() {
            let url = format!("{}#{frag}", window().location().pathname().unwrap_or_default());
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
        }
    }

    /// A lesson step opened: run its sweep over its scenario, or drop the sweep
    /// an earlier step ran (it was of another scenario).
    fn start_step_sweep(&mut self) {
        match self.lessons.take_sweep() {
            Some(Some(s)) => self.sweep.start(&self.model, &s),
            Some(None) => self.sweep.end_step_sweep(),
            None => {}
        }
    }

    /// Do what a part asked; true when the page renders again.
    fn after(&mut self, effect: Effect) -> bool {
        if self.model.generation != self.generation {
            // Another scenario: its charts and canvases may differ, and its end is not yet reported.
            self.generation = self.model.generation;
            self.finished_reported = false;
            self.relayout = true;
            self.sweep.scenario_changed(&self.model);
        }
        if effect == Effect::Record {
            self.write_url();
        }
        self.relayout |= effect >= Effect::Relayout;
        if effect >= Effect::Redraw {
            self.drawn = u64::MAX;
        }
        self.draw();
        effect > Effect::Quiet
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

    /// Draw the canvases, if the model moved since they were drawn, and paint
    /// them into a recording under way. True when the recording stopped.
    fn draw(&mut self) -> bool {
        if self.drawn == self.model.version {
            return false;
        }
        self.drawn = self.model.version;
        self.stage.draw(&self.model, self.dark);
        self.plots.draw(&self.model, self.dark);
        let (graph, chart) = (self.stage.canvas(), self.plots.canvas(Picture::Coverage));
        self.recorder.recording() && self.recorder.capture(graph, chart, self.model.all_finished())
    }
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
        let lessons = Lessons::new(mounted);
        let in_lesson = lessons.open_flag();
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
            // Escape closes what is open, wherever the focus is.
            if (taken && key != "Escape") || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            // A lesson open: what a presentation clicker sends (Page Down / Page Up),
            // n / p, Home / End move between steps.
            let step = |m: StepMove| in_lesson.get().then_some(Msg::Lesson(LessonMsg::Move(m)));
            let msg = match key.as_str() {
                "PageDown" | "n" => step(StepMove::Next),
                "PageUp" | "p" => step(StepMove::Back),
                "Home" => step(StepMove::First),
                "End" => step(StepMove::Last),
                "Escape" => Some(Msg::Escape),
                " " => Some(Msg::Run(RunMsg::Toggle)),
                "ArrowRight" => Some(Msg::Run(RunMsg::Step)),
                "." => Some(Msg::Run(RunMsg::StepEvent)),
                "r" => Some(Msg::Run(RunMsg::Reset)),
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
            // Light and dark follow the system while the page is open.
            if let Ok(Some(query)) = window().match_media("(prefers-color-scheme: dark)") {
                let scheme_link = ctx.link().clone();
                let changed =
                    Closure::<dyn FnMut(web_sys::MediaQueryListEvent)>::new(move |e: web_sys::MediaQueryListEvent| {
                        scheme_link.send_message(Msg::Scheme(e.matches()))
                    });
                let _ = query.add_event_listener_with_callback("change", changed.as_ref().unchecked_ref());
                changed.forget();
            }
            reload.forget();
        }
        let mut app = App {
            stage: Stage::new(layout),
            plots: Plots::default(),
            settings: Settings::new(embed),
            runbar: Runbar::default(),
            share: Share::default(),
            lessons,
            sweep: SweepPanel::new(&model),
            claims: Claims::default(),
            recorder: Recorder::default(),
            generation: model.generation,
            model,
            last_ts: None,
            drawn: u64::MAX,
            shown: u64::MAX,
            relayout: true,
            dark,
            embed,
            framed: embed && !mounted,
            strip,
            _frame: frame,
            _keys: (!mounted).then_some(keys),
            alive,
            mounted,
            listeners: ctx.props().listeners.clone(),
            finished_reported: false,
        };
        if !mounted {
            let reply = ctx.link().callback(Msg::Lesson);
            // An embed shows no lessons unless its link opens one: it fetches none otherwise.
            if !app.embed || fragment.split('&').any(|kv| kv.starts_with("lesson=")) {
                fetch_built_in(reply.clone());
            }
            app.lessons.open_from_link(&mut app.model, &fragment, &reply);
            app.start_step_sweep();
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let m = &mut self.model;
        let effect = match msg {
            Msg::Frame(ts) => return self.frame(ts),
            Msg::Load(fragment) => {
                m.reopen(&fragment);
                Effect::Record
            }
            Msg::Resized => Effect::Relayout,
            Msg::Scheme(dark) => {
                self.dark = dark;
                Effect::Relayout
            }
            Msg::DismissErrors => {
                m.dismiss_errors();
                Effect::Render
            }
            Msg::Escape => {
                let reply = ctx.link().callback(Msg::Lesson);
                if self.lessons.presenting() {
                    self.lessons.update(m, LessonMsg::LeavePresenter, &reply)
                } else {
                    let closed = self.share.close() | self.lessons.close_picker();
                    if closed {
                        Effect::Relayout
                    } else {
                        Effect::Quiet
                    }
                }
            }
            Msg::Run(msg) => self.runbar.update(m, msg),
            Msg::Settings(msg) => {
                let generation = m.generation;
                let effect = self.settings.update(m, msg);
                // A setting may change what the scenario reports (a protocol, an attack);
                // a preset is a new scenario, which `after` sees.
                if effect == Effect::Record && self.model.generation == generation {
                    self.sweep.scenario_changed(&self.model);
                }
                effect
            }
            Msg::Graph(msg) => self.stage.update(m, msg),
            Msg::Plots(msg) => self.plots.update(m, msg),
            Msg::Share(msg) => {
                if matches!(msg, ShareMsg::Link) {
                    self.write_url(); // the link copied is the address bar's
                }
                let (stage, plots) = (&self.stage, &self.plots);
                let canvas = |p: Picture| if p == Picture::Graph { stage.canvas() } else { plots.canvas(p) };
                self.share.update(&self.model, msg, &canvas)
            }
            Msg::Lesson(msg) => {
                let effect = self.lessons.update(m, msg, &ctx.link().callback(Msg::Lesson));
                self.start_step_sweep();
                effect
            }
            Msg::Sweep(msg) => self.sweep.update(m, msg),
            Msg::Claims(msg) => self.claims.update(m, msg),
            Msg::Record(msg) => {
                let name = format!("gossip-lab-{}-seed{}", m.scenario.protocol, m.scenario.seed);
                let start = matches!(msg, RecordMsg::Start);
                let effect = self.recorder.update(msg, &name);
                // The video records the run as it moves: Record on a paused run plays
                // it, and on a finished one plays it again from the start.
                if start && self.recorder.recording() && !m.playing {
                    if m.all_finished() {
                        <Self as Component>::update(self, ctx, Msg::Run(RunMsg::Reset));
                    }
                    return <Self as Component>::update(self, ctx, Msg::Run(RunMsg::Play));
                }
                effect
            }
        };
        self.after(effect)
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let m = &self.model;
        let graph = link.callback(Msg::Graph);
        let settings = link.callback(Msg::Settings);
        let run = link.callback(Msg::Run);
        let lesson = link.callback(Msg::Lesson);
        // An embed says a refused control's value under the control itself; its
        // small frame keeps the banner for the rest (a bad link, a bad scenario).
        let at_field = |e: &String| {
            self.embed && m.drafts.iter().any(|(k, d)| &d.why == e && self.strip.iter().any(|p| p.key == k.as_str()))
        };
        let errors: Vec<&String> = m.errors.iter().filter(|e| !at_field(e)).collect();
        let figures = super::runbar::figures_now(m);
        // What a playground in another page (a region of it) or in a frame (a document) is called.
        let name = (self.mounted || self.framed)
            .then(|| format!("Gossip Lab: {}", m.scenario.to_fragment().trim_start_matches("v=1&")));
        // Beside the graph: the chart a lesson's step names, else coverage.
        let beside = Some(self.lessons.named_chart()).filter(|p| p.shown(m)).unwrap_or(Picture::Coverage);
        html! {
            <div class={classes!("app", self.embed.then_some("embed"), self.framed.then_some("framed"), self.lessons.presenting().then_some("presenting"), self.lessons.is_open().then_some("with-lesson"))}>
                if !self.embed {
                    <header>
                        <h1>{ "Gossip Lab" }</h1>
                        <p class="tagline">{ "Watch a rumor spread. Change fanout, loss and timing; click a node to inspect it, shift-click to crash or restart it." }</p>
                        <button data-testid="lessons" aria-expanded={self.lessons.picker_open().to_string()} onclick={lesson.reform(|_| LessonMsg::TogglePicker)}
                            title="Guided lessons with questions the page checks by running the simulator">{ "Lessons" }</button>
                    </header>
                    if self.lessons.picker_open() { { self.lessons.view_picker(&lesson) } }
                }
                if !errors.is_empty() {
                    <div class="error" role="alert" data-testid="error">
                        <ul>{ for errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
                        <button onclick={link.callback(|_| Msg::DismissErrors)} aria-label="Dismiss">{ "Dismiss" }</button>
                    </div>
                }
                { self.share.view_notes(&link.callback(Msg::Share)) }
                // The page's main landmark; a playground mounted into another page is
                // a region of it, named by its scenario (the host page has its own main,
                // and may hold several playgrounds).
                <@{if self.mounted { "div" } else { "main" }} class={classes!("app-main", self.lessons.look_classes())}
                    role={self.mounted.then_some("region")}
                    aria-label={name.clone().filter(|_| self.mounted)}>
                    if let (true, Some(name)) = (self.framed, &name) {
                        // An iframe is a document of its own: its heading says what it shows.
                        <h1 class="visually-hidden">{ name.clone() }</h1>
                    }
                    <section class="stage" aria-label={(!self.mounted).then_some("The cluster")}>
                        { self.runbar.view_toolbar(m, self.embed, &run, if self.embed { html! {} } else { self.recorder.view(&link.callback(Msg::Record)) }) }
                        { view_stats(m, figures.as_ref()) }
                        { self.settings.view_scale_hint(m, figures.as_ref(), &settings) }
                        if !self.embed {
                            <div class="viewbar" role="toolbar" aria-label="View">
                                { self.stage.view_tools(&graph) }
                                { self.share.view_tools(m, &link.callback(Msg::Share)) }
                            </div>
                        }
                        { self.stage.view(m, &graph) }
                        { view_legend(m, self.dark) }
                        { self.runbar.view_timeline(m, &run) }
                    </section>
                    if !self.embed {
                        <div class="side">
                            { self.lessons.view(&lesson) }
                            if self.lessons.step_sweeps() { { self.sweep.view_chart() } }
                            { self.settings.view_tune(m, &settings, self.plots.view_beside(m, beside)) }
                            { self.settings.view_all(m, &settings, html! {
                                <>
                                    { self.claims.view(&link.callback(Msg::Claims)) }
                                    { self.sweep.view(&link.callback(Msg::Sweep)) }
                                </>
                            }) }
                        </div>
                    }
                    { self.plots.view_more(m, &link.callback(Msg::Plots), if self.lessons.step_sweeps() { html! {} } else { self.sweep.view_chart() }, if self.embed { Picture::Coverage } else { beside }) }
                    // An embed: the coverage chart and the `controls=` settings beside the graph.
                    if self.embed {
                        <div class="embed-side">
                            { self.plots.view_coverage(m) }
                            if !self.strip.is_empty() { { self.settings.view_strip(m, &self.strip, &settings) } }
                        </div>
                    }
                </@>
            </div>
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        self.alive.set(false);
        // A frame may already be requested: the closure must outlive it (it returns at once).
        std::mem::forget(self._frame.clone());
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        self.lessons.rendered();
        // The first render, and any that may have changed a canvas's box.
        if first_render || std::mem::take(&mut self.relayout) {
            self.drawn = u64::MAX;
            self.draw();
            self.sweep.draw(self.dark, true);
        }
    }
}

impl App {
    /// One animation frame: the run, the canvases, the lesson's check, the
    /// sweep and the bench each take a slice of it.
    fn frame(&mut self, ts: f64) -> bool {
        let dt = self.last_ts.map_or(0.0, |l| (ts - l).max(0.0));
        self.last_ts = Some(ts);
        self.model.frame(dt, FRAME_BUDGET_MS, &now_ms);
        let stopped = self.draw();
        let worked = self.lessons.frame(&now_ms) | self.sweep.frame(&now_ms) | self.claims.frame(&self.model, &now_ms);
        self.sweep.draw(self.dark, false);
        // Re-render the text only when something changed.
        let changed = self.shown != self.model.version || worked || stopped;
        self.shown = self.model.version;
        if changed {
            self.notify();
        }
        changed
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
