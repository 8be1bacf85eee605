# kill -9 of a daemon in the middle of its batches, then a restart: no event lost, none
# applied twice, no half-written case.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 2000
add_ticks 19
total=$(sql 'SELECT count(*) FROM overgang.event')

write_conf "$TEST_TMP/d.conf" "workers = 2" "batch_size = 50"
for round in 1 2 3; do
  step "round $round: kill -9 while batches are in flight"
  daemon_start "d$round" "$TEST_TMP/d.conf"
  before=$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done'")
  wait_for 30 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.event WHERE status = 'done'\") -gt $((before + 500)) ]" ||
    fail "round $round: the daemon made no progress: $(tail -n 5 "$TEST_TMP/d$round.log")"
  kill -9 "$(daemon_pid "d$round")"
  wait "$(daemon_pid "d$round")" 2>/dev/null || true
  done_now=$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done'")
  [ "$done_now" -lt "$total" ] || fail "round $round: everything was done before the kill; the test proves nothing"
  echo "    killed with $done_now of $total events done"
  # No half-written case: every case's revision is the number of its events done.
  assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases c WHERE c.revision <> (SELECT count(*) FROM overgang.event e WHERE e.case_id = c.id AND e.status = 'done')")" "cases whose row disagrees with their done events"
  assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases c WHERE (c.state->>'count')::int / 10 <> (SELECT count(*) FROM overgang.task t WHERE t.case_id = c.id)")" "cases whose tasks disagree with their count"
done

step "a restart finishes the work"
daemon_start final "$TEST_TMP/d.conf"
wait_drained 120
assert_eq "$total" "$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done' AND attempts = 1")" "events done exactly once"
assert_eq "2000" "$(sql "SELECT count(*) FROM overgang.cases WHERE state->>'count' = '19' AND revision = 20")" "cases that counted every tick once"
assert_eq "2000" "$(sql "SELECT count(*) FROM overgang.task")" "one task per case (the tenth tick)"
assert_eq "2000" "$(sql "SELECT count(*) FROM overgang.tovholder_history")" "one tovholder assignment per case"
daemon_stop final
