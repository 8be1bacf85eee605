# The webhook plugin against real local HTTP(S) servers (tests/plugins/webhook/peer.py), both
# ways. Out: a delivery arrives with its idempotency key and a signature the receiver checks;
# a 400 is parked at once; a 503 is retried, then parked; a receiver that hangs times out and
# is tried again; a 429's Retry-After is honoured; TLS to a private CA works with ca_file and
# is refused without it; a receiver that is down is retried, parked, and, once it is back and
# an administrator retries the row, delivered exactly once. In: a signed event lands in its
# case (by number or by reference) and the workflow steps it; a bad, missing or stale
# signature is a 401 and adds nothing; a replay is a 409 and adds nothing; unknown senders
# and cases are 404s; malformed bodies 400s. Bad configuration stops the daemon with a clear
# message. No payload reaches a log line or an error text.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

peer="$OVERGANG_SRC/tests/plugins/webhook/peer.py"
so="$OVERGANG_BIN/webhook.so"

new_db 1
seed_directory
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/counter.lua" >/dev/null
"$OVERGANG" workflow deploy "$OVERGANG_SRC/tests/workflows/event-start.lua" >/dev/null
seed_cases counter 3
sql "INSERT INTO case_ref (system, ref, case_id) VALUES ('nexus', 'N-42', 2)" >/dev/null

