// End-to-end tests of the built page in headless Chromium (Debian's), driven by playwright-core.
// Run by `make test` after `trunk build --release`; `node --test tests/e2e/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import zlib from 'node:zlib';
import { serve, launch, open, root } from './harness.mjs';

let srv;
let chrome;

before(async () => { srv = await serve(); chrome = await launch(); });
after(async () => { await chrome?.close(); await srv?.close(); });

const coverage = async (page) => parseFloat(await page.textContent('[data-testid=coverage]'));

// Fraction of canvas pixels that differ from the top-left (background) pixel.
async function inkFraction(page, testid) {
  return page.$eval(`[data-testid=${testid}]`, (c) => {
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - data[0]) + Math.abs(data[i + 1] - data[1]) + Math.abs(data[i + 2] - data[2]) > 30) ink++;
    }
    return ink / (data.length / 4);
  });
}

// The page's weight: its wasm and JS, gzipped at level 9, stay under the 550 KB budget.
test('page weight within budget', () => {
  const dist = path.join(root, 'dist');
  const files = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
  assert.ok(files.some((f) => f.endsWith('.wasm')), `no wasm in ${dist}`);
  const sizes = files.map((f) => [f, zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length]);
  const total = sizes.reduce((a, [, n]) => a + n, 0);
  assert.ok(total < 550 * 1000, `${total} bytes gzipped: ${JSON.stringify(sizes)}`);
});

// The page loads without errors, a rumor spreads to 100% when played, and both canvases are drawn.
test('play spreads the rumor to every node', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#speed=max`);
  // The stylesheet applied (its integrity matches the file served).
  const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
  assert.equal(accent, '#c2410c', 'style.css did not apply');
  assert.equal(await coverage(page), 0.5, 'one node of 200 at the start');
  const graphBox = () => page.evaluate(() => JSON.stringify(document.querySelector('[data-testid=graph]').getBoundingClientRect()));
  const before = await graphBox();
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=coverage]').textContent === '100.0%', null, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished');
  // A steady page: the figures that appear at the end do not push the graph down.
  assert.equal(await graphBox(), before, 'the graph moved when the run finished');
  assert.match(await page.textContent('[data-testid=residue]'), /^0\.0000/);
  assert.ok(await inkFraction(page, 'graph') > 0.01, 'graph canvas is blank');
  assert.ok(await inkFraction(page, 'chart-coverage') > 0.01, 'chart canvas is blank');
  // Bytes per round: bars, not just the axes.
  assert.ok(await inkFraction(page, 'chart-bytes') > 0.02, 'bytes chart is blank');
  assert.deepEqual(problems, []);
  await page.close();
});

// At the default speed the run animates over real time: partway through it is neither 0 nor finished.
test('default speed animates over several seconds', async () => {
  const { page } = await open(chrome.browser, `${srv.url}/`);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(2500);
  const mid = await coverage(page);
  assert.ok(mid > 0.5 && mid < 100, `coverage after 2.5 s: ${mid}`);
  await page.click('[data-testid=pause]');
  const paused = await page.textContent('[data-testid=round]');
  await page.waitForTimeout(800);
  assert.equal(await page.textContent('[data-testid=round]'), paused, 'pause stops the clock');
  await page.close();
});

// Step runs one round at a time; reset returns to the start with the same seed.
test('step and reset', async () => {
  const { page } = await open(chrome.browser, `${srv.url}/#nodes=100`);
  await page.click('[data-testid=step]');
  await page.click('[data-testid=step]');
  assert.equal(await page.textContent('[data-testid=round]'), '2');
  const after2 = await page.textContent('[data-testid=messages]');
  await page.click('[data-testid=reset]');
  assert.equal(await page.textContent('[data-testid=round]'), '0');
  await page.click('[data-testid=step]');
  await page.click('[data-testid=step]');
  assert.equal(await page.textContent('[data-testid=messages]'), after2, 'same seed, same run');
  await page.close();
});

