"""Administrators, registration, audit and the manager's report: workflows (list, read,
deploy with the CLI's checks), stuck cases and the outbox with retry, departments and staff,
citizens (register, find by CPR, read, correct), starting cases, the access log search and
the deadline report."""
import hashlib
import re
import subprocess
import tempfile
import time

from apilib import *

SRC = os.environ["OVERGANG_SRC"]
API_LUA = open(f"{SRC}/tests/workflows/api.lua", encoding="utf-8").read()
CPR = "0101054321"  # made up
ALL_TOKENS = list(TOKENS)


def until(cond, what, seconds=10):
    end = time.time() + seconds
    while not cond():
        assert time.time() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def roles_refused(method, path, allowed, body=None):
    """Every token whose role is not in ALLOWED gets 403 and nothing else."""
    for who in ALL_TOKENS:
        if who.split("/")[1] in allowed:
            continue
        r = expect_problem(call(method, path, who, body=body), 403, "forbidden", f"{who} {method} {path}")
        no_person_data(r)


def api_lua_v(version, extra=""):
    src = API_LUA.replace("version = 1,", f"version = {version},", 1)
    assert src != API_LUA or version == 1
    return src + extra


# ---- workflows ----

def workflows_list():
    """the administrator lists workflow versions with their running cases; pages follow the cursor"""
    r = expect(call("GET", "/v1/workflows", "admin/administrator"), 200)
    items = r.body["items"]
    assert [(w["name"], w["version"]) for w in items] == [("api-test", 1)], items
    w = items[0]
    assert w["running_cases"] == 3 and w["stuck_cases"] == 0, w
    assert w["title"] == "Overgang til voksenlivet (API-test)", w
    assert w["checksum"] == hashlib.sha256(API_LUA.encode()).hexdigest(), "the CLI's checksum"
    assert r.body["next_cursor"] is None
    roles_refused("GET", "/v1/workflows", ["administrator"])
    expect_problem(call("GET", "/v1/workflows?limit=0", "admin/administrator"), 400, "bad-parameter")
    expect_problem(call("GET", "/v1/workflows?cursor=bm9wZQ", "admin/administrator"), 400, "bad-cursor")
    expect_problem(call("GET", "/v1/workflows?cursor=WyJhIiwieCJd", "admin/administrator"), 400, "bad-cursor")  # ["a","x"]
    expect_problem(call("GET", "/v1/workflows?name=x", "admin/administrator"), 400, "unknown-parameter")


def workflow_read():
    """one version: source, definition and checksum; a version not deployed is 404"""
    r = expect(call("GET", "/v1/workflows/api-test/1", "admin/administrator"), 200)
    assert r.body["source"] == API_LUA
    assert [p["name"] for p in r.body["definition"]["phases"]] == ["afdaekning", "overdragelse", "voksen", "nej-tak"]
    assert r.body["checksum"] == hashlib.sha256(API_LUA.encode()).hexdigest()
    for path in ["/v1/workflows/api-test/9", "/v1/workflows/nope/1", "/v1/workflows/api-test/x",
                 "/v1/workflows/api-test/99999999999"]:
        expect_problem(call("GET", path, "admin/administrator"), 404, "not-found", path)
    roles_refused("GET", "/v1/workflows/api-test/1", ["administrator"])


