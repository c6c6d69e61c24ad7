#!/usr/bin/env bash
# Tasklet runtime benchmarks against their baselines, side by side, in one invocation (issue 3).
#
#   bench/compare.sh [--quick] [--wall] [--no-install]
#
# Installs its baselines where it can (Debian golang-go with apt-get, PyPI greenlet into bench/.venv)
# and says so, on a line starting with SKIP, for any baseline it cannot have: never silently. Builds
# our bench binary (engine/benches/runtime.rs, which also holds the tokio baseline) and the Go program,
# runs every benchmark in a process of its own pinned to one core (taskset -c 0; Go with GOMAXPROCS=1,
# tokio with its current_thread runtime), then prints one table: the machine, then each figure for
# ours and each baseline, the target, ours/baseline ratios and PASS/FAIL against the target.
#
#   --quick       smoke run: 0.2 s per rate, 100 k idle tasklets (10 k greenlets) instead of 1 M
#                 (100 k), 51 checkpoint runs instead of 501. Seconds, not a minute. Not for the README.
#   --wall        rates per second of wall-clock time; by default every program divides by its process's
#                 CPU time (user + system), so that other load on a shared machine does not count. On an
#                 idle machine the two agree.
#   --no-install  use what is there; skip (with a SKIP line) a baseline that is missing.
#
# Raw figures go to target/bench/results.jsonl, the table to target/bench/table.md, logs to
# target/bench/*.log. Exit status: 0 when everything that was to run ran (whatever the verdicts),
# 1 when our own bench could not be built or run (the baselines still run, and the table is printed).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
META="$OUT/meta.json"
: >"$RESULTS"

QUICK=""
WALL=""
INSTALL=1
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK="--quick" ;;
        --wall) WALL="--wall" ;;
        --no-install) INSTALL=0 ;;
        -h | --help)
            sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "compare.sh: unknown argument $arg (--quick, --wall, --no-install)" >&2
            exit 2
            ;;
    esac
done

say() { printf '%s\n' "$*" >&2; }
skip() { printf 'SKIP %s\n' "$*" | tee -a "$OUT/skipped.txt" >&2; }
: >"$OUT/skipped.txt"

# One core. taskset is in util-linux; without it (or where core 0 is not ours) we say so and run unpinned.
PIN=()
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    PIN=(taskset -c 0)
    PINNED="taskset -c 0"
else
    say "NOTE taskset -c 0 is not available here: benchmarks run unpinned (Go still GOMAXPROCS=1, tokio current_thread)"
    PINNED="unpinned"
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

