# What the plugin host asks of the database: citizens from a register (upserted by the CPR
# number's keyed hash, counted as added, changed and unchanged) and a directory sync (staff
# a source manages follow the directory; staff added by hand are never touched; someone the
# directory drops becomes inactive, and their cases hear of it).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
upsert() { sql "SELECT plugin_upsert_citizens('$1'::jsonb)"; }
c1='{"cpr_hash": "aa01", "cpr": "0101101234", "name": "A", "birth_date": "2010-01-01", "attributes": {"x": true}}'
c2='{"cpr_hash": "aa02", "cpr": "0202101234", "name": "B", "birth_date": "2010-02-02"}'

step "citizens are added once, then unchanged, then changed; the last of duplicates wins"
assert_eq '{"added": 2, "changed": 0, "unchanged": 0}' "$(upsert "[$c1, $c2]")" "first import"
assert_eq '{"added": 0, "changed": 0, "unchanged": 2}' "$(upsert "[$c1, $c2]")" "the same again"
c2b='{"cpr_hash": "aa02", "cpr": "0202101234", "name": "B2", "birth_date": "2010-02-02"}'
assert_eq '{"added": 0, "changed": 1, "unchanged": 1}' "$(upsert "[$c1, $c2, $c2b]")" "a changed name"
assert_eq "B2" "$(sql "SELECT display_name FROM citizen c JOIN citizen_cpr p ON p.citizen_id = c.id WHERE p.cpr_hash = '\\xaa02'")" "the new name"
assert_eq "true" "$(sql "SELECT attributes->>'x' FROM citizen WHERE display_name = 'A'")" "attributes"
assert_eq "0|1" "$(sql "SELECT string_agg(revision::text, '|' ORDER BY display_name) FROM citizen")" "a changed citizen has a new revision (a stale ETag no longer matches)"
assert_eq 2 "$(sql "SELECT count(*) FROM citizen_cpr")" "one CPR row per citizen"

step "a directory sync adds, changes, deactivates its own staff and never touches staff added by hand"
seed_directory # anna, bo, dorte: added by hand
sync() { sql "SELECT plugin_sync_directory('ldap', '$1'::jsonb)"; }
dir1='{"departments": [{"id": "jobcenter", "name": "Jobcenter"}, {"id": "ppr", "name": "PPR"}],
       "staff": [{"id": "eva", "name": "Eva", "email": "eva@k.dk", "active": true},
                 {"id": "finn", "name": "Finn", "active": true},
                 {"id": "anna", "name": "Anna fra LDAP", "active": false}],
       "memberships": [{"staff": "eva", "department": "ppr", "lead": true},
                       {"staff": "finn", "department": "ppr", "lead": false},
                       {"staff": "anna", "department": "ppr", "lead": false}]}'
assert_eq '{"added": 2, "changed": 0, "unchanged": 0, "deactivated": 0}' "$(sync "$dir1")" "first sync"
assert_eq "Anna|active" "$(sql "SELECT name || '|' || status FROM staff WHERE id = 'anna'")" "anna is not the directory's"
assert_eq "eva:1,finn:0" "$(sql "SELECT string_agg(staff_id || ':' || is_lead::int, ',' ORDER BY staff_id) FROM staff_department WHERE department_id = 'ppr'")" "memberships"
assert_eq "PPR" "$(sql "SELECT name FROM department WHERE id = 'ppr'")" "department added"

step "finn leaves the directory: inactive, and the cases finn holds hear of it"
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
seed_cases counter 1
sql "UPDATE cases SET tovholder = 'finn', revision = 1 WHERE id = (SELECT min(id) FROM cases)" >/dev/null
dir2='{"departments": [{"id": "ppr", "name": "PPR-centret"}],
       "staff": [{"id": "eva", "name": "Eva Hansen", "email": "eva@k.dk", "active": true}],
       "memberships": [{"staff": "eva", "department": "ppr", "lead": false}]}'
assert_eq '{"added": 0, "changed": 1, "unchanged": 0, "deactivated": 1}' "$(sync "$dir2")" "second sync"
assert_eq "inactive" "$(sql "SELECT status FROM staff WHERE id = 'finn'")" "finn"
assert_eq "1|1" "$(sql "SELECT (SELECT revision FROM staff WHERE id = 'eva') || '|' || (SELECT revision FROM staff WHERE id = 'finn')")" "changed staff have new revisions"
assert_eq "0" "$(sql "SELECT is_lead::int FROM staff_department WHERE staff_id = 'eva'")" "eva no longer leads"
assert_eq "PPR-centret" "$(sql "SELECT name FROM department WHERE id = 'ppr'")" "renamed"
assert_eq 1 "$(sql "SELECT count(*) FROM event WHERE type = 'tovholder_unavailable' AND payload->>'staff' = 'finn'")" "the case heard"
assert_eq "active" "$(sql "SELECT status FROM staff WHERE id = 'anna'")" "anna still untouched"

step "disabling in the directory counts as deactivated; a sync that changes nothing counts unchanged"
dir3='{"departments": [], "staff": [{"id": "eva", "name": "Eva Hansen", "email": "eva@k.dk", "active": false}], "memberships": []}'
assert_eq '{"added": 0, "changed": 0, "unchanged": 0, "deactivated": 1}' "$(sync "$dir3")" "eva disabled"
assert_eq '{"added": 0, "changed": 0, "unchanged": 1, "deactivated": 0}' "$(sync "$dir3")" "the same again"

step "a directory with a bad id changes nothing"
if out=$(sync '{"departments": [{"id": "Bad Id", "name": "X"}], "staff": [], "memberships": []}' 2>&1); then
  fail "a bad department id was taken"
fi
assert_eq 0 "$(sql "SELECT count(*) FROM department WHERE name = 'X'")" "nothing written"
