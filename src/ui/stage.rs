//! The stage: the propagation graph (or A and B side by side), what the pointer
//! and the keyboard do on it, its view tools, the node inspector over it, and
//! the legend of its colours.

use wasm_bindgen::JsValue;
use web_sys::{HtmlCanvasElement, KeyboardEvent, WheelEvent};
use yew::prelude::*;

use super::effect::{canvas_point, filter, window, Effect};
use super::field::input_value;
use super::graph::{context, css, fit, Graph, Layout, PALETTE};
use super::inspector::{Inspector, InspectorAction};
use super::model::Playground;
use crate::protocol::NodeState;
use crate::scenario::{ProtocolKind, Scenario};

/// Most nodes whose topology links are gathered each frame to be drawn.
const LINK_NODES_MAX: usize = 5000;

pub enum GraphMsg {
    /// A click: select (inspect), or with shift / alt crash or restart.
    Click(f64, f64, bool),
    /// Pointer on the graph (canvas pixels): pressed, moved (with a button held), released, gone.
    Down(f64, f64),
    Move(f64, f64, bool),
    Up(f64, f64),
    Leave,
    /// Zoom by a factor about a canvas point (the wheel), or about the centre (buttons).
    Zoom(f64, Option<(f64, f64)>),
    ResetView,
    Layout(Layout),
    /// Dragging on the graph cuts a partition instead of panning.
    ToggleCut,
    Heal,
    /// Choose the node this many ids after the chosen one (wrapping; 0: the chosen one, or node 0).
    SelectBy(i64),
    /// Choose the nearest node on screen in this direction (x right, y down) from the chosen one.
    SelectTowards(f64, f64),
    /// What the inspector (or a key on the graph) asks of the chosen node.
    Node(InspectorAction),
}

/// A drag on the graph: where it started, where it is, whether it moved enough to count.
#[derive(Clone, Copy, Debug)]
struct Drag {
    start: (f64, f64),
    last: (f64, f64),
    moved: bool,
}

pub struct Stage {
    graph: Graph,
    graph_ref: NodeRef,
    /// Variant A's graph, when comparing.
    graph_a: Graph,
    graph_a_ref: NodeRef,
    pub layout: Layout,
    cut_mode: bool,
    drag: Option<Drag>,
    /// A drag just ended: the click that follows it is not a click.
    swallow_click: bool,
    /// The node under the pointer, and where (CSS pixels) to show its summary.
    hover: Option<(u32, f64, f64)>,
    /// The key the inspector sets or deletes (membership).
    key_choice: u16,
    /// The links the graph follows (views or the topology's), gathered once a
    /// round of a run (model generation, round, and whether the layout follows
    /// links), not every frame.
    links: ((u64, u32, bool), Vec<(u32, u32)>),
}

impl Stage {
    pub fn new(layout: Layout) -> Self {
        let mut graph = Graph::new();
        graph.set_layout(layout);
        Stage {
            graph,
            graph_ref: NodeRef::default(),
            graph_a: Graph::new(),
            graph_a_ref: NodeRef::default(),
            layout,
            cut_mode: false,
            drag: None,
            swallow_click: false,
            hover: None,
            key_choice: 0,
            links: ((u64::MAX, 0, false), Vec::new()),
        }
    }

    /// The main graph's canvas (for a PNG).
    pub fn canvas(&self) -> Option<HtmlCanvasElement> {
        self.graph_ref.cast()
    }

