# Start triggers: the sweep starts one case per citizen whose start rule matches, never twice.
# A tovholder who becomes absent gives each of their cases a tovholder_unavailable event; the
# default is a task for the department to pick a new tovholder.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
seed_directory
cat >"$TEST_TMP/b2v.lua" <<'LUA'
return workflow {
  name = "b2v-test", version = 1, title = "Barn til voksen (test)",
  start = { age = 16, when = "funktionsnedsaettelse" },
  phases = { { "afdaekning", text = "Vi forbereder din overgang til voksenlivet." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = "bo", reason = "Forløbet er startet (Barnets Lov § 122)" }
    end,
  },
}
LUA
"$OVERGANG" workflow deploy "$TEST_TMP/b2v.lua" >/dev/null
sql "INSERT INTO overgang.citizen (display_name, birth_date, attributes) VALUES
       ('fyldt 16, med', current_date - interval '16 years', '{\"funktionsnedsaettelse\": true}'),
       ('17, med', current_date - interval '17 years 3 months', '{\"funktionsnedsaettelse\": true}'),
       ('15, med', current_date - interval '15 years 11 months', '{\"funktionsnedsaettelse\": true}'),
       ('17, uden', current_date - interval '17 years', '{}'),
       ('17, falsk', current_date - interval '17 years', '{\"funktionsnedsaettelse\": false}')"

step "the sweep starts the matching citizens, and only once"
assert_eq "started 2 cases" "$("$OVERGANG" sweep)" "first sweep"
assert_eq "started 0 cases" "$("$OVERGANG" sweep)" "second sweep"

assert_eq "fyldt 16, med|17, med" "$(sql "SELECT string_agg(ci.display_name, '|' ORDER BY ci.birth_date DESC) FROM overgang.cases c JOIN overgang.citizen ci ON ci.id = c.citizen_id")" "who got a case"

step "the daemon sweeps at start-up too, and runs the started cases"
sql "INSERT INTO overgang.citizen (display_name, birth_date, attributes) VALUES ('ny', current_date - interval '16 years 1 day', '{\"funktionsnedsaettelse\": \"ja\"}')"
write_conf "$TEST_TMP/d.conf" "workers = 1"
daemon_start d "$TEST_TMP/d.conf"
wait_for 10 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.cases WHERE tovholder = 'bo'\") = 3 ]" ||
  fail "expected 3 running cases with bo as tovholder: $(sql "SELECT string_agg(id || ':' || coalesce(tovholder, '-'), ' ') FROM overgang.cases")"

step "bo becomes absent: each case gets a task for the department to pick a new tovholder"
sql "UPDATE overgang.staff SET status = 'absent' WHERE id = 'bo'"
wait_for 10 bash -c "[ \$(psql -qAtX -c \"SELECT count(*) FROM overgang.task WHERE title = 'Vælg en ny tovholder' AND department_id = 'born-familie'\") = 3 ]" ||
  fail "expected 3 tasks to pick a new tovholder: $(sql "SELECT string_agg(type || ':' || status || ':' || coalesce(last_error, ''), ' ') FROM overgang.event WHERE type = 'tovholder_unavailable'")"
assert_eq "3" "$(sql "SELECT count(*) FROM overgang.event WHERE type = 'tovholder_unavailable' AND status = 'done'")" "tovholder_unavailable events"
assert_eq "3" "$(sql "SELECT count(*) FROM overgang.cases WHERE tovholder = 'bo'")" "bo stays tovholder until a new one is picked"
daemon_stop d

step "a sweep with more to start than one batch (1,000) starts them all, each once"
sql "INSERT INTO overgang.citizen (display_name, birth_date, attributes)
     SELECT 'mange ' || g, current_date - interval '17 years', '{\"funktionsnedsaettelse\": true}'
       FROM generate_series(1, 2500) g"
assert_eq "started 2500 cases" "$("$OVERGANG" sweep)" "three batches"
assert_eq "started 0 cases" "$("$OVERGANG" sweep)" "and then none"
assert_eq 2500 "$(sql "SELECT count(*) FROM overgang.cases c JOIN overgang.citizen ci ON ci.id = c.citizen_id WHERE ci.display_name LIKE 'mange %'")" "one case per citizen"
