# shellcheck shell=bash
# The api measure: how fast a tovholder's queue (GET /v1/me/queue) and a department's inbox
# (GET /v1/departments/{id}/inbox) answer under load from wrk, on a database of national
# size, with every read writing its access log as in real use.
#
# The data (scripts/bench.d/api-seed.sql, set-based, straight into the tables): departments,
# staff (two leads per department), citizens, active cases each with a tovholder, closed
# cases, and tasks and handovers of which BENCH_API_OPEN_PCT % are open. Tokens are made with
# 'overgang token create' for BENCH_API_PEOPLE tovholdere (the queue) and for a worker and the
# lead of each of up to BENCH_API_PEOPLE / 2 departments (the inbox); wrk takes them in turn
# (scripts/bench.d/api-wrk.lua), so the requests spread over many people and departments.
#
# For each [api] connections setting in BENCH_API_POOL, one daemon ([engine] workers and
# batch_size as every measure: BENCH_WORKERS, BENCH_BATCH; the engine has nothing to do, as
# the seeded overdue tasks are marked notified) answers a warm-up and then each route for
# BENCH_API_SECONDS at BENCH_API_CLIENTS connections (wrk -t 2). The target holds when p99 is
# at most 20 ms for both routes at 64 connections at national scale.
#
#   BENCH_API_CITIZENS, BENCH_API_CASES, BENCH_API_TASKS
#                               citizens, active cases and tasks (small: 100,000, 20,000 and
#                               200,000; national: 1,000,000, 200,000 and 2,000,000); closed
#                               cases: half the active ones
#   BENCH_API_DEPARTMENTS, BENCH_API_STAFF
#                               departments and staff (small: 20 and 400; national: 100 and 2,000)
#   BENCH_API_OPEN_PCT          the share of tasks that are open (15)
#   BENCH_API_PEOPLE            tokens per route (200)
#   BENCH_API_POOL              the [api] connections settings to measure ("8"; "2 4 8" compares)
#   BENCH_API_CLIENTS           wrk connections (64)
#   BENCH_API_SECONDS           seconds per measured run (20); BENCH_API_WARMUP (5) before
#   BENCH_API_ROUTES            the routes to measure (queue inbox case complete: a case's full
#                               picture, GET /v1/cases/{id}, target p99 <= 30 ms; completing
#                               tasks, POST /v1/tasks/{id}/complete by the case's tovholder,
#                               each task once, requests per second)
#   BENCH_API_COMPLETE_TASKS    open tasks at hand before each complete run (150000: more than
#                               a run completes; new ones are added when fewer are left)
#
# Each route is measured BENCH_RUNS times (3); the results are the medians. The daemon's
# resident memory after the runs is memory.after_api_mib.

API_TARGET_P99_MS=20      # the queue and the inbox
API_CASE_TARGET_P99_MS=30 # a case's full picture

api_defaults() {
  case "$BENCH_SCALE" in
    small)
      : "${BENCH_API_CITIZENS:=100000}" "${BENCH_API_CASES:=20000}" "${BENCH_API_TASKS:=200000}"
      : "${BENCH_API_DEPARTMENTS:=20}" "${BENCH_API_STAFF:=400}"
      ;;
    national)
      : "${BENCH_API_CITIZENS:=1000000}" "${BENCH_API_CASES:=200000}" "${BENCH_API_TASKS:=2000000}"
      : "${BENCH_API_DEPARTMENTS:=100}" "${BENCH_API_STAFF:=2000}"
      ;;
  esac
  : "${BENCH_API_OPEN_PCT:=15}" "${BENCH_API_PEOPLE:=200}" "${BENCH_API_POOL:=8}"
  : "${BENCH_API_CLIENTS:=64}" "${BENCH_API_SECONDS:=20}" "${BENCH_API_WARMUP:=5}"
  : "${BENCH_API_ROUTES:=queue inbox case complete}" "${BENCH_API_COMPLETE_TASKS:=150000}"
}

