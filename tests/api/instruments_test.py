"""The instrument registry (GET and POST /v1/instruments) and what it means for workflows: the
five shipped instruments with their scales, readable by every role and by nobody without a
token; an administrator adds one (409 for a name taken, 400 for a malformed scale); a step that
records a measure with an unknown instrument or a value off the scale fails with the reason
and its event stays pending, while the other cases' steps in the same batch go through; an
instrument added through the API is known to the engine at once."""
import json
import time

from apilib import *

ROLES = ["mette/tovholder", "jonas/worker", "mette/lead", "admin/administrator", "chef/manager",
         "revisor/auditor"]

# A workflow whose start records the measure its start event carries.
WORKFLOW = """
return workflow {
  name = "maaling", version = 1, title = "Måling (test)",
  phases = { { "start", text = "Vi måler." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = "mette", reason = "Forløbet er startet" }
      case:measure { instrument = ev.payload.instrument, kind = "baseline", value = ev.payload.value }
    end,
  },
}
"""

TRIVSEL = {"name": "trivsel-1-5", "title": "Trivsel 1-5", "kind": "scale",
           "values": {"min": 1, "max": 5, "not_comparable": ["ikke oplyst"]}, "better": "higher"}


def listing():
    """every role reads the five shipped instruments with their scales; no token is 401"""
    for who in ROLES:
        r = expect(call("GET", "/v1/instruments", who), 200, who)
        assert [i["name"] for i in r.body["items"]] == [
            "ffb-stoettebehov", "i-job-eller-uddannelse", "maalopfyldelse", "selvvurdering-1-10",
            "timer-pr-uge"], r.body
    by = {i["name"]: i for i in r.body["items"]}
    ffb = by["ffb-stoettebehov"]
    assert (ffb["kind"], ffb["better"]) == ("level", "lower"), ffb
    assert ffb["values"] == {"words": ["ingen", "let", "moderat", "omfattende", "fuldstaendigt",
                                       "ikke vurderet"],
                             "not_comparable": ["ikke vurderet"]}, ffb
    assert by["selvvurdering-1-10"]["values"]["min"] == 1 and by["selvvurdering-1-10"]["values"]["max"] == 10
    assert by["i-job-eller-uddannelse"]["kind"] == "yesno"
    assert by["timer-pr-uge"]["values"]["unit"] == "timer pr. uge"
    assert (by["maalopfyldelse"]["kind"], by["maalopfyldelse"]["better"]) == ("result", None)
    assert by["maalopfyldelse"]["values"]["words"] == ["opnaaet", "delvist opnaaet", "ikke opnaaet",
                                                      "ikke relevant"]
    expect_problem(call("GET", "/v1/instruments"), 401, "unauthorized")


def adding():
    """an administrator adds an instrument; others may not; a taken name is 409"""
    for who in ["mette/tovholder", "mette/lead", "chef/manager", "revisor/auditor"]:
        expect_problem(call("POST", "/v1/instruments", who, body=TRIVSEL), 403, "forbidden", who)
    r = expect(call("POST", "/v1/instruments", "admin/administrator", body=TRIVSEL), 201)
    assert {k: r.body[k] for k in TRIVSEL} == TRIVSEL, r.body
    r = expect(call("GET", "/v1/instruments", "chef/manager"), 200)
    assert "trivsel-1-5" in [i["name"] for i in r.body["items"]]
    r = expect_problem(call("POST", "/v1/instruments", "admin/administrator",
                            body=dict(TRIVSEL, title="Noget andet")), 409, "instrument-exists")
    assert r.body["field"] == "name", r.body
    assert sql("SELECT title FROM instrument WHERE name = 'trivsel-1-5'") == "Trivsel 1-5"


def malformed():
    """a malformed name, kind or scale is 400 with the field and what to write"""
    cases = [
        ({"name": "Trivsel!"}, "name", "lowercase letters"),
        ({"kind": "skala"}, "kind", "level, scale"),
        ({"values": {"min": 1}}, "values", "values.min and values.max"),
        ({"values": {"min": 5, "max": 1}}, "values", "greater than values.min"),
        ({"values": {"min": 1.5, "max": 5}}, "values", "whole numbers"),
        ({"kind": "level", "values": {"words": ["lav", "lav"]}}, "values", "twice"),
        ({"kind": "level", "values": {"words": ["lav", "hoej"], "not_comparable": ["ukendt"]}},
         "values", "not_comparable must be one of values.words"),
        ({"kind": "yesno", "values": {"words": ["ja"]}}, "values", "two comparable words"),
        ({"kind": "number", "values": {"min": 0}}, "values", "values.unit"),
        ({"better": "up"}, "better", "higher or lower"),
    ]
    for change, field, words in cases:
        body = {**TRIVSEL, "name": "ny-skala", **change}
        r = expect_problem(call("POST", "/v1/instruments", "admin/administrator", body=body), 400,
                           "invalid-instrument", str(change))
        assert r.body["field"] == field and words in r.body["detail"], (change, r.body)
    assert sql("SELECT count(*) FROM instrument WHERE name IN ('ny-skala', 'Trivsel!')") == "0"
    # the body's shape is checked before the registry: values must be an object
    expect_problem(call("POST", "/v1/instruments", "admin/administrator",
                        body=dict(TRIVSEL, name="ny-skala", values=[1, 5])), 400, "wrong-type")