    pub fn update(&mut self, model: &mut Playground, msg: GraphMsg) -> Effect {
        match msg {
            GraphMsg::Click(x, y, act) => {
                if std::mem::take(&mut self.swallow_click) {
                    return Effect::Quiet; // the end of a drag, not a click
                }
                match (self.graph.hit(x, y), act) {
                    (Some(n), true) => {
                        model.toggle_node(n);
                        return Effect::Record;
                    }
                    (node, _) => model.select(node),
                }
                Effect::Redraw
            }
            GraphMsg::Down(x, y) => {
                self.drag = Some(Drag { start: (x, y), last: (x, y), moved: false });
                self.swallow_click = false;
                Effect::Quiet
            }
            GraphMsg::Move(x, y, pressed) => match (&mut self.drag, pressed) {
                (Some(d), true) => {
                    d.moved |= (x - d.start.0).abs() + (y - d.start.1).abs() > 6.0;
                    if d.moved && !self.cut_mode {
                        self.graph.pan_by(x - d.last.0, y - d.last.1);
                    }
                    d.last = (x, y);
                    self.hover = None;
                    Effect::Redraw
                }
                _ => {
                    self.drag = None;
                    let dpr = window().device_pixel_ratio();
                    let hover = self.graph.hit(x, y).map(|n| (n, x / dpr, y / dpr));
                    if hover.map(|h| h.0) == self.hover.map(|h| h.0) {
                        return Effect::Quiet;
                    }
                    self.hover = hover;
                    Effect::Render
                }
            },
            GraphMsg::Up(x, y) => {
                let Some(d) = self.drag.take().filter(|d| d.moved) else { return Effect::Redraw };
                self.swallow_click = true;
                if !self.cut_mode {
                    return Effect::Redraw;
                }
                self.cut_mode = false;
                let nodes = self.graph.nodes_in(d.start.0, d.start.1, x, y);
                if model.partition(nodes) {
                    Effect::Record
                } else {
                    Effect::Redraw
                }
            }
            GraphMsg::Leave => {
                self.hover = None;
                self.drag = None;
                Effect::Redraw
            }
            GraphMsg::Zoom(factor, at) => {
                let (x, y) = at.unwrap_or_else(|| {
                    self.canvas().map_or((0.0, 0.0), |c| (f64::from(c.width()) / 2.0, f64::from(c.height()) / 2.0))
                });
                self.graph.zoom_at(factor, x, y);
                Effect::Redraw
            }
            GraphMsg::ResetView => {
                self.graph.reset_view();
                Effect::Redraw
            }
            GraphMsg::Layout(l) => {
                self.layout = l;
                self.graph.set_layout(l);
                Effect::Record
            }
            GraphMsg::ToggleCut => {
                self.cut_mode = !self.cut_mode;
                Effect::Render
            }
            GraphMsg::Heal => {
                model.heal();
                Effect::Record
            }
            GraphMsg::SelectBy(d) => {
                let ids = i64::from(model.sim().ids()).max(1);
                let next = model.selected.map_or(if d < 0 { ids - 1 } else { 0 }, |n| {
                    if d == 0 {
                        i64::from(n)
                    } else {
                        (i64::from(n) + d).rem_euclid(ids)
                    }
                });
                model.select(Some(next as u32));
                Effect::Redraw
            }
            GraphMsg::SelectTowards(dx, dy) => {
                let Some(n) = model.selected else { return self.update(model, GraphMsg::SelectBy(0)) };
                // At the edge in that direction the choice stays where it is.
                if let Some(next) = self.graph.towards(n, (dx, dy)) {
                    model.select(Some(next));
                }
                Effect::Redraw
            }
            GraphMsg::Node(action) => self.act(model, action),
        }
    }

    /// What the inspector asks of the chosen node.
    fn act(&mut self, model: &mut Playground, action: InspectorAction) -> Effect {
        if let InspectorAction::Key(k) = action {
            self.key_choice = k;
            return Effect::Render;
        }
        if action == InspectorAction::Close {
            model.select(None);
            return Effect::Redraw;
        }
        let Some(n) = model.selected else { return Effect::Quiet };
        let changed = match action {
            InspectorAction::Toggle => {
                model.toggle_node(n);
                true
            }
            InspectorAction::Isolate => model.partition(vec![n]),
            InspectorAction::Write(delete) => {
                let key = model.scenario.gossips_membership().then_some(self.key_choice);
                model.write_at(n, key, delete).is_ok()
            }
            InspectorAction::Key(_) | InspectorAction::Close => false,
        };
        if changed {
            Effect::Record
        } else {
            Effect::Render
        }
    }

    /// Draw the graph (and variant A's) as the model has them now.
    pub fn draw(&mut self, model: &Playground, dark: bool) {
        if let Some(c) = self.canvas() {
            fit(&c);
            self.graph.set_shape(&model.scenario);
            // The views (partial) or the topology's links: what the force layout
            // pulls along, and for a topology, drawn under the messages.
            let n = model.states.len();
            let topology = model.scenario.topology != crate::scenario::Topology::Full;
            let follows = self.graph.follows_links(n);
            let at = (model.generation, model.sim().round(), follows);
            if self.links.0 != at {
                let mut links = Vec::new();
                if follows || (topology && n <= LINK_NODES_MAX) {
                    for a in 0..n as u32 {
                        links.extend(model.sim().view_of(a).into_iter().map(|b| (a, b)));
                    }
                }
                let drawn = if topology { links.iter().copied().filter(|&(a, b)| a < b).collect() } else { Vec::new() };
                self.graph.set_links(drawn);
                self.links = (at, links);
            }
            self.graph.relax(&self.links.1);
            let window_us = u64::from(model.current().interval_ms) * 1000;
            self.graph.draw(&c, &model.states, &model.edges, model.sim().now_us(), window_us, model.selected, dark);
            // The rectangle being dragged to cut a partition.
            if let (true, Some(d), Some(g)) = (self.cut_mode, self.drag, context(&c)) {
                let (x, y) = (d.start.0.min(d.last.0), d.start.1.min(d.last.1));
                let (w, h) = ((d.last.0 - d.start.0).abs(), (d.last.1 - d.start.1).abs());
                g.set_stroke_style_str(if dark { "#f8fafc" } else { "#0f172a" });
                g.set_line_width(1.5);
                let dash = js_sys::Array::of2(&JsValue::from(5.0), &JsValue::from(4.0));
                let _ = g.set_line_dash(&dash);
                g.stroke_rect(x, y, w, h);
                let _ = g.set_line_dash(&js_sys::Array::new());
            }
        }
        if let (Some(a), Some(c)) = (&model.compare, self.graph_a_ref.cast::<HtmlCanvasElement>()) {
            fit(&c);
            let window_us = u64::from(a.scenario.interval_ms) * 1000;
            self.graph_a.set_shape(&a.scenario);
            self.graph_a.draw(&c, &a.states, &a.edges, a.sim().now_us(), window_us, None, dark);
        }
    }

