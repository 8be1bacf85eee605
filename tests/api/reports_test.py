"""The manager's reports (issue 8): cases started, active and closed; deadlines met and missed;
time in each phase; effect against the baseline and goal results. Computed on a known data
set inserted with SQL, one workflow per report so each answer is known exactly; numbers that
concern 1 to 4 citizens suppressed; no person data; manager and administrator only;
JSON and CSV; the period checked; the OpenAPI document describes them."""
import csv as csv_module
import io
import re

import apilib
from apilib import *

REPORTS = ["cases", "deadlines-met", "phases", "effect"]
YEAR = "from=2025-01-01&to=2025-12-31"
NAMES = [f"Rapportborger Nummer{i}" for i in range(1, 23)]
apilib.CITIZEN_NAMES += NAMES
STAFF = ["mette", "jonas", "ayse", "bo", "lars", "jens", "Madsen", "Jensen", "Yilmaz"]

# Citizens 1001..1022 (c1..c22 below). Four workflows, each the subject of one report:
#   rapport-sager    cases:   born-familie: 6 started 2025 and open (c1..c6), one started
#                             2025-01-01 00:30 Danish time (c22: in), one 2026-01-01 00:30
#                             Danish time (c21: out), 2 started 2024 closed 2025 'afslaaet'
#                             (c7, c8); voksenhandicap: 7 started 2024 closed 2025 'overgaaet'
#                             (c9..c15), 1 started 2025 closed 2026 (c16); jobcenter: 5 cases
#                             of 3 citizens started 2025 (c17 x3, c18, c19); one closed in 2024
#                             (c20).
#   rapport-frister  deadlines (born-familie tasks, voksenhandicap handovers), see below.
#   rapport-faser    phases: dialog, afdaekning, overdragelse, afgoerelse, afsluttet.
#   rapport-effekt   measures: ffb-stoettebehov, trivsel (a number), maalopfyldelse.
DATA = r"""
INSERT INTO citizen (id, display_name, birth_date)
SELECT 1000 + i, 'Rapportborger Nummer' || i, '2008-01-01' FROM generate_series(1, 22) i;
INSERT INTO workflow (name, version, title, source, checksum, definition, deployed_by)
SELECT n, 1, 'Rapporttest ' || n, 'return workflow {}', 'x',
       '{"handlers": [], "start": {"kind": "event"}, "phases": [
          {"name": "dialog", "text": "", "next": []}, {"name": "afdaekning", "title": "Afdækning", "text": "", "next": []},
          {"name": "overdragelse", "text": "", "next": []}, {"name": "afgoerelse", "text": "", "next": []},
          {"name": "afsluttet", "text": "", "next": []}]}', 'test'
  FROM unnest(ARRAY['rapport-sager', 'rapport-frister', 'rapport-faser', 'rapport-effekt']) n;

CREATE FUNCTION pg_temp.mk(the_id bigint, wf text, ci integer, dep text, started timestamptz,
                           closed timestamptz DEFAULT NULL, outc text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO cases (id, citizen_id, workflow_name, workflow_version, phase, status, tovholder,
                       tovholder_department, outcome, revision, started_at, closed_at)
    VALUES (the_id, 1000 + ci, wf, 1, 'dialog', CASE WHEN closed IS NULL THEN 'active' ELSE 'closed' END,
            CASE dep WHEN 'born-familie' THEN 'mette' WHEN 'voksenhandicap' THEN 'ayse' ELSE 'jens' END,
            dep, outc, 1, started, closed)
$$;

-- ---- rapport-sager ----
SELECT pg_temp.mk(2000 + i, 'rapport-sager', i, 'born-familie', '2025-02-01 12:00Z') FROM generate_series(1, 6) i;
SELECT pg_temp.mk(2007, 'rapport-sager', 22, 'born-familie', '2025-01-01 00:30+01');
SELECT pg_temp.mk(2008, 'rapport-sager', 21, 'born-familie', '2026-01-01 00:30+01');
SELECT pg_temp.mk(2010 + i, 'rapport-sager', i, 'born-familie', '2024-05-01 12:00Z', '2025-06-01 12:00Z', 'afslaaet')
  FROM generate_series(7, 8) i;
SELECT pg_temp.mk(2010 + i, 'rapport-sager', i, 'voksenhandicap', '2024-03-01 12:00Z', '2025-04-01 12:00Z', 'overgaaet')
  FROM generate_series(9, 15) i;
SELECT pg_temp.mk(2026, 'rapport-sager', 16, 'voksenhandicap', '2025-03-01 12:00Z', '2026-02-01 12:00Z', 'overgaaet');
SELECT pg_temp.mk(2030 + n, 'rapport-sager', ci, 'jobcenter', '2025-05-01 12:00Z')
  FROM (VALUES (1, 17), (2, 17), (3, 17), (4, 18), (5, 19)) v (n, ci);
SELECT pg_temp.mk(2040, 'rapport-sager', 20, 'born-familie', '2023-05-01 12:00Z', '2024-05-01 12:00Z', 'afslaaet');

-- ---- rapport-frister: one case per citizen c1..c7 ----
SELECT pg_temp.mk(3000 + i, 'rapport-frister', i, 'born-familie', '2024-10-01 12:00Z') FROM generate_series(1, 7) i;
CREATE FUNCTION pg_temp.tk(ci integer, kind_ text, key_ text, dep text, due timestamptz, st text,
                           closed timestamptz DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO task (case_id, kind, key, department_id, title, handover, due_at, status, closed_at,
                      reason, overdue_notified)
    VALUES (3000 + ci, kind_, key_, dep, 'Rapportopgave',
            CASE WHEN kind_ = 'handover' THEN '{}'::jsonb END, due, st, closed,
            CASE WHEN st = 'rejected' THEN 'for sent' END, true)
$$;
-- born-familie tasks due in 2025: afgoerelse-111 done in time (c1..c6; c6's due on the last
-- evening of the year, Danish time); afgoerelse-voksen done late (c1..c4) or open past due
-- (c5, c6); one cancelled (left out); one due 2024 and one due 2026-01-01 00:30 Danish time
-- (outside the period).
SELECT pg_temp.tk(i, 'task', 'afgoerelse-111', 'born-familie', '2025-03-01 12:00Z', 'done', '2025-02-20 12:00Z')
  FROM generate_series(1, 5) i;
SELECT pg_temp.tk(6, 'task', 'afgoerelse-111', 'born-familie', '2025-12-31 23:30+01', 'done', '2025-12-31 20:00Z');
SELECT pg_temp.tk(i, 'task', 'afgoerelse-voksen', 'born-familie', '2025-04-01 12:00Z', 'done', '2025-04-09 12:00Z')
  FROM generate_series(1, 4) i;
SELECT pg_temp.tk(i, 'task', 'afgoerelse-voksen', 'born-familie', '2025-04-01 12:00Z', 'open')
  FROM generate_series(5, 6) i;
SELECT pg_temp.tk(1, 'task', 'samtale', 'born-familie', '2025-05-01 12:00Z', 'cancelled', '2025-04-01 12:00Z');
SELECT pg_temp.tk(1, 'task', 'samtale', 'born-familie', '2024-05-01 12:00Z', 'done', '2024-06-01 12:00Z');
SELECT pg_temp.tk(2, 'task', 'samtale', 'born-familie', '2026-01-01 00:30+01', 'done', '2025-12-01 12:00Z');
-- voksenhandicap handovers due in 2025: 5 accepted in time (c1..c5), 1 rejected late (c6)
SELECT pg_temp.tk(i, 'handover', 'overdragelse', 'voksenhandicap', '2025-06-01 12:00Z', 'accepted', '2025-05-25 12:00Z')
  FROM generate_series(1, 5) i;
SELECT pg_temp.tk(6, 'handover', 'overdragelse', 'voksenhandicap', '2025-06-01 12:00Z', 'rejected', '2025-06-05 12:00Z');
-- due in 2099, still open (c1..c5)
SELECT pg_temp.tk(i, 'task', 'samtale', 'born-familie', '2099-06-01 12:00Z', 'open') FROM generate_series(1, 5) i;

-- ---- rapport-faser ----
-- c1..c6 in born-familie, started 2025-01-10: dialog 10..60 days, afdaekning 5,5,5,5,5,100
-- days, then (through overdragelse in the same step) afgoerelse, now with voksenhandicap, 30
-- days until the case closed (afsluttet entered in the closing step). c7 in jobcenter: dialog
-- 10 days (too few citizens). c8 in born-familie: dialog ended in 2024 (outside the period).
SELECT pg_temp.mk(4000 + i, 'rapport-faser', i, 'born-familie', '2025-01-10 12:00Z') FROM generate_series(1, 6) i;
SELECT pg_temp.mk(4007, 'rapport-faser', 7, 'jobcenter', '2025-01-10 12:00Z');
SELECT pg_temp.mk(4008, 'rapport-faser', 8, 'born-familie', '2024-03-01 12:00Z');
INSERT INTO tovholder_history (case_id, to_staff, department_id, reason, by_whom, at)
SELECT c.id, c.tovholder, c.tovholder_department, 'start', 'test', c.started_at + interval '1 minute'
  FROM cases c WHERE c.workflow_name = 'rapport-faser';
CREATE FUNCTION pg_temp.ev(the_case bigint, at timestamptz, cmds jsonb, st text DEFAULT 'done') RETURNS void
LANGUAGE sql AS $$
    INSERT INTO event (case_id, type, source, status, commands, due_at, done_at)
    VALUES (the_case, 'signal', 'test', st, CASE WHEN st = 'done' THEN cmds END, at,
            CASE WHEN st = 'done' THEN at END)
$$;
SELECT pg_temp.ev(4000 + i, '2025-01-10 12:00Z'::timestamptz + make_interval(days => 10 * i),
                  '[{"cmd": "set", "key": "x", "value": 1}, {"cmd": "phase", "phase": "afdaekning"}]')
  FROM generate_series(1, 6) i;
SELECT pg_temp.ev(4000 + i, '2025-01-10 12:00Z'::timestamptz + make_interval(days => 10 * i + d),
                  '[{"cmd": "phase", "phase": "overdragelse"}, {"cmd": "phase", "phase": "afgoerelse"}]')
  FROM (VALUES (1, 5), (2, 5), (3, 5), (4, 5), (5, 5), (6, 100)) v (i, d);
INSERT INTO tovholder_history (case_id, from_staff, to_staff, department_id, reason, by_whom, at)
SELECT e.case_id, 'mette', 'ayse', 'voksenhandicap', 'overdraget', 'test', e.done_at - interval '1 second'
  FROM event e WHERE e.commands @> '[{"phase": "afgoerelse"}]';
-- the same phase again changes nothing; an event without commands neither
SELECT pg_temp.ev(e.case_id, e.done_at + interval '1 day', '[{"cmd": "phase", "phase": "afgoerelse"}]')
  FROM event e WHERE e.commands @> '[{"phase": "afgoerelse"}]';
SELECT pg_temp.ev(e.case_id, e.done_at + interval '2 days', NULL)
  FROM event e WHERE e.commands @> '[{"phase": "afgoerelse"}]' AND e.case_id = 4001;
SELECT pg_temp.ev(e.case_id, e.done_at + interval '30 days 1 second', '[{"cmd": "phase", "phase": "afsluttet"}, {"cmd": "close"}]')
  FROM event e WHERE e.commands @> '[{"phase": "afgoerelse"}, {"cmd": "phase"}]'
                 AND e.commands @> '[{"phase": "overdragelse"}]';
UPDATE cases c SET status = 'closed', phase = 'afsluttet', tovholder = 'ayse', tovholder_department = 'voksenhandicap',
                   closed_at = e.done_at - interval '1 second', outcome = 'overgaaet'
  FROM event e WHERE e.case_id = c.id AND e.commands @> '[{"phase": "afsluttet"}]';
SELECT pg_temp.ev(4007, '2025-01-20 12:00Z', '[{"cmd": "phase", "phase": "afdaekning"}]');
SELECT pg_temp.ev(4008, '2024-03-11 12:00Z', '[{"cmd": "phase", "phase": "afdaekning"}]');
SELECT pg_temp.ev(4008, '2099-01-01 12:00Z', NULL, 'pending');

-- ---- rapport-effekt: c1..c10 in voksenhandicap ----
SELECT pg_temp.mk(5000 + i, 'rapport-effekt', i, 'voksenhandicap', '2024-05-01 12:00Z') FROM generate_series(1, 10) i;
CREATE FUNCTION pg_temp.me(ci integer, instr text, kind_ text, at timestamptz, num double precision,
                           txt text, goal text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, measured_at)
    VALUES (5000 + ci, goal, instr, kind_, num, txt, at)
$$;
-- FFB support need, lower is better: c1, c2, c3, c7, c9, c10 improved; c4 unchanged; c5
-- worse; c6 not assessed at baseline and c8 without a baseline (left out); c7's latest
-- follow-up counts; c1 measured per goal.
SELECT pg_temp.me(ci, 'ffb-stoettebehov', 'baseline', '2024-06-01 12:00Z', NULL, b, g)
  FROM (VALUES (1, 'moderat', 'maal-1'), (1, 'moderat', 'maal-2'), (2, 'omfattende', NULL),
               (3, 'fuldstændigt', NULL), (4, 'let', NULL), (5, 'let', NULL), (6, 'ikke vurderet', NULL),
               (7, 'moderat', NULL), (9, 'omfattende', NULL), (10, 'moderat', NULL)) v (ci, b, g);
SELECT pg_temp.me(ci, 'ffb-stoettebehov', 'followup', at, NULL, f, g)
  FROM (VALUES (1, 'let', 'maal-1', '2025-03-01 12:00Z'::timestamptz), (1, 'let', 'maal-2', '2025-03-01 12:00Z'),
               (2, 'moderat', NULL, '2025-03-01 12:00Z'), (3, 'let', NULL, '2025-03-01 12:00Z'),
               (4, 'let', NULL, '2025-03-01 12:00Z'), (5, 'moderat', NULL, '2025-03-01 12:00Z'),
               (6, 'let', NULL, '2025-03-01 12:00Z'), (7, 'omfattende', NULL, '2025-02-01 12:00Z'),
               (7, 'ingen', NULL, '2025-09-01 12:00Z'), (8, 'let', NULL, '2025-03-01 12:00Z'),
               (9, 'moderat', NULL, '2025-03-01 12:00Z'), (10, 'let', NULL, '2025-03-01 12:00Z')) v (ci, f, g, at);
-- trivsel, higher is better: c1..c5 from 5 to 7, c6..c10 stay at 5 (c4 falls in 2026: outside)
SELECT pg_temp.me(i, 'trivsel', 'baseline', '2024-06-01 12:00Z', 5, NULL) FROM generate_series(1, 10) i;
SELECT pg_temp.me(i, 'trivsel', 'followup', '2025-06-01 12:00Z', CASE WHEN i <= 5 THEN 7 ELSE 5 END, NULL)
  FROM generate_series(1, 10) i;
SELECT pg_temp.me(4, 'trivsel', 'followup', '2026-02-01 12:00Z', 1, NULL);
-- goal results: opnaaet for 6 goals of 6 citizens (c6's earlier result is replaced), one
-- delvist opnået, one ikke opnaaet
SELECT pg_temp.me(ci, 'maalopfyldelse', 'followup', at, NULL, res, g)
  FROM (VALUES (1, 'opnaaet', 'maal-1', '2025-05-01 12:00Z'::timestamptz),
               (1, 'delvist opnået', 'maal-2', '2025-05-01 12:00Z'), (2, 'opnaaet', 'maal-1', '2025-05-01 12:00Z'),
               (3, 'opnaaet', 'maal-1', '2025-05-01 12:00Z'), (4, 'opnaaet', 'maal-1', '2025-05-01 12:00Z'),
               (5, 'ikke opnaaet', 'maal-1', '2025-05-01 12:00Z'), (6, 'ikke opnaaet', 'maal-1', '2025-02-01 12:00Z'),
               (6, 'opnaaet', 'maal-1', '2025-05-01 12:00Z'), (7, ' Opnaaet', 'maal-1', '2025-05-01 12:00Z')) v (ci, res, g, at);
"""


