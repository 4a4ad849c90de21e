//! Share and export: the link that replays this run, the snippet that embeds
//! it, and downloads of its data, its scenario and its pictures.

use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

use super::effect::{download_text, download_url, filter, window, Effect};
use super::model::{series_name, Playground};

/// A canvas of the page that can be saved as a PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Graph,
    Coverage,
    Messages,
    Bytes,
    Protocol,
    Detections,
    Queue,
}

impl Picture {
    const ALL: [Picture; 7] = [
        Picture::Graph,
        Picture::Coverage,
        Picture::Messages,
        Picture::Bytes,
        Picture::Protocol,
        Picture::Detections,
        Picture::Queue,
    ];

    /// The chart a lesson's `look:` view names, if it names one.
    pub fn of_look(view: &str) -> Option<Picture> {
        Picture::ALL.into_iter().skip(1).find(|p| p.id().strip_prefix("chart-") == Some(view))
    }

    /// The canvas's test id, also the file name's end.
    pub fn id(self) -> &'static str {
        match self {
            Picture::Graph => "graph",
            Picture::Coverage => "chart-coverage",
            Picture::Messages => "chart-messages",
            Picture::Bytes => "chart-bytes",
            Picture::Protocol => "chart-protocol",
            Picture::Detections => "chart-detections",
            Picture::Queue => "chart-queue",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Picture::Graph => "Graph (PNG)",
            Picture::Coverage => "Coverage chart (PNG)",
            Picture::Messages => "Messages chart (PNG)",
            Picture::Bytes => "Bytes chart (PNG)",
            Picture::Protocol => "Protocol chart (PNG)",
            Picture::Detections => "Detection chart (PNG)",
            Picture::Queue => "Queue chart (PNG)",
        }
    }

    /// Whether the page shows this canvas for the model's scenario.
    pub fn shown(self, model: &Playground) -> bool {
        match self {
            Picture::Protocol => series_name(&model.scenario).is_some(),
            Picture::Detections => model.scenario.membership_like(),
            // With an uplink, now or at the start, or after one was set part-way.
            Picture::Queue => {
                model.current().uplink_bytes_per_s > 0.0
                    || model.sim().series().points.last().is_some_and(|p| p.queued > 0)
            }
            _ => true,
        }
    }
}

/// What the Export menu saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The chart data, per round.
    Csv,
    /// The scenario, for `gossip-lab run --scenario`.
    Json,
    Png(Picture),
}

impl Export {
    fn word(self) -> &'static str {
        match self {
            Export::Csv => "csv",
            Export::Json => "json",
            Export::Png(p) => p.id(),
        }
    }

    fn from_word(w: &str) -> Option<Export> {
        [Export::Csv, Export::Json].into_iter().chain(Picture::ALL.map(Export::Png)).find(|e| e.word() == w)
    }
}

pub enum ShareMsg {
    /// Copy the link that reproduces this run (the page writes it first).
    Link,
    /// Show (or hide) the iframe snippet for this run.
    Snippet,
    Export(Export),
    /// Close the notes (their × or Escape).
    Close,
}

#[derive(Default)]
pub struct Share {
    /// The link last copied.
    link: Option<String>,
    snippet: Option<String>,
}

impl Share {
    /// `canvas` finds a picture's canvas on the page.
    pub fn update(
        &mut self,
        model: &Playground,
        msg: ShareMsg,
        canvas: &dyn Fn(Picture) -> Option<HtmlCanvasElement>,
    ) -> Effect {
        match msg {
            ShareMsg::Link => {
                let href = window().location().href().unwrap_or_default();
                let _ = window().navigator().clipboard().write_text(&href);
                self.link = Some(href);
            }
            ShareMsg::Close => {
                self.close();
            }
            ShareMsg::Snippet => {
                if self.snippet.take().is_none() {
                    // Copied at once, as the share link is; the text stays shown to read or copy again.
                    let code = snippet(model);
                    let _ = window().navigator().clipboard().write_text(&code);
                    self.snippet = Some(code);
                }
            }
            ShareMsg::Export(what) => {
                let stem = format!("gossip-lab-{}-seed{}", model.scenario.protocol, model.scenario.seed);
                match what {
                    Export::Csv => download_text(&format!("{stem}.csv"), "text/csv", &model.series_csv()),
                    Export::Json => {
                        download_text(&format!("{stem}.json"), "application/json", &model.scenario.to_json())
                    }
                    Export::Png(p) => {
                        if let Some(url) = canvas(p).and_then(|c| c.to_data_url().ok()) {
                            download_url(&format!("{stem}-{}.png", p.id()), &url);
                        }
                    }
                }
                return Effect::Quiet;
            }
        }
        Effect::Render
    }

