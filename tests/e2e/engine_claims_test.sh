# How the workers claim (engine/store/steps.h, store_claim_sql):
#   - the workers claiming divide the cases between them, and together step every case;
#   - when a worker's connection is lost, the others take its share until it is back;
#   - a busy worker's claims start near the events it claimed last, and an event due long
#     before them (inserted late, say by a long transaction) is still stepped within about a
#     second, long before the work in hand is done;
#   - a daemon that stops leaves none of its share behind: a woken daemon claims from every
#     case.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
ids=($(new_cases counter 40))
# ticks FROM TO [CASES-SQL]: tick events numbered FROM..TO for each case (all by default)
ticks() {
  sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
       SELECT c.id, 'tick', jsonb_build_object('seq', s), 'test', 'tick:' || s
         FROM (${3:-SELECT id FROM overgang.cases}) c, generate_series($1, $2) s" >/dev/null
}
counts() { sql "SELECT count(*) FILTER (WHERE (state->>'count')::int = $1) FROM overgang.cases"; }

# The daemon connects as a role of its own here, so that a connection limit can keep one of
# its workers away.
role="${PGDATABASE}_daemon"
sql "CREATE ROLE \"$role\" LOGIN" >/dev/null
cleanup "psql -qX -c 'DROP OWNED BY \"$role\"' >/dev/null 2>&1; psql -qX -d postgres -c 'DROP ROLE IF EXISTS \"$role\"' >/dev/null 2>&1"
sql "GRANT USAGE ON SCHEMA overgang TO \"$role\";
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA overgang TO \"$role\";
     GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA overgang TO \"$role\"" >/dev/null
connections() { # APPLICATION-NAME: the daemon's connections by that name
  sql "SELECT count(*) FROM pg_stat_activity
        WHERE usename = '$role' AND application_name = '$1' AND datname = current_database()"
}

step "two workers step every case, each tick once and in order"
write_conf "$TEST_TMP/d.conf" "workers = 2" "batch_size = 7"
sed -i "s/ user=[^ ]*\$/ user=$role/" "$TEST_TMP/d.conf"
daemon_start d "$TEST_TMP/d.conf"
ticks 1 5
wait_drained 60
assert_eq "40" "$(counts 5)" "cases that counted their five ticks"
assert_eq "2" "$(connections 'overgangd worker')" "worker connections"

step "while one worker's connection is lost, the other steps every case"
# The role may have one connection less than the daemon has: the worker whose connection is
# ended cannot connect again.
sql "ALTER ROLE \"$role\" CONNECTION LIMIT $(($(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role'") - 1))" >/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE usename = '$role' AND application_name = 'overgangd worker'
      ORDER BY backend_start DESC LIMIT 1" >/dev/null
one_worker() { [ "$(connections 'overgangd worker')" = 1 ]; }
wait_for 5 one_worker || fail "the worker's connection was not ended"
ticks 6 8
eight() { [ "$(counts 8)" = 40 ]; }
wait_for 20 eight || fail "$(counts 8) of 40 cases counted eight ticks while a worker was away"
assert_eq "1" "$(connections 'overgangd worker')" "worker connections while the other is kept away"

step "the worker connects again when it can, and the two share the cases again"
sql "ALTER ROLE \"$role\" CONNECTION LIMIT -1" >/dev/null
two_workers() { [ "$(connections 'overgangd worker')" = 2 ]; }
wait_for 10 two_workers || fail "the worker did not connect again"
ticks 9 10
wait_drained 60
assert_eq "40" "$(counts 10)" "cases that counted ten ticks"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "stuck cases"
daemon_stop d

step "an event due long before the work in hand is stepped within about a second"
# One worker and a long run of work: 3,000 ticks of one case, one per claim (a case's events
# are stepped one at a time, in order), so every claim finds one and the worker never idles.
write_conf "$TEST_TMP/one.conf" "workers = 1"
ticks 11 3010 "SELECT ${ids[0]} AS id"
daemon_start one "$TEST_TMP/one.conf"
wait_for 10 bash -c '[ "$(psql -qAtX -c "SELECT count(*) FROM overgang.event WHERE case_id = '"${ids[0]}"' AND status = '"'"'done'"'"' AND type = '"'"'tick'"'"' AND (payload->>'"'"'seq'"'"')::int > 10")" -gt 20 ]' ||
  fail "the worker did not start on the run of ticks"
# due an hour ago: before every event the worker claims from here on
late=$(sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key, due_at)
            VALUES (${ids[1]}, 'tick', '{\"seq\": 11}', 'test', 'tick:11', now() - interval '1 hour')
            RETURNING id")
wait_for 3 bash -c '[ "$(psql -qAtX -c "SELECT status FROM overgang.event WHERE id = '"$late"'")" = done ]' ||
  fail "the event due an hour ago is not done 3 s after it was inserted"
left=$(sql "SELECT count(*) FROM overgang.event WHERE case_id = ${ids[0]} AND status = 'pending'")
[ "$left" -gt 0 ] || fail "the run of ticks was done before the late event was looked for; the test proves nothing"
echo "  the late event was stepped with $left ticks of the run still to do"
wait_drained 120
assert_eq "3010" "$(sql "SELECT state->>'count' FROM overgang.cases WHERE id = ${ids[0]}")" "ticks counted on the busy case"
assert_eq "11" "$(sql "SELECT state->>'count' FROM overgang.cases WHERE id = ${ids[1]}")" "ticks counted on the late event's case"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "stuck cases"
daemon_stop one

step "a daemon that stops just after its work leaves none of its share behind"
# Two daemons share the cases; one stops (SIGSTOP) right after stepping its share, so for two
# seconds the other still counts its worker among those claiming. The events that come then
# wake the running daemon, and it steps all of them, not only its share.
next_ticks() { # KEY: one tick more for every case
  sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
       SELECT id, 'tick', jsonb_build_object('seq', (state->>'count')::int + 1), 'test', '$1:' || id
         FROM overgang.cases" >/dev/null
}
total() { sql "SELECT sum((state->>'count')::int) FROM overgang.cases"; }
write_conf "$TEST_TMP/a.conf" "workers = 1"
write_conf "$TEST_TMP/b.conf" "workers = 1"
daemon_start a "$TEST_TMP/a.conf"
daemon_start b "$TEST_TMP/b.conf"
before=$(total)
next_ticks both
wait_drained 30
kill -STOP "$(cat "$TEST_TMP/b.pid")"
# both workers claimed (each daemon is woken by the NOTIFY of those events) within 2 s
assert_eq "2" "$(sql "SELECT count(*) FROM pg_stat_activity
                       WHERE application_name = 'overgangd worker' AND datname = current_database()
                         AND state_change > now() - interval '2 seconds'")" "workers counted as claiming"
cleanup "kill -CONT $(cat "$TEST_TMP/b.pid") 2>/dev/null"
next_ticks alone
all_stepped() { [ "$(total)" = $((before + 80)) ]; }
# within 1.5 s (wait_for counts whole seconds): the other daemon's worker drops out of the
# count after 2 s, and an idle daemon that holds the wake key is not woken again
deadline=$(($(date +%s%N) + 1500000000))
until all_stepped; do
  [ "$(date +%s%N)" -lt "$deadline" ] ||
    fail "$(($(total) - before - 40)) of 40 ticks stepped in 1.5 s while the other daemon had stopped"
  sleep 0.05
done
kill -CONT "$(cat "$TEST_TMP/b.pid")"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "stuck cases"
daemon_stop a
daemon_stop b
