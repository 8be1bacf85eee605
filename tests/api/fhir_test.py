"""A case's goals and follow-ups as FHIR (GET /v1/cases/{id}/fhir), following the KL FFB
reporting guide: a seeded case gets goals, FFB baselines and follow-ups; the export is checked
against the table of what each profile requires (tests/api/fhir/profiles.json, derived from
the guide's source, with the gaps it names), the FFB levels against KL's codes, every
reference resolved inside the Bundle, ids stable from one export to the next, no CPR number,
name or birth date anywhere, 404 for a case not seen, 403 for a role that reads no case, and
the access log row with the purpose."""
import json
import os
import re

from apilib import *

TABLE = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir", "profiles.json")))
PROFILES = TABLE["profiles"]
FFB = TABLE["codes"]["KLSeveritiesFFB"]
ACHIEVEMENT = TABLE["codes"]["goal-achievement"]
CASE = 1            # mette holds it; jens (jobcenter) has no part in it
CPR = "0112081234"  # citizen 1's CPR number, stored in citizen_cpr by setup
OWN_WORDS = 'Jeg vil "gerne" bo for mig selv & tage en uddannelse <snart>'

# the goals and measures of case 1: (goal key, theme, text)
GOALS = [("maal-1", "uddannelse", OWN_WORDS),
         ("maal-2", "bolig", "Have en bolig med støtte"),
         ("maal-3", "beskaeftigelse", "Få et fritidsjob")]
# (goal key or None, instrument, kind, number, text, measured_at)
MEASURES = [("maal-1", "ffb-stoettebehov", "baseline", None, "moderat", "2026-03-20 10:00+01"),
            ("maal-2", "ffb-stoettebehov", "baseline", None, "omfattende", "2026-03-20 10:00+01"),
            (None, "ffb-stoettebehov", "baseline", None, "fuldstændigt", "2026-03-20 10:00+01"),
            ("maal-1", "ffb-stoettebehov", "followup", None, "let", "2026-06-20 10:00+02"),
            ("maal-1", "maalopfyldelse", "followup", None, "delvist opnaaet", "2026-06-20 10:00+02"),
            ("maal-2", "maalopfyldelse", "followup", None, "opnået", "2026-06-21 10:00+02"),
            ("maal-3", "trivsel", "followup", 7.5, None, "2026-06-22 10:00+02")]


def q(s):
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


def setup():
    """case 1 gets three goals, FFB baselines (two goals and the case's own) and follow-ups"""
    wait_drained()
    sql(f"INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr) VALUES (1, decode(md5('fhir'), 'hex'), '{CPR}')"
        " ON CONFLICT DO NOTHING")
    assert sql("SELECT cpr FROM citizen_cpr WHERE citizen_id = 1") == CPR
    for key, theme, text in GOALS:
        sql(f"INSERT INTO goal (case_id, key, text, theme) VALUES ({CASE}, {q(key)}, {q(text)}, {q(theme)})")
    for key, instrument, kind, num, text, at in MEASURES:
        sql("INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, measured_at)"
            f" VALUES ({CASE}, {q(key)}, {q(instrument)}, {q(kind)}, {q(num)}, {q(text)}, {q(at)})")


def export(who="mette/tovholder", case=CASE, purpose=None):
    headers = {"Overgang-Purpose": purpose} if purpose else None
    return call("GET", f"/v1/cases/{case}/fhir", who, headers=headers)


# ---- reading paths the way the profile tables name them ----

def values(node, path):
    """Every value at dotted PATH in NODE, through lists."""
    out = [node]
    for part in path.split("."):
        nxt = []
        for n in out:
            for m in (n if isinstance(n, list) else [n]):
                if isinstance(m, dict) and part in m:
                    v = m[part]
                    nxt.extend(v if isinstance(v, list) else [v])
        out = nxt
    return [v for v in out if v not in (None, "", [], {})]


def check_required(res, table, what):
    for path, want in table.items():
        got = values(res, path)
        assert got, f"{what}: {path} is required but missing: {res}"
        if want is not None:
            assert want in got, f"{what}: {path} must be {want!r}, is {got!r}"


def check_profile(res, spec, what):
    check_required(res, spec["required"], what)
    for path in spec["forbidden"]:
        assert not values(res, path), f"{what}: {path} is 0..0 in the profile but present: {res}"
    claimed = values(res, "meta.profile")
    if spec["profile"]:
        assert claimed == [spec["profile"]], f"{what}: meta.profile {claimed}"
    else:
        assert not claimed, f"{what}: claims {claimed} though it does not meet it ({spec['gaps'][0]})"
    assert values(res, "meta.lastUpdated"), f"{what}: meta.lastUpdated (the guide asks for it)"


