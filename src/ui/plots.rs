//! The charts: coverage (the one chart every run has, kept beside the graph)
//! and the others below the stage: messages, bytes, the protocol's own
//! figure, detection times.

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::chart::{draw_coverage, draw_detections, draw_messages, draw_protocol_series, draw_queue, Other};
use super::effect::Effect;
use super::model::{series_name, Playground};
use super::share::Picture;

pub enum PlotsMsg {
    /// Forget the earlier runs drawn faintly on the coverage chart.
    ClearEarlier,
}

#[derive(Default)]
pub struct Plots {
    coverage: NodeRef,
    messages: NodeRef,
    bytes: NodeRef,
    protocol: NodeRef,
    detections: NodeRef,
    queue: NodeRef,
}

impl Plots {
    pub fn update(&mut self, model: &mut Playground, msg: PlotsMsg) -> Effect {
        match msg {
            PlotsMsg::ClearEarlier => model.clear_comparison(),
        }
        Effect::Relayout
    }

    /// A chart's canvas (for a PNG); the graph is the stage's.
    pub fn canvas(&self, p: Picture) -> Option<HtmlCanvasElement> {
        match p {
            Picture::Graph => None,
            Picture::Coverage => self.coverage.cast(),
            Picture::Messages => self.messages.cast(),
            Picture::Bytes => self.bytes.cast(),
            Picture::Protocol => self.protocol.cast(),
            Picture::Detections => self.detections.cast(),
            Picture::Queue => self.queue.cast(),
        }
    }

    /// Draw every chart on the page as the model has it now.
    pub fn draw(&self, model: &Playground, dark: bool) {
        // Canvas pixels per CSS pixel, times the page's type scale (larger when presenting).
        let scale = super::graph::text_scale();
        let fit = |r: &NodeRef| r.cast::<HtmlCanvasElement>().map(|c| (super::graph::fit(&c) * scale, c));
        if let Some((dpr, c)) = fit(&self.coverage) {
            let other = model.compare.as_ref().map(|a| Other { series: a.sim().series(), theory: &a.theory });
            let series = model.sim().series();
            draw_coverage(&c, dpr, series, &model.theory, &model.past, &model.changes(), other.as_ref(), dark);
        }
        if let (Some((dpr, c)), Some(name)) = (fit(&self.protocol), series_name(&model.scenario)) {
            let all = model.sim().protocol_series();
            let values = all.iter().find(|(k, _)| *k == name).map_or(&[][..], |(_, v)| &v[..]);
            // Variant A's series of the same name, when it has one.
            let a_all = model.compare.as_ref().map(|a| a.sim().protocol_series()).unwrap_or_default();
            let other = a_all.iter().find(|(k, _)| *k == name).map(|(_, v)| &v[..]);
            let rate = crate::protocol::aggregate::theory_rate(&model.scenario);
            draw_protocol_series(&c, dpr, name, values, other, rate, dark);
        }
        if let Some((dpr, c)) = fit(&self.detections) {
            draw_detections(&c, dpr, model.sim().detections(), dark);
        }
        if let Some((dpr, c)) = fit(&self.queue) {
            let s = model.current();
            let series = model.sim().series();
            // The burst estimate for the settings in force and the run's mean message size so far.
            let estimate = series.points.last().filter(|p| p.msgs > 0 && s.uplink_bytes_per_s > 0.0).and_then(|p| {
                let bytes = p.bytes as f64 / p.msgs as f64;
                Some(crate::theory::uplink_wait(s.fanout, f64::from(s.interval_ms), bytes, s.uplink_bytes_per_s))
            });
            draw_queue(&c, dpr, series, estimate, dark);
        }
        for (r, bytes) in [(&self.messages, false), (&self.bytes, true)] {
            if let Some((dpr, c)) = fit(r) {
                draw_messages(&c, dpr, model.sim().series(), model.scenario.nodes, bytes, dark);
            }
        }
    }

