-- The instrument registry: the measures of effect a workflow may record with case:measure
-- { instrument = ..., value = ... }, each with its scale. The step logic refuses a measure
-- with an instrument the registry lacks or a value off its scale (engine/core/instruments.c,
-- through the staff directory snapshot), and the reports and the FHIR export read how to
-- compare values from here instead of from instrument names.
--
-- kind and "values":
--   level   ordered words, least first: {"words": [...], "not_comparable": [...]}; the
--           not-comparable words ('ikke vurderet') are allowed but have no place on the scale
--   result  a goal result, the same shape (the effect report's goal results)
--   yesno   {"words": [no, yes], "not_comparable": [...]}: two comparable words, no first
--   scale   whole numbers {"min": 1, "max": 10, "not_comparable": [...]}
--   number  any number {"min": 0, "max": 168 or null, "unit": "timer pr. uge",
--           "not_comparable": [...]}
-- Words are compared as instrument_word() writes them: trimmed, lower case, æ ø å as ae oe
-- aa ('Fuldstændigt' is 'fuldstaendigt').
-- better: 'higher' or 'lower' (up the scale, or down it, is an improvement), or NULL when a
-- change is no improvement or decline in itself (goal results).

CREATE TABLE instrument (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]*$' AND length(name) <= 64),
    title        text NOT NULL CHECK (btrim(title) <> ''),
    description  text,
    kind         text NOT NULL CHECK (kind IN ('level', 'scale', 'yesno', 'number', 'result')),
    "values"     jsonb NOT NULL,
    better       text CHECK (better IN ('higher', 'lower')),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A word as the registry compares it.
CREATE FUNCTION instrument_word(w text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT replace(replace(replace(lower(btrim(w)), 'æ', 'ae'), 'ø', 'oe'), 'å', 'aa')
$$;

-- What is wrong with an instrument's scale, in words an administrator can act on; NULL when
-- nothing is. The table's check and POST /v1/instruments use it.
CREATE FUNCTION instrument_problem(kind text, v jsonb, better text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    words text[];
    nc text[];
BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'object' THEN
        RETURN 'values must be an object: see the kinds in GET /v1/instruments.';
    END IF;
    IF v ? 'not_comparable' AND (jsonb_typeof(v->'not_comparable') <> 'array'
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(v->'not_comparable') x
                   WHERE jsonb_typeof(x) <> 'string' OR btrim(x #>> '{}') = '')) THEN
        RETURN 'values.not_comparable must be a list of words, such as ["ikke vurderet"].';
    END IF;
    SELECT array_agg(instrument_word(x)) INTO nc
      FROM jsonb_array_elements_text(coalesce(v->'not_comparable', '[]')) x;
    nc := coalesce(nc, '{}');
    IF kind IN ('level', 'result', 'yesno') THEN
        IF jsonb_typeof(v->'words') IS DISTINCT FROM 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(v->'words') x
                       WHERE jsonb_typeof(x) <> 'string' OR btrim(x #>> '{}') = '') THEN
            RETURN format('A %s instrument lists its words in order in values.words, such as '
                          '["ingen", "let", "moderat"].', kind);
        END IF;
        SELECT array_agg(instrument_word(x)) INTO words
          FROM jsonb_array_elements_text(v->'words') x;
        words := coalesce(words, '{}');
        IF (SELECT count(DISTINCT w) FROM unnest(words) w) <> cardinality(words) THEN
            RETURN 'values.words names a word twice.';
        END IF;
        IF NOT nc <@ words THEN
            RETURN 'Every word of values.not_comparable must be one of values.words too.';
        END IF;
        IF kind = 'yesno' AND cardinality(words) - cardinality(nc) <> 2 THEN
            RETURN 'A yesno instrument has two comparable words in values.words, no first: '
                   '["nej", "ja"].';
        END IF;
        IF cardinality(words) - cardinality(nc) < 1 THEN
            RETURN 'values.words needs at least one word that is not in values.not_comparable.';
        END IF;
    ELSE
        IF jsonb_typeof(v->'min') IS DISTINCT FROM 'number'
           OR (kind = 'scale' AND jsonb_typeof(v->'max') IS DISTINCT FROM 'number')
           OR (kind = 'number' AND v ? 'max' AND jsonb_typeof(v->'max') NOT IN ('number', 'null')) THEN
            RETURN CASE WHEN kind = 'scale'
                THEN 'A scale instrument gives whole numbers values.min and values.max, such as 1 and 10.'
                ELSE 'A number instrument gives values.min (and values.max, or null for no limit).' END;
        END IF;
        IF kind = 'scale' AND ((v->>'min')::numeric % 1 <> 0 OR (v->>'max')::numeric % 1 <> 0) THEN
            RETURN 'A scale''s values.min and values.max are whole numbers.';
        END IF;
        IF jsonb_typeof(v->'max') = 'number' AND (v->>'max')::numeric <= (v->>'min')::numeric THEN
            RETURN 'values.max must be greater than values.min.';
        END IF;
        IF kind = 'number' AND (jsonb_typeof(v->'unit') IS DISTINCT FROM 'string'
                                OR btrim(v->>'unit') = '') THEN
            RETURN 'A number instrument names its unit in values.unit, such as "timer pr. uge".';
        END IF;
    END IF;
    IF kind = 'result' AND better IS NOT NULL THEN
        RETURN 'A result instrument has no better direction: leave better out.';
    END IF;
    RETURN NULL;
END $$;

ALTER TABLE instrument ADD CONSTRAINT instrument_scale
    CHECK (instrument_problem(kind, "values", better) IS NULL);

-- The step logic keeps the registry in its snapshot of the directory: a change is read
-- before the next step.
CREATE TRIGGER instrument_changed AFTER INSERT OR UPDATE OR DELETE ON instrument
    FOR EACH STATEMENT EXECUTE FUNCTION bump_directory_version();

-- The shipped instruments. This JSON list (dollar-quoted, tag registry) is also read by the
-- binaries (engine/core/instruments.h): the simulator and `overgang test` know the same
-- registry without a database. Keep it one JSON array; change the shipped registry in a new
-- migration, not here.
INSERT INTO instrument (name, title, description, kind, "values", better)
SELECT x.name, x.title, x.description, x.kind, x."values", x.better
  FROM jsonb_to_recordset($registry$
[
  {"name": "ffb-stoettebehov",
   "title": "Støttebehov (FFB)",
   "description": "Fælles Faglige Begreber: hvor meget støtte borgeren har brug for, fra ingen til fuldstændigt; ikke vurderet, når det ikke er vurderet. Mindre behov er bedre.",
   "kind": "level",
   "values": {"words": ["ingen", "let", "moderat", "omfattende", "fuldstaendigt", "ikke vurderet"],
              "not_comparable": ["ikke vurderet"]},
   "better": "lower"},
  {"name": "selvvurdering-1-10",
   "title": "Selvvurdering 1-10",
   "description": "Borgerens egen vurdering på en skala fra 1 til 10; ikke oplyst, når borgeren ikke har svaret.",
   "kind": "scale",
   "values": {"min": 1, "max": 10, "not_comparable": ["ikke oplyst"]},
   "better": "higher"},
  {"name": "i-job-eller-uddannelse",
   "title": "I job eller uddannelse",
   "description": "Om borgeren er i job eller uddannelse: ja eller nej; ikke oplyst, når det ikke er oplyst.",
   "kind": "yesno",
   "values": {"words": ["nej", "ja", "ikke oplyst"], "not_comparable": ["ikke oplyst"]},
   "better": "higher"},
  {"name": "timer-pr-uge",
   "title": "Timer pr. uge",
   "description": "Timer om ugen i job eller uddannelse; ikke oplyst, når det ikke er oplyst.",
   "kind": "number",
   "values": {"min": 0, "max": 168, "unit": "timer pr. uge", "not_comparable": ["ikke oplyst"]},
   "better": "higher"},
  {"name": "maalopfyldelse",
   "title": "Målopfyldelse",
   "description": "Hvordan det gik med borgerens mål ved opfølgningen.",
   "kind": "result",
   "values": {"words": ["opnaaet", "delvist opnaaet", "ikke opnaaet", "ikke relevant"],
              "not_comparable": ["ikke relevant"]},
   "better": null}
]
$registry$::jsonb) AS x (name text, title text, description text, kind text, "values" jsonb,
                        better text);

-- Where VALUE stands on INSTRUMENT's scale, up the scale as the registry orders it: a number
-- as it is (level, result and yes/no words by their place among the comparable words, least
-- first). NULL for a not-comparable word and for what the scale does not know.
CREATE FUNCTION instrument_rank(i instrument, value_num double precision, value_text text)
RETURNS double precision LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN i.kind IN ('scale', 'number') THEN value_num
        ELSE coalesce(value_num, (
            SELECT c.n - 1
              FROM (SELECT x.w, row_number() OVER (ORDER BY x.k) AS n
                      FROM jsonb_array_elements_text(i."values"->'words')
                           WITH ORDINALITY AS x (w, k)
                     WHERE NOT EXISTS (
                           SELECT 1
                             FROM jsonb_array_elements_text(
                                      coalesce(i."values"->'not_comparable', '[]')) y
                            WHERE overgang.instrument_word(y) = overgang.instrument_word(x.w))) c
             WHERE overgang.instrument_word(c.w) = overgang.instrument_word(value_text)))
    END
$$;

-- Whether NAME is a level instrument on FFB's scale of support need (ingen ... fuldstændigt):
-- the measures the FHIR export codes with FFB's levels.
CREATE FUNCTION instrument_on_ffb_scale(name text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM instrument i
                    WHERE i.name = instrument_on_ffb_scale.name AND i.kind = 'level'
                      AND i."values"->'words'
                          @> '["ingen", "let", "moderat", "omfattende", "fuldstaendigt"]')
$$;

-- Where a measure's value stands on its instrument's scale, better higher (replaces the name
-- rules of 0008): the registry's rank, turned round when less is better; NULL when the
-- instrument has no better direction or the value cannot be compared. An instrument the
-- registry lacks (measures recorded before it) counts its numbers as they are, higher better.
CREATE OR REPLACE FUNCTION report_score(instrument text, value_num double precision,
                                        value_text text)
RETURNS double precision LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT CASE WHEN i.name IS NULL THEN value_num
                WHEN i.better = 'higher' THEN instrument_rank(i, value_num, value_text)
                WHEN i.better = 'lower' THEN -instrument_rank(i, value_num, value_text)
           END
      FROM (SELECT 1) one
      LEFT JOIN instrument i ON i.name = report_score.instrument
$$;

-- Which way is better for INSTRUMENT in the effect report: the registry's word, 'higher' for
-- an instrument it lacks.
CREATE FUNCTION report_better(instrument text) RETURNS text LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT CASE WHEN i.name IS NULL THEN 'higher' ELSE i.better END
      FROM (SELECT 1) one
      LEFT JOIN instrument i ON i.name = report_better.instrument
$$;

-- The kind of INSTRUMENT, NULL when the registry lacks it.
CREATE FUNCTION instrument_kind(name text) RETURNS text LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT i.kind FROM instrument i WHERE i.name = instrument_kind.name
$$;

-- The effect report of 0008, reading the registry: the instruments compared against the
-- baseline are those that are not goal results, each with the registry's better direction
-- (report_score, report_better); the goal results are the measures of result instruments.
-- Per workflow, department (the tovholder's) and instrument: the cases whose latest follow-up
-- in the period came after their first baseline, and how many of them improved, stayed the
-- same or got worse, with the shares. And the goal results (instrument maalopfyldelse, the
-- latest follow-up of each goal in the period): opnaaet, delvist opnaaet, ikke opnaaet, ikke
-- relevant.
CREATE OR REPLACE FUNCTION api_report_effect(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
    goals_ jsonb;
BEGIN
    WITH m AS (
        SELECT m.*, c.workflow_name AS wf, c.tovholder_department AS dep, c.citizen_id AS ci
          FROM measure m JOIN cases c ON c.id = m.case_id
         WHERE instrument_kind(m.instrument) IS DISTINCT FROM 'result'
           AND (q.workflow IS NULL OR c.workflow_name = q.workflow)
           AND (q.department IS NULL OR c.tovholder_department = q.department)),
    base AS (
        SELECT DISTINCT ON (m.case_id, m.instrument) m.case_id, m.instrument, m.measured_at,
               report_score(m.instrument, m.value_num, m.value_text) AS score
          FROM m WHERE m.kind = 'baseline'
         ORDER BY m.case_id, m.instrument, m.measured_at, m.id),
    fu AS (
        SELECT DISTINCT ON (m.case_id, m.instrument) m.case_id, m.instrument, m.wf, m.dep, m.ci,
               report_score(m.instrument, m.value_num, m.value_text) AS score
          FROM m JOIN base b ON b.case_id = m.case_id AND b.instrument = m.instrument
         WHERE m.kind = 'followup' AND m.measured_at > b.measured_at
           AND m.measured_at >= q.p_start AND m.measured_at < q.p_end
         ORDER BY m.case_id, m.instrument, m.measured_at DESC, m.id DESC),
    pairs AS (
        SELECT fu.wf, fu.dep, fu.instrument, fu.ci, sign(fu.score - b.score) AS d
          FROM fu JOIN base b ON b.case_id = fu.case_id AND b.instrument = fu.instrument
         WHERE fu.score IS NOT NULL AND b.score IS NOT NULL),
    g AS (
        SELECT p.wf, p.dep, p.instrument, report_cells(jsonb_build_object(
                   'cases', report_nc(count(*), count(DISTINCT p.ci)),
                   'improved', report_nc(count(*) FILTER (WHERE p.d > 0),
                                         count(DISTINCT p.ci) FILTER (WHERE p.d > 0)),
                   'unchanged', report_nc(count(*) FILTER (WHERE p.d = 0),
                                          count(DISTINCT p.ci) FILTER (WHERE p.d = 0)),
                   'worse', report_nc(count(*) FILTER (WHERE p.d < 0),
                                      count(DISTINCT p.ci) FILTER (WHERE p.d < 0))),
                   'cases') AS cells
          FROM pairs p GROUP BY p.wf, p.dep, p.instrument)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'workflow', g.wf, 'department', g.dep, 'instrument', g.instrument,
               'better', report_better(g.instrument),
               'share_improved', report_share(g.cells->'improved', g.cells->'cases'),
               'share_unchanged', report_share(g.cells->'unchanged', g.cells->'cases'),
               'share_worse', report_share(g.cells->'worse', g.cells->'cases')) || g.cells
               ORDER BY g.wf, g.dep NULLS LAST, g.instrument), '[]')
      INTO rows_
      FROM g;

    WITH res AS (
        SELECT DISTINCT ON (m.case_id, m.goal_key) c.workflow_name AS wf,
               c.tovholder_department AS dep, c.citizen_id AS ci,
               replace(lower(btrim(m.value_text)), 'å', 'aa') AS result
          FROM measure m JOIN cases c ON c.id = m.case_id
         WHERE instrument_kind(m.instrument) = 'result' AND m.kind = 'followup'
           AND m.measured_at >= q.p_start AND m.measured_at < q.p_end
           AND (q.workflow IS NULL OR c.workflow_name = q.workflow)
           AND (q.department IS NULL OR c.tovholder_department = q.department)
         ORDER BY m.case_id, m.goal_key, m.measured_at DESC, m.id DESC),
    known AS (
        SELECT * FROM res
         WHERE res.result IN ('opnaaet', 'delvist opnaaet', 'ikke opnaaet', 'ikke relevant'))
    SELECT coalesce(jsonb_agg(jsonb_build_object('workflow', x.wf, 'department', x.dep)
                              || x.cells ORDER BY x.wf, x.dep NULLS LAST), '[]')
      INTO goals_
      FROM (SELECT k.wf, k.dep, report_cells(jsonb_build_object(
                       'goals', report_nc(count(*), count(DISTINCT k.ci)),
                       'opnaaet', report_nc(count(*) FILTER (WHERE k.result = 'opnaaet'),
                           count(DISTINCT k.ci) FILTER (WHERE k.result = 'opnaaet')),
                       'delvist_opnaaet', report_nc(
                           count(*) FILTER (WHERE k.result = 'delvist opnaaet'),
                           count(DISTINCT k.ci) FILTER (WHERE k.result = 'delvist opnaaet')),
                       'ikke_opnaaet', report_nc(
                           count(*) FILTER (WHERE k.result = 'ikke opnaaet'),
                           count(DISTINCT k.ci) FILTER (WHERE k.result = 'ikke opnaaet')),
                       'ikke_relevant', report_nc(
                           count(*) FILTER (WHERE k.result = 'ikke relevant'),
                           count(DISTINCT k.ci) FILTER (WHERE k.result = 'ikke relevant'))),
                       'goals') AS cells
              FROM known k GROUP BY k.wf, k.dep) x;

    RETURN report_answer(q, 'effect', jsonb_build_object('rows', rows_, 'goal_results', goals_),
        ARRAY['section', 'workflow', 'department', 'instrument', 'better', 'cases', 'improved',
              'unchanged', 'worse', 'share_improved', 'share_unchanged', 'share_worse',
              'goals', 'opnaaet', 'delvist_opnaaet', 'ikke_opnaaet', 'ikke_relevant'],
        (SELECT coalesce(jsonb_agg(line ORDER BY s, n), '[]') FROM (
            SELECT x.row_ || '{"section": "instrument"}' AS line, 1 AS s, x.n
              FROM jsonb_array_elements(rows_) WITH ORDINALITY AS x (row_, n)
            UNION ALL
            SELECT x.row_ || '{"section": "goal_results"}', 2, x.n
              FROM jsonb_array_elements(goals_) WITH ORDINALITY AS x (row_, n)) lines));
END $$;

-- The FHIR export of 0009, selecting the FFB measures by the registry (a level instrument on
-- FFB's scale, instrument_on_ffb_scale) instead of by name; otherwise as it was.
-- GET /v1/cases/{id}/fhir: the Bundle, for a person who may see the case; written to the
-- access log as a read of the case.
CREATE OR REPLACE FUNCTION api_case_fhir(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    c cases := api_visible_case(r);
    ci citizen;
    v_profile constant text := 'http://fhir.kl.dk/ffbreporting/StructureDefinition/';
    v_kl constant text := 'http://fhir.kl.dk/term/CodeSystem/CareSocialCodes';
    v_sct constant text := 'http://snomed.info/sct';
    v_patient jsonb;
    v_conditions jsonb;
    v_goals jsonb;
    v_observations jsonb;
BEGIN
    SELECT * INTO ci FROM citizen WHERE id = c.citizen_id;
    PERFORM api_access(r, ARRAY[ci.id], ARRAY[c.id]);

    v_patient := jsonb_build_object(
        'resourceType', 'Patient', 'id', fhir_id('citizen', ci.id),
        'meta', jsonb_build_object('lastUpdated', fhir_time(ci.updated_at)),
        'identifier', jsonb_build_array(jsonb_build_object(
            'use', 'secondary', 'system', 'https://overgang.dk/fhir/NamingSystem/citizen',
            'value', ci.id::text)));

    -- the first FFB baseline of each goal (goal_key NULL: that of the case itself)
    WITH base AS (
        SELECT DISTINCT ON (m.goal_key) m.*
          FROM measure m
         WHERE m.case_id = c.id AND m.kind = 'baseline' AND instrument_on_ffb_scale(m.instrument)
           AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
         ORDER BY m.goal_key, m.measured_at, m.id)
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'resourceType', 'Condition', 'id', fhir_id('condition', b.id),
               'meta', jsonb_build_object(
                   'profile', jsonb_build_array(v_profile || 'kl-reporting-ffb-condition'),
                   'lastUpdated', fhir_time(b.recorded_at)),
               'clinicalStatus', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', 'http://terminology.hl7.org/CodeSystem/condition-clinical',
                   'code', CASE WHEN c.status = 'closed' THEN 'inactive' ELSE 'active' END))),
               'verificationStatus', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
                   'code', 'confirmed'))),
               'severity', jsonb_build_object('coding', jsonb_build_array(
                   fhir_ffb_level(b.value_num, b.value_text))),
               'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', 'https://overgang.dk/fhir/CodeSystem/theme',
                   'code', coalesce(g.theme, CASE WHEN b.goal_key IS NULL THEN 'stoettebehov'
                                                  ELSE 'andet' END)))),
               'subject', fhir_ref('citizen', ci.id),
               'recordedDate', fhir_time(b.measured_at)))
             ORDER BY g.id NULLS FIRST, b.id)
      INTO v_conditions
      FROM base b
      LEFT JOIN goal g ON g.case_id = c.id AND g.key = b.goal_key;

    WITH base AS (
        SELECT DISTINCT ON (m.goal_key) m.id, m.goal_key
          FROM measure m
         WHERE m.case_id = c.id AND m.kind = 'baseline' AND instrument_on_ffb_scale(m.instrument)
           AND m.goal_key IS NOT NULL
           AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
         ORDER BY m.goal_key, m.measured_at, m.id),
    result AS (
        SELECT DISTINCT ON (m.goal_key) m.goal_key,
               replace(lower(btrim(m.value_text)), 'å', 'aa') AS word
          FROM measure m
         WHERE m.case_id = c.id AND m.kind = 'followup' AND instrument_kind(m.instrument) = 'result'
         ORDER BY m.goal_key, m.measured_at DESC, m.id DESC)
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'resourceType', 'Goal', 'id', fhir_id('goal', g.id),
               'meta', jsonb_build_object(
                   'profile', jsonb_build_array(v_profile || 'kl-reporting-ffb-interventionGoal'),
                   'lastUpdated', fhir_time(g.updated_at)),
               'lifecycleStatus', CASE WHEN c.status = 'closed'
                                         OR res.word IN ('opnaaet', 'ikke relevant')
                                       THEN 'completed' ELSE 'active' END,
               'category', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(
                   jsonb_build_object('system', v_kl,
                                      'code', '0bb3daef-538d-45dc-b444-abdbcb63f6bc',
                                      'display', 'FFB indsatsmål')))),
               'description', jsonb_build_object(
                   'coding', jsonb_build_array(jsonb_build_object(
                       'system', v_sct, 'code', '410518001')),
                   'text', g.text),
               'subject', fhir_ref('citizen', ci.id),
               'target', CASE WHEN b.id IS NOT NULL THEN jsonb_build_array(jsonb_build_object(
                   'measure', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                       'system', v_kl, 'code', '66959f77-6e2a-4574-8423-3ff097f8b9fa',
                       'display', 'funktionsevneniveau'))))) END,
               'addresses', CASE WHEN b.id IS NOT NULL THEN jsonb_build_array(
                   fhir_ref('condition', b.id) || jsonb_build_object('extension', jsonb_build_array(
                       jsonb_build_object(
                           'url', 'http://fhir.kl.dk/core/StructureDefinition/ConditionRank',
                           'valuePositiveInt', 1)))) END))
             ORDER BY g.id)
      INTO v_goals
      FROM goal g
      LEFT JOIN base b ON b.goal_key = g.key
      LEFT JOIN result res ON res.goal_key = g.key
     WHERE g.case_id = c.id;

    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'resourceType', 'Observation', 'id', fhir_id('measure', m.id),
               'meta', jsonb_build_object('lastUpdated', fhir_time(m.recorded_at)),
               'status', 'final',
               'code', jsonb_build_object(
                   'coding', jsonb_build_array(jsonb_build_object(
                       'system', v_sct, 'code', '712744002')),
                   'text', m.instrument),
               'subject', fhir_ref('citizen', ci.id),
               'focus', CASE WHEN g.id IS NOT NULL
                             THEN jsonb_build_array(fhir_ref('goal', g.id)) END,
               'effectiveDateTime', fhir_time(m.measured_at))
           || CASE
               WHEN instrument_on_ffb_scale(m.instrument) AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
                   THEN jsonb_build_object('valueCodeableConcept', jsonb_build_object(
                       'coding', jsonb_build_array(fhir_ffb_level(m.value_num, m.value_text))))
               WHEN instrument_kind(m.instrument) = 'result' AND fhir_goal_result(m.value_text) IS NOT NULL
                   THEN jsonb_build_object('valueCodeableConcept', jsonb_build_object(
                       'coding', jsonb_build_array(fhir_goal_result(m.value_text)),
                       'text', m.value_text))
               WHEN m.value_num IS NOT NULL
                   THEN jsonb_build_object('valueQuantity', jsonb_build_object('value', m.value_num))
               ELSE jsonb_build_object('valueString', m.value_text)
             END)
             ORDER BY m.measured_at, m.id)
      INTO v_observations
      FROM measure m
      LEFT JOIN goal g ON g.case_id = c.id AND g.key = m.goal_key
     WHERE m.case_id = c.id AND m.kind = 'followup';

    RETURN jsonb_build_object(
        'resourceType', 'Bundle',
        'id', gen_random_uuid()::text,
        'meta', jsonb_build_object(
            'profile', jsonb_build_array(v_profile || 'kl-reporting-ffb-deliveryReport'),
            'lastUpdated', fhir_time(now())),
        'type', 'collection',
        'timestamp', fhir_time(now()),
        'entry', (SELECT jsonb_agg(jsonb_build_object(
                         'fullUrl', 'urn:uuid:' || (e.res->>'id'), 'resource', e.res) ORDER BY e.i)
                    FROM jsonb_array_elements(jsonb_build_array(v_patient)
                             || coalesce(v_conditions, '[]') || coalesce(v_goals, '[]')
                             || coalesce(v_observations, '[]')) WITH ORDINALITY AS e (res, i)));
