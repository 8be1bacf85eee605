-- Reports that steer by deadlines and effect: per workflow, department and period, numbers
-- only, small groups suppressed (functions called by engine/api/routes_reports.c).
--
-- Every report takes ?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included, Danish time), and
-- optionally ?workflow=NAME, ?department=ID and ?format=csv. It counts citizens' cases, tasks
-- and measures but never shows who: no citizen, case or staff id, no name. A number that
-- concerns 1 to 4 different citizens is suppressed (null in JSON, an empty cell in CSV), and
-- so is a total one of whose parts is suppressed (else the part could be worked out by
-- subtraction). A zero concerns no one and is shown: were zeros hidden too, nearly every
-- total would be (by the rule before) whenever one of its parts is zero. Each row lists the
-- names of its suppressed cells; the note says why.
-- Reading a report is not logged in the access log: it holds no person's data.

-- The fewest citizens a number in a report may concern, unless it is zero.
CREATE FUNCTION report_min_group() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

-- A report's request, checked.
CREATE TYPE report_query AS (
    p_from      date,
    p_to        date,
    p_start     timestamptz, -- from, 00:00 Danish time
    p_end       timestamptz, -- the day after to, 00:00 Danish time (excluded)
    workflow    text,
    department  text,
    csv         boolean
);

CREATE FUNCTION report_query(r jsonb) RETURNS report_query LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q jsonb := coalesce(r->'query', '{}');
    param text;
    v text;
    d date;
    res report_query;
BEGIN
    FOREACH param IN ARRAY ARRAY['from', 'to'] LOOP
        v := q->>param;
        IF v IS NULL THEN
            PERFORM api_fail(400, 'bad-parameter',
                format('Give the period as ?from=YYYY-MM-DD&to=YYYY-MM-DD; %s is missing.', param),
                jsonb_build_object('field', param));
        END IF;
        d := NULL;
        IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
            BEGIN
                d := v::date;
            EXCEPTION WHEN data_exception THEN
                d := NULL;
            END;
        END IF;
        IF d IS NULL THEN
            PERFORM api_fail(400, 'bad-parameter',
                format('%s must be a date written YYYY-MM-DD, such as 2026-01-31.', param),
                jsonb_build_object('field', param));
        END IF;
        IF param = 'from' THEN
            res.p_from := d;
        ELSE
            res.p_to := d;
        END IF;
    END LOOP;
    IF res.p_from > res.p_to THEN
        PERFORM api_fail(400, 'bad-parameter',
            'The period ends before it begins: from must be on or before to.',
            jsonb_build_object('field', 'from'));
    END IF;
    res.p_start := res.p_from::timestamp AT TIME ZONE 'Europe/Copenhagen';
    res.p_end := (res.p_to + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen';
    res.workflow := q->>'workflow';
    IF res.workflow IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM workflow w WHERE w.name = res.workflow) THEN
        PERFORM api_fail(400, 'bad-parameter', 'No workflow of that name is deployed.',
                         jsonb_build_object('field', 'workflow'));
    END IF;
    res.department := q->>'department';
    IF res.department IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM department d WHERE d.id = res.department) THEN
        PERFORM api_fail(400, 'bad-parameter', 'There is no department with that id.',
                         jsonb_build_object('field', 'department'));
    END IF;
    IF coalesce(q->>'format', 'json') NOT IN ('json', 'csv') THEN
        PERFORM api_fail(400, 'bad-parameter', 'format must be json or csv.',
                         jsonb_build_object('field', 'format'));
    END IF;
    res.csv := q->>'format' = 'csv';
    RETURN res;
END $$;

