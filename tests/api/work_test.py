"""The work of tovholdere and departments: my cases, a department's inbox, claiming,
completing and reassigning tasks, answering handovers, notes, events into a case, handing
the tovholder role on, and grants to see a case. Each route: success, each documented error,
the access log (written for reads of person data, never for writes or refused requests)."""
import base64
import json
import threading
import uuid

from apilib import *

# The seed (tests/api/seed.sql, stepped by tests/workflows/api.lua): cases 1 and 2 held by
# mette, case 3 by jonas; each has a task 'samtale' (born-familie; case 1's is overdue), a
# task 'ppr' (ppr) and a handover 'overdragelse' (to voksenhandicap).


def task_id(case, key):
    return int(sql(f"SELECT id FROM task WHERE case_id = {case} AND key = '{key}' ORDER BY id DESC LIMIT 1"))


def etag(tid):
    return '"' + sql(f"SELECT revision FROM task WHERE id = {tid}") + '"'


def case_etag(case):
    return '"' + sql(f"SELECT revision FROM cases WHERE id = {case}") + '"'


def post(path, who, body=None, if_match=None, key=None, method="POST"):
    h = {}
    if if_match is not None:
        h["If-Match"] = if_match
    if key is not None:
        h["Idempotency-Key"] = key
    return call(method, path, who, body=body, headers=h)


def log_max():
    return int(sql("SELECT coalesce(max(id), 0) FROM access_entries"))


def logged_since(mark):
    """The access log rows written since MARK: (actor, citizen, case, reason, via)."""
    rows = sql(f"SELECT actor, citizen_id, coalesce(case_id::text, ''), reason, via FROM access_entries"
               f" WHERE id > {mark} ORDER BY id")
    return [tuple(r.split("|")) for r in rows.splitlines()]


def refused(resp, status, kind, what, mark):
    """A refusal: its problem, no citizen's name, and nothing written to the access log."""
    expect_problem(resp, status, kind, what)
    no_person_data(resp, what)
    assert logged_since(mark) == [], f"{what}: a refused request wrote the access log"
    return resp


def cursor_of(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def my_cases():
    """my cases: held cases with phase, next deadline and what is waiting; logged per citizen"""
    mark = log_max()
    r = expect(call("GET", "/v1/me/cases", "mette/tovholder"), 200)
    items = r.body["items"]
    assert [i["id"] for i in items] == [1, 2], items
    one = items[0]
    assert one["phase"] == "afdaekning" and one["status"] == "active", one
    assert one["citizen"] == {"id": 1, "name": "Astrid Testborger"}, one
    assert one["workflow"] == {"name": "api-test", "version": 1}, one
    assert one["tovholder_department"] == "born-familie", one
    assert one["next_deadline"]["task"] == task_id(1, "samtale") and one["next_deadline"]["overdue"], one
    assert one["waiting"] == {"tasks": 2, "handovers": 1, "overdue": 1}, one
    assert items[1]["waiting"] == {"tasks": 2, "handovers": 1, "overdue": 0}, items[1]
    assert one["etag"] == case_etag(1)
    assert r.body["next_cursor"] is None
    rows = logged_since(mark)
    assert sorted((a, ci, ca, why, via) for a, ci, ca, why, via in rows) == [
        ("mette", "1", "1", "my_cases", "api my_cases"), ("mette", "2", "2", "my_cases", "api my_cases")], rows
    # the purpose given is the reason logged
    mark = log_max()
    expect(call("GET", "/v1/me/cases", "jonas/worker", headers={"Overgang-Purpose": "ugeplan"}), 200)
    assert logged_since(mark) == [("jonas", "3", "3", "ugeplan", "api my_cases")]
    # someone holding no case: an empty page, nothing logged
    mark = log_max()
    r = expect(call("GET", "/v1/me/cases", "lars/worker"), 200)
    assert r.body == {"items": [], "next_cursor": None}, r
    assert logged_since(mark) == []


def my_cases_pages():
    """my cases page by cursor; bad cursors, limits and parameters are 400; other roles 403"""
    mark = log_max()
    r = expect(call("GET", "/v1/me/cases?limit=1", "mette/tovholder"), 200)
    assert [i["id"] for i in r.body["items"]] == [1] and r.body["next_cursor"], r
    assert [ci for a, ci, ca, why, via in logged_since(mark)] == ["1"], "only the citizen shown is logged"
    r = expect(call("GET", "/v1/me/cases?limit=1&cursor=" + r.body["next_cursor"], "mette/tovholder"), 200)
    assert [i["id"] for i in r.body["items"]] == [2] and r.body["next_cursor"] is None, r
    mark = log_max()
    for q, kind in [("cursor=bm9wZQ", "bad-cursor"), ("cursor=" + cursor_of(["soon", 1]), "bad-cursor"),
                    ("cursor=" + cursor_of([1]), "bad-cursor"), ("limit=0", "bad-parameter"),
                    ("limit=101", "bad-parameter"), ("status=open", "unknown-parameter")]:
        refused(call("GET", "/v1/me/cases?" + q, "mette/tovholder"), 400, kind, q, mark)
    for who in ["chef/manager", "revisor/auditor"]:
        refused(call("GET", "/v1/me/cases", who), 403, "forbidden", who, mark)
    refused(call("GET", "/v1/me/cases"), 401, "unauthorized", "no token", mark)


def my_cases_order_holds():
    """my cases keep the first page's order while deadlines move: no case twice, none missed"""
    try:
        first = expect(call("GET", "/v1/me/cases?limit=1", "mette/tovholder"), 200)
        assert [i["id"] for i in first.body["items"]] == [1], first
        # case 2 gets a task due before case 1's overdue one: by deadline it now comes first,
        # so a cursor holding case 1's deadline would pass it by
        sql("INSERT INTO task (case_id, kind, department_id, title, due_at)"
            " VALUES (2, 'task', 'born-familie', 'Hastesag', now() - interval '30 days')")
        r = expect(call("GET", "/v1/me/cases?limit=1&cursor=" + first.body["next_cursor"], "mette/tovholder"), 200)
        assert [i["id"] for i in r.body["items"]] == [2] and r.body["next_cursor"] is None, r
        assert r.body["items"][0]["next_deadline"]["title"] == "Hastesag", "each case as it is now"
        r = expect(call("GET", "/v1/me/cases?limit=1", "mette/tovholder"), 200)
        assert [i["id"] for i in r.body["items"]] == [2], "a new first page has the new order"
        # the kept order is mette's only, lasts a day, and a position must be one it gave out
        mark = log_max()
        refused(call("GET", "/v1/me/cases?limit=1&cursor=" + first.body["next_cursor"], "jonas/tovholder"),
                400, "bad-cursor", "another person's cursor", mark)
        order = json.loads(base64.urlsafe_b64decode(first.body["next_cursor"] + "==="))[0]
        for pos in [0, 2, 2 ** 40]:
            refused(call("GET", "/v1/me/cases?limit=1&cursor=" + cursor_of([order, pos]), "mette/tovholder"),
                    400, "bad-cursor", f"position {pos}", mark)
        sql("UPDATE api_list_order SET made_at = now() - interval '25 hours'")
        refused(call("GET", "/v1/me/cases?limit=1&cursor=" + first.body["next_cursor"], "mette/tovholder"),
                400, "bad-cursor", "a cursor older than a day", mark)
        # mette holds three cases; the middle one is handed on after the first page: the next
        # page takes the third in its place, and is the last
        sql("UPDATE cases SET tovholder = 'mette' WHERE id = 3")
        first = expect(call("GET", "/v1/me/cases?limit=1", "mette/tovholder"), 200)
        order = [i["id"] for i in expect(call("GET", "/v1/me/cases", "mette/tovholder"), 200).body["items"]]
        assert len(order) == 3 and first.body["items"][0]["id"] == order[0], order
        sql(f"UPDATE cases SET tovholder = 'jonas' WHERE id = {order[1]}")
        r = expect(call("GET", "/v1/me/cases?limit=1&cursor=" + first.body["next_cursor"], "mette/tovholder"), 200)
        assert [i["id"] for i in r.body["items"]] == [order[2]] and r.body["next_cursor"] is None, r
    finally:
        sql("UPDATE cases SET tovholder = 'mette' WHERE id IN (1, 2)")
        sql("UPDATE cases SET tovholder = 'jonas' WHERE id = 3")
        sql("UPDATE task SET status = 'cancelled' WHERE title = 'Hastesag' AND status = 'open'")


def lists_follow_names():
    """queues and inboxes show names as they are now: a renamed citizen, tovholder and department"""
    def mettes_first(case):
        items = expect(call("GET", f"/v1/me/queue?case={case}", "mette/tovholder"), 200).body["items"]
        return next(i for i in items if i["department"] == "born-familie")
    before = mettes_first(1)
    sql("UPDATE citizen SET display_name = 'Astrid Omdøbt' WHERE id = 1")
    sql("UPDATE staff SET name = 'Mette Omdøbt' WHERE id = 'mette'")
    sql("UPDATE department SET name = 'Børn og unge' WHERE id = 'born-familie'")
    after = mettes_first(1)
    assert after["citizen"]["name"] == "Astrid Omdøbt", after
    assert after["case"]["tovholder_name"] == "Mette Omdøbt", after
    assert after["department_name"] == "Børn og unge", after
    inbox = expect(call("GET", "/v1/departments/born-familie/inbox", "jonas/worker"), 200).body["items"]
    assert {i["department_name"] for i in inbox} == {"Børn og unge"}, inbox
    sql(f"UPDATE citizen SET display_name = '{before['citizen']['name']}' WHERE id = 1")
    sql(f"UPDATE staff SET name = '{before['case']['tovholder_name']}' WHERE id = 'mette'")
    sql(f"UPDATE department SET name = '{before['department_name']}' WHERE id = 'born-familie'")
    assert mettes_first(1) == before, "the names back as they were"



def queue_item(tid, case=1, who="mette/tovholder"):
    items = expect(call("GET", f"/v1/me/queue?case={case}", who), 200).body["items"]
    return next((i for i in items if i["id"] == tid), None)


def lists_follow_changes():
    """queues show a task as it is now: claimed, renamed assignee, due date, its case's phase"""
    t = int(sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at)"
                " VALUES (1, 'task', 'ekstra', 'ppr', 'Ekstra udtalelse', now() + interval '2 days') RETURNING id"))
    before = queue_item(t)
    assert before["status"] == "open" and before["assignee"] is None and before["assignee_name"] is None, before
    assert before["case"]["phase_title"] == "Afdaekning" and not before["overdue"], before
    try:
        sql(f"UPDATE task SET status = 'claimed', assignee = 'lars', revision = revision + 1 WHERE id = {t}")
        sql("UPDATE cases SET phase = 'overdragelse' WHERE id = 1")
        sql(f"UPDATE task SET due_at = now() - interval '1 hour' WHERE id = {t}")
        after = queue_item(t)
        assert (after["status"], after["assignee"], after["assignee_name"]) == ("claimed", "lars", "Lars Lund"), after
        assert after["etag"] == etag(t) != before["etag"], after
        assert (after["case"]["phase"], after["case"]["phase_title"]) == ("overdragelse", "Overdragelse"), after
        assert after["overdue"], after
        sql("UPDATE staff SET name = 'Lars Omdøbt' WHERE id = 'lars'")
        assert queue_item(t)["assignee_name"] == "Lars Omdøbt"
    finally:
        sql("UPDATE staff SET name = 'Lars Lund' WHERE id = 'lars'")
        sql("UPDATE cases SET phase = 'afdaekning' WHERE id = 1")
        sql(f"UPDATE task SET status = 'cancelled', reason = 'test' WHERE id = {t}")
    assert queue_item(t) is None, "a cancelled task leaves the queue"


