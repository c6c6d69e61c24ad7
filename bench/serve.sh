#!/usr/bin/env bash
# Load benchmark of `bpel serve` against two baselines, on loopback only, in one invocation.
#
#   bench/serve.sh [--quick] [--duration S] [--no-install] [--baseline BPEL]
#
# Serves betsy's echo (basic/Empty.bpel: startProcessSync(x) answers x) with, in turn:
#   1. bpel serve DIR --port 0 --in-memory        (the engine, durability off)
#   2. bpel serve DIR --port 0 --store FILE       (the engine, durable: every step committed)
#   3. bare-echo --port 0                         (tests/src/bin/bare-echo.rs: bare hyper + quick-xml, the ceiling)
#   4. python3 bench/serve/twisted_echo.py        (the same echo on Twisted, what the seed ran on)
# and loads each with `wrk -t2 -c64 -d10s --latency -s bench/serve/post.lua URL` (betsy's request
# envelope, SOAPAction "sync"). Each server is started in the background, its address read from the
# "listening on http://127.0.0.1:PORT" line it prints, one answer checked (it must echo 5), then
# loaded, then stopped. Prints the machine and one markdown table: requests/s, p50 and p99 latency,
# the ratio to bare hyper, and the errors wrk saw (non-2xx answers, socket errors).
#
# Installs what it needs and says so: wrk (Debian package, apt-get) and Twisted (PyPI, into
# bench/.venv with python3 -m venv + pip). A server it cannot have is skipped with a line starting
# with SKIP, never silently (`bpel serve` is skipped when the binary has no `serve` command yet).
#
#   --quick        3 s per run instead of 10 (a smoke run, not for the README)
#   --duration S   S seconds per run
#   --no-install   use what is there; SKIP what is missing
#   --baseline BPEL  also load another build of bpel (durable), right after this one's: an A/B of a
#                  change in the same run (e.g. a worktree of the commit before it, built --release)
#
# The servers and wrk share this machine's cores (wrk's 2 threads included): the figures compare
# servers with each other on one machine, they are not absolute capacities. Raw output goes to
# target/bench/serve-*.log, the table to target/bench/serve-table.md. Every server, wrk and curl
# run has a time limit, and the servers are stopped on exit (trap). Exit status: 0 when every server
# that could be had ran, 1 when one failed (started badly, answered wrongly) or wrk is missing.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
RESULTS="$OUT/serve-results.tsv"
TABLE="$OUT/serve-table.md"
: >"$RESULTS"

DURATION=10
INSTALL=1
BASELINE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) DURATION=3 ;;
        --duration)
            shift
            DURATION="${1:-}"
            ;;
        --duration=*) DURATION="${1#--duration=}" ;;
        --no-install) INSTALL=0 ;;
        --baseline)
            shift
            BASELINE="${1:-}"
            ;;
        -h | --help)
            sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "serve.sh: unknown argument $1 (--quick, --duration S, --no-install)" >&2
            exit 2
            ;;
    esac
    shift
done
case "$DURATION" in
    '' | *[!0-9]* | 0)
        echo "serve.sh: --duration needs a whole number of seconds > 0" >&2
        exit 2
        ;;
esac

THREADS=2
CONNECTIONS=64
START_LIMIT=30                        # seconds a server has to print its "listening on" line
SERVER_LIMIT=$((DURATION + 120))      # a server never outlives this, whatever happens to the script
WRK_LIMIT=$((DURATION + 30))

say() { printf '%s\n' "$*" >&2; }
skip() { printf 'SKIP %s\n' "$*" | tee -a "$OUT/serve-skipped.txt" >&2; }
: >"$OUT/serve-skipped.txt"
FAILED=0

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

# Servers still running and temporary files, cleaned up however the script ends.
SERVER_PID=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bpel-serve-bench.XXXXXX")"
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------
# What the benchmark needs

LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
say "== tools"
if ! command -v wrk >/dev/null 2>&1 && [ "$INSTALL" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing wrk (Debian package) with apt-get"
    if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >"$OUT/serve-apt.log" 2>&1; then
        say "apt-get install wrk failed (see $OUT/serve-apt.log)"
    fi
fi
HAVE_WRK=0
if command -v wrk >/dev/null 2>&1; then
    HAVE_WRK=1
else
    skip "wrk: no load generator (Debian package wrk)$([ "$INSTALL" -eq 0 ] && echo ', and --no-install'): nothing can be measured"
    FAILED=1
fi

VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"
if ! "$PY" -c 'import twisted' >/dev/null 2>&1 && [ "$INSTALL" -eq 1 ]; then
    say "installing Twisted (PyPI twisted) into bench/.venv"
    {
        { [ -x "$PY" ] || python3 -m venv "$VENV"; } && timeout 600 "$PY" -m pip install -q --disable-pip-version-check twisted
    } >"$OUT/serve-pip.log" 2>&1 || say "pip install twisted failed (see $OUT/serve-pip.log)"
fi
HAVE_TWISTED=0
if "$PY" -c 'import twisted' >/dev/null 2>&1; then
    HAVE_TWISTED=1
fi

say "== building bpel and bare-echo (cargo build --release -p bpel -p bpel-tests)"
if ! timeout 3600 cargo build --release -p bpel -p bpel-tests >"$OUT/serve-build.log" 2>&1; then
    say "cargo build --release -p bpel -p bpel-tests failed (see $OUT/serve-build.log); using whatever binaries it left:"
    grep -E '^error' -A5 "$OUT/serve-build.log" | head -n 20 >&2
fi
BPEL="$ROOT/target/release/bpel"
BARE="$ROOT/target/release/bare-echo"

# The deployment folder, as betsy prepares one (README section 3.4): flat, no "../", our endpoint.
SHARED="${BPEL_SHARED:-$ROOT/../shared}"
BETSY="$SHARED/conformance/betsy"
DEPLOY="$WORK/deploy"
mkdir -p "$DEPLOY"
HAVE_DEPLOY=0
if [ -f "$BETSY/basic/Empty.bpel" ] && [ -f "$BETSY/TestInterface.wsdl" ]; then
    sed 's#\.\./##g' "$BETSY/basic/Empty.bpel" >"$DEPLOY/Empty.bpel"
    sed 's#ENDPOINT_URL#http://127.0.0.1:0/EmptyTestInterface#g' "$BETSY/TestInterface.wsdl" >"$DEPLOY/TestInterface.wsdl"
    HAVE_DEPLOY=1
fi
ENDPOINT_PATH="/EmptyTestInterface"

# ---------------------------------------------------------------------------------------------------
# One run: start, read the address, check one answer, load, stop.

# record NAME STATUS [RPS P50 P99 ERRORS] NOTE
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# bench NAME LABEL COMMAND...
bench() {
    local name="$1" label="$2"
    shift 2
    local log="$OUT/serve-$name.log" server_log="$OUT/serve-$name-server.log"
    # both emptied here, not by the background job's redirection: that runs after the fork, and the
    # wait below must not read the address of an earlier run from the old file
    : >"$log"
    : >"$server_log"
    say "== $label"
    timeout --kill-after=5 "$SERVER_LIMIT" "$@" >"$server_log" 2>&1 &
    SERVER_PID=$!
    local base="" waited=0
    while [ "$waited" -lt $((START_LIMIT * 10)) ]; do
        base="$(grep -o -m1 'listening on http://127\.0\.0\.1:[0-9]*' "$server_log" 2>/dev/null | sed 's/^listening on //')"
        [ -n "$base" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
        waited=$((waited + 1))
    done
    if [ -z "$base" ]; then
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            say "FAILED $label: no \"listening on http://127.0.0.1:PORT\" line within ${START_LIMIT}s (see $server_log):"
        else
            say "FAILED $label: exited before printing \"listening on http://127.0.0.1:PORT\" (see $server_log):"
        fi
        tail -n 10 "$server_log" >&2
        record "$label" failed "" "" "" "" "did not start"
        FAILED=1
        stop_server
        return 1
    fi
    local url="$base$ENDPOINT_PATH"
    say "$label listening at $url"
    # One answer, checked: a server that is fast because it faults must not get a row.
    local answer
    answer="$(timeout 15 python3 - "$url" "$ROOT/bench/serve/post.lua" <<'EOF' 2>&1
import re, sys, urllib.request, urllib.error
body = re.search(r"wrk\.body = \[\[(.*?)\]\]", open(sys.argv[2]).read(), re.S).group(1).encode()
request = urllib.request.Request(sys.argv[1], data=body, headers={"Content-Type": "text/xml", "SOAPAction": '"sync"'})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode("utf-8", "replace")
        print(response.status, text)
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode("utf-8", "replace"))
EOF
)"
    printf 'check: %s\n\n' "$answer" >>"$log"
    if ! printf '%s' "$answer" | grep -q '^200 ' || ! printf '%s' "$answer" | grep -q 'testElementSyncResponse[^>]*>5</'; then
        say "FAILED $label: the answer to betsy's echo request is not 5 (see $log): $(printf '%s' "$answer" | head -c 300)"
        record "$label" failed "" "" "" "" "wrong answer"
        FAILED=1
        stop_server
        return 1
    fi
    say "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $url"
    if ! timeout --kill-after=5 "$WRK_LIMIT" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/serve/post.lua" "$url" >>"$log" 2>&1; then
        say "FAILED $label: wrk did not finish (see $log)"
        record "$label" failed "" "" "" "" "wrk failed"
        FAILED=1
        stop_server
        return 1
    fi
    stop_server
    # Requests/sec, the 50 % and 99 % latencies (in ms), non-2xx answers plus socket errors.
    local figures
    figures="$(python3 - "$log" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", text))
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if socket:
    errors += sum(int(n) for n in socket.groups())
if not (rps and p50 and p99):
    sys.exit(1)
print(f"{float(rps.group(1)):.0f}\t{ms(p50.group(1)):.3f}\t{ms(p99.group(1)):.3f}\t{errors}")
EOF
)"
    if [ -z "$figures" ]; then
        say "FAILED $label: cannot read wrk's output (see $log)"
        record "$label" failed "" "" "" "" "wrk output unreadable"
        FAILED=1
        return 1
    fi
    local rps p50 p99 errors
    IFS=$'\t' read -r rps p50 p99 errors <<<"$figures"
    say "$label: $rps requests/s, p50 $p50 ms, p99 $p99 ms, $errors errors"
    record "$label" ok "$rps" "$p50" "$p99" "$errors" ""
    return 0
}

