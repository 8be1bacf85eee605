# New events wake an idle daemon at once, without a NOTIFY from every transaction that
# inserts events (the wake key, migration 0020):
#   - an idle daemon holds the wake key, and an event inserted then is stepped at once;
#   - a transaction that inserted an event while no daemon was idle did not notify: its event
#     is stepped as soon as it commits, by a daemon that went idle meanwhile;
#   - while that daemon waits for the key, other inserts notify and are stepped at once;
#   - while a daemon is busy (a worker's batch waits for a lock), inserting events sends no
#     NOTIFY.
# The daemon's own timer looks for events only every 60 s when idle, so "at once" here (within
# 3 s) is the wake, not the timer.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

KEY=8031170740339419507 # engine/store/steps.c, migration 0020

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 2
read -r c1 c2 <<<"$(sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM overgang.cases")"

# the wake key's lock in this database as pg_locks shows it: "granted|application" of each
# holder or waiter (t or f)
key_locks() {
  sql "SELECT CASE WHEN l.granted THEN 't' ELSE 'f' END || '|' || a.application_name
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.mode = 'ExclusiveLock'
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((l.classid::bigint << 32) | l.objid::bigint) = $KEY"
}
key_is() { [ "$(key_locks)" = "$1" ]; }
# tick CASE SEQ: inserts a tick event, prints its id
tick() {
  sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
       VALUES ($1, 'tick', jsonb_build_object('seq', $2), 'test', 'tick:$2') RETURNING id"
}
is_done() { [ "$(sql "SELECT status FROM overgang.event WHERE id = $1")" = done ]; }
# notified_by SQL: runs SQL in a session that listens; prints what psql says of notifications
notified_by() {
  psql -qAtX -v ON_ERROR_STOP=1 -c "LISTEN overgang_events" -c "$1" -c "SELECT 1" 2>&1 |
    grep -c 'Asynchronous notification "overgang_events"' || true
}

step "an idle daemon holds the wake key"
write_conf "$TEST_TMP/d.conf" "workers = 2" "batch_size = 100"
daemon_start d "$TEST_TMP/d.conf"
wait_drained 30
wait_for 10 key_is "t|overgangd wake" || fail "the wake key is not held by the idle daemon: $(key_locks)"

step "an event inserted while the daemon is idle notifies, and is stepped at once"
assert_eq "1" "$(notified_by "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
                                VALUES ($c1, 'tick', '{\"seq\": 1}', 'test', 'tick:1')")" \
  "notifications seen by a listener after an insert while the daemon is idle"
e=$(sql "SELECT id FROM overgang.event WHERE case_id = $c1 AND idem_key = 'tick:1'")
wait_for 3 is_done "$e" || fail "the event inserted while the daemon was idle is not done after 3 s"

step "while the daemon is busy, inserting events sends no NOTIFY"
# A worker kept busy for certain: the tenth tick's step creates a task, and this session holds
# the task table against inserts for 8 s, so that batch waits (workers give up after 10 s).
psql -qAtX -v ON_ERROR_STOP=1 >"$TEST_TMP/locker.out" 2>&1 <<SQL &
BEGIN;
LOCK TABLE overgang.task IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_sleep(8);
COMMIT;
SQL
locker=$!
cleanup "kill $locker 2>/dev/null"
sleeping() { # PATTERN: a session of this database runs a query like it
  [ "$(sql "SELECT count(*) FROM pg_stat_activity
             WHERE query LIKE '%$1%' AND pid <> pg_backend_pid()
               AND datname = current_database()")" = 1 ]
}
worker_waits() {
  [ "$(sql "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'overgangd worker' AND wait_event_type = 'Lock'
               AND datname = current_database()")" = 1 ]
}
wait_for 5 sleeping 'pg_sleep(8)' || fail "the session holding the task table did not start"
sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
     SELECT $c2, 'tick', jsonb_build_object('seq', s), 'test', 'tick:' || s
       FROM generate_series(1, 10) s" >/dev/null
wait_for 6 worker_waits || fail "no worker waits for the task table: $(sql "SELECT string_agg(application_name || ':' || coalesce(wait_event_type, '-'), ', ') FROM pg_stat_activity WHERE datname = current_database()")"
key_is "" || fail "the busy daemon still holds or waits for the wake key: $(key_locks)"
n=$(notified_by "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
                   VALUES ($c1, 'tick', '{\"seq\": 2}', 'test', 'tick:2')")
worker_waits || fail "the worker stopped waiting before the insert was checked"
assert_eq "0" "$n" "notifications after an insert while a worker is busy"
wait "$locker" || fail "the session holding the task table failed: $(cat "$TEST_TMP/locker.out")"
wait_drained 30
wait_for 10 key_is "t|overgangd wake" || fail "the daemon did not take the wake key again: $(key_locks)"

step "an event whose transaction did not notify is stepped when that transaction commits"
daemon_stop d
wait_for 10 key_is "" || fail "the wake key outlived the daemon: $(key_locks)"
# no daemon is idle: this transaction takes the key shared, does not notify, and commits late
psql -qAtX -v ON_ERROR_STOP=1 >"$TEST_TMP/slow.out" 2>&1 <<SQL &
BEGIN;
INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
VALUES ($c1, 'tick', '{"seq": 3}', 'test', 'tick:3');
SELECT pg_sleep(15);
COMMIT;
SQL
slow=$!
cleanup "kill $slow 2>/dev/null"
wait_for 5 sleeping 'pg_sleep(15)' || fail "the slow inserting transaction did not start"
daemon_start d2 "$TEST_TMP/d.conf"
wait_for 10 key_is "f|overgangd wake" || fail "the idle daemon is not waiting for the wake key: $(key_locks)"

step "while the daemon waits for the key, an insert notifies and is stepped at once"
e2=$(tick "$c2" 11)
wait_for 3 is_done "$e2" || fail "an event inserted while the daemon waited for the key is not done after 3 s"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.event WHERE case_id = $c1 AND idem_key = 'tick:3'")" \
  "the slow transaction's event visible (it should not have committed yet)"

wait "$slow" || fail "the slow inserting transaction failed: $(cat "$TEST_TMP/slow.out")"
e3=$(sql "SELECT id FROM overgang.event WHERE case_id = $c1 AND idem_key = 'tick:3'")
wait_for 3 is_done "$e3" || fail "the event of the transaction that did not notify is not done 3 s after it committed"
wait_for 10 key_is "t|overgangd wake" || fail "the daemon did not take the wake key: $(key_locks)"

step "every tick was counted once, in order"
assert_eq "3" "$(sql "SELECT state->>'count' FROM overgang.cases WHERE id = $c1")" "ticks counted on case 1"
assert_eq "11" "$(sql "SELECT state->>'count' FROM overgang.cases WHERE id = $c2")" "ticks counted on case 2"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "stuck cases"
daemon_stop d2