def get(report, query, who="chef/manager", status=200):
    r = call("GET", f"/v1/reports/{report}?{query}", who)
    expect(r, status, f"{who} {report}?{query}")
    return r


def rows_by(rows, *keys):
    out = {}
    for row in rows:
        k = tuple(row[x] for x in keys)
        assert k not in out, f"two rows for {k}"
        out[k] = row
    return out


def no_person(r, what):
    no_person_data(r, what)
    for s in STAFF:
        assert not re.search(r"\b" + s + r"\b", r.text), f"{what}: a staff member ({s}) appears: {r.text[:300]}"
    assert not re.search(r'"(citizen|citizen_id|case|case_id|tovholder|assignee|name|id)"', r.text), \
        f"{what}: a person's or case's id: {r.text[:300]}"


def setup():
    """the known data set"""
    sql(DATA)


def report_cases():
    """cases: started, active, open at the end and closed by outcome, per workflow and department"""
    r = get("cases", YEAR + "&workflow=rapport-sager")
    b = r.body
    assert b["report"] == "cases" and b["period"] == {"from": "2025-01-01", "to": "2025-12-31"}, b
    assert b["filters"] == {"workflow": "rapport-sager", "department": None} and b["min_group"] == 5
    rows = rows_by(b["rows"], "workflow", "department")
    assert set(rows) == {("rapport-sager", "born-familie"), ("rapport-sager", "voksenhandicap"),
                         ("rapport-sager", "jobcenter")}, rows.keys()
    # started 2025-01-01 00:30 Danish time is in the year, 2026-01-01 00:30 is not
    assert rows[("rapport-sager", "born-familie")] == {
        "workflow": "rapport-sager", "department": "born-familie", "started": 7, "active": 9,
        "open_at_end": 7, "closed": None,
        "closed_by_outcome": [{"outcome": "afslaaet", "closed": None, "suppressed": ["closed"]}],
        "suppressed": ["closed"]}, rows[("rapport-sager", "born-familie")]
    assert rows[("rapport-sager", "voksenhandicap")] == {
        "workflow": "rapport-sager", "department": "voksenhandicap", "started": None, "active": 8,
        "open_at_end": None, "closed": 7,
        "closed_by_outcome": [{"outcome": "overgaaet", "closed": 7, "suppressed": []}],
        "suppressed": ["open_at_end", "started"]}, rows[("rapport-sager", "voksenhandicap")]
    # 5 cases but 3 citizens: suppressed
    assert rows[("rapport-sager", "jobcenter")] == {
        "workflow": "rapport-sager", "department": "jobcenter", "started": None, "active": None,
        "open_at_end": None, "closed": 0, "closed_by_outcome": [],
        "suppressed": ["active", "open_at_end", "started"]}, rows[("rapport-sager", "jobcenter")]
    assert b["suppressed"] == 2 + 2 + 3, b["suppressed"]
    no_person(r, "cases")
    # the department filter; 2024: only what was open in 2024
    r = get("cases", YEAR + "&workflow=rapport-sager&department=voksenhandicap")
    assert [x["department"] for x in r.body["rows"]] == ["voksenhandicap"], r.body
    r = get("cases", "from=2024-01-01&to=2024-12-31&workflow=rapport-sager")
    rows = rows_by(r.body["rows"], "department")
    assert rows[("voksenhandicap",)]["started"] == 7 and rows[("voksenhandicap",)]["closed"] == 0, rows
    # without a workflow filter the other workflows' cases are there too, and the seeded ones
    # (started now) are not in 2025
    r = get("cases", YEAR)
    wfs = {x["workflow"] for x in r.body["rows"]}
    assert wfs == {"rapport-sager", "rapport-frister", "rapport-faser", "rapport-effekt"}, wfs


