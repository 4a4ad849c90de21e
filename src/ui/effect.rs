//! What a part of the page asks of the page after one of its messages, and the
//! few browser calls the parts share.

use wasm_bindgen::{JsCast, JsValue};
use yew::MouseEvent;

/// Ordered: each includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Nothing to show (a draft kept for later, a download started).
    Quiet,
    /// Render the text again; the canvases follow the model's version.
    Render,
    /// Draw the canvases now as well (a zoom, a pan, another layout).
    Redraw,
    /// Draw them again after the render too: their boxes may have changed
    /// (a chart appears, presenter mode).
    Relayout,
    /// All that, and the address bar records the change, so the link replays it.
    Record,
}

/// Wall time per frame for background work (a sweep, a lesson's check, the
/// papers' bench), beside the playground's own budget.
pub const WORK_BUDGET_MS: f64 = 6.0;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Save `text` as a file named `name` (a Blob behind a temporary link).
pub fn download_text(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else { return };
    if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
        download_url(name, &url);
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}

/// Follow a temporary `<a download>` link to `url`.
pub fn download_url(name: &str, url: &str) {
    let Some(doc) = window().document() else { return };
    let Some(a) = doc.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) else {
        return;
    };
    a.set_href(url);
    a.set_download(name);
    a.click();
}

/// Where a pointer event is on its canvas, in canvas pixels (CSS pixels times the device pixel ratio).
pub fn canvas_point(e: &MouseEvent) -> (f64, f64) {
    let dpr = window().device_pixel_ratio();
    (f64::from(e.offset_x()) * dpr, f64::from(e.offset_y()) * dpr)
}

/// A callback that sends `f`'s message when it gives one (a key the handler
/// takes, a menu value it knows).
pub fn filter<In: 'static, M: 'static>(
    cb: &yew::Callback<M>,
    f: impl Fn(In) -> Option<M> + 'static,
) -> yew::Callback<In> {
    let cb = cb.clone();
    yew::Callback::from(move |e: In| {
        if let Some(m) = f(e) {
            cb.emit(m);
        }
    })
}

/// The text of the file at `url`. The request starts at the call, not at the
/// first poll, so several can be under way at once.
pub fn fetch_text(url: &str) -> impl std::future::Future<Output = Result<String, String>> {
    let request = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url));
    async move { read_text(request).await }
}

async fn read_text(request: wasm_bindgen_futures::JsFuture) -> Result<String, String> {
    let resp = request.await.map_err(|_| {
        "the address could not be reached (is it online, and does its server let other sites read it, CORS?)"
            .to_string()
    })?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "no response".to_string())?;
    if !resp.ok() {
        return Err(format!("the server answered {} {}", resp.status(), resp.status_text()));
    }
    let text = resp.text().map_err(|_| "no text".to_string())?;
    let text =
        wasm_bindgen_futures::JsFuture::from(text).await.map_err(|_| "the body could not be read".to_string())?;
    text.as_string().ok_or_else(|| "the file is not text".to_string())
}