END $$;

-- ---- the API: GET and POST /v1/instruments (engine/api/routes_instruments.c) ----

CREATE FUNCTION api_instrument_item(i instrument) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('name', i.name, 'title', i.title, 'description', i.description,
                              'kind', i.kind, 'values', i."values", 'better', i.better,
                              'created_at', i.created_at)
$$;

-- The registry, by name. Not person data: nothing is written to the access log.
CREATE FUNCTION api_instruments(r jsonb) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object('items', coalesce(jsonb_agg(api_instrument_item(i) ORDER BY i.name),
                                                '[]'))
      FROM instrument i
$$;

-- An administrator adds an instrument; workflows may record it from the next step on.
CREATE FUNCTION api_instrument_create(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    b jsonb := r->'body';
    v_name text := b->>'name';
    v_kind text := b->>'kind';
    v_better text := nullif(b->>'better', '');
    problem text;
    i instrument;
BEGIN
    IF v_name !~ '^[a-z0-9][a-z0-9-]*$' OR length(v_name) > 64 THEN
        PERFORM api_fail(400, 'invalid-instrument',
            'An instrument''s name is lowercase letters, digits and hyphens, at most 64 '
            'characters, such as trivsel-1-5.', jsonb_build_object('field', 'name'));
    END IF;
    IF v_kind NOT IN ('level', 'scale', 'yesno', 'number', 'result') THEN
        PERFORM api_fail(400, 'invalid-instrument',
            'kind is level, scale, yesno, number or result.', jsonb_build_object('field', 'kind'));
    END IF;
    IF v_better NOT IN ('higher', 'lower') THEN
        PERFORM api_fail(400, 'invalid-instrument',
            'better is higher or lower (which way is an improvement), or left out.',
            jsonb_build_object('field', 'better'));
    END IF;
    problem := instrument_problem(v_kind, b->'values', v_better);
    IF problem IS NOT NULL THEN
        PERFORM api_fail(400, 'invalid-instrument', problem, jsonb_build_object('field', 'values'));
    END IF;
    INSERT INTO instrument (name, title, description, kind, "values", better)
    VALUES (v_name, btrim(b->>'title'), nullif(btrim(b->>'description'), ''), v_kind, b->'values',
            v_better)
    ON CONFLICT (name) DO NOTHING
    RETURNING * INTO i;
    IF NOT FOUND THEN
        PERFORM api_fail(409, 'instrument-exists',
            'There is an instrument with this name already; the registry keeps it as it is.',
            jsonb_build_object('field', 'name'));
    END IF;
    RETURN api_instrument_item(i);
END $$;