def counted(metric, how):
    """The counter METRIC{how=HOW} in /metrics (0 before anything was counted)."""
    for line in raw("GET", "/metrics").text.splitlines():
        if line.startswith(f'{metric}{{how="{how}"}}'):
            return float(line.split()[-1])
    return 0.0


def list_entries(how):
    """Queue and inbox entries answered as kept by the daemon, or as rendered by PostgreSQL."""
    return counted("overgang_api_list_entries_total", how)


def lists_follow_the_clock():
    """a kept queue entry turns overdue when its due time passes, with nothing else changed"""
    import time
    # marked as notified already, so the engine's overdue sweep leaves the row as it is
    t = int(sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at, overdue_notified)"
                " VALUES (2, 'task', 'snart', 'ppr', 'Snart forfalden', now() + interval '2 seconds', true)"
                " RETURNING id"))
    try:
        rendered = list_entries("rendered")
        before = queue_item(t, case=2)
        assert before is not None and not before["overdue"], before
        assert list_entries("rendered") > rendered, "the new task's entry was rendered"
        kept, rendered = list_entries("kept"), list_entries("rendered")
        due = float(sql(f"SELECT extract(epoch FROM due_at) FROM task WHERE id = {t}"))
        time.sleep(max(0.0, due - time.time()) + 0.5)
        after = queue_item(t, case=2)
        assert after["overdue"], after
        assert {k: v for k, v in after.items() if k != "overdue"} == \
            {k: v for k, v in before.items() if k != "overdue"}, (before, after)
        assert list_entries("kept") > kept and list_entries("rendered") == rendered, \
            "the page was answered from the kept entries"
    finally:
        sql(f"UPDATE task SET status = 'cancelled', reason = 'test' WHERE id = {t}")
    assert queue_item(t, case=2) is None, "a cancelled task leaves the queue"


def list_pages(how):
    """Whole pages checked and shown as kept, or checked and found again."""
    return counted("overgang_api_list_pages_total", how)


