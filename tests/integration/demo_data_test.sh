# overgang demo-data: a synthetic municipality on a fresh database. Checks the counts, that a
# second run adds nothing, that every CPR number is visibly synthetic (day of the month
# above 60), that the tokens work, and that a daemon started on the data steps it cleanly.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TEST_TMP/cpr.key")
port=$(free_port)
conf=$TEST_TMP/overgang.conf
write_conf "$conf"
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "$conf"
printf '[api]\ncpr_key_file = %s\n' "$TEST_TMP/cpr.key" >>"$conf"

counts() {
  sql "SELECT (SELECT count(*) FROM citizen) || ' ' || (SELECT count(*) FROM citizen_cpr)
       || ' ' || (SELECT count(*) FROM cases) || ' ' || (SELECT count(*) FROM task)
       || ' ' || (SELECT count(*) FROM event) || ' ' || (SELECT count(*) FROM goal)
       || ' ' || (SELECT count(*) FROM measure) || ' ' || (SELECT count(*) FROM tovholder_history)
       || ' ' || (SELECT count(*) FROM staff) || ' ' || (SELECT count(*) FROM api_token)"
}

step "demo-data on a fresh database, deploying the shipped workflows"
out=$("$OVERGANG" -c "$conf" demo-data --workflows "$OVERGANG_SRC/workflows" --tokens "$TEST_TMP/tokens")
assert_contains "$out" "citizens added: 10000" "citizens"
assert_contains "$out" "synthetic CPR numbers added: 10000" "CPR numbers"
assert_eq 10000 "$(sql "SELECT count(*) FROM citizen")" "citizens"
assert_eq 10000 "$(sql "SELECT count(*) FROM citizen_cpr")" "CPR numbers"

step "cases in every phase of both workflows, each with a tovholder"
for wf in barn-til-voksen uddannelse-til-job; do
  missing=$(sql "SELECT string_agg(p->>'name', ', ') FROM workflow w,
                        jsonb_array_elements(w.definition->'phases') p
                  WHERE w.name = '$wf'
                    AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.workflow_name = '$wf'
                                       AND c.phase = p->>'name')")
  assert_eq "" "$missing" "phases of $wf without a case"
done
assert_eq 0 "$(sql "SELECT count(*) FROM cases WHERE tovholder IS NULL OR revision <> 1")" "cases without a tovholder"
assert_eq 0 "$(sql "SELECT count(*) FROM cases WHERE status = 'closed' AND EXISTS (
                    SELECT 1 FROM task t WHERE t.case_id = cases.id AND t.status IN ('open', 'claimed'))")" "open tasks of closed cases"
[ "$(sql "SELECT count(*) FROM task WHERE status = 'open' AND kind = 'task'")" -gt 100 ] || fail "too few open tasks"
[ "$(sql "SELECT count(*) FROM task WHERE status = 'done'")" -gt 1000 ] || fail "too few done tasks"
[ "$(sql "SELECT count(*) FROM task WHERE kind = 'handover' AND status = 'open'")" -gt 5 ] || fail "too few open handovers"
[ "$(sql "SELECT count(*) FROM task WHERE kind = 'handover' AND status = 'accepted'")" -gt 50 ] || fail "too few accepted handovers"
[ "$(sql "SELECT count(*) FROM goal")" -gt 100 ] || fail "too few goals"
# the FFB words the report to KL needs: on most goals, and a decision at each done follow-up
[ "$(sql "SELECT count(*) FILTER (WHERE maaltype IS NOT NULL AND forventet_niveau IS NOT NULL
                                   AND ffb_tema IN (SELECT name FROM fhir_ffb_tema)) * 2 > count(*) FROM goal")" = t ] ||
  fail "most goals should carry a goal type, an expected level and a known FFB sub-theme"
assert_eq 0 "$(sql "SELECT count(*) FROM task WHERE key LIKE 'opfoelgning-%' AND kind = 'task' AND status = 'done'
                      AND outcome->>'fortsaet' IS DISTINCT FROM 'ja' AND outcome->>'fortsaet' IS DISTINCT FROM 'nej'")" \
  "done follow-ups without a decision to go on or end"
