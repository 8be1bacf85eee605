-- A case's goals and follow-ups as FHIR R4 resources, following the Danish KL implementation
-- guide for FFB reporting (kl.dk.fhir.ffbreporting, canonical http://fhir.kl.dk/ffbreporting,
-- source github.com/hl7dk/kl-ffb-reporting; codes from KL Terminologi, hl7dk/kl-term). Called
-- by engine/api/routes_fhir.c; tests/api/fhir/profiles.json lists what each profile requires
-- and where this export does not (yet) meet it.
--
-- The export is a Bundle of type collection (profile kl-reporting-ffb-deliveryReport):
--   Patient      the citizen, by overgang's own citizen number. The profile asks for the CPR
--                number (identifier 1..1, dk-core-cpr-identifier); it is left out on purpose,
--                so the Patient claims no profile. No name, birth date or address either.
--   Condition    one per goal with an FFB baseline (and one for the case's own FFB baseline,
--                when it has one without a goal), profile kl-reporting-ffb-condition: the
--                level at the baseline as its severity, from the FFB scale (KLSeveritiesFFB).
--   Goal         one per goal, profile kl-reporting-ffb-interventionGoal: the citizen's own
--                words as description.text, the fixed category and description coding, the
--                functioning level as target.measure where there is an FFB baseline, and the
--                Condition it addresses (rank 1).
--   Observation  one per follow-up measure, focus the goal it belongs to: FFB levels coded on
--                the same scale, goal results (instrument maalopfyldelse) as goal-achievement
--                codes, other values as they are. The guide's follow-up profile is about a care
--                plan's continuation (focus CarePlan, KLFollowUpCodesFFB), which overgang does
--                not have, so these claim no profile.
-- Resource ids are UUIDs derived from overgang's row ids, so the same goal has the same id in
-- every export (the guide treats a resource sent again with its id as an update).

-- A stable UUID for row ID of KIND ('citizen', 'goal', ...).
CREATE FUNCTION fhir_id(kind text, id bigint) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT md5('overgang:fhir:' || kind || ':' || id::text)::uuid::text $$;

CREATE FUNCTION fhir_ref(kind text, id bigint) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_build_object('reference', 'urn:uuid:' || overgang.fhir_id(kind, id)) $$;

-- A FHIR instant/dateTime in UTC.
CREATE FUNCTION fhir_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- An FFB level as overgang stores it (ingen, let, moderat, omfattende, fuldstændigt, ikke
-- vurderet; or 0-4) as a Coding of KLSeveritiesFFB (http://fhir.kl.dk/term/ValueSet/
-- KLSeveritiesFFB, code system FFB urn:oid:1.2.208.176.2.22). 'omfattende' is the FFB level
-- "Svært nedsat funktionsevne". NULL for anything else.
CREATE FUNCTION fhir_ffb_level(value_num double precision, value_text text) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('system', 'urn:oid:1.2.208.176.2.22', 'code', x.code,
                              'display', x.display)
      FROM (VALUES
            ('ingen', 0, 'b508ff66-6326-4862-a6d7-7bbf184c9823', 'Ingen nedsat funktionsevne'),
            ('let', 1, '8328ce4a-6238-4f73-bf1a-74aadb68eff8', 'Let nedsat funktionsevne'),
            ('moderat', 2, '5bdde847-2837-416b-ab63-bbff8b7aa531', 'Moderat nedsat funktionsevne'),
            ('omfattende', 3, 'cae545f5-2813-4d79-98fc-0a7d770af3cd', 'Svært nedsat funktionsevne'),
            ('fuldstaendigt', 4, '832ae90b-23b5-4063-80aa-0b81bdce680e',
             'Fuldstændig nedsat funktionsevne'),
            ('ikke vurderet', NULL, '1c327095-107f-4b96-88d0-ec562cb980be', 'Ikke vurderet'))
           AS x (word, n, code, display)
     WHERE x.word = replace(lower(btrim(value_text)), 'æ', 'ae')
        OR (value_text IS NULL AND x.n = value_num)
$$;

-- A goal result (maalopfyldelse: opnaaet, delvist opnaaet, ikke opnaaet, ikke relevant) as a
-- FHIR goal-achievement Coding; NULL for anything else.
CREATE FUNCTION fhir_goal_result(value_text text) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('system', 'http://terminology.hl7.org/CodeSystem/goal-achievement',
                              'code', x.code, 'display', x.display)
      FROM (VALUES ('opnaaet', 'achieved', 'Achieved'),
                   ('delvist opnaaet', 'improving', 'Improving'),
                   ('ikke opnaaet', 'not-achieved', 'Not Achieved'),
                   ('ikke relevant', 'not-attainable', 'Not Attainable')) AS x (word, code, display)
     WHERE x.word = replace(lower(btrim(value_text)), 'å', 'aa')
$$;

-- GET /v1/cases/{id}/fhir: the Bundle, for a person who may see the case; written to the
-- access log as a read of the case.
CREATE FUNCTION api_case_fhir(r jsonb) RETURNS jsonb LANGUAGE plpgsql
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
         WHERE m.case_id = c.id AND m.kind = 'baseline' AND m.instrument ~* '^ffb'
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
         WHERE m.case_id = c.id AND m.kind = 'baseline' AND m.instrument ~* '^ffb'
           AND m.goal_key IS NOT NULL
           AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
         ORDER BY m.goal_key, m.measured_at, m.id),
    result AS (
        SELECT DISTINCT ON (m.goal_key) m.goal_key,
               replace(lower(btrim(m.value_text)), 'å', 'aa') AS word
          FROM measure m
         WHERE m.case_id = c.id AND m.kind = 'followup' AND m.instrument = 'maalopfyldelse'
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
               WHEN m.instrument ~* '^ffb' AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
                   THEN jsonb_build_object('valueCodeableConcept', jsonb_build_object(
                       'coding', jsonb_build_array(fhir_ffb_level(m.value_num, m.value_text))))
               WHEN m.instrument = 'maalopfyldelse' AND fhir_goal_result(m.value_text) IS NOT NULL
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