def report_deadlines_met():
    """deadlines met and missed: per department and kind, and per task key (§ 111, the 18th birthday)"""
    r = get("deadlines-met", YEAR + "&workflow=rapport-frister")
    b = r.body
    rows = rows_by(b["rows"], "workflow", "department", "kind")
    assert rows == {
        ("rapport-frister", "born-familie", "task"): {
            "workflow": "rapport-frister", "department": "born-familie", "kind": "task",
            "due": 12, "met": 6, "missed": 6, "open": 0, "suppressed": []},
        ("rapport-frister", "voksenhandicap", "handover"): {
            "workflow": "rapport-frister", "department": "voksenhandicap", "kind": "handover",
            "due": None, "met": 5, "missed": None, "open": 0, "suppressed": ["due", "missed"]},
    }, rows
    keys = rows_by(b["by_key"], "key", "kind")
    assert set(keys) == {("afgoerelse-111", "task"), ("afgoerelse-voksen", "task"),
                         ("overdragelse", "handover")}, keys.keys()
    k111 = keys[("afgoerelse-111", "task")]
    assert (k111["due"], k111["met"], k111["missed"], k111["open"]) == (6, 6, 0, 0), k111
    assert "§ 111" in k111["deadline"], k111
    kv = keys[("afgoerelse-voksen", "task")]
    assert (kv["due"], kv["met"], kv["missed"], kv["open"]) == (6, 0, 6, 0), kv
    assert "18-årsdagen" in kv["deadline"], kv
    ko = keys[("overdragelse", "handover")]
    assert (ko["due"], ko["met"], ko["missed"], ko["suppressed"]) == (None, 5, None, ["due", "missed"]), ko
    no_person(r, "deadlines-met")
    # not yet due: open
    r = get("deadlines-met", "from=2099-01-01&to=2099-12-31&workflow=rapport-frister")
    assert r.body["rows"] == [{"workflow": "rapport-frister", "department": "born-familie", "kind": "task",
                               "due": 5, "met": 0, "missed": 0, "open": 5, "suppressed": []}], r.body
    r = get("deadlines-met", YEAR + "&workflow=rapport-frister&department=voksenhandicap")
    assert [x["department"] for x in r.body["rows"]] == ["voksenhandicap"], r.body


