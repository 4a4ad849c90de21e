//! The run's controls and readout: play / pause / step / reset / speed, A/B
//! and a new seed; the headline figures, each explained on hover and focus;
//! the timeline.

use yew::prelude::*;

use super::effect::{filter, now_ms, window, Effect};
use super::field::input_value;
use super::model::{Playground, Speed};
use super::timeline::{format_ms, Timeline};
use crate::metrics::RunMetrics;
use crate::scenario::{ProtocolKind, Timing};

pub enum RunMsg {
    Play,
    Pause,
    /// Space: play or pause.
    Toggle,
    Step,
    /// Timed mode: to the next event.
    StepEvent,
    Reset,
    Speed(Speed),
    /// Pin the settings as variant A and compare, or stop comparing.
    Compare,
    NewSeed,
    /// Scrub the timeline to this virtual time (ms).
    Seek(f64),
}

#[derive(Default)]
pub struct Runbar {
    play: NodeRef,
    pause: NodeRef,
}

impl Runbar {
    pub fn update(&mut self, model: &mut Playground, msg: RunMsg) -> Effect {
        match msg {
            RunMsg::Play => {
                model.play();
                hand_focus(&self.play, &self.pause);
            }
            RunMsg::Pause => {
                model.pause();
                hand_focus(&self.pause, &self.play);
            }
            RunMsg::Toggle => {
                if model.playing {
                    model.pause()
                } else {
                    model.play()
                }
            }
            RunMsg::Step => model.step(),
            RunMsg::StepEvent => model.step_event(),
            RunMsg::Reset => {
                model.reset();
                model.playing = false;
            }
            RunMsg::Speed(s) => model.speed = s,
            RunMsg::Seek(ms) => model.seek((ms.max(0.0) * 1000.0) as u64),
            RunMsg::Compare => {
                if model.compare.is_some() {
                    model.unpin();
                } else {
                    model.pin();
                }
                return Effect::Record;
            }
            RunMsg::NewSeed => {
                let mut buf = [0u8; 8];
                let entropy =
                    if getrandom::fill(&mut buf).is_ok() { u64::from_le_bytes(buf) } else { now_ms().to_bits() };
                model.new_seed(entropy);
                return Effect::Record;
            }
        }
        Effect::Render
    }

    /// `embed`: no A/B and no new seed (an embed shows one run, as shared). `extra`
    /// ends the bar (the page's Record button).
    pub fn view_toolbar(&self, model: &Playground, embed: bool, cb: &Callback<RunMsg>, extra: Html) -> Html {
        let on_speed = filter(cb, |e: Event| Speed::from_label(&input_value(&e)).map(RunMsg::Speed));
        let send = |m: fn() -> RunMsg| cb.reform(move |_: MouseEvent| m());
        let playing = model.playing;
        html! {
            <div class="toolbar" role="toolbar" aria-label="Run">
                // Not `disabled`: a disabled button drops the keyboard focus the moment it is used.
                // Used from the keyboard, each hands the focus to the other, so Space
                // or Enter again does the opposite.
                <button ref={self.play.clone()} data-testid="play" class="primary" aria-disabled={playing.to_string()} onclick={send(|| RunMsg::Play)} title="Play (space)">{ "▶ Play" }</button>
                <button ref={self.pause.clone()} data-testid="pause" aria-disabled={(!playing).to_string()} onclick={send(|| RunMsg::Pause)} title="Pause (space)">{ "Pause" }</button>
                <button data-testid="step" onclick={send(|| RunMsg::Step)} title="One round (→)">{ "Step" }</button>
                if model.scenario.timing == Timing::Timed {
                    <button data-testid="step-event" onclick={send(|| RunMsg::StepEvent)}
                        title="To the next event: a tick, a delivery, a timer or a fault (.)">{ "Event" }</button>
                }
                <button data-testid="reset" onclick={send(|| RunMsg::Reset)} title="Start again, same seed (r)">{ "Reset" }</button>
                <label class="speed">{ "Speed " }
                    <select data-testid="speed" onchange={on_speed} aria-label="Speed">
                        { for Speed::CHOICES.iter().map(|(l, s)| html! { <option value={*l} selected={*s == model.speed}>{ *l }</option> }) }
                    </select>
                </label>
                if !embed {
                    <button data-testid="compare" aria-pressed={model.compare.is_some().to_string()} onclick={send(|| RunMsg::Compare)}
                        title="Pin these settings as A, then change any setting to make B: both run on the same seed, side by side">
                        { if model.compare.is_some() { "Stop comparing" } else { "Compare A/B" } }
                    </button>
                    <button data-testid="new-seed" onclick={send(|| RunMsg::NewSeed)} title="Same settings, another random run">{ "New seed" }</button>
                }
                { extra }
            </div>
        }
    }

    pub fn view_timeline(&self, model: &Playground, cb: &Callback<RunMsg>) -> Html {
        html! {
            <Timeline now_ms={model.timeline_us() as f64 / 1000.0} horizon_ms={model.horizon_us as f64 / 1000.0}
                step_ms={f64::from(model.current().interval_ms)}
                on_seek={cb.reform(RunMsg::Seek)} />
        }
    }
}

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

