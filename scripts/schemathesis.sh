#!/usr/bin/env bash
# Property-based test of the HTTP API against its own OpenAPI document
# (schemathesis): every generated request, valid or not, must get an answer
# that is not a 5xx and whose status, content type and body the document
# declares.
#
# It starts the debug platd (built if missing) on a free loopback port with a
# temp SQLite database and cheap argon2, bootstraps an admin, logs in, and
# runs schemathesis with a fixed seed and a bounded number of examples per
# operation, in one worker, so a run is repeatable. Exits non-zero on any
# failure, and when platd logged an internal error; stops platd on exit.
#
#   scripts/schemathesis.sh                       # as CI runs it
#   ST_MAX_EXAMPLES=200 scripts/schemathesis.sh   # a longer hunt
#   ST_SEED=7 scripts/schemathesis.sh             # another seed
#   ST_KEEP=1 scripts/schemathesis.sh             # keep platd's log and the HAR of every request
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SCHEMATHESIS_VERSION=4.32.5
SEED="${ST_SEED:-1}"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-25}"
VENV="${ST_VENV:-$ROOT/target/schemathesis-venv}"
ADMIN_PASSWORD="schemathesis-admin-password"

# A virtual environment with the pinned schemathesis, made once and reused.
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  echo "schemathesis.sh: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The debug platd, as `cargo test --workspace` leaves it (then this is a no-op).
cargo build --quiet -p platd
PLATD="$ROOT/target/debug/platd"

WORK="$(mktemp -d)"
PLATD_PID=""
cleanup() {
  if [ -n "$PLATD_PID" ]; then
    kill "$PLATD_PID" 2>/dev/null || true
    wait "$PLATD_PID" 2>/dev/null || true
  fi
  if [ -n "${ST_KEEP:-}" ]; then echo "schemathesis.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
export PLATD_DATA_DIR="$WORK"
export PLATD_DATABASE_URL="sqlite://$WORK/plat.db?mode=rwc"
export PLATD_LOG__LEVEL=warn
export PLATD_LOG__FORMAT=json
export PLATD_AUTH__ARGON2__MEMORY_KIB=64
export PLATD_AUTH__ARGON2__ITERATIONS=1
# The admin's token must outlive the run.
export PLATD_AUTH__ACCESS_TTL=2h
# Deliveries to the targets schemathesis creates would only be noise.
export PLATD_SYNC__ENABLED=false

(cd "$WORK" && printf '%s' "$ADMIN_PASSWORD" | "$PLATD" bootstrap --admin admin --password-stdin >/dev/null)
(cd "$WORK" && exec "$PLATD" serve --listen "127.0.0.1:$PORT" 2>"$WORK/platd.log") &
PLATD_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$PLATD_PID" 2>/dev/null; then
    cat "$WORK/platd.log" >&2
    echo "schemathesis.sh: platd exited" >&2
    exit 1
  fi
  sleep 0.1
done

json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
TOKEN="$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"tenant\":\"system\",\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" | json_field '["data"]["access_token"]')"
ADMIN_ID="$(curl -fsS "$BASE/api/v1/auth/whoami" -H "Authorization: Bearer $TOKEN" | json_field '["data"]["subject"]')"

# Operations left out, because their success ends the session under test,
# and every later case would only meet 401:
# - POST /auth/logout-all revokes every session of the caller, the admin.
EXCLUDE=(--exclude-operation-id post_auth_logout_all)

# The same for single cases: the stateful phase feeds ids from answers (the
# admin's, from GET /users) into later calls, and a deleted admin, a new
# admin password (which ends its sessions) or a revoked platform-admin role
# would end the session too. Such a case is pointed at a user that does not
# exist instead (still a real request, answered 404). GETs stay as they are.
# Ending one of the caller's sessions by id is pointed at a session that does
# not exist: the stateful phase would feed it this session's id from
# GET /auth/sessions.
cat >"$WORK/plat_hooks.py" <<'EOF'
import json
import os
import unicodedata

import schemathesis

ADMIN = {"admin", os.environ["ST_ADMIN_ID"].lower()}
ELSEWHERE = "st-not-the-admin"


def is_admin(value):
    return isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().lower() in ADMIN


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() == "GET":
        return
    params = case.path_parameters or {}
    if is_admin(params.get("user")):
        params["user"] = ELSEWHERE
    if case.path.endswith("/auth/sessions/{id}"):
        params["id"] = ELSEWHERE
    if case.path.endswith("/auth/revoke") and isinstance(case.body, dict) and is_admin(case.body.get("user")):
        case.body["user"] = ELSEWHERE


# POST /users/import takes NDJSON: each generated line is sent as one line.
@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    return (json.dumps(value) + "\n").encode()


# GET /users/export answers NDJSON: every line must parse, and the first is
# checked against the documented schema (one User per line).
@schemathesis.deserializer("application/x-ndjson")
def ndjson_lines(ctx, response):
    lines = [json.loads(line) for line in response.content.decode().splitlines() if line.strip()]
    return lines[0] if lines else None
EOF

start=$SECONDS
status=0
(
  cd "$WORK"
  PYTHONPATH="$WORK" SCHEMATHESIS_HOOKS=plat_hooks ST_ADMIN_ID="$ADMIN_ID" \
    "$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" \
    --url "$BASE" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --seed "$SEED" \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --generation-database none \
    --no-shrink \
    --request-timeout 30 \
    --report har --report-har-path "$WORK/requests.har" \
    --no-color \
    "${EXCLUDE[@]}"
) 2>&1 | tee "$WORK/schemathesis.log" || status=$?

# Server errors that schemathesis could not see (a 5xx is counted above;
# this catches panics and internal causes in the log).
if grep -q '"level":"ERROR"' "$WORK/platd.log"; then
  echo "schemathesis.sh: platd logged errors:" >&2
  grep '"level":"ERROR"' "$WORK/platd.log" | head -20 >&2
  status=1
fi
cases="$(grep -oE '[0-9]+ generated' "$WORK/schemathesis.log" | tail -n1 | cut -d' ' -f1)"
found="$(grep -oE 'generated, [0-9]+ found' "$WORK/schemathesis.log" | tail -n1 | grep -oE '[0-9]+' || true)"
cases="${cases:-0}"
found="${found:-0}"
if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
echo "schemathesis.sh: schemathesis $SCHEMATHESIS_VERSION, seed $SEED, at most $MAX_EXAMPLES examples per operation: $cases cases generated in $((SECONDS - start)) s"
echo "schemathesis: $((cases - found)) passed, $found failed"
exit "$status"
