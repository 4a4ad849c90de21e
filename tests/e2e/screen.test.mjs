// One screen, tweaked live: a change while a run plays goes on from the same
// round and travels in the link; the graph, the coverage chart, the three
// settings and the run controls fit the window at the sizes people use; axe
// finds nothing serious; the keyboard alone plays, tunes, inspects and crashes.
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

const round = async (page) => parseInt(await page.textContent('[data-testid=round]'), 10);
const hash = (page) => page.evaluate(() => decodeURIComponent(location.hash));

// A live change never sends the round counter back to 0; the link it leaves
// holds the change, and the command line runs that link to the trace the
// browser gives for it.
test('a change while the run plays goes on, and the link replays it', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=3000&fanout=1&stop=feedback-coin&k=3`);
  for (let i = 0; i < 4; i++) await page.click('[data-testid=step]');
  assert.equal(await round(page), 4);
  await page.fill('[data-testid=param-fanout]', '3');
  await page.press('[data-testid=param-fanout]', 'Enter');
  assert.equal(await round(page), 4, 'the change restarted the run');
  assert.match(await hash(page), /faults=fanout:3@4r/);
  assert.match(await page.textContent('[data-testid=tune]'), /apply from this moment/);
  // A setting that defines the cluster says so beside its field, and restarts.
  assert.match(await page.textContent('label[for=p-nodes]'), /restarts the run/);
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 30000 });
  assert.ok(await round(page) > 4);
  // The link, run by the command line and by the browser's engine: one trace.
  const frag = (await hash(page)).replace(/^#/, '');
  const pairs = frag.split('&').filter((kv) => !kv.startsWith('speed='));
  const bin = ['debug', 'release'].map((p) => path.join(root, 'target', p, 'gossip-lab')).find((p) => fs.existsSync(p));
  const native = JSON.parse(execFileSync(bin, ['run', ...pairs, '--json']).toString());
  await page.waitForFunction(() => window.wasmBindings?.runScenario);
  const browser = await page.evaluate((f) => window.wasmBindings.runScenario(f), pairs.filter((kv) => kv !== 'v=1' && !kv.startsWith('layout=')).join('&'));
  assert.equal(browser.trace_hash, native.trace_hash, frag);
  assert.equal(await round(page), native.rounds, 'the page ran the run the link describes');
  assert.deepEqual(problems, []);
  await page.close();
});

// At 1280×800, 1366×768 and a 1280×720 projector, light and dark: the graph,
// the coverage chart, the headline figure, play / pause / step / speed and the
// three settings lie inside the window, with no scrolling.
test('the graph, the chart and the three settings share one screen', async () => {
  const must = ['graph', 'chart-coverage', 'coverage', 'play', 'pause', 'step', 'speed', 'param-fanout', 'param-interval_ms', 'param-loss_rate'];
  for (const [width, height, scheme] of [[1280, 800, 'light'], [1366, 768, 'dark'], [1280, 720, 'light'], [1280, 720, 'dark']]) {
    const { page } = await open(chrome.browser, `${srv.url}/`, { width, height });
    await page.emulateMedia({ colorScheme: scheme });
    for (const id of must) {
      const box = await page.locator(`[data-testid=${id}]`).first().boundingBox();
      assert.ok(box, `${id} is not shown at ${width}×${height}`);
      assert.ok(box.y >= 0 && box.y + box.height <= height + 0.5 && box.x >= 0 && box.x + box.width <= width + 0.5,
        `${id} at ${JSON.stringify(box)} is outside ${width}×${height}`);
    }
    const graph = await page.locator('[data-testid=graph]').boundingBox();
    assert.ok(graph.height >= 250 && graph.width >= 500, `the graph is ${graph.width}×${graph.height}`);
    assert.equal(await page.evaluate(() => window.scrollY), 0);
    await page.close();
  }
  // On a phone: stacked, the graph first, then the three settings.
  const { page } = await open(chrome.browser, `${srv.url}/`, { width: 390, height: 844 });
  const y = async (id) => (await page.locator(`[data-testid=${id}]`).first().boundingBox()).y;
  assert.ok(await y('graph') < await y('param-fanout'));
  assert.ok(await y('param-fanout') < await y('param-nodes'));
  await page.close();
});

// The first minute: the page opens on a rumor's whole life, and the colour
// line counts the nodes in each state as the run goes.
test('the first run shows susceptible, spreading and stopped nodes', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/`);
  assert.equal(await page.inputValue('[data-testid=param-nodes]'), '300');
  assert.match(await page.textContent('[data-testid=legend]'), /299 susceptible/);
  await page.selectOption('[data-testid=speed]', 'max');
  await page.click('[data-testid=play]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]').textContent === 'finished', null, { timeout: 20000 });
  const legend = await page.textContent('[data-testid=legend]');
  const stopped = parseInt(legend.match(/(\d+) informed, stopped/)[1], 10);
  const never = parseInt(legend.match(/(\d+) susceptible/)[1], 10);
  assert.ok(stopped > 250 && never > 0 && stopped + never === 300, legend);
  assert.deepEqual(problems, []);
  await page.close();
});

