#!/usr/bin/env bash
# Kill -9 under load: `bpel serve` on examples/long-running with its durable store, killed with
# SIGKILL at random moments under load and restarted on the same store (tests/src/bin/kill-load.rs).
#
#   bench/kill9.sh [--kills K] [--connections C] [--seed N]
#
# Default: 20 kills, 16 connections, a seed from the clock (printed, to repeat a run). After each
# restart every acknowledged order must still be there; at the end every acknowledged order must
# have been told `paid` exactly once by effect (a counting notifier tells a repeated call from a new
# one by its Idempotency-Key). Prints the counts and PASS or FAIL; exits 1 on FAIL.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
case "${1:-}" in -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac

echo "== building (cargo build --release -p bpel -p bpel-tests)" >&2
cargo build --release -p bpel -p bpel-tests >"$OUT/kill9-build.log" 2>&1 || { echo "build failed: $OUT/kill9-build.log" >&2; exit 1; }
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
timeout --kill-after=10 1800 "$ROOT/target/release/kill-load" "$ROOT/target/release/bpel" "$@"
