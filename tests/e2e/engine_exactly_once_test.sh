# Two daemons on one database: 10,000 events over 1,000 cases, each step applied exactly
# once and in order per case.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 1000
add_ticks 9
[ "$(sql 'SELECT count(*) FROM overgang.event')" = 10000 ] || fail "seeded $(sql 'SELECT count(*) FROM overgang.event') events"

step "two daemons drain 10,000 events"
write_conf "$TEST_TMP/a.conf" "workers = 2" "batch_size = 100"
write_conf "$TEST_TMP/b.conf" "workers = 2" "batch_size = 100"
daemon_start a "$TEST_TMP/a.conf"
daemon_start b "$TEST_TMP/b.conf"
wait_drained 120

step "every event done exactly once"
assert_eq "10000" "$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done' AND attempts = 1")" "events done on their first attempt"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.event WHERE status <> 'done'")" "events not done"
assert_eq "1000" "$(sql "SELECT count(*) FROM overgang.cases WHERE state->>'count' = '9' AND revision = 10 AND status = 'active'")" "cases that counted 9 ticks in 10 steps"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "stuck cases (a tick out of order gets a case stuck)"
assert_eq "1000" "$(sql "SELECT count(*) FROM overgang.tovholder_history")" "one tovholder assignment per case"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE tovholder IS NULL")" "cases without a tovholder"

step "per-case order: every case's events finished in the order they were due"
assert_eq "0" "$(sql "SELECT count(*) FROM (SELECT done_at < lag(done_at) OVER (PARTITION BY case_id ORDER BY due_at, id) AS backwards FROM overgang.event) x WHERE backwards")" "events finished before an earlier one of their case"

step "both daemons took part, and stop cleanly"
for d in a b; do
  grep -q '"msg":"workflow compiled"' "$TEST_TMP/$d.log" || fail "daemon $d ran no step: $(tail -n 3 "$TEST_TMP/$d.log")"
done
daemon_stop a
daemon_stop b
