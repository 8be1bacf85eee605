-- The time-in-phase report names each phase by its title too (as the workflow's newest
-- version that has the phase gives it; its name when it gives none), in the rows and in the
-- CSV: managers see reports only, and cannot read the workflows to find what "afdaekning"
-- is called. Otherwise the report is the same.
CREATE OR REPLACE FUNCTION api_report_phases(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
BEGIN
    WITH cs AS (
        SELECT c.id, c.citizen_id, c.workflow_name, c.started_at, c.closed_at,
               c.tovholder_department, w.definition->'phases'->0->>'name' AS first_phase
          FROM cases c
          JOIN workflow w ON w.name = c.workflow_name AND w.version = c.workflow_version
         WHERE c.started_at < q.p_end AND (c.closed_at IS NULL OR c.closed_at >= q.p_start)
           AND (q.workflow IS NULL OR c.workflow_name = q.workflow)),
    changes AS (
        SELECT cs.id AS case_id, cs.started_at AS at, 0::bigint AS seq, cs.first_phase AS phase
          FROM cs
        UNION ALL
        SELECT e.case_id, e.done_at, e.id,
               (SELECT x->>'phase'
                  FROM jsonb_array_elements(e.commands) WITH ORDINALITY AS y (x, i)
                 WHERE x->>'cmd' = 'phase' ORDER BY y.i DESC LIMIT 1)
          FROM event e JOIN cs ON cs.id = e.case_id
         WHERE e.status = 'done' AND e.done_at IS NOT NULL
           AND jsonb_typeof(e.commands) = 'array'
           AND e.commands @> '[{"cmd": "phase"}]'),
    ordered AS (
        SELECT ch.*, lag(ch.phase) OVER (PARTITION BY ch.case_id ORDER BY ch.at, ch.seq) AS prev
          FROM changes ch),
    intervals AS (
        SELECT o.case_id, o.phase, o.at AS began,
               coalesce(lead(o.at) OVER (PARTITION BY o.case_id ORDER BY o.at, o.seq),
                        cs.closed_at) AS ended
          FROM ordered o JOIN cs ON cs.id = o.case_id
         WHERE o.prev IS DISTINCT FROM o.phase),
    done AS (
        SELECT cs.workflow_name AS wf, i.phase, cs.citizen_id AS ci,
               coalesce((SELECT h.department_id FROM tovholder_history h
                          WHERE h.case_id = i.case_id AND h.at <= i.began
                          ORDER BY h.at DESC, h.id DESC LIMIT 1),
                        (SELECT h.department_id FROM tovholder_history h
                          WHERE h.case_id = i.case_id ORDER BY h.at, h.id LIMIT 1),
                        cs.tovholder_department) AS dep,
               extract(epoch FROM i.ended - i.began) / 86400.0 AS days
          FROM intervals i JOIN cs ON cs.id = i.case_id
         WHERE i.ended > i.began AND i.ended >= q.p_start AND i.ended < q.p_end),
    g AS (
        SELECT d.wf, d.phase, d.dep, count(*) AS n, count(DISTINCT d.ci) AS ci,
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days))::numeric, 1) AS median,
               round((percentile_cont(0.9) WITHIN GROUP (ORDER BY d.days))::numeric, 1) AS p90,
               (SELECT p.i FROM workflow w,
                       jsonb_array_elements(w.definition->'phases') WITH ORDINALITY AS p (x, i)
                 WHERE w.name = d.wf AND p.x->>'name' = d.phase
                 ORDER BY w.version DESC LIMIT 1) AS pos,
               coalesce((SELECT p.title FROM workflow_phase p
                          WHERE p.workflow_name = d.wf AND p.name = d.phase
                          ORDER BY p.workflow_version DESC LIMIT 1), d.phase) AS title
          FROM done d
         WHERE q.department IS NULL OR d.dep = q.department
         GROUP BY d.wf, d.phase, d.dep)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'workflow', g.wf, 'phase', g.phase, 'phase_title', g.title, 'department', g.dep,
               'intervals', CASE WHEN g.ci >= report_min_group() THEN g.n END,
               'median_days', CASE WHEN g.ci >= report_min_group() THEN g.median END,
               'p90_days', CASE WHEN g.ci >= report_min_group() THEN g.p90 END,
               'suppressed', CASE WHEN g.ci >= report_min_group() THEN '[]'::jsonb
                                  ELSE '["intervals", "median_days", "p90_days"]' END)
               ORDER BY g.wf, g.pos NULLS LAST, g.phase, g.dep NULLS LAST), '[]')
      INTO rows_
      FROM g;
    RETURN report_answer(q, 'phases', jsonb_build_object('rows', rows_),
        ARRAY['workflow', 'phase', 'phase_title', 'department', 'intervals', 'median_days',
              'p90_days'], rows_);
END $$;
