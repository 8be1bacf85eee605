# Workflows that misbehave: each bad step fails with a clear error and the Lua traceback, is
# retried with backoff, and marks its case stuck; every other case runs on; an administrator
# retries a stuck case.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/sandbox.lua" >/dev/null
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/no-tovholder.lua" >/dev/null
seed_cases sandbox 5
seed_cases no-tovholder 1
rm -f /tmp/overgang-escaped

write_conf "$TEST_TMP/d.conf" "workers = 1" "max_attempts = 2" "retry_base = 100ms" "lua_instructions = 2000" "lua_memory = 16"
daemon_start d "$TEST_TMP/d.conf"

ids=($(sql "SELECT id FROM overgang.cases WHERE workflow_name = 'sandbox' ORDER BY id"))
send() { sql "INSERT INTO overgang.event (case_id, type, source, idem_key) VALUES ($1, '$2', 'test', '$2')"; }
send "${ids[0]}" escape
send "${ids[1]}" spin
send "${ids[2]}" hog
send "${ids[3]}" fine
send "${ids[4]}" fine

step "the bad steps end stuck, the good ones done"
wait_for 30 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.cases WHERE status = 'stuck'\") = 4 ]" ||
  fail "expected 4 stuck cases, have: $(sql "SELECT string_agg(id || ':' || status, ' ') FROM overgang.cases")"
assert_eq "true" "$(sql "SELECT state->>'fine' FROM overgang.cases WHERE id = ${ids[3]}")" "a good case ran"
assert_eq "true" "$(sql "SELECT state->>'fine' FROM overgang.cases WHERE id = ${ids[4]}")" "another good case ran"
[ ! -e /tmp/overgang-escaped ] || fail "os.execute ran"

error_of() { sql "SELECT last_error FROM overgang.event WHERE case_id = $1 AND type = '$2'"; }
assert_contains "$(error_of "${ids[0]}" escape)" "'os' is not available in a workflow" "os.execute"
assert_contains "$(error_of "${ids[0]}" escape)" "stack traceback" "traceback"
assert_contains "$(error_of "${ids[1]}" spin)" "instruction budget exceeded" "endless loop"
assert_contains "$(error_of "${ids[2]}" hog)" "memory budget exceeded" "unbounded allocation"
assert_eq "2" "$(sql "SELECT attempts FROM overgang.event WHERE case_id = ${ids[1]} AND type = 'spin'")" "attempts before stuck"
assert_contains "$(sql "SELECT stuck_reason FROM overgang.cases WHERE id = ${ids[1]}")" "instruction budget exceeded" "stuck reason"
nt=$(sql "SELECT id FROM overgang.cases WHERE workflow_name = 'no-tovholder'")
assert_contains "$(sql "SELECT stuck_reason FROM overgang.cases WHERE id = $nt")" "after the 'started' handler the case has no tovholder" "the one-tovholder rule"
assert_eq "0" "$(sql "SELECT revision FROM overgang.cases WHERE id = $nt")" "nothing of the refused step was written"
kill -0 "$(daemon_pid d)" || fail "the daemon died"

step "case list shows an administrator the stuck cases and why"
list=$("$OVERGANG" case list --status stuck)
assert_eq "5" "$(wc -l <<<"$list")" "a header and four stuck cases"
assert_contains "$list" "instruction budget exceeded" "why stuck"
assert_contains "$list" "no-tovholder" "the case without a tovholder"

step "the API shows an administrator the same: workflow, version, file and line, case and event"
port=$(grep '"msg":"overgangd listening"' "$TEST_TMP/d.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')
sql "INSERT INTO overgang.staff (id, name) VALUES ('admin1', 'Admin')" >/dev/null
token=$("$OVERGANG" token create --staff admin1 --role administrator 2>/dev/null)
stuck=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/admin/stuck-cases?limit=10")
item=$(jq -c ".items[] | select(.id == ${ids[0]})" <<<"$stuck")
assert_eq "sandbox 1 escape" "$(jq -r '"\(.workflow) \(.version) \(.event.type)"' <<<"$item")" "workflow, version and event type"
assert_eq "$(sql "SELECT id FROM overgang.event WHERE case_id = ${ids[0]} AND type = 'escape'")" "$(jq -r .event.id <<<"$item")" "the event's number"
grep -Eq 'sandbox\.lua:[0-9]+:' <<<"$(jq -r .event.last_error <<<"$item")" ||
  fail "the file and line: $(jq -r .event.last_error <<<"$item" | head -n 2)"
assert_contains "$(jq -r .event.last_error <<<"$item")" "'os' is not available in a workflow" "the error"

step "case show tells an administrator why, and the read is in the access log"
show=$(USER=admin1 "$OVERGANG" case show "${ids[1]}" --why "fejlsøgning")
assert_eq "1" "$(sql "SELECT count(*) FROM overgang.access_log WHERE case_id = ${ids[1]} AND actor = 'admin1' AND action = 'case.read' AND reason = 'fejlsøgning'")" "access log rows"
if out=$(sql "DELETE FROM overgang.access_log" 2>&1); then fail "the access log could be deleted"; fi
assert_contains "$out" "access_log rows are immutable" "append-only"
assert_contains "$show" "status     stuck: " "case show status"
step "case retry runs a stuck case again"
assert_contains "$show" "instruction budget exceeded" "case show error"
send "${ids[1]}" fine
out=$("$OVERGANG" case retry "${ids[1]}")
assert_contains "$out" "case ${ids[1]} is active again" "case retry"
wait_for 10 bash -c "[ \"\$(psql -qAtX -c \"SELECT status FROM overgang.cases WHERE id = ${ids[1]}\")\" = stuck ]" ||
  fail "the retried case should fail again on its endless loop"
assert_eq "" "$(sql "SELECT state->>'fine' FROM overgang.cases WHERE id = ${ids[1]}")" "a later event must not overtake the failing one"
if out=$("$OVERGANG" case retry "${ids[3]}" 2>&1); then fail "retry of an active case succeeded"; fi
assert_contains "$out" "is not stuck" "retry of an active case"
daemon_stop d
