# The API's database connections: a request beyond what the connections have room for waits
# in the daemon and goes to whichever connection is free first, so a slow statement holds up
# only its own request; when the database connection is lost, the requests waiting for it
# are answered 503 at once, and the daemon serves again once it has reconnected.
#
# A statement is made slow by a lock on the task table, which the queue reads and /v1/me does
# not. The API's sessions give up on a lock after 5 s (409), so each lock is let go as soon
# as the step has seen what it looks for.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
write_conf "$TEST_TMP/d.conf" "workers = 0"
# reconnecting waits 2 s, so that requests sent just after the connections are lost find none
sed -i 's/^reconnect_max = .*/reconnect_min = 2s\nreconnect_max = 2s/' "$TEST_TMP/d.conf"
# no whole pages kept: every queue below must find its tasks (and so wait for the lock)
printf '[api]\nconnections = 2\nlist_pages = 0\n' >>"$TEST_TMP/d.conf"
daemon_start d "$TEST_TMP/d.conf"
wait_for 10 grep -q '"msg":"overgangd listening"' "$TEST_TMP/d.log" || fail "not listening"
port=$(grep '"msg":"overgangd listening"' "$TEST_TMP/d.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')
base=http://127.0.0.1:$port
wait_for 10 status_is 200 "$base/readyz" || fail "not ready: $(tail -n 5 "$TEST_TMP/d.log")"
token=$("$OVERGANG" token create --staff anna --role tovholder 2>/dev/null)
auth="Authorization: Bearer $token"

# status PATH: the status of a request, answered within 5 s.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "$auth" "$base$1"; }
# get NAME PATH: a request in the background; its status and the seconds it took go to
# $TEST_TMP/NAME.
get() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 -H "$auth" "$base$2" \
    >"$TEST_TMP/$1" &
}
# answered NAME...: whether each request has its answer.
answered() { for n in "$@"; do [ -s "$TEST_TMP/$n" ] || return 1; done; }
# statuses_are CODE NAME...: each request was answered CODE.
statuses_are() {
  local code=$1 n
  shift
  for n in "$@"; do assert_eq "$code" "$(cut -d' ' -f1 "$TEST_TMP/$n")" "$n"; done
}
# waiting_on_lock N: whether N of the API's connections wait for a lock.
waiting_on_lock() {
  [ "$(sql "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'overgangd api' AND wait_event_type = 'Lock'
               AND datname = current_database()")" = "$1" ]
}
tasks_locked() {
  [ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = 'task' AND l.mode = 'AccessExclusiveLock' AND l.granted
               AND l.database = (SELECT oid FROM pg_database
                                  WHERE datname = current_database())")" = 1 ]
}
# lock_tasks: the task table locked, as by a long transaction, until release_tasks.
lock_tasks() {
  PGAPPNAME=api_pool_locker psql -qAtX -c "BEGIN; LOCK TABLE overgang.task IN ACCESS EXCLUSIVE MODE;
                 SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
  locker=$!
  cleanup "kill $locker 2>/dev/null"
  wait_for 5 tasks_locked || fail "the task table was not locked"
}
release_tasks() {
  sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'api_pool_locker' AND datname = current_database()" >/dev/null
  wait "$locker" 2>/dev/null || true
  wait_for 5 not tasks_locked || fail "the task table is still locked"
}
not() { ! "$@"; }
# both_blocked A B: the task table locked, and two queues, A and B, waiting for it: both
# connections busy.
both_blocked() {
  lock_tasks
  get "$1" /v1/me/queue
  get "$2" /v1/me/queue
  wait_for 5 waiting_on_lock 2 || fail "the two queues did not reach the lock"
}

assert_eq 200 "$(status /v1/me)" "/v1/me"

step "a queue that waits for a lock holds up no other request: ten more are answered at once"
lock_tasks
get slow /v1/me/queue
wait_for 5 waiting_on_lock 1 || fail "the queue did not reach the lock"
for i in $(seq 1 10); do get "me$i" /v1/me; done
wait_for 3 answered me1 me2 me3 me4 me5 me6 me7 me8 me9 me10 ||
  fail "requests waited behind the locked one: $(cat "$TEST_TMP"/me* 2>/dev/null | tr '\n' ' ')"
statuses_are 200 me1 me2 me3 me4 me5 me6 me7 me8 me9 me10
answered slow && fail "the queue was answered while the task table was locked"
release_tasks
wait_for 5 answered slow || fail "the queue was not answered after the lock went"
statuses_are 200 slow

step "both connections busy: the requests wait in the daemon and are all answered, in turn"
both_blocked slow1 slow2
for i in $(seq 1 6); do get "w$i" /v1/me/queue; done
sleep 0.5
answered w1 && fail "a request was answered while both connections waited for the lock"
release_tasks
wait_for 10 answered slow1 slow2 w1 w2 w3 w4 w5 w6 || fail "not every waiting request was answered"
statuses_are 200 slow1 slow2 w1 w2 w3 w4 w5 w6

step "the connections are lost: the request running and those waiting are answered 503 at once"
both_blocked lost1 lost2
for i in $(seq 1 4); do get "lw$i" /v1/me/queue; done
sleep 0.3
# (this test's database only: the cluster serves the other tests running meanwhile)
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'overgangd api' AND datname = current_database()" >/dev/null
wait_for 2 answered lost1 lost2 lw1 lw2 lw3 lw4 || fail "requests still wait after the connections were lost"
statuses_are 503 lost1 lost2 lw1 lw2 lw3 lw4
release_tasks

step "the daemon reconnects and serves again"
queue_served() { [ "$(status /v1/me/queue)" = 200 ]; }
wait_for 10 queue_served || fail "the queue is not served after reconnecting"
daemon_stop d
