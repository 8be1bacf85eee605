# Plugins: the loader refuses a plugin built for another ABI, one without a descriptor and one
# whose init fails, each with a message naming the file; an optional plugin that fails does
# not stop the daemon. The example plugin serves its routes, puts events into cases once per
# key, and delivers the outbox: delivered, retried then parked, parked at once, never lost
# when the daemon is killed mid-delivery, and never handed to a daemon without the plugin.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 2
plugins="$OVERGANG_BIN/test-plugins"

# refused NAME FILE EXPECTED [EXTRA CONFIG LINES]: the daemon does not start, and says why
refused() {
  local name=$1 file=$2 expected=$3; shift 3
  write_conf "$TEST_TMP/$name.conf" "workers = 0"
  { printf '[plugin.%s]\npath = %s\n' "$name" "$file"; for l in "$@"; do echo "$l"; done; } >>"$TEST_TMP/$name.conf"
  local rc=0
  timeout 10 "$OVERGANGD" -c "$TEST_TMP/$name.conf" 2>"$TEST_TMP/$name.log" || rc=$?
  assert_eq 1 "$rc" "exit status with $name"
  assert_contains "$(cat "$TEST_TMP/$name.log")" "$expected" "$name's message"
}

listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log"; }

step "a plugin built for another ABI major is refused, naming the file and both ABIs"
refused test-wrong-major "$plugins/test_wrong_major.so" \
  "test_wrong_major.so was built for plugin ABI 2.1; this overgangd has ABI 1.1"
step "a plugin built for a newer ABI minor is refused"
refused test-newer-minor "$plugins/test_newer_minor.so" \
  "test_newer_minor.so was built for plugin ABI 1.2, newer than this overgangd's 1.1"
step "a shared object without the descriptor is refused"
refused test-no-descriptor "$plugins/test_no_descriptor.so" \
  "test_no_descriptor.so is not an overgang plugin: it exports no overgang_plugin descriptor"
step "a file that is not there is refused"
refused nothing "$TEST_TMP/nothing.so" "cannot load plugin $TEST_TMP/nothing.so"
step "a plugin whose init fails stops start-up, with its own message in the log"
refused test-failing-init "$plugins/test_failing_init.so" "plugin test-failing-init"
assert_contains "$(cat "$TEST_TMP/test-failing-init.log")" "no endpoint configured" "the plugin's own log line"
step "a plugin configured under another name is refused"
refused other "$OVERGANG_BIN/example.so" "is the plugin 'example', but is configured as [plugin.other]"

step "an optional plugin that fails to start leaves the daemon running without it"
write_conf "$TEST_TMP/opt.conf" "workers = 0"
printf '[plugin.test-failing-init]\npath = %s\noptional = true\n' "$plugins/test_failing_init.so" >>"$TEST_TMP/opt.conf"
daemon_start opt "$TEST_TMP/opt.conf"
wait_for 10 listening opt || fail "the daemon with an optional failing plugin did not start: $(tail -n 3 "$TEST_TMP/opt.log")"
assert_contains "$(cat "$TEST_TMP/opt.log")" "an optional plugin did not start" "warning"
daemon_stop opt

step "a plugin built on its own, with only engine/include and libevent, loads into this daemon"
cc -shared -fPIC -Wall -Werror -I"$OVERGANG_SRC/engine/include" -o "$TEST_TMP/example.so" \
  "$OVERGANG_SRC/plugins/example/example.c" $(pkg-config --cflags --libs libevent) ||
  fail "the example plugin does not build against the public header alone"
write_conf "$TEST_TMP/sep.conf" "workers = 0"
printf '[plugin.example]\npath = %s\n' "$TEST_TMP/example.so" >>"$TEST_TMP/sep.conf"
daemon_start sep "$TEST_TMP/sep.conf"
listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log"; }
wait_for 10 listening sep || fail "the separately built plugin did not load: $(tail -n 3 "$TEST_TMP/sep.log")"
assert_contains "$(cat "$TEST_TMP/sep.log")" "\"path\":\"$TEST_TMP/example.so\"" "loaded from its own build"
daemon_stop sep

