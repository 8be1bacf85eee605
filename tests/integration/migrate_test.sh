# overgang migrate: applies on an empty database, is idempotent, and two at once leave one
# correct schema.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

known=$("$OVERGANG" version | sed -E 's/.*schema version ([0-9]+).*/\1/')

step "migrations apply on an empty database"
new_empty_db 1
out=$("$OVERGANG" migrate)
assert_contains "$out" "schema is at version $known" "first migrate"
assert_eq "$known" "$(sql 'SELECT max(version) FROM overgang.schema_migrations')" "applied version"
assert_eq "$known" "$(sql 'SELECT count(*) FROM overgang.schema_migrations')" "one row per migration"
assert_eq "t" "$(sql "SELECT to_regclass('overgang.staff') IS NOT NULL")" "the staff table exists"
tables_before=$(sql "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'overgang'")

step "a second migrate changes nothing"
out=$("$OVERGANG" migrate)
assert_eq "schema is current (version $known)" "$out" "second migrate"
assert_eq "$known" "$(sql 'SELECT count(*) FROM overgang.schema_migrations')" "still one row per migration"
assert_eq "$tables_before" "$(sql "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'overgang'")" "same tables"

step "two migrates at once leave one correct schema"
new_empty_db 2
"$OVERGANG" migrate >"$TEST_TMP/a.out" 2>&1 & a=$!
"$OVERGANG" migrate >"$TEST_TMP/b.out" 2>&1 & b=$!
wait $a || fail "first concurrent migrate failed: $(cat "$TEST_TMP/a.out")"
wait $b || fail "second concurrent migrate failed: $(cat "$TEST_TMP/b.out")"
both="$(cat "$TEST_TMP/a.out" "$TEST_TMP/b.out")"
assert_contains "$both" "applied $known migration" "one of them applied the schema"
assert_contains "$both" "schema is current" "the other found nothing to do"
assert_eq "$known" "$(sql 'SELECT count(*) FROM overgang.schema_migrations')" "each migration recorded once"
assert_eq "$tables_before" "$(sql "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'overgang'")" "same tables as a single migrate"

step "a database with a newer schema is refused"
sql "INSERT INTO overgang.schema_migrations (version, name, checksum) VALUES ($((known + 1)), 'from_the_future', 'x')"
if out=$("$OVERGANG" migrate 2>&1); then fail "migrate accepted a newer schema"; fi
assert_contains "$out" "the database schema is at version $((known + 1)) (from_the_future), newer than this build knows ($known)" "newer schema message"

step "a changed migration is refused"
new_empty_db 3
"$OVERGANG" migrate >/dev/null
sql "UPDATE overgang.schema_migrations SET checksum = 'edited' WHERE version = 1"
if out=$("$OVERGANG" migrate 2>&1); then fail "migrate accepted an edited migration"; fi
assert_contains "$out" "was changed after it was applied" "changed migration message"

step "an unreachable database is a clear error"
if out=$(PGPORT=1 "$OVERGANG" migrate 2>&1); then fail "migrate succeeded without a database"; fi
assert_contains "$out" "cannot connect to the database" "no database message"
