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

const ready = Promise.all([init({ module_or_path: here('./gossip-lab_bg.wasm') }), sheet]).then(([, styles]) => {
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

class GossipLabElement extends HTMLElement {
  async connectedCallback() {
    const api = await ready;
    if (!this.isConnected || this.handle) return;
    let scenario = this.getAttribute('scenario') ?? '';
    const controls = this.getAttribute('controls');
    if (controls) scenario += `${scenario ? '&' : ''}controls=${controls}`;
    try {
      this.handle = api.mount(this, scenario);
    } catch (e) {
      // Bad input is named in place, never a blank box.
      const note = document.createElement('p');
      note.className = 'error';
      note.setAttribute('role', 'alert');
      note.textContent = `Gossip Lab: ${e.message}`;
      this.shadowRoot.replaceChildren(note);
      this.setAttribute('data-error', e.message);
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
