# overgang check on a table of broken workflows, each with its exact message and place;
# overgang graph against an expected DOT file; overgang workflow deploy refuses what check
# refuses.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

command -v luacheck >/dev/null || fail "luacheck is not installed (Debian package lua-check; scripts/deps installs it)"
broken="$OVERGANG_SRC/tests/workflows/broken"
wf="$OVERGANG_SRC/tests/workflows"

# check_is STATUS EXPECTED FILE [ARGS...]: overgang check ARGS FILE (in $broken) prints
# EXPECTED on stdout and exits with STATUS.
check_is() {
  local want_status=$1 want=$2 file=$3; shift 3
  local out status=0
  out=$(cd "$broken" && "$OVERGANG" check "$@" "$file" 2>"$TEST_TMP/stderr") || status=$?
  assert_eq "$want" "$out" "overgang check $file"
  assert_eq "$want_status" "$status" "exit status of overgang check $file"
}

step "broken workflows: one message each, FILE:LINE:COL"
check_is 1 "syntax-error.lua:5:3: '}' expected (to close '{' at line 2) near 'on'" syntax-error.lua
check_is 1 "unknown-phase.lua:5:77: phase 'afdaekning': next phase 'planlaegning' is not a phase of this workflow (did you mean 'planlægning'?)" unknown-phase.lua
check_is 1 "missing-text.lua:6:7: phase 'slut': 'text' is required: what the citizen reads in this phase" missing-text.lua
check_is 1 "global-typo.lua:9:7: undeclared global 'tabel' (did you mean 'table'?)" global-typo.lua
check_is 1 "no-started.lua:3:8: there is no handler for 'started': every case begins with that event, and its handler must assign the tovholder" no-started.lua
check_is 1 "timer-without-handler.lua:12:63: timer event 'frist_paragraf_111' has no handler: add on = { frist_paragraf_111 = function(case, ev) ... end }
timer-without-handler.lua:13:38: warning: case.citizen.birthday(45): an age of 45 is outside 0 to 30; is this the deadline you meant?
timer-without-handler.lua:15:49: case:phase \"afsluttet\": the workflow has no phase 'afsluttet' (its phases: start, slut)" timer-without-handler.lua

step "warnings alone: exit status 0"
check_is 0 "unknown-event.lua:8:7: warning: phase 'glemt' cannot be reached: no next = { ... } leads to it from the first phase 'start'
unknown-event.lua:13:12: warning: case:task is used but there is no handler for 'task_done': completing a task changes nothing in the case
unknown-event.lua:15:5: warning: nothing sends event 'task_dnoe' (did you mean 'task_done'?)
unknown-event.lua: ok, 3 warnings" unknown-event.lua

step "departments: only checked when known"
check_is 0 "unknown-department.lua: ok" unknown-department.lua
check_is 1 "unknown-department.lua:9:28: unknown department 'jobcentret' (did you mean 'jobcenter'?)
unknown-department.lua:14:32: unknown department 'voksenhandicp' (did you mean 'voksenhandicap'?)" unknown-department.lua --departments born-familie,voksenhandicap,jobcenter
check_is 1 "unknown-department.lua:9:28: unknown department 'jobcentret' (departments: born-familie, voksenhandicap)
unknown-department.lua:14:32: unknown department 'voksenhandicp' (did you mean 'voksenhandicap'?)" unknown-department.lua --departments "born-familie, voksenhandicap"
new_db 1
seed_directory
check_is 1 "unknown-department.lua:9:28: unknown department 'jobcentret' (did you mean 'jobcenter'?)
unknown-department.lua:14:32: unknown department 'voksenhandicp' (did you mean 'voksenhandicap'?)" unknown-department.lua --db

