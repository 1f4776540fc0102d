#!/usr/bin/env bash
# The README's two lines on a fresh clone in a 0700 folder (`mktemp -d`, like root's home), as the
# user running CI (root on most CI machines and cloud VMs, where the embedded PostgreSQL runs as the
# unprivileged `postgres` user, which cannot enter that folder):
#   npm ci && npm start   → /health/ready answers and the demo admin logs in; as root, the data and
#                           staged binaries have the owners and modes docs/operations.md §11 gives
#                           and nothing under /var/lib/oms-embedded is world-writable;
#   npm start again       → the same data: a user created by the first start logs in;
#   npm test              → without DATABASE_URL, so the Jest global setup starts the embedded
#                           PostgreSQL. A set of database-heavy test files (FRESH_CLONE_TESTS; set it
#                           to " " for the whole suite): the full suite already ran earlier in CI on
#                           PostgreSQL 15; the point is the embedded setup from this clone.
# Cleans up the clone, the PostgreSQL it started and that PostgreSQL's data, whatever happens.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${FRESH_CLONE_PORT:-3918}"
TESTS="${FRESH_CLONE_TESTS:-test/http-framework-errors.e2e-spec.ts src/common/problem.filter.spec.ts test/migrations.e2e-spec.ts test/inventory-concurrency.e2e-spec.ts test/connection-failures.e2e-spec.ts test/idempotency.e2e-spec.ts}"
EMBEDDED_ROOT=/var/lib/oms-embedded

# The resolved path: the app hashes its working folder as the kernel reports it (a symlinked TMPDIR).
WORK="$(cd "$(mktemp -d)" && pwd -P)"
chmod 700 "$WORK"
CLONE="$WORK/oms"
DATA="$CLONE/.data/postgres"
if [ "$(id -u)" -eq 0 ]; then
  # Where src/database/embedded-postgres.ts (relocatedDataDir) keeps the data of a clone the
  # postgres user cannot reach: data-<first 16 hex of sha256(data folder path)>.
  DATA="$EMBEDDED_ROOT/data-$(printf '%s' "$DATA" | sha256sum | cut -c1-16)"
fi
STAGED_BEFORE="$(ls -d "$EMBEDDED_ROOT"/postgres-* 2>/dev/null || true)"
ROOT_EXISTED="$( [ -d "$EMBEDDED_ROOT" ] && echo yes || true)"
APP=""

stop_postgres() {
  # The embedded PostgreSQL of this clone only: the postmaster whose pid its data folder records.
  local pidfile="$1/postmaster.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(head -1 "$pidfile")"
  kill -INT "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  if [ -n "$APP" ]; then
    kill -TERM -- "-$APP" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 -- "-$APP" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$APP" 2>/dev/null || true
  fi
  stop_postgres "$DATA"
  rm -rf "$WORK"
  case "$DATA" in "$EMBEDDED_ROOT"/data-*) rm -rf "$DATA" ;; esac
  # Binaries staged for this run (none are when the postgres user can reach node_modules).
  for staged in "$EMBEDDED_ROOT"/postgres-*; do
    [ -e "$staged" ] || continue
    printf '%s\n' "$STAGED_BEFORE" | grep -qxF "$staged" || rm -rf "$staged"
  done
  [ -n "$ROOT_EXISTED" ] || rmdir "$EMBEDDED_ROOT" 2>/dev/null || true
}
trap cleanup EXIT

echo "fresh clone in $WORK (mode $(stat -c %a "$WORK"), as $(id -un))"
git clone -q "$SOURCE" "$CLONE"
cd "$CLONE"
unset DATABASE_URL REDIS_URL OMS_DATA_DIR
npm ci --no-audit --no-fund --prefer-offline

API="http://127.0.0.1:${PORT}/api/v1"
# Starts `npm start` in the clone and waits for /health/ready.
start_app() {
  LOG="$WORK/start-$1.log"
  if curl -fsS "http://127.0.0.1:${PORT}/health/ready" >/dev/null 2>&1; then
    echo "something already answers on port $PORT (FRESH_CLONE_PORT)"; exit 1
  fi
  PORT="$PORT" EMBEDDED_PG_PORT="${FRESH_CLONE_PG_PORT:-54392}" setsid npm start >"$LOG" 2>&1 &
  APP=$!
  START=$(date +%s)
  until curl -fsS "http://127.0.0.1:${PORT}/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$APP" 2>/dev/null; then echo "npm start exited before it was ready:"; cat "$LOG"; exit 1; fi
    if [ $(( $(date +%s) - START )) -gt 150 ]; then echo "not ready within 150 s:"; tail -50 "$LOG"; exit 1; fi
    sleep 1
  done
}
stop_app() {
  kill -TERM -- "-$APP" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 -- "-$APP" 2>/dev/null || break; sleep 0.5; done
  if kill -0 -- "-$APP" 2>/dev/null; then
    echo "npm start did not stop within 30 s of SIGTERM"; kill -KILL -- "-$APP" 2>/dev/null || true; exit 1
  fi
  APP=""
}
token_of() {
  curl -fsS -X POST "$API/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p'
}

echo "== npm start"
start_app first
ADMIN_TOKEN="$(token_of admin@oms.local admin-password-123)" || true
[ -n "$ADMIN_TOKEN" ] || { echo "the demo admin cannot log in"; exit 1; }
echo "ready after $(( $(date +%s) - START )) s; the demo admin logs in"
MARK="fresh-clone-$(date +%s)@oms.local"
curl -fsS -X POST "$API/users" -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \
  -d "{\"email\":\"$MARK\",\"password\":\"fresh-clone-password\",\"fullName\":\"Fresh Clone\",\"role\":\"support\"}" >/dev/null \
  || { echo "the demo admin could not create a user"; exit 1; }
stop_app

if [ "$(id -u)" -eq 0 ]; then
  echo "== as root: owners and modes"
  owner_mode() { stat -c '%U %a' "$1"; }
  if [ "$(stat -c %U "$EMBEDDED_ROOT")" != root ] || [ -n "$(find "$EMBEDDED_ROOT" -maxdepth 0 -perm /022)" ]; then
    echo "$EMBEDDED_ROOT: $(owner_mode "$EMBEDDED_ROOT"), want owned by root and writable by root only"; exit 1
  fi
  [ "$(owner_mode "$DATA")" = "postgres 700" ] || { echo "$DATA: $(owner_mode "$DATA"), want postgres 700"; exit 1; }
  WRITABLE="$(find "$EMBEDDED_ROOT" -xdev -perm -0002 ! -type l -print -quit)"
  [ -z "$WRITABLE" ] || { echo "world-writable: $WRITABLE"; exit 1; }
  for staged in "$EMBEDDED_ROOT"/postgres-*; do
    [ -e "$staged" ] || continue
    OTHERS="$(find "$staged" -xdev ! -user root -print -quit)"
    [ -z "$OTHERS" ] || { echo "staged binaries not owned by root: $OTHERS"; exit 1; }
  done
  echo "data $(owner_mode "$DATA") in $DATA; nothing world-writable under $EMBEDDED_ROOT"
fi

echo "== npm start again: the same data"
start_app second
[ -n "$(token_of "$MARK" fresh-clone-password || true)" ] || { echo "the user created by the first start is gone"; cat "$LOG"; exit 1; }
echo "ready after $(( $(date +%s) - START )) s; the user created by the first start logs in"
stop_app

echo "== npm test (no DATABASE_URL) -- $TESTS"
# shellcheck disable=SC2086 # a list of files
npm test -- $TESTS
echo "fresh clone check passed"
