"""Behaviour at the edges: a table of malformed requests, each with its documented error, the
daemon answering /v1/me promptly after every one; two people completing the same task at
once; and misbehaving clients (half a request line, idle connections, a drip-feed, clients
that leave before the answer) that must not stop anyone else. The malformed and slow cases
go over raw sockets, so exactly these bytes reach the server."""
import http.client
import json
import os
import re
import socket
import struct
import threading
import time
import uuid

import apilib
from apilib import *
from matrix_test import example, operations, resolve

ME = "mette/tovholder"
failures = []   # assertions that found a bug: the test runs on and fails at the end
skips = []


def bug(what, request, expected, actual):
    msg = f"{what}\n      request:  {request}\n      expected: {expected}\n      actual:   {actual}"
    print("FAIL", msg, flush=True)
    failures.append(msg)


def skip(what):
    print(f"SKIP: {what}", flush=True)
    skips.append(what)


# ---- raw HTTP ----

def token(who=ME):
    return TOKENS[who]


def build(method, path, who=ME, body=b"", headers=None, ctype="application/json", length=None):
    h = [f"{method} {path} HTTP/1.1", f"Host: {URL.hostname}:{URL.port}", "Connection: close"]
    if who:
        h.append(f"Authorization: Bearer {token(who)}")
    if body or method in ("POST", "PUT", "PATCH"):
        if ctype:
            h.append(f"Content-Type: {ctype}")
        h.append(f"Content-Length: {len(body) if length is None else length}")
    for k, v in (headers or {}).items():
        h.append(f"{k}: {v}")
    head = ("\r\n".join(h) + "\r\n\r\n").encode("latin-1")
    return head + (body if isinstance(body, bytes) else body.encode())