# Secrets (one for our endpoints, one for the inbound sender) and a private CA for TLS.
secret() { (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1"); }
secret "$TEST_TMP/out.secret"
secret "$TEST_TMP/in.secret"
secret "$TEST_TMP/cpr.key" # the key of the CPR numbers' hash
printf 'too short\n' >"$TEST_TMP/short.secret"
chmod 600 "$TEST_TMP/short.secret"
(
  cd "$TEST_TMP"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout ca.key -out ca.pem -subj "/CN=overgang test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -out server.pem -extfile server.ext
) >/dev/null 2>&1 || fail "openssl could not make the test CA"

# peer_start NAME PORT [CERT KEY]: a receiver logging to $TEST_TMP/NAME.jsonl
peer_start() {
  local name=$1 port=$2; shift 2
  /usr/bin/python3 "$peer" serve "$port" "$TEST_TMP/out.secret" "$TEST_TMP/$name.jsonl" "$@" \
    2>>"$TEST_TMP/$name.err" &
  echo $! >"$TEST_TMP/$name.pid"
  cleanup "kill $! 2>/dev/null"
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" ||
    fail "receiver $name did not start: $(cat "$TEST_TMP/$name.err")"
}
# received NAME KEY JQ-FILTER: what receiver NAME logged for KEY, as jq sees the list
received() {
  touch "$TEST_TMP/$1.jsonl"
  jq -sc --arg k "$2" "[.[] | select(.key == \$k)] | $3" "$TEST_TMP/$1.jsonl"
}
outbox() { sql "SELECT status || ':' || attempts FROM outbox WHERE idem_key = '$1'"; }
outbox_is() { [ "$(sql "SELECT status FROM outbox WHERE idem_key = '$1'")" = "$2" ]; }
last_error() { sql "SELECT coalesce(last_error, '') FROM outbox WHERE idem_key = '$1'"; }
listening() { grep -q '"msg":"overgangd listening"' "$TEST_TMP/$1.log"; }
port_of() { grep '"msg":"overgangd listening"' "$TEST_TMP/$1.log" | head -n 1 | sed 's/.*"port":\([0-9]*\).*/\1/'; }

# refused NAME EXPECTED [CONFIG LINES...]: the daemon does not start with this [plugin.webhook]
refused() {
  local name=$1 expected=$2; shift 2
  write_conf "$TEST_TMP/$name.conf" "workers = 0"
  { printf '[plugin.webhook]\npath = %s\n' "$so"; for l in "$@"; do echo "$l"; done; } >>"$TEST_TMP/$name.conf"
  local rc=0
  timeout 10 "$OVERGANGD" -c "$TEST_TMP/$name.conf" 2>"$TEST_TMP/$name.log" || rc=$?
  assert_eq 1 "$rc" "exit status with $name"
  assert_contains "$(cat "$TEST_TMP/$name.log")" "$expected" "$name's message"
}

step "bad configuration stops the daemon, saying what is wrong"
refused none "no endpoint configured"
refused no-url "out.crm.url is required" "outbound = crm" "out.crm.secret_file = $TEST_TMP/out.secret"
refused bad-url "out.crm.url: 'ftp://127.0.0.1/x' is neither http:// nor https://" \
  "outbound = crm" "out.crm.url = ftp://127.0.0.1/x" "out.crm.secret_file = $TEST_TMP/out.secret"
refused no-secret "out.crm.secret_file is required" "outbound = crm" "out.crm.url = http://127.0.0.1:1/"
refused short-secret "out.crm.secret_file: the secret in $TEST_TMP/short.secret must be 16 to 1024 bytes long" \
  "outbound = crm" "out.crm.url = http://127.0.0.1:1/" "out.crm.secret_file = $TEST_TMP/short.secret"
refused bad-timeout "out.crm.timeout: 'soon' is not a duration" "outbound = crm" \
  "out.crm.url = http://127.0.0.1:1/" "out.crm.secret_file = $TEST_TMP/out.secret" "out.crm.timeout = soon"
refused no-ca "out.crm.ca_file: cannot read $TEST_TMP/nothing.pem" "outbound = crm" \
  "out.crm.url = https://127.0.0.1:1/" "out.crm.secret_file = $TEST_TMP/out.secret" "out.crm.ca_file = $TEST_TMP/nothing.pem"
refused in-secret "in.nexus.secret_file is required" "inbound = nexus"
refused twice "outbound: 'crm' is listed twice" "outbound = crm, crm"

step "the receivers start: plain HTTP, HTTPS with a private CA; a third one stays down for now"
http_port=$(free_port)
https_port=$(free_port)
later_port=$(free_port)
peer_start http "$http_port"
peer_start https "$https_port" "$TEST_TMP/server.pem" "$TEST_TMP/server.key"
h="http://127.0.0.1:$http_port"

write_conf "$TEST_TMP/d.conf" "workers = 1" "outbox_lease = 10s" "outbox_max_attempts = 3"
cat >>"$TEST_TMP/d.conf" <<EOF
[api]
cpr_key_file = $TEST_TMP/cpr.key
[plugin.webhook]
path = $so
outbound = crm, refuses, flaky, slow, busy, tls, tls-noca, later, stall
inbound = nexus, sms
out.crm.url = $h/ok
out.crm.secret_file = $TEST_TMP/out.secret
out.refuses.url = $h/status/400
out.refuses.secret_file = $TEST_TMP/out.secret
out.flaky.url = $h/status/503
out.flaky.secret_file = $TEST_TMP/out.secret
out.slow.url = $h/hang-once/4
out.slow.secret_file = $TEST_TMP/out.secret
out.slow.timeout = 1s
out.busy.url = $h/429-once
out.busy.secret_file = $TEST_TMP/out.secret
out.tls.url = https://127.0.0.1:$https_port/ok
out.tls.secret_file = $TEST_TMP/out.secret
out.tls.ca_file = $TEST_TMP/ca.pem
out.tls-noca.url = https://127.0.0.1:$https_port/ok
out.tls-noca.secret_file = $TEST_TMP/out.secret
out.later.url = http://127.0.0.1:$later_port/ok
out.later.secret_file = $TEST_TMP/out.secret
out.stall.url = $h/hang-once/30
out.stall.secret_file = $TEST_TMP/out.secret
out.stall.timeout = 8s
in.nexus.secret_file = $TEST_TMP/in.secret
in.nexus.ref_system = nexus
in.sms.secret_file = $TEST_TMP/in.secret
in.sms.types = reply
EOF
daemon_start d "$TEST_TMP/d.conf"
wait_for 10 listening d || fail "the daemon did not start: $(tail -n 5 "$TEST_TMP/d.log")"
assert_contains "$(cat "$TEST_TMP/d.log")" "webhook plugin ready: 9 endpoint(s) out, 2 sender(s) in" "ready"
url="http://127.0.0.1:$(port_of d)"
wait_drained 10

step "outbox rows for every endpoint are handed to the plugin"
# crm and refuses ask for word back (case:outbox { ..., notify = true })
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key, notify)
     SELECT 1, 'webhook', a, jsonb_build_object('brev', 'velkommen', 'mark', 'PAYLOAD-MARK', 'to', a), a || '-1',
            a IN ('crm', 'refuses')
       FROM unnest(array['crm', 'refuses', 'flaky', 'slow', 'busy', 'tls', 'tls-noca', 'later']) a" >/dev/null

step "delivered: POSTed once as JSON, with the key and a signature the receiver verifies"
wait_for 10 outbox_is crm-1 delivered || fail "crm-1 not delivered: $(outbox crm-1) $(last_error crm-1)"
assert_eq "delivered:1" "$(outbox crm-1)" "crm-1"
assert_eq 1 "$(received http crm-1 'length')" "requests the receiver got for crm-1"
assert_eq true "$(received http crm-1 '.[0].sig_ok')" "the signature verifies at the receiver"
assert_eq '"application/json"' "$(received http crm-1 '.[0].content_type')" "content type"
assert_eq '"1"' "$(received http crm-1 '.[0].attempt')" "attempt header"
skew=$(received http crm-1 "(.[0].t - $(date +%s)) | fabs")
[ "${skew%.*}" -lt 60 ] || fail "the signature's time is $skew s off"
assert_eq "$(sql "SELECT payload FROM outbox WHERE idem_key = 'crm-1'")" \
  "$(received http crm-1 '.[0].body' | jq -r .)" "the body is the payload, byte for byte"

word() { sql "SELECT payload->>'$2' FROM event WHERE case_id = 1 AND type = '$1' AND payload->>'key' = '$3'"; }
assert_eq '{"status": 200}' "$(word delivered result crm-1)" "the case hears of it, with the HTTP status"

step "a 400 from the receiver parks the row at once, naming the endpoint and the status"
wait_for 10 outbox_is refuses-1 parked || fail "refuses-1 not parked: $(outbox refuses-1)"
assert_eq "parked:1" "$(outbox refuses-1)" "refuses-1"
assert_contains "$(last_error refuses-1)" "endpoint refuses: HTTP 400 from the receiver" "refuses-1's error"
assert_contains "$(word delivery_failed error refuses-1)" "endpoint refuses: HTTP 400" "the case hears of it, with the error"

step "a receiver that hangs times out, and the row is delivered on the next try, taken once"
wait_for 15 outbox_is slow-1 delivered || fail "slow-1 not delivered: $(outbox slow-1) $(last_error slow-1)"
assert_eq "delivered:2" "$(outbox slow-1)" "slow-1"
assert_contains "$(cat "$TEST_TMP/d.log")" "endpoint slow: no answer within 1000 ms" "the timeout is logged"
assert_eq "[true,false]" "$(received http slow-1 '[.[].hang]')" "the first request hung, the second was answered"
assert_eq 1 "$(received http slow-1 '[.[] | select(.status == 200 and (.hang | not) and (.dup | not))] | length')" "taken once"

step "a 429 is retried after its Retry-After"
wait_for 15 outbox_is busy-1 delivered || fail "busy-1 not delivered: $(outbox busy-1) $(last_error busy-1)"
assert_eq "delivered:2" "$(outbox busy-1)" "busy-1"
gap=$(received http busy-1 '(.[1].at - .[0].at) * 1000 | floor')
[ "$gap" -ge 1500 ] || fail "busy-1 was retried after $gap ms, before the 2 s it was asked to wait"

step "TLS: verified against ca_file; without it the receiver's certificate is refused"
wait_for 10 outbox_is tls-1 delivered || fail "tls-1 not delivered: $(outbox tls-1) $(last_error tls-1)"
assert_eq true "$(received https tls-1 '.[0].sig_ok')" "signature over TLS"
wait_for 15 outbox_is tls-noca-1 parked || fail "tls-noca-1 not parked: $(outbox tls-noca-1)"
assert_eq "parked:3" "$(outbox tls-noca-1)" "tls-noca-1"
assert_contains "$(last_error tls-noca-1)" "endpoint tls-noca: TLS: " "tls-noca-1's error"
assert_contains "$(last_error tls-noca-1)" "certificate" "tls-noca-1's error"
assert_eq 0 "$(received https tls-noca-1 'length')" "nothing reached the receiver without verified TLS"

step "a 503 is retried, then parked after outbox_max_attempts"
wait_for 15 outbox_is flaky-1 parked || fail "flaky-1 not parked: $(outbox flaky-1)"
assert_eq "parked:3" "$(outbox flaky-1)" "flaky-1"
assert_contains "$(last_error flaky-1)" "endpoint flaky: HTTP 503 from the receiver" "flaky-1's error"
assert_eq 3 "$(received http flaky-1 'length')" "three tries reached the receiver"

step "a receiver that is down: retried, parked; back up, retried by an administrator, delivered once"
wait_for 15 outbox_is later-1 parked || fail "later-1 not parked: $(outbox later-1)"
assert_eq "parked:3" "$(outbox later-1)" "later-1"
assert_contains "$(last_error later-1)" "endpoint later: cannot connect: " "later-1's error"
peer_start later "$later_port"
sleep 1.5 # the poll interval: a parked row is not tried again by itself
assert_eq 0 "$(received later later-1 'length')" "a parked row waits for an administrator"
token=$("$OVERGANG" token create --staff anna --role administrator 2>"$TEST_TMP/token.err") ||
  fail "cannot make an administrator's token: $(cat "$TEST_TMP/token.err")"
id=$(sql "SELECT id FROM outbox WHERE idem_key = 'later-1'")
assert_contains "$(curl -s -H "Authorization: Bearer $token" "$url/v1/admin/outbox?status=parked")" \
  "endpoint later: cannot connect" "the parked row and its error, as administrators see it"
retry() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$url/v1/admin/outbox/$id/retry"; }
assert_eq 200 "$(retry)" "the administrator's retry"
wait_for 10 outbox_is later-1 delivered || fail "later-1 not delivered after the retry: $(outbox later-1) $(last_error later-1)"
assert_eq "delivered:1" "$(outbox later-1)" "later-1 on the first try after the retry"
assert_eq 409 "$(retry)" "a delivered row is not retried again"
sleep 1.5
assert_eq 1 "$(received later later-1 'length')" "the receiver got later-1 exactly once"
assert_eq true "$(received later later-1 '.[0].sig_ok and (.[0].dup | not)')" "signed, and new to the receiver"

step "no payload in the daemon's log or in an error kept on a row"
assert_eq 0 "$(sql "SELECT count(*) FROM outbox WHERE last_error LIKE '%PAYLOAD-MARK%' OR last_error LIKE '%velkommen%'")" "errors"
if grep -q -e PAYLOAD-MARK -e velkommen "$TEST_TMP/d.log"; then
  fail "a payload in the log: $(grep -e PAYLOAD-MARK -e velkommen "$TEST_TMP/d.log" | head -n 2)"
fi

# ---- inbound ----
in="$url/v1/plugins/webhook/in"
send() { /usr/bin/python3 "$peer" send "$in/$1" "$TEST_TMP/in.secret" "$2" "$3" "${@:4}"; }
events() { sql "SELECT count(*) FROM event WHERE source = 'plugin:webhook' AND idem_key = '$1'"; }

step "a signed event lands in its case, and the workflow steps it"
out=$(send nexus k-1 '{"case": 1, "type": "tick", "payload": {"seq": 1}}')
assert_eq '202 {"case":1,"status":"accepted"}' "$out" "accepted"
assert_eq 1 "$(events nexus:k-1)" "the event row"
assert_eq '{"seq": 1}' "$(sql "SELECT payload FROM event WHERE idem_key = 'nexus:k-1'")" "its payload"
wait_drained 10
assert_eq 1 "$(sql "SELECT state->>'count' FROM cases WHERE id = 1")" "the counter counted it"

step "by the case's reference in the sender's system"
assert_eq '202 {"case":2,"status":"accepted"}' "$(send nexus k-2 '{"ref": "N-42", "type": "tick"}')" "by ref"
wait_drained 10
assert_eq 1 "$(sql "SELECT state->>'count' FROM cases WHERE id = 2")" "case 2 counted it"

step "by the citizen's CPR number: the event starts the workflow that starts on it"
# a citizen known by CPR number (made up), with no case yet
CPR=0101081234
hash=$(/usr/bin/python3 -c 'import hashlib, sys
print(hashlib.blake2b(sys.argv[2].encode(), key=bytes.fromhex(open(sys.argv[1]).read().strip()),
      digest_size=32).hexdigest())' "$TEST_TMP/cpr.key" "$CPR")
cit=$(sql "INSERT INTO citizen (display_name, birth_date) VALUES ('Cpr Borger', '2008-01-01') RETURNING id")
sql "INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr) VALUES ($cit, decode('$hash', 'hex'), '$CPR')" >/dev/null
out=$(send nexus k-c1 "{\"cpr\": \"$CPR\", \"type\": \"indskrevet\", \"payload\": {\"skole\": \"STU Nord\"}}")
started=$(sql "SELECT id FROM cases WHERE citizen_id = $cit AND workflow_name = 'event-start'")
[ -n "$started" ] || fail "no case was started: $out"
assert_eq "202 {\"case\":$started,\"status\":\"accepted\"}" "$out" "accepted, naming the new case"
assert_eq "started indskrevet" "$(sql "SELECT string_agg(type, ' ' ORDER BY id) FROM event WHERE case_id = $started")" \
  "its first events: started, then the event"
wait_drained 10
assert_eq "STU Nord 1 t" "$(sql "SELECT c.state->>'skole', c.state->>'gange', EXISTS (SELECT 1
  FROM staff_department s WHERE s.staff_id = c.tovholder AND s.department_id = 'born-familie')
  FROM cases c WHERE c.id = $started" | tr '|' ' ')" \
  "the workflow stepped both: tovholder and state"
assert_contains "$(send nexus k-c1 "{\"cpr\": \"$CPR\", \"type\": \"indskrevet\"}")" '409 ' "a replay of the key"
assert_eq "202 {\"case\":$started,\"status\":\"accepted\"}" \
  "$(send nexus k-c2 "{\"cpr\": \"$CPR\", \"type\": \"indskrevet\", \"payload\": {\"skole\": \"STU Syd\"}}")" \
  "a second one goes into the running case"
wait_drained 10
assert_eq "STU Syd 2 1" "$(sql "SELECT c.state->>'skole', c.state->>'gange', (SELECT count(*) FROM cases x
  WHERE x.citizen_id = $cit) FROM cases c WHERE c.id = $started" | tr '|' ' ')" "no second case; the event counted"
assert_eq '200 {"status":"ignored"}' "$(send nexus k-c3 "{\"cpr\": \"$CPR\", \"type\": \"flyttet\"}")" \
  "an event nothing receives"
assert_eq 2 "$(sql "SELECT count(*) FROM citizen_event WHERE citizen_id = $cit")" "and it is not kept"
assert_contains "$(send nexus k-c4 '{"cpr": "0101990000", "type": "indskrevet"}')" '404 ' "an unknown CPR number"
assert_contains "$(send nexus k-c4 '{"cpr": "0101990000", "type": "indskrevet"}')" 'no-citizen' "its type"
assert_contains "$(send nexus k-c4 '{"cpr": "01019", "type": "indskrevet"}')" 'must be a CPR number' "a short one"
assert_contains "$(send nexus k-c4 "{\"cpr\": \"$CPR\", \"case\": 1, \"type\": \"tick\"}")" 'exactly one of' "cpr and case"
if grep -q -e "$CPR" -e 0101990000 -e "Cpr Borger" "$TEST_TMP/d.log"; then
  fail "a CPR number or name in the log: $(grep -e "$CPR" -e 0101990000 "$TEST_TMP/d.log" | head -n 2)"
fi

step "a replay is refused with 409, and the event is there once"
assert_contains "$(send nexus k-1 '{"case": 1, "type": "tick", "payload": {"seq": 1}}')" "409 " "replay"
assert_eq 1 "$(events nexus:k-1)" "still one event"

step "bad, missing, stale or foreign signatures: 401, and no event"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --tamper)" '401 ' "a body changed after signing"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --tamper)" 'bad-signature' "its type"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --unsigned)" 'signature-required' "unsigned"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --age 600)" '401 ' "ten minutes old"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --age 600)" 'stale-signature' "its type"
assert_contains "$(send nexus k-3 '{"case": 1, "type": "tick"}' --age -600)" 'stale-signature' "ten minutes ahead"
assert_contains "$(/usr/bin/python3 "$peer" send "$in/nexus" "$TEST_TMP/out.secret" k-3 '{"case": 1, "type": "tick"}')" \
  '401 ' "signed with another secret"
