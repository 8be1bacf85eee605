-- Queues and inboxes: the daemon keeps each task's list item as rendered, and a page's
-- statement answers only the page's keys (engine/api/task_list.h).
--
-- At national scale a queue page cost PostgreSQL about 1.7 ms of CPU: 0.25 ms to find its
-- 50 tasks, the rest to join each to its case, citizen, department, staff and workflow rows
-- (0.8 ms) and to build its JSON. Finding the tasks and reading the row versions of each
-- task and its case costs 0.75 ms with the access-log entry. So api_task_list (the end of
-- api_queue and api_inbox) now answers
--   {"keys": [[task id, "task xmin.case xmin"], ...], "names": N, "now": µs since 1970,
--    "server": the server's start in µs, "next_cursor": ...}
-- and the daemon shows the item it keeps for a task when the task's version and the names'
-- version N are those it was rendered at; the others it asks api_task_items for.
--
-- What an item shows comes from the task row, its case's row (a new version of either is a
-- new xmin), and names: the citizen's, the assignee's and tovholder's, the departments', the
-- phase's title and the task's outcome fields. A change of any name counts up list_names
-- once per transaction, at its commit, and every kept item is rendered again. Names change
-- seldom (a directory sync, the person register, an administrator), so this costs little,
-- and it takes the one row's lock only while committing, so it cannot deadlock with
-- anything the transaction did before (so long as no one holds it longer with SET
-- CONSTRAINTS ... IMMEDIATE or PREPARE TRANSACTION, which overgang does not use).
-- A citizen's new name from the person register renders every kept entry again too: a
-- night's import renames some hundreds, each batch counting up once; covering names per
-- entry instead would cost every page one more row version per task.
-- "overdue" depends on the clock, so the daemon decides
-- it at each answer from the task's due date and the database's clock ("now").

CREATE TABLE list_names (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch bigint NOT NULL
);
INSERT INTO list_names (epoch) VALUES (1);

CREATE FUNCTION list_names_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    IF current_setting('overgang.list_names_changed', true) IS DISTINCT FROM 'yes' THEN
        UPDATE list_names SET epoch = epoch + 1;
        PERFORM set_config('overgang.list_names_changed', 'yes', true);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER citizen_list_names AFTER UPDATE OF display_name ON citizen
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION list_names_changed();
CREATE CONSTRAINT TRIGGER staff_list_names AFTER UPDATE OF name ON staff
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION list_names_changed();
CREATE CONSTRAINT TRIGGER department_list_names AFTER UPDATE OF name ON department
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION list_names_changed();
-- a deployed version's phases and tasks are written once, before any case runs on it;
-- should they ever be written otherwise, so are the entries that show them
CREATE CONSTRAINT TRIGGER workflow_phase_list_names
    AFTER INSERT OR UPDATE OR DELETE ON workflow_phase
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION list_names_changed();
CREATE CONSTRAINT TRIGGER workflow_task_list_names
    AFTER INSERT OR UPDATE OR DELETE ON workflow_task
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION list_names_changed();

-- One open task or handover as lists show it, but for "overdue", which the daemon adds.
CREATE OR REPLACE FUNCTION api_task_json(t task, c cases, ci citizen, department_name text,
                                         from_department_name text, assignee_name text,
                                         tovholder_name text, phase_title text,
                                         outcome_fields json)
RETURNS json LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
        'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
        'department', t.department_id, 'department_name', department_name,
        'from_department', t.from_department, 'from_department_name', from_department_name,
        'assignee', t.assignee, 'assignee_name', assignee_name,
        'due_at', t.due_at,
        'outcome_fields', CASE WHEN t.kind = 'task' THEN coalesce(outcome_fields, '[]'::json)
                               ELSE '[]'::json END,
        'case', json_build_object(
            'id', c.id, 'phase', c.phase, 'phase_title', coalesce(phase_title, c.phase),
            'workflow', c.workflow_name, 'tovholder', c.tovholder,
            'tovholder_name', tovholder_name),
        'citizen', json_build_object('id', ci.id, 'name', ci.display_name),
        'etag', overgang.api_etag(t.revision))
$$;

-- The keys of the page of tasks IDS (in that order) and the cursor for the next page when
-- NEXT_KEY (the last item's sort key) is given; with the page's citizens and cases for the
-- access log.
CREATE OR REPLACE FUNCTION api_task_list(ids bigint[], next_key jsonb, OUT list json,
                                         OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    SELECT json_build_object(
               'keys', coalesce(json_agg(json_build_array(t.id, t.xmin::text || '.' || c.xmin::text)
                                         ORDER BY p.n), '[]'),
               'names', (SELECT n.epoch FROM overgang.list_names n),
               'now', (extract(epoch FROM now()) * 1000000)::bigint,
               'server', (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint,
               'next_cursor', overgang.api_cursor_encode(next_key)),
           array_agg(c.citizen_id ORDER BY p.n), array_agg(c.id ORDER BY p.n)
      INTO list, citizen_ids, case_ids
      FROM unnest(ids) WITH ORDINALITY AS p (id, n)
      JOIN overgang.task t ON t.id = p.id
      JOIN overgang.cases c ON c.id = t.case_id;
END $$;

-- The list items of the tasks IDS, rendered for the daemon to keep: each with its version
-- and the names' version (as api_task_list gives them), its due date in µs since 1970, and
-- whether it is still open (claimed counts), from which the daemon decides "overdue".
CREATE FUNCTION api_task_items(ids bigint[])
RETURNS TABLE (id bigint, version text, names bigint, due_us bigint, open boolean, item text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN QUERY
    SELECT t.id, t.xmin::text || '.' || c.xmin::text, (SELECT n.epoch FROM overgang.list_names n),
           (extract(epoch FROM t.due_at) * 1000000)::bigint, t.status IN ('open', 'claimed'),
           overgang.api_task_json(t, c, ci, d.name, fd.name, a.name, th.name, wp.title,
                                  wt.outcome_fields)::text
      FROM unnest(ids) AS p (id)
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
       AND wt.key = t.key;
END $$;

-- The page's items are rendered by api_task_items now.
DROP FUNCTION api_task_page(bigint[]);

-- The queue and the inbox as in 0018, but for the next page's cursor: the last item's sort
-- key is built once, not for each of the up to 2 x 51 rows the page is chosen from (a third
-- of finding the page's tasks, measured with pgbench at national scale).
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
    last_due timestamptz;
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
           (array_agg(m.due ORDER BY m.due, m.id))[lim]
      INTO ids, more, last_due
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
      FROM api_task_list(ids, CASE WHEN more THEN jsonb_build_array(last_due, ids[lim]) END);
    PERFORM api_access(r, citizen_ids, case_ids);
    RETURN result;
END $$;

CREATE OR REPLACE FUNCTION api_inbox(r jsonb) RETURNS json LANGUAGE plpgsql
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
    v_last_claimed boolean;
    v_last_due timestamptz;
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
           (array_agg(p.claimed ORDER BY p.claimed, p.due, p.id))[v_limit],
           (array_agg(p.due ORDER BY p.claimed, p.due, p.id))[v_limit]
      INTO v_ids, v_more, v_last_claimed, v_last_due
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
      FROM api_task_list(v_ids, CASE WHEN v_more
                                     THEN jsonb_build_array(v_last_claimed, v_last_due,
                                                            v_ids[v_limit]) END);
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN v_result;
END $$;