/// The headline figures: coverage, rounds, virtual time, messages, live nodes,
/// and the protocol's own, each with what it means on hover and focus.
pub fn view_stats(model: &Playground, figures: Option<&RunMetrics>) -> Html {
    let m = model;
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
    // A comparison: both variants' share, and the figures after it are B's.
    let a_coverage = m.compare.as_ref().map(|a| a.sim().series().points.last().map_or(0.0, |p| p.coverage) * 100.0);
    html! {
        // Not a live region: its figures change every frame while a run plays. The
        // run's state (running, paused, finished) is announced on its own.
        <div class="stats">
            if let Some(a) = a_coverage {
                <span class="stat big" tabindex="0" title={format!("{covered_about} B is the variant with the settings on the right; A is pinned.")}>
                    <span class="who b">{ "B " }</span><b data-testid="coverage">{ format!("{coverage:.1}%") }</b>
                    { " · " }<span class="who a">{ "A " }</span><b class="a" data-testid="coverage-a">{ format!("{a:.1}%") }</b>{ format!(" {covered}") }</span>
                <span class="stat who-note" tabindex="0" title="The figures on this line after the share are variant B's; the A/B table under the charts gives both">{ "B's run:" }</span>
            } else {
                <span class="stat big" tabindex="0" title={covered_about}><b data-testid="coverage">{ format!("{coverage:.1}%") }</b>{ format!(" {covered}") }</span>
            }
            <span class="stat" tabindex="0" title="Rounds (or intervals, in timed mode) so far: in each, every node contacts its fanout peers once"><b data-testid="round">{ m.sim().round() }</b>{ format!(" {round_label}{}", if m.sim().round() == 1 { "" } else { "s" }) }</span>
            <span class="stat" tabindex="0" title="Simulated time: the interval times the rounds, plus latencies in timed mode; not wall time"><b>{ format_ms(t) }</b>{ " virtual" }</span>
            <span class="stat" tabindex="0" title="Messages sent so far, of every kind (requests, replies, pushes), lost ones included"><b data-testid="messages">{ stats.sent }</b>{ " messages" }</span>
            <span class="stat" tabindex="0" title="Nodes up now (crashed and departed ones are not)"><b>{ pts.map_or(0, |p| p.live) }</b>{ " live" }</span>
            if let Some((mean, std)) = m.in_degree {
                <span class="stat" data-testid="in-degree" title="Partial views: how many views hold each live node">
                    <b>{ format!("{mean:.1} ± {std:.1}") }</b>{ " in-degree" }
                </span>
            }
            { for protocol_figures(model, figures).into_iter().map(|f| html! {
                <span class="stat" data-testid={f.id} title={f.about} tabindex="0"><b>{ f.value }</b>{ format!(" {}", f.label) }</span>
            }) }
            <span class="stat" data-testid="run-state" role="status">{ state }</span>
        </div>
    }
}

/// A figure of the stats line: its label, value, test id and what it means
/// (shown on hover and on keyboard focus).
struct Figure {
    label: &'static str,
    value: String,
    id: String,
    about: &'static str,
}

/// A rumor's residue and traffic, as Demers et al. report them ("–" until the end).
fn rumor_figures(finished: Option<&RunMetrics>) -> [Figure; 2] {
    let (residue, traffic) =
        finished.map_or(("–".into(), "–".into()), |m| (format!("{:.4}", m.residue), format!("{:.2}", m.traffic)));
    [
        Figure {
            label: "residue",
            value: residue,
            id: "residue".into(),
            about: "Share of nodes that never heard the rumor once nobody spreads it any more (Demers et al.'s s); known at the end.",
        },
        Figure {
            label: "updates sent / node",
            value: traffic,
            id: "traffic".into(),
            about: "Update messages sent per node over the run (Demers et al.'s m): what a lower residue costs.",
        },
    ]
}

/// The run's figures as the figures line shows them now, taken once per render
/// for the line and what reads it beside (None: a plain rumor still running,
/// whose line needs none).
pub fn figures_now(model: &Playground) -> Option<RunMetrics> {
    let sc = &model.scenario;
    let plain = matches!(sc.protocol, ProtocolKind::Rumor | ProtocolKind::AntiEntropy);
    let quiet = plain && sc.malicious_count() == 0 && sc.uplink_bytes_per_s == 0.0 && !model.sim().finished();
    (!quiet).then(|| model.sim().figures())
}

/// Figures of the protocol beyond coverage, each with what it means.
fn protocol_figures(model: &Playground, figures: Option<&RunMetrics>) -> Vec<Figure> {
    let sc = &model.scenario;
    let plain = matches!(sc.protocol, ProtocolKind::Rumor | ProtocolKind::AntiEntropy);
    let finished = model.sim().finished();
    // A rumor's residue and traffic are shown from the start ("–" until the end),
    // so the line never grows when a run finishes and nothing below it moves.
    let Some(m) = figures else {
        return rumor_figures(None).into();
    };
    // The figures each protocol (and an attack) declares, with its words.
    let attack = if sc.malicious_count() > 0 { crate::protocol::ATTACK_FIGURES } else { &[] };
    let mut out: Vec<Figure> = attack
        .iter()
        .chain(crate::protocol::UPLINK_FIGURES)
        .filter(|f| f.value(m).is_some())
        .chain(crate::protocol::figures(sc.protocol))
        .map(|f| Figure { label: f.label, value: f.text(m), id: f.id(), about: f.about })
        .collect();
    if plain {
        out.extend(rumor_figures(finished.then_some(m)));
    }
    out
}
