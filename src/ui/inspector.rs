//! The node inspector: what the chosen node holds and has done, and what can
//! be done to it (crash or restart, write an update, set or delete a key).
//! It opens over the graph's corner, so it is in view wherever the node is.

use yew::prelude::*;

use super::field::input_value;

/// What the inspector asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InspectorAction {
    /// Crash the node, or restart it if it is down.
    Toggle,
    /// Write a new update here (true: delete the chosen key).
    Write(bool),
    /// The membership key the write and delete buttons act on.
    Key(u16),
    /// Cut the node off from the rest (a partition of one; Heal ends it).
    Isolate,
    Close,
}

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// Label and value rows, from the engine and the protocol.
    pub rows: Vec<(&'static str, String)>,
    /// What "write here" does for this protocol (None: it writes nothing).
    pub write: Option<&'static str>,
    /// Membership: the node's keys, and the one chosen.
    pub keys: Option<(u16, u16)>,
    pub on_action: Callback<InspectorAction>,
}

#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let down = props.rows.iter().any(|(k, v)| *k == "status" && v != "up");
    let act = |a: InspectorAction| props.on_action.reform(move |_: MouseEvent| a);
    let on_key = props.on_action.reform(|e: Event| InspectorAction::Key(input_value(&e).parse().unwrap_or(0)));
    html! {
        <section class="inspector" data-testid="inspector" aria-label="Node inspector">
            <table>
                { for props.rows.iter().map(|(k, v)| html! { <tr><th scope="row">{ *k }</th><td>{ v }</td></tr> }) }
            </table>
            <div class="inspector-actions">
                <button data-testid="inspector-crash" onclick={act(InspectorAction::Toggle)} title="Also the c key on the graph">
                    { if down { "Restart node" } else { "Crash node" } }
                </button>
                if let (false, Some(label)) = (down, props.write) {
                    <button data-testid="inspector-write" onclick={act(InspectorAction::Write(false))}
                        title="Write a new update here now (recorded in the link)">{ label }</button>
                    if let Some((count, chosen)) = props.keys {
                        <label class="key-choice">{ "key " }
                            <select data-testid="inspector-key" aria-label="Key to set or delete" onchange={on_key}>
                                { for (0..count).map(|k| html! { <option value={k.to_string()} selected={k == chosen}>{ k }</option> }) }
                            </select>
                        </label>
                        <button data-testid="inspector-delete" onclick={act(InspectorAction::Write(true))}
                            title="Delete this key at this node (a tombstone; watch it reach the others)">{ "Delete the key" }</button>
                    }
                }
                if !down {
                    <button data-testid="inspector-isolate" onclick={act(InspectorAction::Isolate)}
                        title="Cut this node off from the others (a partition; Heal ends it). Also the x key on the graph">{ "Cut it off" }</button>
                }
                <button onclick={act(InspectorAction::Close)} aria-label="Close inspector" title="Also Escape on the graph">{ "Close" }</button>
            </div>
        </section>
    }
}
