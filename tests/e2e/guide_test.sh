# The authoring guide's examples hold: the workflow and the files it shows are the files in
# the repository, excerpts are taken from them, and every command it shows prints what the
# guide says (overgang simulate, overgang test, overgang workflow deploy on a fresh database).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
cd "$OVERGANG_SRC"
new_db
# The municipality's departments, as its directory would have them before a deploy.
sql "INSERT INTO department (id, name) VALUES
       ('born-familie', 'Børn og familie'), ('ppr', 'PPR'), ('voksenhandicap', 'Voksenhandicap')"
mkdir -p "$TEST_TMP/bin"
ln -s "$OVERGANG" "$TEST_TMP/bin/overgang"

step "the examples in workflows/README.md"
PATH="$TEST_TMP/bin:$PATH" lua5.4 tests/e2e/guide_check.lua workflows/README.md

step "the checker catches a guide that is not true"
sed -e 's/deployed ung-til-voksen version 1/deployed ung-til-voksen version 2/' \
    -e 's/local reminded = { samtale = true, ppr = true, handleplan = true }/local reminded = {}/' \
  workflows/README.md >"$TEST_TMP/README.md"
rc=0
PATH="$TEST_TMP/bin:$PATH" lua5.4 tests/e2e/guide_check.lua "$TEST_TMP/README.md" \
  >/dev/null 2>"$TEST_TMP/err" || rc=$?
assert_eq 1 "$rc" "exit status for a guide that is not true"
assert_contains "$(cat "$TEST_TMP/err")" "the block differs from workflows/examples/ung-til-voksen.lua" \
  "a changed workflow listing"
assert_contains "$(cat "$TEST_TMP/err")" "2 of the guide's examples are not true" "the count"
