"""Renders bench/compare.sh's results as one Markdown table.

    python3 bench/table.py META.json RESULTS.jsonl SKIPPED.txt

RESULTS holds the benchmark programs' lines, {"bench": ..., "impl": ..., "value": N, "unit": ...};
META the machine description compare.sh gathered; SKIPPED the baselines that could not be had.
"""

import json
import sys

BASELINES = [("go", "Go"), ("greenlet", "greenlet"), ("tokio", "tokio")]

# (label, unit, {impl: bench key}, target op, target value, note)
# op "<=": lower is better; ">=": higher is better.
ROWS = [
    ("idle memory, 1 M tasklets each blocked on its own channel", "B/tasklet",
     {"ours": "idle_mem_own", "go": "idle_mem_own", "greenlet": "idle_mem_own", "tokio": "idle_mem_own"}, "<=", 128),
    ("idle memory, 1 M tasklets blocked on one shared channel", "B/tasklet",
     {"ours": "idle_mem_shared", "go": "idle_mem_shared", "greenlet": "idle_mem_shared"}, "<=", 128),
    ("ping-pong, one core (tokio: mpsc cap 1)", "round trips/s",
     {"ours": "pingpong", "go": "pingpong", "greenlet": "pingpong", "tokio": "pingpong"}, ">=", 20e6),
    ("ping-pong vs tokio oneshot, fresh pair per message", "round trips/s",
     {"ours": "pingpong", "tokio": "pingpong_oneshot"}, ">=", 20e6),
    ("spawn and run to completion", "tasklets/s",
     {"ours": "spawn", "go": "spawn", "greenlet": "spawn", "tokio": "spawn"}, ">=", 10e6),
    ("checkpoint, 1,000 blocked tasklets (median)", "µs", {"ours": "checkpoint"}, "<=", 100),
    ("restore, 1,000 blocked tasklets (median)", "µs", {"ours": "restore"}, "<=", 100),
    ("checkpoint file size, 1,000 blocked tasklets", "B/tasklet", {"ours": "checkpoint_bytes"}, "<=", 64),
]


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f} M"
    if a >= 1e4:
        return f"{v / 1e3:.1f} k"
    if a >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}"


def main(meta_path, results_path, skipped_path):
    meta = json.load(open(meta_path))
    figures = {}
    for line in open(results_path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        figures[(r["impl"], r["bench"])] = float(r["value"])
    skipped = [l.strip() for l in open(skipped_path) if l.strip()]
    skipped_impls = {l.split()[1].rstrip(":") for l in skipped if len(l.split()) > 1}

    out = []
    out.append(f"Measured {meta['date']} by `bench/compare.sh{' --quick' if meta.get('quick') else ''}` on "
               f"{meta['cpu']}, {meta['cores']} cores, {meta['memory']} memory, Linux {meta['kernel']}; "
               f"every program pinned to one core ({meta['pinned']}). Load average before and after: "
               f"{meta.get('load', '?')} / {meta.get('load_after', '?')}.")
    out.append("")
    out.append(f"{meta['rustc']}; tokio {meta['tokio']} (current_thread runtime); "
               f"{meta['go'] or 'Go: skipped'} (GOMAXPROCS=1); "
               f"greenlet {meta['greenlet'] or 'skipped'}.")
    if meta.get("quick"):
        out.append("")
        out.append("**Quick run** (smoke test): 100 k idle tasklets instead of 1 M, 0.2 s per rate. Not for comparison.")
    for s in skipped:
        out.append("")
        out.append(f"**{s}**")
    out.append("")

    head = ["benchmark", "unit", "ours"] + [name for _, name in BASELINES] + ["target"] + \
        [f"ours/{name}" for _, name in BASELINES] + ["verdict"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 2) + [":---:"]) + "|")
    for label, unit, keys, op, target in ROWS:
        ours = figures.get(("ours", keys["ours"]))
        cells = [label, unit, fmt(ours)]
        ratios = []
        for impl, _ in BASELINES:
            if impl not in keys:
                cells.append("—")
                ratios.append("—")
                continue
            v = figures.get((impl, keys[impl]))
            if v is None:
                cells.append("skipped" if impl in skipped_impls else "—")
                ratios.append("—")
                continue
            cells.append(fmt(v))
            ratios.append(f"{ours / v:.2f}" if ours is not None and v else "—")
        cells.append(("≤ " if op == "<=" else "≥ ") + (f"{target:.0f}" if target < 1e4 else fmt(target)))
        cells += ratios
        if ours is None:
            verdict = "n/a"
        else:
            verdict = "PASS" if (ours <= target if op == "<=" else ours >= target) else "FAIL"
        cells.append(verdict)
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    clock = "wall-clock time" if meta.get("wall") else "the process's CPU time (so other load on the machine does not count)"
    out.append(f"Rates are per second of {clock}; checkpoint and restore are medians of wall-clock samples. "
               "Ratios are ours / baseline: above 1 is better for rates, below 1 is better for bytes. "
               "Memory is live heap growth / N: ours and tokio from a counting allocator (bytes requested), "
               "Go from HeapInuse+StackInuse, greenlet from the resident set (100 k greenlets), each in a fresh "
               "process. greenlet has no channels: its ping-pong is a pair of switches, its idle tasklet a "
               "suspended greenlet in a wait queue (a deque). Spawn: batches of trivial tasklets, each batch "
               "run to completion. Raw figures: target/bench/results.jsonl.")
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
