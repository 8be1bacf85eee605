-- Queues and inboxes show, beside each task's ids, the names of its department, the sending
-- department, the assignee and the case's tovholder, the title of the case's phase and the
-- outcome fields the task takes (0012). Looked up per row and name, that was six index
-- probes for every row of a page; here they are joins over the page, where the planner finds
-- a repeated key (the same department, the tovholder of most of my queue, the same task key)
-- once. The answers are the same.

-- One open task or handover as lists show it, from the row and the names already found.
CREATE FUNCTION api_task_json(t task, c cases, ci citizen, department_name text,
                              from_department_name text, assignee_name text,
                              tovholder_name text, phase_title text, outcome_fields json)
RETURNS json LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
        'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
        'department', t.department_id, 'department_name', department_name,
        'from_department', t.from_department, 'from_department_name', from_department_name,
        'assignee', t.assignee, 'assignee_name', assignee_name,
        'due_at', t.due_at,
        'overdue', t.due_at IS NOT NULL AND t.due_at < now() AND t.status IN ('open', 'claimed'),
        'outcome_fields', CASE WHEN t.kind = 'task' THEN coalesce(outcome_fields, '[]'::json)
                               ELSE '[]'::json END,
        'case', json_build_object(
            'id', c.id, 'phase', c.phase, 'phase_title', coalesce(phase_title, c.phase),
            'workflow', c.workflow_name, 'tovholder', c.tovholder,
            'tovholder_name', tovholder_name),
        'citizen', json_build_object('id', ci.id, 'name', ci.display_name),
        'etag', overgang.api_etag(t.revision))
$$;

-- The page of tasks IDS (in that order, n from 1) as list items, with the citizen and case
-- of each for the access log.
CREATE FUNCTION api_task_page(ids bigint[])
RETURNS TABLE (n bigint, item json, citizen_id bigint, case_id bigint) LANGUAGE sql STABLE
AS $$
    SELECT p.n, overgang.api_task_json(t, c, ci, d.name, fd.name, a.name, th.name, wp.title,
                                       wt.outcome_fields),
           ci.id, c.id
      FROM unnest(ids) WITH ORDINALITY AS p (id, n)
      JOIN overgang.task t ON t.id = p.id
      JOIN overgang.cases c ON c.id = t.case_id
      JOIN overgang.citizen ci ON ci.id = c.citizen_id
      LEFT JOIN overgang.department d ON d.id = t.department_id
      LEFT JOIN overgang.department fd ON fd.id = t.from_department
      LEFT JOIN overgang.staff a ON a.id = t.assignee
      LEFT JOIN overgang.staff th ON th.id = c.tovholder
      LEFT JOIN overgang.workflow_phase wp
        ON wp.workflow_name = c.workflow_name AND wp.workflow_version = c.workflow_version
       AND wp.name = c.phase
      LEFT JOIN overgang.workflow_task wt
        ON wt.workflow_name = c.workflow_name AND wt.workflow_version = c.workflow_version
       AND wt.key = t.key