// axe-core on the playground (light and dark), lessons (one running its sweep),
// presenter mode, an embed frame and the embed docs (whose element demos live
// in shadow roots, which axe reads): no serious or critical violation.
test('axe finds nothing serious or critical', async () => {
  const axe = fs.readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
  const pages = [
    ['playground, light', '/', 'light'],
    ['playground, dark', '/', 'dark'],
    ['playground part-way, dark', '/#nodes=300&stop=feedback-coin&k=2', 'dark', 'step'],
    ['a lesson', '/#lesson=why-gossip&step=1', 'light'],
    ['a lesson step with its sweep', '/#lesson=failure-detection&step=3', 'light'],
    ['presenter mode, dark', '/#lesson=state&step=3', 'dark', 'present'],
    ['an embed frame', '/#embed=1&nodes=500&fanout=1&controls=fanout,loss_rate', 'light'],
    ['embed docs', '/embed.html', 'light'],
    ['embed docs, dark', '/embed.html', 'dark'],
  ];
  for (const [name, url, scheme, act] of pages) {
    const page = await chrome.browser.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${srv.url}${url}`);
    await page.waitForTimeout(1500);
    if (act === 'step') for (let i = 0; i < 3; i++) await page.click('[data-testid=step]');
    if (act === 'present') await page.click('[data-testid=present]');
    await page.addScriptTag({ content: axe });
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(found, [], name);
    await page.close();
  }
});

// The keyboard alone: step, set the fanout, choose a node on the graph, open
// the inspector, crash a node, cut one off and heal.
test('keyboard only: step, tune, inspect, crash, cut off, heal, play and pause', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#nodes=200`);
  await page.focus('[data-testid=step]');
  await page.keyboard.press('Enter');
  assert.equal(await round(page), 1);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'step', 'focus left Step');
  // Set the fanout from the keyboard.
  await page.focus('[data-testid=param-fanout]');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('4');
  await page.keyboard.press('Enter');
  assert.equal(await round(page), 1, 'a live change part-way keeps the run');
  assert.match(await hash(page), /fanout:4@1r/);
  // The graph takes focus; an arrow key chooses node 0, then the nearest node
  // that way on screen; [ and ] walk the ids; Enter inspects.
  await page.focus('[data-testid=graph]');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=inspector]');
  const chosen = async () => Number((await page.textContent('[data-testid=inspector] tr')).match(/node\s*(\d+)/)[1]);
  assert.equal(await chosen(), 0);
  await page.keyboard.press('ArrowRight');
  const right = await chosen();
  assert.notEqual(right, 0, 'the right arrow moves to another node');
  await page.keyboard.press('[');
  assert.equal(await chosen(), right - 1, '[ walks back one id');
  // Escape lets the node go; ] then starts from node 0.
  await page.keyboard.press('Escape');
  await page.keyboard.press(']');
  await page.keyboard.press(']');
  assert.equal(await chosen(), 1);
  // "c" crashes (or restarts) the chosen node, as the inspector's button does.
  await page.keyboard.press('c');
  assert.match(await hash(page), /crash:1@/);
  // "x" cuts the chosen node off (a partition); Heal, reached by keyboard, ends it.
  await page.keyboard.press(']');
  await page.keyboard.press('x');
  assert.match(await hash(page), /partition:2@/);
  await page.focus('[data-testid=heal]');
  await page.keyboard.press('Enter');
  assert.match(await hash(page), /heal@/);
  await page.focus('[data-testid=graph]');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-testid=inspector]').count(), 0);
  // Play and Pause hand the focus to each other: Enter, Enter plays and pauses.
  await page.focus('[data-testid=play]');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'pause');
  assert.equal(await page.textContent('[data-testid=run-state]'), 'running');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'play');
  assert.equal(await page.textContent('[data-testid=run-state]'), 'paused');
  assert.deepEqual(problems, []);
  await page.close();
});

