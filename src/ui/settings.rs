//! The settings: the three the product is about beside the graph ("Change it
//! while it runs"), every other setting of the chosen protocol in the side
//! column, the presets, and an embed's `controls=` strip.

use yew::prelude::*;

use super::effect::Effect;
use super::field::{input_value, FieldEvent, ParamField};
use super::model::{Playground, PRESETS};
use crate::scenario::{Group, Live, ParamSpec, PARAMS};

/// The settings the product is about, kept beside the graph: what a cluster
/// spreads with, how often, and what the network loses.
const TUNE: [&str; 3] = ["fanout", "interval_ms", "loss_rate"];

pub enum SettingsMsg {
    Field(FieldEvent),
    Preset(usize),
}

#[derive(Default)]
pub struct Settings {
    /// The setting being typed and its text, until Enter or leaving the field
    /// commits it, with the model's generation it was typed in.
    typing: Option<(u64, &'static str, String)>,
    /// Fields show no range and meaning under them (an embed).
    compact: bool,
}

impl Settings {
    pub fn new(compact: bool) -> Self {
        Settings { typing: None, compact }
    }

    pub fn update(&mut self, model: &mut Playground, msg: SettingsMsg) -> Effect {
        match msg {
            SettingsMsg::Field(FieldEvent::Typing(key, value)) => {
                // Kept so that the frames drawn while the run plays show what is typed.
                self.typing = Some((model.generation, key, value));
                Effect::Quiet
            }
            SettingsMsg::Field(FieldEvent::Commit(key, value)) => {
                self.typing = None;
                let _ = model.set_param(key, &value);
                Effect::Record
            }
            SettingsMsg::Field(FieldEvent::Refused(key, value, why)) => {
                model.refuse_value(key, &value, why);
                Effect::Render
            }
            SettingsMsg::Preset(i) => {
                let fragment = PRESETS.get(i).map_or("", |p| p.1);
                model.reopen(fragment);
                // A preset that is slow to watch at 1× (a WAN's minute-long suspicion) says how fast to play it.
                if let Some(speed) = super::page::PageOptions::from_fragment(fragment).0.speed {
                    model.speed = speed;
                }
                Effect::Record
            }
        }
    }

    /// Heartbeat membership past the size its messages carry: live nodes are
    /// being marked dead by the thousand. Say why, where the count is, and offer
    /// the way out (whole states in one message, as Cassandra's TCP gossip sends).
    /// `figures`: the run's, as the figures line beside has them.
    pub fn view_scale_hint(
        &self,
        model: &Playground,
        figures: Option<&crate::metrics::RunMetrics>,
        cb: &Callback<SettingsMsg>,
    ) -> Html {
        let s = &model.scenario;
        let (Some(m), true) = (figures, s.gossips_membership()) else {
            return html! {};
        };
        let per_message = crate::protocol::membership::heartbeats_per_message(s);
        let false_positives = m.extra.get("false_positives").copied().flatten().unwrap_or(0.0);
        if per_message >= s.nodes || false_positives <= f64::from(s.nodes) {
            return html! {};
        }
        const WHOLE: &str = "65535";
        html! {
            <p class="scale-hint" data-testid="scale-hint" role="note">
                { format!(
                    "Live nodes are being marked dead: a {}-byte message carries the heartbeats of at most {per_message} of {} nodes, so most go stale between exchanges. ",
                    s.mtu_bytes, s.nodes
                ) }
                <button data-testid="scale-hint-fix" onclick={cb.reform(|_| SettingsMsg::Field(FieldEvent::Commit("mtu_bytes", WHOLE.into())))}
                    title="mtu_bytes=65535: each exchange may carry every newer heartbeat (a TCP stream's worth); the run starts again">
                    { "Send whole states (mtu_bytes=65535)" }</button>
            </p>
        }
    }

