-- The FHIR export (GET /v1/cases/{id}/fhir, 0009_fhir, 0010_instruments) meets KL's FFB
-- reporting guide (kl.dk.fhir.ffbreporting, github.com/hl7dk/kl-ffb-reporting; codes from KL
-- Terminologi, FFB urn:oid:1.2.208.176.2.22, hl7dk/kl-term) in full where overgang has the
-- data, and says where it does not (tests/api/fhir/profiles.json, tests/api/fhir_test.py):
--
--   goal          records the FFB goal type (maaltype: fastholde, udvikle, begraense-tab), the
--                 FFB level expected when the goal is reached (forventet_niveau, a word of the
--                 ffb-stoettebehov instrument) and the FFB sub-theme (ffb_tema, such as
--                 'Varetage uddannelse'); workflows give them with case:goal (engine/lua/run.c
--                 checks the words).
--   fhir_ffb_tema the FFB sub-themes a goal may name, with their codes (KLConditionCodesFFB),
--                 and whether they are under 'Aktivitet og deltagelse' (KLConditionADCodesFFB:
--                 only those Conditions carry a severity, kl-reporting-ffb-condition-1).
--   fhir_theme_ffb the default sub-theme of a Barnets Lov § 123 theme where one is clear.
--
-- The export (api_case_fhir, restated whole), a Bundle of type collection:
--   Patient      kl-reporting-ffb-citizen when the daemon's [fhir] settings allow it: the CPR
--                number (dk-core-cpr-identifier; only with cpr_identifier = on) and the
--                municipality as managingOrganization.identifier (KOMBIT's organisation
--                identifier, municipality_organisation). Otherwise overgang's citizen number,
--                and no profile is claimed by the Patient nor by anything that refers to it.
--   Condition    per FFB baseline: the FFB sub-theme as code, the baseline level as severity
--                (for sub-themes under Aktivitet og deltagelse); claims
--                kl-reporting-ffb-condition when it has an FFB code.
--   Goal         per goal: the fixed category and description coding, the måltype
--                (target[changeValueSlice]) and the expected level (target[severitySlice]),
--                the Condition it addresses (rank 1); the citizen's words as description.text
--                except in the strict report.
--   CarePlan     the case's plan (kl-reporting-ffb-carePlan, intent plan): its status and
--                period, the municipality's case number (the case id) and the goals.
--   Observation  follow-ups (kl-reporting-ffb-followUp): a done task whose outcome records
--                fortsaet (true: continue the intervention, false: end it), focus the CarePlan,
--                value from KLFollowUpCodesFFB. The measures of follow-ups (FFB levels, goal
--                results, other instruments) go as Observations of their own, claiming no
--                profile (the guide has none for them), and only in the default export.
-- The Bundle claims kl-reporting-ffb-deliveryReport only when every entry claims a profile.
-- ?purpose=kl-report is the strict report for KL: no free text, nothing that claims no
-- profile; it needs the [fhir] settings (503 kl-report-unavailable without them).

ALTER TABLE goal
    ADD COLUMN maaltype text CHECK (maaltype IN ('fastholde', 'udvikle', 'begraense-tab')),
    ADD COLUMN forventet_niveau text CHECK (btrim(forventet_niveau) <> ''),
    ADD COLUMN ffb_tema text CHECK (btrim(ffb_tema) <> '');

