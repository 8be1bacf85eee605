# overgang workflow diff and workflow migrate against the database: what changed between two
# versions; moving cases explicitly (a dry run changes nothing, unmapped phases are refused,
# cases not named stay where they are, every move is in the case's history).
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
wf="$OVERGANG_SRC/tests/workflows"
"$OVERGANG" workflow deploy "$wf/migrate-v1.lua" --by tester >/dev/null 2>&1
"$OVERGANG" workflow deploy "$wf/versioned-v1.lua" >/dev/null 2>&1

step "cases on version 1"
sql "INSERT INTO citizen (display_name, birth_date) SELECT 'Borger ' || g, '2008-01-01' FROM generate_series(1, 6) g"
for c in 1 2 3 4 5; do "$OVERGANG" case start --workflow flyt --citizen "$c" >/dev/null; done
"$OVERGANG" case start --workflow versioned --citizen 6 >/dev/null
# case 1 in afdaekning, 2 in planlaegning, 3 stuck, 4 closed, 5 in planlaegning, 6 on another workflow
sql "UPDATE cases SET phase = 'planlaegning' WHERE id IN (2, 5);
     UPDATE cases SET status = 'stuck', stuck_reason = 'boom' WHERE id = 3;
     UPDATE event SET attempts = 5, last_error = 'boom', retry_at = now() + interval '1 hour' WHERE case_id = 3;
     INSERT INTO event (case_id, type, source, idem_key, timer_key, due_at)
     SELECT c, t, 'timer', 'timer:test:' || t, t, '2030-01-01'
       FROM generate_series(1, 5) c, unnest(array['paamindelse', 'gammel_frist']) t;
     UPDATE cases SET status = 'closed', closed_at = now() WHERE id = 4"
ev() { sql "SELECT id FROM event WHERE case_id = $1 AND type = '$2'"; }

step "diff between two deployed versions"
"$OVERGANG" workflow deploy "$wf/migrate-v2.lua" --by tester >/dev/null 2>&1
out=$("$OVERGANG" workflow diff flyt@1 flyt@2)
head=$(sed '/^$/,$d' <<<"$out")
assert_eq "flyt@1 -> flyt@2
title: \"Flyt (test)\" -> \"Flyt (test), version 2\"
phases added: plan
phases removed: planlaegning
transitions added: afdaekning -> plan, plan -> afsluttet
transitions removed: afdaekning -> planlaegning, planlaegning -> afsluttet
handlers added: migrated, ny_frist
handlers removed: gammel_frist
citizen text of 'afdaekning' changed:
  - Vi undersøger, hvad du har brug for.
  + Vi undersøger sammen med dig, hvad du har brug for." "$head" "what changed in the definition"
expected_source=$(diff -u --label flyt@1 --label flyt@2 "$wf/migrate-v1.lua" "$wf/migrate-v2.lua" || true)
assert_eq "$expected_source" "$(sed '1,/^$/d' <<<"$out")" "the source diff"
out=$("$OVERGANG" workflow diff flyt@2 flyt@2)
assert_eq "flyt@2 -> flyt@2
the definitions are the same (title, start, phases, citizen texts, transitions, handlers)

the sources are the same" "$out" "a version against itself"
out=$("$OVERGANG" workflow diff flyt@2 "$wf/migrate-v2.lua")
assert_contains "$out" "the sources are the same" "a deployed version against its file"
out=$("$OVERGANG" workflow diff versioned@1 versioned@2 2>&1) && fail "diff of a version not deployed"
assert_eq "overgang workflow diff: versioned version 2 is not deployed" "$out" "a version not deployed"
status=0; "$OVERGANG" workflow diff flyt@1 2>/dev/null || status=$?
assert_eq 2 "$status" "diff with one argument"

snapshot() {
  sql "SELECT id, workflow_name, workflow_version, phase, status, revision FROM cases ORDER BY id;
       SELECT id, case_id, type, status, attempts, retry_at IS NULL FROM event ORDER BY id"
}
before=$(snapshot)

