# overgang simulate: the guide's example workflow gives the recorded timelines (golden files
# in tests/cli/), the JSON output is the same run after run, and mistakes are reported with
# the workflow's FILE:LINE and the right exit status. No database is involved.
# OVERGANG_UPDATE_GOLDEN=1 rewrites the golden files (then review the diff).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
cd "$OVERGANG_SRC"

example=workflows/examples/ung-til-voksen.lua

# golden NAME ARGS...: overgang simulate ARGS must print tests/cli/NAME.out and exit 0.
golden() {
  local name=$1; shift
  local out="$TEST_TMP/$name.out" rc=0
  "$OVERGANG" simulate "$@" >"$out" 2>"$TEST_TMP/$name.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "$name: exit $rc: $(cat "$TEST_TMP/$name.err")"
  if [ "${OVERGANG_UPDATE_GOLDEN:-}" = 1 ]; then cp "$out" "tests/cli/$name.out"; fi
  diff -u "tests/cli/$name.out" "$out" || fail "$name: the timeline differs from tests/cli/$name.out"
}

step "the example with the script of answers gives the recorded timeline"
golden simulate-ung-til-voksen $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script workflows/examples/ung-til-voksen.script.lua

step "with --auto every task is done on its due date"
golden simulate-ung-til-voksen-auto $example --born 2010-03-01 --attr funktionsnedsaettelse --auto

step "--until stops the clock; --start starts the case by hand"
out=$("$OVERGANG" simulate $example --born 2011-05-31 --start 2027-06-01 --until 2027-07-01)
assert_contains "$out" "starts 2027-06-01 at age 16 (--start)" "start by hand"
assert_eq "at the end, 2027-07-01 (age 16): active in phase afdaekning, tovholder born-familie-1 (born-familie)" \
  "$(grep '^at the end' <<<"$out")" "the end"

step "--json: the timeline and the final state, the same every time"
"$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script workflows/examples/ung-til-voksen.script.lua --json >"$TEST_TMP/a.json"
"$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script workflows/examples/ung-til-voksen.script.lua --json >"$TEST_TMP/b.json"
cmp -s "$TEST_TMP/a.json" "$TEST_TMP/b.json" || fail "two --json runs differ"
assert_eq "closed overgaaet afsluttet voksenhandicap-1 2028-09-01 7 1 2" \
  "$(jq -r '[.case.status, .case.outcome, .case.phase, .case.tovholder, .end,
             (.tasks | length), (.goals | length), (.measures | length)] | join(" ")' "$TEST_TMP/a.json")" \
  "the final state"
assert_eq "started task_done task_done tovholder_unavailable task_done overdrag" \
  "$(jq -r '[.timeline[] | select(.kind == "step") | .event][0:6] | join(" ")' "$TEST_TMP/a.json")" \
  "the steps"

step "a step that fails prints the workflow's FILE:LINE message and exits 1"
cat >"$TEST_TMP/svar.lua" <<'LUA'
return { { at = "2026-03-05", complete = { department = "ppr" }, outcome = { karakter = 7 } } }
LUA
rc=0
"$OVERGANG" simulate tests/cli/fejl.lua --born 2010-03-01 --start 2026-03-01 \
  --script "$TEST_TMP/svar.lua" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
assert_eq 1 "$rc" "exit status of a failed step"
assert_eq "tests/cli/fejl.lua:12: attempt to index a nil value (field 'skole')
overgang simulate: the step for 'task_done' on 2026-03-05 failed" "$(cat "$TEST_TMP/err")" "stderr"
assert_contains "$(cat "$TEST_TMP/out")" "  FAILED: tests/cli/fejl.lua:12: attempt to index a nil value (field 'skole')" \
  "the timeline shows the failed step"

step "a script entry that never applies is an error"
echo 'return { { complete = { department = "jobcenter" } } }' >"$TEST_TMP/never.lua"
rc=0
"$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script "$TEST_TMP/never.lua" >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq 1 "$rc" "exit status"
assert_eq "$TEST_TMP/never.lua: entry 1 was never applied: an open task for jobcenter: there is none (nothing more happens after 2027-09-17)" \
  "$(cat "$TEST_TMP/err")" "the message"

step "a script is sandboxed and checked"
echo 'return io.open("/etc/passwd")' >"$TEST_TMP/io.lua"
rc=0; "$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script "$TEST_TMP/io.lua" >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq "1 $TEST_TMP/io.lua:1: 'io' is not available in a simulation script (no I/O)" \
  "$rc $(cat "$TEST_TMP/err")" "no I/O"
echo 'return { { at = "2026-03-05", complet = { department = "ppr" } } }' >"$TEST_TMP/typo.lua"
rc=0; "$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script "$TEST_TMP/typo.lua" >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq "1 $TEST_TMP/typo.lua: entry 1: unknown field 'complet'" "$rc $(cat "$TEST_TMP/err")" "a typo"
echo 'while true do end' >"$TEST_TMP/loop.lua"
rc=0; "$OVERGANG" simulate $example --born 2010-03-01 --attr funktionsnedsaettelse \
  --script "$TEST_TMP/loop.lua" >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq 1 "$rc" "a script that loops"
assert_contains "$(cat "$TEST_TMP/err")" "instruction budget exceeded" "a script that loops"

step "bad arguments exit 2 with the usage"
rc=0; "$OVERGANG" simulate $example >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq 2 "$rc" "without --born"
assert_contains "$(cat "$TEST_TMP/err")" "usage: overgang simulate FILE --born DATE" "usage"
rc=0; "$OVERGANG" simulate $example --born 2010-03-01 >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq "2 overgang simulate: $example starts at age 16 only for citizens with 'funktionsnedsaettelse': give --attr funktionsnedsaettelse (or --start DATE to start the case by hand)" \
  "$rc $(cat "$TEST_TMP/err")" "a citizen the start rule does not start"
rc=0; "$OVERGANG" simulate tests/cli/fejl.lua --born 2010-03-01 >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq "2 overgang simulate: tests/cli/fejl.lua starts by hand: give --start DATE" \
  "$rc $(cat "$TEST_TMP/err")" "a workflow started by hand"
rc=0; "$OVERGANG" simulate $example --born 2010-02-30 >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "a bad date"