    /// One setting's field, showing what is typed, a refused value, or the value in force.
    pub fn view_param(&self, model: &Playground, p: &'static ParamSpec, cb: &Callback<SettingsMsg>) -> Html {
        let key = p.key;
        let draft = model.drafts.get(key);
        let typed = self.typing.as_ref().filter(|(g, k, _)| *g == model.generation && *k == key).map(|t| t.2.clone());
        // A live setting shows the value in force now (a change part-way is not the scenario's start value).
        let shown = if p.live == Live::Live { model.current() } else { &model.scenario };
        let value =
            typed.or_else(|| draft.map(|d| d.value.clone())).unwrap_or_else(|| shown.get(key).unwrap_or_default());
        // Part-way through a run, say what a change will do: go on, or start again.
        let tune = TUNE.contains(&key);
        let effect = (model.part_way() && !tune).then_some(p.live);
        // The refused value stays in the field to fix; meanwhile the run goes on with the one in force.
        let error = draft.map(|d| {
            let kept = shown.get(key).unwrap_or_default();
            let kept =
                if kept.contains('\n') || kept.len() > 24 { String::new() } else { format!(" The run keeps {kept}.") };
            format!("{}.{kept}", d.why.trim_end_matches('.'))
        });
        html! {
            <ParamField spec={p} value={value} error={error} effect={effect}
                help={!tune && !self.compact} on_event={cb.reform(SettingsMsg::Field)} />
        }
    }

    /// The three settings beside the graph, above `coverage`, the chart that
    /// shows what they do: changed while a run plays, the run goes on.
    pub fn view_tune(&self, model: &Playground, cb: &Callback<SettingsMsg>, coverage: Html) -> Html {
        let part_way = model.part_way();
        html! {
            <section class="tune" aria-labelledby="tune-title" data-testid="tune">
                <h2 id="tune-title">{ "Change it while it runs" }</h2>
                <div class="tune-params">
                    { for TUNE.iter().filter_map(|k| crate::scenario::spec(k)).filter(|p| model.scenario.inactive(p.key).is_none()).map(|p| self.view_param(model, p, cb)) }
                </div>
                <p class="hint" data-testid="tune-hint">{
                    if part_way && model.compare.is_some() {
                        "Changes apply to B from this moment (A stays as pinned); the chart marks them."
                    } else if part_way {
                        "Changes apply from this moment: the run goes on, and the chart marks them."
                    } else {
                        "Press Play, then change these: the run goes on under the new value."
                    }
                }</p>
                { coverage }
            </section>
        }
    }

    /// The side column's settings: the presets, `tools` (the claims, a sweep), then
    /// every other setting of this protocol and these choices, by group.
    pub fn view_all(&self, model: &Playground, cb: &Callback<SettingsMsg>, tools: Html) -> Html {
        let on_preset = cb.reform(|e: Event| SettingsMsg::Preset(input_value(&e).parse().unwrap_or(0)));
        html! {
            <aside class="controls" aria-label="Settings">
                <div class="param wide">
                    <label for="preset">{ "Preset" }</label>
                    <select id="preset" data-testid="preset" onchange={on_preset}>
                        <option value="" selected=true disabled=true>{ "Choose a scenario…" }</option>
                        { for PRESETS.iter().enumerate().map(|(i, (label, _))| html! { <option value={i.to_string()}>{ *label }</option> }) }
                    </select>
                </div>
                { tools }
                { for Group::ALL.iter().filter(|g| **g != Group::Run).map(|g| html! {
                    <details open={matches!(g, Group::Cluster | Group::Protocol | Group::Workload)}>
                        <summary>{ g.label() }</summary>
                        <div class="params">
                            // Only the settings of this protocol and these choices: the others
                            // would do nothing (they come back when a choice needs them).
                            { for PARAMS.iter()
                                .filter(|p| p.group == *g && !TUNE.contains(&p.key) && model.scenario.inactive(p.key).is_none())
                                .map(|p| self.view_param(model, p, cb)) }
                        </div>
                    </details>
                }) }
            </aside>
        }
    }

    /// An embed's strip: the settings its `controls=` names.
    pub fn view_strip(&self, model: &Playground, strip: &[&'static ParamSpec], cb: &Callback<SettingsMsg>) -> Html {
        html! {
            <aside class="strip" data-testid="strip" aria-label="Settings">
                { for strip.iter().map(|p| self.view_param(model, p, cb)) }
            </aside>
        }
    }
}
