"""The effect report compares each measure on its instrument's scale as the registry gives it
(issue 9: the report is computed set-based from the registry): yes/no words (no before yes),
a scale on which less is better, words written with other case, spacing and æ ø å, a word
that cannot be compared left out, an instrument without a better direction left out, a
follow-up counted only when it came after the first baseline, and of two baselines taken at
the same moment the one recorded first. Six citizens in one workflow, so the answers are
known exactly."""
import apilib
from apilib import *

YEAR = "from=2025-01-01&to=2025-12-31&workflow=rapport-skalaer"
NAMES = [f"Skalaborger Nummer{i}" for i in range(1, 7)]
apilib.CITIZEN_NAMES += NAMES

INSTRUMENTS = [
    {"name": "skala-ja-nej", "title": "Har et fritidsjob", "kind": "yesno",
     "values": {"words": ["nej", "ja", "ikke oplyst"], "not_comparable": ["ikke oplyst"]},
     "better": "higher"},
    {"name": "skala-smerte", "title": "Smerte 1-10", "kind": "scale",
     "values": {"min": 1, "max": 10}, "better": "lower"},
    {"name": "skala-trin", "title": "Trin", "kind": "level",
     "values": {"words": ["Første", "Anden", "Tredje"]}, "better": "higher"},
    {"name": "skala-humoer", "title": "Humør", "kind": "level",
     "values": {"words": ["dårligt", "godt"]}},
]

DATA = r"""
INSERT INTO citizen (id, display_name, birth_date)
SELECT 7000 + i, 'Skalaborger Nummer' || i, '2008-01-01' FROM generate_series(1, 6) i;
INSERT INTO workflow (name, version, title, source, checksum, definition, deployed_by)
VALUES ('rapport-skalaer', 1, 'Rapporttest skalaer', 'return workflow {}', 'x',
        '{"handlers": [], "start": {"kind": "event"}, "phases": [{"name": "dialog", "text": "", "next": []}]}',
        'test');
INSERT INTO cases (id, citizen_id, workflow_name, workflow_version, phase, status, tovholder,
                   tovholder_department, revision, started_at)
SELECT 8000 + i, 7000 + i, 'rapport-skalaer', 1, 'dialog', 'active', 'ayse', 'voksenhandicap', 1,
       '2024-05-01 12:00Z'
  FROM generate_series(1, 6) i;
CREATE FUNCTION pg_temp.me(ci integer, instr text, kind_ text, at timestamptz, num double precision,
                           txt text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO measure (case_id, instrument, kind, value_num, value_text, measured_at)
    VALUES (8000 + ci, instr, kind_, num, txt, at)
$$;
-- yes/no: nej before, ja after (c1..c5: improved); c6 answered 'ikke oplyst' (left out)
SELECT pg_temp.me(i, 'skala-ja-nej', 'baseline', '2025-02-01 12:00Z', NULL, 'nej') FROM generate_series(1, 6) i;
SELECT pg_temp.me(i, 'skala-ja-nej', 'followup', '2025-06-01 12:00Z', NULL, CASE WHEN i <= 5 THEN ' Ja' ELSE 'Ikke oplyst' END)
  FROM generate_series(1, 6) i;
-- pain, less is better: c1..c5 had two baselines at the same moment, 5 recorded first, then 2;
-- the first counts, so 3 afterwards is better. c6's follow-up came before its baseline.
SELECT pg_temp.me(i, 'skala-smerte', 'baseline', '2025-02-01 12:00Z', v, NULL)
  FROM generate_series(1, 5) i, unnest(ARRAY[5, 2]) v;
SELECT pg_temp.me(i, 'skala-smerte', 'followup', '2025-06-01 12:00Z', 3, NULL) FROM generate_series(1, 5) i;
SELECT pg_temp.me(6, 'skala-smerte', 'baseline', '2025-03-01 12:00Z', 5, NULL);
SELECT pg_temp.me(6, 'skala-smerte', 'followup', '2025-02-15 12:00Z', 9, NULL);
-- steps, written as people write them: c1..c5 from ' første' up to 'TREDJE'; c6 stays at
-- 'FØRSTE ' (unchanged, one citizen: suppressed, and so is the total)
SELECT pg_temp.me(i, 'skala-trin', 'baseline', '2025-02-01 12:00Z', NULL, ' første') FROM generate_series(1, 6) i;
SELECT pg_temp.me(i, 'skala-trin', 'followup', '2025-06-01 12:00Z', NULL, CASE WHEN i <= 5 THEN 'TREDJE' ELSE 'FØRSTE ' END)
  FROM generate_series(1, 6) i;
-- mood has no better direction: a change is neither better nor worse, and no row
SELECT pg_temp.me(i, 'skala-humoer', 'baseline', '2025-02-01 12:00Z', NULL, 'dårligt') FROM generate_series(1, 6) i;
SELECT pg_temp.me(i, 'skala-humoer', 'followup', '2025-06-01 12:00Z', NULL, 'godt') FROM generate_series(1, 6) i;
"""


def setup():
    """an administrator registers four instruments; the known data set"""
    for i in INSTRUMENTS:
        expect(call("POST", "/v1/instruments", "admin/administrator", i), 201, i["name"])
    sql(DATA)


def scored_by_the_registry():
    """improved, unchanged and worse on each instrument's own scale"""
    r = expect(call("GET", "/v1/reports/effect?" + YEAR, "chef/manager"), 200)
    rows = {x["instrument"]: x for x in r.body["rows"]}
    assert list(rows) == ["skala-ja-nej", "skala-smerte", "skala-trin"], r.body["rows"]
    common = {"workflow": "rapport-skalaer", "department": "voksenhandicap"}
    assert rows["skala-ja-nej"] == {
        **common, "instrument": "skala-ja-nej", "better": "higher", "cases": 5, "improved": 5,
        "unchanged": 0, "worse": 0, "share_improved": 1, "share_unchanged": 0, "share_worse": 0,
        "suppressed": []}, rows["skala-ja-nej"]
    assert rows["skala-smerte"] == {
        **common, "instrument": "skala-smerte", "better": "lower", "cases": 5, "improved": 5,
        "unchanged": 0, "worse": 0, "share_improved": 1, "share_unchanged": 0, "share_worse": 0,
        "suppressed": []}, rows["skala-smerte"]
    assert rows["skala-trin"] == {
        **common, "instrument": "skala-trin", "better": "higher", "cases": None, "improved": 5,
        "unchanged": None, "worse": 0, "share_improved": None, "share_unchanged": None,
        "share_worse": None, "suppressed": ["cases", "unchanged"]}, rows["skala-trin"]
    assert r.body["goal_results"] == [], r.body["goal_results"]
    no_person_data(r, "effect")


def period_counts_the_follow_up():
    """a follow-up outside the period is not compared"""
    r = expect(call("GET", "/v1/reports/effect?from=2025-01-01&to=2025-05-31&workflow=rapport-skalaer",
                    "chef/manager"), 200)
    assert r.body["rows"] == [], r.body["rows"]


main([setup, scored_by_the_registry, period_counts_the_follow_up])