    /// Export, Share link and Embed, at the end of the view bar.
    pub fn view_tools(&self, model: &Playground, cb: &Callback<ShareMsg>) -> Html {
        let on_export = filter(cb, |e: Event| {
            let sel = e.target().and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())?;
            let v = sel.value();
            sel.set_value("");
            Export::from_word(&v).map(ShareMsg::Export)
        });
        html! {
            <>
                <select data-testid="export" aria-label="Export" onchange={on_export}>
                    <option value="" selected=true>{ "Export…" }</option>
                    <option value={Export::Csv.word()}>{ "Chart data (CSV)" }</option>
                    <option value={Export::Json.word()}>{ "Scenario (JSON, for gossip-lab run --scenario)" }</option>
                    { for Picture::ALL.iter().filter(|p| p.shown(model)).map(|p| html! {
                        <option value={p.id()}>{ p.label() }</option>
                    }) }
                </select>
                <button data-testid="share" onclick={cb.reform(|_| ShareMsg::Link)} title="Copy a link that reproduces this run">{ "Share link" }</button>
                <button data-testid="embed" onclick={cb.reform(|_| ShareMsg::Snippet)} title="HTML to put this run into a blog post or docs page (see /embed.html)">{ "Embed" }</button>
            </>
        }
    }

    /// The copied link and the embed snippet, under the header.
    /// Close the copied link's and the snippet's notes; whether one was open.
    pub fn close(&mut self) -> bool {
        let open = self.link.is_some() || self.snippet.is_some();
        self.link = None;
        self.snippet = None;
        open
    }

    pub fn view_notes(&self, cb: &Callback<ShareMsg>) -> Html {
        let close = html! { <button class="close" aria-label="Close (Escape)" title="Close (Escape)" onclick={cb.reform(|_| ShareMsg::Close)}>{ "×" }</button> };
        html! {
            <>
                if let Some(href) = &self.link {
                    <div class="note" role="status" data-testid="share-note">{ "Link copied: " }<input readonly=true value={href.clone()} data-testid="share-link" aria-label="Share link" />{ close.clone() }</div>
                }
                if let Some(code) = &self.snippet {
                    <div class="note" data-testid="embed-note">
                        { "Copied; paste it into a page: " }
                        <textarea readonly=true rows="3" data-testid="embed-snippet" aria-label="Embed snippet" value={code.clone()} />
                        <a href="embed.html" target="_blank" rel="noopener">{ "more ways to embed" }</a>
                        { close }
                    </div>
                }
            </>
        }
    }
}

/// An iframe that shows this run, with the settings that differ from the
/// defaults as its controls (the ones readers may want to change).
fn snippet(model: &Playground) -> String {
    let loc = window().location();
    let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
    let frag = model.fragment();
    let keys: Vec<&str> = frag
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
        .filter(|k| *k != "v" && *k != "seed" && *k != "faults" && !k.starts_with("vs."))
        .take(4)
        .collect();
    let controls = if keys.is_empty() { String::new() } else { format!("&controls={}", keys.join(",")) };
    format!(
        "<iframe src=\"{base}#{frag}&embed=1{controls}\" width=\"640\" height=\"480\" style=\"border:0\" title=\"Gossip Lab\" loading=\"lazy\"></iframe>"
    )
}
