"""The core routes: who am I, my queue, a case's full picture, tokens, and the access log."""
from apilib import *


def who_am_i():
    """/v1/me names the person, role and departments; no token is 401"""
    r = expect(call("GET", "/v1/me", "mette/lead"), 200)
    assert r.body["staff"] == "mette" and r.body["role"] == "lead", r
    assert r.body["departments"] == [{"id": "born-familie", "name": "Børn og Familie", "lead": True}], r
    r = expect_problem(call("GET", "/v1/me"), 401, "unauthorized")
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    expect_problem(call("GET", "/v1/me", headers={"Authorization": "Bearer og_0123456789abcdef_" + "x" * 43}),
                   401, "unauthorized", "an unknown token")
    expect_problem(call("GET", "/v1/me", headers={"Authorization": "Basic YTpi"}), 401, "unauthorized")


def queue():
    """the tovholder's queue: open tasks of the cases held, overdue first, by due date"""
    before = access_log_count("actor = 'mette'")
    r = expect(call("GET", "/v1/me/queue", "mette/tovholder"), 200)
    items = r.body["items"]
    # mette holds cases 1 and 2, each with two tasks and a handover open
    assert sorted({i["case"]["id"] for i in items}) == [1, 2], items
    assert len(items) == 6, items
    assert items[0]["overdue"] and items[0]["case"]["id"] == 1, "case 1's samtale is overdue and first"
    dues = [i["due_at"] for i in items]
    assert dues == sorted(dues), dues
    assert r.body["next_cursor"] is None
    again = expect(call("GET", "/v1/me/queue", "mette/tovholder"), 200)
    assert again.body == r.body, "the same page again, with no entries kept ([api] list_cache = 0)"
    assert 'overgang_api_list_entries_total{how="kept"}' not in raw("GET", "/metrics").text or \
        'overgang_api_list_entries_total{how="kept"} 0' in raw("GET", "/metrics").text
    before += 2  # the second read logs too
    # every citizen on the page is in the access log, with the route as purpose
    assert access_log_count("actor = 'mette'") == before + 2
    assert sql("SELECT string_agg(DISTINCT reason, ',') FROM access_entries WHERE actor = 'mette'") == "queue"


def queue_pages():
    """pages follow the cursor without gaps or repeats; a bad cursor is 400"""
    seen, cursor = [], None
    while True:
        q = "/v1/me/queue?limit=4" + (f"&cursor={cursor}" if cursor else "")
        r = expect(call("GET", q, "mette/tovholder"), 200)
        seen += [i["id"] for i in r.body["items"]]
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
    full = [i["id"] for i in call("GET", "/v1/me/queue", "mette/tovholder").body["items"]]
    assert seen == full, (seen, full)
    expect_problem(call("GET", "/v1/me/queue?cursor=bm9wZQ", "mette/tovholder"), 400, "bad-cursor")
    # a well-formed cursor with a value of the wrong kind: base64url of ["x"]
    expect_problem(call("GET", "/v1/me/queue?cursor=WyJ4Il0", "mette/tovholder"), 400, "bad-cursor")
    expect_problem(call("GET", "/v1/me/queue?limit=0", "mette/tovholder"), 400, "bad-parameter")
    expect_problem(call("GET", "/v1/me/queue?limit=101", "mette/tovholder"), 400, "bad-parameter")
    expect_problem(call("GET", "/v1/me/queue?colour=red", "mette/tovholder"), 400, "unknown-parameter")


def queue_filters():
    """filters by case, department and status"""
    r = expect(call("GET", "/v1/me/queue?case=2", "mette/tovholder"), 200)
    assert {i["case"]["id"] for i in r.body["items"]} == {2}, r
    r = expect(call("GET", "/v1/me/queue?department=ppr", "mette/tovholder"), 200)
    assert [i["department"] for i in r.body["items"]] == ["ppr", "ppr"], r
    expect_problem(call("GET", "/v1/me/queue?status=done", "mette/tovholder"), 400, "bad-parameter")
    expect_problem(call("GET", "/v1/me/queue?case=x", "mette/tovholder"), 400, "bad-parameter")


def case_picture():
    """a case's full picture for its tovholder, logged with the purpose given"""
    r = expect(call("GET", "/v1/cases/1", "mette/tovholder", headers={"Overgang-Purpose": "forbereder samtale"}), 200)
    b = r.body
    assert b["citizen"]["name"] == "Astrid Testborger" and b["tovholder"]["staff"] == "mette", b
    assert [p["phase"] for p in b["plan"]] == ["afdaekning", "overdragelse", "voksen", "nej-tak"]
    assert [p["current"] for p in b["plan"]] == [True, False, False, False]
    assert {t["key"] for t in b["tasks"]} == {"samtale", "ppr", "overdragelse"}
    assert b["timeline"][0]["type"] == "started"
    assert r.headers["etag"] == b["etag"]
    assert sql("SELECT reason FROM access_entries WHERE actor = 'mette' AND case_id = 1 ORDER BY id DESC LIMIT 1") == "forbereder samtale"


def case_not_visible():
    """a case the person may not see is 404, like one that does not exist, and is not logged"""
    before = access_log_count()
    for who, case in [("jens/lead", 3), ("jens/lead", 1), ("admin/administrator", 2), ("mette/tovholder", 99999), ("mette/tovholder", "abc")]:
        r = expect_problem(call("GET", f"/v1/cases/{case}", who), 404, "not-found", f"{who} case {case}")
        no_person_data(r)
    assert access_log_count() == before
    # the manager and the auditor have no case routes at all
    expect_problem(call("GET", "/v1/cases/1", "chef/manager"), 403, "forbidden")
    expect_problem(call("GET", "/v1/me/queue", "revisor/auditor"), 403, "forbidden")


def revoked_token():
    """a revoked token stops working within the token cache time"""
    import time, subprocess
    token_id = TOKENS["jonas/tovholder"].split("_")[1]
    expect(call("GET", "/v1/me", "jonas/tovholder"), 200)
    subprocess.run([os.environ["OVERGANG_BIN"] + "/overgang", "token", "revoke", token_id],
                   check=True, capture_output=True)
    time.sleep(1.2)
    expect_problem(call("GET", "/v1/me", "jonas/tovholder"), 401, "unauthorized")
    assert sql(f"SELECT count(*) FROM api_token WHERE id = '{token_id}' AND revoked_at IS NOT NULL") == "1"


def routing():
    """unknown routes are 404, a wrong method 405 with Allow, and the document needs no token"""
    expect_problem(call("GET", "/v1/nothing", "mette/tovholder"), 404, "not-found")
    r = expect_problem(call("DELETE", "/v1/me", "mette/tovholder"), 405, "method-not-allowed")
    assert "GET" in r.headers["allow"], r.headers
    doc = expect(call("GET", "/v1/openapi.json"), 200).body
    assert doc["openapi"].startswith("3.1") and "/v1/me/queue" in doc["paths"]


main([who_am_i, queue, queue_pages, queue_filters, case_picture, case_not_visible, revoked_token, routing])
