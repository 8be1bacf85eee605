-- The work of tovholdere and departments through the API: their cases, tasks, handovers,
-- notes, events and the tovholder role (functions api_* called by engine/api/routes_work.c).
--
-- Who may do what is decided here, from the person (staff, memberships, the case) and the
-- role their token carries: a lead's powers need a lead token; the rest follow the person.
-- Writes lock the row they change (FOR NO KEY UPDATE, as the engine does while stepping a
-- case) before comparing If-Match, so of two people changing the same thing at once the
-- second waits and then gets 412. Writes answer without citizen data, so they write no
-- access log; the lists do, for every citizen on the page.

-- Whether WHO belongs to department DEP, as a worker or as its lead.
CREATE FUNCTION api_work_member(who text, dep text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM staff_department sd
                    WHERE sd.staff_id = who AND sd.department_id = dep)
$$;

-- Whether R's person acts as a lead of department DEP: signed in as a lead, and its lead.
CREATE FUNCTION api_work_leads(r jsonb, dep text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT api_role(r) = 'lead'
       AND EXISTS (SELECT 1 FROM staff_department sd
                    WHERE sd.staff_id = api_staff(r) AND sd.department_id = dep AND sd.is_lead)
$$;

-- Whether WHO belongs to a department with a task or handover (open or past) on the case.
CREATE FUNCTION api_work_on_case(who text, the_case bigint) RETURNS boolean LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM staff_department sd
                     JOIN task t ON t.department_id = sd.department_id AND t.case_id = the_case
                    WHERE sd.staff_id = who)
$$;

-- A list's cursor as the sort key's parts, each cast to its type; a cursor that does not
-- fit (forged, or from another list) is 400, never a failed cast.
CREATE FUNCTION api_work_cursor(r jsonb, types text[]) RETURNS text[] LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_k jsonb := api_cursor(r);
    v_out text[] := '{}';
    v_ok boolean := true;
BEGIN
    IF v_k IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_array_length(v_k) <> cardinality(types) THEN
        v_ok := false;
    ELSE
        BEGIN
            FOR i IN 1 .. cardinality(types) LOOP
                CASE types[i]
                WHEN 'boolean' THEN PERFORM (v_k->>(i - 1))::boolean;
                WHEN 'timestamptz' THEN PERFORM (v_k->>(i - 1))::timestamptz;
                WHEN 'bigint' THEN PERFORM (v_k->>(i - 1))::bigint;
                END CASE;
                IF v_k->>(i - 1) IS NULL THEN
                    v_ok := false;
                END IF;
                v_out := v_out || (v_k->>(i - 1));
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            v_ok := false;
        END;
    END IF;
    IF NOT v_ok THEN
        PERFORM api_fail(400, 'bad-cursor',
            'The cursor is not one this list gave out; start from the first page.',
            jsonb_build_object('field', 'cursor'));
    END IF;
    RETURN v_out;
END $$;

-- A task or handover as the writes on it answer: no citizen data.
CREATE FUNCTION api_work_task_json(t task) RETURNS jsonb LANGUAGE sql STABLE
SET search_path = overgang, pg_catalog AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'kind', t.kind, 'key', t.key, 'title', t.title, 'status', t.status,
        'case', t.case_id, 'department', t.department_id, 'from_department', t.from_department,
        'assignee', t.assignee, 'due_at', t.due_at, 'outcome', t.outcome, 'reason', t.reason,
        'updated_at', t.updated_at, 'closed_at', t.closed_at, 'etag', api_etag(t.revision))
$$;

-- The task (WANT 'task') or handover (WANT 'handover') R names in its path, locked for the
-- change the caller makes, when the person may see its case; 404 otherwise.
CREATE FUNCTION api_work_task(r jsonb, want text) RETURNS task LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_id bigint := api_id(r, 'id');
    v_task task;
BEGIN
    SELECT * INTO v_task FROM task WHERE task.id = v_id FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT api_sees_case(api_staff(r), v_task.case_id) THEN
        PERFORM api_fail(404, 'not-found',
            format('There is no %s with this number that you may see.', want));
    END IF;
    IF v_task.kind <> want THEN
        PERFORM api_fail(404, 'not-found',
            format('Number %s is a %s, not a %s: use /v1/%ss/%s instead.',
                   v_task.id, v_task.kind, want, v_task.kind, v_task.id));
    END IF;
    RETURN v_task;
