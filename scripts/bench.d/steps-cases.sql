-- scripts/bench steps: :cases citizens, each with a case on the newest bench-steps version
-- and its pending 'started' event (as tests/lib/engine.sh seed_cases). The 'started' payload
-- names the department the tovholder comes from and the case's count offset (see steps.lua).
WITH ci AS (
       INSERT INTO overgang.citizen (display_name, birth_date, attributes)
       SELECT 'Borger ' || g, date '2007-01-01' + g % 365, '{}'
         FROM generate_series(1, :cases) g
       RETURNING id),
     wf AS (SELECT name, version, definition FROM overgang.workflow WHERE name = 'bench-steps'
             ORDER BY version DESC LIMIT 1),
     c AS (INSERT INTO overgang.cases (citizen_id, workflow_name, workflow_version, phase)
           SELECT ci.id, wf.name, wf.version, wf.definition->'phases'->0->>'name' FROM ci, wf
           RETURNING id)
INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
SELECT id, 'started',
       jsonb_build_object('department', CASE WHEN id % 4 = 0 THEN 'voksenhandicap'
                                             ELSE 'born-familie' END,
                          'offset', id % 10),
       'bench', 'started'
  FROM c;
