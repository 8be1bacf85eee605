# PostgreSQL restarted while the daemon processes events: it reconnects and finishes the work;
# nothing lost, nothing done twice.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

"$PG" start --fast "$TEST_TMP/pg" >/dev/null
cleanup "'$PG' stop '$TEST_TMP/pg'"
# shellcheck disable=SC1091
source "$TEST_TMP/pg/env"
createdb overgang
export PGDATABASE=overgang
"$OVERGANG" migrate >/dev/null
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 2000
add_ticks 19
total=$(sql 'SELECT count(*) FROM overgang.event')

write_conf "$TEST_TMP/d.conf" "workers = 2" "batch_size = 50"
daemon_start d "$TEST_TMP/d.conf"
wait_for 30 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.event WHERE status = 'done'\") -gt 2000 ]" ||
  fail "no progress before the restart: $(tail -n 5 "$TEST_TMP/d.log")"

step "PostgreSQL stops and starts again mid-work"
"$PG" stop "$TEST_TMP/pg"
sleep 1
"$PG" start --fast "$TEST_TMP/pg" >/dev/null
done_after=$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done'")
[ "$done_after" -lt "$total" ] || fail "everything was done before the restart; the test proves nothing"

step "the same daemon finishes"
wait_drained 120
kill -0 "$(daemon_pid d)" || fail "the daemon exited"
assert_eq "$total" "$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done' AND attempts = 1")" "events done exactly once"
assert_eq "2000" "$(sql "SELECT count(*) FROM overgang.cases WHERE state->>'count' = '19' AND revision = 20")" "cases that counted every tick once"
assert_eq "2000" "$(sql "SELECT count(*) FROM overgang.task")" "one task per case"
daemon_stop d