def report_phases():
    """time in each phase: median and 90th percentile in days, by the department holding the case"""
    r = get("phases", YEAR + "&workflow=rapport-faser")
    rows = r.body["rows"]
    assert rows == [
        {"workflow": "rapport-faser", "phase": "dialog", "phase_title": "dialog", "department": "born-familie",
         "intervals": 6, "median_days": 35.0, "p90_days": 55.0, "suppressed": []},
        {"workflow": "rapport-faser", "phase": "dialog", "phase_title": "dialog", "department": "jobcenter",
         "intervals": None, "median_days": None, "p90_days": None,
         "suppressed": ["intervals", "median_days", "p90_days"]},
        {"workflow": "rapport-faser", "phase": "afdaekning", "phase_title": "Afdækning",
         "department": "born-familie", "intervals": 6, "median_days": 5.0, "p90_days": 52.5, "suppressed": []},
        {"workflow": "rapport-faser", "phase": "afgoerelse", "phase_title": "afgoerelse",
         "department": "voksenhandicap", "intervals": 6, "median_days": 30.0, "p90_days": 30.0, "suppressed": []},
    ], rows
    no_person(r, "phases")
    r = get("phases", YEAR + "&workflow=rapport-faser&department=voksenhandicap")
    assert [(x["phase"], x["department"]) for x in r.body["rows"]] == [("afgoerelse", "voksenhandicap")], r.body
    # in 2024 only c8's dialog ended: too few
    r = get("phases", "from=2024-01-01&to=2024-12-31&workflow=rapport-faser")
    assert [(x["phase"], x["department"], x["intervals"]) for x in r.body["rows"]] == \
        [("dialog", "born-familie", None)], r.body


