//! Record: a WebM video of the graph and the coverage chart side by side, made
//! by the browser's MediaRecorder from a canvas the page paints each time the
//! run moves. For slides and posts that cannot run the playground. A recording
//! stops when asked, when the run ends, or after `MAX_SECONDS`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobEvent, HtmlCanvasElement, MediaRecorder, MediaRecorderOptions};
use yew::prelude::*;

use super::effect::{download_url, now_ms, window, Effect};
use super::graph::context;

/// The longest recording, in seconds of wall time.
pub const MAX_SECONDS: f64 = 60.0;
/// Frames per second the stream is sampled at.
const FPS: f64 = 30.0;

pub enum RecordMsg {
    Start,
    Stop,
}

/// One recording under way.
struct Take {
    recorder: MediaRecorder,
    /// The picture recorded: graph on the left, chart on the right.
    canvas: HtmlCanvasElement,
    started_ms: f64,
    /// Times the run was painted into the recording.
    frames: u32,
    _on_data: Closure<dyn FnMut(BlobEvent)>,
    _on_stop: Closure<dyn FnMut()>,
}

#[derive(Default)]
pub struct Recorder {
    take: Option<Take>,
    /// Why the last recording could not start or be saved.
    error: Option<String>,
    /// Frames of the last finished recording (shown, and read by the tests).
    last_frames: Option<u32>,
}

impl Recorder {
    pub fn recording(&self) -> bool {
        self.take.is_some()
    }

    /// `name`: the file's name, without `.webm`.
    pub fn update(&mut self, msg: RecordMsg, name: &str) -> Effect {
        match msg {
            RecordMsg::Start if self.take.is_none() => match start(name) {
                Ok(t) => {
                    self.take = Some(t);
                    self.error = None;
                    self.last_frames = None;
                }
                Err(e) => self.error = Some(e),
            },
            RecordMsg::Start => {}
            RecordMsg::Stop => self.stop(),
        }
        // Paint the first frame at once, even if the run is paused.
        Effect::Redraw
    }

    fn stop(&mut self) {
        if let Some(t) = self.take.take() {
            let _ = t.recorder.stop();
            self.last_frames = Some(t.frames);
            // The closures must outlive the recorder's last events (data, then stop).
            std::mem::forget(t._on_data);
            std::mem::forget(t._on_stop);
        }
    }

    /// Paint the graph and the chart into the recording; stops it when the run
    /// ended or time is up. True when the recording stopped (the page shows it).
    pub fn capture(&mut self, graph: Option<HtmlCanvasElement>, chart: Option<HtmlCanvasElement>, ended: bool) -> bool {
        let Some(t) = &mut self.take else { return false };
        let (Some(g), Some(c)) = (graph, chart) else { return false };
        // The picture: the graph as it is, the chart scaled to the graph's height.
        let gh = f64::from(g.height().max(1));
        let cw = f64::from(c.width()) * gh / f64::from(c.height().max(1));
        let (w, h) = ((f64::from(g.width()) + cw) as u32, gh as u32);
        if t.canvas.width() != w || t.canvas.height() != h {
            t.canvas.set_width(w);
            t.canvas.set_height(h);
        }
        if let Some(ctx) = context(&t.canvas) {
            let _ = ctx.draw_image_with_html_canvas_element(&g, 0.0, 0.0);
            let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&c, f64::from(g.width()), 0.0, cw, gh);
            t.frames += 1;
        }
        // The run's end stops it (once something was recorded before it).
        if (ended && t.frames > 1) || now_ms() - t.started_ms > MAX_SECONDS * 1000.0 {
            self.stop();
            return true;
        }
        false
    }

    pub fn view(&self, cb: &Callback<RecordMsg>) -> Html {
        let recording = self.recording();
        html! {
            <>
                <button data-testid="record" aria-pressed={recording.to_string()} class={classes!(recording.then_some("active"))}
                    onclick={cb.reform(move |_| if recording { RecordMsg::Stop } else { RecordMsg::Start })}
                    title={format!("Save a WebM video of the graph and the coverage chart as the run plays (it stops when the run ends, or after {MAX_SECONDS:.0} s)")}>
                    { if recording { "■ Stop recording" } else { "● Record" } }
                </button>
                if let Some(n) = self.last_frames {
                    <span class="muted" data-testid="record-frames" data-frames={n.to_string()}>{ format!("{n} frames saved") }</span>
                }
                if let Some(e) = &self.error { <span class="fails" role="alert" data-testid="record-error">{ e }</span> }
            </>
        }
    }
}

/// A recorder on a fresh canvas; the video downloads as `name.webm` when it stops.
fn start(name: &str) -> Result<Take, String> {
    let doc = window().document().ok_or("no document")?;
    let canvas: HtmlCanvasElement =
        doc.create_element("canvas").ok().and_then(|c| c.dyn_into().ok()).ok_or("no canvas")?;
    let stream = canvas
        .capture_stream_with_frame_request_rate(FPS)
        .map_err(|_| "this browser cannot record a canvas (captureStream)".to_string())?;
    let mime = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"]
        .into_iter()
        .find(|m| MediaRecorder::is_type_supported(m))
        .ok_or("this browser cannot record WebM video (MediaRecorder)")?;
    let options = MediaRecorderOptions::new();
    options.set_mime_type(mime);
    options.set_video_bits_per_second(2_500_000);
    let recorder = MediaRecorder::new_with_media_stream_and_media_recorder_options(&stream, &options)
        .map_err(|_| "the browser refused to record".to_string())?;
    let chunks: Rc<RefCell<Vec<Blob>>> = Rc::default();
    let kept = chunks.clone();
    let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |e: BlobEvent| {
        if let Some(b) = e.data() {
            kept.borrow_mut().push(b);
        }
    });
    let file = format!("{name}.webm");
    let on_stop = Closure::<dyn FnMut()>::new(move || {
        let parts = js_sys::Array::new();
        for b in chunks.borrow().iter() {
            parts.push(b);
        }
        let bag = web_sys::BlobPropertyBag::new();
        bag.set_type("video/webm");
        if let Ok(blob) = Blob::new_with_blob_sequence_and_options(&parts, &bag) {
            if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
                download_url(&file, &url);
            }
        }
    });
    recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
    recorder.set_onstop(Some(on_stop.as_ref().unchecked_ref()));
    recorder.start_with_time_slice(1000).map_err(|_| "the recording could not start".to_string())?;
    Ok(Take { recorder, canvas, started_ms: now_ms(), frames: 0, _on_data: on_data, _on_stop: on_stop })
}
