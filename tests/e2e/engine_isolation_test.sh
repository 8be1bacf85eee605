# When the database refuses a batch's writes (here: a trigger standing in for any constraint the
# step logic could not foresee), the daemon retries the batch's events one at a time: the others
# are done, and only the refused step fails, with the database's message, and ends stuck.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/sandbox.lua" >/dev/null
seed_cases sandbox 20
sql "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN RAISE EXCEPTION 'the test refuses task boom'; END \$\$;
     CREATE TRIGGER refuse_boom BEFORE INSERT ON task FOR EACH ROW
       WHEN (NEW.title = 'boom') EXECUTE FUNCTION refuse_boom()"
write_conf "$TEST_TMP/d.conf" "workers = 1" "batch_size = 50" "max_attempts = 2" "retry_base = 100ms"
daemon_start d "$TEST_TMP/d.conf"
wait_drained 20

ids=($(sql "SELECT id FROM overgang.cases ORDER BY id"))
sql "INSERT INTO overgang.event (case_id, type, source, idem_key)
     SELECT id, CASE WHEN id = ${ids[7]} THEN 'boom' ELSE 'fine' END, 'test', 'x' FROM overgang.cases"
wait_for 20 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.cases WHERE status = 'stuck'\") = 1 ]" ||
  fail "the refused case did not end stuck: $(tail -n 5 "$TEST_TMP/d.log")"
wait_drained 20
assert_eq "19" "$(sql "SELECT count(*) FROM overgang.cases WHERE state->>'fine' = 'true'")" "the other cases ran"
assert_eq "${ids[7]}" "$(sql "SELECT id FROM overgang.cases WHERE status = 'stuck'")" "the stuck case"
assert_contains "$(sql "SELECT last_error FROM overgang.event WHERE case_id = ${ids[7]} AND type = 'boom'")" "the test refuses task boom" "the database's message"
assert_eq "0" "$(sql "SELECT count(*) FROM overgang.task WHERE title = 'boom'")" "nothing of the refused step was written"
assert_eq "19" "$(sql "SELECT count(*) FROM overgang.event WHERE type = 'fine' AND status = 'done' AND attempts = 1")" "each other step once"
grep -q "a batch could not be written; retrying its events one at a time" "$TEST_TMP/d.log" || fail "the fallback is not logged"
daemon_stop d
