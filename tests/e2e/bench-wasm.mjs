// Times the engine compiled to wasm in headless Chromium against the native binary,
// on the same scenarios. Not a test: `make bench-wasm` prints a table for the notes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { serve, launch, open, root } from './harness.mjs';

const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : [
  'nodes=100000&spread=push-pull&fanout=1',
  'nodes=100000&spread=push&fanout=1',
  'nodes=100000&spread=push-pull&fanout=1&timing=timed&latency_ms_min=10&latency_ms_max=50&loss_rate=0.05',
];
// Native and wasm runs alternate, so that both see the same phases of a shared
// host's load; the table gives medians, and the ratio of the fastest runs too.
const REPS = 9;
const bin = path.join(root, 'target', 'release', 'gossip-lab');
const srv = await serve();
const chrome = await launch();
const { page } = await open(chrome.browser, `${srv.url}/`);
await page.waitForFunction(() => window.wasmBindings?.runScenario);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| scenario | native ms (median of ${REPS}) | wasm ms (median of ${REPS}) | wasm / native | fastest wasm / fastest native | same trace |`);
console.log('|---|---|---|---|---|---|');
for (const frag of scenarios) {
  const native = [];
  const wasm = [];
  let nativeHash;
  let wasmHash;
  for (let i = 0; i < REPS; i++) {
    const t0 = process.hrtime.bigint();
    nativeHash = JSON.parse(execFileSync(bin, ['run', ...frag.split('&'), '--json']).toString()).trace_hash;
    native.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const run = await page.evaluate((f) => {
      const t0 = performance.now();
      const hash = window.wasmBindings.runScenario(f).trace_hash;
      return { ms: performance.now() - t0, hash };
    }, frag);
    wasm.push(run.ms);
    wasmHash = run.hash;
  }
  const [n, w] = [median(native), median(wasm)];
  const best = Math.min(...wasm) / Math.min(...native);
  console.log(`| ${frag} | ${n.toFixed(0)} | ${w.toFixed(0)} | ${(w / n).toFixed(2)} | ${best.toFixed(2)} | ${wasmHash === nativeHash} |`);
}
await chrome.close();
await srv.close();