// Controls change the run, write the link, and refuse bad values with a named field and range.
test('controls change the run and explain bad values', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/`);
  await page.fill('[data-testid=param-nodes]', '64');
  await page.press('[data-testid=param-nodes]', 'Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=coverage]').textContent === '1.6%');
  assert.match(page.url(), /nodes=64/);
  // Part-way, a live setting changes the run from this round on (it goes into the schedule).
  await page.click('[data-testid=step]');
  await page.click('[data-testid=step]');
  await page.selectOption('[data-testid=param-spread]', 'push-pull');
  assert.match(page.url(), /faults=spread:push-pull@2r/);
  assert.equal(await page.textContent('[data-testid=round]'), '2');
  // A setting that defines the cluster starts a new run; the one that had
  // started stays on the chart for comparison, until cleared.
  await page.fill('[data-testid=param-nodes]', '80');
  await page.press('[data-testid=param-nodes]', 'Enter');
  assert.equal(await page.textContent('[data-testid=round]'), '0');
  assert.match(await page.textContent('[data-testid=clear-comparison]'), /1 earlier run /);
  await page.click('[data-testid=clear-comparison]');
  assert.equal(await page.$('[data-testid=clear-comparison]'), null);
  await page.fill('[data-testid=param-fanout]', '500');
  await page.press('[data-testid=param-fanout]', 'Enter');
  const banner = await page.textContent('[data-testid=error]');
  assert.match(banner, /fanout/);
  assert.match(banner, /1 to 64/);
  assert.equal(await page.getAttribute('[data-testid=param-fanout]', 'aria-invalid'), 'true');
  // And beside the field, where the eye is (the banner may be scrolled away), linked for a screen reader.
  assert.equal(await page.getAttribute('[data-testid=param-fanout]', 'aria-describedby'), 'e-fanout');
  assert.match(await page.textContent('#e-fanout'), /fanout.*1 to 64\. The run keeps 2\./);
  await page.fill('[data-testid=param-nodes]', '5000000');
  await page.press('[data-testid=param-nodes]', 'Enter');
  assert.match(await page.textContent('[data-testid=error]'), /nodes.*100000/);
  // The page is still usable.
  await page.selectOption('[data-testid=speed]', 'max');
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=coverage]').textContent === '100.0%');
  assert.deepEqual(problems, []);
  await page.close();
});

// A broken link opens a working page with a banner that names each bad field.
test('broken link shows the error banner', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=abc&loss_rate=7&fanout=3&bogus=1&speed=warp`);
  const banner = await page.textContent('[data-testid=error]');
  for (const field of ['nodes', 'loss_rate', 'bogus', 'speed']) assert.match(banner, new RegExp(field));
  assert.match(banner, /0 to 1/);
  assert.equal(await page.inputValue('[data-testid=param-fanout]'), '3', 'good fields are kept');
  await page.click('[data-testid=step]');
  assert.equal(await page.textContent('[data-testid=round]'), '1');
  assert.deepEqual(problems, []);
  await page.close();
});

// A link asking for more work per round than a frame can hold is refused with the allowed fanout, not frozen.
test('too much work per round is refused with a named limit', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=100000&fanout=64`);
  const banner = await page.textContent('[data-testid=error]');
  assert.match(banner, /fanout/);
  assert.match(banner, /1 to 10/);
  assert.equal(await page.inputValue('[data-testid=param-nodes]'), '200', 'the page falls back to the defaults');
  await page.click('[data-testid=step]');
  assert.equal(await page.textContent('[data-testid=round]'), '1');
  assert.deepEqual(problems, []);
  await page.close();
});

// Clicking a node opens the inspector; its button crashes the node, and the link records it.
test('click inspects a node; crash from the inspector is recorded in the link', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=20`);
  const box = await page.$eval('[data-testid=graph]', (c) => { const r = c.getBoundingClientRect(); return { w: r.width, h: r.height }; });
  // Node 0 sits at the top of the ring.
  const r = Math.min(box.w, box.h) / 2 - 12 / (await page.evaluate(() => window.devicePixelRatio));
  await page.click('[data-testid=graph]', { position: { x: box.w / 2, y: box.h / 2 - r } });
  const inspector = await page.textContent('[data-testid=inspector]');
  assert.match(inspector, /node\s*0/);
  assert.match(inspector, /origin/);
  await page.click('[data-testid=inspector-crash]');
  assert.match(decodeURIComponent(page.url()), /faults=crash:0@0s/);
  assert.match(await page.textContent('[data-testid=inspector]'), /crashed/);
  assert.equal(await page.textContent('[data-testid=inspector-crash]'), 'Restart node');
  assert.deepEqual(problems, []);
  await page.close();
});

// Scrubbing the timeline back gives the same state as running to that point, and forward returns to the end.
test('timeline scrub replays exactly', async () => {
  const url = `${srv.url}/#nodes=300&loss_rate=0.2&speed=max`;
  const { page, problems } = await open(chrome.browser, url);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished');
  const endMsgs = await page.textContent('[data-testid=messages]');
  const endRound = await page.textContent('[data-testid=round]');
  const seek = (ms) => page.$eval('[data-testid=timeline]', (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  await seek(3000);
  assert.equal(await page.textContent('[data-testid=round]'), '3');
  const scrubbed = [await page.textContent('[data-testid=messages]'), await coverage(page)];
  const other = await open(chrome.browser, url);
  for (let i = 0; i < 3; i++) await other.page.click('[data-testid=step]');
  assert.deepEqual([await other.page.textContent('[data-testid=messages]'), await coverage(other.page)], scrubbed);
  await other.page.close();
  await seek(Number(endRound) * 1000);
  assert.equal(await page.textContent('[data-testid=messages]'), endMsgs);
  assert.ok(await inkFraction(page, 'chart-messages') > 0.01, 'messages chart is blank');
  assert.deepEqual(problems, []);
  await page.close();
});

// Keyboard: space plays and pauses, the right arrow steps.
test('keyboard shortcuts', async () => {
  const { page } = await open(chrome.browser, `${srv.url}/#nodes=100`);
  await page.locator('body').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.textContent('[data-testid=round]'), '1');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'running');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent !== 'running');
  await page.close();
});

