// Soak benchmark of the page in headless Chromium: plays each chosen scenario
// for N minutes (default 10, at most 60) at speed max and prints, per minute,
// the rounds run, rounds per second, the JS heap and the wasm memory. A page
// whose cost per frame does not grow with the run keeps its rounds per second
// and its memory flat. Not a test: `make bench-soak` prints a table for the notes.
//
//   node tests/e2e/bench-soak.mjs [minutes] [scenario ...]
//   SOAK_MINUTES=3 SOAK_SCENARIOS=membership,aggregate node tests/e2e/bench-soak.mjs
//   SOAK_DIST=/tmp/dist-soak node tests/e2e/bench-soak.mjs   (a page built elsewhere)
//
// Memory: "JS heap" is the V8 heap in use (CDP `Runtime.getHeapUsage`, after a
// forced garbage collection, so it is what the page keeps, not garbage not yet
// collected); "wasm" is the byte length of the page's WebAssembly.Memory,
// reached through the wasm-bindgen glue: importing `/gossip-lab.js` again gives
// the page's own module instance, whose default export (`init`) returns the
// instance's exports once initialised, and `exports.memory.buffer.byteLength`
// is the linear memory (it only grows, so it is the high-water mark of the
// Rust heap). "DOM nodes" is CDP `Memory.getDOMCounters`.
import path from 'node:path';
import { serve, launch, open, root } from './harness.mjs';

// Each scenario runs at speed max with a round limit it cannot reach in an hour,
// so the soak measures a run that keeps going; the rumor restarts when it ends.
const SCENARIOS = {
  // Heartbeat membership on 500 nodes, 2% of nodes crashing or restarting per second from 10 s on.
  membership: { fragment: 'nodes=500&protocol=membership&timing=timed&interval_ms=1000&faults=churn:0.02@10s&max_rounds=1000000' },
  // A 10,000-node rumor: 32 updates, one every 20 rounds, each stopped by a
  // feedback counter; when the run ends it is played again (Play on a finished
  // run starts it over, as a user would).
  rumor: { fragment: 'nodes=10000&fanout=1&stop=feedback-counter&k=2&updates=32&update_every=20&max_rounds=100000', restart: true },
  // Push-pull averaging on 2,000 nodes restarting every 25 rounds (an epoch), to the round limit.
  aggregate: { fragment: 'nodes=2000&protocol=aggregate&fanout=1&epoch_rounds=25&max_rounds=1000000' },
};