END $$;

-- The case R names in its path, locked for a change, when the person may see it; 404
-- otherwise.
CREATE FUNCTION api_work_case(r jsonb) RETURNS cases LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_case cases := api_visible_case(r);
BEGIN
    SELECT * INTO v_case FROM cases WHERE cases.id = v_case.id FOR NO KEY UPDATE;
    RETURN v_case;
END $$;

-- The cases I hold, by next deadline (the earliest due open task or handover; none last),
-- with what is waiting in each. Every citizen on the page is written to the access log.
-- The order moves as deadlines do: a case whose deadline changes between two pages may show
-- twice or not at all, as in any list ordered by something that changes.
CREATE FUNCTION api_my_cases(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_limit int := (r->>'limit')::int;
    v_k text[] := api_work_cursor(r, '{timestamptz,bigint}');
    v_due timestamptz := coalesce(v_k[1]::timestamptz, '-infinity');
    v_id bigint := coalesce(v_k[2]::bigint, 0);
    v_items jsonb;
    v_citizens bigint[];
    v_cases bigint[];
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'id', c.id, 'status', c.status, 'phase', c.phase,
               'workflow', jsonb_build_object('name', c.workflow_name,
                                              'version', c.workflow_version),
               'citizen', jsonb_build_object('id', ci.id, 'name', ci.display_name),
               'tovholder_department', c.tovholder_department,
               'next_deadline', CASE WHEN nx.id IS NOT NULL THEN jsonb_build_object(
                   'task', nx.id, 'kind', nx.kind, 'title', nx.title,
                   'department', nx.department_id, 'due_at', nx.due_at,
                   'overdue', nx.due_at < now()) END,
               'waiting', jsonb_build_object('tasks', w.tasks, 'handovers', w.handovers,
                                             'overdue', w.overdue),
               'updated_at', c.updated_at, 'etag', api_etag(c.revision),
               '_key', jsonb_build_array(p.due, c.id))
           ORDER BY p.n),
           array_agg(ci.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit),
           array_agg(c.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit)
      INTO v_items, v_citizens, v_cases
      FROM (SELECT q.id, q.due, row_number() OVER (ORDER BY q.due, q.id) AS n
              FROM (SELECT c.id, coalesce(nd.due, 'infinity') AS due
                      FROM cases c
                      LEFT JOIN LATERAL (SELECT min(t.due_at) AS due FROM task t
                                          WHERE t.case_id = c.id
                                            AND t.status IN ('open', 'claimed')) nd ON true
                     WHERE c.tovholder = v_me AND c.status <> 'closed'
                       AND (coalesce(nd.due, 'infinity'), c.id) > (v_due, v_id)
                     ORDER BY 2, 1
                     LIMIT v_limit + 1) q) p
      JOIN cases c ON c.id = p.id
      JOIN citizen ci ON ci.id = c.citizen_id
      CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE t.kind = 'task') AS tasks,
                 count(*) FILTER (WHERE t.kind = 'handover') AS handovers,
                 count(*) FILTER (WHERE t.due_at < now()) AS overdue
            FROM task t WHERE t.case_id = c.id AND t.status IN ('open', 'claimed')) w
      LEFT JOIN LATERAL (
          SELECT t.id, t.kind, t.title, t.department_id, t.due_at
            FROM task t
           WHERE t.case_id = c.id AND t.status IN ('open', 'claimed') AND t.due_at IS NOT NULL
           ORDER BY coalesce(t.due_at, 'infinity'), t.id LIMIT 1) nx ON true;
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN api_page(r, v_items);
END $$;

