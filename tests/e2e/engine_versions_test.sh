# Deploying a new version never changes running cases: they finish on the version they
# started on; new cases start on the new version. A version is immutable once deployed.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
wf="$OVERGANG_SRC/tests/workflows"
out=$("$OVERGANG" workflow deploy "$wf/versioned-v1.lua" --by tester)
assert_eq "deployed versioned version 1 (Versioneret (test))" "$out" "deploy v1"
assert_contains "$("$OVERGANG" workflow deploy "$wf/versioned-v1.lua")" "already deployed with this source" "deploying the same file again"

sql "INSERT INTO overgang.citizen (display_name, birth_date) VALUES ('A', '2008-01-01'), ('B', '2008-02-02')"
c1=$(sql "SELECT id FROM overgang.citizen WHERE display_name = 'A'")
c2=$(sql "SELECT id FROM overgang.citizen WHERE display_name = 'B'")
out=$("$OVERGANG" case start --workflow versioned --citizen "$c1")
assert_contains "$out" "on versioned version 1" "case start on v1"
case1=$(sed -E 's/started case ([0-9]+).*/\1/' <<<"$out")

write_conf "$TEST_TMP/d.conf" "workers = 1"
daemon_start d "$TEST_TMP/d.conf"
wait_drained 20

step "version 2 deployed while case 1 runs"
"$OVERGANG" workflow deploy "$wf/versioned-v2.lua" >/dev/null
out=$("$OVERGANG" case start --workflow versioned --citizen "$c2")
assert_contains "$out" "on versioned version 2" "a new case starts on v2"
case2=$(sed -E 's/started case ([0-9]+).*/\1/' <<<"$out")
for c in "$case1" "$case2"; do
  sql "INSERT INTO overgang.event (case_id, type, source, idem_key) VALUES ($c, 'poke', 'test', 'poke')"
done
wait_drained 20
assert_eq "1|1|1|to" "$(sql "SELECT workflow_version, state->>'started_on', state->>'poked_by', phase FROM overgang.cases WHERE id = $case1")" "case 1 stays on version 1"
assert_eq "2|2|2|slut" "$(sql "SELECT workflow_version, state->>'started_on', state->>'poked_by', phase FROM overgang.cases WHERE id = $case2")" "case 2 runs version 2"
list=$("$OVERGANG" workflow list)
assert_contains "$list" "versioned" "workflow list"

step "a deployed version never changes"
sed 's/Version 1, fase en./Ændret tekst./' "$wf/versioned-v1.lua" >"$TEST_TMP/changed.lua"
if out=$("$OVERGANG" workflow deploy "$TEST_TMP/changed.lua" 2>&1); then fail "a changed version 1 was deployed"; fi
assert_contains "$out" "versioned version 1 is already deployed with other source" "changed source refused"
if out=$(sql "UPDATE overgang.workflow SET title = 'x' WHERE name = 'versioned'" 2>&1); then fail "a workflow row was updated"; fi
assert_contains "$out" "workflow rows are immutable" "the database refuses too"

step "a workflow file with an error is refused with FILE:LINE"
printf 'return workflow {\n  name = "x", version = 1, title = "x",\n  phases = { { "a", text = "a", next = { "b" } } },\n  on = {},\n}\n' >"$TEST_TMP/bad.lua"
if out=$("$OVERGANG" workflow deploy "$TEST_TMP/bad.lua" 2>&1); then fail "a bad workflow was deployed"; fi
assert_contains "$out" "$TEST_TMP/bad.lua:3:42: phase 'a': next phase 'b' is not a phase" "file, line and column"
daemon_stop d