# Runs one benchmark process with a time limit and appends its JSON lines to the results.
# run NAME TIMEOUT_S COMMAND... ; the command's stderr goes to target/bench/NAME.log
run() {
    local name="$1" limit="$2"
    shift 2
    local lines
    if lines="$(timeout "$limit" "$@" 2>>"$OUT/$name.log")"; then
        printf '%s\n' "$lines" | grep '^{' >>"$RESULTS"
        return 0
    else
        local rc=$?
        printf '%s\n' "$lines" | grep '^{' >>"$RESULTS"
        if [ "$rc" -eq 124 ]; then
            say "FAILED $name: no answer within ${limit}s (see $OUT/$name.log)"
        else
            say "FAILED $name: exit $rc (see $OUT/$name.log)"
        fi
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------------
# Baselines: install and build

say "== baselines"
HAVE_GO=0
if ! command -v go >/dev/null 2>&1 && [ "$INSTALL" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing golang-go with apt-get"
    if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go; } >"$OUT/apt.log" 2>&1; then
        say "apt-get install golang-go failed (see $OUT/apt.log)"
    fi
fi
if command -v go >/dev/null 2>&1; then
    if (cd bench/go && go build -o "$OUT/go-bench" .) >"$OUT/go-build.log" 2>&1; then
        HAVE_GO=1
    else
        skip "go: the Go baseline does not build (see $OUT/go-build.log)"
    fi
else
    skip "go: no Go toolchain (Debian package golang-go)$([ "$INSTALL" -eq 0 ] && echo ', and --no-install')"
fi

HAVE_GREENLET=0
VENV="$ROOT/bench/.venv"
PY="$VENV/bin/python"
if ! "$PY" -c 'import greenlet' >/dev/null 2>&1 && [ "$INSTALL" -eq 1 ]; then
    say "installing greenlet (PyPI) into bench/.venv"
    {
        { [ -x "$PY" ] || python3 -m venv "$VENV"; } && "$PY" -m pip install -q --disable-pip-version-check greenlet
    } >"$OUT/pip.log" 2>&1 || say "pip install greenlet failed (see $OUT/pip.log)"
fi
if "$PY" -c 'import greenlet' >/dev/null 2>&1; then
    HAVE_GREENLET=1
else
    skip "greenlet: Python greenlet is not installed (PyPI greenlet into bench/.venv)$([ "$INSTALL" -eq 0 ] && echo ', and --no-install')"
fi

# ---------------------------------------------------------------------------------------------------
# Ours (and the tokio baseline, which lives in the same bench binary)

say "== building engine/benches/runtime.rs (cargo bench --no-run)"
BIN="$(cargo bench -p bpel-engine --bench runtime --no-run --message-format=json 2>"$OUT/cargo-build.log" |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "runtime" and m.get("executable"):
        print(m["executable"])
')"
FAILED=0
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    say "FAILED: the runtime bench does not build (see $OUT/cargo-build.log); ours and tokio will be missing:"
    tail -n 20 "$OUT/cargo-build.log" >&2
    FAILED=1
    BIN=""
fi

# ---------------------------------------------------------------------------------------------------
# Machine

python3 - "$META" "$PINNED" "$QUICK" "$WALL" <<'EOF'
import json, os, platform, re, subprocess, sys, datetime

def out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""

lscpu = out("lscpu")
field = lambda name: next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith(name + ":")), "?")
lock = open("Cargo.lock").read() if os.path.exists("Cargo.lock") else ""
tokio = re.search(r'name = "tokio"\nversion = "([^"]+)"', lock)
greenlet = out("bench/.venv/bin/python", "-c", "import greenlet, sys; print(greenlet.__version__, 'on CPython', sys.version.split()[0])")
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": field("Model name"),
    "cores": out("nproc"),
    "memory": next((l.split()[1] for l in out("free", "-h").splitlines() if l.startswith("Mem:")), "?"),
    "kernel": platform.release(),
    "rustc": out("rustc", "--version"),
    "go": out("go", "version"),
    "greenlet": greenlet,
    "tokio": tokio.group(1) if tokio else "?",
    "pinned": sys.argv[2],
    "quick": sys.argv[3] == "--quick",
    "wall": sys.argv[4] == "--wall",
    "load": " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?",
}
json.dump(meta, open(sys.argv[1], "w"))
EOF

# ---------------------------------------------------------------------------------------------------
# Runs: one process per figure, so a memory figure never carries another bench's leftovers.

if [ -n "$BIN" ]; then
    say "== ours"
    for b in idle_mem_own idle_mem_shared pingpong spawn checkpoint restore checkpoint_bytes; do
        run "ours-$b" 300 "${PIN[@]}" "$BIN" --json $QUICK $WALL --impl ours "$b" || FAILED=1
    done
    say "== tokio"
    for b in idle_mem_own pingpong pingpong_oneshot spawn; do
        run "tokio-$b" 300 "${PIN[@]}" "$BIN" --json $QUICK $WALL --impl tokio "$b"
    done
fi
if [ "$HAVE_GO" -eq 1 ]; then
    say "== go"
    for b in idle_mem_own idle_mem_shared pingpong spawn; do
        run "go-$b" 300 env GOMAXPROCS=1 "${PIN[@]}" "$OUT/go-bench" $QUICK $WALL "$b"
    done
fi
if [ "$HAVE_GREENLET" -eq 1 ]; then
    say "== greenlet"
    for b in idle_mem_own idle_mem_shared pingpong spawn; do
        run "greenlet-$b" 300 "${PIN[@]}" "$PY" bench/greenlet/bench.py $QUICK $WALL "$b"
    done
fi

# ---------------------------------------------------------------------------------------------------
# The table

# the load at the end too: what else the machine was doing around the runs
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); m["load_after"] = " ".join(open("/proc/loadavg").read().split()[:3]); json.dump(m, open(sys.argv[1], "w"))' "$META" 2>/dev/null
python3 bench/table.py "$META" "$RESULTS" "$OUT/skipped.txt" | tee "$OUT/table.md"
exit "$FAILED"
