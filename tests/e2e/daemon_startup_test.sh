# overgangd's start-up: bad configuration, a port in use, a schema newer or older than the
# build, no database at all, SIGHUP, and no secret in the log.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

known=$("$OVERGANG" version | sed -E 's/.*schema version ([0-9]+).*/\1/')

# start_daemon CONF: runs overgangd in the background; sets $pid and $base.
start_daemon() {
  "$OVERGANGD" -c "$1" 2>>"$TEST_TMP/daemon.log" &
  pid=$!
  cleanup "kill -9 $pid 2>/dev/null"
}

write_conf() { # PORT [EXTRA DATABASE LINES]
  printf '[daemon]\nlisten = 127.0.0.1:%s\n[database]\nconninfo = host=%s port=%s dbname=%s user=postgres%s\nreconnect_max = 500ms\ncheck_interval = 200ms\n%s' \
    "$1" "$PGHOST" "$PGPORT" "$PGDATABASE" "${3:-}" "${2:-}" >"$TEST_TMP/d.conf"
}

step "an unknown key stops start-up with FILE:LINE"
printf '[daemon]\nlisten = 127.0.0.1:1\nworkers = 4\n' >"$TEST_TMP/bad.conf"
if out=$("$OVERGANGD" -c "$TEST_TMP/bad.conf" 2>&1); then fail "started with an unknown key"; else rc=$?; fi
assert_eq 1 "$rc" "exit status"
assert_eq "overgangd: $TEST_TMP/bad.conf:3: unknown key 'workers' in [daemon]" "$out" "message"

step "a missing configuration file is named"
if out=$("$OVERGANGD" -c "$TEST_TMP/none.conf" 2>&1); then fail "started without a file"; fi
assert_contains "$out" "$TEST_TMP/none.conf: cannot read the configuration" "message"

step "a port already in use is a clear error and exit 1"
new_db 1
port=$(free_port)
exec 7< <(exec nc -l 127.0.0.1 "$port" 2>/dev/null || sleep 30)
holder_pid=$!
cleanup "kill $holder_pid 2>/dev/null"
wait_for 5 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$port)" || {
  # no netcat here: hold the port with a second overgangd
  write_conf "$port"
  start_daemon "$TEST_TMP/d.conf"
  wait_for 10 status_is 200 http://127.0.0.1:$port/healthz
}
write_conf "$port"
if out=$("$OVERGANGD" -c "$TEST_TMP/d.conf" 2>&1); then fail "started on a port in use"; else rc=$?; fi
assert_eq 1 "$rc" "exit status on a port in use"
assert_contains "$out" "cannot listen on 127.0.0.1:$port: Address already in use" "port in use message"
[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null; pid=""

step "a database schema newer than the build: the daemon refuses to run and says which"
new_db 2
sql "INSERT INTO overgang.schema_migrations (version, name, checksum) VALUES ($((known + 1)), 'future', 'x')"
port=$(free_port)
write_conf "$port"
if out=$(timeout 20 "$OVERGANGD" -c "$TEST_TMP/d.conf" 2>&1); then fail "ran on a newer schema"; else rc=$?; fi
assert_eq 1 "$rc" "exit status on a newer schema"
assert_contains "$out" "the database schema is at version $((known + 1)), newer than this build knows ($known)" "newer schema message"

step "a conninfo with two hosts, the first dead: the daemon connects to the second"
new_db 4
port=$(free_port)
printf '[daemon]\nlisten = 127.0.0.1:%s\n[database]\nconninfo = host=127.0.0.1,127.0.0.1 port=%s,%s dbname=%s user=postgres\ncheck_interval = 200ms\n' \
  "$port" "$(free_port)" "$PGPORT" "$PGDATABASE" >"$TEST_TMP/multi.conf"
start_daemon "$TEST_TMP/multi.conf"
wait_for 10 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready with a second host: $(curl -s http://127.0.0.1:$port/readyz) $(tail -n 5 "$TEST_TMP/daemon.log")"
kill -TERM $pid; wait $pid || fail "exit status after SIGTERM was $?"

step "an empty database: not ready until 'overgang migrate', then ready without a restart"
new_empty_db 3
port=$(free_port)
write_conf "$port"
start_daemon "$TEST_TMP/d.conf"
base="http://127.0.0.1:$port"
wait_for 10 status_is 200 $base/healthz || fail "no /healthz"
wait_for 5 bash -c "curl -s $base/readyz | grep -q 'overgang migrate'" || fail "/readyz does not ask for a migration: $(curl -s $base/readyz)"
assert_eq 503 "$(http_status $base/readyz)" "/readyz before migrating"
"$OVERGANG" migrate >/dev/null
wait_for 5 status_is 200 $base/readyz || fail "/readyz not 200 after migrating"
kill -TERM $pid; wait $pid || fail "exit status after SIGTERM was $?"

step "no database at all: alive, not ready, and the password never reaches the log"
port=$(free_port)
dead=$(free_port)
printf '[daemon]\nlisten = 127.0.0.1:%s\nlog_file = %s\n[database]\nconninfo = host=127.0.0.1 port=%s user=someone password=Sekret-Kodeord-42 dbname=x\nreconnect_max = 200ms\n' \
  "$port" "$TEST_TMP/file.log" "$dead" >"$TEST_TMP/nodb.conf"
start_daemon "$TEST_TMP/nodb.conf"
base="http://127.0.0.1:$port"
wait_for 10 status_is 200 $base/healthz || fail "no /healthz without a database"
assert_eq 503 "$(http_status $base/readyz)" "/readyz without a database"
assert_contains "$(curl -s $base/readyz | jq -r .detail)" "the database does not answer" "detail"
sleep 1
grep -q "Sekret-Kodeord-42" "$TEST_TMP/file.log" "$TEST_TMP/daemon.log" && fail "the database password is in the log"
grep -q '"msg":"database unavailable; reconnecting"' "$TEST_TMP/file.log" || fail "the outage is not logged in the log file"

step "SIGHUP reopens the log file (after rotation)"
mv "$TEST_TMP/file.log" "$TEST_TMP/file.log.1"
kill -HUP $pid
wait_for 5 test -s "$TEST_TMP/file.log" || fail "no new log file after SIGHUP"
assert_contains "$(cat "$TEST_TMP/file.log")" '"msg":"log reopened"' "new log file"
kill -0 $pid || fail "the daemon died on SIGHUP"
kill -TERM $pid; wait $pid || fail "exit status after SIGTERM was $?"