// On a phone the page has no horizontal scroll.
test('phone viewport fits', async () => {
  const { page } = await open(chrome.browser, `${srv.url}/`, { width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
  await page.close();
});

// Same scenario and seed give the same trace natively (the CLI) and in the browser (wasm).
test('native and browser runs are identical', async () => {
  const bin = ['debug', 'release'].map((p) => path.join(root, 'target', p, 'gossip-lab')).find((p) => fs.existsSync(p));
  assert.ok(bin, 'build the native binary first (cargo build)');
  const { page } = await open(chrome.browser, `${srv.url}/`);
  await page.waitForFunction(() => window.wasmBindings?.runScenario);
  const scenarios = [
    // Lossless rounds: the fast lane (and rumor's own rounds in it) on both sides.
    'nodes=20000&fanout=3',
    'nodes=5000&spread=push-pull&stop=feedback-counter&k=2&faults=crash:1-99@2r,restart:1-49@5r',
    'nodes=3000&spread=pull&stop=blind-coin&k=3&view=partial&view_size=8&seed=11',
    'nodes=2000&spread=push-pull&loss_rate=0.1&seed=7',
    'nodes=500&timing=timed&latency=lognormal&loss_rate=0.2&stop=feedback-coin&k=3&faults=crash:1-9@2s,restart:1-4@5s,partition:0-99@1s,heal@4s',
    'nodes=1000&view=partial&view_size=6&seeds=3&spread=pull&transport=tcp&timing=timed&loss_rate=0.3',
    'nodes=300&protocol=anti-entropy&reconcile=merkle&keys=2000&updates=40&update_every=2&timing=timed&loss_rate=0.05&faults=crash:3@1s,restart:3@6s',
    'nodes=400&protocol=anti-entropy&reconcile=recent&spread=pull&keys=500&updates=20&recent_window=8',
    'nodes=800&updates=12&update_every=1&stop=feedback-counter&k=2&conn_limit=1&backup_interval=6&spread=push-pull',
    'nodes=80&protocol=membership&timing=timed&max_rounds=40&loss_rate=0.1&app_keys=3&key_rate=0.5&faults=crash:3@5s,restart:3@15s,delete:5@8s,join:2@12s',
    'nodes=120&protocol=swim&timing=timed&max_rounds=40&loss_rate=0.2&faults=crash:3@5s,restart:3@20s,join:3@10s',
    'nodes=2000&protocol=aggregate&fanout=1&loss_rate=0.05&function=count&exchange=push-sum&timing=timed&max_rounds=60&faults=crash:3@2s',
    'nodes=3000&protocol=aggregate&fanout=2&epoch_rounds=10&max_rounds=35&malicious=0.05&attack=drop',
    'nodes=100&protocol=broadcast&order=total&updates=30&update_every=1&senders=3&timing=timed&latency=exponential&latency_ms_max=2000&loss_rate=0.1&backup_interval=2&k=3',
    'nodes=40&protocol=election&timing=timed&max_rounds=40&faults=crash:0@5s,partition:0-19@20s,heal@30s',
    'nodes=500&malicious=0.05&attack=fake-rumor&verify=signatures&stop=feedback-coin',
    'nodes=40&protocol=membership&timing=timed&max_rounds=30&malicious=0.1&attack=inflate-heartbeat&faults=crash:3@5s',
    // Topologies: peers drawn from a fixed graph, joiners linking in.
    'nodes=600&topology=ring&topology_degree=2&spread=push-pull&max_rounds=500',
    'nodes=900&topology=torus&fanout=2&timing=timed&loss_rate=0.1',
    'nodes=2000&topology=random-regular&topology_degree=5&stop=feedback-counter&k=2',
    'nodes=1000&topology=small-world&rewire_rate=0.05&spread=pull&faults=join:20@3r',
    'nodes=1500&topology=scale-free&topology_degree=6&spread=push-pull',
    'nodes=60&protocol=membership&timing=timed&max_rounds=30&topology=random-regular&topology_degree=4&faults=crash:3@5s',
    // Live changes: the fast lane stops and starts again with the loss; the clock follows the interval.
    'nodes=4000&fanout=1&stop=feedback-coin&k=3&faults=fanout:3@3r,interval_ms:500@4r,loss_rate:0.2@5r,loss_rate:0@7r',
    'nodes=300&timing=timed&faults=interval_ms:400@2500ms,latency_ms_max:200@3s,stop:feedback-coin@4s,k:1@4s',
    'nodes=40&protocol=swim&timing=timed&max_rounds=40&faults=crash:3@5s,suspicion_ms:1000@6s,indirect_probes:0@6s',
  ];
  for (const frag of scenarios) {
    const native = JSON.parse(execFileSync(bin, ['run', ...frag.split('&'), '--json']).toString());
    const browser = await page.evaluate((f) => window.wasmBindings.runScenario(f), frag);
    assert.equal(browser.trace_hash, native.trace_hash, frag);
    assert.equal(browser.sent, native.sent, frag);
  }
  await page.close();
});

// A/B comparison: two variants on one seed side by side, with the table of both
// runs' metrics; the link carries variant A; pinning from the toolbar works too.
test('compare two variants side by side', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=300&protocol=anti-entropy&spread=push-pull&fanout=1&keys=10000&updates=100&vs.reconcile=full&speed=max`);
  assert.match(await page.textContent('[data-testid=compare-view]'), /A: reconcile=full.*B: reconcile=merkle/s);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 20000 });
  assert.ok(await inkFraction(page, 'graph-a') > 0.01, 'A graph is blank');
  const rows = await page.$$eval('[data-testid=compare-table] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  const row = (name) => rows.find((r) => r[0].startsWith(name));
  assert.deepEqual(row('coverage').slice(1), ['100.0%', '100.0%']);
  const [fullBytes, merkleBytes] = row('bytes').slice(1).map(Number);
  assert.ok(fullBytes > 100 * merkleBytes, `full ${fullBytes} vs merkle ${merkleBytes} bytes per node`);
  // Stop comparing, then pin again from the toolbar and change one setting.
  await page.click('[data-testid=compare]');
  assert.equal(await page.$('[data-testid=compare-view]'), null);
  assert.doesNotMatch(page.url(), /vs\./);
  await page.click('[data-testid=compare]');
  await page.selectOption('[data-testid=param-reconcile]', 'checksum');
  assert.match(page.url(), /reconcile=checksum.*vs\.reconcile=merkle/);
  assert.match(await page.textContent('[data-testid=compare-view]'), /A: reconcile=merkle.*B: reconcile=checksum/s);
  assert.deepEqual(problems, []);
  await page.close();
});

// A setting being typed while the run plays keeps what was typed (the frames redraw
// the page many times a second) until Enter commits it.
test('typing a setting survives a playing run', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=2000`);
  await page.click('[data-testid=play]');
  await page.waitForTimeout(300);
  await page.fill('[data-testid=param-fanout]', '7');
  await page.waitForTimeout(1000);
  assert.equal(await page.inputValue('[data-testid=param-fanout]'), '7');
  await page.press('[data-testid=param-fanout]', 'Enter');
  // Part-way through the run: a live change, written into the schedule.
  await page.waitForFunction(() => location.hash.includes('fanout:7@'));
  assert.deepEqual(problems, []);
  await page.close();
});

