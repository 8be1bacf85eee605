# Timers: one due in the past fires once when the daemon starts; a cancelled one never fires.
# Overdue tasks give their case one task_overdue event each.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
ids=($(new_cases timers 3))
send() { # CASE TYPE [PAYLOAD]
  local payload=${3:-'{}'}
  sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key) VALUES ($1, '$2', '$payload', 'test', '$2:$RANDOM$RANDOM')"
}

write_conf "$TEST_TMP/d.conf" "workers = 1" "overdue_interval = 300ms"
daemon_start d "$TEST_TMP/d.conf"
send "${ids[0]}" arm '{"after": 3600}'
# the second timer is disarmed well before its time (6 s), even on a slow machine
send "${ids[1]}" arm '{"after": 6}'
wait_drained 20
send "${ids[1]}" disarm
wait_drained 20
assert_eq "cancelled" "$(sql "SELECT status FROM overgang.event WHERE case_id = ${ids[1]} AND type = 'ring'")" "the disarmed timer"

step "the daemon stops; the first timer falls due while it is down"
daemon_stop d
sql "UPDATE overgang.event SET due_at = now() - interval '1 hour' WHERE case_id = ${ids[0]} AND type = 'ring'"
daemon_start d2 "$TEST_TMP/d.conf"
wait_drained 20
# past the cancelled timer's time by a second, and some overdue sweeps
past_disarmed() {
  [ "$(sql "SELECT now() > due_at + interval '1 second' FROM overgang.event
             WHERE case_id = ${ids[1]} AND type = 'ring'")" = t ]
}
wait_for 15 past_disarmed || fail "the disarmed timer's time did not come"
sleep 1
assert_eq "1" "$(sql "SELECT state->>'rang' FROM overgang.cases WHERE id = ${ids[0]}")" "the past timer fired once"
assert_eq "done|1" "$(sql "SELECT status, attempts FROM overgang.event WHERE case_id = ${ids[0]} AND type = 'ring'")" "its event"
assert_eq "" "$(sql "SELECT state->>'rang' FROM overgang.cases WHERE id = ${ids[1]}")" "the cancelled timer never fired"

step "a timer that sets itself again under its own key fires each time, once"
send "${ids[0]}" recur
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT state->>'recur' FROM overgang.cases WHERE id = ${ids[0]}\")\" = 3 ]" ||
  fail "the recurring timer stopped at $(sql "SELECT state->>'recur' FROM overgang.cases WHERE id = ${ids[0]}")"
assert_eq "3|0" "$(sql "SELECT count(*) FILTER (WHERE status = 'done' AND attempts = 1), count(*) FILTER (WHERE status <> 'done') FROM overgang.event WHERE case_id = ${ids[0]} AND type = 'recur'")" "recur events done once each, none cancelled"
grep -q "a batch could not be written" "$TEST_TMP/d2.log" && fail "a batch failed: $(grep 'a batch' "$TEST_TMP/d2.log" | head -2)"

step "an overdue task gives exactly one task_overdue event"
send "${ids[2]}" overdue_task
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT state->>'overdue_seen' FROM overgang.cases WHERE id = ${ids[2]}\")\" = 1 ]" ||
  fail "no task_overdue reached the case"
sleep 1.5 # several more overdue sweeps
assert_eq "1" "$(sql "SELECT count(*) FROM overgang.event WHERE case_id = ${ids[2]} AND type = 'task_overdue'")" "task_overdue events"
assert_eq "1" "$(sql "SELECT state->>'overdue_seen' FROM overgang.cases WHERE id = ${ids[2]}")" "handled once"
step "a closed case takes no more events, and keeps no timer"
send "${ids[2]}" finish
wait_drained 10
assert_eq "closed" "$(sql "SELECT status FROM overgang.cases WHERE id = ${ids[2]}")" "the case closed"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.event WHERE case_id = ${ids[2]} AND status = 'pending'")" "pending events of the closed case"
if out=$(send "${ids[2]}" ring 2>&1); then fail "an event for a closed case was accepted"; fi
assert_contains "$out" "case ${ids[2]} is closed; it takes no more events" "the refusal"

step "an event for a case that does not exist is refused, one statement of many rows too"
missing=$(sql "SELECT max(id) + 1000 FROM overgang.cases")
if out=$(send "$missing" ring 2>&1); then fail "an event for a case that does not exist was accepted"; fi
assert_contains "$out" "case $missing does not exist" "the refusal"
if out=$(sql "INSERT INTO overgang.event (case_id, type, source, idem_key)
              SELECT c, 'ring', 'test', 'many:' || c FROM unnest(ARRAY[${ids[0]}, $missing, ${ids[1]}]) c" 2>&1); then
  fail "a statement with an event for a case that does not exist was accepted"
fi
assert_contains "$out" "case $missing does not exist" "the refusal of the statement"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.event WHERE idem_key LIKE 'many:%'")" "events of the refused statement"
step "a case is never deleted nor given another id, and an event stays with its case"
refused() { # STATEMENT MESSAGE
  if out=$(sql "$1" 2>&1); then fail "accepted: $1"; fi
  assert_contains "$out" "$2" "$1"
}
refused "DELETE FROM overgang.cases WHERE id = ${ids[2]}" "a case is kept: it is closed, never deleted"
refused "TRUNCATE overgang.cases CASCADE" "a case is kept: it is closed, never deleted"
refused "UPDATE overgang.cases SET id = $missing WHERE id = ${ids[2]}" "a case keeps its id"
refused "UPDATE overgang.event SET case_id = ${ids[1]} WHERE case_id = ${ids[2]}" "an event stays with its case"
assert_eq "3" "$(sql "SELECT count(*) FROM overgang.cases")" "cases"
daemon_stop d2