def by_type(bundle, t):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == t]


def resolve(bundle, ref):
    for e in bundle["entry"]:
        if e["fullUrl"] == ref["reference"]:
            return e["resource"]
    raise AssertionError(f"reference {ref} does not resolve inside the Bundle")


def ffb(word):
    return {"system": FFB["system"], "code": FFB["map"][word]}


def coding_has(concept, want):
    return any(c["system"] == want["system"] and c["code"] == want["code"] for c in concept.get("coding", []))


# ---- the tests ----

def bundle_and_profiles():
    """the Bundle meets the delivery report profile, and every resource its profile's table"""
    r = expect(export(), 200)
    assert r.headers["content-type"].split(";")[0] == "application/fhir+json", r.headers
    b = r.body
    check_profile(b, PROFILES["Bundle"], "Bundle")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", b["timestamp"]), b["timestamp"]
    counts = {t: len(by_type(b, t)) for t in PROFILES if t != "Bundle"}
    # one citizen; a Condition per FFB baseline (two goals and the case's own); three goals;
    # four follow-ups
    assert counts == {"Patient": 1, "Condition": 3, "Goal": 3, "Observation": 4}, counts
    for e in b["entry"]:
        res = e["resource"]
        assert e["fullUrl"] == "urn:uuid:" + res["id"], e
        check_profile(res, PROFILES[res["resourceType"]], f"{res['resourceType']} {res['id']}")
    ids = [e["resource"]["id"] for e in b["entry"]]
    assert len(set(ids)) == len(ids), "resource ids are unique"


def references_resolve():
    """every reference points at a resource in the Bundle, of the type the profile names"""
    b = expect(export(), 200).body
    patient = by_type(b, "Patient")[0]
    refs = 0
    for e in b["entry"]:
        res = e["resource"]
        for ref in values(res, "subject"):
            assert resolve(b, ref) is patient, res
            refs += 1
        for ref in values(res, "addresses"):
            assert resolve(b, ref)["resourceType"] == "Condition", res
            refs += 1
        for ref in values(res, "focus"):
            assert resolve(b, ref)["resourceType"] == "Goal", res
            refs += 1
    assert refs == (3 + 3 + 4) + 2 + 4, refs   # subjects, addresses, focuses
    # nothing else in the Bundle looks like a reference that goes nowhere
    full = {e["fullUrl"] for e in b["entry"]}
    for ref in re.findall(r'"reference": "([^"]+)"', json.dumps(b)):
        assert ref in full, ref


def goals_and_levels():
    """each goal: the citizen's words, the measure where there is an FFB baseline, and the
    Condition it addresses with the baseline level on KL's scale; results set the status"""
    b = expect(export(), 200).body
    goals = {g["description"]["text"]: g for g in by_type(b, "Goal")}
    assert sorted(goals) == sorted(t for _, _, t in GOALS), goals.keys()
    g1, g2, g3 = (goals[t] for _, _, t in GOALS)
    spec = PROFILES["Goal"]["with_baseline"]
    for g, level, theme in ((g1, "moderat", "uddannelse"), (g2, "omfattende", "bolig")):
        check_required(g, spec, "Goal with a baseline")
        cond = resolve(b, g["addresses"][0])
        assert coding_has(cond["severity"], ffb(level)), (level, cond)
        assert values(cond, "code.coding.code") == [theme], cond
        assert cond["recordedDate"] == "2026-03-20T09:00:00Z", cond
        assert values(cond, "clinicalStatus.coding.code") == ["active"], cond
    # omfattende is FFB's "Svært nedsat funktionsevne"
    assert values(resolve(b, g2["addresses"][0]), "severity.coding.display") == ["Svært nedsat funktionsevne"]
    assert "target" not in g3 and "addresses" not in g3, g3
    # the case's own baseline has its own Condition, addressed by no goal
    addressed = {a["reference"] for g in goals.values() for a in g.get("addresses", [])}
    own = [c for c in by_type(b, "Condition") if "urn:uuid:" + c["id"] not in addressed]
    assert len(own) == 1 and coding_has(own[0]["severity"], ffb("fuldstændigt")), own
    # a goal reached is completed; one partly reached or without a result is still active
    assert (g1["lifecycleStatus"], g2["lifecycleStatus"], g3["lifecycleStatus"]) == ("active", "completed", "active")