// Every protocol and option is selectable: anti-entropy and several updates from the controls.
test('anti-entropy and several updates from the controls', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#speed=max`);
  await page.selectOption('[data-testid=param-protocol]', 'anti-entropy');
  await page.fill('[data-testid=param-updates]', '30');
  await page.press('[data-testid=param-updates]', 'Enter');
  assert.match(page.url(), /protocol=anti-entropy.*updates=30/);
  // Settings that do not apply are not shown; those of anti-entropy are.
  assert.equal(await page.$('[data-testid=param-stop]'), null);
  assert.ok(await page.$('[data-testid=param-reconcile]'));
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 20000 });
  assert.equal(await coverage(page), 100);
  await page.selectOption('[data-testid=param-protocol]', 'rumor');
  await page.fill('[data-testid=param-updates]', '33');
  await page.press('[data-testid=param-updates]', 'Enter');
  assert.match(await page.textContent('[data-testid=error]'), /updates.*at most 32/);
  assert.deepEqual(problems, []);
  await page.close();
});

// Membership: a crash is detected and shown; the views agree again; the inspector
// shows the membership table and the event log, and can set a key at a node.
test('membership detects a crash', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=40&protocol=membership&timing=timed&max_rounds=60&faults=crash:7@10s&speed=max`);
  assert.match(await page.textContent('.stats'), /of views agree/);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 30000 });
  const first = await page.textContent('[data-testid=detect-first] b');
  assert.match(first, /^\d+(\.\d)? s$|^\d+ ms$/, `first detection: ${first}`);
  assert.equal(await page.textContent('[data-testid=false-positives] b'), '0');
  assert.equal(await coverage(page), 100);
  assert.ok(await inkFraction(page, 'chart-detections') > 0.005, 'the detection chart is blank');
  // The ring layout puts node 0 at the top: click it to inspect.
  const box = await page.$eval('[data-testid=graph]', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  for (let dy = 0.02; dy < 0.2 && !(await page.$('[data-testid=inspector]')); dy += 0.01) {
    await page.mouse.click(box.x + box.w / 2, box.y + box.h * dy);
  }
  const inspector = await page.textContent('[data-testid=inspector]');
  assert.match(inspector, /membership/);
  assert.match(inspector, /dead 7/, 'the event log shows node 7 marked dead');
  await page.click('[data-testid=inspector-write]');
  // The inspector's key picker starts at key 0: node 0 sets its key 0 now.
  assert.match(page.url(), /update(:|%3A)0(\/|%2F)0(@|%40)/);
  assert.deepEqual(problems, []);
  await page.close();
});

// Aggregation, ordered broadcast and election from their links: each plays to its
// end, draws its own chart and shows its figures, with no console error.
test('aggregation, broadcast and election play with their own charts', async () => {
  const cases = [
    ['nodes=3000&protocol=aggregate&fanout=1&target_error=0.0001', 'variance-ratio', /0\.3\d\d \(theory 0\.303\)/],
    ['nodes=100&protocol=broadcast&order=causal&fanout=2&k=3&backup_interval=2&updates=30&update_every=1&senders=2&timing=timed&latency=exponential&latency_ms_max=2000&loss_rate=0.1', 'order-violations', /^0 /],
    ['nodes=30&protocol=election&timing=timed&max_rounds=50&faults=crash:0@5s', 'elect-all', /s to elect/],
  ];
  for (const [frag, stat, pattern] of cases) {
    const { page, problems } = await open(chrome.browser, `${srv.url}/#${frag}&speed=max`);
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 30000 });
    assert.match(await page.textContent(`[data-testid=${stat}]`), pattern, frag);
    const chart = frag.includes('election') ? 'chart-detections' : 'chart-protocol';
    assert.ok(await inkFraction(page, chart) > 0.005, `${chart} is blank for ${frag}`);
    assert.equal(await coverage(page), 100, frag);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