def connect(timeout=10):
    s = socket.create_connection((URL.hostname, URL.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange(data, timeout=10):
    """Sends DATA on a new connection; the answer as an apilib.Response (status 0: the
    connection was closed without one)."""
    s = connect(timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        resp = http.client.HTTPResponse(s, method=data.split(b" ", 1)[0].decode())
        try:
            resp.begin()
            body = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            return apilib.Response(0, [], "")
        return apilib.Response(resp.status, resp.getheaders(), body.decode("utf-8", "replace"))
    finally:
        s.close()


def me_fast(after):
    """/v1/me answers within a second."""
    t0 = time.monotonic()
    try:
        r = call("GET", "/v1/me", ME)
    except Exception as e:  # noqa: BLE001 - a dead daemon shows as this
        raise AssertionError(f"after {after}: /v1/me failed: {e!r}")
    took = time.monotonic() - t0
    assert r.status == 200, f"after {after}: /v1/me answered {r}"
    assert took < 1.0, f"after {after}: /v1/me took {took:.2f} s"
    return took


def daemon_alive():
    pid = int(open(os.path.join(os.path.dirname(os.environ["OG_LOG"]), "api.pid")).read())
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


# ---- the routes used ----

OPS = None


def find(method, pattern):
    for o in OPS:
        if o["method"] == method and re.fullmatch(pattern, o["template"]):
            return o
    return None


def routes():
    """the routes these cases use, as the document describes them"""
    global OPS
    OPS = operations()
    print("operations:", ", ".join(o["id"] for o in OPS))


def body_schema(o):
    doc = openapi()
    rb = resolve(doc, o["op"].get("requestBody") or {})
    media = rb.get("content", {}).get("application/json", {})
    return resolve(doc, media.get("schema", {}))


def valid_body(o, ctx=None):
    return example(openapi(), body_schema(o), "", dict(ctx or {}, colleague="jonas", department="born-familie"))


def note_route():
    o = find("POST", r"/v1/cases/\{[^}]+\}/notes")
    if o is None:
        return None, None
    return o, re.sub(r"\{[^}]+\}", "1", o["template"])


def string_field(o, required=True):
    s = body_schema(o)
    props = s.get("properties", {})
    for name in (s.get("required", []) if required else props):
        if resolve(openapi(), props.get(name, {})).get("type") in ("string", ["string", "null"]):
            return name
    return None


def case_task(case, key=None, kind="task"):
    """(task id, etag) of an open task of CASE, as the case's tovholder reads it."""
    who = ME if case in (1, 2) else "jonas/tovholder"
    r = expect(call("GET", f"/v1/cases/{case}", who), 200, f"read case {case}")
    for t in r.body["tasks"]:
        if t["kind"] == kind and t["status"] in ("open", "claimed") and (key is None or t["key"] == key):
            return t["id"], t["etag"]
    raise AssertionError(f"case {case} has no open {kind} {key}: {r.body['tasks']}")


# ---- the table of malformed requests ----

def check_row(name, req_text, r, status, kind, field=None, detail_has=None, allow=None):
    """Asserts one row; records a bug (and goes on) when the answer is wrong."""
    problems = []
    statuses = status if isinstance(status, tuple) else (status,)
    if r.status not in statuses:
        problems.append(f"status {r.status}")
    ctype = r.headers.get("content-type", "").split(";")[0]
    if r.status >= 400 and ctype != "application/problem+json":
        problems.append(f"content type {ctype or 'none'} (errors are application/problem+json)")
    b = r.body if isinstance(r.body, dict) else {}
    kinds = kind if isinstance(kind, tuple) else (kind,) if kind else ()
    if kinds and not any(b.get("type", "").endswith("/" + k) for k in kinds):
        problems.append(f"type {b.get('type')}")
    if r.status >= 400 and isinstance(r.body, dict) and not b.get("detail"):
        problems.append("no detail")
    if field is not None and b.get("field") != field:
        problems.append(f"field {b.get('field')!r}, not {field!r}")
    if detail_has and not all(w in b.get("detail", "") for w in detail_has):
        problems.append(f"detail {b.get('detail')!r} lacks {detail_has}")
    if allow and not all(m in r.headers.get("allow", "") for m in allow):
        problems.append(f"Allow {r.headers.get('allow')!r}")
    if r.status == 0:
        problems = ["the connection was closed without an answer"]
    # personal data never appears in an error
    try:
        no_person_data(r)
    except AssertionError as e:
        problems.append(str(e))
    # the answer is as documented for the route (when the route is documented)
    if r.status and not problems:
        try:
            path = req_text.split(" ")[1].split("?")[0]
            check_against_openapi(req_text.split(" ")[0], path, r)
        except AssertionError as e:
            problems.append("not as documented: " + str(e).splitlines()[0][:200])
    shown = f"{r.status} {r.headers.get('content-type', '')} {r.text[:240]!r}"
    want = f"{'/'.join(map(str, statuses))} {'/'.join(kinds)}" + (f" field={field}" if field else "")
    print(f"  {name:<58} -> {r.status} {b.get('type', '').rsplit('/', 1)[-1] or ctype}"
          + (" [BUG]" if problems else ""), flush=True)
    if problems:
        bug(f"{name}: " + "; ".join(problems), req_text[:200], want, shown)
    me_fast(name)


def body_rows():
    """malformed bodies: each gets its documented error, and /v1/me stays prompt"""
    o, path = note_route()
    if o is None:
        cands = [x for x in OPS if x["method"] == "POST" and x["op"].get("requestBody")
                 and "tovholder" in x["op"].get("x-roles", [])]
        if not cands:
            skip("no route for POST /v1/cases/{id}/notes yet (nor any POST with a body for a tovholder);"
                 " the body rows are not run")
            return
        o = cands[0]
        path = re.sub(r"\{[^}]+\}", "1", o["template"])
        skip(f"no route for POST /v1/cases/{{id}}/notes yet; the body rows use {o['id']}")
    good = valid_body(o, {"case": 1})
    sfield = string_field(o)
    req = lambda body, **kw: build("POST", path, ME, body, **kw)  # noqa: E731

    def row(name, body, status, kind, field=None, detail_has=None, **kw):
        data = req(body, **kw)
        check_row(name, data.split(b"\r\n", 1)[0].decode() + " " + repr(body[:80]), exchange(data), status,
                  kind, field, detail_has)

    pos = ["line", "column"]
    g = json.dumps(good)
    row("truncated JSON", g[:-3].encode(), 400, "malformed-json", detail_has=pos)
    row("JSON with trailing garbage", (g + ' {"x"').encode(), 400, "malformed-json", detail_has=pos)
    row("a number too big: 1e400", (g[:-1] + (', ' if good else '') + '"n": 1e400}').encode(), 400,
        "malformed-json", detail_has=pos)
    row("a number too big: 99999999999999999999999",
        (g[:-1] + (', ' if good else '') + '"n": 99999999999999999999999}').encode(), 400,
        "malformed-json", detail_has=pos)
    row("nesting 100,000 deep (over the 64 KiB limit)", b"[" * 100000 + b"]" * 100000, 413, "body-too-large")
    row("nesting 30,000 deep (within the limit)", b'{"a":' + b"[" * 30000 + b"]" * 30000 + b"}", 400,
        "malformed-json")
    if sfield:
        row("invalid UTF-8 in a string", b'{"' + sfield.encode() + b'": "ab\xff\xfecd"}', 400, "malformed-json",
            detail_has=pos)
        row("a lone UTF-16 surrogate escape in a string",
            b'{"' + sfield.encode() + b'": "ab\\ud800cd"}', 400, "malformed-json")
    row("invalid UTF-8 in a key", b'{"te\xc3xt": "a"}', 400, "malformed-json", detail_has=pos)
    row("a body that is an array", b"[]", 400, "wrong-type")
    row("a body that is a string", b'"hej"', 400, ("wrong-type", "malformed-json"))
    row("an empty body", b"", 400, "malformed-json")
    row("the same field twice", (g[:-1] + (', ' if good else '') + g[1:]).encode() if good else b'{"a":1,"a":2}',
        400, "malformed-json")
    row("unknown field", json.dumps(dict(good, colour="red")).encode(), 400, "unknown-field", field="colour")
    long_key = "a" * 62 + "ø"   # 64 bytes: a 64-byte buffer cuts it inside the ø
    row("unknown field with a long non-ASCII name", json.dumps(dict(good, **{long_key: 1})).encode(),
        400, "unknown-field")
    if sfield:
        row("wrong type", json.dumps(dict(good, **{sfield: 12})).encode(), 400, "wrong-type", field=sfield)
        row("missing required field", json.dumps({k: v for k, v in good.items() if k != sfield}).encode(),
            400, "missing-field", field=sfield)
        row("body just over the limit (64 KiB)", json.dumps(dict(good, **{sfield: "x" * (64 * 1024)})).encode(),
            413, "body-too-large")
        # Far beyond the limit (over 4 x body_limit + 64 KiB) the server refuses from the
        # Content-Length alone, before reading the body: the status is 413, the body is the
        # HTTP library's own (documented in the PayloadTooLarge response), and it stays up.
        far = json.dumps(dict(good, **{sfield: "x" * (1024 * 1024)})).encode()
        r = exchange(req(far))
        if r.status != 413:
            bug("body far over the limit (1 MiB)", f"POST {path} (1 MiB)", "413", r)
    row("wrong Content-Type (text/plain)", g.encode(), 415, "unsupported-media-type", ctype="text/plain")
    row("no Content-Type", g.encode(), 415, "unsupported-media-type", ctype=None)
    # the right answer to a well-formed body still comes (chunked too)
    r = exchange(req(g.encode()))
    if r.status not in (200, 201):
        bug("a valid body", f"POST {path} {g}", "200/201", r)
    chunked = (f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token()}\r\n"
               f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               f"{len(g.encode()):x}\r\n").encode() + g.encode() + b"\r\n0\r\n\r\n"
    r = exchange(chunked)
    if r.status not in (200, 201):
        bug("a valid body sent chunked", f"POST {path} (chunked)", "200/201", r)
    me_fast("valid bodies")


def request_rows():
    """malformed requests outside the body: routes, methods, headers, query, path"""
    def row(name, data, status, kind, **kw):
        text = data.split(b"\r\n", 1)[0].decode("latin-1")
        check_row(name, text, exchange(data), status, kind, **kw)

    row("unknown route", build("GET", "/v1/nothing-here"), 404, "not-found")
    row("unknown route under a known one", build("GET", "/v1/me/queue/extra"), 404, "not-found")
    row("wrong method", build("DELETE", "/v1/me/queue"), 405, "method-not-allowed", allow=["GET"])
    o, path = note_route()
    if o:
        row("wrong method on a write route", build("PUT", path, body=b"{}"), 405, "method-not-allowed",
            allow=["POST"])
    row("oversized header (20 KiB, cap 16 KiB)", build("GET", "/v1/me", headers={"X-Filler": "x" * 20480}),
        (400, 413, 431), None)
    row("many headers (2,000 small ones)", build("GET", "/v1/me", headers={f"X-H{i}": "y" for i in range(2000)}),
        (400, 413, 431), None)
    row("a header just under the cap (12 KiB) is served", build("GET", "/v1/me", headers={"X-Filler": "x" * 12288}),
        200, None)
    row("a query parameter given twice", build("GET", "/v1/me/queue?limit=2&limit=3"), 400, "bad-parameter",
        field="limit")
    row("invalid percent-encoding in the query (%zz)", build("GET", "/v1/me/queue?case=%zz"), 400,
        "bad-parameter", field="case")
    row("percent-encoding that is not UTF-8 (%ff)", build("GET", "/v1/me/queue?department=%ff"), 400,
        "bad-parameter", field="department")
    row("a NUL byte in a query value (%00)", build("GET", "/v1/me/queue?case=1%002"), 400, "bad-parameter",
        field="case")
    row("a long non-ASCII unknown query parameter", build("GET", "/v1/me/queue?" + "a" * 46 + "%C3%B8=1"), 400,
        "unknown-parameter")
    row("invalid percent-encoding in the path (%zz)", build("GET", "/v1/cases/%zz"), 404, "not-found")
    row("a path id that is not a number", build("GET", "/v1/cases/abc"), 404, "not-found")
    row("a path id with a sign", build("GET", "/v1/cases/-1"), 404, "not-found")
    row("a path id that is a fraction", build("GET", "/v1/cases/1.0"), 404, "not-found")
    row("a path id too big for a bigint", build("GET", "/v1/cases/99999999999999999999"), 404, "not-found")
    row("a path id with a NUL byte after it (1%00x)", build("GET", "/v1/cases/1%00x"), 404, "not-found")
    row("a path id with an encoded slash (1%2F2)", build("GET", "/v1/cases/1%2F2"), 404, "not-found")
    row("no token", build("GET", "/v1/me", who=None), 401, "unauthorized")
    row("a malformed bearer token", build("GET", "/v1/me", who=None, headers={"Authorization": "Bearer og_x"}),
        401, "unauthorized")
    row("Overgang-Purpose over 200 characters", build("GET", "/v1/cases/1", headers={"Overgang-Purpose": "p" * 300}),
        400, "bad-header")
    r = exchange(b"HELLO WORLD\r\n\r\n")
    print(f"  {'a request line that is not HTTP':<58} -> {r.status} {r.headers.get('content-type', '')}")
    if not (r.status == 0 or 400 <= r.status < 500):
        bug("a request line that is not HTTP", "HELLO WORLD", "400 or the connection closed", r)
    me_fast("a request line that is not HTTP")


def etag_rows():
    """edits: without If-Match 428, with a stale one 412 and the current ETag"""
    edits = []
    o = find("POST", r"/v1/tasks/\{[^}]+\}/complete")
    if o is not None:
        tid, _ = case_task(1, "samtale")
        edits.append((o, re.sub(r"\{[^}]+\}", str(tid), o["template"]), ME, f"SELECT status FROM task WHERE id = {tid}"))
    else:
        skip("no route for POST /v1/tasks/{id}/complete yet")
    o = find("PATCH", r"/v1/citizens/\{[^}]+\}")
    if o is not None:
        edits.append((o, re.sub(r"\{[^}]+\}", "1", o["template"]), ME, "SELECT updated_at FROM citizen WHERE id = 1"))
    else:
        skip("no route for PATCH /v1/citizens/{id} yet")
    if not edits:
        o = next((x for x in OPS if any(p.get("in") == "header" and p.get("name") == "If-Match"
                                        and p.get("required") for p in x["params"])), None)
        if o is None:
            skip("no edit taking If-Match yet; the 428/412 rows are not run")
            return
        who = next(w for w in TOKENS if w.split("/")[1] in o["op"].get("x-roles", []))
        edits.append((o, re.sub(r"\{[^}]+\}", "1", o["template"]), who, None))
    for o, path, who, state in edits:
        body = valid_body(o, {"case": 1})
        if o["method"] == "PATCH" and not body:
            body = {k: v for k, v in valid_body(o, {"case": 1}).items()}
            props = body_schema(o).get("properties", {})
            if "name" in props:
                body = {"name": "Astrid Testborger"}   # the same name: a change only in form
        data = json.dumps(body).encode()
        m = o["method"]
        before = sql(state) if state else None
        check_row(f"an edit without If-Match ({o['id']})", f"{m} {path}", exchange(build(m, path, who, data)), 428,
                  "if-match-required")
        r = exchange(build(m, path, who, data, headers={"If-Match": '"999999"'}))
        check_row(f"an edit with a stale If-Match ({o['id']})", f"{m} {path}", r, 412, "stale-etag")
        if r.status == 412:
            current = r.body.get("etag") if isinstance(r.body, dict) else None
            if not current or r.headers.get("etag") != current:
                bug("412 names the current ETag", f"{m} {path} If-Match \"999999\"",
                    "an etag member and the same ETag header", r)
        if state and sql(state) != before:
            bug(f"a refused edit changes nothing ({o['id']})", f"{m} {path}", before, sql(state))


def idempotency_rows():
    """Idempotency-Key: the same body replays the first answer, another body is 422"""
    o, path = note_route()
    if o is None or not any(p.get("name") == "Idempotency-Key" for p in o["params"]):
        o = next((x for x in OPS if any(p.get("name") == "Idempotency-Key" for p in x["params"])
                  and x["method"] == "POST"), None)
        if o is None:
            skip("no route with Idempotency-Key yet (POST /v1/cases/{id}/notes is being written);"
                 " the idempotency rows are not run")
            return
        path = re.sub(r"\{[^}]+\}", "1", o["template"])
        skip(f"no POST /v1/cases/{{id}}/notes with Idempotency-Key yet; using {o['id']}")
    who = next(w for w in TOKENS if w.split("/")[1] in o["op"].get("x-roles", []) and w.startswith("mette"))
    sfield = string_field(o)
    a = valid_body(o, {"case": 1})
    if sfield:
        a[sfield] = "idempotent note A"
    b = dict(a, **({sfield: "idempotent note B"} if sfield else {}))
    key = "edge-" + uuid.uuid4().hex
    notes_before = int(sql("SELECT count(*) FROM case_note"))
    r1 = call("POST", path, who, body=a, headers={"Idempotency-Key": key})
    if r1.status not in (200, 201):
        bug("first request with an Idempotency-Key", f"POST {path} {a}", "200/201", r1)
        return
    r2 = call("POST", path, who, body=a, headers={"Idempotency-Key": key})
    print(f"  {'the same key and body again':<58} -> {r2.status} replayed={r2.headers.get('idempotent-replayed')}")
    if r2.status != r1.status or r2.body != r1.body or r2.headers.get("idempotent-replayed") != "true":
        bug("the same Idempotency-Key with the same body", f"POST {path} twice, key {key}",
            f"{r1.status}, the first body, Idempotent-Replayed: true", f"{r2} headers {r2.headers}")
    if o is note_route()[0]:
        made = int(sql("SELECT count(*) FROM case_note")) - notes_before
        if made != 1:
            bug("a replay does not write again", f"POST {path} twice, key {key}", "one note", f"{made} notes")
    r3 = call("POST", path, who, body=b, headers={"Idempotency-Key": key})
    check_row("the same Idempotency-Key with another body", f"POST {path}", r3, 422, "idempotency-key-reused")
    r4 = call("POST", path, who, body=a, headers={"Idempotency-Key": ""})
    check_row("an empty Idempotency-Key", f"POST {path}", r4, 400, "bad-header")


def concurrency():
    """two people complete the same task at once: one 200, the other 409 or 412, one event"""
    o = find("POST", r"/v1/tasks/\{[^}]+\}/complete")
    if o is None:
        skip("no route for POST /v1/tasks/{id}/complete yet; the concurrency case is not run")
        return
    roles = o["op"].get("x-roles", [])
    people = [w for w in ("mette/tovholder", "jonas/worker", "mette/lead", "jonas/tovholder")
              if w.split("/")[1] in roles][:2]
    if len(people) < 2:
        people = [people[0], people[0]]
    # more open tasks in born-familie on case 2 (mette holds it, jonas works there), one race each
    ids = sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at)"
              " SELECT 2, 'task', 'race-' || i, 'born-familie', 'Kapløb ' || i, now() + interval '5 days'"
              " FROM generate_series(1, 5) i RETURNING id").split()
    for attempt, tid in enumerate(ids):
        tid = int(tid)
        etag = '"0"'
        body = json.dumps(valid_body(o, {"case": 2})).encode()
        path = re.sub(r"\{[^}]+\}", str(tid), o["template"])
        barrier = threading.Barrier(2)
        results = [None, None]

        def go(i):
            c = http.client.HTTPConnection(URL.hostname, URL.port, timeout=15)
            c.connect()
            barrier.wait()
            c.request("POST", path, body=body, headers={
                "Authorization": "Bearer " + TOKENS[people[i]], "Content-Type": "application/json",
                "If-Match": etag})
            resp = c.getresponse()
            results[i] = apilib.Response(resp.status, resp.getheaders(), resp.read().decode())
            c.close()
        ts = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        statuses = sorted(r.status for r in results)
        print(f"  task {tid} completed by {people} at once -> {statuses}", flush=True)
        if statuses[0] in (400, 403, 404, 422, 428):
            raise AssertionError(f"the completion itself was refused (fix the test's body or people): {results}")
        ok = [r for r in results if r.status == 200]
        other = [r for r in results if r.status != 200]
        if len(ok) != 1 or other[0].status not in (409, 412):
            bug("two completions of the same task at once", f"POST {path} If-Match {etag} ×2",
                "exactly one 200, the other 409 or 412", [str(r) for r in results])
        else:
            d = other[0].body.get("detail", "") if isinstance(other[0].body, dict) else ""
            if len(d) < 10 or re.search(r"task \d+ is not|SQL|ERROR", d):
                bug("the loser's answer has a clear reason", f"POST {path}", "a sentence for a person",
                    other[0])
            for r in results:
                try:
                    check_against_openapi("POST", path, r)
                except AssertionError as e:
                    bug("the concurrent answers are as documented", f"POST {path}", "documented", str(e)[:300])
        n = sql(f"SELECT count(*) FROM event WHERE type = 'task_done' AND payload->>'task' = '{tid}'")
        print(f"    task_done events for task {tid}: {n}")
        if n != "1":
            bug("one task_done event", f"POST {path} ×2 at once", "exactly one task_done event for the task", n)
        assert sql(f"SELECT status FROM task WHERE id = {tid}") == "done"
        me_fast("two completions at once")