# The example plugin, with quick retries and a short lease.
example_conf() { # FILE
  write_conf "$1" "workers = 1" "outbox_lease = 2s" "outbox_max_attempts = 3"
  printf '[plugin.example]\npath = %s\ngreeting = hallo\ntick_interval = 1\n' "$OVERGANG_BIN/example.so" >>"$1"
}
port_of() { grep '"msg":"overgangd listening"' "$TEST_TMP/$1.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/'; }
example_conf "$TEST_TMP/ex.conf"
daemon_start ex "$TEST_TMP/ex.conf"
wait_for 10 listening ex || fail "the example plugin's daemon did not start: $(tail -n 3 "$TEST_TMP/ex.log")"
url="http://127.0.0.1:$(port_of ex)"
assert_contains "$(cat "$TEST_TMP/ex.log")" '"msg":"plugin loaded"' "loaded"
wait_drained 10

step "the plugin's route answers under /v1/plugins/example/"
assert_eq '{"greeting":"hallo"}' "$(curl -s "$url/v1/plugins/example/hello")" "hello"

step "an event from the plugin lands in its case once per key, and the case steps it"
for _ in 1 2; do
  out=$(curl -s -X POST -H 'Idempotency-Key: k1' -d '{}' "$url/v1/plugins/example/cases/1/tick")
  assert_eq '{"case":1}' "$out" "emit answer"
done
assert_eq 1 "$(sql "SELECT count(*) FROM event WHERE case_id = 1 AND type = 'tick' AND source = 'plugin:example'")" "one event for one key"
wait_drained 10
assert_eq 1 "$(sql "SELECT state->>'count' FROM cases WHERE id = 1")" "the workflow counted it"
assert_contains "$(curl -s -X POST -H 'Idempotency-Key: k2' -d '{}' "$url/v1/plugins/example/cases/999/tick")" "no such case" "unknown case"
assert_contains "$(curl -s -X POST -H 'Idempotency-Key: k3' -d '{}' "$url/v1/plugins/example/cases/1/started")" "bad-event" "a reserved type"

step "the outbox: delivered, parked at once, retried then parked; other plugins' rows untouched"
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key) VALUES
       (1, 'example', 'note', '{\"text\": \"ok\"}', 'ok-1'),
       (1, 'example', 'note', '{\"outcome\": \"fail\"}', 'fail-1'),
       (1, 'example', 'note', '{\"outcome\": \"retry\"}', 'retry-1'),
       (1, 'webhook', 'post', '{}', 'other-1')" >/dev/null
outbox() { sql "SELECT status || ':' || attempts FROM outbox WHERE idem_key = '$1'"; }
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT status FROM overgang.outbox WHERE idem_key = 'ok-1'\")\" = delivered ]" ||
  fail "ok-1 not delivered: $(outbox ok-1)"
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT status FROM overgang.outbox WHERE idem_key = 'retry-1'\")\" = parked ]" ||
  fail "retry-1 not parked after 3 attempts: $(outbox retry-1)"
assert_eq "delivered:1" "$(outbox ok-1)" "ok-1"
assert_eq "parked:1" "$(outbox fail-1)" "fail-1 parked at its first failure"
assert_eq "parked:3" "$(outbox retry-1)" "retry-1 after outbox_max_attempts"
assert_eq "the example asked for this" "$(sql "SELECT last_error FROM outbox WHERE idem_key = 'fail-1'")" "the plugin's reason is kept"
assert_eq "pending:0" "$(outbox other-1)" "a row of a plugin this daemon does not load"

step "a workflow that asked for word back gets a delivered or delivery_failed event"
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key, notify) VALUES
       (2, 'example', 'note', '{}', 'told-1', true),
       (2, 'example', 'note', '{\"outcome\": \"fail\"}', 'told-2', true)" >/dev/null
told() { [ "$(sql "SELECT count(*) FROM event WHERE case_id = 2 AND type IN ('delivered', 'delivery_failed')")" = 2 ]; }
wait_for 10 told || fail "the case was not told: $(sql "SELECT string_agg(type, ',') FROM event WHERE case_id = 2")"
assert_eq "delivered:told-1" "$(sql "SELECT type || ':' || (payload->>'key') FROM event WHERE case_id = 2 AND type = 'delivered'")" "delivered event"
assert_eq "the example asked for this" "$(sql "SELECT payload->>'error' FROM event WHERE case_id = 2 AND type = 'delivery_failed'")" "delivery_failed event carries the reason"

step "a workflow calls the plugin's Lua helper; a helper no plugin gives is a clear error"
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/helper.lua" >/dev/null 2>&1 || fail "helper.lua does not deploy"
seed_cases helper 2
hc=$(sql "SELECT min(id) FROM cases WHERE workflow_name = 'helper'")
hc2=$(sql "SELECT max(id) FROM cases WHERE workflow_name = 'helper'")
wait_drained 10
assert_eq "hallo, Sofie" "$(sql "SELECT state->>'hilsen' FROM cases WHERE id = $hc")" "plugins.example.greet"
assert_eq "$hc" "$(sql "SELECT case_id FROM case_ref WHERE system = 'demo' AND ref = 'sag-$hc'")" "case:ref recorded the reference"
assert_eq "{\"case\":$hc}" "$(curl -s -X POST -H 'Idempotency-Key: r1' -d '{"n": 7}' "$url/v1/plugins/example/refs/demo/sag-$hc/ping")" "an event by reference"
wait_drained 10
assert_eq 7 "$(sql "SELECT state->>'pinged' FROM cases WHERE id = $hc")" "the case got it"
assert_contains "$(curl -s -X POST -H 'Idempotency-Key: r2' -d '{}' "$url/v1/plugins/example/refs/demo/sag-0/ping")" "no such case" "an unknown reference"
sql "INSERT INTO event (case_id, type, source, idem_key) VALUES ($hc, 'missing', 'test', 'm'), ($hc2, 'wrong', 'test', 'w')" >/dev/null
failed() { [ "$(sql "SELECT count(*) FROM event WHERE case_id IN ($hc, $hc2) AND last_error IS NOT NULL")" = 2 ]; }
wait_for 10 failed || fail "the helper calls did not fail"
assert_contains "$(sql "SELECT last_error FROM event WHERE case_id = $hc AND type = 'missing'")" "helper.lua:13: plugins.nothere: no plugin of that name gives workflows helpers here" "a plugin not loaded"
assert_contains "$(sql "SELECT last_error FROM event WHERE case_id = $hc2 AND type = 'wrong'")" "helper.lua:14: plugins.example.greet: greet takes one name, a text" "the helper's own refusal"