    /// The graph (or A and B side by side) with the inspector over it.
    pub fn view(&self, model: &Playground, cb: &Callback<GraphMsg>) -> Html {
        html! {
            <div class="graph-area">
                if model.compare.is_some() {
                    { self.view_duo(model, cb) }
                } else {
                    { self.view_graph(model, cb, "Propagation graph: click a node to inspect it, shift-click to crash or restart it, drag to pan, wheel to zoom") }
                }
                { self.view_inspector(model, cb) }
            </div>
        }
    }

    /// The main graph canvas with its pointer handlers and the hovered node's summary.
    fn view_graph(&self, model: &Playground, cb: &Callback<GraphMsg>, label: &'static str) -> Html {
        let on_click = cb.reform(|e: MouseEvent| {
            let (x, y) = canvas_point(&e);
            GraphMsg::Click(x, y, e.shift_key() || e.alt_key())
        });
        let down = cb.reform(|e: MouseEvent| {
            let (x, y) = canvas_point(&e);
            GraphMsg::Down(x, y)
        });
        let moved = cb.reform(|e: MouseEvent| {
            let (x, y) = canvas_point(&e);
            GraphMsg::Move(x, y, e.buttons() & 1 == 1)
        });
        let up = cb.reform(|e: MouseEvent| {
            let (x, y) = canvas_point(&e);
            GraphMsg::Up(x, y)
        });
        let leave = cb.reform(|_: MouseEvent| GraphMsg::Leave);
        let on_wheel = cb.reform(|e: WheelEvent| {
            e.prevent_default();
            let factor = if e.delta_y() < 0.0 { 1.25 } else { 0.8 };
            GraphMsg::Zoom(factor, Some(canvas_point(&e)))
        });
        let hover = self.hover.and_then(|(n, x, y)| {
            let state = *model.states.get(n as usize)?;
            let st = NodeState::ALL.iter().find(|s| **s as u8 == state)?;
            Some((n, x, y, state_label(*st, &model.scenario)))
        });
        // From the keyboard: arrows move the chosen node (the inspector follows it),
        // c crashes or restarts it, x cuts it off, Escape lets it go.
        let on_key = filter(cb, |e: KeyboardEvent| {
            let msg = match e.key().as_str() {
                "ArrowRight" => GraphMsg::SelectTowards(1.0, 0.0),
                "ArrowLeft" => GraphMsg::SelectTowards(-1.0, 0.0),
                "ArrowDown" => GraphMsg::SelectTowards(0.0, 1.0),
                "ArrowUp" => GraphMsg::SelectTowards(0.0, -1.0),
                // [ and ] walk the ids in order.
                "]" => GraphMsg::SelectBy(1),
                "[" => GraphMsg::SelectBy(-1),
                "Enter" => GraphMsg::SelectBy(0),
                "c" => GraphMsg::Node(InspectorAction::Toggle),
                "x" => GraphMsg::Node(InspectorAction::Isolate),
                "Escape" => GraphMsg::Node(InspectorAction::Close),
                _ => return None,
            };
            e.prevent_default();
            e.stop_propagation();
            Some(msg)
        });
        let label = match model.selected {
            Some(n) => {
                format!("{label}. Node {n} chosen: arrows choose the nearest node that way, [ and ] the next id, c crashes or restarts it, Escape lets it go")
            }
            None => format!("{label}. Keyboard: arrows choose a node, c crashes or restarts it"),
        };
        html! {
            <div class={classes!("graph-wrap", self.cut_mode.then_some("cutting"))}>
                <canvas ref={self.graph_ref.clone()} data-testid="graph" class="graph" onclick={on_click}
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

    /// Variant A and B side by side, each captioned with the settings that differ.
    fn view_duo(&self, model: &Playground, cb: &Callback<GraphMsg>) -> Html {
        let diffs = model.differences();
        // Live changes are B's alone (A stays as pinned): named, not spelt out as a schedule.
        let b_changes = model.changes().len();
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
                    { self.view_graph(model, cb, "Variant B's propagation graph: click a node to inspect, shift-click to crash it in both") }
                </figure>
            </div>
        }
    }

    fn view_inspector(&self, model: &Playground, cb: &Callback<GraphMsg>) -> Html {
        let Some(rows) = model.inspect() else {
            return html! {};
        };
        let sc = &model.scenario;
        let write = match sc.protocol {
            ProtocolKind::Swim | ProtocolKind::Aggregate => None,
            ProtocolKind::Rumor => Some("Start a rumor here"),
            ProtocolKind::AntiEntropy => Some("Write a key here"),
            ProtocolKind::Broadcast => Some("Broadcast a message here"),
            _ => Some("Set the key"),
        };
        let keys = sc.gossips_membership().then_some((sc.app_keys as u16, self.key_choice));
        html! { <Inspector rows={rows} write={write} keys={keys} on_action={cb.reform(GraphMsg::Node)} /> }
    }

    /// Layout, zoom, and the partition tools, above the graph.
    pub fn view_tools(&self, cb: &Callback<GraphMsg>) -> Html {
        let on_layout = filter(cb, |e: Event| Layout::from_word(&input_value(&e)).map(GraphMsg::Layout));
        let send = |m: fn() -> GraphMsg| cb.reform(move |_: MouseEvent| m());
        html! {
            <>
                <label>{ "Layout " }
                    <select data-testid="layout" onchange={on_layout} aria-label="Layout"
                        title="How nodes are placed. Automatic follows the cluster: regions as groups, a ring as a circle, a torus as its grid, another graph by its links. Force pulls each node towards its peers: its partial view (view=partial) or its topology's neighbours, up to 1500 nodes">
                        { for Layout::ALL.iter().map(|(l, w, label)| html! { <option value={*w} selected={*l == self.layout}>{ *label }</option> }) }
                    </select>
                </label>
                <button data-testid="zoom-in" onclick={send(|| GraphMsg::Zoom(1.5, None))} aria-label="Zoom in" title="Zoom in (or the mouse wheel over the graph)">{ "+" }</button>
                <button data-testid="zoom-out" onclick={send(|| GraphMsg::Zoom(1.0 / 1.5, None))} aria-label="Zoom out" title="Zoom out">{ "−" }</button>
                <button data-testid="reset-view" onclick={send(|| GraphMsg::ResetView)} disabled={!self.graph.is_zoomed()} title="Back to the whole cluster (drag the graph to pan)">{ "Fit" }</button>
                <button data-testid="cut" aria-pressed={self.cut_mode.to_string()} class={classes!(self.cut_mode.then_some("active"))}
                    onclick={send(|| GraphMsg::ToggleCut)}
                    title="Then drag a rectangle on the graph: the nodes inside are cut off from the rest (recorded in the link)">
                    // One label in both states, so the bar never reflows under the pointer.
                    { "Cut a partition" }
                </button>
                <button data-testid="heal" onclick={send(|| GraphMsg::Heal)} title="Remove every partition and cut now (recorded in the link)">{ "Heal" }</button>
            </>
        }
    }
}

/// What the colours mean, with how many nodes each holds now: the line reads
/// the run as it changes ("180 susceptible · 20 spreading · 0 stopped").
pub fn view_legend(model: &Playground, dark: bool) -> Html {
    let mut counts = [0u32; NodeState::ALL.len()];
    for &st in &model.states {
        if let Some(c) = counts.get_mut(st as usize) {
            *c += 1;
        }
    }
    html! {
        <ul class="legend" aria-label="Node colours, with how many nodes are in each state now" data-testid="legend">
            if model.compare.is_some() { <li class="who-note" title="The counts are variant B's; A's graph uses the same colours">{ "B:" }</li> }
            { for NodeState::ALL.iter().filter(|s| match s {
                NodeState::Absent => false,
                NodeState::Unnoticed => model.scenario.membership_like(),
                NodeState::Suspected => model.scenario.protocol == ProtocolKind::Swim,
                _ => true,
            }).map(|s| {
                let rgb = if dark { PALETTE[*s as usize].1 } else { PALETTE[*s as usize].0 };
                html! {
                    <li><span class="dot" style={format!("background:{}", css(rgb))}></span>
                        <b>{ counts[*s as usize] }</b>{ format!(" {}", state_label(*s, &model.scenario)) }</li>
                }
            }) }
            <li><span class="line"></span>{ "message (red: lost)" }</li>
        </ul>
    }
}

/// What a node colour means for the scenario's protocol and workload.
fn state_label(s: NodeState, sc: &Scenario) -> &'static str {
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
