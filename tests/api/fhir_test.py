"""A case's goals and follow-ups as FHIR (GET /v1/cases/{id}/fhir), following the KL FFB
reporting guide. The daemon runs with the KL report's settings (tests/api/fhir_test.conf: the
municipality's organisation, the CPR number on); a second daemon without them shows what the
export claims then. A seeded case gets goals with FFB goal types, expected levels and
sub-themes, FFB baselines, follow-up measures and follow-up decisions; every resource that
claims a profile is checked against the table of what it requires (tests/api/fhir/profiles.json,
derived from the guide's source), in the default export and in the strict report for KL
(?purpose=kl-report): every required element, the forbidden ones, the codes against KL's code
lists, every reference resolved inside the Bundle to a resource of the profile it must have,
ids stable from one export to the next, the CPR number only where the settings put it, 404 for
a case not seen, 403 for a role that reads no case, and the access log row with the purpose."""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse

import apilib
from apilib import *

TABLE = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir", "profiles.json")))
PROFILES = TABLE["profiles"]
CODES = TABLE["codes"]
FFB = CODES["KLSeveritiesFFB"]
CONDITION_CODES = CODES["KLConditionCodesFFB"]
ACHIEVEMENT = CODES["goal-achievement"]
CASE = 1            # mette holds it; jens (jobcenter) has no part in it
CPR = "0112081234"  # citizen 1's CPR number, stored in citizen_cpr by setup
ORG = "d4e3f4fb-6761-4d6c-9086-74c49231f11e"  # tests/api/fhir_test.conf
OWN_WORDS = 'Jeg vil "gerne" bo for mig selv & tage en uddannelse <snart>'
KL_REPORT = "?purpose=kl-report"

# the goals of case 1: (goal key, theme, text, maaltype, forventet_niveau, ffb_tema)
GOALS = [("maal-1", "uddannelse", OWN_WORDS, "udvikle", "let", None),
         ("maal-2", "bolig", "Have en bolig med støtte", "begraense-tab", "omfattende", None),
         ("maal-3", "beskaeftigelse", "Få et fritidsjob", None, None, None),
         ("maal-4", "sociale-forhold", "Se min familie hver uge", "fastholde", None, "Familiesituation")]
# (goal key or None, instrument, kind, number, text, measured_at)
MEASURES = [("maal-1", "ffb-stoettebehov", "baseline", None, "moderat", "2026-03-20 10:00+01"),
            ("maal-2", "ffb-stoettebehov", "baseline", None, "omfattende", "2026-03-20 10:00+01"),
            ("maal-4", "ffb-stoettebehov", "baseline", None, "let", "2026-03-20 10:00+01"),
            (None, "ffb-stoettebehov", "baseline", None, "fuldstændigt", "2026-03-20 10:00+01"),
            ("maal-1", "ffb-stoettebehov", "followup", None, "let", "2026-06-20 10:00+02"),
            ("maal-1", "maalopfyldelse", "followup", None, "delvist opnaaet", "2026-06-20 10:00+02"),
            ("maal-2", "maalopfyldelse", "followup", None, "opnået", "2026-06-21 10:00+02"),
            ("maal-3", "trivsel", "followup", 7.5, None, "2026-06-22 10:00+02")]
# done tasks of case 1 with the follow-up's decision: (key, outcome, closed_at)
FOLLOW_UPS = [("opfoelgning-3", {"fortsaet": True, "stoettebehov": "let"}, "2026-06-20 11:00+02"),
              ("opfoelgning-12", {"fortsaet": "nej"}, "2027-03-20 11:00+01"),
              ("plan", {"plan": "udarbejdet"}, "2026-04-01 11:00+02")]


def until(cond, what, seconds=10):
    end = time.time() + seconds
    while not cond():
        assert time.time() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def q(s):
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"


