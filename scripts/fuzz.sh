#!/usr/bin/env bash
# Coverage-guided fuzzing of the inputs plat parses by hand (docs/fuzzing.md):
# every target in fuzz/fuzz_targets for SECONDS_PER_TARGET seconds (default
# 20), each on a scratch copy of its committed corpus (fuzz/corpus/<target>),
# so the tree stays clean. Fails when a target finds a crash (a panic, a
# failed property, an overflow, an input slower than FUZZ_TIMEOUT seconds).
# Crashing inputs are copied to fuzz/artifacts/<target>/ (not committed).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#   FUZZ_JOBS=1 scripts/fuzz.sh 300     # one target at a time, 5 minutes each
#
# Stable toolchain: cargo-fuzz with `--sanitizer none` (no ASan runtime
# needed) and `--debug-assertions`, so overflows panic as in a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
jobs="${FUZZ_JOBS:-2}"
timeout="${FUZZ_TIMEOUT:-10}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

flags=(--sanitizer none --debug-assertions)
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="fuzz/target/$triple/release"
mapfile -t targets < <(cargo fuzz list)
echo "fuzz: building ${#targets[@]} targets"
cargo fuzz build "${flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() {
  local target="$1"
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  if [ -d "fuzz/corpus/$target" ]; then
    cp -R "fuzz/corpus/$target/." "$work/corpus/$target/"
  fi
  local status=0
  "$bin/$target" "$work/corpus/$target" \
    -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" \
    >"$work/$target.log" 2>&1 || status=$?
  echo "$status" >"$work/$target.status"
}

running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run "$target" &
  running=$((running + 1))
done
wait

failed=0
total=0
printf '%-16s %12s %8s %s\n' target executions cov result
for target in "${targets[@]}"; do
  log="$work/$target.log"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1 || true)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 | cut -d' ' -f2 || true)"
  status="$(cat "$work/$target.status")"
  crashes=("$work/artifacts/$target"/*)
  result=ok
  if [ "$status" != 0 ] || [ -e "${crashes[0]}" ]; then
    result="FAILED (exit $status)"
    failed=1
  fi
  total=$((total + ${execs:-0}))
  printf '%-16s %12s %8s %s\n' "$target" "${execs:-?}" "${cov:-?}" "$result"
done
printf '%-16s %12s\n' total "$total"

if [ "$failed" != 0 ]; then
  for target in "${targets[@]}"; do
    if [ "$(cat "$work/$target.status")" != 0 ] || [ -n "$(ls -A "$work/artifacts/$target")" ]; then
      echo "---- $target"
      grep -a -A4 -E 'panicked at|ERROR: libFuzzer|SUMMARY:' "$work/$target.log" | head -n 40 || true
      mkdir -p "fuzz/artifacts/$target"
      cp -R "$work/artifacts/$target/." "fuzz/artifacts/$target/"
      for artifact in "fuzz/artifacts/$target"/*; do
        [ -e "$artifact" ] && echo "reproduce: cargo fuzz run ${flags[*]} $target $artifact"
      done
    fi
  done
  echo "fuzz: a target failed; the inputs are in fuzz/artifacts/ (add each, once fixed, to fuzz/corpus/<target>/)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
