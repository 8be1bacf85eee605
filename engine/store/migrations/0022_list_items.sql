-- Queues and inboxes answer from list items kept ready on the rows. A page of 50 tasks used to
-- join ten tables and build each item's JSON at every read (0.9 ms of a queue page's 1.9 ms
-- at the bench's scale); tovholdere read their queue far more often than it changes. Now:
--
--   task.list_item   the part of a task's list item that comes from the task: its fields,
--                    the names of its departments and assignee, its outcome fields, its
--                    ETag (a JSON object's members, without the braces);
--   cases.list_item  the part that comes from the case: "case" (phase and its title,
--                    workflow, tovholder and name) and "citizen" (number and name).
--
-- A page joins each task to its case and puts the two parts together with "overdue", which
-- depends on the time of the read. The answer is the same as before, member for member.
--
-- Kept by triggers, so no writer can forget them:
--   * BEFORE INSERT OR UPDATE on task and on cases builds the part again when a field it
--     shows changes, or when a writer sets list_item to NULL (a "touch"); a task that is no
--     longer open or claimed, and a closed case, keep none (no list shows them);
--   * a name that changes (citizen, staff, department) and a case that moves to another
--     workflow version touch the rows that show it, in the same transaction.
-- Why no read sees a stale part: a touch is an UPDATE of the very rows that show the name,
-- so it waits for any transaction that changes those rows, and the BEFORE trigger then
-- builds the part from the latest row, reading the names with a snapshot taken after that
-- wait (each statement of a volatile PL/pgSQL function takes a new one under READ
-- COMMITTED). A writer of a row that builds its part before a concurrent rename commits is
-- followed by that rename's touch of the same row.
-- A missing part (NULL) is built at read time: a page is never short of an item.

ALTER TABLE task ADD COLUMN list_item text;
ALTER TABLE cases ADD COLUMN list_item text;

-- The task's part of its list item. The time zone is fixed, so that due_at reads the same
-- whichever session writes the task.
CREATE FUNCTION task_list_part(t task) RETURNS text LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog SET TimeZone = 'UTC' AS $$
    SELECT substr(j, 2, length(j) - 2)
      FROM (SELECT json_build_object(
                'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
                'department', t.department_id,
                'department_name', (SELECT d.name FROM department d WHERE d.id = t.department_id),
                'from_department', t.from_department,
                'from_department_name',
                    (SELECT d.name FROM department d WHERE d.id = t.from_department),
                'assignee', t.assignee,
                'assignee_name', (SELECT s.name FROM staff s WHERE s.id = t.assignee),
                'due_at', t.due_at,
                'outcome_fields', CASE WHEN t.kind = 'task' THEN coalesce(
                    (SELECT wt.outcome_fields FROM cases c
                       JOIN workflow_task wt ON wt.workflow_name = c.workflow_name
                        AND wt.workflow_version = c.workflow_version AND wt.key = t.key
                      WHERE c.id = t.case_id), '[]'::json) ELSE '[]'::json END,
                'etag', api_etag(t.revision))::text AS j) x
$$;

-- The case's part of the list items of its tasks.
CREATE FUNCTION case_list_part(c cases) RETURNS text LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT '"case": ' || json_build_object(
               'id', c.id, 'phase', c.phase,
               'phase_title', coalesce((SELECT wp.title FROM workflow_phase wp
                                         WHERE wp.workflow_name = c.workflow_name
                                           AND wp.workflow_version = c.workflow_version
                                           AND wp.name = c.phase), c.phase),
               'workflow', c.workflow_name, 'tovholder', c.tovholder,
               'tovholder_name', (SELECT s.name FROM staff s WHERE s.id = c.tovholder))::text
        || ', "citizen": ' || json_build_object(
               'id', c.citizen_id,
               'name', (SELECT ci.display_name FROM citizen ci WHERE ci.id = c.citizen_id))::text
$$;

CREATE FUNCTION task_keep_list_item() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    IF NEW.status NOT IN ('open', 'claimed') THEN
        NEW.list_item := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.list_item IS NULL
          OR (NEW.kind, NEW.key, NEW.title, NEW.status, NEW.department_id, NEW.from_department,
              NEW.assignee, NEW.due_at, NEW.revision, NEW.case_id)
             IS DISTINCT FROM
             (OLD.kind, OLD.key, OLD.title, OLD.status, OLD.department_id, OLD.from_department,
              OLD.assignee, OLD.due_at, OLD.revision, OLD.case_id) THEN
        NEW.list_item := task_list_part(NEW);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER task_list_item BEFORE INSERT OR UPDATE ON task
    FOR EACH ROW EXECUTE FUNCTION task_keep_list_item();

CREATE FUNCTION cases_keep_list_item() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    IF NEW.status = 'closed' THEN
        NEW.list_item := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.list_item IS NULL
       OR (NEW.phase, NEW.tovholder, NEW.citizen_id, NEW.workflow_name, NEW.workflow_version)
          IS DISTINCT FROM
          (OLD.phase, OLD.tovholder, OLD.citizen_id, OLD.workflow_name, OLD.workflow_version) THEN
        NEW.list_item := case_list_part(NEW);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_list_item BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_keep_list_item();

-- The touches: a changed name, or a case on another workflow version (its tasks' outcome
-- fields), builds the parts that show it again.
CREATE FUNCTION touch_list_items() RETURNS trigger LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'citizen' THEN
        UPDATE cases SET list_item = NULL WHERE citizen_id = NEW.id AND status <> 'closed';
    WHEN 'staff' THEN
        UPDATE cases SET list_item = NULL WHERE tovholder = NEW.id AND status <> 'closed';
        UPDATE task SET list_item = NULL
         WHERE assignee = NEW.id AND status IN ('open', 'claimed');
    WHEN 'department' THEN
        UPDATE task SET list_item = NULL
         WHERE department_id = NEW.id AND status IN ('open', 'claimed');
        UPDATE task SET list_item = NULL
         WHERE from_department = NEW.id AND status IN ('open', 'claimed');
    WHEN 'cases' THEN
        UPDATE task SET list_item = NULL
         WHERE case_id = NEW.id AND status IN ('open', 'claimed');
    END CASE;
    RETURN NULL;
END $$;
CREATE TRIGGER citizen_list_items AFTER UPDATE OF display_name ON citizen
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION touch_list_items();
CREATE TRIGGER staff_list_items AFTER UPDATE OF name ON staff
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION touch_list_items();
CREATE TRIGGER department_list_items AFTER UPDATE OF name ON department
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION touch_list_items();
CREATE TRIGGER cases_task_list_items AFTER UPDATE OF workflow_name, workflow_version ON cases
    FOR EACH ROW WHEN ((OLD.workflow_name, OLD.workflow_version)
                       IS DISTINCT FROM (NEW.workflow_name, NEW.workflow_version))
    EXECUTE FUNCTION touch_list_items();

-- The parts of the rows there are now.
UPDATE cases c SET list_item = case_list_part(c) WHERE status <> 'closed';
UPDATE task t SET list_item = task_list_part(t) WHERE status IN ('open', 'claimed');

-- A queue's or inbox's answer (JSON text, sent as it is) from the page of tasks IDS: the
-- items, and the cursor for the next page when NEXT_KEY (the last item's sort key) is given;
-- with the page's citizens and cases for the access log.
DROP FUNCTION api_task_list(bigint[], jsonb);
CREATE FUNCTION api_task_list(ids bigint[], next_key jsonb, OUT list text,
                              OUT citizen_ids bigint[], OUT case_ids bigint[])
LANGUAGE plpgsql STABLE
SET search_path = overgang, pg_catalog AS $$
BEGIN
    SELECT '{"items": [' || coalesce(string_agg(
               '{"overdue": ' || CASE WHEN t.due_at < now() THEN 'true' ELSE 'false' END
               || ', ' || coalesce(t.list_item, task_list_part(t))
               || ', ' || coalesce(c.list_item, case_list_part(c)) || '}',
               ', ' ORDER BY p.n), '')
           || '], "next_cursor": '
           || coalesce(to_json(api_cursor_encode(next_key))::text, 'null') || '}',
           array_agg(c.citizen_id ORDER BY p.n), array_agg(c.id ORDER BY p.n)
      INTO list, citizen_ids, case_ids
      FROM unnest(ids) WITH ORDINALITY AS p (id, n)
      JOIN task t ON t.id = p.id
      JOIN cases c ON c.id = t.case_id;
END $$;

-- The queue and the inbox return their page as text: built from parts that are JSON by
-- construction, it is not parsed again to be sent.
DROP FUNCTION api_queue(jsonb);
DROP FUNCTION api_inbox(jsonb);

CREATE FUNCTION api_queue(r jsonb) RETURNS text LANGUAGE plpgsql
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
    result text;
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
END $$;

CREATE FUNCTION api_inbox(r jsonb) RETURNS text LANGUAGE plpgsql
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
    v_result text;
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