# api_seed: the database, the workflow, the data, and the statistics a live system would have.
api_seed() {
  new_bench_db bench_api
  "$OVERGANG" workflow deploy --by bench "$BENCH_D/api.lua" >"$BENCH_DIR/api-deploy.log" 2>&1 ||
    { cat "$BENCH_DIR/api-deploy.log" >&2; fail "api: deploying scripts/bench.d/api.lua failed"; }
  local t0=$SECONDS
  sql_file -v departments="$BENCH_API_DEPARTMENTS" -v staff="$BENCH_API_STAFF" \
    -v citizens="$BENCH_API_CITIZENS" -v active="$BENCH_API_CASES" \
    -v closed="$((BENCH_API_CASES / 2))" -v tasks="$BENCH_API_TASKS" \
    -v open_pct="$BENCH_API_OPEN_PCT" -f "$BENCH_D/api-seed.sql" >/dev/null
  local stray
  stray=$(sql "SELECT count(*) FROM overgang.task t JOIN overgang.cases c ON c.id = t.case_id
                WHERE t.status IN ('open', 'claimed') AND c.status <> 'closed'
                  AND t.holder IS DISTINCT FROM c.tovholder")
  [ "$stray" = 0 ] || fail "api: $stray open tasks do not carry their case's tovholder (task.holder)"
  sql "VACUUM (ANALYZE)"
  sql "CHECKPOINT"
  local shape
  shape=$(sql "SELECT format('%s citizens, %s active and %s closed cases, %s tasks (%s open, %s of them handovers); %s MB',
                 (SELECT count(*) FROM overgang.citizen),
                 (SELECT count(*) FROM overgang.cases WHERE status = 'active'),
                 (SELECT count(*) FROM overgang.cases WHERE status = 'closed'),
                 (SELECT count(*) FROM overgang.task),
                 (SELECT count(*) FROM overgang.task WHERE status IN ('open', 'claimed')),
                 (SELECT count(*) FROM overgang.task WHERE status = 'open' AND kind = 'handover'),
                 pg_database_size(current_database()) / 1048576)")
  echo "    seeded in $((SECONDS - t0)) s: $shape"
  record seed.seconds "$((SECONDS - t0))" s "the api data set ($BENCH_SCALE scale): $shape" "<= 180"
}

# api_tokens: the targets files wrk takes its requests from, one "TOKEN PATH" a line.
api_tokens() {
  local queue=$BENCH_DIR/api-targets-queue.txt inbox=$BENCH_DIR/api-targets-inbox.txt
  local case=$BENCH_DIR/api-targets-case.txt
  local t0=$SECONDS staff dep role token cid
  (umask 077 && : >"$queue" && : >"$inbox" && : >"$case" && : >"$BENCH_DIR/api-tokens-tovholder.txt")
  # tovholdere spread over the staff list: every k-th holder of active cases
  while read -r staff; do
    token=$("$OVERGANG" token create --staff "$staff" --role tovholder --label bench 2>/dev/null) ||
      fail "api: overgang token create --staff $staff --role tovholder failed"
    echo "$token /v1/me/queue" >>"$queue"
    echo "$staff $token" >>"$BENCH_DIR/api-tokens-tovholder.txt"
    # a case read: up to five of the cases this tovholder holds
    for cid in $(sql "SELECT id FROM overgang.cases WHERE tovholder = '$staff' AND status = 'active'
                       ORDER BY id LIMIT 5"); do
      echo "$token /v1/cases/$cid" >>"$case"
    done
  done < <(sql "SELECT tovholder FROM (
                  SELECT tovholder, row_number() OVER (ORDER BY tovholder) AS n, count(*) OVER () AS m
                    FROM (SELECT DISTINCT tovholder FROM overgang.cases WHERE status = 'active') x) y
                 WHERE n % greatest(m / $BENCH_API_PEOPLE, 1) = 0 LIMIT $BENCH_API_PEOPLE")
  # per department: its first worker and its first lead
  while IFS='|' read -r dep staff role; do
    token=$("$OVERGANG" token create --staff "$staff" --role "$role" --label bench 2>/dev/null) ||
      fail "api: overgang token create --staff $staff --role $role failed"
    echo "$token /v1/departments/$dep/inbox" >>"$inbox"
  done < <(sql "SELECT department_id, staff_id, CASE WHEN is_lead THEN 'lead' ELSE 'worker' END
                  FROM (SELECT sd.*, row_number() OVER (PARTITION BY department_id, is_lead
                                                        ORDER BY staff_id) AS n
                          FROM overgang.staff_department sd) x
                 WHERE n = 1 ORDER BY department_id, is_lead
                 LIMIT $BENCH_API_PEOPLE")
  echo "    tokens: $(wc -l <"$queue") tovholdere, $(wc -l <"$inbox") department members" \
    "($((SECONDS - t0)) s)"
}

# api_complete_targets: the complete route's targets, "TOKEN PATH POST ETAG" a line: the open
# tasks (not handovers) of the cases the measured tovholdere hold, each once, in an order
# that spreads them over the people. Made again before every run, as each run completes some:
# when fewer than BENCH_API_COMPLETE_TASKS are left, new open tasks like the done ones are
# added on the same cases (as their workflow would), so a run never runs out and never asks
# twice. First a pause, as wrk leaves up to 64 requests in flight when it stops, which the
# daemon still answers (their tasks are done a moment later, and must not be taken again).
api_complete_targets() {
  local file=$BENCH_DIR/api-targets-complete.txt
  sleep 3
  (umask 077 && sql "CREATE TEMP TABLE bench_tok (staff text, token text);
       COPY bench_tok FROM STDIN WITH (DELIMITER ' ');
       INSERT INTO overgang.task (case_id, kind, key, department_id, title, body, due_at)
       SELECT t.case_id, 'task', t.key, t.department_id, t.title, t.body, now() + interval '14 days'
         FROM overgang.task t JOIN overgang.cases c ON c.id = t.case_id
         JOIN bench_tok k ON k.staff = c.tovholder
        WHERE t.kind = 'task' AND t.status = 'done' AND c.status = 'active'
        ORDER BY hashint8(t.id)
        LIMIT greatest($BENCH_API_COMPLETE_TASKS - (
                SELECT count(*) FROM overgang.task t JOIN overgang.cases c ON c.id = t.case_id
                  JOIN bench_tok k ON k.staff = c.tovholder
                 WHERE t.kind = 'task' AND t.status IN ('open', 'claimed') AND c.status = 'active'), 0);
       SELECT k.token || ' /v1/tasks/' || t.id || '/complete POST \"' || t.revision || '\"'
         FROM overgang.task t JOIN overgang.cases c ON c.id = t.case_id
         JOIN bench_tok k ON k.staff = c.tovholder
        WHERE t.kind = 'task' AND t.status IN ('open', 'claimed') AND c.status = 'active'
        ORDER BY hashint8(t.id)" <"$BENCH_DIR/api-tokens-tovholder.txt" >"$file")
  wc -l <"$file"
}

# api_served URL ROUTE: whether the daemon serves ROUTE (the inbox is newer than the queue).
api_served() {
  local url=$1 targets=$BENCH_DIR/api-targets-$2.txt token path code
  if [ "$2" = complete ]; then
    [ "$(api_complete_targets)" -gt 0 ] && return 0
    echo "    complete: no open task on the measured tovholderes' cases"
    return 1
  fi
  read -r token path <"$targets"
  code=$(curl -s -o "$BENCH_DIR/api-probe.json" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $token" "$url$path")
  [ "$code" = 200 ] && return 0
  echo "    $2: GET $path answers $code: $(head -c 300 "$BENCH_DIR/api-probe.json")"
  return 1
}

# api_wrk URL ROUTE SECONDS: one wrk run; sets API_WRK to its summary line (JSON).
api_wrk() {
  local url=$1 route=$2 secs=$3 out
  out=$BENCH_DIR/api-wrk-$route.log
  wrk -t 2 -c "$BENCH_API_CLIENTS" -d "${secs}s" --latency --timeout 10s \
    -s "$BENCH_D/api-wrk.lua" "$url" -- "$BENCH_DIR/api-targets-$route.txt" >"$out" 2>&1 ||
    { cat "$out" >&2; fail "api: wrk failed on $route"; }
  API_WRK=$(sed -n 's/^api-wrk //p' "$out")
  [ -n "$API_WRK" ] || { cat "$out" >&2; fail "api: wrk printed no summary for $route"; }
}

# api_explain: the plans of the queue's and the inbox's statements at this scale, as the
# daemon's connections run them (after five calls, so that PL/pgSQL's cached plan is the
# one measured), with auto_explain: var/bench/api-explain-{queue,inbox}.txt.
api_explain() {
  local route=$1 staff=$2 role=$3 dep=${4:-} fn r
  case "$route" in
    queue) fn=api_queue; r="{\"route\":\"queue\",\"params\":{}}" ;;
    inbox) fn=api_inbox; r="{\"route\":\"inbox\",\"params\":{\"id\":\"$dep\"}}" ;;
  esac
  r=$(jq -c --arg s "$staff" --arg role "$role" \
    '. + {actor: {staff: $s, role: $role}, query: {}, body: null, if_match: null,
          purpose: "bench explain", idem: null, limit: 50}' <<<"$r")
  {
    echo "-- $fn for $staff ($role${dep:+, $dep}): the sixth call, with auto_explain"
    psql -qAtX -v ON_ERROR_STOP=1 2>&1 <<SQL
SELECT overgang.$fn('$r') IS NULL FROM generate_series(1, 5) \\g /dev/null
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SELECT length(overgang.$fn('$r')::text) AS response_bytes;
SQL
  } | sed 's/^psql:[^ ]* NOTICE:  /NOTICE:  /' >"$BENCH_DIR/api-explain-$route.txt"
}

bench_api() {
  api_defaults
  command -v wrk >/dev/null || fail "wrk is missing (scripts/deps installs it)"
  say "api: $BENCH_API_CITIZENS citizens, $BENCH_API_CASES active cases, $BENCH_API_TASKS tasks" \
    "($BENCH_API_OPEN_PCT% open), $BENCH_API_DEPARTMENTS departments, $BENCH_API_STAFF staff"
  api_seed
  # shellcheck disable=SC2034 # read by scripts/bench.d/report.sh
  API_SEEDED=1
  api_tokens

  local pool route conf url busy load stats p50 p90 p99 rps n non2xx errors routes=()
  for pool in $BENCH_API_POOL; do
    conf=$BENCH_DIR/api-$pool.conf
    write_conf "$conf" "workers = $BENCH_WORKERS" "batch_size = $BENCH_BATCH" "[api]" \
      "connections = $pool"
    daemon_start "api-$pool" "$conf"
    url=$(conf_url "$conf")
    if [ ${#routes[@]} -eq 0 ]; then
      for route in $BENCH_API_ROUTES; do
        if api_served "$url" "$route"; then routes+=("$route"); fi
      done
      [ ${#routes[@]} -gt 0 ] || fail "api: no route to measure"
    fi
    for route in "${routes[@]}"; do
      [ "$route" = complete ] && api_complete_targets >/dev/null
      api_wrk "$url" "$route" "$BENCH_API_WARMUP" # warm-up: caches and the cached plans
      local run
      for ((run = 1; run <= BENCH_RUNS; run++)); do
      local prepared=0
      if [ "$route" = complete ]; then
        n=$(api_complete_targets)
        prepared=$n
        echo "    $n open tasks to complete"
      fi
      quiet_before "api.$route (connections $pool)"
      busy=$(cpu_busy)
      load=$(cut -d ' ' -f 1-3 /proc/loadavg)
      say "api.$route: [api] connections = $pool, wrk -t 2 -c $BENCH_API_CLIENTS for" \
        "${BENCH_API_SECONDS} s, run $run of $BENCH_RUNS (machine before: load $load, $busy% CPU in use)"
      api_wrk "$url" "$route" "$BENCH_API_SECONDS"
      stats=$(jq -r '[.requests, .non2xx, .errors, (.p50_us / 1000), (.p90_us / 1000),
                      (.p99_us / 1000), (.requests / .seconds | floor)] | @tsv' <<<"$API_WRK")
      IFS=$'\t' read -r n non2xx errors p50 p90 p99 rps <<<"$stats"
      if [ "$prepared" -gt 0 ] && [ "$n" -gt "$prepared" ]; then
        fail "api.complete: the run sent $n requests for $prepared prepared open tasks, so some" \
          "asked again for a task already done; set BENCH_API_COMPLETE_TASKS above $n"
      fi
      if [ "$non2xx" != 0 ] || [ "$errors" != 0 ]; then
        grep '^api-wrk-answer' "$BENCH_DIR/api-wrk-$route.log" | cut -c 16- | sed 's/^/    answered /' >&2
        fail "api.$route: $non2xx answers not 2xx and $errors socket errors of $n" \
          "(var/bench/api-wrk-$route.log, var/bench/api-$pool.log)"
      fi
      printf '    %d requests: %d/s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n' \
        "$n" "$rps" "$p50" "$p90" "$p99"
      local note="[api] connections $pool, $BENCH_API_CLIENTS wrk connections"
      # api.ROUTE.p99_ms and so on; with several pool sizes compared, api.ROUTE.cPOOL.p99_ms
      local at=""
      [ "$(wc -w <<<"$BENCH_API_POOL")" -gt 1 ] && at=".c$pool"
      record "api.$route$at.p50_ms" "$(printf '%.1f' "$p50")" ms "$note"
      record "api.$route$at.p90_ms" "$(printf '%.1f' "$p90")" ms "$note"
      local target=$API_TARGET_P99_MS
      [ "$route" = case ] && target=$API_CASE_TARGET_P99_MS
      [ "$BENCH_SCALE" = national ] || note="$note (the target is for national scale)"
      if [ "$route" = complete ]; then # a throughput: no latency target
        record "api.$route$at.p99_ms" "$(printf '%.1f' "$p99")" ms "$note"
      else
        record "api.$route$at.p99_ms" "$(printf '%.1f' "$p99")" ms "$note" "<= $target"
      fi
      record "api.$route$at.rps" "$rps" requests/s "[api] connections $pool"
      done
    done
    record memory.after_api_mib "$(rss_mib "${DAEMONS[api-$pool]}")" MiB \
      "overgangd's resident memory after the api runs ([api] connections $pool)" "<= $MEMORY_TARGET_MIB"
    daemon_stop "api-$pool"
  done

  say "api: plans (var/bench/api-explain-*.txt)"
  local staff
  staff=$(sql "SELECT staff_id FROM overgang.api_token WHERE role = 'tovholder'
                ORDER BY created_at, id LIMIT 1")
  api_explain queue "$staff" tovholder
  if [[ " ${routes[*]} " == *" inbox "* ]]; then
    local dep worker
    IFS='|' read -r dep worker <<<"$(sql "SELECT sd.department_id, sd.staff_id
        FROM overgang.staff_department sd JOIN overgang.api_token t ON t.staff_id = sd.staff_id
       WHERE t.role = 'worker' AND sd.department_id = 'dep-001' LIMIT 1")"
    [ -n "$dep" ] && api_explain inbox "$worker" worker "$dep"
  fi
  local f
  for f in "$BENCH_DIR"/api-explain-*.txt; do
    [ -f "$f" ] || continue
    echo "    $(basename "$f"): $(grep -c 'duration:' "$f") statements," \
      "$(grep -o 'duration: [0-9.]* ms' "$f" | tail -n 1 | sed 's/duration: //') in all"
  done
}
