# When clients hold every file descriptor the daemon may open, it stops accepting for a moment
# instead of spinning, keeps serving the clients it has, and accepts again once they go.
source "$OVERGANG_SRC/tests/lib/testlib.sh"
source "$OVERGANG_SRC/tests/lib/engine.sh"

new_db 1
write_conf "$TEST_TMP/d.conf" "workers = 0"
port=$(free_port)
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "$TEST_TMP/d.conf"
printf '[api]\ntimeout = 1s\n' >>"$TEST_TMP/d.conf"
# a small descriptor limit, so a few clients exhaust it
(ulimit -n 64 && exec "$OVERGANGD" -c "$TEST_TMP/d.conf") 2>>"$TEST_TMP/d.log" &
pid=$!
cleanup "kill -9 $pid 2>/dev/null"
wait_for 10 status_is 200 "http://127.0.0.1:$port/readyz" || fail "not ready: $(tail -n 5 "$TEST_TMP/d.log")"

step "100 idle connections exhaust the descriptors; the daemon pauses accepting, and does not spin"
/usr/bin/python3 - "$port" "$pid" <<'PY' || fail "see above"
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
held = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    held.append(s)
time.sleep(0.3)
c0 = cpu()
time.sleep(2)
used = cpu() - c0
print(f"cpu while exhausted: {used:.2f} s in 2 s")
if used > 0.5:
    sys.exit("the daemon spins while it cannot accept")
for s in held:
    s.close()
PY
assert_contains "$(cat "$TEST_TMP/d.log")" "cannot accept more connections now" "the pause is logged"

step "once the clients are gone it serves again"
wait_for 10 status_is 200 "http://127.0.0.1:$port/healthz" || fail "not serving after the clients left"
step "clients that read their answer more slowly than the timeout allows do not harm the daemon"
/usr/bin/python3 - "$port" <<'PY' || fail "see above"
import socket, sys, time
port = int(sys.argv[1])
for _ in range(3):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(2048)
        if not d:
            break
        data += d
        time.sleep(0.02)
    s.close()
    # the daemon's write timeout may cut a reader this slow: what matters is that it lives
    print("read", len(data), "bytes slowly")
PY
status_is 200 "http://127.0.0.1:$port/healthz" || fail "the daemon does not answer after slow readers: $(tail -n 5 "$TEST_TMP/d.log")"
kill -TERM $pid; wait $pid || fail "exit status $?"