def setup():
    """case 1 gets four goals, FFB baselines (three goals and the case's own), follow-up
    measures, and three done tasks, two of them follow-ups with a decision"""
    wait_drained()
    sql(f"INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr) VALUES (1, decode(md5('fhir'), 'hex'), '{CPR}')"
        " ON CONFLICT DO NOTHING")
    assert sql("SELECT cpr FROM citizen_cpr WHERE citizen_id = 1") == CPR
    for key, theme, text, maaltype, niveau, tema in GOALS:
        sql("INSERT INTO goal (case_id, key, text, theme, maaltype, forventet_niveau, ffb_tema)"
            f" VALUES ({CASE}, {q(key)}, {q(text)}, {q(theme)}, {q(maaltype)}, {q(niveau)}, {q(tema)})")
    for key, instrument, kind, num, text, at in MEASURES:
        sql("INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, measured_at)"
            f" VALUES ({CASE}, {q(key)}, {q(instrument)}, {q(kind)}, {q(num)}, {q(text)}, {q(at)})")
    for key, outcome, at in FOLLOW_UPS:
        sql("INSERT INTO task (case_id, kind, key, department_id, title, status, outcome, closed_at)"
            f" SELECT {CASE}, 'task', {q(key)}, tovholder_department, 'Opfølgning', 'done',"
            f" {q(json.dumps(outcome))}, {q(at)} FROM cases WHERE id = {CASE}")


def export(who="mette/tovholder", case=CASE, purpose=None, query=""):
    headers = {"Overgang-Purpose": purpose} if purpose else None
    return call("GET", f"/v1/cases/{case}/fhir{query}", who, headers=headers)


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


def claims(res):
    return values(res, "meta.profile")


def check_profile(res, spec, what):
    """RES claims SPEC's profile and meets its table."""
    assert claims(res) == [spec["profile"]], f"{what}: meta.profile {claims(res)}, want {spec['profile']}"
    check_required(res, spec["required"], what)
    for path in spec["forbidden"]:
        assert not values(res, path), f"{what}: {path} is 0..0 in the profile but present: {res}"
    for path in spec["max_one"]:
        assert len(values(res, path)) <= 1, f"{what}: {path} is ..1 in the profile: {res}"
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


def condition_code(name):
    return CONDITION_CODES["ad"].get(name) or CONDITION_CODES["not_ad"][name]


# what a claimed resource's references must point at: (path, resource type, its profile)
REFERENCES = {"Condition": [("subject", "Patient")],
              "Goal": [("subject", "Patient"), ("addresses", "Condition")],
              "CarePlan": [("subject", "Patient"), ("goal", "Goal")],
              "Observation": [("subject", "Patient"), ("focus", "CarePlan")]}


def check_claims(b, what):
    """every resource that claims a profile meets it, with the codes from KL's lists; its
    references point at resources that claim the profile the guide names for them"""
    for e in b["entry"]:
        res = e["resource"]
        assert e["fullUrl"] == "urn:uuid:" + res["id"], e
        t = res["resourceType"]
        if not claims(res):
            continue
        name = f"{what}: {t} {res['id']}"
        check_profile(res, PROFILES[t], name)
        for path, target in REFERENCES.get(t, []):
            for ref in values(res, path):
                other = resolve(b, ref)
                assert other["resourceType"] == target, (name, path, other)
                assert claims(other) == [PROFILES[target]["profile"]], \
                    f"{name}: {path} points at a {target} that claims no {PROFILES[target]['profile']}"
        if t == "Condition":
            code = values(res, "code.coding.code")[0]
            assert code in CONDITION_CODES["ad"].values() or code in CONDITION_CODES["not_ad"].values(), res
            if "severity" in res:   # kl-reporting-ffb-condition-1
                assert code in CONDITION_CODES["ad"].values(), f"{name}: a severity outside Aktivitet og deltagelse"
                assert values(res, "severity.coding.code")[0] in FFB["map"].values(), res
        if t == "Goal":
            for target in res.get("target", []):
                measure = values(target, "measure.coding.code")
                assert len(measure) == 1 and measure[0] in PROFILES["Goal"]["target_slices"], target
                for code in values(target, "detailCodeableConcept.coding.code"):
                    codes = CODES[PROFILES["Goal"]["target_slices"][measure[0]]]["map"].values()
                    assert code in codes, (name, target)
        if t == "Observation":
            assert values(res, "valueCodeableConcept.coding.code")[0] in CODES["KLFollowUpCodesFFB"]["map"].values(), res
    if claims(b):
        check_profile(b, PROFILES["Bundle"], f"{what}: Bundle")
        assert all(claims(e["resource"]) for e in b["entry"]), "the Bundle claims its profile with an entry that claims none"
    ids = [e["resource"]["id"] for e in b["entry"]]
    assert len(set(ids)) == len(ids), "resource ids are unique"
    full = {e["fullUrl"] for e in b["entry"]}
    for ref in re.findall(r'"reference": "([^"]+)"', json.dumps(b)):
        assert ref in full, f"{what}: {ref} goes nowhere"