step "instruments: with --db, a measure the registry lacks is a warning"
check_is 0 "unknown-instrument.lua: ok" unknown-instrument.lua
check_is 0 "unknown-instrument.lua:9:35: warning: case:measure: the instrument registry has no 'ffb-stotebehov' (did you mean 'ffb-stoettebehov'?); the step would fail
unknown-instrument.lua:10:35: warning: case:measure: the instrument registry has no 'trivsel' (instruments: ffb-stoettebehov, i-job-eller-uddannelse, maalopfyldelse, selvvurdering-1-10, timer-pr-uge); the step would fail
unknown-instrument.lua: ok, 2 warnings" unknown-instrument.lua --db
step "instruments: with --db, an outcome field on an instrument the registry lacks is an error"
check_is 0 "unknown-outcome-instrument.lua: ok" unknown-outcome-instrument.lua
check_is 1 "unknown-outcome-instrument.lua:3:1: task 'samtale', field 'niveau': unknown instrument 'ffb-stotebehov': the instrument registry has no such instrument, so deploying is refused" unknown-outcome-instrument.lua --db
for f in "$OVERGANG_SRC"/workflows/*.lua "$OVERGANG_SRC"/workflows/examples/ung-til-voksen.lua; do
  out=$("$OVERGANG" check --db "$f" 2>&1) || true
  case "$out" in *"instrument registry"*) fail "$f records an instrument the registry lacks: $out" ;; esac
done

step "several files: every file is checked, the status is the worst"
out=$(cd "$broken" && "$OVERGANG" check unknown-event.lua global-typo.lua "$wf/graph-example.lua" 2>&1) && fail "check passed a broken file"
assert_contains "$out" "global-typo.lua:9:7: undeclared global 'tabel'" "the broken file"
assert_contains "$out" "unknown-event.lua: ok, 3 warnings" "the file with warnings"
assert_contains "$out" "$wf/graph-example.lua: ok" "the good file"

step "usage errors: exit status 2"
status=0; "$OVERGANG" check 2>/dev/null || status=$?
assert_eq 2 "$status" "check without a file"
status=0; "$OVERGANG" check --bogus "$wf/graph-example.lua" 2>/dev/null || status=$?
assert_eq 2 "$status" "check with an unknown option"
status=0; "$OVERGANG" check "$TEST_TMP/missing.lua" 2>/dev/null || status=$?
assert_eq 1 "$status" "check of a file that is not there"

step "without luacheck: said once, the rest of the check stands"
mkdir "$TEST_TMP/bin"
out=$(cd "$broken" && PATH="$TEST_TMP/bin" "$OVERGANG" check global-typo.lua unknown-phase.lua 2>"$TEST_TMP/stderr") && fail "unknown-phase.lua passed"
assert_eq "global-typo.lua: ok
unknown-phase.lua:5:77: phase 'afdaekning': next phase 'planlaegning' is not a phase of this workflow (did you mean 'planlægning'?)" "$out" "check without luacheck"
assert_eq 1 "$(grep -c 'luacheck is not installed' "$TEST_TMP/stderr")" "luacheck missing, said once"

step "the test workflows pass (with this test's departments), and the shipped ones"
sql "INSERT INTO department (id, name) VALUES ('ppr', 'PPR') ON CONFLICT DO NOTHING" # api.lua
for f in "$wf"/*.lua; do
  "$OVERGANG" check --db "$f" >/dev/null 2>&1 || fail "$f fails check: $("$OVERGANG" check --db "$f" 2>&1)"
done
for f in "$OVERGANG_SRC"/workflows/*.lua "$OVERGANG_SRC"/workflows/examples/*.lua; do
  [ -e "$f" ] && grep -q '^return workflow' "$f" || continue # workflows, not their scripts
  "$OVERGANG" check "$f" >/dev/null 2>&1 || fail "$f fails check: $("$OVERGANG" check "$f" 2>&1)"
done

step "graph: DOT as expected, SVG through dot"
"$OVERGANG" graph "$wf/graph-example.lua" >"$TEST_TMP/graph.dot"
diff -u "$wf/graph-example.dot" "$TEST_TMP/graph.dot" || fail "the graph differs from graph-example.dot"
"$OVERGANG" graph "$wf/graph-example.lua" --format dot | cmp -s - "$TEST_TMP/graph.dot" || fail "--format dot differs"
if command -v dot >/dev/null; then
  "$OVERGANG" graph "$wf/graph-example.lua" --format svg >"$TEST_TMP/graph.svg"
  assert_contains "$(head -c 400 "$TEST_TMP/graph.svg")" "<svg" "SVG output"
  assert_contains "$(cat "$TEST_TMP/graph.svg")" "frist_paragraf_111 (at age 17 and 6 months)" "the deadline on the edge"
fi
if out=$(PATH="$TEST_TMP/bin" "$OVERGANG" graph "$wf/graph-example.lua" --format svg 2>&1); then fail "svg without dot"; fi
assert_contains "$out" "Debian package graphviz" "svg without dot says what to install"
status=0; "$OVERGANG" graph "$wf/graph-example.lua" --format png 2>/dev/null || status=$?
assert_eq 2 "$status" "an unknown format"
if out=$("$OVERGANG" graph "$broken/unknown-phase.lua" 2>&1); then fail "a graph of a broken file"; fi
assert_contains "$out" "next phase 'planlaegning' is not a phase of this workflow" "graph of a broken file"

step "deploy refuses what check refuses, and deploys what has only warnings"
for f in syntax-error unknown-phase missing-text global-typo no-started timer-without-handler unknown-department; do
  if out=$("$OVERGANG" workflow deploy "$broken/$f.lua" 2>&1); then fail "$f.lua was deployed"; fi
  assert_contains "$out" "$broken/$f.lua:" "deploy $f.lua names the place"
  assert_contains "$out" "fails check" "deploy $f.lua says why"
done
assert_eq 0 "$(sql "SELECT count(*) FROM workflow")" "nothing was deployed"
out=$("$OVERGANG" workflow deploy "$broken/unknown-event.lua" 2>"$TEST_TMP/stderr")
assert_eq "deployed ukendt-haendelse version 1 (Ukendt hændelse (test))" "$out" "warnings do not stop a deploy"
assert_contains "$(cat "$TEST_TMP/stderr")" "warning: nothing sends event 'task_dnoe'" "the warnings are shown"
