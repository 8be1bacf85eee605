# The personregister plugin against a real daemon and PostgreSQL: CSV and JSON-lines extracts
# import with the right counts; importing again changes nothing; a new name is a change; each
# kind of bad line is refused with its line number and reason; the daemon's log never holds a
# CPR number or a name; citizens are found by their CPR number's keyed hash; an imported
# 16-year-old with the attribute gets a case from the age start rule; file names are names
# in import_dir, never paths; only administrators may import.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

fixtures="$OVERGANG_SRC/tests/plugins/personregister"
new_db 1
seed_directory
sql "INSERT INTO staff (id, name) VALUES ('admin', 'Administrator')" >/dev/null

# The CPR key, the import folder with the fixtures, the daemon.
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '%s\n' "$key" >"$TEST_TMP/cpr.key"
dir="$TEST_TMP/import"
mkdir "$dir"
cp "$fixtures"/*.csv "$fixtures"/*.jsonl "$dir/"
write_conf "$TEST_TMP/d.conf" "workers = 1"
cat >>"$TEST_TMP/d.conf" <<CONF
[api]
cpr_key_file = $TEST_TMP/cpr.key
[plugin.personregister]
path = $OVERGANG_BIN/personregister.so
import_dir = $dir
attributes = funktionsnedsaettelse, anbragt
batch_size = 3
report_refusals = 20
CONF
daemon_start d "$TEST_TMP/d.conf"
listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/d.log"; }
wait_for 10 listening || fail "the daemon did not start: $(tail -n 5 "$TEST_TMP/d.log")"
url="http://127.0.0.1:$(grep '"msg":"overgangd listening"' "$TEST_TMP/d.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/')"
base="$url/v1/plugins/personregister"
token=$("$OVERGANG" token create --staff admin --role administrator 2>/dev/null)
tovtoken=$("$OVERGANG" token create --staff anna --role tovholder 2>/dev/null)

# post BODY [TOKEN]: POST imports; prints the status and the body on two lines.
post() {
  curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer ${2:-$token}" \
    -H 'Content-Type: application/json' -d "$1" "$base/imports"
}
report() { curl -s -H "Authorization: Bearer $token" "$base/imports/$1"; }
finished() { case "$(report "$1" | jq -r .state)" in done | failed) return 0 ;; esac; return 1; }
# import FILE: starts it, waits for it to end, prints its report.
import() {
  local out id
  out=$(post "{\"file\": \"$1\"}")
  assert_eq 202 "$(tail -n 1 <<<"$out")" "POST imports of $1 ($(head -n 1 <<<"$out"))"
  id=$(head -n 1 <<<"$out" | jq -r .id)
  wait_for 20 finished "$id" || fail "the import of $1 did not end: $(report "$id")"
  report "$id"
}
counts() { jq -r '"\(.state) lines=\(.lines) added=\(.added) changed=\(.changed) unchanged=\(.unchanged) refused=\(.refused)"' <<<"$1"; }
refusals() { jq -r '.refused_lines[] | "\(.line): \(.reason)"' <<<"$1"; }
# expect_counts EXPECTED WHAT: the counts of report $r (with its first refusals when not).
expect_counts() {
  assert_eq "$1" "$(counts "$r")" "$2 (error: $(jq -r '.error // "none"' <<<"$r"); refused: $(refusals "$r" | head -n 3 | tr '\n' ' '))"
}

step "a CSV extract imports: every citizen added"
r=$(import good.csv)
expect_counts "done lines=6 added=6 changed=0 unchanged=0 refused=0" "good.csv"
assert_eq "csv admin" "$(jq -r '"\(.format) \(.by)"' <<<"$r")" "format and who"

step "a JSON-lines extract imports (a blank line is skipped)"
r=$(import good.jsonl)
expect_counts "done lines=4 added=4 changed=0 unchanged=0 refused=0" "good.jsonl"

step "the citizens are in the database, found by their CPR number's keyed hash"
assert_eq 10 "$(sql "SELECT count(*) FROM citizen_cpr")" "citizens with a CPR number"
expected=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(b"1512992345", digest_size=32, key=bytes.fromhex(sys.argv[1])).hexdigest())' "$key")
assert_eq "Testperson Bravo|1999-12-15|true|727" \
  "$(sql "SELECT c.display_name, c.birth_date, c.attributes->>'funktionsnedsaettelse', c.attributes->>'kommunekode'
            FROM citizen c JOIN citizen_cpr cc ON cc.citizen_id = c.id
           WHERE cc.cpr_hash = decode('$expected', 'hex')")" "Bravo by the hash of the number"
assert_eq "1858-01-01|1937-12-31|2008-02-29" \
  "$(sql "SELECT string_agg(birth_date::text, '|' ORDER BY birth_date) FROM citizen
           WHERE display_name IN ('Testperson Delta', 'Testperson Echo', 'Testperson Charlie, jr.')")" \
  "the century from the 7th digit"
assert_eq '{"anbragt": "ja", "kommunekode": "492"}' \
  "$(sql "SELECT attributes FROM citizen WHERE display_name = 'Testperson Juliett Ærø'")" "attributes from JSON lines"

step "importing the same extract again changes nothing"
r=$(import good.csv)
expect_counts "done lines=6 added=0 changed=0 unchanged=6 refused=0" "good.csv again"

step "a new name is a change (semicolons, CRLF and a byte-order mark read the same)"
r=$(import changed.csv)
expect_counts "done lines=6 added=0 changed=1 unchanged=5 refused=0" "changed.csv"
assert_eq 1 "$(sql "SELECT count(*) FROM citizen WHERE display_name = 'Testperson Bravo Nyt-Navn'")" "the new name"

step "each kind of bad CSV line is refused with its line number and reason; good lines import"
r=$(import bad.csv)
expect_counts "done lines=12 added=2 changed=0 unchanged=0 refused=10" "bad.csv"
assert_eq "3: the CPR number is not 10 digits
4: the CPR number holds an impossible date (DDMMYY, century from the 7th digit)
5: the birth date is missing
6: the birth date does not match the date in the CPR number
7: the line has 3 fields where the header has 5 (a missing field?)
8: municipality code 999 is not one of the configured ones
9: the municipality code is not 3 digits
10: the same CPR number as line 2
11: the name is missing
12: a quoted field is not closed on its line" "$(refusals "$r")" "bad.csv refusals"

step "each kind of bad JSON line is refused with its line number and reason"
r=$(import bad.jsonl)
expect_counts "done lines=10 added=2 changed=0 unchanged=0 refused=8" "bad.jsonl"
assert_eq "2: unknown attribute 'hemmelig' (not in [plugin.personregister] attributes)
3: the line is not valid JSON (column 30)
4: the line is not a JSON object
5: the CPR number is not a JSON string
6: unknown field 'adresse' (the fields are cpr, name, birth_date, municipality and attributes)
7: the CPR number is missing
8: attribute 'funktionsnedsaettelse' is not a string, number, true, false or null
10: the birth date lies in the future" "$(refusals "$r")" "bad.jsonl refusals"

step "a header naming a column that is neither a field nor an attribute fails the import"
r=$(import unknown-column.csv)
expect_counts "failed lines=0 added=0 changed=0 unchanged=0 refused=0" "unknown-column.csv"
assert_contains "$(jq -r .error <<<"$r")" "line 1: column 'hemmelig' is neither a field" "its error"

step "the refused list is capped; the count is not"
{
  echo "cpr,name,birth_date,municipality"
  for i in $(seq 30); do echo "0101901234,Testperson Xray,1990-01-0$((i % 9 + 1)),320"; done
} >"$dir/many.csv"
r=$(import many.csv)
expect_counts "done lines=30 added=1 changed=0 unchanged=0 refused=29" "many.csv"
assert_eq "20 true" "$(jq -r '"\(.refused_lines | length) \(.refused_lines_truncated)"' <<<"$r")" "the list"

step "a file is named by its name in import_dir: paths, .., hidden files and other folders are refused"
for body in '{"file": "../good.csv"}' '{"file": "/etc/passwd"}' '{"file": ".hidden.csv"}' \
  '{"file": "sub/good.csv"}' '{"file": ".."}'; do
  out=$(post "$body")
  assert_eq 400 "$(tail -n 1 <<<"$out")" "$body"
  assert_contains "$(head -n 1 <<<"$out")" "bad-file-name" "$body"
done
ln -s /etc/passwd "$dir/link.csv"
assert_eq 404 "$(post '{"file": "link.csv"}' | tail -n 1)" "a symbolic link"
assert_eq 404 "$(post '{"file": "nothing.csv"}' | tail -n 1)" "a file that is not there"
assert_eq 400 "$(post '{"file": "good.txt"}' | tail -n 1)" "a file of no known format"
assert_eq 400 "$(post '{"name": "good.csv"}' | tail -n 1)" "no file"
assert_eq 400 "$(post 'not json' | tail -n 1)" "not JSON"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/imports/nosuchid")" "an unknown import"

step "only an administrator may import or read imports"
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"file": "good.csv"}' "$base/imports")" "no token"
assert_eq 403 "$(post '{"file": "good.csv"}' "$tovtoken" | tail -n 1)" "a tovholder"
assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tovtoken" "$base/imports")" "a tovholder's list"
assert_eq 8 "$(curl -s -H "Authorization: Bearer $token" "$base/imports" | jq '.items | length')" "the list of imports"

step "an imported 16-year-old with the attribute gets a case from the age start rule"
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
# cpr DATE SERIAL: a CPR number for a birth date after 1999 (7th digit 4: 2000-2036)
cpr() { echo "$(date -d "$1" +%d%m%y)4$2"; }
b16=$(date -d '16 years ago 1 day ago' +%F)
b15=$(date -d '15 years ago 11 months ago' +%F)
{
  echo "cpr,name,birth_date,municipality,funktionsnedsaettelse"
  echo "$(cpr "$b16" 111),Testperson Ung Seksten,$b16,320,true"
  echo "$(cpr "$b16" 222),Testperson Ung Uden,$b16,320,"
  echo "$(cpr "$b15" 333),Testperson Ung Femten,$b15,320,true"
} >"$dir/young.csv"
r=$(import young.csv)
expect_counts "done lines=3 added=3 changed=0 unchanged=0 refused=0" "young.csv"
"$OVERGANG" sweep >/dev/null # (the older citizens imported above with the attribute get one too)
assert_eq "Testperson Ung Seksten" \
  "$(sql "SELECT string_agg(ci.display_name, '|') FROM cases c JOIN citizen ci ON ci.id = c.citizen_id
           WHERE ci.display_name LIKE 'Testperson Ung %'")" "who of the young got a case"

step "with watch_interval, an extract dropped into import_dir is imported and moved away"
daemon_stop d
wdir="$TEST_TMP/watch"
mkdir "$wdir"
cp "$fixtures/good.jsonl" "$wdir/drop.jsonl"
cp "$fixtures/unknown-column.csv" "$wdir/wrong.csv"
touch -d '1 minute ago' "$wdir/drop.jsonl" "$wdir/wrong.csv"
sed -e "s|^import_dir = .*|import_dir = $wdir|" -e '$a watch_interval = 1s' "$TEST_TMP/d.conf" >"$TEST_TMP/w.conf"
daemon_start w "$TEST_TMP/w.conf"
wait_for 20 test -f "$wdir/failed/wrong.csv.report.json" -a -f "$wdir/imported/drop.jsonl.report.json" ||
  fail "the watch job did not import and move the extracts: $(ls -R "$wdir")"
r=$(cat "$wdir/imported/drop.jsonl.report.json")
expect_counts "done lines=4 added=0 changed=0 unchanged=4 refused=0" "drop.jsonl"
assert_eq "watch" "$(jq -r .by <<<"$r")" "who"
assert_eq "failed" "$(jq -r .state "$wdir/failed/wrong.csv.report.json")" "wrong.csv"
assert_eq "" "$(find "$wdir" -maxdepth 1 -type f)" "nothing left in import_dir"
daemon_stop w

step "the daemon's log holds no CPR number and no name"
log=$(cat "$TEST_TMP/d.log" "$TEST_TMP/w.log")
assert_contains "$log" '"msg":"import ' "the imports are logged"
for f in "$dir"/*.csv "$dir"/*.jsonl; do
  for n in $(grep -oE '[0-9]{10}' "$f" | sort -u); do
    case "$log" in *"$n"*) fail "the log holds a CPR number from $(basename "$f")" ;; esac
  done
done
case "$log" in *Testperson*) fail "the log holds a name: $(grep -m1 Testperson "$TEST_TMP/d.log")" ;; esac