assert_contains "$(curl -s -X POST -H 'Idempotency-Key: k-3' -H 'Overgang-Signature: t=1,v1=zz' -d '{}' "$in/nexus")" \
  'bad-signature' "a malformed signature header"
assert_eq 0 "$(events nexus:k-3)" "no event from any of them"
assert_contains "$(cat "$TEST_TMP/d.log")" "sender nexus: a request with a wrong signature was refused" "logged"

step "unknown sender or case: 404; closed case: 409"
assert_contains "$(send nobody k-4 '{"case": 1, "type": "tick"}')" '404 ' "unknown sender"
assert_contains "$(send nexus k-4 '{"case": 999, "type": "tick"}')" '404 ' "unknown case"
assert_contains "$(send nexus k-4 '{"ref": "N-999", "type": "tick"}')" '404 ' "unknown reference"
sql "UPDATE cases SET status = 'closed', closed_at = now() WHERE id = 3" >/dev/null
assert_contains "$(send nexus k-4 '{"case": 3, "type": "tick"}')" '409 ' "a closed case"
assert_contains "$(send nexus k-4 '{"case": 3, "type": "tick"}')" 'case-closed' "its type"
assert_eq 0 "$(events nexus:k-4)" "no event"

step "malformed bodies: 400, saying what is wrong"
assert_contains "$(send nexus k-5 'not json')" '400 ' "not JSON"
assert_contains "$(send nexus k-5 '{"case": 1}')" '\"type\" must be an event type' "no type"
assert_contains "$(send nexus k-5 '{"case": 1, "ref": "N-42", "type": "tick"}')" 'exactly one of' "case and ref"
assert_contains "$(send nexus k-5 '{"case": "1", "type": "tick"}')" 'positive integer' "case as text"
assert_contains "$(send nexus k-5 '{"case": 1, "type": "started"}')" '400 ' "a type the engine reserves"
assert_contains "$(send nexus k-5 '{"case": 1, "type": "tick", "payload": [1]}')" '\"payload\" must be a JSON object' "payload"
assert_contains "$(send sms k-5 '{"case": 1, "type": "tick"}')" 'may not send events of that type' "in.sms.types"
assert_contains "$(send sms k-5 '{"ref": "N-42", "type": "reply"}')" 'no ref_system' "ref without ref_system"
assert_eq 0 "$(sql "SELECT count(*) FROM event WHERE source = 'plugin:webhook' AND idem_key LIKE '%:k-5'")" "no event"
assert_eq '202 {"case":1,"status":"accepted"}' "$(send sms k-5 '{"case": 1, "type": "reply"}')" "sms may send a reply"
assert_eq 1 "$(events sms:k-5)" "the same key from another sender is another event"

step "stopped mid-delivery, the daemon abandons the request cleanly; after the lease it is delivered again"
sql "INSERT INTO outbox (case_id, plugin, action, payload, idem_key)
     VALUES (1, 'webhook', 'stall', '{\"mark\": \"PAYLOAD-MARK\"}', 'stall-1')" >/dev/null
wait_for 10 bash -c "[ -s '$TEST_TMP/http.jsonl' ] && grep -q '\"stall-1\"' '$TEST_TMP/http.jsonl'" ||
  fail "stall-1 never reached the receiver: $(outbox stall-1)"
daemon_stop d # waits shutdown_timeout (5 s) for the hanging request, then abandons it
assert_eq "pending:1" "$(outbox stall-1)" "stall-1 is neither delivered nor failed"
daemon_start d2 "$TEST_TMP/d.conf"
wait_for 15 outbox_is stall-1 delivered || fail "stall-1 not delivered after the restart: $(outbox stall-1)"
assert_eq "delivered:2" "$(outbox stall-1)" "stall-1, on its second hand-out"
assert_eq 1 "$(received http stall-1 '[.[] | select(.status == 200 and (.hang | not) and (.dup | not))] | length')" "taken once"
daemon_stop d2
