# shellcheck shell=bash
# The sweep measure: the daily start-trigger sweep (overgang sweep, the same statement the
# daemon runs) over BENCH_SWEEP_CITIZENS citizens (1,000,000) born over 85 years, a ninth
# of them with the attribute the example workflow's start rule asks for. As on any day after
# the first, everyone who turned 16 before today has their case already (seeded untimed);
# the sweep starts the cases of those who turn 16 today. Target: at most 10 s.

SWEEP_TARGET_S=10

bench_sweep() {
  : "${BENCH_SWEEP_CITIZENS:=1000000}"
  say "sweep: $BENCH_SWEEP_CITIZENS citizens (seeded untimed)"
  new_bench_db bench_sweep
  "$OVERGANG" workflow deploy --by bench "$TOP/workflows/examples/ung-til-voksen.lua" \
    >"$BENCH_DIR/sweep-deploy.log" 2>&1 || fail "sweep: deploying the example workflow failed"
  sql "INSERT INTO overgang.citizen (display_name, birth_date, attributes)
       SELECT 'Borger ' || g, current_date - (g % (85 * 365)),
              CASE WHEN g % 9 = 0 THEN '{\"funktionsnedsaettelse\": true}'::jsonb ELSE '{}' END
         FROM generate_series(1, $BENCH_SWEEP_CITIZENS) g"
  # yesterday's sweeps: a case for everyone with the attribute who was 16 before today
  sql "INSERT INTO overgang.cases (citizen_id, workflow_name, workflow_version, phase, start_key)
       SELECT id, 'ung-til-voksen', 1, 'afdaekning', 'sweep:ung-til-voksen:' || id
         FROM overgang.citizen
        WHERE birth_date < current_date - interval '16 years'
          AND attributes ? 'funktionsnedsaettelse'"
  sql "VACUUM ANALYZE"
  local t0 t1 out secs again
  t0=$(date +%s.%N)
  out=$("$OVERGANG" sweep) || fail "sweep: overgang sweep failed"
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  echo "    today's sweep: $out in $secs s"
  t0=$(date +%s.%N)
  again=$("$OVERGANG" sweep) || fail "sweep: overgang sweep failed"
  t1=$(date +%s.%N)
  local secs2
  secs2=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  echo "    the same again: $again in $secs2 s"
  record sweep.seconds "$secs" s "$BENCH_SWEEP_CITIZENS citizens, $out" "<= $SWEEP_TARGET_S"
  record sweep.again_seconds "$secs2" s "the same sweep again: $again"
}
