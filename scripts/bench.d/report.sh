# shellcheck shell=bash
# The report measure: the effect report over every case, as a manager asks for it through the
# daemon (GET /v1/reports/effect for the whole period since the first case started), on the
# api measure's national data set (its goals, baselines and follow-ups; seeded here when the
# api measure did not run before). Target: at most 5 s. The deadline report
# (GET /v1/reports/deadlines-met) is timed alongside, without a target.

REPORT_TARGET_S=5

# report_time URL TOKEN PATH: seconds for one answer (fails on anything but 200).
report_time() {
  local out code secs
  out=$(curl -s -o "$BENCH_DIR/report-answer.json" -w '%{http_code} %{time_total}' --max-time 120 \
    -H "Authorization: Bearer $2" "$1$3") || fail "report: GET $3 failed"
  read -r code secs <<<"$out"
  [ "$code" = 200 ] ||
    fail "report: GET $3 answered $code: $(head -c 300 "$BENCH_DIR/report-answer.json")"
  echo "$secs"
}

bench_report() {
  api_defaults
  if [ "${API_SEEDED:-}" != 1 ]; then
    say "report: the api measure's data set (untimed)"
    api_seed
    API_SEEDED=1
  fi
  export PGDATABASE=bench_api
  local token conf url from to secs goals
  token=$("$OVERGANG" token create --staff s00001 --role manager --label bench 2>/dev/null) ||
    fail "report: overgang token create --staff s00001 --role manager failed"
  conf=$BENCH_DIR/report.conf
  write_conf "$conf" "workers = $BENCH_WORKERS" "batch_size = $BENCH_BATCH"
  daemon_start report "$conf"
  url=$(conf_url "$conf")
  IFS='|' read -r from to goals <<<"$(sql "SELECT min(started_at)::date, current_date,
                                               (SELECT count(*) FROM overgang.goal)
                                          FROM overgang.cases")"
  report_time "$url" "$token" "/v1/reports/effect?from=$from&to=$to" >/dev/null # warm-up
  quiet_before report
  secs=$(report_time "$url" "$token" "/v1/reports/effect?from=$from&to=$to")
  echo "    effect report, $from to $to ($goals goals): $secs s;" \
    "$(jq -c '[.rows[]? | {instrument, improved, unchanged, worse}] | .[0:3]' \
      "$BENCH_DIR/report-answer.json" 2>/dev/null | head -c 300)"
  record report.seconds "$(printf '%.2f' "$secs")" s "the effect report over every case" "<= $REPORT_TARGET_S"
  secs=$(report_time "$url" "$token" "/v1/reports/deadlines-met?from=$from&to=$to")
  echo "    deadlines-met report: $secs s"
  record report.deadlines_seconds "$(printf '%.2f' "$secs")" s "the deadline report over every case"
  daemon_stop report
}
