# The database named by a host name: the daemon resolves it off its event loop, so a name
# server that takes its time does not stop the daemon answering, and a name that does not
# resolve is logged as such while the daemon keeps trying. The name server's part is played
# by a preloaded getaddrinfo (tests/e2e/slow_dns.c): "db.slow.test" answers 127.0.0.1 after
# 3 s, "db.two.test" answers 127.0.0.2 (no server) and 127.0.0.1, "db.none.test" is unknown.
# (libpq resolves a host name with a blocking call.)
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
shim="$OVERGANG_BIN/test-plugins/slow_dns.so"
[ -f "$shim" ] || fail "the name server stand-in is not built: $shim"

# start NAME HOST: a daemon whose database is at HOST (the test cluster's port); sets $base.
start() {
  write_conf "$TEST_TMP/$1.conf" "workers = 1"
  sed -i "s/^conninfo = host=[^ ]*/conninfo = host=$2/" "$TEST_TMP/$1.conf"
  grep -q "conninfo = host=$2 port=$PGPORT" "$TEST_TMP/$1.conf" || fail "conninfo: $(grep conninfo "$TEST_TMP/$1.conf")"
  LD_PRELOAD=$shim ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$OVERGANGD" -c "$TEST_TMP/$1.conf" 2>>"$TEST_TMP/$1.log" &
  echo $! >"$TEST_TMP/$1.pid"
  cleanup "kill -9 $! 2>/dev/null"
  wait_for 10 grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log" ||
    fail "$1 is not listening: $(tail -n 3 "$TEST_TMP/$1.log")"
  local port
  port=$(grep '"msg":"overgangd listening"' "$TEST_TMP/$1.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')
  base=http://127.0.0.1:$port
}
quick() { curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 "$1"; }

step "a host name that takes 3 s to resolve: the daemon answers at once meanwhile, then connects"
t0=$SECONDS
start slow db.slow.test
answers=0
while [ $((SECONDS - t0)) -lt 3 ]; do
  assert_eq 200 "$(quick "$base/healthz")" "/healthz while the name is resolved"
  answers=$((answers + 1))
  sleep 0.2
done
echo "/healthz answered $answers times within 0.5 s each while the host name was resolved"
[ "$answers" -ge 5 ] || fail "too few answers to tell: $answers"
wait_for 10 status_is 200 "$base/readyz" || fail "not ready once the name resolved: $(tail -n 3 "$TEST_TMP/slow.log")"
daemon_stop slow

step "a host name with two addresses, the first with no server: the daemon connects to the second"
start two db.two.test
wait_for 10 status_is 200 "$base/readyz" || fail "not ready: $(tail -n 3 "$TEST_TMP/two.log")"
daemon_stop two

step "a host name that does not resolve: logged as such, and the daemon keeps answering"
start none db.none.test
wait_for 5 grep -q 'could not translate host name \\"db.none.test\\"' "$TEST_TMP/none.log" ||
  fail "no word of the name: $(tail -n 3 "$TEST_TMP/none.log")"
assert_eq 200 "$(quick "$base/healthz")" "/healthz"
assert_eq 503 "$(quick "$base/readyz")" "/readyz without the database"
daemon_stop none
