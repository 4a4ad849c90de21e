// Gossip Lab for other pages: loads the playground's WebAssembly and styles
// once and exposes them as window.GossipLab (mount, runScenario, version) and
// as a <gossip-lab scenario="nodes=300&spread=push-pull" controls="fanout">
// element. Include it with <script type="module" src="https://your.host/embed.js"></script>.
//
// Each playground lives in a shadow root with the playground's own style sheet:
// the host page's CSS does not reach in and ours does not leak out, so it looks
// the same on any page. Loaded from another origin, the host of these files must
// send Access-Control-Allow-Origin (see embed.html).
import init, * as lab from './gossip-lab.js';

const here = (file) => new URL(file, import.meta.url);

// One sheet, parsed once, adopted by every playground on the page.
const sheet = fetch(here('./style.css'))
  .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`style.css: the server answered ${r.status}`))))
  .then((css) => {
    const s = new CSSStyleSheet();
    s.replaceSync(css);
    return s;
  });

// A shadow root on `host` with the styles and an empty box to mount into.
function shadowBox(host, styles) {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [styles];
  const box = document.createElement('div');
  box.className = 'gossip-lab-box';
  root.replaceChildren(box);
  return box;
}

// A file that cannot be loaded is named, with what the host must do.
const named = (file) => (e) => Promise.reject(new Error(
  `could not load ${here(file).href} (${e.message}). The host of these files must serve it ` +
  `(WebAssembly as application/wasm) and, for pages on other sites, send Access-Control-Allow-Origin; see embed.html.`));

const ready = Promise.all([
  init({ module_or_path: here('./gossip-lab_bg.wasm') }).catch(named('./gossip-lab_bg.wasm')),
  sheet.catch(named('./style.css')),
]).then(([, styles]) => {
  const api = {
    ...lab,
    // Mount into a shadow root on `element` (its own children are left alone).
    mount: (element, scenario) => lab.mount(shadowBox(element, styles), scenario),
  };
  window.GossipLab = api;
  window.dispatchEvent(new CustomEvent('gossiplab:ready'));
  return api;
});
window.GossipLabReady = ready;
// A failed load is reported where a playground should be, not left to the console.
ready.catch(() => {});

// Bad input or a failed load, named in place of the playground: never a blank box.
function showError(host, message) {
  const note = document.createElement('p');
  note.setAttribute('role', 'alert');
  note.style.cssText = 'margin:0;padding:8px 12px;border:1px solid #b91c1c;border-radius:8px;color:#7f1d1d;background:#fef2f2;font:14px/1.4 system-ui,sans-serif';
  note.textContent = `Gossip Lab: ${message}`;
  (host.shadowRoot ?? host.attachShadow({ mode: 'open' })).replaceChildren(note);
  host.setAttribute('data-error', message);
}

class GossipLabElement extends HTMLElement {
  async connectedCallback() {
    let api;
    try {
      api = await ready;
    } catch (e) {
      showError(this, e.message);
      return;
    }
    if (!this.isConnected || this.handle) return;
    let scenario = this.getAttribute('scenario') ?? '';
    const controls = this.getAttribute('controls');
    if (controls) scenario += `${scenario ? '&' : ''}controls=${controls}`;
    try {
      this.handle = api.mount(this, scenario);
    } catch (e) {
      showError(this, e.message);
    }
  }
  disconnectedCallback() {
    this.handle?.destroy();
    this.handle = undefined;
  }
  // The handle, for scripts: element.playground.play().
  get playground() {
    return this.handle;
  }
}
customElements.define('gossip-lab', GossipLabElement);
