# shellcheck shell=bash
# The import measure: how long the personregister plugin takes to import a person-register
# extract of BENCH_IMPORT_LINES lines (1,000,000) into an empty database, and to import the
# same extract again (every citizen unchanged). The extract is generated first (untimed) by
# scripts/demo.d/make-extract.py; the time is the import's own, from its report (started_at
# to finished_at), with the wall time from POST to done beside it.
#
#   BENCH_IMPORT_LINES   lines in the extract (1,000,000)
#   BENCH_IMPORT_BATCH   [plugin.personregister] batch_size (1000)

IMPORT_TARGET=60 # seconds for 1,000,000 lines on the 2-core machine

# import_once URL TOKEN: imports extract.csv through the daemon and waits; sets IMPORT_REPORT and
# IMPORT_WALL (seconds from POST to done).
import_once() {
  local url=$1 token=$2 id t0 t1 state
  t0=$(date +%s.%N)
  id=$(curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"file": "extract.csv"}' "$url/v1/plugins/personregister/imports" | jq -r .id) ||
    fail "import: POST imports failed"
  while :; do
    IMPORT_REPORT=$(curl -sf -H "Authorization: Bearer $token" "$url/v1/plugins/personregister/imports/$id")
    state=$(jq -r .state <<<"$IMPORT_REPORT")
    [ "$state" = running ] || [ "$state" = queued ] || break
    sleep 0.2
  done
  t1=$(date +%s.%N)
  [ "$state" = "done" ] || fail "import: the import ended $state: $(jq -c 'del(.refused_lines)' <<<"$IMPORT_REPORT")"
  IMPORT_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# import_seconds: the import's own time, from started_at to finished_at of its report.
import_seconds() {
  jq -r '[.started_at, .finished_at]
         | map(capture("T(?<h>..):(?<m>..):(?<s>..\\.[0-9]+)Z") | (.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber))
         | .[1] - .[0] | if . < 0 then . + 86400 else . end | . * 100 | round / 100' <<<"$IMPORT_REPORT"
}

bench_import() {
  : "${BENCH_IMPORT_LINES:=1000000}" "${BENCH_IMPORT_BATCH:=1000}"
  say "import: a generated extract of $BENCH_IMPORT_LINES lines (untimed)"
  new_bench_db bench_import
  local dir=$BENCH_DIR/import
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 "$TOP/scripts/demo.d/make-extract.py" --lines "$BENCH_IMPORT_LINES" "$dir/extract.csv"
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/cpr.key")
  sql "INSERT INTO overgang.staff (id, name) VALUES ('bench-admin', 'Benchmark')"
  local token
  token=$("$OVERGANG" token create --staff bench-admin --role administrator 2>/dev/null)
  local conf=$BENCH_DIR/import.conf
  write_conf "$conf" "workers = 0"
  cat >>"$conf" <<CONF
[api]
cpr_key_file = $dir/cpr.key
[plugin.personregister]
path = $TOP/build/bench/personregister.so
import_dir = $dir
attributes = funktionsnedsaettelse
batch_size = $BENCH_IMPORT_BATCH
CONF
  daemon_start import "$conf"
  local url
  url=$(conf_url "$conf")
  sql "CHECKPOINT"
  quiet_before import
  local pid pg_cpu0 secs lines
  pid=${DAEMONS[import]}
  # shellcheck disable=SC2046 # one pid a word
  pg_cpu0=$(cpu_seconds $(postgres_pids))
  local load0
  load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
  say "import: $BENCH_IMPORT_LINES lines into an empty database (load before: $load0)"
  import_once "$url" "$token"
  secs=$(import_seconds)
  lines=$(jq -r .lines <<<"$IMPORT_REPORT")
  echo "    $(jq -r '"\(.lines) lines: \(.added) added, \(.changed) changed, \(.unchanged) unchanged, \(.refused) refused"' <<<"$IMPORT_REPORT")"
  # shellcheck disable=SC2046
  awk -v s="$secs" -v w="$IMPORT_WALL" -v n="$lines" -v dc="$(cpu_seconds "$pid")" \
    -v pc="$(awk -v a="$(cpu_seconds $(postgres_pids))" -v b="$pg_cpu0" 'BEGIN { print a - b }')" 'BEGIN {
      printf "    %.2f s (%d lines/s); %.2f s from POST to done; CPU: overgangd %.1f s, PostgreSQL %.1f s\n",
             s, n / s, w, dc, pc }'
  echo "    load after: $(cut -d ' ' -f 1-3 /proc/loadavg)"
  [ "$(jq -r .added <<<"$IMPORT_REPORT")" = "$BENCH_IMPORT_LINES" ] ||
    fail "import: $(jq -r .added <<<"$IMPORT_REPORT") citizens added where $BENCH_IMPORT_LINES were generated"
  record import.seconds "$secs" s "$BENCH_IMPORT_LINES lines; $IMPORT_TARGET s per 1,000,000 on the 2-core machine" \
    "<= $(awk -v t="$IMPORT_TARGET" -v n="$BENCH_IMPORT_LINES" 'BEGIN { printf "%.1f", t * n / 1000000 }')"
  record import.lines_per_second "$(awk -v s="$secs" -v n="$BENCH_IMPORT_LINES" 'BEGIN { printf "%d", n / s }')" lines/s

  sql "VACUUM (ANALYZE) overgang.citizen, overgang.citizen_cpr"
  quiet_before import.again
  say "import: the same extract again (every citizen unchanged)"
  import_once "$url" "$token"
  secs=$(import_seconds)
  echo "    $(jq -r '"\(.lines) lines: \(.added) added, \(.changed) changed, \(.unchanged) unchanged, \(.refused) refused"' <<<"$IMPORT_REPORT")"
  echo "    $secs s; $IMPORT_WALL s from POST to done"
  [ "$(jq -r .unchanged <<<"$IMPORT_REPORT")" = "$BENCH_IMPORT_LINES" ] ||
    fail "import: the second import did not find every citizen unchanged"
  record import.again "$secs" s "the same $BENCH_IMPORT_LINES lines again: all unchanged"
  daemon_stop import
}
