# The ldap plugin against a real slapd, started here from tests/plugins/ldap/directory.ldif on a
# free port, spoken to with StartTLS and a CA made for the test: the first sync brings in
# departments, staff, leads and memberships; a change in the directory is picked up; a person
# removed or disabled becomes inactive and their cases get tovholder_unavailable; staff made
# by hand are never touched; with the directory down a run fails with a clear error and
# changes nothing, and the next interval's run succeeds once it is back. Runs on request go
# through the administrators' route.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

fixture="$OVERGANG_SRC/tests/plugins/ldap"
new_db 1
seed_directory # anna, bo, dorte and three departments, made by hand
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null 2>&1
seed_cases counter 3

# ---- slapd ----
slapd_dir="$TEST_TMP/slapd"
mkdir -p "$slapd_dir/data"
ldap_port=$(free_port)
ldap_uri="ldap://127.0.0.1:$ldap_port"
# a CA and a certificate for 127.0.0.1, so the plugin talks StartTLS and checks the server
(
  cd "$slapd_dir"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=overgang test CA"
  openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1')
) >/dev/null 2>&1 || fail "cannot make the test's TLS certificates"
sed -e "s|@DIR@|$slapd_dir|g" -e "s|@SRC@|$fixture|g" "$fixture/slapd.conf.in" >"$slapd_dir/slapd.conf"
printf 'TLSCACertificateFile %s/ca.pem\nTLSCertificateFile %s/server.pem\nTLSCertificateKeyFile %s/server.key\n' \
  "$slapd_dir" "$slapd_dir" "$slapd_dir" >>"$slapd_dir/slapd.conf"
slapadd -q -f "$slapd_dir/slapd.conf" -b dc=kommune,dc=dk -l "$fixture/directory.ldif" ||
  fail "slapadd refused the fixture"

