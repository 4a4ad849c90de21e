// End-to-end tests of lessons, in-browser sweeps and compressed links, in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, open, root } from './harness.mjs';

let srv;
let chrome;

before(async () => { srv = await serve(); chrome = await launch(); });
after(async () => { await chrome?.close(); await srv?.close(); });

const LESSONS = fs.readdirSync(path.join(root, 'www/lessons')).filter((f) => f.endsWith('.md')).sort();
const bin = path.join(root, 'target/debug/gossip-lab');

// Answer the open step's check and wait for the verdict; returns whether it passed.
async function answer(page, value) {
  if (await page.$('[data-testid=lesson-option-1]')) {
    await page.check(`[data-testid=lesson-option-${value}]`);
  } else {
    await page.fill('[data-testid=lesson-answer]', String(value));
    await page.press('[data-testid=lesson-answer]', 'Tab');
  }
  await page.click('[data-testid=lesson-check-run]');
  await page.waitForSelector('[data-testid=lesson-verdict]', { timeout: 120000 });
  return (await page.getAttribute('[data-testid=lesson-verdict]', 'data-pass')) === 'true';
}

// The first check of a lesson file: its step, kind, and for a choice the right option.
function firstCheck(file) {
  const text = fs.readFileSync(path.join(root, 'www/lessons', file), 'utf8');
  const steps = text.split(/^## /m).slice(1);
  for (let i = 0; i < steps.length; i++) {
    const kind = steps[i].match(/kind: (\w+)/)?.[1];
    if (kind) return { step: i + 1, kind, right: Number(steps[i].match(/answer: (\d+)/)?.[1]) };
  }
  return null;
}

// Every lesson file opens from its link at its first check, which passes a right
// answer and fails a wrong one, with no console error. A choice's right option is
// in the file; an estimate's right answer is what the command line measures.
test('every lesson loads and its first check judges right and wrong answers', async () => {
  assert.ok(LESSONS.length >= 8, `${LESSONS.length} lessons`);
  const { page, problems } = await open(chrome.browser, `${srv.url}/#`);
  for (const file of LESSONS) {
    const id = file.replace(/^\d+-/, '').replace(/\.md$/, '');
    const c = firstCheck(file);
    assert.ok(c, `${file} has a check`);
    await page.goto(`${srv.url}/#lesson=${id}&step=${c.step}`);
    await page.waitForSelector('[data-testid=lesson]');
    assert.match(await page.textContent('[data-testid=lesson-progress]'), new RegExp(`step ${c.step} of`));
    let right;
    let wrong;
    if (c.kind === 'choice') {
      right = c.right;
      wrong = c.right === 1 ? 2 : 1;
    } else {
      assert.equal(c.kind, 'estimate', `${id}: the first check is a choice or an estimate`);
      const out = execFileSync(bin, ['lesson', id, '--step', String(c.step), '--answer', '0']).toString();
      right = Number(out.match(/: (-?[\d.e+-]+) ± /)[1]);
      wrong = Math.abs(right) * 3 + 10;
    }
    assert.equal(await answer(page, wrong), false, `${id}: ${wrong} is wrong`);
    assert.equal(await answer(page, right), true, `${id}: ${right} is right`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

// The picker opens a lesson; Next loads the next step's scenario into the page
// and the link; progress survives a reload (local storage).
test('lesson navigation, scenario loading and saved progress', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#`);
  // Start with no saved progress (the browser profile is shared by the tests).
  await page.evaluate(() => localStorage.clear());
  await page.click('[data-testid=lessons]');
  await page.click('[data-testid=lesson-open-push-pull]');
  assert.match(page.url(), /spread=push.*lesson=push-pull&step=1|lesson=push-pull&step=1/);
  assert.equal(await page.inputValue('[data-testid=param-nodes]'), '1000');
  // The views to watch are named and outlined.
  assert.match(await page.textContent('[data-testid=lesson-look]'), /the graph.*the coverage chart/);
  assert.match(await page.getAttribute('.app-main', 'class'), /look-graph look-coverage/);
  const outline = await page.$eval('[data-testid=chart-coverage]', (c) => getComputedStyle(c).outlineStyle);
  assert.equal(outline, 'solid');
  assert.equal(await answer(page, '40'), false, 'push does not take 40 rounds');
  // Which way, not where: the measured mean waits until the learner asks.
  assert.match(await page.textContent('[data-testid=lesson-verdict]'), /40 is too high: the runs measured less/);
  assert.equal(await page.isVisible('[data-testid=lesson-measured]'), false);
  await page.click('[data-testid=lesson-reveal]');
  assert.match(await page.textContent('[data-testid=lesson-measured]'), /Measured t100 over 20 runs/);
  assert.equal(await answer(page, '18'), true);
  await page.click('[data-testid=lesson-next]');
  assert.equal(await page.inputValue('[data-testid=param-spread]'), 'pull');
  assert.match(page.url(), /spread=pull.*step=2/);
  await page.click('[data-testid=lesson-next]');
  // Step 3 is an A/B comparison: two graphs.
  await page.waitForSelector('.duo');
  await page.reload();
  await page.waitForSelector('[data-testid=lesson]');
  assert.match(await page.textContent('[data-testid=lesson-progress]'), /step 3 of 4 · 1 of 4 checks passed/);
  await page.click('[data-testid=lesson-back]');
  await page.click('[data-testid=lesson-back]');
  assert.match(await page.textContent('[data-testid=lesson-check]'), /passed before/);
  await page.click('[data-testid=lessons]');
  assert.match(await page.textContent('[data-testid=lesson-picker]'), /✓ 1 of 4/);
  assert.deepEqual(problems, []);
  await page.close();
});

// A find check over 100,000-node runs: many frames of work, whatever the engine's speed.
const HEAVY = [
  '---', 'title: At scale', '---', '## A deadline for 100,000 nodes',
  '```scenario', 'nodes=100000&fanout=1', '```',
  '```check', 'kind: find',
  'question: What is the smallest fanout that reaches all 100,000 nodes within 9 rounds in at least 90% of 20 runs?',
  'param: fanout', 'metric: t100', 'op: <=', 'value: 9', 'share: 0.9', 'trials: 20', 'goal: smallest', '```', '',
].join('\n');

// A "find" check runs trials in the page without freezing it, and judges the
// boundary: 4 is the smallest fanout for the deadline, 3 is not.
test('a find check runs trials and names the evidence', async () => {
  // While a long check runs, the page answers: the progress line shows and the step button works.
  const heavy = await open(chrome.browser, `${srv.url}/`);
  await heavy.page.click('[data-testid=lessons]');
  await heavy.page.click('[data-testid=lesson-picker] summary');
  await heavy.page.fill('[data-testid=lesson-paste]', HEAVY);
  await heavy.page.press('[data-testid=lesson-paste]', 'Tab');
  await heavy.page.click('[data-testid=lesson-paste-load]');
  await heavy.page.fill('[data-testid=lesson-answer]', '3');
  await heavy.page.press('[data-testid=lesson-answer]', 'Tab');
  await heavy.page.click('[data-testid=lesson-check-run]');
  await heavy.page.waitForSelector('[data-testid=lesson-running]');
  await heavy.page.click('[data-testid=step]');
  assert.equal(await heavy.page.textContent('[data-testid=round]'), '1');
  assert.ok(await heavy.page.isVisible('[data-testid=lesson-running]'), 'the check is still running after a step');
  await heavy.page.waitForSelector('[data-testid=lesson-verdict]', { timeout: 120000 });
  assert.match(await heavy.page.textContent('[data-testid=lesson-verdict]'), /fanout = 3: \d+ of 20 runs had t100 ≤ 9/);
  assert.deepEqual(heavy.problems, []);
  await heavy.page.close();

  const { page, problems } = await open(chrome.browser, `${srv.url}/#lesson=fanout&step=2`);
  await page.fill('[data-testid=lesson-answer]', '3');
  await page.press('[data-testid=lesson-answer]', 'Tab');
  await page.click('[data-testid=lesson-check-run]');
  await page.waitForSelector('[data-testid=lesson-verdict]', { timeout: 120000 });
  const wrong = await page.textContent('[data-testid=lesson-verdict]');
  assert.match(wrong, /fanout = 3: \d+ of 20 runs had t100 ≤ 8/);
  assert.equal(await page.getAttribute('[data-testid=lesson-verdict]', 'data-pass'), 'false');
  assert.equal(await answer(page, '4'), true);
  assert.match(await page.textContent('[data-testid=lesson-verdict]'), /fanout = 3: .*does not hold/);
  // The page measured what the command line measures.
  const cli = execFileSync(bin, ['lesson', 'fanout', '--step', '2', '--answer', '4']).toString();
  for (const line of cli.split('\n').filter((l) => l.includes('runs had'))) {
    assert.ok((await page.textContent('[data-testid=lesson-verdict]')).includes(line.trim()), line);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

// Teachers' files: a pasted lesson opens; a malformed one names the line; a bad
// lesson id or step in a link opens the page with a banner; a file from a URL loads.
test('teacher lessons and bad lesson input', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#lesson=nope&step=x`);
  // The built-in lessons are fetched beside the page: the unknown id is named once they arrive.
  await page.waitForFunction(() => /is not a lesson/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''));
  const banner = await page.textContent('[data-testid=error]');
  assert.match(banner, /lesson: 'nope' is not a lesson; allowed: why-gossip/);
  assert.match(banner, /step: 'x'/);
  // A step past the end opens the last one and says so; the link's bad settings are named too.
  await page.goto(`${srv.url}/#lesson=fanout&step=99&fanout=0`);
  await page.waitForSelector('[data-testid=lesson]');
  const banner2 = await page.textContent('[data-testid=error]');
  assert.match(banner2, /step: '99' is not allowed; allowed 1 to 3/);
  assert.match(banner2, /fanout: '0'/);
  assert.match(await page.textContent('[data-testid=lesson-progress]'), /step 3 of 3/);
  await page.click('[data-testid=lessons]');
  await page.click('[data-testid=lesson-picker] summary');
  await page.fill('[data-testid=lesson-paste]', '---\ntitle: Mine\n---\n## Only\n```scenario\nfanout=0\n```\n');
  await page.press('[data-testid=lesson-paste]', 'Tab');
  await page.click('[data-testid=lesson-paste-load]');
  assert.match(await page.textContent('[data-testid=lesson-error]'), /line 5: scenario: fanout: '0' is not allowed/);
  await page.fill('[data-testid=lesson-paste]', '---\ntitle: Mine\n---\n## Only\nHello <script>window.bad=1</script> [go](#nodes=77)\n```scenario\nnodes=50\n```\n');
  await page.press('[data-testid=lesson-paste]', 'Tab');
  await page.click('[data-testid=lesson-paste-load]');
  await page.waitForSelector('[data-testid=lesson]');
  assert.match(await page.textContent('[data-testid=lesson]'), /<script>window.bad=1<\/script>/, 'raw HTML is shown as text');
  assert.equal(await page.evaluate(() => window.bad), undefined);
  assert.equal(await page.inputValue('[data-testid=param-nodes]'), '50');
  await page.click('[data-testid=lesson-link]');
  assert.equal(await page.inputValue('[data-testid=param-nodes]'), '77', 'a # link opens its scenario');
  // From a URL: the lesson files are served beside the page.
  await page.goto(`${srv.url}/#lesson_url=${encodeURIComponent(`${srv.url}/lessons/04-stopping.md`)}&step=2`);
  await page.waitForSelector('[data-testid=lesson]');
  assert.match(await page.textContent('[data-testid=lesson-step-title]'), /Buying residue with traffic/);
  await page.goto(`${srv.url}/#lesson_url=${encodeURIComponent(`${srv.url}/lessons/missing.md`)}`);
  await page.waitForSelector('[data-testid=lesson-error]');
  assert.match(await page.textContent('[data-testid=lesson-error]'), /could not load .*missing\.md.*404/);
  assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
  await page.close();
});

// A sweep runs in the page, draws its chart, and its CSV is the command line's, byte for byte.
// Steps that chart what they ask about, on a 1280×720 projector. The SWIM step
// sweeps 25 to 200 nodes for SWIM (B) and heartbeat gossip (A) as it opens, and
// its chart sits beside the text. The tombstone step charts the nodes still
// holding the deleted key, and node 19's inspector says the delete never reaches it.
test('lesson steps run their sweep and show resurrection', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#lesson=failure-detection&step=3`, { width: 1280, height: 720 });
  await page.waitForSelector('[data-testid=chart-sweep]');
  assert.equal(await page.inputValue('[data-testid=sweep-values]'), '25,50,100,200');
  assert.match(await page.getAttribute('[data-testid=chart-sweep]', 'aria-label'), /bytes_per_node_per_s at 25, 50, 100, 200, variant B orange and A violet/);
  await page.waitForSelector('[data-testid=sweep-running]', { state: 'detached', timeout: 120000 });
  const box = await page.locator('[data-testid=chart-sweep]').boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 720.5, `the sweep chart is out of view: ${JSON.stringify(box)}`);
  // The step before has no sweep: its chart goes.
  await page.keyboard.press('PageUp');
  await page.waitForFunction(() => /step=2/.test(location.hash) && !document.querySelector('[data-testid=chart-sweep]'));

  await page.goto(`${srv.url}/#lesson=state&step=3&speed=max`);
  await page.waitForSelector('[data-testid=lesson-step-title]');
  assert.equal(await page.locator('[data-testid=chart-protocol]').count(), 1);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'finished', null, { timeout: 60000 });
  // Node 19 from the keyboard: the graph's arrows wrap from node 0 to the last.
  await page.focus('[data-testid=graph]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('[data-testid=inspector]');
  const inspector = await page.textContent('[data-testid=inspector]');
  assert.match(inspector, /node 0 k0: held v\d+: the delete will never reach it/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('in-browser sweep matches gossip-lab sweep', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=300&loss_rate=0.1`);
  await page.click('[data-testid=sweep] summary');
  await page.selectOption('[data-testid=sweep-key]', 'fanout');
  await page.fill('[data-testid=sweep-values]', '1..3:1');
  await page.press('[data-testid=sweep-values]', 'Tab');
  await page.fill('[data-testid=sweep-trials]', '6');
  await page.press('[data-testid=sweep-trials]', 'Tab');
  await page.click('[data-testid=sweep-run]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=sweep-running]') && document.querySelector('[data-testid=sweep-csv]'), null, { timeout: 60000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=sweep-csv]')]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  const native = execFileSync(bin, ['sweep', 'nodes=300', 'loss_rate=0.1', 'fanout=1..3:1', '--trials', '6']).toString();
  assert.equal(csv, native);
  const ink = await page.$eval('[data-testid=chart-sweep]', (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] < 140 && data[i + 2] < 60) n++;
    return n;
  });
  assert.ok(ink > 50, `the sweep's orange line and points: ${ink} pixels`);
  // Bad sweeps are named.
  await page.click('[data-testid=sweep-cancel]');
  await page.fill('[data-testid=sweep-values]', '1..100:1');
  await page.press('[data-testid=sweep-values]', 'Tab');
  await page.click('[data-testid=sweep-run]');
  assert.match(await page.textContent('[data-testid=sweep-error]'), /100 points; the page sweeps 1 to 40/);
  assert.deepEqual(problems, []);
  await page.close();
});

// A partition cut out of a scattered selection goes into the link as a bitmap,
// and that link replays the same run as the long form.
test('long fault schedules travel compressed and replay exactly', async () => {
  const ids = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 !== 1 && i % 7 !== 2);
  const long = `nodes=300&spread=push-pull&timing=timed&faults=partition:${ids.join('+')}@1s,heal@6s`;
  const { page, problems } = await open(chrome.browser, `${srv.url}/#${long}`);
  await page.fill('[data-testid=param-seed]', '7');
  await page.press('[data-testid=param-seed]', 'Enter');
  const link = page.url();
  const faults = decodeURIComponent(link.match(/faults=([^&]*)/)[1]);
  assert.ok(faults.length * 4 < ids.join('+').length, `compact: ${faults}`);
  assert.match(faults, /partition:~[A-Za-z0-9_-]+@1s,heal@6s/);
  const run = (frag) => page.evaluate((f) => window.wasmBindings.runScenario(f), frag);
  const pairs = link.split('#')[1].split('&').filter((kv) => !kv.startsWith('v=')).map(decodeURIComponent);
  const a = await run(`${long}&seed=7`);
  const b = await run(pairs.join('&'));
  assert.equal(a.trace_hash, b.trace_hash);
  const native = JSON.parse(execFileSync(bin, ['run', ...pairs, '--json']).toString());
  assert.equal(native.trace_hash, a.trace_hash);
  assert.deepEqual(problems, []);
  await page.close();
});