# ---------------------------------------------------------------------------------------------------
# The runs

if [ "$HAVE_WRK" -eq 1 ]; then
    # 1 and 2: the engine, when it can serve.
    WHY=""
    if [ ! -x "$BPEL" ]; then
        WHY="not built"
        skip "bpel serve: target/release/bpel was not built (see $OUT/serve-build.log)"
    elif ! timeout 30 "$BPEL" serve --help >"$OUT/serve-bpel-help.log" 2>&1; then
        WHY="no serve command yet"
        skip "bpel serve: this bpel has no serve command yet ($(head -n 1 "$OUT/serve-bpel-help.log"))"
    elif [ "$HAVE_DEPLOY" -eq 0 ]; then
        WHY="betsy suite not found"
        skip "bpel serve: betsy's basic/Empty.bpel and TestInterface.wsdl not found under $BETSY (set BPEL_SHARED)"
    fi
    if [ -z "$WHY" ]; then
        bench bpel-in-memory "bpel serve --in-memory" "$BPEL" serve "$DEPLOY" --port 0 --in-memory
        bench bpel-durable "bpel serve --store (durable)" "$BPEL" serve "$DEPLOY" --port 0 --store "$WORK/store.redb"
        if [ -n "$BASELINE" ]; then
            if [ -x "$BASELINE" ]; then
                bench baseline-durable "baseline bpel serve --store (durable)" "$BASELINE" serve "$DEPLOY" --port 0 --store "$WORK/baseline.redb"
            else
                skip "baseline: $BASELINE is not an executable"
                FAILED=1
            fi
        fi
    else
        record "bpel serve --in-memory" skipped "" "" "" "" "$WHY"
        record "bpel serve --store (durable)" skipped "" "" "" "" "$WHY"
    fi

    # 3: the ceiling.
    if [ -x "$BARE" ]; then
        bench bare-echo "bare hyper (bare-echo)" "$BARE" --port 0
    else
        skip "bare hyper: target/release/bare-echo was not built (see $OUT/serve-build.log)"
        record "bare hyper (bare-echo)" skipped "" "" "" "" "not built"
        FAILED=1
    fi

    # 4: Twisted.
    if [ "$HAVE_TWISTED" -eq 1 ]; then
        bench twisted "Twisted (twisted_echo.py)" "$PY" "$ROOT/bench/serve/twisted_echo.py" --port 0
    else
        skip "twisted: Twisted is not installed (PyPI twisted into bench/.venv)$([ "$INSTALL" -eq 0 ] && echo ', and --no-install')"
        record "Twisted (twisted_echo.py)" skipped "" "" "" "" "not installed"
    fi
fi

# ---------------------------------------------------------------------------------------------------
# The table

TWISTED_VERSION="$("$PY" -c 'import twisted, sys; print(twisted.__version__, "on CPython", sys.version.split()[0])' 2>/dev/null)"
WRK_VERSION="$(wrk --version 2>&1 | head -n 1 | awk '{print $1, $2}')"
python3 - "$RESULTS" "$DURATION" "$THREADS" "$CONNECTIONS" "${WRK_VERSION:-none}" "${TWISTED_VERSION:-none}" "${LOAD_AT_START:-?}" >"$TABLE" <<'EOF'
import datetime, os, platform, subprocess, sys

results_path, duration, threads, connections, wrk_version, twisted_version, load_at_start = sys.argv[1:8]
rows = [line.rstrip("\n").split("\t") for line in open(results_path) if line.strip()]

cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.lower().startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
try:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, timeout=10).stdout.strip()
except Exception:
    nproc = str(os.cpu_count())
try:
    load = " ".join(open("/proc/loadavg").read().split()[:3])
except OSError:
    load = "?"
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

print(f"Machine: {nproc} cores, {cpu}, Linux {platform.release()}; load average {load_at_start} at the start, {load} at the end; {date}.")
print(f"Load: {wrk_version} -t{threads} -c{connections} -d{duration}s on loopback, betsy's echo request "
      f"(basic/Empty.bpel); wrk and the server share the cores. Twisted: {twisted_version}.")
print()

bare = next((float(r[2]) for r in rows if r[0].startswith("bare hyper") and r[1] == "ok"), None)
print("| server | requests/s | p50 | p99 | ratio to bare hyper | errors |")
print("|---|---:|---:|---:|---:|---:|")
for name, status, rps, p50, p99, errors, note in rows:
    if status != "ok":
        print(f"| {name} | {status}: {note} | – | – | – | – |")
        continue
    ratio = f"{float(rps) / bare:.2f}" if bare else "n/a"
    print(f"| {name} | {float(rps):,.0f} | {float(p50):.2f} ms | {float(p99):.2f} ms | {ratio} | {errors} |")
EOF
printf '\n' >&2
cat "$TABLE"
exit "$FAILED"