slapd_start() {
  slapd -f "$slapd_dir/slapd.conf" -h "$ldap_uri/" -d 0 2>>"$slapd_dir/slapd.log" &
  echo $! >"$slapd_dir/bg.pid"
  cleanup "kill $! 2>/dev/null"
  wait_for 10 ldapsearch -x -H "$ldap_uri" -b "" -s base -LLL 1.1 ||
    fail "slapd did not start: $(tail -n 5 "$slapd_dir/slapd.log")"
}
slapd_stop() {
  local pid; pid=$(cat "$slapd_dir/bg.pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
ldap_change() { # LDIF on stdin, as the directory's administrator
  ldapmodify -x -H "$ldap_uri" -D cn=admin,dc=kommune,dc=dk -w admin-secret >/dev/null ||
    fail "ldapmodify refused the change"
}
slapd_start

# ---- the daemon ----
echo overgang-secret >"$TEST_TMP/ldap.password"
ldap_conf() { # FILE [EXTRA LINES]: a daemon with the plugin, syncing every 3 s
  local file=$1; shift
  write_conf "$file" "workers = 0"
  printf '[api]\ntoken_cache = 1s\n' >>"$file"
  {
    printf '[plugin.ldap]\npath = %s\n' "$OVERGANG_BIN/ldap.so"
    printf 'uri = %s\nstarttls = true\ntls_ca_file = %s\n' "$ldap_uri" "$slapd_dir/ca.pem"
    printf 'bind_dn = cn=overgang,ou=system,dc=kommune,dc=dk\nbind_password_file = %s\n' "$TEST_TMP/ldap.password"
    printf 'base_dn = ou=people,dc=kommune,dc=dk\ngroup_base_dn = ou=groups,dc=kommune,dc=dk\n'
    printf 'disabled_attribute = userAccountControl\ndisabled_match = bits\ndisabled_value = 2\n'
    printf 'interval = 3s\ntimeout = 2s\npage_size = 2\n'
    for l in "$@"; do echo "$l"; done
  } >>"$file"
}
listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log"; }

step "a mistake in [plugin.ldap] stops start-up, naming the key"
ldap_conf "$TEST_TMP/bad.conf" "group_member_kind = sometimes"
rc=0
timeout 10 "$OVERGANGD" -c "$TEST_TMP/bad.conf" 2>"$TEST_TMP/bad.log" || rc=$?
assert_eq 1 "$rc" "exit status with a bad group_member_kind"
assert_contains "$(cat "$TEST_TMP/bad.log")" "[plugin.ldap] group_member_kind: 'sometimes' is not one of dn, id" "the message"

ldap_conf "$TEST_TMP/d.conf" "lead_suffix = -ledere"
daemon_start d "$TEST_TMP/d.conf"
wait_for 10 listening d || fail "the daemon did not start: $(tail -n 5 "$TEST_TMP/d.log")"
url="http://127.0.0.1:$(grep '"msg":"overgangd listening"' "$TEST_TMP/d.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')"
token=$("$OVERGANG" token create --staff anna --role administrator 2>/dev/null) ||
  fail "cannot make an administrator's token"

status() { curl -s --max-time 5 -H "Authorization: Bearer $token" "$url/v1/plugins/ldap/status"; }
field() { status | jq -r "$1"; }
runs() { field .runs; }
# runs_reach N: until N runs have finished on this daemon
runs_reach() { [ "$(runs)" -ge "$1" ] 2>/dev/null; }
# sync_now: asks for a run through the route and waits for one that started after the ask
sync_now() {
  local before answer code target
  before=$(runs)
  answer=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $token" "$url/v1/plugins/ldap/sync")
  code=${answer##*$'\n'}
  assert_eq 202 "$code" "POST sync"
  # a run already going (started false) read the directory before the change: wait for the next
  target=$((before + 1))
  [ "$(jq -r .started <<<"${answer%$'\n'*}")" = true ] || target=$((before + 2))
  wait_for 20 runs_reach "$target" || fail "no sync finished after the request: $(status)"
}
staff_row() { sql "SELECT name || '|' || coalesce(email, '') || '|' || status || '|' || coalesce(managed_by, '') FROM staff WHERE id = '$1'"; }
memberships() { # STAFF: department:lead, ...
  sql "SELECT string_agg(department_id || ':' || is_lead, ',' ORDER BY department_id) FROM staff_department WHERE staff_id = '$1'"
}

step "the first sync runs at start and brings departments, staff, leads and memberships"
wait_for 15 runs_reach 1 || fail "no sync at start: $(status) $(tail -n 5 "$TEST_TMP/d.log")"
assert_eq true "$(field .last_run.ok)" "the first run went well: $(field .last_run.error)"
assert_eq "Børn og familie" "$(sql "SELECT name FROM department WHERE id = 'boern-og-familie'")" "a group's department, its id made from Danish letters"
assert_eq "Jobcenteret" "$(sql "SELECT name FROM department WHERE id = 'jobcenter'")" "a department renamed by its group's description"
assert_eq "Carl Nielsen|carl@kommune.dk|active|ldap" "$(staff_row carl)" "carl"
assert_eq "Frida Holm||inactive|ldap" "$(staff_row frida)" "frida, disabled in the directory (userAccountControl 514)"
assert_eq "Gustav Bruun||active|ldap" "$(staff_row gustav.b)" "an upper-case uid becomes a lower-case id, cn the name"
assert_eq "jobcenter:true" "$(memberships carl)" "carl leads the jobcenter (Jobcenter-ledere)"
assert_eq "jobcenter:false" "$(memberships erik)" "erik, a member named by an unnormalised DN"
assert_eq "boern-og-familie:false" "$(memberships gustav.b)" "gustav.b, named in lower case in the group"
assert_eq "Dorte||active|" "$(staff_row dorte)" "dorte, made by hand, is not taken over by the directory's dorte"
assert_eq "voksenhandicap:true" "$(memberships dorte)" "dorte's memberships stay as made by hand"
assert_eq "Anna||active|" "$(staff_row anna)" "anna, made by hand and not in the directory"
assert_eq 0 "$(sql "SELECT count(*) FROM staff WHERE name LIKE 'Mødelokale%'")" "an entry without a uid is left out"
assert_contains "$(cat "$TEST_TMP/d.log")" "Mødelokale 1,ou=people,dc=kommune,dc=dk: no usable uid; left out" "the warning for it"
assert_contains "$(field '.warnings[0]')" "Mødelokale 1,ou=people,dc=kommune,dc=dk: no usable uid" "the warning in the status"
# (counts from the log: by now the status may show a later run, with nothing to add)
assert_eq '6 1 1' "$(field '[.last_run.read.staff, .last_run.read.disabled, .last_run.read.skipped] | join(" ")')" "status: staff read, disabled, left out"
assert_contains "$(cat "$TEST_TMP/d.log")" "6 staff read (1 disabled), 2 departments, 6 memberships; 5 added, 0 changed, 0 deactivated, 0 unchanged" "the first run's counts"

step "the routes want an administrator's token"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/v1/plugins/ldap/sync")" "sync without a token"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/plugins/ldap/status")" "status without a token"

step "a change in the directory (name, mail, membership, a new lead group) is picked up on request"
ldap_change <<'EOF'
dn: uid=ditte,ou=people,dc=kommune,dc=dk
changetype: modify
replace: displayName
displayName: Ditte Hansen-Berg
-
replace: mail
mail: ditte.hb@kommune.dk

dn: cn=Jobcenter,ou=groups,dc=kommune,dc=dk
changetype: modify
delete: member
member: uid=erik,ou=people,dc=kommune,dc=dk

dn: cn=Børn og Familie,ou=groups,dc=kommune,dc=dk
changetype: modify
add: member
member: uid=erik,ou=people,dc=kommune,dc=dk

dn: cn=Børn og Familie-ledere,ou=groups,dc=kommune,dc=dk
changetype: add
objectClass: groupOfNames
cn: Børn og Familie-ledere
member: uid=ditte,ou=people,dc=kommune,dc=dk
EOF
sync_now
assert_eq "Ditte Hansen-Berg|ditte.hb@kommune.dk|active|ldap" "$(staff_row ditte)" "ditte's new name and mail"
assert_eq "boern-og-familie:true" "$(memberships ditte)" "ditte now leads Børn og familie"
assert_eq "boern-og-familie:false" "$(memberships erik)" "erik moved to Børn og familie"
assert_contains "$(cat "$TEST_TMP/d.log")" '"msg":"directory sync requested by anna: ' "who asked, in the log"

step "a person removed and a person disabled become inactive; their cases get tovholder_unavailable"
sql "UPDATE cases SET tovholder = 'carl' WHERE id = 1; UPDATE cases SET tovholder = 'erik' WHERE id = 2;
     UPDATE cases SET tovholder = 'anna' WHERE id = 3" >/dev/null
ldapdelete -x -H "$ldap_uri" -D cn=admin,dc=kommune,dc=dk -w admin-secret uid=carl,ou=people,dc=kommune,dc=dk ||
  fail "ldapdelete refused"
ldap_change <<'EOF'
dn: uid=erik,ou=people,dc=kommune,dc=dk
changetype: modify
replace: userAccountControl
userAccountControl: 514
EOF
sync_now
assert_eq inactive "$(sql "SELECT status FROM staff WHERE id = 'carl'")" "carl, removed"
assert_eq inactive "$(sql "SELECT status FROM staff WHERE id = 'erik'")" "erik, disabled"
unavailable() { sql "SELECT count(*) FROM event WHERE case_id = $1 AND type = 'tovholder_unavailable' AND payload->>'staff' = '$2'"; }
assert_eq 1 "$(unavailable 1 carl)" "carl's case is told"
assert_eq 1 "$(unavailable 2 erik)" "erik's case is told"
assert_eq 0 "$(sql "SELECT count(*) FROM event WHERE case_id = 3 AND type = 'tovholder_unavailable'")" "anna's case is not"
assert_eq "active active active" "$(sql "SELECT string_agg(status, ' ' ORDER BY id) FROM staff WHERE id IN ('anna', 'bo', 'dorte')")" "staff made by hand stay active"
assert_contains "$(cat "$TEST_TMP/d.log")" "5 staff read (2 disabled), 2 departments, 5 memberships; 0 added, 0 changed, 2 deactivated" "erik deactivated (disabled), carl deactivated (removed)"

snapshot() {
  sql "SELECT (SELECT string_agg(id || name || coalesce(email, '') || status, ',' ORDER BY id) FROM staff)
           || (SELECT string_agg(staff_id || department_id || is_lead, ',' ORDER BY staff_id, department_id) FROM staff_department)
           || (SELECT string_agg(id || name, ',' ORDER BY id) FROM department)
           || (SELECT count(*) FROM event WHERE type = 'tovholder_unavailable')"
}
failed_run() { [ "$(field .last_run.ok)" = false ]; }
ok_run() { [ "$(field .last_run.ok)" = true ]; }

step "a refused bind: a clear error, nothing changed; the password file is read at every run"
before=$(snapshot)
echo wrong-secret >"$TEST_TMP/ldap.password"
wait_for 15 failed_run || fail "no failed run with a wrong password: $(status)"
assert_contains "$(field .last_run.error)" "refused binding as cn=overgang,ou=system,dc=kommune,dc=dk: Invalid credentials" "the status says why"
assert_eq "$before" "$(snapshot)" "nothing changed"
echo overgang-secret >"$TEST_TMP/ldap.password"
wait_for 15 ok_run || fail "no good run with the password put right: $(status)"

step "the directory down: a clear error, nothing changed, and the next interval's run succeeds"
last_success=$(field .last_success_at)
slapd_stop
wait_for 15 failed_run || fail "no failed run with the directory down: $(status)"
assert_contains "$(field .last_run.error)" "cannot reach the directory at $ldap_uri" "the status says why"
assert_contains "$(cat "$TEST_TMP/d.log")" "directory sync failed, nothing was changed" "the log says so"
assert_eq "$before" "$(snapshot)" "nothing changed"
assert_eq "$last_success" "$(field .last_success_at)" "the last success is still the one before"
slapd_start
wait_for 15 ok_run || fail "no good run after the directory came back: $(status)"
assert_eq "$before" "$(snapshot)" "the directory as before: nothing to change"

daemon_stop d

step "a directory that lists no staff is refused, as it would make everyone inactive"
ldap_conf "$TEST_TMP/empty.conf" "staff_filter = (uid=nobody)"
daemon_start empty "$TEST_TMP/empty.conf"
refused_empty() { grep -q 'lists no staff under ou=people,dc=kommune,dc=dk with (uid=nobody): refusing' "$TEST_TMP/empty.log"; }
wait_for 15 refused_empty || fail "no refusal of an empty directory: $(grep ldap "$TEST_TMP/empty.log" | tail -n 3)"
assert_eq "$before" "$(snapshot)" "nothing changed"
daemon_stop empty

step "departments from the entries' OUs, leads by a filter"
ldap_conf "$TEST_TMP/ou.conf" "departments_from = ou" "lead_filter = (uid=ditte)"
daemon_start ou "$TEST_TMP/ou.conf"
ou_synced() { [ "$(memberships gustav.b)" = "people:false" ]; }
wait_for 15 ou_synced || fail "no sync by OU: $(memberships gustav.b); $(grep ldap "$TEST_TMP/ou.log" | tail -n 3)"
assert_eq "people" "$(sql "SELECT name FROM department WHERE id = 'people'")" "the OU's department"
assert_eq "people:true" "$(memberships ditte)" "ditte leads it (lead_filter)"
assert_eq "voksenhandicap:true" "$(memberships dorte)" "still nothing of dorte's changed"
daemon_stop ou
