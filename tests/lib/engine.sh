# Helpers for the engine tests: a staff directory, daemons, seeded cases. Source after
# testlib.sh.

# Departments and staff the test workflows use.
seed_directory() {
  sql "INSERT INTO department (id, name) VALUES
         ('born-familie', 'Børn og familie'), ('voksenhandicap', 'Voksenhandicap'),
         ('jobcenter', 'Jobcenter');
       INSERT INTO staff (id, name) VALUES ('anna', 'Anna'), ('bo', 'Bo'), ('dorte', 'Dorte');
       INSERT INTO staff_department (staff_id, department_id, is_lead) VALUES
         ('anna', 'born-familie', true), ('bo', 'born-familie', false),
         ('dorte', 'voksenhandicap', true)"
}

# write_conf FILE [ENGINE LINES...]: a daemon configuration for this test's database.
write_conf() {
  local file=$1; shift
  {
    printf '[daemon]\nlisten = 127.0.0.1:0\nshutdown_timeout = 5s\n'
    printf '[database]\nconninfo = host=%s port=%s dbname=%s user=%s\nreconnect_max = 500ms\ncheck_interval = 200ms\n' \
      "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER"
    printf '[engine]\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$file"
}

# daemon_start NAME CONF: runs overgangd in the background, log in $TEST_TMP/NAME.log; the
# pid is in $TEST_TMP/NAME.pid. Killed (-9) at the end of the test if still running.
daemon_start() {
  "$OVERGANGD" -c "$2" 2>>"$TEST_TMP/$1.log" &
  echo $! >"$TEST_TMP/$1.pid"
  cleanup "kill -9 $! 2>/dev/null"
}
daemon_pid() { cat "$TEST_TMP/$1.pid"; }
daemon_stop() { # NAME: SIGTERM, expect exit 0
  local pid; pid=$(daemon_pid "$1")
  kill -TERM "$pid"
  wait "$pid" || fail "$1 exited with status $? after SIGTERM: $(tail -n 5 "$TEST_TMP/$1.log")"
}

# Pending events that are due now, of cases that are not stuck (timers in the future do not
# count; a stuck case waits for an administrator).
due_events() {
  sql "SELECT count(*) FROM overgang.event e JOIN overgang.cases c ON c.id = e.case_id
        WHERE e.status = 'pending' AND e.due_at <= now() AND c.status <> 'stuck'"
}
drained() { [ "$(due_events)" = 0 ]; }

# wait_drained SECONDS: until no due event is pending.
wait_drained() {
  wait_for "$1" drained || fail "events still pending after $1 s: $(due_events) due; errors: $(sql "SELECT string_agg(DISTINCT last_error, ' | ') FROM overgang.event WHERE last_error IS NOT NULL")"
}

# new_cases WORKFLOW N: deploys tests/workflows/WORKFLOW.lua, seeds N cases on it (as
# seed_cases) and prints the ids of all cases, in order.
new_cases() {
  "$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/$1.lua" >/dev/null
  seed_cases "$1" "$2"
  sql "SELECT id FROM overgang.cases ORDER BY id"
}

# seed_cases WORKFLOW N: N citizens, each with a case on WORKFLOW (its newest version) and a
# pending 'started' event.
seed_cases() {
  sql "WITH ci AS (
         INSERT INTO overgang.citizen (display_name, birth_date, attributes)
         SELECT 'Borger ' || g, date '2010-01-01' + g % 365, '{}' FROM generate_series(1, $2) g
         RETURNING id),
       wf AS (SELECT name, version, definition FROM overgang.workflow WHERE name = '$1'
               ORDER BY version DESC LIMIT 1),
       c AS (INSERT INTO overgang.cases (citizen_id, workflow_name, workflow_version, phase)
             SELECT ci.id, wf.name, wf.version, wf.definition->'phases'->0->>'name' FROM ci, wf
             RETURNING id)
       INSERT INTO overgang.event (case_id, type, source, idem_key)
       SELECT id, 'started', 'test', 'started' FROM c" >/dev/null
}

# add_ticks N: N 'tick' events for every active case, with payload seq 1..N in order.
add_ticks() {
  sql "INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
       SELECT c.id, 'tick', jsonb_build_object('seq', s), 'test', 'tick:' || s
         FROM overgang.cases c, generate_series(1, $1) s
        WHERE c.status = 'active' ORDER BY s, c.id" >/dev/null
}
