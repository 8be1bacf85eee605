# A batch is stepped in slices of about 2 ms so the event loop stays free. When a worker's
# connection is lost between slices, PostgreSQL has given the claimed cases back, so the
# batch must be dropped, never written: here the workers' sessions are terminated again and
# again while slow steps run, and every case still counts each tick exactly once, in order.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/slow-counter.lua" >/dev/null
seed_cases slow-counter 600
add_ticks 4
write_conf "$TEST_TMP/d.conf" "workers = 2" "batch_size = 300" "retry_base = 100ms"
daemon_start d "$TEST_TMP/d.conf"

step "the workers' sessions are terminated ten times while slow batches are stepped"
for _ in $(seq 10); do
  sleep 0.3
  sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE application_name = 'overgangd worker' AND datname = current_database()" >/dev/null
done
wait_drained 60
dropped=$(grep -c 'a batch is dropped' "$TEST_TMP/d.log" || true)
echo "batches dropped between slices: $dropped"

step "every case counted its four ticks exactly once, in order"
assert_eq "600|4|4" "$(sql "SELECT count(*), min((state->>'count')::int), max((state->>'count')::int) FROM overgang.cases")" "counts"
assert_eq 0 "$(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")" "no stuck case"
assert_eq 3000 "$(sql "SELECT count(*) FROM overgang.event WHERE status = 'done'")" "every event done once"
kill -0 "$(daemon_pid d)" || fail "the daemon died"
