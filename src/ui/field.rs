//! One setting's control: a select, a number or the fault schedule's text,
//! with its label, unit, range and meaning, and (part-way through a run) what a
//! change will do. Used by the three live settings beside the graph, by every
//! other setting in the side column, and by an embed's `controls=` strip.

use yew::prelude::*;

use crate::scenario::{Kind, Live, ParamSpec, PAGE_NODES_MAX};

/// What the field reports: a value committed (Enter, leaving the field, a
/// choice), or the text as it is being typed.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldEvent {
    Commit(&'static str, String),
    Typing(&'static str, String),
    /// A value that could not be had (an edge list's address did not answer): the field, the value and why.
    Refused(&'static str, String, String),
}

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    pub spec: &'static ParamSpec,
    /// The text shown: what is being typed, a refused value kept, or the setting's value.
    pub value: String,
    /// The value shown was refused, and why (said under the control, as in the banner).
    pub error: Option<String>,
    /// Part-way through a run: whether a change goes on live or restarts (None: say nothing).
    #[prop_or_default]
    pub effect: Option<Live>,
    /// Show the range and meaning under the control.
    #[prop_or(true)]
    pub help: bool,
    pub on_event: Callback<FieldEvent>,
}

/// The text of an input or select that fired `e`.
pub fn input_value(e: &Event) -> String {
    use wasm_bindgen::JsCast;
    let t = e.target();
    if let Some(i) = t.clone().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        return i.value();
    }
    if let Some(s) = t.clone().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
        return s.value();
    }
    t.and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()).map(|a| a.value()).unwrap_or_default()
}

#[function_component(ParamField)]
pub fn param_field(props: &FieldProps) -> Html {
    let p = props.spec;
    let key = p.key;
    let testid = format!("param-{key}");
    let id = format!("p-{key}");
    let value = props.value.clone();
    let invalid = props.error.is_some().to_string();
    let error_id = format!("e-{key}");
    let described = props.error.is_some().then(|| error_id.clone());
    let commit = props.on_event.reform(move |e: Event| FieldEvent::Commit(key, input_value(&e)));
    let typing = props.on_event.reform(move |e: InputEvent| FieldEvent::Typing(key, input_value(&e)));
    let control = match p.kind {
        Kind::Choice(words) => html! {
            <select id={id.clone()} data-testid={testid} onchange={commit}>
                { for words.iter().map(|w| html! { <option value={*w} selected={*w == value}>{ *w }</option> }) }
            </select>
        },
        Kind::Int { min, max } => html! {
            <input id={id.clone()} data-testid={testid} type="number" inputmode="numeric" min={min.to_string()}
                max={if key == "nodes" { PAGE_NODES_MAX.to_string() } else { max.to_string() }} step="1"
                value={value} aria-invalid={invalid.clone()} aria-describedby={described.clone()} onchange={commit} oninput={typing} />
        },
        Kind::Float { min, max } => html! {
            <input id={id.clone()} data-testid={testid} type="number" inputmode="decimal" min={min.to_string()} max={max.to_string()} step="any"
                value={value} aria-invalid={invalid.clone()} aria-describedby={described.clone()} onchange={commit} oninput={typing} />
        },
        Kind::Schedule => html! {
            <input id={id.clone()} data-testid={testid} type="text" spellcheck="false" placeholder="crash:3@5s,restart:3@9s"
                value={value} aria-invalid={invalid.clone()} aria-describedby={described.clone()} onchange={commit} oninput={typing} />
        },
        Kind::Edges | Kind::Matrix => {
            // An address pasted alone is fetched, and its text is the value.
            let on_event = props.on_event.clone();
            let commit = Callback::from(move |e: Event| {
                let text = input_value(&e);
                let url = text.trim();
                if (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace) {
                    let (url, on_event) = (url.to_string(), on_event.clone());
                    let request = super::effect::fetch_text(&url);
                    wasm_bindgen_futures::spawn_local(async move {
                        match request.await {
                            Ok(body) => on_event.emit(FieldEvent::Commit(key, body)),
                            Err(why) => {
                                on_event.emit(FieldEvent::Refused(key, url, format!("could not load it: {why}")))
                            }
                        }
                    });
                } else {
                    on_event.emit(FieldEvent::Commit(key, text));
                }
            });
            // The link's compact form, a line per link or row, to read and edit.
            let (shown, placeholder) = match (value.contains('\n'), p.kind) {
                (true, _) => (value, ""),
                (false, Kind::Edges) => (
                    value.replace(',', "\n").replace('-', " "),
                    "0 1\n1 2\n2 0\n(or paste an address: https://…/graph.txt)",
                ),
                (false, _) => {
                    (value.replace(';', "\n"), "east: 0, 70, 140\nwest: 70, 0, 90\nasia: 140, 90, 0\n(or an address)")
                }
            };
            html! {
                <textarea id={id.clone()} data-testid={testid} spellcheck="false" rows="5" placeholder={placeholder}
                    value={shown} aria-invalid={invalid} aria-describedby={described} onchange={commit} oninput={typing} />
            }
        }
    };
    let range = match p.kind {
        // The page runs fewer nodes than the command line.
        Kind::Int { min, .. } if key == "nodes" => format!("{min}–{PAGE_NODES_MAX}. "),
        Kind::Int { min, max } => format!("{min}–{max}. "),
        Kind::Float { min, max } => format!("{min}–{max}. "),
        _ => String::new(),
    };
    let effect = match props.effect {
        Some(Live::Live) => html! { <span class="effect live">{ "live" }</span> },
        Some(Live::Restarts) => html! { <span class="effect restarts">{ "restarts the run" }</span> },
        None => html! {},
    };
    let unit = if p.unit.is_empty() {
        html! {}
    } else {
        html! { <span class="unit">{ format!(" ({})", p.unit) }</span> }
    };
    html! {
        <div class={classes!("param", matches!(p.kind, Kind::Schedule | Kind::Edges | Kind::Matrix).then_some("wide"))} title={p.doc}>
            <label for={id}>{ p.label }{ unit }{ effect }</label>
            { control }
            if let Some(why) = &props.error {
                <small class="field-error" id={error_id} data-testid={format!("error-{key}")}>{ why.clone() }</small>
            }
            if props.help { <small class="help">{ range }{ p.doc }</small> }
        </div>
    }
}
