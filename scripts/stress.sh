#!/usr/bin/env bash
# Run a filter of platd's integration tests N times in a row beside a CPU hog
# (one busy loop per core), the way a starved CI machine runs them; stop at
# the first failing run and keep its log. A test that fails here once is a
# race until shown otherwise (the sync engine's circuit and lease races
# were found so).
#
#   scripts/stress.sh                  # sync:: 20 times, both backends
#   scripts/stress.sh 'registry::' 10
#
# PostgreSQL and Redis as .ci/run starts them (PLAT_TEST_DATABASE_URL,
# PLAT_TEST_REDIS_URL; the defaults are the machine's).
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-sync::}"
runs="${2:-20}"
export PLAT_TEST_DATABASE_URL="${PLAT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export PLAT_TEST_REDIS_URL="${PLAT_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
# The test binary, built once (the runs then cost no compilation).
bin="$(cargo test -p platd --test it --no-run --message-format json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "it":
        print(m["executable"])' | tail -n1)"
[ -x "$bin" ] || { echo "stress: cannot build the it test binary" >&2; exit 1; }
hogs=()
for _ in $(seq 1 "$(nproc)"); do
  (while :; do :; done) &
  hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null || true' EXIT
log="$(mktemp -d)"
for i in $(seq 1 "$runs"); do
  if (cd daemon && "$bin" "$filter") > "$log/run-$i.log" 2>&1; then
    echo "run $i: $(grep 'test result' "$log/run-$i.log" | tail -n1)"
  else
    echo "run $i: FAILED (log: $log/run-$i.log)"
    grep -E 'panicked|FAILED' -A3 "$log/run-$i.log" | head -n 20
    echo "stress: $((i - 1)) passed, 1 failed"
    exit 1
  fi
done
echo "stress: $runs passed, 0 failed"