def workflow_deploy():
    """deploying a version: checked like `overgang workflow deploy`, stored like it, run by the daemon"""
    src = api_lua_v(2)
    r = expect(call("POST", "/v1/workflows", "admin/administrator", body={"source": src, "file": "api-v2.lua"}), 201)
    b = r.body
    assert (b["name"], b["version"], b["running_cases"]) == ("api-test", 2, 0), b
    assert b["deployed_by"] == "admin" and b["checksum"] == hashlib.sha256(src.encode()).hexdigest(), b
    # the check's warnings, as `overgang check` prints them, do not stop a deploy
    assert b["warnings"] == ["api-v2.lua:41:5: warning: nothing sends event 'signal': no case:timer in this file "
                             "raises it and the engine does not (a typo? fine if a plugin or the API sends it)"], b
    # the row is the one the CLI would write: same definition as the CLI reads from the file
    assert sql("SELECT definition = (SELECT definition FROM workflow WHERE name = 'api-test' AND version = 1)"
               " - 'version' || '{\"version\": 2}' FROM workflow WHERE name = 'api-test' AND version = 2") == "t"
    assert sql("SELECT source FROM workflow WHERE name = 'api-test' AND version = 2") == src.rstrip("\n")
    r = expect(call("GET", "/v1/workflows", "admin/administrator"), 200)
    assert [(w["name"], w["version"]) for w in r.body["items"]] == [("api-test", 1), ("api-test", 2)]
    r = expect(call("GET", "/v1/workflows?limit=1", "admin/administrator"), 200)
    assert len(r.body["items"]) == 1 and r.body["next_cursor"]
    r = expect(call("GET", "/v1/workflows?limit=1&cursor=" + r.body["next_cursor"], "admin/administrator"), 200)
    assert [w["version"] for w in r.body["items"]] == [2] and r.body["next_cursor"] is None

    # a version deployed already: 409, saying whether the source is the same
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": src}), 409, "version-exists")
    assert "with this source" in r.body["detail"], r
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": src + "\n-- changed\n"}),
                       409, "version-exists")
    assert "other source" in r.body["detail"] and "raise version" in r.body["detail"], r

    # what the check refuses: FILE:LINE:COL messages, every error listed
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator",
                            body={"source": "return workflow {\n  name = 'x',\n", "file": "broken.lua"}),
                       422, "invalid-workflow")
    assert re.match(r"^broken\.lua:\d+:\d+: ", r.body["detail"]), r
    assert r.body["errors"] and r.body["errors"][0] == r.body["detail"], r
    bad_dep = api_lua_v(3).replace('department = "ppr"', 'department = "pprr"')
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": bad_dep}),
                       422, "invalid-workflow")
    line = next(i + 1 for i, l in enumerate(bad_dep.split("\n")) if '"pprr"' in l)
    assert any(e.startswith(f"workflow.lua:{line}:") and "unknown department 'pprr'" in e for e in r.body["errors"]), r
    # the same check as the CLI's: compare with `overgang check` on the same file
    with tempfile.TemporaryDirectory() as d:
        open(f"{d}/workflow.lua", "w").write(bad_dep)
        out = subprocess.run([os.environ["OVERGANG_BIN"] + "/overgang", "check", "--db", "workflow.lua"], cwd=d,
                             capture_output=True, text=True)
    cli = [l for l in out.stdout.split("\n") if re.match(r"^workflow\.lua:\d+:\d+: (?!warning)", l)]
    assert cli and [e.split(" (")[0] for e in cli] == [e.split(" (")[0] for e in r.body["errors"]], (cli, r.body)
    r = expect(call("POST", "/v1/workflows", "admin/administrator",
                    body={"source": api_lua_v(3).replace("    signal = function", "    signal_x = function")}), 201)
    assert len(r.body["warnings"]) == 1 and "nothing sends event 'signal_x'" in r.body["warnings"][0], r
    # the budget holds: a file that never finishes loading is refused, and the daemon serves on
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator",
                            body={"source": "while true do end\n", "file": "loop.lua"}), 422, "invalid-workflow")
    assert r.body["detail"].startswith("loop.lua:"), r
    expect(call("GET", "/v1/me", "admin/administrator"), 200)
    assert sql("SELECT count(*) FROM workflow") == "3", "only the good versions were deployed"

    # the request itself
    expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={}), 400, "missing-field")
    expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": "  "}), 400, "wrong-type")
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": src, "file": "../x y"}),
                       400, "wrong-type")
    assert r.body["field"] == "file", r
    expect_problem(call("POST", "/v1/workflows", "admin/administrator", data=b"source",
                        headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
    roles_refused("POST", "/v1/workflows", ["administrator"], body={"source": api_lua_v(4)})
    assert sql("SELECT count(*) FROM workflow WHERE version = 4") == "0"

    # the CLI sees what the API deployed, and the daemon runs it: a case on version 2 steps
    out = subprocess.run([os.environ["OVERGANG_BIN"] + "/overgang", "workflow", "diff", "api-test@1", "api-test@2"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "api-test@1 -> api-test@2" in out.stdout, out
    cid = sql("INSERT INTO citizen (display_name, birth_date) VALUES ('Erik Testborger', '2008-03-03') RETURNING id")
    r = expect(call("POST", "/v1/cases", "jonas/worker", body={"citizen": int(cid), "workflow": "api-test", "version": 2}), 201)
    assert r.body["workflow"]["version"] == 2, r
    wait_drained()
    assert sql(f"SELECT tovholder || ' ' || revision FROM cases WHERE id = {r.body['id']}") == "mette 1"


# ---- stuck cases and the outbox ----

def stuck_cases():
    """stuck cases with their failing event; reading them is logged; retry makes them active again"""
    # a case as the runner leaves it after max_attempts failures
    ev = sql("UPDATE cases SET status = 'stuck', stuck_reason = 'api.lua:40: boom' WHERE id = 3;"
             " INSERT INTO event (case_id, type, payload, source, idem_key, attempts, last_error, retry_at)"
             " VALUES (3, 'signal', '{\"text\": \"hej\"}', 'test', 'stuck-1', 5, 'api.lua:40: boom', now() + interval '1 hour')"
             " RETURNING id").split("\n")[-1]
    before = access_log_count("actor = 'admin'")
    r = expect(call("GET", "/v1/admin/stuck-cases", "admin/administrator"), 200)
    no_person_data(r)
    assert [c["id"] for c in r.body["items"]] == [3], r
    c = r.body["items"][0]
    assert (c["workflow"], c["version"], c["phase"], c["stuck_reason"]) == ("api-test", 1, "afdaekning", "api.lua:40: boom"), c
    assert c["event"] == {"id": int(ev), "type": "signal", "attempts": 5, "last_error": "api.lua:40: boom",
                          "due_at": c["event"]["due_at"]}, c
    assert access_log_count("actor = 'admin'") == before + 1
    assert sql("SELECT citizen_id || ' ' || case_id || ' ' || via FROM access_entries WHERE actor = 'admin' ORDER BY id DESC LIMIT 1") \
        == "3 3 api stuck_cases"
    roles_refused("GET", "/v1/admin/stuck-cases", ["administrator"])
    expect_problem(call("GET", "/v1/admin/stuck-cases?cursor=WyJ4Il0", "admin/administrator"), 400, "bad-cursor")
    expect_problem(call("GET", "/v1/admin/stuck-cases?status=x", "admin/administrator"), 400, "unknown-parameter")

    roles_refused("POST", "/v1/admin/stuck-cases/3/retry", ["administrator"])
    r = expect(call("POST", "/v1/admin/stuck-cases/3/retry", "admin/administrator"), 200)
    assert r.body == {"id": 3, "status": "active", "retried_events": 1}, r
    wait_drained()
    assert sql(f"SELECT status FROM event WHERE id = {ev}") == "done"
    assert sql("SELECT status || ' ' || (stuck_reason IS NULL) || ' ' || (state->>'signal') FROM cases WHERE id = 3") == "active true hej"
    expect(call("GET", "/v1/admin/stuck-cases", "admin/administrator"), 200)
    expect_problem(call("POST", "/v1/admin/stuck-cases/3/retry", "admin/administrator"), 409, "not-stuck")
    expect_problem(call("POST", "/v1/admin/stuck-cases/99999/retry", "admin/administrator"), 404, "not-found")
    expect_problem(call("POST", "/v1/admin/stuck-cases/abc/retry", "admin/administrator"), 404, "not-found")


def outbox():
    """the outbox by status, without payloads; a parked delivery is sent again"""
    ids = sql("INSERT INTO outbox (case_id, plugin, action, payload, idem_key, status, attempts, last_error)"
              " VALUES (1, 'brev', 'send', '{\"to\": \"Astrid Testborger\"}', 'ob-1', 'parked', 7, 'connection refused'),"
              "        (2, 'brev', 'send', '{\"to\": \"Bjørn Testborger\"}', 'ob-2', 'delivered', 1, NULL)"
              " RETURNING id").split("\n")
    before = access_log_count("actor = 'admin'")
    r = expect(call("GET", "/v1/admin/outbox?status=parked", "admin/administrator"), 200)
    no_person_data(r)
    assert "payload" not in r.text
    assert [(o["id"], o["case"], o["status"], o["attempts"], o["last_error"]) for o in r.body["items"]] == \
        [(int(ids[0]), 1, "parked", 7, "connection refused")], r
    assert access_log_count("actor = 'admin'") == before + 1
    r = expect(call("GET", "/v1/admin/outbox", "admin/administrator"), 200)
    assert [o["id"] for o in r.body["items"]] == [int(i) for i in ids]
    assert access_log_count("actor = 'admin'") == before + 3
    r = expect(call("GET", "/v1/admin/outbox?status=delivered&limit=1", "admin/administrator"), 200)
    assert [o["id"] for o in r.body["items"]] == [int(ids[1])] and r.body["next_cursor"] is None
    expect_problem(call("GET", "/v1/admin/outbox?status=lost", "admin/administrator"), 400, "bad-parameter")
    roles_refused("GET", "/v1/admin/outbox", ["administrator"])

    roles_refused("POST", f"/v1/admin/outbox/{ids[0]}/retry", ["administrator"])
    r = expect(call("POST", f"/v1/admin/outbox/{ids[0]}/retry", "admin/administrator"), 200)
    assert (r.body["status"], r.body["attempts"]) == ("pending", 0), r
    no_person_data(r)
    assert sql(f"SELECT next_attempt_at <= now() FROM outbox WHERE id = {ids[0]}") == "t"
    expect_problem(call("POST", f"/v1/admin/outbox/{ids[0]}/retry", "admin/administrator"), 409, "not-parked")
    expect_problem(call("POST", f"/v1/admin/outbox/{ids[1]}/retry", "admin/administrator"), 409, "not-parked")
    expect_problem(call("POST", "/v1/admin/outbox/99999/retry", "admin/administrator"), 404, "not-found")


# ---- departments and staff ----

def departments():
    """every role lists departments (no person data); the administrator adds one"""
    for who in ALL_TOKENS:
        r = expect(call("GET", "/v1/departments", who), 200, who)
        no_person_data(r)
        assert [d["id"] for d in r.body["items"]] == ["born-familie", "jobcenter", "ppr", "voksenhandicap"], r
    r = expect(call("GET", "/v1/departments?limit=3", "chef/manager"), 200)
    assert r.body["items"][0] == {"id": "born-familie", "name": "Børn og Familie", "members": 2,
                                  "created_at": r.body["items"][0]["created_at"]}, r
    r = expect(call("GET", "/v1/departments?cursor=" + r.body["next_cursor"], "chef/manager"), 200)
    assert [d["id"] for d in r.body["items"]] == ["voksenhandicap"]
    r = expect(call("POST", "/v1/departments", "admin/administrator", body={"id": "sundhed", "name": "Sundhed"}), 201)
    assert (r.body["id"], r.body["name"], r.body["members"]) == ("sundhed", "Sundhed", 0), r
    expect_problem(call("POST", "/v1/departments", "admin/administrator", body={"id": "sundhed", "name": "Igen"}),
                   409, "department-exists")
    r = expect_problem(call("POST", "/v1/departments", "admin/administrator", body={"id": "Bad Id", "name": "X"}),
                       422, "invalid")
    assert r.body["field"] == "id"
    expect_problem(call("POST", "/v1/departments", "admin/administrator", body={"id": "x"}), 400, "missing-field")
    roles_refused("POST", "/v1/departments", ["administrator"], body={"id": "y", "name": "Y"})


def staff_list():
    """the administrator sees all staff, a lead the members of the departments they lead"""
    r = expect(call("GET", "/v1/staff", "admin/administrator"), 200)
    assert [s["id"] for s in r.body["items"]] == ["admin", "ayse", "bo", "chef", "jens", "jonas", "lars", "mette", "revisor"]
    mette = next(s for s in r.body["items"] if s["id"] == "mette")
    assert mette == {"id": "mette", "name": "Mette Madsen", "email": None, "status": "active",
                     "departments": [{"id": "born-familie", "lead": True}], "etag": '"0"'}, mette
    no_person_data(r)
    r = expect(call("GET", "/v1/staff", "mette/lead"), 200)
    assert [s["id"] for s in r.body["items"]] == ["jonas", "mette"], r
    r = expect(call("GET", "/v1/staff?department=ppr", "admin/administrator"), 200)
    assert [s["id"] for s in r.body["items"]] == ["lars"]
    r = expect(call("GET", "/v1/staff?department=ppr", "mette/lead"), 200)
    assert r.body["items"] == []
    r = expect(call("GET", "/v1/staff?status=active&limit=2", "admin/administrator"), 200)
    assert len(r.body["items"]) == 2 and r.body["next_cursor"]
    expect_problem(call("GET", "/v1/staff?status=gone", "admin/administrator"), 400, "bad-parameter")
    # a tovholder or caseworker: the active colleagues of their departments, themselves too
    r = expect(call("GET", "/v1/staff", "jonas/tovholder"), 200)
    assert [s["id"] for s in r.body["items"]] == ["jonas", "mette"], r
    r = expect(call("GET", "/v1/staff", "bo/worker"), 200)
    assert [s["id"] for s in r.body["items"]] == ["ayse", "bo"], r
    r = expect(call("GET", "/v1/staff?department=ppr", "jonas/tovholder"), 200)
    assert r.body["items"] == []
    roles_refused("GET", "/v1/staff", ["administrator", "lead", "tovholder", "worker"])


def staff_create():
    """the administrator adds a person with their departments"""
    body = {"id": "nina", "name": "Nina Nielsen", "email": "nina@example.org",
            "departments": [{"id": "ppr", "lead": True}, {"id": "sundhed"}]}
    r = expect(call("POST", "/v1/staff", "admin/administrator", body=body), 201)
    assert r.body == {"id": "nina", "name": "Nina Nielsen", "email": "nina@example.org", "status": "active",
                      "departments": [{"id": "ppr", "lead": True}, {"id": "sundhed", "lead": False}],
                      "etag": '"0"'}, r
    assert r.headers["etag"] == '"0"'
    expect_problem(call("POST", "/v1/staff", "admin/administrator", body=body), 409, "staff-exists")
    r = expect_problem(call("POST", "/v1/staff", "admin/administrator",
                            body={"id": "ole", "name": "Ole", "departments": [{"id": "nowhere"}]}), 422, "unknown-department")
    assert r.body["field"] == "departments"
    for deps in [["ppr"], [{"id": 1}], [{"id": "ppr", "lead": "yes"}], [{"id": "ppr", "boss": True}]]:
        r = expect_problem(call("POST", "/v1/staff", "admin/administrator",
                                body={"id": "ole", "name": "Ole", "departments": deps}), 400, "wrong-type", str(deps))
        assert r.body["field"] == "departments"
    expect_problem(call("POST", "/v1/staff", "admin/administrator",
                        body={"id": "ole", "name": "Ole", "departments": [{"id": "ppr"}, {"id": "ppr"}]}), 422, "invalid")
    expect_problem(call("POST", "/v1/staff", "admin/administrator",
                        body={"id": "Ole Olsen", "name": "Ole", "departments": []}), 422, "invalid")
    expect_problem(call("POST", "/v1/staff", "admin/administrator", body={"id": "ole", "name": "Ole"}), 400, "missing-field")
    assert sql("SELECT count(*) FROM staff WHERE id = 'ole'") == "0"
    roles_refused("POST", "/v1/staff", ["administrator"], body={"id": "ole", "name": "Ole", "departments": []})
    # nina leads ppr now: a lead token for her sees lars
    assert sql("SELECT string_agg(staff_id, ',' ORDER BY staff_id) FROM staff_department WHERE department_id = 'ppr'") == "lars,nina"


def staff_update():
    """a lead marks a member of their department absent (their cases look for a new tovholder); If-Match guards it"""
    expect_problem(call("PATCH", "/v1/staff/jonas", "mette/lead", body={"status": "absent"}), 428, "if-match-required")
    expect_problem(call("PATCH", "/v1/staff/jonas", "mette/lead", body={"status": "absent"}, headers={"If-Match": '"7"'}),
                   412, "stale-etag")
    r = expect(call("PATCH", "/v1/staff/jonas", "mette/lead", body={"status": "absent"}, headers={"If-Match": '"0"'}), 200)
    assert (r.body["status"], r.body["etag"], r.headers["etag"]) == ("absent", '"1"', '"1"'), r
    # jonas holds case 3: the trigger tells it, and the workflow asks for a new tovholder
    assert sql("SELECT count(*) FROM event WHERE case_id = 3 AND type = 'tovholder_unavailable'") == "1"
    wait_drained()
    until(lambda: sql("SELECT count(*) FROM task WHERE case_id = 3 AND key = 'ny-tovholder'") == "1",
          "the new-tovholder task of case 3")
    # a lead changes only members of departments they lead
    expect_problem(call("PATCH", "/v1/staff/lars", "mette/lead", body={"name": "X"}, headers={"If-Match": '"0"'}),
                   404, "not-found")
    expect_problem(call("PATCH", "/v1/staff/nobody", "admin/administrator", body={"name": "X"}, headers={"If-Match": '"0"'}),
                   404, "not-found")
    r = expect(call("PATCH", "/v1/staff/lars", "admin/administrator", body={"name": "Lars Lund Larsen", "email": "lars@example.org"},
                    headers={"If-Match": '"0"'}), 200)
    assert (r.body["name"], r.body["email"], r.body["status"]) == ("Lars Lund Larsen", "lars@example.org", "active"), r
    r = expect(call("PATCH", "/v1/staff/lars", "admin/administrator", body={"email": None}, headers={"If-Match": r.body["etag"]}), 200)
    assert r.body["email"] is None and r.body["name"] == "Lars Lund Larsen"
    r = expect_problem(call("PATCH", "/v1/staff/lars", "admin/administrator", body={"status": "away"}, headers={"If-Match": '"2"'}),
                       422, "invalid")
    assert r.body["field"] == "status"
    expect_problem(call("PATCH", "/v1/staff/lars", "admin/administrator", body={"name": ""}, headers={"If-Match": '"2"'}),
                   400, "wrong-type")
    expect_problem(call("PATCH", "/v1/staff/lars", "admin/administrator", body={"role": "x"}, headers={"If-Match": '"2"'}),
                   400, "unknown-field")
    roles_refused("PATCH", "/v1/staff/jonas", ["administrator", "lead"], body={"status": "active"})
    r = expect(call("PATCH", "/v1/staff/jonas", "admin/administrator", body={"status": "active"}, headers={"If-Match": '"1"'}), 200)
    assert r.body["status"] == "active"


# ---- registration ----

def cpr_in_db(citizen):
    return sql(f"SELECT cpr FROM citizen_cpr WHERE citizen_id = {citizen}")


STATE = {}


def citizen_register():
    """registering a citizen keeps the CPR number apart; a number registered already is 409 without saying whose"""
    body = {"cpr": CPR, "name": "Dorte Testborger", "birth_date": "2005-01-01", "attributes": {"funktionsnedsaettelse": True}}
    r = expect(call("POST", "/v1/citizens", "jonas/worker", body=body), 201)
    b = r.body
    assert CPR not in r.text
    assert (b["name"], b["birth_date"], b["attributes"], b["cases"], b["etag"]) == \
        ("Dorte Testborger", "2005-01-01", {"funktionsnedsaettelse": True}, [], '"0"'), b
    STATE["citizen"] = cid = b["id"]
    assert cpr_in_db(cid) == CPR
    assert sql(f"SELECT created_by FROM citizen WHERE id = {cid}") == "jonas"
    assert sql(f"SELECT action || ' ' || actor || ' ' || via FROM access_entries WHERE citizen_id = {cid}") == "create jonas api citizen_create"
    r = expect_problem(call("POST", "/v1/citizens", "bo/worker", body=dict(body, name="Anden Testborger")), 409, "cpr-registered")
    assert str(cid) not in r.text and "Dorte" not in r.text and CPR not in r.text, r
    assert sql("SELECT count(*) FROM citizen WHERE display_name = 'Anden Testborger'") == "0"
    r = expect_problem(call("POST", "/v1/citizens", "bo/worker", body=dict(body, cpr="12345")), 400, "wrong-type")
    assert r.body["field"] == "cpr" and "12345" not in r.text
    r = expect_problem(call("POST", "/v1/citizens", "bo/worker", body=dict(body, cpr="0202024321", birth_date="1899-12-31")),
                       422, "invalid")
    assert r.body["field"] == "birth_date"
    expect_problem(call("POST", "/v1/citizens", "bo/worker", body=dict(body, cpr="0202024321", birth_date="2005-02-30")),
                   400, "wrong-type")
    expect_problem(call("POST", "/v1/citizens", "bo/worker", body={"cpr": "0202024321", "name": "X"}), 400, "missing-field")
    expect_problem(call("POST", "/v1/citizens", "bo/worker", body=dict(body, cpr="0202024321", attributes=[1])), 400, "wrong-type")
    roles_refused("POST", "/v1/citizens", ["tovholder", "worker", "lead", "administrator"], body=dict(body, cpr="0303034321"))
    assert sql("SELECT count(*) FROM citizen_cpr") == "1"


def citizen_find():
    """finding a citizen by CPR number in the body, logged with the purpose"""
    cid = STATE["citizen"]
    r = expect(call("POST", "/v1/citizens/find", "bo/worker", body={"cpr": CPR},
                    headers={"Overgang-Purpose": "opretter forløb".encode()}), 200)
    assert r.body == {"id": cid, "name": "Dorte Testborger", "birth_date": "2005-01-01"}, r
    assert sql(f"SELECT actor || ' ' || reason || ' ' || via FROM access_entries WHERE citizen_id = {cid} ORDER BY id DESC LIMIT 1") \
        == "bo opretter forløb api citizen_find"
    before = access_log_count()
    r = expect_problem(call("POST", "/v1/citizens/find", "bo/worker", body={"cpr": "0909094321"}), 404, "not-found")
    assert "0909094321" not in r.text
    expect_problem(call("POST", "/v1/citizens/find", "bo/worker", body={"cpr": 101054321}), 400, "wrong-type")
    expect_problem(call("POST", "/v1/citizens/find", "bo/worker", body={"cpr": CPR, "name": "x"}), 400, "unknown-field")
    roles_refused("POST", "/v1/citizens/find", ["tovholder", "worker", "lead", "administrator"], body={"cpr": CPR})
    assert access_log_count() == before


def citizen_read():
    """a citizen is visible through a visible case or to whoever registered them; else 404, unlogged"""
    cid = STATE["citizen"]
    r = expect(call("GET", f"/v1/citizens/{cid}", "jonas/worker"), 200)
    assert r.body["name"] == "Dorte Testborger" and r.headers["etag"] == '"0"'
    assert sql(f"SELECT count(*) FROM access_entries WHERE citizen_id = {cid} AND action = 'read' AND via = 'api citizen'") == "1"
    r = expect(call("GET", "/v1/citizens/1", "mette/tovholder"), 200)
    assert [c["id"] for c in r.body["cases"]] == [1] and r.body["name"] == "Astrid Testborger", r
    r = expect(call("GET", "/v1/citizens/1", "lars/worker"), 200)  # PPR has a task on case 1
    assert [c["id"] for c in r.body["cases"]] == [1]
    before = access_log_count()
    for who, c in [("bo/worker", cid), ("jens/lead", 1), ("admin/administrator", 2), ("mette/tovholder", 99999),
                   ("mette/tovholder", "abc")]:
        r = expect_problem(call("GET", f"/v1/citizens/{c}", who), 404, "not-found", f"{who} {c}")
        no_person_data(r)
        assert "Dorte" not in r.text
    assert access_log_count() == before
    roles_refused("GET", f"/v1/citizens/{cid}", ["tovholder", "worker", "lead", "administrator"])


def citizen_update():
    """correcting a citizen needs If-Match; the change is logged"""
    cid = STATE["citizen"]
    path = f"/v1/citizens/{cid}"
    expect_problem(call("PATCH", path, "jonas/worker", body={"name": "Dorthe Testborger"}), 428, "if-match-required")
    expect_problem(call("PATCH", path, "jonas/worker", body={"name": "Dorthe Testborger"}, headers={"If-Match": '"5"'}),
                   412, "stale-etag")
    r = expect(call("PATCH", path, "jonas/worker", body={"name": "Dorthe Testborger", "attributes": {}},
                    headers={"If-Match": '"0"'}), 200)
    assert (r.body["name"], r.body["attributes"], r.body["birth_date"], r.body["etag"]) == \
        ("Dorthe Testborger", {}, "2005-01-01", '"1"'), r
    assert sql(f"SELECT count(*) FROM access_entries WHERE citizen_id = {cid} AND action = 'update'") == "1"
    r = expect_problem(call("PATCH", path, "jonas/worker", body={"birth_date": "2999-01-01"}, headers={"If-Match": '"1"'}),
                       422, "invalid")
    assert r.body["field"] == "birth_date"
    expect_problem(call("PATCH", path, "jonas/worker", body={"cpr": CPR}, headers={"If-Match": '"1"'}), 400, "unknown-field")
    expect_problem(call("PATCH", path, "bo/worker", body={"name": "X"}, headers={"If-Match": '"1"'}), 404, "not-found")
    roles_refused("PATCH", path, ["tovholder", "worker", "lead", "administrator"], body={"name": "X"})
    # null for a field leaves it as it is
    r = expect(call("PATCH", path, "jonas/worker", body={"name": None, "attributes": None, "birth_date": None},
                    headers={"If-Match": '"1"'}), 200)
    assert (r.body["name"], r.body["attributes"], r.body["etag"]) == ("Dorthe Testborger", {}, '"2"'), r
    assert sql(f"SELECT display_name || ' ' || revision FROM citizen WHERE id = {cid}") == "Dorthe Testborger 2"


def case_start():
    """starting a case: newest version, a pending 'started' event, a grant for the starter, idempotent"""
    cid = STATE["citizen"]
    body = {"citizen": cid, "workflow": "api-test"}
    key = {"Idempotency-Key": "start-dorthe-1"}
    r = expect(call("POST", "/v1/cases", "jonas/worker", body=body, headers=key), 201)
    case = r.body["id"]
    assert (r.body["citizen"], r.body["status"], r.body["phase"], r.body["workflow"]["version"]) == \
        (cid, "active", "afdaekning", 3), r  # the newest version: 3 (deployed above)
    again = expect(call("POST", "/v1/cases", "jonas/worker", body=body, headers=key), 201)
    assert again.body == r.body and again.headers.get("idempotent-replayed") == "true"
    expect_problem(call("POST", "/v1/cases", "jonas/worker", body=dict(body, version=1), headers=key), 422, "idempotency-key-reused")
    assert sql(f"SELECT count(*) FROM cases WHERE citizen_id = {cid}") == "1"
    assert sql(f"SELECT type || ' ' || source FROM event WHERE case_id = {case}") == "started api"
    assert sql(f"SELECT staff_id || ': ' || reason FROM case_grant WHERE case_id = {case}") == "jonas: started the case"
    wait_drained()
    # the starter follows the case; the citizen now shows it
    r = expect(call("GET", f"/v1/cases/{case}", "jonas/worker"), 200)
    assert r.body["tovholder"]["staff"] == "mette"
    r = expect(call("GET", f"/v1/citizens/{cid}", "bo/worker"), 200)  # voksenhandicap has the handover
    assert [c["id"] for c in r.body["cases"]] == [case]
    r = expect_problem(call("POST", "/v1/cases", "bo/worker", body=body), 409, "case-exists")
    assert (r.body["field"], r.body["case"]) == ("workflow", case), r
    # a running case the person may not see does not show: 404, as for any such case
    r = expect_problem(call("POST", "/v1/cases", "jens/lead", body={"citizen": 1, "workflow": "api-test"}), 404, "not-found")
    assert "case" not in r.body["detail"], r
    r = expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 99999, "workflow": "api-test"}),
                       422, "unknown-citizen")
    assert r.body["field"] == "citizen"
    r = expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 1, "workflow": "nope"}), 422, "unknown-workflow")
    assert r.body["field"] == "workflow"
    r = expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 1, "workflow": "api-test", "version": 99}),
                       422, "unknown-workflow")
    assert r.body["field"] == "version"
    expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 1, "workflow": "api-test", "version": 2 ** 40}),
                   422, "unknown-workflow")
    expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": "1", "workflow": "api-test"}), 400, "wrong-type")
    expect_problem(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 1, "workflow": "api-test"},
                        headers={"Idempotency-Key": ""}), 400, "bad-header")
    roles_refused("POST", "/v1/cases", ["tovholder", "worker", "lead", "administrator"], body={"citizen": 1, "workflow": "api-test"})


