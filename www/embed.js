// Gossip Lab for other pages: loads the playground's WebAssembly once and
// exposes it as window.GossipLab (mount, runScenario, version) and as a
// <gossip-lab scenario="nodes=300&spread=push-pull" controls="fanout"> element.
// Include it with <script type="module" src="/embed.js"></script>.
import init, * as lab from './gossip-lab.js';

const ready = init({ module_or_path: new URL('./gossip-lab_bg.wasm', import.meta.url) }).then(() => {
  window.GossipLab = lab;
  window.dispatchEvent(new CustomEvent('gossiplab:ready'));
  return lab;
});
window.GossipLabReady = ready;

class GossipLabElement extends HTMLElement {
  async connectedCallback() {
    await ready;
    if (!this.isConnected || this.handle) return;
    let scenario = this.getAttribute('scenario') ?? '';
    const controls = this.getAttribute('controls');
    if (controls) scenario += `${scenario ? '&' : ''}controls=${controls}`;
    try {
      this.handle = lab.mount(this, scenario);
    } catch (e) {
      // Bad input is named, not a blank box.
      this.textContent = `Gossip Lab: ${e.message}`;
      this.setAttribute('data-error', e.message);
    }
  }
  disconnectedCallback() {
    this.handle?.destroy();
    this.handle = undefined;
  }
}
customElements.define('gossip-lab', GossipLabElement);