// An attack from the presets: without signatures the invented rumor pollutes honest
// nodes; with them (variant B) none is polluted and forgeries are counted as rejected.
// Heartbeat membership past what a message carries: live nodes are marked dead
// by the hundred; the page says why beside the figures and offers whole states,
// after which the run starts again and the detector holds.
test('membership past its message size says why live nodes die', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#protocol=membership&nodes=400&mtu_bytes=300&timing=timed&max_rounds=20&speed=max`);
  assert.equal(await page.$('[data-testid=scale-hint]'), null, 'no hint before anything happened');
  await page.click('[data-testid=play]');
  await page.waitForSelector('[data-testid=scale-hint]', { timeout: 30000 });
  assert.match(await page.textContent('[data-testid=scale-hint]'), /300-byte message carries the heartbeats of at most 8 of 400 nodes/);
  await page.click('[data-testid=scale-hint-fix]');
  await page.waitForFunction(() => /mtu_bytes=65535/.test(location.hash));
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 30000 });
  assert.equal(await page.$('[data-testid=scale-hint]'), null, 'the hint stays once whole states are sent');
  assert.ok(parseFloat(await page.textContent('[data-testid=false-positives]')) < 10);
  assert.deepEqual(problems, []);
  await page.close();
});

test('signatures stop an invented rumor', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=1000&fanout=1&malicious=0.05&attack=fake-rumor&verify=signatures&vs.verify=none&speed=max`);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 30000 });
  assert.match(await page.textContent('[data-testid=polluted]'), /^0\.0% /);
  assert.ok(parseFloat(await page.textContent('[data-testid=rejected]')) > 0);
  const table = await page.textContent('[data-testid=compare-table]');
  assert.match(table, /honest nodes polluted/);
  assert.ok(await inkFraction(page, 'chart-protocol') > 0.005);
  assert.deepEqual(problems, []);
  await page.close();
});

// Canvas pixels as a short fingerprint, to tell two pictures apart.
async function pixelHash(page, testid) {
  return page.$eval(`[data-testid=${testid}]`, (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let h = 0;
    for (let i = 0; i < data.length; i += 97) h = (h * 31 + data[i]) >>> 0;
    return h;
  });
}

// Partition by drag: with "Cut a partition" on, a rectangle dragged over the graph
// cuts those nodes off (written in the link, replayed by it); Heal removes it.
test('partition by dragging a rectangle, then heal', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=100&spread=push-pull&timing=timed`);
  await page.click('[data-testid=step]');
  await page.click('[data-testid=cut]');
  assert.equal(await page.getAttribute('[data-testid=cut]', 'aria-pressed'), 'true');
  const box = await page.locator('[data-testid=graph]').boundingBox();
  await page.mouse.move(box.x + 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height - 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes('partition:'));
  const hash = decodeURIComponent(await page.evaluate(() => location.hash));
  // The set is ids and ranges, or for a scattered selection a `~` bitmap (base64url), whichever is shorter.
  const m = hash.match(/partition:(~[A-Za-z0-9_-]+|[0-9+-]+)@(1s|1000ms)/);
  assert.ok(m, hash);
  const count = (set) => set.startsWith('~')
    ? [...Buffer.from(set.slice(1), 'base64url')].reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0)
    : set.split('+').reduce((n, r) => { const [a, b] = r.split('-').map(Number); return n + (b === undefined ? 1 : b - a + 1); }, 0);
  // Some nodes, not all.
  const ids = count(m[1]);
  assert.ok(ids > 5 && ids < 95, `${ids} nodes cut off`);
  await page.click('[data-testid=heal]');
  await page.waitForFunction(() => decodeURIComponent(location.hash).match(/heal@(1s|1000ms)/));
  // The inspector shows the group of a cut-off node while partitioned: replay the link and look.
  assert.deepEqual(problems, []);
  await page.close();
});