const args = process.argv.slice(2);
const minutesArg = args.find((a) => /^\d+(\.\d+)?$/.test(a));
const MINUTES = Math.min(60, Math.max(1, Math.round(Number(minutesArg ?? process.env.SOAK_MINUTES ?? 10))));
const names = args.filter((a) => a !== minutesArg);
const chosen = names.length ? names : (process.env.SOAK_SCENARIOS ?? Object.keys(SCENARIOS).join(',')).split(',').filter(Boolean);
for (const n of chosen) {
  if (!SCENARIOS[n]) throw new Error(`unknown scenario '${n}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
}
const DIST = path.resolve(process.env.SOAK_DIST ?? path.join(root, 'dist'));
const MB = (b) => (b / 1048576).toFixed(1);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };

// In the page: count rounds (across restarts) and frame intervals, and play
// again when a restarting scenario finishes. Polled, not per frame, so it adds
// next to nothing to a frame.
function monitor(restart) {
  const text = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent ?? '';
  const s = { rounds: 0, last: 0, restarts: 0, frames: [] };
  window.__soak = s;
  const poll = () => {
    const r = Number(text('round').replace(/\D/g, '')) || 0;
    // A round number lower than the last is a new run (a restart): it ran r rounds.
    s.rounds += r >= s.last ? r - s.last : r;
    if (r < s.last) s.restarts += 1;
    s.last = r;
    if (restart && text('run-state') === 'finished') {
      document.querySelector('[data-testid=play]').click();
    }
  };
  // Often enough that a finished rumor waits at most a few ms to be played again.
  setInterval(poll, 25);
  let prev = null;
  const tick = (t) => { if (prev !== null) s.frames.push(t - prev); prev = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}

async function measure(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const dom = await cdp.send('Memory.getDOMCounters').catch(() => ({ nodes: NaN }));
  const state = await page.evaluate(async () => {
    const glue = await import('/gossip-lab.js');
    const wasm = await glue.default();
    const s = window.__soak ?? { rounds: 0, restarts: 0, frames: [], last: 0 };
    const frames = s.frames.splice(0);
    return { rounds: s.rounds, restarts: s.restarts, frames, wasm: wasm.memory.buffer.byteLength, round: s.last };
  });
  return { heap: heap.usedSize, dom: dom.nodes, ...state };
}

// Move the timeline to `f` of its length, as a drag does, and wait for the frame after.
async function scrub(page, f) {
  return page.evaluate(async (f) => {
    const input = document.querySelector('[data-testid=timeline]');
    const max = Number(input.max);
    const to = Math.floor(max * f);
    const t0 = performance.now();
    input.value = String(to);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { ms: performance.now() - t0, to, max };
  }, f);
}

const scrubs = [];
const srv = await serve(DIST);
const chrome = await launch();
console.error(`soak: ${MINUTES} min per scenario (${chosen.join(', ')}), page from ${DIST}`);
const rows = [];
for (const name of chosen) {
  const sc = SCENARIOS[name];
  const { page, problems } = await open(chrome.browser, `${srv.url}/#${sc.fragment}&speed=max`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const start = await measure(page, cdp).catch(() => null);
  await page.evaluate(monitor, !!sc.restart);
  await page.click('[data-testid=play]');
  let before = { rounds: 0, t: Date.now() };
  rows.push({ name, minute: 0, rounds: '', rps: '', heap: start?.heap, wasm: start?.wasm, dom: start?.dom, frame: '', p95: '', at: 0, restarts: 0 });
  console.error(`${name}: start, JS heap ${MB(start.heap)} MB, wasm ${MB(start.wasm)} MB`);
  for (let minute = 1; minute <= MINUTES; minute++) {
    const due = before.t + 60_000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const m = await measure(page, cdp);
    const now = Date.now();
    const rounds = m.rounds - before.rounds;
    const row = {
      name, minute, rounds, rps: (rounds / ((now - before.t) / 1000)).toFixed(1), heap: m.heap, wasm: m.wasm, dom: m.dom,
      frame: pct(m.frames, 0.5).toFixed(1), p95: pct(m.frames, 0.95).toFixed(1), at: m.rounds, restarts: m.restarts,
    };
    rows.push(row);
    console.error(`${name} minute ${minute}: ${rounds} rounds (${row.rps}/s, ${m.rounds} in all, at round ${m.round}), median frame ${row.frame} ms, JS heap ${MB(m.heap)} MB, wasm ${MB(m.wasm)} MB, DOM nodes ${m.dom}`);
    before = { rounds: m.rounds, t: now };
  }
  // Scrubbing back: the time from moving the timeline to the frame after, to a
  // quarter, a half and nine tenths of the run (a replay from the nearest checkpoint).
  if (!sc.restart) {
    for (const f of [0.25, 0.5, 0.9]) {
      const r = await scrub(page, f);
      scrubs.push({ name, f, ...r });
      console.error(`${name}: scrub back to ${(f * 100).toFixed(0)}% (${(r.to / 1000).toFixed(0)} s of ${(r.max / 1000).toFixed(0)} s): ${r.ms.toFixed(0)} ms`);
    }
  }
  if (problems.length) console.error(`${name}: page errors: ${problems.join(' | ')}`);
  await cdp.detach().catch(() => {});
  await page.close();
}
await chrome.close();
await srv.close();

console.log(`Soak: ${MINUTES} min per scenario, headless Chromium, speed max. JS heap after a forced GC; wasm = WebAssembly.Memory byte length.`);
console.log('');
console.log('| scenario | minute | rounds | rounds/s | JS heap MB | wasm MB | median frame ms | p95 frame ms | rounds so far | DOM nodes |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const total = r.minute === 0 ? 'start' : `${r.at}${r.restarts ? ` (${r.restarts} restarts)` : ''}`;
  console.log(`| ${r.name} | ${r.minute} | ${r.rounds} | ${r.rps} | ${r.heap === undefined ? '' : MB(r.heap)} | ${r.wasm === undefined ? '' : MB(r.wasm)} | ${r.frame} | ${r.p95} | ${total} | ${r.dom ?? ''} |`);
}
if (scrubs.length) {
  console.log('');
  console.log('| scenario | scrub back to | virtual time | ms to the next frame |');
  console.log('|---|---|---|---|');
  for (const r of scrubs) console.log(`| ${r.name} | ${(r.f * 100).toFixed(0)}% | ${(r.to / 1000).toFixed(0)} s of ${(r.max / 1000).toFixed(0)} s | ${r.ms.toFixed(0)} |`);
}
// The verdict the issue asks for: the last minute within 10% of the first.
for (const name of chosen) {
  const mine = rows.filter((r) => r.name === name && r.minute > 0);
  if (mine.length >= 2) {
    const [first, last] = [mine[0], mine[mine.length - 1]];
    const ratio = Number(last.rps) / Number(first.rps);
    console.log(`\n${name}: last minute ${last.rps} rounds/s vs first ${first.rps} (${(ratio * 100).toFixed(0)}%)${ratio >= 0.9 ? '' : ': SLOWER by more than 10%'}; JS heap ${MB(first.heap)} → ${MB(last.heap)} MB, wasm ${MB(first.wasm)} → ${MB(last.wasm)} MB.`);
  }
}
