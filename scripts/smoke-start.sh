#!/usr/bin/env bash
# Starts OMS the way a new user does (`npm start`, no DATABASE_URL: embedded PostgreSQL and demo
# data), waits for /health/ready, logs in as the demo admin, then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${SMOKE_PORT:-3917}"
LOG="$(mktemp)"
export PORT
unset DATABASE_URL REDIS_URL
export EMBEDDED_PG_PORT="${SMOKE_PG_PORT:-54391}"
export OMS_DATA_DIR="$(mktemp -d)"
# As root PostgreSQL runs as the unprivileged `postgres` user; a folder it can enter keeps the data
# here (else it would move to /var/lib/oms-embedded, docs/operations.md §11), where cleanup removes it.
# scripts/fresh-clone-check.sh covers the 0700 case.
chmod 755 "$OMS_DATA_DIR"

if curl -fsS "http://127.0.0.1:${PORT}/health/live" >/dev/null 2>&1; then
  echo "Port ${PORT} is already in use; set SMOKE_PORT to a free port."; exit 1
fi

# In its own process group, so that stopping it reaches node (npm → sh → node) and not only npm.
setsid npm start >"$LOG" 2>&1 &
PID=$!
cleanup() {
  kill -TERM -- "-$PID" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$PID" 2>/dev/null || true
  rm -rf "$OMS_DATA_DIR"
}
trap cleanup EXIT

START=$(date +%s)
until curl -fsS "http://127.0.0.1:${PORT}/health/ready" >/dev/null 2>&1; do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "OMS exited before it was ready:"; cat "$LOG"; exit 1
  fi
  if [ $(( $(date +%s) - START )) -gt 180 ]; then
    echo "OMS was not ready within 180 s:"; tail -50 "$LOG"; exit 1
  fi
  sleep 1
done
echo "ready after $(( $(date +%s) - START )) s"

TOKEN=$(curl -fsS -X POST "http://127.0.0.1:${PORT}/api/v1/auth/login" \
  -H 'content-type: application/json' \
  -d '{"email":"admin@oms.local","password":"admin-password-123"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).accessToken))')
curl -fsS "http://127.0.0.1:${PORT}/api/v1/auth/me" -H "Authorization: Bearer ${TOKEN}" >/dev/null
curl -fsS "http://127.0.0.1:${PORT}/docs-json" >/dev/null
grep -q "OMS ready" "$LOG"
echo "smoke test passed"
