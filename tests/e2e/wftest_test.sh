# overgang test: a passing and a failing workflow test file give the recorded output (every
# kind of failure: an expectation, a missing task, a workflow that fails a step, an assertion,
# a mistake in the test, a loop, a file that tries I/O) and the right exit status; with no
# arguments it runs workflows/tests. No database is involved.
# OVERGANG_UPDATE_GOLDEN=1 rewrites the golden files (then review the diff).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
cd "$OVERGANG_SRC"

# golden NAME STATUS ARGS...: overgang test ARGS must print tests/cli/NAME.out and exit STATUS.
golden() {
  local name=$1 want=$2 rc=0; shift 2
  "$OVERGANG" test "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
  [ -s "$TEST_TMP/$name.err" ] && fail "$name: stderr: $(cat "$TEST_TMP/$name.err")"
  if [ "${OVERGANG_UPDATE_GOLDEN:-}" = 1 ]; then cp "$TEST_TMP/$name.out" "tests/cli/$name.out"; fi
  diff -u "tests/cli/$name.out" "$TEST_TMP/$name.out" || fail "$name: the output differs"
  assert_eq "$want" "$rc" "$name: exit status"
}

step "a file whose tests pass: one line per test, a summary, exit 0"
golden passing_test 0 tests/cli/passing_test.lua

step "failing tests: the expectation, the actual value and the line; exit 1"
golden failing_test 1 tests/cli/failing_test.lua tests/cli/broken_test.lua tests/cli/passing_test.lua

step "a folder runs its *_test.lua files, in order"
mkdir -p "$TEST_TMP/dir"
cp tests/cli/passing_test.lua "$TEST_TMP/dir/b_test.lua"
cp tests/cli/passing_test.lua "$TEST_TMP/dir/a_test.lua"
cp tests/cli/fejl.lua "$TEST_TMP/dir/helper.lua"
sed -i 's|"../../workflows/examples/|"'"$OVERGANG_SRC"'/workflows/examples/|' "$TEST_TMP"/dir/*_test.lua
out=$("$OVERGANG" test "$TEST_TMP/dir")
assert_eq "$TEST_TMP/dir/a_test.lua $TEST_TMP/dir/b_test.lua" \
  "$(grep '_test.lua$' <<<"$out" | tr '\n' ' ' | sed 's/ $//')" "the files run"
assert_eq "4 tests in 2 files: 4 passed, 0 failed" "$(tail -n 1 <<<"$out")" "the summary"

step "with no arguments: the shipped tests in workflows/tests"
out=$("$OVERGANG" test)
assert_eq "workflows/tests/barn-til-voksen_test.lua workflows/tests/uddannelse-til-job_test.lua workflows/tests/ung-til-voksen_test.lua" \
  "$(grep '_test.lua$' <<<"$out" | tr '\n' ' ' | sed 's/ $//')" "the default folder, in name order"
assert_contains "$(tail -n 1 <<<"$out")" " passed, 0 failed" "the summary"

step "a workflow that does not load fails the file, with the workflow's message"
printf 'return workflow { name = "x", version = 1, title = "X", phases = { { "a" } } }\n' \
  >"$TEST_TMP/bad.lua"
printf 'local wf = workflow_file "bad.lua"\ntest("t", function() end)\n' >"$TEST_TMP/bad_test.lua"
rc=0; out=$("$OVERGANG" test "$TEST_TMP/bad_test.lua") || rc=$?
assert_eq 1 "$rc" "exit status"
assert_eq "FAIL $TEST_TMP/bad_test.lua (the file's top level)
     $TEST_TMP/bad_test.lua:1: workflow_file: the workflow does not load:
       $TEST_TMP/bad.lua:1: phase 'a': 'text' is required: what the citizen reads in this phase" \
  "$(sed -n 2,4p <<<"$out")" "the message"

step "a file without tests fails"
printf -- '-- nothing here\n' >"$TEST_TMP/empty_test.lua"
rc=0; out=$("$OVERGANG" test "$TEST_TMP/empty_test.lua") || rc=$?
assert_eq 1 "$rc" "exit status"
assert_contains "$out" "the file declares no tests" "the message"

step "bad arguments exit 2"
rc=0; "$OVERGANG" test /no/such/folder >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "a path that is not there"
rc=0; "$OVERGANG" test --verbose >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "an unknown option"
rc=0; (cd "$TEST_TMP" && "$OVERGANG" test >/dev/null 2>&1) || rc=$?
assert_eq 2 "$rc" "no workflows/tests here"
