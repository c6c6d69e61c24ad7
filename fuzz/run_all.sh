#!/usr/bin/env bash
# Runs every target, one at a time, for SECONDS_EACH seconds (default 30) at the lowest CPU
# priority, over corpus/TARGET with its dictionary; crashes, timeouts and OOMs are recorded in
# artifacts/TARGET/ and the run goes on (fork mode). Logs: logs/TARGET.log.
# With FUZZ_STRICT=1 (CI) the first crash, timeout or OOM stops the run and fails the script.
# Usage: fuzz/run_all.sh [SECONDS_EACH] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-30}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(xml_reader process_check xpath soap checkpoint scenario lsp_edits)
declare -A dict=([xml_reader]=xml [process_check]=bpel [lsp_edits]=bpel [xpath]=xpath [soap]=soap [scenario]=scenario)
mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="artifacts/$target/")
    [ -n "${dict[$target]:-}" ] && options+=(-dict="dict/${dict[$target]}.dict")
    echo "== $target ($seconds s) $(date -u +%FT%TZ)"
    if [ "${FUZZ_STRICT:-0}" = 1 ]; then
        if ! nice -n 19 cargo +nightly fuzz run -s none "$target" "corpus/$target" -- "${options[@]}" >"logs/$target.log" 2>&1; then
            tail -n 40 "logs/$target.log" >&2
            echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/ (see fuzz/README.md)" >&2
            exit 1
        fi
    else
        options+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
        nice -n 19 cargo +nightly fuzz run -s none "$target" "corpus/$target" -- "${options[@]}" >"logs/$target.log" 2>&1 || true
    fi
    grep -E '^#[0-9]+:? +(cov|DONE)' "logs/$target.log" | tail -1 || true
    grep -E 'INFO: .*(crash|timeout|oom)|Done' "logs/$target.log" | tail -2 || true
done
