#!/usr/bin/env bash
# Prints the table of fuzz/README.md from the logs of the last run_all.sh: per target the
# executions, time, executions per second, coverage (cov: edges, ft: features), corpus size,
# and the crashes, timeouts and OOMs recorded (fork mode's last status line).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
printf '| target | execs | time (s) | exec/s | cov | ft | corpus | crashes | timeouts | OOMs |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for log in logs/*.log; do
    target="$(basename "$log" .log)"
    line="$(grep -E '^#[0-9]+: cov' "$log" | tail -1 || true)"
    [ -n "$line" ] || continue
    read -r execs cov ft corp oom timeout crash time <<<"$(sed -E 's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) .* oom\/timeout\/crash: ([0-9]+)\/([0-9]+)\/([0-9]+) time: ([0-9]+)s.*/\1 \2 \3 \4 \5 \6 \7 \8/' <<<"$line")"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$execs" "$time" "$((execs / (time > 0 ? time : 1)))" \
        "$cov" "$ft" "$corp" "$crash" "$timeout" "$oom"
done