// Zoom (wheel and buttons) and pan change the picture; Fit brings it back.
// Layouts change it too, and are kept in the link; a bad one is named in the banner.
test('zoom, pan, layouts and hover', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=300&view=partial&view_size=4`);
  await page.waitForTimeout(200);
  const before = await pixelHash(page, 'graph');
  const box = await page.locator('[data-testid=graph]').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -200);
  await page.waitForFunction(() => !document.querySelector('[data-testid=reset-view]').disabled);
  assert.notEqual(await pixelHash(page, 'graph'), before, 'zoom did not change the picture');
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 40, { steps: 5 });
  await page.mouse.up();
  await page.click('[data-testid=reset-view]');
  await page.waitForTimeout(100);
  assert.equal(await pixelHash(page, 'graph'), before, 'Fit did not restore the view');
  for (const layout of ['grid', 'circle', 'random', 'force']) {
    await page.selectOption('[data-testid=layout]', layout);
    await page.waitForTimeout(150);
    assert.notEqual(await pixelHash(page, 'graph'), before, layout);
    assert.ok((await page.evaluate(() => location.hash)).includes(`layout=${layout}`));
  }
  // Hover over a node of the grid layout shows its summary.
  await page.selectOption('[data-testid=layout]', 'grid');
  let shown = false;
  for (let i = 0; i < 40 && !shown; i++) {
    await page.mouse.move(box.x + 12 + (i % 8) * 9, box.y + 12 + Math.floor(i / 8) * 9);
    shown = await page.locator('[data-testid=hover]').count() > 0;
  }
  assert.ok(shown, 'no hover summary');
  assert.match(await page.textContent('[data-testid=hover]'), /^node \d+: /);
  assert.deepEqual(problems, []);
  await page.close();
  const bad = await open(chrome.browser, `${srv.url}/#layout=spiral`);
  assert.match(await bad.page.textContent('[data-testid=error]'), /layout: 'spiral' is not allowed; allowed: auto, circle, grid, random, force/);
  await bad.page.close();
});

