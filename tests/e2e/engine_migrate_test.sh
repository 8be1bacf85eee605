# A running daemon picks up a newly deployed version without a restart, and runs cases that
# an administrator migrated to it: the new version's 'migrated' handler first, then the rest,
# while the daemon keeps stepping the same cases (the migration locks them; no step happens
# mid-migration and no event is lost or done twice).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
wf="$OVERGANG_SRC/tests/workflows"

step "cases on version 1"
"$OVERGANG" workflow deploy "$wf/migrate-v1.lua" >/dev/null 2>&1
sql "INSERT INTO citizen (display_name, birth_date) SELECT 'Borger ' || g, '2008-01-01' FROM generate_series(1, 4) g"
for c in 1 2 3; do "$OVERGANG" case start --workflow flyt --citizen "$c" >/dev/null; done
write_conf "$TEST_TMP/d.conf" "workers = 2"
daemon_start d "$TEST_TMP/d.conf"
wait_drained 30
sql "INSERT INTO event (case_id, type, source, idem_key) VALUES (2, 'poke', 'test', 'poke')" >/dev/null
wait_drained 20
assert_eq "1|1|afdaekning|t
2|1|planlaegning|t
3|1|afdaekning|t" "$(sql "SELECT id, workflow_version, phase, tovholder IS NOT NULL FROM cases ORDER BY id")" "three cases on version 1"
assert_eq "6" "$(sql "SELECT count(*) FROM event WHERE source = 'timer' AND status = 'pending'")" "two timers per case"

step "version 2 deployed while the daemon runs: a new case runs on it, no restart"
"$OVERGANG" workflow deploy "$wf/migrate-v2.lua" >/dev/null 2>&1
out=$("$OVERGANG" case start --workflow flyt --citizen 4)
assert_contains "$out" "on flyt version 2" "a new case starts on version 2"
sql "INSERT INTO event (case_id, type, source, idem_key) VALUES (4, 'poke', 'test', 'poke')" >/dev/null
wait_drained 20
assert_eq "2|plan|2|paamindelse" "$(sql "SELECT workflow_version, phase, state->>'poked_on',
    (SELECT string_agg(type, ',') FROM event WHERE case_id = 4 AND source = 'timer') FROM cases WHERE id = 4")" "case 4 ran version 2's handlers"
assert_eq "1" "$(sql "SELECT string_agg(DISTINCT workflow_version::text, ',') FROM cases WHERE id <= 3")" "cases 1-3 are still on version 1"

step "the dry run shows what version 2's 'migrated' handler would do in each case, and changes nothing"
before=$(sql "SELECT id, workflow_version, phase, state::text, revision FROM cases ORDER BY id")
dry=$("$OVERGANG" workflow migrate flyt@1 --to 2 --map planlaegning=plan --case 2 --dry-run)
assert_contains "$dry" "case 2: phase planlaegning -> plan (--map planlaegning=plan)" "the move"
assert_contains "$dry" "  'migrated' would: set {\"key\":\"flyttet_fra\",\"value\":1} (line 16)" "the handler's first command"
assert_contains "$dry" "  'migrated' would: set {\"key\":\"fase_foer\",\"value\":\"planlaegning\"} (line 17)" "its second"
assert_contains "$dry" "  'migrated' would: timer " "its timer"
assert_eq "$before" "$(sql "SELECT id, workflow_version, phase, state::text, revision FROM cases ORDER BY id")" "nothing changed"

step "migrating cases 1-3 while the daemon steps them"
sql "INSERT INTO event (case_id, type, payload, source, idem_key)
     SELECT c, 'noise', jsonb_build_object('seq', s), 'test', 'noise:' || s
       FROM generate_series(1, 3) c, generate_series(1, 200) s ORDER BY s, c" >/dev/null
"$OVERGANG" workflow migrate flyt@1 --to 2 --map planlaegning=plan --by anna >"$TEST_TMP/migrate.out"
assert_contains "$(cat "$TEST_TMP/migrate.out")" "migrated 3 cases of flyt from version 1 to version 2" "the migration"
wait_drained 60
assert_eq "1|2|afdaekning|1|afdaekning
2|2|plan|1|planlaegning
3|2|afdaekning|1|afdaekning
4|2|plan||" "$(sql "SELECT id, workflow_version, phase, state->>'flyttet_fra', state->>'fase_foer' FROM cases ORDER BY id")" "version 2's 'migrated' handler ran in each moved case"
assert_eq "done|3" "$(sql "SELECT string_agg(DISTINCT status, ','), count(*) FROM event WHERE type = 'migrated'")" "the history events were handled"
echo "noise events done before / after the migration: $(sql "SELECT count(*) FILTER (WHERE e.done_at < m.created_at), count(*) FILTER (WHERE e.done_at >= m.created_at) FROM event e, (SELECT min(created_at) AS created_at FROM event WHERE type = 'migrated') m WHERE e.type = 'noise'")"
assert_eq "600|0" "$(sql "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status <> 'done') FROM event WHERE type = 'noise'")" "every noise event once"
assert_eq "0|0" "$(sql "SELECT (SELECT count(*) FROM event WHERE last_error IS NOT NULL), (SELECT count(*) FROM cases WHERE status = 'stuck')")" "no step failed"
assert_eq "cancelled,cancelled,cancelled" "$(sql "SELECT string_agg(status, ',') FROM event WHERE type = 'gammel_frist'")" "version 1's old deadline is gone"
assert_eq "3" "$(sql "SELECT count(*) FROM event WHERE type = 'ny_frist' AND status = 'pending' AND timer_key = 'ny'")" "the new deadline is planned"

step "the moved cases run version 2's handlers"
sql "INSERT INTO event (case_id, type, source, idem_key) VALUES (1, 'poke', 'test', 'poke')" >/dev/null
wait_drained 20
assert_eq "plan|2" "$(sql "SELECT phase, state->>'poked_on' FROM cases WHERE id = 1")" "case 1 poked on version 2"
list=$("$OVERGANG" workflow list)
assert_contains "$list" "flyt" "workflow list"
daemon_stop d