def lists_kept_whole():
    """a page asked for again is shown as kept while nothing on its list changed, and found
    again after any change (a task, a case's phase, membership, pruning); every read logged"""
    q = "/v1/me/queue?case=1"

    def read(path=q, who="mette/tovholder", headers=None):
        return expect(call("GET", path, who, headers=headers or {}), 200).body

    first = read()
    kept, changed = list_pages("kept"), list_pages("changed")
    mark = log_max()
    first_at = sql(f"SELECT at FROM access_entries WHERE id = {mark}")
    again = read()
    assert again == first, (first, again)
    assert list_pages("kept") == kept + 1 and list_pages("changed") == changed, "shown as kept"
    rows = logged_since(mark)
    assert sorted((a, ci, ca, why, via) for a, ci, ca, why, via in rows) == \
        [("mette", "1", "1", "queue", "api queue")], rows
    assert sql(f"SELECT bool_and(at > '{first_at}') FROM access_entries WHERE id > {mark}") == "t", \
        "the kept read is logged at its own time"
    # a purpose of its own: kept apart, and logged with it
    mark = log_max()
    assert read(headers={"Overgang-Purpose": "opfolgning"}) == first
    assert read(headers={"Overgang-Purpose": "opfolgning"}) == first
    assert {why for a, ci, ca, why, via in logged_since(mark)} == {"opfolgning"}, logged_since(mark)
    # a task written by someone else (here straight in the database) shows at the next read
    t = task_id(1, "ppr")
    title = sql(f"SELECT title FROM task WHERE id = {t}")
    try:
        sql(f"UPDATE task SET title = 'Ny titel' WHERE id = {t}")
        changed = list_pages("changed")
        assert next(i for i in read()["items"] if i["id"] == t)["title"] == "Ny titel"
        assert list_pages("changed") == changed + 1, "the kept page was found again"
    finally:
        sql(f"UPDATE task SET title = '{title}' WHERE id = {t}")
    assert read() == first
    # the case's phase alone
    try:
        read()
        sql("UPDATE cases SET phase = 'overdragelse' WHERE id = 1")
        assert {i["case"]["phase_title"] for i in read()["items"]} == {"Overdragelse"}
    finally:
        sql("UPDATE cases SET phase = 'afdaekning' WHERE id = 1")
    assert read() == first
    # a task that joins the list, and one that leaves it
    read()
    t = int(sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at)"
                " VALUES (1, 'task', 'ny', 'ppr', 'Ny opgave', now() + interval '3 days') RETURNING id"))
    try:
        assert t in [i["id"] for i in read()["items"]]
    finally:
        sql(f"UPDATE task SET status = 'cancelled', reason = 'test' WHERE id = {t}")
    assert read() == first
    # no longer a member: the kept inbox is not shown
    inbox = "/v1/departments/ppr/inbox"
    read(inbox, "lars/worker")
    read(inbox, "lars/worker")
    is_lead = sql("SELECT is_lead FROM staff_department WHERE staff_id = 'lars' AND department_id = 'ppr'")
    sql("DELETE FROM staff_department WHERE staff_id = 'lars' AND department_id = 'ppr'")
    try:
        mark = log_max()
        refused(call("GET", inbox, "lars/worker"), 404, "not-found", "lars after leaving ppr", mark)
    finally:
        sql(f"INSERT INTO staff_department (staff_id, department_id, is_lead) VALUES ('lars', 'ppr', {is_lead == 't'})")
    read(inbox, "lars/worker")
    # pruned: a page found before the horizon is found again, and shows the same
    read()
    sql("SELECT list_change_prune('0 s', 1000000)")
    sql("SELECT list_change_prune('0 s', 1000000)")
    changed = list_pages("changed")
    assert read() == first
    assert list_pages("changed") == changed + 1, "found again after the pruning"
    assert int(sql("SELECT count(*) FROM list_change WHERE xid < (SELECT horizon FROM list_change_horizon)")) == 0