// Embeds: on the docs page two playgrounds mounted through the JS API run on their
// own (playing one leaves the other alone), set() changes one and refuses a bad
// value by name, destroy() empties its element; the custom element shows the
// controls its author chose and names bad input in place.
test('embeds run independently through the JS API and the custom element', async () => {
  const page = await chrome.browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${srv.url}/embed.html`);
  await page.waitForFunction(() => window.demo);
  const round = (id) => page.$eval(`[data-testid=${id}] [data-testid=round]`, (e) => Number(e.textContent));
  await page.evaluate(() => window.demo.a.play());
  await page.waitForFunction(() => document.querySelector('[data-testid=api-a-status]').textContent.startsWith('finished'), null, { timeout: 20000 });
  assert.ok(await round('api-a') > 5);
  assert.equal(await round('api-b'), 0, 'playing A moved B');
  assert.match(await page.textContent('[data-testid=api-a-status]'), /finished: 100\.0% in \d+ rounds/);
  const err = await page.evaluate(() => { try { window.demo.b.set('fanout', '0'); return null; } catch (e) { return e.message; } });
  assert.match(err, /fanout: '0' is not allowed; allowed a whole number from 1 to 64/);
  await page.evaluate(() => { window.demo.b.set('spread', 'push'); window.demo.b.play(); });
  assert.match(await page.evaluate(() => window.demo.b.scenario()), /spread=push$/);
  await page.waitForFunction(() => document.querySelector('[data-testid=api-b-status]').textContent.startsWith('finished'), null, { timeout: 20000 });
  await page.evaluate(() => window.demo.a.destroy());
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=api-a]').shadowRoot.querySelector('.gossip-lab-box').children.length), 0);
  assert.equal(await page.locator('[data-testid=element-demo] [data-testid=param-exchange]').count(), 1);
  assert.equal(await page.locator('[data-testid=element-demo] [data-testid=param-loss_rate]').count(), 1);
  assert.match(await page.getAttribute('[data-testid=element-bad]', 'data-error'), /nodes: '0' is not allowed; allowed a whole number from 2 to 100000$/);
  assert.deepEqual(problems, []);
  await page.close();
});

// An author's blank page on another origin, with CSS that would wreck the
// playground's (serif type, bulleted lists, 10 px canvases): the element loads
// cross-origin, brings its own styles in a shadow root, plays, and runs A/B.
test('the element on another site is styled, plays, and compares A and B', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gossip-lab-blank-'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title><link rel="icon" href="data:,">
    <style>body { font: 11px Georgia, serif; } ul, li { list-style: disc; display: list-item; } canvas { width: 10px !important; } button { all: unset; }</style>
    <script type="module" src="${srv.url}/embed.js"></script></head><body>
    <p>Some prose.</p>
    <div style="width: 640px"><gossip-lab id="one" scenario="nodes=300&fanout=1&speed=max" controls="fanout,loss_rate"></gossip-lab></div>
    <div style="width: 640px"><gossip-lab id="ab" scenario="nodes=200&fanout=1&spread=push-pull&vs.spread=push&speed=max"></gossip-lab></div>
    </body></html>`);
  const blank = await serve(dir);
  try {
    assert.notEqual(new URL(blank.url).port, new URL(srv.url).port);
    const { page, problems } = await open(chrome.browser, `${blank.url}/`, { width: 800, height: 1200 });
    const graph = await page.locator('#one [data-testid=graph]').boundingBox();
    assert.ok(graph.width >= 300 && graph.width <= 640, `the graph is ${graph.width} px wide in a 640 px box`);
    const legend = await page.locator('#one [data-testid=legend] li').first().evaluate((li) => getComputedStyle(li).listStyleType);
    assert.equal(legend, 'none', 'the host page styled the legend');
    const play = await page.locator('#one [data-testid=play]').evaluate((b) => [getComputedStyle(b).borderTopStyle, getComputedStyle(b).fontFamily]);
    assert.equal(play[0], 'solid');
    assert.doesNotMatch(play[1], /Georgia/);
    await page.locator('#one [data-testid=play]').click();
    await page.locator('#one [data-testid=run-state]').filter({ hasText: 'finished' }).waitFor({ timeout: 20000 });
    assert.ok(Number(await page.locator('#one [data-testid=round]').textContent()) > 5);
    // A/B: two graphs captioned with what differs, and one chart.
    assert.equal(await page.locator('#ab [data-testid=graph-a]').count(), 1);
    assert.match(await page.locator('#ab figcaption.a').textContent(), /A: spread=push/);
    assert.match(await page.locator('#ab figcaption.b').textContent(), /B: spread=push-pull/);
    const err = await page.evaluate(async () => {
      const lab = await window.GossipLabReady;
      const h = lab.mount(document.body.appendChild(document.createElement('div')), 'nodes=100&vs.fanout=0');
      return h;
    }).catch((e) => e.message);
    assert.match(err, /vs\.fanout: '0' is not allowed; allowed a whole number from 1 to 64/);
    assert.deepEqual(problems.filter((p) => !/vs\.fanout/.test(p)), []);
    await page.close();
  } finally {
    await blank.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A host that sends Access-Control-Allow-Origin for the scripts but forgets the
// WebAssembly: the element says which file failed and what the host must do,
// instead of staying blank.
test('an element whose files cannot load says which and why', async () => {
  const files = await serve(path.join(root, 'dist'), { withholdCors: /\.wasm$/ });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gossip-lab-nocors-'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title><link rel="icon" href="data:,">
    <script type="module" src="${files.url}/embed.js"></script></head><body>
    <gossip-lab id="one" scenario="nodes=100"></gossip-lab></body></html>`);
  const blank = await serve(dir);
  try {
    const page = await chrome.browser.newPage();
    await page.goto(`${blank.url}/`);
    await page.waitForSelector('#one[data-error]', { timeout: 20000 });
    const error = await page.getAttribute('#one', 'data-error');
    assert.match(error, /could not load http:\/\/127\.0\.0\.1:\d+\/gossip-lab_bg\.wasm/);
    assert.match(error, /Access-Control-Allow-Origin; see embed\.html/);
    assert.match(await page.locator('#one [role=alert]').textContent(), /^Gossip Lab: could not load/);
    await page.close();
  } finally {
    await blank.close();
    await files.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The npm package: packed as `make package` packs it, installed with npm into a
// blank site in a temporary folder, served on its own port, and loaded from
// node_modules: the element renders styled and plays.
test('the packed npm package installs into a blank site and plays', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gossip-lab-npm-'));
  try {
    const out = execFileSync('node', [path.join(root, 'scripts/npm-package.mjs'), '--out', path.join(dir, 'pack')]).toString().trim();
    assert.match(out, /gossip-lab-\d+\.\d+\.\d+\.tgz$/);
    const site = path.join(dir, 'site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'package.json'), '{"name": "blank-site", "private": true}\n');
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', out], { cwd: site, stdio: 'ignore' });
    const installed = JSON.parse(fs.readFileSync(path.join(site, 'node_modules/gossip-lab/package.json'), 'utf8'));
    assert.equal(installed.exports['.'], './embed.js');
    for (const f of ['embed.js', 'gossip-lab.js', 'gossip-lab_bg.wasm', 'style.css', 'lessons/01-why-gossip.md', 'README.md']) {
      assert.ok(fs.existsSync(path.join(site, 'node_modules/gossip-lab', f)), `${f} is not in the package`);
    }
    fs.writeFileSync(path.join(site, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A site</title><link rel="icon" href="data:,">
      <script type="module" src="/node_modules/gossip-lab/embed.js"></script></head><body>
      <div style="width: 640px"><gossip-lab scenario="nodes=200&fanout=2&speed=max" controls="fanout"></gossip-lab></div></body></html>`);
    const blank = await serve(site);
    try {
      const { page, problems } = await open(chrome.browser, `${blank.url}/`);
      const graph = await page.locator('gossip-lab [data-testid=graph]').boundingBox();
      assert.ok(graph.width >= 300, `the graph is ${graph.width} px wide`);
      await page.locator('gossip-lab [data-testid=play]').click();
      await page.locator('gossip-lab [data-testid=run-state]').filter({ hasText: 'finished' }).waitFor({ timeout: 20000 });
      assert.equal(await page.locator('gossip-lab [data-testid=coverage]').textContent(), '100.0%');
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await blank.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Record: a WebM of the graph and the chart, painted each time the run moves,
// stopped by the run's end and saved as a file; its frames are counted.
test('record saves a WebM of the run', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=200&fanout=2&seed=4&speed=2`);
  await page.click('[data-testid=record]');
  assert.equal(await page.getAttribute('[data-testid=record]', 'aria-pressed'), 'true');
  const saved = page.waitForEvent('download', { timeout: 60000 });
  await page.click('[data-testid=play]');
  const dl = await saved;
  assert.equal(dl.suggestedFilename(), 'gossip-lab-rumor-seed4.webm');
  const bytes = fs.readFileSync(await dl.path());
  assert.ok(bytes.length > 2000, `${bytes.length} bytes`);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], 'a WebM (EBML) file');
  const frames = Number(await page.getAttribute('[data-testid=record-frames]', 'data-frames'));
  const rounds = Number(await page.textContent('[data-testid=round]'));
  assert.ok(frames >= rounds && frames <= 60 * 60, `${frames} frames for ${rounds} rounds`);
  assert.equal(await page.getAttribute('[data-testid=record]', 'aria-pressed'), 'false');
  assert.deepEqual(problems, []);
  await page.close();
});

// Export: the chart data as CSV and the scenario as JSON; the JSON runs natively
// (gossip-lab run --scenario) to the same trace as the page; the Embed button
// writes an iframe snippet for this run.
test('export data and scenario; embed snippet', async () => {
  const frag = 'nodes=400&spread=push-pull&loss_rate=0.1&seed=9';
  const { page, problems } = await open(chrome.browser, `${srv.url}/#${frag}&speed=max`);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished');
  const save = async (value) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.selectOption('[data-testid=export]', value)]);
    return fs.readFileSync(await dl.path(), 'utf8');
  };
  const csv = (await save('csv')).trim().split('\n');
  assert.equal(csv[0], 'round,t_ms,coverage,active,live,msgs,bytes');
  assert.equal(Number(csv.at(-1).split(',')[2]), 1, 'last row is not at full coverage');
  const json = await save('json');
  const file = path.join(fs.mkdtempSync(path.join(root, 'target', 'e2e-')), 's.json');
  fs.writeFileSync(file, json);
  const native = JSON.parse(execFileSync(path.join(root, 'target/debug/gossip-lab'), ['run', '--scenario', file, '--json']).toString());
  const browser = await page.evaluate((f) => window.wasmBindings.runScenario(f), frag);
  assert.equal(native.trace_hash, browser.trace_hash);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.selectOption('[data-testid=export]', 'graph')]);
  assert.match(dl.suggestedFilename(), /^gossip-lab-rumor-seed9-graph\.png$/);
  const bytes = fs.readFileSync(await dl.path());
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'not a PNG');
  await page.click('[data-testid=embed]');
  assert.match(await page.inputValue('[data-testid=embed-snippet]'), /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#v=1&nodes=400.*&embed=1&controls=nodes,spread,loss_rate" /);
  assert.deepEqual(problems, []);
  await page.close();
});

