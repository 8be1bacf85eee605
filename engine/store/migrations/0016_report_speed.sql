-- The effect report at national scale (issue 9): over every case (300,000 cases, 1.6 million
-- measures) it took about 250 s. Each measure row called instrument_kind and report_score
-- (and through it instrument_rank): SQL functions with SET search_path, which PostgreSQL
-- never inlines and runs as a query of their own for every call. It now computes the same
-- answers set-based: the registry joined once, a word's place on its scale looked up in a
-- table of the registry's comparable words, scores written out with CASE, and only the
-- measures that are compared scored and joined to their cases: about 3 s through the daemon
-- (scripts/bench --only report), the answers checked equal to 0010's on that data set.
-- The other reports call no such function per row and stay as they are (at national scale:
-- cases under 1 s, phases about 2 s, deadlines-met about 6 s, its time going to sorting and
-- counting 1.7 million tasks). The function keeps its signature (engine/api/routes_reports.c)
-- and, being replaced, its grants.

-- ---- effect: measures against the baseline, and goal results ----

-- The effect report of 0010, the same answers. The first baseline of each case and
-- instrument, and its latest follow-up in the period, are picked from the measures alone
-- (the latest follow-up in the period is the one to compare when it came after the
-- baseline, and none is when it did not); only those are scored and joined to their cases.
-- A score is what report_score gives: an instrument the registry lacks counts its number,
-- higher better; one the registry has is ranked as instrument_rank ranks it (a number as it
-- is, a word by its place among the comparable words, least first) and turned round when
-- less is better; NULL when the instrument has no better direction or the value cannot be
-- compared. The measures of result instruments are the goal results, not compared.
-- JIT is off for it: at national scale compiling its plans took longer than it saved (about
-- 0.5 s of 3.5). Its queries are planned for each call's period and filters (a plan made for
-- any period, which PL/pgSQL otherwise settles on from the sixth call in a session, took
-- 0.6 s longer), so a report for one workflow or department sorts only that one's measures.
CREATE OR REPLACE FUNCTION api_report_effect(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog
SET jit = off
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
    goals_ jsonb;
BEGIN
    WITH word AS (
        -- the comparable words of each word instrument, with their place on its scale
        SELECT w.instrument, w.word,
               (row_number() OVER (PARTITION BY w.instrument ORDER BY w.k) - 1)::double precision
                   AS rank
          FROM (SELECT i.name AS instrument, instrument_word(x.w) AS word, x.k
                  FROM instrument i,
                       jsonb_array_elements_text(i."values"->'words') WITH ORDINALITY AS x (w, k)
                 WHERE i.kind NOT IN ('scale', 'number')
                   AND NOT EXISTS (
                       SELECT 1
                         FROM jsonb_array_elements_text(
                                  coalesce(i."values"->'not_comparable', '[]')) y
                        WHERE instrument_word(y) = instrument_word(x.w))) w),
    base AS (
        SELECT DISTINCT ON (m.case_id, m.instrument) m.case_id, m.instrument, m.measured_at,
               m.value_num, m.value_text
          FROM measure m
         WHERE m.kind = 'baseline'
           AND NOT EXISTS (SELECT 1 FROM instrument i
                            WHERE i.name = m.instrument AND i.kind = 'result')
           AND (q.workflow IS NULL AND q.department IS NULL OR m.case_id IN (
                SELECT c.id FROM cases c
                 WHERE (q.workflow IS NULL OR c.workflow_name = q.workflow)
                   AND (q.department IS NULL OR c.tovholder_department = q.department)))
         ORDER BY m.case_id, m.instrument, m.measured_at, m.id),
    fu AS (
        SELECT DISTINCT ON (m.case_id, m.instrument) m.case_id, m.instrument, m.measured_at,
               m.value_num, m.value_text
          FROM measure m
         WHERE m.kind = 'followup' AND m.measured_at >= q.p_start AND m.measured_at < q.p_end
           AND NOT EXISTS (SELECT 1 FROM instrument i
                            WHERE i.name = m.instrument AND i.kind = 'result')
           AND (q.workflow IS NULL AND q.department IS NULL OR m.case_id IN (
                SELECT c.id FROM cases c
                 WHERE (q.workflow IS NULL OR c.workflow_name = q.workflow)
                   AND (q.department IS NULL OR c.tovholder_department = q.department)))
         ORDER BY m.case_id, m.instrument, m.measured_at DESC, m.id DESC),
    pairs AS (
        -- d: 1 improved, 0 unchanged, -1 worse; NULL when either value cannot be compared
        SELECT c.workflow_name AS wf, c.tovholder_department AS dep, b.instrument,
               c.citizen_id AS ci,
               sign(CASE WHEN i.name IS NULL THEN f.value_num
                         WHEN i.better = 'higher' THEN coalesce(f.value_num, wf.rank)
                         WHEN i.better = 'lower' THEN -coalesce(f.value_num, wf.rank) END
                    - CASE WHEN i.name IS NULL THEN b.value_num
                           WHEN i.better = 'higher' THEN coalesce(b.value_num, wb.rank)
                           WHEN i.better = 'lower' THEN -coalesce(b.value_num, wb.rank) END) AS d
          FROM base b
          JOIN fu f ON f.case_id = b.case_id AND f.instrument = b.instrument
          JOIN cases c ON c.id = b.case_id
          LEFT JOIN instrument i ON i.name = b.instrument
          LEFT JOIN word wb ON wb.instrument = b.instrument
                           AND wb.word = instrument_word(b.value_text)
          LEFT JOIN word wf ON wf.instrument = f.instrument
                           AND wf.word = instrument_word(f.value_text)
         WHERE f.measured_at > b.measured_at
           AND (q.workflow IS NULL OR c.workflow_name = q.workflow)
           AND (q.department IS NULL OR c.tovholder_department = q.department)),
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
          FROM pairs p
         WHERE p.d IS NOT NULL
         GROUP BY p.wf, p.dep, p.instrument)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'workflow', g.wf, 'department', g.dep, 'instrument', g.instrument,
               'better', CASE WHEN i.name IS NULL THEN 'higher' ELSE i.better END,
               'share_improved', report_share(g.cells->'improved', g.cells->'cases'),
               'share_unchanged', report_share(g.cells->'unchanged', g.cells->'cases'),
               'share_worse', report_share(g.cells->'worse', g.cells->'cases')) || g.cells
               ORDER BY g.wf, g.dep NULLS LAST, g.instrument), '[]')
      INTO rows_
      FROM g LEFT JOIN instrument i ON i.name = g.instrument;

    WITH res AS (
        -- the latest result of each goal in the period
        SELECT DISTINCT ON (m.case_id, m.goal_key) c.workflow_name AS wf,
               c.tovholder_department AS dep, c.citizen_id AS ci,
               replace(lower(btrim(m.value_text)), 'å', 'aa') AS result
          FROM measure m JOIN cases c ON c.id = m.case_id
         WHERE m.kind = 'followup' AND m.measured_at >= q.p_start AND m.measured_at < q.p_end
           AND EXISTS (SELECT 1 FROM instrument i
                        WHERE i.name = m.instrument AND i.kind = 'result')
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