def follow_ups():
    """follow-ups: the FFB level on the same scale, goal results as goal-achievement codes,
    other values as they are, each with the goal it follows up"""
    b = expect(export(), 200).body
    obs = by_type(b, "Observation")
    by_text = {}
    for o in obs:
        goal = resolve(b, o["focus"][0])["description"]["text"]
        by_text[(o["code"]["text"], goal)] = o
    o = by_text[("ffb-stoettebehov", OWN_WORDS)]
    assert coding_has(o["valueCodeableConcept"], ffb("let")), o
    assert o["effectiveDateTime"] == "2026-06-20T08:00:00Z", o
    o = by_text[("maalopfyldelse", OWN_WORDS)]
    assert coding_has(o["valueCodeableConcept"], {"system": ACHIEVEMENT["system"], "code": "improving"}), o
    o = by_text[("maalopfyldelse", "Have en bolig med støtte")]
    assert coding_has(o["valueCodeableConcept"], {"system": ACHIEVEMENT["system"], "code": "achieved"}), o
    o = by_text[("trivsel", "Få et fritidsjob")]
    assert o["valueQuantity"] == {"value": 7.5}, o
    times = [o["effectiveDateTime"] for o in obs]
    assert times == sorted(times), times


def stable_ids():
    """the same goal, condition and follow-up keep their ids from one export to the next"""
    a = expect(export(), 200).body
    b = expect(export(), 200).body
    assert [e["fullUrl"] for e in a["entry"]] == [e["fullUrl"] for e in b["entry"]]
    assert a["id"] != b["id"], "each export is a Bundle of its own"


def no_cpr_or_person_data():
    """no CPR number (in any spelling), name or birth date leaves through the export"""
    r = expect(export(), 200)
    for s in (CPR, CPR[:6] + "-" + CPR[6:], "urn:oid:1.2.208.176.1.2"):
        assert s not in r.text, f"{s} appears in the export"
    no_person_data(r, "the FHIR export")
    assert "2008-12-01" not in r.text, "the birth date appears"
    patient = by_type(r.body, "Patient")[0]
    assert patient["identifier"] == [{"use": "secondary", "system": "https://overgang.dk/fhir/NamingSystem/citizen",
                                      "value": "1"}], patient


def a_case_without_goals():
    """a case with no goals or measures: just the citizen"""
    r = expect(export("jonas/tovholder", 3), 200)
    assert [e["resource"]["resourceType"] for e in r.body["entry"]] == ["Patient"], r


def not_seen_and_refused():
    """a case not seen (or not there) is 404 and logs nothing; a role that reads no case is 403"""
    before = access_log_count()
    expect_problem(export("jens/lead"), 404, "not-found", "jens has no part in case 1")
    expect_problem(export("mette/tovholder", 99999), 404, "not-found", "no such case")
    expect_problem(call("GET", "/v1/cases/abc/fhir", "mette/tovholder"), 404, "not-found")
    for who in ("chef/manager", "revisor/auditor"):
        r = expect_problem(export(who), 403, "forbidden", who)
        no_person_data(r, who)
    expect_problem(export(None), 401, "unauthorized")
    assert access_log_count() == before, "a refused or unseen request wrote the access log"


def access_log():
    """the export is a read of the case: one access log row, with the purpose given"""
    where = f"actor = 'mette' AND case_id = {CASE} AND via = 'api case_fhir'"
    before = access_log_count(where)
    expect(export(purpose="indberetning til KL"), 200)
    assert access_log_count(where) == before + 1
    row = sql(f"SELECT citizen_id || '|' || action || '|' || reason FROM access_log WHERE {where}"
              " ORDER BY id DESC LIMIT 1")
    assert row == "1|read|indberetning til KL", row
    expect(export(), 200)
    assert sql(f"SELECT reason FROM access_log WHERE {where} ORDER BY id DESC LIMIT 1") == "case_fhir"


def documented():
    """the OpenAPI document describes the route, its roles and its statuses"""
    op = openapi()["paths"]["/v1/cases/{id}/fhir"]["get"]
    assert op["operationId"] == "case_fhir"
    assert sorted(op["x-roles"]) == ["administrator", "lead", "tovholder", "worker"]
    assert {"200", "403", "404"} <= set(op["responses"]), op["responses"].keys()
    assert "application/fhir+json" in op["responses"]["200"]["content"]


main([setup, bundle_and_profiles, references_resolve, goals_and_levels, follow_ups, stable_ids,
      no_cpr_or_person_data, a_case_without_goals, not_seen_and_refused, access_log, documented])
