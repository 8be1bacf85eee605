"""The API tests' client: every request goes to the running daemon over a real socket, and
every response is checked against the OpenAPI document the daemon serves (the route, the
status being documented for it, and the body's schema), so the document cannot drift from
the server. run_test.sh sets the environment: OG_URL, OG_TOKENS, OG_LOG and libpq's."""
import http.client
import json
import os
import subprocess
import sys
import urllib.parse

from jsonschema import Draft202012Validator, RefResolver

URL = urllib.parse.urlsplit(os.environ["OG_URL"])
TOKENS = json.load(open(os.environ["OG_TOKENS"]))
# Names of the seeded citizens: none may appear where person data must not.
CITIZEN_NAMES = ["Astrid Testborger", "Bjørn Testborger", "Cecilie Testborger"]


class Response:
    def __init__(self, status, headers, text):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.text = text
        try:
            self.body = json.loads(text) if text else None
        except ValueError:
            self.body = None

    def __repr__(self):
        return f"{self.status} {self.text[:300]}"


_doc = None


def openapi():
    global _doc
    if _doc is None:
        r = raw("GET", "/v1/openapi.json")
        assert r.status == 200, r
        _doc = r.body
    return _doc


def _template_matches(template, path):
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a.startswith("{") or a == b for a, b in zip(t, p))


def operation(method, path):
    """The documented operation for METHOD and PATH: (template, operation) or (None, None)."""
    doc = openapi()
    m = "get" if method == "HEAD" else method.lower()
    best = None
    for template, item in doc["paths"].items():
        if _template_matches(template, path) and m in item:
            literal = sum(1 for s in template.split("/") if s and not s.startswith("{"))
            if best is None or literal > best[0]:
                best = (literal, template, item[m])
    return (best[1], best[2]) if best else (None, None)


def check_against_openapi(method, path, resp):
    doc = openapi()
    template, op = operation(method, path)
    ctype = resp.headers.get("content-type", "").split(";")[0]
    if resp.status >= 400:
        assert ctype == "application/problem+json", f"{method} {path}: an error must be problem+json: {resp}"
        b = resp.body
        assert isinstance(b, dict) and b.get("status") == resp.status, f"{method} {path}: problem status: {resp}"
        assert b.get("type", "").startswith("https://overgang.dk/problems/"), f"{method} {path}: problem type: {resp}"
        assert b.get("title") and b.get("detail"), f"{method} {path}: problem needs title and detail: {resp}"
    if template is None:
        assert resp.status in (401, 404, 405), f"{method} {path} is not documented but answered {resp}"
        return
    responses = op.get("responses", {})
    spec = responses.get(str(resp.status))
    generic = resp.status in (401, 405, 413, 415, 431, 503) or (
        resp.status == 400 and (resp.body or {}).get("type", "").endswith("/bad-header"))
    if spec is None and generic:
        return  # answered before any route's own logic, the same for every route
    assert spec is not None, f"{method} {template}: status {resp.status} is not documented: {resp}"
    if "$ref" in spec:
        name = spec["$ref"].split("/")[-1]
        spec = doc["components"]["responses"][name]
    content = spec.get("content")
    if method == "HEAD" or not content:
        return
    assert ctype in content, f"{method} {template}: content type {ctype} is not documented for {resp.status}"
    schema = content[ctype].get("schema")
    if schema:
        v = Draft202012Validator(schema, resolver=RefResolver.from_schema(doc))
        errors = sorted(v.iter_errors(resp.body), key=lambda e: list(e.path))
        assert not errors, (f"{method} {template} {resp.status}: the body does not match the "
                            f"OpenAPI schema: {errors[0].message} at {list(errors[0].path)}\n{resp.text[:500]}")


def raw(method, path, headers=None, body=None, timeout=10):
    """Sends exactly this request; no checks."""
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def call(method, path, who=None, body=None, headers=None, data=None, check=True):
    """A request as WHO ("mette/tovholder", a key of the tokens; None: no token), with BODY
    as JSON (or DATA as bytes), checked against the OpenAPI document."""
    h = dict(headers or {})
    if who is not None:
        h.setdefault("Authorization", "Bearer " + TOKENS[who])
    payload = data
    if body is not None:
        payload = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    resp = raw(method, path, h, payload)
    if check:
        check_against_openapi(method, path.split("?")[0], resp)
    return resp


def sql(query):
    """Runs SQL in the test's database (search_path overgang); the output as text."""
    out = subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", query],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"sql failed: {out.stderr}")
    return out.stdout.strip()


def wait_drained(seconds=20):
    """Until no due event is pending (the engine has stepped everything the test sent)."""
    import time
    end = time.time() + seconds
    while time.time() < end:
        if sql("SELECT count(*) FROM event e JOIN cases c ON c.id = e.case_id"
               " WHERE e.status = 'pending' AND e.due_at <= now() AND c.status <> 'stuck'") == "0":
            return
        time.sleep(0.1)
    raise AssertionError("events still pending")


def expect(resp, status, what=""):
    assert resp.status == status, f"{what}: expected {status}, got {resp}"
    return resp


def expect_problem(resp, status, kind, what=""):
    expect(resp, status, what)
    assert resp.body["type"].endswith("/" + kind), f"{what}: expected problem {kind}, got {resp}"
    return resp


def no_person_data(resp, what=""):
    for name in CITIZEN_NAMES:
        assert name not in resp.text, f"{what}: a citizen's name appears: {resp}"


def access_log_count(where="true"):
    return int(sql(f"SELECT count(*) FROM access_entries WHERE {where}"))


def step(text):
    print("---", text, flush=True)


def main(tests):
    """Runs each function in TESTS in order; stops at the first failure."""
    for t in tests:
        step(t.__doc__ or t.__name__)
        t()
    print("ok", flush=True)