// A lesson on a 1280×720 projector: its text, the graph and the coverage chart
// are in view; a clicker's Page Down / Page Up move between steps and the link
// follows; presenter mode keeps the graph, the chart and the step, and Escape leaves it.
test('a lesson presents on a projector', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#lesson=why-gossip&step=1`, { width: 1280, height: 720 });
  await page.waitForSelector('[data-testid=lesson-step-title]');
  const inView = async (sel) => {
    const b = await page.locator(sel).first().boundingBox();
    return b && b.y >= 0 && b.y + b.height <= 720.5 && b.x >= 0 && b.x + b.width <= 1280.5;
  };
  for (const sel of ['[data-testid=lesson-step-title]', '[data-testid=graph]', '[data-testid=chart-coverage]', '[data-testid=lesson-next]']) {
    assert.ok(await inView(sel), `${sel} is out of view at 1280×720`);
  }
  const first = await page.textContent('[data-testid=lesson-step-title]');
  await page.keyboard.press('PageDown');
  await page.waitForFunction((t) => document.querySelector('[data-testid=lesson-step-title]').textContent !== t, first);
  assert.match(await page.evaluate(() => location.hash), /step=2/);
  await page.keyboard.press('PageUp');
  await page.waitForFunction((t) => document.querySelector('[data-testid=lesson-step-title]').textContent === t, first);
  await page.keyboard.press('End');
  await page.waitForFunction(() => /step=3/.test(location.hash));
  await page.keyboard.press('Home');
  await page.waitForFunction(() => /step=1/.test(location.hash));
  // The simulation keys keep working.
  await page.keyboard.press('ArrowRight');
  assert.equal(await round(page), 1);
  // Presenter mode: the header and the settings go, the graph and the chart stay, in large type.
  await page.click('[data-testid=present]');
  await page.waitForSelector('.app.presenting');
  // The keyboard reads from the step's title, not the button now named "Exit" (Enter there left).
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lesson-step-title');
  // Out of sight; its h1 stays for a screen reader.
  assert.ok((await page.locator('header').boundingBox()).height <= 1, 'the header takes no room');
  assert.equal(await page.locator('[data-testid=lessons]').isVisible(), false);
  for (const sel of ['[data-testid=graph]', '[data-testid=chart-coverage]', '[data-testid=lesson-step-title]']) {
    assert.ok(await inView(sel), `${sel} is out of view in presenter mode`);
  }
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '20px');
  // The step's notes are for the presenter, and only in presenter mode.
  assert.match(await page.textContent('[data-testid=lesson-notes]'), /guesses/);
  await page.keyboard.press('n');
  await page.waitForFunction(() => /step=2/.test(location.hash));
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.app.presenting'));
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'present');
  // Closing the lesson hands the keyboard back to the Lessons button.
  await page.click('[data-testid=lesson-close]');
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lessons');
  assert.deepEqual(problems, []);
  await page.close();
});

