//! The timeline: scrub to any moment of the run reached so far; the run there
//! is the exact replay of its scenario (with every change made while it ran).

use yew::prelude::*;

use super::field::input_value;

pub use crate::metrics::format_ms;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// Where the run is (virtual ms), and the furthest it has been.
    pub now_ms: f64,
    pub horizon_ms: f64,
    /// One interval (ms): what an arrow key moves.
    pub step_ms: f64,
    /// Asked to go to this virtual time (ms).
    pub on_seek: Callback<f64>,
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let on_seek = props.on_seek.reform(|e: InputEvent| input_value(&e).parse().unwrap_or(0.0));
    html! {
        <label class="timeline" title="Scrub back to any earlier moment of this run; the run replays exactly. Arrow keys move one interval">
            <span>{ "Time" }</span>
            <input type="range" data-testid="timeline" aria-label="Timeline" min="0" max={props.horizon_ms.to_string()}
                step={props.step_ms.max(1.0).to_string()} value={props.now_ms.to_string()} oninput={on_seek} disabled={props.horizon_ms == 0.0}
                aria-valuetext={format!("{} of {}", format_ms(props.now_ms), format_ms(props.horizon_ms))} />
            <span class="t">{ format!("{} / {}", format_ms(props.now_ms), format_ms(props.horizon_ms)) }</span>
        </label>
    }
}