-- The FFB sub-themes overgang knows (engine/lua/run.c ffb_themes lists the same names).
CREATE TABLE fhir_ffb_tema (
    name     text PRIMARY KEY,
    code     text NOT NULL UNIQUE,
    ad       boolean NOT NULL  -- under 'Aktivitet og deltagelse'
);
INSERT INTO fhir_ffb_tema (name, code, ad) VALUES
    ('Varetage uddannelse', '8888edfa-642b-4329-9fe3-a9b180e6d3f4', true),
    ('Varetage beskæftigelse', '685e8517-2f5c-4ef8-a7c4-fa2d008fdd9d', true),
    ('Varetage økonomi', '70443014-3faf-402d-abcf-396bfad32eb9', true),
    ('Varetage bolig', 'fd4b8dd3-5c4b-4257-8c13-ea045617d2f6', true),
    ('Deltage i sociale fællesskaber og fritidsaktiviteter',
     'dcc6bb77-45af-4625-9c4d-7d7878307220', true),
    ('Varetage relationer til netværk', '4c082610-b122-4019-96f2-1061e287445e', true),
    ('Indgå i samspil og kontakt', '3f9da5ac-9686-4eeb-b517-b46e17fcb1d7', true),
    ('Varetage egen sundhed', '4a58417e-9a75-43f2-9763-66505050159f', true),
    ('Uddannelse og job', 'f695cec7-2b39-4c7e-8731-da8558a4fb3f', false),
    ('Boligsituation', '35c56275-0093-4901-9fd8-d06fdb5cb8f3', false),
    ('Økonomisk situation', '08aa68ce-acd6-4e03-b6b5-091811324345', false),
    ('Familiesituation', '7a8f247b-baf8-4552-95bb-acf8ef004b74', false),
    ('Fysisk helbred', '69dbfad7-859a-4596-8737-8054f6b4948f', false);

-- A § 123 theme's FFB sub-theme when the goal names none. Only where the theme says what the
-- young person is to do: 'sociale-forhold' (relations, network, family or leisure?),
-- 'stoettebehov' and 'andet' have no single sub-theme, so such a goal needs its ffb_tema.
CREATE TABLE fhir_theme_ffb (
    theme    text PRIMARY KEY,
    ffb_tema text NOT NULL REFERENCES fhir_ffb_tema (name)
);
INSERT INTO fhir_theme_ffb (theme, ffb_tema) VALUES
    ('uddannelse', 'Varetage uddannelse'),
    ('beskaeftigelse', 'Varetage beskæftigelse'),
    ('bolig', 'Varetage bolig');

-- The goal's FFB sub-theme as a Coding of FFB (KLConditionCodesFFB), with "ad" (under
-- Aktivitet og deltagelse) beside it; NULL when it has none.
CREATE FUNCTION fhir_condition_code(theme text, ffb_tema text) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object('system', 'urn:oid:1.2.208.176.2.22', 'code', t.code,
                              'display', t.name, 'ad', t.ad)
      FROM fhir_ffb_tema t
     WHERE t.name = coalesce(fhir_condition_code.ffb_tema,
                             (SELECT m.ffb_tema FROM fhir_theme_ffb m
                               WHERE m.theme = fhir_condition_code.theme))
$$;

-- The goal type as a Coding of FFB (KLChangeValueCodesFFB); NULL for none.
CREATE FUNCTION fhir_goal_type(maaltype text) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('system', 'urn:oid:1.2.208.176.2.22', 'code', x.code,
                              'display', x.display)
      FROM (VALUES ('fastholde', '10752a63-00b4-4958-b7f4-9f3a18f74266', 'Fastholde funktionsevne'),
                   ('udvikle', 'd41c8072-52f8-42b5-9375-ddbea454d27f', 'Udvikle funktionsevne'),
                   ('begraense-tab', 'e47c22bd-d88d-48ab-882b-419923e1f44e',
                    'Begrænse tab af funktionsevne')) AS x (word, code, display)
     WHERE x.word = maaltype
$$;

