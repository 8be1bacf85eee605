-- "My cases" pages in an order that holds while the data changes. The list is ordered by
-- each case's next deadline, and that deadline moves whenever a task of the case is done or
-- made: paged by the deadline itself, a case could show on two pages or on none. Now the
-- first page finds the order of all the cases I hold and, when they do not fit on one page,
-- keeps it here; the cursor names the kept order and how far the pages have come. Later
-- pages show the cases that come next in that order, each as it is now. A case I no longer
-- hold, or that was closed, is left out (the page takes the next ones instead); a case I
-- took over after the first page shows from the next first page. A kept order lasts a day.
--
-- The queue and the inbox need none of this: a task's due date never changes, and a task
-- only goes from unclaimed to claimed (task_status_forward), so paging them by their key
-- never misses one that was there all along. One claimed while you page shows again among
-- the claimed, as it now is.

CREATE TABLE api_list_order (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id text NOT NULL,
    list text NOT NULL,
    ids bigint[] NOT NULL,
    made_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_list_order_made ON api_list_order (made_at);

-- The cases IDS (in that order) as "my cases" shows them, those that ME still holds and
-- that are not closed; with their citizens and cases for the access log.
CREATE FUNCTION api_my_case_items(me text, ids bigint[], OUT items jsonb,
                                  OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', c.id, 'status', c.status, 'phase', c.phase,
               'phase_title', coalesce(wp.title, c.phase),
               'workflow', jsonb_build_object('name', c.workflow_name,
                                              'version', c.workflow_version),
               'citizen', jsonb_build_object('id', ci.id, 'name', ci.display_name),
               'tovholder_department', c.tovholder_department,
               'tovholder_department_name', td.name,
               'next_deadline', CASE WHEN nx.id IS NOT NULL THEN jsonb_build_object(
                   'task', nx.id, 'kind', nx.kind, 'title', nx.title,
                   'department', nx.department_id,
                   'department_name', nd.name,
                   'due_at', nx.due_at,
                   'overdue', nx.due_at < now()) END,
               'waiting', jsonb_build_object('tasks', w.tasks, 'handovers', w.handovers,
                                             'overdue', w.overdue),
               'updated_at', c.updated_at, 'etag', api_etag(c.revision))
           ORDER BY p.n), '[]'),
           array_agg(ci.id ORDER BY p.n), array_agg(c.id ORDER BY p.n)
      INTO items, citizen_ids, case_ids
      FROM unnest(ids) WITH ORDINALITY AS p (id, n)
      JOIN cases c ON c.id = p.id AND c.tovholder = me AND c.status <> 'closed'
      JOIN citizen ci ON ci.id = c.citizen_id
      LEFT JOIN department td ON td.id = c.tovholder_department
      LEFT JOIN workflow_phase wp
        ON wp.workflow_name = c.workflow_name AND wp.workflow_version = c.workflow_version
       AND wp.name = c.phase
      CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE t.kind = 'task') AS tasks,
                 count(*) FILTER (WHERE t.kind = 'handover') AS handovers,
                 count(*) FILTER (WHERE t.due_at < now()) AS overdue
            FROM task t WHERE t.case_id = c.id AND t.status IN ('open', 'claimed')) w
      LEFT JOIN LATERAL (
          SELECT t.id, t.kind, t.title, t.department_id, t.due_at
            FROM task t
           WHERE t.case_id = c.id AND t.status IN ('open', 'claimed') AND t.due_at IS NOT NULL
           ORDER BY coalesce(t.due_at, 'infinity'), t.id LIMIT 1) nx ON true
      LEFT JOIN department nd ON nd.id = nx.department_id;
END $$;

-- The cases I hold, with the title of each case's phase and the names of departments, by
-- next deadline (the earliest due open task or handover; none last), with what is waiting
-- in each. Every citizen on the page is written to the access log. The cursor is
-- [kept order, cases shown so far].
CREATE OR REPLACE FUNCTION api_my_cases(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_limit int := (r->>'limit')::int;
    v_k text[] := api_work_cursor(r, '{bigint,bigint}');
    v_order bigint;
    v_from int;
    v_ids bigint[];
    v_page jsonb;
    v_citizens bigint[];
    v_cases bigint[];
    v_next jsonb;
BEGIN
    IF v_k IS NULL THEN
        SELECT array_agg(q.id ORDER BY q.due, q.id) INTO v_ids
          FROM (SELECT c.id, coalesce(nd.due, 'infinity') AS due
                  FROM cases c
                  LEFT JOIN LATERAL (SELECT min(t.due_at) AS due FROM task t
                                      WHERE t.case_id = c.id
                                        AND t.status IN ('open', 'claimed')) nd ON true
                 WHERE c.tovholder = v_me AND c.status <> 'closed') q;
        v_from := 0;
        IF cardinality(v_ids) > v_limit THEN
            -- a few orders past their day go, without waiting for another page doing the same
            DELETE FROM api_list_order
             WHERE id IN (SELECT o.id FROM api_list_order o
                           WHERE o.made_at < now() - interval '1 day'
                           ORDER BY o.id LIMIT 10 FOR UPDATE SKIP LOCKED);
            INSERT INTO api_list_order (staff_id, list, ids) VALUES (v_me, 'my_cases', v_ids)
            RETURNING id INTO v_order;
        END IF;
    ELSE
        BEGIN
            v_order := v_k[1]::bigint;
            v_from := v_k[2]::int;
        EXCEPTION WHEN data_exception THEN
            v_order := NULL;
        END;
        SELECT o.ids INTO v_ids FROM api_list_order o
         WHERE o.id = v_order AND o.staff_id = v_me AND o.list = 'my_cases'
           AND o.made_at >= now() - interval '1 day';
        IF v_ids IS NULL OR v_from < 1 OR v_from >= cardinality(v_ids) THEN
            PERFORM api_fail(400, 'bad-cursor',
                'The cursor is not one this list gave out, or its order is more than a day '
                'old; start from the first page.',
                jsonb_build_object('field', 'cursor'));
        END IF;
    END IF;
    -- the next LIMIT of the kept order that I still hold, and whether one more follows: a
    -- page is full while there are cases left to show
    SELECT (array_agg(p.id ORDER BY p.n))[1:v_limit],
           CASE WHEN count(*) > v_limit
                THEN jsonb_build_array(v_order, v_from + (array_agg(p.n ORDER BY p.n))[v_limit])
           END
      INTO v_ids, v_next
      FROM (SELECT u.id, u.n
              FROM unnest(v_ids[v_from + 1 :]) WITH ORDINALITY AS u (id, n)
              JOIN cases c ON c.id = u.id AND c.tovholder = v_me AND c.status <> 'closed'
             ORDER BY u.n LIMIT v_limit + 1) p;
    SELECT * INTO v_page, v_citizens, v_cases FROM api_my_case_items(v_me, v_ids);
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN jsonb_build_object('items', v_page, 'next_cursor', api_cursor_encode(v_next));
END $$;
