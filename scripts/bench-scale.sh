#!/usr/bin/env bash
# Membership protocols at scale, natively: the memory a run holds per node (the
# binary's allocator counts it), the time to set the run up and the wall time
# per round, for SWIM at 2,000, 10,000 and 20,000 nodes and heartbeat
# membership and election at 2,000 and 10,000 (their failure detectors are
# nodes squared, 32 bytes a pair), each with one crash at 10 s.
set -euo pipefail
bin=target/release/gossip-lab
echo "| protocol | nodes | held by the run | per node | set up | wall time per round | max RSS |"
echo "|---|---|---|---|---|---|---|"
run() {
  local proto=$1 n=$2
  local out rss
  out=$( { /usr/bin/time -f 'RSS %M' "$bin" run "protocol=$proto" "nodes=$n" timing=timed max_rounds=30 faults=crash:7@10s; } 2>&1 )
  rss=$(sed -n 's/^RSS \([0-9]*\)$/\1/p' <<<"$out")
  sed -n "s/^  memory \([0-9.]*\) MB held by the run (\([0-9.]*\) KB per node); set up in \([0-9.]*\) s, then \([0-9.]*\) ms of wall time per round$/| $proto | $n | \1 MB | \2 KB | \3 s | \4 ms | $((rss / 1024)) MB |/p" <<<"$out"
}
for n in 2000 10000 20000; do run swim "$n"; done
for p in membership election; do for n in 2000 10000; do run "$p" "$n"; done; done
