# The engine gives a new case to the least busy active member of the department, counting
# not only the cases its own steps assigned: a tovholder role a person hands on through the
# API counts at once, and a change made otherwise (here, in the database) once the daemon
# reads its staff directory again ([engine] directory_refresh).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory # born-familie: anna (lead) and bo
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
# start NAME REFRESH: a daemon with one worker that reads its directory again every REFRESH.
start() {
  write_conf "$TEST_TMP/$1.conf" "workers = 1" "directory_refresh = $2"
  daemon_start "$1" "$TEST_TMP/$1.conf"
  wait_for 10 grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log" || fail "not listening"
  port=$(grep '"msg":"overgangd listening"' "$TEST_TMP/$1.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')
  wait_for 10 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready"
}
start d 1h # in the first steps only what the daemon is told counts, not the time passing

# tovholders: the tovholder of each case, in case order.
tovholders() { sql "SELECT string_agg(tovholder, ' ' ORDER BY id) FROM overgang.cases"; }

step "two cases: one each"
seed_cases counter 2
wait_drained 20
assert_eq "anna bo" "$(tovholders)" "the first two cases"
read -r c1 c2 <<<"$(sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM overgang.cases")"

step "bo hands his case to anna through the API: the next case is bo's"
token=$("$OVERGANG" token create --staff bo --role tovholder 2>/dev/null)
status=$(curl -s -o "$TEST_TMP/handover.json" -w '%{http_code}' -X PUT \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -H "If-Match: \"$(sql "SELECT revision FROM overgang.cases WHERE id = $c2")\"" \
  -d '{"staff": "anna", "reason": "Bo går på orlov"}' "http://127.0.0.1:$port/v1/cases/$c2/tovholder")
assert_eq 200 "$status" "the handover: $(cat "$TEST_TMP/handover.json")"
seed_cases counter 1
wait_drained 20
assert_eq "anna anna bo" "$(tovholders)" "anna holds two, so the third case is bo's"

step "cases moved in the database directly count once the directory is read again"
daemon_stop d
start d2 2s
seed_cases counter 1
wait_drained 20
assert_eq "anna anna bo bo" "$(tovholders)" "two each"
sql "UPDATE overgang.cases SET tovholder = 'anna' WHERE tovholder = 'bo'" >/dev/null
sleep 3 # past directory_refresh
seed_cases counter 1
wait_drained 20
assert_eq "anna anna anna anna bo" "$(tovholders)" "anna holds four, so the fifth case is bo's"
daemon_stop d2
