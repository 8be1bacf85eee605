"""Events about a citizen (POST /v1/citizens/{id}/events): an event starts the workflows whose
start rule names its type and goes into the citizen's running cases that handle it; a retry
with the same Idempotency-Key changes nothing; an event nothing receives is answered and not
kept; the sender follows the cases they start and sees only cases they may see."""
from apilib import *

SRC = os.environ["OVERGANG_SRC"]
EVENT_START = open(f"{SRC}/tests/workflows/event-start.lua", encoding="utf-8").read()
STATE = {}


def post_event(who, citizen, body, key=None):
    h = {"Idempotency-Key": key} if key else None
    return call("POST", f"/v1/citizens/{citizen}/events", who, body=body, headers=h)


def deploy():
    """an administrator deploys a workflow that starts on the event 'indskrevet'"""
    r = expect(call("POST", "/v1/workflows", "admin/administrator",
                    body={"source": EVENT_START, "file": "event-start.lua"}), 201)
    assert (r.body["name"], r.body["version"]) == ("event-start", 1), r


def starts_a_case():
    """the event starts a case: 'started' first, then the event; the sender follows the case"""
    r = expect(post_event("jonas/worker", 2, {"type": "indskrevet", "payload": {"skole": "STU Nord"}},
                          key="ind-2-1"), 202)
    no_person_data(r)
    assert r.body["status"] == "added" and r.body["delivered"] == [], r
    assert len(r.body["started"]) == 1, r
    case = STATE["case"] = r.body["started"][0]
    first = r
    assert sql(f"SELECT workflow_name || ' ' || citizen_id FROM cases WHERE id = {case}") == "event-start 2"
    assert sql(f"SELECT string_agg(type || ':' || source, ' ' ORDER BY id) FROM event WHERE case_id = {case}") == \
        "started:api indskrevet:api"
    assert sql(f"SELECT payload->>'by' || ' ' || (payload->>'event') FROM event "
               f"WHERE case_id = {case} AND type = 'started'") == "jonas indskrevet"
    assert sql(f"SELECT staff_id || ': ' || reason FROM case_grant WHERE case_id = {case}") == \
        "jonas: started the case by an event"
    wait_drained()
    r = expect(call("GET", f"/v1/cases/{case}", "jonas/worker"), 200)
    assert r.body["workflow"]["name"] == "event-start" and r.body["tovholder"] is not None, r
    assert sql(f"SELECT state->>'skole' || ' ' || (state->>'gange') FROM cases WHERE id = {case}") == "STU Nord 1"
    # the same key again: the first answer, and nothing new
    again = expect(post_event("jonas/worker", 2, {"type": "indskrevet", "payload": {"skole": "STU Nord"}},
                              key="ind-2-1"), 202)
    assert again.body == first.body, again
    assert again.headers.get("idempotent-replayed") == "true", again.headers
    assert sql("SELECT count(*) FROM cases WHERE citizen_id = 2 AND workflow_name = 'event-start'") == "1"
    expect_problem(post_event("jonas/worker", 2, {"type": "indskrevet", "payload": {"skole": "X"}}, key="ind-2-1"),
                   422, "idempotency-key-reused")


def goes_into_running_cases():
    """while a case runs, the event goes into it instead of starting another; other workflows'
    running cases of the citizen that handle the type get it too"""
    case = STATE["case"]
    r = expect(post_event("jonas/worker", 2, {"type": "indskrevet", "payload": {"skole": "STU Syd"}}), 202)
    assert r.body == {"status": "added", "started": [], "delivered": [case]}, r
    wait_drained()
    assert sql(f"SELECT state->>'skole' || ' ' || (state->>'gange') FROM cases WHERE id = {case}") == "STU Syd 2"
    # 'signal' is handled by api-test, whose case 1 mette holds: it goes there, and starts nothing
    r = expect(post_event("mette/tovholder", 1, {"type": "signal", "payload": {"text": "fra skolen"}}), 202)
    assert r.body == {"status": "added", "started": [], "delivered": [1]}, r
    wait_drained()
    assert sql("SELECT state->>'signal' FROM cases WHERE id = 1") == "fra skolen"
    # a citizen the sender may not see: 404, as for every citizen they may not see
    expect_problem(post_event("jens/lead", 1, {"type": "signal", "payload": {"text": "igen"}}), 404, "not-found")
    assert sql("SELECT count(*) FROM event WHERE case_id = 1 AND type = 'signal'") == "1"
    assert sql("SELECT count(*) FROM citizen_event WHERE citizen_id = 1 AND type = 'signal'") == "1"


def age_or_event():
    """a start rule with an age and an event starts on the event too (whichever comes first)"""
    src = (EVENT_START.replace('name = "event-start"', 'name = "alder-eller-event"')
           .replace('start = { event = "indskrevet" }',
                    'start = { age = 99, when = "aldrig", event = "indskrevet" }'))
    assert "aldrig" in src
    expect(call("POST", "/v1/workflows", "admin/administrator", body={"source": src}), 201)
    r = expect(post_event("jonas/worker", 3, {"type": "indskrevet"}), 202)
    # citizen 3 had neither: both workflows that start on the event start, one case each
    assert r.body["status"] == "added" and len(r.body["started"]) == 2, r
    ids = ",".join(map(str, r.body["started"]))
    assert sql(f"SELECT string_agg(workflow_name, ' ' ORDER BY workflow_name) FROM cases WHERE id IN ({ids})") == \
        "alder-eller-event event-start"
    wait_drained()


def nothing_receives():
    """an event no workflow starts on and no running case handles: ignored, and not kept"""
    before = sql("SELECT count(*) FROM citizen_event")
    events = sql("SELECT count(*) FROM event WHERE source = 'api'")
    r = expect(post_event("jonas/worker", 3, {"type": "flyttet", "payload": {"adresse": "Et sted"}}), 202)
    assert r.body == {"status": "ignored", "started": [], "delivered": []}, r
    assert sql("SELECT count(*) FROM citizen_event") == before
    assert sql("SELECT count(*) FROM event WHERE source = 'api'") == events


def refused():
    """unknown citizens, types the engine keeps for itself, malformed bodies and other roles"""
    r = expect_problem(post_event("jonas/worker", 99999, {"type": "indskrevet"}), 404, "not-found")
    expect_problem(post_event("jonas/worker", "x", {"type": "indskrevet"}), 404, "not-found")
    # the same answers as for an event sent into a case
    for bad in ["Indskrevet", "ind-skrevet", "x" * 65]:
        r = expect_problem(post_event("jonas/worker", 2, {"type": bad}), 400, "wrong-type", bad)
        assert r.body["field"] == "type", r
    for reserved in ["started", "task_done", "delivered"]:
        r = expect_problem(post_event("jonas/worker", 2, {"type": reserved}), 422, "reserved-event-type", reserved)
        assert r.body["field"] == "type", r
    expect_problem(post_event("jonas/worker", 2, {}), 400, "missing-field")
    expect_problem(post_event("jonas/worker", 2, {"type": "indskrevet", "payload": [1]}), 400, "wrong-type")
    expect_problem(post_event("jonas/worker", 2, {"type": "indskrevet", "cpr": "0101010101"}), 400, "unknown-field")
    for who in ["chef/manager", "revisor/auditor"]:
        expect_problem(post_event(who, 2, {"type": "indskrevet"}), 403, "forbidden", who)
    assert sql("SELECT count(*) FROM cases WHERE citizen_id = 2 AND workflow_name = 'event-start'") == "1"


main([deploy, starts_a_case, goes_into_running_cases, age_or_event, nothing_receives, refused])
