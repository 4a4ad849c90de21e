// The failure-detection tables of the README, measured with the command line:
// a crash at 10 s, interval 1000 ms, UDP with the default 1400-byte MTU, for
// heartbeat gossip (timeout 5 s, and phi 8) and SWIM (suspicion 5 s), at
// 10 to 1,000 nodes and loss 0, 0.2 and 0.5; then bandwidth at 128 nodes with
// 10 keys per node changing once a second.
//   node scripts/membership-table.mjs [path/to/gossip-lab] [trials]
import { execFileSync } from 'node:child_process';

const bin = process.argv[2] ?? 'target/release/gossip-lab';
const trials = process.argv[3] ?? '5';
const run = (args) => JSON.parse(execFileSync(bin, [...args, '--json'], { maxBuffer: 1 << 26 }).toString());
const val = (m, k, digits = 0) => {
  const x = m[k];
  if (x === null || x === undefined) return '–';
  if (typeof x === 'number') return x.toFixed(digits);
  return x.mean === null ? '–' : `${x.mean.toFixed(digits)}` + (x.n < Number(trials) ? ` (${x.n} of ${trials})` : '');
};
const variants = [
  ['heartbeat, timeout 5 s', ['protocol=membership', 'detector=timeout', 'fail_timeout_ms=5000']],
  ['heartbeat, phi 8', ['protocol=membership', 'detector=phi']],
  ['SWIM, suspicion 5 s', ['protocol=swim', 'suspicion_ms=5000']],
];
console.log('| detector | nodes | loss | first detection (ms) | all detected (ms) | live nodes marked dead | bytes / node / s |');
console.log('|---|---|---|---|---|---|---|');
for (const [label, args] of variants) {
  for (const n of [10, 20, 40, 100, 1000]) {
    for (const loss of [0, 0.2, 0.5]) {
      const t = n >= 1000 ? '1' : trials;
      const m = run(['run', ...args, `nodes=${n}`, 'timing=timed', 'max_rounds=60', `loss_rate=${loss}`, 'faults=crash:7@10s', '--trials', t]);
      console.log(`| ${label} | ${n} | ${loss} | ${val(m, 'detect_first_ms')} | ${val(m, 'detect_all_ms')} | ${val(m, 'false_positives')} | ${val(m, 'bytes_per_node_per_s')} |`);
    }
  }
}
console.log('\n128 nodes, 10 keys per node, each node writing a key once a second (60 s):\n');
console.log('| transport | MTU | bytes / node / s | key reaches everyone (ms) | state coverage | live nodes marked dead |');
console.log('|---|---|---|---|---|---|');
for (const [transport, mtu] of [['udp', 1400], ['udp', 65535], ['tcp', 65535]]) {
  const m = run(['run', 'protocol=membership', 'nodes=128', 'app_keys=10', 'key_rate=1', 'timing=timed', 'max_rounds=60', `transport=${transport}`, `mtu_bytes=${mtu}`]);
  console.log(`| ${transport} | ${mtu} | ${val(m, 'bytes_per_node_per_s')} | ${val(m, 'state_converge_ms')} | ${val(m, 'state_coverage', 3)} | ${val(m, 'false_positives')} |`);
}