# ---- misbehaving clients ----

def closed_within(s, seconds):
    """Whether the server closes S within SECONDS (what it sends meanwhile is read away)."""
    s.settimeout(0.25)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, OSError):
            return True
    return False


def slow_clients():
    """half a request line, 50 idle connections: others are served within 1 s; all are closed after the 5 s timeout"""
    slow = connect()
    slow.sendall(b"GET /v1/me HT")
    idle = [connect() for _ in range(50)]
    t0 = time.monotonic()
    worst = max(me_fast(f"slowloris and {len(idle)} idle connections") for _ in range(10))
    print(f"  /v1/me with one half request and 50 idle connections: worst of 10 {worst * 1000:.0f} ms")
    # an authenticated read through the database too
    t1 = time.monotonic()
    expect(call("GET", "/v1/me/queue", ME), 200)
    assert time.monotonic() - t1 < 1.0, "the queue was slow while clients idled"
    # the timeout is 5 s: each is closed by 5 s after its last byte (plus a margin)
    left = 5.0 + 2.5 - (time.monotonic() - t0)
    if not closed_within(slow, left):
        bug("a half request line is timed out", "GET /v1/me HT (then nothing)", "closed within [api] timeout = 5 s",
            "still open after 7.5 s")
    slow.close()
    still = [s for s in idle if not closed_within(s, max(0.3, 5.0 + 2.5 - (time.monotonic() - t0)))]
    took = time.monotonic() - t0
    print(f"  idle connections closed by the server within {took:.1f} s: {50 - len(still)} of 50")
    if still:
        bug("idle connections are timed out", "50 connections that send nothing",
            "closed within [api] timeout = 5 s", f"{len(still)} still open after {took:.1f} s")
    for s in idle:
        s.close()
    me_fast("the slow clients")