def report_effect():
    """effect: improved, unchanged, worse per instrument (FFB: less need is better), and goal results"""
    r = get("effect", YEAR + "&workflow=rapport-effekt")
    b = r.body
    rows = rows_by(b["rows"], "instrument")
    assert rows[("ffb-stoettebehov",)] == {
        "workflow": "rapport-effekt", "department": "voksenhandicap", "instrument": "ffb-stoettebehov",
        "better": "lower", "cases": None, "improved": 6, "unchanged": None, "worse": None,
        "share_improved": None, "share_unchanged": None, "share_worse": None,
        "suppressed": ["cases", "unchanged", "worse"]}, rows[("ffb-stoettebehov",)]
    assert rows[("trivsel",)] == {
        "workflow": "rapport-effekt", "department": "voksenhandicap", "instrument": "trivsel",
        "better": "higher", "cases": 10, "improved": 5, "unchanged": 5, "worse": 0,
        "share_improved": 0.5, "share_unchanged": 0.5, "share_worse": 0, "suppressed": []}, rows[("trivsel",)]
    assert b["goal_results"] == [{
        "workflow": "rapport-effekt", "department": "voksenhandicap", "goals": None, "opnaaet": 6,
        "delvist_opnaaet": None, "ikke_opnaaet": None, "ikke_relevant": 0,
        "suppressed": ["delvist_opnaaet", "goals", "ikke_opnaaet"]}], b["goal_results"]
    no_person(r, "effect")
    # in 2026 c4's trivsel fell, alone: suppressed
    r = get("effect", "from=2026-01-01&to=2026-12-31&workflow=rapport-effekt")
    assert [(x["instrument"], x["cases"], x["worse"]) for x in r.body["rows"]] == [("trivsel", None, None)], r.body
    assert r.body["goal_results"] == []


