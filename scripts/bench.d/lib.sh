# shellcheck shell=bash
# Helpers the benchmark measures share; sourced by scripts/bench, which sets TOP, BENCH_DIR,
# OVERGANG, OVERGANGD and the PG* variables of the benchmark's cluster.

fail() { echo "scripts/bench: $*" >&2; exit 1; }
say() { echo "--- $*"; }

# sql [PSQL ARGS] QUERY: one query, unaligned output, stops on the first error.
sql() { psql -qAtX -v ON_ERROR_STOP=1 "${@:1:$#-1}" -c "${!#}"; }
sql_file() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; } # sql_file -v name=value ... -f FILE

# A fresh, migrated database for a measure; exports PGDATABASE.
new_bench_db() {
  local name=$1
  PGOPTIONS="-c client_min_messages=warning" dropdb --force --if-exists "$name"
  createdb "$name"
  export PGDATABASE=$name
  "$OVERGANG" migrate >/dev/null
}

free_port() {
  local port
  while :; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000)) # below the kernel's ephemeral range (32768-)
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# write_conf FILE [ENGINE LINES...]: a daemon configuration for $PGDATABASE on a free port.
write_conf() {
  local file=$1; shift
  {
    printf '[daemon]\nlisten = 127.0.0.1:%s\nlog_level = info\nshutdown_timeout = 10s\n' "$(free_port)"
    printf '[database]\nconninfo = host=%s port=%s dbname=%s user=%s\n' \
      "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER"
    printf '[engine]\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$file"
}

conf_url() { echo "http://$(sed -nE 's/^listen *= *(.*)$/\1/p' "$1")"; }

# Daemons this run started: name -> pid. cleanup_daemons stops whatever is still running.
declare -A DAEMONS=()

# daemon_spawn NAME CONF: overgangd in a session of its own (Ctrl-C reaches only this
# script, whose trap stops it), log in $BENCH_DIR/NAME.log.
daemon_spawn() {
  setsid "$OVERGANGD" -c "$2" 2>>"$BENCH_DIR/$1.log" &
  DAEMONS[$1]=$!
}

# daemon_ready NAME CONF: waits until the daemon's /healthz answers.
daemon_ready() {
  local name=$1 url
  url=$(conf_url "$2")
  for _ in $(seq 100); do
    curl -sf --max-time 1 "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "${DAEMONS[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$BENCH_DIR/$name.log" >&2 || true
  fail "overgangd $name did not start (log: var/bench/$name.log)"
}

daemon_start() { daemon_spawn "$1" "$2" && daemon_ready "$1" "$2"; }

# daemon_stop NAME: SIGTERM, then SIGKILL if it has not exited after 20 s.
daemon_stop() {
  local name=$1 pid=${DAEMONS[$1]:-}
  [ -n "$pid" ] || return 0
  unset "DAEMONS[$name]"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "scripts/bench: overgangd $name did not stop after SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup_daemons() {
  local name
  for name in "${!DAEMONS[@]}"; do daemon_stop "$name"; done
}

# Other background processes this run started (load generators, samplers), by pid.
BACKGROUND=()
cleanup_background() {
  local pid
  for pid in "${BACKGROUND[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BACKGROUND=()
}

# Pending events that are due now (timers in the future do not count).
due_events() {
  sql "SELECT count(*) FROM overgang.event WHERE status = 'pending' AND due_at <= now()"
}

# wait_drained WHAT [SECONDS]: polls every 0.2 s until no due event is pending (EXISTS rather
# than count(*): the same answer, without counting the whole queue five times a second while
# it is being measured; and through the due-event index: the planner, which still counts the
# run's events as pending, would read the table from its start, past every event done
# before, about 10,000 pages (80 MB) a poll at national scale). Fails after SECONDS
# (BENCH_DRAIN_TIMEOUT, 600) with the errors and the daemon logs.
wait_drained() {
  local what=$1 limit=${2:-${BENCH_DRAIN_TIMEOUT:-600}}
  local deadline=$((SECONDS + limit)) name
  while [ "$(PGOPTIONS='-c enable_seqscan=off' sql "SELECT EXISTS (SELECT 1 FROM overgang.event
                                  WHERE status = 'pending' AND due_at <= now())")" = t ]; do
    if [ $SECONDS -ge "$deadline" ]; then
      {
        echo "scripts/bench: $what: events still pending after $limit s: $(due_events) due"
        echo "last errors of pending events:"
        sql "SELECT coalesce(string_agg('  ' || last_error || ' (' || n || ' events)', E'\n'), '  none')
               FROM (SELECT last_error, count(*) AS n FROM overgang.event
                      WHERE status = 'pending' AND last_error IS NOT NULL
                      GROUP BY last_error ORDER BY n DESC LIMIT 10) x"
        echo "stuck cases: $(sql "SELECT count(*) FROM overgang.cases WHERE status = 'stuck'")"
        for name in "${!DAEMONS[@]}"; do
          echo "== var/bench/$name.log (last 20 lines)"
          tail -n 20 "$BENCH_DIR/$name.log"
        done
      } >&2
      exit 1
    fi
    for name in "${!DAEMONS[@]}"; do
      kill -0 "${DAEMONS[$name]}" 2>/dev/null && continue
      tail -n 20 "$BENCH_DIR/$name.log" >&2 || true
      fail "$what: overgangd $name exited (log: var/bench/$name.log)"
    done
    sleep 0.2
  done
}

# CPU seconds (user + system) used so far by the processes PIDS (those still alive).
cpu_seconds() {
  local hz pid total=0 stat
  local -a f
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }                       # after "pid (comm) "
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))        # utime, stime: fields 14 and 15
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}