def drip_feed():
    """a client that drips a request a byte every 2 s is timed out too"""
    s = connect()
    data = b"GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100
    t0 = time.monotonic()
    closed = False
    for i in range(8):   # 16 s: well over the 5 s timeout
        try:
            s.sendall(data[i:i + 1])
        except OSError:
            closed = True
            break
        if closed_within(s, 2.0):
            closed = True
            break
        me_fast("a drip-feeding client")
    took = time.monotonic() - t0
    s.close()
    print(f"  drip-feed (a byte every 2 s): {'closed' if closed else 'still open'} after {took:.1f} s")
    if not closed:
        bug("a client that sends a byte every 2 s is timed out (slowloris)",
            "GET /v1/me HTTP/1.1 + headers, one byte every 2 s",
            "closed within about the 5 s [api] timeout (a deadline for the whole request)",
            f"still open after {took:.1f} s: the timeout restarts with every byte")


def leaving_clients():
    """clients that disconnect before the answer do not crash the daemon"""
    def rst(s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    g = b'{"text": "gone"}'
    o, path = note_route()
    for i in range(40):
        s = connect()
        if i % 4 == 0:
            s.sendall(build("GET", "/v1/cases/1"))        # a read through the database
        elif i % 4 == 1:
            s.sendall(build("GET", "/v1/me/queue?limit=100"))
        elif i % 4 == 2:                                   # half a body
            s.sendall(build("POST", path or "/v1/cases/1/notes", ME, g, length=1000)[:-5])
        else:
            s.sendall(build("GET", "/v1/me")[:-2])         # half the headers
        if i % 2:
            rst(s)
        else:
            s.shutdown(socket.SHUT_RDWR)
            s.close()
    # and some that wait a moment, so the database answers after they have gone
    for i in range(10):
        s = connect()
        s.sendall(build("GET", "/v1/cases/1"))
        time.sleep(0.002 * i)
        rst(s)
    time.sleep(0.5)
    assert daemon_alive(), "the daemon died when clients disconnected before their answer"
    me_fast("clients that disconnected before their answer")
    r = expect(call("GET", "/v1/cases/1", ME), 200)
    assert r.body["id"] == 1


def sanitizers():
    """the daemon's log shows no sanitizer report and no personal data"""
    time.sleep(0.3)
    log = open(os.environ["OG_LOG"], errors="replace").read()
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"):
        if marker in log:
            i = log.index(marker)
            bug("the daemon's log has a sanitizer report", "(all of the above)", "none", log[max(0, i - 200):i + 1500])
            break
    assert daemon_alive(), "the daemon is not running"


def report():
    """every bug found, then fail if there was one"""
    for s in skips:
        print("SKIP:", s)
    if failures:
        print(f"\n{len(failures)} bug(s) found:")
        for f in failures:
            print("FAIL", f)
        raise AssertionError(f"{len(failures)} edge case(s) failed; see above")


if __name__ == "__main__":
    main([routes, body_rows, request_rows, etag_rows, idempotency_rows, concurrency, slow_clients, drip_feed,
          leaving_clients, sanitizers, report])
