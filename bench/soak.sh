#!/usr/bin/env bash
# Soak: a million requests at 256 connections against `bpel serve` with its durable store, on
# loopback, with the server's resident memory sampled every second (tests/src/bin/soak.rs).
#
#   bench/soak.sh [--requests N] [--connections C] [echo|long-running]...
#
# Default: both examples, 1,000,000 requests each, 256 connections. echo: each answer checked;
# long-running: each order placed and paid (its settlement cut to one second), and the counting
# notifier must be told `paid` exactly once per order. Prints each run's report (throughput,
# errors, memory at each tenth of the requests, after warm-up and at the end); the curves go to
# target/bench/soak-rss-EXAMPLE.tsv. Exits 1 if a run had an error.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
REQUESTS=1000000
CONNECTIONS=256
EXAMPLES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) shift; REQUESTS="${1:-}" ;;
        --connections) shift; CONNECTIONS="${1:-}" ;;
        echo | long-running) EXAMPLES+=("$1") ;;
        -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ "${#EXAMPLES[@]}" -gt 0 ] || EXAMPLES=(echo long-running)
# 256 client connections and as many server sockets
ulimit -n 4096 2>/dev/null || true

echo "== building (cargo build --release -p bpel -p bpel-tests)" >&2
cargo build --release -p bpel -p bpel-tests >"$OUT/soak-build.log" 2>&1 || { echo "build failed: $OUT/soak-build.log" >&2; exit 1; }
status=0
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
for example in "${EXAMPLES[@]}"; do
    echo "== $example: $REQUESTS requests over $CONNECTIONS connections" >&2
    timeout --kill-after=10 3600 "$ROOT/target/release/soak" "$ROOT/target/release/bpel" "$example" \
        --requests "$REQUESTS" --connections "$CONNECTIONS" --curve "$OUT/soak-rss-$example.tsv" || status=1
done
exit $status
