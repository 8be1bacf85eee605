"""What a workflow declares for people, served by the API: each phase's title, each open task's
outcome fields (a select's options and a number's limits from the instrument registry when
the field names an instrument), and the names of staff and departments beside their ids in
the queue, the inbox, my cases and the case; completing a task checks its outcome against the
declared fields and names the field that is wrong."""
from apilib import *

SOURCE = """
return workflow {
  name = "felter", version = 1, title = "Felter og navne (API-test)",
  phases = {
    { "afdaekning", title = "Afdækning", next = { "slut" }, text = "Vi er begyndt." },
    { "slut", text = "Forløbet er slut." },
  },
  tasks = {
    samtale = { title = "Samtale", outcome = {
      { name = "maal", label = "Den unges mål", type = "textarea", required = true },
      { name = "stoettebehov", label = "Støttebehov (FFB)", type = "select",
        instrument = "ffb-stoettebehov" },
      { name = "svar", label = "Svar", type = "select", options = { { "ja", "Ja" }, "nej" } },
      { name = "timer", label = "Timer om ugen", type = "number", instrument = "timer-pr-uge" },
      { name = "dato", label = "Dato", type = "date" },
      { name = "afslaar", label = "Siger nej tak", type = "checkbox", hint = "Kun hvis." },
    } },
  },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = "mette", reason = "Forløbet er startet" }
      case:task { department = "born-familie", key = "samtale", title = "Samtale med den unge",
        assignee = "jonas", due = date.add(case.now, { days = 3 }) }
      case:handover { to = "voksenhandicap", key = "overdragelse", title = "Overdragelse",
        summary = "Den unge fylder snart 18.", due = date.add(case.now, { days = 5 }) }
    end,
    task_done = function(case, ev)
      case:set("udfald", ev.payload.outcome)
      case:phase "slut"
    end,
    handover_accepted = function(case, ev) end,
  },
}
"""
STATE = {}


def deploy_refuses_unknown_instruments():
    """deploying a field whose instrument the registry lacks, or a select whose options are not
    the instrument's values, is refused with the task and field named"""
    bad = SOURCE.replace('instrument = "ffb-stoettebehov"', 'instrument = "ffb-stoettebehow"')
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": bad}),
                       422, "invalid-workflow")
    assert r.body["detail"].startswith(
        "task 'samtale', field 'stoettebehov': unknown instrument 'ffb-stoettebehow' (the registry "
        "has: ffb-stoettebehov, "), r
    bad = SOURCE.replace('instrument = "ffb-stoettebehov"',
                         'instrument = "ffb-stoettebehov", options = { "ingen", "svaer" }')
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": bad}),
                       422, "invalid-workflow")
    assert r.body["detail"] == ("task 'samtale', field 'stoettebehov': 'svaer' is not a value of "
                                "ffb-stoettebehov: ingen, let, moderat, omfattende, fuldstaendigt, "
                                "ikke vurderet"), r
    assert sql("SELECT count(*) FROM workflow WHERE name = 'felter'") == "0"
    # and a definition the engine cannot read is refused before it gets there
    bad = SOURCE.replace('type = "date"', 'type = "dato"')
    r = expect_problem(call("POST", "/v1/workflows", "admin/administrator", body={"source": bad}),
                       422, "invalid-workflow")
    assert "field 'dato': 'type' must be text, textarea, select, checkbox, number or date, not 'dato'" \
        in r.body["detail"], r


def deploy_and_start():
    """the workflow deploys; a case starts with a task for jonas and a handover"""
    expect(call("POST", "/v1/workflows", "admin/administrator", body={"source": SOURCE}), 201)
    r = expect(call("POST", "/v1/cases", "mette/tovholder", body={"citizen": 3, "workflow": "felter"}), 201)
    STATE["case"] = r.body["id"]
    wait_drained()


def fields_of(item):
    return {f["name"]: f for f in item["outcome_fields"]}


def check_fields(fields):
    assert list(fields) == ["maal", "stoettebehov", "svar", "timer", "dato", "afslaar"], fields
    assert fields["maal"] == {"name": "maal", "label": "Den unges mål", "type": "textarea",
                              "required": True}, fields["maal"]
    assert fields["stoettebehov"]["instrument"] == "ffb-stoettebehov"
    assert fields["stoettebehov"]["options"][0] == {"value": "ingen", "label": "Ingen"}
    assert [o["value"] for o in fields["stoettebehov"]["options"]] == \
        ["ingen", "let", "moderat", "omfattende", "fuldstaendigt", "ikke vurderet"]
    assert fields["svar"]["options"] == [{"value": "ja", "label": "Ja"}, {"value": "nej", "label": "nej"}]
    assert (fields["timer"]["min"], fields["timer"]["max"]) == (0, 168), fields["timer"]
    assert fields["afslaar"]["hint"] == "Kun hvis." and fields["afslaar"]["required"] is False