-- Numbers of one row, suppressed where they concern 1 to 4 citizens. CELLS: {name: {"n":
-- count, "c": distinct citizens}}. TOTAL names the cell that is the sum of the others; it is
-- suppressed too when one of them is, or when HIDE_TOTAL (a part shown elsewhere is). The
-- answer: {name: count or null, ..., "suppressed": [names]}.
CREATE FUNCTION report_cells(cells jsonb, total text DEFAULT NULL, hide_total boolean DEFAULT false)
RETURNS jsonb LANGUAGE sql IMMUTABLE
SET search_path = overgang, pg_catalog AS $$
    WITH x AS (
        SELECT e.key, (e.value->>'n')::bigint AS n,
               coalesce((e.value->>'c')::bigint, 0) BETWEEN 1 AND report_min_group() - 1 AS small
          FROM jsonb_each(cells) e),
    h AS (
        SELECT x.key, x.n,
               x.small OR x.key = total AND (hide_total OR EXISTS (
                   SELECT 1 FROM x y WHERE y.small AND y.key <> total)) AS hide
          FROM x)
    SELECT coalesce(jsonb_object_agg(h.key, CASE WHEN h.hide THEN NULL ELSE h.n END), '{}')
           || jsonb_build_object('suppressed',
                  coalesce(jsonb_agg(h.key ORDER BY h.key) FILTER (WHERE h.hide), '[]'))
      FROM h
$$;

-- A count and its citizens, as report_cells takes them.
CREATE FUNCTION report_nc(n bigint, c bigint) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_build_object('n', n, 'c', c) $$;

