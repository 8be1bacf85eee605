# shellcheck shell=bash
# The steps measure: how many workflow steps per second overgangd applies against a durable
# PostgreSQL, with one daemon and with two on the same database, and the event-to-commit
# latency at half the one-daemon rate.
#
#   BENCH_CASES, BENCH_EVENTS   cases, and tick events per timed run (small: 50,000 and
#                               200,000; national: 500,000 and 2,000,000)
#   BENCH_WORKERS, BENCH_BATCH  [engine] workers and batch_size of every daemon (2, 1000)
#   BENCH_LATENCY_RATE          events/s offered for the latency (half the one-daemon rate)
#   BENCH_LATENCY_SECONDS       how long the latency load runs (20)
#   BENCH_LATENCY_CLIENTS       pgbench clients offering it (8)

STEPS_TARGET=20000            # steps/s, one daemon, on the 2-core machine
STEPS_LATENCY_TARGET_MS=50    # event to commit, p99, at half the one-daemon rate

steps_defaults() {
  case "$BENCH_SCALE" in
    small) : "${BENCH_CASES:=50000}" "${BENCH_EVENTS:=200000}" ;;
    national) : "${BENCH_CASES:=500000}" "${BENCH_EVENTS:=2000000}" ;;
  esac
  : "${BENCH_LATENCY_SECONDS:=20}" "${BENCH_LATENCY_CLIENTS:=8}"
}

# steps_conf NAME: a daemon configuration with the benchmark's engine settings.
steps_conf() {
  write_conf "$BENCH_DIR/$1.conf" "workers = $BENCH_WORKERS" "batch_size = $BENCH_BATCH"
  echo "$BENCH_DIR/$1.conf"
}

# metric URL NAME: the value of an unlabelled metric on a daemon's /metrics (0 if absent).
metric() {
  curl -sf --max-time 5 "$1/metrics" | awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }'
}

# steps_run RUN DAEMONS: BENCH_EVENTS new ticks, inserted while no daemon runs, then DAEMONS
# daemons started together drain them. Sets STEPS_RATE (steps/s).
steps_run() {
  local run=$1 ndaemons=$2 names=() name i
  say "steps.$run: $BENCH_EVENTS tick events, $ndaemons daemon(s)"
  sql_file -v events="$BENCH_EVENTS" -v run="$run" -f "$BENCH_D/steps-ticks.sql"
  # What autovacuum would do after such a load, done now so that it does not land in the
  # measurement; and a checkpoint, so each run starts from the same place.
  sql "VACUUM (ANALYZE) overgang.event, overgang.cases, overgang.task"
  sql "CHECKPOINT"
  quiet_before "steps.$run"

  local pg_cpu0 machine0 t0 t1
  # shellcheck disable=SC2046 # one pid a word
  pg_cpu0=$(cpu_seconds $(postgres_pids))
  machine0=$(machine_busy_seconds)
  t0=$(date +%s.%N)
  for ((i = 1; i <= ndaemons; i++)); do
    names+=("steps-$run-$i")
    steps_conf "steps-$run-$i" >/dev/null
  done
  for name in "${names[@]}"; do daemon_spawn "$name" "$BENCH_DIR/$name.conf"; done
  for name in "${names[@]}"; do daemon_ready "$name" "$BENCH_DIR/$name.conf"; done
  observe_start "steps.$run"
  wait_drained "steps.$run"
  t1=$(date +%s.%N)
  observe_stop

  local daemon_pids=() url batches=0 batch_sum=0 b s
  for name in "${names[@]}"; do
    daemon_pids+=("${DAEMONS[$name]}")
    url=$(conf_url "$BENCH_DIR/$name.conf")
    b=$(metric "$url" overgang_step_batch_seconds_count)
    s=$(metric "$url" overgang_step_batch_seconds_sum)
    batches=$(awk -v a="$batches" -v b="$b" 'BEGIN { print a + b }')
    batch_sum=$(awk -v a="$batch_sum" -v b="$s" 'BEGIN { print a + b }')
  done
  local daemon_cpu pg_cpu other_cpu
  daemon_cpu=$(cpu_seconds "${daemon_pids[@]}")
  # shellcheck disable=SC2046 # one pid a word
  pg_cpu=$(awk -v a="$(cpu_seconds $(postgres_pids))" -v b="$pg_cpu0" 'BEGIN { printf "%.2f", a - b }')
  # What else kept the machine busy meanwhile (the drain polling, other people's work).
  other_cpu=$(awk -v m="$(machine_busy_seconds)" -v m0="$machine0" -v d="$daemon_cpu" -v p="$pg_cpu" \
    'BEGIN { o = m - m0 - d - p; printf "%.1f", (o < 0 ? 0 : o) }')
  STEPS_RSS=$(rss_mib "${daemon_pids[0]}")
  for name in "${names[@]}"; do daemon_stop "$name"; done

  local stats total first_try window
  stats=$(sql "SELECT count(*), count(*) FILTER (WHERE status = 'done' AND attempts = 1),
                      round(extract(epoch FROM max(done_at) - min(done_at))::numeric, 3)
                 FROM overgang.event WHERE source = 'bench-$run'")
  IFS='|' read -r total first_try window <<<"$stats"
  [ "$total" = "$BENCH_EVENTS" ] || fail "steps.$run: $total tick events where $BENCH_EVENTS were inserted"
  if [ "$first_try" != "$total" ]; then
    sql "SELECT status, attempts, last_error, count(*) FROM overgang.event
          WHERE source = 'bench-$run' AND NOT (status = 'done' AND attempts = 1)
          GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 10" >&2
    fail "steps.$run: only $first_try of $total tick events were done on their first attempt"
  fi
  awk -v w="$window" 'BEGIN { exit !(w > 0) }' ||
    fail "steps.$run: no time between the first and the last event done ($window s)"
  STEPS_RATE=$(awk -v n="$total" -v w="$window" 'BEGIN { printf "%d", n / w }')
  awk -v n="$total" -v w="$window" -v t0="$t0" -v t1="$t1" -v dc="$daemon_cpu" -v pc="$pg_cpu" \
    -v nb="$batches" -v bs="$batch_sum" -v oc="$other_cpu" 'BEGIN {
      printf "    %d steps in %.2f s from the first event done to the last: %d steps/s\n", n, w, n / w
      printf "    (daemon start to drained, polled: %.2f s, %d steps/s)\n", t1 - t0, n / (t1 - t0)
      printf "    CPU: overgangd %.1f s (%.0f us/step), PostgreSQL %.1f s (%.0f us/step), other %.1f s; of %.1f s x %d cores\n",
             dc, dc * 1e6 / n, pc, pc * 1e6 / n, oc, t1 - t0, '"$(nproc)"'
      if (nb > 0)
        printf "    batches: %d, %.1f ms each from claim to commit on average (%.0f events per batch)\n",
               nb, bs * 1000 / nb, n / nb
    }'
}