def cpr_unavailable():
    """without [api] cpr_key_file the CPR routes answer 503 cpr-unavailable"""
    conf = open(os.environ["OG_CONF"]).read()
    conf = re.sub(r"(?m)^cpr_key_file = .*\n", "", conf).replace("workers = 1", "workers = 0")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "nokey.conf")
        open(path, "w").write(conf)
        log = open(os.path.join(d, "log"), "w+")
        p = subprocess.Popen([os.environ["OVERGANG_BIN"] + "/overgangd", "-c", path], stderr=log)
        try:
            port = None
            for _ in range(100):
                log.seek(0)
                m = re.search(r'"msg":"overgangd listening".*?"port":(\d+)', log.read())
                if m:
                    port = int(m.group(1))
                    break
                time.sleep(0.1)
            assert port, "the second daemon did not start"
            import apilib
            saved = apilib.URL
            apilib.URL = urllib.parse.urlsplit(f"http://127.0.0.1:{port}")
            try:
                until(lambda: raw("GET", "/readyz").status == 200, "the second daemon to be ready")
                for path_, body in [("/v1/citizens/find", {"cpr": CPR}),
                                    ("/v1/citizens", {"cpr": CPR, "name": "X", "birth_date": "2005-01-01"})]:
                    r = expect_problem(call("POST", path_, "jonas/worker", body=body), 503, "cpr-unavailable", path_)
                    assert CPR not in r.text
            finally:
                apilib.URL = saved
        finally:
            p.terminate()
            p.wait(10)


