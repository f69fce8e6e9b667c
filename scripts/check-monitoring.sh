#!/usr/bin/env bash
# The monitoring that ships with plat, checked offline with promtool
# (Debian's `prometheus` package, installed when missing and allowed):
#
# - manifests/monitoring/prometheusrule.yaml is generated from
#   plat.rules.yaml (the one source of the rules); a stale copy fails
#   (UPDATE_EXPECT=1 rewrites it);
# - `promtool check rules` and `promtool test rules` (plat.rules.test.yaml:
#   every alert fires when it should, after its `for`, and not on look-alikes);
# - every series a rule or the dashboard names is one platd exports;
# - `promtool check metrics` on a scrape of a running debug platd with a
#   sync target, so the per-target series are there.
#
#   scripts/check-monitoring.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIR="$ROOT/manifests/monitoring"

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-monitoring.sh: installing promtool (Debian's prometheus package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null
  else
    echo "check-monitoring.sh: promtool is missing; install Debian's prometheus package" >&2
    exit 1
  fi
fi

# The PrometheusRule wraps the plain rules file's groups, indented under spec.
generated="$(
  cat <<'EOF'
# Generated from plat.rules.yaml by scripts/check-monitoring.sh
# (UPDATE_EXPECT=1 scripts/check-monitoring.sh); edit that file instead.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: plat
  namespace: plat
  labels:
    app.kubernetes.io/name: plat
spec:
EOF
  grep -v '^#' "$DIR/plat.rules.yaml" | sed 's/^/  /'
)"
if [ -n "${UPDATE_EXPECT:-}" ]; then
  printf '%s\n' "$generated" >"$DIR/prometheusrule.yaml"
elif [ "$(cat "$DIR/prometheusrule.yaml" 2>/dev/null)" != "$generated" ]; then
  echo "check-monitoring.sh: manifests/monitoring/prometheusrule.yaml is stale: run UPDATE_EXPECT=1 scripts/check-monitoring.sh" >&2
  exit 1
fi

(cd "$DIR" && promtool check rules plat.rules.yaml && promtool test rules plat.rules.test.yaml)

# A debug platd with one sync target, scraped.
cargo build --quiet -p platd
PLATD="$ROOT/target/debug/platd"
WORK="$(mktemp -d)"
PLATD_PID=""
cleanup() {
  if [ -n "$PLATD_PID" ]; then
    kill "$PLATD_PID" 2>/dev/null || true
    wait "$PLATD_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
export PLATD_DATA_DIR="$WORK"
export PLATD_DATABASE_URL="sqlite://$WORK/plat.db?mode=rwc"
export PLATD_LOG__LEVEL=warn
export PLATD_AUTH__ARGON2__MEMORY_KIB=64
export PLATD_AUTH__ARGON2__ITERATIONS=1
PASSWORD="check-monitoring-password"
(cd "$WORK" && printf '%s' "$PASSWORD" | "$PLATD" bootstrap --admin admin --password-stdin >/dev/null)
(cd "$WORK" && exec "$PLATD" serve --listen "127.0.0.1:$PORT" 2>"$WORK/platd.log") &
PLATD_PID=$!
for _ in $(seq 1 300); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$PLATD_PID" 2>/dev/null; then
    cat "$WORK/platd.log" >&2
    echo "check-monitoring.sh: platd exited" >&2
    exit 1
  fi
  sleep 0.1
done
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
TOKEN="$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"tenant\":\"system\",\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | json_field '["data"]["access_token"]')"
# A sink that takes every delivery, and a target nobody listens on (its
# tasks fail): delivered and failing series both appear.
SINK_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -c '
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.end_headers()
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
' "$SINK_PORT" &
SINK_PID=$!
trap 'kill "$SINK_PID" 2>/dev/null || true; cleanup' EXIT
target() {
  curl -fsS -X POST "$BASE/api/v1/sync/targets" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"name\":\"$1\",\"kind\":\"http\",\"url\":\"$2\",\"events\":[\"user.*\"],\"secret\":\"whsec_Y2hlY2stbW9uaXRvcmluZy1zZWNyZXQtMDEyMzQ1Njc4OQ==\",\"read_back\":{\"supported\":true}}" >/dev/null
}
target sink "http://127.0.0.1:$SINK_PORT/hooks"
target profiles "http://127.0.0.1:9/hooks"
# A service whose instance heart-beats, for the registry series.
curl -fsS -X PUT "$BASE/api/v1/services/shop/sink" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"layer":"core"}' >/dev/null
curl -fsS -X POST "$BASE/api/v1/services/shop/sink/heartbeat" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$SINK_PORT\",\"ttl\":\"30s\"}" >/dev/null
curl -fsS -X POST "$BASE/api/v1/users" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"username":"alice","email":"alice@example.test","password":"alice-password-1"}' >/dev/null
curl -s -o /dev/null -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"tenant":"system","username":"admin","password":"wrong"}'
# A check of that target (it fails: nobody answers), for the check series.
curl -fsS -X POST "$BASE/api/v1/checks" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"target":"profiles"}' >/dev/null
sleep 3
curl -fsS "$BASE/metrics" >"$WORK/metrics.txt"
promtool check metrics <"$WORK/metrics.txt"

# Every series the rules (and the dashboard) name must be exported.
missing=0
for file in "$DIR/plat.rules.yaml" "$DIR"/*.json; do
  [ -e "$file" ] || continue
  for series in $(grep -o 'plat_[a-z_]*' "$file" | sort -u); do
    if ! grep -q "^$series" "$WORK/metrics.txt"; then
      echo "check-monitoring.sh: $(basename "$file") names $series, which platd does not export" >&2
      missing=1
    fi
  done
done
[ "$missing" = 0 ]
echo "check-monitoring.sh: rules, rule tests, PrometheusRule and a scrape of platd all check out"