-- A follow-up's decision (the outcome's fortsaet: true, false, or the words ja / nej) as a
-- Coding of FFB (KLFollowUpCodesFFB); NULL for anything else.
CREATE FUNCTION fhir_follow_up(fortsaet jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('system', 'urn:oid:1.2.208.176.2.22', 'code', x.code,
                              'display', x.display)
      FROM (VALUES (true, '1e971d84-10a4-4ef8-a8b3-0daa4c7d088a',
                    'Træf afgørelse om fortsættelse af indsats'),
                   (false, 'd7d03656-4c87-4e67-9146-aa5990460f16',
                    'Træf afgørelse om afslutning af indsats')) AS x (go_on, code, display)
     WHERE x.go_on = CASE WHEN jsonb_typeof(fortsaet) = 'boolean' THEN fortsaet::text::boolean
                          WHEN fortsaet #>> '{}' IN ('ja', 'nej') THEN fortsaet #>> '{}' = 'ja'
                     END
$$;

-- The citizen's CPR number, for the export to KL when the daemon is set up to include it.
-- The runtime role may not read citizen_cpr.cpr (0002); this function, owned by the schema's
-- owner, is the one way it leaves the database, and api_case_fhir logs each use.
CREATE FUNCTION fhir_citizen_cpr(citizen_id bigint) RETURNS text LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = overgang, pg_catalog AS $$
    SELECT p.cpr FROM citizen_cpr p WHERE p.citizen_id = fhir_citizen_cpr.citizen_id
$$;

-- GET /v1/cases/{id}/fhir: {"bundle": the Bundle, "note": why it claims less than the guide's
-- profiles, or null}, for a person who may see the case; written to the access log as a read
-- of the case ("api case_fhir cpr" when the CPR number is in it).
CREATE OR REPLACE FUNCTION api_case_fhir(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    c cases := api_visible_case(r);
    ci citizen;
    v_profile constant text := 'http://fhir.kl.dk/ffbreporting/StructureDefinition/';
    v_kl constant text := 'http://fhir.kl.dk/term/CodeSystem/CareSocialCodes';
    v_sct constant text := 'http://snomed.info/sct';
    v_purpose text := r->'query'->>'purpose';
    v_strict boolean;
    v_org text := nullif(r->'fhir'->>'municipality_organisation', '');
    v_cpr text;
    v_citizen_ok boolean;
    v_note text;
    v_patient jsonb;
    v_conditions jsonb;
    v_goals jsonb;
    v_plan jsonb;
    v_followups jsonb;
    v_observations jsonb;
    v_entries jsonb;
    v_cond jsonb;   -- [{id, goal_key, ok, res}]: the Conditions, claimed or not
    v_goal jsonb;   -- [{id, ok, res}]: the Goals
BEGIN
    IF v_purpose IS NOT NULL AND v_purpose <> 'kl-report' THEN
        PERFORM api_fail(400, 'bad-parameter',
            'purpose is kl-report (the strict report for KL: no free text) or left out.',
            jsonb_build_object('field', 'purpose'));
    END IF;
    v_strict := v_purpose IS NOT NULL;
    SELECT * INTO ci FROM citizen WHERE id = c.citizen_id;
    IF coalesce((r->'fhir'->>'cpr_identifier')::boolean, false) THEN
        v_cpr := fhir_citizen_cpr(ci.id);
    END IF;
    v_citizen_ok := v_org IS NOT NULL AND v_cpr IS NOT NULL;
    IF NOT v_citizen_ok THEN
        v_note := 'the citizen claims no kl-reporting-ffb-citizen profile, and nothing that '
                  'refers to the citizen claims one: '
               || concat_ws('; ',
                      CASE WHEN v_org IS NULL THEN '[fhir] municipality_organisation is not set' END,
                      CASE WHEN NOT coalesce((r->'fhir'->>'cpr_identifier')::boolean, false)
                           THEN '[fhir] cpr_identifier is off'
                           WHEN v_cpr IS NULL THEN 'the citizen has no CPR number registered' END);
        IF v_strict THEN
            PERFORM api_fail(503, 'kl-report-unavailable',
                'The KL report needs the citizen''s CPR number and the municipality: '
                || substr(v_note, strpos(v_note, ': ') + 2) || '.');
        END IF;
    END IF;
    PERFORM api_access(CASE WHEN v_cpr IS NOT NULL
                            THEN r || jsonb_build_object('route', (r->>'route') || ' cpr')
                            ELSE r END,
                       ARRAY[ci.id], ARRAY[c.id]);

    v_patient := jsonb_strip_nulls(jsonb_build_object(
        'resourceType', 'Patient', 'id', fhir_id('citizen', ci.id),
        'meta', jsonb_build_object(
            'profile', CASE WHEN v_citizen_ok
                            THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-citizen') END,
            'lastUpdated', fhir_time(ci.updated_at)),
        'identifier', jsonb_build_array(CASE
            WHEN v_cpr IS NOT NULL THEN jsonb_build_object(
                'use', 'official', 'system', 'urn:oid:1.2.208.176.1.2', 'value', v_cpr)
            ELSE jsonb_build_object(
                'use', 'secondary', 'system', 'https://overgang.dk/fhir/NamingSystem/citizen',
                'value', ci.id::text) END),
        'managingOrganization', CASE WHEN v_org IS NOT NULL THEN jsonb_build_object(
            'identifier', jsonb_build_object(
                'use', 'official', 'system', 'https://www.kombit.dk/organisation',
                'value', v_org)) END));

    -- the first FFB baseline of each goal (goal_key NULL: that of the case itself), with the
    -- goal's FFB sub-theme; a Condition claims its profile when it has an FFB code
    SELECT jsonb_agg(jsonb_build_object('id', b.id, 'goal_key', b.goal_key, 'ok', x.ok,
           'res', jsonb_strip_nulls(jsonb_build_object(
               'resourceType', 'Condition', 'id', fhir_id('condition', b.id),
               'meta', jsonb_build_object(
                   'profile', CASE WHEN x.ok
                                   THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-condition') END,
                   'lastUpdated', fhir_time(b.recorded_at)),
               'clinicalStatus', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', 'http://terminology.hl7.org/CodeSystem/condition-clinical',
                   'code', CASE WHEN c.status = 'closed' THEN 'inactive' ELSE 'active' END))),
               'verificationStatus', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
                   'code', 'confirmed'))),
               -- kl-reporting-ffb-condition-1: a severity only under Aktivitet og deltagelse
               'severity', CASE WHEN x.code IS NULL OR (x.code->>'ad')::boolean
                                THEN jsonb_build_object('coding', jsonb_build_array(
                                    fhir_ffb_level(b.value_num, b.value_text))) END,
               'code', jsonb_build_object('coding', jsonb_build_array(coalesce(
                   x.code - 'ad',
                   jsonb_build_object('system', 'https://overgang.dk/fhir/CodeSystem/theme',
                                      'code', coalesce(g.theme, CASE WHEN b.goal_key IS NULL
                                                                     THEN 'stoettebehov'
                                                                     ELSE 'andet' END))))),
               'subject', fhir_ref('citizen', ci.id),
               'recordedDate', fhir_time(b.measured_at))))
             ORDER BY g.id NULLS FIRST, b.id)
      INTO v_cond
      FROM (SELECT DISTINCT ON (m.goal_key) m.*
              FROM measure m
             WHERE m.case_id = c.id AND m.kind = 'baseline'
               AND instrument_on_ffb_scale(m.instrument)
               AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
             ORDER BY m.goal_key, m.measured_at, m.id) b
      LEFT JOIN goal g ON g.case_id = c.id AND g.key = b.goal_key
      CROSS JOIN LATERAL (
          SELECT fhir_condition_code(g.theme, g.ffb_tema) AS code) cc
      CROSS JOIN LATERAL (
          SELECT cc.code, v_citizen_ok AND cc.code IS NOT NULL AS ok) x;

    SELECT jsonb_agg(f.e->'res' ORDER BY f.i) INTO v_conditions
      FROM jsonb_array_elements(coalesce(v_cond, '[]')) WITH ORDINALITY AS f (e, i)
     WHERE (f.e->>'ok')::boolean OR NOT v_strict;

    -- each goal; it claims its profile when the citizen does and the Condition it addresses
    -- (if any) does
    WITH result AS (
        SELECT DISTINCT ON (m.goal_key) m.goal_key, instrument_word(m.value_text) AS word
          FROM measure m
         WHERE m.case_id = c.id AND m.kind = 'followup'
           AND instrument_kind(m.instrument) = 'result'
         ORDER BY m.goal_key, m.measured_at DESC, m.id DESC),
    f AS (
        SELECT * FROM jsonb_to_recordset(coalesce(v_cond, '[]'))
                      AS f (id bigint, goal_key text, ok boolean))
    SELECT jsonb_agg(jsonb_build_object('id', g.id, 'ok', x.ok,
           'res', jsonb_strip_nulls(jsonb_build_object(
               'resourceType', 'Goal', 'id', fhir_id('goal', g.id),
               'meta', jsonb_build_object(
                   'profile', CASE WHEN x.ok
                                   THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-interventionGoal') END,
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
                   'text', CASE WHEN NOT v_strict THEN g.text END),
               'subject', fhir_ref('citizen', ci.id),
               'target', nullif(jsonb_path_query_array(jsonb_build_array(
                   CASE WHEN fhir_goal_type(g.maaltype) IS NOT NULL THEN jsonb_build_object(
                       'measure', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                           'system', v_kl, 'code', '90c48f03-f194-4b2f-ad7d-6cba1069ae48',
                           'display', 'måltype'))),
                       'detailCodeableConcept', jsonb_build_object(
                           'coding', jsonb_build_array(fhir_goal_type(g.maaltype)))) END,
                   CASE WHEN f.id IS NOT NULL OR g.forventet_niveau IS NOT NULL
                        THEN jsonb_strip_nulls(jsonb_build_object(
                       'measure', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                           'system', v_kl, 'code', '66959f77-6e2a-4574-8423-3ff097f8b9fa',
                           'display', 'funktionsevneniveau'))),
                       'detailCodeableConcept', CASE
                           WHEN fhir_ffb_level(NULL, g.forventet_niveau) IS NOT NULL
                           THEN jsonb_build_object('coding', jsonb_build_array(
                               fhir_ffb_level(NULL, g.forventet_niveau))) END)) END),
                   '$[*] ? (@ != null)'), '[]'::jsonb),
               'addresses', CASE WHEN f.id IS NOT NULL AND (f.ok OR NOT v_strict)
                   THEN jsonb_build_array(
                   fhir_ref('condition', f.id) || jsonb_build_object('extension', jsonb_build_array(
                       jsonb_build_object(
                           'url', 'http://fhir.kl.dk/core/StructureDefinition/ConditionRank',
                           'valuePositiveInt', 1)))) END)))
             ORDER BY g.id)
      INTO v_goal
      FROM goal g
      LEFT JOIN f ON f.goal_key = g.key
      LEFT JOIN result res ON res.goal_key = g.key
      CROSS JOIN LATERAL (SELECT v_citizen_ok AND (f.id IS NULL OR f.ok) AS ok) x
     WHERE g.case_id = c.id;

    SELECT jsonb_agg(fg.res ORDER BY fg.id) INTO v_goals
      FROM jsonb_to_recordset(coalesce(v_goal, '[]')) AS fg (id bigint, ok boolean, res jsonb)
     WHERE fg.ok OR NOT v_strict;

    -- the case's plan; it claims its profile when the citizen and every goal it names do
    v_plan := jsonb_strip_nulls(jsonb_build_object(
        'resourceType', 'CarePlan', 'id', fhir_id('careplan', c.id),
        'meta', jsonb_build_object(
            'profile', CASE WHEN v_citizen_ok AND NOT EXISTS (
                                 SELECT 1 FROM jsonb_to_recordset(coalesce(v_goal, '[]'))
                                               AS fg (id bigint, ok boolean)
                                  WHERE NOT fg.ok AND NOT v_strict)
                            THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-carePlan') END,
            'lastUpdated', fhir_time(c.updated_at)),
        'extension', jsonb_build_array(jsonb_build_object(
            'url', v_profile || 'kl-reporting-ffb-municipalityCaseNumber',
            'extension', jsonb_build_array(jsonb_build_object(
                'url', 'municipalitySpecific',
                'valueIdentifier', jsonb_build_object(
                    'use', 'usual', 'system', 'https://overgang.dk/fhir/NamingSystem/case',
                    'value', c.id::text))))),
        'status', CASE WHEN c.status = 'closed' THEN 'completed' ELSE 'active' END,
        'intent', 'plan',
        'subject', fhir_ref('citizen', ci.id),
        'period', jsonb_build_object(
            'start', to_char(c.started_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM-DD'),
            'end', to_char(c.closed_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM-DD')),
        'goal', (SELECT jsonb_agg(fhir_ref('goal', fg.id) ORDER BY fg.id)
                   FROM jsonb_to_recordset(coalesce(v_goal, '[]')) AS fg (id bigint, ok boolean)
                  WHERE fg.ok OR NOT v_strict)));

    -- the follow-ups' decisions: done tasks whose outcome records fortsaet
    SELECT jsonb_agg(jsonb_build_object(
               'resourceType', 'Observation', 'id', fhir_id('followup', t.id),
               'meta', jsonb_strip_nulls(jsonb_build_object(
                   'profile', CASE WHEN v_plan->'meta' ? 'profile'
                                   THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-followUp') END,
                   'lastUpdated', fhir_time(t.updated_at))),
               'status', 'final',
               'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                   'system', v_sct, 'code', '712744002'))),
               'subject', fhir_ref('citizen', ci.id),
               'focus', jsonb_build_array(fhir_ref('careplan', c.id)),
               'effectiveDateTime', fhir_time(coalesce(t.closed_at, t.updated_at)),
               'valueCodeableConcept', jsonb_build_object(
                   'coding', jsonb_build_array(fhir_follow_up(t.outcome->'fortsaet'))))
             ORDER BY coalesce(t.closed_at, t.updated_at), t.id)
      INTO v_followups
      FROM task t
     WHERE t.case_id = c.id AND t.kind = 'task' AND t.status = 'done'
       AND fhir_follow_up(t.outcome->'fortsaet') IS NOT NULL;

    -- the measures of follow-ups, for the caseworker (no profile fits them)
    IF NOT v_strict THEN
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
                   WHEN instrument_on_ffb_scale(m.instrument)
                        AND fhir_ffb_level(m.value_num, m.value_text) IS NOT NULL
                       THEN jsonb_build_object('valueCodeableConcept', jsonb_build_object(
                           'coding', jsonb_build_array(fhir_ffb_level(m.value_num, m.value_text))))
                   WHEN instrument_kind(m.instrument) = 'result'
                        AND fhir_goal_result(m.value_text) IS NOT NULL
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
    END IF;

    v_entries := jsonb_build_array(v_patient) || coalesce(v_conditions, '[]')
                 || coalesce(v_goals, '[]') || jsonb_build_array(v_plan)
                 || coalesce(v_followups, '[]') || coalesce(v_observations, '[]');
    IF v_citizen_ok AND EXISTS (SELECT 1 FROM jsonb_array_elements(v_entries) e
                                 WHERE NOT e->'meta' ? 'profile') THEN
        v_note := 'the Bundle claims no kl-reporting-ffb-deliveryReport profile: some entries '
                  'claim no profile (measures of follow-ups, or Conditions without an FFB '
                  'sub-theme); ?purpose=kl-report leaves them out';
    END IF;
    RETURN jsonb_build_object('note', v_note, 'bundle', jsonb_build_object(
        'resourceType', 'Bundle',
        'id', gen_random_uuid()::text,
        'meta', jsonb_strip_nulls(jsonb_build_object(
            'profile', CASE WHEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_entries) e
                                              WHERE NOT e->'meta' ? 'profile')
                            THEN jsonb_build_array(v_profile || 'kl-reporting-ffb-deliveryReport') END,
            'lastUpdated', fhir_time(now()))),
        'type', 'collection',
        'timestamp', fhir_time(now()),
        'entry', (SELECT jsonb_agg(jsonb_build_object(
                         'fullUrl', 'urn:uuid:' || (e.res->>'id'), 'resource', e.res) ORDER BY e.i)
                    FROM jsonb_array_elements(v_entries) WITH ORDINALITY AS e (res, i))));
END $$;