# ---- audit and the manager's report ----

def access_log_search():
    """the auditor searches the access log by citizen or staff member, newest first, ids only"""
    cid = STATE["citizen"]
    r = expect(call("GET", f"/v1/access-log?citizen={cid}", "revisor/auditor"), 200)
    no_person_data(r)
    assert "Dorthe" not in r.text
    actions = [(e["actor"], e["action"], e["via"]) for e in r.body["items"]]
    assert actions[-1] == ("jonas", "create", "api citizen_create"), actions
    assert ("bo", "read", "api citizen_find") in actions and ("jonas", "update", "api citizen_update") in actions
    ids = [e["id"] for e in r.body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert all(e["citizen"] == cid for e in r.body["items"])
    # pages: all entries once, newest first
    seen, cursor = [], None
    while True:
        r = expect(call("GET", f"/v1/access-log?citizen={cid}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                        "revisor/auditor"), 200)
        seen += [e["id"] for e in r.body["items"]]
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids, (seen, ids)
    r = expect(call("GET", "/v1/access-log?staff=admin", "revisor/auditor"), 200)
    assert r.body["items"] and all(e["actor"] == "admin" for e in r.body["items"])
    assert {e["via"] for e in r.body["items"]} >= {"api stuck_cases", "api outbox"}
    before = access_log_count()
    for q in ["", "?citizen=1&staff=mette", "?citizen=abc"]:
        expect_problem(call("GET", "/v1/access-log" + q, "revisor/auditor"), 400, "bad-parameter", q)
    expect_problem(call("GET", "/v1/access-log?citizen=1&cursor=WyJ4IiwxXQ", "revisor/auditor"), 400, "bad-cursor")
    expect_problem(call("GET", "/v1/access-log?case=1", "revisor/auditor"), 400, "unknown-parameter")
    roles_refused("GET", "/v1/access-log?citizen=1", ["auditor"])
    assert access_log_count() == before, "reading the access log is not itself logged"


def access_log_list_reads():
    """a list read is one access-log row naming every citizen on its page; the auditor sees an
    entry per citizen, searched by citizen (only that citizen) or by staff member (each once)"""
    rows_before = int(sql("SELECT count(*) FROM access_log"))
    entries_before = access_log_count()
    r = expect(call("GET", "/v1/me/queue", "mette/tovholder"), 200)
    case_of = {i["citizen"]["id"]: i["case"]["id"] for i in r.body["items"]}
    assert len(case_of) >= 2, r.body
    assert int(sql("SELECT count(*) FROM access_log")) == rows_before + 1, "one row for the page"
    assert access_log_count() == entries_before + len(case_of), "an entry per citizen on the page"
    read_id = int(sql("SELECT max(id) FROM access_log"))
    for cid, case in case_of.items():
        r = expect(call("GET", f"/v1/access-log?citizen={cid}", "revisor/auditor"), 200)
        assert all(e["citizen"] == cid for e in r.body["items"]), r.body
        mine = [e for e in r.body["items"] if e["id"] == read_id]
        assert len(mine) == 1, (cid, r.body)
        assert (mine[0]["actor"], mine[0]["via"], mine[0]["case"]) == ("mette", "api queue", case), mine
    seen, cursor = [], None
    while True:
        r = expect(call("GET", "/v1/access-log?staff=mette&limit=1" + (f"&cursor={cursor}" if cursor else ""),
                        "revisor/auditor"), 200)
        seen += [(e["id"], e["citizen"], e["case"]) for e in r.body["items"]]
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), seen
    assert sorted((c, k) for i, c, k in seen if i == read_id) == sorted(case_of.items()), seen
    assert len(seen) == int(sql("SELECT count(*) FROM access_entries WHERE actor = 'mette'"))


def access_log_repeat_reads():
    """a page read again as kept writes a row naming the first read's row; the auditor sees it
    as a read of every citizen on the page, at its own time, by citizen and by staff member"""
    first = expect(call("GET", "/v1/me/queue?limit=7", "mette/tovholder"), 200).body
    first_id = int(sql("SELECT max(id) FROM access_log"))
    again = expect(call("GET", "/v1/me/queue?limit=7", "mette/tovholder"), 200).body
    assert again == first
    row = sql("SELECT id, same_as, citizen_id IS NULL AND citizen_ids IS NULL, actor, reason, via"
              " FROM access_log ORDER BY id DESC LIMIT 1").split("|")
    repeat_id = int(row[0])
    assert row[1:] == [str(first_id), "t", "mette", "queue", "api queue"], row
    case_of = {i["citizen"]["id"]: i["case"]["id"] for i in first["items"]}
    assert len(case_of) >= 2, first
    for cid, case in case_of.items():
        r = expect(call("GET", f"/v1/access-log?citizen={cid}", "revisor/auditor"), 200)
        assert all(e["citizen"] == cid for e in r.body["items"]), r.body
        reads = {e["id"]: e for e in r.body["items"] if e["id"] in (first_id, repeat_id)}
        assert sorted(reads) == [first_id, repeat_id], (cid, r.body)
        assert reads[repeat_id]["case"] == case and reads[repeat_id]["actor"] == "mette"
        assert reads[repeat_id]["at"] > reads[first_id]["at"], reads
    r = expect(call("GET", "/v1/access-log?staff=mette&limit=50", "revisor/auditor"), 200)
    shown = sorted((e["citizen"], e["case"]) for e in r.body["items"] if e["id"] == repeat_id)
    assert shown == sorted(case_of.items()), r.body


def report_deadlines():
    """the manager's report: counts per department and per workflow phase, and no person data"""
    r = expect(call("GET", "/v1/reports/deadlines", "chef/manager"), 200)
    b = r.body
    no_person_data(r)
    assert "Dorthe" not in r.text and "Erik" not in r.text
    assert not re.search(r'"(citizen|case|tovholder|assignee|name_of)"', r.text)
    deps = {d["id"]: d for d in b["departments"]}
    expected = {k: int(v) for k, v in (line.split("|") for line in sql(
        "SELECT department_id, count(*) FROM task WHERE status IN ('open', 'claimed') GROUP BY 1").split("\n"))}
    for dep, n in expected.items():
        d = deps[dep]
        assert d["open_tasks"] + d["open_handovers"] == n, (dep, d, n)
    assert deps["born-familie"]["overdue"] == 1, deps  # case 1's samtale
    assert deps["voksenhandicap"]["open_handovers"] >= 3 and deps["voksenhandicap"]["open_tasks"] == 0
    assert deps["jobcenter"] == {"id": "jobcenter", "name": "Jobcenter", "open_tasks": 0, "open_handovers": 0,
                                 "overdue": 0, "due_7_days": 0}
    wf = {(w["workflow"], w["phase"]): w for w in b["workflows"]}
    active = int(sql("SELECT count(*) FROM cases WHERE status = 'active' AND phase = 'afdaekning'"))
    assert wf[("api-test", "afdaekning")]["active_cases"] == active, wf
    expect(call("GET", "/v1/reports/deadlines", "admin/administrator"), 200)
    roles_refused("GET", "/v1/reports/deadlines", ["manager", "administrator"])


main([workflows_list, workflow_read, workflow_deploy, stuck_cases, outbox, departments, staff_list,
      staff_create, staff_update, citizen_register, citizen_find, citizen_read, citizen_update, case_start,
      cpr_unavailable, access_log_search, access_log_list_reads, access_log_repeat_reads, report_deadlines])
