#!/usr/bin/env bash
# Idle instances out of memory (`bpel serve --idle-evict`), measured on loopback in one invocation.
#
#   bench/evict.sh [--count N] [--memory-count K] [--pays M] [--connections C]
#
# Serves examples/long-running (orders wait three days for their payment) with a durable store,
# twice: with `--idle-evict 1` and without. Each time: N placeOrder requests (default 1,000,000), each
# a new order id, over C keep-alive connections (default 64) with tests/src/bin/order-load.rs, while
# the server's resident memory (VmRSS) is sampled every second; then, 3 s later (the evictions done),
# M confirmPayment requests (default 20,000) to distinct waiting orders: with eviction each reads its
# instance back from the store. `--memory-count K` places K orders (default N) in the run without
# eviction, whose memory grows with every instance (so that a machine without room for N instances
# in memory can still compare). Prints one markdown table: placeOrder throughput, resident memory at
# the end of the orders and after the pause, the payments' latency (p50, p99) and errors. The memory
# curves go to target/bench/evict-rss-{evict,memory}.tsv (seconds, KiB). Every run is bounded in
# time; the servers are stopped on exit.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
COUNT=1000000
MEMORY_COUNT=""
PAYS=20000
CONNECTIONS=64
while [ $# -gt 0 ]; do
    case "$1" in
        --count) shift; COUNT="${1:-}" ;;
        --pays) shift; PAYS="${1:-}" ;;
        --memory-count) shift; MEMORY_COUNT="${1:-}" ;;
        --connections) shift; CONNECTIONS="${1:-}" ;;
        -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "evict.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
MEMORY_COUNT="${MEMORY_COUNT:-$COUNT}"
for n in "$COUNT" "$MEMORY_COUNT" "$PAYS" "$CONNECTIONS"; do
    case "$n" in '' | *[!0-9]* | 0) echo "evict.sh: --count, --pays and --connections take whole numbers > 0" >&2; exit 2 ;; esac
done
[ "$PAYS" -le "$COUNT" ] || PAYS="$COUNT"
[ "$PAYS" -le "$MEMORY_COUNT" ] || PAYS="$MEMORY_COUNT"

echo "== building (cargo build --release -p bpel -p bpel-tests)" >&2
cargo build --release -p bpel -p bpel-tests >"$OUT/evict-build.log" 2>&1 || { echo "build failed: $OUT/evict-build.log" >&2; exit 1; }
BPEL="$ROOT/target/release/bpel"
LOAD="$ROOT/target/release/order-load"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bpel-evict-bench.XXXXXX")"
SERVER_PID=""
SAMPLER_PID=""
stop() {
    [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
    SAMPLER_PID=""
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    SERVER_PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
RESULTS="$OUT/evict-results.tsv"
: >"$RESULTS"

# run NAME ORDERS FLAGS...
run() {
    local name="$1" orders="$2"
    shift 2
    local dir="$WORK/$name"
    mkdir -p "$dir/deploy"
    cp examples/long-running/*.bpel examples/long-running/*.wsdl "$dir/deploy/"
    local log="$OUT/evict-$name-server.log"
    # emptied before the background start: its own redirection runs after the fork, and the wait
    # below must not read an earlier run's address
    : >"$log"
    timeout --kill-after=5 7200 "$BPEL" serve "$dir/deploy" --port 0 --store "$dir/store.redb" "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    local base=""
    for _ in $(seq 1 300); do
        base="$(grep -o -m1 'listening on http://127\.0\.0\.1:[0-9]*' "$log" | sed 's/^listening on //')"
        [ -n "$base" ] && break
        sleep 0.1
    done
    [ -n "$base" ] || { echo "FAILED $name: the server did not start (see $log)" >&2; stop; return 1; }
    # the server itself, under `timeout`
    local server
    server="$(pgrep -P "$SERVER_PID" | head -n 1)"
    [ -n "$server" ] || { echo "FAILED $name: cannot find the server's process" >&2; stop; return 1; }
    local curve="$OUT/evict-rss-$name.tsv"
    ( start=$(date +%s); while kill -0 "$server" 2>/dev/null; do echo "$(( $(date +%s) - start ))	$(rss "$server")"; sleep 1; done ) >"$curve" &
    SAMPLER_PID=$!
    echo "== $name: $orders orders over $CONNECTIONS connections" >&2
    local placed
    placed="$(timeout 7200 "$LOAD" "$base/shop" place "$orders" "$CONNECTIONS")" || { echo "FAILED $name: order load" >&2; stop; return 1; }
    echo "$placed" >&2
    local rss_orders
    rss_orders="$(rss "$server")"
    sleep 3
    local rss_idle
    rss_idle="$(rss "$server")"
    echo "== $name: $PAYS payments" >&2
    local paid
    paid="$(timeout 3600 "$LOAD" "$base/shop" pay "$PAYS" "$CONNECTIONS")" || { echo "FAILED $name: payment load" >&2; stop; return 1; }
    echo "$paid" >&2
    local peak
    peak="$(cut -f2 "$curve" | sort -n | tail -n 1)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$orders" "$(field "$placed" rps)" "$(field "$placed" errors)" \
        "$rss_orders" "$rss_idle" "$peak" "$(field "$paid" p50_ms)" "$(field "$paid" p99_ms)" "$(field "$paid" errors)" "$(field "$paid" rps)" >>"$RESULTS"
    stop
}

run evict "$COUNT" --idle-evict 1
run memory "$MEMORY_COUNT"

python3 - "$RESULTS" "$COUNT" "$PAYS" "$CONNECTIONS" <<'PY'
import sys, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
count, pays, conns = sys.argv[2:5]
mib = lambda kib: f"{int(kib) / 1024:,.0f} MiB" if kib else "?"
print(f"Orders of examples/long-running (each waits 3 days for its payment), durable store, {conns} connections; "
      f"then {int(pays):,} payments to distinct orders; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}.")
print()
print("| server | orders | orders/s | order errors | RSS after the orders | RSS 3 s later | peak RSS | payment p50 | payment p99 | payments/s | payment errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
names = {"evict": "`--idle-evict 1`", "memory": "all in memory"}
for name, orders, rps, errors, after, idle, peak, p50, p99, perrors, prps in rows:
    print(f"| {names.get(name, name)} | {int(orders):,} | {float(rps):,.0f} | {errors} | {mib(after)} | {mib(idle)} | {mib(peak)} | {float(p50):.2f} ms | {float(p99):.2f} ms | {float(prps):,.0f} | {perrors} |")
PY