def start_cases(measures):
    """Cases of the maaling workflow, one per (instrument, value), all started by one statement
    so the engine steps them in one batch. Returns their ids."""
    rows = ",".join(f"({1 + i % 3}, {sql_text(json.dumps({'instrument': ins, 'value': v}))})"
                    for i, (ins, v) in enumerate(measures))
    ids = sql("WITH c AS (INSERT INTO cases (citizen_id, workflow_name, workflow_version, phase)"
              f" SELECT x.ci, 'maaling', 1, 'start' FROM (VALUES {rows}) AS x (ci, p)"
              "  RETURNING id),"
              " n AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM c),"
              f" p AS (SELECT p, row_number() OVER () AS k FROM (VALUES {rows}) AS x (ci, p)),"
              " e AS (INSERT INTO event (case_id, type, payload, source, idem_key)"
              "  SELECT n.id, 'started', p.p::jsonb, 'test', 'started' FROM n JOIN p USING (k))"
              " SELECT string_agg(id::text, ',' ORDER BY id) FROM n")
    return [int(x) for x in ids.split(",")]


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def wait_for(what, check, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("waited in vain: " + what)


def event_of(case):
    status, error = sql(f"SELECT status || '|' || coalesce(last_error, '') FROM event"
                        f" WHERE case_id = {case} AND type = 'started'").split("|", 1)
    return status, error


def measures_in_steps():
    """a measure off the registry fails its step with the reason, pending; the rest of the
    batch goes through"""
    expect(call("POST", "/v1/workflows", "admin/administrator",
                body={"source": WORKFLOW, "file": "maaling.lua"}), 201)
    good, unknown, bad_word, bad_number, good_word = start_cases([
        ("selvvurdering-1-10", 7), ("trivselsmaaling", 3), ("ffb-stoettebehov", "svaer"),
        ("selvvurdering-1-10", 11), ("ffb-stoettebehov", "Fuldstændigt")])
    wait_for("the good steps", lambda: event_of(good)[0] == "done" and event_of(good_word)[0] == "done")
    wait_for("the failed steps", lambda: all(event_of(c)[1] for c in (unknown, bad_word, bad_number)))
    status, error = event_of(unknown)
    assert status == "pending", (status, error)
    assert ("maaling.lua:8: measure: unknown instrument 'trivselsmaaling' (known: ffb-stoettebehov, "
            "i-job-eller-uddannelse, maalopfyldelse, selvvurdering-1-10, timer-pr-uge, "
            "trivsel-1-5)") in error, error
    status, error = event_of(bad_word)
    assert status == "pending", (status, error)
    assert ("measure: 'svaer' is not a value of ffb-stoettebehov: ingen, let, moderat, omfattende, "
            "fuldstaendigt, ikke vurderet") in error, error
    status, error = event_of(bad_number)
    assert status == "pending", (status, error)
    assert ("measure: 11 is not a value of selvvurdering-1-10: a whole number from 1 to 10, or "
            "ikke oplyst") in error, error
    got = sql("SELECT string_agg(case_id || ':' || instrument || '=' || coalesce(value_num::text, value_text),"
              f" ',' ORDER BY case_id) FROM measure WHERE case_id IN ({good}, {unknown}, {bad_word},"
              f" {bad_number}, {good_word})")
    assert got == f"{good}:selvvurdering-1-10=7,{good_word}:ffb-stoettebehov=Fuldstændigt", got


def added_instrument_in_steps():
    """an instrument an administrator adds is known to the next step, with its own scale"""
    ok, off = start_cases([("trivsel-1-5", 4), ("trivsel-1-5", 6)])
    wait_for("the step with trivsel", lambda: event_of(ok)[0] == "done")
    wait_for("the step off trivsel's scale", lambda: event_of(off)[1] != "")
    assert sql(f"SELECT value_num FROM measure WHERE case_id = {ok}") == "4"
    status, error = event_of(off)
    assert status == "pending" and "6 is not a value of trivsel-1-5: a whole number from 1 to 5" in error, error


main([listing, adding, malformed, measures_in_steps, added_instrument_in_steps])