-- A share A / B of two shown counts, to three decimals; null when either is suppressed.
CREATE FUNCTION report_share(a jsonb, b jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
                     AND (b #>> '{}')::numeric > 0
                THEN trim_scale(round((a #>> '{}')::numeric / (b #>> '{}')::numeric, 3)) END
$$;

-- One CSV field (RFC 4180): numbers as they are, null as nothing, text quoted when needed; a
-- text a spreadsheet would take for a formula gets a leading apostrophe.
CREATE FUNCTION report_csv_field(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN v IS NULL OR jsonb_typeof(v) = 'null' THEN ''
        WHEN jsonb_typeof(v) <> 'string' THEN v #>> '{}'
        ELSE (SELECT CASE WHEN s ~ '[",\r\n]' OR s <> btrim(s)
                          THEN '"' || replace(s, '"', '""') || '"' ELSE s END
                FROM (SELECT CASE WHEN v #>> '{}' ~ '^[=+@-]' THEN '''' ELSE '' END
                             || (v #>> '{}') AS s) f)
    END
$$;

-- The answer of a report: JSON, or with ?format=csv a JSON string holding the CSV (the
-- daemon sends it as text/csv). BODY: the report's own members (its rows). CSV_ROWS: the
-- same rows flat, each an object with COLUMNS and "suppressed"; the CSV has the columns and
-- a last column, note, naming the cells of the row that are suppressed.
CREATE FUNCTION report_answer(q report_query, report text, body jsonb, columns text[],
                              csv_rows jsonb) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT CASE WHEN q.csv THEN to_jsonb(
        array_to_string(columns, ',') || ',note' || E'\r\n'
        || coalesce((SELECT string_agg(
                (SELECT string_agg(report_csv_field(row_->col), ',' ORDER BY i)
                   FROM unnest(columns) WITH ORDINALITY AS c (col, i))
                || ',' || report_csv_field(CASE WHEN jsonb_array_length(row_->'suppressed') > 0
                    THEN to_jsonb(format('suppressed (1 to %s citizens): %s',
                        report_min_group() - 1,
                        (SELECT string_agg(s, ' ' ORDER BY s)
                           FROM jsonb_array_elements_text(row_->'suppressed') s))) END)
                || E'\r\n', '' ORDER BY n)
              FROM jsonb_array_elements(csv_rows) WITH ORDINALITY AS x (row_, n)), ''))
    ELSE jsonb_build_object(
        'report', report,
        'period', jsonb_build_object('from', q.p_from, 'to', q.p_to),
        'filters', jsonb_build_object('workflow', q.workflow, 'department', q.department),
        'generated_at', now(),
        'min_group', report_min_group(),
        'note', format('Numbers that concern 1 to %s citizens are suppressed (null), and so is '
                       'a total when one of its parts is; each row''s "suppressed" names them.',
                       report_min_group() - 1),
        'suppressed', (SELECT coalesce(sum(jsonb_array_length(x->'suppressed')), 0)
                         FROM jsonb_array_elements(csv_rows) x))
        || body
    END
$$;

-- ---- cases started, active and closed ----

-- Per workflow and the tovholder's department: cases started in the period, active in it
-- (open at some time in it), open at its end, and closed in it, by outcome.
CREATE FUNCTION api_report_cases(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
BEGIN
    WITH c AS (
        SELECT cs.workflow_name AS wf, cs.tovholder_department AS dep, cs.citizen_id AS ci,
               cs.outcome,
               cs.started_at >= q.p_start AS started,
               cs.closed_at IS NULL OR cs.closed_at >= q.p_end AS open_at_end,
               cs.closed_at < q.p_end AS closed
          FROM cases cs
         WHERE cs.started_at < q.p_end AND (cs.closed_at IS NULL OR cs.closed_at >= q.p_start)
           AND (q.workflow IS NULL OR cs.workflow_name = q.workflow)
           AND (q.department IS NULL OR cs.tovholder_department = q.department)),
    o AS (
        SELECT c.wf, c.dep, c.outcome, count(*) AS n, count(DISTINCT c.ci) AS ci
          FROM c WHERE c.closed GROUP BY c.wf, c.dep, c.outcome),
    outcomes AS (
        SELECT o.wf, o.dep,
               jsonb_agg(jsonb_build_object('outcome', o.outcome)
                         || report_cells(jsonb_build_object('closed', report_nc(o.n, o.ci)))
                         ORDER BY o.outcome NULLS LAST) AS list,
               bool_or(o.ci BETWEEN 1 AND report_min_group() - 1) AS any_small
          FROM o GROUP BY o.wf, o.dep),
    g AS (
        SELECT c.wf, c.dep,
               report_nc(count(*) FILTER (WHERE c.started),
                         count(DISTINCT c.ci) FILTER (WHERE c.started)) AS started,
               report_nc(count(*), count(DISTINCT c.ci)) AS active,
               report_nc(count(*) FILTER (WHERE c.open_at_end),
                         count(DISTINCT c.ci) FILTER (WHERE c.open_at_end)) AS open_at_end,
               report_nc(count(*) FILTER (WHERE c.closed),
                         count(DISTINCT c.ci) FILTER (WHERE c.closed)) AS closed
          FROM c GROUP BY c.wf, c.dep)
    SELECT coalesce(jsonb_agg(
               jsonb_build_object('workflow', x.wf, 'department', x.dep)
               || (x.top - 'suppressed') || (x.cl - 'suppressed')
               || jsonb_build_object('closed_by_outcome', x.list,
                                     'suppressed', (x.top->'suppressed') || (x.cl->'suppressed'))
               ORDER BY x.wf, x.dep NULLS LAST), '[]')
      INTO rows_
      FROM (SELECT g.wf, g.dep, coalesce(outcomes.list, '[]') AS list,
                   report_cells(jsonb_build_object('started', g.started, 'active', g.active,
                                                   'open_at_end', g.open_at_end)) AS top,
                   report_cells(jsonb_build_object('closed', g.closed), 'closed',
                                coalesce(outcomes.any_small, false)) AS cl
              FROM g LEFT JOIN outcomes ON outcomes.wf = g.wf
                                       AND outcomes.dep IS NOT DISTINCT FROM g.dep) x;
    RETURN report_answer(q, 'cases', jsonb_build_object('rows', rows_),
        ARRAY['section', 'workflow', 'department', 'outcome', 'started', 'active',
              'open_at_end', 'closed'],
        (SELECT coalesce(jsonb_agg(line ORDER BY n, m), '[]') FROM (
            SELECT x.row_ || '{"section": "cases"}' AS line, x.n, 0::bigint AS m
              FROM jsonb_array_elements(rows_) WITH ORDINALITY AS x (row_, n)
            UNION ALL
            SELECT y.o || jsonb_build_object('section', 'closed_by_outcome',
                                             'workflow', x.row_->'workflow',
                                             'department', x.row_->'department'),
                   x.n, y.m
              FROM jsonb_array_elements(rows_) WITH ORDINALITY AS x (row_, n),
                   jsonb_array_elements(x.row_->'closed_by_outcome') WITH ORDINALITY AS y (o, m)
        ) lines));
END $$;

-- ---- deadlines met and missed ----

-- What a task key's deadline stands for, where the law sets it (barn-til-voksen's keys).
CREATE FUNCTION report_deadline_label(key text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE key
        WHEN 'afgoerelse-111' THEN
            'Barnets Lov § 111: afgørelse om støtte efter 18 år senest 6 måneder før 18-årsdagen'
        WHEN 'afgoerelse-voksen' THEN
            '18-årsdagen: afgørelse om støtte som voksen, så den kan begynde på 18-årsdagen'
        WHEN 'ny-frist-afgoerelse-voksen' THEN
            'Retssikkerhedsloven § 3, stk. 2: den nye frist, borgeren har fået besked om'
        WHEN 'overdragelse' THEN
            'Overdragelsen til voksenområdet besvaret i tide'
    END
$$;

-- Tasks and handovers due in the period (cancelled ones left out): met (done, accepted or
-- rejected by the due time), missed (answered late, or still open past it), open (not due
-- yet). Per workflow, department and kind; and per workflow and task key, which is how the
-- deadlines of the law are counted (barn-til-voksen: afgoerelse-111 for Barnets Lov § 111,
-- afgoerelse-voksen for the 18th birthday).
CREATE FUNCTION api_report_deadlines_met(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
    keys_ jsonb;
BEGIN
    WITH d AS (
        SELECT c.workflow_name AS wf, t.department_id AS dep, t.kind, t.key, c.citizen_id AS ci,
               a.answered AND t.closed_at <= t.due_at AS met,
               a.answered AND t.closed_at > t.due_at
                   OR NOT a.answered AND t.due_at < now() AS missed,
               NOT a.answered AND t.due_at >= now() AS open
          FROM task t
          JOIN cases c ON c.id = t.case_id,
               LATERAL (SELECT t.status IN ('done', 'accepted', 'rejected') AS answered) a
         WHERE t.due_at >= q.p_start AND t.due_at < q.p_end AND t.status <> 'cancelled'
           AND (q.workflow IS NULL OR c.workflow_name = q.workflow)
           AND (q.department IS NULL OR t.department_id = q.department))
    SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object('workflow', x.wf, 'department', x.dep,
                                                         'kind', x.kind) || x.cells
                                      ORDER BY x.wf, x.dep, x.kind), '[]')
              FROM (SELECT d.wf, d.dep, d.kind, report_cells(jsonb_build_object(
                       'due', report_nc(count(*), count(DISTINCT d.ci)),
                       'met', report_nc(count(*) FILTER (WHERE d.met),
                                        count(DISTINCT d.ci) FILTER (WHERE d.met)),
                       'missed', report_nc(count(*) FILTER (WHERE d.missed),
                                           count(DISTINCT d.ci) FILTER (WHERE d.missed)),
                       'open', report_nc(count(*) FILTER (WHERE d.open),
                                         count(DISTINCT d.ci) FILTER (WHERE d.open))),
                       'due') AS cells
                      FROM d GROUP BY d.wf, d.dep, d.kind) x),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('workflow', x.wf, 'key', x.key,
                                                         'kind', x.kind,
                                                         'deadline', report_deadline_label(x.key))
                                      || x.cells ORDER BY x.wf, x.key, x.kind), '[]')
              FROM (SELECT d.wf, d.key, d.kind, report_cells(jsonb_build_object(
                       'due', report_nc(count(*), count(DISTINCT d.ci)),
                       'met', report_nc(count(*) FILTER (WHERE d.met),
                                        count(DISTINCT d.ci) FILTER (WHERE d.met)),
                       'missed', report_nc(count(*) FILTER (WHERE d.missed),
                                           count(DISTINCT d.ci) FILTER (WHERE d.missed)),
                       'open', report_nc(count(*) FILTER (WHERE d.open),
                                         count(DISTINCT d.ci) FILTER (WHERE d.open))),
                       'due') AS cells
                      FROM d WHERE d.key IS NOT NULL GROUP BY d.wf, d.key, d.kind) x)
      INTO rows_, keys_;
    RETURN report_answer(q, 'deadlines-met', jsonb_build_object('rows', rows_, 'by_key', keys_),
        ARRAY['section', 'workflow', 'department', 'key', 'kind', 'deadline', 'due', 'met',
              'missed', 'open'],
        (SELECT coalesce(jsonb_agg(line ORDER BY s, n), '[]') FROM (
            SELECT x.row_ || '{"section": "department"}' AS line, 1 AS s, x.n
              FROM jsonb_array_elements(rows_) WITH ORDINALITY AS x (row_, n)
            UNION ALL
            SELECT x.row_ || '{"section": "key"}', 2, x.n
              FROM jsonb_array_elements(keys_) WITH ORDINALITY AS x (row_, n)) lines));
END $$;

-- ---- time in each phase ----

-- How long cases stayed in each phase: the phase intervals that ended in the period, median
-- and 90th percentile in days, per workflow, phase and the department that held the case
-- (the tovholder's) when the phase began. A case's phases: the workflow's first phase from
-- its start, then each done event whose recorded commands change the phase (the last phase
-- command of a step is where the case came to rest), until the case closed. A phase entered
-- in the step that closed the case has no time in it and is left out.
CREATE FUNCTION api_report_phases(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
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
                 ORDER BY w.version DESC LIMIT 1) AS pos
          FROM done d
         WHERE q.department IS NULL OR d.dep = q.department
         GROUP BY d.wf, d.phase, d.dep)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'workflow', g.wf, 'phase', g.phase, 'department', g.dep,
               'intervals', CASE WHEN g.ci >= report_min_group() THEN g.n END,
               'median_days', CASE WHEN g.ci >= report_min_group() THEN g.median END,
               'p90_days', CASE WHEN g.ci >= report_min_group() THEN g.p90 END,
               'suppressed', CASE WHEN g.ci >= report_min_group() THEN '[]'::jsonb
                                  ELSE '["intervals", "median_days", "p90_days"]' END)
               ORDER BY g.wf, g.pos NULLS LAST, g.phase, g.dep NULLS LAST), '[]')
      INTO rows_
      FROM g;
    RETURN report_answer(q, 'phases', jsonb_build_object('rows', rows_),
        ARRAY['workflow', 'phase', 'department', 'intervals', 'median_days', 'p90_days'], rows_);
END $$;

-- ---- effect: measures against the baseline, and goal results ----

-- Where a measure's value stands on its instrument's scale, better higher: numbers as they
-- are; an FFB support-need level (instruments named ffb*) by the scale ingen < let < moderat <
-- omfattende < fuldstændigt, turned round, as less need is better. Null for what cannot be
-- compared ('ikke vurderet', other texts).
CREATE FUNCTION report_score(instrument text, value_num double precision, value_text text)
RETURNS double precision LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN instrument ~* '^ffb' THEN -coalesce(value_num,
            CASE replace(lower(btrim(value_text)), 'æ', 'ae')
                WHEN 'ingen' THEN 0 WHEN 'let' THEN 1 WHEN 'moderat' THEN 2
                WHEN 'omfattende' THEN 3 WHEN 'fuldstaendigt' THEN 4 END)
        ELSE value_num
    END
$$;

-- Per workflow, department (the tovholder's) and instrument: the cases whose latest follow-up
-- in the period came after their first baseline, and how many of them improved, stayed the
-- same or got worse, with the shares. And the goal results (instrument maalopfyldelse, the
-- latest follow-up of each goal in the period): opnaaet, delvist opnaaet, ikke opnaaet, ikke
-- relevant.
CREATE FUNCTION api_report_effect(r jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
DECLARE
    q report_query := report_query(r);
    rows_ jsonb;
    goals_ jsonb;
BEGIN
    WITH m AS (
        SELECT m.*, c.workflow_name AS wf, c.tovholder_department AS dep, c.citizen_id AS ci
          FROM measure m JOIN cases c ON c.id = m.case_id
         WHERE m.instrument <> 'maalopfyldelse'
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
               'better', CASE WHEN g.instrument ~* '^ffb' THEN 'lower' ELSE 'higher' END,
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
         WHERE m.instrument = 'maalopfyldelse' AND m.kind = 'followup'
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