step "a phase version 2 does not have, without --map: refused, nothing changes"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --dry-run 2>&1) && fail "an unmapped phase was accepted"
assert_eq "overgang workflow migrate: flyt version 2 has no phase 'planlaegning' (its phases: afdaekning, plan, afsluttet); cases in 'planlaegning': 2, 5
  say where they go with --map planlaegning=PHASE, or leave them out with --case ID" "$out" "the refusal names the phase and the cases"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 2>&1) && fail "an unmapped phase was accepted"
assert_contains "$out" "nothing was migrated" "the refusal of a real run"
assert_eq "$before" "$(snapshot)" "nothing changed after the refusals"

step "dry run: the plan per case, nothing changes"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --map planlaegning=plan --dry-run)
assert_eq "flyt: version 1 -> version 2, 4 cases (dry run: nothing is changed)
case 1: phase afdaekning -> afdaekning
  keep timer 'paamindelse' (event $(ev 1 paamindelse), due 2030-01-01 00:00)
  cancel timer 'gammel_frist' (event $(ev 1 gammel_frist), due 2030-01-01 00:00): version 2 has no handler for it
  'migrated' runs after the case's first step, which has not run yet
case 2: phase planlaegning -> plan (--map planlaegning=plan)
  keep timer 'paamindelse' (event $(ev 2 paamindelse), due 2030-01-01 00:00)
  cancel timer 'gammel_frist' (event $(ev 2 gammel_frist), due 2030-01-01 00:00): version 2 has no handler for it
  'migrated' runs after the case's first step, which has not run yet
case 3 (stuck): phase afdaekning -> afdaekning
  keep timer 'paamindelse' (event $(ev 3 paamindelse), due 2030-01-01 00:00)
  cancel timer 'gammel_frist' (event $(ev 3 gammel_frist), due 2030-01-01 00:00): version 2 has no handler for it
  made active again: its pending events run on version 2
  'migrated' runs after the case's first step, which has not run yet
case 5: phase planlaegning -> plan (--map planlaegning=plan)
  keep timer 'paamindelse' (event $(ev 5 paamindelse), due 2030-01-01 00:00)
  cancel timer 'gammel_frist' (event $(ev 5 gammel_frist), due 2030-01-01 00:00): version 2 has no handler for it
  'migrated' runs after the case's first step, which has not run yet
version 2's handler for 'migrated' runs first in each case after the move
dry run: 4 cases would be migrated; nothing was changed" "$out" "the dry run's plan"
assert_eq "$before" "$(snapshot)" "nothing changed after the dry run"

step "named cases must be active or stuck cases of the version"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --case 1 --case 4 2>&1) && fail "a closed case was migrated"
assert_eq "overgang workflow migrate: case 4 is closed; a closed case stays on its version
overgang workflow migrate: nothing was migrated" "$out" "a closed case"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --case 6 2>&1) && fail "a case of another workflow was migrated"
assert_contains "$out" "case 6 is on versioned version 1, not flyt version 1" "a case of another workflow"
out=$("$OVERGANG" workflow migrate flyt@1 --to 9 2>&1) && fail "migrated to a version not deployed"
assert_contains "$out" "flyt version 9 is not deployed" "a version not deployed"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --map planlaegning=plann 2>&1) && fail "a map to a phase that is not there"
assert_contains "$out" "--map planlaegning=plann: flyt version 2 has no phase 'plann'" "a map to no phase"
status=0; "$OVERGANG" workflow migrate flyt@1 --to 1 2>/dev/null || status=$?
assert_eq 2 "$status" "to the same version"
status=0; "$OVERGANG" workflow migrate flyt --to 2 2>/dev/null || status=$?
assert_eq 2 "$status" "without @VERSION"
assert_eq "$before" "$(snapshot)" "nothing changed after the refusals"

step "--case: only the named case moves"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --case 1 --by anna)
assert_contains "$out" "migrated 1 case of flyt from version 1 to version 2" "one case"
assert_eq "1|2|afdaekning|active
2|1|planlaegning|active
3|1|afdaekning|stuck" "$(sql "SELECT id, workflow_version, phase, status FROM cases WHERE id <= 3 ORDER BY id")" "case 1 moved, 2 and 3 stayed"