assert_eq 0 "$(sql "SELECT count(*) FROM cases c WHERE c.phase NOT IN ('dialog', 'afklaring', 'afslaaet', 'nej-tak', 'fravalgt')
                      AND NOT EXISTS (SELECT 1 FROM measure m WHERE m.case_id = c.id AND m.kind = 'baseline')")" "cases past the first talk without a baseline"
[ "$(sql "SELECT count(*) FROM measure WHERE kind = 'followup'")" -gt 100 ] || fail "too few follow-up measures"
assert_eq 0 "$(sql "SELECT count(*) FROM event WHERE type = 'started' AND status <> 'done'")" "started events not done"
assert_eq 0 "$(sql "SELECT count(*) FROM event WHERE status = 'pending' AND due_at <= now()")" "events due now"
[ "$(sql "SELECT count(*) FROM citizen WHERE birth_date + interval '16 years' >= date_trunc('month', current_date)
           AND birth_date + interval '16 years' < date_trunc('month', current_date) + interval '1 month'")" -gt 20 ] ||
  fail "too few citizens turn 16 this month"

step "every CPR number is synthetic: the day of the month is above 60"
assert_eq 0 "$(sql "SELECT count(*) FROM citizen_cpr WHERE substr(cpr, 1, 2)::int NOT BETWEEN 61 AND 91")" "real-looking CPR numbers"
assert_eq 0 "$(sql "SELECT count(*) FROM citizen_cpr cc JOIN citizen c ON c.id = cc.citizen_id
                    WHERE (substr(cc.cpr, 1, 2)::int - 60) <> extract(day FROM c.birth_date)
                       OR substr(cc.cpr, 3, 4) <> to_char(c.birth_date, 'MMYY')")" "CPR numbers that disagree with the birth date"

step "running it again adds nothing"
before=$(counts)
out=$("$OVERGANG" -c "$conf" demo-data --tokens "$TEST_TMP/tokens")
assert_contains "$out" "citizens added: 0" "second run"
assert_eq "$before" "$(counts)" "counts after the second run"

step "without a CPR key the citizens get no number, and say so"
printf '[database]\nconninfo = host=%s port=%s dbname=%s user=%s\n' "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER" >"$TEST_TMP/nokey.conf"
out=$("$OVERGANG" -c "$TEST_TMP/nokey.conf" demo-data --citizens 10100)
assert_contains "$out" "no [api] cpr_key_file" "no key"
assert_eq 10100 "$(sql "SELECT count(*) FROM citizen")" "citizens with a larger --citizens"
assert_eq 10000 "$(sql "SELECT count(*) FROM citizen_cpr")" "CPR numbers without a key"

step "the tokens: one file per role, readable by the owner only"
for role in tovholder worker lead administrator manager auditor; do
  [ -s "$TEST_TMP/tokens/$role" ] || fail "no token for $role"
  assert_eq 600 "$(stat -c %a "$TEST_TMP/tokens/$role")" "mode of the $role token"
done
assert_eq 6 "$(sql "SELECT count(*) FROM api_token WHERE revoked_at IS NULL")" "tokens in use"

step "a daemon steps the data cleanly and serves the walkthrough"
daemon_start d "$conf"
wait_for 20 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready: $(tail -n 5 "$TEST_TMP/d.log")"
wait_drained 60
assert_eq 0 "$(sql "SELECT count(*) FROM cases WHERE status = 'stuck'")" "stuck cases"
assert_eq 0 "$(sql "SELECT count(*) FROM event WHERE last_error IS NOT NULL")" "failed steps"
get() { curl -s -o "$TEST_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $(cat "$TEST_TMP/tokens/$1")" "http://127.0.0.1:$port$2"; }
assert_eq 200 "$(get tovholder /v1/me/queue)" "the tovholder's queue"
assert_contains "$(cat "$TEST_TMP/body")" '"items"' "queue body"
assert_eq 200 "$(get worker /v1/departments/voksenhandicap/inbox)" "the worker's inbox"
assert_eq 200 "$(get lead /v1/departments/born-familie/inbox)" "the lead's inbox"
case_id=$(sql "SELECT id FROM cases WHERE tovholder = 'hanne.kjaer' AND status = 'active' ORDER BY id LIMIT 1")
assert_eq 200 "$(get tovholder "/v1/cases/$case_id/plan")" "a case's plan"
assert_eq 200 "$(get administrator /v1/admin/stuck-cases)" "the administrator's stuck cases"
daemon_stop d
