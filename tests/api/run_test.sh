#!/usr/bin/env bash
# Runs one API test, tests/api/NAME_test.py, against a real overgangd and PostgreSQL: a fresh
# database with the schema, tests/api/seed.sql (departments, staff, three citizens with a
# case each on tests/workflows/api.lua, already stepped), a CPR key, and a token for each
# person and role in $OG_TOKENS (JSON: {"mette/tovholder": "og_...", ...}). The Python test
# reads OG_URL, OG_TOKENS, OG_LOG (the daemon's log) and the libpq environment.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

test_file=${1:?usage: run_test.sh NAME_test.py}
TEST_NAME=$(basename "$test_file" .py)
new_db 1
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/api.lua" >/dev/null 2>&1 ||
  fail "cannot deploy tests/workflows/api.lua"
psql -qX -v ON_ERROR_STOP=1 -f "$OVERGANG_SRC/tests/api/seed.sql" >/dev/null

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TEST_TMP/cpr.key"
write_conf "$TEST_TMP/d.conf" "workers = 1" "overdue_interval = 1s"
printf '[api]\ncpr_key_file = %s\ntoken_cache = 1s\nbody_limit = 64\npage_limit = 100\ntimeout = 5s\n' \
  "$TEST_TMP/cpr.key" >>"$TEST_TMP/d.conf"
# a test's own settings, if it has any: tests/api/NAME.conf
if [ -f "$OVERGANG_SRC/tests/api/$TEST_NAME.conf" ]; then
  cat "$OVERGANG_SRC/tests/api/$TEST_NAME.conf" >>"$TEST_TMP/d.conf"
fi
daemon_start api "$TEST_TMP/d.conf"
listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/api.log"; }
wait_for 10 listening || fail "the daemon did not start: $(tail -n 5 "$TEST_TMP/api.log")"
port=$(grep '"msg":"overgangd listening"' "$TEST_TMP/api.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')
export OG_URL="http://127.0.0.1:$port"
wait_for 10 status_is 200 "$OG_URL/readyz" || fail "not ready: $(curl -s "$OG_URL/readyz")"
wait_drained 20
# the overdue sweep (every second) steps the seeded overdue tasks' cases once: let it, so the
# tests do not race it (a case's revision changing between two reads)
overdue_swept() {
  [ "$(psql -qAtX -c "SELECT count(*) FROM overgang.task t JOIN overgang.cases c ON c.id = t.case_id
      WHERE t.status IN ('open', 'claimed') AND t.due_at < now() AND NOT t.overdue_notified
        AND c.status <> 'closed'")" = 0 ]
}
wait_for 10 overdue_swept || fail "the overdue sweep did not run"
wait_drained 20

tokens="{"
for pr in mette/tovholder mette/lead jonas/tovholder jonas/worker ayse/lead bo/worker \
  lars/worker jens/lead admin/administrator chef/manager revisor/auditor; do
  t=$("$OVERGANG" token create --staff "${pr%/*}" --role "${pr#*/}" 2>/dev/null) ||
    fail "cannot make a token for $pr"
  tokens+="\"$pr\": \"$t\","
done
echo "${tokens%,}}" >"$TEST_TMP/tokens.json"
export OG_TOKENS="$TEST_TMP/tokens.json" OG_LOG="$TEST_TMP/api.log" OG_CONF="$TEST_TMP/d.conf"
export PYTHONPATH="$OVERGANG_SRC/tests/api" PYTHONDONTWRITEBYTECODE=1

/usr/bin/python3 "$OVERGANG_SRC/tests/api/$test_file" || fail "$test_file failed"
# no CPR number or citizen name in the daemon's log, whatever the test did
if grep -E -q '[0-9]{6}-?[0-9]{4}|Testborger' "$TEST_TMP/api.log"; then
  fail "personal data in the daemon's log: $(grep -E '[0-9]{6}-?[0-9]{4}|Testborger' "$TEST_TMP/api.log" | head -n 3)"
fi