// The same projector at 150% zoom is 853×480 CSS pixels: the step's text (scrolling
// on its own), the graph and the chart the step names still share the screen.
test('a lesson at 150% zoom keeps its text, graph and chart in view', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#lesson=state&step=3`, { width: 853, height: 480 });
  await page.waitForSelector('[data-testid=lesson-step-title]');
  for (const sel of ['[data-testid=lesson-step-title]', '[data-testid=graph]', '[data-testid=chart-protocol]', '[data-testid=lesson-next-lesson]']) {
    const b = await page.locator(sel).first().boundingBox();
    assert.ok(b && b.y >= 0 && b.y + b.height <= 480.5 && b.x + b.width <= 853.5, `${sel} at ${JSON.stringify(b)}`);
  }
  const graph = await page.locator('[data-testid=graph]').first().boundingBox();
  assert.ok(graph.height >= 100, `the graph is ${graph.height} px tall`);
  const body = await page.$eval('.lesson', (e) => [getComputedStyle(e).overflowY, e.scrollHeight > e.clientHeight]);
  assert.deepEqual(body, ['auto', true], 'the step text scrolls on its own');
  // The last step leads on to the next lesson.
  await page.click('[data-testid=lesson-next-lesson]');
  await page.waitForFunction(() => /lesson=partitions/.test(location.hash));
  assert.match(await page.textContent('[data-testid=lesson-progress]'), /^step 1 of /);
  assert.deepEqual(problems, []);
  await page.close();
});

// An embed's set() then play() after a finished run plays the new run (it showed round 0).
test('set() then play() after a finished run plays the new run', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/embed.html`).catch(async () => {
    const p = await chrome.browser.newPage();
    await p.goto(`${srv.url}/embed.html`);
    return { page: p, problems: [] };
  });
  const states = await page.evaluate(async () => {
    const mod = await import('./gossip-lab.js');
    await mod.default();
    const div = document.createElement('div');
    div.style.width = '600px';
    document.body.appendChild(div);
    const pg = mod.mount(div, 'nodes=100&fanout=2&speed=max');
    const state = () => `${div.querySelector('[data-testid=run-state]').textContent}@${div.querySelector('[data-testid=round]').textContent}`;
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    pg.play();
    await wait(1000);
    const first = state();
    pg.set('fanout', '1');
    pg.play();
    await wait(1000);
    return [first, state()];
  });
  assert.match(states[0], /^finished@\d+$/);
  const [, rounds] = states[1].split('@');
  assert.match(states[1], /^finished@/);
  assert.ok(parseInt(rounds, 10) > parseInt(states[0].split('@')[1], 10), `fanout 1 takes more rounds: ${states}`);
  assert.deepEqual(problems.filter((p) => !/integrity/.test(p)), []);
  await page.close();
});

// An embed in a 640×480 frame: the graph, the coverage chart, the chosen
// settings and play / step / reset, with no scrolling inside the frame.
test('an embed fits a 640×480 frame', async () => {
  const { page, problems } = await open(chrome.browser, `${srv.url}/#embed=1&nodes=500&fanout=1&controls=fanout,loss_rate`, { width: 640, height: 480 });
  for (const id of ['graph', 'chart-coverage', 'param-fanout', 'param-loss_rate', 'play', 'step', 'reset']) {
    const b = await page.locator(`[data-testid=${id}]`).first().boundingBox();
    assert.ok(b && b.y >= 0 && b.y + b.height <= 480.5 && b.x >= 0 && b.x + b.width <= 640.5, `${id} at ${JSON.stringify(b)}`);
  }
  const graph = await page.locator('[data-testid=graph]').boundingBox();
  assert.ok(graph.width >= 300 && graph.height >= 200, `the graph is ${graph.width}×${graph.height}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'the frame scrolls');
  // A refused value is said under its control; the frame keeps its timeline and does not scroll.
  await page.fill('[data-testid=param-fanout]', '500');
  await page.press('[data-testid=param-fanout]', 'Enter');
  assert.match(await page.textContent('[data-testid=error-fanout]'), /fanout.*1 to 64/);
  assert.equal(await page.$('[data-testid=error]'), null, 'no banner over the graph for what the field says');
  const t = await page.locator('[data-testid=timeline]').boundingBox();
  assert.ok(t && t.y + t.height <= 480.5, `timeline at ${JSON.stringify(t)}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'the frame scrolls');
  assert.deepEqual(problems, []);
  await page.close();
  // A bad link is still said, over the graph, in the frame.
  const bad = await open(chrome.browser, `${srv.url}/#embed=1&nodes=0&controls=fanout`, { width: 640, height: 480 });
  const banner = await bad.page.locator('[data-testid=error]').boundingBox();
  assert.ok(banner && banner.y >= 0 && banner.y + banner.height <= 480.5, `banner at ${JSON.stringify(banner)}`);
  assert.ok(await bad.page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'the frame scrolls');
  await bad.page.close();
});
