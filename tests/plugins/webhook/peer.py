#!/usr/bin/python3
"""The other side of the webhook plugin in its tests (standard library only).

  peer.py serve PORT SECRET_FILE LOG [CERT KEY]
      An HTTP (or, with CERT and KEY, HTTPS) receiver. Every request it gets is one JSON line
      in LOG: path, idempotency key, whether the signature verified, the status answered, the
      body, the time, and whether the key was one it had taken before ("dup"). It takes a key
      once: a later request with the same key is answered 200 and not taken again. Paths:
        /ok             200 when the signature verifies, else 401
        /status/N       N
        /429-once       429 with Retry-After: 2 the first time for a key, then as /ok
        /hang-once/S    no answer for S seconds the first time for a key, then as /ok
  peer.py send URL SECRET_FILE KEY BODY [--age S] [--tamper] [--unsigned]
      POSTs BODY signed as the plugin signs (the time S seconds ago; --tamper changes the
      body after signing) and prints "STATUS BODY".
"""
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read_secret(path):
    with open(path, "rb") as f:
        return f.read().rstrip(b"\r\n")


def sign(secret, t, key, body):
    return hmac.new(secret, f"{t}.{key}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret, header, key, body):
    """Whether HEADER (t=...,v1=...) signs KEY and BODY; and its time."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError, AttributeError):
        return False, None
    return hmac.compare_digest(sign(secret, t, key, body), parts.get("v1", "")), t


def serve(port, secret_file, log, cert=None, keyfile=None):
    secret = read_secret(secret_file)
    lock = threading.Lock()
    taken = set()  # keys answered 2xx
    first = set()  # keys seen by the *-once paths

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, extra=None):
            body = json.dumps({"status": status}).encode()
            self.send_response(status)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            ok, t = verify(secret, self.headers.get("Overgang-Signature", ""), key, body)
            path = self.path
            status, extra, hang = 200, None, False
            with lock:
                seen_before = (path, key) in first
                first.add((path, key))
            if path.startswith("/status/"):
                status = int(path[len("/status/"):])
            elif path == "/429-once" and not seen_before:
                status, extra = 429, {"Retry-After": "2"}
            elif path.startswith("/hang-once/") and not seen_before:
                hang = float(path[len("/hang-once/"):])
            elif not ok:
                status = 401
            with lock:
                dup = key in taken
                if 200 <= status < 300 and not hang:
                    taken.add(key)
                with open(log, "a") as f:
                    f.write(json.dumps({
                        "path": path, "key": key, "sig_ok": ok, "t": t, "status": status,
                        "hang": bool(hang), "dup": dup, "at": time.time(),
                        "content_type": self.headers.get("Content-Type"),
                        "attempt": self.headers.get("Overgang-Attempt"),
                        "body": body.decode("utf-8", "replace")}) + "\n")
            if hang:
                time.sleep(hang)
                return  # the client gave up; nothing is answered
            self.answer(status, extra)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, keyfile)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()


def send(url, secret_file, key, body, age=0, tamper=False, unsigned=False):
    secret = read_secret(secret_file)
    data = body.encode()
    t = int(time.time()) - age
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if not unsigned:
        headers["Overgang-Signature"] = f"t={t},v1={sign(secret, t, key, data)}"
    if tamper:
        data = data.replace(b"}", b" }", 1)
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())


def main(argv):
    if argv[1] == "serve":
        serve(int(argv[2]), argv[3], argv[4], *argv[5:7])
    elif argv[1] == "send":
        rest = argv[6:]
        age = int(rest[rest.index("--age") + 1]) if "--age" in rest else 0
        send(argv[2], argv[3], argv[4], argv[5], age, "--tamper" in rest, "--unsigned" in rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