def counts(b):
    out = {}
    for e in b["entry"]:
        t = e["resource"]["resourceType"]
        k = t if claims(e["resource"]) else t + " (no profile)"
        out[k] = out.get(k, 0) + 1
    return out


# ---- the tests ----

def strict_report():
    """?purpose=kl-report is the report for KL: every resource claims its profile and meets
    every required and forbidden element of it, and the Bundle is a delivery report"""
    r = expect(export(query=KL_REPORT), 200)
    assert r.headers["content-type"].split(";")[0] == "application/fhir+json", r.headers
    assert "overgang-profile-note" not in {k.lower() for k in r.headers}, r.headers
    b = r.body
    assert claims(b) == [PROFILES["Bundle"]["profile"]], b["meta"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", b["timestamp"]), b["timestamp"]
    check_claims(b, "strict")
    # the citizen; a Condition per goal with an FFB baseline and an FFB sub-theme (the case's
    # own baseline has no sub-theme); four goals; the plan; the two follow-up decisions
    assert counts(b) == {"Patient": 1, "Condition": 3, "Goal": 4, "CarePlan": 1, "Observation": 2}, counts(b)


def no_free_text_in_the_report():
    """the strict report has no free text: not the citizen's words, nor anything else"""
    r = expect(export(query=KL_REPORT), 200)
    for _, _, text, _, _, _ in GOALS:
        assert text not in r.text and json.dumps(text)[1:-1] not in r.text, f"{text!r} in the KL report"
    assert not values(r.body, "entry.resource.description.text")
    assert not values(r.body, "entry.resource.code.text")
    assert '"text"' not in r.text, r.text


def the_citizen():
    """with the settings on, the Patient is KL's Citizen: the CPR number and the municipality"""
    b = expect(export(query=KL_REPORT), 200).body
    patient = by_type(b, "Patient")[0]
    assert patient["identifier"] == [{"use": "official", "system": "urn:oid:1.2.208.176.1.2", "value": CPR}], patient
    assert patient["managingOrganization"] == {"identifier": {
        "use": "official", "system": "https://www.kombit.dk/organisation", "value": ORG}}, patient
    assert set(patient) == {"resourceType", "id", "meta", "identifier", "managingOrganization"}, patient


def goals_and_conditions():
    """each goal: its goal type and expected level as targets, the Condition it addresses with
    the FFB sub-theme and the baseline level; results set the status"""
    b = expect(export(), 200).body
    goals = {g["description"]["text"]: g for g in by_type(b, "Goal")}
    assert sorted(goals) == sorted(g[2] for g in GOALS), goals.keys()
    g1, g2, g3, g4 = (goals[g[2]] for g in GOALS)
    spec = PROFILES["Goal"]["with_baseline"]
    change = CODES["KLChangeValueCodesFFB"]

    def target(goal, measure):
        return [t for t in goal.get("target", []) if values(t, "measure.coding.code") == [measure]]

    for g, (_, theme, _, maaltype, niveau, tema) in zip((g1, g2, g4), (GOALS[0], GOALS[1], GOALS[3])):
        check_required(g, spec, "Goal with a baseline")
        [tt] = target(g, "90c48f03-f194-4b2f-ad7d-6cba1069ae48")
        assert coding_has(tt["detailCodeableConcept"], {"system": change["system"], "code": change["map"][maaltype]}), tt
        [sev] = target(g, "66959f77-6e2a-4574-8423-3ff097f8b9fa")
        if niveau:
            assert coding_has(sev["detailCodeableConcept"], ffb(niveau)), sev
        else:
            assert "detailCodeableConcept" not in sev, sev
        cond = resolve(b, g["addresses"][0])
        name = tema or CONDITION_CODES["theme_default"][theme]
        assert values(cond, "code.coding.code") == [condition_code(name)], cond
        assert values(cond, "code.coding.display") == [name], cond
        assert cond["recordedDate"] == "2026-03-20T09:00:00Z", cond
        assert values(cond, "clinicalStatus.coding.code") == ["active"], cond
    # the baseline level as the severity, under Aktivitet og deltagelse only
    assert coding_has(resolve(b, g1["addresses"][0])["severity"], ffb("moderat"))
    # omfattende is FFB's "Svært nedsat funktionsevne"
    assert values(resolve(b, g2["addresses"][0]), "severity.coding.display") == ["Svært nedsat funktionsevne"]
    assert "severity" not in resolve(b, g4["addresses"][0]), "Familiesituation is no Aktivitet og deltagelse"
    # a goal without baseline, goal type or expected level: no targets, no Condition, and the
    # profile is still claimed (both targets are 0..1 in it)
    assert "target" not in g3 and "addresses" not in g3, g3
    assert claims(g3) == [PROFILES["Goal"]["profile"]], g3
    # the case's own baseline has its own Condition, with the § 123 theme: no FFB code, so no
    # profile, and the Bundle claims none while it is there
    addressed = {a["reference"] for g in goals.values() for a in g.get("addresses", [])}
    own = [c for c in by_type(b, "Condition") if "urn:uuid:" + c["id"] not in addressed]
    assert len(own) == 1 and coding_has(own[0]["severity"], ffb("fuldstændigt")), own
    assert not claims(own[0]) and values(own[0], "code.coding.code") == ["stoettebehov"], own
    # a goal reached is completed; one partly reached or without a result is still active
    assert [g["lifecycleStatus"] for g in (g1, g2, g3, g4)] == ["active", "completed", "active", "active"]


def the_plan():
    """one CarePlan: the case's number, its status and start, and every goal"""
    b = expect(export(), 200).body
    [plan] = by_type(b, "CarePlan")
    assert plan["status"] == "active" and plan["intent"] == "plan", plan
    assert values(plan, "extension.extension.valueIdentifier") == [{
        "use": "usual", "system": "https://overgang.dk/fhir/NamingSystem/case", "value": str(CASE)}], plan
    started = sql(f"SELECT to_char(started_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM-DD') FROM cases WHERE id = {CASE}")
    assert plan["period"] == {"start": started}, plan
    assert sorted(resolve(b, g)["description"]["text"] for g in plan["goal"]) == sorted(g[2] for g in GOALS)


def follow_ups():
    """the follow-ups' decisions (continue, end) on KL's codes with the plan as focus; the
    measures as Observations of their own (no profile fits them): FFB levels on the same
    scale, goal results as goal-achievement codes, other values as they are"""
    b = expect(export(), 200).body
    decisions = [o for o in by_type(b, "Observation") if claims(o)]
    fu = CODES["KLFollowUpCodesFFB"]
    assert [(o["effectiveDateTime"], values(o, "valueCodeableConcept.coding.code")) for o in decisions] == [
        ("2026-06-20T09:00:00Z", [fu["map"]["fortsaet"]]), ("2027-03-20T10:00:00Z", [fu["map"]["afslut"]])], decisions
    assert all(resolve(b, o["focus"][0])["resourceType"] == "CarePlan" for o in decisions)
    measures = [o for o in by_type(b, "Observation") if not claims(o)]
    by_text = {(o["code"]["text"], resolve(b, o["focus"][0])["description"]["text"]): o for o in measures}
    assert len(by_text) == 4, by_text.keys()
    o = by_text[("ffb-stoettebehov", OWN_WORDS)]
    assert coding_has(o["valueCodeableConcept"], ffb("let")), o
    assert o["effectiveDateTime"] == "2026-06-20T08:00:00Z", o
    o = by_text[("maalopfyldelse", OWN_WORDS)]
    assert coding_has(o["valueCodeableConcept"], {"system": ACHIEVEMENT["system"], "code": "improving"}), o
    o = by_text[("maalopfyldelse", "Have en bolig med støtte")]
    assert coding_has(o["valueCodeableConcept"], {"system": ACHIEVEMENT["system"], "code": "achieved"}), o
    o = by_text[("trivsel", "Få et fritidsjob")]
    assert o["valueQuantity"] == {"value": 7.5}, o
    times = [o["effectiveDateTime"] for o in measures]
    assert times == sorted(times), times
    # none of them in the KL report
    strict = expect(export(query=KL_REPORT), 200).body
    assert all(claims(o) for o in by_type(strict, "Observation"))


def default_export():
    """the default export keeps the citizen's words and the measures for the caseworker: what
    meets a profile claims it, the rest claims none, and so the Bundle claims none and the
    header says why"""
    r = expect(export(), 200)
    b = r.body
    check_claims(b, "default")
    assert counts(b) == {"Patient": 1, "Condition": 3, "Condition (no profile)": 1, "Goal": 4,
                         "CarePlan": 1, "Observation": 2, "Observation (no profile)": 4}, counts(b)
    assert not claims(b), b["meta"]
    note = r.headers.get("overgang-profile-note", "")
    assert "kl-reporting-ffb-deliveryReport" in note and "purpose=kl-report" in note, r.headers
    assert OWN_WORDS in values(b, "entry.resource.description.text")


def stable_ids():
    """the same goal, condition, plan and follow-up keep their ids from one export to the next,
    and the report for KL uses the same ids"""
    a = expect(export(), 200).body
    b = expect(export(), 200).body
    assert [e["fullUrl"] for e in a["entry"]] == [e["fullUrl"] for e in b["entry"]]
    assert a["id"] != b["id"], "each export is a Bundle of its own"
    strict = {e["fullUrl"] for e in expect(export(query=KL_REPORT), 200).body["entry"]}
    assert strict < {e["fullUrl"] for e in a["entry"]}, "the KL report is part of the default export"


def no_name_or_birth_date():
    """no name or birth date leaves through the export; the CPR number only as the Patient's
    identifier, and never in the daemon's log (run_test.sh checks the log)"""
    r = expect(export(), 200)
    no_person_data(r, "the FHIR export")
    assert "2008-12-01" not in r.text, "the birth date appears"
    assert r.text.count(CPR) == 1, "the CPR number once, as the identifier"


def bad_purpose():
    """?purpose= takes kl-report only; another parameter is refused"""
    r = expect_problem(export(query="?purpose=alt"), 400, "bad-parameter")
    assert "kl-report" in r.body["detail"], r.body
    expect_problem(export(query="?format=xml"), 400, "unknown-parameter")


def a_case_without_goals():
    """a case with no goals or measures: the citizen and the plan; this citizen has no CPR
    number registered, so nothing claims a profile, the header says why, and there is no
    report for KL"""
    r = expect(export("jonas/tovholder", 3), 200)
    assert [e["resource"]["resourceType"] for e in r.body["entry"]] == ["Patient", "CarePlan"], r
    check_claims(r.body, "no goals")
    assert not claims(r.body) and not any(claims(e["resource"]) for e in r.body["entry"]), r.body
    assert "the citizen has no CPR number registered" in r.headers.get("overgang-profile-note", ""), r.headers
    r = expect_problem(export("jonas/tovholder", 3, query=KL_REPORT), 503, "kl-report-unavailable")
    assert "no CPR number" in r.body["detail"], r.body


def not_seen_and_refused():
    """a case not seen (or not there) is 404 and logs nothing; a role that reads no case is 403"""
    before = access_log_count()
    expect_problem(export("jens/lead"), 404, "not-found", "jens has no part in case 1")
    expect_problem(export("jens/lead", query=KL_REPORT), 404, "not-found", "jens has no part in case 1")
    expect_problem(export("mette/tovholder", 99999), 404, "not-found", "no such case")
    expect_problem(call("GET", "/v1/cases/abc/fhir", "mette/tovholder"), 404, "not-found")
    for who in ("chef/manager", "revisor/auditor"):
        r = expect_problem(export(who), 403, "forbidden", who)
        no_person_data(r, who)
    expect_problem(export(None), 401, "unauthorized")
    assert access_log_count() == before, "a refused or unseen request wrote the access log"


def access_log():
    """the export is a read of the case: one access log row, with the purpose given, marked as
    a read that took the CPR number"""
    where = f"actor = 'mette' AND case_id = {CASE} AND via = 'api case_fhir cpr'"
    before = access_log_count(where)
    expect(export(purpose="indberetning til KL", query=KL_REPORT), 200)
    assert access_log_count(where) == before + 1
    row = sql(f"SELECT citizen_id || '|' || action || '|' || reason FROM access_log WHERE {where}"
              " ORDER BY id DESC LIMIT 1")
    assert row == "1|read|indberetning til KL", row
    expect(export(), 200)
    assert access_log_count(where) == before + 2
    assert sql(f"SELECT reason FROM access_log WHERE {where} ORDER BY id DESC LIMIT 1") == "case_fhir cpr"
    assert access_log_count(f"via = 'api case_fhir' AND case_id = {CASE}") == 0, "every read here took the CPR number"


def without_the_settings():
    """a daemon without [fhir] settings: the Patient is overgang's citizen number and no CPR
    number; nothing claims a profile (everything refers to the citizen); the header says why;
    the report for KL is 503 with what to set; the access log says no CPR was read"""
    conf = open(os.environ["OG_CONF"]).read()
    conf = re.sub(r"(?ms)^\[fhir\].*?(?=^\[|\Z)", "", conf).replace("workers = 1", "workers = 0")
    assert "[fhir]" not in conf and "cpr_identifier" not in conf, conf
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "plain.conf")
        open(path, "w").write(conf)
        log = open(os.path.join(d, "log"), "w+")
        p = subprocess.Popen([os.environ["OVERGANG_BIN"] + "/overgangd", "-c", path], stderr=log)
        saved = apilib.URL
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
            apilib.URL = urllib.parse.urlsplit(f"http://127.0.0.1:{port}")
            until(lambda: raw("GET", "/readyz").status == 200, "the second daemon to be ready")
            before = access_log_count(f"via = 'api case_fhir' AND case_id = {CASE}")
            r = expect(export(), 200)
            b = r.body
            for s in (CPR, CPR[:6] + "-" + CPR[6:], "urn:oid:1.2.208.176.1.2", ORG):
                assert s not in r.text, f"{s} appears in the export"
            patient = by_type(b, "Patient")[0]
            assert patient["identifier"] == [{"use": "secondary", "system": "https://overgang.dk/fhir/NamingSystem/citizen",
                                              "value": "1"}], patient
            assert "managingOrganization" not in patient, patient
            assert [e["resource"]["resourceType"] for e in b["entry"] if claims(e["resource"])] == [], \
                "something claims a profile though the citizen claims none"
            assert not claims(b)
            check_claims(b, "without settings")
            note = r.headers.get("overgang-profile-note", "")
            assert "municipality_organisation is not set" in note and "cpr_identifier is off" in note, r.headers
            assert access_log_count(f"via = 'api case_fhir' AND case_id = {CASE}") == before + 1
            r = expect_problem(export(query=KL_REPORT), 503, "kl-report-unavailable")
            assert "municipality_organisation" in r.body["detail"] and "cpr_identifier" in r.body["detail"], r.body
            assert access_log_count(f"via = 'api case_fhir' AND case_id = {CASE}") == before + 1, \
                "a refused report wrote the access log"
        finally:
            apilib.URL = saved
            p.terminate()
            p.wait(10)
        log.seek(0)
        assert CPR not in log.read(), "the CPR number in the second daemon's log"