def queue_and_inbox():
    """the queue and the inbox carry phase titles, outcome fields and names"""
    case = STATE["case"]
    r = expect(call("GET", f"/v1/me/queue?case={case}", "mette/tovholder"), 200)
    items = {i["key"]: i for i in r.body["items"]}
    task, handover = items["samtale"], items["overdragelse"]
    assert task["department_name"] == "Børn og Familie", task
    assert (task["assignee"], task["assignee_name"]) == ("jonas", "Jonas Jensen"), task
    assert task["case"]["phase_title"] == "Afdækning" and task["case"]["phase"] == "afdaekning", task
    assert task["case"]["tovholder_name"] == "Mette Madsen", task
    check_fields(fields_of(task))
    assert handover["outcome_fields"] == [], handover
    assert handover["from_department_name"] == "Børn og Familie", handover
    assert handover["department_name"] == "Voksenhandicap", handover
    r = expect(call("GET", "/v1/departments/voksenhandicap/inbox", "ayse/lead"), 200)
    mine = [i for i in r.body["items"] if i["case"]["id"] == case]
    assert len(mine) == 1 and mine[0]["from_department_name"] == "Børn og Familie", mine
    assert mine[0]["case"]["phase_title"] == "Afdækning", mine
    # a workflow's phase's title as it gives it: the seeded api-test cases
    r = expect(call("GET", "/v1/me/queue?case=1", "mette/tovholder"), 200)
    assert {i["case"]["phase_title"] for i in r.body["items"]} == {"Afdaekning"}, r.body


def my_cases_and_the_case():
    """my cases and the case carry the phase's title and the names beside the ids"""
    case = STATE["case"]
    r = expect(call("GET", "/v1/me/cases", "mette/tovholder"), 200)
    item = [c for c in r.body["items"] if c["id"] == case][0]
    assert item["phase_title"] == "Afdækning", item
    assert item["tovholder_department_name"] == "Børn og Familie", item
    assert item["next_deadline"]["department_name"] == "Børn og Familie", item
    r = expect(call("GET", f"/v1/cases/{case}", "mette/tovholder"), 200)
    c = r.body
    assert c["phase_title"] == "Afdækning", c
    assert c["tovholder"]["department_name"] == "Børn og Familie", c["tovholder"]
    assert [(p["phase"], p["title"]) for p in c["plan"]] == [("afdaekning", "Afdækning"), ("slut", "slut")]
    tasks = {t["key"]: t for t in c["tasks"]}
    assert tasks["samtale"]["assignee_name"] == "Jonas Jensen", tasks["samtale"]
    check_fields(fields_of(tasks["samtale"]))
    assert tasks["overdragelse"]["department_name"] == "Voksenhandicap"
    assert tasks["overdragelse"]["from_department_name"] == "Børn og Familie"
    h = c["tovholder_history"][0]
    assert (h["to"], h["to_name"], h["department_name"]) == ("mette", "Mette Madsen", "Børn og Familie"), h
    assert h["from_name"] is None, h


def completing_checks_the_outcome():
    """completing the task: each declared field is checked, and the one that is wrong named"""
    case = STATE["case"]
    r = expect(call("GET", f"/v1/me/queue?case={case}", "jonas/worker"), 200)
    task = [i for i in r.body["items"] if i["key"] == "samtale"][0]
    path, etag = f"/v1/tasks/{task['id']}/complete", task["etag"]
    good = {"maal": "Bo for mig selv", "stoettebehov": "Moderat", "svar": "ja", "timer": "12",
            "dato": "2026-03-01", "afslaar": False}
    for field, value, words in [
            ("maal", None, "Den unges mål (maal) is required"),
            ("maal", "  ", "Den unges mål (maal) is required"),
            ("stoettebehov", "svaer", "Støttebehov (FFB) (stoettebehov) must be one of: ingen, let,"),
            ("svar", "maaske", "Svar (svar) must be one of: ja, nej."),
            ("timer", 200, "Timer om ugen (timer) must be from 0 to 168."),
            ("timer", "mange", "Timer om ugen (timer) must be a number."),
            ("dato", "2026-02-30", "Dato (dato) must be a date written YYYY-MM-DD."),
            ("afslaar", "ja", "Siger nej tak (afslaar) is a checkbox: send true or false.")]:
        outcome = dict(good)
        if value is None:
            del outcome[field]
        else:
            outcome[field] = value
        r = expect_problem(call("POST", path, "jonas/worker", body={"outcome": outcome},
                                headers={"If-Match": etag}), 400, "bad-outcome", field)
        assert r.body["field"] == "outcome." + field, r.body
        assert r.body["detail"].startswith(words), r.body
    assert sql(f"SELECT status FROM task WHERE id = {task['id']}") in ("open", "claimed")
    expect(call("POST", path, "jonas/worker", body={"outcome": good}, headers={"If-Match": etag}), 200)
    wait_drained()
    assert sql(f"SELECT state->'udfald'->>'stoettebehov' || ' ' || phase FROM cases WHERE id = {case}") == \
        "Moderat slut"
    r = expect(call("GET", f"/v1/cases/{case}", "mette/tovholder"), 200)
    assert r.body["phase_title"] == "slut", r.body
    done = [t for t in r.body["tasks"] if t["key"] == "samtale"][0]
    assert done["status"] == "done" and done["outcome_fields"] == [], done


main([deploy_refuses_unknown_instruments, deploy_and_start, queue_and_inbox, my_cases_and_the_case,
      completing_checks_the_outcome])
