# README.md's API walkthrough, run as written against a real daemon with the demo's data:
# the README stays true.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
"$OVERGANG" workflow deploy "$OVERGANG_SRC/workflows/examples/ung-til-voksen.lua" >/dev/null 2>&1
psql -qX -v ON_ERROR_STOP=1 -f "$OVERGANG_SRC/scripts/demo.d/20-example.sql" >/dev/null
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TEST_TMP/cpr.key"
port=$(free_port)
write_conf "$TEST_TMP/d.conf" "workers = 1"
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "$TEST_TMP/d.conf"
printf '[api]\ncpr_key_file = %s\n' "$TEST_TMP/cpr.key" >>"$TEST_TMP/d.conf"
daemon_start d "$TEST_TMP/d.conf"
wait_for 10 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready: $(tail -n 3 "$TEST_TMP/d.log")"
wait_drained 10

step "the walkthrough's commands run and end as the README says"
sed -n '/<!-- api-walkthrough -->/,/<!-- \/api-walkthrough -->/p' "$OVERGANG_SRC/README.md" |
  sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' |
  sed "s|^OG=http://127.0.0.1:7780|OG=http://127.0.0.1:$port|" >"$TEST_TMP/walkthrough.sh"
[ -s "$TEST_TMP/walkthrough.sh" ] || fail "no walkthrough block in README.md"
out=$(PATH="$OVERGANG_BIN:$PATH" bash -euo pipefail "$TEST_TMP/walkthrough.sh" 2>"$TEST_TMP/stderr") ||
  fail "the walkthrough failed: $out $(cat "$TEST_TMP/stderr")"
last=$(printf '%s\n' "$out" | jq -sc '.[-1]')
assert_eq '{"phase":"opfoelgning","tovholder":"ayse","goals":["Bo i egen lejlighed"]}' "$last" "the last answer"
assert_contains "$out" '"done"' "the task was completed"
assert_contains "$out" '"accepted"' "the handover was accepted"
assert_eq 1 "$(sql "SELECT count(*) FROM access_entries WHERE actor = 'ayse' AND reason = 'modtager overdragelsen'")" "the read is in the access log with its purpose"