# Latency at half the one-daemon rate: pgbench inserts tick events for random cases at a
# steady rate while one daemon runs; event-to-commit is done_at - created_at of each event
# (created_at is the start of the inserting transaction, so a wait of the insert itself counts).
steps_latency() {
  local rate=$1 secs=$BENCH_LATENCY_SECONDS clients=$BENCH_LATENCY_CLIENTS
  local pgbench=/usr/lib/postgresql/15/bin/pgbench
  [ -x "$pgbench" ] || fail "pgbench is missing (it comes with postgresql-15; run scripts/deps)"
  # Inserting transactions commit one at a time (the event_inserted trigger's NOTIFY holds
  # PostgreSQL's notify lock through each commit's WAL flush), which tops out well under
  # 1,000 commits/s on the 2-core machine while the daemon runs; so the events come in small
  # groups: at most 250 transactions per second.
  local per_tx=$(((rate + 249) / 250)) tx_rate
  tx_rate=$(((rate + per_tx - 1) / per_tx))
  say "steps.latency: $((tx_rate * per_tx)) events/s for $secs s ($tx_rate transactions/s of" \
    "$per_tx events, $clients pgbench clients), one daemon"
  # As the throughput runs: vacuumed and analysed first. The queue is empty now, as it is most
  # of the time on a real system, so the planner starts from that.
  sql "VACUUM (ANALYZE) overgang.event, overgang.cases, overgang.task"
  sql "CHECKPOINT"
  local lo hi
  IFS='|' read -r lo hi <<<"$(sql "SELECT min(id), max(id) FROM overgang.cases
                                    WHERE status = 'active' AND workflow_name = 'bench-steps'")"
  daemon_start steps-latency "$(steps_conf steps-latency)"
  wait_drained "steps.latency (before the load)" 60
  # this run's events only: an earlier run's are in the table too
  local first
  first=$(sql "SELECT coalesce(max(id), 0) FROM overgang.event")
  quiet_before steps.latency
  "$pgbench" -n -f "$BENCH_D/steps-latency.pgbench" -R "$tx_rate" -T "$secs" -c "$clients" \
    -j "$clients" -D lo="$lo" -D hi="$hi" -D k="$per_tx" >"$BENCH_DIR/pgbench.log" 2>&1 &
  local loader=$!
  BACKGROUND+=("$loader")
  observe_start steps.latency
  wait "$loader" || { cat "$BENCH_DIR/pgbench.log" >&2; fail "steps.latency: pgbench failed"; }
  wait_drained "steps.latency"
  observe_stop
  BACKGROUND=()
  daemon_stop steps-latency

  local stats n p50 p99 pmax
  stats=$(sql "SELECT count(*),
                      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1),
                      round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 1),
                      round(max(ms)::numeric, 1)
                 FROM (SELECT extract(epoch FROM done_at - created_at) * 1000 AS ms
                         FROM overgang.event
                        WHERE source = 'bench-latency' AND status = 'done' AND id > $first) x")
  IFS='|' read -r n p50 p99 pmax <<<"$stats"
  [ "${n:-0}" -gt 0 ] || fail "steps.latency: no event was done"
  local lag
  lag=$(sed -nE 's/^latency average = (.*)$/insert latency \1/p; s/^rate limit schedule lag: (.*)$/schedule lag \1/p' \
    "$BENCH_DIR/pgbench.log" | paste -sd ';' | sed 's/;/; /g')
  echo "    $n events inserted in $secs s ($(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", n / s }')/s;" \
    "pgbench: ${lag:-see var/bench/pgbench.log})"
  echo "    event to commit: p50 $p50 ms, p99 $p99 ms, max $pmax ms"
  record steps.latency_p50_ms "$p50" ms "at $((tx_rate * per_tx)) events/s offered"
  record steps.latency_p99_ms "$p99" ms "at $((tx_rate * per_tx)) events/s offered" "<= $STEPS_LATENCY_TARGET_MS"
}

