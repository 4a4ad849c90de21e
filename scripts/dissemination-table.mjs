// The dissemination tables of the README, measured with the command line:
// every stop rule for k = 1..5 at n = 1000 (push, fanout 1, 200 trials each)
// beside the stop-rule model, and every anti-entropy method's bytes per node on
// a 10,000-key store where 100 keys (1%) change.
//   node scripts/dissemination-table.mjs [path/to/gossip-lab] [trials]
import { execFileSync } from 'node:child_process';

const bin = process.argv[2] ?? 'target/release/gossip-lab';
const trials = process.argv[3] ?? '200';
const run = (args) => JSON.parse(execFileSync(bin, [...args, '--json'], { maxBuffer: 1 << 26 }).toString());
const ci = (s, digits) => (s ? `${s.mean.toFixed(digits)} ± ${s.ci95.toFixed(digits)}` : '–');

console.log(`Stop rules, n = 1000, push, fanout 1, ${trials} trials each (mean ± 95% interval; model in brackets)\n`);
console.log('| stop rule | k | residue | traffic | t_avg (rounds) | t_last (rounds) |');
console.log('|---|---|---|---|---|---|');
for (const stop of ['feedback-counter', 'feedback-coin', 'blind-counter', 'blind-coin', 'rounds']) {
  for (const k of [1, 2, 3, 4, 5]) {
    const pairs = ['nodes=1000', 'fanout=1', `stop=${stop}`, `k=${k}`, 'seed=1'];
    const m = run(['run', ...pairs, `--trials`, trials]);
    const t = run(['theory', ...pairs]).model;
    console.log(
      `| ${stop} | ${k} | ${ci(m.residue, 4)} [${t.residue.toFixed(4)}] | ${ci(m.traffic, 3)} [${t.traffic.toFixed(3)}]` +
        ` | ${ci(m.t_avg, 2)} [${t.t_avg.toFixed(2)}] | ${ci(m.t_last, 2)} [${t.t_last}] |`,
    );
  }
}

console.log('\nAnti-entropy, n = 1000, 10,000 keys, 100 updates (1% of keys) written at 100 nodes at once, fanout 1, payload 64 bytes, 20 trials\n');
console.log('| reconcile | spread | bytes per node | messages per node | rounds to 100% |');
console.log('|---|---|---|---|---|');
for (const reconcile of ['full', 'checksum', 'recent', 'merkle']) {
  for (const spread of ['push', 'pull', 'push-pull']) {
    const m = run([
      'run', 'nodes=1000', 'protocol=anti-entropy', 'keys=10000', 'updates=100', 'fanout=1', 'recent_window=30',
      `reconcile=${reconcile}`, `spread=${spread}`, '--trials', '20',
    ]);
    console.log(`| ${reconcile} | ${spread} | ${ci(m.bytes_per_node, 0)} | ${ci(m.msgs_per_node, 1)} | ${ci(m.t100, 2)} |`);
  }
}