-- A department's inbox, for its members: open and claimed tasks and handovers addressed to
-- it, unclaimed first, then by due date (none last), then number: the order of the index
-- task_inbox (migration 0003), which the page is read from, from the cursor on. Filters kind
-- and status. Every citizen on the page is written to the access log. Not a member: 404, as
-- for no such department.
CREATE FUNCTION api_inbox(r jsonb) RETURNS json LANGUAGE plpgsql
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
    SELECT json_build_object(
               'items', coalesce(json_agg(api_task_item(p.t, c, ci) ORDER BY p.n)
                                 FILTER (WHERE p.n <= v_limit), '[]'),
               'next_cursor', CASE WHEN max(p.n) > v_limit THEN api_cursor_encode(
                   (array_agg(jsonb_build_array(p.claimed, p.due, (p.t).id))
                        FILTER (WHERE p.n = v_limit))[1]) END),
           array_agg(ci.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit),
           array_agg(c.id ORDER BY p.n) FILTER (WHERE p.n <= v_limit)
      INTO v_result, v_citizens, v_cases
      FROM (SELECT t, t.status = 'claimed' AS claimed, coalesce(t.due_at, 'infinity') AS due,
                   row_number() OVER (ORDER BY (t.status = 'claimed'),
                                               coalesce(t.due_at, 'infinity'), t.id) AS n
              FROM task t
             WHERE t.department_id = v_dep AND t.status IN ('open', 'claimed')
               AND ((t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id)
                   > (v_claimed, v_due, v_id)
               AND (t.status = 'claimed') <= (v_status IS DISTINCT FROM 'open')
               AND (v_kind IS NULL OR t.kind = v_kind)
             ORDER BY (t.status = 'claimed'), coalesce(t.due_at, 'infinity'), t.id
             LIMIT v_limit + 1) p
      JOIN cases c ON c.id = (p.t).case_id
      JOIN citizen ci ON ci.id = c.citizen_id;
    PERFORM api_access(r, v_citizens, v_cases);
    RETURN v_result;
END $$;

-- A member of the task's department takes an open task: it becomes theirs.
CREATE FUNCTION api_task_claim(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_task task := api_work_task(r, 'task');
BEGIN
    IF NOT api_work_member(v_me, v_task.department_id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only members of the department the task is addressed to can claim it.');
    END IF;
    PERFORM api_check_etag(r, v_task.revision);
    IF v_task.status = 'claimed' THEN
        PERFORM api_fail(409, 'not-open', CASE WHEN v_task.assignee = v_me
            THEN 'You have already claimed this task.'
            ELSE 'A colleague has already claimed this task; ask your lead to reassign it if it should be yours.' END);
    ELSIF v_task.status <> 'open' THEN
        PERFORM api_fail(409, 'not-open',
            format('This task is %s; there is nothing left to claim.', v_task.status));
    END IF;
    UPDATE task SET status = 'claimed', assignee = v_me, revision = revision + 1
     WHERE id = v_task.id RETURNING * INTO v_task;
    RETURN api_work_task_json(v_task);
END $$;

-- Completes a task with an outcome, for the person it is assigned to, a member of its
-- department or the case's tovholder; complete_task writes the task_done event the engine
-- steps, in this transaction. A note goes to the case's notes, tied to the task.
CREATE FUNCTION api_task_complete(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_task task;
    v_tovholder text;
    v_event bigint;
BEGIN
    PERFORM api_idem_begin(r);
    v_task := api_work_task(r, 'task');
    SELECT c.tovholder INTO v_tovholder FROM cases c WHERE c.id = v_task.case_id;
    IF v_task.assignee IS DISTINCT FROM v_me AND v_tovholder IS DISTINCT FROM v_me
       AND NOT api_work_member(v_me, v_task.department_id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only the person the task is assigned to, a member of its department or the case''s tovholder can complete it.');
    END IF;
    PERFORM api_check_etag(r, v_task.revision);
    IF v_task.status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(409, 'not-open',
            format('This task is already %s; it cannot be completed again.', v_task.status));
    END IF;
    v_event := complete_task(v_task.id, nullif(r->'body'->'outcome', 'null'), v_me);
    IF r->'body'->>'note' IS NOT NULL THEN
        INSERT INTO case_note (case_id, author, text, task_id)
        VALUES (v_task.case_id, v_me, r->'body'->>'note', v_task.id);
    END IF;
    SELECT * INTO v_task FROM task WHERE id = v_task.id;
    RETURN api_idem_end(r, 200, api_work_task_json(v_task) || jsonb_build_object('event', v_event));
END $$;

-- A lead of the task's department gives it to another active member of the department.
CREATE FUNCTION api_task_assign(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_task task := api_work_task(r, 'task');
    v_staff text := r->'body'->>'staff';
BEGIN
    IF NOT api_work_leads(r, v_task.department_id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only a lead of the department the task is addressed to can reassign it.');
    END IF;
    PERFORM api_check_etag(r, v_task.revision);
    IF v_task.status NOT IN ('open', 'claimed') THEN
        PERFORM api_fail(409, 'not-open',
            format('This task is %s; only open and claimed tasks can be reassigned.', v_task.status));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM staff s JOIN staff_department sd ON sd.staff_id = s.id
                    WHERE s.id = v_staff AND s.status = 'active'
                      AND sd.department_id = v_task.department_id) THEN
        PERFORM api_fail(422, 'invalid',
            'Assign the task to an active member of the department it is addressed to.',
            jsonb_build_object('field', 'staff'));
    END IF;
    UPDATE task SET status = 'claimed', assignee = v_staff, revision = revision + 1,
                    updated_at = now()
     WHERE id = v_task.id RETURNING * INTO v_task;
    RETURN api_work_task_json(v_task);
END $$;

-- The receiving department answers a handover: accept_handover / reject_handover write the
-- event the engine steps, in this transaction.
CREATE FUNCTION api_work_handover(r jsonb) RETURNS task LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_task task := api_work_task(r, 'handover');
BEGIN
    IF NOT api_work_member(api_staff(r), v_task.department_id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only members of the receiving department can accept or reject a handover.');
    END IF;
    PERFORM api_check_etag(r, v_task.revision);
    IF v_task.status <> 'open' THEN
        PERFORM api_fail(409, 'not-open',
            format('This handover is already %s; it cannot be answered again.', v_task.status));
    END IF;
    RETURN v_task;
END $$;

CREATE FUNCTION api_handover_accept(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_task task;
    v_event bigint;
BEGIN
    PERFORM api_idem_begin(r);
    v_task := api_work_handover(r);
    v_event := accept_handover(v_task.id, api_staff(r));
    SELECT * INTO v_task FROM task WHERE id = v_task.id;
    RETURN api_idem_end(r, 200, api_work_task_json(v_task) || jsonb_build_object('event', v_event));
END $$;

CREATE FUNCTION api_handover_reject(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_task task;
    v_event bigint;
BEGIN
    PERFORM api_idem_begin(r);
    v_task := api_work_handover(r);
    v_event := reject_handover(v_task.id, btrim(r->'body'->>'reason'), api_staff(r));
    SELECT * INTO v_task FROM task WHERE id = v_task.id;
    RETURN api_idem_end(r, 200, api_work_task_json(v_task) || jsonb_build_object('event', v_event));
END $$;

-- A note on a case, by anyone who sees it, optionally about one of its tasks; it shows in
-- the case's timeline.
CREATE FUNCTION api_case_note_add(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_case cases;
    v_task bigint;
    v_note case_note;
BEGIN
    PERFORM api_idem_begin(r);
    v_case := api_visible_case(r);
    IF jsonb_typeof(r->'body'->'task') = 'number' THEN
        v_task := (r->'body'->>'task')::bigint;
        IF NOT EXISTS (SELECT 1 FROM task t WHERE t.id = v_task AND t.case_id = v_case.id) THEN
            PERFORM api_fail(422, 'invalid', 'task must be the number of a task or handover on this case.',
                             jsonb_build_object('field', 'task'));
        END IF;
    END IF;
    INSERT INTO case_note (case_id, author, text, task_id)
    VALUES (v_case.id, api_staff(r), r->'body'->>'text', v_task)
    RETURNING * INTO v_note;
    RETURN api_idem_end(r, 201, jsonb_build_object(
        'id', v_note.id, 'case', v_note.case_id, 'author', v_note.author, 'text', v_note.text,
        'task', v_note.task_id, 'created_at', v_note.created_at));
END $$;

-- Sends an event into a case, for its tovholder or a member of a department on it; the
-- engine steps it. Types the engine sends itself are refused, and so are types the case's
-- workflow has no handler for (they would do nothing). The payload's "by" is the sender.
-- With an Idempotency-Key, the event's idem_key is the sender's and the key, so a retry
-- never makes a second event.
CREATE FUNCTION api_case_event(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_type text := r->'body'->>'type';
    v_key text;
    v_case cases;
    v_handlers jsonb;
    v_event event;
BEGIN
    PERFORM api_idem_begin(r);
    v_case := api_visible_case(r);
    IF v_case.tovholder IS DISTINCT FROM v_me AND NOT api_work_on_case(v_me, v_case.id) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only the case''s tovholder or a member of a department with a task or handover on it can send it events.');
    END IF;
    IF v_type !~ '^[a-z][a-z0-9_]*$' OR length(v_type) > 64 THEN
        PERFORM api_fail(400, 'wrong-type',
            'The field ''type'' must be a name of lower-case letters, digits and _, starting with a letter (at most 64).',
            jsonb_build_object('field', 'type'));
    END IF;
    IF v_type IN ('started', 'task_done', 'handover_accepted', 'handover_rejected',
                  'task_overdue', 'tovholder_unavailable', 'migrated', 'delivered',
                  'delivery_failed') THEN
        PERFORM api_fail(422, 'reserved-event-type',
            'The engine sends this type of event itself; complete the task or answer the handover instead, or send another type.',
            jsonb_build_object('field', 'type'));
    END IF;
    SELECT w.definition->'handlers' INTO v_handlers
      FROM workflow w WHERE w.name = v_case.workflow_name AND w.version = v_case.workflow_version;
    IF jsonb_typeof(v_handlers) = 'array' AND NOT v_handlers ? v_type THEN
        PERFORM api_fail(422, 'invalid',
            'The workflow this case runs has no handler for this type of event, so it would do nothing.',
            jsonb_build_object('field', 'type'));
    END IF;
    IF v_case.status = 'closed' THEN
        PERFORM api_fail(409, 'case-closed', 'This case is closed; it takes no more events.');
    END IF;
    IF r->'idem'->>'key' IS NOT NULL THEN
        v_key := v_me || ':' || (r->'idem'->>'key');
    END IF;
    INSERT INTO event (case_id, type, payload, source, idem_key)
    VALUES (v_case.id, v_type,
            coalesce(nullif(r->'body'->'payload', 'null'), '{}') || jsonb_build_object('by', v_me),
            'api', v_key)
    ON CONFLICT (case_id, source, idem_key) DO NOTHING
    RETURNING * INTO v_event;
    IF v_event.id IS NULL THEN
        SELECT * INTO v_event FROM event e
         WHERE e.case_id = v_case.id AND e.source = 'api' AND e.idem_key = v_key;
    END IF;
    RETURN api_idem_end(r, 201, jsonb_build_object(
        'id', v_event.id, 'type', v_event.type, 'status', v_event.status));
END $$;

-- Hands the tovholder role to a colleague, for the tovholder themselves or a lead of the
-- tovholder's department (how a lead picks a tovholder when one is unavailable). The new
-- tovholder must be active and in a department: the one they share with the old tovholder
-- if any, else their first.
CREATE FUNCTION api_case_tovholder(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_staff text := r->'body'->>'staff';
    v_case cases := api_work_case(r);
    v_old text := v_case.tovholder;
    v_dep text;
BEGIN
    IF v_old IS NULL THEN
        PERFORM api_fail(409, 'conflict',
            'The case has not started yet; its workflow picks the first tovholder. Try again shortly.');
    END IF;
    IF v_old <> v_me AND NOT (api_role(r) = 'lead' AND EXISTS (
            SELECT 1 FROM staff_department sd
             WHERE sd.staff_id = v_me AND sd.is_lead
               AND (sd.department_id = v_case.tovholder_department
                    OR v_case.tovholder_department IS NULL
                       AND api_work_member(v_old, sd.department_id)))) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only the case''s tovholder, or a lead of the tovholder''s department, can hand the tovholder role on.');
    END IF;
    PERFORM api_check_etag(r, v_case.revision);
    IF v_case.status = 'closed' THEN
        PERFORM api_fail(409, 'case-closed', 'This case is closed; its tovholder no longer changes.');
    END IF;
    IF v_staff = v_old THEN
        PERFORM api_fail(422, 'invalid', 'This person is the tovholder already; name a colleague.',
                         jsonb_build_object('field', 'staff'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = v_staff AND s.status = 'active') THEN
        PERFORM api_fail(422, 'invalid', 'The new tovholder must be an active member of staff.',
                         jsonb_build_object('field', 'staff'));
    END IF;
    SELECT sd.department_id INTO v_dep FROM staff_department sd
     WHERE sd.staff_id = v_staff
     ORDER BY sd.department_id IS NOT DISTINCT FROM v_case.tovholder_department DESC,
              api_work_member(v_old, sd.department_id) DESC, sd.department_id
     LIMIT 1;
    IF v_dep IS NULL THEN
        PERFORM api_fail(422, 'invalid',
            'The new tovholder must belong to a department; ask an administrator to add them to one.',
            jsonb_build_object('field', 'staff'));
    END IF;
    UPDATE cases SET tovholder = v_staff, tovholder_department = v_dep,
                     revision = revision + 1, updated_at = now()
     WHERE id = v_case.id RETURNING * INTO v_case;
    INSERT INTO tovholder_history (case_id, from_staff, to_staff, department_id, reason, by_whom)
    VALUES (v_case.id, v_old, v_staff, v_dep, btrim(r->'body'->>'reason'), v_me);
    RETURN jsonb_build_object(
        'id', v_case.id,
        'tovholder', jsonb_build_object('staff', v_staff,
                                        'name', (SELECT s.name FROM staff s WHERE s.id = v_staff),
                                        'department', v_dep),
        'etag', api_etag(v_case.revision));
END $$;

-- Lets another member of staff see a case, with a reason and perhaps an end: for a lead of a
-- department on the case (with a task or handover there, or the tovholder's) or an
-- administrator who sees it. Granting again renews the grant.
CREATE FUNCTION api_case_grant(r jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path = overgang, pg_catalog AS $$
DECLARE
    v_me text := api_staff(r);
    v_staff text := r->'body'->>'staff';
    v_until text := r->'body'->>'expires_at';
    v_expires timestamptz;
    v_case cases;
    v_grant case_grant;
BEGIN
    PERFORM api_idem_begin(r);
    v_case := api_visible_case(r);
    IF NOT (api_role(r) = 'administrator'
            OR api_role(r) = 'lead' AND EXISTS (
                SELECT 1 FROM staff_department sd
                 WHERE sd.staff_id = v_me AND sd.is_lead
                   AND (sd.department_id = v_case.tovholder_department
                        OR EXISTS (SELECT 1 FROM task t WHERE t.case_id = v_case.id
                                      AND t.department_id = sd.department_id)))) THEN
        PERFORM api_fail(403, 'not-permitted',
            'Only a lead of a department on the case, or an administrator, can let others see it.');
    END IF;
    IF v_until IS NOT NULL THEN
        BEGIN
            IF v_until !~ '^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d(:?\d\d)?)?)?$' THEN
                RAISE EXCEPTION 'bad time';
            END IF;
            v_expires := v_until::timestamptz;
        EXCEPTION WHEN OTHERS THEN
            v_expires := NULL;
        END;
        IF v_expires IS NULL THEN
            PERFORM api_fail(400, 'wrong-type',
                'The field ''expires_at'' must be a date and time, such as 2030-01-31T16:00:00Z.',
                jsonb_build_object('field', 'expires_at'));
        END IF;
        IF v_expires <= now() THEN
            PERFORM api_fail(422, 'invalid', 'expires_at must lie in the future.',
                             jsonb_build_object('field', 'expires_at'));
        END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM staff s WHERE s.id = v_staff AND s.status = 'active') THEN
        PERFORM api_fail(422, 'invalid', 'Grant sight of the case to an active member of staff.',
                         jsonb_build_object('field', 'staff'));
    END IF;
    INSERT INTO case_grant AS g (case_id, staff_id, granted_by, reason, expires_at)
    VALUES (v_case.id, v_staff, v_me, btrim(r->'body'->>'reason'), v_expires)
    ON CONFLICT (case_id, staff_id) DO UPDATE
       SET granted_by = EXCLUDED.granted_by, reason = EXCLUDED.reason,
           expires_at = EXCLUDED.expires_at, created_at = now()
    RETURNING * INTO v_grant;
    RETURN api_idem_end(r, 201, jsonb_build_object(
        'case', v_grant.case_id, 'staff', v_grant.staff_id, 'granted_by', v_grant.granted_by,
        'reason', v_grant.reason, 'created_at', v_grant.created_at,
        'expires_at', v_grant.expires_at));
END $$;