def csv():
    """CSV: text/csv, a header and a line per row, suppressed numbers empty with a note"""
    r = get("cases", YEAR + "&workflow=rapport-sager&format=csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8", r.headers
    assert r.text.endswith("\r\n") and "\n" not in r.text.replace("\r\n", ""), repr(r.text)
    lines = r.text.split("\r\n")[:-1]
    assert lines == [
        "section,workflow,department,outcome,started,active,open_at_end,closed,note",
        "cases,rapport-sager,born-familie,,7,9,7,,suppressed (1 to 4 citizens): closed",
        "closed_by_outcome,rapport-sager,born-familie,afslaaet,,,,,suppressed (1 to 4 citizens): closed",
        "cases,rapport-sager,jobcenter,,,,,0,suppressed (1 to 4 citizens): active open_at_end started",
        "cases,rapport-sager,voksenhandicap,,,8,,7,suppressed (1 to 4 citizens): open_at_end started",
        "closed_by_outcome,rapport-sager,voksenhandicap,overgaaet,,,,7,",
    ], lines
    no_person(r, "cases csv")
    for report in REPORTS:
        r = get(report, YEAR + "&format=csv")
        assert r.headers["content-type"] == "text/csv; charset=utf-8", (report, r.headers)
        assert r.text.endswith("\r\n"), (report, r.text[-100:])
        table = list(csv_module.reader(io.StringIO(r.text, newline="")))
        assert len(table) >= 2 and table[0][-1] == "note", (report, table[:2])
        for line in table[1:]:
            assert len(line) == len(table[0]), (report, line)
        no_person(r, report + " csv")
        j = get(report, YEAR + "&format=json")
        assert j.headers["content-type"] == "application/json" and j.body["report"] == report
    r = get("deadlines-met", YEAR + "&workflow=rapport-frister&format=csv")
    table = list(csv_module.reader(io.StringIO(r.text, newline="")))
    assert table[0] == ["section", "workflow", "department", "key", "kind", "deadline", "due", "met",
                        "missed", "open", "note"], table[0]
    assert table[4][:5] == ["key", "rapport-frister", "", "afgoerelse-voksen", "task"], table[4]
    assert "18-årsdagen" in table[4][5] and table[4][6:] == ["6", "0", "6", "0", ""], table[4]
    assert table[5][6:] == ["", "5", "", "0", "suppressed (1 to 4 citizens): due missed"], table[5]
    r = get("phases", YEAR + "&workflow=rapport-faser&format=csv")
    assert r.text.split("\r\n")[1] == "rapport-faser,dialog,dialog,born-familie,6,35.0,55.0,", r.text


def period_checked():
    """the period: from and to required, real dates, from not after to; filters and format checked"""
    for report in REPORTS:
        for q, field in [("to=2025-12-31", "from"), ("from=2025-01-01", "to"),
                         ("from=2025-02-30&to=2025-12-31", "from"), ("from=2025-01-01&to=31-12-2025", "to"),
                         ("from=2025-01-01&to=", "to"), ("from=2025-13-01&to=2025-12-31", "from"),
                         ("from=2025-06-01&to=2025-05-31", "from"),
                         (YEAR + "&workflow=ingen-saadan", "workflow"),
                         (YEAR + "&department=ingen-saadan", "department"),
                         (YEAR + "&format=xlsx", "format")]:
            r = expect_problem(get(report, q, status=400), 400, "bad-parameter", f"{report}?{q}")
            assert r.body.get("field") == field, (report, q, r.body)
        r = expect_problem(get(report, YEAR + "&citizen=1001", status=400), 400, "unknown-parameter")
        assert r.body.get("field") == "citizen"
    # a single day is a period
    expect(get("cases", "from=2025-02-01&to=2025-02-01&workflow=rapport-sager"), 200)


def roles():
    """manager and administrator only; nothing in the access log"""
    before = access_log_count()
    for report in REPORTS:
        for who in TOKENS:
            allowed = who.split("/")[1] in ("manager", "administrator")
            r = call("GET", f"/v1/reports/{report}?{YEAR}", who)
            if allowed:
                expect(r, 200, f"{who} {report}")
                no_person(r, f"{who} {report}")
            else:
                expect_problem(r, 403, "forbidden", f"{who} {report}")
                no_person_data(r)
        expect_problem(call("GET", f"/v1/reports/{report}?{YEAR}", None), 401, "unauthorized")
        expect(call("POST", f"/v1/reports/{report}?{YEAR}", "chef/manager", body={}, check=False), 405)
    assert access_log_count() == before, "a report wrote access log rows"


def openapi_documents_them():
    """the OpenAPI document describes every report: roles, parameters, JSON and CSV, errors"""
    doc = openapi()
    for report, op_id in [("cases", "report_cases"), ("deadlines-met", "report_deadlines_met"),
                          ("phases", "report_phases"), ("effect", "report_effect")]:
        op = doc["paths"][f"/v1/reports/{report}"]["get"]
        assert op["operationId"] == op_id and op["x-roles"] == ["manager", "administrator"], op
        names = set()
        for p in op["parameters"]:
            p = doc["components"]["parameters"][p["$ref"].split("/")[-1]]
            names.add(p["name"])
            assert p["in"] == "query"
            if p["name"] in ("from", "to"):
                assert p["required"] and p["schema"]["format"] == "date"
        assert names == {"from", "to", "workflow", "department", "format"}, names
        content = op["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, content
        assert set(op["responses"]) == {"200", "400", "401", "403"}, op["responses"].keys()
    # the deadline report of routes_admin.c is still there
    r = expect(call("GET", "/v1/reports/deadlines", "chef/manager"), 200)
    no_person_data(r)


main([setup, report_cases, report_deadlines_met, report_phases, report_effect, csv, period_checked,
      roles, openapi_documents_them])