# The PostgreSQL server processes of the benchmark's cluster.
postgres_pids() {
  local pm
  pm=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm"
  pgrep -P "$pm" || true
}

# record NAME VALUE UNIT [NOTE] [TARGET]: one result for results.json and the table. Each of
# the BENCH_RUNS runs of a measure records its own; the results hold the median of the runs
# (and every run's value). TARGET ("<= 20", ">= 20000") is what the median is held to: the
# table says met or NOT met.
record() {
  jq -nc --arg name "$1" --argjson value "$2" --arg unit "$3" --arg note "${4:-}" \
    --arg target "${5:-}" \
    '{name: $name, value: $value, unit: $unit, note: $note, target: $target}' \
    >>"$BENCH_DIR/measures.jsonl"
}

# medians: measures.jsonl folded to one object per measure, in the order first recorded:
# {name, value (the median of the runs), unit, runs, note, target, met}.
medians() {
  jq -s '
    def median: sort | if length % 2 == 1 then .[(length - 1) / 2]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end
                     | (. * 100 | round) / 100;
    . as $all
    | reduce ($all[] | .name) as $n ([]; if any(.[]; . == $n) then . else . + [$n] end)
    | map(. as $n | [$all[] | select(.name == $n)] as $rs | ($rs | map(.value) | median) as $m
          | {name: $n, value: $m, unit: $rs[0].unit, runs: ($rs | map(.value)),
             note: $rs[-1].note}
            + if ($rs[0].target // "") == "" then {}
              else ($rs[0].target | split(" ")) as [$op, $t]
                   | {target: $rs[0].target,
                      met: (if $op == "<=" then $m <= ($t | tonumber)
                            else $m >= ($t | tonumber) end)}
              end)' "$BENCH_DIR/measures.jsonl"
}

# rss_mib PID: a process's resident memory in MiB.
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# observe_start WHAT: with BENCH_OBSERVE=1, samples every second into var/bench/observe.log
# what runs (top) and what the database sessions wait for (pg_stat_activity), until
# observe_stop. The sampling costs a little CPU, so it is off by default.
observe_start() {
  [ "${BENCH_OBSERVE:-0}" = 1 ] || return 0
  local what=$1
  (
    trap 'exit 0' TERM
    while :; do
      {
        echo "== $what $(date +%T.%N | cut -c1-12)"
        top -b -n 1 -w 120 | sed -n '3p;7,14p'
        psql -qAtX -F ' ' -c "SELECT count(*), coalesce(application_name, '-'), state,
                                     coalesce(wait_event_type || ':' || wait_event, 'cpu'),
                                     left(regexp_replace(query, '\s+', ' ', 'g'), 50)
                                FROM pg_stat_activity
                               WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                                 AND state <> 'idle'
                               GROUP BY 2, 3, 4, 5 ORDER BY 1 DESC" 2>&1
      } >>"$BENCH_DIR/observe.log"
      sleep 1
    done
  ) &
  OBSERVER=$!
  BACKGROUND+=("$OBSERVER")
}

observe_stop() {
  [ -n "${OBSERVER:-}" ] || return 0
  kill -TERM "$OBSERVER" 2>/dev/null || true
  wait "$OBSERVER" 2>/dev/null || true
  local pid rest=()
  for pid in "${BACKGROUND[@]}"; do [ "$pid" = "$OBSERVER" ] || rest+=("$pid"); done
  BACKGROUND=("${rest[@]}")
  OBSERVER=
}

# cpu_busy: the share of the machine's CPU in use over one second, in percent.
cpu_busy() {
  local a b
  a=$(head -n 1 /proc/stat)
  sleep 1
  b=$(head -n 1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); busy = 0; total = 0
    for (i = 2; i <= 9 && i <= n; i++) { d = y[i] - x[i]; total += d; if (i != 5 && i != 6) busy += d }
    printf "%d", (total > 0 ? 100 * busy / total : 0) }'
}

# quiet_before WHAT: the machine is shared; before a timed run, waits up to BENCH_WAIT_QUIET
# seconds (30) for it to be nearly idle (under 15% CPU in use), and warns if it is not.
quiet_before() {
  local what=$1 deadline=$((SECONDS + ${BENCH_WAIT_QUIET:-30})) busy
  while :; do
    busy=$(cpu_busy)
    [ "$busy" -ge 15 ] || return 0
    [ $SECONDS -lt "$deadline" ] || break
  done
  echo "    warning: the machine is busy before $what ($busy% CPU in use by other work," \
    "load $(cut -d ' ' -f 1 /proc/loadavg)): the figures below will be low"
  BUSY_WARNINGS+=("$what: $busy% CPU in use by other work")
}
BUSY_WARNINGS=()

# CPU seconds the whole machine has been busy (user, system, irq, steal) since boot.
machine_busy_seconds() {
  awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}