step "a real run: phases mapped, timers re-planned, stuck cases active, history written"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2 --map planlaegning=plan --by anna)
assert_contains "$out" "migrated 3 cases of flyt from version 1 to version 2" "three cases"
assert_eq "1|flyt|2|afdaekning|active
2|flyt|2|plan|active
3|flyt|2|afdaekning|active
4|flyt|1|afdaekning|closed
5|flyt|2|plan|active
6|versioned|1|en|active" "$(sql "SELECT id, workflow_name, workflow_version, phase, status FROM cases ORDER BY id")" "the cases after the migration"
assert_eq "" "$(sql "SELECT stuck_reason FROM cases WHERE id = 3")" "the stuck reason is gone"
assert_eq "0|t" "$(sql "SELECT max(attempts), bool_and(retry_at IS NULL) FROM event WHERE case_id = 3 AND status = 'pending'")" "case 3's events run again now"
assert_eq "1|cancelled
1|pending
2|cancelled
2|pending
3|cancelled
3|pending
5|cancelled
5|pending" "$(sql "SELECT case_id, status FROM event WHERE source = 'timer' AND case_id <> 4 ORDER BY case_id, status")" "gammel_frist cancelled, paamindelse kept"
assert_eq "pending,pending" "$(sql "SELECT string_agg(status, ',' ORDER BY id) FROM event WHERE case_id = 4 AND source = 'timer'")" "the closed case's timers are untouched"
assert_eq "1|migrated|migration|pending|{\"by\": \"anna\", \"to\": 2, \"from\": 1, \"phase_to\": \"afdaekning\", \"phase_from\": \"afdaekning\", \"cancelled_timers\": [$(ev 1 gammel_frist)]}
2|migrated|migration|pending|{\"by\": \"anna\", \"to\": 2, \"from\": 1, \"phase_to\": \"plan\", \"phase_from\": \"planlaegning\", \"cancelled_timers\": [$(ev 2 gammel_frist)]}
3|migrated|migration|pending|{\"by\": \"anna\", \"to\": 2, \"from\": 1, \"phase_to\": \"afdaekning\", \"phase_from\": \"afdaekning\", \"cancelled_timers\": [$(ev 3 gammel_frist)]}
5|migrated|migration|pending|{\"by\": \"anna\", \"to\": 2, \"from\": 1, \"phase_to\": \"plan\", \"phase_from\": \"planlaegning\", \"cancelled_timers\": [$(ev 5 gammel_frist)]}" \
  "$(sql "SELECT case_id, type, source, status, payload FROM event WHERE type = 'migrated' ORDER BY case_id")" "every move is in the case's history"
# a case that has not taken its first step: 'started' runs before 'migrated' (it assigns the tovholder)
assert_eq "started migrated paamindelse" "$(sql "SELECT string_agg(type, ' ' ORDER BY due_at, id) FROM event WHERE case_id = 2 AND status = 'pending'")" "the order of case 2's events"
assert_eq "0" "$(sql "SELECT count(*) FROM event WHERE case_id IN (4, 6) AND type = 'migrated'")" "cases not moved have no migration"
out=$("$OVERGANG" workflow migrate flyt@1 --to 2)
assert_eq "flyt version 1 has no active or stuck cases: nothing to migrate" "$out" "nothing left to migrate"

step "a version without a 'migrated' handler: the history event is done at once"
"$OVERGANG" workflow deploy "$wf/versioned-v2.lua" >/dev/null 2>&1
out=$("$OVERGANG" workflow migrate versioned@1 --to 2 --map en=start)
assert_contains "$out" "case 6: phase en -> start (--map en=start)" "the plan"
assert_eq "2|start" "$(sql "SELECT workflow_version, phase FROM cases WHERE id = 6")" "case 6 moved"
assert_eq "done|t" "$(sql "SELECT status, done_at IS NOT NULL FROM event WHERE case_id = 6 AND type = 'migrated'")" "a history event, done"

step "and back again: a migration is not a one-way street"
out=$("$OVERGANG" workflow migrate versioned@2 --to 1 --map start=en)
assert_eq "1|en|2" "$(sql "SELECT workflow_version, phase, (SELECT count(*) FROM event WHERE case_id = 6 AND type = 'migrated') FROM cases WHERE id = 6")" "case 6 back on version 1, two moves in its history"