    /// The coverage chart, with its key under it so it never covers a curve.
    pub fn view_coverage(&self, model: &Playground) -> Html {
        let (covered, _) = model.scenario.coverage_meaning();
        let ab = model.compare.is_some();
        html! {
            <figure class="coverage">
                <canvas ref={self.coverage.clone()} data-testid="chart-coverage" class="chart" role="img"
                    aria-label={format!("Share of live nodes {covered} per round: measured (solid), mean-field theory (dashed), live changes marked")}></canvas>
                <figcaption class="chart-key" data-testid="chart-key">
                    <span class="key measured" title={format!("The share of live nodes {covered}, measured in this run")}>
                        { if ab { "B measured" } else { "measured" } }</span>
                    if ab { <span class="key a" title="Variant A, measured">{ "A measured" }</span> }
                    if !model.theory.is_empty() {
                        <span class="key theory" tabindex="0" title="Mean-field theory: the expected share per round when every node meets random peers, for this spread, fanout, loss and stop rule (Demers et al. 1987). After a live change it continues from the measured state under the new value.">
                            { if ab { "B theory" } else { "theory" } }</span>
                    }
                    if model.compare.as_ref().is_some_and(|a| !a.theory.is_empty()) {
                        <span class="key theory a-theory" title="Mean-field theory for variant A's settings">{ "A theory" }</span>
                    }
                    if !model.past.is_empty() { <span class="key past" title="Earlier runs, before the last settings change that restarted the run">{ "earlier runs" }</span> }
                    if !model.changes().is_empty() { <span class="key change" title="A live change: the setting and its new value, from that round on">{ "change" }</span> }
                </figcaption>
            </figure>
        }
    }

    /// The chart beside the graph: coverage, or the one a lesson's step names.
    pub fn view_beside(&self, model: &Playground, p: Picture) -> Html {
        match p {
            Picture::Coverage | Picture::Graph => self.view_coverage(model),
            p => html! { <figure class="coverage">{ self.view_canvas(p) }</figure> },
        }
    }

    /// The charts below the stage but `beside`; `extra` follows them (the A/B table, a sweep).
    pub fn view_more(&self, model: &Playground, cb: &Callback<PlotsMsg>, extra: Html, beside: Picture) -> Html {
        let past = model.past.len();
        let below = [
            Picture::Coverage,
            Picture::Messages,
            Picture::Bytes,
            Picture::Queue,
            Picture::Protocol,
            Picture::Detections,
        ];
        html! {
            <section class="charts" aria-label="More charts">
                if past > 0 {
                    <button class="link" data-testid="clear-comparison" onclick={cb.reform(|_| PlotsMsg::ClearEarlier)}>
                        { format!("Clear {past} earlier run{} from the chart", if past == 1 { "" } else { "s" }) }
                    </button>
                }
                { for below.into_iter().filter(|p| *p != beside && p.shown(model)).map(|p| match p {
                    Picture::Coverage => self.view_coverage(model),
                    p => self.view_canvas(p),
                }) }
                { view_compare_table(model) }
                { extra }
            </section>
        }
    }

    /// One of the smaller charts.
    fn view_canvas(&self, p: Picture) -> Html {
        let (node, label) = match p {
            Picture::Messages => (&self.messages, "Messages per round"),
            Picture::Bytes => (&self.bytes, "Bytes per round"),
            Picture::Protocol => (&self.protocol, "The protocol's own figure per round"),
            Picture::Detections => (&self.detections, "Detection times of crashed nodes"),
            Picture::Queue => (&self.queue, "Time messages waited in their sender's send queue, per round"),
            Picture::Coverage | Picture::Graph => return html! {},
        };
        html! { <canvas ref={node.clone()} data-testid={p.id()} class="chart small" role="img" aria-label={label}></canvas> }
    }
}

/// The A/B figures side by side, on the same seed.
fn view_compare_table(model: &Playground) -> Html {
    let rows = model.compare_rows();
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