def lists_kept_through_a_phase_change():
    """a task claimed while its case changes phase shows the new phase in the claimer's kept
    queue: the phase change waits for no one, the claim waits for it"""
    import subprocess
    import time
    t = int(sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at)"
                " VALUES (2, 'task', 'fase', 'ppr', 'Under faseskift', now() + interval '4 days')"
                " RETURNING id"))
    tag = etag(t)
    lars = "/v1/me/queue?case=2"
    expect(call("GET", lars, "lars/worker"), 200)
    # a step of the engine's, changing case 2's phase, still running
    step = subprocess.Popen(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    step.stdin.write("BEGIN; UPDATE cases SET phase = 'overdragelse' WHERE id = 2;\n"
                     "SELECT 'changed';\n")
    step.stdin.flush()
    assert step.stdout.readline().strip() == "changed"
    claimed = []
    claimer = threading.Thread(target=lambda: claimed.append(
        post(f"/v1/tasks/{t}/claim", "lars/worker", if_match=tag)))
    claimer.start()
    try:
        time.sleep(1.0)
        # whatever lars sees meanwhile, twice, so that it is kept
        expect(call("GET", lars, "lars/worker"), 200)
        expect(call("GET", lars, "lars/worker"), 200)
    finally:
        step.stdin.write("COMMIT;\n")
        step.stdin.close()
        step.wait(10)
        claimer.join(10)
    try:
        assert claimed and claimed[0].status == 200, claimed
        items = [i for i in expect(call("GET", lars, "lars/worker"), 200).body["items"] if i["id"] == t]
        assert len(items) == 1 and items[0]["assignee"] == "lars", items
        assert items[0]["case"]["phase_title"] == "Overdragelse", items
    finally:
        sql("UPDATE cases SET phase = 'afdaekning' WHERE id = 2")
        sql(f"UPDATE task SET status = 'cancelled', reason = 'test' WHERE id = {t}")


def read_at_once(path, who, threads, each):
    """GET PATH as WHO from THREADS threads at once, EACH times in each: the statuses."""
    statuses = []

    def reader():
        for _ in range(each):
            statuses.append(call("GET", path, who).status)
    ths = [threading.Thread(target=reader) for _ in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    return statuses


def reads_logged_in_batches():
    """reads wait for their access-log rows, many reads to a commit; rows that cannot be written: 503, nothing shown"""
    import time
    mark = log_max()
    statuses = read_at_once("/v1/me/queue", "mette/tovholder", 24, 5)
    assert statuses == [200] * 120, statuses
    rows = int(sql(f"SELECT count(*) FROM access_log WHERE id > {mark}"))
    commits = int(sql(f"SELECT count(DISTINCT xmin::text) FROM access_log WHERE id > {mark}"))
    assert rows == 120 and 0 < commits < rows, (rows, commits)
    # the rows cannot be written: the read is refused and shows nothing
    sql("CREATE FUNCTION refuse_access_rows() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;"
        " CREATE TRIGGER refuse_access_rows BEFORE INSERT ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION refuse_access_rows()")
    try:
        mark = log_max()
        r = call("GET", "/v1/me/queue", "mette/tovholder", check=False)
        expect_problem(r, 503, "database-unavailable", "the access log refused")
        no_person_data(r, "the access log refused")
        assert "access log" in r.body["detail"], r
        r = call("GET", "/v1/cases/1", "mette/tovholder", check=False)
        expect_problem(r, 503, "database-unavailable", "a case read, the access log refused")
        no_person_data(r, "a case read, the access log refused")
    finally:
        sql("DROP TRIGGER refuse_access_rows ON access_log; DROP FUNCTION refuse_access_rows()")
    assert logged_since(mark) == []
    expect(call("GET", "/v1/me/queue", "mette/tovholder"), 200)
    # the writers' connections lost (one or two, as many as batches were written at once):
    # reads are refused until one is back, then answered
    # (this test's database only: the other tests' daemons share the cluster)
    assert sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
               " WHERE application_name = 'overgangd access log'"
               " AND datname = current_database()") in ("1", "2", "3")
    end = time.time() + 10
    while True:
        r = call("GET", "/v1/me/queue", "mette/tovholder", check=False)
        if r.status == 200:
            break
        expect_problem(r, 503, "database-unavailable", "while the access log reconnects")
        no_person_data(r, "while the access log reconnects")
        assert time.time() < end, "the access log's connection did not come back"
        time.sleep(0.1)


def access_log_merged():
    """the access log's by-citizen index does not pile up entries for a read to merge: the
    daemon merges them every few thousand reads"""
    import time
    sql("CREATE EXTENSION IF NOT EXISTS pgstattuple")

    def pending():
        return int(sql("SELECT pending_tuples FROM pgstatginindex('access_log_by_citizens')"))
    statuses = read_at_once("/v1/departments/born-familie/inbox", "jonas/worker", 8, 300)
    assert statuses == [200] * 2400, "every read answered"
    # 2,400 reads of three citizens each (each read's row pending until merged): the last
    # merge, after 2,000 reads, left only those after it
    end = time.time() + 10
    while pending() >= 1200 and time.time() < end:
        time.sleep(0.2)
    assert pending() < 1200, f"{pending()} reads still pending in the index after 2,400"


def inbox():
    """a department's inbox for its members: unclaimed first, by due date; logged per citizen"""
    mark = log_max()
    r = expect(call("GET", "/v1/departments/born-familie/inbox", "jonas/worker"), 200)
    items = r.body["items"]
    assert [(i["case"]["id"], i["key"]) for i in items] == [(1, "samtale"), (2, "samtale"), (3, "samtale")], items
    assert items[0]["overdue"] and not items[1]["overdue"], items
    assert items[0]["citizen"]["name"] == "Astrid Testborger" and items[0]["etag"] == etag(items[0]["id"])
    rows = logged_since(mark)
    assert sorted((ci, ca) for a, ci, ca, why, via in rows) == [("1", "1"), ("2", "2"), ("3", "3")], rows
    assert {(a, why, via) for a, ci, ca, why, via in rows} == {("jonas", "inbox", "api inbox")}, rows
    r = expect(call("GET", "/v1/departments/voksenhandicap/inbox", "bo/worker"), 200)
    assert [(i["kind"], i["from_department"]) for i in r.body["items"]] == [("handover", "born-familie")] * 3, r
    r = expect(call("GET", "/v1/departments/voksenhandicap/inbox?kind=task", "ayse/lead"), 200)
    assert r.body["items"] == [], r
    r = expect(call("GET", "/v1/departments/voksenhandicap/inbox?kind=handover&status=open", "ayse/lead"), 200)
    assert len(r.body["items"]) == 3, r
    # pages follow the cursor without gaps or repeats; each logs the citizens it shows, only
    seen, cursor = [], None
    while True:
        q = "/v1/departments/born-familie/inbox?limit=2" + (f"&cursor={cursor}" if cursor else "")
        mark = log_max()
        r = expect(call("GET", q, "mette/lead"), 200)
        shown = sorted(str(i["citizen"]["id"]) for i in r.body["items"])
        assert sorted(ci for a, ci, ca, why, via in logged_since(mark)) == shown, (shown, logged_since(mark))
        seen += [i["id"] for i in r.body["items"]]
        cursor = r.body["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in items], (seen, items)


def inbox_refused():
    """not a member: 404, as for no such department; bad filters 400; other roles 403"""
    mark = log_max()
    for who, dep in [("lars/worker", "born-familie"), ("jonas/worker", "voksenhandicap"),
                     ("jens/lead", "born-familie"), ("bo/worker", "nowhere")]:
        refused(call("GET", f"/v1/departments/{dep}/inbox", who), 404, "not-found", f"{who} {dep}", mark)
    for q in ["kind=note", "status=done", "cursor=" + cursor_of([False, "x", 1]), "cursor=" + cursor_of(["a", "b"])]:
        r = call("GET", "/v1/departments/ppr/inbox?" + q, "lars/worker")
        refused(r, 400, "bad-cursor" if "cursor" in q else "bad-parameter", q, mark)
        assert r.body["field"] == q.split("=")[0], r
    refused(call("GET", "/v1/departments/ppr/inbox?colour=red", "lars/worker"), 400, "unknown-parameter", "colour", mark)
    for who in ["mette/tovholder", "admin/administrator", "chef/manager", "revisor/auditor"]:
        refused(call("GET", "/v1/departments/born-familie/inbox", who), 403, "forbidden", who, mark)


def claim():
    """a member claims an open task with If-Match: it is theirs; refusals say why"""
    ppr1 = task_id(1, "ppr")
    mark = log_max()
    r = refused(post(f"/v1/tasks/{ppr1}/claim", "lars/worker"), 428, "if-match-required", "no If-Match", mark)
    assert r.body["etag"] == '"0"' and r.headers["etag"] == '"0"', r
    r = refused(post(f"/v1/tasks/{ppr1}/claim", "lars/worker", if_match='"7"'), 412, "stale-etag", "stale", mark)
    assert r.headers["etag"] == '"0"', r
    # bo sees case 1 (its handover is in his department's inbox) but is not in PPR
    refused(post(f"/v1/tasks/{ppr1}/claim", "bo/worker", if_match='"0"'), 403, "not-permitted", "bo", mark)
    refused(post(f"/v1/tasks/{ppr1}/claim", "jens/lead", if_match='"0"'), 404, "not-found", "jens", mark)
    refused(post(f"/v1/tasks/{ppr1}/claim", "mette/tovholder", if_match='"0"'), 403, "forbidden", "tovholder role", mark)
    r = refused(post(f"/v1/tasks/{task_id(1, 'overdragelse')}/claim", "bo/worker", if_match='"0"'),
                404, "not-found", "a handover's number", mark)
    assert "/v1/handovers/" in r.body["detail"], r
    for bad in ["999999", "abc", "-1"]:
        refused(post(f"/v1/tasks/{bad}/claim", "lars/worker", if_match='"0"'), 404, "not-found", bad, mark)
    r = expect(post(f"/v1/tasks/{ppr1}/claim", "lars/worker", if_match='"0"'), 200)
    assert r.body["status"] == "claimed" and r.body["assignee"] == "lars" and r.body["case"] == 1, r
    assert r.body["etag"] == '"1"' and r.headers["etag"] == '"1"', r
    no_person_data(r, "a write answers without citizen data")
    assert logged_since(mark) == [], "a claim reads no person data"
    r = refused(post(f"/v1/tasks/{ppr1}/claim", "lars/worker", if_match='"1"'), 409, "not-open", "again", mark)
    assert "already claimed" in r.body["detail"], r
    # the inbox: unclaimed first, then claimed; filters by status
    r = expect(call("GET", "/v1/departments/ppr/inbox", "lars/worker"), 200)
    assert [(i["case"]["id"], i["status"]) for i in r.body["items"]] == [(2, "open"), (3, "open"), (1, "claimed")], r
    r = expect(call("GET", "/v1/departments/ppr/inbox?status=claimed", "lars/worker"), 200)
    assert [i["id"] for i in r.body["items"]] == [ppr1], r
    r = expect(call("GET", "/v1/departments/ppr/inbox?status=open&limit=1", "lars/worker"), 200)
    assert [i["case"]["id"] for i in r.body["items"]] == [2], r
    r = expect(call("GET", "/v1/departments/ppr/inbox?status=open&limit=1&cursor=" + r.body["next_cursor"], "lars/worker"), 200)
    assert [i["case"]["id"] for i in r.body["items"]] == [3] and r.body["next_cursor"] is None, r


def assign():
    """a lead reassigns a task within the department; only to an active member"""
    t = task_id(2, "samtale")
    sql("INSERT INTO staff (id, name, status) VALUES ('ulla', 'Ulla Udtrådt', 'inactive');"
        "INSERT INTO staff_department (staff_id, department_id) VALUES ('ulla', 'born-familie')")
    mark = log_max()
    refused(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": "jonas"}), 428, "if-match-required", "no If-Match", mark)
    for staff in ["bo", "ulla", "nobody"]:
        r = refused(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": staff}, if_match=etag(t)),
                    422, "invalid", staff, mark)
        assert r.body["field"] == "staff", r
    r = refused(post(f"/v1/tasks/{t}/assign", "mette/lead", {}, if_match=etag(t)), 400, "missing-field", "no staff", mark)
    assert r.body["field"] == "staff"
    refused(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": "jonas", "why": 1}, if_match=etag(t)),
            400, "unknown-field", "unknown field", mark)
    refused(call("POST", f"/v1/tasks/{t}/assign", "mette/lead", data=b'{"staff": "jonas"}',
                 headers={"Content-Type": "text/plain", "If-Match": etag(t)}), 415, "unsupported-media-type", "415", mark)
    # ayse leads Voksenhandicap and sees case 2, but the task is Børn og Familie's
    refused(post(f"/v1/tasks/{t}/assign", "ayse/lead", {"staff": "jonas"}, if_match=etag(t)), 403, "not-permitted", "ayse", mark)
    refused(post(f"/v1/tasks/{t}/assign", "jens/lead", {"staff": "jonas"}, if_match=etag(t)), 404, "not-found", "jens", mark)
    for who in ["jonas/worker", "mette/tovholder"]:
        refused(post(f"/v1/tasks/{t}/assign", who, {"staff": "jonas"}, if_match=etag(t)), 403, "forbidden", who, mark)
    r = expect(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": "jonas"}, if_match=etag(t)), 200)
    assert r.body["status"] == "claimed" and r.body["assignee"] == "jonas" and r.body["etag"] == '"1"', r
    r = expect(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": "mette"}, if_match='"1"'), 200)
    assert r.body["assignee"] == "mette" and r.body["etag"] == '"2"', r
    expect(post(f"/v1/tasks/{t}/assign", "mette/lead", {"staff": "jonas"}, if_match='"2"'), 200)


def complete():
    """the assignee completes a task with outcome and note; the case hears of it once"""
    t = task_id(2, "samtale")  # assigned to jonas above
    body = {"outcome": {"aftale": "botilbud undersøges"}, "note": "Talte med den unge og forældrene."}
    mark = log_max()
    refused(post(f"/v1/tasks/{t}/complete", "jonas/worker", body), 428, "if-match-required", "no If-Match", mark)
    refused(post(f"/v1/tasks/{t}/complete", "jonas/worker", body, if_match='"0"'), 412, "stale-etag", "stale", mark)
    for bad, kind, field in [({"outcome": 5}, "wrong-type", "outcome"), ({"note": "  "}, "wrong-type", "note"),
                             ({"result": {}}, "unknown-field", "result")]:
        r = refused(post(f"/v1/tasks/{t}/complete", "jonas/worker", bad, if_match=etag(t)), 400, kind, field, mark)
        assert r.body["field"] == field, r
    refused(call("POST", f"/v1/tasks/{t}/complete", "jonas/worker", data=b'{"note": "x"',
                 headers={"Content-Type": "application/json", "If-Match": etag(t)}), 400, "malformed-json", "truncated", mark)
    # lars sees case 2 (PPR) but the task is Børn og Familie's, not his, and he does not hold the case
    refused(post(f"/v1/tasks/{t}/complete", "lars/worker", body, if_match=etag(t)), 403, "not-permitted", "lars", mark)
    refused(post(f"/v1/tasks/{t}/complete", "jens/lead", body, if_match=etag(t)), 404, "not-found", "jens", mark)
    for who in ["admin/administrator", "chef/manager", "revisor/auditor"]:
        refused(post(f"/v1/tasks/{t}/complete", who, body, if_match=etag(t)), 403, "forbidden", who, mark)
    refused(post(f"/v1/tasks/{task_id(2, 'overdragelse')}/complete", "bo/worker", {}, if_match='"0"'),
            404, "not-found", "a handover's number", mark)
    key = str(uuid.uuid4())
    r = expect(post(f"/v1/tasks/{t}/complete", "jonas/worker", body, if_match=etag(t), key=key), 200)
    assert r.body["status"] == "done" and r.body["outcome"] == body["outcome"] and r.body["closed_at"], r
    assert r.headers["etag"] == r.body["etag"] == etag(t), r
    event = r.body["event"]
    assert sql(f"SELECT type || ' ' || (payload->>'by') FROM event WHERE id = {event}") == "task_done jonas"
    assert logged_since(mark) == [], "completing reads no person data"
    # a retry with the same key gets the first answer; with another body, 422
    again = expect(post(f"/v1/tasks/{t}/complete", "jonas/worker", body, if_match='"0"', key=key), 200)
    assert again.body == r.body and again.headers.get("idempotent-replayed") == "true", again
    refused(post(f"/v1/tasks/{t}/complete", "jonas/worker", {"note": "andet"}, if_match=etag(t), key=key),
            422, "idempotency-key-reused", "key reused", mark)
    r = refused(post(f"/v1/tasks/{t}/complete", "jonas/worker", body, if_match=etag(t)), 409, "not-open", "twice", mark)
    assert "already done" in r.body["detail"], r
    assert sql(f"SELECT count(*) FROM event WHERE type = 'task_done' AND payload->>'task' = '{t}'") == "1"
    wait_drained()
    assert sql("SELECT state->>'done_samtale' FROM cases WHERE id = 2") == "true"
    # the note is in the case's timeline, tied to the task
    c = expect(call("GET", "/v1/cases/2", "mette/tovholder"), 200).body
    notes = [e for e in c["timeline"] if e["kind"] == "note"]
    assert [(n["text"], n["author"], n["task"]) for n in notes] == [(body["note"], "jonas", t)], notes
    assert any(e["kind"] == "event" and e.get("type") == "task_done" and e["status"] == "done" for e in c["timeline"])
    # the case's tovholder may complete a task of another department on their case
    ppr1 = task_id(1, "ppr")  # claimed by lars
    r = expect(post(f"/v1/tasks/{ppr1}/complete", "mette/tovholder", {}, if_match=etag(ppr1)), 200)
    assert r.body["status"] == "done" and r.body["outcome"] == {}, r


def complete_at_once():
    """two people completing the same task at once: exactly one succeeds, the other gets 412"""
    openapi()  # loaded once, before the threads
    for round in range(6):
        t = int(sql("INSERT INTO task (case_id, kind, key, department_id, title)"
                    f" VALUES (3, 'task', 'samtidig{round}', 'born-familie', 'Samtidig') RETURNING id"))
        start = threading.Barrier(2)
        results = {}

        def complete_as(who):
            start.wait()
            results[who] = post(f"/v1/tasks/{t}/complete", who, {"outcome": {"by": who}}, if_match='"0"')

        threads = [threading.Thread(target=complete_as, args=(w,)) for w in ("jonas/worker", "mette/lead")]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        statuses = sorted(r.status for r in results.values())
        assert statuses[0] == 200 and statuses[1] in (409, 412), results
        loser = [r for r in results.values() if r.status != 200][0]
        assert loser.body["type"].endswith("/stale-etag") or loser.body["type"].endswith("/conflict"), loser
        assert loser.body["detail"], loser
        winner = [w for w, r in results.items() if r.status == 200][0]
        assert sql(f"SELECT count(*) FROM event WHERE type = 'task_done' AND payload->>'task' = '{t}'") == "1"
        assert sql(f"SELECT outcome->>'by' FROM task WHERE id = {t}") == winner


def handovers():
    """the receiving department accepts or rejects a handover (a reason required to reject)"""
    h1, h2, h3 = task_id(1, "overdragelse"), task_id(2, "overdragelse"), task_id(3, "overdragelse")
    mark = log_max()
    refused(post(f"/v1/handovers/{h1}/accept", "bo/worker"), 428, "if-match-required", "no If-Match", mark)
    refused(post(f"/v1/handovers/{h1}/accept", "bo/worker", if_match='"3"'), 412, "stale-etag", "stale", mark)
    # lars sees case 3 (PPR), the handover is Voksenhandicap's
    refused(post(f"/v1/handovers/{h3}/accept", "lars/worker", if_match=etag(h3)), 403, "not-permitted", "lars", mark)
    refused(post(f"/v1/handovers/{h3}/reject", "jonas/worker", {"reason": "nej"}, if_match=etag(h3)),
            403, "not-permitted", "the sending department", mark)
    refused(post(f"/v1/handovers/{h1}/accept", "jens/lead", if_match=etag(h1)), 404, "not-found", "jens", mark)
    r = refused(post(f"/v1/handovers/{task_id(1, 'samtale')}/accept", "mette/lead", if_match='"0"'),
                404, "not-found", "a task's number", mark)
    assert "/v1/tasks/" in r.body["detail"], r
    for who in ["mette/tovholder", "admin/administrator", "chef/manager"]:
        refused(post(f"/v1/handovers/{h1}/accept", who, if_match=etag(h1)), 403, "forbidden", who, mark)
    key = str(uuid.uuid4())
    r = expect(post(f"/v1/handovers/{h1}/accept", "bo/worker", if_match=etag(h1), key=key), 200)
    assert r.body["status"] == "accepted" and r.body["kind"] == "handover" and r.headers["etag"] == '"1"', r
    again = expect(post(f"/v1/handovers/{h1}/accept", "bo/worker", if_match='"0"', key=key), 200)
    assert again.body == r.body, again
    r = refused(post(f"/v1/handovers/{h1}/accept", "ayse/lead", if_match='"1"'), 409, "not-open", "twice", mark)
    assert "already accepted" in r.body["detail"], r
    refused(post(f"/v1/handovers/{h1}/reject", "ayse/lead", {"reason": "for sent"}, if_match='"1"'),
            409, "not-open", "reject after accept", mark)
    assert logged_since(mark) == []
    # rejecting: the reason is required and must say something
    r = refused(post(f"/v1/handovers/{h2}/reject", "ayse/lead", {}, if_match=etag(h2)), 400, "missing-field", "no reason", mark)
    assert r.body["field"] == "reason", r
    r = refused(post(f"/v1/handovers/{h2}/reject", "ayse/lead", {"reason": " \n "}, if_match=etag(h2)),
                400, "wrong-type", "blank reason", mark)
    assert r.body["field"] == "reason", r
    refused(post(f"/v1/handovers/{h2}/reject", "ayse/lead", if_match=etag(h2)), 415, "unsupported-media-type", "no body", mark)
    r = expect(post(f"/v1/handovers/{h2}/reject", "ayse/lead", {"reason": "Mangler udtalelse fra PPR."},
                    if_match=etag(h2), key=str(uuid.uuid4())), 200)
    assert r.body["status"] == "rejected" and r.body["reason"] == "Mangler udtalelse fra PPR.", r
    wait_drained()
    # the workflow took the accepted case on, and asked the sender to follow up the rejected one
    c1 = expect(call("GET", "/v1/cases/1", "bo/worker"), 200).body
    assert c1["phase"] == "voksen" and c1["tovholder"]["department"] == "voksenhandicap", c1
    c2 = expect(call("GET", "/v1/cases/2", "mette/tovholder"), 200).body
    assert any(t["key"] == "afklar" and t["status"] == "open" for t in c2["tasks"]), c2["tasks"]
    assert any(t["id"] == h2 and t["reason"] == "Mangler udtalelse fra PPR." for t in c2["tasks"])


def notes():
    """anyone who sees the case adds a note, perhaps about a task; it shows in the timeline"""
    mark = log_max()
    key = str(uuid.uuid4())
    body = {"text": "Ringede til forældrene.", "task": task_id(3, "samtale")}
    r = expect(post("/v1/cases/3/notes", "lars/worker", body, key=key), 201)
    assert r.body["case"] == 3 and r.body["author"] == "lars" and r.body["text"] == body["text"], r
    assert r.body["task"] == body["task"], r
    again = expect(post("/v1/cases/3/notes", "lars/worker", body, key=key), 201)
    assert again.body == r.body, again
    assert sql("SELECT count(*) FROM case_note WHERE case_id = 3") == "1"
    r2 = expect(post("/v1/cases/3/notes", "jonas/tovholder", {"text": "Uden opgave.", "task": None}), 201)
    assert r2.body["task"] is None, r2
    assert logged_since(mark) == [], "adding a note reads no person data"
    refused(post("/v1/cases/3/notes", "lars/worker", {"text": "x", "task": task_id(1, "ppr")}), 422, "invalid",
            "another case's task", mark)
    refused(post("/v1/cases/3/notes", "lars/worker", {"text": "other body"}, key=key), 422, "idempotency-key-reused",
            "key reused", mark)
    for bad, kind in [({}, "missing-field"), ({"text": ""}, "wrong-type"), ({"text": "x", "task": "1"}, "wrong-type")]:
        refused(post("/v1/cases/3/notes", "lars/worker", bad), 400, kind, str(bad), mark)
    for who, case in [("jens/lead", 3), ("admin/administrator", 3), ("lars/worker", 99999)]:
        refused(post(f"/v1/cases/{case}/notes", who, {"text": "x"}), 404, "not-found", f"{who} {case}", mark)
    for who in ["chef/manager", "revisor/auditor"]:
        refused(post("/v1/cases/3/notes", who, {"text": "x"}), 403, "forbidden", who, mark)
    c = expect(call("GET", "/v1/cases/3", "jonas/tovholder"), 200).body
    assert [(n["author"], n["text"]) for n in c["timeline"] if n["kind"] == "note"] == [
        ("lars", "Ringede til forældrene."), ("jonas", "Uden opgave.")], c["timeline"]


def events():
    """the tovholder or a department on the case sends an event; the engine steps it"""
    mark = log_max()
    key = str(uuid.uuid4())
    r = expect(post("/v1/cases/2/events", "mette/tovholder", {"type": "signal", "payload": {"text": "hej"}}, key=key), 201)
    assert r.body["type"] == "signal" and r.body["status"] == "pending", r
    ev = r.body["id"]
    again = expect(post("/v1/cases/2/events", "mette/tovholder", {"type": "signal", "payload": {"text": "hej"}}, key=key), 201)
    assert again.body == r.body, again
    assert sql(f"SELECT source || ' ' || idem_key || ' ' || (payload->>'by') FROM event WHERE id = {ev}") == f"api mette:{key} mette"
    wait_drained()
    assert sql("SELECT state->>'signal' FROM cases WHERE id = 2") == "hej"
    c = expect(call("GET", "/v1/cases/2", "mette/tovholder"), 200).body
    assert [(e["status"], e["source"]) for e in c["timeline"] if e.get("id") == ev and e["kind"] == "event"] == [("done", "api")]
    # a member of a department on the case may too (PPR on case 2); no payload is {}
    r = expect(post("/v1/cases/2/events", "lars/worker", {"type": "signal"}), 201)
    assert sql(f"SELECT payload::text FROM event WHERE id = {r.body['id']}") == '{"by": "lars"}'
    mark = log_max()
    for body, status, kind in [({"type": "task_done"}, 422, "reserved-event-type"),
                               ({"type": "started", "payload": {}}, 422, "reserved-event-type"),
                               ({"type": "nothing_handles_this"}, 422, "invalid"),
                               ({"type": "Signal!"}, 400, "wrong-type"), ({"type": "x" * 65}, 400, "wrong-type"),
                               ({"type": ""}, 400, "wrong-type"), ({"payload": {}}, 400, "missing-field"),
                               ({"type": "signal", "payload": [1]}, 400, "wrong-type")]:
        r = refused(post("/v1/cases/2/events", "mette/tovholder", body), status, kind, str(body), mark)
        assert r.body["field"] in ("type", "payload"), r
    for who, case in [("jens/lead", 2), ("bo/worker", 99999)]:
        refused(post(f"/v1/cases/{case}/events", who, {"type": "signal"}), 404, "not-found", f"{who} {case}", mark)
    for who in ["admin/administrator", "chef/manager", "revisor/auditor"]:
        refused(post("/v1/cases/2/events", who, {"type": "signal"}), 403, "forbidden", who, mark)


def tovholder():
    """the tovholder hands the role to a colleague, with a reason; kept in the history"""
    mark = log_max()
    body = {"staff": "jonas", "reason": "Mette går på barsel."}
    refused(post("/v1/cases/2/tovholder", "mette/tovholder", body, method="PUT"), 428, "if-match-required", "no If-Match", mark)
    refused(post("/v1/cases/2/tovholder", "mette/tovholder", body, if_match='"0"', method="PUT"), 412, "stale-etag", "stale", mark)
    for bad, kind, field in [({"staff": "jonas"}, "missing-field", "reason"), ({"staff": "jonas", "reason": "  "}, "wrong-type", "reason"),
                             ({"reason": "x"}, "missing-field", "staff")]:
        r = refused(post("/v1/cases/2/tovholder", "mette/tovholder", bad, if_match=case_etag(2), method="PUT"), 400, kind, field, mark)
        assert r.body["field"] == field, r
    for staff in ["mette", "chef", "ulla", "nobody"]:  # the tovholder already, no department, inactive, unknown
        r = refused(post("/v1/cases/2/tovholder", "mette/tovholder", {"staff": staff, "reason": "x"},
                         if_match=case_etag(2), method="PUT"), 422, "invalid", staff, mark)
        assert r.body["field"] == "staff", r
    # others who see case 2: lars (PPR), ayse (a lead, but not of the tovholder's department)
    refused(post("/v1/cases/2/tovholder", "ayse/lead", body, if_match=case_etag(2), method="PUT"), 403, "not-permitted", "ayse", mark)
    refused(post("/v1/cases/2/tovholder", "jens/lead", body, if_match=case_etag(2), method="PUT"), 404, "not-found", "jens", mark)
    for who in ["lars/worker", "admin/administrator", "chef/manager"]:
        refused(post("/v1/cases/2/tovholder", who, body, if_match=case_etag(2), method="PUT"), 403, "forbidden", who, mark)
    before = case_etag(2)
    r = expect(post("/v1/cases/2/tovholder", "mette/tovholder", body, if_match=before, method="PUT"), 200)
    assert r.body["tovholder"] == {"staff": "jonas", "name": "Jonas Jensen", "department": "born-familie"}, r
    assert r.headers["etag"] == r.body["etag"] == case_etag(2) != before, r
    assert sql("SELECT from_staff || ' ' || to_staff || ' ' || department_id || ' ' || by_whom || ' ' || reason"
               " FROM tovholder_history WHERE case_id = 2 ORDER BY id DESC LIMIT 1") == "mette jonas born-familie mette Mette går på barsel."
    assert logged_since(mark) == []
    # the case's open tasks moved with the role: in jonas's queue now, out of mette's
    open_tasks = {int(x) for x in sql("SELECT id FROM task WHERE case_id = 2 AND status IN ('open', 'claimed')"
                                      " AND assignee IS DISTINCT FROM 'mette'").split()}
    assert open_tasks, "case 2 has open tasks"
    queue_of = lambda who: {i["id"] for i in expect(call("GET", "/v1/me/queue", who), 200).body["items"]}
    assert open_tasks <= queue_of("jonas/tovholder"), "the new tovholder's queue has the case's tasks"
    assert not open_tasks & queue_of("mette/tovholder"), "the former tovholder's queue no longer has them"
    mark = log_max()
    # mette no longer holds it: as tovholder she may not hand it on; as the department's lead she may
    refused(post("/v1/cases/2/tovholder", "mette/tovholder", {"staff": "mette", "reason": "tilbage"},
                 if_match=case_etag(2), method="PUT"), 403, "not-permitted", "former tovholder", mark)
    r = expect(post("/v1/cases/2/tovholder", "mette/lead", {"staff": "mette", "reason": "Tilbage fra barsel."},
                    if_match=case_etag(2), method="PUT"), 200)
    assert r.body["tovholder"]["staff"] == "mette"
    assert [i["id"] for i in expect(call("GET", "/v1/me/cases", "mette/tovholder"), 200).body["items"]] == [2]
    assert open_tasks <= queue_of("mette/tovholder") and not open_tasks & queue_of("jonas/tovholder")
    c = expect(call("GET", "/v1/cases/2", "mette/tovholder"), 200).body
    assert [(h["from"], h["to"], h["by"]) for h in c["tovholder_history"]][-2:] == [("mette", "jonas", "mette"), ("jonas", "mette", "mette")]


def tovholder_unavailable():
    """a tovholder becomes absent: the lead of their department picks a colleague"""
    holder = sql("SELECT tovholder FROM cases WHERE id = 1")  # Voksenhandicap took case 1 on
    other = "bo" if holder == "ayse" else "ayse"
    sql(f"UPDATE staff SET status = 'absent' WHERE id = '{holder}'")
    wait_drained()
    r = expect(call("GET", "/v1/departments/voksenhandicap/inbox?kind=task", "bo/worker"), 200)
    assert [(i["key"], i["case"]["id"]) for i in r.body["items"]] == [("ny-tovholder", 1)], r
    mark = log_max()
    refused(post("/v1/cases/1/tovholder", "mette/lead", {"staff": other, "reason": "x"}, if_match=case_etag(1), method="PUT"),
            403, "not-permitted", "a lead of another department", mark)
    r = expect(post("/v1/cases/1/tovholder", "ayse/lead", {"staff": other, "reason": f"{holder} er fraværende."},
                    if_match=case_etag(1), method="PUT"), 200)
    assert r.body["tovholder"] == {"staff": other, "name": sql(f"SELECT name FROM staff WHERE id = '{other}'"),
                                   "department": "voksenhandicap"}, r
    assert sql("SELECT by_whom FROM tovholder_history WHERE case_id = 1 ORDER BY id DESC LIMIT 1") == "ayse"
    sql(f"UPDATE staff SET status = 'active' WHERE id = '{holder}'")


def grants():
    """a lead of a department on the case, or an administrator who sees it, grants sight"""
    mark = log_max()
    refused(call("GET", "/v1/cases/1", "jens/lead"), 404, "not-found", "before the grant", mark)
    body = {"staff": "jens", "reason": "Jobcenteret forbereder forløb efter 18.", "expires_at": "2099-01-01T12:00:00Z"}
    for bad, status, kind in [({"staff": "jens"}, 400, "missing-field"),
                              (dict(body, expires_at="tomorrow"), 400, "wrong-type"),
                              (dict(body, expires_at="2099-02-30"), 400, "wrong-type"),
                              (dict(body, expires_at="2001-01-01T00:00:00Z"), 422, "invalid"),
                              (dict(body, staff="nobody"), 422, "invalid"), (dict(body, staff="ulla"), 422, "invalid")]:
        refused(post("/v1/cases/1/grants", "mette/lead", bad), status, kind, str(bad), mark)
    # only leads and administrators grant; this administrator does not see case 1
    for who in ["lars/worker", "mette/tovholder", "chef/manager", "revisor/auditor"]:
        refused(post("/v1/cases/1/grants", who, body), 403, "forbidden", who, mark)
    refused(post("/v1/cases/1/grants", "admin/administrator", body), 404, "not-found", "admin", mark)
    r = expect(post("/v1/cases/1/grants", "mette/lead", body, key=str(uuid.uuid4())), 201)
    assert r.body["case"] == 1 and r.body["staff"] == "jens" and r.body["granted_by"] == "mette", r
    assert r.body["expires_at"].startswith("2099-01-01T12:00:00"), r
    assert logged_since(mark) == []
    expect(call("GET", "/v1/cases/1", "jens/lead"), 200)
    # sight is not a part in the case: jens may not send it events, nor grant others
    mark = log_max()
    refused(post("/v1/cases/1/events", "jens/lead", {"type": "signal"}), 403, "not-permitted", "jens event", mark)
    refused(post("/v1/cases/1/grants", "jens/lead", dict(body, staff="lars")), 403, "not-permitted", "jens grant", mark)
    # an administrator with a grant lets another see the case; a grant again renews it
    expect(post("/v1/cases/3/grants", "mette/lead", {"staff": "admin", "reason": "Support"}), 201)
    r = expect(post("/v1/cases/3/grants", "admin/administrator", {"staff": "jens", "reason": "Support", "expires_at": None}), 201)
    assert r.body["expires_at"] is None and r.body["granted_by"] == "admin", r
    r = expect(post("/v1/cases/3/grants", "admin/administrator", {"staff": "jens", "reason": "Længere", "expires_at": "2098-06-01"}), 201)
    assert r.body["reason"] == "Længere" and sql("SELECT count(*) FROM case_grant WHERE case_id = 3 AND staff_id = 'jens'") == "1"
    # an expired grant shows nothing any more
    sql("UPDATE case_grant SET expires_at = now() - interval '1 second' WHERE case_id = 1 AND staff_id = 'jens'")
    mark = log_max()
    refused(call("GET", "/v1/cases/1", "jens/lead"), 404, "not-found", "after the grant expired", mark)


def closed_case():
    """a closed case takes no events and keeps its tovholder"""
    sql("UPDATE cases SET status = 'closed', closed_at = now() WHERE id = 3")
    mark = log_max()
    refused(post("/v1/cases/3/events", "jonas/tovholder", {"type": "signal"}), 409, "case-closed", "event", mark)
    refused(post("/v1/cases/3/tovholder", "jonas/tovholder", {"staff": "mette", "reason": "x"},
                 if_match=case_etag(3), method="PUT"), 409, "case-closed", "tovholder", mark)
    r = expect(call("GET", "/v1/me/cases", "jonas/tovholder"), 200)
    assert 3 not in [i["id"] for i in r.body["items"]], r


def inbox_pages_while_claimed():
    """an inbox paged while its tasks are claimed misses none; one claimed shows again among the claimed"""
    sql("INSERT INTO task (case_id, kind, key, department_id, title, due_at)"
        " SELECT 1, 'task', 'side-' || g, 'ppr', 'Sideopgave ' || g, now() + g * interval '1 day'"
        " FROM generate_series(1, 4) g")
    try:
        def page(cursor=None):
            q = "/v1/departments/ppr/inbox?limit=2" + (f"&cursor={cursor}" if cursor else "")
            return expect(call("GET", q, "lars/worker"), 200).body
        def ids(items):
            return [i["id"] for i in items]
        every = ids(expect(call("GET", "/v1/departments/ppr/inbox?limit=100", "lars/worker"), 200).body["items"])
        first = page()
        shown, later = ids(first["items"]), [t for t in every if t not in ids(first["items"])]
        # one task already shown and one not yet shown are claimed between the pages
        for tid in [shown[0], [t for t in later if int(sql(f"SELECT count(*) FROM task WHERE id = {t} AND status = 'open'"))][-1]]:
            expect(post(f"/v1/tasks/{tid}/claim", "lars/worker", if_match=etag(tid)), 200)
        seen, cursor = list(shown), first["next_cursor"]
        while cursor:
            body = page(cursor)
            seen += ids(body["items"])
            cursor = body["next_cursor"]
        assert set(every) <= set(seen), f"missed while paging: {set(every) - set(seen)}"
        assert seen.count(shown[0]) == 2 and len(seen) == len(every) + 1, \
            f"only the task shown and then claimed shows twice: {seen} of {every}"
    finally:
        sql("UPDATE task SET status = 'cancelled' WHERE key LIKE 'side-%' AND status IN ('open', 'claimed')")


main([my_cases, my_cases_pages, my_cases_order_holds, lists_follow_names, lists_follow_changes,
      lists_follow_the_clock, lists_kept_whole, lists_kept_through_a_phase_change,
      inbox, inbox_refused, claim, assign, complete, complete_at_once, handovers,
      notes, events, tovholder, tovholder_unavailable, grants, closed_case, inbox_pages_while_claimed,
      reads_logged_in_batches, access_log_merged])
