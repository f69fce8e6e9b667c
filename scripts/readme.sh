#!/usr/bin/env bash
# The README's walkthrough, run as written: "Run it", "A first session with
# platctl" (steps 1-6), "Deliver changes to a service" (7-9) and "Register a
# service" (10).
#
# The commands are taken from README.md itself (its ```sh blocks in those
# sections), never retyped here, so the README and this test cannot drift
# apart. They run one by one in this shell (so `TOKEN=...`, `SECRET=...` and
# `... &` carry over, as in a terminal), in a fresh temp directory with HOME
# in a temp directory too (a fresh ~/.config/platctl), against the
# `platd serve --dev` of "Run it", started here in that directory. Each
# command is printed before it runs and must exit as the README says (the
# EXPECT table below; 0 for the rest). Stops at the first failure.
#
# The only changes to the commands, each a small rewrite in rewrite() below:
# - `cargo run --release -p platd --` and `... -p profile-service --` become
#   the prebuilt debug binaries (built here first; a no-op when fresh), or
#   those in $PLAT_BIN_DIR;
# - `cargo install --path cli` is skipped: that platctl goes on PATH instead;
# - a command that runs until Ctrl-C (`--watch`) runs under `timeout`, and
#   its timeout (exit 124) counts as success;
# - "Run it" runs in the background (the README's "in another terminal");
# - the `kubectl` block ("On Kubernetes") is skipped: no cluster here.
# Before step 9 it waits for what the README says to wait for: the backfill
# delivered (`sync stats`: backlog 0), then half a minute (checks.grace).
# Only exit codes are checked, not what the commands print.
#
#   scripts/readme.sh                          # as CI runs it
#   PLAT_BIN_DIR=/path/to/bin scripts/readme.sh   # prebuilt platd, platctl, profile-service
#   README_KEEP=1 scripts/readme.sh            # keep the temp directory and the logs
#
# Needs curl, python3, timeout, and the sqlite3 shell (step 9); as root with
# CI=true it installs sqlite3 when missing. Uses the README's fixed ports:
# 127.0.0.1:8700 (platd --dev) and 127.0.0.1:9000 (the profile service).
set -euo pipefail
# Until the walkthrough starts (and its own trap takes over), a failure is
# one failed command.
trap '[ $? -eq 0 ] || echo "readme: 0 passed, 1 failed"' EXIT
if [ -n "${PLAT_BIN_DIR:-}" ]; then
  PLAT_BIN_DIR="$(cd "$PLAT_BIN_DIR" && pwd)" || { echo "readme.sh: no directory $PLAT_BIN_DIR" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
ROOT="$PWD"
README="$ROOT/README.md"

# How long a `--watch` runs before `timeout` stops it (step 10 wants to see
# the instance turn passing: the first probe is immediate).
WATCH_SECONDS="${README_WATCH_SECONDS:-8}"
# Deadlines: platd ready, and the backfill of 10,000 users delivered.
READY_DEADLINE=120
BACKLOG_DEADLINE="${README_BACKLOG_DEADLINE:-600}"
# checks.grace of `platd --dev` (the default, docs/configuration.md): step 9
# waits this long after the last delivery, as the README says.
CHECKS_GRACE=30

# Expected exit codes of the commands that do not exit 0, from the README's
# comments. "prefix|codes": the first entry whose prefix starts a command
# applies; codes are listed per run of a command that entry matches, in
# README order (the last code repeats). Every command not listed must exit 0.
EXPECT=(
  # 9. "--repair: enqueues a repair task per finding; still exits 3"
  "platctl check run --target profiles --repair|3"
  # 9. "no drift (exit 0)", then "1 finding (1 stale); exit code 3" after
  #    the damage, then "no drift again" (exit 0).
  "platctl check run --target profiles|0 3 0"
  # 3. "yes (exit 0)"
  "platctl --tenant acme auth can-i events:read --as alice|0"
  # 6. "exit 4 when a component is unhealthy": everything is healthy here.
  "platctl health|0"
)

say() { echo "readme.sh: $*"; }
die() { echo "readme.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------ prerequisites

for tool in curl python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done
if ! command -v sqlite3 >/dev/null 2>&1; then
  # Step 9 damages the service's copy with the sqlite3 shell.
  if [ "$(id -u)" = 0 ] && [ "${CI:-}" = true ] && command -v apt-get >/dev/null 2>&1; then
    say "installing sqlite3 (README step 9 needs the sqlite3 shell)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq sqlite3 >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq sqlite3 >/dev/null; } \
      || die "could not install sqlite3 with apt-get"
  else
    die "README step 9 needs the sqlite3 shell: install it (apt-get install sqlite3), or run as root with CI=true to let this script install it"
  fi
fi

if [ -n "${PLAT_BIN_DIR:-}" ]; then
  BIN="$PLAT_BIN_DIR"
else
  cargo build --quiet -p platd -p platctl -p profile-service
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
  case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
fi
BIN_Q="$(printf '%q' "$BIN")" # as a shell word, for the rewritten commands
for exe in platd platctl profile-service; do
  [ -x "$BIN/$exe" ] || die "no $BIN/$exe (build it, or point PLAT_BIN_DIR at a directory holding it)"
done

for port in 8700 9000; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    die "something already listens on 127.0.0.1:$port, which the README's commands use; stop it first"
  fi
done

# ------------------------------------------------------------ the commands

# The ```sh blocks of the README's sections, one record per logical command
# ("<section>\t<step>\t<command>"): continuation lines joined, comment-only
# lines dropped, trailing comments kept (they are the README's, and the shell
# ignores them). <step> is the number of the last "# N." comment.
extract() {
  awk '
    /^#+ / && !inblock { section = $0; sub(/^#+ +/, "", section); next }
    /^```sh[ \t]*$/ { inblock = 1; next }
    /^```[ \t]*$/ && inblock { inblock = 0; if (cmd != "") print_cmd(); next }
    !inblock { next }
    {
      line = $0
      if (cmd == "" && line ~ /^[ \t]*#/) {
        if (match(line, /^[ \t]*# *[0-9]+\./)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); step = s }
        next
      }
      if (cmd == "" && line ~ /^[ \t]*$/) next
      if (cmd != "") sub(/^[ \t]+/, "", line)  # a continuation line: its indent goes
      if (line ~ /\\$/) { line = substr(line, 1, length(line) - 1); sub(/[ \t]+$/, "", line); cmd = cmd line " "; next }
      cmd = cmd line
      print_cmd()
    }
    function print_cmd() {
      printf "%s\t%s\t%s\n", section, step, cmd
      cmd = ""
    }
  ' "$README"
}

WANTED_SECTIONS=("Run it" "A first session with platctl" "Deliver changes to a service" "Register a service" "On Kubernetes")
COMMANDS=()
while IFS= read -r record; do
  section="${record%%$'\t'*}"
  for wanted in "${WANTED_SECTIONS[@]}"; do
    if [ "$section" = "$wanted" ]; then COMMANDS+=("$record"); break; fi
  done
done < <(extract)

# The walkthrough is still there: each section, and steps 1 to 10.
for wanted in "${WANTED_SECTIONS[@]}"; do
  printf '%s\n' "${COMMANDS[@]}" | cut -f1 | grep -qxF "$wanted" || die "README.md has no \`\`\`sh block under \"$wanted\""
done
for step in 1 2 3 4 5 6 7 8 9 10; do
  printf '%s\n' "${COMMANDS[@]}" | cut -f2 | grep -qx "$step" || die "README.md has no step $step"
done

# The allowed rewrites of one command (see the header). Prints the command to
# run, or "SKIP <why>".
rewrite() {
  local section="$1" cmd="$2"
  # The Kubernetes block needs a cluster.
  if [ "$section" = "On Kubernetes" ]; then echo "SKIP no Kubernetes cluster here"; return; fi
  # `cargo install --path cli`: platctl of $BIN is on PATH instead.
  if [[ "$cmd" == "cargo install --path cli"* ]]; then echo "SKIP platctl from $BIN is on PATH"; return; fi
  # `cargo run --release -p X --` becomes the prebuilt binary X.
  cmd="$(printf '%s' "$cmd" | sed -E \
    -e "s@cargo run --release -p platd -- @$BIN_Q/platd @g" \
    -e "s@cargo run --release -p profile-service -- @$BIN_Q/profile-service @g")"
  # A platctl command with --watch (before any comment) runs until Ctrl-C:
  # under timeout, whose exit 124 counts as success (see the run below).
  cmd="$(printf '%s' "$cmd" | sed -E "s@^(platctl [^#]*--watch( |\$))@timeout $WATCH_SECONDS \\1@")"
  printf '%s' "$cmd"
}

# The exit code the README documents for the command (see EXPECT), in WANT.
# Not in a subshell: it counts the runs of each entry in SEEN.
declare -A SEEN=()
expected_exit() {
  local cmd="$1" entry prefix codes n
  WANT=0
  for entry in "${EXPECT[@]}"; do
    prefix="${entry%%|*}"
    read -r -a codes <<<"${entry#*|}"
    if [[ "$cmd" == "$prefix" || "$cmd" == "$prefix "* ]]; then
      n="${SEEN[$prefix]:-0}"
      SEEN[$prefix]=$((n + 1))
      if [ "$n" -ge "${#codes[@]}" ]; then n=$((${#codes[@]} - 1)); fi
      WANT="${codes[$n]}"
      return
    fi
  done
}

# ------------------------------------------------------------ the run

WORK="$(mktemp -d)"
mkdir -p "$WORK/home" "$WORK/bin" "$WORK/dir"
ln -s "$BIN/platctl" "$WORK/bin/platctl"
passed=0
# On exit: stop what the walkthrough started (platd, the profile service),
# then print the result as the very last line.
cleanup() {
  local status=$? pids
  pids="$(jobs -p)"
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086  # one id a word
    kill $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    wait $pids 2>/dev/null || true
  fi
  if [ -n "${README_KEEP:-}" ] || [ "$status" -ne 0 ]; then
    say "kept $WORK (the walkthrough ran in $WORK/dir; platd's log is $WORK/platd.log)"
  else
    rm -rf "$WORK"
  fi
  if [ "$status" -eq 0 ]; then
    echo "readme: $passed passed, 0 failed"
  else
    echo "readme: $passed passed, 1 failed"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh environment: no platctl context, token or tenant from outside, no
# platd configuration from outside.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(PLATCTL|PLATD)_' || true)
unset XDG_CONFIG_HOME
export HOME="$WORK/home"
export PATH="$WORK/bin:$PATH"
cd "$WORK/dir"

fail() {
  echo "readme.sh: FAILED: $*" >&2
  exit 1
}

# Step 9 says to wait for the backfill: poll `sync stats` until every target
# has a backlog of 0 and its backfill (if any) is done, all delivered (a
# backfill queues its snapshots a page at a time, so a backlog of 0 alone
# may be seen before the first page is queued); then for checks.grace, as
# records delivered within it are not findings yet.
wait_for_backlog() {
  local deadline=$((SECONDS + BACKLOG_DEADLINE)) left last_said=$SECONDS
  say "waiting for the backfill to be delivered (sync stats: backlog 0)"
  while :; do
    left="$(platctl sync stats -o json </dev/null | python3 -c '
import json, sys
left = []
for t in json.load(sys.stdin):
    b = t.get("backfill") or {"state": "done", "remaining": 0}
    if t["backlog"] or b["remaining"] or b["state"] != "done":
        left.append("%s: backlog %d, backfill %s (%d left)" % (t["target"], t["backlog"], b["state"], b["remaining"]))
print("; ".join(left) or "none")
')" || fail "platctl sync stats -o json"
    [ "$left" = none ] && break
    [ "$SECONDS" -lt "$deadline" ] || fail "the backfill is not delivered after ${BACKLOG_DEADLINE}s: $left"
    if [ $((SECONDS - last_said)) -ge 10 ]; then say "  $left"; last_said=$SECONDS; fi
    sleep 1
  done
  platctl sync stats </dev/null
  say "waiting $((CHECKS_GRACE + 1)) s (checks.grace: a record delivered within it is not a finding yet)"
  sleep $((CHECKS_GRACE + 1))
}

start=$SECONDS
waited_for_backfill=""
for record in "${COMMANDS[@]}"; do
  section="${record%%$'\t'*}"
  rest="${record#*$'\t'}"
  step="${rest%%$'\t'*}"
  readme_cmd="${rest#*$'\t'}"
  cmd="$(rewrite "$section" "$readme_cmd")"
  if [[ "$cmd" == SKIP* ]]; then
    echo "--- skipped: $readme_cmd  (${cmd#SKIP })"
    continue
  fi

  if [ "$section" = "Run it" ]; then
    # The daemon runs until Ctrl-C: in the background, then it must become
    # ready and have written the admin's password, as the README says.
    echo "+ $cmd &"
    eval "exec $cmd" >"$WORK/platd.log" 2>&1 </dev/null &
    PLATD_PID=$!
    deadline=$((SECONDS + READY_DEADLINE))
    until curl -fsS -o /dev/null http://127.0.0.1:8700/readyz 2>/dev/null && [ -s .plat/admin-password ]; do
      if ! kill -0 "$PLATD_PID" 2>/dev/null; then cat "$WORK/platd.log" >&2; fail "$cmd: exited"; fi
      [ "$SECONDS" -lt "$deadline" ] || { cat "$WORK/platd.log" >&2; fail "$cmd: not ready after ${READY_DEADLINE}s"; }
      sleep 0.2
    done
    passed=$((passed + 1))
    continue
  fi

  if [ "$step" = 9 ] && [ -z "$waited_for_backfill" ]; then
    wait_for_backlog
    waited_for_backfill=1
  fi

  expected_exit "$cmd"
  want="$WANT"
  echo "+ $cmd"
  set +e
  # In this shell, so variables and background jobs carry over. No terminal
  # on stdin: nothing may prompt.
  eval "$cmd" </dev/null
  status=$?
  set -e
  if [[ "$cmd" == "timeout $WATCH_SECONDS "* ]] && [ "$status" -eq 124 ]; then
    status=0 # stopped by timeout, as Ctrl-C would: the README's way to end it
  fi
  if [ "$status" -ne "$want" ]; then
    fail "step $step: exit $status, the README says $want: $readme_cmd"
  fi
  [ "$want" -eq 0 ] || echo "    (exit $status, as the README says)"
  passed=$((passed + 1))
done

say "the walkthrough took $((SECONDS - start)) s"
