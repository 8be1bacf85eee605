# deploy/roles.sql: the owner role migrates, the runtime role runs the daemon and can read and
# write rows but not change the schema.
source "$OVERGANG_SRC/tests/lib/testlib.sh"

new_empty_db 1
psql -qX -v ON_ERROR_STOP=1 -f "$OVERGANG_SRC/deploy/roles.sql" >/dev/null
cleanup "psql -qX -d postgres -c 'DROP OWNED BY overgang_owner, overgang_runtime CASCADE' -d $PGDATABASE >/dev/null 2>&1; psql -qX -d postgres -c 'DROP ROLE IF EXISTS overgang_owner, overgang_runtime' >/dev/null 2>&1"

step "the owner role applies the migrations"
PGUSER=overgang_owner "$OVERGANG" migrate >/dev/null
assert_eq "overgang_owner" "$(sql "SELECT tableowner FROM pg_tables WHERE schemaname = 'overgang' AND tablename = 'staff'")" "owner of the tables"

step "the runtime role reads and writes rows"
PGUSER=overgang_runtime sql "INSERT INTO overgang.department (id, name) VALUES ('jobcenter', 'Jobcenter')"
assert_eq "Jobcenter" "$(PGUSER=overgang_runtime sql "SELECT name FROM overgang.department")" "runtime reads"

step "the runtime role cannot change the schema"
if out=$(PGUSER=overgang_runtime sql "ALTER TABLE overgang.department ADD COLUMN x int" 2>&1); then fail "runtime altered a table"; fi
assert_contains "$out" "must be owner" "alter refused"
if out=$(PGUSER=overgang_runtime sql "CREATE TABLE overgang.x (id int)" 2>&1); then fail "runtime created a table"; fi
assert_contains "$out" "permission denied" "create refused"
if out=$(PGUSER=overgang_runtime "$OVERGANG" migrate 2>&1); then
  # nothing pending, so migrate as runtime only reads; a pending migration would be refused
  assert_contains "$out" "schema is current" "runtime migrate with nothing to do"
fi

step "the runtime role reads a CPR number only through fhir_citizen_cpr (the export to KL)"
ci=$(sql "INSERT INTO overgang.citizen (display_name, birth_date, attributes) VALUES ('Borger', '2008-01-01', '{}') RETURNING id")
sql "INSERT INTO overgang.citizen_cpr (citizen_id, cpr_hash, cpr) VALUES ($ci, decode(md5('roles'), 'hex'), '0101081234')"
if out=$(PGUSER=overgang_runtime sql "SELECT cpr FROM overgang.citizen_cpr" 2>&1); then fail "runtime read citizen_cpr.cpr"; fi
assert_contains "$out" "permission denied" "cpr column refused"
assert_eq "0101081234" "$(PGUSER=overgang_runtime sql "SELECT overgang.fhir_citizen_cpr($ci)")" "through the function"

step "overgangd runs as the runtime role and is ready"
port=$(free_port)
printf '[daemon]\nlisten = 127.0.0.1:%s\n[database]\nconninfo = host=%s port=%s dbname=%s user=overgang_runtime\n' \
  "$port" "$PGHOST" "$PGPORT" "$PGDATABASE" >"$TEST_TMP/d.conf"
"$OVERGANGD" -c "$TEST_TMP/d.conf" 2>"$TEST_TMP/d.log" &
pid=$!
cleanup "kill -9 $pid 2>/dev/null"
wait_for 10 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready as the runtime role: $(curl -s http://127.0.0.1:$port/readyz)"
kill -TERM $pid; wait $pid || fail "exit status $?"
