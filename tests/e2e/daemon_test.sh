# overgangd against a PostgreSQL of its own: health, readiness, metrics; PostgreSQL stopped
# and started again under the same daemon process; SIGTERM.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

step "a cluster of this test's own (it is stopped and started below)"
"$PG" start --fast "$TEST_TMP/pg" >/dev/null
cleanup "'$PG' stop '$TEST_TMP/pg'"
# shellcheck disable=SC1091
source "$TEST_TMP/pg/env"
createdb overgang
export PGDATABASE=overgang
"$OVERGANG" migrate >/dev/null

port=$(free_port)
cat >"$TEST_TMP/overgang.conf" <<CONF
[daemon]
listen = 127.0.0.1:$port
shutdown_timeout = 3s
[database]
conninfo = host=127.0.0.1 port=$PGPORT dbname=overgang user=postgres
reconnect_max = 1s
check_interval = 500ms
CONF
base="http://127.0.0.1:$port"

"$OVERGANGD" -c "$TEST_TMP/overgang.conf" 2>"$TEST_TMP/daemon.log" &
pid=$!
cleanup "kill -9 $pid 2>/dev/null"

step "/healthz and /readyz answer 200"
wait_for 10 status_is 200 $base/healthz || fail "/healthz did not answer 200: $(cat "$TEST_TMP/daemon.log")"
wait_for 5 status_is 200 $base/readyz || fail "/readyz did not turn 200: $(curl -s $base/readyz)"
ready=$(curl -s "$base/readyz")
assert_eq "ready" "$(jq -r .status <<<"$ready")" "/readyz status"
assert_eq "$("$OVERGANG" version | sed -E 's/.*schema version ([0-9]+).*/\1/')" "$(jq -r .schema_version <<<"$ready")" "/readyz schema version"

step "/metrics is Prometheus text"
curl -s -D "$TEST_TMP/headers" "$base/metrics" >"$TEST_TMP/metrics"
assert_contains "$(cat "$TEST_TMP/headers")" "Content-Type: text/plain; version=0.0.4" "metrics content type"
# Every line is a HELP or TYPE comment or a sample: name{label="value",...} number.
bad=$(grep -vE '^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$' "$TEST_TMP/metrics" |
  grep -vE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.]+([eE][-+]?[0-9]+)?|[+-]Inf|NaN)$' || true)
[ -z "$bad" ] || fail "lines that are not Prometheus text: $bad"
metrics=$(cat "$TEST_TMP/metrics")
assert_contains "$metrics" 'overgang_build_info{version="' "build info"
assert_contains "$metrics" 'overgang_database_up 1' "database up"
assert_contains "$metrics" 'overgang_http_requests_total{route="/healthz",method="GET",status="200"}' "requests by route and status"
assert_contains "$metrics" 'overgang_http_request_duration_seconds_bucket{route="/readyz",method="GET",status="200",le="+Inf"}' "latency histogram"
grep -qE '^overgang_uptime_seconds [0-9.]+$' "$TEST_TMP/metrics" || fail "no uptime"
# Each histogram's +Inf bucket equals its count.
inf=$(sed -nE 's/^overgang_http_request_duration_seconds_bucket\{route="\/healthz",method="GET",status="200",le="\+Inf"\} ([0-9]+)$/\1/p' "$TEST_TMP/metrics")
count=$(sed -nE 's/^overgang_http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} ([0-9]+)$/\1/p' "$TEST_TMP/metrics")
assert_eq "$inf" "$count" "+Inf bucket equals count"

step "an unknown path is a problem+json 404, a wrong method 405"
body=$(curl -s -D "$TEST_TMP/h404" "$base/v1/nothing")
assert_contains "$(cat "$TEST_TMP/h404")" "application/problem+json" "404 content type"
assert_eq "404" "$(jq -r .status <<<"$body")" "404 status member"
assert_eq "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/healthz")" "POST /healthz"

step "PostgreSQL stops: the daemon stays up and /readyz turns 503 within 5 s"
"$PG" stop "$TEST_TMP/pg"
wait_for 5 status_is 503 $base/readyz || fail "/readyz still $(http_status $base/readyz) 5 s after PostgreSQL stopped"
problem=$(curl -s -D "$TEST_TMP/h503" "$base/readyz")
assert_contains "$(cat "$TEST_TMP/h503")" "application/problem+json" "503 content type"
assert_contains "$(jq -r .detail <<<"$problem")" "the database does not answer" "503 detail"
assert_eq "200" "$(http_status $base/healthz)" "/healthz while the database is down"
kill -0 $pid || fail "the daemon exited when PostgreSQL stopped"
assert_contains "$(curl -s $base/metrics)" "overgang_database_up 0" "metrics show the database down"

step "PostgreSQL returns: /readyz is 200 again within 10 s, same daemon process"
"$PG" start --fast "$TEST_TMP/pg" >/dev/null
wait_for 10 status_is 200 $base/readyz || fail "/readyz did not return to 200 within 10 s"
kill -0 $pid || fail "the daemon process is gone"
assert_eq "1" "$(grep -c '"msg":"database unavailable; reconnecting"' "$TEST_TMP/daemon.log")" "the outage is logged once"

step "every log line is a JSON object with time, level and msg"
jq -e 'select((.time|type) != "string" or (.level|type) != "string" or (.msg|type) != "string")' "$TEST_TMP/daemon.log" >/dev/null 2>&1 &&
  fail "a log line lacks time, level or msg"
jq -c . "$TEST_TMP/daemon.log" >/dev/null || fail "a log line is not JSON: $(cat "$TEST_TMP/daemon.log")"

step "SIGTERM: exit 0 within 5 s"
kill -TERM $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "the daemon still runs 5 s after SIGTERM"
wait $pid && rc=0 || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
assert_contains "$(tail -n 1 "$TEST_TMP/daemon.log")" '"msg":"stopped"' "last log line"
