# Helpers for the integration and end-to-end tests, sourced by each test script.
# ctest sets OVERGANG_TEST_PGDIR (the fixture's cluster), OVERGANG_BIN (the build folder) and
# OVERGANG_SRC (the source tree).
set -euo pipefail

: "${OVERGANG_TEST_PGDIR:?run the tests through ctest (scripts/test)}"
: "${OVERGANG_BIN:?}" "${OVERGANG_SRC:?}"

# shellcheck disable=SC1091
source "$OVERGANG_TEST_PGDIR/env"
# psql in the tests sees the schema the way the daemon does
export PGOPTIONS="-c search_path=overgang"

OVERGANG="$OVERGANG_BIN/overgang"
OVERGANGD="$OVERGANG_BIN/overgangd"
PG="$OVERGANG_SRC/scripts/pg"
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "/tmp/overgang-$TEST_NAME.XXXXXX")
test_cleanups=()

at_exit() {
  local rc=$?
  for ((i = ${#test_cleanups[@]} - 1; i >= 0; i--)); do eval "${test_cleanups[i]}" || true; done
  rm -rf "$TEST_TMP"
  if [ $rc -eq 0 ]; then echo "PASS $TEST_NAME"; else echo "FAIL $TEST_NAME (exit $rc)"; fi
  exit $rc
}
trap at_exit EXIT
cleanup() { test_cleanups+=("$1"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

assert_eq() { # EXPECTED ACTUAL WHAT
  [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}
assert_contains() { # HAYSTACK NEEDLE WHAT
  case "$1" in *"$2"*) ;; *) fail "$3: expected to find '$2' in: $1" ;; esac
}

# A fresh database copied from the template with the current schema; exports PGDATABASE.
new_db() {
  local name="t_${TEST_NAME//[^a-z0-9]/_}_$$_${1:-0}"
  createdb -T overgang_template "$name"
  cleanup "dropdb --force --if-exists $name"
  export PGDATABASE=$name
}

# An empty database, no schema.
new_empty_db() {
  local name="e_${TEST_NAME//[^a-z0-9]/_}_$$_${1:-0}"
  createdb "$name"
  cleanup "dropdb --force --if-exists $name"
  export PGDATABASE=$name
}

sql() { psql -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

free_port() {
  local port
  while :; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000)) # below the kernel's ephemeral range (32768-)
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
# status_is CODE URL: whether URL answers CODE now (for wait_for).
status_is() { [ "$(http_status "$2")" = "$1" ]; }