step "the plugin's periodic job runs every interval, and on an administrator's request"
ticks() { grep -c '"msg":"example tick"' "$TEST_TMP/ex.log" || true; }
wait_for 10 bash -c "[ \$(grep -c '\"msg\":\"example tick\"' '$TEST_TMP/ex.log') -ge 2 ]" || fail "the job did not run twice: $(ticks) runs"
assert_eq "true|" "$(sql "SELECT last_ok || '|' || coalesce(last_error, '') FROM plugin_job WHERE plugin = 'example' AND job = 'tick'")" "the job's record"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/v1/plugins/example/tick")" "run now without a token"
sql "INSERT INTO staff (id, name) VALUES ('admin', 'Admin')" >/dev/null
token=$("$OVERGANG" token create --staff admin --role administrator 2>/dev/null)
assert_contains "$(curl -s -X POST -H "Authorization: Bearer $token" "$url/v1/plugins/example/tick")" '"asked_by":"admin"' "run now as an administrator"
tovtoken=$("$OVERGANG" token create --staff anna --role tovholder 2>/dev/null)
assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $tovtoken" "$url/v1/plugins/example/tick")" "run now as a tovholder"

step "a delivery in flight when the daemon is killed is handed out again after its lease"
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key) VALUES
       (1, 'example', 'note', '{\"outcome\": \"hang\"}', 'hang-1')" >/dev/null
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT attempts FROM overgang.outbox WHERE idem_key = 'hang-1'\")\" = 1 ]" ||
  fail "hang-1 not handed out: $(outbox hang-1)"
kill -9 "$(daemon_pid ex)"
sql "UPDATE outbox SET payload = '{\"text\": \"now it works\"}' WHERE idem_key = 'hang-1'" >/dev/null
daemon_start ex2 "$TEST_TMP/ex.conf"
wait_for 15 bash -c "[ \"\$(psql -qAtX -c \"SELECT status FROM overgang.outbox WHERE idem_key = 'hang-1'\")\" = delivered ]" ||
  fail "hang-1 not delivered after the restart: $(outbox hang-1)"
assert_eq "delivered:2" "$(outbox hang-1)" "delivered on the second hand-out"

step "two daemons share the outbox and never deliver one row twice"
daemon_start ex3 "$TEST_TMP/ex.conf"
wait_for 10 listening ex3 || fail "the second daemon did not start"
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key)
     SELECT 1, 'example', 'note', jsonb_build_object('n', g), 'many-' || g FROM generate_series(1, 300) g" >/dev/null
all_delivered() { [ "$(sql "SELECT count(*) FROM outbox WHERE idem_key LIKE 'many-%' AND status = 'delivered'")" = 300 ]; }
wait_for 30 all_delivered || fail "not all delivered: $(sql "SELECT status, count(*) FROM outbox WHERE idem_key LIKE 'many-%' GROUP BY 1")"
assert_eq 1 "$(sql "SELECT max(attempts) FROM outbox WHERE idem_key LIKE 'many-%'")" "each row handed out once"
sql "SELECT id FROM outbox WHERE idem_key LIKE 'many-%'" >"$TEST_TMP/many.ids"
delivered=$(cat "$TEST_TMP/ex2.log" "$TEST_TMP/ex3.log" | grep -o '"msg":"note [0-9]* delivered' |
  awk -v ids="$TEST_TMP/many.ids" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 } want[$2] { print $2 }' |
  sort | uniq -c)
assert_eq 300 "$(wc -l <<<"$delivered")" "300 rows delivered"
assert_eq "" "$(awk '$1 != 1' <<<"$delivered")" "none delivered twice"
echo "delivered by the first daemon: $(grep -c '"msg":"note [0-9]* delivered' "$TEST_TMP/ex2.log"), by the second: $(grep -c '"msg":"note [0-9]* delivered' "$TEST_TMP/ex3.log")"
daemon_stop ex3
daemon_stop ex2
