"""Python greenlet baseline for the tasklet runtime benchmarks (see bench/compare.sh).

Run on one core: `taskset -c 0 python bench.py [--quick] [--wall] [BENCH...]` (default: all; compare.sh runs each
memory bench in a fresh process). Prints one JSON line per figure:
{"bench": "...", "impl": "greenlet", "value": N, "unit": "..."}

  pingpong         round trips/s: two greenlets switching to each other, passing a value (2 switches)
  idle_mem_own     bytes per suspended greenlet registered as the waiter of its own channel (a deque,
                   the way a Stackless channel queues its waiting tasklets), 100 k greenlets
  idle_mem_shared  bytes per suspended greenlet registered in one shared channel's wait queue
  spawn            greenlets/s: create a greenlet, switch into it, let it finish

greenlet has no channels: switching is the primitive, so ping-pong is the switch pair and "blocked on a
channel" is a suspended greenlet sitting in a wait queue. Rates are per second of the process's CPU
time (time.process_time), so that other load on the machine does not count; --wall uses wall-clock time. Memory is the growth of the resident set
(/proc/self/statm) after the greenlets are parked, divided by N: it includes each greenlet's saved C
stack slice and Python frame.
"""

import collections
import gc
import json
import os
import sys
import time

from greenlet import getcurrent, greenlet


CLOCK = time.process_time


def emit(bench, value, unit):
    print(json.dumps({"bench": bench, "impl": "greenlet", "value": value, "unit": unit}), flush=True)


def pingpong(duration):
    main = getcurrent()

    def echo(v):
        while True:
            v = main.switch(v)

    partner = greenlet(echo)
    chunk = 10_000
    for i in range(chunk):  # warm up
        partner.switch(i)
    n = 0
    start = time.perf_counter()
    clock = CLOCK()
    while time.perf_counter() - start < duration:
        switch = partner.switch
        for i in range(chunk):
            switch(i)
        n += chunk
    elapsed = CLOCK() - clock
    partner.throw(greenlet.GreenletExit)
    return n / elapsed


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle_mem(n, own):
    main = getcurrent()

    def wait():
        main.switch()  # parked: the value a sender would hand over arrives here

    gc.collect()
    before = rss_bytes()
    shared = collections.deque()
    channels = []
    for _ in range(n):
        g = greenlet(wait)
        g.switch()  # runs until it parks
        if own:
            ch = collections.deque()
            ch.append(g)
            channels.append(ch)
        else:
            shared.append(g)
    gc.collect()
    after = rss_bytes()
    per = (after - before) / n
    # wake them all so they finish cleanly
    for ch in channels:
        ch.popleft().switch()
    while shared:
        shared.popleft().switch()
    return per


def spawn(duration):
    def work():
        pass

    batch = 100_000

    def run():
        for _ in range(batch):
            greenlet(work).switch()

    run()  # warm up
    n = 0
    start = time.perf_counter()
    clock = CLOCK()
    while time.perf_counter() - start < duration:
        run()
        n += batch
    return n / (CLOCK() - clock)


def main(argv):
    global CLOCK
    quick = "--quick" in argv
    if "--wall" in argv:
        CLOCK = time.perf_counter
    only = [a for a in argv if not a.startswith("--")] or ["pingpong", "idle_mem_own", "idle_mem_shared", "spawn"]
    duration = 0.2 if quick else 2.0
    n = 10_000 if quick else 100_000
    for bench in only:
        if bench == "pingpong":
            emit(bench, pingpong(duration), "round trips/s")
        elif bench in ("idle_mem_own", "idle_mem_shared"):
            emit(bench, idle_mem(n, bench == "idle_mem_own"), "B/tasklet")
        elif bench == "spawn":
            emit(bench, spawn(duration), "tasklets/s")
        else:
            print(f"unknown bench {bench!r} (pingpong, idle_mem_own, idle_mem_shared, spawn)", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