// Check the claims: one click runs a quoted figure's scenario and the measured
// answer appears beside the claim, with the verdict.
test('check the claims', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/`);
  await page.click('[data-testid=claims] summary');
  for (const i of [0, 2]) {
    await page.click(`[data-testid=claim-run-${i}]`);
    await page.waitForFunction((n) => document.querySelector(`[data-testid=claim-result-${n}]`).textContent.includes('the claim'), i, { timeout: 30000 });
    assert.match(await page.textContent(`[data-testid=claim-result-${i}]`), /^measured .+: [0-9.]+ — the claim holds$/);
  }
  assert.match(await page.textContent(`[data-testid=claim-result-0]`), /rounds until every node has it: 1[2-8]\.\d+/);
  // The papers' bench: Demers et al.'s Table 1 at k = 2 over its 200 seeds, every row measured.
  await page.click('[data-testid=bench-run-demers-t1-k2]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=bench-demers-t1-k2] tbody tr').length === 4, null, { timeout: 60000 });
  const verdicts = await page.$$eval('[data-testid=bench-demers-t1-k2] tbody tr td:last-child', (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(verdicts, ['agrees', 'agrees', 'differs (known)', 'agrees']);
  assert.deepEqual(problems, []);
  await page.close();
});

// A user's graph: the edge list is edited in place, a malformed line is named
// in the banner with the text kept, and a good list runs and travels in the link.
// With an uplink the queue chart appears and draws.
test('an edge list is edited, refused by line, and charted with an uplink', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=6&topology=edges&edges=0-1,1-2,2-3,3-4,4-5,5-0&timing=timed&uplink_bytes_per_s=20000&fanout=3&payload_bytes=900&speed=max`);
  assert.equal(await page.inputValue('[data-testid=param-edges]'), '0 1\n1 2\n2 3\n3 4\n4 5\n5 0');
  await page.fill('[data-testid=param-edges]', '0 1\n1 x\n');
  await page.dispatchEvent('[data-testid=param-edges]', 'change');
  const banner = await page.textContent('[data-testid=error]');
  assert.match(banner, /^edges: .*line 2 \('1 x'\): 'x' is not a node id/);
  assert.equal(await page.inputValue('[data-testid=param-edges]'), '0 1\n1 x\n');
  await page.fill('[data-testid=param-edges]', '# a path\n0 1\n1 2\n2 3\n3 4\n4 5\n');
  await page.dispatchEvent('[data-testid=param-edges]', 'change');
  await page.waitForFunction(() => location.hash.includes('edges=0-1,1-2,2-3,3-4,4-5'));
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 20000 });
  assert.ok(await inkFraction(page, 'chart-queue') > 0.01, 'queue chart is blank');
  assert.deepEqual(problems, []);
  await page.close();
});