bench_steps() {
  steps_defaults
  say "steps: $BENCH_CASES cases, $BENCH_EVENTS tick events per run," \
    "[engine] workers = $BENCH_WORKERS, batch_size = $BENCH_BATCH"
  new_bench_db bench_steps
  sql_file -f "$BENCH_D/steps-directory.sql"
  # The deploy's lint warnings (nothing sends 'tick', no 'task_done' handler) are expected.
  "$OVERGANG" workflow deploy --by bench "$BENCH_D/steps.lua" >"$BENCH_DIR/deploy.log" 2>&1 ||
    { cat "$BENCH_DIR/deploy.log" >&2; fail "steps: deploying scripts/bench.d/steps.lua failed"; }
  sql_file -v cases="$BENCH_CASES" -f "$BENCH_D/steps-cases.sql"

  say "steps: the cases' started events (untimed)"
  sql "VACUUM (ANALYZE) overgang.event, overgang.cases, overgang.citizen"
  daemon_start steps-seed "$(steps_conf steps-seed)"
  wait_drained "steps: started events"
  daemon_stop steps-seed
  local without
  without=$(sql "SELECT count(*) FROM overgang.cases WHERE tovholder IS NULL OR status <> 'active'")
  [ "$without" = 0 ] || fail "steps: $without cases have no tovholder or are not active after their started event"

  # Each timed run BENCH_RUNS times (new tick events each time), one daemon and two taking
  # turns: every run leaves the tables larger (2,000,000 more events at national scale), and
  # a run on larger tables is slower, so all runs of one kind after all of the other would
  # favour the first. The one-daemon rates' median sets the latency's offered load.
  local run ones=() one
  for ((run = 1; run <= BENCH_RUNS; run++)); do
    steps_run "one_daemon-$run" 1
    ones+=("$STEPS_RATE")
    record steps.one_daemon "$STEPS_RATE" steps/s "on the 2-core machine" ">= $STEPS_TARGET"
    record memory.after_steps_mib "$STEPS_RSS" MiB "overgangd's resident memory after draining $BENCH_EVENTS events" "<= $MEMORY_TARGET_MIB"
    steps_run "two_daemons-$run" 2
    record steps.two_daemons "$STEPS_RATE" steps/s "more than one daemon: no contention collapse"
  done
  one=$(printf '%s\n' "${ones[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  for ((run = 1; run <= BENCH_RUNS; run++)); do
    steps_latency "${BENCH_LATENCY_RATE:-$((one / 2 > 0 ? one / 2 : 1))}"
  done

  local tasks
  tasks=$(sql "SELECT count(*) FROM overgang.task")
  echo "    tasks created by the tenth events: $tasks"
}
