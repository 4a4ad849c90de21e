// Frame-time benchmark of the page in headless Chromium: for each cluster size,
// play for 10 s and record the interval between animation frames (median, p95),
// plus how long a click takes to be handled while running. Not a test:
// `make bench-frames` prints a table for the notes.
import { serve, launch, open } from './harness.mjs';

const sizes = process.argv.slice(2).length ? process.argv.slice(2).map(Number) : [1000, 10000, 100000];
const SECONDS = 10;
const srv = await serve();
const chrome = await launch();
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
console.log('| nodes | speed | frames | median frame ms | p95 frame ms | rounds run | input latency ms | page ready ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const n of sizes) {
  for (const speed of ['1%C3%97', 'max']) {
    const t0 = Date.now();
    const { page } = await open(chrome.browser, `${srv.url}/#nodes=${n}&fanout=1&max_rounds=100000&stop=never&spread=push-pull&loss_rate=0.999&speed=${speed}`);
    const ready = Date.now() - t0;
    await page.click('[data-testid=play]');
    const frames = await page.evaluate((secs) => new Promise((resolve) => {
      const times = [];
      const tick = (t) => { times.push(t); if (t - times[0] < secs * 1000) requestAnimationFrame(tick); else resolve(times); };
      requestAnimationFrame(tick);
    }), SECONDS);
    const gaps = frames.slice(1).map((t, i) => t - frames[i]);
    // Input latency: time from a key press to the pause being visible.
    const latency = await page.evaluate(() => new Promise((resolve) => {
      const start = performance.now();
      document.querySelector('[data-testid=pause]').click();
      const check = () => {
        if (document.querySelector('[data-testid=run-state]').textContent !== 'running') resolve(performance.now() - start);
        else requestAnimationFrame(check);
      };
      check();
    }));
    const rounds = await page.textContent('[data-testid=round]');
    console.log(`| ${n} | ${decodeURIComponent(speed)} | ${gaps.length} | ${pct(gaps, 0.5).toFixed(1)} | ${pct(gaps, 0.95).toFixed(1)} | ${rounds} | ${latency.toFixed(0)} | ${ready} |`);
    await page.close();
  }
}
await chrome.close();
await srv.close();