$$;
-- A queue's or inbox's answer from the page of tasks IDS: the items, and the cursor for the
-- next page when NEXT_KEY (the last item's sort key) is given; with the page's citizens and
-- cases for the access log.
CREATE FUNCTION api_task_list(ids bigint[], next_key jsonb, OUT list json,
                              OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE sql STABLE
AS $$
    SELECT json_build_object('items', coalesce(json_agg(p.item ORDER BY p.n), '[]'),
                             'next_cursor', overgang.api_cursor_encode(next_key)),
           array_agg(p.citizen_id ORDER BY p.n), array_agg(p.case_id ORDER BY p.n)
      FROM overgang.api_task_page(ids) p
$$;

CREATE OR REPLACE FUNCTION api_queue(r jsonb) RETURNS json LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    me text := api_staff(r);
    k jsonb := api_cursor(r);
    k_due timestamptz;
    k_id bigint;
    f_case text := r->'query'->>'case';
    f_dep text := r->'query'->>'department';
    f_status text := r->'query'->>'status';
    lim integer := (r->>'limit')::int;
    result json;
    citizen_ids bigint[];
    case_ids bigint[];
    ids bigint[];
    more boolean;
    last jsonb;
BEGIN
    BEGIN
        k_due := coalesce((k->>0)::timestamptz, '-infinity');
        k_id := coalesce((k->>1)::bigint, 0);
    EXCEPTION WHEN data_exception THEN
        PERFORM api_fail(400, 'bad-cursor',
            'The cursor is not one this list gave out; start from the first page.',
            jsonb_build_object('field', 'cursor'));
    END;
    IF f_case IS NOT NULL AND f_case !~ '^[0-9]{1,18}$' THEN
        PERFORM api_fail(400, 'bad-parameter', 'case must be a case number.',
                         jsonb_build_object('field', 'case'));
    END IF;
    IF f_status IS NOT NULL AND f_status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be open or claimed.',
                         jsonb_build_object('field', 'status'));
    END IF;
    SELECT (array_agg(m.id ORDER BY m.due, m.id))[1:lim], count(*) > lim,
           (array_agg(jsonb_build_array(m.due, m.id) ORDER BY m.due, m.id))[lim]
      INTO ids, more, last
      FROM ((SELECT t.id, coalesce(t.due_at, 'infinity') AS due FROM task t
                  WHERE t.assignee = me AND t.status IN ('open', 'claimed')
                    AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                    AND (f_case IS NULL OR t.case_id = f_case::bigint)
                    AND (f_dep IS NULL OR t.department_id = f_dep)
                    AND (f_status IS NULL OR t.status = f_status)
                  ORDER BY coalesce(t.due_at, 'infinity'), t.id
                  LIMIT lim + 1)
                UNION ALL
                (SELECT t.id, coalesce(t.due_at, 'infinity') FROM task t
                  WHERE t.holder = me AND t.status IN ('open', 'claimed')
                    AND t.assignee IS DISTINCT FROM me
                    AND (coalesce(t.due_at, 'infinity'), t.id) > (k_due, k_id)
                    AND (f_case IS NULL OR t.case_id = f_case::bigint)
                    AND (f_dep IS NULL OR t.department_id = f_dep)
                    AND (f_status IS NULL OR t.status = f_status)
                  ORDER BY coalesce(t.due_at, 'infinity'), t.id
                  LIMIT lim + 1)) m;
    SELECT * INTO result, citizen_ids, case_ids
      FROM api_task_list(ids, CASE WHEN more THEN last END);
    PERFORM api_access(r, citizen_ids, case_ids);
    RETURN result;
END $$;CREATE OR REPLACE FUNCTION api_inbox(r jsonb) RETURNS json LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_dep text := r->'params'->>'id';
    v_kind text := r->'query'->>'kind';
    v_status text := r->'query'->>'status';
    v_limit int := (r->>'limit')::int;
    v_k text[];
    v_claimed boolean;
    v_due timestamptz;
    v_id bigint;
    v_result json;
    v_citizens bigint[];
    v_cases bigint[];
    v_ids bigint[];
    v_more boolean;
    v_last jsonb;
BEGIN
    IF NOT api_work_member(api_staff(r), v_dep) THEN
        PERFORM api_fail(404, 'not-found',
            'There is no department with this id whose inbox you may see.');
    END IF;
    IF v_kind IS NOT NULL AND v_kind NOT IN ('task', 'handover') THEN
        PERFORM api_fail(400, 'bad-parameter', 'kind must be task or handover.',
                         jsonb_build_object('field', 'kind'));
    END IF;
    IF v_status IS NOT NULL AND v_status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(400, 'bad-parameter', 'status must be open or claimed.',
                         jsonb_build_object('field', 'status'));
    END IF;
    v_k := api_work_cursor(r, '{boolean,timestamptz,bigint}');
    v_claimed := coalesce(v_k[1]::boolean, false);
    v_due := coalesce(v_k[2]::timestamptz, '-infinity');
    v_id := coalesce(v_k[3]::bigint, 0);
    IF v_status = 'claimed' AND NOT v_claimed THEN
        -- the claimed ones come after every open one: start there
        v_claimed := true;
        v_due := '-infinity';
        v_id := 0;
    END IF;
    SELECT (array_agg(p.id ORDER BY p.claimed, p.due, p.id))[1:v_limit], count(*) > v_limit,
           (array_agg(jsonb_build_array(p.claimed, p.due, p.id)
                      ORDER BY p.claimed, p.due, p.id))[v_limit]
      INTO v_ids, v_more, v_last
      FROM (SELECT t.id, t.status = 'claimed' AS claimed, coalesce(t.due_at, 'infinity') AS due
              FROM task t
             WHERE t.department_id = v_dep AND t.status IN ('open', 'claimed')
               AND ((t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id)
                   > (v_claimed, v_due, v_id)
               AND (t.status = 'claimed') <= (v_status IS DISTINCT FROM 'open')
               AND (v_kind IS NULL OR t.kind = v_kind)
             ORDER BY (t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id
             LIMIT v_limit + 1) p;
    SELECT * INTO v_result, v_citizens, v_cases
      FROM api_task_list(v_ids, CASE WHEN v_more THEN v_last END);
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN v_result;
END $$;
-- api_task_item, the per-row form, has no caller left.
DROP FUNCTION api_task_item(task, cases, citizen);