FHIR_LUA = """
return workflow {
  name = "fhir-test", version = 1, title = "Mål til KL-indberetningen (test)",
  phases = { { "start", text = "Vi er begyndt." } },
  on = {
    started = function(case, ev)
      case:assign_tovholder { staff = "mette", reason = "Forløbet er startet" }
      case:goal { key = "bo", text = "Jeg vil bo for mig selv", theme = "sociale-forhold",
        maaltype = "fastholde", forventet_niveau = "moderat", ffb_tema = "Varetage bolig" }
      case:measure { instrument = "ffb-stoettebehov", kind = "baseline", value = "omfattende",
        goal = "bo" }
    end,
  },
}
"""


def goals_from_a_workflow():
    """a workflow's case:goal with the FFB words reaches the report: the goal type and the
    expected level as targets, the FFB sub-theme as the Condition's code"""
    expect(call("POST", "/v1/workflows", "admin/administrator", body={"source": FHIR_LUA, "file": "fhir-test.lua"}), 201)
    r = expect(call("POST", "/v1/cases", "jonas/worker", body={"citizen": 1, "workflow": "fhir-test"}), 201)
    case = r.body["id"]
    wait_drained()
    b = expect(export(case=case, query=KL_REPORT), 200).body
    check_claims(b, "from a workflow")
    [goal] = by_type(b, "Goal")
    codes = {values(t, "measure.coding.code")[0]: values(t, "detailCodeableConcept.coding.code") for t in goal["target"]}
    assert codes == {"90c48f03-f194-4b2f-ad7d-6cba1069ae48": [CODES["KLChangeValueCodesFFB"]["map"]["fastholde"]],
                     "66959f77-6e2a-4574-8423-3ff097f8b9fa": [FFB["map"]["moderat"]]}, goal
    cond = resolve(b, goal["addresses"][0])
    assert values(cond, "code.coding.code") == [CONDITION_CODES["ad"]["Varetage bolig"]], cond
    assert coding_has(cond["severity"], ffb("omfattende")), cond


def documented():
    """the OpenAPI document describes the route, its roles, its statuses and its parameter"""
    op = openapi()["paths"]["/v1/cases/{id}/fhir"]["get"]
    assert op["operationId"] == "case_fhir"
    assert sorted(op["x-roles"]) == ["administrator", "lead", "tovholder", "worker"]
    assert {"200", "400", "403", "404", "503"} <= set(op["responses"]), op["responses"].keys()
    assert "application/fhir+json" in op["responses"]["200"]["content"]
    assert "Overgang-Profile-Note" in op["responses"]["200"]["headers"]
    assert any(p.get("name") == "purpose" and p.get("in") == "query" for p in op["parameters"])


main([setup, strict_report, no_free_text_in_the_report, the_citizen, goals_and_conditions, the_plan,
      follow_ups, default_export, stable_ids, no_name_or_birth_date, bad_purpose, a_case_without_goals,
      not_seen_and_refused, access_log, without_the_settings, goals_from_a_workflow, documented])
